/*  Self-test of the service skeleton and the reliable stream (gl_service, gl_stream, gl_client)
    in one process: a producer and a consumer service run as actors on real sockets (inproc),
    with the bus actor between them, each with a real store in a scratch directory.  */
#define _GNU_SOURCE             //  nftw
#include "unit.h"
#include "gl_client.h"
#include "gl_bus.h"
#include "gl_service.h"

#include <ftw.h>
#include <unistd.h>

//  ---------------------------------------------------------------------------------------------
//  A producer: op "emit" {count, size} appends count messages of size bytes; answers the
//  first seq it used.

static int
s_emit (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    uint64_t count = 1, size = 8;
    gl_get_u64 (req, "count", &count);
    gl_get_u64 (req, "size", &size);
    char *text = malloc (size + 1);
    memset (text, 'x', size);
    text [size] = 0;
    gl_mapw_t body;
    gl_mapw_init (&body);
    gl_mapw_str (&body, "text", text);
    msgpack_sbuffer bytes;
    gl_mapw_finish (&body, &bytes);
    gl_mapw_fini (&body);
    free (text);
    int rc = 0;
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        char id [32];
        snprintf (id, sizeof id, "E-%llu", (unsigned long long) i);
        rc = gl_ctx_emit (ctx, "thing.made", "unit-1", id, bytes.data, bytes.size);
    }
    msgpack_sbuffer_destroy (&bytes);
    if (rc == 0)
        gl_mapw_u64 (reply, "emitted", count);
    return rc;
}

static const gl_op_t s_producer_ops [] = { { .name = "emit", .fn = s_emit, .mutating = true, .schema = NULL } };
static const gl_service_def_t s_producer = {
    .name = "intake", .svc = GL_SVC_INTAKE, .ops = s_producer_ops, .nops = 1
};

//  A consumer: counts what it applies and checks the order; refuses messages whose id is
//  "E-13" (to prove refused messages are stepped over).

static int
s_consume (gl_ctx_t *ctx, const char *topic, const gl_envelope_t *env)
{
    MDB_dbi dbi = gl_ctx_dbi (ctx, "seen");
    if (env->id && env->id_len == 4 && memcmp (env->id, "E-13", 4) == 0)
        return -1;
    const void *val;
    size_t len;
    uint64_t seen = 0, last = 0;
    if (gl_db_get (gl_ctx_txn (ctx), dbi, "count", 5, &val, &len) == 0)
        seen = gl_be64_get (val);
    if (gl_db_get (gl_ctx_txn (ctx), dbi, "last", 4, &val, &len) == 0)
        last = gl_be64_get (val);
    uint8_t buf [8];
    //  "order" counts messages that arrived out of order (must stay 0).
    if (env->seq <= last && env->seq != 1) {
        uint64_t bad = 0;
        if (gl_db_get (gl_ctx_txn (ctx), dbi, "order", 5, &val, &len) == 0)
            bad = gl_be64_get (val);
        gl_be64_put (buf, bad + 1);
        gl_db_put (gl_ctx_txn (ctx), dbi, "order", 5, buf, 8, 0);
    }
    gl_be64_put (buf, seen + 1);
    int rc = gl_db_put (gl_ctx_txn (ctx), dbi, "count", 5, buf, 8, 0);
    gl_be64_put (buf, env->seq);
    return rc? rc: gl_db_put (gl_ctx_txn (ctx), dbi, "last", 4, buf, 8, 0);
}

static int
s_count (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    const char *keys [] = { "count", "last", "order" };
    for (int i = 0; i < 3; i++) {
        const void *val;
        size_t len;
        uint64_t v = 0;
        if (gl_db_get (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "seen"), keys [i], strlen (keys [i]),
                       &val, &len) == 0)
            v = gl_be64_get (val);
        gl_mapw_u64 (reply, keys [i], v);
    }
    return 0;
}

static const gl_op_t s_consumer_ops [] = { { .name = "count", .fn = s_count, .mutating = false, .schema = NULL } };
static const char *const s_consumer_dbs [] = { "seen", NULL };
static const gl_service_def_t s_consumer = {
    .name = "archive", .svc = GL_SVC_ARCHIVE, .dbs = s_consumer_dbs, .ops = s_consumer_ops,
    .nops = 1, .consume = s_consume
};

//  ---------------------------------------------------------------------------------------------

static char s_dir [64];
static gl_config_t s_cfg;
static zactor_t *s_bus;

static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static zactor_t *
s_start (const gl_service_def_t *def)
{
    static gl_service_args_t args [2];
    gl_service_args_t *a = &args [def == &s_producer? 0: 1];
    a->def = def;
    a->cfg = &s_cfg;
    return zactor_new (gl_service_actor, a);
}

//  Call a service and return the answer's number at key (fails the test on refusal).
static uint64_t
s_call (gl_svc_t svc, const char *op, bool mutating, const char *req_id, uint64_t count,
        uint64_t size, const char *key)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    if (req_id)
        gl_mapw_str (&w, "req_id", req_id);
    gl_mapw_u64 (&w, "count", count);
    gl_mapw_u64 (&w, "size", size);
    msgpack_sbuffer req;
    gl_request_build (&req, op, false, &w);
    gl_mapw_fini (&w);
    gl_client_t *client = gl_client_new (s_cfg.svc [svc].endpoint, 2000, 1 << 20);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (gl_client_call (client, req.data, req.size, &answer, 3, &err), 0);
    if (gl_answer_check (&answer.root, &err))
        fail_msg ("%s refused: %s", op, err.message);
    uint64_t value = 0;
    gl_get_u64 (&answer.root, key, &value);
    gl_doc_fini (&answer);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    return value;
}

//  Wait (polling the consumer, bounded) until it has applied want messages.
static uint64_t
s_wait_count (uint64_t want)
{
    uint64_t have = 0;
    for (int i = 0; i < 400 && have < want; i++) {
        have = s_call (GL_SVC_ARCHIVE, "count", false, NULL, 0, 0, "count");
        if (have < want)
            zclock_sleep (25);
    }
    return have;
}

static int
s_setup (void **state)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/gl-unit-service-XXXXXX");
    assert_non_null (mkdtemp (s_dir));
    char text [2048];
    snprintf (text, sizeof text,
        "data_dir = \"%s\"\nlog\n    level = \"error\"\n"
        //  In-process, on inproc: the skeleton's logic; CURVE is tested on TCP between
        //  processes (integration_security).
        "security\n    mode = \"plain\"\n"
        "limits\n    request_timeout_ms = 300\n"
        "bus\n    frontend = \"inproc://unit-front\"\n    backend = \"inproc://unit-back\"\n"
        "    control = \"inproc://unit-bus\"\n"
        "intake\n    endpoint = \"inproc://unit-intake\"\n    map_mb = 1\n"
        "archive\n    endpoint = \"inproc://unit-archive\"\n    reads = \"intake\"\n", s_dir);
    gl_err_t err;
    assert_int_equal (gl_config_load_text (&s_cfg, text, &err), 0);
    s_bus = gl_bus_start (&s_cfg, &err);
    assert_non_null (s_bus);
    return 0;
}

static int
s_teardown (void **state)
{
    zactor_destroy (&s_bus);
    nftw (s_dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static void
test_every_message_applied_once_in_order_and_refused_one_stepped_over (void **state)
{
    zactor_t *producer = s_start (&s_producer);
    zactor_t *consumer = s_start (&s_consumer);
    assert_int_equal (s_call (GL_SVC_INTAKE, "emit", true, "u-1", 500, 16, "emitted"), 500);
    //  E-13 of the batch is refused by the consumer: 499 applied.
    assert_int_equal (s_wait_count (499), 499);
    assert_int_equal (s_call (GL_SVC_ARCHIVE, "count", false, NULL, 0, 0, "last"), 500);
    assert_int_equal (s_call (GL_SVC_ARCHIVE, "count", false, NULL, 0, 0, "order"), 0);
    zactor_destroy (&consumer);
    zactor_destroy (&producer);
}

//  Call a service and return the refusal's code (GL_OK when it answered ok).
static gl_code_t
s_call_code (gl_svc_t svc, const char *op, const char *req_id, uint64_t count, uint64_t size,
             gl_err_t *err)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "req_id", req_id);
    gl_mapw_u64 (&w, "count", count);
    gl_mapw_u64 (&w, "size", size);
    msgpack_sbuffer req;
    gl_request_build (&req, op, false, &w);
    gl_mapw_fini (&w);
    gl_client_t *client = gl_client_new (s_cfg.svc [svc].endpoint, 2000, 1 << 20);
    gl_doc_t answer;
    assert_int_equal (gl_client_call (client, req.data, req.size, &answer, 3, err), 0);
    gl_code_t code = gl_answer_check (&answer.root, err)? err->code: GL_OK;
    gl_doc_fini (&answer);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    return code;
}

//  The producer's last seq, from its status.
static uint64_t
s_last_seq (void)
{
    msgpack_sbuffer req;
    gl_request_build (&req, "status", false, NULL);
    gl_client_t *client = gl_client_new (s_cfg.svc [GL_SVC_INTAKE].endpoint, 2000, 1 << 20);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (gl_client_call (client, req.data, req.size, &answer, 3, &err), 0);
    uint64_t last = 0;
    assert_true (gl_get_u64 (&answer.root, "last_seq", &last));
    gl_doc_fini (&answer);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    return last;
}

static void
test_retried_req_id_gets_the_first_answer_and_emits_nothing (void **state)
{
    zactor_t *producer = s_start (&s_producer);
    zactor_t *consumer = s_start (&s_consumer);
    uint64_t before = s_wait_count (499);
    s_call (GL_SVC_INTAKE, "emit", true, "u-2", 10, 16, "emitted");
    uint64_t last = s_last_seq ();
    //  The same request again: the same answer, and nothing emitted.
    assert_int_equal (s_call (GL_SVC_INTAKE, "emit", true, "u-2", 10, 16, "emitted"), 10);
    assert_true (s_last_seq () == last);
    //  The same req_id with another request: CONFLICT, saying why; nothing emitted.
    gl_err_t err;
    assert_int_equal (s_call_code (GL_SVC_INTAKE, "emit", "u-2", 99, 16, &err), GL_CONFLICT);
    assert_non_null (strstr (err.message, "req_id 'u-2' was already used"));
    assert_non_null (strstr (err.message, "'emit'"));
    assert_true (s_last_seq () == last);
    assert_int_equal (s_wait_count (before + 10), before + 10);
    zactor_destroy (&consumer);
    zactor_destroy (&producer);
}

static void
test_consumer_down_catches_up_from_the_outbox (void **state)
{
    zactor_t *producer = s_start (&s_producer);
    zactor_t *consumer = s_start (&s_consumer);
    uint64_t before = s_call (GL_SVC_ARCHIVE, "count", false, NULL, 0, 0, "count");
    zactor_destroy (&consumer);
    s_call (GL_SVC_INTAKE, "emit", true, "u-3", 3000, 16, "emitted");
    consumer = s_start (&s_consumer);
    assert_int_equal (s_wait_count (before + 2999), before + 2999);    //  E-13 refused
    assert_int_equal (s_call (GL_SVC_ARCHIVE, "count", false, NULL, 0, 0, "order"), 0);
    zactor_destroy (&consumer);
    zactor_destroy (&producer);
}

static void
test_full_map_grows_and_nothing_is_lost (void **state)
{
    //  The producer's map starts at 1 MB; 600 messages of 4 KB in one batch need more.
    zactor_t *producer = s_start (&s_producer);
    zactor_t *consumer = s_start (&s_consumer);
    uint64_t before = s_call (GL_SVC_ARCHIVE, "count", false, NULL, 0, 0, "count");
    assert_int_equal (s_call (GL_SVC_INTAKE, "emit", true, "u-4", 600, 4096, "emitted"), 600);
    assert_int_equal (s_wait_count (before + 599), before + 599);
    zactor_destroy (&consumer);
    zactor_destroy (&producer);
}

static void
test_replaced_producer_store_is_followed_from_seq_one (void **state)
{
    zactor_t *consumer = s_start (&s_consumer);
    uint64_t before = s_call (GL_SVC_ARCHIVE, "count", false, NULL, 0, 0, "count");
    //  A new, empty producer store: a new epoch, seqs from 1 again.
    char path [128];
    snprintf (path, sizeof path, "%s/intake", s_dir);
    nftw (path, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    zactor_t *producer = s_start (&s_producer);
    s_call (GL_SVC_INTAKE, "emit", true, "u-5", 5, 16, "emitted");
    assert_int_equal (s_wait_count (before + 5), before + 5);
    assert_int_equal (s_call (GL_SVC_ARCHIVE, "count", false, NULL, 0, 0, "last"), 5);
    zactor_destroy (&producer);
    zactor_destroy (&consumer);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_message_applied_once_in_order_and_refused_one_stepped_over),
        cmocka_unit_test (test_retried_req_id_gets_the_first_answer_and_emits_nothing),
        cmocka_unit_test (test_consumer_down_catches_up_from_the_outbox),
        cmocka_unit_test (test_full_map_grows_and_nothing_is_lost),
        cmocka_unit_test (test_replaced_producer_store_is_followed_from_seq_one),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

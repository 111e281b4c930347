/*  Integration: the thin path intake -> bus -> archive through real processes on loopback,
    driven only through the public protocol (proto/): reports, retries, every kind of bad input,
    replay, status and the request framings a client may use.  */
#include "testkit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <regex.h>

static tk_net_t *s_net;

//  Send raw bytes to a service; the answer must come back (parsed into answer).
static void
s_raw (const char *service, const void *bytes, size_t len, gl_doc_t *answer)
{
    assert_int_equal (tk_call (s_net, service, bytes, len, answer, 3000), 0);
}

//  Send a request; return the error code of the answer (GL_OK for ok: true).
static gl_code_t
s_ask (const char *service, msgpack_sbuffer *req, gl_doc_t *answer, gl_err_t *err)
{
    s_raw (service, req->data, req->size, answer);
    return gl_answer_check (&answer->root, err) == 0? GL_OK: err->code;
}

//  A report request built from fields; field "skip" leaves one out, override replaces one.
static void
s_report (msgpack_sbuffer *out, const char *req_id, const char *skip, const char *key,
          const char *value)
{
    const char *keys [] = { "category", "grid", "description", "channel" };
    const char *vals [] = { "03.01", "SJ-01-01", "双江街道滨江社区3栋楼道堆放杂物，存在消防隐患", "app" };
    gl_mapw_t w;
    gl_mapw_init (&w);
    if (req_id)
        gl_mapw_str (&w, "req_id", req_id);
    for (int i = 0; i < 4; i++)
        if (!skip || strcmp (skip, keys [i]))
            gl_mapw_str (&w, keys [i], key && streq (key, keys [i])? value: vals [i]);
    if (!skip || strcmp (skip, "reporter")) {
        gl_mapw_t r;
        gl_mapw_init (&r);
        gl_mapw_str (&r, "id", "GW-0002");
        gl_mapw_str (&r, "role", "grid_worker");
        gl_mapw_map (&w, "reporter", &r);
        gl_mapw_fini (&r);
    }
    gl_request_build (out, "report", false, &w);
    gl_mapw_fini (&w);
}

static char *
s_report_ok (const char *req_id)
{
    msgpack_sbuffer req;
    s_report (&req, req_id, NULL, NULL, NULL);
    gl_doc_t answer;
    gl_err_t err;
    gl_code_t code = s_ask ("intake", &req, &answer, &err);
    if (code != GL_OK)
        fail_msg ("report refused: %s %s", gl_code_name (code), err.message);
    char id [GL_MAX_NAME + 1] = "";
    assert_true (gl_get_strbuf (&answer.root, "id", id, sizeof id));
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
    return strdup (id);
}

static void
test_report_gets_a_readable_sortable_id (void **state)
{
    char *a = s_report_ok ("thin-1");
    char *b = s_report_ok ("thin-2");
    regex_t re;
    regcomp (&re, "^500235-[0-9]{8}-[0-9]{9}$", REG_EXTENDED);
    assert_int_equal (regexec (&re, a, 0, NULL, 0), 0);
    assert_int_equal (regexec (&re, b, 0, NULL, 0), 0);
    regfree (&re);
    assert_true (strcmp (a, b) < 0);
    free (a);
    free (b);
}

static void
test_retry_with_same_req_id_returns_first_answer_and_changes_nothing (void **state)
{
    char *first = s_report_ok ("thin-retry");
    int64_t last = tk_status (s_net, "intake", "last_seq");
    char *again = s_report_ok ("thin-retry");
    assert_string_equal (first, again);
    assert_int_equal (tk_status (s_net, "intake", "last_seq"), last);
    free (first);
    free (again);
}

static void
test_archive_holds_the_reported_event_with_its_body (void **state)
{
    char *id = s_report_ok ("thin-archive");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", id);
    msgpack_sbuffer req;
    gl_request_build (&req, "get", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t answer;
    gl_err_t err;
    gl_code_t code = GL_NOT_FOUND;
    for (int i = 0; i < 100 && code == GL_NOT_FOUND; i++) {
        code = s_ask ("archive", &req, &answer, &err);
        if (code == GL_NOT_FOUND) {
            gl_doc_fini (&answer);
            zclock_sleep (20);          //  the archive is another process: poll it
        }
    }
    assert_int_equal (code, GL_OK);
    const msgpack_object *messages = gl_map_get (&answer.root, "messages");
    assert_non_null (messages);
    assert_int_equal (messages->via.array.size, 1);
    const msgpack_object *m = &messages->via.array.ptr [0];
    assert_true (gl_str_eq (gl_map_get (m, "topic"), "intake.event.reported"));
    const msgpack_object *env = gl_map_get (m, "envelope");
    assert_true (gl_str_eq (gl_map_get (env, "src"), "intake"));
    assert_true (gl_str_eq (gl_map_get (env, "type"), "event.reported"));
    assert_true (gl_str_eq (gl_map_get (env, "id"), id));
    const msgpack_object *body = gl_map_get (env, "body");
    assert_true (gl_str_eq (gl_map_get (body, "grid"), "SJ-01-01"));
    assert_true (gl_str_eq (gl_map_get (gl_map_get (body, "reporter"), "id"), "GW-0002"));
    int64_t at;
    assert_true (gl_get_i64 (body, "reported_at", &at));
    assert_true (at > 1700000000000LL);
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
    free (id);
}

//  Every refusal: the right code, a sentence naming the problem, and nothing created.
static void
s_refused (msgpack_sbuffer *req, gl_code_t want, const char *needle)
{
    int64_t last = tk_status (s_net, "intake", "last_seq");
    gl_doc_t answer;
    gl_err_t err;
    gl_code_t code = s_ask ("intake", req, &answer, &err);
    if (code != want || !strstr (err.message, needle))
        fail_msg ("expected %s mentioning \"%s\", got %s: %s", gl_code_name (want), needle,
                  gl_code_name (code), code == GL_OK? "(ok)": err.message);
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (req);
    assert_int_equal (tk_status (s_net, "intake", "last_seq"), last);
}

static void
test_bad_reports_are_refused_with_a_plain_reason (void **state)
{
    int64_t errors = tk_status (s_net, "intake", "errors");
    msgpack_sbuffer req;
    s_report (&req, "bad-1", "grid", NULL, NULL);
    s_refused (&req, GL_INVALID, "'grid' is required");
    s_report (&req, "bad-2", "reporter", NULL, NULL);
    s_refused (&req, GL_INVALID, "'reporter' is required");
    s_report (&req, "bad-3", NULL, "channel", "wechat");
    s_refused (&req, GL_INVALID, "\"hotline\"");
    s_report (&req, "bad-4", NULL, "category", "3.1");
    s_refused (&req, GL_INVALID, "'category'");
    char long_text [4100];
    memset (long_text, 'x', sizeof long_text - 1);
    long_text [sizeof long_text - 1] = 0;
    s_report (&req, "bad-5", NULL, "description", long_text);
    s_refused (&req, GL_TOO_LARGE, "'description' is 4099 bytes");
    s_report (&req, NULL, NULL, NULL, NULL);
    s_refused (&req, GL_INVALID, "'req_id' is required");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_request_build (&req, "explode", false, &w);
    gl_mapw_fini (&w);
    s_refused (&req, GL_UNSUPPORTED, "report");
    //  Every refusal is counted for the operators.
    assert_int_equal (tk_status (s_net, "intake", "errors"), errors + 7);
}

static void
test_malformed_bytes_are_answered_malformed (void **state)
{
    const char *cases [] = {
        "\xdd\xff\xff\xff\xff",                 //  array32 of 4 billion, nothing after
        "\xdf\xff\xff\xff\xff",                 //  map32 of 4 billion
        "\x81\xa2op",                           //  key without value
        "\x82\xa2op\xa1x\xa2op\xa1y",           //  duplicate key
        "\x81\x01\x02",                         //  integer key
        "\xc1",                                 //  never-used byte
    };
    size_t lens [] = { 5, 5, 4, 11, 3, 1 };
    for (size_t i = 0; i < sizeof lens / sizeof lens [0]; i++) {
        gl_doc_t answer;
        gl_err_t err;
        s_raw ("intake", cases [i], lens [i], &answer);
        assert_int_equal (gl_answer_check (&answer.root, &err), -1);
        assert_int_equal (err.code, GL_MALFORMED);
        gl_doc_fini (&answer);
    }
    assert_true (tk_status (s_net, "intake", "uptime_ms") >= 0);
}

static void
test_oversized_frame_is_dropped_and_service_lives_on (void **state)
{
    size_t size = (size_t) s_net->cfg.max_msg_bytes + 1;
    char *big = calloc (1, size);
    big [0] = (char) 0x81;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    tk_connect (s_net, dealer, tk_endpoint (s_net, "intake"));
    zmq_send (zsock_resolve (dealer), "", 0, ZMQ_SNDMORE);
    zmq_send (zsock_resolve (dealer), big, size, 0);
    zsock_destroy (&dealer);
    free (big);
    assert_true (tk_status (s_net, "intake", "uptime_ms") >= 0);
}

static void
test_req_and_undelimited_dealer_framings_are_answered (void **state)
{
    msgpack_sbuffer req;
    gl_request_build (&req, "status", false, NULL);
    zsock_t *sock = zsock_new (ZMQ_REQ);
    tk_connect (s_net, sock, tk_endpoint (s_net, "intake"));
    zsock_set_rcvtimeo (sock, 3000);
    zmq_send (zsock_resolve (sock), req.data, req.size, 0);
    zframe_t *frame = zframe_recv (sock);
    assert_non_null (frame);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, zframe_data (frame), zframe_size (frame), &err), 0);
    assert_true (gl_str_eq (gl_map_get (&doc.root, "name"), "intake"));
    gl_doc_fini (&doc);
    zframe_destroy (&frame);
    zsock_destroy (&sock);

    sock = zsock_new (ZMQ_DEALER);
    tk_connect (s_net, sock, tk_endpoint (s_net, "intake"));
    zsock_set_rcvtimeo (sock, 3000);
    zmq_send (zsock_resolve (sock), req.data, req.size, 0);    //  no empty delimiter
    zmsg_t *msg = zmsg_recv (sock);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 1);
    zmsg_destroy (&msg);
    zsock_destroy (&sock);
    msgpack_sbuffer_destroy (&req);
}

static void
test_replay_returns_the_outbox_in_order (void **state)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_u64 (&w, "from", 1);
    gl_mapw_u64 (&w, "max", 2);
    msgpack_sbuffer req;
    gl_request_build (&req, "replay", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (s_ask ("intake", &req, &answer, &err), GL_OK);
    uint64_t first = 0, last = 0, epoch = 0;
    assert_true (gl_get_u64 (&answer.root, "first", &first));
    assert_true (gl_get_u64 (&answer.root, "last", &last));
    assert_true (gl_get_u64 (&answer.root, "epoch", &epoch));
    assert_int_equal (first, 1);
    assert_true (last >= 2);
    assert_int_equal ((int64_t) epoch, tk_status (s_net, "intake", "epoch"));
    const msgpack_object *messages = gl_map_get (&answer.root, "messages");
    assert_int_equal (messages->via.array.size, 2);
    for (uint32_t i = 0; i < 2; i++) {
        const msgpack_object *bin = &messages->via.array.ptr [i].via.array.ptr [1];
        gl_doc_t env_doc;
        gl_envelope_t env;
        assert_int_equal (gl_envelope_decode (&env_doc, bin->via.bin.ptr, bin->via.bin.size,
                                              &env, &err), 0);
        assert_int_equal (env.seq, i + 1);
        gl_doc_fini (&env_doc);
    }
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
}

static void
test_get_of_unknown_event_is_not_found (void **state)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", "500235-19990101-000000001");
    msgpack_sbuffer req;
    gl_request_build (&req, "get", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (s_ask ("archive", &req, &answer, &err), GL_NOT_FOUND);
    assert_non_null (strstr (err.message, "500235-19990101-000000001"));
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
}

static void
test_clock_cannot_be_moved_on_wall_time (void **state)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_i64 (&w, "advance_ms", 1000);
    msgpack_sbuffer req;
    gl_request_build (&req, "clock", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (s_ask ("intake", &req, &answer, &err), GL_FORBIDDEN);
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
}

static void
test_status_of_every_process_reports_positions (void **state)
{
    assert_true (tk_status (s_net, "bus", "forwarded") > 0);
    assert_true (tk_status (s_net, "intake", "last_seq") > 0);
    assert_int_equal (tk_wait_caught_up (s_net, "archive", "intake", 1, 10000), 0);
    assert_int_equal (tk_status (s_net, "archive", "inbox.intake.lag"), 0);
    assert_int_equal (tk_status (s_net, "archive", "events"),
                      tk_status (s_net, "intake", "last_seq"));
}

static int
s_setup (void **state)
{
    s_net = tk_net_new (21400, NULL);
    tk_start (s_net, "bus");
    tk_start (s_net, "intake");
    tk_start (s_net, "archive");
    return 0;
}

static int
s_teardown (void **state)
{
    tk_net_destroy (&s_net);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_report_gets_a_readable_sortable_id),
        cmocka_unit_test (test_retry_with_same_req_id_returns_first_answer_and_changes_nothing),
        cmocka_unit_test (test_archive_holds_the_reported_event_with_its_body),
        cmocka_unit_test (test_bad_reports_are_refused_with_a_plain_reason),
        cmocka_unit_test (test_malformed_bytes_are_answered_malformed),
        cmocka_unit_test (test_oversized_frame_is_dropped_and_service_lives_on),
        cmocka_unit_test (test_req_and_undelimited_dealer_framings_are_answered),
        cmocka_unit_test (test_replay_returns_the_outbox_in_order),
        cmocka_unit_test (test_get_of_unknown_event_is_not_found),
        cmocka_unit_test (test_clock_cannot_be_moved_on_wall_time),
        cmocka_unit_test (test_status_of_every_process_reports_positions),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

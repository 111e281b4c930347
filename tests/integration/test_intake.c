/*  Integration: intake against the bundled Yunyang county — every field's check, triage, dedup
    keys across an event's close, retries. Real intake, bus and archive processes; the closing
    of events comes from a stand-in dispatcher built on the same service skeleton, running in
    this test on real sockets (the real dispatcher has its own issue).  */
#include "testkit.h"
#include "gl_json.h"
#include "gl_service.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static tk_net_t *s_net;
static zactor_t *s_dispatcher;

//  ---------------------------------------------------------------------------------------------
//  The stand-in dispatcher: op "close" {req_id, id} publishes dispatcher.event.closed.

static int
s_close (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    char id [GL_MAX_NAME + 1];
    if (!gl_get_strbuf (req, "id", id, sizeof id))
        return gl_fail (err, GL_INVALID, "field 'id' is required");
    static const uint8_t empty_map = 0x80;
    return gl_ctx_emit (ctx, "event.closed", NULL, id, &empty_map, 1);
}

static const gl_op_t s_dispatcher_ops [] = { { .name = "close", .fn = s_close, .mutating = true, .schema = NULL } };
static const gl_service_def_t s_dispatcher_def = {
    .name = "dispatcher", .svc = GL_SVC_DISPATCHER, .ops = s_dispatcher_ops, .nops = 1
};

//  ---------------------------------------------------------------------------------------------

//  A complete, valid report with every field, as JSON; each case edits it.
static const char *s_full =
    "{\"op\":\"report\",\"category\":\"01.05\",\"grid\":\"RH-01-02\","
    "\"description\":\"人和街道某工地拖欠12名农民工工资，工人聚集讨薪\","
    "\"reporter\":{\"id\":\"GW-0002\",\"role\":\"grid_worker\",\"name\":\"马俊怡\","
    "\"phone\":\"13800000000\"},\"channel\":\"app\",\"priority\":\"P2\","
    "\"location\":{\"lat\":30.95,\"lon\":108.69,\"address\":\"人和街道某工地\"},"
    "\"people\":12,\"amount\":86000.5,\"attachments\":[\"https://files/a.jpg\"],"
    "\"handled_on_site\":false,\"evidence\":\"现场拍照\",\"key\":\"wage-RH-site-7\"}";

static unsigned s_req;

//  Send the document (JSON) with a fresh req_id, or the given one; returns the answer's code.
static gl_code_t
s_send (json_t *doc, const char *req_id, gl_doc_t *answer, gl_err_t *err)
{
    char fresh [40];
    if (!req_id) {
        snprintf (fresh, sizeof fresh, "intake-test-%u", ++s_req);
        req_id = fresh;
    }
    json_object_set_new (doc, "req_id", json_string (req_id));
    msgpack_sbuffer req;
    msgpack_sbuffer_init (&req);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &req, msgpack_sbuffer_write);
    assert_int_equal (gl_json_to_msgpack (doc, &pk, err), 0);
    assert_int_equal (tk_call (s_net, "intake", req.data, req.size, answer, 5000), 0);
    msgpack_sbuffer_destroy (&req);
    return gl_answer_check (&answer->root, err) == 0? GL_OK: err->code;
}

//  Apply "path=json-value" (or "path" alone to delete) to a copy of the full report.
static json_t *
s_edit (const char *edit)
{
    json_t *doc = json_loads (s_full, JSON_PRESERVE_ORDER, NULL);
    char path [128];
    snprintf (path, sizeof path, "%s", edit);
    char *value = strchr (path, '=');
    if (value)
        *value++ = 0;
    json_t *parent = doc;
    char *dot = strchr (path, '.');
    char *key = path;
    if (dot) {
        *dot = 0;
        parent = json_object_get (doc, path);
        key = dot + 1;
    }
    if (value)
        json_object_set_new (parent, key, json_loads (value, JSON_DECODE_ANY, NULL));
    else
        json_object_del (parent, key);
    return doc;
}

static void
test_every_field_is_checked_with_a_plain_reason (void **state)
{
    static const struct {
        const char *edit;       //  what is wrong
        gl_code_t code;         //  expected
        const char *says;       //  in the message
    } cases [] = {
        { "category", GL_INVALID, "'category' is required" },
        { "category=\"1.5\"", GL_INVALID, "'category' is 3 bytes" },
        { "category=\"01.55\"", GL_INVALID, "not on 云阳县's category list" },
        { "grid", GL_INVALID, "'grid' is required" },
        { "grid=\"XX-01-01\"", GL_INVALID, "no such grid in 云阳县" },
        { "grid=\"RH-01\"", GL_INVALID, "which is a community" },
        { "grid=\"RH-01-02-03-04-05-06-07-08-09-10-11\"", GL_TOO_LARGE, "'grid' is" },
        { "description", GL_INVALID, "'description' is required" },
        { "description=\"\"", GL_INVALID, "'description' must not be empty" },
        { "reporter", GL_INVALID, "'reporter' is required" },
        { "reporter=\"GW-0002\"", GL_INVALID, "'reporter' must be a map" },
        { "reporter.id", GL_INVALID, "'reporter.id' is required" },
        { "reporter.id=\"GW-9999\"", GL_INVALID, "nobody with role grid_worker" },
        { "reporter.role", GL_INVALID, "'reporter.role' is required" },
        { "reporter.role=\"mayor\"", GL_INVALID, "'reporter.role' is \"mayor\"" },
        { "reporter.role=\"grid_leader\"", GL_INVALID, "is a grid_worker on the staff list" },
        { "reporter.name=\"" "一二三四五六七八九十一二三四五六七八九十一二三" "\"", GL_TOO_LARGE,
          "'reporter.name' is 69 bytes" },
        { "reporter.phone=12345", GL_INVALID, "'reporter.phone' must be a string" },
        { "channel", GL_INVALID, "'channel' is required" },
        { "channel=\"wechat\"", GL_INVALID, "\"hotline\"" },
        { "priority=\"P5\"", GL_INVALID, "'priority' must be one of" },
        { "location=[1,2]", GL_INVALID, "'location' must be a map" },
        { "location.lat=91.0", GL_INVALID, "'location.lat' is 91" },
        { "location.lon", GL_INVALID, "'location.lon' is missing" },
        { "location.lon=\"108.7\"", GL_INVALID, "'location.lon' must be a number" },
        { "people=-1", GL_INVALID, "'people' must be a non-negative integer" },
        { "people=100001", GL_INVALID, "'people' is 100001" },
        { "amount=-5", GL_INVALID, "'amount' is -5" },
        { "attachments=\"a.jpg\"", GL_INVALID, "'attachments' must be an array of strings" },
        { "attachments=[\"\"]", GL_INVALID, "'attachments[0]' must be a non-empty string" },
        { "attachments=[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\","
          "\"12\",\"13\",\"14\",\"15\",\"16\",\"17\"]", GL_TOO_LARGE, "'attachments' has 17" },
        { "handled_on_site=1", GL_INVALID, "'handled_on_site' must be true or false" },
        { "evidence", GL_OK, NULL },    //  fine while handled_on_site is false
        { "key=7", GL_INVALID, "'key' must be a string" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        int64_t last = tk_status (s_net, "intake", "last_seq");
        json_t *doc = s_edit (cases [i].edit);
        if (strncmp (cases [i].edit, "key", 3))
            json_object_del (doc, "key");   //  keep events apart
        gl_doc_t answer;
        gl_err_t err = { GL_OK, "" };
        gl_code_t code = s_send (doc, NULL, &answer, &err);
        json_decref (doc);
        if (code != cases [i].code || (cases [i].says && !strstr (err.message, cases [i].says)))
            fail_msg ("case '%s': expected %s mentioning \"%s\", got %s: %s", cases [i].edit,
                      gl_code_name (cases [i].code), cases [i].says? cases [i].says: "",
                      gl_code_name (code), code == GL_OK? "(ok)": err.message);
        gl_doc_fini (&answer);
        //  A refusal changes nothing.
        if (cases [i].code != GL_OK)
            assert_int_equal (tk_status (s_net, "intake", "last_seq"), last);
    }
    //  Evidence is required when the reporter says it was handled on the spot.
    json_t *doc = s_edit ("handled_on_site=true");
    json_object_del (doc, "evidence");
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (s_send (doc, NULL, &answer, &err), GL_INVALID);
    assert_non_null (strstr (err.message, "'evidence' is required when handled_on_site"));
    gl_doc_fini (&answer);
    json_decref (doc);
}

//  Fetch an event's history from the archive (waiting for it to arrive).
static void
s_history (const char *id, gl_doc_t *answer, uint32_t want)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", id);
    msgpack_sbuffer req;
    gl_request_build (&req, "get", false, &w);
    gl_mapw_fini (&w);
    gl_err_t err;
    for (int i = 0; i < 200; i++) {
        assert_int_equal (tk_call (s_net, "archive", req.data, req.size, answer, 3000), 0);
        const msgpack_object *m = gl_map_get (&answer->root, "messages");
        if (gl_answer_check (&answer->root, &err) == 0 && m && m->via.array.size >= want)
            break;
        gl_doc_fini (answer);
        zclock_sleep (25);              //  the archive is another process: poll it
    }
    msgpack_sbuffer_destroy (&req);
}

static void
test_full_report_is_published_with_triage_from_the_county_rules (void **state)
{
    json_t *doc = s_edit ("key");
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (s_send (doc, NULL, &answer, &err), GL_OK);
    json_decref (doc);
    char id [GL_MAX_NAME + 1];
    assert_true (gl_get_strbuf (&answer.root, "id", id, sizeof id));
    gl_doc_fini (&answer);
    s_history (id, &answer, 1);
    const msgpack_object *m = &gl_map_get (&answer.root, "messages")->via.array.ptr [0];
    const msgpack_object *body = gl_map_get (gl_map_get (m, "envelope"), "body");
    assert_true (gl_str_eq (gl_map_get (body, "category"), "01.05"));
    uint64_t people = 0;
    assert_true (gl_get_u64 (body, "people", &people));
    assert_int_equal (people, 12);
    const msgpack_object *triage = gl_map_get (body, "triage");
    assert_true (gl_str_eq (gl_map_get (triage, "street"), "RH"));
    assert_true (gl_str_eq (gl_map_get (triage, "community"), "RH-01"));
    assert_true (gl_str_eq (gl_map_get (triage, "board"), "safety"));
    bool dispute = false;
    assert_true (gl_get_bool (triage, "dispute", &dispute));
    assert_true (dispute);                  //  unpaid wages: a dispute, mediation applies
    assert_non_null (gl_map_get (triage, "county_handler"));
    gl_doc_fini (&answer);
}

static char *
s_keyed (const char *key, const char *req_id, bool *duplicate, uint64_t *attached)
{
    json_t *doc = s_edit (key);
    gl_doc_t answer;
    gl_err_t err;
    gl_code_t code = s_send (doc, req_id, &answer, &err);
    json_decref (doc);
    if (code != GL_OK)
        fail_msg ("keyed report refused: %s", err.message);
    char id [GL_MAX_NAME + 1];
    assert_true (gl_get_strbuf (&answer.root, "id", id, sizeof id));
    *duplicate = false;
    *attached = 0;
    gl_get_bool (&answer.root, "duplicate", duplicate);
    gl_get_u64 (&answer.root, "attached", attached);
    gl_doc_fini (&answer);
    return strdup (id);
}

static void
test_dedup_key_attaches_while_open_and_opens_a_new_event_after_close (void **state)
{
    bool dup;
    uint64_t attached;
    char *first = s_keyed ("key=\"flood-QL-pump-3\"", NULL, &dup, &attached);
    assert_false (dup);
    char *second = s_keyed ("key=\"flood-QL-pump-3\"", "attach-retry", &dup, &attached);
    assert_true (dup);
    assert_string_equal (second, first);
    assert_int_equal (attached, 1);
    //  A retry of the attaching request: the same answer, not a second attachment.
    char *again = s_keyed ("key=\"flood-QL-pump-3\"", "attach-retry", &dup, &attached);
    assert_string_equal (again, first);
    assert_int_equal (attached, 1);
    char *third = s_keyed ("key=\"flood-QL-pump-3\"", NULL, &dup, &attached);
    assert_string_equal (third, first);
    assert_int_equal (attached, 2);
    //  The archive keeps the attached reports in the event's history.
    gl_doc_t answer;
    s_history (first, &answer, 3);
    assert_int_equal (gl_map_get (&answer.root, "messages")->via.array.size, 3);
    gl_doc_fini (&answer);

    //  The dispatcher closes the event: the key is free, the next report opens a new event.
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", first);
    msgpack_sbuffer req;
    gl_request_build (&req, "close", true, &w);
    gl_mapw_fini (&w);
    gl_err_t err;
    assert_int_equal (tk_call (s_net, "dispatcher", req.data, req.size, &answer, 3000), 0);
    assert_int_equal (gl_answer_check (&answer.root, &err), 0);
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
    assert_int_equal (tk_wait_caught_up (s_net, "intake", "dispatcher", 1, 10000), 0);
    char *fresh = s_keyed ("key=\"flood-QL-pump-3\"", NULL, &dup, &attached);
    assert_false (dup);
    assert_string_not_equal (fresh, first);
    //  And that new event attaches the next one.
    char *next = s_keyed ("key=\"flood-QL-pump-3\"", NULL, &dup, &attached);
    assert_true (dup);
    assert_string_equal (next, fresh);
    assert_int_equal (tk_status (s_net, "intake", "attached"), 3);
    free (first);
    free (second);
    free (again);
    free (third);
    free (fresh);
    free (next);
}

static int
s_setup (void **state)
{
    s_net = tk_net_new (21900, NULL);
    tk_start (s_net, "bus");
    tk_start (s_net, "intake");
    tk_start (s_net, "archive");
    static gl_service_args_t args;
    args.def = &s_dispatcher_def;
    args.cfg = &s_net->cfg;
    s_dispatcher = zactor_new (gl_service_actor, &args);
    return 0;
}

static int
s_teardown (void **state)
{
    zactor_destroy (&s_dispatcher);
    tk_net_destroy (&s_net);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_field_is_checked_with_a_plain_reason),
        cmocka_unit_test (test_full_report_is_published_with_triage_from_the_county_rules),
        cmocka_unit_test (test_dedup_key_attaches_while_open_and_opens_a_new_event_after_close),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

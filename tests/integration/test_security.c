/*  Integration: secure by default (DESIGN.md §8, gl_security.h) through real processes on
    loopback. A client without a certificate, with an unknown one or a revoked one gets nothing
    through and is counted; a unit's certificate acts and reads only as its unit, and a body
    that claims another is refused; the bus refuses a message on a topic its publisher's
    certificate does not own, even one forged with the producer's real epoch and next seq, and
    lets a unit follow only its own work; a req_id's kept answer belongs to the caller that
    made it.  */
#include "testkit.h"
#include "gl_clock.h"
#include "gl_json.h"
#include "gl_security.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define S_PORTS     24200       //  this test's ports (24200 … 24214)
#define S_QUIET_MS  1500        //  how long a refused client waits to be sure nothing comes
#define S_WAIT_MS   10000

static tk_net_t *s_net;
static unsigned s_req;

//  A certificate for unit with role, allowed at the services given (NULL-terminated).
static void
s_cert (const char *name, const char *unit, const char *role, const char *const *at)
{
    gl_err_t err;
    if (gl_sec_cert_new (s_net->cfg.certs_dir, name, unit, role, NULL, &err)
    ||  (at && gl_sec_allow (s_net->cfg.certs_dir, name, at, &err)))
        fail_msg ("certificate %s: %s", name, err.message);
}

//  A report request as the certificate `as` (NULL: the operator seat); the answer's code, or
//  GL_UNAVAILABLE when nothing came back. *id gets the new event's id when there is one.
static gl_code_t
s_report_as (const char *as, const char *req_id, char *id, size_t size)
{
    msgpack_sbuffer req;
    char own [32];
    if (!req_id) {
        snprintf (own, sizeof own, "security-%u", ++s_req);
        req_id = own;
    }
    tk_report_request (&req, req_id, 0, 0);    //  a fire hazard (03.01) in SJ-01-01
    gl_client_t *client = gl_client_new_as (NULL, tk_endpoint (s_net, "intake"), S_QUIET_MS,
                                            s_net->cfg.max_msg_bytes, as);
    gl_doc_t answer;
    gl_err_t err;
    gl_code_t code = GL_UNAVAILABLE;
    if (gl_client_call (client, req.data, req.size, &answer, 1, &err) == 0) {
        code = gl_answer_check (&answer.root, &err) == 0? GL_OK: err.code;
        if (id && code == GL_OK)
            gl_get_strbuf (&answer.root, "id", id, size);
    }
    gl_doc_fini (&answer);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    return code;
}

//  A lifecycle request to the dispatcher as certificate `as` (a JSON object text); its code
//  and message.
static gl_code_t
s_ask_as (const char *service, const char *as, const char *text, char *message, size_t size);

static gl_code_t
s_dispatcher_as (const char *as, const char *text, char *message, size_t size)
{
    return s_ask_as ("dispatcher", as, text, message, size);
}

//  A request to a service as certificate `as` (a JSON object text; "req_id": null gets a
//  fresh one); its code and message.
static gl_code_t
s_ask_as (const char *service, const char *as, const char *text, char *message, size_t size)
{
    json_t *doc = tk_json (text);
    if (json_object_get (doc, "req_id")) {
        char req_id [32];
        snprintf (req_id, sizeof req_id, "security-d-%u", ++s_req);
        json_object_set_new (doc, "req_id", json_string (req_id));
    }
    msgpack_sbuffer req;
    msgpack_sbuffer_init (&req);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &req, msgpack_sbuffer_write);
    gl_err_t err;
    assert_int_equal (gl_json_to_msgpack (doc, &pk, &err), 0);
    json_decref (doc);
    gl_client_t *client = gl_client_new_as (NULL, tk_endpoint (s_net, service), S_WAIT_MS,
                                            s_net->cfg.max_msg_bytes, as);
    gl_doc_t answer;
    gl_code_t code = GL_UNAVAILABLE;
    snprintf (message, size, "no answer");
    if (gl_client_call (client, req.data, req.size, &answer, 1, &err) == 0) {
        code = gl_answer_check (&answer.root, &err) == 0? GL_OK: err.code;
        snprintf (message, size, "%s", code == GL_OK? "": err.message);
    }
    gl_doc_fini (&answer);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    return code;
}

static void
test_no_unknown_or_revoked_certificate_gets_nothing_through (void **state)
{
    int64_t seq = tk_status (s_net, "intake", "last_seq");
    int64_t refused = tk_status (s_net, "intake", "auth_refused");
    //  No certificate at all: a plain ZeroMQ client.
    zsock_t *plain = zsock_new_dealer (tk_endpoint (s_net, "intake"));
    msgpack_sbuffer req;
    tk_report_request (&req, "security-plain", 1, 0);
    zmq_send (zsock_resolve (plain), "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (zsock_resolve (plain), req.data, req.size, ZMQ_DONTWAIT);
    msgpack_sbuffer_destroy (&req);
    zpoller_t *poller = zpoller_new (plain, NULL);
    assert_null (zpoller_wait (poller, S_QUIET_MS));
    zpoller_destroy (&poller);
    zsock_destroy (&plain);
    //  A certificate nobody allowed.
    s_cert ("stranger", "SJ-B4", "unit", NULL);
    assert_int_equal (s_report_as ("stranger", NULL, NULL, 0), GL_UNAVAILABLE);
    //  An allowed one works until it is revoked; then nothing, without a restart.
    static const char *const at_intake [] = { "intake", NULL };
    s_cert ("desk", "SJ-B4", "unit", at_intake);
    char id [80] = "";
    assert_int_equal (s_report_as ("desk", NULL, id, sizeof id), GL_OK);
    assert_true (*id);
    int64_t after_desk = tk_status (s_net, "intake", "last_seq");
    gl_err_t err;
    assert_int_equal (gl_sec_revoke (s_net->cfg.certs_dir, "desk", at_intake, &err), 0);
    assert_int_equal (s_report_as ("desk", NULL, NULL, 0), GL_UNAVAILABLE);
    //  Nothing stored, nothing published by any of the three; each refusal counted.
    assert_int_equal (tk_status (s_net, "intake", "last_seq"), after_desk);
    assert_true (after_desk > seq);
    int64_t now_refused = tk_status (s_net, "intake", "auth_refused");
    if (now_refused < refused + 3)
        fail_msg ("intake counted %lld refused handshakes; expected at least %lld",
                  (long long) now_refused, (long long) refused + 3);
}

static void
test_a_unit_acts_and_reads_only_as_its_certificate (void **state)
{
    static const char *const at_dispatcher [] = { "dispatcher", "archive", NULL };
    s_cert ("b3-desk", "SJ-B3", "unit", at_dispatcher);
    s_cert ("b4-desk", "SJ-B4", "unit", at_dispatcher);
    //  A fire hazard in SJ-01-01: dispatched to SJ-B4 (the operator seat reports it).
    char id [80] = "";
    assert_int_equal (s_report_as (NULL, NULL, id, sizeof id), GL_OK);
    char text [512], message [512];
    int64_t end = zclock_mono () + S_WAIT_MS;
    snprintf (text, sizeof text, "{\"op\": \"get\", \"id\": \"%s\"}", id);
    while (s_dispatcher_as (NULL, text, message, sizeof message) != GL_OK) {
        if (zclock_mono () > end)
            fail_msg ("the dispatcher never filed %s", id);
        zclock_sleep (20);
    }
    //  SJ-B3's certificate cannot read it, nor SJ-B4's queue; SJ-B4's can.
    assert_int_equal (s_dispatcher_as ("b3-desk", text, message, sizeof message), GL_FORBIDDEN);
    assert_non_null (strstr (message, "nothing to do with event"));
    assert_int_equal (s_dispatcher_as ("b4-desk", text, message, sizeof message), GL_OK);
    assert_int_equal (s_dispatcher_as ("b3-desk", "{\"op\": \"queue\", \"unit\": \"SJ-B4\"}",
                                       message, sizeof message), GL_FORBIDDEN);
    //  A body that claims SJ-B4 from SJ-B3's certificate is refused, logged and counted.
    int64_t claimed = tk_status (s_net, "dispatcher", "identity_refused");
    const char *person = tk_person_for (s_net, "sign", "SJ-B4");
    snprintf (text, sizeof text, "{\"op\": \"sign\", \"req_id\": null, \"id\": \"%s\", "
              "\"actor\": {\"unit\": \"SJ-B4\", \"person\": \"%s\"}}", id, person);
    assert_int_equal (s_dispatcher_as ("b3-desk", text, message, sizeof message), GL_FORBIDDEN);
    assert_non_null (strstr (message, "is for SJ-B3"));
    assert_int_equal (tk_status (s_net, "dispatcher", "identity_refused"), claimed + 1);
    //  The same from SJ-B4's own certificate is carried out.
    assert_int_equal (s_dispatcher_as ("b4-desk", text, message, sizeof message), GL_OK);
    //  The archive, likewise: SJ-B4 reads the event's history, SJ-B3 neither that, nor a
    //  search of SJ-B4's events, nor the whole archive.
    if (tk_wait_caught_up (s_net, "archive", "dispatcher",
                           tk_status (s_net, "dispatcher", "last_seq"), S_WAIT_MS))
        fail_msg ("the archive did not catch up with the dispatcher");
    snprintf (text, sizeof text, "{\"op\": \"get\", \"id\": \"%s\"}", id);
    assert_int_equal (s_ask_as ("archive", "b4-desk", text, message, sizeof message), GL_OK);
    assert_int_equal (s_ask_as ("archive", "b3-desk", text, message, sizeof message),
                      GL_FORBIDDEN);
    assert_non_null (strstr (message, "never touched"));
    assert_int_equal (s_ask_as ("archive", "b3-desk", "{\"op\": \"search\", \"unit\": \"SJ-B4\"}",
                                message, sizeof message), GL_FORBIDDEN);
    assert_int_equal (s_ask_as ("archive", "b3-desk", "{\"op\": \"list\"}", message,
                                sizeof message), GL_FORBIDDEN);
}

static void
s_forge (zsock_t *pub, const char *topic, const char *src, uint64_t epoch, uint64_t seq)
{
    gl_mapw_t body;
    gl_mapw_init (&body);
    gl_mapw_str (&body, "category", "03.01");
    gl_mapw_str (&body, "grid", "SJ-01-01");
    gl_mapw_str (&body, "description", "伪造的事件");
    msgpack_sbuffer b, env;
    gl_mapw_finish (&body, &b);
    gl_mapw_fini (&body);
    msgpack_sbuffer_init (&env);
    gl_envelope_encode (&env, "event.reported", src, epoch, seq, gl_clock_now (),
                        "500235-20261129-999999999", b.data, b.size);
    zmq_send (zsock_resolve (pub), topic, strlen (topic), ZMQ_SNDMORE);
    zmq_send (zsock_resolve (pub), env.data, env.size, 0);
    msgpack_sbuffer_destroy (&b);
    msgpack_sbuffer_destroy (&env);
}

static void
test_the_bus_refuses_a_topic_its_publisher_does_not_own (void **state)
{
    int64_t forged = tk_status (s_net, "bus", "forged");
    uint64_t epoch = (uint64_t) tk_status (s_net, "intake", "epoch");
    uint64_t next = (uint64_t) tk_status (s_net, "intake", "last_seq") + 1;
    int64_t applied = tk_status (s_net, "dispatcher", "inbox.intake.last");
    //  The operator seat and a department try intake's topic with its real epoch and next seq;
    //  the department also tries another department's.
    const char *as [] = { "operator", "police-110" };
    for (int i = 0; i < 2; i++) {
        zsock_t *pub = zsock_new (ZMQ_PUB);
        gl_err_t err;
        assert_int_equal (gl_sec_connect_as (NULL, pub, s_net->cfg.bus_frontend, as [i], &err), 0);
        //  Published until the bus has dropped ten of this publisher's (a PUB socket drops
        //  what it sends before its handshake is done: the count, not a delay, says when).
        int64_t end = zclock_mono () + S_WAIT_MS, target = forged + 10 * (i + 1);
        while (tk_status (s_net, "bus", "forged") < target) {
            if (zclock_mono () > end)
                fail_msg ("the bus counted %lld forged messages from %s; expected %lld",
                          (long long) tk_status (s_net, "bus", "forged"), as [i],
                          (long long) target);
            s_forge (pub, "intake.event.reported", "intake", epoch, next);
            s_forge (pub, "ext.hotline-12345.report", "hotline-12345", 1, 1);
            zclock_sleep (20);
        }
        zsock_destroy (&pub);
    }
    //  Nothing reached the dispatcher: intake's real seq `next`, when it comes, is intake's.
    assert_int_equal (tk_status (s_net, "dispatcher", "inbox.intake.last"), applied);
    char id [80];
    assert_int_equal (s_report_as (NULL, NULL, id, sizeof id), GL_OK);
    if (tk_wait_caught_up (s_net, "dispatcher", "intake", (int64_t) next, S_WAIT_MS))
        fail_msg ("the dispatcher did not take intake's real seq %llu", (unsigned long long) next);
    char text [160], message [512];
    snprintf (text, sizeof text, "{\"op\": \"get\", \"id\": \"500235-20261129-999999999\"}");
    assert_int_equal (s_dispatcher_as (NULL, text, message, sizeof message), GL_NOT_FOUND);
}

//  A subscriber as certificate `as`, following prefix.
static zsock_t *
s_follow (const char *as, const char *prefix)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (sub, prefix);
    gl_err_t err;
    if (gl_sec_connect_as (NULL, sub, s_net->cfg.bus_backend, as, &err))
        fail_msg ("%s", err.message);
    return sub;
}

static void
test_a_unit_follows_only_its_own_work_on_the_bus (void **state)
{
    static const char *const at_bus [] = { "bus", NULL };
    s_cert ("b3-watch", "SJ-B3", "unit", at_bus);
    s_cert ("b4-watch", "SJ-B4", "unit", at_bus);
    int64_t refused = tk_status (s_net, "bus", "sub_refused");
    //  SJ-B3 asks for the whole dispatcher stream: refused, counted, and nothing comes.
    zsock_t *prying = s_follow ("b3-watch", "dispatcher.");
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (tk_status (s_net, "bus", "sub_refused") <= refused) {
        if (zclock_mono () > end)
            fail_msg ("the bus did not refuse SJ-B3's subscription to the whole stream");
        zclock_sleep (20);
    }
    //  SJ-B4 follows what is dispatched to it: it gets each new dispatch (reported until one
    //  arrives: a subscription takes effect a moment after the connection).
    zsock_t *own = s_follow ("b4-watch", "dispatcher.event.dispatched.SJ-B4");
    zpoller_t *poller = zpoller_new (own, NULL);
    bool got = false;
    end = zclock_mono () + S_WAIT_MS;
    while (!got && zclock_mono () < end) {
        assert_int_equal (s_report_as (NULL, NULL, NULL, 0), GL_OK);
        got = zpoller_wait (poller, 500) != NULL;
    }
    zpoller_destroy (&poller);
    assert_true (got);
    //  Everything those reports caused went past SJ-B3's subscriber: none of it reached it.
    poller = zpoller_new (prying, NULL);
    assert_null (zpoller_wait (poller, S_QUIET_MS));
    zpoller_destroy (&poller);
    zsock_destroy (&own);
    zsock_destroy (&prying);
}

static void
test_a_kept_answer_belongs_to_the_caller_that_made_it (void **state)
{
    static const char *const at_intake [] = { "intake", NULL };
    s_cert ("grid-app", "SJ-01-01", "unit", at_intake);
    char first [80] = "", again [80] = "", other [80] = "";
    assert_int_equal (s_report_as (NULL, "security-shared-id", first, sizeof first), GL_OK);
    assert_int_equal (s_report_as (NULL, "security-shared-id", again, sizeof again), GL_OK);
    assert_string_equal (first, again);             //  a retry: the same answer
    //  Another certificate's req_id is its own request, never the first caller's answer.
    assert_int_equal (s_report_as ("grid-app", "security-shared-id", other, sizeof other),
                      GL_OK);
    assert_string_not_equal (first, other);
}

static int
s_setup (void **state)
{
    s_net = tk_net_new (S_PORTS, "intake\n    sources = \"police-110 hotline-12345\"\n"
                                 "archive\n    reads = \"intake dispatcher\"\n");
    tk_start (s_net, "bus");
    tk_start (s_net, "intake");
    tk_start (s_net, "dispatcher");
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
        cmocka_unit_test (test_no_unknown_or_revoked_certificate_gets_nothing_through),
        cmocka_unit_test (test_a_unit_acts_and_reads_only_as_its_certificate),
        cmocka_unit_test (test_the_bus_refuses_a_topic_its_publisher_does_not_own),
        cmocka_unit_test (test_a_unit_follows_only_its_own_work_on_the_bus),
        cmocka_unit_test (test_a_kept_answer_belongs_to_the_caller_that_made_it),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

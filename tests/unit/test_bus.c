/*  test_bus — the bus actor in-process on real sockets: messages go from publishers to the
    subscribers of their prefix, whole (both frames) and in order; the control socket answers
    status with what was forwarded; a second bus on the same endpoints is refused with a
    sentence; and messages over limits/max_envelope_bytes are not forwarded.  */
#include "unit.h"
#include "gl_bus.h"
#include "gl_client.h"

static gl_config_t s_cfg;

static int
s_setup (void **state)
{
    gl_err_t err;
    const char *text =
        "log\n    level = \"error\"\n"
        "security\n    mode = \"plain\"\n"    //  in-process: CURVE is integration_security's
        "limits\n    max_envelope_bytes = 2048\n"
        "bus\n    frontend = \"inproc://bus-test-front\"\n"
        "    backend = \"inproc://bus-test-back\"\n"
        "    control = \"inproc://bus-test-control\"\n";
    return gl_config_load_text (&s_cfg, text, &err);
}

//  Wait (bounded) until the subscription has reached the bus: publish probes until one is
//  received, then drain.
static void
s_join (zsock_t *pub, zsock_t *sub, const char *topic)
{
    zpoller_t *poller = zpoller_new (sub, NULL);
    bool joined = false;
    for (int i = 0; i < 200 && !joined; i++) {
        zstr_sendx (pub, topic, "probe", NULL);
        joined = zpoller_wait (poller, 10) != NULL;
    }
    assert_true (joined);
    zmsg_t *msg;
    while (zpoller_wait (poller, 50) && (msg = zmsg_recv (sub)))
        zmsg_destroy (&msg);
    zpoller_destroy (&poller);
}

static uint64_t
s_status (const char *key)
{
    msgpack_sbuffer req;
    gl_request_build (&req, "status", false, NULL);
    gl_client_t *client = gl_client_new (s_cfg.bus_control, 2000, 1 << 20);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (gl_client_call (client, req.data, req.size, &answer, 3, &err), 0);
    uint64_t value = 0;
    assert_true (gl_get_u64 (&answer.root, key, &value));
    gl_doc_fini (&answer);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    return value;
}

static void
test_messages_go_to_the_subscribers_of_their_prefix_whole_and_in_order (void **state)
{
    gl_err_t err;
    zactor_t *bus = gl_bus_start (&s_cfg, &err);
    assert_non_null (bus);
    zsock_t *pub = zsock_new_pub (">inproc://bus-test-front");
    zsock_t *intake_sub = zsock_new_sub (">inproc://bus-test-back", "intake.");
    zsock_t *other_sub = zsock_new_sub (">inproc://bus-test-back", "dispatcher.");
    s_join (pub, intake_sub, "intake.probe");
    s_join (pub, other_sub, "dispatcher.probe");
    uint64_t before = s_status ("forwarded");
    for (int i = 0; i < 100; i++)
        zstr_sendx (pub, "intake.event.reported", (char [8]) { '0' + i / 10, '0' + i % 10, 0 },
                    NULL);
    for (int i = 0; i < 100; i++) {
        char *topic, *body;
        assert_int_equal (zstr_recvx (intake_sub, &topic, &body, NULL), 2);
        assert_string_equal (topic, "intake.event.reported");
        assert_int_equal (atoi (body), i);
        zstr_free (&topic);
        zstr_free (&body);
    }
    //  The other subscriber saw none of them.
    zsock_set_rcvtimeo (other_sub, 100);
    char *nothing = zstr_recv (other_sub);
    assert_null (nothing);
    assert_true (s_status ("forwarded") >= before + 100);
    assert_true (s_status ("subscriptions") >= 2);

    //  An envelope over max_envelope_bytes is never forwarded; the next one is.
    char big [4096];
    memset (big, 'x', sizeof big - 1);
    big [sizeof big - 1] = 0;
    zstr_sendx (pub, "intake.big", big, NULL);
    zstr_sendx (pub, "intake.small", "after", NULL);
    char *topic, *body;
    zsock_set_rcvtimeo (intake_sub, 2000);
    assert_int_equal (zstr_recvx (intake_sub, &topic, &body, NULL), 2);
    assert_string_equal (topic, "intake.small");
    zstr_free (&topic);
    zstr_free (&body);
    //  So is a message of three frames.
    zstr_sendx (pub, "intake.three", "a", "b", NULL);
    zstr_sendx (pub, "intake.small", "again", NULL);
    assert_int_equal (zstr_recvx (intake_sub, &topic, &body, NULL), 2);
    assert_string_equal (body, "again");
    zstr_free (&topic);
    zstr_free (&body);
    assert_int_equal (s_status ("dropped"), 2);

    zsock_destroy (&pub);
    zsock_destroy (&intake_sub);
    zsock_destroy (&other_sub);
    zactor_destroy (&bus);
}

static void
test_a_second_bus_on_the_same_endpoints_is_refused_with_a_sentence (void **state)
{
    gl_err_t err;
    zactor_t *bus = gl_bus_start (&s_cfg, &err);
    assert_non_null (bus);
    zactor_t *second = gl_bus_start (&s_cfg, &err);
    assert_null (second);
    assert_int_equal (err.code, GL_UNAVAILABLE);
    assert_non_null (strstr (err.message, "cannot bind inproc://bus-test-front"));
    assert_non_null (strstr (err.message, "bus/frontend"));
    zactor_destroy (&bus);
}

static void
test_control_answers_only_status (void **state)
{
    gl_err_t err;
    zactor_t *bus = gl_bus_start (&s_cfg, &err);
    assert_non_null (bus);
    assert_true (s_status ("pid") > 0);
    msgpack_sbuffer req;
    gl_request_build (&req, "replay", false, NULL);
    gl_client_t *client = gl_client_new (s_cfg.bus_control, 2000, 1 << 20);
    gl_doc_t answer;
    assert_int_equal (gl_client_call (client, req.data, req.size, &answer, 3, &err), 0);
    assert_int_equal (gl_answer_check (&answer.root, &err), -1);
    assert_int_equal (err.code, GL_UNSUPPORTED);
    gl_doc_fini (&answer);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    assert_int_equal (s_status ("errors"), 1);
    zactor_destroy (&bus);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_messages_go_to_the_subscribers_of_their_prefix_whole_and_in_order),
        cmocka_unit_test (test_a_second_bus_on_the_same_endpoints_is_refused_with_a_sentence),
        cmocka_unit_test (test_control_answers_only_status),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}

/*  Integration: nothing forged, nothing unbounded. Each test reproduces one attack or one
    growth over the public protocol, as anyone who can reach the bus or a service's port could,
    and shows it refused, bounded or repaired:
    - a heartbeat with a made-up epoch does not cut the dispatcher off intake's stream, and no
      bad position is stored;
    - forged events (a made-up epoch; a src that is not the topic's producer) are dropped and
      counted, never applied;
    - a fake producer on an unbound producer port cannot feed another producer's messages into
      a replay;
    - a forged FORBIDDEN answer does not make a department drop its report;
    - a flood of 1 MiB requests, and a client that asks for replays and never reads them,
      leave intake within its memory bounds;
    - the answers kept for retries are bounded by count, departmental answers by age, and an
      unregistered source leaves nothing stored;
    - a req_id reused for another request is CONFLICT; text that is not UTF-8 is INVALID,
      naming the field; `gridloop tail` shows control characters instead of obeying them; a
      second process on a data directory is refused, naming the first.
    (A forged event with the producer's real epoch and next seq needs credentials to refuse:
    it is the CURVE tests' to show, refused at the bus.)  */
#include "testkit.h"
#include "gl_clock.h"
#include "gl_dept.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define S_PORT 26000
//  The tests that publish forged messages or impersonate a producer run their network without
//  certificates (security/mode = "plain"): the consumers' own checks (gl_stream.h) are then all
//  that stands, and these tests prove them. With certificates the bus refuses such messages before
//  any consumer sees them (tests/integration/test_security.c).
#define S_PLAIN "security\n    mode = \"plain\"\n"

//  A raw publisher on the bus, as anyone can connect one.
static zsock_t *
s_publisher (tk_net_t *net)
{
    zsock_t *pub = zsock_new (ZMQ_PUB);
    gl_socket_limits (pub, net->cfg.max_msg_bytes, 0);
    tk_connect (net, pub, net->cfg.bus_frontend);
    return pub;
}

//  Publish one envelope on topic.
static void
s_publish (zsock_t *pub, const char *topic, const char *type, const char *src, uint64_t epoch,
           uint64_t seq, const char *id, gl_mapw_t *body)
{
    msgpack_sbuffer b, env;
    gl_mapw_finish (body, &b);
    msgpack_sbuffer_init (&env);
    gl_envelope_encode (&env, type, src, epoch, seq, gl_clock_now (), id, b.data, b.size);
    zmq_send (zsock_resolve (pub), topic, strlen (topic), ZMQ_SNDMORE);
    zmq_send (zsock_resolve (pub), env.data, env.size, 0);
    msgpack_sbuffer_destroy (&b);
    msgpack_sbuffer_destroy (&env);
}

//  The body of a report intake would publish, for forging one.
static void
s_report_body (gl_mapw_t *w)
{
    gl_mapw_init (w);
    gl_mapw_str (w, "category", "03.01");
    gl_mapw_str (w, "grid", "SJ-01-01");
    gl_mapw_str (w, "description", "伪造的事件");
    gl_mapw_t r, t;
    gl_mapw_init (&r);
    gl_mapw_str (&r, "id", "GW-0001");
    gl_mapw_str (&r, "role", "grid_leader");
    gl_mapw_map (w, "reporter", &r);
    gl_mapw_fini (&r);
    gl_mapw_str (w, "channel", "app");
    gl_mapw_init (&t);
    gl_mapw_str (&t, "street", "SJ");
    gl_mapw_str (&t, "community", "SJ-01");
    gl_mapw_str (&t, "sanshi", "major");
    gl_mapw_str (&t, "priority", "P2");
    gl_mapw_map (w, "triage", &t);
    gl_mapw_fini (&t);
}

//  The police 110 platform's departmental client, its store under the test's directory.
static gl_dept_t *
s_police (tk_net_t *net)
{
    char dir [400];
    snprintf (dir, sizeof dir, "%s/dept", net->dir);
    gl_err_t err;
    gl_dept_t *dept = gl_dept_new (&net->cfg, "police-110", dir, &err);
    if (!dept)
        tk_fail (net, "the department client did not open: %s", err.message);
    return dept;
}

//  The department reports once (a valid report); its seq.
static uint64_t
s_police_report (gl_dept_t *dept)
{
    gl_mapw_t body;
    s_report_body (&body);
    msgpack_sbuffer bytes;
    gl_mapw_finish (&body, &bytes);
    gl_mapw_fini (&body);
    uint64_t seq = 0;
    gl_err_t err;
    assert_int_equal (gl_dept_report (dept, bytes.data, bytes.size, &seq, &err), 0);
    msgpack_sbuffer_destroy (&bytes);
    return seq;
}

//  Republish (every 50 ms, bounded) until a counter of consumer's status exceeds before: the
//  forgery demonstrably reached it.
typedef void (s_forge_fn) (void *arg);

static void
s_until_counted (tk_net_t *net, const char *consumer, const char *counter, int64_t before,
                 s_forge_fn *forge, void *arg)
{
    for (int i = 0; i < 200; i++) {
        forge (arg);
        zclock_sleep (50);              //  the forgery travels through other processes
        if (tk_status (net, consumer, counter) > before)
            return;
    }
    tk_fail (net, "the forgery never reached %s (%s stayed %lld)", consumer, counter,
             (long long) before);
}

//  A report through intake; returns its event id (the caller frees it).
static char *
s_report (tk_net_t *net, const char *req_id, unsigned n)
{
    msgpack_sbuffer req;
    tk_report_request (&req, req_id, n, 0);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_call (net, "intake", req.data, req.size, &answer, 5000), 0);
    if (gl_answer_check (&answer.root, &err))
        fail_msg ("report refused: %s", err.message);
    char id [GL_MAX_NAME + 1] = "";
    gl_get_strbuf (&answer.root, "id", id, sizeof id);
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
    return strdup (id);
}

//  ---------------------------------------------------------------------------------------------

typedef struct {
    zsock_t *pub;               //  the forger's socket
    uint64_t epoch;             //  what it claims
    uint64_t seq;
} s_hb_t;

static void
s_forge_hb (void *arg)
{
    s_hb_t *f = arg;
    gl_mapw_t body;
    gl_mapw_init (&body);
    s_publish (f->pub, "intake.hb", "hb", "intake", f->epoch, f->seq, NULL, &body);
    gl_mapw_fini (&body);
}

static void
test_a_heartbeat_with_a_made_up_epoch_cuts_nobody_off (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, S_PLAIN);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "dispatcher");
    free (s_report (net, "hb-1", 0));
    assert_int_equal (tk_wait_caught_up (net, "dispatcher", "intake", 1, 10000), 0);
    int64_t epoch = tk_status (net, "intake", "epoch");
    s_hb_t hb = { s_publisher (net), 123456789, 1000000 };
    s_until_counted (net, "dispatcher", "rejected.unconfirmed_epoch",
                     tk_status (net, "dispatcher", "rejected.unconfirmed_epoch"), s_forge_hb,
                     &hb);
    //  Still following intake: the next report is filed.
    char *id = s_report (net, "hb-2", 1);
    assert_int_equal (tk_wait_caught_up (net, "dispatcher", "intake", 2, 10000), 0);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_ask_id (net, "dispatcher", "get", id, &answer, &err), GL_OK);
    gl_doc_fini (&answer);
    //  And no bad position was stored: after a restart it still follows intake's epoch.
    tk_kill (net, "dispatcher", SIGTERM);
    tk_start (net, "dispatcher");
    assert_true (tk_status (net, "dispatcher", "inbox.intake.epoch") == epoch);
    free (s_report (net, "hb-3", 2));
    assert_int_equal (tk_wait_caught_up (net, "dispatcher", "intake", 3, 10000), 0);
    free (id);
    zsock_destroy (&hb.pub);
    tk_net_destroy (&net);
}

typedef struct {
    zsock_t *pub;               //  the forger's socket
    const char *topic, *src;    //  what it claims
    uint64_t epoch, seq;
    const char *id;             //  the event it invents
} s_event_forge_t;

static void
s_forge_event (void *arg)
{
    s_event_forge_t *f = arg;
    gl_mapw_t body;
    s_report_body (&body);
    s_publish (f->pub, f->topic, "event.reported", f->src, f->epoch, f->seq, f->id, &body);
    gl_mapw_fini (&body);
}

static void
test_forged_events_are_dropped_and_counted (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, S_PLAIN);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "dispatcher");
    free (s_report (net, "fe-1", 0));
    assert_int_equal (tk_wait_caught_up (net, "dispatcher", "intake", 1, 10000), 0);
    zsock_t *pub = s_publisher (net);
    //  A made-up epoch, with the next seq.
    s_event_forge_t made_up = { pub, "intake.event.reported", "intake", 987654321, 2,
                                "500235-20261129-999999991" };
    s_until_counted (net, "dispatcher", "rejected.unconfirmed_epoch",
                     tk_status (net, "dispatcher", "rejected.unconfirmed_epoch"), s_forge_event,
                     &made_up);
    //  A src that is not the topic's producer: the real epoch even.
    s_event_forge_t foreign = { pub, "intake.event.reported", "dispatcher",
                                (uint64_t) tk_status (net, "intake", "epoch"), 2,
                                "500235-20261129-999999992" };
    s_until_counted (net, "dispatcher", "rejected.foreign",
                     tk_status (net, "dispatcher", "rejected.foreign"), s_forge_event, &foreign);
    //  Neither was applied: the dispatcher holds no such events, and its position is intake's.
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_ask_id (net, "dispatcher", "get", made_up.id, &answer, &err),
                      GL_NOT_FOUND);
    gl_doc_fini (&answer);
    assert_int_equal (tk_ask_id (net, "dispatcher", "get", foreign.id, &answer, &err),
                      GL_NOT_FOUND);
    gl_doc_fini (&answer);
    assert_int_equal (tk_status (net, "dispatcher", "inbox.intake.last"), 1);
    //  The real second report is filed as usual.
    char *id = s_report (net, "fe-2", 1);
    assert_int_equal (tk_wait_caught_up (net, "dispatcher", "intake", 2, 10000), 0);
    assert_int_equal (tk_ask_id (net, "dispatcher", "get", id, &answer, &err), GL_OK);
    gl_doc_fini (&answer);
    free (id);
    zsock_destroy (&pub);
    tk_net_destroy (&net);
}

//  A fake producer on escalation's port: it answers every replay with a page holding a forged
//  intake report.
static void
s_fake_producer (zsock_t *pipe, void *args)
{
    const char *endpoint = args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_bind (router, "%s", endpoint);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;
        gl_request_t req;
        if (gl_request_recv (zsock_resolve (router), &req))
            continue;
        gl_mapw_t body;
        s_report_body (&body);
        msgpack_sbuffer b, env;
        gl_mapw_finish (&body, &b);
        gl_mapw_fini (&body);
        msgpack_sbuffer_init (&env);
        gl_envelope_encode (&env, "event.reported", "intake", 42, 2, 0,
                            "500235-20261129-999999993", b.data, b.size);
        gl_mapw_t page;
        gl_mapw_init (&page);
        gl_mapw_u64 (&page, "epoch", 42);
        gl_mapw_u64 (&page, "first", 1);
        gl_mapw_u64 (&page, "last", 2);
        gl_mapw_key (&page, "messages");
        msgpack_pack_array (&page.pk, 1);
        msgpack_pack_array (&page.pk, 2);
        gl_pack_cstr (&page.pk, "intake.event.reported");
        msgpack_pack_bin (&page.pk, env.size);
        msgpack_pack_bin_body (&page.pk, env.data, env.size);
        msgpack_sbuffer out;
        msgpack_sbuffer_init (&out);
        gl_reply_ok (&out, &page);
        gl_request_answer (&req, zsock_resolve (router), out.data, out.size);
        msgpack_sbuffer_destroy (&out);
        msgpack_sbuffer_destroy (&b);
        msgpack_sbuffer_destroy (&env);
        gl_mapw_fini (&page);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

static void
test_a_fake_producer_cannot_feed_another_producers_messages (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, S_PLAIN);
    tk_start (net, "bus");
    tk_start (net, "intake");
    //  Nothing runs on escalation's port: the fake producer binds it, and the dispatcher
    //  (which reads escalation) asks it for replays.
    zactor_t *fake = zactor_new (s_fake_producer, (void *) tk_endpoint (net, "escalation"));
    tk_start (net, "dispatcher");
    int64_t end = zclock_mono () + 20000;
    while (tk_status (net, "dispatcher", "rejected.stray_page") < 1 && zclock_mono () < end)
        zclock_sleep (50);
    assert_true (tk_status (net, "dispatcher", "rejected.stray_page") >= 1);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_ask_id (net, "dispatcher", "get", "500235-20261129-999999993", &answer,
                                 &err), GL_NOT_FOUND);
    gl_doc_fini (&answer);
    assert_int_equal (tk_status (net, "dispatcher", "inbox.intake.last"), 0);
    zactor_destroy (&fake);
    tk_net_destroy (&net);
}

static void
test_a_forged_refusal_does_not_make_a_department_drop_its_report (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, S_PLAIN "intake\n    sources = \"police-110\"\n");
    tk_start (net, "bus");
    //  The department reports while intake is down; a forger answers FORBIDDEN for it.
    gl_dept_t *dept = s_police (net);
    uint64_t seq = s_police_report (dept);
    zsock_t *pub = s_publisher (net);
    for (int i = 0; i < 200 && gl_dept_heard (dept) == 0; i++) {
        gl_mapw_t ack, e;
        gl_mapw_init (&ack);
        gl_mapw_str (&ack, "source", "police-110");
        gl_mapw_u64 (&ack, "epoch", gl_dept_epoch (dept));
        gl_mapw_u64 (&ack, "seq", seq);
        gl_mapw_bool (&ack, "ok", false);
        gl_mapw_init (&e);
        gl_mapw_str (&e, "code", "FORBIDDEN");
        gl_mapw_str (&e, "message", "forged");
        gl_mapw_map (&ack, "error", &e);
        gl_mapw_fini (&e);
        s_publish (pub, "intake.ack.police-110", "ack", "intake", 77, 1, NULL, &ack);
        gl_mapw_fini (&ack);
        gl_dept_pump (dept, 50);
    }
    //  Heard, not believed: intake (down) confirmed nothing, and the report is still pending.
    assert_true (gl_dept_heard (dept) >= 1);
    assert_int_equal (gl_dept_pending (dept), 1);
    bool ok;
    char text [200];
    assert_int_equal (gl_dept_result (dept, seq, &ok, text, sizeof text), 1);
    //  When intake comes, the report is accepted and settled by intake's own answer.
    tk_start (net, "intake");
    int64_t end = zclock_mono () + 60000;
    while (gl_dept_pending (dept) > 0 && zclock_mono () < end)
        gl_dept_pump (dept, 100);
    assert_int_equal (gl_dept_result (dept, seq, &ok, text, sizeof text), 0);
    assert_true (ok);
    //  The forged answer was found not to be intake's word once intake could be asked.
    assert_true (gl_dept_unconfirmed (dept) >= 1);
    gl_dept_destroy (&dept);
    zsock_destroy (&pub);
    tk_net_destroy (&net);
}

static void
test_a_report_nobody_answers_expires_instead_of_being_resent_forever (void **state)
{
    //  No intake at all: the department's report is never answered. After retention/days it
    //  is settled here as EXPIRED and never sent again (intake would have forgotten its answer).
    tk_net_t *net = tk_net_new (S_PORT, "intake\n    sources = \"police-110\"\n");
    tk_start (net, "bus");
    gl_clock_manual (1793498400000);
    gl_dept_t *dept = s_police (net);
    uint64_t seq = s_police_report (dept);
    gl_dept_pump (dept, 0);
    assert_int_equal (gl_dept_pending (dept), 1);
    gl_clock_advance (6 * 86400000LL);
    gl_dept_pump (dept, 0);
    assert_int_equal (gl_dept_pending (dept), 1);          //  6 days: still trying
    gl_clock_advance (2 * 86400000LL);
    gl_dept_pump (dept, 0);
    assert_int_equal (gl_dept_pending (dept), 0);          //  8 days: given up
    gl_dept_answer_t answer;
    assert_int_equal (gl_dept_answer (dept, seq, &answer), 0);
    assert_false (answer.ok);
    assert_string_equal (answer.code_name, "EXPIRED");
    //  And a reopened store holds nothing to resend.
    gl_dept_destroy (&dept);
    dept = s_police (net);
    assert_int_equal (gl_dept_pending (dept), 0);
    gl_dept_destroy (&dept);
    tk_net_destroy (&net);
}

//  Peak resident memory (VmHWM) of a running test process, in KB.
static long
s_peak_kb (tk_net_t *net, const char *name)
{
    for (int i = 0; i < TK_MAX_PROCS; i++)
        if (streq (net->names [i], name))
            return tk_peak_rss_kb (net->pids [i]);
    return -1;
}

//  A request of about 1 MiB that passes every decoder limit: a valid report with an unknown
//  field holding 95 000 strings of 10 bytes (under GL_MAX_VALUES, within max_msg_bytes).
static void
s_big_request (msgpack_sbuffer *out, const char *req_id)
{
    msgpack_sbuffer base;
    tk_report_request (&base, req_id, 1, 0);
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    gl_packer_init (&pk, out);
    //  The report's 7 pairs, then "junk": 10 arrays of 9 500 strings.
    msgpack_pack_map (&pk, 8);
    gl_sbuffer_write (out, base.data + 1, base.size - 1);    //  after the fixmap header
    gl_pack_cstr (&pk, "junk");
    msgpack_pack_array (&pk, 10);
    for (int a = 0; a < 10; a++) {
        msgpack_pack_array (&pk, 9500);
        for (int i = 0; i < 9500; i++)
            gl_pack_cstr (&pk, "0123456789");
    }
    msgpack_sbuffer_destroy (&base);
}

static void
test_a_flood_of_big_requests_stays_within_the_memory_bound (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, "limits\n    peer_queue = 4\n    batch_mb = 64\n");
    tk_start (net, "intake");
    long before = s_peak_kb (net, "intake");
    //  8 clients send 25 such requests each, without waiting for answers.
    enum { CLIENTS = 8, EACH = 25 };
    zsock_t *clients [CLIENTS];
    for (int c = 0; c < CLIENTS; c++) {
        clients [c] = zsock_new (ZMQ_DEALER);
        gl_socket_limits (clients [c], 2 << 20, 0);
        zsock_set_sndhwm (clients [c], 1000);
        tk_connect (net, clients [c], tk_endpoint (net, "intake"));
    }
    msgpack_sbuffer req;
    for (int i = 0; i < EACH; i++)
        for (int c = 0; c < CLIENTS; c++) {
            char req_id [32];
            snprintf (req_id, sizeof req_id, "big-%d-%d", c, i);
            s_big_request (&req, req_id);
            if (c == 0 && i == 0)
                assert_true (req.size > 1040000 && req.size < (1 << 20));
            zmq_send (zsock_resolve (clients [c]), "", 0, ZMQ_SNDMORE);
            zmq_send (zsock_resolve (clients [c]), req.data, req.size, 0);
            msgpack_sbuffer_destroy (&req);
        }
    //  Answers beyond peer_queue per client are dropped by design: a client sending 25 at
    //  once breaks the one-in-flight rule. So each client then asks again for each of its
    //  requests, one at a time with the same req_id, as a real client retries: every request
    //  must have been filed exactly once (one event id per req_id, 200 distinct ids).
    for (int c = 0; c < CLIENTS; c++)
        zsock_destroy (&clients [c]);
    zhash_t *ids = zhash_new ();
    gl_client_t *client = gl_client_new (tk_endpoint (net, "intake"), 10000, 2 << 20);
    for (int i = 0; i < EACH; i++)
        for (int c = 0; c < CLIENTS; c++) {
            char req_id [32];
            snprintf (req_id, sizeof req_id, "big-%d-%d", c, i);
            s_big_request (&req, req_id);
            gl_doc_t answer;
            gl_err_t err;
            assert_int_equal (gl_client_call (client, req.data, req.size, &answer, 5, &err), 0);
            assert_int_equal (gl_answer_check (&answer.root, &err), 0);
            char id [64];
            assert_true (gl_get_strbuf (&answer.root, "id", id, sizeof id));
            assert_null (zhash_lookup (ids, id));
            zhash_insert (ids, id, "x");
            gl_doc_fini (&answer);
            msgpack_sbuffer_destroy (&req);
        }
    gl_client_destroy (&client);
    assert_int_equal (zhash_size (ids), CLIENTS * EACH);
    zhash_destroy (&ids);
    long after = s_peak_kb (net, "intake");
    printf ("  200 requests of 1 MiB: intake's peak memory %ld MB -> %ld MB\n", before / 1024,
            after / 1024);
    //  The batch bound (64 MB parsed) plus what the peers may queue (4 each) and the rest:
    //  before the bounds, twelve such requests took intake to 328 MB.
    assert_true (after - before < 200 * 1024);
    tk_net_destroy (&net);
}

static void
test_a_client_that_never_reads_its_replays_is_bounded (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, "limits\n    batch_mb = 16\n");
    tk_start (net, "intake");
    //  3 KB reports, so that a page holds its full 256 KB.
    tk_load_t load = { .total = 1500, .clients = 16, .timeout_ms = 5000, .pad = 3000 };
    tk_load_run (net, &load);
    for (unsigned i = 0; i < load.total; i++)
        free (load.ids [i]);
    free (load.ids);
    long before = s_peak_kb (net, "intake");
    zsock_t *greedy = zsock_new (ZMQ_DEALER);
    gl_socket_limits (greedy, 1 << 20, 0);
    zsock_set_sndhwm (greedy, 1000);
    zsock_set_rcvhwm (greedy, 1);
    tk_connect (net, greedy, tk_endpoint (net, "intake"));
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_u64 (&w, "from", 1);
    msgpack_sbuffer req;
    gl_request_build (&req, "replay", false, &w);
    gl_mapw_fini (&w);
    for (int i = 0; i < 400; i++) {
        zmq_send (zsock_resolve (greedy), "", 0, ZMQ_SNDMORE);
        zmq_send (zsock_resolve (greedy), req.data, req.size, 0);
    }
    msgpack_sbuffer_destroy (&req);
    //  Intake goes on serving others meanwhile; by the time it answers status after a report,
    //  it has taken all 400 (peer_queue at a time).
    int64_t end = zclock_mono () + 30000;
    while (tk_status (net, "intake", "requests") < 1500 + 400 && zclock_mono () < end)
        zclock_sleep (50);
    long after = s_peak_kb (net, "intake");
    printf ("  400 unread replays of 256 KB: intake's peak memory %ld MB -> %ld MB\n",
            before / 1024, after / 1024);
    //  A batch holds at most batch_mb (16 MB) of answers being built, the client's queue
    //  peer_queue (64) answers of a page (256 KB) at most: 32 MB, plus what the kernel's
    //  socket buffers hold; before the bounds, these 400 added 310 MB.
    assert_true (after - before < 64 * 1024);
    zsock_destroy (&greedy);
    tk_net_destroy (&net);
}

static void
test_kept_answers_are_bounded_by_count_and_age (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, "clock\n    mode = \"manual\"\n    start_ms = 1793498400000\n"
                                "limits\n    answers_max = 1000\n");
    tk_start (net, "intake");
    tk_load_t load = { .total = 3000, .clients = 16, .timeout_ms = 5000 };
    tk_load_run (net, &load);
    for (unsigned i = 0; i < load.total; i++)
        free (load.ids [i]);
    free (load.ids);
    assert_int_equal (tk_status (net, "intake", "tables.answers.entries"), 3000);
    //  Moving the clock runs retention: the count bound first.
    tk_advance (net, "intake", 1000);
    int64_t end = zclock_mono () + 20000;
    while (tk_status (net, "intake", "tables.answers.entries") > 1000 && zclock_mono () < end)
        zclock_sleep (20);
    assert_int_equal (tk_status (net, "intake", "tables.answers.entries"), 1000);
    assert_int_equal (tk_status (net, "intake", "tables.answers_ts.entries"), 1000);
    //  Then the age: past retention/days, none is left.
    tk_advance (net, "intake", 8 * 86400000LL);
    end = zclock_mono () + 20000;
    while (tk_status (net, "intake", "tables.answers.entries") > 0 && zclock_mono () < end)
        zclock_sleep (20);
    assert_int_equal (tk_status (net, "intake", "tables.answers.entries"), 0);
    tk_net_destroy (&net);
}

static long
s_file_kb (const char *dir, const char *name)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat (path, &st) == 0? (long) (st.st_size / 1024): -1;
}

//  Four simulated weeks of steady load on the manual clock, a day at a time: every table of
//  intake stays within its retention rule, and once the first retention window has passed the
//  store file stops growing, because LMDB reuses the pages that trimming frees.
static void
test_weeks_of_steady_load_leave_the_store_flat (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, "clock\n    mode = \"manual\"\n    start_ms = 1793498400000\n");
    tk_start (net, "intake");
    char dir [400];
    snprintf (dir, sizeof dir, "%s/var/intake", net->dir);
    enum { DAYS = 28, PER_DAY = 1500 };
    long size [DAYS];
    for (int day = 0; day < DAYS; day++) {
        tk_load_t load = { .total = PER_DAY, .clients = 8, .timeout_ms = 5000, .pad = 300 };
        assert_int_equal (tk_load_run (net, &load), 0);
        for (unsigned i = 0; i < load.total; i++)
            free (load.ids [i]);
        free (load.ids);
        //  A day passes; moving the clock runs retention (at most 20 000 rows a table a round,
        //  more than a day's load).
        tk_advance (net, "intake", 86400000LL);
        size [day] = s_file_kb (dir, "data.mdb");
        int64_t kept = PER_DAY * (day + 1 < 7? day + 1: 7);
        int64_t end = zclock_mono () + 20000;
        while (tk_status (net, "intake", "tables.outbox.entries") > kept && zclock_mono () < end)
            zclock_sleep (20);
        //  Published messages and kept answers: at most retention/days (7) days of them.
        assert_true (tk_status (net, "intake", "tables.outbox.entries") <= kept);
        assert_true (tk_status (net, "intake", "tables.answers.entries") <= kept);
        //  Event id counters: today's and yesterday's.
        assert_true (tk_status (net, "intake", "tables.counters.entries") <= 2);
    }
    printf ("  %d days of %d reports: intake's store %ld KB after week 1, %ld after week 2, "
            "%ld after week 3, %ld after week 4\n", DAYS, PER_DAY, size [6], size [13],
            size [20], size [27]);
    //  Flat: the last two weeks add nothing to the file (one extra 64 KB of slack for LMDB's
    //  free-page bookkeeping, which is not exact page for page).
    assert_true (size [27] <= size [13] + 64);
    tk_net_destroy (&net);
}

//  Whether the archive holds a message of topic (a prefix) for event id.
static bool
s_archive_has (tk_net_t *net, const char *id, const char *topic)
{
    gl_doc_t answer;
    gl_err_t err;
    bool found = false;
    if (tk_ask_id (net, "archive", "get", id, &answer, &err) == GL_OK) {
        const msgpack_object *messages = gl_map_get (&answer.root, "messages");
        for (uint32_t i = 0; messages && i < messages->via.array.size && !found; i++) {
            const char *t;
            size_t len;
            found = gl_get_str (&messages->via.array.ptr [i], "topic", &t, &len)
                 && len >= strlen (topic) && memcmp (t, topic, strlen (topic)) == 0;
        }
    }
    gl_doc_fini (&answer);
    return found;
}

//  Archiving (归档): an event that ended is archived once the evaluation month it ended in is
//  over plus dispatcher/archive_grace_days, and the dispatcher then keeps nothing of it; an
//  open event stays. On the manual clock, from 2026-11-01 10:00 county time.
static void
test_ended_events_are_archived_after_their_month_and_dropped_by_the_dispatcher (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, "clock\n    mode = \"manual\"\n    start_ms = 1793498400000\n"
                                "archive\n    reads = \"intake dispatcher\"\n");
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "dispatcher");
    tk_start (net, "archive");
    //  Report 0 is a fire hazard (major: dispatched, open); report 1 a neighbours' dispute
    //  (私事: closed with advice at once).
    char *ids [2];
    for (unsigned n = 0; n < 2; n++) {
        char req_id [32];
        snprintf (req_id, sizeof req_id, "archiving-%u", n);
        msgpack_sbuffer req;
        tk_report_request (&req, req_id, n, 0);
        gl_doc_t answer;
        assert_int_equal (tk_call (net, "intake", req.data, req.size, &answer, 10000), 0);
        char id [64] = "";
        assert_true (gl_get_strbuf (&answer.root, "id", id, sizeof id));
        ids [n] = strdup (id);
        gl_doc_fini (&answer);
        msgpack_sbuffer_destroy (&req);
    }
    //  Everyone has the dispatcher's messages before its clock jumps weeks ahead (its outbox
    //  keeps them retention/days by that clock).
    assert_int_equal (tk_wait_caught_up (net, "dispatcher", "intake", 2, 60000), 0);
    assert_int_equal (tk_wait_caught_up (net, "archive", "dispatcher", 4, 60000), 0);
    assert_int_equal (tk_wait_caught_up (net, "intake", "dispatcher", 4, 60000), 0);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_ask_id (net, "dispatcher", "get", ids [1], &answer, &err), GL_OK);
    gl_doc_fini (&answer);
    assert_int_equal (tk_status (net, "dispatcher", "tables.ending.entries"), 1);
    //  December 1st + 7 days of grace (county time): move the dispatcher past it.
    tk_advance (net, "dispatcher", 38 * 86400000LL);
    gl_code_t code = GL_OK;
    for (int i = 0; i < 400 && code == GL_OK; i++) {
        code = tk_ask_id (net, "dispatcher", "get", ids [1], &answer, &err);
        gl_doc_fini (&answer);
        if (code == GL_OK)
            zclock_sleep (50);          //  another process: nothing to wait on but time
    }
    assert_int_equal (code, GL_NOT_FOUND);
    assert_non_null (strstr (err.message, "archive"));
    //  The open event stays; the ended one left nothing behind.
    assert_int_equal (tk_ask_id (net, "dispatcher", "get", ids [0], &answer, &err), GL_OK);
    gl_doc_fini (&answer);
    assert_int_equal (tk_status (net, "dispatcher", "tables.events.entries"), 1);
    assert_int_equal (tk_status (net, "dispatcher", "tables.ending.entries"), 0);
    //  The archive holds its whole history, ending with archived.
    if (tk_wait_caught_up (net, "archive", "dispatcher", 0, 60000))
        tk_fail (net, "the archive did not catch up with the dispatcher");
    assert_true (s_archive_has (net, ids [1], "intake.event.reported"));
    assert_true (s_archive_has (net, ids [1], "dispatcher.event.closed"));
    assert_true (s_archive_has (net, ids [1], "dispatcher.event.archived"));
    assert_false (s_archive_has (net, ids [0], "dispatcher.event.archived"));
    free (ids [0]);
    free (ids [1]);
    tk_net_destroy (&net);
}

static void
test_departments_leave_bounded_state_and_strangers_none (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, S_PLAIN "clock\n    mode = \"manual\"\n    start_ms = 1793498400000\n"
                                "intake\n    sources = \"police-110\"\n");
    tk_start (net, "bus");
    tk_start (net, "intake");
    //  3000 reports from a source nobody registered: refused, and nothing kept for them.
    zsock_t *pub = s_publisher (net);
    for (int round = 0; round < 100 && tk_status (net, "intake", "ext_refused") < 3000; round++)
        for (int i = 0; i < 3000; i++) {
            gl_mapw_t body;
            s_report_body (&body);
            s_publish (pub, "ext.water-co.report", "report", "ext.water-co", 5, (uint64_t) i + 1,
                       NULL, &body);
            gl_mapw_fini (&body);
            if (i % 500 == 499)
                zclock_sleep (10);      //  a publisher that does not outrun the bus
        }
    assert_true (tk_status (net, "intake", "ext_refused") >= 3000);
    assert_int_equal (tk_status (net, "intake", "tables.ext_seen.entries"), 0);
    //  A registered department's answers are kept, then go after twice retention/days.
    gl_dept_t *dept = s_police (net);
    for (int i = 0; i < 20; i++)
        s_police_report (dept);
    int64_t end = zclock_mono () + 60000;
    while (gl_dept_pending (dept) > 0 && zclock_mono () < end)
        gl_dept_pump (dept, 100);
    assert_int_equal (tk_status (net, "intake", "tables.ext_seen.entries"), 20);
    tk_advance (net, "intake", 15 * 86400000LL);
    end = zclock_mono () + 20000;
    while (tk_status (net, "intake", "tables.ext_seen.entries") > 0 && zclock_mono () < end)
        zclock_sleep (20);
    assert_int_equal (tk_status (net, "intake", "tables.ext_seen.entries"), 0);
    assert_int_equal (tk_status (net, "intake", "tables.ext_seen_ts.entries"), 0);
    //  The daily id counters of days before yesterday went too.
    assert_true (tk_status (net, "intake", "tables.counters.entries") <= 2);
    gl_dept_destroy (&dept);
    zsock_destroy (&pub);
    tk_net_destroy (&net);
}

//  A lifecycle request: op on event id as unit, with req_id; returns the refusal's code.
static gl_code_t
s_act (tk_net_t *net, const char *op, const char *id, const char *unit, const char *req_id,
       const char *reason, gl_err_t *err)
{
    gl_mapw_t w, actor;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "req_id", req_id);
    gl_mapw_str (&w, "id", id);
    gl_mapw_init (&actor);
    gl_mapw_str (&actor, "unit", unit);
    //  A board acts through its A岗 or B岗 (org.json "actions"): SJ-B4's A岗 here.
    if (streq (unit, "SJ-B4"))
        gl_mapw_str (&actor, "person", "ST-0015");
    gl_mapw_map (&w, "actor", &actor);
    gl_mapw_fini (&actor);
    if (reason)
        gl_mapw_str (&w, "reason", reason);
    gl_doc_t answer;
    gl_code_t code = tk_ask (net, "dispatcher", op, &w, &answer, err);
    gl_doc_fini (&answer);
    gl_mapw_fini (&w);
    return code;
}

static void
test_a_req_id_names_one_request (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, NULL);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "dispatcher");
    //  Two fire hazards at SJ-01-01: both routed to SJ-B4.
    char *a = s_report (net, "rq-1", 0);
    char *b = s_report (net, "rq-2", 4);
    assert_int_equal (tk_wait_caught_up (net, "dispatcher", "intake", 2, 10000), 0);
    gl_err_t err;
    assert_int_equal (s_act (net, "sign", a, "SJ-B4", "same-id", NULL, &err), GL_OK);
    //  The same req_id for a return of the other event: CONFLICT, and b is untouched.
    assert_int_equal (s_act (net, "return", b, "SJ-B4", "same-id", "不属本板块职责", &err),
                      GL_CONFLICT);
    assert_non_null (strstr (err.message, "req_id 'same-id' was already used"));
    assert_non_null (strstr (err.message, "'sign'"));
    gl_doc_t answer;
    assert_int_equal (tk_ask_id (net, "dispatcher", "get", b, &answer, &err), GL_OK);
    char held [24] = "";
    gl_get_strbuf (gl_map_get (&answer.root, "event"), "state", held, sizeof held);
    assert_string_equal (held, "DISPATCHED");
    gl_doc_fini (&answer);
    //  The same request again: the same answer.
    assert_int_equal (s_act (net, "sign", a, "SJ-B4", "same-id", NULL, &err), GL_OK);
    free (a);
    free (b);
    tk_net_destroy (&net);
}

static void
test_text_that_is_not_utf8_is_refused_naming_the_field (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, NULL);
    tk_start (net, "intake");
    gl_mapw_t w, r;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "req_id", "utf-1");
    gl_mapw_str (&w, "category", "03.01");
    gl_mapw_str (&w, "grid", "SJ-01-01");
    gl_mapw_str (&w, "description", "楼道\xff\xfe堆放杂物");
    gl_mapw_init (&r);
    gl_mapw_str (&r, "id", "GW-0001");
    gl_mapw_str (&r, "role", "grid_leader");
    gl_mapw_map (&w, "reporter", &r);
    gl_mapw_fini (&r);
    gl_mapw_str (&w, "channel", "app");
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_ask (net, "intake", "report", &w, &answer, &err), GL_INVALID);
    assert_non_null (strstr (err.message, "field 'description' is not valid UTF-8"));
    gl_doc_fini (&answer);
    gl_mapw_fini (&w);
    assert_int_equal (tk_status (net, "intake", "last_seq"), 0);
    tk_net_destroy (&net);
}

static void
test_tail_shows_control_characters_instead_of_obeying_them (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, S_PLAIN);
    tk_start (net, "bus");
    char cmd [1200], out [4096] = "";
    snprintf (cmd, sizeof cmd, "%s/gridloop --config %s tail '' --count 1 --seconds 20",
              net->bin_dir, net->cfg_path);
    FILE *tail = popen (cmd, "r");
    assert_non_null (tail);
    zsock_t *pub = s_publisher (net);
    //  An escape sequence in the topic and in the id: clear the screen, red text.
    int fd = fileno (tail);
    for (int i = 0; i < 200; i++) {
        gl_mapw_t body;
        gl_mapw_init (&body);
        gl_mapw_str (&body, "note", "\x1b]0;owned\x07");
        s_publish (pub, "intake.event.\x1b[2J", "event.x", "intake", 1, 1, "\x1b[31mred", &body);
        gl_mapw_fini (&body);
        zmq_pollitem_t item = { NULL, fd, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 50) > 0)
            break;
    }
    size_t got = fread (out, 1, sizeof out - 1, tail);
    out [got] = 0;
    pclose (tail);
    assert_true (got > 0);
    assert_null (strchr (out, 0x1b));
    assert_null (strchr (out, 0x07));
    assert_non_null (strstr (out, "\\x1b[2J"));
    assert_non_null (strstr (out, "\\x1b[31mred"));
    zsock_destroy (&pub);
    tk_net_destroy (&net);
}

static void
test_a_second_process_on_a_data_directory_is_refused (void **state)
{
    tk_net_t *net = tk_net_new (S_PORT, NULL);
    pid_t first = tk_start (net, "intake");
    //  A second intake on the same configuration: its store is locked by the first.
    char cmd [1200], out [2048] = "";
    snprintf (cmd, sizeof cmd, "%s/gridloop-intake --config %s 2>&1", net->bin_dir,
              net->cfg_path);
    FILE *p = popen (cmd, "r");
    size_t got = fread (out, 1, sizeof out - 1, p);
    out [got] = 0;
    int status = pclose (p);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 1);
    char holder [64];
    snprintf (holder, sizeof holder, "in use by process %d", (int) first);
    assert_non_null (strstr (out, holder));
    //  The first goes on unharmed.
    assert_true (tk_status (net, "intake", "pid") == first);
    tk_net_destroy (&net);
}

//  A test that failed an assertion left its processes: they go before the next one starts.
static int
s_cleanup (void **state)
{
    tk_cleanup ();
    return 0;
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_teardown (test_a_heartbeat_with_a_made_up_epoch_cuts_nobody_off, s_cleanup),
        cmocka_unit_test_teardown (test_forged_events_are_dropped_and_counted, s_cleanup),
        cmocka_unit_test_teardown (test_a_fake_producer_cannot_feed_another_producers_messages, s_cleanup),
        cmocka_unit_test_teardown (test_a_forged_refusal_does_not_make_a_department_drop_its_report, s_cleanup),
        cmocka_unit_test_teardown (test_a_report_nobody_answers_expires_instead_of_being_resent_forever, s_cleanup),
        cmocka_unit_test_teardown (test_a_flood_of_big_requests_stays_within_the_memory_bound, s_cleanup),
        cmocka_unit_test_teardown (test_a_client_that_never_reads_its_replays_is_bounded, s_cleanup),
        cmocka_unit_test_teardown (test_kept_answers_are_bounded_by_count_and_age, s_cleanup),
        cmocka_unit_test_teardown (test_weeks_of_steady_load_leave_the_store_flat, s_cleanup),
        cmocka_unit_test_teardown (test_ended_events_are_archived_after_their_month_and_dropped_by_the_dispatcher, s_cleanup),
        cmocka_unit_test_teardown (test_departments_leave_bounded_state_and_strangers_none, s_cleanup),
        cmocka_unit_test_teardown (test_a_req_id_names_one_request, s_cleanup),
        cmocka_unit_test_teardown (test_text_that_is_not_utf8_is_refused_naming_the_field, s_cleanup),
        cmocka_unit_test_teardown (test_tail_shows_control_characters_instead_of_obeying_them, s_cleanup),
        cmocka_unit_test_teardown (test_a_second_process_on_a_data_directory_is_refused, s_cleanup),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  Fault test: countdown fault injection (common/gl_fault.h), as SQLite tests its VFS. For each
    point of the commit-then-publish path and of the commit pipeline (durability pipelined) —
    a commit, the sync that makes a held batch durable, the release of a durable batch, a
    publication, an answer — with the fault that proves most there (a power cut that loses
    whatever no sync has covered yet, the newest meta page when it is not durable, wherever a
    commit or a sync is pending; a crash where publications or answers are on their way; a
    commit that fails and a publication dropped), and for N = 1, 2, …, a fresh intake runs a
    scripted workload with the fault at its N-th passage, until a pass in which the fault no
    longer fires. Then the same for the dispatcher, a consumer that is also a producer. The
    client acts as a real one: it retries an unanswered or UNAVAILABLE request with the same
    bytes, and restarts a service that died (without the fault, as its supervisor would).

    Each pass proves:
    - a refused request wrote nothing: the six valid reports get the ids 1 to 6 in order, with
      no gap where one of the three invalid ones was refused;
    - a failed commit neither answers ok nor publishes: intake's stream holds exactly the six
      reports (and the dispatcher's exactly two messages per event);
    - a retry with the same req_id gets the same answer: every request is sent again at the end
      and answered byte for byte as the first time;
    - after a crash between commit and publish, every consumer still applies each message
      exactly once once the process is back: the archive holds each event's messages once;
    - nothing acknowledged is lost, even by a power cut: had an answer left before its commit
      was durable, the cut would lose that report and the next one would get its id again (the
      ids would not be 1 to 6), or its retry would get another answer, or the archive would
      lack its event.  */
#include "testkit.h"

#include <signal.h>

#define S_REQUESTS  9           //  requests of the workload: every third one invalid
#define S_VALID     6           //  of them valid reports
#define S_TRIES     60          //  most tries of one request before the test calls it a hang
#define S_START_MS  "1795917600000"     //  2026-11-29 10:00 UTC+8: the ids' date, 20261129
#define S_PORTS     27100       //  this test's ports (27100 … 27114)

typedef struct {
    const char *point;          //  "commit", "publish" or "answer"
    const char *action;         //  "fail" (or drop), "exit" or "cut" (a power cut)
} s_mode_t;

//  Request i of the workload: a report of testkit's shape; every third from the third is
//  refused (a grid the county does not have).
static void
s_request (msgpack_sbuffer *out, unsigned i)
{
    char req_id [32];
    snprintf (req_id, sizeof req_id, "countdown-%u", i);
    tk_report_request (out, req_id, i, 0);
    if (i % 3 != 2)
        return;
    //  The same request with its grid replaced: re-pack with grid "XX-99-99".
    gl_doc_t doc;
    gl_err_t err;
    if (gl_doc_parse (&doc, out->data, out->size, &err)) {
        fprintf (stderr, "FAIL: testkit's report does not parse: %s\n", err.message);
        exit (1);
    }
    gl_mapw_t w;
    gl_mapw_init (&w);
    for (uint32_t k = 0; k < doc.root.via.map.size; k++) {
        const msgpack_object_kv *kv = &doc.root.via.map.ptr [k];
        char key [32];
        snprintf (key, sizeof key, "%.*s", (int) kv->key.via.str.size, kv->key.via.str.ptr);
        if (streq (key, "grid"))
            gl_mapw_str (&w, "grid", "XX-99-99");
        else
            gl_mapw_obj (&w, key, &kv->val);
    }
    gl_doc_fini (&doc);
    msgpack_sbuffer_destroy (out);
    gl_mapw_finish (&w, out);
    gl_mapw_fini (&w);
}

//  Whether the fault fired in the process now running as name (a copy with faults): its
//  status counts faults that fired without killing it.
typedef struct {
    tk_net_t *net;              //  the processes
    const char *victim;         //  the service with the fault
    bool died;                  //  it died (by the fault, or at start by a failed commit)
} s_pass_t;

//  Restart the victim if it died, without the fault (its supervisor restarting it).
static void
s_revive (s_pass_t *pass)
{
    int status = tk_exited (pass->net, pass->victim);
    if (status < 0)
        return;
    TK_CHECK (pass->net, status == GL_FAULT_EXIT_CODE || status == 1,
              "%s died with status %d, not by the fault", pass->victim, status);
    pass->died = true;
    tk_start (pass->net, pass->victim);
}

//  Whether consumer follows producer's epoch and has applied its last seq; -1 when one of them
//  does not answer.
static int
s_caught_up (tk_net_t *net, const char *consumer, const char *producer)
{
    char last_key [64], epoch_key [64];
    snprintf (last_key, sizeof last_key, "inbox.%s.last", producer);
    snprintf (epoch_key, sizeof epoch_key, "inbox.%s.epoch", producer);
    int64_t last = tk_status (net, producer, "last_seq");
    int64_t epoch = tk_status (net, producer, "epoch");
    if (last < 0 || epoch < 0)
        return -1;
    return tk_status (net, consumer, last_key) == last
        && tk_status (net, consumer, epoch_key) == epoch;
}

//  Wait until the dispatcher has applied all of intake's stream and the archive both streams,
//  reviving the victim whenever it dies meanwhile (its fault may fire on a commit or a
//  publication that a consumer's replay causes). The wait is bounded only to catch a hang.
static void
s_settle (s_pass_t *pass)
{
    int64_t end = zclock_mono () + 60000;
    while (zclock_mono () < end) {
        s_revive (pass);
        if (s_caught_up (pass->net, "dispatcher", "intake") == 1
        &&  s_caught_up (pass->net, "archive", "intake") == 1
        &&  s_caught_up (pass->net, "archive", "dispatcher") == 1
        &&  tk_exited (pass->net, pass->victim) < 0)
            return;
        zclock_sleep (20);              //  polling other processes: nothing to wait on
    }
    tk_fail (pass->net, "the dispatcher and the archive did not catch up within 60 s");
}

//  Send one request to intake until it is answered with anything but UNAVAILABLE, retrying
//  with the same bytes on a fresh socket and reviving the victim meanwhile. The answer's
//  bytes go into out.
static void
s_until_answered (s_pass_t *pass, const msgpack_sbuffer *req, msgpack_sbuffer *out)
{
    for (int tries = 0; tries < S_TRIES; tries++) {
        s_revive (pass);
        zsock_t *dealer = zsock_new (ZMQ_DEALER);
        gl_socket_limits (dealer, 1 << 20, 0);
        tk_connect (pass->net, dealer, tk_endpoint (pass->net, "intake"));
        zmq_send (zsock_resolve (dealer), "", 0, ZMQ_SNDMORE);
        zmq_send (zsock_resolve (dealer), req->data, req->size, 0);
        zpoller_t *poller = zpoller_new (dealer, NULL);
        bool answered = zpoller_wait (poller, 500) != NULL;
        zpoller_destroy (&poller);
        if (answered) {
            zmsg_t *msg = zmsg_recv (dealer);
            zframe_t *payload = zmsg_last (msg);
            gl_doc_t doc;
            gl_err_t err;
            int rc = gl_doc_parse (&doc, zframe_data (payload), zframe_size (payload), &err);
            TK_CHECK (pass->net, rc == 0, "an unreadable answer: %s", err.message);
            bool unavailable = gl_answer_check (&doc.root, &err) && err.code == GL_UNAVAILABLE;
            gl_doc_fini (&doc);
            if (!unavailable) {
                msgpack_sbuffer_init (out);
                gl_sbuffer_write (out, (const char *) zframe_data (payload),
                                  zframe_size (payload));
                zmsg_destroy (&msg);
                zsock_destroy (&dealer);
                return;
            }
            zmsg_destroy (&msg);
        }
        zsock_destroy (&dealer);
    }
    tk_fail (pass->net, "a request went unanswered %d times", S_TRIES);
}

//  One pass: the workload with the fault at passage n of mode in victim ("intake" or
//  "dispatcher"). Returns whether the fault fired.
static bool
s_pass (const s_mode_t *mode, const char *victim, unsigned n, int port)
{
    char extra [512];
    snprintf (extra, sizeof extra,
              "clock\n    mode = \"manual\"\n    start_ms = " S_START_MS "\n"
              "archive\n    reads = \"intake dispatcher\"\n"
              //  intake consumes nothing here, so that its commits are the workload's alone
              "intake\n    reads = \"\"\n");
    tk_net_t *net = tk_net_new (port, extra);
    char fault [64];
    snprintf (fault, sizeof fault, "%s:%u:%s", mode->point, n, mode->action);
    s_pass_t pass = { net, victim, false };
    tk_start (net, "bus");
    tk_start (net, "archive");
    if (!streq (victim, "intake"))
        tk_start (net, "intake");
    //  The fault may stop the victim while it starts (its first commit opens the outbox):
    //  then its supervisor starts it again, without the fault.
    if (tk_start_fault (net, victim, fault) == 0) {
        pass.died = true;
        tk_start (net, victim);
    }
    if (streq (victim, "intake"))
        tk_start (net, "dispatcher");
    //  The workload, one request at a time, as a careful client sends it.
    msgpack_sbuffer answers [S_REQUESTS];
    char *ids [S_VALID];
    unsigned valid = 0;
    for (unsigned i = 0; i < S_REQUESTS; i++) {
        msgpack_sbuffer req;
        s_request (&req, i);
        s_until_answered (&pass, &req, &answers [i]);
        msgpack_sbuffer_destroy (&req);
        gl_doc_t doc;
        gl_err_t err;
        TK_CHECK (net, gl_doc_parse (&doc, answers [i].data, answers [i].size, &err) == 0,
                  "an unreadable answer: %s", err.message);
        int refused = gl_answer_check (&doc.root, &err);
        if (i % 3 == 2)
            TK_CHECK (net, refused && err.code == GL_INVALID, "request %u (an unknown grid) "
                      "was answered %s", i, refused? gl_code_name (err.code): "ok");
        else {
            TK_CHECK (net, !refused, "report %u was refused: %s %s", i,
                      gl_code_name (err.code), err.message);
            char id [GL_MAX_NAME + 1] = "";
            gl_get_strbuf (&doc.root, "id", id, sizeof id);
            ids [valid++] = strdup (id);
        }
        gl_doc_fini (&doc);
    }
    //  Refused requests wrote nothing: the valid ones have ids 1..6 in order, no gap.
    for (unsigned v = 0; v < S_VALID; v++) {
        char want [GL_MAX_NAME + 1];
        snprintf (want, sizeof want, "500235-20261129-%09u", v + 1);
        TK_CHECK (net, streq (ids [v], want), "%s: report %u got id %s, expected %s", fault, v,
                  ids [v], want);
    }
    //  The dispatcher catches up (its fault may fire on its last commit: revive it meanwhile).
    s_settle (&pass);
    //  A failed commit published nothing: intake's stream is the six reports exactly, the
    //  dispatcher's two messages per event (its filing and its dispatch or close).
    TK_CHECK (net, tk_status (net, "intake", "last_seq") == S_VALID, "%s: intake published %lld "
              "messages for %d reports", fault, (long long) tk_status (net, "intake", "last_seq"),
              S_VALID);
    TK_CHECK (net, tk_status (net, "dispatcher", "last_seq") == 2 * S_VALID, "%s: the dispatcher "
              "published %lld messages for %d events", fault,
              (long long) tk_status (net, "dispatcher", "last_seq"), S_VALID);

    //  Retries get the same answers, byte for byte.
    for (unsigned i = 0; i < S_REQUESTS; i++) {
        msgpack_sbuffer req, again;
        s_request (&req, i);
        s_until_answered (&pass, &req, &again);
        TK_CHECK (net, again.size == answers [i].size
                  && memcmp (again.data, answers [i].data, again.size) == 0,
                  "%s: request %u retried got another answer", fault, i);
        msgpack_sbuffer_destroy (&req);
        msgpack_sbuffer_destroy (&again);
        msgpack_sbuffer_destroy (&answers [i]);
    }
    s_settle (&pass);
    TK_CHECK (net, tk_status (net, "intake", "last_seq") == S_VALID, "%s: a retry published",
              fault);
    //  Whether the fault fired: the victim died, or it counted a fault that did not kill it.
    bool fired = pass.died || tk_status (net, victim, "faults_fired") > 0;
    //  Every consumer applied every message once: the archive holds, per event, its report, its
    //  filing and its dispatch (or close), nothing else.
    char **held;
    uint64_t *counts;
    long events = tk_archive_events (net, &held, &counts);
    long found = 0;
    for (long e = 0; e < events; e++) {
        if (held [e][0] == '#')
            continue;
        TK_CHECK (net, found < S_VALID && streq (held [e], ids [found]), "%s: the archive "
                  "holds event %s, which no report was answered with", fault, held [e]);
        TK_CHECK (net, counts [e] == 3, "%s: the archive holds %llu messages for %s, expected 3",
                  fault, (unsigned long long) counts [e], held [e]);
        found++;
        free (held [e]);
    }
    TK_CHECK (net, found == S_VALID, "%s: the archive holds %ld events, expected %d", fault,
              found, S_VALID);
    free (held);
    free (counts);
    for (unsigned v = 0; v < S_VALID; v++)
        free (ids [v]);
    tk_net_destroy (&net);
    return fired;
}

//  Every N for one mode, until the fault no longer fires. Returns the passes run.
static unsigned
s_loop (const s_mode_t *mode, const char *victim, int port)
{
    unsigned n = 1;
    while (s_pass (mode, victim, n, port)) {
        n++;
        if (n > 200) {
            fprintf (stderr, "FAIL: %s:%s in %s still fires after 200 passes\n", mode->point,
                     mode->action, victim);
            exit (1);
        }
    }
    printf ("  %-10s %s:N:%-4s fired for N = 1..%u, proven at each\n", victim, mode->point,
            mode->action, n - 1);
    fflush (stdout);
    return n;
}

int
main (void)
{
    printf ("countdown fault injection over the commit-then-publish path\n");
    //  Every point of the path, each with the fault that proves most there: a power cut ("cut",
    //  which is a crash that also loses what no sync has covered) wherever a commit or a sync is
    //  pending, a crash where messages or answers are on their way, and a failing commit (the
    //  batch runs again). intake runs all of them; the dispatcher, which answers nothing in this
    //  workload, those of the batches of messages it consumes.
    static const s_mode_t modes [] = {
        { "commit", "cut" }, { "sync", "cut" }, { "release", "cut" }, { "publish", "exit" },
        { "commit", "fail" }, { "publish", "fail" }, { "answer", "exit" },
    };
    const size_t dispatcher_modes = 4;  //  the first four
    const size_t nmodes = sizeof modes / sizeof modes [0];
    //  GL_COUNTDOWN=victim:point:N:action runs that one pass alone (to look at one failure).
    const char *only = getenv ("GL_COUNTDOWN");
    char victim [16], point [16], action [16];
    unsigned n;
    if (only && sscanf (only, "%15[a-z]:%15[a-z]:%u:%15[a-z]", victim, point, &n, action) == 4) {
        s_mode_t mode = { point, action };
        printf ("%s:%s:%u:%s fired: %s\n", victim, point, n, action,
                s_pass (&mode, victim, n, S_PORTS)? "yes": "no");
        return 0;
    }
    unsigned passes = 0;
    for (size_t m = 0; m < nmodes; m++)
        passes += s_loop (&modes [m], "intake", S_PORTS);
    for (size_t m = 0; m < dispatcher_modes; m++)
        passes += s_loop (&modes [m], "dispatcher", S_PORTS);
    printf ("%u passes, every one proven\n", passes);
    printf ("1 passed, 0 failed\n");
    return 0;
}

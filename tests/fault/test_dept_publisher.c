/*  Fault test: a departmental publisher (gl_dept) reports over the bus while intake is
    SIGKILLed and restarted at random moments, and again with a subscriber high-water mark of 10
    (and intake frozen during a burst) so that reports and acknowledgements are dropped
    wholesale; it resends until every report is answered. Afterwards every report has its own
    event, held exactly once by the archive, and intake counted exactly one acceptance per
    report. Refusals (an unregistered source, an invalid report) are final: answered once,
    never resent. GL_SEED sets the random seed.  */
#include "testkit.h"
#include "gl_dept.h"

#include <signal.h>

#define S_REPORTS       3000    //  reports per phase
#define S_KILLS         3       //  intake kills in the first phase
#define S_ANSWER_MS     300000  //  longest wait for every answer of a phase
#define S_QUIET_MS      4000    //  a final answer is followed by this long without a resend:
                                //  longer than the first two resend intervals (1 s + 2 s)
#define S_PORTS         22000   //  this test's ports (every phase reuses them, one at a time)
#define S_SOURCES       "intake\n    sources = \"police-110\"\n"

//  A valid report of the police 110 platform: grids and categories of the bundled county.
//  With pad, the description is padded with pad more bytes and the report carries evidence
//  and attachments as long as allowed: about 9 KB, to fill socket buffers fast.
static void
s_report_body (msgpack_sbuffer *out, unsigned n, const char *grid, unsigned pad)
{
    static const char *grids [] = { "SJ-01-01", "QL-02-03", "RH-01-02", "PL-01-01" };
    static const char *categories [] = { "02.01", "01.02", "03.01" };
    char description [4000];
    int len = snprintf (description, 200, "110接警转办：小区楼道堆放杂物、电动车违规充电，"
                        "存在消防隐患 (#%u)", n);
    if (pad > sizeof description - 200)
        pad = sizeof description - 200;
    memset (description + len, '.', pad);
    description [len + pad] = 0;
    gl_mapw_t w, reporter;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "category", categories [n % 3]);
    gl_mapw_str (&w, "grid", grid? grid: grids [n % 4]);
    gl_mapw_str (&w, "description", description);
    gl_mapw_init (&reporter);
    gl_mapw_str (&reporter, "id", "police-110");
    gl_mapw_str (&reporter, "role", "department");
    gl_mapw_map (&w, "reporter", &reporter);
    gl_mapw_fini (&reporter);
    gl_mapw_str (&w, "channel", "department");
    if (pad) {
        //  The longest evidence and the most attachments a report may carry, too.
        char evidence [2000], ref [256];
        memset (evidence, '.', sizeof evidence - 1);
        evidence [sizeof evidence - 1] = 0;
        gl_mapw_str (&w, "evidence", evidence);
        gl_mapw_key (&w, "attachments");
        msgpack_pack_array (&w.pk, 16);
        for (int i = 0; i < 16; i++) {
            int len = snprintf (ref, sizeof ref, "https://110.example.cn/case/%u/photo-%d.jpg?",
                                n, i);
            memset (ref + len, 'x', 200 - len);
            ref [200] = 0;
            gl_pack_cstr (&w.pk, ref);
        }
    }
    gl_mapw_finish (&w, out);
    gl_mapw_fini (&w);
}

static gl_dept_t *
s_dept (tk_net_t *net, const char *source, const char *name)
{
    char dir [400];
    snprintf (dir, sizeof dir, "%s/%s", net->dir, name);
    gl_err_t err;
    gl_dept_t *dept = gl_dept_new (&net->cfg, source, dir, &err);
    TK_CHECK (net, dept, "gl_dept_new: %s", err.message);
    return dept;
}

static void
s_report (tk_net_t *net, gl_dept_t *dept, unsigned n, const char *grid, unsigned pad)
{
    msgpack_sbuffer body;
    s_report_body (&body, n, grid, pad);
    gl_err_t err;
    uint64_t seq;
    int rc = gl_dept_report (dept, body.data, body.size, &seq, &err);
    msgpack_sbuffer_destroy (&body);
    TK_CHECK (net, rc == 0, "report %u not stored: %s", n, err.message);
    TK_CHECK (net, seq == gl_dept_last (dept), "report %u got seq %llu, last is %llu", n,
              (unsigned long long) seq, (unsigned long long) gl_dept_last (dept));
}

//  Intake killed and restarted at random moments of the publishing.
typedef struct {
    tk_net_t *net;              //  the processes
    unsigned at [S_KILLS];      //  reports made when each kill happens
    unsigned kills;             //  kills so far
    int64_t restart_at;         //  intake is down until then (0: it is up)
} s_chaos_t;

static void
s_chaos (s_chaos_t *c, unsigned made)
{
    if (c->restart_at && zclock_mono () >= c->restart_at) {
        tk_spawn (c->net, "intake");
        c->restart_at = 0;
    }
    if (!c->restart_at && c->kills < S_KILLS && made >= c->at [c->kills]) {
        printf ("kill -9 intake after %u reports\n", made);
        fflush (stdout);
        tk_kill (c->net, "intake", SIGKILL);
        c->restart_at = zclock_mono () + 1 + randof (400);
        c->kills++;
    }
}

//  Pump until nothing is pending; chaos (may be NULL) keeps running meanwhile.
static void
s_drain (tk_net_t *net, gl_dept_t *dept, s_chaos_t *chaos)
{
    int64_t end = zclock_mono () + S_ANSWER_MS;
    while (gl_dept_pending (dept) > 0 && zclock_mono () < end && !zsys_interrupted) {
        TK_CHECK (net, gl_dept_pump (dept, 50) == 0, "gl_dept_pump failed");
        if (chaos)
            s_chaos (chaos, S_REPORTS);
    }
    TK_CHECK (net, gl_dept_pending (dept) == 0, "%llu of %llu reports still unanswered after "
              "%d s", (unsigned long long) gl_dept_pending (dept),
              (unsigned long long) gl_dept_last (dept), S_ANSWER_MS / 1000);
}

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

//  The proof: every report accepted with its own event, the archive holds each event exactly
//  once and nothing else, and intake counted one acceptance per report.
static void
s_check_exactly_once (tk_net_t *net, gl_dept_t *dept, unsigned total)
{
    TK_CHECK (net, gl_dept_last (dept) == total, "the outbox gave out %llu seqs for %u reports",
              (unsigned long long) gl_dept_last (dept), total);
    char **ids = calloc (total, sizeof (char *));
    for (unsigned seq = 1; seq <= total; seq++) {
        gl_dept_answer_t answer;
        int state = gl_dept_answer (dept, seq, &answer);
        TK_CHECK (net, state == 0, "report %u: %s", seq, state == 1? "still pending":
                  "no answer stored");
        TK_CHECK (net, answer.ok && !answer.duplicate && answer.id [0], "report %u was not "
                  "accepted as a new event: %s %s", seq, answer.code_name, answer.message);
        bool ok = false;
        char text [GL_MAX_NAME + 1];
        TK_CHECK (net, gl_dept_result (dept, seq, &ok, text, sizeof text) == 0 && ok
                  && streq (text, answer.id), "gl_dept_result disagrees with gl_dept_answer "
                  "on report %u", seq);
        ids [seq - 1] = strdup (answer.id);
    }
    bool ok;
    char text [8];
    TK_CHECK (net, gl_dept_result (dept, total + 1, &ok, text, sizeof text) == -1,
              "a seq never given out is not unknown");
    qsort (ids, total, sizeof (char *), s_strcmp);
    for (unsigned i = 1; i < total; i++)
        TK_CHECK (net, strcmp (ids [i - 1], ids [i]) != 0, "two reports were answered with "
                  "the same event id %s", ids [i]);

    //  Intake published an event and at least one ack per report.
    TK_CHECK (net, tk_wait_caught_up (net, "archive", "intake", 2 * total, 60000) == 0,
              "archive did not catch up with intake within 60 s (intake last_seq %lld, "
              "archive at %lld)", (long long) tk_status (net, "intake", "last_seq"),
              (long long) tk_status (net, "archive", "inbox.intake.last"));
    char **held;
    uint64_t *counts;
    long n = tk_archive_events (net, &held, &counts);
    TK_CHECK (net, n >= 0, "archive did not answer list");
    unsigned events = 0;
    for (long i = 0; i < n; i++) {
        if (held [i][0] == '#')         //  messages about no event (the acks): "#intake"
            continue;
        TK_CHECK (net, counts [i] == 1, "archive holds event %s %llu times", held [i],
                  (unsigned long long) counts [i]);
        //  Both lists are sorted by id, so they must agree entry by entry.
        TK_CHECK (net, events < total && streq (held [i], ids [events]), "archive holds "
                  "event %s, which no report was answered with", held [i]);
        events++;
    }
    TK_CHECK (net, events == total, "archive holds %u events for %u reports", events, total);
    int64_t accepted = tk_status (net, "intake", "ext_accepted");
    TK_CHECK (net, accepted == (int64_t) total, "intake counted %lld accepted departmental "
              "reports, expected %u", (long long) accepted, total);
    printf ("  %u reports, %u events, each held once; %llu resends; intake answered %lld "
            "resent reports again\n", total, events, (unsigned long long) gl_dept_resent (dept),
            (long long) tk_status (net, "intake", "ext_duplicates"));
    for (long i = 0; i < n; i++)
        free (held [i]);
    free (held);
    free (counts);
    for (unsigned i = 0; i < total; i++)
        free (ids [i]);
    free (ids);
}

//  ---------------------------------------------------------------------------------------------

static void
test_intake_killed_three_times_every_report_once (void)
{
    printf ("intake killed %d times while %d reports are published\n", S_KILLS, S_REPORTS);
    tk_net_t *net = tk_net_new (S_PORTS, S_SOURCES);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "archive");
    gl_dept_t *dept = s_dept (net, "police-110", "dept");
    //  One kill somewhere in each third of the run.
    s_chaos_t chaos = { .net = net };
    for (int k = 0; k < S_KILLS; k++)
        chaos.at [k] = 1 + k * S_REPORTS / S_KILLS + randof (S_REPORTS / S_KILLS - 1);
    //  About one report a millisecond: a few seconds of traffic for the kills to land in.
    for (unsigned n = 0; n < S_REPORTS; n++) {
        s_report (net, dept, n, NULL, 0);
        s_chaos (&chaos, n + 1);
        TK_CHECK (net, gl_dept_pump (dept, n % 10? 0: 10) == 0, "gl_dept_pump failed");
    }
    s_drain (net, dept, &chaos);
    if (chaos.restart_at)
        tk_spawn (net, "intake");
    TK_CHECK (net, chaos.kills == S_KILLS, "only %u kills happened", chaos.kills);
    //  Proof that the kills bit: reports went unanswered and were sent again.
    TK_CHECK (net, gl_dept_resent (dept) > 0, "no report was resent: the kills did not bite");
    s_check_exactly_once (net, dept, S_REPORTS);
    gl_dept_destroy (&dept);
    tk_net_destroy (&net);
}

static void
test_tiny_high_water_marks_every_report_once (void)
{
    printf ("subscriber high-water mark of 10, intake frozen during a burst of %d reports\n",
            S_REPORTS);
    tk_net_t *net = tk_net_new (S_PORTS, S_SOURCES "limits\n    sub_hwm = 10\n");
    tk_start (net, "bus");
    pid_t intake = tk_start (net, "intake");
    tk_start (net, "archive");
    //  The department's own subscriber has the tiny mark too: acks are dropped as well.
    gl_dept_t *dept = s_dept (net, "police-110", "dept");
    //  9 KB reports, and intake frozen while they go out: 27 MB overflow every socket buffer
    //  on the way to intake, so the bus drops most of them.
    kill (intake, SIGSTOP);
    for (unsigned n = 0; n < S_REPORTS; n++)
        s_report (net, dept, n, NULL, 3700);
    kill (intake, SIGCONT);
    s_drain (net, dept, NULL);
    s_check_exactly_once (net, dept, S_REPORTS);
    //  Proof that both directions lost messages: reports intake never saw had to be resent
    //  before they were accepted, and reports it had accepted were answered again because the
    //  department never saw the first answer.
    int64_t again = tk_status (net, "intake", "ext_duplicates");
    TK_CHECK (net, gl_dept_resent (dept) > (uint64_t) again, "no report was lost on the way "
              "to intake: the tiny high-water mark did not bite");
    TK_CHECK (net, again > 0, "no acknowledgement was lost on the way back: the tiny "
              "high-water mark did not bite");
    //  A restart of the department's process finds nothing pending and resends nothing.
    gl_dept_destroy (&dept);
    dept = s_dept (net, "police-110", "dept");
    TK_CHECK (net, gl_dept_pending (dept) == 0 && gl_dept_last (dept) == S_REPORTS,
              "reopened outbox: %llu pending, last seq %llu", (unsigned long long)
              gl_dept_pending (dept), (unsigned long long) gl_dept_last (dept));
    gl_dept_destroy (&dept);
    tk_net_destroy (&net);
}

//  One report that intake refuses: answered with code, then never sent again.
static void
s_check_final (tk_net_t *net, const char *source, const char *name, const char *grid,
               const char *code)
{
    //  Watch the bus for the department's reports, as any subscriber could.
    zsock_t *watch = zsock_new (ZMQ_SUB);
    gl_socket_limits (watch, net->cfg.max_msg_bytes, 0);
    char prefix [GL_MAX_TOPIC];
    snprintf (prefix, sizeof prefix, "ext.%s.report", source);
    zsock_set_subscribe (watch, prefix);
    zsock_connect (watch, "%s", net->cfg.bus_backend);
    gl_dept_t *dept = s_dept (net, source, name);
    s_report (net, dept, 1, grid, 0);
    int64_t end = zclock_mono () + 30000;
    while (gl_dept_pending (dept) > 0 && zclock_mono () < end)
        gl_dept_pump (dept, 50);
    gl_dept_answer_t answer;
    TK_CHECK (net, gl_dept_answer (dept, 1, &answer) == 0, "%s: no answer within 30 s",
              source);
    TK_CHECK (net, !answer.ok && streq (answer.code_name, code), "%s: answered %s %s %s, "
              "expected %s", source, answer.ok? "ok": "refused", answer.id, answer.code_name,
              code);
    printf ("  %s: refused %s: %s\n", source, answer.code_name, answer.message);
    //  Final: nothing is published again, however long the department keeps pumping.
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (watch)))
        zmsg_destroy (&msg);
    uint64_t resent = gl_dept_resent (dept);
    unsigned seen = 0;
    end = zclock_mono () + S_QUIET_MS;
    while (zclock_mono () < end) {
        gl_dept_pump (dept, 50);
        while ((msg = zmsg_recv_nowait (watch))) {
            seen++;
            zmsg_destroy (&msg);
        }
    }
    TK_CHECK (net, seen == 0 && gl_dept_resent (dept) == resent, "%s: the refused report was "
              "published %u more times after its final answer", source, seen);
    gl_dept_destroy (&dept);
    zsock_destroy (&watch);
}

static void
test_refusals_are_final (void)
{
    printf ("refusals are final\n");
    tk_net_t *net = tk_net_new (S_PORTS, S_SOURCES);
    tk_start (net, "bus");
    tk_start (net, "intake");
    s_check_final (net, "water-co", "unregistered", NULL, "FORBIDDEN");
    s_check_final (net, "police-110", "invalid", "XX-99-99", "INVALID");
    TK_CHECK (net, tk_status (net, "intake", "ext_accepted") == 0, "a refused report was "
              "counted as accepted");
    TK_CHECK (net, tk_status (net, "intake", "ext_refused") >= 1, "intake did not count the "
              "unregistered source's report");
    //  A source id that could not be registered is refused before anything is opened.
    gl_err_t err;
    char dir [400];
    snprintf (dir, sizeof dir, "%s/bad", net->dir);
    gl_dept_t *bad = gl_dept_new (&net->cfg, "police.110", dir, &err);
    TK_CHECK (net, !bad && err.code == GL_INVALID, "source id \"police.110\" was accepted");
    tk_net_destroy (&net);
}

int
main (void)
{
    unsigned seed = getenv ("GL_SEED")? (unsigned) atoi (getenv ("GL_SEED")):
                                        (unsigned) time (NULL);
    srandom (seed);
    printf ("departmental publisher fault test, seed %u\n", seed);
    fflush (stdout);
    test_refusals_are_final ();
    test_intake_killed_three_times_every_report_once ();
    test_tiny_high_water_marks_every_report_once ();
    printf ("3 passed, 0 failed\n");
    return 0;
}

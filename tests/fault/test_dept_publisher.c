/*  Fault test: a departmental publisher (gl_dept) reports over the bus through forced losses,
    and resends until every report is answered:
    - intake SIGKILLed between segments of reports, and a whole segment published while intake
      is not running at all (every report of it is lost on the way and must be resent);
    - the department's process replaced (the client destroyed without reading intake's answers
      and opened again) after intake has accepted every report: every answer is lost on the way
      back, so every report is resent and answered again as a duplicate of itself;
    - refusals (an unregistered source, an invalid report) are final: answered once, the report
      leaves the outbox and is never sent again.
    Each passes only on the outcome: every report has its own event, held exactly once by the
    archive, and intake counted exactly one acceptance per report.  */
#include "testkit.h"
#include "gl_security.h"
#include "gl_dept.h"

#include <signal.h>

#define S_REPORTS       3000    //  reports per test
#define S_SEGMENTS      3       //  of them, published in this many segments
#define S_ANSWER_MS     300000  //  longest wait for every answer (a hang, not an outcome)
#define S_PORTS         22000   //  this test's ports (every test reuses them, one at a time)
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

//  Pump until nothing is pending.
static void
s_drain (tk_net_t *net, gl_dept_t *dept)
{
    int64_t end = zclock_mono () + S_ANSWER_MS;
    while (gl_dept_pending (dept) > 0 && zclock_mono () < end && !zsys_interrupted)
        TK_CHECK (net, gl_dept_pump (dept, 50) == 0, "gl_dept_pump failed");
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
test_intake_killed_between_segments_and_down_for_one (void)
{
    printf ("intake killed between %d segments of %d reports, and down for the second\n",
            S_SEGMENTS, S_REPORTS / S_SEGMENTS);
    tk_net_t *net = tk_net_new (S_PORTS, S_SOURCES);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "archive");
    gl_dept_t *dept = s_dept (net, "police-110", "dept");
    unsigned n = 0;
    for (int s = 0; s < S_SEGMENTS; s++) {
        bool down = s == 1;             //  this segment goes out with nobody to take it
        if (down)
            tk_kill (net, "intake", SIGKILL);
        for (unsigned i = 0; i < S_REPORTS / S_SEGMENTS; i++, n++) {
            s_report (net, dept, n, NULL, 0);
            TK_CHECK (net, gl_dept_pump (dept, 0) == 0, "gl_dept_pump failed");
        }
        if (down)
            tk_start (net, "intake");
        s_drain (net, dept);
        tk_kill (net, "intake", SIGKILL);
        tk_start (net, "intake");
    }
    s_check_exactly_once (net, dept, S_REPORTS);
    gl_dept_destroy (&dept);
    tk_net_destroy (&net);
}

static void
test_every_answer_lost_so_every_resend_is_a_duplicate (void)
{
    printf ("every answer lost: %d reports accepted by intake, none of its answers heard\n",
            S_REPORTS);
    tk_net_t *net = tk_net_new (S_PORTS, S_SOURCES);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "archive");
    //  The department first runs deaf: its reports reach the bus, but nothing of intake's
    //  reaches it (its subscriber and its link to intake point at a port nobody binds).
    gl_config_t deaf = net->cfg;
    snprintf (deaf.bus_backend, sizeof deaf.bus_backend, "tcp://127.0.0.1:%d", S_PORTS + 7);
    snprintf (deaf.svc [GL_SVC_INTAKE].endpoint, sizeof deaf.svc [GL_SVC_INTAKE].endpoint,
              "tcp://127.0.0.1:%d", S_PORTS + 8);
    char dir [400];
    snprintf (dir, sizeof dir, "%s/dept", net->dir);
    gl_err_t err;
    gl_dept_t *dept = gl_dept_new (&deaf, "police-110", dir, &err);
    TK_CHECK (net, dept, "gl_dept_new: %s", err.message);
    for (unsigned n = 0; n < S_REPORTS; n++) {
        s_report (net, dept, n, NULL, 0);
        TK_CHECK (net, gl_dept_pump (dept, 0) == 0, "gl_dept_pump failed");
    }
    //  It resends until intake has accepted every report (a report can be lost on the way
    //  before the bus has its subscription); it hears no answer, so all stay pending.
    int64_t end = zclock_mono () + S_ANSWER_MS;
    while (tk_status (net, "intake", "ext_accepted") < S_REPORTS && zclock_mono () < end)
        TK_CHECK (net, gl_dept_pump (dept, 100) == 0, "gl_dept_pump failed");
    TK_CHECK (net, tk_status (net, "intake", "ext_accepted") == S_REPORTS, "intake accepted "
              "%lld of %d", (long long) tk_status (net, "intake", "ext_accepted"), S_REPORTS);
    TK_CHECK (net, gl_dept_pending (dept) == S_REPORTS, "%llu reports pending, expected all",
              (unsigned long long) gl_dept_pending (dept));
    //  The process goes and comes back, hearing now: every report is resent, and every resend
    //  is a duplicate, answered as the first time.
    gl_dept_destroy (&dept);
    dept = s_dept (net, "police-110", "dept");
    TK_CHECK (net, gl_dept_pending (dept) == S_REPORTS, "the reopened outbox holds %llu "
              "reports, expected all %d", (unsigned long long) gl_dept_pending (dept), S_REPORTS);
    int64_t before = tk_status (net, "intake", "ext_duplicates");
    s_drain (net, dept);
    TK_CHECK (net, tk_status (net, "intake", "ext_duplicates") - before >= S_REPORTS,
              "intake answered %lld resent reports again, expected at least %d",
              (long long) (tk_status (net, "intake", "ext_duplicates") - before), S_REPORTS);
    s_check_exactly_once (net, dept, S_REPORTS);
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
    //  Final: the report left the outbox, so nothing can send it again.
    TK_CHECK (net, gl_dept_pending (dept) == 0, "%s: the refused report is still pending",
              source);
    gl_dept_destroy (&dept);
}

static void
test_refusals_are_final (void)
{
    printf ("refusals are final\n");
    tk_net_t *net = tk_net_new (S_PORTS, S_SOURCES);
    tk_start (net, "bus");
    tk_start (net, "intake");
    //  A department with a certificate the county issued, but not registered with intake.
    static const char *const at [] = { "bus", "intake", NULL };
    gl_err_t cert_err;
    TK_CHECK (net, gl_sec_cert_new (net->cfg.certs_dir, "water-co", "water-co", "department",
                                    NULL, &cert_err) == 0
                   && gl_sec_allow (net->cfg.certs_dir, "water-co", at, &cert_err) == 0,
              "certificate: %s", cert_err.message);
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
    printf ("departmental publisher fault test\n");
    fflush (stdout);
    test_refusals_are_final ();
    test_intake_killed_between_segments_and_down_for_one ();
    test_every_answer_lost_so_every_resend_is_a_duplicate ();
    printf ("3 passed, 0 failed\n");
    return 0;
}

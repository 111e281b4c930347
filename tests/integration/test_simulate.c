/*  Integration: `gridloop simulate` against a real network (bus, intake, dispatcher,
    escalation, archive, metrics) on the manual clock. Three simulated working days from one
    seed, then the outcome checked through the public protocol only: reports made, events
    closed, cards fired, boards ranked with different scores, every event intake opened in the
    archive; and the plan the same seed draws again without sending anything.  */
#include "testkit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#define S_PORTS     25600       //  this test's ports (25600 … 25614)
#define S_SEED      "7"
#define S_DAYS      "3"
#define S_PER_DAY   "120"       //  reports a simulated day: enough for cards, quick on 2 cores
#define S_WAIT_MS   20000       //  longest wait for a consumer to catch up

static tk_net_t *s_net;
static char s_summary [1024];   //  the simulator's last line
static char s_commands [1024];  //  the line before it: commands by operation
static double s_seconds;        //  how long the run took (real time)

//  Run `gridloop simulate` with args on the test's network; its last line in s_summary.
//  Returns its exit status.
static int
s_simulate (const char *args)
{
    char command [2048];
    snprintf (command, sizeof command, "%s/gridloop --config %s simulate --quiet --data %s/sim "
              "%s 2>%s/simulate.err", s_net->bin_dir, s_net->cfg_path, s_net->dir, args,
              s_net->dir);
    FILE *p = popen (command, "r");
    assert_non_null (p);
    char line [1024];
    s_summary [0] = 0;
    while (fgets (line, sizeof line, p)) {
        memcpy (s_commands, s_summary, sizeof s_commands);
        snprintf (s_summary, sizeof s_summary, "%s", line);
    }
    int status = pclose (p);
    return WIFEXITED (status)? WEXITSTATUS (status): 128;
}

//  The number after word in s_summary ("reports 341" → 341), or -1.
static long
s_figure (const char *word)
{
    const char *at = strstr (s_summary, word);
    return at? strtol (at + strlen (word), NULL, 10): -1;
}

static void
test_three_simulated_days_move_the_whole_county (void **state)
{
    int64_t started = zclock_mono ();
    char args [512];
    snprintf (args, sizeof args, "--seed " S_SEED " --days " S_DAYS " --per-day " S_PER_DAY
              " --ids %s/ids", s_net->dir);
    assert_int_equal (s_simulate (args), 0);
    s_seconds = (zclock_mono () - started) / 1000.0;
    printf ("# %s# %s# took %.1f s\n", s_commands, s_summary, s_seconds);
    long reports = s_figure ("reports "), events = s_figure ("(events "),
         refused = s_figure ("refused "), closed = s_figure ("closed ");
    assert_true (reports > 250);
    assert_int_equal (refused, 0);
    assert_true (events > 200 && events <= reports);
    assert_true (closed > 50);

    //  Cards fired: some units are slow.
    int64_t yellow = tk_status (s_net, "escalation", "yellow_cards");
    assert_true (yellow > 0);
    //  One street went to wartime and back.
    assert_int_equal (tk_status (s_net, "escalation", "switches"), 2);

    //  Every event intake opened is in the archive (and nothing else is).
    int64_t last = tk_status (s_net, "intake", "last_seq");
    assert_int_equal (tk_wait_caught_up (s_net, "archive", "intake", last, S_WAIT_MS), 0);
    char path [320];
    snprintf (path, sizeof path, "%s/ids", s_net->dir);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char **ids = NULL;
    uint64_t *counts = NULL;
    long held = tk_archive_events (s_net, &ids, &counts);
    char **opened = calloc ((size_t) events + 1, sizeof (char *));
    char line [128];
    long seen = 0;
    while (seen <= events && fgets (line, sizeof line, f)) {
        line [strcspn (line, "\n")] = 0;
        opened [seen++] = strdup (line);
    }
    fclose (f);
    assert_int_equal (seen, events);
    //  Both ways: each opened event archived, each archived event opened.
    for (long k = 0; k < seen; k++) {
        bool found = false;
        for (long i = 0; i < held && !found; i++)
            found = streq (ids [i], opened [k]);
        if (!found)
            fail_msg ("event %s was opened by intake but is not in the archive", opened [k]);
    }
    //  Messages without an event id (the wartime switches) are kept under "#<src>".
    long archived = 0;
    for (long i = 0; i < held; i++) {
        if (ids [i][0] == '#')
            continue;
        archived++;
        bool found = false;
        for (long k = 0; k < seen && !found; k++)
            found = streq (ids [i], opened [k]);
        if (!found)
            fail_msg ("the archive holds %s, which intake did not open for the simulator",
                      ids [i]);
    }
    assert_int_equal (archived, events);
    for (long k = 0; k < seen; k++)
        free (opened [k]);
    free (opened);
    for (long i = 0; i < held; i++)
        free (ids [i]);
    free (ids);
    free (counts);
}

static void
test_boards_are_ranked_with_different_scores (void **state)
{
    //  Metrics has taken in everything the dispatcher and escalation published.
    static const char *const producers [] = { "dispatcher", "escalation" };
    for (size_t i = 0; i < 2; i++) {
        int64_t last = tk_status (s_net, producers [i], "last_seq");
        assert_int_equal (tk_wait_caught_up (s_net, "metrics", producers [i], last, S_WAIT_MS),
                          0);
    }
    json_t *doc = tk_json ("{\"op\": \"ranking\", \"group\": \"board\", \"period\": \"2026-11\"}");
    gl_code_t code;
    char message [512] = "";
    json_t *answer = tk_send_json (s_net, "metrics", doc, &code, message, sizeof message);
    json_decref (doc);
    if (code != GL_OK)
        fail_msg ("ranking refused: %s", message);
    json_t *rows = json_object_get (answer, "rows");
    size_t ranked = 0;
    double lowest = 1e9, highest = -1e9;
    for (size_t i = 0; i < json_array_size (rows); i++) {
        json_t *row = json_array_get (rows, i);
        if (json_is_null (json_object_get (row, "rank")))
            continue;
        double score = json_number_value (json_object_get (row, "score"));
        ranked++;
        lowest = score < lowest? score: lowest;
        highest = score > highest? score: highest;
    }
    printf ("# boards: %zu ranked, scores %.1f … %.1f\n", ranked, lowest, highest);
    assert_true (ranked >= 2);
    assert_true (highest > lowest);
    json_decref (answer);
}

static void
test_the_same_seed_plans_the_same_reports (void **state)
{
    long reports = s_figure ("reports ");
    char digest [32] = "";
    const char *at = strstr (s_summary, "digest ");
    assert_non_null (at);
    snprintf (digest, sizeof digest, "%.16s", at + 7);
    //  The plan alone, drawn again from the seed: the same reports, in the same order.
    assert_int_equal (s_simulate ("--dry-run --seed " S_SEED " --days " S_DAYS
                                  " --per-day " S_PER_DAY), 0);
    assert_int_equal (s_figure ("reports "), reports);
    assert_non_null (strstr (s_summary, digest));
    //  Another seed, another plan.
    assert_int_equal (s_simulate ("--dry-run --seed 8 --days " S_DAYS " --per-day " S_PER_DAY),
                      0);
    assert_null (strstr (s_summary, digest));
}

static int
s_setup (void **state)
{
    char extra [512];
    //  Monday 2 November 2026, 08:00 county time: three working days follow.
    snprintf (extra, sizeof extra,
              "clock\n    mode = \"manual\"\n    start_ms = %lld\n"
              "intake\n    sources = \"police-110 hotline-12345 sensors-flood\"\n"
              "archive\n    reads = \"intake dispatcher escalation\"\n",
              (long long) tk_local_ms ("2026-11-02T08:00"));
    s_net = tk_net_new (S_PORTS, extra);
    tk_start (s_net, "bus");
    tk_start (s_net, "intake");
    tk_start (s_net, "dispatcher");
    tk_start (s_net, "escalation");
    tk_start (s_net, "archive");
    tk_start (s_net, "metrics");
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
    //  One network, one run: the later tests read what the first one left.
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_three_simulated_days_move_the_whole_county),
        cmocka_unit_test (test_boards_are_ranked_with_different_scores),
        cmocka_unit_test (test_the_same_seed_plans_the_same_reports),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

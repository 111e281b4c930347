/*  Fault test: the whole county under simulated load. All six services on the manual clock and
    `gridloop simulate` (two simulated days) as a child process; while it runs, each service is
    SIGKILLed and restarted at once, as a supervisor would, twice each, and the archive is frozen
    (SIGSTOP) behind a subscriber high-water mark of 10, the bus restarted under it, and
    thawed. Every fault fires at a defined point: when intake's last_seq reaches
    a fixed fraction of what the same seed publishes. Afterwards the services must agree
    exactly: the archive holds every event intake acknowledged and every message intake
    published, once; no step was dispatched twice and no card fired twice; metrics counted the
    events the archive holds; escalation counted the cards the archive holds (metrics' cards
    per unit are compared and printed: see the comment at that check).  */
#include "testkit.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_PORTS     25700       //  this test's ports (25700 … 25714)
#define S_ARGS      "--seed 11 --days 2 --per-day 150"
#define S_PERIOD    "2026-11"   //  both simulated days lie in it
#define S_WAIT_MS   30000       //  longest wait for a consumer to catch up
#define S_RUN_MS    300000      //  longest simulator run: about 45 s on 2 cores
//  Intake's last_seq at the end of a run of S_ARGS: its reports, attachments and acks to
//  the departments (about 455; a department's report sent again after the bus restarts is
//  acknowledged again). The faults are spread over the first 90 % of it, so every one fires
//  while the simulator runs.
#define S_INTAKE_SEQ 450
#define S_AT(percent) (S_INTAKE_SEQ * (percent) / 100)

typedef enum { S_KILL, S_STOP, S_CONT } s_how_t;

//  One forced fault: what happens to which process once intake's last_seq reaches at.
typedef struct {
    int64_t at;                 //  intake's last_seq that triggers it
    const char *name;           //  the process
    s_how_t how;                //  killed and restarted, frozen or thawed
} s_fault_t;

//  Every service in turn; the archive frozen, with the bus restarted under it; then the
//  services again in another order, closer together, while events are being closed.
static const s_fault_t s_faults [] = {
    { S_AT (10), "intake",     S_KILL },
    { S_AT (20), "dispatcher", S_KILL },
    { S_AT (30), "escalation", S_KILL },
    { S_AT (40), "archive",    S_KILL },
    { S_AT (50), "metrics",    S_KILL },
    { S_AT (60), "bus",        S_KILL },
    { S_AT (64), "archive",    S_STOP },
    { S_AT (68), "bus",        S_KILL },
    { S_AT (75), "archive",    S_CONT },
    { S_AT (80), "escalation", S_KILL },
    { S_AT (83), "dispatcher", S_KILL },
    { S_AT (86), "metrics",    S_KILL },
    { S_AT (88), "intake",     S_KILL },
    { S_AT (90), "archive",    S_KILL },
};
#define S_FAULTS (sizeof s_faults / sizeof s_faults [0])

//  Producer → consumer streams of the network, for the catch-up waits.
static const char *const s_streams [][2] = {
    { "intake", "dispatcher" }, { "dispatcher", "escalation" },
    { "intake", "archive" }, { "dispatcher", "archive" }, { "escalation", "archive" },
    { "dispatcher", "metrics" }, { "escalation", "metrics" },
};
#define S_STREAMS (sizeof s_streams / sizeof s_streams [0])

//  The pid of a process the test started, 0 when it is not running.
static pid_t
s_pid (tk_net_t *net, const char *name)
{
    for (int i = 0; i < TK_MAX_PROCS; i++)
        if (streq (net->names [i], name))
            return net->pids [i];
    return 0;
}

//  SIGKILL name and start it again at once; returns the messages it had repaired by replay
//  since it started (status counts them per process). On the manual clock a fresh process
//  starts at clock/start_ms until the simulator's next tick; a supervised service on wall
//  time never goes back in time, so it is restarted at the network's present (a later
//  setting in the config file overrides an earlier one).
static int64_t
s_kill_restart (tk_net_t *net, const char *name)
{
    int64_t replayed = streq (name, "bus")? 0: tk_status (net, name, "msgs_replayed");
    int64_t now = 0;
    static const char *const clocks [] = { "dispatcher", "escalation", "metrics" };
    for (size_t i = 0; i < 3; i++) {
        int64_t ms = streq (clocks [i], name)? -1: tk_status (net, clocks [i], "now_ms");
        now = ms > now? ms: now;
    }
    TK_CHECK (net, now > 0, "no service told the simulated time");
    FILE *f = fopen (net->cfg_path, "a");
    fprintf (f, "clock\n    start_ms = %lld\n", (long long) now);
    fclose (f);
    tk_kill (net, name, SIGKILL);
    tk_start (net, name);
    return replayed;
}

//  Start `gridloop simulate` with args in the background, its output in DIR/simulate.out.
static pid_t
s_simulate (tk_net_t *net, const char *args)
{
    char command [4096];
    snprintf (command, sizeof command, "exec %s/gridloop --config %s simulate --quiet "
              "--data %s/sim %s >%s/simulate.out 2>%s/simulate.err", net->bin_dir,
              net->cfg_path, net->dir, args, net->dir, net->dir);
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);     //  a test that fails leaves no simulator behind
        execl ("/bin/sh", "sh", "-c", command, (char *) NULL);
        _exit (127);
    }
    return pid;
}

//  The number after word in the simulator's summary ("(events 281" → 281), or -1.
static long
s_figure (tk_net_t *net, const char *word)
{
    char path [320], line [1024], last [1024] = "";
    snprintf (path, sizeof path, "%s/simulate.out", net->dir);
    FILE *f = fopen (path, "r");
    while (f && fgets (line, sizeof line, f))
        memcpy (last, line, sizeof last);
    if (f)
        fclose (f);
    const char *at = strstr (last, word);
    return at? strtol (at + strlen (word), NULL, 10): -1;
}

//  Wait until every consumer holds everything its producers published; again until a whole
//  round finds nothing new (a late card reaches escalation's consumers only after escalation
//  took in the dispatcher's last message).
static void
s_wait_quiet (tk_net_t *net)
{
    int64_t total = -1, before;
    do {
        before = total;
        total = 0;
        for (size_t i = 0; i < S_STREAMS; i++) {
            int64_t last = tk_status (net, s_streams [i][0], "last_seq");
            TK_CHECK (net, tk_wait_caught_up (net, s_streams [i][1], s_streams [i][0], last,
                                              S_WAIT_MS) == 0,
                      "%s did not catch up with %s (last_seq %lld)", s_streams [i][1],
                      s_streams [i][0], (long long) last);
            total += last;
        }
    } while (total != before);
}

//  A number from a JSON object, 0 when it is absent.
static int64_t
s_int (json_t *object, const char *key)
{
    return json_integer_value (json_object_get (object, key));
}

//  What the archive's histories hold, added up over events.
typedef struct {
    long reports;               //  intake.event.reported messages
    long intake;                //  every message of intake (reports, attachments, acks)
    long dispatched;            //  dispatcher.event.dispatched messages
    long cards;                 //  escalation.card.<unit> messages
    zhash_t *unit_cards;        //  unit → its cards minus those metrics credits it
} s_tally_t;

//  Add n to unit's count in tally's unit_cards.
static void
s_unit_cards_add (s_tally_t *tally, const char *unit, long n)
{
    long *count = zhash_lookup (tally->unit_cards, unit);
    if (!count) {
        count = calloc (1, sizeof *count);
        zhash_insert (tally->unit_cards, unit, count);
        zhash_freefn (tally->unit_cards, unit, free);
    }
    *count += n;
}

//  Send a JSON request to a service; its answer, or the test fails when it is refused.
static json_t *
s_ask (tk_net_t *net, const char *service, const char *text)
{
    json_t *req = tk_json (text);
    gl_code_t code;
    char message [512] = "";
    json_t *answer = tk_send_json (net, service, req, &code, message, sizeof message);
    json_decref (req);
    TK_CHECK (net, code == GL_OK, "%s refused %s: %s", service, text, message);
    return answer;
}

//  Print an event's history, one message a line: the evidence when a check fails.
static void
s_print_history (json_t *messages)
{
    for (size_t i = 0; i < json_array_size (messages); i++) {
        json_t *envelope = json_object_get (json_array_get (messages, i), "envelope"),
               *body = json_object_get (envelope, "body");
        printf ("    %2zu %s #%lld %s step %lld %s %s %s started %lld due %lld late_ms %lld\n", i,
                json_string_value (json_object_get (envelope, "src")),
                (long long) s_int (envelope, "seq"),
                json_string_value (json_object_get (envelope, "type")),
                (long long) s_int (body, "step"),
                json_string_value (json_object_get (body, "state"))?: "",
                json_string_value (json_object_get (body, "stage"))?: "",
                json_string_value (json_object_get (body, "level"))?: "",
                (long long) s_int (body, "started"), (long long) s_int (body, "due"),
                (long long) s_int (body, "late_ms"));
    }
}

//  An event's history from the archive's get: adds it to tally, and fails on a step
//  dispatched twice or a card fired twice. A card is once per timer: a timer is a stage of a
//  step that started at a moment (a failed verification starts the handle stage again in the
//  same step, with cards of its own).
static void
s_check_history (tk_net_t *net, const char *id, s_tally_t *tally)
{
    char text [256];
    snprintf (text, sizeof text, "{\"op\": \"get\", \"id\": \"%s\"}", id);
    json_t *answer = s_ask (net, "archive", text);
    json_t *messages = json_object_get (answer, "messages");
    zhash_t *seen = zhash_new ();   //  "dispatched/step", "card/step/stage/started/level"
    for (size_t i = 0; i < json_array_size (messages); i++) {
        json_t *m = json_array_get (messages, i);
        //  By the envelope's src and type: topics carry a unit qualifier.
        json_t *envelope = json_object_get (m, "envelope"),
               *body = json_object_get (envelope, "body");
        const char *src = json_string_value (json_object_get (envelope, "src")),
                   *type = json_string_value (json_object_get (envelope, "type"));
        TK_CHECK (net, src && type, "event %s: message %zu has no src or type", id, i);
        char key [160] = "";
        if (streq (src, "intake"))
            tally->intake++;
        if (streq (src, "intake") && streq (type, "event.reported"))
            tally->reports++;
        else
        if (streq (src, "dispatcher") && streq (type, "event.dispatched")) {
            snprintf (key, sizeof key, "dispatched/%lld", (long long) s_int (body, "step"));
            tally->dispatched++;
        }
        else
        if (streq (src, "escalation") && streq (type, "card")) {
            snprintf (key, sizeof key, "card/%lld/%s/%lld/%s", (long long) s_int (body, "step"),
                      json_string_value (json_object_get (body, "stage")),
                      (long long) s_int (body, "started"),
                      json_string_value (json_object_get (body, "level")));
            tally->cards++;
            s_unit_cards_add (tally, json_string_value (json_object_get (body, "unit")), 1);
        }
        if (*key && zhash_insert (seen, key, (void *) 1)) {
            printf ("  history of %s in the archive:\n", id);
            s_print_history (messages);
            tk_fail (net, "event %s: %s twice in the archive (message %zu)", id, key, i);
        }
    }
    zhash_destroy (&seen);
    json_decref (answer);
}

//  The number of events whose report the archive dates in S_PERIOD (county time, UTC+8).
static long
s_archive_reported_in_period (tk_net_t *net)
{
    char text [256];
    snprintf (text, sizeof text, "{\"op\": \"search\", \"reported_from\": %lld, "
              "\"reported_to\": %lld, \"limit\": 1, \"count\": true}",
              (long long) tk_local_ms ("2026-11-01T00:00"),
              (long long) tk_local_ms ("2026-12-01T00:00"));
    json_t *answer = s_ask (net, "archive", text);
    long count = (long) s_int (answer, "count");
    json_decref (answer);
    return count;
}

//  Metrics' reported counter of the county CTY for S_PERIOD, peacetime and wartime work.
static long
s_metrics_reported (tk_net_t *net)
{
    long reported = 0;
    for (int wartime = 0; wartime < 2; wartime++) {
        char text [256];
        snprintf (text, sizeof text, "{\"op\": \"score\", \"unit\": \"CTY\", \"period\": \""
                  S_PERIOD "\", \"wartime\": %s}", wartime? "true": "false");
        json_t *answer = s_ask (net, "metrics", text);
        reported += (long) s_int (json_object_get (answer, "counters"), "reported");
        json_decref (answer);
    }
    return reported;
}

//  Metrics' cards of S_PERIOD summed over every unit: each card credits the unit it names,
//  and every unit is in one peer group (metrics.md §3; workers take no cards).
static long
s_metrics_cards (tk_net_t *net, s_tally_t *tally)
{
    static const char *const groups [] = { "street", "community", "grid", "board",
                                           "department", "centre", "mediation" };
    long cards = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups [0]; g++)
        for (int wartime = 0; wartime < 2; wartime++) {
            char text [256];
            snprintf (text, sizeof text, "{\"op\": \"ranking\", \"group\": \"%s\", "
                      "\"period\": \"" S_PERIOD "\", \"wartime\": %s}", groups [g],
                      wartime? "true": "false");
            json_t *answer = s_ask (net, "metrics", text);
            json_t *rows = json_object_get (answer, "rows");
            for (size_t i = 0; i < json_array_size (rows); i++) {
                json_t *row = json_array_get (rows, i);
                long n = (long) (s_int (row, "yellow_cards") + s_int (row, "red_cards"));
                cards += n;
                if (n)
                    s_unit_cards_add (tally, json_string_value (json_object_get (row, "unit")),
                                      -n);
            }
            json_decref (answer);
        }
    return cards;
}

int
main (void)
{
    printf ("whole-system fault test: simulate " S_ARGS ", every service killed twice\n");
    char extra [512];
    //  Monday 2 November 2026, 08:00 county time, as test_simulate; a tiny high-water mark so
    //  the frozen archive's subscription overflows and drops.
    snprintf (extra, sizeof extra,
              "clock\n    mode = \"manual\"\n    start_ms = %lld\n"
              "limits\n    sub_hwm = 10\n"
              "intake\n    sources = \"police-110 hotline-12345 sensors-flood\"\n"
              "archive\n    reads = \"intake dispatcher escalation\"\n",
              (long long) tk_local_ms ("2026-11-02T08:00"));
    tk_net_t *net = tk_net_new (S_PORTS, extra);
    static const char *const order [] = { "bus", "intake", "dispatcher", "escalation",
                                          "archive", "metrics" };
    for (size_t i = 0; i < 6; i++)
        tk_start (net, order [i]);

    int64_t started = zclock_mono ();
    char args [512];
    snprintf (args, sizeof args, S_ARGS " --ids %s/ids", net->dir);
    pid_t sim = s_simulate (net, args);
    size_t next = 0;
    int status = 0, kills [6] = { 0 };
    int64_t replayed [6] = { 0 };       //  messages repaired by replay, over every process
    //  The faults, each when intake's last_seq reaches its point: polled while the
    //  simulator runs (a service being restarted answers -1 and fires nothing).
    while (waitpid (sim, &status, WNOHANG) == 0) {
        if (zclock_mono () - started > S_RUN_MS) {
            kill (sim, SIGKILL);
            tk_fail (net, "the simulator did not finish in %d s", S_RUN_MS / 1000);
        }
        if (next < S_FAULTS && tk_status (net, "intake", "last_seq") >= s_faults [next].at) {
            const s_fault_t *f = &s_faults [next++];
            for (size_t i = 0; i < 6; i++)
                if (f->how == S_KILL && streq (order [i], f->name)) {
                    replayed [i] += s_kill_restart (net, f->name);
                    kills [i]++;
                }
            if (f->how != S_KILL)
                kill (s_pid (net, f->name), f->how == S_STOP? SIGSTOP: SIGCONT);
            printf ("  intake seq %lld: %s %s\n", (long long) f->at,
                    f->how == S_KILL? "killed and restarted": f->how == S_STOP? "froze":
                    "thawed", f->name);
        }
        zclock_sleep (50);     //  intake's seq moves about 10 a second
    }
    double seconds = (zclock_mono () - started) / 1000.0;
    if (next < S_FAULTS && s_faults [next].how == S_CONT)
        kill (s_pid (net, s_faults [next].name), SIGCONT);
    TK_CHECK (net, WIFEXITED (status) && WEXITSTATUS (status) == 0,
              "the simulator failed (see %s/simulate.err)", net->dir);
    TK_CHECK (net, next == S_FAULTS, "only %zu of %zu faults fired: the simulator ended at "
              "intake seq %lld", next, S_FAULTS,
              (long long) tk_status (net, "intake", "last_seq"));
    long events = s_figure (net, "(events "), refused = s_figure (net, "refused ");
    printf ("  simulator: %ld events opened, %ld refused, %.1f s; kills:", events, refused,
            seconds);
    for (size_t i = 0; i < 6; i++)
        printf (" %s %d", order [i], kills [i]);
    printf ("\n");

    s_wait_quiet (net);

    //  The archive holds exactly the events intake acknowledged, each reported once.
    char path [320], line [128];
    snprintf (path, sizeof path, "%s/ids", net->dir);
    FILE *f = fopen (path, "r");
    TK_CHECK (net, f, "no ids file");
    zhash_t *opened = zhash_new ();
    long acked = 0;
    while (fgets (line, sizeof line, f)) {
        line [strcspn (line, "\n")] = 0;
        TK_CHECK (net, zhash_insert (opened, line, (void *) 1) == 0,
                  "intake acknowledged event %s twice as new", line);
        acked++;
    }
    fclose (f);
    TK_CHECK (net, acked == events, "ids file has %ld events, the simulator says %ld", acked,
              events);
    char **ids = NULL;
    uint64_t *counts = NULL;
    long held = tk_archive_events (net, &ids, &counts);
    long archived = 0;
    s_tally_t tally = { .unit_cards = zhash_new () };
    for (long i = 0; i < held; i++) {
        if (ids [i][0] == '#') {        //  messages without an event: intake's acks to the
            s_check_history (net, ids [i], &tally);    //  departments, wartime switches
            continue;
        }
        TK_CHECK (net, zhash_lookup (opened, ids [i]),
                  "the archive holds %s, which intake did not acknowledge", ids [i]);
        archived++;
        long before = tally.reports;
        s_check_history (net, ids [i], &tally);
        TK_CHECK (net, tally.reports == before + 1, "event %s: %ld reports in the archive",
                  ids [i], tally.reports - before);
    }
    TK_CHECK (net, archived == acked, "the archive holds %ld of the %ld events intake "
              "acknowledged", archived, acked);
    //  Every message intake published (its seqs have no gaps) is there once, and no other.
    int64_t intake_seq = tk_status (net, "intake", "last_seq");
    TK_CHECK (net, tally.intake == intake_seq, "intake published %lld messages, the archive "
              "holds %ld", (long long) intake_seq, tally.intake);

    //  Metrics counted the events the archive holds; escalation the cards.
    long in_period = s_archive_reported_in_period (net);
    long metrics_reported = s_metrics_reported (net), metrics_cards = s_metrics_cards (net, &tally);
    int64_t esc_cards = tk_status (net, "escalation", "yellow_cards")
                      + tk_status (net, "escalation", "red_cards");
    printf ("  archive: %ld events (%ld reported in " S_PERIOD "), %ld intake messages, "
            "%ld dispatches, %ld cards; metrics CTY reported %ld, cards %ld; escalation cards "
            "%lld\n", archived, in_period, tally.intake, tally.dispatched, tally.cards,
            metrics_reported, metrics_cards, (long long) esc_cards);
    printf ("  repaired by replay:");
    for (size_t i = 1; i < 6; i++)
        printf (" %s %lld", order [i], (long long) (replayed [i] +
                                                    tk_status (net, order [i], "msgs_replayed")));
    printf (" messages\n");
    TK_CHECK (net, in_period == archived, "the archive dates %ld of its %ld events in "
              S_PERIOD, in_period, archived);
    TK_CHECK (net, metrics_reported == in_period, "metrics counts %ld events reported in "
              S_PERIOD " for CTY, the archive holds %ld", metrics_reported, in_period);
    TK_CHECK (net, esc_cards == tally.cards, "escalation counts %lld cards, the archive holds "
              "%ld", (long long) esc_cards, tally.cards);
    //  Metrics credits every card the archive holds to the unit it names (one per timer: a
    //  failed verification times a step's handling again, and its cards count too).
    for (long *n = zhash_first (tally.unit_cards); n; n = zhash_next (tally.unit_cards))
        TK_CHECK (net, *n == 0, "unit %s: the archive holds %ld cards more than metrics "
                  "credits it", (const char *) zhash_cursor (tally.unit_cards), *n);
    TK_CHECK (net, tally.cards > 0, "no card fired: the run proves nothing about cards");

    for (long i = 0; i < held; i++)
        free (ids [i]);
    free (ids);
    free (counts);
    zhash_destroy (&opened);
    zhash_destroy (&tally.unit_cards);
    printf ("1 passed, 0 failed (%.1f s)\n", (zclock_mono () - started) / 1000.0);
    tk_net_destroy (&net);
    return 0;
}

/*  Integration: metrics (proto/metrics.md) through real bus, intake, dispatcher, escalation
    and metrics processes on the manual clock. A scripted history with hand-worked figures:
    every counter, rate and score of a board, a grid, a worker and the county; the same
    figures after a SIGKILL, and after the store is thrown away and rebuilt from the three
    streams replayed in another order; wartime work kept apart; immutable published
    snapshots and manual points; refusals; the live figures on the bus and in Prometheus.  */
#include "testkit.h"
#include "gl_json.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_PORTS     24400       //  this test's ports (24400 … 24414)
#define S_WAIT_MS   15000       //  longest wait for another process to catch up
#define HOUR_MS     INT64_C (3600000)

static tk_net_t *s_net;
static unsigned s_req;

static const char *const s_clocks [] = { "intake", "dispatcher", "escalation", "metrics" };

static void
s_advance (int64_t ms)
{
    for (size_t i = 0; i < sizeof s_clocks / sizeof s_clocks [0]; i++)
        tk_advance (s_net, s_clocks [i], ms);
}

//  Wait until metrics (and escalation) have applied everything the others published.
static void
s_caught_up (void)
{
    static const char *const pairs [][2] = {
        { "escalation", "dispatcher" }, { "metrics", "intake" }, { "metrics", "dispatcher" },
        { "metrics", "escalation" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs [0]; i++) {
        int64_t last = tk_status (s_net, pairs [i][1], "last_seq");
        if (tk_wait_caught_up (s_net, pairs [i][0], pairs [i][1], last, S_WAIT_MS))
            fail_msg ("%s did not catch up with %s's seq %lld", pairs [i][0], pairs [i][1],
                      (long long) last);
    }
}

//  A grid worker's fire-hazard report (03.01, P2) in SJ-01-01: dispatched at once to SJ-B4.
static char *
s_report (void)
{
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}",
                             "op", "report", "category", "03.01",
                             "grid", "SJ-01-01", "description", "楼道堆放杂物，堵塞消防通道",
                             "reporter", "id", "GW-0002", "role", "grid_worker",
                             "channel", "app");
    char *id = tk_reported (s_net, doc, "DISPATCHED");
    json_decref (doc);
    s_caught_up ();
    return id;
}

static void
s_act (const char *op, const char *id, const char *actor, const char *fields)
{
    tk_act (s_net, op, id, actor, fields);
    s_caught_up ();
}

//  Wait until escalation has fired at least n of a status counter (its tick follows the clock).
static void
s_fired (const char *counter, int64_t n)
{
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (tk_status (s_net, "escalation", counter) < n) {
        if (zclock_mono () > end)
            fail_msg ("escalation has not fired %lld %s", (long long) n, counter);
        zclock_sleep (10);
    }
    s_caught_up ();
}

//  Ask metrics: a JSON request, the answer as JSON (code must be want).
static json_t *
s_ask (const char *text, gl_code_t want, const char *says)
{
    json_t *doc = tk_json (text);
    if (json_object_get (doc, "req_id") && !json_string_value (json_object_get (doc, "req_id"))) {
        char req_id [32];
        snprintf (req_id, sizeof req_id, "metrics-ask-%u", ++s_req);
        json_object_set_new (doc, "req_id", json_string (req_id));
    }
    gl_code_t code;
    char message [512] = "";
    json_t *answer = tk_send_json (s_net, "metrics", doc, &code, message, sizeof message);
    json_decref (doc);
    if (code != want || (says && !strstr (message, says)))
        fail_msg ("%s: %s \"%s\"; expected %s \"%s\"", text, gl_code_name (code), message,
                  gl_code_name (want), says? says: "");
    return answer;
}

static json_t *
s_score (const char *unit, bool wartime)
{
    char text [256];
    snprintf (text, sizeof text, "{\"op\": \"score\", \"unit\": \"%s\", \"period\": \"2026-11\", "
              "\"wartime\": %s}", unit, wartime? "true": "false");
    return s_ask (text, GL_OK, NULL);
}

static int64_t
s_counter (json_t *score, const char *name)
{
    json_t *v = json_object_get (json_object_get (score, "counters"), name);
    if (!json_is_integer (v))
        fail_msg ("score has no counter %s", name);
    return json_integer_value (v);
}

//  Each named counter of unit must be as expected ("name=value" pairs; the others 0).
static void
s_expect_counters (const char *unit, const char *expected)
{
    json_t *score = s_score (unit, false);
    json_t *counters = json_object_get (score, "counters");
    const char *name;
    json_t *value;
    json_object_foreach (counters, name, value) {
        char pattern [64];
        snprintf (pattern, sizeof pattern, " %s=", name);
        const char *at = strstr (expected, pattern);
        long long want = at? atoll (at + strlen (pattern)): 0;
        if (json_integer_value (value) != want)
            fail_msg ("%s: counter %s is %lld, expected %lld", unit, name,
                      (long long) json_integer_value (value), want);
    }
    json_decref (score);
}

static void
s_expect_score (const char *unit, double score, const char *grade, bool ranked)
{
    json_t *s = s_score (unit, false);
    double got = json_number_value (json_object_get (s, "score"));
    if (got < score - 0.006 || got > score + 0.006
    ||  !streq (json_string_value (json_object_get (s, "grade")), grade)
    ||  json_is_true (json_object_get (s, "ranked")) != ranked)
        fail_msg ("%s: score %.2f grade %s ranked %d, expected %.2f %s %d", unit, got,
                  json_string_value (json_object_get (s, "grade")),
                  json_is_true (json_object_get (s, "ranked")), score, grade, ranked);
    json_decref (s);
}

//  Every counter of unit as one JSON text: what must not change across a restart.
static char *
s_figures (const char *unit, bool wartime)
{
    json_t *s = s_score (unit, wartime);
    char *text = json_dumps (json_object_get (s, "counters"), JSON_SORT_KEYS);
    json_decref (s);
    return text;
}

//  ---------------------------------------------------------------------------------------------

//  The history: E1 signed, handled and verified on time; E2 signed late (a yellow card on the
//  sign stage) and handled after both handle cards (yellow and red).
static void
s_history (void)
{
    char *e1 = s_report (), *e2 = s_report ();
    s_act ("sign", e1, "SJ-B4", NULL);
    s_act ("handle", e1, "SJ-B4", "{\"evidence\": \"已清理\"}");
    s_act ("verify", e1, "SJ-01-01", "{\"pass\": true}");
    s_advance (3 * HOUR_MS);                    //  09:00 → 12:00: sign (2 wh) is late at 11:00
    s_fired ("yellow_cards", 1);
    s_act ("sign", e2, "SJ-B4", NULL);
    s_advance (49 * HOUR_MS);                   //  handle 24 h / 48 h natural: both cards
    s_fired ("red_cards", 1);
    s_act ("handle", e2, "SJ-B4", "{\"evidence\": \"已清理\"}");
    free (e1);
    free (e2);
}

static const char *const s_units [] = { "SJ-B4", "SJ-01-01", "SJ-01", "SJ", "CTY", "GW-0002" };
#define S_UNITS (sizeof s_units / sizeof s_units [0])

static void
test_every_figure_is_recomputed_from_a_scripted_history (void **state)
{
    s_history ();
    //  SJ-B4 held both steps. Response 1/2 = 50, resolution 1/2 = 50 (E1 closed while it
    //  held it; E2 waits for verification), no callbacks: (0.30·50 + 0.35·50) / 0.65 = 50;
    //  cards −5 (sign) −5 (handle yellow) −10 (handle red) = 30: grade E, 2 items: not ranked.
    s_expect_counters ("SJ-B4", " items=2 due_sign=2 signed_on_time=1 accepted=2 due_close=2"
                       " closed=2 closed_on_time=1 resolved=1 yellow_cards=2 red_cards=1"
                       " deduction=20");
    s_expect_score ("SJ-B4", 30, "E", false);
    //  The grid: both found by its own worker (100); E1 closed on time, E2 overdue in handling
    //  (a_due_close 2, on time 1), E1 verified on time (1 of 1): (1 + 1) / (2 + 1) = 66.67;
    //  (0.30·100 + 0.30·66.67) / 0.60 = 83.33: B.
    s_expect_counters ("SJ-01-01", " reported=2 found=2 a_due_close=2 a_closed_on_time=1"
                       " a_due_verify=1 a_verified_on_time=1");
    s_expect_score ("SJ-01-01", 83.33, "B", false);
    //  The worker who reported both.
    s_expect_counters ("GW-0002", " reported=2");
    //  The verifier: one verification, on time.
    const char *verifier = tk_person_for (s_net, "verify", "SJ-01-01");
    assert_non_null (verifier);
    json_t *v = s_score (verifier, false);
    assert_int_equal (s_counter (v, "a_due_verify"), 1);
    assert_int_equal (s_counter (v, "a_verified_on_time"), 1);
    json_decref (v);
    //  The street and the county: the area and every step in it.
    const char *both = " items=2 due_sign=2 signed_on_time=1 accepted=2 due_close=2 closed=2"
                       " closed_on_time=1 resolved=1 reported=2 found=2 a_due_close=2"
                       " a_closed_on_time=1 a_due_verify=1 a_verified_on_time=1";
    s_expect_counters ("SJ", both);
    s_expect_counters ("CTY", both);
    //  why: the facts, summed, are the counters.
    json_t *why = s_ask ("{\"op\": \"why\", \"unit\": \"SJ-B4\", \"period\": \"2026-11\"}",
                         GL_OK, NULL);
    json_t *facts = json_object_get (why, "facts"), *sum = json_object ();
    assert_int_equal (json_array_size (facts), 3);     //  2 steps, and the cards of E2
    size_t i;
    json_t *fact;
    json_array_foreach (facts, i, fact) {
        const char *name;
        json_t *n;
        json_object_foreach (json_object_get (fact, "counters"), name, n)
            json_object_set_new (sum, name, json_integer (
                json_integer_value (json_object_get (sum, name)) + json_integer_value (n)));
    }
    json_t *score = s_score ("SJ-B4", false);
    const char *name;
    json_t *n;
    json_object_foreach (json_object_get (score, "counters"), name, n)
        if (json_integer_value (n) != json_integer_value (json_object_get (sum, name)))
            fail_msg ("why sums %s to %lld; the counter is %lld", name,
                      (long long) json_integer_value (json_object_get (sum, name)),
                      (long long) json_integer_value (n));
    json_decref (score);
    json_decref (sum);
    json_decref (why);

    //  A SIGKILL changes no figure; neither does a store rebuilt from the three streams,
    //  replayed apart (so in another order than they were first applied).
    char *before [S_UNITS];
    for (size_t u = 0; u < S_UNITS; u++)
        before [u] = s_figures (s_units [u], false);
    for (int round = 0; round < 2; round++) {
        tk_kill (s_net, "metrics", SIGKILL);
        if (round == 1) {
            char cmd [600];
            snprintf (cmd, sizeof cmd, "rm -rf %s/var/metrics", s_net->dir);
            assert_int_equal (system (cmd), 0);
        }
        tk_start (s_net, "metrics");
        //  The new store's clock starts where the configuration says: bring it level.
        if (round == 1)
            tk_advance (s_net, "metrics", 52 * HOUR_MS);
        s_caught_up ();
        for (size_t u = 0; u < S_UNITS; u++) {
            char *after = s_figures (s_units [u], false);
            if (!streq (after, before [u]))
                fail_msg ("%s after %s:\n  %s\nbefore:\n  %s", s_units [u],
                          round? "a rebuild": "a SIGKILL", after, before [u]);
            free (after);
        }
    }
    for (size_t u = 0; u < S_UNITS; u++)
        free (before [u]);

    //  Wartime work is scored apart: SJ in wartime, a new report's step counts there only.
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}", "op", "switch_mode",
                             "req_id", "metrics-war-1", "scope", "SJ", "to", "wartime",
                             "actor", "unit", "CTY-C", "person", "ST-0001", "reason", "防汛");
    gl_code_t code;
    json_decref (tk_send_json (s_net, "escalation", doc, &code, NULL, 0));
    json_decref (doc);
    assert_int_equal (code, GL_OK);
    char *e3 = s_report ();
    free (e3);
    json_t *war = s_score ("SJ-B4", true);
    assert_int_equal (s_counter (war, "items"), 1);
    json_decref (war);
    s_expect_counters ("SJ-B4", " items=2 due_sign=2 signed_on_time=1 accepted=2 due_close=2"
                       " closed=2 closed_on_time=1 resolved=1 yellow_cards=2 red_cards=1"
                       " deduction=20");
}

static void
test_published_snapshots_never_change_and_points_carry_their_reason (void **state)
{
    //  Refused, changing nothing: a board publishing; a person not on the office's staff.
    json_decref (s_ask ("{\"op\": \"publish\", \"req_id\": null, \"period\": \"2026-11\", "
                        "\"actor\": {\"unit\": \"SJ-B4\", \"person\": \"CY-0005\"}}",
                        GL_FORBIDDEN, "assessment office"));
    json_decref (s_ask ("{\"op\": \"publish\", \"req_id\": null, \"period\": \"2026-11\", "
                        "\"actor\": {\"unit\": \"CTY-ASSESS\", \"person\": \"GW-0002\"}}",
                        GL_FORBIDDEN, "not on the staff"));
    json_t *p = s_ask ("{\"op\": \"publish\", \"req_id\": null, \"period\": \"2026-11\", "
                       "\"actor\": {\"unit\": \"CTY-ASSESS\", \"person\": \"CY-0005\"}}",
                       GL_OK, NULL);
    assert_int_equal (json_integer_value (json_object_get (p, "version")), 1);
    json_decref (p);
    json_decref (s_ask ("{\"op\": \"points\", \"req_id\": null, \"unit\": \"SJ-B4\", "
                        "\"period\": \"2026-11\", \"points\": 3, \"reason\": \"汛期连续值守\", "
                        "\"actor\": {\"unit\": \"CTY-ASSESS\", \"person\": \"CY-0005\"}}",
                        GL_OK, NULL));
    s_expect_score ("SJ-B4", 33, "E", false);
    p = s_ask ("{\"op\": \"publish\", \"req_id\": null, \"period\": \"2026-11\", \"reason\": "
               "\"更正：加分\", \"actor\": {\"unit\": \"CTY-ASSESS\", \"person\": \"CY-0005\"}}",
               GL_OK, NULL);
    assert_int_equal (json_integer_value (json_object_get (p, "version")), 2);
    json_decref (p);
    double scores [2];
    for (int v = 1; v <= 2; v++) {
        char text [160];
        snprintf (text, sizeof text, "{\"op\": \"ranking\", \"group\": \"board\", \"period\": "
                  "\"2026-11\", \"version\": %d}", v);
        json_t *r = s_ask (text, GL_OK, NULL);
        assert_int_equal (json_integer_value (json_object_get (r, "version")), v);
        size_t i;
        json_t *row;
        scores [v - 1] = -1;
        json_array_foreach (json_object_get (r, "rows"), i, row)
            if (streq (json_string_value (json_object_get (row, "unit")), "SJ-B4"))
                scores [v - 1] = json_number_value (json_object_get (row, "score"));
        json_decref (r);
    }
    assert_float_equal (scores [0], 30, 0.001);
    assert_float_equal (scores [1], 33, 0.001);
    json_t *why = s_ask ("{\"op\": \"why\", \"unit\": \"SJ-B4\", \"period\": \"2026-11\"}",
                         GL_OK, NULL);
    json_t *point = json_array_get (json_object_get (why, "points"), 0);
    assert_string_equal (json_string_value (json_object_get (point, "reason")), "汛期连续值守");
    assert_string_equal (json_string_value (json_object_get (json_object_get (point, "by"),
                                                             "person")), "CY-0005");
    json_decref (why);
    //  Bad input: clear refusals.
    json_decref (s_ask ("{\"op\": \"score\", \"unit\": \"XX-99\"}", GL_NOT_FOUND, "no unit"));
    json_decref (s_ask ("{\"op\": \"score\", \"unit\": \"SJ-B4\", \"period\": \"2026-13\"}",
                        GL_INVALID, "month"));
    json_decref (s_ask ("{\"op\": \"ranking\", \"group\": \"town\"}", GL_INVALID, "peer group"));
    json_decref (s_ask ("{\"op\": \"ranking\", \"group\": \"board\", \"period\": \"2026-11\", "
                        "\"version\": 9}", GL_NOT_FOUND, "latest is 2"));
}

//  GET path from the Prometheus listener; the body, or NULL.
static char *
s_http_get (const char *path)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (S_PORTS + 8) };
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr)) {
        close (fd);
        return NULL;
    }
    char request [256];
    snprintf (request, sizeof request, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
    assert_true (write (fd, request, strlen (request)) == (ssize_t) strlen (request));
    size_t size = 1 << 20, len = 0;
    char *text = malloc (size);
    ssize_t n;
    while ((n = read (fd, text + len, size - len - 1)) > 0)
        len += (size_t) n;
    text [len] = 0;
    close (fd);
    return text;
}

static void
test_live_figures_reach_the_bus_and_prometheus (void **state)
{
    //  Two events are open: E2 (handled, not verified) and E3.
    json_t *f = s_ask ("{\"op\": \"figures\"}", GL_OK, NULL);
    json_t *county = json_object_get (f, "county");
    assert_int_equal (json_integer_value (json_object_get (county, "open")), 2);
    assert_int_equal (json_integer_value (json_object_get (county, "reported_today")), 1);
    json_decref (f);
    //  metrics.live on the bus, every interval_s (1 s here).
    zsock_t *sub = zsock_new (ZMQ_SUB);
    tk_connect (s_net, sub, s_net->cfg.bus_backend);
    zsock_set_subscribe (sub, "metrics.live");
    zsock_set_rcvtimeo (sub, S_WAIT_MS);
    zmsg_t *msg = zmsg_recv (sub);
    assert_non_null (msg);
    zframe_t *body = zmsg_last (msg);
    gl_doc_t doc;
    gl_envelope_t env;
    gl_err_t err;
    assert_int_equal (gl_envelope_decode (&doc, zframe_data (body), zframe_size (body), &env,
                                          &err), 0);
    int64_t open = -1;
    gl_get_i64 (gl_map_get (env.body, "county"), "open", &open);
    assert_int_equal (open, 2);
    gl_doc_fini (&doc);
    zmsg_destroy (&msg);
    zsock_destroy (&sub);
    //  Prometheus: the services' health and the county's figures.
    int64_t end = zclock_mono () + S_WAIT_MS;
    char *page = NULL;
    while (!page || !strstr (page, "gridloop_county_open 2")
                 || !strstr (page, "gridloop_up{service=\"dispatcher\"} 1")) {
        free (page);
        if (zclock_mono () > end)
            fail_msg ("Prometheus page without the figures");
        zclock_sleep (100);
        page = s_http_get ("/metrics");
    }
    assert_non_null (strstr (page, "text/plain; version=0.0.4"));
    assert_non_null (strstr (page, "gridloop_street_open{street=\"SJ\"} 2"));
    free (page);
    page = s_http_get ("/other");
    assert_non_null (strstr (page, "404"));
    free (page);
}

//  A step whose handling is timed twice (a failed verification sends it back: rework) is carded
//  by each timer, and metrics credits every one of those cards.
static void
test_each_timer_of_a_reworked_step_is_carded_and_credited (void **state)
{
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}",
                             "op", "report", "category", "03.01",
                             "grid", "QL-02-03", "description", "楼道电动车违规充电",
                             "reporter", "id", "GW-0001", "role", "grid_leader",
                             "channel", "app");
    char *id = tk_reported (s_net, doc, "DISPATCHED");
    json_decref (doc);
    s_caught_up ();
    json_t *before = s_score ("QL-B4", false);
    int64_t yellow = s_counter (before, "yellow_cards"), red = s_counter (before, "red_cards"),
            deduction = s_counter (before, "deduction");
    json_decref (before);
    s_act ("sign", id, "QL-B4", NULL);
    s_advance (49 * HOUR_MS);                   //  handle 24 h / 48 h natural: both cards
    s_fired ("red_cards", 2);
    s_act ("handle", id, "QL-B4", "{\"evidence\": \"已清理\"}");
    s_act ("verify", id, "QL-02-03", "{\"pass\": false, \"reason\": \"仍有电瓶在楼道充电\"}");
    s_advance (49 * HOUR_MS);                   //  the rework's own handle timer: both again
    s_fired ("red_cards", 3);
    json_t *after = s_score ("QL-B4", false);
    assert_int_equal (s_counter (after, "yellow_cards"), yellow + 2);
    assert_int_equal (s_counter (after, "red_cards"), red + 2);
    assert_int_equal (s_counter (after, "deduction"), deduction + 2 * 5 + 2 * 10);
    json_decref (after);
    free (id);
}

static int
s_setup (void **state)
{
    char extra [256];
    snprintf (extra, sizeof extra,
              "clock\n    mode = \"manual\"\n    start_ms = %lld\n"
              "metrics\n    interval_s = 1\n", (long long) tk_local_ms ("2026-11-02T09:00"));
    s_net = tk_net_new (S_PORTS, extra);
    tk_start (s_net, "bus");
    tk_start (s_net, "intake");
    tk_start (s_net, "dispatcher");
    tk_start (s_net, "escalation");
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
    //  One network, one history: each test reads on from where the one before left it.
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_figure_is_recomputed_from_a_scripted_history),
        cmocka_unit_test (test_published_snapshots_never_change_and_points_carry_their_reason),
        cmocka_unit_test (test_live_figures_reach_the_bus_and_prometheus),
        cmocka_unit_test (test_each_timer_of_a_reworked_step_is_carded_and_credited),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

/*  Integration: escalation (proto/escalation.md) through real bus, intake, dispatcher and
    escalation processes on loopback, on the manual clock: the deadlines of each stage across
    weekends, holidays, make-up days and the edges of working hours, with suspension and
    extension; each light, card and reminder fired exactly once however many ticks pass; a
    restart after the due time fires what fell due exactly once; and a process killed between
    the commit of a card and its publication still delivers the card exactly once.  */
#include "testkit.h"
#include "gl_json.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>

#define S_PORTS     24800       //  this test's ports (24800 … 24814), one network at a time
#define S_WAIT_MS   10000       //  longest wait for another process to catch up
#define MINUTE_MS   INT64_C (60000)
#define HOUR_MS     (60 * MINUTE_MS)

static tk_net_t *s_net;
static unsigned s_req;          //  fresh req_ids

//  A network on the manual clock at start: bus, intake, dispatcher, escalation (and the
//  archive reading every stream when with_archive).
static void
s_up (const char *start, bool with_archive)
{
    char extra [512];
    snprintf (extra, sizeof extra,
              "clock\n    mode = \"manual\"\n    start_ms = %lld\n"
              "archive\n    reads = \"intake dispatcher escalation\"\n",
              (long long) tk_local_ms (start));
    s_net = tk_net_new (S_PORTS, extra);
    tk_start (s_net, "bus");
    tk_start (s_net, "intake");
    tk_start (s_net, "dispatcher");
    tk_start (s_net, "escalation");
    if (with_archive)
        tk_start (s_net, "archive");
}

//  ---------------------------------------------------------------------------------------------
//  Requests.

//  Wait until escalation has applied everything the dispatcher published.
static void
s_caught_up (void)
{
    int64_t last = tk_status (s_net, "dispatcher", "last_seq");
    if (tk_wait_caught_up (s_net, "escalation", "dispatcher", last, S_WAIT_MS))
        fail_msg ("escalation did not catch up with the dispatcher's seq %lld", (long long) last);
}

//  A report of a 03.01 fire hazard (P2, major) in SJ-01-01 by role; returns its id once the
//  dispatcher holds it in state want and escalation has read everything.
static char *
s_reported (const char *role, const char *want)
{
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}",
                             "op", "report", "category", "03.01",
                             "grid", "SJ-01-01", "description", "3栋楼道堆放杂物，堵塞消防通道",
                             "reporter", "id", streq (role, "resident")?
                                                 "resident-13800000001": "GW-0002",
                             "role", role,
                             "channel", streq (role, "resident")? "hotline": "app");
    char *id = tk_reported (s_net, doc, want);
    json_decref (doc);
    s_caught_up ();
    return id;
}

//  A grid worker's report: filed and dispatched at once to the street's safety board SJ-B4,
//  step 1, at the dispatcher's time.
static char *
s_dispatched (void)
{
    return s_reported ("grid_worker", "DISPATCHED");
}

//  A lifecycle command that must be carried out.
static void
s_ok (const char *op, const char *id, const char *actor, const char *fields)
{
    tk_act (s_net, op, id, actor, fields);
    s_caught_up ();
}

//  Move a service's clock to the county-local instant when (forward only).
static void
s_clock_to (const char *service, const char *when)
{
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_ask (s_net, service, "status", NULL, &answer, &err), GL_OK);
    int64_t now = 0;
    gl_get_i64 (&answer.root, "now_ms", &now);
    gl_doc_fini (&answer);
    int64_t to = tk_local_ms (when);
    if (now == 0)
        fail_msg ("%s's status has no now_ms", service);
    if (to > now)
        tk_advance (s_net, service, to - now);
    //  A request after the clock op is served after the tick that the op triggered.
    tk_status (s_net, service, "last_seq");
}

//  ---------------------------------------------------------------------------------------------
//  What escalation published: its whole outbox, read with replay.

//  Every message of event id on escalation's stream, as {"type", "topic", body's keys…}.
static json_t *
s_published (const char *service, const char *id)
{
    json_t *all = json_array ();
    uint64_t from = 1;
    for (;;) {
        gl_mapw_t fields;
        gl_mapw_init (&fields);
        gl_mapw_u64 (&fields, "from", from);
        gl_doc_t answer;
        gl_err_t err;
        if (tk_ask (s_net, service, "replay", &fields, &answer, &err) != GL_OK)
            fail_msg ("replay: %s", err.message);
        gl_mapw_fini (&fields);
        const msgpack_object *messages = gl_map_get (&answer.root, "messages");
        uint32_t n = messages && messages->type == MSGPACK_OBJECT_ARRAY?
                     messages->via.array.size: 0;
        for (uint32_t i = 0; i < n; i++) {
            const msgpack_object *pair = &messages->via.array.ptr [i];
            const msgpack_object *topic = &pair->via.array.ptr [0], *bin = &pair->via.array.ptr [1];
            gl_doc_t doc;
            gl_envelope_t env;
            assert_int_equal (gl_envelope_decode (&doc, bin->via.bin.ptr, bin->via.bin.size,
                                                  &env, &err), 0);
            if (env.id && env.id_len == strlen (id) && memcmp (env.id, id, env.id_len) == 0) {
                json_t *m = gl_json_from_msgpack (env.body);
                json_object_set_new (m, "type", json_stringn (env.type, env.type_len));
                json_object_set_new (m, "topic", json_stringn (topic->via.str.ptr,
                                                                topic->via.str.size));
                json_array_append_new (all, m);
            }
            from = env.seq + 1;
            gl_doc_fini (&doc);
        }
        gl_doc_fini (&answer);
        if (n == 0)
            break;
    }
    return all;
}

static const char *
s_str (const json_t *o, const char *key)
{
    const json_t *v = json_object_get (o, key);
    return json_is_string (v)? json_string_value (v): "";
}

static int64_t
s_int (const json_t *o, const char *key)
{
    const json_t *v = json_object_get (o, key);
    return json_is_integer (v)? json_integer_value (v): -1;
}

//  How many of msgs are of type at stage (and, for cards, of level; NULL: any).
static int
s_count (json_t *msgs, const char *type, const char *stage, const char *level)
{
    int count = 0;
    size_t i;
    json_t *m;
    json_array_foreach (msgs, i, m)
        if (streq (s_str (m, "type"), type) && streq (s_str (m, "stage"), stage)
        &&  (!level || streq (s_str (m, "level"), level)))
            count++;
    return count;
}

//  The last deadline message of stage.
static json_t *
s_deadline (json_t *msgs, const char *stage)
{
    json_t *found = NULL, *m;
    size_t i;
    json_array_foreach (msgs, i, m)
        if (streq (s_str (m, "type"), "deadline") && streq (s_str (m, "stage"), stage))
            found = m;
    if (!found)
        fail_msg ("no deadline for stage %s", stage);
    return found;
}

//  The deadline of stage says light, yellow (and red, when not NULL) at these local instants.
static void
s_expect_deadline (const char *id, const char *stage, const char *light, const char *yellow,
                   const char *red)
{
    json_t *msgs = s_published ("escalation", id);
    json_t *d = s_deadline (msgs, stage);
    if (s_int (d, "light_at") != tk_local_ms (light) || s_int (d, "yellow_at") != tk_local_ms (yellow)
    ||  (red && s_int (d, "red_at") != tk_local_ms (red))) {
        char *text = json_dumps (d, 0);
        fail_msg ("%s of %s: expected light %s, yellow %s, red %s; got %s", stage, id, light,
                  yellow, red? red: "-", text);
    }
    json_decref (msgs);
}

//  ---------------------------------------------------------------------------------------------
//  Deadline arithmetic.

static void
test_deadlines_count_working_time_across_the_national_day_holiday_with_suspension_and_extension
    (void **state)
{
    //  Wednesday 2026-09-30 16:20, the eve of the National Day holiday (10-01 … 10-07).
    s_up ("2026-09-30T16:20", false);
    char *id = s_dispatched ();
    //  P2 sign for: 2 working hours. 100 min until 18:00, then nothing until Thursday 10-08
    //  09:00: due 09:20. The light at 70% (84 min) still falls on the eve, at 17:44.
    s_expect_deadline (id, "sign", "2026-09-30T17:44", "2026-10-08T09:20", NULL);
    //  Signed at once: handling, P2: 24 h / 48 h of natural time, holiday or not.
    s_ok ("sign", id, "SJ-B4", NULL);
    s_expect_deadline (id, "handle", "2026-10-01T09:08", "2026-10-01T16:20",
                       "2026-10-02T16:20");
    //  Suspended (挂账) two hours in: the clock stops with 120 min used …
    s_clock_to ("dispatcher", "2026-09-30T18:20");
    s_ok ("suspend", id, "SJ-C", "{\"reason\": \"等待产权单位确认\"}");
    //  … resumed three days later: the remaining 22 h and 46 h run from the resume.
    s_clock_to ("dispatcher", "2026-10-03T18:20");
    s_ok ("resume", id, "SJ-C", "{\"note\": \"已确认\"}");
    s_expect_deadline (id, "handle", "2026-10-04T09:08", "2026-10-04T16:20",
                       "2026-10-05T16:20");
    //  Two approved extension days push every alert two natural days on (the light at 70%
    //  of the extended limit: 0.7 × 72 h − 2 h used = 48.4 h after the resume).
    s_ok ("extend", id, "SJ-B4", "{\"days\": 2, \"reason\": \"需协调产权单位\"}");
    s_ok ("decide_extension", id, "SJ-C", "{\"approve\": true}");
    s_expect_deadline (id, "handle", "2026-10-05T18:44", "2026-10-06T16:20",
                       "2026-10-07T16:20");
    //  Handled on Friday 10-09 at 16:00: verification, 4 working hours: 120 min on Friday,
    //  and Saturday 10-10 is a make-up working day (调休上班): due 11:00 on the Saturday.
    s_clock_to ("dispatcher", "2026-10-09T16:00");
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已清理，照片 a.jpg\"}");
    s_expect_deadline (id, "verify", "2026-10-10T09:48", "2026-10-10T11:00", NULL);
    //  Verified: nothing is timed any more.
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}");
    assert_int_equal (tk_status (s_net, "escalation", "timers"), 0);
    free (id);
    tk_net_destroy (&s_net);
}

static void
test_deadlines_skip_the_weekend_and_lunch_end_at_the_close_of_working_hours_and_run_from_the_report (void **state)
{
    //  Thursday 2026-10-15 16:00: 2 working hours end exactly at 18:00 the same day (the edge
    //  rule), not at 09:00 the next morning.
    s_up ("2026-10-15T16:00", false);
    char *id = s_dispatched ();
    s_expect_deadline (id, "sign", "2026-10-15T17:24", "2026-10-15T18:00", NULL);
    //  Friday 17:30: 30 min on Friday, the weekend off, 90 min on Monday: 10:30.
    s_clock_to ("dispatcher", "2026-10-16T17:30");
    s_clock_to ("intake", "2026-10-16T17:30");
    char *friday = s_dispatched ();
    s_expect_deadline (friday, "sign", "2026-10-19T09:54", "2026-10-19T10:30", NULL);
    //  Dispatched at lunch (12:30 Monday): the clock starts at 14:00, due 16:00.
    s_clock_to ("dispatcher", "2026-10-19T12:30");
    s_clock_to ("intake", "2026-10-19T12:30");
    char *lunch = s_dispatched ();
    s_expect_deadline (lunch, "sign", "2026-10-19T15:24", "2026-10-19T16:00", NULL);
    //  A resident's report waits for the community (REPORTED at SJ-01): accept+dispatch, 30
    //  working minutes, runs from the report, through the accept (FILED), to the dispatch.
    s_clock_to ("dispatcher", "2026-10-19T14:00");
    s_clock_to ("intake", "2026-10-19T14:00");
    char *resident = s_reported ("resident", "REPORTED");
    s_expect_deadline (resident, "dispatch", "2026-10-19T14:21", "2026-10-19T14:30", NULL);
    s_clock_to ("dispatcher", "2026-10-19T14:10");
    int64_t cancelled = tk_status (s_net, "escalation", "cancelled");
    s_ok ("accept", resident, "SJ-01", NULL);
    json_t *msgs = s_published ("escalation", resident);
    assert_int_equal (s_count (msgs, "deadline", "dispatch", NULL), 1);    //  one clock
    assert_int_equal (s_count (msgs, "deadline", "sign", NULL), 1);        //  then sign's
    json_decref (msgs);
    //  The only timer that ended is accept+dispatch's, at the dispatch.
    assert_int_equal (tk_status (s_net, "escalation", "cancelled"), cancelled + 1);
    free (resident);
    free (id);
    free (friday);
    free (lunch);
    tk_net_destroy (&s_net);
}

//  ---------------------------------------------------------------------------------------------
//  Exactly once.

static void
test_each_light_card_and_reminder_fires_exactly_once_across_many_ticks_and_overdue_shows_it (void **state)
{
    //  Wednesday 2026-10-14 09:00; P2 sign for within 2 working hours: light 10:24, yellow
    //  card 11:00, reminder a working day later (Thursday 11:00). Never signed.
    s_up ("2026-10-14T09:00", false);
    char *id = s_dispatched ();
    //  Two days in 20-minute ticks.
    for (int i = 0; i < 2 * 72; i++)
        tk_advance (s_net, "escalation", 20 * MINUTE_MS);
    tk_status (s_net, "escalation", "last_seq");
    json_t *msgs = s_published ("escalation", id);
    assert_int_equal (s_count (msgs, "light", "sign", NULL), 1);
    assert_int_equal (s_count (msgs, "card", "sign", "yellow"), 1);
    assert_int_equal (s_count (msgs, "card", "sign", "red"), 0);
    assert_int_equal (s_count (msgs, "reminder", "sign", NULL), 1);
    //  The card names the unit in its topic and carries the deduction for the metrics.
    json_t *m;
    size_t i;
    json_array_foreach (msgs, i, m)
        if (streq (s_str (m, "type"), "card")) {
            assert_string_equal (s_str (m, "topic"), "escalation.card.SJ-B4");
            assert_int_equal (s_int (m, "deduction"), 5);
            assert_int_equal (s_int (m, "due"), tk_local_ms ("2026-10-14T11:00"));
            assert_int_equal (s_int (m, "step"), 1);
        }
    json_decref (msgs);
    //  Overdue, with its light and age, for its unit only.
    gl_mapw_t fields;
    gl_mapw_init (&fields);
    gl_mapw_str (&fields, "unit", "SJ-B4");
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_ask (s_net, "escalation", "overdue", &fields, &answer, &err), GL_OK);
    json_t *page = gl_json_from_msgpack (&answer.root);
    gl_doc_fini (&answer);
    json_t *steps = json_object_get (page, "steps");
    assert_int_equal (json_array_size (steps), 1);
    json_t *first = json_array_get (steps, 0);
    assert_string_equal (s_str (first, "id"), id);
    assert_string_equal (s_str (first, "stage"), "sign");
    assert_string_equal (s_str (first, "light"), "yellow");
    assert_true (s_int (first, "age_ms") > 24 * HOUR_MS);
    json_decref (page);
    gl_mapw_reset (&fields);
    gl_mapw_str (&fields, "unit", "SJ-B1");
    assert_int_equal (tk_ask (s_net, "escalation", "overdue", &fields, &answer, &err), GL_OK);
    page = gl_json_from_msgpack (&answer.root);
    gl_doc_fini (&answer);
    assert_int_equal (json_array_size (json_object_get (page, "steps")), 0);
    json_decref (page);
    gl_mapw_fini (&fields);
    //  The same from the command line: one line, with the light and the age.
    char cmd [1024], out [4096] = "";
    snprintf (cmd, sizeof cmd, "%s/gridloop --config %s overdue SJ-B4 2>&1", s_net->bin_dir,
              s_net->cfg_path);
    FILE *p = popen (cmd, "r");
    assert_non_null (p);
    size_t got = fread (out, 1, sizeof out - 1, p);
    out [got] = 0;
    assert_int_equal (pclose (p), 0);
    if (!strstr (out, id) || !strstr (out, "sign") || !strstr (out, "yellow")
    ||  !strstr (out, "overdue 1d 22h 00m (since 2026-10-14 11:00)"))
        fail_msg ("gridloop overdue SJ-B4 printed: %s", out);
    //  Signed on Friday 09:00: sign's timer is gone; handling's 24 h / 48 h run to Saturday
    //  and Sunday 09:00. A day and a half of ticks: light and yellow card, no red.
    s_clock_to ("dispatcher", "2026-10-16T09:00");
    s_ok ("sign", id, "SJ-B4", NULL);
    for (int i = 0; i < 36; i++)
        tk_advance (s_net, "escalation", HOUR_MS);
    tk_status (s_net, "escalation", "last_seq");
    msgs = s_published ("escalation", id);
    assert_int_equal (s_count (msgs, "card", "sign", "yellow"), 1);
    assert_int_equal (s_count (msgs, "light", "handle", NULL), 1);
    assert_int_equal (s_count (msgs, "card", "handle", "yellow"), 1);
    assert_int_equal (s_count (msgs, "card", "handle", "red"), 0);
    json_decref (msgs);
    //  Past the red limit, then many more ticks: one red card, worth 10 points.
    for (int i = 0; i < 48; i++)
        tk_advance (s_net, "escalation", HOUR_MS);
    tk_status (s_net, "escalation", "last_seq");
    msgs = s_published ("escalation", id);
    assert_int_equal (s_count (msgs, "card", "handle", "yellow"), 1);
    assert_int_equal (s_count (msgs, "card", "handle", "red"), 1);
    assert_int_equal (s_count (msgs, "reminder", "handle", NULL), 1);
    json_array_foreach (msgs, i, m)
        if (streq (s_str (m, "type"), "card") && streq (s_str (m, "level"), "red"))
            assert_int_equal (s_int (m, "deduction"), 10);
    json_decref (msgs);
    assert_int_equal (tk_status (s_net, "escalation", "yellow_cards"), 2);
    assert_int_equal (tk_status (s_net, "escalation", "red_cards"), 1);
    //  Handling cancels what is left of the stage.
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已清理\"}");
    assert_int_equal (tk_status (s_net, "escalation", "timers"), 1);   //  verify's
    free (id);
    tk_net_destroy (&s_net);
}

static void
test_a_unit_overdue_5_working_days_without_a_reason_is_named_for_the_notice_once (void **state)
{
    //  Two events signed at Wednesday 2026-10-14 09:00: handling, P2, yellow card at Thursday
    //  09:00; 5 working days later is Wednesday 10-21 18:00 (Thursday, Friday, Monday,
    //  Tuesday, Wednesday). One of them gets a note (a reason on file) and is not named.
    s_up ("2026-10-14T09:00", false);
    char *silent = s_dispatched ();
    char *explained = s_dispatched ();
    s_ok ("sign", silent, "SJ-B4", NULL);
    s_ok ("sign", explained, "SJ-B4", NULL);
    s_ok ("note", explained, "SJ-B4", "{\"text\": \"产权单位未答复，已书面催告\"}");
    s_clock_to ("escalation", "2026-10-21T17:00");
    json_t *msgs = s_published ("escalation", silent);
    assert_int_equal (s_count (msgs, "notice", "handle", NULL), 0);
    json_decref (msgs);
    //  Two more days in 4-hour ticks (within retention/days, so the outbox still holds
    //  everything fired).
    for (int i = 0; i < 12; i++)
        tk_advance (s_net, "escalation", 4 * HOUR_MS);
    tk_status (s_net, "escalation", "last_seq");
    msgs = s_published ("escalation", silent);
    assert_int_equal (s_count (msgs, "card", "handle", "red"), 1);
    assert_int_equal (s_count (msgs, "notice", "handle", NULL), 1);
    json_t *m;
    size_t i;
    json_array_foreach (msgs, i, m)
        if (streq (s_str (m, "type"), "notice"))
            assert_int_equal (s_int (m, "due"), tk_local_ms ("2026-10-21T18:00"));
    json_decref (msgs);
    msgs = s_published ("escalation", explained);
    assert_int_equal (s_count (msgs, "card", "handle", "red"), 1);
    assert_int_equal (s_count (msgs, "notice", "handle", NULL), 0);
    json_decref (msgs);
    assert_int_equal (tk_status (s_net, "escalation", "notices"), 1);
    free (silent);
    free (explained);
    tk_net_destroy (&s_net);
}

//  ---------------------------------------------------------------------------------------------
//  平战转换.

//  switch_mode of scope to `to` by actor with reason (NULL: none); the answer's code must be
//  want, and a refusal's message must hold says.
static void
s_switch_mode (const char *scope, const char *to, const char *actor, const char *reason,
               gl_code_t want, const char *says)
{
    char req_id [32];
    snprintf (req_id, sizeof req_id, "escalation-mode-%u", ++s_req);
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "op", "switch_mode",
                             "req_id", req_id, "scope", scope, "to", to, "actor", "unit", actor,
                             "person", "ST-0001");
    if (reason)
        json_object_set_new (doc, "reason", json_string (reason));
    gl_code_t code;
    char message [512];
    json_t *answer = tk_send_json (s_net, "escalation", doc, &code, message, sizeof message);
    json_decref (doc);
    json_decref (answer);
    if (code != want || (says && !strstr (message, says)))
        fail_msg ("switch_mode %s to %s by %s: %s \"%s\"; expected %s \"%s\"", scope, to,
                  actor, gl_code_name (code), message, gl_code_name (want), says? says: "");
}

static void
test_a_switch_to_wartime_gives_new_steps_in_its_scope_wartime_limits_and_is_recorded
    (void **state)
{
    s_up ("2026-10-14T09:00", false);
    char *before = s_dispatched ();
    int64_t last = tk_status (s_net, "escalation", "last_seq");
    //  Refused, changing nothing: not a centre of the scope, not a scope, no reason, the
    //  whole county by a street centre, back to peacetime while in peacetime.
    s_switch_mode ("SJ", "wartime", "SJ-B4", "暴雨", GL_FORBIDDEN, "only the county centre");
    s_switch_mode ("QL", "wartime", "SJ-C", "暴雨", GL_FORBIDDEN, "command centre of QL");
    s_switch_mode ("CTY", "wartime", "SJ-C", "暴雨", GL_FORBIDDEN, "");
    s_switch_mode ("SJ-B4", "wartime", "SJ-C", "暴雨", GL_INVALID, "not the county, a street");
    s_switch_mode ("SJ-99", "wartime", "SJ-C", "暴雨", GL_INVALID, "no such unit");
    s_switch_mode ("SJ", "war", "SJ-C", "暴雨", GL_INVALID, "to");
    s_switch_mode ("SJ", "wartime", "SJ-C", NULL, GL_INVALID, "reason");
    s_switch_mode ("SJ", "peacetime", "SJ-C", "演练结束", GL_CONFLICT, "already in peacetime");
    assert_int_equal (tk_status (s_net, "escalation", "last_seq"), last);     //  nothing out
    assert_int_equal (tk_status (s_net, "escalation", "switches"), 0);
    //  双江街道 switched to wartime by its centre.
    s_switch_mode ("SJ", "wartime", "SJ-C", "暴雨洪涝Ⅳ级应急响应", GL_OK, NULL);
    s_switch_mode ("SJ", "wartime", "CTY-C", "暴雨", GL_CONFLICT, "already in wartime");
    //  A new step in the street: sign for within 15 natural minutes, marked wartime.
    char *during = s_dispatched ();
    json_t *msgs = s_published ("escalation", during);
    json_t *d = s_deadline (msgs, "sign");
    assert_int_equal (s_int (d, "yellow_at"), tk_local_ms ("2026-10-14T09:15"));
    assert_int_equal (s_int (d, "light_at"), tk_local_ms ("2026-10-14T09:10"));
    assert_true (json_is_true (json_object_get (d, "wartime")));
    assert_string_equal (s_str (d, "limit"), "15m");
    json_decref (msgs);
    //  The step already running keeps the limits it started with.
    s_expect_deadline (before, "sign", "2026-10-14T10:24", "2026-10-14T11:00", NULL);
    //  Recorded: who, why, when; listed by mode.
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_ask (s_net, "escalation", "mode", NULL, &answer, &err), GL_OK);
    json_t *mode = gl_json_from_msgpack (&answer.root);
    gl_doc_fini (&answer);
    json_t *war = json_object_get (mode, "wartime");
    assert_int_equal (json_array_size (war), 1);
    assert_string_equal (s_str (json_array_get (war, 0), "scope"), "SJ");
    assert_string_equal (s_str (json_array_get (war, 0), "unit"), "SJ-C");
    assert_string_equal (s_str (json_array_get (war, 0), "person"), "ST-0001");
    assert_string_equal (s_str (json_array_get (war, 0), "reason"), "暴雨洪涝Ⅳ级应急响应");
    assert_int_equal (s_int (json_array_get (war, 0), "since"), tk_local_ms ("2026-10-14T09:00"));
    json_decref (mode);
    //  The same from the command line.
    char cmd [1024], out [4096] = "";
    snprintf (cmd, sizeof cmd, "%s/gridloop --config %s mode 2>&1", s_net->bin_dir,
              s_net->cfg_path);
    FILE *p = popen (cmd, "r");
    assert_non_null (p);
    size_t got = fread (out, 1, sizeof out - 1, p);
    out [got] = 0;
    assert_int_equal (pclose (p), 0);
    if (!strstr (out, "in wartime:")
    ||  !strstr (out, "SJ         wartime   since 2026-10-14 09:00  by SJ-C ST-0001: "
                      "暴雨洪涝Ⅳ级应急响应"))
        fail_msg ("gridloop mode printed: %s", out);
    //  Back to peacetime by the county centre: new steps get the county's table again.
    s_switch_mode ("SJ", "peacetime", "CTY-C", "解除应急响应", GL_OK, NULL);
    char *after = s_dispatched ();
    s_expect_deadline (after, "sign", "2026-10-14T10:24", "2026-10-14T11:00", NULL);
    assert_int_equal (tk_ask (s_net, "escalation", "mode", NULL, &answer, &err), GL_OK);
    mode = gl_json_from_msgpack (&answer.root);
    gl_doc_fini (&answer);
    assert_int_equal (json_array_size (json_object_get (mode, "wartime")), 0);
    assert_int_equal (tk_status (s_net, "escalation", "switches"), 2);
    json_t *switches = json_object_get (mode, "switches");
    assert_int_equal (json_array_size (switches), 2);
    assert_string_equal (s_str (json_array_get (switches, 0), "mode"), "peacetime");
    assert_string_equal (s_str (json_array_get (switches, 0), "unit"), "CTY-C");
    assert_string_equal (s_str (json_array_get (switches, 1), "mode"), "wartime");
    json_decref (mode);
    free (before);
    free (during);
    free (after);
    tk_net_destroy (&s_net);
}

//  Append settings to the network's configuration (later values override earlier ones).
static void
s_configure (const char *text)
{
    FILE *f = fopen (s_net->cfg_path, "a");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

static void
test_a_restart_after_the_due_time_fires_what_fell_due_exactly_once (void **state)
{
    s_up ("2026-10-14T09:00", false);
    char *id = s_dispatched ();
    //  The light (10:24) fires while escalation runs …
    s_clock_to ("escalation", "2026-10-14T10:30");
    json_t *msgs = s_published ("escalation", id);
    assert_int_equal (s_count (msgs, "light", "sign", NULL), 1);
    json_decref (msgs);
    //  … then it is killed, and comes back on Thursday at 12:00: the yellow card (11:00 on
    //  Wednesday) and the reminder (11:00 on Thursday) fell due while it was down.
    tk_kill (s_net, "escalation", SIGKILL);
    char text [128];
    snprintf (text, sizeof text, "clock\n    start_ms = %lld\n",
              (long long) tk_local_ms ("2026-10-15T12:00"));
    s_configure (text);
    tk_start (s_net, "escalation");
    tk_status (s_net, "escalation", "last_seq");
    for (int i = 0; i < 20; i++)
        tk_advance (s_net, "escalation", 10 * MINUTE_MS);
    tk_status (s_net, "escalation", "last_seq");
    msgs = s_published ("escalation", id);
    assert_int_equal (s_count (msgs, "light", "sign", NULL), 1);
    assert_int_equal (s_count (msgs, "card", "sign", "yellow"), 1);
    assert_int_equal (s_count (msgs, "reminder", "sign", NULL), 1);
    json_decref (msgs);
    //  And again: a second restart fires nothing more.
    tk_kill (s_net, "escalation", SIGKILL);
    tk_start (s_net, "escalation");
    tk_status (s_net, "escalation", "last_seq");
    msgs = s_published ("escalation", id);
    assert_int_equal (s_count (msgs, "card", "sign", "yellow"), 1);
    assert_int_equal (s_count (msgs, "reminder", "sign", NULL), 1);
    json_decref (msgs);
    free (id);
    tk_net_destroy (&s_net);
}

static void
test_killed_between_the_due_time_and_the_publish_the_card_is_published_exactly_once
    (void **state)
{
    s_up ("2026-10-14T09:00", true);
    char *id = s_dispatched ();
    //  Stopped, then started as the fault-injecting copy at 11:30, past the light (10:24)
    //  and the yellow card (11:00): its first tick commits both and exits before publishing
    //  the first.
    tk_kill (s_net, "escalation", SIGTERM);
    char text [128];
    snprintf (text, sizeof text, "clock\n    start_ms = %lld\n",
              (long long) tk_local_ms ("2026-10-14T11:30"));
    s_configure (text);
    tk_spawn_fault (s_net, "escalation", "publish:1:exit");
    int64_t end = zclock_mono () + S_WAIT_MS;
    int status;
    while ((status = tk_exited (s_net, "escalation")) < 0 && zclock_mono () < end)
        zclock_sleep (20);              //  another process: nothing to wait on but time
    assert_int_equal (status, GL_FAULT_EXIT_CODE);
    //  Restarted: the light and the yellow card are in its outbox, not due again; the
    //  archive, which follows escalation's stream, gets each once (by replay of the gap).
    tk_start (s_net, "escalation");
    for (int i = 0; i < 5; i++)
        tk_advance (s_net, "escalation", 10 * MINUTE_MS);
    int64_t last = tk_status (s_net, "escalation", "last_seq");
    if (tk_wait_caught_up (s_net, "archive", "escalation", last, S_WAIT_MS))
        fail_msg ("the archive did not catch up with escalation");
    json_t *msgs = s_published ("escalation", id);
    assert_int_equal (s_count (msgs, "light", "sign", NULL), 1);
    assert_int_equal (s_count (msgs, "card", "sign", "yellow"), 1);
    json_decref (msgs);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_ask_id (s_net, "archive", "get", id, &answer, &err), GL_OK);
    json_t *held = gl_json_from_msgpack (&answer.root);
    gl_doc_fini (&answer);
    int cards = 0, lights = 0;
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get (held, "messages"), i, m) {
        if (streq (s_str (m, "topic"), "escalation.card.SJ-B4"))
            cards++;
        if (streq (s_str (m, "topic"), "escalation.light.SJ-B4"))
            lights++;
    }
    json_decref (held);
    assert_int_equal (lights, 1);
    assert_int_equal (cards, 1);
    free (id);
    tk_net_destroy (&s_net);
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
        cmocka_unit_test_teardown (
    test_deadlines_count_working_time_across_the_national_day_holiday_with_suspension_and_extension,
            s_teardown),
        cmocka_unit_test_teardown (
            test_deadlines_skip_the_weekend_and_lunch_end_at_the_close_of_working_hours_and_run_from_the_report, s_teardown),
        cmocka_unit_test_teardown (
            test_each_light_card_and_reminder_fires_exactly_once_across_many_ticks_and_overdue_shows_it, s_teardown),
        cmocka_unit_test_teardown (
            test_a_unit_overdue_5_working_days_without_a_reason_is_named_for_the_notice_once,
            s_teardown),
        cmocka_unit_test_teardown (
            test_a_restart_after_the_due_time_fires_what_fell_due_exactly_once, s_teardown),
        cmocka_unit_test_teardown (
    test_a_switch_to_wartime_gives_new_steps_in_its_scope_wartime_limits_and_is_recorded,
            s_teardown),
        cmocka_unit_test_teardown (
    test_killed_between_the_due_time_and_the_publish_the_card_is_published_exactly_once,
            s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

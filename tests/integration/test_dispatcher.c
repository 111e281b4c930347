/*  Integration: the dispatcher (proto/dispatcher.md) through real bus, intake, dispatcher and
    archive processes on loopback, driven through the public protocol only. Events are created
    the way they are in the field — by reporting to intake — and the dispatcher takes them from
    intake's stream. Every transition of the contract, allowed and refused; every routing rule;
    every authorisation rule; mediation (四调); queues; retries; and one event's whole life read
    back from the archive.  */
#include "testkit.h"
#include "gl_json.h"
#include "gl_org.h"
#include "gl_dispatch_ops.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/wait.h>

#define S_PORTS     23000       //  this test's ports
#define S_WAIT_MS   10000       //  longest wait for another process to catch up

static tk_net_t *s_net;
static unsigned s_req;          //  fresh req_ids
static gl_org_t *s_org;         //  the county the network runs: who is on which staff list

//  The grid leader of SJ-01-01 acting for her grid (she confirms on-the-spot handling).
#define S_GRID_LEADER "{\"actor\": {\"unit\": \"SJ-01-01\", \"person\": \"GW-0001\"}}"

//  ---------------------------------------------------------------------------------------------
//  Plumbing: JSON in, JSON out.

//  printf into one of a few rotating buffers (for building JSON fields in place).
static const char *
s_fmt (const char *format, ...)
{
    static char bufs [8][2048];
    static unsigned next;
    char *buf = bufs [next++ % 8];
    va_list args;
    va_start (args, format);
    vsnprintf (buf, sizeof bufs [0], format, args);
    va_end (args);
    return buf;
}

static const char *
s_str (const json_t *o, const char *key)
{
    const json_t *v = json_object_get (o, key);
    return json_is_string (v)? json_string_value (v): "";
}

static long long
s_int (const json_t *o, const char *key)
{
    const json_t *v = json_object_get (o, key);
    return json_is_integer (v)? json_integer_value (v): -1;
}

static int64_t
s_last_seq (void)
{
    return tk_status (s_net, "dispatcher", "last_seq");
}

//  Run the command line tool with args on a config file; returns its exit status and what it
//  printed (stdout and stderr) in out.
static int
s_cli_with (const char *cfg_path, const char *args, char *out, size_t size)
{
    char cmd [2048];
    snprintf (cmd, sizeof cmd, "%s/gridloop --config %s %s 2>&1", s_net->bin_dir, cfg_path,
              args);
    FILE *p = popen (cmd, "r");
    assert_non_null (p);
    size_t got = fread (out, 1, size - 1, p);
    out [got] = 0;
    int status = pclose (p);
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

//  The same on this test's network.
static int
s_cli (const char *args, char *out, size_t size)
{
    return s_cli_with (s_net->cfg_path, args, out, size);
}

//  ---------------------------------------------------------------------------------------------
//  The dispatcher's read side: get and queue.

//  The dispatcher's answer to get, or NULL when it holds no such event.
static json_t *
s_try_get (const char *id)
{
    json_t *doc = json_pack ("{s:s, s:s}", "op", "get", "id", id);
    gl_code_t code;
    json_t *answer = tk_send_json (s_net, "dispatcher", doc, &code, NULL, 0);
    json_decref (doc);
    if (code == GL_OK)
        return answer;
    if (code != GL_NOT_FOUND)
        fail_msg ("get %s: %s", id, gl_code_name (code));
    json_decref (answer);
    return NULL;
}

static json_t *
s_get (const char *id)
{
    json_t *answer = s_try_get (id);
    if (!answer)
        fail_msg ("dispatcher holds no event %s", id);
    return answer;
}

#define S_EV(answer) json_object_get (answer, "event")

//  Check an event's state, holder and step as the dispatcher holds it.
static void
s_expect (const char *id, const char *state, const char *unit, long long step)
{
    json_t *answer = s_get (id);
    json_t *ev = S_EV (answer);
    if (strcmp (s_str (ev, "state"), state) || (unit && strcmp (s_str (ev, "unit"), unit))
    ||  s_int (ev, "step") != step)
        fail_msg ("event %s is %s at %s step %lld; expected %s at %s step %lld", id,
                  s_str (ev, "state"), s_str (ev, "unit"), s_int (ev, "step"), state,
                  unit? unit: "(any)", step);
    json_decref (answer);
}

//  The step n (from 1) of an event.
static json_t *
s_step (json_t *answer, size_t n)
{
    json_t *steps = json_object_get (answer, "steps");
    assert_true (json_is_array (steps));
    if (json_array_size (steps) < n)
        fail_msg ("event has %zu steps, expected at least %zu", json_array_size (steps), n);
    json_t *step = json_array_get (steps, n - 1);
    assert_int_equal (s_int (step, "n"), n);
    return step;
}

//  ---------------------------------------------------------------------------------------------
//  Creating events: a report to intake, then waiting until the dispatcher holds it.

static char *
s_report (const char *category, const char *grid, const char *role, const char *who,
          bool on_site)
{
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}",
                             "op", "report", "req_id", s_fmt ("dispatcher-report-%u", ++s_req),
                             "category", category, "grid", grid,
                             "description", "外滩社区3栋楼道堆放杂物，存在安全隐患",
                             "reporter", "id", who, "role", role,
                             "channel", streq (role, "resident")? "hotline": "app");
    if (on_site) {
        json_object_set_new (doc, "handled_on_site", json_true ());
        json_object_set_new (doc, "evidence", json_string ("已现场劝导清理，照片 a.jpg"));
    }
    gl_code_t code;
    char message [512];
    json_t *answer = tk_send_json (s_net, "intake", doc, &code, message, sizeof message);
    json_decref (doc);
    if (code != GL_OK)
        fail_msg ("report refused: %s %s", gl_code_name (code), message);
    char *id = strdup (s_str (answer, "id"));
    json_decref (answer);
    //  The dispatcher takes it from intake's stream: poll until it holds it.
    int64_t end = zclock_mono () + S_WAIT_MS;
    json_t *held = NULL;
    while (!(held = s_try_get (id)) && zclock_mono () < end)
        zclock_sleep (10);              //  another process: nothing to wait on but time
    if (!held)
        fail_msg ("the dispatcher did not take event %s in within %d ms", id, S_WAIT_MS);
    json_decref (held);
    return id;
}

//  A grid worker of SJ-01-01 reports (staff: filed and routed at once).
static char *
s_staff (const char *category, const char *grid)
{
    return s_report (category, grid, "grid_worker", "GW-0002", false);
}

//  A resident reports (waits REPORTED for the community to accept it).
static char *
s_resident (const char *category, const char *grid)
{
    return s_report (category, grid, "resident", "resident-13800000001", false);
}

//  ---------------------------------------------------------------------------------------------
//  Lifecycle commands.

//  Send op on event id as actor, with extra fields (a JSON object text, or NULL), with the given
//  req_id (NULL: a fresh one). Returns the answer (caller decrefs) and its code and message.
static json_t *
s_command (const char *op, const char *id, const char *actor, const char *fields,
           const char *req_id, gl_code_t *code, char *message, size_t size)
{
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:{s:s}}", "op", op,
                             "req_id", req_id? req_id: s_fmt ("dispatcher-test-%u", ++s_req),
                             "id", id, "actor", "unit", actor);
    bool named = false;                 //  the fields say who acts: leave it as they say
    if (fields) {
        json_t *extra = tk_json (fields);
        named = json_object_get (extra, "actor") != NULL;
        json_object_update (doc, extra);
        json_decref (extra);
    }
    //  A unit acts through its people: where the county's rules (org.json "actions") say which
    //  roles give op, a test that names nobody acts as the first of the unit's staff allowed.
    json_t *who = json_object_get (doc, "actor");
    const char *person = named? NULL: tk_person_for (s_net, op, s_str (who, "unit"));
    if (person)
        json_object_set_new (who, "person", json_string (person));
    json_t *answer = tk_send_json (s_net, "dispatcher", doc, code, message, size);
    json_decref (doc);
    return answer;
}

//  The command is carried out: answered ok with the event's new state and step.
static void
s_ok (const char *op, const char *id, const char *actor, const char *fields, const char *state,
      long long step)
{
    gl_code_t code;
    char message [1024];
    json_t *answer = s_command (op, id, actor, fields, NULL, &code, message, sizeof message);
    if (code != GL_OK)
        fail_msg ("%s of %s by %s refused: %s %s", op, id, actor, gl_code_name (code), message);
    assert_string_equal (s_str (answer, "id"), id);
    if (strcmp (s_str (answer, "state"), state) || s_int (answer, "step") != step)
        fail_msg ("%s of %s by %s answered %s step %lld; expected %s step %lld", op, id, actor,
                  s_str (answer, "state"), s_int (answer, "step"), state, step);
    json_decref (answer);
}

//  The command is refused with code, and its message holds every '|'-separated part of says;
//  the event is left exactly as it was and nothing is published.
static void
s_no (const char *op, const char *id, const char *actor, const char *fields, gl_code_t want,
      const char *says)
{
    json_t *before = s_try_get (id);
    int64_t last = s_last_seq ();
    gl_code_t code;
    char message [1024];
    json_t *answer = s_command (op, id, actor, fields, NULL, &code, message, sizeof message);
    json_decref (answer);
    if (code != want)
        fail_msg ("%s of %s by %s: expected %s, got %s: %s", op, id, actor, gl_code_name (want),
                  gl_code_name (code), code == GL_OK? "(carried out)": message);
    char parts [512];
    snprintf (parts, sizeof parts, "%s", says);
    char *save = NULL;
    for (char *part = strtok_r (parts, "|", &save); part; part = strtok_r (NULL, "|", &save))
        if (!strstr (message, part))
            fail_msg ("%s of %s by %s: the refusal does not say \"%s\": %s", op, id, actor,
                      part, message);
    assert_int_equal (s_last_seq (), last);
    json_t *after = s_try_get (id);
    if (before || after) {
        assert_non_null (before);
        assert_non_null (after);
        assert_true (json_equal (before, after));
    }
    json_decref (before);
    json_decref (after);
}

//  The operations each state allows, from the contract (proto/dispatcher.md §2).
static const char *
s_allowed_in (const char *state)
{
    static const char *table [][2] = {
        { "REPORTED", "accept cancel supervise instruct urgent" },
        { "SELF_HANDLED", "confirm cancel supervise instruct urgent" },
        { "FILED", "cancel dispatch assign escalate refer supervise instruct urgent retriage" },
        { "DISPATCHED", "assign escalate sign return refer supervise instruct urgent retriage" },
        { "IN_PROGRESS", "assign escalate return note extend decide_extension suspend handle "
                         "supervise instruct urgent refer mediate consult retriage" },
        { "SUSPENDED", "note resume supervise instruct urgent retriage" },
        { "HANDLED", "verify supervise instruct urgent retriage" },
        { "FEEDBACK", "feedback supervise instruct urgent retriage" },
        { "CLOSED", "archive reopen" },
    };
    for (size_t i = 0; i < sizeof table / sizeof table [0]; i++)
        if (streq (table [i][0], state))
            return table [i][1];
    return "";
}

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

//  Split on any of seps and sort, joined by single spaces: the same set reads the same.
static void
s_sorted_set (const char *text, const char *seps, char *out, size_t size)
{
    char copy [512], *words [32];
    size_t n = 0;
    snprintf (copy, sizeof copy, "%s", text);
    char *save = NULL;
    for (char *w = strtok_r (copy, seps, &save); w && n < 32; w = strtok_r (NULL, seps, &save))
        words [n++] = w;
    qsort (words, n, sizeof (char *), s_strcmp);
    out [0] = 0;
    for (size_t i = 0; i < n; i++)
        snprintf (out + strlen (out), size - strlen (out), "%s%s", i? " ": "", words [i]);
}

//  The command is refused as not allowed in the event's state: CONFLICT naming the state and
//  listing exactly the operations the contract allows in it. Nothing changes.
static void
s_conflict (const char *op, const char *id, const char *actor, const char *fields,
            const char *state)
{
    s_no (op, id, actor, fields, GL_CONFLICT, s_fmt ("%s is %s;|Allowed now: ", id, state));
    gl_code_t code;
    char message [1024];
    json_decref (s_command (op, id, actor, fields, NULL, &code, message, sizeof message));
    const char *listed = strstr (message, "Allowed now: ") + strlen ("Allowed now: ");
    const char *expected = s_allowed_in (state);
    if (!*expected) {
        assert_string_equal (listed, "nothing (the event's life is over)");
        return;
    }
    char have [512], want [512];
    s_sorted_set (listed, ", ", have, sizeof have);
    s_sorted_set (expected, " ", want, sizeof want);
    if (strcmp (have, want))
        fail_msg ("%s in %s: allowed now lists \"%s\"; the contract allows \"%s\"", op, state,
                  listed, expected);
}

//  ---------------------------------------------------------------------------------------------
//  The archive's history of an event.

//  The archive's messages for id once it holds at least want of them.
static json_t *
s_history (const char *id, size_t want)
{
    json_t *doc = json_pack ("{s:s, s:s}", "op", "get", "id", id);
    int64_t end = zclock_mono () + S_WAIT_MS;
    json_t *messages = NULL;
    while (zclock_mono () < end) {
        gl_code_t code;
        json_t *answer = tk_send_json (s_net, "archive", doc, &code, NULL, 0);
        if (code == GL_OK && json_array_size (json_object_get (answer, "messages")) >= want) {
            messages = json_incref (json_object_get (answer, "messages"));
            json_decref (answer);
            break;
        }
        json_decref (answer);
        zclock_sleep (20);              //  another process: poll it
    }
    json_decref (doc);
    if (!messages)
        fail_msg ("the archive did not get %zu messages of %s within %d ms", want, id,
                  S_WAIT_MS);
    return messages;
}

//  The dispatcher's messages of an event in archive order, topics joined by spaces.
static const char *
s_topics (json_t *messages)
{
    static char out [4096];
    out [0] = 0;
    for (size_t i = 0; i < json_array_size (messages); i++) {
        const char *topic = s_str (json_array_get (messages, i), "topic");
        if (strncmp (topic, "dispatcher.", 11) == 0)
            snprintf (out + strlen (out), sizeof out - strlen (out), "%s%s", *out? " ": "",
                      topic);
    }
    return out;
}

//  The body of the first message on a topic starting with prefix, or NULL.
static json_t *
s_body (json_t *messages, const char *prefix)
{
    for (size_t i = 0; i < json_array_size (messages); i++) {
        json_t *m = json_array_get (messages, i);
        if (strncmp (s_str (m, "topic"), prefix, strlen (prefix)) == 0)
            return json_object_get (json_object_get (m, "envelope"), "body");
    }
    return NULL;
}

//  ---------------------------------------------------------------------------------------------
//  Events in each state, through the commands of the contract.

//  03.01 消防安全隐患 at SJ-01-01: major, P2, street handler SJ-B4.
static char *
s_dispatched (void)
{
    char *id = s_staff ("03.01", "SJ-01-01");
    s_expect (id, "DISPATCHED", "SJ-B4", 1);
    return id;
}

static char *
s_in_progress (void)
{
    char *id = s_dispatched ();
    s_ok ("sign", id, "SJ-B4", NULL, "IN_PROGRESS", 1);
    return id;
}

static char *
s_handled (void)
{
    char *id = s_in_progress ();
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已清理楼道杂物，照片 b.jpg\"}", "HANDLED", 1);
    return id;
}

static char *
s_closed (void)
{
    char *id = s_handled ();
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}", "CLOSED", 1);
    return id;
}

static char *
s_reported (void)
{
    char *id = s_resident ("03.01", "SJ-01-01");
    s_expect (id, "REPORTED", "SJ-01", 0);
    return id;
}

//  Accepted by the community without routing: FILED at SJ-01, step 0.
static char *
s_filed (void)
{
    char *id = s_reported ();
    s_ok ("accept", id, "SJ-01", "{\"route\": false}", "FILED", 0);
    return id;
}

static char *
s_self_handled (void)
{
    char *id = s_report ("03.01", "SJ-01-01", "grid_worker", "GW-0002", true);
    s_expect (id, "SELF_HANDLED", "SJ-01-01", 0);
    return id;
}

//  A resident's report accepted, routed to SJ-B4, handled and verified: waits for feedback.
static char *
s_feedback (void)
{
    char *id = s_reported ();
    s_ok ("accept", id, "SJ-01", NULL, "DISPATCHED", 1);
    s_ok ("sign", id, "SJ-B4", NULL, "IN_PROGRESS", 1);
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已清理，照片 c.jpg\"}", "HANDLED", 1);
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}", "FEEDBACK", 1);
    return id;
}

//  ---------------------------------------------------------------------------------------------
//  Transitions: each allowed, and refused from a wrong state.

static void
test_accept_files_a_reported_event_then_routes_it_and_is_refused_once_dispatched (void **state)
{
    char *routed = s_reported ();
    s_ok ("accept", routed, "SJ-01", "{\"note\": \"已电话核实\"}", "DISPATCHED", 1);
    s_expect (routed, "DISPATCHED", "SJ-B4", 1);
    //  The street centre may accept too; with route false it stays FILED where it is.
    char *filed = s_reported ();
    s_ok ("accept", filed, "SJ-C", "{\"route\": false}", "FILED", 0);
    s_expect (filed, "FILED", "SJ-01", 0);
    //  Filed under another category and 三事 type: routed by those.
    char *recat = s_reported ();
    s_ok ("accept", recat, "SJ-01", "{\"category\": \"05.01\", \"sanshi\": \"minor\"}",
          "DISPATCHED", 1);
    json_t *answer = s_get (recat);
    assert_string_equal (s_str (S_EV (answer), "category"), "05.01");
    assert_string_equal (s_str (S_EV (answer), "board"), "livelihood");
    assert_string_equal (s_str (S_EV (answer), "unit"), "SJ-01");
    assert_string_equal (s_str (s_step (answer, 1), "kind"), "consultation");
    json_decref (answer);
    //  Only the event's community, its street's centre or the county centre accept.
    char *other = s_reported ();
    s_no ("accept", other, "SJ-01-01", NULL, GL_FORBIDDEN, "SJ-01-01");
    s_no ("accept", other, "SJ-B4", NULL, GL_FORBIDDEN, "SJ-B4");
    s_no ("accept", other, "SJ-02", NULL, GL_FORBIDDEN, "SJ-02");
    s_no ("accept", other, "QL-C", NULL, GL_FORBIDDEN, "QL-C");
    s_ok ("accept", other, "CTY-C", NULL, "DISPATCHED", 1);
    free (other);
    s_conflict ("accept", routed, "SJ-01", NULL, "DISPATCHED");
    s_conflict ("accept", filed, "SJ-01", NULL, "FILED");
    s_no ("accept", routed, "SJ-01", "{\"category\": \"55.55\"}", GL_CONFLICT, "is DISPATCHED");
    free (routed);
    free (filed);
    free (recat);
}

static void
test_cancel_ends_reported_self_handled_filed_events_refused_once_dispatched (void **state)
{
    const char *why = "{\"code\": \"duplicate\", \"reason\": \"与前一工单重复\"}";
    char *reported = s_reported ();
    s_ok ("cancel", reported, "SJ-01", why, "CANCELLED", 0);
    char *self = s_self_handled ();
    s_ok ("cancel", self, "SJ-C", why, "CANCELLED", 0);
    char *filed = s_filed ();
    s_ok ("cancel", filed, "CTY-C", why, "CANCELLED", 0);
    //  The end of the event's life is published: intake frees the dedup key on it.
    json_t *messages = s_history (filed, 4);
    assert_string_equal (s_topics (messages), "dispatcher.event.reported.SJ-01 "
                         "dispatcher.event.filed.SJ-01 dispatcher.event.cancelled.SJ-01");
    json_t *body = s_body (messages, "dispatcher.event.cancelled");
    assert_string_equal (s_str (body, "code"), "duplicate");
    assert_string_equal (s_str (body, "state"), "CANCELLED");
    json_decref (messages);
    char *dispatched = s_dispatched ();
    s_conflict ("cancel", dispatched, "SJ-C", why, "DISPATCHED");
    s_conflict ("cancel", reported, "SJ-01", why, "CANCELLED");
    s_no ("cancel", filed, "SJ-01", "{\"code\": \"bored\", \"reason\": \"x\"}", GL_INVALID,
          "'code'");
    free (reported);
    free (self);
    free (filed);
    free (dispatched);
}

static void
test_confirm_closes_a_self_handled_event_and_is_refused_from_other_states (void **state)
{
    char *self = s_self_handled ();
    s_ok ("confirm", self, "SJ-01-01", "{\"actor\": {\"unit\": \"SJ-01-01\", \"person\": "
          "\"GW-0001\"}, \"note\": \"网格长已现场确认\"}", "CLOSED", 0);
    char *by_community = s_self_handled ();
    s_ok ("confirm", by_community, "SJ-01", NULL, "CLOSED", 0);
    json_t *messages = s_history (self, 4);
    const char *topics = s_topics (messages);
    assert_non_null (strstr (topics, "dispatcher.event.self_handled.SJ-01-01"));
    assert_non_null (strstr (topics, "dispatcher.event.closed.SJ-01-01"));
    json_decref (messages);
    s_conflict ("confirm", self, "SJ-01-01", NULL, "CLOSED");
    char *dispatched = s_dispatched ();
    s_conflict ("confirm", dispatched, "SJ-01-01", NULL, "DISPATCHED");
    free (self);
    free (by_community);
    free (dispatched);
}

static void
test_dispatch_gives_filed_event_to_a_unit_in_a_new_step_refused_unless_filed (void **state)
{
    char *id = s_filed ();
    s_ok ("dispatch", id, "SJ-C", "{\"unit\": \"D-FIRE\", \"reason\": \"消防通道堵塞，请消防"
          "大队处置\", \"copy\": [\"SJ-B4\"]}", "DISPATCHED", 1);
    json_t *answer = s_get (id);
    json_t *ev = S_EV (answer), *step = s_step (answer, 1);
    assert_string_equal (s_str (ev, "unit"), "D-FIRE");
    assert_string_equal (s_str (ev, "dispatcher"), "SJ-C");
    assert_string_equal (s_str (step, "unit"), "D-FIRE");
    assert_string_equal (s_str (step, "kind"), "dispatch");
    assert_string_equal (s_str (step, "from"), "SJ-C");
    assert_true (s_int (step, "entered_at") > 0);
    json_decref (answer);
    json_t *messages = s_history (id, 4);
    json_t *body = s_body (messages, "dispatcher.event.dispatched.D-FIRE");
    assert_non_null (body);
    assert_string_equal (s_str (json_object_get (body, "actor"), "unit"), "SJ-C");
    assert_string_equal (json_string_value (json_array_get (json_object_get (body, "copy"), 0)),
                         "SJ-B4");
    json_decref (messages);
    s_conflict ("dispatch", id, "SJ-C", "{\"unit\": \"SJ-B4\"}", "DISPATCHED");
    char *reported = s_reported ();
    s_conflict ("dispatch", reported, "SJ-C", "{\"unit\": \"SJ-B4\"}", "REPORTED");
    //  The target must be a unit that takes work.
    char *other = s_filed ();
    s_no ("dispatch", other, "SJ-C", "{\"unit\": \"SJ\"}", GL_INVALID, "a street");
    s_no ("dispatch", other, "SJ-C", "{\"unit\": \"SJ-B9\"}", GL_INVALID, "no such unit");
    //  Filed at the street centre (returned there): a board that neither holds it nor is above
    //  the centre does not dispatch it, nor does a grid or another street's centre.
    char *back = s_dispatched ();
    s_ok ("return", back, "SJ-B4", "{\"reason\": \"非本板块\"}", "FILED", 1);
    s_no ("dispatch", back, "SJ-B2", "{\"unit\": \"SJ-B2\"}", GL_FORBIDDEN, "SJ-C|SJ-B2");
    s_no ("dispatch", back, "SJ-01-01", "{\"unit\": \"SJ-01-01\"}", GL_FORBIDDEN,
          "SJ-01-01");
    s_no ("dispatch", back, "QL-C", "{\"unit\": \"D-FIRE\"}", GL_FORBIDDEN, "QL-C");
    s_ok ("dispatch", back, "CTY-C", "{\"unit\": \"D-FIRE\"}", "DISPATCHED", 2);
    free (back);
    free (id);
    free (reported);
    free (other);
}

static void
test_dispatch_copying_an_unknown_unit_is_invalid_and_publishes_nothing (void **state)
{
    char *id = s_filed ();
    s_no ("dispatch", id, "SJ-C", "{\"unit\": \"D-FIRE\", \"copy\": [\"SJ-B4\", \"NOPE-XYZ\"]}",
          GL_INVALID, "field 'copy'|NOPE-XYZ|no such unit");
    s_expect (id, "FILED", "SJ-01", 0);
    s_ok ("dispatch", id, "SJ-C", "{\"unit\": \"D-FIRE\", \"copy\": [\"SJ-B4\"]}", "DISPATCHED",
          1);
    free (id);
}

static void
test_assign_hands_down_a_tier_in_a_new_step_and_is_refused_once_handled (void **state)
{
    char *id = s_dispatched ();
    s_ok ("assign", id, "SJ-B4", "{\"unit\": \"SJ-01\", \"reason\": \"请社区组织清理\"}",
          "DISPATCHED", 2);
    s_ok ("sign", id, "SJ-01", NULL, "IN_PROGRESS", 2);
    s_ok ("assign", id, "SJ-01", "{\"unit\": \"SJ-01-01\", \"reason\": \"网格员上门劝导\"}",
          "DISPATCHED", 3);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (S_EV (answer), "unit"), "SJ-01-01");
    assert_string_equal (s_str (S_EV (answer), "dispatcher"), "SJ-01");
    assert_string_equal (s_str (s_step (answer, 2), "kind"), "assign");
    assert_string_equal (s_str (s_step (answer, 2), "from"), "SJ-B4");
    assert_true (s_int (s_step (answer, 2), "left_at") > 0);
    assert_string_equal (s_str (s_step (answer, 3), "unit"), "SJ-01-01");
    assert_string_equal (s_str (s_step (answer, 3), "reason"), "网格员上门劝导");
    json_decref (answer);
    //  Not to the same or a higher tier.
    s_no ("assign", id, "SJ-01-01", "{\"unit\": \"SJ-01\", \"reason\": \"x\"}", GL_FORBIDDEN,
          "SJ-01-01");
    s_no ("assign", id, "SJ-01", "{\"unit\": \"SJ-01-01\"}", GL_INVALID, "'reason'");
    //  From FILED too: the community hands its filed event to one of its grids.
    char *filed = s_filed ();
    s_ok ("assign", filed, "SJ-01", "{\"unit\": \"SJ-01-02\", \"reason\": \"就近处置\"}",
          "DISPATCHED", 1);
    s_expect (filed, "DISPATCHED", "SJ-01-02", 1);
    char *handled = s_handled ();
    s_conflict ("assign", handled, "SJ-B4", "{\"unit\": \"SJ-01\", \"reason\": \"x\"}",
                "HANDLED");
    free (id);
    free (filed);
    free (handled);
}

static void
test_escalate_goes_one_tier_up_to_the_county_and_is_refused_once_handled (void **state)
{
    char *id = s_filed ();
    s_ok ("dispatch", id, "SJ-01", "{\"unit\": \"SJ-01-01\"}", "DISPATCHED", 1);
    const char *why = "{\"reason\": \"本级无法处置\"}";
    s_ok ("escalate", id, "SJ-01-01", why, "FILED", 2);
    s_expect (id, "FILED", "SJ-01", 2);
    s_ok ("escalate", id, "SJ-01", why, "FILED", 3);
    s_expect (id, "FILED", "SJ-C", 3);
    s_ok ("escalate", id, "SJ-C", why, "FILED", 4);
    s_expect (id, "FILED", "CTY-C", 4);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (s_step (answer, 4), "kind"), "escalate");
    assert_string_equal (s_str (s_step (answer, 4), "from"), "SJ-C");
    assert_string_equal (s_str (S_EV (answer), "dispatcher"), "CTY-C");
    json_decref (answer);
    s_no ("escalate", id, "CTY-C", why, GL_CONFLICT, "no tier above");
    s_no ("escalate", id, "SJ-C", why, GL_FORBIDDEN, "CTY-C");
    char *handled = s_handled ();
    s_conflict ("escalate", handled, "SJ-B4", why, "HANDLED");
    free (id);
    free (handled);
}

static void
test_escalate_from_a_board_goes_to_its_street_centre_before_the_county (void **state)
{
    char *id = s_in_progress ();
    const char *why = "{\"reason\": \"板块无法协调\"}";
    s_ok ("escalate", id, "SJ-B4", why, "FILED", 2);
    s_expect (id, "FILED", "SJ-C", 2);
    s_ok ("escalate", id, "SJ-C", why, "FILED", 3);
    s_expect (id, "FILED", "CTY-C", 3);
    free (id);
}

static void
test_sign_takes_a_dispatched_event_in_progress_and_is_refused_when_in_progress (void **state)
{
    char *id = s_dispatched ();
    s_ok ("sign", id, "SJ-B4", NULL, "IN_PROGRESS", 1);
    json_t *answer = s_get (id);
    assert_true (s_int (s_step (answer, 1), "signed_at") >= s_int (s_step (answer, 1),
                                                                    "entered_at"));
    json_decref (answer);
    s_conflict ("sign", id, "SJ-B4", NULL, "IN_PROGRESS");
    free (id);
}

static void
test_return_files_it_back_at_the_dispatching_unit_and_is_refused_when_filed (void **state)
{
    char *id = s_in_progress ();
    s_ok ("return", id, "SJ-B4", "{\"reason\": \"不属平安法治板块职责\"}", "FILED", 1);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (S_EV (answer), "unit"), "SJ-C");
    assert_int_equal (s_int (S_EV (answer), "returns"), 1);
    assert_string_equal (s_str (s_step (answer, 1), "outcome"), "returned");
    assert_true (s_int (s_step (answer, 1), "left_at") > 0);
    json_decref (answer);
    json_t *messages = s_history (id, 5);
    json_t *body = s_body (messages, "dispatcher.event.returned.SJ-C");
    assert_non_null (body);
    assert_string_equal (s_str (body, "reason"), "不属平安法治板块职责");
    json_decref (messages);
    s_conflict ("return", id, "SJ-C", "{\"reason\": \"x\"}", "FILED");
    //  A dispatched event (not yet signed for) may be returned too; the reason is required.
    char *fresh = s_dispatched ();
    s_no ("return", fresh, "SJ-B4", "{\"reason\": \"\"}", GL_INVALID, "'reason'");
    s_ok ("return", fresh, "SJ-B4", "{\"reason\": \"非本板块\"}", "FILED", 1);
    free (id);
    free (fresh);
}

static void
test_return_reason_is_kept_on_the_step_and_the_last_step_is_left_when_the_event_closes (
    void **state)
{
    char *id = s_dispatched ();
    s_ok ("return", id, "SJ-B4", "{\"reason\": \"不属安全板块职责\"}", "FILED", 1);
    s_ok ("dispatch", id, "SJ-C", "{\"unit\": \"SJ-B4\", \"reason\": \"确属本板块\"}",
          "DISPATCHED", 2);
    s_ok ("sign", id, "SJ-B4", NULL, "IN_PROGRESS", 2);
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已清理，照片 d.jpg\"}", "HANDLED", 2);
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}", "CLOSED", 2);
    json_t *answer = s_get (id);
    json_t *first = s_step (answer, 1), *last = s_step (answer, 2);
    assert_string_equal (s_str (first, "outcome"), "returned");
    assert_string_equal (s_str (first, "return_reason"), "不属安全板块职责");
    assert_string_equal (s_str (last, "reason"), "确属本板块");
    assert_true (s_int (last, "left_at") >= s_int (last, "entered_at"));
    assert_true (s_int (last, "left_at") > 0);
    json_decref (answer);
    free (id);
}

static void
test_note_keeps_the_state_and_is_refused_before_signing (void **state)
{
    char *id = s_in_progress ();
    s_ok ("note", id, "SJ-B4", "{\"text\": \"已联系物业，明日清理\"}", "IN_PROGRESS", 1);
    s_ok ("note", id, "CTY-C", "{\"text\": \"请加快进度\"}", "IN_PROGRESS", 1);
    s_ok ("suspend", id, "SJ-C", "{\"reason\": \"等待产权单位确认\"}", "SUSPENDED", 1);
    s_ok ("note", id, "SJ-B4", "{\"text\": \"仍在等待\"}", "SUSPENDED", 1);
    char *dispatched = s_dispatched ();
    s_conflict ("note", dispatched, "SJ-B4", "{\"text\": \"x\"}", "DISPATCHED");
    free (id);
    free (dispatched);
}

static void
test_extend_and_decide_extension_add_days_to_the_step_and_are_refused_out_of_turn (void **state)
{
    char *id = s_in_progress ();
    s_no ("decide_extension", id, "SJ-C", "{\"approve\": true}", GL_CONFLICT,
          "no extension request waiting");
    s_no ("extend", id, "SJ-B4", "{\"days\": 45, \"reason\": \"x\"}", GL_INVALID, "'days'");
    s_ok ("extend", id, "SJ-B4", "{\"days\": 5, \"reason\": \"需协调产权单位\"}",
          "IN_PROGRESS", 1);
    json_t *pending = s_get (id);
    assert_int_equal (s_int (S_EV (pending), "extension_days"), 5);
    json_decref (pending);
    s_no ("extend", id, "SJ-B4", "{\"days\": 2, \"reason\": \"x\"}", GL_CONFLICT,
          "already has an extension of 5 days");
    //  The holder does not decide its own request; the unit that dispatched it does.
    s_no ("decide_extension", id, "SJ-B4", "{\"approve\": true}", GL_FORBIDDEN, "SJ-B4");
    s_ok ("decide_extension", id, "SJ-C", "{\"approve\": true}", "IN_PROGRESS", 1);
    json_t *answer = s_get (id);
    assert_int_equal (s_int (s_step (answer, 1), "extension_days"), 5);
    assert_int_equal (s_int (S_EV (answer), "extension_days"), 0);
    json_decref (answer);
    //  A second extension grows the step's days; a refused one leaves them.
    s_ok ("extend", id, "SJ-B4", "{\"days\": 3, \"reason\": \"材料未到\"}", "IN_PROGRESS", 1);
    s_ok ("decide_extension", id, "SJ-C", "{\"approve\": true}", "IN_PROGRESS", 1);
    s_ok ("extend", id, "SJ-B4", "{\"days\": 9, \"reason\": \"再延\"}", "IN_PROGRESS", 1);
    s_ok ("decide_extension", id, "CTY-C", "{\"approve\": false, \"reason\": \"不予延期\"}",
          "IN_PROGRESS", 1);
    answer = s_get (id);
    assert_int_equal (s_int (s_step (answer, 1), "extension_days"), 8);
    json_decref (answer);
    char *dispatched = s_dispatched ();
    s_conflict ("extend", dispatched, "SJ-B4", "{\"days\": 5, \"reason\": \"x\"}",
                "DISPATCHED");
    char *handled = s_handled ();
    s_conflict ("decide_extension", handled, "SJ-C", "{\"approve\": true}", "HANDLED");
    free (id);
    free (dispatched);
    free (handled);
}

static void
test_suspend_and_resume_park_and_reopen_work_and_are_refused_from_other_states (void **state)
{
    char *id = s_in_progress ();
    s_ok ("suspend", id, "SJ-C", "{\"reason\": \"涉及历史遗留问题，需上级协调\"}", "SUSPENDED",
          1);
    s_conflict ("suspend", id, "SJ-C", "{\"reason\": \"x\"}", "SUSPENDED");
    s_conflict ("sign", id, "SJ-B4", NULL, "SUSPENDED");
    s_ok ("resume", id, "SJ-C", "{\"note\": \"已协调\"}", "IN_PROGRESS", 1);
    s_conflict ("resume", id, "SJ-C", NULL, "IN_PROGRESS");
    char *dispatched = s_dispatched ();
    s_conflict ("suspend", dispatched, "SJ-C", "{\"reason\": \"x\"}", "DISPATCHED");
    free (id);
    free (dispatched);
}

static void
test_handle_with_evidence_makes_it_handled_and_is_refused_before_signing (void **state)
{
    char *id = s_in_progress ();
    s_no ("handle", id, "SJ-B4", NULL, GL_INVALID, "'evidence'");
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已清理，照片 d.jpg\", \"result\": \"已清理\"}",
          "HANDLED", 1);
    json_t *messages = s_history (id, 5);
    json_t *body = s_body (messages, "dispatcher.event.handled.SJ-B4");
    assert_non_null (body);
    assert_string_equal (s_str (body, "evidence"), "已清理，照片 d.jpg");
    assert_string_equal (s_str (body, "result"), "已清理");
    json_decref (messages);
    s_conflict ("handle", id, "SJ-B4", "{\"evidence\": \"x\"}", "HANDLED");
    char *dispatched = s_dispatched ();
    s_conflict ("handle", dispatched, "SJ-B4", "{\"evidence\": \"x\"}", "DISPATCHED");
    free (id);
    free (dispatched);
}

static void
test_verify_fail_reworks_pass_closes_staff_reports_asks_residents_feedback (void **state)
{
    char *id = s_handled ();
    s_no ("verify", id, "SJ-01-01", "{\"pass\": false}", GL_INVALID, "'reason'");
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": false, \"reason\": \"仍有杂物\"}", "IN_PROGRESS",
          1);
    json_t *answer = s_get (id);
    assert_int_equal (s_int (S_EV (answer), "reworks"), 1);
    assert_string_equal (s_str (S_EV (answer), "unit"), "SJ-B4");
    json_decref (answer);
    s_conflict ("verify", id, "SJ-01-01", "{\"pass\": true}", "IN_PROGRESS");
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已彻底清理\"}", "HANDLED", 1);
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}", "CLOSED", 1);
    json_t *messages = s_history (id, 8);
    const char *topics = s_topics (messages);
    assert_non_null (strstr (topics, "dispatcher.event.verified.SJ-B4 "
                                     "dispatcher.event.closed.SJ-B4"));
    json_decref (messages);
    char *resident = s_feedback ();        //  verified with pass: FEEDBACK
    free (id);
    free (resident);
}

static void
test_feedback_satisfied_closes_unsatisfied_rehandles_refused_before_verified (void **state)
{
    char *id = s_feedback ();
    s_no ("feedback", id, "SJ-01", "{\"rating\": \"great\"}", GL_INVALID, "'rating'");
    s_ok ("feedback", id, "SJ-01", "{\"rating\": \"unsatisfied\", \"note\": \"仍有异味\"}",
          "IN_PROGRESS", 1);
    json_t *answer = s_get (id);
    assert_int_equal (s_int (S_EV (answer), "rehandles"), 1);
    assert_string_equal (s_str (S_EV (answer), "unit"), "SJ-B4");
    json_decref (answer);
    s_conflict ("feedback", id, "SJ-01", "{\"rating\": \"satisfied\"}", "IN_PROGRESS");
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已除味\"}", "HANDLED", 1);
    s_conflict ("feedback", id, "SJ-01", "{\"rating\": \"satisfied\"}", "HANDLED");
    s_ok ("verify", id, "SJ-01", "{\"pass\": true}", "FEEDBACK", 1);
    s_ok ("feedback", id, "SJ-C", "{\"rating\": \"fairly_satisfied\"}", "CLOSED", 1);
    free (id);
}

static void
test_supervise_instruct_urgent_keep_any_open_state_and_are_refused_once_closed (void **state)
{
    char *id = s_in_progress ();
    s_ok ("supervise", id, "CTY-C", "{\"level\": \"yellow\", \"note\": \"超时预警\"}",
          "IN_PROGRESS", 1);
    s_ok ("instruct", id, "CTY-C", "{\"text\": \"请三日内办结\"}", "IN_PROGRESS", 1);
    s_ok ("urgent", id, "CTY-C", "{\"reason\": \"群众反映强烈\"}", "IN_PROGRESS", 1);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (S_EV (answer), "supervision"), "yellow");
    assert_string_equal (s_str (S_EV (answer), "priority"), "P1");
    assert_true (json_is_true (json_object_get (S_EV (answer), "urgent")));
    json_decref (answer);
    json_t *messages = s_history (id, 7);
    json_t *body = s_body (messages, "dispatcher.event.urgent.SJ-B4");
    assert_non_null (body);
    assert_string_equal (s_str (body, "priority"), "P1");
    json_decref (messages);
    s_no ("supervise", id, "CTY-C", "{\"level\": \"purple\"}", GL_INVALID, "'level'");
    //  In the other open states too: REPORTED, SELF_HANDLED, FILED, SUSPENDED, HANDLED.
    char *reported = s_reported ();
    s_ok ("supervise", reported, "SJ-C", "{\"level\": \"normal\"}", "REPORTED", 0);
    char *self = s_self_handled ();
    s_ok ("instruct", self, "SJ-01", "{\"text\": \"请网格长尽快确认\"}", "SELF_HANDLED", 0);
    char *filed = s_filed ();
    s_ok ("urgent", filed, "SJ-C", "{\"reason\": \"涉及消防通道\"}", "FILED", 0);
    s_ok ("suspend", id, "SJ-C", "{\"reason\": \"等待\"}", "SUSPENDED", 1);
    s_ok ("supervise", id, "CTY-C", "{\"level\": \"red\"}", "SUSPENDED", 1);
    char *handled = s_handled ();
    s_ok ("instruct", handled, "CTY-C", "{\"text\": \"请尽快核查\"}", "HANDLED", 1);
    //  Not after the event's life is over.
    char *closed = s_closed ();
    s_conflict ("supervise", closed, "CTY-C", "{\"level\": \"red\"}", "CLOSED");
    s_conflict ("instruct", closed, "CTY-C", "{\"text\": \"x\"}", "CLOSED");
    s_conflict ("urgent", closed, "CTY-C", "{\"reason\": \"x\"}", "CLOSED");
    s_ok ("cancel", reported, "SJ-01", "{\"code\": \"withdrawn\", \"reason\": \"撤回\"}",
          "CANCELLED", 0);
    s_conflict ("urgent", reported, "SJ-C", "{\"reason\": \"x\"}", "CANCELLED");
    free (id);
    free (reported);
    free (self);
    free (filed);
    free (handled);
    free (closed);
}

static void
test_archive_locks_a_closed_event_and_nothing_is_allowed_afterwards (void **state)
{
    char *id = s_closed ();
    s_no ("archive", id, "SJ-B4", NULL, GL_FORBIDDEN, "SJ-B4");
    s_ok ("archive", id, "SJ-C", NULL, "ARCHIVED", 1);
    s_conflict ("archive", id, "SJ-C", NULL, "ARCHIVED");
    s_conflict ("verify", id, "SJ-C", "{\"pass\": true}", "ARCHIVED");
    char *handled = s_handled ();
    s_conflict ("archive", handled, "SJ-C", NULL, "HANDLED");
    char *closed = s_closed ();
    s_ok ("archive", closed, "CTY-C", NULL, "ARCHIVED", 1);
    free (id);
    free (handled);
    free (closed);
}

static void
test_unknown_event_is_not_found_and_unknown_actor_is_invalid (void **state)
{
    s_no ("sign", "500235-20991231-999999999", "SJ-B4", NULL, GL_NOT_FOUND,
          "dispatcher holds no event '500235-20991231-999999999'");
    char *id = s_dispatched ();
    s_no ("sign", id, "SJ-B9", NULL, GL_INVALID, "'actor.unit'|SJ-B9");
    gl_code_t code;
    char message [512];
    json_t *doc = json_pack ("{s:s, s:s, s:s}", "op", "sign", "req_id", "no-actor", "id", id);
    json_decref (tk_send_json (s_net, "dispatcher", doc, &code, message, sizeof message));
    json_decref (doc);
    assert_int_equal (code, GL_INVALID);
    assert_non_null (strstr (message, "'actor'"));
    doc = json_pack ("{s:s, s:s, s:{s:s}}", "op", "sign", "id", id, "actor", "unit", "SJ-B4");
    json_decref (tk_send_json (s_net, "dispatcher", doc, &code, message, sizeof message));
    json_decref (doc);
    assert_int_equal (code, GL_INVALID);
    assert_non_null (strstr (message, "'req_id'"));
    s_expect (id, "DISPATCHED", "SJ-B4", 1);
    free (id);
}

//  ---------------------------------------------------------------------------------------------
//  Automatic routing, one test per rule.

static void
test_route_major_goes_to_the_street_board_of_its_category (void **state)
{
    char *id = s_staff ("03.01", "SJ-01-01");
    json_t *answer = s_get (id);
    json_t *ev = S_EV (answer), *step = s_step (answer, 1);
    assert_string_equal (s_str (ev, "state"), "DISPATCHED");
    assert_string_equal (s_str (ev, "unit"), "SJ-B4");
    assert_string_equal (s_str (ev, "dispatcher"), "SJ-C");
    assert_string_equal (s_str (ev, "sanshi"), "major");
    assert_string_equal (s_str (ev, "priority"), "P2");
    assert_string_equal (s_str (ev, "board"), "safety");
    assert_string_equal (s_str (ev, "grid"), "SJ-01-01");
    assert_string_equal (s_str (ev, "community"), "SJ-01");
    assert_string_equal (s_str (ev, "street"), "SJ");
    assert_string_equal (s_str (ev, "category"), "03.01");
    assert_string_equal (s_str (ev, "reporter_role"), "grid_worker");
    assert_string_equal (s_str (ev, "county_handler"), "D-FIRE");
    assert_true (json_is_false (json_object_get (ev, "dispute")));
    assert_string_equal (s_str (ev, "supervision"), "");
    assert_int_equal (s_int (ev, "extension_days"), 0);
    assert_int_equal (s_int (ev, "returns"), 0);
    assert_true (s_int (ev, "created_at") > 0);
    assert_true (s_int (ev, "updated_at") >= s_int (ev, "created_at"));
    assert_string_equal (s_str (step, "unit"), "SJ-B4");
    assert_string_equal (s_str (step, "kind"), "auto");
    assert_string_equal (s_str (step, "from"), "auto");
    assert_int_equal (json_array_size (json_object_get (answer, "steps")), 1);
    json_decref (answer);
    json_t *messages = s_history (id, 3);
    assert_string_equal (s_topics (messages),
                         "dispatcher.event.filed.SJ-C dispatcher.event.dispatched.SJ-B4");
    json_t *filed = s_body (messages, "dispatcher.event.filed");
    assert_string_equal (s_str (json_object_get (filed, "actor"), "unit"), "auto");
    assert_string_equal (s_str (json_object_get (filed, "triage"), "street_handler"), "SJ-B4");
    json_t *body = s_body (messages, "dispatcher.event.dispatched");
    assert_int_equal (s_int (body, "step"), 1);
    assert_string_equal (s_str (body, "unit"), "SJ-B4");
    assert_null (json_object_get (body, "copy"));
    json_decref (messages);
    free (id);
}

static void
test_route_skip_rule_sends_p1_and_centre_work_to_the_centre_copying_county_handler (
    void **state)
{
    //  10.05 火灾: P1 and handled by the centre; 03.03 燃气安全隐患: P1 at board SJ-B4.
    const char *cases [][3] = { { "10.05", "D-FIRE" }, { "03.03", "D-GAS" } };
    for (int i = 0; i < 2; i++) {
        char *id = s_staff (cases [i][0], "SJ-01-01");
        s_expect (id, "DISPATCHED", "SJ-C", 1);
        json_t *messages = s_history (id, 3);
        json_t *body = s_body (messages, "dispatcher.event.dispatched.SJ-C");
        assert_non_null (body);
        json_t *copy = json_object_get (body, "copy");
        assert_int_equal (json_array_size (copy), 1);
        assert_string_equal (json_string_value (json_array_get (copy, 0)), cases [i][1]);
        assert_string_equal (s_str (body, "rule"), "skip");
        assert_string_equal (s_str (json_object_get (body, "actor"), "unit"), "auto");
        json_decref (messages);
        free (id);
    }
}

static void
test_route_skip_routed_event_is_passed_on_by_the_centre_holding_it (void **state)
{
    //  10.05 火灾 at QL-01-01: straight to QL-C, copying D-FIRE. The centre dispatches it on.
    char *id = s_staff ("10.05", "QL-01-01");
    s_expect (id, "DISPATCHED", "QL-C", 1);
    s_ok ("dispatch", id, "QL-C", "{\"unit\": \"D-FIRE\", \"reason\": \"火情，请消防处置\"}",
          "DISPATCHED", 2);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (S_EV (answer), "dispatcher"), "QL-C");
    assert_string_equal (s_str (s_step (answer, 2), "kind"), "dispatch");
    assert_true (s_int (s_step (answer, 1), "left_at") > 0);
    assert_int_equal (s_int (S_EV (answer), "wrong_dispatches"), 0);
    json_decref (answer);
    //  Once it is with the department, the centre no longer holds it: dispatch is refused.
    s_conflict ("dispatch", id, "QL-C", "{\"unit\": \"QL-B4\"}", "DISPATCHED");
    //  Or, signed for first, the centre assigns it to its own board; not to another street's.
    char *other = s_staff ("10.05", "QL-01-01");
    s_ok ("sign", other, "QL-C", NULL, "IN_PROGRESS", 1);
    s_no ("assign", other, "QL-C", "{\"unit\": \"SJ-B4\", \"reason\": \"x\"}", GL_FORBIDDEN,
          "QL-C");
    s_ok ("assign", other, "QL-C", "{\"unit\": \"QL-B4\", \"reason\": \"平安法治板块跟进\"}",
          "DISPATCHED", 2);
    free (id);
    free (other);
}

static void
test_consultation_runs_its_stages_in_order_then_is_verified (void **state)
{
    //  05.01 市容环境: a 小事 for the community's consultation (协商议事).
    char *id = s_staff ("05.01", "SJ-01-01");
    s_expect (id, "DISPATCHED", "SJ-01", 1);
    s_ok ("sign", id, "SJ-01", NULL, "IN_PROGRESS", 1);
    //  Stages in order only; only the community holding it.
    s_no ("consult", id, "SJ-01", "{\"stage\": \"decision\", \"text\": \"x\"}", GL_CONFLICT,
          "the next stage is 'topic'");
    s_no ("consult", id, "SJ-B4", "{\"stage\": \"topic\", \"text\": \"x\"}", GL_FORBIDDEN,
          "SJ-B4");
    s_ok ("consult", id, "SJ-01", "{\"stage\": \"topic\", \"text\": \"小区门口占道摆摊\"}",
          "IN_PROGRESS", 1);
    s_ok ("consult", id, "SJ-01", "{\"stage\": \"meeting\", \"text\": \"居民议事会\"}",
          "IN_PROGRESS", 1);
    s_ok ("consult", id, "SJ-01", "{\"stage\": \"decision\", \"text\": \"划定摊位\"}",
          "IN_PROGRESS", 1);
    s_ok ("consult", id, "SJ-01", "{\"stage\": \"carry_out\", \"text\": \"已划线\"}",
          "IN_PROGRESS", 1);
    s_ok ("consult", id, "SJ-01", "{\"stage\": \"publish\", \"text\": \"公示栏张贴\"}",
          "HANDLED", 1);
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}", "CLOSED", 1);
    //  A dispatched (not consultation) event cannot be consulted on.
    char *board = s_staff ("03.01", "SJ-01-01");
    s_expect (board, "DISPATCHED", "SJ-B4", 1);
    s_ok ("sign", board, "SJ-B4", NULL, "IN_PROGRESS", 1);
    s_no ("consult", board, "SJ-B4", "{\"stage\": \"topic\", \"text\": \"x\"}", GL_CONFLICT,
          "not a community consultation");
    free (id);
    free (board);
}

//  The five stages of a consultation at SJ-01, ending HANDLED.
static void
s_consult_all (const char *id)
{
    const char *stages [] = { "topic", "meeting", "decision", "carry_out" };
    for (size_t i = 0; i < 4; i++)
        s_ok ("consult", id, "SJ-01", s_fmt ("{\"stage\": \"%s\", \"text\": \"议事 %zu\"}",
              stages [i], i), "IN_PROGRESS", 1);
    s_ok ("consult", id, "SJ-01", "{\"stage\": \"publish\", \"text\": \"公示\"}", "HANDLED",
          1);
}

static void
test_consultation_failed_verification_runs_the_stages_again_from_topic (void **state)
{
    char *id = s_staff ("05.01", "SJ-01-01");
    s_ok ("sign", id, "SJ-01", NULL, "IN_PROGRESS", 1);
    s_consult_all (id);
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": false, \"reason\": \"摊位仍占道\"}",
          "IN_PROGRESS", 1);
    //  Rework is a new round of the consultation: out of order is still refused by name.
    s_no ("consult", id, "SJ-01", "{\"stage\": \"publish\", \"text\": \"x\"}", GL_CONFLICT,
          "the next stage is 'topic'");
    s_consult_all (id);
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}", "CLOSED", 1);
    free (id);
}

static void
test_consultation_closes_only_through_its_stages_and_is_verified_from_outside (void **state)
{
    char *id = s_staff ("05.01", "SJ-01-01");
    s_ok ("sign", id, "SJ-01", NULL, "IN_PROGRESS", 1);
    //  No shortcut past the consultation.
    s_no ("handle", id, "SJ-01", "{\"evidence\": \"已处理\"}", GL_CONFLICT,
          "consultation|publish");
    s_consult_all (id);
    //  The community that handled it does not verify its own work.
    s_no ("verify", id, "SJ-01", "{\"pass\": true}", GL_FORBIDDEN, "SJ-01-01|SJ-C|handled");
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}", "CLOSED", 1);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (S_EV (answer), "consultation"), "publish");
    json_decref (answer);
    free (id);
}

static void
test_route_minor_goes_to_community_consultation_or_to_the_board_if_not_admitted (void **state)
{
    //  05.01 市容环境: minor, admitted for communities (A-025).
    char *id = s_staff ("05.01", "SJ-01-01");
    s_expect (id, "DISPATCHED", "SJ-01", 1);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (s_step (answer, 1), "kind"), "consultation");
    assert_string_equal (s_str (S_EV (answer), "dispatcher"), "SJ-C");
    json_decref (answer);
    json_t *messages = s_history (id, 3);
    assert_string_equal (s_topics (messages),
                         "dispatcher.event.filed.SJ-C dispatcher.event.dispatched.SJ-01");
    json_decref (messages);
    //  05.04 街面秩序: minor, but on the negative list for communities (A-038): the board.
    char *refused = s_staff ("05.04", "SJ-01-01");
    s_expect (refused, "DISPATCHED", "SJ-B4", 1);
    answer = s_get (refused);
    assert_string_equal (s_str (s_step (answer, 1), "kind"), "auto");
    json_decref (answer);
    messages = s_history (refused, 3);
    json_t *body = s_body (messages, "dispatcher.event.dispatched.SJ-B4");
    assert_non_null (strstr (s_str (body, "not_admitted"), "negative list"));
    json_decref (messages);
    free (id);
    free (refused);
}

static void
test_route_private_is_closed_with_advice_and_event_closed_is_published (void **state)
{
    //  01.02 邻里纠纷: private.
    char *id = s_staff ("01.02", "SJ-01-01");
    s_expect (id, "CLOSED", NULL, 0);
    json_t *answer = s_get (id);
    assert_int_equal (json_array_size (json_object_get (answer, "steps")), 0);
    assert_string_equal (s_str (S_EV (answer), "sanshi"), "private");
    json_decref (answer);
    json_t *messages = s_history (id, 3);
    assert_string_equal (s_topics (messages),
                         "dispatcher.event.filed.SJ-C dispatcher.event.closed.SJ-C");
    json_t *body = s_body (messages, "dispatcher.event.closed");
    assert_string_equal (s_str (body, "state"), "CLOSED");
    assert_true (strlen (s_str (body, "advice")) > 0);
    assert_string_equal (s_str (json_object_get (body, "actor"), "unit"), "auto");
    json_decref (messages);
    free (id);
}

static void
test_route_handled_on_site_waits_self_handled_until_confirmed_then_closes (void **state)
{
    char *id = s_self_handled ();
    json_t *messages = s_history (id, 2);
    assert_string_equal (s_topics (messages), "dispatcher.event.self_handled.SJ-01-01");
    json_decref (messages);
    s_ok ("confirm", id, "SJ-01-01", S_GRID_LEADER, "CLOSED", 0);
    messages = s_history (id, 4);
    assert_string_equal (s_topics (messages), "dispatcher.event.self_handled.SJ-01-01 "
                         "dispatcher.event.confirmed.SJ-01-01 "
                         "dispatcher.event.closed.SJ-01-01");
    json_decref (messages);
    free (id);
}

static void
test_route_resident_report_waits_reported_until_accepted_then_is_routed (void **state)
{
    char *id = s_reported ();
    json_t *answer = s_get (id);
    assert_string_equal (s_str (S_EV (answer), "unit"), "SJ-01");
    json_decref (answer);
    s_ok ("accept", id, "SJ-01", NULL, "DISPATCHED", 1);
    s_expect (id, "DISPATCHED", "SJ-B4", 1);
    json_t *messages = s_history (id, 4);
    assert_string_equal (s_topics (messages), "dispatcher.event.reported.SJ-01 "
                         "dispatcher.event.filed.SJ-01 dispatcher.event.dispatched.SJ-B4");
    json_decref (messages);
    //  With route false it stays FILED for a person to dispatch.
    char *kept = s_reported ();
    s_ok ("accept", kept, "SJ-01", "{\"route\": false}", "FILED", 0);
    messages = s_history (kept, 3);
    assert_string_equal (s_topics (messages), "dispatcher.event.reported.SJ-01 "
                         "dispatcher.event.filed.SJ-01");
    json_decref (messages);
    s_expect (kept, "FILED", "SJ-01", 0);
    free (id);
    free (kept);
}

static void
test_route_override_by_the_centre_after_a_return_counts_a_wrong_dispatch (void **state)
{
    char *id = s_in_progress ();
    s_ok ("return", id, "SJ-B4", "{\"reason\": \"属消防部门职责\"}", "FILED", 1);
    s_ok ("dispatch", id, "SJ-C", "{\"unit\": \"D-FIRE\", \"reason\": \"改派消防\"}",
          "DISPATCHED", 2);
    json_t *answer = s_get (id);
    assert_int_equal (s_int (S_EV (answer), "wrong_dispatches"), 1);
    assert_int_equal (s_int (S_EV (answer), "returns"), 1);
    assert_string_equal (s_str (S_EV (answer), "unit"), "D-FIRE");
    assert_string_equal (s_str (s_step (answer, 2), "kind"), "dispatch");
    json_decref (answer);
    //  Given back to the unit that returned it: not a wrong dispatch.
    char *same = s_in_progress ();
    s_ok ("return", same, "SJ-B4", "{\"reason\": \"需补充材料\"}", "FILED", 1);
    s_ok ("dispatch", same, "SJ-C", "{\"unit\": \"SJ-B4\", \"reason\": \"已补充\"}",
          "DISPATCHED", 2);
    answer = s_get (same);
    assert_int_equal (s_int (S_EV (answer), "wrong_dispatches"), 0);
    json_decref (answer);
    free (id);
    free (same);
}

//  ---------------------------------------------------------------------------------------------
//  Authorisation.

static void
test_auth_sign_handle_and_return_only_by_the_assigned_unit (void **state)
{
    char *id = s_dispatched ();
    s_no ("sign", id, "SJ-B2", NULL, GL_FORBIDDEN, "SJ-B4|SJ-B2");
    s_no ("sign", id, "SJ-C", NULL, GL_FORBIDDEN, "SJ-B4|SJ-C");
    s_no ("return", id, "SJ-B2", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-B4|SJ-B2");
    s_ok ("sign", id, "SJ-B4", NULL, "IN_PROGRESS", 1);
    s_no ("handle", id, "SJ-01-01", "{\"evidence\": \"x\"}", GL_FORBIDDEN, "SJ-B4|SJ-01-01");
    s_no ("handle", id, "CTY-C", "{\"evidence\": \"x\"}", GL_FORBIDDEN, "SJ-B4|CTY-C");
    s_no ("return", id, "D-FIRE", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-B4|D-FIRE");
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已处置\"}", "HANDLED", 1);
    free (id);
}

static void
test_auth_verify_only_by_the_event_grid_community_or_street_centre (void **state)
{
    char *id = s_handled ();
    const char *fail = "{\"pass\": false, \"reason\": \"未整改到位\"}";
    s_no ("verify", id, "SJ-B4", "{\"pass\": true}", GL_FORBIDDEN, "SJ-B4");
    s_no ("verify", id, "SJ-01-02", "{\"pass\": true}", GL_FORBIDDEN, "SJ-01-02");
    s_no ("verify", id, "SJ-02", "{\"pass\": true}", GL_FORBIDDEN, "SJ-02");
    s_no ("verify", id, "QL-C", "{\"pass\": true}", GL_FORBIDDEN, "QL-C");
    s_ok ("verify", id, "SJ-01-01", fail, "IN_PROGRESS", 1);
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"再次整改\"}", "HANDLED", 1);
    s_ok ("verify", id, "SJ-01", fail, "IN_PROGRESS", 1);
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"第三次整改\"}", "HANDLED", 1);
    s_ok ("verify", id, "SJ-C", "{\"pass\": true}", "CLOSED", 1);
    json_t *answer = s_get (id);
    assert_int_equal (s_int (S_EV (answer), "reworks"), 2);
    json_decref (answer);
    free (id);
}

static void
test_auth_verify_never_by_the_county_centre_and_the_refusal_names_every_unit_allowed (
    void **state)
{
    char *id = s_handled ();
    s_no ("verify", id, "CTY-C", "{\"pass\": true}", GL_FORBIDDEN,
          "SJ-01-01|SJ-01|SJ-C|CTY-C is not");
    s_no ("verify", id, "SJ-B4", "{\"pass\": true}", GL_FORBIDDEN, "SJ-01-01|SJ-01|SJ-C");
    s_ok ("verify", id, "SJ-C", "{\"pass\": true}", "CLOSED", 1);
    free (id);
}

static void
test_auth_on_the_spot_handling_is_confirmed_by_the_grid_leader_not_the_worker (void **state)
{
    //  GW-0002, a grid worker of SJ-01-01, reported it handled on the spot.
    char *id = s_self_handled ();
    s_no ("confirm", id, "SJ-01-01", "{\"actor\": {\"unit\": \"SJ-01-01\"}}", GL_FORBIDDEN,
          "grid_leader|GW-0001");
    s_no ("confirm", id, "SJ-01-01", "{\"actor\": {\"unit\": \"SJ-01-01\", \"person\": "
          "\"GW-0002\"}}", GL_FORBIDDEN, "grid_leader|GW-0002");
    //  A leader of another grid is not this grid's leader.
    s_no ("confirm", id, "SJ-01-01", "{\"actor\": {\"unit\": \"SJ-01-01\", \"person\": "
          "\"GW-0007\"}}", GL_FORBIDDEN, "GW-0007");
    s_ok ("confirm", id, "SJ-01-01", S_GRID_LEADER, "CLOSED", 0);
    free (id);
}

static void
test_auth_supervise_instruct_urgent_only_from_a_higher_tier_or_the_event_centres (void **state)
{
    //  Held by the board SJ-B4: its street's centre and the county tier are above it.
    char *id = s_in_progress ();
    s_ok ("supervise", id, "SJ-C", "{\"level\": \"yellow\"}", "IN_PROGRESS", 1);
    s_ok ("supervise", id, "CTY-C", "{\"level\": \"red\"}", "IN_PROGRESS", 1);
    s_ok ("supervise", id, "D-POLICE", "{\"level\": \"normal\"}", "IN_PROGRESS", 1);
    s_ok ("instruct", id, "SJ-C", "{\"text\": \"请尽快办结\"}", "IN_PROGRESS", 1);
    s_ok ("urgent", id, "SJ-C", "{\"reason\": \"领导关注\"}", "IN_PROGRESS", 1);
    //  A grid, a community, a board of the same tier, another street's centre: not above it.
    s_no ("supervise", id, "SJ-01-01", "{\"level\": \"red\"}", GL_FORBIDDEN, "SJ-B4|SJ-01-01");
    s_no ("supervise", id, "QL-C", "{\"level\": \"red\"}", GL_FORBIDDEN, "SJ-B4|QL-C");
    s_no ("supervise", id, "SJ-B2", "{\"level\": \"red\"}", GL_FORBIDDEN, "SJ-B4|SJ-B2");
    s_no ("instruct", id, "SJ-01", "{\"text\": \"x\"}", GL_FORBIDDEN, "SJ-B4|SJ-01");
    s_no ("instruct", id, "QL-C", "{\"text\": \"x\"}", GL_FORBIDDEN, "QL-C");
    s_no ("urgent", id, "SJ-B4", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-B4");
    s_no ("urgent", id, "SJ-01-01", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-01-01");
    //  Held by the street centre itself (the skip rule): only the county tier is above it.
    char *fire = s_staff ("10.05", "SJ-01-01");
    s_expect (fire, "DISPATCHED", "SJ-C", 1);
    s_no ("supervise", fire, "SJ-C", "{\"level\": \"red\"}", GL_FORBIDDEN, "SJ-C");
    s_no ("urgent", fire, "SJ-B4", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-C|SJ-B4");
    s_ok ("supervise", fire, "CTY-C", "{\"level\": \"red\"}", "DISPATCHED", 1);
    //  Held by a community: its street's centre and boards are above it, another street's
    //  are not, and neither is a grid or the community itself.
    char *consult = s_staff ("05.01", "SJ-01-01");
    s_expect (consult, "DISPATCHED", "SJ-01", 1);
    s_ok ("supervise", consult, "SJ-C", "{\"level\": \"normal\"}", "DISPATCHED", 1);
    s_ok ("instruct", consult, "SJ-B3", "{\"text\": \"请尽快召开议事会\"}", "DISPATCHED", 1);
    s_ok ("urgent", consult, "SJ-C", "{\"reason\": \"临近检查\"}", "DISPATCHED", 1);
    s_no ("supervise", consult, "QL-C", "{\"level\": \"red\"}", GL_FORBIDDEN, "SJ-01|QL-C");
    s_no ("instruct", consult, "QL-B3", "{\"text\": \"x\"}", GL_FORBIDDEN, "QL-B3");
    s_no ("urgent", consult, "SJ-01-01", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-01-01");
    s_no ("urgent", consult, "SJ-01", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-01");
    free (id);
    free (fire);
    free (consult);
}

static void
test_auth_suspend_and_resume_only_by_the_street_or_county_centre (void **state)
{
    char *id = s_in_progress ();
    s_no ("suspend", id, "SJ-B4", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-B4");
    s_no ("suspend", id, "SJ-01", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-01");
    s_no ("suspend", id, "QL-C", "{\"reason\": \"x\"}", GL_FORBIDDEN, "QL-C");
    s_ok ("suspend", id, "SJ-C", "{\"reason\": \"需县级协调\"}", "SUSPENDED", 1);
    s_no ("resume", id, "SJ-B4", NULL, GL_FORBIDDEN, "SJ-B4");
    s_no ("resume", id, "SJ-01", NULL, GL_FORBIDDEN, "SJ-01");
    s_ok ("resume", id, "CTY-C", NULL, "IN_PROGRESS", 1);
    s_ok ("suspend", id, "CTY-C", "{\"reason\": \"县级挂账\"}", "SUSPENDED", 1);
    s_ok ("resume", id, "SJ-C", NULL, "IN_PROGRESS", 1);
    free (id);
}

static void
test_auth_feedback_only_by_the_community_or_street_centre (void **state)
{
    char *id = s_feedback ();
    s_no ("feedback", id, "SJ-01-01", "{\"rating\": \"satisfied\"}", GL_FORBIDDEN, "SJ-01-01");
    s_no ("feedback", id, "SJ-B4", "{\"rating\": \"satisfied\"}", GL_FORBIDDEN, "SJ-B4");
    s_no ("feedback", id, "SJ-02", "{\"rating\": \"satisfied\"}", GL_FORBIDDEN, "SJ-02");
    s_ok ("feedback", id, "SJ-01", "{\"rating\": \"satisfied\"}", "CLOSED", 1);
    free (id);
}

static void
test_auth_admission_refuses_negative_list_work_for_communities_and_grids (void **state)
{
    //  05.05 私搭乱建 (major, to SJ-B4) is on the negative list for communities and grids:
    //  item A-038, 城市管理行政执法.
    char *id = s_staff ("05.05", "SJ-01-01");
    s_expect (id, "DISPATCHED", "SJ-B4", 1);
    s_ok ("return", id, "SJ-B4", "{\"reason\": \"请指挥中心另行派单\"}", "FILED", 1);
    s_no ("dispatch", id, "SJ-C", "{\"unit\": \"SJ-01\"}", GL_FORBIDDEN,
          "05.05|SJ-01|on the negative list|城市管理行政执法");
    s_no ("dispatch", id, "SJ-C", "{\"unit\": \"SJ-01-01\"}", GL_FORBIDDEN,
          "05.05|SJ-01-01|on the negative list");
    //  To the department that owns the work, it goes.
    s_ok ("dispatch", id, "SJ-C", "{\"unit\": \"D-URBAN\"}", "DISPATCHED", 2);
    //  Assignments are checked the same way.
    char *assigned = s_staff ("05.05", "SJ-01-01");
    s_no ("assign", assigned, "SJ-B4", "{\"unit\": \"SJ-01\", \"reason\": \"x\"}",
          GL_FORBIDDEN, "on the negative list");
    //  A category admitted for communities only is refused for grids.
    char *wages = s_staff ("01.05", "SJ-01-01");
    s_ok ("assign", wages, "SJ-B4", "{\"unit\": \"SJ-01\", \"reason\": \"协助收集欠薪线索\"}",
          "DISPATCHED", 2);
    s_no ("assign", wages, "SJ-01", "{\"unit\": \"SJ-01-01\", \"reason\": \"x\"}",
          GL_FORBIDDEN, "SJ-01-01|A-008");
    free (id);
    free (assigned);
    free (wages);
}

static void
test_auth_admission_refusal_is_a_whole_sentence_within_the_limit (void **state)
{
    //  03.02 安全生产隐患 (to SJ-B4): item A-039's legal basis alone is 321 bytes, more than a
    //  refusal may hold. The quoted basis is shortened, the sentence still closes.
    char *id = s_staff ("03.02", "SJ-01-01");
    s_expect (id, "DISPATCHED", "SJ-B4", 1);
    gl_code_t code;
    char message [1024];
    json_decref (s_command ("assign", id, "SJ-B4", "{\"unit\": \"SJ-01\", \"reason\": \"x\"}",
                            NULL, &code, message, sizeof message));
    assert_int_equal (code, GL_FORBIDDEN);
    //  The whole item name, then the basis shortened with an ellipsis, then the closing ')'.
    assert_non_null (strstr (message, "on the negative list: 安全生产行政执法（生产经营单位的监督"
                                      "检查和处罚） (安全生产监督检查"));
    size_t len = strlen (message);
    assert_true (len < sizeof ((gl_err_t *) 0)->message);
    assert_true (len > 4 && streq (message + len - 4, "…)"));
    free (id);
}

static void
test_auth_a_community_gives_work_only_to_its_own_grids (void **state)
{
    char *id = s_filed ();
    s_no ("dispatch", id, "SJ-01", "{\"unit\": \"SJ-02-01\"}", GL_FORBIDDEN,
          "SJ-01|SJ-02-01|own grids");
    //  Nor to any unit that is not one of its grids: another community, a board, a department.
    s_no ("dispatch", id, "SJ-01", "{\"unit\": \"SJ-02\"}", GL_FORBIDDEN, "SJ-02|own grids");
    s_no ("dispatch", id, "SJ-01", "{\"unit\": \"SJ-B4\"}", GL_FORBIDDEN, "SJ-B4|own grids");
    s_no ("dispatch", id, "SJ-01", "{\"unit\": \"D-FIRE\"}", GL_FORBIDDEN, "D-FIRE|own grids");
    //  Another community cannot dispatch this community's event at all.
    s_no ("dispatch", id, "SJ-02", "{\"unit\": \"SJ-02-01\"}", GL_FORBIDDEN, "SJ-02");
    s_ok ("dispatch", id, "SJ-01", "{\"unit\": \"SJ-01-03\"}", "DISPATCHED", 1);
    s_expect (id, "DISPATCHED", "SJ-01-03", 1);
    free (id);
}

//  ---------------------------------------------------------------------------------------------
//  四调: referral to the mediation channels.

static void
test_mediation_refer_hand_over_between_channels_and_settle_makes_it_handled (void **state)
{
    //  01.05 劳资纠纷（欠薪）: major, a dispute; routed to SJ-B4.
    char *id = s_staff ("01.05", "SJ-01-01");
    s_expect (id, "DISPATCHED", "SJ-B4", 1);
    s_no ("refer", id, "SJ-B3", "{\"channel\": \"court\", \"reason\": \"x\"}", GL_FORBIDDEN,
          "SJ-B3|the board or mediation channel holding it");
    s_ok ("refer", id, "SJ-C", "{\"channel\": \"court\", \"reason\": \"欠薪纠纷，诉前调解\"}",
          "DISPATCHED", 2);
    s_expect (id, "DISPATCHED", "M-COURT", 2);
    s_ok ("sign", id, "M-COURT", NULL, "IN_PROGRESS", 2);
    //  The court's channel hands it over to the police channel.
    s_ok ("refer", id, "M-COURT", "{\"channel\": \"police\", \"reason\": \"涉及治安，转警调\"}",
          "DISPATCHED", 3);
    s_expect (id, "DISPATCHED", "M-POLICE", 3);
    s_no ("refer", id, "M-COURT", "{\"channel\": \"court\", \"reason\": \"x\"}", GL_FORBIDDEN,
          "M-COURT");
    s_conflict ("mediate", id, "M-POLICE", "{\"mediator\": \"冯思娟\", \"sessions\": 1, "
                "\"outcome\": \"settled\"}", "DISPATCHED");
    s_ok ("sign", id, "M-POLICE", NULL, "IN_PROGRESS", 3);
    s_ok ("mediate", id, "M-POLICE", "{\"mediator\": \"冯思娟\", \"sessions\": 2, "
          "\"agreement\": \"用工方三日内结清工资\", \"outcome\": \"settled\"}", "HANDLED", 3);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (s_step (answer, 2), "kind"), "refer");
    assert_string_equal (s_str (s_step (answer, 2), "unit"), "M-COURT");
    assert_string_equal (s_str (s_step (answer, 2), "from"), "SJ-C");
    assert_string_equal (s_str (s_step (answer, 3), "unit"), "M-POLICE");
    assert_string_equal (s_str (s_step (answer, 3), "from"), "M-COURT");
    assert_string_equal (s_str (s_step (answer, 3), "outcome"), "settled");
    json_decref (answer);
    json_t *messages = s_history (id, 8);
    assert_string_equal (s_topics (messages), "dispatcher.event.filed.SJ-C "
                         "dispatcher.event.dispatched.SJ-B4 dispatcher.event.referred.M-COURT "
                         "dispatcher.event.signed.M-COURT dispatcher.event.referred.M-POLICE "
                         "dispatcher.event.signed.M-POLICE dispatcher.event.mediated.M-POLICE");
    json_t *body = s_body (messages, "dispatcher.event.mediated");
    assert_string_equal (s_str (body, "outcome"), "settled");
    assert_int_equal (s_int (body, "sessions"), 2);
    json_decref (messages);
    //  The record is on the event, and `gridloop event` shows it.
    answer = s_get (id);
    assert_int_equal (s_int (S_EV (answer), "mediations"), 1);
    assert_string_equal (s_str (S_EV (answer), "mediator"), "冯思娟");
    json_decref (answer);
    char out [8192];
    assert_int_equal (s_cli (s_fmt ("event %s", id), out, sizeof out), 0);
    const char *shown [] = { "mediation_channel M-POLICE", "mediator 冯思娟",
                             "mediation_sessions 2", "mediation_outcome settled",
                             "agreement 用工方三日内结清工资", "mediations 1" };
    for (size_t i = 0; i < sizeof shown / sizeof shown [0]; i++)
        if (!strstr (out, shown [i]))
            fail_msg ("gridloop event does not show \"%s\":\n%s", shown [i], out);
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}", "CLOSED", 3);
    free (id);
}

static void
test_mediation_the_board_holding_a_dispute_refers_it_and_gets_it_back_if_it_fails (
    void **state)
{
    char *id = s_staff ("01.05", "SJ-01-01");
    s_ok ("sign", id, "SJ-B4", NULL, "IN_PROGRESS", 1);
    s_ok ("refer", id, "SJ-B4", "{\"channel\": \"police\", \"reason\": \"涉治安，转警调\"}",
          "DISPATCHED", 2);
    s_ok ("sign", id, "M-POLICE", NULL, "IN_PROGRESS", 2);
    s_ok ("mediate", id, "M-POLICE", "{\"mediator\": \"冯思娟\", \"sessions\": 1, "
          "\"outcome\": \"failed\"}", "FILED", 3);
    s_expect (id, "FILED", "SJ-B4", 3);
    free (id);
}

static void
test_mediation_failed_goes_back_filed_to_the_referring_centre (void **state)
{
    char *id = s_staff ("01.05", "SJ-01-01");
    s_ok ("sign", id, "SJ-B4", NULL, "IN_PROGRESS", 1);
    s_ok ("refer", id, "SJ-C", "{\"channel\": \"petitions\", \"reason\": \"多次信访\"}",
          "DISPATCHED", 2);
    s_ok ("refer", id, "M-PETITION", "{\"channel\": \"court\", \"reason\": \"转诉调\"}",
          "DISPATCHED", 3);
    s_ok ("sign", id, "M-COURT", NULL, "IN_PROGRESS", 3);
    s_no ("mediate", id, "M-PETITION", "{\"mediator\": \"x\", \"sessions\": 1, "
          "\"outcome\": \"failed\"}", GL_FORBIDDEN, "M-PETITION");
    s_ok ("mediate", id, "M-COURT", "{\"mediator\": \"杨清渝\", \"sessions\": 3, "
          "\"outcome\": \"failed\"}", "FILED", 4);
    //  Back with the centre that first referred it, not with the channel that handed it over,
    //  in a step of its own: the event reads FILED at SJ-C, come back from M-COURT.
    s_expect (id, "FILED", "SJ-C", 4);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (s_step (answer, 3), "outcome"), "failed");
    assert_string_equal (s_str (s_step (answer, 3), "mediator"), "杨清渝");
    assert_true (s_int (s_step (answer, 3), "left_at") > 0);
    json_t *back = s_step (answer, 4);
    assert_string_equal (s_str (back, "unit"), "SJ-C");
    assert_string_equal (s_str (back, "kind"), "mediation_failed");
    assert_string_equal (s_str (back, "from"), "M-COURT");
    assert_string_equal (s_str (S_EV (answer), "dispatcher"), "SJ-C");
    assert_string_equal (s_str (S_EV (answer), "mediation_outcome"), "failed");
    json_decref (answer);
    char out [8192];
    assert_int_equal (s_cli (s_fmt ("event %s", id), out, sizeof out), 0);
    if (!strstr (out, "FILED  step 4 at SJ-C (to dispatch; step began by mediation_failed)")
    ||  strstr (out, "dispatched by M-COURT"))
        fail_msg ("gridloop event reads oddly after a failed mediation:\n%s", out);
    //  The centre decides what comes next.
    s_ok ("dispatch", id, "SJ-C", "{\"unit\": \"D-HRSS\", \"reason\": \"劳动监察介入\"}",
          "DISPATCHED", 5);
    //  Mediation is only at a mediation unit.
    char *board = s_staff ("01.05", "SJ-01-01");
    s_ok ("sign", board, "SJ-B4", NULL, "IN_PROGRESS", 1);
    s_no ("mediate", board, "SJ-B4", "{\"mediator\": \"x\", \"sessions\": 1, "
          "\"outcome\": \"settled\"}", GL_CONFLICT, "not with a mediation channel");
    free (id);
    free (board);
}

//  People and roles (岗位权限): the acting person is on the acting unit's staff in a role the
//  county's rules (org.json "actions") allow for the operation; refusals name the roles.

//  The first person of unit's staff in role, from the county's staff list.
static const char *
s_person_of (const char *unit, gl_role_t role)
{
    size_t count;
    const gl_person_t *const *staff = gl_org_people (s_org, unit, &count);
    for (size_t i = 0; i < count; i++)
        if (staff [i]->role == role)
            return staff [i]->id;
    fail_msg ("%s has no %s on its staff", unit, gl_role_name (role));
    return NULL;
}

static void
test_roles_a_board_signs_through_its_a_or_b_post_and_refusals_name_the_roles (void **state)
{
    char *id = s_dispatched ();
    const char *lead = s_person_of ("SJ-B4", GL_ROLE_BOARD_LEAD);
    const char *staff = s_person_of ("SJ-B4", GL_ROLE_BOARD_STAFF);
    s_no ("sign", id, "SJ-B4", "{\"actor\": {\"unit\": \"SJ-B4\"}}", GL_FORBIDDEN,
          s_fmt ("board_lead or board_staff|%s|no actor.person", lead));
    s_no ("sign", id, "SJ-B4", "{\"actor\": {\"unit\": \"SJ-B4\", \"person\": \"ST-9999\"}}",
          GL_FORBIDDEN, "ST-9999 is not on the staff list");
    //  Someone of another unit does not sign for this one.
    s_no ("sign", id, "SJ-B4", "{\"actor\": {\"unit\": \"SJ-B4\", \"person\": \"GW-0001\"}}",
          GL_FORBIDDEN, "GW-0001 is a grid_leader of SJ-01-01");
    s_ok ("sign", id, "SJ-B4", s_fmt ("{\"actor\": {\"unit\": \"SJ-B4\", \"person\": \"%s\"}}",
                                      staff), "IN_PROGRESS", 1);
    //  The dispatching centre decides an extension through its commander or duty officer.
    s_ok ("extend", id, "SJ-B4", "{\"days\": 3, \"reason\": \"等待配件\"}", "IN_PROGRESS", 1);
    s_no ("decide_extension", id, "SJ-C", "{\"approve\": true, \"actor\": {\"unit\": "
          "\"SJ-C\", \"person\": \"GW-0002\"}}", GL_FORBIDDEN, "commander or duty_officer");
    s_ok ("decide_extension", id, "SJ-C", s_fmt ("{\"approve\": true, \"actor\": {\"unit\": "
          "\"SJ-C\", \"person\": \"%s\"}}", s_person_of ("SJ-C", GL_ROLE_DUTY_OFFICER)),
          "IN_PROGRESS", 1);
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已清理，照片 r.jpg\"}", "HANDLED", 1);
    //  Verification by the reporting grid's staff: not by its helpers (N).
    const char *helper = s_person_of ("SJ-01-01", GL_ROLE_HELPER);
    s_no ("verify", id, "SJ-01-01", s_fmt ("{\"pass\": true, \"actor\": {\"unit\": "
          "\"SJ-01-01\", \"person\": \"%s\"}}", helper), GL_FORBIDDEN,
          s_fmt ("grid_leader or grid_worker or grid_worker_part_time or grid_instructor|%s is "
                 "a helper", helper));
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true, \"actor\": {\"unit\": \"SJ-01-01\", "
          "\"person\": \"GW-0002\"}}", "CLOSED", 1);
    free (id);
}

//  One definition per operation (gl_dispatch_ops.h): describe answers from the table, the CLI
//  lists the same operations, and proto's generated reference is what the table says now.
static void
test_ops_describe_cli_and_proto_reference_come_from_one_table (void **state)
{
    json_t *doc = json_pack ("{s:s}", "op", "describe");
    gl_code_t code;
    json_t *answer = tk_send_json (s_net, "dispatcher", doc, &code, NULL, 0);
    json_decref (doc);
    assert_int_equal (code, GL_OK);
    json_t *ops = json_object_get (answer, "operations");
    assert_int_equal (json_array_size (ops), GL_DOP_COUNT);
    char out [32768];
    assert_int_equal (s_cli ("operations", out, sizeof out), 0);
    for (size_t i = 0; i < json_array_size (ops); i++) {
        json_t *op = json_array_get (ops, i);
        //  Every operation the service describes is served, and the CLI has its verb.
        assert_non_null (strstr (out, s_fmt ("%s ID --as UNIT", s_str (op, "verb"))));
        assert_true (json_array_size (json_object_get (op, "fields")) >= 2);
    }
    json_decref (answer);
    //  One operation's fields, for an integrator: sign's, then refer's channel choices.
    doc = json_pack ("{s:s, s:s}", "op", "describe", "name", "refer");
    answer = tk_send_json (s_net, "dispatcher", doc, &code, NULL, 0);
    json_decref (doc);
    json_t *refer = json_array_get (json_object_get (answer, "operations"), 0);
    assert_string_equal (s_str (refer, "who"), gl_who_text [GL_WHO_REFERRER]);
    json_t *channel = json_array_get (json_object_get (refer, "fields"), 2);
    assert_string_equal (s_str (channel, "key"), "channel");
    assert_true (json_is_true (json_object_get (channel, "required")));
    assert_int_equal (json_array_size (json_object_get (channel, "choices")), 4);
    json_decref (answer);
    doc = json_pack ("{s:s, s:s}", "op", "describe", "name", "nope");
    json_decref (tk_send_json (s_net, "dispatcher", doc, &code, NULL, 0));
    json_decref (doc);
    assert_int_equal (code, GL_NOT_FOUND);
    //  proto/dispatcher.md carries the generated table as the generator writes it now.
    assert_int_equal (s_cli ("operations --markdown", out, sizeof out), 0);
    char path [600];
    snprintf (path, sizeof path, "%s/proto/dispatcher.md", GL_SOURCE_DIR);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    static char proto [262144];
    size_t got = fread (proto, 1, sizeof proto - 1, f);
    proto [got] = 0;
    fclose (f);
    const char *begin = strstr (proto, "<!-- BEGIN generated: gridloop operations --markdown -->\n");
    const char *end = strstr (proto, "<!-- END generated -->");
    assert_non_null (begin);
    assert_non_null (end);
    begin = strchr (begin, '\n') + 1;
    if ((size_t) (end - begin) != strlen (out) || memcmp (begin, out, strlen (out)))
        fail_msg ("proto/dispatcher.md §5.0 is out of date: regenerate it with `gridloop "
                  "operations --markdown` between its markers");
}

//  Residents' feedback: the hotline gives the callback of an event reported through it, and a
//  resident through the hotline gives it for the event they reported.
static void
test_feedback_by_the_hotline_or_the_reporting_resident_through_it (void **state)
{
    char *id = s_feedback ();           //  reported by resident-13800000001 on the hotline
    s_no ("feedback", id, "D-POLICE", "{\"rating\": \"satisfied\"}", GL_FORBIDDEN,
          "SJ-01|D-HOTLINE|D-POLICE");
    s_no ("feedback", id, "D-HOTLINE", "{\"rating\": \"satisfied\", \"actor\": {\"unit\": "
          "\"D-HOTLINE\", \"role\": \"resident\", \"person\": \"resident-13900000009\"}}",
          GL_FORBIDDEN, "resident-13900000009|reported");
    s_ok ("feedback", id, "D-HOTLINE", "{\"rating\": \"satisfied\", \"actor\": {\"unit\": "
          "\"D-HOTLINE\", \"role\": \"resident\", \"person\": \"resident-13800000001\"}}",
          "CLOSED", 1);
    //  The hotline itself, for another caller's event.
    char *other = s_feedback ();
    s_ok ("feedback", other, "D-HOTLINE", "{\"rating\": \"fairly_satisfied\"}", "CLOSED", 1);
    //  Not for work a grid worker reported in the app.
    char *staff = s_staff ("03.01", "SJ-01-01");
    s_ok ("sign", staff, "SJ-B4", NULL, "IN_PROGRESS", 1);
    json_t *answer = s_get (staff);
    assert_string_equal (s_str (S_EV (answer), "channel"), "app");
    json_decref (answer);
    free (staff);
    free (other);
    free (id);
}

//  The log and the CLI say their time zone; every lifecycle action is one info line (defect 14).
static void
test_log_has_one_info_line_per_action_and_log_and_cli_state_their_zone (void **state)
{
    char *id = s_in_progress ();
    char path [600], line [2048];
    snprintf (path, sizeof path, "%s/dispatcher.log", s_net->dir);
    bool started = false, signed_line = false;
    const char *want = s_fmt ("signed event %s: now IN_PROGRESS, step 1 at SJ-B4 (", id);
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (!signed_line && zclock_mono () < end) {
        FILE *f = fopen (path, "r");
        assert_non_null (f);
        while (fgets (line, sizeof line, f)) {
            if (strstr (line, "log times are host time UTC")
            &&  strstr (line, "event times county time UTC+08:00"))
                started = true;
            if (strstr (line, want) && strstr (line, "+08:00)") && strncmp (line, "I:", 2) == 0
            &&  strstr (line, "dispatcher: SJ-B4 person "))
                signed_line = true;
        }
        fclose (f);
        if (!signed_line)
            zclock_sleep (20);          //  another process writes it: poll
    }
    assert_true (started);
    if (!signed_line)
        fail_msg ("the dispatcher's log has no info line \"%s…+08:00)\"", want);
    char out [8192];
    assert_int_equal (s_cli (s_fmt ("event %s", id), out, sizeof out), 0);
    if (!strstr (out, " +08:00"))
        fail_msg ("gridloop event shows times without their zone:\n%s", out);
    free (id);
}

//  改派 / 重新分流, and the 私事 reopened for mediation (issue 9, defect 10).

static void
test_retriage_by_community_or_centre_records_why_on_the_steps_and_routes_again (void **state)
{
    //  03.01 消防安全隐患: major, P2, board safety: SJ-B4.
    char *id = s_dispatched ();
    s_no ("retriage", id, "SJ-B4", "{\"board\": \"livelihood\", \"reason\": \"x\"}",
          GL_FORBIDDEN, "community|SJ-B4");
    s_no ("retriage", id, "SJ-01", "{\"reason\": \"x\"}", GL_INVALID, "changes nothing");
    s_no ("retriage", id, "SJ-01", "{\"category\": \"77.77\", \"reason\": \"x\"}",
          GL_INVALID, "77.77|category list");
    s_no ("retriage", id, "SJ-01", "{\"board\": \"livelihood\"}", GL_INVALID, "reason");
    s_no ("retriage", id, "SJ-01", "{\"board\": \"kitchen\", \"reason\": \"x\"}",
          GL_INVALID, "board");
    //  The community moves it to another board: it takes it back, and routing sends it on.
    s_ok ("retriage", id, "SJ-01", "{\"board\": \"livelihood\", "
          "\"reason\": \"楼道杂物属物业管理，归民生服务\"}", "DISPATCHED", 3);
    s_expect (id, "DISPATCHED", "SJ-B3", 3);
    json_t *answer = s_get (id);
    assert_string_equal (s_str (s_step (answer, 1), "outcome"), "retriaged");
    assert_true (s_int (s_step (answer, 1), "left_at") > 0);
    json_t *step = s_step (answer, 2);
    assert_string_equal (s_str (step, "unit"), "SJ-01");
    assert_string_equal (s_str (step, "kind"), "retriage");
    assert_string_equal (s_str (step, "reason"), "楼道杂物属物业管理，归民生服务");
    assert_string_equal (s_str (step, "was"), "03.01 major P2 safety");
    assert_string_equal (s_str (step, "board"), "livelihood");
    assert_string_equal (s_str (s_step (answer, 3), "unit"), "SJ-B3");
    json_decref (answer);
    //  The street centre files it as a neighbours' dispute, a 私事: closed with that
    //  category's advice.
    s_ok ("sign", id, "SJ-B3", NULL, "IN_PROGRESS", 3);
    s_ok ("retriage", id, "SJ-C", "{\"category\": \"01.02\", \"sanshi\": \"private\", "
          "\"reason\": \"实为邻里堆物纠纷\"}", "CLOSED", 4);
    answer = s_get (id);
    json_t *ev = S_EV (answer);
    assert_string_equal (s_str (ev, "category"), "01.02");
    assert_true (strstr (s_str (ev, "advice"), "邻里纠纷") != NULL);
    assert_true (s_int (s_step (answer, 4), "left_at") > 0);
    assert_string_equal (s_str (s_step (answer, 4), "kind"), "retriage");
    json_decref (answer);
    s_conflict ("retriage", id, "SJ-C", "{\"sanshi\": \"major\", \"reason\": \"x\"}",
                "CLOSED");
    json_t *messages = s_history (id, 8);
    const char *topics = s_topics (messages);
    assert_non_null (strstr (topics, "dispatcher.event.retriaged.SJ-01 "
                                     "dispatcher.event.dispatched.SJ-B3"));
    assert_non_null (strstr (topics, "dispatcher.event.retriaged.SJ-C "
                                     "dispatcher.event.closed.SJ-C"));
    json_decref (messages);
    free (id);
}

static void
test_private_closed_with_advice_is_reopened_then_referred_to_mediation (void **state)
{
    //  01.02 邻里纠纷: private, closed with the category's own advice.
    char *id = s_staff ("01.02", "SJ-01-01");
    s_expect (id, "CLOSED", NULL, 0);
    json_t *answer = s_get (id);
    assert_true (strstr (s_str (S_EV (answer), "advice"), "邻里纠纷属私事") != NULL);
    json_decref (answer);
    s_no ("reopen", id, "SJ-B4", "{\"reason\": \"x\"}", GL_FORBIDDEN, "SJ-B4");
    s_no ("reopen", id, "SJ-01", NULL, GL_INVALID, "reason");
    s_ok ("reopen", id, "SJ-01", "{\"reason\": \"双方自行协商未果，申请调解\"}", "FILED", 1);
    s_expect (id, "FILED", "SJ-01", 1);
    s_ok ("refer", id, "SJ-C", "{\"channel\": \"court\", \"reason\": \"诉前调解\"}",
          "DISPATCHED", 2);
    s_expect (id, "DISPATCHED", "M-COURT", 2);
    answer = s_get (id);
    assert_string_equal (s_str (s_step (answer, 1), "kind"), "reopen");
    assert_string_equal (s_str (s_step (answer, 1), "reason"), "双方自行协商未果，申请调解");
    json_decref (answer);
    //  Work closed by its handling is not reopened.
    char *handled = s_closed ();
    s_no ("reopen", handled, "SJ-01", "{\"reason\": \"x\"}", GL_CONFLICT, "私事");
    free (handled);
    free (id);
}

//  Past dispatcher/reopen_days a closed 私事 stays closed: a county that sets 0 never reopens.
static void
test_reopen_is_refused_past_the_configured_window (void **state)
{
    tk_net_t *mine = s_net;
    s_net = tk_net_new (S_PORTS + 50, "dispatcher\n    reopen_days = 0\n");
    tk_start (s_net, "bus");
    tk_start (s_net, "intake");
    tk_start (s_net, "dispatcher");
    char *id = s_staff ("01.02", "SJ-01-01");
    s_expect (id, "CLOSED", NULL, 0);
    zclock_sleep (2);                   //  the window is 0 days: any time after the closing
    s_no ("reopen", id, "SJ-01", "{\"reason\": \"协商未果\"}", GL_CONFLICT,
          "more than 0 days ago|dispatcher/reopen_days|+08:00");
    free (id);
    tk_net_destroy (&s_net);
    s_net = mine;
}

static void
test_mediation_refer_of_a_non_dispute_is_conflict (void **state)
{
    char *id = s_dispatched ();         //  03.01 消防安全隐患: not a dispute
    s_no ("refer", id, "SJ-C", "{\"channel\": \"court\", \"reason\": \"x\"}", GL_CONFLICT,
          "03.01|is not a dispute");
    s_no ("refer", id, "SJ-C", "{\"channel\": \"army\", \"reason\": \"x\"}", GL_INVALID,
          "'channel'");
    char *handled = s_staff ("01.05", "SJ-01-01");
    s_ok ("sign", handled, "SJ-B4", NULL, "IN_PROGRESS", 1);
    s_ok ("handle", handled, "SJ-B4", "{\"evidence\": \"已结清\"}", "HANDLED", 1);
    s_conflict ("refer", handled, "SJ-C", "{\"channel\": \"court\", \"reason\": \"x\"}",
                "HANDLED");
    free (id);
    free (handled);
}

//  ---------------------------------------------------------------------------------------------
//  Queues.

//  A queue page: the ids (space-separated) and the next cursor ("" for nil).
static void
s_queue (const char *unit, const char *filter, int limit, const char *after, char *ids,
         size_t size, char *next, size_t next_size)
{
    json_t *doc = json_pack ("{s:s, s:s}", "op", "queue", "unit", unit);
    if (filter)
        json_object_set_new (doc, "state", json_string (filter));
    if (limit)
        json_object_set_new (doc, "limit", json_integer (limit));
    if (after)
        json_object_set_new (doc, "after", json_string (after));
    gl_code_t code;
    char message [512];
    json_t *answer = tk_send_json (s_net, "dispatcher", doc, &code, message, sizeof message);
    json_decref (doc);
    if (code != GL_OK)
        fail_msg ("queue %s refused: %s", unit, message);
    assert_string_equal (s_str (answer, "unit"), unit);
    json_t *events = json_object_get (answer, "events");
    ids [0] = 0;
    for (size_t i = 0; i < json_array_size (events); i++)
        snprintf (ids + strlen (ids), size - strlen (ids), "%s%s", i? " ": "",
                  s_str (json_array_get (events, i), "id"));
    json_t *n = json_object_get (answer, "next");
    assert_true (n && (json_is_null (n) || json_is_string (n)));
    snprintf (next, next_size, "%s", json_is_string (n)? json_string_value (n): "");
    json_decref (answer);
}

static void
test_queue_lists_a_unit_open_work_with_state_filters_and_paging (void **state)
{
    //  Only this test works in 盘龙街道: PL-B4's queue holds exactly these events.
    char *e [5];
    for (int i = 0; i < 5; i++) {
        e [i] = s_report ("03.01", "PL-01-01", "grid_worker", "GW-1151", false);
        s_expect (e [i], "DISPATCHED", "PL-B4", 1);
    }
    s_ok ("sign", e [1], "PL-B4", NULL, "IN_PROGRESS", 1);
    s_ok ("sign", e [3], "PL-B4", NULL, "IN_PROGRESS", 1);
    s_ok ("sign", e [4], "PL-B4", NULL, "IN_PROGRESS", 1);
    s_ok ("handle", e [4], "PL-B4", "{\"evidence\": \"已处置\"}", "HANDLED", 1);
    char ids [1024], next [128];
    s_queue ("PL-B4", NULL, 0, NULL, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, s_fmt ("%s %s %s %s %s", e [0], e [1], e [2], e [3], e [4]));
    assert_string_equal (next, "");
    s_queue ("PL-B4", "to_sign", 0, NULL, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, s_fmt ("%s %s", e [0], e [2]));
    //  Each entry: the event's state, category, priority, step and last change.
    json_t *doc = json_pack ("{s:s, s:s, s:s}", "op", "queue", "unit", "PL-B4", "state",
                             "in_progress");
    gl_code_t code;
    json_t *answer = tk_send_json (s_net, "dispatcher", doc, &code, NULL, 0);
    json_decref (doc);
    assert_int_equal (code, GL_OK);
    json_t *events = json_object_get (answer, "events");
    assert_int_equal (json_array_size (events), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *entry = json_array_get (events, i);
        json_t *held = s_get (s_str (entry, "id"));
        assert_string_equal (s_str (entry, "state"), "IN_PROGRESS");
        assert_string_equal (s_str (entry, "category"), "03.01");
        assert_string_equal (s_str (entry, "priority"), "P2");
        assert_int_equal (s_int (entry, "step"), 1);
        assert_int_equal (s_int (entry, "updated_at"), s_int (S_EV (held), "updated_at"));
        json_decref (held);
    }
    json_decref (answer);
    s_queue ("PL-B4", "in_progress", 0, NULL, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, s_fmt ("%s %s", e [1], e [3]));
    //  Pages of two, oldest first, each continuing after the previous page's next.
    s_queue ("PL-B4", "open", 2, NULL, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, s_fmt ("%s %s", e [0], e [1]));
    assert_string_equal (next, e [1]);
    s_queue ("PL-B4", "open", 2, next, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, s_fmt ("%s %s", e [2], e [3]));
    assert_string_equal (next, e [3]);
    s_queue ("PL-B4", "open", 2, next, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, e [4]);
    assert_string_equal (next, "");
    s_queue ("PL-B4", "to_sign", 1, NULL, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, e [0]);
    assert_string_equal (next, e [0]);
    s_queue ("PL-B4", "to_sign", 1, next, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, e [2]);
    assert_string_equal (next, "");
    //  Work that leaves the unit leaves its queue; returned work waits in the centre's.
    s_ok ("return", e [0], "PL-B4", "{\"reason\": \"非本板块\"}", "FILED", 1);
    s_ok ("verify", e [4], "PL-01-01", "{\"pass\": true}", "CLOSED", 1);
    s_queue ("PL-B4", NULL, 0, NULL, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, s_fmt ("%s %s %s", e [1], e [2], e [3]));
    s_queue ("PL-C", "open", 0, NULL, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, e [0]);
    s_queue ("PL-C", "to_sign", 0, NULL, ids, sizeof ids, next, sizeof next);
    assert_string_equal (ids, "");
    //  The unit is required; the limit is checked.
    doc = json_pack ("{s:s, s:s, s:i}", "op", "queue", "unit", "PL-B4", "limit", 501);
    json_decref (tk_send_json (s_net, "dispatcher", doc, &code, NULL, 0));
    json_decref (doc);
    assert_int_equal (code, GL_INVALID);
    doc = json_pack ("{s:s}", "op", "queue");
    json_decref (tk_send_json (s_net, "dispatcher", doc, &code, NULL, 0));
    json_decref (doc);
    assert_int_equal (code, GL_INVALID);
    for (int i = 0; i < 5; i++)
        free (e [i]);
}

//  ---------------------------------------------------------------------------------------------
//  Retries.

static void
test_cli_event_and_queue_show_the_fields_the_dispatcher_answers_with (void **state)
{
    char *id = s_in_progress ();
    s_ok ("extend", id, "SJ-B4", "{\"days\": 3, \"reason\": \"等待配件\"}", "IN_PROGRESS", 1);
    char out [8192];
    assert_int_equal (s_cli (s_fmt ("event %s", id), out, sizeof out), 0);
    //  The names the dispatcher answers with (proto/dispatcher.md §5.23), each with its value.
    if (!strstr (out, "extension_days 3") || !strstr (out, "reporter_role grid_worker"))
        fail_msg ("gridloop event does not show the pending extension and the reporter's "
                  "role:\n%s", out);
    assert_int_equal (s_cli ("queue SJ-B4 --state in_progress --limit 500", out, sizeof out), 0);
    const char *line = strstr (out, id);
    assert_non_null (line);
    if (!strstr (line, "updated 20"))
        fail_msg ("gridloop queue does not show when each event last changed:\n%s", line);
    free (id);
}

static void
test_cli_report_attached_to_an_open_event_says_so (void **state)
{
    const char *report = "report --category 03.01 --grid SJ-01-01 --description 楼道堆放杂物 "
                         "--reporter GW-0002 --role grid_worker --key cli-attach-1";
    char first [4096], second [4096];
    assert_int_equal (s_cli (report, first, sizeof first), 0);
    first [strcspn (first, "\n")] = 0;
    assert_int_equal (strlen (first), 25);          //  a new event: its id alone
    assert_int_equal (s_cli (report, second, sizeof second), 0);
    if (!strstr (second, s_fmt ("attached to open event %s", first)))
        fail_msg ("a report attached to %s reads as:\n%s", first, second);
}

//  A copy of this network's config without the sections named drop (space-separated), with
//  extra appended; returns its path.
static const char *
s_config_variant (const char *drop, const char *extra)
{
    static char path [400];
    snprintf (path, sizeof path, "%s/variant.cfg", s_net->dir);
    FILE *in = fopen (s_net->cfg_path, "r"), *out = fopen (path, "w");
    assert_non_null (in);
    assert_non_null (out);
    char line [1024];
    bool skip = false;
    while (fgets (line, sizeof line, in)) {
        if (line [0] != ' ' && line [0] != '\n' && line [0] != '#') {
            char name [64];
            snprintf (name, sizeof name, " %.*s ", (int) strcspn (line, " \n"), line);
            char drops [256];
            snprintf (drops, sizeof drops, " %s ", drop);
            skip = strstr (drops, name) != NULL;
        }
        if (!skip)
            fputs (line, out);
    }
    fputs (extra, out);
    fclose (in);
    fclose (out);
    return path;
}

static void
test_cli_status_tells_not_built_and_not_configured_from_down (void **state)
{
    //  This network runs no escalation and no metrics (their sections are left out): neither
    //  is a failure.
    char out [4096];
    int status = s_cli_with (s_config_variant ("escalation metrics", ""), "status", out,
                             sizeof out);
    if (status != 0 || !strstr (out, "escalation  not configured")
    ||  !strstr (out, "metrics     not configured") || !strstr (out, "dispatcher  up"))
        fail_msg ("status of a healthy network exited %d:\n%s", status, out);
    //  A CLI with no service programs beside it nor on its PATH: every process is not built.
    char cmd [2400];
    snprintf (cmd, sizeof cmd, "cp %s/gridloop %s/gridloop-alone && cd / && env PATH=/usr/bin:/bin "
              "%s/gridloop-alone --config %s status 2>&1", s_net->bin_dir, s_net->dir,
              s_net->dir, s_net->cfg_path);
    FILE *p = popen (cmd, "r");
    assert_non_null (p);
    out [fread (out, 1, sizeof out - 1, p)] = 0;
    status = pclose (p);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || !strstr (out, "metrics     not built")
    ||  !strstr (out, "bus         not built"))
        fail_msg ("status without the service programs exited %d:\n%s", status, out);
    //  A service with no section in the config is not configured, not down.
    status = s_cli_with (s_config_variant ("archive escalation metrics", ""), "status", out,
                         sizeof out);
    if (status != 0 || !strstr (out, "archive     not configured"))
        fail_msg ("status without an archive section exited %d:\n%s", status, out);
    //  A configured, built service that does not answer is DOWN, and status fails.
    status = s_cli_with (s_config_variant ("escalation metrics",
                                           s_fmt ("archive\n    endpoint = \"tcp://127.0.0.1:%d\"\n",
                                                  S_PORTS + 99)),
                         "status", out, sizeof out);
    if (status != 1 || !strstr (out, "archive     DOWN"))
        fail_msg ("status with the archive unreachable exited %d:\n%s", status, out);
}

static void
test_retry_of_a_lifecycle_command_returns_the_first_answer_and_publishes_nothing (void **state)
{
    char *id = s_dispatched ();
    gl_code_t code;
    json_t *first = s_command ("sign", id, "SJ-B4", NULL, "dispatcher-retry-sign", &code,
                               NULL, 0);
    assert_int_equal (code, GL_OK);
    int64_t last = s_last_seq ();
    json_t *again = s_command ("sign", id, "SJ-B4", NULL, "dispatcher-retry-sign", &code,
                               NULL, 0);
    assert_int_equal (code, GL_OK);
    assert_true (json_equal (first, again));
    assert_int_equal (s_last_seq (), last);
    json_decref (again);
    //  Even after the event moved on, the retry gets the first answer and changes nothing.
    s_ok ("handle", id, "SJ-B4", "{\"evidence\": \"已处置\"}", "HANDLED", 1);
    last = s_last_seq ();
    again = s_command ("sign", id, "SJ-B4", NULL, "dispatcher-retry-sign", &code, NULL, 0);
    assert_int_equal (code, GL_OK);
    assert_true (json_equal (first, again));
    assert_string_equal (s_str (again, "state"), "IN_PROGRESS");
    assert_int_equal (s_last_seq (), last);
    s_expect (id, "HANDLED", "SJ-B4", 1);
    json_t *messages = s_history (id, 5);
    assert_string_equal (s_topics (messages), "dispatcher.event.filed.SJ-C "
                         "dispatcher.event.dispatched.SJ-B4 dispatcher.event.signed.SJ-B4 "
                         "dispatcher.event.handled.SJ-B4");
    json_decref (messages);
    json_decref (first);
    json_decref (again);
    free (id);
}

//  ---------------------------------------------------------------------------------------------
//  One event's whole life, and its history in the archive.

static void
test_end_to_end_report_to_close_with_every_step_in_the_archive_in_order (void **state)
{
    //  The worked example of proto/dispatcher.md §10: a resident's call about a missing
    //  manhole cover in SJ-01-02, 05.06 公用设施损坏 (major, P2, street handler SJ-B3).
    char *id = s_resident ("05.06", "SJ-01-02");
    s_expect (id, "REPORTED", "SJ-01", 0);
    s_ok ("accept", id, "SJ-01", NULL, "DISPATCHED", 1);
    s_expect (id, "DISPATCHED", "SJ-B3", 1);
    s_ok ("sign", id, "SJ-B3", NULL, "IN_PROGRESS", 1);
    s_ok ("return", id, "SJ-B3", "{\"reason\": \"井盖属供水企业，不属民生服务板块职责\"}",
          "FILED", 1);
    s_expect (id, "FILED", "SJ-C", 1);
    s_ok ("dispatch", id, "SJ-C", "{\"unit\": \"D-WATERSUPPLY\", \"reason\": \"请供水企业2"
          "小时内到场处置\", \"copy\": [\"D-URBAN\"]}", "DISPATCHED", 2);
    s_ok ("sign", id, "D-WATERSUPPLY", NULL, "IN_PROGRESS", 2);
    s_ok ("handle", id, "D-WATERSUPPLY", "{\"evidence\": \"已安装井盖，照片 0417-1.jpg\", "
          "\"result\": \"已更换井盖\"}", "HANDLED", 2);
    s_ok ("verify", id, "SJ-01-02", "{\"pass\": false, \"reason\": \"井盖翘动，仍有踏空危险\"}",
          "IN_PROGRESS", 2);
    s_ok ("handle", id, "D-WATERSUPPLY", "{\"evidence\": \"更换配套井座，照片 0422-1.jpg\"}",
          "HANDLED", 2);
    s_ok ("verify", id, "SJ-01-02", "{\"pass\": true}", "FEEDBACK", 2);
    s_ok ("feedback", id, "SJ-01", "{\"rating\": \"satisfied\", \"note\": \"井盖已修好\"}",
          "CLOSED", 2);

    json_t *answer = s_get (id);
    json_t *ev = S_EV (answer);
    assert_string_equal (s_str (ev, "state"), "CLOSED");
    assert_string_equal (s_str (ev, "unit"), "D-WATERSUPPLY");
    assert_string_equal (s_str (ev, "dispatcher"), "SJ-C");
    assert_string_equal (s_str (ev, "grid"), "SJ-01-02");
    assert_string_equal (s_str (ev, "reporter_role"), "resident");
    assert_string_equal (s_str (ev, "category"), "05.06");
    assert_string_equal (s_str (ev, "county_handler"), "D-URBAN");
    assert_int_equal (s_int (ev, "returns"), 1);
    assert_int_equal (s_int (ev, "reworks"), 1);
    assert_int_equal (s_int (ev, "rehandles"), 0);
    assert_int_equal (s_int (ev, "wrong_dispatches"), 1);
    assert_int_equal (json_array_size (json_object_get (answer, "steps")), 2);
    json_t *one = s_step (answer, 1), *two = s_step (answer, 2);
    assert_string_equal (s_str (one, "unit"), "SJ-B3");
    assert_string_equal (s_str (one, "kind"), "auto");
    assert_string_equal (s_str (one, "outcome"), "returned");
    assert_true (s_int (one, "signed_at") >= s_int (one, "entered_at"));
    assert_true (s_int (one, "left_at") >= s_int (one, "signed_at"));
    assert_string_equal (s_str (two, "unit"), "D-WATERSUPPLY");
    assert_string_equal (s_str (two, "kind"), "dispatch");
    assert_string_equal (s_str (two, "from"), "SJ-C");
    assert_true (s_int (two, "entered_at") >= s_int (one, "left_at"));
    assert_true (s_int (two, "signed_at") >= s_int (two, "entered_at"));
    json_decref (answer);

    //  The archive holds the report and every step's message, in order.
    json_t *messages = s_history (id, 14);
    assert_int_equal (json_array_size (messages), 14);
    size_t reported = 0;
    for (size_t i = 0; i < json_array_size (messages); i++)
        if (streq (s_str (json_array_get (messages, i), "topic"), "intake.event.reported"))
            reported++;
    assert_int_equal (reported, 1);
    assert_string_equal (s_topics (messages),
        "dispatcher.event.reported.SJ-01 "
        "dispatcher.event.filed.SJ-01 "
        "dispatcher.event.dispatched.SJ-B3 "
        "dispatcher.event.signed.SJ-B3 "
        "dispatcher.event.returned.SJ-C "
        "dispatcher.event.dispatched.D-WATERSUPPLY "
        "dispatcher.event.signed.D-WATERSUPPLY "
        "dispatcher.event.handled.D-WATERSUPPLY "
        "dispatcher.event.verified.D-WATERSUPPLY "
        "dispatcher.event.handled.D-WATERSUPPLY "
        "dispatcher.event.verified.D-WATERSUPPLY "
        "dispatcher.event.feedback.D-WATERSUPPLY "
        "dispatcher.event.closed.D-WATERSUPPLY");
    //  Each message: the event id, the state and step after it, who acted, in seq order.
    static const char *states [] = {
        "REPORTED", "FILED", "DISPATCHED", "IN_PROGRESS", "FILED", "DISPATCHED", "IN_PROGRESS",
        "HANDLED", "IN_PROGRESS", "HANDLED", "FEEDBACK", "CLOSED", "CLOSED"
    };
    static const long long steps [] = { 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2 };
    static const char *actors [] = {
        "auto", "SJ-01", "SJ-01", "SJ-B3", "SJ-B3", "SJ-C", "D-WATERSUPPLY", "D-WATERSUPPLY",
        "SJ-01-02", "D-WATERSUPPLY", "SJ-01-02", "SJ-01", "SJ-01"
    };
    size_t n = 0;
    long long seq = 0;
    for (size_t i = 0; i < json_array_size (messages); i++) {
        json_t *m = json_array_get (messages, i);
        if (strncmp (s_str (m, "topic"), "dispatcher.", 11))
            continue;
        json_t *env = json_object_get (m, "envelope"), *body = json_object_get (env, "body");
        assert_string_equal (s_str (env, "src"), "dispatcher");
        assert_string_equal (s_str (env, "id"), id);
        assert_true (s_int (env, "seq") > seq);
        seq = s_int (env, "seq");
        if (strcmp (s_str (body, "state"), states [n]) || s_int (body, "step") != steps [n]
        ||  strcmp (s_str (json_object_get (body, "actor"), "unit"), actors [n]))
            fail_msg ("message %zu (%s): %s step %lld by %s; expected %s step %lld by %s", n,
                      s_str (m, "topic"), s_str (body, "state"), s_int (body, "step"),
                      s_str (json_object_get (body, "actor"), "unit"), states [n], steps [n],
                      actors [n]);
        n++;
    }
    assert_int_equal (n, 13);
    json_t *redispatch = s_body (messages, "dispatcher.event.dispatched.D-WATERSUPPLY");
    assert_string_equal (json_string_value (json_array_get (json_object_get (redispatch,
                                                                             "copy"), 0)),
                         "D-URBAN");
    json_t *verified = s_body (messages, "dispatcher.event.verified");
    assert_true (json_is_false (json_object_get (verified, "pass")));
    assert_string_equal (s_str (verified, "reason"), "井盖翘动，仍有踏空危险");
    assert_string_equal (s_str (s_body (messages, "dispatcher.event.feedback"), "rating"),
                         "satisfied");
    json_decref (messages);
    free (id);
}

//  One event through every kind of hop, its steps checked against what a person wrote down.
static void
test_walk_one_event_through_every_kind_of_hop_and_read_its_steps_back (void **state)
{
    //  A resident calls the hotline about a crowd dispute brewing (01.12, P1, the centre's).
    char *id = s_report ("01.12", "SJ-01-01", "resident", "resident-13800000001", false);
    s_expect (id, "REPORTED", "SJ-01", 0);
    //  Skip route: accepted, P1 goes straight to the street centre, copying the county.
    s_ok ("accept", id, "SJ-01", NULL, "DISPATCHED", 1);
    //  Dispatch on: the centre holding it gives it to its safety board.
    s_ok ("dispatch", id, "SJ-C", "{\"unit\": \"SJ-B4\", \"reason\": \"平安法治板块先行处置\"}",
          "DISPATCHED", 2);
    //  Assign down: the board hands it to the community.
    s_ok ("sign", id, "SJ-B4", NULL, "IN_PROGRESS", 2);
    s_ok ("assign", id, "SJ-B4", "{\"unit\": \"SJ-01\", \"reason\": \"社区先行劝导\"}",
          "DISPATCHED", 3);
    //  Escalate up two tiers: community → street centre → county centre.
    s_ok ("escalate", id, "SJ-01", "{\"reason\": \"涉及人数多，社区无力化解\"}", "FILED", 4);
    s_ok ("escalate", id, "SJ-C", "{\"reason\": \"需县级统筹\"}", "FILED", 5);
    //  Return: the county centre's choice of department sends it back.
    s_ok ("dispatch", id, "CTY-C", "{\"unit\": \"D-POLLAW\", \"reason\": \"政法委牵头\"}",
          "DISPATCHED", 6);
    s_ok ("return", id, "D-POLLAW", "{\"reason\": \"属劳资纠纷，应由属地板块处置\"}", "FILED",
          6);
    //  Re-dispatch to another unit: counted as a wrong dispatch.
    s_ok ("dispatch", id, "CTY-C", "{\"unit\": \"SJ-B4\", \"reason\": \"退回属地\"}",
          "DISPATCHED", 7);
    //  Re-triage: the street centre files it as wage arrears, P2, and routing sends it on.
    s_ok ("retriage", id, "SJ-C", "{\"category\": \"01.05\", \"priority\": \"P2\", "
          "\"reason\": \"核实为欠薪引发\"}", "DISPATCHED", 9);
    //  Mediation with a hand-over: the board refers it to the court, which hands it to the
    //  police channel, which settles it.
    s_ok ("sign", id, "SJ-B4", NULL, "IN_PROGRESS", 9);
    s_ok ("refer", id, "SJ-B4", "{\"channel\": \"court\", \"reason\": \"诉前调解\"}",
          "DISPATCHED", 10);
    s_ok ("sign", id, "M-COURT", NULL, "IN_PROGRESS", 10);
    s_ok ("refer", id, "M-COURT", "{\"channel\": \"police\", \"reason\": \"涉治安，转警调\"}",
          "DISPATCHED", 11);
    s_ok ("sign", id, "M-POLICE", NULL, "IN_PROGRESS", 11);
    s_ok ("mediate", id, "M-POLICE", "{\"mediator\": \"冯思娟\", \"sessions\": 1, "
          "\"outcome\": \"settled\"}", "HANDLED", 11);
    //  Rework: the grid finds the agreement not carried out; mediated again, then it holds.
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": false, \"reason\": \"工资未按约发放\"}",
          "IN_PROGRESS", 11);
    s_ok ("mediate", id, "M-POLICE", "{\"mediator\": \"冯思娟\", \"sessions\": 2, "
          "\"agreement\": \"用工方当日结清\", \"outcome\": \"settled\"}", "HANDLED", 11);
    s_ok ("verify", id, "SJ-01-01", "{\"pass\": true}", "FEEDBACK", 11);
    //  Feedback: the resident, through the hotline.
    s_ok ("feedback", id, "D-HOTLINE", "{\"rating\": \"satisfied\", \"actor\": {\"unit\": "
          "\"D-HOTLINE\", \"role\": \"resident\", \"person\": \"resident-13800000001\"}}",
          "CLOSED", 11);
    //  The steps, as written down by hand: unit, kind, from, outcome ("" for none).
    static const char *const want [][4] = {
        { "SJ-C", "auto", "SJ-01", "" },                //  skip route
        { "SJ-B4", "dispatch", "SJ-C", "" },            //  dispatch on
        { "SJ-01", "assign", "SJ-B4", "" },             //  assign down
        { "SJ-C", "escalate", "SJ-01", "" },            //  up one tier
        { "CTY-C", "escalate", "SJ-C", "" },            //  up the second
        { "D-POLLAW", "dispatch", "CTY-C", "returned" },    //  returned
        { "SJ-B4", "dispatch", "CTY-C", "retriaged" },  //  re-dispatched, then re-triaged
        { "SJ-C", "retriage", "SJ-C", "" },             //  re-triage
        { "SJ-B4", "auto", "SJ-C", "" },                //  routed again
        { "M-COURT", "refer", "SJ-B4", "" },            //  referred
        { "M-POLICE", "refer", "M-COURT", "settled" },  //  handed over, settled
    };
    json_t *answer = s_get (id);
    json_t *steps = json_object_get (answer, "steps");
    assert_int_equal (json_array_size (steps), sizeof want / sizeof want [0]);
    for (size_t i = 0; i < json_array_size (steps); i++) {
        json_t *step = s_step (answer, i + 1);
        if (strcmp (s_str (step, "unit"), want [i][0]) || strcmp (s_str (step, "kind"), want [i][1])
        ||  strcmp (s_str (step, "from"), want [i][2])
        ||  strcmp (s_str (step, "outcome"), want [i][3]))
            fail_msg ("step %zu is %s %s from %s outcome \"%s\"; expected %s %s from %s "
                      "outcome \"%s\"", i + 1, s_str (step, "unit"), s_str (step, "kind"),
                      s_str (step, "from"), s_str (step, "outcome"), want [i][0], want [i][1],
                      want [i][2], want [i][3]);
        //  Every hop is over: the event is closed.
        assert_true (s_int (step, "left_at") > 0);
    }
    assert_string_equal (s_str (s_step (answer, 6), "return_reason"),
                         "属劳资纠纷，应由属地板块处置");
    assert_string_equal (s_str (s_step (answer, 8), "was"), "01.12 major P1 safety");
    json_t *ev = S_EV (answer);
    assert_int_equal (s_int (ev, "returns"), 1);
    assert_int_equal (s_int (ev, "wrong_dispatches"), 1);
    assert_int_equal (s_int (ev, "reworks"), 1);
    assert_int_equal (s_int (ev, "mediations"), 2);
    assert_string_equal (s_str (ev, "category"), "01.05");
    json_decref (answer);
    free (id);
}

//  ---------------------------------------------------------------------------------------------

static int
s_setup (void **state)
{
    s_net = tk_net_new (S_PORTS, "archive\n    reads = \"intake dispatcher\"\n"
                                 "log\n    level = \"info\"\n");
    gl_err_t err;
    s_org = gl_org_load (s_net->cfg.org_path, s_net->cfg.categories_path, NULL, &err);
    if (!s_org)
        fail_msg ("%s", err.message);
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
    gl_org_destroy (&s_org);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        //  transitions
        cmocka_unit_test (
            test_accept_files_a_reported_event_then_routes_it_and_is_refused_once_dispatched),
        cmocka_unit_test (
            test_cancel_ends_reported_self_handled_filed_events_refused_once_dispatched),
        cmocka_unit_test (
            test_confirm_closes_a_self_handled_event_and_is_refused_from_other_states),
        cmocka_unit_test (
            test_dispatch_gives_filed_event_to_a_unit_in_a_new_step_refused_unless_filed),
        cmocka_unit_test (
            test_dispatch_copying_an_unknown_unit_is_invalid_and_publishes_nothing),
        cmocka_unit_test (
            test_assign_hands_down_a_tier_in_a_new_step_and_is_refused_once_handled),
        cmocka_unit_test (
            test_escalate_goes_one_tier_up_to_the_county_and_is_refused_once_handled),
        cmocka_unit_test (
            test_escalate_from_a_board_goes_to_its_street_centre_before_the_county),
        cmocka_unit_test (
            test_sign_takes_a_dispatched_event_in_progress_and_is_refused_when_in_progress),
        cmocka_unit_test (
            test_return_files_it_back_at_the_dispatching_unit_and_is_refused_when_filed),
        cmocka_unit_test (
            test_return_reason_is_kept_on_the_step_and_the_last_step_is_left_when_the_event_closes),
        cmocka_unit_test (test_note_keeps_the_state_and_is_refused_before_signing),
        cmocka_unit_test (
            test_extend_and_decide_extension_add_days_to_the_step_and_are_refused_out_of_turn),
        cmocka_unit_test (
            test_suspend_and_resume_park_and_reopen_work_and_are_refused_from_other_states),
        cmocka_unit_test (
            test_handle_with_evidence_makes_it_handled_and_is_refused_before_signing),
        cmocka_unit_test (
            test_verify_fail_reworks_pass_closes_staff_reports_asks_residents_feedback),
        cmocka_unit_test (
            test_feedback_satisfied_closes_unsatisfied_rehandles_refused_before_verified),
        cmocka_unit_test (
            test_supervise_instruct_urgent_keep_any_open_state_and_are_refused_once_closed),
        cmocka_unit_test (test_archive_locks_a_closed_event_and_nothing_is_allowed_afterwards),
        cmocka_unit_test (test_unknown_event_is_not_found_and_unknown_actor_is_invalid),
        //  routing
        cmocka_unit_test (test_route_major_goes_to_the_street_board_of_its_category),
        cmocka_unit_test (
            test_route_skip_rule_sends_p1_and_centre_work_to_the_centre_copying_county_handler),
        cmocka_unit_test (
            test_route_minor_goes_to_community_consultation_or_to_the_board_if_not_admitted),
        cmocka_unit_test (test_route_skip_routed_event_is_passed_on_by_the_centre_holding_it),
        cmocka_unit_test (test_consultation_runs_its_stages_in_order_then_is_verified),
        cmocka_unit_test (
            test_consultation_failed_verification_runs_the_stages_again_from_topic),
        cmocka_unit_test (
            test_consultation_closes_only_through_its_stages_and_is_verified_from_outside),
        cmocka_unit_test (
            test_route_private_is_closed_with_advice_and_event_closed_is_published),
        cmocka_unit_test (
            test_route_handled_on_site_waits_self_handled_until_confirmed_then_closes),
        cmocka_unit_test (
            test_route_resident_report_waits_reported_until_accepted_then_is_routed),
        cmocka_unit_test (
            test_route_override_by_the_centre_after_a_return_counts_a_wrong_dispatch),
        //  authorisation
        cmocka_unit_test (test_auth_sign_handle_and_return_only_by_the_assigned_unit),
        cmocka_unit_test (test_auth_verify_only_by_the_event_grid_community_or_street_centre),
        cmocka_unit_test (
            test_auth_verify_never_by_the_county_centre_and_the_refusal_names_every_unit_allowed),
        cmocka_unit_test (
            test_auth_on_the_spot_handling_is_confirmed_by_the_grid_leader_not_the_worker),
        cmocka_unit_test (
            test_auth_supervise_instruct_urgent_only_from_a_higher_tier_or_the_event_centres),
        cmocka_unit_test (test_auth_suspend_and_resume_only_by_the_street_or_county_centre),
        cmocka_unit_test (test_auth_feedback_only_by_the_community_or_street_centre),
        cmocka_unit_test (
            test_auth_admission_refuses_negative_list_work_for_communities_and_grids),
        cmocka_unit_test (test_auth_admission_refusal_is_a_whole_sentence_within_the_limit),
        cmocka_unit_test (test_auth_a_community_gives_work_only_to_its_own_grids),
        //  四调
        cmocka_unit_test (
            test_mediation_refer_hand_over_between_channels_and_settle_makes_it_handled),
        cmocka_unit_test (test_mediation_failed_goes_back_filed_to_the_referring_centre),
        cmocka_unit_test (test_mediation_refer_of_a_non_dispute_is_conflict),
        cmocka_unit_test (
            test_mediation_the_board_holding_a_dispute_refers_it_and_gets_it_back_if_it_fails),
        cmocka_unit_test (
            test_log_has_one_info_line_per_action_and_log_and_cli_state_their_zone),
        cmocka_unit_test (test_feedback_by_the_hotline_or_the_reporting_resident_through_it),
        cmocka_unit_test (test_ops_describe_cli_and_proto_reference_come_from_one_table),
        cmocka_unit_test (
            test_walk_one_event_through_every_kind_of_hop_and_read_its_steps_back),
        cmocka_unit_test (
            test_roles_a_board_signs_through_its_a_or_b_post_and_refusals_name_the_roles),
        cmocka_unit_test (
            test_retriage_by_community_or_centre_records_why_on_the_steps_and_routes_again),
        cmocka_unit_test (test_private_closed_with_advice_is_reopened_then_referred_to_mediation),
        cmocka_unit_test (test_reopen_is_refused_past_the_configured_window),
        //  queues, retries, the whole life
        cmocka_unit_test (test_queue_lists_a_unit_open_work_with_state_filters_and_paging),
        cmocka_unit_test (test_cli_event_and_queue_show_the_fields_the_dispatcher_answers_with),
        cmocka_unit_test (test_cli_report_attached_to_an_open_event_says_so),
        cmocka_unit_test (test_cli_status_tells_not_built_and_not_configured_from_down),
        cmocka_unit_test (
            test_retry_of_a_lifecycle_command_returns_the_first_answer_and_publishes_nothing),
        cmocka_unit_test (
            test_end_to_end_report_to_close_with_every_step_in_the_archive_in_order),
    };
    //  GL_TEST_ONLY=pattern runs only the tests whose names match (while working on one).
    if (getenv ("GL_TEST_ONLY"))
        cmocka_set_test_filter (getenv ("GL_TEST_ONLY"));
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

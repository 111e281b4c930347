/*  escalation — the deadlines of every step (督办): reads the dispatcher's stream, starts a timer
    for the stage each step is in, and fires its yellow light, yellow card, red card and
    reminder each exactly once (proto/escalation.md).  */
#include "escalation.h"
#include "gl_calendar.h"
#include "gl_domain.h"
#include "gl_limits.h"

#include <string.h>

/*  Timers, and why they fire exactly once
    --------------------------------------
    A step is timed per stage: from filing to dispatch (dispatch), from dispatch to signing
    (sign), from signing to handling (handle: a yellow and a red limit), from handling to
    verification (verify). The dispatcher's messages say which state an event is in after each
    action; the stage that state waits on is the one timed, and a timer of any other stage, or
    of another step or unit, is cancelled (signing cancels sign, handling cancels handle,
    closing cancels everything).

    A timer is a record in "timers" (key: event id, stage) holding the limits in force when the
    stage started (a later edit of limits.json changes only new steps), how much of the clock
    was used before the last (re)start (suspension stops it), the approved extension days, and
    which of its alerts have fired. Its next due instant is also a key in "due" (due time
    big-endian, event id, stage), so the tick reads only what is due, in due order, however
    many timers are held.

    The tick runs in one write transaction: it reads the due entries up to now, publishes each
    alert with gl_ctx_emit (written to the outbox in the same transaction), marks it fired in
    the timer and moves or deletes the due entry. The skeleton publishes only after the commit.
    So an alert is either fired and recorded together or not at all: a crash before the commit
    leaves it due (it fires at the next start), a crash after the commit leaves it in the
    outbox (the consumers' replay repairs it), and a fired alert is never due again.  */

//  Tables.
//  "timers": id, 0x00, stage name, 0x00 -> s_timer_t.
//  "due": due ms (8, big-endian), id, 0x00, stage name, 0x00 -> nothing: the timers' next alerts.
//  "cards": fired ms (8, big-endian), id, 0x00, stage, 0x00, alert, 0x00 -> the message body;
//           what fired, for retention/days (the metrics service counts from the stream).
//  "totals": counter name -> big-endian count.
//  "modes": scope unit id -> msgpack {mode, since, unit, person?, reason}: the scopes in
//           wartime (平战转换); a scope back in peacetime has no entry.
//  "mode_log": switch ms (8, big-endian), switch number (8, big-endian) -> msgpack {scope, to, unit, person?,
//           reason}: every switch, who, why and when; the newest S_MODE_LOG_MAX kept.

#define S_LAYOUT        1       //  s_timer_t's layout; a new one needs a migration
#define S_FIRE_MAX      10000   //  most timers handled in one round: keeps a transaction short
                                //  after a long downtime; the next round follows at once
#define S_TRIM_LIMIT    20000   //  most fired-alert records deleted per housekeeping round
#define S_DAY_MINUTES   1440    //  a natural day
#define S_YELLOW_POINTS 5       //  score deduction of a yellow card (DOMAIN §8)
#define S_RED_POINTS    10      //  of a red card
#define S_MODE_LOG_MAX  100000  //  switches kept in mode_log: decades of a county's switches
#define S_NOTICE_DAYS   5       //  working days overdue, with no reason filed, before the unit
                                //  is named in the next notice (通报, DOMAIN §5)

//  The timed stages: what each state of an event waits on.
typedef enum { T_DISPATCH, T_SIGN, T_HANDLE, T_VERIFY, T_COUNT } s_stage_t;
static const char *const s_stage_names [T_COUNT] = { "dispatch", "sign", "handle", "verify" };

//  The alerts of a timer, in the bit order of s_timer_t.fired.
typedef enum { A_LIGHT, A_YELLOW, A_RED, A_REMINDER, A_NOTICE, A_COUNT } s_alert_t;
static const char *const s_alert_names [A_COUNT] = {
    "light", "yellow", "red", "reminder", "notice"
};

typedef struct {
    uint32_t layout;            //  S_LAYOUT
    uint32_t step;              //  the step it times
    int64_t started;            //  when the stage started (ms)
    int64_t anchor;             //  when its clock last started: the start, or the last resume
    int64_t used_working;       //  working minutes used before anchor (before a suspension)
    int64_t used_natural;       //  natural minutes used before anchor
    gl_limit_t yellow;          //  the yellow card's limit in force at the start
    gl_limit_t red;             //  the red card's (handle only; 0 minutes: none)
    int64_t extension_days;     //  approved extension days
    int64_t due;                //  its entry in "due" (0: none: paused, or everything fired)
    int64_t overdue_since;      //  when its yellow card fell due (0: not overdue)
    uint8_t fired;              //  bit (1 << s_alert_t): already published
    uint8_t paused;             //  suspended (挂账): the clock is stopped
    uint8_t reason_filed;       //  a reason was given during the stage (a note, an extension
                                //  request, a suspension): no notice (通报)
    uint8_t wartime;            //  started in a scope in wartime: wartime limits, scored apart
    char unit [33];             //  the unit holding the step
    char category [8];          //  the event's category at the start
    char priority [4];          //  its priority at the start
} s_timer_t;

typedef struct {
    gl_calendar_t *cal;         //  the working calendar (domain/calendar)
    gl_limits_t *limits;        //  the time limits (domain/limits)
    gl_org_t *org;              //  units' tiers, for limits narrowed by tier
} s_escalation_t;

//  ---------------------------------------------------------------------------------------------
//  Keys and records.

static void
s_timer_key (gl_key_t *k, const char *id, s_stage_t stage)
{
    gl_key_init (k);
    gl_key_str (k, id);
    gl_key_str (k, s_stage_names [stage]);
}

static void
s_due_key (gl_key_t *k, int64_t due, const char *id, s_stage_t stage)
{
    gl_key_init (k);
    gl_key_u64 (k, (uint64_t) due);
    gl_key_str (k, id);
    gl_key_str (k, s_stage_names [stage]);
}

//  Read "id\0stage\0" (after skip bytes) into id and stage. Returns 0, or -1 if it is not one.
static int
s_read_id_stage (const uint8_t *p, size_t len, char id [GL_MAX_NAME + 1], s_stage_t *stage)
{
    const uint8_t *end = memchr (p, 0, len);
    if (!end || end - p > GL_MAX_NAME)
        return -1;
    memcpy (id, p, end - p);
    id [end - p] = 0;
    const char *name = (const char *) end + 1;
    size_t rest = len - (size_t) (end + 1 - p);
    if (rest < 2 || name [rest - 1] != 0)
        return -1;
    int s = gl_domain_lookup (s_stage_names, T_COUNT, name);
    if (s < 0)
        return -1;
    *stage = (s_stage_t) s;
    return 0;
}

//  Returns 0 with *t, MDB_NOTFOUND, or an LMDB error.
static int
s_timer_load (gl_ctx_t *ctx, const char *id, s_stage_t stage, s_timer_t *t)
{
    gl_key_t k;
    s_timer_key (&k, id, stage);
    const void *val;
    size_t len;
    int rc = gl_db_get (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "timers"), k.bytes, k.len, &val,
                        &len);
    if (rc)
        return rc;
    if (len != sizeof *t || ((const s_timer_t *) val)->layout != S_LAYOUT)
        return MDB_CORRUPTED;
    memcpy (t, val, sizeof *t);
    return 0;
}

static int
s_count (gl_ctx_t *ctx, const char *name, int64_t delta)
{
    return gl_db_add_u64 (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "totals"), name, strlen (name),
                          (uint64_t) delta, NULL);
}

//  ---------------------------------------------------------------------------------------------
//  Deadline arithmetic.

//  When alert falls due for t, or INT64_MAX when it never does (no red limit, or paused).
//  The clock runs from anchor with the minutes already used before it subtracted: a
//  suspension keeps what was used and a resume restarts from there (gl_calendar.h's pause
//  rule). Extension days extend every alert; the light comes at 70% of the yellow limit, the
//  reminder a day (of the limit's own clock) after it.
static int64_t
s_alert_due (s_escalation_t *self, const s_timer_t *t, s_alert_t alert)
{
    if (t->paused || (alert == A_NOTICE && t->reason_filed))
        return INT64_MAX;
    gl_limit_t limit = alert == A_RED? t->red: t->yellow;
    if (limit.minutes <= 0)
        return INT64_MAX;
    int64_t day = limit.working? gl_calendar_day_minutes (self->cal): S_DAY_MINUTES;
    int64_t total = limit.minutes + t->extension_days * day;
    if (alert == A_LIGHT)
        total = total * 7 / 10;
    else
    if (alert == A_REMINDER)
        total += day;
    int64_t used = limit.working? t->used_working: t->used_natural;
    int64_t remaining = total > used? total - used: 0;
    int64_t due = gl_calendar_add (self->cal, t->anchor, remaining, limit.working);
    //  The notice counts working days from the yellow card whatever the limit's clock.
    if (alert == A_NOTICE)
        due = gl_calendar_add (self->cal, due, S_NOTICE_DAYS * gl_calendar_day_minutes (self->cal),
                               true);
    return due;
}

//  The earliest alert of t not yet fired, or 0.
static int64_t
s_next_due (s_escalation_t *self, const s_timer_t *t)
{
    int64_t next = INT64_MAX;
    for (int a = 0; a < A_COUNT; a++)
        if (!(t->fired & (1u << a))) {
            int64_t due = s_alert_due (self, t, (s_alert_t) a);
            if (due < next)
                next = due;
        }
    return next == INT64_MAX? 0: next;
}

//  Store t with its due entry moved from old_due to t->due.
static int
s_timer_save (gl_ctx_t *ctx, const char *id, s_stage_t stage, s_timer_t *t, int64_t old_due)
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi due = gl_ctx_dbi (ctx, "due");
    gl_key_t k;
    int rc = 0;
    if (old_due != t->due) {
        if (old_due) {
            s_due_key (&k, old_due, id, stage);
            rc = gl_db_del (txn, due, k.bytes, k.len);
        }
        if (rc == 0 && t->due) {
            s_due_key (&k, t->due, id, stage);
            rc = gl_db_put (txn, due, k.bytes, k.len, "", 0, 0);
        }
    }
    if (rc == 0) {
        s_timer_key (&k, id, stage);
        rc = gl_db_put (txn, gl_ctx_dbi (ctx, "timers"), k.bytes, k.len, t, sizeof *t, 0);
    }
    return rc;
}

//  Delete t and its due entry (the stage is over or cancelled).
static int
s_timer_delete (gl_ctx_t *ctx, const char *id, s_stage_t stage, const s_timer_t *t)
{
    gl_key_t k;
    int rc = 0;
    if (t->due) {
        s_due_key (&k, t->due, id, stage);
        rc = gl_db_del (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "due"), k.bytes, k.len);
    }
    if (rc == 0) {
        s_timer_key (&k, id, stage);
        rc = gl_db_del (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "timers"), k.bytes, k.len);
    }
    if (rc == 0)
        rc = s_count (ctx, "timers", -1);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Messages.

//  The fields every escalation message of a timer carries.
static void
s_timer_fields (s_escalation_t *self, gl_mapw_t *w, s_stage_t stage, const s_timer_t *t)
{
    char text [32];
    gl_mapw_str (w, "stage", s_stage_names [stage]);
    gl_mapw_u64 (w, "step", t->step);
    gl_mapw_str (w, "unit", t->unit);
    gl_mapw_str (w, "priority", t->priority);
    if (t->category [0])
        gl_mapw_str (w, "category", t->category);
    gl_mapw_i64 (w, "started", t->started);
    gl_duration_format (t->yellow.minutes, t->yellow.working, self->cal, text, sizeof text);
    gl_mapw_str (w, "limit", text);
    if (t->red.minutes > 0) {
        gl_duration_format (t->red.minutes, t->red.working, self->cal, text, sizeof text);
        gl_mapw_str (w, "red_limit", text);
    }
    if (t->extension_days)
        gl_mapw_i64 (w, "extension_days", t->extension_days);
    if (t->wartime)
        gl_mapw_bool (w, "wartime", true);
}

//  Publish escalation.deadline: the deadlines of t as they stand (why: started, suspended,
//  resumed, extended).
static int
s_emit_deadline (gl_ctx_t *ctx, const char *id, s_stage_t stage, const s_timer_t *t,
                 const char *why)
{
    s_escalation_t *self = gl_ctx_state (ctx);
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "why", why);
    s_timer_fields (self, &w, stage, t);
    gl_mapw_bool (&w, "paused", t->paused);
    if (!t->paused) {
        gl_mapw_i64 (&w, "light_at", s_alert_due (self, t, A_LIGHT));
        gl_mapw_i64 (&w, "yellow_at", s_alert_due (self, t, A_YELLOW));
        if (t->red.minutes > 0)
            gl_mapw_i64 (&w, "red_at", s_alert_due (self, t, A_RED));
    }
    int rc = gl_ctx_emit_map (ctx, "deadline", t->unit, id, &w);
    gl_mapw_fini (&w);
    return rc;
}

//  Fire one alert of t that fell due at due: publish it, keep a record of it, count it.
static int
s_fire (gl_ctx_t *ctx, const char *id, s_stage_t stage, const s_timer_t *t, s_alert_t alert,
        int64_t due)
{
    s_escalation_t *self = gl_ctx_state (ctx);
    int64_t now = gl_ctx_now (ctx);
    gl_mapw_t w;
    gl_mapw_init (&w);
    s_timer_fields (self, &w, stage, t);
    gl_mapw_i64 (&w, "due", due);
    gl_mapw_i64 (&w, "late_ms", now - due);
    const char *type, *counter;
    if (alert == A_YELLOW || alert == A_RED) {
        type = "card";
        counter = alert == A_YELLOW? "yellow_cards": "red_cards";
        gl_mapw_str (&w, "level", s_alert_names [alert]);
        gl_mapw_i64 (&w, "deduction", alert == A_YELLOW? S_YELLOW_POINTS: S_RED_POINTS);
    }
    else {
        type = s_alert_names [alert];
        counter = alert == A_LIGHT? "lights": alert == A_REMINDER? "reminders": "notices";
    }
    msgpack_sbuffer body;
    gl_mapw_finish (&w, &body);
    gl_mapw_fini (&w);
    int rc = gl_ctx_emit (ctx, type, t->unit, id, body.data, body.size);
    if (rc == 0) {
        gl_key_t k;
        gl_key_init (&k);
        gl_key_u64 (&k, (uint64_t) now);
        gl_key_str (&k, id);
        gl_key_str (&k, s_stage_names [stage]);
        gl_key_str (&k, s_alert_names [alert]);
        rc = gl_db_put (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "cards"), k.bytes, k.len,
                        body.data, body.size, 0);
    }
    msgpack_sbuffer_destroy (&body);
    if (rc == 0)
        rc = s_count (ctx, counter, 1);
    if (rc == 0)
        gl_log_info ("escalation: %s %s of %s step %u (%s) at %s", s_alert_names [alert],
                     alert == A_YELLOW || alert == A_RED? "card": "", id, t->step,
                     s_stage_names [stage], t->unit);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  The dispatcher's stream.

//  The stage an event in state waits on, or -1 for none (SUSPENDED: handle, paused;
//  REPORTED: accept+dispatch, which a resident's report starts before it is filed).
static int
s_stage_of (const char *state)
{
    if (streq (state, "REPORTED") || streq (state, "FILED"))
        return T_DISPATCH;
    if (streq (state, "DISPATCHED"))
        return T_SIGN;
    if (streq (state, "IN_PROGRESS") || streq (state, "SUSPENDED"))
        return T_HANDLE;
    if (streq (state, "HANDLED"))
        return T_VERIFY;
    return -1;
}

//  Whether unit or a unit above it (its community, street, the county) is in wartime.
static int
s_in_wartime (gl_ctx_t *ctx, const gl_unit_t *unit, bool *wartime)
{
    *wartime = false;
    for (; unit; unit = unit->parent) {
        const void *val;
        size_t len;
        int rc = gl_db_get (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "modes"), unit->id,
                            strlen (unit->id), &val, &len);
        if (rc == 0) {
            *wartime = true;
            return 0;
        }
        if (rc != MDB_NOTFOUND)
            return rc;
    }
    return 0;
}

//  Start timing stage for step at unit from when, with the limits in force now.
static int
s_start (gl_ctx_t *ctx, const char *id, s_stage_t stage, uint32_t step, const char *unit,
         const char *priority, const char *category, int64_t when, bool paused)
{
    s_escalation_t *self = gl_ctx_state (ctx);
    int p = gl_priority_lookup (priority);
    if (p < 0) {
        gl_log_warning ("escalation: event %s has no priority ('%s'): its %s is not timed", id,
                        priority, s_stage_names [stage]);
        return 0;
    }
    const gl_unit_t *holder = self->org? gl_org_unit (self->org, unit): NULL;
    int tier = holder? (int) holder->level: -1;
    s_timer_t t;
    memset (&t, 0, sizeof t);
    t.layout = S_LAYOUT;
    t.step = step;
    t.started = t.anchor = when;
    static const gl_stage_t limit_of [T_COUNT] = {
        GL_STAGE_DISPATCH, GL_STAGE_SIGN, GL_STAGE_HANDLE_YELLOW, GL_STAGE_VERIFY
    };
    bool wartime = false;
    int rc = s_in_wartime (ctx, holder, &wartime);
    if (rc)
        return rc;
    if (wartime && gl_limits_wartime (self->limits, limit_of [stage], &t.yellow)) {
        //  Wartime (战时): its own limits, natural time, whatever the priority.
        t.wartime = 1;
        if (stage == T_HANDLE)
            gl_limits_wartime (self->limits, GL_STAGE_HANDLE_RED, &t.red);
    }
    else {
        t.yellow = gl_limits_find (self->limits, p, limit_of [stage], category, tier);
        if (stage == T_HANDLE)
            t.red = gl_limits_find (self->limits, p, GL_STAGE_HANDLE_RED, category, tier);
    }
    t.paused = paused;
    snprintf (t.unit, sizeof t.unit, "%s", unit);
    snprintf (t.category, sizeof t.category, "%s", category);
    snprintf (t.priority, sizeof t.priority, "%s", priority);
    t.due = s_next_due (self, &t);
    rc = s_timer_save (ctx, id, stage, &t, 0);
    if (rc == 0)
        rc = s_count (ctx, "timers", 1);
    if (rc == 0)
        rc = s_count (ctx, "started", 1);
    if (rc == 0)
        rc = s_emit_deadline (ctx, id, stage, &t, "started");
    return rc;
}

//  A running timer of the stage the event still waits on: suspension, resumption and
//  extension change its clock.
static int
s_update (gl_ctx_t *ctx, const char *id, s_stage_t stage, s_timer_t *t, const char *action,
          const msgpack_object *body, bool suspended, int64_t when)
{
    s_escalation_t *self = gl_ctx_state (ctx);
    int64_t old_due = t->due;
    const char *why = NULL;
    if (!t->reason_filed && (suspended || streq (action, "noted")
                         ||  streq (action, "extension_requested"))) {
        //  A reason on file: the unit is not named in the notice for this stage.
        t->reason_filed = 1;
        t->due = s_next_due (self, t);
        int rc = s_timer_save (ctx, id, stage, t, old_due);
        if (rc)
            return rc;
        old_due = t->due;
    }
    if (suspended && !t->paused) {
        //  The clock stops: keep what was used, in both times.
        t->used_working += gl_calendar_between (self->cal, t->anchor, when, true);
        t->used_natural += gl_calendar_between (self->cal, t->anchor, when, false);
        t->paused = 1;
        why = "suspended";
    }
    else
    if (!suspended && t->paused) {
        t->paused = 0;
        t->anchor = when;
        why = "resumed";
    }
    else
    if (streq (action, "extension_decided")) {
        bool approve = false;
        uint64_t days = 0;
        gl_get_bool (body, "approve", &approve);
        gl_get_u64 (body, "days", &days);
        if (!approve || days == 0 || days > 366)
            return 0;
        t->extension_days += (int64_t) days;
        why = "extended";
    }
    if (!why)
        return 0;
    t->due = s_next_due (self, t);
    int rc = s_timer_save (ctx, id, stage, t, old_due);
    if (rc == 0)
        rc = s_emit_deadline (ctx, id, stage, t, why);
    return rc;
}

static int
s_consume (gl_ctx_t *ctx, const char *topic, const gl_envelope_t *env)
{
    if (!(env->src_len == 10 && memcmp (env->src, "dispatcher", 10) == 0) || !env->id
    ||  env->id_len > GL_MAX_NAME)
        return 0;
    char id [GL_MAX_NAME + 1], state [24] = "", unit [33] = "", action [32] = "",
         priority [4] = "", category [8] = "";
    snprintf (id, sizeof id, "%.*s", (int) env->id_len, env->id);
    const msgpack_object *body = env->body, *class = gl_map_get (body, "class");
    uint64_t step = 0;
    int64_t when = env->ts;
    gl_get_strbuf (body, "state", state, sizeof state);
    gl_get_strbuf (body, "unit", unit, sizeof unit);
    gl_get_strbuf (body, "action", action, sizeof action);
    gl_get_u64 (body, "step", &step);
    gl_get_i64 (body, "when", &when);
    if (class) {
        gl_get_strbuf (class, "priority", priority, sizeof priority);
        gl_get_strbuf (class, "category", category, sizeof category);
    }
    int want = s_stage_of (state);
    bool kept = false;
    for (int s = 0; s < T_COUNT; s++) {
        s_timer_t t;
        int rc = s_timer_load (ctx, id, (s_stage_t) s, &t);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc)
            return rc;
        //  Accept+dispatch is one stage from the report to the dispatch, whichever unit holds
        //  the event meanwhile (the community that accepts it, the centre it is filed at).
        if (s == want && t.step == step && !streq (t.unit, unit) && s == T_DISPATCH && *unit) {
            snprintf (t.unit, sizeof t.unit, "%s", unit);
            if ((rc = s_timer_save (ctx, id, (s_stage_t) s, &t, t.due)))
                return rc;
        }
        if (s == want && t.step == step && streq (t.unit, unit)) {
            kept = true;
            rc = s_update (ctx, id, (s_stage_t) s, &t, action, body,
                           streq (state, "SUSPENDED"), when);
        }
        else {
            //  Signed, handled, verified, closed, moved on: what was pending is cancelled.
            rc = s_timer_delete (ctx, id, (s_stage_t) s, &t);
            if (rc == 0)
                rc = s_count (ctx, "cancelled", 1);
        }
        if (rc)
            return rc;
    }
    if (want < 0 || kept || !unit [0])
        return 0;
    return s_start (ctx, id, (s_stage_t) want, (uint32_t) step, unit, priority, category,
                    when, streq (state, "SUSPENDED"));
}

//  ---------------------------------------------------------------------------------------------
//  The tick: fire what is due.

typedef struct {
    int64_t now;                //  fire what is due at or before this
    size_t count;               //  entries collected
    struct {
        char id [GL_MAX_NAME + 1];
        s_stage_t stage;
        int64_t due;
    } items [S_FIRE_MAX];       //  the due timers, in due order
} s_due_list_t;

static int
s_due_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_due_list_t *list = arg;
    if (key->mv_size < 8 || (int64_t) gl_be64_get (key->mv_data) > list->now)
        return GL_ITEM_STOP;
    if (peek)
        return GL_ITEM_TAKE;
    if (s_read_id_stage ((const uint8_t *) key->mv_data + 8, key->mv_size - 8,
                         list->items [list->count].id, &list->items [list->count].stage))
        return GL_ITEM_SKIP;
    list->items [list->count++].due = (int64_t) gl_be64_get (key->mv_data);
    return GL_ITEM_TAKE;
}

static int
s_tick (gl_ctx_t *ctx)
{
    s_escalation_t *self = gl_ctx_state (ctx);
    int64_t now = gl_ctx_now (ctx);
    //  Collected first, then fired: firing moves due entries in the table being read.
    s_due_list_t *list = zmalloc (sizeof *list);
    list->now = now;
    gl_range_t range = { .max_items = S_FIRE_MAX };
    int rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "due"), &range, s_due_item, list,
                         NULL);
    for (size_t i = 0; rc == 0 && i < list->count; i++) {
        const char *id = list->items [i].id;
        s_stage_t stage = list->items [i].stage;
        s_timer_t t;
        rc = s_timer_load (ctx, id, stage, &t);
        if (rc == MDB_NOTFOUND || rc == MDB_CORRUPTED) {
            //  A due entry without a timer it can read must not stop every later one
            //  from firing: it goes (and the unreadable timer with it), logged.
            gl_log_error ("escalation: the %s timer of %s is %s: dropped", s_stage_names [stage],
                          id, rc == MDB_NOTFOUND? "missing": "unreadable");
            gl_key_t k;
            s_due_key (&k, list->items [i].due, id, stage);
            rc = gl_db_del (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "due"), k.bytes, k.len);
            if (rc == 0) {
                s_timer_key (&k, id, stage);
                rc = gl_db_del (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "timers"), k.bytes, k.len);
            }
            continue;
        }
        if (rc)
            break;
        int64_t old_due = t.due;
        //  Every alert due by now that has not fired, in due order (after a downtime the
        //  light, the yellow card and the red card may all be due at once).
        while (rc == 0) {
            int next = -1;
            int64_t next_due = INT64_MAX;
            for (int a = 0; a < A_COUNT; a++) {
                int64_t due = s_alert_due (self, &t, (s_alert_t) a);
                if (!(t.fired & (1u << a)) && due <= now && due < next_due) {
                    next = a;
                    next_due = due;
                }
            }
            if (next < 0)
                break;
            t.fired |= (uint8_t) (1u << next);
            if (next == A_YELLOW)
                t.overdue_since = next_due;
            rc = s_fire (ctx, id, stage, &t, (s_alert_t) next, next_due);
        }
        if (rc == 0) {
            t.due = s_next_due (self, &t);
            rc = s_timer_save (ctx, id, stage, &t, old_due);
        }
    }
    if (rc == 0 && list->count == S_FIRE_MAX)
        gl_ctx_more (ctx);
    free (list);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Operations: overdue.

static const gl_field_t s_overdue_fields [] = {
    { .key = "unit", .type = GL_F_STR, .min = 1, .max = 32,
      .hint = "only steps held by this unit, e.g. \"SJ-B3\"" },
    { .key = "after", .type = GL_F_STR, .min = 1, .max = GL_MAX_NAME + 16,
      .hint = "where to go on from: the 'next' of the previous page" },
    { .key = "limit", .type = GL_F_UINT, .min = 1, .max = 1000,
      .hint = "steps per page, 1 to 1000 (default 100)" },
};
static const gl_schema_t s_overdue = GL_SCHEMA ("overdue", s_overdue_fields);

typedef struct {
    gl_listw_t list;            //  the page
    const char *unit;           //  the filter ("" for none)
    int64_t now;                //  for ages
} s_overdue_t;

static int
s_overdue_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_overdue_t *o = arg;
    s_timer_t t;
    char id [GL_MAX_NAME + 1];
    s_stage_t stage;
    if (val->mv_size != sizeof t
    ||  s_read_id_stage (key->mv_data, key->mv_size, id, &stage))
        return GL_ITEM_SKIP;
    memcpy (&t, val->mv_data, sizeof t);
    if (!t.overdue_since || (*o->unit && !streq (o->unit, t.unit)))
        return GL_ITEM_SKIP;
    if (peek)
        return GL_ITEM_TAKE;
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", id);
    gl_mapw_str (&w, "stage", s_stage_names [stage]);
    gl_mapw_u64 (&w, "step", t.step);
    gl_mapw_str (&w, "unit", t.unit);
    gl_mapw_str (&w, "priority", t.priority);
    gl_mapw_str (&w, "light", t.fired & (1u << A_RED)? "red": "yellow");
    gl_mapw_i64 (&w, "overdue_since", t.overdue_since);
    gl_mapw_i64 (&w, "age_ms", o->now - t.overdue_since);
    gl_mapw_bool (&w, "paused", t.paused);
    gl_listw_map (&o->list, &w);
    gl_mapw_fini (&w);
    return GL_ITEM_TAKE;
}

static int
s_op_overdue (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    char unit [65] = "", after [GL_MAX_NAME + 24] = "";
    uint64_t limit = 100;
    gl_get_strbuf (req, "unit", unit, sizeof unit);
    gl_get_strbuf (req, "after", after, sizeof after);
    gl_get_u64 (req, "limit", &limit);
    //  A unit's or department's certificate lists its own unit's overdue steps only.
    const gl_caller_t *caller = gl_ctx_caller (ctx);
    if (!gl_sec_any_unit (caller)) {
        if (*unit && !streq (unit, caller->unit))
            return gl_fail (err, GL_FORBIDDEN, "your certificate %s is for %s: it lists %s's "
                            "overdue steps only, not %s's", caller->name, caller->unit,
                            caller->unit, unit);
        snprintf (unit, sizeof unit, "%s", caller->unit);
    }
    gl_key_t from;
    gl_key_init (&from);
    if (*after) {
        //  "ID STAGE", as 'next' gives it.
        char *space = strrchr (after, ' ');
        if (!space || gl_domain_lookup (s_stage_names, T_COUNT, space + 1) < 0)
            return gl_fail (err, GL_INVALID, "field 'after' is \"%s\"; expected the 'next' of "
                            "the previous page, \"<event id> <stage>\"", after);
        *space = 0;
        gl_key_str (&from, after);
        gl_key_str (&from, space + 1);
    }
    s_overdue_t o = { .unit = unit, .now = gl_ctx_now (ctx) };
    gl_listw_init (&o.list);
    gl_range_t range = { .from = from.len? from.bytes: NULL, .from_len = from.len,
                         .after = true, .max_items = limit };
    gl_page_t page;
    int rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "timers"), &range, s_overdue_item,
                         &o, &page);
    if (rc == 0) {
        gl_mapw_list (reply, "steps", &o.list);
        char id [GL_MAX_NAME + 1], next [GL_MAX_NAME + 24];
        s_stage_t stage;
        if (page.more && s_read_id_stage (page.last, page.last_len, id, &stage) == 0) {
            snprintf (next, sizeof next, "%s %s", id, s_stage_names [stage]);
            gl_mapw_str (reply, "next", next);
        }
        else
            gl_mapw_nil (reply, "next");
    }
    gl_listw_fini (&o.list);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Operations: mode and switch_mode (平战转换).

static const char *const s_mode_names [] = { "wartime", "peacetime", NULL };

static const gl_field_t s_actor_fields [] = {
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = 32,
      .hint = "the acting centre's id, \"CTY-C\" or a street's \"SJ-C\"" },
    { .key = "person", .type = GL_F_STR, .max = 64, .hint = "the acting person's staff id" },
};
static const gl_schema_t s_actor = GL_SCHEMA ("actor", s_actor_fields);

static const gl_field_t s_switch_fields [] = {
    { .key = "scope", .type = GL_F_STR, .required = true, .min = 1, .max = 32,
      .hint = "the county, a street, a community or a grid, e.g. \"SJ\", \"SJ-01\"" },
    { .key = "to", .type = GL_F_STR, .required = true, .choices = s_mode_names,
      .hint = "\"wartime\" or \"peacetime\"" },
    { .key = "actor", .type = GL_F_MAP, .required = true, .sub = &s_actor,
      .hint = "who switches: {unit, person}" },
    { .key = "reason", .type = GL_F_STR, .required = true, .min = 1, .max = 500,
      .hint = "why, in plain words (the order, the emergency)" },
};
static const gl_schema_t s_switch = GL_SCHEMA ("switch_mode", s_switch_fields);

//  Switch a scope to wartime or back. Checked first (scope, actor, the mode it is in), then
//  written: the scope's entry, the log line, and escalation.mode.<scope>.
static int
s_op_switch_mode (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    s_escalation_t *self = gl_ctx_state (ctx);
    char scope_id [33], to [16], actor_id [33], person [65] = "", reason [512];
    const msgpack_object *actor = gl_map_get (req, "actor");
    gl_get_strbuf (req, "scope", scope_id, sizeof scope_id);
    gl_get_strbuf (req, "to", to, sizeof to);
    gl_get_strbuf (req, "reason", reason, sizeof reason);
    gl_get_strbuf (actor, "unit", actor_id, sizeof actor_id);
    gl_get_strbuf (actor, "person", person, sizeof person);
    const gl_unit_t *scope = gl_org_unit (self->org, scope_id),
                    *by = gl_org_unit (self->org, actor_id);
    if (!scope || !(scope->kind == GL_UNIT_COUNTY || scope->kind == GL_UNIT_STREET
                ||  scope->kind == GL_UNIT_COMMUNITY || scope->kind == GL_UNIT_GRID))
        return gl_fail (err, GL_INVALID, "field 'scope' is \"%s\": %s", scope_id,
                        scope? "not the county, a street, a community or a grid":
                               "no such unit in the county (`gridloop org` lists them)");
    if (!by)
        return gl_fail (err, GL_INVALID, "field 'actor.unit' is \"%s\": no such unit in the "
                        "county", actor_id);
    //  The county centre switches any scope; a street's centre its own street's.
    const gl_unit_t *county_centre = gl_org_centre (self->org, gl_org_root (self->org));
    if (by != county_centre && by != gl_org_centre (self->org, scope))
        return gl_fail (err, GL_FORBIDDEN, "only the county centre %s or the command centre "
                        "of %s may switch it; %s is not", county_centre->id, scope_id,
                        actor_id);
    if (scope->kind == GL_UNIT_COUNTY && by != county_centre)
        return gl_fail (err, GL_FORBIDDEN, "only the county centre %s may switch the whole "
                        "county", county_centre->id);
    bool wartime = streq (to, "wartime");
    gl_limit_t unused;
    if (wartime && !gl_limits_wartime (self->limits, GL_STAGE_SIGN, &unused))
        return gl_fail (err, GL_CONFLICT, "domain/limits has no wartime limits: add its "
                        "\"wartime\" section (deploy/README.md) and restart escalation");
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi modes = gl_ctx_dbi (ctx, "modes");
    const void *val;
    size_t len;
    int rc = gl_db_get (txn, modes, scope_id, strlen (scope_id), &val, &len);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if ((rc == 0) == wartime)
        return gl_fail (err, GL_CONFLICT, "%s is already in %s", scope_id, to);
    int64_t now = gl_ctx_now (ctx);
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "scope", scope_id);
    gl_mapw_str (&w, "mode", to);
    gl_mapw_i64 (&w, "since", now);
    gl_mapw_str (&w, "unit", actor_id);
    if (*person)
        gl_mapw_str (&w, "person", person);
    gl_mapw_str (&w, "reason", reason);
    msgpack_sbuffer body;
    gl_mapw_finish (&w, &body);
    gl_mapw_fini (&w);
    if (wartime)
        rc = gl_db_put (txn, modes, scope_id, strlen (scope_id), body.data, body.size, 0);
    else
        rc = gl_db_del (txn, modes, scope_id, strlen (scope_id));
    uint64_t number = 0;
    if (rc == 0)
        rc = gl_db_add_u64 (txn, gl_ctx_dbi (ctx, "totals"), "switches", 8, 1, &number);
    if (rc == 0) {
        //  Two switches in the same millisecond are both kept, in order.
        gl_key_t k;
        gl_key_init (&k);
        gl_key_u64 (&k, (uint64_t) now);
        gl_key_u64 (&k, number);
        rc = gl_db_put (txn, gl_ctx_dbi (ctx, "mode_log"), k.bytes, k.len, body.data,
                        body.size, 0);
    }
    if (rc == 0)
        rc = gl_ctx_emit (ctx, "mode", scope_id, NULL, body.data, body.size);
    msgpack_sbuffer_destroy (&body);
    if (rc == 0) {
        gl_mapw_str (reply, "scope", scope_id);
        gl_mapw_str (reply, "mode", to);
        gl_log_notice ("escalation: %s switched to %s by %s: %s", scope_id, to, actor_id,
                       reason);
    }
    return rc;
}

//  The scopes in wartime now, and the latest switches (newest first).
static int
s_op_mode (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    gl_listw_t wartime, switches;
    gl_listw_init (&wartime);
    gl_listw_init (&switches);
    gl_range_t all = { .max_items = 1000 }, latest = { .reverse = true, .max_items = 20 };
    int rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "modes"), &all, gl_db_list_item,
                         &wartime, NULL);
    if (rc == 0)
        rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "mode_log"), &latest, gl_db_list_item,
                         &switches, NULL);
    if (rc == 0) {
        gl_mapw_list (reply, "wartime", &wartime);
        gl_mapw_list (reply, "switches", &switches);
    }
    gl_listw_fini (&wartime);
    gl_listw_fini (&switches);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Service hooks.

static int
s_housekeep (gl_ctx_t *ctx)
{
    const gl_config_t *cfg = gl_ctx_config (ctx);
    gl_trim_t how = { .before = gl_ctx_now (ctx) - cfg->retention_days * 86400000LL,
                      .limit = S_TRIM_LIMIT, .stamp = gl_stamp_key };
    size_t deleted;
    int rc = gl_db_trim (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "cards"), &how, NULL, NULL,
                         &deleted);
    gl_trim_t log = { .before = INT64_MIN, .keep_items = S_MODE_LOG_MAX, .limit = S_TRIM_LIMIT,
                      .stamp = gl_stamp_key };
    if (rc == 0)
        rc = gl_db_trim (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "mode_log"), &log, NULL, NULL,
                         &deleted);
    return rc;
}

static int
s_open (gl_service_t *service, gl_err_t *err)
{
    const gl_config_t *cfg = gl_service_config (service);
    s_escalation_t *self = (s_escalation_t *) zmalloc (sizeof *self);
    gl_service_set_state (service, self);
    self->org = gl_service_org (service);
    self->cal = gl_calendar_load (cfg->calendar_path, (int) cfg->utc_offset_min, err);
    if (!self->cal)
        return -1;
    self->limits = gl_limits_load (cfg->limits_path, self->cal, err);
    return self->limits? 0: -1;
}

static void
s_close (gl_service_t *service)
{
    s_escalation_t *self = gl_service_state (service);
    if (self) {
        gl_limits_destroy (&self->limits);
        gl_calendar_destroy (&self->cal);
    }
}

static void
s_status (gl_service_t *service, gl_mapw_t *w)
{
    static const char *const names [] = {
        "timers", "started", "cancelled", "lights", "yellow_cards", "red_cards", "reminders",
        "notices", "switches", NULL
    };
    gl_service_status_counters (service, "totals", names, w);
}

static const gl_op_t s_ops [] = {
    { .name = "overdue", .fn = s_op_overdue, .mutating = false, .schema = &s_overdue,
      .paged = true },
    { .name = "mode", .fn = s_op_mode, .mutating = false },
    { .name = "switch_mode", .fn = s_op_switch_mode, .mutating = true, .schema = &s_switch },
};

static const char *const s_dbs [] = {
    "timers", "due", "cards", "totals", "modes", "mode_log", NULL
};

const gl_service_def_t escalation_service = {
    .name = "escalation",
    .svc = GL_SVC_ESCALATION,
    .dbs = s_dbs,
    .ops = s_ops,
    .nops = sizeof s_ops / sizeof s_ops [0],
    .consume = s_consume,
    .needs_org = true,
    .open = s_open,
    .status = s_status,
    .housekeep = s_housekeep,
    .tick = s_tick,
    .close = s_close,
};

/*  ledger — the facts of each event and the counters they credit (proto/metrics.md §2).

    Why counters are recomputed, never incremented blindly
    ------------------------------------------------------
    Three streams are read apart: escalation's card about a step can arrive before the
    dispatcher's message that started the step, a verification before the report it verifies.
    So each event keeps its facts (tables "events", "steps", "cards"), and the counters are a
    function of those facts: applying a message loads the event's facts, lists the credits
    they give (unit, period, counter, amount), changes the facts, lists the credits again, and
    adds the difference to the counters, all in the consume transaction. Whatever the order in
    which the facts arrive, the counters are those of the facts held; a message applied twice
    (it never is: the inbox keeps positions in the same transaction) would change nothing.

    Tables
    "events":   id -> mt_event_t
    "steps":    id, 0x00, step (4 bytes big-endian) -> mt_step_t
    "cards":    id, 0x00, step (4), stage (1), kind (1), due (8) -> s_card_t (escalation's
                facts: each timer's cards and notices, told apart by when they fell due, and
                the mark that a step started in wartime)
    "counts":   period, 0x00, unit, 0x00, wartime (1), counter (1) -> big-endian int64, for
                months and weeks
    "live":     the same for days ("D2026-11-29": reported and closed that day) and the
                gauges ("now": open and overdue now), trimmed after S_DAY_KEEP days
    "why":      period, 0x00, unit, 0x00, wartime (1), id -> nothing: the events behind a
                unit's counters in a period (months and weeks)
    "archived": archived ms (8, big-endian), id -> nothing: for retention  */
#include "metrics.h"
#include "gl_domain.h"

#include <string.h>

#define S_LAYOUT        1       //  the layout of the records below; a new one needs a migration
#define S_STEPS_MAX     100     //  steps of one event credited: an event is re-dispatched a few
                                //  times, never a hundred; more are logged and not credited
#define S_CARDS_MAX     400     //  escalation facts of one event: 4 per stage and step at most
#define S_CREDITS_MAX   4096    //  credits of one event: bounded by the two above
#define S_KEEP_DAYS     400     //  records of an archived event are kept this long, so a
                                //  period's figures can be explained for 13 months
#define S_DAY_KEEP      40      //  days the day counters (reported and closed today) are kept
#define S_TRIM_LIMIT    5000    //  most records deleted per housekeeping round
#define S_DAY_MS        86400000LL

typedef enum { K_YELLOW, K_RED, K_NOTICE, K_WARTIME } s_kind_t;
typedef enum { ST_DISPATCH, ST_SIGN, ST_HANDLE, ST_VERIFY, ST_NONE } s_stage_t;
static const char *const s_stage_names [] = { "dispatch", "sign", "handle", "verify" };

typedef struct {
    uint32_t layout;
    char grid [MT_UNIT], community [MT_UNIT], street [MT_UNIT];
    char reporter [MT_PERSON];  //  the reporter's staff id ("" for residents, systems)
    char verifier [MT_PERSON];  //  who verified it (passed)
    char holder [MT_UNIT];      //  the unit holding it now ("" none)
    char closer [MT_UNIT];      //  the unit that held it when it closed
    char state [16];            //  the dispatcher's last word
    uint32_t step;              //  the current step
    uint8_t found;              //  reported by a staff member of its own grid
    uint8_t seen;               //  the dispatcher has spoken of it
    uint8_t ended, cancelled, archived, verified;
    uint8_t rating;             //  0 no callback, 1 satisfied or fairly, 2 unsatisfied
    int64_t reported_at, closed_at, archived_at;
} s_event_t;

typedef struct {
    uint32_t layout;
    uint32_t step;
    char unit [MT_UNIT];        //  the unit the step was given to
    char signer [MT_PERSON];    //  who signed for it
    int64_t started;
    uint8_t signed_, handled, returned, resolved, rating;
    uint16_t reworked;
} s_step_t;

typedef struct {
    uint32_t layout;
    uint32_t step;
    uint8_t stage, kind, wartime;
    char unit [MT_UNIT];        //  the unit it names
    int64_t due;
    int32_t deduction;
} s_card_t;

//  One credit: amount n of a counter to a unit in a period; fact and step say where it comes
//  from (for why).
typedef enum { F_AREA, F_STEP, F_CARD, F_LIVE } s_fact_t;
typedef struct {
    char period [MT_PERIOD];
    char unit [MT_PERSON];
    uint8_t wartime, counter, fact;
    uint32_t step;
    int64_t n;
} s_credit_t;

typedef struct {
    s_event_t ev;
    s_step_t steps [S_STEPS_MAX];
    size_t nsteps;
    s_card_t cards [S_CARDS_MAX];
    size_t ncards;
} s_facts_t;

typedef struct {
    s_credit_t items [S_CREDITS_MAX];
    size_t count;
} s_credits_t;

//  ---------------------------------------------------------------------------------------------
//  Periods.

static void
s_civil (int64_t ms, int utc_offset_min, int *y, int *m, int *d, int64_t *days)
{
    int64_t z = (ms + (int64_t) utc_offset_min * 60000) / S_DAY_MS;
    if ((ms + (int64_t) utc_offset_min * 60000) % S_DAY_MS < 0)
        z--;
    *days = z;
    //  Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar).
    z += 719468;
    int64_t era = (z >= 0? z: z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10? mp + 3: mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}

void
mt_period_month (int64_t ms, int utc_offset_min, char out [MT_PERIOD])
{
    int y, m, d;
    int64_t days;
    s_civil (ms, utc_offset_min, &y, &m, &d, &days);
    snprintf (out, MT_PERIOD, "%04d-%02d", y, m);
}

void
mt_period_day (int64_t ms, int utc_offset_min, char out [MT_PERIOD])
{
    int y, m, d;
    int64_t days;
    s_civil (ms, utc_offset_min, &y, &m, &d, &days);
    snprintf (out, MT_PERIOD, "D%04d-%02d-%02d", y, m, d);
}

//  Days since 1970-01-01 of a civil date (the proleptic Gregorian calendar).
static int64_t
s_days_from_civil (int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0? y: y - 399) / 400, yoe = y - era * 400,
            doy = (153 * (m + (m > 2? -3: 9)) + 2) / 5 + d - 1,
            doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
mt_period_week (int64_t ms, int utc_offset_min, char out [MT_PERIOD])
{
    //  ISO 8601: a week runs Monday to Sunday and belongs to the year of its Thursday.
    int y, m, d;
    int64_t days;
    s_civil (ms, utc_offset_min, &y, &m, &d, &days);
    int weekday = (int) (((days + 3) % 7 + 7) % 7);     //  0 Monday (1970-01-01 was a Thursday)
    int64_t thursday = days - weekday + 3, tdays;
    s_civil (thursday * S_DAY_MS, 0, &y, &m, &d, &tdays);
    int64_t jan1 = s_days_from_civil (y, 1, 1);
    snprintf (out, MT_PERIOD, "%04d-W%02d", y, (int) ((thursday - jan1) / 7 + 1));
}

int
mt_period_check (const char *p)
{
    int y, n;
    char tail;
    if (strlen (p) == 7 && sscanf (p, "%4d-%2d%c", &y, &n, &tail) == 2 && p [4] == '-'
    &&  y >= 1970 && y <= 9999 && n >= 1 && n <= 12)
        return 0;
    if (strlen (p) == 8 && sscanf (p, "%4d-W%2d%c", &y, &n, &tail) == 2 && p [5] == 'W'
    &&  y >= 1970 && y <= 9999 && n >= 1 && n <= 53)
        return 0;
    return -1;
}

//  ---------------------------------------------------------------------------------------------
//  Loading and saving an event's facts.

static void
s_step_key (gl_key_t *k, const char *id, uint32_t step)
{
    gl_key_init (k);
    gl_key_str (k, id);
    uint8_t be [4] = { (uint8_t) (step >> 24), (uint8_t) (step >> 16), (uint8_t) (step >> 8),
                       (uint8_t) step };
    gl_key_raw (k, be, 4);
}

static void
s_card_key (gl_key_t *k, const char *id, const s_card_t *c)
{
    s_step_key (k, id, c->step);
    uint8_t tail [2] = { c->stage, c->kind };
    gl_key_raw (k, tail, 2);
    gl_key_u64 (k, (uint64_t) c->due);
}

typedef struct {
    void *items;                //  where records go
    size_t size;                //  one record's size
    size_t *count;
    size_t max;
} s_load_t;

static int
s_load_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_load_t *l = arg;
    if (val->mv_size != l->size || *(const uint32_t *) val->mv_data != S_LAYOUT)
        return GL_ITEM_SKIP;
    if (peek)
        return GL_ITEM_TAKE;
    memcpy ((uint8_t *) l->items + *l->count * l->size, val->mv_data, l->size);
    (*l->count)++;
    return GL_ITEM_TAKE;
}

static int
s_load (gl_ctx_t *ctx, const char *id, s_facts_t *f)
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    memset (&f->ev, 0, sizeof f->ev);
    f->ev.layout = S_LAYOUT;
    f->nsteps = f->ncards = 0;
    const void *val;
    size_t vlen;
    int rc = gl_db_get (txn, gl_ctx_dbi (ctx, "events"), id, strlen (id), &val, &vlen);
    if (rc == 0 && vlen == sizeof f->ev && *(const uint32_t *) val == S_LAYOUT)
        memcpy (&f->ev, val, sizeof f->ev);
    else
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    gl_key_t prefix;
    gl_key_init (&prefix);
    gl_key_str (&prefix, id);
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len,
                         .max_items = S_STEPS_MAX };
    s_load_t steps = { f->steps, sizeof (s_step_t), &f->nsteps, S_STEPS_MAX };
    if ((rc = gl_db_page (txn, gl_ctx_dbi (ctx, "steps"), &range, s_load_item, &steps, NULL)))
        return rc;
    range.max_items = S_CARDS_MAX;
    s_load_t cards = { f->cards, sizeof (s_card_t), &f->ncards, S_CARDS_MAX };
    return gl_db_page (txn, gl_ctx_dbi (ctx, "cards"), &range, s_load_item, &cards, NULL);
}

static s_step_t *
s_step (s_facts_t *f, uint32_t step)
{
    for (size_t i = 0; i < f->nsteps; i++)
        if (f->steps [i].step == step)
            return &f->steps [i];
    return NULL;
}

//  ---------------------------------------------------------------------------------------------
//  The credits of an event's facts.

static void
s_credit (s_credits_t *l, const char *period, const char *unit, bool wartime,
          gl_counter_t counter, int64_t n, s_fact_t fact, uint32_t step)
{
    if (n == 0 || !unit || !*unit || l->count == S_CREDITS_MAX)
        return;
    s_credit_t *c = &l->items [l->count++];
    snprintf (c->period, sizeof c->period, "%s", period);
    snprintf (c->unit, sizeof c->unit, "%s", unit);
    c->wartime = wartime;
    c->counter = (uint8_t) counter;
    c->fact = (uint8_t) fact;
    c->step = step;
    c->n = n;
}

//  The same counter to several units (the step's unit, the county, the event's street …):
//  a unit named twice is credited once.
static void
s_credit_units (s_credits_t *l, const char *const *units, size_t nunits, const char *period,
                bool wartime, gl_counter_t counter, int64_t n, s_fact_t fact, uint32_t step)
{
    for (size_t i = 0; i < nunits; i++) {
        bool again = false;
        for (size_t j = 0; j < i; j++)
            again |= streq (units [i], units [j]);
        if (!again)
            s_credit (l, period, units [i], wartime, counter, n, fact, step);
    }
}

static bool
s_carded (const s_facts_t *f, uint32_t step, s_stage_t stage, bool any_step)
{
    for (size_t i = 0; i < f->ncards; i++) {
        const s_card_t *c = &f->cards [i];
        if ((any_step || c->step == step) && c->stage == stage
        &&  (c->kind == K_YELLOW || c->kind == K_RED))
            return true;
    }
    return false;
}

static bool
s_step_wartime (const s_facts_t *f, uint32_t step)
{
    for (size_t i = 0; i < f->ncards; i++)
        if (f->cards [i].step == step && (f->cards [i].kind == K_WARTIME || f->cards [i].wartime))
            return true;
    return false;
}

static s_stage_t
s_stage_of (const char *state)
{
    if (streq (state, "REPORTED") || streq (state, "FILED"))
        return ST_DISPATCH;
    if (streq (state, "DISPATCHED"))
        return ST_SIGN;
    if (streq (state, "IN_PROGRESS") || streq (state, "SUSPENDED"))
        return ST_HANDLE;
    if (streq (state, "HANDLED"))
        return ST_VERIFY;
    return ST_NONE;
}

static void
s_credits (const s_facts_t *f, int utc_offset_min, s_credits_t *l)
{
    l->count = 0;
    const s_event_t *e = &f->ev;
    char month [MT_PERIOD], week [MT_PERIOD], day [MT_PERIOD];
    bool war = false;
    for (size_t i = 0; i < f->nsteps; i++)
        war |= s_step_wartime (f, f->steps [i].step);
    bool closed = e->closed_at && !e->cancelled;
    //  The area: the event in its grid, community, street and the county.
    if (e->reported_at && *e->grid) {
        const char *areas [] = { e->grid, e->community, e->street, "CTY" };
        bool handle_carded = s_carded (f, 0, ST_HANDLE, true),
             verify_carded = s_carded (f, 0, ST_VERIFY, true);
        const struct { gl_counter_t c; int64_t n; } area [] = {
            { GL_C_REPORTED, 1 }, { GL_C_FOUND, e->found },
            { GL_C_A_DUE_CLOSE, closed || handle_carded },
            { GL_C_A_CLOSED_ON_TIME, closed && !handle_carded },
            { GL_C_A_DUE_VERIFY, e->verified || verify_carded },
            { GL_C_A_VERIFIED_ON_TIME, e->verified && !verify_carded },
            { GL_C_A_CALLBACKS, e->rating > 0 }, { GL_C_A_SATISFIED, e->rating == 1 },
        };
        mt_period_month (e->reported_at, utc_offset_min, month);
        mt_period_week (e->reported_at, utc_offset_min, week);
        const char *periods [] = { month, week };
        for (int p = 0; p < 2; p++) {
            for (size_t i = 0; i < sizeof area / sizeof area [0]; i++)
                s_credit_units (l, areas, 4, periods [p], war, area [i].c, area [i].n, F_AREA, 0);
            s_credit (l, periods [p], e->reporter, war, GL_C_REPORTED, 1, F_AREA, 0);
            s_credit (l, periods [p], e->verifier, war, GL_C_A_DUE_VERIFY, e->verified, F_AREA, 0);
            s_credit (l, periods [p], e->verifier, war, GL_C_A_VERIFIED_ON_TIME,
                      e->verified && !verify_carded, F_AREA, 0);
        }
        mt_period_day (e->reported_at, utc_offset_min, day);
        s_credit_units (l, areas + 2, 2, day, false, GL_C_REPORTED, 1, F_LIVE, 0);
    }
    //  Closed today, and the gauges: open and overdue now, by the unit holding it.
    const char *live [] = { "CTY", e->street, e->holder };
    if (closed) {
        const char *closers [] = { "CTY", e->street, e->closer };
        mt_period_day (e->closed_at, utc_offset_min, day);
        s_credit_units (l, closers, 3, day, false, GL_C_CLOSED, 1, F_LIVE, 0);
    }
    if (!e->ended && (e->reported_at || e->seen)) {
        s_stage_t stage = s_stage_of (e->state);
        bool overdue = stage != ST_NONE && s_carded (f, e->step, stage, false);
        s_credit_units (l, live, 3, "now", false, MT_OPEN, 1, F_LIVE, 0);
        s_credit_units (l, live, 3, "now", false, MT_OVERDUE, overdue, F_LIVE, 0);
    }
    //  Each step: its unit, and the county and the event's street for their area-wide rates.
    for (size_t i = 0; i < f->nsteps; i++) {
        const s_step_t *s = &f->steps [i];
        if (!s->started || !*s->unit)
            continue;
        bool w = s_step_wartime (f, s->step),
             sign_carded = s_carded (f, s->step, ST_SIGN, false),
             handle_carded = s_carded (f, s->step, ST_HANDLE, false);
        const struct { gl_counter_t c; int64_t n; } step [] = {
            { GL_C_ITEMS, 1 }, { GL_C_DUE_SIGN, s->signed_ || sign_carded },
            { GL_C_SIGNED_ON_TIME, s->signed_ && !sign_carded }, { GL_C_ACCEPTED, s->signed_ },
            { GL_C_DUE_CLOSE, s->handled || handle_carded }, { GL_C_CLOSED, s->handled },
            { GL_C_CLOSED_ON_TIME, s->handled && !handle_carded },
            { GL_C_RESOLVED, s->resolved }, { GL_C_RETURNED, s->returned },
            { GL_C_REWORKED, s->reworked }, { GL_C_CALLBACKS, s->rating > 0 },
            { GL_C_SATISFIED, s->rating == 1 },
        };
        const char *units [] = { s->unit, "CTY", e->street };
        mt_period_month (s->started, utc_offset_min, month);
        mt_period_week (s->started, utc_offset_min, week);
        const char *periods [] = { month, week };
        for (int p = 0; p < 2; p++) {
            for (size_t j = 0; j < sizeof step / sizeof step [0]; j++)
                s_credit_units (l, units, 3, periods [p], w, step [j].c, step [j].n, F_STEP,
                                s->step);
            s_credit (l, periods [p], s->signer, w, GL_C_DUE_SIGN, s->signed_, F_STEP, s->step);
            s_credit (l, periods [p], s->signer, w, GL_C_SIGNED_ON_TIME,
                      s->signed_ && !sign_carded, F_STEP, s->step);
        }
    }
    //  Cards and notices, to the unit they name, in the period they fell due.
    for (size_t i = 0; i < f->ncards; i++) {
        const s_card_t *c = &f->cards [i];
        if (c->kind == K_WARTIME)
            continue;
        mt_period_month (c->due, utc_offset_min, month);
        mt_period_week (c->due, utc_offset_min, week);
        gl_counter_t counter = c->kind == K_YELLOW? GL_C_YELLOW_CARDS:
                               c->kind == K_RED? GL_C_RED_CARDS: GL_C_NOTICES;
        const char *periods [] = { month, week };
        for (int p = 0; p < 2; p++) {
            s_credit (l, periods [p], c->unit, c->wartime, counter, 1, F_CARD, c->step);
            s_credit (l, periods [p], c->unit, c->wartime, GL_C_DEDUCTION, c->deduction, F_CARD,
                      c->step);
        }
    }
}

//  Credits in counter-key order, with their origin last (so one counter's credits are together).
static int
s_credit_cmp (const void *a, const void *b)
{
    const s_credit_t *x = a, *y = b;
    int c = strcmp (x->period, y->period);
    if (!c)
        c = strcmp (x->unit, y->unit);
    if (!c)
        c = (int) x->wartime - (int) y->wartime;
    if (!c)
        c = (int) x->counter - (int) y->counter;
    return c;
}

static void
s_counts_key (gl_key_t *k, const char *period, const char *unit, bool wartime, int counter)
{
    gl_key_init (k);
    gl_key_str (k, period);
    gl_key_str (k, unit);
    uint8_t tail [2] = { wartime, (uint8_t) counter };
    gl_key_raw (k, tail, counter < 0? 1: 2);
}

//  Months and weeks are kept in "counts"; days and the gauges ("now") in "live", which is
//  trimmed by day.
static MDB_dbi
s_counts_dbi (gl_ctx_t *ctx, const char *period)
{
    return gl_ctx_dbi (ctx, period [0] >= '0' && period [0] <= '9'? "counts": "live");
}

int
mt_count (gl_ctx_t *ctx, const char *period, const char *unit, bool wartime,
          gl_counter_t counter, int64_t delta)
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi counts = s_counts_dbi (ctx, period);
    gl_key_t k;
    s_counts_key (&k, period, unit, wartime, counter);
    uint64_t now;
    int rc = gl_db_add_u64 (txn, counts, k.bytes, k.len, (uint64_t) delta, &now);
    if (rc == 0 && now == 0)
        rc = gl_db_del (txn, counts, k.bytes, k.len);       //  keeps the table to what counts
    return rc;
}

int
mt_counters (gl_ctx_t *ctx, const char *period, const char *unit, bool wartime,
             int64_t c [GL_C_COUNT])
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi counts = s_counts_dbi (ctx, period);
    memset (c, 0, GL_C_COUNT * sizeof c [0]);
    for (int i = 0; i < GL_C_COUNT; i++) {
        gl_key_t k;
        s_counts_key (&k, period, unit, wartime, i);
        uint64_t v;
        int rc = gl_db_get_u64 (txn, counts, k.bytes, k.len, &v);
        if (rc)
            return rc;
        c [i] = (int64_t) v;
    }
    return 0;
}

static void
s_why_key (gl_key_t *k, const char *period, const char *unit, bool wartime, const char *id)
{
    s_counts_key (k, period, unit, wartime, -1);
    if (id)
        gl_key_raw (k, id, strlen (id));
}

//  Sum each counter of a sorted list into the first credit of its run; *runs gets the run
//  starts. Returns the number of runs.
static size_t
s_runs (s_credits_t *l, size_t *runs)
{
    size_t n = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (n && s_credit_cmp (&l->items [runs [n - 1]], &l->items [i]) == 0) {
            l->items [runs [n - 1]].n += l->items [i].n;
            continue;
        }
        runs [n++] = i;
    }
    return n;
}

static bool
s_indexed (const char *period)
{
    return period [0] >= '0' && period [0] <= '9';      //  months and weeks, not days or "now"
}

//  Add new − old to the counters, and keep the why index to the (period, unit) pairs new has.
static int
s_apply_difference (gl_ctx_t *ctx, const char *id, s_credits_t *old, s_credits_t *new)
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi why = gl_ctx_dbi (ctx, "why");
    qsort (old->items, old->count, sizeof old->items [0], s_credit_cmp);
    qsort (new->items, new->count, sizeof new->items [0], s_credit_cmp);
    static size_t a [S_CREDITS_MAX], b [S_CREDITS_MAX];
    size_t na = s_runs (old, a), nb = s_runs (new, b), i = 0, j = 0;
    int rc = 0;
    while (rc == 0 && (i < na || j < nb)) {
        const s_credit_t *x = i < na? &old->items [a [i]]: NULL,
                         *y = j < nb? &new->items [b [j]]: NULL;
        int c = !x? 1: !y? -1: s_credit_cmp (x, y);
        const s_credit_t *at = c <= 0? x: y;
        int64_t delta = (c >= 0? y->n: 0) - (c <= 0? x->n: 0);
        if (delta)
            rc = mt_count (ctx, at->period, at->unit, at->wartime,
                           (gl_counter_t) at->counter, delta);
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
    }
    //  The why index: one entry per (period, unit, wartime) of the new credits; the old ones
    //  that are gone are deleted.
    for (size_t k = 0; rc == 0 && k < old->count; k++) {
        const s_credit_t *x = &old->items [k];
        if (!s_indexed (x->period))
            continue;
        bool kept = false;
        for (size_t m = 0; !kept && m < new->count; m++)
            kept = streq (new->items [m].period, x->period) && streq (new->items [m].unit, x->unit)
                && new->items [m].wartime == x->wartime;
        if (!kept) {
            gl_key_t w;
            s_why_key (&w, x->period, x->unit, x->wartime, id);
            rc = gl_db_del (txn, why, w.bytes, w.len);
        }
    }
    for (size_t k = 0; rc == 0 && k < new->count; k++) {
        const s_credit_t *y = &new->items [k];
        if (k && s_credit_cmp (&new->items [k - 1], y) == 0)
            continue;
        if (!s_indexed (y->period))
            continue;
        gl_key_t w;
        s_why_key (&w, y->period, y->unit, y->wartime, id);
        if (!w.overflow)
            rc = gl_db_put (txn, why, w.bytes, w.len, "", 0, 0);
    }
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Applying a message.

typedef struct {
    s_facts_t facts;
    s_credits_t old, new;
} s_work_t;

static s_work_t *s_work;        //  one event's facts and credits: the consume path runs in one
                                //  thread at a time, and this is too large for its stack

static int
s_save (gl_ctx_t *ctx, const char *id, const s_facts_t *f)
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    int rc = gl_db_put (txn, gl_ctx_dbi (ctx, "events"), id, strlen (id), &f->ev, sizeof f->ev,
                        0);
    for (size_t i = 0; rc == 0 && i < f->nsteps; i++) {
        gl_key_t k;
        s_step_key (&k, id, f->steps [i].step);
        rc = gl_db_put (txn, gl_ctx_dbi (ctx, "steps"), k.bytes, k.len, &f->steps [i],
                        sizeof f->steps [i], 0);
    }
    for (size_t i = 0; rc == 0 && i < f->ncards; i++) {
        gl_key_t k;
        s_card_key (&k, id, &f->cards [i]);
        rc = gl_db_put (txn, gl_ctx_dbi (ctx, "cards"), k.bytes, k.len, &f->cards [i],
                        sizeof f->cards [i], 0);
    }
    return rc;
}

static bool
s_is (const char *text, size_t len, const char *name)
{
    return len == strlen (name) && memcmp (text, name, len) == 0;
}

//  intake.event.reported: where and by whom.
static void
s_reported (mt_state_t *self, s_event_t *e, const msgpack_object *b, int64_t ts)
{
    const msgpack_object *triage = gl_map_get (b, "triage"), *reporter = gl_map_get (b, "reporter");
    gl_get_strbuf (b, "grid", e->grid, sizeof e->grid);
    if (triage) {
        gl_get_strbuf (triage, "community", e->community, sizeof e->community);
        gl_get_strbuf (triage, "street", e->street, sizeof e->street);
    }
    if (!gl_get_i64 (b, "reported_at", &e->reported_at) || e->reported_at <= 0)
        e->reported_at = ts;
    char who [MT_PERSON] = "";
    if (reporter)
        gl_get_strbuf (reporter, "id", who, sizeof who);
    //  Only a person on the staff list is credited; a grid's own staff "found" it (主动发现).
    const gl_person_t *person = *who? gl_org_person (self->org, who): NULL;
    if (person) {
        snprintf (e->reporter, sizeof e->reporter, "%s", person->id);
        e->found = person->unit && streq (person->unit->id, e->grid);
    }
}

//  dispatcher.event.*: the step it names, and what the action did to it.
static void
s_lifecycle (s_facts_t *f, const msgpack_object *b, int64_t ts)
{
    s_event_t *e = &f->ev;
    char action [32] = "", unit [MT_UNIT] = "", person [MT_PERSON] = "", text [32] = "";
    uint64_t step = 0;
    int64_t when = ts;
    gl_get_strbuf (b, "action", action, sizeof action);
    gl_get_strbuf (b, "unit", unit, sizeof unit);
    gl_get_u64 (b, "step", &step);
    gl_get_i64 (b, "when", &when);
    const msgpack_object *actor = gl_map_get (b, "actor");
    if (actor)
        gl_get_strbuf (actor, "person", person, sizeof person);
    e->seen = 1;
    e->step = (uint32_t) step;
    snprintf (e->holder, sizeof e->holder, "%s", unit);
    gl_get_strbuf (b, "state", e->state, sizeof e->state);
    s_step_t *s = s_step (f, (uint32_t) step);
    //  A step is work given to a unit to sign for: the first message that leaves the event
    //  DISPATCHED (dispatched, assigned, referred) at a step starts it. Filing, escalating and
    //  returns leave it FILED at a unit that dispatches it next: timed (the dispatch stage)
    //  and carded, but not an item of work of its own.
    bool given = streq (e->state, "DISPATCHED");
    if (!s && given && *unit && f->nsteps < S_STEPS_MAX) {
        s = &f->steps [f->nsteps++];
        memset (s, 0, sizeof *s);
        s->layout = S_LAYOUT;
        s->step = (uint32_t) step;
        snprintf (s->unit, sizeof s->unit, "%s", unit);
        s->started = when;
    }
    else
    if (!s && given && *unit)
        gl_log_warning ("metrics: event has more than %d steps; step %llu is not credited",
                        S_STEPS_MAX, (unsigned long long) step);
    if (streq (action, "signed") && s) {
        s->signed_ = 1;
        snprintf (s->signer, sizeof s->signer, "%s", person);
    }
    else
    if (streq (action, "handled") && s)
        s->handled = 1;
    else
    if (streq (action, "mediated") && s) {
        gl_get_strbuf (b, "outcome", text, sizeof text);
        if (streq (text, "settled"))
            s->handled = s->resolved = 1;
        else
        if (streq (text, "litigation"))
            s->handled = 1;
    }
    else
    if (streq (action, "returned") && s)
        s->returned = 1;
    else
    if (streq (action, "verified")) {
        bool pass = false;
        gl_get_bool (b, "pass", &pass);
        if (pass) {
            e->verified = 1;
            snprintf (e->verifier, sizeof e->verifier, "%s", person);
        }
        else
        if (s && s->reworked < UINT16_MAX)
            s->reworked++;
    }
    else
    if (streq (action, "feedback")) {
        gl_get_strbuf (b, "rating", text, sizeof text);
        uint8_t rating = streq (text, "satisfied") || streq (text, "fairly_satisfied")? 1: 2;
        e->rating = rating;
        if (s)
            s->rating = rating;
    }
    else
    if (streq (action, "closed")) {
        e->ended = 1;
        e->closed_at = when;
        snprintf (e->closer, sizeof e->closer, "%s", *unit? unit: e->holder);
        if (s && s->signed_)
            s->resolved = 1;
    }
    else
    if (streq (action, "cancelled"))
        e->ended = e->cancelled = 1;
    else
    if (streq (action, "archived")) {
        e->archived = 1;
        e->archived_at = when;
    }
}

//  escalation.card / notice / any message of a step that started in wartime.
static void
s_escalation (s_facts_t *f, const gl_envelope_t *env)
{
    const msgpack_object *b = env->body;
    char stage [16] = "", level [16] = "";
    uint64_t step = 0;
    bool wartime = false;
    gl_get_strbuf (b, "stage", stage, sizeof stage);
    gl_get_u64 (b, "step", &step);
    gl_get_bool (b, "wartime", &wartime);
    int st = gl_domain_lookup (s_stage_names, 4, stage);
    if (st < 0)
        return;
    s_card_t c = { .layout = S_LAYOUT, .step = (uint32_t) step, .stage = (uint8_t) st,
                   .wartime = wartime };
    gl_get_strbuf (b, "unit", c.unit, sizeof c.unit);
    if (!gl_get_i64 (b, "due", &c.due))
        c.due = env->ts;
    if (s_is (env->type, env->type_len, "card")) {
        gl_get_strbuf (b, "level", level, sizeof level);
        c.kind = streq (level, "red")? K_RED: K_YELLOW;
        int64_t deduction = 0;
        gl_get_i64 (b, "deduction", &deduction);
        c.deduction = deduction > 0 && deduction < 1000? (int32_t) deduction: 0;
    }
    else
    if (s_is (env->type, env->type_len, "notice"))
        c.kind = K_NOTICE;
    else
    if (wartime) {
        c.kind = K_WARTIME;
        c.stage = 0;            //  one mark per step, whatever the stage or the time
        c.unit [0] = 0;
        c.due = 0;
    }
    else
        return;
    //  One card per timer: a step's stage can be timed again (a failed verification restarts
    //  handling), and each timer fires its own cards, told apart by when they fell due. The
    //  same card again (a replay) is held already.
    for (size_t i = 0; i < f->ncards; i++)
        if (f->cards [i].step == c.step && f->cards [i].stage == c.stage
        &&  f->cards [i].kind == c.kind && f->cards [i].due == c.due)
            return;
    if (f->ncards < S_CARDS_MAX)
        f->cards [f->ncards++] = c;
}

int
mt_ledger_apply (gl_ctx_t *ctx, const gl_envelope_t *env)
{
    mt_state_t *self = gl_ctx_state (ctx);
    if (!env->id || env->id_len == 0 || env->id_len > GL_MAX_NAME)
        return 0;
    bool intake = s_is (env->src, env->src_len, "intake"),
         dispatcher = s_is (env->src, env->src_len, "dispatcher"),
         escalation = s_is (env->src, env->src_len, "escalation");
    if (!(intake && s_is (env->type, env->type_len, "event.reported"))
    &&  !(dispatcher && env->type_len > 6 && memcmp (env->type, "event.", 6) == 0)
    &&  !escalation)
        return 0;
    char id [GL_MAX_NAME + 1];
    snprintf (id, sizeof id, "%.*s", (int) env->id_len, env->id);
    if (!s_work)
        s_work = zmalloc (sizeof *s_work);
    s_facts_t *f = &s_work->facts;
    int rc = s_load (ctx, id, f);
    if (rc || f->ev.archived)
        return rc;              //  archived: its scores are frozen
    s_credits (f, self->utc_offset_min, &s_work->old);
    if (intake)
        s_reported (self, &f->ev, env->body, env->ts);
    else
    if (dispatcher)
        s_lifecycle (f, env->body, env->ts);
    else
        s_escalation (f, env);
    s_credits (f, self->utc_offset_min, &s_work->new);
    if ((rc = s_save (ctx, id, f)) == 0)
        rc = s_apply_difference (ctx, id, &s_work->old, &s_work->new);
    //  An event already archived returned above: this message archived it.
    if (rc == 0 && f->ev.archived) {
        gl_key_t k;
        gl_key_init (&k);
        gl_key_u64 (&k, (uint64_t) f->ev.archived_at);
        gl_key_raw (&k, id, strlen (id));
        rc = gl_db_put (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "archived"), k.bytes, k.len, "", 0,
                        0);
    }
    self->applied++;
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Why: the facts of each event behind a unit's counters.

typedef struct {
    gl_ctx_t *ctx;
    const char *period, *unit;
    bool wartime;
    gl_listw_t *list;
    size_t prefix_len;
} s_why_t;

static void
s_why_fact (s_why_t *w, const char *id, const s_credits_t *l, s_fact_t fact, uint32_t step)
{
    //  A fact may credit one counter more than once (a yellow and a red card of one step).
    int64_t sums [GL_C_COUNT] = { 0 };
    bool any = false;
    for (size_t i = 0; i < l->count; i++) {
        const s_credit_t *c = &l->items [i];
        if (c->fact != fact || c->step != step || !streq (c->period, w->period)
        ||  !streq (c->unit, w->unit) || c->wartime != w->wartime)
            continue;
        sums [c->counter] += c->n;
        any = true;
    }
    gl_mapw_t counters;
    gl_mapw_init (&counters);
    for (int i = 0; i < GL_C_COUNT; i++)
        if (sums [i])
            gl_mapw_i64 (&counters, gl_counter_name ((gl_counter_t) i), sums [i]);
    if (any) {
        gl_mapw_t item;
        gl_mapw_init (&item);
        gl_mapw_str (&item, "id", id);
        gl_mapw_u64 (&item, "step", step);
        gl_mapw_str (&item, "kind", fact == F_AREA? "area": fact == F_STEP? "step": "card");
        gl_mapw_map (&item, "counters", &counters);
        gl_listw_map (w->list, &item);
        gl_mapw_fini (&item);
    }
    gl_mapw_fini (&counters);
}

static int
s_why_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_why_t *w = arg;
    if (peek)
        return GL_ITEM_TAKE;
    char id [GL_MAX_NAME + 1];
    size_t len = key->mv_size - w->prefix_len;
    if (len == 0 || len > GL_MAX_NAME)
        return GL_ITEM_SKIP;
    memcpy (id, (const uint8_t *) key->mv_data + w->prefix_len, len);
    id [len] = 0;
    mt_state_t *self = gl_ctx_state (w->ctx);
    if (!s_work)
        s_work = zmalloc (sizeof *s_work);
    int rc = s_load (w->ctx, id, &s_work->facts);
    if (rc)
        return rc;
    s_credits (&s_work->facts, self->utc_offset_min, &s_work->new);
    s_why_fact (w, id, &s_work->new, F_AREA, 0);
    for (size_t i = 0; i < s_work->facts.nsteps; i++)
        s_why_fact (w, id, &s_work->new, F_STEP, s_work->facts.steps [i].step);
    for (size_t i = 0; i < s_work->facts.ncards; i++) {
        bool again = false;
        for (size_t j = 0; j < i; j++)
            again |= s_work->facts.cards [j].step == s_work->facts.cards [i].step;
        if (!again)
            s_why_fact (w, id, &s_work->new, F_CARD, s_work->facts.cards [i].step);
    }
    return GL_ITEM_TAKE;
}

int
mt_why (gl_ctx_t *ctx, const char *period, const char *unit, bool wartime, const char *after,
        size_t limit, gl_listw_t *list, char next [GL_MAX_NAME + 1])
{
    gl_key_t prefix, from;
    s_why_key (&prefix, period, unit, wartime, NULL);
    s_why_key (&from, period, unit, wartime, after);
    s_why_t w = { ctx, period, unit, wartime, list, prefix.len };
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len,
                         .from = *after? from.bytes: NULL, .from_len = from.len, .after = true,
                         .max_items = limit };
    gl_page_t page;
    int rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "why"), &range, s_why_item, &w,
                         &page);
    next [0] = 0;
    if (rc == 0 && page.more && page.last_len > prefix.len
    &&  page.last_len - prefix.len <= GL_MAX_NAME) {
        memcpy (next, page.last + prefix.len, page.last_len - prefix.len);
        next [page.last_len - prefix.len] = 0;
    }
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Retention.

typedef struct {
    gl_ctx_t *ctx;
} s_trim_t;

typedef struct {
    uint8_t keys [S_CARDS_MAX][GL_KEY_MAX];
    size_t lens [S_CARDS_MAX];
    size_t count;
} s_keys_t;

static int
s_key_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_keys_t *k = arg;
    if (peek)
        return GL_ITEM_TAKE;
    memcpy (k->keys [k->count], key->mv_data, key->mv_size);
    k->lens [k->count++] = key->mv_size;
    return GL_ITEM_TAKE;
}

//  An archived event's records go S_KEEP_DAYS after its archiving (its counters stay).
static int
s_forget_event (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_trim_t *t = arg;
    if (key->mv_size <= 8 || key->mv_size - 8 > GL_MAX_NAME)
        return 0;
    char id [GL_MAX_NAME + 1];
    memcpy (id, (const uint8_t *) key->mv_data + 8, key->mv_size - 8);
    id [key->mv_size - 8] = 0;
    MDB_txn *txn = gl_ctx_txn (t->ctx);
    gl_key_t prefix;
    gl_key_init (&prefix);
    gl_key_str (&prefix, id);
    const char *tables [] = { "steps", "cards" };
    int rc = gl_db_del (txn, gl_ctx_dbi (t->ctx, "events"), id, strlen (id));
    s_keys_t *keys = zmalloc (sizeof *keys);
    for (int i = 0; rc == 0 && i < 2; i++) {
        //  Collected, then deleted: deleting moves the pages being walked.
        MDB_dbi dbi = gl_ctx_dbi (t->ctx, tables [i]);
        gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len,
                             .max_items = S_CARDS_MAX };
        keys->count = 0;
        rc = gl_db_page (txn, dbi, &range, s_key_item, keys, NULL);
        for (size_t j = 0; rc == 0 && j < keys->count; j++)
            rc = gl_db_del (txn, dbi, keys->keys [j], keys->lens [j]);
    }
    free (keys);
    return rc;
}

//  A "live" key's day ("DYYYY-MM-DD…") in ms; the gauges ("now…") never expire.
static int64_t
s_day_stamp (const MDB_val *key, const MDB_val *val)
{
    int y, m, d;
    const char *k = key->mv_data;
    if (key->mv_size < 11 || k [0] != 'D' || sscanf (k + 1, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return INT64_MAX;
    return s_days_from_civil (y, m, d) * S_DAY_MS;
}

int
mt_ledger_housekeep (gl_ctx_t *ctx)
{
    s_trim_t t = { ctx };
    size_t deleted;
    gl_trim_t how = { .before = gl_ctx_now (ctx) - S_KEEP_DAYS * S_DAY_MS, .limit = S_TRIM_LIMIT,
                      .stamp = gl_stamp_key };
    int rc = gl_db_trim (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "archived"), &how, s_forget_event,
                         &t, &deleted);
    //  Day counters sort first in "live" ("D…" before "now"), oldest first.
    gl_trim_t days = { .before = gl_ctx_now (ctx) - S_DAY_KEEP * S_DAY_MS,
                       .limit = S_TRIM_LIMIT, .stamp = s_day_stamp };
    if (rc == 0)
        rc = gl_db_trim (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "live"), &days, NULL, NULL,
                         &deleted);
    return rc;
}

/*  search — the archive's `search` operation (proto/archive.md §3): events by any combination
    of dimensions, in event id order, page by page, with a count, read from the indexes that
    summary.c keeps.

    How a search runs: of the equality filters it has (and "closed" when it asks a closed-time
    range), the one whose index holds the fewest events drives the walk: its entries are read
    in id order from the cursor on, and each candidate's summary is checked against the other
    filters. With no equality filter the summary table itself drives (every event, in id
    order). A reported-time range bounds any walk by id as well, because an event id begins
    with the county-local date of its report: only the days of the range are read.

    Cursor paging is correct while events arrive: the cursor is the last event id the page
    read, the next page starts after it in the same order, and new events get higher ids, so a
    page boundary neither skips nor repeats an event. A page reads at most AR_SCAN_BUDGET
    candidates, so one request never holds the service for long; a page cut short by that
    bound has fewer events than asked (even none) and a non-nil next.  */
#include "archive_ops.h"
#include "summary.h"

#include <string.h>

//  Candidates one page may read: ~20 ms of summary reads, so a search that matches rarely
//  does not stall the batch it runs in; the client pages on.
#define AR_SCAN_BUDGET  20000
//  Candidates a count may read before it answers with a lower bound (count_exact false).
#define AR_COUNT_BUDGET 1000000

static const char *const s_states [] = { "REPORTED", "SELF_HANDLED", "FILED", "DISPATCHED",
    "IN_PROGRESS", "SUSPENDED", "HANDLED", "FEEDBACK", "CLOSED", "ARCHIVED", "CANCELLED", NULL };
static const char *const s_sanshi [] = { "major", "minor", "private", NULL };
static const char *const s_priorities [] = { "P1", "P2", "P3", "P4", NULL };
static const char *const s_yes_no [] = { "yes", "no", NULL };
static const char *const s_card_levels [] = { "yellow", "red", "any", NULL };
static const char *const s_channels [] = { "app", "hotline", "department", "sensor", "walkin",
    "cli", NULL };
static const char *const s_roles [] = { "grid_leader", "grid_worker", "grid_worker_part_time",
    "grid_instructor", "helper", "community_staff", "commander", "duty_officer", "board_lead",
    "board_staff", "department_staff", "mediator", "assessor", "resident", "enterprise",
    "department", "sensor", "hotline", NULL };

static const gl_field_t s_search_fields [] = {
    { .key = "unit", .type = GL_F_STR, .min = 1, .max = AR_UNIT_MAX,
      .hint = "a unit of the county at any tier the events touched or are held by, e.g. "
              "\"SJ-01-01\", \"SJ\", \"SJ-B4\", \"D-FIRE\"" },
    { .key = "holder", .type = GL_F_STR, .min = 1, .max = AR_UNIT_MAX,
      .hint = "the unit holding the events now, e.g. \"SJ-B3\"" },
    { .key = "state", .type = GL_F_STR, .choices = s_states, .hint = "a state, e.g. \"CLOSED\"" },
    { .key = "category", .type = GL_F_STR, .min = 5, .max = 5,
      .hint = "a category code \"LL.SS\" of the county, e.g. \"03.01\"" },
    { .key = "sanshi", .type = GL_F_STR, .choices = s_sanshi,
      .hint = "the 三事 type: major, minor or private" },
    { .key = "priority", .type = GL_F_STR, .choices = s_priorities, .hint = "P1 .. P4" },
    { .key = "channel", .type = GL_F_STR, .choices = s_channels,
      .hint = "how reports came in: app, hotline, department, sensor, walkin or cli" },
    { .key = "role", .type = GL_F_STR, .choices = s_roles,
      .hint = "the reporter's role, e.g. \"grid_worker\" or \"resident\"" },
    { .key = "source", .type = GL_F_STR, .min = 1, .max = AR_UNIT_MAX,
      .hint = "a departmental source id, e.g. \"hotline-12345\"" },
    { .key = "overdue", .type = GL_F_STR, .choices = s_yes_no,
      .hint = "yes: carded by escalation in the stage it is still in; no: not" },
    { .key = "card", .type = GL_F_STR, .choices = s_card_levels,
      .hint = "events that ever got a card: yellow, red or any" },
    { .key = "reported_from", .type = GL_F_INT, .min = 0, .max = INT64_MAX,
      .hint = "reported at or after this time, ms since 1970" },
    { .key = "reported_to", .type = GL_F_INT, .min = 1, .max = INT64_MAX,
      .hint = "reported before this time, ms since 1970" },
    { .key = "closed_from", .type = GL_F_INT, .min = 0, .max = INT64_MAX,
      .hint = "closed at or after this time, ms since 1970" },
    { .key = "closed_to", .type = GL_F_INT, .min = 1, .max = INT64_MAX,
      .hint = "closed before this time, ms since 1970" },
    { .key = "after", .type = GL_F_STR, .min = 1, .max = GL_MAX_NAME,
      .hint = "the cursor: the 'next' of the previous page of the same search" },
    { .key = "limit", .type = GL_F_UINT, .min = 1, .max = 1000,
      .hint = "events per page, 1 to 1000 (default 100)" },
    { .key = "count", .type = GL_F_BOOL, .hint = "true: also answer how many events match" },
};
const gl_schema_t ar_search_schema = GL_SCHEMA ("search", s_search_fields);

//  A search as checked: one value per equality dimension ("" when not asked).
typedef struct {
    const char *eq [16];        //  per ar_dims entry: the value asked, or NULL
    char unit [AR_UNIT_MAX + 1];    //  "unit" filter ("" none): touched, any tier
    char card [8];              //  "card" filter ("" none): yellow, red or any
    int64_t rep_from, rep_to;   //  reported range [from, to); to 0: no upper bound
    bool rep;                   //  a reported range was asked
    int64_t cl_from, cl_to;     //  closed range [from, to)
    bool closed;                //  a closed range was asked
    char lo [GL_MAX_NAME];      //  ids of the reported range begin at or after this
    char hi [GL_MAX_NAME];      //  … and their first hi_len bytes are at most this
    size_t hi_len;
} s_query_t;

//  A walk of the driving index.
typedef struct {
    gl_ctx_t *ctx;
    const s_query_t *q;
    MDB_dbi summary, index;
    size_t prefix_len;          //  bytes before the id in the driving index's keys
    bool on_summary;            //  the summary table drives (its values are the summaries)
    bool counting;              //  count only, nothing taken
    size_t budget;              //  most candidates read
    size_t examined;            //  candidates read
    uint64_t matched;           //  candidates that matched
    size_t limit, max_bytes;    //  page bounds
    gl_listw_t *list;           //  the page
    bool more, cut;             //  a match after the full page; stopped by the budget
    char last [GL_MAX_NAME + 1];    //  the last id taken
    char seen [GL_MAX_NAME + 1];    //  the last id read
} s_walk_t;

static bool
s_match (s_walk_t *w, const ar_summary_t *s, const char *id, size_t id_len)
{
    const s_query_t *q = w->q;
    for (size_t i = 0; i < ar_dim_count; i++)
        if (q->eq [i] && !streq ((const char *) s + ar_dims [i].offset, q->eq [i]))
            return false;
    if (q->rep && (s->reported_at < q->rep_from || (q->rep_to && s->reported_at >= q->rep_to)))
        return false;
    if (q->closed && (!s->closed_at || s->closed_at < q->cl_from
                  ||  (q->cl_to && s->closed_at >= q->cl_to)))
        return false;
    if ((streq (q->card, "yellow") && !s->yellow_cards)
    ||  (streq (q->card, "red") && !s->red_cards) || (streq (q->card, "any") && !s->cards))
        return false;
    if (*q->unit) {
        gl_key_t k;
        const void *val;
        size_t vlen;
        ar_index_key (&k, "unit", q->unit, strlen (q->unit), id, id_len);
        if (gl_db_get (gl_ctx_txn (w->ctx), w->index, k.bytes, k.len, &val, &vlen))
            return false;
    }
    return true;
}

static int
s_candidate (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_walk_t *w = arg;
    const char *id = (const char *) key->mv_data + w->prefix_len;
    size_t id_len = key->mv_size - w->prefix_len;
    if (id_len > GL_MAX_NAME)
        return GL_ITEM_SKIP;
    if (w->q->hi_len
    &&  memcmp (id, w->q->hi, id_len < w->q->hi_len? id_len: w->q->hi_len) > 0)
        return GL_ITEM_STOP;    //  past the last day of the reported range
    if (w->examined == w->budget) {
        w->cut = true;
        return GL_ITEM_STOP;
    }
    w->examined++;
    memcpy (w->seen, id, id_len);
    w->seen [id_len] = 0;
    const void *bytes = val->mv_data;
    size_t len = val->mv_size;
    int rc;
    if (!w->on_summary
    &&  (rc = gl_db_get (gl_ctx_txn (w->ctx), w->summary, id, id_len, &bytes, &len)))
        return rc == MDB_NOTFOUND? GL_ITEM_SKIP: rc;
    ar_summary_t s;
    if (ar_summary_decode (bytes, len, &s) || !s_match (w, &s, id, id_len))
        return GL_ITEM_SKIP;
    w->matched++;
    if (w->counting)
        return GL_ITEM_SKIP;
    if (w->list->count == w->limit || (w->list->count && w->list->items.size >= w->max_bytes)) {
        w->more = true;         //  a match after a full page: say there is more
        return GL_ITEM_STOP;
    }
    gl_sbuffer_write (&w->list->items, bytes, len);
    w->list->count++;
    memcpy (w->last, id, id_len);
    w->last [id_len] = 0;
    return GL_ITEM_TAKE;
}

//  Walk the driving index (dim = value, or the summary table when dim is NULL) from the
//  cursor (or the reported range's first day).
static int
s_walk (s_walk_t *w, const char *dim, const char *value, const char *after, size_t after_len)
{
    gl_key_t prefix, from;
    gl_key_init (&prefix);
    if (dim)
        ar_index_key (&prefix, dim, value, strlen (value), NULL, 0);
    w->prefix_len = prefix.len;
    w->on_summary = dim == NULL;
    from = prefix;
    bool exclusive = false;
    size_t lo_len = strlen (w->q->lo);
    int vs_lo = 0;            //  the cursor against the range's first day
    if (after && lo_len) {
        vs_lo = memcmp (after, w->q->lo, after_len < lo_len? after_len: lo_len);
        if (vs_lo == 0 && after_len < lo_len)
            vs_lo = -1;
    }
    if (after && vs_lo >= 0) {
        gl_key_raw (&from, after, after_len);
        exclusive = true;
    }
    else
    if (*w->q->lo)
        gl_key_raw (&from, w->q->lo, lo_len);
    gl_range_t range = { .prefix = prefix.len? prefix.bytes: NULL, .prefix_len = prefix.len,
                         .from = from.len? from.bytes: NULL, .from_len = from.len,
                         .after = exclusive };
    MDB_dbi dbi = dim? w->index: w->summary;
    return gl_db_page (gl_ctx_txn (w->ctx), dbi, &range, s_candidate, w, NULL);
}

static int
s_check_unit (gl_ctx_t *ctx, const char *key, const char *value, gl_err_t *err)
{
    if (!gl_org_unit (gl_ctx_org (ctx), value))
        return gl_fail (err, GL_INVALID, "search: %s '%s' is not a unit of the county (use a "
                        "unit id such as \"SJ-01-01\", \"SJ\" or \"D-FIRE\"; `gridloop org` "
                        "lists them)", key, value);
    return 0;
}

int
ar_op_search (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    s_query_t q;
    memset (&q, 0, sizeof q);
    char values [16][AR_UNIT_MAX + 1];
    for (size_t i = 0; i < ar_dim_count; i++)
        if (gl_get_strbuf (req, ar_dims [i].name, values [i], sizeof values [i]))
            q.eq [i] = values [i];
    gl_get_strbuf (req, "unit", q.unit, sizeof q.unit);
    gl_get_strbuf (req, "card", q.card, sizeof q.card);
    //  A unit's or department's certificate searches only the events its unit touched.
    const gl_caller_t *caller = gl_ctx_caller (ctx);
    if (!gl_sec_any_unit (caller)) {
        if (*q.unit && !streq (q.unit, caller->unit))
            return gl_fail (err, GL_FORBIDDEN, "your certificate %s is for %s: it searches only "
                            "the events %s touched, not %s's", caller->name, caller->unit,
                            caller->unit, q.unit);
        snprintf (q.unit, sizeof q.unit, "%s", caller->unit);
    }
    for (size_t i = 0; i < ar_dim_count; i++) {
        if (!q.eq [i])
            continue;
        if (streq (ar_dims [i].name, "holder")
        &&  s_check_unit (ctx, "holder", q.eq [i], err))
            return GL_REFUSED;
        if (streq (ar_dims [i].name, "category")
        &&  !gl_org_category (gl_ctx_org (ctx), q.eq [i]))
            return gl_fail (err, GL_INVALID, "search: category '%s' is not on the county's "
                            "list (`gridloop org --categories` lists the codes)", q.eq [i]);
    }
    if (*q.unit && s_check_unit (ctx, "unit", q.unit, err))
        return GL_REFUSED;
    q.rep = gl_get_i64 (req, "reported_from", &q.rep_from) | gl_get_i64 (req, "reported_to",
                                                                          &q.rep_to);
    q.closed = gl_get_i64 (req, "closed_from", &q.cl_from) | gl_get_i64 (req, "closed_to",
                                                                         &q.cl_to);
    if ((q.rep_to && q.rep_from >= q.rep_to) || (q.cl_to && q.cl_from >= q.cl_to))
        return gl_fail (err, GL_INVALID, "search: an empty time range (a '_from' must be "
                        "before its '_to'; '_to' is exclusive)");
    const gl_config_t *cfg = gl_ctx_config (ctx);
    if (q.rep) {
        //  Ids begin "<county>-<YYYYMMDD>-": the range's days bound the walk.
        char day [9];
        gl_clock_date (q.rep_from, (int) cfg->utc_offset_min, day);
        snprintf (q.lo, sizeof q.lo, "%s-%s", cfg->county_code, day);
        if (q.rep_to) {
            gl_clock_date (q.rep_to - 1, (int) cfg->utc_offset_min, day);
            snprintf (q.hi, sizeof q.hi, "%s-%s", cfg->county_code, day);
            q.hi_len = strlen (q.hi);
        }
    }
    const char *after = NULL;
    size_t after_len = 0;
    uint64_t limit = 100;
    bool count = false;
    gl_get_str (req, "after", &after, &after_len);
    gl_get_u64 (req, "limit", &limit);
    gl_get_bool (req, "count", &count);
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi summary = gl_ctx_dbi (ctx, "summary"), index = gl_ctx_dbi (ctx, "index"),
            counts = gl_ctx_dbi (ctx, "counts");
    int rc;
    if (after) {
        const void *val;
        size_t vlen;
        rc = gl_db_get (txn, summary, after, after_len, &val, &vlen);
        if (rc == MDB_NOTFOUND)
            return gl_fail (err, GL_INVALID, "search: bad cursor '%.*s': 'after' must be the "
                            "'next' of a previous page (an event id the archive holds)",
                            (int) after_len, after);
        if (rc)
            return rc;
    }
    //  The driving index: the equality filter with the fewest events.
    const char *dim = NULL, *value = NULL;
    uint64_t best = UINT64_MAX, n;
    size_t filters = 0;
    for (size_t i = 0; i < ar_dim_count; i++)
        if (q.eq [i]) {
            filters++;
            if ((rc = ar_index_count (txn, counts, ar_dims [i].name, q.eq [i],
                                      strlen (q.eq [i]), &n)))
                return rc;
            if (n < best)
                best = n, dim = ar_dims [i].name, value = q.eq [i];
        }
    //  The multi-valued dimensions, and closed events for a closed range.
    const char *more [][2] = { { "unit", q.unit }, { "card", q.card },
                               { "closed", q.closed? "yes": "" } };
    for (size_t i = 0; i < sizeof more / sizeof more [0]; i++)
        if (*more [i][1]) {
            filters++;
            if ((rc = ar_index_count (txn, counts, more [i][0], more [i][1],
                                      strlen (more [i][1]), &n)))
                return rc;
            if (n < best)
                best = n, dim = more [i][0], value = more [i][1];
        }
    gl_listw_t list;
    gl_listw_init (&list);
    size_t budget = (size_t) cfg->replay_kb << 10;
    if (budget > (size_t) cfg->max_msg_bytes / 2)
        budget = (size_t) cfg->max_msg_bytes / 2;
    s_walk_t w = { .ctx = ctx, .q = &q, .summary = summary, .index = index,
                   .budget = AR_SCAN_BUDGET, .limit = limit, .max_bytes = budget,
                   .list = &list };
    rc = s_walk (&w, dim, value, after, after_len);
    if (rc == 0) {
        gl_mapw_list (reply, "events", &list);
        if (w.more)
            gl_mapw_str (reply, "next", w.last);
        else
        if (w.cut)
            gl_mapw_str (reply, "next", w.seen);
        else
            gl_mapw_nil (reply, "next");
    }
    gl_listw_fini (&list);
    if (rc == 0 && count) {
        uint64_t total = 0;
        bool exact = true;
        if (filters == 1 && !q.rep && !q.closed)
            total = best;       //  one equality filter: its index's count is the answer
        else
        if (filters == 0 && !q.rep) {
            size_t entries, bytes;
            if ((rc = gl_db_size (txn, summary, &entries, &bytes)) == 0)
                total = entries;
        }
        else {
            s_walk_t c = { .ctx = ctx, .q = &q, .summary = summary, .index = index,
                           .budget = AR_COUNT_BUDGET, .counting = true };
            rc = s_walk (&c, dim, value, NULL, 0);
            total = c.matched;
            exact = !c.cut;
        }
        if (rc == 0) {
            gl_mapw_u64 (reply, "count", total);
            if (!exact)
                gl_mapw_bool (reply, "count_exact", false);
        }
    }
    return rc;
}

/*  rank — scores, rankings, published snapshots, manual points and the live figures
    (proto/metrics.md §3–5).

    Tables
    "snapshots": period, 0x00, group, 0x00, wartime (1), version (8, big-endian) -> the ranking
                 as `ranking` answers it; written once (MDB_NOOVERWRITE), never changed
    "versions":  period -> the latest version published (big-endian)
    "points":    period, 0x00, unit, 0x00, number (8, big-endian) -> {number, unit, period,
                 points, reason, by, at}
    "totals":    "points" -> manual points given; "published" -> snapshots published  */
#include "metrics.h"
#include "gl_domain.h"

#include <math.h>
#include <string.h>

#define S_POINTS_MAX    1000    //  manual points kept per unit and period: a handful a month
#define S_TOP           10      //  rows in a published message (the rest: `ranking`)

static const gl_unit_kind_t s_group_kinds [GL_G_COUNT] = {
    [GL_G_STREET] = GL_UNIT_STREET, [GL_G_COMMUNITY] = GL_UNIT_COMMUNITY,
    [GL_G_GRID] = GL_UNIT_GRID, [GL_G_CENTRE] = GL_UNIT_CENTRE, [GL_G_BOARD] = GL_UNIT_BOARD,
    [GL_G_DEPARTMENT] = GL_UNIT_DEPARTMENT, [GL_G_MEDIATION] = GL_UNIT_MEDIATION,
    [GL_G_WORKER] = GL_UNIT_KIND_COUNT,
};

//  Grid staff are scored as workers: they report, sign for and verify.
static bool
s_worker_role (gl_role_t role)
{
    return role == GL_ROLE_GRID_LEADER || role == GL_ROLE_GRID_WORKER
        || role == GL_ROLE_GRID_WORKER_PART_TIME;
}

int
mt_unit_group (mt_state_t *self, const char *id, gl_group_t *group, const char **name,
               const char **parent)
{
    const gl_unit_t *unit = gl_org_unit (self->org, id);
    *group = GL_G_COUNT;        //  known, not scored (the county, an office)
    if (unit) {
        *name = unit->name;
        *parent = unit->parent? unit->parent->id: "";
        for (int g = 0; g < GL_G_WORKER; g++)
            if (s_group_kinds [g] == unit->kind)
                *group = (gl_group_t) g;
        return 0;
    }
    const gl_person_t *person = gl_org_person (self->org, id);
    if (!person)
        return -1;
    *name = person->name;
    *parent = person->unit? person->unit->id: "";
    if (s_worker_role (person->role))
        *group = GL_G_WORKER;
    return 0;
}

static void
s_current_month (gl_ctx_t *ctx, char period [MT_PERIOD])
{
    mt_state_t *self = gl_ctx_state (ctx);
    mt_period_month (gl_ctx_now (ctx), self->utc_offset_min, period);
}

//  The request's period (default: the current month); refused when it is not one.
static int
s_period (gl_ctx_t *ctx, const msgpack_object *req, char period [MT_PERIOD], gl_err_t *err)
{
    if (!gl_get_strbuf (req, "period", period, MT_PERIOD)) {
        s_current_month (ctx, period);
        return 0;
    }
    if (mt_period_check (period))
        return gl_fail (err, GL_INVALID, "field 'period' is \"%s\": give a month \"2026-11\" or "
                        "an ISO week \"2026-W48\"", period);
    return 0;
}

static void
s_value (gl_mapw_t *w, const char *key, bool has, double value)
{
    if (has)
        gl_mapw_double (w, key, round (value * 100) / 100);
    else
        gl_mapw_nil (w, key);
}

//  ---------------------------------------------------------------------------------------------
//  score

static const gl_field_t s_score_fields [] = {
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = MT_ID_MAX,
      .hint = "a unit id such as \"SJ-B4\" or \"SJ-01-01\", or a person's staff id" },
    { .key = "period", .type = GL_F_STR, .min = 7, .max = 8,
      .hint = "a month \"2026-11\" or an ISO week \"2026-W48\"" },
    { .key = "wartime", .type = GL_F_BOOL, .hint = "true: wartime work, scored apart" },
};
static const gl_schema_t s_score_schema = GL_SCHEMA ("score", s_score_fields);

static int
s_unit (gl_ctx_t *ctx, const msgpack_object *req, char unit [MT_ID_MAX + 1], gl_group_t *group,
        const char **name, const char **parent, gl_err_t *err)
{
    mt_state_t *self = gl_ctx_state (ctx);
    gl_get_strbuf (req, "unit", unit, MT_ID_MAX + 1);
    if (mt_unit_group (self, unit, group, name, parent))
        return gl_fail (err, GL_NOT_FOUND, "field 'unit' is \"%s\": no unit or person of %s has "
                        "that id (`gridloop org` lists the units)", unit,
                        gl_org_county_name (self->org));
    return 0;
}

static int
s_op_score (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    mt_state_t *self = gl_ctx_state (ctx);
    char unit [MT_ID_MAX + 1], period [MT_PERIOD];
    gl_group_t group = GL_G_COUNT;
    const char *name, *parent;
    bool wartime = false;
    gl_get_bool (req, "wartime", &wartime);
    if (s_unit (ctx, req, unit, &group, &name, &parent, err) || s_period (ctx, req, period, err))
        return GL_REFUSED;
    int64_t c [GL_C_COUNT];
    int rc = mt_counters (ctx, period, unit, wartime, c);
    if (rc)
        return rc;
    gl_score_t s;
    gl_scores_compute (self->scores, group, c, &s);
    gl_mapw_str (reply, "unit", unit);
    gl_mapw_str (reply, "name", name);
    gl_mapw_str (reply, "kind", group == GL_G_WORKER? "worker":
                 gl_org_unit (self->org, unit)? gl_unit_kind_name (gl_org_unit (self->org, unit)->kind):
                 "person");
    if (group < GL_G_COUNT)
        gl_mapw_str (reply, "group", gl_group_name (group));
    else
        gl_mapw_nil (reply, "group");
    if (s.scored)
        gl_mapw_str (reply, "formula", s.formula);
    else
        gl_mapw_nil (reply, "formula");
    gl_mapw_str (reply, "period", period);
    gl_mapw_bool (reply, "wartime", wartime);
    gl_mapw_t counters;
    gl_mapw_init (&counters);
    for (int i = 0; i < GL_C_COUNT; i++)
        gl_mapw_i64 (&counters, gl_counter_name ((gl_counter_t) i), c [i]);
    gl_mapw_map (reply, "counters", &counters);
    gl_mapw_fini (&counters);
    gl_listw_t rates;
    gl_listw_init (&rates);
    for (int r = 0; r < GL_R_COUNT; r++) {
        int64_t num, den;
        double value;
        bool has = gl_rate_value ((gl_rate_t) r, c, &num, &den, &value);
        gl_mapw_t item;
        gl_mapw_init (&item);
        gl_mapw_str (&item, "rate", gl_rate_name ((gl_rate_t) r));
        gl_mapw_i64 (&item, "num", num);
        gl_mapw_i64 (&item, "den", den);
        s_value (&item, "value", has, value);
        gl_mapw_double (&item, "weight", gl_scores_weight (self->scores, group, (gl_rate_t) r));
        gl_listw_map (&rates, &item);
        gl_mapw_fini (&item);
    }
    gl_mapw_list (reply, "rates", &rates);
    gl_listw_fini (&rates);
    s_value (reply, "weighted", s.has_value, s.weighted);
    gl_mapw_i64 (reply, "yellow_cards", c [GL_C_YELLOW_CARDS]);
    gl_mapw_i64 (reply, "red_cards", c [GL_C_RED_CARDS]);
    gl_mapw_i64 (reply, "deduction", c [GL_C_DEDUCTION]);
    gl_mapw_i64 (reply, "points", c [GL_C_POINTS]);
    s_value (reply, "score", s.has_value, s.score);
    gl_mapw_str (reply, "grade", s.grade);
    gl_mapw_i64 (reply, "items", s.items);
    gl_mapw_bool (reply, "ranked", s.ranked);
    gl_mapw_i64 (reply, "min_items", gl_scores_min_items (self->scores));
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  why

static const gl_field_t s_why_fields [] = {
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = MT_ID_MAX,
      .hint = "a unit id such as \"SJ-B4\", or a person's staff id" },
    { .key = "period", .type = GL_F_STR, .min = 7, .max = 8,
      .hint = "a month \"2026-11\" or an ISO week \"2026-W48\"" },
    { .key = "wartime", .type = GL_F_BOOL, .hint = "true: wartime work" },
    { .key = "after", .type = GL_F_STR, .min = 1, .max = GL_MAX_NAME,
      .hint = "the 'next' of the previous page" },
    { .key = "limit", .type = GL_F_UINT, .min = 1, .max = 500,
      .hint = "events per page, 1 to 500 (default 100)" },
};
static const gl_schema_t s_why_schema = GL_SCHEMA ("why", s_why_fields);

static void
s_points_key (gl_key_t *k, const char *period, const char *unit, uint64_t number)
{
    gl_key_init (k);
    gl_key_str (k, period);
    gl_key_str (k, unit);
    if (number)
        gl_key_u64 (k, number);
}

static int
s_op_why (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    char unit [MT_ID_MAX + 1], period [MT_PERIOD], after [GL_MAX_NAME + 1] = "",
         next [GL_MAX_NAME + 1];
    gl_group_t group = GL_G_COUNT;
    const char *name, *parent;
    bool wartime = false;
    uint64_t limit = 100;
    gl_get_bool (req, "wartime", &wartime);
    gl_get_strbuf (req, "after", after, sizeof after);
    gl_get_u64 (req, "limit", &limit);
    if (s_unit (ctx, req, unit, &group, &name, &parent, err) || s_period (ctx, req, period, err))
        return GL_REFUSED;
    gl_listw_t facts, points;
    gl_listw_init (&facts);
    gl_listw_init (&points);
    int rc = mt_why (ctx, period, unit, wartime, after, limit, &facts, next);
    if (rc == 0 && !*after && !wartime) {
        //  Manual points, on the first page: each with its reason and author.
        gl_key_t prefix;
        s_points_key (&prefix, period, unit, 0);
        gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len,
                             .max_items = S_POINTS_MAX };
        rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "points"), &range, gl_db_list_item,
                         &points, NULL);
    }
    if (rc == 0) {
        gl_mapw_str (reply, "unit", unit);
        gl_mapw_str (reply, "period", period);
        gl_mapw_list (reply, "facts", &facts);
        gl_mapw_list (reply, "points", &points);
        if (*next)
            gl_mapw_str (reply, "next", next);
        else
            gl_mapw_nil (reply, "next");
    }
    gl_listw_fini (&facts);
    gl_listw_fini (&points);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Rankings.

typedef struct {
    const char *id, *name, *parent;
    gl_score_t s;
    int64_t yellow, red, points, notices;
} s_row_t;

static int
s_row_cmp (const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    bool xr = x->s.ranked && x->s.has_value, yr = y->s.ranked && y->s.has_value;
    if (xr != yr)
        return xr? -1: 1;
    if (xr && x->s.score != y->s.score)
        return x->s.score > y->s.score? -1: 1;
    return strcmp (x->id, y->id);
}

//  The ranking of a group in a period, computed now, into w (the `ranking` reply's fields
//  rows, red, black, floor).
static int
s_rank (gl_ctx_t *ctx, gl_group_t group, const char *period, bool wartime, gl_mapw_t *w)
{
    mt_state_t *self = gl_ctx_state (ctx);
    size_t max = group == GL_G_WORKER? gl_org_person_count (self->org, GL_ROLE_ANY):
                 gl_org_unit_count (self->org, s_group_kinds [group]);
    s_row_t *rows = zmalloc ((max + 1) * sizeof *rows);
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && n < max; i++) {
        const char *id, *name, *parent;
        if (group == GL_G_WORKER) {
            const gl_person_t *p = gl_org_person_at (self->org, i);
            if (!p)
                break;
            if (!s_worker_role (p->role))
                continue;
            id = p->id, name = p->name, parent = p->unit? p->unit->id: "";
        }
        else {
            const gl_unit_t *u = gl_org_unit_at (self->org, i);
            if (!u)
                break;
            if (u->kind != s_group_kinds [group])
                continue;
            id = u->id, name = u->name, parent = u->parent? u->parent->id: "";
        }
        int64_t c [GL_C_COUNT];
        if ((rc = mt_counters (ctx, period, id, wartime, c)))
            break;
        s_row_t *r = &rows [n++];
        r->id = id, r->name = name, r->parent = parent;
        gl_scores_compute (self->scores, group, c, &r->s);
        r->yellow = c [GL_C_YELLOW_CARDS];
        r->red = c [GL_C_RED_CARDS];
        r->points = c [GL_C_POINTS];
        r->notices = c [GL_C_NOTICES];
    }
    if (rc) {
        free (rows);
        return rc;
    }
    qsort (rows, n, sizeof *rows, s_row_cmp);
    size_t ranked = 0;
    while (ranked < n && rows [ranked].s.ranked && rows [ranked].s.has_value)
        ranked++;
    gl_listw_t list, red, black;
    gl_listw_init (&list);
    gl_listw_init (&red);
    gl_listw_init (&black);
    size_t red_k = (size_t) gl_scores_red_k (self->scores),
           black_k = (size_t) gl_scores_black_k (self->scores);
    for (size_t i = 0; i < n; i++) {
        s_row_t *r = &rows [i];
        gl_mapw_t item;
        gl_mapw_init (&item);
        if (i < ranked)
            gl_mapw_u64 (&item, "rank", i + 1);
        else
            gl_mapw_nil (&item, "rank");
        gl_mapw_str (&item, "unit", r->id);
        gl_mapw_str (&item, "name", r->name);
        gl_mapw_str (&item, "parent", r->parent);
        s_value (&item, "score", r->s.has_value, r->s.score);
        gl_mapw_str (&item, "grade", r->s.grade);
        gl_mapw_i64 (&item, "items", r->s.items);
        gl_mapw_i64 (&item, "yellow_cards", r->yellow);
        gl_mapw_i64 (&item, "red_cards", r->red);
        gl_mapw_i64 (&item, "points", r->points);
        gl_mapw_i64 (&item, "notices", r->notices);
        gl_listw_map (&list, &item);
        gl_mapw_fini (&item);
        //  Red: the top k ranked. Black: the bottom k ranked that are not red (a group of few
        //  units is not listed twice over), and anyone with items below the floor, red or not.
        bool is_red = i < ranked && i < red_k;
        if (is_red)
            gl_listw_str (&red, r->id);
        if ((!is_red && i < ranked && i + black_k >= ranked)
        ||  (r->s.below_floor && r->s.items > 0))
            gl_listw_str (&black, r->id);
    }
    gl_mapw_list (w, "rows", &list);
    gl_mapw_list (w, "red", &red);
    gl_mapw_list (w, "black", &black);
    gl_mapw_t floor;
    gl_mapw_init (&floor);
    double below;
    gl_rate_t rate = gl_scores_floor (self->scores, &below);
    gl_mapw_str (&floor, "rate", gl_rate_name (rate));
    gl_mapw_double (&floor, "below", below);
    gl_mapw_map (w, "floor", &floor);
    gl_mapw_fini (&floor);
    gl_listw_fini (&list);
    gl_listw_fini (&red);
    gl_listw_fini (&black);
    free (rows);
    return 0;
}

static void
s_snapshot_key (gl_key_t *k, const char *period, gl_group_t group, bool wartime,
                uint64_t version)
{
    gl_key_init (k);
    gl_key_str (k, period);
    gl_key_str (k, gl_group_name (group));
    uint8_t w = wartime;
    gl_key_raw (k, &w, 1);
    gl_key_u64 (k, version);
}

static const gl_field_t s_ranking_fields [] = {
    { .key = "group", .type = GL_F_STR, .required = true, .min = 1, .max = 16,
      .hint = "a peer group: street, community, grid, centre, board, department, mediation or "
              "worker" },
    { .key = "period", .type = GL_F_STR, .min = 7, .max = 8,
      .hint = "a month \"2026-11\" or an ISO week \"2026-W48\"" },
    { .key = "wartime", .type = GL_F_BOOL, .hint = "true: wartime work, ranked apart" },
    { .key = "version", .type = GL_F_UINT, .min = 1, .max = 1000000,
      .hint = "a published version (absent: computed now)" },
};
static const gl_schema_t s_ranking_schema = GL_SCHEMA ("ranking", s_ranking_fields);

static int
s_group (const msgpack_object *req, gl_group_t *group, gl_err_t *err)
{
    char name [17] = "";
    gl_get_strbuf (req, "group", name, sizeof name);
    int g = gl_group_lookup (name);
    if (g < 0)
        return gl_fail (err, GL_INVALID, "field 'group' is \"%s\": give a peer group, one of "
                        "street, community, grid, centre, board, department, mediation, worker",
                        name);
    *group = (gl_group_t) g;
    return 0;
}

static int
s_op_ranking (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    char period [MT_PERIOD];
    gl_group_t group = GL_G_COUNT;
    bool wartime = false;
    uint64_t version = 0, latest = 0;
    gl_get_bool (req, "wartime", &wartime);
    gl_get_u64 (req, "version", &version);
    if (s_group (req, &group, err) || s_period (ctx, req, period, err))
        return GL_REFUSED;
    MDB_txn *txn = gl_ctx_txn (ctx);
    int rc = gl_db_get_u64 (txn, gl_ctx_dbi (ctx, "versions"), period, strlen (period), &latest);
    if (rc)
        return rc;
    if (version) {
        gl_key_t k;
        s_snapshot_key (&k, period, group, wartime, version);
        const void *val;
        size_t vlen;
        rc = gl_db_get (txn, gl_ctx_dbi (ctx, "snapshots"), k.bytes, k.len, &val, &vlen);
        if (rc == MDB_NOTFOUND)
            return gl_fail (err, GL_NOT_FOUND, "no version %llu of the %s ranking for %s has been "
                            "published (the latest is %llu; `gridloop publish` publishes one)",
                            (unsigned long long) version, gl_group_name (group), period,
                            (unsigned long long) latest);
        if (rc)
            return rc;
        //  The snapshot as it was published, field by field.
        gl_doc_t doc;
        gl_err_t perr;
        if (gl_doc_parse (&doc, val, vlen, &perr) == 0 && doc.root.type == MSGPACK_OBJECT_MAP)
            for (uint32_t i = 0; i < doc.root.via.map.size; i++) {
                const msgpack_object_kv *kv = &doc.root.via.map.ptr [i];
                char key [32];
                if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size < sizeof key) {
                    memcpy (key, kv->key.via.str.ptr, kv->key.via.str.size);
                    key [kv->key.via.str.size] = 0;
                    gl_mapw_obj (reply, key, &kv->val);
                }
            }
        gl_doc_fini (&doc);
        gl_mapw_u64 (reply, "latest_version", latest);
        return 0;
    }
    gl_mapw_str (reply, "group", gl_group_name (group));
    gl_mapw_str (reply, "period", period);
    gl_mapw_bool (reply, "wartime", wartime);
    gl_mapw_nil (reply, "version");
    if (latest)
        gl_mapw_u64 (reply, "latest_version", latest);
    else
        gl_mapw_nil (reply, "latest_version");
    return s_rank (ctx, group, period, wartime, reply);
}

//  ---------------------------------------------------------------------------------------------
//  publish and points: the county's assessment office or its centre.

static const gl_field_t s_actor_fields [] = {
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = 32,
      .hint = "\"CTY-ASSESS\" (the assessment office) or \"CTY-C\" (the county centre)" },
    { .key = "person", .type = GL_F_STR, .required = true, .min = 1, .max = 64,
      .hint = "the acting person's staff id, e.g. \"CY-0005\"" },
};
static const gl_schema_t s_actor_schema = GL_SCHEMA ("actor", s_actor_fields);

//  Who may publish and give points: a person on the staff of the county's assessment office
//  (an office at county level) or of the county centre.
static int
s_authorised (gl_ctx_t *ctx, const msgpack_object *req, char unit [33], char person [65],
              gl_err_t *err)
{
    mt_state_t *self = gl_ctx_state (ctx);
    const msgpack_object *actor = gl_map_get (req, "actor");
    gl_get_strbuf (actor, "unit", unit, 33);
    gl_get_strbuf (actor, "person", person, 65);
    const gl_unit_t *u = gl_org_unit (self->org, unit);
    const gl_person_t *p = gl_org_person (self->org, person);
    bool office = u && u->level == GL_LEVEL_COUNTY
               && (u->kind == GL_UNIT_OFFICE || u->kind == GL_UNIT_CENTRE);
    if (!office)
        return gl_fail (err, GL_FORBIDDEN, "only the county's assessment office (CTY-ASSESS) or "
                        "the county centre (CTY-C) publishes rankings and gives points; %s is "
                        "not one of them", unit);
    if (!p || p->unit != u)
        return gl_fail (err, GL_FORBIDDEN, "actor.person \"%s\" is not on the staff of %s "
                        "(`gridloop org %s` lists its people)", person, unit, unit);
    return 0;
}

//  Who published or gave points, as stored and published: {unit, person}.
static void
s_put_by (gl_mapw_t *w, const char *key, const char *unit, const char *person)
{
    gl_mapw_t by;
    gl_mapw_init (&by);
    gl_mapw_str (&by, "unit", unit);
    gl_mapw_str (&by, "person", person);
    gl_mapw_map (w, key, &by);
    gl_mapw_fini (&by);
}

static const gl_field_t s_publish_fields [] = {
    { .key = "period", .type = GL_F_STR, .required = true, .min = 7, .max = 8,
      .hint = "a month \"2026-11\" or an ISO week \"2026-W48\"" },
    { .key = "actor", .type = GL_F_MAP, .required = true, .sub = &s_actor_schema,
      .hint = "who publishes: {unit: \"CTY-ASSESS\", person: \"CY-0005\"}" },
    { .key = "reason", .type = GL_F_STR, .min = 1, .max = 500,
      .hint = "why; a correction names what it corrects" },
};
static const gl_schema_t s_publish_schema = GL_SCHEMA ("publish", s_publish_fields);

static int
s_op_publish (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    char period [MT_PERIOD], unit [33], person [65], reason [501] = "";
    if (s_period (ctx, req, period, err) || s_authorised (ctx, req, unit, person, err))
        return GL_REFUSED;
    gl_get_strbuf (req, "reason", reason, sizeof reason);
    MDB_txn *txn = gl_ctx_txn (ctx);
    uint64_t version;
    int rc = gl_db_add_u64 (txn, gl_ctx_dbi (ctx, "versions"), period, strlen (period), 1,
                            &version);
    int64_t now = gl_ctx_now (ctx);
    for (int g = 0; rc == 0 && g < GL_G_COUNT; g++)
        for (int w = 0; rc == 0 && w < 2; w++) {
            gl_mapw_t snap;
            gl_mapw_init (&snap);
            gl_mapw_str (&snap, "group", gl_group_name ((gl_group_t) g));
            gl_mapw_str (&snap, "period", period);
            gl_mapw_bool (&snap, "wartime", w);
            gl_mapw_u64 (&snap, "version", version);
            gl_mapw_i64 (&snap, "published_at", now);
            s_put_by (&snap, "published_by", unit, person);
            if (*reason)
                gl_mapw_str (&snap, "reason", reason);
            rc = s_rank (ctx, (gl_group_t) g, period, w, &snap);
            msgpack_sbuffer out;
            gl_mapw_finish (&snap, &out);
            gl_mapw_fini (&snap);
            gl_key_t k;
            s_snapshot_key (&k, period, (gl_group_t) g, w, version);
            if (rc == 0)
                rc = gl_db_put (txn, gl_ctx_dbi (ctx, "snapshots"), k.bytes, k.len, out.data,
                                out.size, MDB_NOOVERWRITE);
            //  The message: the lists and the first rows (the whole: `ranking` with version).
            if (rc == 0 && !w) {
                gl_doc_t doc;
                gl_err_t perr;
                if (gl_doc_parse (&doc, out.data, out.size, &perr) == 0) {
                    gl_mapw_t body;
                    gl_mapw_init (&body);
                    gl_mapw_str (&body, "period", period);
                    gl_mapw_u64 (&body, "version", version);
                    gl_mapw_bool (&body, "wartime", false);
                    gl_mapw_i64 (&body, "published_at", now);
                    gl_mapw_obj (&body, "by", gl_map_get (&doc.root, "published_by"));
                    gl_mapw_obj (&body, "red", gl_map_get (&doc.root, "red"));
                    gl_mapw_obj (&body, "black", gl_map_get (&doc.root, "black"));
                    const msgpack_object *rows = gl_map_get (&doc.root, "rows");
                    msgpack_object top = *rows;
                    if (top.type == MSGPACK_OBJECT_ARRAY && top.via.array.size > S_TOP)
                        top.via.array.size = S_TOP;
                    gl_mapw_obj (&body, "top", &top);
                    rc = gl_ctx_emit_map (ctx, "ranking", gl_group_name ((gl_group_t) g), NULL,
                                          &body);
                    gl_mapw_fini (&body);
                }
                gl_doc_fini (&doc);
            }
            msgpack_sbuffer_destroy (&out);
        }
    if (rc == 0)
        rc = gl_db_add_u64 (txn, gl_ctx_dbi (ctx, "totals"), "published", 9, 1, NULL);
    if (rc == 0) {
        gl_mapw_str (reply, "period", period);
        gl_mapw_u64 (reply, "version", version);
        gl_mapw_u64 (reply, "groups", GL_G_COUNT);
    }
    return rc;
}

static int
s_take (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    return GL_ITEM_TAKE;
}

static const gl_field_t s_points_fields [] = {
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = MT_ID_MAX,
      .hint = "the unit or person, e.g. \"SJ-B4\"" },
    { .key = "period", .type = GL_F_STR, .min = 7, .max = 8,
      .hint = "a month \"2026-11\" or an ISO week \"2026-W48\"" },
    { .key = "points", .type = GL_F_INT, .required = true, .min = -100, .max = 100,
      .hint = "points added to the score, -100 to 100, not 0" },
    { .key = "reason", .type = GL_F_STR, .required = true, .min = 1, .max = 500,
      .hint = "why, shown with the score" },
    { .key = "actor", .type = GL_F_MAP, .required = true, .sub = &s_actor_schema,
      .hint = "who gives them: {unit: \"CTY-ASSESS\", person: \"CY-0005\"}" },
};
static const gl_schema_t s_points_schema = GL_SCHEMA ("points", s_points_fields);

static int
s_op_points (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    char unit [MT_ID_MAX + 1], period [MT_PERIOD], by_unit [33], person [65], reason [501] = "";
    gl_group_t group = GL_G_COUNT;
    const char *name, *parent;
    int64_t points = 0;
    gl_get_i64 (req, "points", &points);
    gl_get_strbuf (req, "reason", reason, sizeof reason);
    if (s_unit (ctx, req, unit, &group, &name, &parent, err) || s_period (ctx, req, period, err)
    ||  s_authorised (ctx, req, by_unit, person, err))
        return GL_REFUSED;
    if (points == 0)
        return gl_fail (err, GL_INVALID, "field 'points' is 0: give the points to add (1 to 100) "
                        "or take away (-1 to -100)");
    MDB_txn *txn = gl_ctx_txn (ctx);
    gl_key_t prefix;
    s_points_key (&prefix, period, unit, 0);
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len,
                         .max_items = S_POINTS_MAX };
    gl_page_t page;
    int rc = gl_db_page (txn, gl_ctx_dbi (ctx, "points"), &range, s_take, NULL, &page);
    if (rc)
        return rc;
    if (page.count >= S_POINTS_MAX)
        return gl_fail (err, GL_CONFLICT, "%s already has %d manual points for %s: no more can "
                        "be given", unit, S_POINTS_MAX, period);
    uint64_t number;
    if ((rc = gl_db_add_u64 (txn, gl_ctx_dbi (ctx, "totals"), "points", 6, 1, &number)))
        return rc;
    gl_mapw_t rec;
    gl_mapw_init (&rec);
    gl_mapw_u64 (&rec, "number", number);
    gl_mapw_str (&rec, "unit", unit);
    gl_mapw_str (&rec, "period", period);
    gl_mapw_i64 (&rec, "points", points);
    gl_mapw_str (&rec, "reason", reason);
    s_put_by (&rec, "by", by_unit, person);
    gl_mapw_i64 (&rec, "at", gl_ctx_now (ctx));
    msgpack_sbuffer out;
    gl_mapw_finish (&rec, &out);
    gl_key_t k;
    s_points_key (&k, period, unit, number);
    rc = gl_db_put (txn, gl_ctx_dbi (ctx, "points"), k.bytes, k.len, out.data, out.size, 0);
    if (rc == 0)
        rc = mt_count (ctx, period, unit, false, GL_C_POINTS, points);
    if (rc == 0)
        rc = gl_ctx_emit_map (ctx, "points", unit, NULL, &rec);
    msgpack_sbuffer_destroy (&out);
    gl_mapw_fini (&rec);
    if (rc == 0) {
        gl_mapw_str (reply, "unit", unit);
        gl_mapw_str (reply, "period", period);
        gl_mapw_u64 (reply, "number", number);
    }
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  The live figures.

//  One row: today's counts, the gauges, this month's rates (peace and war together).
static int
s_live_row (gl_ctx_t *ctx, const char *unit, const char *name, bool area, const char *today,
            const char *month, gl_mapw_t *row)
{
    int64_t day [2][GL_C_COUNT], now [GL_C_COUNT], c [GL_C_COUNT], w [GL_C_COUNT];
    int rc = mt_counters (ctx, today, unit, false, day [0]);
    if (rc == 0)
        rc = mt_counters (ctx, "now", unit, false, now);
    if (rc == 0)
        rc = mt_counters (ctx, month, unit, false, c);
    if (rc == 0)
        rc = mt_counters (ctx, month, unit, true, w);
    if (rc)
        return rc;
    for (int i = 0; i < GL_C_COUNT; i++)
        c [i] += w [i];
    gl_mapw_str (row, "unit", unit);
    gl_mapw_str (row, "name", name);
    gl_mapw_i64 (row, "reported_today", day [0][GL_C_REPORTED]);
    gl_mapw_i64 (row, "closed_today", day [0][GL_C_CLOSED]);
    gl_mapw_i64 (row, "open", now [MT_OPEN]);
    gl_mapw_i64 (row, "overdue", now [MT_OVERDUE]);
    const gl_rate_t rates [3][2] = {
        { GL_R_RESPONSE, GL_R_RESPONSE }, { GL_R_AREA_ON_TIME, GL_R_ON_TIME },
        { GL_R_AREA_SATISFACTION, GL_R_SATISFACTION },
    };
    const char *names [3] = { "response", "on_time", "satisfaction" };
    for (int r = 0; r < 3; r++) {
        int64_t num, den;
        double value;
        bool has = gl_rate_value (rates [r][area? 0: 1], c, &num, &den, &value);
        s_value (row, names [r], has, value);
    }
    return 0;
}

int
mt_live_figures (gl_ctx_t *ctx, gl_mapw_t *w)
{
    mt_state_t *self = gl_ctx_state (ctx);
    int64_t now = gl_ctx_now (ctx);
    char today [MT_PERIOD], month [MT_PERIOD];
    mt_period_day (now, self->utc_offset_min, today);
    mt_period_month (now, self->utc_offset_min, month);
    gl_mapw_i64 (w, "at", now);
    gl_mapw_str (w, "day", today + 1);
    gl_mapw_str (w, "period", month);
    gl_mapw_t county;
    gl_mapw_init (&county);
    int rc = s_live_row (ctx, "CTY", gl_org_county_name (self->org), true, today, month, &county);
    gl_mapw_map (w, "county", &county);
    gl_mapw_fini (&county);
    const gl_unit_kind_t kinds [2] = { GL_UNIT_STREET, GL_UNIT_DEPARTMENT };
    const char *keys [2] = { "streets", "departments" };
    for (int k = 0; rc == 0 && k < 2; k++) {
        gl_listw_t list;
        gl_listw_init (&list);
        for (size_t i = 0; rc == 0; i++) {
            const gl_unit_t *u = gl_org_unit_at (self->org, i);
            if (!u)
                break;
            if (u->kind != kinds [k])
                continue;
            gl_mapw_t row;
            gl_mapw_init (&row);
            rc = s_live_row (ctx, u->id, u->name, k == 0, today, month, &row);
            gl_listw_map (&list, &row);
            gl_mapw_fini (&row);
        }
        gl_mapw_list (w, keys [k], &list);
        gl_listw_fini (&list);
    }
    return rc;
}

static int
s_op_figures (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    return mt_live_figures (ctx, reply);
}

const gl_op_t mt_rank_ops [MT_RANK_OP_COUNT] = {
    { .name = "score", .fn = s_op_score, .schema = &s_score_schema },
    { .name = "why", .fn = s_op_why, .schema = &s_why_schema, .paged = true },
    { .name = "ranking", .fn = s_op_ranking, .schema = &s_ranking_schema, .paged = true },
    { .name = "figures", .fn = s_op_figures },
    { .name = "publish", .fn = s_op_publish, .mutating = true, .schema = &s_publish_schema },
    { .name = "points", .fn = s_op_points, .mutating = true, .schema = &s_points_schema },
};

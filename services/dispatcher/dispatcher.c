/*  dispatcher — the event's whole life (proto/dispatcher.md). This file is the service: new
    events taken from intake's stream and filed, the read-only queries (get, queue, describe),
    and the service's table. The record is in event.c, who may act and routing in rules.c, the
    lifecycle operations in operations.c (dispatcher_internal.h lists them).  */
#include "dispatcher_internal.h"

#include <string.h>

static int
s_reported (gl_ctx_t *ctx, const gl_envelope_t *env)
{
    dsp_t *self = gl_ctx_state (ctx);
    if (!env->id)
        return GL_REFUSED;
    dsp_event_t ev;
    char id [GL_MAX_NAME + 1];
    snprintf (id, sizeof id, "%.*s", (int) env->id_len, env->id);
    int rc = dsp_event_load (ctx, id, &ev);
    if (rc == 0)
        return 0;                       //  already known
    if (rc != MDB_NOTFOUND)
        return rc;
    memset (&ev, 0, sizeof ev);
    snprintf (ev.id, sizeof ev.id, "%s", id);
    const msgpack_object *body = env->body, *triage = gl_map_get (body, "triage");
    gl_get_strbuf (body, "category", ev.category, sizeof ev.category);
    gl_get_strbuf (body, "grid", ev.grid, sizeof ev.grid);
    gl_get_strbuf (gl_map_get (body, "reporter"), "role", ev.reporter_role,
                   sizeof ev.reporter_role);
    gl_get_strbuf (gl_map_get (body, "reporter"), "id", ev.reporter_id, sizeof ev.reporter_id);
    gl_get_strbuf (body, "channel", ev.channel, sizeof ev.channel);
    gl_get_strbuf (triage, "community", ev.community, sizeof ev.community);
    gl_get_strbuf (triage, "street", ev.street, sizeof ev.street);
    gl_get_strbuf (triage, "sanshi", ev.sanshi, sizeof ev.sanshi);
    gl_get_strbuf (triage, "priority", ev.priority, sizeof ev.priority);
    gl_get_strbuf (triage, "board", ev.board, sizeof ev.board);
    gl_get_strbuf (triage, "county_handler", ev.county_handler, sizeof ev.county_handler);
    gl_get_bool (triage, "dispute", &ev.dispute);
    if (!gl_org_unit (self->org, ev.grid) || !gl_org_category (self->org, ev.category)
    ||  !ev.street [0]) {
        gl_log_warning ("event %s names a grid or category this county does not have", id);
        return GL_REFUSED;
    }
    ev.created_at = gl_ctx_now (ctx);
    bool on_site = false;
    gl_get_bool (body, "handled_on_site", &on_site);
    gl_mapw_t extra;
    gl_mapw_init (&extra);
    const char *action;
    if (on_site) {
        //  Waits for the grid leader to confirm the handling on the spot.
        ev.state = GL_EV_SELF_HANDLED;
        snprintf (ev.unit, sizeof ev.unit, "%s", ev.grid);
        action = "self_handled";
    }
    else
    if (streq (ev.reporter_role, "resident") || streq (ev.reporter_role, "enterprise")
    ||  streq (ev.reporter_role, "hotline")) {
        //  Residents' reports are accepted (受理) by the community before they are filed.
        ev.state = GL_EV_REPORTED;
        snprintf (ev.unit, sizeof ev.unit, "%s", ev.community);
        action = "reported";
    }
    else {
        ev.state = GL_EV_FILED;
        const gl_unit_t *centre = dsp_centre (ctx, &ev);
        snprintf (ev.unit, sizeof ev.unit, "%s", centre? centre->id: ev.street);
        action = "filed";
        if (triage)
            gl_mapw_obj (&extra, "triage", triage);
    }
    rc = dsp_event_save (ctx, &ev, NULL);
    if (rc == 0)
        rc = dsp_publish (ctx, &ev, action, "auto", NULL, &extra);
    gl_mapw_fini (&extra);
    if (rc || ev.state != GL_EV_FILED)
        return rc;
    return dsp_route_filed (ctx, &ev, "auto");
}

static int
s_consume (gl_ctx_t *ctx, const char *topic, const gl_envelope_t *env)
{
    if (env->src_len == 6 && memcmp (env->src, "intake", 6) == 0
    &&  gl_envelope_is (env, "event.reported"))
        return s_reported (ctx, env);
    return 0;                           //  attachments, acks, escalation: nothing to do yet
}

//  ---------------------------------------------------------------------------------------------
//  Read-only: get (an event and its steps) and queue (a unit's open work).

static const gl_field_t s_get_fields [] = {
    { .key = "id", .type = GL_F_STR, .required = true, .min = 1, .max = GL_MAX_NAME,
      .hint = "the event id, e.g. \"500235-20261127-000000042\"" }
};
static const gl_schema_t s_get = GL_SCHEMA ("get", s_get_fields);

//  A step of the event that was given to the caller's unit: it may read the event.
static int
s_step_of (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    const char *unit = arg;
    gl_doc_t doc;
    gl_err_t err;
    char held [DSP_UNIT] = "";
    if (gl_doc_parse (&doc, val->mv_data, val->mv_size, &err) == 0)
        gl_get_strbuf (&doc.root, "unit", held, sizeof held);
    gl_doc_fini (&doc);
    return streq (held, unit)? GL_ITEM_TAKE: GL_ITEM_SKIP;
}

//  A unit's or department's certificate reads only the events it has to do with: those it
//  holds, gave out, was given at some step, or that lie in its area. Operator seats and the
//  services read everything.
static int
s_may_read (gl_ctx_t *ctx, const char *id, gl_err_t *err)
{
    const gl_caller_t *c = gl_ctx_caller (ctx);
    if (gl_sec_any_unit (c))
        return 0;
    dsp_event_t ev;
    int rc = dsp_event_load (ctx, id, &ev);
    if (rc)
        return rc;
    const char *units [] = { ev.unit, ev.dispatcher, ev.grid, ev.community, ev.street };
    for (size_t i = 0; i < sizeof units / sizeof units [0]; i++)
        if (streq (units [i], c->unit))
            return 0;
    gl_key_t prefix;
    gl_key_init (&prefix);
    gl_key_str (&prefix, id);
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len, .max_items = 1 };
    gl_page_t page;
    rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "steps"), &range, s_step_of,
                     (void *) c->unit, &page);
    if (rc || page.count)
        return rc;
    return gl_fail (err, GL_FORBIDDEN, "your certificate %s is for %s, which has nothing to do "
                    "with event %s: it reads only the events its unit holds, gave out, was "
                    "given or that lie in its area", c->name, c->unit, id);
}

static int
s_op_get (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    char id [GL_MAX_NAME + 1];
    gl_get_strbuf (req, "id", id, sizeof id);
    const void *val;
    size_t len;
    int rc = gl_db_get (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "events"), id, strlen (id), &val,
                        &len);
    if (rc == MDB_NOTFOUND)
        return gl_fail (err, GL_NOT_FOUND, "dispatcher holds no event '%s' (an archived event "
                        "is kept by the archive alone: gridloop show %s)", id, id);
    if (rc)
        return rc;
    if ((rc = s_may_read (ctx, id, err)))       //  reads only: val stays valid
        return rc;
    gl_mapw_str (reply, "id", id);
    gl_mapw_raw (reply, "event", val, len);
    gl_key_t prefix;
    gl_key_init (&prefix);
    gl_key_str (&prefix, id);
    gl_listw_t steps;
    gl_listw_init (&steps);
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len };
    rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "steps"), &range, gl_db_list_item, &steps,
                     NULL);
    if (rc == 0)
        gl_mapw_list (reply, "steps", &steps);
    gl_listw_fini (&steps);
    return rc;
}

static const char *const s_queue_states [] = { "to_sign", "in_progress", "open", NULL };
static const gl_field_t s_queue_fields [] = {
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = DSP_UNIT - 1,
      .hint = "whose work, e.g. \"SJ-B4\"" },
    { .key = "state", .type = GL_F_STR, .choices = s_queue_states,
      .hint = "to_sign (DISPATCHED), in_progress (IN_PROGRESS, SUSPENDED) or open (all)" },
    { .key = "after", .type = GL_F_STR, .max = GL_MAX_NAME, .hint = "the previous page's next" },
    { .key = "limit", .type = GL_F_UINT, .min = 1, .max = 500 },
};
static const gl_schema_t s_queue = GL_SCHEMA ("queue", s_queue_fields);

//  A unit's queue page: the open events of by_unit in the states wanted.
typedef struct {
    gl_ctx_t *ctx;              //  whose store
    unsigned want;              //  states wanted (bits)
    size_t ulen;                //  the unit's key part (unit + 0x00)
    gl_listw_t list;            //  the page
} s_queue_t;

static int
s_queue_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_queue_t *q = arg;
    uint8_t s = val->mv_size == 1? *(uint8_t *) val->mv_data: 0;
    if (s >= GL_EV_STATE_COUNT || !(q->want & GL_EV_BIT (s)))
        return GL_ITEM_SKIP;
    if (peek)
        return GL_ITEM_TAKE;
    char id [GL_MAX_NAME + 1];
    snprintf (id, sizeof id, "%.*s", (int) (key->mv_size - q->ulen),
              (char *) key->mv_data + q->ulen);
    dsp_event_t ev;
    int rc = dsp_event_load (q->ctx, id, &ev);
    if (rc == MDB_NOTFOUND)
        return GL_ITEM_SKIP;
    if (rc)
        return rc;
    msgpack_packer *pk = &q->list.pk;
    msgpack_pack_map (pk, 6);
    gl_pack_cstr (pk, "id");
    gl_pack_cstr (pk, id);
    gl_pack_cstr (pk, "state");
    gl_pack_cstr (pk, gl_ev_state_names [ev.state]);
    gl_pack_cstr (pk, "category");
    gl_pack_cstr (pk, ev.category);
    gl_pack_cstr (pk, "priority");
    gl_pack_cstr (pk, ev.priority);
    gl_pack_cstr (pk, "step");
    msgpack_pack_uint64 (pk, ev.step);
    gl_pack_cstr (pk, "updated_at");
    msgpack_pack_int64 (pk, ev.updated_at);
    q->list.count++;
    return GL_ITEM_TAKE;
}

static int
s_op_queue (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    char unit [DSP_UNIT], state [16] = "open", after [GL_MAX_NAME + 1] = "";
    uint64_t limit = 100;
    gl_get_strbuf (req, "unit", unit, sizeof unit);
    gl_get_strbuf (req, "state", state, sizeof state);
    gl_get_strbuf (req, "after", after, sizeof after);
    gl_get_u64 (req, "limit", &limit);
    const gl_caller_t *c = gl_ctx_caller (ctx);
    if (!gl_sec_any_unit (c) && !streq (unit, c->unit))
        return gl_fail (err, GL_FORBIDDEN, "your certificate %s is for %s: it reads %s's queue "
                        "only, not %s's", c->name, c->unit, c->unit, unit);
    s_queue_t q = { .ctx = ctx, .want = streq (state, "to_sign")? GL_EV_BIT (GL_EV_DISPATCHED):
                    streq (state, "in_progress")? GL_EV_BIT (GL_EV_IN_PROGRESS)
                                                  | GL_EV_BIT (GL_EV_SUSPENDED):
                    GL_EV_OPEN };
    gl_key_t prefix, from;
    gl_key_init (&prefix);
    gl_key_str (&prefix, unit);
    q.ulen = prefix.len;
    from = prefix;
    gl_key_raw (&from, after, strlen (after));
    gl_listw_init (&q.list);
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len,
                         .from = *after? from.bytes: NULL, .from_len = from.len, .after = true,
                         .max_items = limit };
    gl_page_t page;
    int rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "by_unit"), &range, s_queue_item, &q,
                         &page);
    if (rc == 0) {
        gl_mapw_str (reply, "unit", unit);
        gl_mapw_list (reply, "events", &q.list);
        if (page.more)
            gl_mapw_strn (reply, "next", (const char *) page.last + q.ulen,
                          page.last_len - q.ulen);
        else
            gl_mapw_nil (reply, "next");
    }
    gl_listw_fini (&q.list);
    return rc;
}

//  ---------------------------------------------------------------------------------------------

static int
s_open (gl_service_t *service, gl_err_t *err)
{
    dsp_t *self = (dsp_t *) zmalloc (sizeof *self);
    self->org = gl_service_org (service);
    self->reopen_days = gl_service_config (service)->reopen_days;
    self->archive_grace_days = gl_service_config (service)->archive_grace_days;
    self->utc_offset_min = (int) gl_service_config (service)->utc_offset_min;
    gl_service_set_state (service, self);
    //  A rule of who may act must name one of our operations: a typo would silently let
    //  anyone act.
    const gl_action_rule_t *rule;
    for (size_t i = 0; (rule = gl_org_action_at (self->org, i)); i++) {
        bool known = false;
        known = gl_dop_lookup (rule->op) != NULL;
        if (!known)
            return gl_fail (err, GL_INVALID, "the org file's actions[%zu] names operation "
                            "'%s', which the dispatcher does not have", i, rule->op);
    }
    return 0;
}

//  describe: every lifecycle operation as the table defines it, for an integrator to discover
//  (names, CLI verbs, states, who, fields with their types, bounds, choices and hints).
static const gl_field_t s_describe_fields [] = {
    { .key = "name", .type = GL_F_STR, .max = 32, .hint = "one operation only, e.g. \"sign\"" },
};
static const gl_schema_t s_describe = GL_SCHEMA ("describe", s_describe_fields);

static int
s_op_describe (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    char name [33] = "";
    gl_get_strbuf (req, "name", name, sizeof name);
    if (*name && !gl_dop_lookup (name))
        return gl_fail (err, GL_NOT_FOUND, "the dispatcher has no operation '%s' (describe "
                        "without a name lists them all)", name);
    gl_listw_t list;
    gl_listw_init (&list);
    for (size_t i = 0; i < GL_DOP_COUNT; i++)
        if (!*name || streq (name, gl_dops [i].name)) {
            gl_mapw_t one;
            gl_mapw_init (&one);
            gl_dop_describe (&gl_dops [i], &one);
            gl_listw_map (&list, &one);
            gl_mapw_fini (&one);
        }
    gl_mapw_list (reply, "operations", &list);
    gl_listw_fini (&list);
    return 0;
}

//  Every lifecycle op of the table goes through dsp_op_lifecycle, which checks its own schema;
//  get, queue and describe are read-only.
#define S_LIFE(id, op) { .name = op, .fn = dsp_op_lifecycle, .mutating = true },
static const gl_op_t s_ops [] = {
    GL_DISPATCH_OPS (S_LIFE)
    { .name = "get", .fn = s_op_get, .mutating = false, .schema = &s_get },
    { .name = "describe", .fn = s_op_describe, .mutating = false, .schema = &s_describe },
    { .name = "queue", .fn = s_op_queue, .mutating = false, .schema = &s_queue },
};

const gl_schema_t *
dispatcher_op_schema (const char *op)
{
    const gl_dop_t *dop = gl_dop_lookup (op);
    return dop? dop->schema: NULL;
}

//  Archiving runs here, a round at a time: what is due is archived and dropped.
static int
s_tick (gl_ctx_t *ctx)
{
    bool more = false;
    int rc = dsp_archive_due (ctx, &more);
    if (rc == 0 && more)
        gl_ctx_more (ctx);
    return rc;
}

static const char *const s_dbs [] = { "events", "steps", "by_unit", "ending", NULL };

const gl_service_def_t dispatcher_service = {
    .name = "dispatcher",
    .svc = GL_SVC_DISPATCHER,
    .dbs = s_dbs,
    .ops = s_ops,
    .nops = sizeof s_ops / sizeof s_ops [0],
    .consume = s_consume,
    .needs_org = true,
    .open = s_open,
    .tick = s_tick,
};

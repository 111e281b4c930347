/*  dispatcher — the event's whole life (proto/dispatcher.md): states, steps (one per hop between
    units), automatic filing and routing from the county's rules, every lifecycle command, who
    may give it, and the queues of each unit.

    Storage: "events" id -> the event record (a msgpack map, s_event_t); "steps" id, 0x00,
    big-endian step number -> the step record; "by_unit" unit, 0x00, id -> state (1 byte): the
    open work of every unit, for queues.  */
#include "dispatcher.h"
#include "gl_org.h"

#include <stddef.h>
#include <string.h>

//  ---------------------------------------------------------------------------------------------
//  States (DOMAIN.md section 4).

typedef enum {
    S_REPORTED, S_SELF_HANDLED, S_FILED, S_DISPATCHED, S_IN_PROGRESS, S_SUSPENDED, S_HANDLED,
    S_FEEDBACK, S_CLOSED, S_ARCHIVED, S_CANCELLED, S_STATE_COUNT
} s_state_t;

static const char *const s_state_names [S_STATE_COUNT] = {
    "REPORTED", "SELF_HANDLED", "FILED", "DISPATCHED", "IN_PROGRESS", "SUSPENDED", "HANDLED",
    "FEEDBACK", "CLOSED", "ARCHIVED", "CANCELLED"
};

#define S_BIT(s) (1u << (s))
#define S_OPEN (S_BIT (S_REPORTED) | S_BIT (S_SELF_HANDLED) | S_BIT (S_FILED) \
              | S_BIT (S_DISPATCHED) | S_BIT (S_IN_PROGRESS) | S_BIT (S_SUSPENDED) \
              | S_BIT (S_HANDLED) | S_BIT (S_FEEDBACK))

#define S_UNIT 40               //  longest unit id we keep (org ids are short)

/*  An event as the dispatcher keeps it.  */
typedef struct {
    char id [GL_MAX_NAME + 1];  //  event id, from intake
    s_state_t state;            //  where it is in its life
    char category [8];          //  "LL.SS"
    char priority [4];          //  "P1".."P4"
    char sanshi [12];           //  major | minor | private
    char board [16];            //  the street board of its category
    char grid [S_UNIT];         //  where (the creating unit)
    char community [S_UNIT];    //  the grid's community
    char street [S_UNIT];       //  the grid's street
    char reporter_role [40];    //  who reported (decides whether feedback is asked)
    char county_handler [S_UNIT];   //  the category's county department
    bool dispute;               //  mediation (四调) applies
    bool urgent;                //  marked urgent by a higher tier
    uint64_t step;              //  current step number (0 before the first hop)
    char unit [S_UNIT];         //  who holds it now (assigned unit; the filing unit when FILED)
    char dispatcher [S_UNIT];   //  who gave it to the holder (returns go back there)
    char returned_by [S_UNIT];  //  the unit that last returned it (wrong-dispatch check)
    char referred_by [S_UNIT];  //  the centre that referred it to mediation
    uint64_t returns;           //  退单 count
    uint64_t reworks;           //  verifications failed
    uint64_t rehandles;         //  unsatisfied feedback
    uint64_t wrong_dispatches;  //  re-dispatched to another unit after a return
    char step_kind [16];        //  how the current step began: dispatch, consultation …
    char consultation [12];     //  小事 consultation: the last stage done ("" before topic)
    char supervision [8];       //  "" | normal | yellow | red
    uint64_t extension_days;    //  pending extension request (0: none)
    int64_t created_at;         //  ms
    int64_t updated_at;         //  ms
} s_event_t;

typedef struct {
    gl_org_t *org;              //  the county: units, categories, admission
} s_dispatcher_t;

//  ---------------------------------------------------------------------------------------------
//  The event record.

//  The record's fields, one table for writing and reading (the state is written by name).
typedef enum { R_STR, R_BOOL, R_U64, R_I64 } s_rtype_t;

typedef struct {
    const char *key;            //  field name in the stored map
    s_rtype_t type;             //  how it is stored
    size_t offset;              //  where it lives in s_event_t
    size_t size;                //  buffer size, for strings
} s_rfield_t;

#define R(key, type, field) { key, type, offsetof (s_event_t, field), \
                              sizeof ((s_event_t *) 0)->field }
static const s_rfield_t s_record [] = {
    R ("category", R_STR, category), R ("priority", R_STR, priority),
    R ("sanshi", R_STR, sanshi), R ("board", R_STR, board), R ("grid", R_STR, grid),
    R ("community", R_STR, community), R ("street", R_STR, street),
    R ("reporter_role", R_STR, reporter_role), R ("county_handler", R_STR, county_handler),
    R ("dispute", R_BOOL, dispute), R ("urgent", R_BOOL, urgent), R ("step", R_U64, step),
    R ("unit", R_STR, unit), R ("dispatcher", R_STR, dispatcher),
    R ("returned_by", R_STR, returned_by), R ("referred_by", R_STR, referred_by),
    R ("returns", R_U64, returns), R ("reworks", R_U64, reworks),
    R ("rehandles", R_U64, rehandles), R ("wrong_dispatches", R_U64, wrong_dispatches),
    R ("step_kind", R_STR, step_kind), R ("consultation", R_STR, consultation),
    R ("supervision", R_STR, supervision), R ("extension_days", R_U64, extension_days),
    R ("created_at", R_I64, created_at), R ("updated_at", R_I64, updated_at),
};
#define S_RECORD_COUNT (sizeof s_record / sizeof s_record [0])

static void
s_event_write (const s_event_t *ev, msgpack_sbuffer *out)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "state", s_state_names [ev->state]);
    for (size_t i = 0; i < S_RECORD_COUNT; i++) {
        const s_rfield_t *f = &s_record [i];
        const void *field = (const char *) ev + f->offset;
        switch (f->type) {
            case R_STR:  gl_mapw_str (&w, f->key, field); break;
            case R_BOOL: gl_mapw_bool (&w, f->key, *(const bool *) field); break;
            case R_U64:  gl_mapw_u64 (&w, f->key, *(const uint64_t *) field); break;
            case R_I64:  gl_mapw_i64 (&w, f->key, *(const int64_t *) field); break;
        }
    }
    gl_mapw_finish (&w, out);
    gl_mapw_fini (&w);
}

static int
s_event_read (const void *bytes, size_t len, s_event_t *ev)
{
    gl_doc_t doc;
    gl_err_t err;
    if (gl_doc_parse (&doc, bytes, len, &err)) {
        gl_doc_fini (&doc);
        return -1;
    }
    const msgpack_object *m = &doc.root;
    char state [16] = "";
    gl_get_strbuf (m, "state", state, sizeof state);
    for (int s = 0; s < S_STATE_COUNT; s++)
        if (streq (state, s_state_names [s]))
            ev->state = (s_state_t) s;
    for (size_t i = 0; i < S_RECORD_COUNT; i++) {
        const s_rfield_t *f = &s_record [i];
        void *field = (char *) ev + f->offset;
        switch (f->type) {
            case R_STR:  gl_get_strbuf (m, f->key, field, f->size); break;
            case R_BOOL: gl_get_bool (m, f->key, field); break;
            case R_U64:  gl_get_u64 (m, f->key, field); break;
            case R_I64:  gl_get_i64 (m, f->key, field); break;
        }
    }
    gl_doc_fini (&doc);
    return 0;
}

//  Load an event; returns 0, MDB_NOTFOUND, or a storage error.
static int
s_event_load (gl_ctx_t *ctx, const char *id, s_event_t *ev)
{
    memset (ev, 0, sizeof *ev);
    const void *val;
    size_t len;
    int rc = gl_db_get (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "events"), id, strlen (id), &val,
                        &len);
    if (rc)
        return rc;
    snprintf (ev->id, sizeof ev->id, "%s", id);
    return s_event_read (val, len, ev) == 0? 0: MDB_CORRUPTED;
}

//  The by_unit index holds open events under their holder.
static int
s_index (gl_ctx_t *ctx, const char *unit, const char *id, s_state_t state, bool put)
{
    if (!unit [0])
        return 0;
    char key [S_UNIT + GL_MAX_NAME + 2];
    size_t ulen = strlen (unit), ilen = strlen (id);
    memcpy (key, unit, ulen);
    key [ulen] = 0;
    memcpy (key + ulen + 1, id, ilen);
    MDB_dbi dbi = gl_ctx_dbi (ctx, "by_unit");
    if (!put)
        return gl_db_del (gl_ctx_txn (ctx), dbi, key, ulen + 1 + ilen);
    uint8_t s = (uint8_t) state;
    return gl_db_put (gl_ctx_txn (ctx), dbi, key, ulen + 1 + ilen, &s, 1, 0);
}

//  Save the event, moving it in the by_unit index from its old holder and state.
static int
s_event_save (gl_ctx_t *ctx, s_event_t *ev, const s_event_t *old)
{
    ev->updated_at = gl_ctx_now (ctx);
    int rc = 0;
    if (old && old->unit [0])
        rc = s_index (ctx, old->unit, ev->id, old->state, false);
    if (rc == 0 && (S_BIT (ev->state) & S_OPEN))
        rc = s_index (ctx, ev->unit, ev->id, ev->state, true);
    if (rc)
        return rc;
    msgpack_sbuffer bytes;
    s_event_write (ev, &bytes);
    rc = gl_db_put (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "events"), ev->id, strlen (ev->id),
                    bytes.data, bytes.size, 0);
    msgpack_sbuffer_destroy (&bytes);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Steps: one per hop. A new step is written when the event enters a unit; the step's sign and
//  exit are added to it later.

static void
s_step_key (const s_event_t *ev, uint64_t n, uint8_t *key, size_t *len)
{
    size_t ilen = strlen (ev->id);
    memcpy (key, ev->id, ilen);
    key [ilen] = 0;
    gl_be64_put (key + ilen + 1, n);
    *len = ilen + 9;
}

//  Write step n from its fields (a map writer holding them).
static int
s_step_put (gl_ctx_t *ctx, const s_event_t *ev, uint64_t n, gl_mapw_t *fields)
{
    uint8_t key [GL_MAX_NAME + 10];
    size_t len;
    s_step_key (ev, n, key, &len);
    msgpack_sbuffer bytes;
    gl_mapw_finish (fields, &bytes);
    int rc = gl_db_put (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "steps"), key, len, bytes.data,
                        bytes.size, 0);
    msgpack_sbuffer_destroy (&bytes);
    return rc;
}

//  A change to the current step: key set to text, or to number (added to what is there when
//  add is true).
typedef struct {
    const char *key;            //  the step's field
    const char *text;           //  its new text, or NULL for a number
    int64_t number;             //  its new number, or what to add
    bool add;                   //  add to the stored number instead of replacing it
} s_mark_t;

//  Rewrite the current step with the marks applied (signed_at, left_at, outcome …): read the
//  stored map once, copy the fields not marked, write the marked ones.
static int
s_step_update (gl_ctx_t *ctx, const s_event_t *ev, const s_mark_t *marks, size_t count)
{
    if (ev->step == 0)
        return 0;
    uint8_t key [GL_MAX_NAME + 10];
    size_t len;
    s_step_key (ev, ev->step, key, &len);
    const void *val;
    size_t vlen;
    int rc = gl_db_get (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "steps"), key, len, &val, &vlen);
    if (rc)
        return rc == MDB_NOTFOUND? 0: rc;
    gl_doc_t doc;
    gl_err_t err;
    if (gl_doc_parse (&doc, val, vlen, &err)) {
        gl_doc_fini (&doc);
        return 0;
    }
    gl_mapw_t w;
    gl_mapw_init (&w);
    const msgpack_object *m = &doc.root;
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        bool marked = false;
        for (size_t j = 0; j < count && !marked; j++)
            marked = gl_str_eq (&m->via.map.ptr [i].key, marks [j].key);
        if (!marked) {
            char k [32];
            snprintf (k, sizeof k, "%.*s", (int) m->via.map.ptr [i].key.via.str.size,
                      m->via.map.ptr [i].key.via.str.ptr);
            gl_mapw_obj (&w, k, &m->via.map.ptr [i].val);
        }
    }
    for (size_t j = 0; j < count; j++) {
        int64_t before = 0;
        if (marks [j].text)
            gl_mapw_str (&w, marks [j].key, marks [j].text);
        else {
            if (marks [j].add)
                gl_get_i64 (m, marks [j].key, &before);
            gl_mapw_i64 (&w, marks [j].key, before + marks [j].number);
        }
    }
    gl_doc_fini (&doc);
    rc = s_step_put (ctx, ev, ev->step, &w);
    gl_mapw_fini (&w);
    return rc;
}

//  One field set: the common case.
static int
s_step_mark (gl_ctx_t *ctx, const s_event_t *ev, const char *key_name, const char *text,
             int64_t number)
{
    s_mark_t mark = { key_name, text, number, false };
    return s_step_update (ctx, ev, &mark, 1);
}

//  ---------------------------------------------------------------------------------------------
//  Publishing: dispatcher.event.<action>[.<holder>], body = action, state, step, actor, when,
//  then the action's own fields.

static int
s_publish (gl_ctx_t *ctx, const s_event_t *ev, const char *action, const char *actor_unit,
           const char *actor_person, gl_mapw_t *extra)
{
    gl_mapw_t body;
    gl_mapw_init (&body);
    gl_mapw_str (&body, "action", action);
    gl_mapw_str (&body, "state", s_state_names [ev->state]);
    gl_mapw_u64 (&body, "step", ev->step);
    gl_mapw_t actor;
    gl_mapw_init (&actor);
    gl_mapw_str (&actor, "unit", actor_unit);
    if (actor_person && *actor_person)
        gl_mapw_str (&actor, "person", actor_person);
    gl_mapw_map (&body, "actor", &actor);
    gl_mapw_fini (&actor);
    gl_mapw_i64 (&body, "when", gl_ctx_now (ctx));
    if (ev->unit [0])
        gl_mapw_str (&body, "unit", ev->unit);
    if (extra && extra->count) {
        gl_sbuffer_write (&body.body, extra->body.data, extra->body.size);
        body.count += extra->count;
    }
    msgpack_sbuffer bytes;
    gl_mapw_finish (&body, &bytes);
    gl_mapw_fini (&body);
    char type [48];
    snprintf (type, sizeof type, "event.%s", action);
    int rc = gl_ctx_emit (ctx, type, ev->unit [0]? ev->unit: NULL, ev->id, bytes.data,
                          bytes.size);
    msgpack_sbuffer_destroy (&bytes);
    return rc;
}

//  Enter a new step at unit (kind: dispatch, assign, escalate, refer, consultation, auto):
//  closes the current step as left, writes the new one, moves the holder.
static int
s_enter (gl_ctx_t *ctx, s_event_t *ev, const char *unit, const char *kind, const char *from,
         const char *reason)
{
    int64_t now = gl_ctx_now (ctx);
    int rc = s_step_mark (ctx, ev, "left_at", NULL, now);
    if (rc)
        return rc;
    ev->step++;
    gl_mapw_t step;
    gl_mapw_init (&step);
    gl_mapw_u64 (&step, "n", ev->step);
    gl_mapw_str (&step, "unit", unit);
    gl_mapw_str (&step, "kind", kind);
    gl_mapw_str (&step, "from", from);
    if (reason && *reason)
        gl_mapw_str (&step, "reason", reason);
    gl_mapw_i64 (&step, "entered_at", now);
    rc = s_step_put (ctx, ev, ev->step, &step);
    gl_mapw_fini (&step);
    snprintf (ev->unit, sizeof ev->unit, "%s", unit);
    snprintf (ev->step_kind, sizeof ev->step_kind, "%s", kind);
    ev->consultation [0] = 0;
    ev->extension_days = 0;
    ev->supervision [0] = 0;
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Operations: a table of what each may do from which states and who may give it.

typedef enum {
    A_FILER,                    //  the holder of a filed event, its street's centre, the county centre
    A_CONFIRMER,                //  the event's community, or its grid through the grid leader
    A_DISPATCHER,               //  the holder of the filed event, or a higher tier of its chain
    A_ABOVE_TARGET,             //  a centre, board or community above the target unit
    A_HOLDER,                   //  the assigned unit only
    A_HOLDER_OR_ABOVE,          //  the assigned unit or a higher tier
    A_DISPATCHING,              //  the unit that dispatched the holder, or a higher tier
    A_CENTRE,                   //  the event's street centre or the county centre
    A_VERIFIER,                 //  the creating grid, its community or its street centre
    A_CALLBACK,                 //  the event's community or its street centre
    A_ABOVE_HOLDER,             //  a higher tier than the assigned unit
    A_REFERRER                  //  a centre, or the mediation unit holding it
} s_auth_t;

typedef struct s_op_s s_op_t;
typedef int (s_act_fn) (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req,
                        const char *actor, gl_mapw_t *extra, gl_err_t *err);

struct s_op_s {
    const char *name;           //  op on the wire
    unsigned from;              //  states it is allowed from (bits)
    s_auth_t auth;              //  who may
    s_act_fn *act;              //  what it does
    const gl_schema_t *schema;  //  its fields
    unsigned centre_from;       //  further states allowed while a command centre holds it
};

static const gl_unit_t *
s_unit (gl_ctx_t *ctx, const char *id)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    return gl_org_unit (self->org, id);
}

//  The street centre of the event, e.g. "SJ-C".
static const gl_unit_t *
s_centre (gl_ctx_t *ctx, const s_event_t *ev)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    const gl_unit_t *street = gl_org_unit (self->org, ev->street);
    return street? gl_org_centre (self->org, street): NULL;
}

static bool
s_is (const gl_unit_t *unit, const char *id)
{
    return unit && id && streq (unit->id, id);
}

//  True when actor works at a higher tier than unit, within the event's chain or at the county.
static bool
s_above (const gl_unit_t *actor, const gl_unit_t *unit)
{
    if (!actor || !unit || actor->level >= unit->level)
        return false;
    if (actor->level == GL_LEVEL_COUNTY)
        return true;
    //  A street or community unit supervises only what lies in its own street or community.
    const gl_unit_t *mine = actor->level == GL_LEVEL_STREET? gl_unit_street (actor):
                                                             gl_unit_community (actor);
    const gl_unit_t *theirs = actor->level == GL_LEVEL_STREET? gl_unit_street (unit):
                                                               gl_unit_community (unit);
    return mine && mine == theirs;
}

//  True when actor may give work down to unit: a higher tier, or a street's command centre
//  to a board of its own street (both sit at the street tier).
static bool
s_commands (const gl_unit_t *actor, const gl_unit_t *unit)
{
    if (s_above (actor, unit))
        return true;
    return actor && unit && actor->kind == GL_UNIT_CENTRE && unit->kind == GL_UNIT_BOARD
        && gl_unit_street (actor) && gl_unit_street (actor) == gl_unit_street (unit);
}

static bool
s_is_centre_of (gl_ctx_t *ctx, const s_event_t *ev, const gl_unit_t *actor)
{
    return actor == s_centre (ctx, ev) || s_is (actor, "CTY-C");
}

//  True when the actor is the event's grid acting through one of its grid leaders
//  (actor.person on the grid's staff in role grid_leader).
static bool
s_grid_leader (gl_ctx_t *ctx, const s_event_t *ev, const gl_unit_t *actor,
               const msgpack_object *req)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    char person [65] = "";
    gl_get_strbuf (gl_map_get (req, "actor"), "person", person, sizeof person);
    const gl_person_t *p = gl_org_person (self->org, person);
    return s_is (actor, ev->grid) && p && p->unit == actor && p->role == GL_ROLE_GRID_LEADER;
}

//  The refusal of a confirm: who may confirm, by name, and who tried.
static int
s_refuse_confirm (gl_ctx_t *ctx, const s_event_t *ev, const gl_unit_t *actor,
                  const msgpack_object *req, gl_err_t *err)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    char leaders [128] = "", person [65] = "";
    gl_get_strbuf (gl_map_get (req, "actor"), "person", person, sizeof person);
    size_t count, off = 0;
    const gl_person_t *const *people = gl_org_people (self->org, ev->grid, &count);
    for (size_t i = 0; i < count && off < sizeof leaders; i++)
        if (people [i]->role == GL_ROLE_GRID_LEADER)
            off += (size_t) snprintf (leaders + off, sizeof leaders - off, "%s%s",
                                      off? ", ": "", people [i]->id);
    return gl_fail (err, GL_FORBIDDEN, "on-the-spot handling of event %s is confirmed by the "
                    "grid leader of %s (grid_leader %s, as actor.person) or by its community "
                    "%s; %s%s%s is not", ev->id, ev->grid, off? leaders: "(none on its staff)",
                    ev->community, actor->id, *person? " person ": "", person);
}

static int
s_authorise (gl_ctx_t *ctx, const s_op_t *op, const s_event_t *ev, const gl_unit_t *actor,
             const msgpack_object *req, gl_err_t *err)
{
    const gl_unit_t *holder = s_unit (ctx, ev->unit);
    bool ok = false;
    const char *who = "";
    switch (op->auth) {
        case A_FILER:
            ok = s_is (actor, ev->community) || s_is_centre_of (ctx, ev, actor);
            who = "the event's community, its street's centre or the county centre";
            break;
        case A_DISPATCHER:
            ok = s_is (actor, ev->unit) || s_is_centre_of (ctx, ev, actor)
              || s_is (actor, ev->community) || (holder && s_above (actor, holder));
            who = "the unit holding the event, its community, its street's centre or the "
                  "county centre";
            break;
        case A_CONFIRMER:
            //  The worker who handled it on the spot does not confirm her own work.
            if (s_is (actor, ev->community) || s_grid_leader (ctx, ev, actor, req))
                return 0;
            return s_refuse_confirm (ctx, ev, actor, req, err);
        case A_ABOVE_TARGET: {
            char target [S_UNIT] = "";
            gl_get_strbuf (req, "unit", target, sizeof target);
            const gl_unit_t *t = s_unit (ctx, target);
            ok = t && s_commands (actor, t)
              && (s_is (actor, ev->unit) || s_above (actor, holder)
                  || s_is_centre_of (ctx, ev, actor));
            who = "a unit above the target (or the street's centre, for its own boards) that "
                  "holds or supervises the event";
            break;
        }
        case A_HOLDER:
            ok = s_is (actor, ev->unit);
            who = "the assigned unit";
            break;
        case A_HOLDER_OR_ABOVE:
            ok = s_is (actor, ev->unit) || s_above (actor, holder)
              || s_is_centre_of (ctx, ev, actor);
            who = "the assigned unit, a higher tier or a command centre";
            break;
        case A_DISPATCHING:
            ok = s_is (actor, ev->dispatcher) || s_above (actor, holder)
              || s_is_centre_of (ctx, ev, actor);
            who = "the unit that dispatched it or a higher tier";
            break;
        case A_CENTRE:
            ok = s_is_centre_of (ctx, ev, actor);
            who = "the event's street centre or the county centre";
            break;
        case A_VERIFIER: {
            //  Verification is local (DOMAIN.md §4): the county centre supervises, it does not
            //  go on site.
            //  Nor does the unit that handled it check its own work.
            const gl_unit_t *centre = s_centre (ctx, ev);
            bool handler = s_is (actor, ev->unit);
            if ((s_is (actor, ev->grid) || s_is (actor, ev->community) || actor == centre)
            &&  !handler)
                return 0;
            return gl_fail (err, GL_FORBIDDEN, "only %s (the grid that reported it), %s (its "
                            "community) or %s (its street's centre) may verify event %s, and "
                            "never the unit that handled it; %s %s", ev->grid, ev->community,
                            centre? centre->id: ev->street, ev->id, actor->id,
                            handler? "handled it": "is not one of them");
        }
        case A_CALLBACK:
            ok = s_is (actor, ev->community) || s_is_centre_of (ctx, ev, actor);
            who = "the event's community or its street's centre";
            break;
        case A_ABOVE_HOLDER:
            //  The street centre supervises its own boards, the county centre everything.
            ok = s_above (actor, holder)
              || (s_is_centre_of (ctx, ev, actor) && !s_is (actor, ev->unit));
            who = "a higher tier than the assigned unit, or a command centre";
            break;
        case A_REFERRER:
            ok = s_is_centre_of (ctx, ev, actor)
              || (s_is (actor, ev->unit) && actor->kind == GL_UNIT_MEDIATION);
            who = "the event's street centre, the county centre or the mediation channel "
                  "holding it";
            break;
    }
    if (ok)
        return 0;
    return gl_fail (err, GL_FORBIDDEN, "only %s (here: %s) may %s event %s; %s is not", who,
                    ev->unit [0]? ev->unit: ev->community, op->name, ev->id, actor->id);
}

//  Where an escalation goes: one step up along the event's chain, grid → community → street
//  centre → county centre. A board sits at the street tier but answers to its street's
//  centre, so its escalation goes there before the county.
static const gl_unit_t *
s_up (gl_ctx_t *ctx, const s_event_t *ev, const gl_unit_t *holder)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    if (!holder)
        return NULL;
    switch (holder->level) {
        case GL_LEVEL_GRID:      return s_unit (ctx, ev->community);
        case GL_LEVEL_COMMUNITY: return s_centre (ctx, ev);
        case GL_LEVEL_STREET:
            if (holder->kind == GL_UNIT_BOARD && gl_unit_street (holder))
                return gl_org_centre (self->org, gl_unit_street (holder));
            return s_unit (ctx, "CTY-C");
        default:                 return NULL;
    }
}

//  Move the event into a unit by an explicit command, checking admission for community and
//  grid work.
static int
s_give (gl_ctx_t *ctx, s_event_t *ev, const char *target_id, const char *kind,
        const char *actor, const char *reason, gl_err_t *err)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    const gl_unit_t *target = s_unit (ctx, target_id);
    if (!target)
        return gl_fail (err, GL_INVALID, "field 'unit' is \"%s\": no such unit in %s "
                        "(`gridloop org` lists them)", target_id,
                        gl_org_county_name (self->org));
    if (target->kind == GL_UNIT_STREET || target->kind == GL_UNIT_COUNTY)
        return gl_fail (err, GL_INVALID, "field 'unit' is \"%s\", a %s: work goes to a centre, "
                        "board, department, community or grid", target_id,
                        gl_unit_kind_name (target->kind));
    //  A community gives work only to its own grids (not to another community, a board …).
    const gl_unit_t *from = s_unit (ctx, actor);
    if (from && from->kind == GL_UNIT_COMMUNITY
    &&  (target->kind != GL_UNIT_GRID || gl_unit_community (target) != from))
        return gl_fail (err, GL_FORBIDDEN, "%s may give work only to its own grids; %s is "
                        "not one", actor, target_id);
    if (target->level == GL_LEVEL_COMMUNITY || target->level == GL_LEVEL_GRID) {
        //  The reason gets what the refusal has left after its own words, so it is never cut.
        const char *format = "event %s (category %s) cannot be given to %s: %s";
        int used = snprintf (NULL, 0, format, ev->id, ev->category, target_id, "");
        char why [sizeof err->message];
        size_t room = used > 0 && (size_t) used < sizeof why? sizeof why - (size_t) used: 1;
        if (gl_org_admit (self->org, ev->category, target->level, gl_ctx_now (ctx), why, room))
            return gl_fail (err, GL_FORBIDDEN, format, ev->id, ev->category, target_id, why);
    }
    if (ev->returned_by [0] && !streq (ev->returned_by, target_id))
        ev->wrong_dispatches++;         //  the earlier dispatch went to the wrong unit
    ev->returned_by [0] = 0;
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", actor);
    ev->state = S_DISPATCHED;
    return s_enter (ctx, ev, target_id, kind, actor, reason);
}

static const char *
s_text (const msgpack_object *req, const char *key, char *buf, size_t size)
{
    buf [0] = 0;
    gl_get_strbuf (req, key, buf, size);
    return buf;
}

//  ---------------------------------------------------------------------------------------------
//  The actions. Each runs after the state and the actor were checked; extra collects the
//  fields published with the action.

static int
s_route (gl_ctx_t *ctx, s_event_t *ev, const char *actor, gl_mapw_t *extra);

static int
s_do_accept (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    char text [16];
    if (*s_text (req, "category", text, sizeof text)) {
        const gl_category_t *cat = gl_org_category (self->org, text);
        if (!cat)
            return gl_fail (err, GL_INVALID, "field 'category' is \"%s\": not on the county's "
                            "category list", text);
        snprintf (ev->category, sizeof ev->category, "%s", cat->code);
        snprintf (ev->board, sizeof ev->board, "%s", gl_board_name (cat->board));
        snprintf (ev->county_handler, sizeof ev->county_handler, "%s", cat->county_handler->id);
        ev->dispute = cat->dispute;
    }
    if (*s_text (req, "priority", text, sizeof text))
        snprintf (ev->priority, sizeof ev->priority, "%s", text);
    if (*s_text (req, "sanshi", text, sizeof text))
        snprintf (ev->sanshi, sizeof ev->sanshi, "%s", text);
    ev->state = S_FILED;
    gl_mapw_str (extra, "category", ev->category);
    gl_mapw_str (extra, "priority", ev->priority);
    gl_mapw_str (extra, "sanshi", ev->sanshi);
    return 0;
}

static int
s_do_cancel (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char code [24], reason [512];
    gl_mapw_str (extra, "code", s_text (req, "code", code, sizeof code));
    gl_mapw_str (extra, "reason", s_text (req, "reason", reason, sizeof reason));
    ev->state = S_CANCELLED;
    return s_step_mark (ctx, ev, "left_at", NULL, gl_ctx_now (ctx));
}

static int
s_do_confirm (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    ev->state = S_CLOSED;
    return 0;
}

static int
s_do_dispatch (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
               gl_mapw_t *extra, gl_err_t *err)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    //  Copied units are told of the work, so each must be a unit of the county: checked
    //  before anything changes.
    const msgpack_object *copy = gl_map_get (req, "copy");
    for (uint32_t i = 0; copy && i < copy->via.array.size; i++) {
        char copied [S_UNIT];
        const msgpack_object *item = &copy->via.array.ptr [i];
        snprintf (copied, sizeof copied, "%.*s", (int) item->via.str.size, item->via.str.ptr);
        if (!s_unit (ctx, copied))
            return gl_fail (err, GL_INVALID, "field 'copy' names \"%s\": no such unit in %s "
                            "(`gridloop org` lists them)", copied,
                            gl_org_county_name (self->org));
    }
    char unit [S_UNIT], reason [512];
    s_text (req, "unit", unit, sizeof unit);
    s_text (req, "reason", reason, sizeof reason);
    int rc = s_give (ctx, ev, unit, "dispatch", actor, reason, err);
    if (rc)
        return rc;
    if (*reason)
        gl_mapw_str (extra, "reason", reason);
    if (copy)
        gl_mapw_obj (extra, "copy", copy);
    return 0;
}

static int
s_do_assign (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char unit [S_UNIT], reason [512];
    s_text (req, "unit", unit, sizeof unit);
    s_text (req, "reason", reason, sizeof reason);
    int rc = s_give (ctx, ev, unit, "assign", actor, reason, err);
    if (rc == 0)
        gl_mapw_str (extra, "reason", reason);
    return rc;
}

static int
s_do_escalate (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
               gl_mapw_t *extra, gl_err_t *err)
{
    const gl_unit_t *up = s_up (ctx, ev, s_unit (ctx, ev->unit));
    if (!up)
        return gl_fail (err, GL_CONFLICT, "event %s is held by %s at the county tier: there is "
                        "no tier above to escalate to", ev->id, ev->unit);
    char reason [512];
    s_text (req, "reason", reason, sizeof reason);
    gl_mapw_str (extra, "reason", reason);
    gl_mapw_str (extra, "from", ev->unit);
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", up->id);
    ev->state = S_FILED;
    return s_enter (ctx, ev, up->id, "escalate", actor, reason);
}

static int
s_do_sign (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
           gl_mapw_t *extra, gl_err_t *err)
{
    ev->state = S_IN_PROGRESS;
    return s_step_mark (ctx, ev, "signed_at", NULL, gl_ctx_now (ctx));
}

static int
s_do_return (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char reason [512];
    gl_mapw_str (extra, "reason", s_text (req, "reason", reason, sizeof reason));
    //  The step keeps why it was returned (its "reason" is why it was given to the unit).
    s_mark_t marks [] = {
        { "outcome", "returned", 0, false }, { "return_reason", reason, 0, false },
        { "left_at", NULL, gl_ctx_now (ctx), false }
    };
    int rc = s_step_update (ctx, ev, marks, 3);
    if (rc)
        return rc;
    ev->returns++;
    snprintf (ev->returned_by, sizeof ev->returned_by, "%s", ev->unit);
    //  Back to the unit that dispatched it, which dispatches again.
    snprintf (ev->unit, sizeof ev->unit, "%s", ev->dispatcher [0]? ev->dispatcher: ev->street);
    ev->state = S_FILED;
    return 0;
}

//  Actions that only record what was said (note, instruct): the text goes out with them.
static int
s_do_record (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char text [2048];
    gl_mapw_str (extra, "text", s_text (req, "text", text, sizeof text));
    return 0;
}

static int
s_do_extend (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    if (ev->extension_days)
        return gl_fail (err, GL_CONFLICT, "event %s already has an extension of %llu days "
                        "waiting for a decision", ev->id,
                        (unsigned long long) ev->extension_days);
    gl_get_u64 (req, "days", &ev->extension_days);
    char reason [512];
    gl_mapw_u64 (extra, "days", ev->extension_days);
    gl_mapw_str (extra, "reason", s_text (req, "reason", reason, sizeof reason));
    return 0;
}

static int
s_do_decide_extension (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req,
                       const char *actor, gl_mapw_t *extra, gl_err_t *err)
{
    if (!ev->extension_days)
        return gl_fail (err, GL_CONFLICT, "event %s has no extension request waiting", ev->id);
    bool approve = false;
    gl_get_bool (req, "approve", &approve);
    gl_mapw_bool (extra, "approve", approve);
    gl_mapw_u64 (extra, "days", ev->extension_days);
    int rc = 0;
    if (approve) {
        //  The step's days grow by the days granted: a step may be extended more than once.
        s_mark_t grow = { "extension_days", NULL, (int64_t) ev->extension_days, true };
        rc = s_step_update (ctx, ev, &grow, 1);
    }
    ev->extension_days = 0;
    return rc;
}

static int
s_do_state (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
            gl_mapw_t *extra, gl_err_t *err, s_state_t to)
{
    char reason [512];
    if (*s_text (req, "reason", reason, sizeof reason))
        gl_mapw_str (extra, "reason", reason);
    ev->state = to;
    return 0;
}

static int
s_do_suspend (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    return s_do_state (ctx, ev, req, actor, extra, err, S_SUSPENDED);
}

static int
s_do_resume (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    return s_do_state (ctx, ev, req, actor, extra, err, S_IN_PROGRESS);
}

static int
s_do_handle (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    if (streq (ev->step_kind, "consultation"))
        return gl_fail (err, GL_CONFLICT, "event %s is a community consultation (小事) at %s: it "
                        "is handled through its stages, and publishing the result (consult "
                        "--stage publish) reports it handled", ev->id, ev->unit);
    char evidence [2048], result [512];
    gl_mapw_str (extra, "evidence", s_text (req, "evidence", evidence, sizeof evidence));
    if (*s_text (req, "result", result, sizeof result))
        gl_mapw_str (extra, "result", result);
    ev->state = S_HANDLED;
    return s_step_mark (ctx, ev, "handled_at", NULL, gl_ctx_now (ctx));
}

static bool
s_resident_originated (const s_event_t *ev)
{
    return streq (ev->reporter_role, "resident") || streq (ev->reporter_role, "enterprise")
        || streq (ev->reporter_role, "hotline");
}

static int
s_do_verify (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    bool pass = false;
    gl_get_bool (req, "pass", &pass);
    char reason [512];
    s_text (req, "reason", reason, sizeof reason);
    if (!pass && !*reason)
        return gl_fail (err, GL_INVALID, "field 'reason' is required when pass is false: say "
                        "what is still wrong, so the handler can rework it");
    gl_mapw_bool (extra, "pass", pass);
    if (*reason)
        gl_mapw_str (extra, "reason", reason);
    if (pass)
        ev->state = s_resident_originated (ev)? S_FEEDBACK: S_CLOSED;
    else {
        ev->reworks++;
        ev->state = S_IN_PROGRESS;
        //  Reworking a 小事 means consulting again: its stages start over from the topic.
        ev->consultation [0] = 0;
    }
    return 0;
}

static int
s_do_feedback (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
               gl_mapw_t *extra, gl_err_t *err)
{
    char rating [24], note [512];
    s_text (req, "rating", rating, sizeof rating);
    gl_mapw_str (extra, "rating", rating);
    if (*s_text (req, "note", note, sizeof note))
        gl_mapw_str (extra, "note", note);
    if (streq (rating, "unsatisfied")) {
        ev->rehandles++;
        ev->state = S_IN_PROGRESS;
        ev->consultation [0] = 0;       //  a 小事 is consulted again, as after a failed verify
    }
    else
        ev->state = S_CLOSED;
    return 0;
}

static int
s_do_supervise (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
                gl_mapw_t *extra, gl_err_t *err)
{
    char note [512];
    s_text (req, "level", ev->supervision, sizeof ev->supervision);
    gl_mapw_str (extra, "level", ev->supervision);
    if (*s_text (req, "note", note, sizeof note))
        gl_mapw_str (extra, "note", note);
    return 0;
}

static int
s_do_urgent (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char reason [512];
    ev->urgent = true;
    snprintf (ev->priority, sizeof ev->priority, "P1");
    gl_mapw_str (extra, "reason", s_text (req, "reason", reason, sizeof reason));
    gl_mapw_str (extra, "priority", ev->priority);
    return 0;
}

static int
s_do_refer (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
            gl_mapw_t *extra, gl_err_t *err)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    if (!ev->dispute)
        return gl_fail (err, GL_CONFLICT, "event %s (category %s) is not a dispute: the four "
                        "mediation channels take disputes only", ev->id, ev->category);
    char channel [24], reason [512];
    s_text (req, "channel", channel, sizeof channel);
    s_text (req, "reason", reason, sizeof reason);
    const gl_unit_t *to = gl_org_mediation (self->org, gl_channel_lookup (channel));
    if (!to)
        return gl_fail (err, GL_INVALID, "field 'channel' is \"%s\": the county has no such "
                        "mediation channel", channel);
    if (streq (to->id, ev->unit))
        return gl_fail (err, GL_CONFLICT, "event %s is already with %s", ev->id, to->id);
    //  The referring centre stays on record across hand-overs between channels.
    const gl_unit_t *from = s_unit (ctx, actor);
    if (!from || from->kind != GL_UNIT_MEDIATION)
        snprintf (ev->referred_by, sizeof ev->referred_by, "%s", actor);
    gl_mapw_str (extra, "channel", channel);
    gl_mapw_str (extra, "reason", reason);
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", actor);
    ev->state = S_DISPATCHED;
    return s_enter (ctx, ev, to->id, "refer", actor, reason);
}

static int
s_do_mediate (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    const gl_unit_t *holder = s_unit (ctx, ev->unit);
    if (!holder || holder->kind != GL_UNIT_MEDIATION)
        return gl_fail (err, GL_CONFLICT, "event %s is with %s, not with a mediation channel: "
                        "refer it first", ev->id, ev->unit);
    char outcome [16], mediator [64], agreement [2048];
    uint64_t sessions = 0;
    s_text (req, "outcome", outcome, sizeof outcome);
    gl_get_u64 (req, "sessions", &sessions);
    gl_mapw_str (extra, "mediator", s_text (req, "mediator", mediator, sizeof mediator));
    gl_mapw_u64 (extra, "sessions", sessions);
    if (*s_text (req, "agreement", agreement, sizeof agreement))
        gl_mapw_str (extra, "agreement", agreement);
    gl_mapw_str (extra, "outcome", outcome);
    s_mark_t marks [] = {
        { "outcome", outcome, 0, false }, { "left_at", NULL, gl_ctx_now (ctx), false }
    };
    bool failed = streq (outcome, "failed");
    //  A failed mediation also leaves the channel.
    int rc = s_step_update (ctx, ev, marks, failed? 2: 1);
    if (rc)
        return rc;
    if (failed) {
        //  Back to the centre that referred it, to decide what comes next.
        snprintf (ev->unit, sizeof ev->unit, "%s", ev->referred_by [0]? ev->referred_by:
                  ev->dispatcher);
        ev->state = S_FILED;
        return rc;
    }
    ev->state = S_HANDLED;              //  settled, or taken to court: verification next
    return 0;
}

//  小事 at the community (协商议事): topic → meeting → decision → carry out → publish, in that
//  order; publishing the result reports the event handled, for the grid to verify.
static const char *const s_stages [] = {
    "topic", "meeting", "decision", "carry_out", "publish", NULL
};

static int
s_do_consult (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    if (!streq (ev->step_kind, "consultation"))
        return gl_fail (err, GL_CONFLICT, "event %s is not a community consultation (小事) at "
                        "%s: consult applies to events routed to a community for 议事", ev->id,
                        ev->unit);
    char stage [16], text [2048];
    s_text (req, "stage", stage, sizeof stage);
    int done = -1, want = -1;
    for (int i = 0; s_stages [i]; i++) {
        if (streq (s_stages [i], ev->consultation))
            done = i;
        if (streq (s_stages [i], stage))
            want = i;
    }
    if (want != done + 1)
        return gl_fail (err, GL_CONFLICT, "event %s's consultation is at '%s': the next stage is "
                        "'%s', not '%s' (topic, meeting, decision, carry_out, publish)", ev->id,
                        ev->consultation [0]? ev->consultation: "(not started)",
                        s_stages [done + 1]? s_stages [done + 1]: "(none: all are done)",
                        stage);
    snprintf (ev->consultation, sizeof ev->consultation, "%s", stage);
    gl_mapw_str (extra, "stage", stage);
    gl_mapw_str (extra, "text", s_text (req, "text", text, sizeof text));
    if (streq (stage, "publish")) {
        ev->state = S_HANDLED;          //  the published decision, carried out: verify next
        return s_step_mark (ctx, ev, "handled_at", NULL, gl_ctx_now (ctx));
    }
    return 0;
}

static int
s_do_archive (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    ev->state = S_ARCHIVED;
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  The field tables and the operation table.

static const gl_field_t s_actor_fields [] = {
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = S_UNIT - 1,
      .hint = "the acting unit's id, e.g. \"SJ-C\", \"SJ-B4\", \"SJ-01\", \"D-POLICE\"" },
    { .key = "person", .type = GL_F_STR, .max = 64, .hint = "the acting person's staff id" },
    { .key = "role", .type = GL_F_STR, .max = 32, .hint = "the acting person's role" },
};
static const gl_schema_t s_actor = GL_SCHEMA ("actor", s_actor_fields);

#define S_ID { .key = "id", .type = GL_F_STR, .required = true, .min = 1, .max = GL_MAX_NAME, \
               .hint = "the event id, e.g. \"500235-20261127-000000042\"" }
#define S_ACTOR { .key = "actor", .type = GL_F_MAP, .required = true, .sub = &s_actor, \
                  .hint = "who acts: {unit, person, role}" }
#define S_REASON(req) { .key = "reason", .type = GL_F_STR, .required = req, .min = req, \
                        .max = 500, .hint = "why, in plain words" }

static const char *const s_sanshi_names [] = { "major", "minor", "private", NULL };
static const char *const s_priority_names [] = { "P1", "P2", "P3", "P4", NULL };
static const char *const s_cancel_codes [] = {
    "duplicate", "invalid", "out_of_scope", "withdrawn", NULL
};
static const char *const s_levels [] = { "normal", "yellow", "red", NULL };
static const char *const s_ratings [] = { "satisfied", "fairly_satisfied", "unsatisfied", NULL };
static const char *const s_channels [] = {
    "court", "procuratorate", "police", "petitions", NULL
};
static const char *const s_outcomes [] = { "settled", "failed", "litigation", NULL };

static const gl_field_t s_plain_fields [] = { S_ID, S_ACTOR,
    { .key = "note", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_plain = GL_SCHEMA ("request", s_plain_fields);

static const gl_field_t s_accept_fields [] = { S_ID, S_ACTOR,
    { .key = "category", .type = GL_F_STR, .min = 5, .max = 5,
      .hint = "a category code to file it under instead of the reported one" },
    { .key = "sanshi", .type = GL_F_STR, .choices = s_sanshi_names },
    { .key = "priority", .type = GL_F_STR, .choices = s_priority_names },
    { .key = "route", .type = GL_F_BOOL, .hint = "false: file only, dispatch by hand" },
    { .key = "note", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_accept = GL_SCHEMA ("accept", s_accept_fields);

static const gl_field_t s_cancel_fields [] = { S_ID, S_ACTOR,
    { .key = "code", .type = GL_F_STR, .required = true, .choices = s_cancel_codes,
      .hint = "why it is not taken" }, S_REASON (true) };
static const gl_schema_t s_cancel = GL_SCHEMA ("cancel", s_cancel_fields);

static const gl_field_t s_dispatch_fields [] = { S_ID, S_ACTOR,
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = S_UNIT - 1,
      .hint = "the unit to give it to, e.g. \"SJ-B4\" or \"D-POLICE\"" },
    S_REASON (false),
    { .key = "copy", .type = GL_F_STRS, .max = 8, .item_max = S_UNIT - 1,
      .hint = "units to copy (抄送)" } };
static const gl_schema_t s_dispatch = GL_SCHEMA ("dispatch", s_dispatch_fields);

static const gl_field_t s_assign_fields [] = { S_ID, S_ACTOR,
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = S_UNIT - 1,
      .hint = "the lower-tier unit to assign it to" }, S_REASON (true) };
static const gl_schema_t s_assign = GL_SCHEMA ("assign", s_assign_fields);

static const gl_field_t s_reason_fields [] = { S_ID, S_ACTOR, S_REASON (true) };
static const gl_schema_t s_reasoned = GL_SCHEMA ("request", s_reason_fields);

static const gl_field_t s_text_fields [] = { S_ID, S_ACTOR,
    { .key = "text", .type = GL_F_STR, .required = true, .min = 1, .max = 2000,
      .hint = "what is said" } };
static const gl_schema_t s_texted = GL_SCHEMA ("request", s_text_fields);

static const gl_field_t s_extend_fields [] = { S_ID, S_ACTOR,
    { .key = "days", .type = GL_F_UINT, .required = true, .min = 1, .max = 30,
      .hint = "extra working days asked for, 1 to 30" }, S_REASON (true) };
static const gl_schema_t s_extend = GL_SCHEMA ("extend", s_extend_fields);

static const gl_field_t s_decide_fields [] = { S_ID, S_ACTOR,
    { .key = "approve", .type = GL_F_BOOL, .required = true,
      .hint = "true to grant the days asked for" }, S_REASON (false) };
static const gl_schema_t s_decide = GL_SCHEMA ("decide_extension", s_decide_fields);

static const gl_field_t s_handle_fields [] = { S_ID, S_ACTOR,
    { .key = "evidence", .type = GL_F_STR, .required = true, .min = 1, .max = 2000,
      .hint = "what was done and what shows it (photo references, documents)" },
    { .key = "result", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_handle = GL_SCHEMA ("handle", s_handle_fields);

static const gl_field_t s_verify_fields [] = { S_ID, S_ACTOR,
    { .key = "pass", .type = GL_F_BOOL, .required = true,
      .hint = "true when the result holds on site" }, S_REASON (false) };
static const gl_schema_t s_verify = GL_SCHEMA ("verify", s_verify_fields);

static const gl_field_t s_feedback_fields [] = { S_ID, S_ACTOR,
    { .key = "rating", .type = GL_F_STR, .required = true, .choices = s_ratings,
      .hint = "the reporter's satisfaction" },
    { .key = "note", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_feedback = GL_SCHEMA ("feedback", s_feedback_fields);

static const gl_field_t s_supervise_fields [] = { S_ID, S_ACTOR,
    { .key = "level", .type = GL_F_STR, .required = true, .choices = s_levels,
      .hint = "督办 level: normal, yellow card or red card" },
    { .key = "note", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_supervise = GL_SCHEMA ("supervise", s_supervise_fields);

static const gl_field_t s_refer_fields [] = { S_ID, S_ACTOR,
    { .key = "channel", .type = GL_F_STR, .required = true, .choices = s_channels,
      .hint = "the mediation channel (四调)" }, S_REASON (true) };
static const gl_schema_t s_refer = GL_SCHEMA ("refer", s_refer_fields);

static const gl_field_t s_consult_fields [] = { S_ID, S_ACTOR,
    { .key = "stage", .type = GL_F_STR, .required = true, .choices = s_stages,
      .hint = "the consultation stage done now (议题, 会议, 决定, 实施, 公示)" },
    { .key = "text", .type = GL_F_STR, .required = true, .min = 1, .max = 2000,
      .hint = "what was raised, met, decided, done or published" } };
static const gl_schema_t s_consult = GL_SCHEMA ("consult", s_consult_fields);

static const gl_field_t s_mediate_fields [] = { S_ID, S_ACTOR,
    { .key = "mediator", .type = GL_F_STR, .required = true, .min = 1, .max = 64 },
    { .key = "sessions", .type = GL_F_UINT, .required = true, .min = 1, .max = 100 },
    { .key = "agreement", .type = GL_F_STR, .max = 2000 },
    { .key = "outcome", .type = GL_F_STR, .required = true, .choices = s_outcomes } };
static const gl_schema_t s_mediate = GL_SCHEMA ("mediate", s_mediate_fields);

#define F(s) S_BIT (S_##s)
static const s_op_t s_ops_table [] = {
    { "accept", F (REPORTED), A_FILER, s_do_accept, &s_accept, 0 },
    { "cancel", F (REPORTED) | F (SELF_HANDLED) | F (FILED), A_FILER, s_do_cancel, &s_cancel,
      0 },
    { "confirm", F (SELF_HANDLED), A_CONFIRMER, s_do_confirm, &s_plain, 0 },
    //  A centre holding an event (the skip rule sends urgent work to it) dispatches it on
    //  without filing it first.
    { "dispatch", F (FILED), A_DISPATCHER, s_do_dispatch, &s_dispatch,
      F (DISPATCHED) | F (IN_PROGRESS) },
    { "assign", F (FILED) | F (DISPATCHED) | F (IN_PROGRESS), A_ABOVE_TARGET, s_do_assign,
      &s_assign, 0 },
    { "escalate", F (FILED) | F (DISPATCHED) | F (IN_PROGRESS), A_HOLDER, s_do_escalate,
      &s_reasoned, 0 },
    { "sign", F (DISPATCHED), A_HOLDER, s_do_sign, &s_plain, 0 },
    { "return", F (DISPATCHED) | F (IN_PROGRESS), A_HOLDER, s_do_return, &s_reasoned, 0 },
    { "note", F (IN_PROGRESS) | F (SUSPENDED), A_HOLDER_OR_ABOVE, s_do_record, &s_texted, 0 },
    { "extend", F (IN_PROGRESS), A_HOLDER, s_do_extend, &s_extend, 0 },
    { "decide_extension", F (IN_PROGRESS), A_DISPATCHING, s_do_decide_extension, &s_decide, 0 },
    { "suspend", F (IN_PROGRESS), A_CENTRE, s_do_suspend, &s_reasoned, 0 },
    { "resume", F (SUSPENDED), A_CENTRE, s_do_resume, &s_plain, 0 },
    { "handle", F (IN_PROGRESS), A_HOLDER, s_do_handle, &s_handle, 0 },
    { "verify", F (HANDLED), A_VERIFIER, s_do_verify, &s_verify, 0 },
    { "feedback", F (FEEDBACK), A_CALLBACK, s_do_feedback, &s_feedback, 0 },
    { "supervise", S_OPEN, A_ABOVE_HOLDER, s_do_supervise, &s_supervise, 0 },
    { "instruct", S_OPEN, A_ABOVE_HOLDER, s_do_record, &s_texted, 0 },
    { "urgent", S_OPEN, A_ABOVE_HOLDER, s_do_urgent, &s_reasoned, 0 },
    { "refer", F (FILED) | F (DISPATCHED) | F (IN_PROGRESS), A_REFERRER, s_do_refer, &s_refer, 0 },
    { "mediate", F (IN_PROGRESS), A_HOLDER, s_do_mediate, &s_mediate, 0 },
    { "consult", F (IN_PROGRESS), A_HOLDER, s_do_consult, &s_consult, 0 },
    { "archive", F (CLOSED), A_CENTRE, s_do_archive, &s_plain, 0 },
};
static const size_t s_ops_count = sizeof s_ops_table / sizeof s_ops_table [0];

const gl_schema_t *
dispatcher_op_schema (const char *op)
{
    for (size_t i = 0; i < s_ops_count; i++)
        if (streq (s_ops_table [i].name, op))
            return s_ops_table [i].schema;
    return NULL;
}

//  The states op is allowed from, for an event held by a centre or not.
static unsigned
s_from (const s_op_t *op, bool centre_holds)
{
    return op->from | (centre_holds? op->centre_from: 0);
}

//  "Allowed now: …" for a refusal by state.
static void
s_allowed (s_state_t state, bool centre_holds, char *out, size_t size)
{
    size_t off = 0;
    out [0] = 0;
    for (size_t i = 0; i < s_ops_count && off < size; i++)
        if (s_from (&s_ops_table [i], centre_holds) & S_BIT (state))
            off += (size_t) snprintf (out + off, size - off, "%s%s", off? ", ": "",
                                      s_ops_table [i].name);
    if (!off)
        snprintf (out, size, "nothing (the event's life is over)");
}

//  The action name published for an op ("extend" -> "extension_requested" …).
static const char *
s_action_name (const char *op)
{
    static const char *const map [][2] = {
        { "accept", "filed" }, { "cancel", "cancelled" }, { "confirm", "confirmed" },
        { "dispatch", "dispatched" }, { "assign", "assigned" }, { "escalate", "escalated" },
        { "sign", "signed" }, { "return", "returned" }, { "note", "noted" },
        { "extend", "extension_requested" }, { "decide_extension", "extension_decided" },
        { "suspend", "suspended" }, { "resume", "resumed" }, { "handle", "handled" },
        { "verify", "verified" }, { "feedback", "feedback" }, { "supervise", "supervised" },
        { "instruct", "instructed" }, { "urgent", "urgent" }, { "refer", "referred" },
        { "mediate", "mediated" }, { "consult", "consulted" }, { "archive", "archived" },
    };
    for (size_t i = 0; i < sizeof map / sizeof map [0]; i++)
        if (streq (map [i][0], op))
            return map [i][1];
    return op;
}

//  A filed event goes on by the routing rules; the result is saved and published.
static int
s_route_filed (gl_ctx_t *ctx, s_event_t *ev, const char *actor)
{
    s_event_t old = *ev;
    gl_mapw_t routed;
    gl_mapw_init (&routed);
    int rc = s_route (ctx, ev, actor, &routed);
    if (rc == 0 && ev->state != S_FILED) {
        rc = s_event_save (ctx, ev, &old);
        if (rc == 0)
            rc = s_publish (ctx, ev, ev->state == S_CLOSED? "closed": "dispatched", actor,
                            NULL, &routed);
    }
    gl_mapw_fini (&routed);
    return rc;
}

//  One generic handler for every lifecycle op: find it, check, act, save, publish.
static int
s_op_lifecycle (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    const s_op_t *op = NULL;
    const msgpack_object *name = gl_map_get (req, "op");
    for (size_t i = 0; i < s_ops_count && !op; i++)
        if (gl_str_eq (name, s_ops_table [i].name))
            op = &s_ops_table [i];
    if (gl_schema_check (op->schema, req, err))
        return GL_REFUSED;
    char id [GL_MAX_NAME + 1], actor_id [S_UNIT], person [65] = "";
    gl_get_strbuf (req, "id", id, sizeof id);
    const msgpack_object *actor_map = gl_map_get (req, "actor");
    gl_get_strbuf (actor_map, "unit", actor_id, sizeof actor_id);
    gl_get_strbuf (actor_map, "person", person, sizeof person);
    const gl_unit_t *actor = gl_org_unit (self->org, actor_id);
    if (!actor)
        return gl_fail (err, GL_INVALID, "field 'actor.unit' is \"%s\": no such unit in %s "
                        "(`gridloop org` lists them)", actor_id, gl_org_county_name (self->org));
    s_event_t ev, old;
    int rc = s_event_load (ctx, id, &ev);
    if (rc == MDB_NOTFOUND)
        return gl_fail (err, GL_NOT_FOUND, "dispatcher holds no event '%s' (check the id; a "
                        "report just accepted by intake may take a moment to arrive)", id);
    if (rc)
        return rc;
    const gl_unit_t *holder = gl_org_unit (self->org, ev.unit);
    bool centre_holds = holder && holder->kind == GL_UNIT_CENTRE;
    if (!(s_from (op, centre_holds) & S_BIT (ev.state))) {
        char allowed [400];
        s_allowed (ev.state, centre_holds, allowed, sizeof allowed);
        return gl_fail (err, GL_CONFLICT, "event %s is %s; %s is not allowed then. Allowed now: "
                        "%s", id, s_state_names [ev.state], op->name, allowed);
    }
    if (s_authorise (ctx, op, &ev, actor, req, err))
        return GL_REFUSED;
    old = ev;
    gl_mapw_t extra;
    gl_mapw_init (&extra);
    rc = op->act (ctx, &ev, req, actor_id, &extra, err);
    //  Closing ends the last step too: its unit is done with it.
    if (rc == 0 && ev.state == S_CLOSED && old.state != S_CLOSED)
        rc = s_step_mark (ctx, &ev, "left_at", NULL, gl_ctx_now (ctx));
    if (rc == 0)
        rc = s_event_save (ctx, &ev, &old);
    if (rc == 0)
        rc = s_publish (ctx, &ev, s_action_name (op->name), actor_id, person, &extra);
    //  The end of an event's life is a message of its own: intake frees dedup keys on it.
    if (rc == 0 && ev.state == S_CLOSED && old.state != S_CLOSED)
        rc = s_publish (ctx, &ev, "closed", actor_id, person, NULL);
    //  Accepted: filed, then routed like any filed event, unless asked not to.
    bool route = true;
    gl_get_bool (req, "route", &route);
    if (rc == 0 && op->act == s_do_accept && route)
        rc = s_route_filed (ctx, &ev, actor_id);
    gl_mapw_fini (&extra);
    if (rc)
        return rc;
    gl_mapw_str (reply, "id", ev.id);
    gl_mapw_str (reply, "state", s_state_names [ev.state]);
    gl_mapw_u64 (reply, "step", ev.step);
    gl_mapw_str (reply, "unit", ev.unit);
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  Automatic filing and routing of new events from intake.

//  Route a filed event by the category's rules (DOMAIN.md section 4): 私事 closed with advice,
//  小事 to the community as a consultation, 大事 to the street's board — or, for urgent work
//  and categories the centre handles itself, straight to the centre with the county handler
//  copied (the skip rule).
static int
s_route (gl_ctx_t *ctx, s_event_t *ev, const char *actor, gl_mapw_t *extra)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    const gl_category_t *cat = gl_org_category (self->org, ev->category);
    const gl_unit_t *street = gl_org_unit (self->org, ev->street);
    if (!cat || !street)
        return 0;                       //  stays FILED for a person to dispatch
    if (streq (ev->sanshi, "private")) {
        ev->state = S_CLOSED;
        gl_mapw_str (extra, "advice", "私事：由网格员引导当事人自行协商解决，已记录在案");
        return 0;
    }
    const gl_unit_t *centre = gl_org_centre (self->org, street);
    const char *kind = "auto";
    const gl_unit_t *to = gl_org_street_handler (self->org, cat, street);
    char why [400] = "";
    if (streq (ev->sanshi, "minor")) {
        const gl_unit_t *community = gl_org_unit (self->org, ev->community);
        if (community && gl_org_admit (self->org, ev->category, GL_LEVEL_COMMUNITY,
                                       gl_ctx_now (ctx), why, sizeof why) == 0) {
            to = community;
            kind = "consultation";
        }
    }
    else
    if (streq (ev->priority, "P1") || to == centre) {
        to = centre;
        gl_mapw_key (extra, "copy");
        msgpack_pack_array (&extra->pk, 1);
        gl_pack_cstr (&extra->pk, ev->county_handler);
        gl_mapw_str (extra, "rule", "skip");
    }
    if (!to)
        return 0;
    if (*why)
        gl_mapw_str (extra, "not_admitted", why);
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", centre->id);
    ev->state = S_DISPATCHED;
    return s_enter (ctx, ev, to->id, kind, actor, NULL);
}

static int
s_reported (gl_ctx_t *ctx, const gl_envelope_t *env)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    if (!env->id)
        return GL_REFUSED;
    s_event_t ev;
    char id [GL_MAX_NAME + 1];
    snprintf (id, sizeof id, "%.*s", (int) env->id_len, env->id);
    int rc = s_event_load (ctx, id, &ev);
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
        ev.state = S_SELF_HANDLED;
        snprintf (ev.unit, sizeof ev.unit, "%s", ev.grid);
        action = "self_handled";
    }
    else
    if (streq (ev.reporter_role, "resident") || streq (ev.reporter_role, "enterprise")
    ||  streq (ev.reporter_role, "hotline")) {
        //  Residents' reports are accepted (受理) by the community before they are filed.
        ev.state = S_REPORTED;
        snprintf (ev.unit, sizeof ev.unit, "%s", ev.community);
        action = "reported";
    }
    else {
        ev.state = S_FILED;
        const gl_unit_t *centre = s_centre (ctx, &ev);
        snprintf (ev.unit, sizeof ev.unit, "%s", centre? centre->id: ev.street);
        action = "filed";
        if (triage)
            gl_mapw_obj (&extra, "triage", triage);
    }
    rc = s_event_save (ctx, &ev, NULL);
    if (rc == 0)
        rc = s_publish (ctx, &ev, action, "auto", NULL, &extra);
    gl_mapw_fini (&extra);
    if (rc || ev.state != S_FILED)
        return rc;
    return s_route_filed (ctx, &ev, "auto");
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

//  A stored msgpack value, as it is, into a list.
static int
s_raw_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    if (!peek) {
        gl_listw_t *list = arg;
        gl_sbuffer_write (&list->items, val->mv_data, val->mv_size);
        list->count++;
    }
    return GL_ITEM_TAKE;
}

static const gl_field_t s_get_fields [] = { S_ID };
static const gl_schema_t s_get = GL_SCHEMA ("get", s_get_fields);

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
        return gl_fail (err, GL_NOT_FOUND, "dispatcher holds no event '%s'", id);
    if (rc)
        return rc;
    gl_mapw_str (reply, "id", id);
    gl_mapw_raw (reply, "event", val, len);
    gl_key_t prefix;
    gl_key_init (&prefix);
    gl_key_str (&prefix, id);
    gl_listw_t steps;
    gl_listw_init (&steps);
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len };
    rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "steps"), &range, s_raw_item, &steps,
                     NULL);
    if (rc == 0)
        gl_mapw_list (reply, "steps", &steps);
    gl_listw_fini (&steps);
    return rc;
}

static const char *const s_queue_states [] = { "to_sign", "in_progress", "open", NULL };
static const gl_field_t s_queue_fields [] = {
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = S_UNIT - 1,
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
    if (s >= S_STATE_COUNT || !(q->want & S_BIT (s)))
        return GL_ITEM_SKIP;
    if (peek)
        return GL_ITEM_TAKE;
    char id [GL_MAX_NAME + 1];
    snprintf (id, sizeof id, "%.*s", (int) (key->mv_size - q->ulen),
              (char *) key->mv_data + q->ulen);
    s_event_t ev;
    int rc = s_event_load (q->ctx, id, &ev);
    if (rc == MDB_NOTFOUND)
        return GL_ITEM_SKIP;
    if (rc)
        return rc;
    msgpack_packer *pk = &q->list.pk;
    msgpack_pack_map (pk, 6);
    gl_pack_cstr (pk, "id");
    gl_pack_cstr (pk, id);
    gl_pack_cstr (pk, "state");
    gl_pack_cstr (pk, s_state_names [ev.state]);
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
    char unit [S_UNIT], state [16] = "open", after [GL_MAX_NAME + 1] = "";
    uint64_t limit = 100;
    gl_get_strbuf (req, "unit", unit, sizeof unit);
    gl_get_strbuf (req, "state", state, sizeof state);
    gl_get_strbuf (req, "after", after, sizeof after);
    gl_get_u64 (req, "limit", &limit);
    s_queue_t q = { .ctx = ctx, .want = streq (state, "to_sign")? S_BIT (S_DISPATCHED):
                    streq (state, "in_progress")? S_BIT (S_IN_PROGRESS) | S_BIT (S_SUSPENDED):
                    S_OPEN };
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
    s_dispatcher_t *self = (s_dispatcher_t *) zmalloc (sizeof *self);
    self->org = gl_service_org (service);
    gl_service_set_state (service, self);
    return 0;
}

//  Every lifecycle op goes through s_op_lifecycle, which checks its own schema; get and queue
//  are read-only.
#define S_LIFE(op) { .name = op, .fn = s_op_lifecycle, .mutating = true }
static const gl_op_t s_ops [] = {
    S_LIFE ("accept"), S_LIFE ("cancel"), S_LIFE ("confirm"), S_LIFE ("dispatch"),
    S_LIFE ("assign"), S_LIFE ("escalate"), S_LIFE ("sign"), S_LIFE ("return"),
    S_LIFE ("note"), S_LIFE ("extend"), S_LIFE ("decide_extension"), S_LIFE ("suspend"),
    S_LIFE ("resume"), S_LIFE ("handle"), S_LIFE ("verify"), S_LIFE ("feedback"),
    S_LIFE ("supervise"), S_LIFE ("instruct"), S_LIFE ("urgent"), S_LIFE ("refer"),
    S_LIFE ("mediate"), S_LIFE ("consult"), S_LIFE ("archive"),
    { .name = "get", .fn = s_op_get, .mutating = false, .schema = &s_get },
    { .name = "queue", .fn = s_op_queue, .mutating = false, .schema = &s_queue },
};

static const char *const s_dbs [] = { "events", "steps", "by_unit", NULL };

const gl_service_def_t dispatcher_service = {
    .name = "dispatcher",
    .svc = GL_SVC_DISPATCHER,
    .dbs = s_dbs,
    .ops = s_ops,
    .nops = sizeof s_ops / sizeof s_ops [0],
    .consume = s_consume,
    .needs_org = true,
    .open = s_open,
};

/*  dispatcher — the event's whole life (proto/dispatcher.md): states, steps (one per hop between
    units), automatic filing and routing from the county's rules, every lifecycle command, who
    may give it, and the queues of each unit.

    Storage: "events" id -> the event record (a msgpack map, s_event_t); "steps" id, 0x00,
    big-endian step number -> the step record; "by_unit" unit, 0x00, id -> state (1 byte): the
    open work of every unit, for queues.  */
#include "dispatcher.h"
#include "gl_clock.h"
#include "gl_dispatch_ops.h"
#include "gl_org.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

//  States (DOMAIN.md section 4) are the table's: gl_dispatch_ops.h.
typedef gl_ev_state_t s_state_t;

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
    char reporter_id [65];      //  the reporter's id (a resident's, through the hotline)
    char channel [16];          //  how the report came in: app, hotline, walkin …
    char county_handler [S_UNIT];   //  the category's county department
    bool dispute;               //  mediation (四调) applies
    bool urgent;                //  marked urgent by a higher tier
    uint64_t step;              //  current step number (0 before the first hop)
    char unit [S_UNIT];         //  who holds it now (assigned unit; the filing unit when FILED)
    char dispatcher [S_UNIT];   //  who gave it to the holder (returns go back there)
    char returned_by [S_UNIT];  //  the unit that last returned it (wrong-dispatch check)
    char referred_by [S_UNIT];  //  the centre or board that referred it to mediation
    uint64_t returns;           //  退单 count
    uint64_t reworks;           //  verifications failed
    uint64_t rehandles;         //  unsatisfied feedback
    uint64_t wrong_dispatches;  //  re-dispatched to another unit after a return
    char step_kind [24];        //  how the current step began: dispatch, consultation …
    char consultation [12];     //  小事 consultation: the last stage done ("" before topic)
    char supervision [8];       //  "" | normal | yellow | red
    uint64_t extension_days;    //  pending extension request (0: none)
    char advice [1024];         //  the advice a 私事 was closed with ("" otherwise)
    uint64_t mediations;        //  mediation records made (四调), each counted
    char mediation_channel [S_UNIT];    //  the channel of the latest record
    char mediator [64];         //  who mediated
    uint64_t mediation_sessions;    //  sessions held
    char agreement [2048];      //  the agreement reached ("" if none)
    char mediation_outcome [16];    //  settled | failed | litigation ("" before a record)
    int64_t created_at;         //  ms
    int64_t updated_at;         //  ms
    int64_t closed_at;          //  ms when it last closed (0 while open)
} s_event_t;

typedef struct {
    gl_org_t *org;              //  the county: units, categories, admission
    int64_t reopen_days;        //  dispatcher/reopen_days: how long a 私事 may be reopened
    int utc_offset_min;         //  county time, for the log's lifecycle lines
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
    R ("reporter_role", R_STR, reporter_role), R ("reporter_id", R_STR, reporter_id),
    R ("channel", R_STR, channel), R ("county_handler", R_STR, county_handler),
    R ("dispute", R_BOOL, dispute), R ("urgent", R_BOOL, urgent), R ("step", R_U64, step),
    R ("unit", R_STR, unit), R ("dispatcher", R_STR, dispatcher),
    R ("returned_by", R_STR, returned_by), R ("referred_by", R_STR, referred_by),
    R ("returns", R_U64, returns), R ("reworks", R_U64, reworks),
    R ("rehandles", R_U64, rehandles), R ("wrong_dispatches", R_U64, wrong_dispatches),
    R ("step_kind", R_STR, step_kind), R ("consultation", R_STR, consultation),
    R ("supervision", R_STR, supervision), R ("extension_days", R_U64, extension_days),
    R ("advice", R_STR, advice), R ("mediations", R_U64, mediations),
    R ("mediation_channel", R_STR, mediation_channel), R ("mediator", R_STR, mediator),
    R ("mediation_sessions", R_U64, mediation_sessions), R ("agreement", R_STR, agreement),
    R ("mediation_outcome", R_STR, mediation_outcome), R ("created_at", R_I64, created_at),
    R ("updated_at", R_I64, updated_at), R ("closed_at", R_I64, closed_at),
};
#define S_RECORD_COUNT (sizeof s_record / sizeof s_record [0])

static void
s_event_write (const s_event_t *ev, msgpack_sbuffer *out)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "state", gl_ev_state_names [ev->state]);
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
    for (int s = 0; s < GL_EV_STATE_COUNT; s++)
        if (streq (state, gl_ev_state_names [s]))
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
    //  The reopening window of a 私事 counts from here.
    if (ev->state == GL_EV_CLOSED && (!old || old->state != GL_EV_CLOSED))
        ev->closed_at = ev->updated_at;
    int rc = 0;
    if (old && old->unit [0])
        rc = s_index (ctx, old->unit, ev->id, old->state, false);
    if (rc == 0 && (GL_EV_BIT (ev->state) & GL_EV_OPEN))
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
    gl_mapw_str (&body, "state", gl_ev_state_names [ev->state]);
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
    //  One line per action, so an operator can follow the loop in the log: who, what, which
    //  event, where it is now, and when in county time with its zone.
    s_dispatcher_t *self = gl_ctx_state (ctx);
    char when [40];
    gl_clock_local (gl_ctx_now (ctx), self->utc_offset_min, false, when, sizeof when);
    gl_log_info ("dispatcher: %s%s%s %s event %s: now %s, step %llu at %s (%s)", actor_unit,
                 actor_person && *actor_person? " person ": "",
                 actor_person? actor_person: "", action, ev->id, gl_ev_state_names [ev->state],
                 (unsigned long long) ev->step, ev->unit [0]? ev->unit: "-", when);
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

typedef int (s_act_fn) (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req,
                        const char *actor, gl_mapw_t *extra, gl_err_t *err);

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

//  The 12345 hotline's unit: it takes residents' calls, so it also makes their callbacks.
#define S_HOTLINE "D-HOTLINE"

//  回访 through the hotline: the hotline for an event that came in through it, or a resident
//  acting through the hotline (actor.role "resident") for the event they reported themselves
//  (actor.person is their reporter id). Returns 0, or FORBIDDEN naming who may.
static int
s_callback_by_hotline (const s_event_t *ev, const gl_unit_t *actor, const msgpack_object *req,
                       gl_err_t *err)
{
    char role [33] = "", person [65] = "";
    const msgpack_object *who = gl_map_get (req, "actor");
    gl_get_strbuf (who, "role", role, sizeof role);
    gl_get_strbuf (who, "person", person, sizeof person);
    bool by_hotline = streq (ev->channel, "hotline") || streq (ev->reporter_role, "hotline");
    if (s_is (actor, S_HOTLINE) && by_hotline) {
        if (!streq (role, "resident") || streq (person, ev->reporter_id))
            return 0;
        return gl_fail (err, GL_FORBIDDEN, "a resident gives the callback of event %s through "
                        "the hotline only for an event they reported: actor.person must be the "
                        "reporter's id, and %s is not", ev->id, *person? person: "(none)");
    }
    return gl_fail (err, GL_FORBIDDEN, "only %s (its community), its street's centre, or the "
                    "hotline %s for an event reported through it (itself, or the reporting "
                    "resident as actor.role resident) may give the callback of event %s; %s "
                    "is not%s", ev->community, S_HOTLINE, ev->id, actor->id,
                    s_is (actor, S_HOTLINE)? " (the event did not come in through the hotline)":
                    "");
}

static int
s_authorise (gl_ctx_t *ctx, const gl_dop_t *op, const s_event_t *ev, const gl_unit_t *actor,
             const msgpack_object *req, gl_err_t *err)
{
    const gl_unit_t *holder = s_unit (ctx, ev->unit);
    bool ok = false;
    const char *who = "";
    switch (op->who) {
        case GL_WHO_FILER:
            ok = s_is (actor, ev->community) || s_is_centre_of (ctx, ev, actor);
            who = "the event's community, its street's centre or the county centre";
            break;
        case GL_WHO_DISPATCHER:
            ok = s_is (actor, ev->unit) || s_is_centre_of (ctx, ev, actor)
              || s_is (actor, ev->community) || (holder && s_above (actor, holder));
            who = "the unit holding the event, its community, its street's centre or the "
                  "county centre";
            break;
        case GL_WHO_CONFIRMER:
            //  The worker who handled it on the spot does not confirm her own work.
            if (s_is (actor, ev->community) || s_grid_leader (ctx, ev, actor, req))
                return 0;
            return s_refuse_confirm (ctx, ev, actor, req, err);
        case GL_WHO_ABOVE_TARGET: {
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
        case GL_WHO_HOLDER:
            ok = s_is (actor, ev->unit);
            who = "the assigned unit";
            break;
        case GL_WHO_HOLDER_OR_ABOVE:
            ok = s_is (actor, ev->unit) || s_above (actor, holder)
              || s_is_centre_of (ctx, ev, actor);
            who = "the assigned unit, a higher tier or a command centre";
            break;
        case GL_WHO_DISPATCHING:
            ok = s_is (actor, ev->dispatcher) || s_above (actor, holder)
              || s_is_centre_of (ctx, ev, actor);
            who = "the unit that dispatched it or a higher tier";
            break;
        case GL_WHO_CENTRE:
            ok = s_is_centre_of (ctx, ev, actor);
            who = "the event's street centre or the county centre";
            break;
        case GL_WHO_VERIFIER: {
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
        case GL_WHO_CALLBACK:
            if (s_is (actor, ev->community) || s_is_centre_of (ctx, ev, actor))
                return 0;
            return s_callback_by_hotline (ev, actor, req, err);
        case GL_WHO_ABOVE_HOLDER:
            //  The street centre supervises its own boards, the county centre everything.
            ok = s_above (actor, holder)
              || (s_is_centre_of (ctx, ev, actor) && !s_is (actor, ev->unit));
            who = "a higher tier than the assigned unit, or a command centre";
            break;
        case GL_WHO_TRIAGER:
            //  改派: the community that first files residents' work, or a centre above it.
            ok = s_is (actor, ev->community) || s_is_centre_of (ctx, ev, actor);
            who = "the event's community, its street's centre or the county centre";
            break;
        case GL_WHO_REFERRER:
            //  The board holding a dispute refers it too: 平安法治 is where disputes land.
            ok = s_is_centre_of (ctx, ev, actor)
              || (s_is (actor, ev->unit) && (actor->kind == GL_UNIT_MEDIATION
                                             || actor->kind == GL_UNIT_BOARD));
            who = "the event's street centre, the county centre, or the board or mediation "
                  "channel holding it";
            break;
        case GL_WHO_COUNT:
            break;                      //  not a rule: refused below
    }
    if (ok)
        return 0;
    return gl_fail (err, GL_FORBIDDEN, "only %s (here: %s) may %s event %s; %s is not", who,
                    ev->unit [0]? ev->unit: ev->community, op->name, ev->id, actor->id);
}

//  岗位权限: where the domain files say which roles of the acting unit's staff give op for it,
//  actor.person must be named, be on that unit's staff list, and hold one of those roles.
//  Returns 0, or FORBIDDEN naming the roles allowed and the people of the unit who hold them.
static int
s_check_person (gl_ctx_t *ctx, const gl_dop_t *op, const s_event_t *ev, const gl_unit_t *actor,
                const char *person, gl_err_t *err)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    unsigned roles = gl_org_action_roles (self->org, op->name, actor->kind);
    if (!roles)
        return 0;
    const gl_person_t *p = gl_org_person (self->org, person);
    if (p && p->unit == actor && (roles & (1u << p->role)))
        return 0;
    char allowed [128] = "", holders [256] = "";
    size_t off = 0, hoff = 0, count;
    for (int r = 0; r < GL_ROLE_COUNT && off < sizeof allowed; r++)
        if (roles & (1u << r))
            off += (size_t) snprintf (allowed + off, sizeof allowed - off, "%s%s",
                                      off? " or ": "", gl_role_name ((gl_role_t) r));
    const gl_person_t *const *staff = gl_org_people (self->org, actor->id, &count);
    for (size_t i = 0; i < count && hoff < sizeof holders; i++)
        if (roles & (1u << staff [i]->role))
            hoff += (size_t) snprintf (holders + hoff, sizeof holders - hoff, "%s%s",
                                       hoff? ", ": "", staff [i]->id);
    char who [160];
    if (!*person)
        snprintf (who, sizeof who, "no actor.person was named");
    else
    if (!p)
        snprintf (who, sizeof who, "%s is not on the staff list", person);
    else
        snprintf (who, sizeof who, "%s is a %s of %s", person, gl_role_name (p->role),
                  p->unit->id);
    return gl_fail (err, GL_FORBIDDEN, "%s of event %s by %s is given by its %s, named in "
                    "actor.person (here: %s); %s", op->name, ev->id, actor->id, allowed,
                    hoff? holders: "none on its staff", who);
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
    ev->state = GL_EV_DISPATCHED;
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

//  File the event under the category code given in req's "category" (if any): its board, its
//  county handler and whether it is a dispute follow the category. An unknown code is INVALID
//  and changes nothing.
static int
s_set_category (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, gl_err_t *err)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    char text [16];
    if (!*s_text (req, "category", text, sizeof text))
        return 0;
    const gl_category_t *cat = gl_org_category (self->org, text);
    if (!cat)
        return gl_fail (err, GL_INVALID, "field 'category' is \"%s\": not on the county's "
                        "category list (`gridloop org` lists them)", text);
    snprintf (ev->category, sizeof ev->category, "%s", cat->code);
    snprintf (ev->board, sizeof ev->board, "%s", gl_board_name (cat->board));
    snprintf (ev->county_handler, sizeof ev->county_handler, "%s", cat->county_handler->id);
    ev->dispute = cat->dispute;
    return 0;
}

static int
s_do_accept (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char text [16];
    if (s_set_category (ctx, ev, req, err))
        return GL_REFUSED;
    if (*s_text (req, "priority", text, sizeof text))
        snprintf (ev->priority, sizeof ev->priority, "%s", text);
    if (*s_text (req, "sanshi", text, sizeof text))
        snprintf (ev->sanshi, sizeof ev->sanshi, "%s", text);
    ev->state = GL_EV_FILED;
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
    ev->state = GL_EV_CANCELLED;
    return s_step_mark (ctx, ev, "left_at", NULL, gl_ctx_now (ctx));
}

static int
s_do_confirm (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    ev->state = GL_EV_CLOSED;
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
    ev->state = GL_EV_FILED;
    return s_enter (ctx, ev, up->id, "escalate", actor, reason);
}

static int
s_do_sign (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
           gl_mapw_t *extra, gl_err_t *err)
{
    ev->state = GL_EV_IN_PROGRESS;
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
    ev->state = GL_EV_FILED;
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
    return s_do_state (ctx, ev, req, actor, extra, err, GL_EV_SUSPENDED);
}

static int
s_do_resume (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    return s_do_state (ctx, ev, req, actor, extra, err, GL_EV_IN_PROGRESS);
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
    ev->state = GL_EV_HANDLED;
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
        ev->state = s_resident_originated (ev)? GL_EV_FEEDBACK: GL_EV_CLOSED;
    else {
        ev->reworks++;
        ev->state = GL_EV_IN_PROGRESS;
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
        ev->state = GL_EV_IN_PROGRESS;
        ev->consultation [0] = 0;       //  a 小事 is consulted again, as after a failed verify
    }
    else
        ev->state = GL_EV_CLOSED;
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
    ev->state = GL_EV_DISPATCHED;
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
    //  The event keeps the latest record (shown by get and `gridloop event`) and how many
    //  were made; each record is also on its step and in the published message.
    ev->mediations++;
    snprintf (ev->mediation_channel, sizeof ev->mediation_channel, "%s", ev->unit);
    snprintf (ev->mediator, sizeof ev->mediator, "%s", mediator);
    ev->mediation_sessions = sessions;
    snprintf (ev->agreement, sizeof ev->agreement, "%s", agreement);
    snprintf (ev->mediation_outcome, sizeof ev->mediation_outcome, "%s", outcome);
    s_mark_t marks [] = {
        { "outcome", outcome, 0, false }, { "mediator", mediator, 0, false },
        { "sessions", NULL, (int64_t) sessions, false }
    };
    int rc = s_step_update (ctx, ev, marks, 3);
    if (rc)
        return rc;
    if (streq (outcome, "failed")) {
        //  Back to the unit that referred it, to decide what comes next: a hop of its own,
        //  so the event reads FILED at that unit in a step that says where it came from.
        const char *back = ev->referred_by [0]? ev->referred_by: ev->dispatcher;
        char to [S_UNIT];
        snprintf (to, sizeof to, "%s", back);
        snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", to);
        ev->state = GL_EV_FILED;
        return s_enter (ctx, ev, to, "mediation_failed", actor, NULL);
    }
    ev->state = GL_EV_HANDLED;              //  settled, or taken to court: verification next
    return 0;
}

//  改派 / 重新分流: the community or a centre above it files the event again under another
//  category, 三事 type, priority or board, and routing runs again (op->routes). The unit that
//  re-triages takes it back in a step of its own, which keeps what was changed and why; the
//  step it leaves is marked retriaged. Every field is checked before anything changes.
static int
s_do_retriage (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
               gl_mapw_t *extra, gl_err_t *err)
{
    char sanshi [12], priority [4], board [16], reason [512];
    s_text (req, "sanshi", sanshi, sizeof sanshi);
    s_text (req, "priority", priority, sizeof priority);
    s_text (req, "board", board, sizeof board);
    s_text (req, "reason", reason, sizeof reason);
    if (!gl_map_get (req, "category") && !*sanshi && !*priority && !*board)
        return gl_fail (err, GL_INVALID, "retriage of event %s changes nothing: give at least "
                        "one of 'category', 'sanshi', 'priority' or 'board'", ev->id);
    char was [96];
    snprintf (was, sizeof was, "%s %s %s %s", ev->category, ev->sanshi, ev->priority,
              ev->board);
    if (s_set_category (ctx, ev, req, err))
        return GL_REFUSED;
    if (*sanshi)
        snprintf (ev->sanshi, sizeof ev->sanshi, "%s", sanshi);
    if (*priority)
        snprintf (ev->priority, sizeof ev->priority, "%s", priority);
    if (*board)
        snprintf (ev->board, sizeof ev->board, "%s", board);
    s_mark_t left [] = {
        { "outcome", "retriaged", 0, false }, { "left_at", NULL, gl_ctx_now (ctx), false }
    };
    int rc = s_step_update (ctx, ev, left, 2);
    if (rc == 0)
        rc = s_enter (ctx, ev, actor, "retriage", actor, reason);
    //  The new step says what the event was and what it is now filed as.
    s_mark_t filed [] = {
        { "was", was, 0, false }, { "category", ev->category, 0, false },
        { "sanshi", ev->sanshi, 0, false }, { "priority", ev->priority, 0, false },
        { "board", ev->board, 0, false }
    };
    if (rc == 0)
        rc = s_step_update (ctx, ev, filed, sizeof filed / sizeof filed [0]);
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", actor);
    ev->returned_by [0] = 0;
    ev->state = GL_EV_FILED;
    gl_mapw_str (extra, "was", was);
    gl_mapw_str (extra, "category", ev->category);
    gl_mapw_str (extra, "sanshi", ev->sanshi);
    gl_mapw_str (extra, "priority", ev->priority);
    gl_mapw_str (extra, "board", ev->board);
    gl_mapw_str (extra, "reason", reason);
    return rc;
}

//  A 私事 closed with advice is reopened when the residents could not settle it themselves,
//  within dispatcher/reopen_days of its closing: FILED again at the unit that reopens it, in a
//  step of its own, from where a dispute is referred to mediation (or re-triaged, dispatched).
static int
s_do_reopen (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    s_dispatcher_t *self = gl_ctx_state (ctx);
    if (!streq (ev->sanshi, "private") || !ev->advice [0])
        return gl_fail (err, GL_CONFLICT, "event %s was closed by its handling, not as a 私事 "
                        "with advice: only a private matter closed with advice is reopened "
                        "(a new report opens new work)", ev->id);
    int64_t now = gl_ctx_now (ctx), window = self->reopen_days * 86400000LL;
    if (now - ev->closed_at > window) {
        time_t closed = (time_t) (ev->closed_at / 1000);
        struct tm tm;
        char when [32];
        gmtime_r (&closed, &tm);
        strftime (when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
        return gl_fail (err, GL_CONFLICT, "event %s closed at %s, more than %lld days ago "
                        "(dispatcher/reopen_days): it can no longer be reopened; report it "
                        "again as new work", ev->id, when, (long long) self->reopen_days);
    }
    char reason [512];
    s_text (req, "reason", reason, sizeof reason);
    gl_mapw_str (extra, "reason", reason);
    gl_mapw_str (extra, "advice", ev->advice);
    ev->advice [0] = 0;
    ev->closed_at = 0;
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", actor);
    ev->state = GL_EV_FILED;
    return s_enter (ctx, ev, actor, "reopen", actor, reason);
}

//  小事 at the community (协商议事): the stages of gl_consult_stages in order; publishing the
//  result reports the event handled, for the grid to verify.

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
    for (int i = 0; gl_consult_stages [i]; i++) {
        if (streq (gl_consult_stages [i], ev->consultation))
            done = i;
        if (streq (gl_consult_stages [i], stage))
            want = i;
    }
    if (want != done + 1)
        return gl_fail (err, GL_CONFLICT, "event %s's consultation is at '%s': the next stage is "
                        "'%s', not '%s' (topic, meeting, decision, carry_out, publish)", ev->id,
                        ev->consultation [0]? ev->consultation: "(not started)",
                        gl_consult_stages [done + 1]? gl_consult_stages [done + 1]: "(none: all are done)",
                        stage);
    snprintf (ev->consultation, sizeof ev->consultation, "%s", stage);
    gl_mapw_str (extra, "stage", stage);
    gl_mapw_str (extra, "text", s_text (req, "text", text, sizeof text));
    if (streq (stage, "publish")) {
        ev->state = GL_EV_HANDLED;          //  the published decision, carried out: verify next
        return s_step_mark (ctx, ev, "handled_at", NULL, gl_ctx_now (ctx));
    }
    return 0;
}

static int
s_do_archive (gl_ctx_t *ctx, s_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    ev->state = GL_EV_ARCHIVED;
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  The operations: what each does. Everything else about them — fields, states, who, CLI —
//  is in the one table, gl_dops (gl_dispatch_ops.h).

static s_act_fn *const s_acts [GL_DOP_COUNT] = {
    [GL_DOP_ACCEPT] = s_do_accept, [GL_DOP_CANCEL] = s_do_cancel,
    [GL_DOP_CONFIRM] = s_do_confirm, [GL_DOP_DISPATCH] = s_do_dispatch,
    [GL_DOP_ASSIGN] = s_do_assign, [GL_DOP_ESCALATE] = s_do_escalate, [GL_DOP_SIGN] = s_do_sign,
    [GL_DOP_RETURN] = s_do_return, [GL_DOP_NOTE] = s_do_record, [GL_DOP_EXTEND] = s_do_extend,
    [GL_DOP_DECIDE_EXTENSION] = s_do_decide_extension, [GL_DOP_SUSPEND] = s_do_suspend,
    [GL_DOP_RESUME] = s_do_resume, [GL_DOP_HANDLE] = s_do_handle,
    [GL_DOP_VERIFY] = s_do_verify, [GL_DOP_FEEDBACK] = s_do_feedback,
    [GL_DOP_SUPERVISE] = s_do_supervise, [GL_DOP_INSTRUCT] = s_do_record,
    [GL_DOP_URGENT] = s_do_urgent, [GL_DOP_REFER] = s_do_refer, [GL_DOP_MEDIATE] = s_do_mediate,
    [GL_DOP_CONSULT] = s_do_consult, [GL_DOP_ARCHIVE] = s_do_archive,
    [GL_DOP_RETRIAGE] = s_do_retriage, [GL_DOP_REOPEN] = s_do_reopen,
};

//  "Allowed now: …" for a refusal by state.
static void
s_allowed (s_state_t state, bool centre_holds, char *out, size_t size)
{
    size_t off = 0;
    out [0] = 0;
    for (size_t i = 0; i < GL_DOP_COUNT && off < size; i++)
        if (gl_dop_from (&gl_dops [i], centre_holds) & GL_EV_BIT (state))
            off += (size_t) snprintf (out + off, size - off, "%s%s", off? ", ": "",
                                      gl_dops [i].name);
    if (!off)
        snprintf (out, size, "nothing (the event's life is over)");
}

//  A filed event goes on by the routing rules; the result is saved and published.
static int
s_route_filed (gl_ctx_t *ctx, s_event_t *ev, const char *actor)
{
    s_event_t old = *ev;
    gl_mapw_t routed;
    gl_mapw_init (&routed);
    int rc = s_route (ctx, ev, actor, &routed);
    if (rc == 0 && ev->state != GL_EV_FILED) {
        rc = s_event_save (ctx, ev, &old);
        if (rc == 0)
            rc = s_publish (ctx, ev, ev->state == GL_EV_CLOSED? "closed": "dispatched", actor,
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
    char name [32] = "";
    gl_get_strbuf (req, "op", name, sizeof name);
    const gl_dop_t *op = gl_dop_lookup (name);  //  the service routes only the table's ops here
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
    if (!(gl_dop_from (op, centre_holds) & GL_EV_BIT (ev.state))) {
        char allowed [400];
        s_allowed (ev.state, centre_holds, allowed, sizeof allowed);
        return gl_fail (err, GL_CONFLICT, "event %s is %s; %s is not allowed then. Allowed now: "
                        "%s", id, gl_ev_state_names [ev.state], op->name, allowed);
    }
    if (s_authorise (ctx, op, &ev, actor, req, err)
    ||  s_check_person (ctx, op, &ev, actor, person, err))
        return GL_REFUSED;
    old = ev;
    gl_mapw_t extra;
    gl_mapw_init (&extra);
    rc = s_acts [op - gl_dops] (ctx, &ev, req, actor_id, &extra, err);
    //  Closing ends the last step too: its unit is done with it.
    if (rc == 0 && ev.state == GL_EV_CLOSED && old.state != GL_EV_CLOSED)
        rc = s_step_mark (ctx, &ev, "left_at", NULL, gl_ctx_now (ctx));
    if (rc == 0)
        rc = s_event_save (ctx, &ev, &old);
    if (rc == 0)
        rc = s_publish (ctx, &ev, op->action, actor_id, person, &extra);
    //  The end of an event's life is a message of its own: intake frees dedup keys on it.
    if (rc == 0 && ev.state == GL_EV_CLOSED && old.state != GL_EV_CLOSED)
        rc = s_publish (ctx, &ev, "closed", actor_id, person, NULL);
    //  Accepted: filed, then routed like any filed event, unless asked not to.
    bool route = true;
    gl_get_bool (req, "route", &route);
    if (rc == 0 && op->routes && ev.state == GL_EV_FILED && route)
        rc = s_route_filed (ctx, &ev, actor_id);
    gl_mapw_fini (&extra);
    if (rc)
        return rc;
    gl_mapw_str (reply, "id", ev.id);
    gl_mapw_str (reply, "state", gl_ev_state_names [ev.state]);
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
        //  The category's own advice; a category the county gave none still names itself.
        if (cat->advice)
            snprintf (ev->advice, sizeof ev->advice, "%s", cat->advice);
        else
            snprintf (ev->advice, sizeof ev->advice, "%s属私事：网格员已引导当事人自行协商解决，"
                      "协商不成可申请社区人民调解", cat->name);
        ev->state = GL_EV_CLOSED;
        gl_mapw_str (extra, "advice", ev->advice);
        return s_step_mark (ctx, ev, "left_at", NULL, gl_ctx_now (ctx));
    }
    const gl_unit_t *centre = gl_org_centre (self->org, street);
    const char *kind = "auto";
    const gl_unit_t *to = gl_org_street_handler (self->org, cat, street);
    //  A board chosen in re-triage overrides the category's own.
    int board = gl_board_lookup (ev->board);
    if (board >= 0 && (gl_board_t) board != cat->board)
        to = gl_org_board (self->org, street, (gl_board_t) board);
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
    ev->state = GL_EV_DISPATCHED;
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
    if (rc || ev.state != GL_EV_FILED)
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

static const gl_field_t s_get_fields [] = {
    { .key = "id", .type = GL_F_STR, .required = true, .min = 1, .max = GL_MAX_NAME,
      .hint = "the event id, e.g. \"500235-20261127-000000042\"" }
};
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
    if (s >= GL_EV_STATE_COUNT || !(q->want & GL_EV_BIT (s)))
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
    char unit [S_UNIT], state [16] = "open", after [GL_MAX_NAME + 1] = "";
    uint64_t limit = 100;
    gl_get_strbuf (req, "unit", unit, sizeof unit);
    gl_get_strbuf (req, "state", state, sizeof state);
    gl_get_strbuf (req, "after", after, sizeof after);
    gl_get_u64 (req, "limit", &limit);
    s_queue_t q = { .ctx = ctx, .want = streq (state, "to_sign")? GL_EV_BIT (GL_EV_DISPATCHED):
                    streq (state, "in_progress")? GL_EV_BIT (GL_EV_IN_PROGRESS) | GL_EV_BIT (GL_EV_SUSPENDED):
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
    s_dispatcher_t *self = (s_dispatcher_t *) zmalloc (sizeof *self);
    self->org = gl_service_org (service);
    self->reopen_days = gl_service_config (service)->reopen_days;
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

//  Every lifecycle op of the table goes through s_op_lifecycle, which checks its own schema;
//  get, queue and describe are read-only.
#define S_LIFE(id, op) { .name = op, .fn = s_op_lifecycle, .mutating = true },
static const gl_op_t s_ops [] = {
    GL_DISPATCH_OPS (S_LIFE)
    { .name = "get", .fn = s_op_get, .mutating = false, .schema = &s_get },
    { .name = "describe", .fn = s_op_describe, .mutating = false, .schema = &s_describe },
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

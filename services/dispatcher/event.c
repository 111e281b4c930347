/*  event — the dispatcher's event record and its steps: the record's fields in one table, load
    and save (with the by_unit index of open work), one step per hop, and publishing an action.

    Storage: "events" id -> the event record (a msgpack map, dsp_event_t); "steps" id, 0x00,
    big-endian step number -> the step record; "by_unit" unit, 0x00, id -> state (1 byte): the
    open work of every unit, for queues.  */
#include "dispatcher_internal.h"
#include "gl_clock.h"

#include <stddef.h>
#include <string.h>

//  ---------------------------------------------------------------------------------------------
//  The event record.

//  The record's fields, one table for writing and reading (the state is written by name).
typedef enum { R_STR, R_BOOL, R_U64, R_I64 } s_rtype_t;

typedef struct {
    const char *key;            //  field name in the stored map
    s_rtype_t type;             //  how it is stored
    size_t offset;              //  where it lives in dsp_event_t
    size_t size;                //  buffer size, for strings
} s_rfield_t;

#define R(key, type, field) { key, type, offsetof (dsp_event_t, field), \
                              sizeof ((dsp_event_t *) 0)->field }
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
s_event_write (const dsp_event_t *ev, msgpack_sbuffer *out)
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
s_event_read (const void *bytes, size_t len, dsp_event_t *ev)
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
            ev->state = (gl_ev_state_t) s;
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
int
dsp_event_load (gl_ctx_t *ctx, const char *id, dsp_event_t *ev)
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
s_index (gl_ctx_t *ctx, const char *unit, const char *id, gl_ev_state_t state, bool put)
{
    if (!unit [0])
        return 0;
    char key [DSP_UNIT + GL_MAX_NAME + 2];
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

//  ---------------------------------------------------------------------------------------------
//  Archiving (归档). An ended event is archived once the evaluation month it ended in is over
//  (county time) and dispatcher/archive_grace_days more have passed, never while a closed 私事
//  may still be reopened. "ending" holds one row per ended event, keyed by when that is due
//  (big-endian ms, then the id), so that a round reads only what is due.

static void s_step_key (const dsp_event_t *ev, uint64_t n, uint8_t *key, size_t *len);

#define S_ENDED (GL_EV_BIT (GL_EV_CLOSED) | GL_EV_BIT (GL_EV_CANCELLED) \
               | GL_EV_BIT (GL_EV_ARCHIVED))
#define S_DAY_MS 86400000LL
#define S_ARCHIVE_MAX 1000      //  most events archived in one round (short transactions)

int64_t
dsp_archive_at (const dsp_t *self, const dsp_event_t *ev)
{
    int64_t offset = self->utc_offset_min * 60000LL;
    int64_t local = ev->closed_at + offset;
    int64_t day = local / S_DAY_MS - (local % S_DAY_MS < 0);
    int y, m, d;
    gl_civil_from_days (day, &y, &m, &d);
    int64_t next_month = gl_days_from_civil (m == 12? y + 1: y, m == 12? 1: m + 1, 1);
    int64_t at = next_month * S_DAY_MS - offset + self->archive_grace_days * S_DAY_MS;
    int64_t reopenable = ev->closed_at + self->reopen_days * S_DAY_MS;
    return ev->state == GL_EV_CLOSED && reopenable > at? reopenable: at;
}

static int
s_ending_put (gl_ctx_t *ctx, const dsp_event_t *ev)
{
    gl_key_t key;
    gl_key_init (&key);
    gl_key_u64 (&key, (uint64_t) dsp_archive_at (gl_ctx_state (ctx), ev));
    gl_key_raw (&key, ev->id, strlen (ev->id));
    return gl_db_put (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "ending"), key.bytes, key.len, "", 0, 0);
}

//  One due row: archive its event if it is still ended and its time has come (a reopened event
//  that ended again has a later row of its own), then drop the event and its steps.
static int
s_archive_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    gl_ctx_t *ctx = arg;
    if (key->mv_size <= 8 || key->mv_size - 8 > GL_MAX_NAME)
        return 0;
    char id [GL_MAX_NAME + 1];
    memcpy (id, (const char *) key->mv_data + 8, key->mv_size - 8);
    id [key->mv_size - 8] = 0;
    dsp_event_t ev;
    int rc = dsp_event_load (ctx, id, &ev);
    if (rc)
        return rc == MDB_NOTFOUND? 0: rc;
    if (!(GL_EV_BIT (ev.state) & S_ENDED)
    ||  dsp_archive_at (gl_ctx_state (ctx), &ev) > gl_ctx_now (ctx))
        return 0;
    if (ev.state != GL_EV_ARCHIVED) {
        ev.state = GL_EV_ARCHIVED;
        rc = dsp_publish (ctx, &ev, "archived", "auto", NULL, NULL);
        if (rc)
            return rc;
    }
    MDB_txn *txn = gl_ctx_txn (ctx);
    rc = gl_db_del (txn, gl_ctx_dbi (ctx, "events"), ev.id, strlen (ev.id));
    for (uint64_t n = 0; n <= ev.step && (rc == 0 || rc == MDB_NOTFOUND); n++) {
        uint8_t k [GL_MAX_NAME + 10];
        size_t len;
        s_step_key (&ev, n, k, &len);
        rc = gl_db_del (txn, gl_ctx_dbi (ctx, "steps"), k, len);
    }
    return rc == MDB_NOTFOUND? 0: rc;
}

int
dsp_archive_due (gl_ctx_t *ctx, bool *more)
{
    gl_trim_t how = { .before = gl_ctx_now (ctx), .limit = S_ARCHIVE_MAX,
                      .stamp = gl_stamp_key };
    size_t done = 0;
    int rc = gl_db_trim (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "ending"), &how, s_archive_item, ctx,
                         &done);
    *more = rc == 0 && done == S_ARCHIVE_MAX;
    return rc;
}

//  Save the event, moving it in the by_unit index from its old holder and state.
int
dsp_event_save (gl_ctx_t *ctx, dsp_event_t *ev, const dsp_event_t *old)
{
    ev->updated_at = gl_ctx_now (ctx);
    //  The reopening window of a 私事, and the evaluation month that decides when the event
    //  is archived, count from the moment it ended (closed, cancelled, or archived by hand).
    bool ended = GL_EV_BIT (ev->state) & S_ENDED;
    bool was_ended = old && (GL_EV_BIT (old->state) & S_ENDED);
    int rc = 0;
    if (ended && !was_ended) {
        ev->closed_at = ev->updated_at;
        rc = s_ending_put (ctx, ev);
    }
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
s_step_key (const dsp_event_t *ev, uint64_t n, uint8_t *key, size_t *len)
{
    size_t ilen = strlen (ev->id);
    memcpy (key, ev->id, ilen);
    key [ilen] = 0;
    gl_be64_put (key + ilen + 1, n);
    *len = ilen + 9;
}

//  Write step n from its fields (a map writer holding them).
static int
s_step_put (gl_ctx_t *ctx, const dsp_event_t *ev, uint64_t n, gl_mapw_t *fields)
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


//  Rewrite the current step with the marks applied (signed_at, left_at, outcome …): read the
//  stored map once, copy the fields not marked, write the marked ones.
int
dsp_step_update (gl_ctx_t *ctx, const dsp_event_t *ev, const dsp_mark_t *marks, size_t count)
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
int
dsp_step_mark (gl_ctx_t *ctx, const dsp_event_t *ev, const char *key_name, const char *text,
             int64_t number)
{
    dsp_mark_t mark = { key_name, text, number, false };
    return dsp_step_update (ctx, ev, &mark, 1);
}

//  ---------------------------------------------------------------------------------------------
//  Publishing: dispatcher.event.<action>[.<holder>], body = action, state, step, actor, when,
//  then the action's own fields.

int
dsp_publish (gl_ctx_t *ctx, const dsp_event_t *ev, const char *action, const char *actor_unit,
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
    //  The event's class after the action, on every message: escalation times each step by
    //  priority and category (and metrics scores by them) without keeping a copy of the event.
    gl_mapw_t class;
    gl_mapw_init (&class);
    if (ev->category [0])
        gl_mapw_str (&class, "category", ev->category);
    if (ev->priority [0])
        gl_mapw_str (&class, "priority", ev->priority);
    gl_mapw_map (&body, "class", &class);
    gl_mapw_fini (&class);
    if (extra && extra->count) {
        gl_sbuffer_write (&body.body, extra->body.data, extra->body.size);
        body.count += extra->count;
    }
    msgpack_sbuffer bytes;
    gl_mapw_finish (&body, &bytes);
    gl_mapw_fini (&body);
    //  One line per action, so an operator can follow the loop in the log: who, what, which
    //  event, where it is now, and when in county time with its zone.
    dsp_t *self = gl_ctx_state (ctx);
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
int
dsp_enter (gl_ctx_t *ctx, dsp_event_t *ev, const char *unit, const char *kind, const char *from,
         const char *reason)
{
    int64_t now = gl_ctx_now (ctx);
    int rc = dsp_step_mark (ctx, ev, "left_at", NULL, now);
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


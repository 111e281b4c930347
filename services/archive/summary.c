/*  summary — each event's current summary, maintained from the streams archive reads, and the
    secondary indexes searches run on (proto/archive.md §3).

    Tables (all kept for good, like the history they summarise: the archive is the one store
    that must never forget an event; they grow by one summary, about a dozen index entries and
    no more per event):

    "summary": event id -> the summary, one msgpack map (the `events` items of `search`).
    "index":   dimension, 0x00, value, 0x00, event id -> empty. One entry per event and
               single-valued dimension (state, category, …, overdue: the summary's value now),
               one per unit the event ever touched ("unit"), one per level of card it ever got
               ("card": "yellow", "red", and "any" for either), and "closed" "yes" for a closed
               event.
               The event id ends the key, so the entries of one value read back in id order,
               which is the order of every search (ids sort by date, then counter).
    "counts":  dimension, 0x00, value, 0x00 -> big-endian number of entries under it: how a
               search picks its most selective index without reading it, and the count of a
               search on one dimension without a walk.

    A message that changes a single-valued field moves the event's index entry: the old value's
    entry is deleted and its count taken down, the new one added, in the same transaction as
    the summary, so indexes and summaries never disagree.  */
#include "summary.h"
#include "archive_ops.h"

#include <stddef.h>
#include <string.h>

static const char *
s_field (const ar_summary_t *s, size_t offset)
{
    return (const char *) s + offset;
}

#define D(name, field) { name, offsetof (ar_summary_t, field) }
const ar_dim_t ar_dims [] = {
    D ("state", state), D ("category", category), D ("sanshi", sanshi),
    D ("priority", priority), D ("channel", channel), D ("role", role), D ("source", source),
    D ("holder", unit), D ("overdue", overdue),
};
#undef D
const size_t ar_dim_count = sizeof ar_dims / sizeof ar_dims [0];

void
ar_index_key (gl_key_t *k, const char *dim, const char *value, size_t value_len,
              const char *id, size_t id_len)
{
    gl_key_init (k);
    gl_key_str (k, dim);
    gl_key_strn (k, value, value_len);
    if (id)
        gl_key_raw (k, id, id_len);
}

static void
s_count_key (gl_key_t *k, const char *dim, const char *value, size_t value_len)
{
    ar_index_key (k, dim, value, value_len, NULL, 0);
}

int
ar_index_count (MDB_txn *txn, MDB_dbi counts, const char *dim, const char *value,
                size_t value_len, uint64_t *count)
{
    gl_key_t k;
    s_count_key (&k, dim, value, value_len);
    return gl_db_get_u64 (txn, counts, k.bytes, k.len, count);
}

//  Add (delta 1) or remove (delta -1) the entry dim = value for id, keeping its count.
static int
s_index (gl_ctx_t *ctx, const char *dim, const char *value, const char *id, int delta)
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi index = gl_ctx_dbi (ctx, "index"), counts = gl_ctx_dbi (ctx, "counts");
    gl_key_t k, c;
    ar_index_key (&k, dim, value, strlen (value), id, strlen (id));
    s_count_key (&c, dim, value, strlen (value));
    if (k.overflow)
        return 0;               //  cannot happen with fields bounded as they are
    int rc;
    if (delta > 0) {
        if ((rc = gl_db_put (txn, index, k.bytes, k.len, "", 0, 0)))
            return rc;
        return gl_db_add_u64 (txn, counts, c.bytes, c.len, 1, NULL);
    }
    if ((rc = gl_db_del (txn, index, k.bytes, k.len)))
        return rc;
    return gl_db_add_u64 (txn, counts, c.bytes, c.len, (uint64_t) -1, NULL);
}

//  Add the entry dim = value for id of a multi-valued dimension ("unit", "card") unless it is
//  there: such an entry records that something ever happened, and is never removed.
static int
s_mark (gl_ctx_t *ctx, const char *dim, const char *value, const char *id)
{
    gl_key_t k;
    ar_index_key (&k, dim, value, strlen (value), id, strlen (id));
    const void *val;
    size_t vlen;
    int rc = gl_db_get (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "index"), k.bytes, k.len, &val,
                        &vlen);
    if (rc != MDB_NOTFOUND)
        return rc;              //  0: already there
    return s_index (ctx, dim, value, id, 1);
}

//  ---------------------------------------------------------------------------------------------
//  The stored form: a msgpack map, nil for what is not known yet.

static void
s_put_str (gl_mapw_t *w, const char *key, const char *value)
{
    if (*value)
        gl_mapw_str (w, key, value);
    else
        gl_mapw_nil (w, key);
}

static void
s_put_time (gl_mapw_t *w, const char *key, int64_t ms)
{
    if (ms)
        gl_mapw_i64 (w, key, ms);
    else
        gl_mapw_nil (w, key);
}

static void
s_encode (const ar_summary_t *s, gl_mapw_t *w)
{
    gl_mapw_str (w, "id", s->id);
    s_put_str (w, "state", s->state);
    s_put_str (w, "category", s->category);
    s_put_str (w, "sanshi", s->sanshi);
    s_put_str (w, "priority", s->priority);
    s_put_str (w, "grid", s->grid);
    s_put_str (w, "community", s->community);
    s_put_str (w, "street", s->street);
    s_put_str (w, "unit", s->unit);
    gl_mapw_u64 (w, "step", s->step);
    s_put_str (w, "role", s->role);
    s_put_str (w, "channel", s->channel);
    s_put_str (w, "source", s->source);
    s_put_time (w, "reported_at", s->reported_at);
    s_put_time (w, "closed_at", s->closed_at);
    gl_mapw_u64 (w, "returns", s->returns);
    gl_mapw_u64 (w, "cards", s->cards);
    gl_mapw_u64 (w, "yellow_cards", s->yellow_cards);
    gl_mapw_u64 (w, "red_cards", s->red_cards);
    gl_mapw_bool (w, "overdue", streq (s->overdue, "yes"));
    s_put_str (w, "overdue_stage", s->overdue_stage);
    gl_mapw_u64 (w, "overdue_step", s->overdue_step);
    gl_mapw_u64 (w, "attached", s->attached);
    s_put_str (w, "rating", s->rating);
    gl_mapw_i64 (w, "updated_at", s->updated_at);
}

int
ar_summary_decode (const void *bytes, size_t len, ar_summary_t *s)
{
    memset (s, 0, sizeof *s);
    gl_doc_t doc;
    gl_err_t err;
    int rc = -1;
    if (gl_doc_parse (&doc, bytes, len, &err) == 0
    &&  gl_get_strbuf (&doc.root, "id", s->id, sizeof s->id)) {
        const msgpack_object *m = &doc.root;
        gl_get_strbuf (m, "state", s->state, sizeof s->state);
        gl_get_strbuf (m, "category", s->category, sizeof s->category);
        gl_get_strbuf (m, "sanshi", s->sanshi, sizeof s->sanshi);
        gl_get_strbuf (m, "priority", s->priority, sizeof s->priority);
        gl_get_strbuf (m, "grid", s->grid, sizeof s->grid);
        gl_get_strbuf (m, "community", s->community, sizeof s->community);
        gl_get_strbuf (m, "street", s->street, sizeof s->street);
        gl_get_strbuf (m, "unit", s->unit, sizeof s->unit);
        gl_get_u64 (m, "step", &s->step);
        gl_get_strbuf (m, "role", s->role, sizeof s->role);
        gl_get_strbuf (m, "channel", s->channel, sizeof s->channel);
        gl_get_strbuf (m, "source", s->source, sizeof s->source);
        gl_get_i64 (m, "reported_at", &s->reported_at);
        gl_get_i64 (m, "closed_at", &s->closed_at);
        gl_get_u64 (m, "returns", &s->returns);
        gl_get_u64 (m, "cards", &s->cards);
        gl_get_u64 (m, "yellow_cards", &s->yellow_cards);
        gl_get_u64 (m, "red_cards", &s->red_cards);
        bool overdue;
        if (gl_get_bool (m, "overdue", &overdue))     //  absent: a summary from before it
            snprintf (s->overdue, sizeof s->overdue, "%s", overdue? "yes": "no");
        gl_get_strbuf (m, "overdue_stage", s->overdue_stage, sizeof s->overdue_stage);
        gl_get_u64 (m, "overdue_step", &s->overdue_step);
        gl_get_u64 (m, "attached", &s->attached);
        gl_get_strbuf (m, "rating", s->rating, sizeof s->rating);
        gl_get_i64 (m, "updated_at", &s->updated_at);
        rc = 0;
    }
    gl_doc_fini (&doc);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Applying a message.

//  Copy a str field of map into buf when present (a field too long for buf is left as it was:
//  every field is bounded by its producer's schema below these sizes).
static void
s_take (const msgpack_object *map, const char *key, char *buf, size_t size)
{
    char tmp [AR_UNIT_MAX + 1];
    if (map && size <= sizeof tmp && gl_get_strbuf (map, key, tmp, size))
        memcpy (buf, tmp, size);
}

static bool
s_type_is (const gl_envelope_t *env, const char *type)
{
    return env->type_len == strlen (type) && memcmp (env->type, type, env->type_len) == 0;
}

//  intake.event.reported: what was reported, and intake's triage until the dispatcher files it.
static void
s_reported (ar_summary_t *s, const msgpack_object *b, int64_t ts)
{
    const msgpack_object *triage = gl_map_get (b, "triage"), *reporter = gl_map_get (b, "reporter");
    //  The dispatcher's filing may have arrived first (its stream and intake's are read apart):
    //  what it decided wins over the report and the triage.
    if (!*s->category)
        s_take (b, "category", s->category, sizeof s->category);
    if (!*s->sanshi)
        s_take (triage, "sanshi", s->sanshi, sizeof s->sanshi);
    if (!*s->priority)
        s_take (triage, "priority", s->priority, sizeof s->priority);
    if (!*s->state)
        snprintf (s->state, sizeof s->state, "REPORTED");
    s_take (b, "grid", s->grid, sizeof s->grid);
    s_take (triage, "community", s->community, sizeof s->community);
    s_take (triage, "street", s->street, sizeof s->street);
    s_take (reporter, "role", s->role, sizeof s->role);
    s_take (b, "channel", s->channel, sizeof s->channel);
    s_take (b, "source", s->source, sizeof s->source);
    if (!gl_get_i64 (b, "reported_at", &s->reported_at))
        s->reported_at = ts;
}

//  The stage escalation times in a state (proto/escalation.md §2), "" for none.
static const char *
s_stage (const char *state)
{
    if (streq (state, "REPORTED") || streq (state, "FILED"))
        return "dispatch";
    if (streq (state, "DISPATCHED"))
        return "sign";
    if (streq (state, "IN_PROGRESS") || streq (state, "SUSPENDED"))
        return "handle";
    if (streq (state, "HANDLED"))
        return "verify";
    return "";
}

//  Count one card of level ("yellow" or "red"; anything else is no card).
static void
s_card (ar_summary_t *s, const char *level)
{
    if (streq (level, "yellow"))
        s->yellow_cards++;
    else
    if (streq (level, "red"))
        s->red_cards++;
    s->cards = s->yellow_cards + s->red_cards;
}

//  escalation.card: a card for a stage of a step. The event is overdue while it is still in
//  that stage of that step; the card may reach the archive before the dispatcher's message
//  that started the stage (the two streams are read apart), so the stage is kept, not judged
//  now.
static void
s_escalation_card (ar_summary_t *s, const msgpack_object *b)
{
    char level [16] = "";
    gl_get_strbuf (b, "level", level, sizeof level);
    s_card (s, level);
    uint64_t step = 0;
    char stage [sizeof s->overdue_stage] = "";
    if (gl_get_u64 (b, "step", &step) && gl_get_strbuf (b, "stage", stage, sizeof stage)
    &&  step >= s->step) {
        memcpy (s->overdue_stage, stage, sizeof stage);
        s->overdue_step = step;
    }
}

//  dispatcher.event.*: the state, the holder and what the action changed.
static void
s_lifecycle (ar_summary_t *s, const msgpack_object *b, int64_t ts)
{
    char action [32] = "", level [16] = "", actor [AR_UNIT_MAX + 1] = "";
    uint64_t was_step = s->step;
    const char *was_stage = s_stage (s->state);
    gl_get_strbuf (b, "action", action, sizeof action);
    s_take (b, "state", s->state, sizeof s->state);
    s->unit [0] = 0;            //  absent: no unit holds it
    s_take (b, "unit", s->unit, sizeof s->unit);
    gl_get_u64 (b, "step", &s->step);
    s_take (b, "category", s->category, sizeof s->category);
    s_take (b, "sanshi", s->sanshi, sizeof s->sanshi);
    s_take (b, "priority", s->priority, sizeof s->priority);
    if (streq (action, "returned"))
        s->returns++;
    else
    if (streq (action, "feedback"))
        s_take (b, "rating", s->rating, sizeof s->rating);
    else
    if (streq (action, "supervised")) {
        //  A supervisor's card by hand. Escalation's automatic cards come on its own stream
        //  only, so one the dispatcher made by itself ("auto") would be a second word for one
        //  of them: not counted.
        gl_get_strbuf (b, "level", level, sizeof level);
        s_take (gl_map_get (b, "actor"), "unit", actor, sizeof actor);
        if (!streq (actor, "auto"))
            s_card (s, level);
    }
    else
    if (streq (action, "closed") && !gl_get_i64 (b, "when", &s->closed_at))
        s->closed_at = ts;
    //  Moving on from the carded stage (a later step, another stage, closing) ends it.
    bool was_carded = s->overdue_step == was_step && streq (s->overdue_stage, was_stage);
    bool moved = s->step != was_step || !streq (s_stage (s->state), was_stage);
    if ((was_carded && moved) || s->step > s->overdue_step) {
        s->overdue_stage [0] = 0;
        s->overdue_step = 0;
    }
}

int
ar_summary_apply (gl_ctx_t *ctx, const char *topic, const gl_envelope_t *env)
{
    if (!env->id || env->id_len > GL_MAX_NAME)
        return 0;
    bool from_intake = env->src_len == 6 && memcmp (env->src, "intake", 6) == 0;
    bool from_dispatcher = env->src_len == 10 && memcmp (env->src, "dispatcher", 10) == 0;
    bool from_escalation = env->src_len == 10 && memcmp (env->src, "escalation", 10) == 0;
    //  Only what changes a summary; every other message is history only.
    if (!(from_intake && (s_type_is (env, "event.reported") || s_type_is (env, "event.attached")))
    &&  !(from_dispatcher && env->type_len > 6 && memcmp (env->type, "event.", 6) == 0)
    &&  !(from_escalation && s_type_is (env, "card")))
        return 0;
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi summary = gl_ctx_dbi (ctx, "summary");
    ar_summary_t old, s;
    const void *val;
    size_t vlen;
    int rc = gl_db_get (txn, summary, env->id, env->id_len, &val, &vlen);
    if (rc == 0 && ar_summary_decode (val, vlen, &old) == 0)
        ;
    else
    if (rc == 0 || rc == MDB_NOTFOUND) {
        memset (&old, 0, sizeof old);
        memcpy (old.id, env->id, env->id_len);
    }
    else
        return rc;
    s = old;
    const msgpack_object *b = env->body;
    const msgpack_object *actor = gl_map_get (b, "actor");
    char actor_unit [AR_UNIT_MAX + 1] = "";
    if (from_intake && s_type_is (env, "event.reported"))
        s_reported (&s, b, env->ts);
    else
    if (from_intake) {
        uint64_t attached = 0;
        if (gl_get_u64 (b, "attached", &attached) && attached > s.attached)
            s.attached = attached;
    }
    else
    if (from_escalation)
        s_escalation_card (&s, b);
    else {
        s_lifecycle (&s, b, env->ts);
        s_take (actor, "unit", actor_unit, sizeof actor_unit);
    }
    bool overdue = *s.overdue_stage && s.overdue_step == s.step
                && streq (s.overdue_stage, s_stage (s.state));
    snprintf (s.overdue, sizeof s.overdue, "%s", overdue? "yes": "no");
    s.updated_at = env->ts;

    gl_mapw_t w;
    gl_mapw_init (&w);
    s_encode (&s, &w);
    msgpack_sbuffer out;
    gl_mapw_finish (&w, &out);
    gl_mapw_fini (&w);
    rc = gl_db_put (txn, summary, env->id, env->id_len, out.data, out.size, 0);
    msgpack_sbuffer_destroy (&out);
    //  Move each single-valued index entry whose value changed.
    for (size_t i = 0; rc == 0 && i < ar_dim_count; i++) {
        const char *was = s_field (&old, ar_dims [i].offset),
                   *now = s_field (&s, ar_dims [i].offset);
        if (streq (was, now))
            continue;
        if (*was)
            rc = s_index (ctx, ar_dims [i].name, was, s.id, -1);
        if (rc == 0 && *now)
            rc = s_index (ctx, ar_dims [i].name, now, s.id, 1);
    }
    if (rc == 0 && s.closed_at && !old.closed_at)
        rc = s_index (ctx, "closed", "yes", s.id, 1);
    //  Every unit it touched, at every tier: its grid, community and street, every holder,
    //  every unit that acted on it.
    const char *touched [] = { s.grid, s.community, s.street, s.unit, actor_unit };
    for (size_t i = 0; rc == 0 && i < sizeof touched / sizeof touched [0]; i++)
        if (*touched [i] && !streq (touched [i], "auto"))
            rc = s_mark (ctx, "unit", touched [i], s.id);
    //  Every level of card it ever got.
    if (rc == 0 && s.yellow_cards)
        rc = s_mark (ctx, "card", "yellow", s.id);
    if (rc == 0 && s.red_cards)
        rc = s_mark (ctx, "card", "red", s.id);
    if (rc == 0 && s.cards)
        rc = s_mark (ctx, "card", "any", s.id);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Rebuilding from history: an archive that kept events before it kept summaries.
//
//  "totals" holds "summary_version" (1: every summary, index entry and stream position has been
//  kept since the store began, or rebuilt since), "rebuild" (1 while a rebuild is under way)
//  and "rebuild_after" (the last event id rebuilt: the next round starts after it). A rebuild
//  recomputes each event from its whole history in arrival order, so live messages applied
//  meanwhile are never counted twice: an event reached later is simply recomputed with them.

#define S_VERSION 2             //  what the summaries of this code are (2: cards by level and
                                //  overdue, from escalation's stream)

static int
s_open_txn (MDB_txn *txn, void *arg)
{
    gl_store_t *store = arg;
    MDB_dbi totals = gl_store_dbi (store, "totals");
    uint64_t version = 0, rebuilding = 0;
    size_t entries = 0, bytes;
    int rc;
    if ((rc = gl_db_get_u64 (txn, totals, "summary_version", 15, &version))
    ||  (rc = gl_db_get_u64 (txn, totals, "rebuild", 7, &rebuilding)))
        return rc;
    if (version >= S_VERSION || rebuilding)
        return 0;
    if ((rc = gl_db_size (txn, gl_store_dbi (store, "ids"), &entries, &bytes)))
        return rc;
    if (entries == 0)           //  a new store: complete from its first message
        return gl_db_put_u64 (txn, totals, "summary_version", 15, S_VERSION);
    return gl_db_put_u64 (txn, totals, "rebuild", 7, 1);
}

int
ar_summary_open (gl_service_t *self, gl_err_t *err)
{
    int rc = gl_store_write (gl_service_store (self), s_open_txn, gl_service_store (self));
    if (rc)
        return gl_fail (err, GL_INTERNAL, "archive: cannot check its summaries' version: %s",
                        mdb_strerror (rc));
    return 0;
}

//  Forget an event's summary and its single-valued index entries (touched units stay: they
//  come from its history and a recomputation finds them again).
static int
s_forget (gl_ctx_t *ctx, const char *id)
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi summary = gl_ctx_dbi (ctx, "summary");
    const void *val;
    size_t vlen;
    ar_summary_t old;
    int rc = gl_db_get (txn, summary, id, strlen (id), &val, &vlen);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (ar_summary_decode (val, vlen, &old) == 0) {
        for (size_t i = 0; rc == 0 && i < ar_dim_count; i++) {
            const char *was = s_field (&old, ar_dims [i].offset);
            if (*was)
                rc = s_index (ctx, ar_dims [i].name, was, id, -1);
        }
        if (rc == 0 && old.closed_at)
            rc = s_index (ctx, "closed", "yes", id, -1);
    }
    return rc? rc: gl_db_del (txn, summary, id, strlen (id));
}

typedef struct {
    gl_ctx_t *ctx;
    bool summarise;             //  an event's messages (false: "#<src>", positions only)
} s_rebuild_t;

//  One stored message of the event being rebuilt: its stream position, then its effect.
static int
s_rebuild_message (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_rebuild_t *r = arg;
    gl_rec_t rec;
    if (gl_rec_read (val->mv_data, val->mv_size, &rec))
        return GL_ITEM_SKIP;
    gl_doc_t doc;
    gl_err_t err;
    gl_envelope_t env;
    int rc = 0;
    if (gl_envelope_decode (&doc, rec.data, rec.len, &env, &err) == 0) {
        char topic [GL_MAX_NAME * 4 + 1];
        snprintf (topic, sizeof topic, "%.*s", (int) rec.topic_len, rec.topic);
        rc = ar_stream_position (r->ctx, &env, key->mv_data, key->mv_size);
        if (rc == 0 && r->summarise)
            rc = ar_summary_apply (r->ctx, topic, &env);
    }
    gl_doc_fini (&doc);
    return rc? rc: GL_ITEM_TAKE;
}

//  One held event id: recompute it from its whole history.
static int
s_rebuild_event (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    if (peek)
        return GL_ITEM_TAKE;
    gl_ctx_t *ctx = arg;
    char id [GL_MAX_NAME + 2];
    if (key->mv_size >= sizeof id)
        return GL_ITEM_SKIP;
    memcpy (id, key->mv_data, key->mv_size);
    id [key->mv_size] = 0;
    s_rebuild_t r = { ctx, id [0] != '#' };
    int rc = r.summarise? s_forget (ctx, id): 0;
    if (rc)
        return rc;
    gl_key_t prefix;
    gl_key_init (&prefix);
    gl_key_strn (&prefix, id, key->mv_size);
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len };
    rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "events"), &range, s_rebuild_message,
                     &r, NULL);
    return rc? rc: GL_ITEM_TAKE;
}

int
ar_summary_rebuild (gl_ctx_t *ctx)
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi totals = gl_ctx_dbi (ctx, "totals");
    uint64_t rebuilding = 0;
    int rc = gl_db_get_u64 (txn, totals, "rebuild", 7, &rebuilding);
    if (rc || !rebuilding)
        return rc;
    const void *after = NULL;
    size_t after_len = 0;
    rc = gl_db_get (txn, totals, "rebuild_after", 13, &after, &after_len);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    //  The cursor is copied: the writes below may move the page it points into.
    uint8_t from [GL_MAX_NAME + 2];
    if (rc == 0 && after_len < sizeof from)
        memcpy (from, after, after_len);
    else
        after_len = 0;
    gl_range_t range = { .from = after_len? from: NULL, .from_len = after_len, .after = true,
                         .max_items = AR_REBUILD_EVENTS };
    gl_page_t page;
    if ((rc = gl_db_page (txn, gl_ctx_dbi (ctx, "ids"), &range, s_rebuild_event, ctx, &page)))
        return rc;
    if (page.more)
        return gl_db_put (txn, totals, "rebuild_after", 13, page.last, page.last_len, 0);
    gl_log_notice ("archive: summaries, indexes and stream positions rebuilt from the history");
    if ((rc = gl_db_del (txn, totals, "rebuild", 7))
    ||  (rc = gl_db_del (txn, totals, "rebuild_after", 13)))
        return rc;
    return gl_db_put_u64 (txn, totals, "summary_version", 15, S_VERSION);
}

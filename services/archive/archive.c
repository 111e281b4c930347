/*  archive — the event history store (proto/archive.md): consume every stream, keep each
    event's messages and its current summary, answer get, list and search.  */
#include "archive.h"
#include "archive_ops.h"
#include "summary.h"

#include <string.h>

//  "events": id, 0x00, big-endian arrival number -> record (ts, topic, envelope bytes).
//  The arrival number is archive's own count of messages, so an event's history reads back in
//  the order archive received it.
//  "ids": id -> big-endian count of messages held.
//  "totals": "messages", "events" -> big-endian counts.
//  "streams": producer, 0x00, big-endian epoch, big-endian seq -> the key of the message in
//  "events": each producer's stream as the archive holds it, for `stream` (anyone's replay).
//  "summary", "index", "counts": each event's summary and the search indexes (summary.c).
//  Every table is kept for good: the archive is where history must never be lost (DESIGN §3.5).

#define S_NO_EVENT "#"          //  messages without an event id are kept under "#<src>"

//  The key of an event's message: id, 0x00, big-endian arrival number.
static void
s_event_key (gl_key_t *k, const char *id, size_t id_len, uint64_t n)
{
    gl_key_init (k);
    gl_key_strn (k, id, id_len);
    gl_key_u64 (k, n);
}

//  The start of a producer's stream position key: producer, 0x00, big-endian epoch.
static void
s_stream_key (gl_key_t *k, const char *src, size_t src_len, uint64_t epoch)
{
    gl_key_init (k);
    gl_key_strn (k, src, src_len);
    gl_key_u64 (k, epoch);
}

int
ar_stream_position (gl_ctx_t *ctx, const gl_envelope_t *env, const void *events_key,
                    size_t key_len)
{
    gl_key_t pos;
    s_stream_key (&pos, env->src, env->src_len, env->epoch);
    gl_key_u64 (&pos, env->seq);
    if (pos.overflow)
        return 0;               //  cannot happen: src is at most 64 bytes
    return gl_db_put (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "streams"), pos.bytes, pos.len,
                      events_key, key_len, 0);
}

static int
s_consume (gl_ctx_t *ctx, const char *topic, const gl_envelope_t *env)
{
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi events = gl_ctx_dbi (ctx, "events"), ids = gl_ctx_dbi (ctx, "ids"),
            totals = gl_ctx_dbi (ctx, "totals");
    char id [GL_MAX_NAME + 2];
    if (env->id)
        snprintf (id, sizeof id, "%.*s", (int) env->id_len, env->id);
    else
        snprintf (id, sizeof id, S_NO_EVENT "%.*s", (int) (env->src_len > 63? 63: env->src_len),
                  env->src);
    size_t id_len = strlen (id);
    //  This message's arrival number, and how many the event held before it.
    uint64_t messages, held;
    int rc;
    if ((rc = gl_db_add_u64 (txn, totals, "messages", 8, 1, &messages))
    ||  (rc = gl_db_add_u64 (txn, ids, id, id_len, 1, &held)))
        return rc;
    if (held == 1 && (rc = gl_db_add_u64 (txn, totals, "events", 6, 1, NULL)))
        return rc;
    gl_key_t k;
    s_event_key (&k, id, id_len, messages);
    gl_rec_t rec = { (uint64_t) env->ts, topic, strlen (topic), env->raw, env->raw_len };
    if ((rc = gl_rec_put (txn, events, k.bytes, k.len, &rec, 0)))
        return rc;
    if ((rc = ar_stream_position (ctx, env, k.bytes, k.len)))
        return rc;
    return ar_summary_apply (ctx, topic, env);
}

//  ---------------------------------------------------------------------------------------------

static const gl_field_t s_get_fields [] = {
    { .key = "id", .type = GL_F_STR, .required = true, .min = 1, .max = GL_MAX_NAME,
      .hint = "the event id, e.g. \"500235-20261127-000000042\"" },
};
static const gl_schema_t s_get = GL_SCHEMA ("get", s_get_fields);

//  One stored message as {topic, envelope} into a list.
static int
s_message_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    gl_rec_t rec;
    if (gl_rec_read (val->mv_data, val->mv_size, &rec))
        return GL_ITEM_SKIP;
    if (peek)
        return GL_ITEM_TAKE;
    gl_listw_t *list = arg;
    msgpack_pack_map (&list->pk, 2);
    gl_pack_cstr (&list->pk, "topic");
    msgpack_pack_str (&list->pk, rec.topic_len);
    msgpack_pack_str_body (&list->pk, rec.topic, rec.topic_len);
    gl_pack_cstr (&list->pk, "envelope");
    gl_sbuffer_write (&list->items, rec.data, rec.len);
    list->count++;
    return GL_ITEM_TAKE;
}

//  A unit's or department's certificate reads only the events its unit touched (the "unit"
//  index of summary.c: its grid, community and street, every holder, every unit that acted);
//  the whole streams (list, stream) are for the operator seats and the services.
static int
s_may_read (gl_ctx_t *ctx, const char *id, size_t id_len, gl_err_t *err)
{
    const gl_caller_t *c = gl_ctx_caller (ctx);
    if (gl_sec_any_unit (c))
        return 0;
    if (!id)
        return gl_fail (err, GL_FORBIDDEN, "your certificate %s is for %s: it reads the events "
                        "its unit touched (get, search), not the whole archive", c->name,
                        c->unit);
    gl_key_t k;
    ar_index_key (&k, "unit", c->unit, strlen (c->unit), id, id_len);
    const void *val;
    size_t vlen;
    int rc = gl_db_get (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "index"), k.bytes, k.len, &val, &vlen);
    if (rc == MDB_NOTFOUND)
        return gl_fail (err, GL_FORBIDDEN, "your certificate %s is for %s, which never touched "
                        "event %.*s: it reads only its unit's events", c->name, c->unit,
                        (int) id_len, id);
    return rc;
}

static int
s_op_get (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    const char *id;
    size_t id_len;
    gl_get_str (req, "id", &id, &id_len);
    int allowed = s_may_read (ctx, id, id_len, err);
    if (allowed)
        return allowed;
    gl_key_t prefix;
    gl_key_init (&prefix);
    gl_key_strn (&prefix, id, id_len);
    gl_listw_t list;
    gl_listw_init (&list);
    const gl_config_t *cfg = gl_ctx_config (ctx);
    size_t budget = (size_t) cfg->replay_kb << 10;
    if (budget > (size_t) cfg->max_msg_bytes / 2)
        budget = (size_t) cfg->max_msg_bytes / 2;
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len,
                         .max_bytes = budget };
    gl_page_t page;
    int rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "events"), &range, s_message_item,
                         &list, &page);
    if (rc == 0 && list.count == 0)
        rc = gl_fail (err, GL_NOT_FOUND, "archive holds nothing for event '%.*s' (check the "
                      "id; a report just accepted may take a moment to arrive)", (int) id_len,
                      id);
    if (rc == 0) {
        gl_mapw_strn (reply, "id", id, id_len);
        gl_mapw_list (reply, "messages", &list);
        if (page.more)
            gl_mapw_bool (reply, "truncated", true);
    }
    gl_listw_fini (&list);
    return rc;
}

static const gl_field_t s_list_fields [] = {
    { .key = "after", .type = GL_F_STR, .max = GL_MAX_NAME,
      .hint = "the id to start after: the 'next' of the previous page" },
    { .key = "limit", .type = GL_F_UINT, .min = 1, .max = 1000,
      .hint = "events per page, 1 to 1000 (default 100)" },
};
static const gl_schema_t s_list = GL_SCHEMA ("list", s_list_fields);

//  One held event as {id, count} into a list.
static int
s_id_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    if (peek)
        return GL_ITEM_TAKE;
    gl_listw_t *list = arg;
    msgpack_pack_map (&list->pk, 2);
    gl_pack_cstr (&list->pk, "id");
    msgpack_pack_str (&list->pk, key->mv_size);
    msgpack_pack_str_body (&list->pk, key->mv_data, key->mv_size);
    gl_pack_cstr (&list->pk, "count");
    msgpack_pack_uint64 (&list->pk, val->mv_size == 8? gl_be64_get (val->mv_data): 0);
    list->count++;
    return GL_ITEM_TAKE;
}

static int
s_op_list (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    if (s_may_read (ctx, NULL, 0, err))
        return GL_REFUSED;
    const char *after = NULL;
    size_t after_len = 0;
    uint64_t limit = 100;
    gl_get_str (req, "after", &after, &after_len);
    gl_get_u64 (req, "limit", &limit);
    gl_listw_t list;
    gl_listw_init (&list);
    gl_range_t range = { .from = after_len? after: NULL, .from_len = after_len, .after = true,
                         .max_items = limit };
    gl_page_t page;
    int rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "ids"), &range, s_id_item, &list,
                         &page);
    if (rc == 0) {
        gl_mapw_list (reply, "events", &list);
        if (page.more)
            gl_mapw_strn (reply, "next", (const char *) page.last, page.last_len);
        else
            gl_mapw_nil (reply, "next");
    }
    gl_listw_fini (&list);
    return rc;
}

static const gl_field_t s_stream_fields [] = {
    { .key = "src", .type = GL_F_STR, .required = true, .min = 1, .max = GL_MAX_NAME,
      .hint = "the producer whose stream is wanted, e.g. \"intake\"" },
    { .key = "epoch", .type = GL_F_UINT, .required = true,
      .hint = "the producer's epoch the seqs belong to (its status or heartbeat says it)" },
    { .key = "from", .type = GL_F_UINT, .required = true, .min = 1,
      .hint = "the first seq wanted, 1 or more" },
    { .key = "max", .type = GL_F_UINT, .min = 1, .max = 1000,
      .hint = "the most messages to return, 1 to 1000 (default 1000)" },
};
static const gl_schema_t s_stream = GL_SCHEMA ("stream", s_stream_fields);

typedef struct {
    MDB_txn *txn;
    MDB_dbi events;
    gl_listw_t list;            //  [topic, bin] pairs
    size_t bytes, max_bytes;    //  envelope bytes so far, and the page's bound
    uint64_t last;              //  the last seq taken
    bool more;                  //  a message after the full page
} s_stream_page_t;

//  One position of a producer's stream: the message it points to, as [topic, bin envelope].
static int
s_stream_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_stream_page_t *p = arg;
    const void *bytes;
    size_t len;
    gl_rec_t rec;
    int rc = gl_db_get (p->txn, p->events, val->mv_data, val->mv_size, &bytes, &len);
    if (rc)
        return rc == MDB_NOTFOUND? GL_ITEM_SKIP: rc;
    if (gl_rec_read (bytes, len, &rec))
        return GL_ITEM_SKIP;
    if (peek || (p->list.count && p->bytes + rec.len > p->max_bytes)) {
        p->more = true;         //  peek: the page is full by count; else by bytes
        return peek? GL_ITEM_TAKE: GL_ITEM_STOP;
    }
    msgpack_pack_array (&p->list.pk, 2);
    msgpack_pack_str (&p->list.pk, rec.topic_len);
    msgpack_pack_str_body (&p->list.pk, rec.topic, rec.topic_len);
    msgpack_pack_bin (&p->list.pk, rec.len);
    msgpack_pack_bin_body (&p->list.pk, rec.data, rec.len);
    p->list.count++;
    p->bytes += rec.len;
    p->last = gl_be64_get ((const uint8_t *) key->mv_data + key->mv_size - 8);
    return GL_ITEM_TAKE;
}

//  stream: a producer's messages as the archive holds them, for a consumer that was away
//  longer than the producer's outbox keeps them (proto/archive.md §4).
static int
s_op_stream (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    if (s_may_read (ctx, NULL, 0, err))
        return GL_REFUSED;
    const char *src;
    size_t src_len;
    uint64_t epoch = 0, from = 1, max = 1000;
    gl_get_str (req, "src", &src, &src_len);
    gl_get_u64 (req, "epoch", &epoch);
    gl_get_u64 (req, "from", &from);
    gl_get_u64 (req, "max", &max);
    gl_key_t prefix, start;
    s_stream_key (&prefix, src, src_len, epoch);
    start = prefix;
    gl_key_u64 (&start, from);
    const gl_config_t *cfg = gl_ctx_config (ctx);
    s_stream_page_t page = { .txn = gl_ctx_txn (ctx), .events = gl_ctx_dbi (ctx, "events"),
                             .max_bytes = (size_t) cfg->replay_kb << 10 };
    if (page.max_bytes > (size_t) cfg->max_msg_bytes / 2)
        page.max_bytes = (size_t) cfg->max_msg_bytes / 2;
    gl_listw_init (&page.list);
    gl_range_t range = { .prefix = prefix.bytes, .prefix_len = prefix.len,
                         .from = start.bytes, .from_len = start.len, .max_items = max };
    gl_page_t taken;
    int rc = gl_db_page (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "streams"), &range,
                         s_stream_item, &page, &taken);
    if (rc == 0) {
        gl_mapw_strn (reply, "src", src, src_len);
        gl_mapw_u64 (reply, "epoch", epoch);
        gl_mapw_list (reply, "messages", &page.list);
        if (page.more || taken.more)
            gl_mapw_u64 (reply, "next", page.last + 1);
        else
            gl_mapw_nil (reply, "next");
    }
    gl_listw_fini (&page.list);
    return rc;
}

static void
s_status (gl_service_t *self, gl_mapw_t *w)
{
    static const char *const names [] = { "messages", "events", "rebuild", NULL };
    gl_service_status_counters (self, "totals", names, w);
}

static const gl_op_t s_ops [] = {
    { .name = "get", .fn = s_op_get, .mutating = false, .schema = &s_get, .paged = true },
    { .name = "list", .fn = s_op_list, .mutating = false, .schema = &s_list },
    { .name = "search", .fn = ar_op_search, .mutating = false, .schema = &ar_search_schema,
      .paged = true },
    { .name = "stream", .fn = s_op_stream, .mutating = false, .schema = &s_stream,
      .paged = true },
};

static const char *const s_dbs [] = { "events", "ids", "totals", "streams", "summary", "index",
                                      "counts", NULL };

const gl_service_def_t archive_service = {
    .name = "archive",
    .svc = GL_SVC_ARCHIVE,
    .dbs = s_dbs,
    .ops = s_ops,
    .nops = sizeof s_ops / sizeof s_ops [0],
    .consume = s_consume,
    .needs_org = true,          //  search checks units and categories against the county's
    .open = ar_summary_open,
    .status = s_status,
    .housekeep = ar_summary_rebuild,
};

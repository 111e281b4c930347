/*  archive — the event history store (proto/archive.md): consume every stream, answer get and
    list.  */
#include "archive.h"

#include <string.h>

//  "events": id, 0x00, big-endian arrival number -> topic length (2), topic, envelope bytes.
//  The arrival number is archive's own count of messages, so an event's history reads back in
//  the order archive received it.
//  "ids": id -> big-endian count of messages held.
//  "totals": "messages", "events" -> big-endian counts.

#define S_NO_EVENT "#"          //  messages without an event id are kept under "#<src>"

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

    uint8_t key [GL_MAX_NAME + 10];
    memcpy (key, id, id_len);
    key [id_len] = 0;
    gl_be64_put (key + id_len + 1, messages);
    size_t topic_len = strlen (topic);
    MDB_val k = { id_len + 9, key }, v = { 2 + topic_len + env->raw_len, NULL };
    if ((rc = mdb_put (txn, events, &k, &v, MDB_RESERVE)))
        return rc;
    uint8_t *p = v.mv_data;
    p [0] = (uint8_t) (topic_len >> 8);
    p [1] = (uint8_t) topic_len;
    memcpy (p + 2, topic, topic_len);
    memcpy (p + 2 + topic_len, env->raw, env->raw_len);
    return 0;
}

//  ---------------------------------------------------------------------------------------------

static const gl_field_t s_get_fields [] = {
    { .key = "id", .type = GL_F_STR, .required = true, .min = 1, .max = GL_MAX_NAME,
      .hint = "the event id, e.g. \"500235-20261127-000000042\"" },
};
static const gl_schema_t s_get = GL_SCHEMA ("get", s_get_fields);

static int
s_op_get (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    const char *id;
    size_t id_len;
    gl_get_str (req, "id", &id, &id_len);
    MDB_cursor *cur;
    int rc = mdb_cursor_open (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "events"), &cur);
    if (rc)
        return rc;
    uint8_t key [GL_MAX_NAME + 1];
    memcpy (key, id, id_len);
    key [id_len] = 0;
    MDB_val k = { id_len + 1, key }, v;
    msgpack_sbuffer items;
    msgpack_sbuffer_init (&items);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &items, msgpack_sbuffer_write);
    uint32_t count = 0;
    size_t limit = (size_t) gl_service_config (gl_ctx_service (ctx))->max_msg_bytes / 2;
    bool truncated = false;
    rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size == id_len + 9 && memcmp (k.mv_data, key, id_len + 1) == 0) {
        if (items.size > limit) {
            truncated = true;
            break;
        }
        const uint8_t *p = v.mv_data;
        size_t topic_len = ((size_t) p [0] << 8) | p [1];
        msgpack_pack_map (&pk, 2);
        gl_pack_cstr (&pk, "topic");
        msgpack_pack_str (&pk, topic_len);
        msgpack_pack_str_body (&pk, p + 2, topic_len);
        gl_pack_cstr (&pk, "envelope");
        msgpack_sbuffer_write (&items, (const char *) p + 2 + topic_len,
                               v.mv_size - 2 - topic_len);
        count++;
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close (cur);
    if (rc && rc != MDB_NOTFOUND) {
        msgpack_sbuffer_destroy (&items);
        return rc;
    }
    if (count == 0) {
        msgpack_sbuffer_destroy (&items);
        return gl_fail (err, GL_NOT_FOUND, "archive holds nothing for event '%.*s' (check the "
                        "id; a report just accepted may take a moment to arrive)",
                        (int) id_len, id);
    }
    gl_mapw_strn (reply, "id", id, id_len);
    gl_mapw_array (reply, "messages", count, &items);
    if (truncated)
        gl_mapw_bool (reply, "truncated", true);
    msgpack_sbuffer_destroy (&items);
    return 0;
}

static const gl_field_t s_list_fields [] = {
    { .key = "after", .type = GL_F_STR, .max = GL_MAX_NAME,
      .hint = "the id to start after: the 'next' of the previous page" },
    { .key = "limit", .type = GL_F_UINT, .min = 1, .max = 1000,
      .hint = "events per page, 1 to 1000 (default 100)" },
};
static const gl_schema_t s_list = GL_SCHEMA ("list", s_list_fields);

static int
s_op_list (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    const char *after = "";
    size_t after_len = 0;
    uint64_t limit = 100;
    gl_get_str (req, "after", &after, &after_len);
    gl_get_u64 (req, "limit", &limit);
    MDB_cursor *cur;
    int rc = mdb_cursor_open (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "ids"), &cur);
    if (rc)
        return rc;
    MDB_val k = { after_len, (void *) after }, v;
    rc = after_len? mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE):
                    mdb_cursor_get (cur, &k, &v, MDB_FIRST);
    if (rc == 0 && after_len && k.mv_size == after_len && !memcmp (k.mv_data, after, after_len))
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    msgpack_sbuffer items;
    msgpack_sbuffer_init (&items);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &items, msgpack_sbuffer_write);
    uint32_t count = 0;
    MDB_val last = { 0, NULL };
    while (rc == 0 && count < limit) {
        msgpack_pack_map (&pk, 2);
        gl_pack_cstr (&pk, "id");
        msgpack_pack_str (&pk, k.mv_size);
        msgpack_pack_str_body (&pk, k.mv_data, k.mv_size);
        gl_pack_cstr (&pk, "count");
        msgpack_pack_uint64 (&pk, v.mv_size == 8? gl_be64_get (v.mv_data): 0);
        last = k;
        count++;
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    bool more = rc == 0;                //  looked one ahead: is there a next page?
    mdb_cursor_close (cur);
    if (rc && rc != MDB_NOTFOUND) {
        msgpack_sbuffer_destroy (&items);
        return rc;
    }
    gl_mapw_array (reply, "events", count, &items);
    if (more)
        gl_mapw_strn (reply, "next", last.mv_data, last.mv_size);
    else
        gl_mapw_nil (reply, "next");
    msgpack_sbuffer_destroy (&items);
    return 0;
}

static void
s_status (gl_service_t *self, gl_mapw_t *w)
{
    static const char *const names [] = { "messages", "events", NULL };
    gl_service_status_counters (self, "totals", names, w);
}

static const gl_op_t s_ops [] = {
    { "get", s_op_get, false, &s_get },
    { "list", s_op_list, false, &s_list },
};

static const char *const s_dbs [] = { "events", "ids", "totals", NULL };

const gl_service_def_t archive_service = {
    .name = "archive",
    .svc = GL_SVC_ARCHIVE,
    .dbs = s_dbs,
    .ops = s_ops,
    .nops = sizeof s_ops / sizeof s_ops [0],
    .consume = s_consume,
    .status = s_status,
};

/*  gl_proto — envelopes, replies and ROUTER framing.  */
#include "gl_proto.h"

#include <stdio.h>
#include <string.h>

static const gl_field_t s_envelope_fields [] = {
    { .key = "v", .type = GL_F_UINT, .required = true, .min = 1, .max = GL_PROTO_VERSION,
      .hint = "the protocol version; this reader understands 1" },
    { .key = "type", .type = GL_F_STR, .required = true, .min = 1, .max = GL_MAX_NAME },
    { .key = "src", .type = GL_F_STR, .required = true, .min = 1, .max = GL_MAX_NAME },
    { .key = "epoch", .type = GL_F_UINT, .required = true },
    { .key = "seq", .type = GL_F_UINT, .required = true },
    { .key = "ts", .type = GL_F_INT, .required = true, .min = INT64_MIN },
    { .key = "id", .type = GL_F_STR, .min = 1, .max = GL_MAX_NAME },
    { .key = "body", .type = GL_F_MAP, .required = true },
};
const gl_schema_t gl_envelope_schema = GL_SCHEMA ("envelope", s_envelope_fields);

int
gl_envelope_decode (gl_doc_t *doc, const void *buf, size_t len, gl_envelope_t *env,
                    gl_err_t *err)
{
    memset (env, 0, sizeof *env);
    if (gl_doc_parse (doc, buf, len, err)
    ||  gl_schema_check (&gl_envelope_schema, &doc->root, err))
        return -1;
    const msgpack_object *m = &doc->root;
    gl_get_str (m, "type", &env->type, &env->type_len);
    gl_get_str (m, "src", &env->src, &env->src_len);
    gl_get_u64 (m, "epoch", &env->epoch);
    gl_get_u64 (m, "seq", &env->seq);
    gl_get_i64 (m, "ts", &env->ts);
    if (!gl_get_str (m, "id", &env->id, &env->id_len))
        env->id = NULL;
    env->body = gl_map_get (m, "body");
    env->raw = buf;
    env->raw_len = len;
    return 0;
}

void
gl_envelope_encode (msgpack_sbuffer *out, const char *type, const char *src, uint64_t epoch,
                    uint64_t seq, int64_t ts, const char *id, const void *body, size_t body_len)
{
    msgpack_packer pk;
    gl_packer_init (&pk, out);
    msgpack_pack_map (&pk, id? 8: 7);
    gl_pack_cstr (&pk, "v");
    msgpack_pack_uint64 (&pk, GL_PROTO_VERSION);
    gl_pack_cstr (&pk, "type");
    gl_pack_cstr (&pk, type);
    gl_pack_cstr (&pk, "src");
    gl_pack_cstr (&pk, src);
    gl_pack_cstr (&pk, "epoch");
    msgpack_pack_uint64 (&pk, epoch);
    gl_pack_cstr (&pk, "seq");
    msgpack_pack_uint64 (&pk, seq);
    gl_pack_cstr (&pk, "ts");
    msgpack_pack_int64 (&pk, ts);
    if (id) {
        gl_pack_cstr (&pk, "id");
        gl_pack_cstr (&pk, id);
    }
    gl_pack_cstr (&pk, "body");
    gl_sbuffer_write (out, body, body_len);
}

bool
gl_envelope_is (const gl_envelope_t *env, const char *type)
{
    size_t n = strlen (type);
    return env->type_len == n && memcmp (env->type, type, n) == 0;
}

void
gl_reply_ok (msgpack_sbuffer *out, gl_mapw_t *fields)
{
    msgpack_packer pk;
    gl_packer_init (&pk, out);
    msgpack_pack_map (&pk, 1 + (fields? fields->count: 0));
    gl_pack_cstr (&pk, "ok");
    msgpack_pack_true (&pk);
    if (fields)
        gl_sbuffer_write (out, fields->body.data, fields->body.size);
}

void
gl_reply_error (msgpack_sbuffer *out, const gl_err_t *err)
{
    msgpack_packer pk;
    gl_packer_init (&pk, out);
    msgpack_pack_map (&pk, 2);
    gl_pack_cstr (&pk, "ok");
    msgpack_pack_false (&pk);
    gl_pack_cstr (&pk, "error");
    msgpack_pack_map (&pk, 2);
    gl_pack_cstr (&pk, "code");
    gl_pack_cstr (&pk, gl_code_name (err->code));
    gl_pack_cstr (&pk, "message");
    gl_pack_cstr (&pk, err->message);
}

int
gl_request_recv (void *router, gl_request_t *req)
{
    req->payload = NULL;
    req->route = zmsg_recv_nowait (router);
    if (!req->route)
        return -1;
    //  [identity, (empty), payload]: REQ and DEALER-with-delimiter add the empty frame. The
    //  payload is the last frame; what stays in route is exactly what the answer goes back on.
    zframe_t *last = zmsg_last (req->route);
    if (zmsg_size (req->route) < 2 || !last) {
        zmsg_destroy (&req->route);
        return -1;
    }
    zmsg_remove (req->route, last);
    req->payload = last;
    return 0;
}

void
gl_request_answer (gl_request_t *req, void *router, const void *bytes, size_t len)
{
    zmsg_addmem (req->route, bytes, len);
    zmsg_send (&req->route, router);
    zframe_destroy (&req->payload);
}

void
gl_req_id_new (char buf [40])
{
    static uint64_t counter;
    static uint32_t salt [2];
    if (!salt [0] && !salt [1]) {
        salt [0] = randof (0x7fffffff) ^ (uint32_t) getpid ();
        salt [1] = randof (0x7fffffff) ^ (uint32_t) zclock_usecs ();
    }
    snprintf (buf, 40, "%08x%08x-%llu", salt [0], salt [1], (unsigned long long) ++counter);
}

void
gl_socket_limits (zsock_t *sock, int64_t max_msg_bytes, int linger_ms)
{
    zsock_set_maxmsgsize (sock, (int) max_msg_bytes);
    zsock_set_linger (sock, linger_ms);
    zsock_set_sndhwm (sock, 10000);
    zsock_set_rcvhwm (sock, 10000);
}

/*  gl_mapw — the counting map writer.  */
#include "gl_mapw.h"

#include <string.h>

void
gl_pack_cstr (msgpack_packer *pk, const char *s)
{
    size_t n = strlen (s);
    msgpack_pack_str (pk, n);
    msgpack_pack_str_body (pk, s, n);
}

void
gl_mapw_init (gl_mapw_t *w)
{
    msgpack_sbuffer_init (&w->body);
    gl_packer_init (&w->pk, &w->body);
    w->count = 0;
}

void
gl_mapw_fini (gl_mapw_t *w)
{
    msgpack_sbuffer_destroy (&w->body);
    w->count = 0;
}

void
gl_mapw_reset (gl_mapw_t *w)
{
    w->body.size = 0;
    w->count = 0;
}

void
gl_mapw_key (gl_mapw_t *w, const char *key)
{
    w->count++;
    gl_pack_cstr (&w->pk, key);
}

void
gl_mapw_str (gl_mapw_t *w, const char *key, const char *value)
{
    gl_mapw_key (w, key);
    gl_pack_cstr (&w->pk, value);
}

void
gl_mapw_strn (gl_mapw_t *w, const char *key, const char *value, size_t len)
{
    gl_mapw_key (w, key);
    msgpack_pack_str (&w->pk, len);
    msgpack_pack_str_body (&w->pk, value, len);
}

void
gl_mapw_u64 (gl_mapw_t *w, const char *key, uint64_t value)
{
    gl_mapw_key (w, key);
    msgpack_pack_uint64 (&w->pk, value);
}

void
gl_mapw_i64 (gl_mapw_t *w, const char *key, int64_t value)
{
    gl_mapw_key (w, key);
    msgpack_pack_int64 (&w->pk, value);
}

void
gl_mapw_bool (gl_mapw_t *w, const char *key, bool value)
{
    gl_mapw_key (w, key);
    if (value)
        msgpack_pack_true (&w->pk);
    else
        msgpack_pack_false (&w->pk);
}

void
gl_mapw_nil (gl_mapw_t *w, const char *key)
{
    gl_mapw_key (w, key);
    msgpack_pack_nil (&w->pk);
}

void
gl_mapw_obj (gl_mapw_t *w, const char *key, const msgpack_object *value)
{
    gl_mapw_key (w, key);
    msgpack_pack_object (&w->pk, *value);
}

void
gl_mapw_raw (gl_mapw_t *w, const char *key, const void *bytes, size_t len)
{
    gl_mapw_key (w, key);
    gl_sbuffer_write (&w->body, bytes, len);
}

void
gl_mapw_map (gl_mapw_t *w, const char *key, gl_mapw_t *inner)
{
    gl_mapw_key (w, key);
    gl_mapw_pack (inner, &w->pk);
}

void
gl_mapw_array (gl_mapw_t *w, const char *key, uint32_t count, const msgpack_sbuffer *items)
{
    gl_mapw_key (w, key);
    msgpack_pack_array (&w->pk, count);
    gl_sbuffer_write (&w->body, items->data, items->size);
}

void
gl_mapw_pack (gl_mapw_t *w, msgpack_packer *pk)
{
    msgpack_pack_map (pk, w->count);
    pk->callback (pk->data, w->body.data, w->body.size);
}

void
gl_mapw_finish (gl_mapw_t *w, msgpack_sbuffer *out)
{
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    gl_packer_init (&pk, out);
    gl_mapw_pack (w, &pk);
}

void
gl_mapw_double (gl_mapw_t *w, const char *key, double value)
{
    gl_mapw_key (w, key);
    msgpack_pack_double (&w->pk, value);
}

void
gl_mapw_merge (gl_mapw_t *w, const gl_mapw_t *other)
{
    gl_sbuffer_write (&w->body, other->body.data, other->body.size);
    w->count += other->count;
}

void
gl_listw_init (gl_listw_t *l)
{
    msgpack_sbuffer_init (&l->items);
    gl_packer_init (&l->pk, &l->items);
    l->count = 0;
}

void
gl_listw_fini (gl_listw_t *l)
{
    msgpack_sbuffer_destroy (&l->items);
    l->count = 0;
}

void
gl_listw_map (gl_listw_t *l, gl_mapw_t *map)
{
    gl_mapw_pack (map, &l->pk);
    l->count++;
}

void
gl_listw_str (gl_listw_t *l, const char *value)
{
    gl_pack_cstr (&l->pk, value);
    l->count++;
}

void
gl_mapw_list (gl_mapw_t *w, const char *key, const gl_listw_t *l)
{
    gl_mapw_array (w, key, l->count, &l->items);
}

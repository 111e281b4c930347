/*  gl_mapw — the one msgpack writer of gridloop: a map writer that counts its own entries, so
    a map can be built without knowing its size in advance, then emitted with the right
    header. Its reader is gl_codec.  */
#ifndef GL_MAPW_H
#define GL_MAPW_H

#include "gl_alloc.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    msgpack_sbuffer body;       //  the packed pairs
    msgpack_packer pk;          //  packs into body
    uint32_t count;             //  pairs so far
} gl_mapw_t;

void gl_mapw_init (gl_mapw_t *w);
void gl_mapw_fini (gl_mapw_t *w);
/*  Forget every pair, keeping the buffer for reuse.  */
void gl_mapw_reset (gl_mapw_t *w);
/*  Start a pair: packs the key; the caller packs exactly one value with w->pk next.  */
void gl_mapw_key (gl_mapw_t *w, const char *key);
void gl_mapw_str (gl_mapw_t *w, const char *key, const char *value);
void gl_mapw_strn (gl_mapw_t *w, const char *key, const char *value, size_t len);
void gl_mapw_u64 (gl_mapw_t *w, const char *key, uint64_t value);
void gl_mapw_i64 (gl_mapw_t *w, const char *key, int64_t value);
void gl_mapw_bool (gl_mapw_t *w, const char *key, bool value);
void gl_mapw_double (gl_mapw_t *w, const char *key, double value);
void gl_mapw_nil (gl_mapw_t *w, const char *key);
void gl_mapw_obj (gl_mapw_t *w, const char *key, const msgpack_object *value);
/*  A value that is already msgpack bytes (one complete value).  */
void gl_mapw_raw (gl_mapw_t *w, const char *key, const void *bytes, size_t len);
/*  A nested map built with another writer.  */
void gl_mapw_map (gl_mapw_t *w, const char *key, gl_mapw_t *inner);
/*  Every pair of another writer, appended as pairs of this map.  */
void gl_mapw_merge (gl_mapw_t *w, const gl_mapw_t *other);
/*  An array value whose count elements are already packed, one after another, in items.  */
void gl_mapw_array (gl_mapw_t *w, const char *key, uint32_t count, const msgpack_sbuffer *items);
/*  Emit the whole map (header + pairs) into a packer.  */
void gl_mapw_pack (gl_mapw_t *w, msgpack_packer *pk);
/*  Emit the whole map into a fresh sbuffer the caller owns (msgpack_sbuffer_destroy).  */
void gl_mapw_finish (gl_mapw_t *w, msgpack_sbuffer *out);

/*  Pack a C string as msgpack str.  */
void gl_pack_cstr (msgpack_packer *pk, const char *s);

/*  A list of packed values, for array fields: items and their count.  */
typedef struct {
    msgpack_sbuffer items;      //  the packed values, one after another
    msgpack_packer pk;          //  packs into items
    uint32_t count;             //  values so far (the caller counts each one it packs)
} gl_listw_t;

void gl_listw_init (gl_listw_t *l);
void gl_listw_fini (gl_listw_t *l);
/*  Add a map built with a writer as the next value.  */
void gl_listw_map (gl_listw_t *l, gl_mapw_t *map);
/*  Add a C string as the next value.  */
void gl_listw_str (gl_listw_t *l, const char *value);
/*  The list as an array field of w.  */
void gl_mapw_list (gl_mapw_t *w, const char *key, const gl_listw_t *l);

#endif

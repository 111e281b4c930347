/*  gl_codec — the one msgpack codec of gridloop: a strict checker that runs before any value is
    trusted, a parsed document, a map writer that counts its own entries, and result codes.

    msgpack-c 4.0.0 allocates from header counts before it reads elements, so a hostile
    "dd ff ff ff ff" would ask for ~96 GB. gl_codec_check walks the raw bytes first and proves every
    count and length against the bytes that remain; only then is msgpack_unpack allowed to run.  */
#ifndef GL_CODEC_H
#define GL_CODEC_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  The closed set of result codes used everywhere (wire error codes are their names).  */
typedef enum {
    GL_OK = 0,
    GL_MALFORMED,       //  not one well-formed msgpack map within the limits
    GL_TOO_LARGE,       //  a frame, string or array over its limit
    GL_INVALID,         //  well-formed, but a field is missing, mistyped or out of range
    GL_UNSUPPORTED,     //  unknown operation
    GL_NOT_FOUND,       //  no such thing
    GL_CONFLICT,        //  the thing's state does not allow it
    GL_FORBIDDEN,       //  the caller may not do this
    GL_UNAVAILABLE,     //  cannot take it now; retry later with the same req_id
    GL_INTERNAL         //  our fault; logged
} gl_code_t;

/*  What a handler returns when it refuses (err set, nothing written). Distinct from every LMDB
    error code (-30799 and up) and every errno value (positive), which mean "storage failed".  */
#define GL_REFUSED (-1)

/*  An error: a code and a sentence for a person (what was wrong, how to fix it).  */
typedef struct {
    gl_code_t code;             //  GL_OK when there is no error
    char message [320];         //  plain words; always NUL-terminated
} gl_err_t;

const char *gl_code_name (gl_code_t code);
/*  Set err (if not NULL) and return -1, so callers can write "return gl_fail (err, ...)".  */
int gl_fail (gl_err_t *err, gl_code_t code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

/*  Hard limits on everything we decode. Defaults match proto/README.md.  */
#define GL_MAX_STR      65536   //  longest str/bin: far above any field, far below memory trouble
#define GL_MAX_COUNT    10000   //  most elements in one array or map (replay pages are ≤ 1000)
#define GL_MAX_DEPTH    16      //  deepest nesting; our messages use at most 5

/*  Check that buf holds exactly one msgpack map within the limits: counts and lengths fit the
    bytes that remain, keys are strings, no duplicate keys, no ext types, no trailing bytes.
    Returns 0, or -1 with err set (GL_MALFORMED or GL_TOO_LARGE).  */
int gl_codec_check (const void *buf, size_t len, gl_err_t *err);

/*  A parsed, checked document. The objects point into doc's zone and into the input bytes'
    copy held by the zone, so the input may be freed after gl_doc_parse.  */
typedef struct {
    msgpack_zone zone;          //  owns every object of the tree
    msgpack_object root;        //  always a map after a successful parse
    bool live;                  //  zone initialised
} gl_doc_t;

/*  Check then parse. Returns 0, or -1 with err set; doc needs gl_doc_fini either way.  */
int gl_doc_parse (gl_doc_t *doc, const void *buf, size_t len, gl_err_t *err);
void gl_doc_fini (gl_doc_t *doc);

/*  Look up a key in a map object; NULL if absent or map is not a map.  */
const msgpack_object *gl_map_get (const msgpack_object *map, const char *key);
/*  Typed getters: return true and set *out when present and of that type.  */
bool gl_get_str (const msgpack_object *map, const char *key, const char **str, size_t *len);
bool gl_get_u64 (const msgpack_object *map, const char *key, uint64_t *out);
bool gl_get_i64 (const msgpack_object *map, const char *key, int64_t *out);
bool gl_get_bool (const msgpack_object *map, const char *key, bool *out);
/*  Copy a str field into a NUL-terminated buffer; false if absent, not a str or too long.  */
bool gl_get_strbuf (const msgpack_object *map, const char *key, char *buf, size_t size);
/*  True when the str object equals the C string.  */
bool gl_str_eq (const msgpack_object *obj, const char *cstr);

/*  A map writer: pack "key, value" pairs without knowing their number in advance, then emit the
    map header with the right count followed by the pairs. Values are packed with w->pk.  */
typedef struct {
    msgpack_sbuffer body;       //  the packed pairs
    msgpack_packer pk;          //  packs into body
    uint32_t count;             //  pairs so far
} gl_mapw_t;

void gl_mapw_init (gl_mapw_t *w);
void gl_mapw_fini (gl_mapw_t *w);
void gl_mapw_reset (gl_mapw_t *w);
/*  Start a pair: packs the key; the caller packs exactly one value with w->pk next.  */
void gl_mapw_key (gl_mapw_t *w, const char *key);
void gl_mapw_str (gl_mapw_t *w, const char *key, const char *value);
void gl_mapw_strn (gl_mapw_t *w, const char *key, const char *value, size_t len);
void gl_mapw_u64 (gl_mapw_t *w, const char *key, uint64_t value);
void gl_mapw_i64 (gl_mapw_t *w, const char *key, int64_t value);
void gl_mapw_bool (gl_mapw_t *w, const char *key, bool value);
void gl_mapw_nil (gl_mapw_t *w, const char *key);
void gl_mapw_obj (gl_mapw_t *w, const char *key, const msgpack_object *value);
/*  A value that is already msgpack bytes (one complete value).  */
void gl_mapw_raw (gl_mapw_t *w, const char *key, const void *bytes, size_t len);
/*  A nested map built with another writer.  */
void gl_mapw_map (gl_mapw_t *w, const char *key, gl_mapw_t *inner);
/*  An array value whose count elements are already packed, one after another, in items.  */
void gl_mapw_array (gl_mapw_t *w, const char *key, uint32_t count, const msgpack_sbuffer *items);
/*  Emit the whole map (header + pairs) into a packer.  */
void gl_mapw_pack (gl_mapw_t *w, msgpack_packer *pk);
/*  Emit the whole map into a fresh sbuffer the caller owns (msgpack_sbuffer_destroy).  */
void gl_mapw_finish (gl_mapw_t *w, msgpack_sbuffer *out);

/*  Pack a C string as msgpack str.  */
void gl_pack_cstr (msgpack_packer *pk, const char *s);

/*  Big-endian fixed-width integers: keys whose byte order must follow the number order.  */
void gl_be64_put (uint8_t *p, uint64_t v);
uint64_t gl_be64_get (const uint8_t *p);

#endif

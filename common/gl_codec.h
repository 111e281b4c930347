/*  gl_codec — the one msgpack reader of gridloop: a strict checker that runs before any value
    is trusted, and a parsed document with typed getters. Its writer is gl_mapw.

    msgpack-c 4.0.0 allocates from header counts before it reads elements, so a hostile
    "dd ff ff ff ff" would ask for ~96 GB. gl_codec_check walks the raw bytes first and proves
    every count and length against the bytes that remain; only then is msgpack_unpack allowed
    to run. It also counts every value, so that what a document costs once parsed is bounded
    by its size: 1 MiB of one-byte values would otherwise become 24 MiB of msgpack_objects.  */
#ifndef GL_CODEC_H
#define GL_CODEC_H

#include "gl_error.h"
#include <msgpack.h>
#include <stdint.h>

/*  Hard limits on everything we decode. Defaults match proto/README.md.  */
#define GL_MAX_STR      65536   //  longest str/bin: far above any field, far below memory trouble
#define GL_MAX_COUNT    10000   //  most elements in one array or map (replay pages are ≤ 1000)
#define GL_MAX_DEPTH    16      //  deepest nesting; our messages use at most 5
#define GL_MAX_VALUES   100000  //  most values in one document: a page of 1000 archived
                                //  messages has about 50 000; bounds a parsed document to its
                                //  bytes plus 2.4 MB of objects

/*  Check that buf holds exactly one msgpack map within the limits: counts and lengths fit the
    bytes that remain, keys are strings, no duplicate keys, no ext types, no trailing bytes, at
    most GL_MAX_VALUES values. Returns the number of values (≥ 1), or -1 with err set
    (GL_MALFORMED or GL_TOO_LARGE).  */
long gl_codec_check (const void *buf, size_t len, gl_err_t *err);

/*  A parsed, checked document. The objects point into doc's zone and into the input bytes'
    copy held by the zone, so the input may be freed after gl_doc_parse.  */
typedef struct {
    msgpack_zone zone;          //  owns every object of the tree
    msgpack_object root;        //  always a map after a successful parse
    size_t cost;                //  bytes the parsed document holds: input + objects
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
/*  True when the len bytes at text are valid UTF-8 (no overlong forms, no surrogates, nothing
    above U+10FFFF).  */
bool gl_utf8_valid (const char *text, size_t len);

#endif

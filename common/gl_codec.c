/*  gl_codec — strict msgpack checking and parsed documents.  */
#include "gl_codec.h"
#include "gl_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The checker. It walks the bytes once, never allocating from a count it has not proved.

typedef struct {
    const uint8_t *start;       //  first byte, for offsets in messages
    const uint8_t *end;         //  one past the last byte
    gl_err_t *err;              //  where the first failure is described
    long values;                //  values seen so far (bounded by GL_MAX_VALUES)
} s_walk_t;

typedef struct {
    const uint8_t *ptr;         //  key bytes
    uint32_t len;               //  key length
} s_key_t;

static const uint8_t *s_value (s_walk_t *w, const uint8_t *p, int depth);

static uint64_t
s_be (const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p [i];
    return v;
}

static int
s_key_cmp (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len? -1: 1;
    return memcmp (x->ptr, y->ptr, x->len);
}

//  Reads a str header at p; sets *len and returns the payload start, or NULL if p is no str.
static const uint8_t *
s_str_header (s_walk_t *w, const uint8_t *p, uint32_t *len)
{
    size_t left = (size_t) (w->end - p);
    if (left < 1)
        return NULL;
    if (p [0] >= 0xa0 && p [0] <= 0xbf) {
        *len = p [0] & 0x1f;
        return p + 1;
    }
    int n = p [0] == 0xd9? 1: p [0] == 0xda? 2: p [0] == 0xdb? 4: 0;
    if (n == 0 || left < (size_t) n + 1)
        return NULL;
    *len = (uint32_t) s_be (p + 1, n);
    return p + 1 + n;
}

static const uint8_t *
s_container (s_walk_t *w, const uint8_t *p, const uint8_t *body, uint64_t count, bool is_map,
             int depth)
{
    size_t left = (size_t) (w->end - body);
    size_t offset = (size_t) (p - w->start);
    //  Every element needs at least one byte, so a count beyond the bytes left is a lie.
    if (count > left / (is_map? 2: 1)) {
        gl_fail (w->err, GL_MALFORMED,
                 "malformed msgpack at byte %zu: %s claims %llu entries but only %zu bytes remain",
                 offset, is_map? "map": "array", (unsigned long long) count, left);
        return NULL;
    }
    if (count > GL_MAX_COUNT) {
        gl_fail (w->err, GL_TOO_LARGE, "%s at byte %zu has %llu entries; at most %d are accepted",
                 is_map? "map": "array", offset, (unsigned long long) count, GL_MAX_COUNT);
        return NULL;
    }
    if (depth + 1 > GL_MAX_DEPTH) {
        gl_fail (w->err, GL_MALFORMED, "malformed msgpack at byte %zu: nested deeper than %d levels",
                 offset, GL_MAX_DEPTH);
        return NULL;
    }
    if (!is_map) {
        for (uint64_t i = 0; i < count && body; i++)
            body = s_value (w, body, depth + 1);
        return body;
    }
    s_key_t small [16];
    //  count ≤ GL_MAX_COUNT was proved above: at most 160 KB.
    s_key_t *keys = count <= 16? small: (s_key_t *) zmalloc (count * sizeof (s_key_t));
    for (uint64_t i = 0; i < count && body; i++) {
        uint32_t len;
        const uint8_t *key = s_str_header (w, body, &len);
        if (!key) {
            gl_fail (w->err, GL_MALFORMED,
                     "malformed msgpack at byte %zu: map keys must be strings",
                     (size_t) (body - w->start));
            body = NULL;
            break;
        }
        keys [i].ptr = key;
        keys [i].len = len;
        body = s_value (w, body, depth + 1);            //  checks the key's length too
        if (body)
            body = s_value (w, body, depth + 1);
    }
    if (body && count > 1) {
        qsort (keys, count, sizeof (s_key_t), s_key_cmp);
        for (uint64_t i = 1; i < count; i++)
            if (s_key_cmp (&keys [i - 1], &keys [i]) == 0) {
                gl_fail (w->err, GL_MALFORMED,
                         "malformed msgpack: map at byte %zu has the key '%.*s' twice",
                         offset, (int) (keys [i].len > 64? 64: keys [i].len),
                         (const char *) keys [i].ptr);
                body = NULL;
                break;
            }
    }
    if (keys != small)
        free (keys);
    return body;
}

static const uint8_t *
s_value (s_walk_t *w, const uint8_t *p, int depth)
{
    size_t left = (size_t) (w->end - p);
    size_t offset = (size_t) (p - w->start);
    if (left < 1) {
        gl_fail (w->err, GL_MALFORMED, "malformed msgpack: input ends at byte %zu inside a value",
                 offset);
        return NULL;
    }
    if (++w->values > GL_MAX_VALUES) {
        gl_fail (w->err, GL_TOO_LARGE, "the message holds more than %d values; at most %d are "
                 "accepted in one message", GL_MAX_VALUES, GL_MAX_VALUES);
        return NULL;
    }
    uint8_t b = p [0];
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return p + 1;
    if (b >= 0x80 && b <= 0x8f)
        return s_container (w, p, p + 1, b & 0x0f, true, depth);
    if (b >= 0x90 && b <= 0x9f)
        return s_container (w, p, p + 1, b & 0x0f, false, depth);

    int fixed = 0;              //  bytes of payload after the type byte, for scalars
    int lenbytes = 0;           //  bytes of length, for str/bin/array/map
    int kind = 0;               //  0 scalar, 1 str/bin, 2 array, 3 map
    if (b >= 0xa0 && b <= 0xbf) {
        uint32_t len = b & 0x1f;
        if (len > left - 1)
            goto truncated;
        return p + 1 + len;
    }
    switch (b) {
        case 0xcc: case 0xd0: fixed = 1; break;
        case 0xcd: case 0xd1: fixed = 2; break;
        case 0xca: case 0xce: case 0xd2: fixed = 4; break;
        case 0xcb: case 0xcf: case 0xd3: fixed = 8; break;
        case 0xc4: case 0xd9: lenbytes = 1; kind = 1; break;
        case 0xc5: case 0xda: lenbytes = 2; kind = 1; break;
        case 0xc6: case 0xdb: lenbytes = 4; kind = 1; break;
        case 0xdc: lenbytes = 2; kind = 2; break;
        case 0xdd: lenbytes = 4; kind = 2; break;
        case 0xde: lenbytes = 2; kind = 3; break;
        case 0xdf: lenbytes = 4; kind = 3; break;
        case 0xc1:
            gl_fail (w->err, GL_MALFORMED,
                     "malformed msgpack at byte %zu: 0xc1 is never used in msgpack", offset);
            return NULL;
        default:                //  c7-c9, d4-d8: extension types
            gl_fail (w->err, GL_MALFORMED,
                     "malformed msgpack at byte %zu: extension types (0x%02x) are not part of "
                     "the gridloop protocol", offset, b);
            return NULL;
    }
    if (kind == 0) {
        if ((size_t) fixed > left - 1)
            goto truncated;
        return p + 1 + fixed;
    }
    if ((size_t) lenbytes > left - 1)
        goto truncated;
    uint64_t n = s_be (p + 1, lenbytes);
    const uint8_t *body = p + 1 + lenbytes;
    if (kind == 1) {
        if (n > (uint64_t) (w->end - body)) {
            gl_fail (w->err, GL_MALFORMED,
                     "malformed msgpack at byte %zu: string or binary claims %llu bytes but only "
                     "%zu remain", offset, (unsigned long long) n, (size_t) (w->end - body));
            return NULL;
        }
        if (n > GL_MAX_STR) {
            gl_fail (w->err, GL_TOO_LARGE,
                     "string or binary at byte %zu is %llu bytes; at most %d are accepted",
                     offset, (unsigned long long) n, GL_MAX_STR);
            return NULL;
        }
        return body + n;
    }
    return s_container (w, p, body, n, kind == 3, depth);

truncated:
    gl_fail (w->err, GL_MALFORMED, "malformed msgpack: input ends inside the value at byte %zu",
             offset);
    return NULL;
}

long
gl_codec_check (const void *buf, size_t len, gl_err_t *err)
{
    if (len == 0)
        return gl_fail (err, GL_MALFORMED, "empty message: send one msgpack map");
    s_walk_t w = { buf, (const uint8_t *) buf + len, err, 0 };
    uint8_t first = w.start [0];
    if (!((first >= 0x80 && first <= 0x8f) || first == 0xde || first == 0xdf))
        return gl_fail (err, GL_MALFORMED,
                        "malformed message: the top-level value must be a msgpack map "
                        "(first byte is 0x%02x)", first);
    const uint8_t *end = s_value (&w, w.start, 0);
    if (!end)
        return -1;
    if (end != w.end)
        return gl_fail (err, GL_MALFORMED,
                        "malformed msgpack: %zu trailing bytes after the map ending at byte %zu",
                        (size_t) (w.end - end), (size_t) (end - w.start));
    return w.values;
}

//  ---------------------------------------------------------------------------------------------

int
gl_doc_parse (gl_doc_t *doc, const void *buf, size_t len, gl_err_t *err)
{
    memset (doc, 0, sizeof *doc);
    long values = gl_codec_check (buf, len, err);
    if (values < 0)
        return -1;
    //  One zone sized to what the document will hold: the bytes and every object.
    doc->cost = len + (size_t) values * sizeof (msgpack_object);
    if (!msgpack_zone_init (&doc->zone, doc->cost < 2048? 2048: doc->cost))
        gl_oom ();
    doc->live = true;
    //  msgpack_unpack points str/bin objects into the data; copy it into the zone so the
    //  document outlives the caller's buffer.
    char *copy = msgpack_zone_malloc (&doc->zone, len);
    if (!copy)
        gl_oom ();
    memcpy (copy, buf, len);
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack (copy, len, &off, &doc->zone, &doc->root);
    if (rc != MSGPACK_UNPACK_SUCCESS || doc->root.type != MSGPACK_OBJECT_MAP)
        return gl_fail (err, GL_MALFORMED, "malformed msgpack (decoder result %d)", (int) rc);
    return 0;
}

void
gl_doc_fini (gl_doc_t *doc)
{
    if (doc->live)
        msgpack_zone_destroy (&doc->zone);
    doc->live = false;
}

bool
gl_str_eq (const msgpack_object *obj, const char *cstr)
{
    size_t n = strlen (cstr);
    return obj && obj->type == MSGPACK_OBJECT_STR && obj->via.str.size == n
        && memcmp (obj->via.str.ptr, cstr, n) == 0;
}

const msgpack_object *
gl_map_get (const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (gl_str_eq (&map->via.map.ptr [i].key, key))
            return &map->via.map.ptr [i].val;
    return NULL;
}

//  The value under key if it has the type wanted, else NULL.
static const msgpack_object *
s_get_typed (const msgpack_object *map, const char *key, msgpack_object_type type)
{
    const msgpack_object *o = gl_map_get (map, key);
    return o && o->type == type? o: NULL;
}

bool
gl_get_str (const msgpack_object *map, const char *key, const char **str, size_t *len)
{
    const msgpack_object *o = s_get_typed (map, key, MSGPACK_OBJECT_STR);
    if (!o)
        return false;
    *str = o->via.str.ptr;
    if (len)
        *len = o->via.str.size;
    return true;
}

bool
gl_get_strbuf (const msgpack_object *map, const char *key, char *buf, size_t size)
{
    const char *s;
    size_t n;
    if (!gl_get_str (map, key, &s, &n) || n >= size)
        return false;
    memcpy (buf, s, n);
    buf [n] = 0;
    return true;
}

bool
gl_get_u64 (const msgpack_object *map, const char *key, uint64_t *out)
{
    const msgpack_object *o = s_get_typed (map, key, MSGPACK_OBJECT_POSITIVE_INTEGER);
    if (o)
        *out = o->via.u64;
    return o != NULL;
}

bool
gl_get_i64 (const msgpack_object *map, const char *key, int64_t *out)
{
    const msgpack_object *o = gl_map_get (map, key);
    if (o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return true;
    }
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
        *out = (int64_t) o->via.u64;
        return true;
    }
    return false;
}

bool
gl_get_bool (const msgpack_object *map, const char *key, bool *out)
{
    const msgpack_object *o = s_get_typed (map, key, MSGPACK_OBJECT_BOOLEAN);
    if (o)
        *out = o->via.boolean;
    return o != NULL;
}

bool
gl_utf8_valid (const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *) text, *end = p + len;
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf)
            n = 1, cp = c & 0x1f, min = 0x80;
        else
        if (c >= 0xe0 && c <= 0xef)
            n = 2, cp = c & 0x0f, min = 0x800;
        else
        if (c >= 0xf0 && c <= 0xf4)
            n = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;               //  a continuation byte, 0xc0/0xc1, or above 0xf4
        if ((size_t) (end - p) <= n)
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p [i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p [i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;               //  overlong, out of range, or a surrogate
        p += n + 1;
    }
    return true;
}

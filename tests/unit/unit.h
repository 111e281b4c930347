/*  unit.h — small helpers shared by the unit tests: hex, the golden vectors of proto/vectors,
    packing JSON into bytes. Header-only so each test stays one executable per module.  */
#ifndef GL_UNIT_H
#define GL_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gl_calendar.h"
#include "gl_codec.h"
#include "gl_json.h"

/*  The repository root: GL_SOURCE_DIR (set by CTest), else the current directory.  */
static inline const char *
u_source_dir (void)
{
    const char *dir = getenv ("GL_SOURCE_DIR");
    return dir && *dir? dir: ".";
}

/*  Path of a file under the repository root (static buffer, one at a time).  */
static inline const char *
u_source_path (const char *relative)
{
    static char path [1024];
    snprintf (path, sizeof path, "%s/%s", u_source_dir (), relative);
    return path;
}

/*  The bundled working calendar (deploy/yunyang/calendar.json) for a county utc_offset_min
    east of UTC; fails the test when it does not load.  */
static inline gl_calendar_t *
u_bundled_calendar (int utc_offset_min)
{
    gl_err_t err = { GL_OK, "" };
    gl_calendar_t *cal = gl_calendar_load (u_source_path ("deploy/yunyang/calendar.json"),
                                           utc_offset_min, &err);
    if (!cal)
        fail_msg ("%s", err.message);
    return cal;
}

static inline int
u_hexdigit (char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/*  Decode lowercase/uppercase hex into a fresh buffer (at least 1 byte allocated, so an empty
    payload still has a valid pointer). Fails the test on bad hex.  */
static inline uint8_t *
u_unhex (const char *hex, size_t *len)
{
    size_t n = strlen (hex);
    assert_int_equal (n % 2, 0);
    uint8_t *bytes = malloc (n / 2 + 1);
    assert_non_null (bytes);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = u_hexdigit (hex [2 * i]), lo = u_hexdigit (hex [2 * i + 1]);
        assert_true (hi >= 0 && lo >= 0);
        bytes [i] = (uint8_t) (hi << 4 | lo);
    }
    *len = n / 2;
    return bytes;
}

/*  Load a vector file (a JSON array) from proto/vectors; fails the test if it cannot.  */
static inline json_t *
u_load_vectors (const char *file)
{
    char relative [256];
    snprintf (relative, sizeof relative, "proto/vectors/%s", file);
    const char *path = u_source_path (relative);
    json_error_t error;
    json_t *root = json_load_file (path, 0, &error);
    if (!root)
        fail_msg ("cannot load %s: %s (line %d); run from the repository root or set "
                  "GL_SOURCE_DIR", path, error.text, error.line);
    assert_true (json_is_array (root));
    assert_true (json_array_size (root) > 0);
    return root;
}

static inline const char *
u_vec_str (const json_t *vector, const char *key)
{
    const char *s = json_string_value (json_object_get (vector, key));
    assert_non_null (s);
    return s;
}

/*  Pack a JSON value with gl_json_to_msgpack into a fresh sbuffer (caller destroys it).  */
static inline void
u_pack_json (const json_t *json, msgpack_sbuffer *out)
{
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    gl_err_t err = { GL_OK, "" };
    if (gl_json_to_msgpack (json, &pk, &err))
        fail_msg ("gl_json_to_msgpack failed: %s", err.message);
}

/*  Assert two byte strings are equal, showing where they first differ.  */
static inline void
u_assert_bytes (const char *what, const void *got, size_t got_len, const void *want,
                size_t want_len)
{
    const uint8_t *g = got, *w = want;
    size_t n = got_len < want_len? got_len: want_len;
    size_t at = 0;
    while (at < n && g [at] == w [at])
        at++;
    if (at == n && got_len == want_len)
        return;
    fail_msg ("%s: %zu bytes, expected %zu; first difference at byte %zu (got 0x%02x, "
              "want 0x%02x)", what, got_len, want_len, at, at < got_len? g [at]: 0,
              at < want_len? w [at]: 0);
}

#endif

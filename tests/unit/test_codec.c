/*  test_codec — gl_codec: the strict checker against the golden vectors and the limits of
    proto/README.md section 4, parsed documents, typed getters, the map writer, big-endian keys.  */
#include "unit.h"
#include "gl_db.h"

//  ---------------------------------------------------------------------------------------------
//  Helpers

static json_t *s_valid;         //  proto/vectors/valid.json
static json_t *s_malformed;     //  proto/vectors/malformed.json

static int
s_setup (void **state)
{
    s_valid = u_load_vectors ("valid.json");
    s_malformed = u_load_vectors ("malformed.json");
    return 0;
}

static int
s_teardown (void **state)
{
    json_decref (s_valid);
    json_decref (s_malformed);
    return 0;
}

//  Check bytes; returns the result and fills err (message "" before the call).
static int
s_check (const void *buf, size_t len, gl_err_t *err)
{
    err->code = GL_OK;
    err->message [0] = 0;
    return gl_codec_check (buf, len, err) < 0? -1: 0;
}

static void
s_assert_refused_as (const char *what, const void *buf, size_t len, gl_code_t code)
{
    gl_err_t err;
    int rc = s_check (buf, len, &err);
    if (rc != -1 || err.code != code)
        fail_msg ("%s: expected %s, got rc %d code %s (%s)", what, gl_code_name (code), rc,
                  gl_code_name (err.code), err.message);
    if (strlen (err.message) == 0)
        fail_msg ("%s: refused without a message", what);
}

static void
s_assert_accepted_as (const char *what, const void *buf, size_t len)
{
    gl_err_t err;
    if (s_check (buf, len, &err))
        fail_msg ("%s: refused (%s): %s", what, gl_code_name (err.code), err.message);
}

#define s_assert_refused(buf, len, code) s_assert_refused_as (#buf, buf, len, code)
#define s_assert_accepted(buf, len) s_assert_accepted_as (#buf, buf, len)

//  A top-level map {"p": <levels nested arrays, the innermost empty>}: depth levels + 1.
static void
s_nested_arrays (msgpack_sbuffer *out, int levels)
{
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 1);
    gl_pack_cstr (&pk, "p");
    for (int i = 0; i < levels; i++)
        msgpack_pack_array (&pk, i + 1 < levels? 1: 0);
}

//  A top-level map nested through maps: {"m": {"m": ... {}}} with depth levels in total.
static void
s_nested_maps (msgpack_sbuffer *out, int levels)
{
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    for (int i = 0; i < levels; i++) {
        msgpack_pack_map (&pk, i + 1 < levels? 1: 0);
        if (i + 1 < levels)
            gl_pack_cstr (&pk, "m");
    }
}

//  ---------------------------------------------------------------------------------------------
//  Golden vectors

static void
test_every_valid_vector_parses_and_converts_to_its_json (void **state)
{
    size_t i, checked = 0;
    json_t *v;
    json_array_foreach (s_valid, i, v) {
        const char *name = u_vec_str (v, "name");
        const char *kind = u_vec_str (v, "kind");
        if (strcmp (kind, "request") && strcmp (kind, "reply") && strcmp (kind, "envelope"))
            fail_msg ("%s: unknown kind '%s'", name, kind);
        size_t len;
        uint8_t *bytes = u_unhex (u_vec_str (v, "hex"), &len);
        gl_doc_t doc;
        gl_err_t err = { GL_OK, "" };
        if (gl_doc_parse (&doc, bytes, len, &err))
            fail_msg ("%s: refused (%s): %s", name, gl_code_name (err.code), err.message);
        //  The document must outlive the input bytes.
        memset (bytes, 0xc1, len);
        free (bytes);
        assert_int_equal (doc.root.type, MSGPACK_OBJECT_MAP);
        json_t *got = gl_json_from_msgpack (&doc.root);
        if (!json_equal (got, json_object_get (v, "json"))) {
            char *text = json_dumps (got, JSON_COMPACT);
            fail_msg ("%s: decodes to %s, not the vector's json", name, text);
        }
        json_decref (got);
        gl_doc_fini (&doc);
        checked++;
    }
    assert_int_equal (checked, json_array_size (s_valid));
    assert_true (checked >= 30);
}

static void
test_every_valid_vector_json_encodes_to_exactly_its_bytes (void **state)
{
    size_t i;
    json_t *v;
    json_array_foreach (s_valid, i, v) {
        const char *name = u_vec_str (v, "name");
        size_t len;
        uint8_t *want = u_unhex (u_vec_str (v, "hex"), &len);
        msgpack_sbuffer got;
        u_pack_json (json_object_get (v, "json"), &got);
        u_assert_bytes (name, got.data, got.size, want, len);
        msgpack_sbuffer_destroy (&got);
        free (want);
    }
}

static void
test_every_malformed_vector_is_refused_with_its_code_and_a_message (void **state)
{
    size_t i, malformed = 0, too_large = 0;
    json_t *v;
    json_array_foreach (s_malformed, i, v) {
        const char *name = u_vec_str (v, "name");
        const char *want = u_vec_str (v, "error");
        gl_code_t code = strcmp (want, "TOO_LARGE") == 0? GL_TOO_LARGE: GL_MALFORMED;
        if (code == GL_MALFORMED)
            assert_string_equal (want, "MALFORMED");
        size_t len;
        uint8_t *bytes = u_unhex (u_vec_str (v, "hex"), &len);
        gl_err_t err;
        int rc = s_check (bytes, len, &err);
        if (rc != -1 || err.code != code || err.message [0] == 0)
            fail_msg ("%s: expected %s, got rc %d, %s: \"%s\"", name, want, rc,
                      gl_code_name (err.code), err.message);
        //  gl_doc_parse refuses it the same way, without ever creating the zone.
        gl_doc_t doc;
        gl_err_t err2 = { GL_OK, "" };
        assert_int_equal (gl_doc_parse (&doc, bytes, len, &err2), -1);
        assert_int_equal (err2.code, code);
        assert_false (doc.live);
        gl_doc_fini (&doc);
        free (bytes);
        if (code == GL_MALFORMED)
            malformed++;
        else
            too_large++;
    }
    assert_true (malformed > 0);
    assert_true (too_large > 0);
}

static void
test_every_strict_prefix_of_a_valid_vector_is_malformed (void **state)
{
    size_t i;
    json_t *v;
    json_array_foreach (s_valid, i, v) {
        const char *name = u_vec_str (v, "name");
        size_t len;
        uint8_t *bytes = u_unhex (u_vec_str (v, "hex"), &len);
        for (size_t n = 0; n < len; n++) {
            //  An exact-size copy, so a read past the end is a real overread.
            uint8_t *prefix = malloc (n? n: 1);
            memcpy (prefix, bytes, n);
            gl_err_t err;
            int rc = s_check (prefix, n, &err);
            if (rc != -1 || err.code != GL_MALFORMED || !err.message [0])
                fail_msg ("%s cut to %zu of %zu bytes: rc %d, %s", name, n, len, rc,
                          gl_code_name (err.code));
            free (prefix);
        }
        free (bytes);
    }
}

static void
test_changed_bytes_are_refused_cleanly_or_parse (void **state)
{
    //  Every byte of every valid vector replaced by a few telling values: the checker either
    //  refuses with MALFORMED or TOO_LARGE and a message, or accepts and then gl_doc_parse
    //  succeeds too (the checker never lets through what msgpack cannot decode).
    const uint8_t values [] = { 0x00, 0x7f, 0x80, 0x8f, 0x90, 0xa0, 0xbf, 0xc0, 0xc1, 0xc4,
                                0xcf, 0xd4, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xff };
    size_t i, accepted = 0, refused = 0;
    json_t *v;
    json_array_foreach (s_valid, i, v) {
        const char *name = u_vec_str (v, "name");
        size_t len;
        uint8_t *bytes = u_unhex (u_vec_str (v, "hex"), &len);
        uint8_t *copy = malloc (len);
        for (size_t at = 0; at < len; at++)
            for (size_t k = 0; k < sizeof values; k++) {
                memcpy (copy, bytes, len);
                copy [at] = values [k];
                gl_err_t err;
                if (s_check (copy, len, &err) == 0) {
                    gl_doc_t doc;
                    if (gl_doc_parse (&doc, copy, len, &err))
                        fail_msg ("%s with byte %zu = 0x%02x: checked but not parsed: %s",
                                  name, at, values [k], err.message);
                    assert_int_equal (doc.root.type, MSGPACK_OBJECT_MAP);
                    gl_doc_fini (&doc);
                    accepted++;
                }
                else {
                    if ((err.code != GL_MALFORMED && err.code != GL_TOO_LARGE)
                    ||  !err.message [0])
                        fail_msg ("%s with byte %zu = 0x%02x: refused as %s \"%s\"", name, at,
                                  values [k], gl_code_name (err.code), err.message);
                    refused++;
                }
            }
        free (copy);
        free (bytes);
    }
    assert_true (accepted > 0);
    assert_true (refused > 0);
}

//  ---------------------------------------------------------------------------------------------
//  The checker, case by case

static void
test_map32_count_beyond_input_is_malformed_not_allocated (void **state)
{
    const uint8_t bytes [] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
    gl_err_t err;
    assert_int_equal (s_check (bytes, sizeof bytes, &err), -1);
    //  Not a map at the top: refused before any count is read.
    assert_int_equal (err.code, GL_MALFORMED);
    assert_true (strlen (err.message) > 0);

    //  The same header as a real map32: the count is compared with the bytes that remain.
    const uint8_t map32 [] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
    assert_int_equal (s_check (map32, sizeof map32, &err), -1);
    assert_int_equal (err.code, GL_MALFORMED);
    assert_non_null (strstr (err.message, "4294967295"));
    gl_doc_t doc;
    assert_int_equal (gl_doc_parse (&doc, map32, sizeof map32, &err), -1);
    assert_int_equal (err.code, GL_MALFORMED);
    assert_false (doc.live);       //  msgpack never saw it: nothing was allocated
    gl_doc_fini (&doc);

    //  Nested: {"a": map32 claiming 2^32-1 entries, 4 bytes after it}.
    const uint8_t nested [] = { 0x81, 0xa1, 'a', 0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0,
                                0xc0, 0xc0 };
    s_assert_refused (nested, sizeof nested, GL_MALFORMED);
}

static void
test_count_that_fits_but_exceeds_limit_is_too_large (void **state)
{
    //  {"a": array16 of 10001 nils, all present}
    size_t n = 10001;
    uint8_t *bytes = malloc (6 + n);
    memcpy (bytes, "\x81\xa1" "a" "\xdc\x27\x11", 6);
    memset (bytes + 6, 0xc0, n);
    s_assert_refused (bytes, 6 + n, GL_TOO_LARGE);
    //  10000 is the limit itself: accepted.
    bytes [4] = 0x27;
    bytes [5] = 0x10;
    s_assert_accepted (bytes, 6 + 10000);
    free (bytes);
}

static void
test_count_beyond_the_bytes_left_is_malformed_even_when_over_the_limit (void **state)
{
    //  A map entry needs at least 2 bytes: map16 claiming 10001 entries with 15000 bytes after
    //  it cannot be there, so it is MALFORMED, not TOO_LARGE.
    size_t n = 15000;
    uint8_t *bytes = calloc (1, 6 + n);
    memcpy (bytes, "\x81\xa1" "a" "\xde\x27\x11", 6);
    s_assert_refused (bytes, 6 + n, GL_MALFORMED);
    //  An array element needs at least 1 byte: array16 claiming 10001 with 10000 after it.
    memcpy (bytes, "\x81\xa1" "a" "\xdc\x27\x11", 6);
    s_assert_refused (bytes, 6 + 10000, GL_MALFORMED);
    //  The top-level map too: 3 entries cannot fit in 5 bytes.
    const uint8_t top [] = { 0xde, 0x00, 0x03, 0xa1, 'a', 0xc0, 0xa1, 'b' };
    s_assert_refused (top, sizeof top, GL_MALFORMED);
    free (bytes);
}

static void
test_string_of_65536_bytes_is_accepted_and_65537_too_large (void **state)
{
    for (size_t len = 65536; len <= 65537; len++) {
        size_t total = 3 + 5 + len;
        uint8_t *bytes = malloc (total);
        memcpy (bytes, "\x81\xa1" "a", 3);
        bytes [3] = 0xdb;
        bytes [4] = (uint8_t) (len >> 24);
        bytes [5] = (uint8_t) (len >> 16);
        bytes [6] = (uint8_t) (len >> 8);
        bytes [7] = (uint8_t) len;
        memset (bytes + 8, 'x', len);
        if (len == 65536)
            s_assert_accepted (bytes, total);
        else
            s_assert_refused (bytes, total, GL_TOO_LARGE);
        //  One byte short of the claimed length: MALFORMED, whatever the length.
        s_assert_refused (bytes, total - 1, GL_MALFORMED);
        free (bytes);
    }
}

static void
test_duplicate_keys_are_malformed_at_any_depth_and_in_any_str_format (void **state)
{
    //  {"op": 1, "op": 2}
    const uint8_t top [] = { 0x82, 0xa2, 'o', 'p', 0x01, 0xa2, 'o', 'p', 0x02 };
    s_assert_refused (top, sizeof top, GL_MALFORMED);
    gl_err_t err;
    s_check (top, sizeof top, &err);
    assert_non_null (strstr (err.message, "op"));

    //  {"b": {"id": 1, "id": 2}}
    const uint8_t nested [] = { 0x81, 0xa1, 'b', 0x82, 0xa2, 'i', 'd', 0x01, 0xa2, 'i', 'd',
                                0x02 };
    s_assert_refused (nested, sizeof nested, GL_MALFORMED);

    //  The same key once as fixstr and once as str8: still the same bytes, still a duplicate.
    const uint8_t formats [] = { 0x82, 0xa1, 'k', 0x01, 0xd9, 0x01, 'k', 0x02 };
    s_assert_refused (formats, sizeof formats, GL_MALFORMED);

    //  Keys that differ only in case or length are different keys.
    const uint8_t distinct [] = { 0x83, 0xa1, 'k', 0x01, 0xa1, 'K', 0x02, 0xa2, 'k', 'k', 0x03 };
    s_assert_accepted (distinct, sizeof distinct);

    //  A map with more than 16 keys (checked through a heap table): duplicate at the ends.
    gl_mapw_t w;
    gl_mapw_init (&w);
    char key [8];
    for (int i = 0; i < 40; i++) {
        snprintf (key, sizeof key, "k%02d", i);
        gl_mapw_u64 (&w, key, (uint64_t) i);
    }
    msgpack_sbuffer ok;
    gl_mapw_finish (&w, &ok);
    s_assert_accepted (ok.data, ok.size);
    msgpack_sbuffer_destroy (&ok);
    gl_mapw_u64 (&w, "k00", 99);
    msgpack_sbuffer dup;
    gl_mapw_finish (&w, &dup);
    s_assert_refused (dup.data, dup.size, GL_MALFORMED);
    msgpack_sbuffer_destroy (&dup);
    gl_mapw_fini (&w);
}

static void
test_non_string_keys_are_malformed_at_any_depth (void **state)
{
    const uint8_t integer [] = { 0x81, 0x01, 0xa1, 'a' };
    const uint8_t nil [] = { 0x81, 0xc0, 0x01 };
    const uint8_t bin [] = { 0x81, 0xc4, 0x01, 'a', 0x01 };
    const uint8_t array [] = { 0x81, 0x90, 0x01 };
    const uint8_t nested [] = { 0x81, 0xa1, 'b', 0x81, 0x07, 0xc3 };
    //  ...and inside an array inside a map.
    const uint8_t in_array [] = { 0x81, 0xa1, 'b', 0x91, 0x81, 0xc3, 0xc3 };
    s_assert_refused (integer, sizeof integer, GL_MALFORMED);
    s_assert_refused (nil, sizeof nil, GL_MALFORMED);
    s_assert_refused (bin, sizeof bin, GL_MALFORMED);
    s_assert_refused (array, sizeof array, GL_MALFORMED);
    s_assert_refused (nested, sizeof nested, GL_MALFORMED);
    s_assert_refused (in_array, sizeof in_array, GL_MALFORMED);
}

static void
test_depth_16_is_accepted_and_17_is_malformed (void **state)
{
    msgpack_sbuffer buf;
    //  Through arrays: top-level map (depth 1) + 15 arrays = 16.
    s_nested_arrays (&buf, 15);
    s_assert_accepted (buf.data, buf.size);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, buf.data, buf.size, &err), 0);
    gl_doc_fini (&doc);
    msgpack_sbuffer_destroy (&buf);
    s_nested_arrays (&buf, 16);
    s_assert_refused (buf.data, buf.size, GL_MALFORMED);
    msgpack_sbuffer_destroy (&buf);

    //  Through maps.
    s_nested_maps (&buf, 16);
    s_assert_accepted (buf.data, buf.size);
    msgpack_sbuffer_destroy (&buf);
    s_nested_maps (&buf, 17);
    s_assert_refused (buf.data, buf.size, GL_MALFORMED);
    msgpack_sbuffer_destroy (&buf);

    //  Far deeper than the limit: refused, not a stack overflow.
    s_nested_arrays (&buf, 100000);
    s_assert_refused (buf.data, buf.size, GL_MALFORMED);
    msgpack_sbuffer_destroy (&buf);
}

static void
test_trailing_bytes_after_the_map_are_malformed (void **state)
{
    const uint8_t one [] = { 0x81, 0xa1, 'a', 0x01, 0x00 };
    const uint8_t two_maps [] = { 0x80, 0x80 };
    s_assert_refused (one, sizeof one, GL_MALFORMED);
    s_assert_refused (two_maps, sizeof two_maps, GL_MALFORMED);
    gl_err_t err;
    s_check (one, sizeof one, &err);
    assert_non_null (strstr (err.message, "trailing"));
    //  Without the extra byte it is fine.
    s_assert_accepted (one, sizeof one - 1);
}

static void
test_empty_input_is_malformed (void **state)
{
    const uint8_t byte = 0x80;
    s_assert_refused (&byte, 0, GL_MALFORMED);
    s_assert_refused (NULL, 0, GL_MALFORMED);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, NULL, 0, &err), -1);
    assert_int_equal (err.code, GL_MALFORMED);
    gl_doc_fini (&doc);
    //  The empty map itself is a valid message.
    s_assert_accepted (&byte, 1);
}

static void
test_top_level_must_be_a_map (void **state)
{
    const uint8_t array [] = { 0x91, 0x80 };
    const uint8_t str [] = { 0xa1, 'a' };
    const uint8_t nil [] = { 0xc0 };
    s_assert_refused (array, sizeof array, GL_MALFORMED);
    s_assert_refused (str, sizeof str, GL_MALFORMED);
    s_assert_refused (nil, sizeof nil, GL_MALFORMED);
}

static void
test_truncated_scalars_ext_types_and_c1_are_malformed (void **state)
{
    //  {"a": <x>} for each x below, truncated or forbidden.
    const char *cases [] = {
        "81a161cf00000000000000",       //  uint64, 7 of 8 bytes
        "81a161cb400000",               //  float64, 3 of 8 bytes
        "81a161cd01",                   //  uint16, 1 of 2 bytes
        "81a161d2",                     //  int32, no payload
        "81a161",                       //  key without value
        "81a161c1",                     //  0xc1
        "81a161d40100",                 //  fixext1
        "81a161c7010500",               //  ext8
        "81a161d6ff00000000",           //  timestamp32
        "81a161c40301",                 //  bin8 claiming 3, 1 present
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        size_t len;
        uint8_t *bytes = u_unhex (cases [i], &len);
        s_assert_refused_as (cases [i], bytes, len, GL_MALFORMED);
        free (bytes);
    }
    //  Every integer and float format with all its bytes is fine.
    const char *fine [] = {
        "81a161cf0000000000000005", "81a161cc05", "81a161cd0005", "81a161ce00000005",
        "81a161d0fb", "81a161d1fffb", "81a161d2fffffffb", "81a161d3fffffffffffffffb",
        "81a161ca3fc00000", "81a161cb3ff8000000000000", "81a161c3", "81a161c2", "81a161c0",
        "81a161e0", "81a161c400",
    };
    for (size_t i = 0; i < sizeof fine / sizeof fine [0]; i++) {
        size_t len;
        uint8_t *bytes = u_unhex (fine [i], &len);
        s_assert_accepted_as (fine [i], bytes, len);
        free (bytes);
    }
}

static void
test_doc_outlives_its_input_buffer (void **state)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "name", "双江街道");
    msgpack_sbuffer buf;
    gl_mapw_finish (&w, &buf);
    gl_mapw_fini (&w);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, buf.data, buf.size, &err), 0);
    assert_true (doc.live);
    memset (buf.data, 0, buf.size);
    msgpack_sbuffer_destroy (&buf);
    const char *s;
    size_t n;
    assert_true (gl_get_str (&doc.root, "name", &s, &n));
    assert_int_equal (n, strlen ("双江街道"));
    assert_memory_equal (s, "双江街道", n);
    gl_doc_fini (&doc);
    assert_false (doc.live);
    gl_doc_fini (&doc);            //  twice is harmless
}

//  ---------------------------------------------------------------------------------------------
//  Result codes

static void
test_code_names_are_the_wire_words (void **state)
{
    const char *names [] = { "OK", "MALFORMED", "TOO_LARGE", "INVALID", "UNSUPPORTED",
                             "NOT_FOUND", "CONFLICT", "FORBIDDEN", "UNAVAILABLE", "INTERNAL" };
    for (int c = GL_OK; c <= GL_INTERNAL; c++)
        assert_string_equal (gl_code_name ((gl_code_t) c), names [c]);
    assert_string_equal (gl_code_name ((gl_code_t) 1000), "INTERNAL");

    gl_err_t err = { GL_OK, "" };
    assert_int_equal (gl_fail (&err, GL_NOT_FOUND, "no event %s (%d)", "x", 7), -1);
    assert_int_equal (err.code, GL_NOT_FOUND);
    assert_string_equal (err.message, "no event x (7)");
    assert_int_equal (gl_fail (NULL, GL_INVALID, "ignored"), -1);
    //  A long message is cut, NUL-terminated.
    char long_text [1000];
    memset (long_text, 'y', sizeof long_text - 1);
    long_text [sizeof long_text - 1] = 0;
    gl_fail (&err, GL_INVALID, "%s", long_text);
    assert_int_equal (strlen (err.message), sizeof err.message - 1);
}

//  ---------------------------------------------------------------------------------------------
//  The map writer

static void
test_mapw_headers_fixmap_and_map16_by_count_and_round_trip (void **state)
{
    const uint32_t counts [] = { 0, 1, 15, 16, 20 };
    for (size_t c = 0; c < sizeof counts / sizeof counts [0]; c++) {
        uint32_t n = counts [c];
        gl_mapw_t w;
        gl_mapw_init (&w);
        char key [16];
        for (uint32_t i = 0; i < n; i++) {
            snprintf (key, sizeof key, "key%u", i);
            gl_mapw_u64 (&w, key, 1000u * i);
        }
        assert_int_equal (w.count, n);
        msgpack_sbuffer out;
        gl_mapw_finish (&w, &out);
        const uint8_t *b = (const uint8_t *) out.data;
        if (n <= 15) {
            assert_int_equal (b [0], 0x80 | n);
        }
        else {
            assert_int_equal (b [0], 0xde);
            assert_int_equal (b [1], n >> 8);
            assert_int_equal (b [2], n & 0xff);
        }
        gl_doc_t doc;
        gl_err_t err;
        if (gl_doc_parse (&doc, out.data, out.size, &err))
            fail_msg ("%u pairs: %s", n, err.message);
        assert_int_equal (doc.root.via.map.size, n);
        for (uint32_t i = 0; i < n; i++) {
            snprintf (key, sizeof key, "key%u", i);
            uint64_t v = 7;
            assert_true (gl_get_u64 (&doc.root, key, &v));
            assert_int_equal (v, 1000u * i);
            //  In the order written.
            assert_true (gl_str_eq (&doc.root.via.map.ptr [i].key, key));
        }
        gl_doc_fini (&doc);
        msgpack_sbuffer_destroy (&out);
        gl_mapw_fini (&w);
    }
}

static void
test_mapw_every_value_kind_round_trips (void **state)
{
    gl_mapw_t inner;
    gl_mapw_init (&inner);
    gl_mapw_str (&inner, "id", "GW-0001");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "s", "text");
    gl_mapw_strn (&w, "sn", "abcdef", 3);
    gl_mapw_u64 (&w, "u", UINT64_MAX);
    gl_mapw_i64 (&w, "i", INT64_MIN);
    gl_mapw_bool (&w, "t", true);
    gl_mapw_bool (&w, "f", false);
    gl_mapw_nil (&w, "n");
    gl_mapw_map (&w, "m", &inner);
    const uint8_t raw [] = { 0x92, 0x01, 0xa1, 'x' };        //  [1, "x"]
    gl_mapw_raw (&w, "r", raw, sizeof raw);
    gl_mapw_key (&w, "k");
    msgpack_pack_double (&w.pk, 2.5);
    gl_mapw_fini (&inner);
    assert_int_equal (w.count, 10);

    msgpack_sbuffer out;
    gl_mapw_finish (&w, &out);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, out.data, out.size, &err), 0);
    const msgpack_object *m = &doc.root;
    char buf [16];
    assert_true (gl_get_strbuf (m, "s", buf, sizeof buf));
    assert_string_equal (buf, "text");
    assert_true (gl_get_strbuf (m, "sn", buf, sizeof buf));
    assert_string_equal (buf, "abc");
    uint64_t u;
    assert_true (gl_get_u64 (m, "u", &u));
    assert_true (u == UINT64_MAX);
    int64_t i;
    assert_true (gl_get_i64 (m, "i", &i));
    assert_true (i == INT64_MIN);
    bool b;
    assert_true (gl_get_bool (m, "t", &b) && b);
    assert_true (gl_get_bool (m, "f", &b) && !b);
    assert_int_equal (gl_map_get (m, "n")->type, MSGPACK_OBJECT_NIL);
    assert_true (gl_get_strbuf (gl_map_get (m, "m"), "id", buf, sizeof buf));
    assert_string_equal (buf, "GW-0001");
    const msgpack_object *r = gl_map_get (m, "r");
    assert_int_equal (r->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal (r->via.array.size, 2);
    assert_true (gl_str_eq (&r->via.array.ptr [1], "x"));
    assert_true (gl_map_get (m, "k")->via.f64 == 2.5);

    //  gl_mapw_obj copies an object exactly; reset starts over.
    gl_mapw_t copy;
    gl_mapw_init (&copy);
    gl_mapw_str (&copy, "junk", "dropped by reset");
    gl_mapw_reset (&copy);
    assert_int_equal (copy.count, 0);
    for (uint32_t k = 0; k < m->via.map.size; k++) {
        char key [16];
        snprintf (key, sizeof key, "%.*s", (int) m->via.map.ptr [k].key.via.str.size,
                  m->via.map.ptr [k].key.via.str.ptr);
        gl_mapw_obj (&copy, key, &m->via.map.ptr [k].val);
    }
    msgpack_sbuffer again;
    gl_mapw_finish (&copy, &again);
    u_assert_bytes ("copy", again.data, again.size, out.data, out.size);

    //  gl_mapw_pack appends to an existing packer.
    msgpack_sbuffer packed;
    msgpack_sbuffer_init (&packed);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &packed, msgpack_sbuffer_write);
    gl_mapw_pack (&w, &pk);
    u_assert_bytes ("pack", packed.data, packed.size, out.data, out.size);

    msgpack_sbuffer_destroy (&packed);
    msgpack_sbuffer_destroy (&again);
    gl_mapw_fini (&copy);
    gl_doc_fini (&doc);
    msgpack_sbuffer_destroy (&out);
    gl_mapw_fini (&w);
}

//  ---------------------------------------------------------------------------------------------
//  Getters

static void
test_getters_on_present_absent_and_mistyped_keys (void **state)
{
    //  {"s": "abc", "u": 5, "neg": -3, "big": 2^64-1, "b": true, "n": nil, "f": 1.5}
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "s", "abc");
    gl_mapw_u64 (&w, "u", 5);
    gl_mapw_i64 (&w, "neg", -3);
    gl_mapw_u64 (&w, "big", UINT64_MAX);
    gl_mapw_bool (&w, "b", true);
    gl_mapw_nil (&w, "n");
    gl_mapw_key (&w, "f");
    msgpack_pack_double (&w.pk, 1.5);
    msgpack_sbuffer out;
    gl_mapw_finish (&w, &out);
    gl_mapw_fini (&w);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, out.data, out.size, &err), 0);
    msgpack_sbuffer_destroy (&out);
    const msgpack_object *m = &doc.root;

    //  str
    const char *s = NULL;
    size_t n = 0;
    assert_true (gl_get_str (m, "s", &s, &n));
    assert_int_equal (n, 3);
    assert_memory_equal (s, "abc", 3);
    assert_true (gl_get_str (m, "s", &s, NULL));
    assert_false (gl_get_str (m, "absent", &s, &n));
    assert_false (gl_get_str (m, "u", &s, &n));
    assert_false (gl_get_str (m, "n", &s, &n));

    //  strbuf: needs room for the NUL
    char buf [4];
    assert_true (gl_get_strbuf (m, "s", buf, 4));
    assert_string_equal (buf, "abc");
    memcpy (buf, "zzz", 4);
    assert_false (gl_get_strbuf (m, "s", buf, 3));
    assert_string_equal (buf, "zzz");          //  untouched
    assert_false (gl_get_strbuf (m, "absent", buf, 4));
    assert_false (gl_get_strbuf (m, "b", buf, 4));

    //  u64: non-negative integers only; *out untouched on false
    uint64_t u = 42;
    assert_true (gl_get_u64 (m, "u", &u));
    assert_int_equal (u, 5);
    assert_true (gl_get_u64 (m, "big", &u));
    assert_true (u == UINT64_MAX);
    u = 42;
    assert_false (gl_get_u64 (m, "neg", &u));
    assert_false (gl_get_u64 (m, "s", &u));
    assert_false (gl_get_u64 (m, "f", &u));
    assert_false (gl_get_u64 (m, "absent", &u));
    assert_int_equal (u, 42);

    //  i64: both signs, but not a uint beyond INT64_MAX
    int64_t i = 42;
    assert_true (gl_get_i64 (m, "neg", &i));
    assert_int_equal (i, -3);
    assert_true (gl_get_i64 (m, "u", &i));
    assert_int_equal (i, 5);
    i = 42;
    assert_false (gl_get_i64 (m, "big", &i));
    assert_false (gl_get_i64 (m, "s", &i));
    assert_false (gl_get_i64 (m, "absent", &i));
    assert_int_equal (i, 42);

    //  bool
    bool b = false;
    assert_true (gl_get_bool (m, "b", &b));
    assert_true (b);
    assert_false (gl_get_bool (m, "u", &b));
    assert_false (gl_get_bool (m, "n", &b));
    assert_false (gl_get_bool (m, "absent", &b));

    //  map_get and str_eq
    assert_null (gl_map_get (m, "absent"));
    assert_null (gl_map_get (NULL, "s"));
    assert_null (gl_map_get (gl_map_get (m, "s"), "s"));      //  not a map
    assert_int_equal (gl_map_get (m, "n")->type, MSGPACK_OBJECT_NIL);
    assert_true (gl_str_eq (gl_map_get (m, "s"), "abc"));
    assert_false (gl_str_eq (gl_map_get (m, "s"), "ab"));
    assert_false (gl_str_eq (gl_map_get (m, "s"), "abcd"));
    assert_false (gl_str_eq (gl_map_get (m, "u"), "5"));
    assert_false (gl_str_eq (NULL, "abc"));
    gl_doc_fini (&doc);
}

//  ---------------------------------------------------------------------------------------------
//  Big-endian keys

static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y? -1: x > y;
}

static void
test_be64_bytes_are_big_endian_and_memcmp_order_is_numeric_order (void **state)
{
    uint8_t p [8];
    gl_be64_put (p, 0x0102030405060708ull);
    const uint8_t want [8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_memory_equal (p, want, 8);
    assert_true (gl_be64_get (p) == 0x0102030405060708ull);

    uint64_t values [] = {
        0, 1, 255, 256, 65535, 65536, 0xffffffffull, 0x100000000ull, 4107, 4108,
        1788220800000ull, (uint64_t) INT64_MAX, (uint64_t) INT64_MAX + 1, UINT64_MAX - 1,
        UINT64_MAX, 0x00ff000000000000ull, 0xff00000000000000ull, 0x8000000000000001ull,
    };
    size_t n = sizeof values / sizeof values [0];
    uint8_t keys [sizeof values / sizeof values [0]][8];
    for (size_t i = 0; i < n; i++) {
        gl_be64_put (keys [i], values [i]);
        assert_true (gl_be64_get (keys [i]) == values [i]);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int bytes = memcmp (keys [i], keys [j], 8);
            int numbers = s_cmp_u64 (&values [i], &values [j]);
            if ((bytes < 0) != (numbers < 0) || (bytes == 0) != (numbers == 0))
                fail_msg ("%llx vs %llx: memcmp %d, numeric %d",
                          (unsigned long long) values [i], (unsigned long long) values [j],
                          bytes, numbers);
        }
    //  A pseudo-random sweep too.
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < 10000; k++) {
        uint64_t a = x, b;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        b = x >> (k % 64);
        uint8_t ka [8], kb [8];
        gl_be64_put (ka, a);
        gl_be64_put (kb, b);
        int bytes = memcmp (ka, kb, 8);
        assert_int_equal (bytes < 0, a < b);
        assert_int_equal (bytes == 0, a == b);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_valid_vector_parses_and_converts_to_its_json),
        cmocka_unit_test (test_every_valid_vector_json_encodes_to_exactly_its_bytes),
        cmocka_unit_test (test_every_malformed_vector_is_refused_with_its_code_and_a_message),
        cmocka_unit_test (test_every_strict_prefix_of_a_valid_vector_is_malformed),
        cmocka_unit_test (test_changed_bytes_are_refused_cleanly_or_parse),
        cmocka_unit_test (test_map32_count_beyond_input_is_malformed_not_allocated),
        cmocka_unit_test (test_count_that_fits_but_exceeds_limit_is_too_large),
        cmocka_unit_test (test_count_beyond_the_bytes_left_is_malformed_even_when_over_the_limit),
        cmocka_unit_test (test_string_of_65536_bytes_is_accepted_and_65537_too_large),
        cmocka_unit_test (test_duplicate_keys_are_malformed_at_any_depth_and_in_any_str_format),
        cmocka_unit_test (test_non_string_keys_are_malformed_at_any_depth),
        cmocka_unit_test (test_depth_16_is_accepted_and_17_is_malformed),
        cmocka_unit_test (test_trailing_bytes_after_the_map_are_malformed),
        cmocka_unit_test (test_empty_input_is_malformed),
        cmocka_unit_test (test_top_level_must_be_a_map),
        cmocka_unit_test (test_truncated_scalars_ext_types_and_c1_are_malformed),
        cmocka_unit_test (test_doc_outlives_its_input_buffer),
        cmocka_unit_test (test_code_names_are_the_wire_words),
        cmocka_unit_test (test_mapw_headers_fixmap_and_map16_by_count_and_round_trip),
        cmocka_unit_test (test_mapw_every_value_kind_round_trips),
        cmocka_unit_test (test_getters_on_present_absent_and_mistyped_keys),
        cmocka_unit_test (test_be64_bytes_are_big_endian_and_memcmp_order_is_numeric_order),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

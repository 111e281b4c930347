/*  test_schema — gl_schema: table-driven checks of every field type, the error codes and the
    sentences they produce, and the canonical copy.  */
#include "unit.h"
#include "gl_schema.h"

#include <math.h>

static const char *const s_kinds [] = { "alpha", "beta", "gamma", NULL };

static const gl_field_t s_inner_fields [] = {
    { .key = "inner", .type = GL_F_STR, .required = true, .min = 1, .max = 4,
      .hint = "the inner id, e.g. \"ab\"" },
    { .key = "n", .type = GL_F_UINT },
};
static const gl_schema_t s_inner = GL_SCHEMA ("outer", s_inner_fields);

static const gl_field_t s_fields [] = {
    { .key = "name", .type = GL_F_STR, .required = true, .min = 1, .max = 8,
      .hint = "a short name, e.g. \"pump-3\"" },
    { .key = "kind", .type = GL_F_STR, .required = true, .choices = s_kinds,
      .hint = "what it is" },
    { .key = "code", .type = GL_F_STR, .min = 5, .max = 5, .hint = "the code \"LL.SS\"" },
    { .key = "count", .type = GL_F_UINT, .min = 1, .max = 100, .hint = "how many" },
    { .key = "seq", .type = GL_F_UINT, .min = 1, .hint = "a position from 1" },
    { .key = "delta", .type = GL_F_INT, .min = -10, .max = 10, .hint = "a change" },
    { .key = "ratio", .type = GL_F_NUM, .fmin = -1, .fmax = 1, .hint = "a fraction" },
    { .key = "on", .type = GL_F_BOOL, .hint = "a switch" },
    { .key = "outer", .type = GL_F_MAP, .sub = &s_inner, .hint = "{inner, n}" },
    { .key = "attachments", .type = GL_F_STRS, .max = 3, .item_max = 4,
      .hint = "references" },
    { .key = "extra", .type = GL_F_ANY },
};
static const gl_schema_t s_schema = GL_SCHEMA ("thing", s_fields);

//  Parse JSON text into a document (the JSON form keeps the cases readable).
static void
s_doc (gl_doc_t *doc, const char *json_text)
{
    json_error_t jerr;
    json_t *j = json_loads (json_text, 0, &jerr);
    if (!j)
        fail_msg ("bad test JSON %s: %s", json_text, jerr.text);
    msgpack_sbuffer buf;
    u_pack_json (j, &buf);
    json_decref (j);
    gl_err_t err;
    if (gl_doc_parse (doc, buf.data, buf.size, &err))
        fail_msg ("test JSON %s does not parse: %s", json_text, err.message);
    msgpack_sbuffer_destroy (&buf);
}

//  Check JSON text against the schema; returns the result with err filled.
static int
s_run (const char *json_text, gl_err_t *err)
{
    gl_doc_t doc;
    s_doc (&doc, json_text);
    err->code = GL_OK;
    err->message [0] = 0;
    int rc = gl_schema_check (&s_schema, &doc.root, err);
    gl_doc_fini (&doc);
    return rc;
}

static void
s_ok (const char *json_text)
{
    gl_err_t err;
    if (s_run (json_text, &err))
        fail_msg ("%s refused: %s: %s", json_text, gl_code_name (err.code), err.message);
}

//  Refused with code, and the message contains every one of the NULL-terminated words.
static void
s_refused (const char *json_text, gl_code_t code, ...)
{
    gl_err_t err;
    int rc = s_run (json_text, &err);
    if (rc != -1 || err.code != code)
        fail_msg ("%s: expected %s, got rc %d %s: %s", json_text, gl_code_name (code), rc,
                  gl_code_name (err.code), err.message);
    va_list words;
    va_start (words, code);
    for (const char *w = va_arg (words, const char *); w; w = va_arg (words, const char *))
        if (!strstr (err.message, w))
            fail_msg ("%s: message \"%s\" does not contain \"%s\"", json_text, err.message, w);
    va_end (words);
}

#define BASE "\"name\": \"pump\", \"kind\": \"beta\""

static void
test_minimal_and_full_maps_are_accepted (void **state)
{
    s_ok ("{" BASE "}");
    s_ok ("{" BASE ", \"code\": \"01.02\", \"count\": 100, \"seq\": 9007199254740991, "
          "\"delta\": -10, \"ratio\": -0.5, \"on\": false, "
          "\"outer\": {\"inner\": \"abcd\", \"n\": 0}, \"attachments\": [\"a\", \"bcde\"], "
          "\"extra\": [1, {\"any\": null}]}");
    //  Optional fields may be nil: the same as absent.
    s_ok ("{" BASE ", \"count\": null, \"outer\": null}");
}

static void
test_required_field_missing_or_nil_is_invalid_naming_it (void **state)
{
    s_refused ("{\"kind\": \"beta\"}", GL_INVALID, "'name'", "required", "e.g. \"pump-3\"",
               NULL);
    s_refused ("{\"name\": null, \"kind\": \"beta\"}", GL_INVALID, "'name'", "required", NULL);
    s_refused ("{\"name\": \"pump\"}", GL_INVALID, "'kind'", "required", NULL);
    s_refused ("{}", GL_INVALID, "'name'", NULL);
}

static void
test_wrong_type_is_invalid_for_every_field_type (void **state)
{
    s_refused ("{\"name\": 5, \"kind\": \"beta\"}", GL_INVALID, "'name'", "a string", NULL);
    s_refused ("{" BASE ", \"count\": \"5\"}", GL_INVALID, "'count'", "non-negative", NULL);
    s_refused ("{" BASE ", \"count\": -1}", GL_INVALID, "'count'", "non-negative", NULL);
    s_refused ("{" BASE ", \"delta\": 1.5}", GL_INVALID, "'delta'", "an integer", NULL);
    s_refused ("{" BASE ", \"ratio\": \"0.5\"}", GL_INVALID, "'ratio'", "a number", NULL);
    s_refused ("{" BASE ", \"on\": 1}", GL_INVALID, "'on'", "true or false", NULL);
    s_refused ("{" BASE ", \"outer\": [\"ab\"]}", GL_INVALID, "'outer'", "a map", NULL);
    s_refused ("{" BASE ", \"attachments\": \"a\"}", GL_INVALID, "'attachments'",
               "an array of strings", NULL);
    s_refused ("{" BASE ", \"attachments\": [\"a\", 7]}", GL_INVALID, "'attachments[1]'", NULL);
    s_refused ("{" BASE ", \"attachments\": [\"\"]}", GL_INVALID, "'attachments[0]'",
               "non-empty", NULL);
    //  ANY takes anything.
    s_ok ("{" BASE ", \"extra\": true}");
    s_ok ("{" BASE ", \"extra\": {\"$bin\": \"00\"}}");
}

static void
test_string_over_its_limit_is_too_large_naming_field_and_limit (void **state)
{
    s_ok ("{\"name\": \"12345678\", \"kind\": \"beta\"}");
    s_refused ("{\"name\": \"123456789\", \"kind\": \"beta\"}", GL_TOO_LARGE, "'name'",
               "9 bytes", "8 bytes", NULL);
    //  Bytes, not characters: three Chinese characters are 9 bytes.
    s_refused ("{\"name\": \"云阳县\", \"kind\": \"beta\"}", GL_TOO_LARGE, "'name'", NULL);
}

static void
test_empty_required_string_is_invalid (void **state)
{
    s_refused ("{\"name\": \"\", \"kind\": \"beta\"}", GL_INVALID, "'name'", "empty", NULL);
}

static void
test_string_shorter_than_its_minimum_is_invalid_with_the_minimum (void **state)
{
    s_ok ("{" BASE ", \"code\": \"01.02\"}");
    //  Not empty, but short: the message must say how long it has to be, not "empty".
    s_refused ("{" BASE ", \"code\": \"01\"}", GL_INVALID, "'code'", "2 bytes", "5", NULL);
    s_refused ("{" BASE ", \"code\": \"\"}", GL_INVALID, "'code'", NULL);
    s_refused ("{" BASE ", \"code\": \"01.023\"}", GL_TOO_LARGE, "'code'", NULL);
}

static void
test_enum_value_not_in_choices_is_invalid_listing_them (void **state)
{
    s_ok ("{\"name\": \"pump\", \"kind\": \"alpha\"}");
    s_ok ("{\"name\": \"pump\", \"kind\": \"gamma\"}");
    s_refused ("{\"name\": \"pump\", \"kind\": \"delta\"}", GL_INVALID, "'kind'",
               "\"alpha\", \"beta\", \"gamma\"", "what it is", NULL);
    //  A prefix or a case variant of a choice is not the choice.
    s_refused ("{\"name\": \"pump\", \"kind\": \"alph\"}", GL_INVALID, "'kind'", NULL);
    s_refused ("{\"name\": \"pump\", \"kind\": \"Alpha\"}", GL_INVALID, "'kind'", NULL);
    s_refused ("{\"name\": \"pump\", \"kind\": \"\"}", GL_INVALID, "'kind'", NULL);
}

static void
test_uint_and_int_bounds_are_inclusive (void **state)
{
    s_ok ("{" BASE ", \"count\": 1}");
    s_ok ("{" BASE ", \"count\": 100}");
    s_refused ("{" BASE ", \"count\": 0}", GL_INVALID, "'count'", "is 0", "1 to 100", NULL);
    s_refused ("{" BASE ", \"count\": 101}", GL_INVALID, "'count'", "is 101", NULL);
    s_ok ("{" BASE ", \"delta\": -10}");
    s_ok ("{" BASE ", \"delta\": 10}");
    s_refused ("{" BASE ", \"delta\": -11}", GL_INVALID, "'delta'", "-10 to 10", NULL);
    s_refused ("{" BASE ", \"delta\": 11}", GL_INVALID, "'delta'", NULL);

    //  uint64 beyond INT64_MAX is still out of range for count (packed by hand).
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "name", "pump");
    gl_mapw_str (&w, "kind", "beta");
    gl_mapw_u64 (&w, "count", UINT64_MAX);
    msgpack_sbuffer buf;
    gl_mapw_finish (&w, &buf);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, buf.data, buf.size, &err), 0);
    assert_int_equal (gl_schema_check (&s_schema, &doc.root, &err), -1);
    assert_int_equal (err.code, GL_INVALID);
    assert_non_null (strstr (err.message, "'count'"));
    gl_doc_fini (&doc);
    msgpack_sbuffer_destroy (&buf);
    gl_mapw_fini (&w);
}

static void
test_uint_without_upper_bound_says_only_its_minimum (void **state)
{
    s_ok ("{" BASE ", \"seq\": 1}");
    s_ok ("{" BASE ", \"seq\": 9007199254740991}");
    //  max 0 means no upper bound: the sentence must not claim a range "from 1 to 0".
    gl_err_t err;
    assert_int_equal (s_run ("{" BASE ", \"seq\": 0}", &err), -1);
    assert_int_equal (err.code, GL_INVALID);
    assert_non_null (strstr (err.message, "'seq'"));
    assert_non_null (strstr (err.message, "at least 1"));
    assert_null (strstr (err.message, "to 0"));
}

static void
test_num_bounds_are_inclusive_and_nan_is_refused (void **state)
{
    s_ok ("{" BASE ", \"ratio\": -1}");
    s_ok ("{" BASE ", \"ratio\": 1}");
    s_ok ("{" BASE ", \"ratio\": 0.999}");
    s_refused ("{" BASE ", \"ratio\": 1.5}", GL_INVALID, "'ratio'", "1.5", NULL);
    s_refused ("{" BASE ", \"ratio\": -2}", GL_INVALID, "'ratio'", NULL);
    s_refused ("{" BASE ", \"ratio\": 2}", GL_INVALID, "'ratio'", NULL);

    const double bad [] = { NAN, -NAN, INFINITY, -INFINITY };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        gl_mapw_t w;
        gl_mapw_init (&w);
        gl_mapw_str (&w, "name", "pump");
        gl_mapw_str (&w, "kind", "beta");
        gl_mapw_key (&w, "ratio");
        msgpack_pack_double (&w.pk, bad [i]);
        msgpack_sbuffer buf;
        gl_mapw_finish (&w, &buf);
        gl_doc_t doc;
        gl_err_t err;
        assert_int_equal (gl_doc_parse (&doc, buf.data, buf.size, &err), 0);
        if (gl_schema_check (&s_schema, &doc.root, &err) != -1)
            fail_msg ("ratio %g was accepted", bad [i]);
        assert_int_equal (err.code, GL_INVALID);
        assert_non_null (strstr (err.message, "'ratio'"));
        gl_doc_fini (&doc);
        msgpack_sbuffer_destroy (&buf);
        gl_mapw_fini (&w);
    }
    //  float32 in range is a number too.
    size_t len;
    uint8_t *bytes = u_unhex ("83a46e616d65a470756d70a46b696e64a462657461a5726174696fca3f000000",
                              &len);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, bytes, len, &err), 0);
    assert_int_equal (gl_schema_check (&s_schema, &doc.root, &err), 0);
    gl_doc_fini (&doc);
    free (bytes);
}

static void
test_nested_map_errors_name_the_path_outer_dot_inner (void **state)
{
    s_ok ("{" BASE ", \"outer\": {\"inner\": \"ab\"}}");
    s_refused ("{" BASE ", \"outer\": {}}", GL_INVALID, "'outer.inner'", "required",
               "e.g. \"ab\"", NULL);
    s_refused ("{" BASE ", \"outer\": {\"inner\": 3}}", GL_INVALID, "'outer.inner'", NULL);
    s_refused ("{" BASE ", \"outer\": {\"inner\": \"abcde\"}}", GL_TOO_LARGE, "'outer.inner'",
               NULL);
    s_refused ("{" BASE ", \"outer\": {\"inner\": \"ab\", \"n\": -1}}", GL_INVALID,
               "'outer.n'", NULL);
}

static void
test_strs_item_too_long_is_too_large_naming_the_item (void **state)
{
    s_ok ("{" BASE ", \"attachments\": []}");
    s_ok ("{" BASE ", \"attachments\": [\"a\", \"bb\", \"cccc\"]}");
    s_refused ("{" BASE ", \"attachments\": [\"a\", \"bbbbb\"]}", GL_TOO_LARGE,
               "'attachments[1]'", "5 bytes", "4 bytes", NULL);
    s_refused ("{" BASE ", \"attachments\": [\"a\", \"b\", \"c\", \"d\"]}", GL_TOO_LARGE,
               "'attachments'", "4 items", "3", NULL);
}

static void
test_unknown_keys_are_accepted (void **state)
{
    s_ok ("{" BASE ", \"future_field\": {\"deep\": [1, 2]}, \"other\": 1}");
    s_ok ("{" BASE ", \"outer\": {\"inner\": \"ab\", \"new\": true}}");
}

static void
test_non_map_is_invalid_naming_the_schema (void **state)
{
    size_t len;
    uint8_t *bytes = u_unhex ("81a161a3616263", &len);      //  {"a": "abc"}
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, bytes, len, &err), 0);
    const msgpack_object *str = gl_map_get (&doc.root, "a");
    assert_int_equal (gl_schema_check (&s_schema, str, &err), -1);
    assert_int_equal (err.code, GL_INVALID);
    assert_non_null (strstr (err.message, "thing"));
    assert_int_equal (gl_schema_check (&s_schema, NULL, &err), -1);
    assert_int_equal (err.code, GL_INVALID);
    gl_doc_fini (&doc);
    free (bytes);
}

static void
test_copy_writes_only_known_fields_in_table_order (void **state)
{
    //  Known fields in a shuffled order, unknown keys around them and inside "outer", and an
    //  optional field that is nil.
    gl_doc_t doc;
    s_doc (&doc, "{\"zzz\": 1, \"attachments\": [\"a\", \"b\"], \"outer\": {\"x\": 1, "
                 "\"n\": 3, \"inner\": \"ab\"}, \"on\": true, \"kind\": \"gamma\", "
                 "\"delta\": -4, \"count\": null, \"ratio\": 0.25, \"name\": \"pump\", "
                 "\"extra\": {\"k\": [null]}, \"seq\": 7}");
    gl_err_t err;
    assert_int_equal (gl_schema_check (&s_schema, &doc.root, &err), 0);
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_schema_copy (&s_schema, &doc.root, &w);
    msgpack_sbuffer got;
    gl_mapw_finish (&w, &got);

    json_error_t jerr;
    json_t *want_json = json_loads ("{\"name\": \"pump\", \"kind\": \"gamma\", \"seq\": 7, "
                                    "\"delta\": -4, \"ratio\": 0.25, \"on\": true, "
                                    "\"outer\": {\"inner\": \"ab\", \"n\": 3}, "
                                    "\"attachments\": [\"a\", \"b\"], "
                                    "\"extra\": {\"k\": [null]}}", 0, &jerr);
    assert_non_null (want_json);
    msgpack_sbuffer want;
    u_pack_json (want_json, &want);
    u_assert_bytes ("canonical copy", got.data, got.size, want.data, want.size);

    json_decref (want_json);
    msgpack_sbuffer_destroy (&want);
    msgpack_sbuffer_destroy (&got);
    gl_mapw_fini (&w);
    gl_doc_fini (&doc);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_minimal_and_full_maps_are_accepted),
        cmocka_unit_test (test_required_field_missing_or_nil_is_invalid_naming_it),
        cmocka_unit_test (test_wrong_type_is_invalid_for_every_field_type),
        cmocka_unit_test (test_string_over_its_limit_is_too_large_naming_field_and_limit),
        cmocka_unit_test (test_empty_required_string_is_invalid),
        cmocka_unit_test (test_string_shorter_than_its_minimum_is_invalid_with_the_minimum),
        cmocka_unit_test (test_enum_value_not_in_choices_is_invalid_listing_them),
        cmocka_unit_test (test_uint_and_int_bounds_are_inclusive),
        cmocka_unit_test (test_uint_without_upper_bound_says_only_its_minimum),
        cmocka_unit_test (test_num_bounds_are_inclusive_and_nan_is_refused),
        cmocka_unit_test (test_nested_map_errors_name_the_path_outer_dot_inner),
        cmocka_unit_test (test_strs_item_too_long_is_too_large_naming_the_item),
        cmocka_unit_test (test_unknown_keys_are_accepted),
        cmocka_unit_test (test_non_map_is_invalid_naming_the_schema),
        cmocka_unit_test (test_copy_writes_only_known_fields_in_table_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

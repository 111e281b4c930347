/*  test_json — gl_json: msgpack to JSON and back, {"$bin": hex} for binary values.  */
#include "unit.h"

//  A map with every kind of value, nested, packed in the forms gl_json_to_msgpack produces
//  (smallest integer formats, float64, str keys in order).
static void
s_sample (msgpack_sbuffer *out)
{
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 13);
    gl_pack_cstr (&pk, "zero");         msgpack_pack_uint64 (&pk, 0);
    gl_pack_cstr (&pk, "neg1");         msgpack_pack_int64 (&pk, -1);
    gl_pack_cstr (&pk, "neg200");       msgpack_pack_int64 (&pk, -200);
    gl_pack_cstr (&pk, "neg_big");      msgpack_pack_int64 (&pk, -5000000000ll);
    gl_pack_cstr (&pk, "int64_min");    msgpack_pack_int64 (&pk, INT64_MIN);
    gl_pack_cstr (&pk, "max53");        msgpack_pack_uint64 (&pk, 9007199254740991ull);
    gl_pack_cstr (&pk, "float");        msgpack_pack_double (&pk, -3200.5);
    gl_pack_cstr (&pk, "tiny");         msgpack_pack_double (&pk, 1.25e-300);
    gl_pack_cstr (&pk, "bin");
    msgpack_pack_bin (&pk, 4);
    msgpack_pack_bin_body (&pk, "\x00\xff\x10\xab", 4);
    gl_pack_cstr (&pk, "empty_bin");
    msgpack_pack_bin (&pk, 0);
    gl_pack_cstr (&pk, "flags");
    msgpack_pack_array (&pk, 3);
    msgpack_pack_nil (&pk);
    msgpack_pack_true (&pk);
    msgpack_pack_false (&pk);
    gl_pack_cstr (&pk, "nested");
    msgpack_pack_map (&pk, 2);
    gl_pack_cstr (&pk, "text");         gl_pack_cstr (&pk, "云阳县 \"quoted\"\n");
    gl_pack_cstr (&pk, "list");
    msgpack_pack_array (&pk, 2);
    msgpack_pack_array (&pk, 0);
    msgpack_pack_map (&pk, 1);
    gl_pack_cstr (&pk, "deep");         msgpack_pack_int64 (&pk, -7);
    gl_pack_cstr (&pk, "empty");
    msgpack_pack_map (&pk, 0);
}

static void
test_msgpack_to_json_to_msgpack_round_trips_every_value_kind (void **state)
{
    msgpack_sbuffer in;
    s_sample (&in);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, in.data, in.size, &err), 0);
    json_t *j = gl_json_from_msgpack (&doc.root);
    assert_non_null (j);

    //  The JSON holds the values themselves, with their JSON types.
    assert_int_equal (json_object_size (j), 13);
    assert_true (json_is_integer (json_object_get (j, "neg1")));
    assert_int_equal (json_integer_value (json_object_get (j, "neg1")), -1);
    assert_int_equal (json_integer_value (json_object_get (j, "neg200")), -200);
    assert_true (json_integer_value (json_object_get (j, "neg_big")) == -5000000000ll);
    assert_true (json_integer_value (json_object_get (j, "int64_min")) == INT64_MIN);
    assert_true (json_integer_value (json_object_get (j, "max53")) == 9007199254740991ll);
    assert_true (json_is_real (json_object_get (j, "float")));
    assert_true (json_real_value (json_object_get (j, "float")) == -3200.5);
    assert_true (json_real_value (json_object_get (j, "tiny")) == 1.25e-300);
    assert_string_equal (json_string_value (json_object_get (json_object_get (j, "bin"), "$bin")),
                         "00ff10ab");
    assert_int_equal (json_object_size (json_object_get (j, "bin")), 1);
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (j, "empty_bin"), "$bin")), "");
    json_t *flags = json_object_get (j, "flags");
    assert_true (json_is_null (json_array_get (flags, 0)));
    assert_true (json_is_true (json_array_get (flags, 1)));
    assert_true (json_is_false (json_array_get (flags, 2)));
    json_t *nested = json_object_get (j, "nested");
    assert_string_equal (json_string_value (json_object_get (nested, "text")),
                         "云阳县 \"quoted\"\n");
    json_t *deep = json_object_get (json_array_get (json_object_get (nested, "list"), 1), "deep");
    assert_int_equal (json_integer_value (deep), -7);

    //  Back to msgpack: exactly the original bytes.
    msgpack_sbuffer out;
    u_pack_json (j, &out);
    u_assert_bytes ("round trip", out.data, out.size, in.data, in.size);

    //  And through JSON text as well (what the CLI prints and reads).
    char *text = json_dumps (j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (17));
    json_error_t jerr;
    json_t *reread = json_loads (text, 0, &jerr);
    assert_non_null (reread);
    msgpack_sbuffer again;
    u_pack_json (reread, &again);
    u_assert_bytes ("through text", again.data, again.size, in.data, in.size);

    free (text);
    json_decref (reread);
    msgpack_sbuffer_destroy (&again);
    msgpack_sbuffer_destroy (&out);
    json_decref (j);
    gl_doc_fini (&doc);
    msgpack_sbuffer_destroy (&in);
}

static void
test_json_to_msgpack_uses_smallest_int_formats_and_float64 (void **state)
{
    json_error_t jerr;
    json_t *j = json_loads ("{\"a\":5,\"b\":200,\"c\":-1,\"d\":-33,\"e\":70000,"
                            "\"f\":1.5,\"g\":\"x\",\"h\":null}", 0, &jerr);
    assert_non_null (j);
    msgpack_sbuffer out;
    u_pack_json (j, &out);
    size_t len;
    uint8_t *want = u_unhex ("88"
                             "a16105" "a162ccc8" "a163ff" "a164d0df" "a165ce00011170"
                             "a166cb3ff8000000000000" "a167a178" "a168c0", &len);
    u_assert_bytes ("formats", out.data, out.size, want, len);
    free (want);
    msgpack_sbuffer_destroy (&out);
    json_decref (j);
}

static void
test_float32_and_huge_uint_become_json_reals (void **state)
{
    //  {"f": float32 1.5, "u": 2^64-1}
    size_t len;
    uint8_t *bytes = u_unhex ("82a166ca3fc00000a175cfffffffffffffffff", &len);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, bytes, len, &err), 0);
    json_t *j = gl_json_from_msgpack (&doc.root);
    assert_true (json_is_real (json_object_get (j, "f")));
    assert_true (json_real_value (json_object_get (j, "f")) == 1.5);
    assert_true (json_is_real (json_object_get (j, "u")));
    assert_true (json_real_value (json_object_get (j, "u")) == 18446744073709551615.0);
    json_decref (j);
    gl_doc_fini (&doc);
    free (bytes);
}

static void
test_bin_hex_is_decoded_case_insensitively (void **state)
{
    json_error_t jerr;
    json_t *j = json_loads ("{\"b\":{\"$bin\":\"00FFaB\"},\"e\":{\"$bin\":\"\"}}", 0, &jerr);
    msgpack_sbuffer out;
    u_pack_json (j, &out);
    size_t len;
    uint8_t *want = u_unhex ("82a162c40300ffaba165c400", &len);
    u_assert_bytes ("bin", out.data, out.size, want, len);
    free (want);
    msgpack_sbuffer_destroy (&out);
    json_decref (j);
}

static void
test_object_with_bin_key_and_others_is_a_plain_map (void **state)
{
    json_error_t jerr;
    json_t *j = json_loads ("{\"$bin\":\"00\",\"x\":1}", 0, &jerr);
    msgpack_sbuffer out;
    u_pack_json (j, &out);
    size_t len;
    //  {"$bin": "00", "x": 1} as a map of two str keys.
    uint8_t *want = u_unhex ("82a42462696ea23030a17801", &len);
    u_assert_bytes ("map", out.data, out.size, want, len);
    free (want);
    msgpack_sbuffer_destroy (&out);
    json_decref (j);
}

static void
test_bad_bin_hex_is_an_error (void **state)
{
    const char *bad [] = {
        "{\"b\":{\"$bin\":\"zz\"}}",        //  not hex
        "{\"b\":{\"$bin\":\"0g\"}}",        //  second digit not hex
        "{\"b\":{\"$bin\":\"abc\"}}",       //  odd number of digits
        "{\"b\":[{\"$bin\":\"0 \"}]}",      //  nested, space
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        json_error_t jerr;
        json_t *j = json_loads (bad [i], 0, &jerr);
        assert_non_null (j);
        msgpack_sbuffer out;
        msgpack_sbuffer_init (&out);
        msgpack_packer pk;
        msgpack_packer_init (&pk, &out, msgpack_sbuffer_write);
        gl_err_t err = { GL_OK, "" };
        if (gl_json_to_msgpack (j, &pk, &err) != -1)
            fail_msg ("%s was accepted", bad [i]);
        assert_int_equal (err.code, GL_INVALID);
        assert_non_null (strstr (err.message, "$bin"));
        msgpack_sbuffer_destroy (&out);
        json_decref (j);
    }
}

static void
test_long_and_similar_keys_survive_the_round_trip (void **state)
{
    //  Keys may be up to 65536 bytes; two long keys that share a long prefix stay distinct.
    char a [1001], b [1001];
    memset (a, 'k', 1000);
    a [1000] = 0;
    memcpy (b, a, sizeof a);
    b [999] = 'z';
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_u64 (&w, a, 1);
    gl_mapw_u64 (&w, b, 2);
    msgpack_sbuffer in;
    gl_mapw_finish (&w, &in);
    gl_mapw_fini (&w);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, in.data, in.size, &err), 0);
    json_t *j = gl_json_from_msgpack (&doc.root);
    assert_int_equal (json_object_size (j), 2);
    assert_int_equal (json_integer_value (json_object_get (j, a)), 1);
    assert_int_equal (json_integer_value (json_object_get (j, b)), 2);
    msgpack_sbuffer out;
    u_pack_json (j, &out);
    u_assert_bytes ("long keys", out.data, out.size, in.data, in.size);
    msgpack_sbuffer_destroy (&out);
    json_decref (j);
    gl_doc_fini (&doc);
    msgpack_sbuffer_destroy (&in);
}

static void
test_json_line_is_compact_ordered_text (void **state)
{
    size_t len;
    //  {"ok": true, "n": -2, "b": bin 01, "s": "é"}
    uint8_t *bytes = u_unhex ("84a26f6bc3a16efea162c40101a173a2c3a9", &len);
    gl_doc_t doc;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&doc, bytes, len, &err), 0);
    char *line = gl_json_line (&doc.root);
    assert_string_equal (line, "{\"ok\":true,\"n\":-2,\"b\":{\"$bin\":\"01\"},\"s\":\"é\"}");
    free (line);
    gl_doc_fini (&doc);
    free (bytes);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_msgpack_to_json_to_msgpack_round_trips_every_value_kind),
        cmocka_unit_test (test_json_to_msgpack_uses_smallest_int_formats_and_float64),
        cmocka_unit_test (test_float32_and_huge_uint_become_json_reals),
        cmocka_unit_test (test_bin_hex_is_decoded_case_insensitively),
        cmocka_unit_test (test_object_with_bin_key_and_others_is_a_plain_map),
        cmocka_unit_test (test_bad_bin_hex_is_an_error),
        cmocka_unit_test (test_long_and_similar_keys_survive_the_round_trip),
        cmocka_unit_test (test_json_line_is_compact_ordered_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

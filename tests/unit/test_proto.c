/*  test_proto — gl_proto: envelopes and replies byte for byte against proto/vectors, envelope
    validation, request ids.  */
#include "unit.h"
#include "gl_proto.h"

static json_t *s_valid;

static int
s_setup (void **state)
{
    s_valid = u_load_vectors ("valid.json");
    return 0;
}

static int
s_teardown (void **state)
{
    json_decref (s_valid);
    return 0;
}

static uint64_t
s_json_u64 (const json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    assert_true (json_is_integer (v));
    assert_true (json_integer_value (v) >= 0);
    return (uint64_t) json_integer_value (v);
}

//  ---------------------------------------------------------------------------------------------
//  Envelopes

static void
test_envelope_encode_reproduces_every_envelope_vector (void **state)
{
    size_t i, count = 0;
    json_t *v;
    json_array_foreach (s_valid, i, v) {
        if (strcmp (u_vec_str (v, "kind"), "envelope"))
            continue;
        const char *name = u_vec_str (v, "name");
        const json_t *j = json_object_get (v, "json");
        assert_int_equal (s_json_u64 (j, "v"), GL_PROTO_VERSION);
        msgpack_sbuffer body;
        u_pack_json (json_object_get (j, "body"), &body);
        const char *id = json_string_value (json_object_get (j, "id"));      //  NULL if none
        msgpack_sbuffer out;
        msgpack_sbuffer_init (&out);
        gl_envelope_encode (&out, json_string_value (json_object_get (j, "type")),
                            json_string_value (json_object_get (j, "src")),
                            s_json_u64 (j, "epoch"), s_json_u64 (j, "seq"),
                            json_integer_value (json_object_get (j, "ts")), id, body.data,
                            body.size);
        size_t len;
        uint8_t *want = u_unhex (u_vec_str (v, "hex"), &len);
        u_assert_bytes (name, out.data, out.size, want, len);
        free (want);
        msgpack_sbuffer_destroy (&out);
        msgpack_sbuffer_destroy (&body);
        count++;
    }
    assert_true (count >= 4);
}

static void
test_envelope_encode_appends_to_what_is_in_the_buffer (void **state)
{
    msgpack_sbuffer out;
    msgpack_sbuffer_init (&out);
    msgpack_sbuffer_write (&out, "XY", 2);
    gl_envelope_encode (&out, "hb", "intake", 1, 2, 3, NULL, "\x80", 1);
    size_t len;
    uint8_t *want = u_unhex ("5859" "87a17601a474797065a26862a3737263a6696e74616b65"
                             "a565706f636801a373657102a2747303a4626f647980", &len);
    u_assert_bytes ("appended", out.data, out.size, want, len);
    free (want);
    msgpack_sbuffer_destroy (&out);
}

static void
test_envelope_decode_of_every_vector_gives_its_fields (void **state)
{
    size_t i, count = 0;
    json_t *v;
    json_array_foreach (s_valid, i, v) {
        if (strcmp (u_vec_str (v, "kind"), "envelope"))
            continue;
        const char *name = u_vec_str (v, "name");
        const json_t *j = json_object_get (v, "json");
        size_t len;
        uint8_t *bytes = u_unhex (u_vec_str (v, "hex"), &len);
        gl_doc_t doc;
        gl_envelope_t env;
        gl_err_t err = { GL_OK, "" };
        if (gl_envelope_decode (&doc, bytes, len, &env, &err))
            fail_msg ("%s: refused: %s", name, err.message);
        const char *type = json_string_value (json_object_get (j, "type"));
        const char *src = json_string_value (json_object_get (j, "src"));
        assert_int_equal (env.type_len, strlen (type));
        assert_memory_equal (env.type, type, env.type_len);
        assert_true (gl_envelope_is (&env, type));
        assert_false (gl_envelope_is (&env, "event"));
        assert_int_equal (env.src_len, strlen (src));
        assert_memory_equal (env.src, src, env.src_len);
        assert_true (env.epoch == s_json_u64 (j, "epoch"));
        assert_true (env.seq == s_json_u64 (j, "seq"));
        assert_true (env.ts == json_integer_value (json_object_get (j, "ts")));
        const char *id = json_string_value (json_object_get (j, "id"));
        if (id) {
            assert_non_null (env.id);
            assert_int_equal (env.id_len, strlen (id));
            assert_memory_equal (env.id, id, env.id_len);
        }
        else
            assert_null (env.id);
        assert_non_null (env.body);
        assert_int_equal (env.body->type, MSGPACK_OBJECT_MAP);
        json_t *body = gl_json_from_msgpack (env.body);
        if (!json_equal (body, json_object_get (j, "body")))
            fail_msg ("%s: body differs", name);
        json_decref (body);
        assert_ptr_equal (env.raw, bytes);
        assert_int_equal (env.raw_len, len);
        gl_doc_fini (&doc);
        free (bytes);
        count++;
    }
    assert_true (count >= 4);
}

//  Envelope fields as a writer, so each test can leave one out or change it.
static void
s_envelope_fields (gl_mapw_t *w, const char *skip)
{
    gl_mapw_init (w);
    if (strcmp (skip, "v"))     gl_mapw_u64 (w, "v", 1);
    if (strcmp (skip, "type"))  gl_mapw_str (w, "type", "event.reported");
    if (strcmp (skip, "src"))   gl_mapw_str (w, "src", "intake");
    if (strcmp (skip, "epoch")) gl_mapw_u64 (w, "epoch", 1788220800000ull);
    if (strcmp (skip, "seq"))   gl_mapw_u64 (w, "seq", 4107);
    if (strcmp (skip, "ts"))    gl_mapw_i64 (w, "ts", 1795741331804ll);
    if (strcmp (skip, "body"))  gl_mapw_raw (w, "body", "\x81\xa1x\x01", 4);
}

static int
s_decode (gl_mapw_t *w, gl_envelope_t *env, gl_err_t *err)
{
    msgpack_sbuffer buf;
    gl_mapw_finish (w, &buf);
    gl_mapw_fini (w);
    gl_doc_t doc;
    err->code = GL_OK;
    err->message [0] = 0;
    int rc = gl_envelope_decode (&doc, buf.data, buf.size, env, err);
    gl_doc_fini (&doc);
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

static void
test_envelope_missing_a_required_field_is_invalid_naming_it (void **state)
{
    const char *required [] = { "v", "type", "src", "epoch", "seq", "ts", "body" };
    for (size_t i = 0; i < sizeof required / sizeof required [0]; i++) {
        gl_mapw_t w;
        s_envelope_fields (&w, required [i]);
        gl_envelope_t env;
        gl_err_t err;
        if (s_decode (&w, &env, &err) != -1 || err.code != GL_INVALID)
            fail_msg ("envelope without %s: %s %s", required [i], gl_code_name (err.code),
                      err.message);
        char quoted [32];
        snprintf (quoted, sizeof quoted, "'%s'", required [i]);
        if (!strstr (err.message, quoted))
            fail_msg ("envelope without %s: message \"%s\"", required [i], err.message);
    }
    //  With all of them it decodes (the control for the cases above).
    gl_mapw_t w;
    s_envelope_fields (&w, "");
    gl_envelope_t env;
    gl_err_t err;
    assert_int_equal (s_decode (&w, &env, &err), 0);
    assert_null (env.id);
}

static void
test_envelope_version_other_than_1_is_invalid (void **state)
{
    const uint64_t versions [] = { 0, 2, 1000 };
    for (size_t i = 0; i < sizeof versions / sizeof versions [0]; i++) {
        gl_mapw_t w;
        s_envelope_fields (&w, "v");
        gl_mapw_u64 (&w, "v", versions [i]);
        gl_envelope_t env;
        gl_err_t err;
        assert_int_equal (s_decode (&w, &env, &err), -1);
        assert_int_equal (err.code, GL_INVALID);
        assert_non_null (strstr (err.message, "'v'"));
    }
}

static void
test_envelope_field_types_and_limits_are_checked (void **state)
{
    gl_envelope_t env;
    gl_err_t err;
    gl_mapw_t w;

    s_envelope_fields (&w, "body");
    gl_mapw_str (&w, "body", "not a map");
    assert_int_equal (s_decode (&w, &env, &err), -1);
    assert_int_equal (err.code, GL_INVALID);
    assert_non_null (strstr (err.message, "'body'"));

    s_envelope_fields (&w, "type");
    gl_mapw_str (&w, "type", "");
    assert_int_equal (s_decode (&w, &env, &err), -1);
    assert_int_equal (err.code, GL_INVALID);

    char long_name [GL_MAX_NAME + 2];
    memset (long_name, 'a', GL_MAX_NAME + 1);
    long_name [GL_MAX_NAME + 1] = 0;
    s_envelope_fields (&w, "src");
    gl_mapw_str (&w, "src", long_name);
    assert_int_equal (s_decode (&w, &env, &err), -1);
    assert_int_equal (err.code, GL_TOO_LARGE);
    assert_non_null (strstr (err.message, "'src'"));

    s_envelope_fields (&w, "");
    gl_mapw_str (&w, "id", long_name);
    assert_int_equal (s_decode (&w, &env, &err), -1);
    assert_int_equal (err.code, GL_TOO_LARGE);

    s_envelope_fields (&w, "seq");
    gl_mapw_i64 (&w, "seq", -1);
    assert_int_equal (s_decode (&w, &env, &err), -1);
    assert_int_equal (err.code, GL_INVALID);
    assert_non_null (strstr (err.message, "'seq'"));

    //  A negative ts is a time before 1970, not an error.
    s_envelope_fields (&w, "ts");
    gl_mapw_i64 (&w, "ts", -5);
    assert_int_equal (s_decode (&w, &env, &err), 0);
    assert_int_equal (env.ts, -5);

    //  Broken bytes are MALFORMED before any field is looked at.
    gl_doc_t doc;
    assert_int_equal (gl_envelope_decode (&doc, "\x81\xa1v", 3, &env, &err), -1);
    assert_int_equal (err.code, GL_MALFORMED);
    gl_doc_fini (&doc);
}

static void
test_envelope_keys_in_any_order_any_int_format_and_unknown_keys_decode (void **state)
{
    //  body first, seq as a uint64 holding 5, ts as int64, an unknown key, id present.
    size_t len;
    uint8_t *bytes = u_unhex ("89" "a4626f647981a17801"
                              "a3736571cf0000000000000005"
                              "a27473d3000000000000000c"
                              "a3737263a6696e74616b65"
                              "a54c41544552c3"
                              "a474797065a26862"
                              "a26964a161"
                              "a565706f6368cc07"
                              "a17601", &len);
    gl_doc_t doc;
    gl_envelope_t env;
    gl_err_t err;
    if (gl_envelope_decode (&doc, bytes, len, &env, &err))
        fail_msg ("refused: %s", err.message);
    assert_int_equal (env.seq, 5);
    assert_int_equal (env.ts, 12);
    assert_int_equal (env.epoch, 7);
    assert_true (gl_envelope_is (&env, "hb"));
    assert_int_equal (env.id_len, 1);
    assert_memory_equal (env.id, "a", 1);
    assert_int_equal (env.body->via.map.size, 1);
    gl_doc_fini (&doc);
    free (bytes);
}

//  ---------------------------------------------------------------------------------------------
//  Replies

static gl_code_t
s_code_by_name (const char *name)
{
    for (int c = GL_OK; c <= GL_INTERNAL; c++)
        if (strcmp (gl_code_name ((gl_code_t) c), name) == 0)
            return (gl_code_t) c;
    fail_msg ("unknown code %s", name);
    return GL_INTERNAL;
}

static void
test_reply_ok_and_error_reproduce_every_reply_vector (void **state)
{
    size_t i, ok = 0, errors = 0;
    json_t *v;
    json_array_foreach (s_valid, i, v) {
        if (strcmp (u_vec_str (v, "kind"), "reply"))
            continue;
        const char *name = u_vec_str (v, "name");
        json_t *j = json_object_get (v, "json");
        //  ok is always the first key.
        void *iter = json_object_iter (j);
        assert_non_null (iter);
        assert_string_equal (json_object_iter_key (iter), "ok");
        msgpack_sbuffer out;
        msgpack_sbuffer_init (&out);
        if (json_is_true (json_object_iter_value (iter))) {
            gl_mapw_t fields;
            gl_mapw_init (&fields);
            for (iter = json_object_iter_next (j, iter); iter;
                 iter = json_object_iter_next (j, iter)) {
                msgpack_sbuffer value;
                u_pack_json (json_object_iter_value (iter), &value);
                gl_mapw_raw (&fields, json_object_iter_key (iter), value.data, value.size);
                msgpack_sbuffer_destroy (&value);
            }
            gl_reply_ok (&out, &fields);
            gl_mapw_fini (&fields);
            ok++;
        }
        else {
            assert_true (json_is_false (json_object_iter_value (iter)));
            assert_int_equal (json_object_size (j), 2);
            json_t *error = json_object_get (j, "error");
            //  {code, message} in that order.
            void *e = json_object_iter (error);
            assert_string_equal (json_object_iter_key (e), "code");
            e = json_object_iter_next (error, e);
            assert_string_equal (json_object_iter_key (e), "message");
            assert_int_equal (json_object_size (error), 2);
            gl_err_t err;
            const char *message = json_string_value (json_object_get (error, "message"));
            assert_true (strlen (message) < sizeof err.message);
            gl_fail (&err, s_code_by_name (json_string_value (json_object_get (error, "code"))),
                     "%s", message);
            gl_reply_error (&out, &err);
            errors++;
        }
        size_t len;
        uint8_t *want = u_unhex (u_vec_str (v, "hex"), &len);
        u_assert_bytes (name, out.data, out.size, want, len);
        free (want);
        msgpack_sbuffer_destroy (&out);
    }
    assert_true (ok >= 5);
    assert_true (errors >= 5);
}

static void
test_reply_ok_without_fields_is_just_ok_true (void **state)
{
    msgpack_sbuffer out;
    msgpack_sbuffer_init (&out);
    gl_reply_ok (&out, NULL);
    u_assert_bytes ("ok", out.data, out.size, "\x81\xa2ok\xc3", 5);
    msgpack_sbuffer_destroy (&out);

    gl_mapw_t empty;
    gl_mapw_init (&empty);
    msgpack_sbuffer_init (&out);
    gl_reply_ok (&out, &empty);
    u_assert_bytes ("ok, empty fields", out.data, out.size, "\x81\xa2ok\xc3", 5);
    msgpack_sbuffer_destroy (&out);
    gl_mapw_fini (&empty);
}

static void
test_reply_error_carries_code_word_and_message (void **state)
{
    gl_err_t err;
    gl_fail (&err, GL_CONFLICT, "event %s is closed", "500235-20261127-000000042");
    msgpack_sbuffer out;
    msgpack_sbuffer_init (&out);
    gl_reply_error (&out, &err);
    gl_doc_t doc;
    gl_err_t perr;
    assert_int_equal (gl_doc_parse (&doc, out.data, out.size, &perr), 0);
    bool ok = true;
    assert_true (gl_get_bool (&doc.root, "ok", &ok));
    assert_false (ok);
    const msgpack_object *e = gl_map_get (&doc.root, "error");
    assert_true (gl_str_eq (gl_map_get (e, "code"), "CONFLICT"));
    assert_true (gl_str_eq (gl_map_get (e, "message"),
                            "event 500235-20261127-000000042 is closed"));
    gl_doc_fini (&doc);
    msgpack_sbuffer_destroy (&out);
}

//  ---------------------------------------------------------------------------------------------
//  Request ids

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

static void
test_req_id_new_gives_distinct_short_ids (void **state)
{
    enum { N = 5000 };
    static char ids [N][40];
    for (int i = 0; i < N; i++) {
        memset (ids [i], 0x7f, sizeof ids [i]);
        gl_req_id_new (ids [i]);
        size_t n = strnlen (ids [i], sizeof ids [i]);
        assert_true (n > 16 && n < 40);             //  NUL-terminated in the buffer
        assert_true (n <= GL_MAX_NAME);             //  fits the wire limit of req_id
        for (int k = 0; k < 16; k++)
            assert_true (u_hexdigit (ids [i][k]) >= 0);
    }
    qsort (ids, N, sizeof ids [0], s_strcmp);
    for (int i = 1; i < N; i++)
        if (strcmp (ids [i - 1], ids [i]) == 0)
            fail_msg ("id %s given twice", ids [i]);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_envelope_encode_reproduces_every_envelope_vector),
        cmocka_unit_test (test_envelope_encode_appends_to_what_is_in_the_buffer),
        cmocka_unit_test (test_envelope_decode_of_every_vector_gives_its_fields),
        cmocka_unit_test (test_envelope_missing_a_required_field_is_invalid_naming_it),
        cmocka_unit_test (test_envelope_version_other_than_1_is_invalid),
        cmocka_unit_test (test_envelope_field_types_and_limits_are_checked),
        cmocka_unit_test (test_envelope_keys_in_any_order_any_int_format_and_unknown_keys_decode),
        cmocka_unit_test (test_reply_ok_and_error_reproduce_every_reply_vector),
        cmocka_unit_test (test_reply_ok_without_fields_is_just_ok_true),
        cmocka_unit_test (test_reply_error_carries_code_word_and_message),
        cmocka_unit_test (test_req_id_new_gives_distinct_short_ids),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

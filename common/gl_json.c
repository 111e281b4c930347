/*  gl_json — msgpack <-> JSON.  */
#include "gl_json.h"
#include "gl_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *
gl_json_from_msgpack (const msgpack_object *o)
{
    switch (o->type) {
        case MSGPACK_OBJECT_NIL:
            return json_null ();
        case MSGPACK_OBJECT_BOOLEAN:
            return json_boolean (o->via.boolean);
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            if (o->via.u64 > (uint64_t) INT64_MAX)    //  JSON integers here are 64-bit signed
                return json_real ((double) o->via.u64);
            return json_integer ((json_int_t) o->via.u64);
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            return json_integer ((json_int_t) o->via.i64);
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            return json_real (o->via.f64);
        case MSGPACK_OBJECT_STR:
            return json_stringn (o->via.str.ptr, o->via.str.size);
        case MSGPACK_OBJECT_BIN: {
            char *hex = zmalloc ((size_t) o->via.bin.size * 2 + 1);
            for (uint32_t i = 0; i < o->via.bin.size; i++)
                sprintf (hex + 2 * i, "%02x", (unsigned char) o->via.bin.ptr [i]);
            hex [o->via.bin.size * 2] = 0;
            json_t *j = json_pack ("{s:s}", "$bin", hex);
            free (hex);
            return j;
        }
        case MSGPACK_OBJECT_ARRAY: {
            json_t *a = json_array ();
            for (uint32_t i = 0; i < o->via.array.size; i++)
                json_array_append_new (a, gl_json_from_msgpack (&o->via.array.ptr [i]));
            return a;
        }
        case MSGPACK_OBJECT_MAP: {
            json_t *m = json_object ();
            for (uint32_t i = 0; i < o->via.map.size; i++) {
                const msgpack_object *k = &o->via.map.ptr [i].key;
                //  Keys may be up to GL_MAX_STR bytes: copy them whole, never truncated (two
                //  long keys with a common prefix would otherwise become one).
                char small [256];
                size_t size = k->type == MSGPACK_OBJECT_STR? (size_t) k->via.str.size + 1: 32;
                char *key = size <= sizeof small? small: zmalloc (size);
                if (k->type == MSGPACK_OBJECT_STR)
                    snprintf (key, size, "%.*s", (int) k->via.str.size, k->via.str.ptr);
                else
                    snprintf (key, size, "#%u", i);
                json_object_set_new (m, key, gl_json_from_msgpack (&o->via.map.ptr [i].val));
                if (key != small)
                    free (key);
            }
            return m;
        }
        default:
            return json_null ();
    }
}

static int
s_hex (char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int
gl_json_to_msgpack (const json_t *j, msgpack_packer *pk, gl_err_t *err)
{
    switch (json_typeof (j)) {
        case JSON_NULL:
            return msgpack_pack_nil (pk);
        case JSON_TRUE:
            return msgpack_pack_true (pk);
        case JSON_FALSE:
            return msgpack_pack_false (pk);
        case JSON_INTEGER: {
            json_int_t v = json_integer_value (j);
            return v >= 0? msgpack_pack_uint64 (pk, (uint64_t) v): msgpack_pack_int64 (pk, v);
        }
        case JSON_REAL:
            return msgpack_pack_double (pk, json_real_value (j));
        case JSON_STRING:
            msgpack_pack_str (pk, json_string_length (j));
            return msgpack_pack_str_body (pk, json_string_value (j), json_string_length (j));
        case JSON_ARRAY: {
            msgpack_pack_array (pk, json_array_size (j));
            for (size_t i = 0; i < json_array_size (j); i++)
                if (gl_json_to_msgpack (json_array_get (j, i), pk, err))
                    return -1;
            return 0;
        }
        case JSON_OBJECT: {
            json_t *bin = json_object_get (j, "$bin");
            if (bin && json_object_size (j) == 1 && json_is_string (bin)) {
                const char *hex = json_string_value (bin);
                size_t n = strlen (hex);
                if (n % 2)
                    return gl_fail (err, GL_INVALID, "$bin must be an even number of hex digits");
                msgpack_pack_bin (pk, n / 2);
                char *bytes = zmalloc (n / 2 + 1);
                for (size_t i = 0; i < n / 2; i++) {
                    int hi = s_hex (hex [2 * i]), lo = s_hex (hex [2 * i + 1]);
                    if (hi < 0 || lo < 0) {
                        free (bytes);
                        return gl_fail (err, GL_INVALID, "$bin holds a non-hex digit");
                    }
                    bytes [i] = (char) (hi << 4 | lo);
                }
                msgpack_pack_bin_body (pk, bytes, n / 2);
                free (bytes);
                return 0;
            }
            msgpack_pack_map (pk, json_object_size (j));
            const char *key;
            json_t *value;
            json_object_foreach ((json_t *) j, key, value) {
                gl_pack_cstr (pk, key);
                if (gl_json_to_msgpack (value, pk, err))
                    return -1;
            }
            return 0;
        }
    }
    return gl_fail (err, GL_INVALID, "unsupported JSON value");
}

char *
gl_json_line (const msgpack_object *obj)
{
    json_t *j = gl_json_from_msgpack (obj);
    char *text = json_dumps (j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (15)
                             | JSON_ENCODE_ANY);
    json_decref (j);
    return text;
}

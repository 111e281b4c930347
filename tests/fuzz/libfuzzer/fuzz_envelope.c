/*  fuzz_envelope — a published message's bytes: the codec's check and parse, the envelope's
    decode, the report schema that intake holds an ext.* body to, the typed getters that the
    consumers read a body with (the dispatcher reads intake.event.reported so), and the JSON
    rendering that `gridloop tail` prints.  */
#include "harness.h"
#include "gl_json.h"
#include "gl_proto.h"
#include "intake.h"

//  The schema intake checks a departmental report's body against (its "report" op).
static const gl_schema_t *
s_report_schema (void)
{
    for (size_t i = 0; i < intake_service.nops; i++)
        if (strcmp (intake_service.ops [i].name, "report") == 0)
            return intake_service.ops [i].schema;
    abort ();
}

//  Every key of map read as each type a consumer may ask for, nested maps too (depth bounded
//  by the codec).
static void
s_read (const msgpack_object *map)
{
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *key = &map->via.map.ptr [i].key;
        const msgpack_object *val = &map->via.map.ptr [i].val;
        char name [64], buf [65];
        if (key->type != MSGPACK_OBJECT_STR)
            abort ();           //  the codec refuses other keys
        if (key->via.str.size >= sizeof name || memchr (key->via.str.ptr, 0, key->via.str.size))
            continue;
        memcpy (name, key->via.str.ptr, key->via.str.size);
        name [key->via.str.size] = 0;
        const char *str;
        size_t len;
        uint64_t u;
        int64_t n;
        bool b;
        if (gl_map_get (map, name) == NULL)
            abort ();
        gl_get_str (map, name, &str, &len);
        gl_get_u64 (map, name, &u);
        gl_get_i64 (map, name, &n);
        gl_get_bool (map, name, &b);
        gl_get_strbuf (map, name, buf, sizeof buf);
        gl_str_eq (val, "event.reported");
        if (val->type == MSGPACK_OBJECT_MAP)
            s_read (val);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    gl_err_t err;
    long values = gl_codec_check (data, size, &err);
    gl_doc_t doc;
    int rc = gl_doc_parse (&doc, data, size, &err);
    if ((values > 0) != (rc == 0))
        abort ();               //  the check and the parse must agree
    if (rc == 0) {
        char *line = gl_json_line (&doc.root);
        free (line);
    }
    gl_doc_fini (&doc);

    gl_envelope_t env;
    if (gl_envelope_decode (&doc, data, size, &env, &err) == 0) {
        if (env.body->type != MSGPACK_OBJECT_MAP)
            abort ();           //  promised by the decoder
        gl_envelope_is (&env, "event.reported");
        s_read (env.body);
        if (gl_schema_check (s_report_schema (), env.body, &err) == 0) {
            gl_mapw_t w;
            gl_mapw_init (&w);
            gl_schema_copy (s_report_schema (), env.body, &w);
            gl_mapw_fini (&w);
        }
    }
    gl_doc_fini (&doc);
    return 0;
}

/*  fuzz_envelope — a published message's bytes: the codec's check and parse, the envelope's
    decode, the report schema that intake holds an ext.* body to, and the JSON rendering that
    `gridloop tail` prints.  */
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

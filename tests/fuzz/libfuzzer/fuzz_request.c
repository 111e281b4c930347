/*  fuzz_request — a request's bytes: parsed as a service's ROUTER does, then checked against
    every operation's schema of intake, the dispatcher and the archive (each lifecycle op of
    the dispatcher included), and copied into canonical form when it passes; and taken to JSON
    and back, as the command line shows a request and reads one, which must give a document
    the codec accepts again.  */
#include "harness.h"
#include "gl_json.h"
#include "archive.h"
#include "escalation.h"
#include "dispatcher.h"
#include "intake.h"

static void
s_check (const gl_schema_t *schema, const msgpack_object *map)
{
    gl_err_t err;
    if (!schema)
        return;
    if (gl_schema_check (schema, map, &err) == 0) {
        gl_mapw_t w;
        gl_mapw_init (&w);
        gl_schema_copy (schema, map, &w);
        gl_mapw_fini (&w);
    }
    else
    if (!err.message [0])
        abort ();               //  a refusal always says why
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static const gl_service_def_t *const services [] = {
        &intake_service, &dispatcher_service, &archive_service, &escalation_service
    };
    gl_err_t err;
    gl_doc_t doc;
    if (gl_doc_parse (&doc, data, size, &err) == 0) {
        for (size_t s = 0; s < sizeof services / sizeof services [0]; s++)
            for (size_t i = 0; i < services [s]->nops; i++) {
                s_check (services [s]->ops [i].schema, &doc.root);
                if (services [s] == &dispatcher_service)
                    s_check (dispatcher_op_schema (services [s]->ops [i].name), &doc.root);
            }
        s_check (&gl_envelope_schema, &doc.root);
        json_t *json = gl_json_from_msgpack (&doc.root);
        if (!json)
            abort ();
        msgpack_sbuffer packed;
        msgpack_sbuffer_init (&packed);
        msgpack_packer pk;
        msgpack_packer_init (&pk, &packed, msgpack_sbuffer_write);
        if (gl_json_to_msgpack (json, &pk, &err) == 0) {
            gl_doc_t again;
            if (gl_doc_parse (&again, packed.data, packed.size, &err))
                abort ();       //  JSON cannot hold what the codec refuses
            gl_doc_fini (&again);
        }
        msgpack_sbuffer_destroy (&packed);
        json_decref (json);
    }
    gl_doc_fini (&doc);
    return 0;
}

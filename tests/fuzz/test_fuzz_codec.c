/*  Fuzz: hundreds of thousands of damaged copies of every valid proto/ vector go through the
    checker, the parser, the envelope decoder and the report schema. Nothing may crash or read
    out of bounds (this test is also built with AddressSanitizer), and whatever the checker
    accepts must parse to a map.  */
#include "gl_json.h"
#include "gl_proto.h"
#include "mutate.h"

#include <stdio.h>

static const gl_field_t s_fields [] = {
    { .key = "op", .type = GL_F_STR, .required = true, .min = 1, .max = 64 },
    { .key = "grid", .type = GL_F_STR, .required = true, .min = 1, .max = 32 },
    { .key = "people", .type = GL_F_UINT, .max = 100000 },
    { .key = "amount", .type = GL_F_NUM, .fmin = 0, .fmax = 1e15 },
    { .key = "attachments", .type = GL_F_STRS, .max = 16, .item_max = 256 },
};
static const gl_schema_t s_schema = GL_SCHEMA ("report", s_fields);

int
main (int argc, char **argv)
{
    const char *root = getenv ("GL_SOURCE_DIR");
    char path [1024];
    snprintf (path, sizeof path, "%s/proto/vectors/valid.json", root? root: ".");
    json_error_t jerr;
    json_t *vectors = json_load_file (path, 0, &jerr);
    if (!vectors) {
        fprintf (stderr, "FAIL: cannot load %s: %s\n", path, jerr.text);
        return 1;
    }
    long rounds = argc > 1? atol (argv [1]): 300000;
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    size_t nvec = json_array_size (vectors);
    uint8_t *seed = malloc (1 << 20), *buf = malloc (1 << 20);
    long accepted = 0, refused = 0;
    for (long r = 0; r < rounds; r++) {
        const char *hex = json_string_value (json_object_get (json_array_get (vectors,
                                                                              r % nvec), "hex"));
        size_t len = strlen (hex) / 2;
        for (size_t i = 0; i < len; i++)
            sscanf (hex + 2 * i, "%2hhx", &seed [i]);
        size_t n = mutate (seed, len, buf, 1 << 20, &rng);
        //  Exact-size heap copy, so AddressSanitizer sees any read past the end.
        uint8_t *exact = malloc (n? n: 1);
        memcpy (exact, buf, n);
        gl_err_t err;
        int checked = gl_codec_check (exact, n, &err) < 0? -1: 0;
        gl_doc_t doc;
        int parsed = gl_doc_parse (&doc, exact, n, &err);
        if (checked != parsed) {
            fprintf (stderr, "FAIL: round %ld: check said %d, parse said %d\n", r, checked,
                     parsed);
            return 1;
        }
        if (parsed == 0) {
            if (doc.root.type != MSGPACK_OBJECT_MAP) {
                fprintf (stderr, "FAIL: round %ld: accepted a non-map\n", r);
                return 1;
            }
            gl_schema_check (&s_schema, &doc.root, &err);
            char *line = gl_json_line (&doc.root);
            free (line);
            accepted++;
        }
        else {
            if (err.code != GL_MALFORMED && err.code != GL_TOO_LARGE) {
                fprintf (stderr, "FAIL: round %ld: refused with %s\n", r, gl_code_name (err.code));
                return 1;
            }
            refused++;
        }
        gl_doc_fini (&doc);
        gl_envelope_t env;
        gl_envelope_decode (&doc, exact, n, &env, &err);
        gl_doc_fini (&doc);
        free (exact);
    }
    printf ("%ld damaged messages: %ld accepted as well-formed, %ld refused cleanly\n", rounds,
            accepted, refused);
    printf ("1 passed, 0 failed\n");
    free (seed);
    free (buf);
    json_decref (vectors);
    return 0;
}

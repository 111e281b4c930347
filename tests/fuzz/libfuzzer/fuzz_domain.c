/*  fuzz_domain — the county's domain files: org.json, categories.json and admission.json
    (the input's three NUL-separated pieces), each parsed alone and then loaded together into
    the org model; a model that loads is walked.  */
#include <stdio.h>
#include "harness.h"
#include "gl_domain.h"
#include "gl_org.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen ("/dev/null", "w");
    const char *parts [3];
    char *text = h_split (data, size, parts, 3);
    gl_err_t err;
    for (int i = 0; i < 3; i++)
        if (parts [i]) {
            json_t *root = gl_domain_parse_text (parts [i], "piece", &err);
            if (root)
                json_decref (root);
        }
    if (parts [1]) {
        gl_org_t *org = gl_org_load_text (parts [0], parts [1], parts [2], &err);
        if (org) {
            gl_org_print_tree (org, sink, NULL, 8);
            for (size_t i = 0; i < gl_org_category_count (org); i++) {
                const gl_category_t *cat = gl_org_category_at (org, i);
                for (int level = 0; level < GL_LEVEL_COUNT; level++)
                    gl_org_admit (org, cat->code, (gl_level_t) level, 1795000000000, NULL, 0);
            }
            gl_org_destroy (&org);
        }
    }
    free (text);
    return 0;
}

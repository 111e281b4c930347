/*  fuzz_config — the configuration file (ZPL text): loaded, and when it loads, dumped back.  */
#include <stdio.h>
#include "harness.h"
#include "gl_config.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen ("/dev/null", "w");
    const char *parts [1];
    char *text = h_split (data, size, parts, 1);
    gl_config_t cfg;
    gl_err_t err;
    if (gl_config_load_text (&cfg, text, &err) == 0)
        gl_config_dump (&cfg, sink);
    free (text);
    return 0;
}

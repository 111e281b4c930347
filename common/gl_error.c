/*  gl_error — result codes and errors.  */
#include "gl_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const s_code_names [GL_CODE_COUNT] = {
    "OK", "MALFORMED", "TOO_LARGE", "INVALID", "UNSUPPORTED", "NOT_FOUND",
    "CONFLICT", "FORBIDDEN", "UNAVAILABLE", "INTERNAL"
};

const char *
gl_code_name (gl_code_t code)
{
    if ((unsigned) code < GL_CODE_COUNT)
        return s_code_names [code];
    return "INTERNAL";
}

gl_code_t
gl_code_lookup (const char *name, size_t len)
{
    for (int i = 0; i < GL_CODE_COUNT; i++)
        if (strlen (s_code_names [i]) == len && memcmp (s_code_names [i], name, len) == 0)
            return (gl_code_t) i;
    return GL_INTERNAL;
}

//  Where a text cut at size - 1 bytes must end so as not to split a UTF-8 character: the
//  start of the character the cut falls in, unless that character fits whole.
static size_t
s_utf8_cut (const char *text, size_t size)
{
    size_t end = size - 1;
    size_t start = end;
    while (start > 0 && ((unsigned char) text [start - 1] & 0xc0) == 0x80)
        start--;
    if (start > 0) {
        unsigned char lead = (unsigned char) text [start - 1];
        size_t need = lead >= 0xf0? 4: lead >= 0xe0? 3: lead >= 0xc0? 2: 1;
        if (end - (start - 1) < need)
            end = start - 1;
    }
    return end;
}

int
gl_fail (gl_err_t *err, gl_code_t code, const char *format, ...)
{
    if (err) {
        err->code = code;
        va_list args;
        va_start (args, format);
        int n = vsnprintf (err->message, sizeof err->message, format, args);
        va_end (args);
        if (n >= (int) sizeof err->message)
            err->message [s_utf8_cut (err->message, sizeof err->message)] = 0;
    }
    return -1;
}

/*  gl_error — the closed set of result codes used everywhere, and an error: a code with a
    sentence for a person (what was wrong, how to fix it). Wire error codes are the codes'
    names.  */
#ifndef GL_ERROR_H
#define GL_ERROR_H

#include <stdbool.h>
#include <stddef.h>

/*  The closed set of result codes, as nginx keeps one small set everywhere.  */
typedef enum {
    GL_OK = 0,
    GL_MALFORMED,       //  not one well-formed msgpack map within the limits
    GL_TOO_LARGE,       //  a frame, string or array over its limit
    GL_INVALID,         //  well-formed, but a field is missing, mistyped or out of range
    GL_UNSUPPORTED,     //  unknown operation
    GL_NOT_FOUND,       //  no such thing
    GL_CONFLICT,        //  the thing's state does not allow it
    GL_FORBIDDEN,       //  the caller may not do this
    GL_UNAVAILABLE,     //  cannot take it now; retry later with the same req_id
    GL_INTERNAL,        //  our fault; logged
    GL_CODE_COUNT
} gl_code_t;

/*  What a handler returns when it refuses (err set, nothing written). Distinct from every LMDB
    error code (-30799 and up) and every errno value (positive), which mean "storage failed".  */
#define GL_REFUSED (-1)

/*  An error: a code and a sentence for a person.  */
typedef struct {
    gl_code_t code;             //  GL_OK when there is no error
    char message [320];         //  plain words; always NUL-terminated, never cut inside a
                                //  UTF-8 character
} gl_err_t;

/*  The code's wire name ("INVALID"); "INTERNAL" for a value outside the set.  */
const char *gl_code_name (gl_code_t code);
/*  The code named by the len bytes at name; GL_INTERNAL for a name it does not know (a
    client meeting an unknown code treats the request as failed).  */
gl_code_t gl_code_lookup (const char *name, size_t len);
/*  Set err (if not NULL) and return -1, so callers can write "return gl_fail (err, ...)".
    A message longer than the buffer is cut at the end of the last whole UTF-8 character.  */
int gl_fail (gl_err_t *err, gl_code_t code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif

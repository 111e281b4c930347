/*  gl_alloc — allocations that abort rather than fail.  */
#include "gl_alloc.h"

void
gl_oom_at (const char *file, unsigned line)
{
    fprintf (stderr, "FATAL: out of memory at %s:%u; exiting for the supervisor to restart "
             "the process (nothing acknowledged is lost)\n", file, line);
    fflush (stderr);
    abort ();
}

void *
gl_realloc (void *ptr, size_t size)
{
    void *grown = realloc (ptr, size? size: 1);
    if (!grown)
        gl_oom ();
    return grown;
}

char *
gl_strdup (const char *text)
{
    char *copy = strdup (text);
    if (!copy)
        gl_oom ();
    return copy;
}

int
gl_sbuffer_write (void *data, const char *buf, size_t len)
{
    if (msgpack_sbuffer_write (data, buf, len))
        gl_oom ();
    return 0;
}

void
gl_packer_init (msgpack_packer *pk, msgpack_sbuffer *sbuffer)
{
    msgpack_packer_init (pk, sbuffer, gl_sbuffer_write);
}

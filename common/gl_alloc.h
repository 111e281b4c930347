/*  gl_alloc — one allocation policy for the whole code base, CZMQ's: memory is never checked
    at the call site, because running out of it aborts the process with a message (zmalloc,
    and the helpers below for what zmalloc does not cover). A service that aborts is restarted
    by its supervisor and loses nothing: every acknowledged change is in its store. Bounds on
    what a peer can make a process allocate are enforced before allocating, never by a failed
    allocation.  */
#ifndef GL_ALLOC_H
#define GL_ALLOC_H

#include <czmq.h>
#include <msgpack.h>

/*  Abort with a message naming the place: out of memory.  */
#define gl_oom() gl_oom_at (__FILE__, __LINE__)
void gl_oom_at (const char *file, unsigned line) __attribute__ ((noreturn));

/*  realloc and strdup that never return NULL.  */
void *gl_realloc (void *ptr, size_t size);
char *gl_strdup (const char *text);

/*  The write callback of every msgpack packer and sbuffer in gridloop: msgpack_sbuffer_write,
    but aborting when the buffer cannot grow (msgpack's own returns -1, which packers ignore,
    and the message would go out cut short).  */
int gl_sbuffer_write (void *data, const char *buf, size_t len);
/*  A packer that writes into sbuffer with gl_sbuffer_write.  */
void gl_packer_init (msgpack_packer *pk, msgpack_sbuffer *sbuffer);

#endif

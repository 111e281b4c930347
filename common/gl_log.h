/*  gl_log — levelled logging through zsys (stderr or syslog/journald), one level per process.  */
#ifndef GL_LOG_H
#define GL_LOG_H

#include <czmq.h>

typedef enum {
    GL_LOG_DEBUG, GL_LOG_INFO, GL_LOG_NOTICE, GL_LOG_WARNING, GL_LOG_ERROR
} gl_log_level_t;

extern gl_log_level_t gl_log_threshold;

/*  Parse "debug".."error"; returns -1 for anything else.  */
int gl_log_level_parse (const char *name);
void gl_log_set_level (gl_log_level_t level);

/*  Rate limiting for lines that a peer can cause (a flood of forged messages must not flood the
    log): one limiter per kind of line.  */
typedef struct {
    int64_t next_at;            //  monotonic ms before which lines are held back
    uint64_t held_back;         //  lines held back since the last one logged
} gl_ratelimit_t;

#define GL_LOG_LIMIT_MS 10000   //  at most one line per limiter in this many ms

/*  True when a line may be logged now; *held_back is then how many were held back since the
    last one (to say so in the line).  */
bool gl_log_limit (gl_ratelimit_t *limit, uint64_t *held_back);

#define gl_log_debug(...)   do { if (gl_log_threshold <= GL_LOG_DEBUG) zsys_debug (__VA_ARGS__); } while (0)
#define gl_log_info(...)    do { if (gl_log_threshold <= GL_LOG_INFO) zsys_info (__VA_ARGS__); } while (0)
#define gl_log_notice(...)  do { if (gl_log_threshold <= GL_LOG_NOTICE) zsys_notice (__VA_ARGS__); } while (0)
#define gl_log_warning(...) do { if (gl_log_threshold <= GL_LOG_WARNING) zsys_warning (__VA_ARGS__); } while (0)
#define gl_log_error(...)   zsys_error (__VA_ARGS__)

#endif

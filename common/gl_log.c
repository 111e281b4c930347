/*  gl_log — the process-wide log threshold.  */
#include "gl_log.h"

gl_log_level_t gl_log_threshold = GL_LOG_INFO;

static const char *s_names [] = { "debug", "info", "notice", "warning", "error" };

int
gl_log_level_parse (const char *name)
{
    for (int i = 0; i < 5; i++)
        if (streq (name, s_names [i]))
            return i;
    return -1;
}

void
gl_log_set_level (gl_log_level_t level)
{
    gl_log_threshold = level;
}

bool
gl_log_limit (gl_ratelimit_t *limit, uint64_t *held_back)
{
    int64_t now = zclock_mono ();
    if (now < limit->next_at) {
        limit->held_back++;
        return false;
    }
    *held_back = limit->held_back;
    limit->held_back = 0;
    limit->next_at = now + GL_LOG_LIMIT_MS;
    return true;
}

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

/*  gl_clock — wall or manual domain time.  */
#include "gl_clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool s_manual;           //  time moves only when told
static int64_t s_now;           //  manual mode's current time

static int64_t
s_wall (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
gl_clock_now (void)
{
    return s_manual? s_now: s_wall ();
}

void
gl_clock_manual (int64_t start_ms)
{
    s_manual = true;
    s_now = start_ms? start_ms: s_wall ();
}

bool
gl_clock_is_manual (void)
{
    return s_manual;
}

int64_t
gl_clock_set (int64_t ms)
{
    if (s_manual && ms > s_now)
        s_now = ms;
    return gl_clock_now ();
}

int64_t
gl_clock_advance (int64_t ms)
{
    if (s_manual && ms > 0)
        s_now += ms;
    return gl_clock_now ();
}

void
gl_clock_date (int64_t ms, int utc_offset_min, char out [9])
{
    time_t t = (time_t) (ms / 1000) + (time_t) utc_offset_min * 60;
    struct tm tm;
    gmtime_r (&t, &tm);
    char tmp [32];
    snprintf (tmp, sizeof tmp, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    memcpy (out, tmp, 8);
    out [8] = 0;
}

/*  gl_clock — wall or manual domain time.  */
#include "gl_clock.h"

#include <stdio.h>
#include <stdlib.h>
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

void
gl_clock_local (int64_t ms, int utc_offset_min, bool millis, char *out, size_t size)
{
    time_t t = (time_t) (ms / 1000) + (time_t) utc_offset_min * 60;
    struct tm tm;
    gmtime_r (&t, &tm);
    char day [24], frac [8] = "";
    strftime (day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
    if (millis)
        snprintf (frac, sizeof frac, ".%03d", (int) (ms % 1000));
    int off = utc_offset_min < 0? -utc_offset_min: utc_offset_min;
    snprintf (out, size, "%s%s %c%02d:%02d", day, frac, utc_offset_min < 0? '-': '+', off / 60,
              off % 60);
}

int64_t
gl_days_from_civil (int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0? y: y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2? -3: 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
gl_civil_from_days (int64_t days, int *y, int *m, int *d)
{
    days += 719468;
    int64_t era = (days >= 0? days: days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10? mp + 3: mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}

int
gl_date_parse (const char *t, int64_t *days)
{
    if (!t || strlen (t) != 10 || t [4] != '-' || t [7] != '-'
    ||  strspn (t, "0123456789") != 4 || strspn (t + 5, "0123456789") != 2
    ||  strspn (t + 8, "0123456789") != 2)
        return -1;
    int y = atoi (t), m = atoi (t + 5), d = atoi (t + 8);
    static const int month_days [12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > (m == 2 && !leap? 28: month_days [m - 1]))
        return -1;
    *days = gl_days_from_civil (y, m, d);
    return 0;
}

int
gl_weekday (int64_t days)
{
    //  1970-01-01 was a Thursday (4).
    int64_t w = (days + 3) % 7;
    return (int) (w < 0? w + 7: w) + 1;
}

/*  gl_clock — the one clock for domain time (timestamps, deadlines, periods) in every process.
    Wall time by default; in manual mode time stands still until it is set or advanced, so tests
    and the county simulator can drive deadlines without sleeping. Internal timers (heartbeats,
    retries) use zclock_mono instead and are not affected.  */
#ifndef GL_CLOCK_H
#define GL_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Milliseconds since the Unix epoch, UTC.  */
int64_t gl_clock_now (void);
/*  Switch to manual mode starting at start_ms (0: the current wall time).  */
void gl_clock_manual (int64_t start_ms);
bool gl_clock_is_manual (void);
/*  Manual mode only: set or move the time. Time never moves backwards; returns the new now.  */
int64_t gl_clock_set (int64_t ms);
int64_t gl_clock_advance (int64_t ms);
/*  Format ms as the county-local calendar date YYYYMMDD (utc_offset_min east of UTC).  */
void gl_clock_date (int64_t ms, int utc_offset_min, char out [9]);
/*  Format ms as county-local time with its zone, so no reader has to guess it:
    "2026-11-29 10:00:00 +08:00", or with millis "2026-11-29 10:00:00.250 +08:00". Writes at most
    size bytes (32 is always enough).  */
void gl_clock_local (int64_t ms, int utc_offset_min, bool millis, char *out, size_t size);

/*  Civil dates (proleptic Gregorian): days since 1970-01-01 and back, and "YYYY-MM-DD" read
    strictly (a date that exists, from 1970 on). gl_date_parse returns 0 or -1.  */
int64_t gl_days_from_civil (int y, int m, int d);
void gl_civil_from_days (int64_t days, int *y, int *m, int *d);
int gl_date_parse (const char *text, int64_t *days);
/*  Day of the week of a day number: 1 Monday … 7 Sunday.  */
int gl_weekday (int64_t days);

#endif

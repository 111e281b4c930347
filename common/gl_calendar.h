/*  gl_calendar — the county's working calendar (工作日历): which local days are working days,
    the working hours of a working day, and deadline arithmetic in working or natural time.
    Loaded from a JSON file that people edit when the State Council publishes a year's holiday
    schedule (deploy/yunyang/calendar.json), checked as a whole at load, then read-only.

    Days are dates in the county's local time, utc_offset_min minutes east of UTC (China: 480,
    no daylight saving time). Every instant is ms since 1970-01-01T00:00Z.

    The file
    --------
        {
          "note": "for people (optional)",
          "working_hours": [["09:00", "12:00"], ["14:00", "18:00"]],
          "weekend": [6, 7],
          "years": {
            "2026": {"source": "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）",
                     "note": "for people (optional)",
                     "holidays": [{"name": "元旦", "from": "2026-01-01", "to": "2026-01-03"}],
                     "workdays": [{"date": "2026-01-04", "name": "元旦调休上班"}]},
            "2027": {"provisional": true, "source": "...", "holidays": [...], "workdays": []}
          }
        }

    working_hours   the periods of one working day, each ["HH:MM", "HH:MM"] from 00:00 to 24:00,
                    start before end, in order, not overlapping (touching is allowed); at least
                    one. The sum is gl_calendar_day_minutes ("one working day").
    weekend         the weekdays that are days off by rule, 1 = Monday … 7 = Sunday, each once;
                    at least one weekday must stay a working day.
    years           the years whose official schedule is known, keyed "YYYY". Each has:
      source        the notice the year comes from (required, for people checking it).
      holidays      days off (放假), each {name, from, to}: YYYY-MM-DD dates within that year,
                    to not before from (a one-day holiday has from = to), no two ranges
                    overlapping. A holiday that falls on a weekend is still a holiday.
      workdays      make-up working days (调休上班), each {date, name}: a weekend day of that
                    year that is worked, not inside a holiday, each date once.
      provisional   optional, default false: the schedule is not official yet (e.g. only the
                    statutory holidays, before the notice is published); days still follow it,
                    and gl_day_t.provisional says so.
      note          optional text for people, as at the top level.
    Any other key is refused. A year not in the file follows the weekend rule only: weekdays
    are workdays, and gl_day_t.covered is false.

    Working time
    ------------
    The working clock runs only inside the periods of working days (workdays and make-up days).
    Periods are half-open: 09:00 is inside 09:00–12:00, 12:00 is not. gl_calendar_add in working
    time starts the clock at start_ms if that instant is inside a period, else at the next
    period's opening (before opening, at lunch, in the evening, on a weekend or holiday: the
    next opening), and returns the instant at which `minutes` working minutes have elapsed.
    Seconds and milliseconds of the start are kept.

    Edge rule: when the minutes run out exactly at a period's end, the deadline is that end
    (a step due after the last working minute of the day is due at 18:00, not at 09:00 the next
    working day). So adding 0 minutes to an instant inside a period gives the instant itself,
    and to an instant outside working time gives the next opening: the clock has not started.

    Pausing and resuming a clock (挂账, suspension): elapsed = gl_calendar_between (from,
    pause), remaining = total - elapsed, deadline = gl_calendar_add (resume, remaining). For
    this, gl_calendar_add (from, gl_calendar_between (from, to, true), true) <= to whenever at
    least one working minute lies between from and to, or from is inside working time; when
    neither holds the elapsed time is 0 and the clock has not started, so adding 0 gives the
    next opening, which may lie after to. Splitting: add (add (s, a), b) == add (s, a + b) for
    every b > 0.

    Bounds: minutes are clamped to 0 … GL_CALENDAR_MAX_MINUTES in working time (natural time
    to ±GL_CALENDAR_MAX_MINUTES); instants to ±GL_CALENDAR_LIMIT_MS. Days of the years in the
    file are walked one at a time (a holiday lookup each), days outside them a week at a time,
    so a span of any length costs no more than walking the years the file holds.  */
#ifndef GL_CALENDAR_H
#define GL_CALENDAR_H

#include "gl_codec.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Longest span in minutes: 100 years of natural minutes. Far beyond any deadline a county
    sets, and small enough that no arithmetic on it can overflow.  */
#define GL_CALENDAR_MAX_MINUTES     INT64_C (52596000)
/*  Instants are taken within ±2^53 ms of 1970 (about 285 000 years): a deadline 100 years of
    working minutes later still fits an int64_t.  */
#define GL_CALENDAR_LIMIT_MS        (INT64_C (1) << 53)

typedef struct gl_calendar_s gl_calendar_t;

/*  What kind of day a local date is.  */
typedef enum {
    GL_DAY_WORKDAY,             //  a weekday that is worked
    GL_DAY_WEEKEND,             //  a weekend day by the weekend rule
    GL_DAY_HOLIDAY,             //  a day off of a holiday (放假), whatever its weekday
    GL_DAY_MAKEUP               //  a weekend day that is worked (调休上班)
} gl_day_kind_t;

/*  One local date, as the calendar sees it.  */
typedef struct {
    gl_day_kind_t kind;         //  workday, weekend, holiday or make-up day
    bool working;               //  the working clock runs on it (workday or make-up day)
    const char *name;           //  the holiday's or make-up day's name; "" otherwise
    bool covered;               //  its year is in the file (else: the weekend rule only)
    bool provisional;           //  its year's entry is marked provisional
    int weekday;                //  1 = Monday … 7 = Sunday
} gl_day_t;

/*  Load and check a calendar file. On any problem returns NULL with err set to a sentence
    naming the file, the entry (e.g. "years.2026.holidays[3]") and what is wrong: malformed
    JSON, an unknown or missing key, a bad date, a date outside its year, to before from,
    overlapping holidays, a make-up day that is not a weekend day or falls in a holiday, bad
    working hours, bad weekend day numbers. utc_offset_min must be within -720 … 840.  */
gl_calendar_t *gl_calendar_load (const char *path, int utc_offset_min, gl_err_t *err);
/*  The same from JSON text; messages name the file "(text)". For tests and fuzzing.  */
gl_calendar_t *gl_calendar_load_text (const char *json, int utc_offset_min, gl_err_t *err);
/*  Free the calendar and set *self_p to NULL; safe on NULL and on a NULL *self_p.  */
void gl_calendar_destroy (gl_calendar_t **self_p);

/*  The kind of the county-local date that contains the instant ms. Returns 0.  */
int gl_calendar_day (gl_calendar_t *self, int64_t ms, gl_day_t *day);
/*  The kind of a date "YYYY-MM-DD" (a real date, years 0001 … 9999). Returns 0, or -1 when the
    text is not such a date (day untouched).  */
int gl_calendar_date (gl_calendar_t *self, const char *yyyy_mm_dd, gl_day_t *day);
/*  "workday", "weekend", "holiday" or "make-up workday".  */
const char *gl_day_kind_name (gl_day_kind_t kind);
/*  "周一" … "周日" for 1 … 7; "?" otherwise.  */
const char *gl_weekday_name (int weekday);

/*  Minutes of working time in one working day (the sum of the working hours; 420 for
    09:00–12:00 and 14:00–18:00). "N working days" means N times this.  */
int64_t gl_calendar_day_minutes (gl_calendar_t *self);
/*  The utc_offset_min the calendar was loaded with.  */
int gl_calendar_utc_offset (gl_calendar_t *self);

/*  The deadline minutes after start_ms: natural time (start + minutes × 60 000), or working
    time as described at the top of this file (edge rule included).  */
int64_t gl_calendar_add (gl_calendar_t *self, int64_t start_ms, int64_t minutes, bool working);
/*  Elapsed time from from_ms to to_ms (0 if to <= from): working time counts only inside the
    periods of working days. In whole minutes rounded down, or in ms.  */
int64_t gl_calendar_between (gl_calendar_t *self, int64_t from_ms, int64_t to_ms, bool working);
int64_t gl_calendar_between_ms (gl_calendar_t *self, int64_t from_ms, int64_t to_ms,
                                bool working);

/*  Receives one line of an explanation (no newline; valid only during the call).  */
typedef void (gl_calendar_trace_fn) (void *arg, const char *line);
/*  gl_calendar_add, telling trace (if not NULL) the arithmetic in the county's local time, one
    line per call, e.g.
        from 2026-09-30 16:20 (周三): 420 min of working time to count
        2026-09-30 (周三) workday: 16:20–18:00 counts 100 min, 320 min left
        2026-10-01 (周四) … 2026-10-07 (周三): 7 days off (国庆节)
        2026-10-08 (周四) workday: 09:00–12:00 counts 180 min, 14:00–16:20 counts 140 min, 0 min left
        due 2026-10-08 16:20 (周四)
    Consecutive days off make one line, and so do consecutive workdays counted whole and whole
    weeks outside the years in the file; a make-up day always has its own line. The result is
    always gl_calendar_add's.  */
int64_t gl_calendar_add_explained (gl_calendar_t *self, int64_t start_ms, int64_t minutes,
                                   bool working, gl_calendar_trace_fn *trace, void *arg);

/*  Read county-local time "YYYY-MM-DD" (its 00:00), "YYYY-MM-DDTHH:MM" or
    "YYYY-MM-DDTHH:MM:SS" ('T' or one space between date and time; HH 00 … 23) into *ms.
    Returns 0, or -1 when the text is none of these.  */
int gl_calendar_parse_time (gl_calendar_t *self, const char *text, int64_t *ms);
/*  Write ms as county-local "YYYY-MM-DD HH:MM (周X)", with ":SS" or ":SS.mmm" when the seconds
    or milliseconds are not zero. Always NUL-terminates (size > 0).  */
void gl_calendar_format_time (gl_calendar_t *self, int64_t ms, char *buf, size_t size);

/*  Read a duration as people write it: "30m", "2h", "1d" (natural minutes, hours, days) or
    "30wm", "4wh", "5wd" (working minutes, hours, days; a working day is
    gl_calendar_day_minutes). Hours and days may have a decimal fraction of up to 6 digits
    ("0.5wd", "1.5h") if the result is a whole number of minutes; minutes may not. Returns 0
    with *minutes and *working set, or -1 with err saying which forms are accepted. self may be
    NULL except for "wd".  */
int gl_duration_parse (const char *text, gl_calendar_t *self, int64_t *minutes, bool *working,
                       gl_err_t *err);
/*  Write the shortest form gl_duration_parse reads back exactly: "5wd", "2h", "90m", "3.5wh".
    On a tie: whole days, then hours, then days with a fraction, then minutes ("1wd", not
    "7wh"; "3.5wh", not "0.5wd" or "210wm"); zero is "0m" or "0wm"; negative minutes get a
    '-' (which gl_duration_parse refuses). self may be NULL (then working days are not used).
    Always NUL-terminates (size > 0).  */
void gl_duration_format (int64_t minutes, bool working, gl_calendar_t *self, char *buf,
                         size_t size);

#endif

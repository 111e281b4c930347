/*  cli_calendar — `gridloop calendar`: a day's kind, a run of days, and a deadline with the
    working-time arithmetic behind it, from the county's calendar file (domain/calendar).  */
#include "cli_calendar.h"
#include "gl_calendar.h"
#include "gl_clock.h"

#include <czmq.h>
#include <string.h>

#define S_DAY_MS        INT64_C (86400000)
#define S_DAYS_MAX      3660    //  --days: ten years, more than anyone reads one a line

static const char *s_forms =
    "gridloop calendar DATE [--days N] (DATE: YYYY-MM-DD or today), or gridloop calendar "
    "--add START DURATION (START: YYYY-MM-DD, YYYY-MM-DDTHH:MM or now; DURATION: e.g. 5wd, "
    "4wh, 30wm, 2h, 1d)";

static int
s_usage (const char *what)
{
    fprintf (stderr, "gridloop: calendar: %s\n(usage: %s)\n", what, s_forms);
    return 2;
}

//  The local date of ms as "YYYY-MM-DD".
static void
s_date_of (int64_t ms, int utc_offset_min, char out [11])
{
    char compact [9];
    gl_clock_date (ms, utc_offset_min, compact);
    snprintf (out, 11, "%.4s-%.2s-%.2s", compact, compact + 4, compact + 6);
}

//  One day, one line: date, weekday, working or not, its kind and name, and its year's status.
static void
s_print_day (const char *date, const gl_day_t *day)
{
    char year [96] = "";
    if (day->provisional)
        snprintf (year, sizeof year, "  [%.4s is provisional: not the State Council's notice "
                  "yet]", date);
    else
    if (!day->covered)
        snprintf (year, sizeof year, "  [%.4s is not in the calendar: weekends only]", date);
    printf ("%s (%s)  %-11s  %s%s%s%s\n", date, gl_weekday_name (day->weekday),
            day->working? "working day": "day off", gl_day_kind_name (day->kind),
            *day->name? " ": "", day->name, year);
}

static void
s_print_line (void *arg, const char *line)
{
    printf ("%s\n", line);
}

static int
s_days (gl_calendar_t *cal, const char *text, int64_t count)
{
    int64_t start;
    char date [11];
    if (streq (text, "today")) {
        s_date_of (gl_clock_now (), gl_calendar_utc_offset (cal), date);
        text = date;
    }
    if (strlen (text) != 10 || gl_calendar_parse_time (cal, text, &start)) {
        char what [160];
        snprintf (what, sizeof what, "\"%.40s\" is not a date; expected YYYY-MM-DD (a real "
                  "date) or today", text);
        return s_usage (what);
    }
    for (int64_t i = 0; i < count; i++) {
        //  Local midnights are a day apart: county offsets have no daylight saving time.
        int64_t ms = start + i * S_DAY_MS;
        gl_day_t day;
        gl_calendar_day (cal, ms, &day);
        s_date_of (ms, gl_calendar_utc_offset (cal), date);
        s_print_day (date, &day);
    }
    return 0;
}

static int
s_add (gl_calendar_t *cal, const char *start_text, const char *duration)
{
    int64_t start;
    if (streq (start_text, "now"))
        start = gl_clock_now ();
    else
    if ((strlen (start_text) != 10 && strlen (start_text) != 16)
    ||  gl_calendar_parse_time (cal, start_text, &start)) {
        char what [200];
        snprintf (what, sizeof what, "--add: START \"%.40s\" is not YYYY-MM-DD, "
                  "YYYY-MM-DDTHH:MM or now (county local time)", start_text);
        return s_usage (what);
    }
    int64_t minutes;
    bool working;
    gl_err_t err;
    if (gl_duration_parse (duration, cal, &minutes, &working, &err))
        return s_usage (err.message);
    gl_calendar_add_explained (cal, start, minutes, working, s_print_line, NULL);
    return 0;
}

int
cli_calendar (const gl_config_t *cfg, int argc, char **argv)
{
    //  The words first, so bad usage is told before the file is read.
    bool add = argc >= 2 && streq (argv [1], "--add");
    int64_t count = 1;
    if (add) {
        if (argc != 4)
            return s_usage ("--add takes START and DURATION");
    }
    else {
        if (argc < 2 || argv [1][0] == '-')
            return s_usage ("which date?");
        if (argc == 4 && streq (argv [2], "--days")) {
            if (gl_parse_whole (argv [3], 1, S_DAYS_MAX, &count))
                return s_usage ("--days takes a whole number from 1 to 3660");
        }
        else
        if (argc != 2)
            return s_usage ("DATE takes only --days N after it");
    }
    gl_err_t err;
    gl_calendar_t *cal = gl_calendar_load (cfg->calendar_path, (int) cfg->utc_offset_min,
                                           &err);
    if (!cal) {
        fprintf (stderr, "gridloop: calendar: %s\n", err.message);
        return 1;
    }
    int rc = add? s_add (cal, argv [2], argv [3]): s_days (cal, argv [1], count);
    gl_calendar_destroy (&cal);
    return rc;
}

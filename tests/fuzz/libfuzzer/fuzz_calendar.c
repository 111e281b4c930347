/*  fuzz_calendar — the working calendar (calendar.json), then, in the input's second
    NUL-separated piece, a time and a duration as people write them, computed with it.  */
#include "harness.h"
#include "gl_calendar.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *parts [2];
    char *text = h_split (data, size, parts, 2);
    gl_err_t err;
    gl_calendar_t *cal = gl_calendar_load_text (parts [0], 480, &err);
    int64_t minutes = 0, at = 1795000000000;
    bool working = false;
    if (parts [1]) {
        if (cal)
            gl_calendar_parse_time (cal, parts [1], &at);
        gl_duration_parse (parts [1], cal, &minutes, &working, &err);
    }
    if (cal) {
        char buf [64];
        gl_day_t day;
        int64_t end = gl_calendar_add (cal, at, minutes, working);
        gl_calendar_between (cal, at, end, working);
        gl_calendar_day (cal, at, &day);
        gl_calendar_format_time (cal, end, buf, sizeof buf);
        gl_duration_format (minutes, working, cal, buf, sizeof buf);
        //  The edges: the longest duration, from and to the ends of time.
        gl_calendar_add (cal, INT64_MAX, GL_CALENDAR_MAX_MINUTES, true);
        gl_calendar_add (cal, INT64_MIN, GL_CALENDAR_MAX_MINUTES, true);
        gl_calendar_between (cal, INT64_MIN, INT64_MAX, true);
        gl_calendar_between_ms (cal, at, INT64_MAX, true);
        gl_calendar_day (cal, INT64_MIN, &day);
        gl_calendar_format_time (cal, INT64_MAX, buf, sizeof buf);
        gl_calendar_destroy (&cal);
    }
    free (text);
    return 0;
}

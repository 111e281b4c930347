/*  test_calendar — gl_calendar: the kinds of days across the official 2026 schedule and the
    provisional 2027, deadline arithmetic in working and natural time (hand-checked, and against
    a minute-by-minute model), pause/resume consistency, the explained trace, durations, every
    refusal of the loader, and the `gridloop calendar` command. Fixed instants only.  */
#include "unit.h"
#include "gl_calendar.h"
#include "gl_clock.h"
#include "gl_config.h"
#include "cli_calendar.h"

#include <time.h>
#include <unistd.h>

#define MINUTE_MS   INT64_C (60000)
#define DAY_MS      INT64_C (86400000)

static gl_calendar_t *s_cal;    //  the bundled calendar, loaded once

//  ---------------------------------------------------------------------------------------------
//  Helpers

/*  County-local (UTC+8) "YYYY-MM-DDTHH:MM[:SS[.mmm]]" or "YYYY-MM-DD" as ms, computed without
    the calendar (timegm), so expectations do not depend on the code under test.  */
static int64_t
s_at (const char *text)
{
    int y, mo, d, h = 0, mi = 0, s = 0, ms = 0;
    int n = sscanf (text, "%d-%d-%dT%d:%d:%d.%d", &y, &mo, &d, &h, &mi, &s, &ms);
    if (n != 3 && n < 5)
        fail_msg ("bad test instant \"%s\"", text);
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = s };
    return ((int64_t) timegm (&tm) - 8 * 3600) * 1000 + ms;
}

static const char *
s_show (int64_t ms)
{
    static char text [2][64];
    static int which;
    which = !which;
    gl_calendar_format_time (s_cal, ms, text [which], sizeof text [which]);
    return text [which];
}

//  add from start must give want (both county-local text).
static void
s_add (const char *start, int64_t minutes, bool working, const char *want)
{
    int64_t got = gl_calendar_add (s_cal, s_at (start), minutes, working);
    if (got != s_at (want))
        fail_msg ("%s + %lld %s min: got %s, expected %s", start, (long long) minutes,
                  working? "working": "natural", s_show (got), s_show (s_at (want)));
}

static void
s_kind (const char *date, gl_day_kind_t kind, const char *name, bool covered,
        bool provisional)
{
    gl_day_t day;
    memset (&day, 0x5a, sizeof day);
    if (gl_calendar_date (s_cal, date, &day))
        fail_msg ("%s: refused as a date", date);
    if (day.kind != kind || strcmp (day.name, name) || day.covered != covered
    ||  day.provisional != provisional)
        fail_msg ("%s: %s \"%s\" covered %d provisional %d; expected %s \"%s\" %d %d", date,
                  gl_day_kind_name (day.kind), day.name, day.covered, day.provisional,
                  gl_day_kind_name (kind), name, covered, provisional);
    assert_int_equal (day.working, kind == GL_DAY_WORKDAY || kind == GL_DAY_MAKEUP);
}

//  Loading text must fail with a message naming "(text)" and containing every word given.
static void
s_refused (const char *json, ...)
{
    gl_err_t err = { GL_OK, "" };
    gl_calendar_t *cal = gl_calendar_load_text (json, 480, &err);
    if (cal) {
        gl_calendar_destroy (&cal);
        fail_msg ("accepted: %s", json);
    }
    assert_int_equal (err.code, GL_INVALID);
    if (strncmp (err.message, "(text): ", 8))
        fail_msg ("message \"%s\" does not start with the file name", err.message);
    va_list words;
    va_start (words, json);
    for (const char *w = va_arg (words, const char *); w; w = va_arg (words, const char *))
        if (!strstr (err.message, w))
            fail_msg ("message \"%s\" does not contain \"%s\"", err.message, w);
    va_end (words);
}

/*  A small valid calendar with one year; the refusal tests put one fault into its parts.  */
#define S_HOURS     "\"working_hours\": [[\"09:00\", \"12:00\"], [\"14:00\", \"18:00\"]]"
#define S_WEEKEND   "\"weekend\": [6, 7]"
#define S_YEAR(holidays, workdays) \
    "{" S_HOURS ", " S_WEEKEND ", \"years\": {\"2026\": {\"source\": \"notice\", " \
    "\"holidays\": [" holidays "], \"workdays\": [" workdays "]}}}"
#define S_NATIONAL  "{\"name\": \"国庆节\", \"from\": \"2026-10-01\", \"to\": \"2026-10-07\"}"

//  The official 2026 schedule, written out again here: the model below checks against it.
static const char *const s_holidays_2026 [][3] = {
    { "元旦", "2026-01-01", "2026-01-03" }, { "春节", "2026-02-15", "2026-02-23" },
    { "清明节", "2026-04-04", "2026-04-06" }, { "劳动节", "2026-05-01", "2026-05-05" },
    { "端午节", "2026-06-19", "2026-06-21" }, { "中秋节", "2026-09-25", "2026-09-27" },
    { "国庆节", "2026-10-01", "2026-10-07" }
};
static const char *const s_makeups_2026 [][2] = {
    { "2026-01-04", "元旦调休上班" }, { "2026-02-14", "春节调休上班" },
    { "2026-02-28", "春节调休上班" }, { "2026-05-09", "劳动节调休上班" },
    { "2026-09-20", "国庆节调休上班" }, { "2026-10-10", "国庆节调休上班" }
};

static int
s_setup (void **state)
{
    s_cal = u_bundled_calendar (480);
    return 0;
}

static int
s_teardown (void **state)
{
    gl_calendar_destroy (&s_cal);
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  Days

static void
test_bundled_calendar_loads_with_a_420_minute_working_day (void **state)
{
    assert_non_null (s_cal);
    assert_int_equal (gl_calendar_day_minutes (s_cal), 420);
    assert_int_equal (gl_calendar_utc_offset (s_cal), 480);
}

static void
test_every_2026_holiday_day_is_a_named_day_off (void **state)
{
    for (size_t i = 0; i < sizeof s_holidays_2026 / sizeof s_holidays_2026 [0]; i++) {
        int64_t from = s_at (s_holidays_2026 [i][1]), to = s_at (s_holidays_2026 [i][2]);
        for (int64_t ms = from; ms <= to; ms += DAY_MS) {
            char date [16];
            snprintf (date, sizeof date, "%.10s", s_show (ms));
            s_kind (date, GL_DAY_HOLIDAY, s_holidays_2026 [i][0], true, false);
        }
        //  The days either side are not part of it.
        gl_day_t day;
        gl_calendar_day (s_cal, from - 1, &day);
        assert_int_not_equal (day.kind, GL_DAY_HOLIDAY);
        gl_calendar_day (s_cal, to + DAY_MS, &day);
        assert_int_not_equal (day.kind, GL_DAY_HOLIDAY);
    }
    //  A holiday on a weekend is a holiday, not a weekend day.
    s_kind ("2026-01-03", GL_DAY_HOLIDAY, "元旦", true, false);         //  Saturday
    s_kind ("2026-10-04", GL_DAY_HOLIDAY, "国庆节", true, false);       //  Sunday
}

static void
test_every_2026_makeup_day_is_a_working_weekend_day (void **state)
{
    for (size_t i = 0; i < sizeof s_makeups_2026 / sizeof s_makeups_2026 [0]; i++) {
        s_kind (s_makeups_2026 [i][0], GL_DAY_MAKEUP, s_makeups_2026 [i][1], true, false);
        gl_day_t day;
        gl_calendar_date (s_cal, s_makeups_2026 [i][0], &day);
        assert_true (day.weekday == 6 || day.weekday == 7);
    }
    //  Their neighbours on the other weekend day stay off.
    s_kind ("2026-01-03", GL_DAY_HOLIDAY, "元旦", true, false);
    s_kind ("2026-02-13", GL_DAY_WORKDAY, "", true, false);            //  Friday before
    s_kind ("2026-03-01", GL_DAY_WEEKEND, "", true, false);            //  Sunday after 02-28
    s_kind ("2026-05-10", GL_DAY_WEEKEND, "", true, false);
    s_kind ("2026-09-19", GL_DAY_WEEKEND, "", true, false);            //  Saturday before 09-20
    s_kind ("2026-10-11", GL_DAY_WEEKEND, "", true, false);
}

static void
test_weekdays_and_weekends_follow_the_rule_between_holidays (void **state)
{
    s_kind ("2026-03-06", GL_DAY_WORKDAY, "", true, false);            //  Friday
    s_kind ("2026-03-07", GL_DAY_WEEKEND, "", true, false);
    s_kind ("2026-03-08", GL_DAY_WEEKEND, "", true, false);
    s_kind ("2026-03-09", GL_DAY_WORKDAY, "", true, false);
    s_kind ("2026-10-08", GL_DAY_WORKDAY, "", true, false);            //  after 国庆节
    s_kind ("2026-12-31", GL_DAY_WORKDAY, "", true, false);
    gl_day_t day;
    gl_calendar_date (s_cal, "2026-03-09", &day);
    assert_int_equal (day.weekday, 1);
    assert_string_equal (gl_weekday_name (day.weekday), "周一");
    //  2026 has 248 working days: 261 weekdays, 19 of them holidays, and 6 make-up days.
    int working = 0;
    for (int64_t ms = s_at ("2026-01-01"); ms < s_at ("2027-01-01"); ms += DAY_MS) {
        gl_calendar_day (s_cal, ms, &day);
        working += day.working;
    }
    assert_int_equal (working, 248);
}

static void
test_a_year_outside_the_file_has_weekends_only (void **state)
{
    s_kind ("2025-10-01", GL_DAY_WORKDAY, "", false, false);           //  国庆 of an absent year
    s_kind ("2025-10-04", GL_DAY_WEEKEND, "", false, false);
    s_kind ("2030-01-01", GL_DAY_WORKDAY, "", false, false);
    s_kind ("2030-01-05", GL_DAY_WEEKEND, "", false, false);
    s_kind ("2028-02-29", GL_DAY_WORKDAY, "", false, false);           //  leap day, Tuesday
}

static void
test_2027_is_provisional_with_the_statutory_holidays_only (void **state)
{
    s_kind ("2027-01-01", GL_DAY_HOLIDAY, "元旦", true, true);
    s_kind ("2027-02-04", GL_DAY_WORKDAY, "", true, true);
    s_kind ("2027-02-05", GL_DAY_HOLIDAY, "春节", true, true);         //  除夕
    s_kind ("2027-02-06", GL_DAY_HOLIDAY, "春节", true, true);         //  正月初一
    s_kind ("2027-02-08", GL_DAY_HOLIDAY, "春节", true, true);         //  正月初三
    s_kind ("2027-02-09", GL_DAY_WORKDAY, "", true, true);
    s_kind ("2027-04-05", GL_DAY_HOLIDAY, "清明节", true, true);
    s_kind ("2027-05-01", GL_DAY_HOLIDAY, "劳动节", true, true);
    s_kind ("2027-05-02", GL_DAY_HOLIDAY, "劳动节", true, true);
    s_kind ("2027-05-03", GL_DAY_WORKDAY, "", true, true);
    s_kind ("2027-06-09", GL_DAY_HOLIDAY, "端午节", true, true);
    s_kind ("2027-09-15", GL_DAY_HOLIDAY, "中秋节", true, true);
    s_kind ("2027-10-03", GL_DAY_HOLIDAY, "国庆节", true, true);
    s_kind ("2027-10-04", GL_DAY_WORKDAY, "", true, true);
    s_kind ("2027-10-09", GL_DAY_WEEKEND, "", true, true);             //  no make-up days
}

static void
test_the_day_of_an_instant_is_its_county_local_date (void **state)
{
    gl_day_t day;
    //  2026-09-30T16:00:00Z is 2026-10-01 00:00 in the county: 国庆节.
    gl_calendar_day (s_cal, INT64_C (1790784000000), &day);
    assert_int_equal (day.kind, GL_DAY_HOLIDAY);
    gl_calendar_day (s_cal, INT64_C (1790783999999), &day);
    assert_int_equal (day.kind, GL_DAY_WORKDAY);
    //  The same instant in a UTC calendar is still 2026-09-30.
    gl_calendar_t *utc = u_bundled_calendar (0);
    gl_calendar_day (utc, INT64_C (1790784000000), &day);
    assert_int_equal (day.kind, GL_DAY_WORKDAY);
    gl_calendar_destroy (&utc);
    assert_null (utc);
}

static void
test_a_malformed_date_is_refused (void **state)
{
    const char *bad [] = {
        "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01", "2026-01-1",
        "", "2026-10-01x", "2026-10-01T09:00", "abcd-ef-gh", "0000-01-01", " 2026-10-01"
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        gl_day_t day = { .kind = GL_DAY_WEEKEND, .name = "untouched" };
        if (gl_calendar_date (s_cal, bad [i], &day) == 0)
            fail_msg ("\"%s\" accepted as a date", bad [i]);
        assert_string_equal (day.name, "untouched");
    }
    assert_int_equal (gl_calendar_date (s_cal, NULL, NULL), -1);
    s_kind ("2028-02-29", GL_DAY_WORKDAY, "", false, false);
}

static void
test_local_time_is_read_and_written_in_county_time (void **state)
{
    int64_t ms;
    assert_int_equal (gl_calendar_parse_time (s_cal, "2026-09-30T16:20", &ms), 0);
    assert_true (ms == INT64_C (1790756400000));
    assert_int_equal (gl_calendar_parse_time (s_cal, "2026-09-30 16:20", &ms), 0);
    assert_true (ms == INT64_C (1790756400000));
    assert_int_equal (gl_calendar_parse_time (s_cal, "2026-10-01", &ms), 0);
    assert_true (ms == INT64_C (1790784000000));
    assert_int_equal (gl_calendar_parse_time (s_cal, "2026-09-30T16:20:30", &ms), 0);
    assert_true (ms == INT64_C (1790756430000));
    const char *bad [] = { "2026-09-30T24:00", "2026-09-30T16:60", "2026-09-30T16", "now",
                           "2026-09-30T16:20:", "2026-09-30X16:20", "2026-02-30T10:00" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        if (gl_calendar_parse_time (s_cal, bad [i], &ms) == 0)
            fail_msg ("\"%s\" accepted as a time", bad [i]);
    assert_string_equal (s_show (INT64_C (1790756400000)), "2026-09-30 16:20 (周三)");
    assert_string_equal (s_show (s_at ("2026-09-29T11:59:59.500")),
                         "2026-09-29 11:59:59.500 (周二)");
    assert_string_equal (s_show (s_at ("2026-09-29T11:59:59")), "2026-09-29 11:59:59 (周二)");
}

//  ---------------------------------------------------------------------------------------------
//  Working-time arithmetic, hand-checked

static void
test_add_inside_one_day (void **state)
{
    s_add ("2026-09-29T09:00", 60, true, "2026-09-29T10:00");
    s_add ("2026-09-29T09:00", 179, true, "2026-09-29T11:59");
    s_add ("2026-09-29T09:00", 181, true, "2026-09-29T14:01");
    s_add ("2026-09-29T10:15", 300, true, "2026-09-29T17:15");          //  over lunch
    s_add ("2026-09-29T09:00", 421, true, "2026-09-30T09:01");
}

static void
test_add_across_a_weekend (void **state)
{
    s_add ("2026-03-06T17:00", 120, true, "2026-03-09T10:00");          //  Fri → Mon
    s_add ("2026-03-06T09:00", 5 * 420, true, "2026-03-12T18:00");      //  5wd: Fri … Thu
    s_add ("2026-03-07T10:00", 60, true, "2026-03-09T10:00");           //  from Saturday
}

static void
test_add_across_national_day_ends_on_the_makeup_saturday (void **state)
{
    //  09-30 16:20–18:00 100 min; 10-01 … 10-07 off; 10-08 420; 10-09 420; 10-10 (Saturday,
    //  国庆节调休上班) 09:00–12:00 and 14:00–15:20: 260. 100 + 420 + 420 + 260 = 1200.
    s_add ("2026-09-30T16:20", 1200, true, "2026-10-10T15:20");
    //  4wd from 09-30 09:00: 09-30, 10-08, 10-09 and the make-up 10-10, due at its closing.
    s_add ("2026-09-30T09:00", 4 * 420, true, "2026-10-10T18:00");
    //  One minute more skips Sunday 10-11.
    s_add ("2026-09-30T09:00", 4 * 420 + 1, true, "2026-10-12T09:01");
    //  The make-up Sunday before: 09-18 (Friday) 18:00 + 30 min is 09-20 (Sunday) 09:30.
    s_add ("2026-09-18T18:00", 30, true, "2026-09-20T09:30");
    //  中秋节 (09-25 … 09-27) then the week before 国庆节: Thursday 09-24 17:00 + 1wd.
    s_add ("2026-09-24T17:00", 420, true, "2026-09-28T17:00");
}

static void
test_add_across_spring_festival_with_its_makeup_days (void **state)
{
    //  02-13 (Friday) 17:00–18:00 60; 02-14 (Saturday, 春节调休上班) 420; 02-15 … 02-23 off;
    //  02-24 09:00–12:00 180 and 14:00–17:00 180. 60 + 420 + 360 = 840.
    s_add ("2026-02-13T17:00", 840, true, "2026-02-24T17:00");
    //  From 02-24: four workdays end on Friday 02-27; the fifth is Saturday 02-28 (春节调休上班);
    //  the sixth skips Sunday 03-01.
    s_add ("2026-02-24T09:00", 4 * 420, true, "2026-02-27T18:00");
    s_add ("2026-02-24T09:00", 5 * 420, true, "2026-02-28T18:00");
    s_add ("2026-02-24T09:00", 6 * 420, true, "2026-03-02T18:00");
    //  From inside the holiday: the clock starts on 02-24.
    s_add ("2026-02-18T10:00", 30, true, "2026-02-24T09:30");
}

static void
test_a_start_outside_working_time_starts_at_the_next_opening (void **state)
{
    s_add ("2026-09-29T07:30", 30, true, "2026-09-29T09:30");           //  before opening
    s_add ("2026-09-29T00:00", 30, true, "2026-09-29T09:30");
    s_add ("2026-09-29T12:30", 30, true, "2026-09-29T14:30");           //  at lunch
    s_add ("2026-09-29T12:00", 30, true, "2026-09-29T14:30");           //  at noon exactly
    s_add ("2026-09-29T18:00", 30, true, "2026-09-30T09:30");           //  at 18:00 exactly
    s_add ("2026-09-29T22:45", 30, true, "2026-09-30T09:30");           //  in the evening
    s_add ("2026-10-03T10:00", 30, true, "2026-10-08T09:30");           //  on a holiday
    s_add ("2026-05-01T09:00", 420, true, "2026-05-06T18:00");          //  劳动节 day one
}

static void
test_seconds_and_milliseconds_of_the_start_are_kept (void **state)
{
    s_add ("2026-09-29T10:15:30.250", 60, true, "2026-09-29T11:15:30.250");
    //  Half a second before noon: 0.5 s counts in the morning, the rest from 14:00.
    s_add ("2026-09-29T11:59:59.500", 1, true, "2026-09-29T14:00:59.500");
    s_add ("2026-09-29T11:59:59.500", 60, true, "2026-09-29T14:59:59.500");
    s_add ("2026-09-29T17:59:59.500", 1, true, "2026-09-30T09:00:59.500");
}

static void
test_minutes_running_out_at_a_periods_end_give_that_end (void **state)
{
    s_add ("2026-09-29T17:00", 60, true, "2026-09-29T18:00");           //  not 09-30 09:00
    s_add ("2026-09-29T11:00", 60, true, "2026-09-29T12:00");           //  not 14:00
    s_add ("2026-09-29T09:00", 420, true, "2026-09-29T18:00");
    s_add ("2026-09-30T09:00", 420, true, "2026-09-30T18:00");          //  the eve of 国庆节
    //  Zero minutes: inside working time, the instant itself; outside, the next opening.
    s_add ("2026-09-29T10:00", 0, true, "2026-09-29T10:00");
    s_add ("2026-09-29T09:00", 0, true, "2026-09-29T09:00");
    s_add ("2026-09-29T12:00", 0, true, "2026-09-29T14:00");
    s_add ("2026-09-29T18:00", 0, true, "2026-09-30T09:00");
    s_add ("2026-10-01T10:00", 0, true, "2026-10-08T09:00");
    //  Negative minutes count as none.
    s_add ("2026-09-29T10:00", -30, true, "2026-09-29T10:00");
}

static void
test_half_a_working_day_is_210_minutes (void **state)
{
    int64_t minutes;
    bool working;
    gl_err_t err;
    assert_int_equal (gl_duration_parse ("0.5wd", s_cal, &minutes, &working, &err), 0);
    assert_int_equal (minutes, 210);
    assert_true (working);
    s_add ("2026-09-29T09:00", minutes, true, "2026-09-29T14:30");
    s_add ("2026-09-29T14:00", minutes, true, "2026-09-29T17:30");
    s_add ("2026-09-29T15:00", minutes, true, "2026-09-30T09:30");
    assert_int_equal (gl_duration_parse ("1.5wd", s_cal, &minutes, &working, &err), 0);
    s_add ("2026-09-29T09:00", minutes, true, "2026-09-30T14:30");
}

static void
test_natural_time_counts_every_minute (void **state)
{
    //  Across midnight onto a holiday: natural time does not care (UTC+8, no DST).
    s_add ("2026-09-30T23:30", 60, false, "2026-10-01T00:30");
    s_add ("2026-09-30T16:20", 1440, false, "2026-10-01T16:20");
    s_add ("2026-09-30T16:20", 7 * 1440, false, "2026-10-07T16:20");
    s_add ("2026-12-31T23:59:30", 1, false, "2027-01-01T00:00:30");
    s_add ("2026-10-01T10:00", -90, false, "2026-10-01T08:30");
    int64_t start = s_at ("2026-03-01T02:00");
    for (int64_t m = 0; m < 200000; m += 9973)
        assert_true (gl_calendar_add (s_cal, start, m, false) == start + m * MINUTE_MS);
    gl_day_t day;
    gl_calendar_day (s_cal, gl_calendar_add (s_cal, s_at ("2026-09-30T23:30"), 60, false), &day);
    assert_int_equal (day.kind, GL_DAY_HOLIDAY);
}

static void
test_a_whole_year_and_a_century_are_counted_exactly (void **state)
{
    //  2026 holds 248 working days: from its first instant, 248wd ends at its last closing.
    s_add ("2026-01-01T00:00", 248 * 420, true, "2026-12-31T18:00");
    assert_int_equal (gl_calendar_between (s_cal, s_at ("2026-01-01"), s_at ("2027-01-01"),
                                           true), 248 * 420);
    //  2027 (provisional) has 254; beyond 2027 every week holds five working days.
    assert_int_equal (gl_calendar_between (s_cal, s_at ("2027-01-01"), s_at ("2028-01-01"),
                                           true), 254 * 420);
    //  2028-01-03 is a Monday: 100 weeks of 5 working days end on Friday 2029-11-30.
    s_add ("2028-01-03T09:00", 100 * 5 * 420, true, "2029-11-30T18:00");
    assert_int_equal (gl_calendar_between (s_cal, s_at ("2028-01-03"), s_at ("2029-12-03"),
                                           true), 100 * 5 * 420);
    //  The longest span there is comes back whole, and quickly.
    int64_t start = s_at ("2026-09-29T10:00");
    int64_t far = gl_calendar_add (s_cal, start, GL_CALENDAR_MAX_MINUTES, true);
    assert_true (far > start + INT64_C (400) * 365 * DAY_MS);
    assert_true (gl_calendar_between (s_cal, start, far, true) == GL_CALENDAR_MAX_MINUTES);
    assert_true (gl_calendar_add (s_cal, start, INT64_MAX, true) == far);
    //  Absurd instants are bounded, not overflowed.
    assert_true (gl_calendar_between_ms (s_cal, INT64_MIN, INT64_MAX, false)
                 == 2 * GL_CALENDAR_LIMIT_MS);
    assert_true (gl_calendar_between (s_cal, INT64_MIN, INT64_MAX, true) > 0);
    assert_true (gl_calendar_add (s_cal, INT64_MAX, 60, true) > GL_CALENDAR_LIMIT_MS);
}

//  ---------------------------------------------------------------------------------------------
//  Elapsed time, pausing and resuming

static void
test_between_counts_working_or_natural_minutes_rounded_down (void **state)
{
    int64_t a = s_at ("2026-09-29T10:00");
    assert_int_equal (gl_calendar_between (s_cal, a, s_at ("2026-09-29T11:00"), true), 60);
    assert_int_equal (gl_calendar_between (s_cal, a, s_at ("2026-09-29T15:00"), true), 180);
    assert_int_equal (gl_calendar_between (s_cal, a, s_at ("2026-09-29T20:00"), true), 360);
    assert_int_equal (gl_calendar_between (s_cal, a, s_at ("2026-09-29T20:00"), false), 600);
    //  Across 国庆节: 09-29 360, 09-30 420, 10-08 09:00–10:00 60.
    assert_int_equal (gl_calendar_between (s_cal, a, s_at ("2026-10-08T10:00"), true), 840);
    //  Rounded down, the ms exact.
    int64_t b = s_at ("2026-09-29T10:00:59.999");
    assert_int_equal (gl_calendar_between (s_cal, a, b, true), 0);
    assert_int_equal (gl_calendar_between_ms (s_cal, a, b, true), 59999);
    assert_int_equal (gl_calendar_between_ms (s_cal, s_at ("2026-09-29T11:59:59.500"),
                                              s_at ("2026-09-29T14:00:00.250"), true), 750);
    //  Nothing when to is not after from, or the span has no working time.
    assert_int_equal (gl_calendar_between (s_cal, b, a, true), 0);
    assert_int_equal (gl_calendar_between (s_cal, a, a, false), 0);
    assert_int_equal (gl_calendar_between (s_cal, s_at ("2026-10-01"), s_at ("2026-10-08"),
                                           true), 0);
    assert_int_equal (gl_calendar_between (s_cal, s_at ("2026-09-29T12:00"),
                                           s_at ("2026-09-29T14:00"), true), 0);
}

//  Instants spread over a month with holidays and make-up days, at odd minutes and seconds.
static int64_t
s_sample (int i)
{
    return s_at ("2026-09-17T00:00") + (int64_t) i * (97 * MINUTE_MS + 1250);
}

static void
test_pausing_and_resuming_never_passes_the_pause (void **state)
{
    for (int i = 0; i < 400; i++)
        for (int j = i; j < 400; j += 7) {
            int64_t from = s_sample (i), to = s_sample (j);
            int64_t elapsed = gl_calendar_between (s_cal, from, to, true);
            int64_t resumed = gl_calendar_add (s_cal, from, elapsed, true);
            //  The clock had started: it cannot have run past the pause.
            if (elapsed > 0 || gl_calendar_add (s_cal, from, 0, true) <= to) {
                if (resumed > to)
                    fail_msg ("add (%s, between = %lld) = %s, after %s", s_show (from),
                              (long long) elapsed, s_show (resumed), s_show (to));
            }
            //  And no whole working minute is lost: one more is beyond the pause.
            assert_true (gl_calendar_add (s_cal, from, elapsed + 1, true) > to);
        }
}

static void
test_splitting_a_span_into_two_adds_changes_nothing (void **state)
{
    static const int64_t parts [] = { 1, 59, 60, 179, 180, 181, 209, 210, 420, 421, 1200, 2100 };
    size_t n = sizeof parts / sizeof parts [0];
    for (int i = 0; i < 300; i += 3)
        for (size_t a = 0; a < n; a++)
            for (size_t b = 0; b < n; b++) {
                int64_t s = s_sample (i);
                int64_t two = gl_calendar_add (s_cal, gl_calendar_add (s_cal, s, parts [a], true),
                                               parts [b], true);
                int64_t one = gl_calendar_add (s_cal, s, parts [a] + parts [b], true);
                if (one != two)
                    fail_msg ("from %s: +%lld +%lld = %s, but +%lld = %s", s_show (s),
                              (long long) parts [a], (long long) parts [b], s_show (two),
                              (long long) (parts [a] + parts [b]), s_show (one));
            }
    //  A suspension: 300 min due; paused after 100, resumed two days later with 200 to go.
    int64_t from = s_at ("2026-09-29T09:00");
    int64_t pause = s_at ("2026-09-29T10:40"), resume = s_at ("2026-10-09T09:00");
    int64_t elapsed = gl_calendar_between (s_cal, from, pause, true);
    assert_int_equal (elapsed, 100);
    assert_true (gl_calendar_add (s_cal, resume, 300 - elapsed, true)
                 == s_at ("2026-10-09T14:20"));
}

/*  The model: a minute of the 2026 calendar is working when its day is a make-up day, or a
    Monday … Friday outside the holidays, and it lies in 09:00–12:00 or 14:00–18:00. Written
    from the test's own copy of the schedule; the days of 2026 are worked out once.  */
static bool
s_model_working (int64_t minute_ms)
{
    static bool ready, working [366];
    static int64_t year;
    if (!ready) {
        year = s_at ("2026-01-01");
        for (int d = 0; d < 365; d++) {
            int64_t midnight = year + d * DAY_MS;
            working [d] = (d + 3) % 7 < 5;          //  2026-01-01 is a Thursday
            for (size_t i = 0; i < sizeof s_holidays_2026 / sizeof s_holidays_2026 [0]; i++)
                if (midnight >= s_at (s_holidays_2026 [i][1])
                &&  midnight <= s_at (s_holidays_2026 [i][2]))
                    working [d] = false;
            for (size_t i = 0; i < sizeof s_makeups_2026 / sizeof s_makeups_2026 [0]; i++)
                if (midnight == s_at (s_makeups_2026 [i][0]))
                    working [d] = true;
        }
        ready = true;
    }
    int64_t d = (minute_ms - year) / DAY_MS, of_day = (minute_ms - year) % DAY_MS / MINUTE_MS;
    assert_true (minute_ms >= year && d < 365);
    return working [d] && ((of_day >= 540 && of_day < 720) || (of_day >= 840 && of_day < 1080));
}

static void
test_add_and_between_agree_with_a_minute_by_minute_model (void **state)
{
    static const int64_t spans [] = { 0, 1, 59, 180, 181, 420, 421, 1000, 2100 };
    //  Whole-minute starts every 37 minutes from 2026-09-16 to 2026-10-14.
    for (int64_t start = s_at ("2026-09-16"); start < s_at ("2026-10-14"); start += 37 * MINUTE_MS)
        for (size_t k = 0; k < sizeof spans / sizeof spans [0]; k++) {
            //  The model's deadline: the end of the last minute counted, or for none, the
            //  first working minute.
            int64_t want = start;
            if (spans [k] == 0)
                while (!s_model_working (want))
                    want += MINUTE_MS;
            for (int64_t counted = 0; counted < spans [k]; want += MINUTE_MS)
                counted += s_model_working (want);
            int64_t got = gl_calendar_add (s_cal, start, spans [k], true);
            if (got != want)
                fail_msg ("%s + %lld: got %s, the model says %s", s_show (start),
                          (long long) spans [k], s_show (got), s_show (want));
            //  between counts what the model counts.
            int64_t to = start + (int64_t) (k * 701 + 13) * MINUTE_MS, model = 0;
            for (int64_t m = start; m < to; m += MINUTE_MS)
                model += s_model_working (m);
            assert_int_equal (gl_calendar_between (s_cal, start, to, true), model);
        }
}

//  ---------------------------------------------------------------------------------------------
//  The explanation

typedef struct {
    char lines [64][400];       //  what trace received
    int count;                  //  lines received
} s_lines_t;

static void
s_collect (void *arg, const char *line)
{
    s_lines_t *lines = arg;
    assert_true (lines->count < 64);
    assert_true (strlen (line) < sizeof lines->lines [0]);
    strcpy (lines->lines [lines->count++], line);
}

static void
test_the_explanation_gives_the_same_deadline_and_reads_well (void **state)
{
    s_lines_t out = { .count = 0 };
    int64_t due = gl_calendar_add_explained (s_cal, s_at ("2026-09-30T16:20"), 1200, true,
                                             s_collect, &out);
    assert_true (due == s_at ("2026-10-10T15:20"));
    assert_int_equal (out.count, 6);
    assert_string_equal (out.lines [0], "from 2026-09-30 16:20 (周三): 1200 min of working time "
                         "to count");
    assert_string_equal (out.lines [1], "2026-09-30 (周三) workday: 16:20–18:00 counts 100 min, "
                         "1100 min left");
    assert_string_equal (out.lines [2], "2026-10-01 (周四) … 2026-10-07 (周三): 7 days off "
                         "(国庆节)");
    assert_string_equal (out.lines [3], "2026-10-08 (周四) … 2026-10-09 (周五): 2 workdays count "
                         "840 min, 260 min left");
    assert_string_equal (out.lines [4], "2026-10-10 (周六) make-up workday 国庆节调休上班: "
                         "09:00–12:00 counts 180 min, 14:00–15:20 counts 80 min, 0 min left");
    assert_string_equal (out.lines [5], "due 2026-10-10 15:20 (周六, 国庆节调休上班)");

    //  A start after closing, a lone weekend day, seconds, and the same result as add.
    out.count = 0;
    due = gl_calendar_add_explained (s_cal, s_at ("2026-10-09T18:30:15"), 421, true,
                                     s_collect, &out);
    assert_true (due == gl_calendar_add (s_cal, s_at ("2026-10-09T18:30:15"), 421, true));
    assert_string_equal (out.lines [1], "2026-10-09 (周五) workday: 18:30:15 is after closing "
                         "(18:00), nothing counted");
    assert_string_equal (out.lines [2], "2026-10-10 (周六) make-up workday 国庆节调休上班: "
                         "09:00–12:00 counts 180 min, 14:00–18:00 counts 240 min, 1 min left");
    assert_string_equal (out.lines [3], "2026-10-11 (周日) weekend: skipped");
    assert_string_equal (out.lines [5], "due 2026-10-12 09:01 (周一)");

    //  Natural time: two lines.
    out.count = 0;
    due = gl_calendar_add_explained (s_cal, s_at ("2026-09-30T16:20"), 1440, false, s_collect,
                                     &out);
    assert_true (due == s_at ("2026-10-01T16:20"));
    assert_int_equal (out.count, 2);
    assert_string_equal (out.lines [1], "due 2026-10-01 16:20 (周四, holiday 国庆节)");

    //  Over a span reaching past the file: weeks by the rule make one line; and every sample
    //  gives add's result, traced or not.
    out.count = 0;
    due = gl_calendar_add_explained (s_cal, s_at ("2028-01-03"), 100 * 5 * 420, true,
                                     s_collect, &out);
    assert_true (due == s_at ("2029-11-30T18:00"));
    assert_non_null (strstr (out.lines [1], "99 weeks, not in the calendar"));
    for (int i = 0; i < 200; i += 7) {
        out.count = 0;
        int64_t s = s_sample (i);
        assert_true (gl_calendar_add_explained (s_cal, s, 2100, true, s_collect, &out)
                     == gl_calendar_add (s_cal, s, 2100, true));
        assert_int_equal (strncmp (out.lines [out.count - 1], "due ", 4), 0);
    }
    //  No trace function: the plain result.
    assert_true (gl_calendar_add_explained (s_cal, s_at ("2026-09-30T16:20"), 1200, true, NULL,
                                            NULL) == s_at ("2026-10-10T15:20"));
}

//  ---------------------------------------------------------------------------------------------
//  Durations

static void
s_parses (const char *text, int64_t minutes, bool working)
{
    int64_t got = -1;
    bool w = !working;
    gl_err_t err = { GL_OK, "" };
    if (gl_duration_parse (text, s_cal, &got, &w, &err))
        fail_msg ("\"%s\" refused: %s", text, err.message);
    if (got != minutes || w != working)
        fail_msg ("\"%s\": %lld %s, expected %lld %s", text, (long long) got,
                  w? "working": "natural", (long long) minutes, working? "working": "natural");
}

static void
test_durations_are_read_in_every_form (void **state)
{
    s_parses ("30m", 30, false);
    s_parses ("2h", 120, false);
    s_parses ("1d", 1440, false);
    s_parses ("1.5h", 90, false);
    s_parses ("0.25d", 360, false);
    s_parses ("30wm", 30, true);
    s_parses ("4wh", 240, true);
    s_parses ("5wd", 2100, true);
    s_parses ("0.5wd", 210, true);
    s_parses ("3.5wh", 210, true);
    s_parses ("0m", 0, false);
    s_parses ("007wm", 7, true);
    s_parses ("0.05h", 3, false);
    s_parses ("36500d", 36500 * 1440, false);
}

static void
s_refuses (const char *text, gl_calendar_t *cal, const char *word)
{
    int64_t minutes = 77;
    bool working = false;
    gl_err_t err = { GL_OK, "" };
    if (gl_duration_parse (text, cal, &minutes, &working, &err) == 0)
        fail_msg ("\"%s\" accepted as %lld min", text, (long long) minutes);
    assert_int_equal (err.code, GL_INVALID);
    assert_int_equal (minutes, 77);
    if (!strstr (err.message, word))
        fail_msg ("message \"%s\" does not contain \"%s\"", err.message, word);
}

static void
test_durations_in_any_other_form_are_refused_listing_the_forms (void **state)
{
    const char *forms = "30m, 2h, 1d";
    s_refuses ("", s_cal, forms);
    s_refuses ("5", s_cal, forms);
    s_refuses ("m", s_cal, forms);
    s_refuses ("-1h", s_cal, forms);
    s_refuses ("1 h", s_cal, forms);
    s_refuses ("1H", s_cal, forms);
    s_refuses ("2hours", s_cal, forms);
    s_refuses ("1.h", s_cal, forms);
    s_refuses (".5h", s_cal, forms);
    s_refuses ("1e3m", s_cal, forms);
    s_refuses ("1w", s_cal, forms);
    s_refuses ("5wd ", s_cal, forms);
    s_refuses (NULL, s_cal, forms);
    s_refuses ("1.5m", s_cal, "minutes are whole");
    s_refuses ("1.5wm", s_cal, "minutes are whole");
    s_refuses ("0.01h", s_cal, "not a whole number of minutes");
    s_refuses ("0.001wd", s_cal, "a working day is 420 min");
    s_refuses ("1.1234567h", s_cal, "too many digits");
    s_refuses ("36526d", s_cal, "longer than 100 years");
    s_refuses ("1wd", NULL, "working days need the calendar");
    s_parses ("1wh", 60, true);                     //  hours need no calendar …
    int64_t minutes;
    bool working;
    gl_err_t err;
    assert_int_equal (gl_duration_parse ("2wh", NULL, &minutes, &working, &err), 0);
    assert_int_equal (minutes, 120);
}

static void
s_formats (int64_t minutes, bool working, const char *want)
{
    char buf [32];
    gl_duration_format (minutes, working, s_cal, buf, sizeof buf);
    if (strcmp (buf, want))
        fail_msg ("%lld %s min: \"%s\", expected \"%s\"", (long long) minutes,
                  working? "working": "natural", buf, want);
}

static void
test_durations_are_written_in_the_shortest_exact_form_and_read_back (void **state)
{
    s_formats (2100, true, "5wd");
    s_formats (120, false, "2h");
    s_formats (90, false, "90m");
    s_formats (210, true, "3.5wh");                 //  a tie with 0.5wd and 210wm: hours
    s_formats (0, false, "0m");
    s_formats (0, true, "0wm");
    s_formats (1440, false, "1d");
    s_formats (720, false, "12h");
    s_formats (2160, false, "36h");
    s_formats (2880, false, "2d");
    s_formats (630, true, "1.5wd");
    s_formats (30, true, "30wm");
    s_formats (45, false, "45m");
    s_formats (420, false, "7h");
    s_formats (420, true, "1wd");
    s_formats (-90, false, "-90m");
    //  Without a calendar there are no working days.
    char buf [32];
    gl_duration_format (2100, true, NULL, buf, sizeof buf);
    assert_string_equal (buf, "35wh");
    //  A small buffer is cut, never overrun.
    gl_duration_format (2100, true, s_cal, buf, 3);
    assert_string_equal (buf, "5w");
    //  Every span up to a few days reads back as itself.
    for (int64_t m = 0; m <= 6000; m++)
        for (int w = 0; w < 2; w++) {
            char text [32];
            int64_t back;
            bool working;
            gl_err_t err;
            gl_duration_format (m, w, s_cal, text, sizeof text);
            if (gl_duration_parse (text, s_cal, &back, &working, &err) || back != m
            ||  working != w)
                fail_msg ("%lld %s min is written \"%s\", which reads back as %lld", (long long) m,
                          w? "working": "natural", text, (long long) back);
        }
}

//  ---------------------------------------------------------------------------------------------
//  Loader refusals: each names the file, the entry and the problem

static void
test_a_minimal_calendar_loads (void **state)
{
    gl_err_t err = { GL_OK, "" };
    gl_calendar_t *cal = gl_calendar_load_text (S_YEAR (S_NATIONAL, "{\"date\": \"2026-10-10\", "
                                                "\"name\": \"国庆节调休上班\"}"), 480, &err);
    if (!cal)
        fail_msg ("%s", err.message);
    gl_calendar_destroy (&cal);
    //  Notes, provisional, touching periods, an empty weekend and no years are all fine.
    cal = gl_calendar_load_text ("{\"note\": \"n\", \"working_hours\": [[\"00:00\", \"12:00\"], "
                                 "[\"12:00\", \"24:00\"]], \"weekend\": [], \"years\": {\"2027\": "
                                 "{\"source\": \"s\", \"note\": \"n\", \"provisional\": false, "
                                 "\"holidays\": [], \"workdays\": []}}}", 480, &err);
    if (!cal)
        fail_msg ("%s", err.message);
    assert_int_equal (gl_calendar_day_minutes (cal), 1440);
    gl_calendar_destroy (&cal);
    cal = gl_calendar_load_text ("{" S_HOURS ", " S_WEEKEND ", \"years\": {}}", -300, &err);
    assert_non_null (cal);
    gl_calendar_destroy (&cal);
}

static void
test_malformed_json_is_refused_with_its_line (void **state)
{
    s_refused ("{\"working_hours\": [", "not valid JSON", "line 1", NULL);
    s_refused ("", "not valid JSON", NULL);
    s_refused ("[1, 2]", "top level must be a JSON object", NULL);
    s_refused ("{" S_HOURS ", " S_HOURS ", " S_WEEKEND ", \"years\": {}}", "not valid JSON",
               "duplicate", NULL);
}

static void
test_an_unknown_key_is_refused_naming_its_entry (void **state)
{
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"years\": {}, \"holidays\": []}",
               "unknown key 'holidays'", "working_hours, weekend, years, note", NULL);
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"years\": {\"2026\": {\"source\": \"s\", "
               "\"holidays\": [], \"workdays\": [], \"provisonal\": true}}}",
               "(text): years.2026: unknown key 'provisonal'", NULL);
    s_refused (S_YEAR ("{\"name\": \"元旦\", \"from\": \"2026-01-01\", \"until\": \"2026-01-03\"}",
                       ""), "years.2026.holidays[0]: unknown key 'until'", NULL);
    s_refused (S_YEAR ("", "{\"date\": \"2026-10-10\", \"name\": \"x\", \"why\": \"y\"}"),
               "years.2026.workdays[0]: unknown key 'why'", NULL);
}

static void
test_a_missing_key_is_refused_naming_its_entry (void **state)
{
    s_refused ("{" S_HOURS ", \"years\": {}}", "(text): 'weekend' is missing", NULL);
    s_refused ("{" S_WEEKEND ", \"years\": {}}", "'working_hours' is missing", NULL);
    s_refused ("{" S_HOURS ", " S_WEEKEND "}", "'years' is missing", NULL);
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"years\": {\"2026\": {\"holidays\": [], "
               "\"workdays\": []}}}", "years.2026: 'source' is missing", NULL);
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"years\": {\"2026\": {\"source\": \"s\", "
               "\"holidays\": []}}}", "years.2026: 'workdays' is missing", NULL);
    s_refused (S_YEAR (S_NATIONAL ", {\"name\": \"元旦\", \"from\": \"2026-01-01\"}", ""),
               "years.2026.holidays[1]: 'to' is missing", NULL);
    s_refused (S_YEAR ("", "{\"date\": \"2026-10-10\"}"),
               "years.2026.workdays[0]: 'name' is missing", NULL);
    s_refused (S_YEAR ("{\"name\": \"\", \"from\": \"2026-01-01\", \"to\": \"2026-01-01\"}", ""),
               "years.2026.holidays[0]: 'name' is empty", NULL);
}

static void
test_a_bad_date_is_refused_naming_its_entry (void **state)
{
    s_refused (S_YEAR (S_NATIONAL ", {\"name\": \"春节\", \"from\": \"2026-02-30\", "
                       "\"to\": \"2026-03-01\"}", ""),
               "years.2026.holidays[1]: 'from' is \"2026-02-30\"; expected a real date "
               "YYYY-MM-DD", NULL);
    s_refused (S_YEAR ("{\"name\": \"国庆节\", \"from\": \"2026/10/01\", \"to\": \"2026-10-07\"}",
                       ""), "years.2026.holidays[0]: 'from' is \"2026/10/01\"", NULL);
    s_refused (S_YEAR ("{\"name\": \"国庆节\", \"from\": \"2026-10-01\", \"to\": 20261007}", ""),
               "years.2026.holidays[0]: 'to' must be a string", NULL);
    s_refused (S_YEAR ("", "{\"date\": \"2026-10-10T09:00\", \"name\": \"x\"}"),
               "years.2026.workdays[0]: 'date' is \"2026-10-10T09:00\"", NULL);
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"years\": {\"26\": {}}}",
               "years.26: a year is written with four digits", NULL);
}

static void
test_a_date_outside_its_year_is_refused (void **state)
{
    s_refused (S_YEAR ("{\"name\": \"元旦\", \"from\": \"2025-12-30\", \"to\": \"2026-01-01\"}",
                       ""), "years.2026.holidays[0]: 'from' 2025-12-30 is not in 2026",
               "under \"2025\"", NULL);
    s_refused (S_YEAR ("", "{\"date\": \"2027-01-02\", \"name\": \"x\"}"),
               "years.2026.workdays[0]: 'date' 2027-01-02 is not in 2026", NULL);
}

static void
test_to_before_from_is_refused (void **state)
{
    s_refused (S_YEAR (S_NATIONAL ", {\"name\": \"劳动节\", \"from\": \"2026-05-05\", "
                       "\"to\": \"2026-05-01\"}", ""),
               "years.2026.holidays[1]: 'to' 2026-05-01 is before 'from' 2026-05-05", NULL);
}

static void
test_overlapping_holidays_are_refused_naming_both (void **state)
{
    s_refused (S_YEAR (S_NATIONAL ", {\"name\": \"中秋节\", \"from\": \"2026-09-25\", "
                       "\"to\": \"2026-10-01\"}", ""),
               "years.2026.holidays[1]: 2026-09-25 … 2026-10-01 (中秋节) overlaps holidays[0] "
               "2026-10-01 … 2026-10-07 (国庆节)", NULL);
    //  Touching ranges are two holidays, not an overlap.
    gl_err_t err;
    gl_calendar_t *cal = gl_calendar_load_text (S_YEAR (S_NATIONAL ", {\"name\": \"中秋节\", "
                                                "\"from\": \"2026-09-25\", \"to\": "
                                                "\"2026-09-30\"}", ""), 480, &err);
    assert_non_null (cal);
    gl_calendar_destroy (&cal);
}

static void
test_a_makeup_day_that_is_not_a_weekend_day_is_refused (void **state)
{
    s_refused (S_YEAR (S_NATIONAL, "{\"date\": \"2026-10-09\", \"name\": \"国庆节调休上班\"}"),
               "years.2026.workdays[0]: 2026-10-09 is a 周五 (day 5), not a weekend day "
               "(weekend: 6, 7)", NULL);
}

static void
test_a_makeup_day_inside_a_holiday_is_refused (void **state)
{
    s_refused (S_YEAR (S_NATIONAL, "{\"date\": \"2026-10-10\", \"name\": \"a\"}, "
                       "{\"date\": \"2026-10-04\", \"name\": \"b\"}"),
               "years.2026.workdays[1]: 2026-10-04 falls in holidays[0] 国庆节", NULL);
    s_refused (S_YEAR ("", "{\"date\": \"2026-10-10\", \"name\": \"a\"}, "
                       "{\"date\": \"2026-10-10\", \"name\": \"b\"}"),
               "years.2026.workdays[1]: 2026-10-10 is already workdays[0]", NULL);
}

static void
test_bad_working_hours_are_refused (void **state)
{
#define S_HOURS_WITH(h) "{\"working_hours\": " h ", " S_WEEKEND ", \"years\": {}}"
    s_refused (S_HOURS_WITH ("[[\"9:00\", \"12:00\"]]"),
               "working_hours[0]: the opening is \"9:00\"; expected a time \"HH:MM\"", NULL);
    s_refused (S_HOURS_WITH ("[[\"09:00\", \"25:00\"]]"), "working_hours[0]: the closing is "
               "\"25:00\"", NULL);
    s_refused (S_HOURS_WITH ("[[\"09:00\", \"12:60\"]]"), "working_hours[0]", "\"12:60\"", NULL);
    s_refused (S_HOURS_WITH ("[[\"09:00\", \"24:30\"]]"), "working_hours[0]", "\"24:30\"", NULL);
    s_refused (S_HOURS_WITH ("[[\"09:00\", 12]]"), "working_hours[0]: the closing is not a "
               "string", NULL);
    s_refused (S_HOURS_WITH ("[[\"09:00\", \"12:00\"], [\"18:00\", \"14:00\"]]"),
               "working_hours[1]: 18:00–14:00 does not end after it starts", NULL);
    s_refused (S_HOURS_WITH ("[[\"09:00\", \"09:00\"]]"), "working_hours[0]: 09:00–09:00 does "
               "not end after it starts", NULL);
    s_refused (S_HOURS_WITH ("[[\"09:00\", \"12:00\"], [\"11:00\", \"18:00\"]]"),
               "working_hours[1]: 11:00–18:00 starts before the previous period ends (12:00)",
               NULL);
    s_refused (S_HOURS_WITH ("[[\"14:00\", \"18:00\"], [\"09:00\", \"12:00\"]]"),
               "working_hours[1]: 09:00–12:00 starts before the previous period ends (18:00); "
               "list the periods in order", NULL);
    s_refused (S_HOURS_WITH ("[]"), "working_hours: is empty; a working day needs at least one "
               "period", NULL);
    s_refused (S_HOURS_WITH ("[[\"09:00\", \"12:00\", \"13:00\"]]"), "working_hours[0]: must "
               "be a period", NULL);
    s_refused (S_HOURS_WITH ("\"09:00-18:00\""), "working_hours: must be an array", NULL);
#undef S_HOURS_WITH
}

static void
test_bad_weekend_day_numbers_are_refused (void **state)
{
#define S_WEEKEND_WITH(w) "{" S_HOURS ", \"weekend\": " w ", \"years\": {}}"
    s_refused (S_WEEKEND_WITH ("[6, 0]"), "weekend[1]: is not a day number; expected 1 "
               "(Monday) … 7 (Sunday)", NULL);
    s_refused (S_WEEKEND_WITH ("[8]"), "weekend[0]: is not a day number", NULL);
    s_refused (S_WEEKEND_WITH ("[\"6\"]"), "weekend[0]: is not a day number", NULL);
    s_refused (S_WEEKEND_WITH ("[6.0]"), "weekend[0]: is not a day number", NULL);
    s_refused (S_WEEKEND_WITH ("[6, 7, 6]"), "weekend[2]: day 6 is listed twice", NULL);
    s_refused (S_WEEKEND_WITH ("[1, 2, 3, 4, 5, 6, 7]"), "weekend: lists all seven days", NULL);
    s_refused (S_WEEKEND_WITH ("6"), "weekend: must be an array of day numbers", NULL);
#undef S_WEEKEND_WITH
}

static void
test_other_refusals_name_the_entry (void **state)
{
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"years\": []}", "years: must be an object", NULL);
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"years\": {\"2026\": []}}",
               "years.2026: must be an object", NULL);
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"years\": {\"2026\": {\"source\": \"s\", "
               "\"provisional\": \"yes\", \"holidays\": [], \"workdays\": []}}}",
               "years.2026: 'provisional' must be true or false", NULL);
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"note\": 5, \"years\": {}}",
               "'note' must be a string", NULL);
    s_refused (S_YEAR ("\"国庆节\"", ""), "years.2026.holidays[0]: must be an object", NULL);
    s_refused ("{" S_HOURS ", " S_WEEKEND ", \"years\": {\"2026\": {\"source\": \"s\", "
               "\"holidays\": {}, \"workdays\": []}}}", "years.2026: 'holidays' must be an "
               "array", NULL);
    //  The offset, and a file that is not there or not JSON: named by its path.
    gl_err_t err;
    assert_null (gl_calendar_load_text ("{}", 900, &err));
    assert_non_null (strstr (err.message, "UTC offset 900"));
    assert_null (gl_calendar_load ("/nonexistent/calendar.json", 480, &err));
    assert_non_null (strstr (err.message, "/nonexistent/calendar.json: no such file"));
    char path [] = "/tmp/gl-test-calendar-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    const char *text = "{\n  \"weekend\": [6, 7],\n  oops\n}\n";
    assert_true (write (fd, text, strlen (text)) == (ssize_t) strlen (text));
    close (fd);
    assert_null (gl_calendar_load (path, 480, &err));
    unlink (path);
    assert_non_null (strstr (err.message, path));
    assert_non_null (strstr (err.message, "line 3"));
}

static void
test_destroy_is_safe_on_null_and_nulls_the_pointer (void **state)
{
    gl_calendar_destroy (NULL);
    gl_calendar_t *cal = NULL;
    gl_calendar_destroy (&cal);
    gl_err_t err;
    cal = gl_calendar_load_text (S_YEAR (S_NATIONAL, ""), 480, &err);
    assert_non_null (cal);
    gl_calendar_destroy (&cal);
    assert_null (cal);
    gl_calendar_destroy (&cal);
}

//  ---------------------------------------------------------------------------------------------
//  `gridloop calendar`

typedef struct {
    int rc;                     //  what cli_calendar returned
    char out [8192];            //  its standard output
    char err [2048];            //  its standard error
} s_run_t;

static void
s_slurp (FILE *file, char *buf, size_t size)
{
    rewind (file);
    size_t n = fread (buf, 1, size - 1, file);
    buf [n] = 0;
    fclose (file);
}

//  Run `gridloop calendar ARGS…` (NULL-terminated) against the calendar at path.
static void
s_cli (s_run_t *run, const char *path, ...)
{
    char *argv [16];
    int argc = 0;
    argv [argc++] = "calendar";
    va_list args;
    va_start (args, path);
    for (char *a = va_arg (args, char *); a && argc < 15; a = va_arg (args, char *))
        argv [argc++] = a;
    va_end (args);
    argv [argc] = NULL;
    gl_config_t cfg;
    gl_config_defaults (&cfg);
    snprintf (cfg.calendar_path, sizeof cfg.calendar_path, "%s", path);
    fflush (stdout);
    fflush (stderr);
    FILE *out = tmpfile (), *err = tmpfile ();
    assert_non_null (out);
    assert_non_null (err);
    int saved_out = dup (1), saved_err = dup (2);
    dup2 (fileno (out), 1);
    dup2 (fileno (err), 2);
    run->rc = cli_calendar (&cfg, argc, argv);
    fflush (stdout);
    fflush (stderr);
    dup2 (saved_out, 1);
    dup2 (saved_err, 2);
    close (saved_out);
    close (saved_err);
    s_slurp (out, run->out, sizeof run->out);
    s_slurp (err, run->err, sizeof run->err);
}

static void
test_cli_tells_a_days_kind_and_lists_days (void **state)
{
    const char *path = u_source_path ("deploy/yunyang/calendar.json");
    char saved [1024];
    snprintf (saved, sizeof saved, "%s", path);
    s_run_t run;
    s_cli (&run, saved, "2026-10-01", NULL);
    assert_int_equal (run.rc, 0);
    assert_string_equal (run.out, "2026-10-01 (周四)  day off      holiday 国庆节\n");
    s_cli (&run, saved, "2027-02-06", NULL);
    assert_int_equal (run.rc, 0);
    assert_non_null (strstr (run.out, "holiday 春节  [2027 is provisional"));
    s_cli (&run, saved, "2030-01-01", NULL);
    assert_non_null (strstr (run.out, "working day  workday  [2030 is not in the calendar"));
    s_cli (&run, saved, "2026-10-09", "--days", "3", NULL);
    assert_int_equal (run.rc, 0);
    assert_string_equal (run.out,
                         "2026-10-09 (周五)  working day  workday\n"
                         "2026-10-10 (周六)  working day  make-up workday 国庆节调休上班\n"
                         "2026-10-11 (周日)  day off      weekend\n");
    //  today, on the manual clock: 2026-10-01 10:00 in the county.
    gl_clock_manual (s_at ("2026-10-01T10:00"));
    s_cli (&run, saved, "today", NULL);
    assert_int_equal (run.rc, 0);
    assert_string_equal (run.out, "2026-10-01 (周四)  day off      holiday 国庆节\n");
}

static void
test_cli_adds_a_duration_and_shows_the_arithmetic (void **state)
{
    char path [1024];
    snprintf (path, sizeof path, "%s", u_source_path ("deploy/yunyang/calendar.json"));
    s_run_t run;
    s_cli (&run, path, "--add", "2026-09-30T16:20", "1200wm", NULL);
    assert_int_equal (run.rc, 0);
    assert_non_null (strstr (run.out, "2026-09-30 (周三) workday: 16:20–18:00 counts 100 min"));
    assert_non_null (strstr (run.out, "\ndue 2026-10-10 15:20 (周六, 国庆节调休上班)\n"));
    s_cli (&run, path, "--add", "2026-09-30", "1d", NULL);
    assert_int_equal (run.rc, 0);
    assert_non_null (strstr (run.out, "due 2026-10-01 00:00 (周四, holiday 国庆节)"));
    gl_clock_manual (s_at ("2026-10-01T10:00"));
    s_cli (&run, path, "--add", "now", "0.5wd", NULL);
    assert_int_equal (run.rc, 0);
    assert_non_null (strstr (run.out, "due 2026-10-08 14:30 (周四)"));
}

static void
test_cli_refuses_bad_usage_with_2_and_a_bad_calendar_with_1 (void **state)
{
    char path [1024];
    snprintf (path, sizeof path, "%s", u_source_path ("deploy/yunyang/calendar.json"));
    s_run_t run;
    const char *bad [][4] = {
        { NULL }, { "--days", "3", NULL }, { "2026-02-30", NULL }, { "tomorrow", NULL },
        { "2026-10-01", "--days", "0", NULL }, { "2026-10-01", "--days", "x", NULL },
        { "2026-10-01", "extra", NULL }, { "--add", "2026-10-01", NULL },
        { "--add", "2026-10-01T25:00", "1wd", NULL }, { "--add", "2026-10-01", "5 days", NULL },
        { "--add", "2026-10-01T10:00:00", "1wd", NULL },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        s_cli (&run, path, bad [i][0], bad [i][1], bad [i][2], NULL);
        if (run.rc != 2)
            fail_msg ("calendar %s %s %s: exit %d, expected 2 (%s)", bad [i][0],
                      bad [i][1]? bad [i][1]: "", bad [i][2]? bad [i][2]: "", run.rc, run.err);
        assert_int_equal (strncmp (run.err, "gridloop: calendar: ", 20), 0);
        assert_non_null (strstr (run.err, "usage: gridloop calendar DATE"));
        assert_string_equal (run.out, "");
    }
    s_cli (&run, path, "--add", "2026-10-01", "5days", NULL);
    assert_non_null (strstr (run.err, "30m, 2h, 1d"));
    //  A calendar that does not load: 1, with the loader's sentence.
    s_cli (&run, "/nonexistent/calendar.json", "2026-10-01", NULL);
    assert_int_equal (run.rc, 1);
    assert_non_null (strstr (run.err, "/nonexistent/calendar.json: no such file"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_bundled_calendar_loads_with_a_420_minute_working_day),
        cmocka_unit_test (test_every_2026_holiday_day_is_a_named_day_off),
        cmocka_unit_test (test_every_2026_makeup_day_is_a_working_weekend_day),
        cmocka_unit_test (test_weekdays_and_weekends_follow_the_rule_between_holidays),
        cmocka_unit_test (test_a_year_outside_the_file_has_weekends_only),
        cmocka_unit_test (test_2027_is_provisional_with_the_statutory_holidays_only),
        cmocka_unit_test (test_the_day_of_an_instant_is_its_county_local_date),
        cmocka_unit_test (test_a_malformed_date_is_refused),
        cmocka_unit_test (test_local_time_is_read_and_written_in_county_time),
        cmocka_unit_test (test_add_inside_one_day),
        cmocka_unit_test (test_add_across_a_weekend),
        cmocka_unit_test (test_add_across_national_day_ends_on_the_makeup_saturday),
        cmocka_unit_test (test_add_across_spring_festival_with_its_makeup_days),
        cmocka_unit_test (test_a_start_outside_working_time_starts_at_the_next_opening),
        cmocka_unit_test (test_seconds_and_milliseconds_of_the_start_are_kept),
        cmocka_unit_test (test_minutes_running_out_at_a_periods_end_give_that_end),
        cmocka_unit_test (test_half_a_working_day_is_210_minutes),
        cmocka_unit_test (test_natural_time_counts_every_minute),
        cmocka_unit_test (test_a_whole_year_and_a_century_are_counted_exactly),
        cmocka_unit_test (test_between_counts_working_or_natural_minutes_rounded_down),
        cmocka_unit_test (test_pausing_and_resuming_never_passes_the_pause),
        cmocka_unit_test (test_splitting_a_span_into_two_adds_changes_nothing),
        cmocka_unit_test (test_add_and_between_agree_with_a_minute_by_minute_model),
        cmocka_unit_test (test_the_explanation_gives_the_same_deadline_and_reads_well),
        cmocka_unit_test (test_durations_are_read_in_every_form),
        cmocka_unit_test (test_durations_in_any_other_form_are_refused_listing_the_forms),
        cmocka_unit_test (test_durations_are_written_in_the_shortest_exact_form_and_read_back),
        cmocka_unit_test (test_a_minimal_calendar_loads),
        cmocka_unit_test (test_malformed_json_is_refused_with_its_line),
        cmocka_unit_test (test_an_unknown_key_is_refused_naming_its_entry),
        cmocka_unit_test (test_a_missing_key_is_refused_naming_its_entry),
        cmocka_unit_test (test_a_bad_date_is_refused_naming_its_entry),
        cmocka_unit_test (test_a_date_outside_its_year_is_refused),
        cmocka_unit_test (test_to_before_from_is_refused),
        cmocka_unit_test (test_overlapping_holidays_are_refused_naming_both),
        cmocka_unit_test (test_a_makeup_day_that_is_not_a_weekend_day_is_refused),
        cmocka_unit_test (test_a_makeup_day_inside_a_holiday_is_refused),
        cmocka_unit_test (test_bad_working_hours_are_refused),
        cmocka_unit_test (test_bad_weekend_day_numbers_are_refused),
        cmocka_unit_test (test_other_refusals_name_the_entry),
        cmocka_unit_test (test_destroy_is_safe_on_null_and_nulls_the_pointer),
        cmocka_unit_test (test_cli_tells_a_days_kind_and_lists_days),
        cmocka_unit_test (test_cli_adds_a_duration_and_shows_the_arithmetic),
        cmocka_unit_test (test_cli_refuses_bad_usage_with_2_and_a_bad_calendar_with_1),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

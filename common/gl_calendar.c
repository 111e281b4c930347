/*  gl_calendar — the working calendar: load and check the file, classify days, count working
    time, explain a deadline, read and write durations.  */
#include "gl_calendar.h"
#include "gl_clock.h"
#include "gl_domain.h"

#include <czmq.h>
#include <jansson.h>
#include <string.h>

#define S_MINUTE_MS     INT64_C (60000)
#define S_DAY_MS        INT64_C (86400000)
#define S_PERIODS_MAX   24      //  periods in one working day: more than any roster needs
#define S_ENTRIES_MAX   366     //  holidays or make-up days in one year: at most one a day
#define S_NAME_MAX      63      //  longest holiday name in bytes (21 Chinese characters), so
                                //  a trace line stays readable
#define S_TEXT_MAX      4096    //  longest source or note in bytes
#define S_FRACTION_MAX  6       //  decimal places a duration may have (0.000001 h is 3.6 ms:
                                //  finer is never meant)
#define S_WHOLE_MAX     12      //  digits before the point: 10^12 days overflow nothing and
                                //  are refused by GL_CALENDAR_MAX_MINUTES anyway
#define S_FAR           (INT64_C (1) << 40)     //  "no covered year ahead": weeks beyond any span
#define S_CLOCK_SIZE    24      //  "HH:MM:SS.mmm" with room the compiler can prove

static const char *const s_weekday_names [8] = {
    "", "周一", "周二", "周三", "周四", "周五", "周六", "周日"
};

//  A run of days off (放假) of one year, in days since 1970-01-01 (local dates).
typedef struct {
    int64_t first;              //  first day off
    int64_t last;               //  last day off, inclusive
    const char *name;           //  e.g. "国庆节"; points into the parsed file
    size_t index;               //  its position in the file's holidays array
} s_holiday_t;

//  A make-up working day (调休上班).
typedef struct {
    int64_t day;                //  days since 1970-01-01
    const char *name;           //  e.g. "国庆节调休上班"; points into the parsed file
} s_makeup_t;

//  One year of the file.
typedef struct {
    int year;                   //  e.g. 2026
    int64_t first_day;          //  its January 1st, days since 1970-01-01
    int64_t last_day;           //  its December 31st
    bool provisional;           //  not the official schedule yet
    s_holiday_t *holidays;      //  holiday_count, sorted by first day
    size_t holiday_count;       //  entries in holidays
    s_makeup_t *makeups;        //  makeup_count, sorted by day
    size_t makeup_count;        //  entries in makeups
} s_year_t;

struct gl_calendar_s {
    json_t *json;               //  the parsed file; every name points into it
    int utc_offset_min;         //  county local time, minutes east of UTC
    int64_t offset_ms;          //  the same in ms
    int period_count;           //  working periods in a working day, at least 1
    int64_t periods [S_PERIODS_MAX][2];     //  [open, close) in ms after local midnight
    int64_t day_ms;             //  working ms in one working day
    unsigned weekend;           //  bit (1 << d) for each weekend day d, 1 = Monday … 7
    int weekend_days;           //  days in the weekend, 0 … 6
    s_year_t *years;            //  year_count, sorted by year
    size_t year_count;          //  entries in years
};

//  ---------------------------------------------------------------------------------------------
//  Dates. A day is a count of days since 1970-01-01 in the proleptic Gregorian calendar.

static int64_t
s_clamp (int64_t v, int64_t lo, int64_t hi)
{
    return v < lo? lo: v > hi? hi: v;
}

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0))? q - 1: q;
}

static bool
s_digits (const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (text [i] < '0' || text [i] > '9')
            return false;
    return true;
}

static int
s_number (const char *text, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (text [i] - '0');
    return v;
}

//  Read exactly "YYYY-MM-DD" at text (years 0001 … 9999, a real date); 0 with *day, or -1.
static int
s_read_date (const char *text, int64_t *day)
{
    if (strlen (text) < 10 || !s_digits (text, 4) || text [4] != '-' || !s_digits (text + 5, 2)
    ||  text [7] != '-' || !s_digits (text + 8, 2))
        return -1;
    int y = s_number (text, 4), m = s_number (text + 5, 2), d = s_number (text + 8, 2);
    static const int days [12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > (m == 2 && !leap? 28: days [m - 1]))
        return -1;
    *day = gl_days_from_civil (y, m, d);
    return 0;
}

//  "YYYY-MM-DD" of a day.
static void
s_date_text (int64_t day, char out [16])
{
    int y, m, d;
    gl_civil_from_days (day, &y, &m, &d);
    //  A day number from a loaded calendar or a parsed date: months 1..12, days 1..31.
    snprintf (out, 16, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

//  "YYYY-MM-DD (周X)" of a day.
static void
s_date_week (int64_t day, char out [32])
{
    char date [16];
    s_date_text (day, date);
    snprintf (out, 32, "%s (%s)", date, s_weekday_names [gl_weekday (day)]);
}

//  A time of day (0 … 24:00): "HH:MM", with ":SS" or ":SS.mmm" when not zero.
static void
s_clock_text (int64_t ms_of_day, char out [S_CLOCK_SIZE])
{
    int v = (int) s_clamp (ms_of_day, 0, S_DAY_MS);
    int h = v / 3600000, mi = v / 60000 % 60, s = v / 1000 % 60, ms = v % 1000;
    if (ms)
        snprintf (out, S_CLOCK_SIZE, "%02d:%02d:%02d.%03d", h, mi, s, ms);
    else
    if (s)
        snprintf (out, S_CLOCK_SIZE, "%02d:%02d:%02d", h, mi, s);
    else
        snprintf (out, S_CLOCK_SIZE, "%02d:%02d", h, mi);
}

//  A span of ms as "N min", with " S s" or " S.mmm s" for a part minute.
static void
s_span_text (int64_t ms, char out [48])
{
    int64_t rest = ms % S_MINUTE_MS;
    if (rest == 0)
        snprintf (out, 48, "%lld min", (long long) (ms / S_MINUTE_MS));
    else
    if (rest % 1000 == 0)
        snprintf (out, 48, "%lld min %lld s", (long long) (ms / S_MINUTE_MS),
                  (long long) (rest / 1000));
    else
        snprintf (out, 48, "%lld min %lld.%03lld s", (long long) (ms / S_MINUTE_MS),
                  (long long) (rest / 1000), (long long) (rest % 1000));
}

//  ---------------------------------------------------------------------------------------------
//  Days

static const s_year_t *
s_year (gl_calendar_t *self, int64_t year)
{
    size_t lo = 0, hi = self->year_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (self->years [mid].year < year)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->year_count && self->years [lo].year == year? &self->years [lo]: NULL;
}

//  The holiday of the year that contains day, or NULL.
static const s_holiday_t *
s_holiday (const s_year_t *year, int64_t day)
{
    //  The last holiday that starts on or before day.
    size_t lo = 0, hi = year->holiday_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (year->holidays [mid].first <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || year->holidays [lo - 1].last < day)
        return NULL;
    return &year->holidays [lo - 1];
}

static const s_makeup_t *
s_makeup (const s_year_t *year, int64_t day)
{
    size_t lo = 0, hi = year->makeup_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (year->makeups [mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < year->makeup_count && year->makeups [lo].day == day? &year->makeups [lo]: NULL;
}

//  Classify a local day (days since 1970-01-01).
static void
s_classify (gl_calendar_t *self, int64_t day, gl_day_t *out)
{
    int y, m, d;
    gl_civil_from_days (day, &y, &m, &d);
    const s_year_t *year = s_year (self, y);
    out->weekday = gl_weekday (day);
    out->covered = year != NULL;
    out->provisional = year && year->provisional;
    out->name = "";
    const s_holiday_t *holiday = year? s_holiday (year, day): NULL;
    const s_makeup_t *makeup = year? s_makeup (year, day): NULL;
    if (holiday) {
        out->kind = GL_DAY_HOLIDAY;
        out->name = holiday->name;
    }
    else
    if (makeup) {
        out->kind = GL_DAY_MAKEUP;
        out->name = makeup->name;
    }
    else
        out->kind = self->weekend & (1u << out->weekday)? GL_DAY_WEEKEND: GL_DAY_WORKDAY;
    out->working = out->kind == GL_DAY_WORKDAY || out->kind == GL_DAY_MAKEUP;
}

//  Whole weeks from day on that lie before the next year in the file (all of them if none is
//  ahead): days that follow the weekend rule alone, so each week holds the same working time.
static int64_t
s_plain_weeks (gl_calendar_t *self, int64_t day)
{
    for (size_t i = 0; i < self->year_count; i++) {
        const s_year_t *year = &self->years [i];
        if (year->last_day < day)
            continue;
        return year->first_day <= day? 0: (year->first_day - day) / 7;
    }
    return S_FAR;
}

//  Working ms in one week of the weekend rule.
static int64_t
s_week_ms (gl_calendar_t *self)
{
    return (7 - self->weekend_days) * self->day_ms;
}

const char *
gl_day_kind_name (gl_day_kind_t kind)
{
    switch (kind) {
        case GL_DAY_WORKDAY: return "workday";
        case GL_DAY_WEEKEND: return "weekend";
        case GL_DAY_HOLIDAY: return "holiday";
        case GL_DAY_MAKEUP:  return "make-up workday";
    }
    return "?";
}

const char *
gl_weekday_name (int weekday)
{
    return weekday >= 1 && weekday <= 7? s_weekday_names [weekday]: "?";
}

int
gl_calendar_day (gl_calendar_t *self, int64_t ms, gl_day_t *day)
{
    ms = s_clamp (ms, -GL_CALENDAR_LIMIT_MS, GL_CALENDAR_LIMIT_MS);
    s_classify (self, s_floor_div (ms + self->offset_ms, S_DAY_MS), day);
    return 0;
}

int
gl_calendar_date (gl_calendar_t *self, const char *yyyy_mm_dd, gl_day_t *day)
{
    int64_t d;
    if (!yyyy_mm_dd || strlen (yyyy_mm_dd) != 10 || s_read_date (yyyy_mm_dd, &d))
        return -1;
    s_classify (self, d, day);
    return 0;
}

int64_t
gl_calendar_day_minutes (gl_calendar_t *self)
{
    return self->day_ms / S_MINUTE_MS;
}

int
gl_calendar_utc_offset (gl_calendar_t *self)
{
    return self->utc_offset_min;
}

//  ---------------------------------------------------------------------------------------------
//  Local time as text

int
gl_calendar_parse_time (gl_calendar_t *self, const char *text, int64_t *ms)
{
    int64_t day;
    if (!text || s_read_date (text, &day))
        return -1;
    size_t n = strlen (text);
    int64_t of_day = 0;
    if (n != 10) {
        const char *t = text + 11;
        if ((text [10] != 'T' && text [10] != ' ') || (n != 16 && n != 19)
        ||  !s_digits (t, 2) || t [2] != ':' || !s_digits (t + 3, 2)
        ||  (n == 19 && (t [5] != ':' || !s_digits (t + 6, 2))))
            return -1;
        int h = s_number (t, 2), mi = s_number (t + 3, 2), s = n == 19? s_number (t + 6, 2): 0;
        if (h > 23 || mi > 59 || s > 59)
            return -1;
        of_day = ((int64_t) h * 3600 + mi * 60 + s) * 1000;
    }
    *ms = day * S_DAY_MS + of_day - self->offset_ms;
    return 0;
}

//  "YYYY-MM-DD HH:MM[:SS[.mmm]]" of an instant, and its local day.
static int64_t
s_time_text (gl_calendar_t *self, int64_t ms, char out [48])
{
    int64_t local = ms + self->offset_ms;
    int64_t day = s_floor_div (local, S_DAY_MS);
    char date [16], clock [S_CLOCK_SIZE];
    s_date_text (day, date);
    s_clock_text (local - day * S_DAY_MS, clock);
    snprintf (out, 48, "%s %s", date, clock);
    return day;
}

void
gl_calendar_format_time (gl_calendar_t *self, int64_t ms, char *buf, size_t size)
{
    char text [48];
    ms = s_clamp (ms, -GL_CALENDAR_LIMIT_MS, GL_CALENDAR_LIMIT_MS);
    int64_t day = s_time_text (self, ms, text);
    snprintf (buf, size, "%s (%s)", text, s_weekday_names [gl_weekday (day)]);
}

//  ---------------------------------------------------------------------------------------------
//  The explanation of a deadline. Consecutive days off are gathered into one line, and so are
//  consecutive workdays counted whole; either run is written out when something else comes.

typedef struct {
    gl_calendar_t *self;        //  the calendar
    gl_calendar_trace_fn *fn;   //  where lines go; NULL: no explanation wanted
    void *arg;                  //  fn's argument
    int64_t off_first;          //  first day of the pending run of days off
    int64_t off_count;          //  days in that run (0: none)
    char off_reasons [200];     //  its holiday names and "weekend", each once, in order
    int64_t work_first;         //  first day of the pending run of whole workdays
    int64_t work_count;         //  days in that run (0: none)
    int64_t work_left;          //  working ms left after it
    char pieces [1200];         //  the working day being counted: "09:00–12:00 counts …"
} s_trace_t;

static void
s_emit (s_trace_t *tr, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_emit (s_trace_t *tr, const char *format, ...)
{
    char line [1600];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    tr->fn (tr->arg, line);
}

//  The pieces of a whole working day, "09:00–12:00 counts 180 min, 14:00–18:00 counts …".
static void s_piece (s_trace_t *tr, int64_t from, int64_t to);

static void
s_work_flush (s_trace_t *tr)
{
    if (!tr->fn || tr->work_count == 0)
        return;
    char first [32], last [32], counted [48], left [48];
    s_date_week (tr->work_first, first);
    s_span_text (tr->work_left, left);
    if (tr->work_count == 1) {
        for (int p = 0; p < tr->self->period_count; p++)
            s_piece (tr, tr->self->periods [p][0], tr->self->periods [p][1]);
        s_emit (tr, "%s workday: %s, %s left", first, tr->pieces, left);
        tr->pieces [0] = 0;
    }
    else {
        s_date_week (tr->work_first + tr->work_count - 1, last);
        s_span_text (tr->work_count * tr->self->day_ms, counted);
        s_emit (tr, "%s … %s: %lld workdays count %s, %s left", first, last,
                (long long) tr->work_count, counted, left);
    }
    tr->work_count = 0;
}

static void
s_off_flush (s_trace_t *tr)
{
    if (!tr->fn || tr->off_count == 0)
        return;
    char first [32], last [32];
    s_date_week (tr->off_first, first);
    if (tr->off_count == 1) {
        gl_day_t day;
        s_classify (tr->self, tr->off_first, &day);
        s_emit (tr, "%s %s%s%s: skipped", first, gl_day_kind_name (day.kind),
                *day.name? " ": "", day.name);
    }
    else {
        s_date_week (tr->off_first + tr->off_count - 1, last);
        s_emit (tr, "%s … %s: %lld days off (%s)", first, last, (long long) tr->off_count,
                tr->off_reasons);
    }
    tr->off_count = 0;
    tr->off_reasons [0] = 0;
}

//  Write out whichever run is pending.
static void
s_flush (s_trace_t *tr)
{
    s_work_flush (tr);
    s_off_flush (tr);
}

//  A day off joins the pending run.
static void
s_off_add (s_trace_t *tr, int64_t day, const gl_day_t *kind)
{
    if (!tr->fn)
        return;
    s_work_flush (tr);
    if (tr->off_count == 0)
        tr->off_first = day;
    tr->off_count++;
    const char *reason = kind->kind == GL_DAY_HOLIDAY? kind->name: "weekend";
    //  Each reason once: look for it as a whole item of the list.
    size_t n = strlen (reason);
    for (const char *at = tr->off_reasons; (at = strstr (at, reason)); at += n)
        if ((at == tr->off_reasons || at [-1] == ' ') && (at [n] == ',' || at [n] == 0))
            return;
    size_t used = strlen (tr->off_reasons);
    if (used + n + 8 < sizeof tr->off_reasons)
        snprintf (tr->off_reasons + used, sizeof tr->off_reasons - used, "%s%s",
                  used? ", ": "", reason);
    else
    if (!strstr (tr->off_reasons, "…"))
        snprintf (tr->off_reasons + used, sizeof tr->off_reasons - used, ", …");
}

//  One counted piece of a working day.
static void
s_piece (s_trace_t *tr, int64_t from, int64_t to)
{
    if (!tr->fn || to <= from)
        return;
    char a [S_CLOCK_SIZE], b [S_CLOCK_SIZE], span [48];
    s_clock_text (from, a);
    s_clock_text (to, b);
    s_span_text (to - from, span);
    size_t used = strlen (tr->pieces);
    snprintf (tr->pieces + used, sizeof tr->pieces - used, "%s%s–%s counts %s",
              used? ", ": "", a, b, span);
}

//  A workday counted whole joins the pending run; left_ms is what remains after it.
static void
s_work_add (s_trace_t *tr, int64_t day, int64_t left_ms)
{
    if (!tr->fn)
        return;
    s_off_flush (tr);
    if (tr->work_count == 0)
        tr->work_first = day;
    tr->work_count++;
    tr->work_left = left_ms;
}

//  The working day's line, once its pieces are counted.
static void
s_day_line (s_trace_t *tr, int64_t day, const gl_day_t *kind, int64_t left_ms)
{
    if (!tr->fn || !tr->pieces [0])
        return;
    s_flush (tr);
    char date [32], left [48];
    s_date_week (day, date);
    s_span_text (left_ms, left);
    s_emit (tr, "%s %s%s%s: %s, %s left", date, gl_day_kind_name (kind->kind),
            *kind->name? " ": "", kind->name, tr->pieces, left);
    tr->pieces [0] = 0;
}

//  The last line: the deadline, its weekday and what its day is when that is not plain.
static void
s_due_line (s_trace_t *tr, int64_t due)
{
    if (!tr->fn)
        return;
    s_flush (tr);
    char text [48];
    int64_t day = s_time_text (tr->self, due, text);
    gl_day_t kind;
    s_classify (tr->self, day, &kind);
    char what [160] = "";
    if (kind.kind == GL_DAY_WEEKEND)
        snprintf (what, sizeof what, ", weekend");
    else
    if (*kind.name)
        snprintf (what, sizeof what, ", %s%s", kind.kind == GL_DAY_HOLIDAY? "holiday ": "",
                  kind.name);
    s_emit (tr, "due %s (%s%s%s)", text, s_weekday_names [kind.weekday], what,
            kind.provisional? ", provisional year": "");
}

//  ---------------------------------------------------------------------------------------------
//  Deadline arithmetic

/*  Walk the working clock from start_ms until minutes have elapsed; see the header for the
    rules. Day by day through the years in the file (a holiday lookup per day), a week at a
    time outside them. The clock is a position t (ms after local midnight) in a day; on a
    working day each period not yet behind t either holds the rest (the deadline is inside it
    or at its end: the edge rule) or is counted whole. A working day entered at midnight with
    more than a day's time left is taken whole at once. Whole weeks are skipped only from a
    day's start and never the last one, so the deadline itself is always found by the period
    loop, where the edge rule lives.  */
static int64_t
s_add_working (gl_calendar_t *self, int64_t start_ms, int64_t minutes, s_trace_t *tr)
{
    int64_t left = minutes * S_MINUTE_MS;
    int64_t local = start_ms + self->offset_ms;
    int64_t day = s_floor_div (local, S_DAY_MS);
    int64_t t = local - day * S_DAY_MS;
    int64_t week_ms = s_week_ms (self);
    bool first_day = true;
    for (;;) {
        if (t == 0 && left > week_ms) {
            int64_t weeks = s_plain_weeks (self, day), need = (left - 1) / week_ms;
            if (weeks > need)
                weeks = need;
            if (weeks > 0) {
                s_flush (tr);
                if (tr->fn) {
                    char a [32], b [32], counted [48], rest [48];
                    s_date_week (day, a);
                    s_date_week (day + 7 * weeks - 1, b);
                    s_span_text (weeks * week_ms, counted);
                    s_span_text (left - weeks * week_ms, rest);
                    s_emit (tr, "%s … %s: %lld weeks, not in the calendar (weekends only), "
                            "count %s, %s left", a, b, (long long) weeks, counted, rest);
                }
                left -= weeks * week_ms;
                day += 7 * weeks;
                first_day = false;
                continue;
            }
        }
        gl_day_t kind;
        s_classify (self, day, &kind);
        if (kind.working && t == 0 && left > self->day_ms) {
            //  A whole working day, and the deadline is later.
            left -= self->day_ms;
            if (kind.kind == GL_DAY_WORKDAY)
                s_work_add (tr, day, left);
            else {
                for (int p = 0; p < self->period_count; p++)
                    s_piece (tr, self->periods [p][0], self->periods [p][1]);
                s_day_line (tr, day, &kind, left);
            }
        }
        else
        if (kind.working && t >= self->periods [self->period_count - 1][1]) {
            //  Only the start's day can begin after closing.
            s_flush (tr);
            if (tr->fn && first_day) {
                char date [32], at [S_CLOCK_SIZE], close [S_CLOCK_SIZE];
                s_date_week (day, date);
                s_clock_text (t, at);
                s_clock_text (self->periods [self->period_count - 1][1], close);
                s_emit (tr, "%s %s%s%s: %s is after closing (%s), nothing counted", date,
                        gl_day_kind_name (kind.kind), *kind.name? " ": "", kind.name, at,
                        close);
            }
        }
        else
        if (kind.working) {
            s_flush (tr);
            for (int p = 0; p < self->period_count; p++) {
                int64_t open = self->periods [p][0], close = self->periods [p][1];
                if (t >= close)
                    continue;
                if (t < open)
                    t = open;
                if (left <= close - t) {
                    int64_t due = day * S_DAY_MS + t + left - self->offset_ms;
                    s_piece (tr, t, t + left);
                    s_day_line (tr, day, &kind, 0);
                    s_due_line (tr, due);
                    return due;
                }
                s_piece (tr, t, close);
                left -= close - t;
                t = close;
            }
            s_day_line (tr, day, &kind, left);
        }
        else
            s_off_add (tr, day, &kind);
        day++;
        t = 0;
        first_day = false;
    }
}

static int64_t
s_add (gl_calendar_t *self, int64_t start_ms, int64_t minutes, bool working, s_trace_t *tr)
{
    start_ms = s_clamp (start_ms, -GL_CALENDAR_LIMIT_MS, GL_CALENDAR_LIMIT_MS);
    char from [64], span [48];
    if (!working) {
        minutes = s_clamp (minutes, -GL_CALENDAR_MAX_MINUTES, GL_CALENDAR_MAX_MINUTES);
        int64_t due = start_ms + minutes * S_MINUTE_MS;
        if (tr->fn) {
            gl_calendar_format_time (self, start_ms, from, sizeof from);
            s_span_text (minutes * S_MINUTE_MS, span);
            s_emit (tr, "from %s: %s of natural time (every minute counts, working or not)",
                    from, span);
            s_due_line (tr, due);
        }
        return due;
    }
    minutes = s_clamp (minutes, 0, GL_CALENDAR_MAX_MINUTES);
    if (tr->fn) {
        gl_calendar_format_time (self, start_ms, from, sizeof from);
        s_span_text (minutes * S_MINUTE_MS, span);
        s_emit (tr, "from %s: %s of working time to count", from, span);
    }
    return s_add_working (self, start_ms, minutes, tr);
}

int64_t
gl_calendar_add (gl_calendar_t *self, int64_t start_ms, int64_t minutes, bool working)
{
    s_trace_t tr = { self, NULL, NULL, 0, 0, "", 0, 0, 0, "" };
    return s_add (self, start_ms, minutes, working, &tr);
}

int64_t
gl_calendar_add_explained (gl_calendar_t *self, int64_t start_ms, int64_t minutes,
                           bool working, gl_calendar_trace_fn *trace, void *arg)
{
    s_trace_t tr = { self, trace, arg, 0, 0, "", 0, 0, 0, "" };
    return s_add (self, start_ms, minutes, working, &tr);
}

int64_t
gl_calendar_between_ms (gl_calendar_t *self, int64_t from_ms, int64_t to_ms, bool working)
{
    from_ms = s_clamp (from_ms, -GL_CALENDAR_LIMIT_MS, GL_CALENDAR_LIMIT_MS);
    to_ms = s_clamp (to_ms, -GL_CALENDAR_LIMIT_MS, GL_CALENDAR_LIMIT_MS);
    if (to_ms <= from_ms)
        return 0;
    if (!working)
        return to_ms - from_ms;
    //  The overlap of [from, to) with every working period, day by day through the years in
    //  the file and a week at a time beyond them (whole weeks strictly before to's day).
    int64_t lf = from_ms + self->offset_ms, lt = to_ms + self->offset_ms;
    int64_t day = s_floor_div (lf, S_DAY_MS), end_day = s_floor_div (lt, S_DAY_MS);
    int64_t t = lf - day * S_DAY_MS;
    int64_t total = 0;
    while (day <= end_day) {
        if (t == 0) {
            int64_t weeks = s_plain_weeks (self, day), room = (end_day - day) / 7;
            if (weeks > room)
                weeks = room;
            if (weeks > 0) {
                total += weeks * s_week_ms (self);
                day += 7 * weeks;
                continue;
            }
        }
        gl_day_t kind;
        s_classify (self, day, &kind);
        int64_t stop = day == end_day? lt - day * S_DAY_MS: S_DAY_MS;
        for (int p = 0; kind.working && p < self->period_count; p++) {
            int64_t a = self->periods [p][0] > t? self->periods [p][0]: t;
            int64_t b = self->periods [p][1] < stop? self->periods [p][1]: stop;
            if (b > a)
                total += b - a;
        }
        day++;
        t = 0;
    }
    return total;
}

int64_t
gl_calendar_between (gl_calendar_t *self, int64_t from_ms, int64_t to_ms, bool working)
{
    return gl_calendar_between_ms (self, from_ms, to_ms, working) / S_MINUTE_MS;
}

//  ---------------------------------------------------------------------------------------------
//  Durations

static const char *s_duration_forms =
    "30m, 2h, 1d (natural minutes, hours, days) or 30wm, 4wh, 5wd (working minutes, hours, "
    "days); hours and days may have a decimal fraction, e.g. 1.5h or 0.5wd";

int
gl_duration_parse (const char *text, gl_calendar_t *self, int64_t *minutes, bool *working,
                   gl_err_t *err)
{
    if (!text)
        text = "";
    const char *p = text;
    size_t whole = strspn (p, "0123456789");
    p += whole;
    size_t fraction = 0;
    bool point = *p == '.';
    if (point) {
        fraction = strspn (p + 1, "0123456789");
        p += 1 + fraction;
    }
    bool w = *p == 'w';
    const char *unit = w? p + 1: p;
    int64_t scale = streq (unit, "m")? 1: streq (unit, "h")? 60: streq (unit, "d")? -1: 0;
    if (whole == 0 || (point && fraction == 0) || scale == 0 || strlen (text) > 40)
        return gl_fail (err, GL_INVALID, "duration \"%.40s\" is not one of the forms %s",
                        text, s_duration_forms);
    if (whole > S_WHOLE_MAX || fraction > S_FRACTION_MAX)
        return gl_fail (err, GL_INVALID, "duration \"%s\" has too many digits (at most %d "
                        "before the point and %d after it)", text, S_WHOLE_MAX, S_FRACTION_MAX);
    if (scale == 1 && point)
        return gl_fail (err, GL_INVALID, "duration \"%s\": minutes are whole (write seconds "
                        "nowhere; e.g. 90m, or 1.5h)", text);
    if (scale == -1) {
        if (w && !self)
            return gl_fail (err, GL_INVALID, "duration \"%s\": working days need the "
                            "calendar, which says how long a working day is", text);
        scale = w? gl_calendar_day_minutes (self): 1440;
    }
    int64_t int_part = 0, frac_part = 0, tens = 1;
    for (size_t i = 0; i < whole; i++)
        int_part = int_part * 10 + (text [i] - '0');
    for (size_t i = 0; i < fraction; i++) {
        frac_part = frac_part * 10 + (text [whole + 1 + i] - '0');
        tens *= 10;
    }
    if ((frac_part * scale) % tens)
        return gl_fail (err, GL_INVALID, "duration \"%s\" is not a whole number of minutes "
                        "(a %s is %lld min)", text, w && unit [0] == 'd'? "working day"
                        : unit [0] == 'd'? "day": "hour", (long long) scale);
    int64_t total = int_part * scale + frac_part * scale / tens;
    if (total > GL_CALENDAR_MAX_MINUTES)
        return gl_fail (err, GL_INVALID, "duration \"%s\" is longer than 100 years", text);
    *minutes = total;
    *working = w;
    return 0;
}

//  minutes / unit as a decimal with at most S_FRACTION_MAX places, if that is exact.
static bool
s_decimal (int64_t minutes, int64_t unit, char *out, size_t size)
{
    int64_t whole = minutes / unit, rest = minutes % unit;
    char fraction [S_FRACTION_MAX + 2] = "";
    size_t n = 0;
    while (rest && n < S_FRACTION_MAX) {
        rest *= 10;
        fraction [n++] = (char) ('0' + rest / unit);
        rest %= unit;
    }
    fraction [n] = 0;
    if (rest)
        return false;
    snprintf (out, size, "%lld%s%s", (long long) whole, n? ".": "", fraction);
    return true;
}

void
gl_duration_format (int64_t minutes, bool working, gl_calendar_t *self, char *buf,
                    size_t size)
{
    const char *sign = minutes < 0? "-": "";
    int64_t m = minutes < 0? -s_clamp (minutes, -GL_CALENDAR_MAX_MINUTES, 0): minutes;
    const char *w = working? "w": "";
    if (m == 0) {
        snprintf (buf, size, "0%sm", w);
        return;
    }
    //  The first of the shortest wins, in the order: whole days, hours, days with a fraction,
    //  minutes ("1wd" rather than "7wh", "3.5wh" rather than "0.5wd" or "210wm").
    int64_t day = working? (self? gl_calendar_day_minutes (self): 0): 1440;
    int64_t units [4] = { day, 60, day, 1 };
    const char *names [4] = { "d", "h", "d", "m" };
    char best [48] = "";
    for (int i = 0; i < 4; i++) {
        char number [32], form [48];
        if (units [i] <= 0 || !s_decimal (m, units [i], number, sizeof number)
        ||  (i == 0 && strchr (number, '.')))
            continue;
        snprintf (form, sizeof form, "%s%s%s%s", sign, number, w, names [i]);
        if (!*best || strlen (form) < strlen (best))
            snprintf (best, sizeof best, "%s", form);
    }
    snprintf (buf, size, "%s", best);
}

//  ---------------------------------------------------------------------------------------------
//  Loading. Every check returns 0, or -1 having set err as "<file>: <entry>: <problem>".

typedef struct {
    gl_calendar_t *cal;         //  being built
    gl_domain_t d;              //  the file, the entry being checked, where problems go
} s_load_t;

#define s_bad(ld, ...) gl_domain_bad (&(ld)->d, __VA_ARGS__)

//  Every key of obj is one of the NULL-terminated allowed list, and each required one (the
//  first `required` of the list) is there.
static int
s_keys (s_load_t *ld, const json_t *obj, const char *const *allowed, int required)
{
    if (gl_domain_keys (&ld->d, obj, allowed))
        return -1;
    for (int i = 0; i < required; i++)
        if (!json_object_get (obj, allowed [i]))
            return s_bad (ld, "'%s' is missing", allowed [i]);
    return 0;
}

//  A date under key that exists and lies in year.
static int
s_date (s_load_t *ld, const json_t *obj, const char *key, const s_year_t *year, int64_t *day)
{
    const char *text;
    if (gl_domain_string (&ld->d, obj, key, 32, &text))
        return -1;
    if (strlen (text) != 10 || s_read_date (text, day))
        return s_bad (ld, "'%s' is \"%s\"; expected a real date YYYY-MM-DD (e.g. %04d-10-01)",
                      key, text, year->year);
    if (*day < year->first_day || *day > year->last_day)
        return s_bad (ld, "'%s' %s is not in %04d; each year lists only its own days (put it "
                      "under \"%.4s\")", key, text, year->year, text);
    return 0;
}

//  "HH:MM" from 00:00 to 24:00 into ms after midnight.
static int
s_hhmm (s_load_t *ld, const json_t *value, const char *which, int64_t *ms)
{
    const char *t = json_string_value (value);
    if (!t || strlen (t) != 5 || !s_digits (t, 2) || t [2] != ':' || !s_digits (t + 3, 2)
    ||  s_number (t, 2) > 24 || s_number (t + 3, 2) > 59
    ||  (s_number (t, 2) == 24 && s_number (t + 3, 2) != 0))
        return s_bad (ld, "the %s is %s%.16s%s; expected a time \"HH:MM\" from 00:00 to 24:00",
                      which, t? "\"": "not a string", t? t: "", t? "\"": "");
    *ms = (s_number (t, 2) * INT64_C (60) + s_number (t + 3, 2)) * S_MINUTE_MS;
    return 0;
}

static int
s_load_hours (s_load_t *ld, const json_t *root)
{
    gl_calendar_t *cal = ld->cal;
    const json_t *list = json_object_get (root, "working_hours");
    snprintf (ld->d.entry, sizeof ld->d.entry, "working_hours");
    if (!json_is_array (list))
        return s_bad (ld, "must be an array of periods [\"HH:MM\", \"HH:MM\"], e.g. "
                      "[[\"09:00\", \"12:00\"], [\"14:00\", \"18:00\"]]");
    if (json_array_size (list) == 0)
        return s_bad (ld, "is empty; a working day needs at least one period");
    if (json_array_size (list) > S_PERIODS_MAX)
        return s_bad (ld, "has %zu periods; at most %d are accepted", json_array_size (list),
                      S_PERIODS_MAX);
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        snprintf (ld->d.entry, sizeof ld->d.entry, "working_hours[%zu]", i);
        if (!json_is_array (item) || json_array_size (item) != 2)
            return s_bad (ld, "must be a period [\"HH:MM\", \"HH:MM\"] (its opening and "
                          "closing time)");
        int64_t *p = cal->periods [i];
        if (s_hhmm (ld, json_array_get (item, 0), "opening", &p [0])
        ||  s_hhmm (ld, json_array_get (item, 1), "closing", &p [1]))
            return -1;
        char a [S_CLOCK_SIZE], b [S_CLOCK_SIZE];
        s_clock_text (p [0], a);
        s_clock_text (p [1], b);
        if (p [1] <= p [0])
            return s_bad (ld, "%s–%s does not end after it starts", a, b);
        if (i > 0 && p [0] < cal->periods [i - 1][1]) {
            char prev [S_CLOCK_SIZE];
            s_clock_text (cal->periods [i - 1][1], prev);
            return s_bad (ld, "%s–%s starts before the previous period ends (%s); list the "
                          "periods in order, not overlapping", a, b, prev);
        }
        cal->day_ms += p [1] - p [0];
    }
    cal->period_count = (int) i;
    return 0;
}

static int
s_load_weekend (s_load_t *ld, const json_t *root)
{
    gl_calendar_t *cal = ld->cal;
    const json_t *list = json_object_get (root, "weekend");
    snprintf (ld->d.entry, sizeof ld->d.entry, "weekend");
    if (!json_is_array (list))
        return s_bad (ld, "must be an array of day numbers, 1 (Monday) … 7 (Sunday), e.g. "
                      "[6, 7]");
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        snprintf (ld->d.entry, sizeof ld->d.entry, "weekend[%zu]", i);
        json_int_t d = json_is_integer (item)? json_integer_value (item): 0;
        if (d < 1 || d > 7)
            return s_bad (ld, "is not a day number; expected 1 (Monday) … 7 (Sunday)");
        if (cal->weekend & (1u << d))
            return s_bad (ld, "day %d is listed twice", (int) d);
        cal->weekend |= 1u << d;
        cal->weekend_days++;
    }
    snprintf (ld->d.entry, sizeof ld->d.entry, "weekend");
    if (cal->weekend_days == 7)
        return s_bad (ld, "lists all seven days; at least one must be a working day");
    return 0;
}

static int
s_compare_holidays (const void *a, const void *b)
{
    int64_t x = ((const s_holiday_t *) a)->first, y = ((const s_holiday_t *) b)->first;
    return x < y? -1: x > y;
}

static int
s_compare_makeups (const void *a, const void *b)
{
    int64_t x = ((const s_makeup_t *) a)->day, y = ((const s_makeup_t *) b)->day;
    return x < y? -1: x > y;
}

static int
s_compare_years (const void *a, const void *b)
{
    return ((const s_year_t *) a)->year - ((const s_year_t *) b)->year;
}

//  The array under key of a year: an array of at most S_ENTRIES_MAX items.
static int
s_entries (s_load_t *ld, const json_t *obj, const char *key, json_t **out)
{
    *out = json_object_get (obj, key);
    if (!json_is_array (*out))
        return s_bad (ld, "'%s' must be an array (it may be empty)", key);
    if (json_array_size (*out) > S_ENTRIES_MAX)
        return s_bad (ld, "'%s' has %zu entries; at most %d are accepted", key,
                      json_array_size (*out), S_ENTRIES_MAX);
    return 0;
}

static int
s_load_holidays (s_load_t *ld, const char *key, const json_t *obj, s_year_t *year)
{
    static const char *const keys [] = { "name", "from", "to", NULL };
    json_t *list;
    if (s_entries (ld, obj, "holidays", &list))
        return -1;
    year->holidays = zmalloc ((json_array_size (list) + 1) * sizeof *year->holidays);
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        snprintf (ld->d.entry, sizeof ld->d.entry, "years.%s.holidays[%zu]", key, i);
        s_holiday_t *h = &year->holidays [i];
        h->index = i;
        if (!json_is_object (item))
            return s_bad (ld, "must be an object {\"name\", \"from\", \"to\"}");
        if (s_keys (ld, item, keys, 3)
        ||  gl_domain_string (&ld->d, item, "name", S_NAME_MAX, &h->name)
        ||  s_date (ld, item, "from", year, &h->first)
        ||  s_date (ld, item, "to", year, &h->last))
            return -1;
        char a [16], b [16];
        s_date_text (h->first, a);
        s_date_text (h->last, b);
        if (h->last < h->first)
            return s_bad (ld, "'to' %s is before 'from' %s", b, a);
        for (size_t j = 0; j < i; j++) {
            const s_holiday_t *o = &year->holidays [j];
            if (o->first <= h->last && h->first <= o->last) {
                char c [16], d [16];
                s_date_text (o->first, c);
                s_date_text (o->last, d);
                return s_bad (ld, "%s … %s (%s) overlaps holidays[%zu] %s … %s (%s); a day "
                              "belongs to one holiday", a, b, h->name, j, c, d, o->name);
            }
        }
    }
    year->holiday_count = i;
    qsort (year->holidays, year->holiday_count, sizeof *year->holidays, s_compare_holidays);
    return 0;
}

static int
s_load_makeups (s_load_t *ld, const char *key, const json_t *obj, s_year_t *year)
{
    static const char *const keys [] = { "date", "name", NULL };
    gl_calendar_t *cal = ld->cal;
    json_t *list;
    if (s_entries (ld, obj, "workdays", &list))
        return -1;
    year->makeups = zmalloc ((json_array_size (list) + 1) * sizeof *year->makeups);
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        snprintf (ld->d.entry, sizeof ld->d.entry, "years.%s.workdays[%zu]", key, i);
        s_makeup_t *m = &year->makeups [i];
        if (!json_is_object (item))
            return s_bad (ld, "must be an object {\"date\", \"name\"}");
        if (s_keys (ld, item, keys, 2)
        ||  s_date (ld, item, "date", year, &m->day)
        ||  gl_domain_string (&ld->d, item, "name", S_NAME_MAX, &m->name))
            return -1;
        char date [16];
        s_date_text (m->day, date);
        int weekday = gl_weekday (m->day);
        if (!(cal->weekend & (1u << weekday))) {
            char weekend [32] = "";
            for (int d = 1; d <= 7; d++)
                if (cal->weekend & (1u << d))
                    snprintf (weekend + strlen (weekend), sizeof weekend - strlen (weekend),
                              "%s%d", *weekend? ", ": "", d);
            return s_bad (ld, "%s is a %s (day %d), not a weekend day (weekend: %s); a make-up "
                          "working day (调休上班) is a weekend day that is worked", date,
                          s_weekday_names [weekday], weekday, *weekend? weekend: "none");
        }
        const s_holiday_t *h = s_holiday (year, m->day);
        if (h)
            return s_bad (ld, "%s falls in holidays[%zu] %s; a day is either off or worked",
                          date, h->index, h->name);
        for (size_t j = 0; j < i; j++)
            if (year->makeups [j].day == m->day)
                return s_bad (ld, "%s is already workdays[%zu]", date, j);
    }
    year->makeup_count = i;
    qsort (year->makeups, year->makeup_count, sizeof *year->makeups, s_compare_makeups);
    return 0;
}

static int
s_load_year (s_load_t *ld, const char *key, const json_t *obj, s_year_t *year)
{
    static const char *const keys [] = {
        "source", "holidays", "workdays", "provisional", "note", NULL
    };
    snprintf (ld->d.entry, sizeof ld->d.entry, "years.%.8s", key);
    if (strlen (key) != 4 || !s_digits (key, 4) || s_number (key, 4) < 1)
        return s_bad (ld, "a year is written with four digits, e.g. \"2026\"");
    year->year = s_number (key, 4);
    year->first_day = gl_days_from_civil (year->year, 1, 1);
    year->last_day = gl_days_from_civil (year->year, 12, 31);
    if (!json_is_object (obj))
        return s_bad (ld, "must be an object with source, holidays and workdays");
    const char *text;
    if (s_keys (ld, obj, keys, 3)
    ||  gl_domain_string (&ld->d, obj, "source", S_TEXT_MAX, &text)
    ||  (json_object_get (obj, "note") && gl_domain_string (&ld->d, obj, "note", S_TEXT_MAX, &text)))
        return -1;
    const json_t *provisional = json_object_get (obj, "provisional");
    if (provisional && !json_is_boolean (provisional))
        return s_bad (ld, "'provisional' must be true or false");
    year->provisional = json_is_true (provisional);
    //  Holidays first: a make-up day is checked against them.
    return s_load_holidays (ld, key, obj, year) || s_load_makeups (ld, key, obj, year)? -1: 0;
}

static int
s_load (s_load_t *ld, const json_t *root)
{
    static const char *const keys [] = { "working_hours", "weekend", "years", "note", NULL };
    gl_calendar_t *cal = ld->cal;
    const char *text;
    if (s_keys (ld, root, keys, 3)
    ||  (json_object_get (root, "note") && gl_domain_string (&ld->d, root, "note", S_TEXT_MAX, &text))
    ||  s_load_hours (ld, root)
    ||  s_load_weekend (ld, root))
        return -1;
    const json_t *years = json_object_get (root, "years");
    snprintf (ld->d.entry, sizeof ld->d.entry, "years");
    if (!json_is_object (years))
        return s_bad (ld, "must be an object of years, e.g. {\"2026\": {\"source\": …, "
                      "\"holidays\": […], \"workdays\": […]}}");
    cal->years = zmalloc ((json_object_size (years) + 1) * sizeof *cal->years);
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) years, key, value) {
        if (s_load_year (ld, key, value, &cal->years [cal->year_count++]))
            return -1;
    }
    qsort (cal->years, cal->year_count, sizeof *cal->years, s_compare_years);
    ld->d.entry [0] = 0;
    return 0;
}

static gl_calendar_t *
s_new (json_t *json, const char *path, int utc_offset_min, gl_err_t *err)
{
    if (!json)
        return NULL;
    if (utc_offset_min < -720 || utc_offset_min > 840) {
        json_decref (json);
        gl_fail (err, GL_INVALID, "%s: the UTC offset %d min is not one of the world's (-720 "
                 "… 840; China is 480)", path, utc_offset_min);
        return NULL;
    }
    if (!json_is_object (json)) {
        json_decref (json);
        gl_fail (err, GL_INVALID, "%s: the top level must be a JSON object with "
                 "working_hours, weekend and years", path);
        return NULL;
    }
    gl_calendar_t *self = (gl_calendar_t *) zmalloc (sizeof *self);
    self->json = json;
    self->utc_offset_min = utc_offset_min;
    self->offset_ms = utc_offset_min * S_MINUTE_MS;
    s_load_t ld = { .cal = self, .d = { .path = path, .err = err } };
    if (s_load (&ld, json))
        gl_calendar_destroy (&self);
    return self;
}

gl_calendar_t *
gl_calendar_load (const char *path, int utc_offset_min, gl_err_t *err)
{
    json_error_t error;
    json_t *json = json_load_file (path, JSON_REJECT_DUPLICATES, &error);
    if (!json) {
        if (!zsys_file_exists (path))
            gl_fail (err, GL_INVALID, "%s: no such file (domain/calendar in the configuration "
                     "names it)", path);
        else
            gl_fail (err, GL_INVALID, "%s: not valid JSON: %s (line %d, column %d)", path,
                     error.text, error.line, error.column);
        return NULL;
    }
    return s_new (json, path, utc_offset_min, err);
}

gl_calendar_t *
gl_calendar_load_text (const char *text, int utc_offset_min, gl_err_t *err)
{
    json_error_t error;
    json_t *json = json_loads (text? text: "", JSON_REJECT_DUPLICATES, &error);
    if (!json) {
        gl_fail (err, GL_INVALID, "(text): not valid JSON: %s (line %d, column %d)",
                 error.text, error.line, error.column);
        return NULL;
    }
    return s_new (json, "(text)", utc_offset_min, err);
}

void
gl_calendar_destroy (gl_calendar_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gl_calendar_t *self = *self_p;
    for (size_t i = 0; i < self->year_count; i++) {
        free (self->years [i].holidays);
        free (self->years [i].makeups);
    }
    free (self->years);
    if (self->json)
        json_decref (self->json);
    free (self);
    *self_p = NULL;
}

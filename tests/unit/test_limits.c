/*  test_limits — gl_limits: the bundled time-limits table loads with the county's values, the
    most specific entry wins, and every problem of a file is refused naming the file, the entry
    and what is wrong, loading nothing.  */
#include "unit.h"
#include "gl_calendar.h"
#include "gl_limits.h"
#include "gl_org.h"

#include <czmq.h>

static gl_calendar_t *s_cal;    //  the bundled calendar (a working day is 420 min)

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

static void
s_limit (gl_limits_t *limits, const char *priority, gl_stage_t stage, const char *category,
         int tier, int64_t minutes, bool working)
{
    gl_limit_t got = gl_limits_find (limits, gl_priority_lookup (priority), stage, category, tier);
    if (got.minutes != minutes || got.working != working)
        fail_msg ("%s %s: got %lld %s min, expected %lld %s min", priority,
                  gl_stage_name (stage), (long long) got.minutes,
                  got.working? "working": "natural", (long long) minutes,
                  working? "working": "natural");
}

static void
test_the_bundled_table_has_the_countys_limits (void **state)
{
    gl_err_t err = { GL_OK, "" };
    gl_limits_t *limits = gl_limits_load (u_source_path ("deploy/yunyang/limits.json"), s_cal,
                                          &err);
    if (!limits)
        fail_msg ("%s", err.message);
    assert_int_equal (gl_limits_count (limits), 20);
    s_limit (limits, "P1", GL_STAGE_DISPATCH, NULL, -1, 10, false);
    s_limit (limits, "P1", GL_STAGE_SIGN, NULL, -1, 30, false);
    s_limit (limits, "P1", GL_STAGE_HANDLE_YELLOW, NULL, -1, 120, false);
    s_limit (limits, "P1", GL_STAGE_HANDLE_RED, NULL, -1, 240, false);
    s_limit (limits, "P2", GL_STAGE_SIGN, NULL, -1, 120, true);
    s_limit (limits, "P2", GL_STAGE_HANDLE_RED, NULL, -1, 48 * 60, false);
    s_limit (limits, "P3", GL_STAGE_HANDLE_YELLOW, NULL, -1, 5 * 420, true);
    s_limit (limits, "P3", GL_STAGE_HANDLE_RED, "05.06", GL_LEVEL_STREET, 10 * 420, true);
    s_limit (limits, "P4", GL_STAGE_DISPATCH, NULL, -1, 210, true);
    s_limit (limits, "P4", GL_STAGE_HANDLE_RED, NULL, -1, 20 * 420, true);
    gl_limit_t war;
    assert_true (gl_limits_wartime (limits, GL_STAGE_SIGN, &war));
    assert_int_equal (war.minutes, 15);
    assert_false (war.working);
    assert_true (gl_limits_wartime (limits, GL_STAGE_HANDLE_RED, &war));
    assert_int_equal (war.minutes, 120);
    gl_limits_destroy (&limits);
    assert_null (limits);
    gl_limits_destroy (&limits);
}

//  A complete table (every default) with extra entries spliced in before the last one.
static char *
s_table (const char *extra)
{
    static const char *const p [] = { "P1", "P2", "P3", "P4" };
    static const char *const s [] = {
        "dispatch", "sign", "handle_yellow", "handle_red", "verify"
    };
    char *text = zsys_sprintf ("{\"limits\": [%s", extra? extra: "");
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++) {
            char *next = zsys_sprintf ("%s%s{\"priority\": \"%s\", \"stage\": \"%s\", "
                                       "\"limit\": \"%s\"}", text,
                                       (i || j || (extra && *extra))? ", ": "", p [i], s [j],
                                       j == 3? "2wd": "1wd");
            zstr_free (&text);
            text = next;
        }
    char *done = zsys_sprintf ("%s]}", text);
    zstr_free (&text);
    return done;
}

static void
test_the_most_specific_entry_wins (void **state)
{
    char *text = s_table (
        "{\"priority\": \"P3\", \"stage\": \"sign\", \"limit\": \"4wh\", \"category\": \"05.06\"},"
        "{\"priority\": \"P3\", \"stage\": \"sign\", \"limit\": \"3wh\", \"tier\": \"grid\"},"
        "{\"priority\": \"P3\", \"stage\": \"sign\", \"limit\": \"2wh\", \"category\": \"05.06\","
        " \"tier\": \"grid\", \"note\": \"narrowest\"}");
    gl_err_t err = { GL_OK, "" };
    gl_limits_t *limits = gl_limits_load_text (text, s_cal, &err);
    zstr_free (&text);
    if (!limits)
        fail_msg ("%s", err.message);
    s_limit (limits, "P3", GL_STAGE_SIGN, "05.06", GL_LEVEL_GRID, 120, true);
    s_limit (limits, "P3", GL_STAGE_SIGN, "05.06", GL_LEVEL_STREET, 240, true);
    s_limit (limits, "P3", GL_STAGE_SIGN, "01.01", GL_LEVEL_GRID, 180, true);
    s_limit (limits, "P3", GL_STAGE_SIGN, "01.01", GL_LEVEL_STREET, 420, true);
    s_limit (limits, "P3", GL_STAGE_SIGN, NULL, -1, 420, true);
    s_limit (limits, "P2", GL_STAGE_SIGN, "05.06", GL_LEVEL_GRID, 420, true);
    gl_limits_destroy (&limits);
}

//  text is refused, and the message holds every one of the NULL-terminated words.
static void
s_refused (const char *text, ...)
{
    gl_err_t err = { GL_OK, "" };
    gl_limits_t *limits = gl_limits_load_text (text, s_cal, &err);
    if (limits)
        fail_msg ("accepted: %s", text);
    assert_int_equal (err.code, GL_INVALID);
    va_list args;
    va_start (args, text);
    const char *word;
    while ((word = va_arg (args, const char *)))
        if (!strstr (err.message, word))
            fail_msg ("\"%s\" is not in the message: %s", word, err.message);
    va_end (args);
}

static void
s_refused_extra (const char *extra, const char *w1, const char *w2)
{
    char *text = s_table (extra);
    s_refused (text, "(text)", w1, w2, NULL);
    zstr_free (&text);
}

static void
test_every_problem_is_refused_naming_the_file_and_entry (void **state)
{
    s_refused ("{\"limits\": [", "(text)", "JSON", NULL);
    s_refused ("[]", "(text)", NULL);
    s_refused ("{\"limits\": [], \"colour\": 1}", "(text)", "colour", NULL);
    s_refused ("{\"limits\": {}}", "(text)", "limits", NULL);
    s_refused ("{\"limits\": []}", "(text)", "no default entry for P1 dispatch", NULL);
    s_refused_extra ("{\"priority\": \"P5\", \"stage\": \"sign\", \"limit\": \"1h\"}",
                     "limits[0]", "priority");
    s_refused_extra ("{\"priority\": \"P1\", \"stage\": \"close\", \"limit\": \"1h\"}",
                     "limits[0]", "stage");
    s_refused_extra ("{\"priority\": \"P1\", \"stage\": \"sign\"}", "limits[0]", "limit");
    s_refused_extra ("{\"priority\": \"P2\", \"stage\": \"sign\", \"limit\": \"2x\"}",
                     "limits[0] (P2 sign)", "\"2x\"");
    s_refused_extra ("{\"priority\": \"P2\", \"stage\": \"sign\", \"limit\": \"0wm\"}",
                     "limits[0] (P2 sign)", "more than zero");
    s_refused_extra ("{\"priority\": \"P2\", \"stage\": \"sign\", \"limit\": \"1h\", "
                     "\"category\": \"roads\"}", "limits[0] (P2 sign)", "LL.SS");
    s_refused_extra ("{\"priority\": \"P2\", \"stage\": \"sign\", \"limit\": \"1h\", "
                     "\"tier\": \"village\"}", "limits[0]", "tier");
    s_refused_extra ("{\"priority\": \"P2\", \"stage\": \"sign\", \"limit\": \"1h\", "
                     "\"colour\": \"red\"}", "limits[0]", "colour");
    s_refused_extra ("\"P2 sign 1h\"", "limits[0]", "object");
    s_refused_extra ("{\"priority\": \"P2\", \"stage\": \"sign\", \"limit\": \"1h\", "
                     "\"tier\": \"grid\"}, {\"priority\": \"P2\", \"stage\": \"sign\", "
                     "\"limit\": \"2h\", \"tier\": \"grid\"}",
                     "limits[1] (P2 sign)", "a second entry for P2 sign tier grid");
    //  The defaults' second entry for P1 dispatch is a duplicate too.
    s_refused_extra ("{\"priority\": \"P1\", \"stage\": \"dispatch\", \"limit\": \"1h\"}",
                     "limits[1] (P1 dispatch)", "a second entry");
    //  Red before yellow, in different times: 3 natural hours come before the default
    //  yellow card at 1 working day.
    s_refused_extra ("{\"priority\": \"P3\", \"stage\": \"handle_red\", \"limit\": \"3h\", "
                     "\"tier\": \"grid\"}", "(P3 handle_red)", "handle_red must be at least");
    //  Wartime: every stage, natural time only.
    char *text = s_table (NULL);
    text [strlen (text) - 1] = 0;                   //  drop the closing brace
    char *bad = zsys_sprintf ("%s, \"wartime\": {\"dispatch\": \"10m\", \"sign\": \"15wm\", "
                              "\"handle_yellow\": \"1h\", \"handle_red\": \"2h\", "
                              "\"verify\": \"1h\"}}", text);
    s_refused (bad, "(text)", "wartime.sign", "natural time", NULL);
    zstr_free (&bad);
    bad = zsys_sprintf ("%s, \"wartime\": {\"dispatch\": \"10m\", \"sign\": \"15m\"}}", text);
    s_refused (bad, "(text)", "wartime.handle_yellow", "missing", NULL);
    zstr_free (&bad);
    bad = zsys_sprintf ("%s, \"wartime\": {\"dispatch\": \"10m\", \"sign\": \"15m\", "
                        "\"handle_yellow\": \"2h\", \"handle_red\": \"1h\", "
                        "\"verify\": \"1h\"}}", text);
    s_refused (bad, "(text)", "handle_red must be at least", NULL);
    zstr_free (&bad);
    bad = zsys_sprintf ("%s, \"wartime\": {\"siren\": \"1m\"}}", text);
    s_refused (bad, "(text)", "siren", NULL);
    zstr_free (&bad);
    //  Without the section, nothing is answered for wartime.
    gl_err_t err = { GL_OK, "" };
    char *complete = s_table (NULL);
    gl_limits_t *plain = gl_limits_load_text (complete, s_cal, &err);
    zstr_free (&complete);
    assert_non_null (plain);
    gl_limit_t war;
    assert_false (gl_limits_wartime (plain, GL_STAGE_SIGN, &war));
    gl_limits_destroy (&plain);
    zstr_free (&text);
    assert_null (gl_limits_load ("/nonexistent/limits.json", s_cal, &err));
    assert_non_null (strstr (err.message, "/nonexistent/limits.json"));
}

static void
test_names_are_looked_up_both_ways (void **state)
{
    for (int s = 0; s < GL_STAGE_COUNT; s++)
        assert_int_equal (gl_stage_lookup (gl_stage_name ((gl_stage_t) s)), s);
    assert_int_equal (gl_stage_lookup ("close"), -1);
    assert_string_equal (gl_stage_name (GL_STAGE_COUNT), "?");
    assert_int_equal (gl_priority_lookup ("P4"), 3);
    assert_int_equal (gl_priority_lookup ("P0"), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_the_bundled_table_has_the_countys_limits),
        cmocka_unit_test (test_the_most_specific_entry_wins),
        cmocka_unit_test (test_every_problem_is_refused_naming_the_file_and_entry),
        cmocka_unit_test (test_names_are_looked_up_both_ways),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

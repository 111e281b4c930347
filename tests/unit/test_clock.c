/*  test_clock — gl_clock: wall time, manual time that never moves backwards, county-local
    dates. The tests run in order: wall mode first, since manual mode cannot be left.  */
#include "unit.h"
#include "gl_clock.h"

#include <time.h>

static void
test_wall_mode_is_close_to_the_system_time (void **state)
{
    assert_false (gl_clock_is_manual ());
    int64_t before = (int64_t) time (NULL) * 1000;
    int64_t now = gl_clock_now ();
    int64_t after = (int64_t) time (NULL) * 1000 + 1000;
    assert_true (now >= before);
    assert_true (now < after);
    //  In wall mode, set and advance do nothing to the time.
    int64_t later = gl_clock_set (now + 86400000);
    assert_true (later < now + 60000);
    assert_true (gl_clock_advance (86400000) < now + 60000);
    assert_false (gl_clock_is_manual ());
}

static void
test_manual_mode_set_and_advance_never_go_backwards (void **state)
{
    const int64_t start = 1795795199000ll;                  //  2026-11-27T15:59:59Z
    gl_clock_manual (start);
    assert_true (gl_clock_is_manual ());
    assert_true (gl_clock_now () == start);
    assert_true (gl_clock_now () == start);                 //  stands still

    assert_true (gl_clock_advance (1000) == start + 1000);
    assert_true (gl_clock_now () == start + 1000);
    assert_true (gl_clock_set (start + 60000) == start + 60000);
    assert_true (gl_clock_now () == start + 60000);

    //  Backwards: refused, the time stays.
    assert_true (gl_clock_set (start) == start + 60000);
    assert_true (gl_clock_set (0) == start + 60000);
    assert_true (gl_clock_advance (-5000) == start + 60000);
    assert_true (gl_clock_advance (0) == start + 60000);
    assert_true (gl_clock_set (start + 60000) == start + 60000);
    assert_true (gl_clock_now () == start + 60000);

    //  Days in one step.
    assert_true (gl_clock_advance (7 * 86400000ll) == start + 60000 + 7 * 86400000ll);
}

static void
test_manual_mode_from_zero_starts_at_the_wall_time (void **state)
{
    int64_t before = (int64_t) time (NULL) * 1000;
    gl_clock_manual (0);
    int64_t now = gl_clock_now ();
    assert_true (gl_clock_is_manual ());
    assert_true (now >= before);
    assert_true (now < (int64_t) time (NULL) * 1000 + 1000);
    assert_true (gl_clock_now () == now);
}

static void
s_date (int64_t ms, int offset, const char *want)
{
    char out [9];
    memset (out, 'X', sizeof out);
    gl_clock_date (ms, offset, out);
    if (strcmp (out, want))
        fail_msg ("date of %lld at offset %d is %.9s, expected %s", (long long) ms, offset, out,
                  want);
}

static void
test_date_turns_at_local_midnight (void **state)
{
    //  China (UTC+8): 2026-11-27T15:59:59Z is 23:59:59 local, 16:00:00Z the next day.
    s_date (1795795199000ll, 480, "20261127");
    s_date (1795795199999ll, 480, "20261127");
    s_date (1795795200000ll, 480, "20261128");
    //  UTC itself.
    s_date (1795795200000ll, 0, "20261127");
    //  West of UTC (UTC-5): 05:00:00Z is local midnight.
    s_date (1795755599000ll, -300, "20261126");
    s_date (1795755600000ll, -300, "20261127");
    //  Leap day and year end.
    s_date (1709136000000ll, 480, "20240229");
    s_date (1798732800000ll, 480, "20270101");
    s_date (0, 0, "19700101");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_wall_mode_is_close_to_the_system_time),
        cmocka_unit_test (test_manual_mode_set_and_advance_never_go_backwards),
        cmocka_unit_test (test_manual_mode_from_zero_starts_at_the_wall_time),
        cmocka_unit_test (test_date_turns_at_local_midnight),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

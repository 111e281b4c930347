/*  test_scores — rates, composites, grades and the score file (common/gl_scores.c), with
    numbers worked out by hand.  */
#include "unit.h"
#include "gl_scores.h"

static gl_scores_t *
s_bundled (void)
{
    gl_err_t err;
    gl_scores_t *scores = gl_scores_load (u_source_path ("deploy/yunyang/scores.json"), &err);
    if (!scores)
        fail_msg ("%s", err.message);
    return scores;
}

static void
test_a_department_scores_by_response_resolution_and_satisfaction (void **state)
{
    gl_scores_t *scores = s_bundled ();
    int64_t c [GL_C_COUNT] = { 0 };
    //  10 steps: 8 signed on time of 10 due (80%), 6 resolved of 8 accepted (75%),
    //  3 satisfied of 4 callbacks (75%), one yellow card (−5) and 2 manual points.
    c [GL_C_ITEMS] = 10;
    c [GL_C_DUE_SIGN] = 10;
    c [GL_C_SIGNED_ON_TIME] = 8;
    c [GL_C_ACCEPTED] = 8;
    c [GL_C_RESOLVED] = 6;
    c [GL_C_CALLBACKS] = 4;
    c [GL_C_SATISFIED] = 3;
    c [GL_C_YELLOW_CARDS] = 1;
    c [GL_C_DEDUCTION] = 5;
    c [GL_C_POINTS] = 2;
    gl_score_t s;
    gl_scores_compute (scores, GL_G_DEPARTMENT, c, &s);
    assert_true (s.scored);
    assert_string_equal (s.formula, "handler");
    //  0.30·80 + 0.35·75 + 0.35·75 = 24 + 26.25 + 26.25 = 76.5; − 5 + 2 = 73.5: grade C.
    assert_true (s.has_value);
    assert_float_equal (s.weighted, 76.5, 1e-9);
    assert_float_equal (s.score, 73.5, 1e-9);
    assert_string_equal (s.grade, "C");
    assert_int_equal (s.items, 10);
    assert_true (s.ranked);
    assert_false (s.below_floor);          //  response 80 is not below 80
    c [GL_C_SIGNED_ON_TIME] = 7;           //  70% < 80: black-listed by the floor
    gl_scores_compute (scores, GL_G_DEPARTMENT, c, &s);
    assert_true (s.below_floor);
    gl_scores_destroy (&scores);
}

static void
test_a_rate_without_items_is_left_out_and_the_weights_renormalised (void **state)
{
    gl_scores_t *scores = s_bundled ();
    int64_t c [GL_C_COUNT] = { 0 };
    //  A grid: 3 of 4 reports found by its own staff (75%); closed on time 2 of 2 and
    //  verified on time 1 of 2: 3 of 4 (75%); no callbacks, no service orders.
    c [GL_C_REPORTED] = 4;
    c [GL_C_FOUND] = 3;
    c [GL_C_A_DUE_CLOSE] = 2;
    c [GL_C_A_CLOSED_ON_TIME] = 2;
    c [GL_C_A_DUE_VERIFY] = 2;
    c [GL_C_A_VERIFIED_ON_TIME] = 1;
    gl_score_t s;
    gl_scores_compute (scores, GL_G_GRID, c, &s);
    //  (0.30·75 + 0.30·75) / 0.60 = 75: grade B. 4 items < 5: listed, not ranked.
    assert_float_equal (s.score, 75, 1e-9);
    assert_string_equal (s.grade, "B");
    assert_int_equal (s.items, 4);
    assert_false (s.ranked);
    //  Nothing at all: no value, no grade.
    int64_t none [GL_C_COUNT] = { 0 };
    gl_scores_compute (scores, GL_G_GRID, none, &s);
    assert_false (s.has_value);
    assert_string_equal (s.grade, "");
    int64_t num, den;
    double value;
    assert_false (gl_rate_value (GL_R_SERVICE, c, &num, &den, &value));
    assert_true (gl_rate_value (GL_R_AREA_ON_TIME, c, &num, &den, &value));
    assert_int_equal (num, 3);
    assert_int_equal (den, 4);
    gl_scores_destroy (&scores);
}

static void
test_every_problem_is_refused_naming_the_file_and_entry (void **state)
{
    static const struct {
        const char *json, *expect;
    } cases [] = {
        { "{\"formulas\": {\"h\": {\"speed\": 1}}, \"kinds\": {}, \"grades\": "
          "[{\"grade\": \"A\", \"min\": 0}], \"floor\": {\"rate\": \"response\", \"below\": 80}}",
          "'speed' is not a rate" },
        { "{\"formulas\": {\"h\": {\"response\": 0}}, \"kinds\": {}, \"grades\": "
          "[{\"grade\": \"A\", \"min\": 0}], \"floor\": {\"rate\": \"response\", \"below\": 80}}",
          "add up to 0" },
        { "{\"formulas\": {\"h\": {\"response\": 1}}, \"kinds\": {\"grid\": \"x\"}, \"grades\": "
          "[{\"grade\": \"A\", \"min\": 0}], \"floor\": {\"rate\": \"response\", \"below\": 80}}",
          "kinds.grid: names no formula" },
        { "{\"formulas\": {\"h\": {\"response\": 1}}, \"kinds\": {\"town\": \"h\"}, \"grades\": "
          "[{\"grade\": \"A\", \"min\": 0}], \"floor\": {\"rate\": \"response\", \"below\": 80}}",
          "not a kind that is scored" },
        { "{\"formulas\": {\"h\": {\"response\": 1}}, \"kinds\": {}, \"grades\": "
          "[{\"grade\": \"A\", \"min\": 50}], \"floor\": {\"rate\": \"response\", \"below\": 80}}",
          "minimum 0" },
        { "{\"formulas\": {\"h\": {\"response\": 1}}, \"kinds\": {}, \"grades\": "
          "[{\"grade\": \"A\", \"min\": 0}, {\"grade\": \"B\", \"min\": 10}], "
          "\"floor\": {\"rate\": \"response\", \"below\": 80}}",
          "is not below" },
        { "{\"formulas\": {\"h\": {\"response\": 1}}, \"kinds\": {}, \"grades\": "
          "[{\"grade\": \"A\", \"min\": 0}], \"floor\": {\"rate\": \"response\", \"below\": 80}, "
          "\"colour\": 1}", "colour" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        gl_err_t err;
        gl_scores_t *scores = gl_scores_load_text (cases [i].json, &err);
        if (scores || !strstr (err.message, cases [i].expect))
            fail_msg ("case %zu: expected a refusal with \"%s\", got %s", i, cases [i].expect,
                      scores? "none": err.message);
    }
    gl_err_t err;
    assert_null (gl_scores_load ("/nonexistent/scores.json", &err));
    assert_non_null (strstr (err.message, "/nonexistent/scores.json"));
}

static void
test_names_are_looked_up_both_ways (void **state)
{
    for (int c = 0; c < GL_C_COUNT; c++)
        assert_int_equal (gl_counter_lookup (gl_counter_name ((gl_counter_t) c)), c);
    for (int r = 0; r < GL_R_COUNT; r++)
        assert_int_equal (gl_rate_lookup (gl_rate_name ((gl_rate_t) r)), r);
    for (int g = 0; g < GL_G_COUNT; g++)
        assert_int_equal (gl_group_lookup (gl_group_name ((gl_group_t) g)), g);
    assert_int_equal (gl_group_lookup ("county"), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_a_department_scores_by_response_resolution_and_satisfaction),
        cmocka_unit_test (test_a_rate_without_items_is_left_out_and_the_weights_renormalised),
        cmocka_unit_test (test_every_problem_is_refused_naming_the_file_and_entry),
        cmocka_unit_test (test_names_are_looked_up_both_ways),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  test_cli_metrics_view — the metrics stream read for people (tools/cli_metrics_view.c): names
    padded and cut by terminal columns (Chinese takes two), undefined rates shown as "-", the
    lights, the pipeline's summary line, and tail's lines for metrics.live, whose columns line
    up whatever the names are. Messages go through the real envelope codec.  */
#include "unit.h"
#include "cli_metrics_view.h"

#include <math.h>

static gl_config_t s_cfg;

//  The lines tail prints for a message of topic whose body is the JSON text body; NULL when
//  the formatter declines it.
static char *
s_tail (const char *topic, const char *body_json)
{
    json_error_t jerr;
    json_t *json = json_loads (body_json, 0, &jerr);
    assert_non_null (json);
    msgpack_sbuffer body, envelope;
    msgpack_sbuffer_init (&body);
    msgpack_sbuffer_init (&envelope);
    u_pack_json (json, &body);
    json_decref (json);
    //  2026-11-30 03:46:41 in the county (UTC+8).
    gl_envelope_encode (&envelope, "live", "metrics", 1, 1, INT64_C (1795981601000), NULL,
                        body.data, body.size);
    gl_doc_t doc;
    gl_envelope_t env;
    gl_err_t err;
    assert_int_equal (gl_envelope_decode (&doc, envelope.data, envelope.size, &env, &err), 0);
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&out, &size);
    bool printed = cli_view_print (f, &s_cfg, topic, strlen (topic), &env);
    fclose (f);
    gl_doc_fini (&doc);
    msgpack_sbuffer_destroy (&body);
    msgpack_sbuffer_destroy (&envelope);
    if (!printed) {
        assert_int_equal (size, 0);
        free (out);
        return NULL;
    }
    return out;
}

static void
test_names_are_padded_and_cut_by_terminal_columns (void **state)
{
    char buf [128];
    assert_int_equal (cli_view_width ("云阳县"), 6);
    assert_int_equal (cli_view_width ("SJ-01-01"), 8);
    cli_view_pad (buf, sizeof buf, "双江街道", 10);
    assert_string_equal (buf, "双江街道  ");
    //  Cut with "~": 县 and 12345 and 政 make 9 columns, the 10th is the mark.
    cli_view_pad (buf, sizeof buf, "县12345政务服务便民热线", 10);
    assert_string_equal (buf, "县12345政~");
    assert_int_equal (cli_view_width (buf), 10);
    //  A wide character that would straddle the edge is left out, the column padded.
    cli_view_pad (buf, sizeof buf, "云阳县", 4);
    assert_string_equal (buf, "云~ ");
    //  Nothing in a name moves the cursor: controls and broken bytes become '?'.
    cli_view_pad (buf, sizeof buf, "a\x1b[2Jb\xff", 8);
    assert_string_equal (buf, "a?[2Jb? ");
}

static void
test_undefined_rates_and_absent_counts_show_a_dash (void **state)
{
    char rate [16], count [24];
    assert_string_equal (cli_view_rate_text (NAN, rate), "-");
    assert_string_equal (cli_view_rate_text (93.25, rate), "93.2");
    assert_string_equal (cli_view_rate_text (100, rate), "100.0");
    assert_string_equal (cli_view_count_text (-1, count), "-");
    assert_string_equal (cli_view_count_text (0, count), "0");
}

static void
test_a_unit_is_green_without_overdue_work_red_when_half_is_overdue (void **state)
{
    cli_view_figures_t f = { .open = 4, .overdue = 0 };
    assert_int_equal (cli_view_light (&f), CLI_VIEW_LIGHT_GREEN);
    f.overdue = 1;
    assert_int_equal (cli_view_light (&f), CLI_VIEW_LIGHT_YELLOW);
    f.overdue = 2;
    assert_int_equal (cli_view_light (&f), CLI_VIEW_LIGHT_RED);
    f.open = -1;                        //  absent: no judgement beyond "something is overdue"
    assert_int_equal (cli_view_light (&f), CLI_VIEW_LIGHT_YELLOW);
}

static void
test_the_pipeline_line_names_what_is_down_lagging_and_failing (void **state)
{
    char *out = s_tail ("metrics.pipeline", "{\"at\": 1795981601000, \"services\": ["
        "{\"name\": \"intake\", \"up\": true, \"last_seq\": 12, \"per_s\": 1.5, \"errors\": 2,"
        " \"lag\": 0},"
        "{\"name\": \"archive\", \"up\": false, \"last_seq\": 0, \"per_s\": 0, \"errors\": 0,"
        " \"lag\": 0},"
        "{\"name\": \"metrics\", \"up\": true, \"last_seq\": 3, \"per_s\": 0.5, \"errors\": 0,"
        " \"lag\": 7}]}");
    assert_non_null (out);
    assert_string_equal (out, "03:46:41 pipeline 2/3 up (down: archive)  out 2.0/s  lag 7 "
                         "(metrics)  errors 2 (intake 2)\n");
    free (out);
}

//  The display column at which "reported" starts on a line.
static int
s_column_of_reported (const char *line)
{
    const char *at = strstr (line, "reported");
    assert_non_null (at);
    char prefix [512];
    snprintf (prefix, sizeof prefix, "%.*s", (int) (at - line), line);
    return cli_view_width (prefix);
}

static void
test_tail_prints_the_county_each_street_and_busy_departments_in_aligned_columns (void **state)
{
    char *out = s_tail ("metrics.live", "{\"at\": 1795981601000, \"day\": \"2026-11-30\","
        " \"period\": \"2026-11\","
        " \"county\": {\"unit\": \"CTY\", \"name\": \"云阳县\", \"reported_today\": 5,"
        "  \"closed_today\": 1, \"open\": 4, \"overdue\": 1, \"response\": 87.5,"
        "  \"on_time\": null, \"satisfaction\": 100},"
        " \"streets\": [{\"unit\": \"SJ\", \"name\": \"双江街道\", \"reported_today\": 4,"
        "  \"closed_today\": 1, \"open\": 3, \"overdue\": 1, \"response\": null,"
        "  \"on_time\": null, \"satisfaction\": null},"
        "  {\"unit\": \"QL\", \"name\": \"Qinglong\", \"reported_today\": 1, \"closed_today\": 0,"
        "  \"open\": 1, \"overdue\": 0, \"response\": null, \"on_time\": null,"
        "  \"satisfaction\": null}],"
        " \"departments\": [{\"unit\": \"D-POLICE\", \"name\": \"县公安局\", \"reported_today\": 0,"
        "  \"closed_today\": 0, \"open\": 0, \"overdue\": 0, \"response\": null,"
        "  \"on_time\": null, \"satisfaction\": null},"
        "  {\"unit\": \"D-HOTLINE\", \"name\": \"县12345政务服务便民热线\", \"reported_today\": 0,"
        "  \"closed_today\": 0, \"open\": 2, \"overdue\": 2, \"response\": 50,"
        "  \"on_time\": null, \"satisfaction\": null}]}");
    assert_non_null (out);
    char *lines [8];
    int n = 0;
    for (char *line = strtok (out, "\n"); line && n < 8; line = strtok (NULL, "\n"))
        lines [n++] = line;
    //  The day, the county, two streets, and only the department that holds work.
    assert_int_equal (n, 5);
    assert_string_equal (lines [0], "03:46:41 ---- 2026-11-30 (month 2026-11) ----");
    assert_non_null (strstr (lines [1], "county CTY"));
    assert_non_null (strstr (lines [1], "云阳县"));
    assert_non_null (strstr (lines [1], "reported    5  closed    1  open    4  overdue    1 "
                                        "yellow response  87.5  on-time     -  satisfaction "
                                        "100.0"));
    assert_non_null (strstr (lines [2], "street SJ"));
    assert_non_null (strstr (lines [3], "street QL"));
    assert_non_null (strstr (lines [4], "dept   D-HOTLINE"));
    assert_non_null (strstr (lines [4], "overdue    2 red"));
    for (int i = 2; i < n; i++)
        assert_int_equal (s_column_of_reported (lines [i]), s_column_of_reported (lines [1]));
    free (out);
}

static void
test_tail_leaves_other_topics_to_the_generic_line (void **state)
{
    assert_null (s_tail ("intake.event.reported", "{\"grid\": \"SJ-01-01\"}"));
    assert_null (s_tail ("metrics.hb", "{}"));
    //  A live message without the county is not one tail can show in columns.
    assert_null (s_tail ("metrics.live", "{\"day\": \"2026-11-30\"}"));
}

int
main (void)
{
    gl_config_defaults (&s_cfg);        //  the county at UTC+8
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_names_are_padded_and_cut_by_terminal_columns),
        cmocka_unit_test (test_undefined_rates_and_absent_counts_show_a_dash),
        cmocka_unit_test (test_a_unit_is_green_without_overdue_work_red_when_half_is_overdue),
        cmocka_unit_test (test_the_pipeline_line_names_what_is_down_lagging_and_failing),
        cmocka_unit_test (
            test_tail_prints_the_county_each_street_and_busy_departments_in_aligned_columns),
        cmocka_unit_test (test_tail_leaves_other_topics_to_the_generic_line),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  test_cli_notice — the notice's renderer on a hand-written snapshot: each group's table and
    chart, the red and black lists, the units named for overdue work, and every string a
    service or the county's files chose escaped (a unit named like markup is shown, never
    parsed). The whole command against real processes is tests/integration/test_notice.c.  */
#include "unit.h"
#include "cli_notice.h"

//  Two groups of one snapshot, as metrics answers `ranking` with `version`; one unit has a
//  name made to break out of the page.
static const char *s_snapshot =
    "{\"county\": \"云阳县\", \"period\": \"2026-11\", \"version\": 2, \"wartime\": false,"
    " \"published_at\": 1796086800000,"
    " \"published_by\": {\"unit\": \"CTY-ASSESS\", \"person\": \"CY-0005\"},"
    " \"groups\": ["
    "  {\"group\": \"board\", \"period\": \"2026-11\", \"version\": 2, \"rows\": ["
    "    {\"rank\": 1, \"unit\": \"SJ-B2\", \"name\": \"双江街道平安法治板块\", \"score\": 96.5,"
    "     \"grade\": \"A\", \"items\": 7, \"yellow_cards\": 0, \"red_cards\": 0, \"points\": 2},"
    "    {\"rank\": 2, \"unit\": \"SJ-B4\", \"name\": \"<script>alert('x')</script> & 板块\","
    "     \"score\": 38, \"grade\": \"E\", \"items\": 6, \"yellow_cards\": 2, \"red_cards\": 1,"
    "     \"points\": 0, \"notices\": 1},"
    "    {\"rank\": null, \"unit\": \"SJ-B1\", \"name\": \"双江街道党的建设板块\", \"score\": null,"
    "     \"grade\": null, \"items\": 1, \"yellow_cards\": 0, \"red_cards\": 0, \"points\": 0},"
    "    {\"rank\": null, \"unit\": \"SJ-B3\", \"name\": \"双江街道经济发展板块\", \"score\": null,"
    "     \"grade\": null, \"items\": 0, \"yellow_cards\": 0, \"red_cards\": 0, \"points\": 0}],"
    "   \"red\": [\"SJ-B2\"], \"black\": [\"SJ-B4\"],"
    "   \"floor\": {\"rate\": \"response\", \"below\": 80}},"
    "  {\"group\": \"street\", \"period\": \"2026-11\", \"version\": 2, \"rows\": [],"
    "   \"red\": [], \"black\": [], \"floor\": {\"rate\": \"response\", \"below\": 80}}]}";

static char *
s_render (const char *snapshot)
{
    json_error_t error;
    json_t *notice = json_loads (snapshot, 0, &error);
    assert_non_null (notice);
    char *html = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&html, &size);
    cli_notice_render (out, notice, 480);
    fclose (out);
    json_decref (notice);
    return html;
}

//  The section of html with id, as a string of its own (the caller frees it).
static char *
s_section (const char *html, const char *id)
{
    char start [64];
    snprintf (start, sizeof start, "<section id=\"%s\"", id);
    const char *from = strstr (html, start);
    assert_non_null (from);
    const char *to = strstr (from, "</section>");
    assert_non_null (to);
    return strndup (from, (size_t) (to - from));
}

//  How many times needle occurs in haystack.
static int
s_count (const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
        n++;
    return n;
}

static void
test_the_notice_has_a_table_and_a_chart_per_group_and_both_lists (void **state)
{
    char *html = s_render (s_snapshot);
    assert_non_null (strstr (html, "<title>云阳县 2026-11 排榜通报（第 2 版）</title>"));
    assert_non_null (strstr (html, "<meta charset=\"utf-8\">"));
    //  Published at 2026-12-01 09:00 county time, by the assessment office's person.
    assert_non_null (strstr (html, "发布于 2026-12-01 09:00:00 +08:00"));
    assert_non_null (strstr (html, "CTY-ASSESS / CY-0005"));
    assert_int_equal (s_count (html, "<table class=\"ranking\""), 2);
    //  A chart for the group with scores; the empty group has no bars to draw.
    assert_int_equal (s_count (html, "<svg class=\"chart\" data-group=\"board\""), 1);
    assert_int_equal (s_count (html, "<svg "), 1);
    assert_int_equal (s_count (html, "<rect class=\"bar\""), 2);
    //  The unranked unit with items is listed as such; the one without items only counted.
    assert_non_null (strstr (html, "未排名"));
    assert_null (strstr (html, "SJ-B3"));
    assert_non_null (strstr (html, "另有 1 个单位本期无办件"));
    //  A group with no rows at all still has its table, saying so.
    assert_non_null (strstr (html, "<td colspan=\"11\" class=\"none\">本期无办件</td>"));
    //  The lists, and the floor that puts a unit on the black one.
    char *red = s_section (html, "red-list"), *black = s_section (html, "black-list");
    assert_non_null (strstr (red, "<td>SJ-B2</td>"));
    assert_null (strstr (red, "SJ-B4"));
    assert_non_null (strstr (black, "<td>SJ-B4</td>"));
    assert_non_null (strstr (black, "按时签收率低于 80%"));
    free (red);
    free (black);
    assert_int_equal (s_count (html, "<span class=\"tag red\">红榜</span>"), 1);
    assert_int_equal (s_count (html, "<span class=\"tag black\">黑榜</span>"), 1);
    //  Named for overdue work: the unit with cards and a notice, nobody else.
    char *named = s_section (html, "named");
    assert_non_null (strstr (named, "<td>SJ-B4</td>"));
    assert_non_null (strstr (named, "<td class=\"num\">2</td><td class=\"num\">1</td>"
                                    "<td class=\"num\">1</td>"));
    assert_null (strstr (named, "SJ-B2"));
    free (named);
    //  Self-contained: nothing is fetched from anywhere.
    assert_null (strstr (html, "src="));
    assert_null (strstr (html, "href="));
    assert_null (strstr (html, "@import"));
    assert_null (strstr (html, "url("));
    free (html);
}

static void
test_every_string_is_escaped (void **state)
{
    char *html = s_render (s_snapshot);
    assert_null (strstr (html, "<script"));
    assert_non_null (strstr (html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 板块"));
    free (html);
    //  Markup in the county's name, the period and the publisher, too.
    char *hostile = s_render ("{\"county\": \"<b>县\", \"period\": \"\\\"><i>\","
                              " \"version\": 1, \"published_by\": \"</title><x>\","
                              " \"groups\": []}");
    assert_null (strstr (hostile, "<b>"));
    assert_null (strstr (hostile, "<i>"));
    assert_null (strstr (hostile, "<x>"));
    assert_non_null (strstr (hostile, "&lt;b&gt;县"));
    assert_non_null (strstr (hostile, "&quot;&gt;&lt;i&gt;"));
    free (hostile);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_the_notice_has_a_table_and_a_chart_per_group_and_both_lists),
        cmocka_unit_test (test_every_string_is_escaped),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

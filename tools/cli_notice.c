/*  cli_notice — `gridloop notice`: a published ranking snapshot as one self-contained HTML
    notice (排榜通报).  */
#include "cli_notice.h"
#include "cli_call.h"
#include "gl_clock.h"
#include "gl_json.h"
#include "gl_org.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define S_USAGE     "notice --period P [--version N] [--wartime] [--out FILE]"
#define S_MAX_BARS  40          //  bars per chart: past that a chart stops being readable; the
                                //  table below it still lists every unit
#define S_CHART_W   800         //  chart width in px; the page is 960 wide
#define S_LABEL_W   220         //  room for a unit's name left of its bar
#define S_BAR_W     480         //  a bar at the chart's top score
#define S_ROW_H     22          //  one bar and its gap

//  The peer groups of proto/metrics.md §3, in the notice's order, with their Chinese titles.
//  A notice asks for every one of them.
static const struct {
    const char *group;          //  as metrics names it
    const char *title;          //  heading in the notice
} s_groups [] = {
    { "street", "街道（乡镇）" }, { "community", "社区（村）" }, { "grid", "网格" },
    { "board", "街道工作板块" }, { "department", "县级部门" }, { "centre", "指挥中心" },
    { "mediation", "调解组织" }, { "worker", "网格员" },
};
#define S_GROUPS (sizeof s_groups / sizeof s_groups [0])

//  The rates a floor can name (proto/metrics.md §3), for the black list's note.
static const struct {
    const char *rate;
    const char *title;
} s_rates [] = {
    { "response", "按时签收率" }, { "on_time", "按期办结率" }, { "completion", "办结率" },
    { "resolution", "化解率" }, { "satisfaction", "满意率" }, { "rework", "返工率" },
    { "return", "退单率" }, { "reporting", "主动发现率" }, { "area_on_time", "按期办结/核查率" },
    { "verification", "按时核查率" }, { "area_satisfaction", "满意率" },
};

static int
s_usage_error (const char *what)
{
    fprintf (stderr, "gridloop: notice: %s\n(usage: gridloop " S_USAGE ")\n", what);
    return 2;
}

//  ---------------------------------------------------------------------------------------------
//  Asking metrics.

//  One `ranking` of group for period (version 0: computed now). Returns 0 with the answer as
//  JSON in *reply (the caller's), or 1 with the refusal printed.
static int
s_ranking (const gl_config_t *cfg, const char *group, const char *period, bool wartime,
           uint64_t version, json_t **reply)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "group", group);
    gl_mapw_str (&w, "period", period);
    if (wartime)
        gl_mapw_bool (&w, "wartime", true);
    if (version)
        gl_mapw_u64 (&w, "version", version);
    gl_doc_t answer;
    int rc = cli_call (cfg, GL_SVC_METRICS, "ranking", false, &w, &answer);
    gl_mapw_fini (&w);
    if (rc == 0)
        *reply = gl_json_from_msgpack (&answer.root);
    gl_doc_fini (&answer);
    return rc;
}

//  The latest published version of period into *version (0: none yet), as every `ranking`
//  answer tells it (`latest_version`, nil before the first). Returns 0, or 1 with what went
//  wrong printed.
static int
s_latest_version (const gl_config_t *cfg, const char *period, bool wartime, uint64_t *version)
{
    json_t *reply;
    if (s_ranking (cfg, s_groups [0].group, period, wartime, 0, &reply))
        return 1;
    json_t *latest = json_object_get (reply, "latest_version");
    bool told = json_is_null (latest)
             || (json_is_integer (latest) && json_integer_value (latest) >= 0);
    *version = json_is_integer (latest)? (uint64_t) json_integer_value (latest): 0;
    json_decref (reply);
    if (!told)
        fprintf (stderr, "gridloop: notice: metrics does not say which version of %s is the "
                 "latest: name one with --version N\n", period);
    return told? 0: 1;
}

//  The county's name from the domain files of the configuration; NULL when they cannot be
//  read (the notice then says so less nicely, by the county's unit id).
static char *
s_county_name (const gl_config_t *cfg)
{
    gl_err_t err;
    gl_org_t *org = gl_org_load (cfg->org_path, cfg->categories_path, NULL, &err);
    if (!org) {
        fprintf (stderr, "gridloop: notice: the county's name is not known (%s); the notice "
                 "says CTY\n", err.message);
        return NULL;
    }
    char *name = strdup (gl_org_county_name (org));
    gl_org_destroy (&org);
    return name;
}

//  Write len bytes to path as a whole: to path.tmp, flushed to disk, then renamed over path,
//  so a browser or a mail job never reads half a notice. Returns 0, or -1 (errno set).
static int
s_write_file (const char *path, const char *bytes, size_t len)
{
    char tmp [4096];
    if (snprintf (tmp, sizeof tmp, "%s.tmp", path) >= (int) sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen (tmp, "w");
    if (!f)
        return -1;
    int rc = fwrite (bytes, 1, len, f) == len && fflush (f) == 0 && fsync (fileno (f)) == 0?
             0: -1;
    int saved = errno;
    if (fclose (f) && rc == 0)
        rc = -1, saved = errno;
    if (rc == 0 && rename (tmp, path))
        rc = -1, saved = errno;
    if (rc)
        unlink (tmp);
    errno = saved;
    return rc;
}

int
cli_notice (const gl_config_t *cfg, int argc, char **argv)
{
    const char *period = NULL, *out_path = NULL;
    int64_t version = 0;
    bool wartime = false;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--period") && i + 1 < argc)
            period = argv [++i];
        else
        if (streq (argv [i], "--out") && i + 1 < argc)
            out_path = argv [++i];
        else
        if (streq (argv [i], "--version") && i + 1 < argc) {
            if (gl_parse_whole (argv [++i], 1, INT32_MAX, &version))
                return s_usage_error ("--version takes a published version, 1 or more");
        }
        else
        if (streq (argv [i], "--wartime"))
            wartime = true;
        else {
            char what [160];
            snprintf (what, sizeof what, "unexpected argument '%s'", argv [i]);
            return s_usage_error (what);
        }
    }
    if (!period)
        return s_usage_error ("which period? e.g. --period 2026-11 (a month) or 2026-W48");

    uint64_t wanted = (uint64_t) version;
    if (!wanted) {
        if (s_latest_version (cfg, period, wartime, &wanted))
            return 1;
        if (!wanted) {
            fprintf (stderr, "gridloop: notice: nothing is published for %s yet: publish it "
                     "first (gridloop publish %s --as CTY-ASSESS --person ID)\n", period,
                     period);
            return 1;
        }
    }
    //  Every group of the one snapshot: a notice never mixes versions.
    json_t *notice = json_object (), *groups = json_array ();
    char *county = s_county_name (cfg);
    json_object_set_new (notice, "county", json_string (county? county: "CTY"));
    free (county);
    json_object_set_new (notice, "period", json_string (period));
    json_object_set_new (notice, "version", json_integer ((json_int_t) wanted));
    json_object_set_new (notice, "wartime", json_boolean (wartime));
    json_object_set_new (notice, "groups", groups);
    for (size_t g = 0; g < S_GROUPS; g++) {
        json_t *reply;
        if (s_ranking (cfg, s_groups [g].group, period, wartime, wanted, &reply)) {
            json_decref (notice);
            return 1;
        }
        if (g == 0) {
            json_object_set (notice, "published_at", json_object_get (reply, "published_at"));
            json_object_set (notice, "published_by", json_object_get (reply, "published_by"));
        }
        json_array_append_new (groups, reply);
    }
    //  The whole page in memory first: written at once, or not at all.
    char *html = NULL;
    size_t size = 0;
    FILE *page = open_memstream (&html, &size);
    cli_notice_render (page, notice, cfg->utc_offset_min);
    fclose (page);
    json_decref (notice);
    int rc = 0;
    if (out_path) {
        if (s_write_file (out_path, html, size)) {
            fprintf (stderr, "gridloop: notice: cannot write %s: %s\n", out_path,
                     strerror (errno));
            rc = 1;
        }
    }
    else
    if (fwrite (html, 1, size, stdout) != size || fflush (stdout))
        rc = 1;
    free (html);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  Rendering. Everything the services or the county's files chose (names, ids, periods)
//  passes through s_esc: a unit called "<script>" is shown, never run.

//  Write s as HTML text (also safe inside a quoted attribute). Control characters but tab and
//  newline are dropped: HTML has no use for them.
static void
s_esc (FILE *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char) *s;
        if (c == '&')
            fputs ("&amp;", out);
        else
        if (c == '<')
            fputs ("&lt;", out);
        else
        if (c == '>')
            fputs ("&gt;", out);
        else
        if (c == '"')
            fputs ("&quot;", out);
        else
        if (c == '\'')
            fputs ("&#39;", out);
        else
        if (c >= 0x20 || c == '\t' || c == '\n')
            fputc (c, out);
    }
}

//  A string member of o, "" when absent or not a string.
static const char *
s_str (const json_t *o, const char *key)
{
    const char *s = json_string_value (json_object_get (o, key));
    return s? s: "";
}

//  An integer member of o, 0 when absent or nil.
static long long
s_int (const json_t *o, const char *key)
{
    return (long long) json_integer_value (json_object_get (o, key));
}

//  A row's score into *score; false when it has none (no rate of its formula has a value).
static bool
s_score (const json_t *row, double *score)
{
    const json_t *v = json_object_get (row, "score");
    if (!json_is_number (v))
        return false;
    *score = json_number_value (v);
    return true;
}

static bool
s_ranked (const json_t *row)
{
    return json_is_integer (json_object_get (row, "rank"));
}

//  The row of unit in a group's ranking, NULL when it is not there.
static const json_t *
s_row (const json_t *group, const char *unit)
{
    size_t i;
    const json_t *row;
    json_array_foreach (json_object_get (group, "rows"), i, row)
        if (streq (s_str (row, "unit"), unit))
            return row;
    return NULL;
}

//  Whether unit is on a group's list ("red" or "black").
static bool
s_listed (const json_t *group, const char *list, const char *unit)
{
    size_t i;
    const json_t *id;
    json_array_foreach (json_object_get (group, list), i, id)
        if (json_is_string (id) && streq (json_string_value (id), unit))
            return true;
    return false;
}

static const char *
s_group_title (const char *group)
{
    for (size_t g = 0; g < S_GROUPS; g++)
        if (streq (s_groups [g].group, group))
            return s_groups [g].title;
    return group;
}

//  The colour of a grade's bar and badge (grey: no grade).
static const char *
s_grade_colour (const char *grade)
{
    static const char *colours [] = { "#2e7d32", "#00897b", "#f9a825", "#ef6c00", "#c62828" };
    if (grade [0] >= 'A' && grade [0] <= 'E' && !grade [1])
        return colours [grade [0] - 'A'];
    return "#9e9e9e";
}

static void
s_score_cell (FILE *out, const json_t *row)
{
    double score;
    if (s_score (row, &score))
        fprintf (out, "<td class=\"num\">%.1f</td>", score);
    else
        fputs ("<td class=\"num none\">—</td>", out);
}

static void
s_rank_cell (FILE *out, const json_t *row)
{
    const json_t *rank = json_object_get (row, "rank");
    if (json_is_integer (rank))
        fprintf (out, "<td class=\"num\">%lld</td>", (long long) json_integer_value (rank));
    else
        fputs ("<td class=\"none\" title=\"件数不足，不排名\">未排名</td>", out);
}

static void
s_grade_cell (FILE *out, const json_t *row)
{
    const char *grade = s_str (row, "grade");
    if (!*grade) {
        fputs ("<td class=\"none\">—</td>", out);
        return;
    }
    fprintf (out, "<td><span class=\"grade\" style=\"background:%s\">", s_grade_colour (grade));
    s_esc (out, grade);
    fputs ("</span></td>", out);
}

//  A text cell.
static void
s_cell (FILE *out, const char *text)
{
    fputs ("<td>", out);
    s_esc (out, text);
    fputs ("</td>", out);
}

//  A group's ranking as horizontal bars, best first: the ranked rows (an unranked unit's score
//  rests on too few items to be set beside the others), at most S_MAX_BARS, each in its
//  grade's colour, on a scale from 0 to 100 (or the top score, when manual points lift one
//  above 100). A score below 0 draws no bar, only its number.
static void
s_chart (FILE *out, const json_t *group)
{
    const json_t *rows = json_object_get (group, "rows"), *row;
    size_t i, bars = 0, ranked = 0;
    double top = 100, score;
    json_array_foreach (rows, i, row)
        if (s_ranked (row) && s_score (row, &score)) {
            ranked++;
            if (score > top)
                top = score;
        }
    if (ranked == 0)
        return;
    size_t shown = ranked < S_MAX_BARS? ranked: S_MAX_BARS;
    int height = 30 + (int) shown * S_ROW_H + 8;
    const char *name = s_str (group, "group");
    fprintf (out, "<svg class=\"chart\" data-group=\"");
    s_esc (out, name);
    fprintf (out, "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
             "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", S_CHART_W, height, S_CHART_W,
             height);
    s_esc (out, s_group_title (name));
    fputs (" 得分\">\n", out);
    //  The scale: a line and a number every fifth of it.
    for (int t = 0; t <= 4; t++) {
        double x = S_LABEL_W + S_BAR_W * t / 4.0;
        fprintf (out, "<line x1=\"%.1f\" y1=\"22\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                 "<text x=\"%.1f\" y=\"16\" class=\"tick\" text-anchor=\"middle\">%.0f</text>\n",
                 x, x, height - 8, x, top * t / 4);
    }
    json_array_foreach (rows, i, row) {
        if (bars == shown)
            break;
        if (!s_ranked (row) || !s_score (row, &score))
            continue;
        int y = 26 + (int) bars * S_ROW_H;
        double w = score > 0? S_BAR_W * score / top: 0;
        fprintf (out, "<text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"end\">",
                 S_LABEL_W - 8, y + 14);
        s_esc (out, *s_str (row, "name")? s_str (row, "name"): s_str (row, "unit"));
        fprintf (out, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
                 "height=\"%d\" fill=\"%s\"><title>", S_LABEL_W, y, w, S_ROW_H - 6,
                 s_grade_colour (s_str (row, "grade")));
        s_esc (out, s_str (row, "unit"));
        fprintf (out, " %.1f</title></rect><text x=\"%.1f\" y=\"%d\" class=\"value\">%.1f"
                 "</text>\n", score, S_LABEL_W + w + 6, y + 14, score);
        bars++;
    }
    fputs ("</svg>\n", out);
    if (ranked > shown)
        fprintf (out, "<p class=\"note\">图中为前 %zu 名，共 %zu 个单位排名；全部见下表。</p>\n",
                 shown, ranked);
}

//  A group's table: every unit with items, in the ranking's order (ranked first, then the
//  unranked by name); units without items this period are counted, not listed (a group where
//  none has any says so in its table).
static void
s_table (FILE *out, const json_t *group)
{
    const json_t *rows = json_object_get (group, "rows"), *row;
    size_t i, idle = 0;
    fputs ("<table class=\"ranking\" data-group=\"", out);
    s_esc (out, s_str (group, "group"));
    fputs ("\">\n<thead><tr><th>名次</th><th>单位代码</th><th>名称</th><th>得分</th>"
           "<th>等级</th><th>件数</th><th>黄牌</th><th>红牌</th><th>通报</th><th>加减分</th>"
           "<th>榜单</th></tr></thead>\n<tbody>\n", out);
    json_array_foreach (rows, i, row) {
        if (s_int (row, "items") <= 0) {
            idle++;
            continue;
        }
        const char *unit = s_str (row, "unit");
        bool red = s_listed (group, "red", unit), black = s_listed (group, "black", unit);
        fprintf (out, "<tr%s>", red? " class=\"red\"": black? " class=\"black\"": "");
        s_rank_cell (out, row);
        s_cell (out, unit);
        s_cell (out, s_str (row, "name"));
        s_score_cell (out, row);
        s_grade_cell (out, row);
        long long points = s_int (row, "points");
        fprintf (out, "<td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
                 "<td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
                 "<td class=\"num\">%s%lld</td><td>%s</td></tr>\n",
                 s_int (row, "items"), s_int (row, "yellow_cards"), s_int (row, "red_cards"),
                 s_int (row, "notices"), points > 0? "+": "", points,
                 red? "<span class=\"tag red\">红榜</span>":
                 black? "<span class=\"tag black\">黑榜</span>": "");
    }
    bool listed = idle < json_array_size (rows);
    if (!listed)
        fputs ("<tr><td colspan=\"11\" class=\"none\">本期无办件</td></tr>\n", out);
    fputs ("</tbody>\n</table>\n", out);
    if (idle && listed)
        fprintf (out, "<p class=\"note\">另有 %zu 个单位本期无办件，未列出。</p>\n", idle);
}

//  The red or black list of every group, as one table.
static void
s_list (FILE *out, const json_t *groups, const char *list)
{
    bool red = streq (list, "red");
    fprintf (out, "<section id=\"%s-list\">\n<h2>%s</h2>\n", list, red? "红榜": "黑榜");
    fprintf (out, "<table class=\"list %s\">\n<thead><tr><th>类别</th><th>名次</th>"
             "<th>单位代码</th><th>名称</th><th>得分</th><th>等级</th></tr></thead>\n<tbody>\n",
             list);
    size_t g, u, count = 0;
    const json_t *group, *id;
    json_array_foreach (groups, g, group)
        json_array_foreach (json_object_get (group, list), u, id) {
            const json_t *row = s_row (group, json_string_value (id));
            fputs ("<tr>", out);
            s_cell (out, s_group_title (s_str (group, "group")));
            if (row)
                s_rank_cell (out, row);
            else
                fputs ("<td></td>", out);
            s_cell (out, json_string_value (id));
            s_cell (out, row? s_str (row, "name"): "");
            if (row) {
                s_score_cell (out, row);
                s_grade_cell (out, row);
            }
            else
                fputs ("<td></td><td></td>", out);
            fputs ("</tr>\n", out);
            count++;
        }
    if (count == 0)
        fputs ("<tr><td colspan=\"6\" class=\"none\">本期无</td></tr>\n", out);
    fputs ("</tbody>\n</table>\n", out);
    //  Who is on the black list by the floor rather than by rank: say what the floor is.
    const json_t *floor = json_object_get (json_array_get (groups, 0), "floor");
    if (!red && json_is_object (floor)) {
        const char *rate = s_str (floor, "rate"), *title = rate;
        for (size_t r = 0; r < sizeof s_rates / sizeof s_rates [0]; r++)
            if (streq (s_rates [r].rate, rate))
                title = s_rates [r].title;
        fputs ("<p class=\"note\">黑榜为各类末位单位，以及", out);
        s_esc (out, title);
        fprintf (out, "低于 %g%% 的单位（不论是否排名）。</p>\n",
                 json_number_value (json_object_get (floor, "below")));
    }
    fputs ("</section>\n", out);
}

//  The units named for overdue work: a notice (通报) of escalation, or a card.
static void
s_named (FILE *out, const json_t *groups)
{
    fputs ("<section id=\"named\">\n<h2>超期点名</h2>\n<p class=\"note\">本期被督办通报或"
           "亮牌的单位（黄牌、红牌，超期五个工作日未说明理由的通报）。</p>\n"
           "<table class=\"list named\">\n<thead><tr><th>类别</th><th>单位代码</th>"
           "<th>名称</th><th>黄牌</th><th>红牌</th><th>通报</th></tr></thead>\n<tbody>\n", out);
    size_t g, i, count = 0;
    const json_t *group, *row;
    json_array_foreach (groups, g, group)
        json_array_foreach (json_object_get (group, "rows"), i, row) {
            long long yellow = s_int (row, "yellow_cards"), red = s_int (row, "red_cards"),
                      notices = s_int (row, "notices");
            if (yellow + red + notices <= 0)
                continue;
            fputs ("<tr>", out);
            s_cell (out, s_group_title (s_str (group, "group")));
            s_cell (out, s_str (row, "unit"));
            s_cell (out, s_str (row, "name"));
            fprintf (out, "<td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
                     "<td class=\"num\">%lld</td></tr>\n", yellow, red, notices);
            count++;
        }
    if (count == 0)
        fputs ("<tr><td colspan=\"6\" class=\"none\">本期无</td></tr>\n", out);
    fputs ("</tbody>\n</table>\n</section>\n", out);
}

//  The page's look: inline (nothing is fetched), fonts that carry Chinese on Windows, macOS
//  and Linux, and a print layout that starts each group on a fresh page.
static const char *s_css =
    "body{margin:0 auto;max-width:960px;padding:24px;color:#222;background:#fff;"
    "font:14px/1.5 \"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",\"Microsoft YaHei\","
    "\"PingFang SC\",sans-serif}\n"
    "h1{font-size:24px;text-align:center;color:#b71c1c;margin:8px 0}\n"
    "h2{font-size:18px;border-left:4px solid #b71c1c;padding-left:8px;margin:28px 0 8px}\n"
    ".meta{text-align:center;color:#555}\n"
    "table{border-collapse:collapse;width:100%;margin:8px 0}\n"
    "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}\n"
    "th{background:#f3f3f3}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".none{color:#999}\n"
    ".grade{color:#fff;border-radius:3px;padding:0 6px}\n"
    ".tag{color:#fff;border-radius:3px;padding:0 6px}\n"
    ".tag.red{background:#c62828}.tag.black{background:#212121}\n"
    "tr.red td{background:#ffebee}tr.black td{background:#eceff1}\n"
    "table.list.red th{background:#ffcdd2}table.list.black th{background:#cfd8dc}\n"
    ".note{color:#666;font-size:12px}\n"
    "svg.chart{display:block;margin:8px 0}\n"
    "svg .label{font-size:12px;fill:#333}svg .value{font-size:12px;fill:#222}\n"
    "svg .tick{font-size:11px;fill:#888}\n"
    "footer{margin-top:32px;color:#888;font-size:12px;border-top:1px solid #ddd;"
    "padding-top:8px}\n"
    "@media print{section.group{page-break-before:always}}\n";

void
cli_notice_render (FILE *out, const json_t *notice, int64_t utc_offset_min)
{
    const json_t *groups = json_object_get (notice, "groups");
    long long version = s_int (notice, "version");
    bool wartime = json_is_true (json_object_get (notice, "wartime"));
    char when [48] = "—";
    const json_t *at = json_object_get (notice, "published_at");
    if (json_is_integer (at))
        gl_clock_local ((int64_t) json_integer_value (at), (int) utc_offset_min, false, when,
                        sizeof when);
    //  published_by: who published, as metrics writes it ({unit, person} or a name).
    const json_t *by = json_object_get (notice, "published_by");
    char *by_text = json_is_string (by)? strdup (json_string_value (by)):
                    json_is_object (by)? NULL: strdup ("—");
    if (!by_text) {
        const char *unit = s_str (by, "unit"), *person = s_str (by, "person");
        by_text = zsys_sprintf ("%s%s%s", unit, *person? " / ": "", person);
    }

    fputs ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
           out);
    s_esc (out, s_str (notice, "county"));
    fputs (" ", out);
    s_esc (out, s_str (notice, "period"));
    fprintf (out, " 排榜通报%s（第 %lld 版）</title>\n<style>\n%s</style>\n</head>\n<body>\n"
             "<header>\n<h1>", wartime? "（战时）": "", version, s_css);
    s_esc (out, s_str (notice, "county"));
    fputs ("基层治理考核排榜通报", out);
    fputs (wartime? "（战时）": "", out);
    fputs ("</h1>\n<p class=\"meta\">考核期 ", out);
    s_esc (out, s_str (notice, "period"));
    fprintf (out, " · 第 %lld 版 · 发布于 ", version);
    s_esc (out, when);
    fputs (" · 发布人 ", out);
    s_esc (out, by_text);
    fputs ("</p>\n</header>\n", out);
    free (by_text);

    s_list (out, groups, "red");
    s_list (out, groups, "black");
    s_named (out, groups);
    size_t g;
    const json_t *group;
    json_array_foreach (groups, g, group) {
        const char *name = s_str (group, "group");
        fputs ("<section id=\"group-", out);
        s_esc (out, name);
        fputs ("\" class=\"group\">\n<h2>", out);
        s_esc (out, s_group_title (name));
        fputs ("</h2>\n", out);
        s_chart (out, group);
        s_table (out, group);
        fputs ("</section>\n", out);
    }
    fprintf (out, "<footer>据第 %lld 版排榜快照生成（gridloop notice）。快照发布后不再改动，"
             "更正以新版本发布。得分满分 100，扣除黄牌、红牌分值，计入加减分；件数不足者列出但"
             "不排名。</footer>\n</body>\n</html>\n", version);
}

/*  cli_metrics — scores, rankings, publishing and manual points on the command line
    (cli_metrics.h, proto/metrics.md §4).  */
#include "cli_metrics.h"
#include "cli_call.h"
#include "cli_metrics_view.h"
#include "gl_json.h"

static int
s_usage (const char *command, const char *usage, const char *what)
{
    fprintf (stderr, "gridloop: %s: %s\n(usage: gridloop %s)\n", command, what, usage);
    return 2;
}

//  The flags every command shares; the positional arguments into pos (at most npos).
typedef struct {
    const char *period, *version, *as, *person, *reason;
    bool wartime, why, json;
    const char *pos [2];
    int npos;
} s_args_t;

static int
s_parse (int argc, char **argv, int npos, const char *usage, s_args_t *a)
{
    memset (a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *f = argv [i];
        bool value = i + 1 < argc;
        if (streq (f, "--period") && value)
            a->period = argv [++i];
        else
        if (streq (f, "--version") && value)
            a->version = argv [++i];
        else
        if (streq (f, "--as") && value)
            a->as = argv [++i];
        else
        if (streq (f, "--person") && value)
            a->person = argv [++i];
        else
        if (streq (f, "--reason") && value)
            a->reason = argv [++i];
        else
        if (streq (f, "--wartime"))
            a->wartime = true;
        else
        if (streq (f, "--why"))
            a->why = true;
        else
        if (streq (f, "--json"))
            a->json = true;
        else
        if ((f [0] != '-' || (f [1] >= '0' && f [1] <= '9')) && a->npos < npos)
            a->pos [a->npos++] = f;
        else
            return s_usage (argv [0], usage, "unexpected argument");
    }
    if (a->npos < npos)
        return s_usage (argv [0], usage, "missing argument");
    return 0;
}

static void
s_common (gl_mapw_t *w, const s_args_t *a)
{
    if (a->period)
        gl_mapw_str (w, "period", a->period);
    if (a->wartime)
        gl_mapw_bool (w, "wartime", true);
}

static void
s_actor (gl_mapw_t *w, const s_args_t *a)
{
    gl_mapw_t actor;
    gl_mapw_init (&actor);
    gl_mapw_str (&actor, "unit", a->as? a->as: "");
    gl_mapw_str (&actor, "person", a->person? a->person: "");
    gl_mapw_map (w, "actor", &actor);
    gl_mapw_fini (&actor);
}

static void
s_json (const msgpack_object *obj)
{
    char *line = gl_json_line (obj);
    printf ("%s\n", line);
    free (line);
}

static void
s_print_value (const msgpack_object *v, const char *format)
{
    if (v && (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32))
        printf (format, v->via.f64);
    else
    if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        printf (format, (double) v->via.u64);
    else
    if (v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        printf (format, (double) v->via.i64);
    else
        printf ("%*s", 7, "-");
}

static void
s_why (const gl_config_t *cfg, const s_args_t *a, const char *unit)
{
    char after [128] = "";
    printf ("\nThe facts behind these figures:\n");
    do {
        gl_mapw_t w;
        gl_mapw_init (&w);
        gl_mapw_str (&w, "unit", unit);
        s_common (&w, a);
        if (*after)
            gl_mapw_str (&w, "after", after);
        gl_doc_t answer;
        int rc = cli_call (cfg, GL_SVC_METRICS, "why", false, &w, &answer);
        gl_mapw_fini (&w);
        if (rc) {
            gl_doc_fini (&answer);
            return;
        }
        const msgpack_object *facts = gl_map_get (&answer.root, "facts");
        for (uint32_t i = 0; facts && i < facts->via.array.size; i++) {
            const msgpack_object *f = &facts->via.array.ptr [i],
                                 *counters = gl_map_get (f, "counters");
            char id [80] = "", kind [8] = "";
            uint64_t step = 0;
            gl_get_strbuf (f, "id", id, sizeof id);
            gl_get_strbuf (f, "kind", kind, sizeof kind);
            gl_get_u64 (f, "step", &step);
            printf ("  %-26s %-5s step %-3llu", id, kind, (unsigned long long) step);
            for (uint32_t k = 0; counters && k < counters->via.map.size; k++)
                printf (" %.*s=%lld", (int) counters->via.map.ptr [k].key.via.str.size,
                        counters->via.map.ptr [k].key.via.str.ptr,
                        (long long) counters->via.map.ptr [k].val.via.i64);
            printf ("\n");
        }
        const msgpack_object *points = gl_map_get (&answer.root, "points");
        for (uint32_t i = 0; points && i < points->via.array.size; i++) {
            const msgpack_object *p = &points->via.array.ptr [i], *by = gl_map_get (p, "by");
            char reason [600] = "", person [80] = "", unit_by [40] = "";
            int64_t n = 0;
            gl_get_i64 (p, "points", &n);
            gl_get_strbuf (p, "reason", reason, sizeof reason);
            gl_get_strbuf (by, "person", person, sizeof person);
            gl_get_strbuf (by, "unit", unit_by, sizeof unit_by);
            printf ("  manual points %+lld by %s (%s): %s\n", (long long) n, person, unit_by,
                    reason);
        }
        after [0] = 0;
        gl_get_strbuf (&answer.root, "next", after, sizeof after);
        gl_doc_fini (&answer);
    } while (*after);
}

int
cli_score (const gl_config_t *cfg, int argc, char **argv)
{
    const char *usage = "score UNIT [--period P] [--wartime] [--why] [--json]";
    s_args_t a;
    if (s_parse (argc, argv, 1, usage, &a))
        return 2;
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "unit", a.pos [0]);
    s_common (&w, &a);
    gl_doc_t answer;
    int rc = cli_call (cfg, GL_SVC_METRICS, "score", false, &w, &answer);
    gl_mapw_fini (&w);
    if (rc == 0 && a.json)
        s_json (&answer.root);
    else
    if (rc == 0) {
        const msgpack_object *r = &answer.root;
        char name [256] = "", group [32] = "-", formula [32] = "-", period [16] = "",
             grade [8] = "";
        int64_t items = 0, min_items = 0, yellow = 0, red = 0, deduction = 0, points = 0;
        bool ranked = false;
        gl_get_strbuf (r, "name", name, sizeof name);
        gl_get_strbuf (r, "group", group, sizeof group);
        gl_get_strbuf (r, "formula", formula, sizeof formula);
        gl_get_strbuf (r, "period", period, sizeof period);
        gl_get_strbuf (r, "grade", grade, sizeof grade);
        gl_get_i64 (r, "items", &items);
        gl_get_i64 (r, "min_items", &min_items);
        gl_get_i64 (r, "yellow_cards", &yellow);
        gl_get_i64 (r, "red_cards", &red);
        gl_get_i64 (r, "deduction", &deduction);
        gl_get_i64 (r, "points", &points);
        gl_get_bool (r, "ranked", &ranked);
        printf ("%s %s  %s%s  group %s, formula %s\n", a.pos [0], name, period,
                a.wartime? " (wartime)": "", group, formula);
        printf ("%-18s %9s %9s %8s %7s\n", "rate", "num", "den", "value", "weight");
        const msgpack_object *rates = gl_map_get (r, "rates");
        for (uint32_t i = 0; rates && i < rates->via.array.size; i++) {
            const msgpack_object *x = &rates->via.array.ptr [i];
            char rate [32] = "";
            int64_t num = 0, den = 0;
            double weight = 0;
            gl_get_strbuf (x, "rate", rate, sizeof rate);
            gl_get_i64 (x, "num", &num);
            gl_get_i64 (x, "den", &den);
            const msgpack_object *wv = gl_map_get (x, "weight");
            if (wv && wv->type == MSGPACK_OBJECT_FLOAT64)
                weight = wv->via.f64;
            printf ("%-18s %9lld %9lld ", rate, (long long) num, (long long) den);
            s_print_value (gl_map_get (x, "value"), "%7.2f%%");
            printf (weight > 0? " %7.2f\n": "\n", weight);
        }
        printf ("weighted ");
        s_print_value (gl_map_get (r, "weighted"), "%.2f");
        printf ("  − cards %lld (%lld yellow, %lld red)  %+lld manual points  = score ",
                (long long) deduction, (long long) yellow, (long long) red, (long long) points);
        s_print_value (gl_map_get (r, "score"), "%.2f");
        printf ("  grade %s\n%lld items: %s\n", *grade? grade: "-", (long long) items,
                ranked? "ranked": "listed, not ranked (fewer than the minimum)");
        (void) min_items;
        if (a.why)
            s_why (cfg, &a, a.pos [0]);
    }
    gl_doc_fini (&answer);
    return rc;
}

int
cli_ranking (const gl_config_t *cfg, int argc, char **argv)
{
    const char *usage = "ranking GROUP [--period P] [--version N] [--wartime] [--json]";
    s_args_t a;
    int64_t version = 0;
    if (s_parse (argc, argv, 1, usage, &a))
        return 2;
    if (a.version && gl_parse_whole (a.version, 1, 1000000, &version))
        return s_usage (argv [0], usage, "--version takes a published version, 1 or more");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "group", a.pos [0]);
    s_common (&w, &a);
    if (version)
        gl_mapw_u64 (&w, "version", (uint64_t) version);
    gl_doc_t answer;
    int rc = cli_call (cfg, GL_SVC_METRICS, "ranking", false, &w, &answer);
    gl_mapw_fini (&w);
    if (rc == 0 && a.json)
        s_json (&answer.root);
    else
    if (rc == 0) {
        const msgpack_object *r = &answer.root;
        char period [16] = "";
        uint64_t v = 0;
        gl_get_strbuf (r, "period", period, sizeof period);
        bool published = gl_get_u64 (r, "version", &v);
        printf ("%s ranking, %s%s — %s\n", a.pos [0], period, a.wartime? " (wartime)": "",
                published? "published": "computed now, not published");
        if (published)
            printf ("version %llu\n", (unsigned long long) v);
        char cell [4 * 28 + 1];
        cli_view_pad (cell, sizeof cell, "name", 28);
        printf ("%4s  %-14s %s %7s %5s %6s %6s %6s\n", "rank", "unit", cell, "score",
                "grade", "items", "cards", "points");
        const msgpack_object *rows = gl_map_get (r, "rows");
        for (uint32_t i = 0; rows && i < rows->via.array.size; i++) {
            const msgpack_object *x = &rows->via.array.ptr [i];
            char unit [80] = "", name [256] = "", grade [8] = "";
            uint64_t rank = 0;
            int64_t items = 0, yellow = 0, red = 0, points = 0;
            bool ranked = gl_get_u64 (x, "rank", &rank);
            gl_get_strbuf (x, "unit", unit, sizeof unit);
            gl_get_strbuf (x, "name", name, sizeof name);
            gl_get_strbuf (x, "grade", grade, sizeof grade);
            gl_get_i64 (x, "items", &items);
            gl_get_i64 (x, "yellow_cards", &yellow);
            gl_get_i64 (x, "red_cards", &red);
            gl_get_i64 (x, "points", &points);
            if (ranked)
                printf ("%4llu  ", (unsigned long long) rank);
            else
                printf ("%4s  ", "-");
            //  Names in terminal columns: a Chinese character takes two.
            cli_view_pad (cell, sizeof cell, name, 28);
            printf ("%-14s %s ", unit, cell);
            s_print_value (gl_map_get (x, "score"), "%7.2f");
            printf (" %5s %6lld %6lld %+6lld\n", *grade? grade: "-", (long long) items,
                    (long long) (yellow + red), (long long) points);
        }
        const char *lists [2] = { "red", "black" }, *titles [2] = { "red list 红榜", "black list 黑榜" };
        for (int l = 0; l < 2; l++) {
            const msgpack_object *list = gl_map_get (r, lists [l]);
            printf ("%s:", titles [l]);
            for (uint32_t i = 0; list && i < list->via.array.size; i++)
                printf (" %.*s", (int) list->via.array.ptr [i].via.str.size,
                        list->via.array.ptr [i].via.str.ptr);
            printf ("\n");
        }
    }
    gl_doc_fini (&answer);
    return rc;
}

int
cli_publish (const gl_config_t *cfg, int argc, char **argv)
{
    const char *usage = "publish PERIOD --as UNIT --person ID [--reason TEXT]";
    s_args_t a;
    if (s_parse (argc, argv, 1, usage, &a))
        return 2;
    if (!a.as || !a.person)
        return s_usage (argv [0], usage, "--as and --person say who publishes");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "period", a.pos [0]);
    s_actor (&w, &a);
    if (a.reason)
        gl_mapw_str (&w, "reason", a.reason);
    gl_doc_t answer;
    int rc = cli_call (cfg, GL_SVC_METRICS, "publish", true, &w, &answer);
    gl_mapw_fini (&w);
    if (rc == 0) {
        uint64_t version = 0, groups = 0;
        gl_get_u64 (&answer.root, "version", &version);
        gl_get_u64 (&answer.root, "groups", &groups);
        printf ("published %s version %llu (%llu peer groups); read it with `gridloop ranking "
                "GROUP --period %s --version %llu` or `gridloop notice --period %s`\n",
                a.pos [0], (unsigned long long) version, (unsigned long long) groups, a.pos [0],
                (unsigned long long) version, a.pos [0]);
    }
    gl_doc_fini (&answer);
    return rc;
}

int
cli_points (const gl_config_t *cfg, int argc, char **argv)
{
    const char *usage = "points UNIT POINTS --reason TEXT --as UNIT --person ID [--period P]";
    s_args_t a;
    int64_t points;
    if (s_parse (argc, argv, 2, usage, &a))
        return 2;
    if (gl_parse_whole (a.pos [1][0] == '-'? a.pos [1] + 1: a.pos [1], 1, 100, &points))
        return s_usage (argv [0], usage, "POINTS is a whole number from -100 to 100, not 0");
    if (a.pos [1][0] == '-')
        points = -points;
    if (!a.as || !a.person || !a.reason)
        return s_usage (argv [0], usage, "--reason, --as and --person are required");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "unit", a.pos [0]);
    gl_mapw_i64 (&w, "points", points);
    gl_mapw_str (&w, "reason", a.reason);
    if (a.period)
        gl_mapw_str (&w, "period", a.period);
    s_actor (&w, &a);
    gl_doc_t answer;
    int rc = cli_call (cfg, GL_SVC_METRICS, "points", true, &w, &answer);
    gl_mapw_fini (&w);
    if (rc == 0) {
        char period [16] = "";
        uint64_t number = 0;
        gl_get_strbuf (&answer.root, "period", period, sizeof period);
        gl_get_u64 (&answer.root, "number", &number);
        printf ("%+lld points to %s for %s (number %llu)\n", (long long) points, a.pos [0],
                period, (unsigned long long) number);
    }
    gl_doc_fini (&answer);
    return rc;
}

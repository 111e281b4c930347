/*  cli_metrics_view — the metrics stream read for people: readers, columns, tail's lines.  */
#include "cli_metrics_view.h"
#include "gl_clock.h"
#include "gl_json.h"

#include <math.h>
#include <string.h>

double
cli_view_number (const msgpack_object *map, const char *key)
{
    const msgpack_object *v = gl_map_get (map, key);
    if (!v)
        return NAN;
    switch (v->type) {
        case MSGPACK_OBJECT_POSITIVE_INTEGER: return (double) v->via.u64;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: return (double) v->via.i64;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:          return v->via.f64;
        default:                              return NAN;
    }
}

//  A whole-number field, or -1 when absent (counts are never negative).
static int64_t
s_count (const msgpack_object *map, const char *key)
{
    double v = cli_view_number (map, key);
    return isnan (v) || v < 0? -1: (int64_t) v;
}

void
cli_view_figures_read (const msgpack_object *map, cli_view_figures_t *f)
{
    memset (f, 0, sizeof *f);
    gl_get_strbuf (map, "unit", f->unit, sizeof f->unit);
    gl_get_strbuf (map, "name", f->name, sizeof f->name);
    f->reported_today = s_count (map, "reported_today");
    f->closed_today = s_count (map, "closed_today");
    f->open = s_count (map, "open");
    f->overdue = s_count (map, "overdue");
    f->response = cli_view_number (map, "response");
    f->on_time = cli_view_number (map, "on_time");
    f->satisfaction = cli_view_number (map, "satisfaction");
}

void
cli_view_service_read (const msgpack_object *map, cli_view_service_t *s)
{
    memset (s, 0, sizeof *s);
    gl_get_strbuf (map, "name", s->name, sizeof s->name);
    gl_get_bool (map, "up", &s->up);
    s->last_seq = s_count (map, "last_seq");
    s->per_s = cli_view_number (map, "per_s");
    s->errors = s_count (map, "errors");
    s->lag = s_count (map, "lag");
}

void
cli_view_rank_row_read (const msgpack_object *map, cli_view_rank_row_t *row)
{
    memset (row, 0, sizeof *row);
    row->rank = s_count (map, "rank");
    if (row->rank < 0)
        row->rank = 0;
    gl_get_strbuf (map, "unit", row->unit, sizeof row->unit);
    gl_get_strbuf (map, "name", row->name, sizeof row->name);
    row->score = cli_view_number (map, "score");
    gl_get_strbuf (map, "grade", row->grade, sizeof row->grade);
    row->items = s_count (map, "items");
    row->yellow_cards = s_count (map, "yellow_cards");
    row->red_cards = s_count (map, "red_cards");
}

cli_view_light_t
cli_view_light (const cli_view_figures_t *f)
{
    if (f->overdue <= 0)
        return CLI_VIEW_LIGHT_GREEN;
    return f->open > 0 && f->overdue * 2 >= f->open? CLI_VIEW_LIGHT_RED: CLI_VIEW_LIGHT_YELLOW;
}

const char *
cli_view_light_name (cli_view_light_t light)
{
    return light == CLI_VIEW_LIGHT_RED? "red": light == CLI_VIEW_LIGHT_YELLOW? "yellow": "green";
}

//  ---------------------------------------------------------------------------------------------
//  Columns. Written here rather than taken from wcwidth(3) because tail runs in whatever locale
//  the operator has (often "C", where wcwidth knows no Chinese), and tail and top must agree.

//  Decode the UTF-8 character at text: its code point in *cp and its length, or 1 with
//  *cp = 0xFFFD for a byte that does not start a valid one.
static size_t
s_decode (const unsigned char *text, uint32_t *cp)
{
    unsigned char c = text [0];
    size_t n = c < 0x80? 1: (c & 0xe0) == 0xc0? 2: (c & 0xf0) == 0xe0? 3: (c & 0xf8) == 0xf0? 4: 0;
    if (n == 0 || !gl_utf8_valid ((const char *) text, n)) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = n == 1? c: (uint32_t) (c & (0x7f >> n));
    for (size_t k = 1; k < n; k++)
        *cp = (*cp << 6) | (text [k] & 0x3f);
    return n;
}

//  Two columns for the East Asian Wide and Fullwidth blocks (Unicode UAX #11), one else.
static int
s_columns (uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f)
        || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff)
        || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
        || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd)? 2: 1;
}

int
cli_view_width (const char *text)
{
    int width = 0;
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        uint32_t cp;
        p += s_decode (p, &cp);
        width += s_columns (cp);
    }
    return width;
}

void
cli_view_pad (char *buf, size_t size, const char *text, int cols)
{
    size_t o = 0;
    int width = 0;
    bool cut = cli_view_width (text) > cols;
    int room = cut? cols - 1: cols;     //  a cut name ends in "~"
    const unsigned char *p = (const unsigned char *) text;
    while (*p && o + 5 < size) {
        uint32_t cp;
        size_t n = s_decode (p, &cp);
        int w = s_columns (cp);
        if (width + w > room)
            break;
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0xfffd)
            buf [o++] = '?';
        else {
            memcpy (buf + o, p, n);
            o += n;
        }
        width += w;
        p += n;
    }
    if (cut && width < cols && o + 1 < size) {
        buf [o++] = '~';
        width++;
    }
    while (width < cols && o + 1 < size) {
        buf [o++] = ' ';
        width++;
    }
    buf [o] = 0;
}

const char *
cli_view_rate_text (double rate, char *buf)
{
    if (isnan (rate))
        snprintf (buf, 16, "-");
    else
        snprintf (buf, 16, "%.1f", rate);
    return buf;
}

const char *
cli_view_count_text (int64_t count, char *buf)
{
    if (count < 0)
        snprintf (buf, 24, "-");
    else
        snprintf (buf, 24, "%lld", (long long) count);
    return buf;
}

void
cli_view_pipeline_summary (const msgpack_object *body, char *buf, size_t size)
{
    const msgpack_object *services = gl_map_get (body, "services");
    uint32_t count = services && services->type == MSGPACK_OBJECT_ARRAY?
                     services->via.array.size: 0;
    char down [256] = "", lagging [80] = "", failing [256] = "";
    size_t down_len = 0, failing_len = 0;
    uint32_t up = 0;
    double out = 0;
    int64_t lag = 0, errors = 0;
    for (uint32_t i = 0; i < count; i++) {
        cli_view_service_t s;
        cli_view_service_read (&services->via.array.ptr [i], &s);
        if (s.up)
            up++;
        else
        if (down_len < sizeof down)
            down_len += (size_t) snprintf (down + down_len, sizeof down - down_len, "%s%s",
                                           down_len? " ": "", s.name);
        if (!isnan (s.per_s))
            out += s.per_s;
        if (s.lag > lag) {
            lag = s.lag;
            snprintf (lagging, sizeof lagging, " (%s)", s.name);
        }
        if (s.errors > 0) {
            errors += s.errors;
            if (failing_len < sizeof failing)
                failing_len += (size_t) snprintf (failing + failing_len,
                                                  sizeof failing - failing_len, "%s%s %lld",
                                                  failing_len? ", ": "", s.name,
                                                  (long long) s.errors);
        }
    }
    snprintf (buf, size, "%u/%u up%s%s%s  out %.1f/s  lag %lld%s  errors %lld%s%s%s", up, count,
              down_len? " (down: ": "", down, down_len? ")": "", out, (long long) lag, lagging,
              (long long) errors, failing_len? " (": "", failing, failing_len? ")": "");
}

//  ---------------------------------------------------------------------------------------------
//  tail's lines. Each line stands alone (it starts with its time), so that a log of hours can
//  be grepped for a street or a service.

//  One figures line: what, id, name, the four counts and the three rates, in fixed columns.
static void
s_print_figures (FILE *out, const char *when, const char *what, const msgpack_object *map)
{
    cli_view_figures_t f;
    cli_view_figures_read (map, &f);
    char id [4 * 13 + 1], name [4 * 18 + 1], c [4][24], r [3][16];
    cli_view_pad (id, sizeof id, f.unit, 13);
    cli_view_pad (name, sizeof name, f.name, 18);
    fprintf (out, "%s %-6s %s %s reported %4s  closed %4s  open %4s  overdue %4s %-6s "
             "response %5s  on-time %5s  satisfaction %5s\n", when, what, id, name,
             cli_view_count_text (f.reported_today, c [0]),
             cli_view_count_text (f.closed_today, c [1]), cli_view_count_text (f.open, c [2]),
             cli_view_count_text (f.overdue, c [3]),
             cli_view_light_name (cli_view_light (&f)), cli_view_rate_text (f.response, r [0]),
             cli_view_rate_text (f.on_time, r [1]), cli_view_rate_text (f.satisfaction, r [2]));
}

//  A list of unit ids (an array of str) as "A B C", or "-".
static void
s_ids (const msgpack_object *map, const char *key, char *buf, size_t size)
{
    const msgpack_object *ids = gl_map_get (map, key);
    size_t o = 0;
    buf [0] = 0;
    for (uint32_t i = 0; ids && ids->type == MSGPACK_OBJECT_ARRAY && i < ids->via.array.size
                         && o < size; i++) {
        const msgpack_object *id = &ids->via.array.ptr [i];
        if (id->type == MSGPACK_OBJECT_STR)
            o += (size_t) snprintf (buf + o, size - o, "%s%.*s", o? " ": "",
                                    (int) id->via.str.size, id->via.str.ptr);
    }
    if (!buf [0])
        snprintf (buf, size, "-");
}

bool
cli_view_print (FILE *out, const gl_config_t *cfg, const char *topic, size_t topic_len,
                const gl_envelope_t *env)
{
    char full [48], when [16];
    gl_clock_local (env->ts, (int) cfg->utc_offset_min, false, full, sizeof full);
    //  "2026-11-29 10:00:00 +08:00": the time of day; the county line carries the day.
    snprintf (when, sizeof when, "%.8s", full + 11);
    const msgpack_object *body = env->body;
    char t [GL_MAX_TOPIC + 1];
    snprintf (t, sizeof t, "%.*s", (int) topic_len, topic);
    if (streq (t, "metrics.live")) {
        char day [16] = "", period [16] = "";
        gl_get_strbuf (body, "day", day, sizeof day);
        gl_get_strbuf (body, "period", period, sizeof period);
        const msgpack_object *county = gl_map_get (body, "county");
        if (!county)
            return false;
        fprintf (out, "%s ---- %s (month %s) ----\n", when, day, period);
        s_print_figures (out, when, "county", county);
        const msgpack_object *streets = gl_map_get (body, "streets"),
                             *departments = gl_map_get (body, "departments");
        for (uint32_t i = 0; streets && streets->type == MSGPACK_OBJECT_ARRAY
                             && i < streets->via.array.size; i++)
            s_print_figures (out, when, "street", &streets->via.array.ptr [i]);
        //  Departments only when they hold work or saw some today: most days most of the
        //  county's departments hold nothing, and hours of their zeros would bury the rest.
        for (uint32_t i = 0; departments && departments->type == MSGPACK_OBJECT_ARRAY
                             && i < departments->via.array.size; i++) {
            cli_view_figures_t f;
            cli_view_figures_read (&departments->via.array.ptr [i], &f);
            if (f.open > 0 || f.overdue > 0 || f.reported_today > 0 || f.closed_today > 0)
                s_print_figures (out, when, "dept", &departments->via.array.ptr [i]);
        }
    }
    else
    if (streq (t, "metrics.pipeline")) {
        char summary [1024];
        cli_view_pipeline_summary (body, summary, sizeof summary);
        fprintf (out, "%s pipeline %s\n", when, summary);
    }
    else
    if (strncmp (t, "metrics.ranking.", 16) == 0) {
        char period [16] = "", by [GL_MAX_NAME + 1] = "", red [512], black [512];
        uint64_t version = 0;
        bool wartime = false;
        gl_get_strbuf (body, "period", period, sizeof period);
        gl_get_u64 (body, "version", &version);
        gl_get_bool (body, "wartime", &wartime);
        const msgpack_object *who = gl_map_get (body, "by");
        if (!gl_get_strbuf (who, "unit", by, sizeof by))
            gl_get_strbuf (body, "by", by, sizeof by);
        s_ids (body, "red", red, sizeof red);
        s_ids (body, "black", black, sizeof black);
        fprintf (out, "%s ranking  %s %s%s version %llu published by %s  red list: %s  "
                 "black list: %s\n", when, t + 16, period, wartime? " wartime": "",
                 (unsigned long long) version, by [0]? by: "-", red, black);
    }
    else
    if (strncmp (t, "metrics.points.", 15) == 0) {
        char unit [GL_MAX_NAME + 1] = "", period [16] = "", reason [512] = "",
             by [GL_MAX_NAME + 1] = "";
        int64_t points = 0;
        uint64_t number = 0;
        gl_get_strbuf (body, "unit", unit, sizeof unit);
        gl_get_strbuf (body, "period", period, sizeof period);
        gl_get_strbuf (body, "reason", reason, sizeof reason);
        gl_get_i64 (body, "points", &points);
        gl_get_u64 (body, "number", &number);
        const msgpack_object *who = gl_map_get (body, "by");
        if (!gl_get_strbuf (who, "unit", by, sizeof by))
            gl_get_strbuf (body, "by", by, sizeof by);
        fprintf (out, "%s points   %s %+lld for %s (#%llu, by %s): %s\n", when, unit,
                 (long long) points, period, (unsigned long long) number, by [0]? by: "-",
                 reason);
    }
    else
        return false;
    fflush (out);
    return true;
}

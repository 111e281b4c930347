/*  cli_archive — `gridloop show`, `search` and `export`: the archive on the command line.  */
#include "cli_archive.h"
#include "cli_call.h"
#include "gl_client.h"
#include "gl_json.h"
#include "gl_proto.h"

#include <czmq.h>
#include <time.h>
#include <unistd.h>

#define S_PAGE_EXPORT   1000    //  events per export page: search's largest page; the archive
                                //  cuts it shorter by limits/replay_kb

static int
s_usage (const char *what)
{
    fprintf (stderr, "gridloop: %s\n(`gridloop --help` lists the commands and flags)\n", what);
    return 2;
}

//  Send one request to the archive; 0 with the answer (ok), or 1 with the refusal printed.
static int
s_call (const gl_config_t *cfg, const char *op, gl_mapw_t *fields, gl_doc_t *answer)
{
    return cli_call (cfg, GL_SVC_ARCHIVE, op, false, fields, answer);
}

//  ms since 1970 as the county's local time "YYYY-MM-DD HH:MM:SS".
static void
s_local (const gl_config_t *cfg, int64_t ms, char *buf, size_t size)
{
    time_t t = (time_t) (ms / 1000) + (time_t) cfg->utc_offset_min * 60;
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

//  A time given on the command line: ms since 1970, or YYYY-MM-DD[THH:MM[:SS]] in the
//  county's local time. Returns 0, or -1 when it is neither.
static int
s_parse_time (const gl_config_t *cfg, const char *text, int64_t *ms)
{
    char *end;
    long long n = strtoll (text, &end, 10);
    if (*text && !*end && n >= 0) {
        *ms = n;
        return 0;
    }
    struct tm tm = { 0 };
    int got = sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    if (got != 3 && got != 5 && got != 6)
        return -1;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31
    ||  tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ms = ((int64_t) timegm (&tm) - cfg->utc_offset_min * 60) * 1000;
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  Search flags, shared by search and export: each a field of the request.

typedef enum { S_STR, S_TIME, S_MONTH } s_kind_t;

typedef struct {
    const char *flag;           //  on the command line
    const char *key;            //  in the request
    s_kind_t kind;              //  how its value is read
} s_flag_t;

static const s_flag_t s_flags [] = {
    { "--unit", "unit", S_STR }, { "--holder", "holder", S_STR },
    { "--state", "state", S_STR }, { "--category", "category", S_STR },
    { "--sanshi", "sanshi", S_STR }, { "--priority", "priority", S_STR },
    { "--channel", "channel", S_STR }, { "--role", "role", S_STR },
    { "--source", "source", S_STR },
    { "--reported-from", "reported_from", S_TIME }, { "--reported-to", "reported_to", S_TIME },
    { "--closed-from", "closed_from", S_TIME }, { "--closed-to", "closed_to", S_TIME },
    { "--month", NULL, S_MONTH },
};

#define S_FILTERS_USAGE \
    "[--unit UNIT] [--holder UNIT] [--state STATE] [--category LL.SS] " \
    "[--sanshi major|minor|private] [--priority P1..P4] [--channel CHANNEL] [--role ROLE] " \
    "[--source ID] [--reported-from T] [--reported-to T] [--closed-from T] [--closed-to T] " \
    "[--month YYYY-MM] (T: YYYY-MM-DD[THH:MM] in county time, or ms)"

//  Read the filter flag at argv [*i] (and its value) into w. Returns 1 taken, 0 not a filter
//  flag, or 2 after printing what is wrong with its value.
static int
s_filter (const gl_config_t *cfg, int argc, char **argv, int *i, gl_mapw_t *w)
{
    for (size_t f = 0; f < sizeof s_flags / sizeof s_flags [0]; f++) {
        if (!streq (argv [*i], s_flags [f].flag))
            continue;
        if (*i + 1 >= argc) {
            char what [96];
            snprintf (what, sizeof what, "%s needs a value", s_flags [f].flag);
            return s_usage (what);
        }
        const char *value = argv [++*i];
        int64_t ms;
        if (s_flags [f].kind == S_STR)
            gl_mapw_str (w, s_flags [f].key, value);
        else
        if (s_flags [f].kind == S_TIME) {
            if (s_parse_time (cfg, value, &ms)) {
                char what [160];
                snprintf (what, sizeof what, "%s takes YYYY-MM-DD, YYYY-MM-DDTHH:MM (county "
                          "time) or ms since 1970, not '%s'", s_flags [f].flag, value);
                return s_usage (what);
            }
            gl_mapw_i64 (w, s_flags [f].key, ms);
        }
        else {
            //  A calendar month of the county: reported from its first day to the next's.
            int year, month;
            char day [32], tail;
            if (sscanf (value, "%4d-%2d%c", &year, &month, &tail) != 2 || month < 1
            ||  month > 12)
                return s_usage ("--month takes YYYY-MM, e.g. --month 2026-11");
            int64_t from, to;
            snprintf (day, sizeof day, "%04d-%02d-01", year, month);
            s_parse_time (cfg, day, &from);
            snprintf (day, sizeof day, "%04d-%02d-01", month == 12? year + 1: year,
                      month == 12? 1: month + 1);
            s_parse_time (cfg, day, &to);
            gl_mapw_i64 (w, "reported_from", from);
            gl_mapw_i64 (w, "reported_to", to);
        }
        return 1;
    }
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  search

static const char *
s_str (const msgpack_object *map, const char *key, char *buf, size_t size)
{
    if (!gl_get_strbuf (map, key, buf, size))
        snprintf (buf, size, "-");
    return buf;
}

static const char *
s_when (const gl_config_t *cfg, const msgpack_object *map, const char *key, char *buf,
        size_t size)
{
    int64_t ms;
    if (gl_get_i64 (map, key, &ms)) {
        s_local (cfg, ms, buf, size);
        buf [16] = 0;           //  to the minute in a table
    }
    else
        snprintf (buf, size, "-");
    return buf;
}

static void
s_table_row (const gl_config_t *cfg, const msgpack_object *ev)
{
    char id [80], state [24], cat [16], sanshi [16], pri [8], grid [72], unit [72], chan [24],
         rep [32], clo [32];
    uint64_t returns = 0;
    gl_get_u64 (ev, "returns", &returns);
    printf ("%-25s %-12s %-5s %-7s %-3s %-9s %-14s %-10s %-16s %-16s %llu\n",
            s_str (ev, "id", id, sizeof id), s_str (ev, "state", state, sizeof state),
            s_str (ev, "category", cat, sizeof cat), s_str (ev, "sanshi", sanshi, sizeof sanshi),
            s_str (ev, "priority", pri, sizeof pri), s_str (ev, "grid", grid, sizeof grid),
            s_str (ev, "unit", unit, sizeof unit), s_str (ev, "channel", chan, sizeof chan),
            s_when (cfg, ev, "reported_at", rep, sizeof rep),
            s_when (cfg, ev, "closed_at", clo, sizeof clo), (unsigned long long) returns);
}

int
cli_archive_search (const gl_config_t *cfg, int argc, char **argv)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    bool json = false;
    for (int i = 1; i < argc; i++) {
        int taken = s_filter (cfg, argc, argv, &i, &w);
        if (taken == 2) {
            gl_mapw_fini (&w);
            return 2;
        }
        if (taken)
            continue;
        if (streq (argv [i], "--json"))
            json = true;
        else
        if (streq (argv [i], "--count"))
            gl_mapw_bool (&w, "count", true);
        else
        if (streq (argv [i], "--after") && i + 1 < argc)
            gl_mapw_str (&w, "after", argv [++i]);
        else
        if (streq (argv [i], "--limit") && i + 1 < argc) {
            char *end;
            unsigned long long n = strtoull (argv [++i], &end, 10);
            if (*end || n < 1 || n > 1000) {
                gl_mapw_fini (&w);
                return s_usage ("search: --limit takes a number from 1 to 1000");
            }
            gl_mapw_u64 (&w, "limit", n);
        }
        else {
            gl_mapw_fini (&w);
            return s_usage ("search takes " S_FILTERS_USAGE " [--limit N] [--after ID] "
                            "[--count] [--json]");
        }
    }
    gl_doc_t answer;
    int rc = s_call (cfg, "search", &w, &answer);
    gl_mapw_fini (&w);
    if (rc == 0 && json) {
        json_t *j = gl_json_from_msgpack (&answer.root);
        char *text = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
        puts (text);
        free (text);
        json_decref (j);
    }
    else
    if (rc == 0) {
        const msgpack_object *events = gl_map_get (&answer.root, "events");
        printf ("%-25s %-12s %-5s %-7s %-3s %-9s %-14s %-10s %-16s %-16s %s\n", "ID", "STATE",
                "CAT", "SANSHI", "PRI", "GRID", "HOLDER", "CHANNEL", "REPORTED", "CLOSED",
                "RETURNS");
        for (uint32_t i = 0; events && i < events->via.array.size; i++)
            s_table_row (cfg, &events->via.array.ptr [i]);
        uint64_t count;
        if (gl_get_u64 (&answer.root, "count", &count))
            printf ("(%llu events match)\n", (unsigned long long) count);
        char next [GL_MAX_NAME + 1];
        if (gl_get_strbuf (&answer.root, "next", next, sizeof next))
            printf ("(more: repeat with --after %s)\n", next);
    }
    gl_doc_fini (&answer);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  export

//  The CSV columns: the summary's keys (proto/archive.md §3.1), then the two times again in
//  the county's local time for people and spreadsheets.
static const char *const s_columns [] = { "id", "state", "category", "sanshi", "priority",
    "grid", "community", "street", "unit", "step", "role", "channel", "source", "reported_at",
    "closed_at", "returns", "cards", "attached", "rating", "updated_at", NULL };

//  One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes
//  doubled.
static void
s_csv_field (FILE *out, const char *text, size_t len)
{
    if (strcspn (text, ",\"\r\n") >= len) {
        fwrite (text, 1, len, out);
        return;
    }
    fputc ('"', out);
    for (size_t i = 0; i < len; i++) {
        if (text [i] == '"')
            fputc ('"', out);
        fputc (text [i], out);
    }
    fputc ('"', out);
}

static void
s_csv_row (const gl_config_t *cfg, FILE *out, const msgpack_object *ev)
{
    for (size_t c = 0; s_columns [c]; c++) {
        if (c)
            fputc (',', out);
        const msgpack_object *v = gl_map_get (ev, s_columns [c]);
        if (!v || v->type == MSGPACK_OBJECT_NIL)
            continue;
        if (v->type == MSGPACK_OBJECT_STR)
            s_csv_field (out, v->via.str.ptr, v->via.str.size);
        else
        if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            fprintf (out, "%llu", (unsigned long long) v->via.u64);
        else
        if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            fprintf (out, "%lld", (long long) v->via.i64);
    }
    char when [32];
    int64_t ms;
    fprintf (out, ",%s", gl_get_i64 (ev, "reported_at", &ms)? (s_local (cfg, ms, when,
             sizeof when), when): "");
    fprintf (out, ",%s\r\n", gl_get_i64 (ev, "closed_at", &ms)? (s_local (cfg, ms, when,
             sizeof when), when): "");
}

//  Progress on a terminal only: written straight to the terminal, since a carriage return
//  is exactly what the output filter would (rightly) show as an escape.
static void
s_progress (size_t done, uint64_t total, bool known, bool last)
{
    char line [96];
    int n = known? snprintf (line, sizeof line, "\rexported %zu of %llu events (%u%%)%s", done,
                             (unsigned long long) total,
                             total? (unsigned) (done * 100 / total): 100, last? "\n": "")
                 : snprintf (line, sizeof line, "\rexported %zu events%s", done,
                             last? "\n": "");
    if (write (2, line, (size_t) n) < 0)
        return;                 //  nothing to do about a progress line that cannot be shown
}

int
cli_archive_export (const gl_config_t *cfg, int argc, char **argv)
{
    gl_mapw_t filters;
    gl_mapw_init (&filters);
    const char *format = NULL;
    for (int i = 1; i < argc; i++) {
        int taken = s_filter (cfg, argc, argv, &i, &filters);
        if (taken == 2) {
            gl_mapw_fini (&filters);
            return 2;
        }
        if (taken)
            continue;
        if (streq (argv [i], "--format") && i + 1 < argc)
            format = argv [++i];
        else {
            gl_mapw_fini (&filters);
            return s_usage ("export takes " S_FILTERS_USAGE " --format csv|jsonl");
        }
    }
    if (!format || !(streq (format, "csv") || streq (format, "jsonl"))) {
        gl_mapw_fini (&filters);
        return s_usage ("export needs --format csv or --format jsonl, e.g. gridloop export "
                        "--unit SJ --month 2026-11 --format csv > sj-2026-11.csv");
    }
    bool csv = streq (format, "csv");
    //  To a file or a pipe the bytes go out as they are (CRLF rows, as RFC 4180 has them); to a
    //  terminal through the output filter like everything else.
    fflush (stdout);
    FILE *out = isatty (1)? stdout: fdopen (dup (1), "w");
    if (!out) {
        gl_mapw_fini (&filters);
        fprintf (stderr, "gridloop: export: cannot write to standard output\n");
        return 1;
    }
    bool progress = isatty (2);
    if (csv) {
        for (size_t c = 0; s_columns [c]; c++)
            fprintf (out, "%s%s", c? ",": "", s_columns [c]);
        fprintf (out, ",reported_local,closed_local\r\n");
    }
    char next [GL_MAX_NAME + 1] = "";
    size_t done = 0;
    uint64_t total = 0;
    bool known = false;
    int rc = 0;
    do {
        gl_mapw_t w;
        gl_mapw_init (&w);
        gl_mapw_merge (&w, &filters);
        gl_mapw_u64 (&w, "limit", S_PAGE_EXPORT);
        if (*next)
            gl_mapw_str (&w, "after", next);
        else
        if (progress)
            gl_mapw_bool (&w, "count", true);
        gl_doc_t answer;
        rc = s_call (cfg, "search", &w, &answer);
        gl_mapw_fini (&w);
        if (rc == 0) {
            if (!*next && progress)
                known = gl_get_u64 (&answer.root, "count", &total);
            const msgpack_object *events = gl_map_get (&answer.root, "events");
            for (uint32_t i = 0; events && i < events->via.array.size; i++) {
                const msgpack_object *ev = &events->via.array.ptr [i];
                if (csv)
                    s_csv_row (cfg, out, ev);
                else {
                    json_t *j = gl_json_from_msgpack (ev);
                    char *line = json_dumps (j, JSON_COMPACT | JSON_PRESERVE_ORDER);
                    fprintf (out, "%s\n", line);
                    free (line);
                    json_decref (j);
                }
                done++;
            }
            if (!gl_get_strbuf (&answer.root, "next", next, sizeof next))
                *next = 0;
            if (progress)
                s_progress (done, total, known, !*next);
        }
        gl_doc_fini (&answer);
    } while (rc == 0 && *next);
    gl_mapw_fini (&filters);
    if (fflush (out) || ferror (out)) {
        fprintf (stderr, "gridloop: export: writing the output failed after %zu events\n",
                 done);
        rc = 1;
    }
    if (out != stdout)
        fclose (out);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  show: a timeline

//  The why of a dispatcher message: the first of its explanatory fields it has.
static void
s_why (const msgpack_object *body, char *buf, size_t size)
{
    static const char *const keys [] = { "reason", "text", "note", "evidence", "result",
        "advice", "agreement", "outcome", "rating", "level", "code", NULL };
    *buf = 0;
    for (size_t k = 0; keys [k]; k++)
        if (gl_get_strbuf (body, keys [k], buf, size) && *buf)
            return;
    *buf = 0;
}

static void
s_timeline_line (const gl_config_t *cfg, const char *topic, const msgpack_object *env)
{
    char when [32] = "-", src [32] = "", type [64] = "";
    int64_t ts;
    if (gl_get_i64 (env, "ts", &ts))
        s_local (cfg, ts, when, sizeof when);
    gl_get_strbuf (env, "src", src, sizeof src);
    gl_get_strbuf (env, "type", type, sizeof type);
    const msgpack_object *body = gl_map_get (env, "body");
    const msgpack_object *reporter = gl_map_get (body, "reporter");
    char a [72] = "", b [72] = "", c [72] = "", d [4100] = "";
    if (streq (src, "intake") && streq (type, "event.reported")) {
        gl_get_strbuf (reporter, "role", a, sizeof a);
        gl_get_strbuf (reporter, "id", b, sizeof b);
        gl_get_strbuf (body, "channel", c, sizeof c);
        printf ("%s  %-14s by %s %s via %s", when, "reported", a, b, c);
        gl_get_strbuf (body, "grid", a, sizeof a);
        gl_get_strbuf (body, "category", b, sizeof b);
        printf (" in %s, category %s\n", a, b);
        if (gl_get_strbuf (body, "description", d, sizeof d))
            printf ("%21s why: %s\n", "", d);
    }
    else
    if (streq (src, "intake") && streq (type, "event.attached")) {
        const msgpack_object *report = gl_map_get (body, "report");
        reporter = gl_map_get (report, "reporter");
        gl_get_strbuf (reporter, "role", a, sizeof a);
        gl_get_strbuf (reporter, "id", b, sizeof b);
        gl_get_strbuf (report, "channel", c, sizeof c);
        printf ("%s  %-14s by %s %s via %s\n", when, "attached", a, b, c);
        if (gl_get_strbuf (report, "description", d, sizeof d))
            printf ("%21s why: %s\n", "", d);
    }
    else
    if (streq (src, "dispatcher") && body) {
        char action [32] = "", state [24] = "", unit [72] = "", person [72] = "";
        uint64_t step = 0;
        gl_get_strbuf (body, "action", action, sizeof action);
        gl_get_strbuf (body, "state", state, sizeof state);
        gl_get_strbuf (body, "unit", unit, sizeof unit);
        gl_get_u64 (body, "step", &step);
        const msgpack_object *actor = gl_map_get (body, "actor");
        gl_get_strbuf (actor, "unit", a, sizeof a);
        gl_get_strbuf (actor, "person", person, sizeof person);
        printf ("%s  %-14s by %s%s%s -> %s", when, action, a, *person? "/": "", person, state);
        if (*unit)
            printf (" at %s", unit);
        if (step)
            printf (", step %llu", (unsigned long long) step);
        printf ("\n");
        s_why (body, d, sizeof d);
        if (*d)
            printf ("%21s why: %s\n", "", d);
    }
    else {
        char *line = body? gl_json_line (body): NULL;
        printf ("%s  %-14s from %s: %s\n", when, topic, src, line? line: "");
        free (line);
    }
}

int
cli_archive_show (const gl_config_t *cfg, int argc, char **argv)
{
    const char *id = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--json"))
            json = true;
        else
        if (argv [i][0] == '-' || id)
            id = NULL, i = argc;
        else
            id = argv [i];
    }
    if (!id)
        return s_usage ("show takes ID [--json], e.g. gridloop show 500235-20261127-000000001");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", id);
    gl_doc_t answer;
    int rc = s_call (cfg, "get", &w, &answer);
    gl_mapw_fini (&w);
    if (rc == 0 && json) {
        json_t *j = gl_json_from_msgpack (&answer.root);
        char *text = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER |
                                 JSON_REAL_PRECISION (15));
        puts (text);
        free (text);
        json_decref (j);
    }
    else
    if (rc == 0) {
        const msgpack_object *messages = gl_map_get (&answer.root, "messages");
        uint32_t n = messages && messages->type == MSGPACK_OBJECT_ARRAY?
                     messages->via.array.size: 0;
        int off = (int) cfg->utc_offset_min;
        printf ("event %s: %u messages, times in county time (UTC%c%02d:%02d)\n", id, n,
                off < 0? '-': '+', abs (off) / 60, abs (off) % 60);
        for (uint32_t i = 0; i < n; i++) {
            const msgpack_object *m = &messages->via.array.ptr [i];
            char topic [GL_MAX_NAME * 3] = "";
            gl_get_strbuf (m, "topic", topic, sizeof topic);
            const msgpack_object *env = gl_map_get (m, "envelope");
            if (env)
                s_timeline_line (cfg, topic, env);
        }
        bool truncated = false;
        if (gl_get_bool (&answer.root, "truncated", &truncated) && truncated)
            printf ("(the history is longer than one answer holds: gridloop show %s --json "
                    "lists what was read)\n", id);
    }
    gl_doc_fini (&answer);
    return rc;
}

/*  cli_escalation — escalation on the command line: `gridloop overdue [UNIT]`, overdue steps
    with their age and light, and `gridloop mode`, which shows and switches peacetime and
    wartime (proto/escalation.md §5).  */
#include "cli_escalation.h"
#include "cli_call.h"
#include "gl_client.h"

#include <time.h>

#define S_USAGE "overdue [UNIT] [--limit N] [--after NEXT]"

static int
s_usage_error (const char *what)
{
    fprintf (stderr, "gridloop: overdue: %s\n(usage: gridloop " S_USAGE ")\n", what);
    return 2;
}

//  Call escalation with op and fields; 0 with the answer, or 1 having printed the refusal.
static int
s_call (const gl_config_t *cfg, const char *op, bool mutating, gl_mapw_t *w, gl_doc_t *answer)
{
    return cli_call (cfg, GL_SVC_ESCALATION, op, mutating, w, answer);
}

//  ms as county-local "YYYY-MM-DD HH:MM".
static void
s_local (int64_t ms, int64_t utc_offset_min, char *buf, size_t size)
{
    time_t t = (time_t) (ms / 1000 + utc_offset_min * 60);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (buf, size, "%Y-%m-%d %H:%M", &tm);
}

//  A duration as "2d 03h 15m".
static void
s_age (int64_t ms, char *buf, size_t size)
{
    int64_t minutes = ms > 0? ms / 60000: 0;
    snprintf (buf, size, "%lldd %02lldh %02lldm", (long long) (minutes / 1440),
              (long long) (minutes / 60 % 24), (long long) (minutes % 60));
}

int
cli_overdue (const gl_config_t *cfg, int argc, char **argv)
{
    const char *unit = NULL, *after = NULL;
    int64_t limit = 0;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--after") && i + 1 < argc)
            after = argv [++i];
        else
        if (streq (argv [i], "--limit") && i + 1 < argc) {
            if (gl_parse_whole (argv [++i], 1, 1000, &limit))
                return s_usage_error ("--limit takes a number from 1 to 1000");
        }
        else
        if (argv [i][0] != '-' && !unit)
            unit = argv [i];
        else
            return s_usage_error ("unexpected argument");
    }
    gl_mapw_t w;
    gl_mapw_init (&w);
    if (unit)
        gl_mapw_str (&w, "unit", unit);
    if (after)
        gl_mapw_str (&w, "after", after);
    if (limit)
        gl_mapw_u64 (&w, "limit", (uint64_t) limit);
    gl_doc_t answer;
    int rc = s_call (cfg, "overdue", false, &w, &answer);
    gl_mapw_fini (&w);
    if (rc) {
        gl_doc_fini (&answer);
        return 1;
    }
    const msgpack_object *steps = gl_map_get (&answer.root, "steps");
    uint32_t count = steps && steps->type == MSGPACK_OBJECT_ARRAY? steps->via.array.size: 0;
    for (uint32_t i = 0; i < count; i++) {
        const msgpack_object *s = &steps->via.array.ptr [i];
        char id [GL_MAX_NAME + 1] = "", stage [16] = "", holder [40] = "", priority [8] = "",
             light [8] = "", since [32], age [32];
        uint64_t step = 0;
        int64_t since_ms = 0, age_ms = 0;
        bool paused = false;
        gl_get_strbuf (s, "id", id, sizeof id);
        gl_get_strbuf (s, "stage", stage, sizeof stage);
        gl_get_strbuf (s, "unit", holder, sizeof holder);
        gl_get_strbuf (s, "priority", priority, sizeof priority);
        gl_get_strbuf (s, "light", light, sizeof light);
        gl_get_u64 (s, "step", &step);
        gl_get_i64 (s, "overdue_since", &since_ms);
        gl_get_i64 (s, "age_ms", &age_ms);
        gl_get_bool (s, "paused", &paused);
        s_local (since_ms, cfg->utc_offset_min, since, sizeof since);
        s_age (age_ms, age, sizeof age);
        printf ("%s  step %-3llu %-8s %-10s %-3s %-6s overdue %s (since %s)%s\n", id,
                (unsigned long long) step, stage, holder, priority, light, age, since,
                paused? " suspended": "");
    }
    if (count == 0)
        printf ("nothing overdue%s%s\n", unit? " at ": "", unit? unit: "");
    char next [GL_MAX_NAME + 24];
    if (gl_get_strbuf (&answer.root, "next", next, sizeof next))
        printf ("(more: gridloop overdue%s%s --after '%s')\n", unit? " ": "", unit? unit: "",
                next);
    gl_doc_fini (&answer);
    return 0;
}

#define S_MODE_USAGE "mode, or mode SCOPE wartime|peacetime --as CENTRE --reason TEXT " \
                     "[--person ID]"

static int
s_mode_usage (const char *what)
{
    fprintf (stderr, "gridloop: mode: %s\n(usage: gridloop " S_MODE_USAGE ")\n", what);
    return 2;
}

//  One mode record as a line: scope, mode, since, who, why.
static void
s_print_mode (const gl_config_t *cfg, const msgpack_object *m)
{
    char scope [40] = "", mode [16] = "", unit [40] = "", person [72] = "", reason [512] = "",
         since [32];
    int64_t since_ms = 0;
    gl_get_strbuf (m, "scope", scope, sizeof scope);
    gl_get_strbuf (m, "mode", mode, sizeof mode);
    gl_get_strbuf (m, "unit", unit, sizeof unit);
    gl_get_strbuf (m, "person", person, sizeof person);
    gl_get_strbuf (m, "reason", reason, sizeof reason);
    gl_get_i64 (m, "since", &since_ms);
    s_local (since_ms, cfg->utc_offset_min, since, sizeof since);
    printf ("  %-10s %-9s since %s  by %s%s%s: %s\n", scope, mode, since, unit,
            *person? " ": "", person, reason);
}

int
cli_mode (const gl_config_t *cfg, int argc, char **argv)
{
    const char *scope = NULL, *to = NULL, *as = NULL, *person = NULL, *reason = NULL;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--as") && i + 1 < argc)
            as = argv [++i];
        else
        if (streq (argv [i], "--person") && i + 1 < argc)
            person = argv [++i];
        else
        if (streq (argv [i], "--reason") && i + 1 < argc)
            reason = argv [++i];
        else
        if (argv [i][0] != '-' && !scope)
            scope = argv [i];
        else
        if (argv [i][0] != '-' && !to)
            to = argv [i];
        else
            return s_mode_usage ("unexpected argument");
    }
    if (scope && (!to || !as || !reason))
        return s_mode_usage ("a switch needs SCOPE, wartime or peacetime, --as and --reason");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_doc_t answer;
    int rc;
    if (scope) {
        gl_mapw_str (&w, "scope", scope);
        gl_mapw_str (&w, "to", to);
        gl_mapw_t actor;
        gl_mapw_init (&actor);
        gl_mapw_str (&actor, "unit", as);
        if (person)
            gl_mapw_str (&actor, "person", person);
        gl_mapw_map (&w, "actor", &actor);
        gl_mapw_fini (&actor);
        gl_mapw_str (&w, "reason", reason);
        rc = s_call (cfg, "switch_mode", true, &w, &answer);
        if (rc == 0)
            printf ("%s is in %s\n", scope, to);
    }
    else {
        rc = s_call (cfg, "mode", false, &w, &answer);
        if (rc == 0) {
            const msgpack_object *war = gl_map_get (&answer.root, "wartime"),
                                 *log = gl_map_get (&answer.root, "switches");
            uint32_t n = war && war->type == MSGPACK_OBJECT_ARRAY? war->via.array.size: 0;
            printf (n? "in wartime:\n": "everywhere in peacetime\n");
            for (uint32_t i = 0; i < n; i++)
                s_print_mode (cfg, &war->via.array.ptr [i]);
            n = log && log->type == MSGPACK_OBJECT_ARRAY? log->via.array.size: 0;
            if (n)
                printf ("latest switches:\n");
            for (uint32_t i = 0; i < n; i++)
                s_print_mode (cfg, &log->via.array.ptr [i]);
        }
    }
    gl_mapw_fini (&w);
    gl_doc_fini (&answer);
    return rc;
}

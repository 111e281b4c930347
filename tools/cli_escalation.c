/*  cli_escalation — `gridloop overdue [UNIT]`: overdue steps with their age and light, from
    escalation's overdue operation (proto/escalation.md §5.1).  */
#include "cli_escalation.h"
#include "gl_client.h"

#include <time.h>

#define S_USAGE "overdue [UNIT] [--limit N] [--after NEXT]"

static int
s_usage_error (const char *what)
{
    fprintf (stderr, "gridloop: overdue: %s\n(usage: gridloop " S_USAGE ")\n", what);
    return 2;
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
    msgpack_sbuffer req;
    gl_request_build (&req, "overdue", false, &w);
    gl_mapw_fini (&w);
    gl_client_t *client = gl_client_new (cfg->svc [GL_SVC_ESCALATION].endpoint,
                                         cfg->request_timeout_ms, cfg->max_msg_bytes);
    gl_doc_t answer;
    gl_err_t err;
    int rc = gl_client_call (client, req.data, req.size, &answer, 3, &err);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0)
        rc = gl_answer_check (&answer.root, &err);
    if (rc) {
        fprintf (stderr, "gridloop: escalation: %s: %s\n", gl_code_name (err.code),
                 err.message);
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

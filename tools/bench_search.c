/*  gridloop-bench-search — how fast the archive finds events: against the running intake and
    archive of a configuration, optionally loads events through intake's public `report`
    (pipelined), waits until the archive has applied them, then times searches and fetches and
    prints p50/p99/max, the load rate and the archive's store bytes per event. A benchmark, not
    a test: it asserts nothing about speed.  */
#include "gl_client.h"
#include "gl_security.h"
#include "gl_config.h"
#include "gl_org.h"

#include <czmq.h>

static const char *s_usage =
    "usage: gridloop-bench-search [--config FILE] [--load N] [--window N] [--queries N]\n"
    "\n"
    "Times the archive's search on the running services of the configuration:\n"
    "  --load N      first report N events to intake (residents' hotline calls spread over\n"
    "                every grid and category of the county), --window in flight on one\n"
    "                connection, and wait until the archive has applied them (default 0)\n"
    "  --window N    reports in flight while loading, 1 to 1024 (default 32; far more can\n"
    "                outrun intake's bounded answers, and a lost answer waits 10 s)\n"
    "  --queries N   requests per measurement (default 1000)\n"
    "Measurements: a page of 50 by grid and this month; a fetch by id (get); a page of 50 by\n"
    "state with its count (read from the index); a count by category and street (a walk).\n";

static gl_config_t s_cfg;

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y? -1: x > y;
}

//  A number at a path "a.b.c" of a status answer, or -1.
static int64_t
s_status (const char *service, const char *path)
{
    int svc = gl_svc_lookup (service, strlen (service));
    gl_client_t *client = gl_client_new (s_cfg.svc [svc].endpoint, 2000, s_cfg.max_msg_bytes);
    msgpack_sbuffer req;
    gl_request_build (&req, "status", false, NULL);
    gl_doc_t answer;
    gl_err_t err;
    int64_t value = -1;
    if (gl_client_call (client, req.data, req.size, &answer, 2, &err) == 0) {
        const msgpack_object *at = &answer.root;
        char copy [128];
        snprintf (copy, sizeof copy, "%s", path);
        char *save = NULL;
        for (char *part = strtok_r (copy, ".", &save); part && at;
             part = strtok_r (NULL, ".", &save))
            at = gl_map_get (at, part);
        if (at && at->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            value = (int64_t) at->via.u64;
    }
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
    gl_client_destroy (&client);
    return value;
}

//  Report n events to intake with window requests in flight on one DEALER. Returns the ids
//  (n of them, NULL where refused), or NULL when intake stopped answering.
static char **
s_load (gl_org_t *org, size_t n, size_t window)
{
    const gl_unit_t *grids [2048];
    size_t ngrids = 0;
    for (size_t i = 0; gl_org_unit_at (org, i) && ngrids < 2048; i++)
        if (gl_org_unit_at (org, i)->kind == GL_UNIT_GRID)
            grids [ngrids++] = gl_org_unit_at (org, i);
    size_t ncats = gl_org_category_count (org);
    zsock_t *dealer = zsock_new_dealer (s_cfg.svc [GL_SVC_INTAKE].endpoint);
    zsock_set_rcvtimeo (dealer, 10000);
    char **ids = calloc (n, sizeof (char *));
    size_t sent = 0, answered = 0, refused = 0;
    while (answered < n) {
        while (sent < n && sent - answered < window) {
            gl_mapw_t w, reporter;
            gl_mapw_init (&w);
            gl_mapw_str (&w, "category", gl_org_category_at (org, sent % ncats)->code);
            gl_mapw_str (&w, "grid", grids [(sent / ncats) % ngrids]->id);
            char text [96];
            snprintf (text, sizeof text, "benchmark report %zu: 楼道堆放杂物", sent);
            gl_mapw_str (&w, "description", text);
            gl_mapw_init (&reporter);
            snprintf (text, sizeof text, "bench-caller-%zu", sent);
            gl_mapw_str (&reporter, "id", text);
            gl_mapw_str (&reporter, "role", "resident");
            gl_mapw_map (&w, "reporter", &reporter);
            gl_mapw_fini (&reporter);
            gl_mapw_str (&w, "channel", "hotline");
            //  Which report an answer is for: its req_id ends with the report's number.
            msgpack_sbuffer req;
            gl_request_build (&req, "report", true, &w);
            gl_mapw_fini (&w);
            zmsg_t *msg = zmsg_new ();
            zmsg_addmem (msg, NULL, 0);
            zmsg_addmem (msg, req.data, req.size);
            zmsg_send (&msg, dealer);
            msgpack_sbuffer_destroy (&req);
            sent++;
        }
        zmsg_t *reply = zmsg_recv (dealer);
        if (!reply) {
            fprintf (stderr, "gridloop-bench-search: intake stopped answering after %zu "
                     "reports\n", answered);
            zsock_destroy (&dealer);
            return ids;
        }
        zframe_t *payload = zmsg_last (reply);
        gl_doc_t doc;
        gl_err_t err;
        char id [GL_MAX_NAME + 1];
        if (gl_doc_parse (&doc, zframe_data (payload), zframe_size (payload), &err) == 0
        &&  gl_answer_check (&doc.root, &err) == 0
        &&  gl_get_strbuf (&doc.root, "id", id, sizeof id))
            ids [answered] = strdup (id);
        else
            refused++;
        gl_doc_fini (&doc);
        zmsg_destroy (&reply);
        answered++;
    }
    zsock_destroy (&dealer);
    if (refused)
        fprintf (stderr, "gridloop-bench-search: %zu reports refused (%s)\n", refused,
                 "see intake's log");
    return ids;
}

//  Time `queries` requests built by make (i: the query number) and print p50/p99/max.
typedef void (s_make_fn) (gl_mapw_t *w, size_t i, void *arg);

static void
s_measure (const char *what, const char *op, s_make_fn *make, void *arg, size_t queries)
{
    gl_client_t *client = gl_client_new (s_cfg.svc [GL_SVC_ARCHIVE].endpoint, 10000,
                                         s_cfg.max_msg_bytes);
    int64_t *us = calloc (queries, sizeof (int64_t));
    size_t refused = 0, events = 0;
    for (size_t i = 0; i < queries; i++) {
        gl_mapw_t w;
        gl_mapw_init (&w);
        make (&w, i, arg);
        msgpack_sbuffer req;
        gl_request_build (&req, op, false, &w);
        gl_mapw_fini (&w);
        gl_doc_t answer;
        gl_err_t err;
        int64_t t0 = zclock_usecs ();
        int rc = gl_client_call (client, req.data, req.size, &answer, 1, &err);
        us [i] = zclock_usecs () - t0;
        if (rc || gl_answer_check (&answer.root, &err))
            refused++;
        else {
            const msgpack_object *list = gl_map_get (&answer.root, "events");
            if (!list)
                list = gl_map_get (&answer.root, "messages");
            if (list && list->type == MSGPACK_OBJECT_ARRAY)
                events += list->via.array.size;
        }
        gl_doc_fini (&answer);
        msgpack_sbuffer_destroy (&req);
    }
    qsort (us, queries, sizeof (int64_t), s_cmp_i64);
    printf ("%-44s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  (%zu requests, %.1f items "
            "each%s)\n", what, us [queries / 2] / 1000.0, us [queries * 99 / 100] / 1000.0,
            us [queries - 1] / 1000.0, queries, (double) events / (double) queries,
            refused? ", SOME REFUSED": "");
    free (us);
    gl_client_destroy (&client);
}

typedef struct {
    const gl_unit_t *units [2048];  //  grids, or streets
    size_t count;
    int64_t month_from, month_to;   //  this month in county time
    char **ids;                 //  loaded event ids (may be NULL)
    size_t nids;
    gl_org_t *org;
} s_bench_t;

static void
s_by_grid_and_month (gl_mapw_t *w, size_t i, void *arg)
{
    s_bench_t *b = arg;
    gl_mapw_str (w, "unit", b->units [i % b->count]->id);
    gl_mapw_i64 (w, "reported_from", b->month_from);
    gl_mapw_i64 (w, "reported_to", b->month_to);
    gl_mapw_u64 (w, "limit", 50);
}

static void
s_by_id (gl_mapw_t *w, size_t i, void *arg)
{
    s_bench_t *b = arg;
    //  Spread over the loaded ids; an unanswered report has none, so take the next.
    size_t k = (i * 7919) % (b->nids? b->nids: 1), tries = 0;
    while (b->nids && !b->ids [k] && tries++ < b->nids)
        k = (k + 1) % b->nids;
    gl_mapw_str (w, "id", b->nids && b->ids [k]? b->ids [k]: "none");
}

static void
s_by_state_counted (gl_mapw_t *w, size_t i, void *arg)
{
    gl_mapw_str (w, "state", "REPORTED");
    gl_mapw_u64 (w, "limit", 50);
    gl_mapw_bool (w, "count", true);
}

static void
s_count_by_category_and_street (gl_mapw_t *w, size_t i, void *arg)
{
    s_bench_t *b = arg;
    gl_mapw_str (w, "category", gl_org_category_at (b->org, i % gl_org_category_count (b->org))
                                ->code);
    gl_mapw_str (w, "unit", gl_unit_street (b->units [i % b->count])->id);
    gl_mapw_u64 (w, "limit", 50);
    gl_mapw_bool (w, "count", true);
}

int
main (int argc, char **argv)
{
    //  Our own flags first; the rest (--config, --help, --version) are the common ones.
    size_t load = 0, window = 32, queries = 1000;
    char **common = calloc ((size_t) argc + 1, sizeof (char *));
    int ncommon = 0;
    for (int i = 0; i < argc; i++) {
        size_t *target = i == 0? NULL: streq (argv [i], "--load")? &load:
                         streq (argv [i], "--window")? &window:
                         streq (argv [i], "--queries")? &queries: NULL;
        if (!target) {
            common [ncommon++] = argv [i];
            continue;
        }
        char *end = NULL;
        if (i + 1 >= argc || (*target = strtoull (argv [++i], &end, 10), *end) || window < 1
        ||  window > 1024 || queries < 1) {
            fputs (s_usage, stderr);
            free (common);
            return 2;
        }
    }
    int rc = gl_config_from_args (&s_cfg, ncommon, common, "gridloop-bench-search", s_usage);
    gl_sec_init (&s_cfg, s_cfg.cert_name);     //  as the operator seat, like the CLI
    free (common);
    if (rc >= 0)
        return rc;
    if (optind < ncommon) {
        fputs (s_usage, stderr);
        return 2;
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    gl_err_t err;
    s_bench_t *b = calloc (1, sizeof *b);
    b->org = gl_org_load (s_cfg.org_path, s_cfg.categories_path, s_cfg.admission_path, &err);
    if (!b->org) {
        fprintf (stderr, "gridloop-bench-search: %s\n", err.message);
        return 1;
    }
    for (size_t i = 0; gl_org_unit_at (b->org, i) && b->count < 2048; i++)
        if (gl_org_unit_at (b->org, i)->kind == GL_UNIT_GRID)
            b->units [b->count++] = gl_org_unit_at (b->org, i);
    if (load) {
        int64_t target = s_status ("intake", "last_seq") + (int64_t) load;
        int64_t t0 = zclock_mono ();
        b->ids = s_load (b->org, load, window);
        b->nids = load;
        int64_t t1 = zclock_mono ();
        //  The archive has them when its position in intake's stream reaches intake's last.
        while (s_status ("archive", "inbox.intake.last") < target && zclock_mono () - t1 < 600000)
            zclock_sleep (100);         //  polling another process: nothing to wait on
        int64_t t2 = zclock_mono ();
        printf ("loaded %zu events in %.1f s (%.0f reports/s); the archive had applied them "
                "%.1f s later\n", load, (t1 - t0) / 1000.0, load * 1000.0 / (double) (t1 - t0
                + 1), (t2 - t1) / 1000.0);
    }
    //  This month in the county's time.
    time_t now = (time_t) (zclock_time () / 1000) + (time_t) s_cfg.utc_offset_min * 60;
    struct tm tm;
    gmtime_r (&now, &tm);
    tm.tm_mday = 1, tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    b->month_from = ((int64_t) timegm (&tm) - s_cfg.utc_offset_min * 60) * 1000;
    tm.tm_mon++;
    b->month_to = ((int64_t) timegm (&tm) - s_cfg.utc_offset_min * 60) * 1000;
    int64_t events = s_status ("archive", "tables.summary.entries");
    int64_t bytes = 0;
    static const char *const tables [] = { "tables.events.bytes", "tables.ids.bytes",
        "tables.summary.bytes", "tables.index.bytes", "tables.counts.bytes",
        "tables.streams.bytes", NULL };
    for (size_t t = 0; tables [t]; t++)
        bytes += s_status ("archive", tables [t]) > 0? s_status ("archive", tables [t]): 0;
    printf ("archive: %lld events, %.0f store bytes per event (history, summary and "
            "indexes: %.0f)\n", (long long) events, events > 0? (double) bytes / events: 0,
            events > 0? (double) (s_status ("archive", "tables.summary.bytes")
                                  + s_status ("archive", "tables.index.bytes")) / events: 0);
    s_measure ("search by grid and this month, page of 50", "search", s_by_grid_and_month, b,
               queries);
    if (b->nids)
        s_measure ("get by id (an event's history)", "get", s_by_id, b, queries);
    s_measure ("search by state, page of 50, with count", "search", s_by_state_counted, b,
               queries);
    s_measure ("count by category and street (a walk)", "search",
               s_count_by_category_and_street, b, queries < 100? queries: 100);
    for (size_t i = 0; i < b->nids; i++)
        free (b->ids [i]);
    free (b->ids);
    gl_org_destroy (&b->org);
    free (b);
    return 0;
}

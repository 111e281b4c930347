/*  gridloop-bench-search — how fast the archive finds events: against the running archive of
    a configuration, optionally loads events first — through intake's public `report`
    (--load: intake running), or in bulk (--bulk: intake's stream published by this process,
    intake not running) — waits until the archive has applied them, then times searches and
    fetches and prints p50/p99/max, the ingest rate, the archive's store bytes per event and
    its peak memory. A benchmark, not a test: it asserts nothing about speed.  */
#include "gl_client.h"
#include "gl_security.h"
#include "gl_config.h"
#include "gl_org.h"
#include "gl_service.h"

#include <czmq.h>
#include <sys/stat.h>

static const char *s_usage =
    "usage: gridloop-bench-search [--config FILE] [--load N | --bulk N] [--window N]\n"
    "                             [--queries N]\n"
    "\n"
    "Times the archive's search on the running services of the configuration:\n"
    "  --load N      first report N events to intake (residents' hotline calls spread over\n"
    "                every grid and category of the county), --window in flight on one\n"
    "                connection, and wait until the archive has applied them (default 0)\n"
    "  --bulk N      first publish N reports as intake would, spread over the twelve months\n"
    "                up to now, on intake's stream from this process (run the bus and the\n"
    "                archive, not intake: this process takes intake's endpoint and store),\n"
    "                and wait until the archive has applied them; N a multiple of 1000.\n"
    "                Run again with the same N, it publishes only what earlier runs did not\n"
    "  --window N    reports in flight while loading, 1 to 1024 (default 32; far more can\n"
    "                outrun intake's bounded answers, and a lost answer waits 10 s)\n"
    "  --queries N   requests per measurement (default 1000)\n"
    "Measurements: a page of 50 by grid and month; a fetch by id (get); a page of 50 by\n"
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

//  ---------------------------------------------------------------------------------------------
//  The bulk loader: intake's stream without intake. This process runs the service skeleton
//  under intake's name (so the outbox, heartbeat and replay are the real ones) with one
//  operation that publishes reports as intake would; the archive consumes them from the bus
//  exactly as it consumes intake, through its inbox and the same apply code. What is measured
//  is the archive's own path from the wire to its store, without intake's checks and its sync
//  per answered report in front of it (--load measures that path).

#define S_PER_CALL  1000        //  reports published per call of the loader's operation
#define S_AHEAD     100000      //  most reports published ahead of the archive: the bus drops
                                //  what a slow subscriber cannot take, and repairing a gap by
                                //  replay costs more than waiting for it

typedef struct {
    gl_org_t *org;              //  the county: grids and categories to spread events over
    const gl_unit_t *grids [2048];
    size_t ngrids;
    size_t total;               //  events to load
    int64_t from, to;           //  their reported times, spread evenly over [from, to)
} s_bulk_t;

static s_bulk_t s_bulk;         //  set before the loader starts, read-only afterwards

//  Event k's reported time, and its id into id: the county-local date of the report, then a
//  counter, as intake's ids are (proto/intake.md §2), so ids sort by date.
static int64_t
s_bulk_event (size_t k, char *id, size_t size)
{
    int64_t at = s_bulk.from + (s_bulk.to - s_bulk.from) * (int64_t) k / (int64_t) s_bulk.total;
    char day [9];
    gl_clock_date (at, (int) s_cfg.utc_offset_min, day);
    snprintf (id, size, "%s-%s-%09zu", s_cfg.county_code, day, k + 1);
    return at;
}

static const gl_field_t s_publish_fields [] = {
    { .key = "first", .type = GL_F_UINT, .required = true, .hint = "the first event number" },
    { .key = "count", .type = GL_F_UINT, .required = true, .min = 1, .max = 10000,
      .hint = "how many" },
};
static const gl_schema_t s_publish_schema = GL_SCHEMA ("publish", s_publish_fields);

//  publish: events first .. first+count-1 as intake.event.reported, with every key the
//  archive's summary reads (a resident's hotline call, triaged as the category says).
static int
s_op_publish (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    static const char *const matters [] = { "major", "minor", "private" };
    uint64_t first = 0, count = 0;
    gl_get_u64 (req, "first", &first);
    gl_get_u64 (req, "count", &count);
    size_t ncats = gl_org_category_count (s_bulk.org);
    for (uint64_t k = first; k < first + count && k < s_bulk.total; k++) {
        char id [GL_MAX_NAME + 1], text [96];
        int64_t at = s_bulk_event (k, id, sizeof id);
        const gl_category_t *cat = gl_org_category_at (s_bulk.org, k % ncats);
        const gl_unit_t *grid = s_bulk.grids [(k / ncats) % s_bulk.ngrids];
        gl_mapw_t body, reporter, triage;
        gl_mapw_init (&body);
        gl_mapw_str (&body, "category", cat->code);
        gl_mapw_str (&body, "grid", grid->id);
        snprintf (text, sizeof text, "批量载入的第%llu件：楼道堆放杂物，存在消防隐患",
                  (unsigned long long) k + 1);
        gl_mapw_str (&body, "description", text);
        gl_mapw_init (&reporter);
        snprintf (text, sizeof text, "12345-caller-%llu", (unsigned long long) k % 100000);
        gl_mapw_str (&reporter, "id", text);
        gl_mapw_str (&reporter, "role", "resident");
        gl_mapw_map (&body, "reporter", &reporter);
        gl_mapw_fini (&reporter);
        gl_mapw_str (&body, "channel", "hotline");
        gl_mapw_i64 (&body, "reported_at", at);
        gl_mapw_init (&triage);
        gl_mapw_str (&triage, "street", gl_unit_street (grid)->id);
        gl_mapw_str (&triage, "community", gl_unit_community (grid)->id);
        gl_mapw_str (&triage, "sanshi", matters [cat->matter % 3]);
        snprintf (text, sizeof text, "P%d", cat->priority);
        gl_mapw_str (&triage, "priority", text);
        gl_mapw_bool (&triage, "dispute", cat->dispute);
        gl_mapw_map (&body, "triage", &triage);
        gl_mapw_fini (&triage);
        int rc = gl_ctx_emit_map (ctx, "event.reported", NULL, id, &body);
        gl_mapw_fini (&body);
        if (rc)
            return rc;
    }
    gl_mapw_u64 (reply, "published", count);
    return 0;
}

static const gl_op_t s_loader_ops [] = {
    { .name = "publish", .fn = s_op_publish, .mutating = true, .schema = &s_publish_schema },
};
static const char *const s_loader_dbs [] = { NULL };
static const gl_service_def_t s_loader = {
    .name = "intake", .svc = GL_SVC_INTAKE, .dbs = s_loader_dbs, .ops = s_loader_ops,
    .nops = sizeof s_loader_ops / sizeof s_loader_ops [0],
};

//  Publish total events over the twelve months up to now and wait until the archive has
//  applied them. Prints the ingest rate. Returns 0, or -1 (said why).
static int
s_bulk_load (gl_org_t *org, size_t total)
{
    if (s_status ("intake", "last_seq") >= 0) {
        fprintf (stderr, "gridloop-bench-search: --bulk publishes intake's stream itself: stop "
                 "gridloop-intake first (and use a scratch configuration: its store is "
                 "replaced)\n");
        return -1;
    }
    s_bulk.org = org;
    s_bulk.total = total;
    for (size_t i = 0; gl_org_unit_at (org, i) && s_bulk.ngrids < 2048; i++)
        if (gl_org_unit_at (org, i)->kind == GL_UNIT_GRID)
            s_bulk.grids [s_bulk.ngrids++] = gl_org_unit_at (org, i);
    //  From the first day of the month eleven months back to the start of today, in county
    //  time: the same ids for the same event numbers all day, so a later run can measure
    //  (and finish) a load made before.
    time_t t = (time_t) (zclock_time () / 1000) + (time_t) s_cfg.utc_offset_min * 60;
    struct tm tm;
    gmtime_r (&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    s_bulk.to = ((int64_t) timegm (&tm) - s_cfg.utc_offset_min * 60) * 1000;
    tm.tm_mday = 1;
    tm.tm_mon -= 11;
    s_bulk.from = ((int64_t) timegm (&tm) - s_cfg.utc_offset_min * 60) * 1000;

    gl_service_args_t args = { &s_loader, &s_cfg };
    zactor_t *loader = zactor_new (gl_service_actor, &args);
    gl_client_t *client = gl_client_new (s_cfg.svc [GL_SVC_INTAKE].endpoint, 60000,
                                         s_cfg.max_msg_bytes);
    //  Event k is seq k + 1 of the loader's stream: what an earlier run published is kept.
    int64_t done = s_status ("intake", "last_seq");
    int rc = 0;
    if (done < 0 || done % S_PER_CALL) {
        fprintf (stderr, "gridloop-bench-search: the loader's stream holds %lld messages, not "
                 "a bulk load (remove %s/intake and the archive's store)\n", (long long) done,
                 s_cfg.data_dir);
        rc = -1, done = 0;
    }
    int64_t base = s_status ("archive", "inbox.intake.last");
    int64_t t0 = zclock_mono (), last = done, applied = 0;
    for (size_t first = (size_t) done; rc == 0 && first < total; first += S_PER_CALL) {
        gl_mapw_t w;
        gl_mapw_init (&w);
        gl_mapw_u64 (&w, "first", first);
        gl_mapw_u64 (&w, "count", S_PER_CALL);
        msgpack_sbuffer req;
        gl_request_build (&req, "publish", true, &w);
        gl_mapw_fini (&w);
        gl_doc_t answer;
        gl_err_t err;
        if (gl_client_call (client, req.data, req.size, &answer, 5, &err)
        ||  gl_answer_check (&answer.root, &err)) {
            fprintf (stderr, "gridloop-bench-search: the loader failed (%s); its log says "
                     "why\n", err.message);
            rc = -1;
        }
        gl_doc_fini (&answer);
        msgpack_sbuffer_destroy (&req);
        last = s_status ("intake", "last_seq");
        while (rc == 0 && last - (applied = s_status ("archive", "inbox.intake.last"))
                          > S_AHEAD)
            zclock_sleep (20);  //  polling another process: nothing to wait on
        if (first % (S_PER_CALL * 500) == 0)
            fprintf (stderr, "published %zu, the archive applied %lld, %.0f s\n", first
                     + S_PER_CALL, (long long) (applied - (base > 0? base: 0)),
                     (zclock_mono () - t0) / 1000.0);
    }
    int64_t t1 = zclock_mono ();
    while (rc == 0 && s_status ("archive", "inbox.intake.last") < last)
        zclock_sleep (100);     //  polling another process: nothing to wait on
    int64_t t2 = zclock_mono ();
    size_t loaded = total > (size_t) done? total - (size_t) done: 0;
    if (rc == 0 && loaded)
        printf ("bulk: %zu events published in %.1f s; the archive had applied them after "
                "%.1f s: %.0f events/s ingested\n", loaded, (t1 - t0) / 1000.0,
                (t2 - t0) / 1000.0, loaded * 1000.0 / (double) (t2 - t0 + 1));
    gl_client_destroy (&client);
    zactor_destroy (&loader);
    return rc;
}

//  Peak and current resident memory of a process of this machine in MB, from /proc.
static void
s_memory (int64_t pid, double *peak_mb, double *now_mb)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%lld/status", (long long) pid);
    FILE *f = fopen (path, "r");
    *peak_mb = *now_mb = -1;
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "VmHWM:", 6) == 0)
            *peak_mb = atol (line + 6) / 1024.0;
        else
        if (strncmp (line, "VmRSS:", 6) == 0)
            *now_mb = atol (line + 6) / 1024.0;
    if (f)
        fclose (f);
}

//  ---------------------------------------------------------------------------------------------

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
    int64_t months [13];        //  the months searched: [months [m], months [m + 1]) in county
                                //  time, the last nmonths up to this one
    size_t nmonths;
    char **ids;                 //  event ids loaded through intake (may be NULL)
    size_t nids;
    size_t bulk;                //  events loaded in bulk (their ids: s_bulk_event)
    gl_org_t *org;
} s_bench_t;

static void
s_by_grid_and_month (gl_mapw_t *w, size_t i, void *arg)
{
    s_bench_t *b = arg;
    size_t m = (i / b->count) % b->nmonths;
    gl_mapw_str (w, "unit", b->units [i % b->count]->id);
    gl_mapw_i64 (w, "reported_from", b->months [m]);
    gl_mapw_i64 (w, "reported_to", b->months [m + 1]);
    gl_mapw_u64 (w, "limit", 50);
}

static void
s_by_id (gl_mapw_t *w, size_t i, void *arg)
{
    s_bench_t *b = arg;
    char id [GL_MAX_NAME + 1];
    if (b->bulk) {
        s_bulk_event ((i * 7919 + 13) * 1237 % b->bulk, id, sizeof id);
        gl_mapw_str (w, "id", id);
        return;
    }
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
    size_t load = 0, bulk = 0, window = 32, queries = 1000;
    char **common = calloc ((size_t) argc + 1, sizeof (char *));
    int ncommon = 0;
    for (int i = 0; i < argc; i++) {
        size_t *target = i == 0? NULL: streq (argv [i], "--load")? &load:
                         streq (argv [i], "--bulk")? &bulk:
                         streq (argv [i], "--window")? &window:
                         streq (argv [i], "--queries")? &queries: NULL;
        if (!target) {
            common [ncommon++] = argv [i];
            continue;
        }
        char *end = NULL;
        if (i + 1 >= argc || (*target = strtoull (argv [++i], &end, 10), *end) || window < 1
        ||  window > 1024 || queries < 1 || (load && bulk) || bulk % S_PER_CALL) {
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
    if (bulk && s_bulk_load (b->org, bulk)) {
        gl_org_destroy (&b->org);
        free (b);
        return 1;
    }
    b->bulk = bulk;
    //  The months searched in the county's time: this one, and after a bulk load the eleven
    //  before it too (the bulk's span).
    b->nmonths = bulk? 12: 1;
    time_t now = (time_t) (zclock_time () / 1000) + (time_t) s_cfg.utc_offset_min * 60;
    struct tm tm;
    gmtime_r (&now, &tm);
    tm.tm_mday = 1, tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mon -= (int) b->nmonths - 1;
    for (size_t m = 0; m <= b->nmonths; m++, tm.tm_mon++) {
        struct tm at = tm;
        b->months [m] = ((int64_t) timegm (&at) - s_cfg.utc_offset_min * 60) * 1000;
    }
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
    double peak_mb, now_mb;
    s_memory (s_status ("archive", "pid"), &peak_mb, &now_mb);
    char path [400];
    snprintf (path, sizeof path, "%s/archive/data.mdb", s_cfg.data_dir);
    struct stat st;
    printf ("archive: peak RSS %.0f MB (now %.0f MB); its data.mdb %.0f MB on disk (%s)\n",
            peak_mb, now_mb, stat (path, &st) == 0? st.st_blocks * 512.0 / 1048576: -1, path);
    s_measure (bulk? "search by grid and month, page of 50": "search by grid and this month, "
               "page of 50", "search", s_by_grid_and_month, b, queries);
    if (b->nids || b->bulk)
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

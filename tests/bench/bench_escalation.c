/*  bench_escalation — escalation holding a million open timers: a real gridloop-escalation
    process reads a million dispatches from the bus (published by a producer run on the service
    skeleton under the dispatcher's name, so the stream, its outbox and its replay are the real
    ones), then the benchmark measures the process's memory and store, what a tick costs with
    a million timers held and nothing due, and how many cards per second fire when every one
    falls due at once.

        bench_escalation [TIMERS]       (default 1000000; ports 24900 … 24914)

    Not part of ctest: it takes minutes and gigabytes of disk.  */
#include "testkit.h"
#include "gl_service.h"

#include <sys/stat.h>
#include <time.h>

#define S_PORTS     24900       //  this benchmark's ports
#define S_PER_CALL  1000        //  dispatches published per request to the producer

static unsigned s_total;        //  events to time

//  ---------------------------------------------------------------------------------------------
//  The producer: the skeleton with one operation that publishes count dispatches from event
//  number first on, as the dispatcher would (every key a consumer reads is there).

static const gl_field_t s_emit_fields [] = {
    { .key = "first", .type = GL_F_UINT, .required = true, .hint = "first event number" },
    { .key = "count", .type = GL_F_UINT, .required = true, .min = 1, .max = 10000,
      .hint = "how many" },
};
static const gl_schema_t s_emit_schema = GL_SCHEMA ("emit", s_emit_fields);

static int
s_op_emit (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    uint64_t first = 0, count = 0;
    gl_get_u64 (req, "first", &first);
    gl_get_u64 (req, "count", &count);
    for (uint64_t n = first; n < first + count; n++) {
        char id [40];
        snprintf (id, sizeof id, "500235-20261014-%09llu", (unsigned long long) n);
        gl_mapw_t body, actor, class;
        gl_mapw_init (&body);
        gl_mapw_str (&body, "action", "dispatched");
        gl_mapw_str (&body, "state", "DISPATCHED");
        gl_mapw_u64 (&body, "step", 1);
        gl_mapw_init (&actor);
        gl_mapw_str (&actor, "unit", "auto");
        gl_mapw_map (&body, "actor", &actor);
        gl_mapw_fini (&actor);
        gl_mapw_i64 (&body, "when", gl_ctx_now (ctx));
        gl_mapw_str (&body, "unit", "SJ-B4");
        gl_mapw_init (&class);
        gl_mapw_str (&class, "category", "03.01");
        gl_mapw_str (&class, "priority", "P2");
        gl_mapw_map (&body, "class", &class);
        gl_mapw_fini (&class);
        int rc = gl_ctx_emit_map (ctx, "event.dispatched", "SJ-B4", id, &body);
        gl_mapw_fini (&body);
        if (rc)
            return rc;
    }
    gl_mapw_u64 (reply, "emitted", count);
    return 0;
}

static const gl_op_t s_producer_ops [] = {
    { .name = "emit", .fn = s_op_emit, .mutating = true, .schema = &s_emit_schema },
};
static const char *const s_producer_dbs [] = { NULL };
static const gl_service_def_t s_producer = {
    .name = "dispatcher", .svc = GL_SVC_DISPATCHER, .dbs = s_producer_dbs,
    .ops = s_producer_ops, .nops = 1,
};

//  ---------------------------------------------------------------------------------------------

static double
s_seconds (int64_t from_mono)
{
    return (zclock_mono () - from_mono) / 1000.0;
}

//  Disk used by a store's data file, in MB.
static double
s_store_mb (tk_net_t *net, const char *service)
{
    char path [600];
    snprintf (path, sizeof path, "%s/var/%s/data.mdb", net->dir, service);
    struct stat st;
    return stat (path, &st) == 0? st.st_blocks * 512.0 / 1048576: -1;
}

//  Wait until the named status counter of escalation reaches want; returns seconds waited.
static double
s_wait_counter (tk_net_t *net, const char *key, int64_t want, int timeout_s)
{
    int64_t start = zclock_mono ();
    while (tk_status (net, "escalation", key) < want) {
        if (s_seconds (start) > timeout_s)
            tk_fail (net, "escalation's %s did not reach %lld in %d s (at %lld)", key,
                     (long long) want, timeout_s,
                     (long long) tk_status (net, "escalation", key));
        zclock_sleep (50);              //  another process: nothing to wait on but time
    }
    return s_seconds (start);
}

int
main (int argc, char **argv)
{
    s_total = argc > 1? (unsigned) atol (argv [1]): 1000000;
    if (s_total < S_PER_CALL || s_total % S_PER_CALL)
        return fprintf (stderr, "bench_escalation: TIMERS must be a multiple of %d\n",
                        S_PER_CALL), 2;
    //  Wednesday 2026-10-14 09:00 +08:00: every P2 sign-for lights at 10:24, is carded at 11:00.
    const int64_t start_ms = INT64_C (1791939600000);
    char extra [256];
    snprintf (extra, sizeof extra,
              "clock\n    mode = \"manual\"\n    start_ms = %lld\n"
              "log\n    level = \"warning\"\n", (long long) start_ms);
    tk_net_t *net = tk_net_new (S_PORTS, extra);
    tk_start (net, "bus");
    pid_t pid = tk_start (net, "escalation");
    gl_service_args_t args = { &s_producer, &net->cfg };
    zactor_t *producer = zactor_new (gl_service_actor, &args);
    gl_client_t *client = gl_client_new (net->cfg.svc [GL_SVC_DISPATCHER].endpoint, 60000,
                                         net->cfg.max_msg_bytes);
    printf ("escalation benchmark: %u open timers (P2 sign for, SJ-B4)\n", s_total);

    //  1. Load: a million dispatches through the bus; escalation starts a timer for each.
    int64_t start = zclock_mono ();
    for (unsigned first = 0; first < s_total; first += S_PER_CALL) {
        gl_mapw_t w;
        gl_mapw_init (&w);
        gl_mapw_u64 (&w, "first", first);
        gl_mapw_u64 (&w, "count", S_PER_CALL);
        msgpack_sbuffer req;
        gl_request_build (&req, "emit", true, &w);
        gl_mapw_fini (&w);
        gl_doc_t answer;
        gl_err_t err;
        if (gl_client_call (client, req.data, req.size, &answer, 5, &err)
        ||  gl_answer_check (&answer.root, &err))
            tk_fail (net, "emit: %s", err.message);
        gl_doc_fini (&answer);
        msgpack_sbuffer_destroy (&req);
    }
    double published = s_seconds (start);
    double loaded = s_wait_counter (net, "timers", s_total, 3600) + published;
    printf ("load: %u dispatches published in %.1f s; %u timers held after %.1f s "
            "(%.0f timers started/s)\n", s_total, published, s_total, loaded,
            s_total / loaded);
    printf ("memory: escalation peak RSS %.1f MB; store %.1f MB on disk\n",
            tk_peak_rss_kb (pid) / 1024.0, s_store_mb (net, "escalation"));

    //  2. The due-time scan with nothing due: clock moved by 1 ms, then a status (served
    //  after the tick), against status alone.
    const int rounds = 200;
    start = zclock_mono ();
    for (int i = 0; i < rounds; i++)
        tk_status (net, "escalation", "last_seq");
    double base = s_seconds (start) / rounds;
    start = zclock_mono ();
    for (int i = 0; i < rounds; i++) {
        tk_advance (net, "escalation", 1);
        tk_status (net, "escalation", "last_seq");
    }
    double ticked = s_seconds (start) / rounds;
    printf ("due scan: a clock move, its tick over %u timers with nothing due and a status: "
            "%.0f µs (a status alone %.0f µs, two round trips)\n", s_total, ticked * 1e6,
            base * 1e6);

    //  3. Every light and card falls due at once: 11:00.
    int64_t base_cards = tk_status (net, "escalation", "yellow_cards");
    start = zclock_mono ();
    tk_advance (net, "escalation", 2 * 3600 * 1000);
    double fired = s_wait_counter (net, "yellow_cards", base_cards + s_total, 3600);
    printf ("firing: %u lights and %u yellow cards in %.1f s: %.0f cards/s (%.0f alerts/s, "
            "each published and recorded)\n", s_total, s_total, fired, s_total / fired,
            2.0 * s_total / fired);
    printf ("after: escalation peak RSS %.1f MB; store %.1f MB on disk\n",
            tk_peak_rss_kb (pid) / 1024.0, s_store_mb (net, "escalation"));
    gl_client_destroy (&client);
    zactor_destroy (&producer);
    tk_net_destroy (&net);
    return 0;
}

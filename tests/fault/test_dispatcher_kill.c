/*  Fault test: 20 000 staff reports from 32 concurrent clients in five segments; after each of
    the first four the dispatcher is SIGKILLed, the next segment is reported while it is down,
    and it is restarted after it, so that it must take a whole segment by replay. Staff reports are filed and routed automatically,
    so each event costs the dispatcher one consumed message, one write and two published
    messages. Afterwards, once the dispatcher has caught up with intake: every acknowledged
    event is held by the dispatcher exactly once, in the state its routing rule leads to (step 1
    at its street board, or CLOSED at step 0 for a 私事), each unit's queue holds each of its
    events once, and the archive (reading intake and dispatcher) holds for every event exactly
    its report, one filing and one dispatch (or close) — nothing was dispatched twice.
    GL_FAULT_REPORTS overrides the count.  */
#include "testkit.h"

#include <signal.h>

#define S_PORTS     23100       //  this test's ports
#define S_KILLS     4           //  dispatcher kills, one between each two segments
#define S_CATCH_UP  180000      //  longest wait for a consumer to catch up, ms

//  What routing makes of report n of testkit's load (tk_report_request): category and grid
//  cycle with n % 4.
typedef struct {
    const char *state;          //  DISPATCHED, or CLOSED for a 私事
    const char *unit;           //  the holder
    uint64_t step;              //  1, or 0 when closed without a step
    const char *filed_at;       //  the street centre it was filed at
} s_route_t;

static const s_route_t s_routes [4] = {
    { "DISPATCHED", "SJ-B4", 1, "SJ-C" },   //  03.01 消防安全隐患 at SJ-01-01: major, board B4
    { "CLOSED", "QL-C", 0, "QL-C" },        //  01.02 邻里纠纷 at QL-02-03: private, closed
    { "DISPATCHED", "RH-B4", 1, "RH-C" },   //  05.03 施工管理 at RH-03-02: major, board B4
    { "DISPATCHED", "PL-B3", 1, "PL-C" },   //  06.01 社会保险 at PL-04-05: major, board B3
};

static int
s_call (tk_net_t *net, gl_client_t *client, const char *op, const char *key, const char *value,
        gl_doc_t *answer)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, key, value);
    msgpack_sbuffer req;
    gl_request_build (&req, op, false, &w);
    gl_mapw_fini (&w);
    gl_err_t err;
    int rc = gl_client_call (client, req.data, req.size, answer, 3, &err);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0)
        rc = gl_answer_check (&answer->root, &err);
    if (rc)
        tk_fail (net, "%s %s: %s %s", op, value, gl_code_name (err.code), err.message);
    return rc;
}

//  Every event as the dispatcher holds it: once, in its routed state.
static void
s_check_dispatcher (tk_net_t *net, tk_load_t *load)
{
    gl_client_t *client = gl_client_new (tk_endpoint (net, "dispatcher"), 3000,
                                         net->cfg.max_msg_bytes);
    for (unsigned i = 0; i < load->total; i++) {
        const s_route_t *r = &s_routes [i % 4];
        gl_doc_t answer;
        s_call (net, client, "get", "id", load->ids [i], &answer);
        const msgpack_object *ev = gl_map_get (&answer.root, "event");
        const msgpack_object *steps = gl_map_get (&answer.root, "steps");
        char state [16] = "", unit [40] = "";
        uint64_t step = 99;
        gl_get_strbuf (ev, "state", state, sizeof state);
        gl_get_strbuf (ev, "unit", unit, sizeof unit);
        gl_get_u64 (ev, "step", &step);
        TK_CHECK (net, streq (state, r->state) && streq (unit, r->unit) && step == r->step
                  && steps && steps->via.array.size == r->step,
                  "event %s (report %u) is %s at %s step %llu with %u steps; expected %s at %s "
                  "step %llu", load->ids [i], i, state, unit, (unsigned long long) step,
                  steps? steps->via.array.size: 0, r->state, r->unit,
                  (unsigned long long) r->step);
        gl_doc_fini (&answer);
    }
    gl_client_destroy (&client);
}

//  Each unit's queue holds each of its open events exactly once.
static void
s_check_queues (tk_net_t *net, tk_load_t *load)
{
    for (int k = 0; k < 4; k++) {
        const s_route_t *r = &s_routes [k];
        unsigned expected = 0;
        for (unsigned i = k; i < load->total; i += 4)
            expected += streq (r->state, "DISPATCHED");
        unsigned listed = 0;
        char after [GL_MAX_NAME + 1] = "", last [GL_MAX_NAME + 1] = "";
        for (;;) {
            gl_mapw_t w;
            gl_mapw_init (&w);
            gl_mapw_str (&w, "unit", r->unit);
            gl_mapw_u64 (&w, "limit", 500);
            if (*after)
                gl_mapw_str (&w, "after", after);
            msgpack_sbuffer req;
            gl_request_build (&req, "queue", false, &w);
            gl_mapw_fini (&w);
            gl_doc_t answer;
            gl_err_t err;
            int rc = tk_call (net, "dispatcher", req.data, req.size, &answer, 5000);
            msgpack_sbuffer_destroy (&req);
            TK_CHECK (net, rc == 0 && gl_answer_check (&answer.root, &err) == 0,
                      "queue %s did not answer ok", r->unit);
            const msgpack_object *events = gl_map_get (&answer.root, "events");
            for (uint32_t j = 0; events && j < events->via.array.size; j++) {
                char id [GL_MAX_NAME + 1] = "";
                gl_get_strbuf (&events->via.array.ptr [j], "id", id, sizeof id);
                TK_CHECK (net, strcmp (id, last) > 0, "queue %s lists %s after %s", r->unit,
                          id, last);
                snprintf (last, sizeof last, "%s", id);
                listed++;
            }
            bool more = gl_get_strbuf (&answer.root, "next", after, sizeof after);
            gl_doc_fini (&answer);
            if (!more)
                break;
        }
        TK_CHECK (net, listed == expected, "queue %s holds %u events, expected %u", r->unit,
                  listed, expected);
    }
}

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

//  The archive holds, for every event, its report, one filing and one dispatch (or close).
static void
s_check_archive (tk_net_t *net, tk_load_t *load)
{
    char **ids;
    uint64_t *counts;
    long n = tk_archive_events (net, &ids, &counts);
    TK_CHECK (net, n >= 0, "archive list failed");
    char **acked = malloc (load->total * sizeof (char *));
    memcpy (acked, load->ids, load->total * sizeof (char *));
    qsort (acked, load->total, sizeof (char *), s_strcmp);
    unsigned events = 0;
    for (long i = 0; i < n; i++) {
        if (ids [i][0] == '#')
            continue;                   //  messages without an event id
        TK_CHECK (net, events < load->total && streq (ids [i], acked [events]),
                  "archive holds event %s, which was not acknowledged (or is out of place)",
                  ids [i]);
        TK_CHECK (net, counts [i] == 3, "archive holds %llu messages for event %s; expected "
                  "its report, its filing and its dispatch", (unsigned long long) counts [i],
                  ids [i]);
        events++;
    }
    TK_CHECK (net, events == load->total, "archive holds %u events, expected %u", events,
              load->total);
    for (long i = 0; i < n; i++)
        free (ids [i]);
    free (ids);
    free (counts);
    free (acked);

    //  And which three: read every event's history.
    gl_client_t *client = gl_client_new (tk_endpoint (net, "archive"), 3000,
                                         net->cfg.max_msg_bytes);
    for (unsigned i = 0; i < load->total; i++) {
        const s_route_t *r = &s_routes [i % 4];
        char want [3][80];
        snprintf (want [0], sizeof want [0], "intake.event.reported");
        snprintf (want [1], sizeof want [1], "dispatcher.event.filed.%s", r->filed_at);
        snprintf (want [2], sizeof want [2], "dispatcher.event.%s.%s",
                  r->step? "dispatched": "closed", r->unit);
        gl_doc_t answer;
        s_call (net, client, "get", "id", load->ids [i], &answer);
        const msgpack_object *messages = gl_map_get (&answer.root, "messages");
        TK_CHECK (net, messages && messages->via.array.size == 3, "archive get %s: %u messages",
                  load->ids [i], messages? messages->via.array.size: 0);
        int at [3] = { -1, -1, -1 };    //  where each wanted topic is
        for (uint32_t j = 0; j < 3; j++) {
            char topic [GL_MAX_TOPIC + 1] = "";
            gl_get_strbuf (&messages->via.array.ptr [j], "topic", topic, sizeof topic);
            bool known = false;
            for (int w = 0; w < 3; w++)
                if (streq (topic, want [w]) && at [w] < 0) {
                    at [w] = (int) j;
                    known = true;
                }
            TK_CHECK (net, known, "archive holds %s for event %s (report %u); expected %s, %s "
                      "and %s once each", topic, load->ids [i], i, want [0], want [1],
                      want [2]);
        }
        //  The dispatcher's own two are in its order: filed, then routed.
        TK_CHECK (net, at [1] < at [2], "archive holds the %s of %s before its filing",
                  r->step? "dispatch": "close", load->ids [i]);
        gl_doc_fini (&answer);
    }
    gl_client_destroy (&client);
}

int
main (void)
{
    unsigned total = getenv ("GL_FAULT_REPORTS")? (unsigned) atoi (getenv ("GL_FAULT_REPORTS")):
                                                  20000;
    printf ("dispatcher kill/restart fault test: %u reports in %d segments\n", total,
            S_KILLS + 1);
    tk_net_t *net = tk_net_new (S_PORTS, "archive\n    reads = \"intake dispatcher\"\n");
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "dispatcher");
    tk_start (net, "archive");

    //  Segment 0 with the dispatcher running; after it and each later one, the dispatcher is
    //  SIGKILLed, the next segment runs while it is down, and it comes back after.
    tk_load_t load = { .total = total };
    load.ids = calloc (total, sizeof (char *));
    unsigned done = 0;
    int64_t replayed = 0;
    int64_t started = zclock_mono ();
    for (int s = 0; s <= S_KILLS; s++) {
        unsigned size = total / (S_KILLS + 1) + (s < (int) (total % (S_KILLS + 1))? 1: 0);
        tk_load_t segment = { .total = size, .clients = 32, .timeout_ms = 500 };
        tk_load_run (net, &segment);
        TK_CHECK (net, segment.acked == size && segment.errors == 0, "segment %d: %u of %u "
                  "acknowledged, %u refused", s, segment.acked, size, segment.errors);
        memcpy (load.ids + done, segment.ids, size * sizeof (char *));
        free (segment.ids);
        done += size;
        if (s > 0) {
            tk_start (net, "dispatcher");
            //  It missed the whole segment: what it takes by replay now is what it missed.
            TK_CHECK (net, tk_wait_caught_up (net, "dispatcher", "intake", done, S_CATCH_UP) == 0,
                      "the dispatcher did not catch up with intake within %d s after restart "
                      "%d", S_CATCH_UP / 1000, s);
            replayed += tk_status (net, "dispatcher", "msgs_replayed");
        }
        if (s < S_KILLS) {
            printf ("kill -9 dispatcher after %u reports\n", done);
            fflush (stdout);
            tk_kill (net, "dispatcher", SIGKILL);
        }
    }
    load.acked = done;
    printf ("%u acknowledged in %.1f s, %d dispatcher kills; it took %lld messages by replay "
            "after its restarts\n", done, (zclock_mono () - started) / 1000.0, S_KILLS,
            (long long) replayed);
    int64_t reported = tk_status (net, "intake", "last_seq");
    TK_CHECK (net, reported == (int64_t) total, "intake published %lld events for %u reports",
              (long long) reported, total);
    //  Exactly two messages per event: its filing, and its dispatch or close.
    int64_t published = tk_status (net, "dispatcher", "last_seq");
    TK_CHECK (net, published == 2 * (int64_t) total, "the dispatcher published %lld messages "
              "for %u events; expected exactly 2 each", (long long) published, total);
    TK_CHECK (net, tk_wait_caught_up (net, "archive", "intake", total, S_CATCH_UP) == 0
              && tk_wait_caught_up (net, "archive", "dispatcher", 2 * total, S_CATCH_UP) == 0,
              "the archive did not catch up within %d s", S_CATCH_UP / 1000);

    int64_t checking = zclock_mono ();
    s_check_dispatcher (net, &load);
    s_check_queues (net, &load);
    s_check_archive (net, &load);
    printf ("checked %u events in the dispatcher, its queues and the archive in %.1f s\n",
            total, (zclock_mono () - checking) / 1000.0);
    for (unsigned i = 0; i < total; i++)
        free (load.ids [i]);
    free (load.ids);
    printf ("1 passed, 0 failed\n");
    tk_net_destroy (&net);
    return 0;
}

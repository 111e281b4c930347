/*  Fault test: 100 000 reports from 32 concurrent clients in nine segments, with intake and the
    archive SIGKILLed at defined points: between segments intake is killed and restarted, the
    archive is killed and left down for a whole segment (so it must catch up by replay), and
    within segments intake is killed while the clients have requests in flight (they retry them
    with the same req_id on a fresh socket, as real clients do). Afterwards every acknowledged
    report is in the archive exactly once and nothing is there twice. GL_FAULT_REPORTS
    overrides the count.  */
#include "testkit.h"

#include <signal.h>

#define S_SEGMENTS 9

//  Within a segment: intake killed once after half of it is acknowledged, restarted at once.
typedef struct {
    tk_net_t *net;              //  the processes
    unsigned at;                //  acknowledgements of this segment at which intake dies
    bool done;                  //  it did
} s_midway_t;

static void
s_between (void *arg, unsigned acked)
{
    s_midway_t *m = arg;
    if (!m->done && acked >= m->at) {
        tk_kill (m->net, "intake", SIGKILL);
        tk_spawn (m->net, "intake");
        m->done = true;
    }
}

int
main (void)
{
    unsigned total = getenv ("GL_FAULT_REPORTS")? (unsigned) atoi (getenv ("GL_FAULT_REPORTS")):
                                                  100000;
    printf ("kill/restart fault test: %u reports in %d segments\n", total, S_SEGMENTS);
    tk_net_t *net = tk_net_new (21000, NULL);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "archive");
    tk_load_t all = { .total = total };
    all.ids = calloc (total, sizeof (char *));
    unsigned done = 0, kills = 0, retries = 0;
    int64_t started = zclock_mono ();
    for (int s = 0; s < S_SEGMENTS; s++) {
        unsigned size = total / S_SEGMENTS + (s < (int) (total % S_SEGMENTS)? 1: 0);
        //  Odd segments run with the archive down from the start: it catches up afterwards.
        bool archive_down = s % 2 == 1;
        if (archive_down) {
            tk_kill (net, "archive", SIGKILL);
            kills++;
        }
        s_midway_t midway = { net, size / 2, false };
        tk_load_t load = { .total = size, .clients = 32, .timeout_ms = 500,
                           .between = s_between, .arg = &midway };
        tk_load_run (net, &load);
        kills++;
        TK_CHECK (net, load.acked == size, "segment %d: %u of %u acknowledged", s, load.acked,
                  size);
        memcpy (all.ids + done, load.ids, size * sizeof (char *));
        free (load.ids);
        done += size;
        retries += load.retries;
        if (archive_down)
            tk_start (net, "archive");
        //  Between segments: intake killed with nothing in flight, and restarted.
        tk_kill (net, "intake", SIGKILL);
        tk_start (net, "intake");
        kills++;
    }
    all.acked = done;
    printf ("%u acknowledged in %.1f s, %u kills, %u retries after timeouts\n", done,
            (zclock_mono () - started) / 1000.0, kills, retries);
    tk_check_exactly_once (net, &all);
    printf ("archive replayed %lld messages to repair gaps since its last start\n",
            (long long) tk_status (net, "archive", "msgs_replayed"));
    for (unsigned i = 0; i < total; i++)
        free (all.ids [i]);
    free (all.ids);
    printf ("1 passed, 0 failed\n");
    tk_net_destroy (&net);
    return 0;
}

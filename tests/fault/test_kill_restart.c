/*  Fault test: 100 000 reports while intake and archive are each SIGKILLed and restarted
    several times at random moments; clients retry unanswered calls with the same req_id.
    Afterwards every acknowledged report is in archive exactly once and nothing is there twice.
    GL_FAULT_REPORTS overrides the count; GL_SEED the random seed.  */
#include "testkit.h"

#include <signal.h>

typedef struct {
    tk_net_t *net;              //  the processes
    unsigned total;             //  reports in the load
    unsigned kills;             //  kills so far
    unsigned max_kills;         //  kills planned
    unsigned next_at;           //  acknowledged count at which the next kill happens
    const char *down;           //  the process waiting to be restarted
    int64_t restart_at;         //  when
} s_chaos_t;

static void
s_between (void *arg, unsigned acked)
{
    s_chaos_t *c = arg;
    if (c->down && zclock_mono () >= c->restart_at) {
        tk_spawn (c->net, c->down);
        c->down = NULL;
    }
    if (!c->down && c->kills < c->max_kills && acked >= c->next_at) {
        //  Alternate so each is killed several times; the moment within the stream is random.
        c->down = c->kills % 2? "archive": "intake";
        printf ("kill -9 %s after %u acknowledged reports\n", c->down, acked);
        fflush (stdout);
        tk_kill (c->net, c->down, SIGKILL);
        c->restart_at = zclock_mono () + randof (400);
        c->kills++;
        //  Spacing between a quarter and all of an even share: every kill fits in the run.
        unsigned share = c->total / (c->max_kills + 1);
        c->next_at = acked + share / 4 + randof (share * 3 / 4);
    }
}

int
main (void)
{
    unsigned total = getenv ("GL_FAULT_REPORTS")? (unsigned) atoi (getenv ("GL_FAULT_REPORTS")):
                                                  100000;
    unsigned seed = getenv ("GL_SEED")? (unsigned) atoi (getenv ("GL_SEED")): (unsigned) time (NULL);
    srandom (seed);
    printf ("kill/restart fault test: %u reports, seed %u\n", total, seed);
    tk_net_t *net = tk_net_new (21000, NULL);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "archive");

    s_chaos_t chaos = { net, total, 0, 8, 0, NULL, 0 };
    chaos.next_at = 1 + randof (total / (chaos.max_kills + 1));
    tk_load_t load = { .total = total, .clients = 32, .timeout_ms = 500,
                       .between = s_between, .arg = &chaos };
    int64_t started = zclock_mono ();
    tk_load_run (net, &load);
    if (chaos.down)
        tk_spawn (net, chaos.down);
    printf ("%u acknowledged in %.1f s, %u retries after timeouts, %u kills\n", load.acked,
            (zclock_mono () - started) / 1000.0, load.retries, chaos.kills);
    TK_CHECK (net, chaos.kills == chaos.max_kills, "only %u kills happened", chaos.kills);
    TK_CHECK (net, load.retries > 0, "no call was ever retried: the kills did not bite");
    tk_check_exactly_once (net, &load);
    printf ("archive replayed %lld messages to repair gaps\n",
            (long long) tk_status (net, "archive", "msgs_replayed"));
    printf ("1 passed, 0 failed\n");
    tk_net_destroy (&net);
    return 0;
}

/*  Fault test: messages lost on the way, forced, and repaired by replay.
    1. Intake drops its 100th, 1000th and 1500th publications (countdown fault injection,
       publish:N:fail, one process each), as a full high-water mark would: the archive sees a
       gap in the live stream and fills it by replay.
    2. A subscriber high-water mark of 10 (on the bus and on the archive) and the archive frozen
       (SIGSTOP) for part of a load, so that PUB/SUB drops whatever does not fit; how much it
       dropped depends on the machine and is only reported.
    (A subscriber that is not running at all is test_slow_joiner's.) Each passes only on the
    outcome: every acknowledged report is in the archive exactly once,
    and nothing else is.  */
#include "testkit.h"

#include <signal.h>

static void
test_dropped_publications_are_repaired (void)
{
    const unsigned drops [] = { 100, 1000, 1500 };
    for (size_t d = 0; d < sizeof drops / sizeof drops [0]; d++) {
        tk_net_t *net = tk_net_new (21100, NULL);
        tk_start (net, "bus");
        tk_start (net, "archive");
        char fault [32];
        snprintf (fault, sizeof fault, "publish:%u:fail", drops [d]);
        TK_CHECK (net, tk_start_fault (net, "intake", fault) > 0, "intake did not start");
        tk_load_t load = { .total = 2000, .clients = 16, .timeout_ms = 2000 };
        tk_load_run (net, &load);
        //  The harness check: the drop really happened (it is forced, so it always does).
        TK_CHECK (net, tk_status (net, "intake", "faults_fired") == 1, "%s did not fire", fault);
        tk_check_exactly_once (net, &load);
        printf ("  %s: repaired (archive replayed %lld)\n", fault,
                (long long) tk_status (net, "archive", "msgs_replayed"));
        for (unsigned i = 0; i < load.total; i++)
            free (load.ids [i]);
        free (load.ids);
        tk_net_destroy (&net);
    }
}

typedef struct {
    pid_t archive;              //  the slow subscriber
    int stage;                  //  0 running, 1 frozen, 2 thawed
} s_freeze_t;

static void
s_between (void *arg, unsigned acked)
{
    s_freeze_t *f = arg;
    if (f->stage == 0 && acked >= 2000) {
        kill (f->archive, SIGSTOP);
        f->stage = 1;
    }
    else
    if (f->stage == 1 && acked >= 14000) {
        kill (f->archive, SIGCONT);
        f->stage = 2;
    }
}

static void
test_a_frozen_subscriber_behind_a_tiny_high_water_mark (void)
{
    unsigned total = 20000;
    tk_net_t *net = tk_net_new (21100, "limits\n    sub_hwm = 10\n");
    tk_start (net, "bus");
    tk_start (net, "intake");
    s_freeze_t freeze = { tk_start (net, "archive"), 0 };
    //  3 KB reports: what overflows the kernel's socket buffers while the archive is frozen is
    //  dropped by PUB/SUB.
    tk_load_t load = { .total = total, .clients = 32, .timeout_ms = 2000, .pad = 3000,
                       .between = s_between, .arg = &freeze };
    tk_load_run (net, &load);
    if (freeze.stage == 1)
        kill (freeze.archive, SIGCONT);
    tk_check_exactly_once (net, &load);
    printf ("  frozen subscriber: %lld of %u messages came by replay\n",
            (long long) tk_status (net, "archive", "msgs_replayed"), total);
    for (unsigned i = 0; i < load.total; i++)
        free (load.ids [i]);
    free (load.ids);
    tk_net_destroy (&net);
}

int
main (void)
{
    printf ("forced drops, repaired by replay\n");
    test_dropped_publications_are_repaired ();
    test_a_frozen_subscriber_behind_a_tiny_high_water_mark ();
    printf ("2 passed, 0 failed\n");
    return 0;
}

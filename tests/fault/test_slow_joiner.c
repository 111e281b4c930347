/*  Fault test: start order does not matter. A consumer started long after the producer (slow
    joiner, fresh store) catches up on everything from the outbox; processes started before
    the bus connect and catch up when it appears.  */
#include "testkit.h"

int
main (void)
{
    tk_net_t *net = tk_net_new (21200, NULL);
    //  Producer first, no bus and no consumer yet: publications go nowhere.
    tk_start (net, "intake");
    tk_load_t first = { .total = 3000, .clients = 16, .timeout_ms = 2000 };
    tk_load_run (net, &first);
    TK_CHECK (net, first.acked == first.total, "reports without a bus were not acknowledged");
    //  Archive before the bus: it must not depend on it to start.
    tk_start (net, "archive");
    tk_start (net, "bus");
    TK_CHECK (net, tk_wait_caught_up (net, "archive", "intake", 3000, 30000) == 0,
              "the late consumer did not catch up from the outbox");
    TK_CHECK (net, tk_status (net, "archive", "msgs_replayed") == 3000,
              "the late consumer got %lld of 3000 by replay",
              (long long) tk_status (net, "archive", "msgs_replayed"));
    //  Then live traffic on top, and the exactly-once proof over all of it.
    tk_load_t second = { .total = 2000, .clients = 16, .timeout_ms = 2000 };
    tk_load_run (net, &second);
    tk_load_t all = { .total = 5000, .acked = 5000 };
    all.ids = calloc (5000, sizeof (char *));
    memcpy (all.ids, first.ids, 3000 * sizeof (char *));
    memcpy (all.ids + 3000, second.ids, 2000 * sizeof (char *));
    tk_check_exactly_once (net, &all);
    printf ("1 passed, 0 failed\n");
    tk_net_destroy (&net);
    return 0;
}

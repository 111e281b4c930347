/*  Fault test: the recovery paths an operator meets, each forced and checked on its outcome.
    1. Intake restored from a backup taken mid-load, while the dispatcher (down since before
       the backup, so behind on the old epoch) and the archive keep their stores: nothing the
       backup held is lost to either consumer, no event id is ever issued twice, and each
       consumer follows the restored store's new epoch.
    2. Retention trimmed past a consumer's position (manual clock): the consumer does not spin;
       it logs the loss once, shows it in status, and goes on from the oldest message still
       there.
    3. The bus SIGKILLed and restarted twice under load: every consumer catches up, every
       acknowledged report reaches the dispatcher and the archive exactly once.  */
#include "testkit.h"

#include <signal.h>

#define S_CATCH_UP 120000       //  longest wait for a consumer to catch up (a hang, not an outcome)

//  A segment of n reports; their ids are appended to ids from *count on.
static void
s_segment (tk_net_t *net, unsigned n, char **ids, unsigned *count)
{
    tk_load_t load = { .total = n, .clients = 16, .timeout_ms = 2000 };
    tk_load_run (net, &load);
    TK_CHECK (net, load.acked == n, "%u of %u reports acknowledged", load.acked, n);
    memcpy (ids + *count, load.ids, n * sizeof (char *));
    *count += n;
    free (load.ids);
}

//  Whether a service holds event id: 1 yes, 0 no (NOT_FOUND), and how many messages the
//  archive holds for it in *messages (when not NULL).
static int
s_holds (tk_net_t *net, const char *service, const char *id, uint32_t *messages)
{
    gl_doc_t answer;
    gl_err_t err;
    gl_code_t code = tk_ask_id (net, service, "get", id, &answer, &err);
    TK_CHECK (net, code == GL_OK || code == GL_NOT_FOUND, "%s get %s: %s %s", service, id,
              gl_code_name (code), err.message);
    if (messages) {
        const msgpack_object *m = gl_map_get (&answer.root, "messages");
        *messages = code == GL_OK && m? m->via.array.size: 0;
    }
    gl_doc_fini (&answer);
    return code == GL_OK;
}

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
test_restore_mid_load_loses_nothing_the_backup_held (void)
{
    printf ("intake restored from a backup taken mid-load\n");
    tk_net_t *net = tk_net_new (25000, "archive\n    reads = \"intake dispatcher\"\n");
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "dispatcher");
    tk_start (net, "archive");
    enum { A = 500, B = 500, C = 300, D = 300 };
    char *ids [A + B + C + D];
    unsigned count = 0;
    s_segment (net, A, ids, &count);
    TK_CHECK (net, tk_wait_caught_up (net, "dispatcher", "intake", A, S_CATCH_UP) == 0,
              "the dispatcher did not catch up before the test");
    int64_t old_epoch = tk_status (net, "intake", "epoch");
    //  The dispatcher goes down: from here on it is behind on the old epoch.
    tk_kill (net, "dispatcher", SIGKILL);
    s_segment (net, B, ids, &count);
    //  The backup holds A and B; C comes after it (the archive sees C, the dispatcher not).
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "path", "intake-mid-load");
    gl_doc_t answer;
    gl_err_t err;
    TK_CHECK (net, tk_ask (net, "intake", "backup", &w, &answer, &err) == GL_OK,
              "backup refused: %s", err.message);
    gl_mapw_fini (&w);
    uint64_t backup_last = 0;
    gl_get_u64 (&answer.root, "last_seq", &backup_last);
    TK_CHECK (net, backup_last == A + B, "the backup ends at seq %llu, expected %d",
              (unsigned long long) backup_last, A + B);
    gl_doc_fini (&answer);
    s_segment (net, C, ids, &count);
    TK_CHECK (net, tk_wait_caught_up (net, "archive", "intake", A + B + C, S_CATCH_UP) == 0,
              "the archive did not catch up with C");
    //  Restore: intake stopped, its store replaced by the backup, started again; then the
    //  dispatcher comes back, and D is reported.
    tk_kill (net, "intake", SIGKILL);
    char cmd [1200];
    snprintf (cmd, sizeof cmd, "cp %s/backups/intake-mid-load/data.mdb %s/var/intake/data.mdb "
              "&& rm -f %s/var/intake/lock.mdb", net->dir, net->dir, net->dir);
    TK_CHECK (net, system (cmd) == 0, "restoring the backup failed: %s", cmd);
    tk_start (net, "intake");
    int64_t new_epoch = tk_status (net, "intake", "epoch");
    TK_CHECK (net, new_epoch > 0 && new_epoch != old_epoch, "the restored intake kept its epoch");
    TK_CHECK (net, tk_status (net, "intake", "last_seq") == A + B, "the restored intake is at "
              "seq %lld, expected %d", (long long) tk_status (net, "intake", "last_seq"), A + B);
    tk_start (net, "dispatcher");
    s_segment (net, D, ids, &count);
    TK_CHECK (net, tk_wait_caught_up (net, "dispatcher", "intake", A + B + D, S_CATCH_UP) == 0,
              "the dispatcher did not catch up with the restored intake");
    TK_CHECK (net, tk_wait_caught_up (net, "archive", "intake", A + B + D, S_CATCH_UP) == 0,
              "the archive did not catch up with the restored intake");

    //  No event id was ever issued twice (C's and D's least of all).
    char **sorted = malloc (count * sizeof (char *));
    memcpy (sorted, ids, count * sizeof (char *));
    qsort (sorted, count, sizeof (char *), s_strcmp);
    for (unsigned i = 1; i < count; i++)
        TK_CHECK (net, strcmp (sorted [i - 1], sorted [i]) != 0, "event id %s was issued twice",
                  sorted [i]);
    free (sorted);
    //  The dispatcher, behind on the old epoch, got everything the backup held (B from the
    //  restored outbox) and D; C died with the old store, which is what a restore means.
    unsigned lost_c = 0;
    for (unsigned i = 0; i < count; i++) {
        bool in_c = i >= A + B && i < A + B + C;
        int held = s_holds (net, "dispatcher", ids [i], NULL);
        if (in_c)
            lost_c += !held;
        else
            TK_CHECK (net, held, "the dispatcher lost event %s (report %u)", ids [i], i);
    }
    //  The archive keeps all four, each with its one report exactly once.
    for (unsigned i = 0; i < count; i++) {
        uint32_t messages = 0;
        TK_CHECK (net, s_holds (net, "archive", ids [i], &messages), "the archive lost %s",
                  ids [i]);
        TK_CHECK (net, messages >= 1, "the archive holds no message of %s", ids [i]);
    }
    TK_CHECK (net, tk_status (net, "dispatcher", "inbox.intake.epoch") == new_epoch
              && tk_status (net, "archive", "inbox.intake.epoch") == new_epoch,
              "a consumer does not follow the restored epoch");
    printf ("  A+B+D in the dispatcher, A+B+C+D in the archive, %u ids all distinct; the %u "
            "reports of C are gone from the restored intake and the dispatcher, as a restore "
            "does\n", count, lost_c);
    for (unsigned i = 0; i < count; i++)
        free (ids [i]);
    tk_net_destroy (&net);
}

static void
test_retention_past_a_consumer_is_logged_once_and_stepped_over (void)
{
    printf ("retention trimmed past a consumer's position\n");
    //  2026-11-01 10:00 UTC+8, a day's retention.
    tk_net_t *net = tk_net_new (25100, "clock\n    mode = \"manual\"\n    start_ms = 1793498400000\n"
                                "retention\n    days = 1\n");
    tk_start (net, "bus");
    tk_start (net, "intake");
    enum { OLD = 50, KEPT = 30, NEW = 10 };
    char *ids [OLD + KEPT + NEW];
    unsigned count = 0;
    s_segment (net, OLD, ids, &count);
    //  A day and a half later, 30 more; 14 hours after that, the first 50 are older than the
    //  retention (50 hours), the 30 are not (14 hours).
    tk_advance (net, "intake", 36 * 3600000LL);
    s_segment (net, KEPT, ids, &count);
    tk_advance (net, "intake", 14 * 3600000LL);
    //  Moving the clock runs retention: wait until the outbox holds only the 30.
    int64_t end = zclock_mono () + 30000;
    while (tk_status (net, "intake", "tables.outbox.entries") != KEPT && zclock_mono () < end)
        zclock_sleep (20);              //  polling another process: nothing to wait on
    TK_CHECK (net, tk_status (net, "intake", "tables.outbox.entries") == KEPT,
              "intake's outbox holds %lld messages, expected %d",
              (long long) tk_status (net, "intake", "tables.outbox.entries"), KEPT);
    //  The archive starts from nothing: it needs seq 1, the oldest retained is 51.
    tk_start (net, "archive");
    TK_CHECK (net, tk_wait_caught_up (net, "archive", "intake", OLD + KEPT, S_CATCH_UP) == 0,
              "the archive did not go on past the trimmed messages");
    TK_CHECK (net, tk_status (net, "archive", "inbox.intake.lost") == OLD, "the archive counts "
              "%lld messages lost, expected %d",
              (long long) tk_status (net, "archive", "inbox.intake.lost"), OLD);
    //  It goes on with what comes next.
    s_segment (net, NEW, ids, &count);
    TK_CHECK (net, tk_wait_caught_up (net, "archive", "intake", OLD + KEPT + NEW, S_CATCH_UP)
              == 0, "the archive did not take the new reports");
    for (unsigned i = 0; i < count; i++) {
        uint32_t messages = 0;
        int held = s_holds (net, "archive", ids [i], &messages);
        TK_CHECK (net, held == (i >= OLD), "the archive %s %s (report %u)",
                  held? "holds": "lacks", ids [i], i);
        free (ids [i]);
    }
    //  The loss was logged once.
    char cmd [600];
    snprintf (cmd, sizeof cmd, "test $(grep -c 'no longer holds seq 1..50' %s/archive.log) -eq 1",
              net->dir);
    TK_CHECK (net, system (cmd) == 0, "the loss was not logged exactly once");
    printf ("  50 messages counted lost in status, logged once; the 30 kept and 10 new "
            "applied\n");
    tk_net_destroy (&net);
}

//  The bus is killed and restarted at two defined points of the load.
typedef struct {
    tk_net_t *net;              //  the processes
    unsigned at [2];            //  acknowledgements at which the bus dies
    int kills;                  //  so far
} s_bus_chaos_t;

static void
s_kill_bus (void *arg, unsigned acked)
{
    s_bus_chaos_t *c = arg;
    if (c->kills < 2 && acked >= c->at [c->kills]) {
        tk_kill (c->net, "bus", SIGKILL);
        tk_spawn (c->net, "bus");
        c->kills++;
    }
}

static void
test_bus_restarts_under_load (void)
{
    printf ("the bus killed and restarted twice under load\n");
    unsigned total = 20000;
    tk_net_t *net = tk_net_new (25200, NULL);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "dispatcher");
    tk_start (net, "archive");
    s_bus_chaos_t chaos = { net, { 5000, 12000 }, 0 };
    tk_load_t load = { .total = total, .clients = 32, .timeout_ms = 2000,
                       .between = s_kill_bus, .arg = &chaos };
    tk_load_run (net, &load);
    TK_CHECK (net, chaos.kills == 2, "the bus was killed %d times", chaos.kills);
    tk_check_exactly_once (net, &load);
    TK_CHECK (net, tk_wait_caught_up (net, "dispatcher", "intake", total, S_CATCH_UP) == 0,
              "the dispatcher did not catch up after the bus restarts");
    TK_CHECK (net, tk_status (net, "dispatcher", "last_seq") == 2 * (int64_t) total,
              "the dispatcher published %lld messages for %u events",
              (long long) tk_status (net, "dispatcher", "last_seq"), total);
    printf ("  %u reports: the archive replayed %lld, the dispatcher %lld\n", total,
            (long long) tk_status (net, "archive", "msgs_replayed"),
            (long long) tk_status (net, "dispatcher", "msgs_replayed"));
    for (unsigned i = 0; i < total; i++)
        free (load.ids [i]);
    free (load.ids);
    tk_net_destroy (&net);
}

int
main (void)
{
    test_restore_mid_load_loses_nothing_the_backup_held ();
    test_retention_past_a_consumer_is_logged_once_and_stepped_over ();
    test_bus_restarts_under_load ();
    printf ("3 passed, 0 failed\n");
    return 0;
}

/*  Integration: what an operator meets — start-up refusing a bad configuration in plain words,
    the manual clock driving event ids (no sleeping), online backups only under backup_dir,
    and the restore of a live producer from one: it keeps its stream, takes a new epoch, and its
    consumers follow it without losing or repeating anything.  */
#include "testkit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <sys/wait.h>

//  Run a service binary on a config text; returns its exit status and its stderr in out.
static int
s_run_with (const char *cfg_text, char *out, size_t size)
{
    char dir [] = "/tmp/gridloop-cfg-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path [64], cmd [1024];
    snprintf (path, sizeof path, "%s/bad.cfg", dir);
    FILE *f = fopen (path, "w");
    fputs (cfg_text, f);
    fclose (f);
    char exe [512];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    exe [n > 0? n: 0] = 0;
    *strrchr (exe, '/') = 0;
    snprintf (cmd, sizeof cmd, "%s/gridloop-intake --config %s 2>&1", exe, path);
    FILE *p = popen (cmd, "r");
    size_t got = fread (out, 1, size - 1, p);
    out [got] = 0;
    int status = pclose (p);
    remove (path);
    rmdir (dir);
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

static void
test_bad_value_stops_start_naming_file_key_and_expectation (void **state)
{
    char out [2048];
    assert_int_equal (s_run_with ("intake\n    map_mb = \"lots\"\n", out, sizeof out), 1);
    assert_non_null (strstr (out, "bad.cfg"));
    assert_non_null (strstr (out, "'intake/map_mb'"));
    assert_non_null (strstr (out, "expected a whole number from 1"));
}

static void
test_unknown_setting_stops_start (void **state)
{
    char out [2048];
    assert_int_equal (s_run_with ("intake\n    endpiont = \"tcp://127.0.0.1:1\"\n", out,
                                  sizeof out), 1);
    assert_non_null (strstr (out, "unknown setting 'intake/endpiont'"));
}

static void
test_missing_config_file_is_named (void **state)
{
    char exe [512], cmd [700], out [1024];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    exe [n > 0? n: 0] = 0;
    *strrchr (exe, '/') = 0;
    snprintf (cmd, sizeof cmd, "%s/gridloop-intake --config /nonexistent/gridloop.cfg 2>&1", exe);
    FILE *p = popen (cmd, "r");
    size_t got = fread (out, 1, sizeof out - 1, p);
    out [got] = 0;
    assert_int_not_equal (pclose (p), 0);
    assert_non_null (strstr (out, "/nonexistent/gridloop.cfg: no such configuration file"));
}

static char *
s_report (tk_net_t *net, const char *req_id)
{
    msgpack_sbuffer req;
    tk_report_request (&req, req_id, 1, 0);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_call (net, "intake", req.data, req.size, &answer, 3000), 0);
    assert_int_equal (gl_answer_check (&answer.root, &err), 0);
    char id [GL_MAX_NAME + 1];
    assert_true (gl_get_strbuf (&answer.root, "id", id, sizeof id));
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
    return strdup (id);
}

static void
s_clock (tk_net_t *net, const char *field, int64_t ms)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_i64 (&w, field, ms);
    msgpack_sbuffer req;
    gl_request_build (&req, "clock", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (tk_call (net, "intake", req.data, req.size, &answer, 3000), 0);
    assert_int_equal (gl_answer_check (&answer.root, &err), 0);
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
}

static void
test_manual_clock_dates_event_ids_and_restarts_the_daily_counter (void **state)
{
    //  2026-11-27 15:59:59 UTC is one second before midnight in Yunyang (UTC+8).
    tk_net_t *net = tk_net_new (21700, "clock\n    mode = \"manual\"\n"
                                       "    start_ms = \"1795795199000\"\n");
    tk_start (net, "intake");
    char *a = s_report (net, "clock-1");
    char *b = s_report (net, "clock-2");
    s_clock (net, "advance_ms", 1000);
    char *c = s_report (net, "clock-3");
    assert_string_equal (a, "500235-20261127-000000001");
    assert_string_equal (b, "500235-20261127-000000002");
    assert_string_equal (c, "500235-20261128-000000001");
    assert_int_equal (tk_status (net, "intake", "now_ms"), 1795795200000LL);
    free (a);
    free (b);
    free (c);
    tk_net_destroy (&net);
}

//  Ask a service for a backup into path; returns the refusal's code (GL_OK when done).
static gl_code_t
s_backup (tk_net_t *net, const char *service, const char *path, gl_err_t *err)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "path", path);
    gl_doc_t answer;
    gl_code_t code = tk_ask (net, service, "backup", &w, &answer, err);
    gl_doc_fini (&answer);
    gl_mapw_fini (&w);
    return code;
}

static void
test_backups_go_only_under_backup_dir_with_private_modes (void **state)
{
    tk_net_t *net = tk_net_new (21820, NULL);
    tk_start (net, "intake");
    free (s_report (net, "bd-1"));
    gl_err_t err;
    //  Anywhere else is refused, saying where backups go.
    assert_int_equal (s_backup (net, "intake", "/tmp/gridloop-elsewhere", &err), GL_FORBIDDEN);
    assert_non_null (strstr (err.message, "backup_dir"));
    assert_int_equal (s_backup (net, "intake", "../escape", &err), GL_INVALID);
    //  A name under backup_dir is a new directory there, 0750, its file 0640.
    assert_int_equal (s_backup (net, "intake", "2026-11-29/intake", &err), GL_OK);
    char path [600];
    struct stat st;
    snprintf (path, sizeof path, "%s/backups/2026-11-29/intake", net->dir);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0750);
    snprintf (path, sizeof path, "%s/backups/2026-11-29/intake/data.mdb", net->dir);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0640);
    //  An absolute path inside backup_dir is accepted too; the same place twice is not.
    snprintf (path, sizeof path, "%s/backups/2026-11-29/intake", net->dir);
    assert_int_equal (s_backup (net, "intake", path, &err), GL_CONFLICT);
    snprintf (path, sizeof path, "%s/backups/again", net->dir);
    assert_int_equal (s_backup (net, "intake", path, &err), GL_OK);
    tk_net_destroy (&net);
}

//  One backup at a time: the first is held (countdown fault backup:1:fail keeps its copy from
//  starting), and the second, sent after it on the same socket, is read after it.
static void
test_a_second_backup_is_refused_while_one_runs (void **state)
{
    tk_net_t *net = tk_net_new (21840, NULL);
    tk_start_fault (net, "intake", "backup:1:fail");
    zsock_t *client = zsock_new (ZMQ_DEALER);
    tk_connect (net, client, tk_endpoint (net, "intake"));
    const char *names [] = { "first", "second" };
    for (int i = 0; i < 2; i++) {
        gl_mapw_t w;
        gl_mapw_init (&w);
        gl_mapw_str (&w, "op", "backup");
        gl_mapw_str (&w, "path", names [i]);
        msgpack_sbuffer req;
        gl_mapw_finish (&w, &req);
        gl_mapw_fini (&w);
        zmq_send (zsock_resolve (client), "", 0, ZMQ_SNDMORE);
        zmq_send (zsock_resolve (client), req.data, req.size, 0);
        msgpack_sbuffer_destroy (&req);
    }
    //  The only answer is the second's: the first never finishes.
    zpoller_t *poller = zpoller_new (client, NULL);
    assert_non_null (zpoller_wait (poller, 60000));    //  a hang, not an outcome
    zmsg_t *msg = zmsg_recv (client);
    zframe_t *payload = zmsg_last (msg);
    gl_doc_t answer;
    gl_err_t err;
    assert_int_equal (gl_doc_parse (&answer, zframe_data (payload), zframe_size (payload), &err),
                      0);
    assert_int_equal (gl_answer_check (&answer.root, &err), -1);
    assert_int_equal (err.code, GL_CONFLICT);
    assert_non_null (strstr (err.message, "a backup is already running"));
    assert_non_null (strstr (err.message, "first"));
    gl_doc_fini (&answer);
    zmsg_destroy (&msg);
    zpoller_destroy (&poller);
    zsock_destroy (&client);
    tk_net_destroy (&net);
}

static void
test_a_restored_producer_keeps_its_stream_and_takes_a_new_epoch (void **state)
{
    tk_net_t *net = tk_net_new (21800, NULL);
    tk_start (net, "bus");
    tk_start (net, "intake");
    tk_start (net, "archive");
    char *ids [4];
    ids [0] = s_report (net, "bk-1");
    ids [1] = s_report (net, "bk-2");
    int64_t epoch = tk_status (net, "intake", "epoch");
    gl_err_t err;
    assert_int_equal (s_backup (net, "intake", "backup-intake", &err), GL_OK);
    ids [2] = s_report (net, "bk-3");           //  after the backup: the restore loses it
    assert_int_equal (tk_wait_caught_up (net, "archive", "intake", 3, 10000), 0);

    //  Restore: stop intake, put the backup's files in its data directory, start it.
    tk_kill (net, "intake", SIGTERM);
    char cmd [1200];
    snprintf (cmd, sizeof cmd, "cp %s/backups/backup-intake/data.mdb %s/var/intake/data.mdb "
              "&& rm -f %s/var/intake/lock.mdb", net->dir, net->dir, net->dir);
    assert_int_equal (system (cmd), 0);
    tk_start (net, "intake");
    int64_t restored = tk_status (net, "intake", "epoch");
    assert_true (restored > 0 && restored != epoch);
    //  Its stream goes on after what the backup holds, in the new epoch.
    assert_int_equal (tk_status (net, "intake", "last_seq"), 2);
    ids [3] = s_report (net, "bk-4");
    //  A new id, not bk-3's again: the restored store marks its ids with its epoch.
    assert_string_not_equal (ids [3], ids [2]);
    assert_int_equal (tk_status (net, "intake", "last_seq"), 3);
    assert_int_equal (tk_wait_caught_up (net, "archive", "intake", 3, 10000), 0);
    assert_int_equal (tk_status (net, "archive", "inbox.intake.epoch"), restored);
    //  The archive keeps bk-3 (published before the restore) and has bk-4: all four, once.
    for (int i = 0; i < 4; i++) {
        gl_doc_t answer;
        assert_int_equal (tk_ask_id (net, "archive", "get", ids [i], &answer, &err), GL_OK);
        const msgpack_object *messages = gl_map_get (&answer.root, "messages");
        assert_int_equal (messages->via.array.size, 1);
        gl_doc_fini (&answer);
        free (ids [i]);
    }
    tk_net_destroy (&net);
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_bad_value_stops_start_naming_file_key_and_expectation),
        cmocka_unit_test (test_unknown_setting_stops_start),
        cmocka_unit_test (test_missing_config_file_is_named),
        cmocka_unit_test (test_manual_clock_dates_event_ids_and_restarts_the_daily_counter),
        cmocka_unit_test (test_backups_go_only_under_backup_dir_with_private_modes),
        cmocka_unit_test (test_a_second_backup_is_refused_while_one_runs),
        cmocka_unit_test (test_a_restored_producer_keeps_its_stream_and_takes_a_new_epoch),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

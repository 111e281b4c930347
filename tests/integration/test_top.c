/*  Integration: `gridloop top` and `gridloop tail metrics.` on a real network (bus, intake,
    dispatcher, escalation, metrics on loopback). top runs in a detached tmux session on a
    private socket, so it has a real terminal of a known size that the test can read
    (capture-pane), resize and type into (send-keys), and whose exit status tmux keeps
    (remain-on-exit). Every wait polls for the outcome with a generous timeout.  */
#include "testkit.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_PORTS     22500       //  this test's ports (22500 … 22514)
#define S_WAIT_MS   30000       //  longest wait for the screen to show something
#define S_REPORTS   3           //  reports sent before top is asked for the figures

static tk_net_t *s_net;
static char s_tmux [512];       //  "tmux -u -f CONF -L SOCKET": the test's own server
static unsigned s_req;          //  fresh req_ids

//  Run the test's tmux with args; its exit status. Output goes to out (malloc'd) when given.
static int
s_run (char **out, const char *format, ...)
{
    char args [2048], command [2600];
    va_list ap;
    va_start (ap, format);
    vsnprintf (args, sizeof args, format, ap);
    va_end (ap);
    snprintf (command, sizeof command, "%s %s 2>&1", s_tmux, args);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    size_t size = 0;
    char *text = NULL;
    FILE *mem = open_memstream (&text, &size);
    char buf [4096];
    size_t n;
    while ((n = fread (buf, 1, sizeof buf, pipe)) > 0)
        fwrite (buf, 1, n, mem);
    fclose (mem);
    int status = pclose (pipe);
    if (out)
        *out = text;
    else
        free (text);
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

//  The pane of session as text (malloc'd).
static char *
s_screen (const char *session)
{
    char *text;
    s_run (&text, "capture-pane -p -t %s", session);
    return text;
}

//  Wait until the pane of session shows text (or, shown false, no longer does); fail, printing
//  the screen, if it does not.
static void
s_wait_screen (const char *session, const char *text, bool shown)
{
    int64_t end = zclock_mono () + S_WAIT_MS;
    char *screen = NULL;
    while (zclock_mono () < end) {
        free (screen);
        screen = s_screen (session);
        if ((strstr (screen, text) != NULL) == shown) {
            free (screen);
            return;
        }
        zclock_sleep (100);             //  another process draws: nothing to wait on but time
    }
    fail_msg ("the screen of %s %s \"%s\"; it shows:\n%s", session,
              shown? "never showed": "still shows", text, screen);
}

static void
s_wait_for (const char *session, const char *text)
{
    s_wait_screen (session, text, true);
}

//  Start `gridloop top` in a new session of cols x rows. The pane's shell writes top's exit
//  status to <dir>/<session>.status when it ends: tmux's own (pane_dead_status) is sometimes
//  lost when the terminal closes before tmux reaps the process.
static void
s_top (const char *session, int cols, int rows)
{
    char *said;
    int rc = s_run (&said, "new-session -d -s %s -x %d -y %d 'env LC_ALL=C.UTF-8 "
                    "%s/gridloop --config %s top --refresh 1; echo $? > %s/%s.status'",
                    session, cols, rows, s_net->bin_dir, s_net->cfg_path, s_net->dir, session);
    if (rc)
        fail_msg ("tmux new-session failed (%d): %s", rc, said);
    free (said);
}

//  The pid of top in session: the child of the pane's shell.
static pid_t
s_top_pid (const char *session)
{
    char *text, path [128];
    s_run (&text, "display-message -p -t %s '#{pane_pid}'", session);
    long shell = atol (text);
    free (text);
    snprintf (path, sizeof path, "/proc/%ld/task/%ld/children", shell, shell);
    int64_t end = zclock_mono () + S_WAIT_MS;
    long pid = 0;
    while (!pid && zclock_mono () < end) {
        FILE *f = fopen (path, "r");
        if (f && fscanf (f, "%ld", &pid) != 1)
            pid = 0;
        if (f)
            fclose (f);
        if (!pid)
            zclock_sleep (50);
    }
    if (!pid)
        fail_msg ("no top process under the shell of %s", session);
    return (pid_t) pid;
}

//  Wait until top has exited in session and its pane has ended; top's exit status.
static int
s_exit_status (const char *session)
{
    char path [400];
    snprintf (path, sizeof path, "%s/%s.status", s_net->dir, session);
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (zclock_mono () < end) {
        int status = -1;
        char line [32] = "";
        FILE *f = fopen (path, "r");
        if (f && fgets (line, sizeof line, f) && strchr (line, '\n'))
            status = atoi (line);
        if (f)
            fclose (f);
        char *dead;
        s_run (&dead, "display-message -p -t %s '#{pane_dead}'", session);
        bool ended = dead [0] == '1';
        free (dead);
        if (status >= 0 && ended)
            return status;
        zclock_sleep (100);
    }
    fail_msg ("top in %s did not exit within %d ms", session, S_WAIT_MS);
    return -1;
}

//  Close a session whose top has exited, and check that it is gone.
static void
s_close (const char *session)
{
    assert_int_equal (s_run (NULL, "kill-session -t %s", session), 0);
    assert_int_not_equal (s_run (NULL, "has-session -t %s", session), 0);
}

//  A report through intake's public protocol: a fire hazard in SJ-01-01 by its grid worker.
static void
s_report (void)
{
    char req_id [32], description [96];
    snprintf (req_id, sizeof req_id, "top-report-%u", ++s_req);
    snprintf (description, sizeof description, "%u号楼楼道堆放杂物，堵塞消防通道", s_req);
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}", "op", "report",
                             "req_id", req_id, "category", "03.01", "grid", "SJ-01-01",
                             "description", description, "reporter", "id", "GW-0002",
                             "role", "grid_worker", "channel", "app");
    gl_code_t code;
    char message [512];
    json_t *answer = tk_send_json (s_net, "intake", doc, &code, message, sizeof message);
    json_decref (doc);
    json_decref (answer);
    if (code != GL_OK)
        fail_msg ("report refused: %s %s", gl_code_name (code), message);
}

//  Stop the test's tmux server and remove its socket (tmux leaves the file behind).
static void
s_kill_tmux (void)
{
    if (!s_tmux [0])
        return;
    char *path;
    s_run (&path, "display-message -p '#{socket_path}'");
    s_run (NULL, "kill-server");
    path [strcspn (path, "\n")] = 0;
    if (path [0] == '/')
        unlink (path);
    free (path);
    s_tmux [0] = 0;
}

//  ---------------------------------------------------------------------------------------------

//  metrics is not started yet: top must say so, keep drawing, and still quit cleanly.
static void
test_top_says_metrics_is_not_answering_while_it_is_down_and_still_quits (void **state)
{
    s_top ("down", 80, 24);
    s_wait_for ("down", "metrics not answering");
    s_wait_for ("down", "云阳县");          //  the county's name comes from the configuration
    s_run (NULL, "send-keys -t down q");
    assert_int_equal (s_exit_status ("down"), 0);
    s_close ("down");
}

//  With metrics up and three reports made today, top shows the county's figures from metrics,
//  its streets and a ranking, then redraws when the terminal shrinks to 80x24 and below, and
//  when the operator switches the ranking group; q ends it with status 0 and gives the terminal
//  back (the dashboard is gone from the screen: ncurses left the alternate screen).
static void
test_top_shows_the_reports_of_today_survives_resizes_and_quits_on_q (void **state)
{
    tk_start (s_net, "metrics");
    for (int i = 0; i < S_REPORTS; i++)
        s_report ();
    s_top ("top", 120, 40);
    s_wait_for ("top", "云阳县");
    char figure [64];
    snprintf (figure, sizeof figure, "reported today %d ", S_REPORTS);
    s_wait_for ("top", figure);
    s_wait_for ("top", "双江街道");         //  a street's row in the lights panel
    s_wait_for ("top", "rank street");

    assert_int_equal (s_run (NULL, "resize-window -t top -x 80 -y 24"), 0);
    s_wait_for ("top", figure);
    char *size;
    s_run (&size, "display-message -p -t top '#{pane_width}x#{pane_height}'");
    assert_string_equal (size, "80x24\n");
    free (size);
    s_run (NULL, "send-keys -t top 2");
    s_wait_for ("top", "rank department");
    s_run (NULL, "send-keys -t top Tab");
    s_wait_for ("top", "rank grid");
    assert_int_equal (s_run (NULL, "resize-window -t top -x 40 -y 8"), 0);
    s_wait_for ("top", "needs 60x12");
    assert_int_equal (s_run (NULL, "resize-window -t top -x 120 -y 40"), 0);
    s_wait_for ("top", figure);

    s_run (NULL, "send-keys -t top q");
    assert_int_equal (s_exit_status ("top"), 0);
    char *screen = s_screen ("top");
    if (strstr (screen, "reported today") || strstr (screen, "云阳县"))
        fail_msg ("the dashboard is still on the screen after q:\n%s", screen);
    free (screen);
    s_close ("top");
}

//  metrics stops under a running top: the screen says so and keeps the last figures; metrics
//  back, the figures are asked for again and the warning goes.
static void
test_top_keeps_the_last_figures_while_metrics_is_down_and_recovers (void **state)
{
    char figure [64];
    snprintf (figure, sizeof figure, "reported today %d ", S_REPORTS);
    s_top ("gone", 100, 30);
    s_wait_for ("gone", figure);
    tk_kill (s_net, "metrics", SIGKILL);
    s_wait_for ("gone", "metrics not answering");
    s_wait_for ("gone", figure);
    tk_start (s_net, "metrics");
    s_wait_screen ("gone", "metrics not answering", false);
    s_wait_for ("gone", figure);
    s_run (NULL, "send-keys -t gone q");
    assert_int_equal (s_exit_status ("gone"), 0);
    s_close ("gone");
}

//  Without a terminal there is nothing to draw on: top says so and exits 2 (bad usage).
static void
test_top_refuses_to_run_without_a_terminal (void **state)
{
    char command [1200];
    snprintf (command, sizeof command, "%s/gridloop --config %s top </dev/null >/dev/null "
              "2>&1", s_net->bin_dir, s_net->cfg_path);
    int status = system (command);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 2);
}

//  SIGTERM (a service manager, a closed terminal) ends top as cleanly as q.
static void
test_top_quits_on_sigterm_with_status_0 (void **state)
{
    s_top ("term", 100, 30);
    s_wait_for ("term", "reported today");
    assert_int_equal (kill (s_top_pid ("term"), SIGTERM), 0);
    assert_int_equal (s_exit_status ("term"), 0);
    s_close ("term");
}

//  `gridloop tail metrics.` prints the county's figures and each street's as lines of columns
//  (one more report makes metrics publish them) and the pipeline as a summary line.
static void
test_tail_metrics_prints_the_county_and_the_pipeline_as_readable_lines (void **state)
{
    char log [400], bin [600];
    snprintf (log, sizeof log, "%s/tail.out", s_net->dir);
    snprintf (bin, sizeof bin, "%s/gridloop", s_net->bin_dir);
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2 (fd, 1);
        execl (bin, bin, "--config", s_net->cfg_path, "tail", "metrics.", (char *) NULL);
        _exit (127);
    }
    //  The report changes the figures, so metrics publishes them within metrics/interval_s
    //  (1 s here).
    char reported [64];         //  every report was made in SJ: the county's and SJ's count
    snprintf (reported, sizeof reported, "reported %4d", S_REPORTS + 1);
    s_report ();
    int64_t end = zclock_mono () + 60000;
    bool figures = false, pipeline = false, street = false;
    char *text = NULL;
    while (zclock_mono () < end && !(figures && pipeline && street)) {
        free (text);
        text = NULL;
        FILE *f = fopen (log, "r");
        size_t size = 0;
        if (f) {
            ssize_t n = getdelim (&text, &size, 0, f);
            fclose (f);
            if (n < 0) {
                free (text);
                text = NULL;
            }
        }
        for (char *line = text? strtok (text, "\n"): NULL; line; line = strtok (NULL, "\n")) {
            if (strstr (line, " county ") && strstr (line, "云阳县") && strstr (line, reported))
                figures = true;
            if (strstr (line, " pipeline ") && strstr (line, " up "))
                pipeline = true;
            if (strstr (line, " street ") && strstr (line, "双江街道")
            &&  strstr (line, reported))
                street = true;
        }
        zclock_sleep (100);
    }
    kill (pid, SIGTERM);
    waitpid (pid, NULL, 0);
    if (!(figures && pipeline && street)) {
        FILE *f = fopen (log, "r");
        char buf [8192] = "";
        size_t n = f? fread (buf, 1, sizeof buf - 1, f): 0;
        buf [n] = 0;
        if (f)
            fclose (f);
        fail_msg ("tail metrics. showed %s%s%s; it printed:\n%s",
                  figures? "": "no county line ", street? "": "no line for SJ ",
                  pipeline? "": "no pipeline line", buf);
    }
    free (text);
}

static int
s_setup (void **state)
{
    //  Live figures every second: the tail test waits for the next ones after a report.
    s_net = tk_net_new (S_PORTS, "metrics\n    interval_s = 1\n");
    //  A tmux server of the test's own (its socket named after the test's pid, its settings
    //  from a file of the test's, none of the user's): no status line, so the pane is the
    //  whole window; dead panes kept, so the screen top leaves can be read; the server kept
    //  when the last session is closed, so the next test's new session cannot race its exit.
    char conf [400];
    snprintf (conf, sizeof conf, "%s/tmux.conf", s_net->dir);
    FILE *f = fopen (conf, "w");
    assert_non_null (f);
    fputs ("set -g status off\nset -g remain-on-exit on\nset -g exit-empty off\n", f);
    fclose (f);
    snprintf (s_tmux, sizeof s_tmux, "tmux -u -f %s -L gridloop-test-top-%d", conf,
              (int) getpid ());
    setenv ("LC_ALL", "C.UTF-8", 1);
    atexit (s_kill_tmux);
    tk_start (s_net, "bus");
    tk_start (s_net, "intake");
    tk_start (s_net, "dispatcher");
    tk_start (s_net, "escalation");
    return 0;
}

static int
s_teardown (void **state)
{
    s_kill_tmux ();
    tk_net_destroy (&s_net);
    return 0;
}

int
main (void)
{
    //  In order: the first runs before metrics is started, the rest use what the second sent.
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_top_says_metrics_is_not_answering_while_it_is_down_and_still_quits),
        cmocka_unit_test (test_top_shows_the_reports_of_today_survives_resizes_and_quits_on_q),
        cmocka_unit_test (test_top_keeps_the_last_figures_while_metrics_is_down_and_recovers),
        cmocka_unit_test (test_top_refuses_to_run_without_a_terminal),
        cmocka_unit_test (test_top_quits_on_sigterm_with_status_0),
        cmocka_unit_test (test_tail_metrics_prints_the_county_and_the_pipeline_as_readable_lines),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

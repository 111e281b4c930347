/*  Integration: the county's notice (排榜通报) end to end. Real bus, intake, dispatcher,
    escalation and metrics processes on the manual clock live through nine scripted days of
    November 2026 through the public protocol (reports, dispatches, signing, handling,
    verification, and work left overdue until escalation cards and names a unit); the assessment
    office publishes the month twice (a correction); `gridloop notice` renders it; and headless
    Chromium opens the file offline, must build a DOM with its tables and charts, and takes a
    screenshot. With GL_UPDATE_DOCS=1 the screenshot is kept as docs/notice.png for the README.  */
#include "testkit.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_PORTS     23000       //  this test's ports (23000 … 23014)
#define S_WAIT_MS   10000       //  longest wait for another process to catch up
#define DAY_MS      INT64_C (86400000)
#define S_BROWSER_S "60"        //  longest a Chromium run may take (it loads one local file)

static tk_net_t *s_net;
static unsigned s_req;          //  fresh req_ids

//  ---------------------------------------------------------------------------------------------
//  The history, through the public protocol.

//  A number of a service's status (a top-level key), waiting as long as it takes the service
//  to answer: after a clock move it may be busy with the ticks the move set off, longer than
//  tk_status waits. Fails the test after 10 s without an answer.
static int64_t
s_status (const char *service, const char *key)
{
    gl_doc_t answer;
    gl_err_t err;
    if (tk_ask (s_net, service, "status", NULL, &answer, &err) != GL_OK)
        fail_msg ("%s refused status: %s", service, err.message);
    int64_t value = -1;
    gl_get_i64 (&answer.root, key, &value);
    gl_doc_fini (&answer);
    return value;
}

//  Wait until consumer has applied everything producer published.
static void
s_caught_up (const char *consumer, const char *producer)
{
    int64_t last = s_status (producer, "last_seq");
    if (tk_wait_caught_up (s_net, consumer, producer, last, S_WAIT_MS))
        fail_msg ("%s did not catch up with %s's seq %lld", consumer, producer,
                  (long long) last);
}

//  Send doc to service; it must be carried out. Returns the answer (the caller's).
static json_t *
s_must (const char *service, json_t *doc)
{
    char req_id [32];
    snprintf (req_id, sizeof req_id, "notice-test-%u", ++s_req);
    json_object_set_new (doc, "req_id", json_string (req_id));
    gl_code_t code;
    char message [512];
    json_t *answer = tk_send_json (s_net, service, doc, &code, message, sizeof message);
    if (code != GL_OK)
        fail_msg ("%s %s refused: %s %s", service,
                  json_string_value (json_object_get (doc, "op")), gl_code_name (code), message);
    json_decref (doc);
    return answer;
}

//  A grid worker's report of category in grid; returns the event's id.
static char *
s_report (const char *category, const char *grid, const char *worker)
{
    json_t *answer = s_must ("intake", json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}",
        "op", "report", "category", category, "grid", grid,
        "description", "巡查发现：楼道堆放杂物、路灯损坏等问题，需处置", "reporter", "id", worker,
        "role", "grid_worker", "channel", "app"));
    char *id = strdup (json_string_value (json_object_get (answer, "id")));
    json_decref (answer);
    return id;
}

//  An event's whole loop: signed, handled and verified by its grid at once.
static void
s_done (const char *id, const char *board, const char *grid)
{
    tk_act (s_net, "sign", id, board, NULL);
    tk_act (s_net, "handle", id, board, "{\"evidence\": \"已处置，现场照片 a.jpg\"}");
    tk_act (s_net, "verify", id, grid, "{\"pass\": true}");
}

//  Publish November as the county's assessment office; returns the version.
static int64_t
s_publish (const char *reason)
{
    json_t *doc = json_pack ("{s:s, s:s, s:{s:s, s:s}}", "op", "publish", "period", "2026-11",
                             "actor", "unit", "CTY-ASSESS", "person", "CY-0005");
    if (reason)
        json_object_set_new (doc, "reason", json_string (reason));
    json_t *answer = s_must ("metrics", doc);
    int64_t version = json_integer_value (json_object_get (answer, "version"));
    json_decref (answer);
    return version;
}

//  ---------------------------------------------------------------------------------------------
//  Programs: gridloop and Chromium.

//  Run argv (argv [0] looked up in PATH) with stdout to out_path (NULL: the log) and stderr to
//  log_path, in the scratch directory as HOME (Chromium writes its caches there, not in the
//  tester's). Returns its exit status (124: `timeout` stopped it).
static int
s_run (char *const argv [], const char *out_path, const char *log_path)
{
    pid_t pid = fork ();
    if (pid == 0) {
        int log = open (log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int out = out_path? open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644): log;
        dup2 (out, 1);
        dup2 (log, 2);
        setenv ("HOME", s_net->dir, 1);
        execvp (argv [0], argv);
        fprintf (stderr, "cannot run %s\n", argv [0]);
        _exit (127);
    }
    int status;
    waitpid (pid, &status, 0);
    return WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
}

//  A whole file as a string (the caller frees it); its size in *size (may be NULL).
static char *
s_slurp (const char *path, size_t *size)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        fail_msg ("cannot read %s", path);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream (&text, &len);
    char buf [65536];
    size_t got;
    while ((got = fread (buf, 1, sizeof buf, f)) > 0)
        fwrite (buf, 1, got, mem);
    fclose (f);
    fclose (mem);
    if (size)
        *size = len;
    return text;
}

//  Chromium from Debian's package, or the test fails saying how to get it.
static const char *
s_chromium (void)
{
    const char *path = getenv ("PATH");
    char *dirs = strdup (path? path: "/usr/bin:/bin");
    bool found = false;
    for (char *dir = strtok (dirs, ":"); dir && !found; dir = strtok (NULL, ":")) {
        char candidate [1024];
        snprintf (candidate, sizeof candidate, "%s/chromium", dir);
        found = access (candidate, X_OK) == 0;
    }
    free (dirs);
    if (!found)
        fail_msg ("chromium is not installed: this test opens the notice in it. Install "
                  "Debian's package (apt-get install chromium); deploy/lib.sh lists it in "
                  "GL_PACKAGES, so tests/run installs it");
    return "chromium";
}

//  `gridloop notice ARGS…` against the test network, stdout to out_path; its exit status.
static int
s_notice (const char *out_path, const char *a1, const char *a2, const char *a3,
          const char *a4)
{
    char bin [600], log [400];
    snprintf (bin, sizeof bin, "%s/gridloop", s_net->bin_dir);
    snprintf (log, sizeof log, "%s/gridloop-notice.log", s_net->dir);
    char *const argv [] = { bin, "--config", s_net->cfg_path, "notice", (char *) a1,
                            (char *) a2, (char *) a3, (char *) a4, NULL };
    return s_run (argv, out_path, log);
}

//  How many times needle occurs in haystack.
static int
s_count (const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
        n++;
    return n;
}

//  The section of html with id (the caller frees it).
static char *
s_section (const char *html, const char *id)
{
    char start [64];
    snprintf (start, sizeof start, "<section id=\"%s\"", id);
    const char *from = strstr (html, start), *to = from? strstr (from, "</section>"): NULL;
    if (!to)
        fail_msg ("the notice has no section %s", id);
    return strndup (from, (size_t) (to - from));
}

//  ---------------------------------------------------------------------------------------------

static void
test_a_published_month_renders_as_a_notice_that_chromium_opens_offline (void **state)
{
    const char *chromium = s_chromium ();
    char extra [256];
    snprintf (extra, sizeof extra, "clock\n    mode = \"manual\"\n    start_ms = %lld\n",
              (long long) tk_local_ms ("2026-11-02T09:00"));     //  a Monday
    s_net = tk_net_new (S_PORTS, extra);
    tk_start (s_net, "bus");
    tk_start (s_net, "intake");
    tk_start (s_net, "dispatcher");
    tk_start (s_net, "escalation");
    tk_start (s_net, "metrics");

    //  Monday 09:00: six fire hazards (03.01, P2) in grid SJ-01-01 go to the street's safety
    //  board SJ-B4, six broken street lights (05.06, P2) in SJ-01-02 to its livelihood board
    //  SJ-B3: six items each, enough to be ranked.
    //  Two business requests (07.01, P3) go to its economy board SJ-B2: too few to be ranked.
    char *safety [6], *livelihood [6], *economy [2];
    for (int i = 0; i < 6; i++) {
        safety [i] = s_report ("03.01", "SJ-01-01", "GW-0002");
        livelihood [i] = s_report ("05.06", "SJ-01-02", "GW-0008");
    }
    for (int i = 0; i < 2; i++)
        economy [i] = s_report ("07.01", "SJ-01-01", "GW-0002");
    s_caught_up ("dispatcher", "intake");
    //  SJ-B3 does all its work at once. SJ-B4 closes four, signs one and leaves it (handle
    //  cards: yellow at 24 h, red at 48 h) and never signs the last (a sign card at 11:00).
    //  SJ-B2 signs nothing: below the floor (response < 80), so on the black list unranked.
    for (int i = 0; i < 6; i++)
        s_done (livelihood [i], "SJ-B3", "SJ-01-02");
    for (int i = 0; i < 4; i++)
        s_done (safety [i], "SJ-B4", "SJ-01-01");
    tk_act (s_net, "sign", safety [4], "SJ-B4", NULL);
    s_caught_up ("escalation", "dispatcher");
    //  Nine days pass, a day a tick: the cards fall due, and 5 working days after the
    //  deadlines escalation names SJ-B4 for the notice.
    for (int day = 0; day < 9; day++)
        tk_advance (s_net, "escalation", DAY_MS);
    assert_true (s_status ("escalation", "yellow_cards") >= 2);
    assert_true (s_status ("escalation", "red_cards") >= 1);
    assert_true (s_status ("escalation", "notices") >= 1);
    s_caught_up ("metrics", "intake");
    s_caught_up ("metrics", "dispatcher");
    s_caught_up ("metrics", "escalation");
    //  The office publishes on the first working day of December.
    tk_advance (s_net, "metrics", 29 * DAY_MS);

    //  Published, then corrected: version 2 is the latest.
    assert_int_equal (s_publish (NULL), 1);
    assert_int_equal (s_publish ("更正：复核后重新发布"), 2);

    //  The latest version to a file, version 1 to stdout.
    char html_path [400], v1_path [400], none_path [400];
    snprintf (html_path, sizeof html_path, "%s/notice.html", s_net->dir);
    snprintf (v1_path, sizeof v1_path, "%s/notice-v1.html", s_net->dir);
    snprintf (none_path, sizeof none_path, "%s/notice-none.html", s_net->dir);
    assert_int_equal (s_notice (NULL, "--period", "2026-11", "--out", html_path), 0);
    assert_int_equal (s_notice (v1_path, "--period", "2026-11", "--version", "1"), 0);
    //  A month nobody published has no notice, and says so.
    assert_int_equal (s_notice (none_path, "--period", "2026-10", NULL, NULL), 1);
    size_t size;
    char *none = s_slurp (none_path, &size);
    assert_int_equal (size, 0);
    free (none);
    char *v1 = s_slurp (v1_path, NULL);
    assert_non_null (strstr (v1, "<title>云阳县 2026-11 排榜通报（第 1 版）</title>"));
    free (v1);

    char *html = s_slurp (html_path, NULL);
    assert_non_null (strstr (html, "<title>云阳县 2026-11 排榜通报（第 2 版）</title>"));
    assert_non_null (strstr (html, "发布于 2026-12-01 09:00:00 +08:00 · 发布人 CTY-ASSESS / CY-0005"));
    //  A table per peer group; the two boards with six items ranked in theirs, with a bar
    //  each in its chart, the third listed unranked.
    assert_int_equal (s_count (html, "<table class=\"ranking\""), 8);
    char *boards = s_section (html, "group-board");
    assert_non_null (strstr (boards, "<svg class=\"chart\" data-group=\"board\""));
    assert_int_equal (s_count (boards, "<rect class=\"bar\""), 2);
    assert_non_null (strstr (boards, "<td>SJ-B3</td>"));
    assert_non_null (strstr (boards, "<td>SJ-B4</td>"));
    assert_non_null (strstr (boards, "未排名</td><td>SJ-B2</td>"));
    free (boards);
    //  The lists, and SJ-B4 named for its overdue work; SJ-B3 did everything on time.
    char *red = s_section (html, "red-list"), *black = s_section (html, "black-list");
    assert_non_null (strstr (red, "<td>SJ-B3</td>"));
    assert_non_null (strstr (black, "<td>SJ-B2</td>"));
    assert_null (strstr (black, "SJ-B3"));
    free (red);
    free (black);
    char *named = s_section (html, "named");
    assert_non_null (strstr (named, "<td>SJ-B4</td>"));
    assert_non_null (strstr (named, "<td>SJ-B2</td>"));
    assert_null (strstr (named, "SJ-B3"));
    free (named);
    //  Nothing fetched from anywhere.
    assert_null (strstr (html, "src="));
    assert_null (strstr (html, "href="));

    //  Chromium parses it into a DOM with the tables and the charts (its own serialisation:
    //  the notice writes <line …/>, the DOM gives <line …></line>), then draws it.
    char url [420], profile [400], shot [400], dom_path [400], log [400], window [] =
        "--window-size=1200,1600";
    snprintf (url, sizeof url, "file://%s", html_path);
    snprintf (profile, sizeof profile, "--user-data-dir=%s/chromium", s_net->dir);
    snprintf (shot, sizeof shot, "%s/notice.png", s_net->dir);
    snprintf (dom_path, sizeof dom_path, "%s/notice-dom.html", s_net->dir);
    snprintf (log, sizeof log, "%s/chromium.log", s_net->dir);
    char screenshot [420];
    snprintf (screenshot, sizeof screenshot, "--screenshot=%s", shot);
    //  As root Chromium runs only without its sandbox; `timeout` bounds each run and takes
    //  down its helper processes with it.
    char *const dump [] = { "timeout", "-k", "5", S_BROWSER_S, (char *) chromium,
                            "--headless=new", "--no-sandbox", "--disable-gpu", profile,
                            "--dump-dom", url, NULL };
    int rc = s_run (dump, dom_path, log);
    if (rc)
        fail_msg ("chromium --dump-dom exited %d%s (see %s)", rc,
                  rc == 124? " (timed out after " S_BROWSER_S " s)": "", log);
    char *dom = s_slurp (dom_path, NULL);
    assert_int_equal (s_count (dom, "<table class=\"ranking\""), 8);
    assert_non_null (strstr (dom, "<svg class=\"chart\" data-group=\"board\""));
    assert_int_equal (s_count (dom, "<rect class=\"bar\""), s_count (html, "<rect class=\"bar\""));
    assert_true (s_count (dom, "</line>") > 0);
    assert_non_null (strstr (dom, "<section id=\"red-list\">"));
    assert_non_null (strstr (dom, "<section id=\"black-list\">"));
    free (dom);
    char *const draw [] = { "timeout", "-k", "5", S_BROWSER_S, (char *) chromium,
                            "--headless=new", "--no-sandbox", "--disable-gpu", profile,
                            "--hide-scrollbars", window, screenshot, url, NULL };
    rc = s_run (draw, NULL, log);
    if (rc)
        fail_msg ("chromium --screenshot exited %d (see %s)", rc, log);
    //  A PNG of the window's size, and not a blank page: a blank 1200×1600 screenshot is
    //  about 9 KB, the drawn notice several times that.
    size_t png_size;
    char *png = s_slurp (shot, &png_size);
    assert_true (png_size > 24);
    assert_memory_equal (png, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal (png + 12, "IHDR\x00\x00\x04\xb0\x00\x00\x06\x40", 12);
    if (png_size < 30000)
        fail_msg ("the screenshot is %zu bytes: the page looks blank", png_size);
    const char *update = getenv ("GL_UPDATE_DOCS");
    if (update && streq (update, "1")) {
        mkdir (GL_SOURCE_DIR "/docs", 0755);
        FILE *f = fopen (GL_SOURCE_DIR "/docs/notice.png", "wb");
        assert_non_null (f);
        assert_int_equal (fwrite (png, 1, png_size, f), png_size);
        assert_int_equal (fclose (f), 0);
        printf ("kept the screenshot as %s/docs/notice.png\n", GL_SOURCE_DIR);
    }
    free (png);
    free (html);
    for (int i = 0; i < 6; i++) {
        free (safety [i]);
        free (livelihood [i]);
    }
    free (economy [0]);
    free (economy [1]);
    tk_net_destroy (&s_net);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_a_published_month_renders_as_a_notice_that_chromium_opens_offline),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    tk_cleanup ();
    return failed;
}

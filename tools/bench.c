/*  gridloop-bench — how fast gridloop is on this machine. It starts its own bus, intake and
    archive on loopback (ports from --port-base, data in a scratch directory under /tmp), drives
    them through the public protocol only, and prints figures: durable report throughput and
    latency with the commit pipeline off and on and with the archive consuming, the archive's
    catch-up, and the bus against raw libzmq PUB/SUB. With --e2e it runs the whole loop instead
    (bus, intake, dispatcher, escalation, archive) against raw libzmq and raw LMDB. It is a benchmark, not a test: it asserts nothing about speed and exits
    0 when every measurement ran (1 when one could not be run, 2 on bad usage).  */
#define _GNU_SOURCE                     //  nftw, statfs
#include "gl_client.h"
#include "gl_security.h"
#include "gl_config.h"
#include "gl_org.h"

#include <assert.h>
#include <lmdb.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *s_usage =
    "usage: gridloop-bench [--reports N] [--clients N] [--window N] [--bus-msgs N]\n"
    "                      [--port-base N] [--domain DIR] [--keep] [--e2e]\n"
    "\n"
    "Measures gridloop on this machine and prints the figures; asserts nothing about speed.\n"
    "It starts its own gridloop-bus, gridloop-intake and gridloop-archive (found next to this\n"
    "program) on 127.0.0.1 with a scratch data directory under /tmp, removed at the end.\n"
    "\n"
    "  1. durable reports: N clients, each with one report outstanding, against intake\n"
    "     alone with the commit pipeline off (durability sync, the baseline) and on\n"
    "     (pipelined), their ratio, then pipelined with the archive consuming intake's\n"
    "     stream and the archive's catch-up time; then the same with each client keeping\n"
    "     --window reports in flight (an asynchronous client); then one in flight,\n"
    "     pipelined, first plain and then with CURVE on every connection (the bus\n"
    "     restarted with it), and their ratio: what encryption and authentication cost\n"
    "  2. a flood of maximum-size requests (8 clients x 25 reports of about 1 MiB, sent\n"
    "     without reading): intake's peak memory beside the bound its settings give\n"
    "  3. the bus against raw libzmq: PUB -> SUB directly over tcp loopback, then\n"
    "     PUB -> gridloop-bus -> SUB; two-frame messages with a ~300-byte payload\n"
    "\n"
    "With --e2e, instead: the whole loop with every service durable (bus, intake,\n"
    "dispatcher, escalation, archive), reports in the county's mix (every category from\n"
    "every grid, by its grid worker), one in flight per client unless --window is given:\n"
    "sustained events/s, p50/p99/max from report to dispatched (or closed, for a 私事) as\n"
    "seen on the bus and from report to archived (the archive's status, sampled every 5\n"
    "ms), each process's peak memory, and the ratio to raw libzmq PUB/SUB (--bus-msgs\n"
    "messages) and to raw LMDB durable commits of intake's mean batch, in the same run.\n"
    "\n"
    "Options:\n"
    "  --reports N     reports per run of measurement 1 (default 200000)\n"
    "  --clients N     concurrent clients (default 64)\n"
    "  --window N      reports in flight per client in the pipelined runs, 1 to 64\n"
    "                  (default 16; 1 skips those runs); with --e2e, in flight per client\n"
    "                  (default 1)\n"
    "  --bus-msgs N    messages per run of measurement 3 and of --e2e's raw PUB/SUB\n"
    "                  (default 1000000)\n"
    "  --port-base N   ports used: N+0 bus frontend, N+1 backend, N+2 raw PUB/SUB test,\n"
    "                  N+9 bus control, N+10 intake, N+11 dispatcher, N+12 escalation,\n"
    "                  N+13 archive, N+14 metrics (default 27400; N+11 and N+12\n"
    "                  only with --e2e; nothing is bound on N+14)\n"
    "  --domain DIR    the county's org.json, categories.json and admission.json, which the\n"
    "                  services check every report against (default: deploy/yunyang of the\n"
    "                  source tree)\n"
    "  --keep          keep the scratch directory (stores, service logs, config)\n"
    "  --e2e           the end-to-end measurement instead of 1 to 3\n"
    "  --help          this text\n"
    "\n"
    "Exit status: 0 done, 1 a measurement could not be run, 2 bad usage.\n";

#define S_SOCKS_PER_THREAD  32      //  DEALERs one client thread drives
#define S_ANSWER_TIMEOUT_MS 10000   //  a report unanswered this long counts as failed
#define S_START_TIMEOUT_MS  15000   //  a service must answer status this soon after start
#define S_CATCHUP_TIMEOUT_MS 120000 //  longest wait for the archive to catch up
#define S_PAYLOAD_BYTES     300     //  published payload size in measurement 2
#define S_BUS_HWM           1000000 //  HWM of the test sockets in measurement 2
#define S_BUS_IDLE_MS       2000    //  after the last send, wait this long for stragglers
#define S_PACED_RATE        10000   //  messages per second of the paced bus runs
#define S_PACED_SECONDS     1       //  how long each paced run sends
#define S_TOPIC             "intake.event.reported"
#define S_DESCRIPTION       "双江街道滨江社区3栋楼道堆放杂物，存在消防隐患"

//  ---------------------------------------------------------------------------------------------
//  Small helpers.

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
s_sleep_ms (int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep (&ts, NULL);
}

static atomic_int s_abort;          //  a service died during a run: stop the clients

static bool
s_interrupted (void)
{
    return zsys_interrupted != 0 || atomic_load (&s_abort);
}

//  Peak resident set (VmHWM) of a process in kB; -1 if it cannot be read.
static long
s_hwm_kb (pid_t pid)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    long kb = -1;
    if (!file)
        return -1;
    while (fgets (line, sizeof line, file))
        if (strncmp (line, "VmHWM:", 6) == 0) {
            kb = atol (line + 6);
            break;
        }
    fclose (file);
    return kb;
}

//  Start a new peak for a process (Linux: "5" to clear_refs resets VmHWM to the current RSS),
//  so each measurement shows its own peak, not the largest since the process began.
static bool
s_hwm_reset (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/clear_refs", (int) pid);
    int fd = open (path, O_WRONLY);
    if (fd < 0)
        return false;
    bool ok = write (fd, "5", 1) == 1;
    close (fd);
    return ok;
}

static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y? -1: x > y;
}

//  ---------------------------------------------------------------------------------------------
//  Results: one per measurement, printed as a block and again in the summary.

typedef struct {
    char name [64];             //  what was measured
    uint64_t count;             //  messages or acknowledged reports
    uint64_t failed;            //  reports not acknowledged ok, or messages not received
    uint64_t sent;              //  measurement 2: messages sent
    double seconds;             //  wall time of the run
    double rate;                //  count / seconds
    bool has_latency;
    double p50, p90, p99, max;  //  µs
    char rss [160];             //  peak RSS of the relevant processes
    double rss_mb;              //  their sum, for the summary
    uint64_t timeouts;          //  reports unanswered within S_ANSWER_TIMEOUT_MS
    char first_error [400];     //  the first refusal seen
} s_result_t;

#define S_MAX_RESULTS 32
static s_result_t s_results [S_MAX_RESULTS];
static size_t s_nresults;

//  Percentiles (nearest rank) of latencies in ns, as µs. Sorts the array.
static void
s_percentiles (s_result_t *r, uint64_t *lat, size_t n)
{
    r->has_latency = n > 0;
    if (!n)
        return;
    qsort (lat, n, sizeof *lat, s_cmp_u64);
    double q [3] = { 0.50, 0.90, 0.99 }, *out [3] = { &r->p50, &r->p90, &r->p99 };
    for (int i = 0; i < 3; i++) {
        size_t rank = (size_t) (q [i] * (double) n + 0.999999);
        if (rank < 1)
            rank = 1;
        *out [i] = (double) lat [rank - 1] / 1000.0;
    }
    r->max = (double) lat [n - 1] / 1000.0;
}

static void
s_print_result (const s_result_t *r)
{
    printf ("\n%s\n", r->name);
    printf ("  count        %llu", (unsigned long long) r->count);
    if (r->sent)
        printf (" received of %llu sent", (unsigned long long) r->sent);
    printf ("\n");
    if (r->failed)
        printf ("  failed       %llu%s\n", (unsigned long long) r->failed,
                r->sent? " (dropped by PUB/SUB at a high-water mark or lost)": "");
    else
        printf ("  failed       0\n");
    printf ("  seconds      %.3f\n", r->seconds);
    printf ("  throughput   %.0f msg/s\n", r->rate);
    if (r->has_latency)
        printf ("  latency µs   p50 %.0f  p90 %.0f  p99 %.0f  max %.0f\n", r->p50, r->p90,
                r->p99, r->max);
    printf ("  peak RSS     %s\n", r->rss);
    fflush (stdout);
}

static s_result_t *
s_result_new (const char *name)
{
    assert (s_nresults < S_MAX_RESULTS);
    s_result_t *r = &s_results [s_nresults++];
    memset (r, 0, sizeof *r);
    snprintf (r->name, sizeof r->name, "%s", name);
    return r;
}

//  Append "name X.X MB" to the result's RSS line.
static void
s_result_rss (s_result_t *r, const char *who, pid_t pid)
{
    long kb = s_hwm_kb (pid);
    size_t off = strlen (r->rss);
    if (kb < 0)
        snprintf (r->rss + off, sizeof r->rss - off, "%s%s ?", off? ", ": "", who);
    else {
        snprintf (r->rss + off, sizeof r->rss - off, "%s%s %.1f MB", off? ", ": "", who,
                  (double) kb / 1024.0);
        r->rss_mb += (double) kb / 1024.0;
    }
}

//  ---------------------------------------------------------------------------------------------
//  The scratch directory, the configuration and the services.

typedef struct {
    const char *name;           //  "bus", "intake", "archive"
    pid_t pid;                  //  0 when not running
    int starts;                 //  how many times started (log file per start)
} s_proc_t;

enum { S_BUS, S_INTAKE, S_ARCHIVE, S_DISPATCHER, S_ESCALATION, S_NPROCS };
//  Each process's settings in gl_config_t (the bus has none of a service's).
static const gl_svc_t s_svc_of [S_NPROCS] = { 0, GL_SVC_INTAKE, GL_SVC_ARCHIVE,
                                              GL_SVC_DISPATCHER, GL_SVC_ESCALATION };

static struct {
    int64_t reports;
    int clients;
    int window;                 //  reports each client keeps outstanding in the current run
    int pipelined;              //  window of the pipelined runs (1: skip them)
    const char *domain;         //  directory of the county's org.json, categories.json …
    const char *durability;     //  intake's in the current run: "pipelined", or "sync" (baseline)
    const char *archive_reads;  //  the streams the archive consumes
    const char *security;       //  the run's security/mode: "plain", or "curve" (its pair)
    char keys [3][41];          //  curve: the clients' public and secret keys, intake's public
    bool e2e;                   //  --e2e: the whole loop instead of measurements 1 to 3
    bool window_set;            //  --window was given
    int64_t bus_msgs;
    int port_base;
    bool keep;
    char bindir [PATH_MAX];     //  where gridloop-bench and the services are
    char scratch [PATH_MAX];    //  mkdtemp directory ("" when none)
    char cfg_path [PATH_MAX + 32];
    gl_config_t cfg;            //  what the services read
    s_proc_t procs [S_NPROCS];
} s_bench = {
    .reports = 200000, .clients = 64, .window = 1, .pipelined = 16, .durability = "pipelined", .domain = GL_SOURCE_DIR "/deploy/yunyang", .bus_msgs = 1000000, .port_base = 27400,
    .archive_reads = "intake", .security = "plain",
    .procs = { { "bus", 0, 0 }, { "intake", 0, 0 }, { "archive", 0, 0 }, { "dispatcher", 0, 0 },
               { "escalation", 0, 0 } },
};

static int
s_write_config (void)
{
    snprintf (s_bench.cfg_path, sizeof s_bench.cfg_path, "%s/gridloop.cfg", s_bench.scratch);
    FILE *file = fopen (s_bench.cfg_path, "w");
    if (!file) {
        fprintf (stderr, "gridloop-bench: cannot write %s: %s\n", s_bench.cfg_path,
                 strerror (errno));
        return -1;
    }
    int b = s_bench.port_base;
    //  Everything not named here keeps its default (archive metasync); intake's durability is
    //  the run's: "sync" is the baseline with the commit pipeline off.
    fprintf (file,
        "#   gridloop-bench: a private installation on loopback, ports from %d.\n"
        "data_dir = \"%s/data\"\n"
        "log\n"
        "    level = \"notice\"\n"
        "bus\n"
        "    frontend = \"tcp://127.0.0.1:%d\"\n"
        "    backend = \"tcp://127.0.0.1:%d\"\n"
        "    control = \"tcp://127.0.0.1:%d\"\n"
        "intake\n"
        "    endpoint = \"tcp://127.0.0.1:%d\"\n"
        "    durability = \"%s\"\n"
        "dispatcher\n"
        "    endpoint = \"tcp://127.0.0.1:%d\"\n"
        "escalation\n"
        "    endpoint = \"tcp://127.0.0.1:%d\"\n"
        "archive\n"
        "    endpoint = \"tcp://127.0.0.1:%d\"\n"
        "    reads = \"%s\"\n"
        "metrics\n"
        "    endpoint = \"tcp://127.0.0.1:%d\"\n"
        //  Plain but for the pair that measures what CURVE costs (s_security_pair).
        "security\n"
        "    mode = \"%s\"\n"
        "    certs = \"%s/certs\"\n"
        "domain\n"
        "    org = \"%s/org.json\"\n"
        "    categories = \"%s/categories.json\"\n"
        "    admission = \"%s/admission.json\"\n"
        "    calendar = \"%s/calendar.json\"\n"
        "    limits = \"%s/limits.json\"\n",
        b, s_bench.scratch, b, b + 1, b + 9, b + 10, s_bench.durability, b + 11, b + 12, b + 13,
        s_bench.archive_reads, b + 14, s_bench.security, s_bench.scratch,
        s_bench.domain, s_bench.domain, s_bench.domain, s_bench.domain, s_bench.domain);
    if (fclose (file)) {
        fprintf (stderr, "gridloop-bench: cannot write %s: %s\n", s_bench.cfg_path,
                 strerror (errno));
        return -1;
    }
    gl_err_t err;
    if (gl_config_load (&s_bench.cfg, s_bench.cfg_path, &err)) {
        fprintf (stderr, "gridloop-bench: the generated configuration is refused: %s\n",
                 err.message);
        return -1;
    }
    //  Under curve: the installation's certificates, this process as its operator seat, and
    //  the keys the raw clients set on their sockets.
    gl_sec_init (&s_bench.cfg, s_bench.cfg.cert_name);
    if (gl_sec_on (&s_bench.cfg)) {
        if (gl_sec_county (&s_bench.cfg, &err) < 0) {
            fprintf (stderr, "gridloop-bench: certificates: %s\n", err.message);
            return -1;
        }
        char path [PATH_MAX + 64];
        snprintf (path, sizeof path, "%s/%s.cert_secret", s_bench.cfg.certs_dir,
                  s_bench.cfg.cert_name);
        zcert_t *mine = zcert_load (path);
        snprintf (path, sizeof path, "%s/intake.cert", s_bench.cfg.certs_dir);
        zcert_t *intake = zcert_load (path);
        if (!mine || !intake) {
            fprintf (stderr, "gridloop-bench: cannot read the certificates in %s\n",
                     s_bench.cfg.certs_dir);
            zcert_destroy (&mine);
            zcert_destroy (&intake);
            return -1;
        }
        snprintf (s_bench.keys [0], 41, "%s", zcert_public_txt (mine));
        snprintf (s_bench.keys [1], 41, "%s", zcert_secret_txt (mine));
        snprintf (s_bench.keys [2], 41, "%s", zcert_public_txt (intake));
        zcert_destroy (&mine);
        zcert_destroy (&intake);
    }
    return 0;
}

static int
s_rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path) && errno != ENOENT? -1: 0;
}

static void
s_rm_tree (const char *path)
{
    if (access (path, F_OK))
        return;                         //  nothing there
    if (nftw (path, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS))
        fprintf (stderr, "gridloop-bench: could not remove all of %s: %s\n", path,
                 strerror (errno));
}

static const char *
s_endpoint_of (int which)
{
    if (which == S_BUS)
        return s_bench.cfg.bus_control;
    return s_bench.cfg.svc [s_svc_of [which]].endpoint;
}

//  Ask a process for its status. Returns 0 with the answer in doc (caller: gl_doc_fini).
static int
s_status (int which, gl_doc_t *doc, int64_t timeout_ms)
{
    gl_client_t *client = gl_client_new (s_endpoint_of (which), timeout_ms,
                                         s_bench.cfg.max_msg_bytes);
    msgpack_sbuffer req;
    gl_request_build (&req, "status", false, NULL);
    gl_err_t err;
    int rc = gl_client_call (client, req.data, req.size, doc, 1, &err);
    msgpack_sbuffer_destroy (&req);
    gl_client_destroy (&client);
    if (rc == 0 && gl_answer_check (&doc->root, &err)) {
        gl_doc_fini (doc);
        rc = -1;
    }
    return rc;
}

static void
s_stop (int which)
{
    s_proc_t *p = &s_bench.procs [which];
    if (!p->pid)
        return;
    kill (p->pid, SIGTERM);
    int status = 0;
    int64_t deadline = s_now_ns () + 10000000000LL;
    pid_t rc;
    while ((rc = waitpid (p->pid, &status, WNOHANG)) == 0 && s_now_ns () < deadline)
        s_sleep_ms (10);
    if (rc == 0) {
        fprintf (stderr, "gridloop-bench: gridloop-%s (pid %d) did not stop within 10 s of "
                 "SIGTERM; killing it\n", p->name, (int) p->pid);
        kill (p->pid, SIGKILL);
        waitpid (p->pid, &status, 0);
    }
    else
    if (rc > 0 && !(WIFEXITED (status) && WEXITSTATUS (status) == 0)
    &&  !(WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM))
        fprintf (stderr, "gridloop-bench: gridloop-%s (pid %d) ended with %s %d (its log is "
                 "in %s)\n", p->name, (int) p->pid, WIFEXITED (status)? "status": "signal",
                 WIFEXITED (status)? WEXITSTATUS (status): WTERMSIG (status),
                 s_bench.scratch);
    p->pid = 0;
}

//  True when every started service still runs; one that ended is reaped and named.
static bool
s_services_alive (void)
{
    bool alive = true;
    for (int i = 0; i < S_NPROCS; i++) {
        s_proc_t *p = &s_bench.procs [i];
        int status;
        if (p->pid && waitpid (p->pid, &status, WNOHANG) == p->pid) {
            fprintf (stderr, "gridloop-bench: gridloop-%s (pid %d) ended during the run with "
                     "%s %d; its log is %s/%s.%d.log\n", p->name, (int) p->pid,
                     WIFEXITED (status)? "status": "signal",
                     WIFEXITED (status)? WEXITSTATUS (status): WTERMSIG (status),
                     s_bench.scratch, p->name, p->starts);
            p->pid = 0;
            alive = false;
        }
    }
    return alive;
}

//  Before anything starts: every port this run binds must be free.
static int
s_ports_free (void)
{
    static const int offsets [] = { 0, 1, 2, 9, 10, 11, 12, 13 };
    for (size_t i = 0; i < sizeof offsets / sizeof offsets [0]; i++) {
        int port = s_bench.port_base + offsets [i];
        int fd = socket (AF_INET, SOCK_STREAM, 0), one = 1;
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                                    .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
        setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        int rc = bind (fd, (struct sockaddr *) &addr, sizeof addr);
        int e = errno;
        close (fd);
        if (rc) {
            fprintf (stderr, "gridloop-bench: port %d on 127.0.0.1 is not free (%s): is another "
                     "gridloop-bench or a gridloop deployment using it? Choose another "
                     "--port-base\n", port, strerror (e));
            return -1;
        }
    }
    return 0;
}

static void
s_stop_all (void)
{
    for (int i = S_NPROCS - 1; i >= 0; i--)
        s_stop (i);
}

//  Start gridloop-<name> --config FILE with its output in <scratch>/<name>.<n>.log, and wait
//  until it answers status.
static int
s_start (int which)
{
    s_proc_t *p = &s_bench.procs [which];
    char exe [PATH_MAX + 32], log [PATH_MAX + 64];
    snprintf (exe, sizeof exe, "%s/gridloop-%s", s_bench.bindir, p->name);
    snprintf (log, sizeof log, "%s/%s.%d.log", s_bench.scratch, p->name, ++p->starts);
    if (access (exe, X_OK)) {
        fprintf (stderr, "gridloop-bench: %s is not there or not executable (%s); build the "
                 "services first\n", exe, strerror (errno));
        return -1;
    }
    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    if (pid < 0) {
        fprintf (stderr, "gridloop-bench: fork: %s\n", strerror (errno));
        return -1;
    }
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGTERM);  //  if the bench is killed, its services go too
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0640);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
            close (fd);
        }
        int null = open ("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2 (null, STDIN_FILENO);
            close (null);
        }
        char *argv [] = { exe, "--config", s_bench.cfg_path, NULL };
        execv (exe, argv);
        _exit (127);
    }
    p->pid = pid;
    int64_t started = s_now_ns ();
    int64_t deadline = started + (int64_t) S_START_TIMEOUT_MS * 1000000;
    while (!s_interrupted () && s_now_ns () < deadline) {
        int status;
        if (waitpid (pid, &status, WNOHANG) == pid) {
            p->pid = 0;
            fprintf (stderr, "gridloop-bench: gridloop-%s exited at start (%s %d); its "
                     "output is in %s\n", p->name, WIFEXITED (status)? "status": "signal",
                     WIFEXITED (status)? WEXITSTATUS (status): WTERMSIG (status), log);
            return -1;
        }
        gl_doc_t doc;
        if (s_status (which, &doc, 200) == 0) {
            //  Make sure it is ours that answered, not an older process on the same port:
            //  by its pid, or (from a version without one in status) by its uptime.
            uint64_t uptime = 0, answering = 0;
            gl_get_u64 (&doc.root, "uptime_ms", &uptime);
            bool has_pid = gl_get_u64 (&doc.root, "pid", &answering);
            gl_doc_fini (&doc);
            int64_t elapsed_ms = (s_now_ns () - started) / 1000000;
            if (has_pid? answering != (uint64_t) pid: (int64_t) uptime > elapsed_ms + 1000) {
                fprintf (stderr, "gridloop-bench: another gridloop-%s (up %llu ms) answers on "
                         "%s; choose another --port-base\n", p->name,
                         (unsigned long long) uptime, s_endpoint_of (which));
                return -1;
            }
            return 0;
        }
    }
    fprintf (stderr, "gridloop-bench: gridloop-%s did not answer status on %s within %d ms; "
             "its output is in %s\n", p->name, s_endpoint_of (which), S_START_TIMEOUT_MS, log);
    return -1;
}

//  ---------------------------------------------------------------------------------------------
//  Measurement 1: durable reports. Client threads each drive up to S_SOCKS_PER_THREAD DEALERs
//  with one report outstanding on each; every report has a fresh req_id.

#define S_MAX_WINDOW 64          //  most reports one client may have outstanding

typedef struct {
    void *sock;
    int64_t sent [S_MAX_WINDOW];    //  ns each outstanding report went, oldest first (a ring)
    int head;                   //  index of the oldest in sent
    int count;                  //  reports outstanding (answers come back in order)
} s_client_t;

typedef struct {
    pthread_t thread;
    int nclients;
    void *ctx;
    pthread_barrier_t *barrier;
    atomic_int_fast64_t *tickets;   //  reports handed out so far, shared
    int64_t total;
    const msgpack_sbuffer *tails;   //  the packed fields after req_id: ticket t sends
    size_t ntails;              //  tails [t % ntails]
    int64_t *sent_at;           //  --e2e: ns each report was sent, by its event's number
    size_t sent_cap;            //  entries in sent_at
    unsigned run;               //  run number, part of every req_id
    uint64_t *lat;              //  ns per acknowledged report
    size_t nlat;
    size_t cap;
    uint64_t ok, failed, timeouts;
    int64_t last_answer;        //  ns
    char first_error [400];     //  the first refusal seen, for the report
    int setup_rc;               //  -1 when the warm-up failed
    atomic_int *finished;       //  workers done, shared
} s_worker_t;

static void *
s_new_dealer (void *ctx, const char *endpoint)
{
    void *sock = zmq_socket (ctx, ZMQ_DEALER);
    int64_t max = s_bench.cfg.max_msg_bytes;
    int zero = 0;
    zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
    if (gl_sec_on (&s_bench.cfg)) {     //  CURVE towards intake, as the operator seat
        zmq_setsockopt (sock, ZMQ_CURVE_PUBLICKEY, s_bench.keys [0], 40);
        zmq_setsockopt (sock, ZMQ_CURVE_SECRETKEY, s_bench.keys [1], 40);
        zmq_setsockopt (sock, ZMQ_CURVE_SERVERKEY, s_bench.keys [2], 40);
    }
    zmq_connect (sock, endpoint);
    return sock;
}

//  Send [empty, payload].
static int
s_send_request (void *sock, const void *data, size_t len)
{
    if (zmq_send (sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return zmq_send (sock, data, len, ZMQ_DONTWAIT) < 0? -1: 0;
}

//  The number an event id ends with ("500235-20261129-000000042": 42), 0 if none.
static uint64_t
s_event_number (const char *id, size_t len)
{
    uint64_t n = 0;
    for (size_t i = len > 9? len - 9: 0; i < len && id [i] >= '0' && id [i] <= '9'; i++)
        n = n * 10 + (uint64_t) (id [i] - '0');
    return n;
}

//  Receive one answer ([empty,] payload) and tell whether it says ok: true. Returns 1 ok, 0 a
//  refusal (first one described in err), -1 nothing there. event (may be NULL) gets the
//  number of the event id an ok answer names.
static int
s_recv_answer (void *sock, char *err, size_t err_size, uint64_t *event)
{
    zmq_msg_t part;
    zmq_msg_init (&part);
    if (zmq_msg_recv (&part, sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&part);
        return -1;
    }
    while (zmq_msg_more (&part))
        if (zmq_msg_recv (&part, sock, 0) < 0)
            break;
    gl_doc_t doc;
    gl_err_t e;
    int result = 0;
    if (gl_doc_parse (&doc, zmq_msg_data (&part), zmq_msg_size (&part), &e) == 0
    &&  gl_answer_check (&doc.root, &e) == 0) {
        result = 1;
        const char *id;
        size_t len;
        if (event)
            *event = gl_get_str (&doc.root, "id", &id, &len)? s_event_number (id, len): 0;
    }
    else
    if (err && !err [0])
        snprintf (err, err_size, "%s: %s", gl_code_name (e.code), e.message);
    gl_doc_fini (&doc);
    zmq_msg_close (&part);
    return result;
}

static void
s_record (s_worker_t *w, int64_t ns)
{
    if (w->nlat == w->cap) {
        w->cap = w->cap? w->cap * 2: 4096;
        w->lat = realloc (w->lat, w->cap * sizeof *w->lat);
    }
    w->lat [w->nlat++] = (uint64_t) ns;
}

#define S_REQ_ID_FORMAT "bench-%08x-%u-%llu"                //  pid, run, ticket
#define S_REPORT_HEAD   "\x87\xa2op\xa6report\xa6req_id"   //  map of 7, op, req_id's key

//  Bytes of the report request for a ticket of a run: its req_id's digits vary.
static size_t
s_request_bytes (size_t tail_len, unsigned run, int64_t ticket)
{
    char req_id [48];
    int n = snprintf (req_id, sizeof req_id, S_REQ_ID_FORMAT, (unsigned) getpid (), run,
                      (unsigned long long) ticket);
    return sizeof S_REPORT_HEAD - 1 + 1 + (size_t) n + tail_len;
}

//  Build the next report in buf with a fresh req_id; 0 when no reports are left.
static size_t
s_next_report (s_worker_t *w, char *buf, size_t size)
{
    int64_t ticket = atomic_fetch_add (w->tickets, 1);
    if (ticket >= w->total)
        return 0;
    //  {op, req_id, category, grid, description, reporter, channel}: header, op, req_id.
    char req_id [48];
    int n = snprintf (req_id, sizeof req_id, S_REQ_ID_FORMAT, (unsigned) getpid (), w->run,
                      (unsigned long long) ticket);
    static const char head [] = S_REPORT_HEAD;
    size_t off = sizeof head - 1;
    memcpy (buf, head, off);
    buf [off++] = (char) (0xa0 | n);        //  fixstr: req_id is under 32 bytes
    memcpy (buf + off, req_id, (size_t) n);
    off += (size_t) n;
    const msgpack_sbuffer *tail = &w->tails [(size_t) ticket % w->ntails];
    if (off + tail->size > size)
        return 0;
    memcpy (buf + off, tail->data, tail->size);
    return off + tail->size;
}

//  Send reports until the client has window outstanding; false when no reports are left.
static bool
s_top_up (s_worker_t *w, s_client_t *c, int window, char *buf, size_t size, int *busy)
{
    while (c->count < window) {
        size_t len = s_next_report (w, buf, size);
        if (!len)
            return false;
        int at = (c->head + c->count) % S_MAX_WINDOW;
        c->sent [at] = s_now_ns ();
        if (s_send_request (c->sock, buf, len) == 0) {
            c->count++;
            (*busy)++;
        }
        else
            w->failed++;
    }
    return true;
}

static void *
s_worker_run (void *arg)
{
    s_worker_t *w = arg;
    const char *endpoint = s_bench.cfg.svc [GL_SVC_INTAKE].endpoint;
    s_client_t *clients = calloc ((size_t) w->nclients, sizeof *clients);
    zmq_pollitem_t *items = calloc ((size_t) w->nclients, sizeof *items);
    char buf [1024];

    //  Warm-up: every socket connected and answered once (status) before the clock starts.
    static const char status_req [] = "\x81\xa2op\xa6status";
    for (int i = 0; i < w->nclients; i++) {
        clients [i].sock = s_new_dealer (w->ctx, endpoint);
        s_send_request (clients [i].sock, status_req, sizeof status_req - 1);
    }
    for (int i = 0; i < w->nclients && w->setup_rc == 0; i++) {
        zmq_pollitem_t item = { clients [i].sock, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, S_START_TIMEOUT_MS) != 1
        ||  s_recv_answer (clients [i].sock, NULL, 0, NULL) < 0)
            w->setup_rc = -1;
    }
    pthread_barrier_wait (w->barrier);
    if (w->setup_rc)
        goto done;

    //  Each client keeps up to `window` reports outstanding; a DEALER's answers come back in
    //  the order its requests went, so the oldest send time belongs to the next answer.
    int window = s_bench.window;
    int busy = 0;
    bool more = true;
    for (int i = 0; i < w->nclients; i++)
        items [i] = (zmq_pollitem_t) { clients [i].sock, 0, ZMQ_POLLIN, 0 };
    for (int i = 0; i < w->nclients && more; i++)
        more = s_top_up (w, &clients [i], window, buf, sizeof buf, &busy);
    while (busy > 0 && !s_interrupted ()) {
        int rc = zmq_poll (items, w->nclients, 100);
        if (rc < 0 && errno != EINTR)
            break;
        int64_t now = s_now_ns ();
        for (int i = 0; i < w->nclients; i++) {
            s_client_t *c = &clients [i];
            if (!c->count)
                continue;
            if (items [i].revents & ZMQ_POLLIN) {
                int got;
                uint64_t event = 0;
                while (c->count
                   &&  (got = s_recv_answer (c->sock, w->first_error,
                                             sizeof w->first_error, &event)) >= 0) {
                    now = s_now_ns ();
                    w->last_answer = now;
                    if (got == 1) {
                        w->ok++;
                        s_record (w, now - c->sent [c->head]);
                        if (w->sent_at && event < w->sent_cap)
                            w->sent_at [event] = c->sent [c->head];
                    }
                    else
                        w->failed++;
                    c->head = (c->head + 1) % S_MAX_WINDOW;
                    c->count--;
                    busy--;
                }
            }
            else
            if (now - c->sent [c->head] > (int64_t) S_ANSWER_TIMEOUT_MS * 1000000) {
                //  No answer: count what is outstanding as failed and go on with a fresh
                //  socket, so a late answer cannot be taken for a later report's.
                w->failed += (uint64_t) c->count;
                w->timeouts += (uint64_t) c->count;
                busy -= c->count;
                c->count = 0;
                zmq_close (c->sock);
                c->sock = s_new_dealer (w->ctx, endpoint);
                items [i].socket = c->sock;
            }
            if (more)
                more = s_top_up (w, c, window, buf, sizeof buf, &busy);
        }
    }
done:
    for (int i = 0; i < w->nclients; i++)
        if (clients [i].sock)
            zmq_close (clients [i].sock);
    free (clients);
    free (items);
    atomic_fetch_add (w->finished, 1);
    return NULL;
}

//  The report every client sends, minus op and req_id: realistic size and shape.
static void
s_report_tail (msgpack_sbuffer *out)
{
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    gl_pack_cstr (&pk, "category");
    gl_pack_cstr (&pk, "03.01");
    gl_pack_cstr (&pk, "grid");
    gl_pack_cstr (&pk, "SJ-01-01");
    gl_pack_cstr (&pk, "description");
    gl_pack_cstr (&pk, S_DESCRIPTION);
    gl_pack_cstr (&pk, "reporter");
    msgpack_pack_map (&pk, 2);
    gl_pack_cstr (&pk, "id");
    gl_pack_cstr (&pk, "GW-0002");
    gl_pack_cstr (&pk, "role");
    gl_pack_cstr (&pk, "grid_worker");
    gl_pack_cstr (&pk, "channel");
    gl_pack_cstr (&pk, "app");
}

static uint64_t
s_doc_u64 (const msgpack_object *map, const char *key)
{
    uint64_t v = 0;
    gl_get_u64 (map, key, &v);
    return v;
}

//  Measurement 2: a flood of maximum-size requests. S_FLOOD_CLIENTS clients each send
//  S_FLOOD_EACH valid reports of about 1 MiB (an unknown field of many short strings, which the
//  decoder must parse) without reading, then read what comes back. Intake's peak memory is set
//  beside the bound its settings give: what one batch may parse (limits/batch_mb) plus what
//  its sockets may hold for each peer (limits/peer_queue requests of limits/max_msg_bytes).
//  Answers past peer_queue per client are dropped by design (a client that breaks the
//  one-in-flight rule loses them; its retry would get them again).
#define S_FLOOD_CLIENTS 8
#define S_FLOOD_EACH    25

static void
s_flood_request (msgpack_sbuffer *out, int client, int i)
{
    char req_id [48];
    snprintf (req_id, sizeof req_id, "flood-%08x-%d-%d", (unsigned) getpid (), client, i);
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    gl_packer_init (&pk, out);
    msgpack_pack_map (&pk, 8);
    const char *pairs [][2] = { { "op", "report" }, { "req_id", req_id },
                                { "category", "03.01" }, { "grid", "SJ-01-01" },
                                { "description", S_DESCRIPTION }, { "channel", "app" } };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs [0]; k++) {
        gl_pack_cstr (&pk, pairs [k][0]);
        gl_pack_cstr (&pk, pairs [k][1]);
    }
    gl_pack_cstr (&pk, "reporter");
    msgpack_pack_map (&pk, 2);
    gl_pack_cstr (&pk, "id");
    gl_pack_cstr (&pk, "GW-0002");
    gl_pack_cstr (&pk, "role");
    gl_pack_cstr (&pk, "grid_worker");
    gl_pack_cstr (&pk, "junk");
    msgpack_pack_array (&pk, 10);
    for (int a = 0; a < 10; a++) {
        msgpack_pack_array (&pk, 9500);
        for (int k = 0; k < 9500; k++)
            gl_pack_cstr (&pk, "0123456789");
    }
}

static int
s_flood_run (void)
{
    s_stop (S_ARCHIVE);
    s_stop (S_INTAKE);
    char dir [PATH_MAX + 64];
    snprintf (dir, sizeof dir, "%s/intake", s_bench.cfg.data_dir);
    s_rm_tree (dir);
    if (s_start (S_INTAKE))
        return -1;
    pid_t pid = s_bench.procs [S_INTAKE].pid;
    long before = s_hwm_kb (pid);
    msgpack_sbuffer req;
    s_flood_request (&req, 0, 0);
    printf ("\n[flood: %d clients send %d reports of %zu bytes each without reading ...]\n",
            S_FLOOD_CLIENTS, S_FLOOD_EACH, req.size);
    msgpack_sbuffer_destroy (&req);
    fflush (stdout);
    void *ctx = zmq_ctx_new ();
    void *socks [S_FLOOD_CLIENTS];
    int hwm = S_FLOOD_EACH + 1;
    for (int c = 0; c < S_FLOOD_CLIENTS; c++) {
        socks [c] = s_new_dealer (ctx, s_endpoint_of (S_INTAKE));
        zmq_setsockopt (socks [c], ZMQ_SNDHWM, &hwm, sizeof hwm);
    }
    int64_t start = s_now_ns ();
    for (int i = 0; i < S_FLOOD_EACH; i++)
        for (int c = 0; c < S_FLOOD_CLIENTS; c++) {
            s_flood_request (&req, c, i);
            zmq_send (socks [c], "", 0, ZMQ_SNDMORE);
            zmq_send (socks [c], req.data, req.size, 0);
            msgpack_sbuffer_destroy (&req);
        }
    //  Read until every answer is in or none has come for a while (the rest were dropped).
    int answered = 0, ok = 0;
    int64_t quiet_since = s_now_ns ();
    while (answered < S_FLOOD_CLIENTS * S_FLOOD_EACH && !s_interrupted ()
    &&     s_now_ns () - quiet_since < 3000000000LL) {
        bool any = false;
        for (int c = 0; c < S_FLOOD_CLIENTS; c++) {
            int rc = s_recv_answer (socks [c], NULL, 0, NULL);
            if (rc >= 0) {
                answered++;
                ok += rc;
                any = true;
            }
        }
        if (any)
            quiet_since = s_now_ns ();
        else
            s_sleep_ms (5);
    }
    double seconds = (double) (s_now_ns () - start) / 1e9;
    for (int c = 0; c < S_FLOOD_CLIENTS; c++)
        zmq_close (socks [c]);
    zmq_ctx_term (ctx);
    long after = s_hwm_kb (pid);
    const gl_config_t *cfg = &s_bench.cfg;
    long bound_mb = cfg->batch_mb
                  + (long) S_FLOOD_CLIENTS * cfg->peer_queue * (cfg->max_msg_bytes >> 20);
    printf ("  answers      %d of %d, %d ok, in %.1f s (%d dropped: past limits/peer_queue %d "
            "for one client, by design)\n", answered, S_FLOOD_CLIENTS * S_FLOOD_EACH, ok, seconds,
            S_FLOOD_CLIENTS * S_FLOOD_EACH - answered, (int) cfg->peer_queue);
    printf ("  intake peak  %.1f MB before, %.1f MB during the flood; bound from the settings: "
            "batch_mb %d + %d peers x peer_queue %d x max_msg_bytes %lld MiB = %ld MB\n",
            before / 1024.0, after / 1024.0, (int) cfg->batch_mb, S_FLOOD_CLIENTS,
            (int) cfg->peer_queue, (long long) (cfg->max_msg_bytes >> 20), bound_mb);
    fflush (stdout);
    return s_services_alive ()? 0: -1;
}

//  Drive intake with the clients: s_bench.reports reports from s_bench.clients clients, each
//  keeping s_bench.window in flight; ticket t sends tails [t % ntails] after its req_id.
//  sent_at (may be NULL) gets each acknowledged report's send time by its event's number.
//  Returns the result (throughput, latency report -> answer; nothing printed yet) with the
//  first send and the last answer in ns, or NULL when the clients could not run.
static s_result_t *
s_drive (const char *name, unsigned run, const msgpack_sbuffer *tails, size_t ntails,
         int64_t *sent_at, size_t sent_cap, int64_t *start_p, int64_t *end_p)
{
    printf ("\n[%s: %lld reports from %d clients, %d in flight each ...]\n", name,
            (long long) s_bench.reports, s_bench.clients, s_bench.window);
    fflush (stdout);
    int nthreads = (s_bench.clients + S_SOCKS_PER_THREAD - 1) / S_SOCKS_PER_THREAD;
    if (nthreads < 2 && s_bench.clients >= 2)
        nthreads = 2;
    void *ctx = zmq_ctx_new ();
    //  What a client sends, for comparisons at the same size (intake stores more: proto/intake.md).
    printf ("  request      %zu to %zu bytes of msgpack per report\n",
            s_request_bytes (tails [0].size, run, 0),
            s_request_bytes (tails [ntails - 1].size, run, s_bench.reports - 1));
    fflush (stdout);
    atomic_int_fast64_t tickets = 0;
    atomic_int finished = 0;
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, (unsigned) nthreads + 1);
    s_worker_t *workers = calloc ((size_t) nthreads, sizeof *workers);
    for (int t = 0; t < nthreads; t++) {
        s_worker_t *w = &workers [t];
        w->nclients = s_bench.clients / nthreads + (t < s_bench.clients % nthreads? 1: 0);
        w->ctx = ctx;
        w->barrier = &barrier;
        w->tickets = &tickets;
        w->total = s_bench.reports;
        w->tails = tails;
        w->ntails = ntails;
        w->sent_at = sent_at;
        w->sent_cap = sent_cap;
        w->run = run;
        w->finished = &finished;
        pthread_create (&w->thread, NULL, s_worker_run, w);
    }
    for (int i = 0; i < S_NPROCS; i++)
        if (s_bench.procs [i].pid)
            s_hwm_reset (s_bench.procs [i].pid);
    int64_t start = s_now_ns ();
    pthread_barrier_wait (&barrier);
    //  While the clients work: if a service dies, stop them rather than wait out timeouts.
    while (atomic_load (&finished) < nthreads) {
        s_sleep_ms (50);
        if (!s_services_alive ())
            atomic_store (&s_abort, 1);
    }
    for (int t = 0; t < nthreads; t++)
        pthread_join (workers [t].thread, NULL);

    s_result_t *r = s_result_new (name);
    size_t n = 0;
    int64_t end = start;
    int rc = 0;
    char first_error [400] = "";
    uint64_t timeouts = 0;
    for (int t = 0; t < nthreads; t++) {
        s_worker_t *w = &workers [t];
        if (w->setup_rc)
            rc = -1;
        n += w->nlat;
        r->count += w->ok;
        r->failed += w->failed;
        timeouts += w->timeouts;
        if (w->last_answer > end)
            end = w->last_answer;
        if (!first_error [0] && w->first_error [0])
            snprintf (first_error, sizeof first_error, "%s", w->first_error);
    }
    if (rc)
        fprintf (stderr, "gridloop-bench: %s: the clients could not reach intake on %s\n", name,
                 s_bench.cfg.svc [GL_SVC_INTAKE].endpoint);
    else
    if (s_interrupted ()) {
        fprintf (stderr, "gridloop-bench: %s: stopped before the end; no figures\n", name);
        rc = -1;
    }
    if (rc)
        s_nresults--;
    uint64_t *lat = malloc ((n? n: 1) * sizeof *lat);
    size_t off = 0;
    for (int t = 0; t < nthreads; t++) {
        memcpy (lat + off, workers [t].lat, workers [t].nlat * sizeof *lat);
        off += workers [t].nlat;
        free (workers [t].lat);
    }
    free (workers);
    pthread_barrier_destroy (&barrier);
    zmq_ctx_term (ctx);
    if (rc) {
        free (lat);
        return NULL;
    }
    r->seconds = (double) (end - start) / 1e9;
    r->rate = r->seconds > 0? (double) r->count / r->seconds: 0;
    s_percentiles (r, lat, n);
    free (lat);
    r->timeouts = timeouts;
    snprintf (r->first_error, sizeof r->first_error, "%s", first_error);
    *start_p = start;
    *end_p = end;
    return r;
}

//  One run of measurement 1 against a fresh intake store (and archive when with_archive).
static int
s_reports_run (const char *name, bool with_archive, unsigned run)
{
    //  A fresh start: no earlier reports, answers or archive history in the stores.
    s_stop (S_ARCHIVE);
    s_stop (S_INTAKE);
    char dir [PATH_MAX + 64];
    snprintf (dir, sizeof dir, "%s/intake", s_bench.cfg.data_dir);
    s_rm_tree (dir);
    snprintf (dir, sizeof dir, "%s/archive", s_bench.cfg.data_dir);
    s_rm_tree (dir);
    if (s_start (S_INTAKE) || (with_archive && s_start (S_ARCHIVE)))
        return -1;

    msgpack_sbuffer tail;
    s_report_tail (&tail);
    int64_t start, end;
    s_result_t *r = s_drive (name, run, &tail, 1, NULL, 0, &start, &end);
    msgpack_sbuffer_destroy (&tail);
    if (!r)
        return -1;
    s_result_rss (r, "intake", s_bench.procs [S_INTAKE].pid);
    if (with_archive)
        s_result_rss (r, "archive", s_bench.procs [S_ARCHIVE].pid);
    s_result_rss (r, "bus", s_bench.procs [S_BUS].pid);
    s_print_result (r);
    if (r->failed)
        printf ("  (%llu not acknowledged ok, %llu of them unanswered within %d ms%s%s)\n",
                (unsigned long long) r->failed, (unsigned long long) r->timeouts,
                S_ANSWER_TIMEOUT_MS, r->first_error [0]? "; first refusal: ": "",
                r->first_error);

    //  What intake did: commits and the mean batch, from its status.
    gl_doc_t doc;
    uint64_t last_seq = 0, epoch = 0;
    if (s_status (S_INTAKE, &doc, 2000) == 0) {
        uint64_t batches = s_doc_u64 (&doc.root, "batches");
        last_seq = s_doc_u64 (&doc.root, "last_seq");
        epoch = s_doc_u64 (&doc.root, "epoch");
        printf ("  intake       last_seq %llu, %llu commits (%.1f reports per commit), "
                "map %llu MB\n", (unsigned long long) last_seq, (unsigned long long) batches,
                batches? (double) last_seq / (double) batches: 0.0,
                (unsigned long long) s_doc_u64 (&doc.root, "map_mb"));
        gl_doc_fini (&doc);
    }
    else
        printf ("  intake       did not answer status after the run\n");
    if (!with_archive)
        return 0;

    //  The archive's catch-up: from the last acknowledged report until its inbox holds
    //  intake's last seq (same epoch).
    uint64_t at = 0, lag_at_end = 0;
    bool first = true, caught = false;
    int64_t deadline = s_now_ns () + (int64_t) S_CATCHUP_TIMEOUT_MS * 1000000, caught_at = 0;
    while (!s_interrupted () && s_now_ns () < deadline) {
        if (s_status (S_ARCHIVE, &doc, 2000) == 0) {
            const msgpack_object *in = gl_map_get (gl_map_get (&doc.root, "inbox"), "intake");
            uint64_t e = s_doc_u64 (in, "epoch");
            at = s_doc_u64 (in, "last");
            if (first)
                lag_at_end = last_seq > at? last_seq - at: 0;
            first = false;
            gl_doc_fini (&doc);
            if (e == epoch && at >= last_seq) {
                caught = true;
                caught_at = s_now_ns ();
                break;
            }
        }
        s_sleep_ms (10);
    }
    s_result_t *c = s_result_new ("archive catch-up after the last acknowledged report");
    c->count = at;
    c->seconds = caught? (double) (caught_at - end) / 1e9: (double) (s_now_ns () - end) / 1e9;
    c->rate = 0;
    c->failed = caught? 0: last_seq - at;
    s_result_rss (c, "archive", s_bench.procs [S_ARCHIVE].pid);
    printf ("\n%s\n", c->name);
    printf ("  behind at the end of the run   %llu of %llu messages\n",
            (unsigned long long) lag_at_end, (unsigned long long) last_seq);
    if (caught)
        printf ("  caught up after                %.3f s (archive applied %.0f msg/s over run "
                "+ catch-up)\n", c->seconds,
                (double) last_seq / ((double) (caught_at - start) / 1e9));
    else
        printf ("  NOT caught up after            %.3f s: at %llu of %llu\n", c->seconds,
                (unsigned long long) at, (unsigned long long) last_seq);
    printf ("  peak RSS                       %s\n", c->rss);
    if (s_status (S_ARCHIVE, &doc, 2000) == 0) {
        printf ("  archive      msgs_in %llu, %llu commits, errors %llu\n",
                (unsigned long long) s_doc_u64 (&doc.root, "msgs_in"),
                (unsigned long long) s_doc_u64 (&doc.root, "batches"),
                (unsigned long long) s_doc_u64 (&doc.root, "errors"));
        gl_doc_fini (&doc);
    }
    fflush (stdout);
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  Measurement 2: PUB -> SUB, directly and through the bus. Each message is the topic and a
//  payload: 'D' (data) or 'P' (probe), the u64 sequence number, the send time (ns), filler.

typedef struct {
    void *ctx;
    const char *endpoint;       //  where the PUB goes
    bool bind;                  //  the PUB binds (raw) or connects (to the bus frontend)
    int64_t count;              //  data messages to send
    int64_t rate;               //  messages per second; 0 = as fast as ZeroMQ takes them
    atomic_int ready;           //  the receiver got a probe: subscription is in place
    atomic_int done;            //  the sender has sent everything
    atomic_int_fast64_t started;//  ns of the first measured send
    atomic_int stop;            //  the receiver is finished (or gave up)
    int rc;                     //  sender: -1 if it could not start
} s_pubsub_t;

static void
s_set_hwm (void *sock, int opt)
{
    int hwm = S_BUS_HWM;
    zmq_setsockopt (sock, opt, &hwm, sizeof hwm);
}

static void *
s_sender_run (void *arg)
{
    s_pubsub_t *ps = arg;
    void *pub = zmq_socket (ps->ctx, ZMQ_PUB);
    s_set_hwm (pub, ZMQ_SNDHWM);
    int linger = 0;
    zmq_setsockopt (pub, ZMQ_LINGER, &linger, sizeof linger);
    if ((ps->bind? zmq_bind (pub, ps->endpoint): zmq_connect (pub, ps->endpoint)) < 0) {
        fprintf (stderr, "gridloop-bench: cannot %s %s: %s\n", ps->bind? "bind": "connect",
                 ps->endpoint, zmq_strerror (zmq_errno ()));
        ps->rc = -1;
        atomic_store (&ps->stop, 1);
        zmq_close (pub);
        return NULL;
    }
    uint8_t payload [S_PAYLOAD_BYTES];
    memset (payload, 'x', sizeof payload);
    //  Probes until the subscriber has one: its subscription has reached this PUB.
    payload [0] = 'P';
    while (!atomic_load (&ps->ready) && !atomic_load (&ps->stop) && !s_interrupted ()) {
        zmq_send (pub, S_TOPIC, sizeof S_TOPIC - 1, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send (pub, payload, 17, ZMQ_DONTWAIT);
        s_sleep_ms (2);
    }
    payload [0] = 'D';
    int64_t start = s_now_ns ();
    atomic_store (&ps->started, start);
    for (int64_t i = 0; i < ps->count && !atomic_load (&ps->stop); i++) {
        int64_t now = s_now_ns ();
        if (ps->rate) {
            //  Paced: each message at its slot, so none waits behind another.
            int64_t slot = start + i * 1000000000LL / ps->rate;
            if (slot > now) {
                struct timespec ts = { slot / 1000000000LL, slot % 1000000000LL };
                clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                now = s_now_ns ();
            }
        }
        memcpy (payload + 1, &i, 8);
        memcpy (payload + 9, &now, 8);
        zmq_send (pub, S_TOPIC, sizeof S_TOPIC - 1, ZMQ_SNDMORE);
        zmq_send (pub, payload, sizeof payload, 0);
    }
    atomic_store (&ps->done, 1);
    //  Keep the PUB open until the receiver is finished: closing would drop what is queued.
    while (!atomic_load (&ps->stop))
        s_sleep_ms (5);
    zmq_close (pub);
    return NULL;
}

//  One run: count messages at rate (0: full speed). Returns 0 with the result filled in.
static int
s_pubsub_run (s_result_t *r, const char *pub_endpoint, bool bind, const char *sub_endpoint,
              int64_t count, int64_t rate)
{
    s_pubsub_t ps = { .endpoint = pub_endpoint, .bind = bind, .count = count, .rate = rate };
    ps.ctx = zmq_ctx_new ();
    void *sub = zmq_socket (ps.ctx, ZMQ_SUB);
    s_set_hwm (sub, ZMQ_RCVHWM);
    int timeout = 100, linger = 0;
    zmq_setsockopt (sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, S_TOPIC, sizeof S_TOPIC - 1);
    zmq_connect (sub, sub_endpoint);
    pthread_t sender;
    pthread_create (&sender, NULL, s_sender_run, &ps);

    uint64_t *lat = malloc ((size_t) count * sizeof *lat);
    size_t n = 0;
    int64_t last = 0, idle_since = 0;
    int64_t probe_deadline = s_now_ns () + (int64_t) S_START_TIMEOUT_MS * 1000000;
    zmq_msg_t topic, body;
    zmq_msg_init (&topic);
    zmq_msg_init (&body);
    int rc = 0;
    while (!s_interrupted () && !atomic_load (&ps.stop)) {
        bool got = zmq_msg_recv (&topic, sub, 0) >= 0;
        int64_t now = s_now_ns ();
        if (!atomic_load (&ps.ready) && now > probe_deadline) {
            fprintf (stderr, "gridloop-bench: no probe from %s reached %s in %d ms\n",
                     pub_endpoint, sub_endpoint, S_START_TIMEOUT_MS);
            rc = -1;
            break;
        }
        if (!got) {
            if (atomic_load (&ps.done)) {
                if (!idle_since)
                    idle_since = now;
                if (now - idle_since > (int64_t) S_BUS_IDLE_MS * 1000000)
                    break;              //  the rest was dropped
            }
            continue;
        }
        idle_since = 0;
        if (!zmq_msg_more (&topic) || zmq_msg_recv (&body, sub, 0) < 0)
            continue;
        now = s_now_ns ();
        const uint8_t *p = zmq_msg_data (&body);
        if (zmq_msg_size (&body) < 17)
            continue;
        if (p [0] == 'P') {
            atomic_store (&ps.ready, 1);
            continue;
        }
        int64_t sent;
        memcpy (&sent, p + 9, 8);
        if (n < (size_t) count)
            lat [n++] = (uint64_t) (now - sent);
        last = now;
        if (n == (size_t) count)
            break;
    }
    atomic_store (&ps.stop, 1);
    pthread_join (sender, NULL);
    zmq_msg_close (&topic);
    zmq_msg_close (&body);
    zmq_close (sub);
    zmq_ctx_term (ps.ctx);
    if (rc || ps.rc || s_interrupted ()) {
        free (lat);
        return -1;
    }
    int64_t started = atomic_load (&ps.started);
    r->sent = (uint64_t) count;
    r->count = n;
    r->failed = (uint64_t) count - n;
    r->seconds = n && last > started? (double) (last - started) / 1e9: 0;
    r->rate = r->seconds > 0? (double) n / r->seconds: 0;
    s_percentiles (r, lat, n);
    free (lat);
    return 0;
}

//  Raw, then through the bus, at one rate. Returns 0 with both results added.
static int
s_bus_pair (const char *label, int64_t count, int64_t rate, s_result_t **raw_p,
            s_result_t **bus_p)
{
    char raw [64], name [64];
    snprintf (raw, sizeof raw, "tcp://127.0.0.1:%d", s_bench.port_base + 2);
    snprintf (name, sizeof name, "raw libzmq PUB -> SUB%s", label);
    s_result_t *a = s_result_new (name);
    s_hwm_reset (getpid ());
    if (s_pubsub_run (a, raw, true, raw, count, rate)) {
        s_nresults--;
        return -1;
    }
    s_result_rss (a, "bench", getpid ());
    s_print_result (a);

    snprintf (name, sizeof name, "PUB -> gridloop-bus -> SUB%s", label);
    s_result_t *b = s_result_new (name);
    s_hwm_reset (getpid ());
    s_hwm_reset (s_bench.procs [S_BUS].pid);
    if (s_pubsub_run (b, s_bench.cfg.bus_frontend, false, s_bench.cfg.bus_backend, count,
                      rate)) {
        s_nresults--;
        return -1;
    }
    s_result_rss (b, "bus", s_bench.procs [S_BUS].pid);
    s_result_rss (b, "bench", getpid ());
    s_print_result (b);
    *raw_p = a;
    *bus_p = b;
    return 0;
}

static void
s_bus_ratio (const char *label, const s_result_t *a, const s_result_t *b)
{
    printf ("\nbus / raw%s\n  throughput   %.2f\n  p50 latency  %.2f\n", label,
            a->rate > 0? b->rate / a->rate: 0, a->p50 > 0? b->p50 / a->p50: 0);
    if (a->failed || b->failed)
        printf ("  note: PUB/SUB dropped messages (raw %llu, bus %llu of %llu each): "
                "throughput and latency count only what arrived\n",
                (unsigned long long) a->failed, (unsigned long long) b->failed,
                (unsigned long long) a->sent);
    fflush (stdout);
}

static int
s_bus_runs (void)
{
    //  The bus alone: no service publishes or consumes meanwhile.
    s_stop (S_ARCHIVE);
    s_stop (S_INTAKE);
    printf ("\n[bus: %lld messages of 2 frames (\"%s\", %d-byte payload) at full speed, raw "
            "libzmq then through gridloop-bus ...]\n", (long long) s_bench.bus_msgs, S_TOPIC,
            S_PAYLOAD_BYTES);
    fflush (stdout);
    s_result_t *a, *b;
    if (s_bus_pair (", full speed", s_bench.bus_msgs, 0, &a, &b))
        return -1;
    gl_doc_t doc;
    if (s_status (S_BUS, &doc, 2000) == 0) {
        printf ("  bus          forwarded %llu since start (probes included); its queues: "
                "limits/pub_hwm %lld, limits/sub_hwm %lld\n",
                (unsigned long long) s_doc_u64 (&doc.root, "forwarded"),
                (long long) s_bench.cfg.pub_hwm, (long long) s_bench.cfg.sub_hwm);
        gl_doc_fini (&doc);
    }
    s_bus_ratio (", full speed", a, b);
    printf ("  note: at full speed the sender runs ahead of the receiver, so latency is mostly "
            "time spent queued;\n        the paced runs below show the cost of the hop itself\n");

    //  Paced: the latency of one message through an idle path.
    int64_t count = S_PACED_RATE * S_PACED_SECONDS;
    if (count > s_bench.bus_msgs)
        count = s_bench.bus_msgs;
    printf ("\n[bus: %lld messages paced at %d msg/s, raw libzmq then through gridloop-bus "
            "...]\n", (long long) count, S_PACED_RATE);
    fflush (stdout);
    char label [48];
    snprintf (label, sizeof label, ", paced %d/s", S_PACED_RATE);
    if (s_bus_pair (label, count, S_PACED_RATE, &a, &b))
        return -1;
    s_bus_ratio (label, a, b);
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  --e2e: the whole loop, every service durable. Reports in the county's mix (every category
//  with every grid, each reported by that grid's grid worker) go to intake; the dispatcher
//  files and routes each (dispatched, or closed with advice for a 私事); escalation sets its
//  deadlines; the archive keeps every stream. A SUB on the bus sees when each event was routed;
//  the archive's status, polled, says when it had applied that message. Then the two
//  micro-benchmarks the loop is held against: raw libzmq PUB/SUB and raw LMDB batched commits.

#define S_E2E_POLL_MS   5           //  how often the archive's position is sampled
#define S_RAW_LMDB_S    2           //  seconds of the raw LMDB run
#define S_RAW_VALUE     300         //  bytes per value in the raw LMDB run

typedef struct {
    int64_t *routed_at;         //  ns the dispatcher's dispatched/closed was seen, by event number
    uint64_t *routed_seq;       //  its seq in the dispatcher's stream
    size_t cap;                 //  entries in both
    atomic_int ready;           //  a dispatcher heartbeat came: the subscription is in place
    atomic_int stop;            //  the main thread is done with it
    atomic_size_t routed;       //  events seen routed
    int64_t *samples;           //  archive poller: (ns, dispatcher seq applied) pairs
    size_t nsamples, scap;
} s_e2e_t;

//  The bus watcher: every dispatcher.event.dispatched or .closed, first one per event.
static void *
s_e2e_watch (void *arg)
{
    s_e2e_t *e = arg;
    void *ctx = zmq_ctx_new ();
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    s_set_hwm (sub, ZMQ_RCVHWM);
    int timeout = 100, linger = 0;
    zmq_setsockopt (sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "dispatcher.", 11);
    zmq_connect (sub, s_bench.cfg.bus_backend);
    zmq_msg_t topic, body;
    zmq_msg_init (&topic);
    zmq_msg_init (&body);
    while (!atomic_load (&e->stop)) {
        if (zmq_msg_recv (&topic, sub, 0) < 0 || !zmq_msg_more (&topic)
        ||  zmq_msg_recv (&body, sub, 0) < 0)
            continue;
        int64_t now = s_now_ns ();
        gl_doc_t doc;
        gl_envelope_t env;
        gl_err_t err;
        if (gl_envelope_decode (&doc, zmq_msg_data (&body), zmq_msg_size (&body), &env, &err)) {
            gl_doc_fini (&doc);
            continue;
        }
        if (gl_envelope_is (&env, "hb"))
            atomic_store (&e->ready, 1);
        else
        if (env.id && (gl_envelope_is (&env, "event.dispatched")
                    || gl_envelope_is (&env, "event.closed"))) {
            uint64_t n = s_event_number (env.id, env.id_len);
            if (n < e->cap && !e->routed_at [n]) {
                e->routed_at [n] = now;
                e->routed_seq [n] = env.seq;
                atomic_fetch_add (&e->routed, 1);
            }
        }
        gl_doc_fini (&doc);
    }
    zmq_msg_close (&topic);
    zmq_msg_close (&body);
    zmq_close (sub);
    zmq_ctx_term (ctx);
    return NULL;
}

//  The archive poller: how far into the dispatcher's stream the archive has applied, sampled.
static void *
s_e2e_poll (void *arg)
{
    s_e2e_t *e = arg;
    while (!atomic_load (&e->stop)) {
        gl_doc_t doc;
        if (s_status (S_ARCHIVE, &doc, 1000) == 0) {
            const msgpack_object *in = gl_map_get (gl_map_get (&doc.root, "inbox"), "dispatcher");
            if (e->nsamples + 2 > e->scap) {
                e->scap = e->scap? e->scap * 2: 4096;
                e->samples = realloc (e->samples, e->scap * sizeof *e->samples);
            }
            e->samples [e->nsamples++] = s_now_ns ();
            e->samples [e->nsamples++] = (int64_t) s_doc_u64 (in, "last");
            gl_doc_fini (&doc);
        }
        s_sleep_ms (S_E2E_POLL_MS);
    }
    return NULL;
}

//  The county's mix: report i is category i % C from the grid worker i / C % W, so that every
//  category is reported from every grid worker's grid once in C * W reports. Returns the
//  number of tails made (0: the county could not be read).
static size_t
s_e2e_tails (msgpack_sbuffer **tails_p)
{
    char org [PATH_MAX + 16], cat [PATH_MAX + 32], adm [PATH_MAX + 32];
    snprintf (org, sizeof org, "%s/org.json", s_bench.domain);
    snprintf (cat, sizeof cat, "%s/categories.json", s_bench.domain);
    snprintf (adm, sizeof adm, "%s/admission.json", s_bench.domain);
    gl_err_t err;
    gl_org_t *county = gl_org_load (org, cat, adm, &err);
    if (!county) {
        fprintf (stderr, "gridloop-bench: %s\n", err.message);
        return 0;
    }
    size_t ncat = gl_org_category_count (county);
    const gl_person_t **workers = calloc (gl_org_person_count (county, GL_ROLE_ANY) + 1,
                                          sizeof *workers);
    size_t nworkers = 0;
    for (size_t i = 0; gl_org_person_at (county, i); i++) {
        const gl_person_t *p = gl_org_person_at (county, i);
        if (p->role == GL_ROLE_GRID_WORKER && p->unit && p->unit->kind == GL_UNIT_GRID)
            workers [nworkers++] = p;
    }
    size_t n = ncat * nworkers;
    msgpack_sbuffer *tails = calloc (n? n: 1, sizeof *tails);
    for (size_t i = 0; i < n; i++) {
        const gl_category_t *c = gl_org_category_at (county, i % ncat);
        const gl_person_t *p = workers [i / ncat];
        char text [512];
        snprintf (text, sizeof text, "%s发现%s（%s），请核实处置", p->unit->name, c->name,
                  c->group);
        msgpack_sbuffer_init (&tails [i]);
        msgpack_packer pk;
        msgpack_packer_init (&pk, &tails [i], msgpack_sbuffer_write);
        gl_pack_cstr (&pk, "category");
        gl_pack_cstr (&pk, c->code);
        gl_pack_cstr (&pk, "grid");
        gl_pack_cstr (&pk, p->unit->id);
        gl_pack_cstr (&pk, "description");
        gl_pack_cstr (&pk, text);
        gl_pack_cstr (&pk, "reporter");
        msgpack_pack_map (&pk, 2);
        gl_pack_cstr (&pk, "id");
        gl_pack_cstr (&pk, p->id);
        gl_pack_cstr (&pk, "role");
        gl_pack_cstr (&pk, "grid_worker");
        gl_pack_cstr (&pk, "channel");
        gl_pack_cstr (&pk, "app");
    }
    printf ("  mix          %zu categories x %zu grids (each grid's grid worker reports)\n",
            ncat, nworkers);
    free (workers);
    gl_org_destroy (&county);
    *tails_p = tails;
    return n;
}

//  Raw LMDB: batches of `batch` puts of S_RAW_VALUE bytes, each batch one durable commit (the
//  default: data and meta page synced), for S_RAW_LMDB_S seconds. Returns puts/s, 0 on failure.
static double
s_raw_lmdb (size_t batch)
{
    char dir [PATH_MAX + 16];
    snprintf (dir, sizeof dir, "%s/raw-lmdb", s_bench.scratch);
    mkdir (dir, 0750);
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *txn;
    if (mdb_env_create (&env) || mdb_env_set_mapsize (env, (size_t) 4 << 30)
    ||  mdb_env_open (env, dir, MDB_NOTLS, 0640))
        return 0;
    char value [S_RAW_VALUE];
    memset (value, 'x', sizeof value);
    uint64_t puts = 0;
    int64_t start = s_now_ns (), end = start + (int64_t) S_RAW_LMDB_S * 1000000000;
    int rc = 0;
    while (rc == 0 && s_now_ns () < end) {
        if ((rc = mdb_txn_begin (env, NULL, 0, &txn)) == 0
        &&  (rc = mdb_dbi_open (txn, NULL, 0, &dbi)) == 0) {
            for (size_t i = 0; i < batch && rc == 0; i++, puts++) {
                uint8_t key [8];
                gl_be64_put (key, puts);
                MDB_val k = { 8, key }, v = { sizeof value, value };
                rc = mdb_put (txn, dbi, &k, &v, MDB_APPEND);
            }
            if (rc)
                mdb_txn_abort (txn);
            else
                rc = mdb_txn_commit (txn);
        }
    }
    double seconds = (double) (s_now_ns () - start) / 1e9;
    mdb_env_close (env);
    s_rm_tree (dir);
    return rc? 0: (double) puts / seconds;
}

//  CPU time a process has used, user and system, in ms (from /proc/PID/stat); false if gone.
static bool
s_cpu_ms (pid_t pid, double *user, double *sys)
{
    char path [64], line [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    bool ok = fgets (line, sizeof line, file) != NULL;
    fclose (file);
    //  After the command name in parentheses: state is field 3, utime 14, stime 15.
    char *p = ok? strrchr (line, ')'): NULL;
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                      &ut, &st) != 2)
        return false;
    double tick = (double) sysconf (_SC_CLK_TCK);
    *user = (double) ut * 1000.0 / tick;
    *sys = (double) st * 1000.0 / tick;
    return true;
}

//  Latency ns from a to b for every event that has both, as a result's percentiles.
static void
s_e2e_latency (s_result_t *r, const int64_t *from, const int64_t *to, size_t cap)
{
    uint64_t *lat = malloc (cap * sizeof *lat);
    size_t n = 0;
    for (size_t i = 1; i < cap; i++)
        if (from [i] && to [i] && to [i] >= from [i])
            lat [n++] = (uint64_t) (to [i] - from [i]);
    s_percentiles (r, lat, n);
    r->count = n;
    free (lat);
}

static int
s_e2e_run (void)
{
    static const int procs [] = { S_INTAKE, S_DISPATCHER, S_ESCALATION, S_ARCHIVE };
    for (size_t i = 0; i < sizeof procs / sizeof procs [0]; i++)
        if (s_start (procs [i]))
            return -1;
    printf ("\n[end to end: %lld reports from %d clients, %d in flight each; bus, intake, "
            "dispatcher, escalation and archive ...]\n", (long long) s_bench.reports,
            s_bench.clients, s_bench.window);
    msgpack_sbuffer *tails = NULL;
    size_t ntails = s_e2e_tails (&tails);
    if (!ntails)
        return -1;
    s_e2e_t e = { .cap = (size_t) s_bench.reports + 1 };
    e.routed_at = calloc (e.cap, sizeof *e.routed_at);
    e.routed_seq = calloc (e.cap, sizeof *e.routed_seq);
    int64_t *sent_at = calloc (e.cap, sizeof *sent_at);
    int64_t *archived_at = calloc (e.cap, sizeof *archived_at);
    pthread_t watcher, poller;
    pthread_create (&watcher, NULL, s_e2e_watch, &e);
    int64_t deadline = s_now_ns () + (int64_t) S_START_TIMEOUT_MS * 1000000;
    while (!atomic_load (&e.ready) && s_now_ns () < deadline && !s_interrupted ())
        s_sleep_ms (10);
    int rc = atomic_load (&e.ready)? 0: -1;
    if (rc)
        fprintf (stderr, "gridloop-bench: no dispatcher heartbeat on the bus within %d ms\n",
                 S_START_TIMEOUT_MS);
    pthread_create (&poller, NULL, s_e2e_poll, &e);
    double user0 [S_NPROCS] = { 0 }, sys0 [S_NPROCS] = { 0 }, self_user0 = 0, self_sys0 = 0;
    for (int i = 0; i < S_NPROCS; i++)
        s_cpu_ms (s_bench.procs [i].pid, &user0 [i], &sys0 [i]);
    s_cpu_ms (getpid (), &self_user0, &self_sys0);
    int64_t start = 0, end = 0;
    s_result_t *acked = rc? NULL: s_drive ("end to end: report -> intake's answer", 1, tails,
                                           ntails, sent_at, e.cap, &start, &end);
    if (!acked)
        rc = -1;
    //  Until every acknowledged report is routed and the archive has applied all of it.
    uint64_t dispatcher_last = 0;
    deadline = s_now_ns () + (int64_t) S_CATCHUP_TIMEOUT_MS * 1000000;
    while (rc == 0 && !s_interrupted () && s_now_ns () < deadline) {
        gl_doc_t doc;
        if (atomic_load (&e.routed) >= acked->count && s_status (S_DISPATCHER, &doc, 2000) == 0) {
            dispatcher_last = s_doc_u64 (&doc.root, "last_seq");
            gl_doc_fini (&doc);
            if (e.nsamples && (uint64_t) e.samples [e.nsamples - 1] >= dispatcher_last)
                break;
        }
        s_sleep_ms (20);
    }
    s_sleep_ms (2 * S_E2E_POLL_MS);
    atomic_store (&e.stop, 1);
    pthread_join (watcher, NULL);
    pthread_join (poller, NULL);
    if (rc == 0) {
        //  Each event is archived at the first sample that has its routing message applied.
        int64_t last_routed = start, last_archived = start;
        for (size_t i = 1; i < e.cap; i++) {
            if (!e.routed_at [i])
                continue;
            if (e.routed_at [i] > last_routed)
                last_routed = e.routed_at [i];
            //  The samples' positions only grow: the first one at or past the seq, halving.
            size_t lo = 0, hi = e.nsamples / 2;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if ((uint64_t) e.samples [2 * mid + 1] < e.routed_seq [i])
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < e.nsamples / 2) {
                archived_at [i] = e.samples [2 * lo];
                if (archived_at [i] > last_archived)
                    last_archived = archived_at [i];
            }
        }
        s_result_rss (acked, "intake", s_bench.procs [S_INTAKE].pid);
        s_print_result (acked);
        s_result_t *routed = s_result_new ("end to end: report -> dispatched (or closed)");
        s_e2e_latency (routed, sent_at, e.routed_at, e.cap);
        routed->seconds = (double) (last_routed - start) / 1e9;
        routed->rate = (double) routed->count / routed->seconds;
        routed->failed = acked->count - routed->count;
        s_result_rss (routed, "dispatcher", s_bench.procs [S_DISPATCHER].pid);
        s_result_rss (routed, "escalation", s_bench.procs [S_ESCALATION].pid);
        s_result_rss (routed, "bus", s_bench.procs [S_BUS].pid);
        s_print_result (routed);
        s_result_t *archived = s_result_new ("end to end: report -> archived");
        s_e2e_latency (archived, sent_at, archived_at, e.cap);
        archived->seconds = (double) (last_archived - start) / 1e9;
        archived->rate = (double) archived->count / archived->seconds;
        archived->failed = acked->count - archived->count;
        s_result_rss (archived, "archive", s_bench.procs [S_ARCHIVE].pid);
        s_print_result (archived);
        printf ("  (archived: sampled every %d ms, so its latencies are late by up to that)\n",
                S_E2E_POLL_MS);
        //  Where the CPU went (kernel vs user, per process) and each service's batch stages.
        double per_commit = 1;
        double wall_ms = (double) (last_archived - start) / 1e6;
        printf ("\nCPU over the run (%.0f ms of wall time, 2 cores = %.0f ms), and each service's "
                "batch loop (status stages_us)\n", wall_ms, 2 * wall_ms);
        printf ("  %-12s %9s %9s  %9s %9s %9s %9s %9s  %s\n", "process", "user ms", "sys ms",
                "gather", "apply", "commit", "release", "flush", "commits, durability");
        for (int i = 0; i < S_NPROCS; i++) {
            double user = 0, sys = 0;
            if (!s_bench.procs [i].pid || !s_cpu_ms (s_bench.procs [i].pid, &user, &sys))
                continue;
            printf ("  %-12s %9.0f %9.0f", s_bench.procs [i].name, user - user0 [i],
                    sys - sys0 [i]);
            gl_doc_t doc;
            if (i == S_BUS || s_status (i, &doc, 2000)) {
                printf ("\n");
                continue;
            }
            const msgpack_object *st = gl_map_get (&doc.root, "stages_us");
            static const char *const stages [] = { "gather", "apply", "commit", "release",
                                                   "flush" };
            printf (" ");
            for (size_t k = 0; k < 5; k++)
                printf (" %7.0fms", (double) s_doc_u64 (st, stages [k]) / 1000.0);
            uint64_t batches = s_doc_u64 (&doc.root, "batches");
            uint64_t last = s_doc_u64 (&doc.root, "last_seq");
            printf ("  %llu, %s\n", (unsigned long long) batches,
                    s_bench.cfg.svc [s_svc_of [i]].durability);
            if (i == S_INTAKE && batches)
                per_commit = (double) last / (double) batches;
            gl_doc_fini (&doc);
        }
        double self_user = 0, self_sys = 0;
        s_cpu_ms (getpid (), &self_user, &self_sys);
        printf ("  %-12s %9.0f %9.0f  (the clients, the bus watcher, the archive poller)\n",
                "bench", self_user - self_user0, self_sys - self_sys0);
        //  The yardsticks, in the same run.
        printf ("\n[raw yardsticks: libzmq PUB -> SUB at full speed, LMDB batched commits ...]\n");
        fflush (stdout);
        char raw [64];
        snprintf (raw, sizeof raw, "tcp://127.0.0.1:%d", s_bench.port_base + 2);
        s_result_t *zmq = s_result_new ("raw libzmq PUB -> SUB, full speed");
        if (s_pubsub_run (zmq, raw, true, raw, s_bench.bus_msgs, 0) == 0) {
            s_result_rss (zmq, "bench", getpid ());
            s_print_result (zmq);
        }
        size_t batch = (size_t) (per_commit + 0.5);
        double lmdb = s_raw_lmdb (batch? batch: 1);
        s_result_t *db = s_result_new ("raw LMDB batched durable commits");
        db->rate = lmdb;
        db->count = (uint64_t) (lmdb * S_RAW_LMDB_S);
        db->seconds = S_RAW_LMDB_S;
        printf ("\nraw LMDB: %zu puts of %d bytes per durable commit (intake's mean batch in "
                "this run)\n  throughput   %.0f puts/s\n", batch? batch: 1, S_RAW_VALUE, lmdb);
        printf ("\nend to end against the yardsticks (events/s routed)\n");
        printf ("  sustained    %.0f events/s, p99 report -> dispatched %.1f ms\n",
                routed->rate, routed->p99 / 1000.0);
        printf ("  / raw PUB/SUB          %.3f (%.0f msg/s)\n",
                zmq->rate > 0? routed->rate / zmq->rate: 0, zmq->rate);
        printf ("  / raw LMDB commits     %.3f (%.0f puts/s)\n",
                lmdb > 0? routed->rate / lmdb: 0, lmdb);
        fflush (stdout);
    }
    for (size_t i = 0; i < ntails; i++)
        msgpack_sbuffer_destroy (&tails [i]);
    free (tails);
    free (e.routed_at);
    free (e.routed_seq);
    free (e.samples);
    free (sent_at);
    free (archived_at);
    return rc;
}

//  ---------------------------------------------------------------------------------------------

static void
s_machine (char *model, size_t size)
{
    snprintf (model, size, "unknown");
    FILE *file = fopen ("/proc/cpuinfo", "r");
    char line [512];
    while (file && fgets (line, sizeof line, file))
        if (strncmp (line, "model name", 10) == 0) {
            char *colon = strchr (line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                colon [strcspn (colon, "\n")] = 0;
                snprintf (model, size, "%s", colon);
            }
            break;
        }
    if (file)
        fclose (file);
}

static const char *
s_fs_type (const char *path)
{
    struct statfs st;
    if (statfs (path, &st))
        return "?";
    switch ((unsigned long) st.f_type) {
        case 0xEF53: return "ext2/3/4";
        case 0x58465342: return "xfs";
        case 0x9123683E: return "btrfs";
        case 0x01021994: return "tmpfs (syncs cost nothing: durable figures are optimistic)";
        case 0x794c7630: return "overlayfs";
        case 0x2fc12fc1: return "zfs";
        default: return "other";
    }
}

static void
s_summary (void)
{
    char model [256];
    s_machine (model, sizeof model);
    printf ("\n====================================================================================="
            "===========\nsummary\n");
    printf ("%-52s %9s %8s %9s %8s %8s %8s %8s %8s\n", "measurement", "count", "seconds",
            "msg/s", "p50 µs", "p90 µs", "p99 µs", "max µs", "RSS MB");
    for (size_t i = 0; i < s_nresults; i++) {
        const s_result_t *r = &s_results [i];
        printf ("%-52.52s %9llu %8.3f ", r->name, (unsigned long long) r->count, r->seconds);
        if (r->rate > 0)
            printf ("%9.0f ", r->rate);
        else
            printf ("%9s ", "-");
        if (r->has_latency)
            printf ("%8.0f %8.0f %8.0f %8.0f ", r->p50, r->p90, r->p99, r->max);
        else
            printf ("%8s %8s %8s %8s ", "-", "-", "-", "-");
        printf ("%8.1f\n", r->rss_mb);
    }
    printf ("(RSS MB: sum of the peaks of the processes named in each block)\n");
    printf ("machine:    %ld cores, %s\n", sysconf (_SC_NPROCESSORS_ONLN), model);
    printf ("durability: intake %s, archive %s; limits/batch %lld; scratch on %s\n",
            s_bench.cfg.svc [GL_SVC_INTAKE].durability,
            s_bench.cfg.svc [GL_SVC_ARCHIVE].durability, (long long) s_bench.cfg.batch,
            s_fs_type (s_bench.scratch));
    double best = 0;
    for (size_t i = 0; i < s_nresults; i++)
        if (strncmp (s_results [i].name, "durable reports", 15) == 0
        &&  s_results [i].rate > best)
            best = s_results [i].rate;
    if (!s_bench.e2e)
        printf ("target:     >= 50000 acknowledged durable reports/s (best here: %.0f/s, %.0f%% "
                "of it)\n", best, best / 500.0);
    fflush (stdout);
}

//  Measurement 1 at one window: intake alone with the commit pipeline off (durability sync,
//  the baseline) and on (pipelined), their ratio, then pipelined with the archive consuming.
//  Returns 0, or 1 when a run could not be made.
static int
s_pipeline_pair (int window, unsigned *run)
{
    char name [96], in_flight [32];
    if (window == 1)
        snprintf (in_flight, sizeof in_flight, "1 in flight");
    else
        snprintf (in_flight, sizeof in_flight, "%d in flight", window);
    s_bench.window = window;
    double rate [2] = { 0, 0 };
    double p99 [2] = { 0, 0 };
    static const char *const modes [2] = { "sync", "pipelined" };
    for (int m = 0; m < 2; m++) {
        s_bench.durability = modes [m];
        snprintf (name, sizeof name, "durable reports, %s, intake %s", in_flight, modes [m]);
        if (s_write_config () || s_reports_run (name, false, (*run)++))
            return 1;
        rate [m] = s_results [s_nresults - 1].rate;
        p99 [m] = s_results [s_nresults - 1].p99;
        if (s_interrupted ())
            return 0;
    }
    printf ("\ncommit pipeline, %s per client: pipelined / sync\n", in_flight);
    printf ("  throughput   %.2f (%.0f / %.0f reports/s)\n", rate [1] / (rate [0]? rate [0]: 1),
            rate [1], rate [0]);
    printf ("  p99 latency  %.2f\n", p99 [1] / (p99 [0]? p99 [0]: 1));
    fflush (stdout);
    snprintf (name, sizeof name, "durable reports, %s, archive consuming", in_flight);
    int rc = s_reports_run (name, true, (*run)++)? 1: 0;
    s_bench.window = 1;
    return rc;
}

//  Measurement 1b: what CURVE costs. Intake alone, pipelined, one report in flight, first plain
//  then with every connection encrypted and authenticated (the bus restarted with it), and the
//  ratio. Returns 0, or 1 when a run could not be made.
static int
s_security_pair (unsigned *run)
{
    static const char *const modes [2] = { "plain", "curve" };
    double rate [2] = { 0, 0 }, p99 [2] = { 0, 0 };
    s_bench.window = 1;
    for (int m = 0; m < 2; m++) {
        char name [96];
        s_bench.security = modes [m];
        snprintf (name, sizeof name, "durable reports, 1 in flight, intake pipelined, %s",
                  modes [m]);
        s_stop (S_BUS);
        if (s_write_config () || s_start (S_BUS) || s_reports_run (name, false, (*run)++))
            return 1;
        rate [m] = s_results [s_nresults - 1].rate;
        p99 [m] = s_results [s_nresults - 1].p99;
        if (s_interrupted ())
            return 0;
    }
    printf ("\nCURVE, 1 in flight per client: curve / plain\n");
    printf ("  throughput   %.2f (%.0f / %.0f reports/s)\n", rate [1] / (rate [0]? rate [0]: 1),
            rate [1], rate [0]);
    printf ("  p99 latency  %.2f\n", p99 [1] / (p99 [0]? p99 [0]: 1));
    fflush (stdout);
    s_bench.security = "plain";
    s_stop (S_BUS);
    return s_write_config () || s_start (S_BUS)? 1: 0;
}

static int64_t
s_parse_count (const char *flag, const char *text, int64_t min, int64_t max)
{
    int64_t v;
    if (gl_parse_whole (text, min, max, &v)) {
        fprintf (stderr, "gridloop-bench: %s must be a whole number from %lld to %lld, not "
                 "'%s'\n(`gridloop-bench --help` lists the flags)\n", flag, (long long) min,
                 (long long) max, text);
        return -1;
    }
    return v;
}

int
main (int argc, char **argv)
{
    static struct option options [] = {
        { "reports", required_argument, NULL, 'r' },
        { "clients", required_argument, NULL, 'c' },
        { "window", required_argument, NULL, 'w' },
        { "domain", required_argument, NULL, 'd' },
        { "bus-msgs", required_argument, NULL, 'b' },
        { "port-base", required_argument, NULL, 'p' },
        { "keep", no_argument, NULL, 'k' },
        { "e2e", no_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    int64_t v;
    while ((c = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (c) {
            case 'r':
                if ((v = s_parse_count ("--reports", optarg, 1, 100000000)) < 0)
                    return 2;
                s_bench.reports = v;
                break;
            case 'c':
                if ((v = s_parse_count ("--clients", optarg, 1, 4096)) < 0)
                    return 2;
                s_bench.clients = (int) v;
                break;
            case 'd':
                s_bench.domain = optarg;
                break;
            case 'w':
                if ((v = s_parse_count ("--window", optarg, 1, S_MAX_WINDOW)) < 0)
                    return 2;
                s_bench.pipelined = (int) v;
                s_bench.window_set = true;
                break;
            case 'b':
                if ((v = s_parse_count ("--bus-msgs", optarg, 1, 100000000)) < 0)
                    return 2;
                s_bench.bus_msgs = v;
                break;
            case 'p':
                if ((v = s_parse_count ("--port-base", optarg, 1024, 65535 - 14)) < 0)
                    return 2;
                s_bench.port_base = (int) v;
                break;
            case 'k':
                s_bench.keep = true;
                break;
            case 'e':
                s_bench.e2e = true;
                s_bench.archive_reads = "intake dispatcher escalation";
                break;
            case 'h':
                fputs (s_usage, stdout);
                return 0;
            default:
                fprintf (stderr, "(`gridloop-bench --help` lists the flags)\n");
                return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "gridloop-bench: unexpected argument '%s'\n(`gridloop-bench --help` "
                 "lists the flags)\n", argv [optind]);
        return 2;
    }
    if (s_bench.clients > s_bench.reports)
        s_bench.clients = (int) s_bench.reports;

    //  The services live next to this program.
    char self [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf (stderr, "gridloop-bench: cannot read /proc/self/exe: %s\n", strerror (errno));
        return 1;
    }
    self [len] = 0;
    char *slash = strrchr (self, '/');
    *slash = 0;
    snprintf (s_bench.bindir, sizeof s_bench.bindir, "%s", self [0]? self: "/");

    zsys_init ();                       //  SIGINT/SIGTERM set zsys_interrupted
    zsys_set_logstream (stderr);
    if (s_ports_free ())
        return 1;
    snprintf (s_bench.scratch, sizeof s_bench.scratch, "/tmp/gridloop-bench-XXXXXX");
    if (!mkdtemp (s_bench.scratch)) {
        fprintf (stderr, "gridloop-bench: cannot create a scratch directory under /tmp: %s\n",
                 strerror (errno));
        return 1;
    }
    signal (SIGPIPE, SIG_IGN);
    printf ("gridloop-bench %s: %lld reports per run from %d clients, %lld bus messages per "
            "full-speed run\nservices from %s, scratch %s, ports %d..%d\n", GL_VERSION,
            (long long) s_bench.reports, s_bench.clients, (long long) s_bench.bus_msgs,
            s_bench.bindir, s_bench.scratch, s_bench.port_base, s_bench.port_base + 14);
    fflush (stdout);

    int rc = 0;
    if (s_write_config () || s_start (S_BUS))
        rc = 1;
    if (rc == 0 && s_bench.e2e) {
        //  One report in flight per client unless --window says otherwise: the latencies are
        //  then the loop's, not time queued behind a client's own earlier reports.
        s_bench.window = s_bench.window_set? s_bench.pipelined: 1;
        rc = s_e2e_run ()? 1: 0;
    }
    else {
        //  Measurement 1 at one report in flight per client, then with each client keeping
        //  several in flight as an asynchronous client (a departmental system, a gateway) does:
        //  batches grow and commits amortise.
        int windows [2] = { 1, s_bench.pipelined };
        unsigned run = 1;
        for (int i = 0; i < (s_bench.pipelined > 1? 2: 1) && rc == 0 && !s_interrupted (); i++)
            rc = s_pipeline_pair (windows [i], &run);
        if (rc == 0 && !s_interrupted ())
            rc = s_security_pair (&run);
        if (rc == 0 && !s_interrupted () && s_flood_run ())
            rc = 1;
        if (rc == 0 && !s_interrupted () && s_bus_runs ())
            rc = 1;
    }
    s_stop_all ();
    if (zsys_interrupted) {
        fprintf (stderr, "gridloop-bench: interrupted\n");
        rc = 1;
    }
    if (s_nresults)
        s_summary ();
    if (s_bench.keep || rc)
        printf ("scratch directory kept: %s\n", s_bench.scratch);
    else
        s_rm_tree (s_bench.scratch);
    return rc;
}

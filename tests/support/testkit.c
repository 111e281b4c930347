/*  testkit — real processes on loopback for tests.  */
#define _GNU_SOURCE             //  nftw
#include "testkit.h"
#include "gl_json.h"
#include "gl_org.h"
#include "gl_security.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static int64_t s_status_within (tk_net_t *self, const char *name, const char *key,
                                int timeout_ms);

//  Nets still alive at exit (a failed assertion jumps past their destroy): their processes
//  must not outlive the test and hold its ports.
static tk_net_t *s_live [8];

void
tk_cleanup (void)
{
    for (int i = 0; i < 8; i++)
        if (s_live [i])
            tk_net_destroy (&s_live [i]);
}

static void
s_kill_leftovers (void)
{
    tk_cleanup ();
}

//  A test may have more than one network alive, each with its own certificates: every
//  connection to a network is made as that network's operator seat.
static tk_net_t *s_speaking_for;

static void
s_speak_for (tk_net_t *net)
{
    if (s_speaking_for != net) {
        gl_sec_init (&net->cfg, net->cfg.cert_name);
        s_speaking_for = net;
    }
}

tk_net_t *
tk_net_new (int port_base, const char *extra_cfg)
{
    static bool registered;
    if (!registered) {
        atexit (s_kill_leftovers);
        registered = true;
    }
    zsys_init ();
    zsys_set_logstream (stderr);
    tk_net_t *self = calloc (1, sizeof *self);
    snprintf (self->dir, sizeof self->dir, "/tmp/gridloop-test-XXXXXX");
    if (!mkdtemp (self->dir)) {
        fprintf (stderr, "FAIL: mkdtemp: %s\n", strerror (errno));
        exit (1);
    }
    ssize_t n = readlink ("/proc/self/exe", self->bin_dir, sizeof self->bin_dir - 1);
    self->bin_dir [n > 0? n: 0] = 0;
    char *slash = strrchr (self->bin_dir, '/');
    if (slash)
        *slash = 0;
    self->port_base = port_base;
    snprintf (self->cfg_path, sizeof self->cfg_path, "%s/gridloop.cfg", self->dir);
    FILE *f = fopen (self->cfg_path, "w");
    int b = port_base;
    fprintf (f,
        "data_dir = \"%s/var\"\n"
        "backup_dir = \"%s/backups\"\n"
        "log\n    level = \"notice\"\n"
        "limits\n    request_timeout_ms = 500\n"
        "bus\n    frontend = \"tcp://127.0.0.1:%d\"\n    backend = \"tcp://127.0.0.1:%d\"\n"
        "    control = \"tcp://127.0.0.1:%d\"\n"
        "intake\n    endpoint = \"tcp://127.0.0.1:%d\"\n"
        "dispatcher\n    endpoint = \"tcp://127.0.0.1:%d\"\n"
        "escalation\n    endpoint = \"tcp://127.0.0.1:%d\"\n"
        "archive\n    endpoint = \"tcp://127.0.0.1:%d\"\n    reads = \"intake\"\n"
        "metrics\n    endpoint = \"tcp://127.0.0.1:%d\"\n    http = \"127.0.0.1:%d\"\n"
        "domain\n    org = \"%s/deploy/yunyang/org.json\"\n"
        "    categories = \"%s/deploy/yunyang/categories.json\"\n"
        "    admission = \"%s/deploy/yunyang/admission.json\"\n"
        "    calendar = \"%s/deploy/yunyang/calendar.json\"\n"
        "    limits = \"%s/deploy/yunyang/limits.json\"\n"
        "    scores = \"%s/deploy/yunyang/scores.json\"\n"
        "security\n    certs = \"%s/certs\"\n",
        self->dir, self->dir, b, b + 1, b + 9, b + 10, b + 11, b + 12, b + 13, b + 14, b + 8,
        GL_SOURCE_DIR, GL_SOURCE_DIR, GL_SOURCE_DIR, GL_SOURCE_DIR, GL_SOURCE_DIR,
        GL_SOURCE_DIR, self->dir);
    fclose (f);
    //  Extra settings are appended as sections of their own: the loader applies every
    //  setting in file order, so a later value overrides an earlier one.
    if (extra_cfg) {
        f = fopen (self->cfg_path, "a");
        fputs (extra_cfg, f);
        fclose (f);
    }
    gl_err_t err;
    if (gl_config_load (&self->cfg, self->cfg_path, &err)) {
        fprintf (stderr, "FAIL: test config: %s\n", err.message);
        exit (1);
    }
    //  Secure, as a county runs: the county's certificates, and this test speaks as the
    //  operator seat (a test that plays a department or an intruder makes its own).
    if (gl_sec_on (&self->cfg) && gl_sec_county (&self->cfg, &err) < 0) {
        fprintf (stderr, "FAIL: test certificates: %s\n", err.message);
        exit (1);
    }
    s_speak_for (self);
    for (int i = 0; i < 8; i++)
        if (!s_live [i]) {
            s_live [i] = self;
            break;
        }
    return self;
}

static int
s_index (tk_net_t *self, const char *name, bool create)
{
    for (int i = 0; i < TK_MAX_PROCS; i++)
        if (self->names [i][0] && streq (self->names [i], name))
            return i;
    if (!create)
        return -1;
    for (int i = 0; i < TK_MAX_PROCS; i++)
        if (!self->names [i][0]) {
            snprintf (self->names [i], sizeof self->names [i], "%s", name);
            return i;
        }
    return -1;
}

//  Start gridloop-<name>, or with a fault spec its copy with fault injection (bin/fi/), its
//  output appended to <dir>/<name>.log.
static pid_t
s_spawn (tk_net_t *self, const char *name, const char *fault)
{
    int i = s_index (self, name, true);
    char bin [600], log [400];
    if (fault)
        snprintf (bin, sizeof bin, "%s/fi/gridloop-%s-fi", self->bin_dir, name);
    else
        snprintf (bin, sizeof bin, "%s/gridloop-%s", self->bin_dir, name);
    snprintf (log, sizeof log, "%s/%s.log", self->dir, name);
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2 (fd, 1);
        dup2 (fd, 2);
        if (fault)
            setenv ("GL_FAULT", fault, 1);
        execl (bin, bin, "--config", self->cfg_path, (char *) NULL);
        fprintf (stderr, "cannot run %s: %s\n", bin, strerror (errno));
        _exit (127);
    }
    self->pids [i] = pid;
    return pid;
}

pid_t
tk_spawn (tk_net_t *self, const char *name)
{
    return s_spawn (self, name, NULL);
}

pid_t
tk_spawn_fault (tk_net_t *self, const char *name, const char *fault)
{
    return s_spawn (self, name, fault);
}

int
tk_exited (tk_net_t *self, const char *name)
{
    int i = s_index (self, name, false);
    if (i < 0 || !self->pids [i])
        return -1;
    int status;
    if (waitpid (self->pids [i], &status, WNOHANG) != self->pids [i])
        return -1;
    self->pids [i] = 0;
    return WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
}

const char *
tk_endpoint (tk_net_t *self, const char *name)
{
    if (streq (name, "bus"))
        return self->cfg.bus_control;
    int svc = gl_svc_lookup (name, strlen (name));
    return svc < 0? NULL: self->cfg.svc [svc].endpoint;
}

pid_t
tk_start (tk_net_t *self, const char *name)
{
    return tk_start_fault (self, name, NULL);
}

pid_t
tk_start_fault (tk_net_t *self, const char *name, const char *fault)
{
    pid_t pid = s_spawn (self, name, fault);
    int64_t end = zclock_mono () + 15000;
    while (zclock_mono () < end) {
        int64_t answered = s_status_within (self, name, "pid", 50);
        if (answered == pid)
            return pid;
        if (answered > 0)               //  a stray process from an earlier run holds the port
            tk_fail (self, "port of %s is held by another process (pid %lld): kill it",
                     name, (long long) answered);
        int status;
        if (waitpid (pid, &status, WNOHANG) == pid) {
            self->pids [s_index (self, name, false)] = 0;
            if (fault && WIFEXITED (status) && WEXITSTATUS (status) == GL_FAULT_EXIT_CODE)
                return 0;               //  the fault fired while it started
            if (fault && WIFEXITED (status) && WEXITSTATUS (status) == 1)
                return 0;               //  a failed commit stopped it at start
            tk_fail (self, "gridloop-%s exited at start (see %s/%s.log)", name, self->dir, name);
        }
    }
    tk_fail (self, "gridloop-%s did not answer status within 15 s", name);
    return -1;
}

void
tk_kill (tk_net_t *self, const char *name, int sig)
{
    int i = s_index (self, name, false);
    if (i < 0 || !self->pids [i])
        return;
    kill (self->pids [i], sig);
    waitpid (self->pids [i], NULL, 0);
    self->pids [i] = 0;
}

static int
s_rmtree (const char *dir)
{
    return nftw (dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

void
tk_net_destroy (tk_net_t **self_p)
{
    if (self_p && *self_p == s_speaking_for)
        s_speaking_for = NULL;
    if (!self_p || !*self_p)
        return;
    tk_net_t *self = *self_p;
    //  Every process told first, then each waited for: they stop in parallel. SIGCONT too:
    //  a process the test froze (SIGSTOP) and failed before thawing would never stop.
    for (int i = 0; i < TK_MAX_PROCS; i++)
        if (self->pids [i]) {
            kill (self->pids [i], SIGTERM);
            kill (self->pids [i], SIGCONT);
        }
    for (int i = 0; i < TK_MAX_PROCS; i++)
        if (self->pids [i]) {
            waitpid (self->pids [i], NULL, 0);
            self->pids [i] = 0;
        }
    if (getenv ("GL_KEEP"))
        fprintf (stderr, "kept %s\n", self->dir);
    else
        s_rmtree (self->dir);
    for (int i = 0; i < 8; i++)
        if (s_live [i] == self)
            s_live [i] = NULL;
    free (self);
    *self_p = NULL;
}

void
tk_fail (tk_net_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "FAIL: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    if (self) {
        //  What every process says of itself now: the test's own evidence, with its logs.
        for (int i = 0; i < TK_MAX_PROCS; i++)
            if (self->names [i][0] && self->pids [i]) {
                msgpack_sbuffer req;
                gl_request_build (&req, "status", false, NULL);
                gl_doc_t answer;
                if (tk_call (self, self->names [i], req.data, req.size, &answer, 500) == 0) {
                    const char *keys [] = { "epoch", "last_seq", "inbox", "rejected" };
                    fprintf (stderr, "--- %s:", self->names [i]);
                    for (int k = 0; k < 4; k++) {
                        const msgpack_object *o = gl_map_get (&answer.root, keys [k]);
                        char *text = o? gl_json_line (o): NULL;
                        fprintf (stderr, " %s %s", keys [k], text? text: "-");
                        free (text);
                    }
                    fprintf (stderr, "\n");
                }
                else {
                    fprintf (stderr, "--- %s (pid %d) does not answer status\n",
                             self->names [i], (int) self->pids [i]);
                    if (getenv ("GL_DEBUG_HANG")) {
                        char cmd [200];
                        snprintf (cmd, sizeof cmd, "grep State /proc/%d/status; gdb -p %d -batch "
                                  "-ex 'thread apply all bt' 2>/dev/null | grep -E '^#|Thread'",
                                  (int) self->pids [i], (int) self->pids [i]);
                        if (system (cmd)) {}
                    }
                }
                gl_doc_fini (&answer);
                msgpack_sbuffer_destroy (&req);
            }
        //  Show the tail of every log: the test's own evidence.
        for (int i = 0; i < TK_MAX_PROCS; i++)
            if (self->names [i][0]) {
                char cmd [700];
                snprintf (cmd, sizeof cmd, "echo '--- %s.log'; tail -n 20 %s/%s.log",
                          self->names [i], self->dir, self->names [i]);
                if (system (cmd)) {}
            }
        tk_net_destroy (&self);
    }
    exit (1);
}

int
tk_call (tk_net_t *self, const char *name, const void *req, size_t len, gl_doc_t *answer,
         int timeout_ms)
{
    s_speak_for (self);
    gl_client_t *client = gl_client_new (tk_endpoint (self, name), timeout_ms,
                                         self->cfg.max_msg_bytes);
    gl_err_t err;
    int rc = gl_client_call (client, req, len, answer, 1, &err);
    gl_client_destroy (&client);
    return rc;
}

//  A number from a service's status, asking once with a wait of timeout_ms.
static int64_t
s_status_within (tk_net_t *self, const char *name, const char *key, int timeout_ms)
{
    msgpack_sbuffer req;
    gl_request_build (&req, "status", false, NULL);
    gl_doc_t answer;
    int rc = tk_call (self, name, req.data, req.size, &answer, timeout_ms);
    msgpack_sbuffer_destroy (&req);
    int64_t value = -1;
    if (rc == 0) {
        const msgpack_object *o = &answer.root;
        char path [128];
        snprintf (path, sizeof path, "%s", key);
        char *save = NULL;
        for (char *part = strtok_r (path, ".", &save); part && o; part = strtok_r (NULL, ".", &save))
            o = gl_map_get (o, part);
        if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            value = (int64_t) o->via.u64;
        else
        if (!o && strchr (key, '.'))
            value = 0;                  //  a producer not yet heard from: at 0
    }
    gl_doc_fini (&answer);
    return value;
}

gl_code_t
tk_ask (tk_net_t *self, const char *name, const char *op, gl_mapw_t *fields, gl_doc_t *answer,
        gl_err_t *err)
{
    msgpack_sbuffer req;
    gl_request_build (&req, op, false, fields);
    int rc = tk_call (self, name, req.data, req.size, answer, 10000);
    msgpack_sbuffer_destroy (&req);
    if (rc)
        tk_fail (self, "%s did not answer %s within 10 s", name, op);
    return gl_answer_check (&answer->root, err)? err->code: GL_OK;
}

gl_code_t
tk_ask_id (tk_net_t *self, const char *name, const char *op, const char *id, gl_doc_t *answer,
           gl_err_t *err)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", id);
    gl_code_t code = tk_ask (self, name, op, &w, answer, err);
    gl_mapw_fini (&w);
    return code;
}

void
tk_advance (tk_net_t *self, const char *name, int64_t ms)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_i64 (&w, "advance_ms", ms);
    gl_doc_t answer;
    gl_err_t err;
    if (tk_ask (self, name, "clock", &w, &answer, &err) != GL_OK)
        tk_fail (self, "%s refused to move its clock: %s", name, err.message);
    gl_doc_fini (&answer);
    gl_mapw_fini (&w);
}

int64_t
tk_status (tk_net_t *self, const char *name, const char *key)
{
    return s_status_within (self, name, key, 300);
}

int
tk_wait_caught_up (tk_net_t *self, const char *consumer, const char *producer,
                   int64_t min_seq, int timeout_ms)
{
    char last_key [64], epoch_key [64];
    snprintf (last_key, sizeof last_key, "inbox.%s.last", producer);
    snprintf (epoch_key, sizeof epoch_key, "inbox.%s.epoch", producer);
    int64_t end = zclock_mono () + timeout_ms;
    while (zclock_mono () < end) {
        int64_t last = tk_status (self, producer, "last_seq");
        int64_t epoch = tk_status (self, producer, "epoch");
        //  Caught up: the consumer follows the producer's epoch (a restored producer's new
        //  one included) and has applied its last seq.
        if (last >= min_seq && tk_status (self, consumer, last_key) == last
        &&  tk_status (self, consumer, epoch_key) == epoch)
            return 0;
        zclock_sleep (50);              //  polling a remote process: nothing to wait on
    }
    return -1;
}

long
tk_peak_rss_kb (pid_t pid)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen (path, "r");
    long kb = -1;
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "VmHWM:", 6) == 0)
            kb = atol (line + 6);
    if (f)
        fclose (f);
    return kb;
}

void
tk_report_request (msgpack_sbuffer *out, const char *req_id, unsigned n, unsigned pad)
{
    static const char *grids [] = { "SJ-01-01", "QL-02-03", "RH-03-02", "PL-04-05" };
    static const char *cats [] = { "03.01", "01.02", "05.03", "06.01" };
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    char description [4000];
    int len = snprintf (description, 200, "滨江社区%u栋楼道堆放杂物，存在消防隐患 (#%u)",
                        n % 40 + 1, n);
    if (pad > sizeof description - 200)
        pad = sizeof description - 200;
    memset (description + len, '.', pad);       //  a long account, to fill buffers fast
    description [len + pad] = 0;
    msgpack_pack_map (&pk, 7);
    gl_pack_cstr (&pk, "op");
    gl_pack_cstr (&pk, "report");
    gl_pack_cstr (&pk, "req_id");
    gl_pack_cstr (&pk, req_id);
    gl_pack_cstr (&pk, "category");
    gl_pack_cstr (&pk, cats [n % 4]);
    gl_pack_cstr (&pk, "grid");
    gl_pack_cstr (&pk, grids [n % 4]);
    gl_pack_cstr (&pk, "description");
    gl_pack_cstr (&pk, description);
    gl_pack_cstr (&pk, "reporter");
    msgpack_pack_map (&pk, 2);
    gl_pack_cstr (&pk, "id");
    gl_pack_cstr (&pk, "GW-0001");
    gl_pack_cstr (&pk, "role");
    gl_pack_cstr (&pk, "grid_leader");
    gl_pack_cstr (&pk, "channel");
    gl_pack_cstr (&pk, "app");
}

long
tk_archive_events (tk_net_t *self, char ***ids_p, uint64_t **counts_p)
{
    size_t cap = 1024, n = 0;
    char **ids = malloc (cap * sizeof (char *));
    uint64_t *counts = malloc (cap * sizeof (uint64_t));
    char after [GL_MAX_NAME + 1] = "";
    for (;;) {
        gl_mapw_t w;
        gl_mapw_init (&w);
        if (*after)
            gl_mapw_str (&w, "after", after);
        gl_mapw_u64 (&w, "limit", 1000);
        msgpack_sbuffer req;
        gl_request_build (&req, "list", false, &w);
        gl_mapw_fini (&w);
        gl_doc_t answer;
        int rc = tk_call (self, "archive", req.data, req.size, &answer, 5000);
        msgpack_sbuffer_destroy (&req);
        gl_err_t err;
        if (rc || gl_answer_check (&answer.root, &err)) {
            gl_doc_fini (&answer);
            free (ids);
            free (counts);
            return -1;
        }
        const msgpack_object *events = gl_map_get (&answer.root, "events");
        for (uint32_t i = 0; events && i < events->via.array.size; i++) {
            if (n == cap) {
                cap *= 2;
                ids = realloc (ids, cap * sizeof (char *));
                counts = realloc (counts, cap * sizeof (uint64_t));
            }
            char id [GL_MAX_NAME + 1] = "";
            gl_get_strbuf (&events->via.array.ptr [i], "id", id, sizeof id);
            counts [n] = 0;
            gl_get_u64 (&events->via.array.ptr [i], "count", &counts [n]);
            ids [n++] = strdup (id);
        }
        bool more = gl_get_strbuf (&answer.root, "next", after, sizeof after);
        gl_doc_fini (&answer);
        if (!more)
            break;
    }
    *ids_p = ids;
    *counts_p = counts;
    return (long) n;
}

//  ---------------------------------------------------------------------------------------------
//  Load: concurrent clients that retry unanswered calls with the same req_id, as real ones do.

typedef struct {
    zsock_t *sock;              //  current connection
    long index;                 //  report being sent, -1 when idle
    msgpack_sbuffer req;        //  its bytes (same on every retry)
    int64_t sent_at;            //  monotonic ms of the last try
} s_slot_t;

static void
s_slot_send (tk_net_t *net, s_slot_t *slot, bool fresh)
{
    if (fresh || !slot->sock) {
        zsock_destroy (&slot->sock);
        slot->sock = zsock_new (ZMQ_DEALER);
        gl_socket_limits (slot->sock, net->cfg.max_msg_bytes, 0);
        tk_connect (net, slot->sock, tk_endpoint (net, "intake"));
    }
    zmq_send (zsock_resolve (slot->sock), "", 0, ZMQ_SNDMORE);
    zmq_send (zsock_resolve (slot->sock), slot->req.data, slot->req.size, 0);
    slot->sent_at = zclock_mono ();
}

int
tk_load_run (tk_net_t *net, tk_load_t *load)
{
    s_slot_t *slots = calloc (load->clients, sizeof (s_slot_t));
    zmq_pollitem_t *items = calloc (load->clients, sizeof (zmq_pollitem_t));
    load->ids = calloc (load->total, sizeof (char *));
    unsigned next = 0, outstanding = 0;
    //  req_ids unique per process and load: a second load must not look like retries.
    static unsigned loads;
    char tag [32];
    snprintf (tag, sizeof tag, "%x.%u", (unsigned) getpid (), ++loads);
    for (unsigned c = 0; c < load->clients; c++)
        slots [c].index = -1;
    while (load->acked + load->errors < load->total && !zsys_interrupted) {
        for (unsigned c = 0; c < load->clients; c++) {
            s_slot_t *slot = &slots [c];
            if (slot->index < 0 && next < load->total) {
                char req_id [64];
                snprintf (req_id, sizeof req_id, "%s-%u", tag, next);
                msgpack_sbuffer_destroy (&slot->req);
                tk_report_request (&slot->req, req_id, next, load->pad);
                slot->index = next++;
                outstanding++;
                s_slot_send (net, slot, false);
            }
            items [c].socket = slot->sock? zsock_resolve (slot->sock): NULL;
            items [c].events = ZMQ_POLLIN;
            items [c].revents = 0;
        }
        zmq_poll (items, (int) load->clients, 20);
        int64_t now = zclock_mono ();
        for (unsigned c = 0; c < load->clients; c++) {
            s_slot_t *slot = &slots [c];
            if (slot->index < 0)
                continue;
            if (items [c].revents & ZMQ_POLLIN) {
                zmsg_t *msg = zmsg_recv (slot->sock);
                zframe_t *payload = msg? zmsg_last (msg): NULL;
                gl_doc_t doc;
                gl_err_t err;
                if (payload && gl_doc_parse (&doc, zframe_data (payload), zframe_size (payload),
                                             &err) == 0) {
                    char id [GL_MAX_NAME + 1];
                    if (gl_answer_check (&doc.root, &err) == 0
                    &&  gl_get_strbuf (&doc.root, "id", id, sizeof id)) {
                        load->ids [slot->index] = strdup (id);
                        load->acked++;
                        slot->index = -1;
                        outstanding--;
                    }
                    else
                    if (err.code == GL_UNAVAILABLE)
                        s_slot_send (net, slot, false);
                    else {
                        fprintf (stderr, "report %ld refused: %s %s\n", slot->index,
                                 gl_code_name (err.code), err.message);
                        load->errors++;
                        slot->index = -1;
                        outstanding--;
                    }
                }
                gl_doc_fini (&doc);
                zmsg_destroy (&msg);
            }
            else
            if (now - slot->sent_at >= load->timeout_ms) {
                load->retries++;
                s_slot_send (net, slot, true);    //  same bytes, same req_id, fresh socket
            }
        }
        if (load->between)
            load->between (load->arg, load->acked);
    }
    for (unsigned c = 0; c < load->clients; c++) {
        zsock_destroy (&slots [c].sock);
        msgpack_sbuffer_destroy (&slots [c].req);
    }
    free (slots);
    free (items);
    return load->acked == load->total? 0: -1;
}

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

void
tk_check_exactly_once (tk_net_t *net, tk_load_t *load)
{
    TK_CHECK (net, load->acked == load->total, "only %u of %u reports acknowledged",
              load->acked, load->total);
    TK_CHECK (net, tk_wait_caught_up (net, "archive", "intake", load->total, 60000) == 0,
              "archive did not catch up with intake within 60 s (intake last_seq %lld, "
              "archive at %lld)", (long long) tk_status (net, "intake", "last_seq"),
              (long long) tk_status (net, "archive", "inbox.intake.last"));
    int64_t last = tk_status (net, "intake", "last_seq");
    TK_CHECK (net, last == (int64_t) load->total, "intake published %lld events for %u "
              "reports: a retry created a second event", (long long) last, load->total);
    char **ids;
    uint64_t *counts;
    long n = tk_archive_events (net, &ids, &counts);
    TK_CHECK (net, n == (long) load->total, "archive holds %ld events, expected %u", n,
              load->total);
    for (long i = 0; i < n; i++)
        TK_CHECK (net, counts [i] == 1, "archive holds event %s %llu times", ids [i],
                  (unsigned long long) counts [i]);
    //  The acknowledged ids, sorted, must be exactly the archive's (which list sorted).
    char **acked = malloc (load->total * sizeof (char *));
    memcpy (acked, load->ids, load->total * sizeof (char *));
    qsort (acked, load->total, sizeof (char *), s_strcmp);
    for (unsigned i = 0; i < load->total; i++) {
        TK_CHECK (net, i == 0 || strcmp (acked [i - 1], acked [i]) != 0,
                  "two reports were acknowledged with the same id %s", acked [i]);
        TK_CHECK (net, strcmp (acked [i], ids [i]) == 0, "acknowledged %s but archive has %s "
                  "in its place", acked [i], ids [i]);
    }
    free (acked);
    for (long i = 0; i < n; i++)
        free (ids [i]);
    free (ids);
    free (counts);
}

void
tk_connect (tk_net_t *net, zsock_t *sock, const char *endpoint)
{
    s_speak_for (net);
    gl_err_t err;
    if (gl_sec_connect (sock, endpoint, &err))
        tk_fail (net, "cannot connect to %s: %s", endpoint, err.message);
}

char *
tk_reported (tk_net_t *net, json_t *doc, const char *want)
{
    static unsigned reports;
    char req_id [48];
    snprintf (req_id, sizeof req_id, "tk-report-%d-%u", (int) getpid (), ++reports);
    json_object_set_new (doc, "req_id", json_string (req_id));
    gl_code_t code;
    char message [512];
    json_t *answer = tk_send_json (net, "intake", doc, &code, message, sizeof message);
    TK_CHECK (net, code == GL_OK, "report refused: %s %s", gl_code_name (code), message);
    char *id = strdup (json_string_value (json_object_get (answer, "id")));
    json_decref (answer);
    //  The dispatcher takes it from intake's stream: poll until it holds it so.
    int64_t end = zclock_mono () + 15000;
    for (;;) {
        json_t *get = json_pack ("{s:s, s:s}", "op", "get", "id", id);
        answer = tk_send_json (net, "dispatcher", get, &code, NULL, 0);
        json_decref (get);
        const char *state = json_string_value (
            json_object_get (json_object_get (answer, "event"), "state"));
        bool done = code == GL_OK && state && (!want || streq (state, want));
        json_decref (answer);
        if (done)
            return id;
        TK_CHECK (net, zclock_mono () < end, "%s is not %s within 15 s", id, want? want: "held");
        zclock_sleep (10);              //  another process: nothing to wait on but time
    }
}

int64_t
tk_local_ms (const char *text)
{
    int y, mo, d, h, mi;
    if (sscanf (text, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) != 5) {
        fprintf (stderr, "FAIL: bad test instant \"%s\"\n", text);
        exit (1);
    }
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi };
    return ((int64_t) timegm (&tm) - 8 * 3600) * 1000;
}

void
tk_act (tk_net_t *net, const char *op, const char *id, const char *actor, const char *fields)
{
    static unsigned requests;
    char req_id [48];
    snprintf (req_id, sizeof req_id, "tk-act-%d-%u", (int) getpid (), ++requests);
    json_t *doc = json_pack ("{s:s, s:s, s:s, s:{s:s}}", "op", op, "req_id", req_id, "id", id,
                             "actor", "unit", actor);
    const char *person = tk_person_for (net, op, actor);
    if (person)
        json_object_set_new (json_object_get (doc, "actor"), "person", json_string (person));
    if (fields) {
        json_t *extra = tk_json (fields);
        json_object_update (doc, extra);
        json_decref (extra);
    }
    gl_code_t code;
    char message [512];
    json_t *answer = tk_send_json (net, "dispatcher", doc, &code, message, sizeof message);
    json_decref (doc);
    json_decref (answer);
    TK_CHECK (net, code == GL_OK, "%s of %s by %s refused: %s %s", op, id, actor,
              gl_code_name (code), message);
}

const char *
tk_person_for (tk_net_t *net, const char *op, const char *unit_id)
{
    //  Loaded once per test process: every network of a test file runs the same county.
    static gl_org_t *org;
    if (!org) {
        gl_err_t err;
        org = gl_org_load (net->cfg.org_path, net->cfg.categories_path, NULL, &err);
        if (!org)
            tk_fail (net, "cannot load the county: %s", err.message);
    }
    const gl_unit_t *unit = gl_org_unit (org, unit_id);
    unsigned roles = unit? gl_org_action_roles (org, op, unit->kind): 0;
    size_t count = 0;
    const gl_person_t *const *staff = roles? gl_org_people (org, unit->id, &count): NULL;
    for (size_t i = 0; i < count; i++)
        if (roles & (1u << staff [i]->role))
            return staff [i]->id;
    return NULL;
}

json_t *
tk_send_json (tk_net_t *net, const char *service, json_t *doc, gl_code_t *code, char *message,
              size_t size)
{
    msgpack_sbuffer req;
    msgpack_sbuffer_init (&req);
    msgpack_packer pk;
    gl_packer_init (&pk, &req);
    gl_err_t err;
    if (gl_json_to_msgpack (doc, &pk, &err))
        tk_fail (net, "a test request is not a valid message: %s", err.message);
    gl_doc_t answer;
    if (tk_call (net, service, req.data, req.size, &answer, 10000))
        tk_fail (net, "%s did not answer", service);
    msgpack_sbuffer_destroy (&req);
    err.code = GL_OK;
    err.message [0] = 0;
    *code = gl_answer_check (&answer.root, &err) == 0? GL_OK: err.code;
    if (message)
        snprintf (message, size, "%s", err.message);
    json_t *json = gl_json_from_msgpack (&answer.root);
    gl_doc_fini (&answer);
    return json;
}

json_t *
tk_json (const char *text)
{
    json_error_t error;
    json_t *doc = json_loads (text, JSON_PRESERVE_ORDER, &error);
    if (!doc) {
        fprintf (stderr, "FAIL: bad test JSON (%s): %s\n", error.text, text);
        exit (1);
    }
    return doc;
}

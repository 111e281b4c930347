/*  testkit — real gridloop processes on loopback for integration and fault tests: a scratch
    data directory, a config with the test's own ports, start/kill/restart, and calls through
    the public protocol only.  */
#ifndef TESTKIT_H
#define TESTKIT_H

#include "gl_client.h"
#include "gl_config.h"
#include "gl_fault.h"
#include <jansson.h>
#include <sys/types.h>

#define TK_MAX_PROCS 8

typedef struct {
    char dir [256];             //  scratch directory (data, config, logs)
    char cfg_path [320];        //  the config file written there
    char bin_dir [512];         //  where the gridloop-* binaries are
    gl_config_t cfg;            //  the same config, loaded
    int port_base;              //  ports used: base+0..base+14
    char names [TK_MAX_PROCS][32];  //  started processes
    pid_t pids [TK_MAX_PROCS];  //  their pids (0: not running)
} tk_net_t;

/*  A scratch network on ports port_base.. with extra ZPL settings appended (may be NULL).
    Exits the test with a message on failure.  */
tk_net_t *tk_net_new (int port_base, const char *extra_cfg);
/*  Kill every process and remove the scratch directory (kept if GL_KEEP is set).  */
void tk_net_destroy (tk_net_t **self_p);
/*  Destroy every network still alive (a test that failed an assertion left it).  */
void tk_cleanup (void);
/*  Start gridloop-<name>; wait until it answers status (bus: on its control). Returns pid.  */
pid_t tk_start (tk_net_t *self, const char *name);
/*  Start without waiting for it to answer.  */
pid_t tk_spawn (tk_net_t *self, const char *name);
/*  The same for gridloop-<name>-fi, the copy with countdown fault injection (gl_fault.h), with
    GL_FAULT=fault in its environment. tk_start_fault returns 0 when the fault stopped the
    process while it started.  */
pid_t tk_spawn_fault (tk_net_t *self, const char *name, const char *fault);
pid_t tk_start_fault (tk_net_t *self, const char *name, const char *fault);
/*  When the process has exited: reap it and return its exit status (128 + signal for a
    signal); -1 while it runs.  */
int tk_exited (tk_net_t *self, const char *name);
/*  Send sig and reap the process.  */
void tk_kill (tk_net_t *self, const char *name, int sig);
/*  The ROUTER endpoint of a service (bus: its control).  */
const char *tk_endpoint (tk_net_t *self, const char *name);
/*  Connect sock to endpoint as the operator seat (CURVE, as every client of the network;
    gl_security.h): set the socket's options first. Fails the test when it cannot.  */
void tk_connect (tk_net_t *net, zsock_t *sock, const char *endpoint);
/*  Call a service with a request; returns 0 and the answer, or -1 (no answer).  */
int tk_call (tk_net_t *self, const char *name, const void *req, size_t len, gl_doc_t *answer,
             int timeout_ms);
/*  Ask a service: op with fields (may be NULL) as a read-only request. Returns GL_OK with the
    answer, or the refusal's code with err set; answer needs gl_doc_fini either way. Fails the
    test when the service does not answer within 10 s.  */
gl_code_t tk_ask (tk_net_t *self, const char *name, const char *op, gl_mapw_t *fields,
                  gl_doc_t *answer, gl_err_t *err);
/*  The same with one field, "id".  */
gl_code_t tk_ask_id (tk_net_t *self, const char *name, const char *op, const char *id,
                     gl_doc_t *answer, gl_err_t *err);
/*  Move a manual-clock service's clock forward by ms (fails the test if it refuses).  */
void tk_advance (tk_net_t *self, const char *name, int64_t ms);
/*  A number from a service's status: key like "last_seq" or "inbox.intake.last";
    returns -1 when the service does not answer.  */
int64_t tk_status (tk_net_t *self, const char *name, const char *key);
/*  Wait until consumer's inbox position for producer is producer's epoch and last_seq (and that
    is at least min_seq). Returns 0, or -1 after timeout_ms.  */
int tk_wait_caught_up (tk_net_t *self, const char *consumer, const char *producer,
                       int64_t min_seq, int timeout_ms);
/*  Peak resident memory of a process in KB (VmHWM), or -1.  */
long tk_peak_rss_kb (pid_t pid);

/*  A report request with the given req_id and a description mentioning n, padded with pad
    more bytes.  */
void tk_report_request (msgpack_sbuffer *out, const char *req_id, unsigned n, unsigned pad);

/*  Every event id the archive holds with its message count: calls list page by page.
    Returns the number of events, or -1; ids and counts are arrays the caller frees.  */
long tk_archive_events (tk_net_t *self, char ***ids, uint64_t **counts);

/*  A load of reports from concurrent clients, each retrying an unanswered call on a fresh
    socket with the same req_id, as a real client does.  */
typedef struct {
    unsigned total;             //  reports to send
    unsigned clients;           //  concurrent clients, one request outstanding each
    int timeout_ms;             //  wait per try
    unsigned pad;               //  bytes added to each description
    void (*between) (void *arg, unsigned acked);   //  called between polls: fault injection
    void *arg;                  //  its argument
    char **ids;                 //  out: event id per report (NULL if not acknowledged)
    unsigned acked;             //  out: reports acknowledged ok
    unsigned retries;           //  out: tries that timed out and were sent again
    unsigned errors;            //  out: reports refused for good
} tk_load_t;

/*  Run the load against intake. Returns 0 when every report was acknowledged.  */
int tk_load_run (tk_net_t *net, tk_load_t *load);
/*  The proof: archive caught up, intake made exactly one event per report, archive holds
    every acknowledged id exactly once and nothing else. Fails the test otherwise.  */
void tk_check_exactly_once (tk_net_t *net, tk_load_t *load);

/*  Send doc (JSON, as a departmental system would write it) to a service as msgpack; returns
    the answer as JSON, with *code its result (GL_OK or the refusal's code) and the refusal's
    message in message (may be NULL). Fails the test when the service does not answer in 10 s.  */
json_t *tk_send_json (tk_net_t *net, const char *service, json_t *doc, gl_code_t *code,
                      char *message, size_t size);
/*  JSON text of a test (keys kept in order); fails the test when it is not JSON.  */
json_t *tk_json (const char *text);

/*  Who acts for unit in op when a test names nobody: the first of the unit's staff whose role
    the county's rules (org.json "actions") allow for op, or NULL when no rule names people
    for it. The county is the network's (its domain files).  */
const char *tk_person_for (tk_net_t *net, const char *op, const char *unit);

/*  Report doc (a JSON report request; its req_id is set here) to intake, which must accept
    it, then wait until the dispatcher holds the new event in state (e.g. "DISPATCHED"; NULL:
    any). Returns its id (free it). Fails the test on a refusal or after 15 s.  */
char *tk_reported (tk_net_t *net, json_t *doc, const char *state);

/*  The county-local (UTC+8) instant "YYYY-MM-DDTHH:MM" in ms since 1970, worked out without
    the calendar under test; fails the test on a malformed instant.  */
int64_t tk_local_ms (const char *text);
/*  A lifecycle operation of the dispatcher that must be carried out: op on event id by unit
    actor (acting through tk_person_for's person), with the extra fields of a JSON object text
    (may be NULL). Fails the test when it is refused.  */
void tk_act (tk_net_t *net, const char *op, const char *id, const char *actor,
             const char *fields);

/*  Print and fail: "FAIL: ..." then exit(1) after cleaning up the network.  */
void tk_fail (tk_net_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
#define TK_CHECK(net, cond, ...) do { if (!(cond)) tk_fail (net, __VA_ARGS__); } while (0)

#endif

/*  gl_service — the service skeleton and its batch loop (group commit).  */
#include "gl_service.h"
#include "gl_security.h"
#include "gl_alloc.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#define S_HEARTBEAT_MS  1000    //  heartbeat period: consumers notice a lost last message
#define S_HOUSEKEEP_MS  60000   //  retention runs this often
#define S_TICK_MS       1000    //  timers (the tick hook) run this often: deadlines are in
                                //  minutes, so a second late is on time
#define S_TRIM_LIMIT    20000   //  most entries deleted per table per round (short txns)
#define S_POLL_MS       100     //  longest sleep, so timers stay on time
#define S_WROTE_THEN_REFUSED (-2)   //  a handler or consume function broke its contract
#define S_POISON_MAX    64      //  messages held out of a batch at once for that reason
#define S_PAGE_COST     3       //  an inbox item costs about this many times its bytes parsed

typedef enum { S_REQUEST, S_MESSAGE } s_kind_t;

typedef struct {
    s_kind_t kind;              //  request or consumed item
    gl_request_t req;           //  S_REQUEST: route and payload
    gl_doc_t doc;               //  S_REQUEST: the parsed payload
    const gl_op_t *op;          //  S_REQUEST: its operation
    msgpack_sbuffer answer;     //  S_REQUEST: the answer, once processed
    bool refused;               //  S_REQUEST: the answer is an error (counted in status)
    bool poisoned;              //  S_REQUEST: refused after writing; answered without running
    gl_inbox_item_t *in;        //  S_MESSAGE: live message or replay page
    gl_caller_t caller;         //  S_REQUEST: who sent it, from the connection
} s_item_t;

//  A consumed message held out of the batch: its consume function refused it after writing.
typedef struct {
    char src [GL_MAX_NAME + 1]; //  the producer
    uint64_t epoch, seq;        //  which message
} s_poison_t;

struct gl_ctx_s {
    gl_service_t *service;      //  whose batch
    MDB_txn *txn;               //  the batch's write transaction
    int64_t now;                //  the batch's time
    gl_err_t emit_err;          //  why the last gl_ctx_emit refused, if it did
    bool more;                  //  the tick hook has more due: run it again at once
    size_t current;             //  the request being handled (index in items)
};

struct gl_service_s {
    const gl_service_def_t *def;    //  what this service is
    gl_config_t cfg;            //  its settings
    void *state;                //  the service's own state
    gl_org_t *org;              //  the county, when needs_org
    gl_store_t *store;          //  its LMDB environment
    gl_outbox_t *outbox;        //  what it publishes
    gl_inbox_t *inbox;          //  what it consumes (NULL if nothing)
    zsock_t *router;            //  requests
    zsock_t *pub;               //  publications, to the bus frontend
    MDB_dbi answers;            //  req_id -> record (ts, op, fingerprint + answer)
    MDB_dbi answers_ts;         //  ts (8) + req_id -> nothing: retention order
    s_item_t *items;            //  the batch being gathered
    size_t nitems;              //  items in it
    s_item_t *held;             //  the batch committed and waiting to be durable (pipelined)
    size_t nheld;               //  items in it
    size_t held_cost;           //  their parsed bytes: counted in the next batch's memory bound
    size_t held_msgs;           //  its publications: the outbox's first pending messages
    uint64_t held_txn;          //  the commit it waits for (a txnid)
    bool holding;               //  a batch (or a timer round's publications) is held
    zactor_t *syncer;           //  the thread that makes held commits durable (pipelined)
    uint64_t sync_asked;        //  the txnid its sync under way covers (0: idle)
    size_t cost;                //  their parsed bytes
    gl_inbox_item_t **pages;    //  inbox items of the batch, for gl_inbox_commit
    s_poison_t poison [S_POISON_MAX];   //  messages held out (a ring)
    size_t npoison;             //  entries ever added (the ring's head is npoison % MAX)
    gl_ctx_t ctx;               //  handed to handlers
    gl_mapw_t fields;           //  reused answer builder
    msgpack_sbuffer scratch;    //  reused for fingerprints
    zactor_t *backup;           //  the backup running, if any
    gl_request_t backup_req;    //  whom to answer when it is done
    char backup_path [512];     //  where it goes
    int64_t started;            //  monotonic ms at start
    int64_t next_housekeep;     //  monotonic ms of the next retention round
    int64_t next_tick;          //  monotonic ms of the next timer round (def->tick)
    uint64_t requests;          //  requests answered
    uint64_t errors;            //  error answers and refused messages
    uint64_t identity_refused;  //  requests whose body claimed another unit than their certificate
    uint64_t published;         //  messages handed to the publisher
    uint64_t batches;           //  write transactions committed
    uint64_t refused_writes;    //  handlers and consume functions that broke their contract
    //  Where the batch loop's time goes, µs since start (status: stages_us), for profiling.
    uint64_t gather_us;         //  reading and parsing requests and messages
    uint64_t apply_us;          //  handlers and consume functions, in the write transaction
    uint64_t commit_us;         //  LMDB's commit: writing pages, the data sync (and under sync
                                //  the meta page's)
    uint64_t release_us;        //  publishing and answering durable batches
    uint64_t flush_us;          //  syncs the loop waited for (pipelined: a batch that wrote
                                //  nothing while one was held, a failed commit, a status
                                //  request, the stop)
};

static void s_flush (gl_service_t *self);

//  ---------------------------------------------------------------------------------------------

void *
gl_service_state (gl_service_t *self)
{
    return self->state;
}

void
gl_service_set_state (gl_service_t *self, void *state)
{
    self->state = state;
}

gl_store_t *
gl_service_store (gl_service_t *self)
{
    return self->store;
}

const gl_config_t *
gl_service_config (gl_service_t *self)
{
    return &self->cfg;
}

gl_org_t *
gl_service_org (gl_service_t *self)
{
    return self->org;
}

gl_outbox_t *
gl_service_outbox (gl_service_t *self)
{
    return self->outbox;
}

typedef struct {
    MDB_dbi dbi;                //  where the counters are
    const char *const *names;   //  which, NULL-terminated
    gl_mapw_t *w;               //  where they go
} s_counters_t;

static int
s_read_counters (MDB_txn *txn, void *arg)
{
    s_counters_t *c = arg;
    for (const char *const *name = c->names; *name; name++) {
        uint64_t value = 0;
        gl_db_get_u64 (txn, c->dbi, *name, strlen (*name), &value);
        gl_mapw_u64 (c->w, *name, value);
    }
    return 0;
}

void
gl_service_status_counters (gl_service_t *self, const char *db, const char *const *names,
                            gl_mapw_t *w)
{
    s_counters_t c = { gl_store_dbi (self->store, db), names, w };
    gl_store_read (self->store, s_read_counters, &c);
}

MDB_txn *
gl_ctx_txn (gl_ctx_t *ctx)
{
    return ctx->txn;
}

gl_service_t *
gl_ctx_service (gl_ctx_t *ctx)
{
    return ctx->service;
}

const gl_caller_t *
gl_ctx_caller (gl_ctx_t *ctx)
{
    static const gl_caller_t none;
    gl_service_t *self = ctx->service;
    if (ctx->current >= self->nitems || self->items [ctx->current].kind != S_REQUEST)
        return &none;
    return &self->items [ctx->current].caller;
}

void *
gl_ctx_state (gl_ctx_t *ctx)
{
    return ctx->service->state;
}

gl_org_t *
gl_ctx_org (gl_ctx_t *ctx)
{
    return ctx->service->org;
}

const gl_config_t *
gl_ctx_config (gl_ctx_t *ctx)
{
    return &ctx->service->cfg;
}

MDB_dbi
gl_ctx_dbi (gl_ctx_t *ctx, const char *name)
{
    return gl_store_dbi (ctx->service->store, name);
}

int64_t
gl_ctx_now (gl_ctx_t *ctx)
{
    return ctx->now;
}

int
gl_ctx_emit (gl_ctx_t *ctx, const char *type, const char *qualifier, const char *id,
             const void *body, size_t body_len)
{
    char topic [GL_MAX_TOPIC + 1];
    snprintf (topic, sizeof topic, "%s.%s%s%s", ctx->service->def->name, type,
              qualifier? ".": "", qualifier? qualifier: "");
    return gl_outbox_append (ctx->service->outbox, ctx->txn, topic, type, id, body, body_len,
                             ctx->now, &ctx->emit_err);
}

void
gl_ctx_more (gl_ctx_t *ctx)
{
    ctx->more = true;
}

int
gl_ctx_emit_map (gl_ctx_t *ctx, const char *type, const char *qualifier, const char *id,
                 gl_mapw_t *body)
{
    msgpack_sbuffer bytes;
    gl_mapw_finish (body, &bytes);
    int rc = gl_ctx_emit (ctx, type, qualifier, id, bytes.data, bytes.size);
    msgpack_sbuffer_destroy (&bytes);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  The common operations.

static const gl_field_t s_replay_fields [] = {
    { .key = "from", .type = GL_F_UINT, .required = true, .min = 1,
      .hint = "the first seq wanted (your last applied seq + 1)" },
    { .key = "max", .type = GL_F_UINT, .min = 1, .max = 1000,
      .hint = "messages per page, 1 to 1000 (default 1000)" },
};
static const gl_schema_t s_replay_schema = GL_SCHEMA ("replay", s_replay_fields);

//  The byte budget of one page of any paged answer: limits/replay_kb, and under half the
//  message limit, which leaves room for framing (the client asks again for the rest).
static size_t
s_page_budget (gl_service_t *self)
{
    size_t budget = (size_t) self->cfg.replay_kb << 10;
    size_t half = (size_t) self->cfg.max_msg_bytes / 2;
    return budget < half? budget: half;
}

static int
s_op_replay (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    gl_service_t *self = ctx->service;
    uint64_t from = 1, max = 1000;
    gl_get_u64 (req, "from", &from);
    gl_get_u64 (req, "max", &max);
    return gl_outbox_replay (self->outbox, ctx->txn, from, max, s_page_budget (self), reply);
}

static const gl_op_t s_common_ops [] = {
    { "replay", s_op_replay, false, &s_replay_schema, true },
};

//  Each table's entries and bytes, for status: an operator sees what grows.
typedef struct {
    gl_service_t *self;         //  whose store
    gl_mapw_t *w;               //  where the sizes go
} s_sizes_t;

static int
s_sizes_txn (MDB_txn *txn, void *arg)
{
    s_sizes_t *s = arg;
    static const char *const common [] = { "outbox", "inbox", "answers", "answers_ts", NULL };
    for (int pass = 0; pass < 2; pass++) {
        const char *const *names = pass? s->self->def->dbs: common;
        for (size_t i = 0; names && names [i]; i++) {
            size_t entries = 0, bytes = 0;
            gl_db_size (txn, gl_store_dbi (s->self->store, names [i]), &entries, &bytes);
            gl_mapw_t t;
            gl_mapw_init (&t);
            gl_mapw_u64 (&t, "entries", entries);
            gl_mapw_u64 (&t, "bytes", bytes);
            gl_mapw_map (s->w, names [i], &t);
            gl_mapw_fini (&t);
        }
    }
    return 0;
}

//  A map of the inbox's under key ({} for a service that reads nothing), filled by fill.
static void
s_inbox_map (gl_mapw_t *w, const char *key, gl_inbox_t *inbox,
             void (*fill) (gl_inbox_t *inbox, gl_mapw_t *w))
{
    gl_mapw_t map;
    gl_mapw_init (&map);
    if (inbox)
        fill (inbox, &map);
    gl_mapw_map (w, key, &map);
    gl_mapw_fini (&map);
}

static void
s_status (gl_service_t *self, gl_mapw_t *w)
{
    gl_mapw_str (w, "name", self->def->name);
    gl_mapw_str (w, "version", GL_VERSION);
    gl_mapw_u64 (w, "pid", (uint64_t) getpid ());
    gl_mapw_u64 (w, "uptime_ms", (uint64_t) (zclock_mono () - self->started));
    gl_mapw_u64 (w, "epoch", gl_outbox_epoch (self->outbox));
    gl_mapw_u64 (w, "last_seq", gl_outbox_last (self->outbox));
    gl_mapw_u64 (w, "msgs_in", self->inbox? gl_inbox_applied (self->inbox): 0);
    gl_mapw_u64 (w, "msgs_replayed", self->inbox? gl_inbox_replayed (self->inbox): 0);
    gl_mapw_u64 (w, "msgs_out", self->published);
    gl_mapw_u64 (w, "requests", self->requests);
    gl_mapw_u64 (w, "errors", self->errors + (self->inbox? gl_inbox_refused (self->inbox): 0));
    gl_mapw_u64 (w, "batches", self->batches);
    gl_mapw_t stages;
    gl_mapw_init (&stages);
    gl_mapw_u64 (&stages, "gather", self->gather_us);
    gl_mapw_u64 (&stages, "apply", self->apply_us);
    gl_mapw_u64 (&stages, "commit", self->commit_us);
    gl_mapw_u64 (&stages, "release", self->release_us);
    gl_mapw_u64 (&stages, "flush", self->flush_us);
    gl_mapw_map (w, "stages_us", &stages);
    gl_mapw_fini (&stages);
    gl_mapw_u64 (w, "map_mb", gl_store_mapsize (self->store) >> 20);
    gl_mapw_str (w, "clock", gl_clock_is_manual ()? "manual": "wall");
    gl_mapw_i64 (w, "now_ms", gl_clock_now ());
    gl_mapw_u64 (w, "refused_writes", self->refused_writes);
    gl_mapw_u64 (w, "auth_refused", gl_sec_refused ());
    gl_mapw_u64 (w, "identity_refused", self->identity_refused);
#ifdef GL_FAULTS
    gl_mapw_u64 (w, "faults_fired", gl_fault_fired ());
#endif
    if (self->def->status)
        self->def->status (self, w);
    gl_mapw_t tables;
    gl_mapw_init (&tables);
    s_sizes_t sizes = { self, &tables };
    gl_store_read (self->store, s_sizes_txn, &sizes);
    gl_mapw_map (w, "tables", &tables);
    gl_mapw_fini (&tables);
    s_inbox_map (w, "rejected", self->inbox, gl_inbox_rejected);
    s_inbox_map (w, "inbox", self->inbox, gl_inbox_status);
}

static int
s_clock (gl_service_t *self, const msgpack_object *req, gl_mapw_t *w, gl_err_t *err)
{
    if (!gl_clock_is_manual ())
        return gl_fail (err, GL_FORBIDDEN, "the clock can only be moved when the service runs "
                        "with clock/mode = \"manual\" (it runs on wall time)");
    int64_t ms;
    if (gl_get_i64 (req, "set_ms", &ms))
        gl_clock_set (ms);
    else
    if (gl_get_i64 (req, "advance_ms", &ms))
        gl_clock_advance (ms);
    else
        return gl_fail (err, GL_INVALID, "field 'set_ms' or 'advance_ms' is required: the new "
                        "time in ms since 1970, or how far to move it");
    //  Retention follows the domain clock: a simulated week trims as a real one would.
    self->next_housekeep = 0;
    self->next_tick = 0;
    gl_mapw_i64 (w, "now_ms", gl_clock_now ());
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  Online backup, in a thread of its own: a compacted copy of the live store taken inside a
//  read transaction, while the service goes on committing. One at a time, only under
//  backup_dir.

typedef struct {
    gl_store_t *store;          //  what to copy
    char path [512];            //  where
} s_backup_args_t;

//  Read the copy's epoch and last seq from its meta (what the copy holds, not what the live
//  store went on to).
static void
s_backup_actor (zsock_t *pipe, void *arg)
{
    s_backup_args_t *a = arg;
    zsock_signal (pipe, 0);
    if (gl_fault_check (GL_FAULT_BACKUP) == GL_FAULT_FAIL) {
        char *command = zstr_recv (pipe);       //  held until $TERM: a backup that never ends
        zstr_free (&command);
        free (a);
        return;
    }
    gl_err_t err = { GL_OK, "" };
    int64_t started = zclock_mono ();
    int rc = gl_store_backup (a->store, a->path, &err);
    zstr_sendm (pipe, rc? gl_code_name (err.code): "OK");
    zstr_sendf (pipe, "%s", rc? err.message: "");
    if (rc == 0)
        gl_log_notice ("backup of %s written to %s in %lld ms", gl_store_dir (a->store),
                       a->path, (long long) (zclock_mono () - started));
    //  Wait for $TERM from zactor_destroy.
    char *command = zstr_recv (pipe);
    zstr_free (&command);
    free (a);
}

//  Resolve the requested path under backup_dir: a relative name, or an absolute path inside
//  it; no ".." anywhere. Returns 0 with out set, or -1 with err.
static int
s_backup_path (gl_service_t *self, const char *path, char *out, size_t size, gl_err_t *err)
{
    if (strstr (path, "..") || !*path)
        return gl_fail (err, GL_INVALID, "field 'path' is \"%s\": give a new directory name "
                        "under the backup directory %s (no \"..\")", path, self->cfg.backup_dir);
    if (gl_store_mkdirs (self->cfg.backup_dir))
        return gl_fail (err, GL_INTERNAL, "cannot create the backup directory %s: %s (setting "
                        "backup_dir)", self->cfg.backup_dir, strerror (errno));
    char root [PATH_MAX];
    if (!realpath (self->cfg.backup_dir, root))
        return gl_fail (err, GL_INTERNAL, "the backup directory %s cannot be used: %s (setting "
                        "backup_dir)", self->cfg.backup_dir, strerror (errno));
    size_t rlen = strlen (root);
    if (rlen + strlen (path) + 2 > size)
        return gl_fail (err, GL_INVALID, "field 'path' is \"%s\": too long for a backup under "
                        "%s", path, root);
    if (path [0] == '/') {
        if (strncmp (path, root, rlen) || path [rlen] != '/' || !path [rlen + 1])
            return gl_fail (err, GL_FORBIDDEN, "backups are written only under %s (setting "
                            "backup_dir); \"%s\" is not inside it", root, path);
        memcpy (out, path, strlen (path) + 1);
    }
    else {
        memcpy (out, root, rlen);
        out [rlen] = '/';
        memcpy (out + rlen + 1, path, strlen (path) + 1);
    }
    char probe [600];
    snprintf (probe, sizeof probe, "%s/data.mdb", out);
    if (zsys_file_exists (probe))
        return gl_fail (err, GL_CONFLICT, "%s already holds a store: give a new directory", out);
    return 0;
}

static int
s_backup_start (gl_service_t *self, const msgpack_object *req, gl_err_t *err)
{
    char path [400];
    if (!gl_get_strbuf (req, "path", path, sizeof path))
        return gl_fail (err, GL_INVALID, "field 'path' is required: a new directory name under "
                        "the service's backup directory %s (or an absolute path inside it)",
                        self->cfg.backup_dir);
    if (self->backup)
        return gl_fail (err, GL_CONFLICT, "a backup is already running (to %s): one at a time; "
                        "try again when it is done", self->backup_path);
    s_backup_args_t *a = (s_backup_args_t *) zmalloc (sizeof *a);
    if (s_backup_path (self, path, a->path, sizeof a->path, err)) {
        free (a);
        return -1;
    }
    a->store = self->store;
    snprintf (self->backup_path, sizeof self->backup_path, "%s", a->path);
    self->backup = zactor_new (s_backup_actor, a);
    return 0;
}

//  ---------------------------------------------------------------------------------------------

static const gl_op_t *
s_find_op (gl_service_t *self, const msgpack_object *name)
{
    for (size_t i = 0; i < self->def->nops; i++)
        if (gl_str_eq (name, self->def->ops [i].name))
            return &self->def->ops [i];
    for (size_t i = 0; i < sizeof s_common_ops / sizeof s_common_ops [0]; i++)
        if (gl_str_eq (name, s_common_ops [i].name))
            return &s_common_ops [i];
    return NULL;
}

static void
s_unsupported (gl_service_t *self, const msgpack_object *op, gl_err_t *err)
{
    char list [512] = "status, backup, clock, replay";
    size_t off = strlen (list);
    for (size_t i = 0; i < self->def->nops && off < sizeof list; i++)
        off += (size_t) snprintf (list + off, sizeof list - off, ", %s", self->def->ops [i].name);
    if (op && op->type == MSGPACK_OBJECT_STR)
        gl_fail (err, GL_UNSUPPORTED, "%s does not answer op '%.*s'; it answers: %s",
                 self->def->name, (int) (op->via.str.size > 64? 64: op->via.str.size),
                 op->via.str.ptr, list);
    else
        gl_fail (err, GL_INVALID, "field 'op' is required: a string naming the operation; "
                 "%s answers: %s", self->def->name, list);
}

//  Answer at once (not part of a batch): errors of form, status, clock and backup refusals.
static void
s_answer_now (gl_service_t *self, gl_request_t *req, gl_mapw_t *fields, const gl_err_t *err)
{
    msgpack_sbuffer out;
    msgpack_sbuffer_init (&out);
    if (err)
        gl_reply_error (&out, err);
    else
        gl_reply_ok (&out, fields);
    gl_request_answer (req, zsock_resolve (self->router), out.data, out.size);
    msgpack_sbuffer_destroy (&out);
    self->requests++;
    if (err)
        self->errors++;
}

//  The backup thread said it is done: answer whoever asked.
static void
s_backup_done (gl_service_t *self)
{
    char *code = zstr_recv (self->backup);
    char *message = zstr_recv (self->backup);
    gl_mapw_reset (&self->fields);
    gl_err_t err = { GL_OK, "" };
    if (code && streq (code, "OK")) {
        gl_mapw_str (&self->fields, "path", self->backup_path);
        gl_mapw_u64 (&self->fields, "epoch", gl_outbox_epoch (self->outbox));
        gl_mapw_u64 (&self->fields, "last_seq", gl_outbox_last (self->outbox));
    }
    else
        gl_fail (&err, code? gl_code_lookup (code, strlen (code)): GL_INTERNAL, "%s",
                 message? message: "the backup thread stopped without a result");
    s_answer_now (self, &self->backup_req, &self->fields, err.code == GL_OK? NULL: &err);
    zstr_free (&code);
    zstr_free (&message);
    zactor_destroy (&self->backup);
}

//  ---------------------------------------------------------------------------------------------
//  Gathering a batch.

static s_item_t *
s_new_item (gl_service_t *self, s_kind_t kind)
{
    s_item_t *item = &self->items [self->nitems++];
    memset (item, 0, sizeof *item);
    item->kind = kind;
    msgpack_sbuffer_init (&item->answer);
    return item;
}

//  Take one request; answer it now if it is malformed or a direct op. Returns false if none.
static bool
s_take_request (gl_service_t *self)
{
    gl_request_t req;
    if (gl_request_recv (zsock_resolve (self->router), &req))
        return false;
    gl_doc_t doc;
    gl_err_t err;
    if (gl_doc_parse (&doc, zframe_data (req.payload), zframe_size (req.payload), &err)) {
        gl_doc_fini (&doc);
        s_answer_now (self, &req, NULL, &err);
        return true;
    }
    const msgpack_object *opname = gl_map_get (&doc.root, "op");
    gl_mapw_reset (&self->fields);
    if (gl_str_eq (opname, "status")) {
        //  A held batch is made durable and sent first, so that status never shows a state
        //  (inbox positions, counters) whose messages and answers have not left yet.
        s_flush (self);
        s_status (self, &self->fields);
        s_answer_now (self, &req, &self->fields, NULL);
    }
    else
    if (gl_str_eq (opname, "backup")) {
        if (s_backup_start (self, &doc.root, &err))
            s_answer_now (self, &req, NULL, &err);
        else
            self->backup_req = req;     //  answered when the copy is done
    }
    else
    if (gl_str_eq (opname, "clock")) {
        int rc = s_clock (self, &doc.root, &self->fields, &err);
        s_answer_now (self, &req, &self->fields, rc? &err: NULL);
    }
    else {
        const gl_op_t *op = s_find_op (self, opname);
        if (!op) {
            s_unsupported (self, opname, &err);
            s_answer_now (self, &req, NULL, &err);
        }
        else {
            s_item_t *item = s_new_item (self, S_REQUEST);
            gl_sec_caller (req.payload, &item->caller);
            item->req = req;
            item->doc = doc;
            item->op = op;
            //  What it holds parsed, and what its answer may take until it is sent.
            self->cost += doc.cost + (op->paged? s_page_budget (self): 0);
            return true;
        }
    }
    gl_doc_fini (&doc);
    return true;
}

//  Whether the batch is full: limits/batch items, or limits/batch_mb of parsed bytes, the
//  held batch's included (both are in memory until the held one is released).
static bool
s_full (gl_service_t *self)
{
    return self->nitems >= (size_t) self->cfg.batch
        || self->cost + self->held_cost >= (size_t) self->cfg.batch_mb << 20;
}

static void
s_gather (gl_service_t *self)
{
    int64_t started = zclock_usecs ();
    bool more = true;
    while (more && !s_full (self)) {
        more = false;
        if (s_take_request (self))
            more = true;
        if (self->inbox && !s_full (self)) {
            gl_inbox_item_t *in;
            while (!s_full (self) && (in = gl_inbox_recv (self->inbox))) {
                s_item_t *item = s_new_item (self, S_MESSAGE);
                item->in = in;
                self->cost += S_PAGE_COST * gl_inbox_item_size (in);
                more = true;
                if (self->nitems % 64 == 0)
                    break;              //  let requests in between
            }
        }
    }
    self->gather_us += (uint64_t) (zclock_usecs () - started);
}

//  ---------------------------------------------------------------------------------------------
//  Applying a batch in one write transaction.

//  The fingerprint of a request: FNV-1a 64 of every field but req_id, key and packed value,
//  summed so that the order of the fields does not matter. A retry sends the same request.
static uint64_t
s_fingerprint (gl_service_t *self, const msgpack_object *req)
{
    uint64_t sum = 0;
    msgpack_packer pk;
    gl_packer_init (&pk, &self->scratch);
    for (uint32_t i = 0; i < req->via.map.size; i++) {
        const msgpack_object_kv *kv = &req->via.map.ptr [i];
        if (gl_str_eq (&kv->key, "req_id"))
            continue;
        self->scratch.size = 0;
        msgpack_pack_object (&pk, kv->key);
        msgpack_pack_object (&pk, kv->val);
        uint64_t h = 14695981039346656037ULL;
        for (size_t j = 0; j < self->scratch.size; j++)
            h = (h ^ (uint8_t) self->scratch.data [j]) * 1099511628211ULL;
        sum += h;
    }
    return sum;
}

//  The stored answer to req_id, if any: 0 with the answer in item (or a CONFLICT when the
//  req_id was used for another request), MDB_NOTFOUND, or an LMDB error.
static int
s_stored_answer (gl_service_t *self, s_item_t *item, const char *key, size_t key_len,
                 const char *req_id, size_t len, uint64_t fp)
{
    const void *val;
    size_t vlen;
    int rc = gl_db_get (self->ctx.txn, self->answers, key, key_len, &val, &vlen);
    if (rc)
        return rc;
    gl_rec_t rec;
    if (gl_rec_read (val, vlen, &rec) || rec.len < 8)
        return MDB_NOTFOUND;            //  unreadable: treat as never answered
    if (gl_be64_get (rec.data) == fp) {
        gl_sbuffer_write (&item->answer, (const char *) rec.data + 8, rec.len - 8);
        item->refused = false;          //  only successful answers are kept
        return 0;
    }
    gl_err_t err;
    gl_fail (&err, GL_CONFLICT, "req_id '%.*s' was already used for a different '%.*s' request; "
             "a retry must repeat its request exactly, and a new request needs a new req_id",
             (int) len, req_id, (int) (rec.topic_len > 32? 32: rec.topic_len), rec.topic);
    gl_reply_error (&item->answer, &err);
    return 0;
}

//  Keep a successful answer for retries, with the request's fingerprint.
static int
s_store_answer (gl_service_t *self, s_item_t *item, const char *req_id, size_t len, uint64_t fp)
{
    msgpack_sbuffer value;
    msgpack_sbuffer_init (&value);
    uint8_t be [8];
    gl_be64_put (be, fp);
    gl_sbuffer_write (&value, (const char *) be, 8);
    gl_sbuffer_write (&value, item->answer.data, item->answer.size);
    gl_rec_t rec = { (uint64_t) self->ctx.now, item->op->name, strlen (item->op->name),
                     value.data, value.size };
    int rc = gl_rec_put (self->ctx.txn, self->answers, req_id, len, &rec, 0);
    msgpack_sbuffer_destroy (&value);
    if (rc)
        return rc;
    gl_key_t k;
    gl_key_init (&k);
    gl_key_u64 (&k, (uint64_t) self->ctx.now);
    gl_key_raw (&k, req_id, len);
    return gl_db_put (self->ctx.txn, self->answers_ts, k.bytes, k.len, "", 0, 0);
}

//  Identity from the connection, not the body: a unit's or a department's certificate acts
//  only as its own unit (and, for a person's seat, as that person). The county's operator
//  seats and the services act for any unit; under plain there is no certificate to go by.
static int
s_check_actor (gl_service_t *self, s_item_t *item, const msgpack_object *req, gl_err_t *err)
{
    const gl_caller_t *c = &item->caller;
    const msgpack_object *actor = gl_map_get (req, "actor");
    if (gl_sec_any_unit (c) || !actor)
        return 0;
    char unit [65] = "", person [66] = "";
    gl_get_strbuf (actor, "unit", unit, sizeof unit);
    gl_get_strbuf (actor, "person", person, sizeof person);
    const char *why = NULL;
    if (!streq (unit, c->unit))
        why = "unit";
    else
    if (*c->person && *person && !streq (person, c->person))
        why = "person";
    if (!why)
        return 0;
    self->identity_refused++;
    gl_log_warning ("%s: certificate %s (unit %s%s%s) claimed actor.%s \"%s\" in '%s': refused",
                    self->def->name, c->name, c->unit, *c->person? ", person ": "", c->person,
                    why, streq (why, "unit")? unit: person, item->op->name);
    return gl_fail (err, GL_FORBIDDEN, "your certificate %s is for %s%s%s: it cannot act as "
                    "actor.%s \"%s\" (ask for a certificate of that unit)", c->name, c->unit,
                    *c->person? ", person ": "", c->person, why,
                    streq (why, "unit")? unit: person);
}

static int
s_handle (gl_service_t *self, s_item_t *item)
{
    const msgpack_object *req = &item->doc.root;
    const gl_op_t *op = item->op;
    gl_err_t err = { GL_OK, "" };
    const char *req_id = NULL, *key = NULL;
    size_t req_id_len = 0, key_len = 0;
    char scoped [GL_MAX_NAME + 48];
    uint64_t fp = 0;
    item->answer.size = 0;
    item->refused = true;               //  until an answer says ok
    if (item->poisoned) {
        gl_fail (&err, GL_INTERNAL, "%s changed its state for this request and then refused "
                 "it (a bug, logged); nothing of it was kept: report it, with the request",
                 self->def->name);
        if (self->ctx.emit_err.code != GL_OK)
            err = self->ctx.emit_err;
        gl_reply_error (&item->answer, &err);
        return 0;
    }
    if (op->mutating) {
        if (!gl_get_str (req, "req_id", &req_id, &req_id_len) || req_id_len == 0
        ||  req_id_len > GL_MAX_NAME) {
            gl_fail (&err, GL_INVALID, "field 'req_id' is required for '%s': a string of 1 to "
                     "64 bytes, unique per request and the same when you retry it", op->name);
            gl_reply_error (&item->answer, &err);
            return 0;
        }
        //  Answers are kept per caller: another certificate's req_id is another request, and a
        //  caller never reads what was answered to someone else.
        key = req_id;
        key_len = req_id_len;
        if (*item->caller.key) {
            snprintf (scoped, sizeof scoped, "%s/%.*s", item->caller.key, (int) req_id_len,
                      req_id);
            key = scoped;
            key_len = strlen (scoped);
        }
        fp = s_fingerprint (self, req);
        int rc = s_stored_answer (self, item, key, key_len, req_id, req_id_len, fp);
        if (rc == 0)
            return 0;                   //  a retry: the same answer, nothing changes
        if (rc != MDB_NOTFOUND)
            return rc;
    }
    gl_mapw_reset (&self->fields);
    self->ctx.emit_err.code = GL_OK;
    uint64_t writes = gl_db_writes ();
    size_t mark = gl_outbox_mark (self->outbox);
    int rc = 0;
    if (op->schema && gl_schema_check (op->schema, req, &err))
        rc = GL_REFUSED;
    else
    if (s_check_actor (self, item, req, &err))
        rc = GL_REFUSED;
    else
        rc = op->fn (&self->ctx, req, &self->fields, &err);
    if (rc != 0 && rc != GL_REFUSED)
        return rc;                      //  storage error: the whole batch fails or is retried
    if (rc == GL_REFUSED && gl_db_writes () != writes) {
        gl_outbox_rewind (self->outbox, mark);
        return S_WROTE_THEN_REFUSED;
    }
    if (rc == GL_REFUSED && err.code == GL_OK)
        err = self->ctx.emit_err.code != GL_OK? self->ctx.emit_err: err;
    if (rc == 0)
        gl_reply_ok (&item->answer, &self->fields);
    else
        gl_reply_error (&item->answer, &err);
    item->refused = rc != 0;
    //  Keep successful answers for retries: a refused request changed nothing, and its retry
    //  is checked afresh (so "not now" can become "done").
    if (op->mutating && rc == 0)
        return s_store_answer (self, item, key, key_len, fp);
    return 0;
}

static int
s_batch (MDB_txn *txn, void *arg)
{
    gl_service_t *self = arg;
    int64_t started = zclock_usecs ();
    self->ctx.txn = txn;
    gl_outbox_begin (self->outbox);
    if (self->inbox)
        gl_inbox_begin (self->inbox);
    int rc = 0;
    for (size_t i = 0; i < self->nitems && rc == 0; i++) {
        s_item_t *item = &self->items [i];
        self->ctx.current = i;
        if (item->kind == S_REQUEST)
            rc = s_handle (self, item);
        else
            rc = gl_inbox_process (self->inbox, txn, item->in);
    }
    if (rc == 0)
        rc = gl_outbox_end (self->outbox, txn);
    if (rc == 0 && self->inbox)
        rc = gl_inbox_end (self->inbox, txn);
    self->apply_us += (uint64_t) (zclock_usecs () - started);
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  The commit pipeline: nothing leaves before it is durable, and the disk works while the next
//  batch is gathered, checked and applied.
//
//  Under durability "sync" a commit syncs twice (its data pages, then its meta page) and the
//  batch's answers and publications leave at once. Under "pipelined" (MDB_NOMETASYNC) a commit
//  syncs its data pages only, and its meta page is not durable yet: the batch is held, with
//  its answers and the messages it put in the outbox, and the loop goes on gathering,
//  checking and applying the next batch, whose commit's data sync covers the held batch's meta
//  page (a sync that began after a page was written makes it durable). When the loop finds
//  nothing to do, no commit is coming, so it asks the syncer thread for the covering sync and
//  keeps gathering meanwhile: whatever arrives during that sync is applied and committed, and
//  whichever sync ends first releases the held batch (gl_store_synced). Under load every
//  commit thus costs one sync instead of two; idle, a request waits for about the same two
//  syncs as under "sync".
//
//  Why a sync thread rather than a writer thread: LMDB has one writer at a time, so a writer
//  thread could overlap only gathering with committing, and handlers would run in two
//  threads; the sync thread calls only mdb_env_sync, which needs no transaction, and the
//  service's state stays in one thread. Why not MDB_NOSYNC with a later sync: LMDB then writes
//  the meta page before the data is on the disk, which a power cut can turn into a corrupt
//  store; MDB_NOMETASYNC keeps the order (data synced, then meta written).
//
//  At most one batch is held: every commit that writes covers the one before it, so a commit
//  first releases the held batch, then holds its own. A batch that wrote nothing (queries) is
//  not covered by its own commit; if one is held, the loop syncs at once and releases both
//  (its answers may show what the held batch wrote). A status request does the same, since it
//  is answered outside the batches and shows what was committed.

//  The syncer thread: each message is the txnid to cover; it syncs and sends it back.
static void
s_syncer_actor (zsock_t *pipe, void *arg)
{
    gl_store_t *store = arg;
    zsock_signal (pipe, 0);
    while (true) {
        char *command = zstr_recv (pipe);
        if (!command || streq (command, "$TERM")) {
            zstr_free (&command);
            break;
        }
        gl_store_flush (store);         //  exits the process if the disk fails
        zstr_send (pipe, command);
        zstr_free (&command);
    }
}

//  Ask the syncer to cover the last commit, unless it is already at work. The fault point: the
//  process dies with a batch committed and not durable, nothing of it sent.
static void
s_ask_sync (gl_service_t *self)
{
    if (self->sync_asked)
        return;
    gl_store_fault_exit (self->store, gl_fault_check (GL_FAULT_SYNC),
                         "before the sync that makes a held batch durable");
    self->sync_asked = gl_store_committed (self->store);
    zstr_sendf (self->syncer, "%llu", (unsigned long long) self->sync_asked);
}

//  Send what a durable batch caused: its publications (the first nmsgs pending in the outbox),
//  then its answers. rc is the batch's commit result: on failure every request is answered
//  UNAVAILABLE (nothing of it was kept) and nothing is published.
static void
s_release (gl_service_t *self, s_item_t *items, size_t nitems, size_t nmsgs, int rc)
{
    int64_t started = zclock_usecs ();
    if (rc == 0) {
        gl_store_fault_exit (self->store, gl_fault_check (GL_FAULT_RELEASE),
                             "before sending a durable batch's publications and answers");
        self->published += gl_outbox_publish (self->outbox, zsock_resolve (self->pub), nmsgs);
    }
    for (size_t i = 0; i < nitems; i++) {
        s_item_t *item = &items [i];
        if (item->kind == S_REQUEST) {
            if (rc) {
                gl_err_t err;
                gl_fail (&err, GL_UNAVAILABLE, "the request could not be stored (%s); nothing "
                         "changed: retry it with the same req_id",
                         rc > 0? strerror (rc): mdb_strerror (rc));
                item->answer.size = 0;
                gl_reply_error (&item->answer, &err);
            }
            //  The answer fault point: after the commit and the publications, before the
            //  answer to a request that changes state (only those count, so that status calls
            //  and consumers' replays do not move the countdown).
            if (item->op->mutating && gl_fault_check (GL_FAULT_ANSWER) == GL_FAULT_EXIT)
                gl_fault_exit ("before an answer");
            gl_request_answer (&item->req, zsock_resolve (self->router), item->answer.data,
                               item->answer.size);
            self->requests++;
            if (rc || item->refused)
                self->errors++;
            gl_doc_fini (&item->doc);
        }
        else
            gl_inbox_item_destroy (&item->in);
        msgpack_sbuffer_destroy (&item->answer);
    }
    self->release_us += (uint64_t) (zclock_usecs () - started);
}

//  Release the held batch if its commit is durable now.
static void
s_release_held (gl_service_t *self)
{
    if (!self->holding || gl_store_synced (self->store) < self->held_txn)
        return;
    self->holding = false;
    s_release (self, self->held, self->nheld, self->held_msgs, 0);
    self->nheld = 0;
    self->held_cost = 0;
}

//  Make everything committed durable now and release what waits for it: when the loop cannot
//  go on without it (a batch that wrote nothing, a failed commit, the stop).
static void
s_flush (gl_service_t *self)
{
    if (!self->holding)
        return;
    gl_store_fault_exit (self->store, gl_fault_check (GL_FAULT_SYNC),
                         "before the sync that makes a held batch durable");
    uint64_t txnid = gl_store_committed (self->store);
    int64_t started = zclock_usecs ();
    gl_store_flush (self->store);
    self->flush_us += (uint64_t) (zclock_usecs () - started);
    gl_store_covered (self->store, txnid);
    s_release_held (self);
}

//  After a successful commit (of a batch, a timer round, housekeeping): release the held batch
//  if this commit covered it, then release or hold what this one caused (the batch's items,
//  and the outbox's pending messages).
static void
s_committed (gl_service_t *self, size_t nitems, size_t cost)
{
    gl_outbox_committed (self->outbox);
    s_release_held (self);
    if (self->holding)
        s_flush (self);                 //  this commit wrote nothing, so covered nothing
    size_t nmsgs = gl_outbox_pending (self->outbox);
    //  Without the pipeline (sync, or a sink's metasync) nothing waits for a later sync.
    if (!self->syncer || gl_store_synced (self->store) >= gl_store_committed (self->store)) {
        s_release (self, self->items, nitems, nmsgs, 0);
        return;
    }
    if (nitems == 0 && nmsgs == 0)
        return;                         //  nothing waits for this commit
    //  Hold: the batch's items move to the held side, the gathering side gets a free array.
    //  A held request needs only its route and its answer: its payload and parsed form go now.
    for (size_t i = 0; i < nitems; i++)
        if (self->items [i].kind == S_REQUEST) {
            gl_doc_fini (&self->items [i].doc);
            zframe_destroy (&self->items [i].req.payload);
        }
    s_item_t *items = self->held;
    self->held = self->items;
    self->items = items;
    self->nheld = nitems;
    self->held_cost = cost;         //  an upper bound of what it still holds (its answers)
    self->held_msgs = nmsgs;
    self->held_txn = gl_store_committed (self->store);
    self->holding = true;
}

//  The syncer is done: what it covered may be released (the loop asks again, when idle, for a
//  commit made while it worked).
static void
s_synced (gl_service_t *self)
{
    char *txnid = zstr_recv (self->syncer);
    if (txnid)
        gl_store_covered (self->store, strtoull (txnid, NULL, 10));
    zstr_free (&txnid);
    self->sync_asked = 0;
    s_release_held (self);
}

static void
s_run_batch (gl_service_t *self)
{
    self->ctx.now = gl_clock_now ();
    int64_t started = zclock_usecs ();
    uint64_t applied = self->apply_us;
    int rc;
    //  A handler that refused after writing is run no more: the batch goes again without it.
    while ((rc = gl_store_write (self->store, s_batch, self)) == S_WROTE_THEN_REFUSED) {
        self->refused_writes++;
        s_item_t *item = &self->items [self->ctx.current];
        if (item->kind == S_REQUEST) {
            item->poisoned = true;
            gl_log_error ("%s: op '%s' wrote and then refused its request: a bug; the batch "
                          "runs again without it", self->def->name, item->op->name);
        }
    }
    self->commit_us += (uint64_t) (zclock_usecs () - started) - (self->apply_us - applied);
    size_t nitems = self->nitems;
    size_t cost = self->cost;
    self->nitems = 0;
    self->cost = 0;
    if (rc == 0) {
        self->batches++;
        size_t npages = 0;
        for (size_t i = 0; i < nitems; i++)
            if (self->items [i].kind == S_MESSAGE)
                self->pages [npages++] = self->items [i].in;
        //  The inbox's positions are the store's: they move with the commit, durable or not
        //  (a power cut rolls both back together).
        if (self->inbox)
            gl_inbox_commit (self->inbox, self->pages, npages);
        s_committed (self, nitems, cost);
    }
    else {
        gl_outbox_abort (self->outbox);
        gl_log_error ("%s: a batch of %zu failed to commit: %s", self->def->name,
                      nitems, rc > 0? strerror (rc): mdb_strerror (rc));
        s_flush (self);                 //  answers leave in the order the batches came
        s_release (self, self->items, nitems, 0, rc);
    }
}

//  ---------------------------------------------------------------------------------------------
//  Housekeeping: retention of the outbox, of kept answers, and of the service's own tables.

static int
s_forget_answer (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    gl_service_t *self = arg;
    if (key->mv_size <= 8)
        return 0;
    return gl_db_del (self->ctx.txn, self->answers, (const char *) key->mv_data + 8,
                      key->mv_size - 8);
}

static int
s_housekeep_txn (MDB_txn *txn, void *arg)
{
    gl_service_t *self = arg;
    self->ctx.txn = txn;
    self->ctx.now = gl_clock_now ();
    int64_t age = self->cfg.retention_days * 86400000LL;
    size_t deleted = 0;
    int rc = gl_outbox_trim (self->outbox, txn, self->ctx.now, age,
                             (size_t) self->cfg.retention_max_mb << 20, S_TRIM_LIMIT, &deleted);
    if (rc)
        return rc;
    gl_trim_t how = { .before = self->ctx.now - age, .keep_items = (size_t) self->cfg.answers_max,
                      .limit = S_TRIM_LIMIT, .stamp = gl_stamp_key };
    rc = gl_db_trim (txn, self->answers_ts, &how, s_forget_answer, self, &deleted);
    if (rc == 0 && self->def->housekeep)
        rc = self->def->housekeep (&self->ctx);
    return rc;
}

//  A timer round (def->tick) in its own write transaction, with the outbox opened and closed
//  around it as for a batch, so that what it emits is published only after the commit.
static int
s_tick_txn (MDB_txn *txn, void *arg)
{
    gl_service_t *self = arg;
    self->ctx.txn = txn;
    self->ctx.now = gl_clock_now ();
    self->ctx.emit_err.code = GL_OK;
    self->ctx.more = false;
    gl_outbox_begin (self->outbox);
    int rc = self->def->tick (&self->ctx);
    if (rc == 0)
        rc = gl_outbox_end (self->outbox, txn);
    return rc;
}

static void
s_run_tick (gl_service_t *self)
{
    int rc = gl_store_write (self->store, s_tick_txn, self);
    if (rc == 0)
        s_committed (self, 0, 0);
    else {
        gl_outbox_abort (self->outbox);
        gl_log_warning ("%s: timer round failed (it runs again at the next tick): %s",
                        self->def->name, rc > 0? strerror (rc): mdb_strerror (rc));
    }
}

//  ---------------------------------------------------------------------------------------------

//  The service's consume function, held to its contract: a message it refused after writing
//  is held out of the next try of the batch (and refused without running it).
static int
s_consume (void *arg, MDB_txn *txn, const char *topic, const gl_envelope_t *env)
{
    gl_service_t *self = arg;
    size_t held = self->npoison < S_POISON_MAX? self->npoison: S_POISON_MAX;
    for (size_t i = 0; i < held; i++) {
        s_poison_t *p = &self->poison [i];
        if (p->seq == env->seq && p->epoch == env->epoch && strlen (p->src) == env->src_len
        &&  memcmp (p->src, env->src, env->src_len) == 0)
            return GL_REFUSED;
    }
    uint64_t writes = gl_db_writes ();
    size_t mark = gl_outbox_mark (self->outbox);
    int rc = self->def->consume (&self->ctx, topic, env);
    if (rc != GL_REFUSED || gl_db_writes () == writes)
        return rc;
    gl_outbox_rewind (self->outbox, mark);
    s_poison_t *p = &self->poison [self->npoison++ % S_POISON_MAX];
    snprintf (p->src, sizeof p->src, "%.*s", (int) env->src_len, env->src);
    p->epoch = env->epoch;
    p->seq = env->seq;
    self->refused_writes++;
    gl_log_error ("%s: refused message %s#%llu on '%s' after writing: a bug; the batch runs "
                  "again without it", self->def->name, p->src, (unsigned long long) p->seq,
                  topic);
    return S_WROTE_THEN_REFUSED;
}

gl_service_t *
gl_service_new (const gl_service_def_t *def, const gl_config_t *cfg, gl_err_t *err)
{
    gl_service_t *self = (gl_service_t *) zmalloc (sizeof *self);
    self->def = def;
    self->cfg = *cfg;
    self->ctx.service = self;
    self->started = zclock_mono ();
    self->next_housekeep = self->started + S_HOUSEKEEP_MS;
    gl_mapw_init (&self->fields);
    msgpack_sbuffer_init (&self->scratch);
    self->items = (s_item_t *) zmalloc ((size_t) cfg->batch * sizeof (s_item_t));
    self->held = (s_item_t *) zmalloc ((size_t) cfg->batch * sizeof (s_item_t));
    self->pages = (gl_inbox_item_t **) zmalloc ((size_t) cfg->batch * sizeof (gl_inbox_item_t *));
    const gl_svc_config_t *svc = &cfg->svc [def->svc];

    gl_log_set_level (gl_log_level_parse (cfg->log_level));
    if (streq (cfg->clock_mode, "manual"))
        gl_clock_manual (cfg->clock_start_ms);
    //  Before anything connects (open may start threads that do, as metrics' poller): every
    //  connection the service makes goes out as its own certificate (gl_security.h).
    gl_sec_init (&self->cfg, def->name);

    const char *names [GL_STORE_MAX_DBS + 1];
    size_t n = 0;
    names [n++] = "outbox";
    names [n++] = "inbox";
    names [n++] = "answers";
    names [n++] = "answers_ts";
    for (size_t i = 0; def->dbs && def->dbs [i]; i++) {
        if (n == GL_STORE_MAX_DBS - 1) {
            gl_fail (err, GL_INTERNAL, "%s names more databases than a store holds (%d): a bug",
                     def->name, GL_STORE_MAX_DBS - 1);
            goto fail;
        }
        names [n++] = def->dbs [i];
    }
    names [n] = NULL;
    char dir [512];
    snprintf (dir, sizeof dir, "%s/%s", cfg->data_dir, def->name);
    self->store = gl_store_new (dir, names, (size_t) svc->map_mb,
                                gl_config_durability (cfg, def->svc), err);
    if (!self->store)
        goto fail;
    if (gl_config_durability (cfg, def->svc) == GL_PIPELINED)
        self->syncer = zactor_new (s_syncer_actor, self->store);
    self->answers = gl_store_dbi (self->store, "answers");
    self->answers_ts = gl_store_dbi (self->store, "answers_ts");
    self->outbox = gl_outbox_new (self->store, def->name, (size_t) cfg->max_envelope_bytes, err);
    if (!self->outbox)
        goto fail;
    if (def->needs_org) {
        self->org = gl_org_load (cfg->org_path, cfg->categories_path, cfg->admission_path, err);
        if (!self->org)
            goto fail;
        if (strcmp (gl_org_county_code (self->org), cfg->county_code))
            gl_log_warning ("county/code is %s but %s describes county %s", cfg->county_code,
                            cfg->org_path, gl_org_county_code (self->org));
    }
    if (def->open && def->open (self, err))
        goto fail;

    //  The ZAP handler before the ROUTER binds (gl_security.h).
    self->router = zsock_new (ZMQ_ROUTER);
    if (gl_sec_server (&self->cfg, def->name, self->router, err))
        goto fail;
    gl_socket_limits (self->router, cfg->max_msg_bytes, 0);
    //  What one client can make the service hold: peer_queue answers of at most a page each,
    //  and peer_queue requests of at most max_msg_bytes each waiting to be read.
    zsock_set_sndhwm (self->router, (int) cfg->peer_queue);
    zsock_set_rcvhwm (self->router, (int) cfg->peer_queue);
    //  A predecessor's endpoint is released a moment after it closes (inproc endpoints by
    //  ZeroMQ's reaper thread): retry briefly before calling the address taken.
    int bound = -1;
    for (int tries = 0; tries < 40 && bound < 0; tries++) {
        bound = zsock_bind (self->router, "%s", svc->endpoint);
        if (bound < 0 && zmq_errno () == EADDRINUSE)
            zclock_sleep (50);
        else
            break;
    }
    if (bound < 0) {
        gl_fail (err, GL_UNAVAILABLE, "%s: cannot bind %s (%s): is another %s running, or is "
                 "the address wrong? (setting '%s/endpoint')", cfg->path, svc->endpoint,
                 zmq_strerror (zmq_errno ()), def->name, def->name);
        goto fail;
    }
    self->pub = zsock_new (ZMQ_PUB);
    gl_socket_limits (self->pub, cfg->max_envelope_bytes, 500);
    zsock_set_sndhwm (self->pub, (int) cfg->pub_hwm);
    //  Publishes as the service's own certificate: the bus checks its topics against it.
    if (gl_sec_connect_as (&self->cfg, self->pub, cfg->bus_frontend, def->name, err))
        goto fail;
    if (def->consume && (svc->reads [0] || def->passive)) {
        self->inbox = gl_inbox_new (self->store, cfg, svc->reads, def->passive, s_consume,
                                    self, err);
        if (!self->inbox)
            goto fail;
    }
    //  The log's own timestamps are the host's local time; say which zone that is, and the
    //  county's, so a log line and the CLI (county time) can be read side by side.
    time_t host_now = time (NULL);
    struct tm host_tm;
    char host_zone [16] = "";
    localtime_r (&host_now, &host_tm);
    strftime (host_zone, sizeof host_zone, "%z", &host_tm);
    gl_log_info ("%s %s: serving on %s, data in %s, epoch %llu, last seq %llu%s%s; log times "
                 "are host time UTC%s, event times county time UTC%+03lld:%02lld",
                 def->name, GL_VERSION, svc->endpoint, dir,
                 (unsigned long long) gl_outbox_epoch (self->outbox),
                 (unsigned long long) gl_outbox_last (self->outbox),
                 self->inbox? ", reading ": "", self->inbox? svc->reads: "", host_zone,
                 (long long) cfg->utc_offset_min / 60,
                 (long long) (cfg->utc_offset_min < 0? -cfg->utc_offset_min:
                                                       cfg->utc_offset_min) % 60);
    return self;
fail:
    gl_service_destroy (&self);
    return NULL;
}

void
gl_service_destroy (gl_service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gl_service_t *self = *self_p;
    if (self->backup) {
        zactor_destroy (&self->backup);     //  waits for the copy in hand to finish
        zmsg_destroy (&self->backup_req.route);
        zframe_destroy (&self->backup_req.payload);
    }
    if (self->def->close && self->store)
        self->def->close (self);
    free (self->state);                 //  what open set, if anything: one owner, the skeleton
    self->state = NULL;
    zactor_destroy (&self->syncer);     //  before the store it syncs
    gl_inbox_destroy (&self->inbox);
    gl_sec_server_end (self->router);
    zsock_destroy (&self->router);
    zsock_destroy (&self->pub);
    gl_outbox_destroy (&self->outbox);
    gl_org_destroy (&self->org);
    gl_store_destroy (&self->store);
    gl_mapw_fini (&self->fields);
    msgpack_sbuffer_destroy (&self->scratch);
    free (self->items);
    free (self->held);
    free (self->pages);
    free (self);
    *self_p = NULL;
}

int
gl_service_run (gl_service_t *self, zsock_t *pipe)
{
    zpoller_t *poller = zpoller_new (self->router, NULL);
    if (pipe)
        zpoller_add (poller, pipe);
    if (self->inbox)
        gl_inbox_poll_on (self->inbox, poller);
    if (self->syncer)
        zpoller_add (poller, self->syncer);
    zsock_t *backup_pipe = NULL;
    int64_t next_hb = 0;
    while (!zsys_interrupted) {
        //  The backup thread's pipe joins the poller while a backup runs.
        zsock_t *running = self->backup? zactor_sock (self->backup): NULL;
        if (running != backup_pipe) {
            if (backup_pipe)
                zpoller_remove (poller, backup_pipe);
            if (running)
                zpoller_add (poller, running);
            backup_pipe = running;
        }
        //  A held batch that no sync was asked for yet: look for work without waiting, and ask
        //  for the sync if there is none (below).
        void *which = zpoller_wait (poller, self->holding && !self->sync_asked? 0: S_POLL_MS);
        if (pipe && which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        }
        if (zpoller_terminated (poller))
            break;
        if (backup_pipe && which == backup_pipe) {
            zpoller_remove (poller, backup_pipe);
            backup_pipe = NULL;
            s_backup_done (self);
        }
        //  Not only when the poller names it: under load it names the first ready socket,
        //  the ROUTER, every time.
        if (self->syncer && zsock_events (zactor_sock (self->syncer)) & ZMQ_POLLIN)
            s_synced (self);
        s_gather (self);
        if (self->nitems)
            s_run_batch (self);
        else
        if (self->holding)
            s_ask_sync (self);          //  idle: no next commit is coming to cover it
        int64_t now = zclock_mono ();
        if (self->inbox)
            gl_inbox_tick (self->inbox);
        if (now >= next_hb) {
            gl_outbox_heartbeat (self->outbox, zsock_resolve (self->pub), gl_clock_now ());
            next_hb = now + S_HEARTBEAT_MS;
        }
        if (now >= self->next_housekeep) {
            int rc = gl_store_write (self->store, s_housekeep_txn, self);
            if (rc == 0)
                s_committed (self, 0, 0);
            else
                gl_log_warning ("%s: retention round failed: %s", self->def->name,
                                rc > 0? strerror (rc): mdb_strerror (rc));
            self->next_housekeep = now + S_HOUSEKEEP_MS;
        }
        if (self->def->tick && now >= self->next_tick) {
            s_run_tick (self);
            //  A backlog (after a downtime) is worked off round after round, between batches.
            self->next_tick = self->ctx.more? now: now + S_TICK_MS;
        }
    }
    zpoller_destroy (&poller);
    s_flush (self);                     //  what is held is answered before the sockets close
    gl_log_info ("%s: stopping (last seq %llu)", self->def->name,
                 (unsigned long long) gl_outbox_last (self->outbox));
    return 0;
}

void
gl_service_actor (zsock_t *pipe, void *args)
{
    gl_service_args_t *a = args;
    gl_err_t err;
    gl_service_t *self = gl_service_new (a->def, a->cfg, &err);
    if (!self) {
        gl_log_error ("%s", err.message);
        zsock_signal (pipe, 1);
        return;
    }
    zsock_signal (pipe, 0);
    gl_service_run (self, pipe);
    gl_service_destroy (&self);
}

int
gl_service_main (int argc, char **argv, const gl_service_def_t *def)
{
    char prog [64], usage [1024];
    snprintf (prog, sizeof prog, "gridloop-%s", def->name);
    snprintf (usage, sizeof usage,
        "usage: %s [--config FILE]\n"
        "\n"
        "Runs the gridloop %s service until SIGINT or SIGTERM.\n"
        "\n"
        "  --config FILE   the gridloop configuration (ZPL); default /etc/gridloop/gridloop.cfg\n"
        "  --help          this text\n"
        "  --version       the version\n"
        "\n"
        "Its settings are the ones under '%s/' and the shared ones; `gridloop config` prints\n"
        "them all with their defaults and meaning.\n", prog, def->name, def->name);
    gl_config_t cfg;
    int rc = gl_config_from_args (&cfg, argc, argv, prog, usage);
    if (rc >= 0)
        return rc;
    if (optind < argc) {
        fprintf (stderr, "%s: unexpected argument '%s'\n%s", prog, argv [optind], usage);
        return 2;
    }
    zsys_init ();
    zsys_set_logident (prog);
    gl_err_t err;
    gl_service_t *self = gl_service_new (def, &cfg, &err);
    if (!self) {
        fprintf (stderr, "%s: %s\n", prog, err.message);
        return 1;
    }
    gl_service_run (self, NULL);
    gl_service_destroy (&self);
    return 0;
}

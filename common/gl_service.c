/*  gl_service — the service skeleton and its batch loop (group commit).  */
#include "gl_service.h"

#include <string.h>

#define S_HEARTBEAT_MS  1000    //  heartbeat period: consumers notice a lost last message
#define S_HOUSEKEEP_MS  60000   //  retention runs this often
#define S_TRIM_LIMIT    20000   //  most entries deleted per retention round (short txns)
#define S_POLL_MS       100     //  longest sleep, so timers stay on time

typedef enum { S_REQUEST, S_MESSAGE } s_kind_t;

typedef struct {
    s_kind_t kind;              //  request or consumed item
    gl_request_t req;           //  S_REQUEST: route and payload
    gl_doc_t doc;               //  S_REQUEST: the parsed payload
    const gl_op_t *op;          //  S_REQUEST: its operation
    msgpack_sbuffer answer;     //  S_REQUEST: the answer, once processed
    bool refused;               //  S_REQUEST: the answer is an error (counted in status)
    gl_inbox_item_t *in;        //  S_MESSAGE: live message or replay page
} s_item_t;

struct gl_ctx_s {
    gl_service_t *service;      //  whose batch
    MDB_txn *txn;               //  the batch's write transaction
    int64_t now;                //  the batch's time
};

struct gl_service_s {
    const gl_service_def_t *def;    //  what this service is
    gl_config_t cfg;            //  its settings
    void *state;                //  the service's own state
    gl_store_t *store;          //  its LMDB environment
    gl_outbox_t *outbox;        //  what it publishes
    gl_inbox_t *inbox;          //  what it consumes (NULL if nothing)
    zsock_t *router;            //  requests
    zsock_t *pub;               //  publications, to the bus frontend
    MDB_dbi answers;            //  req_id -> ts (8) + answer bytes
    MDB_dbi answers_ts;         //  ts (8) + req_id -> nothing: retention order
    s_item_t *items;            //  the batch being gathered
    size_t nitems;
    gl_inbox_item_t **pages;    //  inbox items of the batch, for gl_inbox_commit
    gl_ctx_t ctx;               //  handed to handlers
    gl_mapw_t fields;           //  reused answer builder
    int64_t started;            //  monotonic ms at start
    uint64_t requests;          //  requests answered
    uint64_t errors;            //  error answers and refused messages
    uint64_t published;         //  messages handed to the publisher
    uint64_t batches;           //  write transactions committed
};

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

void *
gl_ctx_state (gl_ctx_t *ctx)
{
    return ctx->service->state;
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
                             ctx->now);
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

static int
s_op_replay (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    gl_service_t *self = ctx->service;
    uint64_t from = 1, max = 1000;
    gl_get_u64 (req, "from", &from);
    gl_get_u64 (req, "max", &max);
    //  Half the message limit leaves room for framing; the consumer asks again for the rest.
    return gl_outbox_replay (self->outbox, ctx->txn, from, max,
                             (size_t) self->cfg.max_msg_bytes / 2, reply);
}

static const gl_op_t s_common_ops [] = {
    { "replay", s_op_replay, false, &s_replay_schema },
};

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
    gl_mapw_u64 (w, "map_mb", gl_store_mapsize (self->store) >> 20);
    gl_mapw_str (w, "clock", gl_clock_is_manual ()? "manual": "wall");
    gl_mapw_i64 (w, "now_ms", gl_clock_now ());
    if (self->def->status)
        self->def->status (self, w);
    gl_mapw_t inbox;
    gl_mapw_init (&inbox);
    if (self->inbox)
        gl_inbox_status (self->inbox, &inbox);
    gl_mapw_map (w, "inbox", &inbox);
    gl_mapw_fini (&inbox);
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
    gl_mapw_i64 (w, "now_ms", gl_clock_now ());
    return 0;
}

//  Online backup: a compacted copy of the live store, taken inside a read transaction, so the
//  service goes on committing meanwhile (its loop waits for the copy, a few seconds per GB).
static int
s_backup (gl_service_t *self, const msgpack_object *req, gl_mapw_t *w, gl_err_t *err)
{
    char path [512];
    if (!gl_get_strbuf (req, "path", path, sizeof path) || path [0] != '/')
        return gl_fail (err, GL_INVALID, "field 'path' is required: an absolute path on the "
                        "service's host for a new, empty directory to copy the store into");
    char probe [600];
    snprintf (probe, sizeof probe, "%s/data.mdb", path);
    if (zsys_file_exists (probe))
        return gl_fail (err, GL_CONFLICT, "%s already holds a store: give a new directory",
                        path);
    int64_t started = zclock_mono ();
    if (gl_store_backup (self->store, path, err))
        return -1;
    gl_log_notice ("%s: backup written to %s in %lld ms", self->def->name, path,
                   (long long) (zclock_mono () - started));
    gl_mapw_str (w, "path", path);
    gl_mapw_u64 (w, "epoch", gl_outbox_epoch (self->outbox));
    gl_mapw_u64 (w, "last_seq", gl_outbox_last (self->outbox));
    return 0;
}

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

//  Answer at once (not part of a batch): errors of form, status and clock.
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
        s_status (self, &self->fields);
        s_answer_now (self, &req, &self->fields, NULL);
    }
    else
    if (gl_str_eq (opname, "backup")) {
        int rc = s_backup (self, &doc.root, &self->fields, &err);
        s_answer_now (self, &req, &self->fields, rc? &err: NULL);
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
            item->req = req;
            item->doc = doc;
            item->op = op;
            return true;
        }
    }
    gl_doc_fini (&doc);
    return true;
}

static void
s_gather (gl_service_t *self)
{
    size_t limit = (size_t) self->cfg.batch;
    bool more = true;
    while (more && self->nitems < limit) {
        more = false;
        if (s_take_request (self))
            more = true;
        if (self->inbox && self->nitems < limit) {
            gl_inbox_item_t *in;
            while (self->nitems < limit && (in = gl_inbox_recv (self->inbox))) {
                s_item_t *item = s_new_item (self, S_MESSAGE);
                item->in = in;
                more = true;
                if (self->nitems % 64 == 0)
                    break;              //  let requests in between
            }
        }
    }
}

//  ---------------------------------------------------------------------------------------------
//  Applying a batch in one write transaction.

static int
s_handle (gl_service_t *self, s_item_t *item)
{
    const msgpack_object *req = &item->doc.root;
    const gl_op_t *op = item->op;
    gl_err_t err = { GL_OK, "" };
    const char *req_id = NULL;
    size_t req_id_len = 0;
    item->answer.size = 0;
    item->refused = true;               //  until an answer says ok
    if (op->mutating) {
        if (!gl_get_str (req, "req_id", &req_id, &req_id_len) || req_id_len == 0
        ||  req_id_len > GL_MAX_NAME) {
            gl_fail (&err, GL_INVALID, "field 'req_id' is required for '%s': a string of 1 to "
                     "64 bytes, unique per request and the same when you retry it", op->name);
            gl_reply_error (&item->answer, &err);
            return 0;
        }
        const void *val;
        size_t len;
        int rc = gl_db_get (self->ctx.txn, self->answers, req_id, req_id_len, &val, &len);
        if (rc == 0 && len >= 8) {      //  a retry: the same answer, nothing changes
            msgpack_sbuffer_write (&item->answer, (const char *) val + 8, len - 8);
            item->refused = false;      //  only successful answers are kept
            return 0;
        }
        if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    int rc = 0;
    gl_mapw_reset (&self->fields);
    if (op->schema && gl_schema_check (op->schema, req, &err))
        rc = -1;
    else
        rc = op->fn (&self->ctx, req, &self->fields, &err);
    if (rc != 0 && rc != GL_REFUSED)
        return rc;                      //  storage error: the whole batch fails or is retried
    if (rc == 0)
        gl_reply_ok (&item->answer, &self->fields);
    else
        gl_reply_error (&item->answer, &err);
    item->refused = rc != 0;
    //  Keep successful answers for retries: a refused request changed nothing, and its retry
    //  is checked afresh (so "not now" can become "done").
    if (op->mutating && rc == 0) {
        uint8_t stamp [8 + GL_MAX_NAME];
        gl_be64_put (stamp, (uint64_t) self->ctx.now);
        memcpy (stamp + 8, req_id, req_id_len);
        MDB_val k = { req_id_len, (void *) req_id }, v = { 8 + item->answer.size, NULL };
        rc = mdb_put (self->ctx.txn, self->answers, &k, &v, MDB_RESERVE);
        if (rc)
            return rc;
        memcpy (v.mv_data, stamp, 8);
        memcpy ((char *) v.mv_data + 8, item->answer.data, item->answer.size);
        rc = gl_db_put (self->ctx.txn, self->answers_ts, stamp, 8 + req_id_len, "", 0, 0);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_batch (MDB_txn *txn, void *arg)
{
    gl_service_t *self = arg;
    self->ctx.txn = txn;
    gl_outbox_begin (self->outbox);
    if (self->inbox)
        gl_inbox_begin (self->inbox);
    int rc = 0;
    for (size_t i = 0; i < self->nitems && rc == 0; i++) {
        s_item_t *item = &self->items [i];
        if (item->kind == S_REQUEST)
            rc = s_handle (self, item);
        else
            rc = gl_inbox_process (self->inbox, txn, item->in);
    }
    if (rc == 0)
        rc = gl_outbox_end (self->outbox, txn);
    if (rc == 0 && self->inbox)
        rc = gl_inbox_end (self->inbox, txn);
    return rc;
}

static void
s_run_batch (gl_service_t *self)
{
    self->ctx.now = gl_clock_now ();
    int rc = gl_store_write (self->store, s_batch, self);
    void *router = zsock_resolve (self->router);
    size_t npages = 0;
    if (rc == 0) {
        self->batches++;
        self->published += gl_outbox_publish (self->outbox, zsock_resolve (self->pub));
        for (size_t i = 0; i < self->nitems; i++)
            if (self->items [i].kind == S_MESSAGE)
                self->pages [npages++] = self->items [i].in;
        if (self->inbox)
            gl_inbox_commit (self->inbox, self->pages, npages);
    }
    else {
        gl_outbox_abort (self->outbox);
        gl_log_error ("%s: a batch of %zu failed to commit: %s", self->def->name,
                      self->nitems, mdb_strerror (rc));
    }
    for (size_t i = 0; i < self->nitems; i++) {
        s_item_t *item = &self->items [i];
        if (item->kind == S_REQUEST) {
            if (rc) {
                gl_err_t err;
                gl_fail (&err, GL_UNAVAILABLE, "the request could not be stored (%s); nothing "
                         "changed: retry it with the same req_id", mdb_strerror (rc));
                item->answer.size = 0;
                gl_reply_error (&item->answer, &err);
            }
            gl_request_answer (&item->req, router, item->answer.data, item->answer.size);
            self->requests++;
            if (rc || item->refused)
                self->errors++;
            gl_doc_fini (&item->doc);
        }
        else
            gl_inbox_item_destroy (&item->in);
        msgpack_sbuffer_destroy (&item->answer);
    }
    self->nitems = 0;
}

//  ---------------------------------------------------------------------------------------------
//  Housekeeping: retention of the outbox and of kept answers.

static int
s_housekeep_txn (MDB_txn *txn, void *arg)
{
    gl_service_t *self = arg;
    int64_t now = gl_clock_now ();
    int64_t age = self->cfg.retention_days * 86400000LL;
    size_t deleted = 0;
    int rc = gl_outbox_trim (self->outbox, txn, now, age,
                             (size_t) self->cfg.retention_max_mb << 20, S_TRIM_LIMIT, &deleted);
    if (rc)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open (txn, self->answers_ts, &cur)))
        return rc;
    MDB_val k, v;
    size_t n = 0;
    rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST);
    while (rc == 0 && n < S_TRIM_LIMIT && k.mv_size > 8
       &&  (int64_t) gl_be64_get (k.mv_data) < now - age) {
        MDB_val id = { k.mv_size - 8, (char *) k.mv_data + 8 };
        rc = mdb_del (txn, self->answers, &id, NULL);
        if (rc == 0 || rc == MDB_NOTFOUND)
            rc = mdb_cursor_del (cur, 0);
        if (rc == 0)
            rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
        n++;
    }
    mdb_cursor_close (cur);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  ---------------------------------------------------------------------------------------------

static int
s_consume (void *arg, MDB_txn *txn, const char *topic, const gl_envelope_t *env)
{
    gl_service_t *self = arg;
    return self->def->consume (&self->ctx, topic, env);
}

gl_service_t *
gl_service_new (const gl_service_def_t *def, const gl_config_t *cfg, gl_err_t *err)
{
    gl_service_t *self = calloc (1, sizeof *self);
    self->def = def;
    self->cfg = *cfg;
    self->ctx.service = self;
    self->started = zclock_mono ();
    gl_mapw_init (&self->fields);
    self->items = calloc ((size_t) cfg->batch, sizeof (s_item_t));
    self->pages = calloc ((size_t) cfg->batch, sizeof (gl_inbox_item_t *));
    const gl_svc_config_t *svc = &cfg->svc [def->svc];

    gl_log_set_level (gl_log_level_parse (cfg->log_level));
    if (streq (cfg->clock_mode, "manual"))
        gl_clock_manual (cfg->clock_start_ms);

    const char *names [32];
    size_t n = 0;
    names [n++] = "outbox";
    names [n++] = "inbox";
    names [n++] = "answers";
    names [n++] = "answers_ts";
    for (size_t i = 0; def->dbs && def->dbs [i] && n < 31; i++)
        names [n++] = def->dbs [i];
    names [n] = NULL;
    char dir [512];
    snprintf (dir, sizeof dir, "%s/%s", cfg->data_dir, def->name);
    self->store = gl_store_new (dir, names, (size_t) svc->map_mb,
                                streq (svc->durability, "nosync"), err);
    if (!self->store)
        goto fail;
    self->answers = gl_store_dbi (self->store, "answers");
    self->answers_ts = gl_store_dbi (self->store, "answers_ts");
    self->outbox = gl_outbox_new (self->store, def->name);
    if (def->open && def->open (self, err))
        goto fail;

    self->router = zsock_new (ZMQ_ROUTER);
    gl_socket_limits (self->router, cfg->max_msg_bytes, 0);
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
    gl_socket_limits (self->pub, cfg->max_msg_bytes, 500);
    zsock_set_sndhwm (self->pub, (int) cfg->pub_hwm);
    zsock_connect (self->pub, "%s", cfg->bus_frontend);
    if (def->consume && (svc->reads [0] || def->passive)) {
        self->inbox = gl_inbox_new (self->store, cfg, svc->reads, def->passive, s_consume,
                                    self, err);
        if (!self->inbox)
            goto fail;
    }
    gl_log_info ("%s %s: serving on %s, data in %s, epoch %llu, last seq %llu%s%s",
                 def->name, GL_VERSION, svc->endpoint, dir,
                 (unsigned long long) gl_outbox_epoch (self->outbox),
                 (unsigned long long) gl_outbox_last (self->outbox),
                 self->inbox? ", reading ": "", self->inbox? svc->reads: "");
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
    if (self->def->close && self->store)
        self->def->close (self);
    gl_inbox_destroy (&self->inbox);
    zsock_destroy (&self->router);
    zsock_destroy (&self->pub);
    gl_outbox_destroy (&self->outbox);
    gl_store_destroy (&self->store);
    gl_mapw_fini (&self->fields);
    free (self->items);
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
    int64_t next_hb = 0, next_housekeep = zclock_mono () + S_HOUSEKEEP_MS;
    while (!zsys_interrupted) {
        void *which = zpoller_wait (poller, S_POLL_MS);
        if (pipe && which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        }
        if (zpoller_terminated (poller))
            break;
        s_gather (self);
        if (self->nitems)
            s_run_batch (self);
        int64_t now = zclock_mono ();
        if (self->inbox)
            gl_inbox_tick (self->inbox);
        if (now >= next_hb) {
            gl_outbox_heartbeat (self->outbox, zsock_resolve (self->pub), gl_clock_now ());
            next_hb = now + S_HEARTBEAT_MS;
        }
        if (now >= next_housekeep) {
            int rc = gl_store_write (self->store, s_housekeep_txn, self);
            if (rc)
                gl_log_warning ("%s: retention round failed: %s", self->def->name,
                                mdb_strerror (rc));
            next_housekeep = now + S_HOUSEKEEP_MS;
        }
    }
    zpoller_destroy (&poller);
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

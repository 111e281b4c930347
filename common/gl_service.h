/*  gl_service — the skeleton every gridloop service runs in: configuration, logging, the store,
    the county's domain model for the services that need it, the ROUTER with the common
    operations (status, replay, backup, clock), the publisher with its outbox and heartbeat,
    the inbox for consumed streams, graceful stop on SIGINT/SIGTERM — and group commit:
    whatever requests and messages are waiting (up to limits/batch of them, and limits/batch_mb
    of memory) are applied in one write transaction, and only after it is durably committed
    are the answers sent and the resulting messages published. Under durability "pipelined"
    (the commit pipeline) a committed batch waits for its meta page to be durable while the
    next batch is applied; nothing of it leaves before that (gl_service.c says how).

    A service supplies a table of operations and, if it consumes streams, a consume function.
    Both run inside the batch's write transaction and may be run twice (when the map grows), so
    they change nothing outside the transaction. A handler that refuses a request (returns
    GL_REFUSED) must not have written anything: check first, then write. The skeleton counts
    every write (gl_db) and holds it to that: a handler or consume function that refuses after
    writing is a bug, logged and counted (status: refused_writes); the batch is run again
    without it, so what it wrote is never kept.

    Answers to state-changing requests are kept by req_id with a fingerprint of the request:
    a retry gets the same answer, and the same req_id with a different request is CONFLICT.  */
#ifndef GL_SERVICE_H
#define GL_SERVICE_H

#include "gl_clock.h"
#include "gl_config.h"
#include "gl_log.h"
#include "gl_org.h"
#include "gl_proto.h"
#include "gl_security.h"
#include "gl_store.h"
#include "gl_stream.h"

typedef struct gl_service_s gl_service_t;
typedef struct gl_ctx_s gl_ctx_t;

/*  An operation. Returns 0 with the answer's fields in reply, GL_REFUSED (-1) with err set (and
    nothing written), or any other value: an LMDB or system error code, which fails the whole
    batch (MDB_MAP_FULL: the map grows and the batch runs again).  */
typedef int (gl_op_fn) (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply,
                        gl_err_t *err);

typedef struct {
    const char *name;           //  "op" on the wire
    gl_op_fn *fn;               //  the handler
    bool mutating;              //  changes state: needs req_id, the answer is kept for retries
    const gl_schema_t *schema;  //  checked before the handler runs (NULL: none)
    bool paged;                 //  its answer may be a whole page (limits/replay_kb): counted
                                //  at that size in the batch's memory bound
} gl_op_t;

/*  A consumed message. Returns 0 applied, GL_REFUSED (-1) refused for good, or any other value:
    an LMDB or system error code, which fails the whole batch.  */
typedef int (gl_consume_fn) (gl_ctx_t *ctx, const char *topic, const gl_envelope_t *env);

typedef struct {
    const char *name;           //  process and producer name, e.g. "intake"
    gl_svc_t svc;               //  its settings in gl_config_t
    const char *const *dbs;     //  its own databases, NULL-terminated
    const gl_op_t *ops;         //  its operations
    size_t nops;
    gl_consume_fn *consume;     //  NULL: consumes nothing
    const char *passive;        //  topic prefix of outside publishers it consumes ("ext.")
    bool needs_org;             //  load the county's org model (gl_ctx_org) before open
    /*  After the store is open: load state. Returns 0 or -1 with err.  */
    int (*open) (gl_service_t *self, gl_err_t *err);
    /*  Extra status fields (may read the store). NULL: none.  */
    void (*status) (gl_service_t *self, gl_mapw_t *w);
    /*  Retention of the service's own tables, in a write transaction of its own, every
        housekeeping round (and after the clock moves, in manual mode). Returns 0 or an LMDB
        error. NULL: nothing to trim.  */
    int (*housekeep) (gl_ctx_t *ctx);
    /*  Timers: called about once a second (S_TICK_MS), and at once after the clock moves in
        manual mode, in a write transaction of its own that is run like a batch: what it emits
        (gl_ctx_emit) is written to the outbox in the transaction and published only after the
        commit, so a message and the state change that caused it are kept or lost together
        (a crash between the commit and the publish is repaired from the outbox by the
        consumers' replay). Returns 0 or an LMDB error (the round is rolled back and runs
        again at the next tick). NULL: no timers.  */
    int (*tick) (gl_ctx_t *ctx);
    /*  Before the store closes: release what the state holds. The state itself (one block
        from zmalloc, set by open) is freed by the skeleton afterwards. NULL: nothing more.  */
    void (*close) (gl_service_t *self);
} gl_service_def_t;

/*  Start a service: config checked, store opened (its directory locked), org loaded if asked,
    open called, sockets bound and connected. Returns NULL with err set, nothing left open.  */
gl_service_t *gl_service_new (const gl_service_def_t *def, const gl_config_t *cfg,
                              gl_err_t *err);
void gl_service_destroy (gl_service_t **self_p);
/*  Serve until SIGINT/SIGTERM or "$TERM" on pipe (may be NULL). Returns 0.  */
int gl_service_run (gl_service_t *self, zsock_t *pipe);
/*  The whole of a service's main(): --config FILE, --help, --version, then run.  */
int gl_service_main (int argc, char **argv, const gl_service_def_t *def);
/*  Run a service as an in-process actor (for tests): args is a gl_service_args_t.  */
typedef struct {
    const gl_service_def_t *def;
    const gl_config_t *cfg;
} gl_service_args_t;
void gl_service_actor (zsock_t *pipe, void *args);

/*  The service's own state: one zmalloc'ed block set by open, freed by the skeleton at the
    end (after close).  */
void *gl_service_state (gl_service_t *self);
void gl_service_set_state (gl_service_t *self, void *state);
gl_store_t *gl_service_store (gl_service_t *self);
const gl_config_t *gl_service_config (gl_service_t *self);
/*  The county's org model (needs_org), else NULL.  */
gl_org_t *gl_service_org (gl_service_t *self);
/*  The service's outbox (its epoch and lineage).  */
gl_outbox_t *gl_service_outbox (gl_service_t *self);

/*  For a status hook: the named counters kept in database db (gl_db_add_u64), as fields of w
    (0 for a counter never counted).  */
void gl_service_status_counters (gl_service_t *self, const char *db,
                                 const char *const *names, gl_mapw_t *w);

/*  Inside a handler or consume function.  */
MDB_txn *gl_ctx_txn (gl_ctx_t *ctx);
gl_service_t *gl_ctx_service (gl_ctx_t *ctx);
void *gl_ctx_state (gl_ctx_t *ctx);
gl_org_t *gl_ctx_org (gl_ctx_t *ctx);
const gl_config_t *gl_ctx_config (gl_ctx_t *ctx);
MDB_dbi gl_ctx_dbi (gl_ctx_t *ctx, const char *name);
/*  Who sent the request being handled, from its connection (gl_security.h; all "" for a
    consumed message, and under plain).  */
const gl_caller_t *gl_ctx_caller (gl_ctx_t *ctx);
/*  The batch's time (domain clock, ms), the same for everything in the batch.  */
int64_t gl_ctx_now (gl_ctx_t *ctx);
/*  From a tick hook: there is more due than one round took on (it bounds its transaction);
    the next round runs at once instead of a tick later.  */
void gl_ctx_more (gl_ctx_t *ctx);
/*  Emit a message on topic "<service>.<type>[.<qualifier>]" as part of this batch: written to
    the outbox now, published after the commit. Returns 0, an LMDB error, or GL_REFUSED when
    the message would be over limits/max_envelope_bytes (the handler returns it; the request
    is answered TOO_LARGE).  */
int gl_ctx_emit (gl_ctx_t *ctx, const char *type, const char *qualifier, const char *id,
                 const void *body, size_t body_len);
/*  The same with a writer's map as the body.  */
int gl_ctx_emit_map (gl_ctx_t *ctx, const char *type, const char *qualifier, const char *id,
                     gl_mapw_t *body);

#endif

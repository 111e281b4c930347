/*  gl_store — one LMDB environment per service: its data directory locked against a second
    process, named databases opened once at start, write transactions that survive a full map
    (grow and retry), durability as configured, the store's epoch (its identity, for the
    reliable stream) and online backup. Its tables are read and written with gl_db.  */
#ifndef GL_STORE_H
#define GL_STORE_H

#include "gl_db.h"
#include "gl_fault.h"
#include <lmdb.h>

typedef struct gl_store_s gl_store_t;

/*  How commits reach the disk (DESIGN.md 4).  */
typedef enum {
    GL_SYNC,                    //  every commit synced (data, then meta page) inside the commit
    GL_PIPELINED,               //  the same promise, fewer waits: a commit syncs its data, its
                                //  meta page is made durable by the next commit's data sync or
                                //  by gl_store_flush (MDB_NOMETASYNC); the caller holds a
                                //  batch's answers until gl_store_synced covers it
    GL_METASYNC                 //  data synced, the meta page at the next commit: a crash of the
                                //  machine rolls back the last commit (MDB_NOMETASYNC); only for
                                //  sinks, whose inbox positions roll back with their effects
} gl_durability_t;

#define GL_STORE_MAX_DBS 32     //  named databases per environment, "meta" included

/*  Open (creating if needed) the environment in dir with the named databases (NULL-terminated
    list; "meta" is always added). The directory is locked first (flock on dir/gridloop.lock,
    held until destroy): a second process opening it is refused with the holder's pid. map_mb
    is the initial map size. Clears stale reader slots left by dead processes. Returns NULL
    with err set on failure (a locked directory, more than GL_STORE_MAX_DBS - 1 names, LMDB
    refusing to open), having left nothing open.  */
gl_store_t *gl_store_new (const char *dir, const char *const *dbnames, size_t map_mb,
                          gl_durability_t durability, gl_err_t *err);
void gl_store_destroy (gl_store_t **self_p);

/*  The handle of a database named at open; aborts the process for an unknown name (a bug).  */
MDB_dbi gl_store_dbi (gl_store_t *self, const char *name);
MDB_env *gl_store_env (gl_store_t *self);
/*  The store's identity: a random non-zero 64-bit number made when the store was created.  */
uint64_t gl_store_epoch (gl_store_t *self);
/*  True when this open is the first of a store restored from a backup (it took a new epoch).  */
bool gl_store_restored (gl_store_t *self);
/*  Current map size in bytes.  */
size_t gl_store_mapsize (gl_store_t *self);
/*  The data directory.  */
const char *gl_store_dir (gl_store_t *self);

/*  A unit of work inside a transaction. Returns 0 or an LMDB error code. It may be run more than
    once (after the map grows), so it must not change anything outside the transaction before
    the write returns.  */
typedef int (gl_txn_fn) (MDB_txn *txn, void *arg);

/*  Run fn in one write transaction and commit it durably (as configured). On MDB_MAP_FULL the
    transaction is aborted, the map doubled and fn run again. Returns 0, or the LMDB error (the
    transaction is then aborted and nothing changed). MDB_PANIC exits the process with status 70
    for the supervisor to restart it.  */
int gl_store_write (gl_store_t *self, gl_txn_fn *fn, void *arg);
/*  Run fn in a read-only transaction.  */
int gl_store_read (gl_store_t *self, gl_txn_fn *fn, void *arg);

/*  The commit pipeline's marks, as LMDB transaction ids: the last commit that wrote something,
    and the last one known durable with its meta page (its answers may leave). Under GL_SYNC
    they are always equal; otherwise every commit that writes syncs its data after the meta
    pages of the commits before it were written, so it covers them: synced is then at least
    committed - 1.  */
uint64_t gl_store_committed (gl_store_t *self);
uint64_t gl_store_synced (gl_store_t *self);
/*  Sync the environment's file (data and meta pages). Safe to call from another thread than
    the writer's: it touches nothing of self but the environment. A sync that fails leaves
    what is on the disk unknown (the kernel may have dropped the dirty pages), so the process
    exits with status 70 for its supervisor to restart it from what the disk holds.  */
void gl_store_flush (gl_store_t *self);
/*  Record that a gl_store_flush begun when committed was txnid has returned: every commit up
    to txnid is durable. Writer's thread only.  */
void gl_store_covered (gl_store_t *self, uint64_t txnid);

/*  Fault injection (test builds): at a GL_FAULT_EXIT or GL_FAULT_CUT, _exit; a cut first
    loses what no sync has covered, as a power cut would: the newest meta page, when it is
    not durable yet, is made unusable, so the store opens at the commit before it. A point
    that does not fault returns.  */
void gl_store_fault_exit (gl_store_t *self, int fault, const char *where);

/*  Copy the live environment to path (a new directory, created 0750 with its parents),
    compacted, with its file 0640, and mark the copy so that a store restored from it takes a
    new epoch. Returns 0 or -1 + err.  */
int gl_store_backup (gl_store_t *self, const char *path, gl_err_t *err);

/*  Create a directory and its parents (mode 0750). Returns 0, or -1 with errno set.  */
int gl_store_mkdirs (const char *path);

#endif

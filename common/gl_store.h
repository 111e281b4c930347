/*  gl_store — one LMDB environment per service: named databases opened once at start, write
    transactions that survive a full map (grow and retry), durability as configured, the store's
    epoch (its identity, for the reliable stream) and online backup.  */
#ifndef GL_STORE_H
#define GL_STORE_H

#include "gl_codec.h"
#include <lmdb.h>

typedef struct gl_store_s gl_store_t;

/*  Open (creating if needed) the environment in dir with the named databases (NULL-terminated
    list; "meta" is always added). map_mb is the initial map size; nosync trades the last
    commits on power loss for speed (only for pure sinks, see DESIGN.md 4). Clears stale reader
    slots left by dead processes. Returns NULL with err set on failure.  */
gl_store_t *gl_store_new (const char *dir, const char *const *dbnames, size_t map_mb,
                          bool nosync, gl_err_t *err);
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

/*  Copy the live environment to path (a new directory), compacted, and mark the copy so that
    a store restored from it takes a new epoch. Returns 0 or -1 + err.  */
int gl_store_backup (gl_store_t *self, const char *path, gl_err_t *err);

/*  Small helpers for the common cases.  */
int gl_db_put (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *val,
               size_t vlen, unsigned flags);
/*  Returns 0 and sets val and vlen, or MDB_NOTFOUND.  */
int gl_db_get (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void **val,
               size_t *vlen);

/*  Counters and positions: a big-endian 64-bit number stored under key. get sets *value (0
    when the key is absent) and returns 0, or an LMDB error; add adds delta and gives the new
    value in *value when value is not NULL.  */
int gl_db_get_u64 (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, uint64_t *value);
int gl_db_put_u64 (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, uint64_t value);
int gl_db_add_u64 (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, uint64_t delta,
                   uint64_t *value);

#endif

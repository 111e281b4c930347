/*  gl_store — the LMDB environment of one service.  */
#include "gl_store.h"
#include "gl_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <czmq.h>

#define S_MAX_DBS 32            //  named databases per environment; services use fewer than 16

struct gl_store_s {
    MDB_env *env;               //  the environment
    char dir [512];             //  where it lives
    size_t mapsize;             //  current map size in bytes
    uint64_t epoch;             //  store identity, from meta "epoch"
    bool restored;              //  opened from a backup copy for the first time
    size_t ndbs;                //  databases opened
    char *names [S_MAX_DBS];    //  their names
    MDB_dbi dbis [S_MAX_DBS];   //  their handles
};

static int
s_mkdirs (const char *path)
{
    char buf [512];
    snprintf (buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (buf, 0750) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return (mkdir (buf, 0750) && errno != EEXIST)? -1: 0;
}

gl_store_t *
gl_store_new (const char *dir, const char *const *dbnames, size_t map_mb, bool nosync,
              gl_err_t *err)
{
    gl_store_t *self = calloc (1, sizeof *self);
    if (!self) {
        gl_fail (err, GL_INTERNAL, "out of memory");
        return NULL;
    }
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    self->mapsize = (map_mb? map_mb: 64) << 20;
    int rc;
    if (s_mkdirs (dir)) {
        gl_fail (err, GL_INTERNAL, "cannot create the data directory %s: %s", dir,
                 strerror (errno));
        goto fail;
    }
    if ((rc = mdb_env_create (&self->env))
    ||  (rc = mdb_env_set_maxdbs (self->env, S_MAX_DBS))
    ||  (rc = mdb_env_set_mapsize (self->env, self->mapsize))
    ||  (rc = mdb_env_open (self->env, dir, MDB_NOTLS | (nosync? MDB_NOSYNC: 0), 0640))) {
        gl_fail (err, GL_INTERNAL, "cannot open the store in %s: %s", dir, mdb_strerror (rc));
        goto fail;
    }
    //  A process killed inside a read transaction leaves its reader slot behind; clear them.
    int dead = 0;
    mdb_reader_check (self->env, &dead);
    if (dead)
        gl_log_notice ("store %s: cleared %d stale reader slots", dir, dead);
    //  LMDB opens an existing store with the map it asks for, or just the size of the data if
    //  that is larger, which leaves no room at all: start with twice the data in hand.
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info (self->env, &info);
    mdb_env_stat (self->env, &st);
    size_t used = (info.me_last_pgno + 1) * (size_t) st.ms_psize;
    if (info.me_mapsize > self->mapsize)
        self->mapsize = info.me_mapsize;
    if (used * 2 > self->mapsize)
        self->mapsize = used * 2;
    if (self->mapsize > info.me_mapsize && (rc = mdb_env_set_mapsize (self->env, self->mapsize))) {
        gl_fail (err, GL_INTERNAL, "cannot size the map of %s to %zu MB: %s", dir,
                 self->mapsize >> 20, mdb_strerror (rc));
        goto fail;
    }

    MDB_txn *txn;
    if ((rc = mdb_txn_begin (self->env, NULL, 0, &txn))) {
        gl_fail (err, GL_INTERNAL, "cannot open the store in %s: %s", dir, mdb_strerror (rc));
        goto fail;
    }
    self->names [self->ndbs++] = strdup ("meta");
    for (size_t i = 0; dbnames && dbnames [i] && self->ndbs < S_MAX_DBS; i++)
        self->names [self->ndbs++] = strdup (dbnames [i]);
    for (size_t i = 0; i < self->ndbs && rc == 0; i++)
        rc = mdb_dbi_open (txn, self->names [i], MDB_CREATE, &self->dbis [i]);
    if (rc == 0) {
        //  The epoch names this store: a consumer seeing a new one starts this producer over.
        //  A store restored from a backup must not reuse the seqs its original went on to
        //  publish after the copy: a backup carries a "fresh_epoch" mark, and opening it
        //  makes a new epoch (consumers then start it over rather than drop its messages).
        MDB_val key = { 5, "epoch" }, val, mark = { 11, "fresh_epoch" };
        bool fresh = mdb_get (txn, self->dbis [0], &mark, &val) == 0;
        if (fresh) {
            self->restored = true;
            mdb_del (txn, self->dbis [0], &mark, NULL);
            gl_log_notice ("store %s was restored from a backup: it takes a new epoch", dir);
        }
        rc = mdb_get (txn, self->dbis [0], &key, &val);
        if (rc == 0 && val.mv_size == 8 && !fresh)
            self->epoch = gl_be64_get (val.mv_data);
        else {
            uint8_t buf [8];
            //  Below 2^53, so clients that hold numbers as doubles (JSON, JavaScript) keep it.
            do
                self->epoch = (((uint64_t) randof (0x7fffffff) << 31)
                            ^ (uint64_t) randof (0x7fffffff) ^ (uint64_t) zclock_usecs ())
                            & ((1ULL << 53) - 1);
            while (self->epoch == 0);
            gl_be64_put (buf, self->epoch);
            val.mv_size = 8;
            val.mv_data = buf;
            rc = mdb_put (txn, self->dbis [0], &key, &val, 0);
        }
    }
    if (rc == 0)
        rc = mdb_txn_commit (txn);
    else
        mdb_txn_abort (txn);
    if (rc) {
        gl_fail (err, GL_INTERNAL, "cannot prepare the store in %s: %s", dir, mdb_strerror (rc));
        goto fail;
    }
    return self;
fail:
    gl_store_destroy (&self);
    return NULL;
}

void
gl_store_destroy (gl_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gl_store_t *self = *self_p;
    if (self->env)
        mdb_env_close (self->env);
    for (size_t i = 0; i < self->ndbs; i++)
        free (self->names [i]);
    free (self);
    *self_p = NULL;
}

MDB_dbi
gl_store_dbi (gl_store_t *self, const char *name)
{
    for (size_t i = 0; i < self->ndbs; i++)
        if (strcmp (self->names [i], name) == 0)
            return self->dbis [i];
    gl_log_error ("store %s has no database '%s' (a bug: name it at open)", self->dir, name);
    abort ();
}

MDB_env *
gl_store_env (gl_store_t *self)
{
    return self->env;
}

uint64_t
gl_store_epoch (gl_store_t *self)
{
    return self->epoch;
}

bool
gl_store_restored (gl_store_t *self)
{
    return self->restored;
}

size_t
gl_store_mapsize (gl_store_t *self)
{
    return self->mapsize;
}

int
gl_store_write (gl_store_t *self, gl_txn_fn *fn, void *arg)
{
    for (;;) {
        MDB_txn *txn;
        int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
        if (rc == 0) {
            rc = fn (txn, arg);
            if (rc == 0)
                rc = mdb_txn_commit (txn);      //  commit frees txn even when it fails
            else
                mdb_txn_abort (txn);
        }
        if (rc == MDB_MAP_FULL) {
            size_t grown = self->mapsize * 2;
            int rc2 = mdb_env_set_mapsize (self->env, grown);
            if (rc2) {
                gl_log_error ("store %s: cannot grow the map to %zu MB: %s", self->dir,
                              grown >> 20, mdb_strerror (rc2));
                return rc;
            }
            gl_log_notice ("store %s: map full, grown from %zu MB to %zu MB", self->dir,
                           self->mapsize >> 20, grown >> 20);
            self->mapsize = grown;
            continue;
        }
        if (rc == MDB_PANIC) {
            gl_log_error ("store %s: LMDB reports a fatal error; exiting for a restart", self->dir);
            exit (70);
        }
        return rc;
    }
}

int
gl_store_read (gl_store_t *self, gl_txn_fn *fn, void *arg)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    rc = fn (txn, arg);
    mdb_txn_abort (txn);
    return rc;
}

int
gl_store_backup (gl_store_t *self, const char *path, gl_err_t *err)
{
    if (s_mkdirs (path))
        return gl_fail (err, GL_INTERNAL, "cannot create %s: %s", path, strerror (errno));
    int rc = mdb_env_copy2 (self->env, path, MDB_CP_COMPACT);
    if (rc)
        return gl_fail (err, GL_INTERNAL, "backup of %s to %s failed: %s", self->dir, path,
                        mdb_strerror (rc));
    //  Mark the copy, so that a store restored from it takes a new epoch (see gl_store_new).
    MDB_env *copy = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi meta;
    MDB_val mark = { 11, "fresh_epoch" }, one = { 1, "1" };
    if ((rc = mdb_env_create (&copy)) == 0 && (rc = mdb_env_set_maxdbs (copy, S_MAX_DBS)) == 0
    &&  (rc = mdb_env_open (copy, path, MDB_NOTLS, 0640)) == 0
    &&  (rc = mdb_txn_begin (copy, NULL, 0, &txn)) == 0) {
        if ((rc = mdb_dbi_open (txn, "meta", MDB_CREATE, &meta)) == 0
        &&  (rc = mdb_put (txn, meta, &mark, &one, 0)) == 0)
            rc = mdb_txn_commit (txn);
        else
            mdb_txn_abort (txn);
    }
    if (copy)
        mdb_env_close (copy);
    if (rc)
        return gl_fail (err, GL_INTERNAL, "backup of %s to %s could not be marked: %s",
                        self->dir, path, mdb_strerror (rc));
    return 0;
}

int
gl_db_put (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *val,
           size_t vlen, unsigned flags)
{
    MDB_val k = { klen, (void *) key }, v = { vlen, (void *) val };
    return mdb_put (txn, dbi, &k, &v, flags);
}

int
gl_db_get (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void **val,
           size_t *vlen)
{
    MDB_val k = { klen, (void *) key }, v;
    int rc = mdb_get (txn, dbi, &k, &v);
    if (rc == 0) {
        *val = v.mv_data;
        *vlen = v.mv_size;
    }
    return rc;
}

int
gl_db_get_u64 (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, uint64_t *value)
{
    const void *val;
    size_t len;
    int rc = gl_db_get (txn, dbi, key, klen, &val, &len);
    *value = rc == 0 && len == 8? gl_be64_get (val): 0;
    return rc == MDB_NOTFOUND? 0: rc;
}

int
gl_db_put_u64 (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, uint64_t value)
{
    uint8_t buf [8];
    gl_be64_put (buf, value);
    return gl_db_put (txn, dbi, key, klen, buf, 8, 0);
}

int
gl_db_add_u64 (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, uint64_t delta,
               uint64_t *value)
{
    uint64_t v;
    int rc = gl_db_get_u64 (txn, dbi, key, klen, &v);
    if (rc == 0)
        rc = gl_db_put_u64 (txn, dbi, key, klen, v + delta);
    if (rc == 0 && value)
        *value = v + delta;
    return rc;
}

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
    MDB_envinfo info;
    mdb_env_info (self->env, &info);
    if (info.me_mapsize > self->mapsize)
        self->mapsize = info.me_mapsize;

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
        MDB_val key = { 5, "epoch" }, val;
        rc = mdb_get (txn, self->dbis [0], &key, &val);
        if (rc == 0 && val.mv_size == 8)
            self->epoch = gl_be64_get (val.mv_data);
        else {
            uint8_t buf [8];
            do
                self->epoch = ((uint64_t) randof (0x7fffffff) << 33)
                            ^ ((uint64_t) randof (0x7fffffff) << 2) ^ (uint64_t) zclock_usecs ();
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

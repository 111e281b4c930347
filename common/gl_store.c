/*  gl_store — the LMDB environment of one service.  */
#include "gl_store.h"
#include "gl_alloc.h"
#include "gl_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct gl_store_s {
    MDB_env *env;               //  the environment
    char dir [512];             //  where it lives
    int lock_fd;                //  dir/gridloop.lock, flock'ed while open (-1: none)
    size_t mapsize;             //  current map size in bytes
    gl_durability_t durability; //  how commits reach the disk
    uint64_t committed;         //  txnid of the last commit that wrote something
    uint64_t synced;            //  txnid of the last commit known durable, meta page included
    uint64_t epoch;             //  store identity, from meta "epoch"
    bool restored;              //  opened from a backup copy for the first time
    size_t ndbs;                //  databases opened
    char *names [GL_STORE_MAX_DBS];     //  their names
    MDB_dbi dbis [GL_STORE_MAX_DBS];    //  their handles
};

int
gl_store_mkdirs (const char *path)
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

//  Take the directory's lock: one process per store (DESIGN.md 4). Writes our pid into the
//  lock file for the next one to name. Returns 0, or -1 with err naming the holder.
static int
s_lock (gl_store_t *self, gl_err_t *err)
{
    char path [600];
    snprintf (path, sizeof path, "%s/gridloop.lock", self->dir);
    self->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (self->lock_fd < 0)
        return gl_fail (err, GL_INTERNAL, "cannot open the lock file %s: %s", path,
                        strerror (errno));
    if (flock (self->lock_fd, LOCK_EX | LOCK_NB)) {
        char pid [32] = "";
        ssize_t n = pread (self->lock_fd, pid, sizeof pid - 1, 0);
        pid [n > 0? n: 0] = 0;
        pid [strcspn (pid, "\n")] = 0;
        close (self->lock_fd);
        self->lock_fd = -1;
        return gl_fail (err, GL_UNAVAILABLE, "the data directory %s is in use by process %s: "
                        "only one process may open a store (is the service already running?)",
                        self->dir, *pid? pid: "(unknown)");
    }
    char pid [32];
    int n = snprintf (pid, sizeof pid, "%d\n", (int) getpid ());
    if (ftruncate (self->lock_fd, 0) || pwrite (self->lock_fd, pid, (size_t) n, 0) != n)
        gl_log_warning ("cannot write our pid into %s: %s", path, strerror (errno));
    return 0;
}

//  A fresh store identity: random, non-zero, below 2^53 so that clients that hold numbers as
//  doubles (JSON, JavaScript) keep it exactly.
static uint64_t
s_new_epoch (void)
{
    uint64_t epoch = 0;
    while (epoch == 0) {
        if (getrandom (&epoch, sizeof epoch, 0) != sizeof epoch)
            epoch = (uint64_t) zclock_usecs () * 2654435761u ^ (uint64_t) getpid ();
        epoch &= (1ULL << 53) - 1;
    }
    return epoch;
}

//  Read the epoch, or make one: a store restored from a backup must not reuse the seqs its
//  original went on to publish after the copy, so a backup carries a "fresh_epoch" mark and
//  opening it makes a new epoch. Inside the open transaction.
static int
s_epoch (gl_store_t *self, MDB_txn *txn)
{
    MDB_dbi meta = self->dbis [0];
    const void *val;
    size_t len;
    bool fresh = gl_db_get (txn, meta, "fresh_epoch", 11, &val, &len) == 0;
    if (fresh) {
        self->restored = true;
        int rc = gl_db_del (txn, meta, "fresh_epoch", 11);
        if (rc)
            return rc;
        gl_log_notice ("store %s was restored from a backup: it takes a new epoch", self->dir);
    }
    uint64_t epoch = 0;
    int rc = gl_db_get_u64 (txn, meta, "epoch", 5, &epoch);
    if (rc)
        return rc;
    if (epoch && !fresh) {
        self->epoch = epoch;
        return 0;
    }
    self->epoch = s_new_epoch ();
    return gl_db_put_u64 (txn, meta, "epoch", 5, self->epoch);
}

gl_store_t *
gl_store_new (const char *dir, const char *const *dbnames, size_t map_mb,
              gl_durability_t durability, gl_err_t *err)
{
    gl_store_t *self = (gl_store_t *) zmalloc (sizeof *self);
    self->lock_fd = -1;
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    self->mapsize = (map_mb? map_mb: 64) << 20;
    self->names [self->ndbs++] = gl_strdup ("meta");
    for (size_t i = 0; dbnames && dbnames [i]; i++) {
        if (self->ndbs == GL_STORE_MAX_DBS) {
            gl_fail (err, GL_INTERNAL, "store %s: more than %d named databases were asked for "
                     "(a bug: raise GL_STORE_MAX_DBS)", dir, GL_STORE_MAX_DBS - 1);
            goto fail;
        }
        self->names [self->ndbs++] = gl_strdup (dbnames [i]);
    }
    int rc;
    if (gl_store_mkdirs (dir)) {
        gl_fail (err, GL_INTERNAL, "cannot create the data directory %s: %s", dir,
                 strerror (errno));
        goto fail;
    }
    if (s_lock (self, err))
        goto fail;
    self->durability = durability;
    unsigned flags = MDB_NOTLS | (durability != GL_SYNC? MDB_NOMETASYNC: 0);
    if ((rc = mdb_env_create (&self->env))
    ||  (rc = mdb_env_set_maxdbs (self->env, GL_STORE_MAX_DBS))
    ||  (rc = mdb_env_set_mapsize (self->env, self->mapsize))
    ||  (rc = mdb_env_open (self->env, dir, flags, 0640))) {
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
    for (size_t i = 0; i < self->ndbs && rc == 0; i++)
        rc = mdb_dbi_open (txn, self->names [i], MDB_CREATE, &self->dbis [i]);
    if (rc == 0)
        rc = s_epoch (self, txn);
    if (rc == 0)
        rc = mdb_txn_commit (txn);
    else
        mdb_txn_abort (txn);
    if (rc) {
        gl_fail (err, GL_INTERNAL, "cannot prepare the store in %s: %s", dir, mdb_strerror (rc));
        goto fail;
    }
    //  What was there before this open may be only in the page cache (a predecessor's last
    //  meta page): sync it, so that the marks start true.
    gl_store_flush (self);
    mdb_env_info (self->env, &info);
    self->committed = self->synced = info.me_last_txnid;
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
    if (self->lock_fd >= 0)
        close (self->lock_fd);          //  releases the flock
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

const char *
gl_store_dir (gl_store_t *self)
{
    return self->dir;
}

//  Move the marks after a commit. LMDB writes nothing for a transaction that changed nothing
//  (and syncs nothing): only a new last txnid says the commit reached the file. With
//  MDB_NOMETASYNC a commit syncs its data pages after the earlier meta pages were written,
//  so the one before it is durable now.
static void
s_committed (gl_store_t *self)
{
    MDB_envinfo info;
    mdb_env_info (self->env, &info);
    if (info.me_last_txnid == self->committed)
        return;
    if (self->durability == GL_SYNC)
        self->synced = info.me_last_txnid;
    else
    if (self->synced < self->committed)
        self->synced = self->committed;
    self->committed = info.me_last_txnid;
}

uint64_t
gl_store_committed (gl_store_t *self)
{
    return self->committed;
}

uint64_t
gl_store_synced (gl_store_t *self)
{
    return self->synced;
}

void
gl_store_flush (gl_store_t *self)
{
    int rc = mdb_env_sync (self->env, 1);
    if (rc) {
        gl_log_error ("store %s: the disk sync failed (%s): what the disk holds is unknown; "
                      "exiting for a restart", self->dir, mdb_strerror (rc));
        exit (70);
    }
}

void
gl_store_covered (gl_store_t *self, uint64_t txnid)
{
    if (txnid > self->synced)
        self->synced = txnid;
}

#ifdef GL_FAULTS
//  The power cut: the newest meta page, not durable yet, gets transaction id 0, so that LMDB
//  opens the other one (the commit before, durable). A meta page holds its txnid after the page
//  header (16 bytes) and magic, version, address, map size, two database records and the last
//  page: at byte 144 of the page (LMDB 0.9, 64-bit). Checked against what LMDB reports before
//  anything is written.
static void
s_powercut (gl_store_t *self)
{
    if (self->synced >= self->committed)
        return;                         //  everything committed is durable: a cut loses nothing
    MDB_stat st;
    mdb_env_stat (self->env, &st);
    char path [600];
    snprintf (path, sizeof path, "%s/data.mdb", self->dir);
    int fd = open (path, O_RDWR | O_CLOEXEC);
    for (int page = 0; fd >= 0 && page < 2; page++) {
        uint64_t txnid = 0;
        off_t at = (off_t) page * st.ms_psize + 144;
        if (pread (fd, &txnid, 8, at) == 8 && txnid == self->committed) {
            txnid = 0;
            if (pwrite (fd, &txnid, 8, at) == 8 && fdatasync (fd) == 0)
                fprintf (stderr, "fault injected: power cut, commit %llu lost\n",
                         (unsigned long long) self->committed);
        }
    }
    if (fd >= 0)
        close (fd);
}
#endif

void
gl_store_fault_exit (gl_store_t *self, int fault, const char *where)
{
#ifdef GL_FAULTS
    if (fault == GL_FAULT_CUT)
        s_powercut (self);
    if (fault == GL_FAULT_EXIT || fault == GL_FAULT_CUT)
        gl_fault_exit (where);
#else
    (void) self, (void) fault, (void) where;
#endif
}

int
gl_store_write (gl_store_t *self, gl_txn_fn *fn, void *arg)
{
    for (;;) {
        MDB_txn *txn;
        int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
        if (rc == 0) {
            rc = fn (txn, arg);
            int fault = rc == 0? gl_fault_check (GL_FAULT_COMMIT): GL_FAULT_NONE;
            if (rc == 0 && fault == GL_FAULT_FAIL) {
                mdb_txn_abort (txn);
                rc = EIO;
            }
            else
            if (rc == 0) {
                rc = mdb_txn_commit (txn);      //  commit frees txn even when it fails
                if (rc == 0)
                    s_committed (self);
                gl_store_fault_exit (self, fault, "right after a commit, before its publications "
                                     "and answers");
            }
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
    if (gl_store_mkdirs (path))
        return gl_fail (err, GL_INTERNAL, "cannot create %s: %s", path, strerror (errno));
    int rc = mdb_env_copy2 (self->env, path, MDB_CP_COMPACT);
    if (rc)
        return gl_fail (err, GL_INTERNAL, "backup of %s to %s failed: %s", self->dir, path,
                        mdb_strerror (rc));
    char file [600];
    snprintf (file, sizeof file, "%s/data.mdb", path);
    if (chmod (file, 0640))
        return gl_fail (err, GL_INTERNAL, "backup of %s: cannot set the mode of %s: %s",
                        self->dir, file, strerror (errno));
    //  Mark the copy, so that a store restored from it takes a new epoch (see s_epoch).
    MDB_env *copy = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi meta;
    if ((rc = mdb_env_create (&copy)) == 0
    &&  (rc = mdb_env_set_maxdbs (copy, GL_STORE_MAX_DBS)) == 0
    &&  (rc = mdb_env_open (copy, path, MDB_NOTLS, 0640)) == 0
    &&  (rc = mdb_txn_begin (copy, NULL, 0, &txn)) == 0) {
        if ((rc = mdb_dbi_open (txn, "meta", MDB_CREATE, &meta)) == 0
        &&  (rc = gl_db_put (txn, meta, "fresh_epoch", 11, "1", 1, 0)) == 0)
            rc = mdb_txn_commit (txn);
        else
            mdb_txn_abort (txn);
    }
    if (copy)
        mdb_env_close (copy);
    //  The copy's own lock file is of no use to anyone restoring it.
    snprintf (file, sizeof file, "%s/lock.mdb", path);
    unlink (file);
    if (rc)
        return gl_fail (err, GL_INTERNAL, "backup of %s to %s could not be marked: %s",
                        self->dir, path, mdb_strerror (rc));
    return 0;
}

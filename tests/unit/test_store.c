/*  test_store — gl_store: LMDB environments in a scratch directory: databases, the epoch,
    the directory lock, write and read transactions, growth on a full map, metasync, backup.  */
#define _GNU_SOURCE
#include "unit.h"
#include "gl_store.h"

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_root [64];        //  the scratch directory of this run

static const char *const s_dbs [] = { "items", "index", NULL };

static int
s_rm (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove (path);
}

static int
s_setup (void **state)
{
    snprintf (s_root, sizeof s_root, "/tmp/gl-test-store-XXXXXX");
    if (!mkdtemp (s_root)) {
        perror ("mkdtemp");
        return -1;
    }
    return 0;
}

static int
s_teardown (void **state)
{
    if (getenv ("GL_KEEP"))
        printf ("scratch directory kept: %s\n", s_root);
    else
        nftw (s_root, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

//  A path in the scratch directory (static buffer, rotating so two can be held at once).
static const char *
s_path (const char *name)
{
    static char paths [4][256];
    static int next;
    char *p = paths [next++ % 4];
    snprintf (p, 256, "%s/%s", s_root, name);
    return p;
}

static gl_store_t *
s_open (const char *name, size_t map_mb, bool metasync)
{
    gl_err_t err = { GL_OK, "" };
    gl_store_t *store = gl_store_new (s_path (name), s_dbs, map_mb,
                                      metasync? GL_METASYNC: GL_SYNC, &err);
    if (!store)
        fail_msg ("cannot open %s: %s", name, err.message);
    return store;
}

//  ---------------------------------------------------------------------------------------------
//  Transaction functions

typedef struct {
    gl_store_t *store;
    const char *db;
    const char *key;
    const char *value;          //  put: value to write; get: value found (copied to found)
    char found [64];
    int fail_with;              //  put: after writing, return this instead of 0
    int runs;                   //  how often the function ran
} s_kv_t;

static int
s_put_fn (MDB_txn *txn, void *arg)
{
    s_kv_t *kv = arg;
    kv->runs++;
    int rc = gl_db_put (txn, gl_store_dbi (kv->store, kv->db), kv->key, strlen (kv->key),
                        kv->value, strlen (kv->value), 0);
    return rc? rc: kv->fail_with;
}

static int
s_get_fn (MDB_txn *txn, void *arg)
{
    s_kv_t *kv = arg;
    kv->runs++;
    const void *val;
    size_t len;
    kv->found [0] = 0;
    int rc = gl_db_get (txn, gl_store_dbi (kv->store, kv->db), kv->key, strlen (kv->key), &val,
                        &len);
    if (rc == 0)
        snprintf (kv->found, sizeof kv->found, "%.*s", (int) len, (const char *) val);
    return rc;
}

static int
s_put (gl_store_t *store, const char *db, const char *key, const char *value)
{
    s_kv_t kv = { .store = store, .db = db, .key = key, .value = value };
    return gl_store_write (store, s_put_fn, &kv);
}

//  Returns the LMDB result; the value (if found) in out.
static int
s_get (gl_store_t *store, const char *db, const char *key, char out [64])
{
    s_kv_t kv = { .store = store, .db = db, .key = key };
    int rc = gl_store_read (store, s_get_fn, &kv);
    snprintf (out, 64, "%s", kv.found);
    return rc;
}

typedef struct {
    gl_store_t *store;
    uint64_t *epoch;
} s_epoch_t;

static int
s_meta_epoch_fn (MDB_txn *txn, void *arg)
{
    s_epoch_t *e = arg;
    const void *val;
    size_t len;
    int rc = gl_db_get (txn, gl_store_dbi (e->store, "meta"), "epoch", 5, &val, &len);
    if (rc == 0 && len != 8)
        rc = MDB_BAD_VALSIZE;
    if (rc == 0)
        *e->epoch = gl_be64_get (val);
    return rc;
}

//  ---------------------------------------------------------------------------------------------

static void
test_open_creates_the_directory_and_every_named_database (void **state)
{
    gl_store_t *store = s_open ("fresh/nested/dir", 4, false);
    struct stat st;
    assert_int_equal (stat (s_path ("fresh/nested/dir/data.mdb"), &st), 0);
    //  Each named database, and meta, is usable at once.
    char got [64];
    const char *dbs [] = { "items", "index", "meta" };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal (s_get (store, dbs [i], "absent", got), MDB_NOTFOUND);
        assert_int_equal (s_put (store, dbs [i], "k", dbs [i]), 0);
        assert_int_equal (s_get (store, dbs [i], "k", got), 0);
        assert_string_equal (got, dbs [i]);
    }
    //  Distinct databases: the same key holds different values.
    assert_true (gl_store_dbi (store, "items") != gl_store_dbi (store, "index"));
    assert_non_null (gl_store_env (store));
    assert_int_equal (gl_store_mapsize (store), 4 << 20);
    gl_store_destroy (&store);
    assert_null (store);
    gl_store_destroy (&store);     //  NULL is fine
}

static void
test_open_in_an_impossible_place_fails_with_a_message (void **state)
{
    //  A regular file where the directory should be.
    const char *file = s_path ("plain-file");
    FILE *f = fopen (file, "w");
    assert_non_null (f);
    fclose (f);
    char dir [300];
    snprintf (dir, sizeof dir, "%s/store", file);
    gl_err_t err = { GL_OK, "" };
    gl_store_t *store = gl_store_new (dir, s_dbs, 1, false, &err);
    assert_null (store);
    assert_int_equal (err.code, GL_INTERNAL);
    assert_non_null (strstr (err.message, dir));
}

static void
test_epoch_is_non_zero_and_survives_reopen (void **state)
{
    gl_store_t *store = s_open ("epoch", 1, false);
    uint64_t epoch = gl_store_epoch (store);
    assert_true (epoch != 0);
    assert_int_equal (s_put (store, "items", "kept", "yes"), 0);
    gl_store_destroy (&store);

    store = s_open ("epoch", 1, false);
    assert_true (gl_store_epoch (store) == epoch);
    char got [64];
    assert_int_equal (s_get (store, "items", "kept", got), 0);
    assert_string_equal (got, "yes");
    //  The epoch is in meta, big-endian.
    uint64_t stored = 0;
    assert_int_equal (gl_store_read (store, s_meta_epoch_fn, &(s_epoch_t) { store, &stored }),
                      0);
    assert_true (stored == epoch);
    gl_store_destroy (&store);
}

static void
test_stores_in_different_directories_have_different_epochs (void **state)
{
    uint64_t epochs [8];
    for (int i = 0; i < 8; i++) {
        char name [32];
        snprintf (name, sizeof name, "epochs-%d", i);
        gl_store_t *store = s_open (name, 1, false);
        epochs [i] = gl_store_epoch (store);
        assert_true (epochs [i] != 0);
        for (int k = 0; k < i; k++)
            assert_true (epochs [k] != epochs [i]);
        gl_store_destroy (&store);
    }
}

static void
test_write_commits_and_read_sees_it (void **state)
{
    gl_store_t *store = s_open ("rw", 1, false);
    s_kv_t kv = { .store = store, .db = "items", .key = "a", .value = "first" };
    assert_int_equal (gl_store_write (store, s_put_fn, &kv), 0);
    assert_int_equal (kv.runs, 1);
    char got [64];
    assert_int_equal (s_get (store, "items", "a", got), 0);
    assert_string_equal (got, "first");
    assert_int_equal (s_put (store, "items", "a", "second"), 0);
    assert_int_equal (s_get (store, "items", "a", got), 0);
    assert_string_equal (got, "second");
    //  The other database is untouched.
    assert_int_equal (s_get (store, "index", "a", got), MDB_NOTFOUND);
    gl_store_destroy (&store);
}

static void
test_txn_fn_returning_an_error_leaves_nothing (void **state)
{
    gl_store_t *store = s_open ("abort", 1, false);
    assert_int_equal (s_put (store, "items", "old", "kept"), 0);
    s_kv_t kv = { .store = store, .db = "items", .key = "new", .value = "lost",
                  .fail_with = MDB_NOTFOUND };
    assert_int_equal (gl_store_write (store, s_put_fn, &kv), MDB_NOTFOUND);
    assert_int_equal (kv.runs, 1);
    char got [64];
    assert_int_equal (s_get (store, "items", "new", got), MDB_NOTFOUND);
    //  Overwriting inside an aborted transaction changes nothing either.
    kv.key = "old";
    kv.fail_with = EINVAL;
    assert_int_equal (gl_store_write (store, s_put_fn, &kv), EINVAL);
    assert_int_equal (s_get (store, "items", "old", got), 0);
    assert_string_equal (got, "kept");
    gl_store_destroy (&store);
}

static void
test_read_transaction_cannot_write (void **state)
{
    gl_store_t *store = s_open ("readonly", 1, false);
    s_kv_t kv = { .store = store, .db = "items", .key = "k", .value = "v" };
    assert_true (gl_store_read (store, s_put_fn, &kv) != 0);
    char got [64];
    assert_int_equal (s_get (store, "items", "k", got), MDB_NOTFOUND);
    gl_store_destroy (&store);
}

//  Map growth: many 4 KiB values in one transaction.
enum { S_BIG_COUNT = 2000, S_BIG_SIZE = 4096 };

typedef struct {
    gl_store_t *store;
    int runs;
    int bad;                    //  values that did not read back
} s_big_t;

static void
s_big_value (uint8_t *value, uint64_t i)
{
    for (size_t k = 0; k < S_BIG_SIZE; k++)
        value [k] = (uint8_t) (i * 31 + k * 7 + (k >> 8));
}

static int
s_big_put (MDB_txn *txn, void *arg)
{
    s_big_t *big = arg;
    big->runs++;
    MDB_dbi dbi = gl_store_dbi (big->store, "items");
    uint8_t value [S_BIG_SIZE];
    for (uint64_t i = 0; i < S_BIG_COUNT; i++) {
        uint8_t key [8];
        gl_be64_put (key, i);
        s_big_value (value, i);
        int rc = gl_db_put (txn, dbi, key, 8, value, S_BIG_SIZE, 0);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_big_check (MDB_txn *txn, void *arg)
{
    s_big_t *big = arg;
    MDB_dbi dbi = gl_store_dbi (big->store, "items");
    uint8_t want [S_BIG_SIZE];
    for (uint64_t i = 0; i < S_BIG_COUNT; i++) {
        uint8_t key [8];
        gl_be64_put (key, i);
        const void *val;
        size_t len;
        s_big_value (want, i);
        if (gl_db_get (txn, dbi, key, 8, &val, &len) || len != S_BIG_SIZE
        ||  memcmp (val, want, S_BIG_SIZE))
            big->bad++;
    }
    MDB_stat st;
    mdb_stat (txn, dbi, &st);
    return st.ms_entries == S_BIG_COUNT? 0: -1;
}

static void
test_full_map_grows_and_the_whole_write_commits (void **state)
{
    gl_store_t *store = s_open ("grow", 1, false);
    assert_int_equal (gl_store_mapsize (store), 1 << 20);
    s_big_t big = { .store = store };
    int rc = gl_store_write (store, s_big_put, &big);
    if (rc)
        fail_msg ("write of %d x %d bytes failed: %s", S_BIG_COUNT, S_BIG_SIZE,
                  mdb_strerror (rc));
    //  It ran again after each growth, and the map now holds ~8 MB of values.
    assert_true (big.runs > 1);
    size_t mapsize = gl_store_mapsize (store);
    assert_true (mapsize >= (size_t) S_BIG_COUNT * S_BIG_SIZE);
    MDB_envinfo info;
    mdb_env_info (gl_store_env (store), &info);
    assert_int_equal (info.me_mapsize, mapsize);
    assert_int_equal (gl_store_read (store, s_big_check, &big), 0);
    assert_int_equal (big.bad, 0);
    gl_store_destroy (&store);

    //  Reopened with the small initial size, the data is still all there.
    store = s_open ("grow", 1, false);
    assert_true (gl_store_mapsize (store) >= (size_t) S_BIG_COUNT * S_BIG_SIZE);
    big.store = store;
    big.bad = 0;
    assert_int_equal (gl_store_read (store, s_big_check, &big), 0);
    assert_int_equal (big.bad, 0);
    gl_store_destroy (&store);
}

static void
test_metasync_store_writes_reads_and_reopens (void **state)
{
    gl_store_t *store = s_open ("metasync", 1, true);
    unsigned flags = 0;
    mdb_env_get_flags (gl_store_env (store), &flags);
    //  Never MDB_NOSYNC, which LMDB documents can corrupt a store on a system crash.
    assert_true (flags & MDB_NOMETASYNC);
    assert_false (flags & MDB_NOSYNC);
    uint64_t epoch = gl_store_epoch (store);
    assert_true (epoch != 0);
    for (int i = 0; i < 50; i++) {
        char key [16], value [16];
        snprintf (key, sizeof key, "k%d", i);
        snprintf (value, sizeof value, "v%d", i * i);
        assert_int_equal (s_put (store, "index", key, value), 0);
    }
    char got [64];
    assert_int_equal (s_get (store, "index", "k7", got), 0);
    assert_string_equal (got, "v49");
    gl_store_destroy (&store);

    store = s_open ("metasync", 1, true);
    assert_true (gl_store_epoch (store) == epoch);
    assert_int_equal (s_get (store, "index", "k49", got), 0);
    assert_string_equal (got, "v2401");
    gl_store_destroy (&store);

    //  A sync store has neither.
    store = s_open ("sync", 1, false);
    mdb_env_get_flags (gl_store_env (store), &flags);
    assert_false (flags & (MDB_NOSYNC | MDB_NOMETASYNC));
    gl_store_destroy (&store);
}

static int
s_nothing_fn (MDB_txn *txn, void *arg)
{
    return 0;
}

//  The commit pipeline's marks: under sync every commit is durable when it returns; under
//  pipelined a commit leaves itself uncovered and covers the one before it, a commit that
//  writes nothing moves nothing, and a flush covers what was committed when it began.
static void
test_pipeline_marks_say_which_commits_are_durable (void **state)
{
    gl_err_t err;
    gl_store_t *store = gl_store_new (s_path ("marks-sync"), s_dbs, 1, GL_SYNC, &err);
    assert_non_null (store);
    assert_int_equal (s_put (store, "items", "a", "1"), 0);
    assert_true (gl_store_synced (store) == gl_store_committed (store));
    gl_store_destroy (&store);

    store = gl_store_new (s_path ("marks-pipelined"), s_dbs, 1, GL_PIPELINED, &err);
    assert_non_null (store);
    uint64_t opened = gl_store_committed (store);
    assert_true (gl_store_synced (store) == opened);
    assert_int_equal (s_put (store, "items", "a", "1"), 0);
    uint64_t first = gl_store_committed (store);
    assert_true (first == opened + 1);
    assert_true (gl_store_synced (store) == opened);
    assert_int_equal (gl_store_write (store, s_nothing_fn, NULL), 0);
    assert_true (gl_store_committed (store) == first && gl_store_synced (store) == opened);
    assert_int_equal (s_put (store, "items", "b", "2"), 0);
    assert_true (gl_store_committed (store) == first + 1);
    assert_true (gl_store_synced (store) == first);
    gl_store_flush (store);
    gl_store_covered (store, gl_store_committed (store));
    assert_true (gl_store_synced (store) == first + 1);
    gl_store_destroy (&store);
    //  What it committed is there after a reopen.
    store = gl_store_new (s_path ("marks-pipelined"), s_dbs, 1, GL_PIPELINED, &err);
    char got [64];
    assert_int_equal (s_get (store, "items", "b", got), 0);
    assert_string_equal (got, "2");
    gl_store_destroy (&store);
}

static void
test_a_second_open_of_a_directory_is_refused_naming_the_holder (void **state)
{
    gl_store_t *store = s_open ("locked", 1, false);
    gl_err_t err = { GL_OK, "" };
    gl_store_t *second = gl_store_new (s_path ("locked"), s_dbs, 1, GL_SYNC, &err);
    assert_null (second);
    assert_int_equal (err.code, GL_UNAVAILABLE);
    char pid [32];
    snprintf (pid, sizeof pid, "process %d", (int) getpid ());
    assert_non_null (strstr (err.message, pid));
    assert_non_null (strstr (err.message, "in use"));
    //  Released with the store: the next open succeeds.
    gl_store_destroy (&store);
    store = s_open ("locked", 1, false);
    gl_store_destroy (&store);
}

static void
test_more_databases_than_a_store_holds_is_an_error_not_a_cut (void **state)
{
    const char *names [GL_STORE_MAX_DBS + 2];
    char buf [GL_STORE_MAX_DBS + 1][16];
    for (int i = 0; i <= GL_STORE_MAX_DBS; i++) {
        snprintf (buf [i], sizeof buf [i], "db%d", i);
        names [i] = buf [i];
    }
    names [GL_STORE_MAX_DBS] = NULL;        //  GL_STORE_MAX_DBS names plus "meta": one too many
    gl_err_t err = { GL_OK, "" };
    gl_store_t *store = gl_store_new (s_path ("many"), names, 1, GL_SYNC, &err);
    assert_null (store);
    assert_non_null (strstr (err.message, "more than"));
    names [GL_STORE_MAX_DBS - 1] = NULL;    //  exactly as many as it holds
    store = gl_store_new (s_path ("many"), names, 1, GL_SYNC, &err);
    assert_non_null (store);
    gl_store_destroy (&store);
}

static void
test_backup_opens_with_the_same_data_and_a_new_epoch (void **state)
{
    gl_store_t *store = s_open ("live", 1, false);
    uint64_t epoch = gl_store_epoch (store);
    assert_int_equal (s_put (store, "items", "alpha", "1"), 0);
    assert_int_equal (s_put (store, "index", "beta", "2"), 0);
    s_big_t big = { .store = store };
    assert_int_equal (gl_store_write (store, s_big_put, &big), 0);

    gl_err_t err = { GL_OK, "" };
    const char *backup = s_path ("backups/one");
    if (gl_store_backup (store, backup, &err))
        fail_msg ("backup failed: %s", err.message);
    //  Readable by the service's group only; no stale lock file.
    struct stat st;
    char file [320];
    snprintf (file, sizeof file, "%s/data.mdb", backup);
    assert_int_equal (stat (file, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0640);
    assert_int_equal (stat (backup, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0750);
    snprintf (file, sizeof file, "%s/lock.mdb", backup);
    assert_false (zsys_file_exists (file));
    //  Written after the backup: not in it.
    assert_int_equal (s_put (store, "items", "later", "3"), 0);
    gl_store_destroy (&store);

    //  A restored store must not reuse seqs the original went on to publish: new epoch, once.
    gl_store_t *copy = s_open ("backups/one", 1, false);
    uint64_t restored = gl_store_epoch (copy);
    assert_true (restored != epoch && restored != 0);
    gl_store_destroy (&copy);
    copy = s_open ("backups/one", 1, false);
    assert_true (gl_store_epoch (copy) == restored);
    char got [64];
    assert_int_equal (s_get (copy, "items", "alpha", got), 0);
    assert_string_equal (got, "1");
    assert_int_equal (s_get (copy, "index", "beta", got), 0);
    assert_string_equal (got, "2");
    assert_int_equal (s_get (copy, "items", "later", got), MDB_NOTFOUND);
    big.store = copy;
    big.bad = 0;
    //  The 2000 big values plus "alpha".
    MDB_txn *txn;
    assert_int_equal (mdb_txn_begin (gl_store_env (copy), NULL, MDB_RDONLY, &txn), 0);
    MDB_stat ms;
    mdb_stat (txn, gl_store_dbi (copy, "items"), &ms);
    mdb_txn_abort (txn);
    assert_int_equal (ms.ms_entries, S_BIG_COUNT + 1);
    gl_store_destroy (&copy);
}

static void
test_backup_into_an_impossible_place_fails_with_a_message (void **state)
{
    gl_store_t *store = s_open ("live2", 1, false);
    gl_err_t err = { GL_OK, "" };
    char dir [300];
    snprintf (dir, sizeof dir, "%s/x", s_path ("plain-file"));
    FILE *f = fopen (s_path ("plain-file"), "w");
    assert_non_null (f);
    fclose (f);
    assert_int_equal (gl_store_backup (store, dir, &err), -1);
    assert_int_equal (err.code, GL_INTERNAL);
    assert_non_null (strstr (err.message, dir));
    gl_store_destroy (&store);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_open_creates_the_directory_and_every_named_database),
        cmocka_unit_test (test_open_in_an_impossible_place_fails_with_a_message),
        cmocka_unit_test (test_epoch_is_non_zero_and_survives_reopen),
        cmocka_unit_test (test_stores_in_different_directories_have_different_epochs),
        cmocka_unit_test (test_write_commits_and_read_sees_it),
        cmocka_unit_test (test_txn_fn_returning_an_error_leaves_nothing),
        cmocka_unit_test (test_read_transaction_cannot_write),
        cmocka_unit_test (test_full_map_grows_and_the_whole_write_commits),
        cmocka_unit_test (test_metasync_store_writes_reads_and_reopens),
        cmocka_unit_test (test_pipeline_marks_say_which_commits_are_durable),
        cmocka_unit_test (test_a_second_open_of_a_directory_is_refused_naming_the_holder),
        cmocka_unit_test (test_more_databases_than_a_store_holds_is_an_error_not_a_cut),
        cmocka_unit_test (test_backup_opens_with_the_same_data_and_a_new_epoch),
        cmocka_unit_test (test_backup_into_an_impossible_place_fails_with_a_message),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

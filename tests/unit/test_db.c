/*  test_db — gl_db: composite keys, the stamped-message record, pages (prefix, from, after,
    reverse, item and byte limits, filters, whether there is more) and trimming (by age, count
    and size, with what each deleted entry indexes), and the write counter, on a real store in
    a scratch directory.  */
#define _GNU_SOURCE
#include "unit.h"
#include "gl_store.h"

#include <ftw.h>
#include <unistd.h>

static char s_root [64];        //  the scratch directory of this run
static gl_store_t *s_store;     //  one store for every test
static const char *const s_dbs [] = { "t", "side", NULL };

static int
s_rm (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove (path);
}

static int
s_setup (void **state)
{
    snprintf (s_root, sizeof s_root, "/tmp/gl-test-db-XXXXXX");
    if (!mkdtemp (s_root))
        return -1;
    gl_err_t err;
    s_store = gl_store_new (s_root, s_dbs, 4, GL_SYNC, &err);
    return s_store? 0: -1;
}

static int
s_teardown (void **state)
{
    gl_store_destroy (&s_store);
    nftw (s_root, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

//  Empty both tables.
static int
s_clear_txn (MDB_txn *txn, void *arg)
{
    int rc = gl_db_clear (txn, gl_store_dbi (s_store, "t"));
    return rc? rc: gl_db_clear (txn, gl_store_dbi (s_store, "side"));
}

//  Put "unit\0id" keys with one-byte values: the shape of the dispatcher's queues.
typedef struct {
    const char *const *keys;    //  "unit/id" pairs, '/' standing for the 0x00 separator
    size_t count;
} s_fill_t;

static int
s_fill_txn (MDB_txn *txn, void *arg)
{
    s_fill_t *f = arg;
    int rc = gl_db_clear (txn, gl_store_dbi (s_store, "t"));
    for (size_t i = 0; i < f->count && rc == 0; i++) {
        char unit [32];
        const char *slash = strchr (f->keys [i], '/');
        snprintf (unit, sizeof unit, "%.*s", (int) (slash - f->keys [i]), f->keys [i]);
        gl_key_t k;
        gl_key_init (&k);
        gl_key_str (&k, unit);
        gl_key_raw (&k, slash + 1, strlen (slash + 1));
        uint8_t v = (uint8_t) (i % 3);
        rc = gl_db_put (txn, gl_store_dbi (s_store, "t"), k.bytes, k.len, &v, 1, 0);
    }
    return rc;
}

//  A page's ids (what follows the prefix), joined by ',' into out.
typedef struct {
    size_t skip;                //  bytes of prefix to leave out of each key
    int only;                   //  take only values equal to this (-1: all)
    char out [512];             //  the ids taken
    int peeks;                  //  times asked whether there is more
} s_collect_t;

static int
s_collect (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_collect_t *c = arg;
    if (c->only >= 0 && *(uint8_t *) val->mv_data != c->only)
        return GL_ITEM_SKIP;
    if (peek) {
        c->peeks++;
        return GL_ITEM_TAKE;
    }
    size_t n = strlen (c->out);
    snprintf (c->out + n, sizeof c->out - n, "%s%.*s", n? ",": "",
              (int) (key->mv_size - c->skip), (char *) key->mv_data + c->skip);
    return GL_ITEM_TAKE;
}

typedef struct {
    gl_range_t range;           //  what to walk
    s_collect_t collect;        //  what came out
    gl_page_t page;             //  its summary
} s_walk_t;

static int
s_walk_txn (MDB_txn *txn, void *arg)
{
    s_walk_t *w = arg;
    return gl_db_page (txn, gl_store_dbi (s_store, "t"), &w->range, s_collect, &w->collect,
                       &w->page);
}

static s_walk_t
s_walk (gl_range_t range, size_t skip, int only)
{
    s_walk_t w = { .range = range, .collect = { .skip = skip, .only = only } };
    assert_int_equal (gl_store_read (s_store, s_walk_txn, &w), 0);
    return w;
}

static void
test_keys_separate_parts_so_prefixes_do_not_mix (void **state)
{
    gl_key_t a, b;
    gl_key_init (&a);
    gl_key_str (&a, "SJ-01");
    gl_key_u64 (&a, 258);
    assert_int_equal (a.len, 6 + 8);
    assert_int_equal (a.bytes [5], 0);
    assert_int_equal (a.bytes [12], 1);
    assert_int_equal (a.bytes [13], 2);
    gl_key_init (&b);
    gl_key_str (&b, "SJ-01-01");
    //  "SJ-01\0…" sorts before "SJ-01-01\0…" and is not its prefix.
    assert_true (memcmp (a.bytes, b.bytes, 6) < 0);
    //  Overflow is sticky and reported, never a silent cut.
    gl_key_t big;
    gl_key_init (&big);
    char part [300];
    memset (part, 'x', sizeof part - 1);
    part [sizeof part - 1] = 0;
    gl_key_str (&big, part);
    assert_false (big.overflow);
    gl_key_str (&big, part);
    assert_true (big.overflow);
    //  Big-endian numbers: byte order is number order.
    uint8_t p [8], q [8];
    gl_be64_put (p, 0x0102030405060708ull);
    assert_int_equal (p [0], 1);
    assert_int_equal (p [7], 8);
    assert_true (gl_be64_get (p) == 0x0102030405060708ull);
    gl_be64_put (q, 0x0102030405060709ull);
    assert_true (memcmp (p, q, 8) < 0);
}

static int
s_rec_txn (MDB_txn *txn, void *arg)
{
    gl_rec_t rec = { 1795795199000ull, "intake.event.reported", 21, "\x81\xa1v\x01", 4 };
    int rc = gl_rec_put (txn, gl_store_dbi (s_store, "t"), "r", 1, &rec, 0);
    if (rc)
        return rc;
    const void *val;
    size_t len;
    rc = gl_db_get (txn, gl_store_dbi (s_store, "t"), "r", 1, &val, &len);
    if (rc)
        return rc;
    assert_int_equal (len, gl_rec_size (&rec));
    gl_rec_t back;
    assert_int_equal (gl_rec_read (val, len, &back), 0);
    assert_true (back.stamp == rec.stamp);
    assert_int_equal (back.topic_len, 21);
    assert_memory_equal (back.topic, "intake.event.reported", 21);
    assert_int_equal (back.len, 4);
    assert_memory_equal (back.data, "\x81\xa1v\x01", 4);
    //  A value too short for its own header is refused, not read past.
    assert_int_equal (gl_rec_read (val, 9, &back), -1);
    assert_int_equal (gl_rec_read (val, 12, &back), -1);
    return 0;
}

static void
test_a_record_reads_back_what_was_put (void **state)
{
    assert_int_equal (gl_store_write (s_store, s_rec_txn, NULL), 0);
}

static const char *const s_queue [] = {
    "SJ-01/E1", "SJ-01/E2", "SJ-01/E3", "SJ-01/E4", "SJ-01/E5",
    "SJ-01-01/E6", "SJ-01-01/E7", "SJ-02/E8",
};

static void
test_pages_within_a_prefix_in_both_directions (void **state)
{
    s_fill_t fill = { s_queue, sizeof s_queue / sizeof s_queue [0] };
    assert_int_equal (gl_store_write (s_store, s_fill_txn, &fill), 0);
    gl_key_t prefix;
    gl_key_init (&prefix);
    gl_key_str (&prefix, "SJ-01");
    //  The whole prefix: not its neighbour "SJ-01-01".
    s_walk_t w = s_walk ((gl_range_t) { .prefix = prefix.bytes, .prefix_len = prefix.len },
                         prefix.len, -1);
    assert_string_equal (w.collect.out, "E1,E2,E3,E4,E5");
    assert_int_equal (w.page.count, 5);
    assert_false (w.page.more);
    //  Two at a time, paging with after = the last key.
    w = s_walk ((gl_range_t) { .prefix = prefix.bytes, .prefix_len = prefix.len,
                               .max_items = 2 }, prefix.len, -1);
    assert_string_equal (w.collect.out, "E1,E2");
    assert_true (w.page.more);
    uint8_t last [GL_KEY_MAX];
    size_t last_len = w.page.last_len;
    memcpy (last, w.page.last, last_len);
    w = s_walk ((gl_range_t) { .prefix = prefix.bytes, .prefix_len = prefix.len,
                               .from = last, .from_len = last_len, .after = true,
                               .max_items = 2 }, prefix.len, -1);
    assert_string_equal (w.collect.out, "E3,E4");
    assert_true (w.page.more);
    memcpy (last, w.page.last, w.page.last_len);
    last_len = w.page.last_len;
    w = s_walk ((gl_range_t) { .prefix = prefix.bytes, .prefix_len = prefix.len,
                               .from = last, .from_len = last_len, .after = true,
                               .max_items = 2 }, prefix.len, -1);
    assert_string_equal (w.collect.out, "E5");
    assert_false (w.page.more);
    //  Newest first: from the end of the prefix down, and paging back from a key.
    w = s_walk ((gl_range_t) { .prefix = prefix.bytes, .prefix_len = prefix.len,
                               .reverse = true, .max_items = 3 }, prefix.len, -1);
    assert_string_equal (w.collect.out, "E5,E4,E3");
    assert_true (w.page.more);
    memcpy (last, w.page.last, w.page.last_len);
    last_len = w.page.last_len;
    w = s_walk ((gl_range_t) { .prefix = prefix.bytes, .prefix_len = prefix.len,
                               .from = last, .from_len = last_len, .after = true,
                               .reverse = true }, prefix.len, -1);
    assert_string_equal (w.collect.out, "E2,E1");
    //  An inclusive from.
    w = s_walk ((gl_range_t) { .prefix = prefix.bytes, .prefix_len = prefix.len,
                               .from = last, .from_len = last_len, .max_items = 1 },
                prefix.len, -1);
    assert_string_equal (w.collect.out, "E3");
    //  A prefix with nothing under it.
    gl_key_t none;
    gl_key_init (&none);
    gl_key_str (&none, "QL-01");
    w = s_walk ((gl_range_t) { .prefix = none.bytes, .prefix_len = none.len }, none.len, -1);
    assert_string_equal (w.collect.out, "");
    assert_int_equal (w.page.count, 0);
    w = s_walk ((gl_range_t) { .prefix = none.bytes, .prefix_len = none.len, .reverse = true },
                none.len, -1);
    assert_string_equal (w.collect.out, "");
    //  The whole table, last entries first.
    w = s_walk ((gl_range_t) { .reverse = true, .max_items = 1 }, 0, -1);
    assert_int_equal (w.page.count, 1);
    assert_true (w.page.more);
}

static void
test_filters_skip_without_counting_and_more_means_a_taken_one_follows (void **state)
{
    s_fill_t fill = { s_queue, sizeof s_queue / sizeof s_queue [0] };
    assert_int_equal (gl_store_write (s_store, s_fill_txn, &fill), 0);
    gl_key_t prefix;
    gl_key_init (&prefix);
    gl_key_str (&prefix, "SJ-01");
    //  Values are i % 3: E1 0, E2 1, E3 2, E4 0, E5 1. Only 0s: E1, E4.
    s_walk_t w = s_walk ((gl_range_t) { .prefix = prefix.bytes, .prefix_len = prefix.len,
                                        .max_items = 1 }, prefix.len, 0);
    assert_string_equal (w.collect.out, "E1");
    assert_true (w.page.more);              //  E4 would be taken
    assert_int_equal (w.collect.peeks, 1);
    w = s_walk ((gl_range_t) { .prefix = prefix.bytes, .prefix_len = prefix.len,
                               .max_items = 2 }, prefix.len, 0);
    assert_string_equal (w.collect.out, "E1,E4");
    assert_false (w.page.more);             //  E5 is there, but would not be taken
}

//  Values of 100 bytes each, for the byte budget.
static int
s_big_txn (MDB_txn *txn, void *arg)
{
    int rc = gl_db_clear (txn, gl_store_dbi (s_store, "t"));
    char value [100];
    memset (value, 'v', sizeof value);
    for (int i = 0; i < 10 && rc == 0; i++) {
        char key [8];
        snprintf (key, sizeof key, "k%d", i);
        rc = gl_db_put (txn, gl_store_dbi (s_store, "t"), key, 2, value, sizeof value, 0);
    }
    return rc;
}

static void
test_a_byte_budget_ends_the_page_but_always_takes_one (void **state)
{
    assert_int_equal (gl_store_write (s_store, s_big_txn, NULL), 0);
    //  Each entry is 102 bytes: 350 holds three.
    s_walk_t w = s_walk ((gl_range_t) { .max_bytes = 350 }, 0, -1);
    assert_string_equal (w.collect.out, "k0,k1,k2");
    assert_int_equal (w.page.bytes, 306);
    assert_true (w.page.more);
    w = s_walk ((gl_range_t) { .max_bytes = 10 }, 0, -1);
    assert_string_equal (w.collect.out, "k0");
    assert_true (w.page.more);
}

//  Trimming: "t" keyed by a big-endian time, each entry indexing "side" by its value.
static int
s_aged_txn (MDB_txn *txn, void *arg)
{
    int rc = s_clear_txn (txn, NULL);
    for (uint64_t t = 1; t <= 10 && rc == 0; t++) {
        uint8_t key [8];
        gl_be64_put (key, t * 1000);
        char id [8];
        snprintf (id, sizeof id, "id%llu", (unsigned long long) t);
        rc = gl_db_put (txn, gl_store_dbi (s_store, "t"), key, 8, id, strlen (id), 0);
        if (rc == 0)
            rc = gl_db_put (txn, gl_store_dbi (s_store, "side"), id, strlen (id), "x", 1, 0);
    }
    return rc;
}

static int
s_forget (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    MDB_txn *txn = arg;
    return gl_db_del (txn, gl_store_dbi (s_store, "side"), val->mv_data, val->mv_size);
}

typedef struct {
    gl_trim_t how;              //  the rules
    size_t deleted;             //  out
    size_t left, side_left;     //  out: entries left in each table
} s_trim_t;

static int
s_trim_txn (MDB_txn *txn, void *arg)
{
    s_trim_t *t = arg;
    int rc = gl_db_trim (txn, gl_store_dbi (s_store, "t"), &t->how, s_forget, txn, &t->deleted);
    if (rc == 0)
        rc = gl_db_size (txn, gl_store_dbi (s_store, "t"), &t->left, NULL);
    if (rc == 0)
        rc = gl_db_size (txn, gl_store_dbi (s_store, "side"), &t->side_left, NULL);
    return rc;
}

static s_trim_t
s_trim (gl_trim_t how)
{
    s_trim_t t = { .how = how };
    assert_int_equal (gl_store_write (s_store, s_trim_txn, &t), 0);
    return t;
}

static void
test_trim_by_age_by_count_and_within_a_limit (void **state)
{
    assert_int_equal (gl_store_write (s_store, s_aged_txn, NULL), 0);
    //  Older than 3500: 1000, 2000, 3000 go, with what they index.
    s_trim_t t = s_trim ((gl_trim_t) { .before = 3500, .limit = 100, .stamp = gl_stamp_key });
    assert_int_equal (t.deleted, 3);
    assert_int_equal (t.left, 7);
    assert_int_equal (t.side_left, 7);
    //  At most 2 in one call, however many are due.
    t = s_trim ((gl_trim_t) { .before = 100000, .limit = 2, .stamp = gl_stamp_key });
    assert_int_equal (t.deleted, 2);
    assert_int_equal (t.left, 5);
    //  Keep the newest 3, whatever their age.
    t = s_trim ((gl_trim_t) { .before = INT64_MIN, .keep_items = 3, .limit = 100,
                              .stamp = gl_stamp_key });
    assert_int_equal (t.deleted, 2);
    assert_int_equal (t.left, 3);
    assert_int_equal (t.side_left, 3);
    //  Nothing due: nothing goes.
    t = s_trim ((gl_trim_t) { .before = 0, .limit = 100, .stamp = gl_stamp_key });
    assert_int_equal (t.deleted, 0);
    assert_int_equal (t.left, 3);
}

static int
s_count_txn (MDB_txn *txn, void *arg)
{
    uint64_t *writes = arg;
    uint64_t before = gl_db_writes ();
    int rc = gl_db_put (txn, gl_store_dbi (s_store, "t"), "a", 1, "1", 1, 0);
    if (rc == 0)
        rc = gl_db_del (txn, gl_store_dbi (s_store, "t"), "a", 1);
    //  An absent key deleted is no error, and still counts as a write attempt.
    if (rc == 0)
        rc = gl_db_del (txn, gl_store_dbi (s_store, "t"), "zz", 2);
    const void *val;
    size_t len;
    gl_db_get (txn, gl_store_dbi (s_store, "t"), "a", 1, &val, &len);
    *writes = gl_db_writes () - before;
    return rc;
}

static void
test_every_write_is_counted_and_reads_are_not (void **state)
{
    uint64_t writes = 0;
    assert_int_equal (gl_store_write (s_store, s_count_txn, &writes), 0);
    assert_int_equal (writes, 3);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_keys_separate_parts_so_prefixes_do_not_mix),
        cmocka_unit_test (test_a_record_reads_back_what_was_put),
        cmocka_unit_test (test_pages_within_a_prefix_in_both_directions),
        cmocka_unit_test (test_filters_skip_without_counting_and_more_means_a_taken_one_follows),
        cmocka_unit_test (test_a_byte_budget_ends_the_page_but_always_takes_one),
        cmocka_unit_test (test_trim_by_age_by_count_and_within_a_limit),
        cmocka_unit_test (test_every_write_is_counted_and_reads_are_not),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}

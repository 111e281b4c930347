/*  gl_db — tables, keys, records, pages and trimming.  */
#include "gl_db.h"
#include "gl_mapw.h"

#include <stddef.h>
#include <string.h>

static _Thread_local uint64_t s_writes;     //  puts and deletes by this thread

uint64_t
gl_db_writes (void)
{
    return s_writes;
}

//  ---------------------------------------------------------------------------------------------
//  Keys.

void
gl_be64_put (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p [i] = (uint8_t) v;
}

uint64_t
gl_be64_get (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p [i];
    return v;
}

void
gl_key_init (gl_key_t *k)
{
    k->len = 0;
    k->overflow = false;
}

void
gl_key_raw (gl_key_t *k, const void *bytes, size_t len)
{
    if (k->overflow || len > GL_KEY_MAX - k->len) {
        k->overflow = true;
        return;
    }
    memcpy (k->bytes + k->len, bytes, len);
    k->len += len;
}

void
gl_key_strn (gl_key_t *k, const char *s, size_t len)
{
    gl_key_raw (k, s, len);
    gl_key_raw (k, "", 1);
}

void
gl_key_str (gl_key_t *k, const char *s)
{
    gl_key_strn (k, s, strlen (s));
}

void
gl_key_u64 (gl_key_t *k, uint64_t v)
{
    uint8_t be [8];
    gl_be64_put (be, v);
    gl_key_raw (k, be, 8);
}

//  ---------------------------------------------------------------------------------------------
//  Get, put, delete, counters.

int
gl_db_put (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *val,
           size_t vlen, unsigned flags)
{
    MDB_val k = { klen, (void *) key }, v = { vlen, (void *) val };
    s_writes++;
    return mdb_put (txn, dbi, &k, &v, flags);
}

int
gl_db_reserve (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, size_t vlen,
               void **val)
{
    MDB_val k = { klen, (void *) key }, v = { vlen, NULL };
    s_writes++;
    int rc = mdb_put (txn, dbi, &k, &v, MDB_RESERVE);
    *val = rc? NULL: v.mv_data;
    return rc;
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
gl_db_del (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen)
{
    MDB_val k = { klen, (void *) key };
    s_writes++;
    int rc = mdb_del (txn, dbi, &k, NULL);
    return rc == MDB_NOTFOUND? 0: rc;
}

int
gl_db_clear (MDB_txn *txn, MDB_dbi dbi)
{
    s_writes++;
    return mdb_drop (txn, dbi, 0);
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

int
gl_db_size (MDB_txn *txn, MDB_dbi dbi, size_t *entries, size_t *bytes)
{
    MDB_stat st;
    int rc = mdb_stat (txn, dbi, &st);
    if (rc)
        return rc;
    if (entries)
        *entries = st.ms_entries;
    if (bytes)
        *bytes = st.ms_psize * (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  Records.

#define S_REC_HEADER 10         //  stamp (8) + topic length (2)

size_t
gl_rec_size (const gl_rec_t *rec)
{
    return S_REC_HEADER + rec->topic_len + rec->len;
}

int
gl_rec_put (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const gl_rec_t *rec,
            unsigned flags)
{
    MDB_val k = { klen, (void *) key }, v = { gl_rec_size (rec), NULL };
    s_writes++;
    int rc = mdb_put (txn, dbi, &k, &v, flags | MDB_RESERVE);
    if (rc)
        return rc;
    uint8_t *p = v.mv_data;
    gl_be64_put (p, rec->stamp);
    p [8] = (uint8_t) (rec->topic_len >> 8);
    p [9] = (uint8_t) rec->topic_len;
    memcpy (p + S_REC_HEADER, rec->topic, rec->topic_len);
    memcpy (p + S_REC_HEADER + rec->topic_len, rec->data, rec->len);
    return 0;
}

int
gl_rec_read (const void *val, size_t len, gl_rec_t *rec)
{
    const uint8_t *p = val;
    if (len < S_REC_HEADER)
        return -1;
    size_t topic_len = ((size_t) p [8] << 8) | p [9];
    if (S_REC_HEADER + topic_len > len)
        return -1;
    rec->stamp = gl_be64_get (p);
    rec->topic = (const char *) p + S_REC_HEADER;
    rec->topic_len = topic_len;
    rec->data = p + S_REC_HEADER + topic_len;
    rec->len = len - S_REC_HEADER - topic_len;
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  Pages.

static int
s_cmp (const MDB_val *k, const void *bytes, size_t len)
{
    size_t n = k->mv_size < len? k->mv_size: len;
    int c = memcmp (k->mv_data, bytes, n);
    return c? c: k->mv_size < len? -1: k->mv_size > len? 1: 0;
}

//  Place the cursor on the range's first entry (in its direction). Returns 0, MDB_NOTFOUND
//  when the range is empty, or an LMDB error.
static int
s_position (MDB_cursor *cur, const gl_range_t *r, MDB_val *k, MDB_val *v)
{
    int rc;
    if (!r->reverse) {
        if (r->from) {
            *k = (MDB_val) { r->from_len, (void *) r->from };
            rc = mdb_cursor_get (cur, k, v, MDB_SET_RANGE);
            if (rc == 0 && r->after && s_cmp (k, r->from, r->from_len) == 0)
                rc = mdb_cursor_get (cur, k, v, MDB_NEXT);
        }
        else
        if (r->prefix) {
            *k = (MDB_val) { r->prefix_len, (void *) r->prefix };
            rc = mdb_cursor_get (cur, k, v, MDB_SET_RANGE);
        }
        else
            rc = mdb_cursor_get (cur, k, v, MDB_FIRST);
        return rc;
    }
    //  Reverse: the first key at or above the bound, then one back unless it is the bound
    //  itself and the bound is inclusive.
    uint8_t upper [GL_KEY_MAX + 1];
    const void *bound = NULL;
    size_t bound_len = 0;
    bool inclusive = false;
    if (r->from) {
        bound = r->from;
        bound_len = r->from_len;
        inclusive = !r->after;
    }
    else
    if (r->prefix && r->prefix_len) {
        //  Just past every key with the prefix: the prefix with its last byte below 0xff
        //  incremented and the rest dropped.
        size_t n = r->prefix_len;
        memcpy (upper, r->prefix, n);
        while (n > 0 && upper [n - 1] == 0xff)
            n--;
        if (n > 0) {
            upper [n - 1]++;
            bound = upper;
            bound_len = n;
        }
    }
    if (!bound)
        return mdb_cursor_get (cur, k, v, MDB_LAST);
    *k = (MDB_val) { bound_len, (void *) bound };
    rc = mdb_cursor_get (cur, k, v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
        return mdb_cursor_get (cur, k, v, MDB_LAST);
    if (rc == 0 && !(inclusive && s_cmp (k, bound, bound_len) == 0))
        rc = mdb_cursor_get (cur, k, v, MDB_PREV);
    return rc;
}

int
gl_db_page (MDB_txn *txn, MDB_dbi dbi, const gl_range_t *range, gl_item_fn *fn, void *arg,
            gl_page_t *page)
{
    gl_page_t local;
    if (!page)
        page = &local;
    memset (page, 0, offsetof (gl_page_t, last));
    page->last_len = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open (txn, dbi, &cur);
    if (rc)
        return rc;
    MDB_val k, v;
    bool full = false;
    rc = s_position (cur, range, &k, &v);
    while (rc == 0) {
        if (range->prefix && (k.mv_size < range->prefix_len
                          ||  memcmp (k.mv_data, range->prefix, range->prefix_len)))
            break;
        size_t size = k.mv_size + v.mv_size;
        if (!full && range->max_bytes && page->count > 0
        &&  page->bytes + size > range->max_bytes)
            full = true;
        int what = fn (arg, &k, &v, full);
        if (what < 0) {
            rc = what;
            break;
        }
        if (what == GL_ITEM_STOP)
            break;
        if (what == GL_ITEM_TAKE) {
            if (full) {
                page->more = true;
                break;
            }
            page->count++;
            page->bytes += size;
            if (k.mv_size <= GL_KEY_MAX) {
                memcpy (page->last, k.mv_data, k.mv_size);
                page->last_len = k.mv_size;
            }
            if (range->max_items && page->count == range->max_items)
                full = true;
        }
        rc = mdb_cursor_get (cur, &k, &v, range->reverse? MDB_PREV: MDB_NEXT);
    }
    mdb_cursor_close (cur);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  ---------------------------------------------------------------------------------------------
//  Trimming.

int64_t
gl_stamp_key (const MDB_val *key, const MDB_val *val)
{
    return key->mv_size >= 8? (int64_t) gl_be64_get (key->mv_data): 0;
}

int64_t
gl_stamp_value (const MDB_val *key, const MDB_val *val)
{
    return val->mv_size >= 8? (int64_t) gl_be64_get (val->mv_data): 0;
}

int
gl_db_trim (MDB_txn *txn, MDB_dbi dbi, const gl_trim_t *how, gl_item_fn *on_delete,
            void *arg, size_t *deleted)
{
    *deleted = 0;
    size_t entries = 0, bytes = 0;
    int rc = gl_db_size (txn, dbi, &entries, &bytes);
    if (rc)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open (txn, dbi, &cur)))
        return rc;
    MDB_val k, v;
    rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST);
    while (rc == 0 && *deleted < how->limit) {
        bool old = how->before != INT64_MIN && how->stamp && how->stamp (&k, &v) < how->before;
        bool many = how->keep_items && entries > how->keep_items;
        //  Page accounting is approximate; it only needs to keep the table near its cap.
        bool big = how->keep_bytes && bytes > how->keep_bytes;
        if (!old && !many && !big)
            break;
        if (on_delete) {
            int what = on_delete (arg, &k, &v, false);
            if (what < 0) {
                rc = what;
                break;
            }
        }
        size_t size = k.mv_size + v.mv_size + 16;
        s_writes++;
        if ((rc = mdb_cursor_del (cur, 0)))
            break;
        entries--;
        bytes = bytes > size? bytes - size: 0;
        (*deleted)++;
        //  After a delete the cursor already stands on the next entry; MDB_NEXT reads it.
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close (cur);
    return rc == MDB_NOTFOUND? 0: rc;
}

int
gl_db_list_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    if (!peek) {
        gl_listw_t *list = arg;
        gl_sbuffer_write (&list->items, val->mv_data, val->mv_size);
        list->count++;
    }
    return GL_ITEM_TAKE;
}

/*  gl_db — the tables of a store: get, put and delete, counters, fixed-width and composite
    keys, one record layout for stamped messages, and the two loops every service needs (a page
    of a table from a key or within a prefix, and trimming a table by age, count or size), so
    that no service drives an LMDB cursor itself (Redis serves every range command of its
    streams from one iterator in the same way).

    Every write goes through this module, which counts them: the service skeleton uses the
    count to prove that a handler that refused a request wrote nothing.  */
#ifndef GL_DB_H
#define GL_DB_H

#include "gl_error.h"
#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#define GL_KEY_MAX 511          //  LMDB's default largest key

//  ---------------------------------------------------------------------------------------------
//  Keys.

/*  Big-endian fixed-width integers: keys whose byte order must follow the number order.  */
void gl_be64_put (uint8_t *p, uint64_t v);
uint64_t gl_be64_get (const uint8_t *p);

/*  A composite key built part by part: strings end with a 0x00 byte (so "SJ-01" sorts before
    and never prefixes "SJ-01-01"'s entries), numbers are 8 big-endian bytes. A part that would
    pass GL_KEY_MAX sets overflow, and the key must not be used.  */
typedef struct {
    uint8_t bytes [GL_KEY_MAX]; //  the key so far
    size_t len;                 //  bytes used
    bool overflow;              //  a part did not fit
} gl_key_t;

void gl_key_init (gl_key_t *k);
/*  A string part and its 0x00 end.  */
void gl_key_str (gl_key_t *k, const char *s);
void gl_key_strn (gl_key_t *k, const char *s, size_t len);
/*  An 8-byte big-endian number part.  */
void gl_key_u64 (gl_key_t *k, uint64_t v);
/*  Raw bytes, without an end marker (e.g. the last part of a key).  */
void gl_key_raw (gl_key_t *k, const void *bytes, size_t len);

//  ---------------------------------------------------------------------------------------------
//  Get, put, delete, counters.

/*  Returns 0 or an LMDB error.  */
int gl_db_put (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *val,
               size_t vlen, unsigned flags);
/*  Reserve vlen bytes for key's value and return where to write them (MDB_RESERVE).  */
int gl_db_reserve (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, size_t vlen,
                   void **val);
/*  Returns 0 and sets val and vlen, or MDB_NOTFOUND, or an LMDB error.  */
int gl_db_get (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void **val,
               size_t *vlen);
/*  Delete key; an absent key is not an error (returns 0).  */
int gl_db_del (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen);
/*  Delete every entry of a table.  */
int gl_db_clear (MDB_txn *txn, MDB_dbi dbi);

/*  Counters and positions: a big-endian 64-bit number stored under key. get sets *value (0
    when the key is absent) and returns 0, or an LMDB error; add adds delta and gives the new
    value in *value when value is not NULL.  */
int gl_db_get_u64 (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, uint64_t *value);
int gl_db_put_u64 (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, uint64_t value);
int gl_db_add_u64 (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, uint64_t delta,
                   uint64_t *value);

/*  Entries in a table and the bytes its pages take (for status and size rules).  */
int gl_db_size (MDB_txn *txn, MDB_dbi dbi, size_t *entries, size_t *bytes);

/*  Writes (puts and deletes) made through this module by this thread so far.  */
uint64_t gl_db_writes (void);

//  ---------------------------------------------------------------------------------------------
//  The stamped-message record: what outboxes, the archive and departmental stores keep per
//  message. Layout: stamp (8, big-endian), topic length (2, big-endian), topic, then the data
//  (an envelope or another msgpack value).

typedef struct {
    uint64_t stamp;             //  a time in ms, or an epoch: what the table orders or checks by
    const char *topic;          //  the topic, not NUL-terminated ("" for none)
    size_t topic_len;           //  its length, < 65536
    const void *data;           //  the message bytes
    size_t len;                 //  their length
} gl_rec_t;

/*  Bytes the record takes.  */
size_t gl_rec_size (const gl_rec_t *rec);
/*  Store rec under key (one copy, into the value LMDB reserves).  */
int gl_rec_put (MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const gl_rec_t *rec,
                unsigned flags);
/*  Read a stored record: 0, or -1 when the value is too short for its own header. The
    record's pointers point into the value.  */
int gl_rec_read (const void *val, size_t len, gl_rec_t *rec);

//  ---------------------------------------------------------------------------------------------
//  Pages: the entries of a range, in key order (or reverse), each handed to a function.

/*  What the item function says of an entry.  */
enum {
    GL_ITEM_TAKE = 0,           //  part of the page
    GL_ITEM_SKIP = 1,           //  not part of it (filtered out): go on
    GL_ITEM_STOP = 2            //  end the page before this entry
};

/*  Called for each entry of a range. When peek is true the page is already full and the
    function is only asked whether the entry would be taken (to tell whether there is more): it
    must not produce anything. Returns GL_ITEM_TAKE, GL_ITEM_SKIP, GL_ITEM_STOP, or an LMDB
    error (negative), which ends the page with that error.  */
typedef int (gl_item_fn) (void *arg, const MDB_val *key, const MDB_val *val, bool peek);

typedef struct {
    const void *prefix;         //  only keys that begin with these bytes (NULL: every key)
    size_t prefix_len;          //  their length
    const void *from;           //  the first key (NULL: the start of the prefix, or the table)
    size_t from_len;            //  its length
    bool after;                 //  from is exclusive: the previous page's last key (paging)
    bool reverse;               //  from the end down: newest first in a table keyed by time
    size_t max_items;           //  most entries taken (0: no limit)
    size_t max_bytes;           //  stop before taking an entry that would pass this many key
                                //  and value bytes (0: no limit); the first is always taken
} gl_range_t;

typedef struct {
    size_t count;               //  entries taken
    size_t bytes;               //  their key and value bytes
    bool more;                  //  another entry of the range would be taken after the page
    uint8_t last [GL_KEY_MAX];  //  the last key taken, for the next page's from (after)
    size_t last_len;            //  its length (0: nothing taken)
} gl_page_t;

/*  Walk range, calling fn for each entry until the page is full, fn stops it, or the range
    ends. page (may be NULL) says what was taken. Returns 0 or an LMDB error.  */
int gl_db_page (MDB_txn *txn, MDB_dbi dbi, const gl_range_t *range, gl_item_fn *fn, void *arg,
                gl_page_t *page);

//  ---------------------------------------------------------------------------------------------
//  Trimming: retention of a table whose key order is its age order (keys that begin with a
//  time or a seq), oldest first.

typedef struct {
    int64_t before;             //  delete entries whose stamp is below this (INT64_MIN: none)
    size_t keep_items;          //  and the oldest while more entries than this (0: no rule)
    size_t keep_bytes;          //  and the oldest while the table's pages take more (0: none)
    size_t limit;               //  most deletions in one call (short transactions)
    int64_t (*stamp) (const MDB_val *key, const MDB_val *val);  //  an entry's stamp
} gl_trim_t;

/*  Delete entries from the first, while the first is expired by one of the rules. on_delete
    (may be NULL) is called with each entry before it goes (peek false; its return value other
    than an LMDB error is ignored), to delete what the entry indexes. *deleted says how many
    went. Returns 0 or an LMDB error.  */
int gl_db_trim (MDB_txn *txn, MDB_dbi dbi, const gl_trim_t *how, gl_item_fn *on_delete,
                void *arg, size_t *deleted);

/*  Stamps for gl_trim_t: the first 8 bytes of the key, or of the value, big-endian.  */
int64_t gl_stamp_key (const MDB_val *key, const MDB_val *val);
int64_t gl_stamp_value (const MDB_val *key, const MDB_val *val);

/*  A page item function that appends each stored value, as it is (a msgpack value), to the
    gl_listw_t * in arg: a page of records answered as stored.  */
int gl_db_list_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek);

#endif

/*  gl_stream — outbox (producer) and inbox (consumer) of the reliable stream; see gl_stream.h
    for the design.  */
#include "gl_stream.h"
#include "gl_security.h"
#include "gl_alloc.h"
#include "gl_clock.h"
#include "gl_log.h"

#include <errno.h>
#include <string.h>

//  =============================================================================================
//  Lineage: (epoch, from) pairs, stored as 16 big-endian bytes each.

//  A lineage as stored (16 bytes an epoch: epoch, first seq; big-endian) into out: the
//  entries read, at most GL_LINEAGE_MAX; a trailing partial entry is ignored.
static size_t
s_lineage_read (const uint8_t *p, size_t len, gl_epoch_t *out)
{
    size_t n = 0;
    for (; n < GL_LINEAGE_MAX && (n + 1) * 16 <= len; n++) {
        out [n].epoch = gl_be64_get (p + n * 16);
        out [n].from = gl_be64_get (p + n * 16 + 8);
    }
    return n;
}

//  The stored form of a lineage into p, which holds n * 16 bytes.
static void
s_lineage_write (const gl_epoch_t *lineage, size_t n, uint8_t *p)
{
    for (size_t i = 0; i < n; i++) {
        gl_be64_put (p + i * 16, lineage [i].epoch);
        gl_be64_put (p + i * 16 + 8, lineage [i].from);
    }
}

//  Where epoch stands in lineage, or -1.
static int
s_lineage_find (const gl_epoch_t *lineage, size_t n, uint64_t epoch)
{
    for (size_t i = 0; i < n; i++)
        if (lineage [i].epoch == epoch)
            return (int) i;
    return -1;
}

//  =============================================================================================
//  Outbox

typedef struct {
    size_t topic_off, topic_len;    //  in the pending arena
    size_t env_off, env_len;        //  in the pending arena
} s_pending_t;

struct gl_outbox_s {
    gl_store_t *store;          //  where the outbox lives
    MDB_dbi dbi;                //  "outbox": big-endian seq -> record (ts, topic, envelope)
    MDB_dbi meta;               //  "meta": "last_seq", "lineage"
    char src [GL_MAX_NAME + 1]; //  producer id
    uint64_t epoch;             //  the store's epoch
    uint64_t last;              //  last published seq (pending ones follow it)
    gl_epoch_t lineage [GL_LINEAGE_MAX];    //  the store's epochs, oldest first
    size_t nlineage;            //  entries in lineage (at least 1)
    size_t max_envelope;        //  largest envelope it publishes
    msgpack_sbuffer arena;      //  pending messages' topics and envelopes
    s_pending_t *pending;       //  messages appended and not yet published, seq order: those
                                //  of a commit waiting to be durable, then the batch's own
    size_t npending, cap;       //  used and allocated entries
    size_t batch_from;          //  where the batch under way starts in pending
    msgpack_sbuffer scratch;    //  reused for each envelope
};

//  Read the last seq and the lineage; a store whose epoch is not the lineage's last (it was
//  restored from a backup, or is new) adds its epoch, starting after the last seq it holds.
//  The last seq is kept in meta because retention may leave the outbox itself empty.
static int
s_outbox_open_txn (MDB_txn *txn, void *arg)
{
    gl_outbox_t *self = arg;
    int rc = gl_db_get_u64 (txn, self->meta, "last_seq", 8, &self->last);
    if (rc)
        return rc;
    const void *val;
    size_t len;
    rc = gl_db_get (txn, self->meta, "lineage", 7, &val, &len);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    self->nlineage = rc == 0? s_lineage_read (val, len, self->lineage): 0;
    if (self->nlineage && self->lineage [self->nlineage - 1].epoch == self->epoch)
        return 0;
    if (self->nlineage == GL_LINEAGE_MAX) {
        memmove (self->lineage, self->lineage + 1, (GL_LINEAGE_MAX - 1) * sizeof (gl_epoch_t));
        self->nlineage--;
    }
    self->lineage [self->nlineage++] = (gl_epoch_t) { self->epoch, self->last + 1 };
    uint8_t bytes [GL_LINEAGE_MAX * 16];
    s_lineage_write (self->lineage, self->nlineage, bytes);
    return gl_db_put (txn, self->meta, "lineage", 7, bytes, self->nlineage * 16, 0);
}

gl_outbox_t *
gl_outbox_new (gl_store_t *store, const char *src, size_t max_envelope, gl_err_t *err)
{
    gl_outbox_t *self = (gl_outbox_t *) zmalloc (sizeof *self);
    self->store = store;
    self->dbi = gl_store_dbi (store, "outbox");
    self->meta = gl_store_dbi (store, "meta");
    snprintf (self->src, sizeof self->src, "%s", src);
    self->epoch = gl_store_epoch (store);
    self->max_envelope = max_envelope;
    msgpack_sbuffer_init (&self->arena);
    msgpack_sbuffer_init (&self->scratch);
    int rc = gl_store_write (store, s_outbox_open_txn, self);
    if (rc) {
        gl_fail (err, GL_INTERNAL, "%s: cannot read the outbox of %s: %s", src,
                 gl_store_dir (store), mdb_strerror (rc));
        gl_outbox_destroy (&self);
        return NULL;
    }
    if (self->nlineage > 1 && gl_store_restored (store))
        gl_log_notice ("%s: restored from a backup that ends at seq %llu: epoch %llu follows "
                       "epoch %llu from seq %llu on", src, (unsigned long long) self->last,
                       (unsigned long long) self->epoch,
                       (unsigned long long) self->lineage [self->nlineage - 2].epoch,
                       (unsigned long long) self->last + 1);
    return self;
}

void
gl_outbox_destroy (gl_outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gl_outbox_t *self = *self_p;
    msgpack_sbuffer_destroy (&self->arena);
    msgpack_sbuffer_destroy (&self->scratch);
    free (self->pending);
    free (self);
    *self_p = NULL;
}

uint64_t
gl_outbox_last (gl_outbox_t *self)
{
    return self->last;
}

uint64_t
gl_outbox_epoch (gl_outbox_t *self)
{
    return self->epoch;
}

const gl_epoch_t *
gl_outbox_lineage (gl_outbox_t *self, size_t *count)
{
    *count = self->nlineage;
    return self->lineage;
}

void
gl_outbox_begin (gl_outbox_t *self)
{
    gl_outbox_rewind (self, self->batch_from);
}

void
gl_outbox_committed (gl_outbox_t *self)
{
    self->batch_from = self->npending;
}

size_t
gl_outbox_mark (gl_outbox_t *self)
{
    return self->npending;
}

void
gl_outbox_rewind (gl_outbox_t *self, size_t mark)
{
    if (mark < self->npending) {
        self->arena.size = self->pending [mark].topic_off;
        self->npending = mark;
    }
}

int
gl_outbox_append (gl_outbox_t *self, MDB_txn *txn, const char *topic, const char *type,
                  const char *id, const void *body, size_t body_len, int64_t ts, gl_err_t *err)
{
    uint64_t seq = self->last + self->npending + 1;
    msgpack_sbuffer *s = &self->scratch;
    s->size = 0;
    gl_envelope_encode (s, type, self->src, self->epoch, seq, ts, id, body, body_len);
    if (s->size > self->max_envelope)
        return gl_fail (err, GL_TOO_LARGE, "the %s message it causes would be %zu bytes; the "
                        "limit is %zu (limits/max_envelope_bytes): shorten its fields", type,
                        s->size, self->max_envelope);
    size_t topic_len = strlen (topic);
    uint8_t key [8];
    gl_be64_put (key, seq);
    gl_rec_t rec = { (uint64_t) ts, topic, topic_len, s->data, s->size };
    int rc = gl_rec_put (txn, self->dbi, key, 8, &rec, MDB_APPEND);
    if (rc)
        return rc;
    if (self->npending == self->cap) {
        self->cap = self->cap? self->cap * 2: 256;
        self->pending = gl_realloc (self->pending, self->cap * sizeof (s_pending_t));
    }
    s_pending_t *p = &self->pending [self->npending++];
    p->topic_off = self->arena.size;
    p->topic_len = topic_len;
    gl_sbuffer_write (&self->arena, topic, topic_len);
    p->env_off = self->arena.size;
    p->env_len = s->size;
    gl_sbuffer_write (&self->arena, s->data, s->size);
    return 0;
}

int
gl_outbox_end (gl_outbox_t *self, MDB_txn *txn)
{
    if (self->npending == 0)
        return 0;
    return gl_db_put_u64 (txn, self->meta, "last_seq", 8, self->last + self->npending);
}

size_t
gl_outbox_pending (gl_outbox_t *self)
{
    return self->npending;
}

size_t
gl_outbox_publish (gl_outbox_t *self, void *pub, size_t count)
{
    size_t sent = 0;
    if (count > self->npending)
        count = self->npending;
    for (size_t i = 0; i < count; i++) {
        s_pending_t *p = &self->pending [i];
        int fault = gl_fault_check (GL_FAULT_PUBLISH);
        if (fault == GL_FAULT_EXIT)
            gl_fault_exit ("before a publication");
        if (fault == GL_FAULT_FAIL)
            continue;                   //  dropped, as a full high-water mark drops
        //  PUB never blocks: at the high-water mark it drops, and consumers replay the gap.
        if (zmq_send (pub, self->arena.data + p->topic_off, p->topic_len,
                      ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0
        &&  zmq_send (pub, self->arena.data + p->env_off, p->env_len, ZMQ_DONTWAIT) >= 0)
            sent++;
    }
    self->last += count;
    //  Keep the rest (a later commit's, not durable yet) at the front.
    size_t rest = self->npending - count;
    size_t from = rest? self->pending [count].topic_off: self->arena.size;
    if (from) {
        memmove (self->arena.data, self->arena.data + from, self->arena.size - from);
        self->arena.size -= from;
    }
    for (size_t i = 0; i < rest; i++) {
        self->pending [i] = self->pending [count + i];
        self->pending [i].topic_off -= from;
        self->pending [i].env_off -= from;
    }
    self->npending = self->batch_from = rest;
    return sent;
}

void
gl_outbox_abort (gl_outbox_t *self)
{
    gl_outbox_rewind (self, self->batch_from);
}

void
gl_outbox_heartbeat (gl_outbox_t *self, void *pub, int64_t ts)
{
    char topic [GL_MAX_NAME + 8];
    snprintf (topic, sizeof topic, "%s.hb", self->src);
    msgpack_sbuffer *s = &self->scratch;
    s->size = 0;
    static const uint8_t empty_map = 0x80;
    gl_envelope_encode (s, "hb", self->src, self->epoch, self->last, ts, NULL, &empty_map, 1);
    zmq_send (pub, topic, strlen (topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (pub, s->data, s->size, ZMQ_DONTWAIT);
}

//  A replay page's entries, packed as [topic, envelope bin] into items.
typedef struct {
    msgpack_packer pk;          //  packs into items
    uint64_t first;             //  the first seq seen (first page item, or the outbox's first)
} s_replay_t;

//  A replay page item: [topic, envelope bin] appended to the page. A record that is not an
//  outbox message ends the page (a gap must never be skipped silently).
static int
s_replay_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_replay_t *r = arg;
    gl_rec_t rec;
    if (key->mv_size != 8 || gl_rec_read (val->mv_data, val->mv_size, &rec))
        return GL_ITEM_STOP;            //  not ours: end the page rather than skip a seq
    if (peek)
        return GL_ITEM_TAKE;
    msgpack_pack_array (&r->pk, 2);
    msgpack_pack_str (&r->pk, rec.topic_len);
    msgpack_pack_str_body (&r->pk, rec.topic, rec.topic_len);
    msgpack_pack_bin (&r->pk, rec.len);
    msgpack_pack_bin_body (&r->pk, rec.data, rec.len);
    return GL_ITEM_TAKE;
}

//  The oldest retained seq, into *(uint64_t *) arg.
static int
s_first_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    if (!peek && key->mv_size == 8)
        *(uint64_t *) arg = gl_be64_get (key->mv_data);
    return GL_ITEM_TAKE;
}

int
gl_outbox_replay (gl_outbox_t *self, MDB_txn *txn, uint64_t from, uint64_t max,
                  size_t max_bytes, gl_mapw_t *reply)
{
    uint64_t first = 0;
    gl_range_t oldest = { .max_items = 1 };
    int rc = gl_db_page (txn, self->dbi, &oldest, s_first_item, &first, NULL);
    if (rc)
        return rc;
    gl_listw_t items;
    gl_listw_init (&items);
    s_replay_t r;
    gl_packer_init (&r.pk, &items.items);
    uint8_t key [8];
    gl_be64_put (key, from);
    gl_range_t range = { .from = key, .from_len = 8, .max_items = max, .max_bytes = max_bytes };
    gl_page_t page;
    rc = gl_db_page (txn, self->dbi, &range, s_replay_item, &r, &page);
    if (rc) {
        gl_listw_fini (&items);
        return rc;
    }
    items.count = (uint32_t) page.count;
    gl_mapw_u64 (reply, "epoch", self->epoch);
    gl_mapw_u64 (reply, "first", first);
    gl_mapw_u64 (reply, "last", self->last + self->npending);
    gl_mapw_key (reply, "lineage");
    msgpack_pack_array (&reply->pk, (uint32_t) self->nlineage);
    for (size_t i = 0; i < self->nlineage; i++) {
        msgpack_pack_array (&reply->pk, 2);
        msgpack_pack_uint64 (&reply->pk, self->lineage [i].epoch);
        msgpack_pack_uint64 (&reply->pk, self->lineage [i].from);
    }
    gl_mapw_list (reply, "messages", &items);
    gl_listw_fini (&items);
    return 0;
}

int
gl_outbox_trim (gl_outbox_t *self, MDB_txn *txn, int64_t now, int64_t max_age_ms,
                size_t max_bytes, size_t limit, size_t *deleted)
{
    //  The record's stamp is its publication time.
    gl_trim_t how = { .before = now - max_age_ms, .keep_bytes = max_bytes, .limit = limit,
                      .stamp = gl_stamp_value };
    return gl_db_trim (txn, self->dbi, &how, NULL, NULL, deleted);
}

//  =============================================================================================
//  Inbox

#define S_REPLAY_MAX 1000       //  messages asked for per replay page
#define S_POS_HEADER 16         //  stored position: epoch, last (big-endian), then the lineage

typedef struct {
    uint64_t epoch;             //  producer epoch we follow (0: never heard from)
    uint64_t last;              //  last seq applied
    gl_epoch_t lineage [GL_LINEAGE_MAX];    //  the producer's lineage as last confirmed
    size_t nlineage;            //  its entries
} s_pos_t;

//  Why a message was dropped by the trust rules; the names are status keys.
typedef enum {
    R_MALFORMED,                //  not two frames, or no valid envelope
    R_FOREIGN,                  //  topic, src and configured producer do not all agree
    R_EPOCH,                    //  an epoch the producer's ROUTER has not confirmed
    R_STRAY_PAGE,               //  in a replay answer: a message that is not the producer's
    R_BAD_PAGE,                 //  a replay answer that is not usable at all
    R_COUNT
} s_reason_t;

static const char *const s_reason_names [R_COUNT] = {
    "malformed", "foreign", "unconfirmed_epoch", "stray_page", "bad_page"
};

typedef struct {
    char name [GL_MAX_NAME + 1];    //  producer id, e.g. "intake"
    char endpoint [256];        //  its ROUTER
    zsock_t *dealer;            //  replay requests go here
    s_pos_t committed;          //  as stored
    s_pos_t working;            //  inside the current batch
    bool dirty;                 //  working differs from committed
    uint64_t known_last;        //  highest seq the producer is known to have
    uint64_t lost;              //  messages retention removed before we had them (committed)
    uint64_t batch_lost;        //  the same, in the current batch
    bool want_replay;           //  behind, or an epoch to confirm: ask after this commit
    bool in_flight;             //  a replay request is out
    int64_t sent_at;            //  when it went (monotonic ms)
    int64_t retry_at;           //  no connection yet: when to try sending again
} s_producer_t;

struct gl_inbox_item_s {
    s_producer_t *from;         //  replay page: the producer that answered; NULL: live
    zmsg_t *msg;                //  live: [topic, envelope]; replay: [payload]
    uint64_t page_last;         //  replay: producer's last seq in the answer (after process)
    bool page_ok;               //  replay: the answer was usable
};

struct gl_inbox_s {
    gl_store_t *store;          //  where positions live
    MDB_dbi dbi;                //  "inbox": producer id -> position
    zsock_t *sub;               //  live traffic from the bus backend
    s_producer_t producers [GL_SVC_COUNT];
    size_t count;               //  producers followed
    char passive [GL_MAX_NAME]; //  topic prefix applied without positions ("" for none)
    gl_apply_fn *apply;         //  the service's effect
    void *arg;                  //  its argument
    int64_t timeout_ms;         //  replay request timeout
    size_t max_envelope;        //  largest envelope accepted in a replay page
    uint64_t applied;           //  messages applied (committed)
    uint64_t refused;           //  messages refused by apply (committed)
    uint64_t replayed;          //  of the applied, how many came by replay (committed)
    uint64_t rejected [R_COUNT];    //  dropped by the trust rules
    gl_ratelimit_t limits [R_COUNT];    //  their log lines
    uint64_t batch_replayed;    //  applied by replay in the current batch
    uint64_t batch_applied;     //  applied in the current batch
    uint64_t batch_refused;     //  refused in the current batch
};

//  A stored inbox position into pos; a value too short to be one reads as "nothing yet".
static void
s_pos_decode (const void *val, size_t len, s_pos_t *pos)
{
    memset (pos, 0, sizeof *pos);
    if (len < S_POS_HEADER)
        return;
    pos->epoch = gl_be64_get (val);
    pos->last = gl_be64_get ((const uint8_t *) val + 8);
    //  The position of an earlier version (epoch, last, the epoch left: 24 bytes) has no
    //  lineage: the epoch followed is its own first entry.
    if (len % 16 == 0)
        pos->nlineage = s_lineage_read ((const uint8_t *) val + S_POS_HEADER,
                                        len - S_POS_HEADER, pos->lineage);
    if (pos->nlineage == 0 && pos->epoch) {
        pos->lineage [0] = (gl_epoch_t) { pos->epoch, 1 };
        pos->nlineage = 1;
    }
}

//  Drop a message by a trust rule: count it, and say so at most once every few seconds per
//  reason, so that a flood of forgeries cannot flood the log either.
//  Count a message dropped by a trust rule and log it, at most a few lines a minute per
//  reason (gl_log_limit): a flood of forgeries must not flood the log.
static void
s_reject (gl_inbox_t *self, s_reason_t reason, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_reject (gl_inbox_t *self, s_reason_t reason, const char *format, ...)
{
    self->rejected [reason]++;
    uint64_t held_back;
    if (!gl_log_limit (&self->limits [reason], &held_back))
        return;
    char line [400];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    if (held_back)
        gl_log_warning ("dropped %s (and %llu more of this kind since the last such line)",
                        line, (unsigned long long) held_back);
    else
        gl_log_warning ("dropped %s", line);
}

//  The configured producer of that name, or NULL: nobody else is followed.
static s_producer_t *
s_producer (gl_inbox_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->count; i++)
        if (strlen (self->producers [i].name) == len
        &&  memcmp (self->producers [i].name, name, len) == 0)
            return &self->producers [i];
    return NULL;
}

//  The topic's first segment ("intake" of "intake.event.reported"): its length.
static size_t
s_first_segment (const char *topic, size_t len)
{
    const char *dot = memchr (topic, '.', len);
    return dot? (size_t) (dot - topic): len;
}

//  A printable excerpt of untrusted bytes for a log line: control characters and non-ASCII
//  bytes as '?', at most 48 of them.
static const char *
s_excerpt (const char *bytes, size_t len, char buf [52])
{
    size_t n = len > 48? 48: len;
    for (size_t i = 0; i < n; i++)
        buf [i] = bytes [i] >= 0x20 && bytes [i] < 0x7f? bytes [i]: '?';
    buf [n] = 0;
    return buf;
}

gl_inbox_t *
gl_inbox_new (gl_store_t *store, const gl_config_t *cfg, const char *reads,
              const char *passive, gl_apply_fn *apply, void *arg, gl_err_t *err)
{
    gl_inbox_t *self = (gl_inbox_t *) zmalloc (sizeof *self);
    self->store = store;
    self->dbi = gl_store_dbi (store, "inbox");
    self->apply = apply;
    self->arg = arg;
    self->timeout_ms = cfg->request_timeout_ms;
    self->max_envelope = (size_t) cfg->max_envelope_bytes;

    //  Subscribe first, so nothing published from now on is missed; then replay the past.
    self->sub = zsock_new (ZMQ_SUB);
    //  Every message a subscriber holds is at most one envelope: the queue is bounded in bytes
    //  by limits/sub_hwm × limits/max_envelope_bytes.
    gl_socket_limits (self->sub, cfg->max_envelope_bytes, 0);
    zsock_set_rcvhwm (self->sub, (int) cfg->sub_hwm);
    if (gl_sec_connect (self->sub, cfg->bus_backend, err)) {
        gl_inbox_destroy (&self);
        return NULL;
    }
    char *names = gl_strdup (reads);
    char *save = NULL;
    for (char *tok = strtok_r (names, " ,", &save); tok; tok = strtok_r (NULL, " ,", &save)) {
        int svc = gl_svc_lookup (tok, strlen (tok));
        if (svc < 0) {
            gl_fail (err, GL_INVALID, "%s: cannot read the stream of '%s': not a producer "
                     "(expected intake, dispatcher, escalation, archive or metrics)",
                     cfg->path, tok);
            free (names);
            gl_inbox_destroy (&self);
            return NULL;
        }
        if (s_producer (self, tok, strlen (tok)))
            continue;
        s_producer_t *p = &self->producers [self->count++];
        snprintf (p->name, sizeof p->name, "%s", tok);
        snprintf (p->endpoint, sizeof p->endpoint, "%s", cfg->svc [svc].endpoint);
        char prefix [GL_MAX_NAME + 2];
        snprintf (prefix, sizeof prefix, "%s.", tok);
        zsock_set_subscribe (self->sub, prefix);
        p->dealer = zsock_new (ZMQ_DEALER);
        gl_socket_limits (p->dealer, cfg->max_msg_bytes, 0);
        //  Queue requests only on a live connection: a down producer costs a retry, not a
        //  pile of stale requests delivered when it comes back.
        zsock_set_immediate (p->dealer, 1);
        if (gl_sec_connect (p->dealer, p->endpoint, err)) {
            free (names);
            gl_inbox_destroy (&self);
            return NULL;
        }
    }
    free (names);
    if (passive) {
        snprintf (self->passive, sizeof self->passive, "%s", passive);
        zsock_set_subscribe (self->sub, passive);
    }

    MDB_txn *txn;
    if (mdb_txn_begin (gl_store_env (store), NULL, MDB_RDONLY, &txn) == 0) {
        for (size_t i = 0; i < self->count; i++) {
            s_producer_t *p = &self->producers [i];
            const void *val;
            size_t len;
            if (gl_db_get (txn, self->dbi, p->name, strlen (p->name), &val, &len) == 0)
                s_pos_decode (val, len, &p->committed);
            uint8_t lost_key [GL_MAX_NAME + 6];
            int n = snprintf ((char *) lost_key, sizeof lost_key, "%s#lost", p->name);
            gl_db_get_u64 (txn, self->dbi, lost_key, (size_t) n, &p->lost);
            p->working = p->committed;
            p->known_last = p->committed.last;
            p->want_replay = true;      //  catch up from where we stand
        }
        mdb_txn_abort (txn);
    }
    gl_inbox_commit (self, NULL, 0);    //  sends the first replay requests
    return self;
}

void
gl_inbox_destroy (gl_inbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gl_inbox_t *self = *self_p;
    zsock_destroy (&self->sub);
    for (size_t i = 0; i < self->count; i++)
        zsock_destroy (&self->producers [i].dealer);
    free (self);
    *self_p = NULL;
}

void
gl_inbox_poll_on (gl_inbox_t *self, zpoller_t *poller)
{
    zpoller_add (poller, self->sub);
    for (size_t i = 0; i < self->count; i++)
        zpoller_add (poller, self->producers [i].dealer);
}

gl_inbox_item_t *
gl_inbox_recv (gl_inbox_t *self)
{
    //  Replay pages first: they are what a consumer that is behind waits for.
    for (size_t i = 0; i < self->count; i++) {
        zmsg_t *msg = zmsg_recv_nowait (self->producers [i].dealer);
        if (!msg)
            continue;
        gl_inbox_item_t *item = (gl_inbox_item_t *) zmalloc (sizeof *item);
        item->msg = msg;
        item->from = &self->producers [i];
        //  A DEALER answer comes as [empty, payload]: keep only the payload.
        if (zmsg_size (msg) == 2) {
            zframe_t *empty = zmsg_pop (msg);
            zframe_destroy (&empty);
        }
        return item;
    }
    zmsg_t *msg = zmsg_recv_nowait (self->sub);
    if (!msg)
        return NULL;
    gl_inbox_item_t *item = (gl_inbox_item_t *) zmalloc (sizeof *item);
    item->msg = msg;
    return item;
}

size_t
gl_inbox_item_size (gl_inbox_item_t *item)
{
    return zmsg_content_size (item->msg);
}

void
gl_inbox_item_destroy (gl_inbox_item_t **item_p)
{
    if (!item_p || !*item_p)
        return;
    zmsg_destroy (&(*item_p)->msg);
    free (*item_p);
    *item_p = NULL;
}

void
gl_inbox_begin (gl_inbox_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        self->producers [i].working = self->producers [i].committed;
        self->producers [i].dirty = false;
        self->producers [i].batch_lost = 0;
    }
    self->batch_applied = 0;
    self->batch_refused = 0;
    self->batch_replayed = 0;
}

//  Adopt the epoch and lineage that producer p's own ROUTER confirmed. A consumer that
//  followed an epoch of the new lineage (or of a lineage with epochs in common with it) keeps
//  its position up to where the two lineages part; one with nothing in common starts over.
//  Returns nothing: the working position is updated and marked dirty when it changes.
static void
s_confirm_epoch (s_producer_t *p, uint64_t epoch, const gl_epoch_t *lineage, size_t n)
{
    s_pos_t *w = &p->working;
    if (epoch == w->epoch && n == w->nlineage
    &&  memcmp (lineage, w->lineage, n * sizeof (gl_epoch_t)) == 0)
        return;
    if (w->epoch != 0 && epoch != w->epoch) {
        //  The last epoch both lineages share, and where each went on after it.
        int ours = -1, theirs = -1;
        for (size_t i = 0; i < w->nlineage; i++) {
            int j = s_lineage_find (lineage, n, w->lineage [i].epoch);
            if (j >= 0) {
                ours = (int) i;
                theirs = j;
            }
        }
        uint64_t keep = 0;
        if (ours >= 0) {
            keep = w->last;
            if ((size_t) ours + 1 < w->nlineage && w->lineage [ours + 1].from - 1 < keep)
                keep = w->lineage [ours + 1].from - 1;
            if ((size_t) theirs + 1 < n && lineage [theirs + 1].from - 1 < keep)
                keep = lineage [theirs + 1].from - 1;
            gl_log_notice ("producer %s was restored from a backup (epoch %llu, was %llu): "
                           "following it from seq %llu%s", p->name, (unsigned long long) epoch,
                           (unsigned long long) w->epoch, (unsigned long long) keep + 1,
                           keep < w->last? " (what it published after the backup and we "
                           "applied stays applied)": "");
        }
        else
            gl_log_warning ("producer %s has a new store (epoch %llu, was %llu) with no epoch "
                            "in common with ours: starting its stream over from seq 1",
                            p->name, (unsigned long long) epoch, (unsigned long long) w->epoch);
        w->last = keep;
        p->known_last = keep;
    }
    w->epoch = epoch;
    w->nlineage = n;
    memcpy (w->lineage, lineage, n * sizeof (gl_epoch_t));
    p->dirty = true;
}

//  Whether an envelope's epoch fits the confirmed lineage at its seq: the current epoch, or
//  the epoch that published that seq before a restore.
static bool
s_epoch_fits (const s_pos_t *w, uint64_t epoch, uint64_t seq)
{
    if (epoch == w->epoch)
        return true;
    int i = s_lineage_find (w->lineage, w->nlineage, epoch);
    return i >= 0 && seq >= w->lineage [i].from
        && ((size_t) i + 1 == w->nlineage || seq < w->lineage [i + 1].from);
}

//  Apply one message from an outside publisher (passive): no positions; the service
//  deduplicates. Its topic must begin with its own src and a dot.
static int
s_admit_passive (gl_inbox_t *self, MDB_txn *txn, const char *topic, size_t topic_len,
                 const gl_envelope_t *env)
{
    char excerpt [52];
    if (topic_len <= env->src_len || memcmp (topic, env->src, env->src_len)
    ||  topic [env->src_len] != '.') {
        s_reject (self, R_FOREIGN, "a message on '%s' whose src does not begin its topic",
                  s_excerpt (topic, topic_len, excerpt));
        return 0;
    }
    char topic_z [GL_MAX_TOPIC + 1];
    snprintf (topic_z, sizeof topic_z, "%.*s", (int) (topic_len > GL_MAX_TOPIC? GL_MAX_TOPIC:
              topic_len), topic);
    int rc = self->apply (self->arg, txn, topic_z, env);
    if (rc == GL_REFUSED) {
        self->batch_refused++;
        return 0;
    }
    if (rc == 0)
        self->batch_applied++;
    return rc;
}

//  Admit one message (live, or from producer asked's replay page) and apply it if it is the
//  next one. Everything that fails a trust rule is dropped and counted; a storage error of
//  apply is returned (the batch is tried again).
static int
s_admit (gl_inbox_t *self, MDB_txn *txn, const char *topic, size_t topic_len,
         const void *bytes, size_t len, s_producer_t *asked)
{
    gl_doc_t doc;
    gl_envelope_t env;
    gl_err_t err;
    char excerpt [52];
    int rc = 0;
    bool live = asked == NULL;
    if (gl_envelope_decode (&doc, bytes, len, &env, &err)) {
        s_reject (self, asked? R_STRAY_PAGE: R_MALFORMED, "a malformed message on '%s': %s",
                  s_excerpt (topic, topic_len, excerpt), err.message);
        goto done;
    }
    size_t plen = strlen (self->passive);
    if (live && plen && topic_len >= plen && memcmp (topic, self->passive, plen) == 0) {
        rc = s_admit_passive (self, txn, topic, topic_len, &env);
        goto done;
    }
    //  The producer: the topic's first segment, src and a configured producer all agree (and,
    //  in a replay page, it is the producer that was asked).
    size_t seg = s_first_segment (topic, topic_len);
    s_producer_t *p = s_producer (self, env.src, env.src_len);
    if (!p || seg != env.src_len || memcmp (topic, env.src, seg) || (asked && p != asked)) {
        s_reject (self, asked? R_STRAY_PAGE: R_FOREIGN, "a message on '%s' from src '%s'%s%s",
                  s_excerpt (topic, topic_len, excerpt), s_excerpt (env.src, env.src_len,
                  (char [52]) { 0 }), asked? " in a replay answer of ": "",
                  asked? asked->name: "");
        goto done;
    }
    s_pos_t *w = &p->working;
    if (!s_epoch_fits (w, env.epoch, env.seq)) {
        //  Only the producer's ROUTER can confirm an epoch: ask it; the replay brings the
        //  messages again if the epoch is real. Before the first confirmation (a new consumer)
        //  that is the normal way; a heartbeat is how a restored producer announces its new
        //  epoch, so it is counted but not logged.
        p->want_replay = true;
        if (w->epoch == 0)
            goto done;                  //  a new consumer's first messages: not news
        if (gl_envelope_is (&env, "hb"))
            self->rejected [R_EPOCH]++;     //  counted, not logged: a restore sends these too
        else
            s_reject (self, R_EPOCH, "%s %s#%llu of epoch %llu (following %llu; asking its "
                      "ROUTER to confirm)", live? "live": "replayed", p->name,
                      (unsigned long long) env.seq, (unsigned long long) env.epoch,
                      (unsigned long long) w->epoch);
        goto done;
    }
    if (live && env.seq > p->known_last)
        p->known_last = env.seq;
    if (gl_envelope_is (&env, "hb")) {
        if (env.seq > w->last)
            p->want_replay = true;      //  its last message never reached us
        goto done;
    }
    if (env.seq <= w->last)
        goto done;                      //  duplicate: already applied
    if (env.seq > w->last + 1) {
        p->want_replay = true;          //  a gap: replay brings it, in order
        goto done;
    }
    char topic_z [GL_MAX_TOPIC + 1];
    snprintf (topic_z, sizeof topic_z, "%.*s", (int) (topic_len > GL_MAX_TOPIC? GL_MAX_TOPIC:
              topic_len), topic);
    rc = self->apply (self->arg, txn, topic_z, &env);
    if (rc != 0 && rc != GL_REFUSED)
        goto done;                      //  storage error: the whole batch is tried again
    if (rc == GL_REFUSED) {
        gl_log_warning ("refused %s message %s#%llu on '%s'", live? "live": "replayed",
                        p->name, (unsigned long long) env.seq, topic_z);
        self->batch_refused++;
        rc = 0;
    }
    else {
        self->batch_applied++;
        if (!live)
            self->batch_replayed++;
    }
    w->last = env.seq;                  //  refused for good is still stepped over
    p->dirty = true;
done:
    gl_doc_fini (&doc);
    return rc;
}

//  The lineage of a replay answer: [[epoch, from], ...], oldest first; an answer without one
//  (an earlier version) stands for its epoch alone.
static size_t
s_page_lineage (const msgpack_object *root, uint64_t epoch, gl_epoch_t *out)
{
    const msgpack_object *l = gl_map_get (root, "lineage");
    size_t n = 0;
    if (l && l->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < l->via.array.size && n < GL_LINEAGE_MAX; i++) {
            const msgpack_object *e = &l->via.array.ptr [i];
            if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2
            ||  e->via.array.ptr [0].type != MSGPACK_OBJECT_POSITIVE_INTEGER
            ||  e->via.array.ptr [1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                return 0;
            out [n++] = (gl_epoch_t) { e->via.array.ptr [0].via.u64,
                                       e->via.array.ptr [1].via.u64 };
        }
    if (n == 0 || out [n - 1].epoch != epoch) {
        out [0] = (gl_epoch_t) { epoch, 1 };
        n = 1;
    }
    return n;
}

//  Apply a replay answer from the producer it was asked of. An unusable page, or one holding
//  another producer's message, is dropped and counted (returns 0); only a storage error is
//  returned. Sets item->page_ok when the page was taken.
static int
s_process_page (gl_inbox_t *self, MDB_txn *txn, gl_inbox_item_t *item)
{
    s_producer_t *p = item->from;
    zframe_t *frame = zmsg_last (item->msg);
    gl_doc_t doc;
    gl_err_t err;
    item->page_ok = false;
    if (!frame || gl_doc_parse (&doc, zframe_data (frame), zframe_size (frame), &err)) {
        s_reject (self, R_BAD_PAGE, "an unusable replay answer from %s: %s", p->name,
                  frame? err.message: "empty");
        gl_doc_fini (&doc);
        return 0;
    }
    const msgpack_object *root = &doc.root;
    bool ok = false;
    uint64_t epoch = 0, first = 0, last = 0;
    const msgpack_object *messages = gl_map_get (root, "messages");
    if (!gl_get_bool (root, "ok", &ok) || !ok || !gl_get_u64 (root, "epoch", &epoch)
    ||  epoch == 0 || !gl_get_u64 (root, "first", &first) || !gl_get_u64 (root, "last", &last)
    ||  !messages || messages->type != MSGPACK_OBJECT_ARRAY) {
        s_reject (self, R_BAD_PAGE, "a replay answer from %s that is not usable (is %s really "
                  "a gridloop producer?)", p->name, p->endpoint);
        gl_doc_fini (&doc);
        return 0;
    }
    gl_epoch_t lineage [GL_LINEAGE_MAX];
    size_t n = s_page_lineage (root, epoch, lineage);
    s_confirm_epoch (p, epoch, lineage, n);
    s_pos_t *w = &p->working;
    if (last > p->known_last)
        p->known_last = last;
    //  Retention removed what we need: say so once, count it, go on from what is there.
    uint64_t next = w->last + 1;
    uint64_t oldest = first? first: last + 1;
    if (oldest > next && last >= next) {
        uint64_t gone = (oldest > last + 1? last + 1: oldest) - next;
        gl_log_error ("producer %s no longer holds seq %llu..%llu (its retention passed): "
                      "those %llu messages are lost to this consumer", p->name,
                      (unsigned long long) next, (unsigned long long) next + gone - 1,
                      (unsigned long long) gone);
        w->last += gone;
        p->batch_lost += gone;
        p->dirty = true;
    }
    int rc = 0;
    for (uint32_t i = 0; i < messages->via.array.size && rc == 0; i++) {
        const msgpack_object *m = &messages->via.array.ptr [i];
        if (m->type != MSGPACK_OBJECT_ARRAY || m->via.array.size != 2
        ||  m->via.array.ptr [0].type != MSGPACK_OBJECT_STR
        ||  m->via.array.ptr [1].type != MSGPACK_OBJECT_BIN) {
            s_reject (self, R_STRAY_PAGE, "an entry of a replay answer of %s that is not "
                      "[topic, envelope]", p->name);
            continue;
        }
        const msgpack_object *t = &m->via.array.ptr [0], *e = &m->via.array.ptr [1];
        if (e->via.bin.size > self->max_envelope) {
            s_reject (self, R_STRAY_PAGE, "an envelope of %u bytes in a replay answer of %s "
                      "(limits/max_envelope_bytes)", e->via.bin.size, p->name);
            continue;
        }
        rc = s_admit (self, txn, t->via.str.ptr, t->via.str.size, e->via.bin.ptr,
                      e->via.bin.size, p);
    }
    item->page_last = last;
    item->page_ok = true;
    gl_doc_fini (&doc);
    return rc;
}

int
gl_inbox_process (gl_inbox_t *self, MDB_txn *txn, gl_inbox_item_t *item)
{
    if (item->from)
        return s_process_page (self, txn, item);
    zframe_t *topic = zmsg_first (item->msg);
    zframe_t *body = zmsg_next (item->msg);
    if (!topic || !body || zmsg_size (item->msg) != 2) {
        s_reject (self, R_MALFORMED, "a published message of %zu frames (expected topic and "
                  "envelope)", zmsg_size (item->msg));
        return 0;
    }
    return s_admit (self, txn, (const char *) zframe_data (topic), zframe_size (topic),
                    zframe_data (body), zframe_size (body), NULL);
}

int
gl_inbox_end (gl_inbox_t *self, MDB_txn *txn)
{
    for (size_t i = 0; i < self->count; i++) {
        s_producer_t *p = &self->producers [i];
        if (!p->dirty)
            continue;
        uint8_t val [S_POS_HEADER + GL_LINEAGE_MAX * 16];
        gl_be64_put (val, p->working.epoch);
        gl_be64_put (val + 8, p->working.last);
        s_lineage_write (p->working.lineage, p->working.nlineage, val + S_POS_HEADER);
        int rc = gl_db_put (txn, self->dbi, p->name, strlen (p->name), val,
                            S_POS_HEADER + p->working.nlineage * 16, 0);
        if (rc == 0 && p->batch_lost) {
            uint8_t lost_key [GL_MAX_NAME + 6];
            int n = snprintf ((char *) lost_key, sizeof lost_key, "%s#lost", p->name);
            rc = gl_db_add_u64 (txn, self->dbi, lost_key, (size_t) n, p->batch_lost, NULL);
        }
        if (rc)
            return rc;
    }
    return 0;
}

//  Ask p for the messages after the last one applied. Never blocks: if its DEALER cannot take
//  the request now (no live connection yet), want_replay stays set and it is tried again 50 ms
//  later.
static void
s_request_page (gl_inbox_t *self, s_producer_t *p)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "op", "replay");
    gl_mapw_u64 (&w, "from", p->committed.last + 1);
    gl_mapw_u64 (&w, "max", S_REPLAY_MAX);
    msgpack_sbuffer out;
    gl_mapw_finish (&w, &out);
    gl_mapw_fini (&w);
    void *handle = zsock_resolve (p->dealer);
    if (zmq_send (handle, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0
    &&  zmq_send (handle, out.data, out.size, ZMQ_DONTWAIT) >= 0) {
        p->want_replay = false;
        p->in_flight = true;
        p->sent_at = zclock_mono ();
    }
    else                                //  no live connection yet: try again shortly
        p->retry_at = zclock_mono () + 50;
    msgpack_sbuffer_destroy (&out);
}

void
gl_inbox_commit (gl_inbox_t *self, gl_inbox_item_t **items, size_t count)
{
    for (size_t i = 0; i < self->count; i++) {
        s_producer_t *p = &self->producers [i];
        p->committed = p->working;
        p->lost += p->batch_lost;
        p->batch_lost = 0;
        p->dirty = false;
    }
    self->applied += self->batch_applied;
    self->refused += self->batch_refused;
    self->replayed += self->batch_replayed;
    self->batch_applied = self->batch_refused = self->batch_replayed = 0;
    //  A page answered: ask for the next one while the producer is ahead of us.
    for (size_t i = 0; i < count; i++) {
        gl_inbox_item_t *item = items [i];
        if (!item->from)
            continue;
        item->from->in_flight = false;
        if (item->page_ok && item->page_last > item->from->committed.last)
            item->from->want_replay = true;
    }
    for (size_t i = 0; i < self->count; i++) {
        s_producer_t *p = &self->producers [i];
        if (p->want_replay && !p->in_flight)
            s_request_page (self, p);
    }
}

void
gl_inbox_tick (gl_inbox_t *self)
{
    int64_t now = zclock_mono ();
    for (size_t i = 0; i < self->count; i++) {
        s_producer_t *p = &self->producers [i];
        if (p->in_flight && now - p->sent_at >= self->timeout_ms) {
            //  Unanswered (the producer may be down): ask again; a late answer is harmless,
            //  because every message in it passes through the same seq check.
            p->in_flight = false;
            p->want_replay = true;
        }
        if (p->want_replay && !p->in_flight && now >= p->retry_at)
            s_request_page (self, p);
    }
}

void
gl_inbox_status (gl_inbox_t *self, gl_mapw_t *w)
{
    for (size_t i = 0; i < self->count; i++) {
        s_producer_t *p = &self->producers [i];
        gl_mapw_t inner;
        gl_mapw_init (&inner);
        gl_mapw_u64 (&inner, "epoch", p->committed.epoch);
        gl_mapw_u64 (&inner, "last", p->committed.last);
        gl_mapw_u64 (&inner, "lag", p->known_last > p->committed.last?
                                    p->known_last - p->committed.last: 0);
        gl_mapw_u64 (&inner, "lost", p->lost);
        gl_mapw_map (w, p->name, &inner);
        gl_mapw_fini (&inner);
    }
}

void
gl_inbox_rejected (gl_inbox_t *self, gl_mapw_t *w)
{
    for (int r = 0; r < R_COUNT; r++)
        gl_mapw_u64 (w, s_reason_names [r], self->rejected [r]);
}

uint64_t
gl_inbox_applied (gl_inbox_t *self)
{
    return self->applied;
}

uint64_t
gl_inbox_replayed (gl_inbox_t *self)
{
    return self->replayed;
}

uint64_t
gl_inbox_refused (gl_inbox_t *self)
{
    return self->refused;
}

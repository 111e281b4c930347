/*  gl_stream — outbox (producer) and inbox (consumer) of the reliable stream; see gl_stream.h
    for the design.  */
#include "gl_stream.h"
#include "gl_clock.h"
#include "gl_log.h"

#include <string.h>

//  =============================================================================================
//  Outbox

#define S_OUT_HEADER 10         //  stored value: ts (8, big-endian) + topic length (2), then
                                //  the topic and the envelope bytes

typedef struct {
    size_t topic_off, topic_len;    //  in the pending arena
    size_t env_off, env_len;        //  in the pending arena
} s_pending_t;

struct gl_outbox_s {
    gl_store_t *store;          //  where the outbox lives
    MDB_dbi dbi;                //  "outbox": big-endian seq -> header, topic, envelope
    MDB_dbi meta;               //  "meta": "last_seq"
    char src [GL_MAX_NAME + 1]; //  producer id
    uint64_t epoch;             //  the store's epoch
    uint64_t last;              //  last committed seq
    msgpack_sbuffer arena;      //  this batch's topics and envelopes
    s_pending_t *pending;       //  this batch's messages
    size_t npending, cap;       //  used and allocated entries
    msgpack_sbuffer scratch;    //  reused for each entry
};

gl_outbox_t *
gl_outbox_new (gl_store_t *store, const char *src)
{
    gl_outbox_t *self = calloc (1, sizeof *self);
    self->store = store;
    self->dbi = gl_store_dbi (store, "outbox");
    self->meta = gl_store_dbi (store, "meta");
    snprintf (self->src, sizeof self->src, "%s", src);
    self->epoch = gl_store_epoch (store);
    msgpack_sbuffer_init (&self->arena);
    msgpack_sbuffer_init (&self->scratch);
    //  A store restored from a backup has a new epoch, so its stream starts again at seq 1:
    //  the old messages, stamped with the old epoch, were delivered by the original already.
    MDB_txn *txn;
    if (gl_store_restored (store) && mdb_txn_begin (gl_store_env (store), NULL, 0, &txn) == 0) {
        MDB_val key = { 8, "last_seq" };
        int rc = mdb_drop (txn, self->dbi, 0);
        if (rc == 0)
            rc = mdb_del (txn, self->meta, &key, NULL);
        if (rc == 0 || rc == MDB_NOTFOUND)
            rc = mdb_txn_commit (txn);
        else
            mdb_txn_abort (txn);
        if (rc)
            gl_log_error ("%s: cannot start the restored store's stream over: %s", src,
                          mdb_strerror (rc));
    }
    //  The last seq is kept in meta, because retention may leave the outbox itself empty.
    if (mdb_txn_begin (gl_store_env (store), NULL, MDB_RDONLY, &txn) == 0) {
        gl_db_get_u64 (txn, self->meta, "last_seq", 8, &self->last);
        mdb_txn_abort (txn);
    }
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

void
gl_outbox_begin (gl_outbox_t *self)
{
    self->npending = 0;
    self->arena.size = 0;
}

int
gl_outbox_append (gl_outbox_t *self, MDB_txn *txn, const char *topic, const char *type,
                  const char *id, const void *body, size_t body_len, int64_t ts)
{
    uint64_t seq = self->last + self->npending + 1;
    size_t topic_len = strlen (topic);
    msgpack_sbuffer *s = &self->scratch;
    s->size = 0;
    uint8_t header [S_OUT_HEADER];
    gl_be64_put (header, (uint64_t) ts);
    header [8] = (uint8_t) (topic_len >> 8);
    header [9] = (uint8_t) topic_len;
    msgpack_sbuffer_write (s, (const char *) header, S_OUT_HEADER);
    msgpack_sbuffer_write (s, topic, topic_len);
    size_t env_at = s->size;
    gl_envelope_encode (s, type, self->src, self->epoch, seq, ts, id, body, body_len);

    uint8_t key [8];
    gl_be64_put (key, seq);
    int rc = gl_db_put (txn, self->dbi, key, 8, s->data, s->size, MDB_APPEND);
    if (rc)
        return rc;
    if (self->npending == self->cap) {
        self->cap = self->cap? self->cap * 2: 256;
        self->pending = realloc (self->pending, self->cap * sizeof (s_pending_t));
    }
    s_pending_t *p = &self->pending [self->npending++];
    p->topic_off = self->arena.size;
    p->topic_len = topic_len;
    msgpack_sbuffer_write (&self->arena, topic, topic_len);
    p->env_off = self->arena.size;
    p->env_len = s->size - env_at;
    msgpack_sbuffer_write (&self->arena, s->data + env_at, p->env_len);
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
gl_outbox_publish (gl_outbox_t *self, void *pub)
{
    size_t sent = 0;
    for (size_t i = 0; i < self->npending; i++) {
        s_pending_t *p = &self->pending [i];
        //  PUB never blocks: at the high-water mark it drops, and consumers replay the gap.
        if (zmq_send (pub, self->arena.data + p->topic_off, p->topic_len,
                      ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0
        &&  zmq_send (pub, self->arena.data + p->env_off, p->env_len, ZMQ_DONTWAIT) >= 0)
            sent++;
    }
    self->last += self->npending;
    gl_outbox_begin (self);
    return sent;
}

void
gl_outbox_abort (gl_outbox_t *self)
{
    gl_outbox_begin (self);
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

static uint64_t
s_first (gl_outbox_t *self, MDB_cursor *cur)
{
    MDB_val k, v;
    if (mdb_cursor_get (cur, &k, &v, MDB_FIRST) == 0 && k.mv_size == 8)
        return gl_be64_get (k.mv_data);
    return 0;
}

int
gl_outbox_replay (gl_outbox_t *self, MDB_txn *txn, uint64_t from, uint64_t max,
                  size_t max_bytes, gl_mapw_t *reply)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open (txn, self->dbi, &cur);
    if (rc)
        return rc;
    uint64_t first = s_first (self, cur);
    msgpack_sbuffer items;
    msgpack_sbuffer_init (&items);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &items, msgpack_sbuffer_write);
    uint32_t count = 0;
    uint8_t key [8];
    gl_be64_put (key, from);
    MDB_val k = { 8, key }, v;
    rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && count < max && items.size < max_bytes) {
        const uint8_t *p = v.mv_data;
        if (v.mv_size < S_OUT_HEADER)
            break;
        size_t topic_len = ((size_t) p [8] << 8) | p [9];
        if (S_OUT_HEADER + topic_len > v.mv_size)
            break;
        msgpack_pack_array (&pk, 2);
        msgpack_pack_str (&pk, topic_len);
        msgpack_pack_str_body (&pk, p + S_OUT_HEADER, topic_len);
        size_t env_len = v.mv_size - S_OUT_HEADER - topic_len;
        msgpack_pack_bin (&pk, env_len);
        msgpack_pack_bin_body (&pk, p + S_OUT_HEADER + topic_len, env_len);
        count++;
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close (cur);
    if (rc && rc != MDB_NOTFOUND) {
        msgpack_sbuffer_destroy (&items);
        return rc;
    }
    gl_mapw_u64 (reply, "epoch", self->epoch);
    gl_mapw_u64 (reply, "first", first);
    gl_mapw_u64 (reply, "last", self->last + self->npending);
    gl_mapw_array (reply, "messages", count, &items);
    msgpack_sbuffer_destroy (&items);
    return 0;
}

int
gl_outbox_trim (gl_outbox_t *self, MDB_txn *txn, int64_t now, int64_t max_age_ms,
                size_t max_bytes, size_t limit, size_t *deleted)
{
    *deleted = 0;
    MDB_stat st;
    int rc = mdb_stat (txn, self->dbi, &st);
    if (rc)
        return rc;
    size_t bytes = st.ms_psize * (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open (txn, self->dbi, &cur)))
        return rc;
    MDB_val k, v;
    rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST);
    while (rc == 0 && *deleted < limit) {
        int64_t ts = v.mv_size >= 8? (int64_t) gl_be64_get (v.mv_data): 0;
        bool too_old = ts < now - max_age_ms;
        //  Page accounting is approximate; it only needs to keep the outbox near its cap.
        bool too_big = bytes > max_bytes;
        if (!too_old && !too_big)
            break;
        size_t size = v.mv_size + 16;
        if ((rc = mdb_cursor_del (cur, 0)))
            break;
        bytes = bytes > size? bytes - size: 0;
        (*deleted)++;
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close (cur);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  =============================================================================================
//  Inbox

#define S_POS_SIZE 24           //  stored position: epoch, last, previous epoch (big-endian)
#define S_REPLAY_MAX 1000       //  messages asked for per replay page

typedef struct {
    uint64_t epoch;             //  producer epoch we follow (0: never heard from)
    uint64_t last;              //  last seq applied
    uint64_t prev_epoch;        //  the epoch we left, whose stragglers we ignore
} s_pos_t;

typedef struct {
    char name [GL_MAX_NAME + 1];    //  producer id, e.g. "intake"
    char endpoint [256];        //  its ROUTER
    zsock_t *dealer;            //  replay requests go here
    s_pos_t committed;          //  as stored
    s_pos_t working;            //  inside the current batch
    bool dirty;                 //  working differs from committed
    uint64_t known_last;        //  highest seq the producer is known to have
    bool want_replay;           //  behind: ask for the next page after this commit
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
    uint64_t applied;           //  messages applied (committed)
    uint64_t refused;           //  messages refused by apply or malformed
    uint64_t replayed;          //  of the applied, how many came by replay (committed)
    uint64_t batch_replayed;    //  applied by replay in the current batch
    uint64_t batch_applied;     //  applied in the current batch
    uint64_t batch_refused;     //  refused in the current batch
};

static void
s_pos_decode (const void *val, size_t len, s_pos_t *pos)
{
    memset (pos, 0, sizeof *pos);
    if (len != S_POS_SIZE)
        return;
    pos->epoch = gl_be64_get (val);
    pos->last = gl_be64_get ((const uint8_t *) val + 8);
    pos->prev_epoch = gl_be64_get ((const uint8_t *) val + 16);
}

static s_producer_t *
s_producer (gl_inbox_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->count; i++)
        if (strlen (self->producers [i].name) == len
        &&  memcmp (self->producers [i].name, name, len) == 0)
            return &self->producers [i];
    return NULL;
}

gl_inbox_t *
gl_inbox_new (gl_store_t *store, const gl_config_t *cfg, const char *reads,
              const char *passive, gl_apply_fn *apply, void *arg, gl_err_t *err)
{
    gl_inbox_t *self = calloc (1, sizeof *self);
    self->store = store;
    self->dbi = gl_store_dbi (store, "inbox");
    self->apply = apply;
    self->arg = arg;
    self->timeout_ms = cfg->request_timeout_ms;

    //  Subscribe first, so nothing published from now on is missed; then replay the past.
    self->sub = zsock_new (ZMQ_SUB);
    gl_socket_limits (self->sub, cfg->max_msg_bytes, 0);
    zsock_set_rcvhwm (self->sub, (int) cfg->sub_hwm);
    if (zsock_connect (self->sub, "%s", cfg->bus_backend)) {
        gl_fail (err, GL_INVALID, "cannot connect to the bus backend %s", cfg->bus_backend);
        gl_inbox_destroy (&self);
        return NULL;
    }
    char *names = strdup (reads);
    for (char *tok = strtok (names, " ,"); tok; tok = strtok (NULL, " ,")) {
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
        zsock_connect (p->dealer, "%s", p->endpoint);
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
        gl_inbox_item_t *item = calloc (1, sizeof *item);
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
    gl_inbox_item_t *item = calloc (1, sizeof *item);
    item->msg = msg;
    return item;
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
    }
    self->batch_applied = 0;
    self->batch_refused = 0;
    self->batch_replayed = 0;
}

//  Follow a producer's epoch: adopt the first one; a new one means its store was replaced.
//  Returns false for stragglers of an epoch we already left.
static bool
s_follow_epoch (s_producer_t *p, uint64_t epoch)
{
    s_pos_t *w = &p->working;
    if (epoch == w->epoch)
        return true;
    if (epoch == w->prev_epoch)
        return false;
    if (w->epoch != 0)
        gl_log_warning ("producer %s has a new store (epoch %llu, was %llu): starting its "
                        "stream over from seq 1", p->name, (unsigned long long) epoch,
                        (unsigned long long) w->epoch);
    w->prev_epoch = w->epoch;
    w->epoch = epoch;
    w->last = 0;
    p->known_last = 0;
    p->dirty = true;
    return true;
}

//  Admit one message (live or replayed) and apply it if it is the next one.
static int
s_admit (gl_inbox_t *self, MDB_txn *txn, const char *topic, size_t topic_len,
         const void *bytes, size_t len, bool live)
{
    gl_doc_t doc;
    gl_envelope_t env;
    gl_err_t err;
    int rc = 0;
    if (gl_envelope_decode (&doc, bytes, len, &env, &err)) {
        gl_log_warning ("dropped a malformed message on '%.*s': %s", (int) topic_len, topic,
                        err.message);
        self->batch_refused++;
        goto done;
    }
    size_t plen = strlen (self->passive);
    if (live && plen && topic_len >= plen && memcmp (topic, self->passive, plen) == 0
    &&  env.src_len >= plen && memcmp (env.src, self->passive, plen) == 0) {
        //  An outside publisher: no positions; the service deduplicates.
        char topic_z [GL_MAX_TOPIC + 1];
        snprintf (topic_z, sizeof topic_z, "%.*s", (int) (topic_len > GL_MAX_TOPIC?
                  GL_MAX_TOPIC: topic_len), topic);
        rc = self->apply (self->arg, txn, topic_z, &env);
        if (rc == GL_REFUSED) {
            self->batch_refused++;
            rc = 0;
        }
        else
        if (rc == 0)
            self->batch_applied++;
        goto done;
    }
    s_producer_t *p = s_producer (self, env.src, env.src_len);
    if (!p || !s_follow_epoch (p, env.epoch))
        goto done;
    s_pos_t *w = &p->working;
    if (env.seq > p->known_last)
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

static int
s_process_page (gl_inbox_t *self, MDB_txn *txn, gl_inbox_item_t *item)
{
    s_producer_t *p = item->from;
    zframe_t *frame = zmsg_last (item->msg);
    gl_doc_t doc;
    gl_err_t err;
    item->page_ok = false;
    if (!frame || gl_doc_parse (&doc, zframe_data (frame), zframe_size (frame), &err)) {
        gl_log_warning ("unusable replay answer from %s: %s", p->name,
                        frame? err.message: "empty");
        gl_doc_fini (&doc);
        return 0;
    }
    const msgpack_object *root = &doc.root;
    bool ok = false;
    uint64_t epoch = 0, first = 0, last = 0;
    const msgpack_object *messages = gl_map_get (root, "messages");
    if (!gl_get_bool (root, "ok", &ok) || !ok || !gl_get_u64 (root, "epoch", &epoch)
    ||  !gl_get_u64 (root, "first", &first) || !gl_get_u64 (root, "last", &last)
    ||  !messages || messages->type != MSGPACK_OBJECT_ARRAY) {
        gl_log_warning ("replay answer from %s is not usable (is %s really a gridloop "
                        "producer?)", p->name, p->endpoint);
        gl_doc_fini (&doc);
        return 0;
    }
    int rc = 0;
    if (s_follow_epoch (p, epoch)) {
            if (last > p->known_last)
            p->known_last = last;
        if (first > p->working.last + 1) {
            gl_log_error ("producer %s no longer holds seq %llu..%llu (retention passed): "
                          "those %llu messages are lost to this consumer", p->name,
                          (unsigned long long) p->working.last + 1,
                          (unsigned long long) first - 1,
                          (unsigned long long) (first - 1 - p->working.last));
            p->working.last = first - 1;
            p->dirty = true;
        }
        for (uint32_t i = 0; i < messages->via.array.size && rc == 0; i++) {
            const msgpack_object *m = &messages->via.array.ptr [i];
            if (m->type != MSGPACK_OBJECT_ARRAY || m->via.array.size != 2
            ||  m->via.array.ptr [0].type != MSGPACK_OBJECT_STR
            ||  m->via.array.ptr [1].type != MSGPACK_OBJECT_BIN)
                continue;
            const msgpack_object *t = &m->via.array.ptr [0], *e = &m->via.array.ptr [1];
            rc = s_admit (self, txn, t->via.str.ptr, t->via.str.size, e->via.bin.ptr,
                          e->via.bin.size, false);
        }
        item->page_last = last;
        item->page_ok = true;
    }
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
        self->batch_refused++;
        return 0;
    }
    return s_admit (self, txn, (const char *) zframe_data (topic), zframe_size (topic),
                    zframe_data (body), zframe_size (body), true);
}

int
gl_inbox_end (gl_inbox_t *self, MDB_txn *txn)
{
    for (size_t i = 0; i < self->count; i++) {
        s_producer_t *p = &self->producers [i];
        if (!p->dirty)
            continue;
        uint8_t val [S_POS_SIZE];
        gl_be64_put (val, p->working.epoch);
        gl_be64_put (val + 8, p->working.last);
        gl_be64_put (val + 16, p->working.prev_epoch);
        int rc = gl_db_put (txn, self->dbi, p->name, strlen (p->name), val, S_POS_SIZE, 0);
        if (rc)
            return rc;
    }
    return 0;
}

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
        gl_mapw_map (w, p->name, &inner);
        gl_mapw_fini (&inner);
    }
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

/*  gl_dept — a department's outbox of reports, republished until intake acknowledges each one.  */
#include "gl_dept.h"
#include "gl_security.h"
#include "gl_client.h"
#include "gl_clock.h"
#include "gl_log.h"
#include "gl_store.h"
#include "gl_alloc.h"

#include <string.h>

/*  How resending is scheduled.

    The store is the only truth about what is pending: "pending" holds, per seq, the envelope
    exactly as first published (so a resend is byte for byte the same report, and intake's
    (source, epoch, seq) deduplication always recognises it). Memory holds only the schedule.

    A report waits S_RESEND_INITIAL_MS after its first send, then twice that after each
    resend, up to S_RESEND_MAX_MS. Sends happen in time order, so the reports waiting with the
    same interval are due in the order they were queued: one FIFO per interval ("level") keeps
    the whole schedule sorted without ever sorting, and the next report due is at the head of one
    of at most S_LEVELS queues. A queued report that was answered meanwhile is simply found
    missing from "pending" when its turn comes, and dropped from the schedule then; answers
    never search the queues.

    A round republishes at most S_RESEND_PER_ROUND reports; a round that used its whole budget
    makes the next one wait S_ROUND_GAP_MS, so even a long backlog (a day of reports held back
    by an intake outage) goes out at a bounded rate when intake returns.  */

#define S_MAP_MB            16      //  initial map: a department's outbox is small; it grows
#define S_LEVELS            8       //  resend intervals: 1, 2, 4, 8, 16, 30 s (room to spare)
#define S_RESEND_INITIAL_MS 1000    //  first resend after a second: longer than a round trip
#define S_RESEND_MAX_MS     30000   //  never wait longer than this between two resends
#define S_RESEND_PER_ROUND  100     //  republications per pump round: a backlog trickles out
#define S_ROUND_GAP_MS      20      //  after a full round: at most 100 per 20 ms, 5000/s
#define S_ANSWERS_PER_TXN   1000    //  answers confirmed in one request and applied in one
                                    //  write transaction (intake's answers op takes 1000)
#define S_HOUSEKEEP_MS      60000   //  results older than retention/days are trimmed this often
#define S_TRIM_LIMIT        10000   //  most results deleted in one retention round
#define S_HEADER            8       //  stored values start with 8 big-endian bytes: pending:
                                    //  the envelope's epoch; results: when answered (ms)

typedef struct {
    uint64_t seq;               //  the report
    int64_t due;                //  when to send it again (monotonic ms)
} s_slot_t;

typedef struct {
    s_slot_t *slots;            //  ring buffer of reports waiting with this level's interval
    size_t head;                //  index of the first
    size_t count;               //  reports queued
    size_t cap;                 //  slots allocated (a power of two, or 0)
} s_queue_t;

typedef struct {
    uint64_t seq;               //  the report answered
    uint64_t epoch;             //  the epoch the answer is for
    bool applied;               //  it answered a pending report (set inside the transaction)
    gl_dept_answer_t answer;    //  the answer as stored
    msgpack_sbuffer bytes;      //  its stored form: header + map
} s_answer_t;

struct gl_dept_s {
    char source [GL_DEPT_SOURCE_MAX + 1];   //  registered source id, e.g. "police-110"
    char src [GL_MAX_NAME + 1];             //  envelope src: "ext.<source>"
    char topic [GL_MAX_TOPIC + 1];          //  where reports go: "ext.<source>.report"
    char ack_topic [GL_MAX_TOPIC + 1];      //  where answers come: "intake.ack.<source>"
    gl_store_t *store;          //  the department's own LMDB environment
    MDB_dbi pending;            //  big-endian seq -> epoch (8) + envelope
    MDB_dbi results;            //  big-endian seq -> answered at (8) + answer map
    MDB_dbi meta;               //  "last_seq"
    uint64_t epoch;             //  the store's epoch, stamped on new reports
    uint64_t last;              //  last seq given out
    uint64_t npending;          //  entries in "pending"
    int64_t max_msg;            //  largest envelope accepted (limits/max_msg_bytes)
    int64_t retention_ms;       //  how long answers are kept (retention/days)
    zsock_t *pub;               //  reports out, to the bus frontend
    zsock_t *sub;               //  answers in, from the bus backend
    s_queue_t queues [S_LEVELS];    //  the resend schedule, one FIFO per interval
    int64_t next_round;         //  a full round happened: no other before this (monotonic ms)
    int64_t next_housekeep;     //  when results are next trimmed (monotonic ms)
    uint64_t resent;            //  republications since open
    gl_dept_answer_fn *on_answer;   //  told of each answer stored (NULL: nobody)
    void *on_answer_arg;        //  its argument
    s_answer_t *batch;          //  answers confirmed in this pump, S_ANSWERS_PER_TXN of them
    size_t nbatch;              //  used entries of batch
    gl_client_t *intake;        //  intake's ROUTER: the one word a report is settled by
    uint64_t hints [S_ANSWERS_PER_TXN];     //  seqs the bus says are answered, to confirm
    size_t nhints;              //  used entries of hints
    uint64_t forged;            //  bus answers intake did not confirm
    uint64_t heard;             //  answers to our reports read off the bus
    bool more;                  //  the last pump took a full batch of hints: more may wait
    msgpack_sbuffer scratch;    //  reused to build envelopes
};

//  ---------------------------------------------------------------------------------------------
//  The schedule.

static void
s_queue_push (s_queue_t *q, uint64_t seq, int64_t due)
{
    if (q->count == q->cap) {
        size_t cap = q->cap? q->cap * 2: 64;
        s_slot_t *slots = (s_slot_t *) zmalloc (cap * sizeof (s_slot_t));
        for (size_t i = 0; i < q->count; i++)
            slots [i] = q->slots [(q->head + i) & (q->cap - 1)];
        free (q->slots);
        q->slots = slots;
        q->head = 0;
        q->cap = cap;
    }
    q->slots [(q->head + q->count) & (q->cap - 1)] = (s_slot_t) { seq, due };
    q->count++;
}

static s_slot_t *
s_queue_peek (s_queue_t *q)
{
    return q->count? &q->slots [q->head]: NULL;
}

static void
s_queue_pop (s_queue_t *q)
{
    if (q->count) {
        q->head = (q->head + 1) & (q->cap - 1);
        q->count--;
    }
}

//  The interval of a level: initial doubled level times, capped.
static int64_t
s_interval (int level)
{
    int64_t ms = S_RESEND_INITIAL_MS;
    for (int i = 0; i < level && ms < S_RESEND_MAX_MS; i++)
        ms *= 2;
    return ms < S_RESEND_MAX_MS? ms: S_RESEND_MAX_MS;
}

//  The level a report moves to after being sent from level: the next, unless already capped.
static int
s_next_level (int level)
{
    if (level + 1 >= S_LEVELS || s_interval (level) >= S_RESEND_MAX_MS)
        return level;
    return level + 1;
}

//  The queue whose head is due first, or -1 when nothing is scheduled.
static int
s_earliest (gl_dept_t *self)
{
    int best = -1;
    for (int i = 0; i < S_LEVELS; i++) {
        s_slot_t *head = s_queue_peek (&self->queues [i]);
        if (head && (best < 0 || head->due < s_queue_peek (&self->queues [best])->due))
            best = i;
    }
    return best;
}

//  ---------------------------------------------------------------------------------------------

static bool
s_source_valid (const char *source)
{
    size_t n = strlen (source);
    if (n < 1 || n > GL_DEPT_SOURCE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = source [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        ||  c == '-' || c == '_'))
            return false;
    }
    return true;
}

typedef struct {
    gl_dept_t *self;            //  whose store
    uint64_t *seqs;             //  out: pending seqs in order
    size_t count, cap;          //  used and allocated
} s_load_t;

//  One pending report's seq into the list.
static int
s_load_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_load_t *load = arg;
    if (key->mv_size != 8)
        return GL_ITEM_SKIP;
    if (load->count == load->cap) {
        load->cap = load->cap? load->cap * 2: 1024;
        load->seqs = gl_realloc (load->seqs, load->cap * sizeof (uint64_t));
    }
    load->seqs [load->count++] = gl_be64_get (key->mv_data);
    return GL_ITEM_TAKE;
}

static int
s_load_txn (MDB_txn *txn, void *arg)
{
    s_load_t *load = arg;
    gl_dept_t *self = load->self;
    int rc = gl_db_get_u64 (txn, self->meta, "last_seq", 8, &self->last);
    if (rc)
        return rc;
    gl_range_t all = { 0 };
    return gl_db_page (txn, self->pending, &all, s_load_item, load, NULL);
}

gl_dept_t *
gl_dept_new (const gl_config_t *cfg, const char *source, const char *dir, gl_err_t *err)
{
    if (!source || !s_source_valid (source)) {
        gl_fail (err, GL_INVALID, "source id \"%.64s\" is not valid: it must be 1 to %d letters, "
                 "digits, '-' or '_' (e.g. \"police-110\"), exactly as registered in intake's "
                 "setting 'intake/sources'", source? source: "", GL_DEPT_SOURCE_MAX);
        return NULL;
    }
    gl_dept_t *self = (gl_dept_t *) zmalloc (sizeof *self);
    snprintf (self->source, sizeof self->source, "%s", source);
    snprintf (self->src, sizeof self->src, "ext.%s", source);
    snprintf (self->topic, sizeof self->topic, "ext.%s.report", source);
    snprintf (self->ack_topic, sizeof self->ack_topic, "intake.ack.%s", source);
    self->max_msg = cfg->max_msg_bytes;
    self->retention_ms = cfg->retention_days * 86400000LL;
    self->next_housekeep = zclock_mono () + S_HOUSEKEEP_MS;
    msgpack_sbuffer_init (&self->scratch);
    self->batch = (s_answer_t *) zmalloc (S_ANSWERS_PER_TXN * sizeof (s_answer_t));
    for (size_t i = 0; i < S_ANSWERS_PER_TXN; i++)
        msgpack_sbuffer_init (&self->batch [i].bytes);

    //  Durable: a seq handed back promises the report (sync, never nosync).
    static const char *const dbs [] = { "pending", "results", NULL };
    self->store = gl_store_new (dir, dbs, S_MAP_MB, GL_SYNC, err);
    if (!self->store)
        goto fail;
    self->pending = gl_store_dbi (self->store, "pending");
    self->results = gl_store_dbi (self->store, "results");
    self->meta = gl_store_dbi (self->store, "meta");
    self->epoch = gl_store_epoch (self->store);
    s_load_t load = { self, NULL, 0, 0 };
    int rc = gl_store_read (self->store, s_load_txn, &load);
    if (rc) {
        free (load.seqs);
        gl_fail (err, GL_INTERNAL, "cannot read the department's store in %s: %s", dir,
                 mdb_strerror (rc));
        goto fail;
    }
    //  Whatever was pending when the last run ended is due at once: that run may have died
    //  between the commit and the send, and intake may be back by now.
    int64_t now = zclock_mono ();
    for (size_t i = 0; i < load.count; i++)
        s_queue_push (&self->queues [0], load.seqs [i], now);
    self->npending = load.count;
    free (load.seqs);

    self->pub = zsock_new (ZMQ_PUB);
    self->sub = zsock_new (ZMQ_SUB);
    //  No linger: what was not sent is still pending in the store and goes out next time.
    gl_socket_limits (self->pub, cfg->max_msg_bytes, 0);
    zsock_set_sndhwm (self->pub, (int) cfg->pub_hwm);
    gl_socket_limits (self->sub, cfg->max_msg_bytes, 0);
    zsock_set_rcvhwm (self->sub, (int) cfg->sub_hwm);
    zsock_set_subscribe (self->sub, self->ack_topic);
    if (!gl_sec_ready ())
        gl_sec_init (cfg, source);      //  a process that is the department alone
    //  As the department's own certificate (named as its source): the bus lets it publish
    //  on ext.<source>. and nowhere else.
    if (gl_sec_connect_as (cfg, self->pub, cfg->bus_frontend, source, err)
    ||  gl_sec_connect_as (cfg, self->sub, cfg->bus_backend, source, err))
        goto fail;
    //  Answers on the bus are hints: anyone can publish there. A report is settled only by
    //  what intake's ROUTER says when asked.
    self->intake = gl_client_new_as (cfg, cfg->svc [GL_SVC_INTAKE].endpoint,
                                     cfg->request_timeout_ms, cfg->max_msg_bytes, source);
    gl_log_info ("department %s: store %s, epoch %llu, last seq %llu, %llu pending", source,
                 dir, (unsigned long long) self->epoch, (unsigned long long) self->last,
                 (unsigned long long) self->npending);
    return self;
fail:
    gl_dept_destroy (&self);
    return NULL;
}

void
gl_dept_destroy (gl_dept_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gl_dept_t *self = *self_p;
    zsock_destroy (&self->pub);
    zsock_destroy (&self->sub);
    gl_client_destroy (&self->intake);
    gl_store_destroy (&self->store);
    for (int i = 0; i < S_LEVELS; i++)
        free (self->queues [i].slots);
    for (size_t i = 0; self->batch && i < S_ANSWERS_PER_TXN; i++)
        msgpack_sbuffer_destroy (&self->batch [i].bytes);
    free (self->batch);
    msgpack_sbuffer_destroy (&self->scratch);
    free (self);
    *self_p = NULL;
}

//  Hand one report to ZeroMQ; PUB never blocks (a drop is repaired by the next resend).
static void
s_send (gl_dept_t *self, const void *envelope, size_t len)
{
    void *pub = zsock_resolve (self->pub);
    if (zmq_send (pub, self->topic, strlen (self->topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send (pub, envelope, len, ZMQ_DONTWAIT);
}

//  ---------------------------------------------------------------------------------------------
//  Reporting.

typedef struct {
    gl_dept_t *self;            //  whose store
    uint64_t seq;               //  the report's seq
    const msgpack_sbuffer *value;   //  epoch + envelope
} s_report_t;

static int
s_report_txn (MDB_txn *txn, void *arg)
{
    s_report_t *r = arg;
    uint8_t key [8];
    gl_be64_put (key, r->seq);
    int rc = gl_db_put (txn, r->self->pending, key, 8, r->value->data, r->value->size,
                        MDB_APPEND);
    if (rc == 0)
        rc = gl_db_put (txn, r->self->meta, "last_seq", 8, key, 8, 0);
    return rc;
}

int
gl_dept_report (gl_dept_t *self, const void *body, size_t len, uint64_t *seq, gl_err_t *err)
{
    gl_err_t check;
    if (!body || gl_codec_check (body, len, &check) < 0)
        return gl_fail (err, body? check.code: GL_MALFORMED, "the report is not one well-formed "
                        "msgpack map of report fields: %s", body? check.message: "it is NULL");
    uint64_t next = self->last + 1;
    msgpack_sbuffer *value = &self->scratch;
    value->size = 0;
    uint8_t header [S_HEADER];
    gl_be64_put (header, self->epoch);
    gl_sbuffer_write (value, (const char *) header, S_HEADER);
    gl_envelope_encode (value, "report", self->src, self->epoch, next, gl_clock_now (), NULL,
                        body, len);
    size_t env_len = value->size - S_HEADER;
    if ((int64_t) env_len > self->max_msg)
        return gl_fail (err, GL_TOO_LARGE, "the report is %zu bytes once enveloped; the bus "
                        "accepts at most %lld (limits/max_msg_bytes): shorten it and put "
                        "further detail in an attachment", env_len, (long long) self->max_msg);
    s_report_t r = { self, next, value };
    int rc = gl_store_write (self->store, s_report_txn, &r);
    if (rc)
        return gl_fail (err, GL_UNAVAILABLE, "the report could not be stored, so it was not "
                        "sent: %s (nothing was recorded; try again)", mdb_strerror (rc));
    self->last = next;
    self->npending++;
    s_send (self, value->data + S_HEADER, env_len);
    s_queue_push (&self->queues [0], next, zclock_mono () + s_interval (0));
    if (seq)
        *seq = next;
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  Answers.

//  Read one received message as a hint that one of our reports is answered: returns its seq
//  (> 0), or 0 for anything that is not (logged when it is malformed rather than merely not
//  ours). The answer itself is not believed: it is confirmed with intake.
static uint64_t
s_read_hint (gl_dept_t *self, zmsg_t *msg)
{
    zframe_t *topic = zmsg_first (msg);
    zframe_t *frame = zmsg_next (msg);
    if (zmsg_size (msg) != 2 || zframe_size (topic) != strlen (self->ack_topic)
    ||  memcmp (zframe_data (topic), self->ack_topic, zframe_size (topic)) != 0)
        return 0;                       //  e.g. intake.ack.<source>-2: a prefix match only
    gl_doc_t doc;
    gl_envelope_t env;
    gl_err_t err;
    uint64_t seq = 0, epoch = 0;
    const char *source;
    size_t source_len;
    if (gl_envelope_decode (&doc, zframe_data (frame), zframe_size (frame), &env, &err))
        gl_log_warning ("department %s: dropped a malformed answer: %s", self->source,
                        err.message);
    else
    if (!gl_envelope_is (&env, "ack") || env.src_len != 6 || memcmp (env.src, "intake", 6)
    ||  !gl_get_str (env.body, "source", &source, &source_len)
    ||  source_len != strlen (self->source) || memcmp (source, self->source, source_len)
    ||  !gl_get_u64 (env.body, "epoch", &epoch) || epoch != self->epoch
    ||  !gl_get_u64 (env.body, "seq", &seq))
        seq = 0;                        //  not an answer to a report of this store
    gl_doc_fini (&doc);
    return seq;
}

//  Read one answer as intake's answers operation gives it (an ack body): fills a and returns
//  true, or false for one that is not usable.
static bool
s_read_answer (gl_dept_t *self, const msgpack_object *body, s_answer_t *a)
{
    const char *source;
    size_t source_len;
    bool ok;
    if (!gl_get_str (body, "source", &source, &source_len)
    ||  source_len != strlen (self->source) || memcmp (source, self->source, source_len)
    ||  !gl_get_u64 (body, "epoch", &a->epoch) || !gl_get_u64 (body, "seq", &a->seq)
    ||  !gl_get_bool (body, "ok", &ok))
        return false;
    gl_dept_answer_t *an = &a->answer;
    memset (an, 0, sizeof *an);
    an->seq = a->seq;
    an->ok = ok;
    an->answered_at = gl_clock_now ();
    if (ok) {
        if (!gl_get_strbuf (body, "id", an->id, sizeof an->id) || !an->id [0])
            return false;
        gl_get_bool (body, "duplicate", &an->duplicate);
    }
    else {
        //  The error has the shape of a reply's: reuse the one reader of error codes.
        gl_err_t err;
        gl_answer_check (body, &err);
        an->code = err.code;
        snprintf (an->message, sizeof an->message, "%s", err.message);
        const msgpack_object *e = gl_map_get (body, "error");
        if (!gl_get_strbuf (e, "code", an->code_name, sizeof an->code_name))
            snprintf (an->code_name, sizeof an->code_name, "%s", gl_code_name (an->code));
    }
    return true;
}

//  The stored form of an answer: when (8), then {epoch, ok, id, duplicate} or {epoch, ok, error}.
static void
s_answer_encode (s_answer_t *a)
{
    gl_dept_answer_t *an = &a->answer;
    msgpack_sbuffer *out = &a->bytes;
    out->size = 0;
    uint8_t header [S_HEADER];
    gl_be64_put (header, (uint64_t) an->answered_at);
    gl_sbuffer_write (out, (const char *) header, S_HEADER);
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_u64 (&w, "epoch", a->epoch);
    gl_mapw_bool (&w, "ok", an->ok);
    if (an->ok) {
        gl_mapw_str (&w, "id", an->id);
        if (an->duplicate)
            gl_mapw_bool (&w, "duplicate", true);
    }
    else {
        gl_mapw_t e;
        gl_mapw_init (&e);
        gl_mapw_str (&e, "code", an->code_name);
        gl_mapw_str (&e, "message", an->message);
        gl_mapw_map (&w, "error", &e);
        gl_mapw_fini (&e);
    }
    msgpack_packer pk;
    gl_packer_init (&pk, out);
    gl_mapw_pack (&w, &pk);
    gl_mapw_fini (&w);
}

static int
s_decode_answer (const void *val, size_t len, uint64_t seq, gl_dept_answer_t *an)
{
    memset (an, 0, sizeof *an);
    if (len < S_HEADER)
        return -1;
    an->seq = seq;
    an->answered_at = (int64_t) gl_be64_get (val);
    gl_doc_t doc;
    gl_err_t err;
    int rc = -1;
    if (gl_doc_parse (&doc, (const uint8_t *) val + S_HEADER, len - S_HEADER, &err) == 0
    &&  gl_get_bool (&doc.root, "ok", &an->ok)) {
        if (an->ok) {
            gl_get_strbuf (&doc.root, "id", an->id, sizeof an->id);
            gl_get_bool (&doc.root, "duplicate", &an->duplicate);
        }
        else {
            gl_answer_check (&doc.root, &err);
            an->code = err.code;
            snprintf (an->message, sizeof an->message, "%s", err.message);
            gl_get_strbuf (gl_map_get (&doc.root, "error"), "code", an->code_name,
                           sizeof an->code_name);
        }
        rc = 0;
    }
    gl_doc_fini (&doc);
    return rc;
}

//  One transaction for the batch: every answer that matches a pending report of the same epoch
//  moves it to "results". May run twice (map full): it decides again from the store each time.
static int
s_apply_txn (MDB_txn *txn, void *arg)
{
    gl_dept_t *self = arg;
    for (size_t i = 0; i < self->nbatch; i++) {
        s_answer_t *a = &self->batch [i];
        a->applied = false;
        uint8_t key [8];
        gl_be64_put (key, a->seq);
        const void *val;
        size_t len;
        int rc = gl_db_get (txn, self->pending, key, 8, &val, &len);
        if (rc == MDB_NOTFOUND)
            continue;                   //  answered already (a repeated answer) or never ours
        if (rc)
            return rc;
        if (len < S_HEADER || gl_be64_get (val) != a->epoch)
            continue;                   //  an answer for another store that used this seq
        if ((rc = gl_db_put (txn, self->results, key, 8, a->bytes.data, a->bytes.size, 0))
        ||  (rc = gl_db_del (txn, self->pending, key, 8)))
            return rc;
        a->applied = true;
    }
    return 0;
}

//  After the batch's answers are stored: count and tell each one that settled a report.
//  Returns how many did.
static int
s_settled (gl_dept_t *self)
{
    int applied = 0;
    for (size_t i = 0; i < self->nbatch; i++) {
        s_answer_t *a = &self->batch [i];
        if (!a->applied)
            continue;
        applied++;
        self->npending--;
        if (!a->answer.ok)
            gl_log_warning ("department %s: report %llu settled without an event: %s: %s",
                            self->source, (unsigned long long) a->seq, a->answer.code_name,
                            a->answer.message);
        if (self->on_answer)
            self->on_answer (self->on_answer_arg, &a->answer);
    }
    self->nbatch = 0;
    return applied;
}

//  Ask intake for its answers to the hinted seqs: fills the batch with those it confirms.
//  Returns 0, or -1 when intake did not answer (the hints are kept for the next pump).
static int
s_confirm (gl_dept_t *self)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "source", self->source);
    gl_mapw_u64 (&w, "epoch", self->epoch);
    gl_mapw_key (&w, "seqs");
    msgpack_pack_array (&w.pk, (uint32_t) self->nhints);
    for (size_t i = 0; i < self->nhints; i++)
        msgpack_pack_uint64 (&w.pk, self->hints [i]);
    msgpack_sbuffer req;
    gl_request_build (&req, "answers", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t reply;
    gl_err_t err;
    int rc = gl_client_call (self->intake, req.data, req.size, &reply, 1, &err);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0 && gl_answer_check (&reply.root, &err)) {
        gl_log_warning ("department %s: intake refused to confirm answers: %s", self->source,
                        err.message);
        rc = -1;
    }
    if (rc) {
        gl_doc_fini (&reply);
        return -1;
    }
    const msgpack_object *answers = gl_map_get (&reply.root, "answers");
    uint32_t count = answers && answers->type == MSGPACK_OBJECT_ARRAY?
                     answers->via.array.size: 0;
    size_t confirmed = 0;
    for (uint32_t i = 0; i < count && self->nbatch < S_ANSWERS_PER_TXN; i++) {
        s_answer_t *a = &self->batch [self->nbatch];
        if (!s_read_answer (self, &answers->via.array.ptr [i], a) || a->epoch != self->epoch)
            continue;
        confirmed++;
        //  intake has not stored it now (UNAVAILABLE): not final, the report stays pending
        //  and its resends go on.
        if (!a->answer.ok && a->answer.code == GL_UNAVAILABLE)
            continue;
        s_answer_encode (a);
        self->nbatch++;
    }
    //  A hint intake did not confirm came from someone else, or is for a report intake has
    //  not answered after all: the report stays pending either way.
    if (confirmed < self->nhints) {
        self->forged += self->nhints - confirmed;
        gl_log_notice ("department %s: %zu answers on the bus were not confirmed by intake; "
                       "those reports stay pending", self->source, self->nhints - confirmed);
    }
    self->nhints = 0;
    gl_doc_fini (&reply);
    return 0;
}

//  Take the hints that have arrived (up to one batch), confirm them with intake and store what
//  it confirms. Returns answers applied, or -1.
static int
s_apply_answers (gl_dept_t *self)
{
    self->nbatch = 0;
    while (self->nhints < S_ANSWERS_PER_TXN) {
        zmsg_t *msg = zmsg_recv_nowait (self->sub);
        if (!msg)
            break;
        uint64_t seq = s_read_hint (self, msg);
        zmsg_destroy (&msg);
        if (seq)
            self->heard++;
        bool known = false;
        for (size_t i = 0; i < self->nhints && !known; i++)
            known = self->hints [i] == seq;
        if (seq && !known)
            self->hints [self->nhints++] = seq;
    }
    self->more = self->nhints == S_ANSWERS_PER_TXN;
    if (self->nhints == 0 || s_confirm (self))
        return 0;
    if (self->nbatch == 0)
        return 0;
    int rc = gl_store_write (self->store, s_apply_txn, self);
    if (rc) {
        gl_log_error ("department %s: cannot store %zu answers: %s (the reports stay pending, "
                      "and their resends bring the answers again)", self->source, self->nbatch,
                      mdb_strerror (rc));
        return -1;
    }
    return s_settled (self);
}

//  ---------------------------------------------------------------------------------------------
//  Resending.

typedef struct {
    gl_dept_t *self;            //  whose schedule
    int64_t now;                //  the round's time (monotonic ms)
} s_round_t;

static int
s_resend_txn (MDB_txn *txn, void *arg)
{
    s_round_t *round = arg;
    gl_dept_t *self = round->self;
    int budget = S_RESEND_PER_ROUND;
    for (;;) {
        int level = s_earliest (self);
        if (level < 0)
            break;
        s_queue_t *q = &self->queues [level];
        s_slot_t slot = *s_queue_peek (q);
        if (slot.due > round->now)
            break;
        uint8_t key [8];
        gl_be64_put (key, slot.seq);
        const void *val;
        size_t len;
        int rc = gl_db_get (txn, self->pending, key, 8, &val, &len);
        if (rc && rc != MDB_NOTFOUND)
            return rc;                  //  the schedule is left as it is: the next round retries
        if (rc == MDB_NOTFOUND || len <= S_HEADER) {
            s_queue_pop (q);            //  answered meanwhile: off the schedule
            continue;
        }
        if (budget == 0) {
            self->next_round = round->now + S_ROUND_GAP_MS;
            break;
        }
        s_send (self, (const uint8_t *) val + S_HEADER, len - S_HEADER);
        self->resent++;
        budget--;
        s_queue_pop (q);
        int next = s_next_level (level);
        s_queue_push (&self->queues [next], slot.seq, round->now + s_interval (next));
    }
    return 0;
}

//  When the schedule next needs a round (monotonic ms), or INT64_MAX when nothing is queued.
static int64_t
s_next_due (gl_dept_t *self)
{
    int level = s_earliest (self);
    if (level < 0)
        return INT64_MAX;
    int64_t due = s_queue_peek (&self->queues [level])->due;
    return due > self->next_round? due: self->next_round;
}

//  ---------------------------------------------------------------------------------------------
//  Retention of answers.

//  A pending report older than retention/days: intake will not remember its answer much
//  longer, so resending it could make a second event. It is settled here as EXPIRED instead.
typedef struct {
    gl_dept_t *self;            //  whose store
    int64_t before;             //  reports made before this expire (ms since 1970)
    size_t count;               //  expired so far in this round
} s_expire_t;

static int
s_expire_item (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    s_expire_t *x = arg;
    gl_dept_t *self = x->self;
    if (key->mv_size != 8 || val->mv_size <= S_HEADER)
        return GL_ITEM_SKIP;
    gl_doc_t doc;
    gl_envelope_t env;
    gl_err_t err;
    bool old = gl_envelope_decode (&doc, (const uint8_t *) val->mv_data + S_HEADER,
                                   val->mv_size - S_HEADER, &env, &err) == 0
            && env.ts < x->before;
    gl_doc_fini (&doc);
    //  Reports are made in seq order: the first young one ends the round.
    if (!old)
        return GL_ITEM_STOP;
    if (peek || self->nbatch == S_ANSWERS_PER_TXN)
        return GL_ITEM_STOP;
    s_answer_t *a = &self->batch [self->nbatch++];
    memset (&a->answer, 0, sizeof a->answer);
    a->seq = gl_be64_get (key->mv_data);
    a->epoch = self->epoch;
    a->answer.seq = a->seq;
    a->answer.code = GL_UNAVAILABLE;
    a->answer.answered_at = gl_clock_now ();
    snprintf (a->answer.code_name, sizeof a->answer.code_name, "EXPIRED");
    snprintf (a->answer.message, sizeof a->answer.message, "intake did not answer within "
              "retention/days; nothing more is sent: report it again (a new report) if it "
              "still matters");
    s_answer_encode (a);
    x->count++;
    return GL_ITEM_TAKE;
}

static int
s_trim_txn (MDB_txn *txn, void *arg)
{
    gl_dept_t *self = arg;
    //  A result's value begins with when it was answered; answers arrive nearly in seq order,
    //  so the first young one ends the round.
    gl_trim_t how = { .before = gl_clock_now () - self->retention_ms, .limit = S_TRIM_LIMIT,
                      .stamp = gl_stamp_value };
    size_t deleted;
    int rc = gl_db_trim (txn, self->results, &how, NULL, NULL, &deleted);
    if (rc)
        return rc;
    //  Reports pending since before retention/days expire (settled here, never sent again).
    self->nbatch = 0;
    s_expire_t x = { self, gl_clock_now () - self->retention_ms, 0 };
    gl_range_t all = { .max_items = S_ANSWERS_PER_TXN };
    rc = gl_db_page (txn, self->pending, &all, s_expire_item, &x, NULL);
    return rc? rc: s_apply_txn (txn, self);
}

//  ---------------------------------------------------------------------------------------------

int
gl_dept_pump (gl_dept_t *self, int timeout_ms)
{
    int64_t now = zclock_mono ();
    int64_t until = now + (timeout_ms > 0? timeout_ms: 0);
    int64_t due = s_next_due (self);
    if (due < until)
        until = due > now? due: now;
    zmq_pollitem_t item = { zsock_resolve (self->sub), 0, ZMQ_POLLIN, 0 };
    //  EINTR (a signal) just ends the wait early.
    zmq_poll (&item, 1, (long) (until - now));
    int rc = 0;
    //  Drain whole batches while they come full, so a burst of answers is stored at once.
    int applied;
    do
        applied = s_apply_answers (self);
    while (applied >= 0 && self->more);
    if (applied < 0)
        rc = -1;
    now = zclock_mono ();
    if (s_next_due (self) <= now) {
        s_round_t round = { self, now };
        int wrc = gl_store_read (self->store, s_resend_txn, &round);
        if (wrc) {
            gl_log_error ("department %s: cannot read pending reports to resend them: %s",
                          self->source, mdb_strerror (wrc));
            rc = -1;
        }
    }
    //  On a manual clock (tests, the county simulator) days pass in moments: every pump then.
    if (now >= self->next_housekeep || gl_clock_is_manual ()) {
        int hrc = gl_store_write (self->store, s_trim_txn, self);
        if (hrc)
            gl_log_warning ("department %s: retention round failed: %s", self->source,
                            mdb_strerror (hrc));
        else
            s_settled (self);           //  the reports that expired
        self->next_housekeep = now + S_HOUSEKEEP_MS;
    }
    return rc;
}

uint64_t
gl_dept_pending (gl_dept_t *self)
{
    return self->npending;
}

uint64_t
gl_dept_last (gl_dept_t *self)
{
    return self->last;
}

uint64_t
gl_dept_epoch (gl_dept_t *self)
{
    return self->epoch;
}

uint64_t
gl_dept_resent (gl_dept_t *self)
{
    return self->resent;
}

uint64_t
gl_dept_unconfirmed (gl_dept_t *self)
{
    return self->forged;
}

uint64_t
gl_dept_heard (gl_dept_t *self)
{
    return self->heard;
}

typedef struct {
    gl_dept_t *self;            //  whose store
    uint64_t seq;               //  the report asked about
    gl_dept_answer_t *answer;   //  out: filled when answered
    int state;                  //  out: 0 answered, 1 pending, -1 unknown
} s_lookup_t;

static int
s_lookup_txn (MDB_txn *txn, void *arg)
{
    s_lookup_t *l = arg;
    uint8_t key [8];
    gl_be64_put (key, l->seq);
    const void *val;
    size_t len;
    int rc = gl_db_get (txn, l->self->results, key, 8, &val, &len);
    if (rc == 0) {
        l->state = s_decode_answer (val, len, l->seq, l->answer) == 0? 0: -1;
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    rc = gl_db_get (txn, l->self->pending, key, 8, &val, &len);
    l->state = rc == 0? 1: -1;
    return rc == MDB_NOTFOUND? 0: rc;
}

int
gl_dept_answer (gl_dept_t *self, uint64_t seq, gl_dept_answer_t *answer)
{
    s_lookup_t l = { self, seq, answer, -1 };
    int rc = gl_store_read (self->store, s_lookup_txn, &l);
    if (rc) {
        gl_log_error ("department %s: cannot read the answer to %llu: %s", self->source,
                      (unsigned long long) seq, mdb_strerror (rc));
        return -1;
    }
    return l.state;
}

int
gl_dept_result (gl_dept_t *self, uint64_t seq, bool *ok, char *id_or_error, size_t size)
{
    gl_dept_answer_t answer;
    int state = gl_dept_answer (self, seq, &answer);
    if (state != 0)
        return state;
    if (ok)
        *ok = answer.ok;
    if (id_or_error && size) {
        if (answer.ok)
            snprintf (id_or_error, size, "%s", answer.id);
        else
            snprintf (id_or_error, size, "%s: %s", answer.code_name, answer.message);
    }
    return 0;
}

void
gl_dept_on_answer (gl_dept_t *self, gl_dept_answer_fn *fn, void *arg)
{
    self->on_answer = fn;
    self->on_answer_arg = arg;
}

/*  gl_stream — the reliable stream of DESIGN.md section 3, producer side (outbox) and consumer
    side (inbox), implemented once for every service.

    PUB/SUB loses messages silently: at a high-water mark, before a subscriber has joined, while
    a link is down, when a process dies. And anyone who can reach the bus can publish on it. We
    never rely on it for anything but speed:

    - A producer appends every message it causes to its LMDB outbox (key: big-endian seq) in
      the same write transaction as the state change. Only after the commit are the messages
      published, so nothing is ever published that a crash could take back.
    - Once a second it publishes "<src>.hb" carrying its epoch and last seq, so a consumer also
      notices a lost *last* message.
    - A consumer keeps {epoch, last seq} per producer in the same transaction as the effects of
      applying a message. seq <= last is a duplicate; last+1 is applied; anything beyond is a
      gap, repaired by asking the producer's ROUTER for `replay` from last+1, page by page,
      through the very same admit/apply path. Live messages past a gap are dropped meanwhile:
      the replay brings them again, in order, from the durable outbox.
    - Trust: a message counts as producer P's only when the topic's first segment, its src and
      a configured producer all say P; a replay page is taken only from the producer that was
      asked (its ROUTER, at the configured endpoint), and each message in it only if it is that
      producer's own. Anything else is dropped, counted and logged (at most a line per reason
      every few seconds), and never stalls the stream.
    - Epochs. The epoch names the producer's store. A message with another epoch than the one a
      consumer follows is never believed from the bus: it only makes the consumer ask the
      producer's own ROUTER, whose replay answer carries the epoch and its **lineage** — the
      list of epochs the store has had, each with the seq it started at. A store restored from a
      backup keeps its outbox and seqs and takes a new epoch starting after the backup's last
      seq, so lineage [(E1, 1), (E2, 4001)] says "seqs up to 4000 are E1's, the rest E2's". A
      consumer that followed E1 to seq 4100 therefore goes on from 4000 (it keeps what it
      applied; the restored store lost 4001..4100 and publishes new, different messages from
      4001), and one that was behind at 3500 first gets 3501..4000 from the restored outbox:
      nothing the backup held is lost. A consumer keeps the lineage it last confirmed, so it
      relates any new one to it by their common epochs; a store with no epoch in common (a new,
      empty one) is followed from seq 1.
    - Retention: a producer keeps its outbox for a window. A consumer that was away longer
      finds the oldest retained seq above what it needs: it logs the loss once, counts it
      (status: lost, per producer) and goes on from the oldest message still there.
    - At start a consumer subscribes first, then replays from last+1 for every producer.

    The result: every committed message is applied exactly once in effect by every consumer,
    whatever the network and the processes do in between.  */
#ifndef GL_STREAM_H
#define GL_STREAM_H

#include "gl_config.h"
#include "gl_proto.h"
#include "gl_store.h"

#define GL_LINEAGE_MAX 16       //  epochs a store remembers: restores in its life

/*  One epoch of a store's lineage: the epoch and the first seq it published.  */
typedef struct {
    uint64_t epoch;             //  the store's identity in that period
    uint64_t from;              //  its first seq
} gl_epoch_t;

//  ---------------------------------------------------------------------------------------------
//  Producer side. The store must have the database named "outbox".

typedef struct gl_outbox_s gl_outbox_t;

/*  The outbox of store, publishing as src. On a store restored from a backup, the new epoch
    joins the lineage, starting after the last seq the backup holds. max_envelope is the largest
    envelope it may publish (limits/max_envelope_bytes). Returns NULL with err set when the
    store cannot be read.  */
gl_outbox_t *gl_outbox_new (gl_store_t *store, const char *src, size_t max_envelope,
                            gl_err_t *err);
void gl_outbox_destroy (gl_outbox_t **self_p);
/*  The last seq published: committed, durable and sent (0 when nothing was ever published).  */
uint64_t gl_outbox_last (gl_outbox_t *self);
uint64_t gl_outbox_epoch (gl_outbox_t *self);
/*  The lineage, oldest first; *count entries (at least 1).  */
const gl_epoch_t *gl_outbox_lineage (gl_outbox_t *self, size_t *count);
/*  Inside a write transaction: start a batch (forgets what an aborted try of it appended;
    what earlier batches committed stays pending until published).  */
void gl_outbox_begin (gl_outbox_t *self);
/*  A mark of what the batch holds now, and going back to it (a refused request's messages
    are forgotten with the rest of what it did).  */
size_t gl_outbox_mark (gl_outbox_t *self);
void gl_outbox_rewind (gl_outbox_t *self, size_t mark);
/*  Inside a write transaction: assign the next seq, write the envelope to the outbox and keep
    it to publish after the commit. topic is "<src>.<type>[.qualifiers]"; body one packed map;
    id may be NULL. Returns 0, an LMDB error, or GL_REFUSED with err set when the envelope would
    be larger than max_envelope.  */
int gl_outbox_append (gl_outbox_t *self, MDB_txn *txn, const char *topic, const char *type,
                      const char *id, const void *body, size_t body_len, int64_t ts,
                      gl_err_t *err);
/*  Inside the write transaction, last: record the new last seq. Returns 0 or an LMDB error.  */
int gl_outbox_end (gl_outbox_t *self, MDB_txn *txn);
/*  After the commit: what the batch appended is kept, pending until published.  */
void gl_outbox_committed (gl_outbox_t *self);
/*  Messages committed and not yet published.  */
size_t gl_outbox_pending (gl_outbox_t *self);
/*  Once their commit is durable: publish the first count pending messages, in seq order
    (never blocks; drops are repaired by replay). Returns how many were handed to ZeroMQ.  */
size_t gl_outbox_publish (gl_outbox_t *self, void *pub, size_t count);
/*  After a failed commit: forget what the batch appended.  */
void gl_outbox_abort (gl_outbox_t *self);
/*  Publish "<src>.hb" with the epoch and the last seq.  */
void gl_outbox_heartbeat (gl_outbox_t *self, void *pub, int64_t ts);
/*  Answer replay: fill reply with epoch, first, last, lineage and the messages with seq >= from
    (at most max, and no more than max_bytes of them, but always one when one is there).
    first is the oldest seq retained, 0 when the outbox is empty. Returns 0 or an LMDB error.  */
int gl_outbox_replay (gl_outbox_t *self, MDB_txn *txn, uint64_t from, uint64_t max,
                      size_t max_bytes, gl_mapw_t *reply);
/*  Retention: delete the oldest messages older than max_age_ms or beyond max_bytes, at most
    limit of them. Returns 0 or an LMDB error; *deleted says how many went.  */
int gl_outbox_trim (gl_outbox_t *self, MDB_txn *txn, int64_t now, int64_t max_age_ms,
                    size_t max_bytes, size_t limit, size_t *deleted);

//  ---------------------------------------------------------------------------------------------
//  Consumer side. The store must have the database named "inbox".

typedef struct gl_inbox_s gl_inbox_t;

/*  Called for each message to apply, inside the write transaction. Returns 0 when applied,
    GL_REFUSED (-1) when the message is refused for good (logged, counted and stepped over),
    or any other value: an LMDB (negative) or system (positive) error code, which aborts the
    whole batch so it is tried again.  */
typedef int (gl_apply_fn) (void *arg, MDB_txn *txn, const char *topic,
                           const gl_envelope_t *env);

/*  Consume the streams of the producers named in reads (space-separated): subscribes on the
    bus backend, then asks each producer to replay from where this store stands. passive, if
    not NULL, is a topic prefix (e.g. "ext.") whose messages come from publishers outside
    gridloop that keep no replayable outbox: they are handed to apply as they arrive, without
    stream positions, and the service deduplicates them itself; their topic must begin with
    their src and a dot. Returns NULL with err set for an unknown producer name or a bad
    endpoint.  */
gl_inbox_t *gl_inbox_new (gl_store_t *store, const gl_config_t *cfg, const char *reads,
                          const char *passive, gl_apply_fn *apply, void *arg, gl_err_t *err);
void gl_inbox_destroy (gl_inbox_t **self_p);
/*  Add the inbox's sockets (the SUB and one DEALER per producer) to a poller.  */
void gl_inbox_poll_on (gl_inbox_t *self, zpoller_t *poller);
/*  Take one received item without blocking: a replay page first, else a live message; NULL if
    none. The item is processed in a batch and freed by gl_inbox_item_destroy.  */
typedef struct gl_inbox_item_s gl_inbox_item_t;
gl_inbox_item_t *gl_inbox_recv (gl_inbox_t *self);
/*  Bytes the item holds (for the batch's memory bound).  */
size_t gl_inbox_item_size (gl_inbox_item_t *item);
void gl_inbox_item_destroy (gl_inbox_item_t **item_p);

/*  Inside the write transaction: start a batch from the committed positions.  */
void gl_inbox_begin (gl_inbox_t *self);
/*  Inside the write transaction: admit and apply one item. Returns 0 or an LMDB error.  */
int gl_inbox_process (gl_inbox_t *self, MDB_txn *txn, gl_inbox_item_t *item);
/*  Inside the write transaction, last: store the positions that moved.  */
int gl_inbox_end (gl_inbox_t *self, MDB_txn *txn);
/*  After the commit: adopt the positions, and ask for replays where behind.  */
void gl_inbox_commit (gl_inbox_t *self, gl_inbox_item_t **items, size_t count);
/*  Timers: resend replay requests that went unanswered for timeout_ms.  */
void gl_inbox_tick (gl_inbox_t *self);
/*  Status: positions per producer, as a map producer -> {epoch, last, lag, lost}.  */
void gl_inbox_status (gl_inbox_t *self, gl_mapw_t *w);
/*  Status: messages dropped by the trust rules, as a map reason -> count.  */
void gl_inbox_rejected (gl_inbox_t *self, gl_mapw_t *w);
/*  Counters.  */
uint64_t gl_inbox_applied (gl_inbox_t *self);
uint64_t gl_inbox_refused (gl_inbox_t *self);
/*  Of the applied messages, those that came by replay (gaps repaired, catch-up at start).  */
uint64_t gl_inbox_replayed (gl_inbox_t *self);

#endif

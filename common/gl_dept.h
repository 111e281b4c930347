/*  gl_dept — the departmental publisher: how a department's system (the police 110 platform, the
    12345 hotline, a sensor platform) reports onto the bus with outbound connections only, and
    keeps every report until intake has acknowledged it (proto/departments.md).

    A department cannot be replayed from, so the reliable stream runs the other way round
    (DESIGN.md 3, point 6):

    - gl_dept_report commits the report to the department's own small LMDB outbox ("pending",
      key: big-endian seq) durably, and only then publishes it on ext.<source>.report. A report
      whose seq was returned is never lost, whatever happens to the process afterwards.
    - intake answers every report it receives, resent ones included, on intake.ack.<source>.
      Anyone can publish on the bus, so such an answer is only a hint: gl_dept_pump asks
      intake's ROUTER for its answers to the hinted reports (op answers, up to 1000 at a time)
      and applies only what intake says there: a report answered for good moves from "pending"
      to "results" in one write transaction (one per batch of answers), and is never sent
      again. A forged answer settles nothing.
    - A report still pending is republished: at once, then after 1 s, doubling up to 30 s, and
      never more than a bounded number per pump round, so that a long intake outage does not
      end in a flood. After a restart every pending report is due at once (still bounded).
    - intake recognises a resent report by (source, epoch, seq) and answers it the same way
      again without creating anything, so resending is always safe.

    One gl_dept_t is used by one thread. Its store directory belongs to it alone: two processes
    publishing as the same source must use two directories (they then have two epochs).  */
#ifndef GL_DEPT_H
#define GL_DEPT_H

#include "gl_config.h"
#include "gl_proto.h"

#define GL_DEPT_SOURCE_MAX  60      //  longest source id: "ext." + it fits GL_MAX_NAME (src)

typedef struct gl_dept_s gl_dept_t;

/*  intake's answer to one report, as stored in "results".  */
typedef struct {
    uint64_t seq;               //  the report's seq in this department's outbox
    bool ok;                    //  accepted: id names the event
    bool duplicate;             //  ok, and attached to an already-open event by its dedup key
    char id [GL_MAX_NAME + 1];  //  the event id when ok, else ""
    gl_code_t code;             //  GL_OK when ok, else why it was refused (final)
    char code_name [32];        //  the refusal's code as intake wrote it ("FORBIDDEN"), else ""
    char message [320];         //  the refusal's sentence, else ""
    int64_t answered_at;        //  when the answer was stored here (ms since 1970, UTC)
} gl_dept_answer_t;

/*  Called by gl_dept_pump once for each report answered for good, after the answer is durably
    stored (a crash right before the call loses the call, not the answer: gl_dept_result has
    it).  */
typedef void (gl_dept_answer_fn) (void *arg, const gl_dept_answer_t *answer);

/*  Open (creating if needed) the department's store in dir, connect a PUB to cfg->bus_frontend
    and a SUB to cfg->bus_backend subscribed to intake.ack.<source>. source is the department's
    registered source id: 1..60 letters, digits, '-' or '_' (e.g. "police-110"). Reports still
    pending from an earlier run are due for resending at once. Returns NULL with err set on a bad
    source id or when the store cannot be opened; nothing is left open then.  */
gl_dept_t *gl_dept_new (const gl_config_t *cfg, const char *source, const char *dir,
                        gl_err_t *err);
/*  Close sockets and store; safe to call twice, nulls the caller's pointer. Pending reports stay
    in the store and are resent by the next gl_dept_new on the same directory.  */
void gl_dept_destroy (gl_dept_t **self_p);

/*  Report: body is one packed msgpack map of report fields exactly as intake's report operation
    takes them, without op and req_id (category, grid, description, reporter, channel, and the
    optional ones; proto/intake.md). The report gets the next seq, is committed durably to
    "pending" and then published at once; *seq (if not NULL) receives its seq. Returns 0, or -1
    with err set and nothing stored: MALFORMED when body is not one well-formed map, TOO_LARGE
    when the envelope would exceed limits/max_msg_bytes, UNAVAILABLE when the store cannot
    commit. The library does not check the fields themselves: intake does, and answers INVALID.  */
int gl_dept_report (gl_dept_t *self, const void *body, size_t len, uint64_t *seq,
                    gl_err_t *err);

/*  Wait up to timeout_ms (0: do not wait) for intake's answers, store those that answer pending
    reports (one write transaction for all that arrived), and republish the pending reports that
    are due. Returns as soon as answers were applied, a resend was due, or the time is up.
    Answers for another epoch, for unknown or already answered seqs, or on another source are
    ignored, as is anything malformed. An UNAVAILABLE answer leaves the report pending. Returns
    0, or -1 when the store failed (logged; nothing was lost and the answers come again).  */
int gl_dept_pump (gl_dept_t *self, int timeout_ms);

/*  Reports stored and not yet answered for good.  */
uint64_t gl_dept_pending (gl_dept_t *self);
/*  The last seq given out (0 when nothing was ever reported).  */
uint64_t gl_dept_last (gl_dept_t *self);
/*  This store's epoch: envelopes carry it, acks must match it.  */
uint64_t gl_dept_epoch (gl_dept_t *self);
/*  How many times a report was published again after its first send, since gl_dept_new.  */
uint64_t gl_dept_resent (gl_dept_t *self);
/*  How many answers seen on the bus intake did not confirm (forged, or stray), since
    gl_dept_new.  */
uint64_t gl_dept_unconfirmed (gl_dept_t *self);
/*  How many answers to this store's reports were read off the bus (confirmed or not), since
    gl_dept_new.  */
uint64_t gl_dept_heard (gl_dept_t *self);

/*  The answer to report seq: returns 0 when it is answered (*ok, and the event id or "CODE:
    message" copied into id_or_error, truncated to size), 1 when it is still pending, -1 when no
    such seq is known here (never given out, or its answer is older than retention/days).  */
int gl_dept_result (gl_dept_t *self, uint64_t seq, bool *ok, char *id_or_error, size_t size);
/*  The same with every detail. Returns 0, 1 or -1 as gl_dept_result; answer is filled on 0.  */
int gl_dept_answer (gl_dept_t *self, uint64_t seq, gl_dept_answer_t *answer);

/*  Be told of each answer as gl_dept_pump stores it (NULL: stop).  */
void gl_dept_on_answer (gl_dept_t *self, gl_dept_answer_fn *fn, void *arg);

#endif

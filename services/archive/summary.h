/*  summary — each event's current summary in the archive, kept beside its full history, and the
    secondary indexes that let a search find events without reading every one.  */
#ifndef ARCHIVE_SUMMARY_H
#define ARCHIVE_SUMMARY_H

#include "gl_service.h"

#define AR_UNIT_MAX 64          //  unit, role and source ids are at most 64 bytes on the wire

/*  An event as it stands now, as far as the streams archive reads have told it. A field the
    streams have not given yet is "" or 0.  */
typedef struct {
    char id [GL_MAX_NAME + 1];  //  the event id
    char state [16];            //  REPORTED … CANCELLED: the dispatcher's last word
    char category [8];          //  "LL.SS": reported, then as filed
    char sanshi [12];           //  三事 type (matter): major | minor | private
    char priority [4];          //  P1 … P4: triage, then as filed or made urgent
    char grid [AR_UNIT_MAX + 1];        //  the grid of the report (the creating unit)
    char community [AR_UNIT_MAX + 1];   //  its community
    char street [AR_UNIT_MAX + 1];      //  its street
    char unit [AR_UNIT_MAX + 1];        //  the unit holding it now ("" when none)
    uint64_t step;              //  the current step number
    char role [AR_UNIT_MAX + 1];        //  the reporter's role
    char channel [16];          //  how the report came in: app, hotline, …
    char source [AR_UNIT_MAX + 1];      //  departmental source id ("" for the report op)
    int64_t reported_at;        //  ms since 1970 (0: the report has not arrived yet)
    int64_t closed_at;          //  ms since 1970 of dispatcher.event.closed (0: not closed)
    uint64_t returns;           //  returns (退回)
    uint64_t cards;             //  yellow and red cards (督办): yellow_cards + red_cards
    uint64_t yellow_cards;      //  yellow cards: escalation's, and supervisors' by hand
    uint64_t red_cards;         //  red cards, the same
    char overdue [4];           //  "yes": carded in the stage it is still in; else "no"
    char overdue_stage [12];    //  the stage of escalation's last card (dispatch, sign, handle,
                                //  verify) until the event moves on from it ("" none)
    uint64_t overdue_step;      //  … and its step (0 none)
    uint64_t attached;          //  reports attached to it by dedup key
    char rating [20];           //  the reporter's satisfaction at the last callback
    int64_t updated_at;         //  ts of the last message that changed it
} ar_summary_t;

/*  The single-valued dimensions a search can ask for by equality, and the summary field each
    reads. "unit" (every unit the event touched) and "card" (every level of card it ever got)
    are multi-valued and kept apart.  */
typedef struct {
    const char *name;           //  field of the search request and of the index key
    size_t offset;              //  offsetof (ar_summary_t, field)
} ar_dim_t;

extern const ar_dim_t ar_dims [];
extern const size_t ar_dim_count;

/*  Apply one archived message to its event's summary and indexes (inside the consume
    transaction). Returns 0 or an LMDB error.  */
int ar_summary_apply (gl_ctx_t *ctx, const char *topic, const gl_envelope_t *env);

/*  Decode a stored summary. Returns 0, or -1 when the bytes are not a summary.  */
int ar_summary_decode (const void *bytes, size_t len, ar_summary_t *s);

/*  An index key: dim, 0x00, value, 0x00, then the id (raw). With id NULL: the prefix of every
    entry of that dimension and value.  */
void ar_index_key (gl_key_t *k, const char *dim, const char *value, size_t value_len,
                   const char *id, size_t id_len);

/*  The number of events indexed under dim = value (0 when none).  */
int ar_index_count (MDB_txn *txn, MDB_dbi counts, const char *dim, const char *value,
                    size_t value_len, uint64_t *count);

/*  An archive whose store predates summaries (it holds events but no summary version) has its
    summaries, indexes and stream positions rebuilt from its history by ar_summary_rebuild,
    AR_REBUILD_EVENTS events per housekeeping round; a new store is marked complete. open:
    returns 0 or -1 with err; rebuild: 0 or an LMDB error.  */
#define AR_REBUILD_EVENTS 5000  //  events per round: about a quarter second of work, so that
                                //  requests and streams wait no longer behind a round
int ar_summary_open (gl_service_t *self, gl_err_t *err);
int ar_summary_rebuild (gl_ctx_t *ctx);

#endif

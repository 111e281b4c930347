/*  gridloop-metrics — scores, rankings, the live county figures and the pipeline's health
    (考核评价, 排榜通报; proto/metrics.md).

    ledger.c    the facts of each event (its report, steps, cards) and the counters they credit
    rank.c      scores, rankings, published snapshots, manual points, the live figures
    pipeline.c  the other services' health, polled from their status, and Prometheus
    metrics.c   the service: its tables, consume, tick, operations  */
#ifndef METRICS_H
#define METRICS_H

#include "gl_scores.h"
#include "gl_service.h"

extern const gl_service_def_t metrics_service;

#define MT_UNIT 33              //  a unit id (32 bytes on the wire) and its NUL
#define MT_PERSON 65            //  a person's id (64 bytes)
#define MT_PERIOD 16            //  "2026-11", "2026-W48", "D2026-11-29", "now"
#define MT_ID_MAX 64            //  the longest unit or person id a query names

//  The service's state.
typedef struct mt_pipeline_s mt_pipeline_t;
typedef struct {
    gl_org_t *org;
    gl_scores_t *scores;
    int utc_offset_min;         //  the county's time
    mt_pipeline_t *pipeline;    //  the other services' health, and the Prometheus listener
    int64_t applied;            //  messages applied since start (the live figures changed)
    int64_t live_applied;       //  … at the last live figures
    int64_t next_live;          //  wall ms of the next live figures
    int64_t last_live;          //  wall ms of the last ones
} mt_state_t;

//  ---------------------------------------------------------------------------------------------
//  ledger.c

/*  Apply a message of intake, the dispatcher or escalation (inside the consume transaction).
    Returns 0 or an LMDB error.  */
int mt_ledger_apply (gl_ctx_t *ctx, const gl_envelope_t *env);

/*  Periods: the month "2026-11", the ISO week "2026-W48" and the day "D2026-11-29" that ms
    falls in, in the county's time.  */
void mt_period_month (int64_t ms, int utc_offset_min, char out [MT_PERIOD]);
void mt_period_week (int64_t ms, int utc_offset_min, char out [MT_PERIOD]);
void mt_period_day (int64_t ms, int utc_offset_min, char out [MT_PERIOD]);
/*  A period as a query gives it ("2026-11" or "2026-W48"): 0, or -1 when it is neither.  */
int mt_period_check (const char *period);

/*  The counters of unit in period (wartime or peace) into c (zeroed first). Returns 0 or an
    LMDB error.  */
int mt_counters (gl_ctx_t *ctx, const char *period, const char *unit, bool wartime,
                 int64_t c [GL_C_COUNT]);
/*  Add delta to one counter (manual points). Returns 0 or an LMDB error.  */
int mt_count (gl_ctx_t *ctx, const char *period, const char *unit, bool wartime,
              gl_counter_t counter, int64_t delta);
/*  The gauges in "now" use GL_C_ITEMS for the events open and GL_C_DUE_CLOSE for those overdue;
    a day's use GL_C_REPORTED and GL_C_CLOSED.  */
#define MT_OPEN GL_C_ITEMS
#define MT_OVERDUE GL_C_DUE_CLOSE

/*  The facts behind unit's counters in period: appends to list one map per fact of the events
    indexed for it, from after (an event id; "" from the start), at most limit events. Sets
    next to the last event id when there may be more ("" otherwise). Returns 0 or an LMDB
    error.  */
int mt_why (gl_ctx_t *ctx, const char *period, const char *unit, bool wartime,
            const char *after, size_t limit, gl_listw_t *list, char next [GL_MAX_NAME + 1]);

/*  Retention: records of events archived more than 400 days ago (their counters stay), and
    day counters older than 40 days. Returns 0 or an LMDB error.  */
int mt_ledger_housekeep (gl_ctx_t *ctx);

//  ---------------------------------------------------------------------------------------------
//  rank.c

#define MT_RANK_OP_COUNT 6
extern const gl_op_t mt_rank_ops [MT_RANK_OP_COUNT];
/*  The live figures (the body of metrics.live) at now into w.  */
int mt_live_figures (gl_ctx_t *ctx, gl_mapw_t *w);
/*  A scored unit or person: its group and display name. Returns -1 when id is neither.  */
int mt_unit_group (mt_state_t *self, const char *id, gl_group_t *group, const char **name,
                   const char **parent);

//  ---------------------------------------------------------------------------------------------
//  pipeline.c

/*  Start polling the services' status every interval_s (and serving Prometheus when cfg sets
    metrics/http). NULL with err when the listener cannot start.  */
mt_pipeline_t *mt_pipeline_new (const gl_config_t *cfg, gl_err_t *err);
void mt_pipeline_destroy (mt_pipeline_t **self_p);
/*  The services' latest health into w (the body of metrics.pipeline): true, or false (w left
    alone) when no polling round has completed since the last time.  */
bool mt_pipeline_figures (mt_pipeline_t *self, gl_mapw_t *w);
/*  Give the county's live figures (a metrics.live body, msgpack) to the Prometheus page.  */
void mt_pipeline_set_live (mt_pipeline_t *self, const void *body, size_t len);

#endif

/*  metrics — the service: its tables, what it consumes, the live figures on a timer, and its
    operations (proto/metrics.md).  */
#include "metrics.h"

#include <string.h>

#define S_LIVE_IDLE_MS  300000  //  live figures at least this often, even when nothing changed

static int
s_consume (gl_ctx_t *ctx, const char *topic, const gl_envelope_t *env)
{
    return mt_ledger_apply (ctx, env);
}

//  The live figures and the pipeline's health, every metrics/interval_s of wall time: they are
//  for people watching, so they follow the wall clock even when the domain clock is manual.
static int
s_tick (gl_ctx_t *ctx)
{
    mt_state_t *self = gl_ctx_state (ctx);
    int64_t wall = zclock_time ();
    if (wall < self->next_live)
        return 0;
    const gl_config_t *cfg = gl_ctx_config (ctx);
    self->next_live = wall + cfg->metrics_interval_s * 1000;
    gl_mapw_t pipeline;
    gl_mapw_init (&pipeline);
    gl_mapw_i64 (&pipeline, "at", gl_ctx_now (ctx));
    int rc = 0;
    if (mt_pipeline_figures (self->pipeline, &pipeline))
        rc = gl_ctx_emit_map (ctx, "pipeline", NULL, NULL, &pipeline);
    gl_mapw_fini (&pipeline);
    if (rc || (self->applied == self->live_applied && wall - self->last_live < S_LIVE_IDLE_MS))
        return rc;
    gl_mapw_t live;
    gl_mapw_init (&live);
    rc = mt_live_figures (ctx, &live);
    if (rc == 0) {
        msgpack_sbuffer body;
        gl_mapw_finish (&live, &body);
        mt_pipeline_set_live (self->pipeline, body.data, body.size);
        rc = gl_ctx_emit (ctx, "live", NULL, NULL, body.data, body.size);
        msgpack_sbuffer_destroy (&body);
    }
    gl_mapw_fini (&live);
    if (rc == 0) {
        self->live_applied = self->applied;
        self->last_live = wall;
    }
    return rc;
}

static int
s_housekeep (gl_ctx_t *ctx)
{
    return mt_ledger_housekeep (ctx);
}

static int
s_open (gl_service_t *service, gl_err_t *err)
{
    const gl_config_t *cfg = gl_service_config (service);
    mt_state_t *self = (mt_state_t *) zmalloc (sizeof *self);
    gl_service_set_state (service, self);
    self->org = gl_service_org (service);
    self->utc_offset_min = (int) cfg->utc_offset_min;
    self->scores = gl_scores_load (cfg->scores_path, err);
    if (!self->scores)
        return -1;
    self->pipeline = mt_pipeline_new (cfg, err);
    return self->pipeline? 0: -1;
}

static void
s_close (gl_service_t *service)
{
    mt_state_t *self = gl_service_state (service);
    if (self) {
        mt_pipeline_destroy (&self->pipeline);
        gl_scores_destroy (&self->scores);
    }
}

static void
s_status (gl_service_t *service, gl_mapw_t *w)
{
    static const char *const names [] = { "published", "points", NULL };
    gl_service_status_counters (service, "totals", names, w);
}

static const char *const s_dbs [] = {
    "events", "steps", "cards", "counts", "live", "why", "archived", "snapshots", "versions",
    "points", "totals", NULL
};

const gl_service_def_t metrics_service = {
    .name = "metrics",
    .svc = GL_SVC_METRICS,
    .dbs = s_dbs,
    .ops = mt_rank_ops,
    .nops = MT_RANK_OP_COUNT,
    .consume = s_consume,
    .needs_org = true,
    .open = s_open,
    .status = s_status,
    .housekeep = s_housekeep,
    .tick = s_tick,
    .close = s_close,
};

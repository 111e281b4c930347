/*  operations — what each lifecycle operation of the table (gl_dispatch_ops.h) does to an
    event, and the one handler they all go through: find, check the fields, the state, the
    unit and the person, act, save, publish, route again where the operation says so.  */
#include "dispatcher_internal.h"
#include "gl_clock.h"

#include <string.h>
#include <time.h>

static const char *
dsp_text (const msgpack_object *req, const char *key, char *buf, size_t size)
{
    buf [0] = 0;
    gl_get_strbuf (req, key, buf, size);
    return buf;
}

//  ---------------------------------------------------------------------------------------------
//  The actions. Each runs after the state and the actor were checked; extra collects the
//  fields published with the action.

//  File the event under the category code given in req's "category" (if any): its board, its
//  county handler and whether it is a dispute follow the category. An unknown code is INVALID
//  and changes nothing.
static int
s_set_category (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, gl_err_t *err)
{
    dsp_t *self = gl_ctx_state (ctx);
    char text [16];
    if (!*dsp_text (req, "category", text, sizeof text))
        return 0;
    const gl_category_t *cat = gl_org_category (self->org, text);
    if (!cat)
        return gl_fail (err, GL_INVALID, "field 'category' is \"%s\": not on the county's "
                        "category list (`gridloop org` lists them)", text);
    snprintf (ev->category, sizeof ev->category, "%s", cat->code);
    snprintf (ev->board, sizeof ev->board, "%s", gl_board_name (cat->board));
    snprintf (ev->county_handler, sizeof ev->county_handler, "%s", cat->county_handler->id);
    ev->dispute = cat->dispute;
    return 0;
}

static int
s_do_accept (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char text [16];
    if (s_set_category (ctx, ev, req, err))
        return GL_REFUSED;
    if (*dsp_text (req, "priority", text, sizeof text))
        snprintf (ev->priority, sizeof ev->priority, "%s", text);
    if (*dsp_text (req, "sanshi", text, sizeof text))
        snprintf (ev->sanshi, sizeof ev->sanshi, "%s", text);
    ev->state = GL_EV_FILED;
    gl_mapw_str (extra, "category", ev->category);
    gl_mapw_str (extra, "priority", ev->priority);
    gl_mapw_str (extra, "sanshi", ev->sanshi);
    return 0;
}

static int
s_do_cancel (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char code [24], reason [512];
    gl_mapw_str (extra, "code", dsp_text (req, "code", code, sizeof code));
    gl_mapw_str (extra, "reason", dsp_text (req, "reason", reason, sizeof reason));
    ev->state = GL_EV_CANCELLED;
    return dsp_step_mark (ctx, ev, "left_at", NULL, gl_ctx_now (ctx));
}

static int
s_do_confirm (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    ev->state = GL_EV_CLOSED;
    return 0;
}

static int
s_do_dispatch (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
               gl_mapw_t *extra, gl_err_t *err)
{
    dsp_t *self = gl_ctx_state (ctx);
    //  Copied units are told of the work, so each must be a unit of the county: checked
    //  before anything changes.
    const msgpack_object *copy = gl_map_get (req, "copy");
    for (uint32_t i = 0; copy && i < copy->via.array.size; i++) {
        char copied [DSP_UNIT];
        const msgpack_object *item = &copy->via.array.ptr [i];
        snprintf (copied, sizeof copied, "%.*s", (int) item->via.str.size, item->via.str.ptr);
        if (!dsp_unit (ctx, copied))
            return gl_fail (err, GL_INVALID, "field 'copy' names \"%s\": no such unit in %s "
                            "(`gridloop org` lists them)", copied,
                            gl_org_county_name (self->org));
    }
    char unit [DSP_UNIT], reason [512];
    dsp_text (req, "unit", unit, sizeof unit);
    dsp_text (req, "reason", reason, sizeof reason);
    int rc = dsp_give (ctx, ev, unit, "dispatch", actor, reason, err);
    if (rc)
        return rc;
    if (*reason)
        gl_mapw_str (extra, "reason", reason);
    if (copy)
        gl_mapw_obj (extra, "copy", copy);
    return 0;
}

static int
s_do_assign (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char unit [DSP_UNIT], reason [512];
    dsp_text (req, "unit", unit, sizeof unit);
    dsp_text (req, "reason", reason, sizeof reason);
    int rc = dsp_give (ctx, ev, unit, "assign", actor, reason, err);
    if (rc == 0)
        gl_mapw_str (extra, "reason", reason);
    return rc;
}

static int
s_do_escalate (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
               gl_mapw_t *extra, gl_err_t *err)
{
    const gl_unit_t *up = dsp_up (ctx, ev, dsp_unit (ctx, ev->unit));
    if (!up)
        return gl_fail (err, GL_CONFLICT, "event %s is held by %s at the county tier: there is "
                        "no tier above to escalate to", ev->id, ev->unit);
    char reason [512];
    dsp_text (req, "reason", reason, sizeof reason);
    gl_mapw_str (extra, "reason", reason);
    gl_mapw_str (extra, "from", ev->unit);
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", up->id);
    ev->state = GL_EV_FILED;
    return dsp_enter (ctx, ev, up->id, "escalate", actor, reason);
}

static int
s_do_sign (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
           gl_mapw_t *extra, gl_err_t *err)
{
    ev->state = GL_EV_IN_PROGRESS;
    return dsp_step_mark (ctx, ev, "signed_at", NULL, gl_ctx_now (ctx));
}

static int
s_do_return (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char reason [512];
    gl_mapw_str (extra, "reason", dsp_text (req, "reason", reason, sizeof reason));
    //  The step keeps why it was returned (its "reason" is why it was given to the unit).
    dsp_mark_t marks [] = {
        { "outcome", "returned", 0, false }, { "return_reason", reason, 0, false },
        { "left_at", NULL, gl_ctx_now (ctx), false }
    };
    int rc = dsp_step_update (ctx, ev, marks, 3);
    if (rc)
        return rc;
    ev->returns++;
    snprintf (ev->returned_by, sizeof ev->returned_by, "%s", ev->unit);
    //  Back to the unit that dispatched it, which dispatches again.
    snprintf (ev->unit, sizeof ev->unit, "%s", ev->dispatcher [0]? ev->dispatcher: ev->street);
    ev->state = GL_EV_FILED;
    return 0;
}

//  Actions that only record what was said (note, instruct): the text goes out with them.
static int
s_do_record (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char text [2048];
    gl_mapw_str (extra, "text", dsp_text (req, "text", text, sizeof text));
    return 0;
}

static int
s_do_extend (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    if (ev->extension_days)
        return gl_fail (err, GL_CONFLICT, "event %s already has an extension of %llu days "
                        "waiting for a decision", ev->id,
                        (unsigned long long) ev->extension_days);
    gl_get_u64 (req, "days", &ev->extension_days);
    char reason [512];
    gl_mapw_u64 (extra, "days", ev->extension_days);
    gl_mapw_str (extra, "reason", dsp_text (req, "reason", reason, sizeof reason));
    return 0;
}

static int
s_do_decide_extension (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req,
                       const char *actor, gl_mapw_t *extra, gl_err_t *err)
{
    if (!ev->extension_days)
        return gl_fail (err, GL_CONFLICT, "event %s has no extension request waiting", ev->id);
    bool approve = false;
    gl_get_bool (req, "approve", &approve);
    gl_mapw_bool (extra, "approve", approve);
    gl_mapw_u64 (extra, "days", ev->extension_days);
    int rc = 0;
    if (approve) {
        //  The step's days grow by the days granted: a step may be extended more than once.
        dsp_mark_t grow = { "extension_days", NULL, (int64_t) ev->extension_days, true };
        rc = dsp_step_update (ctx, ev, &grow, 1);
    }
    ev->extension_days = 0;
    return rc;
}

static int
s_do_state (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
            gl_mapw_t *extra, gl_err_t *err, gl_ev_state_t to)
{
    char reason [512];
    if (*dsp_text (req, "reason", reason, sizeof reason))
        gl_mapw_str (extra, "reason", reason);
    ev->state = to;
    return 0;
}

static int
s_do_suspend (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    return s_do_state (ctx, ev, req, actor, extra, err, GL_EV_SUSPENDED);
}

static int
s_do_resume (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    return s_do_state (ctx, ev, req, actor, extra, err, GL_EV_IN_PROGRESS);
}

static int
s_do_handle (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    if (streq (ev->step_kind, "consultation"))
        return gl_fail (err, GL_CONFLICT, "event %s is a community consultation (小事) at %s: it "
                        "is handled through its stages, and publishing the result (consult "
                        "--stage publish) reports it handled", ev->id, ev->unit);
    char evidence [2048], result [512];
    gl_mapw_str (extra, "evidence", dsp_text (req, "evidence", evidence, sizeof evidence));
    if (*dsp_text (req, "result", result, sizeof result))
        gl_mapw_str (extra, "result", result);
    ev->state = GL_EV_HANDLED;
    return dsp_step_mark (ctx, ev, "handled_at", NULL, gl_ctx_now (ctx));
}

static bool
s_resident_originated (const dsp_event_t *ev)
{
    return streq (ev->reporter_role, "resident") || streq (ev->reporter_role, "enterprise")
        || streq (ev->reporter_role, "hotline");
}

static int
s_do_verify (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    bool pass = false;
    gl_get_bool (req, "pass", &pass);
    char reason [512];
    dsp_text (req, "reason", reason, sizeof reason);
    if (!pass && !*reason)
        return gl_fail (err, GL_INVALID, "field 'reason' is required when pass is false: say "
                        "what is still wrong, so the handler can rework it");
    gl_mapw_bool (extra, "pass", pass);
    if (*reason)
        gl_mapw_str (extra, "reason", reason);
    if (pass)
        ev->state = s_resident_originated (ev)? GL_EV_FEEDBACK: GL_EV_CLOSED;
    else {
        ev->reworks++;
        ev->state = GL_EV_IN_PROGRESS;
        //  Reworking a 小事 means consulting again: its stages start over from the topic.
        ev->consultation [0] = 0;
    }
    return 0;
}

static int
s_do_feedback (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
               gl_mapw_t *extra, gl_err_t *err)
{
    char rating [24], note [512];
    dsp_text (req, "rating", rating, sizeof rating);
    gl_mapw_str (extra, "rating", rating);
    if (*dsp_text (req, "note", note, sizeof note))
        gl_mapw_str (extra, "note", note);
    if (streq (rating, "unsatisfied")) {
        ev->rehandles++;
        ev->state = GL_EV_IN_PROGRESS;
        ev->consultation [0] = 0;       //  a 小事 is consulted again, as after a failed verify
    }
    else
        ev->state = GL_EV_CLOSED;
    return 0;
}

static int
s_do_supervise (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
                gl_mapw_t *extra, gl_err_t *err)
{
    char note [512];
    dsp_text (req, "level", ev->supervision, sizeof ev->supervision);
    gl_mapw_str (extra, "level", ev->supervision);
    if (*dsp_text (req, "note", note, sizeof note))
        gl_mapw_str (extra, "note", note);
    return 0;
}

static int
s_do_urgent (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    char reason [512];
    ev->urgent = true;
    snprintf (ev->priority, sizeof ev->priority, "P1");
    gl_mapw_str (extra, "reason", dsp_text (req, "reason", reason, sizeof reason));
    gl_mapw_str (extra, "priority", ev->priority);
    return 0;
}

static int
s_do_refer (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
            gl_mapw_t *extra, gl_err_t *err)
{
    dsp_t *self = gl_ctx_state (ctx);
    if (!ev->dispute)
        return gl_fail (err, GL_CONFLICT, "event %s (category %s) is not a dispute: the four "
                        "mediation channels take disputes only", ev->id, ev->category);
    char channel [24], reason [512];
    dsp_text (req, "channel", channel, sizeof channel);
    dsp_text (req, "reason", reason, sizeof reason);
    const gl_unit_t *to = gl_org_mediation (self->org, gl_channel_lookup (channel));
    if (!to)
        return gl_fail (err, GL_INVALID, "field 'channel' is \"%s\": the county has no such "
                        "mediation channel", channel);
    if (streq (to->id, ev->unit))
        return gl_fail (err, GL_CONFLICT, "event %s is already with %s", ev->id, to->id);
    //  The referring centre stays on record across hand-overs between channels.
    const gl_unit_t *from = dsp_unit (ctx, actor);
    if (!from || from->kind != GL_UNIT_MEDIATION)
        snprintf (ev->referred_by, sizeof ev->referred_by, "%s", actor);
    gl_mapw_str (extra, "channel", channel);
    gl_mapw_str (extra, "reason", reason);
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", actor);
    ev->state = GL_EV_DISPATCHED;
    return dsp_enter (ctx, ev, to->id, "refer", actor, reason);
}

static int
s_do_mediate (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    const gl_unit_t *holder = dsp_unit (ctx, ev->unit);
    if (!holder || holder->kind != GL_UNIT_MEDIATION)
        return gl_fail (err, GL_CONFLICT, "event %s is with %s, not with a mediation channel: "
                        "refer it first", ev->id, ev->unit);
    char outcome [16], mediator [64], agreement [2048];
    uint64_t sessions = 0;
    dsp_text (req, "outcome", outcome, sizeof outcome);
    gl_get_u64 (req, "sessions", &sessions);
    gl_mapw_str (extra, "mediator", dsp_text (req, "mediator", mediator, sizeof mediator));
    gl_mapw_u64 (extra, "sessions", sessions);
    if (*dsp_text (req, "agreement", agreement, sizeof agreement))
        gl_mapw_str (extra, "agreement", agreement);
    gl_mapw_str (extra, "outcome", outcome);
    //  The event keeps the latest record (shown by get and `gridloop event`) and how many
    //  were made; each record is also on its step and in the published message.
    ev->mediations++;
    snprintf (ev->mediation_channel, sizeof ev->mediation_channel, "%s", ev->unit);
    snprintf (ev->mediator, sizeof ev->mediator, "%s", mediator);
    ev->mediation_sessions = sessions;
    snprintf (ev->agreement, sizeof ev->agreement, "%s", agreement);
    snprintf (ev->mediation_outcome, sizeof ev->mediation_outcome, "%s", outcome);
    dsp_mark_t marks [] = {
        { "outcome", outcome, 0, false }, { "mediator", mediator, 0, false },
        { "sessions", NULL, (int64_t) sessions, false }
    };
    int rc = dsp_step_update (ctx, ev, marks, 3);
    if (rc)
        return rc;
    if (streq (outcome, "failed")) {
        //  Back to the unit that referred it, to decide what comes next: a hop of its own,
        //  so the event reads FILED at that unit in a step that says where it came from.
        const char *back = ev->referred_by [0]? ev->referred_by: ev->dispatcher;
        char to [DSP_UNIT];
        snprintf (to, sizeof to, "%s", back);
        snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", to);
        ev->state = GL_EV_FILED;
        return dsp_enter (ctx, ev, to, "mediation_failed", actor, NULL);
    }
    ev->state = GL_EV_HANDLED;              //  settled, or taken to court: verification next
    return 0;
}

//  改派 / 重新分流: the community or a centre above it files the event again under another
//  category, 三事 type, priority or board, and routing runs again (op->routes). The unit that
//  re-triages takes it back in a step of its own, which keeps what was changed and why; the
//  step it leaves is marked retriaged. Every field is checked before anything changes.
static int
s_do_retriage (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
               gl_mapw_t *extra, gl_err_t *err)
{
    char sanshi [12], priority [4], board [16], reason [512];
    dsp_text (req, "sanshi", sanshi, sizeof sanshi);
    dsp_text (req, "priority", priority, sizeof priority);
    dsp_text (req, "board", board, sizeof board);
    dsp_text (req, "reason", reason, sizeof reason);
    if (!gl_map_get (req, "category") && !*sanshi && !*priority && !*board)
        return gl_fail (err, GL_INVALID, "retriage of event %s changes nothing: give at least "
                        "one of 'category', 'sanshi', 'priority' or 'board'", ev->id);
    char was [96];
    snprintf (was, sizeof was, "%s %s %s %s", ev->category, ev->sanshi, ev->priority,
              ev->board);
    if (s_set_category (ctx, ev, req, err))
        return GL_REFUSED;
    if (*sanshi)
        snprintf (ev->sanshi, sizeof ev->sanshi, "%s", sanshi);
    if (*priority)
        snprintf (ev->priority, sizeof ev->priority, "%s", priority);
    if (*board)
        snprintf (ev->board, sizeof ev->board, "%s", board);
    dsp_mark_t left [] = {
        { "outcome", "retriaged", 0, false }, { "left_at", NULL, gl_ctx_now (ctx), false }
    };
    int rc = dsp_step_update (ctx, ev, left, 2);
    if (rc == 0)
        rc = dsp_enter (ctx, ev, actor, "retriage", actor, reason);
    //  The new step says what the event was and what it is now filed as.
    dsp_mark_t filed [] = {
        { "was", was, 0, false }, { "category", ev->category, 0, false },
        { "sanshi", ev->sanshi, 0, false }, { "priority", ev->priority, 0, false },
        { "board", ev->board, 0, false }
    };
    if (rc == 0)
        rc = dsp_step_update (ctx, ev, filed, sizeof filed / sizeof filed [0]);
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", actor);
    ev->returned_by [0] = 0;
    ev->state = GL_EV_FILED;
    gl_mapw_str (extra, "was", was);
    gl_mapw_str (extra, "category", ev->category);
    gl_mapw_str (extra, "sanshi", ev->sanshi);
    gl_mapw_str (extra, "priority", ev->priority);
    gl_mapw_str (extra, "board", ev->board);
    gl_mapw_str (extra, "reason", reason);
    return rc;
}

//  A 私事 closed with advice is reopened when the residents could not settle it themselves,
//  within dispatcher/reopen_days of its closing: FILED again at the unit that reopens it, in a
//  step of its own, from where a dispute is referred to mediation (or re-triaged, dispatched).
static int
s_do_reopen (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
             gl_mapw_t *extra, gl_err_t *err)
{
    dsp_t *self = gl_ctx_state (ctx);
    if (!streq (ev->sanshi, "private") || !ev->advice [0])
        return gl_fail (err, GL_CONFLICT, "event %s was closed by its handling, not as a 私事 "
                        "with advice: only a private matter closed with advice is reopened "
                        "(a new report opens new work)", ev->id);
    int64_t now = gl_ctx_now (ctx), window = self->reopen_days * 86400000LL;
    if (now - ev->closed_at > window) {
        char when [40];
        gl_clock_local (ev->closed_at, self->utc_offset_min, false, when, sizeof when);
        return gl_fail (err, GL_CONFLICT, "event %s closed at %s, more than %lld days ago "
                        "(dispatcher/reopen_days): it can no longer be reopened; report it "
                        "again as new work", ev->id, when, (long long) self->reopen_days);
    }
    char reason [512];
    dsp_text (req, "reason", reason, sizeof reason);
    gl_mapw_str (extra, "reason", reason);
    gl_mapw_str (extra, "advice", ev->advice);
    ev->advice [0] = 0;
    ev->closed_at = 0;
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", actor);
    ev->state = GL_EV_FILED;
    return dsp_enter (ctx, ev, actor, "reopen", actor, reason);
}

//  小事 at the community (协商议事): the stages of gl_consult_stages in order; publishing the
//  result reports the event handled, for the grid to verify.

static int
s_do_consult (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    if (!streq (ev->step_kind, "consultation"))
        return gl_fail (err, GL_CONFLICT, "event %s is not a community consultation (小事) at "
                        "%s: consult applies to events routed to a community for 议事", ev->id,
                        ev->unit);
    char stage [16], text [2048];
    dsp_text (req, "stage", stage, sizeof stage);
    int done = -1, want = -1;
    for (int i = 0; gl_consult_stages [i]; i++) {
        if (streq (gl_consult_stages [i], ev->consultation))
            done = i;
        if (streq (gl_consult_stages [i], stage))
            want = i;
    }
    if (want != done + 1)
        return gl_fail (err, GL_CONFLICT, "event %s's consultation is at '%s': the next stage is "
                        "'%s', not '%s' (topic, meeting, decision, carry_out, publish)", ev->id,
                        ev->consultation [0]? ev->consultation: "(not started)",
                        gl_consult_stages [done + 1]? gl_consult_stages [done + 1]:
                                                      "(none: all are done)",
                        stage);
    snprintf (ev->consultation, sizeof ev->consultation, "%s", stage);
    gl_mapw_str (extra, "stage", stage);
    gl_mapw_str (extra, "text", dsp_text (req, "text", text, sizeof text));
    if (streq (stage, "publish")) {
        ev->state = GL_EV_HANDLED;          //  the published decision, carried out: verify next
        return dsp_step_mark (ctx, ev, "handled_at", NULL, gl_ctx_now (ctx));
    }
    return 0;
}

static int
s_do_archive (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req, const char *actor,
              gl_mapw_t *extra, gl_err_t *err)
{
    ev->state = GL_EV_ARCHIVED;
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  The operations: what each does. Everything else about them — fields, states, who, CLI —
//  is in the one table, gl_dops (gl_dispatch_ops.h).

static dsp_act_fn *const s_acts [GL_DOP_COUNT] = {
    [GL_DOP_ACCEPT] = s_do_accept, [GL_DOP_CANCEL] = s_do_cancel,
    [GL_DOP_CONFIRM] = s_do_confirm, [GL_DOP_DISPATCH] = s_do_dispatch,
    [GL_DOP_ASSIGN] = s_do_assign, [GL_DOP_ESCALATE] = s_do_escalate, [GL_DOP_SIGN] = s_do_sign,
    [GL_DOP_RETURN] = s_do_return, [GL_DOP_NOTE] = s_do_record, [GL_DOP_EXTEND] = s_do_extend,
    [GL_DOP_DECIDE_EXTENSION] = s_do_decide_extension, [GL_DOP_SUSPEND] = s_do_suspend,
    [GL_DOP_RESUME] = s_do_resume, [GL_DOP_HANDLE] = s_do_handle,
    [GL_DOP_VERIFY] = s_do_verify, [GL_DOP_FEEDBACK] = s_do_feedback,
    [GL_DOP_SUPERVISE] = s_do_supervise, [GL_DOP_INSTRUCT] = s_do_record,
    [GL_DOP_URGENT] = s_do_urgent, [GL_DOP_REFER] = s_do_refer, [GL_DOP_MEDIATE] = s_do_mediate,
    [GL_DOP_CONSULT] = s_do_consult, [GL_DOP_ARCHIVE] = s_do_archive,
    [GL_DOP_RETRIAGE] = s_do_retriage, [GL_DOP_REOPEN] = s_do_reopen,
};

//  "Allowed now: …" for a refusal by state.
static void
s_allowed (gl_ev_state_t state, bool centre_holds, char *out, size_t size)
{
    size_t off = 0;
    out [0] = 0;
    for (size_t i = 0; i < GL_DOP_COUNT && off < size; i++)
        if (gl_dop_from (&gl_dops [i], centre_holds) & GL_EV_BIT (state))
            off += (size_t) snprintf (out + off, size - off, "%s%s", off? ", ": "",
                                      gl_dops [i].name);
    if (!off)
        snprintf (out, size, "nothing (the event's life is over)");
}

//  A filed event goes on by the routing rules; the result is saved and published.
int
dsp_route_filed (gl_ctx_t *ctx, dsp_event_t *ev, const char *actor)
{
    dsp_event_t old = *ev;
    gl_mapw_t routed;
    gl_mapw_init (&routed);
    int rc = dsp_route (ctx, ev, actor, &routed);
    if (rc == 0 && ev->state != GL_EV_FILED) {
        rc = dsp_event_save (ctx, ev, &old);
        if (rc == 0)
            rc = dsp_publish (ctx, ev, ev->state == GL_EV_CLOSED? "closed": "dispatched", actor,
                            NULL, &routed);
    }
    gl_mapw_fini (&routed);
    return rc;
}

//  One generic handler for every lifecycle op: find it, check, act, save, publish.
int
dsp_op_lifecycle (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    dsp_t *self = gl_ctx_state (ctx);
    char name [32] = "";
    gl_get_strbuf (req, "op", name, sizeof name);
    const gl_dop_t *op = gl_dop_lookup (name);  //  the service routes only the table's ops here
    if (gl_schema_check (op->schema, req, err))
        return GL_REFUSED;
    char id [GL_MAX_NAME + 1], actor_id [DSP_UNIT], person [65] = "";
    gl_get_strbuf (req, "id", id, sizeof id);
    const msgpack_object *actor_map = gl_map_get (req, "actor");
    gl_get_strbuf (actor_map, "unit", actor_id, sizeof actor_id);
    gl_get_strbuf (actor_map, "person", person, sizeof person);
    const gl_unit_t *actor = gl_org_unit (self->org, actor_id);
    if (!actor)
        return gl_fail (err, GL_INVALID, "field 'actor.unit' is \"%s\": no such unit in %s "
                        "(`gridloop org` lists them)", actor_id, gl_org_county_name (self->org));
    dsp_event_t ev, old;
    int rc = dsp_event_load (ctx, id, &ev);
    if (rc == MDB_NOTFOUND)
        return gl_fail (err, GL_NOT_FOUND, "dispatcher holds no event '%s' (check the id; a "
                        "report just accepted by intake may take a moment to arrive; an "
                        "archived event is kept by the archive alone: gridloop show %s)", id,
                        id);
    if (rc)
        return rc;
    const gl_unit_t *holder = gl_org_unit (self->org, ev.unit);
    bool centre_holds = holder && holder->kind == GL_UNIT_CENTRE;
    if (!(gl_dop_from (op, centre_holds) & GL_EV_BIT (ev.state))) {
        char allowed [400];
        s_allowed (ev.state, centre_holds, allowed, sizeof allowed);
        return gl_fail (err, GL_CONFLICT, "event %s is %s; %s is not allowed then. Allowed now: "
                        "%s", id, gl_ev_state_names [ev.state], op->name, allowed);
    }
    if (dsp_authorise (ctx, op, &ev, actor, req, err)
    ||  dsp_check_person (ctx, op, &ev, actor, person, err))
        return GL_REFUSED;
    old = ev;
    gl_mapw_t extra;
    gl_mapw_init (&extra);
    rc = s_acts [op - gl_dops] (ctx, &ev, req, actor_id, &extra, err);
    //  Closing ends the last step too: its unit is done with it.
    if (rc == 0 && ev.state == GL_EV_CLOSED && old.state != GL_EV_CLOSED)
        rc = dsp_step_mark (ctx, &ev, "left_at", NULL, gl_ctx_now (ctx));
    if (rc == 0)
        rc = dsp_event_save (ctx, &ev, &old);
    if (rc == 0)
        rc = dsp_publish (ctx, &ev, op->action, actor_id, person, &extra);
    //  The end of an event's life is a message of its own: intake frees dedup keys on it.
    if (rc == 0 && ev.state == GL_EV_CLOSED && old.state != GL_EV_CLOSED)
        rc = dsp_publish (ctx, &ev, "closed", actor_id, person, NULL);
    //  Accepted: filed, then routed like any filed event, unless asked not to.
    bool route = true;
    gl_get_bool (req, "route", &route);
    if (rc == 0 && op->routes && ev.state == GL_EV_FILED && route)
        rc = dsp_route_filed (ctx, &ev, actor_id);
    gl_mapw_fini (&extra);
    if (rc)
        return rc;
    gl_mapw_str (reply, "id", ev.id);
    gl_mapw_str (reply, "state", gl_ev_state_names [ev.state]);
    gl_mapw_u64 (reply, "step", ev.step);
    gl_mapw_str (reply, "unit", ev.unit);
    return 0;
}


/*  dispatcher_internal — what the dispatcher's files share, and nothing else sees: the event
    record, the service's state, and each file's functions. The files, each readable alone:
      event.c       the event record and its steps: load, save, index, steps, publishing;
      rules.c       authorisation (who may act, as a unit and as a person) and routing;
      operations.c  the lifecycle operations: what each does, and the one handler they share;
      dispatcher.c  the service: new events from intake, the read-only queries, the table.  */
#ifndef DISPATCHER_INTERNAL_H
#define DISPATCHER_INTERNAL_H

#include "dispatcher.h"
#include "gl_dispatch_ops.h"
#include "gl_org.h"

#define DSP_UNIT 40             //  longest unit id we keep (org ids are short)

/*  An event as the dispatcher keeps it.  */
typedef struct {
    char id [GL_MAX_NAME + 1];  //  event id, from intake
    gl_ev_state_t state;        //  where it is in its life
    char category [8];          //  "LL.SS"
    char priority [4];          //  "P1".."P4"
    char sanshi [12];           //  major | minor | private
    char board [16];            //  the street board of its category
    char grid [DSP_UNIT];       //  where (the creating unit)
    char community [DSP_UNIT];  //  the grid's community
    char street [DSP_UNIT];     //  the grid's street
    char reporter_role [40];    //  who reported (decides whether feedback is asked)
    char reporter_id [65];      //  the reporter's id (a resident's, through the hotline)
    char channel [16];          //  how the report came in: app, hotline, walkin …
    char county_handler [DSP_UNIT];  //  the category's county department
    bool dispute;               //  mediation (四调) applies
    bool urgent;                //  marked urgent by a higher tier
    uint64_t step;              //  current step number (0 before the first hop)
    char unit [DSP_UNIT];       //  who holds it now (assigned unit; the filing unit when FILED)
    char dispatcher [DSP_UNIT]; //  who gave it to the holder (returns go back there)
    char returned_by [DSP_UNIT];  //  the unit that last returned it (wrong-dispatch check)
    char referred_by [DSP_UNIT];  //  the centre or board that referred it to mediation
    uint64_t returns;           //  退单 count
    uint64_t reworks;           //  verifications failed
    uint64_t rehandles;         //  unsatisfied feedback
    uint64_t wrong_dispatches;  //  re-dispatched to another unit after a return
    char step_kind [24];        //  how the current step began: dispatch, consultation …
    char consultation [12];     //  小事 consultation: the last stage done ("" before topic)
    char supervision [8];       //  "" | normal | yellow | red
    uint64_t extension_days;    //  pending extension request (0: none)
    char advice [1024];         //  the advice a 私事 was closed with ("" otherwise)
    uint64_t mediations;        //  mediation records made (四调), each counted
    char mediation_channel [DSP_UNIT];  //  the channel of the latest record
    char mediator [64];         //  who mediated
    uint64_t mediation_sessions;  //  sessions held
    char agreement [2048];      //  the agreement reached ("" if none)
    char mediation_outcome [16];  //  settled | failed | litigation ("" before a record)
    int64_t created_at;         //  ms
    int64_t updated_at;         //  ms
    int64_t closed_at;          //  ms when it last closed (0 while open)
} dsp_event_t;

typedef struct {
    gl_org_t *org;              //  the county: units, categories, admission
    int64_t reopen_days;        //  dispatcher/reopen_days: how long a 私事 may be reopened
    int64_t archive_grace_days; //  dispatcher/archive_grace_days: when ended events are archived
    int utc_offset_min;         //  county time, for the log's lifecycle lines
} dsp_t;

//  A change to the current step: key set to text, or to number (added to what is there when
//  add is true).
typedef struct {
    const char *key;            //  the step's field
    const char *text;           //  its new text, or NULL for a number
    int64_t number;             //  its new number, or what to add
    bool add;                   //  add to the stored number instead of replacing it
} dsp_mark_t;

//  An operation's action: runs after the state and the actor were checked; extra collects the
//  fields published with it.
typedef int (dsp_act_fn) (gl_ctx_t *ctx, dsp_event_t *ev, const msgpack_object *req,
                          const char *actor, gl_mapw_t *extra, gl_err_t *err);

//  event.c: load an event (0, MDB_NOTFOUND, or a storage error); save it, moving it in the
//  by_unit index from old's holder and state (old NULL for a new event).
int dsp_event_load (gl_ctx_t *ctx, const char *id, dsp_event_t *ev);
int dsp_event_save (gl_ctx_t *ctx, dsp_event_t *ev, const dsp_event_t *old);
//  Rewrite the current step with marks applied; one field set (dsp_step_mark).
int dsp_step_update (gl_ctx_t *ctx, const dsp_event_t *ev, const dsp_mark_t *marks,
                     size_t count);
int dsp_step_mark (gl_ctx_t *ctx, const dsp_event_t *ev, const char *key_name, const char *text,
                   int64_t number);
//  Archiving (归档): when an event that ended at ended_at is archived and dropped here.
int64_t dsp_archive_at (const dsp_t *self, const dsp_event_t *ev);
//  Archive what is due (ARCHIVED is published, then the event and its steps are dropped: the
//  archive alone keeps them). Returns 0 or a storage error; *more when more is due.
int dsp_archive_due (gl_ctx_t *ctx, bool *more);
//  Publish dispatcher.event.<action>[.<holder>] with extra's fields; logs one info line.
int dsp_publish (gl_ctx_t *ctx, const dsp_event_t *ev, const char *action,
                 const char *actor_unit, const char *actor_person, gl_mapw_t *extra);
//  Enter a new step at unit: the current step is left, the holder moves.
int dsp_enter (gl_ctx_t *ctx, dsp_event_t *ev, const char *unit, const char *kind,
               const char *from, const char *reason);

//  rules.c: units of the county; the event's street centre; is unit the one called id?
const gl_unit_t *dsp_unit (gl_ctx_t *ctx, const char *id);
const gl_unit_t *dsp_centre (gl_ctx_t *ctx, const dsp_event_t *ev);
bool dsp_is (const gl_unit_t *unit, const char *id);
//  May actor give op on ev (0, or FORBIDDEN naming who may)? And, where the county's rules
//  name roles, is actor.person one of them?
int dsp_authorise (gl_ctx_t *ctx, const gl_dop_t *op, const dsp_event_t *ev,
                   const gl_unit_t *actor, const msgpack_object *req, gl_err_t *err);
int dsp_check_person (gl_ctx_t *ctx, const gl_dop_t *op, const dsp_event_t *ev,
                      const gl_unit_t *actor, const char *person, gl_err_t *err);
//  The next tier up from holder along the event's chain, or NULL at the county.
const gl_unit_t *dsp_up (gl_ctx_t *ctx, const dsp_event_t *ev, const gl_unit_t *holder);
//  Give the event to a unit by a command (admission checked for community and grid work).
int dsp_give (gl_ctx_t *ctx, dsp_event_t *ev, const char *target_id, const char *kind,
              const char *actor, const char *reason, gl_err_t *err);
//  Route a filed event by its category's rules (§6); extra gets what routing decided.
int dsp_route (gl_ctx_t *ctx, dsp_event_t *ev, const char *actor, gl_mapw_t *extra);

//  operations.c: route a filed event and save and publish the result; the handler of every
//  lifecycle operation of the table.
int dsp_route_filed (gl_ctx_t *ctx, dsp_event_t *ev, const char *actor);
int dsp_op_lifecycle (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply,
                      gl_err_t *err);

#endif

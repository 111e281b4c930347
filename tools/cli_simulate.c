/*  cli_simulate — `gridloop simulate`: the bundled county in motion. Grid workers, residents
    and departmental systems report; communities, command centres, boards, departments and
    mediation channels accept, dispatch, sign, return, ask for more time, handle, refer, mediate
    and consult; grid workers verify and residents give feedback; one street goes to wartime
    and back. Everything goes through the public protocol (proto/), as any client would.

    How it works, in one place:

    - Reports follow a plan drawn from the seed alone (times, categories, grids, reporters),
      so the same seed always makes the same reports, whatever the services answer. Arrivals
      are a Poisson process whose rate follows the hour of the county's day (s_hour_weight).
    - The people follow the dispatcher's stream (dispatcher.event.* on the bus). Every message
      about an event schedules one "look" at it after a delay drawn from the profile of the
      unit that holds it (s_profile_t: some units are slow, careless or pass work back). A
      look asks the dispatcher for the event (op get) and gives the one command its state
      calls for, as the person whose role org.json's "actions" allow (gl_org_action_roles).
      Each event draws its decisions from its own generator, seeded from the seed and its id,
      so a decision does not depend on how other events' messages interleave.
    - A look that finds its command refused (the event moved on meanwhile) just waits for the
      next message; a fallback look a simulated day later covers a message lost on the bus.
    - Time: on a manual clock (clock/mode = "manual") the simulator moves every service's clock
      with the clock op (set_ms, safe to repeat) in ticks, as fast as possible (--days) or at
      --speed simulated seconds per real second. On wall clocks it reports at --rate reports a
      minute and the units' delays are compressed by --pace, so that work visibly moves.  */
#include "cli_simulate.h"
#include "gl_security.h"
#include "gl_client.h"
#include "gl_clock.h"
#include "gl_dept.h"
#include "gl_log.h"
#include "gl_org.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

#define S_USAGE \
    "usage: gridloop simulate [--seed N] [--days D] [--speed S] [--per-day N] [--rate R]\n" \
    "                         [--pace P] [--data DIR] [--ids FILE] [--dry-run] [--quiet]\n"

static const char *s_help =
    S_USAGE
    "\n"
    "Drives the county of the configuration through the public protocol, the way its people\n"
    "would: grid workers, residents (walk-in and the 12345 hotline), the police 110 platform\n"
    "and the flood sensors report; units sign, return, ask for extensions, handle, refer\n"
    "disputes to mediation and run 小事 consultations; grid workers verify; residents give\n"
    "feedback; one street goes to wartime and back. The same --seed makes the same reports.\n"
    "\n"
    "  --seed N       the seed of every random draw (default 1)\n"
    "  --days D       stop after D simulated days (default: run until interrupted)\n"
    "  --speed S      manual clock: simulated seconds per real second (default: as fast as\n"
    "                 the services answer; needs --days)\n"
    "  --per-day N    manual clock: reports per simulated day, spread by the hour of the day\n"
    "                 (default 240: about one per grid)\n"
    "  --rate R       wall clock: reports per minute (default 30)\n"
    "  --pace P       wall clock: the units work P times faster than real people would, so\n"
    "                 that work moves within minutes (default 360: an hour's delay is 10 s)\n"
    "  --data DIR     the departmental systems' outboxes (default var/sim)\n"
    "  --ids FILE     write the id of every event intake opened, one a line\n"
    "  --dry-run      draw the plan of --days days and print its summary; send nothing\n"
    "  --quiet        no progress lines, only the summary\n"
    "\n"
    "Prints a progress line every few seconds (simulated time, reports, open, closed, cards)\n"
    "and a summary at the end. Exit status: 0 done, 1 a service or the domain files could\n"
    "not be reached, 2 bad usage.\n";

#define MINUTE_MS       INT64_C (60000)
#define HOUR_MS         (60 * MINUTE_MS)
#define DAY_MS          (24 * HOUR_MS)
#define S_TICK_MS       (5 * MINUTE_MS)     //  manual clock: one step of the services' clocks;
                                            //  finer than every limit's minute rounding matters
#define S_FALLBACK_MS   DAY_MS              //  look again after a lost message (simulated)
#define S_PROGRESS_MS   3000                //  real ms between progress lines
#define S_ATTEMPTS      3                   //  tries of request_timeout_ms per request
#define S_SOURCES       3                   //  departmental systems (intake/sources)
#define S_WAR_LENGTH_MS (12 * HOUR_MS)      //  the wartime episode, simulated time

//  ---------------------------------------------------------------------------------------
//  Random draws: splitmix64, small, fast and the same on every machine.

typedef struct {
    uint64_t state;             //  advances by the golden gamma each draw
} s_rng_t;

static uint64_t
s_mix (uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C (0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C (0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t
s_next (s_rng_t *r)
{
    r->state += UINT64_C (0x9e3779b97f4a7c15);
    return s_mix (r->state);
}

//  Uniform in [0, 1).
static double
s_uniform (s_rng_t *r)
{
    return (double) (s_next (r) >> 11) * 0x1.0p-53;
}

static bool
s_chance (s_rng_t *r, double p)
{
    return s_uniform (r) < p;
}

static size_t
s_pick (s_rng_t *r, size_t n)
{
    return n? (size_t) (s_next (r) % n): 0;
}

//  A generator of its own for a name (a unit, an event) under the seed: FNV-1a, then mixed.
static s_rng_t
s_rng_for (uint64_t seed, const char *name)
{
    uint64_t h = UINT64_C (0xcbf29ce484222325);
    for (const char *c = name; *c; c++)
        h = (h ^ (unsigned char) *c) * UINT64_C (0x100000001b3);
    return (s_rng_t) { s_mix (h ^ s_mix (seed)) };
}

//  ---------------------------------------------------------------------------------------
//  What the county reports. Weights per category group (the LL of "LL.SS"), in reports per
//  hundred, chosen from the published mix of grid governance work: city management and
//  livelihood matters make most of the daily load, disputes and hazards the next share,
//  emergencies are rare. Within a group every category is equally likely.

typedef struct {
    const char *group;          //  "05"
    unsigned weight;            //  reports per hundred
} s_group_weight_t;

static const s_group_weight_t s_group_weights [] = {
    { "01", 14 },   //  矛盾纠纷 disputes
    { "02", 7 },    //  社会治安 public order
    { "03", 13 },   //  安全隐患 safety hazards
    { "04", 5 },    //  特殊人群 special groups
    { "05", 25 },   //  城市管理 city management
    { "06", 19 },   //  民生服务 livelihood services
    { "07", 4 },    //  助企服务 business services
    { "08", 3 },    //  党的建设 party building
    { "09", 7 },    //  社情民意 opinions and consultations
    { "10", 1 },    //  突发事件 emergencies
    { "99", 2 },    //  other
};
#define S_GROUPS (sizeof s_group_weights / sizeof s_group_weights [0])

//  Reports by the county-local hour, relative weights (--per-day is spread over the day in
//  these proportions): few at night, the peaks in the working morning and afternoon.
static const double s_hour_weight [24] = {
    0.20, 0.15, 0.10, 0.10, 0.15, 0.25, 0.50, 0.90, 1.50, 1.90, 1.90, 1.60,
    1.10, 1.30, 1.80, 1.80, 1.70, 1.40, 1.00, 0.90, 0.80, 0.60, 0.45, 0.30,
};
#define S_HOUR_MAX  1.90            //  the largest weight: the rate the plan thins from

//  Who reports: the share of each channel (they sum to 100).
typedef enum {
    S_BY_GRID,                  //  a grid's staff on the app (吹哨), some handled on the spot
    S_BY_HOTLINE,               //  a resident through the 12345 hotline (departmental system)
    S_BY_POLICE,                //  the police 110 platform hands over a case
    S_BY_SENSOR,                //  a flood sensor crosses its threshold
    S_BY_WALKIN,                //  a resident at the community office
    S_BY_COUNT
} s_by_t;

static const unsigned s_by_share [S_BY_COUNT] = { 55, 20, 10, 5, 10 };

//  The registered departmental sources (intake/sources), by s_by_t.
static const char *const s_source_of [S_BY_COUNT] = {
    NULL, "hotline-12345", "police-110", "sensors-flood", NULL
};

//  One planned report.
typedef struct {
    int64_t at;                 //  when (simulated ms since 1970)
    s_by_t by;                  //  who reports
    const gl_category_t *category;
    const gl_unit_t *grid;
    const gl_person_t *person;  //  the reporting staff member (S_BY_GRID), else NULL
    char caller [24];           //  a resident's reference (hotline, walk-in)
    bool on_site;               //  handled on the spot
    unsigned n;                 //  its number in the plan, from 1
} s_plan_t;

//  ---------------------------------------------------------------------------------------
//  How a unit works: drawn once per unit from the seed and its id.

typedef struct {
    double speed;               //  delays are multiplied by it (1: ordinary, 4: slow)
    double return_p;            //  chance of returning work it is given (退回)
    double rework_p;            //  chance its handling fails verification (careless)
    double unhappy_p;           //  chance a resident is unsatisfied with its work
    double extend_p;            //  chance it asks for more time
} s_profile_t;

//  The commands the simulated people give, for the summary.
static const char *const s_ops [] = {
    "accept", "cancel", "confirm", "dispatch", "escalate", "sign", "return", "extend",
    "decide_extension", "handle", "verify", "feedback", "refer", "mediate", "consult", "resume",
};
#define S_OPS (sizeof s_ops / sizeof s_ops [0])

typedef struct {
    char id [GL_MAX_NAME + 1];  //  the event id
    int64_t due;                //  when it is looked at next (simulated ms); 0: not planned
    s_rng_t rng;                //  its own draws
    bool asked_extension;       //  its holder asked for more time once already
} s_event_t;

typedef struct {
    const gl_config_t *cfg;
    gl_org_t *org;
    uint64_t seed;
    bool manual;                //  the services run on a manual clock
    bool driven [GL_SVC_COUNT]; //  manual: the services whose clock this run moves
    gl_client_t *clients [GL_SVC_COUNT];
    gl_dept_t *depts [S_BY_COUNT];  //  the departmental systems, by who reports
    zsock_t *sub;               //  dispatcher.event.* and escalation.card.* from the bus
    zhashx_t *events;           //  open events by id (s_event_t)
    FILE *ids;                  //  --ids
    //  the plan
    s_rng_t plan_rng;
    double per_day;             //  manual: reports per simulated day
    double per_minute;          //  wall: reports per real minute
    double pace;                //  wall: how much faster the units work
    s_plan_t next;              //  the next planned report
    const gl_unit_t **grids;    //  every grid of the county
    size_t grid_count;
    const gl_category_t **categories;
    size_t category_count;
    uint64_t digest;            //  of the plan so far: same seed, same digest
    //  wartime
    const gl_unit_t *war_street;
    int64_t war_from, war_to;   //  simulated ms; war_to 0: not planned
    int war_state;              //  0 before, 1 wartime, 2 back to peacetime
    //  figures
    int64_t now;                //  simulated ms
    int64_t start;
    uint64_t planned, events_opened, attached, refused;
    uint64_t commands, refusals, closed, cancelled, yellow, red;
    uint64_t by [S_BY_COUNT];
    uint64_t done [S_OPS];      //  commands carried out, by s_ops
    uint64_t card_stage [4];    //  cards by stage: dispatch, sign, handle, verify
    uint64_t failed_checks;     //  verifications that failed (rework)
    uint64_t unsatisfied;       //  feedback unsatisfied (re-handling)
} s_sim_t;

//  Count a command carried out.
static void
s_count (s_sim_t *sim, const char *op)
{
    for (size_t i = 0; i < S_OPS; i++)
        if (streq (s_ops [i], op))
            sim->done [i]++;
}

//  ---------------------------------------------------------------------------------------
//  Requests

//  Send op with fields to a service: returns GL_OK with the answer, or the refusal's code
//  (UNAVAILABLE when nothing answered) with err set. answer needs gl_doc_fini either way.
//  One client a service for the whole run: a simulated month is tens of thousands of
//  requests, and a connection each (as cli_call makes for one command) would be most of the
//  cost.
static gl_code_t
s_request (s_sim_t *sim, gl_svc_t svc, const char *op, bool mutating, gl_mapw_t *fields,
           gl_doc_t *answer, gl_err_t *err)
{
    msgpack_sbuffer req;
    gl_request_build (&req, op, mutating, fields);
    int rc = gl_client_call (sim->clients [svc], req.data, req.size, answer, S_ATTEMPTS, err);
    msgpack_sbuffer_destroy (&req);
    if (rc)
        return err->code;
    return gl_answer_check (&answer->root, err)? err->code: GL_OK;
}

//  A person of unit who may give op there: one of the roles the county's rules allow (drawn
//  with r), or, where no rule names roles, any of the unit's staff (recorded only). NULL
//  when the unit has nobody suitable.
static const gl_person_t *
s_person (s_sim_t *sim, const char *op, const gl_unit_t *unit, s_rng_t *r)
{
    size_t count;
    const gl_person_t *const *people = gl_org_people (sim->org, unit->id, &count);
    unsigned roles = gl_org_action_roles (sim->org, op, unit->kind);
    const gl_person_t *fit [64];
    size_t n = 0;
    for (size_t i = 0; i < count && n < 64; i++)
        if (!roles || (roles & (1u << people [i]->role)))
            fit [n++] = people [i];
    return n? fit [s_pick (r, n)]: NULL;
}

//  A lifecycle command on event e by unit, as person (NULL: nobody named) in role (NULL: the
//  person's own), with fields (may be NULL; consumed). Returns its code; a refusal is counted,
//  not shown: the event has moved on meanwhile, and its next message brings the next look.
static gl_code_t
s_act_as (s_sim_t *sim, s_event_t *e, const char *op, const gl_unit_t *unit,
          const char *person, const char *role, gl_mapw_t *fields)
{
    gl_mapw_t w, actor;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", e->id);
    gl_mapw_init (&actor);
    gl_mapw_str (&actor, "unit", unit->id);
    if (person)
        gl_mapw_str (&actor, "person", person);
    if (role)
        gl_mapw_str (&actor, "role", role);
    gl_mapw_map (&w, "actor", &actor);
    gl_mapw_fini (&actor);
    if (fields) {
        gl_mapw_merge (&w, fields);
        gl_mapw_fini (fields);
    }
    gl_doc_t answer;
    gl_err_t err;
    gl_code_t code = s_request (sim, GL_SVC_DISPATCHER, op, true, &w, &answer, &err);
    gl_doc_fini (&answer);
    gl_mapw_fini (&w);
    sim->commands++;
    if (code == GL_OK)
        s_count (sim, op);
    else {
        sim->refusals++;
        gl_log_debug ("simulate: %s of %s by %s refused: %s: %s", op, e->id, unit->id,
                      gl_code_name (code), err.message);
    }
    return code;
}

//  The same through a person of unit the county's rules allow for op (s_person).
static gl_code_t
s_act (s_sim_t *sim, s_event_t *e, const char *op, const gl_unit_t *unit, gl_mapw_t *fields)
{
    const gl_person_t *person = s_person (sim, op, unit, &e->rng);
    return s_act_as (sim, e, op, unit, person? person->id: NULL,
                     person? gl_role_name (person->role): NULL, fields);
}

//  The fields map of one str.
static gl_mapw_t *
s_fields_str (gl_mapw_t *w, const char *key, const char *value)
{
    gl_mapw_init (w);
    gl_mapw_str (w, key, value);
    return w;
}

//  ---------------------------------------------------------------------------------------
//  Unit profiles

static s_profile_t
s_profile (s_sim_t *sim, const char *unit)
{
    s_rng_t r = s_rng_for (sim->seed, unit);
    s_profile_t p;
    //  Most units within a factor two of ordinary; about one in six slow (2-3.5 times more):
    //  slow enough to collect cards, not so slow that every step of theirs is red.
    p.speed = 0.7 + s_uniform (&r) * 0.8;
    if (s_chance (&r, 0.17))
        p.speed *= 2 + s_uniform (&r) * 1.5;
    p.return_p = s_chance (&r, 0.12)? 0.25: 0.03;
    p.rework_p = s_chance (&r, 0.15)? 0.35: 0.05;
    p.unhappy_p = 0.04 + p.rework_p / 2;
    p.extend_p = s_chance (&r, 0.2)? 0.3: 0.05;
    return p;
}

//  A delay around base_ms for a unit with profile p: exponential spread, no shorter than a
//  quarter of base, no longer than four times it; compressed by --pace on wall clocks.
static int64_t
s_delay (s_sim_t *sim, s_rng_t *r, const s_profile_t *p, int64_t base_ms)
{
    double spread = 0.25 - log (1 - s_uniform (r)) * 0.75;
    if (spread > 4)
        spread = 4;
    double ms = (double) base_ms * p->speed * spread;
    if (!sim->manual)
        ms /= sim->pace;
    return (int64_t) ms;
}

//  How long the holder takes before the next look, by the event's state and priority.
static int64_t
s_wait (s_sim_t *sim, s_event_t *e, const char *state, const char *unit_id, int priority)
{
    const gl_unit_t *unit = unit_id? gl_org_unit (sim->org, unit_id): NULL;
    s_profile_t p = s_profile (sim, unit? unit->id: "county");
    int64_t base = HOUR_MS;
    if (streq (state, "REPORTED") || streq (state, "FILED"))
        base = 10 * MINUTE_MS;          //  accept and dispatch have 30 minutes (limits.json)
    else
    if (streq (state, "SELF_HANDLED"))
        base = HOUR_MS;
    else
    if (streq (state, "DISPATCHED"))
        base = priority == 1? 8 * MINUTE_MS: priority == 2? 30 * MINUTE_MS: 4 * HOUR_MS;
    else
    if (streq (state, "IN_PROGRESS")) {
        if (unit && unit->kind == GL_UNIT_COMMUNITY)
            base = 90 * MINUTE_MS;      //  a consultation stage: five of them in about a day
        else
        if (unit && unit->kind == GL_UNIT_MEDIATION)
            base = DAY_MS;
        else
            base = priority == 1? 50 * MINUTE_MS: priority == 2? 6 * HOUR_MS:
                   priority == 3? 2 * DAY_MS: 6 * DAY_MS;
    }
    else
    if (streq (state, "HANDLED"))
        base = 90 * MINUTE_MS;          //  the grid goes and looks
    else
    if (streq (state, "FEEDBACK"))
        base = 6 * HOUR_MS;             //  the callback
    else
    if (streq (state, "SUSPENDED"))
        base = DAY_MS;
    return s_delay (sim, &e->rng, &p, base);
}

//  ---------------------------------------------------------------------------------------
//  Looking at an event and acting on it

typedef struct {
    char state [16], unit [40], grid [40], community [40], street [40], category [8],
         priority [4], channel [16], reporter_role [32], reporter_id [72], dispatcher [40],
         returned_by [40], county_handler [40], step_kind [20], consultation [16];
    uint64_t returns, reworks, rehandles, extension_days;
    bool dispute;
} s_view_t;

static int
s_get (s_sim_t *sim, const char *id, s_view_t *v)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", id);
    gl_doc_t answer;
    gl_err_t err;
    gl_code_t code = s_request (sim, GL_SVC_DISPATCHER, "get", false, &w, &answer, &err);
    gl_mapw_fini (&w);
    if (code != GL_OK) {
        gl_doc_fini (&answer);
        return -1;
    }
    const msgpack_object *ev = gl_map_get (&answer.root, "event");
    memset (v, 0, sizeof *v);
    gl_get_strbuf (ev, "state", v->state, sizeof v->state);
    gl_get_strbuf (ev, "unit", v->unit, sizeof v->unit);
    gl_get_strbuf (ev, "grid", v->grid, sizeof v->grid);
    gl_get_strbuf (ev, "community", v->community, sizeof v->community);
    gl_get_strbuf (ev, "street", v->street, sizeof v->street);
    gl_get_strbuf (ev, "category", v->category, sizeof v->category);
    gl_get_strbuf (ev, "priority", v->priority, sizeof v->priority);
    gl_get_strbuf (ev, "channel", v->channel, sizeof v->channel);
    gl_get_strbuf (ev, "reporter_role", v->reporter_role, sizeof v->reporter_role);
    gl_get_strbuf (ev, "reporter_id", v->reporter_id, sizeof v->reporter_id);
    gl_get_strbuf (ev, "dispatcher", v->dispatcher, sizeof v->dispatcher);
    gl_get_strbuf (ev, "returned_by", v->returned_by, sizeof v->returned_by);
    gl_get_strbuf (ev, "county_handler", v->county_handler, sizeof v->county_handler);
    gl_get_strbuf (ev, "step_kind", v->step_kind, sizeof v->step_kind);
    gl_get_strbuf (ev, "consultation", v->consultation, sizeof v->consultation);
    gl_get_u64 (ev, "returns", &v->returns);
    gl_get_u64 (ev, "reworks", &v->reworks);
    gl_get_u64 (ev, "rehandles", &v->rehandles);
    gl_get_u64 (ev, "extension_days", &v->extension_days);
    gl_get_bool (ev, "dispute", &v->dispute);
    gl_doc_fini (&answer);
    return 0;
}

//  Where a command centre holding a filed event sends it: after a board returned it, to the
//  county department; after a department returned it, to the street board; otherwise by the
//  category (the board, or the department when the category's street handler is the centre).
static const gl_unit_t *
s_centre_target (s_sim_t *sim, const s_view_t *v, const gl_unit_t *centre)
{
    const gl_category_t *category = gl_org_category (sim->org, v->category);
    const gl_unit_t *street = gl_org_unit (sim->org, v->street);
    const gl_unit_t *board = category && street?
                             gl_org_street_handler (sim->org, category, street): NULL;
    const gl_unit_t *dept = gl_org_unit (sim->org, v->county_handler);
    if (centre->level == GL_LEVEL_COUNTY || (board && board == centre))
        board = NULL;
    if (board && *v->returned_by && streq (v->returned_by, board->id) && dept)
        return dept;
    if (board)
        return board;
    return dept;
}

//  The mediation channel for a dispute: the police for neighbours and families, petitions
//  for petitions, the court for property and contracts, the procuratorate otherwise.
static const char *
s_channel_for (const char *category)
{
    if (streq (category, "01.01") || streq (category, "01.02") || streq (category, "01.07"))
        return "police";
    if (streq (category, "01.11") || streq (category, "01.06") || streq (category, "01.12"))
        return "petitions";
    if (streq (category, "01.03") || streq (category, "01.04") || streq (category, "01.09")
    ||  streq (category, "01.10") || streq (category, "01.05"))
        return "court";
    return "procuratorate";
}

static const char *const s_stages [] = { "topic", "meeting", "decision", "carry_out", "publish" };
static const char *const s_stage_text [] = {
    "议题：网格员收集居民意见，提交社区议事会",
    "会议：社区两委、居民代表、物业和网格员协商议事",
    "决定：议事会表决通过处置方案",
    "实施：社区组织志愿者和物业按方案实施",
    "公示：处置结果在小区公示栏和居民群公示",
};

//  Look at event e: give the one command its state calls for. Returns -1 when the event is
//  gone (closed, archived, or unknown), else 0.
static int
s_look (s_sim_t *sim, s_event_t *e)
{
    s_view_t v;
    if (s_get (sim, e->id, &v))
        return -1;
    e->due = sim->now + (sim->manual? S_FALLBACK_MS: (int64_t) (S_FALLBACK_MS / sim->pace));
    const gl_unit_t *holder = gl_org_unit (sim->org, v.unit);
    const gl_unit_t *grid = gl_org_unit (sim->org, v.grid);
    const gl_unit_t *community = gl_org_unit (sim->org, v.community);
    if (!grid || !community)
        return -1;                      //  not an event of this county's grids
    const gl_unit_t *centre = gl_org_centre (sim->org, grid);
    s_profile_t p = s_profile (sim, holder? holder->id: "county");
    s_rng_t *r = &e->rng;
    gl_mapw_t w;

    if (streq (v.state, "REPORTED")) {
        if (s_chance (r, 0.03)) {
            gl_mapw_init (&w);
            gl_mapw_str (&w, "code", "duplicate");
            gl_mapw_str (&w, "reason", "与已受理事件重复，已合并处理");
            s_act (sim, e, "cancel", community, &w);
        }
        else
            s_act (sim, e, "accept", community, NULL);
    }
    else
    if (streq (v.state, "SELF_HANDLED"))
        s_act (sim, e, "confirm", grid,
               s_fields_str (&w, "note", "网格长现场查看，确认已就地解决"));
    else
    if (streq (v.state, "FILED") && holder) {
        if (holder->kind == GL_UNIT_CENTRE) {
            const gl_unit_t *target = s_centre_target (sim, &v, holder);
            if (target) {
                gl_mapw_init (&w);
                gl_mapw_str (&w, "unit", target->id);
                gl_mapw_str (&w, "reason", *v.returned_by? "退回后重新派遣": "按职责派遣");
                s_act (sim, e, "dispatch", holder, &w);
            }
        }
        else
        if (holder->level != GL_LEVEL_COUNTY)
            s_act (sim, e, "escalate", holder,
                   s_fields_str (&w, "reason", "本级无法处置，提请上级协调"));
    }
    else
    if (streq (v.state, "DISPATCHED") && holder) {
        const gl_unit_t *dept = gl_org_unit (sim->org, v.county_handler);
        if (holder->kind == GL_UNIT_CENTRE && dept && dept != holder) {
            gl_mapw_init (&w);
            gl_mapw_str (&w, "unit", dept->id);
            gl_mapw_str (&w, "reason", "紧急事项，指挥中心直接派至主责部门");
            s_act (sim, e, "dispatch", holder, &w);
        }
        else
        if (v.dispute && holder->kind == GL_UNIT_BOARD && v.returns == 0
        &&  s_chance (r, 0.35)) {
            gl_mapw_init (&w);
            gl_mapw_str (&w, "channel", s_channel_for (v.category));
            gl_mapw_str (&w, "reason", "矛盾纠纷，移交调解渠道（四调衔接）");
            s_act (sim, e, "refer", holder, &w);
        }
        else
        if (v.returns == 0 && holder->kind != GL_UNIT_COMMUNITY
        &&  holder->kind != GL_UNIT_MEDIATION && holder->kind != GL_UNIT_CENTRE
        &&  s_chance (r, p.return_p))
            s_act (sim, e, "return", holder,
                   s_fields_str (&w, "reason", "不属于本单位职责范围，请重新派遣"));
        else
            s_act (sim, e, "sign", holder, NULL);
    }
    else
    if (streq (v.state, "IN_PROGRESS") && holder) {
        if (v.extension_days > 0) {
            const gl_unit_t *decider = gl_org_unit (sim->org, v.dispatcher);
            if (!decider)
                decider = centre;
            gl_mapw_init (&w);
            gl_mapw_bool (&w, "approve", s_chance (r, 0.85));
            gl_mapw_str (&w, "reason", "经审核");
            s_act (sim, e, "decide_extension", decider, &w);
        }
        else
        if (holder->kind == GL_UNIT_MEDIATION) {
            const gl_person_t *mediator = s_person (sim, "mediate", holder, r);
            double u = s_uniform (r);
            const char *outcome = u < 0.75? "settled": u < 0.9? "failed": "litigation";
            gl_mapw_init (&w);
            gl_mapw_str (&w, "mediator", mediator? mediator->name: "调解员");
            gl_mapw_u64 (&w, "sessions", 1 + s_pick (r, 4));
            if (streq (outcome, "settled"))
                gl_mapw_str (&w, "agreement", "双方达成调解协议，当场履行");
            gl_mapw_str (&w, "outcome", outcome);
            s_act (sim, e, "mediate", holder, &w);
        }
        else
        if (streq (v.step_kind, "consultation")) {
            size_t next = 0;
            for (size_t i = 0; i < 5; i++)
                if (streq (v.consultation, s_stages [i]))
                    next = i + 1;
            if (next < 5) {
                gl_mapw_init (&w);
                gl_mapw_str (&w, "stage", s_stages [next]);
                gl_mapw_str (&w, "text", s_stage_text [next]);
                s_act (sim, e, "consult", holder, &w);
            }
        }
        else
        if (!e->asked_extension && s_chance (r, p.extend_p)) {
            e->asked_extension = true;
            gl_mapw_init (&w);
            gl_mapw_u64 (&w, "days", 3 + s_pick (r, 8));
            gl_mapw_str (&w, "reason", "需协调多个部门，申请延期办理");
            s_act (sim, e, "extend", holder, &w);
        }
        else {
            gl_mapw_init (&w);
            gl_mapw_str (&w, "evidence", "现场处置完毕，整改前后照片已上传");
            gl_mapw_str (&w, "result", "已办结");
            s_act (sim, e, "handle", holder, &w);
        }
    }
    else
    if (streq (v.state, "HANDLED")) {
        //  The grid that reported it goes and looks, unless it handled the work itself.
        const gl_unit_t *verifier = holder == grid? community: grid;
        bool pass = v.reworks >= 2 || !s_chance (r, p.rework_p);
        if (!pass)
            sim->failed_checks++;
        gl_mapw_init (&w);
        gl_mapw_bool (&w, "pass", pass);
        if (!pass)
            gl_mapw_str (&w, "reason", "现场核查问题仍未解决，需返工");
        s_act (sim, e, "verify", verifier, &w);
    }
    else
    if (streq (v.state, "FEEDBACK")) {
        double u = s_uniform (r);
        const char *rating = v.rehandles == 0 && u < p.unhappy_p? "unsatisfied":
                             u < 0.3? "fairly_satisfied": "satisfied";
        if (streq (rating, "unsatisfied"))
            sim->unsatisfied++;
        gl_mapw_init (&w);
        gl_mapw_str (&w, "rating", rating);
        bool hotline = streq (v.channel, "hotline") || streq (v.reporter_role, "hotline");
        if (hotline && streq (v.reporter_role, "resident")) {
            //  The resident answers the hotline's callback: acting through D-HOTLINE, as
            //  themselves (dispatcher.md §5.16).
            const gl_unit_t *hotline_unit = gl_org_unit (sim->org, "D-HOTLINE");
            if (hotline_unit)
                s_act_as (sim, e, "feedback", hotline_unit, v.reporter_id, "resident", &w);
            else
                s_act (sim, e, "feedback", community, &w);
        }
        else
            s_act (sim, e, "feedback", community, &w);
    }
    else
    if (streq (v.state, "SUSPENDED"))
        s_act (sim, e, "resume", centre, NULL);
    else
    if (streq (v.state, "CLOSED") || streq (v.state, "CANCELLED") || streq (v.state, "ARCHIVED"))
        return -1;
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  The dispatcher's stream and the cards

static void
s_forget (s_sim_t *sim, const char *id)
{
    zhashx_delete (sim->events, id);
}

//  Take in what arrived on the bus, waiting up to wait_ms for the first message.
static void
s_drain (s_sim_t *sim, int wait_ms)
{
    zpoller_t *poller = zpoller_new (sim->sub, NULL);
    int timeout = wait_ms;
    while (zpoller_wait (poller, timeout)) {
        timeout = 0;
        zmsg_t *msg = zmsg_recv (sim->sub);
        if (!msg)
            break;
        char *topic = zmsg_popstr (msg);
        zframe_t *frame = zmsg_first (msg);
        gl_doc_t doc;
        gl_envelope_t env;
        gl_err_t err;
        if (topic && frame
        &&  gl_envelope_decode (&doc, zframe_data (frame), zframe_size (frame), &env, &err) == 0) {
            if (strncmp (topic, "escalation.card.", 16) == 0) {
                if (gl_str_eq (gl_map_get (env.body, "level"), "red"))
                    sim->red++;
                else
                    sim->yellow++;
                static const char *const stages [4] = { "dispatch", "sign", "handle", "verify" };
                for (int k = 0; k < 4; k++)
                    if (gl_str_eq (gl_map_get (env.body, "stage"), stages [k]))
                        sim->card_stage [k]++;
            }
            else
            if (env.id && env.id_len <= GL_MAX_NAME) {
                char id [GL_MAX_NAME + 1], action [32] = "", state [16] = "", unit [40] = "",
                     priority [4] = "";
                memcpy (id, env.id, env.id_len);
                id [env.id_len] = 0;
                gl_get_strbuf (env.body, "action", action, sizeof action);
                gl_get_strbuf (env.body, "state", state, sizeof state);
                gl_get_strbuf (env.body, "unit", unit, sizeof unit);
                gl_get_strbuf (gl_map_get (env.body, "class"), "priority", priority,
                               sizeof priority);
                if (streq (action, "closed") || streq (action, "cancelled")
                ||  streq (action, "archived")) {
                    if (streq (action, "closed"))
                        sim->closed++;
                    if (streq (action, "cancelled"))
                        sim->cancelled++;
                    s_forget (sim, id);
                }
                else
                if (!streq (state, "CLOSED")) {
                    s_event_t *e = zhashx_lookup (sim->events, id);
                    if (!e) {
                        e = zmalloc (sizeof *e);
                        snprintf (e->id, sizeof e->id, "%s", id);
                        e->rng = s_rng_for (sim->seed, id);
                        zhashx_insert (sim->events, id, e);
                    }
                    int prio = *priority? priority [1] - '0': 3;
                    e->due = sim->now + s_wait (sim, e, state, *unit? unit: NULL, prio);
                }
            }
            gl_doc_fini (&doc);
        }
        free (topic);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
}

//  Look at every event whose time has come.
static void
s_run_due (s_sim_t *sim)
{
    //  Collected first: a look may take messages in (none here) or forget the event.
    zlistx_t *due = zlistx_new ();
    for (s_event_t *e = zhashx_first (sim->events); e; e = zhashx_next (sim->events))
        if (e->due && e->due <= sim->now)
            zlistx_add_end (due, e);
    for (s_event_t *e = zlistx_first (due); e; e = zlistx_next (due))
        if (s_look (sim, e))
            s_forget (sim, e->id);
    zlistx_destroy (&due);
}

//  ---------------------------------------------------------------------------------------
//  The plan of reports

static const gl_category_t *
s_category_in (s_sim_t *sim, s_rng_t *r, const char *group)
{
    const gl_category_t *fit [64];
    size_t n = 0;
    for (size_t i = 0; i < sim->category_count && n < 64; i++)
        if (strncmp (sim->categories [i]->code, group, 2) == 0)
            fit [n++] = sim->categories [i];
    return n? fit [s_pick (r, n)]: sim->categories [0];
}

static const gl_category_t *
s_draw_category (s_sim_t *sim, s_rng_t *r, s_by_t by)
{
    if (by == S_BY_SENSOR)
        return gl_org_category (sim->org, s_chance (r, 0.5)? "03.06": "03.07");
    if (by == S_BY_POLICE)
        return s_category_in (sim, r, s_chance (r, 0.4)? "01": s_chance (r, 0.7)? "02": "04");
    unsigned total = 0;
    for (size_t i = 0; i < S_GROUPS; i++)
        total += s_group_weights [i].weight;
    unsigned x = (unsigned) s_pick (r, total);
    for (size_t i = 0; i < S_GROUPS; i++) {
        if (x < s_group_weights [i].weight)
            return s_category_in (sim, r, s_group_weights [i].group);
        x -= s_group_weights [i].weight;
    }
    return sim->categories [0];
}

//  The county-local hour of a time.
static int
s_hour (const s_sim_t *sim, int64_t ms)
{
    int64_t local = ms + sim->cfg->utc_offset_min * MINUTE_MS;
    return (int) ((local % DAY_MS + DAY_MS) % DAY_MS / HOUR_MS);
}

//  Draw the next report after the one planned (or after from when none was): its time by
//  thinning a Poisson process at the busiest hour's rate, then who, what and where.
static void
s_plan_next (s_sim_t *sim, int64_t from)
{
    s_rng_t *r = &sim->plan_rng;
    s_plan_t *p = &sim->next;
    int64_t at = from;
    if (sim->manual) {
        double sum = 0;
        for (int h = 0; h < 24; h++)
            sum += s_hour_weight [h];
        double peak_per_ms = sim->per_day / sum * S_HOUR_MAX / (double) HOUR_MS;
        for (;;) {
            at += (int64_t) (-log (1 - s_uniform (r)) / peak_per_ms) + 1;
            if (s_uniform (r) * S_HOUR_MAX < s_hour_weight [s_hour (sim, at)])
                break;
        }
    }
    else
        at += (int64_t) (-log (1 - s_uniform (r)) * 60000.0 / sim->per_minute) + 1;
    memset (p, 0, sizeof *p);
    p->at = at;
    p->n = (unsigned) ++sim->planned;
    unsigned x = (unsigned) s_pick (r, 100);
    p->by = S_BY_GRID;
    for (int b = 0; b < S_BY_COUNT; b++) {
        if (x < s_by_share [b]) {
            p->by = (s_by_t) b;
            break;
        }
        x -= s_by_share [b];
    }
    p->grid = sim->grids [s_pick (r, sim->grid_count)];
    //  In wartime the street's flood reports come in thick and fast. The window is decided
    //  by the report's time, so the plan does not depend on when the switch was answered.
    bool war = sim->war_to && at >= sim->war_from && at < sim->war_to;
    if (war && s_chance (r, 0.4)) {
        size_t count;
        const gl_unit_t *const *communities = gl_org_children (sim->org, sim->war_street->id,
                                                               &count);
        const gl_unit_t *c = communities [s_pick (r, count)];
        const gl_unit_t *const *grids = gl_org_children (sim->org, c->id, &count);
        if (count)
            p->grid = grids [s_pick (r, count)];
        p->by = s_chance (r, 0.5)? S_BY_SENSOR: S_BY_GRID;
    }
    p->category = s_draw_category (sim, r, p->by);
    if (war && p->by == S_BY_GRID && gl_org_street_of (sim->org, p->grid->id)
        == sim->war_street)
        p->category = gl_org_category (sim->org, s_chance (r, 0.5)? "03.07": "10.01");
    if (p->by == S_BY_GRID) {
        size_t count, n = 0;
        const gl_person_t *const *people = gl_org_people (sim->org, p->grid->id, &count);
        const gl_person_t *fit [32];
        for (size_t i = 0; i < count && n < 32; i++)
            fit [n++] = people [i];
        p->person = n? fit [s_pick (r, n)]: NULL;
        //  Small matters a grid settles on the spot (就地解决), a quarter of the time.
        p->on_site = p->category->matter != GL_MATTER_MAJOR && p->category->priority >= 3
                     && s_chance (r, 0.25);
        if (!p->person)
            p->by = S_BY_WALKIN;
    }
    snprintf (p->caller, sizeof p->caller, "1%02u%08u", 30 + (unsigned) s_pick (r, 60),
              (unsigned) s_pick (r, 100000000));
    //  The digest: what was planned, in order.
    char line [128];
    snprintf (line, sizeof line, "%lld %d %s %s %s %d", (long long) p->at, p->by,
              p->category->code, p->grid->id, p->person? p->person->id: p->caller, p->on_site);
    s_rng_t h = s_rng_for (sim->digest, line);
    sim->digest = s_next (&h);
}

//  The report's body (fields of intake's report, without op and req_id) into w.
static void
s_report_fields (s_sim_t *sim, const s_plan_t *p, gl_mapw_t *w, char *key, size_t key_size)
{
    const gl_unit_t *community = gl_unit_community (p->grid);
    const gl_unit_t *street = gl_unit_street (p->grid);
    char description [512];
    snprintf (description, sizeof description, "%s%s%s：%s，请及时处置（模拟第%u件）",
              street? street->name: "", community? community->name: "", p->grid->name,
              p->category->name, p->n);
    gl_mapw_init (w);
    gl_mapw_str (w, "category", p->category->code);
    gl_mapw_str (w, "grid", p->grid->id);
    gl_mapw_str (w, "description", description);
    gl_mapw_t reporter;
    gl_mapw_init (&reporter);
    const char *channel = "app";
    if (p->by == S_BY_GRID) {
        gl_mapw_str (&reporter, "id", p->person->id);
        gl_mapw_str (&reporter, "role", gl_role_name (p->person->role));
    }
    else
    if (p->by == S_BY_HOTLINE || p->by == S_BY_WALKIN) {
        gl_mapw_str (&reporter, "id", p->caller);
        gl_mapw_str (&reporter, "role", "resident");
        gl_mapw_str (&reporter, "phone", p->caller);
        channel = p->by == S_BY_HOTLINE? "hotline": "walkin";
    }
    else
    if (p->by == S_BY_POLICE) {
        gl_mapw_str (&reporter, "id", "police-110");
        gl_mapw_str (&reporter, "role", "department");
        channel = "department";
    }
    else {
        char sensor [48];
        snprintf (sensor, sizeof sensor, "FLOOD-%s", p->grid->id);
        gl_mapw_str (&reporter, "id", sensor);
        gl_mapw_str (&reporter, "role", "sensor");
        channel = "sensor";
    }
    gl_mapw_map (w, "reporter", &reporter);
    gl_mapw_fini (&reporter);
    gl_mapw_str (w, "channel", channel);
    if (p->on_site) {
        gl_mapw_bool (w, "handled_on_site", true);
        gl_mapw_str (w, "evidence", "网格员现场劝导处置，处置后照片已留存");
    }
    *key = 0;
    if (p->by == S_BY_SENSOR) {
        //  One alarm per grid and day: a second crossing the same day attaches to it.
        char date [9];
        gl_clock_date (p->at, (int) sim->cfg->utc_offset_min, date);
        snprintf (key, key_size, "flood-%s-%s", p->grid->id, date);
    }
    else
    if (p->by == S_BY_POLICE || p->by == S_BY_HOTLINE)
        snprintf (key, key_size, "%s-%llu-%u", s_source_of [p->by],
                  (unsigned long long) sim->seed, p->n);
    if (*key)
        gl_mapw_str (w, "key", key);
}

//  An event intake opened (or a report it attached).
static void
s_opened (s_sim_t *sim, const char *id, bool duplicate)
{
    if (duplicate) {
        sim->attached++;
        return;
    }
    sim->events_opened++;
    if (sim->ids)
        fprintf (sim->ids, "%s\n", id);
}

static void
s_on_answer (void *arg, const gl_dept_answer_t *answer)
{
    s_sim_t *sim = arg;
    if (answer->ok)
        s_opened (sim, answer->id, answer->duplicate);
    else {
        sim->refused++;
        gl_log_warning ("simulate: a departmental report was refused: %s: %s",
                        answer->code_name, answer->message);
    }
}

//  Send the planned report: through intake's report op, or published by its department.
static void
s_send (s_sim_t *sim, const s_plan_t *p)
{
    gl_mapw_t w;
    char key [96];
    s_report_fields (sim, p, &w, key, sizeof key);
    sim->by [p->by]++;
    gl_err_t err;
    if (sim->depts [p->by]) {
        msgpack_sbuffer body;
        gl_mapw_finish (&w, &body);
        if (gl_dept_report (sim->depts [p->by], body.data, body.size, NULL, &err)) {
            sim->refused++;
            gl_log_warning ("simulate: %s could not store a report: %s", s_source_of [p->by],
                            err.message);
        }
        msgpack_sbuffer_destroy (&body);
    }
    else {
        gl_doc_t answer;
        if (s_request (sim, GL_SVC_INTAKE, "report", true, &w, &answer, &err) == GL_OK) {
            char id [GL_MAX_NAME + 1] = "";
            bool duplicate = false;
            gl_get_strbuf (&answer.root, "id", id, sizeof id);
            gl_get_bool (&answer.root, "duplicate", &duplicate);
            s_opened (sim, id, duplicate);
        }
        else {
            sim->refused++;
            gl_log_warning ("simulate: a report was refused: %s: %s", gl_code_name (err.code),
                            err.message);
        }
        gl_doc_fini (&answer);
    }
    gl_mapw_fini (&w);
}

//  ---------------------------------------------------------------------------------------
//  Wartime (平战转换): the street's centre switches its street, through its commander.

static void
s_switch (s_sim_t *sim, const char *to)
{
    const gl_unit_t *centre = gl_org_centre (sim->org, sim->war_street);
    s_rng_t r = s_rng_for (sim->seed, to);
    const gl_person_t *commander = s_person (sim, "decide_extension", centre, &r);
    gl_mapw_t w, actor;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "scope", sim->war_street->id);
    gl_mapw_str (&w, "to", to);
    gl_mapw_init (&actor);
    gl_mapw_str (&actor, "unit", centre->id);
    if (commander)
        gl_mapw_str (&actor, "person", commander->id);
    gl_mapw_map (&w, "actor", &actor);
    gl_mapw_fini (&actor);
    gl_mapw_str (&w, "reason", streq (to, "wartime")? "强降雨引发城市内涝，启动防汛应急预案":
                                                       "雨情解除，防汛应急响应结束");
    gl_doc_t answer;
    gl_err_t err;
    if (s_request (sim, GL_SVC_ESCALATION, "switch_mode", true, &w, &answer, &err))
        gl_log_warning ("simulate: %s to %s refused: %s: %s", sim->war_street->id, to,
                        gl_code_name (err.code), err.message);
    gl_doc_fini (&answer);
    gl_mapw_fini (&w);
}

static void
s_wartime (s_sim_t *sim)
{
    if (sim->war_state == 0 && sim->war_to && sim->now >= sim->war_from) {
        sim->war_state = 1;
        s_switch (sim, "wartime");
    }
    else
    if (sim->war_state == 1 && sim->now >= sim->war_to) {
        sim->war_state = 2;
        s_switch (sim, "peacetime");
    }
}

//  ---------------------------------------------------------------------------------------
//  Clocks

//  Manual clocks: find the services that answer the clock op; the simulation starts at the
//  latest of their clocks. Returns 0 (manual), 1 (wall clocks), -1 (intake unreachable).
static int
s_clocks (s_sim_t *sim)
{
    int64_t latest = 0;
    for (int svc = 0; svc < GL_SVC_COUNT; svc++) {
        gl_mapw_t w;
        gl_mapw_init (&w);
        gl_mapw_i64 (&w, "advance_ms", 0);
        gl_doc_t answer;
        gl_err_t err;
        gl_client_t *probe = gl_client_new (sim->cfg->svc [svc].endpoint, 2000,
                                            sim->cfg->max_msg_bytes);
        msgpack_sbuffer req;
        gl_request_build (&req, "clock", false, &w);
        int rc = gl_client_call (probe, req.data, req.size, &answer, 1, &err);
        msgpack_sbuffer_destroy (&req);
        gl_client_destroy (&probe);
        gl_mapw_fini (&w);
        if (rc == 0 && gl_answer_check (&answer.root, &err) == 0) {
            int64_t now = 0;
            gl_get_i64 (&answer.root, "now_ms", &now);
            if (now > latest)
                latest = now;
            sim->driven [svc] = true;
        }
        else
        if (svc == GL_SVC_INTAKE && rc) {
            gl_doc_fini (&answer);
            return -1;
        }
        else
        if (svc == GL_SVC_INTAKE) {
            gl_doc_fini (&answer);
            return 1;                   //  FORBIDDEN: wall time
        }
        gl_doc_fini (&answer);
    }
    sim->now = latest;
    return 0;
}

static void
s_set_clocks (s_sim_t *sim)
{
    for (int svc = 0; svc < GL_SVC_COUNT; svc++) {
        if (!sim->driven [svc])
            continue;
        gl_mapw_t w;
        gl_mapw_init (&w);
        gl_mapw_i64 (&w, "set_ms", sim->now);
        gl_doc_t answer;
        gl_err_t err;
        if (s_request (sim, (gl_svc_t) svc, "clock", false, &w, &answer, &err))
            gl_log_warning ("simulate: %s's clock did not move: %s", gl_svc_names [svc],
                            err.message);
        gl_doc_fini (&answer);
        gl_mapw_fini (&w);
    }
}

//  ---------------------------------------------------------------------------------------
//  Output

static void
s_progress (s_sim_t *sim, FILE *out)
{
    char when [48];
    gl_clock_local (sim->now, (int) sim->cfg->utc_offset_min, false, when, sizeof when);
    fprintf (out, "%s  day %.1f  reports %llu  open %zu  closed %llu  cancelled %llu  "
             "cards %llu yellow %llu red  commands %llu (%llu refused)%s%s\n", when,
             (double) (sim->now - sim->start) / DAY_MS,
             (unsigned long long) (sim->planned - 1), zhashx_size (sim->events),
             (unsigned long long) sim->closed, (unsigned long long) sim->cancelled,
             (unsigned long long) sim->yellow, (unsigned long long) sim->red,
             (unsigned long long) sim->commands, (unsigned long long) sim->refusals,
             sim->war_state == 1? "  wartime ": "", sim->war_state == 1? sim->war_street->id: "");
    fflush (out);
}

static int
s_usage_error (const char *what)
{
    fprintf (stderr, "gridloop: simulate: %s\n(usage: gridloop simulate --help)\n", what);
    return 2;
}

static void
s_event_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  ---------------------------------------------------------------------------------------

int
cli_simulate (const gl_config_t *cfg, int argc, char **argv)
{
    int64_t seed = 1, days = 0, speed = 0, per_day = 240, rate = 30, pace = 360;
    const char *data = "var/sim", *ids_path = NULL;
    bool quiet = false, dry_run = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i], *v = i + 1 < argc? argv [i + 1]: NULL;
        int64_t *num = streq (a, "--seed")? &seed: streq (a, "--days")? &days:
                       streq (a, "--speed")? &speed: streq (a, "--per-day")? &per_day:
                       streq (a, "--rate")? &rate: streq (a, "--pace")? &pace: NULL;
        if (streq (a, "--help")) {
            fputs (s_help, stdout);
            return 0;
        }
        else
        if (num) {
            int64_t max = num == &seed? INT64_MAX: num == &days? 366: 1000000;
            if (!v || gl_parse_whole (v, num == &seed || num == &speed? 0: 1, max, num))
                return s_usage_error ("a number flag needs a whole number (--days 1..366, "
                                      "--per-day, --rate, --pace from 1)");
            i++;
        }
        else
        if (streq (a, "--data") && v)
            data = argv [++i];
        else
        if (streq (a, "--ids") && v)
            ids_path = argv [++i];
        else
        if (streq (a, "--quiet"))
            quiet = true;
        else
        if (streq (a, "--dry-run"))
            dry_run = true;
        else {
            char what [128];
            snprintf (what, sizeof what, "unexpected argument '%s'", a);
            return s_usage_error (what);
        }
    }
    if (speed && !days)
        return s_usage_error ("--speed needs --days (how long to run)");
    if (dry_run && !days)
        return s_usage_error ("--dry-run needs --days (how much to plan)");

    //  Refusals are counted, not shown; what needs a person's attention is logged.
    zsys_set_logstream (stderr);
    gl_log_set_level (GL_LOG_WARNING);
    s_sim_t sim = { .cfg = cfg, .seed = (uint64_t) seed, .per_day = (double) per_day,
                    .per_minute = (double) rate, .pace = (double) pace };
    gl_err_t err;
    sim.org = gl_org_load (cfg->org_path, cfg->categories_path, cfg->admission_path, &err);
    if (!sim.org) {
        fprintf (stderr, "gridloop: simulate: %s\n", err.message);
        return 1;
    }
    sim.grid_count = gl_org_unit_count (sim.org, GL_UNIT_GRID);
    sim.grids = zmalloc (sizeof (gl_unit_t *) * (sim.grid_count + 1));
    size_t n = 0;
    for (size_t i = 0; gl_org_unit_at (sim.org, i); i++)
        if (gl_org_unit_at (sim.org, i)->kind == GL_UNIT_GRID && n < sim.grid_count)
            sim.grids [n++] = gl_org_unit_at (sim.org, i);
    sim.grid_count = n;
    sim.category_count = gl_org_category_count (sim.org);
    sim.categories = zmalloc (sizeof (gl_category_t *) * (sim.category_count + 1));
    for (size_t i = 0; i < sim.category_count; i++)
        sim.categories [i] = gl_org_category_at (sim.org, i);
    size_t streets;
    const gl_unit_t *const *street_list = gl_org_children (sim.org, gl_org_root (sim.org)->id,
                                                           &streets);
    const gl_unit_t *street_units [16];
    size_t street_count = 0;
    for (size_t i = 0; i < streets && street_count < 16; i++)
        if (street_list [i]->kind == GL_UNIT_STREET)
            street_units [street_count++] = street_list [i];
    if (!sim.grid_count || !sim.category_count || !street_count) {
        fprintf (stderr, "gridloop: simulate: the county has no grids, streets or categories\n");
        gl_org_destroy (&sim.org);
        return 1;
    }
    sim.plan_rng = s_rng_for (sim.seed, "plan");
    s_rng_t war = s_rng_for (sim.seed, "wartime");
    sim.war_street = street_units [s_pick (&war, street_count)];
    sim.digest = sim.seed;

    int status = 0;
    int mode = dry_run? 0: s_clocks (&sim);
    if (mode < 0) {
        fprintf (stderr, "gridloop: simulate: intake does not answer at %s: start the services "
                 "first (./deploy/up --quiet)\n", cfg->svc [GL_SVC_INTAKE].endpoint);
        gl_org_destroy (&sim.org);
        free (sim.grids);
        free (sim.categories);
        return 1;
    }
    sim.manual = mode == 0;
    if (dry_run)
        sim.now = cfg->clock_start_ms? cfg->clock_start_ms: gl_clock_now ();
    if (!sim.manual)
        sim.now = gl_clock_now ();
    sim.start = sim.now;
    int64_t end = days? sim.start + days * DAY_MS: 0;
    //  The wartime episode: a third of the way into a bounded run, twelve hours long; on an
    //  open-ended run, after ten minutes of real time for ten minutes.
    if (days) {
        sim.war_from = sim.start + (end - sim.start) / 3;
        sim.war_to = sim.war_from + (days * DAY_MS / 2 < S_WAR_LENGTH_MS? days * DAY_MS / 6:
                                     S_WAR_LENGTH_MS);
    }
    else {
        sim.war_from = sim.start + (sim.manual? 2 * DAY_MS: 10 * MINUTE_MS);
        sim.war_to = sim.war_from + (sim.manual? S_WAR_LENGTH_MS: 10 * MINUTE_MS);
    }
    if (!sim.manual && days)
        fprintf (stderr, "gridloop: simulate: the services run on wall clocks: --days %lld "
                 "runs for %lld real days\n", (long long) days, (long long) days);
    s_plan_next (&sim, sim.start);

    if (dry_run) {
        while (sim.next.at < end) {
            sim.by [sim.next.by]++;
            s_plan_next (&sim, sim.next.at);
        }
        printf ("plan: seed %llu, %lld days: reports %llu (grid %llu, hotline %llu, police "
                "%llu, sensors %llu, walk-in %llu) digest %016llx\n",
                (unsigned long long) sim.seed, (long long) days,
                (unsigned long long) (sim.planned - 1), (unsigned long long) sim.by [0],
                (unsigned long long) sim.by [1], (unsigned long long) sim.by [2],
                (unsigned long long) sim.by [3], (unsigned long long) sim.by [4],
                (unsigned long long) sim.digest);
        gl_org_destroy (&sim.org);
        free (sim.grids);
        free (sim.categories);
        return 0;
    }

    for (int svc = 0; svc < GL_SVC_COUNT; svc++)
        sim.clients [svc] = gl_client_new (cfg->svc [svc].endpoint, cfg->request_timeout_ms,
                                           cfg->max_msg_bytes);
    sim.sub = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (sim.sub, "dispatcher.event.");
    zsock_set_subscribe (sim.sub, "escalation.card.");
    gl_err_t sub_err;
    if (gl_sec_connect (sim.sub, cfg->bus_backend, &sub_err)) {
        fprintf (stderr, "gridloop: simulate: %s\n", sub_err.message);
        status = 1;
        goto done;
    }
    sim.events = zhashx_new ();
    zhashx_set_destructor (sim.events, s_event_free);
    if (ids_path) {
        sim.ids = fopen (ids_path, "w");
        if (!sim.ids) {
            fprintf (stderr, "gridloop: simulate: cannot write %s\n", ids_path);
            status = 1;
            goto done;
        }
    }
    //  The departmental systems, each with its outbox under --data.
    zsys_dir_create ("%s", data);
    for (int b = 0; b < S_BY_COUNT; b++) {
        if (!s_source_of [b])
            continue;
        char dir [512];
        snprintf (dir, sizeof dir, "%s/%s", data, s_source_of [b]);
        sim.depts [b] = gl_dept_new (cfg, s_source_of [b], dir, &err);
        if (!sim.depts [b]) {
            fprintf (stderr, "gridloop: simulate: %s: %s\n", s_source_of [b], err.message);
            status = 1;
            goto done;
        }
        gl_dept_on_answer (sim.depts [b], s_on_answer, &sim);
    }
    //  Let the subscription reach the bus before the first report (slow joiner).
    s_drain (&sim, 300);
    if (sim.manual)
        s_set_clocks (&sim);
    if (!quiet)
        printf ("simulating %s from %s: seed %llu, %s; wartime in %s\n",
                gl_org_county_name (sim.org), cfg->path, (unsigned long long) sim.seed,
                sim.manual? "manual clocks": "wall clocks", sim.war_street->id);

    int64_t real_start = zclock_mono (), last_progress = real_start;
    while (!zsys_interrupted && (!end || sim.now < end)) {
        if (sim.manual) {
            int64_t tick_end = sim.now + S_TICK_MS;
            if (end && tick_end > end)
                tick_end = end;
            //  Within the tick: the reports and looks in time order, at their own instants
            //  as far as the services' clocks go (the clocks move once per tick).
            while (sim.next.at < tick_end) {
                s_send (&sim, &sim.next);
                s_plan_next (&sim, sim.next.at);
            }
            s_wartime (&sim);
            s_run_due (&sim);
            sim.now = tick_end;
            s_set_clocks (&sim);
            for (int b = 0; b < S_BY_COUNT; b++)
                if (sim.depts [b])
                    gl_dept_pump (sim.depts [b], 0);
            //  Let the services take in what this tick did before the clock moves on.
            s_drain (&sim, 20);
            if (speed) {
                int64_t due_real = real_start + (sim.now - sim.start) / speed;
                for (int64_t wait; !zsys_interrupted
                     && (wait = due_real - zclock_mono ()) > 0; )
                    s_drain (&sim, (int) wait);
            }
        }
        else {
            sim.now = gl_clock_now ();
            while (sim.next.at <= sim.now) {
                s_send (&sim, &sim.next);
                s_plan_next (&sim, sim.next.at);
            }
            s_wartime (&sim);
            s_run_due (&sim);
            for (int b = 0; b < S_BY_COUNT; b++)
                if (sim.depts [b])
                    gl_dept_pump (sim.depts [b], 0);
            s_drain (&sim, 100);
        }
        if (!quiet && zclock_mono () - last_progress >= S_PROGRESS_MS) {
            s_progress (&sim, stdout);
            last_progress = zclock_mono ();
        }
    }
    //  The departments' last reports: wait (boundedly) for intake's answers.
    int64_t give_up = zclock_mono () + 10000;
    for (;;) {
        uint64_t pending = 0;
        for (int b = 0; b < S_BY_COUNT; b++)
            if (sim.depts [b]) {
                gl_dept_pump (sim.depts [b], 10);
                pending += gl_dept_pending (sim.depts [b]);
            }
        if (!pending || zclock_mono () > give_up || zsys_interrupted)
            break;
    }
    s_drain (&sim, 200);
    if (sim.war_state == 1)
        s_switch (&sim, "peacetime");   //  an interrupted run leaves no street at war
    if (!quiet)
        s_progress (&sim, stdout);
    printf ("commands:");
    for (size_t i = 0; i < S_OPS; i++)
        printf (" %s %llu%s", s_ops [i], (unsigned long long) sim.done [i],
                i + 1 < S_OPS? ",": "");
    printf ("; failed verifications %llu, unsatisfied callbacks %llu; cards by stage: "
            "dispatch %llu, sign %llu, handle %llu, verify %llu\n",
            (unsigned long long) sim.failed_checks, (unsigned long long) sim.unsatisfied,
            (unsigned long long) sim.card_stage [0], (unsigned long long) sim.card_stage [1],
            (unsigned long long) sim.card_stage [2], (unsigned long long) sim.card_stage [3]);
    printf ("simulated %.2f days in %.1f s: seed %llu, reports %llu (events %llu, attached "
            "%llu, refused %llu), closed %llu, cancelled %llu, open %zu, cards %llu yellow "
            "%llu red, commands %llu (%llu refused), digest %016llx\n",
            (double) (sim.now - sim.start) / DAY_MS, (zclock_mono () - real_start) / 1000.0,
            (unsigned long long) sim.seed, (unsigned long long) (sim.planned - 1),
            (unsigned long long) sim.events_opened, (unsigned long long) sim.attached,
            (unsigned long long) sim.refused, (unsigned long long) sim.closed,
            (unsigned long long) sim.cancelled, zhashx_size (sim.events),
            (unsigned long long) sim.yellow, (unsigned long long) sim.red,
            (unsigned long long) sim.commands, (unsigned long long) sim.refusals,
            (unsigned long long) sim.digest);
done:
    if (sim.ids)
        fclose (sim.ids);
    for (int b = 0; b < S_BY_COUNT; b++)
        gl_dept_destroy (&sim.depts [b]);
    zhashx_destroy (&sim.events);
    zsock_destroy (&sim.sub);
    for (int svc = 0; svc < GL_SVC_COUNT; svc++)
        gl_client_destroy (&sim.clients [svc]);
    gl_org_destroy (&sim.org);
    free (sim.grids);
    free (sim.categories);
    return status;
}

/*  rules — who may give each operation (the unit, by the event's chain: DOMAIN.md §4, proto
    §7; and the person, by the county's rules of roles: §7.1), where escalation goes, giving
    work to a unit with admission checked (事项准入), and routing a filed event by its
    category (§6).  */
#include "dispatcher_internal.h"

#include <string.h>

const gl_unit_t *
dsp_unit (gl_ctx_t *ctx, const char *id)
{
    dsp_t *self = gl_ctx_state (ctx);
    return gl_org_unit (self->org, id);
}

//  The street centre of the event, e.g. "SJ-C".
const gl_unit_t *
dsp_centre (gl_ctx_t *ctx, const dsp_event_t *ev)
{
    dsp_t *self = gl_ctx_state (ctx);
    const gl_unit_t *street = gl_org_unit (self->org, ev->street);
    return street? gl_org_centre (self->org, street): NULL;
}

bool
dsp_is (const gl_unit_t *unit, const char *id)
{
    return unit && id && streq (unit->id, id);
}

//  True when actor works at a higher tier than unit, within the event's chain or at the county.
static bool
s_above (const gl_unit_t *actor, const gl_unit_t *unit)
{
    if (!actor || !unit || actor->level >= unit->level)
        return false;
    if (actor->level == GL_LEVEL_COUNTY)
        return true;
    //  A street or community unit supervises only what lies in its own street or community.
    const gl_unit_t *mine = actor->level == GL_LEVEL_STREET? gl_unit_street (actor):
                                                             gl_unit_community (actor);
    const gl_unit_t *theirs = actor->level == GL_LEVEL_STREET? gl_unit_street (unit):
                                                               gl_unit_community (unit);
    return mine && mine == theirs;
}

//  True when actor may give work down to unit: a higher tier, or a street's command centre
//  to a board of its own street (both sit at the street tier).
static bool
s_commands (const gl_unit_t *actor, const gl_unit_t *unit)
{
    if (s_above (actor, unit))
        return true;
    return actor && unit && actor->kind == GL_UNIT_CENTRE && unit->kind == GL_UNIT_BOARD
        && gl_unit_street (actor) && gl_unit_street (actor) == gl_unit_street (unit);
}

static bool
s_is_centre_of (gl_ctx_t *ctx, const dsp_event_t *ev, const gl_unit_t *actor)
{
    return actor == dsp_centre (ctx, ev) || dsp_is (actor, "CTY-C");
}

//  True when the actor is the event's grid acting through one of its grid leaders
//  (actor.person on the grid's staff in role grid_leader).
static bool
s_grid_leader (gl_ctx_t *ctx, const dsp_event_t *ev, const gl_unit_t *actor,
               const msgpack_object *req)
{
    dsp_t *self = gl_ctx_state (ctx);
    char person [65] = "";
    gl_get_strbuf (gl_map_get (req, "actor"), "person", person, sizeof person);
    const gl_person_t *p = gl_org_person (self->org, person);
    return dsp_is (actor, ev->grid) && p && p->unit == actor && p->role == GL_ROLE_GRID_LEADER;
}

//  The refusal of a confirm: who may confirm, by name, and who tried.
static int
s_refuse_confirm (gl_ctx_t *ctx, const dsp_event_t *ev, const gl_unit_t *actor,
                  const msgpack_object *req, gl_err_t *err)
{
    dsp_t *self = gl_ctx_state (ctx);
    char leaders [128] = "", person [65] = "";
    gl_get_strbuf (gl_map_get (req, "actor"), "person", person, sizeof person);
    size_t count, off = 0;
    const gl_person_t *const *people = gl_org_people (self->org, ev->grid, &count);
    for (size_t i = 0; i < count && off < sizeof leaders; i++)
        if (people [i]->role == GL_ROLE_GRID_LEADER)
            off += (size_t) snprintf (leaders + off, sizeof leaders - off, "%s%s",
                                      off? ", ": "", people [i]->id);
    return gl_fail (err, GL_FORBIDDEN, "on-the-spot handling of event %s is confirmed by the "
                    "grid leader of %s (grid_leader %s, as actor.person) or by its community "
                    "%s; %s%s%s is not", ev->id, ev->grid, off? leaders: "(none on its staff)",
                    ev->community, actor->id, *person? " person ": "", person);
}

//  The 12345 hotline's unit: it takes residents' calls, so it also makes their callbacks.
#define S_HOTLINE "D-HOTLINE"

//  回访 through the hotline: the hotline for an event that came in through it, or a resident
//  acting through the hotline (actor.role "resident") for the event they reported themselves
//  (actor.person is their reporter id). Returns 0, or FORBIDDEN naming who may.
static int
s_callback_by_hotline (const dsp_event_t *ev, const gl_unit_t *actor, const msgpack_object *req,
                       gl_err_t *err)
{
    char role [33] = "", person [65] = "";
    const msgpack_object *who = gl_map_get (req, "actor");
    gl_get_strbuf (who, "role", role, sizeof role);
    gl_get_strbuf (who, "person", person, sizeof person);
    bool by_hotline = streq (ev->channel, "hotline") || streq (ev->reporter_role, "hotline");
    if (dsp_is (actor, S_HOTLINE) && by_hotline) {
        if (!streq (role, "resident") || streq (person, ev->reporter_id))
            return 0;
        return gl_fail (err, GL_FORBIDDEN, "a resident gives the callback of event %s through "
                        "the hotline only for an event they reported: actor.person must be the "
                        "reporter's id, and %s is not", ev->id, *person? person: "(none)");
    }
    return gl_fail (err, GL_FORBIDDEN, "only %s (its community), its street's centre, or the "
                    "hotline %s for an event reported through it (itself, or the reporting "
                    "resident as actor.role resident) may give the callback of event %s; %s "
                    "is not%s", ev->community, S_HOTLINE, ev->id, actor->id,
                    dsp_is (actor, S_HOTLINE)? " (the event did not come in through the hotline)":
                    "");
}

int
dsp_authorise (gl_ctx_t *ctx, const gl_dop_t *op, const dsp_event_t *ev, const gl_unit_t *actor,
             const msgpack_object *req, gl_err_t *err)
{
    const gl_unit_t *holder = dsp_unit (ctx, ev->unit);
    bool ok = false;
    const char *who = "";
    switch (op->who) {
        case GL_WHO_FILER:
            ok = dsp_is (actor, ev->community) || s_is_centre_of (ctx, ev, actor);
            who = "the event's community, its street's centre or the county centre";
            break;
        case GL_WHO_DISPATCHER:
            ok = dsp_is (actor, ev->unit) || s_is_centre_of (ctx, ev, actor)
              || dsp_is (actor, ev->community) || (holder && s_above (actor, holder));
            who = "the unit holding the event, its community, its street's centre or the "
                  "county centre";
            break;
        case GL_WHO_CONFIRMER:
            //  The worker who handled it on the spot does not confirm her own work.
            if (dsp_is (actor, ev->community) || s_grid_leader (ctx, ev, actor, req))
                return 0;
            return s_refuse_confirm (ctx, ev, actor, req, err);
        case GL_WHO_ABOVE_TARGET: {
            char target [DSP_UNIT] = "";
            gl_get_strbuf (req, "unit", target, sizeof target);
            const gl_unit_t *t = dsp_unit (ctx, target);
            ok = t && s_commands (actor, t)
              && (dsp_is (actor, ev->unit) || s_above (actor, holder)
                  || s_is_centre_of (ctx, ev, actor));
            who = "a unit above the target (or the street's centre, for its own boards) that "
                  "holds or supervises the event";
            break;
        }
        case GL_WHO_HOLDER:
            ok = dsp_is (actor, ev->unit);
            who = "the assigned unit";
            break;
        case GL_WHO_HOLDER_OR_ABOVE:
            ok = dsp_is (actor, ev->unit) || s_above (actor, holder)
              || s_is_centre_of (ctx, ev, actor);
            who = "the assigned unit, a higher tier or a command centre";
            break;
        case GL_WHO_DISPATCHING:
            ok = dsp_is (actor, ev->dispatcher) || s_above (actor, holder)
              || s_is_centre_of (ctx, ev, actor);
            who = "the unit that dispatched it or a higher tier";
            break;
        case GL_WHO_CENTRE:
            ok = s_is_centre_of (ctx, ev, actor);
            who = "the event's street centre or the county centre";
            break;
        case GL_WHO_VERIFIER: {
            //  Verification is local (DOMAIN.md §4): the county centre supervises, it does not
            //  go on site.
            //  Nor does the unit that handled it check its own work.
            const gl_unit_t *centre = dsp_centre (ctx, ev);
            bool handler = dsp_is (actor, ev->unit);
            if ((dsp_is (actor, ev->grid) || dsp_is (actor, ev->community) || actor == centre)
            &&  !handler)
                return 0;
            return gl_fail (err, GL_FORBIDDEN, "only %s (the grid that reported it), %s (its "
                            "community) or %s (its street's centre) may verify event %s, and "
                            "never the unit that handled it; %s %s", ev->grid, ev->community,
                            centre? centre->id: ev->street, ev->id, actor->id,
                            handler? "handled it": "is not one of them");
        }
        case GL_WHO_CALLBACK:
            if (dsp_is (actor, ev->community) || s_is_centre_of (ctx, ev, actor))
                return 0;
            return s_callback_by_hotline (ev, actor, req, err);
        case GL_WHO_ABOVE_HOLDER:
            //  The street centre supervises its own boards, the county centre everything.
            ok = s_above (actor, holder)
              || (s_is_centre_of (ctx, ev, actor) && !dsp_is (actor, ev->unit));
            who = "a higher tier than the assigned unit, or a command centre";
            break;
        case GL_WHO_TRIAGER:
            //  改派: the community that first files residents' work, or a centre above it.
            ok = dsp_is (actor, ev->community) || s_is_centre_of (ctx, ev, actor);
            who = "the event's community, its street's centre or the county centre";
            break;
        case GL_WHO_REFERRER:
            //  The board holding a dispute refers it too: 平安法治 is where disputes land.
            ok = s_is_centre_of (ctx, ev, actor)
              || (dsp_is (actor, ev->unit) && (actor->kind == GL_UNIT_MEDIATION
                                             || actor->kind == GL_UNIT_BOARD));
            who = "the event's street centre, the county centre, or the board or mediation "
                  "channel holding it";
            break;
        case GL_WHO_COUNT:
            break;                      //  not a rule: refused below
    }
    if (ok)
        return 0;
    return gl_fail (err, GL_FORBIDDEN, "only %s (here: %s) may %s event %s; %s is not", who,
                    ev->unit [0]? ev->unit: ev->community, op->name, ev->id, actor->id);
}

//  岗位权限: where the domain files say which roles of the acting unit's staff give op for it,
//  actor.person must be named, be on that unit's staff list, and hold one of those roles.
//  Returns 0, or FORBIDDEN naming the roles allowed and the people of the unit who hold them.
int
dsp_check_person (gl_ctx_t *ctx, const gl_dop_t *op, const dsp_event_t *ev, const gl_unit_t *actor,
                const char *person, gl_err_t *err)
{
    dsp_t *self = gl_ctx_state (ctx);
    unsigned roles = gl_org_action_roles (self->org, op->name, actor->kind);
    if (!roles)
        return 0;
    const gl_person_t *p = gl_org_person (self->org, person);
    if (p && p->unit == actor && (roles & (1u << p->role)))
        return 0;
    char allowed [128] = "", holders [256] = "";
    size_t off = 0, hoff = 0, count;
    for (int r = 0; r < GL_ROLE_COUNT && off < sizeof allowed; r++)
        if (roles & (1u << r))
            off += (size_t) snprintf (allowed + off, sizeof allowed - off, "%s%s",
                                      off? " or ": "", gl_role_name ((gl_role_t) r));
    const gl_person_t *const *staff = gl_org_people (self->org, actor->id, &count);
    for (size_t i = 0; i < count && hoff < sizeof holders; i++)
        if (roles & (1u << staff [i]->role))
            hoff += (size_t) snprintf (holders + hoff, sizeof holders - hoff, "%s%s",
                                       hoff? ", ": "", staff [i]->id);
    char who [160];
    if (!*person)
        snprintf (who, sizeof who, "no actor.person was named");
    else
    if (!p)
        snprintf (who, sizeof who, "%s is not on the staff list", person);
    else
        snprintf (who, sizeof who, "%s is a %s of %s", person, gl_role_name (p->role),
                  p->unit->id);
    return gl_fail (err, GL_FORBIDDEN, "%s of event %s by %s is given by its %s, named in "
                    "actor.person (here: %s); %s", op->name, ev->id, actor->id, allowed,
                    hoff? holders: "none on its staff", who);
}

//  Where an escalation goes: one step up along the event's chain, grid → community → street
//  centre → county centre. A board sits at the street tier but answers to its street's
//  centre, so its escalation goes there before the county.
const gl_unit_t *
dsp_up (gl_ctx_t *ctx, const dsp_event_t *ev, const gl_unit_t *holder)
{
    dsp_t *self = gl_ctx_state (ctx);
    if (!holder)
        return NULL;
    switch (holder->level) {
        case GL_LEVEL_GRID:      return dsp_unit (ctx, ev->community);
        case GL_LEVEL_COMMUNITY: return dsp_centre (ctx, ev);
        case GL_LEVEL_STREET:
            if (holder->kind == GL_UNIT_BOARD && gl_unit_street (holder))
                return gl_org_centre (self->org, gl_unit_street (holder));
            return dsp_unit (ctx, "CTY-C");
        default:                 return NULL;
    }
}

//  Move the event into a unit by an explicit command, checking admission for community and
//  grid work.
int
dsp_give (gl_ctx_t *ctx, dsp_event_t *ev, const char *target_id, const char *kind,
        const char *actor, const char *reason, gl_err_t *err)
{
    dsp_t *self = gl_ctx_state (ctx);
    const gl_unit_t *target = dsp_unit (ctx, target_id);
    if (!target)
        return gl_fail (err, GL_INVALID, "field 'unit' is \"%s\": no such unit in %s "
                        "(`gridloop org` lists them)", target_id,
                        gl_org_county_name (self->org));
    if (target->kind == GL_UNIT_STREET || target->kind == GL_UNIT_COUNTY)
        return gl_fail (err, GL_INVALID, "field 'unit' is \"%s\", a %s: work goes to a centre, "
                        "board, department, community or grid", target_id,
                        gl_unit_kind_name (target->kind));
    //  A community gives work only to its own grids (not to another community, a board …).
    const gl_unit_t *from = dsp_unit (ctx, actor);
    if (from && from->kind == GL_UNIT_COMMUNITY
    &&  (target->kind != GL_UNIT_GRID || gl_unit_community (target) != from))
        return gl_fail (err, GL_FORBIDDEN, "%s may give work only to its own grids; %s is "
                        "not one", actor, target_id);
    if (target->level == GL_LEVEL_COMMUNITY || target->level == GL_LEVEL_GRID) {
        //  The reason gets what the refusal has left after its own words, so it is never cut.
        const char *format = "event %s (category %s) cannot be given to %s: %s";
        int used = snprintf (NULL, 0, format, ev->id, ev->category, target_id, "");
        char why [sizeof err->message];
        size_t room = used > 0 && (size_t) used < sizeof why? sizeof why - (size_t) used: 1;
        if (gl_org_admit (self->org, ev->category, target->level, gl_ctx_now (ctx), why, room))
            return gl_fail (err, GL_FORBIDDEN, format, ev->id, ev->category, target_id, why);
    }
    if (ev->returned_by [0] && !streq (ev->returned_by, target_id))
        ev->wrong_dispatches++;         //  the earlier dispatch went to the wrong unit
    ev->returned_by [0] = 0;
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", actor);
    ev->state = GL_EV_DISPATCHED;
    return dsp_enter (ctx, ev, target_id, kind, actor, reason);
}

//  Route a filed event by the category's rules (DOMAIN.md section 4): 私事 closed with advice,
//  小事 to the community as a consultation, 大事 to the street's board — or, for urgent work
//  and categories the centre handles itself, straight to the centre with the county handler
//  copied (the skip rule).
int
dsp_route (gl_ctx_t *ctx, dsp_event_t *ev, const char *actor, gl_mapw_t *extra)
{
    dsp_t *self = gl_ctx_state (ctx);
    const gl_category_t *cat = gl_org_category (self->org, ev->category);
    const gl_unit_t *street = gl_org_unit (self->org, ev->street);
    if (!cat || !street)
        return 0;                       //  stays FILED for a person to dispatch
    if (streq (ev->sanshi, "private")) {
        //  The category's own advice; a category the county gave none still names itself.
        if (cat->advice)
            snprintf (ev->advice, sizeof ev->advice, "%s", cat->advice);
        else
            snprintf (ev->advice, sizeof ev->advice, "%s属私事：网格员已引导当事人自行协商解决，"
                      "协商不成可申请社区人民调解", cat->name);
        ev->state = GL_EV_CLOSED;
        gl_mapw_str (extra, "advice", ev->advice);
        return dsp_step_mark (ctx, ev, "left_at", NULL, gl_ctx_now (ctx));
    }
    const gl_unit_t *centre = gl_org_centre (self->org, street);
    const char *kind = "auto";
    const gl_unit_t *to = gl_org_street_handler (self->org, cat, street);
    //  A board chosen in re-triage overrides the category's own.
    int board = gl_board_lookup (ev->board);
    if (board >= 0 && (gl_board_t) board != cat->board)
        to = gl_org_board (self->org, street, (gl_board_t) board);
    char why [400] = "";
    if (streq (ev->sanshi, "minor")) {
        const gl_unit_t *community = gl_org_unit (self->org, ev->community);
        if (community && gl_org_admit (self->org, ev->category, GL_LEVEL_COMMUNITY,
                                       gl_ctx_now (ctx), why, sizeof why) == 0) {
            to = community;
            kind = "consultation";
        }
    }
    else
    if (streq (ev->priority, "P1") || to == centre) {
        to = centre;
        gl_mapw_key (extra, "copy");
        msgpack_pack_array (&extra->pk, 1);
        gl_pack_cstr (&extra->pk, ev->county_handler);
        gl_mapw_str (extra, "rule", "skip");
    }
    if (!to)
        return 0;
    if (*why)
        gl_mapw_str (extra, "not_admitted", why);
    snprintf (ev->dispatcher, sizeof ev->dispatcher, "%s", centre->id);
    ev->state = GL_EV_DISPATCHED;
    return dsp_enter (ctx, ev, to->id, kind, actor, NULL);
}


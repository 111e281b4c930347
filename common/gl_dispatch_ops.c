/*  gl_dispatch_ops — the one table of the dispatcher's operations (see the header).  */
#include "gl_dispatch_ops.h"
#include "gl_proto.h"

#include <string.h>

#define S_UNIT_MAX 39           //  longest unit id on the wire (the dispatcher keeps 40 bytes)

const char *const gl_ev_state_names [GL_EV_STATE_COUNT] = {
    "REPORTED", "SELF_HANDLED", "FILED", "DISPATCHED", "IN_PROGRESS", "SUSPENDED", "HANDLED",
    "FEEDBACK", "CLOSED", "ARCHIVED", "CANCELLED"
};

const char *const gl_who_text [GL_WHO_COUNT] = {
    [GL_WHO_FILER] = "the event's community, its street's centre or the county centre",
    [GL_WHO_CONFIRMER] = "the event's community, or its grid through its grid leader "
                         "(actor.person)",
    [GL_WHO_DISPATCHER] = "the unit holding the filed event, its community (to its own grids), "
                          "its street's centre, a unit above the holder or the county centre",
    [GL_WHO_ABOVE_TARGET] = "a unit above the target unit (or the street's centre, for its own "
                            "boards) that holds or supervises the event",
    [GL_WHO_HOLDER] = "the assigned unit",
    [GL_WHO_HOLDER_OR_ABOVE] = "the assigned unit, a higher tier or a command centre",
    [GL_WHO_DISPATCHING] = "the unit that dispatched it or a higher tier",
    [GL_WHO_CENTRE] = "the event's street centre or the county centre",
    [GL_WHO_VERIFIER] = "the event's grid, its community or its street's centre; never the unit "
                        "that handled it",
    [GL_WHO_CALLBACK] = "the event's community or its street's centre; for an event reported "
                        "through the hotline also D-HOTLINE, or the reporting resident through it",
    [GL_WHO_ABOVE_HOLDER] = "a higher tier than the assigned unit, or a command centre other "
                            "than the holder",
    [GL_WHO_REFERRER] = "the event's street centre, the county centre, or the board or "
                        "mediation channel holding it",
    [GL_WHO_TRIAGER] = "the event's community, its street's centre or the county centre",
};

//  小事 at the community (协商议事): topic → meeting → decision → carry out → publish, in that
//  order; publishing the result reports the event handled, for the grid to verify.
const char *const gl_consult_stages [] = {
    "topic", "meeting", "decision", "carry_out", "publish", NULL
};

//  ---------------------------------------------------------------------------------------------
static const gl_field_t s_actor_fields [] = {
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = S_UNIT_MAX,
      .hint = "the acting unit's id, e.g. \"SJ-C\", \"SJ-B4\", \"SJ-01\", \"D-POLICE\"" },
    { .key = "person", .type = GL_F_STR, .max = 64, .hint = "the acting person's staff id" },
    { .key = "role", .type = GL_F_STR, .max = 32, .hint = "the acting person's role" },
};
static const gl_schema_t s_actor = GL_SCHEMA ("actor", s_actor_fields);

#define S_ID { .key = "id", .type = GL_F_STR, .required = true, .min = 1, .max = GL_MAX_NAME, \
               .hint = "the event id, e.g. \"500235-20261127-000000042\"" }
#define S_ACTOR { .key = "actor", .type = GL_F_MAP, .required = true, .sub = &s_actor, \
                  .hint = "who acts: {unit, person, role}" }
#define S_REASON(req) { .key = "reason", .type = GL_F_STR, .required = req, .min = req, \
                        .max = 500, .hint = "why, in plain words" }

static const char *const s_sanshi_names [] = { "major", "minor", "private", NULL };
static const char *const s_priority_names [] = { "P1", "P2", "P3", "P4", NULL };
static const char *const s_cancel_codes [] = {
    "duplicate", "invalid", "out_of_scope", "withdrawn", NULL
};
static const char *const s_levels [] = { "normal", "yellow", "red", NULL };
static const char *const s_ratings [] = { "satisfied", "fairly_satisfied", "unsatisfied", NULL };
static const char *const s_channels [] = {
    "court", "procuratorate", "police", "petitions", NULL
};
static const char *const s_boards [] = { "party", "economy", "livelihood", "safety", NULL };
static const char *const s_outcomes [] = { "settled", "failed", "litigation", NULL };

static const gl_field_t s_plain_fields [] = { S_ID, S_ACTOR,
    { .key = "note", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_plain = GL_SCHEMA ("request", s_plain_fields);

static const gl_field_t s_accept_fields [] = { S_ID, S_ACTOR,
    { .key = "category", .type = GL_F_STR, .min = 5, .max = 5,
      .hint = "a category code to file it under instead of the reported one" },
    { .key = "sanshi", .type = GL_F_STR, .choices = s_sanshi_names },
    { .key = "priority", .type = GL_F_STR, .choices = s_priority_names },
    { .key = "route", .type = GL_F_BOOL, .hint = "false: file only, dispatch by hand" },
    { .key = "note", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_accept = GL_SCHEMA ("accept", s_accept_fields);

static const gl_field_t s_cancel_fields [] = { S_ID, S_ACTOR,
    { .key = "code", .type = GL_F_STR, .required = true, .choices = s_cancel_codes,
      .hint = "why it is not taken" }, S_REASON (true) };
static const gl_schema_t s_cancel = GL_SCHEMA ("cancel", s_cancel_fields);

static const gl_field_t s_dispatch_fields [] = { S_ID, S_ACTOR,
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = S_UNIT_MAX,
      .hint = "the unit to give it to, e.g. \"SJ-B4\" or \"D-POLICE\"" },
    S_REASON (false),
    { .key = "copy", .type = GL_F_STRS, .max = 8, .item_max = S_UNIT_MAX,
      .hint = "units to copy (抄送)" } };
static const gl_schema_t s_dispatch = GL_SCHEMA ("dispatch", s_dispatch_fields);

static const gl_field_t s_assign_fields [] = { S_ID, S_ACTOR,
    { .key = "unit", .type = GL_F_STR, .required = true, .min = 1, .max = S_UNIT_MAX,
      .hint = "the lower-tier unit to assign it to" }, S_REASON (true) };
static const gl_schema_t s_assign = GL_SCHEMA ("assign", s_assign_fields);

static const gl_field_t s_reason_fields [] = { S_ID, S_ACTOR, S_REASON (true) };
static const gl_schema_t s_reasoned = GL_SCHEMA ("request", s_reason_fields);

static const gl_field_t s_text_fields [] = { S_ID, S_ACTOR,
    { .key = "text", .type = GL_F_STR, .required = true, .min = 1, .max = 2000,
      .hint = "what is said" } };
static const gl_schema_t s_texted = GL_SCHEMA ("request", s_text_fields);

static const gl_field_t s_extend_fields [] = { S_ID, S_ACTOR,
    { .key = "days", .type = GL_F_UINT, .required = true, .min = 1, .max = 30,
      .hint = "extra working days asked for, 1 to 30" }, S_REASON (true) };
static const gl_schema_t s_extend = GL_SCHEMA ("extend", s_extend_fields);

static const gl_field_t s_decide_fields [] = { S_ID, S_ACTOR,
    { .key = "approve", .type = GL_F_BOOL, .required = true,
      .hint = "true to grant the days asked for" }, S_REASON (false) };
static const gl_schema_t s_decide = GL_SCHEMA ("decide_extension", s_decide_fields);

static const gl_field_t s_handle_fields [] = { S_ID, S_ACTOR,
    { .key = "evidence", .type = GL_F_STR, .required = true, .min = 1, .max = 2000,
      .hint = "what was done and what shows it (photo references, documents)" },
    { .key = "result", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_handle = GL_SCHEMA ("handle", s_handle_fields);

static const gl_field_t s_verify_fields [] = { S_ID, S_ACTOR,
    { .key = "pass", .type = GL_F_BOOL, .required = true,
      .hint = "true when the result holds on site" }, S_REASON (false) };
static const gl_schema_t s_verify = GL_SCHEMA ("verify", s_verify_fields);

static const gl_field_t s_feedback_fields [] = { S_ID, S_ACTOR,
    { .key = "rating", .type = GL_F_STR, .required = true, .choices = s_ratings,
      .hint = "the reporter's satisfaction" },
    { .key = "note", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_feedback = GL_SCHEMA ("feedback", s_feedback_fields);

static const gl_field_t s_supervise_fields [] = { S_ID, S_ACTOR,
    { .key = "level", .type = GL_F_STR, .required = true, .choices = s_levels,
      .hint = "督办 level: normal, yellow card or red card" },
    { .key = "note", .type = GL_F_STR, .max = 500 } };
static const gl_schema_t s_supervise = GL_SCHEMA ("supervise", s_supervise_fields);

static const gl_field_t s_refer_fields [] = { S_ID, S_ACTOR,
    { .key = "channel", .type = GL_F_STR, .required = true, .choices = s_channels,
      .hint = "the mediation channel (四调)" }, S_REASON (true) };
static const gl_schema_t s_refer = GL_SCHEMA ("refer", s_refer_fields);

static const gl_field_t s_consult_fields [] = { S_ID, S_ACTOR,
    { .key = "stage", .type = GL_F_STR, .required = true, .choices = gl_consult_stages,
      .hint = "the consultation stage done now (议题, 会议, 决定, 实施, 公示)" },
    { .key = "text", .type = GL_F_STR, .required = true, .min = 1, .max = 2000,
      .hint = "what was raised, met, decided, done or published" } };
static const gl_schema_t s_consult = GL_SCHEMA ("consult", s_consult_fields);

static const gl_field_t s_mediate_fields [] = { S_ID, S_ACTOR,
    { .key = "mediator", .type = GL_F_STR, .required = true, .min = 1, .max = 64 },
    { .key = "sessions", .type = GL_F_UINT, .required = true, .min = 1, .max = 100 },
    { .key = "agreement", .type = GL_F_STR, .max = 2000 },
    { .key = "outcome", .type = GL_F_STR, .required = true, .choices = s_outcomes } };
static const gl_schema_t s_mediate = GL_SCHEMA ("mediate", s_mediate_fields);

static const gl_field_t s_retriage_fields [] = { S_ID, S_ACTOR,
    { .key = "category", .type = GL_F_STR, .min = 5, .max = 5,
      .hint = "the category code to file it under now, e.g. \"01.02\"" },
    { .key = "sanshi", .type = GL_F_STR, .choices = s_sanshi_names,
      .hint = "the 三事 type: major (大事), minor (小事) or private (私事)" },
    { .key = "priority", .type = GL_F_STR, .choices = s_priority_names },
    { .key = "board", .type = GL_F_STR, .choices = s_boards,
      .hint = "the street board: party, economy, livelihood or safety" },
    S_REASON (true) };
static const gl_schema_t s_retriage = GL_SCHEMA ("retriage", s_retriage_fields);


//  ---------------------------------------------------------------------------------------------
//  The operations.

#define F(s) GL_EV_BIT (GL_EV_##s)
#define S_NONE { { NULL, NULL, GL_FLAG_STR, NULL } }
#define S_REASON_FLAG { "reason", "reason", GL_FLAG_STR, "TEXT" }
#define S_NOTE_FLAG { "note", "note", GL_FLAG_STR, "TEXT" }
#define S_TEXT_FLAG { "text", "text", GL_FLAG_STR, "TEXT" }

const gl_dop_t gl_dops [GL_DOP_COUNT] = {
    [GL_DOP_ACCEPT] = { "accept", "accept", "filed", F (REPORTED), 0, GL_WHO_FILER, true,
        &s_accept, { { "category", "category", GL_FLAG_STR, "LL.SS" },
                     { "sanshi", "sanshi", GL_FLAG_STR, "major|minor|private" },
                     { "priority", "priority", GL_FLAG_STR, "P1..P4" }, S_NOTE_FLAG,
                     { "no-route", "route", GL_FLAG_FALSE, NULL } },
        "accept and file a reported event (受理), then route it unless --no-route" },
    [GL_DOP_CANCEL] = { "cancel", "cancel", "cancelled", F (REPORTED) | F (SELF_HANDLED)
        | F (FILED), 0, GL_WHO_FILER, false, &s_cancel,
        { { "code", "code", GL_FLAG_STR, "duplicate|invalid|out_of_scope|withdrawn" },
          S_REASON_FLAG },
        "not taken: a duplicate, invalid, out of scope or withdrawn" },
    [GL_DOP_CONFIRM] = { "confirm", "confirm", "confirmed", F (SELF_HANDLED), 0,
        GL_WHO_CONFIRMER, false, &s_plain, { S_NOTE_FLAG },
        "confirm on-the-spot handling (the grid through its grid leader: --person ID)" },
    //  A centre holding an event (the skip rule sends urgent work to it) dispatches it on
    //  without filing it first.
    [GL_DOP_DISPATCH] = { "dispatch", "dispatch", "dispatched", F (FILED),
        F (DISPATCHED) | F (IN_PROGRESS), GL_WHO_DISPATCHER, false, &s_dispatch,
        { { "unit", "unit", GL_FLAG_STR, "UNIT" }, S_REASON_FLAG,
          { "copy", "copy", GL_FLAG_STRS, "UNIT" } },
        "give the event to a unit (派单), copying others (抄送)" },
    [GL_DOP_ASSIGN] = { "assign", "assign", "assigned", F (FILED) | F (DISPATCHED)
        | F (IN_PROGRESS), 0, GL_WHO_ABOVE_TARGET, false, &s_assign,
        { { "unit", "unit", GL_FLAG_STR, "UNIT" }, S_REASON_FLAG },
        "hand it down a tier (交办)" },
    [GL_DOP_ESCALATE] = { "escalate", "escalate", "escalated", F (FILED) | F (DISPATCHED)
        | F (IN_PROGRESS), 0, GL_WHO_HOLDER, false, &s_reasoned, { S_REASON_FLAG },
        "send it one tier up (上报)" },
    [GL_DOP_SIGN] = { "sign", "sign", "signed", F (DISPATCHED), 0, GL_WHO_HOLDER, false,
        &s_plain, S_NONE, "sign for it (签收): the response" },
    [GL_DOP_RETURN] = { "return", "return", "returned", F (DISPATCHED) | F (IN_PROGRESS), 0,
        GL_WHO_HOLDER, false, &s_reasoned, { S_REASON_FLAG },
        "give it back to the dispatching unit with a reason (退回)" },
    [GL_DOP_NOTE] = { "note", "note", "noted", F (IN_PROGRESS) | F (SUSPENDED), 0,
        GL_WHO_HOLDER_OR_ABOVE, false, &s_texted, { S_TEXT_FLAG }, "a progress note" },
    [GL_DOP_EXTEND] = { "extend", "extend", "extension_requested", F (IN_PROGRESS), 0,
        GL_WHO_HOLDER, false, &s_extend,
        { { "days", "days", GL_FLAG_UINT, "1..30" }, S_REASON_FLAG },
        "ask for more working days (延期)" },
    [GL_DOP_DECIDE_EXTENSION] = { "decide_extension", "decide-extension", "extension_decided",
        F (IN_PROGRESS), 0, GL_WHO_DISPATCHING, false, &s_decide,
        { { "approve", "approve", GL_FLAG_TRUE, NULL },
          { "refuse", "approve", GL_FLAG_FALSE, NULL }, S_REASON_FLAG },
        "grant or refuse the days asked for" },
    [GL_DOP_SUSPEND] = { "suspend", "suspend", "suspended", F (IN_PROGRESS), 0, GL_WHO_CENTRE,
        false, &s_reasoned, { S_REASON_FLAG }, "park it, clock stopped (挂账)" },
    [GL_DOP_RESUME] = { "resume", "resume", "resumed", F (SUSPENDED), 0, GL_WHO_CENTRE, false,
        &s_plain, { S_NOTE_FLAG }, "take parked work up again" },
    [GL_DOP_HANDLE] = { "handle", "handle", "handled", F (IN_PROGRESS), 0, GL_WHO_HOLDER,
        false, &s_handle, { { "evidence", "evidence", GL_FLAG_STR, "TEXT" },
                            { "result", "result", GL_FLAG_STR, "TEXT" } },
        "report it done, with evidence (办结)" },
    [GL_DOP_VERIFY] = { "verify", "verify", "verified", F (HANDLED), 0, GL_WHO_VERIFIER, false,
        &s_verify, { { "pass", "pass", GL_FLAG_TRUE, NULL },
                     { "fail", "pass", GL_FLAG_FALSE, NULL }, S_REASON_FLAG },
        "check the result on site (核查): --pass, or --fail --reason for rework" },
    [GL_DOP_FEEDBACK] = { "feedback", "feedback", "feedback", F (FEEDBACK), 0, GL_WHO_CALLBACK,
        false, &s_feedback,
        { { "rating", "rating", GL_FLAG_STR, "satisfied|fairly_satisfied|unsatisfied" },
          S_NOTE_FLAG },
        "the reporter's satisfaction (回访)" },
    [GL_DOP_SUPERVISE] = { "supervise", "supervise", "supervised", GL_EV_OPEN, 0,
        GL_WHO_ABOVE_HOLDER, false, &s_supervise,
        { { "level", "level", GL_FLAG_STR, "normal|yellow|red" }, S_NOTE_FLAG },
        "督办: normal, yellow card or red card" },
    [GL_DOP_INSTRUCT] = { "instruct", "instruct", "instructed", GL_EV_OPEN, 0,
        GL_WHO_ABOVE_HOLDER, false, &s_texted, { S_TEXT_FLAG }, "批示: an instruction" },
    [GL_DOP_URGENT] = { "urgent", "urgent", "urgent", GL_EV_OPEN, 0, GL_WHO_ABOVE_HOLDER, false,
        &s_reasoned, { S_REASON_FLAG }, "mark it urgent (P1)" },
    [GL_DOP_REFER] = { "refer", "refer", "referred", F (FILED) | F (DISPATCHED)
        | F (IN_PROGRESS), 0, GL_WHO_REFERRER, false, &s_refer,
        { { "channel", "channel", GL_FLAG_STR, "court|procuratorate|police|petitions" },
          S_REASON_FLAG },
        "refer a dispute to a mediation channel, or hand it over (四调衔接)" },
    [GL_DOP_MEDIATE] = { "mediate", "mediate", "mediated", F (IN_PROGRESS), 0, GL_WHO_HOLDER,
        false, &s_mediate, { { "mediator", "mediator", GL_FLAG_STR, "NAME" },
                             { "sessions", "sessions", GL_FLAG_UINT, "N" },
                             { "agreement", "agreement", GL_FLAG_STR, "TEXT" },
                             { "outcome", "outcome", GL_FLAG_STR,
                               "settled|failed|litigation" } },
        "the mediation record: mediator, sessions, agreement, outcome" },
    [GL_DOP_CONSULT] = { "consult", "consult", "consulted", F (IN_PROGRESS), 0, GL_WHO_HOLDER,
        false, &s_consult,
        { { "stage", "stage", GL_FLAG_STR, "topic|meeting|decision|carry_out|publish" },
          S_TEXT_FLAG },
        "小事: the community's consultation, stage by stage (议事)" },
    [GL_DOP_ARCHIVE] = { "archive", "archive", "archived", F (CLOSED), 0, GL_WHO_CENTRE, false,
        &s_plain, S_NONE, "lock a closed event; its scores are frozen" },
    //  改派: any time before it closes, once it is filed.
    [GL_DOP_RETRIAGE] = { "retriage", "retriage", "retriaged", F (FILED) | F (DISPATCHED)
        | F (IN_PROGRESS) | F (SUSPENDED) | F (HANDLED) | F (FEEDBACK), 0, GL_WHO_TRIAGER, true,
        &s_retriage, { { "category", "category", GL_FLAG_STR, "LL.SS" },
                       { "sanshi", "sanshi", GL_FLAG_STR, "major|minor|private" },
                       { "priority", "priority", GL_FLAG_STR, "P1..P4" },
                       { "board", "board", GL_FLAG_STR, "party|economy|livelihood|safety" },
                       S_REASON_FLAG },
        "改派: file it again under another category, 三事 type, priority or board; routed again" },
    [GL_DOP_REOPEN] = { "reopen", "reopen", "reopened", F (CLOSED), 0, GL_WHO_FILER, false,
        &s_reasoned, { S_REASON_FLAG },
        "reopen a 私事 closed with advice, within dispatcher/reopen_days" },
};

const gl_dop_t *
gl_dop_lookup (const char *name)
{
    for (size_t i = 0; name && i < GL_DOP_COUNT; i++)
        if (streq (gl_dops [i].name, name))
            return &gl_dops [i];
    return NULL;
}

const gl_dop_t *
gl_dop_by_verb (const char *verb)
{
    for (size_t i = 0; verb && i < GL_DOP_COUNT; i++)
        if (streq (gl_dops [i].verb, verb))
            return &gl_dops [i];
    return NULL;
}

unsigned
gl_dop_from (const gl_dop_t *op, bool centre_holds)
{
    return op->from | (centre_holds? op->centre_from: 0);
}

void
gl_dop_synopsis (const gl_dop_t *op, char *buf, size_t size)
{
    size_t off = (size_t) snprintf (buf, size, "%s ID --as UNIT [--person ID] [--role ROLE]",
                                    op->verb);
    for (int i = 0; i < GL_DOP_MAX_FLAGS && op->flags [i].flag && off < size; i++) {
        const gl_flag_t *f = &op->flags [i];
        //  A flag is shown bare when the schema requires its field; a boolean's two flags
        //  (--pass, --fail) are a choice, so each stays optional.
        bool required = false;
        for (size_t k = 0; k < op->schema->count; k++)
            if (streq (op->schema->fields [k].key, f->field))
                required = op->schema->fields [k].required;
        if (f->type == GL_FLAG_TRUE || f->type == GL_FLAG_FALSE)
            required = false;
        off += (size_t) snprintf (buf + off, size - off, " %s--%s%s%s%s%s",
                                  required? "": "[", f->flag, f->meta? " ": "",
                                  f->meta? f->meta: "", required? "": "]",
                                  f->type == GL_FLAG_STRS? "...": "");
    }
}

static const char *
s_type_name (gl_ftype_t type)
{
    static const char *const names [] = {
        [GL_F_STR] = "str", [GL_F_UINT] = "uint", [GL_F_INT] = "int", [GL_F_NUM] = "number",
        [GL_F_BOOL] = "bool", [GL_F_MAP] = "map", [GL_F_STRS] = "array of str",
        [GL_F_UINTS] = "array of uint", [GL_F_ANY] = "any"
    };
    return names [type];
}

//  The states of a set, joined by sep.
static void
s_states (unsigned set, const char *sep, char *buf, size_t size)
{
    size_t off = 0;
    buf [0] = 0;
    for (int s = 0; s < GL_EV_STATE_COUNT && off < size; s++)
        if (set & GL_EV_BIT (s))
            off += (size_t) snprintf (buf + off, size - off, "%s%s", off? sep: "",
                                      gl_ev_state_names [s]);
}

void
gl_dop_describe (const gl_dop_t *op, gl_mapw_t *w)
{
    gl_mapw_str (w, "name", op->name);
    gl_mapw_str (w, "verb", op->verb);
    gl_mapw_str (w, "action", op->action);
    gl_mapw_str (w, "help", op->help);
    char states [256];
    s_states (op->from, " ", states, sizeof states);
    gl_mapw_str (w, "from", states);
    s_states (op->centre_from, " ", states, sizeof states);
    gl_mapw_str (w, "centre_from", states);
    gl_mapw_str (w, "who", gl_who_text [op->who]);
    gl_listw_t fields;
    gl_listw_init (&fields);
    for (size_t i = 0; i < op->schema->count; i++) {
        const gl_field_t *f = &op->schema->fields [i];
        gl_mapw_t field;
        gl_mapw_init (&field);
        gl_mapw_str (&field, "key", f->key);
        gl_mapw_str (&field, "type", s_type_name (f->type));
        gl_mapw_bool (&field, "required", f->required);
        gl_mapw_i64 (&field, "min", f->min);
        gl_mapw_i64 (&field, "max", f->max);
        if (f->choices) {
            gl_listw_t choices;
            gl_listw_init (&choices);
            for (size_t c = 0; f->choices [c]; c++)
                gl_listw_str (&choices, f->choices [c]);
            gl_mapw_list (&field, "choices", &choices);
            gl_listw_fini (&choices);
        }
        if (f->hint)
            gl_mapw_str (&field, "hint", f->hint);
        gl_listw_map (&fields, &field);
        gl_mapw_fini (&field);
    }
    gl_mapw_list (w, "fields", &fields);
    gl_listw_fini (&fields);
}

void
gl_dop_markdown (FILE *out)
{
    fprintf (out, "| operation | CLI | publishes | from | who | fields | what it does |\n");
    fprintf (out, "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < GL_DOP_COUNT; i++) {
        const gl_dop_t *op = &gl_dops [i];
        char from [256], more [256], fields [512] = "";
        s_states (op->from, ", ", from, sizeof from);
        s_states (op->centre_from, ", ", more, sizeof more);
        size_t off = 0;
        for (size_t f = 0; f < op->schema->count && off < sizeof fields; f++) {
            const gl_field_t *field = &op->schema->fields [f];
            if (streq (field->key, "id") || streq (field->key, "actor"))
                continue;
            off += (size_t) snprintf (fields + off, sizeof fields - off, "%s`%s`%s", off? ", ": "",
                                      field->key, field->required? "": "?");
        }
        fprintf (out, "| `%s` | `gridloop %s` | `%s` | %s%s%s | %s | %s | %s |\n", op->name,
                 op->verb, op->action, from, *more? "; while a centre holds it also ": "", more,
                 gl_who_text [op->who], off? fields: "—", op->help);
    }
}

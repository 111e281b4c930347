/*  gl_dispatch_ops — every dispatcher operation defined once (proto/dispatcher.md §5): its name
    on the wire, the action it publishes, the states it is allowed from, who may give it, its
    fields, the CLI verb and flags that send it, and one line of help. The dispatcher serves
    from this table, the CLI parses its verbs from it, the `describe` operation answers with it
    and the reference in proto/dispatcher.md is generated from it (`gridloop operations
    --markdown`), so the four cannot drift apart.  */
#ifndef GL_DISPATCH_OPS_H
#define GL_DISPATCH_OPS_H

#include "gl_schema.h"
#include <stdio.h>

/*  An event's states (DOMAIN.md §4), as bits of a set.  */
typedef enum {
    GL_EV_REPORTED, GL_EV_SELF_HANDLED, GL_EV_FILED, GL_EV_DISPATCHED, GL_EV_IN_PROGRESS,
    GL_EV_SUSPENDED, GL_EV_HANDLED, GL_EV_FEEDBACK, GL_EV_CLOSED, GL_EV_ARCHIVED,
    GL_EV_CANCELLED, GL_EV_STATE_COUNT
} gl_ev_state_t;

extern const char *const gl_ev_state_names [GL_EV_STATE_COUNT];

#define GL_EV_BIT(s) (1u << (s))
#define GL_EV_OPEN (GL_EV_BIT (GL_EV_REPORTED) | GL_EV_BIT (GL_EV_SELF_HANDLED) \
                  | GL_EV_BIT (GL_EV_FILED) | GL_EV_BIT (GL_EV_DISPATCHED) \
                  | GL_EV_BIT (GL_EV_IN_PROGRESS) | GL_EV_BIT (GL_EV_SUSPENDED) \
                  | GL_EV_BIT (GL_EV_HANDLED) | GL_EV_BIT (GL_EV_FEEDBACK))

/*  Who may give an operation, decided on the acting unit and the event's chain (§7). The
    dispatcher implements each; gl_who_text says it in words.  */
typedef enum {
    GL_WHO_FILER,               //  the event's community, its street's centre, the county centre
    GL_WHO_CONFIRMER,           //  the event's community, or its grid through the grid leader
    GL_WHO_DISPATCHER,          //  the holder of the filed event, or a higher tier of its chain
    GL_WHO_ABOVE_TARGET,        //  a centre, board or community above the target unit
    GL_WHO_HOLDER,              //  the assigned unit only
    GL_WHO_HOLDER_OR_ABOVE,     //  the assigned unit or a higher tier
    GL_WHO_DISPATCHING,         //  the unit that dispatched the holder, or a higher tier
    GL_WHO_CENTRE,              //  the event's street centre or the county centre
    GL_WHO_VERIFIER,            //  the creating grid, its community or its street centre
    GL_WHO_CALLBACK,            //  the community, street centre, or the hotline for its callers
    GL_WHO_ABOVE_HOLDER,        //  a higher tier than the assigned unit
    GL_WHO_REFERRER,            //  a centre, or the board or mediation unit holding it
    GL_WHO_TRIAGER,             //  the event's community, its street centre or the county centre
    GL_WHO_COUNT
} gl_who_t;

extern const char *const gl_who_text [GL_WHO_COUNT];

/*  How a CLI flag sets its field.  */
typedef enum {
    GL_FLAG_STR,                //  --flag VALUE          field: str
    GL_FLAG_UINT,               //  --flag N              field: uint
    GL_FLAG_TRUE,               //  --flag                field: true
    GL_FLAG_FALSE,              //  --flag                field: false
    GL_FLAG_STRS                //  --flag VALUE, again   field: array of str, in the order given
} gl_flag_type_t;

typedef struct {
    const char *flag;           //  the flag without its "--"; NULL ends an operation's flags
    const char *field;          //  the request field it sets (two flags may set one bool)
    gl_flag_type_t type;        //  how the value is read and packed
    const char *meta;           //  what the value is, for messages ("UNIT", "TEXT", …)
} gl_flag_t;

#define GL_DOP_MAX_FLAGS 6      //  most flags of one operation (accept and retriage have 5)

typedef struct {
    const char *name;           //  op on the wire
    const char *verb;           //  the CLI command, `gridloop VERB ID --as UNIT …`
    const char *action;         //  the action it publishes (dispatcher.event.<action>)
    unsigned from;              //  states it is allowed from (GL_EV_BIT)
    unsigned centre_from;       //  further states allowed while a command centre holds it
    gl_who_t who;               //  who may give it
    bool routes;                //  a FILED event it leaves is routed again (§6)
    const gl_schema_t *schema;  //  its fields, id and actor included
    gl_flag_t flags [GL_DOP_MAX_FLAGS];     //  CLI flags, in the order the request writes them
    const char *help;           //  what it does, in one line
} gl_dop_t;

/*  The lifecycle operations, in table order: one X (ID, "name") each. The service's request
    table and the enum below are made from this list.  */
#define GL_DISPATCH_OPS(X) \
    X (ACCEPT, "accept") X (CANCEL, "cancel") X (CONFIRM, "confirm") \
    X (DISPATCH, "dispatch") X (ASSIGN, "assign") X (ESCALATE, "escalate") X (SIGN, "sign") \
    X (RETURN, "return") X (NOTE, "note") X (EXTEND, "extend") \
    X (DECIDE_EXTENSION, "decide_extension") X (SUSPEND, "suspend") X (RESUME, "resume") \
    X (HANDLE, "handle") X (VERIFY, "verify") X (FEEDBACK, "feedback") \
    X (SUPERVISE, "supervise") X (INSTRUCT, "instruct") X (URGENT, "urgent") \
    X (REFER, "refer") X (MEDIATE, "mediate") X (CONSULT, "consult") X (ARCHIVE, "archive") \
    X (RETRIAGE, "retriage") X (REOPEN, "reopen")

#define GL_DOP_ENUM(id, name) GL_DOP_##id,
typedef enum { GL_DISPATCH_OPS (GL_DOP_ENUM) GL_DOP_COUNT } gl_dop_id_t;
#undef GL_DOP_ENUM

extern const gl_dop_t gl_dops [GL_DOP_COUNT];

/*  小事 consultation stages in order (NULL-terminated).  */
extern const char *const gl_consult_stages [];

/*  The operation called name on the wire, or with CLI verb; NULL when there is none.  */
const gl_dop_t *gl_dop_lookup (const char *name);
const gl_dop_t *gl_dop_by_verb (const char *verb);
/*  The states op is allowed from, for an event a command centre holds or not.  */
unsigned gl_dop_from (const gl_dop_t *op, bool centre_holds);
/*  "dispatch ID --as UNIT [--person ID] [--role ROLE] [--unit UNIT] …": its CLI synopsis.  */
void gl_dop_synopsis (const gl_dop_t *op, char *buf, size_t size);
/*  Write op as the `describe` operation answers it: name, verb, action, help, from, who,
    fields [{key, type, required, min, max, choices, hint}].  */
void gl_dop_describe (const gl_dop_t *op, gl_mapw_t *w);
/*  Write the reference of every operation as Markdown (the generated part of
    proto/dispatcher.md).  */
void gl_dop_markdown (FILE *out);

#endif

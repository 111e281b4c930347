/*  gl_org — the county's organisation (units, people), event categories and admitted-items
    registry (事项准入), loaded from the JSON files tools/gen-county.py writes
    (deploy/yunyang/org.json, categories.json, admission.json), checked as a whole at load, then
    read-only: lookups by id in O(1), the chain grid → community → street → county, children for
    browsing, counts, the tree printed by `gridloop org`, and whether a community or grid may be
    given a category's work (gl_org_admit).

    A unit (单位) is any node that can receive work: the county, a street (街道), a community
    (社区), a grid (网格), a command centre (指挥中心), a board (板块), a county department or
    utility, a mediation channel (四调), an office. The territorial chain is strict: a street's
    parent is the county, a community's a street, a grid's a community; every other unit sits
    at its parent's level. Every street has one command centre and the four boards.  */
#ifndef GL_ORG_H
#define GL_ORG_H

#include "gl_codec.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*  What a unit is. Names in the files: county street community grid centre board department
    mediation office.  */
typedef enum {
    GL_UNIT_COUNTY,             //  the root (县)
    GL_UNIT_STREET,             //  街道
    GL_UNIT_COMMUNITY,          //  社区; also its office (社区 staff belong here)
    GL_UNIT_GRID,               //  网格
    GL_UNIT_CENTRE,             //  基层治理指挥中心 of a street or of the county
    GL_UNIT_BOARD,              //  板块 of a street
    GL_UNIT_DEPARTMENT,         //  county department or public utility
    GL_UNIT_MEDIATION,          //  a mediation channel (诉调/检调/警调/访调)
    GL_UNIT_OFFICE,             //  any other office, e.g. the assessment office (考核办)
    GL_UNIT_KIND_COUNT,
    GL_UNIT_ANY = -1            //  for counts: every kind
} gl_unit_kind_t;

/*  The tier a unit works at. Names: county street community grid.  */
typedef enum {
    GL_LEVEL_COUNTY, GL_LEVEL_STREET, GL_LEVEL_COMMUNITY, GL_LEVEL_GRID, GL_LEVEL_COUNT
} gl_level_t;

/*  The four boards (板块) of a street. Names: party economy livelihood safety.  */
typedef enum {
    GL_BOARD_NONE = -1,         //  not a board
    GL_BOARD_PARTY,             //  党的建设
    GL_BOARD_ECONOMY,           //  经济发展
    GL_BOARD_LIVELIHOOD,        //  民生服务
    GL_BOARD_SAFETY,            //  平安法治
    GL_BOARD_COUNT
} gl_board_t;

/*  The four mediation channels (四调衔接). Names: court procuratorate police petitions.  */
typedef enum {
    GL_CHANNEL_NONE = -1,       //  not a mediation unit
    GL_CHANNEL_COURT,           //  诉调, the county court
    GL_CHANNEL_PROCURATORATE,   //  检调, the county procuratorate
    GL_CHANNEL_POLICE,          //  警调, the county police
    GL_CHANNEL_PETITIONS,       //  访调, the petitions office
    GL_CHANNEL_COUNT
} gl_channel_t;

/*  What a person does. Each role belongs in units of one kind (gl_role_kind).  */
typedef enum {
    GL_ROLE_GRID_LEADER,        //  网格长 (grid)
    GL_ROLE_GRID_WORKER,        //  专职网格员 (grid)
    GL_ROLE_GRID_WORKER_PART_TIME,  //  兼职网格员 (grid)
    GL_ROLE_GRID_INSTRUCTOR,    //  网格指导员 (grid)
    GL_ROLE_HELPER,             //  N: in-service party member, volunteer (grid)
    GL_ROLE_COMMUNITY_STAFF,    //  社区工作者 (community)
    GL_ROLE_COMMANDER,          //  指挥长 (centre)
    GL_ROLE_DUTY_OFFICER,       //  值班员 (centre)
    GL_ROLE_BOARD_LEAD,         //  A岗 (board)
    GL_ROLE_BOARD_STAFF,        //  B岗 (board)
    GL_ROLE_DEPARTMENT_STAFF,   //  联络员 who sign for and handle work (department)
    GL_ROLE_MEDIATOR,           //  调解员 (mediation)
    GL_ROLE_ASSESSOR,           //  考核 staff (office)
    GL_ROLE_COUNT,
    GL_ROLE_ANY = -1            //  for counts: every role
} gl_role_t;

/*  The kind of matter an event is, 三事分流 (the "three kinds of matter"): major 大事
    (government business, dispatched to government handlers), minor 小事 (community business,
    settled by a consultation at the community), private 私事 (private business the residents
    settle themselves, guided by the grid). On the wire and in the files: the field "sanshi"
    with the values major, minor, private.  */
typedef enum {
    GL_MATTER_MAJOR, GL_MATTER_MINOR, GL_MATTER_PRIVATE, GL_MATTER_COUNT
} gl_matter_t;

typedef struct gl_unit_s gl_unit_t;
struct gl_unit_s {
    const char *id;             //  e.g. "SJ-01-01"; unique among units
    const char *name;           //  Chinese name, e.g. "外滩社区第1网格"
    gl_unit_kind_t kind;        //  what it is
    gl_level_t level;           //  the tier it works at
    gl_board_t board;           //  boards only; GL_BOARD_NONE otherwise
    gl_channel_t channel;       //  mediation units only; GL_CHANNEL_NONE otherwise
    const gl_unit_t *parent;    //  NULL only for the county
    const gl_unit_t *const *children;   //  in file order; use gl_org_children
    size_t child_count;         //  entries in children
    size_t index;               //  position in the units list (gl_org_unit_at)
};

typedef struct {
    const char *id;             //  e.g. "GW-0001"; unique among people
    const char *name;           //  Chinese name
    gl_role_t role;             //  what they do
    const gl_unit_t *unit;      //  where they work
} gl_person_t;

typedef struct {
    const char *code;           //  "LL.SS", e.g. "01.05"; unique
    const char *name;           //  Chinese name, e.g. "劳资纠纷（欠薪）"
    const char *group;          //  the LL group's Chinese name, e.g. "矛盾纠纷"
    gl_board_t board;           //  the street board it goes to by default
    const char *grid_handler;   //  a grid role name (e.g. "grid_leader") or "grid"
    const char *community_handler;  //  a community role name or "community"
    const char *street_handler; //  "C" (the street's centre) or a board suffix ("B4")
    const gl_unit_t *county_handler;    //  county-level unit that handles it (a department …)
    int priority;               //  1 (P1, urgent) .. 4 (P4, complex)
    gl_matter_t matter;         //  typical kind of matter (三事)
    bool dispute;               //  mediation (四调) applies
    const char *advice;         //  what a 私事 of it is closed with; NULL: none in the file
} gl_category_t;

/*  岗位权限: which roles of an acting unit's staff may give an operation (org.json "actions").
    Each rule: op (a lifecycle operation's name), unit (a unit kind), roles (the roles of that
    kind allowed). Where a rule exists the acting person must be named and hold one of them.  */
typedef struct {
    const char *op;             //  the operation, e.g. "sign"
    gl_unit_kind_t kind;        //  the acting unit's kind, e.g. board
    unsigned roles;             //  allowed roles: bits (1u << gl_role_t)
} gl_action_rule_t;

/*  事项准入: the list an admitted item is on. Names: duty assist negative certify.  */
typedef enum {
    GL_ADMISSION_DUTY,          //  依法履职: the community's own work under the law
    GL_ADMISSION_ASSIST,        //  依法协助: a department's work the community helps with
    GL_ADMISSION_NEGATIVE,      //  负面清单: work a community or grid must never be given
    GL_ADMISSION_CERTIFY,       //  证明事项: a certificate the community may issue
    GL_ADMISSION_COUNT,
    GL_ADMISSION_ANY = -1       //  for counts: every list
} gl_admission_list_t;

/*  One item of the registry. Dates are days of China Standard Time (UTC+8): an item is in
    effect from 00:00 of approved until 00:00 of expires (approved ≤ now < expires).  */
typedef struct {
    const char *id;             //  e.g. "A-001"; unique among items
    const char *name;           //  Chinese name of the matter, e.g. "民间纠纷人民调解"
    gl_admission_list_t list;   //  which list it is on
    const gl_category_t *const *categories; //  the categories it covers, in file order
    size_t category_count;      //  entries in categories (0 only on the negative list)
    unsigned levels;            //  the tiers it covers: bit (1u << GL_LEVEL_COMMUNITY|GRID)
    const gl_unit_t *department;    //  the county department that owns it
    const char *basis;          //  legal basis; on the negative list, why it is forbidden
    const char *approved;       //  "YYYY-MM-DD"
    const char *expires;        //  "YYYY-MM-DD", after approved
    int64_t approved_ms;        //  00:00 UTC+8 of approved, ms since 1970
    int64_t expires_ms;         //  00:00 UTC+8 of expires, ms since 1970
} gl_admission_t;

typedef struct gl_org_s gl_org_t;

/*  Load and check the files. Every problem is refused with err (GL_INVALID) naming the file,
    the entry ("units[57] 'SJ-01-01'") and what is wrong: unreadable or malformed JSON, a
    missing, mistyped or unknown key, a duplicate id or code, an unknown parent, kind, level,
    role, board or channel, a broken chain (a grid whose parent is not a community …), a cycle,
    a street without its centre or one of its four boards, a person whose role does not belong
    in their unit, a bad category code, priority or 三事 type, a handler that does not resolve;
    in the registry ("items[3] 'A-004'"), a duplicate id, an unknown list, category, level (only
    community and grid) or department (a county unit of kind department), a bad or missing
    date, an expiry not after the approval, an empty category list outside the negative list,
    and an admitted item covering a category and level that a negative item forbids in an
    overlapping period. admission_path NULL or "" loads no registry: every category is admitted
    at every level. Returns the model, or NULL with err set and nothing allocated.  */
gl_org_t *gl_org_load (const char *org_path, const char *categories_path,
                       const char *admission_path, gl_err_t *err);
/*  The same from the files' contents (for tests and fuzzing): errors name "org.json",
    "categories.json" and "admission.json"; admission_text NULL loads no registry.  */
gl_org_t *gl_org_load_text (const char *org_text, const char *categories_text,
                            const char *admission_text, gl_err_t *err);
/*  Free the model and everything it returned; nulls the caller's pointer; safe on NULL.  */
void gl_org_destroy (gl_org_t **self_p);

/*  The county's code (e.g. "500235") and name.  */
const char *gl_org_county_code (gl_org_t *self);
const char *gl_org_county_name (gl_org_t *self);
/*  The root unit (kind county).  */
const gl_unit_t *gl_org_root (gl_org_t *self);

/*  Lookups by id or code, O(1); NULL when there is none.  */
const gl_unit_t *gl_org_unit (gl_org_t *self, const char *id);
const gl_person_t *gl_org_person (gl_org_t *self, const char *id);
const gl_category_t *gl_org_category (gl_org_t *self, const char *code);

/*  The nearest unit of that kind at or above unit (itself included), walking parents; NULL if
    none (e.g. the street of a department). gl_unit_street and gl_unit_community are the two
    common cases: a grid's community and street.  */
const gl_unit_t *gl_unit_ancestor (const gl_unit_t *unit, gl_unit_kind_t kind);
const gl_unit_t *gl_unit_street (const gl_unit_t *unit);
const gl_unit_t *gl_unit_community (const gl_unit_t *unit);
/*  By id: the street / community of unit id (a grid, a community …); NULL if the id is unknown
    or the unit has none.  */
const gl_unit_t *gl_org_street_of (gl_org_t *self, const char *id);
const gl_unit_t *gl_org_community_of (gl_org_t *self, const char *id);

/*  The direct children of unit id in file order, *count set; NULL and 0 for an unknown id or a
    unit without children. The array lives as long as the model.  */
const gl_unit_t *const *gl_org_children (gl_org_t *self, const char *id, size_t *count);
/*  The people of unit id in file order, *count set; NULL and 0 when none or unknown.  */
const gl_person_t *const *gl_org_people (gl_org_t *self, const char *id, size_t *count);

/*  The roles of a kind-unit's staff allowed to give op, as bits (1u << gl_role_t); 0 when the
    files set no rule for op and kind (then no person is required).  */
unsigned gl_org_action_roles (gl_org_t *self, const char *op, gl_unit_kind_t kind);
/*  The i-th rule in file order, or NULL past the end (a service checks each names its ops).  */
const gl_action_rule_t *gl_org_action_at (gl_org_t *self, size_t i);

/*  The board unit of that board in street (a street unit), or NULL.  */
const gl_unit_t *gl_org_board (gl_org_t *self, const gl_unit_t *street, gl_board_t board);
/*  The command centre for unit: its street's centre, or the county's centre for units outside
    any street. Never NULL for a loaded model.  */
const gl_unit_t *gl_org_centre (gl_org_t *self, const gl_unit_t *unit);
/*  Where category's street tier sends work in street: the centre ("C") or the board named by
    the category's street handler. NULL only if street is not a street.  */
const gl_unit_t *gl_org_street_handler (gl_org_t *self, const gl_category_t *category,
                                        const gl_unit_t *street);
/*  The mediation unit of a channel (the first in file order), or NULL.  */
const gl_unit_t *gl_org_mediation (gl_org_t *self, gl_channel_t channel);

/*  Counts: units of one kind (GL_UNIT_ANY: all), people in one role (GL_ROLE_ANY: all),
    categories.  */
size_t gl_org_unit_count (gl_org_t *self, gl_unit_kind_t kind);
size_t gl_org_person_count (gl_org_t *self, gl_role_t role);
size_t gl_org_category_count (gl_org_t *self);
/*  The i-th unit, person or category in file order, or NULL past the end.  */
const gl_unit_t *gl_org_unit_at (gl_org_t *self, size_t i);
const gl_person_t *gl_org_person_at (gl_org_t *self, size_t i);
const gl_category_t *gl_org_category_at (gl_org_t *self, size_t i);

/*  事项准入: may a unit at level be given category's work at now_ms (ms since 1970)? Returns 0
    when it may: an item of list duty, assist or certify in effect covers category and level
    (reason is then that item, "A-001 民间纠纷人民调解"), or level is neither community nor
    grid, or no registry was loaded (reason ""). Otherwise -1 with a reason for people: an item
    in effect on the negative list ("on the negative list: <name> (<basis>)"), else an admitting
    item that has expired ("item A-044 <name> expired on 2026-01-01") or is not yet in effect
    ("item … takes effect on …"), else an item that admits it only at the other level ("not on
    the admitted-items registry for grids: item A-008 <name> admits it for communities only"),
    else "not on the admitted-items registry for communities: ask the street centre to handle it
    or register the matter" ("for grids" at grid level); an unknown category is refused too.
    reason (size bytes) may be NULL; a quoted name or basis too long for it is shortened
    (ending "…") so that the sentence stays whole.  */
int gl_org_admit (gl_org_t *self, const char *category, gl_level_t level, int64_t now_ms,
                  char *reason, size_t size);
/*  The registry: items on one list (GL_ADMISSION_ANY: all; 0 when none was loaded), the i-th
    in file order or NULL past the end, and an item by id (NULL when there is none).  */
size_t gl_org_admission_count (gl_org_t *self, gl_admission_list_t list);
const gl_admission_t *gl_org_admission_at (gl_org_t *self, size_t i);
const gl_admission_t *gl_org_admission (gl_org_t *self, const char *id);

/*  Print the tree under root_id (NULL: the county) as indented lines "id name [kind] N people",
    depth levels below it (0: the root alone; negative: all). A unit whose children are cut off
    says how many units lie below it. Returns 0, or -1 if root_id is not a unit.  */
int gl_org_print_tree (gl_org_t *self, FILE *out, const char *root_id, int depth);

/*  Names as used in the files, and their lookups (-1 when unknown).  */
const char *gl_unit_kind_name (gl_unit_kind_t kind);
const char *gl_level_name (gl_level_t level);
const char *gl_board_name (gl_board_t board);
const char *gl_channel_name (gl_channel_t channel);
const char *gl_role_name (gl_role_t role);
const char *gl_matter_name (gl_matter_t matter);
const char *gl_admission_list_name (gl_admission_list_t list);
int gl_unit_kind_lookup (const char *name);
int gl_level_lookup (const char *name);
int gl_board_lookup (const char *name);
int gl_channel_lookup (const char *name);
int gl_role_lookup (const char *name);
int gl_matter_lookup (const char *name);
int gl_admission_list_lookup (const char *name);
/*  The kind of unit a person in role belongs to (GL_UNIT_GRID for the grid roles …).  */
gl_unit_kind_t gl_role_kind (gl_role_t role);

#endif

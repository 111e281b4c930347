/*  gl_org_private — what the org model's loader (gl_org_load.c) and its queries (gl_org.c)
    share: the model's layout and the name tables. Not for use outside those two files.  */
#ifndef GL_ORG_PRIVATE_H
#define GL_ORG_PRIVATE_H

#include "gl_org.h"
#include <czmq.h>
#include <jansson.h>

//  Registry dates are days of China Standard Time.
#define S_DAY_MS        (24 * 3600 * INT64_C (1000))
#define S_DATE_OFFSET_MS (8 * 3600 * INT64_C (1000))

//  A level as a bit of a set of levels.
#define S_AT(level) (1u << (level))

//  Names as written in the files, in enum order.
extern const char *const gl_org_kind_names [GL_UNIT_KIND_COUNT];
extern const char *const gl_org_level_names [GL_LEVEL_COUNT];
extern const char *const gl_org_board_names [GL_BOARD_COUNT];
extern const char *const gl_org_channel_names [GL_CHANNEL_COUNT];
extern const char *const gl_org_role_names [GL_ROLE_COUNT];
extern const char *const gl_org_matter_names [GL_MATTER_COUNT];
extern const char *const gl_org_list_names [GL_ADMISSION_COUNT];
//  The kind of unit each role works in, in gl_role_t order.
extern const gl_unit_kind_t gl_org_role_kinds [GL_ROLE_COUNT];
//  The levels each kind may work at (S_AT bits).
extern const unsigned gl_org_kind_levels [GL_UNIT_KIND_COUNT];

struct gl_org_s {
    json_t *org_json;           //  the parsed org file; every string points into it
    json_t *categories_json;    //  the parsed categories file
    json_t *admission_json;     //  the parsed registry, or NULL when there is none
    const char *county_code;    //  county/code
    const char *county_name;    //  county/name
    gl_unit_t *units;           //  unit_count, file order
    size_t unit_count;          //  entries in units
    gl_person_t *people;        //  person_count, file order
    size_t person_count;        //  entries in people
    gl_category_t *categories;  //  category_count, file order
    size_t category_count;      //  entries in categories
    zhashx_t *unit_index;       //  id → gl_unit_t *
    zhashx_t *person_index;     //  id → gl_person_t *
    zhashx_t *category_index;   //  code → gl_category_t *
    gl_admission_t *admissions; //  admission_count, file order
    size_t admission_count;     //  entries in admissions (0: no registry)
    zhashx_t *admission_index;  //  id → gl_admission_t *
    const gl_category_t **admission_categories; //  every item's categories, one run per item
    const gl_admission_t **admission_slots;     //  every category's items, one run per category
    size_t *category_admissions;        //  per category index: its run's start in the slots
    size_t *category_admission_count;   //  per category index: items in that run
    size_t list_counts [GL_ADMISSION_COUNT];    //  items per list
    const gl_unit_t **child_slots;      //  every unit's children, one run per parent
    const gl_person_t **person_slots;   //  every unit's people, one run per unit
    const gl_person_t *const **unit_people; //  per unit index: its run in person_slots
    size_t *unit_people_count;  //  per unit index: people in that run
    const gl_unit_t *(*boards) [GL_BOARD_COUNT];    //  per unit index: a street's boards
    const gl_unit_t **centres;  //  per unit index: a street's or the county's centre
    const gl_unit_t *root;      //  the county
    size_t kind_counts [GL_UNIT_KIND_COUNT];    //  units per kind
    size_t role_counts [GL_ROLE_COUNT];         //  people per role
    gl_action_rule_t *actions;  //  action_count rules of who may act (岗位权限), file order
    size_t action_count;        //  entries in actions (0: no "actions" in the file)
};

#endif

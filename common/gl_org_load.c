/*  gl_org_load — builds the org model from the county's files (org.json, categories.json,
    admission.json) and checks it as a whole: every problem is refused with the file, the entry
    and what is wrong (gl_domain), and nothing is used before everything passed.  */
#include "gl_org_private.h"
#include "gl_domain.h"

#include <string.h>

//  What the checks need: the model being built and where the problem lies.
typedef struct {
    gl_org_t *org;              //  being built
    gl_domain_t d;              //  the file and entry being checked
} s_load_t;

//  ---------------------------------------------------------------------------------------------
//  org.json

static int
s_load_county (s_load_t *ld, const json_t *root)
{
    static const char *const top [] = { "county", "units", "people", "actions", NULL };
    static const char *const keys [] = { "code", "name", NULL };
    if (gl_domain_keys (&ld->d, root, top))
        return -1;
    const json_t *county = json_object_get (root, "county");
    if (!county)
        return gl_domain_bad (&ld->d, "'county' is missing");
    if (!json_is_object (county))
        return gl_domain_bad (&ld->d, "'county' must be an object with code and name");
    snprintf (ld->d.entry, sizeof ld->d.entry, "county");
    if (gl_domain_keys (&ld->d, county, keys)
    ||  gl_domain_string (&ld->d, county, "code", 6, &ld->org->county_code)
    ||  gl_domain_string (&ld->d, county, "name", GL_DOMAIN_NAME_MAX, &ld->org->county_name))
        return -1;
    const char *code = ld->org->county_code;
    if (strlen (code) != 6 || strspn (code, "0123456789") != 6)
        return gl_domain_bad (&ld->d, "'code' is \"%s\"; expected the 6-digit GB/T 2260 code", code);
    ld->d.entry [0] = 0;
    return 0;
}

//  First pass over one unit: its own fields; the parent is resolved later.
static int
s_load_unit (s_load_t *ld, const json_t *item, gl_unit_t *unit)
{
    static const char *const keys [] = {
        "id", "name", "kind", "parent", "level", "board", "channel", NULL
    };
    if (!json_is_object (item))
        return gl_domain_bad (&ld->d, "must be an object with id, name, kind, parent and level");
    int kind, level;
    if (gl_domain_keys (&ld->d, item, keys)
    ||  gl_domain_id (&ld->d, item, "id", &unit->id)
    ||  gl_domain_string (&ld->d, item, "name", GL_DOMAIN_NAME_MAX, &unit->name)
    ||  gl_domain_enum (&ld->d, item, "kind", gl_org_kind_names, GL_UNIT_KIND_COUNT, &kind)
    ||  gl_domain_enum (&ld->d, item, "level", gl_org_level_names, GL_LEVEL_COUNT, &level))
        return -1;
    unit->kind = kind;
    unit->level = level;
    if (!(gl_org_kind_levels [kind] & S_AT (level))) {
        char list [80] = "";
        for (int l = 0; l < GL_LEVEL_COUNT; l++)
            if (gl_org_kind_levels [kind] & S_AT (l))
                snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s",
                          *list? "|": "", gl_org_level_names [l]);
        return gl_domain_bad (&ld->d, "a unit of kind %s cannot be at level %s (expected %s)",
                      gl_org_kind_names [kind], gl_org_level_names [level], list);
    }
    const json_t *parent = json_object_get (item, "parent");
    if (!parent)
        return gl_domain_bad (&ld->d, "'parent' is missing (null for the county)");
    if (!json_is_null (parent)) {
        const char *pid;
        if (gl_domain_id (&ld->d, item, "parent", &pid))
            return -1;
    }
    unit->board = GL_BOARD_NONE;
    if (kind == GL_UNIT_BOARD) {
        int board;
        if (gl_domain_enum (&ld->d, item, "board", gl_org_board_names, GL_BOARD_COUNT, &board))
            return -1;
        unit->board = board;
    }
    else
    if (json_object_get (item, "board"))
        return gl_domain_bad (&ld->d, "'board' is only for units of kind board");
    unit->channel = GL_CHANNEL_NONE;
    if (kind == GL_UNIT_MEDIATION) {
        int channel;
        if (gl_domain_enum (&ld->d, item, "channel", gl_org_channel_names, GL_CHANNEL_COUNT, &channel))
            return -1;
        unit->channel = channel;
    }
    else
    if (json_object_get (item, "channel"))
        return gl_domain_bad (&ld->d, "'channel' is only for units of kind mediation");
    if (zhashx_insert (ld->org->unit_index, unit->id, unit))
        return gl_domain_bad (&ld->d, "duplicate id: units[%zu] has the same id",
                      ((gl_unit_t *) zhashx_lookup (ld->org->unit_index, unit->id))->index);
    return 0;
}

//  Second pass: resolve the parent and check the chain rules.
static int
s_link_unit (s_load_t *ld, const json_t *item, gl_unit_t *unit)
{
    gl_org_t *org = ld->org;
    const char *pid = json_string_value (json_object_get (item, "parent"));
    if (!pid) {
        if (unit->kind != GL_UNIT_COUNTY)
            return gl_domain_bad (&ld->d, "'parent' is null, but only the county has no parent");
        if (org->root)
            return gl_domain_bad (&ld->d, "a second county (the first is '%s'); there is one root",
                          org->root->id);
        org->root = unit;
        return 0;
    }
    const gl_unit_t *parent = zhashx_lookup (org->unit_index, pid);
    if (!parent)
        return gl_domain_bad (&ld->d, "parent '%s' is not a unit", pid);
    if (parent == unit)
        return gl_domain_bad (&ld->d, "its parent is itself");
    unit->parent = parent;
    gl_unit_kind_t want = GL_UNIT_ANY;
    switch (unit->kind) {
        case GL_UNIT_COUNTY:
            return gl_domain_bad (&ld->d, "the county must have parent null, not '%s'", pid);
        case GL_UNIT_STREET:    want = GL_UNIT_COUNTY; break;
        case GL_UNIT_COMMUNITY: want = GL_UNIT_STREET; break;
        case GL_UNIT_GRID:      want = GL_UNIT_COMMUNITY; break;
        case GL_UNIT_BOARD:     want = GL_UNIT_STREET; break;
        default:
            break;
    }
    if (want != GL_UNIT_ANY && parent->kind != want)
        return gl_domain_bad (&ld->d, "the parent of a %s must be of kind %s, but '%s' is of kind %s",
                      gl_org_kind_names [unit->kind], gl_org_kind_names [want], pid,
                      gl_org_kind_names [parent->kind]);
    if (unit->kind == GL_UNIT_CENTRE
    &&  parent->kind != GL_UNIT_STREET && parent->kind != GL_UNIT_COUNTY)
        return gl_domain_bad (&ld->d, "the parent of a centre must be a street or the county, but '%s' is "
                      "of kind %s", pid, gl_org_kind_names [parent->kind]);
    if (want == GL_UNIT_ANY && unit->level != parent->level)
        return gl_domain_bad (&ld->d, "a unit of kind %s works at its parent's level, but it says %s and "
                      "'%s' is at %s", gl_org_kind_names [unit->kind], gl_org_level_names [unit->level],
                      pid, gl_org_level_names [parent->level]);
    if (parent->kind == GL_UNIT_GRID)
        return gl_domain_bad (&ld->d, "parent '%s' is a grid; grids have no units below them", pid);
    return 0;
}

static int
s_load_units (s_load_t *ld, const json_t *root)
{
    gl_org_t *org = ld->org;
    json_t *list;
    if (gl_domain_array (&ld->d, root, "units", &list))
        return -1;
    org->unit_count = json_array_size (list);
    if (org->unit_count == 0)
        return gl_domain_bad (&ld->d, "'units' is empty; it needs at least the county");
    org->units = zmalloc ((org->unit_count) * (sizeof *org->units));
    org->centres = zmalloc ((org->unit_count) * (sizeof *org->centres));
    org->boards = zmalloc ((org->unit_count) * (sizeof *org->boards));
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        gl_domain_enter (&ld->d, "units", i, item, "id");
        org->units [i].index = i;
        if (s_load_unit (ld, item, &org->units [i]))
            return -1;
        org->kind_counts [org->units [i].kind]++;
    }
    json_array_foreach (list, i, item) {
        gl_domain_enter (&ld->d, "units", i, item, "id");
        if (s_link_unit (ld, item, &org->units [i]))
            return -1;
    }
    ld->d.entry [0] = 0;
    if (!org->root)
        return gl_domain_bad (&ld->d, "no unit of kind county with parent null (the root of the tree)");
    //  Every unit must reach the county; a cycle of same-level units never does.
    for (i = 0; i < org->unit_count; i++) {
        const gl_unit_t *u = &org->units [i];
        size_t steps = 0;
        while (u->parent && steps++ <= org->unit_count)
            u = u->parent;
        if (u != org->root) {
            gl_domain_enter (&ld->d, "units", i, json_array_get (list, i), "id");
            return gl_domain_bad (&ld->d, "following its parents never reaches the county (a cycle)");
        }
    }
    //  Children, in file order: count, then give each parent its run of slots.
    org->child_slots = zmalloc ((org->unit_count) * (sizeof *org->child_slots));
    size_t *fill = zmalloc ((org->unit_count) * (sizeof *fill));
    for (i = 0; i < org->unit_count; i++)
        if (org->units [i].parent)
            org->units [org->units [i].parent->index].child_count++;
    size_t next = 0;
    for (i = 0; i < org->unit_count; i++) {
        org->units [i].children = org->child_slots + next;
        next += org->units [i].child_count;
    }
    for (i = 0; i < org->unit_count; i++) {
        const gl_unit_t *parent = org->units [i].parent;
        if (parent)
            ((const gl_unit_t **) org->units [parent->index].children) [fill [parent->index]++]
                = &org->units [i];
    }
    free (fill);
    //  The street's centre and four boards, and the county's centre.
    for (i = 0; i < org->unit_count; i++) {
        const gl_unit_t *u = &org->units [i];
        if (u->kind == GL_UNIT_CENTRE) {
            if (org->centres [u->parent->index]) {
                gl_domain_enter (&ld->d, "units", i, json_array_get (list, i), "id");
                return gl_domain_bad (&ld->d, "'%s' already has a centre, '%s'", u->parent->id,
                              org->centres [u->parent->index]->id);
            }
            org->centres [u->parent->index] = u;
        }
        else
        if (u->kind == GL_UNIT_BOARD) {
            const gl_unit_t **slot = &org->boards [u->parent->index][u->board];
            if (*slot) {
                gl_domain_enter (&ld->d, "units", i, json_array_get (list, i), "id");
                return gl_domain_bad (&ld->d, "street '%s' already has a %s board, '%s'", u->parent->id,
                              gl_org_board_names [u->board], (*slot)->id);
            }
            *slot = u;
        }
    }
    for (i = 0; i < org->unit_count; i++) {
        const gl_unit_t *u = &org->units [i];
        if (u->kind != GL_UNIT_STREET && u->kind != GL_UNIT_COUNTY)
            continue;
        gl_domain_enter (&ld->d, "units", i, json_array_get (list, i), "id");
        if (!org->centres [i])
            return gl_domain_bad (&ld->d, "the %s has no command centre (a unit of kind centre whose "
                          "parent is '%s')", gl_org_kind_names [u->kind], u->id);
        for (int b = 0; u->kind == GL_UNIT_STREET && b < GL_BOARD_COUNT; b++)
            if (!org->boards [i][b])
                return gl_domain_bad (&ld->d, "the street has no %s board (a unit of kind board with "
                              "\"board\": \"%s\" whose parent is '%s')", gl_org_board_names [b],
                              gl_org_board_names [b], u->id);
    }
    ld->d.entry [0] = 0;
    return 0;
}

static int
s_load_people (s_load_t *ld, const json_t *root)
{
    static const char *const keys [] = { "id", "name", "role", "unit", NULL };
    gl_org_t *org = ld->org;
    json_t *list;
    if (gl_domain_array (&ld->d, root, "people", &list))
        return -1;
    org->person_count = json_array_size (list);
    org->people = zmalloc ((org->person_count + 1) * (sizeof *org->people));
    org->person_slots = zmalloc ((org->person_count + 1) * (sizeof *org->person_slots));
    org->unit_people = zmalloc ((org->unit_count) * (sizeof *org->unit_people));
    org->unit_people_count = zmalloc ((org->unit_count) * (sizeof *org->unit_people_count));
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        gl_domain_enter (&ld->d, "people", i, item, "id");
        gl_person_t *person = &org->people [i];
        int role;
        const char *uid;
        if (!json_is_object (item))
            return gl_domain_bad (&ld->d, "must be an object with id, name, role and unit");
        if (gl_domain_keys (&ld->d, item, keys)
        ||  gl_domain_id (&ld->d, item, "id", &person->id)
        ||  gl_domain_string (&ld->d, item, "name", GL_DOMAIN_NAME_MAX, &person->name)
        ||  gl_domain_enum (&ld->d, item, "role", gl_org_role_names, GL_ROLE_COUNT, &role)
        ||  gl_domain_id (&ld->d, item, "unit", &uid))
            return -1;
        person->role = role;
        person->unit = zhashx_lookup (org->unit_index, uid);
        if (!person->unit)
            return gl_domain_bad (&ld->d, "unit '%s' is not a unit", uid);
        if (person->unit->kind != gl_org_role_kinds [role])
            return gl_domain_bad (&ld->d, "role %s works in a unit of kind %s, but '%s' is of kind %s",
                          gl_org_role_names [role], gl_org_kind_names [gl_org_role_kinds [role]], uid,
                          gl_org_kind_names [person->unit->kind]);
        if (zhashx_insert (org->person_index, person->id, person)) {
            const gl_person_t *first = zhashx_lookup (org->person_index, person->id);
            return gl_domain_bad (&ld->d, "duplicate id: people[%zu] has the same id",
                          (size_t) (first - org->people));
        }
        org->role_counts [role]++;
        org->unit_people_count [person->unit->index]++;
    }
    //  Each unit's people, in file order.
    size_t next = 0;
    for (i = 0; i < org->unit_count; i++) {
        org->unit_people [i] = (const gl_person_t *const *) org->person_slots + next;
        next += org->unit_people_count [i];
    }
    size_t *fill = zmalloc ((org->unit_count) * (sizeof *fill));
    for (i = 0; i < org->person_count; i++) {
        size_t u = org->people [i].unit->index;
        ((const gl_person_t **) org->unit_people [u]) [fill [u]++] = &org->people [i];
    }
    free (fill);
    ld->d.entry [0] = 0;
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  categories.json

//  handler.grid / handler.community: a role of that kind of unit, or the kind's own name.
static int
s_tier_handler (s_load_t *ld, const json_t *handler, const char *key, gl_unit_kind_t kind,
                const char **out)
{
    if (gl_domain_string (&ld->d, handler, key, GL_DOMAIN_NAME_MAX, out))
        return -1;
    if (streq (*out, gl_org_kind_names [kind]))
        return 0;
    int role = gl_role_lookup (*out);
    if (role >= 0 && gl_org_role_kinds [role] == kind)
        return 0;
    char list [160] = "";
    snprintf (list, sizeof list, "%s", gl_org_kind_names [kind]);
    for (int r = 0; r < GL_ROLE_COUNT; r++)
        if (gl_org_role_kinds [r] == kind)
            snprintf (list + strlen (list), sizeof list - strlen (list), "|%s", gl_org_role_names [r]);
    return gl_domain_bad (&ld->d, "handler '%s' is \"%s\"; expected one of %s", key, *out, list);
}

#define S_ADVICE_MAX 1023        //  bytes of advice: a few sentences, well inside one message

static int
s_load_category (s_load_t *ld, const json_t *item, gl_category_t *cat, zhashx_t *groups)
{
    static const char *const keys [] = {
        "code", "name", "group", "board", "handler", "priority", "sanshi", "dispute", "advice",
        NULL
    };
    static const char *const handler_keys [] = {
        "grid", "community", "street", "county", NULL
    };
    static const char *const priorities [] = { "P1", "P2", "P3", "P4" };
    gl_org_t *org = ld->org;
    if (!json_is_object (item))
        return gl_domain_bad (&ld->d, "must be an object with code, name, group, board, handler, "
                      "priority, sanshi and dispute");
    int board, priority, matter;
    if (gl_domain_keys (&ld->d, item, keys)
    ||  gl_domain_string (&ld->d, item, "code", 16, &cat->code))
        return -1;
    const char *c = cat->code;
    if (strlen (c) != 5 || strspn (c, "0123456789") != 2 || c [2] != '.'
    ||  strspn (c + 3, "0123456789") != 2)
        return gl_domain_bad (&ld->d, "'code' is \"%s\"; expected LL.SS, two digits, a dot, two digits "
                      "(e.g. 01.05)", c);
    if (zhashx_insert (org->category_index, cat->code, cat)) {
        const gl_category_t *dup = zhashx_lookup (org->category_index, cat->code);
        return gl_domain_bad (&ld->d, "duplicate code: categories[%zu] has the same code",
                      (size_t) (dup - org->categories));
    }
    if (gl_domain_string (&ld->d, item, "name", GL_DOMAIN_NAME_MAX, &cat->name)
    ||  gl_domain_string (&ld->d, item, "group", GL_DOMAIN_NAME_MAX, &cat->group)
    ||  gl_domain_enum (&ld->d, item, "board", gl_org_board_names, GL_BOARD_COUNT, &board)
    ||  gl_domain_enum (&ld->d, item, "priority", priorities, 4, &priority)
    ||  gl_domain_enum (&ld->d, item, "sanshi", gl_org_matter_names, GL_MATTER_COUNT, &matter))
        return -1;
    cat->board = board;
    cat->priority = priority + 1;
    cat->matter = matter;
    const json_t *dispute = json_object_get (item, "dispute");
    if (!dispute)
        return gl_domain_bad (&ld->d, "'dispute' is missing");
    if (!json_is_boolean (dispute))
        return gl_domain_bad (&ld->d, "'dispute' must be true or false");
    cat->dispute = json_is_true (dispute);
    //  Optional: the advice a 私事 of this category is closed with (a few sentences).
    if (gl_domain_string_opt (&ld->d, item, "advice", S_ADVICE_MAX, &cat->advice))
        return -1;
    //  Every category of one group (LL) carries the same group name.
    char ll [3] = { c [0], c [1], 0 };
    const gl_category_t *first = zhashx_lookup (groups, ll);
    if (first && !streq (first->group, cat->group))
        return gl_domain_bad (&ld->d, "'group' is \"%s\", but category %s calls group %s \"%s\"",
                      cat->group, first->code, ll, first->group);
    if (!first)
        zhashx_insert (groups, ll, cat);
    //  The handler of each tier.
    const json_t *handler = json_object_get (item, "handler");
    if (!handler)
        return gl_domain_bad (&ld->d, "'handler' is missing");
    if (!json_is_object (handler))
        return gl_domain_bad (&ld->d, "'handler' must be an object with grid, community, street, county");
    if (gl_domain_keys (&ld->d, handler, handler_keys)
    ||  s_tier_handler (ld, handler, "grid", GL_UNIT_GRID, &cat->grid_handler)
    ||  s_tier_handler (ld, handler, "community", GL_UNIT_COMMUNITY, &cat->community_handler)
    ||  gl_domain_string (&ld->d, handler, "street", GL_DOMAIN_ID_MAX, &cat->street_handler))
        return -1;
    //  "C", or a suffix that names, in every street, that street's board for cat->board.
    if (!streq (cat->street_handler, "C"))
        for (size_t i = 0; i < org->unit_count; i++) {
            const gl_unit_t *street = &org->units [i];
            if (street->kind != GL_UNIT_STREET)
                continue;
            char id [2 * GL_DOMAIN_ID_MAX + 2];
            snprintf (id, sizeof id, "%s-%s", street->id, cat->street_handler);
            const gl_unit_t *unit = zhashx_lookup (org->unit_index, id);
            if (!unit || unit->kind != GL_UNIT_BOARD || unit->parent != street)
                return gl_domain_bad (&ld->d, "handler 'street' is \"%s\", but '%s' is not a board of "
                              "street '%s' (expected \"C\" for the centre or a board suffix "
                              "such as \"B4\")", cat->street_handler, id, street->id);
            if (unit->board != cat->board)
                return gl_domain_bad (&ld->d, "handler 'street' \"%s\" is the %s board ('%s'), but the "
                              "category's board is %s", cat->street_handler,
                              gl_org_board_names [unit->board], id, gl_org_board_names [cat->board]);
        }
    const char *county;
    if (gl_domain_id (&ld->d, handler, "county", &county))
        return -1;
    cat->county_handler = zhashx_lookup (org->unit_index, county);
    if (!cat->county_handler)
        return gl_domain_bad (&ld->d, "handler 'county' '%s' is not a unit", county);
    const gl_unit_t *h = cat->county_handler;
    if (h->level != GL_LEVEL_COUNTY
    ||  (h->kind != GL_UNIT_DEPARTMENT && h->kind != GL_UNIT_MEDIATION
    &&   h->kind != GL_UNIT_CENTRE && h->kind != GL_UNIT_OFFICE))
        return gl_domain_bad (&ld->d, "handler 'county' '%s' is of kind %s at level %s; expected a "
                      "county-level department, mediation channel, centre or office", county,
                      gl_org_kind_names [h->kind], gl_org_level_names [h->level]);
    return 0;
}

static int
s_load_categories (s_load_t *ld, const json_t *root)
{
    static const char *const top [] = { "categories", NULL };
    gl_org_t *org = ld->org;
    json_t *list;
    if (gl_domain_keys (&ld->d, root, top) || gl_domain_array (&ld->d, root, "categories", &list))
        return -1;
    org->category_count = json_array_size (list);
    if (org->category_count == 0)
        return gl_domain_bad (&ld->d, "'categories' is empty");
    org->categories = zmalloc ((org->category_count) * (sizeof *org->categories));
    zhashx_t *groups = zhashx_new ();       //  "LL" → the group's first category
    size_t i;
    json_t *item;
    int rc = 0;
    json_array_foreach (list, i, item) {
        gl_domain_enter (&ld->d, "categories", i, item, "code");
        if ((rc = s_load_category (ld, item, &org->categories [i], groups)))
            break;
    }
    zhashx_destroy (&groups);
    if (rc == 0)
        ld->d.entry [0] = 0;
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  admission.json (事项准入)

static int
s_load_admission (s_load_t *ld, const json_t *item, gl_admission_t *adm,
                  const gl_category_t **slots)
{
    static const char *const keys [] = {
        "id", "name", "list", "categories", "levels", "department", "basis", "approved",
        "expires", NULL
    };
    gl_org_t *org = ld->org;
    if (!json_is_object (item))
        return gl_domain_bad (&ld->d, "must be an object with id, name, list, categories, levels, "
                      "department, basis, approved and expires");
    int list;
    if (gl_domain_keys (&ld->d, item, keys)
    ||  gl_domain_id (&ld->d, item, "id", &adm->id))
        return -1;
    if (zhashx_insert (org->admission_index, adm->id, adm)) {
        const gl_admission_t *first = zhashx_lookup (org->admission_index, adm->id);
        return gl_domain_bad (&ld->d, "duplicate id: items[%zu] has the same id",
                      (size_t) (first - org->admissions));
    }
    if (gl_domain_string (&ld->d, item, "name", GL_DOMAIN_NAME_MAX, &adm->name)
    ||  gl_domain_enum (&ld->d, item, "list", gl_org_list_names, GL_ADMISSION_COUNT, &list))
        return -1;
    adm->list = list;
    //  The categories: known codes, each once; only a negative item may list none (a matter
    //  no event category maps to, kept on the list for the record).
    json_t *array;
    if (gl_domain_strings (&ld->d, item, "categories", list == GL_ADMISSION_NEGATIVE, &array))
        return -1;
    size_t i, j;
    json_t *value;
    json_array_foreach (array, i, value) {
        const char *code = json_string_value (value);
        slots [i] = zhashx_lookup (org->category_index, code);
        if (!slots [i])
            return gl_domain_bad (&ld->d, "category '%s' is not in the categories file", code);
        for (j = 0; j < i; j++)
            if (slots [j] == slots [i])
                return gl_domain_bad (&ld->d, "'categories' lists %s twice", code);
    }
    adm->categories = slots;
    adm->category_count = json_array_size (array);
    //  The tiers: community and grid only.
    if (gl_domain_strings (&ld->d, item, "levels", false, &array))
        return -1;
    json_array_foreach (array, i, value) {
        const char *name = json_string_value (value);
        int level = gl_level_lookup (name);
        if (level != GL_LEVEL_COMMUNITY && level != GL_LEVEL_GRID)
            return gl_domain_bad (&ld->d, "'levels' has \"%s\"; expected community|grid (only work given "
                          "to a community or a grid needs admitting)", name);
        if (adm->levels & S_AT (level))
            return gl_domain_bad (&ld->d, "'levels' lists %s twice", name);
        adm->levels |= S_AT (level);
    }
    //  The owning department.
    const char *did;
    if (gl_domain_id (&ld->d, item, "department", &did))
        return -1;
    adm->department = zhashx_lookup (org->unit_index, did);
    if (!adm->department)
        return gl_domain_bad (&ld->d, "department '%s' is not a unit", did);
    if (adm->department->kind != GL_UNIT_DEPARTMENT)
        return gl_domain_bad (&ld->d, "department '%s' is of kind %s; expected a county unit of kind "
                      "department", did, gl_org_kind_names [adm->department->kind]);
    int64_t approved, expires;
    if (gl_domain_string (&ld->d, item, "basis", 1024, &adm->basis)
    ||  gl_domain_date (&ld->d, item, "approved", &adm->approved, &approved)
    ||  gl_domain_date (&ld->d, item, "expires", &adm->expires, &expires))
        return -1;
    adm->approved_ms = approved * S_DAY_MS - S_DATE_OFFSET_MS;
    adm->expires_ms = expires * S_DAY_MS - S_DATE_OFFSET_MS;
    if (adm->expires_ms <= adm->approved_ms)
        return gl_domain_bad (&ld->d, "'expires' %s is not after 'approved' %s", adm->expires,
                      adm->approved);
    org->list_counts [list]++;
    return 0;
}

//  An admitted item must not cover what a negative item forbids at the same level in an
//  overlapping period: the registry says one thing for every category, level and day.
static int
s_check_conflicts (s_load_t *ld, const json_t *list)
{
    gl_org_t *org = ld->org;
    for (size_t i = 0; i < org->admission_count; i++)
        for (size_t j = 0; j < i; j++) {
            const gl_admission_t *a = &org->admissions [i], *b = &org->admissions [j];
            if ((a->list == GL_ADMISSION_NEGATIVE) == (b->list == GL_ADMISSION_NEGATIVE)
            ||  !(a->levels & b->levels)
            ||  a->approved_ms >= b->expires_ms || b->approved_ms >= a->expires_ms)
                continue;
            const gl_admission_t *negative = a->list == GL_ADMISSION_NEGATIVE? a: b;
            for (size_t x = 0; x < a->category_count; x++)
                for (size_t y = 0; y < b->category_count; y++) {
                    if (a->categories [x] != b->categories [y])
                        continue;
                    gl_domain_enter (&ld->d, "items", i, json_array_get (list, i), "id");
                    int level = (a->levels & b->levels & S_AT (GL_LEVEL_COMMUNITY))
                              ? GL_LEVEL_COMMUNITY: GL_LEVEL_GRID;
                    return gl_domain_bad (&ld->d, "%s %s at level %s, but items[%zu] '%s' %s it in an "
                                  "overlapping period (%s to %s); a matter cannot be admitted "
                                  "and on the negative list at once", a == negative
                                  ? "forbids": "admits", a->categories [x]->code,
                                  gl_org_level_names [level], j, b->id, b == negative
                                  ? "on the negative list forbids": "admits", b->approved,
                                  b->expires);
                }
        }
    return 0;
}

static int
s_load_admissions (s_load_t *ld, const json_t *root)
{
    static const char *const top [] = { "items", NULL };
    gl_org_t *org = ld->org;
    json_t *list;
    if (gl_domain_keys (&ld->d, root, top) || gl_domain_array (&ld->d, root, "items", &list))
        return -1;
    org->admission_count = json_array_size (list);
    if (org->admission_count == 0)
        return gl_domain_bad (&ld->d, "'items' is empty, which would admit nothing; to admit everything, "
                      "set domain/admission to \"\" instead");
    //  Room for every item's categories, counted from the file (checked item by item below).
    size_t i, total = 0;
    json_t *item;
    json_array_foreach (list, i, item)
        total += json_array_size (json_object_get (item, "categories"));
    org->admissions = zmalloc ((org->admission_count) * (sizeof *org->admissions));
    org->admission_categories = zmalloc ((total + 1) * (sizeof *org->admission_categories));
    org->admission_slots = zmalloc ((total + 1) * (sizeof *org->admission_slots));
    org->category_admissions = zmalloc ((org->category_count) * (sizeof (size_t)));
    org->category_admission_count = zmalloc ((org->category_count) * (sizeof (size_t)));
    size_t next = 0;
    json_array_foreach (list, i, item) {
        gl_domain_enter (&ld->d, "items", i, item, "id");
        if (s_load_admission (ld, item, &org->admissions [i], org->admission_categories + next))
            return -1;
        next += org->admissions [i].category_count;
    }
    if (s_check_conflicts (ld, list))
        return -1;
    //  Each category's items, in file order.
    for (i = 0; i < org->admission_count; i++)
        for (size_t c = 0; c < org->admissions [i].category_count; c++)
            org->category_admission_count [org->admissions [i].categories [c]
                                           - org->categories]++;
    next = 0;
    for (i = 0; i < org->category_count; i++) {
        org->category_admissions [i] = next;
        next += org->category_admission_count [i];
    }
    size_t *fill = zmalloc ((org->category_count) * (sizeof *fill));
    for (i = 0; i < org->admission_count; i++)
        for (size_t c = 0; c < org->admissions [i].category_count; c++) {
            size_t k = org->admissions [i].categories [c] - org->categories;
            org->admission_slots [org->category_admissions [k] + fill [k]++]
                = &org->admissions [i];
        }
    free (fill);
    ld->d.entry [0] = 0;
    return 0;
}

//  ---------------------------------------------------------------------------------------------

//  "actions": optional; each rule {op, unit, roles}: the unit kind's roles allowed to give op.
//  A role must belong in that kind of unit, and one op and kind have one rule.
static int
s_load_actions (s_load_t *ld, const json_t *root)
{
    static const char *const keys [] = { "op", "unit", "roles", NULL };
    gl_org_t *org = ld->org;
    if (!json_object_get (root, "actions"))
        return 0;
    json_t *list;
    if (gl_domain_array (&ld->d, root, "actions", &list))
        return -1;
    org->action_count = json_array_size (list);
    org->actions = zmalloc ((org->action_count + 1) * sizeof *org->actions);
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        gl_domain_enter_name (&ld->d, "actions[%zu]", i);
        gl_action_rule_t *rule = &org->actions [i];
        int kind;
        json_t *roles;
        if (!json_is_object (item))
            return gl_domain_bad (&ld->d, "must be an object with op, unit and roles");
        if (gl_domain_keys (&ld->d, item, keys)
        ||  gl_domain_id (&ld->d, item, "op", &rule->op)
        ||  gl_domain_enum (&ld->d, item, "unit", gl_org_kind_names, GL_UNIT_KIND_COUNT, &kind)
        ||  gl_domain_strings (&ld->d, item, "roles", false, &roles))
            return -1;
        rule->kind = kind;
        for (size_t j = 0; j < i; j++)
            if (streq (org->actions [j].op, rule->op) && org->actions [j].kind == rule->kind)
                return gl_domain_bad (&ld->d, "actions[%zu] already says who in a %s may %s",
                                      j, gl_org_kind_names [kind], rule->op);
        size_t r;
        json_t *name;
        json_array_foreach (roles, r, name) {
            int role = gl_domain_lookup (gl_org_role_names, GL_ROLE_COUNT,
                                         json_string_value (name));
            if (role < 0)
                return gl_domain_bad (&ld->d, "roles[%zu] is \"%s\": not a role", r,
                                      json_string_value (name));
            if (gl_org_role_kinds [role] != rule->kind)
                return gl_domain_bad (&ld->d, "roles[%zu] is %s, who works in a %s, not in a %s",
                                      r, gl_org_role_names [role],
                                      gl_org_kind_names [gl_org_role_kinds [role]],
                                      gl_org_kind_names [kind]);
            rule->roles |= 1u << role;
        }
    }
    return 0;
}

//  One of the three documents: the file at path, or (text given) the text itself, named path.
static json_t *
s_parse (const char *path, const char *text, gl_err_t *err)
{
    return text? gl_domain_parse_text (text, path, err): gl_domain_parse (path, err);
}

//  gl_org_load and gl_org_load_text: texts NULL reads the files, else texts [0..2] are their
//  contents (texts [2] NULL: no registry).
static gl_org_t *
s_org_load (const char *org_path, const char *categories_path, const char *admission_path,
            const char *const *texts, gl_err_t *err)
{
    gl_org_t *self = (gl_org_t *) zmalloc (sizeof *self);
    self->unit_index = zhashx_new ();       //  CZMQ aborts if these cannot be allocated
    self->person_index = zhashx_new ();
    self->category_index = zhashx_new ();
    self->admission_index = zhashx_new ();
    s_load_t ld = { self, { org_path, err, "" } };
    if (!(self->org_json = s_parse (org_path, texts? texts [0]: NULL, err))
    ||  s_load_county (&ld, self->org_json)
    ||  s_load_units (&ld, self->org_json)
    ||  s_load_people (&ld, self->org_json)
    ||  s_load_actions (&ld, self->org_json))
        goto fail;
    ld.d.path = categories_path;
    ld.d.entry [0] = 0;
    if (!(self->categories_json = s_parse (categories_path, texts? texts [1]: NULL, err))
    ||  s_load_categories (&ld, self->categories_json))
        goto fail;
    if (texts? texts [2] != NULL: admission_path && *admission_path) {
        ld.d.path = admission_path;
        ld.d.entry [0] = 0;
        if (!(self->admission_json = s_parse (admission_path, texts? texts [2]: NULL, err))
        ||  s_load_admissions (&ld, self->admission_json))
            goto fail;
    }
    return self;
fail:
    gl_org_destroy (&self);
    return NULL;
}

gl_org_t *
gl_org_load (const char *org_path, const char *categories_path, const char *admission_path,
             gl_err_t *err)
{
    return s_org_load (org_path, categories_path, admission_path, NULL, err);
}

gl_org_t *
gl_org_load_text (const char *org_text, const char *categories_text,
                  const char *admission_text, gl_err_t *err)
{
    const char *texts [] = { org_text, categories_text, admission_text };
    return s_org_load ("org.json", "categories.json", "admission.json", texts, err);
}

void
gl_org_destroy (gl_org_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gl_org_t *self = *self_p;
    zhashx_destroy (&self->unit_index);
    zhashx_destroy (&self->person_index);
    zhashx_destroy (&self->category_index);
    zhashx_destroy (&self->admission_index);
    free (self->admissions);
    free (self->admission_categories);
    free (self->admission_slots);
    free (self->category_admissions);
    free (self->category_admission_count);
    free (self->units);
    free (self->people);
    free (self->actions);
    free (self->categories);
    free (self->child_slots);
    free (self->person_slots);
    free (self->unit_people);
    free (self->unit_people_count);
    free (self->boards);
    free (self->centres);
    if (self->org_json)
        json_decref (self->org_json);
    if (self->categories_json)
        json_decref (self->categories_json);
    if (self->admission_json)
        json_decref (self->admission_json);
    free (self);
    *self_p = NULL;
}


/*  gl_org — the org model, categories and admitted-items registry: load with jansson, check
    everything, index by id.  */
#include "gl_org.h"

#include <czmq.h>
#include <jansson.h>
#include <string.h>

#define S_ID_MAX    63          //  longest unit or person id: ids travel in topics and keys
#define S_NAME_MAX  255         //  longest name in bytes (about 85 Chinese characters)

static const char *const s_kind_names [GL_UNIT_KIND_COUNT] = {
    "county", "street", "community", "grid", "centre", "board", "department", "mediation",
    "office"
};
static const char *const s_level_names [GL_LEVEL_COUNT] = {
    "county", "street", "community", "grid"
};
static const char *const s_board_names [GL_BOARD_COUNT] = {
    "party", "economy", "livelihood", "safety"
};
static const char *const s_channel_names [GL_CHANNEL_COUNT] = {
    "court", "procuratorate", "police", "petitions"
};
static const char *const s_role_names [GL_ROLE_COUNT] = {
    "grid_leader", "grid_worker", "grid_worker_part_time", "grid_instructor", "helper",
    "community_staff", "commander", "duty_officer", "board_lead", "board_staff",
    "department_staff", "mediator", "assessor"
};
//  The kind of unit each role works in, in gl_role_t order.
static const gl_unit_kind_t s_role_kinds [GL_ROLE_COUNT] = {
    GL_UNIT_GRID, GL_UNIT_GRID, GL_UNIT_GRID, GL_UNIT_GRID, GL_UNIT_GRID,
    GL_UNIT_COMMUNITY, GL_UNIT_CENTRE, GL_UNIT_CENTRE, GL_UNIT_BOARD, GL_UNIT_BOARD,
    GL_UNIT_DEPARTMENT, GL_UNIT_MEDIATION, GL_UNIT_OFFICE
};
static const char *const s_sanshi_names [GL_SANSHI_COUNT] = { "major", "minor", "private" };
static const char *const s_list_names [GL_ADMISSION_COUNT] = {
    "duty", "assist", "negative", "certify"
};
//  Registry dates are days of China Standard Time.
#define S_DAY_MS        (24 * 3600 * INT64_C (1000))
#define S_DATE_OFFSET_MS (8 * 3600 * INT64_C (1000))

//  The levels each kind may work at (bit per gl_level_t).
#define S_AT(level) (1u << (level))
static const unsigned s_kind_levels [GL_UNIT_KIND_COUNT] = {
    S_AT (GL_LEVEL_COUNTY), S_AT (GL_LEVEL_STREET), S_AT (GL_LEVEL_COMMUNITY),
    S_AT (GL_LEVEL_GRID),
    S_AT (GL_LEVEL_COUNTY) | S_AT (GL_LEVEL_STREET),                            //  centre
    S_AT (GL_LEVEL_STREET),                                                     //  board
    S_AT (GL_LEVEL_COUNTY) | S_AT (GL_LEVEL_STREET),                            //  department
    S_AT (GL_LEVEL_COUNTY) | S_AT (GL_LEVEL_STREET),                            //  mediation
    S_AT (GL_LEVEL_COUNTY) | S_AT (GL_LEVEL_STREET) | S_AT (GL_LEVEL_COMMUNITY) //  office
};

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
};

//  What the checks need: the model being built and where the problem lies.
typedef struct {
    gl_org_t *org;              //  being built
    const char *path;           //  file being checked
    gl_err_t *err;              //  where the first problem goes
    char entry [128];           //  the entry being checked, e.g. "units[57] 'SJ-01-01'"
} s_load_t;

static int
s_lookup (const char *const *names, int count, const char *name)
{
    for (int i = 0; name && i < count; i++)
        if (streq (names [i], name))
            return i;
    return -1;
}

const char *
gl_unit_kind_name (gl_unit_kind_t k)
{
    return k >= 0 && k < GL_UNIT_KIND_COUNT? s_kind_names [k]: "?";
}

const char *
gl_level_name (gl_level_t l)
{
    return l >= 0 && l < GL_LEVEL_COUNT? s_level_names [l]: "?";
}

const char *
gl_board_name (gl_board_t b)
{
    return b >= 0 && b < GL_BOARD_COUNT? s_board_names [b]: "?";
}

const char *
gl_channel_name (gl_channel_t c)
{
    return c >= 0 && c < GL_CHANNEL_COUNT? s_channel_names [c]: "?";
}

const char *
gl_role_name (gl_role_t r)
{
    return r >= 0 && r < GL_ROLE_COUNT? s_role_names [r]: "?";
}

const char *
gl_sanshi_name (gl_sanshi_t s)
{
    return s >= 0 && s < GL_SANSHI_COUNT? s_sanshi_names [s]: "?";
}

int
gl_unit_kind_lookup (const char *name)
{
    return s_lookup (s_kind_names, GL_UNIT_KIND_COUNT, name);
}

int
gl_level_lookup (const char *name)
{
    return s_lookup (s_level_names, GL_LEVEL_COUNT, name);
}

int
gl_board_lookup (const char *name)
{
    return s_lookup (s_board_names, GL_BOARD_COUNT, name);
}

int
gl_channel_lookup (const char *name)
{
    return s_lookup (s_channel_names, GL_CHANNEL_COUNT, name);
}

int
gl_role_lookup (const char *name)
{
    return s_lookup (s_role_names, GL_ROLE_COUNT, name);
}

int
gl_sanshi_lookup (const char *name)
{
    return s_lookup (s_sanshi_names, GL_SANSHI_COUNT, name);
}

const char *
gl_admission_list_name (gl_admission_list_t list)
{
    return list >= 0 && list < GL_ADMISSION_COUNT? s_list_names [list]: "?";
}

int
gl_admission_list_lookup (const char *name)
{
    return s_lookup (s_list_names, GL_ADMISSION_COUNT, name);
}

gl_unit_kind_t
gl_role_kind (gl_role_t role)
{
    return role >= 0 && role < GL_ROLE_COUNT? s_role_kinds [role]: GL_UNIT_ANY;
}

//  ---------------------------------------------------------------------------------------------
//  Checking helpers. Each returns 0, or -1 having set err as "<file>: <entry>: <problem>".

static int
s_bad (s_load_t *ld, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static int
s_bad (s_load_t *ld, const char *format, ...)
{
    char problem [256];
    va_list args;
    va_start (args, format);
    vsnprintf (problem, sizeof problem, format, args);
    va_end (args);
    return gl_fail (ld->err, GL_INVALID, "%s: %s%s%s", ld->path, ld->entry,
                    *ld->entry? ": ": "", problem);
}

//  An allocation sized by the file failed.
static int
s_oom (s_load_t *ld)
{
    return gl_fail (ld->err, GL_INTERNAL, "%s: out of memory while loading it", ld->path);
}

//  Name the entry list[i], with its id when it has a usable one.
static void
s_enter (s_load_t *ld, const char *list, size_t i, const json_t *item, const char *id_key)
{
    const char *id = json_string_value (json_object_get (item, id_key));
    if (id && strlen (id) <= S_ID_MAX)
        snprintf (ld->entry, sizeof ld->entry, "%s[%zu] '%s'", list, i, id);
    else
        snprintf (ld->entry, sizeof ld->entry, "%s[%zu]", list, i);
}

//  Every key of obj must be one of the NULL-terminated allowed list.
static int
s_keys (s_load_t *ld, const json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) obj, key, value) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = streq (*a, key);
        if (!known) {
            char list [160] = "";
            for (const char *const *a = allowed; *a; a++)
                snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s",
                          a == allowed? "": ", ", *a);
            return s_bad (ld, "unknown key '%s' (expected %s)", key, list);
        }
    }
    return 0;
}

//  A required non-empty string of at most max bytes without NUL.
static int
s_string (s_load_t *ld, const json_t *obj, const char *key, size_t max, const char **out)
{
    const json_t *value = json_object_get (obj, key);
    if (!value)
        return s_bad (ld, "'%s' is missing", key);
    if (!json_is_string (value))
        return s_bad (ld, "'%s' must be a string", key);
    const char *text = json_string_value (value);
    size_t len = json_string_length (value);
    if (len == 0)
        return s_bad (ld, "'%s' is empty", key);
    if (strlen (text) != len)
        return s_bad (ld, "'%s' contains a NUL character", key);
    if (len > max)
        return s_bad (ld, "'%s' is %zu bytes long; at most %zu are accepted", key, len, max);
    *out = text;
    return 0;
}

//  An id: 1..S_ID_MAX of A-Z a-z 0-9 - _ (no '.': unit ids end topics, whose segments are
//  dot-separated).
static int
s_id (s_load_t *ld, const json_t *obj, const char *key, const char **out)
{
    if (s_string (ld, obj, key, S_ID_MAX, out))
        return -1;
    for (const char *c = *out; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
        ||    *c == '-' || *c == '_'))
            return s_bad (ld, "'%s' is \"%s\"; ids use only letters, digits, '-' and '_'",
                          key, *out);
    return 0;
}

//  A string that must be one of names; *out is its index.
static int
s_enum (s_load_t *ld, const json_t *obj, const char *key, const char *const *names,
        int count, int *out)
{
    const char *text;
    if (s_string (ld, obj, key, S_NAME_MAX, &text))
        return -1;
    *out = s_lookup (names, count, text);
    if (*out >= 0)
        return 0;
    char list [200] = "";
    for (int i = 0; i < count; i++)
        snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", i? "|": "",
                  names [i]);
    return s_bad (ld, "'%s' is \"%s\"; expected one of %s", key, text, list);
}

//  The JSON array under key in root, or -1.
static int
s_array (s_load_t *ld, const json_t *root, const char *key, json_t **out)
{
    *out = json_object_get (root, key);
    if (!*out)
        return s_bad (ld, "'%s' is missing", key);
    if (!json_is_array (*out))
        return s_bad (ld, "'%s' must be an array", key);
    return 0;
}

static json_t *
s_parse (const char *path, gl_err_t *err)
{
    json_error_t error;
    json_t *root = json_load_file (path, JSON_REJECT_DUPLICATES, &error);
    if (!root) {
        if (!zsys_file_exists (path))
            gl_fail (err, GL_INVALID, "%s: no such file", path);
        else
            gl_fail (err, GL_INVALID, "%s: not valid JSON: %s (line %d, column %d)", path,
                     error.text, error.line, error.column);
        return NULL;
    }
    if (!json_is_object (root)) {
        json_decref (root);
        gl_fail (err, GL_INVALID, "%s: the top level must be a JSON object", path);
        return NULL;
    }
    return root;
}

//  ---------------------------------------------------------------------------------------------
//  org.json

static int
s_load_county (s_load_t *ld, const json_t *root)
{
    static const char *const top [] = { "county", "units", "people", NULL };
    static const char *const keys [] = { "code", "name", NULL };
    if (s_keys (ld, root, top))
        return -1;
    const json_t *county = json_object_get (root, "county");
    if (!county)
        return s_bad (ld, "'county' is missing");
    if (!json_is_object (county))
        return s_bad (ld, "'county' must be an object with code and name");
    snprintf (ld->entry, sizeof ld->entry, "county");
    if (s_keys (ld, county, keys)
    ||  s_string (ld, county, "code", 6, &ld->org->county_code)
    ||  s_string (ld, county, "name", S_NAME_MAX, &ld->org->county_name))
        return -1;
    const char *code = ld->org->county_code;
    if (strlen (code) != 6 || strspn (code, "0123456789") != 6)
        return s_bad (ld, "'code' is \"%s\"; expected the 6-digit GB/T 2260 code", code);
    ld->entry [0] = 0;
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
        return s_bad (ld, "must be an object with id, name, kind, parent and level");
    int kind, level;
    if (s_keys (ld, item, keys)
    ||  s_id (ld, item, "id", &unit->id)
    ||  s_string (ld, item, "name", S_NAME_MAX, &unit->name)
    ||  s_enum (ld, item, "kind", s_kind_names, GL_UNIT_KIND_COUNT, &kind)
    ||  s_enum (ld, item, "level", s_level_names, GL_LEVEL_COUNT, &level))
        return -1;
    unit->kind = kind;
    unit->level = level;
    if (!(s_kind_levels [kind] & S_AT (level))) {
        char list [80] = "";
        for (int l = 0; l < GL_LEVEL_COUNT; l++)
            if (s_kind_levels [kind] & S_AT (l))
                snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s",
                          *list? "|": "", s_level_names [l]);
        return s_bad (ld, "a unit of kind %s cannot be at level %s (expected %s)",
                      s_kind_names [kind], s_level_names [level], list);
    }
    const json_t *parent = json_object_get (item, "parent");
    if (!parent)
        return s_bad (ld, "'parent' is missing (null for the county)");
    if (!json_is_null (parent)) {
        const char *pid;
        if (s_id (ld, item, "parent", &pid))
            return -1;
    }
    unit->board = GL_BOARD_NONE;
    if (kind == GL_UNIT_BOARD) {
        int board;
        if (s_enum (ld, item, "board", s_board_names, GL_BOARD_COUNT, &board))
            return -1;
        unit->board = board;
    }
    else
    if (json_object_get (item, "board"))
        return s_bad (ld, "'board' is only for units of kind board");
    unit->channel = GL_CHANNEL_NONE;
    if (kind == GL_UNIT_MEDIATION) {
        int channel;
        if (s_enum (ld, item, "channel", s_channel_names, GL_CHANNEL_COUNT, &channel))
            return -1;
        unit->channel = channel;
    }
    else
    if (json_object_get (item, "channel"))
        return s_bad (ld, "'channel' is only for units of kind mediation");
    if (zhashx_insert (ld->org->unit_index, unit->id, unit))
        return s_bad (ld, "duplicate id: units[%zu] has the same id",
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
            return s_bad (ld, "'parent' is null, but only the county has no parent");
        if (org->root)
            return s_bad (ld, "a second county (the first is '%s'); there is one root",
                          org->root->id);
        org->root = unit;
        return 0;
    }
    const gl_unit_t *parent = zhashx_lookup (org->unit_index, pid);
    if (!parent)
        return s_bad (ld, "parent '%s' is not a unit", pid);
    if (parent == unit)
        return s_bad (ld, "its parent is itself");
    unit->parent = parent;
    gl_unit_kind_t want = GL_UNIT_ANY;
    switch (unit->kind) {
        case GL_UNIT_COUNTY:
            return s_bad (ld, "the county must have parent null, not '%s'", pid);
        case GL_UNIT_STREET:    want = GL_UNIT_COUNTY; break;
        case GL_UNIT_COMMUNITY: want = GL_UNIT_STREET; break;
        case GL_UNIT_GRID:      want = GL_UNIT_COMMUNITY; break;
        case GL_UNIT_BOARD:     want = GL_UNIT_STREET; break;
        default:
            break;
    }
    if (want != GL_UNIT_ANY && parent->kind != want)
        return s_bad (ld, "the parent of a %s must be of kind %s, but '%s' is of kind %s",
                      s_kind_names [unit->kind], s_kind_names [want], pid,
                      s_kind_names [parent->kind]);
    if (unit->kind == GL_UNIT_CENTRE
    &&  parent->kind != GL_UNIT_STREET && parent->kind != GL_UNIT_COUNTY)
        return s_bad (ld, "the parent of a centre must be a street or the county, but '%s' is "
                      "of kind %s", pid, s_kind_names [parent->kind]);
    if (want == GL_UNIT_ANY && unit->level != parent->level)
        return s_bad (ld, "a unit of kind %s works at its parent's level, but it says %s and "
                      "'%s' is at %s", s_kind_names [unit->kind], s_level_names [unit->level],
                      pid, s_level_names [parent->level]);
    if (parent->kind == GL_UNIT_GRID)
        return s_bad (ld, "parent '%s' is a grid; grids have no units below them", pid);
    return 0;
}

static int
s_load_units (s_load_t *ld, const json_t *root)
{
    gl_org_t *org = ld->org;
    json_t *list;
    if (s_array (ld, root, "units", &list))
        return -1;
    org->unit_count = json_array_size (list);
    if (org->unit_count == 0)
        return s_bad (ld, "'units' is empty; it needs at least the county");
    org->units = calloc (org->unit_count, sizeof *org->units);
    org->centres = calloc (org->unit_count, sizeof *org->centres);
    org->boards = calloc (org->unit_count, sizeof *org->boards);
    if (!org->units || !org->centres || !org->boards)
        return s_oom (ld);
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        s_enter (ld, "units", i, item, "id");
        org->units [i].index = i;
        if (s_load_unit (ld, item, &org->units [i]))
            return -1;
        org->kind_counts [org->units [i].kind]++;
    }
    json_array_foreach (list, i, item) {
        s_enter (ld, "units", i, item, "id");
        if (s_link_unit (ld, item, &org->units [i]))
            return -1;
    }
    ld->entry [0] = 0;
    if (!org->root)
        return s_bad (ld, "no unit of kind county with parent null (the root of the tree)");
    //  Every unit must reach the county; a cycle of same-level units never does.
    for (i = 0; i < org->unit_count; i++) {
        const gl_unit_t *u = &org->units [i];
        size_t steps = 0;
        while (u->parent && steps++ <= org->unit_count)
            u = u->parent;
        if (u != org->root) {
            s_enter (ld, "units", i, json_array_get (list, i), "id");
            return s_bad (ld, "following its parents never reaches the county (a cycle)");
        }
    }
    //  Children, in file order: count, then give each parent its run of slots.
    org->child_slots = calloc (org->unit_count, sizeof *org->child_slots);
    size_t *fill = calloc (org->unit_count, sizeof *fill);
    if (!fill || !org->child_slots) {
        free (fill);
        return s_oom (ld);
    }
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
                s_enter (ld, "units", i, json_array_get (list, i), "id");
                return s_bad (ld, "'%s' already has a centre, '%s'", u->parent->id,
                              org->centres [u->parent->index]->id);
            }
            org->centres [u->parent->index] = u;
        }
        else
        if (u->kind == GL_UNIT_BOARD) {
            const gl_unit_t **slot = &org->boards [u->parent->index][u->board];
            if (*slot) {
                s_enter (ld, "units", i, json_array_get (list, i), "id");
                return s_bad (ld, "street '%s' already has a %s board, '%s'", u->parent->id,
                              s_board_names [u->board], (*slot)->id);
            }
            *slot = u;
        }
    }
    for (i = 0; i < org->unit_count; i++) {
        const gl_unit_t *u = &org->units [i];
        if (u->kind != GL_UNIT_STREET && u->kind != GL_UNIT_COUNTY)
            continue;
        s_enter (ld, "units", i, json_array_get (list, i), "id");
        if (!org->centres [i])
            return s_bad (ld, "the %s has no command centre (a unit of kind centre whose "
                          "parent is '%s')", s_kind_names [u->kind], u->id);
        for (int b = 0; u->kind == GL_UNIT_STREET && b < GL_BOARD_COUNT; b++)
            if (!org->boards [i][b])
                return s_bad (ld, "the street has no %s board (a unit of kind board with "
                              "\"board\": \"%s\" whose parent is '%s')", s_board_names [b],
                              s_board_names [b], u->id);
    }
    ld->entry [0] = 0;
    return 0;
}

static int
s_load_people (s_load_t *ld, const json_t *root)
{
    static const char *const keys [] = { "id", "name", "role", "unit", NULL };
    gl_org_t *org = ld->org;
    json_t *list;
    if (s_array (ld, root, "people", &list))
        return -1;
    org->person_count = json_array_size (list);
    org->people = calloc (org->person_count + 1, sizeof *org->people);
    org->person_slots = calloc (org->person_count + 1, sizeof *org->person_slots);
    org->unit_people = calloc (org->unit_count, sizeof *org->unit_people);
    org->unit_people_count = calloc (org->unit_count, sizeof *org->unit_people_count);
    if (!org->people || !org->person_slots || !org->unit_people || !org->unit_people_count)
        return s_oom (ld);
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        s_enter (ld, "people", i, item, "id");
        gl_person_t *person = &org->people [i];
        int role;
        const char *uid;
        if (!json_is_object (item))
            return s_bad (ld, "must be an object with id, name, role and unit");
        if (s_keys (ld, item, keys)
        ||  s_id (ld, item, "id", &person->id)
        ||  s_string (ld, item, "name", S_NAME_MAX, &person->name)
        ||  s_enum (ld, item, "role", s_role_names, GL_ROLE_COUNT, &role)
        ||  s_id (ld, item, "unit", &uid))
            return -1;
        person->role = role;
        person->unit = zhashx_lookup (org->unit_index, uid);
        if (!person->unit)
            return s_bad (ld, "unit '%s' is not a unit", uid);
        if (person->unit->kind != s_role_kinds [role])
            return s_bad (ld, "role %s works in a unit of kind %s, but '%s' is of kind %s",
                          s_role_names [role], s_kind_names [s_role_kinds [role]], uid,
                          s_kind_names [person->unit->kind]);
        if (zhashx_insert (org->person_index, person->id, person)) {
            const gl_person_t *first = zhashx_lookup (org->person_index, person->id);
            return s_bad (ld, "duplicate id: people[%zu] has the same id",
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
    size_t *fill = calloc (org->unit_count, sizeof *fill);
    if (!fill)
        return s_oom (ld);
    for (i = 0; i < org->person_count; i++) {
        size_t u = org->people [i].unit->index;
        ((const gl_person_t **) org->unit_people [u]) [fill [u]++] = &org->people [i];
    }
    free (fill);
    ld->entry [0] = 0;
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  categories.json

//  handler.grid / handler.community: a role of that kind of unit, or the kind's own name.
static int
s_tier_handler (s_load_t *ld, const json_t *handler, const char *key, gl_unit_kind_t kind,
                const char **out)
{
    if (s_string (ld, handler, key, S_NAME_MAX, out))
        return -1;
    if (streq (*out, s_kind_names [kind]))
        return 0;
    int role = gl_role_lookup (*out);
    if (role >= 0 && s_role_kinds [role] == kind)
        return 0;
    char list [160] = "";
    snprintf (list, sizeof list, "%s", s_kind_names [kind]);
    for (int r = 0; r < GL_ROLE_COUNT; r++)
        if (s_role_kinds [r] == kind)
            snprintf (list + strlen (list), sizeof list - strlen (list), "|%s", s_role_names [r]);
    return s_bad (ld, "handler '%s' is \"%s\"; expected one of %s", key, *out, list);
}

static int
s_load_category (s_load_t *ld, const json_t *item, gl_category_t *cat, zhashx_t *groups)
{
    static const char *const keys [] = {
        "code", "name", "group", "board", "handler", "priority", "sanshi", "dispute", NULL
    };
    static const char *const handler_keys [] = {
        "grid", "community", "street", "county", NULL
    };
    static const char *const priorities [] = { "P1", "P2", "P3", "P4" };
    gl_org_t *org = ld->org;
    if (!json_is_object (item))
        return s_bad (ld, "must be an object with code, name, group, board, handler, "
                      "priority, sanshi and dispute");
    int board, priority, sanshi;
    if (s_keys (ld, item, keys)
    ||  s_string (ld, item, "code", 16, &cat->code))
        return -1;
    const char *c = cat->code;
    if (strlen (c) != 5 || strspn (c, "0123456789") != 2 || c [2] != '.'
    ||  strspn (c + 3, "0123456789") != 2)
        return s_bad (ld, "'code' is \"%s\"; expected LL.SS, two digits, a dot, two digits "
                      "(e.g. 01.05)", c);
    if (zhashx_insert (org->category_index, cat->code, cat)) {
        const gl_category_t *dup = zhashx_lookup (org->category_index, cat->code);
        return s_bad (ld, "duplicate code: categories[%zu] has the same code",
                      (size_t) (dup - org->categories));
    }
    if (s_string (ld, item, "name", S_NAME_MAX, &cat->name)
    ||  s_string (ld, item, "group", S_NAME_MAX, &cat->group)
    ||  s_enum (ld, item, "board", s_board_names, GL_BOARD_COUNT, &board)
    ||  s_enum (ld, item, "priority", priorities, 4, &priority)
    ||  s_enum (ld, item, "sanshi", s_sanshi_names, GL_SANSHI_COUNT, &sanshi))
        return -1;
    cat->board = board;
    cat->priority = priority + 1;
    cat->sanshi = sanshi;
    const json_t *dispute = json_object_get (item, "dispute");
    if (!dispute)
        return s_bad (ld, "'dispute' is missing");
    if (!json_is_boolean (dispute))
        return s_bad (ld, "'dispute' must be true or false");
    cat->dispute = json_is_true (dispute);
    //  Every category of one group (LL) carries the same group name.
    char ll [3] = { c [0], c [1], 0 };
    const gl_category_t *first = zhashx_lookup (groups, ll);
    if (first && !streq (first->group, cat->group))
        return s_bad (ld, "'group' is \"%s\", but category %s calls group %s \"%s\"",
                      cat->group, first->code, ll, first->group);
    if (!first)
        zhashx_insert (groups, ll, cat);
    //  The handler of each tier.
    const json_t *handler = json_object_get (item, "handler");
    if (!handler)
        return s_bad (ld, "'handler' is missing");
    if (!json_is_object (handler))
        return s_bad (ld, "'handler' must be an object with grid, community, street, county");
    if (s_keys (ld, handler, handler_keys)
    ||  s_tier_handler (ld, handler, "grid", GL_UNIT_GRID, &cat->grid_handler)
    ||  s_tier_handler (ld, handler, "community", GL_UNIT_COMMUNITY, &cat->community_handler)
    ||  s_string (ld, handler, "street", S_ID_MAX, &cat->street_handler))
        return -1;
    //  "C", or a suffix that names, in every street, that street's board for cat->board.
    if (!streq (cat->street_handler, "C"))
        for (size_t i = 0; i < org->unit_count; i++) {
            const gl_unit_t *street = &org->units [i];
            if (street->kind != GL_UNIT_STREET)
                continue;
            char id [2 * S_ID_MAX + 2];
            snprintf (id, sizeof id, "%s-%s", street->id, cat->street_handler);
            const gl_unit_t *unit = zhashx_lookup (org->unit_index, id);
            if (!unit || unit->kind != GL_UNIT_BOARD || unit->parent != street)
                return s_bad (ld, "handler 'street' is \"%s\", but '%s' is not a board of "
                              "street '%s' (expected \"C\" for the centre or a board suffix "
                              "such as \"B4\")", cat->street_handler, id, street->id);
            if (unit->board != cat->board)
                return s_bad (ld, "handler 'street' \"%s\" is the %s board ('%s'), but the "
                              "category's board is %s", cat->street_handler,
                              s_board_names [unit->board], id, s_board_names [cat->board]);
        }
    const char *county;
    if (s_id (ld, handler, "county", &county))
        return -1;
    cat->county_handler = zhashx_lookup (org->unit_index, county);
    if (!cat->county_handler)
        return s_bad (ld, "handler 'county' '%s' is not a unit", county);
    const gl_unit_t *h = cat->county_handler;
    if (h->level != GL_LEVEL_COUNTY
    ||  (h->kind != GL_UNIT_DEPARTMENT && h->kind != GL_UNIT_MEDIATION
    &&   h->kind != GL_UNIT_CENTRE && h->kind != GL_UNIT_OFFICE))
        return s_bad (ld, "handler 'county' '%s' is of kind %s at level %s; expected a "
                      "county-level department, mediation channel, centre or office", county,
                      s_kind_names [h->kind], s_level_names [h->level]);
    return 0;
}

static int
s_load_categories (s_load_t *ld, const json_t *root)
{
    static const char *const top [] = { "categories", NULL };
    gl_org_t *org = ld->org;
    json_t *list;
    if (s_keys (ld, root, top) || s_array (ld, root, "categories", &list))
        return -1;
    org->category_count = json_array_size (list);
    if (org->category_count == 0)
        return s_bad (ld, "'categories' is empty");
    org->categories = calloc (org->category_count, sizeof *org->categories);
    if (!org->categories)
        return s_oom (ld);
    zhashx_t *groups = zhashx_new ();       //  "LL" → the group's first category
    size_t i;
    json_t *item;
    int rc = 0;
    json_array_foreach (list, i, item) {
        s_enter (ld, "categories", i, item, "code");
        if ((rc = s_load_category (ld, item, &org->categories [i], groups)))
            break;
    }
    zhashx_destroy (&groups);
    if (rc == 0)
        ld->entry [0] = 0;
    return rc;
}

//  ---------------------------------------------------------------------------------------------
//  admission.json (事项准入)

//  Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
static int64_t
s_days_from_civil (int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0? y: y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2? -3: 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

//  A date "YYYY-MM-DD" that exists; *ms is its 00:00 in China Standard Time.
static int
s_date (s_load_t *ld, const json_t *obj, const char *key, const char **out, int64_t *ms)
{
    if (s_string (ld, obj, key, 16, out))
        return -1;
    const char *t = *out;
    int y = 0, m = 0, d = 0;
    bool shape = strlen (t) == 10 && t [4] == '-' && t [7] == '-'
              && strspn (t, "0123456789") == 4 && strspn (t + 5, "0123456789") == 2
              && strspn (t + 8, "0123456789") == 2;
    if (shape) {
        y = atoi (t);
        m = atoi (t + 5);
        d = atoi (t + 8);
        static const int days [12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        shape = y >= 1970 && m >= 1 && m <= 12 && d >= 1
             && d <= (m == 2 && !leap? 28: days [m - 1]);
    }
    if (!shape)
        return s_bad (ld, "'%s' is \"%s\"; expected a date YYYY-MM-DD (e.g. 2023-03-01)", key, t);
    *ms = s_days_from_civil (y, m, d) * S_DAY_MS - S_DATE_OFFSET_MS;
    return 0;
}

//  A non-empty array of strings under key (empty allowed if may_be_empty).
static int
s_strings (s_load_t *ld, const json_t *obj, const char *key, bool may_be_empty, json_t **out)
{
    *out = json_object_get (obj, key);
    if (!*out)
        return s_bad (ld, "'%s' is missing", key);
    if (!json_is_array (*out))
        return s_bad (ld, "'%s' must be an array of strings", key);
    if (json_array_size (*out) == 0 && !may_be_empty)
        return s_bad (ld, "'%s' is empty", key);
    size_t i;
    json_t *value;
    json_array_foreach (*out, i, value)
        if (!json_is_string (value))
            return s_bad (ld, "'%s'[%zu] must be a string", key, i);
    return 0;
}

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
        return s_bad (ld, "must be an object with id, name, list, categories, levels, "
                      "department, basis, approved and expires");
    int list;
    if (s_keys (ld, item, keys)
    ||  s_id (ld, item, "id", &adm->id))
        return -1;
    if (zhashx_insert (org->admission_index, adm->id, adm)) {
        const gl_admission_t *first = zhashx_lookup (org->admission_index, adm->id);
        return s_bad (ld, "duplicate id: items[%zu] has the same id",
                      (size_t) (first - org->admissions));
    }
    if (s_string (ld, item, "name", S_NAME_MAX, &adm->name)
    ||  s_enum (ld, item, "list", s_list_names, GL_ADMISSION_COUNT, &list))
        return -1;
    adm->list = list;
    //  The categories: known codes, each once; only a negative item may list none (a matter
    //  no event category maps to, kept on the list for the record).
    json_t *array;
    if (s_strings (ld, item, "categories", list == GL_ADMISSION_NEGATIVE, &array))
        return -1;
    size_t i, j;
    json_t *value;
    json_array_foreach (array, i, value) {
        const char *code = json_string_value (value);
        slots [i] = zhashx_lookup (org->category_index, code);
        if (!slots [i])
            return s_bad (ld, "category '%s' is not in the categories file", code);
        for (j = 0; j < i; j++)
            if (slots [j] == slots [i])
                return s_bad (ld, "'categories' lists %s twice", code);
    }
    adm->categories = slots;
    adm->category_count = json_array_size (array);
    //  The tiers: community and grid only.
    if (s_strings (ld, item, "levels", false, &array))
        return -1;
    json_array_foreach (array, i, value) {
        const char *name = json_string_value (value);
        int level = gl_level_lookup (name);
        if (level != GL_LEVEL_COMMUNITY && level != GL_LEVEL_GRID)
            return s_bad (ld, "'levels' has \"%s\"; expected community|grid (only work given "
                          "to a community or a grid needs admitting)", name);
        if (adm->levels & S_AT (level))
            return s_bad (ld, "'levels' lists %s twice", name);
        adm->levels |= S_AT (level);
    }
    //  The owning department.
    const char *did;
    if (s_id (ld, item, "department", &did))
        return -1;
    adm->department = zhashx_lookup (org->unit_index, did);
    if (!adm->department)
        return s_bad (ld, "department '%s' is not a unit", did);
    if (adm->department->kind != GL_UNIT_DEPARTMENT)
        return s_bad (ld, "department '%s' is of kind %s; expected a county unit of kind "
                      "department", did, s_kind_names [adm->department->kind]);
    if (s_string (ld, item, "basis", 1024, &adm->basis)
    ||  s_date (ld, item, "approved", &adm->approved, &adm->approved_ms)
    ||  s_date (ld, item, "expires", &adm->expires, &adm->expires_ms))
        return -1;
    if (adm->expires_ms <= adm->approved_ms)
        return s_bad (ld, "'expires' %s is not after 'approved' %s", adm->expires,
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
                    s_enter (ld, "items", i, json_array_get (list, i), "id");
                    int level = (a->levels & b->levels & S_AT (GL_LEVEL_COMMUNITY))
                              ? GL_LEVEL_COMMUNITY: GL_LEVEL_GRID;
                    return s_bad (ld, "%s %s at level %s, but items[%zu] '%s' %s it in an "
                                  "overlapping period (%s to %s); a matter cannot be admitted "
                                  "and on the negative list at once", a == negative
                                  ? "forbids": "admits", a->categories [x]->code,
                                  s_level_names [level], j, b->id, b == negative
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
    if (s_keys (ld, root, top) || s_array (ld, root, "items", &list))
        return -1;
    org->admission_count = json_array_size (list);
    if (org->admission_count == 0)
        return s_bad (ld, "'items' is empty, which would admit nothing; to admit everything, "
                      "set domain/admission to \"\" instead");
    //  Room for every item's categories, counted from the file (checked item by item below).
    size_t i, total = 0;
    json_t *item;
    json_array_foreach (list, i, item)
        total += json_array_size (json_object_get (item, "categories"));
    org->admissions = calloc (org->admission_count, sizeof *org->admissions);
    org->admission_categories = calloc (total + 1, sizeof *org->admission_categories);
    org->admission_slots = calloc (total + 1, sizeof *org->admission_slots);
    org->category_admissions = calloc (org->category_count, sizeof (size_t));
    org->category_admission_count = calloc (org->category_count, sizeof (size_t));
    if (!org->admissions || !org->admission_categories || !org->admission_slots
    ||  !org->category_admissions || !org->category_admission_count)
        return s_oom (ld);
    size_t next = 0;
    json_array_foreach (list, i, item) {
        s_enter (ld, "items", i, item, "id");
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
    size_t *fill = calloc (org->category_count, sizeof *fill);
    if (!fill)
        return s_oom (ld);
    for (i = 0; i < org->admission_count; i++)
        for (size_t c = 0; c < org->admissions [i].category_count; c++) {
            size_t k = org->admissions [i].categories [c] - org->categories;
            org->admission_slots [org->category_admissions [k] + fill [k]++]
                = &org->admissions [i];
        }
    free (fill);
    ld->entry [0] = 0;
    return 0;
}

//  ---------------------------------------------------------------------------------------------

gl_org_t *
gl_org_load (const char *org_path, const char *categories_path, const char *admission_path,
             gl_err_t *err)
{
    gl_org_t *self = calloc (1, sizeof *self);
    if (!self) {
        gl_fail (err, GL_INTERNAL, "%s: out of memory while loading it", org_path);
        return NULL;
    }
    self->unit_index = zhashx_new ();       //  CZMQ aborts if these cannot be allocated
    self->person_index = zhashx_new ();
    self->category_index = zhashx_new ();
    self->admission_index = zhashx_new ();
    s_load_t ld = { self, org_path, err, "" };
    if (!(self->org_json = s_parse (org_path, err))
    ||  s_load_county (&ld, self->org_json)
    ||  s_load_units (&ld, self->org_json)
    ||  s_load_people (&ld, self->org_json))
        goto fail;
    ld.path = categories_path;
    ld.entry [0] = 0;
    if (!(self->categories_json = s_parse (categories_path, err))
    ||  s_load_categories (&ld, self->categories_json))
        goto fail;
    if (admission_path && *admission_path) {
        ld.path = admission_path;
        ld.entry [0] = 0;
        if (!(self->admission_json = s_parse (admission_path, err))
        ||  s_load_admissions (&ld, self->admission_json))
            goto fail;
    }
    return self;
fail:
    gl_org_destroy (&self);
    return NULL;
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

const char *
gl_org_county_code (gl_org_t *self)
{
    return self->county_code;
}

const char *
gl_org_county_name (gl_org_t *self)
{
    return self->county_name;
}

const gl_unit_t *
gl_org_root (gl_org_t *self)
{
    return self->root;
}

const gl_unit_t *
gl_org_unit (gl_org_t *self, const char *id)
{
    return id? zhashx_lookup (self->unit_index, id): NULL;
}

const gl_person_t *
gl_org_person (gl_org_t *self, const char *id)
{
    return id? zhashx_lookup (self->person_index, id): NULL;
}

const gl_category_t *
gl_org_category (gl_org_t *self, const char *code)
{
    return code? zhashx_lookup (self->category_index, code): NULL;
}

const gl_unit_t *
gl_unit_ancestor (const gl_unit_t *unit, gl_unit_kind_t kind)
{
    while (unit && unit->kind != kind)
        unit = unit->parent;
    return unit;
}

const gl_unit_t *
gl_unit_street (const gl_unit_t *unit)
{
    return gl_unit_ancestor (unit, GL_UNIT_STREET);
}

const gl_unit_t *
gl_unit_community (const gl_unit_t *unit)
{
    return gl_unit_ancestor (unit, GL_UNIT_COMMUNITY);
}

const gl_unit_t *
gl_org_street_of (gl_org_t *self, const char *id)
{
    return gl_unit_street (gl_org_unit (self, id));
}

const gl_unit_t *
gl_org_community_of (gl_org_t *self, const char *id)
{
    return gl_unit_community (gl_org_unit (self, id));
}

const gl_unit_t *const *
gl_org_children (gl_org_t *self, const char *id, size_t *count)
{
    const gl_unit_t *unit = gl_org_unit (self, id);
    *count = unit? unit->child_count: 0;
    return *count? unit->children: NULL;
}

const gl_person_t *const *
gl_org_people (gl_org_t *self, const char *id, size_t *count)
{
    const gl_unit_t *unit = gl_org_unit (self, id);
    *count = unit? self->unit_people_count [unit->index]: 0;
    return *count? self->unit_people [unit->index]: NULL;
}

const gl_unit_t *
gl_org_board (gl_org_t *self, const gl_unit_t *street, gl_board_t board)
{
    if (!street || street->kind != GL_UNIT_STREET || board < 0 || board >= GL_BOARD_COUNT)
        return NULL;
    return self->boards [street->index][board];
}

const gl_unit_t *
gl_org_centre (gl_org_t *self, const gl_unit_t *unit)
{
    const gl_unit_t *street = gl_unit_street (unit);
    return self->centres [street? street->index: self->root->index];
}

const gl_unit_t *
gl_org_street_handler (gl_org_t *self, const gl_category_t *category,
                       const gl_unit_t *street)
{
    if (!street || street->kind != GL_UNIT_STREET)
        return NULL;
    if (streq (category->street_handler, "C"))
        return self->centres [street->index];
    return self->boards [street->index][category->board];
}

const gl_unit_t *
gl_org_mediation (gl_org_t *self, gl_channel_t channel)
{
    for (size_t i = 0; i < self->unit_count; i++)
        if (self->units [i].kind == GL_UNIT_MEDIATION && self->units [i].channel == channel)
            return &self->units [i];
    return NULL;
}

size_t
gl_org_unit_count (gl_org_t *self, gl_unit_kind_t kind)
{
    if (kind == GL_UNIT_ANY)
        return self->unit_count;
    return kind >= 0 && kind < GL_UNIT_KIND_COUNT? self->kind_counts [kind]: 0;
}

size_t
gl_org_person_count (gl_org_t *self, gl_role_t role)
{
    if (role == GL_ROLE_ANY)
        return self->person_count;
    return role >= 0 && role < GL_ROLE_COUNT? self->role_counts [role]: 0;
}

size_t
gl_org_category_count (gl_org_t *self)
{
    return self->category_count;
}

const gl_unit_t *
gl_org_unit_at (gl_org_t *self, size_t i)
{
    return i < self->unit_count? &self->units [i]: NULL;
}

const gl_person_t *
gl_org_person_at (gl_org_t *self, size_t i)
{
    return i < self->person_count? &self->people [i]: NULL;
}

const gl_category_t *
gl_org_category_at (gl_org_t *self, size_t i)
{
    return i < self->category_count? &self->categories [i]: NULL;
}

int
gl_org_admit (gl_org_t *self, const char *category, gl_level_t level, int64_t now_ms,
              char *reason, size_t size)
{
    char scratch [1];
    if (!reason || !size) {
        reason = scratch;
        size = sizeof scratch;
    }
    *reason = 0;
    if ((level != GL_LEVEL_COMMUNITY && level != GL_LEVEL_GRID) || !self->admission_count)
        return 0;
    const gl_category_t *cat = gl_org_category (self, category);
    if (!cat) {
        snprintf (reason, size, "unknown category '%s'", category? category: "(none)");
        return -1;
    }
    size_t k = cat - self->categories;
    const gl_admission_t *const *items = self->admission_slots + self->category_admissions [k];
    size_t count = self->category_admission_count [k];
    const gl_admission_t *admitted = NULL, *expired = NULL, *pending = NULL, *elsewhere = NULL;
    for (size_t i = 0; i < count; i++) {
        const gl_admission_t *item = items [i];
        bool in_effect = item->approved_ms <= now_ms && now_ms < item->expires_ms;
        if (!(item->levels & S_AT (level))) {
            if (in_effect && item->list != GL_ADMISSION_NEGATIVE && !elsewhere)
                elsewhere = item;
            continue;
        }
        if (item->list == GL_ADMISSION_NEGATIVE) {
            if (in_effect) {
                snprintf (reason, size, "on the negative list: %s (%s)", item->name,
                          item->basis);
                return -1;
            }
        }
        else
        if (in_effect) {
            if (!admitted)
                admitted = item;
        }
        else
        if (now_ms >= item->expires_ms) {
            if (!expired || item->expires_ms > expired->expires_ms)
                expired = item;
        }
        else
        if (!pending || item->approved_ms < pending->approved_ms)
            pending = item;
    }
    if (admitted) {
        snprintf (reason, size, "%s %s", admitted->id, admitted->name);
        return 0;
    }
    const char *tier = level == GL_LEVEL_COMMUNITY? "communities": "grids";
    if (expired)
        snprintf (reason, size, "item %s %s expired on %s", expired->id, expired->name,
                  expired->expires);
    else
    if (pending)
        snprintf (reason, size, "item %s %s takes effect on %s", pending->id, pending->name,
                  pending->approved);
    else
    if (elsewhere)
        snprintf (reason, size, "not on the admitted-items registry for %s: item %s %s admits "
                  "it for %s only", tier, elsewhere->id, elsewhere->name,
                  level == GL_LEVEL_COMMUNITY? "grids": "communities");
    else
        snprintf (reason, size, "not on the admitted-items registry for %s: ask the street "
                  "centre to handle it or register the matter", tier);
    return -1;
}

size_t
gl_org_admission_count (gl_org_t *self, gl_admission_list_t list)
{
    if (list == GL_ADMISSION_ANY)
        return self->admission_count;
    return list >= 0 && list < GL_ADMISSION_COUNT? self->list_counts [list]: 0;
}

const gl_admission_t *
gl_org_admission_at (gl_org_t *self, size_t i)
{
    return i < self->admission_count? &self->admissions [i]: NULL;
}

const gl_admission_t *
gl_org_admission (gl_org_t *self, const char *id)
{
    return id? zhashx_lookup (self->admission_index, id): NULL;
}

static size_t
s_descendants (const gl_unit_t *unit)
{
    size_t n = unit->child_count;
    for (size_t i = 0; i < unit->child_count; i++)
        n += s_descendants (unit->children [i]);
    return n;
}

static void
s_print (gl_org_t *self, FILE *out, const gl_unit_t *unit, int indent, int depth)
{
    const char *detail = unit->kind == GL_UNIT_BOARD? s_board_names [unit->board]
                       : unit->kind == GL_UNIT_MEDIATION? s_channel_names [unit->channel]: NULL;
    fprintf (out, "%*s%s  %s  [%s%s%s]  %zu %s", indent * 2, "", unit->id, unit->name,
             s_kind_names [unit->kind], detail? ": ": "", detail? detail: "",
             self->unit_people_count [unit->index],
             self->unit_people_count [unit->index] == 1? "person": "people");
    if (depth == 0 && unit->child_count) {
        size_t below = s_descendants (unit);
        fprintf (out, "  (+%zu %s below)\n", below, below == 1? "unit": "units");
        return;
    }
    fputc ('\n', out);
    for (size_t i = 0; i < unit->child_count; i++)
        s_print (self, out, unit->children [i], indent + 1, depth < 0? depth: depth - 1);
}

int
gl_org_print_tree (gl_org_t *self, FILE *out, const char *root_id, int depth)
{
    const gl_unit_t *root = root_id? gl_org_unit (self, root_id): self->root;
    if (!root)
        return -1;
    s_print (self, out, root, 0, depth);
    return 0;
}

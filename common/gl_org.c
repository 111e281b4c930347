/*  gl_org — the org model's queries: lookups by id, the chains of units, children and
    people, counts, admission (事项准入), the printed tree, and the names of its enums. The model
    is built and checked by gl_org_load.c.  */
#include "gl_org_private.h"
#include "gl_domain.h"

#include <string.h>

const char *const gl_org_kind_names [GL_UNIT_KIND_COUNT] = {
    "county", "street", "community", "grid", "centre", "board", "department", "mediation",
    "office"
};
const char *const gl_org_level_names [GL_LEVEL_COUNT] = {
    "county", "street", "community", "grid"
};
const char *const gl_org_board_names [GL_BOARD_COUNT] = {
    "party", "economy", "livelihood", "safety"
};
const char *const gl_org_channel_names [GL_CHANNEL_COUNT] = {
    "court", "procuratorate", "police", "petitions"
};
const char *const gl_org_role_names [GL_ROLE_COUNT] = {
    "grid_leader", "grid_worker", "grid_worker_part_time", "grid_instructor", "helper",
    "community_staff", "commander", "duty_officer", "board_lead", "board_staff",
    "department_staff", "mediator", "assessor"
};
//  The kind of unit each role works in, in gl_role_t order.
const gl_unit_kind_t gl_org_role_kinds [GL_ROLE_COUNT] = {
    GL_UNIT_GRID, GL_UNIT_GRID, GL_UNIT_GRID, GL_UNIT_GRID, GL_UNIT_GRID,
    GL_UNIT_COMMUNITY, GL_UNIT_CENTRE, GL_UNIT_CENTRE, GL_UNIT_BOARD, GL_UNIT_BOARD,
    GL_UNIT_DEPARTMENT, GL_UNIT_MEDIATION, GL_UNIT_OFFICE
};
const char *const gl_org_matter_names [GL_MATTER_COUNT] = { "major", "minor", "private" };
const char *const gl_org_list_names [GL_ADMISSION_COUNT] = {
    "duty", "assist", "negative", "certify"
};
const unsigned gl_org_kind_levels [GL_UNIT_KIND_COUNT] = {
    S_AT (GL_LEVEL_COUNTY), S_AT (GL_LEVEL_STREET), S_AT (GL_LEVEL_COMMUNITY),
    S_AT (GL_LEVEL_GRID),
    S_AT (GL_LEVEL_COUNTY) | S_AT (GL_LEVEL_STREET),                            //  centre
    S_AT (GL_LEVEL_STREET),                                                     //  board
    S_AT (GL_LEVEL_COUNTY) | S_AT (GL_LEVEL_STREET),                            //  department
    S_AT (GL_LEVEL_COUNTY) | S_AT (GL_LEVEL_STREET),                            //  mediation
    S_AT (GL_LEVEL_COUNTY) | S_AT (GL_LEVEL_STREET) | S_AT (GL_LEVEL_COMMUNITY) //  office
};

//  Each enum's two directions, both from its one name table.
GL_DOMAIN_ENUM_NAMES (gl_unit_kind_t, gl_unit_kind_name, gl_unit_kind_lookup, gl_org_kind_names,
                      GL_UNIT_KIND_COUNT)
GL_DOMAIN_ENUM_NAMES (gl_level_t, gl_level_name, gl_level_lookup, gl_org_level_names,
                      GL_LEVEL_COUNT)
GL_DOMAIN_ENUM_NAMES (gl_board_t, gl_board_name, gl_board_lookup, gl_org_board_names,
                      GL_BOARD_COUNT)
GL_DOMAIN_ENUM_NAMES (gl_channel_t, gl_channel_name, gl_channel_lookup, gl_org_channel_names,
                      GL_CHANNEL_COUNT)
GL_DOMAIN_ENUM_NAMES (gl_role_t, gl_role_name, gl_role_lookup, gl_org_role_names, GL_ROLE_COUNT)
GL_DOMAIN_ENUM_NAMES (gl_matter_t, gl_matter_name, gl_matter_lookup, gl_org_matter_names,
                      GL_MATTER_COUNT)

const char *
gl_admission_list_name (gl_admission_list_t list)
{
    return list >= 0 && list < GL_ADMISSION_COUNT? gl_org_list_names [list]: "?";
}

int
gl_admission_list_lookup (const char *name)
{
    return gl_domain_lookup (gl_org_list_names, GL_ADMISSION_COUNT, name);
}

gl_unit_kind_t
gl_role_kind (gl_role_t role)
{
    return role >= 0 && role < GL_ROLE_COUNT? gl_org_role_kinds [role]: GL_UNIT_ANY;
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

//  text, or when it is longer than max bytes its start cut at a UTF-8 character boundary and
//  ended with "…" (3 bytes), in buf; "" when max has no room even for the ellipsis.
static const char *
s_shorten (const char *text, size_t max, char *buf, size_t bufsize)
{
    size_t len = strlen (text);
    if (len <= max)
        return text;
    buf [0] = 0;
    if (max < 3)
        return buf;
    size_t keep = max > 3? max - 3: 0;
    if (keep > bufsize - 4)
        keep = bufsize - 4;
    while (keep > 0 && ((unsigned char) text [keep] & 0xc0) == 0x80)
        keep--;                         //  back to the start of the character cut into
    memcpy (buf, text, keep);
    memcpy (buf + keep, "…", 4);        //  with its NUL
    return buf;
}

//  A reason that quotes an item's name (and, for the negative list, its legal basis) between
//  fixed words: the quotes are shortened so that the sentence stays whole within size bytes.
//  format takes the item id, the name, then tail (the basis or a date).
static void
s_reason (char *reason, size_t size, const char *format, const gl_admission_t *item,
          const char *tail, bool tail_quoted)
{
    int fixed = snprintf (NULL, 0, format, item->id, "", tail_quoted? "": tail);
    size_t room = fixed >= 0 && (size_t) fixed + 1 < size? size - 1 - (size_t) fixed: 0;
    size_t name_len = strlen (item->name), tail_len = tail_quoted? strlen (tail): 0;
    //  The name is kept whole if it can be; the basis has what is left, at least half.
    size_t name_max = name_len + tail_len <= room? name_len:
                      room > tail_len + name_len / 2? room - tail_len: room / 2;
    if (name_max > name_len)
        name_max = name_len;
    char name [512], basis [1024];
    const char *n = s_shorten (item->name, name_max, name, sizeof name);
    const char *t = tail_quoted? s_shorten (tail, room - strlen (n), basis, sizeof basis): tail;
    snprintf (reason, size, format, item->id, n, t);
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
                //  ("%.0s": this sentence does not name the item's id.)
                s_reason (reason, size, "on the negative list: %.0s%s (%s)", item,
                          item->basis, true);
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
        s_reason (reason, size, "item %s %s expired on %s", expired, expired->expires, false);
    else
    if (pending)
        s_reason (reason, size, "item %s %s takes effect on %s", pending, pending->approved,
                  false);
    else
    if (elsewhere)
        s_reason (reason, size, level == GL_LEVEL_COMMUNITY?
                  "not on the admitted-items registry for communities: item %s %s admits it "
                  "for %s only": "not on the admitted-items registry for grids: item %s %s "
                  "admits it for %s only", elsewhere,
                  level == GL_LEVEL_COMMUNITY? "grids": "communities", false);
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
    const char *detail = unit->kind == GL_UNIT_BOARD? gl_org_board_names [unit->board]
                       : unit->kind == GL_UNIT_MEDIATION? gl_org_channel_names [unit->channel]: NULL;
    fprintf (out, "%*s%s  %s  [%s%s%s]  %zu %s", indent * 2, "", unit->id, unit->name,
             gl_org_kind_names [unit->kind], detail? ": ": "", detail? detail: "",
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

unsigned
gl_org_action_roles (gl_org_t *self, const char *op, gl_unit_kind_t kind)
{
    for (size_t i = 0; i < self->action_count; i++)
        if (self->actions [i].kind == kind && streq (self->actions [i].op, op))
            return self->actions [i].roles;
    return 0;
}

const gl_action_rule_t *
gl_org_action_at (gl_org_t *self, size_t i)
{
    return i < self->action_count? &self->actions [i]: NULL;
}

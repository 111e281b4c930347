/*  gl_limits — the time-limits table (时限表): loading with every check, and the lookup of the
    limit in force for a step.  */
#include "gl_limits.h"
#include "gl_domain.h"
#include "gl_org.h"

#include <czmq.h>
#include <string.h>

#define S_TEXT_MAX      2000    //  a note for people
#define S_ENTRIES_MAX   10000   //  far beyond any county's table; bounds the load

static const char *const s_stage_names [GL_STAGE_COUNT] = {
    "dispatch", "sign", "handle_yellow", "handle_red", "verify"
};
static const char *const s_priority_names [GL_PRIORITY_COUNT] = { "P1", "P2", "P3", "P4" };
static const char *const s_tier_names [GL_LEVEL_COUNT] = {
    "county", "street", "community", "grid"
};

typedef struct {
    int priority;               //  0 … 3
    gl_stage_t stage;           //  the stage
    char category [6];          //  "LL.SS", or "" for every category
    int tier;                   //  a gl_level_t, or -1 for every tier
    gl_limit_t limit;           //  the limit
} s_entry_t;

struct gl_limits_s {
    s_entry_t *entries;         //  in file order
    size_t count;               //  how many
    bool has_wartime;           //  the file has wartime limits
    gl_limit_t wartime [GL_STAGE_COUNT];    //  they, natural time, per stage
};

GL_DOMAIN_ENUM_NAMES (gl_stage_t, gl_stage_name, gl_stage_lookup, s_stage_names, GL_STAGE_COUNT)

int
gl_priority_lookup (const char *name)
{
    return gl_domain_lookup (s_priority_names, GL_PRIORITY_COUNT, name);
}

//  The entry matching exactly these keys, or NULL.
static s_entry_t *
s_exact (gl_limits_t *self, int priority, gl_stage_t stage, const char *category, int tier)
{
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *e = &self->entries [i];
        if (e->priority == priority && e->stage == stage && e->tier == tier
        &&  streq (e->category, category))
            return e;
    }
    return NULL;
}

//  "LL.SS": two digits, a dot, two digits (the county's category codes).
static bool
s_category_code (const char *text)
{
    return strlen (text) == 5 && isdigit ((unsigned char) text [0])
        && isdigit ((unsigned char) text [1]) && text [2] == '.'
        && isdigit ((unsigned char) text [3]) && isdigit ((unsigned char) text [4]);
}

//  One entry of the list, checked, into e. Returns 0 or -1 with d's err set.
static int
s_load_entry (gl_limits_t *self, gl_domain_t *d, const json_t *item, gl_calendar_t *cal,
              s_entry_t *e)
{
    static const char *const keys [] = {
        "priority", "stage", "limit", "category", "tier", "note", NULL
    };
    if (!json_is_object (item))
        return gl_domain_bad (d, "must be an object {\"priority\", \"stage\", \"limit\"}");
    const char *text = NULL, *category = NULL;
    int stage;
    if (gl_domain_keys (d, item, keys)
    ||  gl_domain_enum (d, item, "priority", s_priority_names, GL_PRIORITY_COUNT, &e->priority)
    ||  gl_domain_enum (d, item, "stage", s_stage_names, GL_STAGE_COUNT, &stage)
    ||  gl_domain_string (d, item, "limit", 32, &text)
    ||  gl_domain_string_opt (d, item, "category", 8, &category)
    ||  gl_domain_string_opt (d, item, "note", S_TEXT_MAX, &text))
        return -1;
    e->stage = (gl_stage_t) stage;
    //  Name the entry by what it sets from here on: "limits[4] (P2 sign)".
    size_t len = strlen (d->entry);
    snprintf (d->entry + len, sizeof d->entry - len, " (%s %s)",
              s_priority_names [e->priority], s_stage_names [e->stage]);
    text = json_string_value (json_object_get (item, "limit"));
    gl_err_t derr = { GL_OK, "" };
    if (gl_duration_parse (text, cal, &e->limit.minutes, &e->limit.working, &derr))
        return gl_domain_bad (d, "'limit' is \"%s\": %s", text, derr.message);
    if (e->limit.minutes <= 0)
        return gl_domain_bad (d, "'limit' is \"%s\"; a limit must be more than zero", text);
    if (category && !s_category_code (category))
        return gl_domain_bad (d, "'category' is \"%s\"; expected a category code \"LL.SS\" "
                              "(e.g. \"05.06\")", category);
    snprintf (e->category, sizeof e->category, "%s", category? category: "");
    e->tier = -1;
    if (json_object_get (item, "tier")
    &&  gl_domain_enum (d, item, "tier", s_tier_names, GL_LEVEL_COUNT, &e->tier))
        return -1;
    if (s_exact (self, e->priority, e->stage, e->category, e->tier))
        return gl_domain_bad (d, "a second entry for %s %s%s%s%s%s; each priority, stage, "
                              "category and tier is given once",
                              s_priority_names [e->priority], s_stage_names [e->stage],
                              *e->category? " category ": "", e->category,
                              e->tier >= 0? " tier ": "", e->tier >= 0? s_tier_names [e->tier]: "");
    return 0;
}

//  The limit's length in natural minutes from a fixed Monday 09:00, to compare limits that may
//  count in different times (a red card's limit must not come before its yellow one's).
static int64_t
s_span (gl_calendar_t *cal, gl_limit_t limit)
{
    //  2031-01-06 09:00 +08:00, a Monday outside the bundled years: weekends only.
    const int64_t monday = INT64_C (1925427600000);
    return gl_calendar_add (cal, monday, limit.minutes, limit.working) - monday;
}

//  The wartime limits (战时): one per stage, natural time only (wartime runs 24×7).
static int
s_load_wartime (gl_limits_t *self, gl_domain_t *d, const json_t *root, gl_calendar_t *cal)
{
    const json_t *obj = json_object_get (root, "wartime");
    if (!obj)
        return 0;
    snprintf (d->entry, sizeof d->entry, "wartime");
    if (!json_is_object (obj))
        return gl_domain_bad (d, "must be an object of limits per stage, e.g. {\"sign\": \"15m\", …}");
    static const char *const keys [] = {
        "dispatch", "sign", "handle_yellow", "handle_red", "verify", "note", NULL
    };
    if (gl_domain_keys (d, obj, keys))
        return -1;
    for (int s = 0; s < GL_STAGE_COUNT; s++) {
        const char *text = json_string_value (json_object_get (obj, s_stage_names [s]));
        snprintf (d->entry, sizeof d->entry, "wartime.%s", s_stage_names [s]);
        if (!text)
            return gl_domain_bad (d, "is missing (a string, natural time, e.g. \"15m\")");
        gl_err_t derr = { GL_OK, "" };
        gl_limit_t *limit = &self->wartime [s];
        if (gl_duration_parse (text, cal, &limit->minutes, &limit->working, &derr))
            return gl_domain_bad (d, "\"%s\": %s", text, derr.message);
        if (limit->working)
            return gl_domain_bad (d, "\"%s\" is working time; wartime runs in natural time, "
                                  "24×7 (\"15m\", \"2h\")", text);
        if (limit->minutes <= 0)
            return gl_domain_bad (d, "\"%s\"; a limit must be more than zero", text);
    }
    if (self->wartime [GL_STAGE_HANDLE_RED].minutes < self->wartime [GL_STAGE_HANDLE_YELLOW].minutes)
        return gl_domain_bad (d, "handle_red must be at least handle_yellow");
    self->has_wartime = true;
    return 0;
}

//  The table as a whole: every default there, red never before yellow.
static int
s_check_table (gl_limits_t *self, gl_domain_t *d, gl_calendar_t *cal)
{
    snprintf (d->entry, sizeof d->entry, "limits");
    for (int p = 0; p < GL_PRIORITY_COUNT; p++)
        for (int s = 0; s < GL_STAGE_COUNT; s++)
            if (!s_exact (self, p, (gl_stage_t) s, "", -1))
                return gl_domain_bad (d, "no default entry for %s %s (one without category "
                                      "and tier is required for every priority and stage)",
                                      s_priority_names [p], s_stage_names [s]);
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *red = &self->entries [i];
        if (red->stage != GL_STAGE_HANDLE_RED)
            continue;
        gl_limit_t yellow = gl_limits_find (self, red->priority, GL_STAGE_HANDLE_YELLOW,
                                            red->category, red->tier);
        if (s_span (cal, red->limit) < s_span (cal, yellow)) {
            snprintf (d->entry, sizeof d->entry, "limits[%zu] (%s handle_red)", i,
                      s_priority_names [red->priority]);
            return gl_domain_bad (d, "the red card's limit comes before the yellow card's "
                                  "limit it goes with; handle_red must be at least "
                                  "handle_yellow");
        }
    }
    return 0;
}

static gl_limits_t *
s_new (json_t *root, const char *path, gl_calendar_t *cal, gl_err_t *err)
{
    if (!root)
        return NULL;
    static const char *const keys [] = { "limits", "wartime", "note", NULL };
    gl_domain_t d = { .path = path, .err = err };
    gl_limits_t *self = (gl_limits_t *) zmalloc (sizeof *self);
    json_t *list = NULL;
    const char *text;
    int rc = gl_domain_keys (&d, root, keys)
          || gl_domain_string_opt (&d, root, "note", S_TEXT_MAX, &text)
          || gl_domain_array (&d, root, "limits", &list)? -1: 0;
    if (rc == 0 && json_array_size (list) > S_ENTRIES_MAX)
        rc = gl_domain_bad (&d, "'limits' has %zu entries; at most %d", json_array_size (list),
                            S_ENTRIES_MAX);
    if (rc == 0 && json_array_size (list))
        self->entries = zmalloc (json_array_size (list) * sizeof *self->entries);
    for (size_t i = 0; rc == 0 && i < json_array_size (list); i++) {
        json_t *item = json_array_get (list, i);
        gl_domain_enter (&d, "limits", i, item, NULL);
        if (s_load_entry (self, &d, item, cal, &self->entries [self->count]))
            rc = -1;
        else
            self->count++;
    }
    if (rc == 0)
        rc = s_check_table (self, &d, cal);
    if (rc == 0)
        rc = s_load_wartime (self, &d, root, cal);
    json_decref (root);
    if (rc)
        gl_limits_destroy (&self);
    return self;
}

gl_limits_t *
gl_limits_load (const char *path, gl_calendar_t *cal, gl_err_t *err)
{
    return s_new (gl_domain_parse (path, err), path, cal, err);
}

gl_limits_t *
gl_limits_load_text (const char *json, gl_calendar_t *cal, gl_err_t *err)
{
    return s_new (gl_domain_parse_text (json? json: "", "(text)", err), "(text)", cal, err);
}

void
gl_limits_destroy (gl_limits_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->entries);
        free (*self_p);
        *self_p = NULL;
    }
}

gl_limit_t
gl_limits_find (gl_limits_t *self, int priority, gl_stage_t stage, const char *category,
                int tier)
{
    const char *cat = category? category: "";
    s_entry_t *e = NULL;
    if (*cat && tier >= 0)
        e = s_exact (self, priority, stage, cat, tier);
    if (!e && *cat)
        e = s_exact (self, priority, stage, cat, -1);
    if (!e && tier >= 0)
        e = s_exact (self, priority, stage, "", tier);
    if (!e)
        e = s_exact (self, priority, stage, "", -1);
    return e? e->limit: (gl_limit_t) { 0, false };
}

bool
gl_limits_wartime (gl_limits_t *self, gl_stage_t stage, gl_limit_t *out)
{
    if (!self || !self->has_wartime || stage < 0 || stage >= GL_STAGE_COUNT)
        return false;
    *out = self->wartime [stage];
    return true;
}

size_t
gl_limits_count (gl_limits_t *self)
{
    return self? self->count: 0;
}

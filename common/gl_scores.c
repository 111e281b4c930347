/*  gl_scores — counters, rates, the score file and the composite (gl_scores.h).  */
#include "gl_scores.h"
#include "gl_alloc.h"
#include "gl_domain.h"

#include <string.h>

static const char *const s_counter_names [GL_C_COUNT] = {
    "items", "due_sign", "signed_on_time", "accepted", "due_close", "closed", "closed_on_time",
    "resolved", "returned", "reworked", "callbacks", "satisfied",
    "reported", "found", "a_due_close", "a_closed_on_time", "a_due_verify",
    "a_verified_on_time", "a_callbacks", "a_satisfied",
    "yellow_cards", "red_cards", "deduction", "notices", "points"
};
static const char *const s_rate_names [GL_R_COUNT] = {
    "response", "on_time", "completion", "resolution", "satisfaction", "rework", "return",
    "reporting", "area_on_time", "verification", "area_satisfaction", "service"
};
static const char *const s_group_names [GL_G_COUNT] = {
    "street", "community", "grid", "centre", "board", "department", "mediation", "worker"
};

GL_DOMAIN_ENUM_NAMES (gl_counter_t, gl_counter_name, gl_counter_lookup, s_counter_names,
                      GL_C_COUNT)
GL_DOMAIN_ENUM_NAMES (gl_rate_t, gl_rate_name, gl_rate_lookup, s_rate_names, GL_R_COUNT)
GL_DOMAIN_ENUM_NAMES (gl_group_t, gl_group_name, gl_group_lookup, s_group_names, GL_G_COUNT)

//  Each rate: up to two counters summed over up to two. -1 ends a list; a rate whose
//  denominator is empty ("service") never has a value.
static const struct {
    int num [2], den [2];
} s_rates [GL_R_COUNT] = {
    [GL_R_RESPONSE]     = { { GL_C_SIGNED_ON_TIME, -1 }, { GL_C_DUE_SIGN, -1 } },
    [GL_R_ON_TIME]      = { { GL_C_CLOSED_ON_TIME, -1 }, { GL_C_DUE_CLOSE, -1 } },
    [GL_R_COMPLETION]   = { { GL_C_CLOSED, -1 }, { GL_C_DUE_CLOSE, -1 } },
    [GL_R_RESOLUTION]   = { { GL_C_RESOLVED, -1 }, { GL_C_ACCEPTED, -1 } },
    [GL_R_SATISFACTION] = { { GL_C_SATISFIED, -1 }, { GL_C_CALLBACKS, -1 } },
    [GL_R_REWORK]       = { { GL_C_REWORKED, -1 }, { GL_C_DUE_CLOSE, -1 } },
    [GL_R_RETURN]       = { { GL_C_RETURNED, -1 }, { GL_C_ITEMS, -1 } },
    [GL_R_REPORTING]    = { { GL_C_FOUND, -1 }, { GL_C_REPORTED, -1 } },
    [GL_R_AREA_ON_TIME] = { { GL_C_A_CLOSED_ON_TIME, GL_C_A_VERIFIED_ON_TIME },
                            { GL_C_A_DUE_CLOSE, GL_C_A_DUE_VERIFY } },
    [GL_R_VERIFICATION] = { { GL_C_A_VERIFIED_ON_TIME, -1 }, { GL_C_A_DUE_VERIFY, -1 } },
    [GL_R_AREA_SATISFACTION] = { { GL_C_A_SATISFIED, -1 }, { GL_C_A_CALLBACKS, -1 } },
    [GL_R_SERVICE]      = { { -1, -1 }, { -1, -1 } },
};

static int64_t
s_sum (const int list [2], const int64_t counters [GL_C_COUNT])
{
    int64_t sum = 0;
    for (int i = 0; i < 2 && list [i] >= 0; i++)
        sum += counters [list [i]];
    return sum;
}

bool
gl_rate_value (gl_rate_t r, const int64_t counters [GL_C_COUNT], int64_t *num, int64_t *den,
               double *percent)
{
    *num = s_sum (s_rates [r].num, counters);
    *den = s_sum (s_rates [r].den, counters);
    *percent = 0;
    if (*den <= 0)
        return false;
    *percent = 100.0 * (double) *num / (double) *den;
    return true;
}

//  ---------------------------------------------------------------------------------------------
//  The score file.

#define S_FORMULAS_MAX  8
#define S_GRADES_MAX    10
#define S_NAME_MAX      31

typedef struct {
    char name [S_NAME_MAX + 1];
    double weight [GL_R_COUNT];
} s_formula_t;

struct gl_scores_s {
    s_formula_t formulas [S_FORMULAS_MAX];
    size_t formula_count;
    int group_formula [GL_G_COUNT];     //  index into formulas, -1: not scored
    struct {
        char grade [S_NAME_MAX + 1];
        double min;
    } grades [S_GRADES_MAX];
    size_t grade_count;
    int min_items, red_k, black_k;
    gl_rate_t floor_rate;
    double floor_below;
};

static int
s_load_formulas (gl_scores_t *self, gl_domain_t *d, json_t *root)
{
    json_t *formulas;
    if (gl_domain_object (d, root, "formulas", &formulas))
        return -1;
    const char *name;
    json_t *weights;
    json_object_foreach (formulas, name, weights) {
        gl_domain_enter_name (d, "formulas.%s", name);
        if (self->formula_count == S_FORMULAS_MAX)
            return gl_domain_bad (d, "more than %d formulas", S_FORMULAS_MAX);
        if (strlen (name) > S_NAME_MAX || !json_is_object (weights))
            return gl_domain_bad (d, "a formula is a name of at most %d bytes and an object "
                                  "{rate: weight}", S_NAME_MAX);
        s_formula_t *f = &self->formulas [self->formula_count++];
        snprintf (f->name, sizeof f->name, "%s", name);
        const char *rate;
        json_t *w;
        double total = 0;
        json_object_foreach (weights, rate, w) {
            int r = gl_rate_lookup (rate);
            if (r < 0)
                return gl_domain_bad (d, "'%s' is not a rate; the rates are response, on_time, "
                                      "completion, resolution, satisfaction, rework, return, "
                                      "reporting, area_on_time, verification, "
                                      "area_satisfaction, service", rate);
            if (gl_domain_number (d, weights, rate, 0, 1, NULL, &f->weight [r]))
                return -1;
            total += f->weight [r];
        }
        if (total <= 0)
            return gl_domain_bad (d, "its weights add up to 0: give at least one rate a weight");
    }
    d->entry [0] = 0;
    return 0;
}

static int
s_load_kinds (gl_scores_t *self, gl_domain_t *d, json_t *root)
{
    json_t *kinds;
    if (gl_domain_object (d, root, "kinds", &kinds))
        return -1;
    for (int g = 0; g < GL_G_COUNT; g++)
        self->group_formula [g] = -1;
    const char *kind;
    json_t *formula;
    json_object_foreach (kinds, kind, formula) {
        gl_domain_enter_name (d, "kinds.%s", kind);
        int g = gl_group_lookup (kind);
        if (g < 0)
            return gl_domain_bad (d, "not a kind that is scored; the kinds are street, "
                                  "community, grid, centre, board, department, mediation, "
                                  "worker");
        const char *name = json_string_value (formula);
        for (size_t i = 0; name && i < self->formula_count; i++)
            if (streq (self->formulas [i].name, name))
                self->group_formula [g] = (int) i;
        if (self->group_formula [g] < 0)
            return gl_domain_bad (d, "names no formula of 'formulas'");
    }
    d->entry [0] = 0;
    return 0;
}

static int
s_load_grades (gl_scores_t *self, gl_domain_t *d, json_t *root)
{
    json_t *grades;
    if (gl_domain_array (d, root, "grades", &grades))
        return -1;
    static const char *const keys [] = { "grade", "min", NULL };
    for (size_t i = 0; i < json_array_size (grades); i++) {
        json_t *item = json_array_get (grades, i);
        gl_domain_enter (d, "grades", i, item, "grade");
        if (i == S_GRADES_MAX)
            return gl_domain_bad (d, "more than %d grades", S_GRADES_MAX);
        const char *grade;
        double min;
        if (gl_domain_keys (d, item, keys)
        ||  gl_domain_string (d, item, "grade", S_NAME_MAX, &grade)
        ||  gl_domain_number (d, item, "min", 0, 1000, NULL, &min))
            return -1;
        if (i > 0 && min >= self->grades [i - 1].min)
            return gl_domain_bad (d, "grades go from the highest minimum down; %g is not below "
                                  "%g", min, self->grades [i - 1].min);
        snprintf (self->grades [i].grade, sizeof self->grades [i].grade, "%s", grade);
        self->grades [i].min = min;
        self->grade_count++;
    }
    if (self->grade_count == 0 || self->grades [self->grade_count - 1].min != 0)
        return gl_domain_bad (d, "'grades' must end with a grade of minimum 0, so that every "
                              "score has a grade");
    d->entry [0] = 0;
    return 0;
}

static gl_scores_t *
s_new (json_t *root, const char *path, gl_err_t *err)
{
    if (!root)
        return NULL;
    static const char *const keys [] = {
        "note", "formulas", "kinds", "grades", "min_items", "red_k", "black_k", "floor", NULL
    };
    static const char *const floor_keys [] = { "rate", "below", NULL };
    gl_domain_t d = { .path = path, .err = err };
    gl_scores_t *self = (gl_scores_t *) zmalloc (sizeof *self);
    const char *text;
    double min_items, red_k, black_k, below;
    static const double d5 = 5, d3 = 3;
    json_t *floor = NULL;
    int rate = 0;
    int rc = gl_domain_keys (&d, root, keys)
          || gl_domain_string_opt (&d, root, "note", 4000, &text)
          || s_load_formulas (self, &d, root)
          || s_load_kinds (self, &d, root)
          || s_load_grades (self, &d, root)
          || gl_domain_number (&d, root, "min_items", 0, 100000, &d5, &min_items)
          || gl_domain_number (&d, root, "red_k", 0, 1000, &d3, &red_k)
          || gl_domain_number (&d, root, "black_k", 0, 1000, &d3, &black_k)
          || gl_domain_object (&d, root, "floor", &floor)? -1: 0;
    if (rc == 0) {
        gl_domain_enter_name (&d, "floor");
        rc = gl_domain_keys (&d, floor, floor_keys)
          || gl_domain_enum (&d, floor, "rate", s_rate_names, GL_R_COUNT, &rate)
          || gl_domain_number (&d, floor, "below", 0, 100, NULL, &below)? -1: 0;
    }
    if (rc == 0) {
        self->min_items = (int) min_items;
        self->red_k = (int) red_k;
        self->black_k = (int) black_k;
        self->floor_rate = (gl_rate_t) rate;
        self->floor_below = below;
    }
    json_decref (root);
    if (rc)
        gl_scores_destroy (&self);
    return self;
}

gl_scores_t *
gl_scores_load (const char *path, gl_err_t *err)
{
    return s_new (gl_domain_parse (path, err), path, err);
}

gl_scores_t *
gl_scores_load_text (const char *json, gl_err_t *err)
{
    return s_new (gl_domain_parse_text (json? json: "", "(text)", err), "(text)", err);
}

void
gl_scores_destroy (gl_scores_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  ---------------------------------------------------------------------------------------------
//  The composite.

static const s_formula_t *
s_formula (gl_scores_t *self, gl_group_t group)
{
    int i = group >= 0 && group < GL_G_COUNT? self->group_formula [group]: -1;
    return i < 0? NULL: &self->formulas [i];
}

static int64_t
s_items (gl_group_t group, const int64_t c [GL_C_COUNT])
{
    switch (group) {
        case GL_G_STREET: case GL_G_COMMUNITY: case GL_G_GRID:
            return c [GL_C_REPORTED] + c [GL_C_ITEMS];
        case GL_G_WORKER:
            return c [GL_C_DUE_SIGN] + c [GL_C_A_DUE_VERIFY];
        default:
            return c [GL_C_ITEMS];
    }
}

void
gl_scores_compute (gl_scores_t *self, gl_group_t group, const int64_t c [GL_C_COUNT],
                   gl_score_t *out)
{
    memset (out, 0, sizeof *out);
    out->grade = "";
    out->items = s_items (group, c);
    int64_t num, den;
    double value;
    out->below_floor = gl_rate_value (self->floor_rate, c, &num, &den, &value)
                    && value < self->floor_below;
    const s_formula_t *f = s_formula (self, group);
    if (!f)
        return;
    out->scored = true;
    out->formula = f->name;
    double sum = 0, weights = 0;
    for (int r = 0; r < GL_R_COUNT; r++)
        if (f->weight [r] > 0 && gl_rate_value ((gl_rate_t) r, c, &num, &den, &value)) {
            sum += f->weight [r] * value;
            weights += f->weight [r];
        }
    if (weights <= 0)
        return;
    out->has_value = true;
    out->weighted = sum / weights;
    out->score = out->weighted - (double) c [GL_C_DEDUCTION] + (double) c [GL_C_POINTS];
    out->grade = self->grades [self->grade_count - 1].grade;
    for (size_t i = 0; i < self->grade_count; i++)
        if (out->score >= self->grades [i].min) {
            out->grade = self->grades [i].grade;
            break;
        }
    out->ranked = out->items >= self->min_items;
}

double
gl_scores_weight (gl_scores_t *self, gl_group_t group, gl_rate_t r)
{
    const s_formula_t *f = s_formula (self, group);
    return f? f->weight [r]: 0;
}

const char *
gl_scores_formula (gl_scores_t *self, gl_group_t group)
{
    const s_formula_t *f = s_formula (self, group);
    return f? f->name: NULL;
}

int gl_scores_red_k (gl_scores_t *self) { return self->red_k; }
int gl_scores_black_k (gl_scores_t *self) { return self->black_k; }
int gl_scores_min_items (gl_scores_t *self) { return self->min_items; }

gl_rate_t
gl_scores_floor (gl_scores_t *self, double *below)
{
    *below = self->floor_below;
    return self->floor_rate;
}

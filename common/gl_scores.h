/*  gl_scores — how a unit is scored (考核评价, DOMAIN §8, proto/metrics.md §3): the counters the
    metrics service keeps, the rates built from them (each a numerator over a denominator), and
    the county's score file (domain/scores, deploy/yunyang/scores.json) that weighs the rates
    into a composite, grades it, and says who is ranked and who is listed red or black.

    The file
    --------
        {
          "note": "for people (optional)",
          "formulas": {"handler": {"response": 0.30, "resolution": 0.35, "satisfaction": 0.35},
                       "area": {…}, "worker": {…}},
          "kinds": {"department": "handler", "grid": "area", "worker": "worker", …},
          "grades": [{"grade": "A", "min": 90}, …, {"grade": "E", "min": 0}],
          "min_items": 5, "red_k": 3, "black_k": 3,
          "floor": {"rate": "response", "below": 80}
        }

    formulas    name -> {rate -> weight}: rates of gl_rate_t by name ("service", the 三张清单
                service orders, is accepted and never has a value yet). Weights 0..1, not all 0.
    kinds       unit kind (street community grid centre board department mediation, and
                "worker" for grid staff) -> formula. A kind not listed is not scored.
    grades      from the highest minimum down; the last minimum must be 0.
    min_items   a unit with fewer items is listed but not ranked.
    red_k, black_k  the top and bottom k ranked units; floor: anyone whose rate is below.  */
#ifndef GL_SCORES_H
#define GL_SCORES_H

#include "gl_error.h"
#include <stdbool.h>
#include <stdint.h>

/*  The counters of a unit in a period (proto/metrics.md §2), in wire order.  */
typedef enum {
    GL_C_ITEMS, GL_C_DUE_SIGN, GL_C_SIGNED_ON_TIME, GL_C_ACCEPTED, GL_C_DUE_CLOSE, GL_C_CLOSED,
    GL_C_CLOSED_ON_TIME, GL_C_RESOLVED, GL_C_RETURNED, GL_C_REWORKED, GL_C_CALLBACKS,
    GL_C_SATISFIED,
    GL_C_REPORTED, GL_C_FOUND, GL_C_A_DUE_CLOSE, GL_C_A_CLOSED_ON_TIME, GL_C_A_DUE_VERIFY,
    GL_C_A_VERIFIED_ON_TIME, GL_C_A_CALLBACKS, GL_C_A_SATISFIED,
    GL_C_YELLOW_CARDS, GL_C_RED_CARDS, GL_C_DEDUCTION, GL_C_NOTICES, GL_C_POINTS,
    GL_C_COUNT
} gl_counter_t;

/*  The rates (proto/metrics.md §3).  */
typedef enum {
    GL_R_RESPONSE, GL_R_ON_TIME, GL_R_COMPLETION, GL_R_RESOLUTION, GL_R_SATISFACTION,
    GL_R_REWORK, GL_R_RETURN, GL_R_REPORTING, GL_R_AREA_ON_TIME, GL_R_VERIFICATION,
    GL_R_AREA_SATISFACTION, GL_R_SERVICE,
    GL_R_COUNT
} gl_rate_t;

/*  The kinds of scored unit: the org's unit kinds that are scored, and workers.  */
typedef enum {
    GL_G_STREET, GL_G_COMMUNITY, GL_G_GRID, GL_G_CENTRE, GL_G_BOARD, GL_G_DEPARTMENT,
    GL_G_MEDIATION, GL_G_WORKER,
    GL_G_COUNT
} gl_group_t;

const char *gl_counter_name (gl_counter_t c);
int gl_counter_lookup (const char *name);
const char *gl_rate_name (gl_rate_t r);
int gl_rate_lookup (const char *name);
const char *gl_group_name (gl_group_t g);
int gl_group_lookup (const char *name);

/*  A rate of counters: num / den as percent; false when den is 0 (no value).  */
bool gl_rate_value (gl_rate_t r, const int64_t counters [GL_C_COUNT], int64_t *num,
                    int64_t *den, double *percent);

typedef struct gl_scores_s gl_scores_t;

/*  Load and check the score file. NULL with err naming the file, the entry and the problem.  */
gl_scores_t *gl_scores_load (const char *path, gl_err_t *err);
gl_scores_t *gl_scores_load_text (const char *json, gl_err_t *err);
void gl_scores_destroy (gl_scores_t **self_p);

/*  A unit's score from its counters.  */
typedef struct {
    bool scored;                //  its kind has a formula
    const char *formula;        //  the formula's name
    bool has_value;             //  some rate of the formula has a value
    double weighted;            //  Σ w·rate / Σ w over the rates with a value
    double score;               //  weighted − deduction + points
    const char *grade;          //  "A" … ; "" without a value
    int64_t items;              //  for the minimum
    bool ranked;                //  items ≥ min_items (and has_value)
    bool below_floor;           //  its floor rate has a value below the floor
} gl_score_t;

void gl_scores_compute (gl_scores_t *self, gl_group_t group,
                        const int64_t counters [GL_C_COUNT], gl_score_t *out);
/*  The weight of rate r in group's formula (0 when not in it); the formula's name or NULL.  */
double gl_scores_weight (gl_scores_t *self, gl_group_t group, gl_rate_t r);
const char *gl_scores_formula (gl_scores_t *self, gl_group_t group);
int gl_scores_red_k (gl_scores_t *self);
int gl_scores_black_k (gl_scores_t *self);
int gl_scores_min_items (gl_scores_t *self);
/*  The floor: its rate and the percentage below which a unit is black-listed.  */
gl_rate_t gl_scores_floor (gl_scores_t *self, double *below);

#endif

/*  cli_metrics_view — the metrics stream (proto/metrics.md §5) read for people: a unit's live
    figures, a service's health and a ranking row as plain structs, text cells padded to
    terminal columns (Chinese names take two columns a character), and the readable lines
    `gridloop tail metrics.` prints. `gridloop top` (cli_top.c) draws from the same readers.  */
#ifndef CLI_METRICS_VIEW_H
#define CLI_METRICS_VIEW_H

#include "gl_config.h"
#include "gl_proto.h"

#include <stdio.h>

/*  The figures of the county, a street or a department (an element of metrics.live).  */
typedef struct {
    char unit [GL_MAX_NAME + 1];    //  unit id, e.g. "SJ"
    char name [128];                //  its name, e.g. 双江街道
    int64_t reported_today;         //  -1 when absent
    int64_t closed_today;           //  -1 when absent
    int64_t open;                   //  events held now; -1 when absent
    int64_t overdue;                //  of those, a card fired on the stage it waits on
    double response;                //  this month's rates in percent; NAN when not defined
    double on_time;
    double satisfaction;
} cli_view_figures_t;

/*  One service of metrics.pipeline.  */
typedef struct {
    char name [GL_MAX_NAME + 1];    //  e.g. "intake"
    bool up;                        //  answered status
    int64_t last_seq;               //  -1 when absent
    double per_s;                   //  messages published per second; NAN when absent
    int64_t errors;                 //  error counters summed; -1 when absent
    int64_t lag;                    //  most messages still to apply from one producer
} cli_view_service_t;

/*  One row of a ranking answer (§4.3).  */
typedef struct {
    int64_t rank;                   //  0 when unranked (fewer items than the minimum)
    char unit [GL_MAX_NAME + 1];
    char name [128];
    double score;                   //  NAN when no rate of its formula has a value
    char grade [4];                 //  A..E, "" when none
    int64_t items;
    int64_t yellow_cards;
    int64_t red_cards;
} cli_view_rank_row_t;

/*  Read one element. Fields absent or of another type read as -1, NAN or "".  */
void cli_view_figures_read (const msgpack_object *map, cli_view_figures_t *figures);
void cli_view_service_read (const msgpack_object *map, cli_view_service_t *service);
void cli_view_rank_row_read (const msgpack_object *map, cli_view_rank_row_t *row);

/*  A number field as a double (any msgpack number); NAN when absent, nil or not a number.  */
double cli_view_number (const msgpack_object *map, const char *key);

/*  A unit's light (红黄绿灯) from its live figures: green when nothing it holds is overdue,
    yellow when something is, red when at least half of what it holds is overdue.  */
typedef enum {
    CLI_VIEW_LIGHT_GREEN, CLI_VIEW_LIGHT_YELLOW, CLI_VIEW_LIGHT_RED
} cli_view_light_t;
cli_view_light_t cli_view_light (const cli_view_figures_t *figures);
const char *cli_view_light_name (cli_view_light_t light);

/*  Columns a terminal gives text (UTF-8): two for East Asian wide characters, one else.  */
int cli_view_width (const char *text);
/*  Copy text into buf as exactly cols columns: padded with spaces, or cut with "~" at the end
    when wider. Control characters become '?', so that a name cannot move the cursor or break
    the alignment. buf must hold 4 * cols + 1 bytes.  */
void cli_view_pad (char *buf, size_t size, const char *text, int cols);
/*  A rate (percent) as "95.0" or "-" when not defined; buf of 16 bytes.  */
const char *cli_view_rate_text (double rate, char *buf);
/*  A count as digits, or "-" when absent (< 0); buf of 24 bytes.  */
const char *cli_view_count_text (int64_t count, char *buf);

/*  The pipeline in one line: how many services are up (and which are down), their total
    output rate, the largest lag (and whose) and the errors (and whose), e.g.
    "6/6 up  out 12.5/s  lag 0  errors 0".  */
void cli_view_pipeline_summary (const msgpack_object *body, char *buf, size_t size);

/*  The readable lines of `gridloop tail` for a metrics.* message on topic: metrics.live as a
    county line, a line per street and one per department holding work; metrics.pipeline as a
    summary line; rankings and points as one line each. Times in cfg's county time. Returns
    false, having printed nothing, for any other topic or a body it cannot read.  */
bool cli_view_print (FILE *out, const gl_config_t *cfg, const char *topic, size_t topic_len,
                     const gl_envelope_t *env);

#endif

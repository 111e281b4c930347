/*  cli_metrics — metrics on the command line (proto/metrics.md §4): `gridloop score`,
    `gridloop ranking`, `gridloop publish`, `gridloop points`.  */
#ifndef CLI_METRICS_H
#define CLI_METRICS_H

#include "gl_config.h"

/*  Each runs one command (argv [0] is its name) against the metrics service cfg names.
    Returns 0, 1 when the service refused or did not answer (its message printed), or 2 for
    bad usage.
    score UNIT [--period P] [--wartime] [--why] [--json]
    ranking GROUP [--period P] [--version N] [--wartime] [--json]
    publish PERIOD --as UNIT --person ID [--reason TEXT]
    points UNIT POINTS --reason TEXT --as UNIT --person ID [--period P]  */
int cli_score (const gl_config_t *cfg, int argc, char **argv);
int cli_ranking (const gl_config_t *cfg, int argc, char **argv);
int cli_publish (const gl_config_t *cfg, int argc, char **argv);
int cli_points (const gl_config_t *cfg, int argc, char **argv);

#endif

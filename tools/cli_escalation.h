/*  cli_escalation — escalation's operations on the command line (`gridloop overdue`,
    `gridloop mode`).  */
#ifndef CLI_ESCALATION_H
#define CLI_ESCALATION_H

#include "gl_config.h"

/*  Run `overdue [UNIT] [--limit N] [--after NEXT]` (argv [0] is "overdue") against the
    escalation service cfg names: the steps whose yellow card has fired and whose stage is still
    pending, one a line, with their light and how long they have been overdue, and the command
    for the next page when there is one. Returns 0, 1 when the service refused or did not
    answer (its message printed), or 2 for bad usage.  */
int cli_overdue (const gl_config_t *cfg, int argc, char **argv);

/*  Run `mode` (show the scopes in wartime and the latest switches) or `mode SCOPE
    wartime|peacetime --as CENTRE --reason TEXT [--person ID]` (平战转换: switch a scope).
    Returns 0, 1 when the service refused or did not answer, or 2 for bad usage.  */
int cli_mode (const gl_config_t *cfg, int argc, char **argv);

#endif

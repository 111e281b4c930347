/*  cli_top — `gridloop top`: a live terminal dashboard of the county (ncurses). It follows
    metrics.live and metrics.pipeline on the bus and asks metrics for `figures` and a peer
    group's `ranking` every few seconds (proto/metrics.md §4.3, §4.4, §5).  */
#ifndef CLI_TOP_H
#define CLI_TOP_H

#include "gl_config.h"

/*  Run `top [--refresh SECONDS] [--group GROUP]` (argv [0] is "top") on the terminal until the
    operator presses q or the process gets SIGINT or SIGTERM; the terminal is given back as it
    was found. Works, saying so, while metrics does not answer. Returns 0, or 2 for bad usage or
    when standard input and output are not a terminal.  */
int cli_top (const gl_config_t *cfg, int argc, char **argv);

#endif

/*  cli_simulate — `gridloop simulate`: the county in motion, driven through the public
    protocol only (README "The county in motion").  */
#ifndef CLI_SIMULATE_H
#define CLI_SIMULATE_H

#include "gl_config.h"

/*  Run the simulator with argv (argv [0] is "simulate"). Returns the exit status: 0 done,
    1 the services could not be reached or the domain files not read, 2 bad usage.  */
int cli_simulate (const gl_config_t *cfg, int argc, char **argv);

#endif

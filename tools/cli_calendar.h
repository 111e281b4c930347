/*  cli_calendar — `gridloop calendar`, the working calendar on the command line.  */
#ifndef CLI_CALENDAR_H
#define CLI_CALENDAR_H

#include "gl_config.h"

/*  Run `calendar ARGS` (argv [0] is "calendar") against the calendar file cfg names
    (domain/calendar, in cfg->utc_offset_min local time):
        calendar DATE [--days N]        whether DATE (YYYY-MM-DD or today) is a working day, its
                                        kind and name; with --days, N days from DATE, one a line
        calendar --add START DURATION   the deadline DURATION after START (YYYY-MM-DD,
                                        YYYY-MM-DDTHH:MM or now, county local time) and how it
                                        was counted
    Writes results to stdout and problems to stderr. Returns 0, 1 when the calendar cannot be
    loaded (the loader's message printed), or 2 for bad usage (a sentence saying what is
    expected).  */
int cli_calendar (const gl_config_t *cfg, int argc, char **argv);

#endif

/*  cli_archive — the archive on the command line: `gridloop show` (an event's timeline),
    `gridloop search` (events by any dimension, as a table or JSON) and `gridloop export` (a
    whole search as CSV or JSON lines), all over archive's public protocol (proto/archive.md).  */
#ifndef CLI_ARCHIVE_H
#define CLI_ARCHIVE_H

#include "gl_config.h"

/*  show ID [--json]: every message the archive holds for ID as a timeline in the county's local
    time (cfg->utc_offset_min): when, what, who, why. --json prints the answer as JSON.  */
int cli_archive_show (const gl_config_t *cfg, int argc, char **argv);

/*  search [FILTERS] [--limit N] [--after ID] [--count] [--json]: one page of a search as a
    table (or JSON), with the command for the next page.  */
int cli_archive_search (const gl_config_t *cfg, int argc, char **argv);

/*  export [FILTERS] --format csv|jsonl: every event of a search, paged through `search`, to
    stdout; a progress line on stderr when stderr is a terminal.  */
int cli_archive_export (const gl_config_t *cfg, int argc, char **argv);

/*  Each returns 0 done, 1 the archive refused or did not answer (the reason printed), or 2 for
    bad usage (a sentence saying what is expected).  */

#endif

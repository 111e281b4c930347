/*  cli_notice — `gridloop notice`: a period's published rankings as the county's notice
    (排榜通报), one self-contained HTML file (inline CSS, inline SVG charts, nothing fetched)
    that opens offline in any browser, read from metrics over its public protocol
    (proto/metrics.md §4.3, §4.5).  */
#ifndef CLI_NOTICE_H
#define CLI_NOTICE_H

#include "gl_config.h"

#include <jansson.h>
#include <stdio.h>

/*  Run `notice --period P [--version N] [--wartime] [--out FILE]` (argv [0] is "notice"):
    every peer group's ranking of published version N of period P (the latest version when N
    is not given) rendered as HTML to stdout, or to FILE (written to FILE.tmp, then renamed, so
    a reader never sees half a notice). Returns 0, 1 when metrics refused or did not answer (or
    nothing is published for the period, or FILE cannot be written), or 2 for bad usage.  */
int cli_notice (const gl_config_t *cfg, int argc, char **argv);

/*  Write the notice to out. notice: {county (the county's name), period, version, wartime,
    published_at (ms), published_by, groups: [the `ranking` answers, one per peer group]}.
    Every string taken from notice is escaped for HTML. utc_offset_min: the county's time zone,
    for the publication time.  */
void cli_notice_render (FILE *out, const json_t *notice, int64_t utc_offset_min);

#endif

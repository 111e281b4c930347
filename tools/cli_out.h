/*  cli_out — what the command line prints cannot drive the operator's terminal: every byte
    written to stdout and stderr passes through one filter that shows control characters (C0
    but newline and tab, DEL, and the C1 controls U+0080–U+009F, which some terminals obey as
    escape sequences) as visible escapes (\x1b, \u009b), and bytes that are not UTF-8 as \xNN.
    Publishers, reporters and services choose much of what the CLI prints (topics, ids,
    descriptions, refusal messages): none of it reaches the terminal raw.  */
#ifndef CLI_OUT_H
#define CLI_OUT_H

#include <stdio.h>

/*  Route stdout and stderr through the filter (call once, first thing in main).  */
void cli_out_protect (void);
/*  Write len bytes to out with the filter (for tests and for other streams).  */
void cli_out_write (FILE *out, const char *bytes, size_t len);

#endif

/*  cli_call — one request from the command line to a service: built, sent with retries (the
    same req_id each time), and its refusal printed for the operator.  */
#ifndef CLI_CALL_H
#define CLI_CALL_H

#include "gl_client.h"
#include "gl_config.h"

/*  Send op with fields (may be NULL) to service svc. Returns 0 with the answer, or 1 with "gridloop: <service>: <CODE>: <message>" printed on stderr; answer needs gl_doc_fini either way.  */
int cli_call (const gl_config_t *cfg, gl_svc_t svc, const char *op, bool mutating,
              gl_mapw_t *fields, gl_doc_t *answer);

#endif

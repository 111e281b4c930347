/*  cli_call — one request from the command line to a service (cli_call.h).  */
#include "cli_call.h"

#define S_ATTEMPTS 3            //  tries of request_timeout_ms each: a busy service has time to
                                //  answer, a dead one is reported within seconds

int
cli_call (const gl_config_t *cfg, gl_svc_t svc, const char *op, bool mutating,
          gl_mapw_t *fields, gl_doc_t *answer)
{
    msgpack_sbuffer req;
    gl_request_build (&req, op, mutating, fields);
    gl_client_t *client = gl_client_new (cfg->svc [svc].endpoint, cfg->request_timeout_ms,
                                         cfg->max_msg_bytes);
    gl_err_t err;
    int rc = gl_client_call (client, req.data, req.size, answer, S_ATTEMPTS, &err);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0 && gl_answer_check (&answer->root, &err) == 0)
        return 0;
    fprintf (stderr, "gridloop: %s: %s: %s\n", gl_svc_names [svc], gl_code_name (err.code),
             err.message);
    return 1;
}

/*  gl_client — how anything outside a service talks to it: one request, one answer, over a
    DEALER, retried with the very same bytes (so the same req_id) on a fresh socket when no
    answer comes in time. Used by the CLI, tests, the benchmark and departmental systems.  */
#ifndef GL_CLIENT_H
#define GL_CLIENT_H

#include "gl_config.h"
#include "gl_proto.h"

typedef struct gl_client_s gl_client_t;

/*  A client of the ROUTER at endpoint. timeout_ms: wait per try.  */
gl_client_t *gl_client_new (const char *endpoint, int64_t timeout_ms, int64_t max_msg_bytes);
/*  The same connecting with certificate `as` (NULL: the process's) and cfg's servers and
    certificates (NULL: the process's; cfg must outlive the client) — gl_security.h.  */
gl_client_t *gl_client_new_as (const gl_config_t *cfg, const char *endpoint,
                               int64_t timeout_ms, int64_t max_msg_bytes, const char *as);
void gl_client_destroy (gl_client_t **self_p);

/*  Send req (one packed map) and wait for the answer, trying up to attempts times (each on a
    fresh connection, same bytes). Returns 0 with the parsed answer in reply (ok or not; see
    gl_answer_check), or -1 with err = UNAVAILABLE when no answer came. reply needs
    gl_doc_fini in both cases.  */
int gl_client_call (gl_client_t *self, const void *req, size_t len, gl_doc_t *reply,
                    int attempts, gl_err_t *err);

/*  Build a request from fields: op, a fresh req_id when mutating, then the fields. out is
    initialised here; the caller destroys it.  */
void gl_request_build (msgpack_sbuffer *out, const char *op, bool mutating, gl_mapw_t *fields);

/*  0 when the answer says ok: true; else -1 with err set from its error (code, message).  */
int gl_answer_check (const msgpack_object *answer, gl_err_t *err);

#endif

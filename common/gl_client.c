/*  gl_client — request/answer with retries on fresh sockets ("lazy pirate").  */
#include "gl_client.h"
#include "gl_security.h"

#include <string.h>

struct gl_client_s {
    char endpoint [256];        //  the service's ROUTER
    int64_t timeout_ms;         //  wait per try
    int64_t max_msg;            //  largest answer accepted
    zsock_t *dealer;            //  current connection
    char as [64];               //  the certificate it connects with ("": the process's)
    const gl_config_t *cfg;     //  whose servers and certificates (NULL: the process's)
    gl_err_t setup;             //  why the connection could not be made (code GL_OK: it was)
};

static void
s_connect (gl_client_t *self)
{
    zsock_destroy (&self->dealer);
    self->dealer = zsock_new (ZMQ_DEALER);
    gl_socket_limits (self->dealer, self->max_msg, 0);
    //  As the process's certificate, towards the service's (gl_security.h).
    self->setup.code = GL_OK;
    gl_sec_connect_as (self->cfg, self->dealer, self->endpoint, *self->as? self->as: NULL,
                       &self->setup);
}

gl_client_t *
gl_client_new (const char *endpoint, int64_t timeout_ms, int64_t max_msg_bytes)
{
    return gl_client_new_as (NULL, endpoint, timeout_ms, max_msg_bytes, NULL);
}

gl_client_t *
gl_client_new_as (const gl_config_t *cfg, const char *endpoint, int64_t timeout_ms,
                  int64_t max_msg_bytes, const char *as)
{
    gl_client_t *self = (gl_client_t *) zmalloc (sizeof *self);
    self->cfg = cfg;
    snprintf (self->as, sizeof self->as, "%s", as? as: "");
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->timeout_ms = timeout_ms;
    self->max_msg = max_msg_bytes;
    s_connect (self);
    return self;
}

void
gl_client_destroy (gl_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy (&(*self_p)->dealer);
    free (*self_p);
    *self_p = NULL;
}

int
gl_client_call (gl_client_t *self, const void *req, size_t len, gl_doc_t *reply, int attempts,
                gl_err_t *err)
{
    memset (reply, 0, sizeof *reply);
    if (self->setup.code != GL_OK) {
        *err = self->setup;
        return -1;
    }
    for (int attempt = 0; attempt < attempts && !zsys_interrupted; attempt++) {
        if (attempt > 0)
            s_connect (self);           //  a fresh socket drops any late answer of the last try
        zmsg_t *msg = zmsg_new ();
        zmsg_addmem (msg, "", 0);
        zmsg_addmem (msg, req, len);
        zmsg_send (&msg, self->dealer);
        zpoller_t *poller = zpoller_new (self->dealer, NULL);
        void *which = zpoller_wait (poller, (int) self->timeout_ms);
        zpoller_destroy (&poller);
        if (!which)
            continue;
        msg = zmsg_recv (self->dealer);
        zframe_t *payload = msg? zmsg_last (msg): NULL;
        int rc = payload? gl_doc_parse (reply, zframe_data (payload), zframe_size (payload),
                                        err): -1;
        zmsg_destroy (&msg);
        if (rc == 0)
            return 0;
        gl_doc_fini (reply);
        if (payload)
            return -1;                  //  the service answered something unreadable
    }
    //  A fresh socket for the next call, so that a late answer to this one is never taken
    //  for the answer to that.
    s_connect (self);
    return gl_fail (err, GL_UNAVAILABLE, "no answer from %s after %d tries of %lld ms (is the "
                    "service running, and is this the right endpoint?)", self->endpoint,
                    attempts, (long long) self->timeout_ms);
}

void
gl_request_build (msgpack_sbuffer *out, const char *op, bool mutating, gl_mapw_t *fields)
{
    msgpack_sbuffer_init (out);
    msgpack_packer pk;
    gl_packer_init (&pk, out);
    msgpack_pack_map (&pk, 1 + (mutating? 1: 0) + (fields? fields->count: 0));
    gl_pack_cstr (&pk, "op");
    gl_pack_cstr (&pk, op);
    if (mutating) {
        char id [40];
        gl_req_id_new (id);
        gl_pack_cstr (&pk, "req_id");
        gl_pack_cstr (&pk, id);
    }
    if (fields)
        gl_sbuffer_write (out, fields->body.data, fields->body.size);
}

int
gl_answer_check (const msgpack_object *answer, gl_err_t *err)
{
    bool ok = false;
    if (gl_get_bool (answer, "ok", &ok) && ok)
        return 0;
    const msgpack_object *e = gl_map_get (answer, "error");
    const char *code = "INTERNAL", *message = "the answer has no error description";
    size_t code_len = strlen (code), message_len = strlen (message);
    gl_get_str (e, "code", &code, &code_len);
    gl_get_str (e, "message", &message, &message_len);
    return gl_fail (err, gl_code_lookup (code, code_len), "%.*s", (int) message_len, message);
}

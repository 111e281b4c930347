/*  gl_proto — the wire forms of proto/: envelopes of published messages, replies of the
    request/reply operations, and ROUTER framing. Every producer and consumer uses these.  */
#ifndef GL_PROTO_H
#define GL_PROTO_H

#include "gl_schema.h"
#include <czmq.h>

#define GL_PROTO_VERSION    1       //  envelope "v"; a removed or retyped field makes a new one
#define GL_MAX_NAME         64      //  type, src, id, req_id, topic segment limits in bytes
#define GL_MAX_TOPIC        256     //  longest topic

/*  A decoded envelope. Strings point into the document; they are not NUL-terminated.  */
typedef struct {
    const char *type;           //  message type, e.g. "event.reported"
    size_t type_len;
    const char *src;            //  producer id, e.g. "intake"
    size_t src_len;
    uint64_t epoch;             //  producer store id
    uint64_t seq;               //  position in the producer's stream (hb: its last seq)
    int64_t ts;                 //  ms since the Unix epoch
    const char *id;             //  event id, NULL when the message has none
    size_t id_len;
    const msgpack_object *body; //  always a map
    const void *raw;            //  the envelope bytes as received (valid while they are)
    size_t raw_len;
} gl_envelope_t;

extern const gl_schema_t gl_envelope_schema;

/*  Parse and check an envelope. Returns 0, or -1 with err set; doc needs gl_doc_fini.  */
int gl_envelope_decode (gl_doc_t *doc, const void *buf, size_t len, gl_envelope_t *env,
                        gl_err_t *err);
/*  Encode an envelope into out (appending). body is one packed msgpack map; id may be NULL.  */
void gl_envelope_encode (msgpack_sbuffer *out, const char *type, const char *src, uint64_t epoch,
                         uint64_t seq, int64_t ts, const char *id, const void *body,
                         size_t body_len);
/*  True when the envelope's type equals the C string.  */
bool gl_envelope_is (const gl_envelope_t *env, const char *type);

/*  Replies. "ok" comes first; fields are the caller's pairs.  */
void gl_reply_ok (msgpack_sbuffer *out, gl_mapw_t *fields);
void gl_reply_error (msgpack_sbuffer *out, const gl_err_t *err);

/*  A request received on a ROUTER: the routing frames to answer through, and the payload.  */
typedef struct {
    zmsg_t *route;              //  identity frames and the empty delimiter if the peer sent one
    zframe_t *payload;          //  the request bytes
} gl_request_t;

/*  Receive one request from a ROUTER (non-blocking if dontwait). Returns 0, or -1 if nothing was
    there or the message had no payload (it is dropped).  */
int gl_request_recv (void *router, gl_request_t *req);
/*  Send reply bytes back along the request's route and release the request.  */
void gl_request_answer (gl_request_t *req, void *router, const void *bytes, size_t len);

/*  A fresh request id: 16 random hex digits and a counter, unique enough across clients.  */
void gl_req_id_new (char buf [40]);


/*  Every socket: ZMQ_MAXMSGSIZE (over-size frames are dropped by ZeroMQ), an explicit linger and
    finite high-water marks (10 000 messages each way unless the caller sets others after).  */
void gl_socket_limits (zsock_t *sock, int64_t max_msg_bytes, int linger_ms);

#endif

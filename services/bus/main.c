/*  gridloop-bus — the stateless message bus: publishers connect to the XSUB frontend,
    subscribers to the XPUB backend; subscriptions flow up, messages flow down. It never blocks
    on a slow subscriber (XPUB drops at that subscriber's high-water mark, and the consumer
    repairs the gap by replay). Its ROUTER answers status.  */
#include "gl_config.h"
#include "gl_log.h"
#include "gl_proto.h"

#include <string.h>

#define S_BURST 1024            //  messages moved per socket per turn, so no side starves

typedef struct {
    zsock_t *frontend;          //  XSUB: publishers connect here
    zsock_t *backend;           //  XPUB: subscribers connect here
    zsock_t *control;           //  ROUTER: status
    int64_t started;            //  monotonic ms
    uint64_t forwarded;         //  messages moved frontend -> backend
    uint64_t subscriptions;     //  subscription messages moved backend -> frontend
    uint64_t requests;          //  status requests answered
    uint64_t errors;            //  malformed requests
} s_bus_t;

//  Move up to S_BURST whole multipart messages from one socket to another without blocking.
static uint64_t
s_move (void *from, void *to)
{
    uint64_t moved = 0;
    zmq_msg_t part;
    zmq_msg_init (&part);
    while (moved < S_BURST) {
        if (zmq_msg_recv (&part, from, ZMQ_DONTWAIT) < 0)
            break;
        int more;
        do {
            more = zmq_msg_more (&part);
            //  Parts of one message arrive together; a send that fails drops the rest too.
            zmq_msg_send (&part, to, (more? ZMQ_SNDMORE: 0) | ZMQ_DONTWAIT);
            if (more && zmq_msg_recv (&part, from, 0) < 0)
                more = 0;
        } while (more);
        moved++;
    }
    zmq_msg_close (&part);
    return moved;
}

static void
s_answer (s_bus_t *self)
{
    gl_request_t req;
    while (gl_request_recv (zsock_resolve (self->control), &req) == 0) {
        gl_doc_t doc;
        gl_err_t err = { GL_OK, "" };
        gl_mapw_t w;
        gl_mapw_init (&w);
        msgpack_sbuffer out;
        msgpack_sbuffer_init (&out);
        if (gl_doc_parse (&doc, zframe_data (req.payload), zframe_size (req.payload), &err) == 0
        &&  !gl_str_eq (gl_map_get (&doc.root, "op"), "status"))
            gl_fail (&err, GL_UNSUPPORTED, "the bus answers only op 'status'");
        else
        if (err.code == GL_OK) {
            gl_mapw_str (&w, "name", "bus");
            gl_mapw_str (&w, "version", GL_VERSION);
            gl_mapw_u64 (&w, "pid", (uint64_t) getpid ());
            gl_mapw_u64 (&w, "uptime_ms", (uint64_t) (zclock_mono () - self->started));
            gl_mapw_u64 (&w, "epoch", 0);
            gl_mapw_u64 (&w, "last_seq", 0);
            gl_mapw_u64 (&w, "msgs_in", self->forwarded);
            gl_mapw_u64 (&w, "msgs_out", self->forwarded);
            gl_mapw_u64 (&w, "requests", self->requests);
            gl_mapw_u64 (&w, "errors", self->errors);
            gl_mapw_u64 (&w, "forwarded", self->forwarded);
            gl_mapw_u64 (&w, "subscriptions", self->subscriptions);
            gl_mapw_key (&w, "inbox");
            msgpack_pack_map (&w.pk, 0);
        }
        if (err.code == GL_OK)
            gl_reply_ok (&out, &w);
        else {
            gl_reply_error (&out, &err);
            self->errors++;
        }
        self->requests++;
        gl_request_answer (&req, zsock_resolve (self->control), out.data, out.size);
        msgpack_sbuffer_destroy (&out);
        gl_mapw_fini (&w);
        gl_doc_fini (&doc);
    }
}

static zsock_t *
s_bind (int type, const char *endpoint, const char *key, const gl_config_t *cfg)
{
    zsock_t *sock = zsock_new (type);
    gl_socket_limits (sock, cfg->max_msg_bytes, 0);
    if (zsock_bind (sock, "%s", endpoint) < 0) {
        fprintf (stderr, "gridloop-bus: %s: cannot bind %s (%s): is another bus running, or "
                 "is the address wrong? (setting '%s')\n", cfg->path, endpoint,
                 zmq_strerror (zmq_errno ()), key);
        zsock_destroy (&sock);
    }
    return sock;
}

int
main (int argc, char **argv)
{
    const char *usage =
        "usage: gridloop-bus [--config FILE]\n"
        "\n"
        "Runs the gridloop message bus until SIGINT or SIGTERM: publishers connect to\n"
        "bus/frontend, subscribers to bus/backend; status on bus/control.\n"
        "\n"
        "  --config FILE   the gridloop configuration (ZPL); default /etc/gridloop/gridloop.cfg\n"
        "  --help          this text\n"
        "  --version       the version\n";
    gl_config_t cfg;
    int rc = gl_config_from_args (&cfg, argc, argv, "gridloop-bus", usage);
    if (rc >= 0)
        return rc;
    zsys_init ();
    zsys_set_logident ("gridloop-bus");
    gl_log_set_level (gl_log_level_parse (cfg.log_level));

    s_bus_t self = { .started = zclock_mono () };
    self.frontend = s_bind (ZMQ_XSUB, cfg.bus_frontend, "bus/frontend", &cfg);
    self.backend = s_bind (ZMQ_XPUB, cfg.bus_backend, "bus/backend", &cfg);
    self.control = s_bind (ZMQ_ROUTER, cfg.bus_control, "bus/control", &cfg);
    if (!self.frontend || !self.backend || !self.control)
        return 1;
    //  Per-subscriber queue: past it, that subscriber alone loses messages (and replays them).
    zsock_set_sndhwm (self.backend, (int) cfg.sub_hwm);
    zsock_set_rcvhwm (self.frontend, (int) cfg.pub_hwm);
    gl_log_info ("bus %s: publishers -> %s, subscribers <- %s, status on %s", GL_VERSION,
                 cfg.bus_frontend, cfg.bus_backend, cfg.bus_control);

    zmq_pollitem_t items [] = {
        { zsock_resolve (self.frontend), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self.backend), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self.control), 0, ZMQ_POLLIN, 0 },
    };
    while (!zsys_interrupted) {
        if (zmq_poll (items, 3, 1000) < 0)
            break;                      //  EINTR on SIGINT/SIGTERM
        if (items [0].revents & ZMQ_POLLIN)
            self.forwarded += s_move (items [0].socket, items [1].socket);
        if (items [1].revents & ZMQ_POLLIN)
            self.subscriptions += s_move (items [1].socket, items [0].socket);
        if (items [2].revents & ZMQ_POLLIN)
            s_answer (&self);
    }
    gl_log_info ("bus: stopping after %llu messages", (unsigned long long) self.forwarded);
    zsock_destroy (&self.frontend);
    zsock_destroy (&self.backend);
    zsock_destroy (&self.control);
    return 0;
}

/*  gl_bus — the bus actor.  */
#include "gl_bus.h"
#include "gl_log.h"
#include "gl_proto.h"
#include "gl_security.h"

#include <string.h>

#define S_BURST 1024            //  messages moved per socket per turn, so no side starves

typedef struct {
    const gl_config_t *cfg;     //  endpoints and limits
    zsock_t *pipe;              //  to the owner
    zsock_t *frontend;          //  XSUB: publishers connect here
    zsock_t *backend;           //  XPUB: subscribers connect here
    zsock_t *control;           //  ROUTER: status
    int64_t started;            //  monotonic ms
    uint64_t forwarded;         //  messages moved frontend -> backend
    uint64_t subscriptions;     //  subscription messages moved backend -> frontend
    uint64_t dropped;           //  published messages not forwarded: over the size limit, or
                                //  not of two frames
    uint64_t forged;            //  published messages on a topic their certificate does not own
    uint64_t sub_refused;       //  subscriptions a certificate may not make
    uint64_t requests;          //  status requests answered
    uint64_t errors;            //  malformed requests
} s_bus_t;

//  May the subscriber of this subscription message follow its prefix? The services and the
//  operator seats follow anything. A unit's or a department's certificate follows only its
//  own: intake's answers to its source ("intake.ack.<name>"), and the dispatcher's and
//  escalation's messages qualified by its unit ("dispatcher.event.<action>.<unit>",
//  "escalation.<type>.<unit>"). Under plain there is no certificate to go by.
static bool
s_may_follow (s_bus_t *self, zmq_msg_t *msg)
{
    if (!gl_sec_on (self->cfg) || zmq_msg_size (msg) < 1)
        return true;
    gl_caller_t c;
    gl_sec_caller_msg (msg, &c);
    if (gl_sec_any_unit (&c))
        return true;
    char prefix [GL_MAX_TOPIC + 1];
    size_t len = zmq_msg_size (msg) - 1;
    if (len > GL_MAX_TOPIC)
        return false;
    memcpy (prefix, (const char *) zmq_msg_data (msg) + 1, len);
    prefix [len] = 0;
    char ack [128], tail [80];
    snprintf (ack, sizeof ack, "intake.ack.%s", c.name);
    snprintf (tail, sizeof tail, ".%s", c.unit);
    size_t tl = strlen (tail);
    bool own_unit = *c.unit && len > tl && streq (prefix + len - tl, tail)
                 && (strncmp (prefix, "dispatcher.event.", 17) == 0
                     || strncmp (prefix, "escalation.", 11) == 0);
    return strncmp (prefix, ack, strlen (ack)) == 0 || own_unit;
}

//  Move up to S_BURST subscription messages from the backend up to the frontend. The backend
//  is in manual mode (ZMQ_XPUB_MANUAL): a subscription takes effect only when applied here,
//  so one a certificate may not make is refused, counted and logged, and never matches.
//  Returns how many moved.
static uint64_t
s_move_up (s_bus_t *self, void *from, void *to)
{
    uint64_t moved = 0;
    zmq_msg_t part;
    zmq_msg_init (&part);
    while (moved < S_BURST) {
        if (zmq_msg_recv (&part, from, ZMQ_DONTWAIT) < 0)
            break;
        const uint8_t *bytes = zmq_msg_data (&part);
        size_t size = zmq_msg_size (&part);
        if (size >= 1 && (bytes [0] == 1 || bytes [0] == 0)) {
            if (bytes [0] == 0 || s_may_follow (self, &part))
                zmq_setsockopt (from, bytes [0]? ZMQ_SUBSCRIBE: ZMQ_UNSUBSCRIBE, bytes + 1,
                                size - 1);
            else {
                self->sub_refused++;
                gl_caller_t c;
                gl_sec_caller_msg (&part, &c);
                static int64_t last_log;
                if (zclock_mono () - last_log > 5000) {
                    last_log = zclock_mono ();
                    gl_log_warning ("bus: refused certificate %s (unit %s, role %s) the "
                                    "subscription '%.*s': not its own (refused so far: %llu)",
                                    c.name, c.unit, c.role, (int) (size - 1 > 64? 64: size - 1),
                                    (const char *) bytes + 1,
                                    (unsigned long long) self->sub_refused);
                }
                moved++;
                continue;
            }
        }
        int more;
        do {
            more = zmq_msg_more (&part);
            zmq_msg_send (&part, to, (more? ZMQ_SNDMORE: 0) | ZMQ_DONTWAIT);
            if (more && zmq_msg_recv (&part, from, 0) < 0)
                more = 0;
        } while (more);
        moved++;
    }
    zmq_msg_close (&part);
    return moved;
}

//  Does the publisher's certificate own the topic? A service publishes under its own name
//  ("intake." only from intake), a department under "ext.<its source>." only. Under plain
//  there is no certificate to go by (anyone may publish anything: the consumers' own checks,
//  gl_stream.h, are all that stands).
static bool
s_owns (s_bus_t *self, zmq_msg_t *topic_part)
{
    if (!gl_sec_on (self->cfg))
        return true;
    gl_caller_t c;
    gl_sec_caller_msg (topic_part, &c);
    const char *topic = zmq_msg_data (topic_part);
    size_t len = zmq_msg_size (topic_part), n = strlen (c.name);
    bool owns = false;
    if (n && streq (c.role, "service"))
        owns = len > n && memcmp (topic, c.name, n) == 0 && topic [n] == '.';
    else
    if (n && streq (c.role, "department"))
        owns = len > n + 4 && memcmp (topic, "ext.", 4) == 0 && memcmp (topic + 4, c.name, n) == 0
            && topic [n + 4] == '.';
    if (!owns) {
        static int64_t last_log;
        if (zclock_mono () - last_log > 5000) {
            last_log = zclock_mono ();
            gl_log_warning ("bus: dropped a message on '%.*s' from certificate %s (role %s): "
                            "not its topic (dropped so far: %llu)", (int) (len > 64? 64: len),
                            topic, *c.name? c.name: "(none)", *c.role? c.role: "none",
                            (unsigned long long) self->forged + 1);
        }
    }
    return owns;
}

//  Move up to S_BURST published messages from the frontend down to the subscribers. Only a
//  message of exactly two frames (topic, envelope) within limits/max_envelope_bytes goes on
//  (ZMQ_MAXMSGSIZE does the same on TCP, but not on every transport); others are dropped and
//  counted. Returns how many moved.
static uint64_t
s_move_down (s_bus_t *self, void *from, void *to)
{
    uint64_t moved = 0;
    zmq_msg_t parts [2];
    zmq_msg_init (&parts [0]);
    zmq_msg_init (&parts [1]);
    while (moved < S_BURST) {
        if (zmq_msg_recv (&parts [0], from, ZMQ_DONTWAIT) < 0)
            break;
        size_t count = 1;
        bool fits = zmq_msg_size (&parts [0]) <= GL_MAX_TOPIC;
        //  Parts of one message arrive together: read them all, keeping the first two.
        while (zmq_msg_more (&parts [count > 1? 1: count - 1])) {
            zmq_msg_t *into = &parts [1];
            if (zmq_msg_recv (into, from, 0) < 0)
                break;
            count++;
            if (zmq_msg_size (into) > (size_t) self->cfg->max_envelope_bytes)
                fits = false;
        }
        if (count == 2 && fits && !s_owns (self, &parts [0])) {
            self->forged++;
            moved++;                    //  counts towards the burst: a flood cannot starve
            continue;
        }
        if (count == 2 && fits) {
            zmq_msg_send (&parts [0], to, ZMQ_SNDMORE | ZMQ_DONTWAIT);
            zmq_msg_send (&parts [1], to, ZMQ_DONTWAIT);
            moved++;
        }
        else
            self->dropped++;
    }
    zmq_msg_close (&parts [0]);
    zmq_msg_close (&parts [1]);
    return moved;
}

//  Answer every waiting request on the control socket: status, or an error.
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
            gl_mapw_u64 (&w, "dropped", self->dropped);
            gl_mapw_u64 (&w, "forged", self->forged);
            gl_mapw_u64 (&w, "sub_refused", self->sub_refused);
            gl_mapw_u64 (&w, "auth_refused", gl_sec_refused ());
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

//  Bind one socket, or say why not in err. Returns the socket or NULL.
static zsock_t *
s_bind (int type, const char *endpoint, const char *key, const gl_config_t *cfg, gl_err_t *err)
{
    zsock_t *sock = zsock_new (type);
    gl_socket_limits (sock, cfg->max_msg_bytes, 0);
    if (gl_sec_server (cfg, "bus", sock, err)) {
        zsock_destroy (&sock);
        return NULL;
    }
    if (zsock_bind (sock, "%s", endpoint) < 0) {
        gl_sec_server_end (sock);
        gl_fail (err, GL_UNAVAILABLE, "%s: cannot bind %s (%s): is another bus running, or is "
                 "the address wrong? (setting '%s')", cfg->path, endpoint,
                 zmq_strerror (zmq_errno ()), key);
        zsock_destroy (&sock);
    }
    return sock;
}

static void
s_destroy (s_bus_t *self)
{
    gl_sec_server_end (self->frontend);
    gl_sec_server_end (self->backend);
    gl_sec_server_end (self->control);
    zsock_destroy (&self->frontend);
    zsock_destroy (&self->backend);
    zsock_destroy (&self->control);
}

//  Bind the three endpoints. Returns 0, or -1 with err (nothing left bound).
static int
s_start (s_bus_t *self, gl_err_t *err)
{
    const gl_config_t *cfg = self->cfg;
    if (!(self->frontend = s_bind (ZMQ_XSUB, cfg->bus_frontend, "bus/frontend", cfg, err))
    ||  !(self->backend = s_bind (ZMQ_XPUB, cfg->bus_backend, "bus/backend", cfg, err))
    ||  !(self->control = s_bind (ZMQ_ROUTER, cfg->bus_control, "bus/control", cfg, err))) {
        s_destroy (self);
        return -1;
    }
    //  Subscriptions take effect when the bus applies them (s_move_up checks each one).
    zsock_set_xpub_manual (self->backend, 1);
    //  Per-subscriber queue: past it, that subscriber alone loses messages (and replays them).
    zsock_set_sndhwm (self->backend, (int) cfg->sub_hwm);
    zsock_set_rcvhwm (self->frontend, (int) cfg->pub_hwm);
    //  Nothing larger than an envelope is forwarded.
    zsock_set_maxmsgsize (self->frontend, (int) cfg->max_envelope_bytes);
    gl_log_info ("bus %s: publishers -> %s, subscribers <- %s, status on %s", GL_VERSION,
                 cfg->bus_frontend, cfg->bus_backend, cfg->bus_control);
    return 0;
}

void
gl_bus_actor (zsock_t *pipe, void *cfg)
{
    s_bus_t self = { .cfg = cfg, .pipe = pipe, .started = zclock_mono () };
    zsock_signal (pipe, 0);
    char *command = zstr_recv (pipe);
    gl_err_t err;
    bool start = command && streq (command, "START");
    zstr_free (&command);
    if (!start)
        return;                         //  $TERM before START
    if (s_start (&self, &err)) {
        zstr_send (pipe, err.message);
        return;
    }
    zstr_send (pipe, "OK");
    zmq_pollitem_t items [] = {
        { zsock_resolve (self.frontend), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self.backend), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self.control), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 },
    };
    while (true) {
        if (zmq_poll (items, 4, 1000) < 0 && zmq_errno () != EINTR)
            break;
        if (items [0].revents & ZMQ_POLLIN)
            self.forwarded += s_move_down (&self, items [0].socket, items [1].socket);
        if (items [1].revents & ZMQ_POLLIN)
            self.subscriptions += s_move_up (&self, items [1].socket, items [0].socket);
        if (items [2].revents & ZMQ_POLLIN)
            s_answer (&self);
        if (items [3].revents & ZMQ_POLLIN) {
            command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        }
    }
    gl_log_info ("bus: stopping after %llu messages", (unsigned long long) self.forwarded);
    s_destroy (&self);
}

zactor_t *
gl_bus_start (const gl_config_t *cfg, gl_err_t *err)
{
    zactor_t *bus = zactor_new (gl_bus_actor, (void *) cfg);
    zstr_send (bus, "START");
    char *answer = zstr_recv (bus);
    if (answer && streq (answer, "OK")) {
        zstr_free (&answer);
        return bus;
    }
    gl_fail (err, GL_UNAVAILABLE, "%s", answer? answer: "the bus stopped at start");
    zstr_free (&answer);
    zactor_destroy (&bus);
    return NULL;
}

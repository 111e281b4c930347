/*  gl_security — CURVE servers and clients, the ZAP handler, who sent a message, and the
    certificate files (gl_security.h).  */
#include "gl_security.h"
#include "gl_log.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_ZAP_DOMAIN "gridloop"
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93   //  libzmq 4.3 (a draft option in its header): ZAP decides
                                    //  even for a domain no handler is bound for; a library
                                    //  without it refuses the option and CURVE still requires
                                    //  the handler's yes
#endif

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static zactor_t *s_auth;            //  the process's ZAP handler (one per ZeroMQ context)
static char s_auth_dir [600];       //  the directory it accepts certificates from
static bool s_warned;               //  plain mode said so
static atomic_uint_fast64_t s_refused;  //  handshakes refused (no, unknown or revoked cert)
#define S_SERVERS_MAX 32              //  server sockets in one process: a service has one, the
                                    //  bus three, a unit test a few services
static struct {
    zsock_t *sock;                  //  a server socket
    zactor_t *watcher;              //  the monitor counting its refusals
} s_servers [S_SERVERS_MAX];
static int s_server_count;          //  set up and not ended: the ZAP handler runs while one is
static gl_config_t s_cfg_copy;      //  the process's configuration (gl_sec_init)
static const gl_config_t *s_cfg;    //  &s_cfg_copy once set
static char s_me [64];              //  and its own certificate's name

bool
gl_sec_on (const gl_config_t *cfg)
{
    return !streq (cfg->security_mode, "plain");
}

uint64_t
gl_sec_refused (void)
{
    return atomic_load (&s_refused);
}

static int
s_load (const gl_config_t *cfg, const char *name, bool secret, zcert_t **cert, gl_err_t *err)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s.cert%s", cfg->certs_dir, name, secret? "_secret": "");
    *cert = zcert_load (path);
    if (!*cert)
        return gl_fail (err, GL_INVALID, "%s: no such certificate (security/certs is \"%s\"): "
                        "make the county's certificates with `gridloop cert init`, or one with "
                        "`gridloop cert new %s --unit UNIT --role ROLE`", path, cfg->certs_dir,
                        name);
    return 0;
}

//  Count refused handshakes on one server socket: ZeroMQ's monitor events, read by a thread of
//  their own so that nothing in the service's loop waits for them.
static void
s_watcher (zsock_t *pipe, void *endpoint)
{
    zsock_t *events = zsock_new_pair ((const char *) endpoint);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, events, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != events)
            break;
        zmsg_t *msg = zmsg_recv (events);
        zframe_t *head = zmsg_first (msg), *address = zmsg_next (msg);
        if (head && zframe_size (head) >= 2) {
            atomic_fetch_add (&s_refused, 1);
            static int64_t last_log;
            if (zclock_mono () - last_log > 5000) {
                last_log = zclock_mono ();
                gl_log_warning ("security: refused a connection from %.*s: no certificate, or "
                                "one this service does not accept (refused so far: %llu)",
                                address? (int) zframe_size (address): 0,
                                address? (const char *) zframe_data (address): "",
                                (unsigned long long) atomic_load (&s_refused));
            }
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&events);
    free (endpoint);
}

static void
s_watch (zsock_t *sock)
{
    static int counter;
    char *endpoint = zsys_sprintf ("inproc://gl-security-%d-%d", getpid (), ++counter);
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint,
                            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)) {
        zstr_free (&endpoint);
        return;
    }
    for (int i = 0; i < S_SERVERS_MAX; i++)
        if (!s_servers [i].sock) {
            s_servers [i].sock = sock;
            s_servers [i].watcher = zactor_new (s_watcher, endpoint);
            return;
        }
    zmq_socket_monitor (zsock_resolve (sock), NULL, 0);     //  full: refusals not counted
    zstr_free (&endpoint);
}

int
gl_sec_server (const gl_config_t *cfg, const char *who, zsock_t *sock, gl_err_t *err)
{
    pthread_mutex_lock (&s_lock);
    if (!gl_sec_on (cfg)) {
        if (!s_warned)
            gl_log_warning ("security/mode is \"plain\": NO ENCRYPTION AND NO AUTHENTICATION. "
                            "Anyone who can reach %s's ports acts as any unit. Use it only to "
                            "debug, never in a county.", who);
        s_warned = true;
        pthread_mutex_unlock (&s_lock);
        return 0;
    }
    zcert_t *cert;
    int rc = s_load (cfg, who, true, &cert, err);
    if (rc == 0 && !s_auth) {
        //  One ZAP handler per process; it must run before the first bind, or the first
        //  connections would be let through unchecked (the domain is enforced anyway).
        snprintf (s_auth_dir, sizeof s_auth_dir, "%s/allowed/%s", cfg->certs_dir, who);
        s_auth = zactor_new (zauth, NULL);
        zstr_sendx (s_auth, "CURVE", s_auth_dir, NULL);
        zsock_wait (s_auth);
        gl_log_info ("security: CURVE on; %s accepts the certificates in %s", who, s_auth_dir);
    }
    if (rc == 0) {
        zcert_apply (cert, sock);
        zsock_set_curve_server (sock, 1);
        zsock_set_zap_domain (sock, S_ZAP_DOMAIN);
        //  ZMQ_ZAP_ENFORCE_DOMAIN: without a ZAP handler answering, nobody gets in.
        int on = 1;
        zmq_setsockopt (zsock_resolve (sock), ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on);
        s_watch (sock);
        s_server_count++;
        zcert_destroy (&cert);
    }
    pthread_mutex_unlock (&s_lock);
    return rc;
}

int
gl_sec_client (const gl_config_t *cfg, const char *me, const char *peer, zsock_t *sock,
               gl_err_t *err)
{
    if (!gl_sec_on (cfg))
        return 0;
    zcert_t *mine, *theirs;
    if (s_load (cfg, me, true, &mine, err))
        return -1;
    if (s_load (cfg, peer, false, &theirs, err)) {
        zcert_destroy (&mine);
        return -1;
    }
    zcert_apply (mine, sock);
    zsock_set_curve_serverkey (sock, zcert_public_txt (theirs));
    zcert_destroy (&mine);
    zcert_destroy (&theirs);
    return 0;
}

static void
s_get (const char *value, char *buf, size_t size)
{
    snprintf (buf, size, "%s", value? value: "");
}

void
gl_sec_caller_msg (zmq_msg_t *msg, gl_caller_t *c)
{
    s_get (zmq_msg_gets (msg, "name"), c->name, sizeof c->name);
    s_get (zmq_msg_gets (msg, "unit"), c->unit, sizeof c->unit);
    s_get (zmq_msg_gets (msg, "role"), c->role, sizeof c->role);
    s_get (zmq_msg_gets (msg, "person"), c->person, sizeof c->person);
    s_get (zmq_msg_gets (msg, "User-Id"), c->key, sizeof c->key);
}

void
gl_sec_caller (zframe_t *frame, gl_caller_t *c)
{
    s_get (zframe_meta (frame, "name"), c->name, sizeof c->name);
    s_get (zframe_meta (frame, "unit"), c->unit, sizeof c->unit);
    s_get (zframe_meta (frame, "role"), c->role, sizeof c->role);
    s_get (zframe_meta (frame, "person"), c->person, sizeof c->person);
    s_get (zframe_meta (frame, "User-Id"), c->key, sizeof c->key);
}

void
gl_sec_server_end (zsock_t *sock)
{
    pthread_mutex_lock (&s_lock);
    for (int i = 0; sock && i < S_SERVERS_MAX; i++)
        if (s_servers [i].sock == sock) {
            zmq_socket_monitor (zsock_resolve (sock), NULL, 0);
            zactor_destroy (&s_servers [i].watcher);
            s_servers [i].sock = NULL;
            if (--s_server_count == 0)
                zactor_destroy (&s_auth);
        }
    pthread_mutex_unlock (&s_lock);
}

void
gl_sec_init (const gl_config_t *cfg, const char *me)
{
    pthread_mutex_lock (&s_lock);
    s_cfg_copy = *cfg;
    s_cfg = &s_cfg_copy;
    snprintf (s_me, sizeof s_me, "%s", me);
    pthread_mutex_unlock (&s_lock);
}

//  The server cfg places at endpoint: "bus", a service's name, or NULL.
static const char *
s_server_at (const gl_config_t *cfg, const char *endpoint)
{
    if (streq (endpoint, cfg->bus_frontend) || streq (endpoint, cfg->bus_backend)
    ||  streq (endpoint, cfg->bus_control))
        return "bus";
    for (int i = 0; i < GL_SVC_COUNT; i++)
        if (streq (endpoint, cfg->svc [i].endpoint))
            return gl_svc_names [i];
    return NULL;
}

bool
gl_sec_ready (void)
{
    pthread_mutex_lock (&s_lock);
    bool ready = s_cfg != NULL;
    pthread_mutex_unlock (&s_lock);
    return ready;
}

int
gl_sec_connect (zsock_t *sock, const char *endpoint, gl_err_t *err)
{
    return gl_sec_connect_as (NULL, sock, endpoint, NULL, err);
}

int
gl_sec_connect_as (const gl_config_t *cfg, zsock_t *sock, const char *endpoint, const char *as,
                   gl_err_t *err)
{
    pthread_mutex_lock (&s_lock);
    if (!cfg)
        cfg = s_cfg;
    char me [64];
    snprintf (me, sizeof me, "%s", as? as: s_me);
    pthread_mutex_unlock (&s_lock);
    if (cfg && gl_sec_on (cfg) && strncmp (endpoint, "inproc:", 7)) {
        const char *peer = s_server_at (cfg, endpoint);
        if (!peer)
            return gl_fail (err, GL_INVALID, "%s is neither the bus nor a service of %s: its "
                            "certificate is unknown", endpoint, cfg->path);
        if (gl_sec_client (cfg, me, peer, sock, err))
            return -1;
    }
    if (zsock_connect (sock, "%s", endpoint))
        return gl_fail (err, GL_INVALID, "cannot connect to %s: %s", endpoint,
                        zmq_strerror (zmq_errno ()));
    return 0;
}

bool
gl_sec_any_unit (const gl_caller_t *caller)
{
    return !*caller->key || streq (caller->role, "operator") || streq (caller->role, "service");
}

//  ---------------------------------------------------------------------------------------------
//  Certificate files.

int
gl_sec_cert_new (const char *dir, const char *name, const char *unit, const char *role,
                 const char *person, gl_err_t *err)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s.cert", dir, name);
    if (access (path, F_OK) == 0)
        return gl_fail (err, GL_CONFLICT, "%s exists: a certificate is never overwritten (to "
                        "rotate it, revoke the old one and make one with a new name)", path);
    if (zsys_dir_create ("%s", dir))
        return gl_fail (err, GL_INVALID, "%s: cannot create the directory (%s)", dir,
                        strerror (errno));
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "unit", "%s", unit);
    zcert_set_meta (cert, "role", "%s", role);
    if (person && *person)
        zcert_set_meta (cert, "person", "%s", person);
    //  The secret half is for its holder alone.
    mode_t old = umask (077);
    int rc = zcert_save (cert, path);
    umask (old);
    zcert_destroy (&cert);
    if (rc)
        return gl_fail (err, GL_INVALID, "%s: cannot write the certificate (%s)", path,
                        strerror (errno));
    chmod (path, 0644);
    return 0;
}

int
gl_sec_allow (const char *dir, const char *name, const char *const *services, gl_err_t *err)
{
    char from [600];
    snprintf (from, sizeof from, "%s/%s.cert", dir, name);
    zcert_t *cert = zcert_load (from);
    if (!cert)
        return gl_fail (err, GL_NOT_FOUND, "%s: no such certificate", from);
    int rc = 0;
    for (size_t i = 0; rc == 0 && services [i]; i++) {
        char to [700];
        snprintf (to, sizeof to, "%s/allowed/%s", dir, services [i]);
        zsys_dir_create ("%s", to);
        snprintf (to, sizeof to, "%s/allowed/%s/%s.cert", dir, services [i], name);
        if (zcert_save_public (cert, to))
            rc = gl_fail (err, GL_INVALID, "%s: cannot write (%s)", to, strerror (errno));
    }
    zcert_destroy (&cert);
    return rc;
}

int
gl_sec_revoke (const char *dir, const char *name, const char *const *services, gl_err_t *err)
{
    int found = 0;
    for (size_t i = 0; services [i]; i++) {
        char path [700];
        snprintf (path, sizeof path, "%s/allowed/%s/%s.cert", dir, services [i], name);
        found += unlink (path) == 0;
    }
    if (!found)
        return gl_fail (err, GL_NOT_FOUND, "%s is not allowed by any service (nothing under "
                        "%s/allowed/*/%s.cert)", name, dir, name);
    return 0;
}

const char *const gl_sec_servers [] = {
    "bus", "intake", "dispatcher", "escalation", "archive", "metrics", NULL
};

//  Make name's certificate unless it exists, and allow it at the services given.
static int
s_member (const char *dir, const char *name, const char *unit, const char *role,
          const char *const *services, int *made, gl_err_t *err)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s.cert", dir, name);
    if (access (path, F_OK)) {
        if (gl_sec_cert_new (dir, name, unit, role, NULL, err))
            return -1;
        (*made)++;
    }
    return gl_sec_allow (dir, name, services, err);
}

int
gl_sec_county (const gl_config_t *cfg, gl_err_t *err)
{
    const char *dir = cfg->certs_dir;
    static const char *const at_intake [] = { "bus", "intake", NULL };
    int made = 0;
    for (size_t i = 0; gl_sec_servers [i]; i++)
        if (s_member (dir, gl_sec_servers [i], gl_sec_servers [i], "service", gl_sec_servers,
                      &made, err))
            return -1;
    if (s_member (dir, cfg->cert_name, "CTY-C", "operator", gl_sec_servers, &made, err))
        return -1;
    char sources [sizeof cfg->intake_sources];
    snprintf (sources, sizeof sources, "%s", cfg->intake_sources);
    char *save = NULL;
    for (char *s = strtok_r (sources, " ,", &save); s; s = strtok_r (NULL, " ,", &save))
        if (s_member (dir, s, s, "department", at_intake, &made, err))
            return -1;
    return made;
}

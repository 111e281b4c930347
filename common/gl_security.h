/*  gl_security — CURVE on every TCP endpoint, and who is on the other end (DESIGN.md §8).

    Certificates live in one directory (security/certs):
        <name>.cert           the public certificate of a service, seat or department
        <name>.cert_secret    its secret half (mode 0600): only the process that is <name>
        allowed/<service>/    the public certificates that service accepts; removing a file
                              revokes it, picked up at the next connection without a restart
    A certificate's metadata names who holds it: name, unit, role ("service", "operator",
    "department", "unit") and, for a person's seat, person.

    A server (a service's ROUTER, the bus's three sockets) runs the ZAP handler (CZMQ's zauth)
    before it binds, with the ZAP domain enforced: a peer without a certificate, or with one
    that is not in allowed/<service>/, is refused in the handshake, and its messages never
    reach the service. Each accepted message carries the certificate's metadata, which the
    service reads instead of believing the body.

    security/mode = "plain" turns all of this off, for debugging: logged loudly at start.  */
#ifndef GL_SECURITY_H
#define GL_SECURITY_H

#include "gl_config.h"
#include <czmq.h>

/*  Who sent a message, from its connection (all "" under plain).  */
typedef struct {
    char name [64];             //  the certificate's name: "intake", "operator", "police-110"
    char unit [64];             //  the unit it acts for
    char role [32];             //  service | operator | department | unit
    char person [65];           //  a person's seat: their staff id
    char key [41];              //  the public key (Z85): User-Id
} gl_caller_t;

/*  True unless security/mode is "plain".  */
bool gl_sec_on (const gl_config_t *cfg);

/*  The process's own certificate for the connections it makes (gl_sec_connect, gl_client):
    its name `me` in cfg's certificate directory (cfg is copied). A service calls it with its
    own name when it starts, the command line with security/cert, a departmental system with
    its source, a test with each network it makes. The last call decides (several services in
    one process, as in the unit tests, share one).  */
void gl_sec_init (const gl_config_t *cfg, const char *me);
/*  True once gl_sec_init was called in this process.  */
bool gl_sec_ready (void);
/*  Connect sock to endpoint as the process's certificate (gl_sec_init), towards the server cfg
    places at that endpoint (the bus, or a service). Under plain, or before gl_sec_init: a
    plain connect. Returns 0, or -1 with err (a certificate missing, an endpoint that is no
    server of the configuration).  */
int gl_sec_connect (zsock_t *sock, const char *endpoint, gl_err_t *err);
/*  The same with the certificate `as` (NULL: the process's; a departmental system's, a
    service's own publisher's), and the servers and certificates of cfg (NULL: the process's).  */
int gl_sec_connect_as (const gl_config_t *cfg, zsock_t *sock, const char *endpoint,
                       const char *as, gl_err_t *err);
/*  Handshakes refused since the process started (no, unknown or revoked certificate).  */
uint64_t gl_sec_refused (void);
/*  The roles that may act for any unit: the county's operator seats and the services.  */
bool gl_sec_any_unit (const gl_caller_t *caller);

/*  Make sock a CURVE server as service `who` (its certificate <certs>/<who>.cert_secret),
    accepting the peers of <certs>/allowed/<who>/; call before binding. Starts the process's
    ZAP handler the first time. Under plain: nothing (and a warning, once). Returns 0, or -1
    with err naming the file that is missing.  */
int gl_sec_server (const gl_config_t *cfg, const char *who, zsock_t *sock, gl_err_t *err);

/*  Make sock a CURVE client with certificate `me` towards server `peer` (<certs>/<peer>.cert
    gives its public key); call before connecting. Under plain: nothing. Returns 0, or -1 with
    err.  */
int gl_sec_client (const gl_config_t *cfg, const char *me, const char *peer, zsock_t *sock,
                   gl_err_t *err);

/*  The sender of a received frame (or message part).  */
void gl_sec_caller (zframe_t *frame, gl_caller_t *caller);
void gl_sec_caller_msg (zmq_msg_t *msg, gl_caller_t *caller);

/*  Before a server socket made by gl_sec_server is destroyed: stop counting its refusals,
    and the ZAP handler with the process's last server.  */
void gl_sec_server_end (zsock_t *sock);

/*  Write a new certificate pair <dir>/<name>.cert(_secret) with its metadata (person may be
    NULL). Refuses to overwrite. Returns 0, or -1 with err.  */
int gl_sec_cert_new (const char *dir, const char *name, const char *unit, const char *role,
                     const char *person, gl_err_t *err);
/*  Copy <dir>/<name>.cert into allowed/<service>/ for each service (NULL-terminated), or
    remove it from there (revoke). Returns 0, or -1 with err.  */
int gl_sec_allow (const char *dir, const char *name, const char *const *services,
                  gl_err_t *err);
int gl_sec_revoke (const char *dir, const char *name, const char *const *services,
                   gl_err_t *err);

/*  Every server's name: the bus and the services (NULL-terminated).  */
extern const char *const gl_sec_servers [];

/*  The county's set, in cfg's certificate directory, made once (what exists is kept): one
    certificate per service (role service), the operator seat (the command line: unit CTY-C,
    role operator, named security/cert), one per registered departmental source (intake/
    sources: role department, its unit the source), and each allowed where it talks: services
    and the operator everywhere, a department at the bus and intake. Returns the number of
    certificates made, or -1 with err.  */
int gl_sec_county (const gl_config_t *cfg, gl_err_t *err);

#endif

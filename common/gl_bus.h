/*  gl_bus — the stateless message bus as an actor: publishers connect to the XSUB frontend,
    subscribers to the XPUB backend; subscriptions flow up, messages flow down. It never blocks
    on a slow subscriber (XPUB drops at that subscriber's high-water mark, and the consumer
    repairs the gap by replay). Its ROUTER (bus/control) answers status.

    Started as zactor_new (gl_bus_actor, cfg) with cfg a gl_config_t that outlives the actor,
    then told "START": it binds its three endpoints and answers "OK", or a sentence saying what
    could not be bound (the actor has then ended). "$TERM" (zactor_destroy) stops it.  */
#ifndef GL_BUS_H
#define GL_BUS_H

#include "gl_config.h"
#include <czmq.h>

void gl_bus_actor (zsock_t *pipe, void *cfg);

/*  Start a bus actor on cfg: returns it, or NULL with err set when it could not bind.  */
zactor_t *gl_bus_start (const gl_config_t *cfg, gl_err_t *err);

#endif

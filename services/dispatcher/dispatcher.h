/*  dispatcher — owns each event's state and steps (分级转办 → 核查反馈): files and routes new
    events, and carries out every lifecycle command from the units that may give it.  */
#ifndef DISPATCHER_H
#define DISPATCHER_H

#include "gl_service.h"

extern const gl_service_def_t dispatcher_service;
/*  The fields a lifecycle op ("accept", "dispatch" …) must carry, checked by its handler
    (its gl_op_t has none); NULL for any other name.  */
const gl_schema_t *dispatcher_op_schema (const char *op);

#endif

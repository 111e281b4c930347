/*  intake — where reports enter: checks them, gives each event its id, stores it and publishes
    intake.event.reported.  */
#ifndef INTAKE_H
#define INTAKE_H

#include "gl_service.h"

extern const gl_service_def_t intake_service;

#endif

/*  escalation — every step's deadlines: lights, cards and reminders (督办) from the time limits
    of the domain files, timers kept in the store ordered by due time (proto/escalation.md).  */
#ifndef ESCALATION_H
#define ESCALATION_H

#include "gl_service.h"

extern const gl_service_def_t escalation_service;

#endif

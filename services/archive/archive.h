/*  archive — keeps every message of every stream it reads, under its event id, for good.  */
#ifndef ARCHIVE_H
#define ARCHIVE_H

#include "gl_service.h"

extern const gl_service_def_t archive_service;

#endif

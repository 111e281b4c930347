/*  archive_ops — the archive's operations that live outside archive.c, for its table.  */
#ifndef ARCHIVE_OPS_H
#define ARCHIVE_OPS_H

#include "gl_service.h"

/*  search (proto/archive.md §3): its request schema and handler.  */
extern const gl_schema_t ar_search_schema;
int ar_op_search (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err);

/*  Record that the message stored in "events" under events_key holds seq of its producer's
    stream (for stream). Returns 0 or an LMDB error.  */
int ar_stream_position (gl_ctx_t *ctx, const gl_envelope_t *env, const void *events_key,
                        size_t key_len);

#endif

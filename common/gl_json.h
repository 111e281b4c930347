/*  gl_json — msgpack to JSON and back, for people (CLI output, JSON input) and for the proto/
    test vectors. Binary values appear in JSON as {"$bin": "<hex>"}.  */
#ifndef GL_JSON_H
#define GL_JSON_H

#include "gl_codec.h"
#include "gl_mapw.h"
#include <jansson.h>

/*  A new JSON value for a msgpack object (caller json_decref's it).  */
json_t *gl_json_from_msgpack (const msgpack_object *obj);
/*  Pack a JSON value as msgpack: integers as ints, other numbers as float64, {"$bin": hex} as
    bin, object keys in their order. Returns 0, or -1 with err (e.g. bad hex).  */
int gl_json_to_msgpack (const json_t *json, msgpack_packer *pk, gl_err_t *err);
/*  One-line JSON text of an object (caller frees).  */
char *gl_json_line (const msgpack_object *obj);

#endif

/*  gl_schema — messages are described by tables of fields, and one checker validates any map
    against its table, so every operation's validation and its error sentences come from data.  */
#ifndef GL_SCHEMA_H
#define GL_SCHEMA_H

#include "gl_codec.h"
#include "gl_mapw.h"

typedef enum {
    GL_F_STR,                   //  str; min/max bound its length in bytes
    GL_F_UINT,                  //  non-negative integer; min/max bound the value
    GL_F_INT,                   //  any integer; min/max bound the value
    GL_F_NUM,                   //  integer or float; fmin/fmax bound the value
    GL_F_BOOL,                  //  true or false
    GL_F_MAP,                   //  map checked against sub
    GL_F_STRS,                  //  array of str; min/max bound the count, each ≤ item_max bytes
    GL_F_UINTS,                 //  array of non-negative integers; min/max bound the count
    GL_F_ANY                    //  any value (checked only for presence)
} gl_ftype_t;

typedef struct gl_schema_s gl_schema_t;

typedef struct {
    const char *key;            //  field name on the wire
    gl_ftype_t type;            //  what it must be
    bool required;              //  must be present (and not nil)
    int64_t min, max;           //  bounds, as the type says; max 0 means no upper bound
    double fmin, fmax;          //  bounds for GL_F_NUM
    size_t item_max;            //  GL_F_STRS: longest item in bytes
    const char *const *choices; //  GL_F_STR: allowed values, NULL-terminated; NULL = any
    const gl_schema_t *sub;     //  GL_F_MAP: its fields
    const char *hint;           //  what the field means, with an example: ends the error sentence
} gl_field_t;

struct gl_schema_s {
    const char *name;           //  what the map is, for messages ("report", "reporter")
    const gl_field_t *fields;   //  the table
    size_t count;               //  entries in the table
};

#define GL_SCHEMA(name, table) { name, table, sizeof table / sizeof table [0] }

/*  Check map against schema: every required field present, every present field of its type and
    within bounds, every string valid UTF-8. Unknown keys are accepted (old readers ignore new
    fields). Returns 0, or -1 with err = GL_INVALID (GL_TOO_LARGE for a field over its limit)
    naming the field path and how to fix it.  */
int gl_schema_check (const gl_schema_t *schema, const msgpack_object *map, gl_err_t *err);

/*  Write the fields of map that the schema knows, in the schema's order, into w (nested maps
    recursively): the canonical form of a checked message.  */
void gl_schema_copy (const gl_schema_t *schema, const msgpack_object *map, gl_mapw_t *w);

#endif

/*  gl_schema — table-driven validation of msgpack maps.  */
#include "gl_schema.h"

#include <stdio.h>
#include <string.h>

static const char *
s_type_words (const gl_field_t *f)
{
    switch (f->type) {
        case GL_F_STR:  return "a string";
        case GL_F_UINT: return "a non-negative integer";
        case GL_F_INT:  return "an integer";
        case GL_F_NUM:  return "a number";
        case GL_F_BOOL: return "true or false";
        case GL_F_MAP:  return "a map";
        case GL_F_STRS: return "an array of strings";
        case GL_F_UINTS: return "an array of non-negative integers";
        default:        return "a value";
    }
}

static int
s_bad_code (gl_err_t *err, gl_code_t code, const char *path, const gl_field_t *f,
            const char *what)
{
    return gl_fail (err, code, "field '%s' %s%s%s", path, what, f->hint? ": ": "",
                    f->hint? f->hint: "");
}

static int
s_bad (gl_err_t *err, const char *path, const gl_field_t *f, const char *what)
{
    return s_bad_code (err, GL_INVALID, path, f, what);
}

static int
s_check (const gl_schema_t *schema, const msgpack_object *map, const char *prefix, gl_err_t *err);

//  One item of an array field (GL_F_STRS: a non-empty UTF-8 string within item_max;
//  GL_F_UINTS: a non-negative integer): 0, or -1 with err naming it as at.
static int
s_item (const gl_field_t *f, const msgpack_object *item, const char *at, gl_err_t *err)
{
    if (f->type == GL_F_UINTS)
        return item->type == MSGPACK_OBJECT_POSITIVE_INTEGER? 0:
               s_bad (err, at, f, "must be a non-negative integer");
    if (item->type != MSGPACK_OBJECT_STR || item->via.str.size == 0)
        return s_bad (err, at, f, "must be a non-empty string");
    if (f->item_max && item->via.str.size > f->item_max) {
        char what [200];
        snprintf (what, sizeof what, "is %u bytes; the limit is %zu bytes", item->via.str.size,
                  f->item_max);
        return s_bad_code (err, GL_TOO_LARGE, at, f, what);
    }
    if (!gl_utf8_valid (item->via.str.ptr, item->via.str.size))
        return s_bad (err, at, f, "is not valid UTF-8: send text as UTF-8");
    return 0;
}

//  An array field's item count against its bounds: 0, or -1 with err (TOO_LARGE over max,
//  INVALID under min).
static int
s_count_check (const gl_field_t *f, uint32_t n, const char *path, gl_err_t *err)
{
    char what [200];
    if (f->max && (int64_t) n > f->max) {
        snprintf (what, sizeof what, "has %u items; the limit is %lld", n, (long long) f->max);
        return s_bad_code (err, GL_TOO_LARGE, path, f, what);
    }
    if ((int64_t) n < f->min) {
        snprintf (what, sizeof what, "has %u items; it needs at least %lld", n,
                  (long long) f->min);
        return s_bad (err, path, f, what);
    }
    return 0;
}

static int
s_field (const gl_field_t *f, const msgpack_object *v, const char *path, gl_err_t *err)
{
    char what [200];
    switch (f->type) {
        case GL_F_STR: {
            if (v->type != MSGPACK_OBJECT_STR)
                break;
            uint32_t n = v->via.str.size;
            if (f->max && (int64_t) n > f->max) {
                snprintf (what, sizeof what, "is %u bytes; the limit is %lld bytes", n,
                          (long long) f->max);
                return s_bad_code (err, GL_TOO_LARGE, path, f, what);
            }
            if ((int64_t) n < f->min) {
                if (n == 0)
                    snprintf (what, sizeof what, "must not be empty");
                else
                    snprintf (what, sizeof what, "is %u bytes; it must be at least %lld bytes",
                              n, (long long) f->min);
                return s_bad (err, path, f, what);
            }
            if (!gl_utf8_valid (v->via.str.ptr, n))
                return s_bad (err, path, f, "is not valid UTF-8: send text as UTF-8");
            if (f->choices) {
                for (const char *const *c = f->choices; *c; c++)
                    if (gl_str_eq (v, *c))
                        return 0;
                size_t off = (size_t) snprintf (what, sizeof what, "must be one of");
                for (const char *const *c = f->choices; *c && off < sizeof what; c++)
                    off += (size_t) snprintf (what + off, sizeof what - off, "%s \"%s\"",
                                              c == f->choices? "": ",", *c);
                return s_bad (err, path, f, what);
            }
            return 0;
        }
        case GL_F_UINT:
        case GL_F_INT: {
            int64_t x;
            if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                if (v->via.u64 > INT64_MAX)
                    x = INT64_MAX;
                else
                    x = (int64_t) v->via.u64;
            }
            else
            if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && f->type == GL_F_INT)
                x = v->via.i64;
            else
                break;
            if (x < f->min || (f->max && x > f->max)) {
                if (f->max)
                    snprintf (what, sizeof what, "is %lld; it must be from %lld to %lld",
                              (long long) x, (long long) f->min, (long long) f->max);
                else            //  max 0: no upper bound
                    snprintf (what, sizeof what, "is %lld; it must be at least %lld",
                              (long long) x, (long long) f->min);
                return s_bad (err, path, f, what);
            }
            return 0;
        }
        case GL_F_NUM: {
            double x;
            if (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32)
                x = v->via.f64;
            else
            if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                x = (double) v->via.u64;
            else
            if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                x = (double) v->via.i64;
            else
                break;
            if (!(x >= f->fmin && x <= f->fmax)) {      //  also refuses NaN
                snprintf (what, sizeof what, "is %g; it must be from %g to %g", x, f->fmin,
                          f->fmax);
                return s_bad (err, path, f, what);
            }
            return 0;
        }
        case GL_F_BOOL:
            if (v->type != MSGPACK_OBJECT_BOOLEAN)
                break;
            return 0;
        case GL_F_MAP:
            if (v->type != MSGPACK_OBJECT_MAP)
                break;
            return f->sub? s_check (f->sub, v, path, err): 0;
        case GL_F_STRS:
        case GL_F_UINTS: {
            if (v->type != MSGPACK_OBJECT_ARRAY)
                break;
            uint32_t n = v->via.array.size;
            if (s_count_check (f, n, path, err))
                return -1;
            for (uint32_t i = 0; i < n; i++) {
                char at [160];
                snprintf (at, sizeof at, "%s[%u]", path, i);
                if (s_item (f, &v->via.array.ptr [i], at, err))
                    return -1;
            }
            return 0;
        }
        case GL_F_ANY:
            return 0;
    }
    snprintf (what, sizeof what, "must be %s", s_type_words (f));
    return s_bad (err, path, f, what);
}

static int
s_check (const gl_schema_t *schema, const msgpack_object *map, const char *prefix, gl_err_t *err)
{
    for (size_t i = 0; i < schema->count; i++) {
        const gl_field_t *f = &schema->fields [i];
        char path [128];
        if (prefix && *prefix)
            snprintf (path, sizeof path, "%s.%s", prefix, f->key);
        else
            snprintf (path, sizeof path, "%s", f->key);
        const msgpack_object *v = gl_map_get (map, f->key);
        if (!v || v->type == MSGPACK_OBJECT_NIL) {
            if (f->required) {
                char what [200];
                snprintf (what, sizeof what, "is required (%s)", s_type_words (f));
                return s_bad (err, path, f, what);
            }
            continue;
        }
        if (s_field (f, v, path, err))
            return -1;
    }
    return 0;
}

int
gl_schema_check (const gl_schema_t *schema, const msgpack_object *map, gl_err_t *err)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return gl_fail (err, GL_INVALID, "%s must be a map", schema->name);
    return s_check (schema, map, NULL, err);
}

void
gl_schema_copy (const gl_schema_t *schema, const msgpack_object *map, gl_mapw_t *w)
{
    for (size_t i = 0; i < schema->count; i++) {
        const gl_field_t *f = &schema->fields [i];
        const msgpack_object *v = gl_map_get (map, f->key);
        if (!v || v->type == MSGPACK_OBJECT_NIL)
            continue;
        if (f->type == GL_F_MAP && f->sub) {
            gl_mapw_t inner;
            gl_mapw_init (&inner);
            gl_schema_copy (f->sub, v, &inner);
            gl_mapw_map (w, f->key, &inner);
            gl_mapw_fini (&inner);
        }
        else
            gl_mapw_obj (w, f->key, v);
    }
}

/*  gl_domain — reading the county's domain files (units and people, categories, the
    admitted-items registry, roles, time limits, plans, score weights): JSON read whole with
    jansson and checked before anything is used, every problem refused with one sentence naming
    the file, the entry ("units[57] 'SJ-01-01'") and what is wrong. Each loader keeps a reader
    and calls these checks; they return 0, or -1 with the reader's err set.  */
#ifndef GL_DOMAIN_H
#define GL_DOMAIN_H

#include "gl_error.h"
#include <jansson.h>
#include <stdint.h>

#define GL_DOMAIN_ID_MAX    63  //  longest id: ids travel in topics and keys
#define GL_DOMAIN_NAME_MAX  255 //  longest name in bytes (about 85 Chinese characters)

/*  Where a check stands: the file, the entry, where the first problem goes.  */
typedef struct {
    const char *path;           //  the file being checked ("(text)" for a string)
    gl_err_t *err;              //  where the first problem goes
    char entry [128];           //  the entry being checked, "" for the top level
} gl_domain_t;

/*  Read a file whose top level must be a JSON object (duplicate keys refused). NULL with err
    set when it is missing, not JSON, or not an object.  */
json_t *gl_domain_parse (const char *path, gl_err_t *err);
/*  The same from a string (tests, fuzzing); name stands for the file in messages.  */
json_t *gl_domain_parse_text (const char *text, const char *name, gl_err_t *err);

/*  Refuse with "<file>: <entry>: <problem>".  */
int gl_domain_bad (gl_domain_t *d, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
/*  Name the entry list[i], with its id (item[id_key]) when it has a usable one; or a free
    name ("county", "years.2026").  */
void gl_domain_enter (gl_domain_t *d, const char *list, size_t i, const json_t *item,
                      const char *id_key);
void gl_domain_enter_name (gl_domain_t *d, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
/*  Every key of obj is one of the NULL-terminated allowed list.  */
int gl_domain_keys (gl_domain_t *d, const json_t *obj, const char *const *allowed);
/*  A required non-empty string of at most max bytes without NUL.  */
int gl_domain_string (gl_domain_t *d, const json_t *obj, const char *key, size_t max,
                      const char **out);
/*  The same, but absent is allowed (*out left as it was).  */
int gl_domain_string_opt (gl_domain_t *d, const json_t *obj, const char *key, size_t max,
                          const char **out);
/*  An id: 1..GL_DOMAIN_ID_MAX of A-Z a-z 0-9 - _ (no '.': ids end topics, whose segments
    are dot-separated).  */
int gl_domain_id (gl_domain_t *d, const json_t *obj, const char *key, const char **out);
/*  A string that must be one of names (count of them); *out is its index.  */
int gl_domain_enum (gl_domain_t *d, const json_t *obj, const char *key,
                    const char *const *names, int count, int *out);
/*  The array under key.  */
int gl_domain_array (gl_domain_t *d, const json_t *obj, const char *key, json_t **out);
/*  An array of strings under key, non-empty unless may_be_empty.  */
int gl_domain_strings (gl_domain_t *d, const json_t *obj, const char *key, bool may_be_empty,
                       json_t **out);
/*  The object under key.  */
int gl_domain_object (gl_domain_t *d, const json_t *obj, const char *key, json_t **out);
/*  A number (integer or real) from min to max; absent allowed when dflt is not NULL (then
    *out = *dflt).  */
int gl_domain_number (gl_domain_t *d, const json_t *obj, const char *key, double min,
                      double max, const double *dflt, double *out);
/*  A boolean; absent gives dflt.  */
int gl_domain_bool (gl_domain_t *d, const json_t *obj, const char *key, bool dflt, bool *out);
/*  A date "YYYY-MM-DD" that exists, from 1970 on; *days is days since 1970-01-01.  */
int gl_domain_date (gl_domain_t *d, const json_t *obj, const char *key, const char **out,
                    int64_t *days);

/*  The index of name in names (count of them), or -1.  */
int gl_domain_lookup (const char *const *names, int count, const char *name);
/*  names[value], or "?" outside 0..count-1.  */
const char *gl_domain_name (const char *const *names, int count, int value);

/*  An enum's two directions from its one name table: name_fn (value) and lookup_fn (name).  */
#define GL_DOMAIN_ENUM_NAMES(type, name_fn, lookup_fn, names, count) \
    const char *name_fn (type value) { return gl_domain_name (names, count, value); } \
    int lookup_fn (const char *name) { return gl_domain_lookup (names, count, name); }

#endif

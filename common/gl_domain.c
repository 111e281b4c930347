/*  gl_domain — checked reading of the county's JSON domain files.  */
#include "gl_domain.h"
#include "gl_clock.h"

#include <czmq.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

//  Make a parsed root usable: an object, or NULL with err set.
static json_t *
s_root (json_t *root, const json_error_t *error, const char *name, bool missing, gl_err_t *err)
{
    if (!root) {
        if (missing)
            gl_fail (err, GL_INVALID, "%s: no such file", name);
        else
            gl_fail (err, GL_INVALID, "%s: not valid JSON: %s (line %d, column %d)", name,
                     error->text, error->line, error->column);
        return NULL;
    }
    if (!json_is_object (root)) {
        json_decref (root);
        gl_fail (err, GL_INVALID, "%s: the top level must be a JSON object", name);
        return NULL;
    }
    return root;
}

json_t *
gl_domain_parse (const char *path, gl_err_t *err)
{
    json_error_t error;
    json_t *root = json_load_file (path, JSON_REJECT_DUPLICATES, &error);
    return s_root (root, &error, path, !root && !zsys_file_exists (path), err);
}

json_t *
gl_domain_parse_text (const char *text, const char *name, gl_err_t *err)
{
    json_error_t error;
    json_t *root = json_loads (text, JSON_REJECT_DUPLICATES, &error);
    return s_root (root, &error, name, false, err);
}

int
gl_domain_bad (gl_domain_t *d, const char *format, ...)
{
    char problem [256];
    va_list args;
    va_start (args, format);
    vsnprintf (problem, sizeof problem, format, args);
    va_end (args);
    return gl_fail (d->err, GL_INVALID, "%s: %s%s%s", d->path, d->entry, *d->entry? ": ": "",
                    problem);
}

void
gl_domain_enter (gl_domain_t *d, const char *list, size_t i, const json_t *item,
                 const char *id_key)
{
    const char *id = id_key? json_string_value (json_object_get (item, id_key)): NULL;
    if (id && strlen (id) <= GL_DOMAIN_ID_MAX)
        snprintf (d->entry, sizeof d->entry, "%s[%zu] '%s'", list, i, id);
    else
        snprintf (d->entry, sizeof d->entry, "%s[%zu]", list, i);
}

void
gl_domain_enter_name (gl_domain_t *d, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (d->entry, sizeof d->entry, format, args);
    va_end (args);
}

const char *
gl_domain_name (const char *const *names, int count, int value)
{
    return value >= 0 && value < count? names [value]: "?";
}

int
gl_domain_lookup (const char *const *names, int count, const char *name)
{
    for (int i = 0; name && i < count; i++)
        if (streq (names [i], name))
            return i;
    return -1;
}

int
gl_domain_keys (gl_domain_t *d, const json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) obj, key, value) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = streq (*a, key);
        if (!known) {
            char list [200] = "";
            for (const char *const *a = allowed; *a; a++)
                snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s",
                          a == allowed? "": ", ", *a);
            return gl_domain_bad (d, "unknown key '%s' (expected %s)", key, list);
        }
    }
    return 0;
}

int
gl_domain_string (gl_domain_t *d, const json_t *obj, const char *key, size_t max,
                  const char **out)
{
    const json_t *value = json_object_get (obj, key);
    if (!value)
        return gl_domain_bad (d, "'%s' is missing", key);
    if (!json_is_string (value))
        return gl_domain_bad (d, "'%s' must be a string", key);
    const char *text = json_string_value (value);
    size_t len = json_string_length (value);
    if (len == 0)
        return gl_domain_bad (d, "'%s' is empty", key);
    if (strlen (text) != len)
        return gl_domain_bad (d, "'%s' contains a NUL character", key);
    if (len > max)
        return gl_domain_bad (d, "'%s' is %zu bytes long; at most %zu are accepted", key, len,
                              max);
    *out = text;
    return 0;
}

int
gl_domain_string_opt (gl_domain_t *d, const json_t *obj, const char *key, size_t max,
                      const char **out)
{
    if (!json_object_get (obj, key))
        return 0;
    return gl_domain_string (d, obj, key, max, out);
}

int
gl_domain_id (gl_domain_t *d, const json_t *obj, const char *key, const char **out)
{
    if (gl_domain_string (d, obj, key, GL_DOMAIN_ID_MAX, out))
        return -1;
    for (const char *c = *out; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
        ||    *c == '-' || *c == '_'))
            return gl_domain_bad (d, "'%s' is \"%s\"; ids use only letters, digits, '-' and "
                                  "'_'", key, *out);
    return 0;
}

int
gl_domain_enum (gl_domain_t *d, const json_t *obj, const char *key, const char *const *names,
                int count, int *out)
{
    const char *text;
    if (gl_domain_string (d, obj, key, GL_DOMAIN_NAME_MAX, &text))
        return -1;
    *out = gl_domain_lookup (names, count, text);
    if (*out >= 0)
        return 0;
    char list [200] = "";
    for (int i = 0; i < count; i++)
        snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", i? "|": "",
                  names [i]);
    return gl_domain_bad (d, "'%s' is \"%s\"; expected one of %s", key, text, list);
}

//  The child under key, which must be there and of the JSON type wanted (named as what).
static int
s_child (gl_domain_t *d, const json_t *obj, const char *key, json_type type, const char *what,
         json_t **out)
{
    *out = json_object_get (obj, key);
    if (!*out)
        return gl_domain_bad (d, "'%s' is missing", key);
    if (json_typeof (*out) != type)
        return gl_domain_bad (d, "'%s' must be %s", key, what);
    return 0;
}

int
gl_domain_array (gl_domain_t *d, const json_t *obj, const char *key, json_t **out)
{
    return s_child (d, obj, key, JSON_ARRAY, "an array", out);
}

int
gl_domain_object (gl_domain_t *d, const json_t *obj, const char *key, json_t **out)
{
    return s_child (d, obj, key, JSON_OBJECT, "an object", out);
}

int
gl_domain_strings (gl_domain_t *d, const json_t *obj, const char *key, bool may_be_empty,
                   json_t **out)
{
    *out = json_object_get (obj, key);
    if (!*out)
        return gl_domain_bad (d, "'%s' is missing", key);
    if (!json_is_array (*out))
        return gl_domain_bad (d, "'%s' must be an array of strings", key);
    if (json_array_size (*out) == 0 && !may_be_empty)
        return gl_domain_bad (d, "'%s' is empty", key);
    size_t i;
    json_t *value;
    json_array_foreach (*out, i, value)
        if (!json_is_string (value))
            return gl_domain_bad (d, "'%s'[%zu] must be a string", key, i);
    return 0;
}

int
gl_domain_number (gl_domain_t *d, const json_t *obj, const char *key, double min, double max,
                  const double *dflt, double *out)
{
    const json_t *value = json_object_get (obj, key);
    if (!value) {
        if (!dflt)
            return gl_domain_bad (d, "'%s' is missing", key);
        *out = *dflt;
        return 0;
    }
    if (!json_is_number (value))
        return gl_domain_bad (d, "'%s' must be a number", key);
    double x = json_number_value (value);
    if (!(x >= min && x <= max))
        return gl_domain_bad (d, "'%s' is %g; it must be from %g to %g", key, x, min, max);
    *out = x;
    return 0;
}

int
gl_domain_bool (gl_domain_t *d, const json_t *obj, const char *key, bool dflt, bool *out)
{
    const json_t *value = json_object_get (obj, key);
    if (!value) {
        *out = dflt;
        return 0;
    }
    if (!json_is_boolean (value))
        return gl_domain_bad (d, "'%s' must be true or false", key);
    *out = json_is_true (value);
    return 0;
}

int
gl_domain_date (gl_domain_t *d, const json_t *obj, const char *key, const char **out,
                int64_t *days)
{
    if (gl_domain_string (d, obj, key, 16, out))
        return -1;
    if (gl_date_parse (*out, days))
        return gl_domain_bad (d, "'%s' is \"%s\"; expected a date YYYY-MM-DD from 1970 on "
                              "(e.g. 2023-03-01)", key, *out);
    return 0;
}

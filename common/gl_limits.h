/*  gl_limits — the county's time limits (时限) per priority and stage, read from a domain file
    (domain/limits, deploy/yunyang/limits.json) and checked whole before use.

    The file
    --------
        {
          "note": "for people (optional)",
          "limits": [
            {"priority": "P1", "stage": "sign", "limit": "30m"},
            {"priority": "P3", "stage": "handle_yellow", "limit": "5wd"},
            {"priority": "P3", "stage": "handle_yellow", "limit": "3wd", "category": "05.06",
             "tier": "street", "note": "for people (optional)"}
          ],
          "wartime": {"dispatch": "10m", "sign": "15m", "handle_yellow": "1h",
                      "handle_red": "2h", "verify": "1h"}
        }

    priority    "P1" … "P4".
    stage       dispatch (accept+dispatch, 受理派遣), sign (签收), handle_yellow and handle_red
                (办理: the yellow and the red card's limit), verify (核查).
    limit       a duration as gl_duration_parse reads it: working time ("30wm", "2wh", "5wd",
                counted on the working calendar) or natural time where so marked ("10m", "2h",
                "1d", 24×7). More than zero.
    category    optional: only events of this category ("LL.SS", e.g. "05.06").
    tier        optional: only steps held by a unit of this tier (county street community grid).

    Every priority × stage must have an entry without category and tier (the default); an entry
    narrowed by category and/or tier overrides it. The same priority, stage, category and tier
    twice is refused, and so is a handle_red shorter than the handle_yellow it goes with.
    The most specific entry wins: category and tier, then category, then tier, then the
    default.

    wartime     optional: the limits of steps that start in a scope switched to wartime (平战
                转换, DOMAIN §6), one per stage, every stage given, natural time only (wartime
                runs 24×7), handle_red not before handle_yellow.  */
#ifndef GL_LIMITS_H
#define GL_LIMITS_H

#include "gl_calendar.h"
#include "gl_error.h"
#include <stdbool.h>
#include <stdint.h>

/*  The timed stages of a step.  */
typedef enum {
    GL_STAGE_DISPATCH,          //  accept+dispatch (受理派遣): filed until dispatched
    GL_STAGE_SIGN,              //  sign for (签收): dispatched until signed
    GL_STAGE_HANDLE_YELLOW,     //  handle (办理): signed until handled, the yellow card's limit
    GL_STAGE_HANDLE_RED,        //  the same clock, the red card's limit
    GL_STAGE_VERIFY,            //  verify (核查): handled until verified
    GL_STAGE_COUNT
} gl_stage_t;

#define GL_PRIORITY_COUNT 4     //  P1 … P4

/*  One limit.  */
typedef struct {
    int64_t minutes;            //  how long, > 0
    bool working;               //  counted in working time (else natural time)
} gl_limit_t;

typedef struct gl_limits_s gl_limits_t;

/*  "dispatch" "sign" "handle_yellow" "handle_red" "verify"; "?" otherwise.  */
const char *gl_stage_name (gl_stage_t stage);
/*  The stage called name, or -1.  */
int gl_stage_lookup (const char *name);
/*  0 … 3 for "P1" … "P4", or -1.  */
int gl_priority_lookup (const char *name);

/*  Load and check a limits file; cal reads "wd" durations (a working day's minutes). On any
    problem returns NULL with err set to "<file>: <entry>: <problem>", e.g.
    "limits.json: limits[4] (P2 sign): 'limit' is \"2x\"; …".  */
gl_limits_t *gl_limits_load (const char *path, gl_calendar_t *cal, gl_err_t *err);
/*  The same from JSON text; messages name the file "(text)".  */
gl_limits_t *gl_limits_load_text (const char *json, gl_calendar_t *cal, gl_err_t *err);
/*  Free it and set *self_p to NULL; safe on NULL.  */
void gl_limits_destroy (gl_limits_t **self_p);

/*  The limit in force for priority (0 … 3) and stage, narrowed by category (NULL or "": none)
    and tier (a gl_level_t, or -1: none). Always finds one (the default is required).  */
gl_limit_t gl_limits_find (gl_limits_t *self, int priority, gl_stage_t stage,
                           const char *category, int tier);
/*  The wartime limit of stage (战时, natural time) into *out: true, or false when the file has
    no wartime limits.  */
bool gl_limits_wartime (gl_limits_t *self, gl_stage_t stage, gl_limit_t *out);
/*  Entries loaded.  */
size_t gl_limits_count (gl_limits_t *self);

#endif

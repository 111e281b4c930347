/*  gl_config — the settings table and its loader.  */
#include "gl_config.h"

#include <czmq.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

const char *const gl_svc_names [GL_SVC_COUNT] = {
    "intake", "dispatcher", "escalation", "archive", "metrics"
};

int
gl_svc_lookup (const char *name, size_t len)
{
    for (int i = 0; i < GL_SVC_COUNT; i++)
        if (strlen (gl_svc_names [i]) == len && memcmp (gl_svc_names [i], name, len) == 0)
            return i;
    return -1;
}

typedef enum { S_STR, S_INT, S_ENUM, S_ENDPOINT } s_type_t;

typedef struct {
    const char *path;           //  ZPL path, e.g. "intake/endpoint"
    s_type_t type;              //  how the text is read
    size_t offset;              //  where it goes in gl_config_t
    size_t size;                //  buffer size for strings
    int64_t min, max;           //  bounds for S_INT
    const char *choices;        //  S_ENUM: allowed values, '|'-separated
    const char *value;          //  default, as text
    const char *doc;            //  meaning and trade-off
} s_setting_t;

#define S_STRF(p, f, d, doc) { p, S_STR, offsetof (gl_config_t, f), \
    sizeof ((gl_config_t *) 0)->f, 0, 0, NULL, d, doc }
#define S_EP(p, f, d, doc) { p, S_ENDPOINT, offsetof (gl_config_t, f), \
    sizeof ((gl_config_t *) 0)->f, 0, 0, NULL, d, doc }
#define S_ENUMF(p, f, c, d, doc) { p, S_ENUM, offsetof (gl_config_t, f), \
    sizeof ((gl_config_t *) 0)->f, 0, 0, c, d, doc }
#define S_INTF(p, f, lo, hi, d, doc) { p, S_INT, offsetof (gl_config_t, f), \
    sizeof (int64_t), lo, hi, NULL, d, doc }
#define S_SERVICE(NAME, I, PORT, DUR, MAP, READS) \
    S_EP (NAME "/endpoint", svc [I].endpoint, "tcp://127.0.0.1:" PORT, \
          "the ROUTER this service binds for requests (status, replay and its operations)"), \
    S_ENUMF (NAME "/durability", svc [I].durability, "sync|metasync", DUR, \
          "sync: every commit reaches the disk before anything is answered or published; " \
          "metasync: the data of every commit is synced but its last meta page only with " \
          "the next commit, so a power cut rolls back the last commit (only for sinks, " \
          "whose state and inbox positions roll back together and are replayed; never " \
          "corrupts the store)"), \
    S_INTF (NAME "/map_mb", svc [I].map_mb, 1, 1 << 20, MAP, \
          "initial LMDB map size in MB; it doubles by itself when full"), \
    S_STRF (NAME "/reads", svc [I].reads, READS, \
          "producers whose streams this service consumes, space-separated")

static const s_setting_t s_settings [] = {
    S_STRF ("county/code", county_code, "500235",
            "administrative code of the county; the first part of every event id"),
    S_STRF ("county/name", county_name, "云阳县", "the county's name, for people"),
    S_INTF ("county/utc_offset_min", utc_offset_min, -720, 840, "480",
            "county local time in minutes east of UTC (China: 480); dates of event ids"),
    S_STRF ("data_dir", data_dir, "./var",
            "where stores live, one directory per service; relative to the working directory"),
    S_STRF ("domain/org", org_path, "yunyang/org.json",
            "the county's units and people (written by tools/gen-county.py); a relative path "
            "is relative to the configuration file's directory"),
    S_STRF ("domain/categories", categories_path, "yunyang/categories.json",
            "event categories with their default board, handlers, priority and 三事 type; a "
            "relative path is relative to the configuration file's directory"),
    S_STRF ("domain/admission", admission_path, "yunyang/admission.json",
            "the admitted-items registry (事项准入): which categories of work a community or "
            "grid may be given, and the negative list it must never be given; \"\" admits "
            "everything; a relative path is relative to the configuration file's directory"),
    S_STRF ("domain/calendar", calendar_path, "yunyang/calendar.json",
            "the working calendar: working hours, the weekend, and each year's holidays and "
            "make-up working days (调休上班) from the State Council's notice; working-time "
            "deadlines count by it; a relative path is relative to the configuration file's "
            "directory"),
    S_STRF ("domain/limits", limits_path, "yunyang/limits.json",
            "the time limits (时限) per priority and stage, optionally narrowed by category and "
            "tier, in working or natural time; a step keeps the limits in force when it "
            "started; a relative path is relative to the configuration file's directory"),
    S_STRF ("domain/scores", scores_path, "yunyang/scores.json",
            "how units are scored and ranked (考核评价): each formula's weights, the grades, the "
            "minimum number of items to be ranked, the red and black lists and the floor; a "
            "relative path is relative to the configuration file's directory"),
    S_ENUMF ("log/level", log_level, "debug|info|notice|warning|error", "info",
             "least severe log level written"),
    S_ENUMF ("clock/mode", clock_mode, "wall|manual", "wall",
             "wall: real time; manual: time moves only by the clock operation "
             "(tests and the county simulator)"),
    S_INTF ("clock/start_ms", clock_start_ms, 0, INT64_MAX, "0",
            "manual mode's start time in ms since 1970 (0: the time at start)"),
    S_INTF ("limits/max_msg_bytes", max_msg_bytes, 4096, 64 << 20, "1048576",
            "largest message any socket accepts (ZMQ_MAXMSGSIZE); larger ones are dropped"),
    S_INTF ("limits/pub_hwm", pub_hwm, 1, 10000000, "100000",
            "messages a publisher queues before dropping (consumers repair drops by replay)"),
    S_INTF ("limits/sub_hwm", sub_hwm, 1, 10000000, "100000",
            "messages a subscriber queues before dropping (repaired by replay); lower "
            "saves memory, higher avoids replays under bursts"),
    S_INTF ("limits/max_envelope_bytes", max_envelope_bytes, 1024, 1 << 20, "65536",
            "largest published message: producers refuse to publish a larger one and every "
            "subscriber's socket drops them (ZMQ_MAXMSGSIZE), so a subscriber queue holds at "
            "most sub_hwm times this many bytes; the largest message gridloop publishes is "
            "about 12 KB"),
    S_INTF ("limits/batch", batch, 1, 100000, "1024",
            "most requests and messages applied in one write transaction (group commit): "
            "higher gives throughput, lower gives shorter worst-case latency"),
    S_INTF ("limits/batch_mb", batch_mb, 1, 4096, "64",
            "most memory the requests and messages of one batch may take once parsed, in MB; "
            "a batch closes early at this bound, so a flood of large requests cannot make a "
            "service hold more"),
    S_INTF ("limits/peer_queue", peer_queue, 1, 100000, "64",
            "answers a service queues for one client that does not read them, beyond which "
            "they are dropped (the client's retry with the same req_id gets them again); "
            "with replay_kb this bounds what one client can make a service hold"),
    S_INTF ("limits/replay_kb", replay_kb, 16, 1 << 20, "256",
            "largest replay page, and largest page of any paged answer, in KB; it also "
            "stays under half of max_msg_bytes"),
    S_INTF ("limits/answers_max", answers_max, 1000, 100000000, "1000000",
            "most answers a service keeps for retries by req_id; the oldest go first past "
            "it, as past retention/days"),
    S_INTF ("limits/request_timeout_ms", request_timeout_ms, 10, 600000, "2000",
            "how long clients wait for an answer before retrying with the same req_id"),
    S_INTF ("retention/days", retention_days, 1, 3650, "7",
            "how long outboxes keep published messages and services keep answers to requests"),
    S_INTF ("retention/max_mb", retention_max_mb, 1, 1 << 20, "1024",
            "largest outbox in MB; the oldest messages go first past it"),
    S_STRF ("backup_dir", backup_dir, "./var/backups",
            "the only directory online backups (`gridloop backup`) are written into, each in "
            "a new subdirectory (0750, files 0640); relative to the working directory; on a "
            "server it must be writable under the units' ProtectSystem=strict"),
    S_EP ("bus/frontend", bus_frontend, "tcp://127.0.0.1:7400",
          "where publishers connect (the bus binds XSUB here)"),
    S_EP ("bus/backend", bus_backend, "tcp://127.0.0.1:7401",
          "where subscribers connect (the bus binds XPUB here)"),
    S_EP ("bus/control", bus_control, "tcp://127.0.0.1:7409", "the bus's ROUTER (status)"),
    S_SERVICE ("intake", GL_SVC_INTAKE, "7410", "sync", "256", "dispatcher"),
    S_STRF ("intake/sources", intake_sources, "",
            "departmental systems allowed to publish reports on ext.<source>.report, "
            "space-separated source ids (e.g. \"police-110 hotline-12345\"); others are "
            "refused with FORBIDDEN and counted"),
    S_SERVICE ("dispatcher", GL_SVC_DISPATCHER, "7411", "sync", "256", "intake escalation"),
    S_INTF ("dispatcher/reopen_days", reopen_days, 0, 3650, "30",
            "natural days after its closing in which a 私事 closed with advice may be reopened "
            "(reopen), e.g. to refer the dispute to mediation when talking it out failed; 0 "
            "never reopens; longer keeps closed workload open to change"),
    S_INTF ("dispatcher/archive_grace_days", archive_grace_days, 0, 3650, "7",
            "days after the evaluation month an event closed (or was cancelled) in before it is "
            "archived (ARCHIVED, locked, scores frozen): the dispatcher then keeps nothing of "
            "it and the archive alone holds its history; never before a 私事 may no longer be "
            "reopened"),
    S_SERVICE ("escalation", GL_SVC_ESCALATION, "7412", "sync", "256", "dispatcher"),
    S_SERVICE ("archive", GL_SVC_ARCHIVE, "7413", "metasync", "1024",
               "intake dispatcher escalation metrics"),
    S_SERVICE ("metrics", GL_SVC_METRICS, "7414", "sync", "256",
               "intake dispatcher escalation"),
    S_INTF ("metrics/interval_s", metrics_interval_s, 1, 3600, "10",
            "seconds of wall time between the live county figures (metrics.live) and the "
            "pipeline's health (metrics.pipeline); shorter is livelier and fills the outbox "
            "and the archive faster"),
    S_STRF ("metrics/http", metrics_http, "127.0.0.1:9414",
            "where gridloop-metrics serves Prometheus (GET /metrics), host:port; \"\" serves "
            "nothing; keep it on loopback or behind a firewall: it has no authentication"),
};
#define S_COUNT (sizeof s_settings / sizeof s_settings [0])

static const s_setting_t *
s_find (const char *path)
{
    for (size_t i = 0; i < S_COUNT; i++)
        if (streq (s_settings [i].path, path))
            return &s_settings [i];
    return NULL;
}

static int
s_set (gl_config_t *cfg, const s_setting_t *s, const char *text, const char *file,
       gl_err_t *err)
{
    char *field = (char *) cfg + s->offset;
    switch (s->type) {
        case S_INT: {
            int64_t v;
            if (gl_parse_whole (text, s->min, s->max, &v))
                return gl_fail (err, GL_INVALID,
                                "%s: setting '%s' is \"%s\"; expected a whole number from %lld "
                                "to %lld (%s)", file, s->path, text, (long long) s->min,
                                (long long) s->max, s->doc);
            *(int64_t *) field = v;
            return 0;
        }
        case S_ENUM: {
            if (streq (text, "nosync") && strstr (s->path, "/durability"))
                return gl_fail (err, GL_INVALID, "%s: setting '%s' is \"nosync\", which is no "
                                "longer accepted: LMDB documents that it can corrupt a store on "
                                "a system crash; use \"metasync\" (a crash rolls back only the "
                                "last commit, which a sink replays)", file, s->path);
            size_t n = strlen (text);
            const char *c = s->choices;
            bool ok = false;
            while (c && *c && !ok) {
                const char *bar = strchr (c, '|');
                size_t len = bar? (size_t) (bar - c): strlen (c);
                ok = len == n && n > 0 && memcmp (c, text, n) == 0;
                c = bar? bar + 1: NULL;
            }
            if (!ok)
                return gl_fail (err, GL_INVALID, "%s: setting '%s' is \"%s\"; expected one of "
                                "%s (%s)", file, s->path, text, s->choices, s->doc);
            break;
        }
        case S_ENDPOINT:
            if (strncmp (text, "tcp://", 6) && strncmp (text, "ipc://", 6)
            &&  strncmp (text, "inproc://", 9))
                return gl_fail (err, GL_INVALID, "%s: setting '%s' is \"%s\"; expected a "
                                "ZeroMQ endpoint such as tcp://127.0.0.1:7410 (%s)", file,
                                s->path, text, s->doc);
            break;
        case S_STR:
            break;
    }
    if (strlen (text) >= s->size)
        return gl_fail (err, GL_INVALID, "%s: setting '%s' is %zu bytes long; at most %zu are "
                        "accepted (%s)", file, s->path, strlen (text), s->size - 1, s->doc);
    strcpy (field, text);
    return 0;
}

int
gl_parse_whole (const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll (text, &end, 10);
    if (!*text || *end || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

void
gl_config_defaults (gl_config_t *cfg)
{
    memset (cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < S_COUNT; i++)
        s_set (cfg, &s_settings [i], s_settings [i].value, "defaults", NULL);
}

//  Walks the tree; every leaf's path must be a known setting.
static int
s_walk (gl_config_t *cfg, zconfig_t *node, const char *prefix, const char *file, gl_err_t *err)
{
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        char path [256];
        snprintf (path, sizeof path, "%s%s%s", prefix, *prefix? "/": "", zconfig_name (child));
        if (zconfig_child (child)) {
            if (s_walk (cfg, child, path, file, err))
                return -1;
            continue;
        }
        const s_setting_t *s = s_find (path);
        if (!s)
            return gl_fail (err, GL_INVALID, "%s: unknown setting '%s' (check its spelling; "
                            "`gridloop config` lists every setting)", file, path);
        const char *value = zconfig_value (child);
        if (s_set (cfg, s, value? value: "", file, err))
            return -1;
    }
    return 0;
}

static int
s_load (gl_config_t *cfg, zconfig_t *root, const char *file, gl_err_t *err)
{
    gl_config_defaults (cfg);
    snprintf (cfg->path, sizeof cfg->path, "%s", file);
    return s_walk (cfg, root, "", file, err);
}

//  Make a relative domain path absolute against the directory of the configuration file
//  (its real path when it can be found), so every process reads the same files whatever its
//  working directory.
static int
s_resolve (const char *file, const char *key, char *value, size_t size, gl_err_t *err)
{
    if (!*value || *value == '/')
        return 0;
    char dir [PATH_MAX];
    const char *slash = strrchr (file, '/');
    if (!slash)
        snprintf (dir, sizeof dir, ".");
    else
    if (slash == file)
        snprintf (dir, sizeof dir, "/");
    else
        snprintf (dir, sizeof dir, "%.*s", (int) (slash - file), file);
    char real [PATH_MAX];
    const char *base = realpath (dir, real)? real: dir;
    char joined [PATH_MAX + 512];
    snprintf (joined, sizeof joined, "%s%s%s", base, streq (base, "/")? "": "/", value);
    if (strlen (joined) >= size)
        return gl_fail (err, GL_INVALID, "%s: setting '%s' is \"%s\", which is %zu bytes long "
                        "once made absolute (%s); at most %zu are accepted", file, key, value,
                        strlen (joined), joined, size - 1);
    strcpy (value, joined);
    return 0;
}

int
gl_config_load (gl_config_t *cfg, const char *path, gl_err_t *err)
{
    if (!zsys_file_exists (path))
        return gl_fail (err, GL_INVALID, "%s: no such configuration file (give one with "
                        "--config FILE; deploy/gridloop.cfg is the bundled one)", path);
    zconfig_t *root = zconfig_load (path);
    if (!root)
        return gl_fail (err, GL_INVALID, "%s: cannot read it as a ZPL configuration file "
                        "(indent with 4 spaces; values as key = \"value\")", path);
    int rc = s_load (cfg, root, path, err);
    zconfig_destroy (&root);
    if (rc == 0)
        rc = s_resolve (path, "domain/org", cfg->org_path, sizeof cfg->org_path, err);
    if (rc == 0)
        rc = s_resolve (path, "domain/categories", cfg->categories_path,
                        sizeof cfg->categories_path, err);
    if (rc == 0)
        rc = s_resolve (path, "domain/admission", cfg->admission_path,
                        sizeof cfg->admission_path, err);
    if (rc == 0)
        rc = s_resolve (path, "domain/calendar", cfg->calendar_path,
                        sizeof cfg->calendar_path, err);
    if (rc == 0)
        rc = s_resolve (path, "domain/limits", cfg->limits_path, sizeof cfg->limits_path,
                        err);
    if (rc == 0)
        rc = s_resolve (path, "domain/scores", cfg->scores_path, sizeof cfg->scores_path,
                        err);
    return rc;
}

int
gl_config_load_text (gl_config_t *cfg, const char *text, gl_err_t *err)
{
    zconfig_t *root = zconfig_str_load (text);
    if (!root)
        return gl_fail (err, GL_INVALID, "(text): cannot read it as ZPL");
    int rc = s_load (cfg, root, "(text)", err);
    zconfig_destroy (&root);
    return rc;
}

static void
s_print (const gl_config_t *cfg, FILE *out, bool docs)
{
    char section [64] = "";
    for (size_t i = 0; i < S_COUNT; i++) {
        const s_setting_t *s = &s_settings [i];
        const char *slash = strchr (s->path, '/');
        size_t sec = slash? (size_t) (slash - s->path): 0;
        int indent = slash? 4: 0;
        if (sec && (strlen (section) != sec || strncmp (section, s->path, sec))) {
            snprintf (section, sizeof section, "%.*s", (int) sec, s->path);
            fprintf (out, "%s\n", section);
        }
        else
        if (!sec)
            section [0] = 0;
        char value [600];
        if (cfg) {
            const char *field = (const char *) cfg + s->offset;
            if (s->type == S_INT)
                snprintf (value, sizeof value, "%lld", (long long) *(const int64_t *) field);
            else
                snprintf (value, sizeof value, "%s", field);
        }
        else
            snprintf (value, sizeof value, "%s", s->value);
        if (docs)
            fprintf (out, "%*s# %s%s%s\n", indent, "", s->doc, s->choices? "; one of ": "",
                     s->choices? s->choices: "");
        fprintf (out, "%*s%s = \"%s\"\n", indent, "", slash? slash + 1: s->path, value);
    }
}

void
gl_config_print (FILE *out)
{
    s_print (NULL, out, true);
}

void
gl_config_dump (const gl_config_t *cfg, FILE *out)
{
    s_print (cfg, out, false);
}

int
gl_config_from_args (gl_config_t *cfg, int argc, char **argv, const char *prog,
                     const char *usage)
{
    const char *path = "/etc/gridloop/gridloop.cfg";
    static struct option options [] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    //  "+": stop at the first non-option, so a tool's own words and flags follow.
    while ((c = getopt_long (argc, argv, "+c:hV", options, NULL)) != -1)
        switch (c) {
            case 'c': path = optarg; break;
            case 'h': fputs (usage, stdout); return 0;
            case 'V': printf ("%s %s\n", prog, GL_VERSION); return 0;
            default:  fputs (usage, stderr); return 2;
        }
    gl_err_t err;
    if (gl_config_load (cfg, path, &err)) {
        fprintf (stderr, "%s: %s\n", prog, err.message);
        return 1;
    }
    return -1;
}

gl_durability_t
gl_config_durability (const gl_config_t *cfg, gl_svc_t svc)
{
    return streq (cfg->svc [svc].durability, "metasync")? GL_METASYNC: GL_SYNC;
}

/*  gl_config — gridloop.cfg (ZPL, read with zconfig) through one table of settings: path, type,
    bounds, default and meaning. Validation, defaults and the documentation printed by
    `gridloop config` all come from that table.  */
#ifndef GL_CONFIG_H
#define GL_CONFIG_H

#include "gl_codec.h"
#include "gl_store.h"
#include <stdio.h>

/*  The services that own a store and a ROUTER, in port order.  */
typedef enum {
    GL_SVC_INTAKE, GL_SVC_DISPATCHER, GL_SVC_ESCALATION, GL_SVC_ARCHIVE, GL_SVC_METRICS,
    GL_SVC_COUNT
} gl_svc_t;

extern const char *const gl_svc_names [GL_SVC_COUNT];
/*  The service called name, or -1.  */
int gl_svc_lookup (const char *name, size_t len);

typedef struct {
    char endpoint [256];        //  the ROUTER it binds
    char durability [16];       //  "sync" or "metasync"
    int64_t map_mb;             //  initial LMDB map size
    char reads [256];           //  producers it consumes, space-separated
} gl_svc_config_t;

typedef struct {
    char path [512];            //  the file it came from ("" for defaults)
    char county_code [16];      //  administrative code, first part of event ids
    char county_name [64];      //  for people
    int64_t utc_offset_min;     //  county local time, minutes east of UTC
    char data_dir [256];        //  stores live in <data_dir>/<service>/
    char org_path [512];        //  org.json (units, people); relative: to the config's dir
    char categories_path [512]; //  categories.json; relative: to the config file's directory
    char admission_path [512];  //  admission.json (事项准入); "": none, everything admitted
    char calendar_path [512];   //  calendar.json (working days and hours); relative: as org
    char limits_path [512];     //  limits.json (time limits per priority and stage); as org
    char scores_path [512];     //  scores.json (formulas, weights, grades, lists); as org
    char log_level [16];        //  debug|info|notice|warning|error
    char clock_mode [16];       //  wall|manual
    int64_t clock_start_ms;     //  manual mode start (0 = now)
    int64_t max_msg_bytes;      //  ZMQ_MAXMSGSIZE and decoder limit
    int64_t pub_hwm;            //  publisher send high-water mark (messages)
    int64_t sub_hwm;            //  subscriber receive high-water mark (messages)
    int64_t max_envelope_bytes; //  largest published message (subscribers' ZMQ_MAXMSGSIZE)
    int64_t batch;              //  most items in one write transaction
    int64_t batch_mb;           //  most parsed bytes in one write transaction
    int64_t peer_queue;         //  answers queued for one client before they are dropped
    int64_t replay_kb;          //  largest replay page (and paged answer) in KB
    int64_t answers_max;        //  most answers kept for retries by req_id
    int64_t request_timeout_ms; //  client wait before retrying a request
    int64_t retention_days;     //  outbox and answered-request retention
    int64_t retention_max_mb;   //  outbox size cap
    char backup_dir [256];      //  where online backups may be written
    char bus_frontend [256];    //  XSUB, publishers connect
    char bus_backend [256];     //  XPUB, subscribers connect
    char bus_control [256];     //  the bus's ROUTER (status)
    gl_svc_config_t svc [GL_SVC_COUNT];
    char intake_sources [1024]; //  registered departmental sources, space-separated
    int64_t reopen_days;        //  days a 私事 closed with advice may be reopened (0: never)
    int64_t archive_grace_days; //  days after an event's evaluation month before it is archived
    int64_t metrics_interval_s; //  seconds between the live figures (metrics.live)
    char metrics_http [128];    //  Prometheus listener, "host:port" ("" off)
} gl_config_t;

/*  The durability a service's setting names.  */
gl_durability_t gl_config_durability (const gl_config_t *cfg, gl_svc_t svc);

/*  Read text as a whole number from min to max (decimal, nothing else around it). Returns 0
    with *out set, or -1. Settings and every tool's numeric flags are read with it.  */
int gl_parse_whole (const char *text, int64_t min, int64_t max, int64_t *out);

/*  Fill cfg with every default.  */
void gl_config_defaults (gl_config_t *cfg);
/*  Load a file (or, for tests, ZPL text): defaults, then the file's values, each checked. An
    unknown key, a bad value or an unreadable file returns -1 with err naming the file, the key
    and what is expected. gl_config_load then makes a relative domain/org, domain/categories,
    domain/admission, domain/calendar, domain/limits or domain/scores absolute against the configuration
    file's directory;
    gl_config_load_text leaves them as given.  */
int gl_config_load (gl_config_t *cfg, const char *path, gl_err_t *err);
int gl_config_load_text (gl_config_t *cfg, const char *text, gl_err_t *err);
/*  The start of every program's main(): reads --config FILE (default
    /etc/gridloop/gridloop.cfg), --help (prints usage, which should say what prog does) and
    --version, and loads the file. Returns -1 to go on; otherwise the exit status to return now
    (having printed help, the version, or the problem). Leaves optind at the first other
    argument; a program that takes none should check it.  */
int gl_config_from_args (gl_config_t *cfg, int argc, char **argv, const char *prog,
                         const char *usage);

/*  Print every setting with its default and meaning, as ZPL comments and values.  */
void gl_config_print (FILE *out);
/*  Print the effective value of every setting.  */
void gl_config_dump (const gl_config_t *cfg, FILE *out);

#endif

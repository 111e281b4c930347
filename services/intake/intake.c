/*  intake — the report operation (proto/intake.md).  */
#include "intake.h"

#include <math.h>
#include <string.h>

static const char *const s_channels [] = {
    "app", "hotline", "department", "sensor", "walkin", "cli", NULL
};
static const char *const s_priorities [] = { "P1", "P2", "P3", "P4", NULL };

static const gl_field_t s_reporter_fields [] = {
    { .key = "id", .type = GL_F_STR, .required = true, .min = 1, .max = 64,
      .hint = "the reporter's id, e.g. \"GW-0001\" for a grid worker" },
    { .key = "role", .type = GL_F_STR, .required = true, .min = 1, .max = 32,
      .hint = "e.g. \"grid_worker\", \"resident\", \"department\", \"sensor\"" },
    { .key = "name", .type = GL_F_STR, .max = 64, .hint = "the reporter's name" },
    { .key = "phone", .type = GL_F_STR, .max = 32, .hint = "a number to call back" },
};
static const gl_schema_t s_reporter = GL_SCHEMA ("reporter", s_reporter_fields);

static const gl_field_t s_location_fields [] = {
    { .key = "lat", .type = GL_F_NUM, .fmin = -90, .fmax = 90,
      .hint = "latitude in degrees (WGS 84), given together with lon" },
    { .key = "lon", .type = GL_F_NUM, .fmin = -180, .fmax = 180,
      .hint = "longitude in degrees (WGS 84), given together with lat" },
    { .key = "address", .type = GL_F_STR, .max = 256, .hint = "the address in words" },
};
static const gl_schema_t s_location = GL_SCHEMA ("location", s_location_fields);

//  The order of this table is the order of the published body (proto/intake.md section 3).
static const gl_field_t s_report_fields [] = {
    { .key = "category", .type = GL_F_STR, .required = true, .min = 5, .max = 5,
      .hint = "the category code \"LL.SS\", e.g. \"01.02\" (neighbour dispute)" },
    { .key = "grid", .type = GL_F_STR, .required = true, .min = 1, .max = 32,
      .hint = "the id of the grid the problem is in, e.g. \"SJ-01-01\"" },
    { .key = "description", .type = GL_F_STR, .required = true, .min = 1, .max = 4000,
      .hint = "what is wrong, where, since when; at most 4000 bytes of UTF-8 (about 1333 "
              "Chinese characters): put further detail in an attachment" },
    { .key = "reporter", .type = GL_F_MAP, .required = true, .sub = &s_reporter,
      .hint = "who reports: {id, role, name, phone}" },
    { .key = "channel", .type = GL_F_STR, .required = true, .choices = s_channels,
      .hint = "how the report came in" },
    { .key = "priority", .type = GL_F_STR, .choices = s_priorities,
      .hint = "the reporter's view of urgency, P1 most urgent" },
    { .key = "location", .type = GL_F_MAP, .sub = &s_location,
      .hint = "where: {lat, lon, address}" },
    { .key = "people", .type = GL_F_UINT, .max = 100000,
      .hint = "how many people are involved" },
    { .key = "amount", .type = GL_F_NUM, .fmin = 0, .fmax = 1e15,
      .hint = "money involved, in yuan" },
    { .key = "attachments", .type = GL_F_STRS, .max = 16, .item_max = 256,
      .hint = "references (e.g. URLs) to photos or documents stored elsewhere" },
    { .key = "handled_on_site", .type = GL_F_BOOL,
      .hint = "true when the reporter already handled it on the spot" },
    { .key = "evidence", .type = GL_F_STR, .max = 2000,
      .hint = "what was done and what shows it" },
    { .key = "key", .type = GL_F_STR, .max = 128,
      .hint = "a deduplication key of the reporting system" },
};
static const gl_schema_t s_report = GL_SCHEMA ("report", s_report_fields);

//  Ids: county code, county-local date, 9-digit counter per date kept in "counters".
static int
s_next_id (gl_ctx_t *ctx, char id [GL_MAX_NAME + 1])
{
    const gl_config_t *cfg = gl_service_config (gl_ctx_service (ctx));
    char date [9];
    gl_clock_date (gl_ctx_now (ctx), (int) cfg->utc_offset_min, date);
    MDB_dbi counters = gl_ctx_dbi (ctx, "counters");
    const void *val;
    size_t len;
    uint64_t n = 0;
    int rc = gl_db_get (gl_ctx_txn (ctx), counters, date, 8, &val, &len);
    if (rc == 0 && len == 8)
        n = gl_be64_get (val);
    else
    if (rc != MDB_NOTFOUND && rc != 0)
        return rc;
    uint8_t next [8];
    gl_be64_put (next, ++n);
    if ((rc = gl_db_put (gl_ctx_txn (ctx), counters, date, 8, next, 8, 0)))
        return rc;
    snprintf (id, GL_MAX_NAME + 1, "%s-%s-%09llu", cfg->county_code, date,
              (unsigned long long) n);
    return 0;
}

static int
s_check_report (const msgpack_object *req, gl_err_t *err)
{
    const char *c;
    size_t n;
    gl_get_str (req, "category", &c, &n);
    if (!(n == 5 && c [0] >= '0' && c [0] <= '9' && c [1] >= '0' && c [1] <= '9' && c [2] == '.'
    &&  c [3] >= '0' && c [3] <= '9' && c [4] >= '0' && c [4] <= '9'))
        return gl_fail (err, GL_INVALID, "field 'category' is \"%.*s\": it must be a code "
                        "\"LL.SS\" (two digits, a dot, two digits), e.g. \"01.02\"",
                        (int) (n > 16? 16: n), c);
    const msgpack_object *loc = gl_map_get (req, "location");
    if (loc && loc->type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *lat = gl_map_get (loc, "lat"), *lon = gl_map_get (loc, "lon");
        bool has_lat = lat && lat->type != MSGPACK_OBJECT_NIL;
        bool has_lon = lon && lon->type != MSGPACK_OBJECT_NIL;
        if (has_lat != has_lon)
            return gl_fail (err, GL_INVALID, "field 'location.%s' is missing: give lat and lon "
                            "together, or neither", has_lat? "lon": "lat");
    }
    return 0;
}

static int
s_op_report (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    if (s_check_report (req, err))
        return -1;
    char id [GL_MAX_NAME + 1];
    int rc = s_next_id (ctx, id);
    if (rc)
        return rc;
    gl_mapw_t body;
    gl_mapw_init (&body);
    gl_schema_copy (&s_report, req, &body);
    gl_mapw_i64 (&body, "reported_at", gl_ctx_now (ctx));
    msgpack_sbuffer bytes;
    gl_mapw_finish (&body, &bytes);
    gl_mapw_fini (&body);
    rc = gl_db_put (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "reports"), id, strlen (id), bytes.data,
                    bytes.size, 0);
    if (rc == 0)
        rc = gl_ctx_emit (ctx, "event.reported", NULL, id, bytes.data, bytes.size);
    msgpack_sbuffer_destroy (&bytes);
    if (rc)
        return rc;
    gl_mapw_str (reply, "id", id);
    return 0;
}

static const gl_op_t s_ops [] = {
    { "report", s_op_report, true, &s_report },
};

static const char *const s_dbs [] = { "reports", "counters", NULL };

const gl_service_def_t intake_service = {
    .name = "intake",
    .svc = GL_SVC_INTAKE,
    .dbs = s_dbs,
    .ops = s_ops,
    .nops = sizeof s_ops / sizeof s_ops [0],
};

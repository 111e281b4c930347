/*  intake — where every event starts (proto/intake.md, proto/departments.md): the report
    operation, reports published by departmental systems on ext.<source>.report, validation
    against the county's organisation and categories, initial triage, dedup keys.  */
#include "intake.h"
#include "gl_org.h"

#include <string.h>

static const char *const s_channels [] = {
    "app", "hotline", "department", "sensor", "walkin", "cli", NULL
};
static const char *const s_priorities [] = { "P1", "P2", "P3", "P4", NULL };

static const gl_field_t s_reporter_fields [] = {
    { .key = "id", .type = GL_F_STR, .required = true, .min = 1, .max = 64,
      .hint = "the reporter's id, e.g. \"GW-0002\" for a grid worker" },
    { .key = "role", .type = GL_F_STR, .required = true, .min = 1, .max = 32,
      .hint = "a staff role such as \"grid_worker\", or \"resident\", \"enterprise\", "
              "\"department\", \"sensor\", \"hotline\"" },
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

//  Roles of reporters who are not on the county's staff list.
static const char *const s_outside_roles [] = {
    "resident", "enterprise", "department", "sensor", "hotline", NULL
};

typedef struct {
    gl_org_t *org;              //  units, people, categories
    char sources [1100];        //  registered departmental sources, " a b c " for lookups
    gl_ratelimit_t unregistered_log;    //  lines about unregistered sources
} s_intake_t;

//  ---------------------------------------------------------------------------------------------
//  Counters kept in the batch's transaction (gl_db_add_u64): ids per day, attachments per
//  event, and the stats shown in status.

static int
s_count (gl_ctx_t *ctx, const char *name)
{
    return gl_db_add_u64 (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "stats"), name, strlen (name), 1,
                          NULL);
}

//  Ids: county code, county-local date, 9-digit counter per date kept in "counters". A store
//  restored from a backup has lost the counters its original went on to use after the copy, so
//  from its first restore on every id also carries the store's epoch (in base 36): the ids of
//  two epochs can never be the same (proto/intake.md §2).
static int
s_next_id (gl_ctx_t *ctx, char id [GL_MAX_NAME + 1])
{
    const gl_config_t *cfg = gl_ctx_config (ctx);
    char date [9];
    gl_clock_date (gl_ctx_now (ctx), (int) cfg->utc_offset_min, date);
    uint64_t n;
    int rc = gl_db_add_u64 (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "counters"), date, 8, 1, &n);
    if (rc)
        return rc;
    int len = snprintf (id, GL_MAX_NAME + 1, "%s-%s-%09llu", cfg->county_code, date,
                        (unsigned long long) n);
    gl_outbox_t *outbox = gl_service_outbox (gl_ctx_service (ctx));
    size_t generations;
    gl_outbox_lineage (outbox, &generations);
    if (generations > 1) {
        char tag [16];
        int t = (int) sizeof tag - 1;
        tag [t] = 0;
        for (uint64_t e = gl_outbox_epoch (outbox); e && t > 0; e /= 36)
            tag [--t] = "0123456789abcdefghijklmnopqrstuvwxyz" [e % 36];
        snprintf (id + len, (size_t) (GL_MAX_NAME + 1 - len), "-%s", tag + t);
    }
    return 0;
}

//  ---------------------------------------------------------------------------------------------
//  Checks against the county: the grid, the category, the reporter.

typedef struct {
    const gl_unit_t *grid;      //  where
    const gl_category_t *category;  //  what
} s_where_t;

static int
s_check_report (s_intake_t *self, const msgpack_object *req, s_where_t *where, gl_err_t *err)
{
    char text [GL_MAX_NAME + 1] = "";
    gl_get_strbuf (req, "category", text, sizeof text);
    where->category = gl_org_category (self->org, text);
    if (!where->category)
        return gl_fail (err, GL_INVALID, "field 'category' is \"%s\": not on %s's category "
                        "list; use a code \"LL.SS\" such as \"01.02\" (`gridloop org "
                        "--categories` lists them)", text, gl_org_county_name (self->org));
    gl_get_strbuf (req, "grid", text, sizeof text);
    where->grid = gl_org_unit (self->org, text);
    if (!where->grid)
        return gl_fail (err, GL_INVALID, "field 'grid' is \"%s\": no such grid in %s; give the "
                        "id of the grid the problem is in, e.g. \"SJ-01-01\" (`gridloop org` "
                        "lists them)", text, gl_org_county_name (self->org));
    if (where->grid->kind != GL_UNIT_GRID)
        return gl_fail (err, GL_INVALID, "field 'grid' is \"%s\", which is a %s (%s), not a "
                        "grid: give the id of one of its grids", text,
                        gl_unit_kind_name (where->grid->kind), where->grid->name);
    const msgpack_object *reporter = gl_map_get (req, "reporter");
    char role [40] = "", who [GL_MAX_NAME + 1] = "";
    gl_get_strbuf (reporter, "role", role, sizeof role);
    gl_get_strbuf (reporter, "id", who, sizeof who);
    int staff_role = gl_role_lookup (role);
    if (staff_role >= 0) {
        const gl_person_t *person = gl_org_person (self->org, who);
        if (!person)
            return gl_fail (err, GL_INVALID, "field 'reporter.id' is \"%s\": nobody with role "
                            "%s has that id on %s's staff list; residents and outside systems "
                            "report with role \"resident\", \"department\" …", who, role,
                            gl_org_county_name (self->org));
        if ((int) person->role != staff_role)
            return gl_fail (err, GL_INVALID, "field 'reporter.role' is \"%s\", but %s (%s) is "
                            "a %s on the staff list: give the reporter's own role", role, who,
                            person->name, gl_role_name (person->role));
    }
    else {
        bool known = false;
        for (const char *const *r = s_outside_roles; *r && !known; r++)
            known = streq (*r, role);
        if (!known)
            return gl_fail (err, GL_INVALID, "field 'reporter.role' is \"%s\": it must be a "
                            "staff role (grid_worker, grid_leader, community_staff, …) or one "
                            "of resident, enterprise, department, sensor, hotline", role);
    }
    bool on_site = false;
    gl_get_bool (req, "handled_on_site", &on_site);
    const char *evidence = NULL;
    size_t evidence_len = 0;
    gl_get_str (req, "evidence", &evidence, &evidence_len);
    if (on_site && evidence_len == 0)
        return gl_fail (err, GL_INVALID, "field 'evidence' is required when handled_on_site "
                        "is true: say what was done on the spot and what shows it");
    //  The shape check the schema cannot express.
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

//  Initial triage (初步分流) from the category's rules, for the dispatcher to confirm or
//  override: 三事 type, priority, the street's board or centre, the county handler.
static void
s_triage (s_intake_t *self, const s_where_t *where, gl_mapw_t *body)
{
    const gl_category_t *cat = where->category;
    const gl_unit_t *street = gl_unit_street (where->grid);
    const gl_unit_t *community = gl_unit_community (where->grid);
    const gl_unit_t *handler = gl_org_street_handler (self->org, cat, street);
    gl_mapw_t t;
    gl_mapw_init (&t);
    gl_mapw_str (&t, "street", street->id);
    gl_mapw_str (&t, "community", community->id);
    gl_mapw_str (&t, "sanshi", gl_matter_name (cat->matter));
    char priority [4];
    snprintf (priority, sizeof priority, "P%d", cat->priority);
    gl_mapw_str (&t, "priority", priority);
    gl_mapw_str (&t, "board", gl_board_name (cat->board));
    gl_mapw_str (&t, "street_handler", handler? handler->id: street->id);
    gl_mapw_str (&t, "county_handler", cat->county_handler->id);
    gl_mapw_bool (&t, "dispute", cat->dispute);
    gl_mapw_map (body, "triage", &t);
    gl_mapw_fini (&t);
}

//  Accept a checked report (from the report operation or a department): a new event, or, while
//  an event with the same dedup key is open, an attachment to it. Fills reply with id (and
//  duplicate, attached). Returns 0, GL_REFUSED with err, or a storage error.
static int
s_accept (gl_ctx_t *ctx, const msgpack_object *req, const char *source, gl_mapw_t *reply,
          gl_err_t *err)
{
    s_intake_t *self = gl_ctx_state (ctx);
    s_where_t where = { NULL, NULL };
    if (s_check_report (self, req, &where, err))
        return GL_REFUSED;
    MDB_txn *txn = gl_ctx_txn (ctx);
    const char *key = NULL;
    size_t key_len = 0;
    char id [GL_MAX_NAME + 1];
    int rc;
    if (gl_get_str (req, "key", &key, &key_len) && key_len > 0) {
        const void *val;
        size_t len;
        rc = gl_db_get (txn, gl_ctx_dbi (ctx, "keys"), key, key_len, &val, &len);
        if (rc == 0 && len <= GL_MAX_NAME) {
            //  Open event with this key: attach, count, and keep the report in its history.
            memcpy (id, val, len);
            id [len] = 0;
            uint64_t count;
            rc = gl_db_add_u64 (txn, gl_ctx_dbi (ctx, "attached"), id, len, 1, &count);
            if (rc)
                return rc;
            gl_mapw_t body;
            gl_mapw_init (&body);
            gl_mapw_strn (&body, "key", key, key_len);
            gl_mapw_u64 (&body, "attached", count);
            gl_mapw_t report;
            gl_mapw_init (&report);
            gl_schema_copy (&s_report, req, &report);
            gl_mapw_map (&body, "report", &report);
            gl_mapw_fini (&report);
            if (source)
                gl_mapw_str (&body, "source", source);
            gl_mapw_i64 (&body, "reported_at", gl_ctx_now (ctx));
            msgpack_sbuffer bytes;
            gl_mapw_finish (&body, &bytes);
            gl_mapw_fini (&body);
            rc = gl_ctx_emit (ctx, "event.attached", NULL, id, bytes.data, bytes.size);
            if (rc == 0)
                rc = s_count (ctx, "attached");
            msgpack_sbuffer_destroy (&bytes);
            if (rc == 0) {
                gl_mapw_str (reply, "id", id);
                gl_mapw_bool (reply, "duplicate", true);
                gl_mapw_u64 (reply, "attached", count);
            }
            return rc;
        }
        if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    if ((rc = s_next_id (ctx, id)))
        return rc;
    gl_mapw_t body;
    gl_mapw_init (&body);
    gl_schema_copy (&s_report, req, &body);
    gl_mapw_i64 (&body, "reported_at", gl_ctx_now (ctx));
    if (source)
        gl_mapw_str (&body, "source", source);
    s_triage (self, &where, &body);
    msgpack_sbuffer bytes;
    gl_mapw_finish (&body, &bytes);
    gl_mapw_fini (&body);
    size_t id_len = strlen (id);
    rc = 0;
    if (key_len > 0) {
        rc = gl_db_put (txn, gl_ctx_dbi (ctx, "keys"), key, key_len, id, id_len, 0);
        if (rc == 0)
            rc = gl_db_put (txn, gl_ctx_dbi (ctx, "event_keys"), id, id_len, key, key_len, 0);
    }
    if (rc == 0)
        rc = gl_ctx_emit (ctx, "event.reported", NULL, id, bytes.data, bytes.size);
    msgpack_sbuffer_destroy (&bytes);
    if (rc == 0)
        gl_mapw_str (reply, "id", id);
    return rc;
}

static int
s_op_report (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    return s_accept (ctx, req, NULL, reply, err);
}

//  ---------------------------------------------------------------------------------------------
//  Departmental systems: ext.<source>.report, deduplicated by (source, epoch, seq), each
//  answered on intake.ack.<source> — again for a resent one, so the department can stop — and
//  confirmed on request (op answers), because a department believes only what intake's ROUTER
//  says: anyone can publish on the bus.
//
//  "ext_seen": source, 0x00, epoch (8), seq (8) -> the answer (the ack's body), kept for
//  twice retention/days ("ext_seen_ts": when (8) + that key -> nothing: retention order). A
//  source that is not registered is answered FORBIDDEN without storing anything: answering it
//  again costs nothing, and a flood of them must not fill the store.

static bool
s_registered (s_intake_t *self, const char *source)
{
    char needle [GL_MAX_NAME + 3];
    snprintf (needle, sizeof needle, " %s ", source);
    return strstr (self->sources, needle) != NULL;
}

static void
s_seen_key (gl_key_t *k, const char *source, size_t len, uint64_t epoch, uint64_t seq)
{
    gl_key_init (k);
    gl_key_strn (k, source, len);
    gl_key_u64 (k, epoch);
    gl_key_u64 (k, seq);
}

//  The answer to one report as an ack body: source, epoch, seq, ok, then the accepted
//  answer's pairs (id, duplicate, attached) or the error.
static void
s_ack_body (gl_mapw_t *ack, const char *source, uint64_t epoch, uint64_t seq,
            const gl_mapw_t *answer, const gl_err_t *err)
{
    gl_mapw_str (ack, "source", source);
    gl_mapw_u64 (ack, "epoch", epoch);
    gl_mapw_u64 (ack, "seq", seq);
    gl_mapw_bool (ack, "ok", err->code == GL_OK);
    if (err->code == GL_OK)
        gl_mapw_merge (ack, answer);
    else {
        gl_mapw_t e;
        gl_mapw_init (&e);
        gl_mapw_str (&e, "code", gl_code_name (err->code));
        gl_mapw_str (&e, "message", err->message);
        gl_mapw_map (ack, "error", &e);
        gl_mapw_fini (&e);
    }
}

//  What an unregistered source is told, for any of its reports.
static void
s_unregistered (gl_err_t *err, const char *source)
{
    gl_fail (err, GL_FORBIDDEN, "source '%s' is not registered with intake: ask the county "
             "centre to add it to the setting intake/sources", source);
}

static int
s_department_report (gl_ctx_t *ctx, const gl_envelope_t *env)
{
    s_intake_t *self = gl_ctx_state (ctx);
    MDB_txn *txn = gl_ctx_txn (ctx);
    char source [GL_MAX_NAME + 1];
    snprintf (source, sizeof source, "%.*s", (int) (env->src_len - 4), env->src + 4);
    gl_key_t seen;
    s_seen_key (&seen, source, strlen (source), env->epoch, env->seq);
    //  Seen before: the same answer again.
    const void *val;
    size_t len;
    int rc = gl_db_get (txn, gl_ctx_dbi (ctx, "ext_seen"), seen.bytes, seen.len, &val, &len);
    if (rc == 0) {
        rc = gl_ctx_emit (ctx, "ack", source, NULL, val, len);
        return rc? rc: s_count (ctx, "ext_duplicates");
    }
    if (rc != MDB_NOTFOUND)
        return rc;

    gl_mapw_t answer;
    gl_mapw_init (&answer);
    gl_err_t err = { GL_OK, "" };
    bool registered = s_registered (self, source);
    if (!registered) {
        s_unregistered (&err, source);
        if (gl_log_limit (&self->unregistered_log, &(uint64_t) { 0 }))
            gl_log_warning ("refused a report from unregistered source '%s' (more such are "
                            "counted in status, not logged)", source);
        rc = s_count (ctx, "ext_refused");
    }
    else
    if (gl_schema_check (&s_report, env->body, &err) == 0)
        rc = s_accept (ctx, env->body, source, &answer, &err);
    else
        rc = GL_REFUSED;
    if (rc != 0 && rc != GL_REFUSED) {
        gl_mapw_fini (&answer);
        return rc;
    }
    rc = 0;
    if (registered)
        rc = s_count (ctx, err.code == GL_OK? "ext_accepted": "ext_invalid");
    gl_mapw_t ack;
    gl_mapw_init (&ack);
    s_ack_body (&ack, source, env->epoch, env->seq, &answer, &err);
    gl_mapw_fini (&answer);
    msgpack_sbuffer bytes;
    gl_mapw_finish (&ack, &bytes);
    gl_mapw_fini (&ack);
    if (rc == 0 && registered)
        rc = gl_db_put (txn, gl_ctx_dbi (ctx, "ext_seen"), seen.bytes, seen.len, bytes.data,
                        bytes.size, 0);
    if (rc == 0 && registered) {
        gl_key_t when;
        gl_key_init (&when);
        gl_key_u64 (&when, (uint64_t) gl_ctx_now (ctx));
        gl_key_raw (&when, seen.bytes, seen.len);
        rc = gl_db_put (txn, gl_ctx_dbi (ctx, "ext_seen_ts"), when.bytes, when.len, "", 0, 0);
    }
    if (rc == 0)
        rc = gl_ctx_emit (ctx, "ack", source, NULL, bytes.data, bytes.size);
    msgpack_sbuffer_destroy (&bytes);
    return rc;
}

//  op answers: intake's own word on reports of a source, for a department to settle them by.
static const gl_field_t s_answers_fields [] = {
    { .key = "source", .type = GL_F_STR, .required = true, .min = 1, .max = 60,
      .hint = "the departmental source id, e.g. \"police-110\"" },
    { .key = "epoch", .type = GL_F_UINT, .required = true,
      .hint = "the department's store epoch, as in its reports" },
    { .key = "seqs", .type = GL_F_UINTS, .required = true, .min = 1, .max = 1000,
      .hint = "the seqs of the reports asked about, 1 to 1000 of them" },
};
static const gl_schema_t s_answers = GL_SCHEMA ("answers", s_answers_fields);

static int
s_op_answers (gl_ctx_t *ctx, const msgpack_object *req, gl_mapw_t *reply, gl_err_t *err)
{
    s_intake_t *self = gl_ctx_state (ctx);
    const char *source;
    size_t source_len;
    uint64_t epoch = 0;
    gl_get_str (req, "source", &source, &source_len);
    gl_get_u64 (req, "epoch", &epoch);
    const msgpack_object *seqs = gl_map_get (req, "seqs");
    char name [64];
    snprintf (name, sizeof name, "%.*s", (int) source_len, source);
    bool registered = s_registered (self, name);
    gl_listw_t list;
    gl_listw_init (&list);
    int rc = 0;
    for (uint32_t i = 0; i < seqs->via.array.size && rc == 0; i++) {
        uint64_t seq = seqs->via.array.ptr [i].via.u64;
        if (!registered) {
            gl_err_t refusal;
            s_unregistered (&refusal, name);
            gl_mapw_t ack;
            gl_mapw_init (&ack);
            s_ack_body (&ack, name, epoch, seq, NULL, &refusal);
            gl_listw_map (&list, &ack);
            gl_mapw_fini (&ack);
            continue;
        }
        gl_key_t seen;
        s_seen_key (&seen, source, source_len, epoch, seq);
        const void *val;
        size_t len;
        rc = gl_db_get (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "ext_seen"), seen.bytes, seen.len,
                        &val, &len);
        if (rc == 0) {
            gl_sbuffer_write (&list.items, val, len);
            list.count++;
        }
        else
        if (rc == MDB_NOTFOUND)
            rc = 0;                     //  not seen (yet): absent from the answer
    }
    if (rc == 0) {
        gl_mapw_strn (reply, "source", source, source_len);
        gl_mapw_u64 (reply, "epoch", epoch);
        gl_mapw_list (reply, "answers", &list);
    }
    gl_listw_fini (&list);
    return rc;
}

//  An event's life is over at intake (closed, cancelled, or archived for good): its dedup key
//  may open a new event, and its attachment count goes.
static int
s_event_ended (gl_ctx_t *ctx, const gl_envelope_t *env)
{
    if (!env->id)
        return 0;
    MDB_txn *txn = gl_ctx_txn (ctx);
    MDB_dbi event_keys = gl_ctx_dbi (ctx, "event_keys"), keys = gl_ctx_dbi (ctx, "keys");
    int rc = gl_db_del (txn, gl_ctx_dbi (ctx, "attached"), env->id, env->id_len);
    if (rc)
        return rc;
    const void *key;
    size_t key_len;
    rc = gl_db_get (txn, event_keys, env->id, env->id_len, &key, &key_len);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    char copy [256];
    if (key_len > sizeof copy)
        return 0;
    memcpy (copy, key, key_len);
    const void *owner;
    size_t owner_len;
    rc = gl_db_get (txn, keys, copy, key_len, &owner, &owner_len);
    if (rc == 0 && owner_len == env->id_len && memcmp (owner, env->id, owner_len) == 0)
        rc = gl_db_del (txn, keys, copy, key_len);
    if (rc == 0 || rc == MDB_NOTFOUND)
        rc = gl_db_del (txn, event_keys, env->id, env->id_len);
    return rc;
}

static int
s_consume (gl_ctx_t *ctx, const char *topic, const gl_envelope_t *env)
{
    if (env->src_len > 4 && memcmp (env->src, "ext.", 4) == 0) {
        if (gl_envelope_is (env, "report"))
            return s_department_report (ctx, env);
        return 0;
    }
    if (gl_envelope_is (env, "event.closed") || gl_envelope_is (env, "event.cancelled")
    ||  gl_envelope_is (env, "event.archived"))
        return s_event_ended (ctx, env);
    return 0;                           //  other dispatcher messages: not intake's business
}

//  ---------------------------------------------------------------------------------------------
//  Retention: answers to departments after twice retention/days (a department gives a report
//  up after retention/days), the daily id counters of days before yesterday.

static int
s_forget_seen (void *arg, const MDB_val *key, const MDB_val *val, bool peek)
{
    gl_ctx_t *ctx = arg;
    if (key->mv_size <= 8)
        return 0;
    return gl_db_del (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "ext_seen"),
                      (const char *) key->mv_data + 8, key->mv_size - 8);
}

//  A counter's stamp: 00:00 UTC of its day "YYYYMMDD" (ordering is what matters).
static int64_t
s_counter_day (const MDB_val *key, const MDB_val *val)
{
    char text [11];
    if (key->mv_size != 8)
        return 0;
    snprintf (text, sizeof text, "%.4s-%.2s-%.2s", (const char *) key->mv_data,
              (const char *) key->mv_data + 4, (const char *) key->mv_data + 6);
    int64_t days = 0;
    return gl_date_parse (text, &days) == 0? days * 86400000LL: 0;
}

#define S_TRIM_LIMIT 20000      //  most entries deleted per table per round

static int
s_housekeep (gl_ctx_t *ctx)
{
    const gl_config_t *cfg = gl_ctx_config (ctx);
    int64_t now = gl_ctx_now (ctx);
    size_t deleted;
    gl_trim_t seen = { .before = now - 2 * cfg->retention_days * 86400000LL,
                       .limit = S_TRIM_LIMIT, .stamp = gl_stamp_key };
    int rc = gl_db_trim (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "ext_seen_ts"), &seen,
                         s_forget_seen, ctx, &deleted);
    if (rc)
        return rc;
    //  Keep today's and yesterday's counters (county-local days).
    int64_t local = now + cfg->utc_offset_min * 60000LL;
    gl_trim_t days = { .before = (local / 86400000LL - 1) * 86400000LL, .limit = S_TRIM_LIMIT,
                       .stamp = s_counter_day };
    return gl_db_trim (gl_ctx_txn (ctx), gl_ctx_dbi (ctx, "counters"), &days, NULL, NULL,
                       &deleted);
}

//  ---------------------------------------------------------------------------------------------

static int
s_open (gl_service_t *service, gl_err_t *err)
{
    const gl_config_t *cfg = gl_service_config (service);
    s_intake_t *self = (s_intake_t *) zmalloc (sizeof *self);
    self->org = gl_service_org (service);
    snprintf (self->sources, sizeof self->sources, " %s ", cfg->intake_sources);
    for (char *p = self->sources; *p; p++)
        if (*p == ',' || *p == '\t')
            *p = ' ';
    gl_service_set_state (service, self);
    return 0;
}

static void
s_status (gl_service_t *service, gl_mapw_t *w)
{
    static const char *const names [] = {
        "ext_accepted", "ext_refused", "ext_invalid", "ext_duplicates", "attached", NULL
    };
    gl_service_status_counters (service, "stats", names, w);
}

static const gl_op_t s_ops [] = {
    { .name = "report", .fn = s_op_report, .mutating = true, .schema = &s_report },
    { .name = "answers", .fn = s_op_answers, .mutating = false, .schema = &s_answers },
};

static const char *const s_dbs [] = {
    "counters", "keys", "event_keys", "attached", "ext_seen", "ext_seen_ts", "stats", NULL
};

const gl_service_def_t intake_service = {
    .name = "intake",
    .svc = GL_SVC_INTAKE,
    .dbs = s_dbs,
    .ops = s_ops,
    .nops = sizeof s_ops / sizeof s_ops [0],
    .consume = s_consume,
    .passive = "ext.",
    .needs_org = true,
    .open = s_open,
    .status = s_status,
    .housekeep = s_housekeep,
};

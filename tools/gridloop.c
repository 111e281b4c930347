/*  gridloop — the operator's command line. It speaks only the public protocol of proto/, like
    any departmental system: report, show, list, status, tail, call, config.  */
#include "gl_client.h"
#include "gl_config.h"
#include "gl_json.h"
#include "gl_org.h"

#include <getopt.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *s_usage =
    "usage: gridloop [--config FILE] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  report FLAGS          blow the whistle: report an event; prints its id\n"
    "      --category LL.SS --grid ID --description TEXT --reporter ID --role ROLE\n"
    "      [--channel app|hotline|department|sensor|walkin|cli (default cli)]\n"
    "      [--priority P1..P4] [--name NAME] [--phone PHONE] [--address TEXT]\n"
    "      [--lat DEG --lon DEG] [--people N] [--amount YUAN] [--attach REF]...\n"
    "      [--on-site] [--evidence TEXT] [--key KEY]\n"
    "    or: report --json FILE   (a JSON report document; - reads standard input)\n"
    "  show ID [--json]      an event's full history from the archive\n"
    "  list [--after ID] [--limit N]   events held by the archive, in id order\n"
    "  status [NAME...]      every process's status (or only the named ones);\n"
    "                        exits 1 if any does not answer\n"
    "  tail PREFIX... [--count N] [--seconds S] [--hb]\n"
    "                        follow streams on the bus as readable lines, e.g.\n"
    "                        `gridloop tail intake. dispatcher.`; '' follows everything\n"
    "  backup SERVICE DIR    online backup of a service's store into a new directory DIR\n"
    "                        (absolute, on the service's host); restore by stopping the\n"
    "                        service and putting DIR's files in its data directory\n"
    "  org [UNIT] [--depth N]   the county's units and staff as a tree (from the domain\n"
    "                        files in the configuration), from UNIT (default the county)\n"
    "  org --categories      the category list: code, name, board, priority, 三事, handlers\n"
    "  call SERVICE JSON     send any request (JSON) to a service; prints the answer\n"
    "  config                every setting with its default and meaning\n"
    "\n"
    "Options:\n"
    "  --config FILE         configuration (default /etc/gridloop/gridloop.cfg)\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 done, 1 the service refused or did not answer, 2 bad usage.\n";

static gl_config_t s_cfg;

static int
s_usage_error (const char *what)
{
    fprintf (stderr, "gridloop: %s\n(`gridloop --help` lists the commands and flags)\n", what);
    return 2;
}

static const char *
s_endpoint (const char *service)
{
    if (streq (service, "bus"))
        return s_cfg.bus_control;
    int svc = gl_svc_lookup (service, strlen (service));
    return svc < 0? NULL: s_cfg.svc [svc].endpoint;
}

//  Send one request; print the refusal if any. Returns 0 (answer in doc, ok) or 1.
static int
s_call (const char *service, msgpack_sbuffer *req, gl_doc_t *answer, int attempts, bool quiet)
{
    const char *endpoint = s_endpoint (service);
    gl_client_t *client = gl_client_new (endpoint, s_cfg.request_timeout_ms,
                                         s_cfg.max_msg_bytes);
    gl_err_t err;
    int rc = gl_client_call (client, req->data, req->size, answer, attempts, &err);
    gl_client_destroy (&client);
    if (rc == 0 && gl_answer_check (&answer->root, &err) == 0)
        return 0;
    if (!quiet)
        fprintf (stderr, "gridloop: %s: %s: %s\n", service, gl_code_name (err.code),
                 err.message);
    return 1;
}

static void
s_print_json (const msgpack_object *obj)
{
    json_t *j = gl_json_from_msgpack (obj);
    char *text = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (15));
    puts (text);
    free (text);
    json_decref (j);
}

static void
s_time (int64_t ms, char *buf, size_t size)
{
    time_t t = (time_t) (ms / 1000) + (time_t) s_cfg.utc_offset_min * 60;
    struct tm tm;
    gmtime_r (&t, &tm);
    char day [32];
    strftime (day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf (buf, size, "%s.%03d", day, (int) (ms % 1000));
}

//  One readable line for a published message.
static void
s_print_line (const char *topic, size_t topic_len, const gl_envelope_t *env)
{
    char when [48];
    s_time (env->ts, when, sizeof when);
    char *body = gl_json_line (env->body);
    printf ("%s  %-28.*s %.*s#%llu  %.*s  %s\n", when, (int) topic_len, topic,
            (int) env->src_len, env->src, (unsigned long long) env->seq,
            env->id? (int) env->id_len: 1, env->id? env->id: "-", body);
    free (body);
    fflush (stdout);
}

//  ---------------------------------------------------------------------------------------------

static int
s_report (int argc, char **argv)
{
    static struct option options [] = {
        { "category", required_argument, NULL, 'C' }, { "grid", required_argument, NULL, 'g' },
        { "description", required_argument, NULL, 'd' },
        { "reporter", required_argument, NULL, 'r' }, { "role", required_argument, NULL, 'R' },
        { "channel", required_argument, NULL, 'c' }, { "priority", required_argument, NULL, 'p' },
        { "name", required_argument, NULL, 'n' }, { "phone", required_argument, NULL, 'P' },
        { "address", required_argument, NULL, 'a' }, { "lat", required_argument, NULL, 'y' },
        { "lon", required_argument, NULL, 'x' }, { "people", required_argument, NULL, 'N' },
        { "amount", required_argument, NULL, 'm' }, { "attach", required_argument, NULL, 'A' },
        { "on-site", no_argument, NULL, 'o' }, { "evidence", required_argument, NULL, 'e' },
        { "key", required_argument, NULL, 'k' }, { "json", required_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 }
    };
    json_t *doc = json_object (), *reporter = json_object (), *location = json_object (),
           *attachments = json_array ();
    const char *json_path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long (argc, argv, "", options, NULL)) != -1) {
        const char *key = NULL;
        json_t *into = doc, *value = NULL;
        switch (c) {
            case 'C': key = "category"; break;
            case 'g': key = "grid"; break;
            case 'd': key = "description"; break;
            case 'c': key = "channel"; break;
            case 'p': key = "priority"; break;
            case 'e': key = "evidence"; break;
            case 'k': key = "key"; break;
            case 'r': key = "id"; into = reporter; break;
            case 'R': key = "role"; into = reporter; break;
            case 'n': key = "name"; into = reporter; break;
            case 'P': key = "phone"; into = reporter; break;
            case 'a': key = "address"; into = location; break;
            case 'y': key = "lat"; into = location; value = json_real (atof (optarg)); break;
            case 'x': key = "lon"; into = location; value = json_real (atof (optarg)); break;
            case 'N': key = "people"; value = json_integer (atoll (optarg)); break;
            case 'm': key = "amount"; value = json_real (atof (optarg)); break;
            case 'o': key = "handled_on_site"; value = json_true (); break;
            case 'A': json_array_append_new (attachments, json_string (optarg)); break;
            case 'j': json_path = optarg; break;
            default:
                json_decref (doc);
                return s_usage_error ("report: unknown flag");
        }
        if (key)
            json_object_set_new (into, key, value? value: json_string (optarg));
    }
    if (json_path) {
        json_error_t jerr;
        json_decref (doc);
        doc = streq (json_path, "-")? json_loadf (stdin, JSON_DECODE_ANY, &jerr):
                                      json_load_file (json_path, 0, &jerr);
        if (!doc || !json_is_object (doc)) {
            fprintf (stderr, "gridloop: report: %s is not a JSON object (line %d: %s)\n",
                     json_path, jerr.line, jerr.text);
            return 2;
        }
    }
    else {
        if (json_object_size (reporter))
            json_object_set (doc, "reporter", reporter);
        if (json_object_size (location))
            json_object_set (doc, "location", location);
        if (json_array_size (attachments))
            json_object_set (doc, "attachments", attachments);
        if (!json_object_get (doc, "channel"))
            json_object_set_new (doc, "channel", json_string ("cli"));
    }
    json_decref (reporter);
    json_decref (location);
    json_decref (attachments);

    //  op and a fresh req_id first, then the document's fields as given.
    msgpack_sbuffer req;
    msgpack_sbuffer_init (&req);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &req, msgpack_sbuffer_write);
    json_object_del (doc, "op");
    json_object_del (doc, "req_id");
    msgpack_pack_map (&pk, 2 + json_object_size (doc));
    gl_pack_cstr (&pk, "op");
    gl_pack_cstr (&pk, "report");
    char req_id [40];
    gl_req_id_new (req_id);
    gl_pack_cstr (&pk, "req_id");
    gl_pack_cstr (&pk, req_id);
    const char *key;
    json_t *value;
    gl_err_t err;
    json_object_foreach (doc, key, value) {
        gl_pack_cstr (&pk, key);
        if (gl_json_to_msgpack (value, &pk, &err)) {
            fprintf (stderr, "gridloop: report: field '%s': %s\n", key, err.message);
            return 2;
        }
    }
    json_decref (doc);
    gl_doc_t answer;
    //  Retrying with the same bytes is safe: intake answers a repeated req_id the same way.
    int rc = s_call ("intake", &req, &answer, 5, false);
    if (rc == 0) {
        const char *id;
        size_t n;
        if (gl_get_str (&answer.root, "id", &id, &n))
            printf ("%.*s\n", (int) n, id);
    }
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
    return rc;
}

static int
s_show (int argc, char **argv)
{
    bool json = false;
    const char *id = NULL;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--json"))
            json = true;
        else
            id = argv [i];
    }
    if (!id)
        return s_usage_error ("show needs an event id, e.g. gridloop show 500235-20261127-000000001");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", id);
    msgpack_sbuffer req;
    gl_request_build (&req, "get", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t answer;
    int rc = s_call ("archive", &req, &answer, 3, false);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0 && json)
        s_print_json (&answer.root);
    else
    if (rc == 0) {
        const msgpack_object *messages = gl_map_get (&answer.root, "messages");
        printf ("event %s: %u messages\n", id, messages? messages->via.array.size: 0);
        for (uint32_t i = 0; messages && i < messages->via.array.size; i++) {
            const msgpack_object *m = &messages->via.array.ptr [i];
            const char *topic = "";
            size_t topic_len = 0;
            gl_get_str (m, "topic", &topic, &topic_len);
            const msgpack_object *e = gl_map_get (m, "envelope");
            gl_envelope_t env = { 0 };
            gl_get_str (e, "src", &env.src, &env.src_len);
            gl_get_u64 (e, "seq", &env.seq);
            gl_get_i64 (e, "ts", &env.ts);
            env.id = id;
            env.id_len = strlen (id);
            env.body = gl_map_get (e, "body");
            if (env.body)
                s_print_line (topic, topic_len, &env);
        }
    }
    gl_doc_fini (&answer);
    return rc;
}

static int
s_list (int argc, char **argv)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (streq (argv [i], "--after"))
            gl_mapw_str (&w, "after", argv [i + 1]);
        else
        if (streq (argv [i], "--limit"))
            gl_mapw_u64 (&w, "limit", strtoull (argv [i + 1], NULL, 10));
        else {
            gl_mapw_fini (&w);
            return s_usage_error ("list takes --after ID and --limit N");
        }
    }
    msgpack_sbuffer req;
    gl_request_build (&req, "list", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t answer;
    int rc = s_call ("archive", &req, &answer, 3, false);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0) {
        const msgpack_object *events = gl_map_get (&answer.root, "events");
        for (uint32_t i = 0; events && i < events->via.array.size; i++) {
            const char *id;
            size_t n;
            uint64_t count = 0;
            gl_get_str (&events->via.array.ptr [i], "id", &id, &n);
            gl_get_u64 (&events->via.array.ptr [i], "count", &count);
            printf ("%.*s  %llu\n", (int) n, id, (unsigned long long) count);
        }
        char next [GL_MAX_NAME + 1];
        if (gl_get_strbuf (&answer.root, "next", next, sizeof next))
            printf ("(more: gridloop list --after %s)\n", next);
    }
    gl_doc_fini (&answer);
    return rc;
}

static int
s_status (int argc, char **argv)
{
    const char *all [] = { "bus", "intake", "dispatcher", "escalation", "archive", "metrics" };
    const char **names = argc > 1? (const char **) argv + 1: all;
    int count = argc > 1? argc - 1: 6;
    int down = 0;
    printf ("%-11s %-6s %10s %10s %10s %10s %8s  %s\n", "process", "state", "uptime_s",
            "last_seq", "msgs_in", "msgs_out", "errors", "inbox (producer: last/lag)");
    for (int i = 0; i < count; i++) {
        if (!s_endpoint (names [i]))
            return s_usage_error ("status: unknown process name (bus, intake, dispatcher, "
                                  "escalation, archive, metrics)");
        msgpack_sbuffer req;
        gl_request_build (&req, "status", false, NULL);
        gl_doc_t answer;
        //  One short try: status is for looking, and a down process should not stall it.
        gl_client_t *client = gl_client_new (s_endpoint (names [i]), 1000, s_cfg.max_msg_bytes);
        gl_err_t err;
        int rc = gl_client_call (client, req.data, req.size, &answer, 1, &err);
        gl_client_destroy (&client);
        msgpack_sbuffer_destroy (&req);
        if (rc || gl_answer_check (&answer.root, &err)) {
            printf ("%-11s %-6s  %s\n", names [i], "DOWN", s_endpoint (names [i]));
            down++;
            gl_doc_fini (&answer);
            continue;
        }
        uint64_t up = 0, last = 0, in = 0, out = 0, errors = 0;
        const msgpack_object *r = &answer.root;
        gl_get_u64 (r, "uptime_ms", &up);
        gl_get_u64 (r, "last_seq", &last);
        gl_get_u64 (r, "msgs_in", &in);
        gl_get_u64 (r, "msgs_out", &out);
        gl_get_u64 (r, "errors", &errors);
        char inbox [512] = "";
        size_t off = 0;
        const msgpack_object *ib = gl_map_get (r, "inbox");
        for (uint32_t j = 0; ib && ib->type == MSGPACK_OBJECT_MAP && j < ib->via.map.size; j++) {
            const msgpack_object *k = &ib->via.map.ptr [j].key, *v = &ib->via.map.ptr [j].val;
            uint64_t pl = 0, lag = 0;
            gl_get_u64 (v, "last", &pl);
            gl_get_u64 (v, "lag", &lag);
            if (off < sizeof inbox)
                off += (size_t) snprintf (inbox + off, sizeof inbox - off, "%.*s: %llu/%llu  ",
                                          (int) k->via.str.size, k->via.str.ptr,
                                          (unsigned long long) pl, (unsigned long long) lag);
        }
        printf ("%-11s %-6s %10.1f %10llu %10llu %10llu %8llu  %s\n", names [i], "up",
                up / 1000.0, (unsigned long long) last, (unsigned long long) in,
                (unsigned long long) out, (unsigned long long) errors, inbox);
        gl_doc_fini (&answer);
    }
    return down? 1: 0;
}

static int
s_tail (int argc, char **argv)
{
    long count = -1;
    double seconds = -1;
    bool hb = false;
    zsock_t *sub = zsock_new (ZMQ_SUB);
    gl_socket_limits (sub, s_cfg.max_msg_bytes, 0);
    zsock_set_rcvhwm (sub, 100000);
    int prefixes = 0;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--count") && i + 1 < argc)
            count = atol (argv [++i]);
        else
        if (streq (argv [i], "--seconds") && i + 1 < argc)
            seconds = atof (argv [++i]);
        else
        if (streq (argv [i], "--hb"))
            hb = true;
        else {
            zsock_set_subscribe (sub, argv [i]);
            prefixes++;
        }
    }
    if (!prefixes) {
        zsock_destroy (&sub);
        return s_usage_error ("tail needs at least one topic prefix, e.g. gridloop tail intake.");
    }
    zsock_connect (sub, "%s", s_cfg.bus_backend);
    int64_t end = seconds >= 0? zclock_mono () + (int64_t) (seconds * 1000): INT64_MAX;
    zpoller_t *poller = zpoller_new (sub, NULL);
    long seen = 0;
    while (!zsys_interrupted && (count < 0 || seen < count) && zclock_mono () < end) {
        if (!zpoller_wait (poller, 200))
            continue;
        zmsg_t *msg = zmsg_recv (sub);
        if (!msg)
            break;
        zframe_t *topic = zmsg_first (msg), *body = zmsg_next (msg);
        gl_doc_t doc;
        gl_envelope_t env;
        gl_err_t err;
        if (topic && body && gl_envelope_decode (&doc, zframe_data (body), zframe_size (body),
                                                 &env, &err) == 0) {
            if (hb || !gl_envelope_is (&env, "hb")) {
                s_print_line ((const char *) zframe_data (topic), zframe_size (topic), &env);
                seen++;
            }
        }
        else
            printf ("(unreadable message on '%.*s': %s)\n", topic? (int) zframe_size (topic): 0,
                    topic? (const char *) zframe_data (topic): "", err.message);
        gl_doc_fini (&doc);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&sub);
    return 0;
}

static int
s_backup (int argc, char **argv)
{
    if (argc != 3 || gl_svc_lookup (argv [1], strlen (argv [1])) < 0)
        return s_usage_error ("backup SERVICE DIR, e.g. gridloop backup intake "
                              "/var/backups/gridloop/intake-20261127");
    char path [512];
    if (argv [2][0] != '/') {
        char cwd [400];
        if (!getcwd (cwd, sizeof cwd))
            return s_usage_error ("backup: give DIR as an absolute path");
        snprintf (path, sizeof path, "%s/%s", cwd, argv [2]);
    }
    else
        snprintf (path, sizeof path, "%s", argv [2]);
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "path", path);
    msgpack_sbuffer req;
    gl_request_build (&req, "backup", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t answer;
    //  One try, with a long wait: a large store takes a while to copy.
    const char *endpoint = s_endpoint (argv [1]);
    gl_client_t *client = gl_client_new (endpoint, 600000, s_cfg.max_msg_bytes);
    gl_err_t err;
    int rc = gl_client_call (client, req.data, req.size, &answer, 1, &err);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0 && gl_answer_check (&answer.root, &err) == 0) {
        uint64_t last = 0;
        gl_get_u64 (&answer.root, "last_seq", &last);
        printf ("%s backed up to %s (last seq %llu)\n", argv [1], path,
                (unsigned long long) last);
    }
    else {
        fprintf (stderr, "gridloop: backup: %s: %s\n", gl_code_name (err.code), err.message);
        rc = 1;
    }
    gl_doc_fini (&answer);
    return rc? 1: 0;
}

static int
s_org (int argc, char **argv)
{
    const char *root = NULL;
    int depth = 2;
    bool categories = false;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--categories"))
            categories = true;
        else
        if (streq (argv [i], "--depth") && i + 1 < argc)
            depth = atoi (argv [++i]);
        else
        if (argv [i][0] != '-')
            root = argv [i];
        else
            return s_usage_error ("org takes [UNIT] [--depth N] or --categories");
    }
    gl_err_t err;
    gl_org_t *org = gl_org_load (s_cfg.org_path, s_cfg.categories_path, &err);
    if (!org) {
        fprintf (stderr, "gridloop: org: %s\n", err.message);
        return 1;
    }
    int rc = 0;
    if (categories) {
        //  The Chinese name last: terminals give its characters two columns each.
        printf ("%-6s %-10s %-3s %-8s %-7s %-6s %-12s %s\n", "code", "board", "pri", "sanshi",
                "dispute", "street", "county", "name");
        for (size_t i = 0; i < gl_org_category_count (org); i++) {
            const gl_category_t *c = gl_org_category_at (org, i);
            printf ("%-6s %-10s P%d  %-8s %-7s %-6s %-12s %s\n", c->code,
                    gl_board_name (c->board), c->priority, gl_sanshi_name (c->sanshi),
                    c->dispute? "yes": "no", c->street_handler, c->county_handler->id, c->name);
        }
    }
    else
    if (gl_org_print_tree (org, stdout, root, depth)) {
        fprintf (stderr, "gridloop: org: no unit '%s' (try `gridloop org` for the top)\n",
                 root? root: "");
        rc = 1;
    }
    gl_org_destroy (&org);
    return rc;
}

static int
s_generic (int argc, char **argv)
{
    if (argc != 3 || !s_endpoint (argv [1]))
        return s_usage_error ("call SERVICE JSON, e.g. gridloop call intake '{\"op\":\"status\"}'");
    json_error_t jerr;
    json_t *doc = json_loads (argv [2], 0, &jerr);
    if (!doc || !json_is_object (doc)) {
        json_decref (doc);
        fprintf (stderr, "gridloop: call: not a JSON object: %s\n", jerr.text);
        return 2;
    }
    msgpack_sbuffer req;
    msgpack_sbuffer_init (&req);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &req, msgpack_sbuffer_write);
    gl_err_t err;
    int rc = gl_json_to_msgpack (doc, &pk, &err);
    json_decref (doc);
    if (rc) {
        fprintf (stderr, "gridloop: call: %s\n", err.message);
        return 2;
    }
    gl_doc_t answer;
    gl_client_t *client = gl_client_new (s_endpoint (argv [1]), s_cfg.request_timeout_ms,
                                         s_cfg.max_msg_bytes);
    rc = gl_client_call (client, req.data, req.size, &answer, 3, &err);
    gl_client_destroy (&client);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0) {
        s_print_json (&answer.root);
        rc = gl_answer_check (&answer.root, &err)? 1: 0;
    }
    else
        fprintf (stderr, "gridloop: %s\n", err.message);
    gl_doc_fini (&answer);
    return rc? 1: 0;
}

int
main (int argc, char **argv)
{
    if (argc > 1 && streq (argv [1], "config")) {
        gl_config_print (stdout);
        return 0;
    }
    int rc = gl_config_from_args (&s_cfg, argc, argv, "gridloop", s_usage);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return s_usage_error ("which command? (report, show, list, status, tail, org, backup, call, config)");
    zsys_init ();
    zsys_set_logstream (NULL);
    char **args = argv + optind;
    int nargs = argc - optind;
    const char *command = args [0];
    if (streq (command, "report"))
        return s_report (nargs, args);
    if (streq (command, "show"))
        return s_show (nargs, args);
    if (streq (command, "list"))
        return s_list (nargs, args);
    if (streq (command, "status"))
        return s_status (nargs, args);
    if (streq (command, "tail"))
        return s_tail (nargs, args);
    if (streq (command, "call"))
        return s_generic (nargs, args);
    if (streq (command, "backup"))
        return s_backup (nargs, args);
    if (streq (command, "org"))
        return s_org (nargs, args);
    if (streq (command, "config")) {
        gl_config_print (stdout);
        return 0;
    }
    char what [128];
    snprintf (what, sizeof what, "unknown command '%s'", command);
    return s_usage_error (what);
}

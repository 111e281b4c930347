/*  gridloop — the operator's command line. It speaks only the public protocol of proto/, like
    any departmental system: report, show, list, status, tail, call, config, and the event
    lifecycle commands of the dispatcher (accept, dispatch, sign, … event, queue).  */
#include "gl_client.h"
#include "gl_clock.h"
#include "gl_config.h"
#include "gl_dispatch_ops.h"
#include "gl_json.h"
#include "gl_org.h"
#include "cli_archive.h"
#include "cli_calendar.h"
#include "cli_cert.h"
#include "cli_escalation.h"
#include "gl_security.h"
#include "cli_metrics.h"
#include "cli_metrics_view.h"
#include "cli_notice.h"
#include "cli_out.h"
#include "cli_simulate.h"
#include "cli_top.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  The usage text; %s is where the lifecycle commands go, one per operation of the table
//  (gl_dispatch_ops.h), written by s_usage_text.
static const char *s_usage_format =
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
    "  show ID [--json]      an event's history from the archive as a timeline: when (county\n"
    "                        time), what, who and why\n"
    "  search [FILTERS] [--limit N] [--after ID] [--count] [--json]\n"
    "                        events by any dimension, in id order, as a table; FILTERS:\n"
    "      --unit UNIT (touched, any tier) --holder UNIT --state STATE --category LL.SS\n"
    "      --sanshi major|minor|private --priority P1..P4 --channel CHANNEL --role ROLE\n"
    "      --source ID --overdue yes|no (carded in the stage it is still in)\n"
    "      --card yellow|red|any (ever carded) --reported-from T --reported-to T\n"
    "      --closed-from T --closed-to T --month YYYY-MM (reported in that month);\n"
    "      T: YYYY-MM-DD[THH:MM] county time, or ms\n"
    "  export [FILTERS] --format csv|jsonl   every event of a search to stdout, e.g.\n"
    "                        `gridloop export --unit SJ-01-01 --month 2026-11 --format csv > f.csv`\n"
    "  list [--after ID] [--limit N]   events held by the archive, in id order\n"
    "  status [NAME...]      every process's status (or only the named ones): up, DOWN,\n"
    "                        not built or not configured; exits 1 if one is DOWN\n"
    "  tail PREFIX... [--count N] [--seconds S] [--hb]\n"
    "                        follow streams on the bus as readable lines, e.g.\n"
    "                        `gridloop tail intake. dispatcher.`; '' follows everything;\n"
    "                        `gridloop tail metrics.` shows the county's live figures, a\n"
    "                        line per street and the pipeline's health, in columns\n"
    "  top [--refresh S] [--group street|department|grid|board]\n"
    "                        live dashboard of the county (needs metrics): figures, lights,\n"
    "                        rankings, pipeline; keys q quit, Tab/1-4 ranking group, r ask now\n"
    "  backup SERVICE NAME   online backup of a service's store into NAME under its backup_dir\n"
    "                        (absolute, on the service's host); restore by stopping the\n"
    "                        service and putting DIR's files in its data directory\n"
    "  org [UNIT] [--depth N]   the county's units and staff as a tree (from the domain\n"
    "                        files in the configuration), from UNIT (default the county)\n"
    "  org --categories      the category list: code, name, board, priority, 三事, handlers\n"
    "  calendar DATE [--days N]   whether DATE (YYYY-MM-DD, or today) is a working day, and\n"
    "                        the N days from it\n"
    "  calendar --add START DURATION   a deadline in working or natural time (START\n"
    "                        YYYY-MM-DD[THH:MM] or now; DURATION 30m, 2h, 1d, 4wh, 5wd, 0.5wd)\n"
    "                        with its working-time arithmetic\n"
    "  score UNIT [--period YYYY-MM|YYYY-Www] [--wartime] [--why] [--json]\n"
    "                        a unit's (or person's) counters, rates, weights, cards, points,\n"
    "                        score and grade (考核评价); --why lists the events behind them\n"
    "  ranking GROUP [--period P] [--version N] [--wartime] [--json]\n"
    "                        a peer group (street community grid centre board department\n"
    "                        mediation worker) ranked now, or a published version\n"
    "  publish PERIOD --as CTY-ASSESS --person ID [--reason TEXT]\n"
    "                        publish the period's rankings as a new, immutable version\n"
    "  points UNIT POINTS --reason TEXT --as CTY-ASSESS --person ID [--period P]\n"
    "                        manual points (-100..100) with their reason and author\n"
    "  notice --period P [--version N] [--wartime] [--out FILE]\n"
    "                        the period's notice (排榜通报) from published version N (default\n"
    "                        the latest) as one self-contained HTML file, to stdout or FILE\n"
    "  cert init | list      make the county's certificates (every service, the operator\n"
    "                        seat, the departmental sources) once; list them and where each\n"
    "                        is allowed\n"
    "  cert new NAME --unit UNIT --role operator|unit|department [--person ID] [--allow SVC]..\n"
    "  cert allow|revoke NAME [SERVICE...]   accept or refuse a certificate (default: at\n"
    "                        every service); picked up at the next connection, no restart\n"
    "  call SERVICE JSON     send any request (JSON) to a service; prints the answer\n"
    "  simulate [--seed N] [--days D] [--speed S] [--rate R] [--quiet] ...\n"
    "                        the county in motion: reports, handling, verification,\n"
    "                        feedback, cards and a wartime episode (simulate --help)\n"
    "  config                every setting with its default and meaning; with --config\n"
    "                        FILE first: the value each setting takes from that file\n"
    "\n"
    "Event lifecycle (dispatcher):\n"
    "  ACTION ID --as UNIT [--person ID] [--role ROLE] [FLAGS]\n"
    "                        act on event ID for unit UNIT (and staff member ID); prints\n"
    "                        `ID STATE step N`. ACTION, its FLAGS and what it does:\n"
    "%s"
    "  event ID [--json]     the dispatcher's view of an event: state, triage, assigned unit,\n"
    "                        counters and every step\n"
    "  operations [--markdown]   every lifecycle operation from the one table: synopsis and\n"
    "                        what it does, or the reference table of proto/dispatcher.md\n"
    "  queue UNIT [--state to_sign|in_progress|open] [--limit N] [--after ID]\n"
    "                        the events UNIT holds (default: every open one), one a line\n"
    "  overdue [UNIT] [--limit N] [--after NEXT]\n"
    "                        overdue steps (all, or UNIT's) with their age and light\n"
    "  mode [SCOPE wartime|peacetime --as CENTRE --reason TEXT [--person ID]]\n"
    "                        the scopes in wartime and the latest switches, or a switch\n"
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

//  The arguments of show and event: one event id and an optional --json. NULL when they are
//  anything else.
static const char *
s_id_and_json (int argc, char **argv, bool *json)
{
    const char *id = NULL;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--json"))
            *json = true;
        else
        if (argv [i][0] == '-' || id)
            return NULL;
        else
            id = argv [i];
    }
    return id;
}

//  Ask a service for one event ({op: get, id}); 0 with the answer, or 1 (refusal printed).
static int
s_get_by_id (const char *service, const char *id, gl_doc_t *answer)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "id", id);
    msgpack_sbuffer req;
    gl_request_build (&req, "get", false, &w);
    gl_mapw_fini (&w);
    int rc = s_call (service, &req, answer, 3, false);
    msgpack_sbuffer_destroy (&req);
    return rc;
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
    //  County time, its zone written out: the services' logs say theirs too.
    gl_clock_local (ms, (int) s_cfg.utc_offset_min, true, buf, size);
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
    gl_packer_init (&pk, &req);
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
        const char *id = NULL;
        size_t n = 0;
        bool duplicate = false;
        uint64_t attached = 0;
        gl_get_bool (&answer.root, "duplicate", &duplicate);
        gl_get_u64 (&answer.root, "attached", &attached);
        //  An attached report made no event of its own: say whose it became, not just an id.
        gl_get_str (&answer.root, "id", &id, &n);
        if (n && duplicate)
            printf ("attached to open event %.*s (reports attached to it: %llu)\n", (int) n,
                    id, (unsigned long long) attached);
        else
        if (n)
            printf ("%.*s\n", (int) n, id);
    }
    gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
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

//  True when the process's program gridloop-<name> is installed: next to this tool, or on
//  PATH. A service not built yet (escalation, metrics) has none.
static bool
s_built (const char *name)
{
    char path [PATH_MAX + 64];
    ssize_t n = readlink ("/proc/self/exe", path, PATH_MAX);
    if (n > 0) {
        path [n] = 0;
        char *slash = strrchr (path, '/');
        snprintf (slash? slash + 1: path, 64, "gridloop-%s", name);
        if (access (path, X_OK) == 0)
            return true;
    }
    const char *dirs = getenv ("PATH");
    while (dirs && *dirs) {
        size_t len = strcspn (dirs, ":");
        snprintf (path, sizeof path, "%.*s/gridloop-%s", (int) len, len? dirs: ".", name);
        if (access (path, X_OK) == 0)
            return true;
        dirs += len + (dirs [len] == ':');
    }
    return false;
}

//  True when the configuration file has a section for the process (or when no file was read
//  and every process runs on its defaults).
static bool
s_configured (const char *name)
{
    if (!s_cfg.path [0])
        return true;
    zconfig_t *root = zconfig_load (s_cfg.path);
    bool found = root && zconfig_locate (root, name);
    zconfig_destroy (&root);
    return found;
}

//  `gridloop status [PROCESS...]`: one line per process. A process that is not built or has no
//  section in the configuration is reported as such; only one that should run and does not
//  answer is DOWN, and only that fails the command.
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
        if (!s_built (names [i]) || !s_configured (names [i])) {
            printf ("%-11s %s\n", names [i], s_built (names [i])? "not configured": "not built");
            continue;
        }
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
    gl_err_t err;
    if (gl_sec_connect (sub, s_cfg.bus_backend, &err)) {
        zsock_destroy (&sub);
        fprintf (stderr, "gridloop: tail: %s\n", err.message);
        return 1;
    }
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
                //  metrics.* in columns of their own; everything else as one generic line.
                if (!cli_view_print (stdout, &s_cfg, (const char *) zframe_data (topic),
                                     zframe_size (topic), &env))
                    s_print_line ((const char *) zframe_data (topic), zframe_size (topic),
                                  &env);
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
        return s_usage_error ("backup SERVICE NAME, e.g. gridloop backup intake "
                              "2026-11-27/intake: the service writes it under its backup_dir");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "path", argv [2]);
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
        char path [512] = "";
        gl_get_strbuf (&answer.root, "path", path, sizeof path);
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
    gl_org_t *org = gl_org_load (s_cfg.org_path, s_cfg.categories_path,
                                 s_cfg.admission_path, &err);
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
                    gl_board_name (c->board), c->priority, gl_matter_name (c->matter),
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

//  ---------------------------------------------------------------------------------------------
//  Event lifecycle (dispatcher, proto/dispatcher.md): one row per command, one parser for all.

//  The actor flags every command takes, ahead of its own (slots -1, -2, -3 below).
static const gl_flag_t s_actor_flags [] = {
    { "as", "unit", GL_FLAG_STR, "UNIT" }, { "person", "person", GL_FLAG_STR, "ID" },
    { "role", "role", GL_FLAG_STR, "ROLE" }
};

//  `gridloop operations [--markdown]`: the dispatcher's operations from the one table (no
//  service needed): their synopses, or the reference table proto/dispatcher.md carries.
static int
s_operations (int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && !streq (argv [1], "--markdown")))
        return s_usage_error ("operations takes only --markdown");
    if (argc == 2) {
        gl_dop_markdown (stdout);
        return 0;
    }
    for (size_t i = 0; i < GL_DOP_COUNT; i++) {
        char synopsis [512];
        gl_dop_synopsis (&gl_dops [i], synopsis, sizeof synopsis);
        printf ("%s\n    %s\n", synopsis, gl_dops [i].help);
    }
    return 0;
}

//  The usage text with every lifecycle command of the table: its flags, then what it does.
static char *
s_usage_text (void)
{
    size_t size = 16384, off = 0;
    char *verbs = zmalloc (size);
    for (size_t i = 0; i < GL_DOP_COUNT && off < size; i++) {
        char synopsis [512];
        gl_dop_synopsis (&gl_dops [i], synopsis, sizeof synopsis);
        //  Without the "ID --as UNIT [--person ID] [--role ROLE]" every command shares.
        const char *flags = synopsis + strlen (gl_dops [i].verb)
                          + strlen (" ID --as UNIT [--person ID] [--role ROLE]");
        off += (size_t) snprintf (verbs + off, size - off, "      %-17s%s\n"
                                  "                        %s\n", gl_dops [i].verb,
                                  *flags? flags: " (no flags)", gl_dops [i].help);
    }
    size_t total = strlen (s_usage_format) + off + 1;
    char *usage = zmalloc (total);
    snprintf (usage, total, s_usage_format, verbs);
    free (verbs);
    return usage;
}

//  The slot of flag name (name_len bytes) in verb's row: 0.. for the row's flags, -1, -2, -3
//  for --as, --person, --role; GL_DOP_MAX_FLAGS when the command has no such flag.
static int
s_verb_slot (const gl_dop_t *verb, const char *name, size_t name_len, const gl_flag_t **flag)
{
    for (int i = 0; i < 3; i++)
        if (strlen (s_actor_flags [i].flag) == name_len
        &&  memcmp (s_actor_flags [i].flag, name, name_len) == 0) {
            *flag = &s_actor_flags [i];
            return -1 - i;
        }
    for (int i = 0; i < GL_DOP_MAX_FLAGS && verb->flags [i].flag; i++)
        if (strlen (verb->flags [i].flag) == name_len
        &&  memcmp (verb->flags [i].flag, name, name_len) == 0) {
            *flag = &verb->flags [i];
            return i;
        }
    return GL_DOP_MAX_FLAGS;
}

//  Parse `ACTION ID --as UNIT [--person ID] [--role ROLE] [flags]` (argv [0] is ACTION) against
//  verb's row and build its request into req: op, a fresh req_id, id, actor {unit, person,
//  role}, then the row's fields in row order. Flags are `--flag VALUE` or `--flag=VALUE`.
//  Which fields an operation requires, and their values, are for the dispatcher to judge; here
//  only the shape is checked. Returns 0 with req built and *id_p set, or 2 having printed the
//  problem (req untouched).
static int
s_verb_request (const gl_dop_t *verb, int argc, char **argv, msgpack_sbuffer *req,
                const char **id_p)
{
    char synopsis [512], what [768];
    gl_dop_synopsis (verb, synopsis, sizeof synopsis);
    //  One (slot, value) per flag given, in command-line order.
    int *slots = calloc ((size_t) argc, sizeof *slots);
    const char **values = calloc ((size_t) argc, sizeof *values);
    int given = 0;
    const char *id = NULL;
    what [0] = '\0';
    for (int i = 1; i < argc && !what [0]; i++) {
        const char *arg = argv [i];
        if (strncmp (arg, "--", 2) != 0) {
            if (id)
                snprintf (what, sizeof what, "%s: one event id only ('%s' and '%s')",
                          verb->verb, id, arg);
            id = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr (name, '=');
        size_t name_len = eq? (size_t) (eq - name): strlen (name);
        const gl_flag_t *flag = NULL;
        int slot = s_verb_slot (verb, name, name_len, &flag);
        if (slot == GL_DOP_MAX_FLAGS) {
            snprintf (what, sizeof what, "%s has no flag --%.*s", verb->verb,
                      (int) name_len, name);
            break;
        }
        const char *value = NULL;
        if (flag->type == GL_FLAG_TRUE || flag->type == GL_FLAG_FALSE) {
            if (eq)
                snprintf (what, sizeof what, "%s: --%s takes no value", verb->verb,
                          flag->flag);
        }
        else
        if (eq)
            value = eq + 1;
        else
        if (i + 1 < argc)
            value = argv [++i];
        else
            snprintf (what, sizeof what, "%s: --%s needs a value (%s)", verb->verb,
                      flag->flag, flag->meta);
        if (value && flag->type == GL_FLAG_UINT) {
            char *end = NULL;
            errno = 0;
            strtoull (value, &end, 10);
            if (!*value || *end || value [0] == '-' || errno)
                snprintf (what, sizeof what, "%s: --%s takes a whole number (%s), not '%s'",
                          verb->verb, flag->flag, flag->meta, value);
        }
        //  A field is set once (but for arrays): --pass and --fail, or --as twice, clash.
        for (int j = 0; j < given && !what [0]; j++) {
            const gl_flag_t *other = slots [j] < 0? &s_actor_flags [-1 - slots [j]]:
                                                    &verb->flags [slots [j]];
            if (streq (other->field, flag->field) && (slots [j] < 0) == (slot < 0)
            &&  !(flag->type == GL_FLAG_STRS && slots [j] == slot)) {
                if (other == flag)
                    snprintf (what, sizeof what, "%s: --%s is given twice", verb->verb,
                              flag->flag);
                else
                    snprintf (what, sizeof what, "%s: --%s and --%s exclude each other",
                              verb->verb, other->flag, flag->flag);
            }
        }
        slots [given] = slot;
        values [given++] = value;
    }
    const char *unit = NULL;
    for (int j = 0; j < given; j++)
        if (slots [j] == -1)
            unit = values [j];
    if (!what [0] && !id)
        snprintf (what, sizeof what, "%s needs an event id, e.g. gridloop %s "
                  "500235-20261127-000000042 --as SJ-B4", verb->verb, verb->verb);
    else
    if (!what [0] && !unit)
        snprintf (what, sizeof what, "%s needs --as UNIT: the unit you act for, e.g. SJ-C "
                  "(`gridloop org` lists the units)", verb->verb);
    if (what [0]) {
        free (slots);
        free (values);
        fprintf (stderr, "gridloop: %s\n  usage: gridloop %s\n", what, synopsis);
        return 2;
    }

    gl_mapw_t w, actor;
    gl_mapw_init (&w);
    gl_mapw_init (&actor);
    gl_mapw_str (&w, "id", id);
    for (int s = -1; s >= -3; s--)
        for (int j = 0; j < given; j++)
            if (slots [j] == s)
                gl_mapw_str (&actor, s_actor_flags [-1 - s].field, values [j]);
    gl_mapw_map (&w, "actor", &actor);
    //  The row's fields in row order; two flags of one field (--pass, --fail) write it once.
    for (int s = 0; s < GL_DOP_MAX_FLAGS && verb->flags [s].flag; s++) {
        const gl_flag_t *f = &verb->flags [s];
        bool written = false;
        for (int e = 0; e < s; e++)
            if (streq (verb->flags [e].field, f->field))
                written = true;
        if (written)
            continue;
        msgpack_sbuffer items;
        msgpack_sbuffer_init (&items);
        msgpack_packer pk;
        gl_packer_init (&pk, &items);
        uint32_t count = 0;
        for (int j = 0; j < given; j++) {
            if (slots [j] < 0 || !streq (verb->flags [slots [j]].field, f->field))
                continue;
            const gl_flag_t *g = &verb->flags [slots [j]];
            switch (g->type) {
                case GL_FLAG_STR:   gl_mapw_str (&w, g->field, values [j]); break;
                case GL_FLAG_UINT:
                    gl_mapw_u64 (&w, g->field, strtoull (values [j], NULL, 10));
                    break;
                case GL_FLAG_TRUE:  gl_mapw_bool (&w, g->field, true); break;
                case GL_FLAG_FALSE: gl_mapw_bool (&w, g->field, false); break;
                case GL_FLAG_STRS:  gl_pack_cstr (&pk, values [j]); count++; break;
            }
        }
        if (count)
            gl_mapw_array (&w, f->field, count, &items);
        msgpack_sbuffer_destroy (&items);
    }
    gl_request_build (req, verb->name, true, &w);
    gl_mapw_fini (&actor);
    gl_mapw_fini (&w);
    free (slots);
    free (values);
    *id_p = id;
    return 0;
}

//  `gridloop ACTION ID --as UNIT …`: one lifecycle command; prints "ID STATE step N".
static int
s_verb (const gl_dop_t *verb, int argc, char **argv)
{
    msgpack_sbuffer req;
    const char *id;
    int rc = s_verb_request (verb, argc, argv, &req, &id);
    if (rc)
        return rc;
    gl_doc_t answer;
    //  Retrying with the same bytes is safe: the dispatcher answers a repeated req_id the same
    //  way, and carries the command out once.
    rc = s_call ("dispatcher", &req, &answer, 5, false);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0) {
        char state [GL_MAX_NAME + 1] = "?", answered [GL_MAX_NAME + 1];
        uint64_t step = 0;
        gl_get_strbuf (&answer.root, "state", state, sizeof state);
        gl_get_u64 (&answer.root, "step", &step);
        printf ("%s %s step %llu\n",
                gl_get_strbuf (&answer.root, "id", answered, sizeof answered)? answered: id,
                state, (unsigned long long) step);
    }
    gl_doc_fini (&answer);
    return rc;
}

//  A value of a dispatcher answer as text: strings as they are, times ("…_at" integers) as
//  local times, nil, absent or "" as "-", maps and arrays as one line of JSON.
static void
s_value_text (const msgpack_object *map, const char *key, char *buf, size_t size)
{
    const msgpack_object *v = gl_map_get (map, key);
    size_t key_len = strlen (key);
    bool time = key_len > 3 && streq (key + key_len - 3, "_at");
    if (!v || v->type == MSGPACK_OBJECT_NIL
    ||  (v->type == MSGPACK_OBJECT_STR && v->via.str.size == 0))
        snprintf (buf, size, "-");
    else
    if (v->type == MSGPACK_OBJECT_STR)
        snprintf (buf, size, "%.*s", (int) v->via.str.size, v->via.str.ptr);
    else
    if (v->type == MSGPACK_OBJECT_BOOLEAN)
        snprintf (buf, size, "%s", v->via.boolean? "yes": "no");
    else
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && time)
        s_time ((int64_t) v->via.u64, buf, size);
    else
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf (buf, size, "%llu", (unsigned long long) v->via.u64);
    else
    if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        snprintf (buf, size, "%lld", (long long) v->via.i64);
    else {
        char *line = gl_json_line (v);
        snprintf (buf, size, "%s", line);
        free (line);
    }
}

//  `gridloop event ID [--json]`: the dispatcher's view of one event, its state and its steps.
static int
s_event (int argc, char **argv)
{
    bool json = false;
    const char *id = s_id_and_json (argc, argv, &json);
    if (!id)
        return s_usage_error ("event takes ID [--json], e.g. gridloop event "
                              "500235-20261127-000000042");
    gl_doc_t answer;
    int rc = s_get_by_id ("dispatcher", id, &answer);
    if (rc == 0 && json)
        s_print_json (&answer.root);
    else
    if (rc == 0) {
        const msgpack_object *e = gl_map_get (&answer.root, "event");
        //  Each line: a label, then "name value" pairs of the event map, named as the
        //  dispatcher names them (proto/dispatcher.md §5.23).
        static const struct {
            const char *label;
            const char *keys [6];
        } lines [] = {
            { "triage", { "category", "priority", "sanshi", "board" } },
            { "where", { "grid", "community", "street" } },
            { "counters", { "returns", "reworks", "rehandles", "wrong_dispatches" } },
            { "oversight", { "supervision", "urgent", "extension_days" } },
            { "times", { "created_at", "updated_at" } },
            { "reporter", { "reporter_role" } },
            { "mediation", { "mediations", "mediation_channel", "mediator",
                             "mediation_sessions", "mediation_outcome", "agreement" } },
            { "advice", { "advice" } },
        };
        char state [64], step [24], unit [128], by [128], kind [64];
        s_value_text (e, "state", state, sizeof state);
        s_value_text (e, "step", step, sizeof step);
        s_value_text (e, "unit", unit, sizeof unit);
        s_value_text (e, "dispatcher", by, sizeof by);
        s_value_text (e, "step_kind", kind, sizeof kind);
        //  A filed event waits at its holder to be dispatched: nobody dispatched it there.
        if (streq (state, "FILED"))
            printf ("event %s  FILED  step %s at %s (to dispatch; step began by %s)\n", id,
                    step, unit, kind);
        else
        if (streq (state, "CLOSED") || streq (state, "ARCHIVED") || streq (state, "CANCELLED"))
            printf ("event %s  %s  step %s, last at %s\n", id, state, step, unit);
        else
            printf ("event %s  %s  step %s at %s (dispatched by %s)\n", id, state, step, unit,
                    by);
        uint64_t mediations = 0;
        gl_get_u64 (e, "mediations", &mediations);
        char advice [1100];
        s_value_text (e, "advice", advice, sizeof advice);
        for (size_t l = 0; l < sizeof lines / sizeof lines [0]; l++) {
            //  Shown only where there is one: the mediation record, a 私事's advice.
            if ((streq (lines [l].label, "mediation") && !mediations)
            ||  (streq (lines [l].label, "advice") && streq (advice, "-")))
                continue;
            printf ("  %-10s", lines [l].label);
            for (int k = 0; k < 6 && lines [l].keys [k]; k++) {
                char value [2100];
                s_value_text (e, lines [l].keys [k], value, sizeof value);
                printf ("%s%s %s", k? "  ": "", lines [l].keys [k], value);
            }
            printf ("\n");
        }
        const msgpack_object *steps = gl_map_get (&answer.root, "steps");
        uint32_t count = steps && steps->type == MSGPACK_OBJECT_ARRAY? steps->via.array.size: 0;
        printf ("steps: %u\n", count);
        for (uint32_t i = 0; i < count; i++) {
            const msgpack_object *s = &steps->via.array.ptr [i];
            char n [24], kind [64], unit [128], from [128], entered [48], signed_at [48],
                 left [48], days [24], outcome [128], reason [1024];
            s_value_text (s, "n", n, sizeof n);
            s_value_text (s, "kind", kind, sizeof kind);
            s_value_text (s, "unit", unit, sizeof unit);
            s_value_text (s, "from", from, sizeof from);
            s_value_text (s, "entered_at", entered, sizeof entered);
            s_value_text (s, "signed_at", signed_at, sizeof signed_at);
            s_value_text (s, "left_at", left, sizeof left);
            s_value_text (s, "extension_days", days, sizeof days);
            s_value_text (s, "outcome", outcome, sizeof outcome);
            s_value_text (s, "reason", reason, sizeof reason);
            printf ("  %3s %-12s %-14s from %-10s entered %s  signed %s  left %s  "
                    "extension %s  outcome %s  reason %s\n", n, kind, unit, from, entered,
                    signed_at, left, days, outcome, reason);
        }
    }
    gl_doc_fini (&answer);
    return rc;
}

//  `gridloop queue UNIT [--state to_sign|in_progress|open] [--limit N] [--after ID]`: the
//  events a unit holds, one line each.
static int
s_queue (int argc, char **argv)
{
    const char *unit = NULL, *state = NULL, *after = NULL;
    uint64_t limit = 0;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--state") && i + 1 < argc)
            state = argv [++i];
        else
        if (streq (argv [i], "--after") && i + 1 < argc)
            after = argv [++i];
        else
        if (streq (argv [i], "--limit") && i + 1 < argc) {
            char *end = NULL;
            limit = strtoull (argv [++i], &end, 10);
            if (!argv [i][0] || *end || argv [i][0] == '-' || limit == 0)
                return s_usage_error ("queue: --limit takes a number from 1 to 500");
        }
        else
        if (argv [i][0] != '-' && !unit)
            unit = argv [i];
        else
            return s_usage_error ("queue takes UNIT [--state to_sign|in_progress|open] "
                                  "[--limit N] [--after ID]");
    }
    if (!unit)
        return s_usage_error ("queue needs a unit, e.g. gridloop queue SJ-B4 --state to_sign");
    gl_mapw_t w;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "unit", unit);
    if (state)
        gl_mapw_str (&w, "state", state);
    if (after)
        gl_mapw_str (&w, "after", after);
    if (limit)
        gl_mapw_u64 (&w, "limit", limit);
    msgpack_sbuffer req;
    gl_request_build (&req, "queue", false, &w);
    gl_mapw_fini (&w);
    gl_doc_t answer;
    int rc = s_call ("dispatcher", &req, &answer, 3, false);
    msgpack_sbuffer_destroy (&req);
    if (rc == 0) {
        const msgpack_object *events = gl_map_get (&answer.root, "events");
        uint32_t count = events && events->type == MSGPACK_OBJECT_ARRAY?
                         events->via.array.size: 0;
        for (uint32_t i = 0; i < count; i++) {
            const msgpack_object *e = &events->via.array.ptr [i];
            char id [128], st [64], category [32], priority [16], step [24], updated [48];
            s_value_text (e, "id", id, sizeof id);
            s_value_text (e, "state", st, sizeof st);
            s_value_text (e, "category", category, sizeof category);
            s_value_text (e, "priority", priority, sizeof priority);
            s_value_text (e, "step", step, sizeof step);
            s_value_text (e, "updated_at", updated, sizeof updated);
            printf ("%s  %-12s %-6s %-3s step %-3s updated %s\n", id, st, category, priority,
                    step, updated);
        }
        char next [GL_MAX_NAME + 1];
        if (gl_get_strbuf (&answer.root, "next", next, sizeof next))
            printf ("(more: gridloop queue %s%s%s --after %s)\n", unit,
                    state? " --state ": "", state? state: "", next);
    }
    gl_doc_fini (&answer);
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
    gl_packer_init (&pk, &req);
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
    cli_out_protect ();
    if (argc > 1 && streq (argv [1], "config")) {
        gl_config_print (stdout);
        return 0;
    }
    char *usage = s_usage_text ();
    int rc = gl_config_from_args (&s_cfg, argc, argv, "gridloop", usage);
    free (usage);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return s_usage_error ("which command? (report, show, list, status, tail, top, org, backup, call, config, "
                               "event, queue, accept, dispatch, sign, handle, verify, …)");
    zsys_init ();
    zsys_set_logstream (NULL);
    //  Every connection this command makes goes out as the operator seat's certificate.
    gl_sec_init (&s_cfg, s_cfg.cert_name);
    char **args = argv + optind;
    int nargs = argc - optind;
    const char *command = args [0];
    if (streq (command, "report"))
        return s_report (nargs, args);
    if (streq (command, "operations"))
        return s_operations (nargs, args);
    if (streq (command, "show"))
        return cli_archive_show (&s_cfg, nargs, args);
    if (streq (command, "search"))
        return cli_archive_search (&s_cfg, nargs, args);
    if (streq (command, "export"))
        return cli_archive_export (&s_cfg, nargs, args);
    if (streq (command, "list"))
        return s_list (nargs, args);
    if (streq (command, "status"))
        return s_status (nargs, args);
    if (streq (command, "tail"))
        return s_tail (nargs, args);
    if (streq (command, "top"))
        return cli_top (&s_cfg, nargs, args);
    if (streq (command, "call"))
        return s_generic (nargs, args);
    if (streq (command, "backup"))
        return s_backup (nargs, args);
    if (streq (command, "org"))
        return s_org (nargs, args);
    if (streq (command, "calendar"))
        return cli_calendar (&s_cfg, nargs, args);
    if (streq (command, "event"))
        return s_event (nargs, args);
    if (streq (command, "queue"))
        return s_queue (nargs, args);
    if (streq (command, "overdue"))
        return cli_overdue (&s_cfg, nargs, args);
    if (streq (command, "mode"))
        return cli_mode (&s_cfg, nargs, args);
    if (streq (command, "cert"))
        return cli_cert (&s_cfg, nargs, args);
    if (streq (command, "score"))
        return cli_score (&s_cfg, nargs, args);
    if (streq (command, "ranking"))
        return cli_ranking (&s_cfg, nargs, args);
    if (streq (command, "publish"))
        return cli_publish (&s_cfg, nargs, args);
    if (streq (command, "points"))
        return cli_points (&s_cfg, nargs, args);
    if (streq (command, "notice"))
        return cli_notice (&s_cfg, nargs, args);
    if (streq (command, "simulate"))
        return cli_simulate (&s_cfg, nargs, args);
    const gl_dop_t *verb = gl_dop_by_verb (command);
    if (verb)
        return s_verb (verb, nargs, args);
    if (streq (command, "config")) {
        gl_config_dump (&s_cfg, stdout);     //  what this configuration file amounts to
        return 0;
    }
    char what [128];
    snprintf (what, sizeof what, "unknown command '%s'", command);
    return s_usage_error (what);
}

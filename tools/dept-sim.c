/*  gridloop-dept-sim — a departmental system for operators and demonstrations: it publishes
    realistic reports as a registered department would (the police 110 platform, say), keeps them
    in its own outbox until intake acknowledges each one, and prints every answer. It speaks only
    the public protocol of proto/departments.md, through gl_dept.  */
#include "gl_dept.h"
#include "gl_clock.h"
#include "gl_log.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

static const char *s_usage =
    "usage: gridloop-dept-sim --source ID --data DIR [--config FILE] [--reports N] [--rate R]\n"
    "                         [--seconds S]\n"
    "\n"
    "Plays a departmental system (proto/departments.md): publishes N reports on\n"
    "ext.<ID>.report, keeps each in its own outbox in DIR until intake's answer arrives on\n"
    "intake.ack.<ID>, resends what is unanswered, and prints one line per answer:\n"
    "\n"
    "    seq 7 -> 500235-20261127-000000042\n"
    "    seq 8 -> 500235-20261127-000000042 (attached to the open event with the same key)\n"
    "    seq 9 -> refused FORBIDDEN: source 'water-co' is not registered with intake: ...\n"
    "\n"
    "then a summary. The reports rotate through categories and grids of the bundled county\n"
    "(Yunyang: grids SJ-01-01, QL-02-03, RH-01-02, PL-01-01, ...; categories 02.01, 01.02,\n"
    "03.01, ...), each with the department's own ticket number as its dedup key. Reports left\n"
    "unanswered stay in DIR and are resent by the next run with the same DIR.\n"
    "\n"
    "The source must be registered with intake (setting intake/sources), or every report is\n"
    "refused with FORBIDDEN.\n"
    "\n"
    "Options:\n"
    "  --config FILE   the gridloop configuration: bus endpoints and limits\n"
    "                  (default /etc/gridloop/gridloop.cfg)\n"
    "  --source ID     the department's registered source id, e.g. police-110\n"
    "  --data DIR      the department's own store (created if needed); one per department\n"
    "  --reports N     reports to publish (default 10; 0 only waits for earlier ones)\n"
    "  --rate R        reports per second (default 5; 0: as fast as possible)\n"
    "  --seconds S     give up waiting for answers S seconds after the last report\n"
    "                  (default 60)\n"
    "  --help          this text\n"
    "\n"
    "Exit status: 0 every report answered and accepted, 1 some refused or still unanswered\n"
    "(or the store failed), 2 bad usage.\n";

//  Grids of the bundled county, with their street and community for the description.
typedef struct {
    const char *id;             //  grid id (deploy/yunyang/org.json)
    const char *place;          //  street and community, as a caller would name them
} s_grid_t;

static const s_grid_t s_grids [] = {
    { "SJ-01-01", "双江街道外滩社区" },
    { "QL-02-03", "青龙街道磨子岭社区" },
    { "RH-01-02", "人和街道人和社区" },
    { "PL-01-01", "盘龙街道盘龙社区" },
    { "SJ-02-05", "双江街道桂湾社区" },
    { "QL-09-02", "青龙街道滨江社区" },
    { "RH-03-01", "人和街道朝阳社区" },
    { "PL-04-03", "盘龙街道五峰社区" },
};
#define S_GRIDS (sizeof s_grids / sizeof s_grids [0])

//  What a police 110 platform hands over to grid governance (deploy/yunyang/categories.json).
typedef struct {
    const char *category;       //  category code
    const char *priority;       //  the department's view of urgency
    const char *what;           //  the description after the place
    unsigned people;            //  people involved (0: not given)
    double amount;              //  money involved in yuan (0: not given)
} s_kind_t;

static const s_kind_t s_kinds [] = {
    { "02.01", "P3", "居民报警称小区地下车库连续几晚有陌生人试拉车门，民警已登记线索，请网格员"
                     "协助排查出入人员和监控盲区", 0, 0 },
    { "01.02", "P3", "两户邻居因楼上卫生间漏水发生争执，民警到场劝离，双方仍有矛盾，需社区调解"
                     "跟进", 2, 0 },
    { "03.01", "P2", "群众报警称单元楼道内有电动车充电、杂物堆放，堵塞消防通道", 0, 0 },
    { "02.05", "P2", "一名老年居民接到冒充公检法的电话，已被劝阻未转账，请网格员上门开展防诈"
                     "宣传", 1, 0 },
    { "05.08", "P3", "夜间烧烤摊油烟和噪声扰民，群众多次拨打110，需城管和社区协同处置", 0, 0 },
    { "01.05", "P2", "工地二十余名工人聚集讨要拖欠工资，情绪激动，民警在场维持秩序", 23,
                     460000 },
    { "04.01", "P2", "家属报警称严重精神障碍患者停药后情绪不稳，民警已到场，需网格员和社区医生"
                     "随访", 1, 0 },
};
#define S_KINDS (sizeof s_kinds / sizeof s_kinds [0])

typedef struct {
    uint64_t accepted;          //  answered ok with a new event
    uint64_t attached;          //  answered ok, attached to an open event by its key
    uint64_t refused;           //  answered for good with an error
} s_tally_t;

static void
s_on_answer (void *arg, const gl_dept_answer_t *answer)
{
    s_tally_t *tally = arg;
    if (answer->ok && answer->duplicate) {
        tally->attached++;
        printf ("seq %llu -> %s (attached to the open event with the same key)\n",
                (unsigned long long) answer->seq, answer->id);
    }
    else
    if (answer->ok) {
        tally->accepted++;
        printf ("seq %llu -> %s\n", (unsigned long long) answer->seq, answer->id);
    }
    else {
        tally->refused++;
        printf ("seq %llu -> refused %s: %s\n", (unsigned long long) answer->seq,
                answer->code_name, answer->message);
    }
    fflush (stdout);
}

//  The n-th report of this run: its body (one packed map) in out, which the caller destroys.
static void
s_build_report (msgpack_sbuffer *out, const char *source, const char *ticket_base, unsigned n)
{
    const s_grid_t *grid = &s_grids [n % S_GRIDS];
    //  Grids and kinds rotate at different periods (8 and 7), so every pair comes up.
    const s_kind_t *kind = &s_kinds [n % S_KINDS];
    char description [1024], key [128], address [256];
    snprintf (description, sizeof description, "%s%s", grid->place, kind->what);
    snprintf (key, sizeof key, "%s-%s-%04u", source, ticket_base, n + 1);
    snprintf (address, sizeof address, "云阳县%s", grid->place);

    gl_mapw_t w, reporter, location;
    gl_mapw_init (&w);
    gl_mapw_str (&w, "category", kind->category);
    gl_mapw_str (&w, "grid", grid->id);
    gl_mapw_str (&w, "description", description);
    gl_mapw_init (&reporter);
    gl_mapw_str (&reporter, "id", source);
    gl_mapw_str (&reporter, "role", "department");
    gl_mapw_map (&w, "reporter", &reporter);
    gl_mapw_fini (&reporter);
    gl_mapw_str (&w, "channel", "department");
    gl_mapw_str (&w, "priority", kind->priority);
    gl_mapw_init (&location);
    gl_mapw_str (&location, "address", address);
    gl_mapw_map (&w, "location", &location);
    gl_mapw_fini (&location);
    if (kind->people)
        gl_mapw_u64 (&w, "people", kind->people);
    if (kind->amount > 0) {
        gl_mapw_key (&w, "amount");
        msgpack_pack_double (&w.pk, kind->amount);
    }
    gl_mapw_str (&w, "key", key);
    gl_mapw_finish (&w, out);
    gl_mapw_fini (&w);
}

static int
s_count_arg (const char *flag, const char *text, long max, long *out)
{
    int64_t v;
    if (gl_parse_whole (text, 0, max, &v)) {
        fprintf (stderr, "gridloop-dept-sim: %s is \"%s\": expected a whole number from 0 to "
                 "%ld\n(`gridloop-dept-sim --help` lists the flags)\n", flag, text, max);
        return -1;
    }
    *out = v;
    return 0;
}

int
main (int argc, char **argv)
{
    static struct option options [] = {
        { "config", required_argument, NULL, 'c' },
        { "source", required_argument, NULL, 's' },
        { "data", required_argument, NULL, 'd' },
        { "reports", required_argument, NULL, 'n' },
        { "rate", required_argument, NULL, 'r' },
        { "seconds", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *config = "/etc/gridloop/gridloop.cfg", *source = NULL, *data = NULL;
    long reports = 10, rate = 5, seconds = 60;
    int c;
    while ((c = getopt_long (argc, argv, "", options, NULL)) != -1)
        switch (c) {
            case 'c': config = optarg; break;
            case 's': source = optarg; break;
            case 'd': data = optarg; break;
            case 'n': if (s_count_arg ("--reports", optarg, 10000000, &reports)) return 2; break;
            case 'r': if (s_count_arg ("--rate", optarg, 1000000, &rate)) return 2; break;
            case 'S': if (s_count_arg ("--seconds", optarg, 86400 * 30, &seconds)) return 2;
                      break;
            case 'h': fputs (s_usage, stdout); return 0;
            default:
                fprintf (stderr, "(`gridloop-dept-sim --help` lists the flags)\n");
                return 2;
        }
    if (optind < argc) {
        fprintf (stderr, "gridloop-dept-sim: unexpected argument '%s'\n(`gridloop-dept-sim "
                 "--help` lists the flags)\n", argv [optind]);
        return 2;
    }
    if (!source || !data) {
        fprintf (stderr, "gridloop-dept-sim: --source ID and --data DIR are required\n"
                 "(`gridloop-dept-sim --help` lists the flags)\n");
        return 2;
    }
    gl_config_t cfg;
    gl_err_t err;
    if (gl_config_load (&cfg, config, &err)) {
        fprintf (stderr, "gridloop-dept-sim: %s\n", err.message);
        return 1;
    }
    zsys_init ();
    zsys_set_logstream (stderr);
    //  Answers are printed here; the library's own notes on them would say everything twice.
    gl_log_set_level (GL_LOG_ERROR);
    gl_dept_t *dept = gl_dept_new (&cfg, source, data, &err);
    if (!dept) {
        fprintf (stderr, "gridloop-dept-sim: %s\n", err.message);
        return 1;
    }
    s_tally_t tally = { 0, 0, 0 };
    gl_dept_on_answer (dept, s_on_answer, &tally);
    uint64_t earlier = gl_dept_pending (dept);
    printf ("%s: publishing %ld reports to %s (epoch %llu, store %s%s", source, reports,
            cfg.bus_frontend, (unsigned long long) gl_dept_epoch (dept), data,
            earlier? ", ": ")\n");
    if (earlier)
        printf ("%llu still unanswered from an earlier run)\n", (unsigned long long) earlier);
    fflush (stdout);

    //  The department's own ticket numbers: the local time of this run to the millisecond,
    //  then a counter, so that two runs never share a dedup key.
    char ticket_base [40], second [24];
    int64_t run_ms = gl_clock_now ();
    time_t t = (time_t) (run_ms / 1000) + (time_t) cfg.utc_offset_min * 60;
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (second, sizeof second, "%Y%m%d%H%M%S", &tm);
    snprintf (ticket_base, sizeof ticket_base, "%s%03d", second, (int) (run_ms % 1000));

    int status = 0;
    long made = 0;
    int64_t started = zclock_mono (), last_made = started;
    while (!zsys_interrupted) {
        int64_t now = zclock_mono ();
        //  Make every report whose time has come (at most a hundred between two pumps, so
        //  answers are taken in while a fast run goes on).
        for (int burst = 0; made < reports && burst < 100
             && (rate == 0 || now >= started + made * 1000 / rate); burst++) {
            msgpack_sbuffer body;
            s_build_report (&body, source, ticket_base, (unsigned) made);
            uint64_t seq;
            int rc = gl_dept_report (dept, body.data, body.size, &seq, &err);
            msgpack_sbuffer_destroy (&body);
            if (rc) {
                fprintf (stderr, "gridloop-dept-sim: report %ld not made: %s: %s\n", made + 1,
                         gl_code_name (err.code), err.message);
                status = 1;
                reports = made;         //  a store that cannot commit will not get better
                break;
            }
            made++;
            last_made = zclock_mono ();
        }
        if (made == reports && gl_dept_pending (dept) == 0)
            break;
        int64_t deadline = last_made + seconds * 1000;
        if (made == reports && now >= deadline)
            break;
        int64_t wait = made < reports? (rate? started + made * 1000 / rate - now: 0):
                                       deadline - now;
        if (wait > 100)
            wait = 100;
        if (gl_dept_pump (dept, wait < 0? 0: (int) wait))
            status = 1;
    }
    uint64_t pending = gl_dept_pending (dept);
    printf ("%s: %ld reported, %llu answered: %llu new events, %llu attached to open events, "
            "%llu refused; %llu still unanswered; %llu resends, in %.1f s\n", source, made,
            (unsigned long long) (tally.accepted + tally.attached + tally.refused),
            (unsigned long long) tally.accepted, (unsigned long long) tally.attached,
            (unsigned long long) tally.refused, (unsigned long long) pending,
            (unsigned long long) gl_dept_resent (dept), (zclock_mono () - started) / 1000.0);
    if (pending)
        printf ("%s: the unanswered reports stay in %s and are resent by the next run with "
                "--data %s\n", source, data, data);
    if (pending || tally.refused)
        status = 1;
    gl_dept_destroy (&dept);
    return status;
}

/*  cli_top — `gridloop top`, the county on one terminal screen.

    One thread, one loop: it waits at most S_TICK_MS on the bus, on metrics' answer and on the
    keyboard together (zmq_poll takes the terminal's fd beside the sockets), then draws. Requests
    go out one at a time on a DEALER and are never waited for, so the screen keeps answering keys
    while metrics is slow or down; an answer that does not come in time marks metrics as not
    answering and the socket is replaced, so that a late answer is never taken for the next one.
    Resizes come from ncurses as KEY_RESIZE (its SIGWINCH handler interrupts the poll); SIGINT and
    SIGTERM set zsys_interrupted (CZMQ's handler, installed before ncurses starts, so ncurses
    leaves them alone), and the loop ends through endwin like q does.  */
#include "cli_top.h"
#include "gl_security.h"
#include "cli_metrics_view.h"
#include "gl_client.h"
#include "gl_clock.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define S_TICK_MS       250     //  longest wait: keys, resizes and signals are seen this soon
#define S_REDRAW_MS     1000    //  redraw at least this often: the figures' age moves
#define S_MIN_WAIT_MS   2000    //  least time an answer is given: a ranking of every grid of
                                //  the county is computed on demand
#define S_MIN_COLS      60      //  below this the panels do not fit: the screen says so
#define S_MIN_LINES     12

//  The peer groups the ranking panel shows, on keys 1 to 4 (Tab goes round them).
static const char *s_groups [] = { "street", "department", "grid", "board" };
#define S_GROUPS    4

//  Colour pairs (when the terminal has colours).
enum { S_GREEN = 1, S_YELLOW, S_RED };

typedef struct {
    const gl_config_t *cfg;
    zsock_t *sub;               //  metrics.live and metrics.pipeline from the bus
    zsock_t *dealer;            //  requests to metrics, one outstanding at a time
    const char *asked;          //  the operation outstanding ("figures", "ranking") or NULL
    int asked_group;            //  the group of an outstanding ranking
    int64_t asked_at;           //  when it was sent (monotonic ms)
    int64_t wait_ms;            //  how long its answer may take
    bool want_figures;          //  to ask when the socket is free
    bool want_ranking;
    int64_t refresh_ms;         //  time between two rounds of questions
    int64_t next_round;         //  when the next round starts (monotonic ms)
    int answering;              //  -1 not asked yet, 0 no answer to the last request, 1 answered
    char refusal [256];         //  metrics' last refusal, "" when it answered ok
    gl_doc_t *live_doc;         //  the newest figures: metrics.live or a figures answer
    const msgpack_object *live; //  their body (NULL: none yet)
    int64_t live_at;            //  their "at"
    gl_doc_t *pipeline_doc;     //  the newest metrics.pipeline
    const msgpack_object *pipeline;
    gl_doc_t *ranking_doc;      //  the newest ranking answer
    const msgpack_object *ranking;
    int group;                  //  the group shown (index in s_groups)
    bool dirty;                 //  something changed since the last draw
} s_top_t;

//  ---------------------------------------------------------------------------------------------
//  Talking to metrics and the bus.

static void
s_connect (s_top_t *self)
{
    zsock_destroy (&self->dealer);
    self->dealer = zsock_new (ZMQ_DEALER);
    gl_socket_limits (self->dealer, self->cfg->max_msg_bytes, 0);
    //  As the operator seat (CURVE); a connection that cannot be made shows as metrics not
    //  answering, as a dead one does.
    gl_err_t err;
    gl_sec_connect (self->dealer, self->cfg->svc [GL_SVC_METRICS].endpoint, &err);
}

//  Keep fresh in *slot, freeing what was there.
static void
s_hold (gl_doc_t **slot, gl_doc_t *fresh)
{
    if (*slot) {
        gl_doc_fini (*slot);
        free (*slot);
    }
    *slot = fresh;
}

static void
s_drop (gl_doc_t *doc)
{
    s_hold (&doc, NULL);
}

//  The figures' time: their "at", or fallback when they have none.
static int64_t
s_at (const msgpack_object *figures, int64_t fallback)
{
    int64_t at = fallback;
    gl_get_i64 (figures, "at", &at);
    return at;
}

//  Keep figures (the body of doc) unless newer ones are held. Takes doc either way.
static void
s_keep_figures (s_top_t *self, gl_doc_t *doc, const msgpack_object *figures, int64_t at)
{
    if (self->live && at < self->live_at) {
        s_drop (doc);                   //  a figures answer overtaken by a live message
        return;
    }
    s_hold (&self->live_doc, doc);
    self->live = figures;
    self->live_at = at;
    self->dirty = true;
}

static void
s_ask (s_top_t *self, const char *op)
{
    gl_mapw_t w;
    gl_mapw_init (&w);
    if (streq (op, "ranking"))
        gl_mapw_str (&w, "group", s_groups [self->group]);   //  no period: this month
    msgpack_sbuffer req;
    gl_request_build (&req, op, false, &w);
    gl_mapw_fini (&w);
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, "", 0);
    zmsg_addmem (msg, req.data, req.size);
    zmsg_send (&msg, self->dealer);
    msgpack_sbuffer_destroy (&req);
    self->asked = op;
    self->asked_group = self->group;
    self->asked_at = zclock_mono ();
}

//  Metrics' answer to the outstanding request.
static void
s_answer (s_top_t *self)
{
    zmsg_t *msg = zmsg_recv (self->dealer);
    zframe_t *payload = msg? zmsg_last (msg): NULL;
    const char *op = self->asked;
    if (!payload || !op) {
        zmsg_destroy (&msg);
        return;
    }
    self->asked = NULL;
    self->answering = 1;
    self->dirty = true;
    gl_doc_t *doc = zmalloc (sizeof *doc);
    gl_err_t err;
    if (gl_doc_parse (doc, zframe_data (payload), zframe_size (payload), &err)
    ||  gl_answer_check (&doc->root, &err)) {
        snprintf (self->refusal, sizeof self->refusal, "%s: %s: %.200s", op,
                  gl_code_name (err.code), err.message);
        s_drop (doc);
    }
    else {
        self->refusal [0] = 0;
        if (streq (op, "figures"))
            s_keep_figures (self, doc, &doc->root, s_at (&doc->root, zclock_time ()));
        else
        if (self->asked_group == self->group) {
            s_hold (&self->ranking_doc, doc);
            self->ranking = &doc->root;
        }
        else {
            s_drop (doc);                   //  the operator switched groups meanwhile
            self->want_ranking = true;
        }
    }
    zmsg_destroy (&msg);
}

//  Send what is due; give up on an answer that is late.
static void
s_requests (s_top_t *self, int64_t now)
{
    if (self->asked && now - self->asked_at > self->wait_ms) {
        //  Not answering: nothing more is asked this round, so a service that is down costs
        //  one wait a round, not one per question.
        s_connect (self);
        self->asked = NULL;
        self->answering = 0;
        self->want_figures = self->want_ranking = false;
        self->dirty = true;
    }
    if (now >= self->next_round) {
        self->want_figures = self->want_ranking = true;
        self->next_round = now + self->refresh_ms;
    }
    if (!self->asked && self->want_figures) {
        self->want_figures = false;
        s_ask (self, "figures");
    }
    else
    if (!self->asked && self->want_ranking) {
        self->want_ranking = false;
        s_ask (self, "ranking");
    }
}

//  One message from the bus.
static void
s_bus_message (s_top_t *self)
{
    zmsg_t *msg = zmsg_recv (self->sub);
    zframe_t *topic = msg? zmsg_first (msg): NULL, *body = msg? zmsg_next (msg): NULL;
    gl_doc_t *doc = zmalloc (sizeof *doc);
    gl_envelope_t env;
    gl_err_t err;
    if (topic && body
    &&  gl_envelope_decode (doc, zframe_data (body), zframe_size (body), &env, &err) == 0) {
        if (zframe_streq (topic, "metrics.live")) {
            s_keep_figures (self, doc, env.body, s_at (env.body, env.ts));
            doc = NULL;
        }
        else
        if (zframe_streq (topic, "metrics.pipeline")) {
            s_hold (&self->pipeline_doc, doc);
            self->pipeline = env.body;
            self->dirty = true;
            doc = NULL;
        }
    }
    if (doc)
        s_drop (doc);
    zmsg_destroy (&msg);
}

//  ---------------------------------------------------------------------------------------------
//  Drawing. Every cell goes through cli_view_pad, so that it takes exactly its columns whatever the
//  names are, and nothing is written past the screen's edge.

//  text at row y, column x, as exactly cols columns (fewer at the right edge), with attr.
static void
s_put (int y, int x, int cols, attr_t attr, const char *text)
{
    if (y < 0 || y >= LINES || x < 0 || x >= COLS || cols <= 0)
        return;
    if (cols > COLS - x)
        cols = COLS - x;
    if (cols > 255)
        cols = 255;
    char cell [4 * 255 + 1];
    cli_view_pad (cell, sizeof cell, text, cols);
    attron (attr);
    mvaddstr (y, x, cell);
    attroff (attr);
}

static void
s_putf (int y, int x, int cols, attr_t attr, const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));

static void
s_putf (int y, int x, int cols, attr_t attr, const char *format, ...)
{
    char text [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    s_put (y, x, cols, attr, text);
}

static attr_t
s_colour (int pair)
{
    return has_colors ()? COLOR_PAIR (pair): A_NORMAL;
}

static attr_t
s_light_attr (cli_view_light_t light)
{
    return light == CLI_VIEW_LIGHT_RED? s_colour (S_RED) | A_BOLD:
           light == CLI_VIEW_LIGHT_YELLOW? s_colour (S_YELLOW) | A_BOLD: s_colour (S_GREEN);
}

//  A name cut or padded to cols columns (for building rows with snprintf).
static const char *
s_cell (char *buf, size_t size, const char *text, int cols)
{
    cli_view_pad (buf, size, text, cols);
    return buf;
}

//  True when list (an array of unit ids) holds unit.
static bool
s_listed (const msgpack_object *list, const char *unit)
{
    for (uint32_t i = 0; list && list->type == MSGPACK_OBJECT_ARRAY && i < list->via.array.size;
         i++)
        if (gl_str_eq (&list->via.array.ptr [i], unit))
            return true;
    return false;
}

//  Title row: the county, the day, how old the figures are, and whether metrics answers.
static void
s_draw_title (s_top_t *self)
{
    char day [16] = "-", period [16] = "-", at [48] = "", status [320] = "";
    attr_t status_attr = A_REVERSE;
    if (self->live) {
        gl_get_strbuf (self->live, "day", day, sizeof day);
        gl_get_strbuf (self->live, "period", period, sizeof period);
        char full [48];
        gl_clock_local (self->live_at, (int) self->cfg->utc_offset_min, false, full,
                        sizeof full);
        //  How old they are matters most while metrics does not answer. A service on the
        //  manual clock (tests, drills) has its own time: no age is shown then.
        int64_t age_s = (zclock_time () - self->live_at) / 1000;
        if (age_s >= 0 && age_s < 86400)
            snprintf (at, sizeof at, "figures %.8s, %llds ago", full + 11, (long long) age_s);
        else
            snprintf (at, sizeof at, "figures %.8s", full + 11);
    }
    if (self->answering == 0) {
        snprintf (status, sizeof status, "metrics not answering");
        status_attr = s_colour (S_RED) | A_BOLD | A_REVERSE;
    }
    else
    if (self->answering < 0)
        snprintf (status, sizeof status, "asking metrics...");
    else
    if (self->refusal [0]) {
        snprintf (status, sizeof status, "%s", self->refusal);
        status_attr = s_colour (S_YELLOW) | A_REVERSE;
    }
    //  Short enough to leave room for the status on 80 columns.
    s_putf (0, 0, COLS, A_REVERSE | A_BOLD, " %s  %s (%s)  %s", self->cfg->county_name, day,
            period, at);
    int width = cli_view_width (status);
    if (width) {
        if (width > COLS / 2)
            width = COLS / 2;
        s_put (0, COLS - width - 1, width + 1, status_attr, status);
    }
}

//  Rows 1-2: the county's own figures.
static void
s_draw_county (s_top_t *self)
{
    const msgpack_object *county = self->live? gl_map_get (self->live, "county"): NULL;
    if (!county) {
        s_put (1, 0, COLS, A_DIM, self->answering == 0?
               " No figures: metrics is not answering, and nothing came on metrics.live yet.":
               " No figures yet.");
        return;
    }
    cli_view_figures_t f;
    cli_view_figures_read (county, &f);
    char c [4][24], r [3][16];
    for (int i = 0; i < 3; i++) {       //  "95.0%", or "-" while a rate has no value
        cli_view_rate_text (i == 0? f.response: i == 1? f.on_time: f.satisfaction, r [i]);
        strcat (r [i], r [i][0] == '-'? "": "%");
    }
    s_putf (1, 0, COLS, A_BOLD, " county  reported today %-6s closed today %-6s open %-6s "
            "overdue %-6s", cli_view_count_text (f.reported_today, c [0]),
            cli_view_count_text (f.closed_today, c [1]), cli_view_count_text (f.open, c [2]),
            cli_view_count_text (f.overdue, c [3]));
    s_putf (2, 0, COLS, A_NORMAL, "         response %s  on time %s  satisfaction %s  "
            "(this month)", r [0], r [1], r [2]);
}

//  Order of the departments' rows: most overdue first, then most held.
static int
s_by_overdue (const void *a, const void *b)
{
    const cli_view_figures_t *x = a, *y = b;
    if (x->overdue != y->overdue)
        return x->overdue < y->overdue? 1: -1;
    return x->open < y->open? 1: x->open > y->open? -1: 0;
}

//  One unit's row of the lights panel.
static void
s_draw_unit_row (int y, int x, int cols, const cli_view_figures_t *f)
{
    cli_view_light_t light = cli_view_light (f);
    s_put (y, x, 7, s_light_attr (light), cli_view_light_name (light));
    char name [4 * 16 + 1], c [2][24], r [2][16];
    if (cols >= 62)
        s_putf (y, x + 7, cols - 7, A_NORMAL, "%s %6s %8s %9s %8s", s_cell (name, sizeof name,
                f->name [0]? f->name: f->unit, 16), cli_view_count_text (f->open, c [0]),
                cli_view_count_text (f->overdue, c [1]), cli_view_rate_text (f->response, r [0]),
                cli_view_rate_text (f->on_time, r [1]));
    else
        s_putf (y, x + 7, cols - 7, A_NORMAL, "%s %6s %8s", s_cell (name, sizeof name,
                f->name [0]? f->name: f->unit, 16), cli_view_count_text (f->open, c [0]),
                cli_view_count_text (f->overdue, c [1]));
}

//  The lights panel: every street, then the departments holding work, most overdue first.
static void
s_draw_lights (s_top_t *self, int top, int bottom, int x, int cols)
{
    s_putf (top, x, cols, A_BOLD | A_UNDERLINE, "%-7s%-16s %6s %8s%s", "light", "unit", "open",
            "overdue", cols >= 62? "  response  on time": "");
    if (!self->live)
        return;
    const msgpack_object *streets = gl_map_get (self->live, "streets"),
                         *departments = gl_map_get (self->live, "departments");
    uint32_t ns = streets && streets->type == MSGPACK_OBJECT_ARRAY? streets->via.array.size: 0,
             nd = departments && departments->type == MSGPACK_OBJECT_ARRAY?
                  departments->via.array.size: 0;
    cli_view_figures_t *rows = zmalloc ((ns + nd + 1) * sizeof *rows);
    size_t count = 0, holding = 0;
    for (uint32_t i = 0; i < ns; i++)
        cli_view_figures_read (&streets->via.array.ptr [i], &rows [count++]);
    for (uint32_t i = 0; i < nd; i++) {
        cli_view_figures_read (&departments->via.array.ptr [i], &rows [count]);
        if (rows [count].open > 0 || rows [count].overdue > 0) {
            count++;
            holding++;
        }
    }
    qsort (rows + ns, holding, sizeof *rows, s_by_overdue);
    int y = top + 1;
    for (size_t i = 0; i < count && y < bottom; i++, y++) {
        if (y == bottom - 1 && i + 1 < count) {
            s_putf (y, x, cols, A_DIM, "  ... %zu more", count - i);
            break;
        }
        s_draw_unit_row (y, x, cols, &rows [i]);
    }
    if (nd && !holding && y < bottom)
        s_put (y, x, cols, A_DIM, "  no department holds work");
    free (rows);
}

//  One ranking row.
static void
s_draw_rank_row (s_top_t *self, int y, int x, int cols, const msgpack_object *map)
{
    cli_view_rank_row_t row;
    cli_view_rank_row_read (map, &row);
    char rank [24] = "-", name [4 * 16 + 1], score [16], cards [32] = "";
    if (row.rank)
        snprintf (rank, sizeof rank, "%lld", (long long) row.rank);
    if (cols >= 52)
        snprintf (cards, sizeof cards, " %3lld %3lld", (long long) row.yellow_cards,
                  (long long) row.red_cards);
    //  The red list (红榜) in green, the black list (黑榜) in red, as the notice shows them.
    attr_t attr = s_listed (gl_map_get (self->ranking, "black"), row.unit)?
                  s_colour (S_RED) | A_BOLD:
                  s_listed (gl_map_get (self->ranking, "red"), row.unit)? s_colour (S_GREEN):
                  A_NORMAL;
    s_putf (y, x, cols, attr, "%4s %s %6s %-5s %5lld%s", rank,
            s_cell (name, sizeof name, row.name [0]? row.name: row.unit, 16),
            cli_view_rate_text (row.score, score), row.grade [0]? row.grade: "-",
            (long long) (row.items < 0? 0: row.items), cards);
}

//  The ranking panel: the best and the worst of the group this month. Units without any item
//  this month are left out (most grids, most days: nothing to judge), and counted.
static void
s_draw_ranking (s_top_t *self, int top, int bottom, int x, int cols)
{
    s_putf (top, x, cols, A_BOLD | A_UNDERLINE, "%4s %-16s %6s %-5s %5s%s", "rank",
            s_groups [self->group], "score", "grade", "items", cols >= 52? "  yel red": "");
    if (!self->ranking) {
        s_put (top + 1, x, cols, A_DIM, "  no ranking yet");
        return;
    }
    const msgpack_object *rows = gl_map_get (self->ranking, "rows");
    uint32_t n = rows && rows->type == MSGPACK_OBJECT_ARRAY? rows->via.array.size: 0;
    //  The rows shown, in the answer's order: the ranked ones first, best first.
    uint32_t *shown = zmalloc ((n + 1) * sizeof *shown), count = 0, ranked = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool is_ranked = cli_view_number (&rows->via.array.ptr [i], "rank") > 0;
        if (is_ranked || cli_view_number (&rows->via.array.ptr [i], "items") > 0)
            shown [count++] = i;
        ranked += is_ranked;
    }
    uint32_t idle = n - count;
    int room = bottom - top - 1 - (idle? 1: 0), y = top + 1;
    if (count <= (uint32_t) (room > 0? room: 0))
        for (uint32_t i = 0; i < count; i++)
            s_draw_rank_row (self, y++, x, cols, &rows->via.array.ptr [shown [i]]);
    else
    if (room > 2) {
        //  More than fit: the top of the ranking, a gap, and its bottom (the last ranked
        //  rows; the unranked ones after them have too few items to be judged).
        uint32_t best = (uint32_t) room / 2, worst = (uint32_t) room - 1 - best;
        if (best + worst > ranked) {
            best = (uint32_t) room - 1;
            worst = 0;
        }
        for (uint32_t i = 0; i < best; i++)
            s_draw_rank_row (self, y++, x, cols, &rows->via.array.ptr [shown [i]]);
        s_putf (y++, x, cols, A_DIM, "   ... %u more", count - best - worst);
        for (uint32_t i = worst; i > 0; i--)
            s_draw_rank_row (self, y++, x, cols, &rows->via.array.ptr [shown [ranked - i]]);
    }
    if (idle && y < bottom)
        s_putf (y, x, cols, A_DIM, "  %u without work this month", idle);
    free (shown);
}

//  Rows the pipeline panel takes: a table when it fits in a third of the screen, else one line.
static int
s_pipeline_rows (s_top_t *self)
{
    const msgpack_object *services = self->pipeline?
                                     gl_map_get (self->pipeline, "services"): NULL;
    int n = services && services->type == MSGPACK_OBJECT_ARRAY?
            (int) services->via.array.size: 0;
    return n && n + 2 <= LINES / 3? n + 2: 1;
}

static void
s_draw_pipeline (s_top_t *self, int top, int rows)
{
    if (!self->pipeline) {
        s_put (top, 0, COLS, A_DIM, " pipeline: nothing on metrics.pipeline yet");
        return;
    }
    char summary [1024];
    cli_view_pipeline_summary (self->pipeline, summary, sizeof summary);
    s_putf (top, 0, COLS, A_BOLD, " pipeline: %s", summary);
    if (rows == 1)
        return;
    s_putf (top + 1, 0, COLS, A_UNDERLINE, " %-12s %-5s %10s %9s %8s %8s", "service", "up",
            "last seq", "per s", "lag", "errors");
    const msgpack_object *services = gl_map_get (self->pipeline, "services");
    for (int i = 0; i < rows - 2; i++) {
        cli_view_service_t s;
        cli_view_service_read (&services->via.array.ptr [i], &s);
        char seq [24], lag [24], errors [24], per_s [16];
        attr_t attr = !s.up? s_colour (S_RED) | A_BOLD:
                      s.lag > 0 || s.errors > 0? s_colour (S_YELLOW): A_NORMAL;
        s_putf (top + 2 + i, 0, COLS, attr, " %-12s %-5s %10s %9s %8s %8s", s.name,
                s.up? "up": "DOWN", cli_view_count_text (s.last_seq, seq),
                cli_view_rate_text (s.per_s, per_s), cli_view_count_text (s.lag, lag),
                cli_view_count_text (s.errors, errors));
    }
}

static void
s_draw (s_top_t *self)
{
    erase ();
    if (COLS < S_MIN_COLS || LINES < S_MIN_LINES) {
        s_putf (0, 0, COLS, A_BOLD, "gridloop top needs %dx%d (this is %dx%d); q quits",
                S_MIN_COLS, S_MIN_LINES, COLS, LINES);
        refresh ();
        return;
    }
    s_draw_title (self);
    s_draw_county (self);
    int pipeline = s_pipeline_rows (self);
    int pipeline_top = LINES - 1 - pipeline;
    //  Two panels side by side between the county and the pipeline, a blank row around.
    int left = COLS >= 100? COLS * 11 / 20: COLS / 2;
    s_draw_lights (self, 4, pipeline_top - 1, 0, left - 1);
    s_draw_ranking (self, 4, pipeline_top - 1, left, COLS - left);
    s_draw_pipeline (self, pipeline_top, pipeline);
    char groups [128] = "";
    for (int g = 0; g < S_GROUPS; g++) {
        size_t o = strlen (groups);
        snprintf (groups + o, sizeof groups - o, g == self->group? " [%d %s]": "  %d %s ",
                  g + 1, s_groups [g]);
    }
    s_putf (LINES - 1, 0, COLS, A_REVERSE, " q quit  r ask now  Tab/1-4:%s", groups);
    refresh ();
}

//  ---------------------------------------------------------------------------------------------

static int
s_usage_error (const char *what)
{
    fprintf (stderr, "gridloop: top: %s\n(usage: gridloop top [--refresh SECONDS] "
             "[--group street|department|grid|board])\n", what);
    return 2;
}

//  A UTF-8 locale for ncursesw, so that the county's Chinese names come out as characters: the
//  operator's own when it is UTF-8, else C.UTF-8 (the names are UTF-8 whatever the locale).
//  Numbers are always written the C way.
static void
s_locale (void)
{
    setlocale (LC_ALL, "");
    if (!streq (nl_langinfo (CODESET), "UTF-8"))
        setlocale (LC_CTYPE, "C.UTF-8");
    setlocale (LC_NUMERIC, "C");
}

int
cli_top (const gl_config_t *cfg, int argc, char **argv)
{
    int64_t refresh_s = 5;
    int group = 0;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--refresh") && i + 1 < argc) {
            if (gl_parse_whole (argv [++i], 1, 3600, &refresh_s))
                return s_usage_error ("--refresh takes seconds, 1 to 3600");
        }
        else
        if (streq (argv [i], "--group") && i + 1 < argc) {
            i++;
            for (group = 0; group < S_GROUPS; group++)
                if (streq (s_groups [group], argv [i]))
                    break;
            if (group == S_GROUPS)
                return s_usage_error ("--group is street, department, grid or board");
        }
        else
            return s_usage_error ("unexpected argument");
    }
    if (!isatty (STDIN_FILENO) || !isatty (STDOUT_FILENO))
        return s_usage_error ("top draws on a terminal; to log the figures use "
                              "`gridloop tail metrics.`");
    s_locale ();
    //  ncurses writes to a file descriptor of its own: stdout is the CLI's filter (cli_out),
    //  which would show every escape sequence instead of obeying it. What top draws is
    //  filtered by cli_view_pad instead.
    FILE *terminal = fdopen (dup (STDOUT_FILENO), "w");
    SCREEN *screen = terminal? newterm (NULL, terminal, stdin): NULL;
    if (!screen) {
        if (terminal)
            fclose (terminal);
        fprintf (stderr, "gridloop: top: cannot drive this terminal (TERM=%s)\n",
                 getenv ("TERM")? getenv ("TERM"): "");
        return 2;
    }
    cbreak ();
    noecho ();
    nodelay (stdscr, TRUE);
    keypad (stdscr, TRUE);
    curs_set (0);
    if (has_colors ()) {
        start_color ();
        use_default_colors ();
        init_pair (S_GREEN, COLOR_GREEN, -1);
        init_pair (S_YELLOW, COLOR_YELLOW, -1);
        init_pair (S_RED, COLOR_RED, -1);
    }

    s_top_t self = { .cfg = cfg, .group = group, .answering = -1,
                     .refresh_ms = refresh_s * 1000,
                     .wait_ms = cfg->request_timeout_ms > S_MIN_WAIT_MS?
                                cfg->request_timeout_ms: S_MIN_WAIT_MS };
    self.sub = zsock_new (ZMQ_SUB);
    gl_socket_limits (self.sub, cfg->max_envelope_bytes, 0);
    zsock_set_subscribe (self.sub, "metrics.live");
    zsock_set_subscribe (self.sub, "metrics.pipeline");
    gl_err_t err;
    gl_sec_connect (self.sub, cfg->bus_backend, &err);
    s_connect (&self);

    bool quit = false;
    int64_t drawn = 0;
    while (!quit && !zsys_interrupted) {
        zmq_pollitem_t items [] = {
            { zsock_resolve (self.sub), 0, ZMQ_POLLIN, 0 },
            { zsock_resolve (self.dealer), 0, ZMQ_POLLIN, 0 },
            { NULL, STDIN_FILENO, ZMQ_POLLIN, 0 },
        };
        //  -1 with EINTR on a signal (a resize, SIGINT, SIGTERM): handled below all the same.
        if (zmq_poll (items, 3, S_TICK_MS) > 0) {
            //  A bounded number at a time, so that a flood cannot starve the keyboard.
            for (int i = 0; i < 100 && (zsock_events (self.sub) & ZMQ_POLLIN); i++)
                s_bus_message (&self);
            if (items [1].revents & ZMQ_POLLIN)
                s_answer (&self);
        }
        int key;
        while ((key = getch ()) != ERR) {
            if (key == 'q' || key == 'Q')
                quit = true;
            else
            if (key == '\t' || (key >= '1' && key < '1' + S_GROUPS)) {
                self.group = key == '\t'? (self.group + 1) % S_GROUPS: key - '1';
                s_hold (&self.ranking_doc, NULL);
                self.ranking = NULL;
                self.want_ranking = true;
            }
            else
            if (key == 'r')
                self.next_round = 0;
            self.dirty = true;           //  KEY_RESIZE included: ncurses has the new size
        }
        int64_t now = zclock_mono ();
        s_requests (&self, now);
        if (self.dirty || now - drawn >= S_REDRAW_MS) {
            s_draw (&self);
            self.dirty = false;
            drawn = now;
        }
    }
    endwin ();
    delscreen (screen);
    fclose (terminal);
    zsock_destroy (&self.sub);
    zsock_destroy (&self.dealer);
    s_hold (&self.live_doc, NULL);
    s_hold (&self.pipeline_doc, NULL);
    s_hold (&self.ranking_doc, NULL);
    return 0;
}

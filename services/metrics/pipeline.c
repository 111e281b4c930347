/*  pipeline — the services' health, and the Prometheus page (proto/metrics.md §5, §6).

    A thread of its own asks every service's ROUTER for `status` once per interval: a service
    that is down or slow must never hold up the consume loop, and status is what every service
    already answers. The latest answers, and the county's live figures the tick hands over,
    are kept under a mutex; the tick reads them to publish metrics.pipeline, and libmicrohttpd's
    own thread reads them to answer GET /metrics.  */
#include "metrics.h"
#include "gl_client.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <string.h>

#define S_SERVICES (GL_SVC_COUNT + 1)   //  the bus, then every service
#define S_PAGE_MAX (256 * 1024)         //  the Prometheus page is a few KB; bounded anyway

typedef struct {
    char name [16];
    char endpoint [256];
    bool up;
    uint64_t last_seq, errors, lag;
    uint64_t prev_seq;          //  last_seq at the previous poll
    int64_t prev_at;            //  when (mono ms; 0: never)
    double per_s;
} s_svc_t;

struct mt_pipeline_s {
    pthread_mutex_t lock;
    s_svc_t svc [S_SERVICES];
    int64_t interval_ms, timeout_ms, max_msg_bytes;
    zactor_t *poller;
    struct MHD_Daemon *http;
    uint8_t *live;              //  the last metrics.live body (msgpack), for Prometheus
    size_t live_len;
    uint64_t rounds;            //  polling rounds completed
    uint64_t published;         //  … when the figures were last taken
};

//  Ask one service for status; fills what it says.
static void
s_poll_one (mt_pipeline_t *self, s_svc_t *copy)
{
    gl_client_t *client = gl_client_new (copy->endpoint, self->timeout_ms, self->max_msg_bytes);
    msgpack_sbuffer req;
    gl_request_build (&req, "status", false, NULL);
    gl_doc_t answer;
    gl_err_t err;
    copy->up = client && gl_client_call (client, req.data, req.size, &answer, 1, &err) == 0
            && gl_answer_check (&answer.root, &err) == 0;
    if (copy->up) {
        gl_get_u64 (&answer.root, "last_seq", &copy->last_seq);
        gl_get_u64 (&answer.root, "errors", &copy->errors);
        //  The largest backlog of any producer it reads.
        copy->lag = 0;
        const msgpack_object *inbox = gl_map_get (&answer.root, "inbox");
        for (uint32_t i = 0; inbox && inbox->type == MSGPACK_OBJECT_MAP
                             && i < inbox->via.map.size; i++) {
            uint64_t lag = 0;
            gl_get_u64 (&inbox->via.map.ptr [i].val, "lag", &lag);
            if (lag > copy->lag)
                copy->lag = lag;
        }
        int64_t now = zclock_mono ();
        if (copy->prev_at && now > copy->prev_at && copy->last_seq >= copy->prev_seq)
            copy->per_s = (double) (copy->last_seq - copy->prev_seq) * 1000.0
                        / (double) (now - copy->prev_at);
        copy->prev_seq = copy->last_seq;
        copy->prev_at = now;
    }
    if (client)
        gl_doc_fini (&answer);
    msgpack_sbuffer_destroy (&req);
    gl_client_destroy (&client);
}

static void
s_poller (zsock_t *pipe, void *arg)
{
    mt_pipeline_t *self = arg;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    while (true) {
        for (int i = 0; i < S_SERVICES; i++) {
            pthread_mutex_lock (&self->lock);
            s_svc_t copy = self->svc [i];
            pthread_mutex_unlock (&self->lock);
            s_poll_one (self, &copy);
            pthread_mutex_lock (&self->lock);
            self->svc [i] = copy;
            pthread_mutex_unlock (&self->lock);
        }
        pthread_mutex_lock (&self->lock);
        self->rounds++;
        pthread_mutex_unlock (&self->lock);
        if (zpoller_wait (poller, (int) self->interval_ms) || zpoller_terminated (poller))
            break;              //  $TERM: the service stops
    }
    zpoller_destroy (&poller);
}

//  ---------------------------------------------------------------------------------------------
//  Prometheus.

typedef struct {
    char *text;
    size_t len, size;
} s_page_t;

static void
s_put (s_page_t *p, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    if (p->len < p->size) {
        int n = vsnprintf (p->text + p->len, p->size - p->len, format, args);
        p->len += n > 0? (size_t) n: 0;
        if (p->len > p->size)
            p->len = p->size;
    }
    va_end (args);
}

//  A label value: ids are [A-Za-z0-9_-] by the domain files' rules; anything else is dropped.
static const char *
s_label (const char *id, char out [64])
{
    size_t n = 0;
    for (; *id && n < 63; id++)
        if ((*id >= 'A' && *id <= 'Z') || (*id >= 'a' && *id <= 'z') || (*id >= '0' && *id <= '9')
        ||  *id == '-' || *id == '_')
            out [n++] = *id;
    out [n] = 0;
    return out;
}

static void
s_rows (s_page_t *p, const msgpack_object *list, const char *metric, const char *label,
        const char *key)
{
    for (uint32_t i = 0; list && list->type == MSGPACK_OBJECT_ARRAY && i < list->via.array.size;
         i++) {
        const msgpack_object *row = &list->via.array.ptr [i];
        char unit [64] = "", clean [64];
        int64_t value = 0;
        gl_get_strbuf (row, "unit", unit, sizeof unit);
        gl_get_i64 (row, key, &value);
        s_put (p, "gridloop_%s{%s=\"%s\"} %lld\n", metric, label, s_label (unit, clean),
               (long long) value);
    }
}

static void
s_render (mt_pipeline_t *self, s_page_t *p)
{
    pthread_mutex_lock (&self->lock);
    static const struct { const char *name, *help; } svc_metrics [] = {
        { "up", "1 when the service answered status at the last poll" },
        { "last_seq", "the last seq the service published" },
        { "errors_total", "refused requests and dropped messages, since the service started" },
        { "lag", "the most messages the service has still to apply from a producer it reads" },
    };
    for (size_t m = 0; m < 4; m++) {
        s_put (p, "# HELP gridloop_%s %s\n# TYPE gridloop_%s %s\n", svc_metrics [m].name,
               svc_metrics [m].help, svc_metrics [m].name, m == 2? "counter": "gauge");
        for (int i = 0; i < S_SERVICES; i++) {
            const s_svc_t *s = &self->svc [i];
            uint64_t v = m == 0? s->up: m == 1? s->last_seq: m == 2? s->errors: s->lag;
            s_put (p, "gridloop_%s{service=\"%s\"} %llu\n", svc_metrics [m].name, s->name,
                   (unsigned long long) v);
        }
    }
    gl_doc_t doc;
    gl_err_t err;
    if (self->live && gl_doc_parse (&doc, self->live, self->live_len, &err) == 0) {
        const msgpack_object *county = gl_map_get (&doc.root, "county");
        static const char *const county_keys [] = {
            "open", "overdue", "reported_today", "closed_today"
        };
        for (int k = 0; k < 4; k++) {
            int64_t v = 0;
            gl_get_i64 (county, county_keys [k], &v);
            s_put (p, "# TYPE gridloop_county_%s gauge\ngridloop_county_%s %lld\n",
                   county_keys [k], county_keys [k], (long long) v);
        }
        const msgpack_object *streets = gl_map_get (&doc.root, "streets"),
                             *departments = gl_map_get (&doc.root, "departments");
        s_put (p, "# TYPE gridloop_street_open gauge\n");
        s_rows (p, streets, "street_open", "street", "open");
        s_put (p, "# TYPE gridloop_street_overdue gauge\n");
        s_rows (p, streets, "street_overdue", "street", "overdue");
        s_put (p, "# TYPE gridloop_department_open gauge\n");
        s_rows (p, departments, "department_open", "department", "open");
        s_put (p, "# TYPE gridloop_department_overdue gauge\n");
        s_rows (p, departments, "department_overdue", "department", "overdue");
        gl_doc_fini (&doc);
    }
    pthread_mutex_unlock (&self->lock);
}

static enum MHD_Result
s_http (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
        const char *version, const char *upload_data, size_t *upload_data_size, void **state)
{
    mt_pipeline_t *self = cls;
    bool get = streq (method, "GET") || streq (method, "HEAD");
    s_page_t page = { zmalloc (S_PAGE_MAX), 0, S_PAGE_MAX };
    unsigned status = MHD_HTTP_OK;
    if (!get) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        s_put (&page, "only GET /metrics is served\n");
    }
    else
    if (!streq (url, "/metrics")) {
        status = MHD_HTTP_NOT_FOUND;
        s_put (&page, "not found: gridloop-metrics serves GET /metrics\n");
    }
    else
        s_render (self, &page);
    struct MHD_Response *response =
        MHD_create_response_from_buffer (page.len, page.text, MHD_RESPMEM_MUST_COPY);
    free (page.text);
    MHD_add_response_header (response, "Content-Type",
                             status == MHD_HTTP_OK? "text/plain; version=0.0.4; charset=utf-8":
                             "text/plain; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

//  "host:port" on which to listen, IPv4.
static int
s_listen_addr (const char *text, struct sockaddr_in *addr, gl_err_t *err)
{
    char host [64];
    int port;
    const char *colon = strrchr (text, ':');
    memset (addr, 0, sizeof *addr);
    if (!colon || (size_t) (colon - text) >= sizeof host || sscanf (colon + 1, "%d", &port) != 1
    ||  port < 1 || port > 65535)
        return gl_fail (err, GL_INVALID, "metrics/http is \"%s\": give host:port, e.g. "
                        "\"127.0.0.1:9414\", or \"\" to serve nothing", text);
    memcpy (host, text, (size_t) (colon - text));
    host [colon - text] = 0;
    addr->sin_family = AF_INET;
    addr->sin_port = htons ((uint16_t) port);
    if (inet_pton (AF_INET, host, &addr->sin_addr) != 1)
        return gl_fail (err, GL_INVALID, "metrics/http is \"%s\": the host must be an IPv4 "
                        "address such as 127.0.0.1", text);
    return 0;
}

mt_pipeline_t *
mt_pipeline_new (const gl_config_t *cfg, gl_err_t *err)
{
    mt_pipeline_t *self = (mt_pipeline_t *) zmalloc (sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    self->interval_ms = cfg->metrics_interval_s * 1000;
    self->timeout_ms = cfg->request_timeout_ms < 1000? cfg->request_timeout_ms: 1000;
    self->max_msg_bytes = cfg->max_msg_bytes;
    snprintf (self->svc [0].name, sizeof self->svc [0].name, "bus");
    snprintf (self->svc [0].endpoint, sizeof self->svc [0].endpoint, "%s", cfg->bus_control);
    for (int i = 0; i < GL_SVC_COUNT; i++) {
        snprintf (self->svc [i + 1].name, sizeof self->svc [i + 1].name, "%s", gl_svc_names [i]);
        snprintf (self->svc [i + 1].endpoint, sizeof self->svc [i + 1].endpoint, "%s",
                  cfg->svc [i].endpoint);
    }
    if (*cfg->metrics_http) {
        struct sockaddr_in addr;
        if (s_listen_addr (cfg->metrics_http, &addr, err)) {
            mt_pipeline_destroy (&self);
            return NULL;
        }
        self->http = MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD, ntohs (addr.sin_port),
                                       NULL, NULL, s_http, self,
                                       MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                       MHD_OPTION_CONNECTION_LIMIT, (unsigned) 64,
                                       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 10,
                                       MHD_OPTION_END);
        if (!self->http) {
            gl_fail (err, GL_INTERNAL, "metrics: cannot serve Prometheus on %s (metrics/http): "
                     "is the port in use? Set another one, or \"\" to serve nothing",
                     cfg->metrics_http);
            mt_pipeline_destroy (&self);
            return NULL;
        }
        gl_log_info ("metrics: Prometheus figures on http://%s/metrics", cfg->metrics_http);
    }
    self->poller = zactor_new (s_poller, self);
    return self;
}

void
mt_pipeline_destroy (mt_pipeline_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mt_pipeline_t *self = *self_p;
    zactor_destroy (&self->poller);
    if (self->http)
        MHD_stop_daemon (self->http);
    free (self->live);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

bool
mt_pipeline_figures (mt_pipeline_t *self, gl_mapw_t *w)
{
    pthread_mutex_lock (&self->lock);
    if (self->rounds == self->published) {
        pthread_mutex_unlock (&self->lock);
        return false;
    }
    self->published = self->rounds;
    gl_listw_t list;
    gl_listw_init (&list);
    for (int i = 0; i < S_SERVICES; i++) {
        const s_svc_t *s = &self->svc [i];
        gl_mapw_t item;
        gl_mapw_init (&item);
        gl_mapw_str (&item, "name", s->name);
        gl_mapw_bool (&item, "up", s->up);
        gl_mapw_u64 (&item, "last_seq", s->last_seq);
        gl_mapw_double (&item, "per_s", (double) (int64_t) (s->per_s * 10) / 10);
        gl_mapw_u64 (&item, "errors", s->errors);
        gl_mapw_u64 (&item, "lag", s->lag);
        gl_listw_map (&list, &item);
        gl_mapw_fini (&item);
    }
    pthread_mutex_unlock (&self->lock);
    gl_mapw_list (w, "services", &list);
    gl_listw_fini (&list);
    return true;
}

void
mt_pipeline_set_live (mt_pipeline_t *self, const void *body, size_t len)
{
    uint8_t *copy = gl_realloc (NULL, len);
    memcpy (copy, body, len);
    pthread_mutex_lock (&self->lock);
    free (self->live);
    self->live = copy;
    self->live_len = len;
    pthread_mutex_unlock (&self->lock);
}

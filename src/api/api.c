/* The racing API: routes of /api (the calculators' in api/calc.c), health, metrics and the web
 * front end over the HTTP module; JSON views come from the view cache, monitor data from the
 * scraper over the bus. */
#include "api/api.h"
#include "api/calc.h"
#include "api/views.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/metrics_server.h"
#include "racing/racing.h"
#include "live/live.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct odz_api {
    odz_bus *bus;
    odz_views *views;
    odz_http_server *http;
    odz_live *live;
    char tz[64];
    bool metrics_public;
};

/* Correlation id: the client's X-Correlation-Id when sane, else a new one. */
static void corr_of(odz_http_req *req, char out[ODZ_CORR_MAX])
{
    const char *h = odz_http_header(req, "x-correlation-id");
    size_t n = h ? strlen(h) : 0;
    bool ok = n > 0 && n < ODZ_CORR_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'z') ||
             (h[i] >= 'A' && h[i] <= 'Z') || h[i] == '-' || h[i] == '_' || h[i] == '.';
    if (ok)
        snprintf(out, ODZ_CORR_MAX, "%s", h);
    else {
        char id[33];
        odz_corr_new(id);
        snprintf(out, ODZ_CORR_MAX, "%s", id);
    }
}

static int bad(odz_http_req *req, const char *msg)
{
    return odz_http_respond_json_error(req, 400, "bad_request", msg);
}

/* A positive integer id from text; 0 if bad. */
static int64_t id_of(const char *s)
{
    if (!s || !*s || strlen(s) > 18)
        return 0;
    int64_t x = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        x = x * 10 + (*p - '0');
    }
    return x;
}

static int type_param(odz_http_req *req, char out[16])
{
    char t[32];
    int rc = odz_http_query_param(req, "type", t, sizeof t);
    if (rc == ODZ_ENOTFOUND || (rc == 0 && (!*t || !strcmp(t, "all")))) {
        snprintf(out, 16, "all");
        return 0;
    }
    odz_race_type rt;
    if (rc || odz_race_type_parse(t, &rt))
        return ODZ_EINVAL;
    snprintf(out, 16, "%s", odz_race_type_name(rt));
    return 0;
}

static int h_schedule(odz_http_req *req, void *ud)
{
    odz_api *a = ud;
    char date[16], type[16], key[ODZ_VIEW_KEY_MAX], corr[ODZ_CORR_MAX];
    corr_of(req, corr);
    int rc = odz_http_query_param(req, "date", date, sizeof date);
    if (rc == ODZ_ENOTFOUND)
        odz_race_day(odz_now(), a->tz, date);
    else if (rc || odz_date_valid(date))
        return bad(req, "date must be a real date as YYYY-MM-DD");
    if (type_param(req, type))
        return bad(req, "type must be thoroughbred, harness or greyhound");
    snprintf(key, sizeof key, "schedule:%s:%s", date, type);
    return odz_views_serve(a->views, req, key, corr);
}

static int serve_race(odz_api *a, odz_http_req *req, const char *view, const char *idtext)
{
    char key[ODZ_VIEW_KEY_MAX], corr[ODZ_CORR_MAX];
    corr_of(req, corr);
    int64_t id = id_of(idtext);
    if (!id)
        return bad(req, "race id must be a positive integer");
    snprintf(key, sizeof key, "%s:%lld", view, (long long)id);
    return odz_views_serve(a->views, req, key, corr);
}

static int h_racecard(odz_http_req *req, void *ud)
{
    char id[32];
    int rc = odz_http_query_param(req, "race_id", id, sizeof id);
    if (rc)
        return bad(req, "race_id is required: /api/racing/racecard?race_id=ID");
    return serve_race(ud, req, "racecard", id);
}

/* /api/races/{id} and /api/races/{id}/flucs */
static int h_races(odz_http_req *req, void *ud)
{
    const char *rest = odz_http_path_rest(req);
    const char *slash = strchr(rest, '/');
    if (!slash)
        return serve_race(ud, req, "racecard", rest);
    char id[32];
    if ((size_t)(slash - rest) >= sizeof id)
        return bad(req, "race id must be a positive integer");
    snprintf(id, sizeof id, "%.*s", (int)(slash - rest), rest);
    if (strcmp(slash, "/flucs"))
        return odz_http_respond_json_error(req, 404, "not_found", "no such resource");
    return serve_race(ud, req, "flucs", id);
}

static int h_meeting(odz_http_req *req, void *ud)
{
    odz_api *a = ud;
    char key[ODZ_VIEW_KEY_MAX], corr[ODZ_CORR_MAX];
    corr_of(req, corr);
    int64_t id = id_of(odz_http_path_rest(req));
    if (!id)
        return bad(req, "meeting id must be a positive integer");
    snprintf(key, sizeof key, "meeting:%lld", (long long)id);
    return odz_views_serve(a->views, req, key, corr);
}

static int h_next(odz_http_req *req, void *ud)
{
    odz_api *a = ud;
    char lim[16], type[16], key[ODZ_VIEW_KEY_MAX], corr[ODZ_CORR_MAX];
    corr_of(req, corr);
    int64_t limit = 10;
    int rc = odz_http_query_param(req, "limit", lim, sizeof lim);
    if (rc == 0) {
        limit = id_of(lim);
        if (limit < 1 || limit > 100)
            return bad(req, "limit must be 1 to 100");
    } else if (rc != ODZ_ENOTFOUND)
        return bad(req, "limit must be 1 to 100");
    if (type_param(req, type))
        return bad(req, "type must be thoroughbred, harness or greyhound");
    snprintf(key, sizeof key, "next:%lld:%s", (long long)limit, type);
    return odz_views_serve(a->views, req, key, corr);
}

/* Scraper monitor: asked over the bus on a worker thread, answered later. */
typedef struct {
    odz_api *api;
    odz_http_pending *p;
    char subject[32];
    char corr[ODZ_CORR_MAX]; /* the request's correlation id, for the bus and the logs */
} monitor_job;

static void *monitor_worker(void *arg)
{
    monitor_job *j = arg;
    char *rep = NULL;
    size_t len = 0;
    odz_log_set_corr(j->corr);
    int rc = j->api->bus->ops->request(j->api->bus, j->subject, "{}", 2, 2000, j->corr, &rep,
                                       &len);
    json_t *r = rc == 0 ? json_loadb(rep, len, 0, NULL) : NULL;
    json_t *data = json_object_get(r, "data");
    char *txt = data ? odz_json_dumps(data) : NULL;
    if (txt)
        odz_http_pending_respond(j->p, 200, "application/json", txt, strlen(txt));
    else
        odz_http_pending_error(j->p, 503, "scraper_unavailable",
                               "no scraper answers on this bus (is oddzy scraper running?)");
    free(txt);
    json_decref(r);
    free(rep);
    free(j);
    return NULL;
}

static int h_scraper(odz_http_req *req, void *ud)
{
    const char *what = odz_http_path_rest(req);
    if (strcmp(what, "status") && strcmp(what, "queue") && strcmp(what, "history"))
        return odz_http_respond_json_error(req, 404, "not_found",
                                           "use /api/scraper/status, queue or history");
    monitor_job *j = calloc(1, sizeof *j);
    if (!j)
        return ODZ_ENOMEM;
    j->api = ud;
    corr_of(req, j->corr);
    snprintf(j->subject, sizeof j->subject, "scraper.%s", what);
    j->p = odz_http_defer(req);
    pthread_t t;
    if (!j->p || pthread_create(&t, NULL, monitor_worker, j) != 0) {
        int rc = j->p ? ODZ_HTTP_PENDING : ODZ_ENOMEM;
        if (j->p)
            odz_http_pending_error(j->p, 503, "busy", "cannot ask the scraper now");
        free(j);
        return rc;
    }
    pthread_detach(t);
    return ODZ_HTTP_PENDING;
}

static int h_healthz(odz_http_req *req, void *ud)
{
    (void)ud;
    static const char ok[] = "{\"status\":\"ok\"}";
    return odz_http_respond(req, 200, "application/json", ok, sizeof ok - 1);
}

/* Ready when the racing service answers. */
static void *ready_worker(void *arg)
{
    monitor_job *j = arg;
    json_t *data = NULL;
    char err[ODZ_ERRLEN];
    json_t *req = json_pack("{s:i}", "limit", 1);
    int rc = odz_racing_call(j->api->bus, "next_races", req, 1000, &data, err);
    json_decref(req);
    json_decref(data);
    if (rc == 0)
        odz_http_pending_respond(j->p, 200, "application/json", "{\"status\":\"ready\"}", 18);
    else
        odz_http_pending_error(j->p, 503, "not_ready", err);
    free(j);
    return NULL;
}

static int h_readyz(odz_http_req *req, void *ud)
{
    monitor_job *j = calloc(1, sizeof *j);
    if (!j)
        return ODZ_ENOMEM;
    j->api = ud;
    j->p = odz_http_defer(req);
    pthread_t t;
    if (!j->p || pthread_create(&t, NULL, ready_worker, j) != 0) {
        int rc = j->p ? ODZ_HTTP_PENDING : ODZ_ENOMEM;
        if (j->p)
            odz_http_pending_error(j->p, 503, "busy", "cannot check readiness now");
        free(j);
        return rc;
    }
    pthread_detach(t);
    return ODZ_HTTP_PENDING;
}

/* /metrics on the API port: for loopback peers (a Prometheus or a proxy on this host) unless
 * the operator opened it; the --metrics-addr listener serves it anywhere it is bound. */
static int h_metrics(odz_http_req *req, void *ud)
{
    odz_api *a = ud;
    if (!a->metrics_public && !odz_http_peer_is_loopback(req))
        return odz_http_respond_json_error(req, 403, "forbidden",
                                           "/metrics answers loopback peers only on this port "
                                           "(see --metrics-addr and --metrics-public)");
    return odz_metrics_http_handler(req, NULL);
}

static void observe(void *ud, const char *route, const char *method, int status, double secs)
{
    (void)ud;
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    const char *m = "other"; /* a client may send any token: keep the label set bounded */
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(method, known[i]))
            m = known[i];
    char labels[160];
    snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",status=\"%d\"", route, m,
             status);
    odz_metric_inc(odz_counter("oddzy_http_requests_total", "HTTP requests by route and status",
                               labels));
    snprintf(labels, sizeof labels, "route=\"%s\"", route);
    odz_metric_observe(odz_histogram("oddzy_http_request_duration_seconds",
                                     "HTTP request latency by route", labels, NULL, 0),
                       secs);
    /* successes are counted, not logged (debug shows them); server errors always are */
    if (status >= 500 || odz_log_enabled(ODZ_LOG_DEBUG)) {
        char st[16], ms[32];
        snprintf(st, sizeof st, "%d", status);
        snprintf(ms, sizeof ms, "%.1f", secs * 1000);
        odz_log_kv(status >= 500 ? ODZ_LOG_ERROR : ODZ_LOG_DEBUG,
                   status >= 500 ? "request failed" : "request", "route", route, "method", m,
                   "status", st, "ms", ms, NULL);
    }
}

odz_api *odz_api_new(odz_bus *bus, const odz_api_config *cfg, char *err)
{
    odz_api *a = calloc(1, sizeof *a);
    if (!a) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    a->bus = bus;
    snprintf(a->tz, sizeof a->tz, "%s", cfg->tz && *cfg->tz ? cfg->tz : ODZ_DEFAULT_TZ);
    a->metrics_public = cfg->metrics_public;
    a->views = odz_views_new(bus, a->tz, cfg->view_workers, err);
    if (!a->views) {
        free(a);
        return NULL;
    }
    odz_http_config hc;
    odz_http_config_defaults(&hc);
    hc.host = cfg->host;
    hc.port = cfg->port;
    hc.threads = cfg->threads;
    hc.max_connections = cfg->max_connections;
    hc.static_root = cfg->static_root && *cfg->static_root ? cfg->static_root : NULL;
    a->http = odz_http_new(&hc, err, ODZ_ERRLEN);
    if (!a->http) {
        odz_views_free(a->views);
        free(a);
        return NULL;
    }
    odz_http_route(a->http, "GET", "/api/racing/schedule", h_schedule, a);
    odz_http_route(a->http, "GET", "/api/racing/racecard", h_racecard, a);
    odz_http_route(a->http, "GET", "/api/racing/next", h_next, a);
    odz_http_route(a->http, "GET", "/api/races/*", h_races, a);
    odz_http_route(a->http, "GET", "/api/meetings/*", h_meeting, a);
    odz_http_route(a->http, "GET", "/api/scraper/*", h_scraper, a);
    odz_api_calc_routes(a->http);
    odz_http_route(a->http, "GET", "/healthz", h_healthz, a);
    odz_http_route(a->http, "GET", "/readyz", h_readyz, a);
    odz_http_route(a->http, "GET", "/metrics", h_metrics, a);
    odz_http_set_observer(a->http, observe, a);
    a->live = odz_live_new(bus, a->http, NULL, err, ODZ_ERRLEN);
    if (!a->live) {
        odz_api_free(a);
        return NULL;
    }
    return a;
}

odz_http_server *odz_api_http(odz_api *a)
{
    return a->http;
}

int odz_api_port(odz_api *a)
{
    return odz_http_port(a->http);
}

void odz_api_free(odz_api *a)
{
    if (!a)
        return;
    odz_live_free(a->live);
    odz_views_free(a->views);
    odz_http_free(a->http);
    free(a);
}

/* The racing API: routes of /api (the calculators' in api/calc.c), health, metrics and the web
 * front end over the HTTP module; JSON views come from the view cache, monitor data from the
 * scraper and the racing service (sources, unmatched markets) over the bus. */
#include "api/api.h"
#include "api/calc.h"
#include "api/oddsmatcher.h"
#include "api/views.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/pool.h"
#include "core/tz.h"
#include "live/live.h"
#include "obs/http_metrics.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/metrics_server.h"
#include "racing/racing.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Requests waiting for one scraper monitor answer; above it a request gets 503 busy. */
#define MONITOR_WAITERS_MAX 1024
#define MONITOR_TIMEOUT_MS 2000
/* Readiness: the racing service is asked every READY_INTERVAL_MS; until it first answers,
 * after READY_FIRST_MS, then twice as long after each miss up to READY_INTERVAL_MS (a node
 * started before its racing service sees it soon, and one without it asks once a second);
 * /readyz answers from the last result, ready while an answer came within READY_STALE_MS and
 * the last check did not find the service gone. */
#define READY_INTERVAL_MS 1000
#define READY_FIRST_MS 100
#define READY_TIMEOUT_MS 2000
#define READY_STALE_MS 5000

/* One monitor subject (the scraper's, or the racing service's per-source data): requests
 * arriving while a round trip runs wait for the next one, so however many clients ask, at most
 * one request per subject is on the bus. */
typedef struct {
    odz_api *api;
    char subject[32];
    const char *who; /* "scraper" or "racing": whose absence a 503 names */
    odz_http_pending **waiting, **serving; /* MONITOR_WAITERS_MAX each; swapped per trip */
    size_t n;
    char corr[ODZ_CORR_MAX]; /* the first waiter's, carried by the bus request */
    bool running;            /* a job is queued or running for it */
} monitor;

/* route word -> bus subject: /api/scraper/<word> (the first three), /api/sources[/<word>] */
static const struct {
    const char *word, *subject, *who;
} monitor_defs[] = {
    {"status", "scraper.status", "scraper"},    {"queue", "scraper.queue", "scraper"},
    {"history", "scraper.history", "scraper"},  {"", "racing.sources", "racing"},
    {"unmatched", "racing.unmatched", "racing"},
};
#define N_MONITORS 5
#define N_SCRAPER_MONITORS 3

struct odz_api {
    odz_bus *bus;
    odz_views *views;
    odz_http_server *http;
    odz_live *live;
    char tz[64];
    bool metrics_public;
    odz_pool *pool;       /* scraper monitor round trips */
    odz_pool *ready_pool; /* the readiness check, alone so monitor traffic cannot delay it */
    pthread_mutex_t lock; /* guards mon[] and the ready_* state */
    monitor mon[N_MONITORS];
    bool ready_ever;     /* the racing service has answered at least once */
    int ready_rc;        /* result of the last check */
    int64_t ready_ok_ms; /* monotonic time of the last answer */
    int ready_wait_ms;   /* until the next check */
    char ready_err[ODZ_ERRLEN];
    odz_metric *m_busy;
    odz_api_odds *odds; /* /api/oddsmatcher, /api/arbitrage */
};

/* Correlation id: the client's X-Correlation-Id when sane, else a new one (api.h). */
void odz_api_corr_of(odz_http_req *req, char out[ODZ_CORR_MAX])
{
    const char *h = odz_http_header(req, "x-correlation-id");
    size_t n = h ? strlen(h) : 0;
    bool ok = n > 0 && n < ODZ_CORR_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'z') ||
             (h[i] >= 'A' && h[i] <= 'Z') || h[i] == '-' || h[i] == '_' || h[i] == '.';
    _Static_assert(ODZ_CORR_MAX >= 33, "a new correlation id is 32 characters");
    if (ok)
        memcpy(out, h, n + 1); /* every request: no snprintf */
    else
        odz_corr_new(out);
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

/* View `key` from the cache. `fresh=1` asks for bytes that show every event the cache had
 * heard of for it when the request came (odz_views_serve); 0 or absent: the bytes held. */
static int serve_view(odz_api *a, odz_http_req *req, const char *key, const char *corr)
{
    char f[4];
    int rc = odz_http_query_param(req, "fresh", f, sizeof f);
    if (rc != ODZ_ENOTFOUND && (rc || (strcmp(f, "0") && strcmp(f, "1"))))
        return bad(req, "fresh must be 0 or 1");
    return odz_views_serve(a->views, req, key, corr, rc == 0 && f[0] == '1');
}

static int h_schedule(odz_http_req *req, void *ud)
{
    odz_api *a = ud;
    char date[16], type[16], key[ODZ_VIEW_KEY_MAX], corr[ODZ_CORR_MAX];
    odz_api_corr_of(req, corr);
    int rc = odz_http_query_param(req, "date", date, sizeof date);
    if (rc == ODZ_ENOTFOUND)
        odz_race_day(odz_now(), a->tz, date);
    else if (rc || odz_date_valid(date))
        return bad(req, "date must be a real date as YYYY-MM-DD");
    if (type_param(req, type))
        return bad(req, "type must be thoroughbred, harness or greyhound");
    snprintf(key, sizeof key, "schedule:%s:%s", date, type);
    return serve_view(a, req, key, corr);
}

static int serve_race(odz_api *a, odz_http_req *req, const char *view, const char *idtext)
{
    char key[ODZ_VIEW_KEY_MAX], corr[ODZ_CORR_MAX];
    odz_api_corr_of(req, corr);
    int64_t id = id_of(idtext);
    if (!id)
        return bad(req, "race id must be a positive integer");
    snprintf(key, sizeof key, "%s:%lld", view, (long long)id);
    return serve_view(a, req, key, corr);
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
    odz_api_corr_of(req, corr);
    int64_t id = id_of(odz_http_path_rest(req));
    if (!id)
        return bad(req, "meeting id must be a positive integer");
    snprintf(key, sizeof key, "meeting:%lld", (long long)id);
    return serve_view(a, req, key, corr);
}

static int h_next(odz_http_req *req, void *ud)
{
    odz_api *a = ud;
    char lim[16], type[16], key[ODZ_VIEW_KEY_MAX], corr[ODZ_CORR_MAX];
    odz_api_corr_of(req, corr);
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
    return serve_view(a, req, key, corr);
}

/* Scraper monitor: one bus round trip on a pool thread answers every request waiting. */
static void monitor_run(void *arg, int status)
{
    monitor *m = arg;
    odz_api *a = m->api;
    for (;;) {
        pthread_mutex_lock(&a->lock);
        size_t n = m->n;
        odz_http_pending **w = m->waiting;
        m->waiting = m->serving;
        m->serving = w;
        m->n = 0;
        char corr[ODZ_CORR_MAX];
        snprintf(corr, sizeof corr, "%s", m->corr);
        m->corr[0] = '\0';
        if (n == 0)
            m->running = false;
        pthread_mutex_unlock(&a->lock);
        if (n == 0)
            return;
        if (status) {
            for (size_t i = 0; i < n; i++)
                odz_http_pending_error(w[i], 503, "shutting_down", "server stopping");
            continue;
        }
        char *rep = NULL;
        size_t len = 0;
        odz_log_set_corr(corr);
        int rc =
            odz_bus_request(a->bus, m->subject, "{}", 2, MONITOR_TIMEOUT_MS, corr, &rep, &len);
        json_t *r = rc == 0 ? json_loadb(rep, len, 0, NULL) : NULL;
        json_t *data = json_object_get(r, "data");
        char *txt = data ? odz_json_dumps(data) : NULL;
        odz_buf *body = txt ? odz_buf_take(txt, strlen(txt)) : NULL;
        for (size_t i = 0; i < n; i++)
            if (body)
                odz_http_pending_respond_buf(w[i], 200, "application/json", body, NULL);
            else if (rc == ODZ_EFULL)
                odz_http_pending_busy(w[i], !strcmp(m->who, "scraper")
                                                ? "the scraper is busy"
                                                : "the racing service is busy",
                                      1);
            else if (!strcmp(m->who, "scraper"))
                odz_http_pending_error(
                    w[i], 503, "scraper_unavailable",
                    "no scraper answers on this bus (is oddzy scraper running?)");
            else
                odz_http_pending_error(w[i], 503, "racing_unavailable",
                                       "no racing service answers on this bus");
        odz_buf_unref(body);
        json_decref(r);
        free(rep);
        odz_log_set_corr("");
    }
}

/* 503 busy, counted. */
static int busy(odz_api *a, odz_http_req *req, const char *msg)
{
    odz_metric_inc(a->m_busy);
    return odz_http_respond_busy(req, msg, 1);
}

/* Wait for monitor m's next round trip. */
static int monitor_serve(odz_api *a, odz_http_req *req, monitor *m)
{
    pthread_mutex_lock(&a->lock);
    if (m->n >= MONITOR_WAITERS_MAX) {
        pthread_mutex_unlock(&a->lock);
        return busy(a, req, "too many requests waiting for the scraper");
    }
    odz_http_pending *p = odz_http_defer(req);
    if (!p) {
        pthread_mutex_unlock(&a->lock);
        return ODZ_ENOMEM;
    }
    m->waiting[m->n++] = p;
    if (!m->corr[0])
        odz_api_corr_of(req, m->corr);
    bool start = !m->running;
    m->running = true;
    pthread_mutex_unlock(&a->lock);
    if (start && odz_pool_submit(a->pool, 0, monitor_run, m) != 0)
        monitor_run(m, ODZ_ECLOSED); /* cannot happen while serving: the pool has a slot each */
    return ODZ_HTTP_PENDING;
}

static int h_scraper(odz_http_req *req, void *ud)
{
    odz_api *a = ud;
    const char *what = odz_http_path_rest(req);
    for (int i = 0; i < N_SCRAPER_MONITORS; i++)
        if (!strcmp(what, monitor_defs[i].word))
            return monitor_serve(a, req, &a->mon[i]);
    return odz_http_respond_json_error(req, 404, "not_found",
                                       "use /api/scraper/status, queue or history");
}

/* /api/sources: each source's requests, errors, lag and markets matched; /api/sources/unmatched:
 * the exchange markets not matched to our races, with the reason. */
static int h_sources(odz_http_req *req, void *ud)
{
    odz_api *a = ud;
    const char *what = odz_http_path_rest(req);
    for (int i = N_SCRAPER_MONITORS; i < N_MONITORS; i++)
        if (!strcmp(what, monitor_defs[i].word))
            return monitor_serve(a, req, &a->mon[i]);
    return odz_http_respond_json_error(req, 404, "not_found",
                                       "use /api/sources or /api/sources/unmatched");
}

static int h_healthz(odz_http_req *req, void *ud)
{
    (void)ud;
    static const char ok[] = "{\"status\":\"ok\"}";
    return odz_http_respond(req, 200, "application/json", ok, sizeof ok - 1);
}

/* The readiness check, on its own pool thread, again and again until the pool closes. */
static void ready_run(void *arg, int status)
{
    odz_api *a = arg;
    if (status)
        return;
    json_t *data = NULL;
    char err[ODZ_ERRLEN] = "";
    json_t *req = json_pack("{s:i}", "limit", 1);
    int rc = odz_racing_call(a->bus, "next_races", req, READY_TIMEOUT_MS, &data, err);
    json_decref(req);
    json_decref(data);
    pthread_mutex_lock(&a->lock);
    a->ready_rc = rc;
    if (rc == 0) {
        a->ready_ever = true;
        a->ready_ok_ms = odz_mono_ms();
    } else {
        snprintf(a->ready_err, sizeof a->ready_err, "%s", err);
    }
    a->ready_wait_ms = a->ready_ever ? READY_INTERVAL_MS : a->ready_wait_ms * 2;
    if (a->ready_wait_ms > READY_INTERVAL_MS)
        a->ready_wait_ms = READY_INTERVAL_MS;
    int wait = a->ready_wait_ms;
    pthread_mutex_unlock(&a->lock);
    odz_pool_submit(a->ready_pool, wait, ready_run, a);
}

/* Ready when the racing service answered lately: from the background check, never a round trip
 * per probe. */
static int h_readyz(odz_http_req *req, void *ud)
{
    odz_api *a = ud;
    char msg[ODZ_ERRLEN + 64];
    pthread_mutex_lock(&a->lock);
    int64_t age = odz_mono_ms() - a->ready_ok_ms;
    bool gone = a->ready_rc == ODZ_ENORESP || a->ready_rc == ODZ_ECLOSED;
    bool ready = a->ready_ever && !gone && age <= READY_STALE_MS;
    if (!a->ready_ever)
        snprintf(msg, sizeof msg, "the racing service has not answered yet%s%s",
                 a->ready_err[0] ? ": " : "", a->ready_err);
    else if (!ready)
        snprintf(msg, sizeof msg, "the racing service has not answered for %lld ms: %s",
                 (long long)age, a->ready_err);
    pthread_mutex_unlock(&a->lock);
    if (!ready)
        return odz_http_respond_json_error(req, 503, "not_ready", msg);
    static const char ok[] = "{\"status\":\"ready\"}";
    return odz_http_respond(req, 200, "application/json", ok, sizeof ok - 1);
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
    odz_http_metrics_observe(route, method, status, secs);
    /* successes are counted, not logged (debug shows them); server errors always are */
    if (status >= 500 || odz_log_enabled(ODZ_LOG_DEBUG)) {
        char st[16], ms[32];
        snprintf(st, sizeof st, "%d", status);
        snprintf(ms, sizeof ms, "%.1f", secs * 1000);
        odz_log_kv(status >= 500 ? ODZ_LOG_ERROR : ODZ_LOG_DEBUG,
                   status >= 500 ? "request failed" : "request", "route", route, "method",
                   odz_http_metrics_method(method),
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
    pthread_mutex_init(&a->lock, NULL);
    a->m_busy = odz_http_metrics_busy("/api/scraper/*");
    bool ok = true;
    for (int i = 0; i < N_MONITORS; i++) {
        monitor *m = &a->mon[i];
        m->api = a;
        snprintf(m->subject, sizeof m->subject, "%s", monitor_defs[i].subject);
        m->who = monitor_defs[i].who;
        m->waiting = calloc(MONITOR_WAITERS_MAX, sizeof *m->waiting);
        m->serving = calloc(MONITOR_WAITERS_MAX, sizeof *m->serving);
        ok = ok && m->waiting && m->serving;
    }
    /* one job per monitor subject at most, so the pool never refuses one */
    a->pool = ok ? odz_pool_new(2, N_MONITORS) : NULL;
    a->ready_pool = a->pool ? odz_pool_new(1, 1) : NULL;
    a->ready_wait_ms = READY_FIRST_MS / 2; /* doubled after the first check */
    if (!a->ready_pool || odz_pool_submit(a->ready_pool, 0, ready_run, a) != 0) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot start the API's worker pools");
        odz_api_free(a);
        return NULL;
    }
    a->views = odz_views_new(bus, a->tz, cfg->view_workers, cfg->view_coding_keep_ms, err);
    if (!a->views) {
        odz_api_free(a);
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
        odz_api_free(a);
        return NULL;
    }
    odz_http_route(a->http, "GET", "/api/racing/schedule", h_schedule, a);
    odz_http_route(a->http, "GET", "/api/racing/racecard", h_racecard, a);
    odz_http_route(a->http, "GET", "/api/racing/next", h_next, a);
    odz_http_route(a->http, "GET", "/api/races/*", h_races, a);
    odz_http_route(a->http, "GET", "/api/meetings/*", h_meeting, a);
    odz_http_route(a->http, "GET", "/api/scraper/*", h_scraper, a);
    odz_http_route(a->http, "GET", "/api/sources", h_sources, a);
    odz_http_route(a->http, "GET", "/api/sources/*", h_sources, a);
    odz_api_calc_routes(a->http);
    if (!(a->odds = odz_api_odds_new(bus, a->http, err))) {
        odz_api_free(a);
        return NULL;
    }
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
    odz_api_odds_free(a->odds); /* waiting odds matcher requests are answered 503 */
    odz_pool_free(a->ready_pool);
    odz_pool_free(a->pool); /* waiting monitor requests are answered 503 */
    odz_views_free(a->views);
    odz_http_free(a->http);
    for (int i = 0; i < N_MONITORS; i++) {
        free(a->mon[i].waiting);
        free(a->mon[i].serving);
    }
    pthread_mutex_destroy(&a->lock);
    free(a);
}

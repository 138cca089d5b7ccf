/* /api/oddsmatcher and /api/arbitrage: see api/oddsmatcher.h. */
#include "api/oddsmatcher.h"
#include "api/api.h"
#include "calc/matcher.h"
#include "core/err.h"
#include "core/json.h"
#include "core/pool.h"
#include "obs/log.h"
#include "obs/http_metrics.h"
#include "obs/metrics.h"
#include "racing/racing.h"

#include <stdlib.h>
#include <string.h>

#define THREADS 2
#define WAITING_MAX 256 /* requests waiting for the racing service; above: 503 busy */
#define TIMEOUT_MS 5000

struct odz_api_odds {
    odz_bus *bus;
    odz_pool *pool;
    odz_metric *m_busy;
};

typedef struct {
    odz_api_odds *o;
    odz_http_pending *p;
    const char *op; /* "oddsmatcher" or "arbitrage" */
    char corr[ODZ_CORR_MAX];
    char query[]; /* the raw query string, checked already */
} job;

static void run(void *arg, int status)
{
    job *j = arg;
    if (status) {
        odz_http_pending_error(j->p, 503, "shutting_down", "server stopping");
        free(j);
        return;
    }
    char err[ODZ_ERRLEN] = "";
    json_t *data = NULL, *req = json_pack("{s:s}", "query", j->query);
    odz_log_set_corr(j->corr);
    int rc = req ? odz_racing_call(j->o->bus, j->op, req, TIMEOUT_MS, &data, err) : ODZ_ENOMEM;
    char *txt = rc == 0 ? odz_json_dumps(data) : NULL;
    if (txt)
        odz_http_pending_respond(j->p, 200, "application/json", txt, strlen(txt));
    else if (rc == ODZ_EINVAL) /* the service's parser is the same: not expected */
        odz_http_pending_error(j->p, 400, "bad_request", err);
    else if (rc == ODZ_EFULL)
        odz_http_pending_busy(j->p, "the racing service is busy", 1);
    else
        odz_http_pending_error(j->p, 503, "racing_unavailable",
                               "the racing service did not answer (is oddzy racing running?)");
    odz_log_set_corr("");
    free(txt);
    json_decref(data);
    json_decref(req);
    free(j);
}

static int serve(odz_api_odds *o, odz_http_req *req, const char *op)
{
    const char *query = odz_http_query(req);
    odz_matcher_query q;
    char err[ODZ_ERRLEN];
    if (odz_matcher_query_parse(query, &q, err, sizeof err))
        return odz_http_respond_json_error(req, 400, "bad_request", err);
    size_t n = strlen(query);
    job *j = malloc(sizeof *j + n + 1);
    if (!j)
        return odz_http_respond_json_error(req, 500, "internal", "out of memory");
    j->o = o;
    j->op = op;
    memcpy(j->query, query, n + 1);
    odz_api_corr_of(req, j->corr);
    if (!(j->p = odz_http_defer(req))) {
        free(j);
        return ODZ_ENOMEM;
    }
    if (odz_pool_submit(o->pool, 0, run, j)) {
        odz_metric_inc(o->m_busy);
        odz_http_pending_busy(j->p, "too many odds matcher requests waiting", 1);
        free(j);
    }
    return ODZ_HTTP_PENDING;
}

static int h_oddsmatcher(odz_http_req *req, void *ud)
{
    return serve(ud, req, "oddsmatcher");
}

static int h_arbitrage(odz_http_req *req, void *ud)
{
    return serve(ud, req, "arbitrage");
}

odz_api_odds *odz_api_odds_new(odz_bus *bus, odz_http_server *http, char *err)
{
    odz_api_odds *o = calloc(1, sizeof *o);
    if (o)
        o->pool = odz_pool_new(THREADS, WAITING_MAX);
    if (!o || !o->pool) {
        free(o);
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot start the odds matcher's pool");
        return NULL;
    }
    o->bus = bus;
    o->m_busy = odz_http_metrics_busy("/api/oddsmatcher");
    if (odz_http_route(http, "GET", "/api/oddsmatcher", h_oddsmatcher, o) ||
        odz_http_route(http, "GET", "/api/arbitrage", h_arbitrage, o)) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot add the odds matcher's routes");
        odz_api_odds_free(o);
        return NULL;
    }
    return o;
}

void odz_api_odds_free(odz_api_odds *o)
{
    if (!o)
        return;
    odz_pool_free(o->pool);
    free(o);
}

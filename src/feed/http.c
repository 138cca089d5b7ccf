/* The simulated source over HTTP (see http.h). */
#include "feed/http.h"

#include <stdlib.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/pool.h"
#include "core/wait.h"
#include "obs/http_metrics.h"
#include "obs/metrics.h"
#include "obs/metrics_server.h"

/* delayed answers waiting at most; one more is answered 503 busy */
#define DELAYED_MAX 4096

struct odz_feed_http {
    odz_feed *feed;
    odz_pool *delay;
    odz_metric *m_busy;
    odz_http_server *srv;
};

typedef struct {
    odz_http_pending *p;
    odz_feed_response r;
} delayed;

static void delayed_answer(void *arg, int status)
{
    delayed *d = arg;
    if (status)
        odz_http_pending_error(d->p, 503, "shutting_down", "server stopping");
    else
        odz_http_pending_respond(d->p, d->r.status, d->r.content_type, d->r.body, d->r.len);
    odz_feed_response_free(&d->r);
    free(d);
}

static int h_feed(odz_http_req *req, void *ud)
{
    odz_feed_http *c = ud;
    odz_feed_response r = {0};
    int rc = odz_feed_handle(c->feed, odz_http_path(req), odz_http_query(req), odz_now(), &r);
    if (rc)
        return rc;
    odz_thread_yield();
    if (r.delay_ms <= 0) {
        rc = odz_http_respond(req, r.status, r.content_type, r.body, r.len);
        odz_feed_response_free(&r);
        return rc;
    }
    delayed *d = malloc(sizeof *d);
    if (!d || !(d->p = odz_http_defer(req))) {
        free(d);
        odz_feed_response_free(&r);
        return ODZ_ENOMEM;
    }
    d->r = r;
    if (odz_pool_submit(c->delay, r.delay_ms, delayed_answer, d) != 0) {
        odz_metric_inc(c->m_busy);
        odz_http_pending_busy(d->p, "too many delayed answers waiting", 1);
        odz_feed_response_free(&d->r);
        free(d);
    }
    return ODZ_HTTP_PENDING;
}

odz_feed_http *odz_feed_http_new(odz_feed *f, const char *host, int port, char *err)
{
    odz_http_config hc;
    odz_http_config_defaults(&hc);
    hc.host = host;
    hc.port = port;
    odz_feed_http *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    ctx->feed = f;
    ctx->m_busy = odz_http_metrics_busy("feed");
    if (!(ctx->delay = odz_pool_new(1, DELAYED_MAX))) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot start the feed's delay queue");
        free(ctx);
        return NULL;
    }
    if (!(ctx->srv = odz_http_new(&hc, err, ODZ_ERRLEN))) {
        odz_feed_http_free(ctx);
        return NULL;
    }
    odz_http_route(ctx->srv, "GET", "/feed-metrics", odz_metrics_http_handler, NULL);
    odz_http_route(ctx->srv, "GET", "/*", h_feed, ctx);
    return ctx;
}

odz_http_server *odz_feed_http_server(const odz_feed_http *h)
{
    return h->srv;
}

void odz_feed_http_free(odz_feed_http *h)
{
    if (!h)
        return;
    odz_pool_free(h->delay); /* waiting answers get 503 */
    odz_http_free(h->srv);
    free(h);
}

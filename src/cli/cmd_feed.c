/* oddzy feed: the simulated racing world over HTTP, and its Betfair exchange. */
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "cli/role_opts.h"
#include "core/err.h"
#include "core/tz.h"
#include "feed/exchange.h"
#include "feed/feed.h"
#include "feed/http.h"
#include "obs/log.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int odz_opts_feed(const odz_opt *opts, odz_feed_config *fc)
{
    int64_t seed;
    double fail, garbage;
    int64_t slow;
    if (odz_opt_int(opts, "seed", 0, INT64_MAX, &seed) ||
        odz_opt_double(opts, "fail-rate", 0, 1, &fail) ||
        odz_opt_double(opts, "garbage-rate", 0, 1, &garbage) ||
        odz_opt_int(opts, "slow-ms", 0, 60000, &slow))
        return ODZ_EINVAL;
    memset(fc, 0, sizeof *fc);
    fc->seed = (uint64_t)seed;
    fc->fail_rate = fail;
    fc->garbage_rate = garbage;
    fc->slow_ms = (int)slow;
    fc->tz = odz_opt_get(opts, "tz");
    return 0;
}

int odz_opts_exchange(const odz_opt *opts, odz_fx_server_config *xc)
{
    int64_t drop, tick;
    if (odz_opt_int(opts, "exchange-drop-after", 0, 1000000, &drop) ||
        odz_opt_int(opts, "exchange-tick-ms", 50, 60000, &tick))
        return ODZ_EINVAL;
    memset(xc, 0, sizeof *xc);
    xc->host = "127.0.0.1";
    xc->drop_after = (int)drop;
    xc->tick_ms = (int)tick;
    return 0;
}

int odz_world_start(odz_world *w, const odz_feed_config *fc, const char *host, int port,
                    char *err)
{
    if (!(w->feed = odz_feed_new(fc, err, ODZ_ERRLEN)))
        return ODZ_EINVAL;
    return (w->http = odz_feed_http_new(w->feed, host, port, err)) ? 0 : ODZ_EIO;
}

void odz_world_stop(odz_world *w)
{
    odz_fx_server_stop(w->fx);
    odz_feed_http_free(w->http);
    odz_feed_free(w->feed);
}

typedef struct {
    int64_t port, xport;
    odz_feed_config fc;
    odz_fx_server_config xc;
    odz_world w;
} feed_role;

static int feed_configure(const odz_opt *opts, const char **args, size_t n_args, void *ctx)
{
    feed_role *r = ctx;
    return odz_opt_int(opts, "port", 0, 65535, &r->port) ||
           odz_opt_int(opts, "exchange-port", 0, 65535, &r->xport) ||
           odz_opts_exchange(opts, &r->xc) || odz_opts_feed(opts, &r->fc);
}

static int feed_start(odz_role_env *env, const odz_opt *opts, void *ctx, odz_role_http *http,
                      char *err)
{
    feed_role *r = ctx;
    int rc = odz_world_start(&r->w, &r->fc, odz_opt_get(opts, "host"), (int)r->port, err);
    if (rc)
        return rc == ODZ_EINVAL ? 2 : 1;
    r->xc.port = (int)r->xport;
    if (r->xport && !(r->w.fx = odz_fx_server_start(r->w.feed, &r->xc, err, ODZ_ERRLEN)))
        return 1;
    char ps[16], xps[16];
    snprintf(ps, sizeof ps, "%d", odz_http_port(odz_feed_http_server(r->w.http)));
    snprintf(xps, sizeof xps, "%d", r->w.fx ? odz_fx_server_port(r->w.fx) : 0);
    odz_log_kv(ODZ_LOG_INFO, "simulated source ready", "port", ps, "exchange_port", xps, "seed",
               odz_opt_get(opts, "seed"), "speed", odz_opt_get(opts, "speed"), NULL);
    http->main = odz_feed_http_server(r->w.http);
    return 0;
}

static void feed_stop(void *ctx)
{
    odz_world_stop(&((feed_role *)ctx)->w);
}

static const char usage[] =
    "Usage: oddzy feed [--port N] [--seed N] [--speed N] [--fail-rate F] ...\n"
    "                  [--exchange-port P [--exchange-drop-after N]]\n\n"
    "A simulated racing world served over HTTP in the Entain affiliates format\n"
    "(/affiliates/v1/racing/meetings, /affiliates/v1/racing/events/{id}; each bookmaker\n"
    "brand under /b/{ladbrokes|neds|tab-nz}/...) and the odds-comparison format\n"
    "(/api/web/public/Racing/getUpcomingRaces/, /api/web/public/Odds/getOddsComparisonCacheable/),\n"
    "for `oddzy scraper`. With --exchange-port, also the world's Betfair exchange: the\n"
    "Exchange Stream API (connection, authentication with any app key and session token,\n"
    "heartbeat, marketSubscription for event types 7 and 4339, WIN and PLACE markets, best\n"
    "offers 3 deep, last traded price, traded volume, market definitions; images, deltas,\n"
    "heartbeats, resuming from initialClk/clk) for `oddzy betfair --plain`.";

static const odz_opt opts[] = {
    {"host", "ODDZY_HOST", "127.0.0.1", "address to listen on", NULL, 0},
    {"port", "ODDZY_PORT", "8090", "port to listen on", NULL, 0},
    ODZ_OPT_TZ,
    FEED_OPTS,
    {"exchange-port", "ODDZY_EXCHANGE_PORT", "0",
     "also serve the world's Betfair exchange (Stream API, plain TCP) on this port (0: off)", NULL,
     0},
    EXCHANGE_FAULT_OPTS,
    ODZ_OPT_END,
};

const odz_role_def odz_role_feed = {
    .name = "feed",
    .summary = "simulated racing source served over HTTP (Entain / odds-comparison)",
    .usage = usage, .opts = opts, .flags = ODZ_ROLE_CLOCK | ODZ_ROLE_METRICS,
    .ctx_size = sizeof(feed_role),
    .configure = feed_configure, .start = feed_start, .stop = feed_stop};

/* oddzy feed, scraper, api and run. */
#include "api/api.h"
#include "betfair/replay.h"
#include "bus/bus.h"
#include "bus/bus_metrics.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/pool.h"
#include "core/tz.h"
#include "betfair/client.h"
#include "feed/exchange.h"
#include "feed/feed.h"
#include "http/server.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/metrics_server.h"
#include "prices/updater.h"
#include "racing/racing.h"
#include "scraper/scraper.h"
#include "scraper/standby.h"
#include "cli/sources.h"
#include "source/providers.h"
#include "store/leader.h"
#include "store/store.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the simulated source over HTTP ---- */

/* Delayed answers (--slow-ms) wait in a bounded pool's timed queue: one thread for all of
 * them, and a fast 503 busy when DELAYED_MAX are already waiting. */
#define DELAYED_MAX 4096

typedef struct {
    odz_feed *feed;
    odz_pool *delay;
    odz_metric *m_busy;
} feed_ctx;

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
    feed_ctx *c = ud;
    odz_feed_response r = {0};
    int rc = odz_feed_handle(c->feed, odz_http_path(req), odz_http_query(req), odz_now(), &r);
    if (rc)
        return rc;
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

/* Stop after the server has stopped: delayed answers still waiting get 503. */
static void feed_ctx_free(feed_ctx *ctx)
{
    odz_pool_free(ctx->delay);
    ctx->delay = NULL;
}

static odz_http_server *feed_server(odz_feed *f, feed_ctx *ctx, const char *host, int port,
                                    char *err)
{
    odz_http_config hc;
    odz_http_config_defaults(&hc);
    hc.host = host;
    hc.port = port;
    ctx->feed = f;
    ctx->m_busy = odz_counter("oddzy_http_busy_total",
                              "Requests answered 503 busy at once because a bounded pool or "
                              "queue was full",
                              "route=\"feed\"");
    if (!(ctx->delay = odz_pool_new(1, DELAYED_MAX))) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot start the feed's delay queue");
        return NULL;
    }
    odz_http_server *srv = odz_http_new(&hc, err, ODZ_ERRLEN);
    if (!srv) {
        feed_ctx_free(ctx);
        return NULL;
    }
    odz_http_route(srv, "GET", "/feed-metrics", odz_metrics_http_handler, NULL);
    odz_http_route(srv, "GET", "/*", h_feed, ctx);
    return srv;
}

static int feed_config(const odz_opt *opts, odz_feed_config *fc)
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

#define FEED_OPTS                                                                                  \
    {"seed", "ODDZY_SEED", "1", "world seed: same seed, same world", NULL, 0},                    \
        {"fail-rate", "ODDZY_FAIL_RATE", "0", "share of requests answered 5xx (0..1)", NULL, 0},  \
        {"garbage-rate", "ODDZY_GARBAGE_RATE", "0", "share answered with a broken body (0..1)",    \
         NULL, 0},                                                                                 \
        {"slow-ms", "ODDZY_SLOW_MS", "0", "delay added to every response (ms)", NULL, 0}

#define EXCHANGE_FAULT_OPTS                                                                        \
    {"exchange-drop-after", "ODDZY_EXCHANGE_DROP_AFTER", "0",                                      \
     "fault for tests: the exchange cuts each connection mid-message after this many messages "    \
     "(0: never)",                                                                                 \
     NULL, 0},                                                                                     \
        {"exchange-tick-ms", "ODDZY_EXCHANGE_TICK_MS", "1000",                                     \
         "real milliseconds between two looks of the exchange at the world", NULL, 0}

/* The exchange server's settings from the options (port given separately). */
static int exchange_config(const odz_opt *opts, odz_fx_server_config *xc)
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

/* The in-process bus connects the parts of one process only: a role on it hosts its own
 * racing service. Any other bus (NATS) reaches the `oddzy racing` processes. */
static bool role_bus_inproc(const char *url)
{
    return !url || !*url || !strcmp(url, "inproc");
}

typedef struct {
    odz_http_server *a, *b;
} stopper;

static void *wait_signal(void *arg)
{
    stopper *s = arg;
    int sig = odz_signals_wait();
    odz_log_kv(ODZ_LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    if (s->a)
        odz_http_stop(s->a);
    if (s->b)
        odz_http_stop(s->b);
    return NULL;
}

int odz_cmd_feed(int argc, char **argv)
{
    odz_opt opts[] = {
        {"host", "ODDZY_HOST", "127.0.0.1", "address to listen on", NULL, 0},
        {"port", "ODDZY_PORT", "8090", "port to listen on", NULL, 0},
        {"tz", "ODDZY_TZ", ODZ_DEFAULT_TZ, "IANA time zone of race days", NULL, 0},
        FEED_OPTS,
        {"exchange-port", "ODDZY_EXCHANGE_PORT", "0",
         "also serve the world's Betfair exchange (Stream API, plain TCP) on this port (0: off)",
         NULL, 0},
        EXCHANGE_FAULT_OPTS,
        ODZ_OPT_CLOCK,
        ODZ_OPT_METRICS_ADDR,
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    int rc = odz_opts_parse(
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
        "heartbeats, resuming from initialClk/clk) for `oddzy betfair --plain`.",
        opts, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    int64_t port, xport;
    odz_feed_config fc;
    odz_fx_server_config xc;
    if (odz_opts_logging(opts, "feed") || odz_opt_int(opts, "port", 0, 65535, &port) ||
        odz_opt_int(opts, "exchange-port", 0, 65535, &xport) || exchange_config(opts, &xc) ||
        feed_config(opts, &fc) || odz_opts_clock(opts))
        return 2;
    char err[ODZ_ERRLEN];
    odz_signals_block();
    odz_metrics_server *ms;
    if ((rc = odz_opts_metrics_start(opts, "feed", &ms)))
        return rc == ODZ_EINVAL ? 2 : 1;
    odz_feed *f = odz_feed_new(&fc, err, sizeof err);
    if (!f) {
        fprintf(stderr, "oddzy feed: %s\n", err);
        odz_metrics_server_stop(ms);
        return 2;
    }
    feed_ctx ctx = {0};
    odz_http_server *srv = feed_server(f, &ctx, odz_opt_get(opts, "host"), (int)port, err);
    if (!srv) {
        fprintf(stderr, "oddzy feed: %s\n", err);
        odz_metrics_server_stop(ms);
        odz_feed_free(f);
        return 1;
    }
    odz_fx_server *xs = NULL;
    if (xport) {
        xc.port = (int)xport;
        if (!(xs = odz_fx_server_start(f, &xc, err, sizeof err))) {
            fprintf(stderr, "oddzy feed: %s\n", err);
            odz_metrics_server_stop(ms);
            feed_ctx_free(&ctx);
            odz_http_free(srv);
            odz_feed_free(f);
            return 1;
        }
    }
    char ps[16], xps[16];
    snprintf(ps, sizeof ps, "%d", odz_http_port(srv));
    snprintf(xps, sizeof xps, "%d", xs ? odz_fx_server_port(xs) : 0);
    odz_log_kv(ODZ_LOG_INFO, "simulated source ready", "port", ps, "exchange_port", xps, "seed",
               odz_opt_get(opts, "seed"), "speed", odz_opt_get(opts, "speed"), NULL);
    stopper st = {srv, NULL};
    pthread_t t;
    pthread_create(&t, NULL, wait_signal, &st);
    odz_http_run(srv);
    pthread_kill(t, SIGTERM);
    pthread_join(t, NULL);
    odz_fx_server_stop(xs);
    odz_metrics_server_stop(ms);
    feed_ctx_free(&ctx);
    odz_http_free(srv);
    odz_feed_free(f);
    odz_metrics_free_all();
    return 0;
}

/* (shared by `oddzy scraper` and `oddzy run`) */
#define SCRAPER_INFLIGHT_OPT                                                                       \
    {"max-inflight", "ODDZY_MAX_INFLIGHT", "8",                                                    \
     "requests to the source at once (1..256), within --rate", NULL, 0}

#define SOURCE_IDENT_OPTS                                                                          \
    {"provider", "ODDZY_PROVIDER", "",                                                             \
     "name the prices of an entain-format source as this bookmaker's (a preset names its own)",   \
     NULL, 0},                                                                                     \
        {"partner", "ODDZY_PARTNER", "", "X-Partner request header: who you are (Entain asks)", NULL,  \
     0},                                                                                           \
        {"partner-id", "ODDZY_PARTNER_ID", "", "X-Partner-ID request header (TAB NZ)", NULL, 0},  \
        {"from", "ODDZY_FROM", "", "From request header: your e-mail address (Entain asks)", NULL, \
         0}

#define SCRAPER_OPTS                                                                               \
    {"source", "ODDZY_SOURCE", "http://127.0.0.1:8090",                                            \
     "base URL of the racing data source, or a bookmaker preset: ladbrokes, neds or tab-nz "       \
     "(their Entain affiliates API; its prices are that bookmaker's)",                             \
     NULL, 0},                                                                                     \
        SOURCE_IDENT_OPTS,                                                                         \
        {"format", "ODDZY_FORMAT", "entain", "source format: entain or oddscomau", NULL, 0},      \
        {"rate", "ODDZY_RATE", "1", "requests a second towards the source", NULL, 0},             \
        {"timeout-ms", "ODDZY_TIMEOUT_MS", "10000", "per-request timeout", NULL, 0},             \
        {"schedule-interval", "ODDZY_SCHEDULE_INTERVAL", "300",                                   \
         "seconds between meetings-list polls", NULL, 0},                                          \
        SCRAPER_INFLIGHT_OPT

/* --source as a preset name or a URL, --format, and the identification headers, into sc
 * (which points into id). */
static int source_config(const odz_opt *opts, odz_scraper_config *sc, odz_source *id)
{
    const char *src = odz_opt_get(opts, "source");
    const char *named = odz_opt_get(opts, "provider");
    odz_provider *p = &id->p;
    bool preset = odz_provider_preset(src, p) == 0;
    if (!preset) {
        odz_provider_defaults(p);
        if (odz_strlcpy(p->name, *named ? named : "source", sizeof p->name) != 0) {
            fprintf(stderr, "--provider: at most %zu characters\n", sizeof p->name - 1);
            return ODZ_EINVAL;
        }
        snprintf(p->format, sizeof p->format, "%s", odz_opt_get(opts, "format"));
        /* `oddzy run` without --source: its own simulated world, whose URL comes later */
        if (!*src)
            src = "http://127.0.0.1";
        if (odz_strlcpy(p->base_url, src, sizeof p->base_url) != 0) {
            fprintf(stderr, "--source: too long\n");
            return ODZ_EINVAL;
        }
        size_t n = strlen(p->base_url);
        while (n > 8 && p->base_url[n - 1] == '/')
            p->base_url[--n] = '\0';
    }
    if (odz_strlcpy(p->partner, odz_opt_get(opts, "partner"), sizeof p->partner) ||
        odz_strlcpy(p->partner_id, odz_opt_get(opts, "partner-id"), sizeof p->partner_id) ||
        odz_strlcpy(p->from, odz_opt_get(opts, "from"), sizeof p->from)) {
        fprintf(stderr, "--partner, --partner-id, --from: at most %d characters\n",
                ODZ_PROVIDER_TEXT_MAX - 1);
        return ODZ_EINVAL;
    }
    char err[ODZ_ERRLEN];
    if (odz_provider_validate(p, err, sizeof err)) {
        fprintf(stderr, "--source: %s (presets: %s)\n", err, odz_provider_preset_names());
        return ODZ_EINVAL;
    }
    id->cfg = *sc;
    if (odz_source_apply(id, false))
        return ODZ_EINVAL;
    *sc = id->cfg;
    if (!preset && !*named) /* prices under the format's own provider */
        sc->provider = NULL;
    return 0;
}

static int scraper_config(const odz_opt *opts, odz_scraper_config *sc, odz_source *id)
{
    memset(sc, 0, sizeof *sc);
    int64_t timeout, interval, inflight;
    double rate;
    rate = 1;
    if ((*odz_opt_get(opts, "rate") && odz_opt_double(opts, "rate", 0.01, 1000, &rate)) ||
        odz_opt_int(opts, "timeout-ms", 100, 120000, &timeout) ||
        odz_opt_int(opts, "schedule-interval", 1, 86400, &interval) ||
        odz_opt_int(opts, "max-inflight", 1, ODZ_SCRAPER_INFLIGHT_MAX, &inflight))
        return ODZ_EINVAL;
    if (source_config(opts, sc, id))
        return ODZ_EINVAL;
    sc->tz = odz_opt_get(opts, "tz");
    sc->rate = rate;
    sc->timeout_ms = (int)timeout;
    sc->schedule_interval_s = (int)interval;
    sc->max_inflight = (int)inflight;
    return 0;
}

int odz_cmd_scraper(int argc, char **argv)
{
    odz_opt opts[] = {
        SCRAPER_OPTS,
        {"sources", "ODDZY_SOURCES", "",
         "YAML file of several sources (docs/operations.md), each scraped on its own in this "
         "process; instead of --source",
         NULL, 0},
        {"bus", "ODDZY_BUS", "inproc", "message bus: inproc or nats://HOST:PORT[,nats://...]",
         NULL, 0},
        {"db", "ODDZY_DB", "var/oddzy.db",
         "with the in-process bus, the scraper runs the racing service on this database; with "
         "a postgres:// URL, the scrapers sharing it run active-standby (one scrapes)",
         NULL, 0},
        {"standby-retry-ms", "ODDZY_STANDBY_RETRY_MS", "2000",
         "standby: how often to try to become the active scraper", NULL, 0},
        {"tz", "ODDZY_TZ", ODZ_DEFAULT_TZ, "IANA time zone of race days", NULL, 0},
        ODZ_OPT_CLOCK,
        ODZ_OPT_METRICS_ADDR,
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    int rc = odz_opts_parse(
        "Usage: oddzy scraper --source URL --format entain|oddscomau [--rate N]\n"
        "                     [--metrics-addr HOST:PORT]\n\n"
        "Polls a racing data source on the adaptive schedule (every 6 h days away, hourly\n"
        "within 12 h, every 10 min within the hour, every 30 s near the jump, every 60 s\n"
        "when overdue, until FINAL with results or ABANDONED) and stores what changed\n"
        "through the racing service. Up to --max-inflight requests are under way at once,\n"
        "within --rate; races that have run and races within the hour go first.\n\n"
        "With --db postgres://... several scrapers run active-standby: the holder of a\n"
        "PostgreSQL advisory lock scrapes, the others retry every --standby-retry-ms and take\n"
        "over when it dies (gauge oddzy_scraper_leader).",
        opts, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    odz_scraper_config sc;
    odz_source ident;
    odz_standby_config sbc = {0};
    int64_t retry;
    if (odz_opts_logging(opts, "scraper") || scraper_config(opts, &sc, &ident) ||
        odz_opts_clock(opts) ||
        odz_opt_int(opts, "standby-retry-ms", 100, 60000, &retry))
        return 2;
    sbc.retry_ms = (int)retry;
    sbc.check_ms = retry < 1000 ? (int)retry : 1000;
    /* one source (--source), or several (--sources), each with its own leadership lock */
    static odz_source many[ODZ_PROVIDERS_MAX];
    static char locks[ODZ_PROVIDERS_MAX][ODZ_KEY_MAX];
    static odz_standby *s[ODZ_PROVIDERS_MAX];
    const char *file = odz_opt_get(opts, "sources");
    size_t n = 1;
    if (*file && odz_opt_given(opts, "source")) {
        fprintf(stderr, "oddzy scraper: --source and --sources are either-or\n");
        return 2;
    }
    if (*file && odz_sources_load(file, &sc, many, &n))
        return 2;
    char err[ODZ_ERRLEN];
    odz_signals_block();
    odz_metrics_server *ms;
    if ((rc = odz_opts_metrics_start(opts, "scraper", &ms)))
        return rc == ODZ_EINVAL ? 2 : 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    odz_bus *bus = odz_bus_open(odz_opt_get(opts, "bus"), err, sizeof err);
    if (!bus) {
        fprintf(stderr, "oddzy scraper: %s\n", err);
        odz_metrics_server_stop(ms);
        return 2;
    }
    odz_bus_metrics_register(bus);
    /* The in-process bus has no other process on it: host the racing service here. Over NATS
     * the racing service is another process; a PostgreSQL database is then only for the
     * leadership session (no store, no migrations). */
    const char *db = odz_opt_get(opts, "db");
    bool inproc = role_bus_inproc(odz_opt_get(opts, "bus"));
    bool shared = odz_store_url_is_postgres(db, NULL) == 1;
    odz_store *store = inproc ? odz_store_open(db, err) : NULL;
    odz_racing *racing = inproc && store ? odz_racing_start(bus, store, sc.tz, err) : NULL;
    odz_leader *leader = shared && (!inproc || racing) ? odz_leader_open(db, err) : NULL;
    bool ok = (inproc ? racing != NULL : true) && (!shared || leader);
    for (size_t i = 0; ok && i < n; i++) {
        odz_standby_config one = sbc;
        if (*file) {
            if (snprintf(locks[i], sizeof locks[i], "%s/%s", ODZ_SCRAPER_LEADER_NAME,
                         many[i].p.name) >= (int)sizeof locks[i])
                abort(); /* a provider name is at most ODZ_PROVIDER_MAX - 1 bytes */
            one.lock_name = locks[i];
        }
        ok = (s[i] = odz_standby_start(bus, leader, *file ? &many[i].cfg : &sc, &one, err));
        if (ok)
            odz_log_kv(ODZ_LOG_INFO, "scraper started", "source",
                       *file ? many[i].cfg.source_url : sc.source_url, "provider",
                       *file ? many[i].p.name : sc.provider ? sc.provider : sc.format, "bus",
                       odz_opt_get(opts, "bus"), "leadership",
                       leader  ? leader->ops->name
                       : store ? store->ops->name
                               : "none (always active)",
                       NULL);
    }
    if (!ok) {
        fprintf(stderr, "oddzy scraper: %s\n", err);
        for (size_t i = 0; i < n; i++)
            odz_standby_stop(s[i]);
        odz_metrics_server_stop(ms);
        odz_racing_stop(racing);
        odz_bus_metrics_unregister(bus);
        bus->ops->close(bus);
        if (leader)
            leader->ops->close(leader);
        if (store)
            store->ops->close(store);
        return 2;
    }
    int sig = odz_signals_wait();
    odz_log_kv(ODZ_LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    odz_metrics_server_stop(ms);
    for (size_t i = 0; i < n; i++)
        odz_standby_stop(s[i]);
    odz_racing_stop(racing);
    odz_bus_metrics_unregister(bus);
    bus->ops->close(bus);
    if (leader)
        leader->ops->close(leader);
    if (store)
        store->ops->close(store);
    curl_global_cleanup();
    odz_metrics_free_all();
    return 0;
}

#define API_OPTS                                                                                   \
    {"host", "ODDZY_HOST", "0.0.0.0", "address to listen on", NULL, 0},                           \
        {"port", "ODDZY_PORT", "8080", "port to listen on", NULL, 0},                             \
        {"threads", "ODDZY_THREADS", "1", "event loops (one per core, SO_REUSEPORT)", NULL, 0},  \
        {"max-connections", "ODDZY_MAX_CONNECTIONS", "20000", "connection limit", NULL, 0},      \
        {"web", "ODDZY_WEB", "web/dist", "directory of the web front end ('' for none)", NULL, 0}, \
        {"metrics-public", "ODDZY_METRICS_PUBLIC", "0",                                          \
         "answer /metrics on the API port to any peer, not only loopback (1 or 0)", NULL, 1},     \
        ODZ_OPT_METRICS_ADDR

static int api_config(const odz_opt *opts, odz_api_config *ac)
{
    int64_t port, threads, maxc, mpub;
    if (odz_opt_int(opts, "port", 0, 65535, &port) || odz_opt_int(opts, "threads", 1, 64, &threads) ||
        odz_opt_int(opts, "max-connections", 1, 1000000, &maxc) ||
        odz_opt_int(opts, "metrics-public", 0, 1, &mpub))
        return ODZ_EINVAL;
    memset(ac, 0, sizeof *ac);
    ac->host = odz_opt_get(opts, "host");
    ac->port = (int)port;
    ac->threads = (int)threads;
    ac->max_connections = (int)maxc;
    ac->view_workers = 2;
    ac->metrics_public = mpub == 1;
    const char *web = odz_opt_get(opts, "web");
    struct stat sb;
    ac->static_root = *web && stat(web, &sb) == 0 && S_ISDIR(sb.st_mode) ? web : NULL;
    if (*web && !ac->static_root)
        odz_log_kv(ODZ_LOG_WARN, "web front end not built; serving the API only", "web", web,
                   NULL);
    ac->tz = odz_opt_get(opts, "tz");
    return 0;
}

int odz_cmd_api(int argc, char **argv)
{
    odz_opt opts[] = {
        API_OPTS,
        {"bus", "ODDZY_BUS", "inproc", "message bus: inproc or nats://HOST:PORT[,nats://...]",
         NULL, 0},
        {"db", "ODDZY_DB", "var/oddzy.db",
         "with the in-process bus, the API runs the racing service on this database (unused "
         "over NATS)",
         NULL, 0},
        {"tz", "ODDZY_TZ", ODZ_DEFAULT_TZ, "IANA time zone of race days", NULL, 0},
        ODZ_OPT_CLOCK,
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    int rc = odz_opts_parse("Usage: oddzy api [--port N] [--web DIR]\n\n"
                            "The racing API: /api/racing/schedule, /api/racing/racecard,\n"
                            "/api/racing/next, /api/races/{id}[/flucs], /api/meetings/{id},\n"
                            "/api/scraper/*, /healthz, /readyz, /metrics (loopback peers only unless\n"
                            "--metrics-public; --metrics-addr serves it on a listener of its own)\n"
                            "and the web front end.",
                            opts, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    odz_api_config ac;
    if (odz_opts_logging(opts, "api") || api_config(opts, &ac) || odz_opts_clock(opts))
        return 2;
    char err[ODZ_ERRLEN];
    odz_signals_block();
    odz_metrics_server *ms;
    if ((rc = odz_opts_metrics_start(opts, "api", &ms)))
        return rc == ODZ_EINVAL ? 2 : 1;
    odz_bus *bus = odz_bus_open(odz_opt_get(opts, "bus"), err, sizeof err);
    if (!bus) {
        fprintf(stderr, "oddzy api: %s\n", err);
        odz_metrics_server_stop(ms);
        return 2;
    }
    odz_bus_metrics_register(bus);
    /* in-process bus: host the racing service here; over NATS it is another process */
    bool inproc = role_bus_inproc(odz_opt_get(opts, "bus"));
    odz_store *store = inproc ? odz_store_open(odz_opt_get(opts, "db"), err) : NULL;
    odz_racing *racing = store ? odz_racing_start(bus, store, ac.tz, err) : NULL;
    odz_api *api = racing || !inproc ? odz_api_new(bus, &ac, err) : NULL;
    if (!api) {
        fprintf(stderr, "oddzy api: %s\n", err);
        odz_metrics_server_stop(ms);
        odz_racing_stop(racing);
        odz_bus_metrics_unregister(bus);
        bus->ops->close(bus);
        if (store)
            store->ops->close(store);
        return 1;
    }
    stopper st = {odz_api_http(api), NULL};
    pthread_t t;
    pthread_create(&t, NULL, wait_signal, &st);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", odz_api_port(api));
    odz_log_kv(ODZ_LOG_INFO, "api ready", "port", ps, "bus", odz_opt_get(opts, "bus"), NULL);
    odz_http_run(odz_api_http(api));
    pthread_kill(t, SIGTERM);
    pthread_join(t, NULL);
    odz_metrics_server_stop(ms);
    odz_api_free(api);
    odz_racing_stop(racing);
    odz_bus_metrics_unregister(bus);
    bus->ops->close(bus);
    if (store)
        store->ops->close(store);
    odz_metrics_free_all();
    return 0;
}

typedef struct {
    odz_http_server *srv;
} run_thread;

static void *http_thread(void *arg)
{
    odz_http_run(((run_thread *)arg)->srv);
    return NULL;
}

/* --replay FILE[,FILE...] and --replay-speed into cfg; the names go to files[] (at most
 * ODZ_REPLAY_MAX_FILES), pointing into list. */
static int replay_config(const odz_opt *opts, char *list, size_t n, const char **files,
                         odz_replay_config *cfg)
{
    if (odz_replay_speed_parse(odz_opt_get(opts, "replay-speed"), &cfg->speed)) {
        fprintf(stderr, "oddzy run: --replay-speed must be a number above 0 or max\n");
        return ODZ_EINVAL;
    }
    if (odz_strlcpy(list, odz_opt_get(opts, "replay"), n)) {
        fprintf(stderr, "oddzy run: --replay is too long\n");
        return ODZ_EINVAL;
    }
    cfg->files = files;
    if (odz_opt_list(list, files, ODZ_REPLAY_MAX_FILES, &cfg->n_files)) {
        fprintf(stderr, "oddzy run: more than %d --replay files\n", ODZ_REPLAY_MAX_FILES);
        return ODZ_EINVAL;
    }
    return 0;
}

#define RUN_BRANDS_MAX 3

/* --bookmakers: brands of the simulated world (presets of source/providers.h that its feed
 * serves under /b/NAME); only without --source. */
static int brands_config(const odz_opt *opts, bool external, char *buf, size_t len,
                         const char *names[RUN_BRANDS_MAX], size_t *n)
{
    *n = 0;
    const char *v = odz_opt_get(opts, "bookmakers");
    if (!*v)
        return 0;
    odz_provider p;
    if (external || odz_strlcpy(buf, v, len) != 0 ||
        odz_opt_list(buf, names, RUN_BRANDS_MAX, n) != 0) {
        fprintf(stderr, "--bookmakers: %s\n",
                external ? "only with the simulated world (no --source)"
                         : "at most 3 of ladbrokes, neds, tab-nz");
        return ODZ_EINVAL;
    }
    for (size_t i = 0; i < *n; i++) {
        for (size_t j = 0; j < i; j++)
            if (!strcmp(names[i], names[j])) {
                fprintf(stderr, "--bookmakers: '%s' given twice\n", names[i]);
                return ODZ_EINVAL;
            }
        if (odz_provider_preset(names[i], &p) != 0) {
            fprintf(stderr, "--bookmakers: unknown bookmaker '%.40s' (%s)\n", names[i],
                    odz_provider_preset_names());
            return ODZ_EINVAL;
        }
    }
    return 0;
}

int odz_cmd_run(int argc, char **argv)
{
    odz_opt opts[] = {
        API_OPTS,
        {"db", "ODDZY_DB", "var/oddzy.db", "database: SQLite file path or postgres:// URL", NULL, 0},
        {"tz", "ODDZY_TZ", ODZ_DEFAULT_TZ, "IANA time zone of race days", NULL, 0},
        {"source", "ODDZY_SOURCE", "",
         "poll this external source instead of the built-in simulated one: a URL, or a "
         "bookmaker preset (ladbrokes, neds, tab-nz)",
         NULL, 0},
        SOURCE_IDENT_OPTS,
        {"format", "ODDZY_FORMAT", "entain", "format of --source: entain or oddscomau", NULL, 0},
        {"rate", "ODDZY_RATE", "",
         "requests a second towards the source (default 1 external, 50 simulated)", NULL, 0},
        {"timeout-ms", "ODDZY_TIMEOUT_MS", "10000", "per-request timeout", NULL, 0},
        {"schedule-interval", "ODDZY_SCHEDULE_INTERVAL", "300",
         "seconds (simulated) between meetings-list polls", NULL, 0},
        SCRAPER_INFLIGHT_OPT,
        FEED_OPTS,
        {"bookmakers", "ODDZY_BOOKMAKERS", "",
         "with the simulated world: also read these of its bookmaker brands (comma-separated: "
         "ladbrokes, neds, tab-nz), each priced its own way and stored as its own provider",
         NULL, 0},
        {"exchange", "ODDZY_EXCHANGE", "on",
         "with the simulated world: also run its Betfair exchange and stream it with the "
         "Betfair client (on or off)",
         NULL, 0},
        EXCHANGE_FAULT_OPTS,
        {"replay", "ODDZY_REPLAY", "",
         "also play these Betfair historical files (comma-separated; see oddzy replay)", NULL,
         0},
        {"replay-speed", "ODDZY_REPLAY_SPEED", "1",
         "--replay N times faster than recorded, or max", NULL, 0},
        ODZ_OPT_CLOCK,
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    int rc = odz_opts_parse(
        "Usage: oddzy run [--port 8080] [--db var/oddzy.db] [--speed N] [--seed N]\n"
        "                 [--source URL --format entain|oddscomau]\n"
        "                 [--bookmakers ladbrokes,neds,tab-nz] [--exchange on|off]\n"
        "                 [--replay FILE[,FILE...] [--replay-speed N|max]]\n\n"
        "Everything in one process: racing service on SQLite, in-process bus, the simulated\n"
        "source (or --source), the scraper, the price updater and the API with the web\n"
        "front end. With the simulated world, also its Betfair exchange (Stream API on a\n"
        "loopback port) and a Betfair stream client reading it (--exchange off: neither), and\n"
        "with --bookmakers one scraper per bookmaker brand; with --replay, recorded Betfair\n"
        "markets played beside them.",
        opts, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    odz_api_config ac;
    odz_feed_config fc;
    odz_scraper_config sc;
    odz_source ident;
    char brand_list[128], brand_url[RUN_BRANDS_MAX][96];
    const char *brand_names[RUN_BRANDS_MAX];
    size_t n_brands = 0;
    odz_scraper *brands[RUN_BRANDS_MAX] = {0};
    char replay_list[1024];
    const char *replay_files[ODZ_REPLAY_MAX_FILES];
    odz_replay_config rcfg = {0};
    if (odz_opts_logging(opts, "run") || api_config(opts, &ac) || feed_config(opts, &fc) ||
        odz_opts_clock(opts) || scraper_config(opts, &sc, &ident) ||
        replay_config(opts, replay_list, sizeof replay_list, replay_files, &rcfg))
        return 2;
    rcfg.tz = ac.tz;
    const char *ext = odz_opt_get(opts, "source");
    if (brands_config(opts, *ext != 0, brand_list, sizeof brand_list, brand_names, &n_brands))
        return 2;
    const char *xopt = odz_opt_get(opts, "exchange");
    odz_fx_server_config xc;
    if ((strcmp(xopt, "on") && strcmp(xopt, "off")) || exchange_config(opts, &xc)) {
        fprintf(stderr, "oddzy run: --exchange must be on or off\n");
        return 2;
    }
    bool exchange = !strcmp(xopt, "on") && !*ext;
    const char *rate = odz_opt_get(opts, "rate");
    if (!*rate)
        sc.rate = *ext ? 1 : 50;
    char err[ODZ_ERRLEN], source_url[64];
    const char *db = odz_opt_get(opts, "db");
    if (!strncmp(db, "var/", 4))
        mkdir("var", 0755);
    odz_signals_block();
    odz_metrics_server *ms;
    if ((rc = odz_opts_metrics_start(opts, "run", &ms)))
        return rc == ODZ_EINVAL ? 2 : 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    odz_bus *bus = odz_bus_inproc_new();
    odz_bus_metrics_register(bus);
    odz_store *store = odz_store_open(db, err);
    odz_racing *racing = NULL;
    odz_feed *feed = NULL;
    feed_ctx fctx = {0};
    odz_http_server *fsrv = NULL;
    odz_scraper *scraper = NULL;
    odz_price_updater *prices = NULL;
    odz_replay *replay = NULL;
    odz_fx_server *xsrv = NULL;
    odz_bf_client *xcli = NULL;
    odz_api *api = NULL;
    int status = 1;
    if (!store || !(racing = odz_racing_start(bus, store, ac.tz, err)))
        goto out;
    if (!*ext) {
        if (!(feed = odz_feed_new(&fc, err, sizeof err)) ||
            !(fsrv = feed_server(feed, &fctx, "127.0.0.1", 0, err)))
            goto out;
        snprintf(source_url, sizeof source_url, "http://127.0.0.1:%d", odz_http_port(fsrv));
        sc.source_url = source_url;
        sc.format = "entain";
    }
    if (!(api = odz_api_new(bus, &ac, err)) || !(scraper = odz_scraper_start(bus, &sc, err)))
        goto out;
    for (size_t i = 0; i < n_brands; i++) { /* the world's bookmakers, one scraper each */
        odz_scraper_config bc = sc;
        snprintf(brand_url[i], sizeof brand_url[i], "%s/b/%s", sc.source_url, brand_names[i]);
        bc.source_url = brand_url[i];
        bc.provider = brand_names[i];
        if (!(brands[i] = odz_scraper_start(bus, &bc, err)))
            goto out;
    }
    char xport[16];
    if (exchange) { /* the world's exchange, and the Betfair client streaming from it */
        if (!(xsrv = odz_fx_server_start(feed, &xc, err, sizeof err)))
            goto out;
        snprintf(xport, sizeof xport, "%d", odz_fx_server_port(xsrv));
        static const char *const types[] = {"7", "4339"}, *const markets[] = {"WIN", "PLACE"};
        odz_bf_client_config bc = {
            .host = "127.0.0.1",
            .port = xport,
            .tls = false,
            .app_key = "oddzy-simulated", /* the simulated exchange takes any key and token */
            .session_token = "simulated",
            .sub = {.event_type_ids = types,
                    .n_event_type_ids = 2,
                    .market_types = markets,
                    .n_market_types = 2},
            .tz = ac.tz,
        };
        if (!(xcli = odz_bf_client_start(bus, &bc, err)))
            goto out;
    }
    odz_prices_config pc;
    odz_prices_config_defaults(&pc);
    pc.seed = fc.seed;
    if (!(prices = odz_prices_start(bus, &pc, err)))
        goto out;
    if (rcfg.n_files && !(replay = odz_replay_start(bus, &rcfg, err)))
        goto out;
    run_thread ft = {fsrv};
    pthread_t feed_t, sig_t;
    if (fsrv)
        pthread_create(&feed_t, NULL, http_thread, &ft);
    stopper st = {odz_api_http(api), fsrv};
    pthread_create(&sig_t, NULL, wait_signal, &st);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", odz_api_port(api));
    char db_shown[512];
    odz_log_redact_url(db, db_shown, sizeof db_shown);
    odz_log_kv(ODZ_LOG_INFO, "oddzy is running", "url",
               ac.port == 8080 ? "http://localhost:8080" : "http://localhost", "port", ps, "source",
               sc.source_url, "db", db_shown, "metrics", "/metrics", NULL);
    fprintf(stderr, "\n  Oddzy is running: http://localhost:%s   (API /api/racing/schedule, metrics "
                    "/metrics; Ctrl-C stops)\n\n",
            ps);
    odz_http_run(odz_api_http(api));
    pthread_kill(sig_t, SIGTERM);
    pthread_join(sig_t, NULL);
    odz_bf_client_stop(xcli);
    xcli = NULL;
    odz_scraper_stop(scraper);
    scraper = NULL;
    for (size_t i = 0; i < n_brands; i++) {
        odz_scraper_stop(brands[i]);
        brands[i] = NULL;
    }
    if (fsrv) {
        odz_http_stop(fsrv);
        pthread_join(feed_t, NULL);
    }
    status = 0;
out:
    if (status)
        fprintf(stderr, "oddzy run: %s\n", err);
    odz_metrics_server_stop(ms);
    odz_replay_stop(replay, NULL);
    odz_bf_client_stop(xcli);
    odz_fx_server_stop(xsrv);
    odz_scraper_stop(scraper);
    for (size_t i = 0; i < n_brands; i++)
        odz_scraper_stop(brands[i]);
    odz_prices_stop(prices);
    odz_api_free(api);
    feed_ctx_free(&fctx);
    odz_http_free(fsrv);
    odz_feed_free(feed);
    odz_racing_stop(racing);
    odz_bus_metrics_unregister(bus);
    bus->ops->close(bus);
    if (store)
        store->ops->close(store);
    curl_global_cleanup();
    odz_metrics_free_all();
    return status;
}

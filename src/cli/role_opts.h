/* Option rows and their parsing shared by a role and `oddzy run`, which runs them all in one
 * process: each is defined in its role's file (cmd_feed.c, cmd_scraper.c, cmd_api.c). */
#ifndef ODZ_CLI_ROLE_OPTS_H
#define ODZ_CLI_ROLE_OPTS_H

#include "api/api.h"
#include "cli/opts.h"
#include "cli/sources.h"
#include "feed/exchange.h"
#include "feed/feed.h"
#include "feed/http.h"
#include "scraper/scraper.h"

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

/* (shared by `oddzy scraper` and `oddzy run`) */
#define SCRAPER_INFLIGHT_OPT                                                                       \
    {"max-inflight", "ODDZY_MAX_INFLIGHT", "8",                                                    \
     "requests to the source at once (1..256), within --rate", NULL, 0}

/* How a source is polled: its format, pace and timeout, with the default and help of --rate
 * and the help of --schedule-interval of the role (`oddzy run` defaults --rate by source). */
#define SCRAPER_POLL_OPTS(rate_default, rate_help, interval_help)                                  \
    {"format", "ODDZY_FORMAT", "entain", "format of --source: entain or oddscomau", NULL, 0},      \
        {"rate", "ODDZY_RATE", rate_default, rate_help, NULL, 0},                                  \
        {"timeout-ms", "ODDZY_TIMEOUT_MS", "10000", "per-request timeout", NULL, 0},               \
        {"schedule-interval", "ODDZY_SCHEDULE_INTERVAL", "300", interval_help, NULL, 0},           \
        SCRAPER_INFLIGHT_OPT

#define SOURCE_IDENT_OPTS                                                                          \
    {"provider", "ODDZY_PROVIDER", "",                                                             \
     "name the prices of an entain-format source as this bookmaker's (a preset names its own)",   \
     NULL, 0},                                                                                     \
        {"partner", "ODDZY_PARTNER", "", "X-Partner request header: who you are (Entain asks)", NULL,  \
     0},                                                                                           \
        {"partner-id", "ODDZY_PARTNER_ID", "", "X-Partner-ID request header (TAB NZ)", NULL, 0},  \
        {"from", "ODDZY_FROM", "", "From request header: your e-mail address (Entain asks)", NULL, \
         0}

#define API_OPTS                                                                                   \
    {"host", "ODDZY_HOST", "0.0.0.0", "address to listen on", NULL, 0},                           \
        {"port", "ODDZY_PORT", "8080", "port to listen on", NULL, 0},                             \
        {"threads", "ODDZY_THREADS", "1", "event loops (one per core, SO_REUSEPORT)", NULL, 0},  \
        {"max-connections", "ODDZY_MAX_CONNECTIONS", "20000", "connection limit", NULL, 0},      \
        {"web", "ODDZY_WEB", "web/dist", "directory of the web front end ('' for none)", NULL, 0}, \
        {"metrics-public", "ODDZY_METRICS_PUBLIC", "0",                                          \
         "answer /metrics on the API port to any peer, not only loopback (1 or 0)", NULL, 1},     \
        {"view-coding-keep-ms", "ODDZY_VIEW_CODING_KEEP_MS", "10000",                            \
         "a view's gzip or brotli is made again on rebuild while a request asked for it within "  \
         "this many ms (0-3600000)",                                                              \
         NULL, 0},                                                                                \
        ODZ_OPT_METRICS_ADDR

/** The simulated world's settings (--seed, --fail-rate, --garbage-rate, --slow-ms, --tz).
 * 0 or ODZ_EINVAL after printing what is wrong. */
int odz_opts_feed(const odz_opt *opts, odz_feed_config *fc);
/** The exchange server's settings from the options (port given separately). */
int odz_opts_exchange(const odz_opt *opts, odz_fx_server_config *xc);
/** The scraper's settings: --source (a preset name or a URL), --format, the identification
 * headers, --rate, --timeout-ms, --schedule-interval, --max-inflight, --tz; sc points into
 * id. 0 or ODZ_EINVAL after printing what is wrong. */
int odz_opts_scraper(const odz_opt *opts, odz_scraper_config *sc, odz_source *id);
/** The API's settings of API_OPTS and --tz. 0 or ODZ_EINVAL after printing what is wrong. */
int odz_opts_api(const odz_opt *opts, odz_api_config *ac);

/* The simulated world served over HTTP, and its Betfair exchange once started: `oddzy feed`
 * serves it alone, `oddzy run` beside everything else. */
typedef struct {
    odz_feed *feed;
    odz_feed_http *http;
    odz_fx_server *fx; /* set by the caller (odz_fx_server_start on feed), or NULL */
} odz_world;

/** The world of fc served on host:port (0: any free port). 0, or ODZ_EINVAL (a world that
 * cannot be built from fc) or ODZ_EIO (cannot listen) with words in err[ODZ_ERRLEN]; then
 * odz_world_stop undoes what was started. */
int odz_world_start(odz_world *w, const odz_feed_config *fc, const char *host, int port,
                    char *err);
/** Stop the exchange, the HTTP server and the world (any of them not started: skipped). */
void odz_world_stop(odz_world *w);

#endif

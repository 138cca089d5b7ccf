/* oddzy run: everything in one process. */
#include "api/api.h"
#include "betfair/client.h"
#include "betfair/replay.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "cli/role_opts.h"
#include "cli/sources.h"
#include "core/err.h"
#include "core/tz.h"
#include "feed/exchange.h"
#include "feed/feed.h"
#include "feed/http.h"
#include "obs/log.h"
#include "prices/updater.h"
#include "scraper/scraper.h"
#include "scraper/share.h"
#include "source/providers.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

typedef struct {
    odz_api_config ac;
    odz_feed_config fc;
    odz_scraper_config sc;
    odz_source ident;
    odz_fx_server_config xc;
    bool exchange; /* the world's exchange and the Betfair client on it */
    const char *ext; /* --source, or "" for the simulated world */
    char brand_list[128], brand_url[RUN_BRANDS_MAX][96];
    const char *brand_names[RUN_BRANDS_MAX];
    size_t n_brands, n_sources;
    odz_scraper_config bcfg[RUN_BRANDS_MAX];
    odz_share world_brands; /* the world's Entain-format bookmakers: one group */
    size_t grouped;
    odz_source sources[ODZ_PROVIDERS_MAX];
    char replay_list[1024];
    const char *replay_files[ODZ_REPLAY_MAX_FILES];
    odz_replay_config rcfg;
    char source_url[64], xport[16];
    /* what runs */
    odz_world world; /* without --source */
    odz_scraper *scraper;
    odz_scraper *brands[RUN_BRANDS_MAX];
    odz_scraper *more[ODZ_PROVIDERS_MAX];
    odz_price_updater *prices;
    odz_replay *replay;
    odz_bf_client *xcli;
    odz_api *api;
} run_role;

static int run_configure(const odz_opt *opts, const char **args, size_t n_args, void *ctx)
{
    run_role *r = ctx;
    if (odz_opts_api(opts, &r->ac) || odz_opts_feed(opts, &r->fc) ||
        odz_opts_scraper(opts, &r->sc, &r->ident) ||
        replay_config(opts, r->replay_list, sizeof r->replay_list, r->replay_files, &r->rcfg))
        return ODZ_EINVAL;
    r->rcfg.tz = r->ac.tz;
    const char *ext = r->ext = odz_opt_get(opts, "source");
    if (brands_config(opts, *ext != 0, r->brand_list, sizeof r->brand_list, r->brand_names,
                      &r->n_brands))
        return ODZ_EINVAL;
    const char *xopt = odz_opt_get(opts, "exchange");
    if ((strcmp(xopt, "on") && strcmp(xopt, "off")) || odz_opts_exchange(opts, &r->xc)) {
        fprintf(stderr, "oddzy run: --exchange must be on or off\n");
        return ODZ_EINVAL;
    }
    r->exchange = !strcmp(xopt, "on") && !*ext;
    const char *rate = odz_opt_get(opts, "rate");
    if (!*rate)
        r->sc.rate = *ext ? 1 : 50;
    /* --sources: each with its own rate and timeout, beside the world (or --source) */
    const char *file = odz_opt_get(opts, "sources");
    if (*file && odz_sources_load(file, &r->sc, r->sources, &r->n_sources))
        return ODZ_EINVAL;
    if (!strncmp(odz_opt_get(opts, "db"), "var/", 4))
        mkdir("var", 0755);
    return 0;
}

/* The simulated world over HTTP on a loopback port, and the scrapers of its bookmakers: its
 * own brand (sc) and --bookmakers give a race the same ids, so they form a group as the
 * Entain brands of a file do. */
static int run_world(run_role *r, char *err)
{
    if (odz_world_start(&r->world, &r->fc, "127.0.0.1", 0, err))
        return ODZ_EIO;
    snprintf(r->source_url, sizeof r->source_url, "http://127.0.0.1:%d",
             odz_http_port(odz_feed_http_server(r->world.http)));
    r->sc.source_url = r->source_url;
    r->sc.format = "entain";
    odz_scraper_config *members[1 + RUN_BRANDS_MAX] = {&r->sc};
    for (size_t i = 0; i < r->n_brands; i++) {
        r->bcfg[i] = r->sc;
        snprintf(r->brand_url[i], sizeof r->brand_url[i], "%s/b/%s", r->sc.source_url,
                 r->brand_names[i]);
        r->bcfg[i].source_url = r->brand_url[i];
        r->bcfg[i].provider = r->brand_names[i];
        members[1 + i] = &r->bcfg[i];
    }
    r->grouped = odz_sources_group(&r->world_brands, members, NULL, 1 + r->n_brands);
    return 0;
}

/* The world's exchange, and the Betfair client streaming from it. */
static int run_exchange(run_role *r, odz_bus *bus, char *err)
{
    if (!(r->world.fx = odz_fx_server_start(r->world.feed, &r->xc, err, ODZ_ERRLEN)))
        return ODZ_EIO;
    snprintf(r->xport, sizeof r->xport, "%d", odz_fx_server_port(r->world.fx));
    static const char *const types[] = {"7", "4339"}, *const markets[] = {"WIN", "PLACE"};
    odz_bf_client_config bc = {
        .host = "127.0.0.1",
        .port = r->xport,
        .tls = false,
        .app_key = "oddzy-simulated", /* the simulated exchange takes any key and token */
        .session_token = "simulated",
        .sub = {.event_type_ids = types,
                .n_event_type_ids = 2,
                .market_types = markets,
                .n_market_types = 2},
        .tz = r->ac.tz,
    };
    return (r->xcli = odz_bf_client_start(bus, &bc, err)) ? 0 : ODZ_EIO;
}

static int run_start(odz_role_env *env, const odz_opt *opts, void *ctx, odz_role_http *http,
                     char *err)
{
    run_role *r = ctx;
    odz_bus *bus = env->bus;
    if (!*r->ext && run_world(r, err))
        return 1;
    if (!(r->api = odz_api_new(bus, &r->ac, err)) ||
        !(r->scraper = odz_scraper_start(bus, &r->sc, err)))
        return 1;
    for (size_t i = 0; i < r->n_brands; i++)
        if (!(r->brands[i] = odz_scraper_start(bus, &r->bcfg[i], err)))
            return 1;
    for (size_t i = 0; i < r->n_sources; i++) {
        if (!(r->more[i] = odz_scraper_start(bus, &r->sources[i].cfg, err)))
            return 1;
        odz_log_kv(ODZ_LOG_INFO, "scraper started", "source", r->sources[i].cfg.source_url,
                   "provider", r->sources[i].p.name, NULL);
    }
    if (r->exchange && run_exchange(r, bus, err))
        return 1;
    odz_prices_config pc;
    odz_prices_config_defaults(&pc);
    pc.seed = r->fc.seed;
    if (!(r->prices = odz_prices_start(bus, &pc, err)))
        return 1;
    if (r->rcfg.n_files && !(r->replay = odz_replay_start(bus, &r->rcfg, err)))
        return 1;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", odz_api_port(r->api));
    char db_shown[512];
    odz_log_redact_url(odz_opt_get(opts, "db"), db_shown, sizeof db_shown);
    odz_log_kv(ODZ_LOG_INFO, "oddzy is running", "url",
               r->ac.port == 8080 ? "http://localhost:8080" : "http://localhost", "port", ps,
               "source", r->sc.source_url, "db", db_shown, "metrics", "/metrics", NULL);
    fprintf(stderr, "\n  Oddzy is running: http://localhost:%s   (API /api/racing/schedule, metrics "
                    "/metrics; Ctrl-C stops)\n\n",
            ps);
    http->main = odz_api_http(r->api);
    http->also = r->world.http ? odz_feed_http_server(r->world.http) : NULL;
    return 0;
}

static void run_stop(void *ctx)
{
    run_role *r = ctx;
    odz_replay_stop(r->replay, NULL);
    odz_bf_client_stop(r->xcli);
    odz_scraper_stop(r->scraper);
    for (size_t i = 0; i < r->n_brands; i++)
        odz_scraper_stop(r->brands[i]);
    if (r->grouped)
        odz_share_destroy(&r->world_brands);
    for (size_t i = 0; i < r->n_sources; i++)
        odz_scraper_stop(r->more[i]);
    odz_prices_stop(r->prices);
    odz_api_free(r->api);
    odz_world_stop(&r->world);
}

static const char usage[] =
    "Usage: oddzy run [--port 8080] [--db var/oddzy.db] [--speed N] [--seed N]\n"
    "                 [--source URL --format entain|oddscomau] [--sources FILE]\n"
    "                 [--bookmakers ladbrokes,neds,tab-nz] [--exchange on|off]\n"
    "                 [--replay FILE[,FILE...] [--replay-speed N|max]]\n\n"
    "Everything in one process: racing service on SQLite, in-process bus, the simulated\n"
    "source (or --source), the scraper, the price updater and the API with the web\n"
    "front end. With the simulated world, also its Betfair exchange (Stream API on a\n"
    "loopback port) and a Betfair stream client reading it (--exchange off: neither), and\n"
    "with --bookmakers one scraper per bookmaker brand; with --sources FILE, one scraper\n"
    "per source of the file beside the simulated world (or --source), which still serves\n"
    "the site; with --replay, recorded Betfair markets played beside them.";

static const odz_opt opts[] = {
    API_OPTS,
    ODZ_OPT_DB,
    ODZ_OPT_TZ,
    {"source", "ODDZY_SOURCE", "",
     "poll this external source instead of the built-in simulated one: a URL, or a "
     "bookmaker preset (ladbrokes, neds, tab-nz)",
     NULL, 0},
    SOURCE_IDENT_OPTS,
    SCRAPER_POLL_OPTS("",
                      "requests a second towards the source (default 1 external, 50 "
                      "simulated)",
                      "seconds (simulated) between meetings-list polls"),
    {"sources", "ODDZY_SOURCES", "",
     "also scrape the sources of this YAML file (docs/operations.md), each with a scraper "
     "of its own, beside the simulated world (or --source)",
     NULL, 0},
    FEED_OPTS,
    {"bookmakers", "ODDZY_BOOKMAKERS", "",
     "with the simulated world: also read these of its bookmaker brands (comma-separated: "
     "ladbrokes, neds, tab-nz), each priced its own way and stored as its own provider; "
     "they share the world's ids, so only one of them stores the shared parts",
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
    ODZ_OPT_END,
};

/* no bus option: the in-process bus, and the racing service on it */
const odz_role_def odz_role_run = {
    .name = "run", .summary = "everything in one process: http://localhost:8080 with live data",
    .usage = usage, .opts = opts,
    .flags = ODZ_ROLE_CLOCK | ODZ_ROLE_BUS | ODZ_ROLE_CURL | ODZ_ROLE_METRICS,
    .ctx_size = sizeof(run_role),
    .configure = run_configure, .start = run_start, .stop = run_stop};

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

int odz_cmd_run(int argc, char **argv)
{
    odz_opt opts[] = {
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
        ODZ_OPT_CLOCK,
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    int rc = odz_opts_parse(
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
        "the site; with --replay, recorded Betfair markets played beside them.",
        opts, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    odz_api_config ac;
    odz_feed_config fc;
    odz_scraper_config sc;
    odz_source ident;
    char brand_list[128], brand_url[RUN_BRANDS_MAX][96];
    const char *brand_names[RUN_BRANDS_MAX];
    size_t n_brands = 0, n_sources = 0;
    odz_scraper *brands[RUN_BRANDS_MAX] = {0};
    odz_scraper_config bcfg[RUN_BRANDS_MAX];
    static odz_share world_brands; /* the world's Entain-format bookmakers: one group */
    size_t grouped = 0;
    static odz_source sources[ODZ_PROVIDERS_MAX];
    static odz_scraper *more[ODZ_PROVIDERS_MAX];
    char replay_list[1024];
    const char *replay_files[ODZ_REPLAY_MAX_FILES];
    odz_replay_config rcfg = {0};
    if (odz_role_init(opts, "run", ODZ_ROLE_CLOCK) || odz_opts_api(opts, &ac) ||
        odz_opts_feed(opts, &fc) || odz_opts_scraper(opts, &sc, &ident) ||
        replay_config(opts, replay_list, sizeof replay_list, replay_files, &rcfg))
        return 2;
    rcfg.tz = ac.tz;
    const char *ext = odz_opt_get(opts, "source");
    if (brands_config(opts, *ext != 0, brand_list, sizeof brand_list, brand_names, &n_brands))
        return 2;
    const char *xopt = odz_opt_get(opts, "exchange");
    odz_fx_server_config xc;
    if ((strcmp(xopt, "on") && strcmp(xopt, "off")) || odz_opts_exchange(opts, &xc)) {
        fprintf(stderr, "oddzy run: --exchange must be on or off\n");
        return 2;
    }
    bool exchange = !strcmp(xopt, "on") && !*ext;
    const char *rate = odz_opt_get(opts, "rate");
    if (!*rate)
        sc.rate = *ext ? 1 : 50;
    /* --sources: each with its own rate and timeout, beside the world (or --source) */
    const char *file = odz_opt_get(opts, "sources");
    if (*file && odz_sources_load(file, &sc, sources, &n_sources))
        return 2;
    char err[ODZ_ERRLEN], source_url[64];
    const char *db = odz_opt_get(opts, "db");
    if (!strncmp(db, "var/", 4))
        mkdir("var", 0755);
    odz_role_env env; /* no bus option: the in-process bus, and the racing service on it */
    if ((rc = odz_role_env_open(opts, "run", ac.tz, ODZ_ROLE_BUS | ODZ_ROLE_CURL, &env)))
        return rc;
    odz_bus *bus = env.bus;
    odz_feed *feed = NULL;
    odz_feed_http *fh = NULL;
    odz_scraper *scraper = NULL;
    odz_price_updater *prices = NULL;
    odz_replay *replay = NULL;
    odz_fx_server *xsrv = NULL;
    odz_bf_client *xcli = NULL;
    odz_api *api = NULL;
    int status = 1;
    if (!*ext) {
        if (!(feed = odz_feed_new(&fc, err, sizeof err)) ||
            !(fh = odz_feed_http_new(feed, "127.0.0.1", 0, err)))
            goto out;
        snprintf(source_url, sizeof source_url, "http://127.0.0.1:%d",
                 odz_http_port(odz_feed_http_server(fh)));
        sc.source_url = source_url;
        sc.format = "entain";
        /* the world's bookmakers, one scraper each: its own brand (sc) and --bookmakers give a
         * race the same ids, so they form a group as the Entain brands of a file do */
        odz_scraper_config *members[1 + RUN_BRANDS_MAX] = {&sc};
        for (size_t i = 0; i < n_brands; i++) {
            bcfg[i] = sc;
            snprintf(brand_url[i], sizeof brand_url[i], "%s/b/%s", sc.source_url, brand_names[i]);
            bcfg[i].source_url = brand_url[i];
            bcfg[i].provider = brand_names[i];
            members[1 + i] = &bcfg[i];
        }
        grouped = odz_sources_group(&world_brands, members, NULL, 1 + n_brands);
    }
    if (!(api = odz_api_new(bus, &ac, err)) || !(scraper = odz_scraper_start(bus, &sc, err)))
        goto out;
    for (size_t i = 0; i < n_brands; i++)
        if (!(brands[i] = odz_scraper_start(bus, &bcfg[i], err)))
            goto out;
    for (size_t i = 0; i < n_sources; i++) {
        if (!(more[i] = odz_scraper_start(bus, &sources[i].cfg, err)))
            goto out;
        odz_log_kv(ODZ_LOG_INFO, "scraper started", "source", sources[i].cfg.source_url,
                   "provider", sources[i].p.name, NULL);
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
    odz_role_serve(&env, odz_api_http(api), fh ? odz_feed_http_server(fh) : NULL);
    status = 0;
out:
    if (status)
        fprintf(stderr, "oddzy run: %s\n", err);
    odz_replay_stop(replay, NULL);
    odz_bf_client_stop(xcli);
    odz_fx_server_stop(xsrv);
    odz_scraper_stop(scraper);
    for (size_t i = 0; i < n_brands; i++)
        odz_scraper_stop(brands[i]);
    if (grouped)
        odz_share_destroy(&world_brands);
    for (size_t i = 0; i < n_sources; i++)
        odz_scraper_stop(more[i]);
    odz_prices_stop(prices);
    odz_api_free(api);
    odz_feed_http_free(fh);
    odz_feed_free(feed);
    odz_role_env_close(&env);
    return status;
}

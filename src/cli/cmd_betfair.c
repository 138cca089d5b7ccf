/* oddzy betfair: the Betfair Exchange stream into the racing service. */
#include "betfair/client.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_MAX 512
#define LIST_MAX ODZ_BF_FILTER_MAX

/* A secret from the environment variable `env`, else from the file named by option `file`
 * (its first line). Never printed. 0 or ODZ_EINVAL after saying which is missing. */
static int secret(const odz_opt *opts, const char *env, const char *file, char *out, size_t n)
{
    const char *v = getenv(env);
    if (v && *v)
        return odz_strlcpy(out, v, n) ? (fprintf(stderr, "oddzy betfair: %s too long\n", env),
                                         ODZ_EINVAL)
                                      : 0;
    const char *path = odz_opt_get(opts, file);
    FILE *f = *path ? fopen(path, "r") : NULL;
    if (!f) {
        fprintf(stderr, "oddzy betfair: set %s or --%s\n", env, file);
        return ODZ_EINVAL;
    }
    char *ok = fgets(out, (int)n, f);
    fclose(f);
    size_t len = ok ? strcspn(out, "\r\n") : 0;
    if (!len) {
        fprintf(stderr, "oddzy betfair: --%s is empty\n", file);
        return ODZ_EINVAL;
    }
    out[len] = '\0';
    return 0;
}

int odz_cmd_betfair(int argc, char **argv)
{
    odz_opt opts[] = {
        {"stream", "ODDZY_BETFAIR_STREAM", "stream-api.betfair.com:443",
         "HOST:PORT of the Exchange Stream API", NULL, 0},
        {"plain", NULL, NULL, "plain TCP instead of TLS (a local simulated exchange)", NULL, 1},
        {"ca-file", "ODDZY_BETFAIR_CA_FILE", "", "TLS: trust these certificates (PEM)", NULL, 0},
        {"app-key-file", "ODDZY_BETFAIR_APP_KEY_FILE", "",
         "file holding the application key (or env ODDZY_BETFAIR_APP_KEY)", NULL, 0},
        {"session-file", "ODDZY_BETFAIR_SESSION_FILE", "",
         "file holding the session token from the Betfair login (or env ODDZY_BETFAIR_SESSION)",
         NULL, 0},
        {"event-types", "ODDZY_BETFAIR_EVENT_TYPES", "7,4339",
         "event type ids: 7 horse racing, 4339 greyhounds", NULL, 0},
        {"countries", "ODDZY_BETFAIR_COUNTRIES", "", "country codes, e.g. AU,NZ,GB (empty: all)",
         NULL, 0},
        {"market-types", "ODDZY_BETFAIR_MARKET_TYPES", "WIN,PLACE", "market types", NULL, 0},
        {"bus", "ODDZY_BUS", "inproc", "message bus: inproc or nats://HOST:PORT[,nats://...]",
         NULL, 0},
        {"db", "ODDZY_DB", "var/oddzy.db",
         "with the in-process bus, the role runs the racing service on this database", NULL, 0},
        {"tz", "ODDZY_TZ", ODZ_DEFAULT_TZ, "IANA time zone of race days", NULL, 0},
        ODZ_OPT_METRICS_ADDR,
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    int rc = odz_opts_parse(
        "Usage: oddzy betfair [--stream HOST:PORT] [--countries AU,NZ] [--db ...]\n\n"
        "Subscribes to the Betfair Exchange Stream API (best offers 3 deep, last traded price,\n"
        "traded volume, market definitions) for horse racing and greyhound WIN and PLACE\n"
        "markets and sends what changes to the racing service about once a second: meetings,\n"
        "races, runners, exchange back and lay prices, scratchings and results. Reconnects\n"
        "with backoff and resubscribes from the last clk. The application key and the session\n"
        "token (from Betfair's login, which this role does not do) come from the environment\n"
        "or files, never from flags.",
        opts, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    static char app_key[SECRET_MAX], session[SECRET_MAX];
    char hostport[256], types[256], countries[256], markets[256];
    const char *type_v[LIST_MAX], *country_v[LIST_MAX], *market_v[LIST_MAX];
    odz_bf_client_config cfg = {.tls = !*odz_opt_get(opts, "plain"),
                                .tz = odz_opt_get(opts, "tz")};
    char *colon;
    if (odz_opts_logging(opts, "betfair") ||
        odz_strlcpy(hostport, odz_opt_get(opts, "stream"), sizeof hostport) ||
        !(colon = strrchr(hostport, ':')) || colon == hostport || !colon[1]) {
        fprintf(stderr, "oddzy betfair: --stream must be HOST:PORT\n");
        return 2;
    }
    *colon = '\0';
    cfg.host = hostport;
    cfg.port = colon + 1;
    cfg.ca_file = *odz_opt_get(opts, "ca-file") ? odz_opt_get(opts, "ca-file") : NULL;
    if (secret(opts, "ODDZY_BETFAIR_APP_KEY", "app-key-file", app_key, sizeof app_key) ||
        secret(opts, "ODDZY_BETFAIR_SESSION", "session-file", session, sizeof session))
        return 2;
    cfg.app_key = app_key;
    cfg.session_token = session;
    cfg.sub.event_type_ids = type_v;
    cfg.sub.country_codes = country_v;
    cfg.sub.market_types = market_v;
    if (odz_strlcpy(types, odz_opt_get(opts, "event-types"), sizeof types) ||
        odz_strlcpy(countries, odz_opt_get(opts, "countries"), sizeof countries) ||
        odz_strlcpy(markets, odz_opt_get(opts, "market-types"), sizeof markets) ||
        odz_opt_list(types, type_v, LIST_MAX, &cfg.sub.n_event_type_ids) ||
        odz_opt_list(countries, country_v, LIST_MAX, &cfg.sub.n_country_codes) ||
        odz_opt_list(markets, market_v, LIST_MAX, &cfg.sub.n_market_types)) {
        fprintf(stderr, "oddzy betfair: --event-types, --countries or --market-types too long "
                        "(at most %d items)\n",
                LIST_MAX);
        return 2;
    }
    char err[ODZ_ERRLEN];
    odz_signals_block();
    odz_role_env env;
    if ((rc = odz_role_env_open(opts, "betfair", cfg.tz, &env)))
        return rc;
    odz_bf_client *c = odz_bf_client_start(env.bus, &cfg, err);
    if (!c) {
        fprintf(stderr, "oddzy betfair: %s\n", err);
        odz_role_env_close(&env);
        return 2;
    }
    odz_log_kv(ODZ_LOG_INFO, "betfair stream started", "host", cfg.host, "port", cfg.port,
               "tls", cfg.tls ? "true" : "false", NULL);
    int sig = odz_signals_wait();
    odz_log_kv(ODZ_LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    odz_bf_client_stop(c);
    odz_role_env_close(&env);
    odz_metrics_free_all();
    return 0;
}

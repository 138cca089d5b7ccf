/* oddzy scraper: one source (--source) or several (--sources), active-standby over a shared
 * PostgreSQL database. */
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "cli/role_opts.h"
#include "cli/sources.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"
#include "scraper/scraper.h"
#include "scraper/standby.h"
#include "source/providers.h"
#include "store/leader.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRAPER_OPTS                                                                               \
    {"source", "ODDZY_SOURCE", "http://127.0.0.1:8090",                                            \
     "base URL of the racing data source, or a bookmaker preset: ladbrokes, neds or tab-nz "       \
     "(their Entain affiliates API; its prices are that bookmaker's)",                             \
     NULL, 0},                                                                                     \
        SOURCE_IDENT_OPTS,                                                                         \
        SCRAPER_POLL_OPTS("1", "requests a second towards the source",                             \
                          "seconds between meetings-list polls")

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

int odz_opts_scraper(const odz_opt *opts, odz_scraper_config *sc, odz_source *id)
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

/* One source (--source), or several (--sources), each with its own leadership lock. */
typedef struct {
    odz_scraper_config sc;
    odz_source ident;
    odz_standby_config sbc;
    const char *file; /* --sources, or "" */
    size_t n;
    odz_source many[ODZ_PROVIDERS_MAX];
    char locks[ODZ_PROVIDERS_MAX][ODZ_KEY_MAX];
    odz_standby *s[ODZ_PROVIDERS_MAX];
    odz_leader *leader;
} scraper_role;

static int scraper_configure(const odz_opt *opts, const char **args, size_t n_args, void *ctx)
{
    scraper_role *r = ctx;
    int64_t retry;
    if (odz_opts_scraper(opts, &r->sc, &r->ident) ||
        odz_opt_int(opts, "standby-retry-ms", 100, 60000, &retry))
        return ODZ_EINVAL;
    r->sbc.retry_ms = (int)retry;
    r->sbc.check_ms = retry < 1000 ? (int)retry : 1000;
    r->file = odz_opt_get(opts, "sources");
    r->n = 1;
    if (*r->file && odz_opt_given(opts, "source")) {
        fprintf(stderr, "oddzy scraper: --source and --sources are either-or\n");
        return ODZ_EINVAL;
    }
    if (*r->file && odz_sources_load(r->file, &r->sc, r->many, &r->n))
        return ODZ_EINVAL;
    return 0;
}

static int scraper_start(odz_role_env *env, const odz_opt *opts, void *ctx, odz_role_http *http,
                         char *err)
{
    scraper_role *r = ctx;
    const char *file = r->file;
    /* Over NATS the racing service is another process; a PostgreSQL database is then only
     * for the leadership session (no store, no migrations). */
    const char *db = odz_opt_get(opts, "db");
    bool shared = odz_store_url_is_postgres(db, NULL) == 1;
    if (shared && !(r->leader = odz_leader_open(db, err)))
        return 2;
    for (size_t i = 0; i < r->n; i++) {
        odz_standby_config one = r->sbc;
        if (*file) {
            if (snprintf(r->locks[i], sizeof r->locks[i], "%s/%s", ODZ_SCRAPER_LEADER_NAME,
                         r->many[i].p.name) >= (int)sizeof r->locks[i])
                abort(); /* a provider name is at most ODZ_PROVIDER_MAX - 1 bytes */
            one.lock_name = r->locks[i];
        }
        const odz_scraper_config *sc = *file ? &r->many[i].cfg : &r->sc;
        if (!(r->s[i] = odz_standby_start(env->bus, r->leader, sc, &one, err)))
            return 2;
        odz_log_kv(ODZ_LOG_INFO, "scraper started", "source", sc->source_url, "provider",
                   *file ? r->many[i].p.name : sc->provider ? sc->provider : sc->format, "bus",
                   odz_opt_get(opts, "bus"), "leadership",
                   r->leader   ? r->leader->ops->name
                   : env->store ? env->store->ops->name
                                : "none (always active)",
                   NULL);
    }
    return 0;
}

static void scraper_stop(void *ctx)
{
    scraper_role *r = ctx;
    for (size_t i = 0; i < r->n; i++)
        odz_standby_stop(r->s[i]);
    if (r->leader)
        r->leader->ops->close(r->leader);
}

static const char usage[] =
    "Usage: oddzy scraper --source URL --format entain|oddscomau [--rate N]\n"
    "                     [--metrics-addr HOST:PORT]\n\n"
    "Polls a racing data source on the adaptive schedule (every 6 h days away, hourly\n"
    "within 12 h, every 10 min within the hour, every 30 s near the jump, every 60 s\n"
    "when overdue, until FINAL with results or ABANDONED) and stores what changed\n"
    "through the racing service. Up to --max-inflight requests are under way at once,\n"
    "within --rate; races that have run and races within the hour go first.\n\n"
    "With --db postgres://... several scrapers run active-standby: the holder of a\n"
    "PostgreSQL advisory lock scrapes, the others retry every --standby-retry-ms and take\n"
    "over when it dies (gauge oddzy_scraper_leader).";

static const odz_opt opts[] = {
    SCRAPER_OPTS,
    {"sources", "ODDZY_SOURCES", "",
     "YAML file of several sources (docs/operations.md), each scraped on its own in this "
     "process; instead of --source",
     NULL, 0},
    ODZ_OPT_BUS,
    ODZ_OPT_BUS_DB("the scraper", "; with a postgres:// URL, the scrapers sharing it run "
                                  "active-standby (one scrapes)"),
    {"standby-retry-ms", "ODDZY_STANDBY_RETRY_MS", "2000",
     "standby: how often to try to become the active scraper", NULL, 0},
    ODZ_OPT_TZ,
    ODZ_OPT_END,
};

const odz_role_def odz_role_scraper = {
    .name = "scraper",
    .summary = "race scraper: polls a racing data source on the adaptive schedule",
    .usage = usage, .opts = opts,
    .flags = ODZ_ROLE_CLOCK | ODZ_ROLE_BUS | ODZ_ROLE_CURL | ODZ_ROLE_METRICS,
    .ctx_size = sizeof(scraper_role),
    .configure = scraper_configure, .start = scraper_start, .stop = scraper_stop};

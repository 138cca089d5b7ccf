/* oddzy api: the racing API, live push and the web front end. */
#include "api/api.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "cli/role_opts.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int odz_opts_api(const odz_opt *opts, odz_api_config *ac)
{
    int64_t port, threads, maxc, mpub, keep;
    if (odz_opt_int(opts, "port", 0, 65535, &port) || odz_opt_int(opts, "threads", 1, 64, &threads) ||
        odz_opt_int(opts, "max-connections", 1, 1000000, &maxc) ||
        odz_opt_int(opts, "metrics-public", 0, 1, &mpub) ||
        odz_opt_int(opts, "view-coding-keep-ms", 0, 3600000, &keep))
        return ODZ_EINVAL;
    memset(ac, 0, sizeof *ac);
    ac->host = odz_opt_get(opts, "host");
    ac->port = (int)port;
    ac->threads = (int)threads;
    ac->max_connections = (int)maxc;
    ac->view_workers = 2;
    ac->view_coding_keep_ms = (int)keep;
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

typedef struct {
    odz_api_config ac;
    odz_api *api;
} api_role;

static int api_configure(const odz_opt *opts, const char **args, size_t n_args, void *ctx)
{
    api_role *r = ctx;
    return odz_opts_api(opts, &r->ac);
}

static int api_start(odz_role_env *env, const odz_opt *opts, void *ctx, odz_role_http *http,
                     char *err)
{
    api_role *r = ctx;
    if (!(r->api = odz_api_new(env->bus, &r->ac, err)))
        return 1;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", odz_api_port(r->api));
    odz_log_kv(ODZ_LOG_INFO, "api ready", "port", ps, "bus", odz_opt_get(opts, "bus"), NULL);
    http->main = odz_api_http(r->api);
    return 0;
}

static void api_stop(void *ctx)
{
    api_role *r = ctx;
    odz_api_free(r->api);
}

static const char usage[] =
    "Usage: oddzy api [--port N] [--web DIR]\n\n"
    "The racing API: /api/racing/schedule, /api/racing/racecard,\n"
    "/api/racing/next, /api/races/{id}[/flucs], /api/meetings/{id},\n"
    "/api/scraper/*, /healthz, /readyz, /metrics (loopback peers only unless\n"
    "--metrics-public; --metrics-addr serves it on a listener of its own)\n"
    "and the web front end.";

static const odz_opt opts[] = {
    API_OPTS,
    ODZ_OPT_ON_BUS("the API", " (unused over NATS)"),
    ODZ_OPT_END,
};

const odz_role_def odz_role_api = {
    .name = "api", .summary = "racing API: JSON over HTTP, live push, the web front end",
    .usage = usage, .opts = opts, .flags = ODZ_ROLE_CLOCK | ODZ_ROLE_BUS | ODZ_ROLE_METRICS,
    .ctx_size = sizeof(api_role),
    .configure = api_configure, .start = api_start, .stop = api_stop};

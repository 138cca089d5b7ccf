/* oddzy racing: the racing service, owner of the store, on the bus. */
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"

#include <stdio.h>

static int racing_configure(const odz_opt *opts, const char **args, size_t n_args, void *ctx)
{
    char day[11];
    if (odz_race_day(0, odz_opt_get(opts, "tz"), day)) {
        fprintf(stderr, "oddzy racing: unknown time zone '%s'\n", odz_opt_get(opts, "tz"));
        return ODZ_EINVAL;
    }
    return 0;
}

/* the service itself runs in the role's environment (ODZ_ROLE_RACING): say it is up */
static int racing_start(odz_role_env *env, const odz_opt *opts, void *ctx, odz_role_http *http,
                        char *err)
{
    char shown[512];
    odz_log_redact_url(odz_opt_get(opts, "db"), shown, sizeof shown);
    odz_log_kv(ODZ_LOG_INFO, "racing service ready", "db", shown, "bus",
               odz_opt_get(opts, "bus"), NULL);
    return 0;
}

static const char usage[] =
    "Usage: oddzy racing [--db PATH] [--bus URL]\n"
    "                    [--metrics-addr HOST:PORT]\n\n"
    "The racing service: runs migrations, then answers racing.<operation>\n"
    "requests on the bus and publishes race.<id>.updated and\n"
    "race.<id>.price events after each committed change. Several\n"
    "share the requests as the NATS queue group `racing`. Stops on\n"
    "SIGINT or SIGTERM.";

static const odz_opt opts[] = {
    ODZ_OPT_DB,
    ODZ_OPT_BUS,
    ODZ_OPT_TZ,
    ODZ_OPT_END,
};

/* with the clock: the service stamps writes with odz_now() */
const odz_role_def odz_role_racing = {
    .name = "racing", .summary = "racing service: owns the store, answers racing.* on the bus",
    .usage = usage, .opts = opts, .flags = ODZ_ROLE_CLOCK | ODZ_ROLE_RACING | ODZ_ROLE_METRICS,
    .configure = racing_configure, .start = racing_start};

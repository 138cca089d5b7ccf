/* oddzy racing: the racing service, owner of the store, on the bus. */
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"

#include <stdio.h>

int odz_cmd_racing(int argc, char **argv)
{
    odz_opt opts[] = {
        ODZ_OPT_DB,
        ODZ_OPT_BUS,
        ODZ_OPT_TZ,
        ODZ_OPT_CLOCK, /* the service stamps writes with odz_now() */
        ODZ_OPT_METRICS_ADDR,
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    int rc = odz_opts_parse("Usage: oddzy racing [--db PATH] [--bus URL]\n"
                            "                    [--metrics-addr HOST:PORT]\n\n"
                            "The racing service: runs migrations, then answers racing.<operation>\n"
                            "requests on the bus and publishes race.<id>.updated and\n"
                            "race.<id>.price events after each committed change. Several\n"
                            "share the requests as the NATS queue group `racing`. Stops on\n"
                            "SIGINT or SIGTERM.",
                            opts, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (odz_role_init(opts, "racing", ODZ_ROLE_CLOCK))
        return 2;
    char day[11];
    if (odz_race_day(0, odz_opt_get(opts, "tz"), day)) {
        fprintf(stderr, "oddzy racing: unknown time zone '%s'\n", odz_opt_get(opts, "tz"));
        return 2;
    }
    odz_role_env env;
    if ((rc = odz_role_env_open(opts, "racing", odz_opt_get(opts, "tz"), ODZ_ROLE_RACING, &env)))
        return rc;
    char shown[512];
    odz_log_redact_url(odz_opt_get(opts, "db"), shown, sizeof shown);
    odz_log_kv(ODZ_LOG_INFO, "racing service ready", "db", shown, "bus",
               odz_opt_get(opts, "bus"), NULL);
    odz_role_wait(&env);
    odz_role_env_close(&env);
    return 0;
}

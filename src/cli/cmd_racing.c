/* oddzy migrate and oddzy racing. */
#include "bus/bus.h"
#include "bus/bus_metrics.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/metrics_server.h"
#include "racing/racing.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int odz_cmd_migrate(int argc, char **argv)
{
    odz_opt opts[] = {
        {"db", "ODDZY_DB", "var/oddzy.db", "database: SQLite file path or postgres:// URL", NULL,
         0},
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    int rc = odz_opts_parse("Usage: oddzy migrate [--db PATH]\n\n"
                            "Create the database or bring its schema up to date, then exit.",
                            opts, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (odz_opts_logging(opts, "migrate"))
        return 2;
    char err[ODZ_ERRLEN];
    odz_store *s = odz_store_open(odz_opt_get(opts, "db"), err);
    if (!s) {
        fprintf(stderr, "oddzy migrate: %s\n", err);
        return 1;
    }
    char v[16];
    snprintf(v, sizeof v, "%d", s->ops->schema_version(s));
    char shown[512];
    odz_log_redact_url(odz_opt_get(opts, "db"), shown, sizeof shown);
    odz_log_kv(ODZ_LOG_INFO, "schema up to date", "db", shown, "version", v,
               NULL);
    s->ops->close(s);
    return 0;
}

int odz_cmd_racing(int argc, char **argv)
{
    odz_opt opts[] = {
        {"db", "ODDZY_DB", "var/oddzy.db", "database: SQLite file path or postgres:// URL", NULL,
         0},
        {"bus", "ODDZY_BUS", "inproc", "message bus: inproc or nats://HOST:PORT[,nats://...]",
         NULL, 0},
        {"tz", "ODDZY_TZ", ODZ_DEFAULT_TZ, "IANA time zone of race days", NULL, 0},
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
    if (odz_opts_logging(opts, "racing") || odz_opts_clock(opts))
        return 2;
    char err[ODZ_ERRLEN];
    char day[11];
    if (odz_race_day(0, odz_opt_get(opts, "tz"), day)) {
        fprintf(stderr, "oddzy racing: unknown time zone '%s'\n", odz_opt_get(opts, "tz"));
        return 2;
    }
    odz_signals_block();
    odz_metrics_server *ms;
    if ((rc = odz_opts_metrics_start(opts, "racing", &ms)))
        return rc == ODZ_EINVAL ? 2 : 1;
    odz_bus *bus = odz_bus_open(odz_opt_get(opts, "bus"), err, sizeof err);
    if (!bus) {
        fprintf(stderr, "oddzy racing: %s\n", err);
        odz_metrics_server_stop(ms);
        return 2;
    }
    odz_bus_metrics_register(bus);
    odz_store *s = odz_store_open(odz_opt_get(opts, "db"), err);
    odz_racing *r = s ? odz_racing_start(bus, s, odz_opt_get(opts, "tz"), err) : NULL;
    if (!r) {
        fprintf(stderr, "oddzy racing: %s\n", err);
        odz_metrics_server_stop(ms);
        odz_bus_metrics_unregister(bus);
        if (s)
            s->ops->close(s);
        bus->ops->close(bus);
        return 1;
    }
    char shown[512];
    odz_log_redact_url(odz_opt_get(opts, "db"), shown, sizeof shown);
    odz_log_kv(ODZ_LOG_INFO, "racing service ready", "db", shown, "bus",
               odz_opt_get(opts, "bus"), NULL);
    int sig = odz_signals_wait();
    odz_log_kv(ODZ_LOG_INFO, "stopping", "signal", sig == 15 ? "SIGTERM" : "SIGINT", NULL);
    odz_metrics_server_stop(ms);
    odz_racing_stop(r);
    odz_bus_metrics_unregister(bus);
    bus->ops->close(bus);
    s->ops->close(s);
    odz_metrics_free_all();
    return 0;
}

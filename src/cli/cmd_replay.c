/* oddzy replay: Betfair historical files through the racing service, then exit. */
#include "betfair/replay.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Wait until the replay is done or a signal comes; the signal number, or 0 when done. */
static int wait_done(odz_replay *r)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    while (!odz_replay_done(r)) {
        struct timespec ts = {0, 100 * 1000000L};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig > 0)
            return sig;
    }
    return 0;
}

int odz_cmd_replay(int argc, char **argv)
{
    odz_opt opts[] = {
        {"speed", "ODDZY_REPLAY_SPEED", "1",
         "play N times faster than recorded, or max: as fast as the racing service takes it",
         NULL, 0},
        ODZ_OPT_BUS,
        {"db", "ODDZY_DB", "var/oddzy.db",
         "with the in-process bus, the replay runs the racing service on this database", NULL,
         0},
        ODZ_OPT_TZ,
        ODZ_OPT_METRICS_ADDR,
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    const char *files[ODZ_REPLAY_MAX_FILES];
    size_t n_files = 0;
    int rc = odz_opts_parse_args(
        "Usage: oddzy replay [--speed N|max] [--db PATH|URL] [--tz ZONE] FILE...\n\n"
        "Plays Betfair historical-data files (one stream message a line with its publish time\n"
        "pt; plain or .bz2 as downloaded; BASIC, ADVANCED or PRO) through the racing service,\n"
        "as a live source would: each market becomes a meeting (venue, race day in --tz) and\n"
        "race (start time, runners by name and trap or saddle number), its best back and lay\n"
        "offers exchange prices (provider \"betfair\", \"betfair_place\" for PLACE markets),\n"
        "its REMOVED runners scratchings and its settlement the result. Several files are\n"
        "merged by publish time. Runner names missing from the files are taken from market\n"
        "catalogues (catalogue-<market id>.json) beside them. Exits when the files are done.\n"
        "The replay is paced on the recorded publish times, not on the simulated clock.",
        opts, argc, argv, files, ODZ_REPLAY_MAX_FILES, &n_files);
    if (rc)
        return rc > 0 ? 0 : 2;
    odz_replay_config cfg = {.files = files, .n_files = n_files, .tz = odz_opt_get(opts, "tz")};
    if (!n_files) {
        fprintf(stderr, "oddzy replay: no files (see --help)\n");
        return 2;
    }
    if (odz_replay_speed_parse(odz_opt_get(opts, "speed"), &cfg.speed)) {
        fprintf(stderr, "oddzy replay: --speed must be a number above 0 or max\n");
        return 2;
    }
    if (odz_role_init(opts, "replay", 0))
        return 2;
    char err[ODZ_ERRLEN];
    odz_role_env env;
    if ((rc = odz_role_env_open(opts, "replay", cfg.tz, ODZ_ROLE_BUS, &env)))
        return rc;
    odz_replay *r = odz_replay_start(env.bus, &cfg, err);
    int status = 0;
    if (!r) {
        fprintf(stderr, "oddzy replay: %s\n", err);
        status = 1;
    } else {
        odz_log_kv(ODZ_LOG_INFO, "replay started", "speed", odz_opt_get(opts, "speed"), NULL);
        int sig = wait_done(r);
        if (sig)
            odz_log_kv(ODZ_LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                       NULL);
        odz_replay_stats st;
        odz_replay_stop(r, &st);
        char lines[24], bad[24], batches[24], failed[24], races[24];
        snprintf(lines, sizeof lines, "%zu", st.lines);
        snprintf(bad, sizeof bad, "%zu", st.bad_lines);
        snprintf(batches, sizeof batches, "%zu", st.batches);
        snprintf(failed, sizeof failed, "%zu", st.failed_batches);
        snprintf(races, sizeof races, "%lld", (long long)st.races_changed);
        odz_log_kv(ODZ_LOG_INFO, sig ? "replay stopped" : "replay finished", "lines", lines,
                   "bad_lines", bad, "batches", batches, "failed_batches", failed,
                   "races_changed", races, NULL);
        status = st.failed_batches ? 1 : 0;
    }
    odz_role_env_close(&env);
    return status;
}

/* oddzy replay: Betfair historical files through the racing service, then exit. */
#include "betfair/replay.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"

#include <stdio.h>

typedef struct {
    odz_replay_config cfg;
    odz_replay *r;
} replay_role;

static int replay_configure(const odz_opt *opts, const char **args, size_t n_args, void *ctx)
{
    replay_role *r = ctx;
    r->cfg = (odz_replay_config){.files = args, .n_files = n_args,
                                 .tz = odz_opt_get(opts, "tz")};
    if (!n_args) {
        fprintf(stderr, "oddzy replay: no files (see --help)\n");
        return ODZ_EINVAL;
    }
    if (odz_replay_speed_parse(odz_opt_get(opts, "speed"), &r->cfg.speed)) {
        fprintf(stderr, "oddzy replay: --speed must be a number above 0 or max\n");
        return ODZ_EINVAL;
    }
    return 0;
}

static int replay_start(odz_role_env *env, const odz_opt *opts, void *ctx, odz_role_http *http,
                        char *err)
{
    replay_role *r = ctx;
    if (!(r->r = odz_replay_start(env->bus, &r->cfg, err)))
        return 1;
    odz_log_kv(ODZ_LOG_INFO, "replay started", "speed", odz_opt_get(opts, "speed"), NULL);
    return 0;
}

/* Wait until the replay is done or a signal comes, stop it and say what was played: exit 1
 * when a batch failed. */
static int replay_wait(void *ctx)
{
    replay_role *r = ctx;
    int sig = 0;
    while (!sig && !odz_replay_wait(r->r, 100))
        sig = odz_signals_timedwait(0);
    if (sig)
        odz_role_log_stop(sig);
    odz_replay_stats st;
    odz_replay_stop(r->r, &st);
    char lines[24], bad[24], batches[24], failed[24], races[24];
    snprintf(lines, sizeof lines, "%zu", st.lines);
    snprintf(bad, sizeof bad, "%zu", st.bad_lines);
    snprintf(batches, sizeof batches, "%zu", st.batches);
    snprintf(failed, sizeof failed, "%zu", st.failed_batches);
    snprintf(races, sizeof races, "%lld", (long long)st.races_changed);
    odz_log_kv(ODZ_LOG_INFO, sig ? "replay stopped" : "replay finished", "lines", lines,
               "bad_lines", bad, "batches", batches, "failed_batches", failed, "races_changed",
               races, NULL);
    return st.failed_batches ? 1 : 0;
}

static const char usage[] =
    "Usage: oddzy replay [--speed N|max] [--db PATH|URL] [--tz ZONE] FILE...\n\n"
    "Plays Betfair historical-data files (one stream message a line with its publish time\n"
    "pt; plain or .bz2 as downloaded; BASIC, ADVANCED or PRO) through the racing service,\n"
    "as a live source would: each market becomes a meeting (venue, race day in --tz) and\n"
    "race (start time, runners by name and trap or saddle number), its best back and lay\n"
    "offers exchange prices (provider \"betfair\", \"betfair_place\" for PLACE markets),\n"
    "its REMOVED runners scratchings and its settlement the result. Several files are\n"
    "merged by publish time. Runner names missing from the files are taken from market\n"
    "catalogues (catalogue-<market id>.json) beside them. Exits when the files are done.\n"
    "The replay is paced on the recorded publish times, not on the simulated clock.";

static const odz_opt opts[] = {
    {"speed", "ODDZY_REPLAY_SPEED", "1",
     "play N times faster than recorded, or max: as fast as the racing service takes it", NULL, 0},
    ODZ_OPT_ON_BUS("the replay", ""),
    ODZ_OPT_END,
};

_Static_assert(ODZ_REPLAY_MAX_FILES <= ODZ_ROLE_ARGS_MAX, "replay files as role arguments");

const odz_role_def odz_role_replay = {
    .name = "replay",
    .summary = "recorded Betfair markets (historical files) through the racing service",
    .usage = usage, .opts = opts, .flags = ODZ_ROLE_BUS | ODZ_ROLE_METRICS,
    .max_args = ODZ_REPLAY_MAX_FILES, .ctx_size = sizeof(replay_role),
    .configure = replay_configure, .start = replay_start, .wait = replay_wait};

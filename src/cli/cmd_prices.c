/* oddzy prices: the price updater role. */
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "prices/updater.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static int prices_config(const odz_opt *opts, odz_prices_config *pc)
{
    int64_t seed, interval, window, max_races;
    if (odz_opt_int(opts, "seed", 0, INT64_MAX, &seed) ||
        odz_opt_int(opts, "interval-ms", 10, 60000, &interval) ||
        odz_opt_int(opts, "window-min", 1, 7 * 24 * 60, &window) ||
        odz_opt_int(opts, "max-races", 1, ODZ_PRICES_MAX_RACES, &max_races))
        return ODZ_EINVAL;
    odz_prices_config_defaults(pc);
    pc->seed = (uint64_t)seed;
    pc->interval_ms = (int)interval;
    pc->window_s = (int)window * 60;
    pc->max_races = (int)max_races;
    return 0;
}

int odz_cmd_prices(int argc, char **argv)
{
    odz_opt opts[] = {
        ODZ_OPT_BUS,
        {"db", "ODDZY_DB", "var/oddzy.db",
         "with the in-process bus, the updater runs the racing service on this database", NULL,
         0},
        ODZ_OPT_TZ,
        {"seed", "ODDZY_SEED", "1", "market seed: same seed, same markets", NULL, 0},
        {"interval-ms", "ODDZY_PRICES_INTERVAL_MS", "1000", "real ms between market moves", NULL,
         0},
        {"window-min", "ODDZY_PRICES_WINDOW_MIN", "120",
         "follow open races starting within this many (simulated) minutes", NULL, 0},
        {"max-races", "ODDZY_PRICES_MAX_RACES", "100", "race markets followed at most (1-100)",
         NULL, 0},
        ODZ_OPT_CLOCK,
        ODZ_OPT_METRICS_ADDR,
        ODZ_OPT_LOGGING,
        ODZ_OPT_END,
    };
    int rc = odz_opts_parse(
        "Usage: oddzy prices [--bus URL] [--seed N] [--interval-ms N] [--window-min N]\n"
        "                    [--max-races N] [--speed N] [--metrics-addr HOST:PORT]\n\n"
        "The price updater: a simulated fixed-odds market (win and place, provider \"oddzy\")\n"
        "for every open race starting within the window. Each opens with a book of 115-125 %,\n"
        "moves by a random walk on the bookmakers' price ladder, reprices the field when a\n"
        "runner is scratched and stops when the race closes. Changes go to the racing service\n"
        "on prices.<race_id>, which records them as price history (flucs).",
        opts, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    odz_prices_config pc;
    if (odz_role_init(opts, "prices", ODZ_ROLE_CLOCK) || prices_config(opts, &pc))
        return 2;
    char err[ODZ_ERRLEN];
    odz_role_env env;
    if ((rc = odz_role_env_open(opts, "prices", odz_opt_get(opts, "tz"), ODZ_ROLE_BUS, &env)))
        return rc;
    odz_price_updater *u = odz_prices_start(env.bus, &pc, err);
    if (!u) {
        fprintf(stderr, "oddzy prices: %s\n", err);
        odz_role_env_close(&env);
        return 1;
    }
    odz_role_wait(&env);
    odz_prices_stop(u);
    odz_role_env_close(&env);
    return 0;
}

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

typedef struct {
    odz_prices_config pc;
    odz_price_updater *u;
} prices_role;

static int prices_configure(const odz_opt *opts, const char **args, size_t n_args, void *ctx)
{
    odz_prices_config *pc = &((prices_role *)ctx)->pc;
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

static int prices_start(odz_role_env *env, const odz_opt *opts, void *ctx, odz_role_http *http,
                        char *err)
{
    prices_role *r = ctx;
    return (r->u = odz_prices_start(env->bus, &r->pc, err)) ? 0 : 1;
}

static void prices_stop(void *ctx)
{
    odz_prices_stop(((prices_role *)ctx)->u);
}

static const char usage[] =
    "Usage: oddzy prices [--bus URL] [--seed N] [--interval-ms N] [--window-min N]\n"
    "                    [--max-races N] [--speed N] [--metrics-addr HOST:PORT]\n\n"
    "The price updater: a simulated fixed-odds market (win and place, provider \"oddzy\")\n"
    "for every open race starting within the window. Each opens with a book of 115-125 %,\n"
    "moves by a random walk on the bookmakers' price ladder, reprices the field when a\n"
    "runner is scratched and stops when the race closes. Changes go to the racing service\n"
    "on prices.<race_id>, which records them as price history (flucs).";

static const odz_opt opts[] = {
    ODZ_OPT_ON_BUS("the updater", ""),
    {"seed", "ODDZY_SEED", "1", "market seed: same seed, same markets", NULL, 0},
    {"interval-ms", "ODDZY_PRICES_INTERVAL_MS", "1000", "real ms between market moves", NULL, 0},
    {"window-min", "ODDZY_PRICES_WINDOW_MIN", "120",
     "follow open races starting within this many (simulated) minutes", NULL, 0},
    {"max-races", "ODDZY_PRICES_MAX_RACES", "100", "race markets followed at most (1-100)", NULL,
     0},
    ODZ_OPT_END,
};

const odz_role_def odz_role_prices = {
    .name = "prices", .summary = "price updater: a simulated live price market",
    .usage = usage, .opts = opts, .flags = ODZ_ROLE_CLOCK | ODZ_ROLE_BUS | ODZ_ROLE_METRICS,
    .ctx_size = sizeof(prices_role),
    .configure = prices_configure, .start = prices_start, .stop = prices_stop};

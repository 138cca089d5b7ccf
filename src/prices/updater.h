/* The price updater (oddzy prices): one simulated market per open race, moved on a timer and
 * published as price points on prices.<race_id> for the racing service to record. */
#ifndef ODZ_UPDATER_H
#define ODZ_UPDATER_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

#define ODZ_PRICES_MAX_RACES 100 /* next_races answers at most 100 */

typedef struct {
    uint64_t seed;             /* markets are deterministic from (seed, race id) */
    int interval_ms;           /* real ms between ticks (10..60000; default 1000) */
    int refresh_ms;            /* real ms between refreshes of the races followed (default 15000) */
    int window_s;              /* follow open races starting within this many (simulated)
                                  seconds (60..7 days; default 7200) */
    int max_races;             /* markets followed at most (1..ODZ_PRICES_MAX_RACES; default 100) */
    int max_messages_per_tick; /* prices.<id> messages a tick at most (1..10000; default 100) */
} odz_prices_config;

/* (odz_prices is the model's array of price points, hence the longer name) */
typedef struct odz_price_updater odz_price_updater;

/** The defaults above. */
void odz_prices_config_defaults(odz_prices_config *c);

/**
 * Start the updater thread. It asks the racing service (racing.next_races, list_selections,
 * latest_prices) for the open races starting within the window, keeps one market per race
 * (carrying on from our own latest fixed prices when the race has them), moves some of them
 * every tick and publishes each change as a JSON array of price points (provider ODZ_PROVIDER_OURS,
 * fixed_win and fixed_place) on prices.<race_id>. It subscribes race.*.updated: a race that is
 * no longer OPEN is dropped at once, a scratching is repriced and published at once.
 * Borrows bus (close it after odz_prices_stop). NULL + err (ODZ_ERRLEN) on a bad config.
 */
odz_price_updater *odz_prices_start(odz_bus *bus, const odz_prices_config *cfg, char *err);
/** Stop the thread and the subscription, free everything. NULL is a no-op. */
void odz_prices_stop(odz_price_updater *p);

/** Markets followed now (for tests and the gauge). */
size_t odz_prices_markets(odz_price_updater *p);

#endif

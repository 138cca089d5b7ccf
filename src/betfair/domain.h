/* Betfair markets as our racing domain: a market's event becomes a meeting and race, its
 * runners selections, its offers exchange prices, its runner statuses scratchings and
 * results. Market catalogues (the betting API's listMarketCatalogue) supply names. */
#ifndef ODZ_BETFAIR_DOMAIN_H
#define ODZ_BETFAIR_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "betfair/stream.h"
#include "source/source.h"

#define ODZ_BF_CATALOGUE_MAX (1u << 20) /* bytes of one catalogue file */
#define ODZ_BF_MAX_CATALOGUES 2000

#define ODZ_BF_PROVIDER "betfair"             /* prices of WIN markets */
#define ODZ_BF_PROVIDER_PLACE "betfair_place" /* prices of PLACE markets */

typedef struct {
    int64_t id;
    int sort_priority;
    char name[ODZ_NAME_MAX];
} odz_bf_catalogue_runner;

typedef struct {
    char market_id[ODZ_BF_ID_MAX];
    char market_name[ODZ_NAME_MAX];
    size_t n_runners;
    odz_bf_catalogue_runner runners[ODZ_BF_MAX_RUNNERS];
} odz_bf_catalogue;

/* Catalogues by market id: zero-initialise, fill with odz_bf_catalogue_parse, free with
 * odz_bf_catalogues_free. */
typedef struct {
    odz_bf_catalogue *v;
    size_t n, cap;
} odz_bf_catalogues;

/** Parse a catalogue answer (`len` bytes, at most ODZ_BF_CATALOGUE_MAX): one market
 * catalogue object, an array of them, or a JSON-RPC envelope {"result": [...]}. Catalogues
 * of a market already held replace it. 0, or ODZ_EINVAL / ODZ_EFULL / ODZ_ENOMEM with words
 * in err; then `out` is unchanged. */
int odz_bf_catalogue_parse(const char *body, size_t len, odz_bf_catalogues *out, char *err,
                           size_t errlen);
const odz_bf_catalogue *odz_bf_catalogue_find(const odz_bf_catalogues *c, const char *market_id);
void odz_bf_catalogues_free(odz_bf_catalogues *c);

/** A runner name as the exchange writes it, "1. Paradise Mission", split into its saddle
 * or trap number (0 when the name carries none) and the name ("Paradise Mission"). */
int odz_bf_runner_number(const char *name, const char **rest);

/**
 * The racing markets of the cache (horse racing 7 and greyhounds 4339, types WIN and PLACE,
 * with a definition) as rows of `out`: per event and start time one meeting (venue, race day
 * in `tz`) and one race; its runners (number and name from the market definition or the
 * catalogue, REMOVED = scratched with the adjustment factor as deduction); the best back and
 * lay odds as ODZ_EXCHANGE_BACK / ODZ_EXCHANGE_LAY prices (provider ODZ_BF_PROVIDER, or
 * ODZ_BF_PROVIDER_PLACE for a PLACE market) stamped with the publish time; each runner's book
 * (odz_exbook, same provider and time: best 3 back and lay offers with their sizes from
 * batb/batl, bdatb/bdatl or atb/atl, none once the market is closed; last traded, traded
 * volume, starting price from the definition's bsp or, once reconciled, the near projection)
 * unless removed or empty; the status
 * (OPEN; CLOSED when suspended or in play at or after the start; FINAL when the WIN market is
 * settled) and the result (WIN market WINNERs first; the other WINNER of a two-place PLACE
 * market second).
 *
 * only_changed: only races one of whose markets has `changed` set; the flags of the markets
 * converted are cleared. Other markets are skipped. Returns 0, or a negative code with words
 * in err; then `out` is unchanged (the flags too).
 */
int odz_bf_to_scrape(odz_bf_cache *c, const odz_bf_catalogues *cats, const char *tz,
                     bool only_changed, odz_scrape *out, char *err, size_t errlen);

/** Source keys of the rows odz_bf_to_scrape makes for market m (for tests and matching):
 * race "betfair:<eventId>:<start epoch s>", selection "<race key>:<selection id>". */
int odz_bf_race_key(const odz_bf_market *m, char *out, size_t n);

#endif

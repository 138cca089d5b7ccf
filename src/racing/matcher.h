/* The odds engine's incremental state: every open race's latest prices by runner and provider,
 * kept in the racing service and fed from each commit's change set, so a price change
 * recomputes the matcher rows of its runner only (calc/matcher.h), a scratching or a race
 * leaving OPEN removes rows and a new race adds them. Changed rows are published on
 * `odds.matcher` and each race's best prices and market percentages on `race.<id>.odds`
 * (payloads: docs/api.yaml, "Live events"). Why here and not in each API process:
 * docs/architecture.md, "Odds matcher". Thread-safe (one mutex). */
#ifndef ODZ_RACING_MATCHER_H
#define ODZ_RACING_MATCHER_H

#include <stdint.h>

#include <jansson.h>

#include "bus/bus.h"
#include "calc/matcher.h"
#include "core/model.h"
#include "store/store.h"

#define ODZ_MATCHER_SUBJECT "odds.matcher"
#define ODZ_MATCHER_RACES_MAX 2000   /* open races held; more are counted and left out */
#define ODZ_MATCHER_PROVIDERS_MAX 48 /* providers priced in one race */

typedef struct odz_matcher odz_matcher;

/** bus may be NULL (nothing published: tests, benchmarks). Borrowed. NULL when out of memory. */
odz_matcher *odz_matcher_new(odz_bus *bus);
void odz_matcher_free(odz_matcher *m);

/** Put a race as it stands (race row, its meeting, runners, latest price of each runner,
 *  provider and market, and the exchange books of its runners, NULL for none: the size at the
 *  best lay when the book's best lay is the latest lay price); replaces what was held. A race
 *  that is not OPEN is removed. Publishes the rows of every runner that has or had rows, and
 *  the race's odds. */
void odz_matcher_put_race(odz_matcher *m, const odz_race *r, const odz_meeting *mt,
                          const odz_selections *ss, const odz_prices *latest,
                          const odz_exbooks *books);

/** A new latest price of a runner of a held race. lay_size: cents available at an exchange lay
 *  price, -1 unknown. Publishes that runner's rows when an input of them changed and the race's
 *  odds when a best price or percentage changed. ODZ_ENOTFOUND: race or runner not held (the
 *  caller puts the race). */
int odz_matcher_price(odz_matcher *m, int64_t race_id, const odz_price *p, int64_t lay_size);

/** Drop a race and publish the removal of its rows (no-op when not held). */
void odz_matcher_remove_race(odz_matcher *m, int64_t race_id);

/** Follow one commit: races in ch->race_ids are read again from the store (put, or removed when
 *  not OPEN), prices of held races applied (with the size of exchange prices), then the
 *  exchange books written (a size that changed at the same lay price), races not held read
 *  once. Store errors are logged;
 *  a race that cannot be read is dropped so it cannot show stale rows. */
void odz_matcher_apply(odz_matcher *m, odz_store *st, const odz_changes *ch);

/** Read every open race starting from `now` - 1 h from the store (at start). 0 or an error. */
int odz_matcher_load(odz_matcher *m, odz_store *st, int64_t now, char *err);

/** {"rows": [...]}: rows of the held races for the query's stake, commission and type,
 *  filtered and sorted, at most q->limit. `now`: epoch s, for `minutes` and the window. New
 *  reference. */
json_t *odz_matcher_rows(odz_matcher *m, const odz_matcher_query *q, int64_t now);

/** {"races": [...], "runners": [...]}: races whose book at the best fixed win prices (every
 *  runner priced) is under 100 %, with dutching stakes for q->stake, and rows whose back price
 *  is above the exchange lay. New reference. */
json_t *odz_matcher_arbitrage(odz_matcher *m, const odz_matcher_query *q, int64_t now);

typedef struct {
    size_t races, runners, rows;
    uint64_t runner_updates, rows_published, odds_published, loads, refused;
} odz_matcher_stats;
void odz_matcher_stats_get(odz_matcher *m, odz_matcher_stats *out);

#endif

/* The race card's prices: which price a runner shows, and the odds comparison across every
 * provider the store has prices of (bookmakers, totes, the exchange).
 *
 * The one place for the rules:
 * - shown price: for fixed odds our own market ("oddzy") first, another provider's only when
 *   we have none, the latest point otherwise; nothing once the runner is scratched;
 * - best price: the highest fixed win (place) price of any provider but the exchange, ties to
 *   the provider whose name sorts first;
 * - exchange books: every exchange provider's book of a runner, none once it is scratched;
 * - market percentage of a provider and market: the sum of 100 / price over the runners still
 *   in the race that it prices (a book of 100 % is fair; over 100 % is the margin), with how
 *   many runners that is; the percentage at best prices uses each runner's best price. A
 *   scratched runner leaves every percentage at once.
 * Pure functions over the store's rows, for op_racecard and its tests. */
#ifndef ODZ_RACING_COMPARE_H
#define ODZ_RACING_COMPARE_H

#include <stddef.h>

#include <jansson.h>

#include "core/model.h"

/** The shown price of each of the four card markets of runner `sel` (fixed win, fixed place,
 * tote win, tote place): into prices[] (odds in hundredths, 0 for none) and ts[] (0 for
 * none). */
void odz_compare_shown(const odz_selection *sel, const odz_prices *latest, int prices[4],
                       int64_t ts[4]);

/** For the race: {"providers": [{provider, markets: {market: {percentage, runners}}}],
 * "best": {fixed_win: {percentage, runners}|null, fixed_place: ...}}, providers sorted by
 * name; percentages as numbers with two decimals. New reference. With `runners` (a JSON array
 * whose i-th object is sels->v[i], or NULL), each runner object also gets "odds"
 * {provider: {market: price, ...}} of every provider with a current price and "best"
 * {fixed_win: {price, provider} | null, fixed_place: ...}, from the same one pass over the
 * prices. */
json_t *odz_compare_race(const odz_selections *sels, const odz_prices *latest, json_t *runners);

/** Each runner object of `runners` (the i-th is sels->v[i]) gets "exchange": {provider:
 * {back, lay, last_traded, traded_volume, starting_price, ts}} from the exchange books of the
 * race (odz_exchange_book_to_json plus the book's ts); {} when it has none or is scratched. */
void odz_compare_exchange(const odz_selections *sels, const odz_exbooks *books, json_t *runners);

/** Market percentage in hundredths of a percent of `n` prices in hundredths (0 skipped):
 * sum of 100 / price, rounded half up. The count of prices used in *used (may be NULL). */
int odz_compare_percentage(const int *odds, size_t n, size_t *used);

#endif

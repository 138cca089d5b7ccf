/* The race card's price-dependent part (runners and odds comparison) from the rows it is made
 * of, and those rows kept up to date from the racing service's events.
 *
 * One encoder for the racing service (op_racecard) and for the API's view cache, which keeps
 * the rows beside a cached card and patches them from race.<id>.price and race.<id>.exchange
 * events instead of asking the service again: both render with odz_card_runners, so a
 * patched card is byte for byte the card the service would answer for the same rows. */
#ifndef ODZ_RACING_CARD_H
#define ODZ_RACING_CARD_H

#include <jansson.h>

#include "core/model.h"

/** What a race card's runners are made of, in the store's order: the race's selections (by
 * number), the latest price of each (selection, provider, market) ordered by runner number,
 * market, provider (bytewise), selection id, and the exchange books ordered by runner number,
 * provider, selection id. The owner frees with odz_card_rows_free. */
typedef struct {
    odz_selections sels;
    odz_prices prices;
    odz_exbooks books;
} odz_card_rows;

void odz_card_rows_free(odz_card_rows *r);
/** A copy of src into *dst (which the caller frees with odz_card_rows_free); 0 or
 * ODZ_ENOMEM (then *dst is empty). */
int odz_card_rows_copy(const odz_card_rows *src, odz_card_rows *dst);

/** The runners array of a race card (each selection's JSON with "prices" and "price_ts", the
 * shown price of each card market, "exchange", "odds" and "best") and its "comparison", both
 * new references (racing/compare.h holds the rules). 0 or ODZ_ENOMEM (nothing returned). */
int odz_card_runners(const odz_card_rows *r, json_t **runners, json_t **comparison);

/** The rows as JSON in integer units, {"selections": [...], "prices": [...], "books": [...]},
 * for a reader that patches them (new reference, NULL on out-of-memory), and back: 0, or
 * ODZ_EINVAL / ODZ_ENOMEM with words in err (then *out is empty). */
json_t *odz_card_rows_to_json(const odz_card_rows *r);
int odz_card_rows_from_json(const json_t *j, odz_card_rows *out, char *err, size_t errlen);

/** The price point of a race.<id>.price event ({selection_id, market, provider, price, ts});
 * 0, or ODZ_EINVAL with words in err (a point without a ts cannot be ordered: refused). */
int odz_card_price_event(const json_t *ev, odz_price *out, char *err, size_t errlen);
/** The book of a race.<id>.exchange event ({selection_id, provider, ts} and the fields of
 * odz_exchange_book_to_json, in display units); 0, or ODZ_EINVAL with words in err. */
int odz_card_book_event(const json_t *ev, odz_exbook *out, char *err, size_t errlen);

/** Make `p` the latest price of its (selection, provider, market) unless the rows hold a
 * later one (the store's rule: the latest ts, the last written on a tie). 1 when the rows
 * changed, 0 when not, ODZ_ENOTFOUND when the selection is not one of the race's (the rows
 * are then out of date), ODZ_ENOMEM. */
int odz_card_rows_apply_price(odz_card_rows *r, const odz_price *p);
/** The same for the book of (selection, provider): a book replaces the one it follows. */
int odz_card_rows_apply_book(odz_card_rows *r, const odz_exbook *b);

/** The flucs view, every runner's price history by market, {"race_id", "runners": [{
 * "selection_id", "number", "name", "flucs": {market: [[ts, odds], ...]}}]}, from rows whose
 * `prices` hold the race's whole history (each runner's points in the store's order: ts, then
 * as written; the runners' points may be interleaved) and no books. The one place of the rule
 * of what is shown: other providers' fixed odds only while the runner has no point of our own.
 * with_rows: the answer also carries "rows" (odz_card_rows_to_json) for a reader that patches
 * them. New reference, NULL on out-of-memory. */
json_t *odz_card_flucs(int64_t race_id, const odz_card_rows *r, int with_rows);
/** The "previous" odds of a race.<id>.price event (hundredths, 0 for none): 0, or ODZ_EINVAL
 * when it is missing or not odds. */
int odz_card_price_event_previous(const json_t *ev, int *previous);
/** Add the point of a price event to flucs rows (odz_card_flucs), after the runner's points
 * at or before its ts: 1 added, 0 already there, ODZ_ENOTFOUND (a runner the rows do not
 * know), ODZ_ESTATE (`previous`, the odds the event follows, is not the latest the rows hold
 * for its runner, market and provider: a point in between is missing, the rows cannot be
 * patched), ODZ_EFULL (too many points), ODZ_ENOMEM. */
int odz_card_flucs_apply(odz_card_rows *r, const odz_price *p, int previous);

#endif

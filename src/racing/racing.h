/* The racing service: owns the store, answers racing.<operation> requests on the bus and
 * publishes race.<id>.updated / race.<id>.price / race.<id>.exchange after each committed
 * change.
 *
 * race.<id>.price, key "<selection_id>.<market>.<provider>": {race_id, selection_id, number,
 *   market, provider, price, previous, ts}, and for the exchange markets "size" (currency
 *   units offered at that price, two decimals; null when unknown).
 * race.<id>.exchange, key "<selection_id>.<provider>": {race_id, selection_id, number,
 *   provider, back: [{price, size}, ...best first, up to 3], lay: [...], last_traded,
 *   traded_volume, starting_price, ts}: odds as decimals, money in currency units (two
 *   decimals), last_traded / starting_price null when none. */
#ifndef ODZ_RACING_H
#define ODZ_RACING_H

#include <jansson.h>
#include <stdbool.h>

#include "bus/bus.h"
#include "store/store.h"

typedef struct odz_racing odz_racing;

/* Subjects */
#define ODZ_RACING_SUBJECTS "racing.*"  /* requests, queue group "racing" */
#define ODZ_PRICES_IN "prices.*"        /* price points from the price updater: prices.<race_id> */
#define ODZ_REQ_TIMEOUT_MS 5000
#define ODZ_RACING_MAX_BODY (8u << 20)

/** Start answering on the bus. The service borrows bus and store (caller closes them after
 * odz_racing_stop). tz: race-day zone (NULL default). NULL + err on failure. */
odz_racing *odz_racing_start(odz_bus *bus, odz_store *store, const char *tz, char *err);
void odz_racing_stop(odz_racing *r);

/* Requests: body is a JSON object; the reply is {"ok":true,"data":...} or
 * {"ok":false,"error":CODE,"message":...}. Operations:
 *   list_meetings {date_from,date_to}       list_races {date_from,date_to}
 *   list_meeting_races {meeting_id}         add_meeting {meeting}
 *   get_meeting {meeting_id}                add_race {race}
 *   update_race {race, selections?}         next_race {meeting_id, now?}
 *   next_races {limit?, type?, now?}        get_race {race_id}
 *   list_selections {race_id}               upsert_batch {meetings,races,selections,prices,books}
 *   append_price {price}                    price_history {selection_id, market?}
 *   latest_prices {race_id}                 scratch {selection_id, time?, deduction?, late?}
 *   racecard {race_id, rows?}               schedule {date, type?}
 *   flucs {race_id, rows?}                  unmatched {}
 *   sources {}
 * An upsert_batch with "match": true and "source": NAME has its exchange markets matched onto
 * the races of other sources first (racing/matching.h); unmatched lists those that did not
 * match, sources this process's sources (obs/source_metrics.h: requests, errors, lag, markets
 * matched and not).
 * racecard: each runner has "exchange": {provider: {back, lay, last_traded, traded_volume,
 * starting_price, ts}} for every exchange provider with a stored book of it (the
 * odz_exchange_book_to_json fields, plus the book's ts); {} when none.
 */

/** Call an operation: sends `req` (borrowed; NULL = {}), waits up to timeout_ms; on success
 * *data is a new reference to the reply's data (caller decrefs). A service-side error is
 * returned as its code (ODZ_ENOTFOUND, ODZ_EINVAL, ODZ_ESTATE...) with its message in err. */
int odz_racing_call(odz_bus *bus, const char *op, json_t *req, int timeout_ms, json_t **data,
                    char *err);

/* What one upsert_batch changed, for its sender's metrics. */
typedef struct {
    int races_changed;
    int scratchings;
} odz_upsert_result;

/** Store one batch through the racing service: every source hands its scrape over this way.
 * `source` names the batch (NULL: none) and `match` asks for its exchange markets to be matched
 * onto other sources' races first: the "source" and "match" of an upsert_batch request. When a
 * racing service (odz_racing_start) runs in this process on this same bus, the batch is handed
 * to it directly, without JSON: the same rules (matching, store, change events) in the same
 * order as a request, which waits while it handles one. Otherwise it travels as an
 * upsert_batch request (JSON; over NATS to another process), waiting up to timeout_ms.
 * `b` is borrowed. 0 and *out, or a code with words in err (ODZ_ERRLEN). */
int odz_racing_upsert(odz_bus *bus, const odz_batch *b, const char *source, bool match,
                      int timeout_ms, odz_upsert_result *out, char *err);

/* Batch <-> JSON (the upsert_batch request). Books travel as integers: {"selection_key",
 * "provider", "back": [{"odds": 345, "size": 12050}, ...], "lay": [...], "last_traded",
 * "traded_volume", "starting_price", "ts"}; the decoder validates them
 * (odz_exchange_book_check) and takes at most ODZ_BATCH_MAX_BOOKS. */
#define ODZ_BATCH_MAX_BOOKS 100000
json_t *odz_batch_to_json(const odz_batch *b);
/* Decoded batch owns its arrays; free with odz_batch_owned_free. */
typedef struct {
    odz_batch batch;
    odz_meeting *meetings;
    odz_batch_race *races;
    odz_batch_selection *selections;
    odz_batch_price *prices;
    odz_batch_exbook *books;
    char *keys; /* one block holding the key strings the batch points into */
} odz_batch_owned;
int odz_batch_from_json(const json_t *j, odz_batch_owned *out, char *err, size_t errlen);
void odz_batch_owned_free(odz_batch_owned *b);

#endif

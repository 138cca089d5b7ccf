/* JSON encode/decode of the domain model (jansson). Field names are the API's. */
#ifndef ODZ_JSON_H
#define ODZ_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "core/model.h"

/* Encoders return a new reference (caller json_decref's), NULL only on out-of-memory.
 * Decoders fill *out from a JSON object, validating every field (types, ranges, lengths);
 * they return 0 or ODZ_EINVAL with words in err. Missing optional fields keep zero values. */
json_t *odz_meeting_to_json(const odz_meeting *m);
json_t *odz_race_to_json(const odz_race *r);
json_t *odz_selection_to_json(const odz_selection *s);
json_t *odz_price_to_json(const odz_price *p);
json_t *odz_results_to_json(const odz_race *r);   /* [{"position":1,"number":5,"margin":""},...] */
json_t *odz_dividends_to_json(const odz_race *r);

int odz_meeting_from_json(const json_t *j, odz_meeting *out, char *err, size_t errlen);
int odz_race_from_json(const json_t *j, odz_race *out, char *err, size_t errlen);
int odz_selection_from_json(const json_t *j, odz_selection *out, char *err, size_t errlen);
int odz_price_from_json(const json_t *j, odz_price *out, char *err, size_t errlen);
int odz_results_from_json(const json_t *arr, odz_race *out, char *err, size_t errlen);
int odz_dividends_from_json(const json_t *arr, odz_race *out, char *err, size_t errlen);

/* An exchange book in integer units, as the bus carries it: {"selection_id" (when set),
 * "provider", "back": [{"odds": 345, "size": 12050}, ...best first, at most 3], "lay": [...],
 * "last_traded", "traded_volume", "starting_price", "ts"}. The decoder requires a provider,
 * takes selection_id as optional (0 when absent) and checks the book with
 * odz_exchange_book_check. */
json_t *odz_exbook_to_json(const odz_exbook *b);
int odz_exbook_from_json(const json_t *j, odz_exbook *out, char *err, size_t errlen);

/** Compact serialization; returns malloc'd text the caller frees, NULL on out-of-memory. */
char *odz_json_dumps(const json_t *j);
/* Its json_dumps flags (reals with 10 significant digits; core/json_text.h writes the same). */
#define ODZ_JSON_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(10))

/** Parse at most `max` bytes of JSON text (bounded input). NULL with err filled on failure. */
json_t *odz_json_loadb(const char *buf, size_t len, size_t max, char *err, size_t errlen);
/** odz_json_loadb into the calling thread's scratch arena (core/json_arena.h), for a reader
 *  that parses one large response at a time and only reads it: no value is malloc'd or freed
 *  one by one. The tree is read-only (never json_decref it) and lasts until the thread's next
 *  odz_json_loadb_scratch; the arena goes with the thread. Same bound and errors. */
const json_t *odz_json_loadb_scratch(const char *buf, size_t len, size_t max, char *err,
                                     size_t errlen);

/** An optional string member `key` of `o` into `dst` (`n` bytes): absent or null leaves ""
 * and returns 0; a string shorter than n with no NUL byte in it is copied (0); with `token`
 * it must also be 1 or more printable ASCII characters (a protocol's clocks, ids and keys).
 * Anything else: ODZ_EINVAL, dst "". */
int odz_json_opt_text(const json_t *o, const char *key, char *dst, size_t n, bool token);

/** Odds in hundredths to a JSON number (350 -> 3.5); 0 -> null. */
json_t *odz_json_odds(int odds);
/** Money in cents to a JSON number in currency units (12050 -> 120.5). */
json_t *odz_json_money(int64_t cents);
/** An exchange book as the API shows it: {"back": [{"price": 3.45, "size": 120.5}, ...],
 * "lay": [...], "last_traded", "traded_volume", "starting_price"} (empty levels left out;
 * last_traded and starting_price null when none). */
json_t *odz_exchange_book_to_json(const odz_exchange_book *b);

#endif

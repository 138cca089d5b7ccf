/* JSON encode/decode of the domain model (jansson). Field names are the API's. */
#ifndef ODZ_JSON_H
#define ODZ_JSON_H

#include <jansson.h>

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

/** Compact serialization; returns malloc'd text the caller frees, NULL on out-of-memory. */
char *odz_json_dumps(const json_t *j);

/** Parse at most `max` bytes of JSON text (bounded input). NULL with err filled on failure. */
json_t *odz_json_loadb(const char *buf, size_t len, size_t max, char *err, size_t errlen);

/** Odds in hundredths to a JSON number (350 -> 3.5); 0 -> null. */
json_t *odz_json_odds(int odds);

#endif

/* JSON written as text into an odz_text (core/grow.h), byte for byte what jansson's
 * odz_json_dumps would write for the same values: for messages sent so often that building a
 * jansson tree each costs more than the rest of their path (the change events, the matcher's
 * rows). */
#ifndef ODZ_CORE_JSON_TEXT_H
#define ODZ_CORE_JSON_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/grow.h"

/** v in units of 10^-decimals (0..18) as a decimal number without trailing zeros and without a
 *  point when whole: 984, 2 -> 9.84; 400, 2 -> 4; -5, 2 -> -0.05. */
void odz_text_fixed(odz_text *t, int64_t v, int decimals);

/** The JSON string of s, quotes included, escaped as jansson escapes it (\" \\ \b \f \n \r \t,
 *  other control characters as \u00XX; everything else, non-ASCII included, as it is). false,
 *  appending nothing, when s is NULL or not UTF-8 (jansson refuses such a string). */
bool odz_text_json_string(odz_text *t, const char *s);

/** hundredths / 100 as jansson writes that real (odz_json_money, odz_json_odds): 420 -> 4.2,
 *  400 -> 4.0, 12050 -> 120.5; the exact decimal up to 10 significant digits, jansson's own
 *  rounding beyond. */
void odz_text_json_units(odz_text *t, int64_t hundredths);

/** Odds in hundredths as odz_json_odds writes them: 0 or less -> null. */
void odz_text_json_odds(odz_text *t, int64_t odds);

/** v as an integer (odz_text_fixed with no decimals). */
void odz_text_int(odz_text *t, int64_t v);

/** A member or element: `key`, the literal text before the value (",\"ts\":", "{\"race_id\":"),
 *  then v written by `value` (odz_text_int, odz_text_json_units, ...). */
void odz_text_field(odz_text *t, void (*value)(odz_text *, int64_t), const char *key, int64_t v);

#endif

/* One race from many sources: matching an exchange market (venue, start time, market name,
 * runner names) to a race and its runners that a bookmaker source already gave us.
 *
 * A wrong match is worse than none: every function answers ODZ_MATCH_OK only when exactly one
 * candidate fits and nothing contradicts it; otherwise NONE or UNSURE with the reason, so the
 * caller keeps the market separate and lists it (with that reason) as unmatched.
 *
 * Pure functions over bounded text: no I/O, no allocation, no global state. */
#ifndef ODZ_SOURCE_MATCH_H
#define ODZ_SOURCE_MATCH_H

#include <stddef.h>
#include <stdint.h>

#define ODZ_MATCH_KEY_MAX 128    /* a normalised name (longer input is cut, never overrun) */
#define ODZ_MATCH_REASON_MAX 160
#define ODZ_MATCH_TOLERANCE_S 600 /* default: start times this close can be the same race */

typedef enum {
    ODZ_MATCH_OK = 0,
    ODZ_MATCH_NONE = 1,   /* no candidate fits */
    ODZ_MATCH_UNSURE = 2, /* more than one fits, or one fits with a contradiction */
} odz_match_result;

/** Comparison key of a runner name: ASCII letters and digits in lower case, with a leading
 * saddle/trap number ("1. Frosbie"), a country suffix ("(NZ)", "(IRE)", ...), apostrophes,
 * punctuation and spaces dropped, and the words "St"/"St." read as "Saint" and "&" as "and".
 * "O'Reilly (NZ)" and "oreilly" give the same key. Returns the key's length (0: nothing left). */
size_t odz_match_name_key(const char *name, char *key, size_t n);

/** The saddle or trap number a name starts with, as "1. Paradise Mission" or "12.Frosbie": the
 * number (1..99), and *rest (if not NULL) the name after it; 0 when there is none. */
int odz_match_saddle(const char *name, const char **rest);

/** A market name such as "R1 1200m Mdn", "R10 2000m Hcap" or "OR 280m": race number (0 when
 * not given) and distance in metres (0 when not given). Returns 0, or ODZ_EINVAL when the
 * name is not text of that shape at all (NULL, over 128 bytes). */
int odz_match_market_name(const char *name, int *race_number, int *distance_m);

/** Comparison key of a venue: as a runner name's key, after dropping a sponsor's name in
 * front ("Sportsbet-Ballarat", "Ladbrokes Cannington") and mapping known other names of the
 * same track ("Royal Randwick", "Rosehill Gardens", "The Valley"); "Romford Bags" (a BAGS
 * meeting) and "Cambridge (G)" are the track. Returns its length. */
size_t odz_match_venue_key(const char *venue, char *key, size_t n);

/** A race we know, as a candidate for a market. */
typedef struct {
    const char *venue;     /* meeting name */
    int64_t start;         /* scheduled start, epoch s */
    int number;            /* race number, 0 when unknown */
    const char *venue_key; /* odz_match_venue_key of venue when the caller has it, else NULL */
} odz_match_race;

/** Which of `races` is the market at `venue` starting at `start` with race number `number`
 * (0: unknown)? The same venue key, a start within `tolerance_s`, and the same race number
 * when both are known; exactly one race may fit. A race of another number at that time and
 * none of this number is UNSURE. *index is set on OK only; `reason` (may be NULL) says why
 * not. */
odz_match_result odz_match_find_race(const char *venue, int64_t start, int number,
                                     const odz_match_race *races, size_t n, int64_t tolerance_s,
                                     size_t *index, char *reason, size_t reason_len);

/** A runner, as a candidate: its number (0 when unknown) and name ("" when unknown). */
typedef struct {
    int number;
    const char *name;
} odz_match_runner;

/** Which of `runners` (one race's) is `x`? The same name key, with no different known
 * number; else a name cut short (the exchange cuts long greyhound names at 16 characters):
 * a key of at least ODZ_MATCH_CUT_MIN characters that begins exactly one other's, under no
 * different known number; else the same number when one side has no name. The same number
 * under two different names (neither cut from the other), the same name under two different
 * numbers, or a cut name that begins several, is UNSURE. */
#define ODZ_MATCH_CUT_MIN 10
odz_match_result odz_match_find_runner(const odz_match_runner *x, const odz_match_runner *runners,
                                       size_t n, size_t *index, char *reason, size_t reason_len);

#endif

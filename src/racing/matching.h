/* One race from many sources, applied in the racing service: an exchange market (a race of a
 * batch that asks for matching) is matched against the races other sources gave us, and when
 * the race and every runner match surely its prices land on those races' selections instead
 * of a race of its own. Internal to src/racing (service.c calls it from op_upsert_batch).
 *
 * How a batch asks: the upsert_batch body has "match": true, and "source": "<name>" names the
 * source for the unmatched list and the metrics (the Betfair stream client sends "betfair",
 * the replay "replay"; odz_scrape_send_as). Any other batch is stored as it comes.
 *
 * The rules (source/match.h finds races and runners; this file applies them):
 *  - Candidates of a market are the races of its race day (and the day either side, for
 *    another zone's race day) whose source key does not start with the market's own key
 *    family (the text up to its first ':', "betfair:"), so an exchange never matches its own
 *    races; a greyhound market only greyhound races, a horse market thoroughbred or harness.
 *  - The race: odz_match_find_race on the meetings' names, the start (10 min tolerance) and
 *    the race number when the market name carries one ("R1 1200m Mdn"; a number domain.c
 *    made up from the order of races is not used).
 *  - The runners: each of the market's runners by odz_match_find_runner on its name (the
 *    exchange's number may be a sort priority, so only a saddle number written in the name
 *    counts), each to a different runner of the race, none missing. Runners the bookmaker has
 *    and the exchange has not are allowed.
 *  - Matched: the exchange's prices are stored on the matched selections (its providers
 *    "betfair", "betfair_place" beside the bookmakers'); its meeting, race and runner rows
 *    (status, result, scratchings) are left out: the bookmaker's race stays the authority for
 *    everything but the exchange's own prices.
 *  - Not matched (NONE or UNSURE): the market stays a race of its own, as before, and is
 *    listed by odz_matching_unmatched with the reason. Two cases are held back (not stored
 *    at all, listed as held) rather than stored apart, since a race of its own would stay
 *    beside the bookmaker's once they match: a market whose race fits but has no runners yet
 *    (the bookmaker's schedule came, its race card not yet), until they come; and a market
 *    of a future race that fits no race while other sources have races on its race days, for
 *    ODZ_MATCHING_HOLD_MS after it was first seen (a later schedule may bring it). A market
 *    once stored apart is never held again; a market of a past race (a replay), or one with
 *    no other source on its days (the exchange alone), is never held.
 *  - Decisions are remembered per market (its race key), at most ODZ_MATCHING_MAX_MARKETS,
 *    the least recently seen forgotten first. A matched market is not matched again unless a
 *    runner appears that its decision does not know; an unmatched one is tried again when a
 *    batch of another source added meetings, races or runners since (in this process), or
 *    ODZ_MATCHING_RETRY_S simulated seconds after its last try (another process may have added
 *    them). A decision takes about 9 KB (its runners' keys): 18 MB at the bound.
 *  - The candidates (the races of a market's race day and the day either side, with their
 *    meetings) are read from the store once and kept while no other source adds to it; after
 *    an addition they are read again at most every ODZ_MATCHING_CANDS_MS, and the unmatched
 *    markets are tried again then. (Read once a batch, they cost half the ingest's CPU while
 *    a bookmaker's first sweep added races every few milliseconds.)
 *  - A market stored as a race of its own before it matched (a past race, the exchange alone on
 *    its days then, or after its hold) has that race retired when it matches (store.h
 *    retire_race, before the batch is stored): marked merged into the bookmaker's race, left
 *    out of the schedule, next to jump and its meeting's races (its meeting too when it has
 *    no other race), its runners' exchange prices and books copied onto the bookmaker's
 *    runners; race.<id>.updated goes out for both. A market that matched and matches no more
 *    (a runner appeared that makes it unsure) has its race restored (the mark cleared) before
 *    it is stored apart again. Checked once per decision that changed (matched or not, or
 *    another race), and at a market's first decision in this process (another process may
 *    have stored it apart, or retired it); a failure is logged and tried again at the
 *    market's next batch. */
#ifndef ODZ_RACING_MATCHING_H
#define ODZ_RACING_MATCHING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define ODZ_MATCHING_MAX_MARKETS 2000
#define ODZ_MATCHING_RETRY_S 60
#define ODZ_MATCHING_CANDS_MS 250 /* real ms */
#define ODZ_MATCHING_HOLD_MS 120000 /* real ms */
#define ODZ_MATCHING_SOURCE_MAX 32

typedef struct odz_matching odz_matching;

/** A new, empty memory of decisions; NULL when out of memory. Free with odz_matching_free. */
odz_matching *odz_matching_new(void);
void odz_matching_free(odz_matching *m);

/** Store one upsert_batch: `b` its batch, `source` the name it gives (NULL or not letters,
 * digits, '-' and '_': "exchange"), `match` whether it asks for matching. A batch that asks for matching has its matched races rewritten onto the races
 * they match before the store sees it; any other batch is stored as it is and, when it added
 * meetings, races or runners, makes unmatched markets worth trying again. Returns what the
 * store's upsert_batch returns (err: ODZ_ERRLEN); a failure to read the candidates leaves the
 * batch unmatched (stored as it came), logged. Thread-safe. */
int odz_matching_upsert(odz_matching *m, odz_store *store, const odz_batch *b, const char *source,
                        bool match, int64_t now, odz_changes *ch, char *err);

/** The markets not matched, soonest start first: a new JSON array of
 * {source, market_key, venue, start, market_name, result ("none"|"unsure"), reason,
 * decided_at, held} (caller decrefs); NULL when out of memory. */
json_t *odz_matching_unmatched(odz_matching *m);

#endif

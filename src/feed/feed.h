/* The simulated racing source behind `oddzy feed`: a deterministic world served in real formats. */
#ifndef ODZ_FEED_H
#define ODZ_FEED_H

#include <stddef.h>
#include <stdint.h>

/*
 * The world is a pure function of (seed, race day, simulated time): meetings of a day are
 * generated from a hash of the seed and the date, and what happens to a race (scratchings,
 * price moves, results, abandonment) from the race's own hash and `now`. Nothing is stored,
 * so any request can be answered at any time, in any order, from any thread.
 *
 * Served paths (GET only; `path` without the query string):
 *   /healthz                                                   200 "ok"
 *   /affiliates/v1/racing/meetings?date_from=D&date_to=D       Entain meetings list
 *       (also category=T|H|G, country=AUS|NZ|UK|IRE|USA|HK, limit, offset; dates are
 *        YYYY-MM-DD or now|today; bad dates -> 400)
 *   /affiliates/v1/racing/meetings/{uuid}                      Entain meeting detail
 *   /affiliates/v1/racing/events/{uuid}                        Entain race event (unknown -> 404)
 *   /api/web/public/Racing/getUpcomingRaces/?sport=S&date=D    odds-comparison schedule, wire form
 *       (S = horse-racing|harness|greyhounds)
 *   /api/web/public/Odds/getOddsComparisonCacheable/?eventId=N odds-comparison race card, wire form
 * Meetings are listed from yesterday to two days ahead of `now` (race days in cfg->tz); other
 * dates give an empty list. Events stay readable for a week after their race day.
 */

typedef struct {
    uint64_t seed;       /* same seed + same sim time => same world, byte for byte */
    const char *tz;      /* race-day zone, NULL = Australia/Sydney (copied) */
    double fail_rate;    /* 0..1: share of requests answered 500/503 */
    double garbage_rate; /* 0..1: share answered 200 with a malformed/truncated body */
    int slow_ms;         /* delay the handler asks the server to add (reported as delay_ms) */
} odz_feed_config;

typedef struct odz_feed odz_feed;

/** A feed for `cfg`; NULL with words in err on a bad zone, rates outside 0..1, or no memory.
 * The caller frees it with odz_feed_free. */
odz_feed *odz_feed_new(const odz_feed_config *cfg, char *err, size_t errlen);
void odz_feed_free(odz_feed *f);

typedef struct {
    int status;               /* HTTP status */
    char *body;               /* malloc'd, NUL-terminated for convenience; the caller frees */
    size_t len;               /* body length without the NUL */
    const char *content_type; /* static string */
    int delay_ms;             /* the server should wait this long before answering */
} odz_feed_response;

/** Answer one GET: `path` without query, `query` (may be NULL) at simulated time `now`
 * (epoch s). Thread-safe. Fills *out (every status, including 4xx/5xx, is an answer) and
 * returns 0; ODZ_ENOMEM (out->body NULL) or ODZ_EINVAL (NULL arguments) otherwise. */
int odz_feed_handle(odz_feed *f, const char *path, const char *query, int64_t now,
                    odz_feed_response *out);

/** Release a response's body (free(out->body)) and clear it. */
void odz_feed_response_free(odz_feed_response *out);

#endif

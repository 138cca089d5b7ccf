/* Requests a Betfair Exchange Stream API client sends: authentication, the market
 * subscription (resumed from a cache's initialClk/clk after a reconnect) and heartbeat; each
 * one JSON object ending in CRLF, as the protocol frames them. */
#ifndef ODZ_BETFAIR_REQUEST_H
#define ODZ_BETFAIR_REQUEST_H

#include <stddef.h>

#include "betfair/stream.h"

#define ODZ_BF_REQUEST_MAX 4096        /* bytes of one request line */
#define ODZ_BF_FILTER_MAX 16           /* values of one filter list */

/* What to subscribe to. NULL lists or 0 counts: no filter on that field. */
typedef struct {
    const char *const *event_type_ids; /* "7" horse racing, "4339" greyhounds */
    size_t n_event_type_ids;
    const char *const *country_codes;  /* "GB", "AU", ... */
    size_t n_country_codes;
    const char *const *market_types;   /* "WIN", "PLACE" */
    size_t n_market_types;
    int heartbeat_ms;                  /* 500..30000; 0: 5000 */
    int conflate_ms;                   /* 0..120000 */
    int ladder_levels;                 /* best offers depth 1..10; 0: 3 */
} odz_bf_subscription;

/** {"op":"authentication","id":..,"appKey":..,"session":..}\r\n into out[0..*len) (NUL-
 * terminated). The session token is a secret: the caller must not log the line. 0, or
 * ODZ_EINVAL (empty or over-long key or token, or out too small). */
int odz_bf_request_auth(int id, const char *app_key, const char *session, char *out, size_t n,
                        size_t *len);

/** The marketSubscription for `sub`: best offers (ladder_levels deep), last traded price,
 * traded volume and market definitions, segmentation on. With `resume` (a cache that has
 * seen an image), its initialClk and clk, so the exchange sends only what changed since.
 * 0, or ODZ_EINVAL (a value out of range, a list over ODZ_BF_FILTER_MAX, out too small). */
int odz_bf_request_subscribe(int id, const odz_bf_subscription *sub, const odz_bf_cache *resume,
                             char *out, size_t n, size_t *len);

/** {"op":"heartbeat","id":..}\r\n. 0 or ODZ_EINVAL (out too small). */
int odz_bf_request_heartbeat(int id, char *out, size_t n, size_t *len);

#endif

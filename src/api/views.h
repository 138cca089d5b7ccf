/* The view cache: each view (a day's schedule, a race card, next to jump, a meeting, flucs)
 * kept serialized, gzipped and brotli-compressed, refcounted, rebuilt by workers when the bus
 * says it changed, so a read is a lookup and a write from the shared bytes. */
#ifndef ODZ_VIEWS_H
#define ODZ_VIEWS_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "http/server.h"

typedef struct odz_views odz_views;

#define ODZ_VIEW_KEY_MAX 64

/** Start `workers` builder threads and subscribe to race events. tz: race-day zone;
 *  coding_keep_ms: a rebuild makes a compressed coding a request asked for within it. */
odz_views *odz_views_new(odz_bus *bus, const char *tz, int workers, int coding_keep_ms,
                         char *err);
void odz_views_free(odz_views *v);

/** Answer `req` with view `key` (e.g. "racecard:42"): from the cache when built (304, and
 * brotli, gzip or plain as Accept-Encoding asks, the shared bytes written without a copy),
 * otherwise defers the request until a worker has built it. Loop thread;
 * returns a handler result (0 or ODZ_HTTP_PENDING). corr: correlation id to answer with.
 * fresh: answer only with bytes that show every event the cache had heard of for the view
 * when the request came, waiting (deferred) for the build under way or the next one, which
 * comes within the 50 ms between a view's builds and the build itself: a page that re-reads a
 * race card once its live subscription is acknowledged then has what was published before. */
int odz_views_serve(odz_views *v, odz_http_req *req, const char *key, const char *corr,
                    bool fresh);

/** Mark views stale so workers rebuild them (any thread). A prefix ending in '*' marks all
 * views starting with it. */
void odz_views_invalidate(odz_views *v, const char *key);

typedef struct {
    uint64_t hits, misses, rebuilds, errors;
    size_t entries;
} odz_views_stats;
void odz_views_stats_get(odz_views *v, odz_views_stats *out);

#endif

/* The odds matcher's HTTP endpoints (/api/oddsmatcher, /api/arbitrage): the query checked on
 * the loop, answered by the racing service's incremental state (racing/matcher.h) over the
 * bus from a small pool, so the loop never waits. */
#ifndef ODZ_API_ODDSMATCHER_H
#define ODZ_API_ODDSMATCHER_H

#include "bus/bus.h"
#include "http/server.h"

typedef struct odz_api_odds odz_api_odds;

/** Registers the routes on `http` (before it runs). Borrows bus. NULL when out of memory. */
odz_api_odds *odz_api_odds_new(odz_bus *bus, odz_http_server *http, char *err);
/** Answers requests still waiting with 503, then frees; before the HTTP server is freed. */
void odz_api_odds_free(odz_api_odds *o);

#endif

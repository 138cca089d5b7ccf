/* The simulated source over HTTP: `oddzy feed` and `oddzy run` serve an odz_feed with this
 * adapter. Answers the feed delays (--slow-ms) wait in a bounded pool's timed queue, one
 * thread for all of them; a fast 503 busy when too many are already waiting. */
#ifndef ODZ_FEED_HTTP_H
#define ODZ_FEED_HTTP_H

#include "feed/feed.h"
#include "http/server.h"

typedef struct odz_feed_http odz_feed_http;

/** An HTTP server on host:port (0: any free port) answering GET /feed-metrics and every other
 * path from `f` (borrowed: it outlives the adapter). Not yet running: run it with
 * odz_http_run on odz_feed_http_server(). NULL with err (ODZ_ERRLEN) filled on failure. */
odz_feed_http *odz_feed_http_new(odz_feed *f, const char *host, int port, char *err);
/** The adapter's server (owned by the adapter). */
odz_http_server *odz_feed_http_server(const odz_feed_http *h);
/** After the server has stopped: delayed answers still waiting get 503, then the server and
 * the adapter are freed. NULL is a no-op. */
void odz_feed_http_free(odz_feed_http *h);

#endif

/* The Betfair Exchange Stream API client: a thread that holds one connection (plain TCP, or
 * TLS through OpenSSL with the server's certificate checked), runs the session over it,
 * reconnects with backoff (resubscribing from the last clk, so no change is lost) when the
 * connection drops, fails or stalls, and sends the races that changed to the racing service
 * over the bus about once a second, like the scraper and the replay. */
#ifndef ODZ_BETFAIR_CLIENT_H
#define ODZ_BETFAIR_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "betfair/request.h"
#include "bus/bus.h"

typedef struct {
    const char *host;          /* stream-api.betfair.com, or a simulated exchange */
    const char *port;          /* "443" */
    bool tls;                  /* false: plain TCP (tests, a local simulated exchange) */
    const char *ca_file;       /* TLS: trust these certificates (NULL: the system's) */
    const char *app_key;       /* secrets: borrowed for the client's life, never logged */
    const char *session_token;
    const char *session_file;  /* if set, the token is read from it again before every
                                * connection (a renewed token is picked up); the first line */
    odz_bf_subscription sub;   /* lists borrowed for the client's life */
    const char *tz;            /* race-day zone (NULL: default) */
    int flush_ms;              /* between two sends of changed races; 0: 1000 */
    int backoff_max_ms;        /* reconnect backoff cap; 0: 30000 */
} odz_bf_client_config;

typedef struct {
    size_t connects, messages, batches, failed_batches;
    bool streaming;            /* subscribed and receiving now */
} odz_bf_client_stats;

typedef struct odz_bf_client odz_bf_client;

/** Start the client thread (it connects in the background). Borrows bus and cfg's strings.
 * NULL with words in err (ODZ_ERRLEN) for a bad configuration. */
odz_bf_client *odz_bf_client_start(odz_bus *bus, const odz_bf_client_config *cfg, char *err);
void odz_bf_client_stats_get(odz_bf_client *c, odz_bf_client_stats *out);
/** Stop (within about a second) and free. NULL is a no-op. */
void odz_bf_client_stop(odz_bf_client *c);

#endif

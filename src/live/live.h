/* Live updates for browsers and other clients, inside the API's HTTP server:
 *
 *   /socket.io/      Socket.IO v5 over Engine.IO v4 (long-polling, WebSocket, upgrade),
 *                    namespaces /prices (updatePrice) and /racing (raceUpdated), rooms per race
 *                    joined by emitting `subscribe` {"race_id": N | "all"} (and `unsubscribe`).
 *   /ws              plain WebSocket: {"type":"subscribe","race_id":N|"all"} in,
 *                    {"type":"updatePrice"|"raceUpdated","data":{...}} out.
 *   /api/stream      Server-Sent Events: ?race_id=N|all, events updatePrice and raceUpdated.
 *
 * Events come from the bus (race.<id>.price and race.<id>.updated, as the racing service
 * publishes them). Each event is serialized once per transport and the same bytes go to every
 * subscriber; all client state lives on the event loop that owns the connection, so fan-out
 * takes no locks. Each client has a bounded queue; a client that cannot keep up is dropped. */
#ifndef ODZ_LIVE_H
#define ODZ_LIVE_H

#include <stddef.h>

#include "bus/bus.h"
#include "http/server.h"

typedef struct {
    int ping_interval_ms;   /* Engine.IO pingInterval (0 = 25000) */
    int ping_timeout_ms;    /* Engine.IO pingTimeout (0 = 20000) */
    size_t max_queued;      /* bytes waiting per client before it is dropped (0 = 512 KiB) */
    size_t max_payload;     /* largest client message / polling body (0 = 64 KiB) */
    int max_subscriptions;  /* rooms per client (0 = 64) */
    int sse_heartbeat_ms;   /* comment line to SSE clients (0 = 15000) */
    int max_sessions;       /* Socket.IO sessions per event loop; beyond: 503 (0 = 20000) */
} odz_live_config;

typedef struct odz_live odz_live;

/** Registers the routes on `srv` (before it runs) and subscribes to the bus. Borrows both. */
odz_live *odz_live_new(odz_bus *bus, odz_http_server *srv, const odz_live_config *cfg, char *err,
                       size_t errlen);
/** Stops the bus subscriptions. Call before stopping the server's loops or after they return. */
void odz_live_detach(odz_live *lv);
/** After odz_http_run has returned (connections are closed by the server's shutdown). */
void odz_live_free(odz_live *lv);

typedef struct {
    long connections_socketio_ws, connections_socketio_polling, connections_ws, connections_sse;
    long subscriptions;
    unsigned long pushed, dropped_clients;
} odz_live_stats;
void odz_live_stats_get(odz_live *lv, odz_live_stats *out);

#endif

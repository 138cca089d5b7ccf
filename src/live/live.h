/* Live updates for browsers and other clients, inside the API's HTTP server:
 *
 *   /socket.io/      Socket.IO v5 over Engine.IO v4 (long-polling, WebSocket, upgrade),
 *                    namespaces /prices (updatePrice), /racing (raceUpdated) and /odds
 *                    (oddsUpdated, matcherRows, exchangeUpdated); rooms joined by emitting
 *                    `subscribe` {"race_id": N | "all"}, {"topic": "exchange", "race_id": N}
 *                    or {"topic": "matcher", "filter": {...}} (and `unsubscribe`).
 *   /ws              plain WebSocket: {"type":"subscribe","race_id":N|"all"[,"topic":T]
 *                    [,"filter":{...}]} in, {"type":<event>,"data":{...}} out.
 *   /api/stream      Server-Sent Events: ?race_id=N|all[&topic=T][&filter=<JSON>].
 *
 * What clients subscribe to are topics (odz_live_topic): bus events on a subject, pushed as one
 * event name, in rooms per race or one room, optionally with a per-client predicate over each
 * event (the odds matcher's filters). The built-in ones: prices (race.<id>.price ->
 * updatePrice), racing (race.<id>.updated -> raceUpdated), odds (race.<id>.odds ->
 * oddsUpdated), matcher (odds.matcher -> matcherRows), exchange (race.<id>.exchange ->
 * exchangeUpdated). A /ws or SSE subscription naming no
 * topic joins prices and racing.
 *
 * Each event is serialized once per transport framing from the bus payload's bytes (never
 * parsed) and the same bytes go to every subscriber; its coalescing key is the bus message's
 * (subject and odz_msg.key). All client state lives on the event loop that owns the
 * connection, so fan-out takes no locks. Each client has one keyed, bounded queue
 * (http/outq.h): a newer event with the same key replaces a queued older one, whatever waits
 * leaves in one write per loop turn, and a client that cannot keep up is dropped.
 *
 * Events lost on their way to a loop (the topic's bus subscription fell behind and dropped
 * some, or a loop could not take one) are not guessed at: every client in any room of that
 * topic on the loops concerned gets the event "resync" with {"topic": name} (in the topic's
 * namespace on Socket.IO; {"type":"resync",...} on /ws; "event: resync" on SSE), and fetches
 * again what it shows (counted in oddzy_live_resyncs_total). */
#ifndef ODZ_LIVE_H
#define ODZ_LIVE_H

#include <stddef.h>

#include <jansson.h>

#include "bus/bus.h"
#include "http/server.h"

typedef struct {
    int ping_interval_ms;   /* Engine.IO pingInterval (0 = 25000) */
    int ping_timeout_ms;    /* Engine.IO pingTimeout (0 = 20000) */
    size_t max_queued;      /* bytes waiting per client before it is dropped (0 = 512 KiB) */
    size_t max_payload;     /* largest client message / polling body (0 = 64 KiB) */
    int max_subscriptions;  /* rooms per client (0 = 64; a /ws or SSE subscription to a race
                               without a topic joins two: prices and racing) */
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

/* A per-client predicate over a topic's events (the odds matcher's filters), whole events or,
 * for events made of rows, row by row. */
typedef struct odz_live_filter {
    /** Loop thread: a client's filter from the "filter" member of its subscription (`spec`,
     *  NULL when it sent none) into *state (NULL: everything), freed with free_state. 0, or
     *  ODZ_EINVAL with words for the client in err. */
    int (*parse)(const json_t *spec, void **state, char *err, size_t errlen);
    void (*free_state)(void *state);
    /** Bus thread, once per event: its payload decoded for match (NULL: undecodable; only
     *  clients without a filter get it), freed with free_decoded after the last loop. */
    void *(*decode)(const char *data, size_t len);
    void (*free_decoded)(void *decoded);
    /** Loop threads, concurrently (read only): what a client with `state` gets of the event.
     *  Without render: 0 nothing, anything else the whole event. With render: bit i set for
     *  each row i (at most 64) it gets. */
    uint64_t (*match)(const void *state, const void *decoded);
    /** Optional, for events made of rows: the payload holding only the rows of `mask`, as
     *  malloc'd JSON text in *out (one line); *out NULL: the payload as it came. 0 or a
     *  negative code. Loop threads, concurrently; called once per distinct mask and loop, and
     *  the bytes shared by every client with that mask. With render, every subscriber gets
     *  every event, with the rows its filter passes (possibly none), so that it can drop rows
     *  it held that no longer pass. */
    int (*render)(const void *decoded, uint64_t mask, char **out, size_t *len);
} odz_live_filter;

/* What clients subscribe to. */
typedef struct odz_live_topic {
    const char *name;    /* the subscription's "topic": [a-z_]{1,15} */
    const char *subject; /* bus subject or pattern, e.g. "race.*.odds" */
    const char *nsp;     /* Socket.IO namespace, e.g. "/odds"; the first topic of a namespace
                            is the one a subscription naming no topic gets there */
    const char *event;   /* event name on every transport, e.g. "oddsUpdated" */
    int per_race;        /* rooms per race (and "all"): the subject's second token is the race
                            id (race.<id>.x); else one room */
    int plain_default;   /* joined by a /ws or SSE subscription naming no topic */
    const odz_live_filter *filter; /* NULL: every subscriber gets every event (borrowed) */
} odz_live_topic;

#define ODZ_LIVE_MAX_TOPICS 8

/** Adds a topic and subscribes to its subject; before the server runs. Strings are copied,
 *  `filter` is borrowed for the module's life. 0; ODZ_EINVAL (a bad name, subject or
 *  namespace, a name already used), ODZ_EFULL (ODZ_LIVE_MAX_TOPICS), ODZ_EIO (the bus). */
int odz_live_add_topic(odz_live *lv, const odz_live_topic *t, char *err, size_t errlen);

typedef struct {
    long connections_socketio_ws, connections_socketio_polling, connections_ws, connections_sse;
    long subscriptions;
    unsigned long pushed, dropped_clients;
    unsigned long coalesced; /* events that replaced an older state queued for a client */
} odz_live_stats;
void odz_live_stats_get(odz_live *lv, odz_live_stats *out);

#endif

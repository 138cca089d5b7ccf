/* Internal to src/live: the structures the live module's files share and their cross-file
 * functions. Nothing outside src/live may include it.
 *
 *   live.c     lifecycle, configuration, topics, metrics, timers and shutdown
 *   clients.c  the client base (every transport), rooms, subscribing
 *   fanout.c   bus events: encoded once per framing, posted to every loop, fanned out
 *   eio.c      Engine.IO sessions: handshake, polling, WebSocket and the upgrade between them
 *   sockio.c   Socket.IO packets inside an Engine.IO session (namespaces, subscribe, acks)
 *   ws.c       plain WebSocket clients (/ws)
 *   sse.c      Server-Sent Events clients (/api/stream)
 *   matcher_filter.c  the odds matcher's per-client filter over its rows
 *   sio.c      the pure parsers (packets, queries, subscriptions; fuzzed)
 *
 * Threads: topics are fixed before the server runs; the bus handler builds an event and posts
 * it to every loop; clients and rooms are touched only by the loop that owns them. */
#ifndef ODZ_LIVE_INTERNAL_H
#define ODZ_LIVE_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/wheel.h"
#include "http/outq.h"
#include "live/live.h"
#include "live/sio.h"
#include "obs/metrics.h"

#define LIVE_ROOM_BUCKETS 1024
#define LIVE_MEMBER_SLOTS 4096 /* room_heard's counters (a power of two) */
#define LIVE_SID_BUCKETS 1024
#define LIVE_MAX_NSPS 8          /* Socket.IO namespaces, "/" included */
#define LIVE_MAX_EVENT (256 * 1024) /* largest bus payload pushed */
#define LIVE_TICK_MS 1000           /* the loop's timer for pings and timeouts */

/* Transports, as connection counters and metric labels index them. */
enum { TR_SIO_WS = 0, TR_SIO_POLL, TR_WS, TR_SSE, TR_N };

typedef struct lstate lstate;
typedef struct client client;
typedef struct live_event live_event;
typedef struct sio_client sio_client; /* an Engine.IO session (eio.c) */

/* One payload in every transport's framing, built once, shared by every client. */
typedef struct live_frames {
    odz_buf *sio_raw;   /* 42/nsp,["event",payload] (polling) */
    odz_buf *sio_frame; /* the same as one WebSocket frame */
    odz_buf *ws_frame;  /* {"type":"event","data":payload} as a frame */
    odz_buf *sse;       /* event: ..\ndata: payload\n\n */
} live_frames;

/* What goes before an event's payload in each framing (its name, and its namespace). */
typedef struct live_prefixes {
    char sio[ODZ_SIO_NSP_MAX + ODZ_SIO_EVENT_MAX + 8]; /* 42/nsp,["event", */
    char ws[ODZ_SIO_EVENT_MAX + 24];                   /* {"type":"event","data": */
    char sse[ODZ_SIO_EVENT_MAX + 16];                  /* event: event\ndata: */
} live_prefixes;

/* The event that tells a topic's clients to fetch again what they show: "resync" with
 * {"topic": name}, sent when events of the topic were lost on their way to them (the bus
 * subscription fell behind, a loop could not take an event). */
#define LIVE_RESYNC_EVENT "resync"

typedef struct live_topic {
    odz_live *lv;
    int index;
    int nsp;       /* index into odz_live.nsps */
    int per_race, plain_default;
    const odz_live_filter *filter;
    char name[16], event[ODZ_SIO_EVENT_MAX];
    char subject[ODZ_SUBJECT_MAX];
    int64_t sub_id;
    live_prefixes pre;
    live_frames resync; /* LIVE_RESYNC_EVENT of this topic, built when it is added */
    uint64_t resync_key; /* its coalescing key */
} live_topic;

/* What a transport does for its clients (one table in each transport's file). */
struct client_ops {
    /* Queue an event's bytes (`f`: its frames, or those of the rows this client gets): 0
     * queued, 1 replaced an older state still queued, ODZ_EFULL (the client is behind: the
     * caller drops it), another negative code. */
    int (*send_event)(client *c, const live_event *ev, const live_frames *f);
    /* Pings and timeouts, on the loop's tick once c is due (LIVE_TICK_MS steps). Returns when
     * it is next due (its earliest ping or deadline), or 0 when it closed (and maybe freed) c.
     * A deadline that comes closer between ticks is told with client_due. */
    int64_t (*tick)(client *c, int64_t now_ms);
    /* Ends c from our side; its memory goes when the transport reports the close. */
    void (*close)(client *c, int code, const char *reason);
    /* Drops c at once (a client that does not read); client_detach has run. */
    void (*abort)(client *c);
    /* The server is going away; NULL: close(c, 1001 "going away", reason). */
    void (*shutdown)(client *c, const char *reason);
    /* Inside client_detach: let go of transport state that is not the connection itself. */
    void (*release)(client *c);
    /* odz_live_free on a loop that never ran: free c unless its connection owns it; NULL: the
     * connection owns it. */
    void (*orphan)(client *c);
};

/* The part every client has; each transport's client struct starts with it. */
struct client {
    client *prev, *next; /* the loop's list */
    lstate *ls;
    const struct client_ops *ops;
    int transport;       /* TR_* */
    int64_t *subs;       /* room keys */
    int nsubs;
    int64_t last_ping;   /* ms (monotonic) */
    odz_wheel_link timer; /* in the loop's tick wheel while attached */
    uint64_t seen_seq;   /* last event delivered, so "all" + a race room give one copy */
    int detached;
};

typedef struct room_member {
    client *c;
    void *filter; /* the topic's filter state for this client, or NULL (owned here) */
} room_member;

typedef struct room {
    struct room *next;
    int64_t key;
    room_member *v;
    size_t n, cap;
} room;

struct lstate {
    odz_live *lv;
    int index;
    client head; /* circular list anchor */
    odz_wheel wheel; /* its clients by when their tick is next due */
    room *rooms[LIVE_ROOM_BUCKETS];
    sio_client *sids[LIVE_SID_BUCKETS]; /* Engine.IO sessions by id (eio.c) */
    int nsessions;
    client **flushq; /* polling sessions with a flush due at the end of this turn (eio.c) */
    size_t nflush, capflush;
    int flush_posted;
    /* Set (bus thread) when an event of topic i may not have reached this loop's clients;
     * cleared once the topic's resync is posted to the loop. */
    atomic_bool resync_owed[ODZ_LIVE_MAX_TOPICS];
};

struct live_event {
    atomic_int refs;
    const live_topic *t;
    int64_t race_id; /* 0 for a topic without rooms per race */
    uint64_t seq;
    uint64_t key;    /* coalescing key from the bus message (subject + odz_msg.key), 0 none */
    void *decoded;   /* t->filter->decode of the payload, or NULL */
    int resync;      /* the topic's resync: to every client in any of its rooms, unfiltered */
    live_frames f;   /* the payload as it came */
};

struct odz_live {
    odz_bus *bus;
    odz_http_server *srv;
    odz_live_config cfg;
    int nloops;
    lstate *loops;
    live_topic topics[ODZ_LIVE_MAX_TOPICS];
    int ntopics;
    char nsps[LIVE_MAX_NSPS][ODZ_SIO_NSP_MAX]; /* [0] = "/" */
    int nnsps;
    atomic_uint_fast64_t seq;
    atomic_long n_conns[TR_N], n_subs;
    /* Members of every loop's rooms, counted by a hash of the room key: a slot at 0 means
     * no room of those keys has a member anywhere (room_heard). */
    atomic_int members[LIVE_MEMBER_SLOTS];
    odz_metric *m_pushed[TR_N], *m_dropped, *m_coalesced, *m_events, *m_unheard,
        *m_conns[TR_N], *m_subs, *m_resyncs, *m_batch_writes, *m_batch_submits;
};

/* ---- live.c ---- */
/* The topic named `name` ("" = none), or NULL. */
const live_topic *live_topic_named(const odz_live *lv, const char *name);
/* Index of Socket.IO namespace `name`, or -1. */
int live_nsp_index(const odz_live *lv, const char *name);

/* ---- clients.c: the client base ---- */
/* Links c (zeroed by the caller, transport fields set after) into ls's list and counts it;
 * its tick is due at the loop's next tick. */
void client_init(client *c, lstate *ls, const struct client_ops *ops, int transport);
/* Out of rooms, the loop list and the tick wheel; no more deliveries. Idempotent. */
void client_detach(client *c);
/* A deadline of c came closer: its tick is due by `at_ms` (monotonic) at the latest. */
void client_due(client *c, int64_t at_ms);
/* Runs the tick of every client of ls due by now (the loop's timer, every LIVE_TICK_MS). */
void clients_tick(lstate *ls, int64_t now_ms);
/* Frees the base's own memory (the transport frees the struct). */
void client_base_free(client *c);
/* Moves c's connection count to another transport (an Engine.IO upgrade). */
void client_set_transport(client *c, int transport);
/* A client that cannot keep up: counted, logged, dropped. */
void client_abort(client *c);
static inline void client_close(client *c, int code, const char *reason)
{
    c->ops->close(c, code, reason);
}
const char *live_transport_label(int transport);

/* ---- clients.c: rooms and subscriptions ---- */
int64_t room_key(const live_topic *t, int64_t race_id);
/* The index of the topic a room key belongs to (room_key's inverse, for the topic part). */
int room_topic(int64_t key);
room *room_find(lstate *ls, int64_t key, int create);
/* Whether an event of topic t for race_id (0: not per race) may have a member to reach, on
 * any loop: its race's room or the topic's every-race room. Any thread; no false "no". */
int room_heard(odz_live *lv, const live_topic *t, int64_t race_id);
/* Joins room `key`; `filter` (owned from here on, even on failure) replaces an earlier one.
 * 0, ODZ_EFULL (max_subscriptions), ODZ_ENOMEM, ODZ_ECLOSED. */
int client_join(client *c, int64_t key, void *filter);
void client_leave(client *c, int64_t key);
/* Leaves every room of the topics of namespace `nsp`. */
void client_leave_nsp(client *c, int nsp);
/* A subscribe request of any transport: `nsp` the Socket.IO namespace's index, or -1 for
 * /ws and SSE. 0, or a negative code with words for the client in err (and a short code in
 * *code: "bad_request", "unknown_topic", "bad_filter", "too_many_subscriptions", "internal"). */
int live_subscribe(client *c, int nsp, const odz_sub_req *req, const char **code, char *err,
                   size_t errlen);
int live_unsubscribe(client *c, int nsp, const odz_sub_req *req);

/* ---- matcher_filter.c: the "matcher" topic's per-client filter ---- */
extern const odz_live_filter live_matcher_filter;

/* ---- fanout.c ---- */
void live_on_bus_event(odz_bus *bus, const odz_msg *msg, void *ud);
/* The prefixes of event `event` in Socket.IO namespace `nsp` ("/" the default one). */
void live_prefixes_set(live_prefixes *p, const char *nsp, const char *event);
/* Builds t->resync (after t->name and its namespace are set). 0 or ODZ_ENOMEM. */
int live_resync_build(live_topic *t, const char *nsp);
/* Lets go of the frames' bytes (t->resync when the topic goes). */
void live_frames_unref(live_frames *f);

/* ---- transports ---- */
int live_eio_handler(odz_http_req *req, void *ud);  /* /socket.io/ (eio.c) */
int live_ws_handler(odz_http_req *req, void *ud);   /* /ws (ws.c) */
int live_sse_handler(odz_http_req *req, void *ud);  /* /api/stream (sse.c) */
/* 1 (answered 426) for a WebSocket handshake of another version (ws.c). */
int live_bad_ws_version(odz_http_req *req);

/* eio.c <-> sockio.c */
/* Queues an Engine.IO packet for the session (raw text for polling; `frame` the same as one
 * WebSocket frame, NULL: built here). 0, 1 (replaced), ODZ_EFULL. */
int sio_send_keyed(sio_client *c, odz_buf *raw, odz_buf *frame, uint64_t key);
int sio_send_text(sio_client *c, const char *text);
/* One Socket.IO packet (an Engine.IO message) from the client. */
void sockio_message(sio_client *c, const odz_sio_packet *p);
/* The session's id and its connected namespaces (bit per odz_live.nsps index). */
const char *sio_client_sid(const sio_client *c);
unsigned *sio_client_nsps(sio_client *c);

#endif

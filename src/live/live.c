/* Live updates: Socket.IO / Engine.IO, plain WebSocket and SSE clients, rooms and fan-out.
 * See live.h. Threads: the bus handler builds each event's bytes once and posts the event to
 * every loop; everything about clients happens on the loop that owns them. */
#include "live/live.h"
#include "live/sio.h"
#include "core/err.h"
#include "obs/log.h"
#include "obs/metrics.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define SID_LEN ODZ_EIO_SID_LEN
#define ROOM_BUCKETS 1024
#define SID_BUCKETS 1024
#define PROBE_TIMEOUT_MS 10000
#define RS "\x1e" /* Engine.IO v4 polling payload separator */

enum { NSP_ROOT = 0, NSP_PRICES = 1, NSP_RACING = 2, NSP_PLAIN = 3 }; /* plain: /ws and SSE */
enum { K_SIO = 1, K_WS, K_SSE };
enum { T_POLL = 1, T_WS };
enum { EV_PRICE = 1, EV_RACE = 2 };

typedef struct lstate lstate;
typedef struct client client;

struct client {
    client *prev, *next; /* loop list */
    lstate *ls;
    int kind, transport;
    odz_ws *ws;            /* K_WS, K_SIO over WebSocket */
    odz_ws *upgrade_ws;    /* K_SIO polling: a WebSocket probing to take over */
    int probing;           /* the probe answered 3probe: polls get a noop at once */
    int64_t probe_since;
    client *hnext;         /* sid hash chain (K_SIO) */
    odz_http_stream *sse;  /* K_SSE */
    char sid[SID_LEN + 1];
    unsigned nsps;         /* connected Socket.IO namespaces, bit per NSP_* */
    int64_t *subs;         /* room keys */
    int nsubs;
    /* polling */
    odz_http_pending *poll;
    odz_buf **pq;
    uint64_t *pqkeys; /* coalescing keys, as odz_ws_send_frame_keyed */
    size_t pqn, pqcap, pqbytes;
    int64_t last_seen;
    /* ping */
    int64_t last_ping, ping_sent;
    int ping_wait;
    uint64_t seen_seq; /* last event delivered, so "all" + a race room give one copy */
    int detached, sse_ended;
};

typedef struct room {
    struct room *next;
    int64_t key;
    client **v;
    size_t n, cap;
} room;

struct lstate {
    odz_live *lv;
    int index;
    client head; /* circular list anchor */
    room *rooms[ROOM_BUCKETS];
    client *sids[SID_BUCKETS];
    int nsessions; /* Socket.IO sessions on this loop */
};

typedef struct event {
    atomic_int refs;
    int kind;
    int64_t race_id;
    uint64_t seq;
    uint64_t key; /* what the event is the latest state of: (race, runner, market) or race */
    odz_buf *sio_raw;   /* 42/prices,["updatePrice",{...}] */
    odz_buf *sio_frame; /* the same as one WebSocket frame */
    odz_buf *ws_frame;  /* {"type":..,"data":..} as a frame */
    odz_buf *sse;       /* event: ..\ndata: ..\n\n */
} event;

struct event_post {
    event *ev;
    lstate *ls;
};

struct odz_live {
    odz_bus *bus;
    odz_http_server *srv;
    odz_live_config cfg;
    int64_t sub_price, sub_race;
    int nloops;
    lstate *loops;
    atomic_uint_fast64_t seq;
    atomic_long n_sio_ws, n_sio_poll, n_ws, n_sse, n_subs;
    odz_metric *m_pushed[4], *m_dropped, *m_coalesced, *m_events, *m_conns[4], *m_subs, *m_fanout;
};

/* ---- small helpers ----------------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *nsp_name(int nsp)
{
    return nsp == NSP_PRICES ? "/prices" : nsp == NSP_RACING ? "/racing" : "/";
}

static int nsp_of(const char *name)
{
    if (!strcmp(name, "/"))
        return NSP_ROOT;
    if (!strcmp(name, "/prices"))
        return NSP_PRICES;
    if (!strcmp(name, "/racing"))
        return NSP_RACING;
    return -1;
}

static int64_t room_key(int nsp, int64_t race_id)
{
    return race_id * 4 + nsp;
}

static size_t sid_bucket(const char *sid)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = sid; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (size_t)(h % SID_BUCKETS);
}

static void sid_insert(lstate *ls, client *c)
{
    size_t b = sid_bucket(c->sid);
    c->hnext = ls->sids[b];
    ls->sids[b] = c;
    ls->nsessions++;
}

static void sid_remove(lstate *ls, client *c)
{
    for (client **pp = &ls->sids[sid_bucket(c->sid)]; *pp; pp = &(*pp)->hnext)
        if (*pp == c) {
            *pp = c->hnext;
            ls->nsessions--;
            return;
        }
}

/* ---- rooms ------------------------------------------------------------------------------- */

static room *room_find(lstate *ls, int64_t key, int create)
{
    size_t b = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull >> 54) % ROOM_BUCKETS;
    for (room *r = ls->rooms[b]; r; r = r->next)
        if (r->key == key)
            return r;
    if (!create)
        return NULL;
    room *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->key = key;
    r->next = ls->rooms[b];
    ls->rooms[b] = r;
    return r;
}

static void room_drop_if_empty(lstate *ls, room *r)
{
    if (r->n)
        return;
    size_t b = (size_t)((uint64_t)r->key * 0x9E3779B97F4A7C15ull >> 54) % ROOM_BUCKETS;
    for (room **pp = &ls->rooms[b]; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            free(r->v);
            free(r);
            return;
        }
}

static int client_join(client *c, int64_t key)
{
    odz_live *lv = c->ls->lv;
    if (c->detached)
        return ODZ_ECLOSED;
    for (int i = 0; i < c->nsubs; i++)
        if (c->subs[i] == key)
            return 0;
    if (c->nsubs >= lv->cfg.max_subscriptions)
        return ODZ_EFULL;
    room *r = room_find(c->ls, key, 1);
    if (!r)
        return ODZ_ENOMEM;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        client **v = realloc(r->v, cap * sizeof(*v));
        if (!v) {
            room_drop_if_empty(c->ls, r);
            return ODZ_ENOMEM;
        }
        r->v = v;
        r->cap = cap;
    }
    int64_t *s = realloc(c->subs, (size_t)(c->nsubs + 1) * sizeof(*s));
    if (!s) {
        room_drop_if_empty(c->ls, r);
        return ODZ_ENOMEM;
    }
    c->subs = s;
    c->subs[c->nsubs++] = key;
    r->v[r->n++] = c;
    atomic_fetch_add(&lv->n_subs, 1);
    return 0;
}

static void client_leave(client *c, int64_t key)
{
    int i;
    for (i = 0; i < c->nsubs && c->subs[i] != key; i++)
        ;
    if (i == c->nsubs)
        return;
    c->subs[i] = c->subs[--c->nsubs];
    atomic_fetch_sub(&c->ls->lv->n_subs, 1);
    room *r = room_find(c->ls, key, 0);
    if (!r)
        return;
    for (size_t k = 0; k < r->n; k++)
        if (r->v[k] == c) {
            r->v[k] = r->v[--r->n];
            break;
        }
    room_drop_if_empty(c->ls, r);
}

/* ---- clients ----------------------------------------------------------------------------- */

static atomic_long *conn_counter(odz_live *lv, const client *c)
{
    if (c->kind == K_WS)
        return &lv->n_ws;
    if (c->kind == K_SSE)
        return &lv->n_sse;
    return c->transport == T_WS ? &lv->n_sio_ws : &lv->n_sio_poll;
}

static client *client_new(lstate *ls, int kind, int transport)
{
    client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ls = ls;
    c->kind = kind;
    c->transport = transport;
    c->last_seen = c->last_ping = now_ms();
    c->next = ls->head.next;
    c->prev = &ls->head;
    ls->head.next->prev = c;
    ls->head.next = c;
    atomic_fetch_add(conn_counter(ls->lv, c), 1);
    return c;
}

static void pq_clear(client *c)
{
    for (size_t i = 0; i < c->pqn; i++)
        odz_buf_unref(c->pq[i]);
    c->pqn = 0;
    c->pqbytes = 0;
}

/* Out of rooms and the loop list; no more deliveries. Idempotent. */
static void client_detach(client *c)
{
    if (c->detached)
        return;
    c->detached = 1;
    while (c->nsubs)
        client_leave(c, c->subs[c->nsubs - 1]);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    if (c->kind == K_SIO && c->sid[0])
        sid_remove(c->ls, c);
    atomic_fetch_sub(conn_counter(c->ls->lv, c), 1);
    if (c->poll) {
        static const char close_pkt[] = "1";
        odz_http_pending_respond(c->poll, 200, "text/plain; charset=UTF-8", close_pkt, 1);
        c->poll = NULL;
    }
    pq_clear(c);
    if (c->upgrade_ws) {
        odz_ws_set_ud(c->upgrade_ws, NULL);
        odz_ws_close(c->upgrade_ws, 1000, "session closed");
        c->upgrade_ws = NULL;
    }
}

static void client_free(client *c)
{
    free(c->subs);
    free(c->pq);
    free(c->pqkeys);
    free(c);
}

/* Ends a client from our side; memory goes when its transport reports the close. */
static void client_close(client *c, int code, const char *reason)
{
    if (c->detached)
        return;
    client_detach(c);
    if (c->ws) {
        odz_ws_close(c->ws, code, reason); /* on_close frees c */
    } else if (c->sse) {
        c->sse_ended = 1;
        odz_http_stream_end(c->sse); /* its on_close frees c */
    } else {
        client_free(c);
    }
}

/* Slow client: drop without ceremony. */
static void client_abort(client *c)
{
    odz_live *lv = c->ls->lv;
    odz_metric_inc(lv->m_dropped);
    odz_log_kv(ODZ_LOG_INFO, "live client dropped: not reading", "transport",
               c->kind == K_SSE ? "sse" : c->kind == K_WS ? "ws" : c->transport == T_WS ? "socketio_ws" : "socketio_polling",
               NULL);
    if (c->ws) {
        client_detach(c);
        odz_ws_abort(c->ws); /* on_close frees c */
    } else if (c->sse) {
        client_detach(c);
        c->sse_ended = 1;
        odz_http_stream_abort(c->sse); /* its on_close frees c */
    } else {
        client_close(c, 1008, "too slow");
    }
}

/* ---- sending ----------------------------------------------------------------------------- */

static void poll_flush(client *c)
{
    if (!c->poll || !c->pqn)
        return;
    size_t len = c->pqbytes + (c->pqn - 1);
    char *body = malloc(len);
    if (!body)
        return;
    size_t off = 0;
    for (size_t i = 0; i < c->pqn; i++) {
        if (i)
            body[off++] = '\x1e';
        memcpy(body + off, odz_buf_data(c->pq[i]), odz_buf_len(c->pq[i]));
        off += odz_buf_len(c->pq[i]);
    }
    odz_buf *b = odz_buf_take(body, len);
    pq_clear(c);
    if (b) {
        odz_http_pending_respond_buf(c->poll, 200, "text/plain; charset=UTF-8", b, NULL);
        odz_buf_unref(b);
    } else {
        odz_http_pending_error(c->poll, 500, "internal", "out of memory");
    }
    c->poll = NULL;
}

/* A Socket.IO/Engine.IO packet to a client: raw for polling, frame for WebSocket (frame may
 * be NULL: built here); `key` != 0 replaces a still-waiting packet with the same key.
 * 0, or ODZ_EFULL when the client cannot keep up. */
static int sio_send_keyed(client *c, odz_buf *raw, odz_buf *frame, uint64_t key)
{
    odz_live *lv = c->ls->lv;
    if (c->transport == T_WS) {
        int rc;
        if (frame)
            rc = odz_ws_send_frame_keyed(c->ws, frame, key);
        else
            rc = odz_ws_send_text(c->ws, odz_buf_data(raw), odz_buf_len(raw));
        return rc == ODZ_EFULL ? ODZ_EFULL : rc == 1 ? 1 : 0;
    }
    if (key) {
        for (size_t i = c->pqn; i-- > 0;)
            if (c->pqkeys[i] == key) {
                c->pqbytes = c->pqbytes - odz_buf_len(c->pq[i]) + odz_buf_len(raw);
                odz_buf_unref(c->pq[i]);
                c->pq[i] = odz_buf_ref(raw);
                return 1;
            }
    }
    if (c->pqn && c->pqbytes + odz_buf_len(raw) > lv->cfg.max_queued)
        return ODZ_EFULL;
    if (c->pqn == c->pqcap) {
        size_t cap = c->pqcap ? c->pqcap * 2 : 8;
        odz_buf **v = realloc(c->pq, cap * sizeof(*v));
        if (!v)
            return ODZ_EFULL;
        c->pq = v;
        uint64_t *k = realloc(c->pqkeys, cap * sizeof(*k));
        if (!k)
            return ODZ_EFULL;
        c->pqkeys = k;
        c->pqcap = cap;
    }
    c->pqkeys[c->pqn] = key;
    c->pq[c->pqn++] = odz_buf_ref(raw);
    c->pqbytes += odz_buf_len(raw);
    poll_flush(c);
    return 0;
}

static int sio_send(client *c, odz_buf *raw, odz_buf *frame)
{
    return sio_send_keyed(c, raw, frame, 0);
}

static int sio_send_text(client *c, const char *text)
{
    odz_buf *b = odz_buf_new(text, strlen(text));
    if (!b)
        return ODZ_ENOMEM;
    int rc = sio_send(c, b, NULL);
    odz_buf_unref(b);
    return rc;
}

static void sio_open_packet(client *c, char *out, size_t outlen, int upgrades)
{
    odz_live *lv = c->ls->lv;
    snprintf(out, outlen,
             "0{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":%d,\"pingTimeout\":%d,"
             "\"maxPayload\":%zu}",
             c->sid, upgrades ? "\"websocket\"" : "", lv->cfg.ping_interval_ms,
             lv->cfg.ping_timeout_ms, lv->cfg.max_payload);
}

/* ---- protocol: packets from Socket.IO clients -------------------------------------------- */

static void sio_event(client *c, const odz_sio_packet *p, int nsp)
{
    char name[ODZ_SIO_EVENT_MAX], reply[160];
    int64_t race = -1;
    int rc = odz_sio_event_race(p->json, p->json_len, name, &race);
    const char *err = NULL;
    if (rc == 0 && (!strcmp(name, "subscribe") || !strcmp(name, "unsubscribe"))) {
        if (!strcmp(name, "subscribe")) {
            int jr = client_join(c, room_key(nsp, race));
            if (jr == ODZ_EFULL)
                err = "too many subscriptions";
            else if (jr)
                err = "out of memory";
        } else {
            client_leave(c, room_key(nsp, race));
        }
    } else {
        /* (no quotes: these go into a JSON string as they are) */
        err = name[0] && strcmp(name, "subscribe") && strcmp(name, "unsubscribe")
                  ? "unknown event"
                  : "expected {race_id: a race id or all}";
    }
    if (p->ack < 0)
        return;
    const char *pre = nsp == NSP_ROOT ? "" : nsp_name(nsp);
    char rid[24];
    if (race == 0)
        snprintf(rid, sizeof rid, "\"all\"");
    else
        snprintf(rid, sizeof rid, "%lld", (long long)race);
    if (err)
        snprintf(reply, sizeof reply, "43%s%s%lld[{\"ok\":false,\"error\":\"%s\"}]", pre,
                 *pre ? "," : "", (long long)p->ack, err);
    else
        snprintf(reply, sizeof reply, "43%s%s%lld[{\"ok\":true,\"race_id\":%s}]", pre,
                 *pre ? "," : "", (long long)p->ack, rid);
    sio_send_text(c, reply);
}

/* One Engine.IO packet from a client. 0, or -1 when the client was closed. */
static int sio_packet(client *c, const char *data, size_t len)
{
    odz_sio_packet p;
    c->last_seen = now_ms();
    if (odz_sio_parse(data, len, &p) != 0) {
        client_close(c, 1008, "bad packet");
        return -1;
    }
    switch (p.eio) {
    case ODZ_EIO_CLOSE:
        client_close(c, 1000, "client closed");
        return -1;
    case ODZ_EIO_PING:
        sio_send_text(c, "3");
        return 0;
    case ODZ_EIO_PONG:
        c->ping_wait = 0;
        return 0;
    case ODZ_EIO_MESSAGE:
        break;
    default:
        return 0; /* open, upgrade, noop: nothing to do here */
    }
    int nsp = nsp_of(p.nsp);
    char out[160];
    switch (p.sio) {
    case ODZ_SIO_CONNECT:
        if (nsp < 0) {
            snprintf(out, sizeof out, "44%s,{\"message\":\"Invalid namespace\"}", p.nsp);
        } else {
            c->nsps |= 1u << nsp;
            if (nsp == NSP_ROOT)
                snprintf(out, sizeof out, "40{\"sid\":\"%s\"}", c->sid);
            else
                snprintf(out, sizeof out, "40%s,{\"sid\":\"%s%c\"}", nsp_name(nsp), c->sid,
                         nsp == NSP_PRICES ? 'p' : 'r');
        }
        sio_send_text(c, out);
        return 0;
    case ODZ_SIO_DISCONNECT:
        if (nsp >= 0) {
            c->nsps &= ~(1u << nsp);
            for (int i = c->nsubs - 1; i >= 0; i--)
                if ((c->subs[i] & 3) == nsp)
                    client_leave(c, c->subs[i]);
        }
        return 0;
    case ODZ_SIO_EVENT:
        if (nsp >= 0 && (c->nsps & (1u << nsp)))
            sio_event(c, &p, nsp);
        return 0;
    default:
        return 0;
    }
}

/* ---- WebSocket callbacks ----------------------------------------------------------------- */

static void sio_ws_text(odz_ws *ws, const char *data, size_t len, void *ud)
{
    client *c = ud;
    if (!c)
        return;
    if (c->transport == T_POLL && c->upgrade_ws == ws) {
        /* upgrade probe of a polling session */
        if (len == 6 && !memcmp(data, "2probe", 6)) {
            odz_ws_send_text(ws, "3probe", 6);
            c->probing = 1;
            /* let a waiting poll return so the client can pause polling */
            if (c->poll) {
                odz_http_pending_respond(c->poll, 200, "text/plain; charset=UTF-8", "6", 1);
                c->poll = NULL;
            }
        } else if (len == 1 && data[0] == '5') {
            atomic_fetch_sub(&c->ls->lv->n_sio_poll, 1);
            atomic_fetch_add(&c->ls->lv->n_sio_ws, 1);
            c->transport = T_WS;
            c->ws = ws;
            c->upgrade_ws = NULL;
            c->probing = 0;
            if (c->poll) {
                odz_http_pending_respond(c->poll, 200, "text/plain; charset=UTF-8", "6", 1);
                c->poll = NULL;
            }
            for (size_t i = 0; i < c->pqn; i++)
                odz_ws_send_text(ws, odz_buf_data(c->pq[i]), odz_buf_len(c->pq[i]));
            pq_clear(c);
        } else {
            odz_ws_close(ws, 1008, "expected probe or upgrade");
        }
        return;
    }
    if (c->ws != ws)
        return;
    sio_packet(c, data, len);
}

static void ws_closed(odz_ws *ws, int code, void *ud)
{
    client *c = ud;
    if (!c)
        return;
    if (c->upgrade_ws == ws) { /* the probe gave up: the session goes on polling */
        c->upgrade_ws = NULL;
        c->probing = 0;
        return;
    }
    if (c->ws != ws)
        return;
    client_detach(c);
    client_free(c);
}

static void plain_ws_text(odz_ws *ws, const char *data, size_t len, void *ud)
{
    client *c = ud;
    if (!c)
        return;
    char type[ODZ_SIO_EVENT_MAX], out[160];
    int64_t race = -1;
    int rc = odz_ws_message_race(data, len, type, &race);
    if (rc == 0 && !strcmp(type, "subscribe")) {
        rc = client_join(c, room_key(NSP_PLAIN, race));
        if (rc == 0) {
            if (race)
                snprintf(out, sizeof out, "{\"type\":\"subscribed\",\"race_id\":%lld}", (long long)race);
            else
                snprintf(out, sizeof out, "{\"type\":\"subscribed\",\"race_id\":\"all\"}");
        } else
            snprintf(out, sizeof out,
                     "{\"type\":\"error\",\"error\":\"%s\",\"message\":\"cannot subscribe\"}",
                     rc == ODZ_EFULL ? "too_many_subscriptions" : "internal");
    } else if (rc == 0 && !strcmp(type, "unsubscribe")) {
        client_leave(c, room_key(NSP_PLAIN, race));
        snprintf(out, sizeof out, "{\"type\":\"unsubscribed\"}");
    } else if (!strcmp(type, "ping")) {
        snprintf(out, sizeof out, "{\"type\":\"pong\"}");
    } else {
        snprintf(out, sizeof out,
                 "{\"type\":\"error\",\"error\":\"bad_request\",\"message\":\"expected "
                 "{\\\"type\\\":\\\"subscribe\\\",\\\"race_id\\\":N or \\\"all\\\"}\"}");
    }
    if (odz_ws_send_text(ws, out, strlen(out)) == ODZ_EFULL)
        client_abort(c);
}

static const odz_ws_callbacks sio_ws_cbs = {sio_ws_text, ws_closed};
static const odz_ws_callbacks plain_ws_cbs = {plain_ws_text, ws_closed};

/* ---- HTTP handlers ----------------------------------------------------------------------- */

static client *find_session(lstate *ls, const char *sid)
{
    for (client *c = ls->sids[sid_bucket(sid)]; c; c = c->hnext)
        if (!strcmp(c->sid, sid))
            return c;
    return NULL;
}

/* The 400 body of an Engine.IO error: {"code":N,"message":"..."} */
static size_t eio_error_body(char *body, size_t cap, int code)
{
    int n = snprintf(body, cap, "{\"code\":%d,\"message\":\"%s\"}", code,
                     odz_eio_error_message(code));
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static void eio_error(odz_http_pending *p, int code)
{
    char body[128];
    size_t n = eio_error_body(body, sizeof body, code);
    odz_http_pending_respond(p, 400, "application/json", body, n);
}

static int eio_reject(odz_http_req *req, int code)
{
    char body[128];
    size_t n = eio_error_body(body, sizeof body, code);
    return odz_http_respond(req, 400, "application/json", body, n);
}

/* A polling request for an existing session, on its loop. */
struct poll_req {
    lstate *ls;
    odz_http_pending *p;
    int post;
    char sid[SID_LEN + 1];
    char *body;
    size_t len;
};

static void poll_on_loop(void *arg)
{
    struct poll_req *pr = arg;
    client *c = find_session(pr->ls, pr->sid);
    if (!c || c->detached) {
        eio_error(pr->p, ODZ_EIO_ERR_SID);
    } else if (!pr->post) {
        if (c->transport != T_POLL) {
            eio_error(pr->p, ODZ_EIO_ERR_BAD_REQUEST);
        } else if (c->poll) {
            /* two concurrent GETs break the protocol: close the session */
            eio_error(pr->p, ODZ_EIO_ERR_BAD_REQUEST);
            client_close(c, 1008, "concurrent polls");
        } else if (c->probing && !c->pqn) {
            /* the client is switching to WebSocket: let this poll return at once */
            c->last_seen = now_ms();
            odz_http_pending_respond(pr->p, 200, "text/plain; charset=UTF-8", "6", 1);
        } else {
            c->last_seen = now_ms();
            c->poll = pr->p;
            poll_flush(c);
        }
    } else {
        /* (a POST that arrives after the upgrade still counts) */
        odz_http_pending_respond(pr->p, 200, "text/plain; charset=UTF-8", "ok", 2);
        size_t pos = 0, n;
        const char *pkt;
        while (odz_eio_payload_next(pr->body, pr->len, &pos, &pkt, &n))
            if (sio_packet(c, pkt, n) != 0)
                break;
    }
    free(pr->body);
    free(pr);
}

/* A WebSocket handshake of another protocol version: 426 naming ours (RFC 6455 4.4). */
static int bad_ws_version(odz_http_req *req)
{
    const char *v = odz_http_header(req, "sec-websocket-version");
    if (!v || !strcmp(v, "13"))
        return 0;
    odz_http_header_kv h[] = {{"Sec-WebSocket-Version", "13"}};
    odz_http_resp_opts o = {.extra = h, .nextra = 1};
    static const char body[] =
        "{\"error\":\"upgrade_required\",\"message\":\"WebSocket version 13 only\"}";
    odz_buf *b = odz_buf_new(body, sizeof body - 1);
    odz_http_respond_buf(req, 426, "application/json", b, &o);
    odz_buf_unref(b);
    return 1;
}

static int h_socketio(odz_http_req *req, void *ud)
{
    odz_live *lv = ud;
    int loop = odz_http_req_loop(req);
    lstate *ls = &lv->loops[loop];
    odz_eio_query q;
    int eio_err;
    if (odz_eio_query_parse(odz_http_query(req), &q, &eio_err) != 0)
        return eio_reject(req, eio_err);
    int has_sid = q.has_sid;
    const char *sid = q.sid;
    int is_get = !strcmp(odz_http_method(req), "GET");

    if (q.websocket) {
        if (bad_ws_version(req))
            return 0;
        if (!is_get || !odz_http_is_websocket(req))
            return eio_reject(req, ODZ_EIO_ERR_BAD_REQUEST);
        odz_ws_limits lim = {lv->cfg.max_payload, lv->cfg.max_queued};
        if (has_sid) {
            client *c = odz_eio_sid_loop(sid, lv->nloops) == loop ? find_session(ls, sid) : NULL;
            if (!c || c->transport != T_POLL || c->upgrade_ws)
                return eio_reject(req, ODZ_EIO_ERR_SID);
            odz_ws *ws = odz_ws_accept(req, &lim, &sio_ws_cbs, c);
            if (!ws)
                return ODZ_ENOMEM;
            c->upgrade_ws = ws;
            c->probe_since = now_ms();
            return 0;
        }
        if (ls->nsessions >= lv->cfg.max_sessions)
            return odz_http_respond_json_error(req, 503, "unavailable", "too many live sessions");
        client *c = client_new(ls, K_SIO, T_WS);
        if (!c)
            return ODZ_ENOMEM;
        odz_eio_sid_new(c->sid, loop);
        sid_insert(ls, c);
        odz_ws *ws = odz_ws_accept(req, &lim, &sio_ws_cbs, c);
        if (!ws) {
            client_detach(c);
            client_free(c);
            return ODZ_ENOMEM;
        }
        c->ws = ws;
        char open[256];
        sio_open_packet(c, open, sizeof open, 0);
        odz_ws_send_text(ws, open, strlen(open));
        return 0;
    }

    /* polling */
    if (!has_sid) {
        if (!is_get)
            return eio_reject(req, ODZ_EIO_ERR_BAD_REQUEST);
        if (ls->nsessions >= lv->cfg.max_sessions)
            return odz_http_respond_json_error(req, 503, "unavailable", "too many live sessions");
        client *c = client_new(ls, K_SIO, T_POLL);
        if (!c)
            return ODZ_ENOMEM;
        odz_eio_sid_new(c->sid, loop);
        sid_insert(ls, c);
        char open[256];
        /* a probe WebSocket may land on any loop (SO_REUSEPORT) and sessions live on one: with
         * several loops, offer no upgrade (clients can open WebSocket directly) */
        sio_open_packet(c, open, sizeof open, lv->nloops == 1);
        return odz_http_respond(req, 200, "text/plain; charset=UTF-8", open, strlen(open));
    }
    int owner = odz_eio_sid_loop(sid, lv->nloops);
    if (owner < 0)
        return eio_reject(req, ODZ_EIO_ERR_SID);
    size_t blen = 0;
    const void *body = odz_http_body(req, &blen);
    if (!is_get && blen > lv->cfg.max_payload)
        return odz_http_respond_json_error(req, 413, NULL, "payload too large");
    struct poll_req *pr = calloc(1, sizeof(*pr));
    if (!pr)
        return ODZ_ENOMEM;
    pr->ls = &lv->loops[owner];
    pr->post = !is_get;
    memcpy(pr->sid, sid, SID_LEN + 1); /* sid_valid: exactly SID_LEN characters */
    if (pr->post && blen) {
        pr->body = malloc(blen);
        if (!pr->body) {
            free(pr);
            return ODZ_ENOMEM;
        }
        memcpy(pr->body, body, blen);
        pr->len = blen;
    }
    pr->p = odz_http_defer(req);
    if (!pr->p) {
        free(pr->body);
        free(pr);
        return ODZ_ENOMEM;
    }
    if (owner == loop) {
        poll_on_loop(pr);
    } else if (odz_http_call(lv->srv, owner, poll_on_loop, pr) != 0) {
        odz_http_pending_error(pr->p, 503, "unavailable", "server shutting down");
        free(pr->body);
        free(pr);
    }
    return ODZ_HTTP_PENDING;
}

static int h_ws(odz_http_req *req, void *ud)
{
    odz_live *lv = ud;
    if (bad_ws_version(req))
        return 0;
    if (!odz_http_is_websocket(req))
        return odz_http_respond_json_error(req, 400, "bad_request",
                                           "WebSocket upgrade expected (Upgrade: websocket)");
    lstate *ls = &lv->loops[odz_http_req_loop(req)];
    client *c = client_new(ls, K_WS, T_WS);
    if (!c)
        return ODZ_ENOMEM;
    odz_ws_limits lim = {lv->cfg.max_payload, lv->cfg.max_queued};
    odz_ws *ws = odz_ws_accept(req, &lim, &plain_ws_cbs, c);
    if (!ws) {
        client_detach(c);
        client_free(c);
        return ODZ_ENOMEM;
    }
    c->ws = ws;
    return 0;
}

static void sse_closed(void *ud, const char *reason)
{
    client *c = ud;
    if (!c->sse_ended) {
        client_detach(c);
        c->sse_ended = 1;
        odz_http_stream_end(c->sse);
    }
    client_free(c);
}

static int h_stream(odz_http_req *req, void *ud)
{
    odz_live *lv = ud;
    char v[32];
    int64_t race = -1;
    int rc = odz_http_query_param(req, "race_id", v, sizeof v);
    if (rc == ODZ_ENOTFOUND)
        race = 0;
    else if (rc == 0 && odz_sio_race_text(v, &race) != 0)
        race = -1;
    if (race < 0)
        return odz_http_respond_json_error(req, 400, "bad_request",
                                           "race_id must be a positive integer or \"all\"");
    lstate *ls = &lv->loops[odz_http_req_loop(req)];
    client *c = client_new(ls, K_SSE, 0);
    if (!c)
        return ODZ_ENOMEM;
    odz_http_header_kv extra[] = {{"X-Accel-Buffering", "no"}};
    odz_http_resp_opts opts = {.cache_control = "no-cache", .extra = extra, .nextra = 1};
    c->sse = odz_http_stream_start(req, 200, "text/event-stream", &opts);
    if (!c->sse) {
        client_detach(c);
        client_free(c);
        return ODZ_ENOMEM;
    }
    odz_http_stream_on_close(c->sse, sse_closed, c);
    if (client_join(c, room_key(NSP_PLAIN, race)) != 0) {
        client_close(c, 0, NULL);
        return ODZ_HTTP_PENDING;
    }
    char hello[96];
    int n = snprintf(hello, sizeof hello, "retry: 2000\n: subscribed to %s\n\n",
                     race ? v : "all");
    odz_http_stream_send(c->sse, hello, (size_t)n);
    return ODZ_HTTP_PENDING;
}

/* ---- fan-out ----------------------------------------------------------------------------- */

static void event_unref(event *ev)
{
    if (atomic_fetch_sub(&ev->refs, 1) != 1)
        return;
    odz_buf_unref(ev->sio_raw);
    odz_buf_unref(ev->sio_frame);
    odz_buf_unref(ev->ws_frame);
    odz_buf_unref(ev->sse);
    free(ev);
}

static int deliver(client *c, const event *ev)
{
    if (c->seen_seq == ev->seq)
        return 0;
    c->seen_seq = ev->seq;
    odz_live *lv = c->ls->lv;
    int rc = 0, t = 0;
    switch (c->kind) {
    case K_SIO:
        rc = sio_send_keyed(c, ev->sio_raw, ev->sio_frame, ev->key);
        t = c->transport == T_WS ? 0 : 1;
        break;
    case K_WS:
        rc = odz_ws_send_frame_keyed(c->ws, ev->ws_frame, ev->key);
        rc = rc == ODZ_EFULL ? ODZ_EFULL : rc == 1 ? 1 : 0;
        t = 2;
        break;
    case K_SSE:
        rc = odz_http_stream_send_buf(c->sse, ev->sse) == ODZ_EFULL ? ODZ_EFULL : 0;
        t = 3;
        break;
    }
    if (rc == 1) /* replaced an older state still waiting for this client */
        odz_metric_inc(lv->m_coalesced);
    else if (!rc)
        odz_metric_inc(lv->m_pushed[t]);
    return rc < 0 ? rc : 0;
}

static void fanout_on_loop(void *arg)
{
    struct event_post *ep = arg;
    event *ev = ep->ev;
    lstate *ls = ep->ls;
    int nsp = ev->kind == EV_PRICE ? NSP_PRICES : NSP_RACING;
    int64_t keys[4] = {room_key(nsp, ev->race_id), room_key(nsp, 0),
                       room_key(NSP_PLAIN, ev->race_id), room_key(NSP_PLAIN, 0)};
    client **slow = NULL;
    size_t nslow = 0, capslow = 0;
    for (int k = 0; k < 4; k++) {
        room *r = room_find(ls, keys[k], 0);
        for (size_t i = 0; r && i < r->n; i++) {
            client *c = r->v[i];
            if (deliver(c, ev) == ODZ_EFULL) {
                if (nslow == capslow) {
                    size_t cap = capslow ? capslow * 2 : 8;
                    client **v = realloc(slow, cap * sizeof(*v));
                    if (!v)
                        continue;
                    slow = v;
                    capslow = cap;
                }
                slow[nslow++] = c;
            }
        }
    }
    for (size_t i = 0; i < nslow; i++)
        client_abort(slow[i]);
    free(slow);
    event_unref(ev);
    free(ep);
}

/* Subject race.<id>.price / race.<id>.updated -> race id, or -1. */
static int64_t subject_race(const char *s)
{
    if (strncmp(s, "race.", 5))
        return -1;
    char *end;
    long long id = strtoll(s + 5, &end, 10);
    return id > 0 && *end == '.' ? id : -1;
}

static odz_buf *concat3(const char *a, const char *b, size_t blen, const char *c)
{
    size_t la = strlen(a), lc = strlen(c);
    char *m = malloc(la + blen + lc);
    if (!m)
        return NULL;
    memcpy(m, a, la);
    memcpy(m + la, b, blen);
    memcpy(m + la + blen, c, lc);
    return odz_buf_take(m, la + blen + lc);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
    return h;
}

/* The coalescing key: a price is the latest of its (race, runner, provider, market); a race
 * update the latest of its race. 0 (never coalesced) if the event does not say. */
static uint64_t event_key(int price, int64_t race, const char *data, size_t len)
{
    uint64_t h = fnv(1469598103934665603ull, &race, sizeof race);
    h = fnv(h, price ? "p" : "r", 1);
    if (!price)
        return h ? h : 1;
    json_error_t e;
    json_t *o = json_loadb(data, len, 0, &e);
    json_t *sel = json_object_get(o, "selection_id"), *mk = json_object_get(o, "market"),
           *pv = json_object_get(o, "provider");
    uint64_t k = 0;
    if (json_is_integer(sel) && json_is_string(mk)) {
        json_int_t sid = json_integer_value(sel);
        h = fnv(h, &sid, sizeof sid);
        h = fnv(h, json_string_value(mk), strlen(json_string_value(mk)));
        if (json_is_string(pv))
            h = fnv(h, json_string_value(pv), strlen(json_string_value(pv)));
        k = h ? h : 1;
    }
    json_decref(o);
    return k;
}

static void on_bus_event(odz_bus *bus, const odz_msg *msg, void *ud)
{
    odz_live *lv = ud;
    int64_t race = subject_race(msg->subject);
    if (race <= 0 || msg->len == 0 || msg->len > 65536)
        return;
    int price = strstr(msg->subject, ".price") != NULL;
    event *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return;
    atomic_init(&ev->refs, 1);
    ev->kind = price ? EV_PRICE : EV_RACE;
    ev->race_id = race;
    ev->seq = atomic_fetch_add(&lv->seq, 1) + 1;
    ev->key = event_key(price, race, msg->data, msg->len);
    const char *name = price ? "updatePrice" : "raceUpdated";
    char pre[64], wpre[64], spre[64];
    snprintf(pre, sizeof pre, "42%s,[\"%s\",", price ? "/prices" : "/racing", name);
    snprintf(wpre, sizeof wpre, "{\"type\":\"%s\",\"data\":", name);
    snprintf(spre, sizeof spre, "event: %s\ndata: ", name);
    /* the racing service's event JSON is one line: usable as is */
    ev->sio_raw = concat3(pre, msg->data, msg->len, "]");
    odz_buf *wtxt = concat3(wpre, msg->data, msg->len, "}");
    ev->sse = concat3(spre, msg->data, msg->len, "\n\n");
    if (ev->sio_raw)
        ev->sio_frame = odz_ws_frame_text(odz_buf_data(ev->sio_raw), odz_buf_len(ev->sio_raw));
    if (wtxt)
        ev->ws_frame = odz_ws_frame_text(odz_buf_data(wtxt), odz_buf_len(wtxt));
    odz_buf_unref(wtxt);
    if (!ev->sio_raw || !ev->sio_frame || !ev->ws_frame || !ev->sse) {
        event_unref(ev);
        return;
    }
    odz_metric_inc(lv->m_events);
    for (int i = 0; i < lv->nloops; i++) {
        struct event_post *ep = malloc(sizeof(*ep));
        if (!ep)
            continue;
        ep->ev = ev;
        ep->ls = &lv->loops[i];
        atomic_fetch_add(&ev->refs, 1);
        if (odz_http_call(lv->srv, i, fanout_on_loop, ep) != 0) {
            atomic_fetch_sub(&ev->refs, 1);
            free(ep);
        }
    }
    event_unref(ev);
}

/* ---- timers and shutdown ----------------------------------------------------------------- */

static void on_tick(void *ud, int loop)
{
    odz_live *lv = ud;
    lstate *ls = &lv->loops[loop];
    int64_t now = now_ms();
    client *c = ls->head.next;
    while (c != &ls->head) {
        client *next = c->next; /* closing unlinks c */
        if (c->kind == K_SIO) {
            /* (first: the checks below may free c) */
            if (c->upgrade_ws && !c->probing && now - c->probe_since > PROBE_TIMEOUT_MS) {
                odz_ws *pw = c->upgrade_ws; /* a probe that never started */
                c->upgrade_ws = NULL;
                odz_ws_set_ud(pw, NULL);
                odz_ws_close(pw, 1008, "probe timeout");
            }
            if (c->ping_wait && now - c->ping_sent > lv->cfg.ping_timeout_ms) {
                client_close(c, 1000, "ping timeout");
            } else if (c->transport == T_POLL && !c->poll &&
                       now - c->last_seen > lv->cfg.ping_interval_ms + lv->cfg.ping_timeout_ms) {
                client_close(c, 1000, "polling client gone");
            } else if (!c->ping_wait && now - c->last_ping >= lv->cfg.ping_interval_ms) {
                c->ping_wait = 1;
                c->ping_sent = c->last_ping = now;
                if (sio_send_text(c, "2") == ODZ_EFULL)
                    client_abort(c);
            }
        } else if (c->kind == K_WS) {
            /* plain WebSocket: ping frames; a peer silent for interval + timeout is gone */
            if (odz_ws_idle_ms(c->ws) > lv->cfg.ping_interval_ms + lv->cfg.ping_timeout_ms)
                client_close(c, 1001, "ping timeout");
            else if (now - c->last_ping >= lv->cfg.ping_interval_ms) {
                c->last_ping = now;
                if (odz_ws_ping(c->ws) == ODZ_EFULL)
                    client_abort(c);
            }
        } else if (c->kind == K_SSE && now - c->last_ping >= lv->cfg.sse_heartbeat_ms) {
            c->last_ping = now;
            if (odz_http_stream_send(c->sse, ": ping\n\n", 8) == ODZ_EFULL)
                client_abort(c);
        }
        c = next;
    }
}

static void on_shutdown(void *ud, int loop, const char *reason)
{
    odz_live *lv = ud;
    lstate *ls = &lv->loops[loop];
    while (ls->head.next != &ls->head) {
        client *c = ls->head.next;
        if (c->kind == K_SIO) {
            /* tell Socket.IO clients the server is going (they reconnect elsewhere) */
            if (c->transport == T_WS)
                odz_ws_send_text(c->ws, "1", 1);
        }
        client_close(c, 1001, reason);
    }
}

/* ---- metrics ----------------------------------------------------------------------------- */

static void collect(void *ud)
{
    odz_live *lv = ud;
    odz_metric_set(lv->m_conns[0], (double)atomic_load(&lv->n_sio_ws));
    odz_metric_set(lv->m_conns[1], (double)atomic_load(&lv->n_sio_poll));
    odz_metric_set(lv->m_conns[2], (double)atomic_load(&lv->n_ws));
    odz_metric_set(lv->m_conns[3], (double)atomic_load(&lv->n_sse));
    odz_metric_set(lv->m_subs, (double)atomic_load(&lv->n_subs));
}

void odz_live_stats_get(odz_live *lv, odz_live_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->connections_socketio_ws = atomic_load(&lv->n_sio_ws);
    out->connections_socketio_polling = atomic_load(&lv->n_sio_poll);
    out->connections_ws = atomic_load(&lv->n_ws);
    out->connections_sse = atomic_load(&lv->n_sse);
    out->subscriptions = atomic_load(&lv->n_subs);
    for (int i = 0; i < 4; i++)
        out->pushed += (unsigned long)odz_metric_value(lv->m_pushed[i]);
    out->dropped_clients = (unsigned long)odz_metric_value(lv->m_dropped);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

odz_live *odz_live_new(odz_bus *bus, odz_http_server *srv, const odz_live_config *cfg, char *err,
                       size_t errlen)
{
    odz_live *lv = calloc(1, sizeof(*lv));
    if (!lv) {
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    lv->bus = bus;
    lv->srv = srv;
    if (cfg)
        lv->cfg = *cfg;
    if (lv->cfg.ping_interval_ms <= 0)
        lv->cfg.ping_interval_ms = 25000;
    if (lv->cfg.ping_timeout_ms <= 0)
        lv->cfg.ping_timeout_ms = 20000;
    if (!lv->cfg.max_queued)
        lv->cfg.max_queued = 512 * 1024;
    if (!lv->cfg.max_payload)
        lv->cfg.max_payload = 64 * 1024;
    if (lv->cfg.max_subscriptions <= 0)
        lv->cfg.max_subscriptions = 64;
    if (lv->cfg.sse_heartbeat_ms <= 0)
        lv->cfg.sse_heartbeat_ms = 15000;
    if (lv->cfg.max_sessions <= 0)
        lv->cfg.max_sessions = 20000;
    lv->nloops = odz_http_nloops(srv);
    lv->loops = calloc((size_t)lv->nloops, sizeof(*lv->loops));
    if (!lv->loops) {
        free(lv);
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < lv->nloops; i++) {
        lv->loops[i].lv = lv;
        lv->loops[i].index = i;
        lv->loops[i].head.next = lv->loops[i].head.prev = &lv->loops[i].head;
    }
    static const char *tl[4] = {"transport=\"socketio_websocket\"", "transport=\"socketio_polling\"",
                                "transport=\"websocket\"", "transport=\"sse\""};
    for (int i = 0; i < 4; i++) {
        lv->m_conns[i] = odz_gauge("oddzy_live_connections", "Live clients connected", tl[i]);
        lv->m_pushed[i] = odz_counter("oddzy_live_messages_pushed_total",
                                      "Event messages queued to live clients", tl[i]);
    }
    lv->m_subs = odz_gauge("oddzy_live_subscriptions", "Race rooms joined by live clients", NULL);
    lv->m_dropped = odz_counter("oddzy_live_clients_dropped_total",
                                "Live clients disconnected because they could not keep up", NULL);
    lv->m_coalesced = odz_counter("oddzy_live_messages_coalesced_total",
                                  "Messages that replaced an older state still queued for a slow "
                                  "client (sent once instead of twice)",
                                  NULL);
    lv->m_events = odz_counter("oddzy_live_events_total", "Bus events fanned out to live clients",
                               NULL);
    odz_metrics_on_collect(collect, lv);

    int rc = 0;
    rc |= odz_http_route(srv, "GET", "/socket.io/", h_socketio, lv);
    rc |= odz_http_route(srv, "POST", "/socket.io/", h_socketio, lv);
    rc |= odz_http_route(srv, "GET", "/ws", h_ws, lv);
    rc |= odz_http_route(srv, "GET", "/api/stream", h_stream, lv);
    rc |= odz_http_every(srv, 1000, on_tick, lv);
    rc |= odz_http_on_shutdown(srv, on_shutdown, lv);
    if (rc) {
        odz_fail(err, errlen, ODZ_ESTATE, "cannot register live routes");
        odz_live_free(lv);
        return NULL;
    }
    lv->sub_price = bus->ops->subscribe(bus, "race.*.price", NULL, 65536, on_bus_event, lv);
    lv->sub_race = bus->ops->subscribe(bus, "race.*.updated", NULL, 65536, on_bus_event, lv);
    if (lv->sub_price <= 0 || lv->sub_race <= 0) {
        odz_fail(err, errlen, ODZ_EIO, "cannot subscribe to race events");
        odz_live_free(lv);
        return NULL;
    }
    return lv;
}

void odz_live_detach(odz_live *lv)
{
    if (!lv)
        return;
    if (lv->sub_price > 0)
        lv->bus->ops->unsubscribe(lv->bus, lv->sub_price);
    if (lv->sub_race > 0)
        lv->bus->ops->unsubscribe(lv->bus, lv->sub_race);
    lv->sub_price = lv->sub_race = 0;
}

void odz_live_free(odz_live *lv)
{
    if (!lv)
        return;
    odz_live_detach(lv);
    odz_metrics_off_collect(collect, lv);
    for (int i = 0; i < lv->nloops; i++) {
        lstate *ls = &lv->loops[i];
        /* normally empty after the server's shutdown; free what a loop that never ran has */
        while (ls->head.next != &ls->head) {
            client *c = ls->head.next;
            client_detach(c);
            if (!c->ws && !c->sse)
                client_free(c);
        }
        for (int b = 0; b < ROOM_BUCKETS; b++)
            while (ls->rooms[b]) {
                room *r = ls->rooms[b];
                ls->rooms[b] = r->next;
                free(r->v);
                free(r);
            }
    }
    free(lv->loops);
    free(lv);
}

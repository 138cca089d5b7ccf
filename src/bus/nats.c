/* NATS bus: the bus contract over one nats.c connection; each subscription gets the library's
 * own delivery thread and pending limit, correlation ids travel in the "Oddzy-Corr" header. */
#include "bus/bus.h"
#include "bus/bus_internal.h"
#include "core/alloc.h"
#include "core/err.h"
#include "obs/log.h"

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORR_HEADER "Oddzy-Corr"
#define KEY_HEADER "Oddzy-Key" /* publish_keyed's key, handed to subscribers (odz_msg.key) */
/* Bytes a subscription may hold pending: room for a few of the largest messages, so the
 * count (queue_len) is what normally bounds it. */
#define PENDING_BYTES_MAX (16 * (int)ODZ_BUS_MSG_MAX)
#define MAX_SERVERS 16
#define URL_MAX 1024
#define RECONNECT_WAIT_MS 250
#define RECONNECT_BUF (16 << 20)
#define CONNECT_TIMEOUT_MS 2000
#define FLUSH_TIMEOUT_MS 2000

typedef struct nsub {
    struct nsub *next;
    int64_t id;
    natsSubscription *ns;
    odz_bus_handler handler;
    void *ud;
    struct nbus *bus;
    atomic_bool closing; /* unsubscribed: messages still queued in the library are dropped */
    bool done;           /* on-complete ran: the handler is never called again (bus lock) */
    bool detached;       /* unsubscribed from its own handler: on-complete frees it (bus lock) */
    uint64_t seen_dropped; /* the library's drop count at the last delivery (delivery thread) */
} nsub;

typedef struct nbus {
    odz_bus base;
    natsConnection *nc;
    char where[URL_MAX];  /* server list without credentials, for logs */
    bool headers;         /* the server carries headers (correlation ids, no-responders) */
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;
    nsub *subs;
    int64_t next_id;
    int alive;             /* subscriptions whose on-complete has not run yet */
    int inflight;          /* calls using nc right now */
    bool closed;           /* close() started */
    bool nc_closed;        /* the library's closed callback ran: no more connection callbacks */
    uint64_t dropped_gone; /* drops of subscriptions already removed */
    atomic_uint_fast64_t published, delivered;
} nbus;

#define NB(b) ((nbus *)(b))

/* The subscription whose handler this thread is running, to spot unsubscribe-from-self. */
static _Thread_local nsub *tl_current;

/* ---- status mapping ---- */

static int map_status(natsStatus s)
{
    switch (s) {
    case NATS_OK:
        return 0;
    case NATS_TIMEOUT:
        return ODZ_ETIMEOUT;
    case NATS_NO_RESPONDERS:
        return ODZ_ENORESP;
    case NATS_NO_MEMORY:
        return ODZ_ENOMEM;
    case NATS_CONNECTION_CLOSED:
        return ODZ_ECLOSED;
    case NATS_INSUFFICIENT_BUFFER:
        return ODZ_EFULL; /* reconnect buffer exhausted */
    case NATS_MAX_PAYLOAD:
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_ARG:
        return ODZ_EINVAL;
    default:
        return ODZ_EIO;
    }
}

/* Calls that use the connection register here so close() can wait for them. */
static int op_enter(nbus *b)
{
    pthread_mutex_lock(&b->lock);
    bool closed = b->closed;
    if (!closed)
        b->inflight++;
    pthread_mutex_unlock(&b->lock);
    return closed ? ODZ_ECLOSED : 0;
}

static void op_leave(nbus *b)
{
    pthread_mutex_lock(&b->lock);
    if (--b->inflight == 0)
        pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
}

/* ---- connection events (on the library's callback thread) ---- */

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    nbus *b = closure;
    pthread_mutex_lock(&b->lock);
    bool closing = b->closed;
    pthread_mutex_unlock(&b->lock);
    odz_log_kv(closing ? ODZ_LOG_DEBUG : ODZ_LOG_WARN, "bus disconnected, reconnecting", "bus",
               "nats", "servers", b->where, NULL);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    nbus *b = closure;
    char url[256] = "";
    if (natsConnection_GetConnectedUrl(nc, url, sizeof url) != NATS_OK)
        url[0] = '\0';
    /* the URL may carry credentials: keep only what follows '@' */
    const char *at = strrchr(url, '@');
    odz_log_kv(ODZ_LOG_INFO, "bus reconnected", "bus", "nats", "server", at ? at + 1 : url,
               "servers", b->where, NULL);
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    nbus *b = closure;
    pthread_mutex_lock(&b->lock);
    b->nc_closed = true;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)closure;
    const char *subj = sub ? natsSubscription_GetSubject(sub) : NULL;
    if (err == NATS_SLOW_CONSUMER)
        odz_log_kv(ODZ_LOG_WARN, "bus subscription queue full, dropping messages", "bus", "nats",
                   "subject", subj, NULL);
    else
        odz_log_kv(ODZ_LOG_WARN, "bus error", "bus", "nats", "subject", subj, "error",
                   natsStatus_GetText(err), NULL);
}

/* ---- delivery (on the subscription's own library thread) ---- */

static uint64_t sub_dropped(nsub *s)
{
    int64_t d = 0;
    if (natsSubscription_GetDropped(s->ns, &d) != NATS_OK || d < 0)
        return 0;
    return (uint64_t)d;
}

static void on_msg(natsConnection *nc, natsSubscription *ns, natsMsg *m, void *closure)
{
    (void)nc;
    (void)ns;
    nsub *s = closure;
    if (atomic_load(&s->closing)) {
        natsMsg_Destroy(m);
        return;
    }
    char corr[ODZ_CORR_MAX] = "";
    const char *hv = NULL;
    if (natsMsgHeader_Get(m, CORR_HEADER, &hv) == NATS_OK && hv)
        snprintf(corr, sizeof corr, "%s", hv); /* a foreign publisher may send a longer one */
    char key[ODZ_BUS_KEY_MAX] = "";
    hv = NULL;
    /* (a key too long for us is no key: never a truncated one, which could merge two things) */
    if (natsMsgHeader_Get(m, KEY_HEADER, &hv) == NATS_OK && hv && strlen(hv) < sizeof key)
        snprintf(key, sizeof key, "%s", hv);
    const char *data = natsMsg_GetData(m);
    const char *reply = natsMsg_GetReply(m);
    /* what the library dropped for this subscription (slow consumer) since the last delivery:
     * the handler is told, as with the in-process bus, so it can rebuild derived state */
    uint64_t dropped = sub_dropped(s);
    uint64_t missed = dropped > s->seen_dropped ? dropped - s->seen_dropped : 0;
    s->seen_dropped = dropped;
    odz_msg msg = {natsMsg_GetSubject(m),
                   reply && *reply ? reply : NULL,
                   data ? data : "",
                   data ? (size_t)natsMsg_GetDataLength(m) : 0,
                   corr,
                   missed,
                   key[0] ? key : NULL};
    nsub *prev = tl_current;
    tl_current = s;
    s->handler(&s->bus->base, &msg, s->ud);
    tl_current = prev;
    atomic_fetch_add(&s->bus->delivered, 1);
    natsMsg_Destroy(m);
}

/* Runs on the delivery thread once the subscription is closed and its handler has returned. */
static void on_complete(void *closure)
{
    nsub *s = closure;
    nbus *b = s->bus;
    pthread_mutex_lock(&b->lock);
    bool self_free = s->detached;
    if (self_free) { /* nobody else references it any more */
        natsSubscription_Destroy(s->ns);
        free(s);
    } else {
        s->done = true;
    }
    b->alive--;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
}

/* ---- publish ---- */

/* NATS queues every message (server and client library): a key does not coalesce here, it
 * travels in a header to the subscribers (odz_msg.key), which may coalesce on it. */
static int nb_send(odz_bus *bb, const char *subject, const char *reply, const char *key,
                   const void *data, size_t len, const char *corr)
{
    nbus *b = NB(bb);
    if (reply && !*reply)
        reply = NULL;
    int rc = op_enter(b);
    if (rc)
        return rc;
    natsStatus s;
    if (((corr && *corr) || (key && *key)) && b->headers) {
        natsMsg *m = NULL;
        s = natsMsg_Create(&m, subject, reply, data, (int)len);
        if (s == NATS_OK && corr && *corr)
            s = natsMsgHeader_Set(m, CORR_HEADER, corr);
        if (s == NATS_OK && key && *key)
            s = natsMsgHeader_Set(m, KEY_HEADER, key);
        if (s == NATS_OK)
            s = natsConnection_PublishMsg(b->nc, m);
        natsMsg_Destroy(m);
    } else if (reply) {
        s = natsConnection_PublishRequest(b->nc, subject, reply, data, (int)len);
    } else {
        s = natsConnection_Publish(b->nc, subject, data, (int)len);
    }
    op_leave(b);
    if (s == NATS_OK)
        atomic_fetch_add(&b->published, 1);
    return map_status(s);
}

/* ---- subscribe ---- */

static int64_t nb_subscribe(odz_bus *bb, const char *pattern, const char *group, size_t qlen,
                            odz_bus_handler h, void *ud)
{
    nbus *b = NB(bb);
    nsub *s = calloc(1, sizeof *s);
    if (!s)
        return ODZ_ENOMEM;
    s->handler = h;
    s->ud = ud;
    s->bus = b;
    atomic_init(&s->closing, false);

    /* Under the bus lock so close() cannot run between creating the subscription and
     * counting it; the library calls on_msg/on_complete without any of our locks held. */
    pthread_mutex_lock(&b->lock);
    if (b->closed) {
        pthread_mutex_unlock(&b->lock);
        free(s);
        return ODZ_ECLOSED;
    }
    natsStatus st = group ? natsConnection_QueueSubscribe(&s->ns, b->nc, pattern, group, on_msg, s)
                          : natsConnection_Subscribe(&s->ns, b->nc, pattern, on_msg, s);
    if (st != NATS_OK) {
        pthread_mutex_unlock(&b->lock);
        free(s);
        return map_status(st);
    }
    st = natsSubscription_SetOnCompleteCB(s->ns, on_complete, s);
    if (st != NATS_OK) {
        /* Only a subscription already closed by the library gets here; its thread may still
         * hold `s`, so it is left allocated rather than risk a use after free. */
        atomic_store(&s->closing, true);
        pthread_mutex_unlock(&b->lock);
        natsSubscription_Destroy(s->ns);
        return map_status(st);
    }
    natsSubscription_SetPendingLimits(s->ns, (int)(qlen ? qlen : ODZ_BUS_QUEUE_DEFAULT),
                                      PENDING_BYTES_MAX);
    s->id = ++b->next_id;
    s->next = b->subs;
    b->subs = s;
    b->alive++;
    int64_t id = s->id;
    pthread_mutex_unlock(&b->lock);

    /* One round trip so the server knows the interest when subscribe returns, as with the
     * in-process bus; while reconnecting the library resends it on reconnect instead. */
    if (natsConnection_Status(b->nc) == NATS_CONN_STATUS_CONNECTED)
        natsConnection_FlushTimeout(b->nc, FLUSH_TIMEOUT_MS);
    return id;
}

static int nb_unsubscribe(odz_bus *bb, int64_t id)
{
    nbus *b = NB(bb);
    pthread_mutex_lock(&b->lock);
    nsub **pp = &b->subs, *s = NULL;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            s = *pp;
            *pp = s->next;
            break;
        }
    if (!s) {
        pthread_mutex_unlock(&b->lock);
        return ODZ_ENOTFOUND;
    }
    atomic_store(&s->closing, true);
    b->dropped_gone += sub_dropped(s);
    bool own = tl_current == s;
    s->detached = own; /* from its own handler: on-complete frees it after the handler */
    pthread_mutex_unlock(&b->lock);

    natsSubscription_Unsubscribe(s->ns);
    if (own)
        return 0;
    pthread_mutex_lock(&b->lock);
    while (!s->done)
        pthread_cond_wait(&b->cond, &b->lock);
    pthread_mutex_unlock(&b->lock);
    natsSubscription_Destroy(s->ns);
    free(s);
    return 0;
}

/* ---- request/reply ---- */

static int nb_request(odz_bus *bb, const char *subject, const void *data, size_t len,
                      int timeout_ms, const char *corr, char **reply, size_t *reply_len)
{
    nbus *b = NB(bb);
    int rc = op_enter(b);
    if (rc)
        return rc;
    natsMsg *m = NULL, *rep = NULL;
    natsStatus s = natsMsg_Create(&m, subject, NULL, data, (int)len);
    if (s == NATS_OK && corr && *corr && b->headers)
        s = natsMsgHeader_Set(m, CORR_HEADER, corr);
    if (s == NATS_OK) {
        atomic_fetch_add(&b->published, 1);
        s = natsConnection_RequestMsg(&rep, b->nc, m, timeout_ms);
    }
    natsMsg_Destroy(m);
    op_leave(b);
    rc = map_status(s);
    if (rc == 0) {
        const char *d = natsMsg_GetData(rep);
        size_t n = d ? (size_t)natsMsg_GetDataLength(rep) : 0;
        char *out = malloc(n + 1);
        if (out) {
            if (n)
                memcpy(out, d, n);
            out[n] = '\0';
            *reply = out;
            if (reply_len)
                *reply_len = n;
        } else {
            rc = ODZ_ENOMEM;
        }
    }
    natsMsg_Destroy(rep);
    return rc;
}

/* The subscribers are other processes, and the client library cannot see them. */
static bool nb_heard(odz_bus *bb, const char *subject)
{
    return true;
}

/* nats.c buffers a connection's writes itself; nothing here wakes per message */
static void nb_batch(odz_bus *bb, bool begin)
{
}

static void nb_stats(odz_bus *bb, odz_bus_stats *out)
{
    nbus *b = NB(bb);
    out->published = atomic_load(&b->published);
    out->delivered = atomic_load(&b->delivered);
    pthread_mutex_lock(&b->lock);
    uint64_t d = b->dropped_gone;
    for (nsub *s = b->subs; s; s = s->next)
        d += sub_dropped(s);
    pthread_mutex_unlock(&b->lock);
    out->dropped = d;
}

/* ---- close ---- */

static void nb_close(odz_bus *bb)
{
    nbus *b = NB(bb);
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->closed = true;
    nsub *list = b->subs;
    b->subs = NULL;
    for (nsub *s = list; s; s = s->next)
        atomic_store(&s->closing, true);
    pthread_mutex_unlock(&b->lock);

    /* what was published before close reaches the server */
    if (natsConnection_Status(b->nc) == NATS_CONN_STATUS_CONNECTED)
        natsConnection_FlushTimeout(b->nc, FLUSH_TIMEOUT_MS);
    for (nsub *s = list; s; s = s->next)
        natsSubscription_Unsubscribe(s->ns);
    natsConnection_Close(b->nc); /* also wakes requests still waiting */

    pthread_mutex_lock(&b->lock);
    while (b->alive > 0 || b->inflight > 0 || !b->nc_closed)
        pthread_cond_wait(&b->cond, &b->lock);
    pthread_mutex_unlock(&b->lock);

    for (nsub *s = list, *nx; s; s = nx) {
        nx = s->next;
        natsSubscription_Destroy(s->ns);
        free(s);
    }
    natsConnection_Destroy(b->nc);
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static const odz_bus_ops nats_ops = ODZ_BUS_OPS("nats", nb);

/* ---- open ---- */

/* Split "nats://a:4222, nats://b:4222" into `urls` (pointers into buf); the redacted list
 * (no user:password@) goes to `where`. */
static int parse_servers(const char *url, char *buf, size_t buflen, const char **urls, int *n,
                         char *where, size_t wherelen, char *err, size_t errlen)
{
    if (strlen(url) >= buflen)
        return odz_fail(err, errlen, ODZ_EINVAL, "bus URL too long (max %zu bytes)", buflen - 1);
    snprintf(buf, buflen, "%s", url);
    *n = 0;
    where[0] = '\0';
    size_t wl = 0;
    for (char *p = buf; p;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        char *e = p + strlen(p);
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (strncmp(p, "nats://", 7) != 0 || !p[7])
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "bad NATS server '%s' in bus URL (want nats://host:port[,...])", p);
        for (const char *c = p; *c; c++)
            if ((unsigned char)*c <= ' ')
                return odz_fail(err, errlen, ODZ_EINVAL, "bad character in NATS server URL");
        if (*n == MAX_SERVERS)
            return odz_fail(err, errlen, ODZ_EINVAL, "more than %d NATS servers", MAX_SERVERS);
        urls[(*n)++] = p;
        const char *host = strrchr(p + 7, '@');
        int w = snprintf(where + wl, wherelen - wl, "%snats://%s", wl ? "," : "",
                         host ? host + 1 : p + 7);
        if (w > 0 && (size_t)w < wherelen - wl)
            wl += (size_t)w;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

odz_bus *odz_bus_nats_open(const char *url, char *err, size_t errlen)
{
    if (!url)
        url = "";
    char buf[URL_MAX];
    const char *urls[MAX_SERVERS];
    int n = 0;
    nbus *b = odz_zalloc(sizeof *b, err, errlen);
    if (!b)
        return NULL;
    if (parse_servers(url, buf, sizeof buf, urls, &n, b->where, sizeof b->where, err, errlen)) {
        free(b);
        return NULL;
    }
    b->base.ops = &nats_ops;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
    atomic_init(&b->published, 0);
    atomic_init(&b->delivered, 0);

    natsOptions *opts = NULL;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = natsOptions_SetServers(opts, urls, n);
    if (s == NATS_OK)
        s = natsOptions_SetName(opts, "oddzy");
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(opts, CONNECT_TIMEOUT_MS);
    if (s == NATS_OK)
        s = natsOptions_SetAllowReconnect(opts, true);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(opts, -1); /* forever */
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(opts, RECONNECT_WAIT_MS);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(opts, RECONNECT_BUF);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(opts, on_disconnected, b);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(opts, on_reconnected, b);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(opts, on_closed, b);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(opts, on_error, b);
    if (s == NATS_OK)
        s = natsConnection_Connect(&b->nc, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) {
        odz_fail(err, errlen, s == NATS_NO_MEMORY ? ODZ_ENOMEM : ODZ_EIO,
                 "cannot connect to NATS at %s: %s", b->where, natsStatus_GetText(s));
        /* the closed callback never runs for a connection that was never made */
        pthread_cond_destroy(&b->cond);
        pthread_mutex_destroy(&b->lock);
        free(b);
        return NULL;
    }
    b->headers = natsConnection_HasHeaderSupport(b->nc) == NATS_OK;
    if (!b->headers)
        odz_log_kv(ODZ_LOG_WARN,
                   "NATS server has no header support: correlation ids are not carried and a "
                   "request to nobody times out",
                   "bus", "nats", "servers", b->where, NULL);
    int64_t maxp = natsConnection_GetMaxPayload(b->nc);
    if (maxp < (int64_t)ODZ_BUS_MSG_MAX + 1024) {
        char mp[32];
        snprintf(mp, sizeof mp, "%lld", (long long)maxp);
        odz_log_kv(ODZ_LOG_WARN,
                   "NATS server max_payload is below the bus limit: larger messages are refused",
                   "bus", "nats", "max_payload", mp, NULL);
    }
    odz_log_kv(ODZ_LOG_INFO, "bus connected", "bus", "nats", "servers", b->where, NULL);
    return &b->base;
}

/* Engine.IO v4 sessions (/socket.io/): the handshake, long-polling (requests forwarded to the
 * loop that owns the session), WebSocket, and the upgrade from one to the other. What a
 * session waits to receive is one keyed queue (http/outq.h): WebSocket frames in the
 * connection's, polling packets in the session's, flushed once at the end of a loop turn. */
#include "live/live_internal.h"
#include "core/err.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SID_LEN ODZ_EIO_SID_LEN
#define PROBE_TIMEOUT_MS 10000
enum { T_POLL = 1, T_WS };

struct sio_client {
    client base;        /* first */
    int transport;      /* T_POLL, T_WS */
    odz_ws *ws;         /* T_WS */
    odz_ws *upgrade_ws; /* T_POLL: a WebSocket probing to take over */
    int probing;        /* the probe answered 3probe: polls get a noop at once */
    int64_t probe_since;
    sio_client *hnext;  /* the loop's sid hash chain */
    char sid[SID_LEN + 1];
    unsigned nsps;      /* connected Socket.IO namespaces, bit per odz_live.nsps index */
    /* polling */
    odz_http_pending *poll;
    odz_outq pq;
    int flush_due; /* in the loop's flush list */
    int64_t last_seen;
    /* ping */
    int64_t ping_sent;
    int ping_wait;
};

const char *sio_client_sid(const sio_client *c)
{
    return c->sid;
}

unsigned *sio_client_nsps(sio_client *c)
{
    return &c->nsps;
}

/* ---- session ids ------------------------------------------------------------------------- */

static size_t sid_bucket(const char *sid)
{
    return (size_t)(odz_hash_text(ODZ_HASH_SEED, sid) % LIVE_SID_BUCKETS);
}

static void sid_insert(lstate *ls, sio_client *c)
{
    size_t b = sid_bucket(c->sid);
    c->hnext = ls->sids[b];
    ls->sids[b] = c;
    ls->nsessions++;
}

static void sid_remove(lstate *ls, sio_client *c)
{
    for (sio_client **pp = &ls->sids[sid_bucket(c->sid)]; *pp; pp = &(*pp)->hnext)
        if (*pp == c) {
            *pp = c->hnext;
            ls->nsessions--;
            return;
        }
}

static sio_client *find_session(lstate *ls, const char *sid)
{
    for (sio_client *c = ls->sids[sid_bucket(sid)]; c; c = c->hnext)
        if (!strcmp(c->sid, sid))
            return c;
    return NULL;
}

/* ---- polling: one response per loop turn with everything that waits --------------------- */

/* When a polling session that owes its next poll is gone: silent for ping interval + timeout. */
static int64_t poll_gone_at(const sio_client *c)
{
    const odz_live_config *cfg = &c->base.ls->lv->cfg;
    return c->last_seen + cfg->ping_interval_ms + cfg->ping_timeout_ms + 1;
}

/* When a WebSocket probing to take over a polling session, that has not started the probe, is
 * given up. */
static int64_t probe_expires_at(const sio_client *c)
{
    return c->probe_since + PROBE_TIMEOUT_MS + 1;
}

/* The waiting poll was answered: from now on the session owes the next one. */
static void poll_answered(sio_client *c)
{
    c->poll = NULL;
    client_due(&c->base, poll_gone_at(c));
}

static void poll_flush(sio_client *c)
{
    if (!c->poll || !c->pq.n)
        return;
    odz_buf *b = odz_outq_join(&c->pq, '\x1e'); /* the Engine.IO v4 payload separator */
    if (b) {
        odz_http_pending_respond_buf(c->poll, 200, "text/plain; charset=UTF-8", b, NULL);
        odz_buf_unref(b);
    } else {
        odz_http_pending_error(c->poll, 500, "internal", "out of memory");
    }
    poll_answered(c);
}

static void flush_on_loop(void *arg)
{
    lstate *ls = arg;
    ls->flush_posted = 0;
    /* (poll_flush neither adds to nor removes from the list) */
    for (size_t i = 0; i < ls->nflush; i++) {
        sio_client *c = (sio_client *)ls->flushq[i];
        c->flush_due = 0;
        poll_flush(c);
    }
    ls->nflush = 0;
}

/* A waiting poll gets what is queued once this loop turn's events are all in. */
static void poll_schedule(sio_client *c)
{
    lstate *ls = c->base.ls;
    if (!c->poll || c->flush_due)
        return;
    if (ls->nflush == ls->capflush) {
        size_t cap = ls->capflush ? ls->capflush * 2 : 16;
        client **v = realloc(ls->flushq, cap * sizeof(*v));
        if (!v) {
            poll_flush(c); /* at once, then */
            return;
        }
        ls->flushq = v;
        ls->capflush = cap;
    }
    if (!ls->flush_posted) {
        if (odz_http_call(ls->lv->srv, ls->index, flush_on_loop, ls) != 0) {
            poll_flush(c); /* the loop is going away */
            return;
        }
        ls->flush_posted = 1;
    }
    ls->flushq[ls->nflush++] = &c->base;
    c->flush_due = 1;
}

static void flush_unlist(sio_client *c)
{
    lstate *ls = c->base.ls;
    if (!c->flush_due)
        return;
    for (size_t i = 0; i < ls->nflush; i++)
        if (ls->flushq[i] == &c->base) {
            ls->flushq[i] = ls->flushq[--ls->nflush];
            break;
        }
    c->flush_due = 0;
}

/* ---- sending ----------------------------------------------------------------------------- */

int sio_send_keyed(sio_client *c, odz_buf *raw, odz_buf *frame, uint64_t key)
{
    odz_live *lv = c->base.ls->lv;
    if (c->transport == T_WS) {
        int rc;
        if (frame)
            rc = odz_ws_send_frame_keyed(c->ws, frame, key);
        else
            rc = odz_ws_send_text(c->ws, odz_buf_data(raw), odz_buf_len(raw));
        return rc == ODZ_EFULL ? ODZ_EFULL : rc == 1 ? 1 : 0;
    }
    int rc = odz_outq_push(&c->pq, raw, key, lv->cfg.max_queued);
    if (rc < 0)
        return ODZ_EFULL;
    poll_schedule(c);
    return rc;
}

int sio_send_text(sio_client *c, const char *text)
{
    odz_buf *b = odz_buf_new(text, strlen(text));
    if (!b)
        return ODZ_ENOMEM;
    int rc = sio_send_keyed(c, b, NULL, 0);
    odz_buf_unref(b);
    return rc;
}

static int sio_send_event(client *base, const live_event *ev, const live_frames *f)
{
    sio_client *c = (sio_client *)base;
    if (!(c->nsps & (1u << ev->t->nsp)))
        return 0; /* (left the namespace: its rooms were left too) */
    return sio_send_keyed(c, f->sio_raw, f->sio_frame, ev->key);
}

static void sio_open_packet(sio_client *c, char *out, size_t outlen, int upgrades)
{
    odz_live *lv = c->base.ls->lv;
    snprintf(out, outlen,
             "0{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":%d,\"pingTimeout\":%d,"
             "\"maxPayload\":%zu}",
             c->sid, upgrades ? "\"websocket\"" : "", lv->cfg.ping_interval_ms,
             lv->cfg.ping_timeout_ms, lv->cfg.max_payload);
}

/* ---- the client's life ------------------------------------------------------------------- */

static void sio_free(sio_client *c)
{
    odz_outq_free(&c->pq);
    client_base_free(&c->base);
    free(c);
}

static void sio_release(client *base)
{
    sio_client *c = (sio_client *)base;
    if (c->sid[0])
        sid_remove(base->ls, c);
    flush_unlist(c);
    if (c->poll) {
        static const char close_pkt[] = "1";
        odz_http_pending_respond(c->poll, 200, "text/plain; charset=UTF-8", close_pkt, 1);
        c->poll = NULL;
    }
    odz_outq_clear(&c->pq);
    if (c->upgrade_ws) {
        odz_ws_set_ud(c->upgrade_ws, NULL);
        odz_ws_close(c->upgrade_ws, 1000, "session closed");
        c->upgrade_ws = NULL;
    }
}

static void sio_close(client *base, int code, const char *reason)
{
    sio_client *c = (sio_client *)base;
    if (base->detached)
        return;
    client_detach(base);
    if (c->ws)
        odz_ws_close(c->ws, code, reason); /* on_close frees c */
    else
        sio_free(c);
}

static void sio_abort(client *base)
{
    sio_client *c = (sio_client *)base;
    if (c->ws)
        odz_ws_abort(c->ws); /* on_close frees c */
    else
        sio_free(c);
}

static void sio_shutdown(client *base, const char *reason)
{
    sio_client *c = (sio_client *)base;
    /* tell Socket.IO clients the server is going (they reconnect elsewhere) */
    if (c->transport == T_WS)
        odz_ws_send_text(c->ws, "1", 1);
    sio_close(base, 1001, reason);
}

static void sio_orphan(client *base)
{
    sio_client *c = (sio_client *)base;
    if (!c->ws)
        sio_free(c);
}

static int64_t sio_tick(client *base, int64_t now)
{
    sio_client *c = (sio_client *)base;
    odz_live *lv = base->ls->lv;
    int64_t interval = lv->cfg.ping_interval_ms, timeout = lv->cfg.ping_timeout_ms;
    /* (first: the checks below may free c) */
    if (c->upgrade_ws && !c->probing && now >= probe_expires_at(c)) {
        odz_ws *pw = c->upgrade_ws; /* a probe that never started */
        c->upgrade_ws = NULL;
        odz_ws_set_ud(pw, NULL);
        odz_ws_close(pw, 1008, "probe timeout");
    }
    if (c->ping_wait && now - c->ping_sent > timeout) {
        client_close(base, 1000, "ping timeout");
        return 0;
    }
    int polled = c->transport == T_POLL && !c->poll; /* a poll is owed: the client may be gone */
    if (polled && now >= poll_gone_at(c)) {
        client_close(base, 1000, "polling client gone");
        return 0;
    }
    if (!c->ping_wait && now - base->last_ping >= interval) {
        c->ping_wait = 1;
        c->ping_sent = base->last_ping = now;
        if (sio_send_text(c, "2") == ODZ_EFULL) {
            client_abort(base);
            return 0;
        }
    }
    /* when one of the checks above can next act */
    int64_t next = c->ping_wait ? c->ping_sent + timeout + 1 : base->last_ping + interval;
    if (polled && poll_gone_at(c) < next)
        next = poll_gone_at(c);
    if (c->upgrade_ws && !c->probing && probe_expires_at(c) < next)
        next = probe_expires_at(c);
    return next;
}

static const struct client_ops sio_ops = {
    .send_event = sio_send_event,
    .tick = sio_tick,
    .close = sio_close,
    .abort = sio_abort,
    .shutdown = sio_shutdown,
    .release = sio_release,
    .orphan = sio_orphan,
};

static sio_client *sio_new(lstate *ls, int transport)
{
    sio_client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->transport = transport;
    c->last_seen = odz_mono_ms();
    client_init(&c->base, ls, &sio_ops, transport == T_WS ? TR_SIO_WS : TR_SIO_POLL);
    odz_eio_sid_new(c->sid, ls->index);
    sid_insert(ls, c);
    return c;
}

/* ---- Engine.IO packets ------------------------------------------------------------------- */

/* One Engine.IO packet from the client. 0, or -1 when the client was closed. */
static int eio_packet(sio_client *c, const char *data, size_t len)
{
    odz_sio_packet p;
    c->last_seen = odz_mono_ms();
    if (odz_sio_parse(data, len, &p) != 0) {
        client_close(&c->base, 1008, "bad packet");
        return -1;
    }
    switch (p.eio) {
    case ODZ_EIO_CLOSE:
        client_close(&c->base, 1000, "client closed");
        return -1;
    case ODZ_EIO_PING:
        sio_send_text(c, "3");
        return 0;
    case ODZ_EIO_PONG:
        c->ping_wait = 0;
        client_due(&c->base, c->base.last_ping + c->base.ls->lv->cfg.ping_interval_ms);
        return 0;
    case ODZ_EIO_MESSAGE:
        sockio_message(c, &p);
        return c->base.detached ? -1 : 0;
    default:
        return 0; /* open, upgrade, noop: nothing to do here */
    }
}

/* ---- WebSocket callbacks ----------------------------------------------------------------- */

static void upgrade_text(sio_client *c, odz_ws *ws, const char *data, size_t len)
{
    if (len == 6 && !memcmp(data, "2probe", 6)) {
        odz_ws_send_text(ws, "3probe", 6);
        c->probing = 1;
        /* let a waiting poll return so the client can pause polling */
        if (c->poll) {
            flush_unlist(c);
            odz_http_pending_respond(c->poll, 200, "text/plain; charset=UTF-8", "6", 1);
            poll_answered(c);
        }
    } else if (len == 1 && data[0] == '5') {
        client_set_transport(&c->base, TR_SIO_WS);
        c->transport = T_WS;
        c->ws = ws;
        c->upgrade_ws = NULL;
        c->probing = 0;
        flush_unlist(c);
        if (c->poll) {
            odz_http_pending_respond(c->poll, 200, "text/plain; charset=UTF-8", "6", 1);
            c->poll = NULL;
        }
        for (size_t i = 0; i < c->pq.n; i++)
            odz_ws_send_text(ws, odz_buf_data(c->pq.v[i]), odz_buf_len(c->pq.v[i]));
        odz_outq_clear(&c->pq);
    } else {
        odz_ws_close(ws, 1008, "expected probe or upgrade");
    }
}

static void sio_ws_text(odz_ws *ws, const char *data, size_t len, void *ud)
{
    sio_client *c = ud;
    if (!c)
        return;
    if (c->transport == T_POLL && c->upgrade_ws == ws)
        upgrade_text(c, ws, data, len); /* upgrade probe of a polling session */
    else if (c->ws == ws)
        eio_packet(c, data, len);
}

static void sio_ws_closed(odz_ws *ws, int code, void *ud)
{
    sio_client *c = ud;
    if (!c)
        return;
    if (c->upgrade_ws == ws) { /* the probe gave up: the session goes on polling */
        c->upgrade_ws = NULL;
        c->probing = 0;
        return;
    }
    if (c->ws != ws)
        return;
    client_detach(&c->base);
    sio_free(c);
}

static const odz_ws_callbacks sio_ws_cbs = {sio_ws_text, sio_ws_closed};

/* ---- HTTP -------------------------------------------------------------------------------- */

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

static void poll_get(sio_client *c, odz_http_pending *p)
{
    if (c->transport != T_POLL) {
        eio_error(p, ODZ_EIO_ERR_BAD_REQUEST);
    } else if (c->poll) {
        /* two concurrent GETs break the protocol: close the session */
        eio_error(p, ODZ_EIO_ERR_BAD_REQUEST);
        client_close(&c->base, 1008, "concurrent polls");
    } else if (c->probing && !c->pq.n) {
        /* the client is switching to WebSocket: let this poll return at once */
        c->last_seen = odz_mono_ms();
        odz_http_pending_respond(p, 200, "text/plain; charset=UTF-8", "6", 1);
    } else {
        c->last_seen = odz_mono_ms();
        c->poll = p;
        poll_flush(c); /* what waited since the last poll leaves now */
    }
}

static void poll_on_loop(void *arg)
{
    struct poll_req *pr = arg;
    sio_client *c = find_session(pr->ls, pr->sid);
    if (!c || c->base.detached) {
        eio_error(pr->p, ODZ_EIO_ERR_SID);
    } else if (!pr->post) {
        poll_get(c, pr->p);
    } else {
        /* (a POST that arrives after the upgrade still counts) */
        odz_http_pending_respond(pr->p, 200, "text/plain; charset=UTF-8", "ok", 2);
        size_t pos = 0, n;
        const char *pkt;
        while (odz_eio_payload_next(pr->body, pr->len, &pos, &pkt, &n))
            if (eio_packet(c, pkt, n) != 0)
                break;
    }
    free(pr->body);
    free(pr);
}

static int eio_websocket(odz_http_req *req, odz_live *lv, const odz_eio_query *q, int loop)
{
    lstate *ls = &lv->loops[loop];
    if (live_bad_ws_version(req))
        return 0;
    if (strcmp(odz_http_method(req), "GET") || !odz_http_is_websocket(req))
        return eio_reject(req, ODZ_EIO_ERR_BAD_REQUEST);
    odz_ws_limits lim = {lv->cfg.max_payload, lv->cfg.max_queued};
    if (q->has_sid) {
        sio_client *c =
            odz_eio_sid_loop(q->sid, lv->nloops) == loop ? find_session(ls, q->sid) : NULL;
        if (!c || c->transport != T_POLL || c->upgrade_ws)
            return eio_reject(req, ODZ_EIO_ERR_SID);
        odz_ws *ws = odz_ws_accept(req, &lim, &sio_ws_cbs, c);
        if (!ws)
            return ODZ_ENOMEM;
        c->upgrade_ws = ws;
        c->probe_since = odz_mono_ms();
        client_due(&c->base, probe_expires_at(c));
        return 0;
    }
    if (ls->nsessions >= lv->cfg.max_sessions)
        return odz_http_respond_json_error(req, 503, "unavailable", "too many live sessions");
    sio_client *c = sio_new(ls, T_WS);
    if (!c)
        return ODZ_ENOMEM;
    c->ws = odz_ws_accept(req, &lim, &sio_ws_cbs, c);
    if (!c->ws) {
        client_detach(&c->base);
        sio_free(c);
        return ODZ_ENOMEM;
    }
    char open[256];
    sio_open_packet(c, open, sizeof open, 0);
    odz_ws_send_text(c->ws, open, strlen(open));
    return 0;
}

static int eio_polling(odz_http_req *req, odz_live *lv, const odz_eio_query *q, int loop)
{
    lstate *ls = &lv->loops[loop];
    int is_get = !strcmp(odz_http_method(req), "GET");
    if (!q->has_sid) {
        if (!is_get)
            return eio_reject(req, ODZ_EIO_ERR_BAD_REQUEST);
        if (ls->nsessions >= lv->cfg.max_sessions)
            return odz_http_respond_json_error(req, 503, "unavailable",
                                               "too many live sessions");
        sio_client *c = sio_new(ls, T_POLL);
        if (!c)
            return ODZ_ENOMEM;
        char open[256];
        /* a probe WebSocket may land on any loop (SO_REUSEPORT) and sessions live on one: with
         * several loops, offer no upgrade (clients can open WebSocket directly) */
        sio_open_packet(c, open, sizeof open, lv->nloops == 1);
        return odz_http_respond(req, 200, "text/plain; charset=UTF-8", open, strlen(open));
    }
    int owner = odz_eio_sid_loop(q->sid, lv->nloops);
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
    memcpy(pr->sid, q->sid, SID_LEN + 1); /* exactly SID_LEN characters (sio.c checked) */
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

int live_eio_handler(odz_http_req *req, void *ud)
{
    odz_live *lv = ud;
    odz_eio_query q;
    int eio_err;
    if (odz_eio_query_parse(odz_http_query(req), &q, &eio_err) != 0)
        return eio_reject(req, eio_err);
    int loop = odz_http_req_loop(req);
    return q.websocket ? eio_websocket(req, lv, &q, loop) : eio_polling(req, lv, &q, loop);
}

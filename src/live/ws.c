/* Plain WebSocket clients (/ws): JSON subscribe messages in, {"type":event,"data":...} out;
 * ping frames keep the connection alive. */
#include "live/live_internal.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    client base; /* first */
    odz_ws *ws;
} ws_client;

static int ws_send_event(client *c, const live_event *ev, const live_frames *f)
{
    int rc = odz_ws_send_frame_keyed(((ws_client *)c)->ws, f->ws_frame, ev->key);
    return rc == ODZ_EFULL ? ODZ_EFULL : rc == 1 ? 1 : 0;
}

static int64_t ws_tick(client *c, int64_t now)
{
    ws_client *w = (ws_client *)c;
    odz_live *lv = c->ls->lv;
    /* ping frames; a peer silent for interval + timeout is gone */
    int64_t silent_max = (int64_t)lv->cfg.ping_interval_ms + lv->cfg.ping_timeout_ms;
    int64_t idle = odz_ws_idle_ms(w->ws);
    if (idle > silent_max) {
        client_close(c, 1001, "ping timeout");
        return 0;
    }
    if (now - c->last_ping >= lv->cfg.ping_interval_ms) {
        c->last_ping = now;
        if (odz_ws_ping(w->ws) == ODZ_EFULL) {
            client_abort(c);
            return 0;
        }
    }
    int64_t gone = now - idle + silent_max + 1, ping = c->last_ping + lv->cfg.ping_interval_ms;
    return gone < ping ? gone : ping;
}

static void ws_close(client *c, int code, const char *reason)
{
    if (c->detached)
        return;
    client_detach(c);
    odz_ws_close(((ws_client *)c)->ws, code, reason); /* on_close frees c */
}

static void ws_abort(client *c)
{
    odz_ws_abort(((ws_client *)c)->ws); /* on_close frees c */
}

static const struct client_ops ws_ops = {
    .send_event = ws_send_event,
    .tick = ws_tick,
    .close = ws_close,
    .abort = ws_abort,
};

static void ws_free(ws_client *w)
{
    client_base_free(&w->base);
    free(w);
}

/* One message from the client. */
static void ws_text(odz_ws *ws, const char *data, size_t len, void *ud)
{
    ws_client *w = ud;
    if (!w)
        return;
    client *c = &w->base;
    char type[ODZ_SIO_EVENT_MAX], out[320], why[200];
    const char *code = "bad_request";
    odz_sub_req req;
    int rc = odz_ws_message_sub(data, len, type, &req);
    if (rc == 0 && !strcmp(type, "subscribe")) {
        rc = live_subscribe(c, -1, &req, &code, why, sizeof why);
        if (rc == 0 && req.topic[0] && !live_topic_named(c->ls->lv, req.topic)->per_race)
            snprintf(out, sizeof out, "{\"type\":\"subscribed\",\"topic\":\"%s\"}", req.topic);
        else if (rc == 0 && req.race_id)
            snprintf(out, sizeof out, "{\"type\":\"subscribed\",\"race_id\":%lld%s%s%s}",
                     (long long)req.race_id, req.topic[0] ? ",\"topic\":\"" : "", req.topic,
                     req.topic[0] ? "\"" : "");
        else if (rc == 0)
            snprintf(out, sizeof out, "{\"type\":\"subscribed\",\"race_id\":\"all\"%s%s%s}",
                     req.topic[0] ? ",\"topic\":\"" : "", req.topic, req.topic[0] ? "\"" : "");
        else
            /* (why: our own words, no quotes or backslashes) */
            snprintf(out, sizeof out,
                     "{\"type\":\"error\",\"error\":\"%s\",\"message\":\"cannot subscribe: %s\"}",
                     code, why);
    } else if (rc == 0 && !strcmp(type, "unsubscribe")) {
        live_unsubscribe(c, -1, &req);
        snprintf(out, sizeof out, "{\"type\":\"unsubscribed\"}");
    } else if (!strcmp(type, "ping")) {
        snprintf(out, sizeof out, "{\"type\":\"pong\"}");
    } else {
        snprintf(out, sizeof out,
                 "{\"type\":\"error\",\"error\":\"bad_request\",\"message\":\"expected "
                 "{\\\"type\\\":\\\"subscribe\\\",\\\"race_id\\\":N or \\\"all\\\"}\"}");
    }
    odz_sub_req_clear(&req);
    if (odz_ws_send_text(ws, out, strlen(out)) == ODZ_EFULL)
        client_abort(c);
}

static void ws_closed(odz_ws *ws, int code, void *ud)
{
    ws_client *w = ud;
    if (!w)
        return;
    client_detach(&w->base);
    ws_free(w);
}

static const odz_ws_callbacks plain_ws_cbs = {ws_text, ws_closed};

/* A WebSocket handshake of another protocol version: 426 naming ours (RFC 6455 4.4). */
int live_bad_ws_version(odz_http_req *req)
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

int live_ws_handler(odz_http_req *req, void *ud)
{
    odz_live *lv = ud;
    if (live_bad_ws_version(req))
        return 0;
    if (!odz_http_is_websocket(req))
        return odz_http_respond_json_error(req, 400, "bad_request",
                                           "WebSocket upgrade expected (Upgrade: websocket)");
    lstate *ls = &lv->loops[odz_http_req_loop(req)];
    ws_client *w = calloc(1, sizeof(*w));
    if (!w)
        return ODZ_ENOMEM;
    client_init(&w->base, ls, &ws_ops, TR_WS);
    odz_ws_limits lim = {lv->cfg.max_payload, lv->cfg.max_queued};
    w->ws = odz_ws_accept(req, &lim, &plain_ws_cbs, w);
    if (!w->ws) {
        client_detach(&w->base);
        ws_free(w);
        return ODZ_ENOMEM;
    }
    return 0;
}

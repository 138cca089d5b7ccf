/* Server-Sent Events clients (/api/stream): one subscription from the query, events as
 * "event: name / data: payload", a comment line as heartbeat. The stream's queue is the keyed
 * one every transport uses (odz_http_stream_send_keyed), so a slow reader gets the latest state
 * of each thing rather than a backlog. */
#include "live/live_internal.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    client base; /* first */
    odz_http_stream *sse;
    int ended; /* odz_http_stream_end called: the handle is no longer ours */
} sse_client;

static int sse_send_event(client *c, const live_event *ev, const live_frames *f)
{
    int rc = odz_http_stream_send_keyed(((sse_client *)c)->sse, f->sse, ev->key);
    return rc == ODZ_EFULL ? ODZ_EFULL : rc == 1 ? 1 : 0;
}

static void sse_end(sse_client *s)
{
    if (!s->ended) {
        s->ended = 1;
        odz_http_stream_end(s->sse); /* its on_close frees s */
    }
}

static int64_t sse_tick(client *c, int64_t now)
{
    int64_t every = c->ls->lv->cfg.sse_heartbeat_ms;
    if (now - c->last_ping < every)
        return c->last_ping + every;
    c->last_ping = now;
    if (odz_http_stream_send(((sse_client *)c)->sse, ": ping\n\n", 8) == ODZ_EFULL) {
        client_abort(c);
        return 0;
    }
    return now + every;
}

static void sse_close(client *c, int code, const char *reason)
{
    if (c->detached)
        return;
    client_detach(c);
    sse_end((sse_client *)c);
}

static void sse_abort(client *c)
{
    sse_client *s = (sse_client *)c;
    if (s->ended)
        return;
    s->ended = 1;
    odz_http_stream_abort(s->sse); /* its on_close frees s */
}

static const struct client_ops sse_ops = {
    .send_event = sse_send_event,
    .tick = sse_tick,
    .close = sse_close,
    .abort = sse_abort,
};

static void sse_closed(void *ud, const char *reason)
{
    sse_client *s = ud;
    client_detach(&s->base);
    sse_end(s);
    client_base_free(&s->base);
    free(s);
}

int live_sse_handler(odz_http_req *req, void *ud)
{
    odz_live *lv = ud;
    odz_sub_req sub;
    if (odz_sse_query_sub(odz_http_query(req), &sub) != 0)
        return odz_http_respond_json_error(
            req, 400, "bad_request",
            "race_id must be a positive integer or \"all\", topic a topic's name, filter a JSON "
            "object");
    const char *code = NULL;
    char why[200];
    lstate *ls = &lv->loops[odz_http_req_loop(req)];
    sse_client *s = calloc(1, sizeof(*s));
    if (!s) {
        odz_sub_req_clear(&sub);
        return ODZ_ENOMEM;
    }
    client_init(&s->base, ls, &sse_ops, TR_SSE);
    /* subscribe before answering, so a bad topic or filter gets a 400 with words */
    int rc = live_subscribe(&s->base, -1, &sub, &code, why, sizeof why);
    if (rc) {
        client_detach(&s->base);
        client_base_free(&s->base);
        free(s);
        odz_sub_req_clear(&sub);
        if (rc == ODZ_ENOMEM)
            return rc;
        return odz_http_respond_json_error(req, rc == ODZ_EFULL ? 503 : 400, code, why);
    }
    odz_http_header_kv extra[] = {{"X-Accel-Buffering", "no"}};
    odz_http_resp_opts opts = {.cache_control = "no-cache", .extra = extra, .nextra = 1};
    s->sse = odz_http_stream_start(req, 200, "text/event-stream", &opts);
    if (!s->sse) {
        client_detach(&s->base);
        client_base_free(&s->base);
        free(s);
        odz_sub_req_clear(&sub);
        return ODZ_ENOMEM;
    }
    odz_http_stream_on_close(s->sse, sse_closed, s);
    char hello[96];
    int n;
    if (sub.race_id > 0)
        n = snprintf(hello, sizeof hello, "retry: 2000\n: subscribed to %lld\n\n",
                     (long long)sub.race_id);
    else
        n = snprintf(hello, sizeof hello, "retry: 2000\n: subscribed to %s\n\n",
                     sub.topic[0] && !live_topic_named(lv, sub.topic)->per_race ? sub.topic
                                                                               : "all");
    odz_sub_req_clear(&sub);
    odz_http_stream_send(s->sse, hello, (size_t)n);
    return ODZ_HTTP_PENDING;
}

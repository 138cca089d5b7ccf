/* The Stream API conversation as a state machine over received bytes: CRLF framing with a
 * bounded line, the handshake, resubscription from the last clk, status errors as log lines
 * and metrics (oddzy_betfair_status_errors_total{code}). */
#include "betfair/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/grow.h"
#include "obs/log.h"
#include "obs/metrics.h"

void odz_bf_session_reset(odz_bf_session *s, int64_t now_ms)
{
    if (s->messages || s->state != ODZ_BF_CONNECTING)
        s->reconnects++;
    s->state = ODZ_BF_CONNECTING;
    s->reason[0] = s->error_code[0] = '\0';
    s->out_len = 0;
    s->line_len = 0;
    s->last_msg_ms = now_ms;
}

void odz_bf_session_free(odz_bf_session *s)
{
    odz_bf_cache_free(&s->cache);
    free(s->line);
    s->line = NULL;
    s->line_len = s->line_cap = 0;
}

void odz_bf_session_sent(odz_bf_session *s, size_t n)
{
    if (n >= s->out_len) {
        s->out_len = 0;
        return;
    }
    memmove(s->out, s->out + n, s->out_len - n);
    s->out_len -= n;
}

bool odz_bf_session_stale(const odz_bf_session *s, int64_t now_ms)
{
    int64_t hb = s->cache.heartbeat_ms > 0 ? s->cache.heartbeat_ms : 5000;
    return s->state != ODZ_BF_FAILED && now_ms - s->last_msg_ms > 2 * hb;
}

static int fail(odz_bf_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(odz_bf_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s->state = ODZ_BF_FAILED;
    vsnprintf(s->reason, sizeof s->reason, fmt, ap);
    va_end(ap);
    odz_log_kv(ODZ_LOG_WARN, "betfair stream failed", "reason", s->reason, NULL);
    return ODZ_ESTATE;
}

/* A status error: a log line and a count by code (codes are the protocol's capitals; any
 * other text counts as "other", so the stream cannot make up label values). */
static int status_error(odz_bf_session *s, const odz_bf_msg *m)
{
    const char *code = m->error_code[0] ? m->error_code : "FAILURE";
    size_t n = strlen(code);
    bool ok = n < 48 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == n;
    char labels[80];
    snprintf(labels, sizeof labels, "code=\"%s\"", ok ? code : "other");
    odz_metric_inc(odz_counter("oddzy_betfair_status_errors_total",
                               "Betfair stream status errors by errorCode", labels));
    odz_strlcpy(s->error_code, code, sizeof s->error_code);
    s->state = ODZ_BF_FAILED;
    snprintf(s->reason, sizeof s->reason, "%s: %s%s", code, m->error_message,
             m->connection_closed ? " (connection closed)" : "");
    odz_log_kv(ODZ_LOG_WARN, "betfair stream status error", "code", code, "message",
               m->error_message, "connection_closed", m->connection_closed ? "true" : "false",
               NULL);
    return ODZ_ESTATE;
}

static int queue(odz_bf_session *s, int rc, size_t len)
{
    if (rc)
        return fail(s, "cannot build the next request (output full or bad settings)");
    s->out_len += len;
    return 0;
}

/* One complete message. */
static int handle(odz_bf_session *s, const char *line, size_t len)
{
    char err[ODZ_ERRLEN];
    odz_bf_msg m;
    size_t room = sizeof s->out - s->out_len, k = 0;
    int rc;
    /* before the subscription, market changes must not reach the cache: read the handshake
     * through a scratch one */
    bool subscribed = s->state == ODZ_BF_SUBSCRIBING || s->state == ODZ_BF_STREAMING;
    odz_bf_cache scratch = {.max_markets = 1};
    rc = odz_bf_apply(subscribed ? &s->cache : &scratch, line, len, &m, err, sizeof err);
    odz_bf_cache_free(&scratch);
    if (rc)
        return fail(s, "bad message: %s", err);
    s->messages++;
    switch (m.op) {
    case ODZ_BF_OP_CONNECTION:
        if (s->state != ODZ_BF_CONNECTING)
            return fail(s, "connection message out of turn");
        s->state = ODZ_BF_AUTHENTICATING;
        rc = odz_bf_request_auth(s->next_id++, s->app_key, s->session, s->out + s->out_len,
                                 room, &k);
        return queue(s, rc, k);
    case ODZ_BF_OP_STATUS:
        if (m.failure)
            return status_error(s, &m);
        if (s->state == ODZ_BF_AUTHENTICATING) {
            s->state = ODZ_BF_SUBSCRIBING;
            /* after a reconnect the cache's clocks make this a resubscription */
            rc = odz_bf_request_subscribe(s->next_id++, &s->sub, &s->cache, s->out + s->out_len,
                                          room, &k);
            return queue(s, rc, k);
        }
        if (s->state == ODZ_BF_SUBSCRIBING)
            s->state = ODZ_BF_STREAMING;
        return 0;
    case ODZ_BF_OP_MCM:
        if (s->state != ODZ_BF_SUBSCRIBING && s->state != ODZ_BF_STREAMING)
            return fail(s, "mcm message before the subscription");
        s->state = ODZ_BF_STREAMING;
        return 0;
    default:
        return 0; /* other ops (order changes) are not ours */
    }
}

int odz_bf_session_feed(odz_bf_session *s, const char *data, size_t n, int64_t now_ms)
{
    if (s->state == ODZ_BF_FAILED)
        return ODZ_ESTATE;
    if (n)
        s->last_msg_ms = now_ms;
    while (n) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        if (s->line_len + take > ODZ_BF_MSG_MAX)
            return fail(s, "a message longer than %u bytes", ODZ_BF_MSG_MAX);
        char *v = odz_grow_bytes(s->line, s->line_len + take + 1, &s->line_cap, 4096);
        if (!v)
            return fail(s, "out of memory");
        s->line = v;
        memcpy(s->line + s->line_len, data, take);
        s->line_len += take;
        data += take + (nl != NULL);
        n -= take + (nl != NULL);
        if (!nl)
            break;
        size_t len = s->line_len;
        s->line_len = 0;
        if (len && s->line[len - 1] == '\r')
            len--;
        if (len && handle(s, s->line, len))
            return ODZ_ESTATE;
    }
    return 0;
}

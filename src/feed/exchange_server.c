/* The simulated exchange's Stream API server: one thread, one poll loop over the listening
 * socket and a bounded set of clients. Each client has a bounded output queue; a client that
 * lets it fill is dropped, so a slow reader never holds up the world or the others. */
#include "feed/exchange.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/wait.h"
#include "obs/log.h"
#include "obs/metrics.h"

#define AUTH_TIMEOUT_MS 15000
#define IMAGE_CHUNK (256u * 1024u)
#define POLL_MS 100

enum { C_FREE = 0, C_CONNECTED, C_AUTHENTICATED, C_SUBSCRIBED };

typedef struct {
    int state;
    int fd;
    char in[ODZ_FX_REQUEST_MAX + 2];
    size_t in_len;
    odz_fx_buf out;
    size_t out_off;
    bool closing; /* close once the output is sent */
    bool dropped; /* close now, output or not (it fell too far behind) */
    int messages;
    int64_t connected_ms, last_out_ms, last_batch_ms;
    /* the subscription */
    int64_t sub_id;
    odz_fx_filter flt;
    int heartbeat_ms, conflate_ms;
    uint64_t clk; /* changes up to this clk are queued */
    char conn_id[32];
} client;

struct odz_fx_server {
    odz_fx_server_config cfg;
    odz_feed *feed;
    odz_fx *x;
    int lfd, port;
    client *c;
    pthread_t thread;
    atomic_bool stop;
    uint64_t next_conn;
    odz_fx_buf msg; /* scratch: one message being built */
    odz_metric *m_conn, *m_drop, *m_resume, *m_image, *m_msgs;
};

static void hang_up(odz_fx_server *s, client *c, const char *why)
{
    if (why)
        odz_log_kv(ODZ_LOG_INFO, "exchange client closed", "connection", c->conn_id, "reason",
                   why, NULL);
    close(c->fd);
    odz_fx_buf_free(&c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    (void)s;
}

/* Queue one message (s->msg or text). The fault flag cuts the message after drop_after ones
 * in half and closes. Over the output bound: the client is dropped. */
static int emit(odz_fx_server *s, client *c, const char *text, size_t len)
{
    if (c->closing)
        return 0;
    c->messages++;
    odz_metric_inc(s->m_msgs);
    if (s->cfg.drop_after > 0 && c->messages > s->cfg.drop_after) {
        len = len / 2;
        c->closing = true;
    }
    int rc = odz_fx_buf_add(&c->out, text, len);
    if (rc) {
        odz_metric_inc(s->m_drop);
        odz_log_kv(ODZ_LOG_WARN, "exchange client too slow: dropped", "connection", c->conn_id,
                   NULL);
        c->closing = c->dropped = true;
        c->out.len = c->out_off = 0;
        return rc;
    }
    c->last_out_ms = odz_mono_ms();
    return 0;
}

static int emit_msg(odz_fx_server *s, client *c)
{
    if (odz_fx_buf_add(&s->msg, "\r\n", 2))
        return ODZ_ENOMEM;
    return emit(s, c, s->msg.p, s->msg.len);
}

static void status(odz_fx_server *s, client *c, int64_t id, const char *error_code,
                   const char *message, bool close_it)
{
    char buf[512];
    int n;
    if (error_code)
        n = snprintf(buf, sizeof buf,
                     "{\"op\":\"status\",\"id\":%" PRId64 ",\"statusCode\":\"FAILURE\","
                     "\"errorCode\":\"%s\",\"errorMessage\":\"%s\",\"connectionClosed\":%s,"
                     "\"connectionId\":\"%s\"}\r\n",
                     id, error_code, message, close_it ? "true" : "false", c->conn_id);
    else
        n = snprintf(buf, sizeof buf,
                     "{\"op\":\"status\",\"id\":%" PRId64 ",\"statusCode\":\"SUCCESS\","
                     "\"connectionClosed\":false}\r\n",
                     id);
    if (n > 0 && (size_t)n < sizeof buf)
        emit(s, c, buf, (size_t)n);
    if (close_it)
        c->closing = true;
}

/* The head of an mcm into s->msg: {"op":"mcm","id":..,"clk":"..","pt":..[,extra]; without
 * the clk for the first segments of an image (a client cut off before its last segment must
 * not resume from it). */
static int mcm_head_clk(odz_fx_server *s, client *c, int64_t pt, const char *extra, bool clk)
{
    char buf[512], ck[48] = "";
    if (clk)
        snprintf(ck, sizeof ck, ",\"clk\":\"%" PRIu64 "\"", c->clk);
    int n = snprintf(buf, sizeof buf, "{\"op\":\"mcm\",\"id\":%" PRId64 "%s,\"pt\":%" PRId64 "%s",
                     c->sub_id, ck, pt, extra ? extra : "");
    s->msg.len = 0;
    return n > 0 && (size_t)n < sizeof buf ? odz_fx_buf_add(&s->msg, buf, (size_t)n) : ODZ_EINVAL;
}

static int mcm_head(odz_fx_server *s, client *c, int64_t pt, const char *extra)
{
    return mcm_head_clk(s, c, pt, extra, true);
}

static void send_image(odz_fx_server *s, client *c, bool segmented)
{
    size_t cursor = 0, n = odz_fx_n_markets(s->x);
    bool first = true;
    c->clk = odz_fx_clk(s->x);
    odz_metric_inc(s->m_image);
    do {
        char extra[256];
        s->msg.len = 0;
        odz_fx_buf mc = {0};
        if (odz_fx_buf_add(&mc, "[", 1) ||
            odz_fx_image(s->x, &c->flt, &cursor, segmented ? IMAGE_CHUNK : SIZE_MAX, &mc) < 0 ||
            odz_fx_buf_add(&mc, "]}", 2)) {
            odz_fx_buf_free(&mc);
            c->closing = true;
            return;
        }
        bool done = cursor >= n;
        const char *seg = first && done ? "" : first ? ",\"segmentType\":\"SEG_START\""
                                          : done     ? ",\"segmentType\":\"SEG_END\""
                                                     : ",\"segmentType\":\"SEG\"";
        char ic[64] = "";
        if (done)
            snprintf(ic, sizeof ic, ",\"initialClk\":\"%s\"", odz_fx_initial_clk(s->x));
        snprintf(extra, sizeof extra,
                 "%s,\"conflateMs\":%d,\"heartbeatMs\":%d,\"ct\":\"SUB_IMAGE\"%s,\"mc\":", ic,
                 c->conflate_ms, c->heartbeat_ms, seg);
        int rc = mcm_head_clk(s, c, odz_now_ms(), extra, done);
        if (!rc)
            rc = odz_fx_buf_add(&s->msg, mc.p, mc.len);
        odz_fx_buf_free(&mc);
        if (rc || emit_msg(s, c))
            return;
        first = false;
        if (done)
            break;
    } while (!c->closing);
}

/* Batches after c->clk, one message each; the first of a resubscription says RESUB_DELTA. */
static void send_changes(odz_fx_server *s, client *c, bool resub)
{
    uint64_t upto = odz_fx_clk(s->x);
    char extra[256];
    if (resub) {
        snprintf(extra, sizeof extra,
                 ",\"initialClk\":\"%s\",\"conflateMs\":%d,\"heartbeatMs\":%d,"
                 "\"ct\":\"RESUB_DELTA\",\"mc\":[",
                 odz_fx_initial_clk(s->x), c->conflate_ms, c->heartbeat_ms);
        odz_metric_inc(s->m_resume);
    }
    while (c->clk < upto && !c->closing) {
        uint64_t k = c->clk + 1;
        int64_t pt = 0;
        s->msg.len = 0;
        odz_fx_buf mc = {0};
        int n = odz_fx_batch(s->x, k, &c->flt, &pt, &mc);
        if (n == ODZ_ENOTFOUND) { /* fell behind the history: start again from an image */
            odz_fx_buf_free(&mc);
            send_image(s, c, true);
            return;
        }
        c->clk = k;
        if (n < 0) {
            odz_fx_buf_free(&mc);
            c->closing = true;
            return;
        }
        if (n == 0 && !(resub && k == upto)) {
            odz_fx_buf_free(&mc);
            continue;
        }
        int rc = mcm_head(s, c, pt, resub ? extra : ",\"mc\":[");
        if (!rc && mc.len)
            rc = odz_fx_buf_add(&s->msg, mc.p, mc.len);
        if (!rc)
            rc = odz_fx_buf_add(&s->msg, "]}", 2);
        odz_fx_buf_free(&mc);
        if (rc || emit_msg(s, c))
            return;
        resub = false;
    }
    if (resub) { /* nothing changed since its clk */
        if (mcm_head(s, c, odz_now_ms(), extra) == 0 && odz_fx_buf_add(&s->msg, "]}", 2) == 0)
            emit_msg(s, c);
    }
    c->last_batch_ms = odz_mono_ms();
}

static void handle(odz_fx_server *s, client *c, const char *line, size_t len)
{
    odz_fx_request r;
    char code[32], err[160];
    if (odz_fx_request_parse(line, len, &r, code, err, sizeof err)) {
        status(s, c, 0, code, err, true);
        return;
    }
    switch (r.op) {
    case ODZ_FX_REQ_AUTHENTICATION:
        if (!r.has_app_key)
            status(s, c, r.id, "NO_APP_KEY", "appKey is missing", true);
        else if (!r.has_session)
            status(s, c, r.id, "NO_SESSION", "session is missing", true);
        else {
            if (c->state == C_CONNECTED)
                c->state = C_AUTHENTICATED;
            status(s, c, r.id, NULL, NULL, false);
        }
        return;
    case ODZ_FX_REQ_HEARTBEAT:
        status(s, c, r.id, NULL, NULL, false);
        return;
    case ODZ_FX_REQ_ORDER_SUBSCRIPTION:
        if (c->state == C_CONNECTED)
            status(s, c, r.id, "NOT_AUTHORIZED", "authenticate first", true);
        else
            status(s, c, r.id, NULL, NULL, false);
        return;
    case ODZ_FX_REQ_MARKET_SUBSCRIPTION:
        break;
    }
    if (c->state == C_CONNECTED) {
        status(s, c, r.id, "NOT_AUTHORIZED", "authenticate first", true);
        return;
    }
    c->state = C_SUBSCRIBED;
    c->sub_id = r.id;
    c->flt = r.filter;
    c->heartbeat_ms = r.heartbeat_ms;
    c->conflate_ms = r.conflate_ms;
    status(s, c, r.id, NULL, NULL, false);
    uint64_t from;
    if (r.initial_clk[0] && odz_fx_resumable(s->x, r.initial_clk, r.clk, &from)) {
        odz_log_kv(ODZ_LOG_INFO, "exchange client resumed from its clk", "connection", c->conn_id,
                   "clk", r.clk, NULL);
        c->clk = from;
        send_changes(s, c, true);
    } else {
        send_image(s, c, r.segmentation);
    }
    c->last_batch_ms = odz_mono_ms();
}

static void readable(odz_fx_server *s, client *c)
{
    ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        hang_up(s, c, "peer closed");
        return;
    }
    if (n < 0)
        return;
    c->in_len += (size_t)n;
    for (;;) {
        char *nl = memchr(c->in, '\n', c->in_len);
        if (!nl)
            break;
        size_t len = (size_t)(nl - c->in), used = len + 1;
        if (len && c->in[len - 1] == '\r')
            len--;
        if (len && !c->closing)
            handle(s, c, c->in, len);
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
    if (c->in_len == sizeof c->in)
        status(s, c, 0, "INVALID_INPUT", "message too long", true);
}

static void writable(odz_fx_server *s, client *c)
{
    while (c->out_off < c->out.len) {
        ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            hang_up(s, c, "write failed");
            return;
        }
        c->out_off += (size_t)w;
    }
    if (c->out_off == c->out.len) {
        c->out.len = c->out_off = 0;
        if (c->closing)
            hang_up(s, c, "closed by the exchange");
    } else if (c->out_off > (1u << 20)) {
        memmove(c->out.p, c->out.p + c->out_off, c->out.len - c->out_off);
        c->out.len -= c->out_off;
        c->out_off = 0;
    }
}

static void accept_one(odz_fx_server *s)
{
    int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    client *c = NULL;
    for (int i = 0; i < s->cfg.max_clients && !c; i++)
        if (s->c[i].state == C_FREE)
            c = &s->c[i];
    if (!c) {
        static const char full[] = "{\"op\":\"status\",\"statusCode\":\"FAILURE\",\"errorCode\":"
                                   "\"MAX_CONNECTION_LIMIT_EXCEEDED\",\"errorMessage\":\"too "
                                   "many connections\",\"connectionClosed\":true}\r\n";
        ssize_t w = send(fd, full, sizeof full - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)w;
        close(fd);
        odz_metric_inc(s->m_drop);
        return;
    }
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->state = C_CONNECTED;
    c->out.max = s->cfg.max_output;
    c->connected_ms = c->last_out_ms = odz_mono_ms();
    snprintf(c->conn_id, sizeof c->conn_id, "sim-%06" PRIu64, ++s->next_conn);
    odz_metric_inc(s->m_conn);
    char buf[96];
    int n = snprintf(buf, sizeof buf, "{\"op\":\"connection\",\"connectionId\":\"%s\"}\r\n",
                     c->conn_id);
    emit(s, c, buf, (size_t)n);
}

/* After a tick, or when a client's heartbeat is due. */
static void service(odz_fx_server *s, client *c, int64_t now_ms)
{
    if (c->state == C_CONNECTED && now_ms - c->connected_ms > AUTH_TIMEOUT_MS) {
        status(s, c, 0, "TIMEOUT", "no authentication in time", true);
        return;
    }
    if (c->state != C_SUBSCRIBED || c->closing)
        return;
    if (c->clk < odz_fx_clk(s->x) && now_ms - c->last_batch_ms >= c->conflate_ms)
        send_changes(s, c, false);
    if (now_ms - c->last_out_ms >= c->heartbeat_ms && !c->closing &&
        mcm_head(s, c, odz_now_ms(), ",\"ct\":\"HEARTBEAT\"}") == 0)
        emit_msg(s, c);
}

static void *server_thread(void *arg)
{
    odz_thread_background("odz-exchange"); /* yields to the threads answering requests */
    odz_fx_server *s = arg;
    int max = s->cfg.max_clients;
    struct pollfd *pf = calloc((size_t)max + 1, sizeof *pf);
    client **who = calloc((size_t)max + 1, sizeof *who);
    int64_t next_tick = 0;
    while (pf && who && !atomic_load(&s->stop)) {
        int64_t now = odz_mono_ms();
        if (now >= next_tick) {
            int rc = odz_fx_tick(s->x, odz_now());
            if (rc < 0)
                odz_log_kv(ODZ_LOG_ERROR, "exchange tick failed", "error", odz_errcode(rc), NULL);
            next_tick = now + s->cfg.tick_ms;
            odz_thread_yield();
        }
        for (int i = 0; i < max; i++)
            if (s->c[i].state != C_FREE)
                service(s, &s->c[i], now);
        int n = 0;
        pf[n++] = (struct pollfd){s->lfd, POLLIN, 0};
        for (int i = 0; i < max; i++) {
            client *c = &s->c[i];
            if (c->state == C_FREE)
                continue;
            if (c->dropped || (c->closing && c->out.len == c->out_off)) {
                hang_up(s, c, c->dropped ? "dropped: too slow" : "closed by the exchange");
                continue;
            }
            who[n] = c;
            pf[n++] = (struct pollfd){c->fd,
                                      (short)(POLLIN | (c->out.len > c->out_off ? POLLOUT : 0)), 0};
        }
        int wait = (int)(next_tick - odz_mono_ms());
        wait = wait < 0 ? 0 : wait > POLL_MS ? POLL_MS : wait;
        if (poll(pf, (nfds_t)n, wait) <= 0)
            continue;
        if (pf[0].revents & POLLIN)
            accept_one(s);
        for (int i = 1; i < n; i++) {
            client *c = who[i];
            if (c->state == C_FREE || c->fd != pf[i].fd)
                continue;
            if (pf[i].revents & (POLLERR | POLLHUP | POLLNVAL) && !(pf[i].revents & POLLIN)) {
                hang_up(s, c, "connection lost");
                continue;
            }
            if (pf[i].revents & POLLIN)
                readable(s, c);
            if (c->state != C_FREE && (pf[i].revents & POLLOUT))
                writable(s, c);
        }
    }
    free(pf);
    free(who);
    return NULL;
}

odz_fx_server *odz_fx_server_start(odz_feed *f, const odz_fx_server_config *cfg, char *err,
                                   size_t errlen)
{
    odz_fx_server *s = calloc(1, sizeof *s);
    if (!s) {
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    if (s->cfg.max_clients <= 0)
        s->cfg.max_clients = 32;
    if (!s->cfg.max_output)
        s->cfg.max_output = 32u << 20;
    if (s->cfg.tick_ms <= 0)
        s->cfg.tick_ms = 1000;
    s->feed = f;
    s->lfd = -1;
    s->c = calloc((size_t)s->cfg.max_clients, sizeof *s->c);
    s->x = odz_fx_new(f, &cfg->fx);
    if (!s->c || !s->x) {
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        goto fail;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    if (inet_pton(AF_INET, cfg->host ? cfg->host : "127.0.0.1", &a.sin_addr) != 1) {
        odz_fail(err, errlen, ODZ_EINVAL, "exchange: host must be an IPv4 address");
        goto fail;
    }
    int one = 1;
    socklen_t al = sizeof a;
    if ((s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(s->lfd, (struct sockaddr *)&a, sizeof a) || listen(s->lfd, 64) ||
        getsockname(s->lfd, (struct sockaddr *)&a, &al)) {
        odz_fail(err, errlen, ODZ_EIO, "exchange: cannot listen on port %d: %s", cfg->port,
                 strerror(errno));
        goto fail;
    }
    s->port = ntohs(a.sin_port);
    for (int i = 0; i < s->cfg.max_clients; i++)
        s->c[i].fd = -1;
    s->m_conn = odz_counter("oddzy_feed_exchange_connections_total",
                            "Connections to the simulated exchange", NULL);
    s->m_drop = odz_counter("oddzy_feed_exchange_dropped_total",
                            "Exchange clients dropped: too slow, or over the connection limit",
                            NULL);
    s->m_resume = odz_counter("oddzy_feed_exchange_resumes_total",
                              "Exchange subscriptions resumed from a clk", NULL);
    s->m_image = odz_counter("oddzy_feed_exchange_images_total",
                             "Exchange subscriptions answered with a full image", NULL);
    s->m_msgs = odz_counter("oddzy_feed_exchange_messages_total",
                            "Messages the simulated exchange sent", NULL);
    if (pthread_create(&s->thread, NULL, server_thread, s)) {
        odz_fail(err, errlen, ODZ_ENOMEM, "exchange: cannot start its thread");
        goto fail;
    }
    return s;
fail:
    if (s->lfd >= 0)
        close(s->lfd);
    odz_fx_free(s->x);
    free(s->c);
    free(s);
    return NULL;
}

int odz_fx_server_port(const odz_fx_server *s)
{
    return s->port;
}

void odz_fx_server_stop(odz_fx_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->cfg.max_clients; i++)
        if (s->c[i].state != C_FREE)
            hang_up(s, &s->c[i], NULL);
    close(s->lfd);
    odz_fx_free(s->x);
    odz_fx_buf_free(&s->msg);
    free(s->c);
    free(s);
}

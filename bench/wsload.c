/* WebSocket load generator for bench/live/run.mjs: one thread, epoll and wslay's client event
 * API, holds COUNT connections subscribed to one race and timestamps every message.
 *
 *   wsload MODE URL COUNT RACE_ID        (MODE ws: oddzy's /ws; sio: Socket.IO /prices over
 *                                         the websocket transport, Engine.IO v4 framing)
 *
 * It speaks the protocol of bench/live/client.mjs (the Node.js clients it stands in for), as
 * JSON lines: commands on stdin (connect, start {phase}, count, stop, close), answers on stdout
 * (hello, connected, started, count, stats). Each event carries the publisher's `sent_ms`
 * (CLOCK_MONOTONIC in ms, shared by every process on the machine), its `seq` and `phase`;
 * latency = receipt - sent_ms, in the same histogram as client.mjs (10 us below 1 s, 1 ms above),
 * with the earliest and latest latency of each event (first client, fan-out spread).
 *
 * A benchmark tool, not part of oddzy: it trusts the server it measures (messages above 1 MiB
 * or unparsable are counted as stray) and checks the handshake's status line only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <wslay/wslay.h>

#include "core/json_arena.h"

#define CONCURRENCY 250    /* connections being set up at once */
#define HS_MAX 4096        /* handshake answer */
#define FINE 100000        /* 0 .. 1000 ms by 0.01 ms */
#define NB (FINE + 119000) /* 1 s .. 120 s by 1 ms */
#define MAX_SEQ 1000000
#define CMD_MAX 65536

enum { ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_READY, ST_CLOSED };

typedef struct conn {
    int fd, state;
    wslay_event_context_ptr ws;
    char hs[HS_MAX]; /* handshake answer; bytes past it are WebSocket data */
    size_t hs_len, hs_off, hs_end;
    int want_write;
    int drained; /* the last recv emptied the socket: the next one would only say EAGAIN */
} conn;

/* every message is parsed into this arena and dropped by the next parse */
static odz_json_arena *g_arena;

static const json_t *parse(const char *s, size_t n)
{
    json_error_t je;
    if (!g_arena && !(g_arena = odz_json_arena_new(0)))
        return NULL;
    return odz_json_arena_loadb(g_arena, s, n, 0, &je);
}

static int g_sio, g_race, g_count, g_ep;
static char g_host[256], g_port[16], g_path[512];
static conn *g_conns;
static int g_started, g_done, g_connected, g_failed, g_ready_all, g_closed_after;
static char g_first_error[256];
static double g_t_connect;
static char g_phase[256];
static int g_have_phase;
static uint32_t *g_hist;
static unsigned long g_received, g_stray;
static double g_max_lat, g_first_recv, g_last_recv;
static double *g_first_by_seq, *g_last_by_seq; /* NAN-free: -1 = none */
static long g_nseq;
static json_t *g_close_reasons;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void emit(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return;
    fputs(s, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(s);
}

static void fail_conn(conn *c, const char *why)
{
    if (!g_first_error[0])
        snprintf(g_first_error, sizeof g_first_error, "%s", why);
    if (c->state == ST_READY) {
        g_closed_after++;
        json_object_set_new(
            g_close_reasons, why,
            json_integer(json_integer_value(json_object_get(g_close_reasons, why)) + 1));
    } else if (c->state != ST_CLOSED) {
        g_failed++;
        g_done++;
    }
    if (c->fd >= 0) {
        epoll_ctl(g_ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    if (c->ws)
        wslay_event_context_free(c->ws);
    c->ws = NULL;
    c->state = ST_CLOSED;
}

/* ---- latency -------------------------------------------------------------------------------- */

/* What the latency needs from an event message's data. */
typedef struct {
    char phase[64];
    int ok; /* phase, a numeric sent_ms and a seq were there */
    double sent;
    long long seq;
} event_vals;

/* Every client of a race receives the same bytes for one event: a message equal to one of the
 * last SEEN distinct event messages takes that one's values instead of a second parse (each is
 * still timestamped as it arrives). Only updatePrice messages are kept. */
#define SEEN 16
static struct {
    char *bytes;
    size_t len;
    event_vals v;
} g_seen[SEEN];
static int g_seen_next;

static const event_vals *seen(const char *s, size_t n)
{
    for (int i = 0; i < SEEN; i++)
        if (g_seen[i].bytes && g_seen[i].len == n && !memcmp(g_seen[i].bytes, s, n))
            return &g_seen[i].v;
    return NULL;
}

static void remember(const char *s, size_t n, const event_vals *v)
{
    char *b = malloc(n);
    if (!b)
        return;
    memcpy(b, s, n);
    free(g_seen[g_seen_next].bytes);
    g_seen[g_seen_next].bytes = b;
    g_seen[g_seen_next].len = n;
    g_seen[g_seen_next].v = *v;
    g_seen_next = (g_seen_next + 1) % SEEN;
}

static event_vals values_of(const json_t *d)
{
    event_vals v = {0};
    const char *ph = json_string_value(json_object_get(d, "phase"));
    json_t *sent = json_object_get(d, "sent_ms");
    json_t *seq = json_object_get(d, "seq");
    if (ph && strlen(ph) < sizeof v.phase && json_is_number(sent) && json_is_integer(seq)) {
        snprintf(v.phase, sizeof v.phase, "%s", ph);
        v.sent = json_number_value(sent);
        v.seq = json_integer_value(seq);
        v.ok = 1;
    }
    return v;
}

static void on_data(const event_vals *v)
{
    long long seq = v->seq;
    if (!g_have_phase || !v->ok || strcmp(v->phase, g_phase) || seq < 0 || seq >= MAX_SEQ) {
        g_stray++;
        return;
    }
    double t = now_ms(), l = t - v->sent;
    long b = l < 1000 ? (l > 0 ? (long)(l * 100) : 0) : FINE + (long)(l - 1000);
    if (b >= NB)
        b = NB - 1;
    g_hist[b]++;
    if (l > g_max_lat)
        g_max_lat = l;
    if (seq >= g_nseq) {
        long n = seq + 1 > 2 * g_nseq ? seq + 1 : 2 * g_nseq;
        double *f = realloc(g_first_by_seq, (size_t)n * sizeof *f);
        double *h = f ? realloc(g_last_by_seq, (size_t)n * sizeof *h) : NULL;
        if (f)
            g_first_by_seq = f;
        if (!h)
            return;
        g_last_by_seq = h;
        for (long i = g_nseq; i < n; i++)
            g_first_by_seq[i] = g_last_by_seq[i] = -1;
        g_nseq = n;
    }
    if (g_first_by_seq[seq] < 0 || l < g_first_by_seq[seq])
        g_first_by_seq[seq] = l;
    if (g_last_by_seq[seq] < 0 || l > g_last_by_seq[seq])
        g_last_by_seq[seq] = l;
    if (!g_first_recv)
        g_first_recv = t;
    g_last_recv = t;
    g_received++;
}

/* ---- protocol ------------------------------------------------------------------------------- */

static void send_text(conn *c, const char *s)
{
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)s, strlen(s)};
    wslay_event_queue_msg(c->ws, &m);
    c->want_write = 1;
}

static void became_ready(conn *c)
{
    c->state = ST_READY;
    g_connected++;
    g_done++;
}

/* One text message from the server. */
static void on_text(conn *c, const char *s, size_t n)
{
    char sub[96];
    const event_vals *known = seen(s, n);
    if (known) {
        on_data(known);
        return;
    }
    if (!g_sio) {
        const json_t *j = parse(s, n);
        const char *type = json_string_value(json_object_get(j, "type"));
        if (type && !strcmp(type, "updatePrice")) {
            event_vals v = values_of(json_object_get(j, "data"));
            remember(s, n, &v);
            on_data(&v);
        }
        else if (type && !strcmp(type, "subscribed") && c->state == ST_OPEN)
            became_ready(c);
        else if (type && !strcmp(type, "error") && c->state == ST_OPEN)
            fail_conn(c, "subscribe refused");
        return;
    }
    /* Engine.IO v4: 0 open, 2 ping (answer 3), 4 message; Socket.IO inside: 0 connect, 2 event,
     * 3 ack, 4 connect error; namespace "/prices," after the type */
    if (n == 1 && s[0] == '2') {
        send_text(c, "3");
        return;
    }
    if (n >= 1 && s[0] == '0') {
        send_text(c, "40/prices,");
        return;
    }
    static const char ev[] = "42/prices,", ack[] = "43/prices,1", con[] = "40/prices,",
                      cerr[] = "44/prices,";
    if (n > sizeof ev - 1 && !memcmp(s, ev, sizeof ev - 1)) {
        const json_t *a = parse(s + sizeof ev - 1, n - (sizeof ev - 1));
        const char *name = json_string_value(json_array_get(a, 0));
        if (name && !strcmp(name, "updatePrice")) {
            event_vals v = values_of(json_array_get(a, 1));
            remember(s, n, &v);
            on_data(&v);
        } else {
            g_stray++;
        }
    } else if (n >= sizeof con - 1 && !memcmp(s, con, sizeof con - 1) && c->state == ST_OPEN) {
        snprintf(sub, sizeof sub, "42/prices,1[\"subscribe\",{\"race_id\":%d}]", g_race);
        send_text(c, sub);
    } else if (n > sizeof ack - 1 && !memcmp(s, ack, sizeof ack - 1) && c->state == ST_OPEN) {
        const json_t *a = parse(s + sizeof ack - 1, n - (sizeof ack - 1));
        if (json_is_true(json_object_get(json_array_get(a, 0), "ok")))
            became_ready(c);
        else
            fail_conn(c, "subscribe refused");
    } else if (n >= sizeof cerr - 1 && !memcmp(s, cerr, sizeof cerr - 1)) {
        fail_conn(c, "namespace refused");
    }
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
    conn *c = ud;
    if (c->hs_off < c->hs_end) { /* bytes that came with the handshake answer */
        size_t n = c->hs_end - c->hs_off < len ? c->hs_end - c->hs_off : len;
        memcpy(buf, c->hs + c->hs_off, n);
        c->hs_off += n;
        return (ssize_t)n;
    }
    /* a short read emptied the socket; the level-triggered epoll says when more comes */
    if (c->drained) {
        c->drained = 0;
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    ssize_t r = recv(c->fd, buf, len, 0);
    if (r > 0) {
        c->drained = (size_t)r < len;
        return r;
    }
    wslay_event_set_error(ctx, r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                                   ? WSLAY_ERR_WOULDBLOCK
                                   : WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *ud)
{
    conn *c = ud;
    ssize_t r = send(c->fd, data, len, MSG_NOSIGNAL);
    if (r >= 0)
        return r;
    wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK
                                   ? WSLAY_ERR_WOULDBLOCK
                                   : WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *ud)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rand();
    return 0;
}

static void on_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
                      void *ud)
{
    conn *c = ud;
    if (a->opcode == WSLAY_TEXT_FRAME)
        on_text(c, (const char *)a->msg, a->msg_length);
    else if (a->opcode == WSLAY_CONNECTION_CLOSE)
        c->want_write = 1; /* wslay queued the answering close */
}

static const struct wslay_event_callbacks g_cb = {recv_cb, send_cb, genmask_cb, NULL,
                                                  NULL,    NULL,    on_msg_cb};

/* ---- connections ---------------------------------------------------------------------------- */

static void watch(conn *c, unsigned events, int op)
{
    struct epoll_event e = {.events = events, .data.ptr = c};
    epoll_ctl(g_ep, op, c->fd, &e);
}

static void start_one(conn *c)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    c->fd = -1;
    c->state = ST_CONNECTING;
    if (getaddrinfo(g_host, g_port, &hints, &ai) != 0 || !ai) {
        fail_conn(c, "cannot resolve host");
        return;
    }
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (c->fd >= 0)
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->fd < 0 || (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)) {
        freeaddrinfo(ai);
        fail_conn(c, strerror(errno));
        return;
    }
    freeaddrinfo(ai);
    watch(c, EPOLLOUT, EPOLL_CTL_ADD);
}

static void start_more(void)
{
    while (g_started < g_count && g_started - g_done < CONCURRENCY)
        start_one(&g_conns[g_started++]);
}

static void send_handshake(conn *c)
{
    char req[1024];
    int n =
        snprintf(req, sizeof req,
                 "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 g_path, g_host, g_port);
    if (n <= 0 || send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n) { /* fits a fresh socket */
        fail_conn(c, "handshake write failed");
        return;
    }
    c->state = ST_HANDSHAKE;
    watch(c, EPOLLIN, EPOLL_CTL_MOD);
}

static void read_handshake(conn *c)
{
    ssize_t r = recv(c->fd, c->hs + c->hs_len, sizeof c->hs - 1 - c->hs_len, 0);
    if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        fail_conn(c, "connection closed during the handshake");
        return;
    }
    c->hs_len += (size_t)r;
    c->hs[c->hs_len] = '\0';
    char *end = strstr(c->hs, "\r\n\r\n");
    if (!end) {
        if (c->hs_len == sizeof c->hs - 1)
            fail_conn(c, "handshake answer too long");
        return;
    }
    if (strncmp(c->hs, "HTTP/1.1 101", 12)) {
        fail_conn(c, "handshake refused");
        return;
    }
    c->hs_off = (size_t)(end + 4 - c->hs);
    c->hs_end = c->hs_len;
    if (wslay_event_context_client_init(&c->ws, &g_cb, c) != 0) {
        fail_conn(c, "out of memory");
        return;
    }
    c->state = ST_OPEN;
    if (!g_sio) {
        char sub[96];
        snprintf(sub, sizeof sub, "{\"type\":\"subscribe\",\"race_id\":%d}", g_race);
        send_text(c, sub);
    }
    if (c->hs_off < c->hs_end && wslay_event_recv(c->ws) != 0)
        fail_conn(c, "protocol error");
}

static void on_event(conn *c, unsigned ev)
{
    if (c->state == ST_CLOSED)
        return;
    if (ev & (EPOLLERR | EPOLLHUP) && c->state == ST_CONNECTING) {
        fail_conn(c, "connection refused");
        return;
    }
    if (c->state == ST_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
            fail_conn(c, err ? strerror(err) : "connect failed");
            return;
        }
        send_handshake(c);
        return;
    }
    if (c->state == ST_HANDSHAKE) {
        read_handshake(c);
    } else if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (wslay_event_recv(c->ws) != 0 || !wslay_event_want_read(c->ws)) {
            fail_conn(c, "closed by the server");
            return;
        }
    }
    if (c->state == ST_CLOSED || !c->ws)
        return;
    if ((ev & EPOLLOUT) || c->want_write) {
        c->want_write = 0;
        if (wslay_event_send(c->ws) != 0) {
            fail_conn(c, "write failed");
            return;
        }
        watch(c, EPOLLIN | (wslay_event_want_write(c->ws) ? EPOLLOUT : 0), EPOLL_CTL_MOD);
    }
}

/* ---- commands ------------------------------------------------------------------------------- */

static int g_connect_pending;

static void maybe_connected(void)
{
    if (!g_connect_pending || g_done < g_count)
        return;
    g_connect_pending = 0;
    g_ready_all = 1;
    emit(json_pack("{s:s,s:i,s:i,s:s?,s:f}", "type", "connected", "connected", g_connected,
                   "failed", g_failed, "firstError", g_first_error[0] ? g_first_error : NULL, "ms",
                   now_ms() - g_t_connect));
}

static void reset_stats(void)
{
    memset(g_hist, 0, NB * sizeof *g_hist);
    g_received = g_stray = 0;
    g_max_lat = g_first_recv = g_last_recv = 0;
    for (long i = 0; i < g_nseq; i++)
        g_first_by_seq[i] = g_last_by_seq[i] = -1;
}

static json_t *seq_array(const double *v)
{
    json_t *a = json_array();
    long n = g_nseq;
    while (n > 0 && v[n - 1] < 0)
        n--;
    for (long i = 0; i < n; i++)
        json_array_append_new(a, v[i] < 0 ? json_null() : json_real(v[i]));
    return a;
}

/* Returns 1 to exit. */
static int command(const char *line)
{
    json_t *m = json_loads(line, 0, NULL);
    const char *cmd = json_string_value(json_object_get(m, "cmd"));
    int quit = 0;
    if (!cmd) {
    } else if (!strcmp(cmd, "connect")) {
        g_t_connect = now_ms();
        g_connect_pending = 1;
        start_more();
        maybe_connected();
    } else if (!strcmp(cmd, "start")) {
        const char *ph = json_string_value(json_object_get(m, "phase"));
        snprintf(g_phase, sizeof g_phase, "%s", ph ? ph : "");
        g_have_phase = 1;
        reset_stats();
        emit(json_pack("{s:s}", "type", "started"));
    } else if (!strcmp(cmd, "count")) {
        emit(json_pack("{s:s,s:I,s:i}", "type", "count", "received", (json_int_t)g_received, "open",
                       g_connected - g_closed_after));
    } else if (!strcmp(cmd, "stop")) {
        json_t *b = json_array();
        for (long i = 0; i < NB; i++)
            if (g_hist[i]) {
                json_array_append_new(b, json_integer(i));
                json_array_append_new(b, json_integer(g_hist[i]));
            }
        emit(json_pack("{s:s,s:o,s:I,s:I,s:f,s:f,s:f,s:i,s:O,s:o,s:o}", "type", "stats", "buckets",
                       b, "received", (json_int_t)g_received, "stray", (json_int_t)g_stray,
                       "maxLat", g_max_lat, "firstRecv", g_first_recv, "lastRecv", g_last_recv,
                       "closed", g_closed_after, "closeReasons", g_close_reasons, "firstBySeq",
                       seq_array(g_first_by_seq), "lastBySeq", seq_array(g_last_by_seq)));
        g_have_phase = 0;
    } else if (!strcmp(cmd, "close")) {
        quit = 1;
    }
    json_decref(m);
    return quit;
}

static int parse_url(const char *url)
{
    const char *p = url;
    if (!strncmp(p, "http://", 7))
        p += 7;
    else if (!strncmp(p, "ws://", 5))
        p += 5;
    const char *colon = strchr(p, ':'), *slash = strchr(p, '/');
    if (!colon || (slash && slash < colon) || colon - p >= (long)sizeof g_host)
        return -1;
    snprintf(g_host, sizeof g_host, "%.*s", (int)(colon - p), p);
    snprintf(g_port, sizeof g_port, "%.*s",
             (int)((slash ? slash : colon + strlen(colon)) - colon - 1), colon + 1);
    snprintf(g_path, sizeof g_path, "%s", g_sio ? "/socket.io/?EIO=4&transport=websocket" : "/ws");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "ws") && strcmp(argv[1], "sio"))) {
        fprintf(stderr, "usage: wsload ws|sio URL COUNT RACE_ID\n");
        return 2;
    }
    g_sio = !strcmp(argv[1], "sio");
    g_count = atoi(argv[3]);
    g_race = atoi(argv[4]);
    if (parse_url(argv[2]) || g_count <= 0 || g_count > 1000000 || g_race <= 0) {
        fprintf(stderr, "wsload: bad URL, COUNT or RACE_ID\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    g_conns = calloc((size_t)g_count, sizeof *g_conns);
    g_hist = calloc(NB, sizeof *g_hist);
    g_close_reasons = json_object();
    g_ep = epoll_create1(EPOLL_CLOEXEC);
    if (!g_conns || !g_hist || g_ep < 0)
        return 1;
    srand((unsigned)getpid());
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    struct epoll_event se = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(g_ep, EPOLL_CTL_ADD, 0, &se);
    emit(json_pack("{s:s}", "type", "hello"));

    static char cmdbuf[CMD_MAX];
    size_t cmdlen = 0;
    struct epoll_event evs[512];
    for (int quit = 0; !quit;) {
        int n = epoll_wait(g_ep, evs, 512, 100);
        for (int i = 0; i < n && !quit; i++) {
            if (evs[i].data.ptr) {
                on_event(evs[i].data.ptr, evs[i].events);
                continue;
            }
            ssize_t r = read(0, cmdbuf + cmdlen, sizeof cmdbuf - 1 - cmdlen);
            if (r == 0) {
                quit = 1; /* the driver went away */
                break;
            }
            if (r < 0)
                continue;
            cmdlen += (size_t)r;
            char *nl;
            while (!quit && (nl = memchr(cmdbuf, '\n', cmdlen))) {
                *nl = '\0';
                quit = command(cmdbuf);
                cmdlen -= (size_t)(nl + 1 - cmdbuf);
                memmove(cmdbuf, nl + 1, cmdlen);
            }
            if (cmdlen == sizeof cmdbuf - 1)
                cmdlen = 0; /* a line longer than any command: dropped */
        }
        start_more();
        maybe_connected();
    }
    for (int i = 0; i < g_count; i++) {
        if (g_conns[i].ws)
            wslay_event_context_free(g_conns[i].ws);
        if (g_conns[i].fd > 0)
            close(g_conns[i].fd);
    }
    free(g_conns);
    free(g_hist);
    free(g_first_by_seq);
    free(g_last_by_seq);
    json_decref(g_close_reasons);
    odz_json_arena_free(g_arena);
    for (int i = 0; i < SEEN; i++)
        free(g_seen[i].bytes);
    close(g_ep);
    return 0;
}

/* Live updates with real clients: socket.io-client (default options: polling then upgrade;
 * websocket only; polling only), the `ws` package on /ws, curl -N on /api/stream. The server
 * (in-process bus + HTTP + live module) runs on threads here; the clients are child processes
 * (tests/e2e/live_client.mjs, tests/e2e/live_churn.mjs) that print what they receive. The
 * test publishes on the bus and measures from publish to receipt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>

#include "bus/bus.h"
#include "core/err.h"
#include "http/server.h"
#include "live/live.h"
#include "obs/metrics.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\n";
}

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ---- server ------------------------------------------------------------------------------ */

typedef struct {
    odz_bus *bus;
    odz_http_server *http;
    odz_live *live;
    pthread_t th;
    int port;
} server;

static void *run_http(void *arg)
{
    odz_http_run(((server *)arg)->http);
    return NULL;
}

static char *http_text(const char *cmd);
static const odz_live_topic *extra_topic; /* added by the next server_start, then cleared */

static server *server_start_ping(int threads, size_t max_queued, int ping_ms)
{
    server *s = calloc(1, sizeof(*s));
    char err[ODZ_ERRLEN];
    s->bus = odz_bus_inproc_new();
    odz_http_config hc;
    odz_http_config_defaults(&hc);
    hc.host = "127.0.0.1";
    hc.port = 0;
    hc.threads = threads;
    hc.max_connections = 4096;
    s->http = odz_http_new(&hc, err, sizeof err);
    assert_non_null(s->http);
    odz_live_config lc = {0};
    lc.max_queued = max_queued;
    lc.ping_interval_ms = ping_ms;
    lc.ping_timeout_ms = 2000;
    s->live = odz_live_new(s->bus, s->http, &lc, err, sizeof err);
    assert_non_null(s->live);
    if (extra_topic)
        assert_int_equal(odz_live_add_topic(s->live, extra_topic, err, sizeof err), 0);
    extra_topic = NULL;
    s->port = odz_http_port(s->http);
    pthread_create(&s->th, NULL, run_http, s);
    return s;
}

static server *server_start(int threads, size_t max_queued)
{
    return server_start_ping(threads, max_queued, 2000); /* ping/pong during the tests */
}

static void server_stop(server *s)
{
    odz_live_detach(s->live);
    odz_http_stop(s->http);
    pthread_join(s->th, NULL);
    odz_live_free(s->live);
    odz_http_free(s->http);
    odz_bus_close(s->bus);
    free(s);
    odz_metrics_free_all();
}

static void publish_price(server *s, int64_t race, int sel, int price_hundredths, const char *pad)
{
    char subj[64], body[8192];
    snprintf(subj, sizeof subj, "race.%lld.price", (long long)race);
    int n = snprintf(body, sizeof body,
                     "{\"race_id\":%lld,\"selection_id\":%d,\"number\":%d,\"market\":\"fixed_win\","
                     "\"provider\":\"oddzy\",\"price\":%d.%02d,\"previous\":4.0,\"ts\":%lld%s%s%s}",
                     (long long)race, sel, sel % 100, price_hundredths / 100, price_hundredths % 100,
                     (long long)(wall_ms() / 1000), pad ? ",\"pad\":\"" : "", pad ? pad : "",
                     pad ? "\"" : "");
    assert_int_equal(odz_bus_publish(s->bus, subj, body, (size_t)n, NULL), 0);
}

/* ---- child clients ----------------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int fd;
    char buf[1 << 16];
    size_t len;
} child;

static child *spawn(char *const argv[])
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    child *c = calloc(1, sizeof(*c));
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    c->fd = p[0];
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    return c;
}

static child *spawn_client(const char *mode, int port, const char *race, const char *nsp)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    char *argv[] = {"node", "tests/e2e/live_client.mjs", (char *)mode, ps, (char *)race,
                    (char *)nsp, NULL};
    return spawn(argv);
}

/* Next line starting with `prefix` within timeout_ms, copied to out; 0 if found. */
static int wait_line(child *c, const char *prefix, int timeout_ms, char *out, size_t outlen)
{
    int64_t end = wall_ms() + timeout_ms;
    for (;;) {
        char *nl;
        while ((nl = memchr(c->buf, '\n', c->len))) {
            size_t n = (size_t)(nl - c->buf);
            int match = strncmp(c->buf, prefix, strlen(prefix)) == 0;
            if (match && out) {
                size_t k = n < outlen - 1 ? n : outlen - 1;
                memcpy(out, c->buf, k);
                out[k] = '\0';
            }
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            if (match)
                return 0;
        }
        int64_t left = end - wall_ms();
        if (left < 0)
            return -1;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)left) <= 0) {
            if (left == 0)
                return -1;
            continue;
        }
        ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1);
        if (r <= 0) {
            if (r == 0)
                return -1;
            continue;
        }
        c->len += (size_t)r;
        if (c->len >= sizeof(c->buf) - 1)
            c->len = 0; /* flood of lines we do not care about */
    }
}

static void child_end(child *c)
{
    kill(c->pid, SIGTERM);
    waitpid(c->pid, NULL, 0);
    close(c->fd);
    free(c);
}

/* Publishes prices to `race` and waits for the client to print the event; returns the
 * latency in ms (publish to receipt), or -1. */
static int64_t roundtrip(server *s, child *c, int64_t race, int price, char *line, size_t n)
{
    int64_t t0 = wall_ms();
    publish_price(s, race, 11, price, NULL);
    char want[32];
    snprintf(want, sizeof want, "%d.%02d", price / 100, price % 100);
    for (;;) {
        if (wait_line(c, "EVENT ", 10000, line, n) != 0)
            return -1;
        if (strstr(line, want))
            break;
    }
    long long recv = 0;
    sscanf(line, "EVENT %lld", &recv);
    return recv - t0;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void check_client(const char *mode, int threads, const char *expect_transport)
{
    server *s = server_start(threads, 0);
    child *c = spawn_client(mode, s->port, "7", "/prices");
    char line[4096];
    assert_int_equal(wait_line(c, "READY", 10000, line, sizeof line), 0);
    int64_t worst = 0;
    for (int i = 0; i < 5; i++) {
        int64_t ms = roundtrip(s, c, 7, 351 + i * 10, line, sizeof line);
        assert_true(ms >= 0);
        if (ms > worst)
            worst = ms;
        assert_non_null(strstr(line, "\"race_id\":7"));
        assert_non_null(strstr(line, "\"selection_id\":11"));
    }
    print_message("worst of 5 round trips: %lld ms\n", (long long)worst);
    /* another race's prices do not reach a client subscribed to race 7 */
    publish_price(s, 8, 12, 777, NULL);
    int64_t ms = roundtrip(s, c, 7, 901, line, sizeof line);
    assert_true(ms >= 0); /* it arrives; how fast is for bench/live.sh */
    if (expect_transport) {
        /* socket.io-client's default: starts polling and upgrades to WebSocket */
        int64_t end = wall_ms() + 8000;
        int ok = 0;
        for (int p = 1001; !ok && wall_ms() < end; p += p % 10 == 9 ? 2 : 1) {
            if (roundtrip(s, c, 7, p, line, sizeof line) >= 0 && strstr(line, expect_transport))
                ok = 1;
        }
        assert_true(ok);
    }
    child_end(c);
    server_stop(s);
}

static void t_socketio_default(void **st)
{
    check_client("sio", 1, " websocket ");
}
static void t_socketio_websocket(void **st)
{
    check_client("sio-ws", 1, " websocket ");
}
static void t_socketio_polling_two_loops(void **st)
{
    /* with two event loops a session's requests land on either: they must be forwarded */
    check_client("sio-poll", 2, " polling ");
}
static void t_plain_ws(void **st)
{
    check_client("ws", 1, NULL);
}

static void t_socketio_race_updated(void **st)
{
    server *s = server_start(1, 0);
    child *c = spawn_client("sio-ws", s->port, "all", "/racing");
    char line[4096];
    assert_int_equal(wait_line(c, "READY", 10000, line, sizeof line), 0);
    const char *ev = "{\"race_id\":9,\"status\":\"CLOSED\",\"results\":[],\"scratched\":[3],"
                     "\"last_update\":1}";
    odz_bus_publish(s->bus, "race.9.updated", ev, strlen(ev), NULL);
    assert_int_equal(wait_line(c, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"status\":\"CLOSED\""));
    assert_non_null(strstr(line, "\"scratched\":[3]"));
    child_end(c);
    server_stop(s);
}

/* curl -N on /api/stream for one race, once the server said it is subscribed. */
/* curl -N on /api/stream?<query>, not yet waited for. */
static child *sse_spawn(server *s, const char *query)
{
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/stream?%s", s->port, query);
    char *argv[] = {"curl", "-sN", url, NULL};
    return spawn(argv);
}

static child *sse_client(server *s, int race)
{
    char q[64], line[4096];
    snprintf(q, sizeof q, "race_id=%d", race);
    child *c = sse_spawn(s, q);
    assert_int_equal(wait_line(c, ": subscribed", 5000, line, sizeof line), 0);
    return c;
}

static void t_sse_curl(void **st)
{
    server *s = server_start(1, 0);
    char line[4096];
    child *c = sse_client(s, 7);
    publish_price(s, 7, 11, 420, NULL);
    assert_int_equal(wait_line(c, "event: updatePrice", 10000, line, sizeof line), 0);
    assert_int_equal(wait_line(c, "data: ", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"price\":4.20"));
    child_end(c);
    server_stop(s);
}

/* An event nobody is subscribed to is neither encoded nor posted to a loop (counted as
 * unheard); once a client is in the race's room events reach it again, and after it leaves
 * they are unheard again. */
static double metric(const char *name)
{
    return odz_metric_value(odz_counter(name, NULL, NULL));
}

static void wait_metric(const char *name, double want)
{
    int64_t end = wall_ms() + 10000;
    while (metric(name) < want && wall_ms() < end)
        usleep(10000);
    assert_true(metric(name) >= want);
}

static void t_unheard_events_not_encoded(void **st)
{
    server *s = server_start(1, 0);
    publish_price(s, 7, 11, 420, NULL);
    wait_metric("oddzy_live_events_unheard_total", 1);
    assert_true(metric("oddzy_live_events_total") == 0);

    char line[4096];
    child *c = sse_client(s, 7);
    publish_price(s, 7, 11, 430, NULL);
    assert_int_equal(wait_line(c, "data: ", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"price\":4.30"));
    assert_true(metric("oddzy_live_events_total") == 1);
    assert_true(metric("oddzy_live_events_unheard_total") == 1);
    child_end(c);

    int64_t end = wall_ms() + 10000; /* the server sees curl go at its next write or ping */
    double before = metric("oddzy_live_events_unheard_total");
    while (metric("oddzy_live_events_unheard_total") == before && wall_ms() < end) {
        publish_price(s, 7, 11, 440, NULL);
        usleep(50000);
    }
    assert_true(metric("oddzy_live_events_unheard_total") > before);
    server_stop(s);
}

/* A loopback connection with a small receive buffer that sends `req`, then reads until
 * `until` arrives (within 5 s) and never again unless told. Returns the socket. */
static int stalled_connect(int port, const void *req, size_t len, const char *until)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(write(fd, req, len), (ssize_t)len);
    char buf[2048];
    size_t got = 0;
    int64_t end = wall_ms() + 5000;
    while (wall_ms() < end && got < sizeof buf - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        buf[got] = '\0';
        if (memmem(buf, got, until, strlen(until)))
            return fd;
    }
    fail_msg("stalled client: no \"%s\"", until);
    return -1;
}

/* A raw WebSocket client on /ws that subscribes to `race` and then never reads again. */
static int stalled_client(int port, int race)
{
    char req[512];
    int hn = snprintf(req, sizeof req,
                      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    char msg[64];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"subscribe\",\"race_id\":%d}", race);
    uint8_t *f = (uint8_t *)req + hn; /* one masked text frame after the handshake */
    f[0] = 0x81;
    f[1] = (uint8_t)(0x80 | n);
    memcpy(f + 2, "\x01\x02\x03\x04", 4);
    for (int i = 0; i < n; i++)
        f[6 + i] = (uint8_t)msg[i] ^ f[2 + i % 4];
    return stalled_connect(port, req, (size_t)(hn + 6 + n), "subscribed");
}

/* A client that stops reading is dropped; the others keep receiving. */
static void t_slow_client_dropped(void **st)
{
    server *s = server_start(1, 256 * 1024);
    int slow = stalled_client(s->port, 7);
    child *good = spawn_client("ws", s->port, "7", "/prices");
    char line[4096];
    assert_int_equal(wait_line(good, "READY", 10000, line, sizeof line), 0);
    static char pad[4001];
    memset(pad, 'x', 4000);
    odz_live_stats ls;
    int64_t end = wall_ms() + 20000;
    int i = 0;
    do {
        /* every event about another runner: nothing to coalesce, the backlog must grow */
        for (int k = 0; k < 5; k++, i++)
            publish_price(s, 7, 1000 + i, 200 + (i % 50), pad);
        usleep(5000);
        /* keep the good client's pipe drained */
        while (wait_line(good, "", 0, line, sizeof line) == 0)
            if (strncmp(line, "EVENT", 5))
                fprintf(stderr, "good: %.200s\n", line);
        odz_live_stats_get(s->live, &ls);
    } while (ls.dropped_clients == 0 && wall_ms() < end);
    fprintf(stderr, "published %d events of 4 KB before the stalled client was dropped\n", i);

    assert_int_equal(ls.dropped_clients, 1);
    /* (the stalled client does not read, so it cannot see the close: check the server side) */
    /* the good one still gets fresh prices (once it has worked through the burst) */
    while (wait_line(good, "", 500, line, sizeof line) == 0)
        if (strncmp(line, "EVENT", 5))
            fprintf(stderr, "good: %s\n", line);
    int64_t ms = roundtrip(s, good, 7, 999, line, sizeof line);
    /* arrives at all (how fast is bench/live.sh's question: a loaded machine is slow) */
    assert_true(ms >= 0);
    odz_live_stats_get(s->live, &ls);
    assert_int_equal(ls.connections_ws, 1);
    close(slow);
    child_end(good);
    server_stop(s);
}

/* A raw HTTP client on /api/stream?<query> that reads the "subscribed" comment and then
 * nothing until told. */
static int stalled_sse(int port, const char *query)
{
    char req[256];
    int n = snprintf(req, sizeof req, "GET /api/stream?%s HTTP/1.1\r\nHost: x\r\n\r\n", query);
    return stalled_connect(port, req, (size_t)n, ": subscribed");
}

/* Everything the socket gives until it has been quiet for quiet_ms (malloc'd, NUL-ended). */
static char *read_all(int fd, int quiet_ms, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, quiet_ms) <= 0)
            break;
        if (n + 65536 + 1 > cap)
            b = realloc(b, cap *= 2);
        ssize_t r = read(fd, b + n, 65536);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    b[n] = '\0';
    *len = n;
    return b;
}

#define SLOW_KEYS 20
/* A price event published keyed as the racing service does (the key: runner, market,
 * provider), with its JSON spaced and escaped unlike anything jansson would write, so that
 * bytes passed through unchanged can be recognised. */
static int keyed_price(char *body, size_t cap, int sel, int round, const char *pad)
{
    return snprintf(body, cap,
                    "{ \"race_id\" : 7, \"selection_id\":%d,\"market\":\"fixed_win\","
                    "\"provider\":\"oddzy\",  \"price\":%d.%02d, \"note\":\"\\u00e9\\/\", "
                    "\"pad\":\"%s\"}",
                    sel, (200 + round) / 100, (200 + round) % 100, pad);
}

/* The body of the last SSE data line carrying `needle`, copied to out; 0 if found. */
static int last_data_with(const char *all, const char *needle, char *out, size_t outlen)
{
    const char *found = NULL, *p = all;
    while ((p = strstr(p, "\ndata: "))) {
        p += 7;
        const char *e = strchr(p, '\n');
        if (!e)
            break;
        const char *hit = strstr(p, needle);
        if (hit && hit < e)
            found = p;
        p = e;
    }
    if (!found)
        return -1;
    size_t n = (size_t)(strchr(found, '\n') - found);
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, found, n);
    out[n] = '\0';
    return 0;
}

/* An SSE client that stops reading while prices keep changing is not dropped: each runner's
 * newer price replaces the older one still queued for it, so once it reads again it ends with
 * the latest price of every runner. Without coalescing, the ~25 MB published here would pass
 * the stream's 1 MiB bound and the client would be dropped. The coalescing key is the bus
 * message's (never read from the JSON: two events about the same runner in their JSON but with
 * different bus keys both arrive; two with one bus key but different runners are one), and the
 * payload's bytes arrive as they were published. */
static void t_sse_slow_client_gets_latest(void **st)
{
    server *s = server_start(1, 0);
    int fd = stalled_sse(s->port, "race_id=7");
    static char pad[4001];
    memset(pad, 'x', 4000);
    char body[8192], key[32];
    /* publish until the stream has long been backed up: most events then replace a queued
     * one (the bus coalesces too, when its subscriber is behind, so count at the client) */
    odz_live_stats ls;
    int rounds = 0;
    int64_t end = wall_ms() + 60000;
    do {
        for (int k = 0; k < SLOW_KEYS; k++) {
            int n = keyed_price(body, sizeof body, 100 + k, rounds, pad);
            snprintf(key, sizeof key, "%d.1.oddzy", 100 + k);
            assert_int_equal(odz_bus_publish_keyed(s->bus, "race.7.price", key, body,
                                                         (size_t)n, NULL),
                             0);
        }
        rounds++;
        usleep(2000);
        odz_live_stats_get(s->live, &ls);
    } while (ls.coalesced < 50 * SLOW_KEYS && !ls.dropped_clients && wall_ms() < end);
    usleep(300000);
    const char *same_a = "{\"race_id\":7,\"selection_id\":5001,\"price\":1.50}";
    const char *same_b = "{\"race_id\":7,\"selection_id\":5002,\"price\":1.60}";
    const char *twin_a = "{\"race_id\":7,\"selection_id\":6000,\"price\":2.00,\"twin\":\"a\"}";
    const char *twin_b = "{\"race_id\":7,\"selection_id\":6000,\"price\":3.00,\"twin\":\"b\"}";
    odz_bus_publish_keyed(s->bus, "race.7.price", "one-key", same_a, strlen(same_a), NULL);
    odz_bus_publish_keyed(s->bus, "race.7.price", "one-key", same_b, strlen(same_b), NULL);
    odz_bus_publish_keyed(s->bus, "race.7.price", "twin-a", twin_a, strlen(twin_a), NULL);
    odz_bus_publish_keyed(s->bus, "race.7.price", "twin-b", twin_b, strlen(twin_b), NULL);
    usleep(300000);
    odz_live_stats_get(s->live, &ls);
    fprintf(stderr, "slow SSE client: %d rounds, %lu events queued, %lu coalesced, %lu dropped\n",
            rounds, ls.pushed, ls.coalesced, ls.dropped_clients);
    assert_int_equal(ls.dropped_clients, 0);
    assert_true(ls.coalesced >= 50 * SLOW_KEYS);
    assert_int_equal(ls.connections_sse, 1);

    size_t len;
    char *all = read_all(fd, 1500, &len);
    fprintf(stderr, "slow SSE client read %zu bytes once it read again\n", len);
    char line[8192], want[8192], needle[64];
    for (int k = 0; k < SLOW_KEYS; k++) {
        snprintf(needle, sizeof needle, "\"selection_id\":%d,", 100 + k);
        assert_int_equal(last_data_with(all, needle, line, sizeof line), 0);
        keyed_price(want, sizeof want, 100 + k, rounds - 1, pad);
        assert_string_equal(line, want); /* the latest price, byte for byte */
    }
    assert_int_equal(last_data_with(all, "\"selection_id\":5001", line, sizeof line), -1);
    assert_int_equal(last_data_with(all, "\"selection_id\":5002", line, sizeof line), 0);
    assert_string_equal(line, same_b);
    assert_int_equal(last_data_with(all, "\"twin\":\"a\"", line, sizeof line), 0);
    assert_string_equal(line, twin_a);
    assert_int_equal(last_data_with(all, "\"twin\":\"b\"", line, sizeof line), 0);
    assert_string_equal(line, twin_b);
    free(all);
    close(fd);
    server_stop(s);
}

/* ---- topics with a per-client filter (the transport of the odds matcher) ---------------- */

/* A filter as a topic's owner would write one, over events made of rows as the matcher's are
 * ({"runner": R, "rows": [{"rating": N}, ...]}): {"min_rating": N} keeps rows rated N or more. */
static int rows_parse(const json_t *spec, void **state, char *err, size_t errlen)
{
    json_t *m = spec ? json_object_get(spec, "min_rating") : NULL;
    if (spec && (!json_is_integer(m) || json_integer_value(m) < 0 || json_integer_value(m) > 1000)) {
        snprintf(err, errlen, "min_rating must be an integer from 0 to 1000");
        return ODZ_EINVAL;
    }
    if (!spec) {
        *state = NULL;
        return 0;
    }
    int *min = malloc(sizeof *min);
    *min = (int)json_integer_value(m);
    *state = min;
    return 0;
}
static atomic_int rows_decoded; /* decodes: once per event, not once per subscriber */
static void *rows_decode(const char *data, size_t len)
{
    atomic_fetch_add(&rows_decoded, 1);
    json_error_t e;
    json_t *o = json_loadb(data, len, 0, &e);
    if (!json_is_array(json_object_get(o, "rows"))) {
        json_decref(o);
        return NULL;
    }
    return o;
}
static void rows_free(void *decoded)
{
    json_decref(decoded);
}
static uint64_t rows_match(const void *state, const void *decoded)
{
    json_t *rows = json_object_get(decoded, "rows");
    uint64_t mask = 0;
    for (size_t i = 0; i < json_array_size(rows) && i < 64; i++)
        if (json_integer_value(json_object_get(json_array_get(rows, i), "rating")) >=
            *(const int *)state)
            mask |= (uint64_t)1 << i;
    return mask;
}
static int rows_render(const void *decoded, uint64_t mask, char **out, size_t *len)
{
    json_t *rows = json_object_get(decoded, "rows"), *keep = json_array();
    for (size_t i = 0; i < json_array_size(rows); i++)
        if (mask & ((uint64_t)1 << i))
            json_array_append(keep, json_array_get(rows, i));
    *out = NULL;
    if (json_array_size(keep) < json_array_size(rows)) {
        json_t *o = json_pack("{s:O,s:o}", "runner", json_object_get(decoded, "runner"), "rows",
                              keep);
        *out = json_dumps(o, JSON_COMPACT);
        *len = strlen(*out);
        json_decref(o);
    } else {
        json_decref(keep);
    }
    return 0;
}
static const odz_live_filter rows_filter = {rows_parse, free, rows_decode, rows_free, rows_match,
                                            rows_render};
static const odz_live_topic rows_topic = {"testrows", "test.rows", "/odds", "testRows", 0, 0,
                                          &rows_filter};

/* Published with its JSON spaced unlike jansson's, to tell passed-through bytes from rendered */
static const char *runner_ev[] = {
    "{\"runner\": \"r1\", \"rows\": [{\"rating\":10},{\"rating\":60},{\"rating\":85}]}",
    "{\"runner\": \"r2\", \"rows\": [{\"rating\":40},{\"rating\":90}]}",
    "{\"runner\": \"r3\", \"rows\": [{\"rating\":20}]}",
};

/* One runner's matcher rows (docs/notes: odds.matcher), neds's rating as given. */
static void matcher_runner(char *out, size_t n, double neds_rating)
{
    snprintf(out, n,
             "{\"race_id\":7,\"selection_id\":11,\"rows\":["
             "{\"key\":\"7.11.neds\",\"race_id\":7,\"selection_id\":11,\"bookmaker\":\"neds\","
             "\"race_type\":\"thoroughbred\",\"start\":1700000000,\"back\":3.2,\"lay\":3.3,"
             "\"lay_size\":125.5,\"rating\":%.2f},"
             "{\"key\":\"7.11.sb\",\"race_id\":7,\"selection_id\":11,\"bookmaker\":\"sb\","
             "\"race_type\":\"thoroughbred\",\"start\":1700000000,\"back\":3.4,\"lay\":3.3,"
             "\"lay_size\":null,\"rating\":101.5},"
             "{\"key\":\"7.11.tab\",\"race_id\":7,\"selection_id\":11,\"bookmaker\":\"tab\","
             "\"race_type\":\"thoroughbred\",\"start\":1700000000,\"back\":2.9,\"lay\":3.3,"
             "\"lay_size\":10,\"rating\":88.0}],\"removed\":[]}",
             neds_rating);
}

/* The next event line of c (its JSON from the first '{'), which must name `runner`. */
static void next_runner(child *c, const char *prefix, const char *runner, char *line, size_t n)
{
    assert_int_equal(wait_line(c, prefix, 10000, line, n), 0);
    assert_non_null(strstr(line, runner));
}

/* The next three events of c are r1's, r2's and r3's rows: the given rows, and none of r3. */
static void expect_runner_rows(child *c, const char *r1, const char *r2)
{
    char line[4096], want[256];
    const char *runners[] = {"\"r1\"", "\"r2\"", "\"r3\""}, *rows[] = {r1, r2, "[]"};
    for (int i = 0; i < 3; i++) {
        next_runner(c, "EVENT", runners[i], line, sizeof line);
        snprintf(want, sizeof want, "{\"event\":\"testRows\",\"data\":{\"runner\":%s,\"rows\":%s}}",
                 runners[i], rows[i]);
        assert_non_null(strstr(line, want));
    }
}

/* The /odds namespace and the same topics on /ws and SSE: a race's odds (oddsUpdated), the
 * matcher's rows (matcherRows), and a topic whose rows each client gets through its own
 * filter, applied on the server per row (the payload decoded once per event, each distinct set
 * of rows rendered once). */
static void t_odds_namespace_and_filters(void **st)
{
    extra_topic = &rows_topic;
    server *s = server_start(1, 0);
    char line[4096];

    child *odds = spawn_client("sio-ws", s->port, "{\"race_id\":7}", "/odds");
    child *matcher = spawn_client("sio", s->port, "{\"topic\":\"matcher\"}", "/odds");
    child *neds95 = spawn_client(
        "sio-ws", s->port,
        "{\"topic\":\"matcher\",\"filter\":{\"bookmaker\":\"neds\",\"min_rating\":95}}", "/odds");
    child *odds33 =
        spawn_client("ws", s->port, "{\"topic\":\"matcher\",\"filter\":{\"min_odds\":3.3}}", NULL);
    child *sio50 = spawn_client("sio-ws", s->port,
                                "{\"topic\":\"testrows\",\"filter\":{\"min_rating\":50}}", "/odds");
    child *ws80 = spawn_client("ws", s->port,
                               "{\"topic\":\"testrows\",\"filter\":{\"min_rating\":80}}", NULL);
    child *wsodds = spawn_client("ws", s->port, "{\"topic\":\"odds\",\"race_id\":\"all\"}", NULL);
    child *bad = spawn_client("ws", s->port,
                              "{\"topic\":\"testrows\",\"filter\":{\"min_rating\":\"x\"}}", NULL);
    child *sse = sse_spawn(s, "topic=testrows&filter=%7B%22min_rating%22%3A30%7D");
    child *ready[] = {odds, matcher, neds95, odds33, sio50, ws80, wsodds};
    /* (nine Node.js clients start at once: on a loaded machine that takes a while) */
    for (size_t i = 0; i < sizeof ready / sizeof *ready; i++)
        if (wait_line(ready[i], "READY", 60000, line, sizeof line) != 0)
            fail_msg("client %zu not subscribed: %s", i, line);
    assert_int_equal(wait_line(sse, ": subscribed to testrows", 60000, line, sizeof line), 0);
    assert_int_equal(wait_line(bad, "CLOSED bad-subscribe", 60000, line, sizeof line), 0);
    assert_non_null(strstr(line, "bad_filter"));
    assert_non_null(strstr(line, "min_rating must be"));

    const char *ev = "{\"race_id\":7,\"best\":[{\"selection_id\":11,\"back\":3.5}],\"book\":104.2}";
    odz_bus_publish(s->bus, "race.8.odds", "{\"race_id\":8}", 13, NULL);
    odz_bus_publish_keyed(s->bus, "race.7.odds", "odds", ev, strlen(ev), NULL);
    assert_int_equal(wait_line(odds, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"event\":\"oddsUpdated\",\"data\":{\"race_id\":7,"));
    assert_non_null(strstr(line, "\"book\":104.2"));
    /* "all" on /ws: race 8 first, then 7 */
    assert_int_equal(wait_line(wsodds, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"event\":\"oddsUpdated\",\"data\":{\"race_id\":8}"));
    assert_int_equal(wait_line(wsodds, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"book\":104.2"));

    /* the odds matcher's rows (one runner's, as the racing service publishes them), each
     * client's filter applied row by row */
    char runner[2048];
    matcher_runner(runner, sizeof runner, 96.12);
    odz_bus_publish_keyed(s->bus, "odds.matcher", "7.11", runner, strlen(runner), NULL);
    assert_int_equal(wait_line(matcher, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"event\":\"matcherRows\",\"data\":{\"race_id\":7,"));
    assert_non_null(strstr(line, "\"7.11.neds\""));
    assert_non_null(strstr(line, "\"7.11.sb\""));
    assert_non_null(strstr(line, "\"7.11.tab\""));
    assert_int_equal(wait_line(neds95, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"7.11.neds\""));
    assert_null(strstr(line, "\"7.11.sb\""));
    assert_null(strstr(line, "\"7.11.tab\""));
    assert_non_null(strstr(line, "\"removed\":[]"));
    assert_int_equal(wait_line(odds33, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"event\":\"matcherRows\",\"data\":{\"race_id\":7,"));
    assert_non_null(strstr(line, "\"7.11.sb\""));
    assert_null(strstr(line, "\"7.11.neds\""));
    assert_null(strstr(line, "\"7.11.tab\""));
    /* neds's rating falls below 95: that client is told the runner has no row for it now */
    matcher_runner(runner, sizeof runner, 90.0);
    odz_bus_publish_keyed(s->bus, "odds.matcher", "7.11", runner, strlen(runner), NULL);
    assert_int_equal(wait_line(neds95, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"selection_id\":11,\"rows\":[]"));

    atomic_store(&rows_decoded, 0);
    const char *runner_key[] = {"r1", "r2", "r3"};
    for (int i = 0; i < 3; i++)
        odz_bus_publish_keyed(s->bus, "test.rows", runner_key[i], runner_ev[i],
                                   strlen(runner_ev[i]), NULL);
    /* min 50: some rows of r1 and r2; none of r3, which it is still told about; min 80 on /ws */
    expect_runner_rows(sio50, "[{\"rating\":60},{\"rating\":85}]", "[{\"rating\":90}]");
    expect_runner_rows(ws80, "[{\"rating\":85}]", "[{\"rating\":90}]");
    /* min 30 on SSE: r2 passes whole, so its bytes are the published ones */
    next_runner(sse, "data: ", "\"r1\"", line, sizeof line);
    assert_string_equal(line, "data: {\"runner\":\"r1\",\"rows\":[{\"rating\":60},{\"rating\":85}]}");
    next_runner(sse, "data: ", "\"r2\"", line, sizeof line);
    assert_string_equal(line + 6, runner_ev[1]);
    next_runner(sse, "data: ", "\"r3\"", line, sizeof line);
    assert_string_equal(line, "data: {\"runner\":\"r3\",\"rows\":[]}");
    assert_int_equal(atomic_load(&rows_decoded), 3); /* once an event, not once a client */

    child *all[] = {odds, matcher, neds95, odds33, sio50, ws80, wsodds, bad, sse};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        child_end(all[i]);
    server_stop(s);
}

/* ---- events lost on their way: the topic's clients are told to fetch again ------------- */

/* A topic whose decode (on the bus thread, once an event) waits while `held` is set: events
 * published meanwhile pile up in the topic's bus subscription until it drops some. */
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t held_cv = PTHREAD_COND_INITIALIZER;
static int held;
static atomic_int held_waiting;
static int held_parse(const json_t *spec, void **state, char *err, size_t errlen)
{
    (void)spec, (void)err, (void)errlen;
    *state = NULL;
    return 0;
}
static void *held_decode(const char *data, size_t len)
{
    (void)data, (void)len;
    pthread_mutex_lock(&held_mu);
    atomic_store(&held_waiting, 1);
    while (held)
        pthread_cond_wait(&held_cv, &held_mu);
    atomic_store(&held_waiting, 0);
    pthread_mutex_unlock(&held_mu);
    return NULL; /* undecodable: only clients without a filter get it */
}
static void held_free(void *d)
{
    (void)d;
}
static uint64_t held_match(const void *state, const void *decoded)
{
    (void)state, (void)decoded;
    return 1;
}
static const odz_live_filter held_filter = {held_parse, free, held_decode, held_free, held_match,
                                            NULL};
static const odz_live_topic held_topic = {"held", "race.*.held", "/held", "heldEvent", 1, 0,
                                          &held_filter};

static void t_lost_events_resync(void **st)
{
    (void)st;
    extra_topic = &held_topic;
    server *s = server_start(1, 0);
    char line[4096];
    child *sio = spawn_client("sio-ws", s->port, "{\"topic\":\"held\",\"race_id\":7}", "/held");
    child *sse = sse_spawn(s, "topic=held&race_id=9");
    assert_int_equal(wait_line(sio, "READY", 60000, line, sizeof line), 0);
    assert_int_equal(wait_line(sse, ": subscribed to 9", 60000, line, sizeof line), 0);
    const char *ev = "{\"race_id\":7,\"n\":1}";
    /* nothing lost: the event, no resync */
    odz_bus_publish(s->bus, "race.7.held", ev, strlen(ev), NULL);
    assert_int_equal(wait_line(sio, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"event\":\"heldEvent\",\"data\":{\"race_id\":7,\"n\":1}}"));
    assert_true(metric("oddzy_live_resyncs_total") == 0);

    /* the bus thread held inside one event while far more than the subscription's queue
     * (65,536) is published: the rest are dropped by the bus */
    pthread_mutex_lock(&held_mu);
    held = 1;
    pthread_mutex_unlock(&held_mu);
    odz_bus_publish(s->bus, "race.7.held", ev, strlen(ev), NULL);
    for (int i = 0; i < 200 && !atomic_load(&held_waiting); i++)
        usleep(10000);
    assert_true(atomic_load(&held_waiting));
    for (int i = 0; i < 70000; i++)
        odz_bus_publish(s->bus, "race.8.held", "{\"race_id\":8}", 13, NULL);
    pthread_mutex_lock(&held_mu);
    held = 0;
    pthread_cond_broadcast(&held_cv);
    pthread_mutex_unlock(&held_mu);
    /* both clients, in other races' rooms than the lost events', are told to fetch again */
    assert_int_equal(wait_line(sio, "EVENT", 20000, line, sizeof line), 0);
    if (!strstr(line, "\"resync\"")) /* the held race-7 event may come first */
        assert_int_equal(wait_line(sio, "EVENT", 20000, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"event\":\"resync\",\"data\":{\"topic\":\"held\"}}"));
    assert_int_equal(wait_line(sse, "event: resync", 20000, line, sizeof line), 0);
    assert_int_equal(wait_line(sse, "data: ", 10000, line, sizeof line), 0);
    assert_string_equal(line, "data: {\"topic\":\"held\"}");
    wait_metric("oddzy_live_resyncs_total", 1); /* counted on the bus thread after the post */
    child_end(sio);
    child_end(sse);
    server_stop(s);
}

/* The exchange topic: a runner's whole exchange book (race.<id>.exchange, ExchangeBookEvent),
 * pushed as exchangeUpdated in rooms per race, on Socket.IO /odds, /ws and SSE alike. */
static void t_exchange_books(void **st)
{
    server *s = server_start(1, 0);
    char line[4096];
    child *sio = spawn_client("sio-ws", s->port, "{\"topic\":\"exchange\",\"race_id\":7}", "/odds");
    child *ws = spawn_client("ws", s->port, "{\"topic\":\"exchange\",\"race_id\":\"all\"}", NULL);
    child *sse = sse_spawn(s, "topic=exchange&race_id=7");
    assert_int_equal(wait_line(sio, "READY", 60000, line, sizeof line), 0);
    assert_int_equal(wait_line(ws, "READY", 60000, line, sizeof line), 0);
    assert_int_equal(wait_line(sse, ": subscribed to 7", 60000, line, sizeof line), 0);

    const char *other = "{\"race_id\":8,\"selection_id\":21,\"number\":1,\"provider\":\"betfair\"}";
    const char *book =
        "{\"race_id\":7,\"selection_id\":11,\"number\":2,\"provider\":\"betfair\","
        "\"back\":[{\"price\":3.4,\"size\":120.5},{\"price\":3.35,\"size\":40}],"
        "\"lay\":[{\"price\":3.5,\"size\":88}],\"last_traded\":3.45,\"traded_volume\":5012.25,"
        "\"starting_price\":null,\"ts\":1781070000}";
    odz_bus_publish_keyed(s->bus, "race.8.exchange", "21.betfair", other, strlen(other), NULL);
    odz_bus_publish_keyed(s->bus, "race.7.exchange", "11.betfair", book, strlen(book), NULL);
    /* race 7 only on Socket.IO and SSE: the book as published */
    assert_int_equal(wait_line(sio, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"event\":\"exchangeUpdated\",\"data\":{\"race_id\":7,"));
    assert_non_null(strstr(line, "\"lay\":[{\"price\":3.5,\"size\":88}]"));
    assert_int_equal(wait_line(sse, "event: exchangeUpdated", 10000, line, sizeof line), 0);
    assert_int_equal(wait_line(sse, "data: ", 10000, line, sizeof line), 0);
    assert_string_equal(line + 6, book);
    /* "all" on /ws: race 8's book, then race 7's */
    assert_int_equal(wait_line(ws, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "{\"event\":\"exchangeUpdated\",\"data\":{\"race_id\":8,"));
    assert_int_equal(wait_line(ws, "EVENT", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "\"traded_volume\":5012.25"));
    child_end(sio);
    child_end(ws);
    child_end(sse);
    server_stop(s);
}

/* Subscriptions the server cannot honour are refused with words, on every transport. */
static void t_bad_subscriptions(void **st)
{
    server *s = server_start(1, 0);
    char cmd[512];
    const char *queries[] = {"topic=nosuch", "topic=matcher&filter=%7B%22x%22%3A1%7D",
                             "topic=odds&filter=notjson", "topic=ODDS"};
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        snprintf(cmd, sizeof cmd, "curl -s -w ' %%{http_code}' 'http://127.0.0.1:%d/api/stream?%s'",
                 s->port, queries[i]);
        char *out = http_text(cmd);
        assert_non_null(strstr(out, " 400"));
        assert_non_null(strstr(out, "\"error\""));
    }
    child *c = spawn_client("ws", s->port, "{\"topic\":\"nosuch\",\"race_id\":7}", NULL);
    char line[4096];
    assert_int_equal(wait_line(c, "CLOSED bad-subscribe", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "unknown_topic"));
    child_end(c);
    /* on Socket.IO, a topic of another namespace is refused in the ack */
    c = spawn_client("sio-ws", s->port, "{\"topic\":\"matcher\"}", "/prices");
    assert_int_equal(wait_line(c, "CLOSED bad-ack", 10000, line, sizeof line), 0);
    assert_non_null(strstr(line, "unknown topic"));
    child_end(c);
    server_stop(s);
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* 1,000 clients connect and disconnect repeatedly: memory does not grow. */
static void t_churn_no_growth(void **st)
{
    server *s = server_start(1, 0);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", s->port);
    char *argv[] = {"node", "tests/e2e/live_churn.mjs", ps, "1000", "6", NULL};
    child *c = spawn(argv);
    char line[256];
    size_t base = 0, last = 0;
    odz_live_stats ls;
    for (int r = 1; r <= 6; r++) {
        assert_int_equal(wait_line(c, "ROUND", 60000, line, sizeof line), 0);
        /* the server notices the closes a moment after the client */
        for (int k = 0; k < 500; k++) {
            odz_live_stats_get(s->live, &ls);
            if (ls.connections_ws + ls.connections_socketio_ws + ls.connections_socketio_polling == 0)
                break;
            usleep(20000);
        }
        assert_int_equal(ls.connections_ws + ls.connections_socketio_ws, 0);
        assert_int_equal(ls.subscriptions, 0);
        malloc_trim(0);
        last = heap_in_use();
        if (r == 2)
            base = last; /* after the first rounds warmed caches */
        fprintf(stderr, "round %d: heap in use %zu bytes\n", r, last);
    }
    assert_int_equal(wait_line(c, "DONE", 10000, line, sizeof line), 0);
    if (!UNDER_ASAN)
        assert_true(last <= base + 512 * 1024);
    child_end(c);
    server_stop(s);
}

/* With the default 25 s ping interval the polling -> WebSocket upgrade must not wait for a
 * ping to end the paused poll. */
static void t_upgrade_is_prompt(void **st)
{
    server *s = server_start_ping(1, 0, 25000);
    int64_t t0 = wall_ms();
    child *c = spawn_client("sio", s->port, "7", "/prices");
    char line[4096];
    /* (the upgrade may come before or after the subscription's READY) */
    int up = 0, ready = 0;
    while (!(up && ready) && wait_line(c, "", 8000, line, sizeof line) == 0) {
        up |= !strncmp(line, "UPGRADED websocket", 18);
        ready |= !strncmp(line, "READY", 5);
    }
    assert_true(up && ready);
    assert_true(wall_ms() - t0 < 8000);
    int64_t ms = roundtrip(s, c, 7, 551, line, sizeof line);
    assert_true(ms >= 0); /* it arrives; how fast is for bench/live.sh */
    child_end(c);
    server_stop(s);
}

static char *http_text(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    static char out[4096];
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    pclose(f);
    return out;
}

/* Engine.IO long-polling by hand: handshake, namespace connect, a bad subscribe with an ack
 * id gets a well-formed error ack (a client would drop the connection on bad JSON). */
static void t_polling_by_hand(void **st)
{
    server *s = server_start(1, 0);
    char cmd[512], sid[64];
    snprintf(cmd, sizeof cmd, "curl -s 'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling'",
             s->port);
    char *open = http_text(cmd);
    assert_int_equal(open[0], '0');
    assert_int_equal(sscanf(open, "0{\"sid\":\"%63[^\"]\"", sid), 1);
    assert_non_null(strstr(open, "\"upgrades\":[\"websocket\"]"));
    const char *posts[] = {"40/prices,", "42/prices,7[\"subscribe\",{\"race\":5}]"};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd,
                 "curl -s -X POST --data-binary '%s' "
                 "'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling&sid=%s'",
                 posts[i], s->port, sid);
        assert_string_equal(http_text(cmd), "ok");
    }
    snprintf(cmd, sizeof cmd, "curl -s 'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling&sid=%s'",
             s->port, sid);
    char *got = http_text(cmd); /* "40/prices,{...}" RS "43/prices,7[...]" */
    char *ack = strstr(got, "43/prices,7");
    assert_non_null(strstr(got, "40/prices,{\"sid\":"));
    assert_non_null(ack);
    json_error_t e;
    json_t *j = json_loads(ack + strlen("43/prices,7"), 0, &e);
    assert_non_null(j);
    assert_true(json_is_false(json_object_get(json_array_get(j, 0), "ok")));
    json_decref(j);
    server_stop(s);
}

/* Holds the event loop until the bus has delivered `want` more messages to its subscribers:
 * everything those deliveries post to the loop then waits for one turn. */
typedef struct {
    odz_bus *bus;
    uint64_t want;
    atomic_int done;
} hold;
static void hold_loop(void *arg)
{
    hold *h = arg;
    odz_bus_stats bs;
    int64_t end = wall_ms() + 10000;
    do {
        usleep(5000);
        odz_bus_get_stats(h->bus, &bs);
    } while (bs.delivered < h->want && wall_ms() < end);
    usleep(20000); /* (the handler's post comes before the delivery is counted) */
    atomic_store(&h->done, 1);
}

/* A waiting long-poll gets every event of one loop turn in one response, not the first alone
 * (the others would wait for the next poll). */
static void t_polling_one_response_per_turn(void **st)
{
    server *s = server_start_ping(1, 0, 25000); /* (no ping to end the waiting poll early) */
    char cmd[512], sid[64];
    snprintf(cmd, sizeof cmd, "curl -s 'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling'",
             s->port);
    assert_int_equal(sscanf(http_text(cmd), "0{\"sid\":\"%63[^\"]\"", sid), 1);
    snprintf(cmd, sizeof cmd,
             "curl -s -X POST --data-binary '40/prices,\x1e" "42/prices,1[\"subscribe\",{\"race_id\":7}]' "
             "'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling&sid=%s'",
             s->port, sid);
    assert_string_equal(http_text(cmd), "ok");
    char poll[256];
    snprintf(poll, sizeof poll,
             "curl -s 'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling&sid=%s'", s->port,
             sid);
    assert_non_null(strstr(http_text(poll), "43/prices,1[{\"ok\":true"));
    /* a poll waits; the loop is held while 20 events reach it */
    FILE *f = popen(poll, "r");
    usleep(300000);
    odz_bus_stats bs;
    odz_bus_get_stats(s->bus, &bs);
    hold h = {s->bus, bs.delivered + 20, 0};
    assert_int_equal(odz_http_call(s->http, 0, hold_loop, &h), 0);
    for (int i = 0; i < 20; i++)
        publish_price(s, 7, 100 + i, 300 + i, NULL);
    static char got[1 << 16];
    size_t n = fread(got, 1, sizeof got - 1, f);
    got[n] = '\0';
    pclose(f);
    while (!atomic_load(&h.done))
        usleep(1000);
    int packets = 0;
    for (const char *p = got; (p = strstr(p, "42/prices,[\"updatePrice\"")); p++)
        packets++;
    fprintf(stderr, "first poll after the held turn: %d events in %zu bytes\n", packets, n);
    assert_int_equal(packets, 20);
    server_stop(s);
}

static void t_bad_requests(void **st)
{
    server *s = server_start(1, 0);
    char cmd[512];
    /* wrong Engine.IO version, unknown transport, unknown session, /ws without upgrade */
    const char *paths[] = {"/socket.io/?EIO=3&transport=polling", "/socket.io/?EIO=4&transport=x",
                           "/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA",
                           "/ws", "/api/stream?race_id=abc"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -w '%%{http_code}' 'http://127.0.0.1:%d%s'",
                 s->port, paths[i]);
        FILE *f = popen(cmd, "r");
        char code[8] = {0};
        assert_non_null(fgets(code, sizeof code, f));
        pclose(f);
        assert_string_equal(code, "400");
    }
    /* another WebSocket version: 426 naming 13 */
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' -H 'Connection: Upgrade' -H 'Upgrade: websocket' "
             "-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Version: 8' "
             "'http://127.0.0.1:%d/ws'", s->port);
    FILE *f = popen(cmd, "r");
    char code[8] = {0};
    assert_non_null(fgets(code, sizeof code, f));
    pclose(f);
    assert_string_equal(code, "426");
    server_stop(s);
}

/* Pings and timeouts run when each client is due, not on a walk of every client: a silent
 * /ws client gets its pings, then is closed once silent for interval + timeout; a polling
 * session that answers its pings gets the next one an interval later, one that stopped
 * polling is gone. */
static int http_code(const char *cmd, char *body, size_t cap)
{
    FILE *f = popen(cmd, "r");
    size_t n = fread(body, 1, cap - 1, f);
    body[n] = '\0';
    pclose(f);
    char *nl = strrchr(body, '\n'); /* curl -w '\n%{http_code}' */
    int code = nl ? atoi(nl + 1) : 0;
    if (nl)
        *nl = '\0';
    return code;
}

static void t_pings_and_timeouts_when_due(void **st)
{
    server *s = server_start_ping(1, 0, 500); /* timeout 2000 */
    /* /ws: subscribes, then never sends again */
    int64_t t0 = wall_ms();
    int fd = stalled_client(s->port, 7);
    size_t len;
    char *all = read_all(fd, 5000, &len); /* until the server closes (or 5 s of quiet) */
    int64_t closed_after = wall_ms() - t0;
    close(fd);
    int pings = 0, close_code = 0; /* (the frames after "subscribed", which was read whole) */
    for (const uint8_t *f = (const uint8_t *)all; f + 2 <= (const uint8_t *)all + len;) {
        size_t n = f[1] & 0x7f; /* (server frames: unmasked, short here) */
        if ((f[0] & 0x0f) == 0x9)
            pings++;
        if ((f[0] & 0x0f) == 0x8 && n >= 2)
            close_code = f[2] << 8 | f[3];
        f += 2 + n;
    }
    free(all);
    assert_int_equal(close_code, 1001); /* "ping timeout" */
    assert_true(pings >= 2);
    assert_true(closed_after >= 2500); /* not before interval + timeout */

    /* Engine.IO polling: A goes silent, B answers every ping */
    char cmd[512], body[512], a[64], b[64];
    snprintf(cmd, sizeof cmd, "curl -s 'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling'",
             s->port);
    assert_int_equal(sscanf(http_text(cmd), "0{\"sid\":\"%63[^\"]\"", a), 1);
    assert_int_equal(sscanf(http_text(cmd), "0{\"sid\":\"%63[^\"]\"", b), 1);
    int b_pings = 0;
    t0 = wall_ms();
    while (wall_ms() - t0 < 4500) {
        snprintf(cmd, sizeof cmd,
                 "curl -s -m 5 -w '\\n%%{http_code}' "
                 "'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling&sid=%s'", s->port, b);
        assert_int_equal(http_code(cmd, body, sizeof body), 200);
        if (strcmp(body, "2") != 0)
            continue;
        b_pings++;
        snprintf(cmd, sizeof cmd,
                 "curl -s -X POST --data-binary 3 "
                 "'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling&sid=%s'", s->port, b);
        assert_string_equal(http_text(cmd), "ok");
    }
    printf("silent /ws: %d pings, closed after %lld ms; polling: %d pings in 4.5 s\n", pings,
           (long long)closed_after, b_pings);
    /* an interval after each pong, at the tick's 1 s steps: 5 (3 if the pong did not bring
     * the next ping closer than the ping timeout) */
    assert_true(b_pings >= 4);
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '\\n%%{http_code}' "
             "'http://127.0.0.1:%d/socket.io/?EIO=4&transport=polling&sid=%s'", s->port, a);
    assert_int_equal(http_code(cmd, body, sizeof body), 400); /* A: gone */
    server_stop(s);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (access("tests/e2e/node_modules/socket.io-client", F_OK) != 0) {
        fprintf(stderr, "tests/e2e/node_modules missing: run scripts/setup.sh (npm ci)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_socketio_default),
        cmocka_unit_test(t_socketio_websocket),
        cmocka_unit_test(t_socketio_polling_two_loops),
        cmocka_unit_test(t_plain_ws),
        cmocka_unit_test(t_socketio_race_updated),
        cmocka_unit_test(t_sse_curl),
        cmocka_unit_test(t_unheard_events_not_encoded),
        cmocka_unit_test(t_slow_client_dropped),
        cmocka_unit_test(t_sse_slow_client_gets_latest),
        cmocka_unit_test(t_odds_namespace_and_filters),
        cmocka_unit_test(t_exchange_books),
        cmocka_unit_test(t_lost_events_resync),
        cmocka_unit_test(t_bad_subscriptions),
        cmocka_unit_test(t_churn_no_growth),
        cmocka_unit_test(t_bad_requests),
        cmocka_unit_test(t_upgrade_is_prompt),
        cmocka_unit_test(t_polling_by_hand),
        cmocka_unit_test(t_polling_one_response_per_turn),
        cmocka_unit_test(t_pings_and_timeouts_when_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* WebSocket over the HTTP module (src/http/websocket.c) with a raw-socket client: handshake,
 * echo, fragmentation, ping/pong, close handshake, and the protocol errors with their close
 * codes (unmasked 1002, binary 1003, bad UTF-8 1007, too big 1009, reserved bits 1002), plus
 * shared frames and the close sent on server shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "http/sendbatch.h"
#include "http/server.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\n";
}

/* ---- server: echo text back; "big" answers with a shared 100 KB frame; "close" closes ---- */

typedef struct {
    odz_http_server *srv;
    pthread_t th;
    int port;
    int closes, last_code;
    unsigned long coalesced;
    unsigned long writes_before; /* odz_ws_writes when "burst" arrived */
    odz_ws *open[512];           /* connections open, for "all" */
    int nopen;
} server;

static void on_text(odz_ws *ws, const char *data, size_t len, void *ud)
{
    if (len == 5 && !memcmp(data, "close", 5)) {
        odz_ws_close(ws, 4000, "bye");
        return;
    }
    if (len == 5 && !memcmp(data, "flood", 5)) {
        /* 20,000 updates of 10 things, 1 KB each, to a client that is not reading yet */
        char b[1024];
        for (int i = 0; i < 20000; i++) {
            memset(b, '.', sizeof b);
            int n = snprintf(b, sizeof b, "k%d:%d", i % 10, i);
            b[n] = '.';
            odz_buf *f = odz_ws_frame_text(b, sizeof b);
            int rc = odz_ws_send_frame_keyed(ws, f, (uint64_t)(i % 10) + 1);
            odz_buf_unref(f);
            if (rc < 0)
                break;
        }
        odz_ws_send_text(ws, "end", 3);
        ((server *)ud)->coalesced = odz_ws_coalesced(ws);
        return;
    }
    if (len == 5 && !memcmp(data, "burst", 5)) {
        /* 50 frames from one callback: they must leave together, in one write */
        ((server *)ud)->writes_before = odz_ws_writes(ws);
        for (int i = 0; i < 50; i++) {
            char b[16];
            int n = snprintf(b, sizeof b, "b%d", i);
            odz_ws_send_text(ws, b, (size_t)n);
        }
        return;
    }
    if (len == 3 && !memcmp(data, "all", 3)) {
        /* one shared frame to every open connection, as a live event fans out */
        server *sv = ud;
        odz_buf *f = odz_ws_frame_text("to-all", 6);
        for (int i = 0; i < sv->nopen; i++)
            odz_ws_send_frame(sv->open[i], f);
        odz_buf_unref(f);
        return;
    }
    if (len == 6 && !memcmp(data, "writes", 6)) {
        char b[32];
        int n = snprintf(b, sizeof b, "writes:%lu",
                         odz_ws_writes(ws) - ((server *)ud)->writes_before);
        odz_ws_send_text(ws, b, (size_t)n);
        return;
    }
    if (len == 3 && !memcmp(data, "big", 3)) {
        char *b = malloc(100000);
        memset(b, 'b', 100000);
        odz_buf *f = odz_ws_frame_text(b, 100000);
        free(b);
        odz_ws_send_frame(ws, f);
        odz_buf_unref(f);
        return;
    }
    odz_ws_send_text(ws, data, len);
}

static void on_close(odz_ws *ws, int code, void *ud)
{
    server *s = ud;
    s->closes++;
    s->last_code = code;
    for (int i = 0; i < s->nopen; i++)
        if (s->open[i] == ws) {
            s->open[i] = s->open[--s->nopen];
            break;
        }
}

static int h_ws(odz_http_req *req, void *ud)
{
    odz_ws_limits lim = {1024, 0};
    server *s = ud;
    static const odz_ws_callbacks cb = {on_text, on_close};
    odz_ws *ws = odz_ws_accept(req, &lim, &cb, s);
    if (!ws)
        return odz_http_respond_json_error(req, 400, "bad_request", "not a websocket handshake");
    if (s->nopen < (int)(sizeof s->open / sizeof s->open[0]))
        s->open[s->nopen++] = ws;
    return 0;
}

static void *run(void *arg)
{
    odz_http_run(((server *)arg)->srv);
    return NULL;
}

static int setup(void **st)
{
    server *s = calloc(1, sizeof(*s));
    odz_http_config c;
    odz_http_config_defaults(&c);
    c.host = "127.0.0.1";
    c.port = 0;
    char err[256];
    s->srv = odz_http_new(&c, err, sizeof err);
    assert_non_null(s->srv);
    assert_int_equal(odz_http_route(s->srv, "GET", "/ws", h_ws, s), 0);
    s->port = odz_http_port(s->srv);
    pthread_create(&s->th, NULL, run, s);
    *st = s;
    return 0;
}

static int teardown(void **st)
{
    server *s = *st;
    odz_http_stop(s->srv);
    pthread_join(s->th, NULL);
    odz_http_free(s->srv);
    free(s);
    return 0;
}

/* ---- raw client -------------------------------------------------------------------------- */

static int connect_ws(int port, int *status)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char *req = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    char buf[1024];
    size_t n = 0;
    while (n < sizeof buf - 1) {
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0)
            break;
        n++;
        if (n >= 4 && !memcmp(buf + n - 4, "\r\n\r\n", 4))
            break;
    }
    buf[n] = '\0';
    *status = atoi(buf + 9);
    if (*status == 101)
        /* RFC 6455's example key and its accept value */
        assert_non_null(strstr(buf, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    return fd;
}

static void send_frame(int fd, int fin, int rsv, int opcode, int mask, const void *data,
                       size_t len)
{
    uint8_t h[14], m[4] = {0x12, 0x34, 0x56, 0x78};
    size_t hl = 0;
    h[hl++] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    uint8_t mb = mask ? 0x80 : 0;
    if (len < 126)
        h[hl++] = (uint8_t)(mb | len);
    else if (len < 65536) {
        h[hl++] = mb | 126;
        h[hl++] = (uint8_t)(len >> 8);
        h[hl++] = (uint8_t)len;
    } else {
        h[hl++] = mb | 127;
        for (int i = 7; i >= 0; i--)
            h[hl++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (mask) {
        memcpy(h + hl, m, 4);
        hl += 4;
    }
    uint8_t *out = malloc(hl + len);
    memcpy(out, h, hl);
    for (size_t i = 0; i < len; i++)
        out[hl + i] = ((const uint8_t *)data)[i] ^ (mask ? m[i % 4] : 0);
    size_t off = 0;
    while (off < hl + len) {
        ssize_t w = write(fd, out + off, hl + len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    free(out);
}

static int read_full(int fd, uint8_t *b, size_t n)
{
    size_t off = 0;
    while (off < n) {
        struct pollfd p = {fd, POLLIN, 0};
        /* a guard against hanging, not a bound on speed: ASan on a loaded machine is slow */
        if (poll(&p, 1, 20000) <= 0)
            return -1;
        ssize_t r = read(fd, b + off, n - off);
        if (r <= 0)
            return -1;
        off += (size_t)r;
    }
    return 0;
}

/* Reads one server frame: opcode, payload into a malloc'd buffer; -1 on EOF/timeout. */
static int read_frame(int fd, uint8_t **payload, size_t *len)
{
    uint8_t h[2];
    if (read_full(fd, h, 2))
        return -1;
    assert_int_equal(h[1] & 0x80, 0); /* server frames are not masked */
    uint64_t l = h[1] & 0x7f;
    if (l == 126) {
        uint8_t e[2];
        read_full(fd, e, 2);
        l = (uint64_t)e[0] << 8 | e[1];
    } else if (l == 127) {
        uint8_t e[8];
        read_full(fd, e, 8);
        l = 0;
        for (int i = 0; i < 8; i++)
            l = l << 8 | e[i];
    }
    *payload = malloc(l + 1);
    if (l && read_full(fd, *payload, l)) {
        free(*payload);
        return -1;
    }
    (*payload)[l] = 0;
    *len = l;
    return h[0] & 0x0f;
}

static int expect_close(int fd)
{
    uint8_t *p;
    size_t n;
    int op = read_frame(fd, &p, &n);
    int code = op == 8 && n >= 2 ? p[0] << 8 | p[1] : -op;
    if (op >= 0)
        free(p);
    return code;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void t_echo_fragments_ping(void **st)
{
    server *s = *st;
    int status, fd = connect_ws(s->port, &status);
    assert_int_equal(status, 101);
    send_frame(fd, 1, 0, 1, 1, "hello", 5);
    uint8_t *p;
    size_t n;
    assert_int_equal(read_frame(fd, &p, &n), 1);
    assert_string_equal((char *)p, "hello");
    free(p);
    /* a message in three fragments with a ping in the middle */
    send_frame(fd, 0, 0, 1, 1, "frag", 4);
    send_frame(fd, 1, 0, 9, 1, "pp", 2);
    send_frame(fd, 0, 0, 0, 1, "men", 3);
    send_frame(fd, 1, 0, 0, 1, "ted", 3);
    assert_int_equal(read_frame(fd, &p, &n), 10); /* pong first, same payload */
    assert_string_equal((char *)p, "pp");
    free(p);
    assert_int_equal(read_frame(fd, &p, &n), 1);
    assert_string_equal((char *)p, "fragmented");
    free(p);
    /* a frame shared by many receivers arrives whole (126-byte+ header form) */
    send_frame(fd, 1, 0, 1, 1, "big", 3);
    assert_int_equal(read_frame(fd, &p, &n), 1);
    assert_int_equal(n, 100000);
    free(p);
    /* client close: echoed with the same code */
    send_frame(fd, 1, 0, 8, 1, "\x03\xe8", 2);
    assert_int_equal(expect_close(fd), 1000);
    close(fd);
}

static void t_server_close(void **st)
{
    server *s = *st;
    int status, fd = connect_ws(s->port, &status);
    send_frame(fd, 1, 0, 1, 1, "close", 5);
    assert_int_equal(expect_close(fd), 4000);
    uint8_t b;
    assert_true(read(fd, &b, 1) <= 0); /* then the server closes the socket */
    close(fd);
}

static void check_error(server *s, int fin, int rsv, int opcode, int mask, const void *data,
                        size_t len, int want)
{
    int status, fd = connect_ws(s->port, &status);
    assert_int_equal(status, 101);
    send_frame(fd, fin, rsv, opcode, mask, data, len);
    assert_int_equal(expect_close(fd), want);
    close(fd);
}

static void t_protocol_errors(void **st)
{
    server *s = *st;
    check_error(s, 1, 0, 1, 0, "unmasked", 8, 1002);
    check_error(s, 1, 0, 2, 1, "\x01\x02", 2, 1003);
    check_error(s, 1, 0, 1, 1, "\xc3\x28", 2, 1007);       /* invalid UTF-8 */
    check_error(s, 1, 0, 1, 1, "\xed\xa0\x80", 3, 1007);   /* a surrogate */
    check_error(s, 1, 4, 1, 1, "x", 1, 1002);               /* RSV1 without extension */
    check_error(s, 1, 0, 3, 1, "x", 1, 1002);               /* reserved opcode */
    check_error(s, 1, 0, 0, 1, "x", 1, 1002);               /* continuation first */
    char big[2000];
    memset(big, 'a', sizeof big);
    check_error(s, 1, 0, 1, 1, big, sizeof big, 1009);       /* over the 1 KB limit */
    /* fragments adding up past the limit */
    int status, fd = connect_ws(s->port, &status);
    send_frame(fd, 0, 0, 1, 1, big, 800);
    send_frame(fd, 1, 0, 0, 1, big, 800);
    assert_int_equal(expect_close(fd), 1009);
    close(fd);
    /* valid multi-byte UTF-8 passes */
    fd = connect_ws(s->port, &status);
    send_frame(fd, 1, 0, 1, 1, "\xe2\x82\xac \xf0\x9f\x90\x8e", 8);
    uint8_t *p;
    size_t n;
    assert_int_equal(read_frame(fd, &p, &n), 1);
    assert_int_equal(n, 8);
    free(p);
    close(fd);
}

/* Frames queued in one loop turn leave in one writev, not one write per frame. */
static void t_burst_one_write(void **st)
{
    server *s = *st;
    int status, fd = connect_ws(s->port, &status);
    assert_int_equal(status, 101);
    send_frame(fd, 1, 0, 1, 1, "burst", 5);
    for (int i = 0; i < 50; i++) {
        uint8_t *p;
        size_t n;
        char want[16];
        snprintf(want, sizeof want, "b%d", i);
        assert_int_equal(read_frame(fd, &p, &n), 1);
        assert_string_equal((char *)p, want);
        free(p);
    }
    send_frame(fd, 1, 0, 1, 1, "writes", 6);
    uint8_t *p;
    size_t n;
    assert_int_equal(read_frame(fd, &p, &n), 1);
    assert_string_equal((char *)p, "writes:1");
    free(p);
    close(fd);
}

static void connect_many(int port, int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        int status;
        fds[i] = connect_ws(port, &status);
        assert_int_equal(status, 101);
    }
}

/* The first connection asks for "all"; every connection gets that one frame. */
static void all_get_one(const int *fds, int n)
{
    send_frame(fds[0], 1, 0, 1, 1, "all", 3);
    for (int i = 0; i < n; i++) {
        uint8_t *p;
        size_t len;
        assert_int_equal(read_frame(fds[i], &p, &len), 1);
        assert_string_equal((char *)p, "to-all");
        free(p);
    }
}

/* One frame to 300 connections in one loop turn: with io_uring, 300 writes in two
 * submissions (sendbatch.h), every client getting its frame whole. */
static void t_fanout_batched(void **st)
{
    server *s = *st;
    enum { N = 300 };
    int fds[N];
    connect_many(s->port, fds, N);
    odz_sendbatch *probe = odz_sendbatch_new();
    int batched = probe != NULL;
    odz_sendbatch_free(probe);
    unsigned long w0 = odz_sendbatch_writes(), s0 = odz_sendbatch_submits();
    all_get_one(fds, N);
    /* the clients can read their frames before the loop has counted the batch's last
     * writes: an echo answered in a later turn shows that turn is over */
    send_frame(fds[0], 1, 0, 1, 1, "sync", 4);
    uint8_t *p;
    size_t len;
    assert_int_equal(read_frame(fds[0], &p, &len), 1);
    free(p);
    if (batched) {
        assert_true(odz_sendbatch_writes() - w0 >= N);
        assert_true(odz_sendbatch_submits() - s0 <= 3); /* (the echo's is the third) */
    } else { /* io_uring missing or off: nothing went through a batch */
        assert_int_equal(odz_sendbatch_writes(), w0);
        assert_int_equal(odz_sendbatch_submits(), s0);
    }
    for (int i = 0; i < N; i++)
        close(fds[i]);
}

/* io_uring fails while a turn's writes wait: they are written one by one instead (nothing
 * was sent, so nothing is lost or sent twice), and the loop writes alone from then on. */
static void t_batch_failure_falls_back(void **st)
{
    server *s = *st;
    enum { N = 300 };
    int fds[N];
    connect_many(s->port, fds, N);
    odz_sendbatch__fail_next_submit(-EBUSY); /* (unused where io_uring is off or missing) */
    for (int round = 0; round < 2; round++) {
        unsigned long w0 = odz_sendbatch_writes();
        all_get_one(fds, N);
        assert_int_equal(odz_sendbatch_writes(), w0); /* nothing through a batch */
    }
    odz_sendbatch__fail_next_submit(0);
    assert_int_equal(s->closes, 0);
    for (int i = 0; i < N; i++)
        close(fds[i]);
}

/* A client that falls behind gets the latest state of each thing, not the backlog. */
static void t_slow_reader_gets_latest(void **st)
{
    server *s = *st;
    int status, fd = connect_ws(s->port, &status);
    int small = 16 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    send_frame(fd, 1, 0, 1, 1, "flood", 5);
    usleep(300000); /* not reading while the server sends */
    int last[10], frames = 0;
    for (int i = 0; i < 10; i++)
        last[i] = -1;
    for (;;) {
        uint8_t *p;
        size_t n;
        int op = read_frame(fd, &p, &n);
        if (op != 1)
            fprintf(stderr, "frame %d after %d frames; server closes %d, last code %d\n", op,
                    frames, s->closes, s->last_code);
        assert_int_equal(op, 1);
        if (n == 3 && !memcmp(p, "end", 3)) {
            free(p);
            break;
        }
        int k, seq;
        assert_int_equal(sscanf((char *)p, "k%d:%d", &k, &seq), 2);
        assert_true(seq > last[k]); /* order kept per thing */
        last[k] = seq;
        frames++;
        free(p);
    }
    for (int k = 0; k < 10; k++)
        assert_int_equal(last[k], 19990 + k); /* the final state of every thing arrived */
    assert_true(frames < 20000);
    assert_true(s->coalesced > 0);
    assert_int_equal(s->coalesced, 20000 - (unsigned long)frames);
    close(fd);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* A client that pings and never reads its pongs cannot grow the server's queue: at most one
 * pong waits (the latest), so memory stays flat; the connection still works afterwards. */
static void t_ping_flood(void **st)
{
    server *s = *st;
    int status, fd = connect_ws(s->port, &status);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    uint8_t ping[6 + 125];
    ping[0] = 0x89;
    ping[1] = 0x80 | 125;
    memset(ping + 2, 0, 4); /* zero mask */
    memset(ping + 6, 'p', 125);
    long before = rss_kb();
    int64_t sent = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        ssize_t w = write(fd, ping, sizeof ping);
        if (w > 0) {
            /* keep frames whole: finish a partly written one */
            size_t off = (size_t)w;
            while (off < sizeof ping) {
                ssize_t k = write(fd, ping + off, sizeof ping - off);
                if (k > 0)
                    off += (size_t)k;
                else if (errno == EAGAIN)
                    usleep(200);
                else
                    break;
            }
            sent += (int64_t)off;
        } else if (errno == EAGAIN)
            usleep(200);
        else
            break;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (sent < 40 * 1024 * 1024 && t.tv_sec - t0.tv_sec < 4);
    long grown = rss_kb() - before;
    fprintf(stderr, "sent %lld bytes of pings, server+client RSS grew %ld KB\n", (long long)sent,
            grown);
    assert_true(sent > 2 * 1024 * 1024);
#if !defined(__SANITIZE_ADDRESS__)
    /* (ASan's quarantine keeps freed memory, so only the plain build measures) */
    assert_true(grown < 16 * 1024); /* a pong for every ping would be as much as was sent */
#endif
    /* the connection still echoes (after the pongs waiting for us) */
    fcntl(fd, F_SETFL, 0);
    send_frame(fd, 1, 0, 1, 1, "still", 5);
    uint8_t *pl;
    size_t n;
    int op;
    while ((op = read_frame(fd, &pl, &n)) == 10)
        free(pl);
    if (op == 8)
        fprintf(stderr, "closed: %d %s\n", n >= 2 ? pl[0] << 8 | pl[1] : 0, n > 2 ? (char *)pl + 2 : "");
    assert_int_equal(op, 1);
    assert_string_equal((char *)pl, "still");
    free(pl);
    close(fd);
}

static void t_not_a_handshake(void **st)
{
    server *s = *st;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char *req = "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    char buf[512] = {0};
    assert_true(read(fd, buf, sizeof buf - 1) > 12);
    assert_int_equal(atoi(buf + 9), 400);
    close(fd);
}

static void t_shutdown_sends_1001(void **st)
{
    server *s = *st;
    int status, fd = connect_ws(s->port, &status);
    send_frame(fd, 1, 0, 1, 1, "hi", 2);
    uint8_t *p;
    size_t n;
    assert_int_equal(read_frame(fd, &p, &n), 1);
    free(p);
    odz_http_stop(s->srv);
    assert_int_equal(expect_close(fd), 1001);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_echo_fragments_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(t_server_close, setup, teardown),
        cmocka_unit_test_setup_teardown(t_protocol_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(t_burst_one_write, setup, teardown),
        cmocka_unit_test_setup_teardown(t_fanout_batched, setup, teardown),
        cmocka_unit_test_setup_teardown(t_batch_failure_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(t_slow_reader_gets_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(t_ping_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(t_not_a_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(t_shutdown_sends_1001, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("websocket, writes batched through io_uring where "
                                             "the kernel has it",
                                             tests, NULL, NULL);
    /* again with each connection written alone, as where io_uring is missing or turned off */
    setenv("ODDZY_IO_URING", "0", 1);
    failed += cmocka_run_group_tests_name("websocket, each connection written alone", tests,
                                          NULL, NULL);
    return failed;
}

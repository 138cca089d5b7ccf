/* HTTP server tests: a real server on 127.0.0.1 (ephemeral port) driven over raw sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <brotli/decode.h>

#include "core/err.h"
#include "http/server.h"

/* h2o 2.2 keeps a per-thread cache of request-pool chunks (a static thread-local in its
 * memory.c, at most 16 chunks of 4 KiB) and never frees it. Every server in these tests runs
 * on threads that end, so LeakSanitizer sees those caches; only they are suppressed. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\n";
}

/* ---- client helpers ---------------------------------------------------------------------- */

typedef struct {
    int status;
    char head[32768];
    char *body;
    size_t body_len;
} resp_t;

static void resp_free(resp_t *r)
{
    free(r->body);
    r->body = NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static int send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads until EOF, error or timeout; returns malloc'd bytes. */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static const char *hdr(const resp_t *r, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = r->head;
    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t vl = e ? (size_t)(e - v) : strlen(v);
            if (vl >= outlen)
                vl = outlen - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return out;
        }
    }
    return NULL;
}

/* Parses one response from buf. 1 = complete (*used set), 0 = need more, -1 = malformed. */
static int parse_resp(const char *buf, size_t len, int at_eof, int no_body, resp_t *r, size_t *used)
{
    const char *e = memmem(buf, len, "\r\n\r\n", 4);
    if (!e)
        return at_eof && len ? -1 : 0;
    size_t hl = (size_t)(e - buf) + 2;
    if (hl >= sizeof(r->head))
        return -1;
    memcpy(r->head, buf, hl);
    r->head[hl] = '\0';
    if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
        return -1;
    const char *b = e + 4;
    size_t avail = len - (size_t)(b - buf);
    char v[64];
    r->body = NULL;
    r->body_len = 0;
    if (no_body || r->status == 304 || r->status == 204) {
        *used = (size_t)(b - buf);
        r->body = calloc(1, 1);
        return 1;
    }
    if (hdr(r, "content-length", v, sizeof(v))) {
        size_t cl = strtoul(v, NULL, 10);
        if (avail < cl)
            return 0;
        r->body = malloc(cl + 1);
        memcpy(r->body, b, cl);
        r->body[cl] = '\0';
        r->body_len = cl;
        *used = (size_t)(b - buf) + cl;
        return 1;
    }
    if (hdr(r, "transfer-encoding", v, sizeof(v)) && strcasecmp(v, "chunked") == 0) {
        char *out = malloc(avail + 1);
        size_t o = 0, i = 0;
        for (;;) {
            const char *crlf = memmem(b + i, avail - i, "\r\n", 2);
            if (!crlf) {
                free(out);
                return 0;
            }
            size_t sz = strtoul(b + i, NULL, 16);
            i = (size_t)(crlf - b) + 2;
            if (sz == 0) {
                if (avail - i < 2) {
                    free(out);
                    return 0;
                }
                i += 2;
                break;
            }
            if (avail - i < sz + 2) {
                free(out);
                return 0;
            }
            memcpy(out + o, b + i, sz);
            o += sz;
            i += sz + 2;
        }
        out[o] = '\0';
        r->body = out;
        r->body_len = o;
        *used = (size_t)(b - buf) + i;
        return 1;
    }
    if (!at_eof)
        return 0;
    r->body = malloc(avail + 1);
    memcpy(r->body, b, avail);
    r->body[avail] = '\0';
    r->body_len = avail;
    *used = len;
    return 1;
}

/* One request on a fresh connection, read to EOF. Returns 0, or -1 if nothing parsable came. */
static int http_raw(int port, const char *req, size_t reqlen, int no_body, resp_t *r)
{
    memset(r, 0, sizeof(*r));
    int fd = connect_to(port);
    if (fd < 0)
        return -1;
    send_all(fd, req, reqlen);
    size_t n, used;
    char *buf = read_all(fd, &n);
    close(fd);
    int ok = parse_resp(buf, n, 1, no_body, r, &used);
    free(buf);
    return ok == 1 ? 0 : -1;
}

static int http_get(int port, const char *path, const char *extra_headers, resp_t *r)
{
    const char *x = extra_headers ? extra_headers : "";
    size_t cap = strlen(path) + strlen(x) + 100;
    char *req = malloc(cap);
    int n =
        snprintf(req, cap, "GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n", path, x);
    int rc = http_raw(port, req, (size_t)n, 0, r);
    free(req);
    return rc;
}

/* ---- server fixture ---------------------------------------------------------------------- */

typedef struct {
    odz_http_server *srv;
    pthread_t th;
    int port;
    int run_rc;
} fixture;

static void *run_thread(void *arg)
{
    fixture *f = arg;
    f->run_rc = odz_http_run(f->srv);
    return NULL;
}

static pthread_t workers[64];
static int nworkers;
static pthread_mutex_t workers_mu = PTHREAD_MUTEX_INITIALIZER;

static void spawn_worker(void *(*fn)(void *), void *arg)
{
    pthread_mutex_lock(&workers_mu);
    assert_true(nworkers < 64);
    assert_int_equal(pthread_create(&workers[nworkers++], NULL, fn, arg), 0);
    pthread_mutex_unlock(&workers_mu);
}

static void join_workers(void)
{
    pthread_mutex_lock(&workers_mu);
    for (int i = 0; i < nworkers; i++)
        pthread_join(workers[i], NULL);
    nworkers = 0;
    pthread_mutex_unlock(&workers_mu);
}

static void add_routes(odz_http_server *srv);

static void fx_start_cfg(fixture *f, odz_http_config *cfg)
{
    char err[ODZ_ERRLEN] = "";
    memset(f, 0, sizeof(*f));
    cfg->host = "127.0.0.1";
    cfg->port = 0;
    f->srv = odz_http_new(cfg, err, sizeof(err));
    if (!f->srv)
        fail_msg("odz_http_new: %s", err);
    f->port = odz_http_port(f->srv);
    assert_true(f->port > 0);
    add_routes(f->srv);
    assert_int_equal(pthread_create(&f->th, NULL, run_thread, f), 0);
}

static void fx_start(fixture *f)
{
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    fx_start_cfg(f, &cfg);
}

static void fx_stop(fixture *f)
{
    odz_http_stop(f->srv);
    pthread_join(f->th, NULL);
    assert_int_equal(f->run_rc, 0);
    join_workers();
    odz_http_free(f->srv);
    f->srv = NULL;
}

/* ---- handlers ---------------------------------------------------------------------------- */

static int h_hello(odz_http_req *req, void *ud)
{
    return odz_http_respond(req, 200, "text/plain", "hello", 5);
}

static int h_echo(odz_http_req *req, void *ud)
{
    char name[64], remote[64], out[512];
    int rc = odz_http_query_param(req, "name", name, sizeof(name));
    if (rc != 0)
        return rc; /* ENOTFOUND -> 404, EINVAL -> 400 */
    const char *x = odz_http_header(req, "X-Test");
    size_t blen = 0;
    odz_http_body(req, &blen);
    assert_int_equal(odz_http_remote_addr(req, remote, sizeof(remote)), 0);
    int n = snprintf(out, sizeof(out), "name=%s|hdr=%s|body=%zu|remote=%s|rest=%s|method=%s|q=%s",
                     name, x ? x : "-", blen, remote, odz_http_path_rest(req), odz_http_method(req),
                     odz_http_query(req));
    return odz_http_respond(req, 200, "text/plain", out, (size_t)n);
}

static int h_fail(odz_http_req *req, void *ud)
{
    return ODZ_ENOTFOUND;
}

static int h_conflict(odz_http_req *req, void *ud)
{
    return ODZ_ESTATE;
}

static int h_noresp(odz_http_req *req, void *ud)
{
    return 0;
}

static int h_bad(odz_http_req *req, void *ud)
{
    return odz_http_respond_json_error(req, 400, "bad_input", "he said \"no\"\n");
}

/* /api/busy: a full queue's answer, at once or through a deferred handle (?pending) */
static int h_busy(odz_http_req *req, void *ud)
{
    char v[8];
    if (odz_http_query_param(req, "pending", v, sizeof(v)) != 0)
        return odz_http_respond_busy(req, "queue full", 7);
    odz_http_pending *p = odz_http_defer(req);
    assert_non_null(p);
    assert_int_equal(odz_http_pending_busy(p, "queue full", 0), 0); /* out of range: 1 */
    return ODZ_HTTP_PENDING;
}

static odz_buf *view_plain, *view_gz;
static odz_buf *view3[ODZ_ENC_COUNT]; /* plain, gzip, br of test_variants and test_zero_copy */

static int h_view3(odz_http_req *req, void *ud)
{
    odz_http_resp_opts o = {.etag = "\"v3\"", .cache_control = "no-cache"};
    return odz_http_respond_variants(req, "application/json", view3, &o);
}

static int h_view(odz_http_req *req, void *ud)
{
    odz_http_resp_opts o = {
        .etag = "\"v1\"", .cache_control = "no-cache", .correlation_id = "abc-1"};
    return odz_http_respond_cached(req, "application/json", view_plain, view_gz, &o);
}

struct async_job {
    odz_http_pending *p;
    int delay_ms;
    int rc;
};
static struct async_job jobs[16];
static atomic_int njobs;

static void *async_worker(void *arg)
{
    struct async_job *j = arg;
    sleep_ms(j->delay_ms);
    j->rc = odz_http_pending_respond(j->p, 200, "text/plain", "async-done", 10);
    return NULL;
}

static int h_async(odz_http_req *req, void *ud)
{
    char ms[16];
    struct async_job *j = &jobs[atomic_fetch_add(&njobs, 1) % 16];
    j->delay_ms =
        odz_http_query_param(req, "ms", ms, sizeof(ms)) == 0 ? (int)strtol(ms, NULL, 10) : 10;
    j->p = odz_http_defer(req);
    assert_non_null(j->p);
    assert_null(odz_http_defer(req)); /* only once */
    spawn_worker(async_worker, j);
    return ODZ_HTTP_PENDING;
}

/* /api/slow: parked until the test completes it by hand */
static odz_http_pending *parked;
static atomic_int parked_ready;

static int h_slow(odz_http_req *req, void *ud)
{
    parked = odz_http_defer(req);
    atomic_store(&parked_ready, 1);
    return ODZ_HTTP_PENDING;
}

static pthread_mutex_t close_mu = PTHREAD_MUTEX_INITIALIZER;
static char close_reason[64];

static const char *closed_why(void)
{
    static char copy[64];
    pthread_mutex_lock(&close_mu);
    snprintf(copy, sizeof(copy), "%s", close_reason);
    pthread_mutex_unlock(&close_mu);
    return copy;
}

static void on_stream_close(void *ud, const char *reason)
{
    pthread_mutex_lock(&close_mu);
    snprintf(close_reason, sizeof(close_reason), "%s", reason);
    pthread_mutex_unlock(&close_mu);
}

static void *stream_worker(void *arg)
{
    odz_http_stream *s = arg;
    char line[32];
    for (int i = 1; i <= 3; i++) {
        sleep_ms(20);
        int n = snprintf(line, sizeof(line), "data: %d\n\n", i);
        assert_int_equal(odz_http_stream_send(s, line, (size_t)n), 0);
    }
    odz_buf *b = odz_buf_new("data: end\n\n", 11);
    assert_int_equal(odz_http_stream_send_buf(s, b), 0);
    odz_buf_unref(b);
    odz_http_stream_end(s);
    return NULL;
}

static int h_stream(odz_http_req *req, void *ud)
{
    odz_http_resp_opts o = {.cache_control = "no-cache"};
    odz_http_stream *s = odz_http_stream_start(req, 200, "text/event-stream", &o);
    assert_non_null(s);
    odz_http_stream_on_close(s, on_stream_close, NULL);
    spawn_worker(stream_worker, s);
    return ODZ_HTTP_PENDING;
}

/* /api/live: a stream that stays open until the server shuts down */
static odz_http_stream *live;

static int h_live(odz_http_req *req, void *ud)
{
    live = odz_http_stream_start(req, 200, "text/event-stream", NULL);
    assert_non_null(live);
    odz_http_stream_on_close(live, on_stream_close, NULL);
    assert_int_equal(odz_http_stream_send(live, "data: hi\n\n", 10), 0);
    return ODZ_HTTP_PENDING;
}

/* /api/bp: backpressure, checked inside the handler where the loop cannot drain the queue */
static int bp_first, bp_second, bp_empty;

static int h_bp(odz_http_req *req, void *ud)
{
    odz_http_stream *s = odz_http_stream_start(req, 200, "text/plain", NULL);
    bp_empty = odz_http_stream_send(s, "", 0);
    static const char forty[] = "0123456789012345678901234567890123456789";
    bp_first = odz_http_stream_send(s, forty, 40);
    bp_second = odz_http_stream_send(s, forty, 40);
    odz_http_stream_end(s);
    return ODZ_HTTP_PENDING;
}

static void add_routes(odz_http_server *srv)
{
    assert_int_equal(odz_http_route(srv, "GET", "/api/hello", h_hello, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/view3", h_view3, NULL), 0);
    assert_int_equal(odz_http_route(srv, "PUT", "/api/hello", h_hello, NULL), 0);
    assert_int_equal(odz_http_route(srv, NULL, "/api/echo", h_echo, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/races/*", h_echo, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/races/special", h_hello, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/fail", h_fail, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/conflict", h_conflict, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/noresp", h_noresp, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/bad", h_bad, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/view", h_view, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/async", h_async, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/slow", h_slow, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/stream", h_stream, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/live", h_live, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/bp", h_bp, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "/api/busy", h_busy, NULL), 0);
    assert_int_equal(odz_http_route(srv, "GET", "bad", h_hello, NULL), ODZ_EINVAL);
    assert_int_equal(odz_http_route(srv, "GET", "/a*b", h_hello, NULL), ODZ_EINVAL);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_buf_and_gzip(void **state)
{
    odz_buf *b = odz_buf_new("abc", 3);
    assert_int_equal(odz_buf_len(b), 3);
    assert_memory_equal(odz_buf_data(b), "abc", 3);
    assert_ptr_equal(odz_buf_ref(b), b);
    odz_buf_unref(b);
    odz_buf_unref(b);
    odz_buf_unref(NULL);

    char text[4096];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (char)('a' + i % 7);
    odz_buf *gz = NULL;
    assert_int_equal(odz_gzip(text, sizeof(text), &gz), 0);
    assert_true(odz_buf_len(gz) < sizeof(text));
    const unsigned char *g = odz_buf_data(gz);
    assert_true(g[0] == 0x1f && g[1] == 0x8b);
    char back[8192];
    uLongf bl = sizeof(back);
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)g;
    zs.avail_in = (uInt)odz_buf_len(gz);
    zs.next_out = (Bytef *)back;
    zs.avail_out = (uInt)bl;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, sizeof(text));
    inflateEnd(&zs);
    assert_memory_equal(back, text, sizeof(text));
    odz_buf_unref(gz);
}

/* One map from codes to statuses, for handlers' return codes and for the API's views alike. */
static void test_status_of(void **state)
{
    assert_int_equal(odz_http_status_of(0), 200);
    assert_int_equal(odz_http_status_of(ODZ_EINVAL), 400);
    assert_int_equal(odz_http_status_of(ODZ_ENOTFOUND), 404);
    assert_int_equal(odz_http_status_of(ODZ_ESTATE), 409);
    assert_int_equal(odz_http_status_of(ODZ_EFULL), 503);
    assert_int_equal(odz_http_status_of(ODZ_ENORESP), 503);
    assert_int_equal(odz_http_status_of(ODZ_ECLOSED), 503);
    assert_int_equal(odz_http_status_of(ODZ_ETIMEOUT), 504);
    assert_int_equal(odz_http_status_of(ODZ_EIO), 500);
    assert_int_equal(odz_http_status_of(ODZ_ENOMEM), 500);
}

static void test_routes_and_accessors(void **state)
{
    fixture f;
    resp_t r;
    fx_start(&f);

    assert_int_equal(http_get(f.port, "/api/hello", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello");
    resp_free(&r);

    /* query decoding: '+', UTF-8 escapes, other params; header lookup is case-insensitive */
    assert_int_equal(
        http_get(f.port, "/api/echo?x=1&name=J%C3%B6rg+Smith&y", "x-TEST: yes\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "name=J\xc3\xb6rg Smith|hdr=yes|body=0|remote=127.0.0.1:"));
    assert_non_null(strstr(r.body, "|method=GET|q=x=1&name=J%C3%B6rg+Smith&y"));
    resp_free(&r);

    /* bad escape, encoded NUL, too long -> EINVAL -> 400; absent -> ENOTFOUND -> 404 */
    const char *bad[] = {
        "/api/echo?name=%zz", "/api/echo?name=a%00b",
        "/api/echo?name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(http_get(f.port, bad[i], NULL, &r), 0);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "\"error\":\"invalid\""));
        resp_free(&r);
    }
    assert_int_equal(http_get(f.port, "/api/echo?other=1", NULL, &r), 0);
    assert_int_equal(r.status, 404);
    resp_free(&r);

    /* POST body and any-method route */
    const char *post = "POST /api/echo?name=p HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n"
                       "Connection: close\r\n\r\nhello world";
    assert_int_equal(http_raw(f.port, post, strlen(post), 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "|body=11|"));
    assert_non_null(strstr(r.body, "|method=POST|"));
    resp_free(&r);

    /* prefix route with rest; exact route beats the prefix */
    assert_int_equal(http_get(f.port, "/api/races/R42/runners?name=n", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "|rest=R42/runners|"));
    resp_free(&r);
    assert_int_equal(http_get(f.port, "/api/races/special", NULL, &r), 0);
    assert_string_equal(r.body, "hello");
    resp_free(&r);

    /* HEAD on a GET route: length, no body */
    const char *head = "HEAD /api/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    size_t n, used;
    int fd = connect_to(f.port);
    send_all(fd, head, strlen(head));
    char *raw = read_all(fd, &n);
    close(fd);
    assert_int_equal(parse_resp(raw, n, 1, 1, &r, &used), 1);
    assert_int_equal(r.status, 200);
    char v[64];
    assert_string_equal(hdr(&r, "content-length", v, sizeof(v)), "5");
    assert_int_equal(used, n); /* nothing after the head */
    free(raw);
    resp_free(&r);

    /* handler errors become JSON */
    assert_int_equal(http_get(f.port, "/api/fail", NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"error\":\"not_found\""));
    resp_free(&r);
    assert_int_equal(http_get(f.port, "/api/noresp", NULL, &r), 0);
    assert_int_equal(r.status, 500);
    resp_free(&r);
    assert_int_equal(http_get(f.port, "/api/bad", NULL, &r), 0);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.body, "{\"error\":\"bad_input\",\"message\":\"he said \\\"no\\\"\\n\"}");
    assert_string_equal(hdr(&r, "content-type", v, sizeof(v)), "application/json");
    resp_free(&r);

    assert_int_equal(odz_http_route(f.srv, "GET", "/late", h_hello, NULL), ODZ_ESTATE);
    fx_stop(&f);
}

static void test_error_statuses(void **state)
{
    fixture f;
    resp_t r;
    char v[256];
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.max_header_bytes = 8192;
    cfg.max_uri_bytes = 1024;
    cfg.max_body_bytes = 1000;
    fx_start_cfg(&f, &cfg);

    /* 404 for unknown API paths (no static root configured: everything else 404s too) */
    assert_int_equal(http_get(f.port, "/api/nope", NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"error\":\"not_found\",\"message\":\"no such resource\"}");
    resp_free(&r);

    /* a handler's code: the status of odz_http_status_of, the word of odz_errcode */
    assert_int_equal(http_get(f.port, "/api/conflict", NULL, &r), 0);
    assert_int_equal(r.status, 409);
    assert_string_equal(r.body, "{\"error\":\"bad_state\",\"message\":\"request failed\"}");
    resp_free(&r);
    /* 503 busy: JSON error and Retry-After, at once or from a deferred handle */
    assert_int_equal(http_get(f.port, "/api/busy", NULL, &r), 0);
    assert_int_equal(r.status, 503);
    assert_string_equal(hdr(&r, "content-type", v, sizeof(v)), "application/json");
    assert_string_equal(hdr(&r, "retry-after", v, sizeof(v)), "7");
    assert_string_equal(r.body, "{\"error\":\"busy\",\"message\":\"queue full\"}");
    resp_free(&r);
    assert_int_equal(http_get(f.port, "/api/busy?pending", NULL, &r), 0);
    assert_int_equal(r.status, 503);
    assert_string_equal(hdr(&r, "retry-after", v, sizeof(v)), "1");
    assert_string_equal(r.body, "{\"error\":\"busy\",\"message\":\"queue full\"}");
    resp_free(&r);

    /* 405 with Allow */
    const char *del = "DELETE /api/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(http_raw(f.port, del, strlen(del), 0, &r), 0);
    assert_int_equal(r.status, 405);
    assert_string_equal(hdr(&r, "allow", v, sizeof(v)), "GET, PUT, HEAD");
    assert_non_null(strstr(r.body, "\"error\":\"method_not_allowed\""));
    resp_free(&r);

    /* 413: declared body above the limit, answered before reading it (by the engine) */
    const char *big = "POST /api/echo?name=a HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n";
    assert_int_equal(http_raw(f.port, big, strlen(big), 0, &r), 0);
    assert_int_equal(r.status, 413);
    assert_string_equal(hdr(&r, "content-type", v, sizeof(v)), "application/json");
    assert_string_equal(
        r.body, "{\"error\":\"payload_too_large\",\"message\":\"request body is too large\"}");
    resp_free(&r);
    /* 413 for a chunked body that grows past the limit */
    char chunked[4096];
    int cn =
        snprintf(chunked, sizeof(chunked),
                 "POST /api/echo?name=a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "7d0\r\n%02000d\r\n0\r\n\r\n",
                 0);
    assert_int_equal(http_raw(f.port, chunked, (size_t)cn, 0, &r), 0);
    assert_int_equal(r.status, 413);
    resp_free(&r);

    /* 414 */
    char path[1200] = "/api/echo?name=";
    memset(path + strlen(path), 'a', 1100);
    path[1199] = '\0';
    assert_int_equal(http_get(f.port, path, NULL, &r), 0);
    assert_int_equal(r.status, 414);
    assert_non_null(strstr(r.body, "\"error\":\"uri_too_long\""));
    resp_free(&r);

    /* 431 from our limit (8 KiB here) */
    char *h = malloc(20100);
    memcpy(h, "X-Big: ", 7);
    memset(h + 7, 'a', 20000);
    memcpy(h + 20007, "\r\n", 3);
    assert_int_equal(http_get(f.port, "/api/hello", h, &r), 0);
    assert_int_equal(r.status, 431);
    assert_non_null(strstr(r.body, "\"error\":\"headers_too_large\""));
    resp_free(&r);
    free(h);

    /* (requests the engine's parser refuses: test_engine_rejections) */

    /* the server still serves */
    assert_int_equal(http_get(f.port, "/api/hello", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    fx_stop(&f);
}

/* The JSON error every rejection answers with: status, application/json, nosniff, `code`. */
static void assert_json_error(const resp_t *r, int status, const char *code)
{
    char v[256], want[64];
    assert_int_equal(r->status, status);
    assert_non_null(hdr(r, "content-type", v, sizeof(v)));
    assert_string_equal(v, "application/json");
    assert_non_null(hdr(r, "x-content-type-options", v, sizeof(v)));
    assert_string_equal(v, "nosniff");
    snprintf(want, sizeof(want), "{\"error\":\"%s\",\"message\":\"", code);
    assert_non_null(r->body);
    assert_memory_equal(r->body, want, strlen(want));
    assert_true(r->body_len > strlen(want) + 2 && r->body[r->body_len - 1] == '}');
}

/* One raw request on a fresh connection: its status, and the JSON error when `code` is set. */
static void expect_raw(int port, const char *req, int status, const char *code)
{
    resp_t r;
    assert_int_equal(http_raw(port, req, strlen(req), 0, &r), 0);
    if (code)
        assert_json_error(&r, status, code);
    else
        assert_int_equal(r.status, status);
    resp_free(&r);
}

typedef struct {
    int fd;
    char *buf;
    size_t len;
} reader_arg;

static void *reader_main(void *arg)
{
    reader_arg *a = arg;
    a->buf = read_all(a->fd, &a->len);
    return NULL;
}

/* Sends `req` while reading: a server that answers and closes before it has read everything
 * resets the connection, and a reader that waits for the end of sending would lose the answer.
 * Returns the number of responses parsed from what came back (0 or 1 for these tests). */
static int http_raw_reading(int port, const char *req, size_t reqlen, resp_t *r)
{
    memset(r, 0, sizeof(*r));
    reader_arg a = {connect_to(port), NULL, 0};
    assert_true(a.fd >= 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, reader_main, &a), 0);
    send_all(a.fd, req, reqlen);
    pthread_join(t, NULL);
    close(a.fd);
    size_t used = 0;
    int ok = parse_resp(a.buf, a.len, 1, 0, r, &used) == 1;
    int more = ok && used < a.len && strstr(a.buf + used, "HTTP/1.") != NULL;
    free(a.buf);
    return ok + more;
}

/* Requests h2o refuses before any handler runs (h2o_hooks.c), and the framing conflicts. */
static void test_engine_rejections(void **state)
{
    fixture f;
    resp_t r;
    fx_start(&f);

    static const char *const malformed[] = {
        "NOT HTTP\r\n\r\n",                                            /* bad request line */
        "GET /api/hello\r\n\r\n",                                      /* HTTP/0.9 */
        "GET /api/hello HTTP/2.0\r\nHost: t\r\n\r\n",                  /* unknown version */
        "GET /api/hello HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n",     /* bare CR */
        "GET /api/hello HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n",   /* space in a name */
    };
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
        expect_raw(f.port, malformed[i], 400, "bad_request");
    /* a NUL inside a header value */
    static const char nul[] = "GET /api/hello HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n";
    assert_int_equal(http_raw(f.port, nul, sizeof(nul) - 1, 0, &r), 0);
    assert_json_error(&r, 400, "bad_request");
    resp_free(&r);

    /* 500 header lines (h2o parses at most 100) */
    size_t cap = 32 * 1024, n = 0;
    char *many = malloc(cap);
    n += (size_t)snprintf(many, cap, "GET /api/hello HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < 500; i++)
        n += (size_t)snprintf(many + n, cap - n, "X-H%d: v\r\n", i);
    n += (size_t)snprintf(many + n, cap - n, "\r\n");
    assert_int_equal(http_raw_reading(f.port, many, n, &r), 1);
    assert_json_error(&r, 400, "bad_request");
    resp_free(&r);
    free(many);

    /* a request head of exactly the engine's limit (H2O_MAX_REQLEN, 417,792 bytes) with no end:
     * everything sent is read, so the answer arrives whole */
    size_t lim = 8192 + 4096 * 100;
    char *head = malloc(lim);
    int off = snprintf(head, 100, "GET /api/hello HTTP/1.1\r\nHost: t\r\nX-Huge: ");
    memset(head + off, 'b', lim - (size_t)off);
    assert_int_equal(http_raw_reading(f.port, head, lim, &r), 1);
    assert_json_error(&r, 400, "bad_request");
    resp_free(&r);
    free(head);

    /* a 1 MiB request target: answered while we are still sending */
    size_t big = 1024 * 1024;
    char *url = malloc(big + 100);
    memcpy(url, "GET /api/hello?x=", 17);
    memset(url + 17, 'a', big);
    n = 17 + big + (size_t)snprintf(url + 17 + big, 80, " HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(http_raw_reading(f.port, url, n, &r), 1);
    assert_json_error(&r, 400, "bad_request");
    resp_free(&r);
    free(url);

    /* Content-Length with Transfer-Encoding (either order), or Content-Length twice: 400 and the
     * connection closes, so a request hidden in the body is never answered */
    static const char *const framing[] = {
        "POST /api/echo?name=a HTTP/1.1\r\nHost: t\r\nContent-Length: 44\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/hello HTTP/1.1\r\nHost: t\r\n\r\n",
        "POST /api/echo?name=a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
        "Content-Length: 3\r\n\r\n0\r\n\r\nGET /api/hello HTTP/1.1\r\nHost: t\r\n\r\n",
        "POST /api/echo?name=a HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n"
        "content-length: 36\r\n\r\nGET /api/hello HTTP/1.1\r\nHost: t\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(framing) / sizeof(framing[0]); i++) {
        assert_int_equal(http_raw_reading(f.port, framing[i], strlen(framing[i]), &r), 1);
        assert_json_error(&r, 400, "bad_request");
        assert_non_null(strstr(r.body, "Transfer-Encoding"));
        resp_free(&r);
    }
    /* each alone is fine */
    expect_raw(f.port,
               "POST /api/echo?name=a HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n"
               "Connection: close\r\n\r\nhi",
               200, NULL);
    expect_raw(f.port,
               "POST /api/echo?name=a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
               "Connection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
               200, NULL);
    /* an unknown transfer coding, a broken length: the engine's own 400s, in JSON too */
    expect_raw(f.port, "POST /api/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
               400, "bad_request");
    expect_raw(f.port, "POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1x\r\n\r\n", 400,
               "bad_request");

    /* the server still serves */
    assert_int_equal(http_get(f.port, "/api/hello", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    fx_stop(&f);
}

static int inflate_eq(const resp_t *r, const char *want)
{
    char out[4096];
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return 0;
    zs.next_in = (Bytef *)r->body;
    zs.avail_in = (uInt)r->body_len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = sizeof(out);
    int zr = inflate(&zs, Z_FINISH);
    size_t n = zs.total_out;
    inflateEnd(&zs);
    return zr == Z_STREAM_END && n == strlen(want) && memcmp(out, want, n) == 0;
}

static void test_conditional_and_gzip(void **state)
{
    const char *json =
        "{\"races\":[1,2,3],\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
    view_plain = odz_buf_new(json, strlen(json));
    assert_int_equal(odz_gzip(json, strlen(json), &view_gz), 0);
    fixture f;
    resp_t r;
    char v[128];
    fx_start(&f);

    assert_int_equal(http_get(f.port, "/api/view", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, json);
    assert_string_equal(hdr(&r, "etag", v, sizeof(v)), "\"v1\"");
    assert_string_equal(hdr(&r, "cache-control", v, sizeof(v)), "no-cache");
    assert_string_equal(hdr(&r, "x-correlation-id", v, sizeof(v)), "abc-1");
    assert_string_equal(hdr(&r, "vary", v, sizeof(v)), "Accept-Encoding");
    assert_null(hdr(&r, "content-encoding", v, sizeof(v)));
    resp_free(&r);

    assert_int_equal(http_get(f.port, "/api/view", "If-None-Match: \"zz\", W/\"v1\"\r\n", &r), 0);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(hdr(&r, "etag", v, sizeof(v)), "\"v1\"");
    resp_free(&r);

    assert_int_equal(http_get(f.port, "/api/view", "If-None-Match: \"v0\"\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);

    assert_int_equal(http_get(f.port, "/api/view", "Accept-Encoding: br, gzip;q=0.8\r\n", &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "content-encoding", v, sizeof(v)), "gzip");
    assert_string_equal(hdr(&r, "vary", v, sizeof(v)), "Accept-Encoding");
    assert_int_equal(r.body_len, odz_buf_len(view_gz));
    assert_true(inflate_eq(&r, json));
    resp_free(&r);

    assert_int_equal(http_get(f.port, "/api/view", "Accept-Encoding: gzip;q=0, deflate\r\n", &r),
                     0);
    assert_null(hdr(&r, "content-encoding", v, sizeof(v)));
    assert_string_equal(r.body, json);
    resp_free(&r);

    fx_stop(&f);
    odz_buf_unref(view_plain);
    odz_buf_unref(view_gz);
    view_plain = view_gz = NULL;
}

static void test_accept_encoding(void **state)
{
    const unsigned gz = 1u << ODZ_ENC_GZIP;
    static const struct {
        const char *ae;
        unsigned avail;
        int want;
    } cases[] = {
        {NULL, 6, ODZ_ENC_IDENTITY},
        {"", 6, ODZ_ENC_IDENTITY},
        {"gzip, deflate, br, zstd", 6, ODZ_ENC_BR}, /* a browser: br wins the tie */
        {"gzip, deflate, br", 2, ODZ_ENC_GZIP},      /* br not held */
        {"br;q=0, gzip", 6, ODZ_ENC_GZIP},
        {"br;q=0", 6, ODZ_ENC_IDENTITY},
        {"gzip", 6, ODZ_ENC_GZIP},
        {"x-gzip", 6, ODZ_ENC_GZIP},
        {"GZIP;Q=0.5", 6, ODZ_ENC_GZIP},
        {"identity", 6, ODZ_ENC_IDENTITY},
        {"identity, gzip;q=0.5", 6, ODZ_ENC_IDENTITY},
        {"*", 6, ODZ_ENC_BR},
        {"*", 2, ODZ_ENC_GZIP},
        {"*;q=0", 6, ODZ_ENC_IDENTITY}, /* nothing acceptable: plain rather than 406 */
        {"*;q=0.1, gzip;q=0.9", 6, ODZ_ENC_GZIP},
        {"br;q=0.5, gzip;q=0.8", 6, ODZ_ENC_GZIP},
        {"br;q=0.800, gzip;q=0.8", 6, ODZ_ENC_BR},
        {"gzip;q=0", 6, ODZ_ENC_IDENTITY},
        {"gzip;q=0.000", 2, ODZ_ENC_IDENTITY},
        {"gzip;q=1.0", 2, ODZ_ENC_GZIP},
        {"gzip;q=1.5", 2, ODZ_ENC_IDENTITY},  /* bad q: the element is ignored */
        {"gzip;q=0.5x", 2, ODZ_ENC_IDENTITY}, /* idem */
        {"gzip;q=0.0001", 2, ODZ_ENC_IDENTITY},
        {"gzip;q=", 2, ODZ_ENC_IDENTITY},
        {"gzip;level=9", 2, ODZ_ENC_GZIP}, /* other parameters are skipped */
        {"gzip x, br", 6, ODZ_ENC_BR},     /* garbage element ignored, the next one read */
        {"\x01\x02\xff;;;,,,", 6, ODZ_ENC_IDENTITY},
        {",,, ,gzip , ,", 6, ODZ_ENC_GZIP},
        {"gzip\t;\tq=0.3 , br ; q=0.2", 6, ODZ_ENC_GZIP},
        {"deflate, compress", 6, ODZ_ENC_IDENTITY},
        {"identity;q=0, br;q=0.01", 6, ODZ_ENC_BR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = odz_http_pick_encoding(cases[i].ae, cases[i].avail);
        if (got != cases[i].want)
            fail_msg("Accept-Encoding '%s' (avail %u): got %d, want %d",
                     cases[i].ae ? cases[i].ae : "(none)", cases[i].avail, got, cases[i].want);
    }
    /* bounded: past ODZ_HTTP_AE_MAX bytes the value is not read (plain bytes) */
    char big[ODZ_HTTP_AE_MAX + 16];
    memset(big, ' ', sizeof big);
    memcpy(big + sizeof big - 6, "gzip", 5);
    assert_int_equal(odz_http_pick_encoding(big, gz), ODZ_ENC_IDENTITY);
    /* elements past ODZ_HTTP_AE_ELEMENTS are ignored */
    char many[8 * ODZ_HTTP_AE_ELEMENTS + 16] = "";
    for (int i = 0; i < ODZ_HTTP_AE_ELEMENTS; i++)
        strcat(many, "zz, ");
    strcat(many, "gzip");
    assert_int_equal(odz_http_pick_encoding(many, gz), ODZ_ENC_IDENTITY);
    assert_int_equal(odz_http_pick_encoding(many + 4, gz), ODZ_ENC_GZIP);
}

static int unbrotli_eq(const resp_t *r, const char *want, size_t wlen)
{
    size_t n = wlen + 64;
    uint8_t *out = malloc(n);
    int ok = BrotliDecoderDecompress(r->body_len, (const uint8_t *)r->body, &n, out) ==
                 BROTLI_DECODER_RESULT_SUCCESS &&
             n == wlen && memcmp(out, want, n) == 0;
    free(out);
    return ok;
}

/* A 64 KiB JSON-ish body, different enough that compression has work to do. */
static char *make_view_text(size_t *len)
{
    size_t cap = 65536, n = 0;
    char *t = malloc(cap + 64);
    n += (size_t)snprintf(t, cap, "{\"races\":[");
    for (int i = 0; n < cap - 100; i++)
        n += (size_t)snprintf(t + n, cap + 64 - n, "%s{\"id\":%d,\"odds\":%d}", i ? "," : "", i,
                              (i * 7919) % 10007);
    n += (size_t)snprintf(t + n, cap + 64 - n, "]}");
    *len = n;
    return t;
}

static void view3_set(const char *text, size_t len)
{
    view3[ODZ_ENC_IDENTITY] = odz_buf_new(text, len);
    assert_int_equal(odz_gzip(text, len, &view3[ODZ_ENC_GZIP]), 0);
    assert_int_equal(odz_brotli(text, len, &view3[ODZ_ENC_BR]), 0);
}

static void view3_clear(void)
{
    for (int c = 0; c < ODZ_ENC_COUNT; c++) {
        odz_buf_unref(view3[c]);
        view3[c] = NULL;
    }
}

static void test_variants(void **state)
{
    size_t len;
    char *text = make_view_text(&len);
    view3_set(text, len);
    assert_true(odz_buf_len(view3[ODZ_ENC_BR]) < odz_buf_len(view3[ODZ_ENC_GZIP]));
    fixture f;
    resp_t r;
    char v[128];
    fx_start(&f);
    static const struct {
        const char *hdrs;
        const char *coding; /* NULL: plain */
    } cases[] = {
        {"Accept-Encoding: gzip, deflate, br, zstd\r\n", "br"},
        {"Accept-Encoding: br;q=0, gzip\r\n", "gzip"},
        {"Accept-Encoding: gzip\r\n", "gzip"},
        {"Accept-Encoding: identity\r\n", NULL},
        {"Accept-Encoding: *\r\n", "br"},
        {"Accept-Encoding: ;;q==, @@@ garbage, gzip;q=x, br;q=2\r\n", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(http_get(f.port, "/api/view3", cases[i].hdrs, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(hdr(&r, "vary", v, sizeof v), "Accept-Encoding");
        const char *ce = hdr(&r, "content-encoding", v, sizeof v);
        if (!cases[i].coding) {
            assert_null(ce);
            assert_int_equal(r.body_len, len);
            assert_memory_equal(r.body, text, len);
        } else {
            assert_non_null(ce);
            assert_string_equal(ce, cases[i].coding);
            if (!strcmp(ce, "br")) {
                assert_int_equal(r.body_len, odz_buf_len(view3[ODZ_ENC_BR]));
                assert_true(unbrotli_eq(&r, text, len)); /* decodes to the plain body */
            } else {
                assert_int_equal(r.body_len, odz_buf_len(view3[ODZ_ENC_GZIP]));
            }
        }
        resp_free(&r);
    }
    /* a 304 names no coding */
    assert_int_equal(
        http_get(f.port, "/api/view3", "If-None-Match: \"v3\"\r\nAccept-Encoding: br\r\n", &r), 0);
    assert_int_equal(r.status, 304);
    assert_null(hdr(&r, "content-encoding", v, sizeof v));
    resp_free(&r);
    fx_stop(&f);
    view3_clear();
    free(text);
}

/* 16 MiB of view text: more than the socket buffers hold while the client does not read (the
 * receive buffer only grows as the application reads, from tcp_rmem's 128 KiB; the send
 * buffer at most tcp_wmem's 4 MiB). The client's buffer is not shrunk: that made the final
 * read crawl through zero-window probes for a minute and a half. */
static char *big_view_text(size_t *len)
{
    size_t unit;
    char *text = make_view_text(&unit);
    *len = 256 * unit;
    char *big = malloc(*len);
    for (size_t i = 0; i < 256; i++)
        memcpy(big + i * unit, text, unit);
    free(text);
    return big;
}

/* GET /api/view3 from a client that does not read: returns its socket once the response
 * holds the view's buffer (a second reference) and has kept it 50 ms. */
static int stalled_get(int port)
{
    int fd = connect_to(port);
    assert_true(fd >= 0);
    const char *req = "GET /api/view3 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(send_all(fd, req, strlen(req)), 0);
    int64_t until = now_ms() + 5000;
    while (odz_buf_refs(view3[ODZ_ENC_IDENTITY]) != 2 && now_ms() < until)
        sleep_ms(5);
    sleep_ms(50);
    assert_int_equal(odz_buf_refs(view3[ODZ_ENC_IDENTITY]), 2); /* held: the client is stalled */
    return fd;
}

/* Reads fd to the end (and closes it): `count` 200 answers, each exactly body[0..len). */
static void read_answers(int fd, int count, const char *body, size_t len)
{
    size_t n, used, at = 0;
    char *got = read_all(fd, &n);
    close(fd);
    for (int i = 0; i < count; i++) {
        resp_t r;
        memset(&r, 0, sizeof r);
        assert_int_equal(parse_resp(got + at, n - at, i == count - 1, 0, &r, &used), 1);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, len);
        assert_memory_equal(r.body, body, len);
        resp_free(&r);
        at += used;
    }
    assert_int_equal(at, n);
    free(got);
}

/* The view's buffer back to its owner's one reference once the answers are written. */
static void wait_released(void)
{
    int64_t until = now_ms() + 5000;
    while (odz_buf_refs(view3[ODZ_ENC_IDENTITY]) != 1 && now_ms() < until)
        sleep_ms(5);
    assert_int_equal(odz_buf_refs(view3[ODZ_ENC_IDENTITY]), 1);
}

/* The view's bytes go to the socket from the shared buffer: while a client that does not read
 * holds the response in flight, the buffer carries one more reference (the response's), and
 * the server's count of copied body bytes does not move. Then a keep-alive pair of pipelined
 * requests, read at once: every byte arrives in order, still without a copy, and the buffer is
 * released once written. */
static void test_zero_copy(void **state)
{
    (void)state;
    size_t len;
    char *big = big_view_text(&len);
    view3[ODZ_ENC_IDENTITY] = odz_buf_new(big, len);
    fixture f;
    fx_start(&f);
    unsigned long long copied0 = odz_http_body_bytes_copied();
    read_answers(stalled_get(f.port), 1, big, len);
    wait_released();
    assert_true(odz_http_body_bytes_copied() == copied0); /* no byte of the body copied */
    int fd = connect_to(f.port);
    assert_true(fd >= 0);
    const char *two = "GET /api/view3 HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /api/view3 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(send_all(fd, two, strlen(two)), 0);
    read_answers(fd, 2, big, len);
    wait_released();
    assert_true(odz_http_body_bytes_copied() == copied0);
    /* the counter does count a copying answer */
    resp_t r;
    assert_int_equal(http_get(f.port, "/api/hello", NULL, &r), 0);
    resp_free(&r);
    assert_true(odz_http_body_bytes_copied() == copied0 + 5);
    fx_stop(&f);
    view3_clear();
    free(big);
}

/* ---- static files ------------------------------------------------------------------------ */

static char tmpdir[256], webroot[300];

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void make_site(void)
{
    char p[512];
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/odz_http_test_XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(webroot, sizeof(webroot), "%s/www", tmpdir);
    assert_int_equal(mkdir(webroot, 0755), 0);
    snprintf(p, sizeof(p), "%s/assets", webroot);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/index.html", webroot);
    write_file(p, "<!doctype html><title>oddzy</title>");
    snprintf(p, sizeof(p), "%s/assets/app.3f9a.js", webroot);
    write_file(p, "console.log('oddzy');");
    snprintf(p, sizeof(p), "%s/favicon.ico", webroot);
    write_file(p, "ICO");
    snprintf(p, sizeof(p), "%s/.env", webroot);
    write_file(p, "SECRET_IN_DOTFILE");
    /* a big file goes through the sliced generator */
    snprintf(p, sizeof(p), "%s/assets/big.bin", webroot);
    FILE *fp = fopen(p, "w");
    for (int i = 0; i < 300000; i++)
        fputc('a' + i % 26, fp);
    fclose(fp);
    /* outside the root, and symlinks pointing out */
    snprintf(p, sizeof(p), "%s/secret.txt", tmpdir);
    write_file(p, "TOPSECRET");
    char link[512];
    snprintf(link, sizeof(link), "%s/leak.txt", webroot);
    assert_int_equal(symlink(p, link), 0);
    snprintf(link, sizeof(link), "%s/outdir", webroot);
    assert_int_equal(symlink(tmpdir, link), 0);
}

static void remove_site(void)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void test_static_files(void **state)
{
    make_site();
    fixture f;
    resp_t r;
    char v[256], etag[128];
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.static_root = webroot;
    fx_start_cfg(&f, &cfg);

    assert_int_equal(http_get(f.port, "/index.html", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "<!doctype html><title>oddzy</title>");
    assert_string_equal(hdr(&r, "content-type", v, sizeof(v)), "text/html; charset=utf-8");
    assert_string_equal(hdr(&r, "cache-control", v, sizeof(v)), "no-cache");
    assert_non_null(hdr(&r, "last-modified", v, sizeof(v)));
    assert_non_null(hdr(&r, "etag", etag, sizeof(etag)));
    resp_free(&r);

    /* conditional GET on a file: ETag, then Last-Modified */
    char cond[300];
    snprintf(cond, sizeof(cond), "If-None-Match: %s\r\n", etag);
    assert_int_equal(http_get(f.port, "/index.html", cond, &r), 0);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    resp_free(&r);
    assert_int_equal(http_get(f.port, "/", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "<!doctype html><title>oddzy</title>");
    hdr(&r, "last-modified", v, sizeof(v));
    resp_free(&r);
    snprintf(cond, sizeof(cond), "If-Modified-Since: %s\r\n", v);
    assert_int_equal(http_get(f.port, "/", cond, &r), 0);
    assert_int_equal(r.status, 304);
    resp_free(&r);

    assert_int_equal(http_get(f.port, "/assets/app.3f9a.js", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "console.log('oddzy');");
    assert_string_equal(hdr(&r, "content-type", v, sizeof(v)), "text/javascript; charset=utf-8");
    assert_string_equal(hdr(&r, "cache-control", v, sizeof(v)),
                        "public, max-age=31536000, immutable");
    resp_free(&r);

    assert_int_equal(http_get(f.port, "/favicon.ico", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "content-type", v, sizeof(v)), "image/x-icon");
    resp_free(&r);

    assert_int_equal(http_get(f.port, "/assets/big.bin", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 300000);
    for (size_t i = 0; i < r.body_len; i++)
        if (r.body[i] != 'a' + (int)(i % 26))
            fail_msg("big file differs at %zu", i);
    resp_free(&r);

    /* SPA fallback for extension-less client routes; not for missing assets or /api */
    assert_int_equal(http_get(f.port, "/races/2024-05-01/R3", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "<!doctype html><title>oddzy</title>");
    assert_string_equal(hdr(&r, "cache-control", v, sizeof(v)), "no-cache");
    resp_free(&r);
    assert_int_equal(http_get(f.port, "/assets/missing.js", NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"error\":\"not_found\""));
    resp_free(&r);
    assert_int_equal(http_get(f.port, "/api/unknown", NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_string_equal(hdr(&r, "content-type", v, sizeof(v)), "application/json");
    resp_free(&r);

    /* HEAD on a file */
    const char *head = "HEAD /assets/big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(http_raw(f.port, head, strlen(head), 1, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "content-length", v, sizeof(v)), "300000");
    resp_free(&r);

    /* POST to a static path */
    const char *post =
        "POST /index.html HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    assert_int_equal(http_raw(f.port, post, strlen(post), 0, &r), 0);
    assert_int_equal(r.status, 405);
    assert_string_equal(hdr(&r, "allow", v, sizeof(v)), "GET, HEAD");
    resp_free(&r);

    fx_stop(&f);
    remove_site();
}

/* nosniff on every response; the HTML policy only on HTML. */
static void test_security_headers(void **state)
{
    make_site();
    fixture f;
    resp_t r;
    char v[512];
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.static_root = webroot;
    cfg.max_body_bytes = 10;
    fx_start_cfg(&f, &cfg);

    const char *json_paths[] = {"/api/hello", "/api/nope", "/api/fail", "/api/bad",
                                "/api/async", "/assets/app.3f9a.js", "/favicon.ico"};
    for (size_t i = 0; i < sizeof(json_paths) / sizeof(json_paths[0]); i++) {
        assert_int_equal(http_get(f.port, json_paths[i], NULL, &r), 0);
        assert_non_null(hdr(&r, "x-content-type-options", v, sizeof(v)));
        assert_string_equal(v, "nosniff");
        assert_null(hdr(&r, "content-security-policy", v, sizeof(v)));
        assert_null(hdr(&r, "x-frame-options", v, sizeof(v)));
        resp_free(&r);
    }
    /* the engine's own errors (413 here) and a streamed response */
    expect_raw(f.port, "POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n", 413,
               "payload_too_large");
    const char *st = "GET /api/stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(http_raw(f.port, st, strlen(st), 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(hdr(&r, "x-content-type-options", v, sizeof(v)));
    resp_free(&r);

    /* HTML: the index, an SPA route, a HEAD */
    const char *html_paths[] = {"/", "/index.html", "/races/12"};
    for (size_t i = 0; i < sizeof(html_paths) / sizeof(html_paths[0]); i++) {
        assert_int_equal(http_get(f.port, html_paths[i], NULL, &r), 0);
        assert_int_equal(r.status, 200);
        assert_non_null(hdr(&r, "content-type", v, sizeof(v)));
        assert_memory_equal(v, "text/html", 9);
        assert_non_null(hdr(&r, "x-content-type-options", v, sizeof(v)));
        assert_string_equal(v, "nosniff");
        assert_non_null(hdr(&r, "content-security-policy", v, sizeof(v)));
        assert_string_equal(v, ODZ_HTTP_HTML_CSP);
        assert_non_null(strstr(v, "frame-ancestors 'none'"));
        assert_non_null(hdr(&r, "x-frame-options", v, sizeof(v)));
        assert_string_equal(v, "DENY");
        assert_non_null(hdr(&r, "referrer-policy", v, sizeof(v)));
        assert_string_equal(v, ODZ_HTTP_REFERRER_POLICY);
        /* one of each */
        assert_null(strstr(strstr(r.head, "nosniff") + 1, "nosniff"));
        resp_free(&r);
    }
    fx_stop(&f);
    remove_site();
}

static void test_path_traversal(void **state)
{
    make_site();
    fixture f;
    resp_t r;
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.static_root = webroot;
    fx_start_cfg(&f, &cfg);

    const char *attacks[] = {
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/.%2e/secret.txt",
        "/index.html%00.png",
        "/secret.txt%00",
        "/..\\secret.txt",
        "/leak.txt",          /* symlink to a file outside */
        "/outdir/secret.txt", /* symlink to a directory outside */
        "/outdir",
        "/.env",
        "/%2eenv",
        "//..//secret.txt",
        "/%",
        "/%2",
    };
    for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
        int rc = http_get(f.port, attacks[i], NULL, &r);
        if (rc == 0) {
            if (r.status == 200 || strstr(r.body, "SECRET") || strstr(r.body, "TOPSECRET"))
                fail_msg("%s was served: %d %s", attacks[i], r.status, r.body);
            assert_true(r.status == 400 || r.status == 404);
        }
        resp_free(&r);
    }
    fx_stop(&f);
    remove_site();
}

static void test_keepalive_pipelining(void **state)
{
    fixture f;
    fx_start(&f);
    int fd = connect_to(f.port);
    assert_true(fd >= 0);
    const char *reqs = "GET /api/echo?name=one HTTP/1.1\r\nHost: t\r\n\r\n"
                       "GET /api/echo?name=two HTTP/1.1\r\nHost: t\r\n\r\n"
                       "HEAD /api/hello HTTP/1.1\r\nHost: t\r\n\r\n"
                       "GET /api/echo?name=three HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(send_all(fd, reqs, strlen(reqs)), 0);
    size_t n, off = 0, used;
    char *buf = read_all(fd, &n);
    close(fd);
    const char *want[] = {"name=one|", "name=two|", NULL, "name=three|"};
    for (int i = 0; i < 4; i++) {
        resp_t r;
        assert_int_equal(parse_resp(buf + off, n - off, 1, want[i] == NULL, &r, &used), 1);
        assert_int_equal(r.status, 200);
        if (want[i])
            assert_non_null(strstr(r.body, want[i]));
        char v[32];
        assert_string_equal(hdr(&r, "connection", v, sizeof(v)), i < 3 ? "keep-alive" : "close");
        off += used;
        resp_free(&r);
    }
    assert_int_equal(off, n);
    free(buf);

    /* keep-alive across separate writes on one connection */
    fd = connect_to(f.port);
    for (int i = 0; i < 3; i++) {
        const char *one = "GET /api/hello HTTP/1.1\r\nHost: t\r\n\r\n";
        send_all(fd, one, strlen(one));
        char rb[1024];
        size_t got = 0;
        resp_t r;
        for (;;) {
            ssize_t k = recv(fd, rb + got, sizeof(rb) - 1 - got, 0);
            assert_true(k > 0);
            got += (size_t)k;
            if (parse_resp(rb, got, 0, 0, &r, &used) == 1)
                break;
        }
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "hello");
        resp_free(&r);
    }
    close(fd);
    fx_stop(&f);
}

static void test_async_completion(void **state)
{
    fixture f;
    resp_t r;
    fx_start(&f);
    atomic_store(&njobs, 0);
    int64_t t0 = now_ms();
    assert_int_equal(http_get(f.port, "/api/async?ms=100", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "async-done");
    assert_true(now_ms() - t0 >= 90);
    resp_free(&r);
    join_workers();
    assert_int_equal(jobs[0].rc, 0);

    /* the loop is not blocked meanwhile: a slow request and a fast one overlap */
    int slow = connect_to(f.port);
    const char *sreq = "GET /api/async?ms=400 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    send_all(slow, sreq, strlen(sreq));
    sleep_ms(50);
    t0 = now_ms();
    assert_int_equal(http_get(f.port, "/api/hello", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(now_ms() - t0 < 300);
    resp_free(&r);
    size_t n, used;
    char *buf = read_all(slow, &n);
    close(slow);
    assert_int_equal(parse_resp(buf, n, 1, 0, &r, &used), 1);
    assert_string_equal(r.body, "async-done");
    resp_free(&r);
    free(buf);

    /* client gone before completion: completing is safe, the server carries on */
    atomic_store(&parked_ready, 0);
    int fd = connect_to(f.port);
    const char *preq = "GET /api/slow HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(fd, preq, strlen(preq));
    for (int i = 0; i < 200 && !atomic_load(&parked_ready); i++)
        sleep_ms(5);
    assert_true(atomic_load(&parked_ready));
    close(fd);
    sleep_ms(50);
    int rc = odz_http_pending_respond(parked, 200, "text/plain", "late", 4);
    assert_true(rc == 0 || rc == ODZ_ECLOSED);
    parked = NULL;
    sleep_ms(50);
    assert_int_equal(http_get(f.port, "/api/hello", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    fx_stop(&f);
}

static void test_streaming(void **state)
{
    fixture f;
    resp_t r;
    char v[64];
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.stream_max_buffered = 48;
    fx_start_cfg(&f, &cfg);

    /* bounded queue per stream: the second 40 bytes do not fit in 48 */
    assert_int_equal(http_get(f.port, "/api/bp", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "0123456789012345678901234567890123456789");
    assert_int_equal(bp_empty, 0);
    assert_int_equal(bp_first, 0);
    assert_int_equal(bp_second, ODZ_EFULL);
    resp_free(&r);

    pthread_mutex_lock(&close_mu);
    close_reason[0] = '\0';
    pthread_mutex_unlock(&close_mu);
    assert_int_equal(http_get(f.port, "/api/stream", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "transfer-encoding", v, sizeof(v)), "chunked");
    assert_string_equal(hdr(&r, "content-type", v, sizeof(v)), "text/event-stream");
    assert_string_equal(r.body, "data: 1\n\ndata: 2\n\ndata: 3\n\ndata: end\n\n");
    resp_free(&r);
    join_workers();
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&close_mu);
        int done = close_reason[0] != '\0';
        pthread_mutex_unlock(&close_mu);
        if (done)
            break;
        sleep_ms(5);
    }
    assert_string_equal(closed_why(), "ended");

    /* headers arrive before any data is sent (SSE clients rely on it) */
    int fd = connect_to(f.port);
    const char *lreq = "GET /api/live HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(fd, lreq, strlen(lreq));
    char rb[512];
    ssize_t k = recv(fd, rb, sizeof(rb) - 1, 0);
    assert_true(k > 0);
    rb[k] = '\0';
    assert_non_null(strstr(rb, "HTTP/1.1 200"));
    /* client leaves: the next send discovers it */
    close(fd);
    for (int i = 0; i < 100 && odz_http_stream_alive(live); i++) {
        odz_http_stream_send(live, "data: ping\n\n", 12);
        sleep_ms(10);
    }
    assert_false(odz_http_stream_alive(live));
    assert_int_equal(odz_http_stream_send(live, "x", 1), ODZ_ECLOSED);
    assert_string_equal(closed_why(), "client closed");
    odz_http_stream_end(live);
    live = NULL;
    fx_stop(&f);
}

static void test_graceful_shutdown(void **state)
{
    fixture f;
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.shutdown_timeout_ms = 3000;
    fx_start_cfg(&f, &cfg);
    pthread_mutex_lock(&close_mu);
    close_reason[0] = '\0';
    pthread_mutex_unlock(&close_mu);

    /* an idle keep-alive connection */
    int idle = connect_to(f.port);
    const char *one = "GET /api/hello HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(idle, one, strlen(one));
    char rb[2048];
    assert_true(recv(idle, rb, sizeof(rb), 0) > 0);
    /* a live stream */
    int sfd = connect_to(f.port);
    const char *lreq = "GET /api/live HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(sfd, lreq, strlen(lreq));
    char sb[4096];
    size_t sgot = 0;
    while (!memmem(sb, sgot, "data: hi", 8)) {
        ssize_t k0 = recv(sfd, sb + sgot, sizeof(sb) - sgot, 0);
        assert_true(k0 > 0);
        sgot += (size_t)k0;
    }
    /* an in-flight request finishing 400 ms from now */
    int busy = connect_to(f.port);
    const char *breq = "GET /api/async?ms=400 HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(busy, breq, strlen(breq));
    sleep_ms(50);

    int64_t t0 = now_ms();
    odz_http_stop(f.srv);

    /* the idle one is closed promptly */
    ssize_t k = recv(idle, rb, sizeof(rb), 0);
    assert_true(k == 0 || (k < 0 && errno == ECONNRESET));
    assert_true(now_ms() - t0 < 300);
    close(idle);

    /* the stream ends cleanly (terminating chunk) */
    size_t n, used;
    char *sbuf = read_all(sfd, &n);
    close(sfd);
    assert_non_null(strstr(sbuf, "0\r\n\r\n")); /* the terminating chunk */
    free(sbuf);

    /* the in-flight request completes, with Connection: close */
    char *buf = read_all(busy, &n);
    close(busy);
    resp_t r;
    assert_int_equal(parse_resp(buf, n, 1, 0, &r, &used), 1);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "async-done");
    char v[32];
    assert_string_equal(hdr(&r, "connection", v, sizeof(v)), "close");
    resp_free(&r);
    free(buf);

    pthread_join(f.th, NULL);
    assert_true(now_ms() - t0 < 2000);
    assert_string_equal(closed_why(), "server shutting down");
    assert_int_equal(odz_http_stream_send(live, "x", 1), ODZ_ECLOSED);
    odz_http_stream_end(live);
    live = NULL;
    /* nobody listens any more */
    assert_true(connect_to(f.port) < 0);
    join_workers();
    odz_http_free(f.srv);
}

static void test_forced_shutdown(void **state)
{
    fixture f;
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.shutdown_timeout_ms = 300;
    fx_start_cfg(&f, &cfg);
    atomic_store(&parked_ready, 0);
    int fd = connect_to(f.port);
    const char *preq = "GET /api/slow HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(fd, preq, strlen(preq));
    for (int i = 0; i < 200 && !atomic_load(&parked_ready); i++)
        sleep_ms(5);
    assert_true(odz_http_pending_alive(parked));
    /* a client stuck half-way through its request head */
    int stuck = connect_to(f.port);
    const char *half = "GET /api/hello HTTP/1.1\r\nHo";
    send_all(stuck, half, strlen(half));
    sleep_ms(20);
    int64_t t0 = now_ms();
    odz_http_stop(f.srv);
    size_t n, used;
    char *buf = read_all(fd, &n);
    close(fd);
    resp_t r;
    assert_int_equal(parse_resp(buf, n, 1, 0, &r, &used), 1);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"error\":\"shutting_down\""));
    resp_free(&r);
    free(buf);
    pthread_join(f.th, NULL);
    int64_t took = now_ms() - t0;
    assert_true(took >= 250 && took < 2000);
    char rb[64];
    ssize_t k = recv(stuck, rb, sizeof(rb), 0);
    assert_true(k == 0 || (k < 0 && errno == ECONNRESET));
    close(stuck);
    assert_false(odz_http_pending_alive(parked));
    odz_http_free(f.srv);
    /* completing after the server is gone: refused, and it frees the last memory */
    assert_int_equal(odz_http_pending_respond(parked, 200, "text/plain", "x", 1), ODZ_ECLOSED);
    parked = NULL;
}

static void test_max_connections(void **state)
{
    fixture f;
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.max_connections = 2;
    fx_start_cfg(&f, &cfg);
    int c[2];
    char rb[2048];
    const char *one = "GET /api/hello HTTP/1.1\r\nHost: t\r\n\r\n";
    for (int i = 0; i < 2; i++) {
        c[i] = connect_to(f.port);
        send_all(c[i], one, strlen(one));
        assert_true(recv(c[i], rb, sizeof(rb), 0) > 0);
    }
    int x = connect_to(f.port);
    assert_true(x >= 0); /* the kernel accepts; the server answers 503 and closes */
    size_t n;
    char *buf = read_all(x, &n);
    close(x);
    assert_true(n == 0 || strstr(buf, "HTTP/1.1 503") != NULL);
    if (n) {
        resp_t rj;
        size_t used;
        assert_int_equal(parse_resp(buf, n, 1, 0, &rj, &used), 1);
        assert_json_error(&rj, 503, "unavailable");
        resp_free(&rj);
    }
    free(buf);
    close(c[0]);
    sleep_ms(100);
    resp_t r;
    assert_int_equal(http_get(f.port, "/api/hello", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    close(c[1]);
    fx_stop(&f);
}

static void test_idle_timeout(void **state)
{
    fixture f;
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.idle_timeout_ms = 200;
    fx_start_cfg(&f, &cfg);
    int fd = connect_to(f.port);
    const char *one = "GET /api/hello HTTP/1.1\r\nHost: t\r\n\r\n";
    send_all(fd, one, strlen(one));
    char rb[2048];
    assert_true(recv(fd, rb, sizeof(rb), 0) > 0);
    int64_t t0 = now_ms();
    ssize_t k = recv(fd, rb, sizeof(rb), 0); /* blocks until the server drops the idle connection */
    int64_t waited = now_ms() - t0;
    assert_true(k == 0 || (k < 0 && errno == ECONNRESET));
    assert_true(waited >= 100 && waited < 3000);
    close(fd);
    fx_stop(&f);
}

struct obs_rec {
    char route[64];
    char method[16];
    int status;
    double secs;
};
static struct obs_rec obs[64];
static int nobs;
static pthread_mutex_t obs_mu = PTHREAD_MUTEX_INITIALIZER;

static void observer(void *ud, const char *route, const char *method, int status, double secs)
{
    pthread_mutex_lock(&obs_mu);
    if (nobs < 64) {
        snprintf(obs[nobs].route, sizeof(obs[nobs].route), "%s", route);
        snprintf(obs[nobs].method, sizeof(obs[nobs].method), "%s", method);
        obs[nobs].status = status;
        obs[nobs].secs = secs;
        nobs++;
    }
    pthread_mutex_unlock(&obs_mu);
}

static int hook_calls[4];
static char hook_reason[64];

static void shutdown_hook(void *ud, int loop_index, const char *reason)
{
    pthread_mutex_lock(&obs_mu);
    hook_calls[loop_index]++;
    snprintf(hook_reason, sizeof(hook_reason), "%s", reason);
    pthread_mutex_unlock(&obs_mu);
}

static void test_observer_hooks_threads(void **state)
{
    char err[ODZ_ERRLEN];
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 2;
    cfg.max_body_bytes = 100;
    fixture f;
    memset(&f, 0, sizeof(f));
    f.srv = odz_http_new(&cfg, err, sizeof(err));
    assert_non_null(f.srv);
    f.port = odz_http_port(f.srv);
    add_routes(f.srv);
    odz_http_set_observer(f.srv, observer, NULL);
    assert_int_equal(odz_http_on_shutdown(f.srv, shutdown_hook, NULL), 0);
    nobs = 0;
    memset(hook_calls, 0, sizeof(hook_calls));
    assert_int_equal(pthread_create(&f.th, NULL, run_thread, &f), 0);

    resp_t r;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(http_get(f.port, "/api/hello", NULL, &r), 0);
        assert_int_equal(r.status, 200);
        resp_free(&r);
    }
    assert_int_equal(http_get(f.port, "/api/async?ms=30", NULL, &r), 0);
    resp_free(&r);
    assert_int_equal(http_get(f.port, "/api/zzz", NULL, &r), 0);
    resp_free(&r);
    const char *big = "POST /api/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n";
    assert_int_equal(http_raw(f.port, big, strlen(big), 0, &r), 0);
    assert_int_equal(r.status, 413);
    resp_free(&r);
    sleep_ms(50);
    fx_stop(&f);

    int hello = 0, async = 0, nf = 0, e413 = 0;
    for (int i = 0; i < nobs; i++) {
        if (strcmp(obs[i].route, "/api/hello") == 0 && obs[i].status == 200 &&
            strcmp(obs[i].method, "GET") == 0)
            hello++;
        if (strcmp(obs[i].route, "/api/async") == 0 && obs[i].status == 200 && obs[i].secs >= 0.025)
            async++;
        if (strcmp(obs[i].route, "not_found") == 0 && obs[i].status == 404)
            nf++;
        if (strcmp(obs[i].route, "-") == 0 && obs[i].status == 413)
            e413++;
    }
    assert_int_equal(hello, 20);
    assert_int_equal(async, 1);
    assert_int_equal(nf, 1);
    assert_int_equal(e413, 1);
    assert_int_equal(hook_calls[0], 1);
    assert_int_equal(hook_calls[1], 1);
    assert_string_equal(hook_reason, "server shutting down");
}

static void test_lifecycle_edges(void **state)
{
    char err[ODZ_ERRLEN];
    odz_http_config cfg;
    odz_http_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    /* freed without running */
    odz_http_server *a = odz_http_new(&cfg, err, sizeof(err));
    assert_non_null(a);
    /* the same port again without SO_REUSEPORT fails cleanly */
    cfg.port = odz_http_port(a);
    odz_http_server *b = odz_http_new(&cfg, err, sizeof(err));
    assert_null(b);
    assert_non_null(strstr(err, "bind"));
    odz_http_free(a);
    /* a bad static root */
    cfg.port = 0;
    cfg.static_root = "/nonexistent/dir";
    assert_null(odz_http_new(&cfg, err, sizeof(err)));
    cfg.static_root = NULL;
    /* stopped before running: run returns at once */
    a = odz_http_new(&cfg, err, sizeof(err));
    odz_http_stop(a);
    assert_int_equal(odz_http_run(a), 0);
    assert_int_equal(odz_http_run(a), ODZ_ESTATE);
    odz_http_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_and_gzip),
        cmocka_unit_test(test_status_of),
        cmocka_unit_test(test_routes_and_accessors),
        cmocka_unit_test(test_error_statuses),
        cmocka_unit_test(test_engine_rejections),
        cmocka_unit_test(test_conditional_and_gzip),
        cmocka_unit_test(test_accept_encoding),
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_static_files),
        cmocka_unit_test(test_security_headers),
        cmocka_unit_test(test_path_traversal),
        cmocka_unit_test(test_keepalive_pipelining),
        cmocka_unit_test(test_async_completion),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_graceful_shutdown),
        cmocka_unit_test(test_forced_shutdown),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_observer_hooks_threads),
        cmocka_unit_test(test_lifecycle_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

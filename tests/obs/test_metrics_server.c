/* Unit tests of obs/metrics_server: --metrics-addr parsing, the listener on a loopback port
 * (/metrics, /healthz, other paths, concurrent scrapes, port in use, stop), promtool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "obs/metrics.h"
#include "obs/metrics_server.h"

/* h2o 2.2 keeps a per-thread cache of request-pool chunks (a static thread-local in its
 * memory.c) and never frees it. The listener runs on a thread that ends, so LeakSanitizer
 * sees that cache; only it is suppressed (as in tests/http/test_http.c). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\n";
}

static int teardown(void **state)
{
    (void)state;
    odz_metrics_free_all();
    return 0;
}

/* ---- a small blocking HTTP/1.1 client ---- */

typedef struct {
    int status;
    char head[4096];
    char *body;
    size_t len;
} resp;

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One request with Connection: close; 0 when a full response was read. */
static int request(int port, const char *method, const char *path, resp *r)
{
    memset(r, 0, sizeof *r);
    int fd = connect_port(port);
    if (fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     method, path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 4096 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t got = read(fd, buf + len, cap - len - 1);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        free(buf);
        return -1;
    }
    size_t hl = (size_t)(sep - buf);
    snprintf(r->head, sizeof r->head, "%.*s", (int)(hl < sizeof r->head ? hl : sizeof r->head - 1),
             buf);
    r->len = len - hl - 4;
    r->body = malloc(r->len + 1);
    memcpy(r->body, sep + 4, r->len);
    r->body[r->len] = '\0';
    free(buf);
    return 0;
}

static int has_header(const resp *r, const char *line)
{
    /* case-insensitive name, exact value */
    const char *colon = strchr(line, ':');
    size_t nl = (size_t)(colon - line);
    for (const char *p = strstr(r->head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *h = p + 2;
        if (strncasecmp(h, line, nl) == 0 && h[nl] == ':') {
            const char *v = h + nl + 1;
            while (*v == ' ')
                v++;
            const char *want = colon + 1;
            while (*want == ' ')
                want++;
            const char *end = strstr(v, "\r\n");
            size_t vl = end ? (size_t)(end - v) : strlen(v);
            if (vl == strlen(want) && strncmp(v, want, vl) == 0)
                return 1;
        }
    }
    return 0;
}

/* ---- address parsing ---- */

static void test_addr_parse(void **state)
{
    (void)state;
    char host[64], err[ODZ_ERRLEN];
    int port = -1;
    assert_int_equal(
        odz_metrics_addr_parse("127.0.0.1:9101", host, sizeof host, &port, err, sizeof err), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9101);
    assert_int_equal(
        odz_metrics_addr_parse("localhost:0", host, sizeof host, &port, err, sizeof err), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 0);
    assert_int_equal(odz_metrics_addr_parse(":9102", host, sizeof host, &port, err, sizeof err), 0);
    assert_string_equal(host, "0.0.0.0");
    assert_int_equal(port, 9102);
    assert_int_equal(
        odz_metrics_addr_parse("[::1]:65535", host, sizeof host, &port, err, sizeof err), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 65535);

    static const char *const bad[] = {
        "",           "9101",        "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "host:12x",
        "host:-1",    "host:999999", "::1:9101",  "[::1]9101",  "[]:9101",         "[::1:9101",
        "ho st:9101", "host\":9101", "a/b:9101",  "host:+9101", "host:0x10",       "host: 80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        if (odz_metrics_addr_parse(bad[i], host, sizeof host, &port, err, sizeof err) != ODZ_EINVAL)
            fail_msg("accepted '%s'", bad[i]);
        if (strncmp(err, "bad metrics address", 19) != 0)
            fail_msg("'%s': unclear error '%s'", bad[i], err);
    }
    char longaddr[ODZ_METRICS_ADDR_MAX + 10];
    memset(longaddr, 'a', sizeof longaddr - 1);
    longaddr[sizeof longaddr - 1] = '\0';
    longaddr[sizeof longaddr - 6] = ':';
    assert_int_equal(odz_metrics_addr_parse(longaddr, host, sizeof host, &port, err, sizeof err),
                     ODZ_EINVAL);
    /* a host that does not fit the caller's buffer */
    char small[4];
    assert_int_equal(
        odz_metrics_addr_parse("localhost:1", small, sizeof small, &port, err, sizeof err),
        ODZ_EINVAL);
    /* check = parse + resolve; numeric hosts never touch DNS */
    assert_int_equal(odz_metrics_addr_check("127.0.0.1:9101", err, sizeof err), 0);
    assert_int_equal(odz_metrics_addr_check("[::1]:9101", err, sizeof err), 0);
    assert_int_equal(odz_metrics_addr_check("1.2.3:x", err, sizeof err), ODZ_EINVAL);
}

/* ---- the listener ---- */

static int collected;
static void collect_cb(void *ud)
{
    (void)ud;
    collected++;
    odz_metric_set(odz_gauge("oddzy_test_collected", "Times the collector ran.", NULL), collected);
}

static void test_serves_metrics_and_health(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN] = "";
    odz_metric_add(odz_counter("oddzy_test_things_total", "Things done.", "kind=\"a\""), 42);
    collected = 0;
    assert_int_equal(odz_metrics_on_collect(collect_cb, NULL), 0);
    odz_metrics_set_version("9.9.9");

    odz_metrics_server *s = odz_metrics_server_start("127.0.0.1:0", err, sizeof err);
    assert_non_null(s);
    int port = odz_metrics_server_port(s);
    assert_true(port > 0);

    resp r;
    assert_int_equal(request(port, "GET", "/metrics", &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Type: " ODZ_METRICS_CONTENT_TYPE));
    assert_non_null(strstr(r.body, "\noddzy_test_things_total{kind=\"a\"} 42\n"));
    assert_non_null(strstr(r.body, "# TYPE oddzy_process_open_fds gauge\n"));
    assert_non_null(strstr(r.body, "# TYPE oddzy_process_start_time_seconds gauge\n"));
    assert_non_null(strstr(r.body, "oddzy_build_info{version=\"9.9.9\"} 1\n"));
    assert_non_null(strstr(r.body, "\noddzy_test_collected 1\n"));
    free(r.body);

    /* every scrape runs the collectors again */
    assert_int_equal(request(port, "GET", "/metrics", &r), 0);
    assert_non_null(strstr(r.body, "\noddzy_test_collected 2\n"));
    free(r.body);

    assert_int_equal(request(port, "HEAD", "/metrics", &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    free(r.body);

    assert_int_equal(request(port, "GET", "/healthz", &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    free(r.body);

    assert_int_equal(request(port, "GET", "/", &r), 0);
    assert_int_equal(r.status, 404);
    free(r.body);
    assert_int_equal(request(port, "GET", "/api/racing/schedule", &r), 0);
    assert_int_equal(r.status, 404);
    free(r.body);
    assert_int_equal(request(port, "POST", "/metrics", &r), 0);
    assert_int_equal(r.status, 405);
    free(r.body);

    odz_metrics_server_stop(s);
    /* stopped: the port no longer answers */
    assert_int_equal(connect_port(port) < 0, 1);
    odz_metrics_off_collect(collect_cb, NULL);
    odz_metrics_set_version("dev");
}

static void test_port_in_use_and_bad_address(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN] = "", addr[64];
    odz_metrics_server *a = odz_metrics_server_start("127.0.0.1:0", err, sizeof err);
    assert_non_null(a);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", odz_metrics_server_port(a));
    odz_metrics_server *b = odz_metrics_server_start(addr, err, sizeof err);
    assert_null(b);
    assert_non_null(strstr(err, "metrics listener on"));
    assert_non_null(strstr(err, addr));
    odz_metrics_server_stop(a);

    assert_null(odz_metrics_server_start("nonsense", err, sizeof err));
    assert_int_equal(strncmp(err, "bad metrics address", 19), 0);
    assert_null(odz_metrics_server_start("127.0.0.1:70000", err, sizeof err));
    assert_int_equal(strncmp(err, "bad metrics address", 19), 0);
    odz_metrics_server_stop(NULL); /* NULL-safe */
}

typedef struct {
    int port, ok;
} scraper_arg;

static void *scrape_many(void *p)
{
    scraper_arg *a = p;
    for (int i = 0; i < 20; i++) {
        resp r;
        if (request(a->port, "GET", "/metrics", &r) == 0 && r.status == 200 &&
            strstr(r.body, "oddzy_build_info"))
            a->ok++;
        free(r.body);
    }
    return NULL;
}

static void *bump(void *p)
{
    odz_metric *m = p;
    for (int i = 0; i < 100000; i++)
        odz_metric_inc(m);
    return NULL;
}

/* Scrapes from several clients while another thread updates a counter. */
static void test_concurrent_scrapes(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN];
    odz_metrics_server *s = odz_metrics_server_start("127.0.0.1:0", err, sizeof err);
    assert_non_null(s);
    odz_metric *m = odz_counter("oddzy_test_bumps_total", "Bumps.", NULL);
    scraper_arg args[4];
    pthread_t t[4], u;
    pthread_create(&u, NULL, bump, m);
    for (int i = 0; i < 4; i++) {
        args[i].port = odz_metrics_server_port(s);
        args[i].ok = 0;
        pthread_create(&t[i], NULL, scrape_many, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].ok, 20);
    }
    pthread_join(u, NULL);
    resp r;
    assert_int_equal(request(odz_metrics_server_port(s), "GET", "/metrics", &r), 0);
    assert_non_null(strstr(r.body, "\noddzy_test_bumps_total 100000\n"));
    free(r.body);
    odz_metrics_server_stop(s);
}

/* A scraper holding a keep-alive connection does not hold up the stop. */
static void test_stop_with_idle_connection(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN];
    odz_metrics_server *s = odz_metrics_server_start("127.0.0.1:0", err, sizeof err);
    assert_non_null(s);
    int fd = connect_port(odz_metrics_server_port(s));
    assert_true(fd >= 0);
    const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    char buf[512];
    assert_true(read(fd, buf, sizeof buf) > 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    odz_metrics_server_stop(s);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    assert_true(secs < 3);
    close(fd);
}

/* What a role without HTTP serves passes Prometheus's own parser and linter. */
static void test_promtool_check(void **state)
{
    (void)state;
    if (system("command -v promtool >/dev/null 2>&1") != 0) {
        fprintf(stderr, "promtool not installed: skipped\n");
        skip();
    }
    char err[ODZ_ERRLEN];
    odz_metric_add(odz_counter("oddzy_test_requests_total", "Requests.", "op=\"get_race\""), 3);
    odz_metric_observe(
        odz_histogram("oddzy_test_op_seconds", "Latency.", "op=\"get_race\"", NULL, 0), 0.002);
    odz_metrics_server *s = odz_metrics_server_start("127.0.0.1:0", err, sizeof err);
    assert_non_null(s);
    resp r;
    assert_int_equal(request(odz_metrics_server_port(s), "GET", "/metrics", &r), 0);
    odz_metrics_server_stop(s);
    char path[] = "/tmp/oddzy-ms-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, r.body, r.len), (ssize_t)r.len);
    close(fd);
    free(r.body);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s", path);
    int rc = system(cmd);
    unlink(path);
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_parse),
        cmocka_unit_test_teardown(test_serves_metrics_and_health, teardown),
        cmocka_unit_test_teardown(test_port_in_use_and_bad_address, teardown),
        cmocka_unit_test_teardown(test_concurrent_scrapes, teardown),
        cmocka_unit_test_teardown(test_stop_with_idle_connection, teardown),
        cmocka_unit_test_teardown(test_promtool_check, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of obs/metrics: registration rules, rendering, histograms, threads, promtool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "obs/metrics.h"

static int teardown(void **state)
{
    odz_metrics_free_all();
    return 0;
}

static char *render(void)
{
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(odz_metrics_render(&out, &len), 0);
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
    return out;
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Assert a whole line `line` appears in text. */
static void assert_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return;
    fail_msg("line not found: %s\n--- in ---\n%s", line, text);
}

static void test_counter_render(void **state)
{
    odz_metric *a = odz_counter("oddzy_http_requests_total", "HTTP requests by route and status.",
                                "route=\"/api/racing/racecard\",status=\"200\"");
    odz_metric *b = odz_counter("oddzy_http_requests_total", "ignored help",
                                "route=\"/api/racing/racecard\",status=\"500\"");
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    odz_metric_inc(a);
    odz_metric_inc(a);
    odz_metric_add(a, 3);
    odz_metric_add(a, -5); /* counters never go down */
    odz_metric_add(a, NAN);
    odz_metric_inc(b);
    assert_true(odz_metric_value(a) == 5);

    char *t = render();
    assert_int_equal(count_substr(t, "# HELP oddzy_http_requests_total "), 1);
    assert_int_equal(count_substr(t, "# TYPE oddzy_http_requests_total "), 1);
    assert_line(t, "# HELP oddzy_http_requests_total HTTP requests by route and status.");
    assert_line(t, "# TYPE oddzy_http_requests_total counter");
    assert_line(t, "oddzy_http_requests_total{route=\"/api/racing/racecard\",status=\"200\"} 5");
    assert_line(t, "oddzy_http_requests_total{route=\"/api/racing/racecard\",status=\"500\"} 1");
    /* HELP/TYPE come right before the family's samples */
    assert_non_null(
        strstr(t, "# TYPE oddzy_http_requests_total counter\noddzy_http_requests_total{"));
    free(t);

    odz_metric_add(a, 0.25);
    t = render();
    assert_line(t, "oddzy_http_requests_total{route=\"/api/racing/racecard\",status=\"200\"} 5.25");
    free(t);
}

static void test_get_or_create_same_pointer(void **state)
{
    odz_metric *a = odz_counter("oddzy_cache_hits_total", "h", "view=\"racecard\",node=\"a\"");
    assert_non_null(a);
    assert_ptr_equal(a, odz_counter("oddzy_cache_hits_total", "h", "view=\"racecard\",node=\"a\""));
    /* same label set in another order or spacing is the same series */
    assert_ptr_equal(
        a, odz_counter("oddzy_cache_hits_total", "h", " node = \"a\" , view=\"racecard\","));
    odz_metric *none = odz_counter("oddzy_scrapes_total", "h", NULL);
    assert_non_null(none);
    assert_ptr_equal(none, odz_counter("oddzy_scrapes_total", "h", ""));
    char *t = render();
    assert_line(t, "oddzy_cache_hits_total{node=\"a\",view=\"racecard\"} 0");
    assert_line(t, "oddzy_scrapes_total 0");
    free(t);
}

static void test_invalid_rejected(void **state)
{
    const double inc[] = {1, 2, 2};
    const double nanb[] = {1, NAN};
    assert_null(odz_counter(NULL, "h", NULL));
    assert_null(odz_counter("", "h", NULL));
    assert_null(odz_counter("1abc", "h", NULL));
    assert_null(odz_counter("oddzy-bad", "h", NULL));
    assert_null(odz_counter("oddzy bad", "h", NULL));
    assert_null(odz_counter("oddzy_é", "h", NULL));
    assert_null(odz_counter("oddzy_ok_total", "h", "route=/x"));
    assert_null(odz_counter("oddzy_ok_total", "h", "route=\"/x"));
    assert_null(odz_counter("oddzy_ok_total", "h", "route=\"/x\" status=\"1\""));
    assert_null(odz_counter("oddzy_ok_total", "h", "1route=\"x\""));
    assert_null(odz_counter("oddzy_ok_total", "h", "__name__=\"x\""));
    assert_null(odz_counter("oddzy_ok_total", "h", "a=\"1\",a=\"2\""));
    assert_null(odz_counter("oddzy_ok_total", "h", "a=\"bad\\escape\""));
    assert_null(odz_counter("oddzy_ok_total", "h", "a=\"raw\nnewline\""));
    assert_null(odz_counter("oddzy_ok_total", "h", "a=\"\xff\""));
    assert_null(odz_histogram("oddzy_ok_seconds", "h", "le=\"1\"", NULL, 0));
    assert_null(odz_histogram("oddzy_ok_seconds", "h", NULL, inc, 3));
    assert_null(odz_histogram("oddzy_ok_seconds", "h", NULL, nanb, 2));
    assert_null(odz_histogram("oddzy_ok_seconds", "h", NULL, inc, 0));
    assert_null(odz_gauge("oddzy_process_open_fds", "reserved", NULL));
    assert_null(odz_gauge("oddzy_build_info", "reserved", NULL));

    /* a name keeps its first type; a histogram keeps its buckets */
    assert_non_null(odz_counter("oddzy_typed_total", "h", NULL));
    assert_null(odz_gauge("oddzy_typed_total", "h", NULL));
    assert_null(odz_gauge("oddzy_typed_total", "h", "x=\"1\""));
    const double b1[] = {1, 2}, b2[] = {1, 3};
    assert_non_null(odz_histogram("oddzy_h_seconds", "h", NULL, b1, 2));
    assert_null(odz_histogram("oddzy_h_seconds", "h", "x=\"1\"", b2, 2));
    assert_non_null(odz_histogram("oddzy_h_seconds", "h", "x=\"1\"", b1, 2));

    /* escaped label values and colons in names are fine */
    assert_non_null(odz_counter("oddzy:ok_total", "h", "a=\"q\\\"uo\\\\te\\n\",b=\"caf\xc3\xa9\""));

    /* updates on NULL are no-ops */
    odz_metric_inc(NULL);
    odz_metric_add(NULL, 1);
    odz_metric_set(NULL, 1);
    odz_metric_observe(NULL, 1);
    assert_true(odz_metric_value(NULL) == 0);
}

static void test_gauge(void **state)
{
    odz_metric *g =
        odz_gauge("oddzy_live_connections", "Open live connections.", "transport=\"websocket\"");
    assert_non_null(g);
    odz_metric_set(g, 10);
    odz_metric_inc(g);
    odz_metric_add(g, -3.5);
    assert_true(odz_metric_value(g) == 7.5);
    odz_metric_observe(g, 100); /* not a histogram: ignored */
    char *t = render();
    assert_line(t, "# TYPE oddzy_live_connections gauge");
    assert_line(t, "oddzy_live_connections{transport=\"websocket\"} 7.5");
    free(t);
    odz_metric_set(g, -0.1);
    odz_metric_set(odz_gauge("oddzy_races_open", "Open races.", NULL), 1e20);
    t = render();
    assert_line(t, "oddzy_live_connections{transport=\"websocket\"} -0.1");
    assert_line(t, "oddzy_races_open 1e+20");
    free(t);
    odz_metric_set(g, INFINITY);
    t = render();
    assert_line(t, "oddzy_live_connections{transport=\"websocket\"} +Inf");
    free(t);
}

static void test_histogram_cumulative(void **state)
{
    const double b[] = {0.1, 0.5, 1};
    odz_metric *h = odz_histogram("oddzy_store_op_seconds", "Store operation latency.",
                                  "op=\"get_race\"", b, 3);
    assert_non_null(h);
    odz_metric_observe(h, 0.05);
    odz_metric_observe(h, 0.1); /* le is inclusive */
    odz_metric_observe(h, 0.3);
    odz_metric_observe(h, 0.7);
    odz_metric_observe(h, 0.9);
    odz_metric_observe(h, 5);
    odz_metric_observe(h, NAN);
    assert_true(odz_metric_value(h) == 6);
    char *t = render();
    assert_line(t, "# TYPE oddzy_store_op_seconds histogram");
    assert_line(t, "oddzy_store_op_seconds_bucket{op=\"get_race\",le=\"0.1\"} 2");
    assert_line(t, "oddzy_store_op_seconds_bucket{op=\"get_race\",le=\"0.5\"} 3");
    assert_line(t, "oddzy_store_op_seconds_bucket{op=\"get_race\",le=\"1\"} 5");
    assert_line(t, "oddzy_store_op_seconds_bucket{op=\"get_race\",le=\"+Inf\"} 6");
    assert_line(t, "oddzy_store_op_seconds_sum{op=\"get_race\"} 7.05");
    assert_line(t, "oddzy_store_op_seconds_count{op=\"get_race\"} 6");
    free(t);
}

static void test_histogram_default_buckets(void **state)
{
    odz_metric *h = odz_histogram("oddzy_http_request_duration_seconds", "Latency.", NULL, NULL, 0);
    assert_non_null(h);
    /* same family through explicit default bounds with a trailing +Inf */
    const double d[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,    0.1,
                        0.25,   0.5,   1,      2.5,   5,    10,    INFINITY};
    odz_metric *h2 =
        odz_histogram("oddzy_http_request_duration_seconds", "Latency.", "route=\"/x\"", d, 15);
    assert_non_null(h2);
    odz_metric_observe(h, 0.0004);
    odz_metric_observe(h, 11);
    char *t = render();
    assert_int_equal(count_substr(t, "oddzy_http_request_duration_seconds_bucket{le="), 15);
    assert_line(t, "oddzy_http_request_duration_seconds_bucket{le=\"0.0005\"} 1");
    assert_line(t, "oddzy_http_request_duration_seconds_bucket{le=\"10\"} 1");
    assert_line(t, "oddzy_http_request_duration_seconds_bucket{le=\"+Inf\"} 2");
    assert_line(t, "oddzy_http_request_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 0");
    assert_line(t, "oddzy_http_request_duration_seconds_count 2");
    free(t);
}

static void test_escaping_in_output(void **state)
{
    assert_non_null(odz_counter("oddzy_esc_total", "line one\nback\\slash", "v=\"a\\\"b\""));
    odz_metrics_set_version("1.2.3\"x");
    char *t = render();
    assert_line(t, "# HELP oddzy_esc_total line one\\nback\\\\slash");
    assert_line(t, "oddzy_esc_total{v=\"a\\\"b\"} 0");
    assert_line(t, "oddzy_build_info{version=\"1.2.3\\\"x\"} 1");
    free(t);
    odz_metrics_set_version(NULL);
}

static void test_sorted_families(void **state)
{
    odz_counter("oddzy_zz_total", "z", NULL);
    odz_counter("oddzy_aa_total", "a", NULL);
    odz_gauge("oddzy_mm", "m", NULL);
    char *t = render();
    char *a = strstr(t, "# HELP oddzy_aa_total"), *m = strstr(t, "# HELP oddzy_mm"),
         *z = strstr(t, "# HELP oddzy_zz_total");
    assert_true(a && m && z && a < m && m < z);
    free(t);
}

static void test_process_metrics(void **state)
{
    char *t = render();
    assert_line(t, "# TYPE oddzy_process_uptime_seconds gauge");
    assert_line(t, "# TYPE oddzy_process_resident_memory_bytes gauge");
    assert_line(t, "# TYPE oddzy_process_open_fds gauge");
    assert_line(t, "oddzy_build_info{version=\"dev\"} 1");
    const char *p = strstr(t, "\noddzy_process_resident_memory_bytes ");
    assert_non_null(p);
    assert_true(strtod(p + 37, NULL) > 1e5);
    p = strstr(t, "\noddzy_process_open_fds ");
    assert_non_null(p);
    assert_true(strtol(p + 24, NULL, 10) >= 3); /* stdin, stdout, stderr */
    p = strstr(t, "\noddzy_process_uptime_seconds ");
    assert_non_null(p);
    assert_true(strtod(p + 30, NULL) >= 0);
    free(t);
}

typedef struct {
    odz_metric *g;
    int calls;
} collect_ud;

static void collect_cb(void *p)
{
    collect_ud *u = p;
    u->calls++;
    odz_metric_set(u->g, 42);
    /* a callback may create series itself (runs outside the registry lock) */
    odz_metric_set(odz_gauge("oddzy_bus_pending", "Pending bus messages.", NULL), u->calls);
}

static void test_collect_callbacks(void **state)
{
    collect_ud u = {.g = odz_gauge("oddzy_races_open", "Open races.", NULL)};
    assert_int_equal(odz_metrics_on_collect(collect_cb, &u), 0);
    assert_int_equal(odz_metrics_on_collect(collect_cb, &u), 0); /* kept once */
    char *t = render();
    assert_int_equal(u.calls, 1);
    assert_line(t, "oddzy_races_open 42");
    assert_line(t, "oddzy_bus_pending 1");
    free(t);
    odz_metrics_off_collect(collect_cb, &u);
    t = render();
    free(t);
    assert_int_equal(u.calls, 1);

    assert_int_equal(odz_metrics_on_collect(collect_cb, &u), 0);
    odz_metrics_reset_for_tests(); /* drops callbacks, zeroes values, keeps pointers */
    t = render();
    assert_int_equal(u.calls, 1);
    assert_line(t, "oddzy_races_open 0");
    free(t);
    odz_metric_inc(u.g);
    assert_true(odz_metric_value(u.g) == 1);
}

#define NTHREADS 8
#define NITER 200000

static _Atomic int g_mismatch; /* cmocka asserts belong on the main thread */

static void *hammer(void *p)
{
    odz_metric **m = p;
    for (int i = 0; i < NITER; i++) {
        odz_metric_inc(m[0]);
        odz_metric_add(m[1], 0.5);
        odz_metric_observe(m[2], (i % 4) * 0.25); /* 0, .25, .5, .75 */
        odz_metric_inc(m[3]);
        if (i % 1000 == 0) /* get-or-create under contention returns the same series */
            if (odz_counter("oddzy_bus_messages_total", "h", "subject=\"x\"") != m[0])
                g_mismatch++;
    }
    return NULL;
}

static void test_concurrent_exact(void **state)
{
    const double b[] = {0.1, 0.3, 0.6};
    odz_metric *m[4] = {
        odz_counter("oddzy_bus_messages_total", "Bus messages.", "subject=\"x\""),
        odz_counter("oddzy_work_seconds_total", "Work time.", NULL),
        odz_histogram("oddzy_lat_seconds", "Latency.", NULL, b, 3),
        odz_gauge("oddzy_inflight", "In flight.", NULL),
    };
    for (int i = 0; i < 4; i++)
        assert_non_null(m[i]);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, m), 0);
    /* rendering while others write must not disturb them */
    for (int i = 0; i < 20; i++)
        free(render());
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(g_mismatch, 0);

    char line[128], *r = render();
    snprintf(line, sizeof line, "oddzy_bus_messages_total{subject=\"x\"} %d", NTHREADS * NITER);
    assert_line(r, line);
    snprintf(line, sizeof line, "oddzy_work_seconds_total %d", NTHREADS * NITER / 2);
    assert_line(r, line);
    snprintf(line, sizeof line, "oddzy_inflight %d", NTHREADS * NITER);
    assert_line(r, line);
    snprintf(line, sizeof line, "oddzy_lat_seconds_bucket{le=\"0.1\"} %d", NTHREADS * NITER / 4);
    assert_line(r, line);
    snprintf(line, sizeof line, "oddzy_lat_seconds_bucket{le=\"0.3\"} %d", NTHREADS * NITER / 2);
    assert_line(r, line);
    snprintf(line, sizeof line, "oddzy_lat_seconds_bucket{le=\"0.6\"} %d",
             NTHREADS * NITER * 3 / 4);
    assert_line(r, line);
    snprintf(line, sizeof line, "oddzy_lat_seconds_count %d", NTHREADS * NITER);
    assert_line(r, line);
    snprintf(line, sizeof line, "oddzy_lat_seconds_sum %d", NTHREADS * NITER * 3 / 8);
    assert_line(r, line);
    free(r);
}

static void test_series_limit(void **state)
{
    char labels[64];
    int made = 0;
    for (int i = 0; i < ODZ_METRICS_MAX_SERIES + 10; i++) {
        snprintf(labels, sizeof labels, "id=\"%d\"", i);
        if (odz_counter("oddzy_many_total", "Many.", labels))
            made++;
    }
    assert_int_equal(made, ODZ_METRICS_MAX_SERIES);
    /* existing series are still found */
    assert_non_null(odz_counter("oddzy_many_total", "Many.", "id=\"7\""));
}

/* A realistic exposition of every role, checked by promtool's parser and linter. */
static void register_realistic(void)
{
    static const char *routes[] = {
        "/api/racing/schedule", "/api/racing/racecard", "/api/racing/next", "/healthz", "/metrics",
        "/socket.io/"};
    static const char *statuses[] = {"200", "304", "404", "500", "503"};
    for (size_t r = 0; r < sizeof routes / sizeof *routes; r++) {
        char l[256];
        for (size_t s = 0; s < sizeof statuses / sizeof *statuses; s++) {
            snprintf(l, sizeof l, "route=\"%s\",status=\"%s\"", routes[r], statuses[s]);
            odz_metric_add(
                odz_counter("oddzy_http_requests_total", "HTTP requests by route and status.", l),
                (double)(r * 7 + s));
        }
        snprintf(l, sizeof l, "route=\"%s\"", routes[r]);
        odz_metric *h = odz_histogram("oddzy_http_request_duration_seconds",
                                      "HTTP request latency by route.", l, NULL, 0);
        assert_non_null(h);
        for (int i = 0; i < 50; i++)
            odz_metric_observe(h, 0.0003 * i * (double)(r + 1));
    }
    static const char *ops[] = {"get_race", "put_race", "list_meetings", "record_price"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        char l[64];
        snprintf(l, sizeof l, "op=\"%s\",backend=\"sqlite\"", ops[i]);
        odz_metric *h =
            odz_histogram("oddzy_store_op_seconds", "Store operation latency.", l, NULL, 0);
        assert_non_null(h);
        odz_metric_observe(h, 0.0007 * (double)(i + 1));
    }
    static const char *outcomes[] = {"success", "failed", "timeout", "garbage"};
    for (size_t i = 0; i < sizeof outcomes / sizeof *outcomes; i++) {
        char l[96];
        snprintf(l, sizeof l, "call=\"racecard\",outcome=\"%s\"", outcomes[i]);
        odz_metric_add(
            odz_counter("oddzy_scrapes_total", "Source requests by call and outcome.", l),
            (double)(10 - i));
    }
    odz_metric_add(odz_counter("oddzy_races_updated_total", "Races changed by an update.", NULL),
                   31);
    odz_metric_set(odz_gauge("oddzy_races_open", "Races currently open.", NULL), 12);
    odz_metric_add(odz_counter("oddzy_bus_messages_total", "Bus messages by subject and direction.",
                               "subject=\"racing.get_race\",dir=\"out\""),
                   99);
    odz_metric_add(odz_counter("oddzy_bus_messages_total", "Bus messages by subject and direction.",
                               "subject=\"event.race\",dir=\"in\""),
                   12);
    static const char *transports[] = {"socketio", "websocket", "sse", "polling"};
    for (size_t i = 0; i < sizeof transports / sizeof *transports; i++) {
        char l[64];
        snprintf(l, sizeof l, "transport=\"%s\"", transports[i]);
        odz_metric_set(
            odz_gauge("oddzy_live_connections", "Open live connections by transport.", l),
            (double)i * 3);
    }
    odz_metric_add(odz_counter("oddzy_cache_hits_total", "View cache hits.", "view=\"racecard\""),
                   500);
    odz_metric_add(
        odz_counter("oddzy_cache_misses_total", "View cache misses.", "view=\"racecard\""), 4);
    odz_metrics_set_version("0.1.0");
}

static void test_promtool_check_metrics(void **state)
{
    if (system("command -v promtool >/dev/null 2>&1") != 0) {
        fprintf(stderr, "promtool not installed: skipped\n");
        skip();
    }
    register_realistic();
    char *t = render();
    char path[] = "/tmp/oddzy-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(t), off = 0;
    while (off < len) {
        ssize_t n = write(fd, t + off, len - off);
        assert_true(n > 0);
        off += (size_t)n;
    }
    close(fd);

    char cmd[256], out[8192];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    int st = pclose(p);
    unlink(path);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("promtool check metrics failed (status %d):\n%s\n--- input ---\n%s", st, out, t);
    if (got != 0) /* lint findings are printed; there must be none */
        fail_msg("promtool check metrics said:\n%s", out);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_counter_render, teardown),
        cmocka_unit_test_teardown(test_get_or_create_same_pointer, teardown),
        cmocka_unit_test_teardown(test_invalid_rejected, teardown),
        cmocka_unit_test_teardown(test_gauge, teardown),
        cmocka_unit_test_teardown(test_histogram_cumulative, teardown),
        cmocka_unit_test_teardown(test_histogram_default_buckets, teardown),
        cmocka_unit_test_teardown(test_escaping_in_output, teardown),
        cmocka_unit_test_teardown(test_sorted_families, teardown),
        cmocka_unit_test_teardown(test_process_metrics, teardown),
        cmocka_unit_test_teardown(test_collect_callbacks, teardown),
        cmocka_unit_test_teardown(test_concurrent_exact, teardown),
        cmocka_unit_test_teardown(test_series_limit, teardown),
        cmocka_unit_test_teardown(test_promtool_check_metrics, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of obs/http_metrics: per-request metrics through handles resolved once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/http_metrics.h"
#include "obs/metrics.h"

static int teardown(void **state)
{
    odz_metrics_free_all();
    return 0;
}

static double requests(const char *route, const char *method, int status)
{
    char labels[512];
    snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",status=\"%d\"", route, method,
             status);
    return odz_metric_value(odz_counter("oddzy_http_requests_total", NULL, labels));
}

static double observations(const char *route)
{
    char labels[512];
    snprintf(labels, sizeof labels, "route=\"%s\"", route);
    return odz_metric_value(
        odz_histogram("oddzy_http_request_duration_seconds", NULL, labels, NULL, 0));
}

/* One registry look-up per new (route, method, status), none per request. */
static void test_resolved_once(void **state)
{
    unsigned long r0 = odz_http_metrics_resolves();
    for (int i = 0; i < 1000; i++)
        odz_http_metrics_observe("/api/racing/racecard", "GET", 200, 0.001);
    assert_int_equal(odz_http_metrics_resolves() - r0, 1);
    assert_true(requests("/api/racing/racecard", "GET", 200) == 1000);
    assert_true(observations("/api/racing/racecard") == 1000);

    for (int i = 0; i < 10; i++) {
        odz_http_metrics_observe("/api/racing/racecard", "GET", 304, 0.001);
        odz_http_metrics_observe("/api/racing/racecard", "HEAD", 200, 0.001);
        odz_http_metrics_observe("/api/racing/schedule", "GET", 200, 0.001);
    }
    assert_int_equal(odz_http_metrics_resolves() - r0, 4);
    assert_true(requests("/api/racing/racecard", "GET", 304) == 10);
    assert_true(requests("/api/racing/racecard", "HEAD", 200) == 10);
    assert_true(observations("/api/racing/racecard") == 1020);
    assert_true(observations("/api/racing/schedule") == 10);
}

/* Many keys sharing slots: every count still lands on its own series. */
static void test_collisions_and_limits(void **state)
{
    char route[64];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 200; i++) {
            snprintf(route, sizeof route, "/r/%d", i);
            odz_http_metrics_observe(route, i % 2 ? "POST" : "GET", 200 + i % 3, 0.0);
        }
    for (int i = 0; i < 200; i++) {
        snprintf(route, sizeof route, "/r/%d", i);
        assert_true(requests(route, i % 2 ? "POST" : "GET", 200 + i % 3) == 3);
    }
    /* a client's own method token is counted as "other" */
    odz_http_metrics_observe("/x", "BREW", 405, 0.0);
    odz_http_metrics_observe("/x", "", 405, 0.0);
    assert_true(requests("/x", "other", 405) == 2);
    assert_string_equal(odz_http_metrics_method("BREW"), "other");
    assert_string_equal(odz_http_metrics_method("PATCH"), "PATCH");
    /* a label longer than what the cache holds is still counted */
    char lng[200];
    memset(lng, 'a', sizeof lng - 1);
    lng[0] = '/';
    lng[sizeof lng - 1] = '\0';
    odz_http_metrics_observe(lng, "GET", 200, 0.0);
    odz_http_metrics_observe(lng, "GET", 200, 0.0);
    assert_true(requests(lng, "GET", 200) == 2);
}

/* Handles cached before odz_metrics_free_all are not used after it (ASan would see it). */
static void test_registry_freed(void **state)
{
    odz_http_metrics_observe("/api/health", "GET", 200, 0.0);
    odz_metrics_free_all();
    unsigned long r0 = odz_http_metrics_resolves();
    odz_http_metrics_observe("/api/health", "GET", 200, 0.0);
    assert_int_equal(odz_http_metrics_resolves() - r0, 1);
    assert_true(requests("/api/health", "GET", 200) == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_resolved_once, teardown),
        cmocka_unit_test_teardown(test_collisions_and_limits, teardown),
        cmocka_unit_test_teardown(test_registry_freed, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

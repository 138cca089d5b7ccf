/* Unit tests of the process metrics every role exposes: start time, uptime, resident memory,
 * open file descriptors, CPU time and build info, read back from odz_metrics_render. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "obs/metrics.h"
#include "support/metrics_sample.h"

/* Value of the unlabelled sample `name` in a fresh render; fails when absent. */
static double sample(const char *name)
{
    double v = metrics_sample(name);
    if (v < 0)
        fail_msg("no sample %s", name);
    return v;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_start_time_and_uptime(void **state)
{
    (void)state;
    double start = sample("oddzy_process_start_time_seconds");
    double up = sample("oddzy_process_uptime_seconds");
    double now = wall_now();
    assert_true(start > 1.6e9); /* an epoch time in seconds, not ms or 0 */
    assert_true(start <= now + 0.01);
    assert_true(now - start < 600); /* this test process started moments ago */
    assert_true(up >= 0);
    assert_true(start + up <= now + 1); /* the two agree within clock granularity */
    assert_true(start + up >= now - 1);
    usleep(30000);
    double up2 = sample("oddzy_process_uptime_seconds");
    assert_true(up2 >= up + 0.02);
    assert_true(sample("oddzy_process_start_time_seconds") == start); /* constant */
}

static void test_open_fds_follow_the_process(void **state)
{
    (void)state;
    double before = sample("oddzy_process_open_fds");
    assert_true(before >= 3);
    int fds[5];
    for (int i = 0; i < 5; i++) {
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fds[i] >= 0);
    }
    assert_true(sample("oddzy_process_open_fds") == before + 5);
    for (int i = 0; i < 5; i++)
        close(fds[i]);
    assert_true(sample("oddzy_process_open_fds") == before);
}

static void test_resident_memory_grows(void **state)
{
    (void)state;
    double before = sample("oddzy_process_resident_memory_bytes");
    assert_true(before > 1 << 20);
    size_t n = 64u << 20;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 1, n); /* touch every page */
    double after = sample("oddzy_process_resident_memory_bytes");
    assert_true(after - before > (double)(32u << 20));
    assert_int_equal(big[n - 1], 1);
    free(big);
}

static void test_cpu_time_counts(void **state)
{
    (void)state;
    double before = sample("oddzy_process_cpu_seconds_total");
    volatile double x = 0;
    struct timespec a, b;
    /* spin until this process has used 50 ms of CPU (not of wall time: on a loaded machine
     * 50 ms of wall time may bring much less CPU) */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    do {
        for (int i = 0; i < 100000; i++)
            x += i * 0.5;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 50);
    assert_true(x > 0);
    assert_true(sample("oddzy_process_cpu_seconds_total") >= before + 0.03);
}

static void test_build_info_and_types(void **state)
{
    (void)state;
    odz_metrics_set_version("1.2.3");
    char *t = NULL;
    size_t len = 0;
    assert_int_equal(odz_metrics_render(&t, &len), 0);
    static const char *const lines[] = {
        "# TYPE oddzy_process_start_time_seconds gauge",
        "# TYPE oddzy_process_uptime_seconds gauge",
        "# TYPE oddzy_process_resident_memory_bytes gauge",
        "# TYPE oddzy_process_open_fds gauge",
        "# TYPE oddzy_process_cpu_seconds_total counter",
        "# TYPE oddzy_build_info gauge",
        "oddzy_build_info{version=\"1.2.3\"} 1",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        char needle[128];
        snprintf(needle, sizeof needle, "\n%s\n", lines[i]);
        if (!strstr(t, needle))
            fail_msg("missing line: %s", lines[i]);
    }
    /* each family once, however often it is rendered */
    const char *p = strstr(t, "# TYPE oddzy_process_open_fds");
    assert_null(strstr(p + 1, "# TYPE oddzy_process_open_fds"));
    free(t);
    /* the renderer owns these names: nobody can register a second family under them */
    assert_null(odz_gauge("oddzy_process_start_time_seconds", "dup", NULL));
    assert_null(odz_counter("oddzy_process_cpu_seconds_total", "dup", NULL));
    odz_metrics_set_version(NULL);
    assert_int_equal(odz_metrics_render(&t, &len), 0);
    assert_non_null(strstr(t, "\noddzy_build_info{version=\"dev\"} 1\n"));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_start_time_and_uptime, metrics_teardown),
        cmocka_unit_test_teardown(test_open_fds_follow_the_process, metrics_teardown),
        cmocka_unit_test_teardown(test_resident_memory_grows, metrics_teardown),
        cmocka_unit_test_teardown(test_cpu_time_counts, metrics_teardown),
        cmocka_unit_test_teardown(test_build_info_and_types, metrics_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

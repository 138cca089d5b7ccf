/* The API's readiness check (what /readyz reads) backs off while the racing service does not
 * answer: after 100 ms, then twice as long after each miss, up to once a second; once it
 * answers, once a second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "bus/bus.h"
#include "core/err.h"
#include "obs/metrics.h"

static atomic_int checks, answer_ok;

/* The racing service's next_races, counted: "not yet" until answer_ok is set. */
static void next_races(odz_bus *bus, const odz_msg *m, void *ud)
{
    (void)ud;
    atomic_fetch_add(&checks, 1);
    static const char no[] = "{\"ok\":false,\"error\":\"unavailable\",\"message\":\"starting\"}";
    static const char yes[] = "{\"ok\":true,\"data\":[]}";
    const char *r = atomic_load(&answer_ok) ? yes : no;
    if (m->reply)
        odz_bus_publish(bus, m->reply, r, strlen(r), NULL);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void backs_off_until_the_service_answers(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN] = "";
    odz_bus *bus = odz_bus_inproc_new();
    assert_true(odz_bus_subscribe(bus, "racing.next_races", NULL, 64, next_races, NULL) > 0);
    odz_api_config ac = {.host = "127.0.0.1", .port = 0, .threads = 1, .max_connections = 64,
                         .view_workers = 1};
    odz_api *api = odz_api_new(bus, &ac, err);
    if (!api)
        fail_msg("odz_api_new: %s", err);

    /* 2 s without an answer: checks at 0, 0.1, 0.3, 0.7 and 1.5 s (every 100 ms: 20) */
    sleep_ms(2000);
    int missed = atomic_load(&checks);
    printf("checks in 2 s without an answer: %d\n", missed);
    assert_true(missed >= 3 && missed <= 7);

    /* the service answers: the next check (by 2.5 s, where the last wait was 0.8 s) finds it,
     * and from then on it is asked once a second */
    atomic_store(&answer_ok, 1);
    sleep_ms(1100);
    int before = atomic_load(&checks);
    assert_true(before > missed);
    sleep_ms(3000);
    int after = atomic_load(&checks) - before;
    printf("checks in 3 s once it answers: %d\n", after);
    assert_true(after >= 2 && after <= 4);

    odz_api_free(api);
    odz_bus_close(bus);
    odz_metrics_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backs_off_until_the_service_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Bus counters in /metrics: published, delivered, dropped and coalesced messages and rejected
 * requests of the in-process bus, read from odz_bus_get_stats at render time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus.h"
#include "bus/bus_metrics.h"
#include "core/err.h"
#include "obs/metrics.h"
#include "support/metrics_sample.h"

static double sample(const char *series)
{
    return metrics_sample(series);
}

static _Atomic int handled;
static _Atomic int block;

static void on_msg(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    (void)m;
    (void)ud;
    while (atomic_load(&block))
        usleep(1000);
    atomic_fetch_add(&handled, 1);
}

static void test_counts_follow_the_bus(void **state)
{
    (void)state;
    odz_bus *bus = odz_bus_inproc_new();
    assert_non_null(bus);
    assert_int_equal(odz_bus_metrics_register(bus), 0);
    assert_int_equal(odz_bus_metrics_register(bus), 0); /* twice keeps one */
    /* the series exist from registration, at zero */
    assert_true(sample("oddzy_bus_messages_published_total{bus=\"inproc\"}") == 0);
    assert_true(sample("oddzy_bus_messages_delivered_total{bus=\"inproc\"}") == 0);
    assert_true(sample("oddzy_bus_messages_dropped_total{bus=\"inproc\"}") == 0);

    atomic_store(&handled, 0);
    assert_true(odz_bus_subscribe(bus, "race.*.updated", NULL, 0, on_msg, NULL) > 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(odz_bus_publish(bus, "race.1.updated", "{}", 2, ""), 0);
    for (int i = 0; i < 2000 && atomic_load(&handled) < 10; i++)
        usleep(1000);
    assert_int_equal(atomic_load(&handled), 10);

    odz_bus_stats st;
    odz_bus_get_stats(bus, &st);
    assert_true(sample("oddzy_bus_messages_published_total{bus=\"inproc\"}") ==
                (double)st.published);
    assert_true(sample("oddzy_bus_messages_delivered_total{bus=\"inproc\"}") ==
                (double)st.delivered);
    assert_true(st.published >= 10 && st.delivered >= 10);

    /* a subscriber with a queue of 2 that cannot keep up: the rest are dropped */
    atomic_store(&block, 1);
    atomic_store(&handled, 0);
    assert_true(odz_bus_subscribe(bus, "slow.>", NULL, 2, on_msg, NULL) > 0);
    for (int i = 0; i < 20; i++)
        odz_bus_publish(bus, "slow.x", "{}", 2, "");
    double dropped = sample("oddzy_bus_messages_dropped_total{bus=\"inproc\"}");
    odz_bus_get_stats(bus, &st);
    assert_true(dropped >= 17);
    assert_true(dropped == (double)st.dropped);
    /* keyed events of one thing replace each other in the queue instead of being dropped */
    assert_true(odz_bus_subscribe(bus, "keyed.>", NULL, 2, on_msg, NULL) > 0);
    for (int i = 0; i < 5; i++)
        odz_bus_publish_keyed(bus, "keyed.race", "k", "{}", 2, "");
    /* a request to it: its request lane takes one, the next is refused at once */
    assert_int_equal(odz_bus_publish_reply(bus, "slow.req", "nobody.1", "{}", 2, ""), 0);
    assert_int_equal(odz_bus_publish_reply(bus, "slow.req", "nobody.2", "{}", 2, ""), 0);
    assert_int_equal(odz_bus_publish_reply(bus, "slow.req", "nobody.3", "{}", 2, ""), ODZ_EFULL);
    odz_bus_get_stats(bus, &st);
    assert_true(sample("oddzy_bus_messages_dropped_total{bus=\"inproc\"}") == dropped);
    /* 3 or 4: the first may already sit in the (blocked) handler */
    assert_true(sample("oddzy_bus_messages_coalesced_total{bus=\"inproc\"}") >= 3);
    assert_true(sample("oddzy_bus_messages_coalesced_total{bus=\"inproc\"}") ==
                (double)st.coalesced);
    assert_true(sample("oddzy_bus_requests_rejected_total{bus=\"inproc\"}") == 1);
    atomic_store(&block, 0);

    /* unregistered: the values stay where they were (counters never go back) */
    odz_bus_metrics_unregister(bus);
    odz_bus_publish(bus, "race.2.updated", "{}", 2, "");
    assert_true(sample("oddzy_bus_messages_published_total{bus=\"inproc\"}") ==
                (double)st.published);
    odz_bus_close(bus);
    odz_bus_metrics_unregister(NULL); /* NULL-safe */
    assert_int_equal(odz_bus_metrics_register(NULL), ODZ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_counts_follow_the_bus, metrics_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

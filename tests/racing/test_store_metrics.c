/* Store metrics of the racing service: oddzy_store_op_seconds{op} and
 * oddzy_store_errors_total{op} around every store call, and the oddzy_races_open gauge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "obs/metrics.h"
#include "support/metrics_sample.h"
#include "racing/racing.h"
#include "racing/store_metrics.h"

static double sample(const char *series)
{
    return metrics_sample(series);
}

static void test_timer_records_latency_and_errors(void **state)
{
    (void)state;
    odz_store_timer_start();
    usleep(3000);
    assert_int_equal(odz_store_timer_done("get_race", 0), 0);
    assert_true(sample("oddzy_store_op_seconds_count{op=\"get_race\"}") == 1);
    assert_true(sample("oddzy_store_op_seconds_sum{op=\"get_race\"}") >= 0.003);
    assert_true(sample("oddzy_store_op_seconds_bucket{op=\"get_race\",le=\"0.0025\"}") == 0);
    assert_true(sample("oddzy_store_op_seconds_bucket{op=\"get_race\",le=\"+Inf\"}") == 1);
    /* the error series exists at 0 from the first call */
    assert_true(sample("oddzy_store_errors_total{op=\"get_race\"}") == 0);

    /* the caller's mistakes are not store errors; I/O, memory, timeouts are */
    static const int not_errors[] = {ODZ_ENOTFOUND, ODZ_EINVAL, ODZ_ESTATE};
    for (size_t i = 0; i < 3; i++) {
        odz_store_timer_start();
        assert_int_equal(odz_store_timer_done("get_race", not_errors[i]), not_errors[i]);
    }
    assert_true(sample("oddzy_store_errors_total{op=\"get_race\"}") == 0);
    static const int errors[] = {ODZ_EIO, ODZ_ENOMEM, ODZ_ETIMEOUT};
    for (size_t i = 0; i < 3; i++) {
        odz_store_timer_start();
        assert_int_equal(odz_store_timer_done("get_race", errors[i]), errors[i]);
    }
    assert_true(sample("oddzy_store_errors_total{op=\"get_race\"}") == 3);
    assert_true(sample("oddzy_store_op_seconds_count{op=\"get_race\"}") == 7);
}

/* ---- a store whose every read fails like an unreachable database ---- */

static int broken_get_race(odz_store *s, int64_t id, odz_race *out, char *err)
{
    (void)s;
    (void)id;
    (void)out;
    return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "database is locked");
}

static int broken_next_races(odz_store *s, int64_t now, int limit, int type, odz_races *out,
                             char *err)
{
    (void)s;
    (void)now;
    (void)limit;
    (void)type;
    (void)out;
    return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "database is locked");
}

static const odz_store_ops broken_ops = {
    .name = "broken",
    .get_race = broken_get_race,
    .next_races = broken_next_races,
};

static void test_service_measures_its_store_calls(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN];
    odz_store broken = {.ops = &broken_ops};
    odz_bus *bus = odz_bus_inproc_new();
    odz_racing *r = odz_racing_start(bus, &broken, NULL, err);
    assert_non_null(r);
    json_t *data = NULL, *req = json_pack("{s:i}", "race_id", 7);
    for (int i = 0; i < 3; i++)
        assert_int_equal(odz_racing_call(bus, "get_race", req, 2000, &data, err), ODZ_EIO);
    json_decref(req);
    assert_true(sample("oddzy_store_op_seconds_count{op=\"get_race\"}") == 3);
    assert_true(sample("oddzy_store_errors_total{op=\"get_race\"}") == 3);
    /* the open-races read at start failed too: counted, and no gauge made up */
    assert_true(sample("oddzy_store_errors_total{op=\"next_races\"}") >= 1);
    assert_true(sample("oddzy_races_open") == -1);
    odz_racing_stop(r);
    odz_bus_close(bus);
}

/* ---- open races near the jump, on a real SQLite store ---- */

static void add_race(odz_store *s, int64_t meeting, int number, int64_t start)
{
    char err[ODZ_ERRLEN];
    odz_race r;
    memset(&r, 0, sizeof r);
    r.meeting_id = meeting;
    r.number = number;
    snprintf(r.name, sizeof r.name, "Race %d", number);
    snprintf(r.source_key, sizeof r.source_key, "r%d", number);
    r.distance = 1200;
    r.scheduled_start = start;
    r.status = ODZ_OPEN;
    if (s->ops->add_race(s, &r, err))
        fail_msg("add_race: %s", err);
}

static void test_races_open_gauge(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN];
    odz_store *s = odz_store_sqlite_open(":memory:", err);
    assert_non_null(s);
    odz_meeting m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "Randwick");
    snprintf(m.source_key, sizeof m.source_key, "m1");
    snprintf(m.country, sizeof m.country, "AUS");
    snprintf(m.region, sizeof m.region, "NSW");
    int64_t now = odz_now();
    char day[11];
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    snprintf(m.date, sizeof m.date, "%s", day);
    m.type = ODZ_THOROUGHBRED;
    if (s->ops->add_meeting(s, &m, err))
        fail_msg("add_meeting: %s", err);
    add_race(s, m.id, 1, now - 1800);     /* overdue, still open: counted */
    add_race(s, m.id, 2, now + 600);      /* jumps in 10 minutes: counted */
    add_race(s, m.id, 3, now + 3000);     /* within the hour: counted */
    add_race(s, m.id, 4, now + 4 * 3600); /* later today: not near the jump */
    add_race(s, m.id, 5, now - 3 * 3600); /* long overdue: not counted */

    odz_bus *bus = odz_bus_inproc_new();
    odz_racing *r = odz_racing_start(bus, s, NULL, err); /* refreshes the gauge at once */
    assert_non_null(r);
    assert_true(sample("oddzy_races_open") == 3);
    assert_true(sample("oddzy_store_op_seconds_count{op=\"next_races\"}") >= 1);
    assert_true(sample("oddzy_store_op_seconds_count{op=\"add_race\"}") == -1); /* direct calls */

    /* a racing request is measured by store operation */
    json_t *data = NULL, *req = json_pack("{s:i}", "race_id", 999);
    assert_int_equal(odz_racing_call(bus, "get_race", req, 2000, &data, err), ODZ_ENOTFOUND);
    json_decref(req);
    assert_true(sample("oddzy_store_op_seconds_count{op=\"get_race\"}") == 1);
    assert_true(sample("oddzy_store_errors_total{op=\"get_race\"}") == 0);

    /* refreshes are rate limited: later calls within the period change nothing */
    add_race(s, m.id, 6, now + 60);
    odz_races_open_refresh(s, 0);
    assert_true(sample("oddzy_races_open") == 3);
    odz_races_open_refresh(s, 1);
    assert_true(sample("oddzy_races_open") == 4);

    odz_racing_stop(r);
    odz_bus_close(bus);
    s->ops->close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_timer_records_latency_and_errors, metrics_teardown),
        cmocka_unit_test_teardown(test_service_measures_its_store_calls, metrics_teardown),
        cmocka_unit_test_teardown(test_races_open_gauge, metrics_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

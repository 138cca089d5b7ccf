/* Active-standby scraping (src/scraper/standby.c) against a fake leader (store/leader.h) whose
 * lock the test grants, refuses and takes away. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/model.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "scraper/standby.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What try_lead answers next: 0 refused (another holder), 1 granted, 2 session lost. */
typedef struct {
    odz_leader base;
    atomic_int mode;
    atomic_int tries, releases;
    char name[ODZ_KEY_MAX];
} fake_store;

static int fake_leader_try(odz_leader *st, const char *name, bool *is_leader, char *err)
{
    fake_store *f = (fake_store *)st;
    atomic_fetch_add(&f->tries, 1);
    snprintf(f->name, sizeof f->name, "%s", name);
    int m = atomic_load(&f->mode);
    *is_leader = m == 1;
    if (m == 2)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "database connection lost: test");
    return 0;
}

static int fake_leader_release(odz_leader *st, const char *name, char *err)
{
    (void)name;
    (void)err;
    atomic_fetch_add(&((fake_store *)st)->releases, 1);
    return 0;
}

static const odz_leader_ops fake_ops = {
    .name = "fake",
    .try_lead = fake_leader_try,
    .release = fake_leader_release,
};

static odz_scraper_config config(void)
{
    /* nothing listens on port 1: the scraper runs and its polls fail fast */
    odz_scraper_config c = {.source_url = "http://127.0.0.1:1",
                            .format = "entain",
                            .rate = 50,
                            .timeout_ms = 200,
                            .schedule_interval_s = 60,
                            .max_inflight = 5};
    return c;
}

/* oddzy_scraper_leader of one lock (NULL: the default lock). */
static double leader_gauge_of(const char *lock)
{
    char labels[128];
    snprintf(labels, sizeof labels, "lock=\"%s\"", lock ? lock : ODZ_SCRAPER_LEADER_NAME);
    return odz_metric_value(odz_gauge("oddzy_scraper_leader", "", labels));
}

/* Wait up to ms for odz_standby_is_leader to become want. */
static int wait_leader(odz_standby *s, int want, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (odz_standby_is_leader(s) == want)
            return 1;
        usleep(10000);
    }
    return odz_standby_is_leader(s) == want;
}

static void without_store_always_leader(void **st)
{
    (void)st;
    odz_bus *bus = odz_bus_inproc_new();
    odz_scraper_config c = config();
    char err[ODZ_ERRLEN];
    odz_standby *s = odz_standby_start(bus, NULL, &c, NULL, err);
    assert_non_null(s);
    assert_true(wait_leader(s, 1, 2000));
    assert_int_equal(odz_standby_terms(s), 1);
    assert_true(leader_gauge_of(NULL) == 1);
    odz_standby_stop(s);
    assert_true(leader_gauge_of(NULL) == 0);
    odz_bus_close(bus);
}

/* A process scraping several sources holds one lock a source: each has its own series. */
static void one_leader_series_a_lock(void **st)
{
    (void)st;
    odz_bus *bus = odz_bus_inproc_new();
    odz_scraper_config c = config();
    char err[ODZ_ERRLEN];
    odz_standby_config a = {.lock_name = "oddzy-scraper/ladbrokes"};
    odz_standby_config b = {.lock_name = "oddzy-scraper/neds"};
    odz_standby *sa = odz_standby_start(bus, NULL, &c, &a, err);
    odz_standby *sb = odz_standby_start(bus, NULL, &c, &b, err);
    assert_non_null(sa);
    assert_non_null(sb);
    assert_true(wait_leader(sa, 1, 2000));
    assert_true(wait_leader(sb, 1, 2000));
    assert_true(leader_gauge_of("oddzy-scraper/ladbrokes") == 1);
    assert_true(leader_gauge_of("oddzy-scraper/neds") == 1);
    odz_standby_stop(sa);
    assert_true(leader_gauge_of("oddzy-scraper/ladbrokes") == 0);
    assert_true(leader_gauge_of("oddzy-scraper/neds") == 1);
    odz_standby_stop(sb);
    assert_true(leader_gauge_of("oddzy-scraper/neds") == 0);
    odz_bus_close(bus);
}

static void standby_takes_over_and_steps_down(void **st)
{
    (void)st;
    odz_bus *bus = odz_bus_inproc_new();
    fake_store f = {.base = {&fake_ops}};
    odz_scraper_config c = config();
    odz_standby_config sc = {.lock_name = "test-scraper", .retry_ms = 50, .check_ms = 30};
    char err[ODZ_ERRLEN];
    odz_standby *s = odz_standby_start(bus, &f.base, &c, &sc, err);
    assert_non_null(s);

    /* another holder: keeps trying (every 50 ms; a loaded machine may take longer, so the
     * tries are awaited, not counted after a fixed sleep), never scrapes */
    for (int i = 0; i < 500 && atomic_load(&f.tries) < 3; i++)
        usleep(10000);
    assert_true(atomic_load(&f.tries) >= 3);
    assert_false(odz_standby_is_leader(s));
    assert_string_equal(f.name, "test-scraper");
    assert_true(leader_gauge_of("test-scraper") == 0);

    /* the holder is gone: takes over within a retry */
    atomic_store(&f.mode, 1);
    assert_true(wait_leader(s, 1, 1000));
    assert_int_equal(odz_standby_terms(s), 1);
    assert_true(leader_gauge_of("test-scraper") == 1);
    /* the scraper answers the monitor subjects only while active */
    char *reply = NULL;
    size_t len = 0;
    assert_int_equal(odz_bus_request(bus, "scraper.status", "{}", 2, 1000, "", &reply, &len), 0);
    assert_non_null(strstr(reply, "\"running\":true"));
    free(reply);

    /* the lock's session dies: stops scraping at the next check */
    atomic_store(&f.mode, 2);
    assert_true(wait_leader(s, 0, 1000));
    assert_true(leader_gauge_of("test-scraper") == 0);
    reply = NULL;
    assert_int_equal(odz_bus_request(bus, "scraper.status", "{}", 2, 200, "", &reply, &len),
                     ODZ_ENORESP);
    free(reply);

    /* the database is back and the lock free again: a second term */
    atomic_store(&f.mode, 1);
    assert_true(wait_leader(s, 1, 1000));
    assert_int_equal(odz_standby_terms(s), 2);

    odz_standby_stop(s); /* gives the lock up so a standby need not wait */
    assert_true(atomic_load(&f.releases) >= 1);
    odz_bus_close(bus);
}

static void bad_config_refused(void **st)
{
    (void)st;
    odz_bus *bus = odz_bus_inproc_new();
    odz_scraper_config c = config();
    c.format = "nope";
    char err[ODZ_ERRLEN] = "";
    assert_null(odz_standby_start(bus, NULL, &c, NULL, err));
    assert_non_null(strstr(err, "format"));
    c = config();
    c.source_url = "ftp://x";
    assert_null(odz_standby_start(bus, NULL, &c, NULL, err));
    odz_standby_config sc = {.lock_name = ""};
    c = config();
    assert_null(odz_standby_start(bus, NULL, &c, &sc, err));
    odz_bus_close(bus);
}

int main(void)
{
    odz_log_init("scraper", ODZ_LOG_ERROR, 1, stderr);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_store_always_leader),
        cmocka_unit_test(one_leader_series_a_lock),
        cmocka_unit_test(standby_takes_over_and_steps_down),
        cmocka_unit_test(bad_config_refused),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    odz_metrics_free_all();
    return rc;
}

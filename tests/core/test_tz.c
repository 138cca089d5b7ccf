/* Race days and day bounds in IANA zones: known instants around the 2026 clock changes (values
 * from `TZ=<zone> date`), and the same conversions from many threads at once (run under ASan
 * in make test and, as build/tsan/tests/core/test_tz, under ThreadSanitizer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"

typedef struct {
    const char *zone;
    int64_t t;
    const char *day;
} day_case;

/* Every instant in every zone: local midnights and clock changes of 2026 in the four zones
 * (Sydney and Auckland: April and September/October; London and New York: March and
 * October/November) and two instants in 2040, beyond the transitions listed in the files. */
static const day_case days[] = {
    {"Australia/Sydney", 1775307599, "2026-04-04"}, /* 23:59:59 AEDT */
    {"Australia/Sydney", 1775307600, "2026-04-05"}, /* 00:00:00 AEDT */
    {"Australia/Sydney", 1775397599, "2026-04-05"}, /* 23:59:59 AEST */
    {"Australia/Sydney", 1775397600, "2026-04-06"}, /* 00:00:00 AEST */
    {"Australia/Sydney", 1775318400, "2026-04-05"}, /* 02:00:00 AEST */
    {"Australia/Sydney", 1791036000, "2026-10-04"}, /* 00:00:00 AEST */
    {"Australia/Sydney", 1791043200, "2026-10-04"}, /* 03:00:00 AEDT */
    {"Australia/Sydney", 1774746000, "2026-03-29"}, /* 12:00:00 AEDT */
    {"Australia/Sydney", 1774825199, "2026-03-30"}, /* 09:59:59 AEDT */
    {"Australia/Sydney", 1774825200, "2026-03-30"}, /* 10:00:00 AEDT */
    {"Australia/Sydney", 1792882799, "2026-10-25"}, /* 09:59:59 AEDT */
    {"Australia/Sydney", 1792972799, "2026-10-26"}, /* 10:59:59 AEDT */
    {"Australia/Sydney", 1772946000, "2026-03-08"}, /* 16:00:00 AEDT */
    {"Australia/Sydney", 1772953200, "2026-03-08"}, /* 18:00:00 AEDT */
    {"Australia/Sydney", 1773028800, "2026-03-09"}, /* 15:00:00 AEDT */
    {"Australia/Sydney", 1793505600, "2026-11-01"}, /* 15:00:00 AEDT */
    {"Australia/Sydney", 1793595599, "2026-11-02"}, /* 15:59:59 AEDT */
    {"Australia/Sydney", 1790424000, "2026-09-26"}, /* 22:00:00 AEST */
    {"Australia/Sydney", 1790506799, "2026-09-27"}, /* 20:59:59 AEST */
    {"Australia/Sydney", 2216851200, "2040-04-01"}, /* 10:00:00 AEST */
    {"Australia/Sydney", 2232576000, "2040-09-30"}, /* 10:00:00 AEST */
    {"Europe/London", 1775307599, "2026-04-04"}, /* 13:59:59 BST */
    {"Europe/London", 1775307600, "2026-04-04"}, /* 14:00:00 BST */
    {"Europe/London", 1775397599, "2026-04-05"}, /* 14:59:59 BST */
    {"Europe/London", 1775397600, "2026-04-05"}, /* 15:00:00 BST */
    {"Europe/London", 1775318400, "2026-04-04"}, /* 17:00:00 BST */
    {"Europe/London", 1791036000, "2026-10-03"}, /* 15:00:00 BST */
    {"Europe/London", 1791043200, "2026-10-03"}, /* 17:00:00 BST */
    {"Europe/London", 1774746000, "2026-03-29"}, /* 02:00:00 BST */
    {"Europe/London", 1774825199, "2026-03-29"}, /* 23:59:59 BST */
    {"Europe/London", 1774825200, "2026-03-30"}, /* 00:00:00 BST */
    {"Europe/London", 1792882799, "2026-10-24"}, /* 23:59:59 BST */
    {"Europe/London", 1792972799, "2026-10-25"}, /* 23:59:59 GMT */
    {"Europe/London", 1772946000, "2026-03-08"}, /* 05:00:00 GMT */
    {"Europe/London", 1772953200, "2026-03-08"}, /* 07:00:00 GMT */
    {"Europe/London", 1773028800, "2026-03-09"}, /* 04:00:00 GMT */
    {"Europe/London", 1793505600, "2026-11-01"}, /* 04:00:00 GMT */
    {"Europe/London", 1793595599, "2026-11-02"}, /* 04:59:59 GMT */
    {"Europe/London", 1790424000, "2026-09-26"}, /* 13:00:00 BST */
    {"Europe/London", 1790506799, "2026-09-27"}, /* 11:59:59 BST */
    {"Europe/London", 2216851200, "2040-04-01"}, /* 01:00:00 BST */
    {"Europe/London", 2232576000, "2040-09-30"}, /* 01:00:00 BST */
    {"America/New_York", 1775307599, "2026-04-04"}, /* 08:59:59 EDT */
    {"America/New_York", 1775307600, "2026-04-04"}, /* 09:00:00 EDT */
    {"America/New_York", 1775397599, "2026-04-05"}, /* 09:59:59 EDT */
    {"America/New_York", 1775397600, "2026-04-05"}, /* 10:00:00 EDT */
    {"America/New_York", 1775318400, "2026-04-04"}, /* 12:00:00 EDT */
    {"America/New_York", 1791036000, "2026-10-03"}, /* 10:00:00 EDT */
    {"America/New_York", 1791043200, "2026-10-03"}, /* 12:00:00 EDT */
    {"America/New_York", 1774746000, "2026-03-28"}, /* 21:00:00 EDT */
    {"America/New_York", 1774825199, "2026-03-29"}, /* 18:59:59 EDT */
    {"America/New_York", 1774825200, "2026-03-29"}, /* 19:00:00 EDT */
    {"America/New_York", 1792882799, "2026-10-24"}, /* 18:59:59 EDT */
    {"America/New_York", 1792972799, "2026-10-25"}, /* 19:59:59 EDT */
    {"America/New_York", 1772946000, "2026-03-08"}, /* 00:00:00 EST */
    {"America/New_York", 1772953200, "2026-03-08"}, /* 03:00:00 EDT */
    {"America/New_York", 1773028800, "2026-03-09"}, /* 00:00:00 EDT */
    {"America/New_York", 1793505600, "2026-11-01"}, /* 00:00:00 EDT */
    {"America/New_York", 1793595599, "2026-11-01"}, /* 23:59:59 EST */
    {"America/New_York", 1790424000, "2026-09-26"}, /* 08:00:00 EDT */
    {"America/New_York", 1790506799, "2026-09-27"}, /* 06:59:59 EDT */
    {"America/New_York", 2216851200, "2040-03-31"}, /* 20:00:00 EDT */
    {"America/New_York", 2232576000, "2040-09-29"}, /* 20:00:00 EDT */
    {"Pacific/Auckland", 1775307599, "2026-04-05"}, /* 01:59:59 NZDT */
    {"Pacific/Auckland", 1775307600, "2026-04-05"}, /* 02:00:00 NZDT */
    {"Pacific/Auckland", 1775397599, "2026-04-06"}, /* 01:59:59 NZST */
    {"Pacific/Auckland", 1775397600, "2026-04-06"}, /* 02:00:00 NZST */
    {"Pacific/Auckland", 1775318400, "2026-04-05"}, /* 04:00:00 NZST */
    {"Pacific/Auckland", 1791036000, "2026-10-04"}, /* 03:00:00 NZDT */
    {"Pacific/Auckland", 1791043200, "2026-10-04"}, /* 05:00:00 NZDT */
    {"Pacific/Auckland", 1774746000, "2026-03-29"}, /* 14:00:00 NZDT */
    {"Pacific/Auckland", 1774825199, "2026-03-30"}, /* 11:59:59 NZDT */
    {"Pacific/Auckland", 1774825200, "2026-03-30"}, /* 12:00:00 NZDT */
    {"Pacific/Auckland", 1792882799, "2026-10-25"}, /* 11:59:59 NZDT */
    {"Pacific/Auckland", 1792972799, "2026-10-26"}, /* 12:59:59 NZDT */
    {"Pacific/Auckland", 1772946000, "2026-03-08"}, /* 18:00:00 NZDT */
    {"Pacific/Auckland", 1772953200, "2026-03-08"}, /* 20:00:00 NZDT */
    {"Pacific/Auckland", 1773028800, "2026-03-09"}, /* 17:00:00 NZDT */
    {"Pacific/Auckland", 1793505600, "2026-11-01"}, /* 17:00:00 NZDT */
    {"Pacific/Auckland", 1793595599, "2026-11-02"}, /* 17:59:59 NZDT */
    {"Pacific/Auckland", 1790424000, "2026-09-27"}, /* 00:00:00 NZST */
    {"Pacific/Auckland", 1790506799, "2026-09-27"}, /* 23:59:59 NZDT */
    {"Pacific/Auckland", 2216851200, "2040-04-01"}, /* 12:00:00 NZST */
    {"Pacific/Auckland", 2232576000, "2040-09-30"}, /* 13:00:00 NZDT */
};

typedef struct {
    const char *zone;
    const char *date;
    int64_t start, end;
} bounds_case;

/* The days of the clock changes: 23 or 25 hours long. */
static const bounds_case bounds[] = {
    {"Australia/Sydney", "2026-04-05", 1775307600, 1775397600},
    {"Australia/Sydney", "2026-10-04", 1791036000, 1791118800},
    {"Europe/London", "2026-03-29", 1774742400, 1774825200},
    {"Europe/London", "2026-10-25", 1792882800, 1792972800},
    {"America/New_York", "2026-03-08", 1772946000, 1773028800},
    {"America/New_York", "2026-11-01", 1793505600, 1793595600},
    {"Pacific/Auckland", "2026-04-05", 1775300400, 1775390400},
    {"Pacific/Auckland", "2026-09-27", 1790424000, 1790506800},
};

#define NDAYS (sizeof days / sizeof days[0])
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

static int check_all(char *why, size_t whylen)
{
    for (size_t i = 0; i < NDAYS; i++) {
        char d[11];
        int rc = odz_race_day(days[i].t, days[i].zone, d);
        if (rc != 0 || strcmp(d, days[i].day) != 0) {
            snprintf(why, whylen, "race day of %lld in %s: rc %d, %s (want %s)",
                     (long long)days[i].t, days[i].zone, rc, rc ? "-" : d, days[i].day);
            return -1;
        }
    }
    for (size_t i = 0; i < NBOUNDS; i++) {
        int64_t a = 0, b = 0;
        int rc = odz_day_bounds(bounds[i].date, bounds[i].zone, &a, &b);
        if (rc != 0 || a != bounds[i].start || b != bounds[i].end) {
            snprintf(why, whylen, "bounds of %s in %s: rc %d, [%lld, %lld) (want [%lld, %lld))",
                     bounds[i].date, bounds[i].zone, rc, (long long)a, (long long)b,
                     (long long)bounds[i].start, (long long)bounds[i].end);
            return -1;
        }
    }
    return 0;
}

static void known_instants_across_clock_changes(void **st)
{
    (void)st;
    char why[256] = "";
    int rc = check_all(why, sizeof why);
    if (rc)
        fail_msg("%s", why);
}

static void day_bounds_agree_with_race_days(void **st)
{
    (void)st;
    for (size_t i = 0; i < NBOUNDS; i++) {
        int64_t a, b;
        char d[11];
        assert_int_equal(odz_day_bounds(bounds[i].date, bounds[i].zone, &a, &b), 0);
        assert_int_equal(odz_race_day(a, bounds[i].zone, d), 0);
        assert_string_equal(d, bounds[i].date);
        assert_int_equal(odz_race_day(b - 1, bounds[i].zone, d), 0);
        assert_string_equal(d, bounds[i].date);
        assert_int_equal(odz_race_day(a - 1, bounds[i].zone, d), 0);
        assert_string_not_equal(d, bounds[i].date);
        assert_int_equal(odz_race_day(b, bounds[i].zone, d), 0);
        assert_string_not_equal(d, bounds[i].date);
    }
}

static void bad_zones_are_refused_and_nothing_changes(void **st)
{
    (void)st;
    char d[11] = "unchanged!";
    int64_t a = 7, b = 8;
    const char *bad[] = {"Not/AZone", "../etc/passwd", "/etc/localtime", "", "ABC-10",
                         "+10:00", "Australia/Sydney ", "Australia", "zoneinfo/../UTC",
                         "Australia/Sydney/x",
                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(odz_race_day(0, bad[i], d), ODZ_EINVAL);
        assert_int_equal(odz_day_bounds("2026-04-05", bad[i], &a, &b), ODZ_EINVAL);
    }
    assert_string_equal(d, "unchanged!");
    assert_int_equal(a, 7);
    assert_int_equal(b, 8);
    assert_null(getenv("TZ")); /* the process environment is never touched */
    assert_int_equal(odz_day_bounds("2026-02-30", "UTC", &a, &b), ODZ_EINVAL);
    assert_int_equal(odz_day_bounds("2026-04-05", "UTC", &a, &b), 0);
    assert_int_equal(b - a, 86400);
}

/* More distinct zones than the table holds: the ones past the bound are still right. */
static void more_zones_than_the_cache_holds(void **st)
{
    (void)st;
    char d[11], name[32];
    for (int h = 1; h <= 12; h++) {
        for (int sign = 0; sign < 2; sign++) {
            snprintf(name, sizeof name, "Etc/GMT%c%d", sign ? '-' : '+', h);
            /* Etc/GMT+h is h hours behind UTC: 2026-01-01 00:00 UTC is still Dec 31. */
            assert_int_equal(odz_race_day(1767225600, name, d), 0);
            assert_string_equal(d, sign ? "2026-01-01" : "2025-12-31");
        }
    }
    char why[256] = "";
    if (check_all(why, sizeof why))
        fail_msg("%s", why);
}

#define THREADS 8
#define ROUNDS 200

typedef struct {
    int idx;
    int failed;
    char why[256];
} worker;

static void *convert_loop(void *arg)
{
    worker *w = arg;
    for (int r = 0; r < ROUNDS && !w->failed; r++) {
        /* each thread starts at another case, so first loads of a zone happen concurrently */
        size_t i = ((size_t)w->idx * 7 + (size_t)r) % NDAYS;
        char d[11];
        if (odz_race_day(days[i].t, days[i].zone, d) != 0 || strcmp(d, days[i].day) != 0) {
            snprintf(w->why, sizeof w->why, "thread %d: %s at %lld", w->idx, days[i].zone,
                     (long long)days[i].t);
            w->failed = 1;
        }
        if (r % 20 == 0 && check_all(w->why, sizeof w->why))
            w->failed = 1;
    }
    return NULL;
}

/* Another library's thread (libcurl, libpq) reading the environment meanwhile: TZ must never
 * appear, as it did while conversions switched the process zone with setenv. */
static atomic_int converting;
static atomic_int tz_seen;

static void *watch_env(void *arg)
{
    (void)arg;
    while (atomic_load(&converting))
        if (getenv("TZ"))
            atomic_store(&tz_seen, 1);
    return NULL;
}

static void many_threads_at_once(void **st)
{
    (void)st;
    pthread_t th[THREADS], watcher;
    worker w[THREADS];
    memset(w, 0, sizeof w);
    atomic_store(&converting, 1);
    assert_int_equal(pthread_create(&watcher, NULL, watch_env, NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        w[i].idx = i;
        assert_int_equal(pthread_create(&th[i], NULL, convert_loop, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    atomic_store(&converting, 0);
    pthread_join(watcher, NULL);
    for (int i = 0; i < THREADS; i++)
        if (w[i].failed)
            fail_msg("%s", w[i].why);
    assert_int_equal(atomic_load(&tz_seen), 0);
}

int main(void)
{
    /* the threaded test comes first, so that it is the one that loads every zone */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_threads_at_once),
        cmocka_unit_test(known_instants_across_clock_changes),
        cmocka_unit_test(day_bounds_agree_with_race_days),
        cmocka_unit_test(bad_zones_are_refused_and_nothing_changes),
        cmocka_unit_test(more_zones_than_the_cache_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

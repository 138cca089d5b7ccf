/* The poll schedule with a fake clock: every rule of the original, band edges, backoff,
 * retries within a budget, which race goes first, the window roll at midnight of the race day,
 * and the rate limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "scraper/schedule.h"

#define H 3600
#define M 60
static const int64_t START = 1795620000; /* a race's scheduled start */

static void intervals_by_distance_to_start(void **st)
{
    (void)st;
    assert_int_equal(odz_poll_interval(START, START - 3 * 86400), 6 * H);
    assert_int_equal(odz_poll_interval(START, START - 12 * H - 1), 6 * H);
    assert_int_equal(odz_poll_interval(START, START - 12 * H), H);
    assert_int_equal(odz_poll_interval(START, START - 2 * H), H);
    assert_int_equal(odz_poll_interval(START, START - H), 10 * M);
    assert_int_equal(odz_poll_interval(START, START - 30 * M), 10 * M);
    assert_int_equal(odz_poll_interval(START, START - 5 * M), 30);
    assert_int_equal(odz_poll_interval(START, START - 10), 30);
    assert_int_equal(odz_poll_interval(START, START), 60); /* overdue */
    assert_int_equal(odz_poll_interval(START, START + 15 * M), 60);
}

static void next_poll_follows_the_rules(void **st)
{
    (void)st;
    /* never polled: now */
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, 0), 1);
    /* days away: every 6 h */
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, START - 3 * 86400), START - 3 * 86400 + 6 * H);
    /* crossing into the 12 h band: poll at the edge, not 6 h later */
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, START - 14 * H), START - 12 * H);
    /* 1 to 12 h: hourly */
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, START - 5 * H), START - 4 * H);
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, START - 90 * M), START - H);
    /* under 1 h: every 10 min, and into the last 5 minutes on time */
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, START - 50 * M), START - 40 * M);
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, START - 12 * M), START - 5 * M);
    /* the last minutes: every 30 s, and exactly at the scheduled start */
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, START - 4 * M), START - 4 * M + 30);
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, START - 20), START);
    /* overdue and not final: every 60 s, whatever the status */
    assert_int_equal(odz_poll_next(START, ODZ_OPEN, START + 10), START + 70);
    assert_int_equal(odz_poll_next(START, ODZ_CLOSED, START + 100), START + 160);
    assert_int_equal(odz_poll_next(START, ODZ_INTERIM, START + 200), START + 260);
    /* final or abandoned: no more polls */
    assert_int_equal(odz_poll_next(START, ODZ_FINAL, START + 300), 0);
    assert_int_equal(odz_poll_next(START, ODZ_ABANDONED, START - H), 0);
}

static void a_day_of_polls_for_one_race(void **st)
{
    (void)st;
    /* walk the schedule with a fake clock from two days out to the result */
    int64_t t = START - 2 * 86400, last = 0;
    int polls = 0, near_jump = 0, overdue = 0;
    odz_race_status s = ODZ_OPEN;
    while (polls < 1000) {
        int64_t next = odz_poll_next(START, s, last);
        if (!next)
            break;
        t = next > t ? next : t;
        last = t;
        polls++;
        if (t >= START - 5 * M && t < START)
            near_jump++;
        if (t >= START)
            overdue++;
        if (t >= START + 4 * M)
            s = ODZ_FINAL; /* the source says final 4 minutes after the jump */
    }
    assert_true(polls < 60);         /* not hammering the source */
    assert_int_equal(near_jump, 10); /* 30 s apart in the last 5 minutes */
    assert_int_equal(overdue, 5);    /* at the start, then every minute until final */
}

static void backoff_grows_with_jitter_and_cap(void **st)
{
    (void)st;
    assert_int_equal(odz_backoff(1, 5, 300, 0.5), 5);
    assert_int_equal(odz_backoff(2, 5, 300, 0.5), 10);
    assert_int_equal(odz_backoff(3, 5, 300, 0.5), 20);
    assert_int_equal(odz_backoff(20, 5, 300, 0.5), 300);
    assert_int_equal(odz_backoff(1, 10, 300, 0.0), 5);   /* jitter low end: x0.5 */
    assert_int_equal(odz_backoff(1, 10, 300, 0.99), 14); /* high end: x1.49 */
    assert_int_equal(odz_backoff(0, 10, 300, 0.5), 10);
}

static void retries_within_a_budget_then_the_regular_schedule(void **st)
{
    (void)st;
    /* a race that has run and has no result yet: regular polls every 60 s */
    int64_t now = START + 10 * M;
    assert_int_equal(odz_poll_retry(START, ODZ_INTERIM, 1, now, 0.5), now + 5);
    assert_int_equal(odz_poll_retry(START, ODZ_INTERIM, 2, now, 0.5), now + 10);
    assert_int_equal(odz_poll_retry(START, ODZ_INTERIM, 3, now, 0.5), now + 20);
    assert_int_equal(odz_poll_retry(START, ODZ_INTERIM, 4, now, 0.5), now + 40);
    assert_int_equal(odz_poll_retry(START, ODZ_INTERIM, 4, now, 0.99), now + 59);
    /* budget spent: polled every 60 s, never given up, never faster */
    for (int f = ODZ_RETRY_BUDGET + 1; f < 1000; f += 97)
        assert_int_equal(odz_poll_retry(START, ODZ_OPEN, f, now, 0.0), now + 60);
    /* days away: quick retries within the budget, then back to the 6-hourly poll */
    int64_t far = START - 3 * 86400;
    assert_int_equal(odz_poll_retry(START, ODZ_OPEN, 1, far, 0.5), far + 5);
    assert_int_equal(odz_poll_retry(START, ODZ_OPEN, ODZ_RETRY_BUDGET + 1, far, 0.5), far + 6 * H);
    /* near the jump the regular poll (30 s, and the start itself) caps the retry */
    assert_int_equal(odz_poll_retry(START, ODZ_OPEN, 4, START - 10, 0.5), START);
    assert_int_equal(odz_poll_retry(START, ODZ_OPEN, 9, START - 4 * M, 0.5), START - 4 * M + 30);
    /* resolved races are not polled again */
    assert_int_equal(odz_poll_retry(START, ODZ_FINAL, 1, now, 0.5), 0);
    assert_int_equal(odz_poll_retry(START, ODZ_ABANDONED, 9, now, 0.5), 0);
}

static void nearest_races_rank_first(void **st)
{
    (void)st;
    int64_t now = START;
    int64_t jumping = odz_poll_rank(START + 2 * M, now),
            running = odz_poll_rank(START - 3 * M, now), soon = odz_poll_rank(START + 50 * M, now),
            later = odz_poll_rank(START + 3 * H, now),
            tomorrow = odz_poll_rank(START + 30 * H, now),
            yesterday = odz_poll_rank(START - 20 * H, now),
            last_week = odz_poll_rank(START - 7 * 86400, now);
    /* the races of the moment, nearest first */
    assert_true(jumping < running);
    assert_true(running < soon);
    /* results owed, however old, before the routine polls of races hours away */
    assert_true(soon < yesterday);
    assert_true(yesterday < last_week);
    assert_true(last_week < later);
    assert_true(later < tomorrow);
}

static void unresolved_races_stay_queued_however_old(void **st)
{
    (void)st;
    int64_t now = START;
    /* resolved: kept two days after the start (the schedule still lists it), then forgotten */
    assert_true(odz_poll_keep(START - H, true, now));
    assert_true(odz_poll_keep(START - 2 * 86400, true, now));
    assert_false(odz_poll_keep(START - 2 * 86400 - 1, true, now));
    /* not resolved: never dropped for age */
    assert_true(odz_poll_keep(START - 2 * 86400 - 1, false, now));
    assert_true(odz_poll_keep(START - 30 * 86400, false, now));
    assert_true(odz_poll_keep(START + 3 * 86400, false, now));
}

static void a_final_card_without_results_is_polled_again(void **st)
{
    (void)st;
    assert_int_equal(odz_poll_card_status(ODZ_FINAL, 0), ODZ_INTERIM);
    assert_int_equal(odz_poll_next(START, odz_poll_card_status(ODZ_FINAL, 0), START + 600),
                     START + 660);
    assert_int_equal(odz_poll_card_status(ODZ_FINAL, 3), ODZ_FINAL);
    assert_int_equal(odz_poll_next(START, odz_poll_card_status(ODZ_FINAL, 3), START + 600), 0);
    assert_int_equal(odz_poll_card_status(ODZ_ABANDONED, 0), ODZ_ABANDONED);
    assert_int_equal(odz_poll_card_status(ODZ_INTERIM, 0), ODZ_INTERIM);
    assert_int_equal(odz_poll_card_status(ODZ_OPEN, 0), ODZ_OPEN);
}

static void window_rolls_at_midnight_sydney(void **st)
{
    (void)st;
    char a[11], b[11];
    /* 2026-11-26 23:59:59 AEDT = 12:59:59 UTC */
    assert_int_equal(odz_poll_window(1795697999, NULL, a, b), 0);
    assert_string_equal(a, "2026-11-25");
    assert_string_equal(b, "2026-11-28");
    assert_int_equal(odz_poll_window(1795698000, NULL, a, b), 0); /* midnight */
    assert_string_equal(a, "2026-11-26");
    assert_string_equal(b, "2026-11-29");
}

static void rate_limit_spaces_requests(void **st)
{
    (void)st;
    odz_rate_limit r;
    odz_rate_init(&r, 1.0, 1.0, 1000);
    assert_int_equal(odz_rate_take(&r, 1000), 0);
    int64_t w = odz_rate_take(&r, 1000);
    assert_true(w >= 999 && w <= 1001);
    assert_true(odz_rate_take(&r, 1500) > 0);
    assert_int_equal(odz_rate_take(&r, 2001), 0);
    /* 10 a second with a burst of 5: 5 at once, then one per 100 ms */
    odz_rate_init(&r, 10.0, 5.0, 0);
    int ok = 0;
    for (int i = 0; i < 20; i++)
        ok += odz_rate_take(&r, 0) == 0;
    assert_int_equal(ok, 5);
    assert_int_equal(odz_rate_take(&r, 100), 0);
    assert_true(odz_rate_take(&r, 100) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(intervals_by_distance_to_start),
        cmocka_unit_test(next_poll_follows_the_rules),
        cmocka_unit_test(a_day_of_polls_for_one_race),
        cmocka_unit_test(backoff_grows_with_jitter_and_cap),
        cmocka_unit_test(retries_within_a_budget_then_the_regular_schedule),
        cmocka_unit_test(nearest_races_rank_first),
        cmocka_unit_test(unresolved_races_stay_queued_however_old),
        cmocka_unit_test(a_final_card_without_results_is_polled_again),
        cmocka_unit_test(window_rolls_at_midnight_sydney),
        cmocka_unit_test(rate_limit_spaces_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

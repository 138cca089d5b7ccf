/* The shared thread helpers of core/: a timed wait ends at its monotonic deadline, a raised stop
 * wakes a sleeping thread at once, and the ring of recent ids forgets the oldest first and
 * does not let a repeated id push another out; only a lowered background thread yields at its
 * seams, and only while the process lowers background threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>

#include "core/clock.h"
#include "core/recent.h"
#include "core/wait.h"

static void timed_wait_ends_at_the_deadline(void **state)
{
    (void)state;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c;
    assert_int_equal(odz_cond_init_mono(&c), 0);
    pthread_mutex_lock(&m);
    int64_t t0 = odz_mono_ms();
    int rc = 0;
    while (rc != ETIMEDOUT)
        rc = odz_cond_wait_until(&c, &m, t0 + 50);
    int64_t took = odz_mono_ms() - t0;
    assert_true(took >= 50);
    assert_true(took < 5000);
    /* a deadline already past answers at once */
    assert_int_equal(odz_cond_wait_until(&c, &m, t0 - 1000), ETIMEDOUT);
    pthread_mutex_unlock(&m);
    pthread_cond_destroy(&c);
}

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop, timed_out;
    int64_t woke_after;
} sleeper;

static void *sleep_until_stopped(void *arg)
{
    sleeper *s = arg;
    int64_t t0 = odz_mono_ms();
    pthread_mutex_lock(&s->lock);
    while (!s->stop)
        if (odz_cond_wait_until(&s->wake, &s->lock, t0 + 60000) == ETIMEDOUT) {
            s->timed_out = true; /* a wake-up not on the monotonic clock ends here at once */
            break;
        }
    pthread_mutex_unlock(&s->lock);
    s->woke_after = odz_mono_ms() - t0;
    return NULL;
}

static void stop_wakes_the_sleeper(void **state)
{
    (void)state;
    sleeper s = {0};
    pthread_t t;
    /* odz_thread_start sets up the lock and the monotonic wake-up, then starts the thread */
    assert_int_equal(odz_thread_start(&t, &s.lock, &s.wake, sleep_until_stopped, &s), 0);
    assert_false(odz_stop_seen(&s.lock, &s.stop));
    odz_stop_raise(&s.lock, &s.wake, &s.stop);
    pthread_join(t, NULL);
    assert_true(odz_stop_seen(&s.lock, &s.stop));
    assert_true(s.woke_after < 30000); /* woken, not timed out after a minute */
    assert_false(s.timed_out);
    pthread_cond_destroy(&s.wake);
    pthread_mutex_destroy(&s.lock);
}

static void recent_ring_forgets_the_oldest(void **state)
{
    (void)state;
    int64_t ring[3] = {0};
    size_t at = 0;
    assert_false(odz_recent_has(ring, 3, 7));
    odz_recent_note(ring, 3, &at, 7);
    odz_recent_note(ring, 3, &at, 8);
    odz_recent_note(ring, 3, &at, 7); /* already there: nothing moves */
    odz_recent_note(ring, 3, &at, 9);
    assert_true(odz_recent_has(ring, 3, 7));
    assert_true(odz_recent_has(ring, 3, 8));
    assert_true(odz_recent_has(ring, 3, 9));
    odz_recent_note(ring, 3, &at, 10); /* full: 7, the oldest, goes */
    assert_false(odz_recent_has(ring, 3, 7));
    assert_true(odz_recent_has(ring, 3, 8));
    assert_true(odz_recent_has(ring, 3, 10));
    odz_recent_note(ring, 3, &at, 11); /* then 8 */
    assert_false(odz_recent_has(ring, 3, 8));
    assert_true(odz_recent_has(ring, 3, 9));
    assert_true(at < 3);
}

typedef struct {
    bool yielded_before, yielded;
    int nice_before, nice_after;
} lowered_run;

static void *lowered_thread(void *arg)
{
    lowered_run *r = arg;
    r->yielded_before = odz_thread_yield(); /* not lowered yet */
    r->nice_before = getpriority(PRIO_PROCESS, 0);
    odz_thread_background("odz-test");
    r->nice_after = getpriority(PRIO_PROCESS, 0);
    r->yielded = odz_thread_yield();
    return NULL;
}

static lowered_run run_lowered(int nice)
{
    odz_thread_set_background_nice(nice);
    lowered_run r = {0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, lowered_thread, &r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    odz_thread_set_background_nice(0);
    return r;
}

static void only_lowered_threads_yield(void **state)
{
    (void)state;
    /* the thread that answers requests never yields, whatever the setting */
    odz_thread_set_background_nice(10);
    assert_false(odz_thread_yield());
    odz_thread_set_background_nice(0);

    lowered_run r = run_lowered(10);
    assert_false(r.yielded_before);
    assert_true(r.yielded);
    assert_int_equal(r.nice_after, r.nice_before + 10 > 19 ? 19 : r.nice_before + 10);

    /* --background-nice 0: every thread on a par, so no yields either */
    r = run_lowered(0);
    assert_false(r.yielded);
    assert_int_equal(r.nice_after, r.nice_before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timed_wait_ends_at_the_deadline),
        cmocka_unit_test(stop_wakes_the_sleeper),
        cmocka_unit_test(recent_ring_forgets_the_oldest),
        cmocka_unit_test(only_lowered_threads_yield),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

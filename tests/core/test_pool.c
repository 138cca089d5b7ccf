/* The bounded worker pool: jobs run on a fixed set of threads, in due order, a full queue is
 * refused at once, and jobs still waiting at free are cancelled, not lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/pool.h"

typedef struct {
    atomic_int ran, cancelled, order[8], next;
    atomic_int gate;
} rec;

typedef struct {
    rec *r;
    int id;
} item;

static void job(void *arg, int status)
{
    item *it = arg;
    while (status == 0 && !atomic_load(&it->r->gate))
        usleep(1000);
    if (status == 0) {
        int k = atomic_fetch_add(&it->r->next, 1);
        if (k < 8)
            atomic_store(&it->r->order[k], it->id);
        atomic_fetch_add(&it->r->ran, 1);
    } else {
        atomic_fetch_add(&it->r->cancelled, 1);
    }
}

static void wait_ran(rec *r, int n)
{
    for (int i = 0; i < 1000 && atomic_load(&r->ran) < n; i++)
        usleep(2000);
}

static void runs_in_due_order(void **st)
{
    (void)st;
    rec r = {.gate = 1};
    odz_pool *p = odz_pool_new(1, 8);
    assert_non_null(p);
    item a = {&r, 1}, b = {&r, 2}, c = {&r, 3};
    assert_int_equal(odz_pool_submit(p, 150, job, &a), 0);
    assert_int_equal(odz_pool_submit(p, 50, job, &b), 0);
    assert_int_equal(odz_pool_submit(p, 0, job, &c), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wait_ran(&r, 3);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_int_equal(atomic_load(&r.ran), 3);
    assert_true(ms >= 140);
    assert_int_equal(atomic_load(&r.order[0]), 3);
    assert_int_equal(atomic_load(&r.order[1]), 2);
    assert_int_equal(atomic_load(&r.order[2]), 1);
    odz_pool_free(p);
}

static void full_queue_refused_and_free_cancels(void **st)
{
    (void)st;
    rec r = {.gate = 0};
    odz_pool *p = odz_pool_new(2, 3);
    item it[8];
    for (int i = 0; i < 8; i++)
        it[i] = (item){&r, i};
    /* two run (held by the gate), three wait, the sixth is refused */
    assert_int_equal(odz_pool_submit(p, 0, job, &it[0]), 0);
    assert_int_equal(odz_pool_submit(p, 0, job, &it[1]), 0);
    for (int i = 0; i < 200 && odz_pool_queued(p) > 0; i++)
        usleep(1000);
    for (int i = 2; i < 5; i++)
        assert_int_equal(odz_pool_submit(p, 0, job, &it[i]), 0);
    assert_int_equal(odz_pool_submit(p, 0, job, &it[5]), ODZ_EFULL);
    assert_int_equal(odz_pool_queued(p), 3);
    assert_int_equal(odz_pool_submit(p, -1, job, &it[6]), ODZ_EINVAL);
    atomic_store(&r.gate, 1);
    wait_ran(&r, 5);
    assert_int_equal(atomic_load(&r.ran), 5);
    /* a job due later is still waiting at free: it is called with ODZ_ECLOSED */
    assert_int_equal(odz_pool_submit(p, 60000, job, &it[7]), 0);
    odz_pool_free(p);
    assert_int_equal(atomic_load(&r.cancelled), 1);
    assert_null(odz_pool_new(0, 1));
    assert_null(odz_pool_new(1, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_in_due_order),
        cmocka_unit_test(full_queue_refused_and_free_cancels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The timer wheel hands a tick only the items due by then: an item is looked at when it is
 * due (or once a lap when it is due further away), one scheduled sooner moves, and one
 * removed while a tick hands out its slot is not handed out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "core/wheel.h"

#define N 100

/* One tick at `now`: the indexes (into items) handed out, in `out`; their count. */
static int tick(odz_wheel *w, odz_wheel_link *items, int64_t now, int *out)
{
    odz_wheel_link list;
    odz_wheel_list_init(&list);
    odz_wheel_take(w, now, &list);
    int n = 0;
    for (odz_wheel_link *e; (e = odz_wheel_pop(w, &list, now));)
        out[n++] = (int)(e - items);
    return n;
}

static void only_due_items_are_handed_out(void **state)
{
    (void)state;
    odz_wheel w;
    odz_wheel_link items[N];
    memset(items, 0, sizeof items);
    int64_t t0 = 1000000; /* ticks at t0 + 300 + k * 1000 */
    odz_wheel_init(&w, t0, 1000);
    for (int i = 0; i < N; i++)
        odz_wheel_put(&w, &items[i], t0 + 25000 + i * 10); /* due 25.0 to 25.99 s on */
    int out[N], seen = 0, visits = 0;
    for (int k = 0; k < 30; k++) {
        int64_t now = t0 + 300 + k * 1000;
        int n = tick(&w, items, now, out);
        visits += n;
        for (int j = 0; j < n; j++) {
            assert_true(items[out[j]].due <= now); /* never early */
            assert_true(now - items[out[j]].due < 1000); /* at the first tick after it */
            assert_null(items[out[j]].next);           /* handed out unlinked */
            seen++;
        }
    }
    assert_int_equal(seen, N);
    assert_int_equal(visits, N); /* 30 ticks, yet each item handed out once */
    /* handed out and not put back: nothing more */
    assert_int_equal(tick(&w, items, t0 + 100000, out), 0);
}

static void far_items_wait_a_lap_at_a_time(void **state)
{
    (void)state;
    odz_wheel w;
    odz_wheel_link far = {0};
    odz_wheel_init(&w, 0, 1000);
    odz_wheel_put(&w, &far, 200500); /* more than three laps of 64 s ahead */
    int out[1];
    int64_t now = 0;
    for (; now < 200500; now += 1000)
        assert_int_equal(tick(&w, &far, now, out), 0);
    assert_int_equal(tick(&w, &far, now, out), 1);
}

static void sooner_moves_later_does_not(void **state)
{
    (void)state;
    odz_wheel w;
    odz_wheel_link a = {0}, b = {0}, idle = {0};
    odz_wheel_init(&w, 0, 1000);
    odz_wheel_put(&w, &a, 20000);
    odz_wheel_put(&w, &b, 20000);
    odz_wheel_sooner(&w, &a, 5000);  /* closer: moves */
    odz_wheel_sooner(&w, &b, 30000); /* further: stays at 20 s */
    odz_wheel_sooner(&w, &idle, 1000); /* unscheduled: stays so */
    assert_null(idle.next);
    odz_wheel_link list;
    odz_wheel_list_init(&list);
    odz_wheel_take(&w, 5000, &list);
    assert_ptr_equal(odz_wheel_pop(&w, &list, 5000), &a);
    assert_null(odz_wheel_pop(&w, &list, 5000));
    odz_wheel_list_init(&list);
    odz_wheel_take(&w, 19999, &list);
    assert_null(odz_wheel_pop(&w, &list, 19999)); /* b: later in the slot, put back */
    odz_wheel_list_init(&list);
    odz_wheel_take(&w, 20000, &list);
    assert_ptr_equal(odz_wheel_pop(&w, &list, 20000), &b);
}

static void a_slot_already_taken_goes_to_the_next_tick(void **state)
{
    (void)state;
    odz_wheel w;
    odz_wheel_link a = {0};
    odz_wheel_init(&w, 0, 1000);
    odz_wheel_link list;
    odz_wheel_list_init(&list);
    odz_wheel_take(&w, 7500, &list); /* slots up to 7 taken */
    odz_wheel_put(&w, &a, 3000);     /* overdue: the next take has it */
    odz_wheel_list_init(&list);
    odz_wheel_take(&w, 8100, &list);
    assert_ptr_equal(odz_wheel_pop(&w, &list, 8100), &a);
}

static void removed_during_a_tick_is_not_handed_out(void **state)
{
    (void)state;
    odz_wheel w;
    odz_wheel_link it[3];
    memset(it, 0, sizeof it);
    odz_wheel_init(&w, 0, 1000);
    for (int i = 0; i < 3; i++)
        odz_wheel_put(&w, &it[i], 2000 + i);
    odz_wheel_link list;
    odz_wheel_list_init(&list);
    odz_wheel_take(&w, 3000, &list);
    assert_ptr_equal(odz_wheel_pop(&w, &list, 3000), &it[0]);
    odz_wheel_remove(&it[1]); /* (handing out it[0] closed it[1]) */
    odz_wheel_remove(&it[1]); /* twice is harmless */
    assert_ptr_equal(odz_wheel_pop(&w, &list, 3000), &it[2]);
    assert_null(odz_wheel_pop(&w, &list, 3000));
    /* a late tick takes every slot once, and what it put back is still there */
    odz_wheel_put(&w, &it[0], 500000);
    odz_wheel_list_init(&list);
    odz_wheel_take(&w, 400000, &list);
    assert_null(odz_wheel_pop(&w, &list, 400000));
    assert_non_null(it[0].next);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_due_items_are_handed_out),
        cmocka_unit_test(far_items_wait_a_lap_at_a_time),
        cmocka_unit_test(sooner_moves_later_does_not),
        cmocka_unit_test(a_slot_already_taken_goes_to_the_next_tick),
        cmocka_unit_test(removed_during_a_tick_is_not_handed_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

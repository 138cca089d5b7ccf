/* core/clock: the simulated clock from a pinned start, and the instants --clock-start takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/err.h"

static void test_parse_instant(void **state)
{
    (void)state;
    int64_t ms = -1;
    assert_int_equal(odz_clock_parse_instant("1781071200000", &ms), 0);
    assert_true(ms == 1781071200000LL);
    assert_int_equal(odz_clock_parse_instant("2026-06-10T06:00:00Z", &ms), 0);
    assert_true(ms == 1781071200000LL);
    assert_int_equal(odz_clock_parse_instant("2026-06-10T06:00Z", &ms), 0);
    assert_true(ms == 1781071200000LL);
    static const char *bad[] = {"", "soon", "2026-06-10", "2026-06-10T06:00", "2026-06-10T06:00+10:00",
                                "2026-02-31T00:00Z", "2026-13-01T00:00Z", "2026-06-10T24:00Z",
                                "1969-12-31T23:59Z", "12345678901234567890", "-5",
                                "2026-06-10T06:00:00Zjunk"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ms = 7;
        assert_int_equal(odz_clock_parse_instant(bad[i], &ms), ODZ_EINVAL);
        assert_true(ms == 7); /* nothing written on error */
    }
}

/* A pinned start: the clock reads the start, whatever the wall clock says, at any speed. */
static void test_pinned_start(void **state)
{
    (void)state;
    const int64_t start = 1781071200000LL; /* 2026-06-10T06:00Z */
    int64_t anchor = odz_real_ms();
    odz_clock_configure(60, anchor, start);
    int64_t now = odz_now_ms(), real = odz_real_ms();
    assert_true(now >= start && now <= start + (real - anchor) * 60 + 60);
    odz_clock_configure(1, anchor, start);
    now = odz_now_ms();
    assert_true(now >= start && now < start + 5000);
    /* a start in the past, anchored a minute ago at speed 10: ten simulated minutes later */
    odz_clock_configure(10, odz_real_ms() - 60000, start);
    now = odz_now_ms();
    assert_true(now >= start + 600000 && now < start + 660000);
    /* no start: real time */
    odz_clock_configure(1, 0, 0);
    now = odz_now_ms();
    real = odz_real_ms();
    assert_true(now <= real && real - now < 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_instant),
        cmocka_unit_test(test_pinned_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

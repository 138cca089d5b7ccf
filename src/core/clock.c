/* Simulated-speed clock; the configuration is written once at start-up and read lock-free. */
#include "core/clock.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic double clock_speed = 1.0;
static _Atomic int64_t clock_anchor_ms;

int64_t odz_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void odz_clock_configure(double speed, int64_t anchor_ms)
{
    if (!(speed >= 1.0))
        speed = 1.0;
    atomic_store(&clock_anchor_ms, anchor_ms ? anchor_ms : odz_real_ms());
    atomic_store(&clock_speed, speed);
}

int64_t odz_now_ms(void)
{
    double s = atomic_load(&clock_speed);
    int64_t real = odz_real_ms();
    if (s == 1.0)
        return real;
    int64_t a = atomic_load(&clock_anchor_ms);
    return a + (int64_t)((double)(real - a) * s);
}

int64_t odz_now(void)
{
    return odz_now_ms() / 1000;
}

int64_t odz_clock_real_interval_ms(int64_t sim_ms)
{
    if (sim_ms <= 0)
        return 0;
    int64_t r = (int64_t)((double)sim_ms / atomic_load(&clock_speed));
    return r > 0 ? r : 1;
}

double odz_clock_speed(void)
{
    return atomic_load(&clock_speed);
}

/* Simulated-speed clock; the configuration is written once at start-up and read lock-free. */
#include "core/clock.h"

#include "core/err.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic double clock_speed = 1.0;
static _Atomic int64_t clock_anchor_ms;
static _Atomic int64_t clock_offset_ms; /* start - anchor */

int64_t odz_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t odz_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t odz_mono_ms(void)
{
    return odz_mono_us() / 1000;
}

void odz_clock_configure(double speed, int64_t anchor_ms, int64_t start_ms)
{
    if (!(speed >= 1.0))
        speed = 1.0;
    int64_t a = anchor_ms ? anchor_ms : odz_real_ms();
    atomic_store(&clock_anchor_ms, a);
    atomic_store(&clock_offset_ms, start_ms ? start_ms - a : 0);
    atomic_store(&clock_speed, speed);
}

int64_t odz_now_ms(void)
{
    double s = atomic_load(&clock_speed);
    int64_t real = odz_real_ms(), off = atomic_load(&clock_offset_ms);
    if (s == 1.0)
        return real + off;
    int64_t a = atomic_load(&clock_anchor_ms);
    return a + off + (int64_t)((double)(real - a) * s);
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

int odz_clock_parse_instant(const char *s, int64_t *ms)
{
    if (!s || !*s || strlen(s) > 32)
        return ODZ_EINVAL;
    bool digits = true;
    for (const char *p = s; *p; p++)
        digits = digits && isdigit((unsigned char)*p);
    if (digits) {
        if (strlen(s) > 15) /* beyond year 33658 */
            return ODZ_EINVAL;
        long long v = 0;
        sscanf(s, "%lld", &v);
        *ms = v;
        return 0;
    }
    int y, mo, d, h, mi, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5)
        return ODZ_EINVAL;
    const char *rest = s + n;
    if (*rest == ':') {
        int m2 = 0;
        if (sscanf(rest, ":%2d%n", &sec, &m2) != 1)
            return ODZ_EINVAL;
        rest += m2;
    }
    if (strcmp(rest, "Z") != 0)
        return ODZ_EINVAL;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || h < 0 ||
        mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return ODZ_EINVAL;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    struct tm back;
    if (!gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1) /* 2026-02-31 */
        return ODZ_EINVAL;
    *ms = (int64_t)t * 1000;
    return 0;
}

/* The process clock. Real time by default; a simulated source and the roles that follow it
 * can run time N times faster, and from a fixed simulated start (tests pin it so that what
 * the simulated world shows does not depend on the hour they run at):
 *   now = start + (real - anchor) * speed
 * where `anchor` is a real epoch ms (default: start-up) and `start` the simulated time at
 * that moment (default: the anchor itself). */
#ifndef ODZ_CLOCK_H
#define ODZ_CLOCK_H

#include <stdint.h>

/** Set speed (>= 1), anchor (real epoch ms; 0 = now) and start (simulated epoch ms at the
 * anchor; 0 = the anchor). Call once at start-up, before other threads read the clock. */
void odz_clock_configure(double speed, int64_t anchor_ms, int64_t start_ms);
/** Current (possibly simulated) time in epoch seconds / milliseconds. Thread-safe. */
int64_t odz_now(void);
int64_t odz_now_ms(void);
/** Real wall-clock epoch ms, whatever the speed. */
int64_t odz_real_ms(void);
/** Monotonic milliseconds (CLOCK_MONOTONIC), for intervals and ages. */
int64_t odz_mono_ms(void);
/** Monotonic microseconds (CLOCK_MONOTONIC), for latencies. */
int64_t odz_mono_us(void);
/** Real milliseconds that pass while `sim_ms` simulated milliseconds pass (>= 1 if sim_ms > 0). */
int64_t odz_clock_real_interval_ms(int64_t sim_ms);
double odz_clock_speed(void);
/** Parse a clock instant given on the command line: epoch milliseconds ("1781071200000") or
 * an ISO 8601 UTC date-time ("2026-06-10T06:00:00Z", seconds optional). 0 or ODZ_EINVAL. */
int odz_clock_parse_instant(const char *s, int64_t *ms);

#endif

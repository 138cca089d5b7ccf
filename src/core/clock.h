/* The process clock. Real time by default; a simulated source and the roles that follow it
 * can run time N times faster from an anchor: now = anchor + (real - anchor) * speed. */
#ifndef ODZ_CLOCK_H
#define ODZ_CLOCK_H

#include <stdint.h>

/** Set speed (>= 1) and anchor (real epoch ms; 0 = now). Call once at start-up. */
void odz_clock_configure(double speed, int64_t anchor_ms);
/** Current (possibly simulated) time in epoch seconds / milliseconds. Thread-safe. */
int64_t odz_now(void);
int64_t odz_now_ms(void);
/** Real wall-clock epoch ms, whatever the speed. */
int64_t odz_real_ms(void);
/** Real milliseconds that pass while `sim_ms` simulated milliseconds pass (>= 1 if sim_ms > 0). */
int64_t odz_clock_real_interval_ms(int64_t sim_ms);
double odz_clock_speed(void);

#endif

/* Metrics of the racing service: latency and failures of every store call, and the number of
 * open races near the jump. Internal to src/racing (service.c). */
#ifndef ODZ_RACING_STORE_METRICS_H
#define ODZ_RACING_STORE_METRICS_H

#include "store/store.h"

/** Start timing a store call on the calling thread (a thread-local start time). */
void odz_store_timer_start(void);

/**
 * Record the store call timed since odz_store_timer_start on this thread: its latency in the
 * histogram oddzy_store_op_seconds{op} and, when `rc` is a failure of the store itself (any
 * code other than 0, ODZ_ENOTFOUND, ODZ_EINVAL, ODZ_ESTATE, which answer the caller's
 * input), one more oddzy_store_errors_total{op}. `op` is the store operation's name. Returns
 * rc unchanged.
 */
int odz_store_timer_done(const char *op, int rc);

/** Call operation `op` of `store` and measure it: ODZ_STORE_CALL(s, get_race, id, &r, err)
 *  is s->ops->get_race(s, id, &r, err), timed. The comma operator orders start, call, done. */
#define ODZ_STORE_CALL(store, op, ...)                                                             \
    (odz_store_timer_start(), odz_store_timer_done(#op, (store)->ops->op((store), __VA_ARGS__)))

/**
 * Refresh the gauge oddzy_races_open: OPEN races scheduled to start within an hour either side
 * of now (the races being polled closely, so updates are expected), from one next_races
 * call. Unless `force`, rate limited to once every ODZ_RACES_OPEN_REFRESH_MS of real time per
 * process, whatever the number of callers and threads; a failed read leaves the gauge as it
 * was. Call it from a racing-service thread (it queries the store), never from an event loop.
 */
#define ODZ_RACES_OPEN_REFRESH_MS 5000
void odz_races_open_refresh(odz_store *store, int force);

#endif

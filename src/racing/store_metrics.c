/* Store call latency and errors, and the open-races gauge, for the racing service. */
#include "racing/store_metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "obs/metrics.h"

/* SQLite answers most reads in well under a millisecond: finer buckets at the low end. */
static const double store_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

static _Thread_local struct timespec t_start;

void odz_store_timer_start(void)
{
    clock_gettime(CLOCK_MONOTONIC, &t_start);
}

int odz_store_timer_done(const char *op, int rc)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - t_start.tv_sec) + (now.tv_nsec - t_start.tv_nsec) / 1e9;
    char labels[96];
    snprintf(labels, sizeof labels, "op=\"%s\"", op);
    odz_metric_observe(odz_histogram("oddzy_store_op_seconds",
                                     "Latency of store (database) operations by operation", labels,
                                     store_buckets, sizeof store_buckets / sizeof store_buckets[0]),
                       secs < 0 ? 0 : secs);
    /* get-or-create even without an error, so the series exists at 0 for rate() */
    odz_metric *errs = odz_counter("oddzy_store_errors_total",
                                   "Store operations that failed in the database itself "
                                   "(I/O, locked or unreachable database, out of memory)",
                                   labels);
    if (rc != 0 && rc != ODZ_ENOTFOUND && rc != ODZ_EINVAL && rc != ODZ_ESTATE)
        odz_metric_inc(errs);
    return rc;
}

void odz_races_open_refresh(odz_store *store, int force)
{
    static _Atomic int64_t last_ms;
    int64_t t = odz_real_ms(), prev = atomic_load(&last_ms);
    if (force)
        atomic_store(&last_ms, t);
    else if ((prev && t - prev < ODZ_RACES_OPEN_REFRESH_MS) ||
             !atomic_compare_exchange_strong(&last_ms, &prev, t))
        return;
    char err[ODZ_ERRLEN];
    odz_races rs = {0};
    int64_t now = odz_now();
    if (ODZ_STORE_CALL(store, next_races, now - 3600, 500, -1, &rs, err) == 0) {
        size_t n = 0;
        for (size_t i = 0; i < rs.n; i++)
            if (rs.v[i].status == ODZ_OPEN && rs.v[i].scheduled_start <= now + 3600)
                n++;
        odz_metric_set(odz_gauge("oddzy_races_open",
                                 "Open races scheduled to start within an hour either side of now",
                                 NULL),
                       (double)n);
    }
    odz_races_free(&rs);
}

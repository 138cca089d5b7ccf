/* Prometheus metrics registry: counters, gauges, histograms; text exposition format 0.0.4.
 * Updates are lock-free atomics; registration and rendering take one mutex. */
#ifndef ODZ_METRICS_H
#define ODZ_METRICS_H

#include <stddef.h>

typedef struct odz_metric odz_metric;

/* Hard limits: series across all families, label text of one series, histogram buckets. */
#define ODZ_METRICS_MAX_SERIES 10000
#define ODZ_METRICS_MAX_LABELS_LEN 1024
#define ODZ_METRICS_MAX_BUCKETS 64
#define ODZ_METRICS_MAX_COLLECTORS 64

/*
 * Get-or-create one series of a family. `name` matches [a-zA-Z_:][a-zA-Z0-9_:]* (follow
 * the conventions: oddzy_ prefix, base units, counters end in _total). `help` is used when
 * the family is first created (NULL = ""). `labels` is Prometheus label text without braces,
 * e.g. `route="/api/racing/racecard",status="200"`, or NULL/"" for none; the order of the
 * pairs and spaces after commas do not matter (the same set gives the same series).
 *
 * Returns a pointer owned by the registry that stays valid until odz_metrics_free_all(),
 * so callers may cache it; NULL for an invalid name or label text, a name already
 * registered with another type (or, for histograms, other buckets), a name the renderer
 * writes itself (oddzy_process_*, oddzy_build_info), a reserved label
 * (`le` on histograms, names starting with `__`), more than ODZ_METRICS_MAX_SERIES series,
 * or out of memory. Every update function accepts NULL and then does nothing, so a
 * rejected registration never crashes the caller.
 */
odz_metric *odz_counter(const char *name, const char *help, const char *labels);
odz_metric *odz_gauge(const char *name, const char *help, const char *labels);

/** `buckets`: n finite strictly increasing upper bounds (+Inf is implied, a trailing one is
 *  ignored), n <= ODZ_METRICS_MAX_BUCKETS; NULL = default latency buckets in seconds:
 *  0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10. Copied. */
odz_metric *odz_histogram(const char *name, const char *help, const char *labels,
                          const double *buckets, size_t n);

/** Counter or gauge +1. */
void odz_metric_inc(odz_metric *m);
/** Counter (v >= 0; negative or NaN ignored) or gauge += v. */
void odz_metric_add(odz_metric *m, double v);
/** Gauge = v; on a counter, mirrors a cumulative count kept elsewhere (collect callbacks). */
void odz_metric_set(odz_metric *m, double v);
/** Histogram: record one observation (NaN ignored). */
void odz_metric_observe(odz_metric *m, double v);
/** Current value of a counter or gauge; a histogram's observation count. 0 for NULL. */
double odz_metric_value(const odz_metric *m);

/**
 * Callbacks run (outside the registry lock, in registration order) at the start of every
 * render, to refresh gauges. Registering the same fn+ud twice keeps one. At most
 * ODZ_METRICS_MAX_COLLECTORS; returns 0 or ODZ_EFULL. `ud` is borrowed: call
 * odz_metrics_off_collect before freeing it.
 */
typedef void (*odz_metrics_collect_fn)(void *ud);
int odz_metrics_on_collect(odz_metrics_collect_fn fn, void *ud);
void odz_metrics_off_collect(odz_metrics_collect_fn fn, void *ud);

/** Version reported by oddzy_build_info{version="..."} (copied; default "dev"). */
void odz_metrics_set_version(const char *version);

/**
 * Render every family, sorted by name, plus the process metrics
 * (oddzy_process_uptime_seconds, oddzy_process_start_time_seconds,
 * oddzy_process_resident_memory_bytes,
 * oddzy_process_open_fds, oddzy_process_cpu_seconds_total, oddzy_build_info) in
 * Prometheus text format 0.0.4 (Content-Type: text/plain; version=0.0.4).
 * *out is malloc'd, NUL-terminated, and the caller frees it; *len excludes the NUL.
 * 0 or ODZ_ENOMEM (then *out is NULL).
 */
int odz_metrics_render(char **out, size_t *len);

/** Zero every value and drop the collect callbacks; registrations (and cached pointers)
 *  stay valid. */
void odz_metrics_reset_for_tests(void);

/** Free every family, series and callback: every odz_metric pointer becomes invalid. The
 *  registry can be used again afterwards (it starts empty). Call at exit. */
void odz_metrics_free_all(void);

/** Changes with every odz_metrics_free_all: a cache of odz_metric pointers taken under one
 *  generation is void under another. Any thread. */
unsigned odz_metrics_generation(void);

#endif

/* The per-source table behind the monitor and the oddzy_source_* series; see source_metrics.h. */
#include "obs/source_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/metrics.h"
#include "core/sort.h"

typedef struct {
    char name[ODZ_SOURCE_STATS_NAME_MAX];
    char kind[16];
    uint64_t requests, errors;
    double lag;
    int64_t last;
    long matched, unmatched;
    odz_metric *m_req, *m_err, *m_lag, *m_last, *m_matched, *m_unmatched;
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry table[ODZ_SOURCE_STATS_MAX];
static size_t n_table;

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n >= ODZ_SOURCE_STATS_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

/* The entry of `name`, made on first use. Caller holds lock. */
static entry *get(const char *name, const char *kind)
{
    if (!name_ok(name))
        name = "other";
    for (;;) {
        for (size_t i = 0; i < n_table; i++)
            if (!strcmp(table[i].name, name))
                return &table[i];
        /* the last slot is kept for "other", which takes every source past the bound */
        if (n_table < ODZ_SOURCE_STATS_MAX - 1 || !strcmp(name, "other"))
            break;
        name = "other";
    }
    entry *e = &table[n_table++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->kind, sizeof e->kind, "%s", kind && name_ok(kind) ? kind : "");
    char l[ODZ_SOURCE_STATS_NAME_MAX + 16];
    snprintf(l, sizeof l, "source=\"%.*s\"", ODZ_SOURCE_STATS_NAME_MAX - 1, e->name);
    e->m_req = odz_counter("oddzy_source_requests_total",
                           "Requests (polls, stream messages, replayed lines) by source", l);
    e->m_err = odz_counter("oddzy_source_errors_total", "Failed requests and errors by source", l);
    e->m_lag = odz_gauge("oddzy_source_lag_seconds",
                         "Lag of the last message of a source: poll duration, or publish time "
                         "to arrival",
                         l);
    e->m_last = odz_gauge("oddzy_source_last_message_timestamp_seconds",
                          "When the last message of a source arrived (simulated clock)", l);
    char lm[ODZ_SOURCE_STATS_NAME_MAX + 48];
    snprintf(lm, sizeof lm, "%s,state=\"matched\"", l);
    e->m_matched = odz_gauge("oddzy_source_markets",
                             "Exchange markets of a source matched to our races, and not", lm);
    snprintf(lm, sizeof lm, "%s,state=\"unmatched\"", l);
    e->m_unmatched = odz_gauge("oddzy_source_markets",
                               "Exchange markets of a source matched to our races, and not", lm);
    return e;
}

void odz_srcstat_request(const char *name, const char *kind, bool ok, double lag_s, int64_t at)
{
    pthread_mutex_lock(&lock);
    entry *e = get(name, kind);
    e->requests++;
    odz_metric_inc(e->m_req);
    if (!ok) {
        e->errors++;
        odz_metric_inc(e->m_err);
    } else {
        e->lag = lag_s >= 0 ? lag_s : 0;
        e->last = at;
        odz_metric_set(e->m_lag, e->lag);
        odz_metric_set(e->m_last, (double)at);
    }
    pthread_mutex_unlock(&lock);
}

void odz_srcstat_error(const char *name, const char *kind)
{
    pthread_mutex_lock(&lock);
    entry *e = get(name, kind);
    e->errors++;
    odz_metric_inc(e->m_err);
    pthread_mutex_unlock(&lock);
}

void odz_srcstat_markets(const char *name, long matched, long unmatched)
{
    pthread_mutex_lock(&lock);
    entry *e = get(name, "exchange");
    e->matched = matched;
    e->unmatched = unmatched;
    odz_metric_set(e->m_matched, (double)matched);
    odz_metric_set(e->m_unmatched, (double)unmatched);
    pthread_mutex_unlock(&lock);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

json_t *odz_srcstat_json(void)
{
    entry copy[ODZ_SOURCE_STATS_MAX];
    pthread_mutex_lock(&lock);
    size_t n = n_table;
    memcpy(copy, table, n * sizeof *copy);
    pthread_mutex_unlock(&lock);
    odz_sort(copy, n, sizeof *copy, cmp_name);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        const entry *e = &copy[i];
        if (json_array_append_new(
                a, json_pack("{s:s,s:s,s:I,s:I,s:f,s:I,s:I,s:I}", "source", e->name, "kind",
                             e->kind, "requests", (json_int_t)e->requests, "errors",
                             (json_int_t)e->errors, "lag_seconds", e->lag, "last_message",
                             (json_int_t)e->last, "markets_matched", (json_int_t)e->matched,
                             "markets_unmatched", (json_int_t)e->unmatched))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

void odz_srcstat_reset_for_tests(void)
{
    pthread_mutex_lock(&lock);
    n_table = 0;
    pthread_mutex_unlock(&lock);
}

/* HTTP request metrics with cached series handles; see http_metrics.h. */
#include "obs/http_metrics.h"
#include "obs/metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SLOTS 64     /* per thread: routes x methods x statuses seen, direct-mapped */
#define ROUTE_MAX 96 /* longer route labels are resolved every time, not cached */

static const char *const methods[] = {"GET",    "HEAD",    "POST",  "PUT",
                                      "DELETE", "OPTIONS", "PATCH", "other"};
#define N_METHODS (sizeof methods / sizeof methods[0])

typedef struct {
    unsigned gen; /* odz_metrics_generation() when resolved; 0 = empty */
    int status;
    unsigned method;
    char route[ROUTE_MAX];
    odz_metric *requests, *duration;
} slot;

static _Thread_local slot t_slots[SLOTS];
static atomic_ulong g_resolves;

static unsigned method_index(const char *m)
{
    for (unsigned i = 0; i + 1 < N_METHODS; i++)
        if (!strcmp(m, methods[i]))
            return i;
    return N_METHODS - 1;
}

static void resolve(const char *route, unsigned method, int status, odz_metric **req,
                    odz_metric **dur)
{
    char labels[ODZ_METRICS_MAX_LABELS_LEN];
    atomic_fetch_add_explicit(&g_resolves, 1, memory_order_relaxed);
    snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",status=\"%d\"", route,
             methods[method], status);
    *req = odz_counter("oddzy_http_requests_total", "HTTP requests by route and status", labels);
    snprintf(labels, sizeof labels, "route=\"%s\"", route);
    *dur = odz_histogram("oddzy_http_request_duration_seconds", "HTTP request latency by route",
                         labels, NULL, 0);
}

void odz_http_metrics_observe(const char *route, const char *method, int status, double seconds)
{
    unsigned m = method_index(method ? method : "");
    size_t rl = strlen(route);
    odz_metric *req, *dur;
    if (rl >= ROUTE_MAX) {
        resolve(route, m, status, &req, &dur);
    } else {
        uint64_t h = 1469598103934665603ULL; /* FNV-1a over route, method and status */
        for (size_t i = 0; i < rl; i++)
            h = (h ^ (unsigned char)route[i]) * 1099511628211ULL;
        h = (h ^ m) * 1099511628211ULL;
        h = (h ^ (unsigned)status) * 1099511628211ULL;
        slot *s = &t_slots[h % SLOTS];
        unsigned gen = odz_metrics_generation();
        if (s->gen != gen || s->status != status || s->method != m || strcmp(s->route, route)) {
            resolve(route, m, status, &s->requests, &s->duration);
            memcpy(s->route, route, rl + 1);
            s->status = status;
            s->method = m;
            s->gen = gen;
        }
        req = s->requests;
        dur = s->duration;
    }
    odz_metric_inc(req);
    odz_metric_observe(dur, seconds);
}

const char *odz_http_metrics_method(const char *method)
{
    return methods[method_index(method ? method : "")];
}

odz_metric *odz_http_metrics_busy(const char *route)
{
    char l[ROUTE_MAX + 16];
    if (snprintf(l, sizeof l, "route=\"%s\"", route) >= (int)sizeof l)
        return NULL;
    return odz_counter(
        "oddzy_http_busy_total",
        "Requests answered 503 busy at once because a bounded pool or queue was full", l);
}

unsigned long odz_http_metrics_resolves(void)
{
    return atomic_load_explicit(&g_resolves, memory_order_relaxed);
}

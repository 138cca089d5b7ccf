/* Per-request HTTP metrics: requests by route, method and status, latency by route, through
 * handles resolved once per (route, method, status) and kept per thread, so a request costs
 * neither label formatting nor a registry lookup; and the one busy counter of every route that
 * answers 503 when its bounded pool or queue is full. */
#ifndef ODZ_HTTP_METRICS_H
#define ODZ_HTTP_METRICS_H

#include "obs/metrics.h"

/** Counts one request in oddzy_http_requests_total{route,method,status} and observes `seconds`
 *  in oddzy_http_request_duration_seconds{route}. A method outside the usual seven counts as
 *  "other" (a client may send any token: the label set stays bounded). Any thread. */
void odz_http_metrics_observe(const char *route, const char *method, int status, double seconds);

/** The method's label: one of the usual seven, else "other". */
const char *odz_http_metrics_method(const char *method);

/** oddzy_http_busy_total{route}: requests answered 503 at once because a bounded pool or queue
 *  was full. `route` is the label's value (a path, or a name such as "feed"); the handle is the
 *  registry's (odz_counter), NULL when the label is refused. */
odz_metric *odz_http_metrics_busy(const char *route);

/** Registry look-ups made so far (process-wide): one per new (route, method, status) a thread
 *  sees, not one per request. For tests. */
unsigned long odz_http_metrics_resolves(void);

#endif

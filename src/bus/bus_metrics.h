/* Bus counters for Prometheus: published, delivered, dropped and coalesced messages and
 * rejected requests of a bus, read from odz_bus_get_stats at every render of /metrics. */
#ifndef ODZ_BUS_METRICS_H
#define ODZ_BUS_METRICS_H

#include "bus/bus.h"

/**
 * Report `bus` as oddzy_bus_messages_published_total, oddzy_bus_messages_delivered_total,
 * oddzy_bus_messages_dropped_total, oddzy_bus_messages_coalesced_total and
 * oddzy_bus_requests_rejected_total (counters mirroring the bus's own cumulative counts, with a
 * `bus` label naming the back-end: "inproc", "nats"). The bus is borrowed: call
 * odz_bus_metrics_unregister, and stop every metrics listener, before closing it. Registering
 * the same bus twice keeps one. 0 or ODZ_EFULL (too many collect callbacks); a bus without
 * a stats operation is accepted and reports nothing.
 */
int odz_bus_metrics_register(odz_bus *bus);

/** Stop reporting `bus`. NULL-safe. */
void odz_bus_metrics_unregister(odz_bus *bus);

#endif

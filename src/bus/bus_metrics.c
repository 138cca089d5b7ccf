/* Bus message counters, copied from the back-end's stats when /metrics is rendered. */
#include "bus/bus_metrics.h"

#include <stdio.h>

#include "core/err.h"
#include "obs/metrics.h"

static void collect(void *ud)
{
    odz_bus *bus = ud;
    odz_bus_stats st = {0};
    odz_bus_get_stats(bus, &st);
    char labels[64];
    snprintf(labels, sizeof labels, "bus=\"%s\"", bus->ops->name ? bus->ops->name : "unknown");
    odz_metric_set(odz_counter("oddzy_bus_messages_published_total",
                               "Messages published on the bus by this process", labels),
                   (double)st.published);
    odz_metric_set(odz_counter("oddzy_bus_messages_delivered_total",
                               "Messages handed to a subscriber's handler in this process", labels),
                   (double)st.delivered);
    odz_metric_set(odz_counter("oddzy_bus_messages_dropped_total",
                               "Events a subscriber of this process missed because its event "
                               "lane (or its NATS client's pending queue) was full; each one "
                               "makes the subscriber rebuild what it derives from events",
                               labels),
                   (double)st.dropped);
    odz_metric_set(odz_counter("oddzy_bus_messages_coalesced_total",
                               "Keyed events replaced in a subscriber's queue by a newer state of "
                               "the same thing before delivery",
                               labels),
                   (double)st.coalesced);
    odz_metric_set(odz_counter("oddzy_bus_requests_rejected_total",
                               "Requests refused at once (ODZ_EFULL, a busy error to the caller) "
                               "because every responder's request lane was full",
                               labels),
                   (double)st.rejected);
}

int odz_bus_metrics_register(odz_bus *bus)
{
    if (!bus)
        return ODZ_EINVAL;
    int rc = odz_metrics_on_collect(collect, bus);
    if (rc == 0)
        collect(bus); /* the series exist (at 0) from the start, not from the first scrape */
    return rc;
}

void odz_bus_metrics_unregister(odz_bus *bus)
{
    if (bus)
        odz_metrics_off_collect(collect, bus);
}

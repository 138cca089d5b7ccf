/* Bus message counters, copied from the back-end's stats when /metrics is rendered. */
#include "bus/bus_metrics.h"

#include <stdio.h>

#include "core/err.h"
#include "obs/metrics.h"

static void collect(void *ud)
{
    odz_bus *bus = ud;
    if (!bus->ops->stats)
        return;
    odz_bus_stats st = {0};
    bus->ops->stats(bus, &st);
    char labels[64];
    snprintf(labels, sizeof labels, "bus=\"%s\"", bus->ops->name ? bus->ops->name : "unknown");
    odz_metric_set(odz_counter("oddzy_bus_messages_published_total",
                               "Messages published on the bus by this process", labels),
                   (double)st.published);
    odz_metric_set(odz_counter("oddzy_bus_messages_delivered_total",
                               "Messages handed to a subscriber's handler in this process", labels),
                   (double)st.delivered);
    odz_metric_set(odz_counter("oddzy_bus_messages_dropped_total",
                               "Messages a subscriber of this process missed because its queue "
                               "was full (or the connection could not take them)",
                               labels),
                   (double)st.dropped);
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

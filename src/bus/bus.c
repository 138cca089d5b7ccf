/* Bus selection by URL and helpers shared by the back-ends. */
#include "bus/bus.h"
#include "core/err.h"

#include <string.h>

odz_bus *odz_bus_open(const char *url, char *err, size_t errlen)
{
    if (!url || !*url || !strcmp(url, "inproc")) {
        odz_bus *b = odz_bus_inproc_new();
        if (!b)
            odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        return b;
    }
    if (!strncmp(url, "nats://", 7))
        return odz_bus_nats_open(url, err, errlen);
    odz_fail(err, errlen, ODZ_EINVAL, "unknown bus URL '%s' (inproc or nats://host:port)", url);
    return NULL;
}

int odz_bus_respond(odz_bus *b, const odz_msg *req, const void *data, size_t len)
{
    if (!req->reply || !*req->reply)
        return 0;
    return b->ops->publish(b, req->reply, data, len, req->corr_id);
}

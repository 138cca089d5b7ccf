/* Bus selection by URL and helpers shared by the back-ends. */
#include "bus/bus.h"
#include "bus/bus_internal.h"
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

/* ---- shared by the back-ends (bus_internal.h) ---- */

int odz_bus__publish(odz_bus *b, const char *subject, const void *data, size_t len,
                     const char *corr)
{
    return b->ops->send(b, subject, NULL, NULL, data, len, corr);
}

int odz_bus__publish_reply(odz_bus *b, const char *subject, const char *reply, const void *data,
                           size_t len, const char *corr)
{
    return b->ops->send(b, subject, reply, NULL, data, len, corr);
}

int odz_bus__publish_keyed(odz_bus *b, const char *subject, const char *key, const void *data,
                           size_t len, const char *corr)
{
    return b->ops->send(b, subject, NULL, key, data, len, corr);
}

/* printable: no control bytes; `space_ok`: and no spaces either when 0 */
static int printable(const char *s, size_t max, int space_ok)
{
    size_t n = strnlen(s, max);
    if (n >= max)
        return ODZ_EINVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < (space_ok ? 0x20 : 0x21) || s[i] == 0x7f)
            return ODZ_EINVAL;
    return 0;
}

int odz_bus__check_corr(const char *corr)
{
    return corr ? printable(corr, ODZ_CORR_MAX, 1) : 0;
}

int odz_bus__check_publish(const char *subject, const char *reply, const char *key, size_t len,
                           const char *corr)
{
    if (odz_subject_valid(subject, 0) || (reply && *reply && odz_subject_valid(reply, 0)))
        return ODZ_EINVAL;
    if (len > ODZ_BUS_MSG_MAX || odz_bus__check_corr(corr))
        return ODZ_EINVAL;
    if (key && strnlen(key, ODZ_BUS_KEY_MAX) >= ODZ_BUS_KEY_MAX)
        return ODZ_EINVAL;
    return 0;
}

int odz_bus__check_request(const char *subject, size_t len, const char *corr, int timeout_ms,
                           char **reply, size_t *reply_len)
{
    *reply = NULL;
    if (reply_len)
        *reply_len = 0;
    if (timeout_ms <= 0 || timeout_ms > 600000)
        return ODZ_EINVAL;
    return odz_bus__check_publish(subject, NULL, NULL, len, corr);
}

int odz_bus__check_subscribe(const char *pattern, const char **group, size_t queue_len,
                             odz_bus_handler h)
{
    if (*group && !**group)
        *group = NULL;
    if (odz_subject_valid(pattern, 1) || !h || (*group && printable(*group, ODZ_BUS_GROUP_MAX, 0)))
        return ODZ_EINVAL;
    return queue_len > ODZ_BUS_QUEUE_MAX ? ODZ_EINVAL : 0;
}

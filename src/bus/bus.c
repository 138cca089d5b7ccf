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
    return odz_bus_publish(b, req->reply, data, len, req->corr_id);
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

/* Each check returns 0 or ODZ_EINVAL and changes nothing else unless said. */

/* A correlation id: NULL, or shorter than ODZ_CORR_MAX with no control bytes (it travels in a
 * header, where CR or LF would end it). */
static int check_corr(const char *corr)
{
    return corr ? printable(corr, ODZ_CORR_MAX, 1) : 0;
}

/* A publish: a concrete subject, a reply subject when not NULL or "", at most ODZ_BUS_MSG_MAX
 * bytes, a correlation id and a key that fit or are NULL. */
static int check_publish(const char *subject, const char *reply, const char *key, size_t len,
                         const char *corr)
{
    if (odz_subject_valid(subject, 0) || (reply && *reply && odz_subject_valid(reply, 0)))
        return ODZ_EINVAL;
    if (len > ODZ_BUS_MSG_MAX || check_corr(corr))
        return ODZ_EINVAL;
    if (key && strnlen(key, ODZ_BUS_KEY_MAX) >= ODZ_BUS_KEY_MAX)
        return ODZ_EINVAL;
    return 0;
}

/* A request: *reply = NULL and *reply_len = 0 (when given) first, whatever the answer; then a
 * timeout of 1..600000 ms and the subject, payload and correlation id of a publish. */
static int check_request(const char *subject, size_t len, const char *corr, int timeout_ms,
                         char **reply, size_t *reply_len)
{
    *reply = NULL;
    if (reply_len)
        *reply_len = 0;
    if (timeout_ms <= 0 || timeout_ms > 600000)
        return ODZ_EINVAL;
    return check_publish(subject, NULL, NULL, len, corr);
}

/* A subscription: a valid pattern (wildcards allowed), a handler, a queue length up to
 * ODZ_BUS_QUEUE_MAX and a queue group of printable bytes without spaces, shorter than
 * ODZ_BUS_GROUP_MAX. *group "" becomes NULL (no group). */
static int check_subscribe(const char *pattern, const char **group, size_t queue_len,
                           odz_bus_handler h)
{
    if (*group && !**group)
        *group = NULL;
    if (odz_subject_valid(pattern, 1) || !h || (*group && printable(*group, ODZ_BUS_GROUP_MAX, 0)))
        return ODZ_EINVAL;
    return queue_len > ODZ_BUS_QUEUE_MAX ? ODZ_EINVAL : 0;
}

/* ---- the calls ---- */

static int send_checked(odz_bus *b, const char *subject, const char *reply, const char *key,
                        const void *data, size_t len, const char *corr)
{
    if (check_publish(subject, reply, key, len, corr))
        return ODZ_EINVAL;
    return b->ops->send(b, subject, reply, key, data, len, corr);
}

int odz_bus_publish(odz_bus *b, const char *subject, const void *data, size_t len,
                    const char *corr)
{
    return send_checked(b, subject, NULL, NULL, data, len, corr);
}

int odz_bus_publish_reply(odz_bus *b, const char *subject, const char *reply, const void *data,
                          size_t len, const char *corr)
{
    return send_checked(b, subject, reply, NULL, data, len, corr);
}

int odz_bus_publish_keyed(odz_bus *b, const char *subject, const char *key, const void *data,
                          size_t len, const char *corr)
{
    return send_checked(b, subject, NULL, key, data, len, corr);
}

int64_t odz_bus_subscribe(odz_bus *b, const char *pattern, const char *group, size_t queue_len,
                          odz_bus_handler h, void *ud)
{
    if (check_subscribe(pattern, &group, queue_len, h))
        return ODZ_EINVAL;
    return b->ops->subscribe(b, pattern, group, queue_len, h, ud);
}

int odz_bus_unsubscribe(odz_bus *b, int64_t sub_id)
{
    return b->ops->unsubscribe(b, sub_id);
}

int odz_bus_request(odz_bus *b, const char *subject, const void *data, size_t len,
                    int timeout_ms, const char *corr, char **reply, size_t *reply_len)
{
    if (check_request(subject, len, corr, timeout_ms, reply, reply_len))
        return ODZ_EINVAL;
    return b->ops->request(b, subject, data, len, timeout_ms, corr, reply, reply_len);
}

bool odz_bus_heard(odz_bus *b, const char *subject)
{
    return b && subject && b->ops->heard(b, subject);
}

void odz_bus_batch_begin(odz_bus *b)
{
    if (b)
        b->ops->batch(b, true);
}

void odz_bus_batch_end(odz_bus *b)
{
    if (b)
        b->ops->batch(b, false);
}

void odz_bus_get_stats(odz_bus *b, odz_bus_stats *out)
{
    b->ops->stats(b, out);
}

void odz_bus_close(odz_bus *b)
{
    if (b)
        b->ops->close(b);
}

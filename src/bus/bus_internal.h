/* Internal to src/bus: what every back-end (inproc.c, nats.c) checks before it acts, so a call
 * is refused, or not, the same way whichever bus carries it. */
#ifndef ODZ_BUS_INTERNAL_H
#define ODZ_BUS_INTERNAL_H

#include "bus/bus.h"

#define ODZ_BUS_QUEUE_DEFAULT 1024 /* a subscription's pending messages when queue_len is 0 */
#define ODZ_BUS_QUEUE_MAX 65536    /* largest queue_len */
#define ODZ_BUS_GROUP_MAX 64       /* longest queue group name, NUL included */

/* The ops publish, publish_reply and publish_keyed of every back-end: its send with the
 * arguments the call does not take left NULL. */
int odz_bus__publish(odz_bus *b, const char *subject, const void *data, size_t len,
                     const char *corr);
int odz_bus__publish_reply(odz_bus *b, const char *subject, const char *reply, const void *data,
                           size_t len, const char *corr);
int odz_bus__publish_keyed(odz_bus *b, const char *subject, const char *key, const void *data,
                           size_t len, const char *corr);

/* Each returns 0 or ODZ_EINVAL and changes nothing else unless said. */

/** A publish: a concrete subject, a reply subject when not NULL or "", at most ODZ_BUS_MSG_MAX
 *  bytes, a correlation id and a key that fit (see odz_bus__check_corr) or are NULL. */
int odz_bus__check_publish(const char *subject, const char *reply, const char *key, size_t len,
                           const char *corr);

/** A request: *reply = NULL and *reply_len = 0 (when given) first, whatever the answer; then a
 *  timeout of 1..600000 ms and the subject, payload and correlation id of a publish. */
int odz_bus__check_request(const char *subject, size_t len, const char *corr, int timeout_ms,
                           char **reply, size_t *reply_len);

/** A subscription: a valid pattern (wildcards allowed), a handler, a queue length up to
 *  ODZ_BUS_QUEUE_MAX and a queue group of printable bytes without spaces, shorter than
 *  ODZ_BUS_GROUP_MAX. *group "" becomes NULL (no group). */
int odz_bus__check_subscribe(const char *pattern, const char **group, size_t queue_len,
                             odz_bus_handler h);

/** A correlation id: NULL, or shorter than ODZ_CORR_MAX with no control bytes (it travels in a
 *  header, where CR or LF would end it). */
int odz_bus__check_corr(const char *corr);

#endif

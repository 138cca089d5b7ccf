/* Internal to src/bus: the limits bus.c's calls check before any back-end (inproc.c, nats.c)
 * acts, so that a call is refused, or not, the same way whichever bus carries it, and the
 * defaults the back-ends share. */
#ifndef ODZ_BUS_INTERNAL_H
#define ODZ_BUS_INTERNAL_H

#include "bus/bus.h"

#define ODZ_BUS_QUEUE_DEFAULT 1024 /* a subscription's pending messages when queue_len is 0 */
#define ODZ_BUS_QUEUE_MAX 65536    /* largest queue_len */
#define ODZ_BUS_GROUP_MAX 64       /* longest queue group name, NUL included */

#endif

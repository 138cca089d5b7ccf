/* Engine.IO v4 and Socket.IO v5 packets (text only): parsing what clients send and the few
 * shapes the server writes. Pure functions, no I/O; fuzzed by fuzz/fuzz_sio.c. */
#ifndef ODZ_LIVE_SIO_H
#define ODZ_LIVE_SIO_H

#include <stddef.h>
#include <stdint.h>

/* Engine.IO packet types */
enum { ODZ_EIO_OPEN = 0, ODZ_EIO_CLOSE, ODZ_EIO_PING, ODZ_EIO_PONG, ODZ_EIO_MESSAGE,
       ODZ_EIO_UPGRADE, ODZ_EIO_NOOP };
/* Socket.IO packet types */
enum { ODZ_SIO_CONNECT = 0, ODZ_SIO_DISCONNECT, ODZ_SIO_EVENT, ODZ_SIO_ACK,
       ODZ_SIO_CONNECT_ERROR, ODZ_SIO_BINARY_EVENT, ODZ_SIO_BINARY_ACK };

#define ODZ_SIO_NSP_MAX 64
#define ODZ_SIO_EVENT_MAX 64

typedef struct {
    int eio;                  /* ODZ_EIO_* */
    const char *eio_data;     /* after the type character (e.g. "probe" of "2probe") */
    size_t eio_len;
    int sio;                  /* ODZ_SIO_* when eio is MESSAGE, else -1 */
    char nsp[ODZ_SIO_NSP_MAX]; /* "/" when absent */
    int64_t ack;              /* ack id, -1 when absent */
    const char *json;         /* JSON payload after namespace and ack id (may be empty) */
    size_t json_len;
} odz_sio_packet;

/** Parses one Engine.IO text packet (and the Socket.IO packet inside a message).
 *  0, or ODZ_EINVAL for anything malformed: unknown types, a namespace that is too long or
 *  does not start with '/', an ack id above 2^53, binary packets. Pointers point into `in`. */
int odz_sio_parse(const char *in, size_t len, odz_sio_packet *p);

/** For an EVENT packet: the event name (copied, at most ODZ_SIO_EVENT_MAX - 1 bytes) and the
 *  first argument as a race id: a positive integer, a numeric string, or "all" (0).
 *  0; ODZ_EINVAL when the payload is not ["name", {...}] with a usable race_id. */
int odz_sio_event_race(const char *json, size_t len, char name[ODZ_SIO_EVENT_MAX],
                       int64_t *race_id);

/** Plain WebSocket messages: {"type":"subscribe"|"unsubscribe","race_id":N|"all"}.
 *  Same result conventions as odz_sio_event_race. */
int odz_ws_message_race(const char *json, size_t len, char type[ODZ_SIO_EVENT_MAX],
                        int64_t *race_id);

#endif

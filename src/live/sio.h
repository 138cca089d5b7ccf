/* Engine.IO v4 and Socket.IO v5 packets (text only): parsing what clients send (packets,
 * polling bodies, the handshake query, session ids) and the subscriptions of every transport
 * (a Socket.IO event, a /ws message, an SSE query). Pure functions, no I/O; fuzzed by
 * fuzz/fuzz_sio.c (packets) and fuzz/fuzz_eio.c (queries and polling bodies). */
#ifndef ODZ_LIVE_SIO_H
#define ODZ_LIVE_SIO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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

/* A subscription as a client asks for it, on any transport. */
#define ODZ_SUB_TOPIC_MAX 16
typedef struct {
    char topic[ODZ_SUB_TOPIC_MAX]; /* [a-z_]{1,15}, or "" when not named */
    int64_t race_id;               /* -1 when absent, 0 for "all", else > 0 */
    json_t *filter;                /* the "filter" object (a reference of its own), or NULL */
} odz_sub_req;

/** Releases what `r` holds (NULL-safe); `r` reads as empty afterwards. */
void odz_sub_req_clear(odz_sub_req *r);

/** For a Socket.IO EVENT packet's payload ["name", arg]: the event name (copied, at most
 *  ODZ_SIO_EVENT_MAX - 1 bytes) and the argument as a subscription: {"race_id": N|"all",
 *  "topic": T, "filter": {...}} (each optional), or a bare race id (a positive integer, a
 *  numeric string, "all"). 0; ODZ_EINVAL when malformed (`name` is still set when the name
 *  was readable, so "unknown event" can be told apart). */
int odz_sio_event_sub(const char *json, size_t len, char name[ODZ_SIO_EVENT_MAX],
                      odz_sub_req *out);

/** Plain WebSocket messages: {"type": "subscribe"|"unsubscribe"|..., "race_id": N|"all",
 *  "topic": T, "filter": {...}}. Same conventions as odz_sio_event_sub. */
int odz_ws_message_sub(const char *json, size_t len, char type[ODZ_SIO_EVENT_MAX],
                       odz_sub_req *out);

/** An SSE request's query: race_id=N|all (absent: all), topic=T, filter=<JSON object>.
 *  0 or ODZ_EINVAL. */
int odz_sse_query_sub(const char *query, odz_sub_req *out);

/** A race id as text (a query parameter): "all" (0) or a positive decimal of at most 18
 *  digits. 0 or ODZ_EINVAL. The same rule as the race_id of the subscriptions above. */
int odz_sio_race_text(const char *s, int64_t *race_id);

/* ---- Engine.IO transport: handshake query, session ids, polling bodies ------------------- */

#define ODZ_EIO_SID_LEN 20

/* Engine.IO error codes (the "code" of a 400 answer) */
enum { ODZ_EIO_ERR_TRANSPORT = 0, ODZ_EIO_ERR_SID = 1, ODZ_EIO_ERR_BAD_REQUEST = 3,
       ODZ_EIO_ERR_VERSION = 5 };

typedef struct {
    int websocket; /* transport=websocket, else polling */
    int has_sid;
    char sid[ODZ_EIO_SID_LEN + 1]; /* ODZ_EIO_SID_LEN characters of [A-Za-z0-9_-] */
} odz_eio_query;

/** The query of a /socket.io/ request: EIO=4, transport=polling|websocket, an optional sid.
 *  0, or ODZ_EINVAL with *eio_err the ODZ_EIO_ERR_* code to answer with. */
int odz_eio_query_parse(const char *query, odz_eio_query *q, int *eio_err);
/** The message of an Engine.IO error code ("Bad request" for unknown ones). */
const char *odz_eio_error_message(int eio_err);
/** A new random session id; its first character names `loop` (0..63). */
void odz_eio_sid_new(char out[ODZ_EIO_SID_LEN + 1], int loop);
/** The loop a session id names, or -1 when it names none of the `nloops` loops. */
int odz_eio_sid_loop(const char *sid, int nloops);

/** Next packet of an Engine.IO v4 polling body (packets separated by 0x1e, empty ones
 *  skipped): 1 with *pkt, *pktlen pointing into body, 0 at its end. *pos starts at 0. */
int odz_eio_payload_next(const char *body, size_t len, size_t *pos, const char **pkt,
                         size_t *pktlen);

#endif

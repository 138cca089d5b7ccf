/* One Betfair Exchange Stream API conversation, without the socket: bytes received go in,
 * the requests to send come out. connection -> authentication -> marketSubscription (resumed
 * with the cache's initialClk/clk after a reconnect) -> market changes into the cache. A
 * client owns the socket (TLS), calls odz_bf_session_reset on each new connection, feeds
 * what it reads, sends what is queued, and reconnects when the session has failed or gone
 * stale. */
#ifndef ODZ_BETFAIR_SESSION_H
#define ODZ_BETFAIR_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "betfair/request.h"
#include "betfair/stream.h"

typedef enum {
    ODZ_BF_CONNECTING = 0,  /* waiting for {"op":"connection"} */
    ODZ_BF_AUTHENTICATING,  /* authentication sent */
    ODZ_BF_SUBSCRIBING,     /* marketSubscription sent */
    ODZ_BF_STREAMING,       /* receiving market changes */
    ODZ_BF_FAILED,          /* reconnect (and so resubscribe from the last clk) */
} odz_bf_session_state;

typedef struct {
    odz_bf_cache cache;            /* kept across reconnects: its clk resumes the stream */
    odz_bf_subscription sub;       /* borrowed lists */
    const char *app_key, *session; /* borrowed secrets, never logged */
    odz_bf_session_state state;
    char reason[384];              /* why FAILED: a status errorCode and message, or ours */
    char error_code[ODZ_BF_TEXT_MAX];
    char out[2 * ODZ_BF_REQUEST_MAX]; /* requests to send */
    size_t out_len;
    char *line;                    /* a message being received, bounded by ODZ_BF_MSG_MAX */
    size_t line_len, line_cap;
    int next_id;
    int64_t last_msg_ms;           /* when the last message was received */
    size_t messages, reconnects;
} odz_bf_session;

/** Start a new connection (the first one too): state CONNECTING, nothing queued, a partial
 * message dropped; the cache stays. */
void odz_bf_session_reset(odz_bf_session *s, int64_t now_ms);
/** Bytes received. Complete messages are handled in order; requests they call for are
 * appended to s->out. Returns 0, or ODZ_ESTATE once the session has FAILED (a status
 * failure, a bad or over-long message, a message out of turn), with s->reason. The cache is
 * never left half-changed by a bad message. */
int odz_bf_session_feed(odz_bf_session *s, const char *data, size_t n, int64_t now_ms);
/** The first `n` bytes of s->out were sent. */
void odz_bf_session_sent(odz_bf_session *s, size_t n);
/** true when nothing arrived for two heartbeat intervals (the client then reconnects). */
bool odz_bf_session_stale(const odz_bf_session *s, int64_t now_ms);
/** Free the cache and buffers. */
void odz_bf_session_free(odz_bf_session *s);

#endif

/* Reading of client WebSocket frames (RFC 6455 sections 5 and 8) from bytes, with wslay's frame
 * API: message assembly, control frames, UTF-8 and size checks, the close code each violation
 * earns. A pure function over an input buffer (no socket), used by websocket.c for every
 * connection and fuzzed by fuzz/fuzz_ws_reader.c. */
#ifndef ODZ_HTTP_WS_READER_H
#define ODZ_HTTP_WS_READER_H

#include <stddef.h>
#include <stdint.h>

struct wslay_frame_context;

enum {
    ODZ_WS_IN_MORE = 0, /* the input is used up (or wslay wants more bytes): nothing complete */
    ODZ_WS_IN_TEXT,     /* a whole text message, UTF-8 checked, at most max_message bytes */
    ODZ_WS_IN_PING,     /* data/len: the payload the pong echoes */
    ODZ_WS_IN_PONG,
    ODZ_WS_IN_CLOSE, /* the peer closes: code (1000 when it gave none), data/len its payload */
    ODZ_WS_IN_ERROR, /* a violation: answer with a close frame of `code` and `reason` */
};

typedef struct {
    int type;         /* ODZ_WS_IN_* */
    const char *data; /* TEXT: the message (valid until the next call); PING, CLOSE: payload */
    size_t len;
    int code;           /* CLOSE, ERROR */
    const char *reason; /* ERROR: a static string */
} odz_ws_in_event;

/* One connection's reading state. Idle (between messages, nothing buffered) it holds no heap
 * memory: the wslay context lives only while a frame is being received. Do not move it while
 * a wslay context exists (the context points at it). */
typedef struct odz_ws_reader {
    struct wslay_frame_context *fr;
    size_t max_message;
    const uint8_t *in; /* the slice being read by odz_ws_reader_next */
    size_t inlen, inpos;
    uint64_t fed, framed; /* bytes given to wslay / bytes of frames fully received */
    int in_frame;
    uint8_t f_opcode, f_fin, f_mask;
    uint64_t f_len, f_got;
    char *msg;
    size_t msglen, msgcap;
    int fragmented;
    int delivered; /* a TEXT event went out: its buffer may be released on the next call */
    int done;      /* CLOSE or ERROR returned: nothing more is read */
    uint8_t ctrl[125];
    size_t ctrllen;
} odz_ws_reader;

/** Sets up an empty reader; max_message bounds a message (fragments included). */
void odz_ws_reader_init(odz_ws_reader *r, size_t max_message);
/** Reads from in[0..len) until one event is complete or the input is used up, and says how
 *  many bytes it took in *used (the caller drops them; bytes of an unfinished frame are kept
 *  inside the reader). Returns the event type, also in ev->type. After CLOSE or ERROR the
 *  reader reads nothing more (MORE, nothing used). */
int odz_ws_reader_next(odz_ws_reader *r, const void *in, size_t len, size_t *used,
                       odz_ws_in_event *ev);
/** Between reads: releases the wslay context at a frame boundary and a large message buffer,
 *  so an idle connection stays small. */
void odz_ws_reader_rest(odz_ws_reader *r);
/** Frees what the reader holds. */
void odz_ws_reader_free(odz_ws_reader *r);

#endif

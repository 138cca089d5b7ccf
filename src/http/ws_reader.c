/* Client WebSocket frames from bytes to messages, control frames and close codes (wslay's
 * frame API for the framing; assembly, UTF-8 and limits here). No socket: see ws_reader.h. */
#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>

#include "core/utf8.h"
#include "http/ws_reader.h"

void odz_ws_reader_init(odz_ws_reader *r, size_t max_message)
{
    memset(r, 0, sizeof *r);
    r->max_message = max_message;
}

void odz_ws_reader_free(odz_ws_reader *r)
{
    if (r->fr)
        wslay_frame_context_free(r->fr);
    r->fr = NULL;
    free(r->msg);
    r->msg = NULL;
    r->msglen = r->msgcap = 0;
}

/* wslay pulls bytes from the slice being read */
static ssize_t in_recv(uint8_t *buf, size_t len, int flags, void *ud)
{
    odz_ws_reader *r = ud;
    size_t avail = r->inlen - r->inpos;
    if (avail == 0)
        return -1; /* wslay: want read */
    size_t n = avail < len ? avail : len;
    memcpy(buf, r->in + r->inpos, n);
    r->inpos += n;
    r->fed += n;
    return (ssize_t)n;
}
static ssize_t in_send(const uint8_t *d, size_t l, int f, void *ud)
{
    return -1;
}
static int no_mask(uint8_t *buf, size_t len, void *ud)
{
    return -1;
}

static uint64_t header_len(uint64_t len, int mask)
{
    return 2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + (mask ? 4 : 0);
}

static int valid_close_code(int c)
{
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) || (c >= 3000 && c <= 4999);
}

static int fail(odz_ws_reader *r, odz_ws_in_event *ev, int code, const char *reason)
{
    r->done = 1;
    ev->type = ODZ_WS_IN_ERROR;
    ev->code = code;
    ev->reason = reason;
    return 1;
}

/* A complete frame: 1 with an event in ev, 0 when it was a non-final data fragment. */
static int on_frame(odz_ws_reader *r, odz_ws_in_event *ev)
{
    uint8_t op = r->f_opcode;
    if (op == WSLAY_PING) {
        ev->type = ODZ_WS_IN_PING;
        ev->data = (const char *)r->ctrl;
        ev->len = r->ctrllen;
        return 1;
    }
    if (op == WSLAY_PONG) {
        ev->type = ODZ_WS_IN_PONG;
        return 1;
    }
    if (op == WSLAY_CONNECTION_CLOSE) {
        int code = 1000;
        if (r->ctrllen == 1)
            return fail(r, ev, 1002, "bad close frame");
        if (r->ctrllen >= 2) {
            int c = (r->ctrl[0] << 8) | r->ctrl[1];
            if (!valid_close_code(c) || !odz_utf8_valid(r->ctrl + 2, r->ctrllen - 2))
                return fail(r, ev, 1002, "bad close frame");
            code = c;
        }
        r->done = 1;
        ev->type = ODZ_WS_IN_CLOSE;
        ev->code = code;
        ev->data = (const char *)r->ctrl;
        ev->len = r->ctrllen;
        return 1;
    }
    /* data frame finished */
    if (!r->f_fin)
        return 0;
    r->fragmented = 0;
    if (!odz_utf8_valid(r->msg, r->msglen))
        return fail(r, ev, 1007, "invalid UTF-8");
    ev->type = ODZ_WS_IN_TEXT;
    ev->data = r->msg ? r->msg : "";
    ev->len = r->msglen;
    r->msglen = 0;
    r->delivered = 1;
    return 1;
}

/* Checks a new frame's header: 0, or 1 with an ERROR event. */
static int on_frame_start(odz_ws_reader *r, const struct wslay_frame_iocb *io, odz_ws_in_event *ev)
{
    r->in_frame = 1;
    r->f_opcode = io->opcode;
    r->f_fin = io->fin;
    r->f_mask = io->mask;
    r->f_len = io->payload_length;
    r->f_got = 0;
    r->ctrllen = 0;
    if (!io->mask)
        return fail(r, ev, 1002, "client frames must be masked");
    if (io->rsv)
        return fail(r, ev, 1002, "reserved bits set");
    switch (io->opcode) {
    case WSLAY_CONNECTION_CLOSE:
    case WSLAY_PING:
    case WSLAY_PONG:
        return 0; /* wslay checked fin and length <= 125 */
    case WSLAY_TEXT_FRAME:
        if (r->fragmented)
            return fail(r, ev, 1002, "new message inside a fragmented one");
        r->fragmented = !io->fin;
        r->msglen = 0;
        break;
    case WSLAY_CONTINUATION_FRAME:
        if (!r->fragmented)
            return fail(r, ev, 1002, "continuation without a message");
        r->fragmented = !io->fin;
        break;
    case WSLAY_BINARY_FRAME:
        return fail(r, ev, 1003, "binary messages are not accepted");
    default:
        return fail(r, ev, 1002, "unknown opcode");
    }
    if (io->payload_length > r->max_message || r->msglen + io->payload_length > r->max_message)
        return fail(r, ev, 1009, "message too big");
    size_t need = r->msglen + (size_t)io->payload_length + 1;
    if (need > r->msgcap) {
        char *n = realloc(r->msg, need);
        if (!n)
            return fail(r, ev, 1011, "out of memory");
        r->msg = n;
        r->msgcap = need;
    }
    return 0;
}

/* The message buffer of a delivered message: kept unless large. */
static void release_delivered(odz_ws_reader *r)
{
    if (r->delivered && r->msgcap > 4096 && !r->fragmented && r->msglen == 0) {
        free(r->msg);
        r->msg = NULL;
        r->msgcap = 0;
    }
    r->delivered = 0;
}

int odz_ws_reader_next(odz_ws_reader *r, const void *in, size_t len, size_t *used,
                       odz_ws_in_event *ev)
{
    static const struct wslay_frame_callbacks cbs = {in_send, in_recv, no_mask};
    memset(ev, 0, sizeof *ev);
    ev->type = ODZ_WS_IN_MORE;
    *used = 0;
    if (r->done)
        return ev->type;
    release_delivered(r);
    r->in = in;
    r->inlen = len;
    r->inpos = 0;
    for (;;) {
        if (!r->fr) {
            if (r->inpos == r->inlen)
                break;
            if (wslay_frame_context_init(&r->fr, &cbs, r) != 0) {
                r->fr = NULL;
                fail(r, ev, 1011, "out of memory");
                break;
            }
        }
        struct wslay_frame_iocb io;
        memset(&io, 0, sizeof(io));
        ssize_t n = wslay_frame_recv(r->fr, &io);
        if (n == WSLAY_ERR_WANT_READ)
            break;
        if (n < 0) {
            fail(r, ev, 1002, "protocol error");
            break;
        }
        if (!r->in_frame && on_frame_start(r, &io, ev) != 0)
            break;
        if (io.data_length) {
            if (wslay_is_ctrl_frame(r->f_opcode)) {
                memcpy(r->ctrl + r->ctrllen, io.data, io.data_length);
                r->ctrllen += io.data_length;
            } else {
                memcpy(r->msg + r->msglen, io.data, io.data_length);
                r->msglen += io.data_length;
            }
        }
        r->f_got += io.data_length;
        if (r->f_got == r->f_len) {
            r->in_frame = 0;
            r->framed += header_len(r->f_len, r->f_mask) + r->f_len;
            if (on_frame(r, ev))
                break;
        }
    }
    *used = r->inpos;
    r->in = NULL;
    r->inlen = r->inpos = 0;
    return ev->type;
}

void odz_ws_reader_rest(odz_ws_reader *r)
{
    release_delivered(r);
    /* at a frame boundary with nothing buffered in wslay: drop the parser until more comes */
    if (r->fr && !r->in_frame && r->fed == r->framed) {
        wslay_frame_context_free(r->fr);
        r->fr = NULL;
    }
}

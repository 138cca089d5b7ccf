/* WebSocket connections over h2o's HTTP/1.1 upgrade, framed by wslay's frame API.
 *
 * Why the frame API and not wslay's event API: the event context costs about 9 KB a
 * connection and writes each frame's header and payload as separate pieces. Here a connection
 * holds no parser state while idle (the wslay frame context exists only while a frame is being
 * received), outgoing frames are built once (odz_ws_frame_text) and shared by every receiver
 * through refcounted buffers, and everything queued leaves in one writev. Reading (message
 * assembly, control frames, UTF-8 checks and limits, RFC 6455 sections 5 and 8) is a pure
 * function over bytes in ws_reader.c; this file ties it and the writing to h2o's sockets. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netdb.h>

#include <h2o/websocket.h>
#include <openssl/evp.h>
#include <wslay/wslay.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "http/http_internal.h"
#include "http/outq.h"
#include "http/sendbatch.h"
#include "http/ws_reader.h"

/* the batch writes a connection's h2o_iovec_t array as the kernel's iovecs */
_Static_assert(sizeof(h2o_iovec_t) == sizeof(struct iovec) &&
                   offsetof(h2o_iovec_t, base) == offsetof(struct iovec, iov_base) &&
                   offsetof(h2o_iovec_t, len) == offsetof(struct iovec, iov_len),
               "h2o_iovec_t is laid out as struct iovec");

#define DEF_MAX_MESSAGE (64 * 1024)
#define DEF_MAX_QUEUED (256 * 1024)
#define PONG_KEY UINT64_MAX /* coalescing key of our pong (odz_ws_send_frame_keyed keys differ) */

struct odz_ws {
    h2o_linklist_t link; /* lp->websockets */
    odz_http_loop *lp;
    h2o_socket_t *sock; /* NULL until the upgrade completes */
    void (*prev_close_cb)(void *);
    void *prev_close_data;
    odz_ws_callbacks cb;
    void *ud;
    odz_ws_limits lim;

    /* output: q waits (keyed, bounded: outq.h), w is being written */
    odz_outq q, w;
    h2o_iovec_t *iov;
    size_t iovcap;
    int writing;

    odz_ws_reader rd; /* input */

    /* state */
    int closing; /* close frame queued; socket closes once written */
    int close_code;
    int gone;    /* socket closed, on_close called */
    int busy;    /* inside on_read: closing is deferred to its end */
    int close_pending;
    int abort_requested; /* odz_ws_abort before the upgrade completed */
    int draining;        /* close frame written: discard input until EOF or the timer */
    int64_t last_rx_ms;  /* monotonic ms of the last bytes received */
    h2o_timeout_entry_t close_timer;
    h2o_timeout_entry_t flush_timer; /* on zero_timeout: writes what waits at the loop turn's end */
    unsigned long writes;            /* writes started (one writev each) */
    h2o_linklist_t send_link;        /* in lp->ws_sending while the write waits for the batch */
    long batch_ix;                   /* its place in the batch (-1: not in it) */
    size_t batch_bytes;              /* the bytes of that write */
};

static void ws_write(odz_ws *ws);
static void schedule_flush(odz_ws *ws);

/* ---- frames ------------------------------------------------------------------------------ */

struct frame_out {
    uint8_t *buf;
    size_t len, cap;
    int oom;
};

static ssize_t out_send(const uint8_t *data, size_t len, int flags, void *ud)
{
    struct frame_out *o = ud;
    if (o->len + len > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + len)
            cap *= 2;
        uint8_t *n = realloc(o->buf, cap);
        if (!n) {
            o->oom = 1;
            return -1;
        }
        o->buf = n;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, data, len);
    o->len += len;
    return (ssize_t)len;
}
static ssize_t no_recv(uint8_t *buf, size_t len, int flags, void *ud)
{
    return -1;
}
static int no_mask(uint8_t *buf, size_t len, void *ud)
{
    return -1;
}

/* One whole frame (server frames are never masked). */
static odz_buf *build_frame(uint8_t opcode, const void *data, size_t len)
{
    struct frame_out o = {NULL, 0, 0, 0};
    struct wslay_frame_callbacks cbs = {out_send, no_recv, no_mask};
    wslay_frame_context_ptr fc;
    if (wslay_frame_context_init(&fc, &cbs, &o) != 0)
        return NULL;
    struct wslay_frame_iocb io = {.fin = 1, .rsv = 0, .opcode = opcode, .payload_length = len,
                                  .mask = 0, .data = data, .data_length = len};
    ssize_t r = wslay_frame_send(fc, &io);
    wslay_frame_context_free(fc);
    if (r < 0 || (size_t)r != len || o.oom || o.len == 0) {
        free(o.buf);
        return NULL;
    }
    return odz_buf_take(o.buf, o.len);
}

odz_buf *odz_ws_frame_text(const void *data, size_t len)
{
    return build_frame(WSLAY_TEXT_FRAME, data, len);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void ws_free(odz_ws *ws)
{
    odz_outq_free(&ws->q);
    odz_outq_free(&ws->w);
    free(ws->iov);
    odz_ws_reader_free(&ws->rd);
    free(ws);
}

/* Socket closed (by us or by h2o): tell the owner once, free everything. */
static void on_sock_close(void *data)
{
    odz_ws *ws = data;
    if (ws->prev_close_cb)
        ws->prev_close_cb(ws->prev_close_data);
    ws->sock = NULL;
    ws->gone = 1;
    if (h2o_timeout_is_linked(&ws->close_timer))
        h2o_timeout_unlink(&ws->close_timer);
    if (h2o_timeout_is_linked(&ws->flush_timer))
        h2o_timeout_unlink(&ws->flush_timer);
    if (h2o_linklist_is_linked(&ws->send_link))
        h2o_linklist_unlink(&ws->send_link); /* a write not sent, or not yet settled */
    h2o_linklist_unlink(&ws->link);
    if (ws->cb.on_close)
        ws->cb.on_close(ws, ws->close_code ? ws->close_code : 1006, ws->ud);
    ws_free(ws);
}

static void close_now(odz_ws *ws)
{
    if (ws->busy) {
        ws->close_pending = 1;
        return;
    }
    if (ws->sock && !ws->gone)
        h2o_socket_close(ws->sock); /* calls on_sock_close synchronously */
}

static void on_close_timer(h2o_timeout_entry_t *e)
{
    odz_ws *ws = H2O_STRUCT_FROM_MEMBER(odz_ws, close_timer, e);
    close_now(ws);
}

/* ---- output ------------------------------------------------------------------------------ */

/* A newer state of something still waiting replaces it where it stands (outq.h). */
static int push_keyed(odz_ws *ws, odz_buf *b, int force, uint64_t key)
{
    /* a frame larger than the bound is refused behind a write in flight too */
    if (!force && ws->q.n == 0 && ws->writing && odz_buf_len(b) > ws->lim.max_queued)
        return ODZ_EFULL;
    return odz_outq_push(&ws->q, b, key, force ? 0 : ws->lim.max_queued);
}

static int push(odz_ws *ws, odz_buf *b, int force)
{
    return push_keyed(ws, b, force, 0);
}

static void on_read(h2o_socket_t *sock, const char *err);

/* The close frame is out: send FIN and read (discarding) until the peer closes or the close
 * timer fires, so unread input does not turn the close into a reset. */
static void start_drain(odz_ws *ws)
{
    if (ws->draining || !ws->sock)
        return;
    ws->draining = 1;
    shutdown(h2o_socket_get_fd(ws->sock), SHUT_WR);
    h2o_buffer_consume(&ws->sock->input, ws->sock->input->size);
    h2o_socket_read_start(ws->sock, on_read);
}

static void on_written(h2o_socket_t *sock, const char *err)
{
    odz_ws *ws = sock->data;
    ws->writing = 0;
    odz_outq_clear(&ws->w);
    if (err) {
        if (!ws->close_code)
            ws->close_code = 1006;
        close_now(ws);
        return;
    }
    if (ws->q.n)
        schedule_flush(ws);
    else if (ws->closing)
        start_drain(ws);
}

static void ws_write(odz_ws *ws)
{
    if (ws->writing || !ws->q.n || !ws->sock || ws->gone)
        return;
    if (ws->iovcap < ws->q.n) {
        h2o_iovec_t *iov = realloc(ws->iov, ws->q.cap * sizeof(*iov));
        if (!iov) {
            /* never close from inside a sender's loop: let the timer do it */
            ws->close_code = 1011;
            if (!h2o_timeout_is_linked(&ws->close_timer))
                h2o_timeout_link(ws->lp->evloop, &ws->lp->ctx.zero_timeout, &ws->close_timer);
            return;
        }
        ws->iov = iov;
        ws->iovcap = ws->q.cap;
    }
    /* what waits becomes the write in flight, all of it in one writev */
    odz_outq_move(&ws->q, &ws->w);
    ws->batch_bytes = 0;
    for (size_t i = 0; i < ws->w.n; i++) {
        ws->iov[i] = h2o_iovec_init(odz_buf_data(ws->w.v[i]), odz_buf_len(ws->w.v[i]));
        ws->batch_bytes += ws->iov[i].len;
    }
    ws->writing = 1;
    ws->writes++;
    odz_http_loop *lp = ws->lp;
    if (!lp->sendbatch && !lp->sendbatch_off && !(lp->sendbatch = odz_sendbatch_new()))
        lp->sendbatch_off = 1;
    if (lp->sendbatch && !ws->sock->ssl && ws->w.n <= IOV_MAX) {
        /* with every other connection's write of this turn, at its end */
        h2o_linklist_insert(&lp->ws_sending, &ws->send_link);
        if (!h2o_timeout_is_linked(&lp->ws_submit))
            h2o_timeout_link(lp->evloop, &lp->ctx.zero_timeout, &lp->ws_submit);
        return;
    }
    h2o_socket_write(ws->sock, ws->iov, ws->w.n, on_written);
}

/* The batch's outcome for one connection's write: done, the rest handed to h2o (which waits
 * for the socket to drain, as for any write), or a failed connection. */
static void batch_written(odz_ws *ws, ssize_t r)
{
    if (r >= 0 && (size_t)r == ws->batch_bytes) {
        on_written(ws->sock, NULL);
        return;
    }
    if (r < 0 && r != -EAGAIN && r != -EINVAL && r != -ECANCELED) { /* else nothing went */
        on_written(ws->sock, "write failed");
        return;
    }
    size_t skip = r > 0 ? (size_t)r : 0, k = 0;
    while (k < ws->w.n && skip >= ws->iov[k].len)
        skip -= ws->iov[k++].len;
    ws->iov[k].base += skip;
    ws->iov[k].len -= skip;
    h2o_socket_write(ws->sock, ws->iov + k, ws->w.n - k, on_written);
}

void odz_http__ws_submit(h2o_timeout_entry_t *e)
{
    odz_http_loop *lp = H2O_STRUCT_FROM_MEMBER(odz_http_loop, ws_submit, e);
    /* the writes go to the batch and wait in `sent` for their outcome; a connection that
     * closes meanwhile (a callback below closing it) leaves the list on its own */
    h2o_linklist_t sent;
    h2o_linklist_init_anchor(&sent);
    long n = 0;
    while (!h2o_linklist_is_empty(&lp->ws_sending)) {
        odz_ws *ws = H2O_STRUCT_FROM_MEMBER(odz_ws, send_link, lp->ws_sending.next);
        h2o_linklist_unlink(&ws->send_link);
        h2o_linklist_insert(&sent, &ws->send_link);
        /* (no batch: it failed while this write waited, which then goes alone) */
        ws->batch_ix = lp->sendbatch && odz_sendbatch_add(lp->sendbatch,
                                                          h2o_socket_get_fd(ws->sock),
                                                          (const struct iovec *)(void *)ws->iov,
                                                          ws->w.n)
                           ? n++
                           : -1;
    }
    int rc = lp->sendbatch ? odz_sendbatch_flush(lp->sendbatch) : 0;
    while (!h2o_linklist_is_empty(&sent)) {
        odz_ws *ws = H2O_STRUCT_FROM_MEMBER(odz_ws, send_link, sent.next);
        h2o_linklist_unlink(&ws->send_link);
        batch_written(ws, ws->batch_ix < 0 ? -EAGAIN
                                           : odz_sendbatch_result(lp->sendbatch,
                                                                  (size_t)ws->batch_ix));
    }
    if (rc < 0 && lp->sendbatch) {
        fprintf(stderr, "http: loop %d: io_uring writes failed (%s); writing each alone\n",
                lp->index, strerror(-rc));
        odz_sendbatch_free(lp->sendbatch);
        lp->sendbatch = NULL;
        lp->sendbatch_off = 1;
    }
}

static void on_flush_timer(h2o_timeout_entry_t *e)
{
    ws_write(H2O_STRUCT_FROM_MEMBER(odz_ws, flush_timer, e));
}

/* Frames are not written as they are queued but once, after every callback of this loop turn
 * has run (h2o runs zero_timeout after the socket callbacks): whatever a turn queued for a
 * client, from any number of events, leaves in one writev. While a write is in flight nothing
 * is scheduled: its completion schedules the next. */
static void schedule_flush(odz_ws *ws)
{
    if (!ws->sock || ws->gone || ws->writing || !ws->q.n || h2o_timeout_is_linked(&ws->flush_timer))
        return;
    h2o_timeout_link(ws->lp->evloop, &ws->lp->ctx.zero_timeout, &ws->flush_timer);
}

int odz_ws_send_frame(odz_ws *ws, odz_buf *frame)
{
    return odz_ws_send_frame_keyed(ws, frame, 0);
}

int odz_ws_send_frame_keyed(odz_ws *ws, odz_buf *frame, uint64_t key)
{
    if (!ws || !frame)
        return ODZ_EINVAL;
    if (ws->closing || ws->gone)
        return ODZ_ECLOSED;
    int rc = push_keyed(ws, frame, 0, key);
    if (rc) /* an error, or 1: replaced a waiting frame (nothing new to write) */
        return rc;
    schedule_flush(ws);
    return 0;
}

int odz_ws_send_text(odz_ws *ws, const void *data, size_t len)
{
    odz_buf *f = odz_ws_frame_text(data, len);
    if (!f)
        return ODZ_ENOMEM;
    int rc = odz_ws_send_frame(ws, f);
    odz_buf_unref(f);
    return rc;
}

static void send_close(odz_ws *ws, int code, const char *reason)
{
    if (ws->closing || ws->gone)
        return;
    uint8_t p[125];
    size_t n = 0;
    if (code) {
        p[0] = (uint8_t)(code >> 8);
        p[1] = (uint8_t)code;
        n = 2;
        size_t rl = reason ? strlen(reason) : 0;
        if (rl > 123)
            rl = 123;
        while (rl > 0 && !odz_utf8_valid((const uint8_t *)reason, rl))
            rl--;
        if (rl)
            memcpy(p + 2, reason, rl);
        n += rl;
    }
    if (!ws->close_code)
        ws->close_code = code ? code : 1005;
    odz_buf *f = build_frame(WSLAY_CONNECTION_CLOSE, p, n);
    if (f) {
        push(ws, f, 1);
        odz_buf_unref(f);
    }
    ws->closing = 1;
    if (ws->sock) {
        h2o_socket_read_stop(ws->sock);
        h2o_timeout_link(ws->lp->evloop, &ws->lp->ctx.one_sec_timeout, &ws->close_timer);
        if (ws->q.n)
            schedule_flush(ws);
        else if (!ws->writing)
            start_drain(ws);
    }
}

void odz_ws_close(odz_ws *ws, int code, const char *reason)
{
    if (ws)
        send_close(ws, code, reason);
}

void odz_ws_abort(odz_ws *ws)
{
    if (!ws || ws->gone)
        return;
    ws->close_code = 1006;
    if (!ws->sock) {
        ws->abort_requested = 1; /* on_upgraded closes it */
        return;
    }
    close_now(ws);
}

int odz_ws_ping(odz_ws *ws)
{
    if (!ws || ws->closing || ws->gone)
        return ODZ_ECLOSED;
    odz_buf *f = build_frame(WSLAY_PING, "", 0);
    if (!f)
        return ODZ_ENOMEM;
    int rc = push_keyed(ws, f, 0, PONG_KEY - 1);
    odz_buf_unref(f);
    if (rc == 0)
        schedule_flush(ws);
    return rc < 0 ? rc : 0;
}

int64_t odz_ws_idle_ms(const odz_ws *ws)
{
    return ws->sock ? odz_mono_ms() - ws->last_rx_ms : 0;
}

int odz_ws_loop(const odz_ws *ws)
{
    return ws->lp->index;
}
size_t odz_ws_queued(const odz_ws *ws)
{
    return ws->q.bytes;
}
unsigned long odz_ws_coalesced(const odz_ws *ws)
{
    return ws->q.coalesced;
}
unsigned long odz_ws_writes(const odz_ws *ws)
{
    return ws->writes;
}
void odz_ws_set_ud(odz_ws *ws, void *ud)
{
    ws->ud = ud;
}

int odz_ws_remote_addr(const odz_ws *ws, char *out, size_t outlen)
{
    if (!ws->sock)
        return ODZ_ECLOSED;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl = h2o_socket_getpeername(ws->sock, (struct sockaddr *)&ss);
    return odz_http__peer_text(&ss, sl, out, outlen);
}

/* ---- input ------------------------------------------------------------------------------- */

/* One event of the reader (ws_reader.c): 0 to go on, -1 when the connection is closing. */
static int on_event(odz_ws *ws, const odz_ws_in_event *ev)
{
    switch (ev->type) {
    case ODZ_WS_IN_PING: {
        /* at most one pong waits (the latest ping's, RFC 6455 5.5.3): a client that pings
         * without reading cannot grow the queue */
        odz_buf *f = build_frame(WSLAY_PONG, ev->data, ev->len);
        if (f) {
            int rc = push_keyed(ws, f, 0, PONG_KEY);
            odz_buf_unref(f);
            if (rc < 0) {
                send_close(ws, 1008, "not reading");
                return -1;
            }
            schedule_flush(ws);
        }
        return 0;
    }
    case ODZ_WS_IN_PONG:
        return 0;
    case ODZ_WS_IN_CLOSE:
        ws->close_code = ev->code;
        send_close(ws, ev->len >= 2 ? ev->code : 0, NULL);
        return -1;
    case ODZ_WS_IN_ERROR:
        send_close(ws, ev->code, ev->reason);
        return -1;
    case ODZ_WS_IN_TEXT:
        if (ws->cb.on_text) {
            /* the callback may queue sends, or close: both are safe here */
            ws->cb.on_text(ws, ev->data, ev->len, ws->ud);
        }
        return ws->closing || ws->close_pending ? -1 : 0;
    default:
        return -1;
    }
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    odz_ws *ws = sock->data;
    if (err) {
        if (!ws->close_code)
            ws->close_code = 1006;
        close_now(ws);
        return;
    }
    ws->last_rx_ms = odz_mono_ms();
    if (ws->draining) {
        h2o_buffer_consume(&sock->input, sock->input->size);
        return;
    }
    ws->busy = 1;
    while (!ws->closing && !ws->close_pending) {
        odz_ws_in_event ev;
        size_t used;
        odz_ws_reader_next(&ws->rd, sock->input->bytes, sock->input->size, &used, &ev);
        h2o_buffer_consume(&sock->input, used);
        if (ev.type == ODZ_WS_IN_MORE || on_event(ws, &ev) != 0)
            break;
    }
    ws->busy = 0;
    if (ws->close_pending) {
        close_now(ws);
        return;
    }
    odz_ws_reader_rest(&ws->rd);
    if (ws->sock && ws->sock->input->size == 0 && ws->sock->input->capacity > 0) {
        h2o_buffer_dispose(&ws->sock->input);
        h2o_buffer_init(&ws->sock->input, &h2o_socket_buffer_prototype);
    }
}

/* Sec-WebSocket-Accept: base64(SHA-1(key + RFC 6455 GUID)); h2o 2.2 keeps its own static. */
static int accept_key_of(char dst[29], const char *key)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char in[128];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t kl = 24; /* h2o checked the length; the value is not NUL-terminated */
    memcpy(in, key, kl);
    memcpy(in + kl, guid, sizeof(guid) - 1);
    if (!EVP_Digest(in, kl + sizeof(guid) - 1, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
        return -1;
    h2o_base64_encode(dst, md, 20, 0);
    return 0;
}

/* ---- accept ------------------------------------------------------------------------------ */

int odz_http_is_websocket(const odz_http_req *req)
{
    const char *key;
    const char *ver = odz_http_header(req, "sec-websocket-version");
    return req->h2o && req->h2o->version < 0x200 && h2o_is_websocket_handshake(req->h2o, &key) == 0 &&
           key != NULL && ver && !strcmp(ver, "13");
}

static void on_upgraded(void *data, h2o_socket_t *sock, size_t reqsize)
{
    odz_ws *ws = data;
    if (!sock) {
        /* the 101 could not be sent: nothing to clean in h2o */
        h2o_linklist_unlink(&ws->link);
        if (ws->cb.on_close)
            ws->cb.on_close(ws, 1006, ws->ud);
        ws_free(ws);
        return;
    }
    ws->sock = sock;
    sock->data = ws;
    h2o_buffer_consume(&sock->input, reqsize);
    /* follow the socket: our close hook chains to the connection tracker's */
    ws->prev_close_cb = sock->on_close.cb;
    ws->prev_close_data = sock->on_close.data;
    sock->on_close.cb = on_sock_close;
    sock->on_close.data = ws;
    ws->last_rx_ms = odz_mono_ms();
    if (ws->abort_requested) {
        close_now(ws);
        return;
    }
    h2o_socket_read_start(sock, on_read);
    if (ws->closing) {
        h2o_socket_read_stop(sock);
        h2o_timeout_link(ws->lp->evloop, &ws->lp->ctx.one_sec_timeout, &ws->close_timer);
        if (!ws->q.n) {
            close_now(ws);
            return;
        }
    }
    schedule_flush(ws);
    if (sock->input->size && !ws->gone)
        on_read(sock, NULL);
}

odz_ws *odz_ws_accept(odz_http_req *req, const odz_ws_limits *lim, const odz_ws_callbacks *cb,
                      void *ud)
{
    const char *key = NULL;
    if (!req || !req->h2o || req->responded || req->pending || req->stream || !cb ||
        req->h2o->version >= 0x200 || h2o_is_websocket_handshake(req->h2o, &key) != 0 || !key)
        return NULL;
    const char *ver = odz_http_header(req, "sec-websocket-version");
    if (!ver || strcmp(ver, "13"))
        return NULL;
    char accept_key[29];
    if (accept_key_of(accept_key, key) != 0)
        return NULL;
    odz_ws *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return NULL;
    ws->lp = req->lp;
    ws->cb = *cb;
    ws->ud = ud;
    ws->lim.max_message = lim && lim->max_message ? lim->max_message : DEF_MAX_MESSAGE;
    ws->lim.max_queued = lim && lim->max_queued ? lim->max_queued : DEF_MAX_QUEUED;
    odz_ws_reader_init(&ws->rd, ws->lim.max_message);
    ws->close_timer.cb = on_close_timer;
    ws->flush_timer.cb = on_flush_timer;
    h2o_linklist_insert(&req->lp->websockets, &ws->link);

    h2o_req_t *h = req->h2o;
    h->res.status = 101;
    h->res.reason = "Switching Protocols";
    h2o_add_header(&h->pool, &h->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("websocket"));
    h2o_add_header_by_str(&h->pool, &h->res.headers, H2O_STRLIT("sec-websocket-accept"), 0, NULL,
                          accept_key, strlen(accept_key));
    odz_http__security_headers(h); /* the upgrade writes its head without the filters */
    req->responded = 1;
    h2o_http1_upgrade(h, NULL, 0, on_upgraded, ws);
    return ws;
}

void odz_http__ws_shutdown(odz_http_loop *lp, const char *reason)
{
    h2o_linklist_t *n = lp->websockets.next;
    while (n != &lp->websockets) {
        odz_ws *ws = H2O_STRUCT_FROM_MEMBER(odz_ws, link, n);
        n = n->next; /* closing may unlink and free it */
        if (ws->sock)
            send_close(ws, 1001, reason);
    }
}

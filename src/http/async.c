/* Responses finished off the loop: pending handles (answer later from any thread) and
 * streams (chunks over time, e.g. SSE). Workers queue to the owning loop and wake it; only the
 * loop thread touches h2o. Each object has two references, the caller's handle and the
 * request's; whichever side goes last frees it, so either side may vanish first. */
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

#include "core/err.h"
#include "http/http_internal.h"
#include "http/outq.h"

/* ---- deep copy of response options, for handing them across threads ---------------------- */

struct opts_copy {
    odz_http_resp_opts o;
    odz_http_header_kv kv[];
};

static size_t slen(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *put(char **cur, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*cur, s, n);
    const char *r = *cur;
    *cur += n;
    return r;
}

static struct opts_copy *opts_dup(const odz_http_resp_opts *o)
{
    if (!o)
        return NULL;
    size_t strs = slen(o->etag) + slen(o->cache_control) + slen(o->correlation_id) +
                  slen(o->content_encoding) + slen(o->vary);
    for (size_t i = 0; i < o->nextra; i++)
        strs += slen(o->extra[i].name) + slen(o->extra[i].value);
    size_t head = sizeof(struct opts_copy) + o->nextra * sizeof(odz_http_header_kv);
    struct opts_copy *c = malloc(head + strs);
    if (!c)
        return NULL;
    char *cur = (char *)c + head;
    memset(c, 0, sizeof(*c));
    c->o.etag = put(&cur, o->etag);
    c->o.cache_control = put(&cur, o->cache_control);
    c->o.correlation_id = put(&cur, o->correlation_id);
    c->o.content_encoding = put(&cur, o->content_encoding);
    c->o.vary = put(&cur, o->vary);
    for (size_t i = 0; i < o->nextra; i++) {
        c->kv[i].name = put(&cur, o->extra[i].name);
        c->kv[i].value = put(&cur, o->extra[i].value);
    }
    c->o.extra = c->kv;
    c->o.nextra = o->nextra;
    return c;
}

/* ---- pending ----------------------------------------------------------------------------- */

struct odz_http_pending {
    struct odz_http_msg msg;
    atomic_int refs;
    atomic_int alive;
    odz_http_loop *lp;
    /* loop thread */
    odz_http_req *r;
    h2o_linklist_t link;
    /* written by the completing thread before posting; the queue's mutex orders it */
    int status;
    char *ctype;
    odz_buf *body;
    struct opts_copy *opts;
};

static void pending_unref(odz_http_pending *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    odz_http_server *srv = p->lp->srv;
    free(p->ctype);
    odz_buf_unref(p->body);
    free(p->opts);
    free(p);
    odz_http__server_unref(srv);
}

odz_http_pending *odz_http_defer(odz_http_req *r)
{
    if (!r->h2o || r->responded || r->pending || r->stream)
        return NULL;
    odz_http_pending *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->msg.kind = ODZ_HTTP_MSG_PENDING;
    atomic_init(&p->refs, 2);
    atomic_init(&p->alive, 1);
    p->lp = r->lp;
    p->r = r;
    h2o_linklist_insert(&r->lp->pendings, &p->link);
    r->pending = p;
    odz_http__server_ref(r->lp->srv);
    return p;
}

int odz_http_pending_alive(const odz_http_pending *p)
{
    return atomic_load(&((odz_http_pending *)p)->alive);
}

/* Loop thread: unhooks p from its request; the caller then answers r (or not). */
static odz_http_req *pending_detach(odz_http_pending *p)
{
    odz_http_req *r = p->r;
    if (!r)
        return NULL;
    p->r = NULL;
    r->pending = NULL;
    h2o_linklist_unlink(&p->link);
    atomic_store(&p->alive, 0);
    return r;
}

/* Takes ownership of `body` (a reference) in every case. */
static int pending_complete(odz_http_pending *p, int status, const char *ctype, odz_buf *body,
                            const odz_http_resp_opts *opts)
{
    if (odz_http__check_opts(opts) != 0 || status < 200 || status > 599 ||
        (ctype && strpbrk(ctype, "\r\n"))) {
        /* still answer, so the client is not left hanging on a programming error */
        odz_buf_unref(body);
        body = NULL;
        ctype = NULL;
        opts = NULL;
        status = 500;
    }
    if (!atomic_load(&p->alive)) {
        odz_buf_unref(body);
        pending_unref(p);
        return ODZ_ECLOSED;
    }
    p->status = status;
    p->body = body;
    if ((ctype && !(p->ctype = strdup(ctype))) || (opts && !(p->opts = opts_dup(opts)))) {
        /* answer without the extras rather than never */
        free(p->ctype);
        p->ctype = NULL;
        odz_buf_unref(p->body);
        p->body = NULL;
        p->status = 503;
    }
    if (odz_http__loop_post(p->lp, &p->msg) != 0) {
        pending_unref(p);
        return ODZ_ECLOSED;
    }
    return 0;
}

int odz_http_pending_respond(odz_http_pending *p, int status, const char *content_type,
                             const void *body, size_t len)
{
    odz_buf *b = NULL;
    odz_http__count_copy(len);
    if (len && !(b = odz_buf_new(body, len))) {
        pending_complete(p, 503, NULL, NULL, NULL);
        return ODZ_ENOMEM;
    }
    return pending_complete(p, status, content_type, b, NULL);
}

int odz_http_pending_respond_buf(odz_http_pending *p, int status, const char *content_type,
                                 odz_buf *body, const odz_http_resp_opts *opts)
{
    return pending_complete(p, status, content_type, odz_buf_ref(body), opts);
}

int odz_http_pending_error(odz_http_pending *p, int status, const char *code, const char *message)
{
    size_t len = 0;
    char *s = odz_http__json_error_text(code ? code : odz_http__status_code(status), message, &len);
    odz_buf *b = s ? odz_buf_take(s, len) : NULL;
    if (!b) {
        pending_complete(p, 503, NULL, NULL, NULL);
        return ODZ_ENOMEM;
    }
    return pending_complete(p, status, "application/json", b, NULL);
}

int odz_http_pending_busy(odz_http_pending *p, const char *message, int retry_after_s)
{
    odz_buf *b = NULL;
    odz_http_header_kv h;
    odz_http_resp_opts o;
    char v[16];
    if (odz_http__busy(message, retry_after_s, &b, &h, v, &o)) {
        pending_complete(p, 503, NULL, NULL, NULL);
        return ODZ_ENOMEM;
    }
    return pending_complete(p, 503, "application/json", b, &o); /* takes b */
}

static void pending_on_message(odz_http_pending *p)
{
    odz_http_req *r = pending_detach(p);
    if (r) {
        odz_http__send(r, p->status, p->ctype, NULL, 0, p->body, p->opts ? &p->opts->o : NULL);
        pending_unref(p); /* the request's reference */
    }
    pending_unref(p); /* the handle's reference, carried by the message */
}

/* ---- streams ----------------------------------------------------------------------------- */

/* most chunks handed to h2o in one send (one writev: IOV_MAX is 1024, h2o adds the chunk
 * framing); the rest follows when it completes */
#define STREAM_MAX_IOV 1000

struct odz_http_stream {
    h2o_generator_t gen;
    struct odz_http_msg msg;
    atomic_int refs;
    atomic_int alive;
    odz_http_loop *lp;
    size_t max_buffered;

    pthread_mutex_t mu; /* guards the fields down to wake_queued */
    odz_outq q;         /* chunks waiting, keyed and bounded (outq.h) */
    int open; /* sends accepted */
    int end_requested;
    int wake_queued; /* msg is on the loop's queue (holding a reference) */

    /* loop thread */
    odz_http_req *r;
    h2o_linklist_t link;
    odz_outq inflight; /* handed to h2o, written by the send in progress */
    h2o_iovec_t *iov;
    size_t iovcap;
    int writing; /* h2o owns iov until proceed */
    int final_sent;
    int server_ended;
    void (*on_close)(void *ud, const char *reason);
    void *close_ud;
};

static void stream_ref(odz_http_stream *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

static void stream_unref(odz_http_stream *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    odz_http_server *srv = s->lp->srv;
    odz_outq_free(&s->q);
    odz_outq_free(&s->inflight);
    free(s->iov);
    pthread_mutex_destroy(&s->mu);
    free(s);
    odz_http__server_unref(srv);
}

static void release_inflight(odz_http_stream *s)
{
    odz_outq_clear(&s->inflight);
}

/* s->mu held: the waiting chunks (at most STREAM_MAX_IOV) become the send in flight. */
static void take_chunks(odz_http_stream *s)
{
    size_t n = s->q.n < STREAM_MAX_IOV ? s->q.n : STREAM_MAX_IOV;
    if (!n)
        return;
    if (s->iovcap < n) {
        h2o_iovec_t *iov = realloc(s->iov, n * sizeof(*iov));
        if (!iov)
            return; /* nothing taken: retried at the next wake-up */
        s->iov = iov;
        s->iovcap = n;
    }
    if (n == s->q.n) {
        odz_outq_move(&s->q, &s->inflight);
    } else {
        /* more than one send can carry: the oldest go now, the rest keep their order */
        for (size_t i = 0; i < n; i++)
            if (odz_outq_push(&s->inflight, s->q.v[i], 0, 0) != 0)
                return; /* out of memory: what was taken goes, the rest waits */
        for (size_t i = 0; i < n; i++) {
            s->q.bytes -= odz_buf_len(s->q.v[i]);
            odz_buf_unref(s->q.v[i]);
        }
        memmove(s->q.v, s->q.v + n, (s->q.n - n) * sizeof(*s->q.v));
        memmove(s->q.keys, s->q.keys + n, (s->q.n - n) * sizeof(*s->q.keys));
        s->q.n -= n;
    }
    for (size_t i = 0; i < s->inflight.n; i++)
        s->iov[i] = h2o_iovec_init(odz_buf_data(s->inflight.v[i]), odz_buf_len(s->inflight.v[i]));
}

/* Loop thread: hands queued chunks (and the end, once the queue is empty) to h2o. */
static void stream_flush(odz_http_stream *s)
{
    odz_http_req *r = s->r;
    if (!r || !r->h2o || s->writing || s->final_sent)
        return;
    pthread_mutex_lock(&s->mu);
    take_chunks(s);
    size_t n = s->inflight.n;
    int end = s->end_requested && !s->q.n;
    pthread_mutex_unlock(&s->mu);
    if (n == 0 && !end)
        return;
    s->writing = 1;
    if (end)
        s->final_sent = 1;
    /* h2o may finish and dispose the request inside h2o_send; keep s alive across it */
    stream_ref(s);
    h2o_send(r->h2o, s->iov, n, end ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
    stream_unref(s);
}

static void stream_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    odz_http_stream *s = H2O_STRUCT_FROM_MEMBER(odz_http_stream, gen, g);
    s->writing = 0;
    release_inflight(s);
    stream_flush(s);
}

static void stream_stop(h2o_generator_t *g, h2o_req_t *req)
{
    /* the request is being disposed; odz_http__req_gone does the cleanup right after */
    odz_http_stream *s = H2O_STRUCT_FROM_MEMBER(odz_http_stream, gen, g);
    s->writing = 0;
}

/* Any thread, s->mu held: make sure the loop will look at s. */
static int stream_wake_locked(odz_http_stream *s)
{
    if (s->wake_queued)
        return 0;
    s->wake_queued = 1;
    stream_ref(s);
    if (odz_http__loop_post(s->lp, &s->msg) != 0) {
        s->wake_queued = 0;
        atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel); /* the caller holds one */
        return ODZ_ECLOSED;
    }
    return 0;
}

odz_http_stream *odz_http_stream_start(odz_http_req *r, int status, const char *ctype,
                                       const odz_http_resp_opts *opts)
{
    h2o_req_t *req = r->h2o;
    if (!req || r->responded || r->pending || r->stream || status < 200 || status > 599 ||
        (ctype && strpbrk(ctype, "\r\n")) || odz_http__check_opts(opts) != 0)
        return NULL;
    odz_http_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return NULL;
    }
    s->gen.proceed = stream_proceed;
    s->gen.stop = stream_stop;
    s->msg.kind = ODZ_HTTP_MSG_STREAM;
    atomic_init(&s->refs, 2);
    atomic_init(&s->alive, 1);
    s->lp = r->lp;
    s->max_buffered = r->lp->srv->cfg.stream_max_buffered;
    s->open = 1;
    s->r = r;
    h2o_linklist_insert(&r->lp->streams, &s->link);
    r->stream = s;
    r->responded = 1;
    odz_http__server_ref(r->lp->srv);

    req->res.status = status;
    req->res.reason = odz_http__reason(status);
    if (ctype) {
        h2o_iovec_t c = h2o_strdup(&req->pool, ctype, strlen(ctype));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, c.base, c.len);
    }
    odz_http__add_opts(req, opts);
    h2o_start_response(req, &s->gen);
    if (odz_http__is_head(r)) {
        s->open = 0;
        atomic_store(&s->alive, 0);
        s->end_requested = 1;
    }
    /* an empty in-progress send puts the status line and headers on the wire now */
    s->writing = !s->end_requested;
    s->final_sent = s->end_requested;
    h2o_send(req, NULL, 0, s->end_requested ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
    return s;
}

void odz_http_stream_on_close(odz_http_stream *s, void (*fn)(void *ud, const char *reason),
                              void *ud)
{
    s->on_close = fn;
    s->close_ud = ud;
}

int odz_http_stream_alive(const odz_http_stream *s)
{
    return atomic_load(&((odz_http_stream *)s)->alive);
}

int odz_http_stream_send_keyed(odz_http_stream *s, odz_buf *b, uint64_t key)
{
    if (!b || odz_buf_len(b) == 0)
        return 0; /* an empty chunk would read as the end of a chunked body */
    pthread_mutex_lock(&s->mu);
    int rc = s->open ? odz_outq_push(&s->q, b, key, s->max_buffered) : ODZ_ECLOSED;
    if (rc == 0)
        rc = stream_wake_locked(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int odz_http_stream_send_buf(odz_http_stream *s, odz_buf *b)
{
    return odz_http_stream_send_keyed(s, b, 0);
}

int odz_http_stream_send(odz_http_stream *s, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    odz_buf *b = odz_buf_new(data, len);
    if (!b)
        return ODZ_ENOMEM;
    odz_http__count_copy(len);
    int rc = odz_http_stream_send_buf(s, b);
    odz_buf_unref(b);
    return rc;
}

void odz_http_stream_end(odz_http_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->open = 0;
    atomic_store(&s->alive, 0);
    s->end_requested = 1;
    stream_wake_locked(s);
    pthread_mutex_unlock(&s->mu);
    stream_unref(s);
}

void odz_http_stream_abort(odz_http_stream *s)
{
    if (!s)
        return;
    /* loop thread: cut the connection under the response; h2o notices at once (the socket
     * reads EOF/error) and disposes the request, which reports "client closed" */
    odz_http_req *r = s->r;
    if (r && r->h2o) {
        h2o_socket_t *sock = r->h2o->conn->callbacks->get_socket(r->h2o->conn);
        if (sock)
            shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
    }
    pthread_mutex_lock(&s->mu);
    odz_outq_clear(&s->q);
    pthread_mutex_unlock(&s->mu);
    odz_http_stream_end(s);
}

static void stream_on_message(odz_http_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->wake_queued = 0;
    pthread_mutex_unlock(&s->mu);
    stream_flush(s);
    stream_unref(s); /* the reference the message carried */
}

/* ---- loop-side entry points -------------------------------------------------------------- */

void odz_http__on_message(odz_http_loop *lp, struct odz_http_msg *m)
{
    if (m->kind == ODZ_HTTP_MSG_PENDING)
        pending_on_message(H2O_STRUCT_FROM_MEMBER(odz_http_pending, msg, m));
    else if (m->kind == ODZ_HTTP_MSG_STREAM)
        stream_on_message(H2O_STRUCT_FROM_MEMBER(odz_http_stream, msg, m));
    else if (m->kind == ODZ_HTTP_MSG_CALL) {
        struct odz_http_call_msg *c = (struct odz_http_call_msg *)m;
        c->fn(c->arg);
        free(c);
    }
}

int odz_http_call(odz_http_server *srv, int loop, void (*fn)(void *arg), void *arg)
{
    if (!srv || loop < 0 || loop >= srv->nloops || !fn)
        return ODZ_EINVAL;
    struct odz_http_call_msg *c = calloc(1, sizeof(*c));
    if (!c)
        return ODZ_ENOMEM;
    c->m.kind = ODZ_HTTP_MSG_CALL;
    c->fn = fn;
    c->arg = arg;
    int rc = odz_http__loop_post(&srv->loops[loop], &c->m);
    if (rc)
        free(c);
    return rc;
}

void odz_http__req_gone(odz_http_req *r)
{
    odz_buf_unref(r->body);
    r->body = NULL;
    odz_http_pending *p = r->pending;
    if (p) {
        pending_detach(p);
        pending_unref(p);
    }
    odz_http_stream *s = r->stream;
    if (s) {
        r->stream = NULL;
        s->r = NULL;
        h2o_linklist_unlink(&s->link);
        pthread_mutex_lock(&s->mu);
        s->open = 0;
        atomic_store(&s->alive, 0);
        pthread_mutex_unlock(&s->mu);
        s->writing = 0;
        release_inflight(s);
        if (s->on_close) {
            const char *why = s->server_ended || (!s->final_sent && r->lp->shutting_down)
                                  ? "server shutting down"
                              : s->final_sent ? "ended"
                                              : "client closed";
            s->on_close(s->close_ud, why);
        }
        stream_unref(s);
    }
    r->h2o = NULL;
}

void odz_http__async_shutdown(odz_http_loop *lp, int force)
{
    h2o_linklist_t *node, *next;
    for (node = lp->streams.next; node != &lp->streams; node = next) {
        next = node->next;
        odz_http_stream *s = H2O_STRUCT_FROM_MEMBER(odz_http_stream, link, node);
        pthread_mutex_lock(&s->mu);
        s->open = 0;
        atomic_store(&s->alive, 0);
        s->end_requested = 1;
        if (force)
            odz_outq_clear(&s->q);
        pthread_mutex_unlock(&s->mu);
        s->server_ended = 1;
        stream_flush(s); /* may unlink s, which is why `next` was taken first */
    }
    if (!force)
        return;
    for (node = lp->pendings.next; node != &lp->pendings; node = next) {
        next = node->next;
        odz_http_pending *p = H2O_STRUCT_FROM_MEMBER(odz_http_pending, link, node);
        odz_http_req *r = pending_detach(p);
        if (r)
            odz_http__send_json_error(r, 503, "shutting_down", "server is shutting down");
        pending_unref(p);
    }
}

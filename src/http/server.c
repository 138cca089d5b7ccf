/* HTTP server lifecycle on h2o 2.2: listeners, one event loop per thread, JSON errors for
 * engine-level rejections, the observer, and graceful shutdown (routes: route.c). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "http/http_internal.h"
#include "http/sendbatch.h"
#include "core/wait.h"

#define DEF_MAX_HEADER (16 * 1024)
#define DEF_MAX_BODY (1024 * 1024)
#define DEF_MAX_URI 4096
#define DEF_MAX_CONNS 1024
#define DEF_IDLE_MS 30000
#define DEF_SHUTDOWN_MS 5000
#define DEF_STREAM_BUF (1024 * 1024)
#define ACCEPT_BATCH 32

/* h2o objects with our server attached */
struct odz_logger {
    h2o_logger_t super;
    odz_http_server *srv;
};
struct odz_http_conn {
    h2o_linklist_t link;
    odz_http_loop *lp;
    h2o_socket_t *sock;
};

void odz_http_config_defaults(odz_http_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->host = "0.0.0.0";
    cfg->port = 8080;
    cfg->threads = 1;
    cfg->max_header_bytes = DEF_MAX_HEADER;
    cfg->max_body_bytes = DEF_MAX_BODY;
    cfg->max_uri_bytes = DEF_MAX_URI;
    cfg->max_connections = DEF_MAX_CONNS;
    cfg->idle_timeout_ms = DEF_IDLE_MS;
    cfg->shutdown_timeout_ms = DEF_SHUTDOWN_MS;
    cfg->stream_max_buffered = DEF_STREAM_BUF;
}

/* ---- server memory ----------------------------------------------------------------------- */

void odz_http__server_ref(odz_http_server *srv)
{
    atomic_fetch_add_explicit(&srv->refs, 1, memory_order_relaxed);
}

void odz_http__server_unref(odz_http_server *srv)
{
    if (atomic_fetch_sub_explicit(&srv->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* only what late pending/stream handles can still touch lives this long */
    for (int i = 0; i < srv->nloops; i++)
        pthread_mutex_destroy(&srv->loops[i].post_mu);
    free(srv->loops);
    free(srv);
}

int odz_http__loop_post(odz_http_loop *lp, struct odz_http_msg *m)
{
    int rc = 0;
    pthread_mutex_lock(&lp->post_mu);
    if (lp->closed)
        rc = ODZ_ECLOSED;
    else
        h2o_multithread_send_message(&lp->receiver, &m->super);
    pthread_mutex_unlock(&lp->post_mu);
    return rc;
}

int odz_http__is_head(const odz_http_req *r)
{
    return r->h2o &&
           h2o_memis(r->h2o->input.method.base, r->h2o->input.method.len, H2O_STRLIT("HEAD"));
}

/* ---- JSON bodies for errors the engine sends itself (413, 400, 417, ...) ------------------ */

struct jerr_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
};

static void jerr_do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t n,
                         h2o_send_state_t state)
{
    struct jerr_ostream *o = (struct jerr_ostream *)self;
    int head = h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"));
    if (state == H2O_SEND_STATE_FINAL && !head)
        h2o_ostream_send_next(self, req, &o->body, 1, state);
    else
        h2o_ostream_send_next(self, req, NULL, 0, state);
}

static void jerr_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    int st = req->res.status;
    if (st >= 400) {
        /* h2o's 400s here are about the body's framing (an unknown transfer coding, a bad
         * Content-Length, broken chunks); a bad head never gets this far (h2o_hooks.c) */
        const char *msg = st == 413   ? "request body is too large"
                          : st == 404 ? "no such resource"
                          : st == 417 ? "unsupported expectation"
                          : st == 400 ? "bad body framing: Transfer-Encoding, Content-Length or "
                                        "chunked encoding"
                                      : "request rejected";
        size_t len = 0;
        char *text = odz_http__json_error_text(odz_http__status_code(st), msg, &len);
        if (text) {
            struct jerr_ostream *o = (struct jerr_ostream *)h2o_add_ostream(req, sizeof(*o), slot);
            o->super.do_send = jerr_do_send;
            o->body = h2o_strdup(&req->pool, text, len);
            free(text);
            h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                           H2O_STRLIT("application/json"), 1);
            req->res.content_length = len;
            slot = &o->super.next;
        }
    }
    h2o_setup_next_ostream(req, slot);
}

static void sec_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    odz_http__security_headers(req);
    h2o_setup_next_ostream(req, slot);
}

/* ---- observer ---------------------------------------------------------------------------- */

static void log_access(h2o_logger_t *self, h2o_req_t *req)
{
    odz_http_server *srv = ((struct odz_logger *)self)->srv;
    if (!srv->observer)
        return;
    odz_http_req *r = odz_http__find_req(req);
    char method[24];
    size_t ml =
        req->input.method.len < sizeof(method) - 1 ? req->input.method.len : sizeof(method) - 1;
    memcpy(method, req->input.method.base, ml);
    method[ml] = '\0';
    struct timeval end = req->timestamps.response_end_at;
    if (end.tv_sec == 0)
        gettimeofday(&end, NULL);
    const struct timeval *beg = &req->timestamps.request_begin_at;
    double secs =
        beg->tv_sec ? (double)(end.tv_sec - beg->tv_sec) + (end.tv_usec - beg->tv_usec) / 1e6 : 0.0;
    if (secs < 0)
        secs = 0;
    srv->observer(srv->observer_ud, r ? r->label : "-", method, req->res.status, secs);
}

void odz_http_set_observer(odz_http_server *srv, odz_http_observer fn, void *ud)
{
    if (srv->ran)
        return;
    srv->observer = fn;
    srv->observer_ud = ud;
}

int odz_http_on_shutdown(odz_http_server *srv, odz_http_shutdown_hook fn, void *ud)
{
    if (srv->ran)
        return ODZ_ESTATE;
    if (!fn)
        return ODZ_EINVAL;
    if (srv->nhooks == ODZ_HTTP_MAX_HOOKS)
        return ODZ_EFULL;
    srv->hooks[srv->nhooks].fn = fn;
    srv->hooks[srv->nhooks].ud = ud;
    srv->nhooks++;
    return 0;
}

int odz_http_every(odz_http_server *srv, int interval_ms, void (*fn)(void *ud, int loop_index),
                   void *ud)
{
    if (srv->ran)
        return ODZ_ESTATE;
    if (!fn || interval_ms <= 0)
        return ODZ_EINVAL;
    if (srv->ntickers == ODZ_HTTP_MAX_TICKERS)
        return ODZ_EFULL;
    srv->tickers[srv->ntickers].fn = fn;
    srv->tickers[srv->ntickers].ud = ud;
    srv->tickers[srv->ntickers].interval_ms = interval_ms;
    srv->ntickers++;
    return 0;
}

int odz_http_nloops(const odz_http_server *srv)
{
    return srv->nloops;
}

int odz_http_req_loop(const odz_http_req *req)
{
    return req->lp->index;
}

static void on_tick(h2o_timeout_entry_t *entry)
{
    struct odz_http_ticker_ent *t = H2O_STRUCT_FROM_MEMBER(struct odz_http_ticker_ent, entry, entry);
    odz_http_loop *lp = t->lp;
    odz_http_server *srv = lp->srv;
    if (lp->shutting_down)
        return;
    h2o_timeout_link(lp->evloop, &t->timeout, &t->entry);
    srv->tickers[t->slot].fn(srv->tickers[t->slot].ud, lp->index);
}

/* ---- creation ---------------------------------------------------------------------------- */

static int open_listener(const struct addrinfo *ai, int port, int reuseport, char *err,
                         size_t errlen)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return odz_fail(err, errlen, ODZ_EIO, "socket: %s", strerror(errno));
    int one = 1;
    struct sockaddr_storage ss;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    if (ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        return odz_fail(err, errlen, ODZ_EIO, "bind/listen port %d: %s", port, strerror(e));
    }
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return -1;
    return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                   : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int setup_h2o(odz_http_server *srv)
{
    h2o_config_init(&srv->gconf);
    srv->h2o_ready = 1;
    srv->gconf.server_name = h2o_iovec_init(H2O_STRLIT("oddzy"));
    srv->gconf.max_request_entity_size = srv->cfg.max_body_bytes;
    srv->gconf.http1.req_timeout = (uint64_t)srv->cfg.idle_timeout_ms;
    srv->gconf.http1.upgrade_to_http2 = 0; /* HTTP/1.1 only: our limits and shutdown assume it */
    srv->hostconf =
        h2o_config_register_host(&srv->gconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    srv->pathconf = h2o_config_register_path(srv->hostconf, "/", 0);

    struct odz_http_handler_ent *h =
        (struct odz_http_handler_ent *)h2o_create_handler(srv->pathconf, sizeof(*h));
    h->super.on_req = odz_http__on_req;
    h->srv = srv;

    h2o_pathconf_t *fb = &srv->hostconf->fallback_path;
    h2o_filter_t *f = h2o_create_filter(fb, sizeof(*f));
    f->on_setup_ostream = jerr_setup_ostream;
    /* it must run before the chunked encoder, which has to see the JSON length; h2o 2.2
     * prepends new filters, but do not rely on it */
    for (size_t i = fb->filters.size - 1; i > 0; i--) {
        if (fb->filters.entries[i] == f) {
            fb->filters.entries[i] = fb->filters.entries[i - 1];
            fb->filters.entries[i - 1] = f;
        }
    }

    h2o_pathconf_t *confs[2] = {srv->pathconf, fb};
    for (int i = 0; i < 2; i++) {
        /* headers only: its place among the filters does not matter */
        h2o_filter_t *sec = h2o_create_filter(confs[i], sizeof(*sec));
        sec->on_setup_ostream = sec_setup_ostream;
        struct odz_logger *l = (struct odz_logger *)h2o_create_logger(confs[i], sizeof(*l));
        l->super.log_access = log_access;
        l->srv = srv;
    }
    return 0;
}

odz_http_server *odz_http_new(const odz_http_config *cfg_in, char *err, size_t errlen)
{
    odz_http_config defs;
    odz_http_config_defaults(&defs);
    odz_http_server *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    atomic_init(&srv->refs, 1);
    atomic_init(&srv->stopping, 0);
    atomic_init(&srv->nconns, 0);
    srv->static_dirfd = -1;
    srv->cfg = *cfg_in;
    odz_http_config *c = &srv->cfg;
    if (c->threads <= 0)
        c->threads = 1;
    if (c->max_header_bytes == 0)
        c->max_header_bytes = defs.max_header_bytes;
    if (c->max_body_bytes == 0)
        c->max_body_bytes = defs.max_body_bytes;
    if (c->max_uri_bytes == 0)
        c->max_uri_bytes = defs.max_uri_bytes;
    if (c->max_connections <= 0)
        c->max_connections = defs.max_connections;
    if (c->idle_timeout_ms <= 0)
        c->idle_timeout_ms = defs.idle_timeout_ms;
    if (c->shutdown_timeout_ms <= 0)
        c->shutdown_timeout_ms = defs.shutdown_timeout_ms;
    if (c->stream_max_buffered == 0)
        c->stream_max_buffered = defs.stream_max_buffered;
    if (c->port < 0 || c->port > 65535 || c->threads > 256) {
        odz_fail(err, errlen, ODZ_EINVAL, "bad port or thread count");
        free(srv);
        return NULL;
    }
    srv->host = strdup(c->host ? c->host : "0.0.0.0");
    srv->static_root = c->static_root ? strdup(c->static_root) : NULL;
    c->host = srv->host;
    c->static_root = srv->static_root;
    srv->nloops = c->threads;
    srv->loops = calloc((size_t)srv->nloops, sizeof(*srv->loops));
    if (!srv->loops) {
        free(srv->host);
        free(srv->static_root);
        free(srv);
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < srv->nloops; i++) {
        odz_http_loop *lp = &srv->loops[i];
        lp->srv = srv;
        lp->index = i;
        lp->listen_fd = lp->stop_pipe[0] = lp->stop_pipe[1] = -1;
        lp->closed = 1; /* opened by the loop once it can receive */
        pthread_mutex_init(&lp->post_mu, NULL);
    }
    if (!srv->host || (cfg_in->static_root && !srv->static_root)) {
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        goto fail;
    }
    if (srv->static_root) {
        srv->static_dirfd = open(srv->static_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (srv->static_dirfd < 0) {
            odz_fail(err, errlen, ODZ_EINVAL, "static root %s: %s", srv->static_root,
                     strerror(errno));
            goto fail;
        }
    }

    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int gai = getaddrinfo(srv->host, NULL, &hints, &ai);
    if (gai != 0) {
        odz_fail(err, errlen, ODZ_EINVAL, "bind address %s: %s", srv->host, gai_strerror(gai));
        goto fail;
    }
    int port = c->port;
    for (int i = 0; i < srv->nloops; i++) {
        odz_http_loop *lp = &srv->loops[i];
        lp->listen_fd = open_listener(ai, port, srv->nloops > 1, err, errlen);
        if (lp->listen_fd < 0) {
            lp->listen_fd = -1;
            freeaddrinfo(ai);
            goto fail;
        }
        if (i == 0)
            port = bound_port(lp->listen_fd); /* later loops share the ephemeral port */
        if (pipe2(lp->stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
            lp->stop_pipe[0] = lp->stop_pipe[1] = -1;
            odz_fail(err, errlen, ODZ_EIO, "pipe: %s", strerror(errno));
            freeaddrinfo(ai);
            goto fail;
        }
    }
    freeaddrinfo(ai);
    srv->port = port;
    setup_h2o(srv);
    return srv;
fail:
    odz_http_free(srv);
    return NULL;
}

int odz_http_port(const odz_http_server *srv)
{
    return srv->port;
}

/* ---- the event loop ---------------------------------------------------------------------- */

static void on_conn_close(void *data)
{
    struct odz_http_conn *c = data;
    h2o_linklist_unlink(&c->link);
    c->lp->nconns--;
    atomic_fetch_sub(&c->lp->srv->nconns, 1);
    free(c);
}

static void reject_conn(h2o_socket_t *sock)
{
    char resp[512];
    int n = odz_http__canned_json(503, NULL, "too many connections", resp, sizeof(resp));
    int fd = h2o_socket_get_fd(sock);
    /* best effort on a fresh socket: the send buffer is empty */
    if (n > 0 && send(fd, resp, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
        shutdown(fd, SHUT_WR);
    h2o_socket_close(sock);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    odz_http_loop *lp = listener->data;
    odz_http_server *srv = lp->srv;
    if (err)
        return;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        errno = 0;
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (!sock) {
            if (errno == EMFILE || errno == ENFILE) {
                /* out of descriptors: the listener would stay readable and spin the loop */
                h2o_socket_read_stop(listener);
                h2o_timeout_link(lp->evloop, &lp->ctx.hundred_ms_timeout, &lp->accept_pause);
            }
            break;
        }
        if (atomic_fetch_add(&srv->nconns, 1) >= srv->cfg.max_connections) {
            atomic_fetch_sub(&srv->nconns, 1);
            reject_conn(sock);
            continue;
        }
        struct odz_http_conn *c = calloc(1, sizeof(*c));
        if (!c) {
            atomic_fetch_sub(&srv->nconns, 1);
            h2o_socket_close(sock);
            continue;
        }
        int one = 1;
        setsockopt(h2o_socket_get_fd(sock), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->lp = lp;
        c->sock = sock;
        h2o_linklist_insert(&lp->conns, &c->link);
        lp->nconns++;
        sock->on_close.cb = on_conn_close;
        sock->on_close.data = c;
        h2o_accept(&lp->accept_ctx, sock);
    }
}

static void on_accept_pause_over(h2o_timeout_entry_t *entry)
{
    odz_http_loop *lp = H2O_STRUCT_FROM_MEMBER(odz_http_loop, accept_pause, entry);
    if (lp->listener)
        h2o_socket_read_start(lp->listener, on_accept);
}

static void on_stop_readable(h2o_socket_t *sock, const char *err)
{
    if (err) {
        h2o_socket_read_stop(sock);
        return;
    }
    h2o_buffer_consume(&sock->input, sock->input->size);
}

static void on_messages(h2o_multithread_receiver_t *rcv, h2o_linklist_t *messages)
{
    odz_http_loop *lp = H2O_STRUCT_FROM_MEMBER(odz_http_loop, receiver, rcv);
    while (!h2o_linklist_is_empty(messages)) {
        struct odz_http_msg *m =
            H2O_STRUCT_FROM_MEMBER(struct odz_http_msg, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        odz_http__on_message(lp, m);
    }
}

/* Idle keep-alive connections (nothing received of a next request) are shut so h2o reads EOF
 * and closes them itself; the others are told not to keep the connection alive. */
static int shut_idle_cb(h2o_req_t *req, void *data)
{
    const struct timeval *t = &req->timestamps.request_begin_at;
    if (t->tv_sec == 0 && t->tv_usec == 0) {
        h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
        if (sock)
            shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
    } else {
        req->http1_is_persistent = 0;
    }
    return 0;
}

static void close_idle(odz_http_loop *lp)
{
    H2O_HTTP1_CALLBACKS.foreach_request(&lp->ctx, shut_idle_cb, lp);
}

static void run_for(odz_http_loop *lp, int64_t deadline)
{
    while (lp->nconns > 0) {
        int64_t left = deadline - odz_mono_ms();
        if (left <= 0)
            break;
        h2o_evloop_run(lp->evloop, (int32_t)(left < 50 ? left : 50));
        close_idle(lp);
    }
}

static void graceful_shutdown(odz_http_loop *lp)
{
    odz_http_server *srv = lp->srv;
    lp->shutting_down = 1;
    if (h2o_timeout_is_linked(&lp->accept_pause))
        h2o_timeout_unlink(&lp->accept_pause);
    if (lp->listener) {
        h2o_socket_read_stop(lp->listener);
        h2o_socket_close(lp->listener);
        lp->listener = NULL;
    }
    /* the flag alone makes h2o's HTTP/1 answer with Connection: close; the full
     * h2o_context_request_shutdown would also arm an HTTP/2 timer we have no use for */
    lp->ctx.shutdown_requested = 1;
    for (size_t i = 0; i < srv->ntickers; i++)
        if (h2o_timeout_is_linked(&lp->tickers[i].entry))
            h2o_timeout_unlink(&lp->tickers[i].entry);
    for (size_t i = 0; i < srv->nhooks; i++)
        srv->hooks[i].fn(srv->hooks[i].ud, lp->index, "server shutting down");
    odz_http__ws_shutdown(lp, "server shutting down");
    odz_http__async_shutdown(lp, 0);
    close_idle(lp);
    run_for(lp, odz_mono_ms() + srv->cfg.shutdown_timeout_ms);
    if (lp->nconns == 0)
        return;
    /* out of patience: answer what is still pending (those connections then close by
     * themselves), give the answers a moment to leave, then cut whatever remains */
    odz_http__async_shutdown(lp, 1);
    run_for(lp, odz_mono_ms() + 200);
    for (h2o_linklist_t *n = lp->conns.next; n != &lp->conns; n = n->next) {
        struct odz_http_conn *c = H2O_STRUCT_FROM_MEMBER(struct odz_http_conn, link, n);
        shutdown(h2o_socket_get_fd(c->sock), SHUT_RDWR);
    }
    run_for(lp, odz_mono_ms() + 1000);
}

static void *loop_main(void *arg)
{
    odz_http_loop *lp = arg;
    odz_http_server *srv = lp->srv;
    if (lp->index > 0) /* loop 0 runs on the caller's thread, which keeps its name */
        odz_thread_name("odz-http");

    h2o_linklist_init_anchor(&lp->conns);
    h2o_linklist_init_anchor(&lp->pendings);
    h2o_linklist_init_anchor(&lp->streams);
    h2o_linklist_init_anchor(&lp->websockets);
    h2o_linklist_init_anchor(&lp->ws_sending);
    lp->ws_submit.cb = odz_http__ws_submit;
    lp->evloop = h2o_evloop_create();
    h2o_context_init(&lp->ctx, lp->evloop, &srv->gconf);
    for (size_t i = 0; i < srv->ntickers; i++) {
        struct odz_http_ticker_ent *t = &lp->tickers[i];
        t->lp = lp;
        t->slot = (int)i;
        t->entry.cb = on_tick;
        h2o_timeout_init(lp->evloop, &t->timeout, (uint64_t)srv->tickers[i].interval_ms);
        h2o_timeout_link(lp->evloop, &t->timeout, &t->entry);
    }
    h2o_multithread_register_receiver(lp->ctx.queue, &lp->receiver, on_messages);
    pthread_mutex_lock(&lp->post_mu);
    lp->closed = 0;
    pthread_mutex_unlock(&lp->post_mu);

    lp->accept_pause.cb = on_accept_pause_over;
    lp->accept_ctx.ctx = &lp->ctx;
    lp->accept_ctx.hosts = srv->gconf.hosts;
    lp->listener = h2o_evloop_socket_create(lp->evloop, lp->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    lp->listen_fd = -1;
    lp->listener->data = lp;
    h2o_socket_read_start(lp->listener, on_accept);
    lp->stop_sock = h2o_evloop_socket_create(lp->evloop, lp->stop_pipe[0], 0);
    lp->stop_pipe[0] = -1;
    lp->stop_sock->data = lp;
    h2o_socket_read_start(lp->stop_sock, on_stop_readable);

    while (!atomic_load(&srv->stopping))
        h2o_evloop_run(lp->evloop, INT32_MAX);

    graceful_shutdown(lp);

    /* teardown: no more posts, deliver those already queued, then dispose h2o */
    pthread_mutex_lock(&lp->post_mu);
    lp->closed = 1;
    pthread_mutex_unlock(&lp->post_mu);
    for (int i = 0; i < 200 && !h2o_linklist_is_empty(&lp->receiver._messages); i++)
        h2o_evloop_run(lp->evloop, 10);
    h2o_multithread_unregister_receiver(lp->ctx.queue, &lp->receiver);
    h2o_socket_read_stop(lp->stop_sock);
    h2o_socket_close(lp->stop_sock);
    lp->stop_sock = NULL;
    if (lp->nconns) {
        /* connections h2o would still call back into: leaking the loop beats a crash */
        fprintf(stderr, "http: loop %d: %zu connection(s) did not close; loop leaked\n", lp->index,
                lp->nconns);
        return NULL;
    }
    for (size_t i = 0; i < srv->ntickers; i++)
        h2o_timeout_dispose(lp->evloop, &lp->tickers[i].timeout);
    if (h2o_timeout_is_linked(&lp->ws_submit)) /* its connections are all closed */
        h2o_timeout_unlink(&lp->ws_submit);
    h2o_multithread_queue_t *queue = lp->ctx.queue;
    h2o_context_dispose(&lp->ctx);
#if H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR == 2
    /* 2.2's h2o_multithread_destroy_queue closes the queue but never frees it */
    free(queue);
#else
    (void)queue;
#endif
    h2o_evloop_run(lp->evloop, 0); /* frees sockets closed above */
    h2o_evloop_destroy(lp->evloop);
    lp->evloop = NULL;
    odz_sendbatch_free(lp->sendbatch);
    lp->sendbatch = NULL;
    /* h2o caches freed socket buffers per thread and never releases them; empty the cache
     * so a loop thread that ends leaves nothing behind */
    h2o_mem_recycle_t *cache = &h2o_socket_buffer_prototype.allocator;
    while (cache->cnt)
        free(h2o_mem_alloc_recycle(cache, 1));
    return NULL;
}

int odz_http_run(odz_http_server *srv)
{
    if (srv->ran)
        return ODZ_ESTATE;
    srv->ran = 1;
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
    int rc = 0;
    for (int i = 1; i < srv->nloops; i++) {
        if (pthread_create(&srv->loops[i].tid, NULL, loop_main, &srv->loops[i]) != 0) {
            rc = ODZ_EIO;
            odz_http_stop(srv);
            break;
        }
        srv->loops[i].started = 1;
    }
    loop_main(&srv->loops[0]);
    for (int i = 1; i < srv->nloops; i++)
        if (srv->loops[i].started)
            pthread_join(srv->loops[i].tid, NULL);
    return rc;
}

void odz_http_stop(odz_http_server *srv)
{
    atomic_store(&srv->stopping, 1);
    for (int i = 0; i < srv->nloops; i++) {
        int fd = srv->loops[i].stop_pipe[1];
        if (fd >= 0) {
            ssize_t w = write(fd, "x", 1); /* a full pipe already means "wake up" */
            (void)w;
        }
    }
}

void odz_http_free(odz_http_server *srv)
{
    if (!srv)
        return;
    for (int i = 0; srv->loops && i < srv->nloops; i++) {
        odz_http_loop *lp = &srv->loops[i];
        if (lp->listen_fd >= 0)
            close(lp->listen_fd);
        if (lp->stop_pipe[0] >= 0)
            close(lp->stop_pipe[0]);
        if (lp->stop_pipe[1] >= 0)
            close(lp->stop_pipe[1]);
        lp->listen_fd = lp->stop_pipe[0] = lp->stop_pipe[1] = -1;
    }
    if (srv->static_dirfd >= 0)
        close(srv->static_dirfd);
    for (size_t i = 0; i < srv->nroutes; i++) {
        free(srv->routes[i].pattern);
        free(srv->routes[i].method);
    }
    free(srv->routes);
    if (srv->h2o_ready)
        h2o_config_dispose(&srv->gconf);
    free(srv->host);
    free(srv->static_root);
    srv->routes = NULL;
    srv->nroutes = 0;
    odz_http__server_unref(srv);
}

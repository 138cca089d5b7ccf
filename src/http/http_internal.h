/* Internal to src/http (server.c, route.c, respond.c, async.c, static.c, websocket.c,
 * h2o_hooks.c): shared structures and the odz_http__* cross-file helpers. Nothing outside
 * src/http may include it; it exposes h2o. */
#ifndef ODZ_HTTP_INTERNAL_H
#define ODZ_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <h2o.h>
#include <h2o/http1.h>

#include "http/server.h"

#define ODZ_HTTP_MAX_HOOKS 16
#define ODZ_HTTP_MAX_TICKERS 8

struct odz_http_route_ent {
    char *method;  /* NULL = any */
    char *pattern; /* as registered: the route label */
    size_t plen;   /* bytes to compare: whole path, or prefix up to and including the '/' */
    int prefix;
    odz_http_handler fn;
    void *ud;
};

/* A cross-thread message to a loop; embedded in the pending or stream it concerns. */
enum { ODZ_HTTP_MSG_PENDING = 1, ODZ_HTTP_MSG_STREAM = 2, ODZ_HTTP_MSG_CALL = 3 };
struct odz_http_msg {
    h2o_multithread_message_t super;
    int kind;
};

struct odz_http_call_msg {
    struct odz_http_msg m; /* first: the message is freed through it */
    void (*fn)(void *arg);
    void *arg;
};

typedef struct odz_http_loop {
    odz_http_server *srv;
    int index;
    int listen_fd;    /* owned here until the loop wraps it in `listener` */
    int stop_pipe[2]; /* [0] owned here until wrapped in `stop_sock`; [1] written by stop */
    pthread_t tid;
    int started;

    /* loop thread only */
    h2o_evloop_t *evloop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_timeout_entry_t accept_pause; /* listener paused after EMFILE */
    h2o_socket_t *stop_sock;
    h2o_multithread_receiver_t receiver;
    h2o_linklist_t conns; /* struct odz_http_conn */
    size_t nconns;
    h2o_linklist_t pendings;   /* odz_http_pending not yet answered */
    h2o_linklist_t streams;    /* odz_http_stream still attached to a request */
    h2o_linklist_t websockets; /* odz_ws open on this loop */
    /* WebSocket writes of this turn, sent together at its end (websocket.c, sendbatch.h) */
    struct odz_sendbatch *sendbatch; /* made on first use; NULL: none (each writes alone) */
    int sendbatch_off;               /* io_uring unavailable or failed here: do not retry */
    h2o_linklist_t ws_sending;       /* odz_ws with a write waiting for the batch */
    h2o_timeout_entry_t ws_submit;   /* on zero_timeout: writes the batch */
    struct odz_http_ticker_ent {
        h2o_timeout_t timeout;
        h2o_timeout_entry_t entry;
        struct odz_http_loop *lp;
        int slot;
    } tickers[ODZ_HTTP_MAX_TICKERS];
    int shutting_down;

    /* posting from other threads: `closed` (under post_mu) forbids it during teardown */
    pthread_mutex_t post_mu;
    int closed;
} odz_http_loop;

struct odz_http_server {
    atomic_int refs; /* the owner's + one per live pending/stream handle */
    atomic_int stopping;
    atomic_int nconns; /* all loops, for max_connections */

    odz_http_config cfg; /* strings point to the copies below */
    char *host;
    char *static_root;
    int static_dirfd; /* O_PATH|O_DIRECTORY of static_root, or -1 */
    int port;
    int ran;

    struct odz_http_route_ent *routes;
    size_t nroutes;
    odz_http_observer observer;
    void *observer_ud;
    struct {
        odz_http_shutdown_hook fn;
        void *ud;
    } hooks[ODZ_HTTP_MAX_HOOKS];
    size_t nhooks;
    struct {
        void (*fn)(void *ud, int loop_index);
        void *ud;
        int interval_ms;
    } tickers[ODZ_HTTP_MAX_TICKERS];
    size_t ntickers;

    int h2o_ready; /* gconf initialised */
    h2o_globalconf_t gconf;
    h2o_hostconf_t *hostconf;
    h2o_pathconf_t *pathconf;

    int nloops;
    odz_http_loop *loops;
};

/* Per request; lives in the request's pool and is torn down by the pool (see server.c). */
struct odz_http_req {
    h2o_req_t *h2o; /* NULL once h2o has disposed the request */
    odz_http_loop *lp;
    const char *label; /* route label for the observer */
    char *method;
    char *path;
    char *query;
    const char *rest;
    int responded;
    odz_http_pending *pending;
    odz_http_stream *stream;
    odz_buf *body; /* the zero-copy body's reference, dropped with the request's pool */
};

/* server.c */
void odz_http__server_ref(odz_http_server *srv);
void odz_http__server_unref(odz_http_server *srv);
/* Queues `m` to the loop; ODZ_ECLOSED once the loop is tearing down. Any thread. */
int odz_http__loop_post(odz_http_loop *lp, struct odz_http_msg *m);
int odz_http__is_head(const odz_http_req *r);
/* A peer address as "host:port" or "[v6]:port" in out: 0, ODZ_EIO (none), ODZ_EINVAL (too long). */
int odz_http__peer_text(const struct sockaddr_storage *ss, socklen_t sl, char *out, size_t outlen);

/* route.c: the handler h2o calls for every request, with our server attached */
struct odz_http_handler_ent {
    h2o_handler_t super;
    odz_http_server *srv;
};
int odz_http__on_req(h2o_handler_t *self, h2o_req_t *req);
/* Our request of an h2o request (NULL: not one that reached odz_http__on_req). */
odz_http_req *odz_http__find_req(h2o_req_t *req);

/* respond.c */
const char *odz_http__reason(int status);
const char *odz_http__status_code(int status);
int odz_http__check_opts(const odz_http_resp_opts *opts);
/* Adds n to odz_http_body_bytes_copied (any thread). */
void odz_http__count_copy(size_t n);
/* Core sender: body is either `keep` (referenced) or `data` (copied). */
int odz_http__send(odz_http_req *r, int status, const char *ctype, const void *data, size_t len,
                   odz_buf *keep, const odz_http_resp_opts *opts);
void odz_http__add_opts(h2o_req_t *req, const odz_http_resp_opts *opts);
/* malloc'd {"error":..,"message":..}; NULL on out-of-memory. */
char *odz_http__json_error_text(const char *code, const char *message, size_t *len);
int odz_http__send_json_error(odz_http_req *r, int status, const char *code, const char *message);
/* Security headers every response gets (nosniff), and those of HTML (CSP, framing, referrer);
 * run by a filter on every response h2o starts. */
void odz_http__security_headers(h2o_req_t *req);

/* A complete close-delimited response with the JSON error body, for bytes written to a socket
 * without h2o (server.c's connection limit, h2o_hooks.c); its length, or ODZ_EFULL/ODZ_ENOMEM. */
int odz_http__canned_json(int status, const char *code, const char *message, char *out,
                          size_t outlen);

/* The body and headers of a busy answer: *body is a reference the caller drops, opts->extra
 * points into `hdr` (Retry-After), which must outlive opts. ODZ_ENOMEM. */
int odz_http__busy(const char *message, int retry_after_s, odz_buf **body, odz_http_header_kv *hdr,
                   char value[16], odz_http_resp_opts *opts);

/* async.c */
void odz_http__on_message(odz_http_loop *lp, struct odz_http_msg *m);
/* The request is being disposed by h2o: detach pending/stream. */
void odz_http__req_gone(odz_http_req *r);
/* Shutdown: force == 0 ends streams after their queue; force == 1 also answers pendings 503. */
void odz_http__async_shutdown(odz_http_loop *lp, int force);

/* websocket.c: shutdown closes every WebSocket of the loop with 1001 and `reason`. */
void odz_http__ws_shutdown(odz_http_loop *lp, const char *reason);
/* lp->ws_submit's callback: the turn's WebSocket writes, in one batch (websocket.c) */
void odz_http__ws_submit(h2o_timeout_entry_t *e);

/* static.c: answers GET/HEAD from static_root (with SPA fallback) or with a JSON 404. */
int odz_http__static_serve(odz_http_req *r);

#endif

/* Embeddable HTTP/1.1 server of Oddzy: routes, static files, async and streamed responses.
 *
 * The engine (h2o 2.2 today) never shows through this header, so it can be replaced.
 * Plain HTTP/1.0 and 1.1 with keep-alive and pipelining; no TLS and no HTTP/2 (a proxy in
 * front terminates those).
 *
 * Threads. The server runs `threads` event loops, one per thread, each with its own listening
 * socket (SO_REUSEPORT when threads > 1). Handlers, observers and shutdown hooks run on the
 * loop thread that owns the connection and must never block: database, bus and slow disk work
 * goes to a worker, and the worker completes the request with odz_http_pending_* or feeds a
 * stream with odz_http_stream_*; those calls are thread-safe and wake the loop.
 *
 * Lifetime. odz_http_new binds the sockets (so odz_http_port works before running), routes and
 * hooks are registered before odz_http_run, odz_http_run blocks until odz_http_stop, and
 * odz_http_free releases everything. Pending and stream handles keep the server's memory alive,
 * so completing one after the request, the connection or the whole server has gone is safe
 * (the call returns ODZ_ECLOSED).
 *
 * Errors follow core/err.h: 0 or a negative ODZ_E* code.
 *
 * WebSocket (odz_ws_* below) takes over the socket of an HTTP/1.1 upgrade request; framing is
 * wslay's frame API, message assembly, control frames and limits are ours, and what is queued
 * for a connection during a loop turn leaves in one write at the turn's end.
 */
#ifndef ODZ_HTTP_SERVER_H
#define ODZ_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

/* ---- refcounted immutable bytes ---------------------------------------------------------- */

/** Immutable bytes shared between threads (a pre-serialized view, a gzipped variant, a chunk). */
typedef struct odz_buf odz_buf;

/** Copies `len` bytes into a new buffer with one reference. NULL on out-of-memory. */
odz_buf *odz_buf_new(const void *data, size_t len);
/** Takes ownership of malloc'd `data` (freed with free() when the last reference goes); on
 *  failure `data` is freed and NULL returned. */
odz_buf *odz_buf_take(void *data, size_t len);
/** Adds a reference (atomic; any thread); returns `b`. NULL-safe. */
odz_buf *odz_buf_ref(odz_buf *b);
/** Drops a reference (atomic; any thread); frees on the last one. NULL-safe. */
void odz_buf_unref(odz_buf *b);
const void *odz_buf_data(const odz_buf *b);
size_t odz_buf_len(const odz_buf *b);

/** References held on `b` now (tests and diagnostics: a buffer being written to a socket holds
 *  one more than its owners). 0 for NULL. */
int odz_buf_refs(const odz_buf *b);

/** gzip-compresses `len` bytes (zlib, level 6, gzip header) into a new buffer in *out
 *  (caller unrefs). ODZ_ENOMEM or ODZ_EIO on failure, *out then NULL. */
int odz_gzip(const void *data, size_t len, odz_buf **out);
/** Brotli-compresses `len` bytes (quality ODZ_BROTLI_QUALITY, text mode) into a new buffer in
 *  *out (caller unrefs). ODZ_EINVAL above 64 MiB, ODZ_ENOMEM or ODZ_EIO, *out then NULL. */
#define ODZ_BROTLI_QUALITY 5
int odz_brotli(const void *data, size_t len, odz_buf **out);

/* ---- content codings --------------------------------------------------------------------- */

/** The codings a cached view may hold beside its plain bytes (bit 1 << ODZ_ENC_x in masks). */
enum { ODZ_ENC_IDENTITY = 0, ODZ_ENC_GZIP = 1, ODZ_ENC_BR = 2, ODZ_ENC_COUNT = 3 };
/** Accept-Encoding bytes and elements read; a longer value is answered with identity, the
 *  elements after the first ODZ_HTTP_AE_ELEMENTS are ignored. */
#define ODZ_HTTP_AE_MAX 1024
#define ODZ_HTTP_AE_ELEMENTS 32
/** The coding to send for an Accept-Encoding value (NULL: header absent), among those in
 *  `avail` (identity is always available): the highest q-value wins (q in thousandths, RFC 9110
 *  syntax; a coding not named takes the weight of `*`; identity is acceptable unless refused),
 *  ties go to br, then gzip, then identity. Malformed elements (bad token, bad q) are ignored;
 *  when nothing available is acceptable the answer is identity rather than a 406. Pure, any
 *  thread. */
int odz_http_pick_encoding(const char *accept_encoding, unsigned avail);

/* ---- configuration ----------------------------------------------------------------------- */

typedef struct odz_http_config {
    const char *host;           /* bind address, numeric or name; NULL = "0.0.0.0" */
    int port;                   /* 0 = ephemeral (see odz_http_port) */
    int threads;                /* event loops; <= 0 means 1 */
    size_t max_header_bytes;    /* request line + headers; above: 431 (0 = 16 KiB). The engine
                                   has its own hard cap (h2o 2.2: 417,792 bytes or 100 header
                                   lines) answered with a JSON 400 and a close (h2o_hooks.c),
                                   as is a head it cannot parse or one with Content-Length and
                                   Transfer-Encoding together */
    size_t max_body_bytes;      /* above: 413, sent before reading the body (0 = 1 MiB) */
    size_t max_uri_bytes;       /* request target incl. query; above: 414 (0 = 4096) */
    int max_connections;        /* across all loops; beyond: 503 and close (0 = 1024) */
    int idle_timeout_ms;        /* keep-alive idle and slow-request timeout (0 = 30000) */
    int shutdown_timeout_ms;    /* graceful-stop wait for in-flight work (0 = 5000) */
    size_t stream_max_buffered; /* bytes queued per stream before send fails (0 = 1 MiB) */
    const char *static_root;    /* directory of web files; NULL = no static serving */
} odz_http_config;

/** Fills the defaults documented above (port 8080, host "0.0.0.0", no static root). */
void odz_http_config_defaults(odz_http_config *cfg);

/* ---- headers on every response ----------------------------------------------------------- */

/* Every response, ours or the engine's, carries X-Content-Type-Options: nosniff. A text/html
 * response (the web front end) also carries this Content-Security-Policy, X-Frame-Options:
 * DENY and this Referrer-Policy. The policy allows what the built web app loads: its scripts
 * and styles from this origin (no inline script or style element), fetch, Socket.IO polling
 * and WebSocket to this origin ('self' covers ws: and wss: of the same host in CSP 3), images
 * from this origin, data: (the favicon) and any https: host (jockey silks come from the
 * sources' image servers), and nothing may frame it. deploy/nginx/oddzy.conf sends the same
 * values for the files nginx serves itself (tests/integration/deploy_configs.sh compares). */
#define ODZ_HTTP_HTML_CSP                                                                         \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "     \
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "                   \
    "form-action 'self'; frame-ancestors 'none'"
#define ODZ_HTTP_REFERRER_POLICY "strict-origin-when-cross-origin"

/* ---- server lifecycle -------------------------------------------------------------------- */

typedef struct odz_http_server odz_http_server;
typedef struct odz_http_req odz_http_req;

/** Creates the server and binds its listening sockets. The config strings are copied.
 *  NULL on failure with words in err (port in use, bad static root, ...). */
odz_http_server *odz_http_new(const odz_http_config *cfg, char *err, size_t errlen);

/** The bound TCP port (useful after binding port 0). */
int odz_http_port(const odz_http_server *srv);

/** The HTTP status of an ODZ_E* code, the one map every route uses: 0 200, EINVAL 400,
 *  ENOTFOUND 404, ESTATE 409, EFULL/ENORESP/ECLOSED 503, ETIMEOUT 504, any other 500. */
int odz_http_status_of(int err);

/** Handler return values: 0 = responded; ODZ_HTTP_PENDING = a pending or stream handle will
 *  finish the request later; a negative ODZ_E* code = the server answers with a JSON error,
 *  status odz_http_status_of(code) and "error" odz_errcode(code). Returning 0 without
 *  responding is answered with 500. */
#define ODZ_HTTP_PENDING 1
typedef int (*odz_http_handler)(odz_http_req *req, void *ud);

/** Registers a route before odz_http_run. `method` is an exact method ("GET", "POST", ...) or
 *  NULL for any; a GET route also answers HEAD (body omitted). `path` is exact ("/api/health")
 *  or, when its last two characters are a slash and a star, a prefix: "/api/races/" plus the
 *  star matches "/api/races/<anything>" (see odz_http_path_rest). The most specific path wins
 *  (exact, then longest prefix); a path known only with other methods gets 405 with Allow.
 *  The path string is copied and used as the route label for the observer. ODZ_ESTATE once
 *  running, ODZ_EINVAL on a bad pattern, ODZ_EFULL beyond 256 routes. */
int odz_http_route(odz_http_server *srv, const char *method, const char *path, odz_http_handler fn,
                   void *ud);

/** Called after every response has been fully sent or the connection dropped, on the loop
 *  thread (so concurrently from several loops): route label (the route's pattern, or "static",
 *  "spa", "not_found", "method_not_allowed", "-" for requests rejected before routing), method,
 *  status (0 if nothing was sent), seconds from the first byte of the request to the last of
 *  the response. Requests the engine cannot parse are not reported. Set before odz_http_run
 *  (ignored later). */
typedef void (*odz_http_observer)(void *ud, const char *route, const char *method, int status,
                                  double seconds);
void odz_http_set_observer(odz_http_server *srv, odz_http_observer fn, void *ud);

/** Hook called on each loop thread when graceful shutdown begins, so owners of long-lived
 *  connections (WebSocket, SSE) can close them with `reason`. Register before odz_http_run;
 *  ODZ_EFULL beyond 16 hooks. */
typedef void (*odz_http_shutdown_hook)(void *ud, int loop_index, const char *reason);
int odz_http_on_shutdown(odz_http_server *srv, odz_http_shutdown_hook fn, void *ud);

/** Runs the event loops (loop 0 on the calling thread, the others on new threads) until
 *  odz_http_stop, then shuts down gracefully: stops accepting, closes idle keep-alive
 *  connections, ends streams, lets in-flight requests finish for up to shutdown_timeout_ms,
 *  answers still-pending requests with 503, closes the rest and joins the threads. Call once.
 *  Sets SIGPIPE to ignored if it was at its default. */
int odz_http_run(odz_http_server *srv);

/** Asks odz_http_run to return. Async-signal-safe (an atomic flag and a pipe write); any
 *  thread; repeatable; before run it makes run return at once. */
void odz_http_stop(odz_http_server *srv);

/** Releases the server after odz_http_run has returned (or if it never ran). Outstanding
 *  pending/stream handles stay valid until released. NULL-safe. */
void odz_http_free(odz_http_server *srv);

/* ---- request accessors (loop thread, inside the handler; strings valid until the response
 *      is complete, so copy what a worker needs before deferring) ---------------------------- */

const char *odz_http_method(const odz_http_req *req);
/** Path as received, without the query, percent-encoding kept. */
const char *odz_http_path(const odz_http_req *req);
/** Part of the path after a prefix route's "/" ("" for exact routes). */
const char *odz_http_path_rest(const odz_http_req *req);
/** Raw query string after '?', "" if none. */
const char *odz_http_query(const odz_http_req *req);
/** First value of query parameter `name`, URL-decoded ('+' and %XX) into out (NUL-terminated).
 *  0; ODZ_ENOTFOUND if absent; ODZ_EINVAL if malformed, containing NUL, or longer than
 *  outlen - 1. A parameter without '=' has the value "". */
int odz_http_query_param(const odz_http_req *req, const char *name, char *out, size_t outlen);
/** The same on a raw query string (NULL reads as ""); pure, any thread. */
int odz_http_query_get(const char *query, const char *name, char *out, size_t outlen);
/** Value of a hex digit (either case), -1 if `c` is not one. */
int odz_http_hexval(int c);
/** First value of header `name` (case-insensitive), NUL-terminated; NULL if absent. */
const char *odz_http_header(const odz_http_req *req, const char *name);
/** Request body (NULL, 0 if none), fully received before the handler runs; at most
 *  max_body_bytes. */
const void *odz_http_body(const odz_http_req *req, size_t *len);
/** Peer address as "1.2.3.4:5678" or "[::1]:5678". ODZ_EINVAL if out is too small. */
int odz_http_remote_addr(const odz_http_req *req, char *out, size_t outlen);
/** 1 if the TCP peer is a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104), else 0.
 *  The peer of the connection, not a forwarded-for header: behind a proxy on the same host
 *  every request is from loopback, so the proxy must guard what this guards. */
int odz_http_peer_is_loopback(const odz_http_req *req);

/* ---- responding (loop thread, once per request) ------------------------------------------ */

typedef struct odz_http_header_kv {
    const char *name;
    const char *value;
} odz_http_header_kv;

/** Optional response headers; every field may be NULL/0. Values with CR or LF are refused. */
typedef struct odz_http_resp_opts {
    const char *etag; /* full ETag value, quotes included: "\"r42-7\"" */
    const char *cache_control;
    const char *correlation_id;   /* X-Correlation-Id */
    const char *content_encoding; /* e.g. "gzip" when the body is pre-compressed */
    const char *vary;
    const odz_http_header_kv *extra;
    size_t nextra;
} odz_http_resp_opts;

/** Sends `len` bytes (copied) with `status`. content_type may be NULL. HEAD, 204 and 304 get
 *  no body. ODZ_ESTATE if already answered, ODZ_ECLOSED if the request is gone. */
int odz_http_respond(odz_http_req *req, int status, const char *content_type, const void *body,
                     size_t len);
/** Zero-copy variant: takes its own reference on `body` (the caller keeps its own) and drops
 *  it once the bytes are written. body may be NULL for an empty body. */
int odz_http_respond_buf(odz_http_req *req, int status, const char *content_type, odz_buf *body,
                         const odz_http_resp_opts *opts);
/** `{"error":code,"message":message}` as application/json; code NULL = derived from status. */
int odz_http_respond_json_error(odz_http_req *req, int status, const char *code,
                                const char *message);

/** 503 `{"error":"busy","message":message}` with Retry-After: retry_after_s (1..3600): the
 *  server refuses work it has no room for now (a full pool or queue), fast and saying so. */
int odz_http_respond_busy(odz_http_req *req, const char *message, int retry_after_s);

/** 1 if the request's If-None-Match matches `etag` (weak comparison, "*" matches). */
int odz_http_etag_matches(const odz_http_req *req, const char *etag);
/** 1 if Accept-Encoding allows gzip (odz_http_pick_encoding with gzip available). */
int odz_http_accepts_gzip(const odz_http_req *req);
/** Conditional, negotiated 200 for a cached view held in several codings: `var` indexed by
 *  ODZ_ENC_* (var[ODZ_ENC_IDENTITY] the plain bytes, required; the others NULL when not held).
 *  304 without body if opts->etag matches If-None-Match; else the variant
 *  odz_http_pick_encoding chooses, with its Content-Encoding. Vary: Accept-Encoding is sent
 *  whenever a compressed variant is held. The chosen buffer goes to the socket itself (a
 *  reference is held until written), never copied. */
int odz_http_respond_variants(odz_http_req *req, const char *content_type,
                              odz_buf *const var[ODZ_ENC_COUNT], const odz_http_resp_opts *opts);
/** The second half of odz_http_respond_variants, for a caller that chose the variant itself
 *  (odz_http_pick_encoding over what it holds, under its own lock) and references only that
 *  one: `body` in `coding` (ODZ_ENC_*), `vary` nonzero when a compressed variant is held.
 *  304 when opts->etag matches. ODZ_EINVAL without a body or with an unknown coding. */
int odz_http_respond_variant(odz_http_req *req, const char *content_type, odz_buf *body, int coding,
                             int vary, const odz_http_resp_opts *opts);
/** odz_http_respond_variants with a plain and an optional gzip variant. */
int odz_http_respond_cached(odz_http_req *req, const char *content_type, odz_buf *plain,
                            odz_buf *gzipped, const odz_http_resp_opts *opts);
/** Response body bytes the server has copied so far, process-wide (odz_http_respond and the
 *  copying pending/stream calls); the odz_buf calls add nothing: their bytes are written from
 *  the shared buffer. */
unsigned long long odz_http_body_bytes_copied(void);

/* ---- asynchronous completion ------------------------------------------------------------- */

/** Handle for answering a request later from any thread. */
typedef struct odz_http_pending odz_http_pending;

/** Loop thread, inside the handler: defers the response; the handler then returns
 *  ODZ_HTTP_PENDING. The caller owns the handle and must complete it exactly once with one of
 *  the odz_http_pending_respond* calls, which release it. NULL if out of memory or already
 *  answered. */
odz_http_pending *odz_http_defer(odz_http_req *req);
/** Any thread. 1 while the request can still be answered (advisory: lets a worker skip work).
 *  The engine does not read from a connection while its response is pending, so a client that
 *  has left is only noticed when the answer is written: alive stays 1 until then. */
int odz_http_pending_alive(const odz_http_pending *p);
/** Any thread; copies body and releases `p`. 0 when queued to the loop, ODZ_ECLOSED when the
 *  request or the server is gone (nothing is sent), ODZ_ENOMEM. */
int odz_http_pending_respond(odz_http_pending *p, int status, const char *content_type,
                             const void *body, size_t len);
/** Any thread; references body, copies opts, releases `p`. Returns as above. */
int odz_http_pending_respond_buf(odz_http_pending *p, int status, const char *content_type,
                                 odz_buf *body, const odz_http_resp_opts *opts);
/** Any thread; JSON error as odz_http_respond_json_error; releases `p`. */
int odz_http_pending_error(odz_http_pending *p, int status, const char *code, const char *message);
/** Any thread; as odz_http_respond_busy; releases `p`. */
int odz_http_pending_busy(odz_http_pending *p, const char *message, int retry_after_s);

/* ---- streaming responses (SSE) ----------------------------------------------------------- */

typedef struct odz_http_stream odz_http_stream;

/** Loop thread, inside the handler: sends status and headers now and keeps the response open
 *  (chunked when status is 200, else close-delimited); the handler then returns
 *  ODZ_HTTP_PENDING. The caller owns the handle and releases it with odz_http_stream_end.
 *  A client that leaves is noticed on the next write, so long-lived streams should send
 *  heartbeats. NULL if out of memory, already answered or on bad arguments. */
odz_http_stream *odz_http_stream_start(odz_http_req *req, int status, const char *content_type,
                                       const odz_http_resp_opts *opts);
/** Loop thread, right after start: `fn` runs once on the loop thread when the response is over
 *  for any reason ("ended", "client closed", "server shutting down"). After it, sends return
 *  ODZ_ECLOSED; the handle must still be ended. */
void odz_http_stream_on_close(odz_http_stream *s, void (*fn)(void *ud, const char *reason),
                              void *ud);
/** Any thread; copies. ODZ_EFULL if the chunk would take the queue past stream_max_buffered
 *  bytes (a slow client; a chunk is always accepted into an empty queue), ODZ_ECLOSED if the
 *  stream is over, ODZ_ENOMEM. Empty chunks are ignored. */
int odz_http_stream_send(odz_http_stream *s, const void *data, size_t len);
/** Any thread; zero-copy, takes its own reference on `b`. Returns as above. */
int odz_http_stream_send_buf(odz_http_stream *s, odz_buf *b);
/** As odz_http_stream_send_buf with a coalescing key (0 = none; http/outq.h): while a chunk
 *  with the same key still waits (the client is behind), `b` takes its place: returns 1. What
 *  waits leaves together, in one send, when the write in flight completes. */
int odz_http_stream_send_keyed(odz_http_stream *s, odz_buf *b, uint64_t key);
/** 1 while sends are accepted. Any thread. */
int odz_http_stream_alive(const odz_http_stream *s);
/** Loop thread of the request: drops what is queued, cuts the connection and releases the
 *  handle (a client that stopped reading). on_close follows with "client closed". */
void odz_http_stream_abort(odz_http_stream *s);
/** Any thread: finishes the response after the queued bytes and releases the handle. */
void odz_http_stream_end(odz_http_stream *s);

/* ---- loops: cross-thread calls and timers ------------------------------------------------ */

/** Number of event loops (config threads). */
int odz_http_nloops(const odz_http_server *srv);
/** Index of the loop that runs this request's connection. */
int odz_http_req_loop(const odz_http_req *req);
/** Any thread: runs fn(arg) on loop `loop` soon. ODZ_ECLOSED once that loop is tearing down
 *  (fn is then not called and arg stays the caller's), ODZ_EINVAL, ODZ_ENOMEM. */
int odz_http_call(odz_http_server *srv, int loop, void (*fn)(void *arg), void *arg);
/** Before odz_http_run: fn(ud, loop_index) every interval_ms on every loop thread, until
 *  shutdown begins. ODZ_EFULL beyond 8 tickers. */
int odz_http_every(odz_http_server *srv, int interval_ms, void (*fn)(void *ud, int loop_index),
                   void *ud);

/* ---- WebSocket (RFC 6455) ---------------------------------------------------------------- */

typedef struct odz_ws odz_ws;

typedef struct odz_ws_callbacks {
    /** A complete text message (UTF-8 checked, at most max_message bytes). Loop thread. */
    void (*on_text)(odz_ws *ws, const char *data, size_t len, void *ud);
    /** Once, when the connection is over (code: the close code sent or received, 1006 if the
     *  connection dropped). The handle is freed right after; do not use it again. */
    void (*on_close)(odz_ws *ws, int code, void *ud);
} odz_ws_callbacks;

typedef struct odz_ws_limits {
    size_t max_message; /* largest incoming message; above: close 1009 (0 = 64 KiB) */
    size_t max_queued;  /* bytes waiting to be written; a send beyond it fails with ODZ_EFULL
                           (0 = 256 KiB) */
} odz_ws_limits;

/** 1 if the request is a WebSocket handshake (GET, Upgrade: websocket, a 16-byte key,
 *  Sec-WebSocket-Version 13; for another version answer 426 with Sec-WebSocket-Version: 13). */
int odz_http_is_websocket(const odz_http_req *req);
/** Loop thread, inside the handler: answers 101 and takes the connection over. The handler
 *  then returns 0. NULL (nothing sent; answer the request) if it is not a valid handshake or
 *  out of memory. `lim` may be NULL. */
odz_ws *odz_ws_accept(odz_http_req *req, const odz_ws_limits *lim, const odz_ws_callbacks *cb,
                      void *ud);
/** Builds one unmasked text frame holding `len` bytes (any thread); NULL on out-of-memory.
 *  The same frame can be sent to many connections. */
odz_buf *odz_ws_frame_text(const void *data, size_t len);
/** Loop thread of the connection: queues a frame made by odz_ws_frame_text (a reference is
 *  taken). It leaves at the end of the loop turn, with every other frame queued for this
 *  connection meanwhile, in one write (or after the write in flight, again all together).
 *  ODZ_EFULL when the queue would pass max_queued (nothing queued: the caller decides, usually
 *  odz_ws_close with 1008), ODZ_ECLOSED when closing. */
int odz_ws_send_frame(odz_ws *ws, odz_buf *frame);
/** As odz_ws_send_frame, with a coalescing key (0 = none): if a frame with the same key is
 *  still waiting (the client is behind), the new frame takes its place instead of queueing
 *  behind it, so a slow client gets the latest state of each thing, not a backlog.
 *  Returns 1 when it replaced a waiting frame, else as odz_ws_send_frame. */
int odz_ws_send_frame_keyed(odz_ws *ws, odz_buf *frame, uint64_t key);
/** Frames replaced by newer ones so far. */
unsigned long odz_ws_coalesced(const odz_ws *ws);
/** Writes started so far: everything queued during one loop turn leaves in one writev at the
 *  turn's end (after the callbacks that queued it), not one write per send. */
unsigned long odz_ws_writes(const odz_ws *ws);
/** Loop thread: as odz_ws_send_frame for one text message (copied). */
int odz_ws_send_text(odz_ws *ws, const void *data, size_t len);
/** Loop thread: sends a close frame (reason truncated to 123 bytes), stops reading, and
 *  closes the socket once written (at most a few seconds later). on_close follows. */
void odz_ws_close(odz_ws *ws, int code, const char *reason);
/** Loop thread: drops the connection at once without a close frame (a client that cannot keep
 *  up). on_close follows with 1006. */
void odz_ws_abort(odz_ws *ws);
/** Loop thread: queues a ping frame (at most one waits). 0 or a negative code. */
int odz_ws_ping(odz_ws *ws);
/** Milliseconds since bytes last arrived from the peer (any frame, pongs included). */
int64_t odz_ws_idle_ms(const odz_ws *ws);
/** Loop index of the connection, bytes queued, user data. */
int odz_ws_loop(const odz_ws *ws);
size_t odz_ws_queued(const odz_ws *ws);
void odz_ws_set_ud(odz_ws *ws, void *ud);
/** Peer address as odz_http_remote_addr. */
int odz_ws_remote_addr(const odz_ws *ws, char *out, size_t outlen);

#endif

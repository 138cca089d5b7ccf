/* Stream API client thread: connect (TCP, optionally TLS), run the session, send changed
 * races about once a second, reconnect with capped exponential backoff. Reads poll with a
 * short timeout so a stop or a stalled stream is noticed within a fraction of a second. */
#include "betfair/client.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "betfair/domain.h"
#include "betfair/session.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/wait.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/source_metrics.h"
#include "scraper/scraper.h"
#include "scraper/send_pipe.h"

#define POLL_MS 200
#define CONNECT_TIMEOUT_MS 10000

struct odz_bf_client {
    odz_bus *bus;
    odz_bf_client_config cfg;
    odz_bf_session s;
    SSL_CTX *ctx;
    int fd;
    SSL *ssl;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t lock;
    odz_bf_client_stats stats;
    char token[512];         /* the session token last read from cfg.session_file */
    odz_scrape sc;           /* each flush's, its arrays kept between flushes */
    odz_send_pipe *pipe;     /* stores one flush while the stream is read on */
};

/* ---- the connection ---- */

/* Wait for the socket (events), at most ms; 1 ready, 0 not yet, -1 error. */
static int wait_fd(int fd, short events, int ms)
{
    struct pollfd p = {fd, events, 0};
    int r = poll(&p, 1, ms);
    return r < 0 && errno != EINTR ? -1 : r > 0;
}

static int dial(odz_bf_client *c, const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, port, &hints, &res))
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) && errno != EINPROGRESS) {
            close(fd);
            fd = -1;
            continue;
        }
        int soerr = 0, ready = 0;
        socklen_t sl = sizeof soerr;
        for (int64_t until = odz_real_ms() + CONNECT_TIMEOUT_MS;
             !ready && !atomic_load(&c->stop) && odz_real_ms() < until;)
            ready = wait_fd(fd, POLLOUT, POLL_MS);
        if (ready != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static void hang_up(odz_bf_client *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int tls_start(odz_bf_client *c)
{
    if (!(c->ssl = SSL_new(c->ctx)) || !SSL_set_fd(c->ssl, c->fd) ||
        !SSL_set_tlsext_host_name(c->ssl, c->cfg.host) || !SSL_set1_host(c->ssl, c->cfg.host))
        return -1;
    int64_t until = odz_real_ms() + CONNECT_TIMEOUT_MS;
    for (;;) {
        int r = SSL_connect(c->ssl);
        if (r == 1)
            return 0;
        int e = SSL_get_error(c->ssl, r);
        if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || odz_real_ms() > until ||
            atomic_load(&c->stop) ||
            wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, POLL_MS) < 0)
            return -1;
    }
}

/* Read what is there: bytes, 0 nothing yet, -1 closed or failed. */
static ssize_t conn_read(odz_bf_client *c, char *buf, size_t n)
{
    if (c->ssl) {
        if (!SSL_pending(c->ssl) && wait_fd(c->fd, POLLIN, POLL_MS) == 0)
            return 0;
        int r = SSL_read(c->ssl, buf, (int)n);
        if (r > 0)
            return r;
        int e = SSL_get_error(c->ssl, r);
        return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
    }
    int w = wait_fd(c->fd, POLLIN, POLL_MS);
    if (w <= 0)
        return w;
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r > 0)
        return r;
    return r < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

/* Write all of buf; 0 or -1. */
static int conn_write(odz_bf_client *c, const char *buf, size_t n)
{
    int64_t until = odz_real_ms() + CONNECT_TIMEOUT_MS;
    while (n) {
        ssize_t w;
        if (c->ssl) {
            int r = SSL_write(c->ssl, buf, (int)n);
            int e = r > 0 ? 0 : SSL_get_error(c->ssl, r);
            if (r <= 0 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                return -1;
            w = r > 0 ? r : 0;
        } else {
            w = send(c->fd, buf, n, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                return -1;
            w = w < 0 ? 0 : w;
        }
        buf += w;
        n -= (size_t)w;
        if (n && (odz_real_ms() > until || wait_fd(c->fd, POLLOUT, POLL_MS) < 0))
            return -1;
    }
    return 0;
}

/* ---- the loop ---- */

/* A batch's outcome (on the pipe's thread for a batch sent; on the stream's when it could not
 * be made). */
static void sent(void *ud, int rc, const char *err)
{
    odz_bf_client *c = ud;
    if (rc >= 0)
        return;
    pthread_mutex_lock(&c->lock);
    c->stats.failed_batches++;
    pthread_mutex_unlock(&c->lock);
    odz_srcstat_error(ODZ_BF_PROVIDER, "exchange");
    odz_log_kv(ODZ_LOG_ERROR, "betfair changes not stored", "error", err, NULL);
}

/* The races changed since the last flush, handed to the pipe: stored while the stream is read
 * on (a slow store does not hold up the socket, its heartbeats or the next changes). */
static void flush(odz_bf_client *c)
{
    char err[ODZ_ERRLEN];
    odz_scrape *sc = &c->sc;
    int rc = odz_bf_to_scrape(&c->s.cache, NULL, c->cfg.tz, true, sc, err, sizeof err);
    bool send = rc == 0 && (sc->n_races || sc->meetings.n);
    pthread_mutex_lock(&c->lock);
    if ((rc == 0 && sc->n_races) || rc < 0)
        c->stats.batches++;
    pthread_mutex_unlock(&c->lock);
    if (send) {
        odz_send_pipe_submit(c->pipe, sc, odz_now());
        return;
    }
    if (rc < 0)
        sent(c, rc, err);
    odz_scrape_clear(sc);
}

static void sleep_ms(odz_bf_client *c, int ms)
{
    for (int64_t until = odz_real_ms() + ms; !atomic_load(&c->stop) && odz_real_ms() < until;) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* One connection, until it drops, fails, stalls or the client stops. true if it streamed. */
static bool run_connection(odz_bf_client *c)
{
    bool streamed = false;
    char buf[16384];
    int flush_ms = c->cfg.flush_ms > 0 ? c->cfg.flush_ms : 1000;
    int64_t last_flush = odz_real_ms();
    odz_bf_session_reset(&c->s, odz_real_ms());
    while (!atomic_load(&c->stop)) {
        if (c->s.out_len) {
            if (conn_write(c, c->s.out, c->s.out_len))
                break;
            odz_bf_session_sent(&c->s, c->s.out_len);
        }
        ssize_t n = conn_read(c, buf, sizeof buf);
        if (n < 0) {
            odz_srcstat_error(ODZ_BF_PROVIDER, "exchange");
            odz_log_kv(ODZ_LOG_WARN, "betfair stream connection lost", NULL);
            break;
        }
        if (n > 0) {
            size_t before = c->s.messages;
            int rc = odz_bf_session_feed(&c->s, buf, (size_t)n, odz_real_ms());
            /* each message a request of the source; lag from its publish time to now */
            int64_t now_ms = odz_now_ms();
            double lag = c->s.cache.pt ? (double)(now_ms - c->s.cache.pt) / 1000.0 : 0;
            for (size_t k = before; k < c->s.messages; k++)
                odz_srcstat_request(ODZ_BF_PROVIDER, "exchange", true, lag, now_ms / 1000);
            if (rc)
                odz_srcstat_error(ODZ_BF_PROVIDER, "exchange");
            pthread_mutex_lock(&c->lock);
            c->stats.messages = c->s.messages;
            c->stats.streaming = c->s.state == ODZ_BF_STREAMING;
            pthread_mutex_unlock(&c->lock);
            if (rc)
                break; /* the session logged why */
            streamed |= c->s.state == ODZ_BF_STREAMING;
        }
        if (odz_bf_session_stale(&c->s, odz_real_ms())) {
            odz_log_kv(ODZ_LOG_WARN, "betfair stream stalled: reconnecting", NULL);
            break;
        }
        if (odz_real_ms() - last_flush >= flush_ms) {
            flush(c);
            last_flush = odz_real_ms();
        }
    }
    flush(c); /* what was applied before the drop is kept */
    pthread_mutex_lock(&c->lock);
    c->stats.streaming = false;
    pthread_mutex_unlock(&c->lock);
    return streamed;
}

/* The session token from cfg.session_file, if it has a usable one now; else the one held. */
static void reread_token(odz_bf_client *c)
{
    char t[sizeof c->token], out[ODZ_BF_REQUEST_MAX];
    size_t len;
    FILE *f = c->cfg.session_file ? fopen(c->cfg.session_file, "re") : NULL;
    if (!f)
        return;
    bool ok = fgets(t, sizeof t, f) != NULL;
    fclose(f);
    t[ok ? strcspn(t, "\r\n") : 0] = '\0';
    if (!*t || odz_bf_request_auth(0, c->cfg.app_key, t, out, sizeof out, &len)) {
        odz_log_kv(ODZ_LOG_WARN, "betfair session file unreadable: keeping the token held",
                   "file", c->cfg.session_file, NULL);
        return;
    }
    memcpy(c->token, t, sizeof t);
    c->s.session = c->token;
}

static void *client_thread(void *arg)
{
    odz_thread_background("odz-betfair"); /* yields to the threads answering requests */
    odz_bf_client *c = arg;
    int backoff = 250, cap = c->cfg.backoff_max_ms > 0 ? c->cfg.backoff_max_ms : 30000;
    while (!atomic_load(&c->stop)) {
        reread_token(c);
        c->fd = dial(c, c->cfg.host, c->cfg.port);
        bool streamed = false;
        if (c->fd >= 0 && (!c->cfg.tls || tls_start(c) == 0)) {
            pthread_mutex_lock(&c->lock);
            c->stats.connects++;
            pthread_mutex_unlock(&c->lock);
            odz_metric_inc(odz_counter("oddzy_betfair_connects_total",
                                       "Connections to the Betfair stream", NULL));
            streamed = run_connection(c);
        } else {
            odz_log_kv(ODZ_LOG_WARN, "betfair stream: cannot connect", "host", c->cfg.host,
                       "port", c->cfg.port, NULL);
        }
        hang_up(c);
        backoff = streamed ? 250 : backoff * 2 > cap ? cap : backoff * 2;
        sleep_ms(c, backoff);
    }
    return NULL;
}

odz_bf_client *odz_bf_client_start(odz_bus *bus, const odz_bf_client_config *cfg, char *err)
{
    char out[ODZ_BF_REQUEST_MAX];
    size_t len;
    if (!cfg->host || !*cfg->host || !cfg->port || !*cfg->port ||
        odz_bf_request_auth(0, cfg->app_key, cfg->session_token, out, sizeof out, &len) ||
        odz_bf_request_subscribe(0, &cfg->sub, NULL, out, sizeof out, &len)) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL,
                 "betfair stream: host, port, app key, session token and subscription needed");
        return NULL;
    }
    odz_bf_client *c = odz_zalloc(sizeof *c, err, ODZ_ERRLEN);
    if (!c)
        return NULL;
    c->bus = bus;
    c->cfg = *cfg;
    c->fd = -1;
    c->s.app_key = cfg->app_key;
    c->s.session = cfg->session_token;
    c->s.sub = cfg->sub;
    pthread_mutex_init(&c->lock, NULL);
    if (!(c->pipe = odz_send_pipe_new(bus, ODZ_BF_PROVIDER, true, sent, c, err)))
        goto fail;
    if (cfg->tls) {
        c->ctx = SSL_CTX_new(TLS_client_method());
        if (!c->ctx ||
            !(cfg->ca_file ? SSL_CTX_load_verify_locations(c->ctx, cfg->ca_file, NULL)
                           : SSL_CTX_set_default_verify_paths(c->ctx))) {
            odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "betfair stream: cannot load trusted certificates");
            goto fail;
        }
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    }
    if (pthread_create(&c->thread, NULL, client_thread, c)) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot start the betfair stream thread");
        goto fail;
    }
    return c;
fail:
    SSL_CTX_free(c->ctx); /* NULL-safe, as is odz_send_pipe_free */
    odz_send_pipe_free(c->pipe);
    pthread_mutex_destroy(&c->lock);
    free(c);
    return NULL;
}

void odz_bf_client_stats_get(odz_bf_client *c, odz_bf_client_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}

void odz_bf_client_stop(odz_bf_client *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    odz_send_pipe_free(c->pipe); /* what was handed over is stored first */
    hang_up(c);
    odz_bf_session_free(&c->s);
    odz_scrape_free(&c->sc);
    SSL_CTX_free(c->ctx);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

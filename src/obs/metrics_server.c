/* /metrics handler and the stand-alone metrics listener of roles without an HTTP port. */
#include "obs/metrics_server.h"

#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/err.h"
#include "obs/metrics.h"
#include "core/wait.h"

/* A listener for Prometheus and health checks: a few connections are plenty. */
#define MS_MAX_CONNECTIONS 64
#define MS_MAX_BODY 4096
#define MS_SHUTDOWN_MS 1000

struct odz_metrics_server {
    odz_http_server *http;
    pthread_t thread;
};

int odz_metrics_http_handler(odz_http_req *req, void *ud)
{
    (void)ud;
    char *txt = NULL;
    size_t len = 0;
    if (odz_metrics_render(&txt, &len))
        return ODZ_ENOMEM;
    int rc = odz_http_respond(req, 200, ODZ_METRICS_CONTENT_TYPE, txt, len);
    free(txt);
    return rc;
}

static int h_healthz(odz_http_req *req, void *ud)
{
    (void)ud;
    static const char ok[] = "{\"status\":\"ok\"}";
    return odz_http_respond(req, 200, "application/json", ok, sizeof ok - 1);
}

static int host_char_ok(char c, int bracketed)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || (bracketed && (c == ':' || c == '%'));
}

int odz_metrics_addr_parse(const char *addr, char *host, size_t hostlen, int *port, char *err,
                           size_t errlen)
{
    if (!addr || !*addr)
        return odz_fail(err, errlen, ODZ_EINVAL, "bad metrics address '': want host:port");
    size_t n = strlen(addr);
    if (n > ODZ_METRICS_ADDR_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "bad metrics address: longer than %d bytes",
                        ODZ_METRICS_ADDR_MAX);
    const char *h = addr, *colon;
    size_t hl;
    int bracketed = addr[0] == '[';
    if (bracketed) {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            return odz_fail(err, errlen, ODZ_EINVAL, "bad metrics address '%s': want [ipv6]:port",
                            addr);
        h = addr + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
        if (hl == 0)
            return odz_fail(err, errlen, ODZ_EINVAL, "bad metrics address '%s': empty IPv6 address",
                            addr);
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "bad metrics address '%s': want host:port, e.g. 127.0.0.1:9101", addr);
        hl = (size_t)(colon - addr);
        if (memchr(addr, ':', hl))
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "bad metrics address '%s': put an IPv6 address in brackets, "
                            "e.g. [::1]:9101",
                            addr);
    }
    for (size_t i = 0; i < hl; i++)
        if (!host_char_ok(h[i], bracketed))
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "bad metrics address '%s': unexpected character in the host", addr);
    const char *ps = colon + 1;
    long p = 0;
    if (!*ps || strlen(ps) > 5)
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "bad metrics address '%s': the port must be a number 0..65535", addr);
    for (const char *q = ps; *q; q++) {
        if (*q < '0' || *q > '9')
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "bad metrics address '%s': the port must be a number 0..65535", addr);
        p = p * 10 + (*q - '0');
    }
    if (p > 65535)
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "bad metrics address '%s': the port must be a number 0..65535", addr);
    const char *hv = hl ? h : "0.0.0.0";
    size_t hvl = hl ? hl : strlen("0.0.0.0");
    if (!host || hvl >= hostlen)
        return odz_fail(err, errlen, ODZ_EINVAL, "bad metrics address '%s': host too long", addr);
    memcpy(host, hv, hvl);
    host[hvl] = '\0';
    if (port)
        *port = (int)p;
    return 0;
}

int odz_metrics_addr_check(const char *addr, char *err, size_t errlen)
{
    char host[ODZ_METRICS_ADDR_MAX + 1];
    int port;
    if (odz_metrics_addr_parse(addr, host, sizeof host, &port, err, errlen))
        return ODZ_EINVAL;
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int gai = getaddrinfo(host, NULL, &hints, &ai);
    if (gai != 0)
        return odz_fail(err, errlen, ODZ_EINVAL, "bad metrics address '%s': %s: %s", addr, host,
                        gai_strerror(gai));
    freeaddrinfo(ai);
    return 0;
}

static void *serve(void *arg)
{
    odz_metrics_server *s = arg;
    odz_thread_name("odz-metrics");
    odz_http_run(s->http);
    return NULL;
}

odz_metrics_server *odz_metrics_server_start(const char *addr, char *err, size_t errlen)
{
    char host[ODZ_METRICS_ADDR_MAX + 1], why[ODZ_ERRLEN];
    int port;
    if (odz_metrics_addr_parse(addr, host, sizeof host, &port, err, errlen))
        return NULL;
    odz_metrics_server *s = calloc(1, sizeof *s);
    if (!s) {
        odz_fail(err, errlen, ODZ_ENOMEM, "metrics listener: out of memory");
        return NULL;
    }
    odz_http_config hc;
    odz_http_config_defaults(&hc);
    hc.host = host;
    hc.port = port;
    hc.threads = 1;
    hc.max_connections = MS_MAX_CONNECTIONS;
    hc.max_body_bytes = MS_MAX_BODY;
    hc.shutdown_timeout_ms = MS_SHUTDOWN_MS;
    s->http = odz_http_new(&hc, why, sizeof why);
    if (!s->http) {
        odz_fail(err, errlen, ODZ_EIO, "metrics listener on %s: %s", addr, why);
        free(s);
        return NULL;
    }
    if (odz_http_route(s->http, "GET", "/metrics", odz_metrics_http_handler, NULL) ||
        odz_http_route(s->http, "GET", "/healthz", h_healthz, NULL) ||
        pthread_create(&s->thread, NULL, serve, s) != 0) {
        odz_fail(err, errlen, ODZ_ENOMEM, "metrics listener on %s: cannot start", addr);
        odz_http_free(s->http);
        free(s);
        return NULL;
    }
    return s;
}

int odz_metrics_server_port(const odz_metrics_server *s)
{
    return odz_http_port(s->http);
}

void odz_metrics_server_stop(odz_metrics_server *s)
{
    if (!s)
        return;
    odz_http_stop(s->http);
    pthread_join(s->thread, NULL);
    odz_http_free(s->http);
    free(s);
}

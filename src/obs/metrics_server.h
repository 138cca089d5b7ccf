/* The /metrics endpoint: one handler for every HTTP server of Oddzy, and a small listener on
 * its own thread for the roles that serve no HTTP of their own (--metrics-addr). */
#ifndef ODZ_METRICS_SERVER_H
#define ODZ_METRICS_SERVER_H

#include <stddef.h>

#include "http/server.h"

/** Content-Type of the Prometheus text exposition format. */
#define ODZ_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/** Hard limit on a --metrics-addr value (a host name, brackets, colon and port). */
#define ODZ_METRICS_ADDR_MAX 300

/**
 * odz_http_handler answering with odz_metrics_render() as text/plain; version=0.0.4. `ud` is
 * unused. Rendering runs the registry's collect callbacks on the calling loop thread, so those
 * must stay cheap (no database or bus calls). Register it as a GET route:
 *   odz_http_route(srv, "GET", "/metrics", odz_metrics_http_handler, NULL);
 */
int odz_metrics_http_handler(odz_http_req *req, void *ud);

/**
 * Split a listen address "host:port" into host (NUL-terminated, brackets of an IPv6 literal
 * removed) and port. Accepted: "127.0.0.1:9101", "localhost:9101", "[::1]:9101", ":9101"
 * (empty host: every IPv4 interface, written as "0.0.0.0"). The port is decimal 0..65535
 * (0: an ephemeral port, see odz_metrics_server_port). Nothing is resolved here.
 * 0, or ODZ_EINVAL with a sentence in err naming what is wrong.
 */
int odz_metrics_addr_parse(const char *addr, char *host, size_t hostlen, int *port, char *err,
                           size_t errlen);

/** odz_metrics_addr_parse, then resolve the host as the listener will (getaddrinfo), so a
 *  role can refuse a bad --metrics-addr as a usage error before starting anything. 0 or
 *  ODZ_EINVAL with words in err. May block on DNS for a host name. */
int odz_metrics_addr_check(const char *addr, char *err, size_t errlen);

typedef struct odz_metrics_server odz_metrics_server;

/**
 * Listen on `addr` (see odz_metrics_addr_parse) and serve, on a thread of its own,
 * GET /metrics (odz_metrics_http_handler) and GET /healthz ({"status":"ok"}); every other
 * path is 404. The socket is bound before this returns, so a port in use fails here.
 * Start it after odz_signals_block() so its thread leaves SIGINT/SIGTERM to the role.
 * Returns the server (the caller stops it with odz_metrics_server_stop), or NULL with words
 * in err: ODZ_EINVAL-class problems (a malformed address) start with "bad metrics address",
 * the rest (cannot resolve, port in use, out of memory) with "metrics listener".
 */
odz_metrics_server *odz_metrics_server_start(const char *addr, char *err, size_t errlen);

/** The bound TCP port. */
int odz_metrics_server_port(const odz_metrics_server *s);

/** Stop serving (in-flight scrapes finish), join the thread and free everything. Call it
 *  before freeing anything a collect callback reads. NULL-safe. */
void odz_metrics_server_stop(odz_metrics_server *s);

#endif

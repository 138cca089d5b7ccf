/* The racing API role: JSON endpoints, health, metrics and static web files. */
#ifndef ODZ_API_H
#define ODZ_API_H

#include <stdbool.h>

#include "bus/bus.h"
#include "http/server.h"

typedef struct {
    const char *host;         /* bind address (NULL: 0.0.0.0) */
    int port;                 /* 0: ephemeral */
    int threads;              /* event loops (SO_REUSEPORT) */
    int max_connections;
    int view_workers;         /* threads that build views */
    int view_coding_keep_ms;  /* a compressed coding asked for this recently is kept on rebuild */
    const char *static_root;  /* web/dist, or NULL */
    const char *tz;
    bool metrics_public;      /* /metrics for any peer; false: loopback peers only, others 403 */
} odz_api_config;

typedef struct odz_api odz_api;

/** Bind and register routes; run with odz_http_run(odz_api_http(a)). Borrows bus. */
odz_api *odz_api_new(odz_bus *bus, const odz_api_config *cfg, char *err);
odz_http_server *odz_api_http(odz_api *a);
int odz_api_port(odz_api *a);
/** After odz_http_run has returned. */
void odz_api_free(odz_api *a);

/** Correlation id of a request: its X-Correlation-Id when sane (letters, digits, '-', '_',
 *  '.'; under ODZ_CORR_MAX), else a new one. For the API's handlers in src/api. */
void odz_api_corr_of(odz_http_req *req, char out[ODZ_CORR_MAX]);

#endif

/* What a bus client role (prices, replay) sets up around its own work: the metrics listener,
 * the bus, and on the in-process bus the racing service it would otherwise reach over NATS. */
#ifndef ODZ_CLI_ROLE_H
#define ODZ_CLI_ROLE_H

#include "bus/bus.h"
#include "cli/opts.h"
#include "obs/metrics_server.h"
#include "racing/racing.h"
#include "store/store.h"

typedef struct {
    odz_metrics_server *ms; /* NULL without --metrics-addr */
    odz_bus *bus;
    odz_store *store;       /* only on the in-process bus */
    odz_racing *racing;     /* only on the in-process bus */
} odz_role_env;

/** After odz_signals_block: --metrics-addr, the bus of option "bus" and, when that is the
 * in-process bus, the racing service on option "db" with race days in `tz`. Returns 0, or
 * the exit status (2 bad configuration, 1 failure) after printing why as "oddzy ROLE: ...";
 * then nothing is left open. */
int odz_role_env_open(const odz_opt *opts, const char *role, const char *tz, odz_role_env *env);
/** Stop and close what odz_role_env_open opened, in reverse order. */
void odz_role_env_close(odz_role_env *env);

#endif

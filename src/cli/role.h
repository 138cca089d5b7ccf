/* The environment every long-running role starts in and tears down, written once: logging
 * and clock options, signal handling, the metrics listener, libcurl, the bus and, where the
 * role needs it, the racing service on its store. A role parses its options, calls
 * odz_role_init, checks its own settings, opens the environment, starts its own work, waits
 * (odz_role_wait or odz_role_serve), stops its work and closes the environment. */
#ifndef ODZ_CLI_ROLE_H
#define ODZ_CLI_ROLE_H

#include "bus/bus.h"
#include "cli/opts.h"
#include "http/server.h"
#include "obs/metrics_server.h"
#include "racing/racing.h"
#include "store/store.h"

/* What a role's environment holds besides logging, signals and the metrics listener. */
enum {
    ODZ_ROLE_CLOCK = 1 << 0,  /* the ODZ_OPT_CLOCK options (odz_role_init applies them) */
    ODZ_ROLE_BUS = 1 << 1,    /* the bus of option "bus" (none: in-process); on the in-process
                                 bus also the racing service on option "db", which would
                                 otherwise be another process reached over NATS */
    ODZ_ROLE_RACING = 1 << 2, /* the racing service on option "db" on any bus (oddzy racing) */
    ODZ_ROLE_CURL = 1 << 3,   /* libcurl's global state (roles that make HTTP requests) */
};

typedef struct {
    const char *role;
    unsigned flags;
    odz_metrics_server *ms; /* NULL without --metrics-addr, and once stopping */
    odz_bus *bus;           /* with ODZ_ROLE_BUS or ODZ_ROLE_RACING */
    odz_store *store;       /* only where the racing service runs in this process */
    odz_racing *racing;     /* the same */
} odz_role_env;

/** --log-level and --log-format for the role's logs, and with ODZ_ROLE_CLOCK the clock.
 * 0, or ODZ_EINVAL after printing what is wrong (exit 2). */
int odz_role_init(const odz_opt *opts, const char *role, unsigned flags);

/** Block SIGINT/SIGTERM, start --metrics-addr, then what `flags` ask for (race days of the
 * racing service in `tz`). Returns 0, or the exit status (2 bad configuration, 1 failure)
 * after printing why as "oddzy ROLE: ..."; then nothing is left open. `role` is borrowed. */
int odz_role_env_open(const odz_opt *opts, const char *role, const char *tz, unsigned flags,
                      odz_role_env *env);

/** Wait for SIGINT or SIGTERM, log it and stop the metrics listener (before the role tears
 * down what it reports). Returns the signal number. */
int odz_role_wait(odz_role_env *env);

/** Run `main` on this thread and `also` (or NULL) on a thread of its own until SIGINT or
 * SIGTERM stops both; on return both have stopped (their thread joined) and so has the
 * metrics listener. */
void odz_role_serve(odz_role_env *env, odz_http_server *main, odz_http_server *also);

/** Stop and close what odz_role_env_open opened, in reverse order, then free the metrics.
 * The role has stopped its own work first. */
void odz_role_env_close(odz_role_env *env);

#endif

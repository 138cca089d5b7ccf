/* The one way a long-running role starts and stops. A role describes itself (odz_role_def:
 * its own options and usage, what its environment holds, and how it configures, starts and
 * stops its own work); odz_role_main runs the sequence and the exit-status rules once: parse
 * the options, set up logging and the clock, configure, open the environment (signals, the
 * metrics listener, libcurl, the bus and, where the role needs it, the racing service on its
 * store), start, wait for a signal (or serve, or the role's own wait), stop, close. */
#ifndef ODZ_CLI_ROLE_H
#define ODZ_CLI_ROLE_H

#include <stddef.h>

#include "bus/bus.h"
#include "cli/opts.h"
#include "http/server.h"
#include "obs/metrics_server.h"
#include "racing/racing.h"
#include "store/store.h"

/* What a role's environment holds besides logging and signals. */
enum {
    ODZ_ROLE_CLOCK = 1 << 0,   /* the ODZ_OPT_CLOCK options, applied before configure */
    ODZ_ROLE_BUS = 1 << 1,     /* the bus of option "bus" (none: in-process); on the in-process
                                  bus also the racing service on option "db", which would
                                  otherwise be another process reached over NATS */
    ODZ_ROLE_RACING = 1 << 2,  /* the racing service on option "db" on any bus (oddzy racing) */
    ODZ_ROLE_CURL = 1 << 3,    /* libcurl's global state (roles that make HTTP requests) */
    ODZ_ROLE_METRICS = 1 << 4, /* the --metrics-addr listener */
};

/* Rows a role's options get after its own: the ODZ_OPT_CLOCK rows with ODZ_ROLE_CLOCK,
 * ODZ_OPT_METRICS_ADDR with ODZ_ROLE_METRICS (unless the role lists it among its own, as
 * API_OPTS does), and ODZ_OPT_LOGGING. A role's own rows are at most ODZ_ROLE_OPTS_MAX less
 * these. */
#define ODZ_ROLE_OPTS_MAX 64
/* Arguments that are not options (file names) a role may take at most. */
#define ODZ_ROLE_ARGS_MAX 64

typedef struct {
    const char *role;
    unsigned flags;
    odz_metrics_server *ms; /* NULL without --metrics-addr, and once stopping */
    odz_bus *bus;           /* with ODZ_ROLE_BUS or ODZ_ROLE_RACING */
    odz_store *store;       /* only where the racing service runs in this process */
    odz_racing *racing;     /* the same */
} odz_role_env;

/* What a started role serves until SIGINT or SIGTERM, `also` on a thread of its own; no
 * `main`: it only waits for the signal. `also` is background work (the simulated world of
 * oddzy run): its thread yields to `main`'s (core/wait.h odz_thread_background). */
typedef struct {
    odz_http_server *main, *also;
} odz_role_http;

/* One role, for odz_role_main. `ctx` is the role's own state (ctx_size bytes, zeroed, wiped
 * and freed after the role stops), handed to every callback. */
typedef struct {
    const char *name;    /* "api": the log service, and "oddzy api: ..." in messages */
    const char *summary; /* one line for `oddzy --help` */
    const char *usage;   /* the text of --help before the option list */
    const odz_opt *opts; /* the role's own option rows, ODZ_OPT_END last */
    unsigned flags;      /* ODZ_ROLE_* */
    size_t max_args;     /* arguments that are not options taken, up to ODZ_ROLE_ARGS_MAX */
    size_t ctx_size;
    /* The role's settings (opts: the role's rows and the environment's), after logging and
     * the clock are set up, before anything opens; args[0..n_args) are the arguments that
     * are not options (the array and its strings last until odz_role_main returns). 0, or
     * non-zero after printing what is wrong (exit 2). NULL: none. */
    int (*configure)(const odz_opt *opts, const char **args, size_t n_args, void *ctx);
    /* Start the role's work in the open environment. 0 with what to serve in *http (left
     * empty: wait for a signal), or the exit status (1 failure, 2 bad configuration) with
     * words in err[ODZ_ERRLEN], printed as "oddzy NAME: ..."; stop is called either way and
     * undoes what was started. NULL: nothing to start. */
    int (*start)(odz_role_env *env, const odz_opt *opts, void *ctx, odz_role_http *http,
                 char *err);
    /* The role's own wait in place of the signal wait or serve (a role that ends by itself,
     * or stops what it started on its own); returns the exit status. NULL: the signal wait
     * or serve. */
    int (*wait)(void *ctx);
    /* Stop the role's work (after a failed start too) before the environment closes. NULL:
     * nothing to stop. */
    void (*stop)(void *ctx);
} odz_role_def;

/** Run the role `def` on argv (argv[0] is its name) and return the process exit status: 0
 * after --help or a clean stop, 2 for bad usage or configuration, 1 for a failure, or what
 * start or wait answer. */
int odz_role_main(const odz_role_def *def, int argc, char **argv);

/** Log that SIGINT or SIGTERM (`sig`) came and the role is stopping (for a role's own wait;
 * odz_role_main logs it otherwise). */
void odz_role_log_stop(int sig);

/** --log-level and --log-format for the role's logs, and with ODZ_ROLE_CLOCK the clock.
 * 0, or ODZ_EINVAL after printing what is wrong (exit 2). For a command that is not a
 * long-running role (oddzy migrate). */
int odz_role_init(const odz_opt *opts, const char *role, unsigned flags);

#endif

/* Command-line and ODDZY_* environment configuration shared by every role. */
#ifndef ODZ_OPTS_H
#define ODZ_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;  /* long flag without dashes: "db" -> --db VALUE */
    const char *env;   /* environment variable read when the flag is absent, or NULL */
    const char *def;   /* default, or NULL */
    const char *help;
    const char *value; /* result: flag, else environment, else default (borrowed strings) */
    int is_switch;     /* a flag without a value ("1" when given) */
} odz_opt;

/** Parse argv (argv[0] is the command name). Returns 0, 1 when --help was printed (exit 0),
 * or ODZ_EINVAL after printing a clear error to stderr (exit 2). */
int odz_opts_parse(const char *usage, odz_opt *opts, int argc, char **argv);
/** The same, also taking up to max_args arguments that are not options (file names) into
 * args[0..*n_args) (borrowed from argv); one more is an error. */
int odz_opts_parse_args(const char *usage, odz_opt *opts, int argc, char **argv,
                        const char **args, size_t max_args, size_t *n_args);
/** The value of option `name` ("" if none). */
const char *odz_opt_get(const odz_opt *opts, const char *name);
/** Whether option `name` was given (as a flag or in the environment), not its default. */
bool odz_opt_given(const odz_opt *opts, const char *name);
/** Checked integer conversion of an option; prints an error and returns ODZ_EINVAL if bad. */
int odz_opt_int(const odz_opt *opts, const char *name, int64_t lo, int64_t hi, int64_t *out);
int odz_opt_double(const odz_opt *opts, const char *name, double lo, double hi, double *out);
/** Split a comma-separated option value in place: the non-empty items into out[0..*n).
 * ODZ_EINVAL when there are more than max (then *n is max). */
int odz_opt_list(char *buf, const char **out, size_t max, size_t *n);
/** Apply the ODZ_OPT_CLOCK options; prints an error and returns ODZ_EINVAL if bad. */
int odz_opts_clock(const odz_opt *opts);
/** Apply the common logging options (--log-level, --log-format) for `service`. */
int odz_opts_logging(const odz_opt *opts, const char *service);

/* Common option rows. */
#define ODZ_OPT_LOGGING                                                                           \
    {"log-level", "ODDZY_LOG_LEVEL", "info", "debug, info, warn or error", NULL, 0},              \
        {"log-format", "ODDZY_LOG_FORMAT", "json", "json (one object a line) or text", NULL, 0}
/* The database (where a role opens the store itself), the message bus and the race days' time
 * zone, the same in every role that has them. */
#define ODZ_DEFAULT_DB "var/oddzy.db"
#define ODZ_OPT_DB                                                                                \
    {"db", "ODDZY_DB", ODZ_DEFAULT_DB, "database: SQLite file path or postgres:// URL", NULL, 0}
#define ODZ_OPT_BUS                                                                               \
    {"bus", "ODDZY_BUS", "inproc", "message bus: inproc or nats://HOST:PORT[,nats://...]", NULL, 0}
#define ODZ_OPT_TZ {"tz", "ODDZY_TZ", ODZ_DEFAULT_TZ, "IANA time zone of race days", NULL, 0}
/* Every long-running role: how far its background threads yield to those answering requests
 * (core/wait.h odz_thread_background). */
#define ODZ_OPT_BACKGROUND_NICE                                                                   \
    {"background-nice", "ODDZY_BACKGROUND_NICE", "10",                                            \
     "niceness added to the threads that ingest, simulate and rebuild views, so that under a "   \
     "full CPU the ones answering requests go first (0-19; 0: the same priority)",               \
     NULL, 0}
/* A role on the bus runs the racing service itself when the bus is the in-process one (over
 * NATS the service is a process of its own): the database it then opens, `who` ("the API")
 * saying who runs it and `more` what else the option does (or ""). */
#define ODZ_OPT_BUS_DB(who, more)                                                                 \
    {"db", "ODDZY_DB", ODZ_DEFAULT_DB,                                                            \
     "with the in-process bus, " who " runs the racing service on this database" more, NULL, 0}
/* The rows of a role on the bus: the bus, that database and the race days' zone. */
#define ODZ_OPT_ON_BUS(who, more) ODZ_OPT_BUS, ODZ_OPT_BUS_DB(who, more), ODZ_OPT_TZ
#define ODZ_OPT_METRICS_ADDR                                                                      \
    {"metrics-addr", "ODDZY_METRICS_ADDR", "",                                                   \
     "serve /metrics and /healthz on HOST:PORT, e.g. 127.0.0.1:9101 (empty: off)", NULL, 0}
/* The clock of every role (core/clock.h): give every process of one simulated world the same
 * values to share one simulated clock. */
#define ODZ_OPT_CLOCK                                                                             \
    {"speed", "ODDZY_SPEED", "1", "run simulated time N times faster (demos, tests)", NULL, 0},   \
        {"clock-anchor", "ODDZY_CLOCK_ANCHOR", "0",                                               \
         "real epoch ms at which the simulated clock reads --clock-start (0: start-up)", NULL,   \
         0},                                                                                      \
        {"clock-start", "ODDZY_CLOCK_START", "",                                                  \
         "simulated time at the anchor: epoch ms or UTC date-time such as 2026-06-10T06:00Z "     \
         "(empty: the anchor, i.e. real time)",                                                   \
         NULL, 0}
#define ODZ_OPT_END {NULL, NULL, NULL, NULL, NULL, 0}

typedef struct odz_metrics_server odz_metrics_server;
/** Start the metrics listener of --metrics-addr (call after odz_signals_block). 0 with *out
 * the listener (stop it with odz_metrics_server_stop before tearing down what it reports),
 * or NULL when the option is empty; ODZ_EINVAL after printing why the address is bad (exit
 * 2); ODZ_EIO after printing why it cannot listen, e.g. the port is in use (exit 1). */
int odz_opts_metrics_start(const odz_opt *opts, const char *role, odz_metrics_server **out);

/** Block SIGINT/SIGTERM in the calling thread (call before starting threads), then later wait
 * for one; returns the signal number. */
void odz_signals_block(void);
int odz_signals_wait(void);
/** The same, waiting `ms` at most: the signal number, or 0 when the time passed. */
int odz_signals_timedwait(int64_t ms);

#endif

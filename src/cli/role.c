/* The one start-up and tear-down of every long-running role (see role.h). */
#include "cli/role.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus_metrics.h"
#include "core/err.h"
#include "core/wait.h"
#include "obs/log.h"
#include "obs/metrics.h"

int odz_role_init(const odz_opt *opts, const char *role, unsigned flags)
{
    if (odz_opts_logging(opts, role))
        return ODZ_EINVAL;
    return (flags & ODZ_ROLE_CLOCK) ? odz_opts_clock(opts) : 0;
}

static void env_close(odz_role_env *env);

/* Block SIGINT/SIGTERM, start --metrics-addr, then what `flags` ask for (race days of the
 * racing service in `tz`). Returns 0, or the exit status (2 bad configuration, 1 failure)
 * after printing why as "oddzy ROLE: ..."; then nothing is left open. `role` is borrowed. */
static int env_open(const odz_opt *opts, const char *role, const char *tz, unsigned flags,
                    odz_role_env *env)
{
    char err[ODZ_ERRLEN];
    const char *url = odz_opt_get(opts, "bus");
    memset(env, 0, sizeof *env);
    env->role = role;
    env->flags = flags;
    int64_t nice;
    if (odz_opt_int(opts, "background-nice", 0, 19, &nice))
        return 2;
    odz_thread_set_background_nice((int)nice);
    odz_signals_block();
    int rc = odz_opts_metrics_start(opts, role, &env->ms);
    if (rc)
        return rc == ODZ_EINVAL ? 2 : 1;
    if (flags & ODZ_ROLE_CURL)
        curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(flags & (ODZ_ROLE_BUS | ODZ_ROLE_RACING)))
        return 0;
    if (!(env->bus = odz_bus_open(url, err, sizeof err))) {
        fprintf(stderr, "oddzy %s: %s\n", role, err);
        env_close(env);
        return 2;
    }
    odz_bus_metrics_register(env->bus);
    /* the in-process bus has no other process on it: host the racing service here */
    if ((flags & ODZ_ROLE_RACING) || !*url || !strcmp(url, "inproc")) {
        env->store = odz_store_open(odz_opt_get(opts, "db"), err);
        env->racing = env->store ? odz_racing_start(env->bus, env->store, tz, err) : NULL;
        if (!env->racing) {
            fprintf(stderr, "oddzy %s: %s\n", role, err);
            env_close(env);
            return 1;
        }
    }
    return 0;
}

void odz_role_log_stop(int sig)
{
    odz_log_kv(ODZ_LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
}

/* Wait for SIGINT or SIGTERM and say which came. */
static void wait_stop(void)
{
    odz_role_log_stop(odz_signals_wait());
}

/* Wait for SIGINT or SIGTERM, log it and stop the metrics listener (before the role tears
 * down what it reports). */
static void wait_for_signal(odz_role_env *env)
{
    wait_stop();
    odz_metrics_server_stop(env->ms);
    env->ms = NULL;
}

typedef struct {
    odz_http_server *a, *b;
} stopper;

static void *wait_signal(void *arg)
{
    stopper *s = arg;
    wait_stop();
    odz_http_stop(s->a);
    if (s->b)
        odz_http_stop(s->b);
    return NULL;
}

/* The `also` server: the simulated world's (oddzy run), background work (see role.h). */
static void *http_thread(void *arg)
{
    odz_thread_background("odz-world");
    odz_http_run(arg);
    return NULL;
}

/* Run `main` on this thread and `also` (or NULL) on a thread of its own until SIGINT or
 * SIGTERM stops both; on return both have stopped (their thread joined) and so has the
 * metrics listener. */
static void serve(odz_role_env *env, odz_http_server *main, odz_http_server *also)
{
    stopper st = {main, also};
    pthread_t also_t, sig_t;
    if (also)
        pthread_create(&also_t, NULL, http_thread, also);
    pthread_create(&sig_t, NULL, wait_signal, &st);
    odz_http_run(main);
    pthread_kill(sig_t, SIGTERM); /* when main stopped on its own */
    pthread_join(sig_t, NULL);
    if (also) {
        odz_http_stop(also);
        pthread_join(also_t, NULL);
    }
    odz_metrics_server_stop(env->ms);
    env->ms = NULL;
}

/* Stop and close what env_open opened, in reverse order, then free the metrics. The role
 * has stopped its own work first. */
static void env_close(odz_role_env *env)
{
    odz_metrics_server_stop(env->ms);
    odz_racing_stop(env->racing);
    if (env->bus) {
        odz_bus_metrics_unregister(env->bus);
        odz_bus_close(env->bus);
    }
    if (env->store)
        env->store->ops->close(env->store);
    if (env->flags & ODZ_ROLE_CURL)
        curl_global_cleanup();
    memset(env, 0, sizeof *env);
    odz_metrics_free_all();
}

/* The role's own option rows, then the environment's (see ODZ_ROLE_OPTS_MAX), into all[].
 * 0, or ODZ_EINVAL when they do not fit (a mistake in the role's table). */
static int role_opts(const odz_role_def *def, odz_opt all[ODZ_ROLE_OPTS_MAX])
{
    static const odz_opt clock[] = {ODZ_OPT_CLOCK}, metrics[] = {ODZ_OPT_METRICS_ADDR},
                         logging[] = {ODZ_OPT_BACKGROUND_NICE, ODZ_OPT_LOGGING, ODZ_OPT_END};
    size_t n = 0;
    bool listed_metrics = false;
    for (; def->opts[n].name; n++)
        listed_metrics |= !strcmp(def->opts[n].name, "metrics-addr");
    const struct {
        const odz_opt *rows;
        size_t n;
        bool on;
    } parts[] = {
        {def->opts, n, true},
        {clock, sizeof clock / sizeof clock[0], def->flags & ODZ_ROLE_CLOCK},
        {metrics, 1, (def->flags & ODZ_ROLE_METRICS) && !listed_metrics},
        {logging, sizeof logging / sizeof logging[0], true},
    };
    size_t used = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i].on)
            continue;
        if (used + parts[i].n > ODZ_ROLE_OPTS_MAX) {
            fprintf(stderr, "oddzy %s: more than %d options\n", def->name, ODZ_ROLE_OPTS_MAX);
            return ODZ_EINVAL;
        }
        memcpy(all + used, parts[i].rows, parts[i].n * sizeof *all);
        used += parts[i].n;
    }
    return 0;
}

/* After options and configuration: open, start, wait, stop, close. The exit status. */
static int run(const odz_role_def *def, const odz_opt *opts, void *ctx)
{
    odz_role_env env;
    int rc = env_open(opts, def->name, odz_opt_get(opts, "tz"), def->flags, &env);
    if (rc)
        return rc;
    char err[ODZ_ERRLEN];
    odz_role_http http = {0};
    int status = def->start ? def->start(&env, opts, ctx, &http, err) : 0;
    if (status)
        fprintf(stderr, "oddzy %s: %s\n", def->name, err);
    else if (def->wait)
        status = def->wait(ctx);
    else if (http.main)
        serve(&env, http.main, http.also);
    else
        wait_for_signal(&env);
    if (def->stop)
        def->stop(ctx);
    env_close(&env);
    return status;
}

int odz_role_main(const odz_role_def *def, int argc, char **argv)
{
    odz_opt opts[ODZ_ROLE_OPTS_MAX];
    const char *args[ODZ_ROLE_ARGS_MAX];
    size_t n_args = 0;
    if (role_opts(def, opts))
        return 1;
    int rc = odz_opts_parse_args(def->usage, opts, argc, argv, args,
                                 def->max_args < ODZ_ROLE_ARGS_MAX ? def->max_args
                                                                   : ODZ_ROLE_ARGS_MAX,
                                 &n_args);
    if (rc)
        return rc > 0 ? 0 : 2;
    void *ctx = def->ctx_size ? calloc(1, def->ctx_size) : NULL;
    if (def->ctx_size && !ctx) {
        fprintf(stderr, "oddzy %s: out of memory\n", def->name);
        return 1;
    }
    int status = 2;
    if (!odz_role_init(opts, def->name, def->flags) &&
        !(def->configure && def->configure(opts, args, n_args, ctx)))
        status = run(def, opts, ctx);
    if (ctx) /* the role's state may hold secrets (an application key, a password) */
        explicit_bzero(ctx, def->ctx_size);
    free(ctx);
    return status;
}

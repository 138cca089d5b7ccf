/* The environment of every long-running role (see role.h). */
#include "cli/role.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bus/bus_metrics.h"
#include "core/err.h"
#include "obs/log.h"
#include "obs/metrics.h"

int odz_role_init(const odz_opt *opts, const char *role, unsigned flags)
{
    if (odz_opts_logging(opts, role))
        return ODZ_EINVAL;
    return (flags & ODZ_ROLE_CLOCK) ? odz_opts_clock(opts) : 0;
}

int odz_role_env_open(const odz_opt *opts, const char *role, const char *tz, unsigned flags,
                      odz_role_env *env)
{
    char err[ODZ_ERRLEN];
    const char *url = odz_opt_get(opts, "bus");
    memset(env, 0, sizeof *env);
    env->role = role;
    env->flags = flags;
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
        odz_role_env_close(env);
        return 2;
    }
    odz_bus_metrics_register(env->bus);
    /* the in-process bus has no other process on it: host the racing service here */
    if ((flags & ODZ_ROLE_RACING) || !*url || !strcmp(url, "inproc")) {
        env->store = odz_store_open(odz_opt_get(opts, "db"), err);
        env->racing = env->store ? odz_racing_start(env->bus, env->store, tz, err) : NULL;
        if (!env->racing) {
            fprintf(stderr, "oddzy %s: %s\n", role, err);
            odz_role_env_close(env);
            return 1;
        }
    }
    return 0;
}

/* Wait for SIGINT or SIGTERM and say which came. */
static int wait_stop(void)
{
    int sig = odz_signals_wait();
    odz_log_kv(ODZ_LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    return sig;
}

int odz_role_wait(odz_role_env *env)
{
    int sig = wait_stop();
    odz_metrics_server_stop(env->ms);
    env->ms = NULL;
    return sig;
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

static void *http_thread(void *arg)
{
    odz_http_run(arg);
    return NULL;
}

void odz_role_serve(odz_role_env *env, odz_http_server *main, odz_http_server *also)
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

void odz_role_env_close(odz_role_env *env)
{
    odz_metrics_server_stop(env->ms);
    odz_racing_stop(env->racing);
    if (env->bus) {
        odz_bus_metrics_unregister(env->bus);
        env->bus->ops->close(env->bus);
    }
    if (env->store)
        env->store->ops->close(env->store);
    if (env->flags & ODZ_ROLE_CURL)
        curl_global_cleanup();
    memset(env, 0, sizeof *env);
    odz_metrics_free_all();
}

/* The set-up shared by the bus client roles: metrics listener, bus, in-process racing. */
#include "cli/role.h"

#include <stdio.h>
#include <string.h>

#include "bus/bus_metrics.h"
#include "core/err.h"

int odz_role_env_open(const odz_opt *opts, const char *role, const char *tz, odz_role_env *env)
{
    char err[ODZ_ERRLEN];
    const char *url = odz_opt_get(opts, "bus");
    memset(env, 0, sizeof *env);
    int rc = odz_opts_metrics_start(opts, role, &env->ms);
    if (rc)
        return rc == ODZ_EINVAL ? 2 : 1;
    if (!(env->bus = odz_bus_open(url, err, sizeof err))) {
        fprintf(stderr, "oddzy %s: %s\n", role, err);
        odz_metrics_server_stop(env->ms);
        return 2;
    }
    odz_bus_metrics_register(env->bus);
    /* the in-process bus has no other process on it: host the racing service here */
    if (!*url || !strcmp(url, "inproc")) {
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
    memset(env, 0, sizeof *env);
}

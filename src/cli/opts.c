/* Flags, ODDZY_* environment variables and defaults, with checked conversions. */
#include "cli/opts.h"
#include "core/clock.h"
#include "core/err.h"
#include "obs/log.h"
#include "obs/metrics_server.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_VALUE 4096
/* user text echoed in an error: at most 64 bytes, so a huge argument cannot flood the terminal */
#define ECHO "'%.64s'"

static void usage_print(const char *usage, const odz_opt *opts)
{
    printf("%s\n\nOptions:\n", usage);
    for (const odz_opt *o = opts; o->name; o++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s%s", o->name, o->is_switch ? "" : " VALUE");
        printf("  %-24s %s", flag, o->help);
        if (o->def && *o->def)
            printf(" (default: %s)", o->def);
        if (o->env)
            printf(" [env %s]", o->env);
        printf("\n");
    }
    printf("  %-24s %s\n", "--help", "show this help");
}

int odz_opt_list(char *buf, const char **out, size_t max, size_t *n)
{
    *n = 0;
    for (char *p = buf; *p;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p) {
            if (*n == max)
                return ODZ_EINVAL;
            out[(*n)++] = p;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

int odz_opts_parse(const char *usage, odz_opt *opts, int argc, char **argv)
{
    return odz_opts_parse_args(usage, opts, argc, argv, NULL, 0, NULL);
}

int odz_opts_parse_args(const char *usage, odz_opt *opts, int argc, char **argv,
                        const char **args, size_t max_args, size_t *n_args)
{
    if (n_args)
        *n_args = 0;
    for (odz_opt *o = opts; o->name; o++) {
        const char *e = o->env ? getenv(o->env) : NULL;
        o->value = e && *e ? e : o->def;
        if (e && strlen(e) > MAX_VALUE) {
            fprintf(stderr, "%s: %s is longer than %d bytes\n", argv[0], o->env, MAX_VALUE);
            return ODZ_EINVAL;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage_print(usage, opts);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (n_args && *n_args < max_args) {
                args[(*n_args)++] = a;
                continue;
            }
            fprintf(stderr, "%s: unexpected argument " ECHO " (see --help)\n", argv[0], a);
            return ODZ_EINVAL;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        odz_opt *o = opts;
        for (; o->name; o++)
            if (strlen(o->name) == nlen && !strncmp(o->name, name, nlen))
                break;
        if (!o->name) {
            fprintf(stderr, "%s: unknown option " ECHO " (see --help)\n", argv[0], a);
            return ODZ_EINVAL;
        }
        if (o->is_switch) {
            if (eq) {
                fprintf(stderr, "%s: --%s takes no value\n", argv[0], o->name);
                return ODZ_EINVAL;
            }
            o->value = "1";
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            fprintf(stderr, "%s: --%s needs a value\n", argv[0], o->name);
            return ODZ_EINVAL;
        }
        if (strlen(v) > MAX_VALUE) {
            fprintf(stderr, "%s: value of --%s is longer than %d bytes\n", argv[0], o->name,
                    MAX_VALUE);
            return ODZ_EINVAL;
        }
        o->value = v;
    }
    return 0;
}

const char *odz_opt_get(const odz_opt *opts, const char *name)
{
    for (const odz_opt *o = opts; o->name; o++)
        if (!strcmp(o->name, name))
            return o->value ? o->value : "";
    return "";
}

bool odz_opt_given(const odz_opt *opts, const char *name)
{
    for (const odz_opt *o = opts; o->name; o++)
        if (!strcmp(o->name, name))
            return o->value && o->value != o->def;
    return false;
}

int odz_opt_int(const odz_opt *opts, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
    const char *v = odz_opt_get(opts, name);
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "oddzy: --%s must be an integer from %lld to %lld (got " ECHO ")\n", name,
                (long long)lo, (long long)hi, v);
        return ODZ_EINVAL;
    }
    *out = x;
    return 0;
}

int odz_opt_double(const odz_opt *opts, const char *name, double lo, double hi, double *out)
{
    const char *v = odz_opt_get(opts, name);
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(x) || x < lo || x > hi) {
        fprintf(stderr, "oddzy: --%s must be a number from %g to %g (got " ECHO ")\n", name, lo, hi,
                v);
        return ODZ_EINVAL;
    }
    *out = x;
    return 0;
}

int odz_opts_clock(const odz_opt *opts)
{
    double speed;
    int64_t anchor, start = 0;
    if (odz_opt_double(opts, "speed", 1, 10000, &speed) ||
        odz_opt_int(opts, "clock-anchor", 0, INT64_MAX, &anchor))
        return ODZ_EINVAL;
    const char *cs = odz_opt_get(opts, "clock-start");
    if (*cs && (odz_clock_parse_instant(cs, &start) || start <= 0)) {
        fprintf(stderr,
                "--clock-start: " ECHO " is neither epoch ms nor a UTC date-time such as "
                "2026-06-10T06:00Z\n",
                cs);
        return ODZ_EINVAL;
    }
    odz_clock_configure(speed, anchor, start);
    return 0;
}

int odz_opts_logging(const odz_opt *opts, const char *service)
{
    int level;
    const char *lv = odz_opt_get(opts, "log-level"), *fmt = odz_opt_get(opts, "log-format");
    if (odz_log_level_parse(lv, &level)) {
        fprintf(stderr, "oddzy: --log-level must be debug, info, warn or error (got " ECHO ")\n",
                lv);
        return ODZ_EINVAL;
    }
    if (strcmp(fmt, "json") && strcmp(fmt, "text")) {
        fprintf(stderr, "oddzy: --log-format must be json or text (got " ECHO ")\n", fmt);
        return ODZ_EINVAL;
    }
    odz_log_init(service, level, !strcmp(fmt, "text"), NULL);
    return 0;
}

int odz_opts_metrics_start(const odz_opt *opts, const char *role, odz_metrics_server **out)
{
    const char *addr = odz_opt_get(opts, "metrics-addr");
    char err[ODZ_ERRLEN];
    *out = NULL;
    if (!*addr)
        return 0;
    if (odz_metrics_addr_check(addr, err, sizeof err)) {
        fprintf(stderr, "oddzy %s: --metrics-addr: %s\n", role, err);
        return ODZ_EINVAL;
    }
    if (!(*out = odz_metrics_server_start(addr, err, sizeof err))) {
        fprintf(stderr, "oddzy %s: %s\n", role, err);
        return ODZ_EIO;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", odz_metrics_server_port(*out));
    odz_log_kv(ODZ_LOG_INFO, "metrics listener ready", "addr", addr, "port", port, NULL);
    return 0;
}

/* The signals that stop a role. */
static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void odz_signals_block(void)
{
    sigset_t set;
    stop_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int odz_signals_wait(void)
{
    sigset_t set;
    int sig = 0;
    stop_signals(&set);
    sigwait(&set, &sig);
    return sig;
}

int odz_signals_timedwait(int64_t ms)
{
    sigset_t set;
    stop_signals(&set);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig > 0)
            return sig;
        if (errno != EINTR)
            return 0;
    }
}

/* libFuzzer target: flags and ODDZY_* environment (src/cli/opts.c) built from any bytes: the
 * input is cut at newlines; the first line's bytes say which ODDZY_* variables take the next
 * lines as values, the remaining lines are argv. Then the checked conversions every role runs
 * (--speed/--clock-*, --log-*, integers, --metrics-addr's syntax). The parser must never end
 * the process, and what it prints is bounded: stdout and stderr go to memory streams here. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "core/err.h"
#include "obs/metrics_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64
#define MAX_ERR_OUT 512   /* one error line */
#define MAX_HELP_OUT 4096 /* the usage text of this table */

static int in_call;

static void on_exit_trap(void)
{
    if (in_call)
        __builtin_trap(); /* the parser ended the process */
}

static const char *envs[] = {"ODDZY_DB",    "ODDZY_PORT",         "ODDZY_LOG_LEVEL",
                             "ODDZY_LOG_FORMAT", "ODDZY_METRICS_ADDR", "ODDZY_SPEED",
                             "ODDZY_CLOCK_ANCHOR", "ODDZY_CLOCK_START"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        atexit(on_exit_trap);
        init = 1;
    }
    odz_opt opts[] = {
        {"db", "ODDZY_DB", "oddzy.db", "SQLite file or postgres:// URL", NULL, 0},
        {"port", "ODDZY_PORT", "8080", "HTTP port", NULL, 0},
        {"once", NULL, NULL, "one pass, then exit", NULL, 1},
        ODZ_OPT_LOGGING,
        ODZ_OPT_METRICS_ADDR,
        ODZ_OPT_CLOCK,
        ODZ_OPT_END,
    };
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *lines[MAX_ARGS + 16];
    size_t nl = 0;
    for (char *p = buf; nl < sizeof lines / sizeof *lines;) {
        lines[nl++] = p;
        char *e = memchr(p, '\n', (size_t)(buf + size - p));
        if (!e)
            break;
        *e = '\0';
        p = e + 1;
    }
    /* environment: bit i of the first line's bytes sets envs[i] from the next line */
    size_t li = 1;
    unsigned mask = nl ? (unsigned char)lines[0][0] : 0;
    for (size_t i = 0; i < sizeof envs / sizeof *envs; i++) {
        if ((mask >> i) & 1 && li < nl)
            setenv(envs[i], lines[li++], 1);
        else
            unsetenv(envs[i]);
    }
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "oddzy-fuzz";
    while (li < nl && argc < MAX_ARGS)
        argv[argc++] = lines[li++];
    argv[argc] = NULL;

    char *out = NULL, *err = NULL;
    size_t outlen = 0, errlen = 0;
    FILE *so = stdout, *se = stderr;
    FILE *mo = open_memstream(&out, &outlen), *me = open_memstream(&err, &errlen);
    if (!mo || !me)
        abort();
    stdout = mo; /* glibc: the standard streams are assignable */
    stderr = me;
    in_call = 1;
    int rc = odz_opts_parse("usage: oddzy-fuzz [options]", opts, argc, argv);
    size_t limit = rc == 1 ? MAX_HELP_OUT : MAX_ERR_OUT;
    if (rc == 0) {
        int64_t port;
        double speed;
        char host[256], why[ODZ_ERRLEN];
        int p;
        odz_opt_int(opts, "port", 1, 65535, &port);
        odz_opt_double(opts, "speed", 1, 10000, &speed);
        odz_opts_clock(opts);
        odz_opts_logging(opts, "fuzz"); /* logs then go nowhere: stdout is a memory stream */
        odz_metrics_addr_parse(odz_opt_get(opts, "metrics-addr"), host, sizeof host, &p, why,
                               sizeof why);
        limit = 5 * MAX_ERR_OUT; /* at most one line from each check */
        for (const odz_opt *o = opts; o->name; o++)
            if (o->value && strlen(o->value) > 4096)
                __builtin_trap(); /* values are bounded */
    }
    in_call = 0;
    stdout = so;
    stderr = se;
    fclose(mo);
    fclose(me);
    if (rc != 0 && rc != 1 && rc != ODZ_EINVAL)
        __builtin_trap();
    if (outlen > limit || errlen > limit)
        __builtin_trap();
    free(out);
    free(err);
    free(buf);
    return 0;
}

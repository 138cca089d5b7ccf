/* oddzy: one executable, one subcommand per role. */
#include "cli/commands.h"
#include "obs/log.h"
#include "obs/metrics.h"

#include <stdio.h>
#include <string.h>

#ifndef ODDZY_VERSION
#define ODDZY_VERSION "0.1.0"
#endif

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} role;

static const role roles[] = {
    {"run", odz_cmd_run, "everything in one process: http://localhost:8080 with live data"},
    {"racing", odz_cmd_racing, "racing service: owns the store, answers racing.* on the bus"},
    {"scraper", odz_cmd_scraper, "race scraper: polls a racing data source on the adaptive schedule"},
    {"api", odz_cmd_api, "racing API: JSON over HTTP, live push, the web front end"},
    {"prices", odz_cmd_prices, "price updater: a simulated live price market"},
    {"replay", odz_cmd_replay, "recorded Betfair markets (historical files) through the racing service"},
    {"betfair", odz_cmd_betfair, "Betfair Exchange stream (live markets) into the racing service"},
    {"betfair-login", odz_cmd_betfair_login,
     "log in to Betfair and keep the stream's session token alive"},
    {"feed", odz_cmd_feed, "simulated racing source served over HTTP (Entain / odds-comparison)"},
    {"migrate", odz_cmd_migrate, "create or upgrade the database schema, then exit"},
};

static void usage(FILE *f)
{
    fprintf(f, "oddzy %s: live racing pages (meetings, race cards, results, live prices)\n\n"
               "Usage: oddzy <role> [options]     oddzy <role> --help\n\nRoles:\n",
            ODDZY_VERSION);
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        fprintf(f, "  %-9s %s\n", roles[i].name, roles[i].summary);
    fprintf(f, "\nConfiguration: flags, or ODDZY_* environment variables (see each role's --help).\n"
               "  --version  print the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("oddzy %s\n", ODDZY_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcmp(argv[1], roles[i].name))
            continue;
        odz_metrics_set_version(ODDZY_VERSION); /* oddzy_build_info{version} */
        return roles[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "oddzy: unknown role '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

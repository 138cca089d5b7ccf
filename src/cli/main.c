/* oddzy: one executable, one subcommand per role. */
#include "cli/commands.h"
#include "obs/log.h"
#include "obs/metrics.h"

#include <stdio.h>
#include <string.h>

#ifndef ODDZY_VERSION
#define ODDZY_VERSION "0.1.0"
#endif

/* the long-running roles, in the order `oddzy --help` lists them; then oddzy migrate */
static const odz_role_def *const roles[] = {
    &odz_role_run,    &odz_role_racing,  &odz_role_scraper,       &odz_role_api,  &odz_role_prices,
    &odz_role_replay, &odz_role_betfair, &odz_role_betfair_login, &odz_role_feed,
};

static void usage(FILE *f)
{
    fprintf(f, "oddzy %s: live racing pages (meetings, race cards, results, live prices)\n\n"
               "Usage: oddzy <role> [options]     oddzy <role> --help\n\nRoles:\n",
            ODDZY_VERSION);
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        fprintf(f, "  %-9s %s\n", roles[i]->name, roles[i]->summary);
    fprintf(f, "  %-9s %s\n", "migrate", "create or upgrade the database schema, then exit");
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
    odz_metrics_set_version(ODDZY_VERSION); /* oddzy_build_info{version} */
    if (!strcmp(argv[1], "migrate"))
        return odz_cmd_migrate(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (!strcmp(argv[1], roles[i]->name))
            return odz_role_main(roles[i], argc - 1, argv + 1);
    fprintf(stderr, "oddzy: unknown role '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

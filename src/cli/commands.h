/* The commands of the oddzy executable: the long-running roles as definitions for
 * odz_role_main (cli/role.h), each in its file cmd_<role>.c, and oddzy migrate, which takes
 * (argc, argv) with argv[0] = "migrate" and returns the process exit status (0 ok, 1 runtime
 * failure, 2 bad usage). */
#ifndef ODZ_COMMANDS_H
#define ODZ_COMMANDS_H

#include "cli/role.h"

int odz_cmd_migrate(int argc, char **argv);

extern const odz_role_def odz_role_racing, odz_role_feed, odz_role_scraper, odz_role_api,
    odz_role_prices, odz_role_run, odz_role_replay, odz_role_betfair, odz_role_betfair_login;

#endif

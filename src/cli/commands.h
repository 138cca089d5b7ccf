/* The roles of the oddzy executable; each takes (argc, argv) with argv[0] = role name and
 * returns the process exit status (0 ok, 1 runtime failure, 2 bad usage). */
#ifndef ODZ_COMMANDS_H
#define ODZ_COMMANDS_H

int odz_cmd_migrate(int argc, char **argv);
int odz_cmd_racing(int argc, char **argv);
int odz_cmd_feed(int argc, char **argv);
int odz_cmd_scraper(int argc, char **argv);
int odz_cmd_api(int argc, char **argv);
int odz_cmd_prices(int argc, char **argv);
int odz_cmd_run(int argc, char **argv);
int odz_cmd_replay(int argc, char **argv);
int odz_cmd_betfair(int argc, char **argv);
int odz_cmd_betfair_login(int argc, char **argv);

#endif

/* Sources that share ids (the Entain brands: Ladbrokes, Neds, TAB NZ give one race the same
 * meeting, event and entrant ids): one race, each brand's prices under its own provider, the
 * shared parts (meetings, races, runners, results, scratchings) stored by one of them only.
 *
 * A group: the entain-format sources of one --sources file, or the simulated world's
 * bookmakers of `oddzy run` (its own brand, then --bookmakers); cli/sources.c
 * odz_sources_group forms both.
 *
 * The rule: the scrapers of one group are ranked (the one marked shared_owner in the --sources
 * file first, then the file's order); the owner of the shared parts is the first of them that
 * is up: running, and its last ODZ_SHARE_DOWN_AFTER requests to its source did not all fail.
 * The owner stores whole scrapes. Another member stores only its prices, for races whose card
 * the group has already stored whole (keyed by the shared event and entrant ids). It polls a
 * race not stored yet again after ODZ_SHARE_WAIT_S: while the owner's schedule lists the race
 * (or no schedule of an owner has been stored yet), until the owner has stored its card; a
 * race the owner does not list, ODZ_SHARE_WAITS_MAX times, then it stores that race whole
 * itself (a race only it has). When the owner goes down, the next member up owns the shared
 * parts and stores whole scrapes, so results and scratchings keep coming; when the owner is
 * back, it owns them again. Ownership is per process (a member on standby in this process is
 * not running here). */
#ifndef ODZ_SCRAPER_SHARE_H
#define ODZ_SCRAPER_SHARE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ODZ_SHARE_MEMBERS_MAX 16
#define ODZ_SHARE_DOWN_AFTER 3 /* consecutive failed requests: a member is down */
#define ODZ_SHARE_WAIT_S 15    /* simulated seconds a member waits for the owner's card */
#define ODZ_SHARE_WAITS_MAX 3  /* waits for a race the owner does not list */
#define ODZ_SHARE_RACES 32768  /* races remembered as stored (slots; cleared when 3/4 full) */

typedef enum {
    ODZ_SHARE_ALL,    /* store the whole scrape */
    ODZ_SHARE_PRICES, /* store only the prices (and exchange books) */
    ODZ_SHARE_WAIT,   /* store nothing yet: the owner has not stored this race */
} odz_share_role;

/** A group: odz_share_init it once before its members start, then every function is
 * thread-safe (one mutex). It holds no heap memory: keep it (static storage is fine) until its
 * members have stopped; odz_share_destroy then. */
typedef struct odz_share odz_share;
struct odz_share {
    pthread_mutex_t mu;
    struct {
        bool running;
        int failures;
    } m[ODZ_SHARE_MEMBERS_MAX];
    uint64_t races[ODZ_SHARE_RACES]; /* hashes of the race keys the owner listed; 0 empty */
    bool stored[ODZ_SHARE_RACES];    /* and whether their card was stored whole */
    size_t n_races;
    bool listed; /* a schedule was stored whole: races it does not list are not the owner's */
};

/** An empty group, no member running. */
void odz_share_init(odz_share *g);
void odz_share_destroy(odz_share *g);
/** Member `rank` (0..ODZ_SHARE_MEMBERS_MAX-1, the file order) starts or stops scraping. */
void odz_share_join(odz_share *g, int rank);
void odz_share_leave(odz_share *g, int rank);
/** The outcome of one request of member `rank` to its source. */
void odz_share_report(odz_share *g, int rank, bool ok);
/** The rank of the owner of the shared parts, -1 when no member is up. */
int odz_share_owner(odz_share *g);
/** What member `rank` stores of a scrape: of a schedule (race_key NULL) or of the card of race
 * `race_key` for which it has already waited `waits` times in a row. */
odz_share_role odz_share_role_of(odz_share *g, int rank, const char *race_key, int waits);
/** Race `race_key` was stored whole: listed in a schedule (card false) or its card (true). */
void odz_share_stored(odz_share *g, const char *race_key, bool card);

#endif

/* Active-standby scraping: several `oddzy scraper` processes share one leadership lock
 * (store/leader.h) and only the holder scrapes; the others retry and take over when it dies. */
#ifndef ODZ_STANDBY_H
#define ODZ_STANDBY_H

#include "bus/bus.h"
#include "scraper/scraper.h"
#include "store/leader.h"

#define ODZ_SCRAPER_LEADER_NAME "oddzy-scraper"

typedef struct {
    const char *lock_name; /* leadership name (NULL: ODZ_SCRAPER_LEADER_NAME) */
    int retry_ms;          /* standby: how often to try the lock (0: 2000) */
    int check_ms;          /* active: how often to check the lock is still held (0: 1000) */
} odz_standby_config;

typedef struct odz_standby odz_standby;

/** Start the leadership thread. With a leader, it calls try_lead every retry_ms; on winning
 * it starts a scraper (odz_scraper_start with a copy of `cfg`), then checks the lock every
 * check_ms and stops the scraper as soon as the lock is lost (a lost database session), and
 * goes back to trying. With leader == NULL (no shared database) it is always the leader.
 * Logs each change and sets the gauge oddzy_scraper_leader (0/1). Borrows bus, leader and
 * the strings of cfg, which must outlive it. NULL + err when the
 * scraper config is invalid (checked once at start). */
odz_standby *odz_standby_start(odz_bus *bus, odz_leader *leader, const odz_scraper_config *cfg,
                               const odz_standby_config *sc, char *err);
/** 1 while this process is the active scraper. */
int odz_standby_is_leader(odz_standby *s);
/** Number of times this process became the active scraper. */
int odz_standby_terms(odz_standby *s);
/** Stop scraping, give up the lock (so a standby takes over at once) and free. */
void odz_standby_stop(odz_standby *s);

#endif

/* The race scraper: polls a racing data source on the adaptive schedule, through one source
 * adapter, and hands each scrape to the racing service as one batch. */
#ifndef ODZ_SCRAPER_H
#define ODZ_SCRAPER_H

#include <stdbool.h>

#include "bus/bus.h"

#define ODZ_SCRAPER_INFLIGHT_MAX 256
#define ODZ_SCRAPER_HEADERS_MAX 8
#define ODZ_SCRAPER_HEADER_MAX 1024 /* one "Name: value" line */

typedef struct {
    const char *source_url;  /* base URL, e.g. http://127.0.0.1:8090 */
    const char *format;      /* "entain" or "oddscomau" */
    const char *tz;          /* race-day zone (NULL: default) */
    double rate;             /* requests a second towards the source (global limit) */
    int timeout_ms;          /* per request */
    int schedule_interval_s; /* simulated seconds between schedule (meetings list) polls */
    int max_inflight;        /* requests to the source at once (1..ODZ_SCRAPER_INFLIGHT_MAX) */
    const char *provider;    /* the prices of a one-bookmaker format (entain) are this
                              * provider's ("tab-nz"); NULL or "": the format's own name */
    const char *headers[ODZ_SCRAPER_HEADERS_MAX]; /* "Name: value" sent with every request
                                                   * (the source's identification: From,
                                                   * X-Partner); no CR or LF */
    int n_headers;
    struct odz_share *share; /* the group of sources sharing ids this one is in (share.h), or
                              * NULL: it stores whole scrapes */
    int share_rank;          /* its rank in the group (0: first choice to own the shared parts) */
} odz_scraper_config;

typedef struct odz_scraper odz_scraper;
typedef struct odz_scrape odz_scrape;

/** Hand one scrape to the racing service as one upsert_batch (odz_racing_upsert: directly to
 * a racing service in this process, else over the bus, waiting up to
 * 10 s), after stamping its prices that have no time with `now`; counts the races changed and
 * runners scratched in the scrape metrics. Every source that feeds the store goes this way
 * (the scraper, the Betfair replay). Returns the number of races changed, or a negative
 * code with words in err (ODZ_ERRLEN). The scrape is not freed. */
int odz_scrape_send(odz_bus *bus, odz_scrape *sc, int64_t now, char *err);

/** odz_scrape_send of the scrape's prices and exchange books only: its meetings, races and
 * selections (runners, results, scratchings), stored by another source that shares their ids
 * (share.h), are left out, so the store does not compare them again. A price of a selection
 * the store does not hold fails the batch (nothing stored). */
int odz_scrape_send_prices(odz_bus *bus, odz_scrape *sc, int64_t now, char *err);

/** odz_scrape_send naming the batch's source (NULL: none) and, when `match`, asking the racing
 * service to match its races (exchange markets) onto other sources' races first
 * (racing/matching.h): the exchange client and the replay send theirs so. */
int odz_scrape_send_as(odz_bus *bus, odz_scrape *sc, int64_t now, const char *source, bool match,
                       char *err);

/** 0 if cfg is one odz_scraper_start accepts, else ODZ_EINVAL with err (ODZ_ERRLEN) filled. */
int odz_scraper_config_check(const odz_scraper_config *cfg, char *err);
/** Start the poll thread and the monitor responders (scraper.status, scraper.queue,
 * scraper.history on the bus, queue group "scraper"). Borrows bus. NULL + err on bad config. */
odz_scraper *odz_scraper_start(odz_bus *bus, const odz_scraper_config *cfg, char *err);
/** Stop polling (requests in flight are abandoned; a store call in flight is waited for, 10 s at
 * most) and free. */
void odz_scraper_stop(odz_scraper *s);

#endif

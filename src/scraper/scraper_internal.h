/* Internal to src/scraper: the scraper's state, shared by the poll loop (scraper.c) and the
 * monitor responders (monitor.c). */
#ifndef ODZ_SCRAPER_INTERNAL_H
#define ODZ_SCRAPER_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "core/model.h"
#include "scraper/schedule.h"
#include "scraper/scraper.h"
#include "scraper/share.h"
#include "source/source.h"

/* Races the work queue holds (four race days of a big source are a few thousand). Resolved
 * races leave it two days after their start; unresolved ones never leave it for age; past the
 * bound new races are not queued and are counted (oddzy_scraper_queue_overflow_total). */
#define MAX_QUEUE 20000
#define HISTORY 100

typedef struct {
    char key[ODZ_KEY_MAX];
    char label[ODZ_NAME_MAX + 16]; /* "Randwick R3" for the monitor */
    int64_t start;
    odz_race_status status;       /* as its race card last said (odz_poll_card_status) */
    int64_t last_poll, next_poll; /* next_poll 0: resolved (or a key the source cannot poll) */
    int failures;                 /* consecutive failed polls */
    int waits;                    /* polls in a row that waited for the shared parts' owner */
    bool in_flight;
} entry;

typedef struct {
    int64_t ts;
    char call[12];
    char path[ODZ_SOURCE_PATH_MAX];
    char outcome[12];
    int http_status;
    int ms;
    int races_changed;
    char error[160];
} hist;

typedef struct {
    char *data;
    size_t len, cap;
    bool too_big;
} body;

/* One request slot: an easy handle (its connection stays in the multi handle's cache) and what
 * the request is for. Only the loop thread touches slots. */
typedef struct {
    CURL *easy;
    bool busy, schedule; /* schedule call, else the race card of `key` */
    char key[ODZ_KEY_MAX];
    char path[ODZ_SOURCE_PATH_MAX];
    body b;
    int64_t t0; /* real ms */
    char cerr[CURL_ERROR_SIZE];
} xfer;

struct odz_scraper {
    odz_bus *bus;
    const odz_source_ops *src;
    char base[512];
    char tz[64];
    char format[16];
    double rate;
    int timeout_ms, sched_interval, max_inflight;
    atomic_int inflight;
    CURLM *multi;
    struct curl_slist *headers;      /* identification headers of every request */
    char provider[ODZ_PROVIDER_MAX]; /* "" keeps the adapter's */
    odz_share *share;                /* sources sharing ids (share.h), or NULL */
    int share_rank;
    xfer *x;              /* max_inflight slots */
    odz_rate_limit limit; /* loop thread only */
    size_t *due;          /* loop thread scratch: indexes of due races */
    struct {              /* the schedule poll under way (loop thread only) */
        bool active;
        int64_t now;
        odz_source_request reqs[ODZ_SOURCE_MAX_REQUESTS];
        size_t n, next, pending;
        int failures;
        odz_scrape sc;
    } sp;
    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below */
    bool stop;
    entry *q; /* sorted by key */
    size_t nq;
    hist h[HISTORY];
    size_t nh, hpos;
    int64_t started, last_success, sched_next;
    char last_error[200];
    uint64_t ok, failed, overflow;
    int consecutive_sched_failures;
    char window_from[11], window_to[11];
    int64_t subs[3];
    unsigned rnd;
};

/* The order races are polled in, over indexes into q: those due now first, nearest to now
 * first (odz_poll_rank), then the longest waiting; then the others by their next poll. */
typedef struct {
    const entry *q;
    int64_t now;
} order_ctx;

/* The order of odz_poll_rank and the next polls, over indexes into c->q (ctx: order_ctx). */
int odz__scraper_cmp_order(const void *a, const void *b, void *ctx);

/* The monitor's bus responders (monitor.c): scraper.status, scraper.queue, scraper.history;
 * ud is the odz_scraper. */
void odz__scraper_on_status(odz_bus *bus, const odz_msg *m, void *ud);
void odz__scraper_on_queue(odz_bus *bus, const odz_msg *m, void *ud);
void odz__scraper_on_history(odz_bus *bus, const odz_msg *m, void *ud);

#endif

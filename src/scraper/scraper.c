/* Scraper loop: schedule calls for the window and race-card calls when each race is due, up to
 * max_inflight requests at once on one libcurl multi handle, nearest races first, paced by one
 * token bucket; failed race polls retried within a budget (schedule.c); reconciliation through
 * the racing service (upsert by source key); the monitor data (status, work queue, history). */
#include "scraper/scraper.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/source_metrics.h"
#include "racing/racing.h"
#include "scraper/schedule.h"
#include "source/source.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    struct curl_slist *headers; /* identification headers of every request */
    char provider[ODZ_PROVIDER_MAX]; /* "" keeps the adapter's */
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

/* ---- metrics ---- */

/* The source's name in the per-source monitor: its provider, else its format. */
static const char *source_name(const odz_scraper *s)
{
    return s->provider[0] ? s->provider : s->format;
}

static void count(const odz_scraper *s, const char *call, const char *outcome, double secs)
{
    odz_srcstat_request(source_name(s), "bookmaker", !strcmp(outcome, "success"), secs, odz_now());
    char labels[96];
    snprintf(labels, sizeof labels, "call=\"%s\",outcome=\"%s\"", call, outcome);
    odz_metric_inc(
        odz_counter("oddzy_scrapes_total", "Scrapes of the source by call and outcome", labels));
    snprintf(labels, sizeof labels, "call=\"%s\"", call);
    odz_metric_observe(odz_histogram("oddzy_scrape_duration_seconds", "Latency of source requests",
                                     labels, NULL, 0),
                       secs);
}

static void set_inflight(odz_scraper *s, int delta)
{
    int n = atomic_fetch_add(&s->inflight, delta) + delta;
    odz_metric_set(
        odz_gauge("oddzy_scraper_requests_in_flight", "Requests to the source under way", NULL), n);
}

/* ---- HTTP ---- */

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    body *b = ud;
    size_t add = sz * n;
    if (b->len + add > ODZ_SOURCE_BODY_MAX) {
        b->too_big = true;
        return 0; /* abort the transfer */
    }
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static xfer *free_slot(odz_scraper *s)
{
    for (int i = 0; i < s->max_inflight; i++)
        if (!s->x[i].busy)
            return &s->x[i];
    return NULL;
}

/* Put GET base+path on the multi handle. 0, or a negative code with err filled. */
static int start_xfer(odz_scraper *s, xfer *x, const char *path, bool schedule, const char *key,
                      char *err)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    free(x->b.data);
    memset(&x->b, 0, sizeof x->b);
    x->cerr[0] = '\0';
    x->schedule = schedule;
    snprintf(x->key, sizeof x->key, "%s", key ? key : "");
    snprintf(x->path, sizeof x->path, "%s", path);
    curl_easy_setopt(x->easy, CURLOPT_URL, url);
    CURLMcode mc = curl_multi_add_handle(s->multi, x->easy);
    if (mc != CURLM_OK)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot start a request: %s",
                        curl_multi_strerror(mc));
    x->busy = true;
    x->t0 = odz_real_ms();
    set_inflight(s, 1);
    return 0;
}

/* The outcome word of a finished transfer; x->b holds the body on "success". */
static const char *outcome_of(odz_scraper *s, xfer *x, CURLcode c, int *status, char *err,
                              size_t errlen)
{
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    *status = (int)code;
    if (c == CURLE_OPERATION_TIMEDOUT) {
        snprintf(err, errlen, "timed out after %d ms", s->timeout_ms);
        return "timeout";
    }
    if (c != CURLE_OK) {
        snprintf(err, errlen, "%s",
                 x->b.too_big ? "response larger than the limit"
                 : x->cerr[0] ? x->cerr
                              : curl_easy_strerror(c));
        return x->b.too_big ? "garbage" : "failed";
    }
    if (code != 200) {
        snprintf(err, errlen, "HTTP %ld", code);
        return "failed";
    }
    return "success";
}

static void record(odz_scraper *s, const char *call, const char *path, const char *outcome,
                   int status, int ms, int changed, const char *error)
{
    pthread_mutex_lock(&s->lock);
    hist *h = &s->h[s->hpos];
    s->hpos = (s->hpos + 1) % HISTORY;
    if (s->nh < HISTORY)
        s->nh++;
    h->ts = odz_now();
    snprintf(h->call, sizeof h->call, "%s", call);
    snprintf(h->path, sizeof h->path, "%s", path);
    snprintf(h->outcome, sizeof h->outcome, "%s", outcome);
    h->http_status = status;
    h->ms = ms;
    h->races_changed = changed;
    snprintf(h->error, sizeof h->error, "%s", error ? error : "");
    if (!strcmp(outcome, "success")) {
        s->ok++;
        s->last_success = h->ts;
    } else {
        s->failed++;
        snprintf(s->last_error, sizeof s->last_error, "%s %s: %s", call, path, h->error);
    }
    pthread_mutex_unlock(&s->lock);
}

/* ---- reconciliation ---- */

int odz_scrape_send(odz_bus *bus, odz_scrape *sc, int64_t now, char *err)
{
    return odz_scrape_send_as(bus, sc, now, NULL, false, err);
}

int odz_scrape_send_as(odz_bus *bus, odz_scrape *sc, int64_t now, const char *source, bool match,
                       char *err)
{
    odz_batch b;
    odz_upsert_result res;
    odz_scrape_stamp(sc, now);
    odz_scrape_batch(sc, &b);
    /* (bounded: stopping a scraper waits for a store call in flight) */
    int rc = odz_racing_upsert(bus, &b, source, match, 10000, &res, err);
    if (rc)
        return rc;
    odz_metric_add(
        odz_counter("oddzy_races_updated_total", "Races added or changed by scrapes", NULL),
        res.races_changed);
    odz_metric_add(odz_counter("oddzy_runners_scratched_total", "Runners scratched", NULL),
                   res.scratchings);
    return res.races_changed;
}

static int cmp_key(const void *key, const void *e)
{
    return strcmp(key, ((const entry *)e)->key);
}

static int cmp_entry_key(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

/* The queued race `key` among the first n (sorted) entries. Caller holds lock. */
static entry *find_in(odz_scraper *s, const char *key, size_t n)
{
    return bsearch(key, s->q, n, sizeof *s->q, cmp_key);
}

static entry *find_entry(odz_scraper *s, const char *key)
{
    return find_in(s, key, s->nq);
}

/* Bring the work queue in line with the races a schedule scrape saw. Caller holds lock. */
static void queue_from_scrape(odz_scraper *s, const odz_scrape *sc, int64_t now)
{
    /* first forget resolved races that left the window (next_poll 0: nothing more to read) */
    size_t w = 0;
    for (size_t i = 0; i < s->nq; i++)
        if (odz_poll_keep(s->q[i].start, s->q[i].next_poll == 0, now))
            s->q[w++] = s->q[i];
    s->nq = w;
    size_t sorted = s->nq, overflow = 0;
    for (size_t i = 0; i < sc->n_races; i++) {
        const odz_race *r = &sc->races[i].race;
        entry *e = find_in(s, r->source_key, sorted); /* (a scrape holds each race once) */
        if (!e) {
            if (s->nq >= MAX_QUEUE) {
                overflow++;
                continue;
            }
            e = &s->q[s->nq++];
            memset(e, 0, sizeof *e);
            snprintf(e->key, sizeof e->key, "%s", r->source_key);
        }
        const char *mname = "";
        for (size_t k = 0; k < sc->meetings.n; k++)
            if (!strcmp(sc->meetings.v[k].source_key, sc->races[i].meeting_key))
                mname = sc->meetings.v[k].name;
        snprintf(e->label, sizeof e->label, "%.100s R%d", mname, r->number);
        /* status drives the schedule only from race cards: a schedule that already says
         * FINAL must not stop the card poll that brings the results and dividends */
        if (e->start != r->scheduled_start) {
            e->start = r->scheduled_start;
            if (e->failures == 0 && e->last_poll && e->next_poll)
                e->next_poll = odz_poll_next(e->start, e->status, e->last_poll);
        }
        if (!e->last_poll && !e->next_poll)
            e->next_poll = 1; /* every race is read once, whatever its status */
        else if (r->status != e->status && e->next_poll &&
                 odz_status_transition(e->status, r->status, NULL, 0) == 0)
            e->next_poll = 1; /* the schedule saw it move: read its card now for results */
    }
    qsort(s->q, s->nq, sizeof *s->q, cmp_entry_key);
    if (overflow) {
        s->overflow += overflow;
        odz_metric_add(odz_counter("oddzy_scraper_queue_overflow_total",
                                   "Races not queued because the work queue was full", NULL),
                       (double)overflow);
        char n[24], max[24];
        snprintf(n, sizeof n, "%zu", overflow);
        snprintf(max, sizeof max, "%d", MAX_QUEUE);
        odz_log_kv(ODZ_LOG_ERROR, "scrape work queue full: races not queued", "races", n,
                   "queue_max", max, NULL);
    }
}

static double jitter(odz_scraper *s)
{
    return (double)(rand_r(&s->rnd) % 10000) / 10000.0;
}

/* ---- the schedule poll: its calls go out like race cards, the scrape is stored once all
 * have answered ---- */

static void schedule_begin(odz_scraper *s, int64_t now)
{
    char from[11] = "", to[11] = "", err[ODZ_ERRLEN] = "";
    odz_poll_window(now, s->tz, from, to);
    pthread_mutex_lock(&s->lock);
    snprintf(s->window_from, sizeof s->window_from, "%s", from);
    snprintf(s->window_to, sizeof s->window_to, "%s", to);
    pthread_mutex_unlock(&s->lock);
    memset(&s->sp, 0, sizeof s->sp);
    s->sp.now = now;
    s->sp.active = true;
    if (s->src->schedule_requests(from, to, s->sp.reqs, ODZ_SOURCE_MAX_REQUESTS, &s->sp.n, err,
                                  sizeof err)) {
        odz_log_kv(ODZ_LOG_ERROR, "cannot build schedule requests", "error", err, NULL);
        s->sp.n = 0;
        s->sp.failures++;
    }
}

/* The schedule poll is over: store what it saw, queue its races, plan the next one. */
static void schedule_end(odz_scraper *s)
{
    char err[ODZ_ERRLEN] = "";
    int changed = 0;
    odz_scrape *sc = &s->sp.sc;
    if (sc->n_races || sc->meetings.n) {
        odz_scrape_set_provider(sc, s->src->name, s->provider);
        changed = odz_scrape_send(s->bus, sc, odz_now(), err);
        if (changed < 0) {
            s->sp.failures++;
            odz_log_kv(ODZ_LOG_ERROR, "schedule not stored", "error", err, NULL);
            record(s, "store", "racing.upsert_batch", "failed", 0, 0, 0, err);
        }
    }
    int64_t now = s->sp.now;
    pthread_mutex_lock(&s->lock);
    if (changed >= 0)
        queue_from_scrape(s, sc, now);
    if (s->sp.failures) {
        s->consecutive_sched_failures++;
        s->sched_next = now + odz_backoff(s->consecutive_sched_failures, 5, s->sched_interval,
                                          jitter(s)); /* sim seconds */
    } else {
        s->consecutive_sched_failures = 0;
        s->sched_next = now + s->sched_interval;
    }
    pthread_mutex_unlock(&s->lock);
    odz_scrape_free(sc);
    s->sp.active = false;
}

static void schedule_done(odz_scraper *s, xfer *x, const char *out, int status, int ms, char *err)
{
    if (!strcmp(out, "success") && s->src->parse_schedule(x->b.data ? x->b.data : "", x->b.len,
                                                          x->path, &s->sp.sc, err, ODZ_ERRLEN))
        out = "garbage";
    count(s, "schedule", out, ms / 1000.0);
    if (strcmp(out, "success")) {
        s->sp.failures++;
        odz_log_kv(ODZ_LOG_WARN, "schedule scrape failed", "path", x->path, "outcome", out, "error",
                   err, NULL);
    }
    record(s, "schedule", x->path, out, status, ms, 0, strcmp(out, "success") ? err : "");
    s->sp.pending--;
}

/* ---- race cards ---- */

static void race_done(odz_scraper *s, xfer *x, const char *out, int status, int ms, char *err)
{
    odz_scrape sc = {0};
    if (!strcmp(out, "success") &&
        s->src->parse_race(x->b.data ? x->b.data : "", x->b.len, x->key, &sc, err, ODZ_ERRLEN))
        out = "garbage";
    count(s, "race", out, ms / 1000.0);
    int changed = 0;
    if (!strcmp(out, "success")) {
        odz_scrape_set_provider(&sc, s->src->name, s->provider);
        changed = odz_scrape_send(s->bus, &sc, odz_now(), err);
        if (changed < 0) {
            out = "failed";
            odz_log_kv(ODZ_LOG_ERROR, "race not stored", "race", x->key, "error", err, NULL);
        }
    } else {
        odz_log_kv(ODZ_LOG_WARN, "race scrape failed", "path", x->path, "outcome", out, "error",
                   err, NULL);
    }
    record(s, "race", x->path, out, status, ms, changed > 0 ? changed : 0,
           strcmp(out, "success") ? err : "");
    const odz_batch_race *br = odz_scrape_find_race(&sc, x->key);
    int64_t now = odz_now();
    bool spent = false;
    pthread_mutex_lock(&s->lock);
    entry *e = find_entry(s, x->key);
    if (e) {
        e->in_flight = false;
        if (!strcmp(out, "success")) {
            e->failures = 0;
            if (br) {
                e->start = br->race.scheduled_start;
                odz_race_status st = odz_poll_card_status(br->race.status, br->race.n_results);
                if (odz_status_transition(e->status, st, NULL, 0) == 0)
                    e->status = st;
            }
            e->last_poll = now;
            e->next_poll = odz_poll_next(e->start, e->status, now);
        } else {
            e->failures++;
            spent = e->failures == ODZ_RETRY_BUDGET + 1;
            e->next_poll = odz_poll_retry(e->start, e->status, e->failures, now, jitter(s));
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (spent) {
        odz_metric_inc(odz_counter("oddzy_scraper_retry_budget_spent_total",
                                   "Races whose quick retries ran out (polled on their regular "
                                   "schedule until a poll succeeds)",
                                   NULL));
        odz_log_kv(ODZ_LOG_WARN, "race keeps failing: polled on its regular schedule", "race",
                   x->key, "error", err, NULL);
    }
    odz_scrape_free(&sc);
}

/* A transfer is over: take it off the multi handle and hand its answer on. */
static void finish(odz_scraper *s, xfer *x, CURLcode c)
{
    char err[ODZ_ERRLEN] = "";
    int status = 0;
    const char *out = outcome_of(s, x, c, &status, err, sizeof err);
    int ms = (int)(odz_real_ms() - x->t0);
    curl_multi_remove_handle(s->multi, x->easy);
    x->busy = false;
    set_inflight(s, -1);
    if (x->schedule)
        schedule_done(s, x, out, status, ms, err);
    else
        race_done(s, x, out, status, ms, err);
    free(x->b.data);
    memset(&x->b, 0, sizeof x->b);
}

/* Collect what finished; the number of transfers handed on. */
static int reap(odz_scraper *s)
{
    int n = 0, left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(s->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode c = m->data.result; /* (m is gone once the handle is removed) */
        char *p = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
        xfer *x = (xfer *)p;
        if (x) {
            finish(s, x, c);
            n++;
        }
    }
    return n;
}

/* The order races are polled in, over indexes into q: those due now first, nearest to now
 * first (odz_poll_rank), then the longest waiting; then the others by their next poll. */
typedef struct {
    const entry *q;
    int64_t now;
} order_ctx;

static int cmp_order(const void *a, const void *b, void *ctx_)
{
    const order_ctx *c = ctx_;
    const entry *x = &c->q[*(const size_t *)a], *y = &c->q[*(const size_t *)b];
    bool dx = x->next_poll <= c->now, dy = y->next_poll <= c->now;
    if (dx != dy)
        return dx ? -1 : 1;
    if (!dx && x->next_poll != y->next_poll)
        return x->next_poll < y->next_poll ? -1 : 1;
    int64_t rx = odz_poll_rank(x->start, c->now), ry = odz_poll_rank(y->start, c->now);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return x->next_poll < y->next_poll ? -1 : x->next_poll > y->next_poll;
}

/* A token from the rate limit, or false with *wait_ms lowered to when one is due. */
static bool token(odz_scraper *s, int64_t *wait_ms)
{
    int64_t w = odz_rate_take(&s->limit, odz_real_ms());
    if (w > 0 && w < *wait_ms)
        *wait_ms = w;
    return w == 0;
}

/* Real ms until simulated second t. */
static int64_t real_ms_until(int64_t t)
{
    return odz_clock_real_interval_ms(t * 1000 - odz_now_ms());
}

/* Start what is due, as far as free slots and the rate limit allow: the schedule calls first,
 * then the due races, nearest first. Lowers *wait_ms to when more may be startable. */
static void start_due(odz_scraper *s, int64_t now, int64_t *wait_ms)
{
    char err[ODZ_ERRLEN];
    pthread_mutex_lock(&s->lock);
    int64_t sched_next = s->sched_next;
    pthread_mutex_unlock(&s->lock);
    if (!s->sp.active && now >= sched_next)
        schedule_begin(s, now);
    if (!s->sp.active) {
        int64_t w = real_ms_until(sched_next);
        if (w < *wait_ms)
            *wait_ms = w;
    }
    xfer *x;
    while (s->sp.active && s->sp.next < s->sp.n && (x = free_slot(s)) && token(s, wait_ms)) {
        const char *path = s->sp.reqs[s->sp.next++].path;
        if (start_xfer(s, x, path, true, NULL, err)) {
            s->sp.failures++;
            odz_log_kv(ODZ_LOG_ERROR, "schedule scrape not started", "error", err, NULL);
            continue;
        }
        s->sp.pending++;
    }
    if (s->sp.active && s->sp.next == s->sp.n && s->sp.pending == 0)
        schedule_end(s);

    pthread_mutex_lock(&s->lock);
    size_t nd = 0, unresolved = 0;
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < s->nq; i++) {
        const entry *e = &s->q[i];
        if (e->next_poll && e->start <= now)
            unresolved++;
        if (!e->next_poll || e->in_flight)
            continue;
        if (e->next_poll <= now)
            s->due[nd++] = i;
        else if (e->next_poll < next)
            next = e->next_poll;
    }
    size_t started = 0;
    if (nd && free_slot(s)) {
        order_ctx c = {s->q, now};
        qsort_r(s->due, nd, sizeof *s->due, cmp_order, &c);
        for (size_t k = 0; k < nd; k++) {
            entry *e = &s->q[s->due[k]];
            char path[ODZ_SOURCE_PATH_MAX];
            if (s->src->race_request(e->key, path, sizeof path)) {
                e->next_poll = 0; /* a key the source cannot poll */
                continue;
            }
            if (!(x = free_slot(s)) || !token(s, wait_ms))
                break;
            if (start_xfer(s, x, path, false, e->key, err)) {
                odz_log_kv(ODZ_LOG_ERROR, "race scrape not started", "race", x->key, "error", err,
                           NULL);
                break;
            }
            started++;
            e->in_flight = true;
            if (e->failures)
                odz_metric_inc(odz_counter("oddzy_scraper_retries_total",
                                           "Race-card requests retrying a failed one", NULL));
        }
    }
    size_t nq = s->nq;
    pthread_mutex_unlock(&s->lock);
    if (next != INT64_MAX) {
        int64_t w = real_ms_until(next);
        if (w < *wait_ms)
            *wait_ms = w;
    }
    odz_metric_set(odz_gauge("oddzy_scraper_queue_races", "Races in the scrape work queue", NULL),
                   (double)nq);
    odz_metric_set(odz_gauge("oddzy_scraper_races_due",
                             "Races due for a poll and waiting for a free request slot or the "
                             "rate limit",
                             NULL),
                   (double)(nd - started));
    odz_metric_set(odz_gauge("oddzy_scraper_races_unresolved",
                             "Queued races past their start whose card is not yet FINAL or "
                             "ABANDONED",
                             NULL),
                   (double)unresolved);
}

static bool stopping(odz_scraper *s)
{
    pthread_mutex_lock(&s->lock);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static void *loop(void *arg)
{
    odz_scraper *s = arg;
    while (!stopping(s)) {
        int64_t wait = 1000;
        start_due(s, odz_now(), &wait);
        int running = 0;
        curl_multi_perform(s->multi, &running);
        if (reap(s))
            continue; /* slots freed: start more at once */
        if (wait < 5)
            wait = 5;
        curl_multi_poll(s->multi, NULL, 0, (int)wait, NULL); /* odz_scraper_stop wakes it */
    }
    /* abandon what is in flight */
    for (int i = 0; i < s->max_inflight; i++)
        if (s->x[i].busy) {
            curl_multi_remove_handle(s->multi, s->x[i].easy);
            s->x[i].busy = false;
            set_inflight(s, -1);
        }
    odz_scrape_free(&s->sp.sc);
    return NULL;
}

/* ---- monitor ---- */

static void reply_json(odz_bus *bus, const odz_msg *m, json_t *j)
{
    char *t = odz_json_dumps(j);
    if (t)
        odz_bus_respond(bus, m, t, strlen(t));
    free(t);
    json_decref(j);
}

static void on_status(odz_bus *bus, const odz_msg *m, void *ud)
{
    odz_scraper *s = ud;
    pthread_mutex_lock(&s->lock);
    size_t due = 0, unresolved = 0, retrying = 0;
    int64_t now = odz_now();
    for (size_t i = 0; i < s->nq; i++) {
        const entry *e = &s->q[i];
        due += e->next_poll && e->next_poll <= now && !e->in_flight;
        unresolved += e->next_poll && e->start <= now;
        retrying += e->next_poll && e->failures > 0;
    }
    json_t *j =
        json_pack("{s:b,s:{s:b,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:I,s:{s:s,s:s},s:f}}", "ok", 1,
                  "data", "running", !s->stop, "source", s->base, "format", s->format, "started",
                  (json_int_t)s->started, "now", (json_int_t)now, "last_success",
                  (json_int_t)s->last_success, "next_schedule_poll", (json_int_t)s->sched_next,
                  "last_error", s->last_error, "scrapes_ok", (json_int_t)s->ok, "scrapes_failed",
                  (json_int_t)s->failed, "queue_length", (json_int_t)s->nq, "window", "from",
                  s->window_from, "to", s->window_to, "rate_per_second", s->rate);
    json_t *d = json_object_get(j, "data");
    json_object_set_new(d, "due", json_integer((json_int_t)due));
    json_object_set_new(d, "in_flight", json_integer(atomic_load(&s->inflight)));
    json_object_set_new(d, "max_in_flight", json_integer(s->max_inflight));
    json_object_set_new(d, "unresolved", json_integer((json_int_t)unresolved));
    json_object_set_new(d, "retrying", json_integer((json_int_t)retrying));
    json_object_set_new(d, "queue_overflow", json_integer((json_int_t)s->overflow));
    /* every source of this process (in `oddzy run` the exchange and the replay too) */
    json_t *sources = odz_srcstat_json();
    json_object_set_new(d, "sources", sources ? sources : json_array());
    pthread_mutex_unlock(&s->lock);
    reply_json(bus, m, j);
}

static void on_queue(odz_bus *bus, const odz_msg *m, void *ud)
{
    odz_scraper *s = ud;
    json_t *a = json_array();
    pthread_mutex_lock(&s->lock);
    size_t *ix = malloc((s->nq ? s->nq : 1) * sizeof *ix), n = 0;
    for (size_t i = 0; ix && i < s->nq; i++)
        if (s->q[i].next_poll)
            ix[n++] = i;
    order_ctx c = {s->q, odz_now()};
    if (ix)
        qsort_r(ix, n, sizeof *ix, cmp_order, &c);
    for (size_t i = 0; i < n && i < 200; i++) {
        const entry *e = &s->q[ix[i]];
        json_array_append_new(
            a,
            json_pack("{s:s,s:s,s:I,s:s,s:I,s:I,s:i,s:b}", "race_key", e->key, "label", e->label,
                      "scheduled_start", (json_int_t)e->start, "status", odz_status_name(e->status),
                      "last_poll", (json_int_t)e->last_poll, "next_poll", (json_int_t)e->next_poll,
                      "failures", e->failures, "in_flight", e->in_flight));
    }
    pthread_mutex_unlock(&s->lock);
    free(ix);
    reply_json(bus, m, json_pack("{s:b,s:o}", "ok", 1, "data", a));
}

static void on_history(odz_bus *bus, const odz_msg *m, void *ud)
{
    odz_scraper *s = ud;
    json_t *a = json_array();
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nh; i++) { /* newest first */
        const hist *h = &s->h[(s->hpos + HISTORY - 1 - i) % HISTORY];
        json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:i,s:i,s:i,s:s}", "ts",
                                           (json_int_t)h->ts, "call", h->call, "path", h->path,
                                           "outcome", h->outcome, "http_status", h->http_status,
                                           "ms", h->ms, "races_changed", h->races_changed, "error",
                                           h->error));
    }
    pthread_mutex_unlock(&s->lock);
    reply_json(bus, m, json_pack("{s:b,s:o}", "ok", 1, "data", a));
}

/* ---- start/stop ---- */

int odz_scraper_config_check(const odz_scraper_config *cfg, char *err)
{
    if (!odz_source_find(cfg->format ? cfg->format : ""))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL,
                        "unknown source format '%s' (entain or oddscomau)",
                        cfg->format ? cfg->format : "");
    const char *u = cfg->source_url ? cfg->source_url : "";
    if ((strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) || strlen(u) > 400 ||
        strpbrk(u, " \r\n\t"))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "source must be an http:// or https:// URL");
    if (!(cfg->rate > 0 && cfg->rate <= 1000) || cfg->timeout_ms < 100 ||
        cfg->timeout_ms > 120000 || cfg->schedule_interval_s < 1 || cfg->max_inflight < 1 ||
        cfg->max_inflight > ODZ_SCRAPER_INFLIGHT_MAX)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "scraper limits out of range");
    if (cfg->n_headers < 0 || cfg->n_headers > ODZ_SCRAPER_HEADERS_MAX)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "more than %d request headers",
                        ODZ_SCRAPER_HEADERS_MAX);
    for (int i = 0; i < cfg->n_headers; i++)
        if (!cfg->headers[i] || !strchr(cfg->headers[i], ':') ||
            strpbrk(cfg->headers[i], "\r\n") || strlen(cfg->headers[i]) > 300)
            return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "request header %d is not one line of "
                                                         "'Name: value'",
                            i + 1);
    if (cfg->provider && strlen(cfg->provider) >= ODZ_PROVIDER_MAX)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "provider name too long");
    return 0;
}

static void scraper_free(odz_scraper *s)
{
    for (int i = 0; s->x && i < s->max_inflight; i++) {
        if (s->x[i].easy)
            curl_easy_cleanup(s->x[i].easy);
        free(s->x[i].b.data);
    }
    if (s->multi)
        curl_multi_cleanup(s->multi);
    curl_slist_free_all(s->headers);
    pthread_mutex_destroy(&s->lock);
    free(s->x);
    free(s->due);
    free(s->q);
    free(s);
}

static int make_slots(odz_scraper *s)
{
    s->multi = curl_multi_init();
    s->x = calloc((size_t)s->max_inflight, sizeof *s->x);
    if (!s->multi || !s->x)
        return ODZ_ENOMEM;
    long connect_ms = s->timeout_ms < 5000 ? s->timeout_ms : 5000;
    for (int i = 0; i < s->max_inflight; i++) {
        xfer *x = &s->x[i];
        CURL *c = x->easy = curl_easy_init();
        if (!c)
            return ODZ_ENOMEM;
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &x->b);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->cerr);
        curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)x);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(c, CURLOPT_USERAGENT, "oddzy-scraper/0.1");
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        if (s->headers)
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers);
    }
    /* one connection per request in flight, kept alive between requests */
    curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)s->max_inflight);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->max_inflight);
    return 0;
}

odz_scraper *odz_scraper_start(odz_bus *bus, const odz_scraper_config *cfg, char *err)
{
    if (odz_scraper_config_check(cfg, err))
        return NULL;
    const odz_source_ops *src = odz_source_find(cfg->format);
    const char *u = cfg->source_url;
    odz_scraper *s = calloc(1, sizeof *s);
    if (!s) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->bus = bus;
    s->src = src;
    snprintf(s->base, sizeof s->base, "%s", u);
    size_t bl = strlen(s->base);
    while (bl && s->base[bl - 1] == '/')
        s->base[--bl] = '\0';
    snprintf(s->tz, sizeof s->tz, "%s", cfg->tz && *cfg->tz ? cfg->tz : ODZ_DEFAULT_TZ);
    snprintf(s->format, sizeof s->format, "%s", src->name);
    s->rate = cfg->rate;
    s->timeout_ms = cfg->timeout_ms;
    s->sched_interval = cfg->schedule_interval_s;
    s->max_inflight = cfg->max_inflight;
    atomic_init(&s->inflight, 0);
    s->started = odz_now();
    s->rnd = (unsigned)odz_real_ms();
    odz_rate_init(&s->limit, cfg->rate, cfg->rate < 2 ? 1 : cfg->rate / 2, odz_real_ms());
    s->q = calloc(MAX_QUEUE, sizeof *s->q);
    s->due = calloc(MAX_QUEUE, sizeof *s->due);
    snprintf(s->provider, sizeof s->provider, "%s", cfg->provider ? cfg->provider : "");
    bool hdr_ok = true;
    for (int i = 0; i < cfg->n_headers && hdr_ok; i++) {
        struct curl_slist *l = curl_slist_append(s->headers, cfg->headers[i]);
        hdr_ok = l != NULL;
        if (l)
            s->headers = l;
    }
    if (!hdr_ok || !s->q || !s->due || make_slots(s)) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot create the HTTP client: out of memory");
        scraper_free(s);
        return NULL;
    }
    s->subs[0] = bus->ops->subscribe(bus, "scraper.status", "scraper", 64, on_status, s);
    s->subs[1] = bus->ops->subscribe(bus, "scraper.queue", "scraper", 64, on_queue, s);
    s->subs[2] = bus->ops->subscribe(bus, "scraper.history", "scraper", 64, on_history, s);
    if (s->subs[0] < 0 || s->subs[1] < 0 || s->subs[2] < 0 ||
        pthread_create(&s->thread, NULL, loop, s) != 0) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot start the scraper");
        for (int i = 0; i < 3; i++)
            if (s->subs[i] > 0)
                bus->ops->unsubscribe(bus, s->subs[i]);
        scraper_free(s);
        return NULL;
    }
    return s;
}

void odz_scraper_stop(odz_scraper *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_mutex_unlock(&s->lock);
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < 3; i++)
        s->bus->ops->unsubscribe(s->bus, s->subs[i]);
    scraper_free(s);
}

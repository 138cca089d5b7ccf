/* Scraper loop: schedule calls for the window and race-card calls when each race is due, up to
 * max_inflight requests at once on one libcurl multi handle, nearest races first, paced by one
 * token bucket; failed race polls retried within a budget (schedule.c); reconciliation through
 * the racing service (upsert by source key); the monitor data (status, work queue, history). */
#include "scraper/scraper.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/grow.h"
#include "core/json.h"
#include "core/sort.h"
#include "core/tz.h"
#include "core/wait.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/source_metrics.h"
#include "racing/racing.h"
#include "scraper/schedule.h"
#include "scraper/scraper_internal.h"
#include "scraper/share.h"
#include "source/source.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    char *d = odz_grow_bytes(b->data, b->len + add + 1, &b->cap, 65536);
    if (!d)
        return 0;
    b->data = d;
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

/* What this source stores of a scrape (share.h); a source in no group stores it all. */
static odz_share_role role_of(odz_scraper *s, const char *race_key, int waits)
{
    return s->share ? odz_share_role_of(s->share, s->share_rank, race_key, waits) : ODZ_SHARE_ALL;
}

/* Store a scrape, whole or its prices only (role), counting the rows sent by kind; a prices-only
 * card that names a runner the store does not hold yet is stored whole. The races of a schedule
 * stored whole are listed for the group; a card stored whole (race_key) is one the group's
 * other sources may now send their prices for. */
static int store_scrape(odz_scraper *s, odz_scrape *sc, odz_share_role role, const char *race_key,
                        char *err)
{
    int64_t now = odz_now();
    int rc = ODZ_EINVAL;
    if (role == ODZ_SHARE_PRICES && (rc = odz_scrape_send_prices(s->bus, sc, now, err)) < 0)
        odz_log_kv(ODZ_LOG_DEBUG, "prices of a runner not stored yet: the card goes whole", "race",
                   race_key ? race_key : "", "error", err, NULL);
    if (rc < 0) {
        role = ODZ_SHARE_ALL;
        rc = odz_scrape_send(s->bus, sc, now, err);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; s->share && role == ODZ_SHARE_ALL && i < (race_key ? 1 : sc->n_races); i++)
        odz_share_stored(s->share, race_key ? race_key : sc->races[i].race.source_key, race_key);
    char labels[96];
    snprintf(labels, sizeof labels, "source=\"%s\",rows=\"shared\"", source_name(s));
    odz_metric_add(odz_counter("oddzy_scrape_rows_sent_total",
                               "Rows a source sent to the store: shared (meetings, races, runners "
                               "with results and scratchings) or prices (with exchange books)",
                               labels),
                   role == ODZ_SHARE_ALL ? (double)(sc->meetings.n + sc->n_races + sc->n_selections)
                                         : 0);
    snprintf(labels, sizeof labels, "source=\"%s\",rows=\"prices\"", source_name(s));
    odz_metric_add(odz_counter("oddzy_scrape_rows_sent_total", NULL, labels),
                   (double)(sc->n_prices + sc->n_books));
    return rc;
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
    odz_sort(s->q, s->nq, sizeof *s->q, cmp_entry_key);
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
    /* a schedule is all shared parts: only the owner of them stores it */
    if ((sc->n_races || sc->meetings.n) && role_of(s, NULL, 0) == ODZ_SHARE_ALL) {
        odz_scrape_set_provider(sc, s->src->name, s->provider);
        changed = store_scrape(s, sc, ODZ_SHARE_ALL, NULL, err);
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
    odz_thread_yield();
    count(s, "race", out, ms / 1000.0);
    int changed = 0;
    bool wait = false;
    if (!strcmp(out, "success")) {
        pthread_mutex_lock(&s->lock);
        entry *w = find_entry(s, x->key);
        int waits = w ? w->waits : ODZ_SHARE_WAITS_MAX;
        pthread_mutex_unlock(&s->lock);
        odz_share_role role = role_of(s, x->key, waits);
        wait = role == ODZ_SHARE_WAIT;
        odz_scrape_set_provider(&sc, s->src->name, s->provider);
        changed = wait ? 0 : store_scrape(s, &sc, role, x->key, err);
        odz_thread_yield();
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
        if (wait) { /* not a failure: the owner of the shared parts has not stored it yet */
            e->waits++;
            e->next_poll = now + ODZ_SHARE_WAIT_S;
        } else if (!strcmp(out, "success")) {
            e->failures = 0;
            e->waits = 0;
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
    if (s->share)
        odz_share_report(s->share, s->share_rank, !strcmp(out, "success"));
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

int odz__scraper_cmp_order(const void *a, const void *b, void *ctx_)
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
        qsort_r(s->due, nd, sizeof *s->due, odz__scraper_cmp_order, &c);
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

static void *loop(void *arg)
{
    odz_thread_background("odz-scraper"); /* yields to the threads answering requests */
    odz_scraper *s = arg;
    while (!odz_stop_seen(&s->lock, &s->stop)) {
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
        if (!cfg->headers[i] || !strchr(cfg->headers[i], ':') || strpbrk(cfg->headers[i], "\r\n") ||
            strlen(cfg->headers[i]) >= ODZ_SCRAPER_HEADER_MAX)
            return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "request header %d is not one line of "
                                                         "'Name: value'",
                            i + 1);
    if (cfg->share && (cfg->share_rank < 0 || cfg->share_rank >= ODZ_SHARE_MEMBERS_MAX))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "share rank out of range");
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
    odz_scraper *s = odz_zalloc(sizeof *s, err, ODZ_ERRLEN);
    if (!s)
        return NULL;
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
    s->share = cfg->share;
    s->share_rank = cfg->share_rank;
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
    s->subs[0] =
        odz_bus_subscribe(bus, "scraper.status", "scraper", 64, odz__scraper_on_status, s);
    s->subs[1] = odz_bus_subscribe(bus, "scraper.queue", "scraper", 64, odz__scraper_on_queue, s);
    s->subs[2] =
        odz_bus_subscribe(bus, "scraper.history", "scraper", 64, odz__scraper_on_history, s);
    if (s->subs[0] < 0 || s->subs[1] < 0 || s->subs[2] < 0 ||
        pthread_create(&s->thread, NULL, loop, s) != 0) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot start the scraper");
        for (int i = 0; i < 3; i++)
            if (s->subs[i] > 0)
                odz_bus_unsubscribe(bus, s->subs[i]);
        scraper_free(s);
        return NULL;
    }
    if (s->share)
        odz_share_join(s->share, s->share_rank);
    return s;
}

void odz_scraper_stop(odz_scraper *s)
{
    if (!s)
        return;
    odz_stop_raise(&s->lock, NULL, &s->stop);
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    if (s->share)
        odz_share_leave(s->share, s->share_rank);
    for (int i = 0; i < 3; i++)
        odz_bus_unsubscribe(s->bus, s->subs[i]);
    scraper_free(s);
}

/* Scraper loop: schedule calls for the window, race-card calls when each race is due, a
 * global token bucket, backoff with jitter on failure, reconciliation through the racing
 * service (upsert by source key), and the monitor data (status, work queue, history). */
#include "scraper/scraper.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "racing/racing.h"
#include "scraper/schedule.h"
#include "source/source.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_QUEUE 20000
#define HISTORY 100

typedef struct {
    char key[ODZ_KEY_MAX];
    char label[ODZ_NAME_MAX + 16]; /* "Randwick R3" for the monitor */
    int64_t start;
    odz_race_status status;
    int64_t last_poll, next_poll;
    int failures;
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

struct odz_scraper {
    odz_bus *bus;
    const odz_source_ops *src;
    char base[512];
    char tz[64];
    char format[16];
    double rate;
    int timeout_ms, sched_interval, per_tick;
    CURL *curl;
    odz_rate_limit limit;
    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below and `stop` */
    pthread_cond_t wake;
    bool stop;
    entry *q;
    size_t nq;
    hist h[HISTORY];
    size_t nh, hpos;
    int64_t started, last_success, sched_next;
    char last_error[200];
    uint64_t ok, failed;
    int consecutive_sched_failures;
    char window_from[11], window_to[11];
    int64_t subs[3];
    unsigned rnd;
};

/* ---- metrics ---- */

static void count(const char *call, const char *outcome, double secs)
{
    char labels[96];
    snprintf(labels, sizeof labels, "call=\"%s\",outcome=\"%s\"", call, outcome);
    odz_metric_inc(odz_counter("oddzy_scrapes_total", "Scrapes of the source by call and outcome",
                               labels));
    snprintf(labels, sizeof labels, "call=\"%s\"", call);
    odz_metric_observe(odz_histogram("oddzy_scrape_duration_seconds",
                                     "Latency of source requests", labels, NULL, 0),
                       secs);
}

/* ---- HTTP ---- */

typedef struct {
    char *data;
    size_t len, cap;
    bool too_big;
} body;

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

/* Wait for a rate-limit token (interruptible by stop). false when stopping. */
static bool wait_token(odz_scraper *s)
{
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop;
        int64_t w = stop ? 0 : odz_rate_take(&s->limit, odz_real_ms());
        if (!stop && w > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (w % 1000) * 1000000L;
            ts.tv_sec += w / 1000 + ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&s->wake, &s->lock, &ts);
        }
        pthread_mutex_unlock(&s->lock);
        if (stop)
            return false;
        if (w == 0)
            return true;
    }
}

/* GET base+path. Returns the outcome word; *b holds the body on "success". */
static const char *fetch(odz_scraper *s, const char *path, body *b, int *status, char *err,
                         size_t errlen)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    curl_easy_setopt(s->curl, CURLOPT_URL, url);
    curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, b);
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, cerr);
    CURLcode c = curl_easy_perform(s->curl);
    long code = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
    *status = (int)code;
    if (c == CURLE_OPERATION_TIMEDOUT) {
        snprintf(err, errlen, "timed out after %d ms", s->timeout_ms);
        return "timeout";
    }
    if (c != CURLE_OK) {
        snprintf(err, errlen, "%s", b->too_big ? "response larger than the limit"
                                                : cerr[0] ? cerr : curl_easy_strerror(c));
        return b->too_big ? "garbage" : "failed";
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
    odz_batch b;
    odz_scrape_stamp(sc, now);
    odz_scrape_batch(sc, &b);
    json_t *req = odz_batch_to_json(&b);
    if (!req)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    json_t *data = NULL;
    /* (bounded: stopping a scraper waits for a store call in flight) */
    int rc = odz_racing_call(bus, "upsert_batch", req, 10000, &data, err);
    json_decref(req);
    if (rc)
        return rc;
    int changed = (int)json_integer_value(json_object_get(data, "races_changed"));
    odz_metric_add(odz_counter("oddzy_races_updated_total", "Races added or changed by scrapes",
                               NULL),
                   changed);
    odz_metric_add(odz_counter("oddzy_runners_scratched_total", "Runners scratched", NULL),
                   (double)json_integer_value(json_object_get(data, "scratchings")));
    json_decref(data);
    return changed;
}

static entry *find_entry(odz_scraper *s, const char *key)
{
    for (size_t i = 0; i < s->nq; i++)
        if (!strcmp(s->q[i].key, key))
            return &s->q[i];
    return NULL;
}

/* Bring the work queue in line with the races a schedule scrape saw. Caller holds lock. */
static void queue_from_scrape(odz_scraper *s, const odz_scrape *sc, int64_t now)
{
    for (size_t i = 0; i < sc->n_races; i++) {
        const odz_race *r = &sc->races[i].race;
        entry *e = find_entry(s, r->source_key);
        if (!e) {
            if (s->nq >= MAX_QUEUE)
                continue;
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
            if (e->failures == 0 && e->last_poll)
                e->next_poll = odz_poll_next(e->start, e->status, e->last_poll);
        }
        if (!e->last_poll && !e->next_poll)
            e->next_poll = 1; /* every race is read once, whatever its status */
        else if (r->status != e->status && e->next_poll &&
                 odz_status_transition(e->status, r->status, NULL, 0) == 0)
            e->next_poll = 1; /* the schedule saw it move: read its card now for results */
    }
    /* forget races that left the window long ago */
    size_t w = 0;
    for (size_t i = 0; i < s->nq; i++)
        if (s->q[i].start >= now - 2 * 86400)
            s->q[w++] = s->q[i];
    s->nq = w;
}

static double jitter(odz_scraper *s)
{
    return (double)(rand_r(&s->rnd) % 10000) / 10000.0;
}

static void poll_schedule(odz_scraper *s, int64_t now)
{
    char from[11], to[11], err[ODZ_ERRLEN] = "";
    odz_source_request reqs[ODZ_SOURCE_MAX_REQUESTS];
    size_t n = 0;
    odz_poll_window(now, s->tz, from, to);
    pthread_mutex_lock(&s->lock);
    snprintf(s->window_from, sizeof s->window_from, "%s", from);
    snprintf(s->window_to, sizeof s->window_to, "%s", to);
    pthread_mutex_unlock(&s->lock);
    if (s->src->schedule_requests(from, to, reqs, ODZ_SOURCE_MAX_REQUESTS, &n, err, sizeof err)) {
        odz_log_kv(ODZ_LOG_ERROR, "cannot build schedule requests", "error", err, NULL);
        return;
    }
    odz_scrape sc = {0};
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        if (!wait_token(s))
            break;
        body b = {0};
        int status = 0;
        int64_t t0 = odz_real_ms();
        const char *out = fetch(s, reqs[i].path, &b, &status, err, sizeof err);
        if (!strcmp(out, "success") &&
            s->src->parse_schedule(b.data ? b.data : "", b.len, reqs[i].path, &sc, err,
                                   sizeof err))
            out = "garbage";
        int ms = (int)(odz_real_ms() - t0);
        count("schedule", out, ms / 1000.0);
        free(b.data);
        if (strcmp(out, "success")) {
            failures++;
            odz_log_kv(ODZ_LOG_WARN, "schedule scrape failed", "path", reqs[i].path, "outcome",
                       out, "error", err, NULL);
        }
        record(s, "schedule", reqs[i].path, out, status, ms, 0, strcmp(out, "success") ? err : "");
    }
    int changed = 0;
    if (sc.n_races || sc.meetings.n) {
        changed = odz_scrape_send(s->bus, &sc, odz_now(), err);
        if (changed < 0) {
            failures++;
            odz_log_kv(ODZ_LOG_ERROR, "schedule not stored", "error", err, NULL);
            record(s, "store", "racing.upsert_batch", "failed", 0, 0, 0, err);
        }
    }
    pthread_mutex_lock(&s->lock);
    if (changed >= 0)
        queue_from_scrape(s, &sc, now);
    if (failures) {
        s->consecutive_sched_failures++;
        s->sched_next = now + odz_backoff(s->consecutive_sched_failures, 5, s->sched_interval,
                                          jitter(s)) *
                                  1; /* sim seconds */
    } else {
        s->consecutive_sched_failures = 0;
        s->sched_next = now + s->sched_interval;
    }
    pthread_mutex_unlock(&s->lock);
    odz_scrape_free(&sc);
}

static int64_t distance(int64_t start, int64_t now)
{
    return start > now ? start - now : now - start;
}

/* Soonest due first; among races due at the same time (every race at start-up, or after a
 * standby takes over), those starting nearest to now first, so the races about to jump or
 * just run are read before the ones days away. */
static int cmp_due(const void *a, const void *b, void *now_)
{
    const entry *x = a, *y = b;
    if (x->next_poll != y->next_poll)
        return x->next_poll < y->next_poll ? -1 : 1;
    int64_t now = *(const int64_t *)now_, dx = distance(x->start, now), dy = distance(y->start, now);
    return dx < dy ? -1 : dx > dy;
}

static void poll_race(odz_scraper *s, entry snapshot, int64_t now)
{
    char path[ODZ_SOURCE_PATH_MAX], err[ODZ_ERRLEN] = "";
    if (s->src->race_request(snapshot.key, path, sizeof path)) {
        pthread_mutex_lock(&s->lock);
        entry *e = find_entry(s, snapshot.key);
        if (e)
            e->next_poll = 0; /* a key the source cannot poll */
        pthread_mutex_unlock(&s->lock);
        return;
    }
    body b = {0};
    int status = 0;
    int64_t t0 = odz_real_ms();
    const char *out = fetch(s, path, &b, &status, err, sizeof err);
    odz_scrape sc = {0};
    if (!strcmp(out, "success") &&
        s->src->parse_race(b.data ? b.data : "", b.len, snapshot.key, &sc, err, sizeof err))
        out = "garbage";
    free(b.data);
    int ms = (int)(odz_real_ms() - t0);
    count("race", out, ms / 1000.0);
    int changed = 0;
    if (!strcmp(out, "success")) {
        changed = odz_scrape_send(s->bus, &sc, odz_now(), err);
        if (changed < 0) {
            out = "failed";
            odz_log_kv(ODZ_LOG_ERROR, "race not stored", "race", snapshot.key, "error", err, NULL);
        }
    } else {
        odz_log_kv(ODZ_LOG_WARN, "race scrape failed", "path", path, "outcome", out, "error", err,
                   NULL);
    }
    record(s, "race", path, out, status, ms, changed > 0 ? changed : 0,
           strcmp(out, "success") ? err : "");
    const odz_batch_race *br = odz_scrape_find_race(&sc, snapshot.key);
    pthread_mutex_lock(&s->lock);
    entry *e = find_entry(s, snapshot.key);
    if (e) {
        if (!strcmp(out, "success")) {
            e->failures = 0;
            if (br) {
                e->start = br->race.scheduled_start;
                if (odz_status_transition(e->status, br->race.status, NULL, 0) == 0)
                    e->status = br->race.status;
            }
            e->last_poll = now;
            e->next_poll = odz_poll_next(e->start, e->status, now);
        } else {
            e->failures++;
            e->next_poll = now + odz_backoff(e->failures, 5, 300, jitter(s));
        }
    }
    pthread_mutex_unlock(&s->lock);
    odz_scrape_free(&sc);
}

static void *loop(void *arg)
{
    odz_scraper *s = arg;
    entry *due = malloc(sizeof *due * (size_t)s->per_tick);
    if (!due)
        return NULL;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop;
        int64_t now = odz_now();
        bool sched = now >= s->sched_next;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;
        if (sched)
            poll_schedule(s, now);
        /* due races, soonest first */
        pthread_mutex_lock(&s->lock);
        now = odz_now();
        qsort_r(s->q, s->nq, sizeof *s->q, cmp_due, &now);
        size_t nd = 0;
        for (size_t i = 0; i < s->nq && nd < (size_t)s->per_tick; i++)
            if (s->q[i].next_poll && s->q[i].next_poll <= now)
                due[nd++] = s->q[i];
        int64_t next_wake = s->sched_next;
        for (size_t i = 0; i < s->nq; i++)
            if (s->q[i].next_poll && s->q[i].next_poll < next_wake)
                next_wake = s->q[i].next_poll;
        odz_metric_set(odz_gauge("oddzy_scraper_queue_races", "Races in the scrape work queue",
                                 NULL),
                       (double)s->nq);
        pthread_mutex_unlock(&s->lock);
        for (size_t i = 0; i < nd; i++) {
            if (!wait_token(s))
                break;
            poll_race(s, due[i], odz_now());
        }
        if (nd)
            continue;
        /* sleep until something is due (simulated time), at most a second */
        int64_t wait = odz_clock_real_interval_ms((next_wake - odz_now()) * 1000);
        if (wait > 1000)
            wait = 1000;
        if (wait < 20)
            wait = 20;
        pthread_mutex_lock(&s->lock);
        if (!s->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (wait % 1000) * 1000000L;
            ts.tv_sec += wait / 1000 + ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&s->wake, &s->lock, &ts);
        }
        pthread_mutex_unlock(&s->lock);
    }
    free(due);
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
    size_t due = 0;
    int64_t now = odz_now();
    for (size_t i = 0; i < s->nq; i++)
        due += s->q[i].next_poll && s->q[i].next_poll <= now;
    json_t *j = json_pack(
        "{s:b,s:{s:b,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:I,s:{s:s,s:s},s:f}}", "ok", 1, "data",
        "running", !s->stop, "source", s->base, "format", s->format, "started",
        (json_int_t)s->started, "now", (json_int_t)now, "last_success",
        (json_int_t)s->last_success, "next_schedule_poll", (json_int_t)s->sched_next,
        "last_error", s->last_error, "scrapes_ok", (json_int_t)s->ok, "scrapes_failed",
        (json_int_t)s->failed, "queue_length", (json_int_t)s->nq, "window", "from",
        s->window_from, "to", s->window_to, "rate_per_second", s->rate);
    json_object_set_new(json_object_get(j, "data"), "due", json_integer((json_int_t)due));
    pthread_mutex_unlock(&s->lock);
    reply_json(bus, m, j);
}

static void on_queue(odz_bus *bus, const odz_msg *m, void *ud)
{
    odz_scraper *s = ud;
    json_t *a = json_array();
    pthread_mutex_lock(&s->lock);
    int64_t now = odz_now();
    qsort_r(s->q, s->nq, sizeof *s->q, cmp_due, &now);
    for (size_t i = 0, n = 0; i < s->nq && n < 200; i++) {
        const entry *e = &s->q[i];
        if (!e->next_poll)
            continue;
        n++;
        json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:s,s:I,s:I,s:i}", "race_key", e->key,
                                           "label", e->label, "scheduled_start",
                                           (json_int_t)e->start, "status",
                                           odz_status_name(e->status), "last_poll",
                                           (json_int_t)e->last_poll, "next_poll",
                                           (json_int_t)e->next_poll, "failures", e->failures));
    }
    pthread_mutex_unlock(&s->lock);
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
                                           "ms", h->ms, "races_changed", h->races_changed,
                                           "error", h->error));
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
        cfg->timeout_ms > 120000 || cfg->schedule_interval_s < 1 || cfg->max_races_per_tick < 1 ||
        cfg->max_races_per_tick > 1000)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "scraper limits out of range");
    return 0;
}

odz_scraper *odz_scraper_start(odz_bus *bus, const odz_scraper_config *cfg, char *err)
{
    if (odz_scraper_config_check(cfg, err))
        return NULL;
    const odz_source_ops *src = odz_source_find(cfg->format);
    const char *u = cfg->source_url;
    odz_scraper *s = calloc(1, sizeof *s);
    s->q = s ? calloc(MAX_QUEUE, sizeof *s->q) : NULL;
    if (!s || !s->q) {
        if (s)
            free(s);
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
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
    s->per_tick = cfg->max_races_per_tick;
    s->started = odz_now();
    s->rnd = (unsigned)odz_real_ms();
    odz_rate_init(&s->limit, cfg->rate, cfg->rate < 2 ? 1 : cfg->rate / 2, odz_real_ms());
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    s->curl = curl_easy_init();
    if (!s->curl) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot create an HTTP client");
        goto fail;
    }
    curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(cfg->timeout_ms < 5000 ? cfg->timeout_ms : 5000));
    curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "oddzy-scraper/0.1");
    curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 0L);
    s->subs[0] = bus->ops->subscribe(bus, "scraper.status", "scraper", 64, on_status, s);
    s->subs[1] = bus->ops->subscribe(bus, "scraper.queue", "scraper", 64, on_queue, s);
    s->subs[2] = bus->ops->subscribe(bus, "scraper.history", "scraper", 64, on_history, s);
    if (s->subs[0] < 0 || s->subs[1] < 0 || s->subs[2] < 0 ||
        pthread_create(&s->thread, NULL, loop, s) != 0) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot start the scraper");
        goto fail;
    }
    return s;
fail:
    for (int i = 0; i < 3; i++)
        if (s->subs[i] > 0)
            bus->ops->unsubscribe(bus, s->subs[i]);
    if (s->curl)
        curl_easy_cleanup(s->curl);
    free(s->q);
    free(s);
    return NULL;
}

void odz_scraper_stop(odz_scraper *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < 3; i++)
        s->bus->ops->unsubscribe(s->bus, s->subs[i]);
    curl_easy_cleanup(s->curl);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s->q);
    free(s);
}

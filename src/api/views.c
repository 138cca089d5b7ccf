/* View cache with builder workers; see views.h. */
#include "api/views.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/tz.h"
#include "core/wait.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "racing/card.h"
#include "racing/racing.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUCKETS 4096
#define MAX_ENTRIES 5000
#define MAX_WAITERS 4096
#define JOBS 8192
#define PATCH_MIN_MS 50 /* a view patched from events is re-rendered at most this often */
#define REBUILD_MIN_MS 50 /* a view an event invalidates is rebuilt at most this often */
#define PATCH_SETTLE_MS 3 /* and not before the burst that patched it has landed: a write's
                           * events for one race come together, within a millisecond or two */
#define MAX_PENDING 256 /* events held for a patched view while the service builds it */
#define COMPRESS_MIN 512 /* bytes: a smaller view is only kept plain */
#define CODED ((1u << ODZ_ENC_GZIP) | (1u << ODZ_ENC_BR)) /* the compressed codings */

/* A price or book event held while a service build of its view runs. */
typedef struct {
    bool book;
    odz_price price;
    int previous; /* a price event's "previous" odds (flucs) */
    odz_exbook exbook;
} pending_patch;

/* The views patched from events rather than rebuilt through the racing service. */
typedef enum { KIND_OTHER, KIND_CARD, KIND_FLUCS } view_kind;

/* A deferred request and the correlation id its answer carries. */
typedef struct {
    odz_http_pending *p;
    char corr[ODZ_CORR_MAX];
    uint64_t need; /* answered by the build of this number or a later one (0: the next to end) */
} waiter;

typedef struct view {
    struct view *next; /* hash chain */
    char key[ODZ_VIEW_KEY_MAX];
    odz_buf *var[ODZ_ENC_COUNT]; /* by coding: plain (NULL until first built), gzip, br */
    char etag[40];
    bool queued, building, dirty;
    /* Compressed variants are made for the codings clients ask for: wanted_ms[c] is when a
     * request last preferred coding c (odz_http_pick_encoding over CODED), and a build makes
     * the codings asked for in the last keep_ms (the first build of a view every one).
     * A request whose coding is missing makes it from the bytes as they are, and it is kept
     * beside them (views.c odz_views_serve). */
    int64_t wanted_ms[ODZ_ENC_COUNT];
    bool stale; /* the last rebuild failed: still served, rebuilt on the next request */
    waiter *waiters;
    size_t n_waiters, cap_waiters;
    int64_t used_ms;
    char corr[ODZ_CORR_MAX]; /* correlation id of what asked for the next build ("" none) */
    /* A race card keeps what its runners are made of, flucs the race's price history: price
     * (and, for a card, book) events patch `rows` (under the lock) and the view is re-rendered
     * from memory with the racing service's own encoder (racing/card.h), at most once per
     * PATCH_MIN_MS. */
    view_kind kind;
    odz_card_rows *rows; /* NULL: not patchable, every change asks the racing service */
    json_t *card;        /* the view as last built; only the job building e touches it */
    bool service;        /* the next build asks the racing service */
    bool patched;        /* rows changed since the last render */
    bool mem_build;      /* the running build renders from rows */
    bool delayed;        /* on the delayed list, due at due_ms */
    int64_t due_ms, rendered_ms; /* rendered_ms: the last render from rows */
    int64_t built_ms;            /* the end of its last build, either kind */
    /* when the first event that changed it since its last build began reached the view cache
     * (odz_mono_us; 0 none): the build that takes it observes the event-to-view latency */
    int64_t event_us;
    uint64_t builds; /* builds started, either kind: a fresh read waits for one by number */
    /* events that came during a service build: applied to the rows it brings (an event the
     * service's read already saw changes nothing: rows keep the latest by ts) */
    pending_patch *pending;
    size_t n_pending;
    struct view *dnext;  /* delayed list */
} view;

struct odz_views {
    odz_bus *bus;
    char tz[64];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    view *buckets[BUCKETS];
    size_t entries;
    view *jobs[JOBS];
    size_t jhead, jlen;
    view *delayed; /* views waiting out PATCH_MIN_MS or REBUILD_MIN_MS since their last build */
    bool stop;
    pthread_t *threads;
    int n_threads;
    int64_t sub;
    uint64_t hits, misses, rebuilds, errors;
    odz_metric *m_hit, *m_miss, *m_rebuild_service, *m_rebuild_patch, *m_error, *m_resync,
        *m_patch_refused, *m_compressed[ODZ_ENC_COUNT], *m_latency_service, *m_latency_patch;
    int64_t resync_logged_ms;
    int64_t keep_ms; /* --view-coding-keep-ms */
};

static uint64_t fnv(const void *p, size_t n)
{
    return odz_hash_bytes(1469598103934665603ULL, p, n); /* (the seed the etags were made with) */
}

/* The compressed variants in `mask` of the plain bytes, into var[] (one that fails is not
 * held); none for a view of COMPRESS_MIN bytes or less. */
static void compress_into(odz_views *v, const odz_buf *plain, unsigned mask,
                          odz_buf *var[ODZ_ENC_COUNT])
{
    size_t len = odz_buf_len(plain);
    if (len <= COMPRESS_MIN)
        return;
    if ((mask & (1u << ODZ_ENC_GZIP)) && odz_gzip(odz_buf_data(plain), len, &var[ODZ_ENC_GZIP]) == 0)
        odz_metric_inc(v->m_compressed[ODZ_ENC_GZIP]);
    if ((mask & (1u << ODZ_ENC_BR)) && odz_brotli(odz_buf_data(plain), len, &var[ODZ_ENC_BR]) == 0)
        odz_metric_inc(v->m_compressed[ODZ_ENC_BR]);
}

/* The compressed codings (bits 1 << ODZ_ENC_x) requests asked e for lately. Caller holds
 * lock. */
static unsigned wanted(const odz_views *v, const view *e)
{
    int64_t now = odz_real_ms();
    unsigned mask = 0;
    for (int c = 0; c < ODZ_ENC_COUNT; c++)
        if ((CODED & (1u << c)) && e->wanted_ms[c] && now - e->wanted_ms[c] < v->keep_ms)
            mask |= 1u << c;
    return mask;
}

static view **slot(odz_views *v, const char *key)
{
    view **pp = &v->buckets[fnv(key, strlen(key)) % BUCKETS];
    while (*pp && strcmp((*pp)->key, key))
        pp = &(*pp)->next;
    return pp;
}

static void view_free(view *e)
{
    for (int c = 0; c < ODZ_ENC_COUNT; c++)
        odz_buf_unref(e->var[c]);
    free(e->waiters);
    if (e->rows)
        odz_card_rows_free(e->rows);
    free(e->rows);
    json_decref(e->card);
    free(e->pending);
    free(e);
}

/* Drop the least recently used idle entry. Caller holds lock. */
static void evict_one(odz_views *v)
{
    view **victim = NULL;
    for (int b = 0; b < BUCKETS; b++)
        for (view **pp = &v->buckets[b]; *pp; pp = &(*pp)->next) {
            view *e = *pp;
            if (e->queued || e->building || e->delayed || e->n_waiters)
                continue;
            if (!victim || e->used_ms < (*victim)->used_ms)
                victim = pp;
        }
    if (victim) {
        view *e = *victim;
        *victim = e->next;
        view_free(e);
        v->entries--;
    }
}

static void keep_corr(view *e, const char *corr)
{
    if (!e->corr[0] && corr && *corr)
        snprintf(e->corr, sizeof e->corr, "%s", corr);
}

/* Put e on the job queue. Caller holds lock. */
static void push_job(odz_views *v, view *e)
{
    if (e->queued || e->building)
        return;
    if (v->jlen == JOBS)
        return; /* full: the entry stays stale until the next event or miss */
    v->jobs[(v->jhead + v->jlen++) % JOBS] = e;
    e->queued = true;
    pthread_cond_signal(&v->cond);
}

/* Mark e for a build through the racing service on behalf of `corr` (a request's or an
 * event's correlation id, or NULL: the first id since the last build start goes with the
 * build). True when a build is running: it is then marked to run again once it ends, and the
 * caller queues nothing. Caller holds lock. */
static bool want_service(view *e, const char *corr)
{
    keep_corr(e, corr);
    e->service = true;
    if (e->building)
        e->dirty = true;
    return e->building;
}

/* An event changed e: the build that starts next shows it (the first one since the last
 * build's start is the one its latency is measured from). Caller holds lock. */
static void note_event(view *e)
{
    if (!e->event_us)
        e->event_us = odz_mono_us();
}

/* Queue a build of e through the racing service at once (see want_service). Caller holds
 * lock. */
static void enqueue(odz_views *v, view *e, const char *corr)
{
    if (!want_service(e, corr))
        push_job(v, e);
}

/* Put e on the delayed list, due at `due`. Caller holds lock. */
static void delay(odz_views *v, view *e, int64_t due)
{
    e->delayed = true;
    e->due_ms = due;
    e->dnext = v->delayed;
    v->delayed = e;
    pthread_cond_signal(&v->cond);
}

/* A change an event announced: rebuild e through the racing service, at once when its last
 * build ended REBUILD_MIN_MS ago or more, else then: a burst of updates (a scraper's first
 * sweep lands a race card every few milliseconds, each changing the schedule and next to
 * jump) makes one build a gap, not one each. Caller holds lock. */
static void enqueue_event(odz_views *v, view *e, const char *corr)
{
    if (want_service(e, corr) || e->queued || e->delayed)
        return; /* on its way: the build it gets asks the service */
    int64_t due = e->built_ms + REBUILD_MIN_MS;
    if (odz_mono_ms() >= due)
        push_job(v, e);
    else
        delay(v, e, due);
}

/* Re-render patched card e from memory once PATCH_SETTLE_MS have passed since this event
 * and PATCH_MIN_MS since its last render: the first event after a quiet spell shows a few
 * milliseconds later with the rest of its write's events for the race, not alone at once
 * with the rest waiting out PATCH_MIN_MS. A queued or running build takes the patch with it
 * (the worker looks at `patched` when it ends). Caller holds lock. */
static void schedule_render(odz_views *v, view *e, const char *corr)
{
    keep_corr(e, corr);
    if (e->queued || e->building || e->delayed)
        return;
    int64_t now = odz_mono_ms(), due = e->rendered_ms + PATCH_MIN_MS;
    if (due < now + PATCH_SETTLE_MS)
        due = now + PATCH_SETTLE_MS;
    delay(v, e, due);
}

/* Move the delayed renders that are due to the job queue; the earliest due time of those left
 * (INT64_MAX for none). Caller holds lock. */
static int64_t release_due(odz_views *v)
{
    int64_t now = odz_mono_ms(), next = INT64_MAX;
    for (view **pp = &v->delayed; *pp;) {
        view *e = *pp;
        if (e->due_ms <= now) {
            *pp = e->dnext;
            e->delayed = false;
            if (e->patched || e->service)
                push_job(v, e);
        } else {
            if (e->due_ms < next)
                next = e->due_ms;
            pp = &e->dnext;
        }
    }
    return next;
}

/* Wait on the views' condition (CLOCK_MONOTONIC) until `due_ms` at the latest. */
static void wait_until(odz_views *v, int64_t due_ms)
{
    if (due_ms == INT64_MAX) {
        pthread_cond_wait(&v->cond, &v->lock);
        return;
    }
    struct timespec ts = {(time_t)(due_ms / 1000), (long)(due_ms % 1000) * 1000000L};
    pthread_cond_timedwait(&v->cond, &v->lock, &ts);
}

/* ---- building ---- */

static int parse_id(const char *s, int64_t *id)
{
    char *end;
    long long x = strtoll(s, &end, 10);
    if (end == s || *end || x <= 0)
        return ODZ_EINVAL;
    *id = x;
    return 0;
}

/* A race card's or flucs' answer carries its rows (op_racecard's and op_flucs' "rows"): taken
 * out of the view into *rows (malloc'd, NULL when they do not parse: the view is then rebuilt
 * by the service on every change). */
static void take_rows(json_t *card, odz_card_rows **rows)
{
    char err[ODZ_ERRLEN] = "";
    odz_card_rows *r = malloc(sizeof *r);
    if (r && odz_card_rows_from_json(json_object_get(card, "rows"), r, err, sizeof err)) {
        odz_log_kv(ODZ_LOG_WARN, "view rows not read: it is rebuilt on every change", "error", err,
                   NULL);
        free(r);
        r = NULL;
    }
    json_object_del(card, "rows");
    *rows = r;
}

/* Build the JSON of view `key` through the racing service; returns 0 with *out (and, for a
 * race card or flucs, its rows in *rows), or an error code with err filled. */
static int build(odz_views *v, const char *key, json_t **out, odz_card_rows **rows, char *err)
{
    char a[24] = "", b[24] = "";
    int64_t id;
    const char *colon = strchr(key, ':');
    if (!colon)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "bad view key");
    const char *rest = colon + 1;
    const char *c2 = strchr(rest, ':');
    if (c2) {
        snprintf(a, sizeof a, "%.*s", (int)(c2 - rest), rest);
        snprintf(b, sizeof b, "%s", c2 + 1);
    } else {
        snprintf(a, sizeof a, "%s", rest);
    }
    size_t kl = (size_t)(colon - key);
    json_t *req = NULL;
    int rc;
    if (kl == 8 && !strncmp(key, "schedule", kl)) {
        req = json_pack("{s:s}", "date", a);
        if (strcmp(b, "all"))
            json_object_set_new(req, "type", json_string(b));
        rc = odz_racing_call(v->bus, "schedule", req, ODZ_REQ_TIMEOUT_MS, out, err);
    } else if (kl == 8 && !strncmp(key, "racecard", kl) && !parse_id(a, &id)) {
        req = json_pack("{s:I,s:i}", "race_id", (json_int_t)id, "rows", 1);
        rc = odz_racing_call(v->bus, "racecard", req, ODZ_REQ_TIMEOUT_MS, out, err);
        if (rc == 0)
            take_rows(*out, rows);
    } else if (kl == 5 && !strncmp(key, "flucs", kl) && !parse_id(a, &id)) {
        req = json_pack("{s:I,s:i}", "race_id", (json_int_t)id, "rows", 1);
        rc = odz_racing_call(v->bus, "flucs", req, ODZ_REQ_TIMEOUT_MS, out, err);
        if (rc == 0)
            take_rows(*out, rows);
    } else if (kl == 4 && !strncmp(key, "next", kl) && !parse_id(a, &id)) {
        req = json_pack("{s:I}", "limit", (json_int_t)id);
        if (strcmp(b, "all"))
            json_object_set_new(req, "type", json_string(b));
        rc = odz_racing_call(v->bus, "next_races", req, ODZ_REQ_TIMEOUT_MS, out, err);
    } else if (kl == 7 && !strncmp(key, "meeting", kl) && !parse_id(a, &id)) {
        req = json_pack("{s:I}", "meeting_id", (json_int_t)id);
        json_t *m = NULL, *races = NULL;
        rc = odz_racing_call(v->bus, "get_meeting", req, ODZ_REQ_TIMEOUT_MS, &m, err);
        if (rc == 0)
            rc = odz_racing_call(v->bus, "list_meeting_races", req, ODZ_REQ_TIMEOUT_MS, &races,
                                 err);
        if (rc == 0) {
            json_object_set_new(m, "races", races);
            json_object_set_new(m, "now", json_integer(odz_now()));
            *out = m;
        } else {
            json_decref(m);
        }
    } else {
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "bad view key");
    }
    json_decref(req);
    return rc;
}

static void answer_waiters(waiter *w, size_t n, odz_buf *plain, const char *etag, int rc,
                           const char *err)
{
    odz_buf *ebody = NULL;
    int st = odz_http_status_of(rc);
    if (rc) {
        /* the body odz_http_pending_error would send, but with the correlation id header */
        json_t *j = json_pack("{s:s,s:s}", "error", odz_errcode(rc), "message", err);
        char *txt = j ? odz_json_dumps(j) : NULL;
        ebody = txt ? odz_buf_take(txt, strlen(txt)) : NULL;
        json_decref(j);
    }
    for (size_t i = 0; i < n; i++) {
        odz_http_resp_opts o = {.correlation_id = w[i].corr[0] ? w[i].corr : NULL};
        if (rc == 0) {
            o.etag = etag;
            o.cache_control = "no-cache";
            odz_http_pending_respond_buf(w[i].p, 200, "application/json", plain, &o);
        } else if (ebody) {
            odz_http_pending_respond_buf(w[i].p, st, "application/json", ebody, &o);
        } else {
            odz_http_pending_error(w[i].p, st, odz_errcode(rc), err);
        }
    }
    odz_buf_unref(ebody);
}

/* Re-render view `key` from a copy of its rows (`card`, the view as last built, is e's, held by
 * this build alone): flucs whole, a race card's runners and comparison in place. */
static int render(const char *key, json_t *card, const odz_card_rows *rows, json_t **out, char *err)
{
    int64_t id;
    if (!strncmp(key, "flucs:", 6)) {
        if (parse_id(key + 6, &id) || !(*out = odz_card_flucs(id, rows, 0)))
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return 0;
    }
    json_t *runners, *comparison;
    if (odz_card_runners(rows, &runners, &comparison))
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    /* the keys are there already: each value is replaced in place, the order kept */
    if (json_object_set_new(card, "now", json_integer(odz_now())) ||
        json_object_set_new(card, "runners", runners) ||
        json_object_set_new(card, "comparison", comparison))
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    *out = json_incref(card);
    return 0;
}

/* Apply one event to e's rows: 1 changed, 0 not, < 0 the rows cannot take it. Caller holds
 * lock. */
static int apply(view *e, const pending_patch *pp)
{
    if (e->kind == KIND_FLUCS)
        return pp->book ? 0 : odz_card_flucs_apply(e->rows, &pp->price, pp->previous);
    return pp->book ? odz_card_rows_apply_book(e->rows, &pp->exbook)
                    : odz_card_rows_apply_price(e->rows, &pp->price);
}

/* Fresh reads (odz_views_serve) that build `build_no` does not answer, since events came after
 * it started: moved from w[0..*nw) back to e, to wait for the next build, which the caller has
 * seen is due. Without the memory to keep them they are answered now with these bytes. Caller
 * holds lock; e's own list is empty. */
static void keep_fresh_waiters(view *e, waiter *w, size_t *nw, uint64_t build_no)
{
    size_t keep = 0;
    for (size_t i = 0; i < *nw; i++)
        keep += w[i].need > build_no;
    if (!keep || !(e->waiters = malloc(keep * sizeof *e->waiters)))
        return;
    size_t n = 0;
    for (size_t i = 0; i < *nw; i++)
        if (w[i].need > build_no)
            e->waiters[e->n_waiters++] = w[i];
        else
            w[n++] = w[i];
    e->cap_waiters = keep;
    *nw = n;
}

static void *worker(void *arg)
{
    odz_thread_background("odz-views"); /* yields to the threads answering requests */
    odz_views *v = arg;
    pthread_mutex_lock(&v->lock);
    for (;;) {
        /* delayed renders join the queue when due, also while it is never empty */
        int64_t next = release_due(v);
        while (!v->jlen && !v->stop) {
            wait_until(v, next);
            next = release_due(v);
        }
        if (v->stop)
            break;
        view *e = v->jobs[v->jhead];
        v->jhead = (v->jhead + 1) % JOBS;
        v->jlen--;
        e->queued = false;
        e->building = true;
        e->dirty = false;
        unsigned mask = e->var[ODZ_ENC_IDENTITY] ? wanted(v, e) : CODED;
        char key[ODZ_VIEW_KEY_MAX];
        snprintf(key, sizeof key, "%s", e->key);
        /* the build's bus requests and log lines carry the id of whoever asked for it */
        odz_log_set_corr(e->corr);
        e->corr[0] = '\0';
        odz_card_rows mem, *rows = NULL;
        e->mem_build = !e->service && e->rows && e->card && !odz_card_rows_copy(e->rows, &mem);
        e->service = false;
        e->patched = false;
        int64_t event_us = e->event_us; /* the events it shows: those before it started */
        e->event_us = 0;
        uint64_t build_no = ++e->builds;
        pthread_mutex_unlock(&v->lock);

        char err[ODZ_ERRLEN] = "";
        json_t *j = NULL;
        int rc;
        if (e->mem_build) {
            rc = render(key, e->card, &mem, &j, err);
            odz_card_rows_free(&mem);
        } else {
            rc = build(v, key, &j, &rows, err);
        }
        odz_buf *var[ODZ_ENC_COUNT] = {NULL};
        char etag[40] = "";
        if (rc == 0) {
            char *txt = odz_json_dumps(j);
            size_t len = txt ? strlen(txt) : 0;
            odz_buf *plain = var[ODZ_ENC_IDENTITY] = txt ? odz_buf_take(txt, len) : NULL;
            if (plain) {
                snprintf(etag, sizeof etag, "\"%016llx\"",
                         (unsigned long long)fnv(odz_buf_data(plain), len));
                compress_into(v, plain, mask, var);
            } else {
                rc = odz_fail(err, sizeof err, ODZ_ENOMEM, "out of memory");
            }
        }
        pthread_mutex_lock(&v->lock);
        e->building = false;
        e->built_ms = odz_mono_ms();
        waiter *w = e->waiters;
        size_t nw = e->n_waiters;
        e->waiters = NULL;
        e->n_waiters = e->cap_waiters = 0;
        if (rc == 0) {
            for (int c = 0; c < ODZ_ENC_COUNT; c++) {
                odz_buf_unref(e->var[c]);
                e->var[c] = var[c];
            }
            snprintf(e->etag, sizeof e->etag, "%s", etag);
            e->stale = false;
            if (e->mem_build)
                e->rendered_ms = odz_mono_ms();
            v->rebuilds++;
            odz_metric_inc(e->mem_build ? v->m_rebuild_patch : v->m_rebuild_service);
            if (event_us)
                odz_metric_observe(e->mem_build ? v->m_latency_patch : v->m_latency_service,
                                   (double)(odz_mono_us() - event_us) / 1e6);
            if (!e->mem_build && e->kind != KIND_OTHER) {
                /* the service's view and rows replace the patched ones */
                if (e->rows)
                    odz_card_rows_free(e->rows);
                free(e->rows);
                e->rows = rows;
                rows = NULL;
                json_decref(e->card);
                e->card = e->rows ? json_incref(j) : NULL;
                for (size_t i = 0; e->rows && i < e->n_pending; i++) {
                    const pending_patch *pp = &e->pending[i];
                    int ap = apply(e, pp);
                    if (ap == 1)
                        e->patched = true;
                    else if (ap < 0)
                        e->dirty = true; /* the rows cannot take it: ask the service again */
                }
            }
        } else {
            v->errors++;
            odz_metric_inc(v->m_error);
            if (event_us && (!e->event_us || event_us < e->event_us))
                e->event_us = event_us; /* the retry shows them: measured from the first */
            e->stale = e->var[ODZ_ENC_IDENTITY] != NULL; /* keep serving it, not trusted */
            if (e->rows && !e->mem_build) {
                /* what the failed build was for is not in the rows: no patching until the
                 * service has answered again */
                odz_card_rows_free(e->rows);
                free(e->rows);
                e->rows = NULL;
                json_decref(e->card);
                e->card = NULL;
            }
        }
        json_decref(j); /* e->card holds its own reference */
        free(e->pending); /* applied above, or the rows they were for are gone */
        e->pending = NULL;
        e->n_pending = 0;
        if (rows)
            odz_card_rows_free(rows);
        free(rows);
        bool mem_build = e->mem_build;
        e->mem_build = false;
        if (rc != 0 && mem_build)
            enqueue(v, e, NULL);
        else if (e->dirty)
            enqueue_event(v, e, NULL);
        else if (e->patched)
            schedule_render(v, e, NULL);
        else if (rc != 0 && !e->var[ODZ_ENC_IDENTITY]) {
            /* never built (unknown id, bad date): forget it, do not cache errors */
            view **pp = slot(v, key);
            if (*pp == e) {
                *pp = e->next;
                v->entries--;
                view_free(e);
            }
        }
        if (rc == 0 && (e->queued || e->delayed))
            keep_fresh_waiters(e, w, &nw, build_no);
        else if (rc == 0)
            e->event_us = 0; /* no build is due: what came meanwhile changed nothing shown */
        pthread_mutex_unlock(&v->lock);
        answer_waiters(w, nw, var[ODZ_ENC_IDENTITY], etag, rc, err);
        free(w);
        if (rc && rc != ODZ_ENOTFOUND && rc != ODZ_EINVAL)
            odz_log_kv(ODZ_LOG_WARN, "view build failed", "view", key, "error", err, NULL);
        odz_log_set_corr("");
        pthread_mutex_lock(&v->lock);
    }
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

/* ---- serving ---- */

/* Coding c of the plain bytes `plain` (the caller's reference, taken over), made on the
 * calling thread and kept in view `key` if those bytes are still its own: once per coding and
 * version at most, since a build makes the codings asked for lately. When it cannot be made,
 * the plain bytes, *c then ODZ_ENC_IDENTITY. */
static odz_buf *code_now(odz_views *v, const char *key, odz_buf *plain, int *c)
{
    odz_buf *var[ODZ_ENC_COUNT] = {NULL};
    compress_into(v, plain, 1u << *c, var);
    if (!var[*c]) {
        *c = ODZ_ENC_IDENTITY;
        return plain;
    }
    pthread_mutex_lock(&v->lock);
    view *e = *slot(v, key); /* looked up again: it may have gone meanwhile */
    if (e && e->var[ODZ_ENC_IDENTITY] == plain && !e->var[*c])
        e->var[*c] = odz_buf_ref(var[*c]);
    pthread_mutex_unlock(&v->lock);
    odz_buf_unref(plain);
    return var[*c];
}

int odz_views_serve(odz_views *v, odz_http_req *req, const char *key, const char *corr,
                    bool fresh)
{
    if (strlen(key) >= ODZ_VIEW_KEY_MAX)
        return odz_http_respond_json_error(req, 400, "bad_request", "request too long");
    const char *ae = odz_http_header(req, "accept-encoding");
    pthread_mutex_lock(&v->lock);
    view **pp = slot(v, key), *e = *pp;
    /* a fresh read of a view whose bytes lack events it has heard of waits for the build that
     * shows them: the one under way, or the next when events came after it started */
    uint64_t need = 0;
    if (fresh && e && e->var[ODZ_ENC_IDENTITY] && (e->event_us || e->building))
        need = e->event_us ? e->builds + 1 : e->builds;
    if (e && e->var[ODZ_ENC_IDENTITY] && !need) {
        /* the hot path: one variant chosen and referenced under the lock, sent after it */
        if (e->stale && !e->queued && !e->building)
            enqueue(v, e, corr); /* a rebuild failed earlier (e.g. a timeout): try again */
        bool coded = odz_buf_len(e->var[ODZ_ENC_IDENTITY]) > COMPRESS_MIN;
        int c = coded ? odz_http_pick_encoding(ae, CODED) : ODZ_ENC_IDENTITY;
        int64_t now = odz_real_ms();
        if (c != ODZ_ENC_IDENTITY)
            e->wanted_ms[c] = now; /* the builds to come make it too */
        bool make = c != ODZ_ENC_IDENTITY && !e->var[c];
        odz_buf *body = odz_buf_ref(e->var[make ? ODZ_ENC_IDENTITY : c]);
        char etag[sizeof e->etag];
        memcpy(etag, e->etag, sizeof etag);
        e->used_ms = now;
        v->hits++;
        pthread_mutex_unlock(&v->lock);
        if (make) /* not made for these bytes since nobody asked lately: made now, and kept */
            body = code_now(v, key, body, &c);
        odz_metric_inc(v->m_hit);
        odz_http_resp_opts o = {.etag = etag, .cache_control = "no-cache", .correlation_id = corr};
        int rc = odz_http_respond_variant(req, "application/json", body, c, coded, &o);
        odz_buf_unref(body);
        return rc;
    }
    if (!e) {
        if (v->entries >= MAX_ENTRIES)
            evict_one(v);
        e = calloc(1, sizeof *e);
        if (!e) {
            pthread_mutex_unlock(&v->lock);
            return ODZ_ENOMEM;
        }
        snprintf(e->key, sizeof e->key, "%s", key);
        e->kind = !strncmp(key, "racecard:", 9) ? KIND_CARD
                  : !strncmp(key, "flucs:", 6)  ? KIND_FLUCS
                                                : KIND_OTHER;
        e->next = v->buckets[fnv(key, strlen(key)) % BUCKETS];
        v->buckets[fnv(key, strlen(key)) % BUCKETS] = e;
        v->entries++;
    }
    e->used_ms = odz_real_ms();
    if (e->n_waiters >= MAX_WAITERS) {
        pthread_mutex_unlock(&v->lock);
        return odz_http_respond_busy(req, "too many requests waiting for this view", 1);
    }
    if (e->n_waiters == e->cap_waiters) {
        size_t cap = e->cap_waiters ? e->cap_waiters * 2 : 4;
        waiter *w = realloc(e->waiters, cap * sizeof *w);
        if (!w) {
            pthread_mutex_unlock(&v->lock);
            return ODZ_ENOMEM;
        }
        e->waiters = w;
        e->cap_waiters = cap;
    }
    odz_http_pending *p = odz_http_defer(req);
    if (!p) {
        pthread_mutex_unlock(&v->lock);
        return ODZ_ENOMEM;
    }
    e->waiters[e->n_waiters].p = p;
    snprintf(e->waiters[e->n_waiters].corr, sizeof e->waiters[0].corr, "%s", corr ? corr : "");
    e->waiters[e->n_waiters].need = need;
    e->n_waiters++;
    v->misses++;
    if (!need)
        enqueue(v, e, corr);
    else if (!e->queued && !e->building && !e->delayed)
        enqueue(v, e, corr); /* its last build failed: nothing else would build it */
    pthread_mutex_unlock(&v->lock);
    odz_metric_inc(v->m_miss);
    return ODZ_HTTP_PENDING;
}

/* odz_views_invalidate on behalf of `corr` (the event's correlation id, or NULL). */
static void invalidate(odz_views *v, const char *key, const char *corr)
{
    size_t kl = strlen(key);
    bool prefix = kl && key[kl - 1] == '*';
    pthread_mutex_lock(&v->lock);
    if (!prefix) {
        view *e = *slot(v, key);
        if (e && e->var[ODZ_ENC_IDENTITY]) {
            note_event(e);
            enqueue_event(v, e, corr);
        }
    } else {
        for (int b = 0; b < BUCKETS; b++)
            for (view *e = v->buckets[b]; e; e = e->next)
                if (e->var[ODZ_ENC_IDENTITY] && !strncmp(e->key, key, kl - 1)) {
                    note_event(e);
                    enqueue_event(v, e, corr);
                }
    }
    pthread_mutex_unlock(&v->lock);
}

void odz_views_invalidate(odz_views *v, const char *key)
{
    invalidate(v, key, NULL);
}

/* The subscription lost events (its queue was full): any view may have missed a change, so
 * every built view is rebuilt. */
static void resync(odz_views *v, const odz_msg *m)
{
    int64_t now = odz_mono_ms();
    if (now - v->resync_logged_ms >= 1000) { /* on the subscription's thread only */
        v->resync_logged_ms = now;
        char n[24];
        snprintf(n, sizeof n, "%llu", (unsigned long long)m->missed);
        odz_log_kv(ODZ_LOG_WARN, "views missed bus events, rebuilding every view", "missed", n,
                   NULL);
    }
    odz_metric_inc(v->m_resync);
    invalidate(v, "*", m->corr_id);
}

/* A price or book event of race `id`: patch the rows of its cached race card (`kind`
 * KIND_CARD) or flucs (KIND_FLUCS, price events only) and re-render the view from memory; an
 * event the rows cannot take (an unknown runner, a malformed event, a point of the history
 * that never reached us, a view not built from rows) rebuilds it through the racing service as
 * before. */
static void patch(odz_views *v, long long id, view_kind kind, bool book, const odz_msg *m)
{
    char key[ODZ_VIEW_KEY_MAX], err[ODZ_ERRLEN] = "";
    snprintf(key, sizeof key, kind == KIND_FLUCS ? "flucs:%lld" : "racecard:%lld", id);
    pthread_mutex_lock(&v->lock);
    view *e = *slot(v, key);
    bool cached = e && e->var[ODZ_ENC_IDENTITY];
    pthread_mutex_unlock(&v->lock);
    if (!cached)
        return; /* most races' views are not cached: their events are not even read */
    json_t *j = odz_json_loadb(m->data, m->len, ODZ_BUS_MSG_MAX, err, sizeof err);
    pending_patch pp = {.book = book};
    int rc = !j     ? ODZ_EINVAL
             : book ? odz_card_book_event(j, &pp.exbook, err, sizeof err)
                    : odz_card_price_event(j, &pp.price, err, sizeof err);
    if (rc == 0 && kind == KIND_FLUCS && odz_card_price_event_previous(j, &pp.previous))
        rc = ODZ_EINVAL;
    json_decref(j);
    pthread_mutex_lock(&v->lock);
    e = *slot(v, key); /* again: it may have been evicted meanwhile */
    if (!e || !e->var[ODZ_ENC_IDENTITY]) {
        pthread_mutex_unlock(&v->lock);
        return;
    }
    if (rc == 0 && e->building && !e->mem_build) {
        /* the service build under way may have read the store before this change: the event
         * goes to the rows it brings */
        if (!e->pending)
            e->pending = malloc(MAX_PENDING * sizeof *e->pending);
        if (e->pending && e->n_pending < MAX_PENDING) {
            e->pending[e->n_pending++] = pp;
            keep_corr(e, m->corr_id);
            rc = 0;
        } else {
            rc = ODZ_ESTATE; /* too many: the service builds it again */
        }
    } else if (rc == 0 && e->service) {
        /* a service build is due (queued, waiting out REBUILD_MIN_MS, or after the render under
         * way): it reads the store after this change. A race update that brought new runners
         * comes before their prices, so their prices need no build of their own. */
        rc = 0;
    } else if (rc == 0 && !e->rows) {
        rc = ODZ_ESTATE;
    } else if (rc == 0) {
        rc = apply(e, &pp);
        if (rc == 0)
            goto out; /* nothing the view shows changed */
    }
    note_event(e);
    if (rc == 1) {
        e->patched = true;
        schedule_render(v, e, m->corr_id);
    } else if (rc < 0) {
        if (rc != ODZ_ESTATE || kind == KIND_FLUCS)
            odz_metric_inc(v->m_patch_refused);
        enqueue(v, e, m->corr_id);
    }
out:
    pthread_mutex_unlock(&v->lock);
}

/* race.<id>.updated / race.<id>.price / race.<id>.exchange: mark the views that show it. */
static void on_event(odz_bus *bus, const odz_msg *m, void *ud)
{
    (void)bus;
    odz_views *v = ud;
    if (m->missed)
        resync(v, m);
    char key[ODZ_VIEW_KEY_MAX];
    long long id = 0;
    char kind[16] = "";
    if (sscanf(m->subject, "race.%lld.%15s", &id, kind) != 2 || id <= 0)
        return;
    if (!strcmp(kind, "odds"))
        return; /* the odds matcher's race.<id>.odds follows the prices: nothing new here */
    if (!strcmp(kind, "exchange")) { /* a runner's exchange book: on the race card only */
        patch(v, id, KIND_CARD, true, m);
        return;
    }
    if (!strcmp(kind, "price")) { /* the race card and the price history; no other view */
        patch(v, id, KIND_CARD, false, m);
        patch(v, id, KIND_FLUCS, false, m);
        return;
    }
    snprintf(key, sizeof key, "racecard:%lld", id);
    invalidate(v, key, m->corr_id);
    /* history no price event announced (a retired race's copied onto this one, a runner
     * scratched) reaches the flucs through the service */
    snprintf(key, sizeof key, "flucs:%lld", id);
    invalidate(v, key, m->corr_id);
    json_t *j = json_loadb(m->data, m->len, 0, NULL);
    json_int_t start = json_integer_value(json_object_get(j, "scheduled_start"));
    json_int_t mid = json_integer_value(json_object_get(j, "meeting_id"));
    json_decref(j);
    char day[11];
    if (start > 0 && odz_race_day(start, v->tz, day) == 0) {
        snprintf(key, sizeof key, "schedule:%s:*", day);
        invalidate(v, key, m->corr_id);
    } else {
        invalidate(v, "schedule:*", m->corr_id);
    }
    if (mid > 0) {
        snprintf(key, sizeof key, "meeting:%lld", (long long)mid);
        invalidate(v, key, m->corr_id);
    }
    invalidate(v, "next:*", m->corr_id);
}

static void collect(void *ud)
{
    odz_views *v = ud;
    pthread_mutex_lock(&v->lock);
    size_t n = v->entries;
    pthread_mutex_unlock(&v->lock);
    odz_metric_set(odz_gauge("oddzy_view_cache_entries", "Views held serialized in memory", NULL),
                   (double)n);
}

odz_views *odz_views_new(odz_bus *bus, const char *tz, int workers, int coding_keep_ms,
                         char *err)
{
    odz_views *v = calloc(1, sizeof *v);
    if (!v) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    v->bus = bus;
    snprintf(v->tz, sizeof v->tz, "%s", tz && *tz ? tz : ODZ_DEFAULT_TZ);
    v->keep_ms = coding_keep_ms < 0 ? 0 : coding_keep_ms;
    pthread_mutex_init(&v->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* delayed renders are due in odz_mono_ms */
    pthread_cond_init(&v->cond, &ca);
    pthread_condattr_destroy(&ca);
    v->m_hit = odz_counter("oddzy_view_cache_requests_total", "View cache lookups by result",
                           "result=\"hit\"");
    v->m_miss = odz_counter("oddzy_view_cache_requests_total", "View cache lookups by result",
                            "result=\"miss\"");
    v->m_rebuild_service = odz_counter("oddzy_view_rebuilds_total",
                                       "Views built or rebuilt, by how", "cause=\"service\"");
    v->m_rebuild_patch = odz_counter("oddzy_view_rebuilds_total",
                                     "Views built or rebuilt, by how", "cause=\"event_patch\"");
    v->m_patch_refused = odz_counter(
        "oddzy_view_patches_refused_total",
        "Price or book events a cached race card could not take (rebuilt by the service)", NULL);
    v->m_error = odz_counter("oddzy_view_build_errors_total", "View builds that failed", NULL);
    static const char compressions[] =
        "Compressed variants made of a view's bytes, by coding (only the codings requests ask for)";
    v->m_compressed[ODZ_ENC_GZIP] =
        odz_counter("oddzy_view_compressions_total", compressions, "coding=\"gzip\"");
    v->m_compressed[ODZ_ENC_BR] =
        odz_counter("oddzy_view_compressions_total", compressions, "coding=\"br\"");
    static const char latency[] =
        "From an event reaching the view cache to the first version of a view that shows it, by "
        "how that version was made";
    v->m_latency_service =
        odz_histogram("oddzy_view_event_latency_seconds", latency, "cause=\"service\"", NULL, 0);
    v->m_latency_patch = odz_histogram("oddzy_view_event_latency_seconds", latency,
                                       "cause=\"event_patch\"", NULL, 0);
    v->m_resync = odz_counter("oddzy_view_resyncs_total",
                              "Times every view was rebuilt because bus events were lost", NULL);
    v->n_threads = workers < 1 ? 1 : workers > 16 ? 16 : workers;
    v->threads = calloc((size_t)v->n_threads, sizeof *v->threads);
    for (int i = 0; v->threads && i < v->n_threads; i++)
        pthread_create(&v->threads[i], NULL, worker, v);
    v->sub = odz_bus_subscribe(bus, "race.>", NULL, 65536, on_event, v);
    if (!v->threads || v->sub < 0) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot start the view cache");
        odz_views_free(v);
        return NULL;
    }
    odz_metrics_on_collect(collect, v);
    return v;
}

void odz_views_free(odz_views *v)
{
    if (!v)
        return;
    odz_metrics_off_collect(collect, v);
    if (v->sub > 0)
        odz_bus_unsubscribe(v->bus, v->sub);
    pthread_mutex_lock(&v->lock);
    v->stop = true;
    pthread_cond_broadcast(&v->cond);
    pthread_mutex_unlock(&v->lock);
    for (int i = 0; v->threads && i < v->n_threads; i++)
        pthread_join(v->threads[i], NULL);
    for (int b = 0; b < BUCKETS; b++)
        for (view *e = v->buckets[b], *nx; e; e = nx) {
            nx = e->next;
            for (size_t i = 0; i < e->n_waiters; i++)
                odz_http_pending_error(e->waiters[i].p, 503, "shutting_down", "server stopping");
            view_free(e);
        }
    free(v->threads);
    pthread_mutex_destroy(&v->lock);
    pthread_cond_destroy(&v->cond);
    free(v);
}

void odz_views_stats_get(odz_views *v, odz_views_stats *out)
{
    pthread_mutex_lock(&v->lock);
    out->hits = v->hits;
    out->misses = v->misses;
    out->rebuilds = v->rebuilds;
    out->errors = v->errors;
    out->entries = v->entries;
    pthread_mutex_unlock(&v->lock);
}

/* Price updater: the races followed (from the racing service), one market each, a tick that
 * moves some of them and publishes the changes, and race events that drop closed races and
 * reprice scratchings at once. */
#include "prices/updater.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/recent.h"
#include "core/wait.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "prices/market.h"
#include "racing/racing.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOSED_RING 1024     /* races seen leaving OPEN, so a late refresh cannot reopen them */
#define EVENT_MAX (1u << 20) /* largest race.<id>.updated body read */
#define EVENT_QUEUE 4096
#define REFRESH_MIN_MS 1000 /* early refreshes (new races seen in events) at most this often */

typedef struct {
    int64_t race_id;
    int64_t start; /* scheduled start, epoch s */
    odz_book book;
    int pub_win[ODZ_BOOK_RUNNERS]; /* what the racing service last got from us (0: none) */
    int pub_place[ODZ_BOOK_RUNNERS];
    int64_t last_ts; /* (simulated) second of our last message */
    bool dirty;      /* publish at the first chance (new book, scratching) */
} market;

struct odz_price_updater {
    odz_bus *bus;
    odz_prices_config cfg;
    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;
    bool stop, dirty;  /* dirty: some market waits to be published */
    bool later;        /* some market waits for the next second */
    bool want_refresh; /* an open race we do not follow changed: refresh early */
    market **m;        /* cfg.max_races slots */
    size_t nm;
    int64_t closed[CLOSED_RING];
    size_t closed_pos;
    odz_rng rng; /* which markets move on a tick */
    size_t rr;   /* where the next tick starts, so a capped tick is fair */
    int64_t sub;
    bool refresh_failing; /* loop thread only */
};

void odz_prices_config_defaults(odz_prices_config *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->interval_ms = 1000;
    c->refresh_ms = 15000;
    c->window_s = 7200;
    c->max_races = ODZ_PRICES_MAX_RACES;
    c->max_messages_per_tick = 100;
}

/* ---- markets (caller holds the lock) ---- */

static size_t find(const odz_price_updater *p, int64_t race_id)
{
    for (size_t i = 0; i < p->nm; i++)
        if (p->m[i]->race_id == race_id)
            return i;
    return p->nm;
}

static void set_gauge(const odz_price_updater *p)
{
    odz_metric_set(odz_gauge("oddzy_price_markets", "Race markets the price updater follows", NULL),
                   (double)p->nm);
}

static void drop(odz_price_updater *p, size_t i, const char *why)
{
    if (odz_log_enabled(ODZ_LOG_DEBUG)) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)p->m[i]->race_id);
        odz_log_kv(ODZ_LOG_DEBUG, "price market dropped", "race_id", id, "reason", why, NULL);
    }
    free(p->m[i]);
    p->m[i] = p->m[--p->nm];
    set_gauge(p);
}

enum { NOTHING = 0, SENT = 1, LATER = 2 };

/* Publish what changed since the last message as one JSON array on prices.<race_id>.
 * History keeps one point per runner, market and second, so a market speaks at most once a
 * (simulated) second: a change within the same second waits for the next (LATER).
 * Returns SENT, NOTHING (no change), LATER, or a negative code. */
static int publish_market(odz_price_updater *p, market *mk)
{
    int64_t ts = odz_now();
    if (ts <= mk->last_ts) {
        mk->dirty = p->later = true;
        return LATER;
    }
    json_t *a = json_array();
    size_t n = 0;
    if (!a)
        return ODZ_ENOMEM;
    for (size_t i = 0; i < mk->book.n; i++) {
        const odz_book_runner *r = &mk->book.r[i];
        if (r->scratched)
            continue;
        const int odds[2] = {r->win, r->place}, *pub[2] = {&mk->pub_win[i], &mk->pub_place[i]};
        for (int k = 0; k < 2; k++)
            if (odds[k] > 0 && odds[k] != *pub[k]) {
                json_array_append_new(
                    a, json_pack("{s:I,s:s,s:s,s:i,s:I}", "selection_id",
                                 (json_int_t)r->selection_id, "provider", ODZ_PROVIDER_OURS,
                                 "market", odz_market_name(k ? ODZ_FIXED_PLACE : ODZ_FIXED_WIN),
                                 "odds", odds[k], "ts", (json_int_t)ts));
                n++;
            }
    }
    int rc = 0;
    if (n) {
        char subject[ODZ_SUBJECT_MAX], *txt = odz_json_dumps(a);
        snprintf(subject, sizeof subject, "prices.%lld", (long long)mk->race_id);
        rc = txt ? odz_bus_publish(p->bus, subject, txt, strlen(txt), "") : ODZ_ENOMEM;
        free(txt);
        if (rc == 0) {
            mk->last_ts = ts;
            for (size_t i = 0; i < mk->book.n; i++) {
                mk->pub_win[i] = mk->book.r[i].win;
                mk->pub_place[i] = mk->book.r[i].place;
            }
            odz_metric_add(odz_counter("oddzy_price_changes_published_total",
                                       "Price points the price updater published", NULL),
                           (double)n);
            rc = SENT;
        }
    }
    json_decref(a);
    mk->dirty = rc < 0; /* a failed publish is tried again */
    return rc;
}

static void flush_dirty(odz_price_updater *p)
{
    int budget = p->cfg.max_messages_per_tick;
    p->dirty = false;
    for (size_t i = 0; i < p->nm; i++) {
        if (!p->m[i]->dirty)
            continue;
        if (budget <= 0)
            break; /* the rest go out with the next tick */
        if (publish_market(p, p->m[i]) == SENT)
            budget--;
    }
}

/* Markets get busier towards the jump. */
static double move_chance(int64_t start, int64_t now)
{
    int64_t d = start - now;
    return d <= 600 ? 0.8 : d <= 3600 ? 0.4 : 0.2;
}

static void tick(odz_price_updater *p)
{
    size_t n = p->nm, j;
    if (!n)
        return;
    int64_t now = odz_now();
    int budget = p->cfg.max_messages_per_tick;
    size_t first = p->rr % n;
    for (j = 0; j < n && budget > 0; j++) {
        market *mk = p->m[(first + j) % n];
        /* one move a second at most: the history could not keep a second one */
        bool move = mk->last_ts < now && odz_rng_unit(&p->rng) < move_chance(mk->start, now);
        if (move)
            odz_book_step(&mk->book);
        if ((move || mk->dirty) && publish_market(p, mk) == SENT)
            budget--;
    }
    p->rr = first + j;
}

/* ---- the races followed ---- */

/* A new market for a race, from the racing service (no lock held: bus requests). NULL when the
 * race has no runners yet (tried again at the next refresh) or on failure. */
static market *open_market(odz_price_updater *p, int64_t race_id, int64_t start)
{
    char err[ODZ_ERRLEN], id[24];
    json_t *req = json_pack("{s:I}", "race_id", (json_int_t)race_id), *sels = NULL, *prices = NULL;
    market *mk = NULL;
    snprintf(id, sizeof id, "%lld", (long long)race_id);
    int rc = req ? odz_racing_call(p->bus, "list_selections", req, ODZ_REQ_TIMEOUT_MS, &sels, err)
                 : ODZ_ENOMEM;
    if (rc == 0)
        rc = odz_racing_call(p->bus, "latest_prices", req, ODZ_REQ_TIMEOUT_MS, &prices, err);
    json_decref(req);
    if (rc) {
        odz_log_kv(ODZ_LOG_WARN, "cannot open a price market", "race_id", id, "error", err, NULL);
        goto out;
    }
    /* hints: another provider's fixed win price; ours: our own latest prices */
    odz_book_runner hint[ODZ_BOOK_RUNNERS] = {{0}}, ours[ODZ_BOOK_RUNNERS] = {{0}};
    int our_place[ODZ_BOOK_RUNNERS] = {0};
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(sels, i, v)
    {
        json_int_t sid = json_integer_value(json_object_get(v, "selection_id"));
        json_int_t num = json_integer_value(json_object_get(v, "number"));
        if (n == ODZ_BOOK_RUNNERS || sid <= 0 || num < 1 || num > 99)
            continue;
        hint[n].selection_id = sid;
        hint[n].number = (int)num;
        hint[n].scratched = json_is_true(json_object_get(v, "is_scratched"));
        ours[n] = hint[n];
        n++;
    }
    if (!n)
        goto out;
    json_array_foreach(prices, i, v)
    {
        json_int_t sid = json_integer_value(json_object_get(v, "selection_id"));
        json_int_t odds = json_integer_value(json_object_get(v, "odds"));
        const char *prov = json_string_value(json_object_get(v, "provider"));
        const char *mkt = json_string_value(json_object_get(v, "market"));
        odz_market kind;
        if (!prov || !mkt || odz_market_parse(mkt, &kind) || odds < 100 || odds > ODZ_LADDER_CAP ||
            (kind != ODZ_FIXED_WIN && kind != ODZ_FIXED_PLACE))
            continue;
        for (size_t k = 0; k < n; k++) {
            if (hint[k].selection_id != sid)
                continue;
            bool mine = !strcmp(prov, ODZ_PROVIDER_OURS);
            if (mine && kind == ODZ_FIXED_WIN)
                ours[k].win = (int)odds;
            else if (mine)
                our_place[k] = (int)odds;
            else if (kind == ODZ_FIXED_WIN && !hint[k].win)
                hint[k].win = (int)odds;
        }
    }
    bool carry_on = true;
    for (size_t k = 0; k < n; k++)
        if (!ours[k].scratched && !ours[k].win)
            carry_on = false;
    mk = calloc(1, sizeof *mk);
    if (!mk)
        goto out;
    mk->race_id = race_id;
    mk->start = start;
    uint64_t seed = p->cfg.seed ^ ((uint64_t)race_id * 0x9e3779b97f4a7c15ULL);
    rc = carry_on ? odz_book_adopt(&mk->book, ours, n, seed)
                  : odz_book_open(&mk->book, hint, n, seed);
    if (rc) {
        free(mk);
        mk = NULL;
        goto out;
    }
    if (carry_on) /* what the racing service already holds need not be sent again */
        for (size_t k = 0; k < n; k++) {
            mk->pub_win[k] = ours[k].win;
            mk->pub_place[k] = our_place[k];
        }
    if (odz_log_enabled(ODZ_LOG_DEBUG)) {
        char pct[16];
        snprintf(pct, sizeof pct, "%.1f", odz_book_percentage(&mk->book));
        odz_log_kv(ODZ_LOG_DEBUG, "price market opened", "race_id", id, "book", pct, "from",
                   carry_on ? "our prices" : "new book", NULL);
    }
out:
    json_decref(sels);
    json_decref(prices);
    return mk;
}

static void refresh(odz_price_updater *p)
{
    char err[ODZ_ERRLEN];
    json_t *req = json_pack("{s:i}", "limit", p->cfg.max_races), *data = NULL;
    int rc = req ? odz_racing_call(p->bus, "next_races", req, ODZ_REQ_TIMEOUT_MS, &data, err)
                 : ODZ_ENOMEM;
    json_decref(req);
    if (rc) {
        if (!p->refresh_failing)
            odz_log_kv(ODZ_LOG_WARN, "cannot read the open races", "error", err, NULL);
        p->refresh_failing = true;
        return;
    }
    if (p->refresh_failing)
        odz_log_kv(ODZ_LOG_INFO, "the racing service answers again", NULL);
    p->refresh_failing = false;
    int64_t want[ODZ_PRICES_MAX_RACES], starts[ODZ_PRICES_MAX_RACES], fresh[ODZ_PRICES_MAX_RACES];
    int64_t fresh_start[ODZ_PRICES_MAX_RACES];
    size_t nw = 0, nf = 0, i;
    int64_t horizon = odz_now() + p->cfg.window_s;
    json_t *v;
    json_array_foreach(json_object_get(data, "races"), i, v)
    {
        json_int_t id = json_integer_value(json_object_get(v, "race_id"));
        json_int_t start = json_integer_value(json_object_get(v, "scheduled_start"));
        const char *st = json_string_value(json_object_get(v, "status"));
        if (nw < (size_t)p->cfg.max_races && id > 0 && st && !strcmp(st, "OPEN") &&
            start <= horizon) {
            want[nw] = id;
            starts[nw++] = start;
        }
    }
    json_decref(data);
    pthread_mutex_lock(&p->lock);
    for (size_t k = 0; k < p->nm;) {
        size_t w = 0;
        while (w < nw && want[w] != p->m[k]->race_id)
            w++;
        if (w == nw)
            drop(p, k, "no longer open in the window");
        else
            p->m[k++]->start = starts[w];
    }
    for (size_t w = 0; w < nw; w++)
        if (find(p, want[w]) == p->nm && !odz_recent_has(p->closed, CLOSED_RING, want[w])) {
            fresh[nf] = want[w];
            fresh_start[nf++] = starts[w];
        }
    pthread_mutex_unlock(&p->lock);
    for (size_t k = 0; k < nf; k++) {
        pthread_mutex_lock(&p->lock);
        bool go = !p->stop && p->nm < (size_t)p->cfg.max_races;
        pthread_mutex_unlock(&p->lock);
        if (!go)
            break;
        market *mk = open_market(p, fresh[k], fresh_start[k]);
        if (!mk)
            continue;
        pthread_mutex_lock(&p->lock);
        /* the race may have closed while we asked: the event handler saw it first */
        if (!p->stop && find(p, mk->race_id) == p->nm &&
            !odz_recent_has(p->closed, CLOSED_RING, mk->race_id) &&
            p->nm < (size_t)p->cfg.max_races) {
            mk->dirty = p->dirty = true;
            p->m[p->nm++] = mk;
            mk = NULL;
            set_gauge(p);
            pthread_cond_signal(&p->wake);
        }
        pthread_mutex_unlock(&p->lock);
        free(mk);
    }
}

/* race.<id>.updated: {race_id, status, scratched: [numbers], scheduled_start, ...} */
static void on_race_updated(odz_bus *bus, const odz_msg *msg, void *ud)
{
    odz_price_updater *p = ud;
    char err[ODZ_ERRLEN];
    (void)bus;
    if (msg->missed) { /* race events were lost: re-read the open races soon */
        pthread_mutex_lock(&p->lock);
        p->want_refresh = true;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    json_t *j = odz_json_loadb(msg->data, msg->len, EVENT_MAX, err, sizeof err);
    json_t *idj = json_object_get(j, "race_id");
    const char *status = json_string_value(json_object_get(j, "status"));
    odz_race_status st;
    if (!json_is_integer(idj) || !status || odz_status_parse(status, &st)) {
        odz_log_kv(ODZ_LOG_WARN, "bad race event", "subject", msg->subject, "error",
                   j ? "race_id and status expected" : err, NULL);
        json_decref(j);
        return;
    }
    int64_t race_id = json_integer_value(idj);
    pthread_mutex_lock(&p->lock);
    size_t i = find(p, race_id);
    if (st != ODZ_OPEN) {
        odz_recent_note(p->closed, CLOSED_RING, &p->closed_pos, race_id);
        if (i < p->nm)
            drop(p, i, odz_status_name(st));
    } else if (i == p->nm) {
        /* a race we do not follow (new, or just given runners): pick it up soon */
        json_int_t start = json_integer_value(json_object_get(j, "scheduled_start"));
        if (p->nm < (size_t)p->cfg.max_races && start <= odz_now() + p->cfg.window_s &&
            !p->want_refresh) {
            p->want_refresh = true;
            pthread_cond_signal(&p->wake);
        }
    } else {
        market *mk = p->m[i];
        json_t *start = json_object_get(j, "scheduled_start");
        if (json_is_integer(start))
            mk->start = json_integer_value(start);
        size_t k;
        json_t *v;
        bool changed = false;
        json_array_foreach(json_object_get(j, "scratched"), k, v)
        {
            json_int_t num = json_integer_value(v);
            if (num >= 1 && num <= 99 && odz_book_scratch(&mk->book, (int)num) == 1)
                changed = true;
        }
        if (changed) {
            mk->dirty = p->dirty = true;
            pthread_cond_signal(&p->wake);
        }
    }
    pthread_mutex_unlock(&p->lock);
    json_decref(j);
}

static void *loop(void *arg)
{
    odz_thread_background("odz-prices"); /* yields to the threads answering requests */
    odz_price_updater *p = arg;
    int64_t next_tick = odz_mono_ms() + p->cfg.interval_ms, next_refresh = 0, last_refresh = 0;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        int64_t t = odz_mono_ms();
        if (p->want_refresh && last_refresh + REFRESH_MIN_MS < next_refresh)
            next_refresh = last_refresh + REFRESH_MIN_MS;
        if (t >= next_refresh) {
            p->want_refresh = false;
            pthread_mutex_unlock(&p->lock);
            refresh(p);
            pthread_mutex_lock(&p->lock);
            last_refresh = odz_mono_ms();
            next_refresh = last_refresh + p->cfg.refresh_ms;
            continue;
        }
        if (p->dirty || p->later) {
            p->later = false;
            flush_dirty(p);
        }
        if (t >= next_tick) {
            tick(p);
            next_tick += p->cfg.interval_ms;
            if (next_tick <= t) /* fell behind: do not burst to catch up */
                next_tick = t + p->cfg.interval_ms;
        }
        int64_t until = next_tick < next_refresh ? next_tick : next_refresh;
        if (p->later) { /* wake when the (simulated) second turns */
            int64_t turn = t + odz_clock_real_interval_ms(1000 - odz_now_ms() % 1000);
            until = turn < until ? turn : until;
        }
        if (!p->dirty && !p->stop && until > t)
            odz_cond_wait_until(&p->wake, &p->lock, until);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

odz_price_updater *odz_prices_start(odz_bus *bus, const odz_prices_config *cfg, char *err)
{
    if (!bus || !cfg || cfg->interval_ms < 10 || cfg->interval_ms > 60000 || cfg->refresh_ms < 10 ||
        cfg->refresh_ms > 3600000 || cfg->window_s < 60 || cfg->window_s > 7 * 86400 ||
        cfg->max_races < 1 || cfg->max_races > ODZ_PRICES_MAX_RACES ||
        cfg->max_messages_per_tick < 1 || cfg->max_messages_per_tick > 10000) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL,
                 "price updater limits out of range (interval 10-60000 ms, window 1 min-7 days, "
                 "max races 1-%d)",
                 ODZ_PRICES_MAX_RACES);
        return NULL;
    }
    odz_price_updater *p = calloc(1, sizeof *p);
    if (p)
        p->m = calloc((size_t)cfg->max_races, sizeof *p->m);
    if (!p || !p->m) {
        free(p);
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    p->bus = bus;
    p->cfg = *cfg;
    odz_rng_seed(&p->rng, cfg->seed ^ 0x7072696365730000ULL);
    pthread_mutex_init(&p->lock, NULL);
    odz_cond_init_mono(&p->wake);
    set_gauge(p);
    p->sub = odz_bus_subscribe(bus, "race.*.updated", NULL, EVENT_QUEUE, on_race_updated, p);
    if (p->sub < 0 || pthread_create(&p->thread, NULL, loop, p) != 0) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot start the price updater");
        if (p->sub > 0)
            odz_bus_unsubscribe(bus, p->sub);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->wake);
        free(p->m);
        free(p);
        return NULL;
    }
    char seed[24], iv[16], win[16], mr[16];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)cfg->seed);
    snprintf(iv, sizeof iv, "%d", cfg->interval_ms);
    snprintf(win, sizeof win, "%d", cfg->window_s / 60);
    snprintf(mr, sizeof mr, "%d", cfg->max_races);
    odz_log_kv(ODZ_LOG_INFO, "price updater started", "seed", seed, "interval_ms", iv, "window_min",
               win, "max_races", mr, NULL);
    return p;
}

void odz_prices_stop(odz_price_updater *p)
{
    if (!p)
        return;
    odz_stop_raise(&p->lock, &p->wake, &p->stop);
    pthread_join(p->thread, NULL);
    /* waits for a running handler: the markets are freed only after */
    odz_bus_unsubscribe(p->bus, p->sub);
    for (size_t i = 0; i < p->nm; i++)
        free(p->m[i]);
    p->nm = 0;
    set_gauge(p);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p->m);
    free(p);
}

size_t odz_prices_markets(odz_price_updater *p)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->nm;
    pthread_mutex_unlock(&p->lock);
    return n;
}

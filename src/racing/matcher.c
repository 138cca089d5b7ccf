/* The odds engine's incremental state (racing/matcher.h): races held and their lifecycle, the
 * changes of each commit applied to them, and its /metrics; rows and odds events are written in
 * matcher_text.c, queries answered in matcher_query.c. */
#include "racing/matcher.h"
#include "betfair/domain.h"
#include "core/err.h"
#include "core/recent.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "racing/matcher_internal.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_MAX                                                                                   \
    500 /* races read at start (the store's limit), soonest first; the rest on first change */
static void race_free(mrace *r)
{
    if (!r)
        return;
    free(r->name_e);
    free(r->venue_e);
    for (size_t i = 0; i < r->nr; i++)
        free(r->r[i].name_e);
    for (size_t p = 0; p < r->np; p++)
        free(r->pv_e[p]);
    free(r);
}

/* /metrics: what is held and what was published (Prometheus reads them at each render). */
static void metrics_collect(void *ud)
{
    odz_matcher_stats st;
    odz_matcher_stats_get(ud, &st);
    const struct {
        bool counter;
        const char *name, *help;
        double v;
    } m[] = {
        {false, "oddzy_matcher_races", "Open races held by the odds matcher", (double)st.races},
        {false, "oddzy_matcher_rows", "Odds matcher rows (runner x bookmaker) held",
         (double)st.rows},
        {true, "oddzy_matcher_runner_updates_total",
         "Runners whose odds matcher rows were published", (double)st.runner_updates},
        {true, "oddzy_matcher_odds_events_total", "race.<id>.odds events published",
         (double)st.odds_published},
        {true, "oddzy_matcher_races_refused_total",
         "Open races left out: the odds matcher held its maximum", (double)st.refused},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        odz_metric_set(m[i].counter ? odz_counter(m[i].name, m[i].help, NULL)
                                    : odz_gauge(m[i].name, m[i].help, NULL),
                       m[i].v);
}

odz_matcher *odz_matcher_new(odz_bus *bus)
{
    odz_matcher *m = calloc(1, sizeof *m);
    if (m && !(m->races = calloc(ODZ_MATCHER_RACES_MAX, sizeof *m->races))) {
        free(m);
        m = NULL;
    }
    if (!m)
        return NULL;
    m->bus = bus;
    pthread_mutex_init(&m->lock, NULL);
    odz_metrics_on_collect(metrics_collect, m); /* EFULL: no metrics, the matcher works the same */
    return m;
}

void odz_matcher_free(odz_matcher *m)
{
    if (!m)
        return;
    odz_metrics_off_collect(metrics_collect, m);
    for (size_t i = 0; i < m->n; i++)
        race_free(m->races[i]);
    free(m->races);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static mrace *find(odz_matcher *m, int64_t id, size_t *at)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->races[i]->id == id) {
            if (at)
                *at = i;
            return m->races[i];
        }
    return NULL;
}

static int provider_index(mrace *r, const char *name, bool add)
{
    for (size_t i = 0; i < r->np; i++)
        if (!strcmp(r->pv[i], name))
            return (int)i;
    if (!add || r->np == MAXP)
        return -1;
    size_t i = r->np++;
    snprintf(r->pv[i], sizeof r->pv[i], "%s", name);
    r->pv_e[i] = odz_matcher__esc(name);
    size_t k = i;
    while (k > 0 && strcmp(r->pv[r->order[k - 1]], name) > 0) {
        r->order[k] = r->order[k - 1];
        k--;
    }
    r->order[k] = i;
    if (!strcmp(name, ODZ_BF_PROVIDER))
        r->bf = (int)i;
    else if (!strcmp(name, ODZ_BF_PROVIDER_PLACE))
        r->bfp = (int)i;
    /* the odds-comparison site's "best" and "average" summarise the others (oddscomau.c) */
    r->bookie[i] =
        (int)i != r->bf && (int)i != r->bfp && strcmp(name, "best") && strcmp(name, "average");
    return (int)i;
}

static int runner_index(const mrace *r, int64_t sel)
{
    for (size_t i = 0; i < r->nr; i++)
        if (r->r[i].id == sel)
            return (int)i;
    return -1;
}

int odz_matcher__active_runners(const mrace *r)
{
    int n = 0;
    for (size_t i = 0; i < r->nr; i++)
        n += !r->r[i].scratched;
    return n;
}

bool odz_matcher__is_bookmaker(const mrace *r, size_t p)
{
    return r->bookie[p];
}

/* ---- changes ----------------------------------------------------------------------------- */

static void remove_locked(odz_matcher *m, int64_t id)
{
    size_t at;
    mrace *r = find(m, id, &at);
    if (!r)
        return;
    odz_matcher__publish_removed(m, r);
    race_free(r);
    m->races[at] = m->races[--m->n];
}

void odz_matcher_remove_race(odz_matcher *m, int64_t race_id)
{
    pthread_mutex_lock(&m->lock);
    remove_locked(m, race_id);
    pthread_mutex_unlock(&m->lock);
}

static int set_price(mrace *r, const odz_price *p, int64_t lay_size, int *ri_out)
{
    int ri = runner_index(r, p->selection_id);
    if (ri < 0 || (unsigned)p->market >= ODZ_MARKETS)
        return ODZ_ENOTFOUND;
    int pi = provider_index(r, p->provider, true);
    if (pi < 0)
        return ODZ_EFULL;
    mrunner *u = &r->r[ri];
    u->px[pi][p->market] = p->odds > 0 ? p->odds : 0;
    if (p->market == ODZ_EXCHANGE_LAY && (pi == r->bf || pi == r->bfp))
        u->lay_size[pi == r->bfp] = lay_size;
    *ri_out = ri;
    return 0;
}

/* The size at runner ri's best lay on exchange provider pi from a book: known when the book's
 * best lay is the lay price held. -2 when pi is not the exchange. */
static int64_t book_lay_size(const mrace *r, int ri, int pi, const odz_exchange_book *b)
{
    if (ri < 0 || pi < 0 || (pi != r->bf && pi != r->bfp))
        return -2;
    int lay = r->r[ri].px[pi][ODZ_EXCHANGE_LAY];
    return lay > 0 && b->lay[0].odds == lay ? b->lay[0].size : -1;
}

static void put_locked(odz_matcher *m, const odz_race *race, const odz_meeting *mt,
                       const odz_selections *ss, const odz_prices *latest, const odz_exbooks *books)
{
    if (race->status != ODZ_OPEN) {
        odz_recent_note(m->closed, CLOSED_RING, &m->closed_at, race->id);
        remove_locked(m, race->id);
        return;
    }
    mrace *old = find(m, race->id, NULL);
    if (!old && m->n == ODZ_MATCHER_RACES_MAX) {
        m->st.refused++;
        return;
    }
    mrace *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->id = race->id;
    r->number = race->number;
    snprintf(r->name, sizeof r->name, "%s", race->name);
    snprintf(r->venue, sizeof r->venue, "%s", mt->name);
    r->name_e = odz_matcher__esc(r->name);
    r->venue_e = odz_matcher__esc(r->venue);
    r->type = mt->type;
    r->start = race->scheduled_start;
    r->bf = r->bfp = -1;
    r->nr = ss->n < ODZ_MAX_RUNNERS ? ss->n : ODZ_MAX_RUNNERS;
    for (size_t i = 0; i < r->nr; i++) {
        mrunner *u = &r->r[i];
        u->id = ss->v[i].id;
        u->number = ss->v[i].number;
        snprintf(u->name, sizeof u->name, "%s", ss->v[i].name);
        u->name_e = odz_matcher__esc(u->name);
        u->scratched = ss->v[i].scratched;
        u->lay_size[0] = u->lay_size[1] = -1;
    }
    /* the latest point of each (runner, provider, market) */
    for (size_t k = 0; k < latest->n; k++) {
        int ri;
        set_price(r, &latest->v[k], -1, &ri);
    }
    for (size_t k = 0; books && k < books->n; k++) {
        const odz_exbook *b = &books->v[k];
        int ri = runner_index(r, b->selection_id), pi = provider_index(r, b->provider, false);
        int64_t size = book_lay_size(r, ri, pi, &b->book);
        if (size >= -1)
            r->r[ri].lay_size[pi == r->bfp] = size;
    }
    if (old) {
        /* keep which rows were published, and the sizes we were told when no books came */
        for (size_t i = 0; i < r->nr; i++) {
            int oi = runner_index(old, r->r[i].id);
            if (oi < 0)
                continue;
            if (!books)
                memcpy(r->r[i].lay_size, old->r[oi].lay_size, sizeof r->r[i].lay_size);
            for (size_t p = 0; p < old->np; p++)
                if (old->r[oi].had_rows >> p & 1) {
                    int np = provider_index(r, old->pv[p], true);
                    if (np >= 0)
                        r->r[i].had_rows |= 1ull << np;
                }
        }
        size_t at = 0;
        find(m, race->id, &at);
        m->races[at] = r;
        race_free(old);
    } else {
        m->races[m->n++] = r;
    }
    m->st.loads++;
    for (size_t i = 0; i < r->nr; i++)
        odz_matcher__publish_runner(m, r, i);
    odz_matcher__publish_odds(m, r, true);
}

void odz_matcher_put_race(odz_matcher *m, const odz_race *r, const odz_meeting *mt,
                          const odz_selections *ss, const odz_prices *latest,
                          const odz_exbooks *books)
{
    pthread_mutex_lock(&m->lock);
    put_locked(m, r, mt, ss, latest, books);
    pthread_mutex_unlock(&m->lock);
}

/* A price into its race and its runner's rows; the race's odds too unless `odds_later` (the
 * caller publishes them once for all the prices of a batch). */
static int price_locked(odz_matcher *m, int64_t race_id, const odz_price *p, int64_t lay_size,
                        bool odds_later)
{
    mrace *r = find(m, race_id, NULL);
    if (!r)
        return ODZ_ENOTFOUND;
    int ri, rc = set_price(r, p, lay_size, &ri);
    if (rc)
        return rc;
    int pi = provider_index(r, p->provider, false);
    /* the rows of a runner read its bookmakers' fixed win prices and the exchange's lays */
    if ((p->market == ODZ_FIXED_WIN && odz_matcher__is_bookmaker(r, (size_t)pi)) ||
        (p->market == ODZ_EXCHANGE_LAY && (pi == r->bf || pi == r->bfp)))
        odz_matcher__publish_runner(m, r, (size_t)ri);
    if (!odds_later)
        odz_matcher__publish_odds(m, r, false);
    return 0;
}

/* A runner's exchange book was written: its rows again when the size at the best lay changed. */
static void book_locked(odz_matcher *m, int64_t race_id, const odz_exbook *b)
{
    mrace *r = find(m, race_id, NULL);
    if (!r)
        return;
    int ri = runner_index(r, b->selection_id), pi = provider_index(r, b->provider, false);
    int64_t size = book_lay_size(r, ri, pi, &b->book);
    if (size < -1 || r->r[ri].lay_size[pi == r->bfp] == size)
        return;
    r->r[ri].lay_size[pi == r->bfp] = size;
    odz_matcher__publish_runner(m, r, (size_t)ri);
}

int odz_matcher_price(odz_matcher *m, int64_t race_id, const odz_price *p, int64_t lay_size)
{
    pthread_mutex_lock(&m->lock);
    int rc = price_locked(m, race_id, p, lay_size, false);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Read a race from the store and put it (or remove it); caller holds the lock. */
static void load_locked(odz_matcher *m, odz_store *st, int64_t id)
{
    char err[ODZ_ERRLEN];
    odz_race *r = malloc(sizeof *r);
    odz_meeting *mt = malloc(sizeof *mt);
    odz_selections ss = {0};
    odz_prices ps = {0};
    odz_exbooks bs = {0};
    int rc = r && mt ? 0 : ODZ_ENOMEM;
    if (!rc)
        rc = st->ops->get_race(st, id, r, err);
    if (!rc && r->status != ODZ_OPEN) {
        odz_recent_note(m->closed, CLOSED_RING, &m->closed_at, id);
        remove_locked(m, id);
        goto out;
    }
    if (!rc)
        rc = st->ops->get_meeting(st, r->meeting_id, mt, err);
    if (!rc)
        rc = st->ops->list_selections(st, id, &ss, err);
    if (!rc)
        rc = st->ops->latest_prices(st, id, &ps, err);
    if (!rc)
        rc = st->ops->race_books(st, id, &bs, err);
    if (rc) {
        odz_log_kv(ODZ_LOG_WARN, "odds matcher cannot read a race", "error",
                   rc == ODZ_ENOMEM ? "out of memory" : err, NULL);
        remove_locked(m, id);
    } else {
        put_locked(m, r, mt, &ss, &ps, &bs);
    }
out:
    odz_selections_free(&ss);
    odz_prices_free(&ps);
    odz_exbooks_free(&bs);
    free(r);
    free(mt);
}

void odz_matcher_apply(odz_matcher *m, odz_store *st, const odz_changes *ch)
{
    /* the races whose odds to publish once all their prices are in (ids, not pointers: a
     * load may replace a race meanwhile) */
    int64_t *odds = malloc((ch->n_prices ? ch->n_prices : 1) * sizeof *odds);
    size_t n_odds = 0;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < ch->n_race_ids; i++)
        load_locked(m, st, ch->race_ids[i]);
    for (size_t i = 0; i < ch->n_prices; i++) {
        const odz_price_change *pc = &ch->prices[i];
        bool reread = false;
        for (size_t k = 0; k < ch->n_race_ids && !reread; k++)
            reread = ch->race_ids[k] == pc->race_id;
        if (reread) /* read whole just now, with this price */
            continue;
        int rc = price_locked(m, pc->race_id, &pc->price, pc->size, odds != NULL);
        if (rc == 0 && odds && (!n_odds || odds[n_odds - 1] != pc->race_id))
            odds[n_odds++] = pc->race_id;
        if (rc == ODZ_ENOTFOUND && !odz_recent_has(m->closed, CLOSED_RING, pc->race_id))
            load_locked(m, st, pc->race_id);
    }
    for (size_t i = 0; i < n_odds; i++) { /* (a race named twice publishes once: unchanged) */
        mrace *r = find(m, odds[i], NULL);
        if (r)
            odz_matcher__publish_odds(m, r, false);
    }
    free(odds);
    for (size_t i = 0; i < ch->n_books; i++)
        book_locked(m, ch->books[i].race_id, &ch->books[i].book);
    pthread_mutex_unlock(&m->lock);
}

int odz_matcher_load(odz_matcher *m, odz_store *st, int64_t now, char *err)
{
    odz_races rs = {0};
    int rc = st->ops->next_races(st, now - 3600, LOAD_MAX, -1, &rs, err);
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; rc == 0 && i < rs.n; i++)
        load_locked(m, st, rs.v[i].id);
    pthread_mutex_unlock(&m->lock);
    odz_races_free(&rs);
    return rc;
}

void odz_matcher_stats_get(odz_matcher *m, odz_matcher_stats *out)
{
    pthread_mutex_lock(&m->lock);
    *out = m->st;
    out->races = m->n;
    out->runners = out->rows = 0;
    for (size_t i = 0; i < m->n; i++) {
        out->runners += m->races[i]->nr;
        for (size_t k = 0; k < m->races[i]->nr; k++)
            out->rows += (size_t)__builtin_popcountll(m->races[i]->r[k].had_rows);
    }
    pthread_mutex_unlock(&m->lock);
}

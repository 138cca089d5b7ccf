/* Shown prices and the odds comparison; see compare.h. */
#include "racing/compare.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#define OURS ODZ_PROVIDER_OURS /* our own market, from the price updater */
#define CARD_MARKETS 4  /* fixed win, fixed place, tote win, tote place */
#define MAX_PROVIDERS 64

void odz_compare_shown(const odz_selection *sel, const odz_prices *latest, int prices[4],
                       int64_t ts[4])
{
    for (int mk = 0; mk < CARD_MARKETS; mk++) {
        const odz_price *best = NULL;
        for (size_t k = 0; k < latest->n; k++) {
            const odz_price *p = &latest->v[k];
            if (p->selection_id != sel->id || (int)p->market != mk || p->odds <= 0)
                continue;
            bool ours = !strcmp(p->provider, OURS), best_ours = best && !strcmp(best->provider, OURS);
            if (!best || (ours && !best_ours) || (ours == best_ours && p->ts > best->ts))
                best = p;
        }
        bool shown = best && !sel->scratched;
        prices[mk] = shown ? best->odds : 0;
        ts[mk] = shown ? best->ts : 0;
    }
}

/* The latest price of every (runner, provider, market) of a race, indexed once. */
typedef struct {
    const char *pv[MAX_PROVIDERS]; /* providers with a current price, sorted by name */
    size_t np, nr;
    const odz_price **cell; /* [runner][provider][market] */
} table;

static const odz_price **at(const table *t, size_t r, size_t p, int m)
{
    return &t->cell[(r * t->np + p) * ODZ_MARKETS + (size_t)m];
}

/* 0, or ODZ_ENOMEM (then the table is empty). */
static int table_build(table *t, const odz_selection *sels, size_t nr, const odz_prices *latest)
{
    memset(t, 0, sizeof *t);
    for (size_t k = 0; k < latest->n; k++) {
        const char *pv = latest->v[k].provider;
        if (latest->v[k].odds <= 0)
            continue;
        size_t i = 0;
        while (i < t->np && strcmp(t->pv[i], pv) < 0)
            i++;
        if ((i < t->np && !strcmp(t->pv[i], pv)) || t->np == MAX_PROVIDERS)
            continue;
        memmove(t->pv + i + 1, t->pv + i, (t->np - i) * sizeof *t->pv);
        t->pv[i] = pv;
        t->np++;
    }
    t->nr = nr;
    t->cell = calloc(nr * t->np * ODZ_MARKETS + 1, sizeof *t->cell);
    if (!t->cell) {
        t->np = t->nr = 0;
        return -1;
    }
    for (size_t k = 0; k < latest->n; k++) {
        const odz_price *p = &latest->v[k];
        if (p->odds <= 0 || (unsigned)p->market >= ODZ_MARKETS)
            continue;
        size_t r = 0, q = 0;
        while (r < nr && sels[r].id != p->selection_id)
            r++;
        while (q < t->np && strcmp(t->pv[q], p->provider))
            q++;
        if (r == nr || q == t->np || sels[r].scratched)
            continue;
        const odz_price **c = at(t, r, q, (int)p->market);
        if (!*c || p->ts > (*c)->ts)
            *c = p;
    }
    return 0;
}

/* Best price of a fixed market for runner r: highest, ties to the provider sorted first. */
static const odz_price *best_of(const table *t, size_t r, odz_market m)
{
    const odz_price *best = NULL;
    for (size_t q = 0; q < t->np; q++) {
        const odz_price *p = *at(t, r, q, (int)m);
        if (p && (!best || p->odds > best->odds))
            best = p;
    }
    return best;
}

void odz_compare_exchange(const odz_selections *sels, const odz_exbooks *books, json_t *runners)
{
    for (size_t r = 0; r < sels->n; r++) {
        json_t *rj = json_array_get(runners, r), *ex = json_object();
        if (!json_is_object(rj) || !ex) {
            json_decref(ex);
            continue;
        }
        for (size_t k = 0; !sels->v[r].scratched && k < books->n; k++) {
            const odz_exbook *b = &books->v[k];
            if (b->selection_id != sels->v[r].id)
                continue;
            json_t *bj = odz_exchange_book_to_json(&b->book);
            if (bj)
                json_object_set_new(bj, "ts", json_integer(b->ts));
            json_object_set_new(ex, b->provider, bj);
        }
        json_object_set_new(rj, "exchange", ex);
    }
}

int odz_compare_percentage(const int *odds, size_t n, size_t *used)
{
    /* in units of 1e-6 percent: 100 / (odds / 100) % = 1e4 / odds %, times 1e6 */
    int64_t sum = 0;
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (odds[i] > 100) {
            sum += (int64_t)10000 * 1000000 / odds[i];
            u++;
        }
    if (used)
        *used = u;
    return (int)((sum + 5000) / 10000); /* hundredths of a percent, half up */
}

static json_t *pct_json(const int *odds, size_t n)
{
    size_t used;
    int pct = odz_compare_percentage(odds, n, &used);
    if (!used)
        return json_null();
    return json_pack("{s:o,s:I}", "percentage", odz_json_odds(pct), "runners", (json_int_t)used);
}

/* Runner r's "odds" by provider and "best" fixed prices, into runner_json. */
static void runner_fields(json_t *runner_json, const table *t, size_t r)
{
    json_t *odds = json_object(), *best = json_object();
    for (size_t q = 0; q < t->np; q++) {
        json_t *o = NULL;
        for (int m = 0; m < ODZ_MARKETS; m++) {
            const odz_price *p = *at(t, r, q, m);
            if (!p)
                continue;
            if (!o)
                o = json_object();
            json_object_set_new(o, odz_market_name((odz_market)m), odz_json_odds(p->odds));
        }
        if (o)
            json_object_set_new(odds, t->pv[q], o);
    }
    for (int m = ODZ_FIXED_WIN; m <= ODZ_FIXED_PLACE; m++) {
        const odz_price *b = r < t->nr ? best_of(t, r, (odz_market)m) : NULL;
        json_object_set_new(best, odz_market_name((odz_market)m),
                            b ? json_pack("{s:o,s:s}", "price", odz_json_odds(b->odds), "provider",
                                          b->provider)
                              : json_null());
    }
    json_object_set_new(runner_json, "odds", odds);
    json_object_set_new(runner_json, "best", best);
}

json_t *odz_compare_race(const odz_selections *sels, const odz_prices *latest, json_t *runners)
{
    table t;
    table_build(&t, sels->v, sels->n, latest); /* a scratched runner has no cells */
    for (size_t r = 0; runners && r < sels->n; r++)
        if (json_is_object(json_array_get(runners, r)))
            runner_fields(json_array_get(runners, r), &t, r);
    int *odds = calloc(sels->n ? sels->n : 1, sizeof *odds);
    json_t *providers = json_array(), *best = json_object();
    for (size_t q = 0; odds && q < t.np; q++) {
        json_t *markets = json_object();
        for (int m = 0; m < ODZ_MARKETS; m++) {
            for (size_t r = 0; r < t.nr; r++) {
                const odz_price *p = *at(&t, r, q, m);
                odds[r] = p ? p->odds : 0;
            }
            json_t *pj = pct_json(odds, t.nr);
            if (json_is_null(pj))
                json_decref(pj);
            else
                json_object_set_new(markets, odz_market_name((odz_market)m), pj);
        }
        json_array_append_new(providers,
                              json_pack("{s:s,s:o}", "provider", t.pv[q], "markets", markets));
    }
    for (int m = ODZ_FIXED_WIN; odds && m <= ODZ_FIXED_PLACE; m++) {
        for (size_t r = 0; r < t.nr; r++) {
            const odz_price *b = best_of(&t, r, (odz_market)m);
            odds[r] = b ? b->odds : 0;
        }
        json_object_set_new(best, odz_market_name((odz_market)m), pct_json(odds, t.nr));
    }
    if (!odds || !t.cell)
        for (int m = ODZ_FIXED_WIN; m <= ODZ_FIXED_PLACE; m++)
            json_object_set_new(best, odz_market_name((odz_market)m), json_null());
    free(odds);
    free(t.cell);
    return json_pack("{s:o,s:o}", "providers", providers, "best", best);
}

/* The odds engine's queries: GET /api/oddsmatcher rows (filtered, sorted, limited) and
 * /api/arbitrage races, at the query's stake and commission, over the races held. */
#include "core/err.h"
#include "core/json.h"
#include "core/sort.h"
#include "racing/matcher_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- queries ----------------------------------------------------------------------------- */

typedef struct {
    const odz_matcher_query *q; /* its sort and order */
    const mrace *r;
    const mrunner *u;
    size_t p;
    odz_match_in in;
    odz_match_out o;
} cand;

static int64_t sort_key(const cand *c, odz_matcher_sort s)
{
    switch (s) {
    case ODZ_MSORT_START:
        return c->r->start;
    case ODZ_MSORT_BACK:
        return c->in.back;
    case ODZ_MSORT_LAY:
        return c->in.lay;
    case ODZ_MSORT_LAY_SIZE:
        return c->u->lay_size[0];
    case ODZ_MSORT_LIABILITY:
        return c->o.bet[c->in.type].liability;
    case ODZ_MSORT_RATING:
    default:
        return c->o.rating[c->in.type];
    }
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    int64_t kx = sort_key(x, x->q->sort), ky = sort_key(y, x->q->sort);
    if (kx != ky)
        return (kx < ky) == x->q->desc ? 1 : -1;
    /* ties: sooner race, then race, runner number and bookmaker, always ascending */
    if (x->r->start != y->r->start)
        return x->r->start < y->r->start ? -1 : 1;
    if (x->r->id != y->r->id)
        return x->r->id < y->r->id ? -1 : 1;
    if (x->u->number != y->u->number)
        return x->u->number - y->u->number;
    return strcmp(x->r->pv[x->p], y->r->pv[y->p]);
}

static bool race_wanted(const mrace *r, const odz_matcher_query *q, int64_t now)
{
    if (!odz_matcher_query_race(q, r->id) || (q->race_type >= 0 && (int)r->type != q->race_type))
        return false;
    return q->minutes < 0 || r->start <= now + 60LL * q->minutes;
}

/* The query's rows into a malloc'd array (*n), unsorted; arbitrage only: back above lay. */
static cand *collect(odz_matcher *m, const odz_matcher_query *q, int64_t now, bool arbs, size_t *n)
{
    size_t cap = 256;
    cand *v = malloc(cap * sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < m->n; i++) {
        const mrace *r = m->races[i];
        if (!race_wanted(r, q, now))
            continue;
        for (size_t ri = 0; ri < r->nr; ri++) {
            const mrunner *u = &r->r[ri];
            for (size_t p = 0; p < r->np; p++) {
                cand c = {.q = q, .r = r, .u = u, .p = p};
                char err[ODZ_ERRLEN];
                if (!odz_matcher__row_in(r, u, p, q->stake, q->commission, q->type, &c.in) ||
                    !odz_matcher_query_bookmaker(q, r->pv[p]) ||
                    (q->min_odds && c.in.back < q->min_odds) ||
                    (q->max_odds && c.in.back > q->max_odds) ||
                    (q->min_liquidity >= 0 &&
                     (u->lay_size[0] < 0 || u->lay_size[0] < q->min_liquidity)) ||
                    (arbs && !odz_matcher_is_arbitrage(c.in.back, c.in.lay)) ||
                    odz_matcher_row(&c.in, &c.o, err, sizeof err) ||
                    (q->min_rating >= 0 && c.o.rating[q->type] < q->min_rating))
                    continue;
                if (*n == cap) {
                    cand *g = realloc(v, 2 * cap * sizeof *v);
                    if (!g)
                        return v;
                    v = g;
                    cap *= 2;
                }
                v[(*n)++] = c;
            }
        }
    }
    return v;
}

/* The first q->limit rows in the query's order, written as published and read back. */
static json_t *rows_json(cand *v, size_t n, const odz_matcher_query *q)
{
    odz_sort(v, n, sizeof *v, cmp_cand);
    tbuf t = {0};
    odz_text_str(&t, "[");
    for (size_t i = 0; i < n && i < (size_t)q->limit; i++) {
        if (i)
            odz_text_str(&t, ",");
        odz_matcher__row_text(&t, v[i].r, v[i].u, v[i].p, &v[i].in, &v[i].o);
    }
    odz_text_str(&t, "]");
    json_t *rows = t.oom ? NULL : json_loadb(t.s, t.n, 0, NULL);
    free(t.s);
    return rows ? rows : json_array();
}

json_t *odz_matcher_rows(odz_matcher *m, const odz_matcher_query *q, int64_t now)
{
    pthread_mutex_lock(&m->lock);
    size_t n;
    cand *v = collect(m, q, now, false, &n);
    json_t *rows = v ? rows_json(v, n, q) : json_array();
    pthread_mutex_unlock(&m->lock);
    free(v);
    return json_pack("{s:o}", "rows", rows);
}

static json_t *units(int64_t hundredths)
{
    return json_real((double)hundredths / 100.0);
}

/* A race whose book at the best fixed win prices is under 100 %, every runner priced. */
static json_t *arb_race(const mrace *r, const odz_matcher_query *q)
{
    const odds_state *s = &r->odds;
    int act = odz_matcher__active_runners(r);
    if (act < 2 || s->bpct_n[ODZ_FIXED_WIN] != act || s->bpct[ODZ_FIXED_WIN] >= 10000)
        return NULL;
    int odds[ODZ_MAX_RUNNERS];
    size_t k = 0;
    for (size_t i = 0; i < r->nr; i++)
        if (!r->r[i].scratched)
            odds[k++] = s->best[i][ODZ_FIXED_WIN];
    odz_dutch_out d;
    char err[ODZ_ERRLEN];
    bool dutched = odz_calc_dutch(odds, k, q->stake, 0, &d, err, sizeof err) == 0;
    json_t *runners = json_array();
    k = 0;
    for (size_t i = 0; i < r->nr; i++) {
        if (r->r[i].scratched)
            continue;
        json_array_append_new(
            runners, json_pack("{s:I,s:i,s:s,s:o,s:s,s:o}", "selection_id", (json_int_t)r->r[i].id,
                               "number", r->r[i].number, "runner", r->r[i].name, "price",
                               odz_json_odds(s->best[i][ODZ_FIXED_WIN]), "provider",
                               r->pv[s->best_p[i][ODZ_FIXED_WIN]], "stake",
                               dutched ? units(d.legs[k].stake) : json_null()));
        k++;
    }
    return json_pack("{s:I,s:s,s:i,s:s,s:s,s:I,s:o,s:o,s:o,s:o}", "race_id", (json_int_t)r->id,
                     "race_name", r->name, "race_number", r->number, "venue", r->venue, "race_type",
                     odz_race_type_name(r->type), "start", (json_int_t)r->start, "book",
                     odz_json_odds(s->bpct[ODZ_FIXED_WIN]), "stake", units(q->stake), "min_profit",
                     dutched ? units(d.min_profit) : json_null(), "runners", runners);
}

json_t *odz_matcher_arbitrage(odz_matcher *m, const odz_matcher_query *q, int64_t now)
{
    pthread_mutex_lock(&m->lock);
    json_t *races = json_array();
    for (size_t i = 0; i < m->n; i++) {
        json_t *a = race_wanted(m->races[i], q, now) ? arb_race(m->races[i], q) : NULL;
        if (a)
            json_array_append_new(races, a);
    }
    size_t n;
    cand *v = collect(m, q, now, true, &n);
    json_t *rows = v ? rows_json(v, n, q) : json_array();
    pthread_mutex_unlock(&m->lock);
    free(v);
    return json_pack("{s:o,s:o}", "races", races, "runners", rows);
}

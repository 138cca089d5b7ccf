/* The race card's runners from its rows, and the rows patched from events; see card.h. */
#include "racing/card.h"
#include "core/err.h"
#include "core/json.h"
#include "racing/compare.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define CARD_MARKETS 4  /* the shown prices: fixed win, fixed place, tote win, tote place */
#define MAX_ROWS 100000 /* prices or books of one race read back from JSON */

void odz_card_rows_free(odz_card_rows *r)
{
    odz_selections_free(&r->sels);
    odz_prices_free(&r->prices);
    odz_exbooks_free(&r->books);
}

int odz_card_rows_copy(const odz_card_rows *src, odz_card_rows *dst)
{
    odz_card_rows t = {0};
    int bad = 0;
    for (size_t i = 0; !bad && i < src->sels.n; i++)
        bad = odz_selections_push(&t.sels, &src->sels.v[i]);
    for (size_t i = 0; !bad && i < src->prices.n; i++)
        bad = odz_prices_push(&t.prices, &src->prices.v[i]);
    for (size_t i = 0; !bad && i < src->books.n; i++)
        bad = odz_exbooks_push(&t.books, &src->books.v[i]);
    if (bad) {
        odz_card_rows_free(&t);
        return ODZ_ENOMEM;
    }
    *dst = t;
    return 0;
}

int odz_card_runners(const odz_card_rows *r, json_t **runners, json_t **comparison)
{
    json_t *rs = json_array();
    int ok = rs != NULL;
    for (size_t i = 0; ok && i < r->sels.n; i++) {
        json_t *sj = odz_selection_to_json(&r->sels.v[i]);
        json_t *pj = json_object(), *tj = json_object();
        int shown[CARD_MARKETS];
        int64_t at[CARD_MARKETS];
        odz_compare_shown(&r->sels.v[i], &r->prices, shown, at);
        for (int mk = 0; pj && tj && mk < CARD_MARKETS; mk++) {
            const char *name = odz_market_name((odz_market)mk);
            json_object_set_new(pj, name, odz_json_odds(shown[mk]));
            /* when the shown price was set: a page merges live updates newer than it */
            json_object_set_new(tj, name, at[mk] ? json_integer(at[mk]) : json_null());
        }
        ok = sj && pj && tj;
        if (ok) {
            json_object_set_new(sj, "prices", pj);
            json_object_set_new(sj, "price_ts", tj);
            ok = json_array_append_new(rs, sj) == 0;
        } else {
            json_decref(sj);
            json_decref(pj);
            json_decref(tj);
        }
    }
    json_t *cmp = NULL;
    if (ok) {
        odz_compare_exchange(&r->sels, &r->books, rs);
        cmp = odz_compare_race(&r->sels, &r->prices, rs);
    }
    if (!cmp) {
        json_decref(rs);
        return ODZ_ENOMEM;
    }
    *runners = rs;
    *comparison = cmp;
    return 0;
}

json_t *odz_card_rows_to_json(const odz_card_rows *r)
{
    json_t *ss = json_array(), *ps = json_array(), *bs = json_array();
    for (size_t i = 0; ss && i < r->sels.n; i++)
        json_array_append_new(ss, odz_selection_to_json(&r->sels.v[i]));
    for (size_t i = 0; ps && i < r->prices.n; i++)
        json_array_append_new(ps, odz_price_to_json(&r->prices.v[i]));
    for (size_t i = 0; bs && i < r->books.n; i++)
        json_array_append_new(bs, odz_exbook_to_json(&r->books.v[i]));
    if (!ss || !ps || !bs || json_array_size(ss) != r->sels.n ||
        json_array_size(ps) != r->prices.n || json_array_size(bs) != r->books.n) {
        json_decref(ss);
        json_decref(ps);
        json_decref(bs);
        return NULL;
    }
    return json_pack("{s:o,s:o,s:o}", "selections", ss, "prices", ps, "books", bs);
}

/* While rc is 0: decode each element of JSON array `arr` as a `type` with from_json and push
 * it onto `list` (the three typed lists of a card's rows). Uses err and errlen in scope. */
#define ROWS_FROM_JSON(rc, arr, type, from_json, push, list)                                       \
    for (size_t i_ = 0; (rc) == 0 && i_ < json_array_size(arr); i_++) {                            \
        type row_;                                                                                 \
        (rc) = from_json(json_array_get(arr, i_), &row_, err, errlen);                             \
        if ((rc) == 0 && push(list, &row_))                                                        \
            (rc) = odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");                             \
    }

int odz_card_rows_from_json(const json_t *j, odz_card_rows *out, char *err, size_t errlen)
{
    odz_card_rows t = {0};
    const json_t *ss = json_object_get(j, "selections"), *ps = json_object_get(j, "prices");
    const json_t *bs = json_object_get(j, "books");
    int rc = 0;
    if (!json_is_array(ss) || !json_is_array(ps) || !json_is_array(bs))
        rc = odz_fail(err, errlen, ODZ_EINVAL, "card rows need selections, prices and books");
    else if (json_array_size(ss) > 99 || json_array_size(ps) > MAX_ROWS ||
             json_array_size(bs) > MAX_ROWS)
        rc = odz_fail(err, errlen, ODZ_EINVAL, "too many card rows");
    ROWS_FROM_JSON(rc, ss, odz_selection, odz_selection_from_json, odz_selections_push, &t.sels);
    ROWS_FROM_JSON(rc, ps, odz_price, odz_price_from_json, odz_prices_push, &t.prices);
    ROWS_FROM_JSON(rc, bs, odz_exbook, odz_exbook_from_json, odz_exbooks_push, &t.books);
    if (rc)
        odz_card_rows_free(&t);
    else
        *out = t;
    return rc;
}

/* ---- events ---- */

static int event_ids(const json_t *ev, odz_price *p, char *err, size_t errlen)
{
    const json_t *sid = json_object_get(ev, "selection_id"), *ts = json_object_get(ev, "ts");
    const char *pv = json_string_value(json_object_get(ev, "provider"));
    if (!json_is_object(ev))
        return odz_fail(err, errlen, ODZ_EINVAL, "event must be an object");
    if (!json_is_integer(sid) || json_integer_value(sid) <= 0)
        return odz_fail(err, errlen, ODZ_EINVAL, "event needs a selection_id");
    if (!json_is_integer(ts) || json_integer_value(ts) <= 0)
        return odz_fail(err, errlen, ODZ_EINVAL, "event needs a ts");
    if (!pv || !*pv || odz_strlcpy(p->provider, pv, sizeof p->provider))
        return odz_fail(err, errlen, ODZ_EINVAL, "event needs a provider");
    p->selection_id = json_integer_value(sid);
    p->ts = json_integer_value(ts);
    return 0;
}

/* Odds in display units (3.5, or null for none) to hundredths. */
static int odds_of(const json_t *v, int *out)
{
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return ODZ_EINVAL;
    return odz_odds_from_double(json_number_value(v), out);
}

static int money_of(const json_t *v, int64_t *out)
{
    double d = json_number_value(v);
    if (!json_is_number(v) || !(d >= 0) || d * 100 > (double)ODZ_MONEY_MAX)
        return ODZ_EINVAL;
    *out = (int64_t)llround(d * 100);
    return 0;
}

int odz_card_price_event(const json_t *ev, odz_price *out, char *err, size_t errlen)
{
    odz_price p = {0};
    int rc = event_ids(ev, &p, err, errlen);
    if (rc)
        return rc;
    const char *mk = json_string_value(json_object_get(ev, "market"));
    if (!mk || odz_market_parse(mk, &p.market))
        return odz_fail(err, errlen, ODZ_EINVAL, "event needs a known market");
    if (odds_of(json_object_get(ev, "price"), &p.odds))
        return odz_fail(err, errlen, ODZ_EINVAL, "bad price");
    *out = p;
    return 0;
}

static int offers_of(const json_t *a, odz_exchange_offer *o)
{
    if (!json_is_array(a) || json_array_size(a) > ODZ_EXCHANGE_DEPTH)
        return ODZ_EINVAL;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *l = json_array_get(a, i);
        if (odds_of(json_object_get(l, "price"), &o[i].odds) || !o[i].odds ||
            money_of(json_object_get(l, "size"), &o[i].size))
            return ODZ_EINVAL;
    }
    return 0;
}

int odz_card_book_event(const json_t *ev, odz_exbook *out, char *err, size_t errlen)
{
    odz_price ids = {0};
    odz_exbook b = {0};
    int rc = event_ids(ev, &ids, err, errlen);
    if (rc)
        return rc;
    if (offers_of(json_object_get(ev, "back"), b.book.back) ||
        offers_of(json_object_get(ev, "lay"), b.book.lay) ||
        odds_of(json_object_get(ev, "last_traded"), &b.book.last_traded) ||
        odds_of(json_object_get(ev, "starting_price"), &b.book.starting_price) ||
        money_of(json_object_get(ev, "traded_volume"), &b.book.traded_volume))
        return odz_fail(err, errlen, ODZ_EINVAL, "bad exchange book");
    if ((rc = odz_exchange_book_check(&b.book, err, errlen)))
        return rc;
    b.selection_id = ids.selection_id;
    b.ts = ids.ts;
    memcpy(b.provider, ids.provider, sizeof b.provider);
    *out = b;
    return 0;
}

/* Runner number of selection `id`, 0 when it is not one of the race's. */
static int number_of(const odz_card_rows *r, int64_t id)
{
    for (size_t i = 0; i < r->sels.n; i++)
        if (r->sels.v[i].id == id)
            return r->sels.v[i].number;
    return 0;
}

/* Store order of two rows: runner number, then `a` (market, or 0 for books), provider
 * bytewise, selection id; 0 for the same key. */
static int row_cmp(int na, int ma, const char *pa, int64_t sa, int nb, int mb, const char *pb,
                   int64_t sb)
{
    if (na != nb)
        return na < nb ? -1 : 1;
    if (ma != mb)
        return ma < mb ? -1 : 1;
    int c = strcmp(pa, pb);
    if (c)
        return c < 0 ? -1 : 1;
    return sa < sb ? -1 : sa > sb;
}

static int price_cmp(const odz_card_rows *r, const void *x, const void *y)
{
    const odz_price *a = x, *b = y;
    return row_cmp(number_of(r, a->selection_id), (int)a->market, a->provider, a->selection_id,
                   number_of(r, b->selection_id), (int)b->market, b->provider, b->selection_id);
}

static int book_cmp(const odz_card_rows *r, const void *x, const void *y)
{
    const odz_exbook *a = x, *b = y;
    return row_cmp(number_of(r, a->selection_id), 0, a->provider, a->selection_id,
                   number_of(r, b->selection_id), 0, b->provider, b->selection_id);
}

static int grow_prices(odz_card_rows *r, const void *row)
{
    return odz_prices_push(&r->prices, row);
}

static int grow_books(odz_card_rows *r, const void *row)
{
    return odz_exbooks_push(&r->books, row);
}

static char *prices_of(odz_card_rows *r, size_t *n)
{
    *n = r->prices.n;
    return (char *)r->prices.v;
}

static char *books_of(odz_card_rows *r, size_t *n)
{
    *n = r->books.n;
    return (char *)r->books.v;
}

/* One kind of row kept latest-by-key in store order: prices or books. */
typedef struct {
    size_t size;
    size_t ts_at; /* offset of the row's int64_t ts */
    int (*cmp)(const odz_card_rows *r, const void *a, const void *b);
    char *(*rows)(odz_card_rows *r, size_t *n);
    int (*grow)(odz_card_rows *r, const void *row); /* append a copy: 0 or ODZ_ENOMEM */
} row_kind;

static const row_kind prices_kind = {sizeof(odz_price), offsetof(odz_price, ts), price_cmp,
                                     prices_of, grow_prices};
static const row_kind books_kind = {sizeof(odz_exbook), offsetof(odz_exbook, ts), book_cmp,
                                    books_of, grow_books};

static int64_t ts_of(const row_kind *k, const void *row)
{
    int64_t ts;
    memcpy(&ts, (const char *)row + k->ts_at, sizeof ts);
    return ts;
}

/* Make `row` the row of its key unless a later one is there: 1 changed, 0 not, or
 * ODZ_ENOTFOUND (a runner the rows do not know of), ODZ_ENOMEM. */
static int put_row(odz_card_rows *r, const row_kind *k, int64_t selection_id, const void *row)
{
    if (!number_of(r, selection_id))
        return ODZ_ENOTFOUND;
    size_t n, pos = 0;
    char *v = k->rows(r, &n);
    int c = 1;
    while (pos < n && (c = k->cmp(r, v + pos * k->size, row)) < 0)
        pos++;
    if (pos < n && c == 0) {
        if (ts_of(k, row) < ts_of(k, v + pos * k->size))
            return 0; /* history, or a state older than the one shown */
        memcpy(v + pos * k->size, row, k->size);
        return 1;
    }
    if (k->grow(r, row))
        return ODZ_ENOMEM;
    v = k->rows(r, &n); /* moved, one longer */
    memmove(v + (pos + 1) * k->size, v + pos * k->size, (n - 1 - pos) * k->size);
    memcpy(v + pos * k->size, row, k->size);
    return 1;
}

int odz_card_rows_apply_price(odz_card_rows *r, const odz_price *p)
{
    return put_row(r, &prices_kind, p->selection_id, p);
}

int odz_card_rows_apply_book(odz_card_rows *r, const odz_exbook *b)
{
    return put_row(r, &books_kind, b->selection_id, b);
}

/* ---- flucs: every runner's price history ---- */

/* One runner's {"selection_id","number","name","flucs":{market:[[ts,odds],...]}} from the
 * race's history (`h`, each runner's points in the store's order: ts, then as written). The
 * rule of what is shown: other providers' fixed odds only while the runner has no point of
 * our own, in any market; every other market of every provider always. */
static json_t *flucs_runner(const odz_selection *s, const odz_prices *h)
{
    int ours = 0;
    for (size_t k = 0; k < h->n && !ours; k++)
        ours = h->v[k].selection_id == s->id && !strcmp(h->v[k].provider, ODZ_PROVIDER_OURS);
    json_t *fl = json_object();
    int ok = fl != NULL;
    for (size_t k = 0; ok && k < h->n; k++) {
        const odz_price *p = &h->v[k];
        if (p->selection_id != s->id ||
            (ours && p->market <= ODZ_FIXED_PLACE && strcmp(p->provider, ODZ_PROVIDER_OURS)))
            continue;
        const char *mk = odz_market_name(p->market);
        json_t *arr = json_object_get(fl, mk);
        if (!arr && json_object_set_new(fl, mk, arr = json_array()))
            ok = 0;
        else
            ok = !json_array_append_new(
                arr, json_pack("[I,o]", (json_int_t)p->ts, odz_json_odds(p->odds)));
    }
    if (!ok) {
        json_decref(fl);
        return NULL;
    }
    return json_pack("{s:I,s:i,s:s,s:o}", "selection_id", (json_int_t)s->id, "number", s->number,
                     "name", s->name, "flucs", fl);
}

json_t *odz_card_flucs(int64_t race_id, const odz_card_rows *r, int with_rows)
{
    json_t *runners = json_array();
    for (size_t i = 0; runners && i < r->sels.n; i++)
        if (json_array_append_new(runners, flucs_runner(&r->sels.v[i], &r->prices))) {
            json_decref(runners);
            runners = NULL;
        }
    json_t *j =
        runners ? json_pack("{s:I,s:o}", "race_id", (json_int_t)race_id, "runners", runners) : NULL;
    if (j && with_rows) {
        json_t *rows = odz_card_rows_to_json(r);
        if (!rows || json_object_set_new(j, "rows", rows)) {
            json_decref(j);
            j = NULL;
        }
    }
    return j;
}

int odz_card_price_event_previous(const json_t *ev, int *previous)
{
    const json_t *pv = json_object_get(ev, "previous");
    if (!pv)
        return ODZ_EINVAL;
    return odds_of(pv, previous) ? ODZ_EINVAL : 0;
}

int odz_card_flucs_apply(odz_card_rows *r, const odz_price *p, int previous)
{
    if (!number_of(r, p->selection_id))
        return ODZ_ENOTFOUND;
    const odz_price *latest = NULL;
    size_t pos = r->prices.n; /* after the runner's last point at or before p->ts */
    int seen = 0;
    for (size_t k = 0; k < r->prices.n; k++) {
        const odz_price *q = &r->prices.v[k];
        if (q->selection_id != p->selection_id)
            continue;
        if (q->ts <= p->ts)
            pos = k + 1;
        else if (!seen)
            pos = k; /* the runner's first point is later than p */
        seen = 1;
        if (q->market == p->market && !strcmp(q->provider, p->provider) &&
            (!latest || q->ts >= latest->ts))
            latest = q;
    }
    for (size_t k = 0; k < r->prices.n; k++) {
        const odz_price *q = &r->prices.v[k];
        if (q->selection_id == p->selection_id && q->market == p->market && q->ts == p->ts &&
            q->odds == p->odds && !strcmp(q->provider, p->provider))
            return 0; /* the history has it already (a build read it after the event) */
    }
    /* the event names the odds it follows: other ones mean a point in between never reached
     * us (a keyed event replaced in a queue), and only the store has it */
    if ((latest ? latest->odds : 0) != previous)
        return ODZ_ESTATE;
    if (r->prices.n >= MAX_ROWS)
        return ODZ_EFULL;
    if (odz_prices_push(&r->prices, p))
        return ODZ_ENOMEM;
    odz_price *v = r->prices.v;
    memmove(v + pos + 1, v + pos, (r->prices.n - 1 - pos) * sizeof *v);
    v[pos] = *p;
    return 1;
}

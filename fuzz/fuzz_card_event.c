/* libFuzzer target: the API view cache's reading of race.<id>.price and race.<id>.exchange
 * events and of a race card's or flucs' rows (racing/card.h), on any bytes, as views.c's patch
 * reads them from the bus. Whatever decodes is applied to a small race's card rows (they stay
 * in the store's order with one row per key, and the card renders) and, with its "previous"
 * odds, to its flucs history (each runner's points stay in ts order, and the flucs render). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "racing/card.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void seed(odz_card_rows *r)
{
    for (int i = 1; i <= 3; i++) {
        odz_selection s = {.id = i, .race_id = 1, .number = 4 - i};
        snprintf(s.source_key, sizeof s.source_key, "S%d", i);
        snprintf(s.name, sizeof s.name, "Runner %d", i);
        s.scratched = i == 3;
        odz_selections_push(&r->sels, &s);
    }
}

/* Rows in the store's order, each key once. */
static void check_order(const odz_card_rows *r)
{
    for (size_t i = 1; i < r->prices.n; i++) {
        const odz_price *a = &r->prices.v[i - 1], *b = &r->prices.v[i];
        int na = 4 - (int)a->selection_id, nb = 4 - (int)b->selection_id;
        int c = na != nb                 ? na - nb
                : a->market != b->market ? (int)a->market - (int)b->market
                                         : strcmp(a->provider, b->provider);
        if (c >= 0)
            __builtin_trap();
    }
    for (size_t i = 1; i < r->books.n; i++) {
        const odz_exbook *a = &r->books.v[i - 1], *b = &r->books.v[i];
        int na = 4 - (int)a->selection_id, nb = 4 - (int)b->selection_id;
        if ((na != nb ? na - nb : strcmp(a->provider, b->provider)) >= 0)
            __builtin_trap();
    }
}

/* Each runner's points of a flucs history in ts order. */
static void check_history(const odz_card_rows *h)
{
    for (size_t i = 0; i < h->prices.n; i++)
        for (size_t k = i + 1; k < h->prices.n; k++)
            if (h->prices.v[i].selection_id == h->prices.v[k].selection_id &&
                h->prices.v[i].ts > h->prices.v[k].ts)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[ODZ_ERRLEN];
    json_t *j = odz_json_loadb((const char *)data, size, 1u << 20, err, sizeof err);
    if (!j)
        return 0;
    odz_card_rows r = {0}, h = {0}, parsed;
    seed(&r);
    seed(&h);
    /* an event, or an array of them, applied in turn */
    size_t n = json_is_array(j) ? json_array_size(j) : 1;
    for (size_t i = 0; i < n && i < 64; i++) {
        const json_t *ev = json_is_array(j) ? json_array_get(j, i) : j;
        odz_price p;
        odz_exbook b;
        if (odz_card_price_event(ev, &p, err, sizeof err) == 0) {
            if (p.ts <= 0 || !p.provider[0] || (unsigned)p.market >= ODZ_MARKETS)
                __builtin_trap();
            odz_card_rows_apply_price(&r, &p);
            int prev;
            if (odz_card_price_event_previous(ev, &prev) == 0) {
                if (prev < 0)
                    __builtin_trap();
                odz_card_flucs_apply(&h, &p, prev);
            }
        }
        if (odz_card_book_event(ev, &b, err, sizeof err) == 0) {
            if (odz_exchange_book_check(&b.book, NULL, 0) || !b.provider[0])
                __builtin_trap();
            odz_card_rows_apply_book(&r, &b);
        }
    }
    check_order(&r);
    check_history(&h);
    json_t *fl = odz_card_flucs(1, &h, 1);
    if (!fl || json_array_size(json_object_get(fl, "runners")) != h.sels.n)
        __builtin_trap();
    json_decref(fl);
    json_t *runners, *cmp;
    if (odz_card_runners(&r, &runners, &cmp) == 0) {
        if (json_array_size(runners) != r.sels.n)
            __builtin_trap();
        json_decref(runners);
        json_decref(cmp);
    }
    /* the rows as the racing service sends them */
    if (odz_card_rows_from_json(j, &parsed, err, sizeof err) == 0)
        odz_card_rows_free(&parsed);
    odz_card_rows_free(&r);
    odz_card_rows_free(&h);
    json_decref(j);
    return 0;
}

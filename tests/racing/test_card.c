/* racing/card: the race card's rows patched from events follow the store (latest by ts, the
 * last written on a tie, rows in the store's order), events are read back exactly as the
 * racing service publishes them, bad events are refused, and the rows survive their JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/json.h"
#include "racing/card.h"

static odz_card_rows three_runners(void)
{
    odz_card_rows r = {0};
    /* selection ids in another order than the runner numbers */
    for (int i = 0; i < 3; i++) {
        odz_selection s = {.id = 30 - i * 10, .race_id = 7, .number = i + 1};
        snprintf(s.source_key, sizeof s.source_key, "K%d", i);
        snprintf(s.name, sizeof s.name, "Runner %d", i + 1);
        assert_int_equal(odz_selections_push(&r.sels, &s), 0);
    }
    return r;
}

static odz_price P(int64_t sel, const char *provider, odz_market m, int odds, int64_t ts)
{
    odz_price p = {.selection_id = sel, .market = m, .odds = odds, .ts = ts};
    snprintf(p.provider, sizeof p.provider, "%s", provider);
    return p;
}

static void prices_follow_the_store(void **state)
{
    (void)state;
    odz_card_rows r = three_runners();
    odz_price a = P(10, "tab", ODZ_FIXED_WIN, 300, 100), b = P(30, "tab", ODZ_FIXED_WIN, 400, 100),
              c = P(30, "oddzy", ODZ_FIXED_WIN, 410, 100),
              d = P(30, "oddzy", ODZ_FIXED_PLACE, 150, 90);
    assert_int_equal(odz_card_rows_apply_price(&r, &a), 1);
    assert_int_equal(odz_card_rows_apply_price(&r, &b), 1);
    assert_int_equal(odz_card_rows_apply_price(&r, &c), 1);
    assert_int_equal(odz_card_rows_apply_price(&r, &d), 1);
    /* by runner number (selection 30 is runner 1), market, provider bytewise */
    assert_int_equal(r.prices.n, 4);
    assert_int_equal(r.prices.v[0].odds, 410);
    assert_int_equal(r.prices.v[1].odds, 400);
    assert_int_equal(r.prices.v[2].odds, 150);
    assert_int_equal(r.prices.v[3].odds, 300);
    /* an older point is history: nothing changes; the same ts replaces (the last written) */
    odz_price old = P(30, "tab", ODZ_FIXED_WIN, 999, 99),
              tie = P(30, "tab", ODZ_FIXED_WIN, 420, 100);
    assert_int_equal(odz_card_rows_apply_price(&r, &old), 0);
    assert_int_equal(r.prices.v[1].odds, 400);
    assert_int_equal(odz_card_rows_apply_price(&r, &tie), 1);
    assert_int_equal(r.prices.v[1].odds, 420);
    assert_int_equal(r.prices.n, 4);
    /* a runner the rows do not know of: they are out of date */
    odz_price stranger = P(99, "tab", ODZ_FIXED_WIN, 300, 200);
    assert_int_equal(odz_card_rows_apply_price(&r, &stranger), ODZ_ENOTFOUND);
    assert_int_equal(r.prices.n, 4);
    odz_card_rows_free(&r);
}

/* A price event as the racing service publishes it reads back to the point. */
static void price_events_read_back(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN];
    odz_price p;
    json_t *ev =
        json_pack("{s:I,s:I,s:i,s:s,s:s,s:o,s:o,s:I}", "race_id", (json_int_t)7, "selection_id",
                  (json_int_t)20, "number", 2, "market", "tote_win", "provider", "tab", "price",
                  odz_json_odds(1234), "previous", odz_json_odds(0), "ts", (json_int_t)1700000000);
    assert_int_equal(odz_card_price_event(ev, &p, err, sizeof err), 0);
    assert_int_equal(p.selection_id, 20);
    assert_int_equal(p.market, ODZ_TOTE_WIN);
    assert_string_equal(p.provider, "tab");
    assert_int_equal(p.odds, 1234);
    assert_int_equal(p.ts, 1700000000);
    /* refused: no ts (cannot be ordered), no provider, a bad market, odds below 1.00 */
    json_t *bad[4];
    for (int i = 0; i < 4; i++)
        bad[i] = json_deep_copy(ev);
    json_object_del(bad[0], "ts");
    json_object_del(bad[1], "provider");
    json_object_set_new(bad[2], "market", json_string("each_way"));
    json_object_set_new(bad[3], "price", json_real(0.5));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(odz_card_price_event(bad[i], &p, err, sizeof err), ODZ_EINVAL);
        json_decref(bad[i]);
    }
    assert_int_equal(odz_card_price_event(json_array_get(NULL, 0), &p, err, sizeof err),
                     ODZ_EINVAL);
    json_decref(ev);
}

/* A book event (the service's: ids and odz_exchange_book_to_json) reads back to the book. */
static void book_events_read_back(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN];
    odz_exbook b = {.selection_id = 20,
                    .provider = "betfair",
                    .ts = 1700000000,
                    .book = {.back = {{345, 12050}, {340, 1}},
                             .lay = {{355, 99999999}},
                             .last_traded = 350,
                             .traded_volume = 123456789,
                             .starting_price = 0}};
    json_t *ev =
        json_pack("{s:I,s:I,s:i,s:s,s:I}", "race_id", (json_int_t)7, "selection_id", (json_int_t)20,
                  "number", 2, "provider", "betfair", "ts", (json_int_t)b.ts);
    json_t *book = odz_exchange_book_to_json(&b.book);
    json_object_update(ev, book);
    json_decref(book);
    odz_exbook got;
    assert_int_equal(odz_card_book_event(ev, &got, err, sizeof err), 0);
    assert_true(odz_exchange_book_same(&got.book, &b.book));
    assert_int_equal(got.selection_id, 20);
    assert_int_equal(got.ts, b.ts);
    assert_string_equal(got.provider, "betfair");
    /* a back ladder that gets better is not a book */
    json_t *back = json_object_get(ev, "back");
    json_object_set_new(json_array_get(back, 1), "price", json_real(9.0));
    assert_int_equal(odz_card_book_event(ev, &got, err, sizeof err), ODZ_EINVAL);
    json_decref(ev);

    odz_card_rows r = three_runners();
    odz_exbook place = b;
    snprintf(place.provider, sizeof place.provider, "betfair_place");
    assert_int_equal(odz_card_rows_apply_book(&r, &place), 1);
    assert_int_equal(odz_card_rows_apply_book(&r, &b), 1);
    assert_string_equal(r.books.v[0].provider, "betfair");
    b.ts--;
    b.book.last_traded = 400;
    assert_int_equal(odz_card_rows_apply_book(&r, &b), 0); /* an older state */
    assert_int_equal(r.books.v[0].book.last_traded, 350);
    assert_int_equal(r.books.n, 2);
    odz_card_rows_free(&r);
}

/* The rows the service sends with a card come back the same and render the same card. */
static void rows_survive_their_json(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN];
    odz_card_rows r = three_runners(), back = {0};
    r.sels.v[2].scratched = true;
    r.sels.v[1].weight = 5650;
    odz_price ps[] = {P(30, "oddzy", ODZ_FIXED_WIN, 350, 5), P(20, "tab", ODZ_FIXED_WIN, 420, 6),
                      P(10, "tab", ODZ_TOTE_WIN, 800, 7)};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(odz_card_rows_apply_price(&r, &ps[i]), 1);
    json_t *j = odz_card_rows_to_json(&r);
    assert_non_null(j);
    assert_int_equal(odz_card_rows_from_json(j, &back, err, sizeof err), 0);
    json_t *r1, *c1, *r2, *c2;
    assert_int_equal(odz_card_runners(&r, &r1, &c1), 0);
    assert_int_equal(odz_card_runners(&back, &r2, &c2), 0);
    char *a = odz_json_dumps(r1), *b = odz_json_dumps(r2), *ca = odz_json_dumps(c1),
         *cb = odz_json_dumps(c2);
    assert_string_equal(a, b);
    assert_string_equal(ca, cb);
    free(a);
    free(b);
    free(ca);
    free(cb);
    json_decref(r1);
    json_decref(r2);
    json_decref(c1);
    json_decref(c2);
    /* a broken row: refused, nothing kept */
    json_object_set_new(json_array_get(json_object_get(j, "prices"), 0), "market",
                        json_string("nope"));
    odz_card_rows none = {0};
    assert_int_equal(odz_card_rows_from_json(j, &none, err, sizeof err), ODZ_EINVAL);
    assert_int_equal(none.prices.n, 0);
    json_decref(j);
    odz_card_rows_free(&r);
    odz_card_rows_free(&back);
}

/* The flucs rule: another provider's fixed odds shown until the runner has a point of ours
 * (any market), its tote and exchange always; points in history order per market. Patching:
 * a point goes after the runner's points at or before its ts, a point held already changes
 * nothing, and an event whose "previous" is not the latest held point of its runner, market
 * and provider (one in between was lost) or of an unknown runner is refused. */
static void flucs_follow_the_history(void **state)
{
    (void)state;
    odz_card_rows r = three_runners();
    /* as the service reads it: runner by runner, each by ts */
    odz_price h[] = {P(20, "tab", ODZ_FIXED_WIN, 500, 100), P(20, "tab", ODZ_TOTE_WIN, 520, 101),
                     P(20, "tab", ODZ_FIXED_WIN, 480, 110)};
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
        assert_int_equal(odz_prices_push(&r.prices, &h[i]), 0);
    json_t *j = odz_card_flucs(7, &r, 0);
    char *txt = odz_json_dumps(j);
    assert_string_equal(txt,
                        "{\"race_id\":7,\"runners\":["
                        "{\"selection_id\":30,\"number\":1,\"name\":\"Runner 1\",\"flucs\":{}},"
                        "{\"selection_id\":20,\"number\":2,\"name\":\"Runner 2\",\"flucs\":"
                        "{\"fixed_win\":[[100,5.0],[110,4.8]],\"tote_win\":[[101,5.2]]}},"
                        "{\"selection_id\":10,\"number\":3,\"name\":\"Runner 3\",\"flucs\":{}}]}");
    free(txt);
    json_decref(j);

    /* our first point, older than tab's last: tab's fixed odds go, its tote stays */
    odz_price ours = P(20, "oddzy", ODZ_FIXED_WIN, 450, 105);
    assert_int_equal(odz_card_flucs_apply(&r, &ours, 0), 1);
    assert_int_equal(odz_card_flucs_apply(&r, &ours, 0), 0); /* held already */
    odz_price next = P(20, "oddzy", ODZ_FIXED_WIN, 440, 120);
    assert_int_equal(odz_card_flucs_apply(&r, &next, 460), ODZ_ESTATE); /* 460 never came */
    assert_int_equal(odz_card_flucs_apply(&r, &next, 450), 1);
    odz_price stranger = P(99, "oddzy", ODZ_FIXED_WIN, 440, 120);
    assert_int_equal(odz_card_flucs_apply(&r, &stranger, 0), ODZ_ENOTFOUND);
    j = odz_card_flucs(7, &r, 0);
    json_t *fl = json_object_get(json_array_get(json_object_get(j, "runners"), 1), "flucs");
    txt = odz_json_dumps(fl);
    /* markets in the order of their first point shown, as the service writes them */
    assert_string_equal(txt, "{\"tote_win\":[[101,5.2]],\"fixed_win\":[[105,4.5],[120,4.4]]}");
    free(txt);
    json_decref(j);

    /* with rows: they read back to the same flucs */
    j = odz_card_flucs(7, &r, 1);
    odz_card_rows back = {0};
    char err[ODZ_ERRLEN];
    assert_int_equal(odz_card_rows_from_json(json_object_get(j, "rows"), &back, err, sizeof err),
                     0);
    json_object_del(j, "rows");
    json_t *again = odz_card_flucs(7, &back, 0);
    assert_true(json_equal(j, again));
    json_decref(again);
    json_decref(j);
    odz_card_rows_free(&back);
    odz_card_rows_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prices_follow_the_store),  cmocka_unit_test(price_events_read_back),
        cmocka_unit_test(book_events_read_back),    cmocka_unit_test(rows_survive_their_json),
        cmocka_unit_test(flucs_follow_the_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* racing/compare: shown prices (our own market first), every provider's prices, best prices
 * and market percentages; against worked numbers and against the recorded odds-comparison
 * race card (19 agencies with the market percentages the site showed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/fixture.h"

#include "core/err.h"
#include "racing/compare.h"
#include "source/source.h"

static odz_price P(int64_t sel, const char *provider, odz_market m, int odds, int64_t ts)
{
    odz_price p = {.selection_id = sel, .market = m, .odds = odds, .ts = ts};
    snprintf(p.provider, sizeof p.provider, "%s", provider);
    return p;
}

static double num(const json_t *o, const char *path1, const char *path2)
{
    const json_t *v = json_object_get(json_object_get(o, path1), path2);
    return json_number_value(v);
}

static void percentage_worked(void **state)
{
    (void)state;
    /* a fair book of two even-money runners: 50 % + 50 % */
    int even[] = {200, 200};
    size_t used;
    assert_int_equal(odz_compare_percentage(even, 2, &used), 10000);
    assert_int_equal(used, 2);
    /* $1.90, $3.50, $5.00: 52.63 + 28.57 + 20.00 = 101.20 % */
    int three[] = {190, 350, 500, 0 /* no price: not counted */};
    assert_int_equal(odz_compare_percentage(three, 4, &used), 10120);
    assert_int_equal(used, 3);
    int none[] = {0, 0};
    assert_int_equal(odz_compare_percentage(none, 2, &used), 0);
    assert_int_equal(used, 0);
}

static void shown_and_compared(void **state)
{
    (void)state;
    odz_selection s[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
    odz_prices ps = {0};
    odz_price rows[] = {
        P(1, "oddzy", ODZ_FIXED_WIN, 300, 100),     P(1, "ladbrokes", ODZ_FIXED_WIN, 320, 150),
        P(1, "ladbrokes", ODZ_FIXED_WIN, 310, 90), /* older: not current */
        P(1, "neds", ODZ_FIXED_WIN, 320, 140),      P(1, "tab", ODZ_TOTE_WIN, 290, 160),
        P(2, "oddzy", ODZ_FIXED_WIN, 250, 100),     P(2, "ladbrokes", ODZ_FIXED_WIN, 240, 150),
        P(2, "betfair", ODZ_EXCHANGE_BACK, 260, 155), P(2, "betfair", ODZ_EXCHANGE_LAY, 270, 155),
        P(3, "ladbrokes", ODZ_FIXED_WIN, 500, 150), P(3, "oddzy", ODZ_FIXED_WIN, 450, 100),
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        assert_int_equal(odz_prices_push(&ps, &rows[i]), 0);

    int shown[4];
    int64_t ts[4];
    odz_compare_shown(&s[0], &ps, shown, ts);
    assert_int_equal(shown[ODZ_FIXED_WIN], 300); /* ours, though ladbrokes' is newer */
    assert_int_equal(ts[ODZ_FIXED_WIN], 100);
    assert_int_equal(shown[ODZ_TOTE_WIN], 290);
    assert_int_equal(shown[ODZ_FIXED_PLACE], 0);
    assert_int_equal(ts[ODZ_FIXED_PLACE], 0);

    json_t *runners = json_pack("[{},{},{}]");
    json_decref(odz_compare_race(&(odz_selections){s, 3, 3}, &ps, runners));
    json_t *r = json_array_get(runners, 0);
    assert_true(num(json_object_get(r, "odds"), "ladbrokes", "fixed_win") == 3.2);
    assert_true(num(json_object_get(r, "odds"), "tab", "tote_win") == 2.9);
    assert_null(json_object_get(json_object_get(r, "odds"), "betfair")); /* none for runner 1 */
    /* ladbrokes and neds both $3.20: the one named first */
    json_t *bw = json_object_get(json_object_get(r, "best"), "fixed_win");
    assert_string_equal(json_string_value(json_object_get(bw, "provider")), "ladbrokes");
    assert_true(json_number_value(json_object_get(bw, "price")) == 3.2);
    assert_true(json_is_null(json_object_get(json_object_get(r, "best"), "fixed_place")));
    json_decref(runners);

    /* the race: ladbrokes prices all three: 100/3.2 + 100/2.4 + 100/5 = 31.25+41.67+20 */
    json_t *c = odz_compare_race(&(odz_selections){s, 3, 3}, &ps, NULL);
    json_t *pv = json_object_get(c, "providers");
    assert_int_equal(json_array_size(pv), 5); /* betfair, ladbrokes, neds, oddzy, tab */
    json_t *lad = json_array_get(pv, 1);
    assert_string_equal(json_string_value(json_object_get(lad, "provider")), "ladbrokes");
    json_t *lw = json_object_get(json_object_get(lad, "markets"), "fixed_win");
    assert_true(json_number_value(json_object_get(lw, "percentage")) == 92.92);
    assert_int_equal(json_integer_value(json_object_get(lw, "runners")), 3);
    json_t *bf = json_object_get(json_object_get(json_array_get(pv, 0), "markets"), "exchange_back");
    assert_int_equal(json_integer_value(json_object_get(bf, "runners")), 1);
    /* best prices: 3.2, 2.5 (ours), 5.0: 31.25 + 40 + 20 = 91.25 */
    assert_true(num(json_object_get(c, "best"), "fixed_win", "percentage") == 91.25);
    json_decref(c);

    /* runner 3 scratched: out of every percentage and of its own odds at once */
    s[2].scratched = true;
    c = odz_compare_race(&(odz_selections){s, 3, 3}, &ps, NULL);
    lw = json_object_get(json_object_get(json_array_get(json_object_get(c, "providers"), 1),
                                         "markets"),
                         "fixed_win");
    assert_true(json_number_value(json_object_get(lw, "percentage")) == 72.92);
    assert_int_equal(json_integer_value(json_object_get(lw, "runners")), 2);
    assert_true(num(json_object_get(c, "best"), "fixed_win", "percentage") == 71.25);
    json_decref(c);
    runners = json_pack("[{},{},{}]");
    json_decref(odz_compare_race(&(odz_selections){s, 3, 3}, &ps, runners));
    r = json_array_get(runners, 2);
    assert_int_equal(json_object_size(json_object_get(r, "odds")), 0);
    assert_true(json_is_null(json_object_get(json_object_get(r, "best"), "fixed_win")));
    odz_compare_shown(&s[2], &ps, shown, ts);
    assert_int_equal(shown[ODZ_FIXED_WIN], 0);
    json_decref(runners);
    odz_prices_free(&ps);
}

/* The recorded race card: every agency's fixed win market percentage as the site showed it
 * (marketPercentage, whole percent) is what we compute from the same prices. */
static void recorded_card_percentages(void **state)
{
    (void)state;
    size_t len;
    char *body = fixture_slurp("oddscomau/race_card_decoded.json", &len);
    odz_scrape sc = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(odz_source_find("oddscomau")->parse_race(body, len, NULL, &sc, err,
                                                             sizeof err),
                     0);
    odz_selections sels = {0};
    odz_prices ps = {0};
    for (size_t i = 0; i < sc.n_selections; i++) {
        odz_selection x = sc.selections[i].sel;
        x.id = (int64_t)i + 1;
        assert_int_equal(odz_selections_push(&sels, &x), 0);
    }
    for (size_t i = 0; i < sc.n_prices; i++) {
        odz_price p = sc.prices[i].price;
        for (size_t j = 0; j < sc.n_selections; j++)
            if (!strcmp(sc.selections[j].sel.source_key, sc.prices[i].selection_key))
                p.selection_id = (int64_t)j + 1;
        if (p.ts == 0)
            p.ts = 1528933000;
        assert_int_equal(odz_prices_push(&ps, &p), 0);
    }
    json_t *c = odz_compare_race(&sels, &ps, NULL);
    json_t *card = json_loadb(body, len, 0, NULL);
    assert_non_null(card);
    size_t i, checked = 0;
    json_t *ag;
    json_array_foreach(json_object_get(card, "agencies"), i, ag)
    {
        const json_t *mp = json_object_get(ag, "marketPercentage");
        const char *bt = json_string_value(json_object_get(ag, "betType"));
        if (!json_is_number(mp) || !bt || strcmp(bt, "FixedWin"))
            continue;
        char name[64];
        snprintf(name, sizeof name, "%s", json_string_value(json_object_get(ag, "agencyName")));
        for (char *p = name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        size_t k;
        json_t *pv;
        double ours = -1;
        json_array_foreach(json_object_get(c, "providers"), k, pv) if (
            !strcmp(json_string_value(json_object_get(pv, "provider")), name)) ours =
            num(json_object_get(pv, "markets"), "fixed_win", "percentage");
        if (ours < 0)
            fail_msg("agency %s has no fixed_win percentage", name);
        double theirs = json_number_value(mp);
        if (ours < theirs - 1 || ours > theirs + 1)
            fail_msg("%s: we compute %.2f %%, the site showed %.0f %%", name, ours, theirs);
        checked++;
    }
    assert_true(checked >= 12);
    assert_true(json_array_size(json_object_get(c, "providers")) >= 17);
    json_decref(card);
    json_decref(c);
    odz_prices_free(&ps);
    odz_selections_free(&sels);
    odz_scrape_free(&sc);
    free(body);
}

/* Each runner's exchange books by provider, in currency units; none once scratched. */
static void exchange_books_by_provider(void **state)
{
    (void)state;
    odz_selection s[3] = {{.id = 1}, {.id = 2}, {.id = 3, .scratched = true}};
    odz_selections sels = {s, 3, 3};
    odz_exbook rows[3] = {
        {.selection_id = 1, .provider = "betfair", .ts = 1000},
        {.selection_id = 1, .provider = "betfair_place", .ts = 1001},
        {.selection_id = 3, .provider = "betfair", .ts = 1002},
    };
    rows[0].book.back[0] = (odz_exchange_offer){345, 12050};
    rows[0].book.back[1] = (odz_exchange_offer){340, 99};
    rows[0].book.lay[0] = (odz_exchange_offer){350, 1};
    rows[0].book.last_traded = 345;
    rows[0].book.traded_volume = 100000001;
    rows[1].book.starting_price = 160;
    rows[2].book.back[0] = (odz_exchange_offer){900, 100};
    odz_exbooks books = {rows, 3, 3};
    json_t *runners = json_pack("[{},{},{}]");
    odz_compare_exchange(&sels, &books, runners);
    json_t *ex = json_object_get(json_array_get(runners, 0), "exchange");
    assert_int_equal(json_object_size(ex), 2);
    json_t *bf = json_object_get(ex, "betfair");
    json_t *back = json_object_get(bf, "back");
    assert_int_equal(json_array_size(back), 2);
    assert_true(json_number_value(json_object_get(json_array_get(back, 0), "price")) == 3.45);
    assert_true(json_number_value(json_object_get(json_array_get(back, 0), "size")) == 120.5);
    assert_true(json_number_value(json_object_get(json_array_get(back, 1), "size")) == 0.99);
    assert_true(json_number_value(json_object_get(json_array_get(json_object_get(bf, "lay"), 0),
                                                  "size")) == 0.01);
    assert_true(json_number_value(json_object_get(bf, "traded_volume")) == 1000000.01);
    assert_true(json_number_value(json_object_get(bf, "last_traded")) == 3.45);
    assert_true(json_is_null(json_object_get(bf, "starting_price")));
    assert_int_equal(json_integer_value(json_object_get(bf, "ts")), 1000);
    json_t *pl = json_object_get(ex, "betfair_place");
    assert_int_equal(json_array_size(json_object_get(pl, "back")), 0);
    assert_true(json_number_value(json_object_get(pl, "starting_price")) == 1.6);
    assert_true(json_is_null(json_object_get(pl, "last_traded")));
    assert_int_equal(json_object_size(json_object_get(json_array_get(runners, 1), "exchange")), 0);
    /* scratched: its book is not shown */
    assert_int_equal(json_object_size(json_object_get(json_array_get(runners, 2), "exchange")), 0);
    json_decref(runners);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentage_worked),
        cmocka_unit_test(shown_and_compared),
        cmocka_unit_test(recorded_card_percentages),
        cmocka_unit_test(exchange_books_by_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

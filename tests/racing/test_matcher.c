/* racing/matcher: the odds matcher's incremental state. Rows and arbitrage of the recorded
 * odds-comparison race card (19 agencies) against a synthetic exchange lay; what a price
 * change, a scratching and a race closing publish (only the rows of the runner that moved);
 * filters; and the whole path through the racing service (commit -> odds.matcher). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "support/fixture.h"

#include "calc/matcher.h"
#include "core/clock.h"
#include "core/err.h"
#include "racing/matcher.h"
#include "racing/racing.h"
#include "source/source.h"

/* ---- events captured from the bus ---- */

typedef struct {
    pthread_mutex_t lock;
    json_t *ev; /* [{subject, data}] */
} sink;

static void on_event(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    sink *s = ud;
    pthread_mutex_lock(&s->lock);
    json_array_append_new(s->ev, json_pack("{s:s,s:o}", "subject", m->subject, "data",
                                           json_loadb(m->data, m->len, 0, NULL)));
    pthread_mutex_unlock(&s->lock);
}

static size_t count(sink *s, const char *subject)
{
    size_t n = 0, i;
    json_t *e;
    pthread_mutex_lock(&s->lock);
    json_array_foreach(s->ev, i, e) n +=
        !strcmp(json_string_value(json_object_get(e, "subject")), subject);
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* The events of `subject` once at least `want` have come (the in-process bus delivers on its
 * own thread) and a little longer, for any that should not come; taken out of the sink. */
static json_t *take(sink *s, const char *subject, size_t want)
{
    for (int i = 0; i < 1000 && count(s, subject) < want; i++)
        usleep(2000);
    usleep(30000);
    json_t *out = json_array(), *rest = json_array();
    size_t i;
    json_t *e;
    pthread_mutex_lock(&s->lock);
    json_array_foreach(s->ev, i, e) json_array_append(
        strcmp(json_string_value(json_object_get(e, "subject")), subject) ? rest : out,
        strcmp(json_string_value(json_object_get(e, "subject")), subject)
            ? e
            : json_object_get(e, "data"));
    json_decref(s->ev);
    s->ev = rest;
    pthread_mutex_unlock(&s->lock);
    return out;
}

static odz_price P(int64_t sel, const char *provider, odz_market m, int odds)
{
    odz_price p = {.selection_id = sel, .market = m, .odds = odds, .ts = 1000};
    snprintf(p.provider, sizeof p.provider, "%s", provider);
    return p;
}

static odz_race race_of(int64_t id, odz_race_status st, int64_t start)
{
    odz_race r = {.id = id, .number = 3, .status = st, .scheduled_start = start};
    snprintf(r.name, sizeof r.name, "Maiden Plate");
    return r;
}

static odz_meeting meeting_of(odz_race_type t)
{
    odz_meeting m = {.id = 1, .type = t};
    snprintf(m.name, sizeof m.name, "Randwick");
    return m;
}

/* ---- the recorded race card ---- */

typedef struct {
    odz_selections sels;
    odz_prices ps;
    odz_scrape sc;
    char *body;
} card;

/* A price one can back at a bookmaker: not the exchange, not the site's "best" and "average"
 * summaries of the others. */
static bool is_bookmaker_price(const odz_price *p)
{
    return p->market == ODZ_FIXED_WIN && strcmp(p->provider, "betfair") &&
           strcmp(p->provider, "betfair_place") && strcmp(p->provider, "best") &&
           strcmp(p->provider, "average") && p->odds > 0;
}

/* As the store's latest_prices: the newest point of each (runner, provider, market). */
static void push_latest(odz_prices *ps, const odz_price *p)
{
    for (size_t k = 0; k < ps->n; k++) {
        odz_price *q = &ps->v[k];
        if (q->selection_id == p->selection_id && q->market == p->market &&
            !strcmp(q->provider, p->provider)) {
            if (p->ts > q->ts)
                *q = *p;
            return;
        }
    }
    assert_int_equal(odz_prices_push(ps, p), 0);
}

static void card_load(card *c)
{
    memset(c, 0, sizeof *c);
    size_t len;
    c->body = fixture_slurp("oddscomau/race_card_decoded.json", &len);
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(
        odz_source_find("oddscomau")->parse_race(c->body, len, NULL, &c->sc, err, sizeof err), 0);
    for (size_t i = 0; i < c->sc.n_selections; i++) {
        odz_selection x = c->sc.selections[i].sel;
        x.id = (int64_t)i + 1;
        assert_int_equal(odz_selections_push(&c->sels, &x), 0);
    }
    for (size_t i = 0; i < c->sc.n_prices; i++) {
        odz_price p = c->sc.prices[i].price;
        for (size_t j = 0; j < c->sc.n_selections; j++)
            if (!strcmp(c->sc.selections[j].sel.source_key, c->sc.prices[i].selection_key))
                p.selection_id = (int64_t)j + 1;
        if (p.market == ODZ_EXCHANGE_LAY)
            continue; /* the synthetic lay below replaces the recorded exchange */
        push_latest(&c->ps, &p);
    }
}

static void card_free(card *c)
{
    odz_selections_free(&c->sels);
    odz_prices_free(&c->ps);
    odz_scrape_free(&c->sc);
    free(c->body);
}

static int best_back(const card *c, int64_t sel)
{
    int best = 0;
    for (size_t k = 0; k < c->ps.n; k++)
        if (c->ps.v[k].selection_id == sel && is_bookmaker_price(&c->ps.v[k]) &&
            c->ps.v[k].odds > best)
            best = c->ps.v[k].odds;
    return best;
}

static json_t *rows(odz_matcher *m, const char *query)
{
    odz_matcher_query q;
    char err[ODZ_ERRLEN];
    if (odz_matcher_query_parse(query, &q, err, sizeof err))
        fail_msg("%s: %s", query, err);
    json_t *j = odz_matcher_rows(m, &q, 1000);
    json_t *r = json_incref(json_object_get(j, "rows"));
    json_decref(j);
    return r;
}

static double num(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static void recorded_card(void **state)
{
    (void)state;
    card c;
    card_load(&c);
    /* the synthetic exchange: each runner laid a tick or so above its best bookmaker price
     * (best x 1.05), except runner 1, laid below its best price: an arbitrage */
    size_t expect = 0, active = 0;
    for (size_t i = 0; i < c.sels.n; i++) {
        const odz_selection *s = &c.sels.v[i];
        int best = best_back(&c, s->id);
        if (s->scratched || !best)
            continue;
        active++;
        int lay = i == 0 ? best - 20 : best * 105 / 100;
        odz_price p = P(s->id, "betfair", ODZ_EXCHANGE_LAY, lay);
        assert_int_equal(odz_prices_push(&c.ps, &p), 0);
        for (size_t k = 0; k < c.ps.n; k++)
            expect += c.ps.v[k].selection_id == s->id && is_bookmaker_price(&c.ps.v[k]);
    }
    assert_true(active >= 8);
    assert_true(expect >= 100); /* 13 fixed-odds agencies on most of the runners */

    odz_matcher *m = odz_matcher_new(NULL);
    odz_race r = race_of(7, ODZ_OPEN, 5000);
    odz_meeting mt = meeting_of(ODZ_THOROUGHBRED);
    odz_matcher_put_race(m, &r, &mt, &c.sels, &c.ps, NULL);

    json_t *all = rows(m, "limit=1000&commission=0");
    assert_int_equal(json_array_size(all), expect);
    /* rating order, the arbitrage first: runner 1's best bookmaker above the lay */
    json_t *top = json_array_get(all, 0);
    assert_int_equal(json_integer_value(json_object_get(top, "selection_id")), 1);
    assert_true(json_is_true(json_object_get(top, "arbitrage")));
    assert_true(num(top, "rating") > 100);
    assert_true(num(top, "back") == best_back(&c, 1) / 100.0);
    assert_true(num(top, "lay") == (best_back(&c, 1) - 20) / 100.0);
    for (size_t i = 1; i < json_array_size(all); i++)
        assert_true(num(json_array_get(all, i - 1), "rating") >=
                    num(json_array_get(all, i), "rating"));
    /* every row is the calculator's answer for its prices */
    size_t i;
    json_t *row;
    json_array_foreach(all, i, row)
    {
        odz_matched_in in = {(int)(num(row, "back") * 100 + 0.5),
                             (int)(num(row, "lay") * 100 + 0.5),
                             1000,
                             0,
                             ODZ_BET_QUALIFYING,
                             ODZ_LAY_NORMAL};
        odz_matched_out o;
        char err[ODZ_ERRLEN];
        assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), 0);
        assert_true(num(row, "lay_stake") == o.lay_stake / 100.0);
        int64_t worst = o.back_wins < o.lay_wins ? o.back_wins : o.lay_wins;
        assert_true(num(row, "rating") ==
                    odz_matcher_rating(ODZ_BET_QUALIFYING, 1000, worst) / 100.0);
        assert_string_equal(json_string_value(json_object_get(row, "venue")), "Randwick");
        assert_true(json_is_null(json_object_get(row, "lay_size")));
        assert_true(json_is_null(json_object_get(row, "each_way"))); /* no place market */
    }
    json_decref(all);

    /* filters */
    json_t *b = rows(m, "bookmaker=bet365&limit=1000");
    assert_true(json_array_size(b) >= 8);
    json_array_foreach(b, i, row)
        assert_string_equal(json_string_value(json_object_get(row, "bookmaker")), "bet365");
    json_decref(b);
    b = rows(m, "min_odds=10&max_odds=20&limit=1000");
    json_array_foreach(b, i, row) assert_true(num(row, "back") >= 10 && num(row, "back") <= 20);
    json_decref(b);
    b = rows(m, "limit=3&sort=back&order=asc");
    assert_int_equal(json_array_size(b), 3);
    assert_true(num(json_array_get(b, 0), "back") <= num(json_array_get(b, 2), "back"));
    json_decref(b);
    static const char *const nothing[] = {"race_type=greyhound", "bookmaker=nobody",
                                          "min_rating=150",      "race_id=8",
                                          "min_liquidity=1",     "min_odds=999"};
    for (size_t k = 0; k < sizeof nothing / sizeof *nothing; k++) {
        b = rows(m, nothing[k]);
        if (json_array_size(b))
            fail_msg("%s matched %zu rows", nothing[k], json_array_size(b));
        json_decref(b);
    }
    b = rows(m, "minutes=60"); /* starts at 5000, now is 1000: 66 minutes away */
    assert_int_equal(json_array_size(b), 0);
    json_decref(b);
    b = rows(m, "minutes=67");
    assert_true(json_array_size(b) > 0);
    json_decref(b);

    /* arbitrage: runner 1's rows above the lay; the card's best book is over 100 % */
    odz_matcher_query q;
    char err[ODZ_ERRLEN];
    assert_int_equal(odz_matcher_query_parse("commission=0", &q, err, sizeof err), 0);
    json_t *a = odz_matcher_arbitrage(m, &q, 1000);
    assert_int_equal(json_array_size(json_object_get(a, "races")), 0);
    json_t *ar = json_object_get(a, "runners");
    assert_true(json_array_size(ar) >= 1);
    json_array_foreach(ar, i, row)
    {
        assert_int_equal(json_integer_value(json_object_get(row, "selection_id")), 1);
        assert_true(num(row, "back") > num(row, "lay"));
    }
    json_decref(a);
    odz_matcher_free(m);
    card_free(&c);
}

/* A three-runner race whose best prices make a book under 100 %: dutching stakes from the
 * calculator. */
static void arbitrage_race(void **state)
{
    (void)state;
    odz_selection s[3] = {{.id = 1, .number = 1}, {.id = 2, .number = 2}, {.id = 3, .number = 3}};
    odz_prices ps = {0};
    odz_price rows_[] = {P(1, "neds", ODZ_FIXED_WIN, 300), P(2, "neds", ODZ_FIXED_WIN, 250),
                         P(3, "neds", ODZ_FIXED_WIN, 500), P(1, "tab", ODZ_FIXED_WIN, 350),
                         P(2, "tab", ODZ_FIXED_WIN, 300)};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(odz_prices_push(&ps, &rows_[i]), 0);
    odz_matcher *m = odz_matcher_new(NULL);
    odz_race r = race_of(9, ODZ_OPEN, 2000);
    odz_meeting mt = meeting_of(ODZ_HARNESS);
    odz_matcher_put_race(m, &r, &mt, &(odz_selections){s, 3, 3}, &ps, NULL);
    odz_matcher_query q;
    char err[ODZ_ERRLEN];
    assert_int_equal(odz_matcher_query_parse("stake=100", &q, err, sizeof err), 0);
    json_t *a = odz_matcher_arbitrage(m, &q, 1000);
    /* best 3.50 (tab), 3.00 (tab), 5.00 (neds): 28.57 + 33.33 + 20 = 81.90 % */
    json_t *race = json_array_get(json_object_get(a, "races"), 0);
    assert_non_null(race);
    assert_true(num(race, "book") == 81.9);
    json_t *rs = json_object_get(race, "runners");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rs, 0), "provider")),
                        "tab");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rs, 2), "provider")),
                        "neds");
    /* 100 dutched: 34.88, 40.70, 24.42 (odz_calc_dutch), each returning about 122 */
    double total = 0;
    for (size_t i = 0; i < 3; i++)
        total += num(json_array_get(rs, i), "stake");
    assert_true(total > 99.999 && total < 100.001);
    assert_true(num(race, "min_profit") > 21);
    json_decref(a);
    /* no exchange: no matcher rows at all */
    json_t *none = rows(m, "limit=1000");
    assert_int_equal(json_array_size(none), 0);
    json_decref(none);
    odz_matcher_free(m);
    odz_prices_free(&ps);
}

/* The best fixed-win price of runner `i` (in card order) in a race.<id>.odds event. */
static double best_fixed_win(const json_t *ev, size_t i)
{
    return num(json_object_get(json_object_get(json_array_get(json_object_get(ev, "runners"), i),
                                               "best"),
                               "fixed_win"),
               "price");
}

/* What changes publish: a runner's rows only, nothing for a price no row reads, removals. */
static void incremental_events(void **state)
{
    (void)state;
    sink k = {.ev = json_array()};
    pthread_mutex_init(&k.lock, NULL);
    odz_bus *bus = odz_bus_inproc_new();
    odz_bus_subscribe(bus, ODZ_MATCHER_SUBJECT, NULL, 0, on_event, &k);
    odz_bus_subscribe(bus, "race.*.odds", NULL, 0, on_event, &k);
    odz_matcher *m = odz_matcher_new(bus);

    odz_selection s[5];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 5; i++) {
        s[i].id = 10 + i;
        s[i].number = i + 1;
        snprintf(s[i].name, sizeof s[i].name, "Runner %d", i + 1);
    }
    odz_prices ps = {0};
    for (int i = 0; i < 5; i++) {
        odz_price x[] = {P(10 + i, "neds", ODZ_FIXED_WIN, 300 + 100 * i),
                         P(10 + i, "tab", ODZ_FIXED_WIN, 280 + 100 * i),
                         P(10 + i, "betfair", ODZ_EXCHANGE_LAY, 320 + 100 * i),
                         P(10 + i, "betfair_place", ODZ_EXCHANGE_LAY, 150 + 20 * i)};
        for (size_t j = 0; j < 4; j++)
            assert_int_equal(odz_prices_push(&ps, &x[j]), 0);
    }
    odz_race r = race_of(5, ODZ_OPEN, 3000);
    odz_meeting mt = meeting_of(ODZ_GREYHOUND);
    odz_selections ss = {s, 5, 5};
    odz_matcher_put_race(m, &r, &mt, &ss, &ps, NULL);
    json_t *ev = take(&k, ODZ_MATCHER_SUBJECT, 5);
    assert_int_equal(json_array_size(ev), 5); /* every runner's rows */
    json_t *first = json_array_get(json_object_get(json_array_get(ev, 0), "rows"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "key")), "5.10.neds");
    assert_string_equal(json_string_value(json_object_get(first, "race_type")), "greyhound");
    /* 5 runners: 2 places at 1/4, against the place lay */
    json_t *ew = json_object_get(first, "each_way");
    assert_int_equal(json_integer_value(json_object_get(ew, "places")), 2);
    assert_string_equal(json_string_value(json_object_get(ew, "fraction")), "1/4");
    assert_true(num(ew, "place_odds") == 1.5);
    json_decref(ev);
    json_decref(take(&k, "race.5.odds", 1));

    /* neds moves runner 3: one message, runner 3's two rows, the new back price */
    odz_price p = P(12, "neds", ODZ_FIXED_WIN, 560);
    assert_int_equal(odz_matcher_price(m, 5, &p, -1), 0);
    ev = take(&k, ODZ_MATCHER_SUBJECT, 1);
    assert_int_equal(json_array_size(ev), 1);
    json_t *e = json_array_get(ev, 0);
    assert_int_equal(json_integer_value(json_object_get(e, "selection_id")), 12);
    assert_int_equal(json_array_size(json_object_get(e, "rows")), 2);
    assert_true(num(json_array_get(json_object_get(e, "rows"), 0), "back") == 5.6);
    assert_int_equal(json_array_size(json_object_get(e, "removed")), 0);
    json_decref(ev);
    /* and the race's odds: runner 3's best is now neds at 5.60 */
    ev = take(&k, "race.5.odds", 1);
    assert_int_equal(json_array_size(ev), 1);
    assert_true(best_fixed_win(json_array_get(ev, 0), 2) == 5.6);
    json_decref(ev);

    /* a tote price: no row reads it, no matcher message; a percentage moved: odds */
    p = P(12, "tab", ODZ_TOTE_WIN, 610);
    assert_int_equal(odz_matcher_price(m, 5, &p, -1), 0);
    ev = take(&k, ODZ_MATCHER_SUBJECT, 0);
    assert_int_equal(json_array_size(ev), 0);
    json_decref(ev);
    json_decref(take(&k, "race.5.odds", 1));
    /* the same price again: nothing changed, nothing published */
    assert_int_equal(odz_matcher_price(m, 5, &p, -1), 0);
    ev = take(&k, "race.5.odds", 0);
    assert_int_equal(json_array_size(ev), 0);
    json_decref(ev);

    /* the exchange lays runner 2 with 80.00 available: its rows only, the size known */
    p = P(11, "betfair", ODZ_EXCHANGE_LAY, 430);
    assert_int_equal(odz_matcher_price(m, 5, &p, 8000), 0);
    ev = take(&k, ODZ_MATCHER_SUBJECT, 1);
    assert_int_equal(json_array_size(ev), 1);
    e = json_array_get(ev, 0);
    assert_int_equal(json_integer_value(json_object_get(e, "selection_id")), 11);
    assert_true(num(json_array_get(json_object_get(e, "rows"), 0), "lay_size") == 80);
    json_decref(ev);
    /* the liquidity filter: rows of a known size at least that much */
    json_t *rr = rows(m, "min_liquidity=50&limit=1000");
    assert_int_equal(json_array_size(rr), 2);
    json_decref(rr);
    rr = rows(m, "min_liquidity=80.01");
    assert_int_equal(json_array_size(rr), 0);
    json_decref(rr);
    rr = rows(m, "sort=lay_size&limit=1");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rr, 0), "selection_id")),
                     11);
    json_decref(rr);

    /* runner 4 scratched: its rows removed; the others' each-way terms unchanged (4 left:
     * win only, so every runner is sent again without each-way) */
    s[3].scratched = true;
    odz_matcher_put_race(m, &r, &mt, &ss, &ps, NULL);
    ev = take(&k, ODZ_MATCHER_SUBJECT, 5);
    size_t i;
    json_array_foreach(ev, i, e)
    {
        if (json_integer_value(json_object_get(e, "selection_id")) == 13) {
            assert_int_equal(json_array_size(json_object_get(e, "rows")), 0);
            assert_int_equal(json_array_size(json_object_get(e, "removed")), 2);
        } else {
            assert_true(json_is_null(
                json_object_get(json_array_get(json_object_get(e, "rows"), 0), "each_way")));
        }
    }
    json_decref(ev);
    rr = rows(m, "limit=1000");
    assert_int_equal(json_array_size(rr), 8);
    json_decref(rr);

    /* the race closes: one message removes every row */
    r.status = ODZ_CLOSED;
    odz_matcher_put_race(m, &r, &mt, &ss, &ps, NULL);
    ev = take(&k, ODZ_MATCHER_SUBJECT, 1);
    assert_int_equal(json_array_size(ev), 1);
    e = json_array_get(ev, 0);
    assert_true(json_is_null(json_object_get(e, "selection_id")));
    assert_int_equal(json_array_size(json_object_get(e, "removed")), 8);
    json_decref(ev);
    rr = rows(m, NULL);
    assert_int_equal(json_array_size(rr), 0);
    json_decref(rr);
    p = P(12, "neds", ODZ_FIXED_WIN, 700);
    assert_int_equal(odz_matcher_price(m, 5, &p, -1), ODZ_ENOTFOUND);

    odz_matcher_free(m);
    odz_bus_close(bus);
    odz_prices_free(&ps);
    json_decref(k.ev);
    pthread_mutex_destroy(&k.lock);
}

/* A write's prices go in together: the race's odds are published once, after the last of
 * them, with their final state (not once a price). */
static void batch_odds_once(void **state)
{
    (void)state;
    sink k = {.ev = json_array()};
    pthread_mutex_init(&k.lock, NULL);
    odz_bus *bus = odz_bus_inproc_new();
    odz_bus_subscribe(bus, "race.*.odds", NULL, 0, on_event, &k);
    odz_matcher *m = odz_matcher_new(bus);
    odz_selection s[3];
    memset(s, 0, sizeof s);
    odz_prices ps = {0};
    for (int i = 0; i < 3; i++) {
        s[i].id = 10 + i;
        s[i].number = i + 1;
        snprintf(s[i].name, sizeof s[i].name, "Runner %d", i + 1);
        odz_price x = P(10 + i, "neds", ODZ_FIXED_WIN, 300 + 100 * i);
        assert_int_equal(odz_prices_push(&ps, &x), 0);
    }
    odz_race r = race_of(6, ODZ_OPEN, 3000);
    odz_meeting mt = meeting_of(ODZ_THOROUGHBRED);
    odz_selections ss = {s, 3, 3};
    odz_matcher_put_race(m, &r, &mt, &ss, &ps, NULL);
    json_decref(take(&k, "race.6.odds", 1));
    odz_changes ch = {0};
    for (int i = 0; i < 3; i++) { /* neds moves every runner, then runner 1 once more */
        odz_price_change pc = {.price = P(10 + i, "neds", ODZ_FIXED_WIN, 500 + 100 * i),
                               .race_id = 6, .number = i + 1, .size = -1};
        assert_int_equal(odz_changes_add_price(&ch, &pc), 0);
    }
    odz_price_change last = {.price = P(10, "neds", ODZ_FIXED_WIN, 990), .race_id = 6,
                             .number = 1, .size = -1};
    assert_int_equal(odz_changes_add_price(&ch, &last), 0);
    odz_matcher_apply(m, NULL, &ch);
    json_t *ev = take(&k, "race.6.odds", 1);
    assert_int_equal(json_array_size(ev), 1);
    assert_true(best_fixed_win(json_array_get(ev, 0), 0) == 9.9);
    json_decref(ev);
    odz_changes_free(&ch);
    odz_matcher_free(m);
    odz_bus_close(bus);
    odz_prices_free(&ps);
    json_decref(k.ev);
    pthread_mutex_destroy(&k.lock);
}

/* Through the racing service: a commit with the exchange and a bookmaker gives rows on
 * racing.oddsmatcher and odds.matcher; a price from the updater moves its runner's rows. */
static void through_the_service(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN];
    sink k = {.ev = json_array()};
    pthread_mutex_init(&k.lock, NULL);
    odz_bus *bus = odz_bus_inproc_new();
    odz_store *st = odz_store_sqlite_open(":memory:", err);
    assert_non_null(st);
    odz_racing *svc = odz_racing_start(bus, st, NULL, err);
    assert_non_null(svc);
    odz_bus_subscribe(bus, ODZ_MATCHER_SUBJECT, NULL, 0, on_event, &k);
    json_t *batch = json_pack(
        "{s:[{s:s,s:s,s:s,s:s,s:s,s:s}],"
        "s:[{s:s,s:{s:s,s:i,s:s,s:I,s:s}}],"
        "s:[{s:s,s:{s:s,s:i,s:s}},{s:s,s:{s:s,s:i,s:s}}],"
        "s:[{s:s,s:s,s:s,s:i},{s:s,s:s,s:s,s:i},{s:s,s:s,s:s,s:i},{s:s,s:s,s:s,s:i}]}",
        "meetings", "source_key", "M1", "name", "Randwick", "country", "AUS", "region",
        "Australia & New Zealand", "race_type", "thoroughbred", "date", "2099-11-26", "races",
        "meeting_key", "M1", "race", "source_key", "R1", "number", 1, "name", "Maiden",
        "scheduled_start", (json_int_t)4099999999, "status", "OPEN", "selections", "race_key", "R1",
        "selection", "source_key", "S1", "number", 1, "name", "Fast One", "race_key", "R1",
        "selection", "source_key", "S2", "number", 2, "name", "Slow Two", "prices", "selection_key",
        "S1", "provider", "neds", "market", "fixed_win", "odds", 300, "selection_key", "S1",
        "provider", "betfair", "market", "exchange_lay", "odds", 310, "selection_key", "S2",
        "provider", "neds", "market", "fixed_win", "odds", 200, "selection_key", "S2", "provider",
        "betfair", "market", "exchange_lay", "odds", 210);
    json_t *data = NULL;
    assert_int_equal(odz_racing_call(bus, "upsert_batch", batch, 2000, &data, err), 0);
    json_decref(batch);
    json_decref(data);
    json_t *ev = take(&k, ODZ_MATCHER_SUBJECT, 2);
    assert_int_equal(json_array_size(ev), 2);
    json_decref(ev);
    json_t *q = json_pack("{s:s}", "query", "stake=10&commission=5");
    assert_int_equal(odz_racing_call(bus, "oddsmatcher", q, 2000, &data, err), 0);
    json_decref(q);
    json_t *rs = json_object_get(data, "rows");
    assert_int_equal(json_array_size(rs), 2);
    /* issue 17's example is runner 1: back 3.0, lay 3.1, 10 at 5 %: lay 9.84 */
    json_t *r1 = json_array_get(rs, 0);
    if (json_integer_value(json_object_get(r1, "number")) != 1)
        r1 = json_array_get(rs, 1);
    assert_true(num(r1, "lay_stake") == 9.84);
    assert_true(num(r1, "rating") == 93.4);
    assert_string_equal(json_string_value(json_object_get(r1, "runner")), "Fast One");
    json_decref(data);
    /* a bad query is refused by the service too */
    q = json_pack("{s:s}", "query", "stake=-1");
    assert_int_equal(odz_racing_call(bus, "oddsmatcher", q, 2000, &data, err), ODZ_EINVAL);
    assert_non_null(strstr(err, "stake must be"));
    json_decref(q);

    /* the exchange's books: 120.50 at runner 1's lay of 3.10, 5.00 at runner 2's 2.10; the
     * sizes reach the rows and the liquidity filter */
    json_t *books = json_loads(
        "{\"books\":[{\"selection_key\":\"S1\",\"provider\":\"betfair\",\"back\":[{\"odds\":"
        "300,\"size\":900}],\"lay\":[{\"odds\":310,\"size\":12050}],\"last_traded\":305,"
        "\"traded_volume\":100000,\"starting_price\":0,\"ts\":1795600050},{\"selection_key\":"
        "\"S2\",\"provider\":\"betfair\",\"back\":[],\"lay\":[{\"odds\":210,\"size\":500}],"
        "\"last_traded\":0,\"traded_volume\":0,\"starting_price\":0,\"ts\":1795600050}]}",
        0, NULL);
    assert_non_null(books);
    assert_int_equal(odz_racing_call(bus, "upsert_batch", books, 2000, &data, err), 0);
    json_decref(books);
    json_decref(data);
    ev = take(&k, ODZ_MATCHER_SUBJECT, 2);
    assert_int_equal(json_array_size(ev), 2);
    json_decref(ev);
    q = json_pack("{s:s}", "query", "min_liquidity=100");
    assert_int_equal(odz_racing_call(bus, "oddsmatcher", q, 2000, &data, err), 0);
    json_decref(q);
    rs = json_object_get(data, "rows");
    assert_int_equal(json_array_size(rs), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rs, 0), "number")), 1);
    assert_true(num(json_array_get(rs, 0), "lay_size") == 120.5);
    json_decref(data);

    /* the price updater moves runner 2: its rows only */
    char msg[160]; /* a second later than the batch's points: one point a second is kept */
    snprintf(msg, sizeof msg,
             "[{\"selection_id\":2,\"provider\":\"neds\",\"market\":\"fixed_win\","
             "\"odds\":220,\"ts\":%lld}]",
             (long long)odz_now() + 2);
    odz_bus_publish(bus, "prices.1", msg, strlen(msg), NULL);
    ev = take(&k, ODZ_MATCHER_SUBJECT, 1);
    assert_int_equal(json_array_size(ev), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ev, 0), "selection_id")), 2);
    json_decref(ev);

    /* runner 2 scratched (racing.scratch): its row removed at once */
    json_t *sc = json_pack("{s:i}", "selection_id", 2);
    assert_int_equal(odz_racing_call(bus, "scratch", sc, 2000, &data, err), 0);
    json_decref(sc);
    json_decref(data);
    ev = take(&k, ODZ_MATCHER_SUBJECT, 1);
    json_t *e2 = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e) if (json_integer_value(json_object_get(e, "selection_id")) == 2)
        e2 = e;
    assert_non_null(e2);
    assert_int_equal(json_array_size(json_object_get(e2, "rows")), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(e2, "removed"), 0)),
                        "1.2.neds");
    json_decref(ev);
    q = json_pack("{s:s}", "query", "");
    assert_int_equal(odz_racing_call(bus, "oddsmatcher", q, 2000, &data, err), 0);
    json_decref(q);
    assert_int_equal(json_array_size(json_object_get(data, "rows")), 1);
    json_decref(data);

    /* the race closes (racing.update_race): every row removed */
    json_t *race = NULL;
    json_t *gq = json_pack("{s:i}", "race_id", 1);
    assert_int_equal(odz_racing_call(bus, "get_race", gq, 2000, &race, err), 0);
    json_decref(gq);
    json_object_set_new(race, "status", json_string("CLOSED"));
    json_t *uq = json_pack("{s:o}", "race", race);
    assert_int_equal(odz_racing_call(bus, "update_race", uq, 2000, &data, err), 0);
    json_decref(uq);
    json_decref(data);
    ev = take(&k, ODZ_MATCHER_SUBJECT, 1);
    assert_int_equal(json_array_size(ev), 1);
    assert_true(json_is_null(json_object_get(json_array_get(ev, 0), "selection_id")));
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(json_array_get(ev, 0), "removed"), 0)),
        "1.1.neds");
    json_decref(ev);
    q = json_pack("{s:s}", "query", "");
    assert_int_equal(odz_racing_call(bus, "oddsmatcher", q, 2000, &data, err), 0);
    json_decref(q);
    assert_int_equal(json_array_size(json_object_get(data, "rows")), 0);
    json_decref(data);

    odz_racing_stop(svc);
    odz_bus_close(bus);
    st->ops->close(st);
    json_decref(k.ev);
    pthread_mutex_destroy(&k.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recorded_card),
        cmocka_unit_test(arbitrage_race),
        cmocka_unit_test(incremental_events),
        cmocka_unit_test(batch_odds_once),
        cmocka_unit_test(through_the_service),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* calc/matcher: ratings, each-way terms, rows and the query, against worked examples (the
 * source of each figure beside it; where none was found the arithmetic is shown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "calc/matcher.h"
#include "core/err.h"

static odz_match_out row(int back, int lay, int lay_place, int runners, int64_t stake,
                         int commission)
{
    odz_match_in in = {back, lay, lay_place, runners, stake, commission, ODZ_BET_QUALIFYING};
    odz_match_out o;
    char err[ODZ_ERRLEN] = "";
    if (odz_matcher_row(&in, &o, err, sizeof err))
        fail_msg("row: %s", err);
    return o;
}

static void ratings(void **st)
{
    (void)st;
    /* https://profitrush.com/upgrades/snr-results-column/: a 100 free bet (SNR) at 12.0, laid
     * at 14.0 without commission, returns 78.57: a rating of 78.57 % (lay 1100 / 14 = 78.57;
     * back wins 1100 - 78.57 x 13 = 78.59, lay wins 78.57, the worse counts) */
    odz_match_out o = row(1200, 1400, 0, 8, 10000, 0);
    assert_int_equal(o.bet[ODZ_BET_SNR].lay_stake, 7857);
    assert_int_equal(o.rating[ODZ_BET_SNR], 7857);
    /* issue 17's example, back 3.0, lay 3.1, 10 at 5 %: lay 9.84, -0.66 / -0.65 (test_calc.c);
     * the qualifying rating keeps 10 - 0.66 of 10: 93.40 % */
    o = row(300, 310, 0, 8, 1000, 500);
    assert_int_equal(o.bet[ODZ_BET_QUALIFYING].lay_stake, 984);
    assert_int_equal(o.rating[ODZ_BET_QUALIFYING], 9340);
    /* http://www.bookieoffers.co.uk/tag/refund-offers-guide/: 10 at 7.0, lay 7.2 at 5 %: "a 70p
     * loss" either way: 93.00 % */
    o = row(700, 720, 0, 8, 1000, 500);
    assert_int_equal(o.rating[ODZ_BET_QUALIFYING], 9300);
    /* a free bet SR of 10 at 3.0/3.1 at 5 %: lay 30 / 3.05 = 9.84 (as the qualifying bet, the
     * stake comes back either way in the SR win), back wins 30 - 20.66 = 9.34, lay wins 9.35:
     * 93.4 % of the free bet */
    assert_int_equal(o.bet[ODZ_BET_SR].lay_stake,
                     row(700, 720, 0, 8, 1000, 500).bet[ODZ_BET_SR].lay_stake);
    o = row(300, 310, 0, 8, 1000, 500);
    assert_int_equal(o.bet[ODZ_BET_SR].lay_stake, 984);
    assert_int_equal(o.rating[ODZ_BET_SR], 9340);
    /* the rating's arithmetic alone: 97 % keeps 9.70 of 10; a free bet keeping 7.50 of 10 */
    assert_int_equal(odz_matcher_rating(ODZ_BET_QUALIFYING, 1000, -30), 9700);
    assert_int_equal(odz_matcher_rating(ODZ_BET_SNR, 1000, 750), 7500);
    assert_int_equal(odz_matcher_rating(ODZ_BET_QUALIFYING, 0, 5), 0);
}

static void arbitrage(void **st)
{
    (void)st;
    /* back 5.0 above a lay of 4.8, no commission: lay 50 / 4.8 = 10.42, back wins 40 -
     * 10.42 x 3.8 = 0.40, lay wins 0.42: a profit either way, 10.40 kept of 10: 104.00 % */
    assert_true(odz_matcher_is_arbitrage(500, 480));
    assert_false(odz_matcher_is_arbitrage(480, 480));
    assert_false(odz_matcher_is_arbitrage(500, 0));
    odz_match_out o = row(500, 480, 0, 8, 1000, 0);
    assert_int_equal(o.bet[ODZ_BET_QUALIFYING].lay_stake, 1042);
    assert_int_equal(o.bet[ODZ_BET_QUALIFYING].back_wins, 40);
    assert_int_equal(o.bet[ODZ_BET_QUALIFYING].lay_wins, 42);
    assert_int_equal(o.rating[ODZ_BET_QUALIFYING], 10400);
    /* with 5 % commission the same prices lose: lay 50 / 4.75 = 10.53, back wins 40 - 40.01 */
    o = row(500, 480, 0, 8, 1000, 500);
    assert_true(o.rating[ODZ_BET_QUALIFYING] < 10000);
}

static void eachway(void **st)
{
    (void)st;
    int p, n, d;
    assert_int_equal(odz_matcher_eachway_terms(4, &p, &n, &d), ODZ_ENOTFOUND);
    assert_int_equal(odz_matcher_eachway_terms(5, &p, &n, &d), 0);
    assert_true(p == 2 && n == 1 && d == 4);
    assert_int_equal(odz_matcher_eachway_terms(7, &p, &n, &d), 0);
    assert_true(p == 2 && n == 1 && d == 4);
    assert_int_equal(odz_matcher_eachway_terms(8, &p, &n, &d), 0);
    assert_true(p == 3 && n == 1 && d == 5);
    assert_int_equal(odz_matcher_eachway_terms(16, &p, &n, &d), 0);
    assert_true(p == 3 && n == 1 && d == 5);

    /* 8 runners, back 11.0: 3 places at 1/5, place odds 1 + 10/5 = 3.0; laid at 12.0 in the
     * win market and 3.0 in the place market: the place part is level money (back 3.0, lay
     * 3.0 at 5 %: lay 30 / 2.95 = 10.17), the win part 110 / 11.95 = 9.21 */
    odz_match_out o = row(1100, 1200, 300, 8, 1000, 500);
    assert_true(o.each_way);
    assert_true(o.places == 3 && o.frac_num == 1 && o.frac_den == 5);
    assert_int_equal(o.ew.place_num / o.ew.place_den, 300);
    assert_int_equal(o.ew.place.lay_stake, 1017);
    assert_int_equal(o.ew.win.lay_stake, 921);
    int64_t worst = o.ew.if_wins;
    if (o.ew.if_places < worst)
        worst = o.ew.if_places;
    if (o.ew.if_loses < worst)
        worst = o.ew.if_loses;
    assert_int_equal(o.ew_rating, odz_matcher_rating(ODZ_BET_QUALIFYING, 2000, worst));
    /* the same with 4 runners (win only), or no place lay: no each-way part */
    assert_false(row(1100, 1200, 300, 4, 1000, 500).each_way);
    assert_false(row(1100, 1200, 0, 8, 1000, 500).each_way);
}

static void bad_rows(void **st)
{
    (void)st;
    odz_match_in in = {100, 310, 0, 8, 1000, 500, ODZ_BET_QUALIFYING};
    odz_match_out o;
    char err[ODZ_ERRLEN];
    assert_int_equal(odz_matcher_row(&in, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "back odds"));
    in.back = 300;
    in.stake = -1;
    assert_int_equal(odz_matcher_row(&in, &o, err, sizeof err), ODZ_EINVAL);
}

static int parse(const char *q, odz_matcher_query *out, char *err)
{
    return odz_matcher_query_parse(q, out, err, ODZ_ERRLEN);
}

static void query_defaults_and_values(void **st)
{
    (void)st;
    odz_matcher_query q;
    char err[ODZ_ERRLEN];
    assert_int_equal(parse(NULL, &q, err), 0);
    assert_int_equal(q.stake, 1000);
    assert_int_equal(q.commission, 500);
    assert_int_equal(q.type, ODZ_BET_QUALIFYING);
    assert_int_equal(q.minutes, -1);
    assert_int_equal(q.min_rating, -1);
    assert_int_equal(q.min_liquidity, -1);
    assert_int_equal(q.race_type, -1);
    assert_int_equal(q.limit, ODZ_MATCHER_LIMIT_DEFAULT);
    assert_true(q.sort == ODZ_MSORT_RATING && q.desc);
    assert_int_equal(parse("stake=25.5&commission=2&type=snr&min_odds=2&max_odds=10.5&minutes=30"
                           "&bookmaker=Neds,ladbrokes&race_type=greyhound&race_id=4,5&min_rating="
                           "95&min_liquidity=100&sort=start&limit=5&_=123",
                           &q, err),
                     0);
    assert_int_equal(q.stake, 2550);
    assert_int_equal(q.commission, 200);
    assert_int_equal(q.type, ODZ_BET_SNR);
    assert_true(q.min_odds == 200 && q.max_odds == 1050);
    assert_int_equal(q.minutes, 30);
    assert_int_equal(q.n_bookmakers, 2);
    assert_true(odz_matcher_query_bookmaker(&q, "neds"));
    assert_false(odz_matcher_query_bookmaker(&q, "tab"));
    assert_int_equal(q.race_type, 2);
    assert_true(odz_matcher_query_race(&q, 5) && !odz_matcher_query_race(&q, 6));
    assert_int_equal(q.min_rating, 9500);
    assert_int_equal(q.min_liquidity, 10000);
    assert_true(q.sort == ODZ_MSORT_START && !q.desc);
    assert_int_equal(q.limit, 5);
    assert_int_equal(parse("sort=rating&order=asc&race_type=all", &q, err), 0);
    assert_true(q.sort == ODZ_MSORT_RATING && !q.desc && q.race_type == -1);
}

static void query_refused(void **st)
{
    (void)st;
    static const struct {
        const char *q, *words;
    } bad[] = {
        {"stake=-1", "stake must be"},
        {"stake=0", "stake must be"},
        {"stake=1000000000000", "stake must be"},
        {"stake=1000000.01", "stake must be"},
        {"min_odds=0", "min_odds must be"},
        {"min_odds=1", "min_odds must be"},
        {"max_odds=1", "max_odds must be"},
        {"max_odds=1000.01", "max_odds must be"},
        {"min_odds=5&max_odds=3", "min_odds must not be above"},
        {"commission=150", "commission must be"},
        {"commission=-5", "commission must be"},
        {"type=free", "type must be"},
        {"minutes=1.5", "minutes must be"},
        {"minutes=10081", "minutes must be"},
        {"limit=0", "limit must be"},
        {"limit=1001", "limit must be"},
        {"sort=name", "sort must be"},
        {"order=up", "order must be"},
        {"race_type=camel", "race_type must be"},
        {"bookmaker=", "bookmaker must be"},
        {"bookmaker=a,,b", "bookmaker must be"},
        {"bookmaker=a%20b", "bookmaker must be"},
        {"race_id=0", "race_id must be"},
        {"race_id=1,x", "race_id must be"},
        {"min_rating=abc", "min_rating must be"},
        {"min_liquidity=-1", "min_liquidity must be"},
        {"stake=%ZZ", "stake must be"},
    };
    odz_matcher_query q;
    char err[ODZ_ERRLEN];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (parse(bad[i].q, &q, err) != ODZ_EINVAL)
            fail_msg("%s was accepted", bad[i].q);
        if (!strstr(err, bad[i].words))
            fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].q, err, bad[i].words);
    }
    /* 10,000 ids: refused with words, whatever the length */
    static char many[80000];
    size_t n = (size_t)snprintf(many, sizeof many, "race_id=");
    for (int i = 1; i <= 10000; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "%s%d", i > 1 ? "," : "", i);
    assert_int_equal(parse(many, &q, err), ODZ_EINVAL);
    assert_non_null(strstr(err, "race_id must be 1 to 32"));
    /* 33 ids: one too many; 32: fine */
    n = (size_t)snprintf(many, sizeof many, "race_id=");
    for (int i = 1; i <= 33; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "%s%d", i > 1 ? "," : "", i);
    assert_int_equal(parse(many, &q, err), ODZ_EINVAL);
    many[strlen(many) - 3] = '\0';
    assert_int_equal(parse(many, &q, err), 0);
    assert_int_equal(q.n_races, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ratings),
        cmocka_unit_test(arbitrage),
        cmocka_unit_test(eachway),
        cmocka_unit_test(bad_rows),
        cmocka_unit_test(query_defaults_and_values),
        cmocka_unit_test(query_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

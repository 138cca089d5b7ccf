/* Calculators against worked examples from public explanations of each method (the source of
 * every figure is named beside it; where none was found the arithmetic is shown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "calc/calc.h"
#include "core/err.h"

static odz_matched_out matched(int back, int lay, int64_t stake, int commission, odz_bet_type type,
                               odz_lay_mode mode)
{
    odz_matched_in in = {back, lay, stake, commission, type, mode};
    odz_matched_out o;
    char err[ODZ_ERRLEN] = "";
    int rc = odz_calc_matched(&in, &o, err, sizeof err);
    if (rc)
        fail_msg("matched: %s", err);
    return o;
}

#define ASSERT_MATCHED(o, ls, liab, bw, lw)                                                        \
    do {                                                                                           \
        assert_int_equal((o).lay_stake, (ls));                                                     \
        assert_int_equal((o).liability, (liab));                                                   \
        assert_int_equal((o).back_wins, (bw));                                                     \
        assert_int_equal((o).lay_wins, (lw));                                                      \
    } while (0)

static void matched_qualifying(void **st)
{
    (void)st;
    /* https://www.mintio.co.uk/example.htm: GBP 100 on the draw at 4.0 (3/1), laid at 4.3 on
     * Betfair at 5 %: lay 94.12, liability 310.60, lay win 89.41, overall -10.60 if the draw
     * comes in and -10.59 if not. */
    ASSERT_MATCHED(matched(400, 430, 10000, 500, ODZ_BET_QUALIFYING, ODZ_LAY_NORMAL), 9412, 31060,
                   -1060, -1059);
    /* http://www.bookieoffers.co.uk/tag/refund-offers-guide/: GBP 10 at 7.0, lay 7.2 at 5 %:
     * lay stake 9.79, lay risk 60.70, "a 70p loss" either way. */
    ASSERT_MATCHED(matched(700, 720, 1000, 500, ODZ_BET_QUALIFYING, ODZ_LAY_NORMAL), 979, 6070, -70,
                   -70);
    /* https://mysidegig.co.uk/matched-betting-academy/chapter-2-lesson-1: GBP 10 on Chelsea at
     * 1.5, lay 1.53 (no commission in their figures): lay 9.80, liability 5.19, -0.19 if
     * Chelsea win, -0.20 if not. */
    ASSERT_MATCHED(matched(150, 153, 1000, 0, ODZ_BET_QUALIFYING, ODZ_LAY_NORMAL), 980, 519, -19,
                   -20);
    /* https://estrelasdepinhel.com/a-guide-to-matched-betting: GBP 10 at 3, lay 2.9 at 5 %:
     * lay 10.53, the lay win is "GBP 10 (10.53 minus 5 % commission)": broken even (10.53 x
     * 0.95 = 10.0035; 20 - 10.53 x 1.9 = -0.007, a cent by our rounding). */
    ASSERT_MATCHED(matched(300, 290, 1000, 500, ODZ_BET_QUALIFYING, ODZ_LAY_NORMAL), 1053, 2001, -1,
                   0);
    /* Issue 17: back 3.0, lay 3.1, stake 10, 5 % -> a lay stake of 9.84 (30 / 3.05 = 9.836);
     * liability 9.84 x 2.1 = 20.664; back wins 20 - 20.664; lay wins 9.348 - 10. */
    ASSERT_MATCHED(matched(300, 310, 1000, 500, ODZ_BET_QUALIFYING, ODZ_LAY_NORMAL), 984, 2066, -66,
                   -65);
}

static void matched_free_bets(void **st)
{
    (void)st;
    /* https://bettorstack.com/bonus-bet-calculator/: 50 free bet (SNR) at 3.00, lay 3.05, 5 %:
     * lay 33.33, liability 68.33, +31.67 if the back bet wins. Their +31.67 if it loses keeps
     * the unrounded lay stake (33.333 x 0.95); from the 33.33 actually laid: 31.6635 -> 31.66. */
    ASSERT_MATCHED(matched(300, 305, 5000, 500, ODZ_BET_SNR, ODZ_LAY_NORMAL), 3333, 6833, 3167,
                   3166);
    /* Stake returned, same inputs, by hand: LS = 50 x 3.00 / (3.05 - 0.05) = 50.00; liability
     * 50 x 2.05 = 102.50; back wins 150 - 102.50 = 47.50; lay wins 50 x 0.95 = 47.50. */
    ASSERT_MATCHED(matched(300, 305, 5000, 500, ODZ_BET_SR, ODZ_LAY_NORMAL), 5000, 10250, 4750,
                   4750);
}

static void matched_underlay_overlay(void **st)
{
    (void)st;
    /* By hand, issue 17's inputs (3.0 / 3.1 / 10 / 5 %). Break-even stakes: back wins 0 at
     * LS = 20 / 2.1 = 9.5238 -> 9.52; lay wins 0 at LS = 10 / 0.95 = 10.526 -> 10.53.
     * Underlay 9.52: back wins 20 - 19.992 = 0.008 -> 0.01; lay wins 9.044 - 10 = -0.956.
     * Overlay 10.53: back wins 20 - 22.113 = -2.113; lay wins 10.0035 - 10 -> 0.00. */
    ASSERT_MATCHED(matched(300, 310, 1000, 500, ODZ_BET_QUALIFYING, ODZ_LAY_UNDERLAY), 952, 1999, 1,
                   -96);
    ASSERT_MATCHED(matched(300, 310, 1000, 500, ODZ_BET_QUALIFYING, ODZ_LAY_OVERLAY), 1053, 2211,
                   -211, 0);
    /* Free bet SNR (50 at 3.00 / 3.05 / 5 %): underlay lays nothing (lay wins 0, back wins the
     * whole 100); overlay LS = 100 / 2.05 = 48.78: liability 99.999 -> 100.00, back wins 0,
     * lay wins 48.78 x 0.95 = 46.341. */
    ASSERT_MATCHED(matched(300, 305, 5000, 500, ODZ_BET_SNR, ODZ_LAY_UNDERLAY), 0, 0, 10000, 0);
    ASSERT_MATCHED(matched(300, 305, 5000, 500, ODZ_BET_SNR, ODZ_LAY_OVERLAY), 4878, 10000, 0,
                   4634);
}

static void eachway(void **st)
{
    (void)st;
    /* Place terms from https://co.foxbet.com/help/articles/golf-each-way-bet/208230/: 5 each
     * way at +1800 (19.0), 1/4 the odds 5 places: the place part pays at +450 (5.5), 22.50 on
     * 5. Laid by hand at 20.0 (win) and 6.0 (place), 5 %:
     *   win:   LS = 5 x 19 / 19.95 = 4.7619 -> 4.76; liability 4.76 x 19 = 90.44;
     *          back wins 90 - 90.44 = -0.44; lay wins 4.522 - 5 = -0.478 -> -0.48
     *   place: LS = 5 x 5.5 / 5.95 = 4.6218 -> 4.62; liability 4.62 x 5 = 23.10;
     *          back wins 22.50 - 23.10 = -0.60; lay wins 4.389 - 5 = -0.611 -> -0.61
     *   wins -0.44 - 0.60 = -1.04; places only -0.48 - 0.60 = -1.08; loses -0.48 - 0.61. */
    odz_eachway_in in = {1900, 2000, 600, 500, 5, 1, 4, 500, ODZ_BET_QUALIFYING, ODZ_LAY_NORMAL};
    odz_eachway_out o;
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(odz_calc_eachway(&in, &o, err, sizeof err), 0);
    assert_int_equal(o.place_num * 1, 2200);
    assert_int_equal(o.place_den, 4); /* 2200 / 4 = 550 hundredths = 5.5 */
    ASSERT_MATCHED(o.win, 476, 9044, -44, -48);
    ASSERT_MATCHED(o.place, 462, 2310, -60, -61);
    assert_int_equal(o.liability, 11354);
    assert_int_equal(o.if_wins, -104);
    assert_int_equal(o.if_places, -108);
    assert_int_equal(o.if_loses, -109);
    /* place odds stay exact: 3.30 at 1/4 places at 1.575 (630 / 4 hundredths) */
    in.back = 330;
    assert_int_equal(odz_calc_eachway(&in, &o, err, sizeof err), 0);
    assert_int_equal(o.place_num, 630);
    assert_int_equal(o.place_den, 4);
    /* bad terms */
    in.frac_num = 5;
    assert_int_equal(odz_calc_eachway(&in, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "fraction"));
    in.frac_num = 1;
    in.places = 0;
    assert_int_equal(odz_calc_eachway(&in, &o, err, sizeof err), ODZ_EINVAL);
    in.places = 3;
    in.lay_place = 100;
    assert_int_equal(odz_calc_eachway(&in, &o, err, sizeof err), ODZ_EINVAL);
}

static void dutching(void **st)
{
    (void)st;
    odz_dutch_out o;
    char err[ODZ_ERRLEN] = "";
    /* https://outlayhq.com.au/calculators/dutch-betting: a book of 33.3 + 22.2 + 16.7 = 72.2 %
     * (odds 3.00, 4.50, 6.00), 100 staked: ~46.15, ~30.77, ~23.08, return ~138.46, profit
     * ~38.46 whichever wins. Rounded to the cent the stakes add up to 100.00 exactly. */
    int a[] = {300, 450, 600};
    assert_int_equal(odz_calc_dutch(a, 3, 10000, 0, &o, err, sizeof err), 0);
    assert_int_equal(o.book, 7222);
    assert_int_equal(o.legs[0].stake, 4615);
    assert_int_equal(o.legs[1].stake, 3077);
    assert_int_equal(o.legs[2].stake, 2308);
    assert_int_equal(o.total, 10000);
    assert_int_equal(o.legs[0].ret, 13845); /* 46.15 x 3 */
    assert_int_equal(o.legs[1].ret, 13847); /* 30.77 x 4.5 = 138.465 */
    assert_int_equal(o.legs[2].ret, 13848); /* 23.08 x 6 */
    assert_int_equal(o.min_profit, 3845);
    /* https://betbotpro.com/manual/bbps/HTML/dutching-target-profit-staking-plan-back-only_print.htm:
     * 10 profit on 9/4, 3/1, 8/1 (3.25, 4.00, 9.00): a book of 66.9 %, turnover 30.21, stakes
     * 9.30, 7.55, 3.35, outlay 20.00. They round the percentages first (30.8 %); exactly:
     * turnover 10 / (1 - 0.668803) = 30.193, stakes 9.2902, 7.5482, 3.3548. */
    int b[] = {325, 400, 900};
    assert_int_equal(odz_calc_dutch(b, 3, 0, 1000, &o, err, sizeof err), 0);
    assert_int_equal(o.book, 6688);
    assert_int_equal(o.legs[0].stake, 929);
    assert_int_equal(o.legs[1].stake, 755);
    assert_int_equal(o.legs[2].stake, 335);
    assert_int_equal(o.total, 2019);
    assert_int_equal(o.legs[0].profit, 1000); /* 9.29 x 3.25 = 30.1925 */
    assert_int_equal(o.legs[1].profit, 1001);
    assert_int_equal(o.legs[2].profit, 996);
    assert_int_equal(o.min_profit, 996);
    /* a book of 100 % or more cannot make a profit */
    int c[] = {200, 200};
    assert_int_equal(odz_calc_dutch(c, 2, 0, 1000, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "100.00 %"));
    /* ... but can be staked, at a loss */
    assert_int_equal(odz_calc_dutch(c, 2, 1001, 0, &o, err, sizeof err), 0);
    assert_int_equal(o.legs[0].stake + o.legs[1].stake, 1001);
    assert_int_equal(o.legs[0].stake, 501); /* tie: the earlier runner takes the cent */
    /* a profit that needs more than 1,000,000.00 staked */
    int d[] = {200, 201};
    assert_int_equal(odz_calc_dutch(d, 2, 0, 100000000, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "1000000.00"));
}

static void dutching_bounds(void **st)
{
    (void)st;
    odz_dutch_out o;
    char err[ODZ_ERRLEN] = "";
    int many[ODZ_CALC_RUNNERS_MAX + 1];
    for (size_t i = 0; i < ODZ_CALC_RUNNERS_MAX + 1; i++)
        many[i] = 10000 + (int)i;
    assert_int_equal(odz_calc_dutch(many, 1, 1000, 0, &o, err, sizeof err), ODZ_EINVAL);
    assert_int_equal(odz_calc_dutch(many, ODZ_CALC_RUNNERS_MAX + 1, 1000, 0, &o, err, sizeof err),
                     ODZ_EINVAL);
    assert_int_equal(
        odz_calc_dutch(many, ODZ_CALC_RUNNERS_MAX, ODZ_CALC_STAKE_MAX, 0, &o, err, sizeof err), 0);
    assert_int_equal(o.total, ODZ_CALC_STAKE_MAX);
    assert_int_equal(odz_calc_dutch(many, 2, 1000, 1000, &o, err, sizeof err), ODZ_EINVAL);
    assert_int_equal(odz_calc_dutch(many, 2, 0, 0, &o, err, sizeof err), ODZ_EINVAL);
    assert_int_equal(odz_calc_dutch(many, 2, -5, 0, &o, err, sizeof err), ODZ_EINVAL);
    int bad[] = {300, 100};
    assert_int_equal(odz_calc_dutch(bad, 2, 1000, 0, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "runner 2"));
}

static void deductions_rule4(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN] = "";
    int c;
    int64_t ret;
    int after;
    /* https://www.allaboutbetting.co.uk/horse-racing/rule-4: 10 at 8/1 (9.00), the favourite
     * withdrawn at 3/1 (4.00): 25p in the pound, returns 10 x 8 x 0.75 + 10 = 70. */
    assert_int_equal(odz_calc_deduction(ODZ_DEDUCT_RULE4, 400, &c, err, sizeof err), 0);
    assert_int_equal(c, 25);
    assert_int_equal(
        odz_calc_deducted_return(ODZ_DEDUCT_RULE4, 1000, 900, c, &ret, &after, err, sizeof err), 0);
    assert_int_equal(ret, 7000);
    assert_int_equal(after, 700);
    /* https://support.betconnect.com/en/articles/2493132: "If you win 10 and there is a 20p
     * Rule 4 you will receive 8 winnings" (10 at evens: 18 back with the stake). */
    assert_int_equal(
        odz_calc_deducted_return(ODZ_DEDUCT_RULE4, 1000, 200, 20, &ret, NULL, err, sizeof err), 0);
    assert_int_equal(ret, 1800);
    /* band edges, decimal column of https://www.geegeez.co.uk/geegeez-faq/rule-4-deductions-chart/
     */
    static const int edges[][2] = {{101, 90}, {111, 90},  {112, 85}, {118, 85}, {125, 80},
                                   {153, 65}, {162, 60},  {163, 55}, {200, 45}, {220, 45},
                                   {221, 40}, {1000, 10}, {1500, 5}, {1501, 0}, {100000, 0}};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        assert_int_equal(odz_calc_deduction(ODZ_DEDUCT_RULE4, edges[i][0], &c, err, sizeof err), 0);
        assert_int_equal(c, edges[i][1]);
    }
    /* several withdrawals add up, at most 90p (same sources) */
    int two[] = {400, 500};
    assert_int_equal(odz_calc_deduction_sum(ODZ_DEDUCT_RULE4, two, 2, &c, err, sizeof err), 0);
    assert_int_equal(c, 45);
    int favs[] = {111, 150};
    assert_int_equal(odz_calc_deduction_sum(ODZ_DEDUCT_RULE4, favs, 2, &c, err, sizeof err), 0);
    assert_int_equal(c, 90);
}

static void deductions_au(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN] = "";
    int c;
    int64_t ret;
    /* https://help.williamhill.com.au/betting/racing-deductions/: 10 at 4.00, 42c in the
     * dollar: 40 face value - 16.80 = 23.20. */
    assert_int_equal(
        odz_calc_deducted_return(ODZ_DEDUCT_AU, 1000, 400, 42, &ret, NULL, err, sizeof err), 0);
    assert_int_equal(ret, 2320);
    /* Sportsbet help centre ("What are Deductions"): 10 at 2.50, 20c: 25 - 5 = 20. */
    assert_int_equal(
        odz_calc_deducted_return(ODZ_DEDUCT_AU, 1000, 250, 20, &ret, NULL, err, sizeof err), 0);
    assert_int_equal(ret, 2000);
    /* https://help.playup.com.au/support/solutions/articles/43000616649: 10 at 7.00, 15c:
     * 70 x 85 / 100 = 59.50. */
    assert_int_equal(
        odz_calc_deducted_return(ODZ_DEDUCT_AU, 1000, 700, 15, &ret, NULL, err, sizeof err), 0);
    assert_int_equal(ret, 5950);
    /* https://help.neds.com.au/articles/16040-what-is-a-deduction: 100 at 3.00, 10c in the
     * dollar: "90c in every dollar of the face value" = 270. */
    assert_int_equal(
        odz_calc_deducted_return(ODZ_DEDUCT_AU, 10000, 300, 10, &ret, NULL, err, sizeof err), 0);
    assert_int_equal(ret, 27000);
    /* the table (Racing Victoria's win column as BetRight publishes it): 2.00 -> 47c,
     * 1.50 -> 62c, 2.80 -> 33c; 1.11 lies between the 1.10 and 1.12 rows -> 1.12's 80c */
    static const int rows[][2] = {{200, 47}, {150, 62}, {280, 33}, {111, 80},
                                  {101, 80}, {118, 79}, {221, 42}, {255, 36}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(odz_calc_deduction(ODZ_DEDUCT_AU, rows[i][0], &c, err, sizeof err), 0);
        assert_int_equal(c, rows[i][1]);
    }
    /* beyond the rows held: refused with words, not guessed */
    assert_int_equal(odz_calc_deduction(ODZ_DEDUCT_AU, 281, &c, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "2.80"));
    /* https://help.picklebet.com/hc/en-us/articles/5351534738063: the deductions of several
     * scratchings are added together: 2.50 (37c) and 2.80 (33c) make 70c */
    int two[] = {250, 280};
    assert_int_equal(odz_calc_deduction_sum(ODZ_DEDUCT_AU, two, 2, &c, err, sizeof err), 0);
    assert_int_equal(c, 70);
    int three[] = {200, 150};
    assert_int_equal(odz_calc_deduction_sum(ODZ_DEDUCT_AU, three, 2, &c, err, sizeof err), 0);
    assert_int_equal(c, 100); /* 47 + 62, capped: nothing is left to pay */
}

static void bad_inputs(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN] = "";
    odz_matched_out o;
    odz_matched_in ok = {300, 310, 1000, 500, ODZ_BET_QUALIFYING, ODZ_LAY_NORMAL};
    odz_matched_in in = ok;
    in.stake = 0;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "stake"));
    in.stake = -100;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    in.stake = 100000000000000LL; /* 10^12 */
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    in = ok;
    in.back = 100;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "back odds"));
    in.back = 0;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    in.back = 100001;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    in = ok;
    in.lay = 100;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "lay odds"));
    in = ok;
    in.commission = 15000;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "commission"));
    in.commission = 10000;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    in.commission = -1;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    in = ok;
    in.type = (odz_bet_type)7;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    in = ok;
    in.mode = (odz_lay_mode)7;
    assert_int_equal(odz_calc_matched(&in, &o, err, sizeof err), ODZ_EINVAL);
    int c;
    assert_int_equal(odz_calc_deduction((odz_deduct_method)5, 300, &c, err, sizeof err),
                     ODZ_EINVAL);
    assert_int_equal(odz_calc_deduction(ODZ_DEDUCT_RULE4, 100, &c, err, sizeof err), ODZ_EINVAL);
    int64_t r;
    assert_int_equal(
        odz_calc_deducted_return(ODZ_DEDUCT_AU, 1000, 300, 101, &r, NULL, err, sizeof err),
        ODZ_EINVAL);
    int none[1] = {300};
    assert_int_equal(odz_calc_deduction_sum(ODZ_DEDUCT_AU, none, 0, &c, err, sizeof err),
                     ODZ_EINVAL);
}

/* The extremes of every range stay exact (the ASan/UBSan build catches any overflow). */
static void extremes(void **st)
{
    (void)st;
    odz_matched_out o = matched(ODZ_CALC_ODDS_MAX, ODZ_CALC_ODDS_MIN, ODZ_CALC_STAKE_MAX,
                                ODZ_CALC_COMMISSION_MAX, ODZ_BET_SR, ODZ_LAY_NORMAL);
    /* LS = 10^6 x 1000 / (1.01 - 0.9999) = 10^9 / 0.0101 = 99,009,900,990.099 */
    assert_int_equal(o.lay_stake, 9900990099010LL);
    o = matched(ODZ_CALC_ODDS_MIN, ODZ_CALC_ODDS_MAX, ODZ_CALC_STAKE_MAX, 0, ODZ_BET_QUALIFYING,
                ODZ_LAY_OVERLAY);
    assert_true(o.lay_stake > 0);
    odz_eachway_in in = {.back = ODZ_CALC_ODDS_MAX,
                         .lay_win = ODZ_CALC_ODDS_MIN,
                         .lay_place = ODZ_CALC_ODDS_MIN,
                         .stake = ODZ_CALC_STAKE_MAX,
                         .places = 10,
                         .frac_num = 100,
                         .frac_den = 100,
                         .commission = ODZ_CALC_COMMISSION_MAX,
                         .type = ODZ_BET_SR,
                         .mode = ODZ_LAY_OVERLAY};
    odz_eachway_out e;
    assert_int_equal(odz_calc_eachway(&in, &e, NULL, 0), 0);
    int64_t r;
    assert_int_equal(odz_calc_deducted_return(ODZ_DEDUCT_RULE4, ODZ_CALC_STAKE_MAX,
                                              ODZ_CALC_ODDS_MAX, 0, &r, NULL, NULL, 0),
                     0);
    assert_int_equal(r, ODZ_CALC_STAKE_MAX * 1000);
}

static void parsing(void **st)
{
    (void)st;
    int64_t v;
    static const struct {
        const char *s;
        int64_t v;
    } good[] = {
        {"10", 1000},    {"3.1", 310}, {"9.84", 984},          {"9.845", 985},
        {"9.8449", 984}, {"0.25", 25}, {"1000000", 100000000}, {"999999999.999999", 100000000000LL},
        {"0", 0},        {"007", 700}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(odz_calc_parse_hundredths(good[i].s, &v), 0);
        assert_int_equal(v, good[i].v);
    }
    static const char *const bad[] = {"",    "-1",         "+1",        "1e12",  "0x10", " 1",
                                      "1 ",  "1.",         ".5",        "1.2.3", "inf",  "nan",
                                      "1,5", "1234567890", "1.1234567", "١"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(odz_calc_parse_hundredths(bad[i], &v), ODZ_EINVAL);
    assert_int_equal(odz_calc_parse_hundredths(NULL, &v), ODZ_EINVAL);

    int odds[4];
    size_t n;
    assert_int_equal(odz_calc_parse_odds_list("3,4.5,6", odds, 4, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(odds[1], 450);
    assert_int_equal(odz_calc_parse_odds_list("3,4,5,6,7", odds, 4, &n), ODZ_EINVAL);
    assert_int_equal(odz_calc_parse_odds_list("3,,4", odds, 4, &n), ODZ_EINVAL);
    assert_int_equal(odz_calc_parse_odds_list("3,", odds, 4, &n), ODZ_EINVAL);
    assert_int_equal(odz_calc_parse_odds_list("", odds, 4, &n), ODZ_EINVAL);
    assert_int_equal(odz_calc_parse_odds_list("99999999", odds, 4, &n), ODZ_EINVAL); /* > INT_MAX */

    int num, den;
    assert_int_equal(odz_calc_parse_fraction("1/4", &num, &den), 0);
    assert_int_equal(num, 1);
    assert_int_equal(den, 4);
    static const char *const badf[] = {"0/4", "1/0", "1/",   "/4",   "1/4x", "1000/1",
                                       "1",   "a/b", "1//4", "-1/4", ""};
    for (size_t i = 0; i < sizeof badf / sizeof badf[0]; i++)
        assert_int_equal(odz_calc_parse_fraction(badf[i], &num, &den), ODZ_EINVAL);

    odz_bet_type t;
    odz_lay_mode m;
    odz_deduct_method d;
    assert_int_equal(odz_bet_type_parse("SNR", &t), 0);
    assert_int_equal(t, ODZ_BET_SNR);
    assert_int_equal(odz_bet_type_parse("free", &t), ODZ_EINVAL);
    assert_int_equal(odz_lay_mode_parse("overlay", &m), 0);
    assert_int_equal(m, ODZ_LAY_OVERLAY);
    assert_int_equal(odz_lay_mode_parse("", &m), ODZ_EINVAL);
    assert_int_equal(odz_deduct_method_parse("rule4", &d), 0);
    assert_int_equal(d, ODZ_DEDUCT_RULE4);
    assert_int_equal(odz_deduct_method_parse("uk", &d), ODZ_EINVAL);
    assert_string_equal(odz_bet_type_name(ODZ_BET_SR), "sr");
    assert_string_equal(odz_lay_mode_name(ODZ_LAY_UNDERLAY), "underlay");
    assert_string_equal(odz_deduct_method_name(ODZ_DEDUCT_AU), "au");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matched_qualifying),
        cmocka_unit_test(matched_free_bets),
        cmocka_unit_test(matched_underlay_overlay),
        cmocka_unit_test(eachway),
        cmocka_unit_test(dutching),
        cmocka_unit_test(dutching_bounds),
        cmocka_unit_test(deductions_rule4),
        cmocka_unit_test(deductions_au),
        cmocka_unit_test(bad_inputs),
        cmocka_unit_test(extremes),
        cmocka_unit_test(parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

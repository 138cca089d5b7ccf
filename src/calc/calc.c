/* Matched bet, each-way and dutching calculators in exact integer arithmetic (calc.h). */
#include "calc/calc.h"
#include "calc/calc_internal.h"
#include "core/err.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const bet_types[] = {"qualifying", "snr", "sr"};
static const char *const lay_modes[] = {"normal", "underlay", "overlay"};

const char *odz_bet_type_name(odz_bet_type t)
{
    return (unsigned)t < 3 ? bet_types[t] : "?";
}

const char *odz_lay_mode_name(odz_lay_mode m)
{
    return (unsigned)m < 3 ? lay_modes[m] : "?";
}

int odz_bet_type_parse(const char *s, odz_bet_type *out)
{
    for (int i = 0; s && i < 3; i++)
        if (!strcasecmp(s, bet_types[i])) {
            *out = (odz_bet_type)i;
            return 0;
        }
    return ODZ_EINVAL;
}

int odz_lay_mode_parse(const char *s, odz_lay_mode *out)
{
    for (int i = 0; s && i < 3; i++)
        if (!strcasecmp(s, lay_modes[i])) {
            *out = (odz_lay_mode)i;
            return 0;
        }
    return ODZ_EINVAL;
}

odz_i128 odz_calc__round_div(odz_i128 num, odz_i128 den)
{
    if (den < 0) {
        num = -num;
        den = -den;
    }
    odz_i128 q = (num < 0 ? -num : num);
    q = (2 * q + den) / (2 * den); /* half away from zero on the magnitude */
    return num < 0 ? -q : q;
}

int odz_calc__check_odds(const char *what, int odds, char *err, size_t errlen)
{
    if (odds < ODZ_CALC_ODDS_MIN || odds > ODZ_CALC_ODDS_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "%s must be above 1.00 and at most 1000.00", what);
    return 0;
}

int odz_calc__check_stake(const char *what, int64_t stake, char *err, size_t errlen)
{
    if (stake <= 0 || stake > ODZ_CALC_STAKE_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "%s must be above 0.00 and at most 1000000.00",
                        what);
    return 0;
}

static int check_common(int lay, int64_t stake, int commission, odz_bet_type type,
                        odz_lay_mode mode, char *err, size_t errlen)
{
    int rc = odz_calc__check_odds("lay odds", lay, err, errlen);
    if (!rc)
        rc = odz_calc__check_stake("stake", stake, err, errlen);
    if (rc)
        return rc;
    if (commission < 0 || commission > ODZ_CALC_COMMISSION_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "commission must be 0 to 99.99 (percent)");
    if ((unsigned)type > ODZ_BET_SR)
        return odz_fail(err, errlen, ODZ_EINVAL, "type must be qualifying, snr or sr");
    if ((unsigned)mode > ODZ_LAY_OVERLAY)
        return odz_fail(err, errlen, ODZ_EINVAL, "mode must be normal, underlay or overlay");
    return 0;
}

/* One matched bet with back odds of bnum/bden hundredths (exact: each-way place odds are
 * fractions of the win odds), inputs already checked. In D = 100 x bden units of a cent:
 * W (a back win beyond a lost stake) and L (the stake a back loss costs). */
static void matched_core(int64_t bnum, int64_t bden, int lay, int64_t stake, int k,
                         odz_bet_type type, odz_lay_mode mode, odz_matched_out *o)
{
    const odz_i128 D = (odz_i128)100 * bden;
    const odz_i128 W =
        type == ODZ_BET_SR ? (odz_i128)stake * bnum : (odz_i128)stake * (bnum - 100 * bden);
    const odz_i128 L = type == ODZ_BET_QUALIFYING ? (odz_i128)stake * D : 0;
    odz_i128 ls;
    if (mode == ODZ_LAY_NORMAL) {
        /* W - LS x (lay - 1) = LS x (1 - c) - L  =>  LS = (W + L) / (lay - c) */
        ls = odz_calc__round_div((W + L) * 10000, D * (100 * (odz_i128)lay - k));
    } else {
        /* the two break-even stakes: the lay bet winning leaves 0 (LS x (1 - c) = L), the
         * back bet winning leaves 0 (LS x (lay - 1) = W); the normal stake lies between */
        odz_i128 lay0 = odz_calc__round_div(L / D * 10000, 10000 - k);
        odz_i128 back0 = odz_calc__round_div(W * 100, D * (lay - 100));
        ls = (mode == ODZ_LAY_UNDERLAY) == (lay0 < back0) ? lay0 : back0;
    }
    o->lay_stake = (int64_t)ls;
    o->liability = (int64_t)odz_calc__round_div(ls * (lay - 100), 100);
    o->back_wins = (int64_t)odz_calc__round_div(W * 100 - ls * (lay - 100) * D, 100 * D);
    o->lay_wins = (int64_t)odz_calc__round_div(ls * (10000 - k) - L / D * 10000, 10000);
}

int odz_calc_matched(const odz_matched_in *in, odz_matched_out *out, char *err, size_t errlen)
{
    int rc = odz_calc__check_odds("back odds", in->back, err, errlen);
    if (!rc)
        rc = check_common(in->lay, in->stake, in->commission, in->type, in->mode, err, errlen);
    if (rc)
        return rc;
    matched_core(in->back, 1, in->lay, in->stake, in->commission, in->type, in->mode, out);
    return 0;
}

int odz_calc_eachway(const odz_eachway_in *in, odz_eachway_out *out, char *err, size_t errlen)
{
    int rc = odz_calc__check_odds("back odds", in->back, err, errlen);
    if (!rc)
        rc = odz_calc__check_odds("lay win odds", in->lay_win, err, errlen);
    if (!rc)
        rc =
            check_common(in->lay_place, in->stake, in->commission, in->type, in->mode, err, errlen);
    if (rc)
        return rc;
    if (in->places < 1 || in->places > ODZ_CALC_PLACES_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "places must be 1 to %d", ODZ_CALC_PLACES_MAX);
    if (in->frac_num < 1 || in->frac_den < 1 || in->frac_num > ODZ_CALC_FRACTION_MAX ||
        in->frac_den > ODZ_CALC_FRACTION_MAX || in->frac_num > in->frac_den)
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "fraction must be the each-way terms as 1/4, 1/5, ... (at most 1/1)");
    /* place odds = 1 + (back - 1) x num/den, kept exact as a fraction of hundredths */
    out->place_num = 100 * in->frac_den + (in->back - 100) * in->frac_num;
    out->place_den = in->frac_den;
    matched_core(in->back, 1, in->lay_win, in->stake, in->commission, in->type, in->mode,
                 &out->win);
    matched_core(out->place_num, out->place_den, in->lay_place, in->stake, in->commission, in->type,
                 in->mode, &out->place);
    out->liability = out->win.liability + out->place.liability;
    out->if_wins = out->win.back_wins + out->place.back_wins;
    out->if_places = out->win.lay_wins + out->place.back_wins;
    out->if_loses = out->win.lay_wins + out->place.lay_wins;
    return 0;
}

/* 1/odds in units of 1/SCALE: exact to 1e-15 relative, far below a cent at any stake here. */
#define SCALE ((odz_i128)1000000000000000000LL)

int odz_calc_dutch(const int *odds, size_t n, int64_t total, int64_t profit, odz_dutch_out *out,
                   char *err, size_t errlen)
{
    if (n < ODZ_CALC_RUNNERS_MIN || n > ODZ_CALC_RUNNERS_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "runners must be %d to %d odds",
                        ODZ_CALC_RUNNERS_MIN, ODZ_CALC_RUNNERS_MAX);
    if ((total > 0) == (profit > 0) || total < 0 || profit < 0)
        return odz_fail(err, errlen, ODZ_EINVAL, "give either a total stake or a target profit");
    int rc = total ? odz_calc__check_stake("stake", total, err, errlen)
                   : odz_calc__check_stake("profit", profit, err, errlen);
    if (rc)
        return rc;
    odz_i128 w[ODZ_CALC_RUNNERS_MAX], sum = 0;
    for (size_t i = 0; i < n; i++) {
        char what[32];
        snprintf(what, sizeof what, "odds of runner %zu", i + 1);
        if ((rc = odz_calc__check_odds(what, odds[i], err, errlen)))
            return rc;
        w[i] = SCALE * 100 / odds[i];
        sum += w[i];
    }
    memset(out, 0, sizeof *out);
    out->n = n;
    out->book = (int)odz_calc__round_div(sum * 10000, SCALE);
    if (total) {
        /* stake_i = total x w_i / sum, floored, then the cents left over go to the largest
         * remainders so that the stakes add up to the total */
        odz_i128 rem[ODZ_CALC_RUNNERS_MAX];
        int64_t given = 0;
        for (size_t i = 0; i < n; i++) {
            odz_i128 x = (odz_i128)total * w[i];
            out->legs[i].stake = (int64_t)(x / sum);
            rem[i] = x % sum;
            given += out->legs[i].stake;
        }
        for (int64_t left = total - given; left > 0; left--) {
            size_t best = 0;
            for (size_t i = 1; i < n; i++)
                if (rem[i] > rem[best])
                    best = i;
            out->legs[best].stake++;
            rem[best] = -1;
        }
    } else {
        /* every winner returns total + profit: stake_i = profit x w_i / (SCALE - sum) */
        if (sum >= SCALE)
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "these odds make a book of %d.%02d %% (100 %% or more): no stakes "
                            "make a profit whichever wins",
                            out->book / 100, out->book % 100);
        odz_i128 all = 0;
        for (size_t i = 0; i < n; i++) {
            odz_i128 s = odz_calc__round_div((odz_i128)profit * w[i], SCALE - sum);
            if (s > ODZ_CALC_STAKE_MAX)
                s = ODZ_CALC_STAKE_MAX + 1;
            out->legs[i].stake = (int64_t)s;
            all += s;
        }
        if (all > ODZ_CALC_STAKE_MAX)
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "that profit needs stakes of more than 1000000.00 in all");
    }
    for (size_t i = 0; i < n; i++)
        out->total += out->legs[i].stake;
    for (size_t i = 0; i < n; i++) {
        odz_dutch_leg *g = &out->legs[i];
        g->ret = (int64_t)odz_calc__round_div((odz_i128)g->stake * odds[i], 100);
        g->profit = g->ret - out->total;
        if (i == 0 || g->profit < out->min_profit)
            out->min_profit = g->profit;
    }
    return 0;
}

/* libFuzzer target: the calculators' text parsers (decimal numbers, odds lists, each-way
 * terms) and the calculators fed with whatever parses, on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "calc/calc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[4096];
    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char err[256];
    int64_t v;
    if (odz_calc_parse_hundredths(s, &v) == 0) {
        if (v < 0 || v > 100000000000LL)
            __builtin_trap();
        int odds = v > ODZ_CALC_ODDS_MAX ? ODZ_CALC_ODDS_MAX : (int)v;
        for (int t = 0; t < 3; t++)
            for (int m = 0; m < 3; m++) {
                odz_matched_in in = {.back = odds,
                                     .lay = 310,
                                     .stake = v,
                                     .commission = (int)(v % 10000),
                                     .type = (odz_bet_type)t,
                                     .mode = (odz_lay_mode)m};
                odz_matched_out o;
                if (odz_calc_matched(&in, &o, err, sizeof err) == 0 && o.lay_stake < 0)
                    __builtin_trap();
            }
        int c;
        int64_t ret;
        for (int m = 0; m < 2; m++)
            if (odz_calc_deduction((odz_deduct_method)m, odds, &c, err, sizeof err) == 0)
                odz_calc_deducted_return((odz_deduct_method)m, v, odds, c, &ret, &c, err,
                                         sizeof err);
    }
    int list[ODZ_CALC_RUNNERS_MAX];
    size_t n;
    if (odz_calc_parse_odds_list(s, list, ODZ_CALC_RUNNERS_MAX, &n) == 0) {
        if (n < 1 || n > ODZ_CALC_RUNNERS_MAX)
            __builtin_trap();
        odz_dutch_out o;
        if (odz_calc_dutch(list, n, 10001, 0, &o, err, sizeof err) == 0 && o.total != 10001)
            __builtin_trap();
        odz_calc_dutch(list, n, 0, 999, &o, err, sizeof err);
        int c;
        odz_calc_deduction_sum(ODZ_DEDUCT_RULE4, list, n < ODZ_CALC_WITHDRAWN_MAX ? n : 1, &c, err,
                               sizeof err);
    }
    int num, den;
    if (odz_calc_parse_fraction(s, &num, &den) == 0) {
        if (num < 1 || den < 1 || num > ODZ_CALC_FRACTION_MAX || den > ODZ_CALC_FRACTION_MAX)
            __builtin_trap();
        odz_eachway_in in = {.back = 1900,
                             .lay_win = 2000,
                             .lay_place = 600,
                             .stake = 500,
                             .places = 3,
                             .frac_num = num,
                             .frac_den = den,
                             .commission = 500};
        odz_eachway_out o;
        odz_calc_eachway(&in, &o, err, sizeof err);
    }
    return 0;
}

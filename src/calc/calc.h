/* Betting calculators: matched bet, each-way, dutching, deductions. Pure functions, no I/O. */
#ifndef ODZ_CALC_H
#define ODZ_CALC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Units, as in the rest of Oddzy (core/model.h): money in integer cents, decimal odds in
 * hundredths ($3.50 = 350), exchange commission in basis points (hundredths of a percent:
 * 5 % = 500), deductions in whole cents in the dollar (pence in the pound).
 *
 * Rounding: every amount is computed exactly in integers from the inputs and rounded once, to
 * the nearest cent, half away from zero. A lay stake is rounded first (it is what gets placed
 * on the exchange), and the liability and the results are then computed from that rounded lay
 * stake. Dutching stakes are rounded so that they add up to the total stake exactly (largest
 * remainder; ties to the earlier runner); with a target profit each stake is rounded alone.
 *
 * Every function validates every input and returns 0, or ODZ_EINVAL with words in err
 * (core/err.h); on error *out is left unspecified and nothing else is touched.
 */

#define ODZ_CALC_STAKE_MAX 100000000LL /* cents: 1,000,000.00 */
#define ODZ_CALC_ODDS_MIN 101          /* 1.01; 1.00 and below are refused */
#define ODZ_CALC_ODDS_MAX 100000       /* 1000.00, the exchange's ceiling */
#define ODZ_CALC_COMMISSION_MAX 9999   /* basis points: below 100 % */
#define ODZ_CALC_RUNNERS_MIN 2
#define ODZ_CALC_RUNNERS_MAX 100
#define ODZ_CALC_PLACES_MAX 10
#define ODZ_CALC_FRACTION_MAX 100 /* numerator and denominator of each-way terms */
#define ODZ_CALC_WITHDRAWN_MAX 20 /* withdrawn runners in one deduction */

typedef enum {
    ODZ_BET_QUALIFYING = 0, /* own money: the stake is lost if the back bet loses */
    ODZ_BET_SNR = 1,        /* free bet, stake not returned: a win pays stake x (odds - 1) */
    ODZ_BET_SR = 2,         /* free bet, stake returned: a win pays stake x odds */
} odz_bet_type;

/* Underlay and overlay move the lay stake from the normal one to where one outcome breaks
 * even: of the two stakes that leave 0 if the back bet wins or 0 if the lay bet wins, the
 * smaller is the underlay and the larger the overlay (the normal stake lies between them).
 * A qualifying bet underlaid breaks even if the back bet wins and loses more if it loses; a
 * free bet underlaid is not laid at all (all the profit if the back bet wins). */
typedef enum {
    ODZ_LAY_NORMAL = 0,   /* the same result whichever bet wins */
    ODZ_LAY_UNDERLAY = 1, /* lay less: the better result if the back bet wins */
    ODZ_LAY_OVERLAY = 2,  /* lay more: the better result if the lay bet wins */
} odz_lay_mode;

/** Names as in the API ("qualifying", "snr", "sr"; "normal", "underlay", "overlay");
 *  parse returns 0 or ODZ_EINVAL. */
const char *odz_bet_type_name(odz_bet_type t);
const char *odz_lay_mode_name(odz_lay_mode m);
int odz_bet_type_parse(const char *s, odz_bet_type *out);
int odz_lay_mode_parse(const char *s, odz_lay_mode *out);

typedef struct {
    int back;       /* bookmaker's decimal odds, hundredths */
    int lay;        /* exchange lay odds, hundredths */
    int64_t stake;  /* back stake (or free bet amount), cents */
    int commission; /* exchange commission on lay winnings, basis points */
    odz_bet_type type;
    odz_lay_mode mode;
} odz_matched_in;

typedef struct {
    int64_t lay_stake; /* cents */
    int64_t liability; /* lay_stake x (lay - 1), cents */
    int64_t back_wins; /* net result if the back bet wins, cents (negative: a loss) */
    int64_t lay_wins;  /* net result if the lay bet wins (the back bet loses), cents */
} odz_matched_out;

/** Back at the bookmaker, lay at the exchange. Lay stake (normal) = (W + L) / (lay - c),
 *  W = what a back win pays beyond a lost stake (stake x (back - 1), or stake x back for SR),
 *  L = the stake lost when the back bet loses (stake for qualifying, 0 for free bets). */
int odz_calc_matched(const odz_matched_in *in, odz_matched_out *out, char *err, size_t errlen);

typedef struct {
    int back;      /* bookmaker's win odds, hundredths */
    int lay_win;   /* exchange win market lay odds */
    int lay_place; /* exchange place market lay odds (same number of places) */
    int64_t stake; /* stake of each part: the bet costs 2 x stake */
    int places;    /* places paid, 1..ODZ_CALC_PLACES_MAX */
    int frac_num;  /* each-way terms: the place part pays (back - 1) x num/den + 1 */
    int frac_den;
    int commission;
    odz_bet_type type;
    odz_lay_mode mode;
} odz_eachway_in;

typedef struct {
    int place_num; /* place odds in hundredths = place_num / place_den (exact) */
    int place_den;
    odz_matched_out win;   /* the win part against the win market */
    odz_matched_out place; /* the place part against the place market */
    int64_t liability;     /* both lay liabilities, cents */
    int64_t if_wins;       /* net result if the runner wins, cents */
    int64_t if_places;     /* places but does not win */
    int64_t if_loses;      /* out of the places */
} odz_eachway_out;

/** Each-way back bet laid off in the exchange's win and place markets: each part is a
 *  matched bet (odz_calc_matched) of its own, the place part at the terms' place odds. */
int odz_calc_eachway(const odz_eachway_in *in, odz_eachway_out *out, char *err, size_t errlen);

typedef struct {
    int64_t stake;  /* cents */
    int64_t ret;    /* stake x odds, cents */
    int64_t profit; /* ret - total stake, cents */
} odz_dutch_leg;

typedef struct {
    size_t n;
    odz_dutch_leg legs[ODZ_CALC_RUNNERS_MAX];
    int64_t total;      /* sum of the stakes, cents */
    int64_t min_profit; /* the worst of the legs' profits */
    int book;           /* sum of 1/odds, basis points (72.22 % = 7222), rounded */
} odz_dutch_out;

/** Dutching: stakes on n runners (odds in hundredths) in proportion to 1/odds so that every
 *  winner returns the same. Exactly one of total (cents: the stakes add up to it) and profit
 *  (cents: every winner makes at least about that much, which needs a book under 100 %) is
 *  positive; the other is 0. A target profit that needs more than ODZ_CALC_STAKE_MAX in
 *  all is refused. */
int odz_calc_dutch(const int *odds, size_t n, int64_t total, int64_t profit, odz_dutch_out *out,
                   char *err, size_t errlen);

typedef enum {
    ODZ_DEDUCT_AU = 0,    /* Australian fixed odds: cents in the dollar off the whole payout */
    ODZ_DEDUCT_RULE4 = 1, /* Tattersalls' Rule 4(c): pence in the pound off the winnings */
} odz_deduct_method;

const char *odz_deduct_method_name(odz_deduct_method m); /* "au", "rule4" */
int odz_deduct_method_parse(const char *s, odz_deduct_method *out);

/** The deduction for one withdrawn runner from its win price (hundredths) at withdrawal,
 *  by the method's table, in cents. A price between two rows of a table takes the row of
 *  the next longer price (the smaller deduction). ODZ_EINVAL for a bad price or, for AU, a
 *  price beyond the rows this table holds (see deduct.c). */
int odz_calc_deduction(odz_deduct_method m, int price, int *cents, char *err, size_t errlen);

/** Several withdrawn runners: the sum of their deductions, capped (Rule 4: 90; AU: 100). */
int odz_calc_deduction_sum(odz_deduct_method m, const int *prices, size_t n, int *cents, char *err,
                           size_t errlen);

/** What a winning bet of `stake` at `odds` returns after a deduction of `cents` (0..100):
 *  AU: stake x odds x (100 - cents) / 100; Rule 4: stake + stake x (odds - 1) x (100 -
 *  cents) / 100. Also the odds that return it (ret / stake, hundredths, rounded) if
 *  odds_after is not NULL. */
int odz_calc_deducted_return(odz_deduct_method m, int64_t stake, int odds, int cents, int64_t *ret,
                             int *odds_after, char *err, size_t errlen);

/* ---- parsing the calculators' text inputs (query parameters); bounded, fuzzed -------------- */

/** A plain decimal number ("10", "3.1", "0.25"; at most 9 digits before the point and 6
 *  after, no sign, exponent or blanks) in hundredths, rounded half up: "9.845" -> 985.
 *  0 or ODZ_EINVAL. Used for money (cents), odds (hundredths) and percentages (basis points). */
int odz_calc_parse_hundredths(const char *s, int64_t *out);

/** A comma-separated list of decimal odds ("3,4.5,6") into out[0..*n), each as
 *  odz_calc_parse_hundredths and at most INT_MAX; ODZ_EINVAL for an empty item or more than
 *  max items. Ranges are checked by the calculator. */
int odz_calc_parse_odds_list(const char *s, int *out, size_t max, size_t *n);

/** Each-way terms "1/4" (numerator/denominator, each 1..ODZ_CALC_FRACTION_MAX). */
int odz_calc_parse_fraction(const char *s, int *num, int *den);

#endif

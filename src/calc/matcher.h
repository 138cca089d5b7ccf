/* The odds matcher's pure functions: one row (a bookmaker's back price against the exchange's
 * lay price) for qualifying bets and free bets, each-way terms, ratings, arbitrage, and the
 * strict parsing of the matcher's query. No I/O, no state (the incremental state that calls
 * these is racing/matcher.c). Units as calc.h: cents, hundredths, basis points. */
#ifndef ODZ_CALC_MATCHER_H
#define ODZ_CALC_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calc/calc.h"

/*
 * Rating, as odds matchers define it (the share of the money a bet keeps, whichever way the
 * race goes; the worse of the two outcomes counts):
 * - qualifying bet: 100 x (stake + worst result) / stake: 100 % loses nothing, 97 % loses
 *   0.30 of a 10.00 bet, above 100 % is a profit (an arbitrage);
 * - free bet (SNR, SR): 100 x worst result / free bet amount: the share of the free bet kept
 *   as cash (Profit Rush's SNR column: a 100 free bet at 12.0 laid at 14.0 without
 *   commission keeps 78.57, a rating of 78.57 %,
 *   https://profitrush.com/upgrades/snr-results-column/).
 * Each-way: the same over the bet's cost (two stakes) and the worst of its three outcomes.
 * In basis points (96.77 % = 9677), rounded half away from zero. */
int odz_matcher_rating(odz_bet_type type, int64_t staked, int64_t worst);

/*
 * Each-way terms when the source gives none: the standard terms of UK bookmakers for races
 * that are not handicaps, by the runners still in the race: 2 to 4 runners win only (no
 * each-way), 5 to 7 runners 2 places at 1/4 of the odds, 8 or more 3 places at 1/5.
 * Handicaps (better terms: 1/4 for 3 places from 12, 4 places from 16) are not told apart by
 * any source we read, so the non-handicap terms are used; an exchange place market is assumed
 * to pay the same places. 0, or ODZ_ENOTFOUND when the field is too small for each-way.
 */
int odz_matcher_eachway_terms(int runners, int *places, int *frac_num, int *frac_den);

/** A runner whose bookmaker back price is above the exchange lay price: back it and lay it for
 *  a profit whichever wins (before commission; the row's results say what is left after it). */
bool odz_matcher_is_arbitrage(int back, int lay);

typedef struct {
    int back;          /* bookmaker's fixed win price, hundredths */
    int lay;           /* exchange win market's best lay price */
    int lay_place;     /* exchange place market's best lay price, 0 when none */
    int runners;       /* runners still in the race (each-way terms) */
    int64_t stake;     /* cents */
    int commission;    /* basis points */
    odz_bet_type type; /* the each-way part is for this type */
} odz_match_in;

typedef struct {
    odz_matched_out bet[3]; /* by odz_bet_type: qualifying, snr, sr */
    int rating[3];          /* basis points */
    bool each_way;          /* terms for the field and a place lay exist */
    int places, frac_num, frac_den;
    odz_eachway_out ew; /* of in->type */
    int ew_rating;
} odz_match_out;

/** One matcher row: odz_calc_matched for each bet type and, when each-way terms and a place
 *  lay exist, odz_calc_eachway. 0 or ODZ_EINVAL (words in err) for inputs the calculators
 *  refuse. */
int odz_matcher_row(const odz_match_in *in, odz_match_out *out, char *err, size_t errlen);

/* ---- the query of GET /api/oddsmatcher and /api/arbitrage -------------------------------- */

#define ODZ_MATCHER_LIST_MAX 32    /* bookmakers, or race ids, in one filter */
#define ODZ_MATCHER_NAME_MAX 32    /* a bookmaker's name (ODZ_PROVIDER_MAX) */
#define ODZ_MATCHER_LIMIT_MAX 1000 /* rows in one answer */
#define ODZ_MATCHER_LIMIT_DEFAULT 100
#define ODZ_MATCHER_MINUTES_MAX 10080 /* a week */
#define ODZ_MATCHER_RATING_MAX 100000 /* basis points: 1000 % */

typedef enum {
    ODZ_MSORT_RATING = 0,
    ODZ_MSORT_START,
    ODZ_MSORT_BACK,
    ODZ_MSORT_LAY,
    ODZ_MSORT_LAY_SIZE,
    ODZ_MSORT_LIABILITY,
} odz_matcher_sort;

typedef struct {
    int64_t stake;          /* cents; default 1000 (10.00) */
    int commission;         /* basis points; default 500 (5 %) */
    odz_bet_type type;      /* default qualifying */
    int min_odds, max_odds; /* the back price, hundredths; 0: no bound */
    int minutes;            /* races starting within this many minutes; -1: any */
    int race_type;          /* odz_race_type, -1: any */
    size_t n_bookmakers;
    char bookmakers[ODZ_MATCHER_LIST_MAX][ODZ_MATCHER_NAME_MAX];
    size_t n_races;
    int64_t races[ODZ_MATCHER_LIST_MAX];
    int min_rating;        /* basis points; -1: none */
    int64_t min_liquidity; /* cents of lay size; -1: none (rows of unknown size pass only then) */
    odz_matcher_sort sort; /* default rating */
    bool desc;             /* default: descending for rating, lay_size; ascending otherwise */
    int limit;
} odz_matcher_query;

/** Parse a raw query string ("stake=10&commission=5&...", NULL or "" for the defaults).
 *  Every parameter is checked: 0, or ODZ_EINVAL with words naming the parameter in err;
 *  unknown parameters are ignored. Pure, fuzzed (fuzz/fuzz_matcher_query.c). */
int odz_matcher_query_parse(const char *query, odz_matcher_query *q, char *err, size_t errlen);

/** Whether a query's bookmaker filter lets `name` through (no filter: all). */
bool odz_matcher_query_bookmaker(const odz_matcher_query *q, const char *name);
/** Whether a query's race filter lets race `id` through (no filter: all). */
bool odz_matcher_query_race(const odz_matcher_query *q, int64_t id);

const char *odz_matcher_sort_name(odz_matcher_sort s);

#endif

/* The odds matcher's rows, ratings, each-way terms and query (calc/matcher.h). */
#include "calc/matcher.h"
#include "calc/calc_internal.h"
#include "core/err.h"
#include "core/model.h"
#include "http/server.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int odz_matcher_rating(odz_bet_type type, int64_t staked, int64_t worst)
{
    if (staked <= 0)
        return 0;
    odz_i128 kept = type == ODZ_BET_QUALIFYING ? (odz_i128)staked + worst : (odz_i128)worst;
    return (int)odz_calc__round_div(kept * 10000, staked);
}

int odz_matcher_eachway_terms(int runners, int *places, int *frac_num, int *frac_den)
{
    if (runners < 5)
        return ODZ_ENOTFOUND;
    *places = runners >= 8 ? 3 : 2;
    *frac_num = 1;
    *frac_den = runners >= 8 ? 5 : 4;
    return 0;
}

bool odz_matcher_is_arbitrage(int back, int lay)
{
    return back > 0 && lay > 0 && back > lay;
}

static int64_t worst2(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int odz_matcher_row(const odz_match_in *in, odz_match_out *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int t = ODZ_BET_QUALIFYING; t <= ODZ_BET_SR; t++) {
        odz_matched_in m = {in->back,       in->lay,         in->stake,
                            in->commission, (odz_bet_type)t, ODZ_LAY_NORMAL};
        int rc = odz_calc_matched(&m, &out->bet[t], err, errlen);
        if (rc)
            return rc;
        out->rating[t] = odz_matcher_rating((odz_bet_type)t, in->stake,
                                            worst2(out->bet[t].back_wins, out->bet[t].lay_wins));
    }
    if (in->lay_place <= 0 ||
        odz_matcher_eachway_terms(in->runners, &out->places, &out->frac_num, &out->frac_den))
        return 0;
    odz_eachway_in e = {in->back,      in->lay,       in->lay_place,  in->stake, out->places,
                        out->frac_num, out->frac_den, in->commission, in->type,  ODZ_LAY_NORMAL};
    char ignored[ODZ_ERRLEN];
    if (odz_calc_eachway(&e, &out->ew, ignored, sizeof ignored))
        return 0; /* a place lay the calculator refuses: no each-way part, the row stands */
    out->each_way = true;
    out->ew_rating =
        odz_matcher_rating(in->type, 2 * in->stake,
                           worst2(worst2(out->ew.if_wins, out->ew.if_places), out->ew.if_loses));
    return 0;
}

/* ---- the query ---------------------------------------------------------------------------- */

static const char *const sort_names[] = {"rating", "start", "back", "lay", "lay_size", "liability"};
#define N_SORTS (sizeof sort_names / sizeof sort_names[0])

const char *odz_matcher_sort_name(odz_matcher_sort s)
{
    return (unsigned)s < N_SORTS ? sort_names[s] : "?";
}

/* Longest value we read; anything longer is refused with words (a list of ids or names). */
#define VALUE_MAX 1024

/* 0, ODZ_ENOTFOUND when absent, ODZ_EINVAL when the value is too long or badly encoded. */
static int get(const char *query, const char *name, char *out)
{
    int rc = odz_http_query_get(query, name, out, VALUE_MAX);
    return rc == ODZ_ENOTFOUND ? rc : rc ? ODZ_EINVAL : 0;
}

/* A decimal parameter in hundredths within [lo, hi]; *out untouched when absent. */
static int decimal(const char *query, const char *name, int64_t lo, int64_t hi, int64_t *out,
                   const char *words, char *err, size_t errlen)
{
    char v[VALUE_MAX];
    int64_t x;
    int rc = get(query, name, v);
    if (rc == ODZ_ENOTFOUND)
        return 0;
    if (rc || odz_calc_parse_hundredths(v, &x) || x < lo || x > hi)
        return odz_fail(err, errlen, ODZ_EINVAL, "%s must be %s", name, words);
    *out = x;
    return 0;
}

/* A comma-separated list of at most ODZ_MATCHER_LIST_MAX items, each passed to `item`. */
static int list(const char *v, int (*item)(odz_matcher_query *, const char *, size_t),
                odz_matcher_query *q)
{
    size_t n = 0;
    for (const char *p = v;; n++) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (n >= ODZ_MATCHER_LIST_MAX || len == 0 || item(q, p, len))
            return ODZ_EINVAL;
        if (!c)
            return 0;
        p = c + 1;
    }
}

static int bookmaker_item(odz_matcher_query *q, const char *s, size_t len)
{
    if (len >= ODZ_MATCHER_NAME_MAX)
        return ODZ_EINVAL;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
            return ODZ_EINVAL;
    char *d = q->bookmakers[q->n_bookmakers++];
    for (size_t i = 0; i < len; i++)
        d[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    d[len] = '\0';
    return 0;
}

static int race_item(odz_matcher_query *q, const char *s, size_t len)
{
    int64_t x;
    if (odz_positive_parse(s, len, &x))
        return ODZ_EINVAL;
    q->races[q->n_races++] = x;
    return 0;
}

int odz_matcher_query_parse(const char *query, odz_matcher_query *q, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    q->stake = 1000;
    q->commission = 500;
    q->minutes = -1;
    q->race_type = -1;
    q->min_rating = -1;
    q->min_liquidity = -1;
    q->limit = ODZ_MATCHER_LIMIT_DEFAULT;
    int64_t x;
    char v[VALUE_MAX];
    int rc;

    x = q->stake;
    if ((rc = decimal(query, "stake", 1, ODZ_CALC_STAKE_MAX, &x,
                      "an amount above 0.00 and at most 1000000.00 (stake=10)", err, errlen)))
        return rc;
    q->stake = x;
    x = q->commission;
    if ((rc = decimal(query, "commission", 0, ODZ_CALC_COMMISSION_MAX, &x,
                      "a percentage from 0 to 99.99 (commission=5 for 5 %)", err, errlen)))
        return rc;
    q->commission = (int)x;
    x = 0;
    if ((rc = decimal(query, "min_odds", ODZ_CALC_ODDS_MIN, ODZ_CALC_ODDS_MAX, &x,
                      "decimal odds above 1.00 and at most 1000.00", err, errlen)))
        return rc;
    q->min_odds = (int)x;
    x = 0;
    if ((rc = decimal(query, "max_odds", ODZ_CALC_ODDS_MIN, ODZ_CALC_ODDS_MAX, &x,
                      "decimal odds above 1.00 and at most 1000.00", err, errlen)))
        return rc;
    q->max_odds = (int)x;
    if (q->min_odds && q->max_odds && q->min_odds > q->max_odds)
        return odz_fail(err, errlen, ODZ_EINVAL, "min_odds must not be above max_odds");
    x = -100;
    if ((rc = decimal(query, "minutes", 0, 100LL * ODZ_MATCHER_MINUTES_MAX, &x,
                      "a whole number of minutes from 0 to 10080", err, errlen)))
        return rc;
    if (x % 100)
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "minutes must be a whole number of minutes from 0 to 10080");
    q->minutes = (int)(x / 100);
    x = -1;
    if ((rc = decimal(query, "min_rating", 0, ODZ_MATCHER_RATING_MAX, &x,
                      "a percentage from 0 to 1000 (min_rating=95)", err, errlen)))
        return rc;
    q->min_rating = (int)x;
    x = -1;
    if ((rc = decimal(query, "min_liquidity", 0, ODZ_CALC_STAKE_MAX, &x,
                      "an amount from 0 to 1000000.00 (the lay size available)", err, errlen)))
        return rc;
    q->min_liquidity = x;
    x = ODZ_MATCHER_LIMIT_DEFAULT * 100;
    if ((rc = decimal(query, "limit", 100, 100LL * ODZ_MATCHER_LIMIT_MAX, &x,
                      "a whole number from 1 to 1000", err, errlen)))
        return rc;
    if (x % 100)
        return odz_fail(err, errlen, ODZ_EINVAL, "limit must be a whole number from 1 to 1000");
    q->limit = (int)(x / 100);

    rc = get(query, "type", v);
    if (rc != ODZ_ENOTFOUND && (rc || odz_bet_type_parse(v, &q->type)))
        return odz_fail(err, errlen, ODZ_EINVAL, "type must be qualifying, snr or sr");
    rc = get(query, "race_type", v);
    if (rc != ODZ_ENOTFOUND && (rc || (*v && strcmp(v, "all")))) {
        odz_race_type t;
        if (rc || odz_race_type_parse(v, &t))
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "race_type must be thoroughbred, harness or greyhound");
        q->race_type = (int)t;
    }
    rc = get(query, "bookmaker", v);
    if (rc != ODZ_ENOTFOUND && (rc || list(v, bookmaker_item, q)))
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "bookmaker must be 1 to %d provider names separated by commas "
                        "(letters, digits, '_', '-', '.'; under %d characters each)",
                        ODZ_MATCHER_LIST_MAX, ODZ_MATCHER_NAME_MAX);
    rc = get(query, "race_id", v);
    if (rc != ODZ_ENOTFOUND && (rc || list(v, race_item, q)))
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "race_id must be 1 to %d positive race ids separated by commas",
                        ODZ_MATCHER_LIST_MAX);
    rc = get(query, "sort", v);
    if (rc != ODZ_ENOTFOUND) {
        size_t i = 0;
        while (rc == 0 && i < N_SORTS && strcasecmp(v, sort_names[i]))
            i++;
        if (rc || i == N_SORTS)
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "sort must be rating, start, back, lay, lay_size or liability");
        q->sort = (odz_matcher_sort)i;
    }
    q->desc = q->sort == ODZ_MSORT_RATING || q->sort == ODZ_MSORT_LAY_SIZE;
    rc = get(query, "order", v);
    if (rc != ODZ_ENOTFOUND) {
        if (rc || (strcasecmp(v, "asc") && strcasecmp(v, "desc")))
            return odz_fail(err, errlen, ODZ_EINVAL, "order must be asc or desc");
        q->desc = !strcasecmp(v, "desc");
    }
    return 0;
}

bool odz_matcher_query_bookmaker(const odz_matcher_query *q, const char *name)
{
    for (size_t i = 0; i < q->n_bookmakers; i++)
        if (!strcasecmp(q->bookmakers[i], name))
            return true;
    return q->n_bookmakers == 0;
}

bool odz_matcher_query_race(const odz_matcher_query *q, int64_t id)
{
    for (size_t i = 0; i < q->n_races; i++)
        if (q->races[i] == id)
            return true;
    return q->n_races == 0;
}

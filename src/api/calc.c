/* The calculators' endpoints under /api/calc/: query parameters in, src/calc, JSON out.
 * Pure computations, answered on the event loop at once. */
#include "api/calc.h"
#include "calc/calc.h"
#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_COMMISSION 500 /* 5 % */
#define LIST_MAX 2048          /* a comma list of up to 100 odds fits with room to spare */

static int bad(odz_http_req *req, const char *msg)
{
    return odz_http_respond_json_error(req, 400, "bad_request", msg);
}

/* Amounts and odds go out as JSON numbers in units: cents / 100, hundredths / 100. Doubles
 * carry up to 15 significant digits exactly; the largest amount here has 14. */
static json_t *units(int64_t hundredths)
{
    return json_real((double)hundredths / 100.0);
}

static int reply(odz_http_req *req, json_t *body)
{
    char *txt = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    if (!txt)
        return odz_http_respond_json_error(req, 500, "internal", "out of memory");
    int rc = odz_http_respond(req, 200, "application/json", txt, strlen(txt));
    free(txt);
    return rc;
}

/* A decimal parameter in hundredths: 0, ODZ_ENOTFOUND when absent, ODZ_EINVAL when malformed
 * or above `max`, with words in err. */
static int number(odz_http_req *req, const char *name, int64_t max, int64_t *out, char *err)
{
    char buf[32];
    int rc = odz_http_query_param(req, name, buf, sizeof buf);
    if (rc == ODZ_ENOTFOUND)
        return odz_fail(err, ODZ_ERRLEN, rc, "%s is required", name);
    if (rc || odz_calc_parse_hundredths(buf, out) || *out > max)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL,
                        "%s must be a plain decimal number (like 3.5), at most %lld", name,
                        (long long)(max / 100));
    return 0;
}

/* Odds (hundredths) and money (cents) within what the calculators take; the calculator's own
 * range check then gives the precise words. */
static int odds_param(odz_http_req *req, const char *name, int *out, char *err)
{
    int64_t v;
    int rc = number(req, name, ODZ_CALC_ODDS_MAX, &v, err);
    if (rc == ODZ_EINVAL) /* too many digits or above the cap: the range's words */
        return odz_fail(err, ODZ_ERRLEN, rc,
                        "%s must be decimal odds above 1.00 and at most 1000.00", name);
    *out = (int)v;
    return rc;
}

static int money_param(odz_http_req *req, const char *name, int64_t *out, char *err)
{
    int rc = number(req, name, ODZ_CALC_STAKE_MAX, out, err);
    if (rc == ODZ_EINVAL)
        return odz_fail(err, ODZ_ERRLEN, rc, "%s must be above 0.00 and at most 1000000.00", name);
    return rc;
}

/* commission (percent, default 5), type and mode: shared by matched and eachway */
static int common_params(odz_http_req *req, int *commission, odz_bet_type *type, odz_lay_mode *mode,
                         char *err)
{
    int64_t c;
    int rc = number(req, "commission", ODZ_CALC_COMMISSION_MAX, &c, err);
    if (rc == ODZ_ENOTFOUND)
        c = DEFAULT_COMMISSION;
    else if (rc)
        return odz_fail(err, ODZ_ERRLEN, rc,
                        "commission must be a percentage from 0 to 99.99 (5 for 5 %%)");
    *commission = (int)c;
    char t[16];
    *type = ODZ_BET_QUALIFYING;
    rc = odz_http_query_param(req, "type", t, sizeof t);
    if (rc != ODZ_ENOTFOUND && (rc || odz_bet_type_parse(t, type)))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "type must be qualifying, snr or sr");
    *mode = ODZ_LAY_NORMAL;
    rc = odz_http_query_param(req, "mode", t, sizeof t);
    if (rc != ODZ_ENOTFOUND && (rc || odz_lay_mode_parse(t, mode)))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "mode must be normal, underlay or overlay");
    return 0;
}

static json_t *matched_json(const odz_matched_out *o)
{
    return json_pack("{s:o,s:o,s:o,s:o}", "lay_stake", units(o->lay_stake), "liability",
                     units(o->liability), "back_wins", units(o->back_wins), "lay_wins",
                     units(o->lay_wins));
}

static int h_matched(odz_http_req *req, void *ud)
{
    (void)ud;
    char err[ODZ_ERRLEN];
    odz_matched_in in;
    if (odds_param(req, "back", &in.back, err) || odds_param(req, "lay", &in.lay, err) ||
        money_param(req, "stake", &in.stake, err) ||
        common_params(req, &in.commission, &in.type, &in.mode, err))
        return bad(req, err);
    odz_matched_out o;
    if (odz_calc_matched(&in, &o, err, sizeof err))
        return bad(req, err);
    json_t *j = matched_json(&o);
    json_object_set_new(j, "type", json_string(odz_bet_type_name(in.type)));
    json_object_set_new(j, "mode", json_string(odz_lay_mode_name(in.mode)));
    json_object_set_new(j, "back", units(in.back));
    json_object_set_new(j, "lay", units(in.lay));
    json_object_set_new(j, "stake", units(in.stake));
    json_object_set_new(j, "commission", units(in.commission));
    json_object_set_new(j, "min_result",
                        units(o.back_wins < o.lay_wins ? o.back_wins : o.lay_wins));
    return reply(req, j);
}

static int h_eachway(odz_http_req *req, void *ud)
{
    (void)ud;
    char err[ODZ_ERRLEN], frac[16];
    odz_eachway_in in;
    int64_t places;
    if (odds_param(req, "back", &in.back, err) || odds_param(req, "lay_win", &in.lay_win, err) ||
        odds_param(req, "lay_place", &in.lay_place, err) ||
        money_param(req, "stake", &in.stake, err) ||
        common_params(req, &in.commission, &in.type, &in.mode, err))
        return bad(req, err);
    int rc = odz_http_query_param(req, "places", frac, sizeof frac);
    if (rc || odz_calc_parse_hundredths(frac, &places) || places % 100 ||
        places / 100 > ODZ_CALC_PLACES_MAX)
        return bad(req, "places is required: the places paid, a whole number from 1 to 10");
    in.places = (int)(places / 100);
    rc = odz_http_query_param(req, "fraction", frac, sizeof frac);
    if (rc || odz_calc_parse_fraction(frac, &in.frac_num, &in.frac_den))
        return bad(req, "fraction is required: the each-way terms as 1/4, 1/5, ...");
    odz_eachway_out o;
    if (odz_calc_eachway(&in, &o, err, sizeof err))
        return bad(req, err);
    json_t *j = json_pack(
        "{s:s,s:s,s:o,s:o,s:o,s:o,s:i,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "type",
        odz_bet_type_name(in.type), "mode", odz_lay_mode_name(in.mode), "back", units(in.back),
        "lay_win", units(in.lay_win), "lay_place", units(in.lay_place), "stake", units(in.stake),
        "places", in.places, "fraction", frac, "commission", units(in.commission), "place_odds",
        json_real((double)o.place_num / o.place_den / 100.0), "total_stake", units(2 * in.stake),
        "win", matched_json(&o.win), "place", matched_json(&o.place), "liability",
        units(o.liability), "if_wins", units(o.if_wins), "if_places", units(o.if_places),
        "if_loses", units(o.if_loses));
    return reply(req, j);
}

static int h_dutch(odz_http_req *req, void *ud)
{
    (void)ud;
    char err[ODZ_ERRLEN], list[LIST_MAX];
    int odds[ODZ_CALC_RUNNERS_MAX];
    size_t n = 0;
    int rc = odz_http_query_param(req, "runners", list, sizeof list);
    if (rc || odz_calc_parse_odds_list(list, odds, ODZ_CALC_RUNNERS_MAX, &n))
        return bad(req, "runners must be 2 to 100 decimal odds separated by commas "
                        "(runners=3,4.5,6)");
    int64_t total = 0, profit = 0;
    int rs = money_param(req, "stake", &total, err);
    int rp = money_param(req, "profit", &profit, err);
    if ((rs && rs != ODZ_ENOTFOUND) || (rp && rp != ODZ_ENOTFOUND))
        return bad(req, err);
    if ((rs == 0) == (rp == 0))
        return bad(req, "give either stake (the total to share) or profit (the target)");
    odz_dutch_out o;
    if (odz_calc_dutch(odds, n, total, profit, &o, err, sizeof err))
        return bad(req, err);
    json_t *legs = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(legs,
                              json_pack("{s:o,s:o,s:o,s:o}", "odds", units(odds[i]), "stake",
                                        units(o.legs[i].stake), "return", units(o.legs[i].ret),
                                        "profit", units(o.legs[i].profit)));
    return reply(req,
                 json_pack("{s:o,s:o,s:o,s:o}", "book", units(o.book), "total_stake",
                           units(o.total), "min_profit", units(o.min_profit), "runners", legs));
}

static int h_deduction(odz_http_req *req, void *ud)
{
    (void)ud;
    char err[ODZ_ERRLEN], list[LIST_MAX];
    odz_deduct_method m;
    int rc = odz_http_query_param(req, "method", list, sizeof list);
    if (rc || odz_deduct_method_parse(list, &m))
        return bad(req, "method is required: au (cents in the dollar off the payout) or rule4 "
                        "(Tattersalls' Rule 4, off the winnings)");
    int prices[ODZ_CALC_WITHDRAWN_MAX];
    size_t n = 0;
    int cents = 0;
    int64_t c;
    int rp = odz_http_query_param(req, "prices", list, sizeof list);
    int rcents = number(req, "cents", 10000, &c, err);
    if (rp != ODZ_ENOTFOUND && rcents != ODZ_ENOTFOUND)
        return bad(req, "give either prices (of the withdrawn runners) or cents, not both");
    json_t *withdrawn = json_array();
    if (rp == 0) {
        if (odz_calc_parse_odds_list(list, prices, ODZ_CALC_WITHDRAWN_MAX, &n)) {
            json_decref(withdrawn);
            return bad(req, "prices must be 1 to 20 decimal odds separated by commas");
        }
        for (size_t i = 0; i < n; i++) {
            int one;
            if (odz_calc_deduction(m, prices[i], &one, err, sizeof err)) {
                json_decref(withdrawn);
                return bad(req, err);
            }
            json_array_append_new(
                withdrawn, json_pack("{s:o,s:i}", "price", units(prices[i]), "deduction", one));
        }
        odz_calc_deduction_sum(m, prices, n, &cents, err, sizeof err);
    } else if (rcents == 0 && c % 100 == 0 && c <= 10000) {
        cents = (int)(c / 100);
    } else {
        json_decref(withdrawn);
        return bad(req, rp == ODZ_ENOTFOUND && rcents == ODZ_ENOTFOUND
                            ? "give prices (the withdrawn runners' win prices) or cents"
                            : "cents must be a whole number from 0 to 100");
    }
    json_t *j = json_pack("{s:s,s:i,s:o}", "method", odz_deduct_method_name(m), "deduction", cents,
                          "withdrawn", withdrawn);
    int odds = 0;
    int64_t stake = 0;
    int ro = odds_param(req, "odds", &odds, err);
    int rs = ro == ODZ_EINVAL ? ODZ_ENOTFOUND : money_param(req, "stake", &stake, err);
    if (ro == ODZ_ENOTFOUND && rs == ODZ_ENOTFOUND)
        return reply(req, j);
    if (ro || rs) {
        json_decref(j);
        return bad(req, ro == ODZ_EINVAL || rs == ODZ_EINVAL
                            ? err
                            : "give both odds and stake of the bet (or neither)");
    }
    int64_t before, after;
    int odds_after;
    if (odz_calc_deducted_return(m, stake, odds, 0, &before, NULL, err, sizeof err) ||
        odz_calc_deducted_return(m, stake, odds, cents, &after, &odds_after, err, sizeof err)) {
        json_decref(j);
        return bad(req, err);
    }
    json_object_set_new(j, "odds", units(odds));
    json_object_set_new(j, "stake", units(stake));
    json_object_set_new(j, "return_before", units(before));
    json_object_set_new(j, "return", units(after));
    json_object_set_new(j, "odds_after", units(odds_after));
    return reply(req, j);
}

int odz_api_calc_routes(odz_http_server *http)
{
    int rc = odz_http_route(http, "GET", "/api/calc/matched", h_matched, NULL);
    if (!rc)
        rc = odz_http_route(http, "GET", "/api/calc/eachway", h_eachway, NULL);
    if (!rc)
        rc = odz_http_route(http, "GET", "/api/calc/dutch", h_dutch, NULL);
    if (!rc)
        rc = odz_http_route(http, "GET", "/api/calc/deduction", h_deduction, NULL);
    return rc;
}

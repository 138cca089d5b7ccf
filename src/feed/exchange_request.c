/* What a Stream API client may send the simulated exchange: authentication, heartbeat and
 * marketSubscription (filters, data fields, heartbeat, conflation, initialClk/clk), parsed
 * with jansson and checked field by field. */
#include "feed/exchange.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"

static int bad(char *code, const char *c, char *err, size_t errlen, const char *what)
{
    if (code)
        snprintf(code, 32, "%s", c);
    return odz_fail(err, errlen, ODZ_EINVAL, "%s", what);
}

/* An optional integer within [lo, hi] into *out (left alone when absent or null). */
static int int_field(const json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return ODZ_EINVAL;
    *out = json_integer_value(v);
    return 0;
}

/* An optional string of 1..n-1 printable ASCII characters into out ("" when absent). */
static int str_field(const json_t *o, const char *key, char *out, size_t n)
{
    return odz_json_opt_text(o, key, out, n, true);
}

/* A list of strings; each is handed to `take`, which may refuse it. */
static int list(const json_t *o, const char *key, int (*take)(void *, const char *), void *ud,
                bool *present)
{
    const json_t *a = json_object_get(o, key), *v;
    *present = false;
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a) || json_array_size(a) > ODZ_FX_FILTER_MAX)
        return ODZ_EINVAL;
    *present = true;
    size_t i;
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        if (!s || json_string_length(v) == 0 || json_string_length(v) > 40 || take(ud, s))
            return ODZ_EINVAL;
    }
    return 0;
}

/* A filter code of which two mean something to us (their flags are set) and others, made of
 * `charset`, are valid but match nothing of ours. */
static int take_code(const char *s, const char *a, bool *fa, const char *b, bool *fb,
                     const char *charset)
{
    if (!strcmp(s, a))
        *fa = true;
    else if (!strcmp(s, b))
        *fb = true;
    else if (strspn(s, charset) != strlen(s))
        return ODZ_EINVAL;
    return 0;
}

static int take_event_type(void *ud, const char *s)
{
    odz_fx_filter *f = ud;
    return take_code(s, "7", &f->horses, "4339", &f->greyhounds, "0123456789");
}

static int take_country(void *ud, const char *s)
{
    odz_fx_filter *f = ud;
    if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
        return ODZ_EINVAL;
    memcpy(f->countries[f->n_countries++], s, 3);
    return 0;
}

static int take_market_type(void *ud, const char *s)
{
    odz_fx_filter *f = ud;
    return take_code(s, "WIN", &f->win, "PLACE", &f->place,
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
}

static int take_market_id(void *ud, const char *s)
{
    odz_fx_filter *f = ud;
    if (strlen(s) >= sizeof f->market_ids[0] || s[0] != '1' || s[1] != '.' || !s[2] ||
        strspn(s + 2, "0123456789") != strlen(s + 2))
        return ODZ_EINVAL;
    memcpy(f->market_ids[f->n_market_ids++], s, strlen(s) + 1);
    return 0;
}

static int take_field(void *ud, const char *s)
{
    static const char *const known[] = {"EX_BEST_OFFERS_DISP", "EX_BEST_OFFERS", "EX_ALL_OFFERS",
                                        "EX_TRADED",           "EX_TRADED_VOL",  "EX_LTP",
                                        "EX_MARKET_DEF",       "SP_TRADED",      "SP_PROJECTED"};
    (void)ud;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(s, known[i]))
            return 0;
    return ODZ_EINVAL;
}

static int subscription(const json_t *j, odz_fx_request *r, char *code, char *err, size_t errlen)
{
    const json_t *mf = json_object_get(j, "marketFilter");
    const json_t *df = json_object_get(j, "marketDataFilter");
    if ((mf && !json_is_null(mf) && !json_is_object(mf)) ||
        (df && !json_is_null(df) && !json_is_object(df)))
        return bad(code, "INVALID_INPUT", err, errlen,
                   "marketFilter and marketDataFilter must be objects");
    bool types = false, markets = false, countries = false, ids = false, fields = false;
    odz_fx_filter *f = &r->filter;
    if (json_is_object(mf) &&
        (list(mf, "eventTypeIds", take_event_type, f, &types) ||
         list(mf, "countryCodes", take_country, f, &countries) ||
         list(mf, "marketTypes", take_market_type, f, &markets) ||
         list(mf, "marketIds", take_market_id, f, &ids)))
        return bad(code, "INVALID_INPUT", err, errlen,
                   "marketFilter: eventTypeIds, countryCodes, marketTypes and marketIds are "
                   "lists of at most 64 valid codes");
    f->any_event_type = !types;
    if (!markets)
        f->win = f->place = true;
    int64_t levels = 3, hb = 5000, cf = 0;
    if (json_is_object(df) && (list(df, "fields", take_field, NULL, &fields) ||
                               int_field(df, "ladderLevels", 1, 10, &levels)))
        return bad(code, "INVALID_INPUT", err, errlen,
                   "marketDataFilter: unknown field, or ladderLevels outside 1..10");
    if (int_field(j, "heartbeatMs", 500, 30000, &hb) || int_field(j, "conflateMs", 0, 120000, &cf))
        return bad(code, "INVALID_INPUT", err, errlen,
                   "heartbeatMs must be within 500..30000 and conflateMs within 0..120000");
    const json_t *seg = json_object_get(j, "segmentationEnabled");
    if (seg && !json_is_null(seg) && !json_is_boolean(seg))
        return bad(code, "INVALID_INPUT", err, errlen, "segmentationEnabled must be a boolean");
    r->segmentation = !seg || json_is_null(seg) || json_is_true(seg);
    if (str_field(j, "initialClk", r->initial_clk, sizeof r->initial_clk) ||
        str_field(j, "clk", r->clk, sizeof r->clk))
        return bad(code, "INVALID_CLOCK", err, errlen, "initialClk and clk must be short tokens");
    r->ladder_levels = (int)levels;
    r->heartbeat_ms = (int)hb;
    r->conflate_ms = (int)cf;
    return 0;
}

int odz_fx_request_parse(const char *msg, size_t len, odz_fx_request *out, char *code, char *err,
                         size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (code)
        code[0] = '\0';
    if (!msg || len > ODZ_FX_REQUEST_MAX)
        return bad(code, "INVALID_INPUT", err, errlen, "message too long");
    json_error_t je;
    json_t *j = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return bad(code, "INVALID_INPUT", err, errlen, "not JSON");
    int rc = 0;
    int64_t id = 0;
    const char *op = json_string_value(json_object_get(j, "op"));
    if (!json_is_object(j) || !op) {
        rc = bad(code, "INVALID_INPUT", err, errlen, "no op");
        goto out;
    }
    if (int_field(j, "id", 0, INT32_MAX, &id)) {
        rc = bad(code, "INVALID_INPUT", err, errlen, "id must be an integer within 0..2^31-1");
        goto out;
    }
    out->id = id;
    if (!strcmp(op, "authentication")) {
        char tmp[600];
        out->op = ODZ_FX_REQ_AUTHENTICATION;
        if (str_field(j, "appKey", tmp, sizeof tmp) == 0)
            out->has_app_key = tmp[0] != '\0';
        else
            rc = bad(code, "INVALID_INPUT", err, errlen, "appKey must be a short token");
        if (!rc && str_field(j, "session", tmp, sizeof tmp) == 0)
            out->has_session = tmp[0] != '\0';
        else if (!rc)
            rc = bad(code, "INVALID_INPUT", err, errlen, "session must be a short token");
    } else if (!strcmp(op, "heartbeat")) {
        out->op = ODZ_FX_REQ_HEARTBEAT;
    } else if (!strcmp(op, "marketSubscription")) {
        out->op = ODZ_FX_REQ_MARKET_SUBSCRIPTION;
        rc = subscription(j, out, code, err, errlen);
    } else if (!strcmp(op, "orderSubscription")) {
        out->op = ODZ_FX_REQ_ORDER_SUBSCRIPTION;
    } else {
        rc = bad(code, "INVALID_REQUEST", err, errlen, "unknown op");
    }
out:
    json_decref(j);
    return rc;
}

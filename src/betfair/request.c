/* Stream API requests, built with jansson so every value is escaped. */
#include "betfair/request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* The object as one CRLF-terminated line into out; consumes j. */
static int line(json_t *j, char *out, size_t n, size_t *len)
{
    if (!j)
        return ODZ_EINVAL;
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return ODZ_ENOMEM;
    size_t k = strlen(s);
    int rc = ODZ_EINVAL;
    if (k + 3 <= n && k + 2 <= ODZ_BF_REQUEST_MAX) {
        memcpy(out, s, k);
        memcpy(out + k, "\r\n", 3);
        *len = k + 2;
        rc = 0;
    }
    free(s);
    return rc;
}

static bool token_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 512)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

int odz_bf_request_auth(int id, const char *app_key, const char *session, char *out, size_t n,
                        size_t *len)
{
    if (!token_ok(app_key) || !token_ok(session))
        return ODZ_EINVAL;
    return line(json_pack("{s:s,s:i,s:s,s:s}", "op", "authentication", "id", id, "appKey",
                          app_key, "session", session),
                out, n, len);
}

int odz_bf_request_heartbeat(int id, char *out, size_t n, size_t *len)
{
    return line(json_pack("{s:s,s:i}", "op", "heartbeat", "id", id), out, n, len);
}

/* A filter list as a JSON array set on obj (nothing when empty). */
static int filter(json_t *obj, const char *key, const char *const *v, size_t nv)
{
    if (!nv)
        return 0;
    if (nv > ODZ_BF_FILTER_MAX || !v)
        return ODZ_EINVAL;
    json_t *a = json_array();
    for (size_t i = 0; i < nv; i++)
        if (!token_ok(v[i]) || strlen(v[i]) >= ODZ_BF_TEXT_MAX ||
            json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            return ODZ_EINVAL;
        }
    return json_object_set_new(obj, key, a) ? ODZ_ENOMEM : 0;
}

int odz_bf_request_subscribe(int id, const odz_bf_subscription *sub, const odz_bf_cache *resume,
                             char *out, size_t n, size_t *len)
{
    int hb = sub->heartbeat_ms ? sub->heartbeat_ms : 5000;
    int levels = sub->ladder_levels ? sub->ladder_levels : 3;
    if (hb < 500 || hb > 30000 || sub->conflate_ms < 0 || sub->conflate_ms > 120000 ||
        levels < 1 || levels > ODZ_BF_DEPTH)
        return ODZ_EINVAL;
    json_t *mf = json_object();
    if (filter(mf, "eventTypeIds", sub->event_type_ids, sub->n_event_type_ids) ||
        filter(mf, "countryCodes", sub->country_codes, sub->n_country_codes) ||
        filter(mf, "marketTypes", sub->market_types, sub->n_market_types)) {
        json_decref(mf);
        return ODZ_EINVAL;
    }
    json_t *j = json_pack("{s:s,s:i,s:b,s:i,s:i,s:o,s:{s:i,s:[ssss]}}", "op",
                          "marketSubscription", "id", id, "segmentationEnabled", 1,
                          "heartbeatMs", hb, "conflateMs", sub->conflate_ms, "marketFilter", mf,
                          "marketDataFilter", "ladderLevels", levels, "fields", "EX_BEST_OFFERS",
                          "EX_LTP", "EX_TRADED_VOL", "EX_MARKET_DEF");
    if (j && resume && resume->initial_clk[0]) {
        json_object_set_new(j, "initialClk", json_string(resume->initial_clk));
        if (resume->clk[0])
            json_object_set_new(j, "clk", json_string(resume->clk));
    }
    return line(j, out, n, len);
}

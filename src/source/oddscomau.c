/* The odds-comparison source the original Oddzy polled: a schedule per sport and day, and a
 * race card per event with every bookmaker's and tote's prices. Bodies travel as
 * {"r": "<payload>"}, the payload being the JSON base64-encoded and then ROT13-rotated. */
#include "source/source.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "core/tz.h"

#define SCHEDULE_PATH "/api/web/public/Racing/getUpcomingRaces/"
#define CARD_PATH "/api/web/public/Odds/getOddsComparisonCacheable/"
#define EVENT_ID_MAX 999999999999LL
#define EPOCH_MAX 4102444800LL   /* 2100-01-01: later times are garbage */
#define FLUCS_TEXT_MAX (256u * 1024u)
#define AGENCIES_MAX 64
#define SLUG_MAX 80

static const struct {
    const char *sport;
    odz_race_type type;
} sports[] = {
    {"horse-racing", ODZ_THOROUGHBRED},
    {"harness", ODZ_HARNESS},
    {"greyhounds", ODZ_GREYHOUND},
};
#define N_SPORTS (sizeof sports / sizeof sports[0])

static int sport_type(const char *sport, odz_race_type *out)
{
    for (size_t i = 0; sport && i < N_SPORTS; i++)
        if (strcmp(sport, sports[i].sport) == 0) {
            *out = sports[i].type;
            return 0;
        }
    return ODZ_EINVAL;
}

/* ---- the wire form ---- */

static char rot13(char c)
{
    if (c >= 'a' && c <= 'z')
        return (char)('a' + (c - 'a' + 13) % 26);
    if (c >= 'A' && c <= 'Z')
        return (char)('A' + (c - 'A' + 13) % 26);
    return c;
}

static int b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* ROT13 then strict base64 (no whitespace, padding only at the end) into a malloc'd buffer
 * the caller frees; NULL on bad input or out-of-memory, with words in err. */
static unsigned char *unwrap(const char *p, size_t n, size_t *outlen, char *err, size_t errlen)
{
    if (n == 0 || n % 4 != 0 || n > ODZ_SOURCE_BODY_MAX) {
        odz_fail(err, errlen, ODZ_EINVAL, "payload of %zu characters is not base64", n);
        return NULL;
    }
    size_t pad = p[n - 1] == '=' ? (p[n - 2] == '=' ? 2 : 1) : 0;
    char *t = malloc(n + 1);
    unsigned char *raw = malloc(n / 4 * 3 + 1);
    if (!t || !raw) {
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory decoding the payload");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        t[i] = rot13(p[i]);
        if (!(b64_char(t[i]) || (t[i] == '=' && i >= n - pad))) {
            odz_fail(err, errlen, ODZ_EINVAL, "payload is not base64 (character %zu)", i);
            goto fail;
        }
    }
    t[n] = '\0';
    int m = EVP_DecodeBlock(raw, (const unsigned char *)t, (int)n);
    if (m < 0 || (size_t)m < pad) {
        odz_fail(err, errlen, ODZ_EINVAL, "payload is not base64");
        goto fail;
    }
    free(t);
    *outlen = (size_t)m - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
    return raw;
fail:
    free(t);
    free(raw);
    return NULL;
}

/* The body as a JSON object: plain, or the wire form unwrapped. The tree is in this thread's
 * scratch arena (odz_json_loadb_scratch): read-only, valid until the thread's next parse (the
 * wire form's own tree goes when its payload is parsed: the payload is decoded into a copy
 * first). NULL on error. */
static const json_t *load_body(const char *body, size_t len, char *err, size_t errlen)
{
    if (!body || len == 0) {
        odz_fail(err, errlen, ODZ_EINVAL, "empty body");
        return NULL;
    }
    const json_t *j = odz_json_loadb_scratch(body, len, ODZ_SOURCE_BODY_MAX, err, errlen);
    if (!j)
        return NULL;
    if (!json_is_object(j)) {
        odz_fail(err, errlen, ODZ_EINVAL, "body is not a JSON object");
        return NULL;
    }
    const json_t *r = json_object_get(j, "r");
    if (!r)
        return j;
    const json_t *inner = NULL;
    if (!json_is_string(r) || json_object_size(j) != 1) {
        odz_fail(err, errlen, ODZ_EINVAL, "wire form must be {\"r\": \"<payload>\"}");
        return NULL;
    }
    size_t n;
    unsigned char *raw = unwrap(json_string_value(r), json_string_length(r), &n, err, errlen);
    if (!raw)
        return NULL;
    if (!n)
        odz_fail(err, errlen, ODZ_EINVAL, "empty payload");
    else
        inner = odz_json_loadb_scratch((const char *)raw, n, ODZ_SOURCE_BODY_MAX, err, errlen);
    free(raw);
    if (inner && !json_is_object(inner)) {
        odz_fail(err, errlen, ODZ_EINVAL, "payload is not a JSON object");
        inner = NULL;
    }
    return inner;
}

/* ---- small readers ---- */

/* Value of `name` in the query of `path` ("...?sport=harness&date=2018-06-10"), "" if none. */
static void query_param(const char *path, const char *name, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *q = path ? strchr(path, '?') : NULL;
    size_t nl = strlen(name);
    while (q && *q) {
        q++;
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl < outlen) {
                memcpy(out, q + nl + 1, vl);
                out[vl] = '\0';
            }
            return;
        }
        q = end;
    }
}

/* "10 Jun 2018" -> "2018-06-10". */
static int parse_day_month_year(const char *s, char out[ODZ_DATE_MAX])
{
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (!s)
        return ODZ_EINVAL;
    size_t n = strlen(s);
    size_t dl = (n == 11) ? 2 : (n == 10) ? 1 : 0; /* "10 Jun 2018" or "9 Jun 2018" */
    if (!dl || s[dl] != ' ' || s[dl + 4] != ' ')
        return ODZ_EINVAL;
    unsigned day = 0, mon = 0, year = 0;
    for (size_t i = 0; i < dl; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ODZ_EINVAL;
        day = day * 10 + (unsigned)(s[i] - '0');
    }
    for (unsigned i = 0; i < 12; i++)
        if (strncasecmp(s + dl + 1, months[i], 3) == 0)
            mon = i + 1;
    for (size_t i = dl + 5; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ODZ_EINVAL;
        year = year * 10 + (unsigned)(s[i] - '0');
    }
    if (!mon)
        return ODZ_EINVAL;
    snprintf(out, ODZ_DATE_MAX, "%04u-%02u-%02u", year % 10000, mon % 100, day % 100);
    return odz_date_valid(out);
}

/* "/horse-racing/edenhope/race-1/" -> sport "horse-racing", venue slug "edenhope". */
static int parse_event_url(const char *url, char *sport, size_t sportlen, char *slug,
                           size_t sluglen)
{
    if (!url || url[0] != '/')
        return ODZ_EINVAL;
    const char *a = url + 1, *b = strchr(a, '/');
    if (!b || b == a || (size_t)(b - a) >= sportlen)
        return ODZ_EINVAL;
    const char *c = strchr(b + 1, '/');
    if (!c)
        c = b + 1 + strlen(b + 1);
    if (c == b + 1 || (size_t)(c - b - 1) >= sluglen)
        return ODZ_EINVAL;
    memcpy(sport, a, (size_t)(b - a));
    sport[b - a] = '\0';
    memcpy(slug, b + 1, (size_t)(c - b - 1));
    slug[c - b - 1] = '\0';
    for (const char *p = slug; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return ODZ_EINVAL;
    return 0;
}

/* Country code from the flag URL ("//.../flags/@2x/AU@2x.png" -> "AU"), else from the name. */
static void meeting_country(const json_t *m, char *out, size_t outlen)
{
    static const struct {
        const char *name, *code;
    } names[] = {
        {"Australia", "AU"},   {"New Zealand", "NZ"}, {"United Kingdom", "GB"},
        {"Ireland", "IE"},     {"Hong Kong", "HK"},   {"USA", "US"},
        {"United States", "US"}, {"Singapore", "SG"}, {"South Africa", "ZA"},
        {"Japan", "JP"},       {"France", "FR"},
    };
    out[0] = '\0';
    const char *url = odz__jstr(m, "regionIconURL");
    const char *f = url ? strrchr(url, '/') : NULL;
    if (f) {
        size_t n = 0;
        while (f[1 + n] >= 'A' && f[1 + n] <= 'Z' && n < 3)
            n++;
        if (n >= 2 && n < outlen && (f[1 + n] == '@' || f[1 + n] == '.')) {
            memcpy(out, f + 1, n);
            out[n] = '\0';
            return;
        }
    }
    const char *desc = odz__jstr(m, "regionDescription");
    for (size_t i = 0; desc && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(desc, names[i].name) == 0) {
            odz_strlcpy(out, names[i].code, outlen);
            return;
        }
}

/* Results "2,5,11" (first, second, third), a number (the winner) or null. */
static void parse_results(odz_scrape *s, const json_t *v, odz_race *r)
{
    r->n_results = 0;
    if (!v || json_is_null(v))
        return;
    if (json_is_number(v)) {
        int64_t x;
        if (odz__jint(v, 1, 99, &x) == 0) {
            r->results[0] = (odz_placing){.position = 1, .number = (int)x};
            r->n_results = 1;
        } else {
            odz__scrape_warn(s, "race %s: bad results number", r->source_key);
        }
        return;
    }
    if (!json_is_string(v)) {
        odz__scrape_warn(s, "race %s: results of the wrong type", r->source_key);
        return;
    }
    const char *p = json_string_value(v);
    size_t n = 0;
    while (*p) {
        while (*p == ' ')
            p++;
        int x = 0, nd = 0;
        while (*p >= '0' && *p <= '9' && nd < 3) {
            x = x * 10 + (*p++ - '0');
            nd++;
        }
        while (*p == ' ')
            p++;
        if (nd == 0 || x < 1 || x > 99 || n >= ODZ_MAX_PLACINGS || (*p && *p != ',') ||
            (*p == ',' && !p[1])) {
            odz__scrape_warn(s, "race %s: bad results text", r->source_key);
            r->n_results = 0;
            return;
        }
        r->results[n] = (odz_placing){.position = (int)n + 1, .number = x};
        n++;
        if (*p == ',')
            p++;
    }
    r->n_results = n;
}

/* ---- schedule ---- */

typedef struct {
    char sport[32];
    char date[ODZ_DATE_MAX];
} request_ctx;

/* One event of a meeting into a race; 1 when skipped (warned), 0 added, <0 error. */
static int parse_event(odz_scrape *s, const json_t *e, const char *meeting_key, int64_t *start)
{
    odz_race r = {0};
    int64_t id;
    if (odz__jint(json_object_get(e, "eventId"), 1, EVENT_ID_MAX, &id)) {
        odz__scrape_warn(s, "meeting %s: event without a valid eventId skipped", meeting_key);
        return 1;
    }
    snprintf(r.source_key, sizeof r.source_key, "%lld", (long long)id);
    r.number = (int)odz__jint_or(json_object_get(e, "eventNumber"), 1, 99, 0);
    const char *name = odz__jstr(e, "eventName");
    if (name)
        odz__text(s, r.name, sizeof r.name, name, "event name");
    else if (r.number)
        snprintf(r.name, sizeof r.name, "Race %d", r.number);
    r.scheduled_start = odz__jint_or(json_object_get(e, "startTime"), 0, EPOCH_MAX, 0);
    parse_results(s, json_object_get(e, "results"), &r);
    if (odz__jbool_or(json_object_get(e, "isAbandoned"), false)) {
        r.status = ODZ_ABANDONED;
        r.n_results = 0;
    } else if (odz__jbool_or(json_object_get(e, "resulted"), false)) {
        r.status = ODZ_FINAL;
    } else {
        r.status = r.n_results ? ODZ_INTERIM : ODZ_OPEN;
    }
    *start = r.scheduled_start;
    return odz__scrape_add_race(s, meeting_key, &r);
}

static int parse_meeting(odz_scrape *s, const json_t *m, const request_ctx *ctx, char *err,
                         size_t errlen)
{
    const char *mname = odz__jstr(m, "meetingName");
    json_t *events = json_object_get(m, "events");
    if (!events || json_is_null(events)) {
        odz__scrape_warn(s, "meeting %s without events skipped", mname ? mname : "?");
        return 0;
    }
    if (!json_is_array(events))
        return odz_fail(err, errlen, ODZ_EINVAL, "meeting events is not an array");

    /* The meeting's identity comes from its events: URL (sport, venue) and date. */
    char sport[32] = "", slug[SLUG_MAX] = "", date[ODZ_DATE_MAX] = "";
    int64_t first_start = 0;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        if (!json_is_object(e))
            return odz_fail(err, errlen, ODZ_EINVAL, "event is not an object");
        if (!slug[0] && parse_event_url(odz__jstr(e, "eventUrl"), sport, sizeof sport, slug,
                                        sizeof slug) != 0)
            slug[0] = sport[0] = '\0';
        if (!date[0] && parse_day_month_year(odz__jstr(e, "dateWithYear"), date) != 0)
            date[0] = '\0';
        if (!first_start)
            first_start = odz__jint_or(json_object_get(e, "startTime"), 1, EPOCH_MAX, 0);
    }
    odz_meeting mt = {0};
    if (sport_type(sport, &mt.type) != 0) {
        if (sport_type(ctx->sport, &mt.type) != 0 || !slug[0]) {
            odz__scrape_warn(s, "meeting %s: no sport or venue in its URLs, skipped",
                             mname ? mname : "?");
            return 0;
        }
        odz_strlcpy(sport, ctx->sport, sizeof sport);
    }
    if (!date[0] && ctx->date[0])
        memcpy(date, ctx->date, sizeof date);
    if (!date[0] && (!first_start || odz_race_day(first_start, NULL, date) != 0)) {
        odz__scrape_warn(s, "meeting %s: no date, skipped", mname ? mname : slug);
        return 0;
    }
    snprintf(mt.source_key, sizeof mt.source_key, "%.4s%.2s%.2s-%s-%s", date, date + 5, date + 8,
             slug, sport);
    if (!odz__key_ok(mt.source_key)) {
        odz__scrape_warn(s, "meeting %s: unusable key, skipped", mname ? mname : slug);
        return 0;
    }
    memcpy(mt.date, date, sizeof mt.date);
    odz__text(s, mt.name, sizeof mt.name, mname ? mname : slug, "meeting name");
    meeting_country(m, mt.country, sizeof mt.country);
    odz_strlcpy(mt.region, odz__region_of_country(mt.country), sizeof mt.region);

    const char *mkey = odz__scrape_key(s, mt.source_key);
    if (!mkey)
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    size_t added = 0;
    json_array_foreach(events, i, e) {
        if (added >= ODZ_SOURCE_MAX_RACES) {
            odz__scrape_warn(s, "meeting %s: races past %d skipped", mt.source_key,
                             ODZ_SOURCE_MAX_RACES);
            break;
        }
        int64_t start = 0;
        int rc = parse_event(s, e, mkey, &start);
        if (rc < 0)
            return odz_fail(err, errlen, rc, "cannot keep more races");
        if (rc == 0) {
            added++;
            if (start && (!mt.first_start || start < mt.first_start))
                mt.first_start = start;
        }
    }
    int rc = odz__scrape_add_meeting(s, &mt);
    if (rc)
        return odz_fail(err, errlen, rc, "cannot keep more meetings");
    return 0;
}

static int parse_schedule(const char *body, size_t len, const char *request_path,
                          odz_scrape *out, char *err, size_t errlen)
{
    odz_scrape tmp = {0};
    request_ctx ctx;
    query_param(request_path, "sport", ctx.sport, sizeof ctx.sport);
    query_param(request_path, "date", ctx.date, sizeof ctx.date);
    if (odz_date_valid(ctx.date))
        ctx.date[0] = '\0';
    int rc = ODZ_EINVAL;
    const json_t *root = load_body(body, len, err, errlen);
    if (!root)
        goto out;
    json_t *groups = json_object_get(root, "regionGroups");
    if (!json_is_array(groups)) {
        rc = odz_fail(err, errlen, ODZ_EINVAL, "schedule without a regionGroups array");
        goto out;
    }
    size_t gi, mi, n = 0;
    json_t *g, *m;
    json_array_foreach(groups, gi, g) {
        if (!json_is_object(g)) {
            rc = odz_fail(err, errlen, ODZ_EINVAL, "region group is not an object");
            goto out;
        }
        json_t *meetings = json_object_get(g, "meetings");
        if (!meetings || json_is_null(meetings))
            continue;
        if (!json_is_array(meetings)) {
            rc = odz_fail(err, errlen, ODZ_EINVAL, "meetings is not an array");
            goto out;
        }
        json_array_foreach(meetings, mi, m) {
            if (!json_is_object(m)) {
                rc = odz_fail(err, errlen, ODZ_EINVAL, "meeting is not an object");
                goto out;
            }
            if (n++ == ODZ_SOURCE_MAX_MEETINGS)
                odz__scrape_warn(&tmp, "meetings past %d skipped", ODZ_SOURCE_MAX_MEETINGS);
            if (n > ODZ_SOURCE_MAX_MEETINGS)
                continue;
            rc = parse_meeting(&tmp, m, &ctx, err, errlen);
            if (rc)
                goto out;
        }
    }
    rc = 0;
out:
    return odz__scrape_done(out, &tmp, rc, "schedule", err, errlen);
}

/* ---- race card ---- */

typedef struct {
    char name[ODZ_PROVIDER_MAX]; /* lowercased */
    char bet_type[24];
    int64_t updated;
} agency;

/* Lowercased provider name of [a-z0-9._-]; 0 or ODZ_EINVAL. */
static int provider_name(const char *s, char *out, size_t outlen)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= outlen)
        return ODZ_EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return ODZ_EINVAL;
        out[i] = c;
    }
    out[n] = '\0';
    return 0;
}

static int bet_type_market(const char *bt, odz_market *out)
{
    static const struct {
        const char *bet_type;
        odz_market market;
    } map[] = {
        {"FixedWin", ODZ_FIXED_WIN},         {"FixedPlace", ODZ_FIXED_PLACE},
        {"DivWin", ODZ_TOTE_WIN},            {"DivPlace", ODZ_TOTE_PLACE},
        {"ExchangeBack", ODZ_EXCHANGE_BACK}, {"ExchangeLay", ODZ_EXCHANGE_LAY},
    };
    for (size_t i = 0; bt && i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(bt, map[i].bet_type) == 0) {
            *out = map[i].market;
            return 0;
        }
    return ODZ_EINVAL;
}

static size_t parse_agencies(odz_scrape *s, const json_t *arr, agency *ag)
{
    size_t n = 0, i;
    json_t *a;
    if (!json_is_array(arr))
        return 0;
    json_array_foreach(arr, i, a) {
        if (n >= AGENCIES_MAX) {
            odz__scrape_warn(s, "agencies past %d ignored", AGENCIES_MAX);
            break;
        }
        const char *bt = odz__jstr(a, "betType");
        if (provider_name(odz__jstr(a, "agencyName"), ag[n].name, sizeof ag[n].name) != 0 || !bt ||
            strlen(bt) >= sizeof ag[n].bet_type)
            continue;
        memcpy(ag[n].bet_type, bt, strlen(bt) + 1);
        ag[n].updated = odz__jint_or(json_object_get(a, "lastUpdated"), 0, EPOCH_MAX, 0);
        n++;
    }
    return n;
}

static int64_t agency_time(const agency *ag, size_t n, const char *provider, const char *bt)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ag[i].name, provider) == 0 && strcasecmp(ag[i].bet_type, bt) == 0)
            return ag[i].updated;
    return 0;
}

typedef struct {
    odz_scrape *s;
    const char *key;  /* pooled selection key */
    size_t n_prices;  /* of this selection so far */
} sel_ctx;

static int add_price(sel_ctx *c, const char *provider, odz_market market, int odds, int64_t ts)
{
    if (odds <= 0)
        return 0;
    if (c->n_prices >= ODZ_SOURCE_MAX_PRICES) {
        if (c->n_prices++ == ODZ_SOURCE_MAX_PRICES)
            odz__scrape_warn(c->s, "selection %s: prices past %d skipped", c->key,
                             ODZ_SOURCE_MAX_PRICES);
        return 0;
    }
    odz_price p = {.market = market, .odds = odds, .ts = ts};
    odz_strlcpy(p.provider, provider, sizeof p.provider);
    c->n_prices++;
    return odz__scrape_add_price(c->s, c->key, &p);
}

/* flucs: "[[epoch, price], ...]" as a string (or already an array) -> history points of the
 * provider and market named by flucsKey ("<selection>-Average-FixedWin"). */
static int parse_flucs(sel_ctx *c, const json_t *sel)
{
    const json_t *v = json_object_get(sel, "flucs");
    json_t *owned = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        if (json_string_length(v) == 0)
            return 0;
        owned = odz_json_loadb(json_string_value(v), json_string_length(v), FLUCS_TEXT_MAX,
                               NULL, 0);
        v = owned;
    }
    if (!json_is_array(v)) {
        odz__scrape_warn(c->s, "selection %s: unreadable flucs", c->key);
        json_decref(owned);
        return 0;
    }
    char provider[ODZ_PROVIDER_MAX] = "average";
    odz_market market = ODZ_FIXED_WIN;
    const char *fk = odz__jstr(sel, "flucsKey");
    const char *d2 = fk ? strrchr(fk, '-') : NULL;
    if (d2 && d2 > fk) {
        const char *d1 = d2 - 1;
        while (d1 > fk && *d1 != '-')
            d1--;
        char name[ODZ_PROVIDER_MAX], tmp[ODZ_PROVIDER_MAX];
        size_t n = (size_t)(d2 - d1 - 1);
        odz_market mk;
        if (*d1 == '-' && n > 0 && n < sizeof name) {
            memcpy(name, d1 + 1, n);
            name[n] = '\0';
            if (provider_name(name, tmp, sizeof tmp) == 0 && bet_type_market(d2 + 1, &mk) == 0) {
                memcpy(provider, tmp, sizeof provider);
                market = mk;
            }
        }
    }
    int rc = 0;
    size_t i, bad = 0;
    json_t *pt;
    json_array_foreach(v, i, pt) {
        int64_t ts;
        int odds;
        if (!json_is_array(pt) || json_array_size(pt) < 2 ||
            odz__jint(json_array_get(pt, 0), 1, EPOCH_MAX, &ts) != 0 ||
            odz__jodds(json_array_get(pt, 1), &odds) != 0) {
            bad++;
            continue;
        }
        rc = add_price(c, provider, market, odds, ts);
        if (rc)
            break;
    }
    if (bad)
        odz__scrape_warn(c->s, "selection %s: %zu bad flucs points skipped", c->key, bad);
    json_decref(owned);
    return rc;
}

static int parse_prices(sel_ctx *c, const json_t *sel, const agency *ag, size_t n_ag)
{
    const json_t *prices = json_object_get(sel, "prices");
    size_t i;
    json_t *p;
    if (!json_is_array(prices))
        return 0;
    json_array_foreach(prices, i, p) {
        const char *bt = odz__jstr(p, "betType");
        char provider[ODZ_PROVIDER_MAX];
        odz_market market;
        int odds;
        if (!odz__jbool_or(json_object_get(p, "hasOdds"), true) ||
            bet_type_market(bt, &market) != 0)
            continue;
        int orc = odz__jodds(json_object_get(p, "odds"), &odds);
        if (orc == ODZ_ENOTFOUND)
            continue;
        if (orc || provider_name(odz__jstr(p, "bookmaker"), provider, sizeof provider) != 0) {
            odz__scrape_warn(c->s, "selection %s: bad price skipped", c->key);
            continue;
        }
        int rc = add_price(c, provider, market, odds, agency_time(ag, n_ag, provider, bt));
        if (rc)
            return rc;
    }
    int best;
    if (odz__jodds(json_object_get(sel, "bestOdds"), &best) == 0)
        return add_price(c, "best", ODZ_FIXED_WIN, best, 0);
    return 0;
}

/* One runner; its finishing position (0 none) into *position. 1 skipped, 0 added, <0 error. */
static int parse_selection(odz_scrape *s, const json_t *j, const char *race_key,
                           const agency *ag, size_t n_ag, int *position, int *number)
{
    odz_selection sel = {0};
    int64_t id, x;
    if (odz__jint(json_object_get(j, "selectionId"), 1, EVENT_ID_MAX, &id) != 0) {
        odz__scrape_warn(s, "race %s: selection without a valid selectionId skipped", race_key);
        return 1;
    }
    snprintf(sel.source_key, sizeof sel.source_key, "%lld", (long long)id);
    sel.number = (int)odz__jint_or(json_object_get(j, "competitorNumber"), 1, 99, 0);
    sel.barrier = (int)odz__jint_or(json_object_get(j, "barrierNumber"), 0, 99, 0);
    odz__text(s, sel.name, sizeof sel.name, odz__jstr(j, "name"), "runner name");
    odz__text(s, sel.jockey, sizeof sel.jockey, odz__jstr(j, "jockeyName"), "jockey name");
    odz__text(s, sel.trainer, sizeof sel.trainer, odz__jstr(j, "trainerName"), "trainer name");
    if (odz__jhundredths(json_object_get(j, "weight"), 0, 15000, &x) == 0)
        sel.weight = (int)x;
    if (odz__jhundredths(json_object_get(j, "jockeyWeightClaim"), 0, 1000, &x) == 0)
        sel.claim = (int)x;
    sel.emergency = odz__jbool_or(json_object_get(j, "isEmergency"), false);
    sel.scratched = odz__jbool_or(json_object_get(j, "isScratched"), false);
    const char *img = odz__jstr(j, "imageUrl");
    if (img && strncmp(img, "//", 2) == 0) {
        char url[ODZ_SILKS_MAX + 8];
        snprintf(url, sizeof url, "https:%s", img);
        odz__text(s, sel.silks, sizeof sel.silks, url, "silks URL");
    } else if (img && strncmp(img, "https://", 8) == 0) {
        odz__text(s, sel.silks, sizeof sel.silks, img, "silks URL");
    }
    *position = (int)odz__jint_or(json_object_get(j, "result"), 1, 99, 0);
    *number = sel.number;

    sel_ctx c = {.s = s, .key = odz__scrape_key(s, sel.source_key)};
    if (!c.key)
        return ODZ_ENOMEM;
    int rc = odz__scrape_add_selection(s, race_key, &sel);
    if (!rc && !sel.scratched) /* a scratched runner has no current prices, only history */
        rc = parse_prices(&c, j, ag, n_ag);
    if (!rc)
        rc = parse_flucs(&c, j);
    return rc;
}

static odz_race_status card_status(const json_t *root)
{
    static const struct {
        const char *word;
        odz_race_status status;
    } map[] = {
        {"open", ODZ_OPEN},       {"closed", ODZ_CLOSED},   {"jumped", ODZ_CLOSED},
        {"interim", ODZ_INTERIM}, {"paying", ODZ_FINAL},    {"final", ODZ_FINAL},
        {"resulted", ODZ_FINAL},  {"abandoned", ODZ_ABANDONED},
    };
    odz_race_status st = ODZ_OPEN;
    const char *words[] = {odz__jstr(root, "status"), odz__jstr(root, "resultState")};
    for (size_t w = 0; w < 2; w++)
        for (size_t i = 0; words[w] && i < sizeof map / sizeof map[0]; i++)
            if (strcasecmp(words[w], map[i].word) == 0) {
                if (map[i].status == ODZ_ABANDONED)
                    return ODZ_ABANDONED;
                if (map[i].status > st)
                    st = map[i].status;
            }
    return st;
}

static int parse_race(const char *body, size_t len, const char *race_key, odz_scrape *out,
                      char *err, size_t errlen)
{
    odz_scrape tmp = {0};
    agency ag[AGENCIES_MAX];
    int rc = ODZ_EINVAL;
    const json_t *root = load_body(body, len, err, errlen);
    if (!root)
        goto out;
    int64_t id;
    if (odz__jint(json_object_get(root, "eventId"), 1, EVENT_ID_MAX, &id) != 0) {
        rc = odz_fail(err, errlen, ODZ_EINVAL, "race card without a valid eventId");
        goto out;
    }
    odz_race r = {0};
    snprintf(r.source_key, sizeof r.source_key, "%lld", (long long)id);
    if (race_key && strcmp(race_key, r.source_key) != 0) {
        rc = odz_fail(err, errlen, ODZ_EINVAL, "race card is for event %s, not %s", r.source_key,
                      race_key);
        goto out;
    }
    json_t *sels = json_object_get(root, "selections");
    if (sels && !json_is_null(sels) && !json_is_array(sels)) {
        rc = odz_fail(err, errlen, ODZ_EINVAL, "selections is not an array");
        goto out;
    }
    const char *rkey = odz__scrape_key(&tmp, r.source_key);
    if (!rkey) {
        rc = odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        goto out;
    }
    size_t n_ag = parse_agencies(&tmp, json_object_get(root, "agencies"), ag);
    size_t i, n = 0;
    json_t *j;
    json_array_foreach(sels, i, j) {
        if (!json_is_object(j)) {
            rc = odz_fail(err, errlen, ODZ_EINVAL, "selection is not an object");
            goto out;
        }
        if (n >= ODZ_MAX_RUNNERS) {
            odz__scrape_warn(&tmp, "race %s: runners past %d skipped", rkey, ODZ_MAX_RUNNERS);
            break;
        }
        int pos = 0, num = 0;
        rc = parse_selection(&tmp, j, rkey, ag, n_ag, &pos, &num);
        if (rc < 0) {
            odz_fail(err, errlen, rc, "cannot keep the race card: %s", odz_errcode(rc));
            goto out;
        }
        n += rc == 0;
        if (pos && num && r.n_results < ODZ_MAX_PLACINGS)
            r.results[r.n_results++] = (odz_placing){.position = pos, .number = num};
    }
    /* The card names no meeting: it can only update a race the caller already has. */
    const odz_batch_race *known = odz_scrape_find_race(out, rkey);
    if (known) {
        for (size_t a = 1; a < r.n_results; a++) /* by position; few lines, insertion sort */
            for (size_t b = a; b > 0 && r.results[b].position < r.results[b - 1].position; b--) {
                odz_placing t = r.results[b];
                r.results[b] = r.results[b - 1];
                r.results[b - 1] = t;
            }
        const char *desc = odz__jstr(root, "eventDesc");
        if (desc)
            odz__text(&tmp, r.name, sizeof r.name, desc, "event name");
        r.distance = (int)odz__jint_or(json_object_get(root, "eventDistance"), 1, 100000, 0);
        r.scheduled_start = odz__jint_or(json_object_get(root, "startTime"), 0, EPOCH_MAX, 0);
        r.status = card_status(root);
        if (r.status == ODZ_ABANDONED)
            r.n_results = 0;
        else if (r.n_results && r.status < ODZ_INTERIM)
            r.status = ODZ_INTERIM;
        const char *mkey = odz__scrape_key(&tmp, known->meeting_key);
        rc = mkey ? odz__scrape_add_race(&tmp, mkey, &r) : ODZ_ENOMEM;
        if (rc) {
            odz_fail(err, errlen, rc, "cannot keep the race card: %s", odz_errcode(rc));
            goto out;
        }
    }
    rc = 0;
out:
    return odz__scrape_done(out, &tmp, rc, "race card", err, errlen);
}

/* ---- requests ---- */

/* A call for each sport a day. */
static int schedule_path(const char *day, size_t j, char *path, size_t pathlen)
{
    return odz__request_path(path, pathlen, SCHEDULE_PATH "?sport=%s&date=%s", sports[j].sport,
                             day);
}

static int schedule_requests(const char *date_from, const char *date_to, odz_source_request *out,
                             size_t max, size_t *n, char *err, size_t errlen)
{
    return odz__schedule_paths(date_from, date_to, N_SPORTS, schedule_path, out, max, n, err,
                               errlen);
}

static int race_request(const char *race_key, char *path, size_t pathlen)
{
    size_t n = race_key ? strlen(race_key) : 0;
    if (n == 0 || n > 12 || race_key[0] == '0')
        return ODZ_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (race_key[i] < '0' || race_key[i] > '9')
            return ODZ_EINVAL;
    return odz__request_path(path, pathlen, CARD_PATH "?eventId=%s", race_key);
}

const odz_source_ops odz_source_oddscomau = {
    .name = "oddscomau",
    .schedule_requests = schedule_requests,
    .parse_schedule = parse_schedule,
    .race_request = race_request,
    .parse_race = parse_race,
};

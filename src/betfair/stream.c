/* Betfair Exchange Stream API messages and the market cache: every market a message touches
 * is changed on a copy, and the copies replace the originals only when the whole message
 * was good, so a bad message changes nothing. */
#include "betfair/stream.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/grow.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/rowix.h"
#include "core/tz.h"

#define MAX_SIZE_CENTS 100000000000000LL /* $1e12: more than any market ever matched */

static const char *const market_status_names[] = {"INACTIVE", "OPEN", "SUSPENDED", "CLOSED"};
static const char *const runner_status_names[] = {"ACTIVE", "REMOVED", "WINNER", "LOSER",
                                                  "PLACED", "HIDDEN", "REMOVED_VACANT"};
#define N_MARKET_STATUS (sizeof market_status_names / sizeof market_status_names[0])
#define N_RUNNER_STATUS (sizeof runner_status_names / sizeof runner_status_names[0])

const char *odz_bf_market_status_name(odz_bf_market_status s)
{
    return (unsigned)s < N_MARKET_STATUS ? market_status_names[s] : "UNKNOWN";
}

const char *odz_bf_runner_status_name(odz_bf_runner_status s)
{
    return (unsigned)s < N_RUNNER_STATUS ? runner_status_names[s] : "UNKNOWN";
}

static int lookup(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(s, names[i]))
            return (int)i;
    return -1;
}

/* ---- markets: copies and frees ---- */

static void runner_free(odz_bf_runner *r)
{
    free(r->atb.v);
    free(r->atl.v);
    free(r->trd.v);
}

static void market_free(odz_bf_market *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_runners; i++)
        runner_free(&m->runners[i]);
    free(m->runners);
    free(m);
}

static int ladder_copy(odz_bf_ladder *dst, const odz_bf_ladder *src)
{
    *dst = (odz_bf_ladder){0};
    if (!src->n)
        return 0;
    dst->v = malloc(src->n * sizeof *dst->v);
    if (!dst->v)
        return ODZ_ENOMEM;
    memcpy(dst->v, src->v, src->n * sizeof *dst->v);
    dst->n = dst->cap = src->n;
    return 0;
}

static odz_bf_market *market_copy(const odz_bf_market *src)
{
    odz_bf_market *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    *m = *src;
    m->runners = NULL;
    m->n_runners = m->cap_runners = 0;
    if (!src->n_runners)
        return m;
    m->runners = calloc(src->n_runners, sizeof *m->runners);
    if (!m->runners) {
        free(m);
        return NULL;
    }
    m->cap_runners = src->n_runners;
    for (size_t i = 0; i < src->n_runners; i++) {
        const odz_bf_runner *r = &src->runners[i];
        odz_bf_runner *d = &m->runners[i];
        *d = *r;
        d->atb = d->atl = d->trd = (odz_bf_ladder){0};
        m->n_runners = i + 1;
        if (ladder_copy(&d->atb, &r->atb) || ladder_copy(&d->atl, &r->atl) ||
            ladder_copy(&d->trd, &r->trd)) {
            market_free(m);
            return NULL;
        }
    }
    return m;
}

static odz_bf_market *market_new(const char *id)
{
    odz_bf_market *m = calloc(1, sizeof *m);
    if (m)
        odz_strlcpy(m->id, id, sizeof m->id);
    return m;
}

void odz_bf_cache_free(odz_bf_cache *c)
{
    for (size_t i = 0; i < c->n_markets; i++)
        market_free(c->markets[i]);
    free(c->markets);
    odz_rowix_free(&c->ix);
    odz_json_arena_free(c->arena);
    size_t max = c->max_markets;
    *c = (odz_bf_cache){0};
    c->max_markets = max;
}

/* The markets by id (c->ix over c->markets), kept by commit, the only writer of the markets. */
static bool market_is(const void *rows, size_t i, const void *id)
{
    return strcmp(((odz_bf_market *const *)rows)[i]->id, id) == 0;
}

static uint64_t id_hash(const char *id)
{
    return odz_hash_text(ODZ_HASH_SEED, id);
}

static uint64_t market_hash(const void *rows, size_t i)
{
    return id_hash(((odz_bf_market *const *)rows)[i]->id);
}

static long market_row(const odz_bf_cache *c, const char *id)
{
    return odz_rowix_find(&c->ix, id_hash(id), market_is, c->markets, id);
}

odz_bf_market *odz_bf_find_market(const odz_bf_cache *c, const char *id)
{
    long i = market_row(c, id);
    return i < 0 ? NULL : c->markets[i];
}

const odz_bf_runner *odz_bf_find_runner(const odz_bf_market *m, int64_t id)
{
    for (size_t i = 0; i < m->n_runners; i++)
        if (m->runners[i].id == id)
            return &m->runners[i];
    return NULL;
}

/* ---- field readers ---- */

/* A JSON number (integer or real), finite. */
static int number(const json_t *v, double *out)
{
    if (!json_is_number(v))
        return ODZ_EINVAL;
    double d = json_number_value(v);
    if (!isfinite(d))
        return ODZ_EINVAL;
    *out = d;
    return 0;
}

static int to_cents(const json_t *v, int64_t *out)
{
    double d;
    if (number(v, &d) || d < 0 || d * 100.0 > (double)MAX_SIZE_CENTS)
        return ODZ_EINVAL;
    *out = (int64_t)llround(d * 100.0);
    return 0;
}

/* Odds; 0 stays 0 ("no price"). */
static int to_odds(const json_t *v, int *out)
{
    double d;
    if (number(v, &d))
        return ODZ_EINVAL;
    return odz_odds_from_double(d, out);
}

/* An integer within [lo, hi], from a JSON integer or a string of digits ("4339"). */
static int to_int(const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    long long x;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        if (!n || n > 18 || strspn(s, "0123456789") != n)
            return ODZ_EINVAL;
        x = strtoll(s, NULL, 10);
    } else {
        return ODZ_EINVAL;
    }
    if (x < lo || x > hi)
        return ODZ_EINVAL;
    *out = (int64_t)x;
    return 0;
}

/* Optional text into a field; absent or null leaves "". Too long: ODZ_EINVAL. */
static int text(const json_t *obj, const char *field, char *dst, size_t n)
{
    return odz_json_opt_text(obj, field, dst, n, false);
}

static int boolean(const json_t *obj, const char *field, bool *out)
{
    const json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return ODZ_EINVAL;
    *out = json_is_true(v);
    return 0;
}

/* A market or event id: 1..ODZ_BF_ID_MAX-1 of [0-9A-Za-z._-]. */
static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < ODZ_BF_ID_MAX &&
           strspn(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-") == n;
}

/* ---- ladders ---- */

/* The runner `id` of m, added when new: 0, ODZ_EFULL or ODZ_ENOMEM. */
static int runner_get(odz_bf_market *m, int64_t id, odz_bf_runner **out, char *err,
                      size_t errlen)
{
    const odz_bf_runner *known = odz_bf_find_runner(m, id);
    if (known) {
        *out = &m->runners[known - m->runners];
        return 0;
    }
    if (m->n_runners >= ODZ_BF_MAX_RUNNERS)
        return odz_fail(err, errlen, ODZ_EFULL, "market %s: more than %d runners", m->id,
                        ODZ_BF_MAX_RUNNERS);
    odz_bf_runner *v = odz_grow(m->runners, m->n_runners, &m->cap_runners, sizeof *v, 8);
    if (!v)
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    m->runners = v;
    odz_bf_runner *r = &m->runners[m->n_runners++];
    memset(r, 0, sizeof *r);
    r->id = id;
    *out = r;
    return 0;
}

/* Set (or with size 0 remove) the level at `odds` of a price-keyed ladder. */
static int ladder_set(odz_bf_ladder *l, int odds, int64_t size)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->v[mid].odds < odds)
            lo = mid + 1;
        else
            hi = mid;
    }
    bool found = lo < l->n && l->v[lo].odds == odds;
    if (size == 0) {
        if (found) {
            memmove(&l->v[lo], &l->v[lo + 1], (l->n - lo - 1) * sizeof *l->v);
            l->n--;
        }
        return 0;
    }
    if (found) {
        l->v[lo].size = size;
        return 0;
    }
    if (l->n >= ODZ_BF_MAX_PRICES)
        return ODZ_EFULL;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        if (cap > ODZ_BF_MAX_PRICES)
            cap = ODZ_BF_MAX_PRICES;
        odz_bf_level *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return ODZ_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    memmove(&l->v[lo + 1], &l->v[lo], (l->n - lo) * sizeof *l->v);
    l->v[lo] = (odz_bf_level){odds, size};
    l->n++;
    return 0;
}

/* A ladder change: [[price, size], ...] into a price-keyed ladder `l`, or (lv != NULL)
 * [[level, price, size], ...] into positions. Size 0 removes the price or empties the
 * position, whatever price it carries; a level being set needs real odds. */
static int apply_ladder(odz_bf_ladder *l, odz_bf_level *lv, const json_t *a, const char *what,
                        char *err, size_t errlen)
{
    if (!json_is_array(a))
        return odz_fail(err, errlen, ODZ_EINVAL, "%s is not an array", what);
    size_t i, w = lv ? 3 : 2;
    const json_t *e;
    json_array_foreach(a, i, e) {
        int64_t pos = 0, size;
        int odds = 0;
        if (!json_is_array(e) || json_array_size(e) != w ||
            to_cents(json_array_get(e, w - 1), &size) ||
            (lv && (!json_is_integer(json_array_get(e, 0)) ||
                    to_int(json_array_get(e, 0), 0, ODZ_BF_DEPTH - 1, &pos))))
            return odz_fail(err, errlen, ODZ_EINVAL, "%s[%zu] is not %s", what, i,
                            lv ? "[level 0-9, price, size]" : "[price, size]");
        if (to_odds(json_array_get(e, w - 2), &odds) || odds < 100) {
            if (size)
                return odz_fail(err, errlen, ODZ_EINVAL, "%s[%zu]: bad price", what, i);
            if (lv)
                lv[pos] = (odz_bf_level){0, 0};
            continue;
        }
        if (lv) {
            lv[pos] = (odz_bf_level){size ? odds : 0, size};
            continue;
        }
        int rc = ladder_set(l, odds, size);
        if (rc)
            return odz_fail(err, errlen, rc, "%s: more than %d prices", what, ODZ_BF_MAX_PRICES);
    }
    return 0;
}

/* Projected starting prices may be "NaN" or "Infinity" before there is one: no price. */
static int sp_price(const json_t *v, int *out, const char *what, char *err, size_t errlen)
{
    if (json_is_string(v) || json_is_null(v)) {
        const char *s = json_string_value(v);
        if (!s || !strcmp(s, "NaN") || !strcmp(s, "Infinity") || !strcmp(s, "-Infinity")) {
            *out = 0;
            return 0;
        }
        return odz_fail(err, errlen, ODZ_EINVAL, "%s: bad price", what);
    }
    double d;
    if (number(v, &d))
        return odz_fail(err, errlen, ODZ_EINVAL, "%s: bad price", what);
    /* a projection out of the odds range is no price rather than an error */
    if (d < 1.0 || d > 100000.0 || odz_odds_from_double(d, out))
        *out = 0;
    return 0;
}

static void runner_clear_prices(odz_bf_runner *r)
{
    r->ltp = r->spn = r->spf = 0;
    r->tv = 0;
    memset(r->batb, 0, sizeof r->batb);
    memset(r->batl, 0, sizeof r->batl);
    memset(r->bdatb, 0, sizeof r->bdatb);
    memset(r->bdatl, 0, sizeof r->bdatl);
    r->atb.n = r->atl.n = r->trd.n = 0;
}

static int apply_runner_change(odz_bf_market *m, const json_t *rc, size_t idx, char *err,
                               size_t errlen)
{
    int64_t id;
    if (!json_is_object(rc) || to_int(json_object_get(rc, "id"), 1, INT64_MAX / 2, &id) ||
        !json_is_integer(json_object_get(rc, "id")))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: rc[%zu] has no runner id", m->id,
                        idx);
    bool img = false;
    if (boolean(rc, "img", &img))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: rc[%zu].img not a boolean", m->id,
                        idx);
    odz_bf_runner *r;
    int rc_ = runner_get(m, id, &r, err, errlen);
    if (rc_)
        return rc_;
    if (img)
        runner_clear_prices(r);
    const json_t *v;
    if ((v = json_object_get(rc, "ltp")) && !json_is_null(v) && to_odds(v, &r->ltp))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s runner %lld: bad ltp", m->id,
                        (long long)id);
    if ((v = json_object_get(rc, "tv")) && !json_is_null(v) && to_cents(v, &r->tv))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s runner %lld: bad tv", m->id,
                        (long long)id);
    if ((v = json_object_get(rc, "spn")) && (rc_ = sp_price(v, &r->spn, "spn", err, errlen)))
        return rc_;
    if ((v = json_object_get(rc, "spf")) && (rc_ = sp_price(v, &r->spf, "spf", err, errlen)))
        return rc_;
    /* The ladders by position, then those keyed by price (the first bad one is reported). */
    static const struct {
        const char *name;
        size_t off;
        bool keyed;
    } ladders[] = {
        {"batb", offsetof(odz_bf_runner, batb), false},
        {"batl", offsetof(odz_bf_runner, batl), false},
        {"bdatb", offsetof(odz_bf_runner, bdatb), false},
        {"bdatl", offsetof(odz_bf_runner, bdatl), false},
        {"atb", offsetof(odz_bf_runner, atb), true},
        {"atl", offsetof(odz_bf_runner, atl), true},
        {"trd", offsetof(odz_bf_runner, trd), true},
    };
    for (size_t i = 0; i < sizeof ladders / sizeof ladders[0]; i++) {
        char *field = (char *)r + ladders[i].off;
        if ((v = json_object_get(rc, ladders[i].name)) && !json_is_null(v) &&
            (rc_ = apply_ladder(ladders[i].keyed ? (odz_bf_ladder *)field : NULL,
                                ladders[i].keyed ? NULL : (odz_bf_level *)field, v,
                                ladders[i].name, err, errlen)))
            return rc_;
    }
    return 0;
}

/* ---- market definitions ---- */

static int apply_runner_def(odz_bf_market *m, const json_t *d, size_t idx, char *err,
                            size_t errlen)
{
    int64_t id, prio = 0;
    const json_t *v;
    if (!json_is_object(d) || !json_is_integer(json_object_get(d, "id")) ||
        to_int(json_object_get(d, "id"), 1, INT64_MAX / 2, &id))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: runners[%zu] has no id", m->id, idx);
    int status = 0;
    if ((v = json_object_get(d, "status")) && !json_is_null(v) &&
        (status = lookup(json_string_value(v), runner_status_names, N_RUNNER_STATUS)) < 0)
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s runner %lld: unknown status",
                        m->id, (long long)id);
    if ((v = json_object_get(d, "sortPriority")) && !json_is_null(v) &&
        to_int(v, 0, 1000, &prio))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s runner %lld: bad sortPriority",
                        m->id, (long long)id);
    double af = 0;
    if ((v = json_object_get(d, "adjustmentFactor")) && !json_is_null(v) &&
        (number(v, &af) || af < 0 || af > 100))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s runner %lld: bad adjustmentFactor",
                        m->id, (long long)id);
    int bsp = 0;
    if ((v = json_object_get(d, "bsp")) && !json_is_null(v) &&
        sp_price(v, &bsp, "bsp", err, errlen))
        return ODZ_EINVAL;
    char name[ODZ_NAME_MAX];
    if (text(d, "name", name, sizeof name))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s runner %lld: bad name", m->id,
                        (long long)id);
    odz_bf_runner *r;
    int rc = runner_get(m, id, &r, err, errlen);
    if (rc)
        return rc;
    r->defined = true;
    r->status = (odz_bf_runner_status)status;
    r->sort_priority = (int)prio;
    r->adjustment = (int)lround(af * 100.0);
    r->bsp = bsp;
    memcpy(r->name, name, sizeof name);
    return 0;
}

static int apply_definition(odz_bf_market *m, const json_t *d, char *err, size_t errlen)
{
    if (!json_is_object(d))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: marketDefinition not an object",
                        m->id);
    odz_bf_market n = *m; /* the definition's fields, filled afresh */
    n.in_play = n.bsp_reconciled = false;
    n.market_time = 0;
    n.event_type_id = n.n_winners = 0;
    n.version = 0;
    const json_t *v = json_object_get(d, "status");
    int st = lookup(json_string_value(v), market_status_names, N_MARKET_STATUS);
    if (st < 0)
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: unknown status", m->id);
    n.status = (odz_bf_market_status)st;
    if (boolean(d, "inPlay", &n.in_play) || boolean(d, "bspReconciled", &n.bsp_reconciled))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: inPlay/bspReconciled not boolean",
                        m->id);
    if (text(d, "venue", n.venue, sizeof n.venue) ||
        text(d, "countryCode", n.country, sizeof n.country) ||
        text(d, "marketType", n.market_type, sizeof n.market_type) ||
        text(d, "raceType", n.race_type, sizeof n.race_type) ||
        text(d, "timezone", n.timezone, sizeof n.timezone) ||
        text(d, "name", n.name, sizeof n.name) ||
        text(d, "eventName", n.event_name, sizeof n.event_name) ||
        text(d, "eventId", n.event_id, sizeof n.event_id) ||
        (n.event_id[0] && !id_ok(n.event_id)))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: bad or too long text field", m->id);
    char when[40];
    if (text(d, "marketTime", when, sizeof when) ||
        (when[0] && odz_parse_iso8601(when, &n.market_time)))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: bad marketTime", m->id);
    int64_t x;
    if ((v = json_object_get(d, "eventTypeId")) && !json_is_null(v)) {
        if (to_int(v, 0, 1000000000, &x))
            return odz_fail(err, errlen, ODZ_EINVAL, "market %s: bad eventTypeId", m->id);
        n.event_type_id = (int)x;
    }
    if ((v = json_object_get(d, "numberOfWinners")) && !json_is_null(v)) {
        if (to_int(v, 0, ODZ_BF_MAX_RUNNERS, &x))
            return odz_fail(err, errlen, ODZ_EINVAL, "market %s: bad numberOfWinners", m->id);
        n.n_winners = (int)x;
    }
    if ((v = json_object_get(d, "version")) && !json_is_null(v)) {
        if (to_int(v, 0, INT64_MAX / 2, &x))
            return odz_fail(err, errlen, ODZ_EINVAL, "market %s: bad version", m->id);
        n.version = x;
    }
    const json_t *runners = json_object_get(d, "runners");
    if (runners && !json_is_null(runners) && !json_is_array(runners))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: runners not an array", m->id);
    if (json_array_size(runners) > ODZ_BF_MAX_RUNNERS)
        return odz_fail(err, errlen, ODZ_EFULL, "market %s: more than %d runners", m->id,
                        ODZ_BF_MAX_RUNNERS);
    n.defined = true;
    *m = n; /* runners array unchanged: same pointer */
    size_t i;
    const json_t *r;
    json_array_foreach(runners, i, r) {
        int rc = apply_runner_def(m, r, i, err, errlen);
        if (rc)
            return rc; /* m is a copy: the caller drops it */
    }
    return 0;
}

/* ---- messages ---- */

typedef struct {
    odz_bf_market **v;      /* new versions of the markets this message touches */
    size_t n, cap;
} staged;

static void staged_free(staged *s)
{
    for (size_t i = 0; i < s->n; i++)
        market_free(s->v[i]);
    free(s->v);
}

/* The staged copy of market `id` (made from the cache's, or new when `fresh`). */
static odz_bf_market *stage(staged *s, const odz_bf_cache *c, const char *id, bool fresh)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i]->id, id))
            continue;
        if (fresh) {
            odz_bf_market *m = market_new(id);
            if (!m)
                return NULL;
            market_free(s->v[i]);
            s->v[i] = m;
        }
        return s->v[i];
    }
    odz_bf_market **v = odz_grow(s->v, s->n, &s->cap, sizeof *v, 4);
    if (!v)
        return NULL;
    s->v = v;
    const odz_bf_market *old = fresh ? NULL : odz_bf_find_market(c, id);
    odz_bf_market *m = old ? market_copy(old) : market_new(id);
    if (m)
        s->v[s->n++] = m;
    return m;
}

static int apply_market_change(staged *s, const odz_bf_cache *c, const json_t *mc, size_t idx,
                               bool image, int64_t pt, char *err, size_t errlen)
{
    const char *id = json_string_value(json_object_get(mc, "id"));
    if (!json_is_object(mc) || !id || !id_ok(id))
        return odz_fail(err, errlen, ODZ_EINVAL, "mc[%zu] has no valid market id", idx);
    bool img = false;
    if (boolean(mc, "img", &img))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: img not a boolean", id);
    odz_bf_market *m = stage(s, c, id, image || img);
    if (!m)
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    const json_t *v;
    int rc;
    if ((v = json_object_get(mc, "marketDefinition")) && !json_is_null(v)) {
        if ((rc = apply_definition(m, v, err, errlen)))
            return rc;
        for (size_t i = 0; i < m->n_runners; i++) {
            odz_bf_runner *r = &m->runners[i];
            bool removed = r->status == ODZ_BF_RUNNER_REMOVED ||
                           r->status == ODZ_BF_RUNNER_REMOVED_VACANT;
            r->removed_at = !removed ? 0 : r->removed_at ? r->removed_at : pt;
        }
    }
    if ((v = json_object_get(mc, "tv")) && !json_is_null(v) && to_cents(v, &m->tv))
        return odz_fail(err, errlen, ODZ_EINVAL, "market %s: bad tv", id);
    const json_t *rcs = json_object_get(mc, "rc");
    if (rcs && !json_is_null(rcs)) {
        if (!json_is_array(rcs))
            return odz_fail(err, errlen, ODZ_EINVAL, "market %s: rc not an array", id);
        size_t i;
        json_array_foreach(rcs, i, v) {
            if ((rc = apply_runner_change(m, v, i, err, errlen)))
                return rc;
        }
    }
    if (pt)
        m->pt = pt;
    m->changed = true;
    return 0;
}

/* Replace the cache's markets by the staged ones (or, for an image, the cache by them). */
static int commit(odz_bf_cache *c, staged *s, bool image, char *err, size_t errlen)
{
    size_t max = c->max_markets ? c->max_markets : ODZ_BF_MAX_MARKETS;
    size_t added = 0;
    for (size_t i = 0; !image && i < s->n; i++)
        added += odz_bf_find_market(c, s->v[i]->id) == NULL;
    size_t total = image ? s->n : c->n_markets + added;
    if (total > max)
        return odz_fail(err, errlen, ODZ_EFULL, "more than %zu markets", max);
    if (total > c->cap_markets) {
        size_t cap = c->cap_markets ? c->cap_markets : 16;
        while (cap < total)
            cap *= 2;
        odz_bf_market **v = realloc(c->markets, cap * sizeof *v);
        if (!v)
            return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        c->markets = v;
        c->cap_markets = cap;
    }
    /* room first: nothing below fails */
    if (odz_rowix_reserve(&c->ix, total, c->n_markets, market_hash, c->markets))
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    if (image) {
        for (size_t i = 0; i < c->n_markets; i++)
            market_free(c->markets[i]);
        c->n_markets = 0;
        odz_rowix_clear(&c->ix);
    }
    for (size_t i = 0; i < s->n; i++) {
        long k = market_row(c, s->v[i]->id);
        if (k >= 0) {
            market_free(c->markets[k]);
            c->markets[k] = s->v[i];
        } else {
            odz_rowix_put(&c->ix, id_hash(s->v[i]->id), c->n_markets);
            c->markets[c->n_markets++] = s->v[i];
        }
    }
    s->n = 0;
    return 0;
}

static int parse_mcm(odz_bf_cache *c, const json_t *j, odz_bf_msg *out, char *err,
                     size_t errlen)
{
    static const char *const cts[] = {"", "SUB_IMAGE", "RESUB_DELTA", "HEARTBEAT"};
    const json_t *v = json_object_get(j, "ct");
    out->ct = ODZ_BF_CT_UPDATE;
    if (v && !json_is_null(v)) {
        int ct = lookup(json_string_value(v), cts, 4);
        if (ct <= 0)
            return odz_fail(err, errlen, ODZ_EINVAL, "mcm: unknown ct");
        out->ct = (odz_bf_change_type)ct;
    }
    char clk[ODZ_BF_CLK_MAX], initial[ODZ_BF_CLK_MAX], seg[ODZ_BF_TEXT_MAX];
    if (text(j, "clk", clk, sizeof clk) || text(j, "initialClk", initial, sizeof initial) ||
        text(j, "segmentType", seg, sizeof seg))
        return odz_fail(err, errlen, ODZ_EINVAL, "mcm: bad clk, initialClk or segmentType");
    int64_t hb = c->heartbeat_ms, cf = c->conflate_ms, pt = 0, st = 0;
    if (((v = json_object_get(j, "heartbeatMs")) && !json_is_null(v) &&
         to_int(v, 0, 3600000, &hb)) ||
        ((v = json_object_get(j, "conflateMs")) && !json_is_null(v) &&
         to_int(v, 0, 3600000, &cf)) ||
        ((v = json_object_get(j, "pt")) && !json_is_null(v) &&
         (!json_is_integer(v) || to_int(v, 0, INT64_MAX / 2, &pt))) ||
        ((v = json_object_get(j, "status")) && !json_is_null(v) && to_int(v, 0, 999, &st)))
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "mcm: bad heartbeatMs, conflateMs, pt or status");
    out->pt = pt;
    out->stream_status = (int)st;
    const json_t *mcs = json_object_get(j, "mc");
    if (mcs && !json_is_null(mcs) && !json_is_array(mcs))
        return odz_fail(err, errlen, ODZ_EINVAL, "mcm: mc is not an array");
    /* a new subscription's image replaces the cache, once per image (its first segment) */
    bool image = out->ct == ODZ_BF_CT_SUB_IMAGE && (!seg[0] || !strcmp(seg, "SEG_START"));
    bool img_part = out->ct == ODZ_BF_CT_SUB_IMAGE;
    staged s = {0};
    size_t i;
    int rc = 0;
    json_array_foreach(mcs, i, v) {
        if ((rc = apply_market_change(&s, c, v, i, img_part, pt, err, errlen)))
            break;
    }
    if (!rc)
        rc = commit(c, &s, image, err, errlen);
    staged_free(&s);
    if (rc)
        return rc;
    out->n_market_changes = json_array_size(mcs);
    if (clk[0])
        memcpy(c->clk, clk, sizeof clk);
    if (initial[0])
        memcpy(c->initial_clk, initial, sizeof initial);
    c->heartbeat_ms = hb;
    c->conflate_ms = cf;
    if (pt)
        c->pt = pt;
    return 0;
}

static int parse_status(const json_t *j, odz_bf_msg *out, char *err, size_t errlen)
{
    char code[16];
    if (text(j, "statusCode", code, sizeof code) ||
        text(j, "errorCode", out->error_code, sizeof out->error_code) ||
        text(j, "connectionId", out->connection_id, sizeof out->connection_id) ||
        boolean(j, "connectionClosed", &out->connection_closed))
        return odz_fail(err, errlen, ODZ_EINVAL, "status: bad field");
    const char *m = json_string_value(json_object_get(j, "errorMessage"));
    if (m)
        odz_strlcpy(out->error_message, m, sizeof out->error_message); /* words: cut is fine */
    if (code[0] && strcmp(code, "SUCCESS") && strcmp(code, "FAILURE"))
        return odz_fail(err, errlen, ODZ_EINVAL, "status: unknown statusCode");
    out->failure = !strcmp(code, "FAILURE") || out->error_code[0];
    return 0;
}

const json_t *odz_bf_parse(odz_json_arena *a, const char *msg, size_t len, char *err,
                           size_t errlen)
{
    if (len > ODZ_BF_MSG_MAX) {
        odz_fail(err, errlen, ODZ_EINVAL, "message of %zu bytes (limit %u)", len,
                 ODZ_BF_MSG_MAX);
        return NULL;
    }
    json_error_t je;
    const json_t *j = odz_json_arena_loadb(a, msg, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        odz_fail(err, errlen, ODZ_EINVAL, "not JSON: %s (column %d)", je.text, je.column);
    return j;
}

int odz_bf_apply_parsed(odz_bf_cache *c, const json_t *j, odz_bf_msg *out, char *err,
                        size_t errlen)
{
    odz_bf_msg tmp;
    if (!out)
        out = &tmp;
    memset(out, 0, sizeof *out);
    int64_t id = 0;
    const json_t *v = json_object_get(j, "id");
    const char *op = json_string_value(json_object_get(j, "op"));
    if (!json_is_object(j) || !op)
        return odz_fail(err, errlen, ODZ_EINVAL, "not a stream message (no op)");
    if (v && !json_is_null(v) && to_int(v, 0, INT32_MAX, &id))
        return odz_fail(err, errlen, ODZ_EINVAL, "bad id");
    out->id = id;
    if (!strcmp(op, "connection")) {
        out->op = ODZ_BF_OP_CONNECTION;
        if (text(j, "connectionId", out->connection_id, sizeof out->connection_id))
            return odz_fail(err, errlen, ODZ_EINVAL, "connection: bad connectionId");
        return 0;
    }
    if (!strcmp(op, "status")) {
        out->op = ODZ_BF_OP_STATUS;
        return parse_status(j, out, err, errlen);
    }
    if (!strcmp(op, "mcm")) {
        out->op = ODZ_BF_OP_MCM;
        return parse_mcm(c, j, out, err, errlen);
    }
    out->op = ODZ_BF_OP_OTHER;
    return 0;
}

int odz_bf_apply(odz_bf_cache *c, const char *msg, size_t len, odz_bf_msg *out, char *err,
                 size_t errlen)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!c->arena && !(c->arena = odz_json_arena_new(0)))
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    const json_t *j = odz_bf_parse(c->arena, msg, len, err, errlen);
    return j ? odz_bf_apply_parsed(c, j, out, err, errlen) : ODZ_EINVAL;
}

/* ---- our units ---- */

/* Up to ODZ_EXCHANGE_DEPTH offers, best first, from positions (position 0 best). */
static size_t from_positions(const odz_bf_level *lv, odz_exchange_offer *out)
{
    size_t n = 0;
    for (size_t i = 0; i < ODZ_BF_DEPTH && n < ODZ_EXCHANGE_DEPTH; i++)
        if (lv[i].odds && lv[i].size)
            out[n++] = (odz_exchange_offer){lv[i].odds, lv[i].size};
    return n;
}

/* From a price-keyed ladder: to back the best is the highest price, to lay the lowest. */
static size_t from_ladder(const odz_bf_ladder *l, bool highest_first, odz_exchange_offer *out)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n && n < ODZ_EXCHANGE_DEPTH; i++) {
        const odz_bf_level *x = &l->v[highest_first ? l->n - 1 - i : i];
        out[n++] = (odz_exchange_offer){x->odds, x->size};
    }
    return n;
}

void odz_bf_runner_book(const odz_bf_runner *r, odz_exchange_book *out)
{
    memset(out, 0, sizeof *out);
    if (!from_positions(r->batb, out->back) && !from_positions(r->bdatb, out->back))
        from_ladder(&r->atb, true, out->back);
    if (!from_positions(r->batl, out->lay) && !from_positions(r->bdatl, out->lay))
        from_ladder(&r->atl, false, out->lay);
    out->last_traded = r->ltp;
    out->traded_volume = r->tv;
    out->starting_price = r->bsp;
}

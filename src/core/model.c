/* Domain helpers: arrays, names, the status state machine, odds. */
#include "core/model.h"
#include "core/err.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ODZ_DEFINE_ARRAY(T, A, PUSH, FREE)                                                        \
    int PUSH(A *a, const T *x)                                                                    \
    {                                                                                             \
        if (a->n == a->cap) {                                                                     \
            size_t cap = a->cap ? a->cap * 2 : 16;                                                \
            T *v = realloc(a->v, cap * sizeof(*v));                                               \
            if (!v)                                                                               \
                return ODZ_ENOMEM;                                                                \
            a->v = v;                                                                             \
            a->cap = cap;                                                                         \
        }                                                                                         \
        a->v[a->n++] = *x;                                                                        \
        return 0;                                                                                 \
    }                                                                                             \
    void FREE(A *a)                                                                               \
    {                                                                                             \
        free(a->v);                                                                               \
        a->v = NULL;                                                                              \
        a->n = a->cap = 0;                                                                        \
    }

ODZ_DEFINE_ARRAY(odz_meeting, odz_meetings, odz_meetings_push, odz_meetings_free)
ODZ_DEFINE_ARRAY(odz_race, odz_races, odz_races_push, odz_races_free)
ODZ_DEFINE_ARRAY(odz_selection, odz_selections, odz_selections_push, odz_selections_free)
ODZ_DEFINE_ARRAY(odz_price, odz_prices, odz_prices_push, odz_prices_free)
ODZ_DEFINE_ARRAY(odz_exbook, odz_exbooks, odz_exbooks_push, odz_exbooks_free)

static const char *const type_names[] = {"thoroughbred", "harness", "greyhound"};
static const char *const status_names[] = {"OPEN", "CLOSED", "INTERIM", "FINAL", "ABANDONED"};
static const char *const market_names[] = {"fixed_win", "fixed_place", "tote_win",
                                           "tote_place", "exchange_back", "exchange_lay"};

const char *odz_race_type_name(odz_race_type t)
{
    return (unsigned)t < ODZ_RACE_TYPES ? type_names[t] : "unknown";
}

const char *odz_status_name(odz_race_status s)
{
    return (unsigned)s <= ODZ_ABANDONED ? status_names[s] : "UNKNOWN";
}

const char *odz_market_name(odz_market m)
{
    return (unsigned)m < ODZ_MARKETS ? market_names[m] : "unknown";
}

static int lookup(const char *s, const char *const *names, int n)
{
    if (!s)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcasecmp(s, names[i]) == 0)
            return i;
    return -1;
}

int odz_race_type_parse(const char *s, odz_race_type *out)
{
    int i = lookup(s, type_names, ODZ_RACE_TYPES);
    if (i < 0)
        return ODZ_EINVAL;
    *out = (odz_race_type)i;
    return 0;
}

int odz_status_parse(const char *s, odz_race_status *out)
{
    int i = lookup(s, status_names, ODZ_ABANDONED + 1);
    if (i < 0)
        return ODZ_EINVAL;
    *out = (odz_race_status)i;
    return 0;
}

int odz_market_parse(const char *s, odz_market *out)
{
    int i = lookup(s, market_names, ODZ_MARKETS);
    if (i < 0)
        return ODZ_EINVAL;
    *out = (odz_market)i;
    return 0;
}

int odz_status_transition(odz_race_status from, odz_race_status to, char *err, size_t errlen)
{
    if ((unsigned)from > ODZ_ABANDONED || (unsigned)to > ODZ_ABANDONED)
        return odz_fail(err, errlen, ODZ_EINVAL, "unknown race status");
    if (from == to)
        return 0;
    bool ok;
    if (to == ODZ_ABANDONED)
        ok = from == ODZ_OPEN || from == ODZ_CLOSED;
    else
        ok = from != ODZ_ABANDONED && to > from;
    if (!ok)
        return odz_fail(err, errlen, ODZ_ESTATE, "race status cannot move from %s to %s",
                        odz_status_name(from), odz_status_name(to));
    return 0;
}

int odz_strlcpy(char *dst, const char *src, size_t dstlen)
{
    if (!dstlen)
        return ODZ_EINVAL;
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n < dstlen) {
        memcpy(dst, src, n + 1);
        return 0;
    }
    n = dstlen - 1;
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
        n--; /* do not split a UTF-8 sequence */
    memcpy(dst, src, n);
    dst[n] = '\0';
    return ODZ_EINVAL;
}

int odz_odds_from_double(double d, int *out)
{
    if (!isfinite(d))
        return ODZ_EINVAL;
    if (d == 0) {
        *out = 0;
        return 0;
    }
    if (d < 1.0 || d > 100000.0)
        return ODZ_EINVAL;
    *out = (int)llround(d * 100.0);
    return 0;
}

int odz_positive_parse(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 18)
        return ODZ_EINVAL;
    int64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ODZ_EINVAL;
        x = x * 10 + (s[i] - '0');
    }
    if (x <= 0)
        return ODZ_EINVAL;
    *out = x;
    return 0;
}

int odz_odds_parse(const char *s, int *out)
{
    if (!s || !*s)
        return ODZ_EINVAL;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || *end)
        return ODZ_EINVAL;
    return odz_odds_from_double(d, out);
}

/* ---- exchange books ---- */

#define EXCHANGE_ODDS_MIN 101
#define EXCHANGE_ODDS_MAX 100000

static bool exchange_odds_ok(int odds)
{
    return odds >= EXCHANGE_ODDS_MIN && odds <= EXCHANGE_ODDS_MAX;
}

static bool level_ok(const odz_exchange_offer *o, int i, bool down)
{
    return exchange_odds_ok(o[i].odds) && o[i].size >= 1 && o[i].size <= ODZ_MONEY_MAX &&
           (i == 0 || (down ? o[i].odds < o[i - 1].odds : o[i].odds > o[i - 1].odds));
}

static void side_trim(odz_exchange_offer *o, bool down)
{
    int i = 0;
    while (i < ODZ_EXCHANGE_DEPTH && level_ok(o, i, down))
        i++;
    for (; i < ODZ_EXCHANGE_DEPTH; i++)
        o[i] = (odz_exchange_offer){0, 0};
}

void odz_exchange_book_trim(odz_exchange_book *b)
{
    side_trim(b->back, true);
    side_trim(b->lay, false);
    if (!exchange_odds_ok(b->last_traded))
        b->last_traded = 0;
    if (!exchange_odds_ok(b->starting_price))
        b->starting_price = 0;
    if (b->traded_volume < 0 || b->traded_volume > ODZ_MONEY_MAX)
        b->traded_volume = 0;
}

/* One side: packed from the best, each level strictly worse than the one before (`down`:
 * back, odds falling). */
static int side_check(const odz_exchange_offer *o, bool down, const char *side, char *err,
                      size_t errlen)
{
    bool empty = false;
    for (int i = 0; i < ODZ_EXCHANGE_DEPTH; i++) {
        if (o[i].odds == 0 && o[i].size == 0) {
            empty = true;
            continue;
        }
        if (empty)
            return odz_fail(err, errlen, ODZ_EINVAL, "%s level %d follows an empty level", side,
                            i + 1);
        if (level_ok(o, i, down))
            continue;
        if (!exchange_odds_ok(o[i].odds))
            return odz_fail(err, errlen, ODZ_EINVAL, "%s level %d: odds %d out of 101..100000",
                            side, i + 1, o[i].odds);
        if (o[i].size < 1 || o[i].size > ODZ_MONEY_MAX)
            return odz_fail(err, errlen, ODZ_EINVAL, "%s level %d: size %lld cents out of range",
                            side, i + 1, (long long)o[i].size);
        return odz_fail(err, errlen, ODZ_EINVAL, "%s level %d is not worse than level %d", side,
                        i + 1, i);
    }
    return 0;
}

int odz_exchange_book_check(const odz_exchange_book *b, char *err, size_t errlen)
{
    int rc = side_check(b->back, true, "back", err, errlen);
    if (rc || (rc = side_check(b->lay, false, "lay", err, errlen)))
        return rc;
    if (b->last_traded && !exchange_odds_ok(b->last_traded))
        return odz_fail(err, errlen, ODZ_EINVAL, "last traded %d out of 101..100000",
                        b->last_traded);
    if (b->starting_price && !exchange_odds_ok(b->starting_price))
        return odz_fail(err, errlen, ODZ_EINVAL, "starting price %d out of 101..100000",
                        b->starting_price);
    if (b->traded_volume < 0 || b->traded_volume > ODZ_MONEY_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "traded volume %lld cents out of range",
                        (long long)b->traded_volume);
    return 0;
}

int odz_exchange_book_same(const odz_exchange_book *a, const odz_exchange_book *b)
{
    for (int i = 0; i < ODZ_EXCHANGE_DEPTH; i++)
        if (a->back[i].odds != b->back[i].odds || a->back[i].size != b->back[i].size ||
            a->lay[i].odds != b->lay[i].odds || a->lay[i].size != b->lay[i].size)
            return 0;
    return a->last_traded == b->last_traded && a->traded_volume == b->traded_volume &&
           a->starting_price == b->starting_price;
}

int odz_exchange_book_empty(const odz_exchange_book *b)
{
    static const odz_exchange_book none;
    return odz_exchange_book_same(b, &none);
}

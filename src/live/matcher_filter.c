/* The odds matcher's per-client filter on the live transport (topic "matcher"): a client's
 * filter over the rows of each `odds.matcher` event (one runner's rows, as the racing service's
 * matcher publishes them: {"race_id", "selection_id", "rows": [ROW...], "removed": [...]}),
 * applied row by row on the server. The
 * parameters are those of GET /api/oddsmatcher that a published row can answer (its amounts
 * are for 10.00 at 5 %): bookmaker, race_id, race_type, min_odds / max_odds (the back price),
 * minutes (to the start), min_rating (the published rating), min_liquidity (the lay size).
 * Decimals compare as integers (hundredths, basis points, cents). */
#include "live/live_internal.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/model.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 32 /* bookmakers or races in one filter, as the HTTP query */
#define NAME_MAX_ 32
#define ROWS_MAX 64 /* rows of one event a mask can name */

typedef struct {
    size_t nbook, nrace;
    char book[LIST_MAX][NAME_MAX_];
    int64_t race[LIST_MAX];
    char race_type[16];   /* "" = any */
    int64_t min_odds, max_odds; /* hundredths, 0 = no bound */
    int64_t minutes;      /* -1 = any */
    int64_t min_rating;   /* basis points, INT64_MIN = none */
    int64_t min_liquidity; /* cents, -1 = none */
} mfilter;

typedef struct {
    char book[NAME_MAX_];
    char race_type[16];
    int64_t race_id, back, rating, lay_size, start; /* lay_size -1: unknown */
} mrow;

typedef struct {
    json_t *o; /* the event, for render */
    size_t n;
    mrow rows[ROWS_MAX];
} mevent;

/* ---- parsing a client's filter ----------------------------------------------------------- */

/* A non-negative decimal (a number, or its text) scaled by 100 and rounded; -1 if not one. */
static int64_t scaled(const json_t *v, double max)
{
    double d;
    if (json_is_number(v))
        d = json_number_value(v);
    else if (json_is_string(v)) {
        char *end;
        d = strtod(json_string_value(v), &end);
        if (end == json_string_value(v) || *end)
            return -1;
    } else
        return -1;
    if (!isfinite(d) || d < 0 || d > max)
        return -1;
    return llround(d * 100);
}

/* A list member: an array of strings/integers, or one string with commas. Calls add() for each. */
static int each_item(const json_t *v, int (*add)(mfilter *, const char *), mfilter *f)
{
    if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) {
            char b[NAME_MAX_];
            if (json_is_string(x))
                snprintf(b, sizeof b, "%s", json_string_value(x));
            else if (json_is_integer(x))
                snprintf(b, sizeof b, "%lld", (long long)json_integer_value(x));
            else
                return ODZ_EINVAL;
            if (add(f, b))
                return ODZ_EINVAL;
        }
        return 0;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) > LIST_MAX * NAME_MAX_)
        return ODZ_EINVAL;
    char buf[LIST_MAX * NAME_MAX_ + 1];
    snprintf(buf, sizeof buf, "%s", json_string_value(v));
    for (char *p = buf, *e; p; p = e ? e + 1 : NULL) {
        e = strchr(p, ',');
        if (e)
            *e = '\0';
        if (add(f, p))
            return ODZ_EINVAL;
    }
    return 0;
}

static int add_book(mfilter *f, const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= NAME_MAX_ || f->nbook == LIST_MAX)
        return ODZ_EINVAL;
    memcpy(f->book[f->nbook++], s, n + 1);
    return 0;
}

static int add_race(mfilter *f, const char *s)
{
    char *end;
    long long id = strtoll(s, &end, 10);
    if (end == s || *end || id <= 0 || f->nrace == LIST_MAX)
        return ODZ_EINVAL;
    f->race[f->nrace++] = id;
    return 0;
}

static int mf_parse(const json_t *spec, void **state, char *err, size_t errlen)
{
    *state = NULL;
    if (!spec)
        return 0;
    mfilter *f = calloc(1, sizeof *f);
    if (!f)
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    f->minutes = -1;
    f->min_rating = INT64_MIN;
    f->min_liquidity = -1;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)spec, k, v) {
        int64_t x = 0;
        int bad = 0;
        if (!strcmp(k, "bookmaker"))
            bad = each_item(v, add_book, f) != 0;
        else if (!strcmp(k, "race_id"))
            bad = each_item(v, add_race, f) != 0;
        else if (!strcmp(k, "race_type")) {
            odz_race_type t;
            bad = !json_is_string(v) || odz_race_type_parse(json_string_value(v), &t) != 0;
            if (!bad)
                snprintf(f->race_type, sizeof f->race_type, "%s", odz_race_type_name(t));
        } else if (!strcmp(k, "min_odds") || !strcmp(k, "max_odds")) {
            bad = (x = scaled(v, 1000)) < 101;
            *(!strcmp(k, "min_odds") ? &f->min_odds : &f->max_odds) = x;
        } else if (!strcmp(k, "minutes")) {
            bad = !json_is_integer(v) || json_integer_value(v) < 0 ||
                  json_integer_value(v) > 10080;
            f->minutes = json_integer_value(v);
        } else if (!strcmp(k, "min_rating")) {
            bad = (x = scaled(v, 1000)) < 0;
            f->min_rating = x;
        } else if (!strcmp(k, "min_liquidity")) {
            bad = (x = scaled(v, 1e9)) < 0;
            f->min_liquidity = x;
        } else {
            free(f);
            return odz_fail(err, errlen, ODZ_EINVAL, "unknown filter %s", k);
        }
        if (bad) {
            free(f);
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "%s: bookmaker and race_id take a list, race_type a race type, "
                            "min_odds and max_odds odds from 1.01 to 1000, minutes 0 to 10080, "
                            "min_rating a percentage, min_liquidity an amount",
                            k);
        }
    }
    if (f->min_odds && f->max_odds && f->min_odds > f->max_odds) {
        free(f);
        return odz_fail(err, errlen, ODZ_EINVAL, "min_odds above max_odds");
    }
    *state = f;
    return 0;
}

/* ---- an event's rows, decoded once ------------------------------------------------------- */

static int64_t int_or(const json_t *v, int64_t dflt)
{
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static void *mf_decode(const char *data, size_t len)
{
    json_error_t e;
    json_t *o = json_loadb(data, len, 0, &e);
    json_t *rows = json_object_get(o, "rows");
    mevent *ev = json_is_array(rows) ? calloc(1, sizeof *ev) : NULL;
    if (!ev) {
        json_decref(o);
        return NULL;
    }
    ev->o = o;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if (i == ROWS_MAX)
            break; /* (rows beyond a mask's reach go to no filtered client) */
        mrow *m = &ev->rows[ev->n++];
        json_t *b = json_object_get(r, "bookmaker"), *t = json_object_get(r, "race_type");
        snprintf(m->book, sizeof m->book, "%s", json_is_string(b) ? json_string_value(b) : "");
        snprintf(m->race_type, sizeof m->race_type, "%s",
                 json_is_string(t) ? json_string_value(t) : "");
        m->race_id = int_or(json_object_get(r, "race_id"), 0);
        m->start = int_or(json_object_get(r, "start"), 0);
        m->back = scaled(json_object_get(r, "back"), 1e6);
        json_t *rt = json_object_get(r, "rating");
        double rating = json_is_number(rt) ? json_number_value(rt) : NAN;
        /* (a rating may be negative; one out of any sane range passes no min_rating) */
        m->rating = isfinite(rating) && fabs(rating) < 1e6 ? llround(rating * 100) : INT64_MIN;
        m->lay_size = scaled(json_object_get(r, "lay_size"), 1e12);
    }
    return ev;
}

static void mf_free_decoded(void *d)
{
    mevent *ev = d;
    json_decref(ev->o);
    free(ev);
}

static bool row_passes(const mfilter *f, const mrow *r, int64_t now)
{
    if (f->nbook) {
        size_t i;
        for (i = 0; i < f->nbook && strcmp(f->book[i], r->book); i++)
            ;
        if (i == f->nbook)
            return false;
    }
    if (f->nrace) {
        size_t i;
        for (i = 0; i < f->nrace && f->race[i] != r->race_id; i++)
            ;
        if (i == f->nrace)
            return false;
    }
    if (f->race_type[0] && strcmp(f->race_type, r->race_type))
        return false;
    if ((f->min_odds && r->back < f->min_odds) || (f->max_odds && r->back > f->max_odds))
        return false;
    if (f->minutes >= 0 && r->start - now > f->minutes * 60)
        return false;
    if (f->min_rating != INT64_MIN && r->rating < f->min_rating)
        return false;
    if (f->min_liquidity >= 0 && r->lay_size < f->min_liquidity)
        return false; /* (an unknown size passes no liquidity bound) */
    return true;
}

static uint64_t mf_match(const void *state, const void *decoded)
{
    const mfilter *f = state;
    const mevent *ev = decoded;
    int64_t now = f->minutes >= 0 ? odz_now() : 0;
    uint64_t mask = 0;
    for (size_t i = 0; i < ev->n; i++)
        if (row_passes(f, &ev->rows[i], now))
            mask |= (uint64_t)1 << i;
    return mask;
}

/* The event with only the rows of `mask` (every other member as published). */
static int mf_render(const void *decoded, uint64_t mask, char **out, size_t *len)
{
    const mevent *ev = decoded;
    json_t *rows = json_object_get(ev->o, "rows");
    *out = NULL;
    if (ev->n == json_array_size(rows) &&
        mask == (ev->n == ROWS_MAX ? UINT64_MAX : (((uint64_t)1 << ev->n) - 1)))
        return 0; /* every row: the payload as it came */
    json_t *copy = json_copy(ev->o), *keep = json_array();
    if (!copy || !keep) {
        json_decref(copy);
        json_decref(keep);
        return ODZ_ENOMEM;
    }
    for (size_t i = 0; i < ev->n; i++)
        if (mask & ((uint64_t)1 << i))
            json_array_append(keep, json_array_get(rows, i));
    json_object_set_new(copy, "rows", keep);
    *out = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    if (!*out)
        return ODZ_ENOMEM;
    *len = strlen(*out);
    return 0;
}

const odz_live_filter live_matcher_filter = {mf_parse, free, mf_decode, mf_free_decoded, mf_match,
                                             mf_render};

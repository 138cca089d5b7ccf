/* JSON codec for the domain model; every decoder validates before it writes. */
#include "core/json.h"
#include "core/err.h"
#include "core/json_arena.h"
#include "core/tz.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <stdio.h>
#include <string.h>

#define MAX_INT64_FIELD 4102444800LL /* epoch s of 2100-01-01: later times are bad input */

char *odz_json_dumps(const json_t *j)
{
    return json_dumps(j, ODZ_JSON_DUMP_FLAGS);
}

/* The two loaders' bound and error: false (err filled) when len passes max. */
static bool within(size_t len, size_t max, char *err, size_t errlen)
{
    if (len <= max)
        return true;
    odz_fail(err, errlen, ODZ_EINVAL, "JSON body of %zu bytes exceeds the limit of %zu", len, max);
    return false;
}

static void bad_json(const json_error_t *je, char *err, size_t errlen)
{
    odz_fail(err, errlen, ODZ_EINVAL, "bad JSON at line %d column %d: %s", je->line, je->column,
             je->text);
}

json_t *odz_json_loadb(const char *buf, size_t len, size_t max, char *err, size_t errlen)
{
    if (!within(len, max, err, errlen))
        return NULL;
    json_error_t je;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        bad_json(&je, err, errlen);
    return j;
}

/* Each thread's scratch arena, made on its first use and freed when the thread ends (the key's
 * destructor; the main thread's is still reachable from its thread-local pointer at exit). */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local odz_json_arena *scratch;

static void scratch_free(void *a)
{
    odz_json_arena_free(a);
}

static void scratch_init(void)
{
    (void)pthread_key_create(&scratch_key, scratch_free);
}

const json_t *odz_json_loadb_scratch(const char *buf, size_t len, size_t max, char *err,
                                     size_t errlen)
{
    if (!within(len, max, err, errlen))
        return NULL;
    if (!scratch) {
        pthread_once(&scratch_once, scratch_init);
        if (!(scratch = odz_json_arena_new(0))) {
            odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
            return NULL;
        }
        (void)pthread_setspecific(scratch_key, scratch);
    }
    json_error_t je;
    const json_t *j = odz_json_arena_loadb(scratch, buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        bad_json(&je, err, errlen);
    return j;
}

json_t *odz_json_odds(int odds)
{
    if (odds <= 0)
        return json_null();
    return json_real(odds / 100.0);
}

json_t *odz_json_money(int64_t cents)
{
    return json_real((double)cents / 100.0);
}

static json_t *offers_json(const odz_exchange_offer *o)
{
    json_t *a = json_array();
    for (int i = 0; a && i < ODZ_EXCHANGE_DEPTH && o[i].odds > 0; i++)
        json_array_append_new(a, json_pack("{s:o,s:o}", "price", odz_json_odds(o[i].odds), "size",
                                           odz_json_money(o[i].size)));
    return a;
}

json_t *odz_exchange_book_to_json(const odz_exchange_book *b)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "back", offers_json(b->back), "lay",
                     offers_json(b->lay), "last_traded", odz_json_odds(b->last_traded),
                     "traded_volume", odz_json_money(b->traded_volume), "starting_price",
                     odz_json_odds(b->starting_price));
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *odz_meeting_to_json(const odz_meeting *m)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "meeting_id", (json_int_t)m->id,
                     "source_key", m->source_key, "name", m->name, "country", m->country,
                     "region", m->region, "race_type", odz_race_type_name(m->type), "date",
                     m->date, "first_start", (json_int_t)m->first_start);
}

json_t *odz_results_to_json(const odz_race *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_results; i++)
        json_array_append_new(a, json_pack("{s:i,s:i,s:s}", "position", r->results[i].position,
                                           "number", r->results[i].number, "margin",
                                           r->results[i].margin));
    return a;
}

json_t *odz_dividends_to_json(const odz_race *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_dividends; i++) {
        const odz_dividend *d = &r->dividends[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:I}", "pool", d->pool, "status",
                                           d->interim ? "interim" : "final", "combination",
                                           d->combination, "amount", (json_int_t)d->amount));
    }
    return a;
}

json_t *odz_race_to_json(const odz_race *r)
{
    return json_pack("{s:I,s:s,s:I,s:i,s:s,s:i,s:I,s:I,s:s,s:o,s:o,s:I}", "race_id",
                     (json_int_t)r->id, "source_key", r->source_key, "meeting_id",
                     (json_int_t)r->meeting_id, "number", r->number, "name", r->name, "distance",
                     r->distance, "scheduled_start", (json_int_t)r->scheduled_start,
                     "actual_start", (json_int_t)r->actual_start, "status",
                     odz_status_name(r->status), "results", odz_results_to_json(r), "dividends",
                     odz_dividends_to_json(r), "last_update", (json_int_t)r->last_update);
}

json_t *odz_selection_to_json(const odz_selection *s)
{
    return json_pack("{s:I,s:s,s:I,s:i,s:i,s:s,s:s,s:s,s:o,s:o,s:b,s:b,s:I,s:o,s:b,s:o}",
                     "selection_id", (json_int_t)s->id, "source_key", s->source_key, "race_id",
                     (json_int_t)s->race_id, "number", s->number, "barrier", s->barrier, "name",
                     s->name, "jockey", s->jockey, "trainer", s->trainer, "weight",
                     s->weight ? json_real(s->weight / 100.0) : json_null(), "claim",
                     s->claim ? json_real(s->claim / 100.0) : json_null(), "is_scratched",
                     s->scratched, "is_late_scratched", s->late_scratched, "scratch_time",
                     (json_int_t)s->scratch_time, "deduction",
                     s->deduction ? json_real(s->deduction / 100.0) : json_null(), "emergency",
                     s->emergency, "silks", str_or_null(s->silks));
}

json_t *odz_price_to_json(const odz_price *p)
{
    return json_pack("{s:I,s:s,s:s,s:o,s:i,s:I}", "selection_id", (json_int_t)p->selection_id,
                     "provider", p->provider, "market", odz_market_name(p->market), "price",
                     odz_json_odds(p->odds), "odds", p->odds, "ts", (json_int_t)p->ts);
}

/* ---- decoding ---- */

static int get_str(const json_t *o, const char *k, char *dst, size_t len, int required, char *err,
                   size_t errlen)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) {
        if (required)
            return odz_fail(err, errlen, ODZ_EINVAL, "field '%s' is required", k);
        dst[0] = '\0';
        return 0;
    }
    if (!json_is_string(v))
        return odz_fail(err, errlen, ODZ_EINVAL, "field '%s' must be a string", k);
    if (json_string_length(v) >= len)
        return odz_fail(err, errlen, ODZ_EINVAL, "field '%s' is longer than %zu bytes", k, len - 1);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int get_int(const json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *out,
                   char *err, size_t errlen)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) {
        *out = 0;
        return 0;
    }
    if (!json_is_integer(v))
        return odz_fail(err, errlen, ODZ_EINVAL, "field '%s' must be an integer", k);
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return odz_fail(err, errlen, ODZ_EINVAL, "field '%s' out of range", k);
    *out = x;
    return 0;
}

/* A decimal number given as JSON number, in hundredths (57.5 -> 5750). */
static int get_hundredths(const json_t *o, const char *k, int lo, int hi, int *out, char *err,
                          size_t errlen)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) {
        *out = 0;
        return 0;
    }
    if (!json_is_number(v))
        return odz_fail(err, errlen, ODZ_EINVAL, "field '%s' must be a number", k);
    double d = json_number_value(v) * 100.0;
    if (!(d >= lo && d <= hi))
        return odz_fail(err, errlen, ODZ_EINVAL, "field '%s' out of range", k);
    *out = (int)(d + (d >= 0 ? 0.5 : -0.5));
    return 0;
}

static int get_bool(const json_t *o, const char *k, bool *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) {
        *out = false;
        return 0;
    }
    if (!json_is_boolean(v))
        return odz_fail(err, errlen, ODZ_EINVAL, "field '%s' must be true or false", k);
    *out = json_is_true(v);
    return 0;
}

#define TRY(x)                                                                                    \
    do {                                                                                          \
        int rc_ = (x);                                                                            \
        if (rc_)                                                                                  \
            return rc_;                                                                           \
    } while (0)

static int need_object(const json_t *j, const char *what, char *err, size_t errlen)
{
    if (!json_is_object(j))
        return odz_fail(err, errlen, ODZ_EINVAL, "%s must be a JSON object", what);
    return 0;
}

int odz_meeting_from_json(const json_t *j, odz_meeting *m, char *err, size_t errlen)
{
    odz_meeting t = {0};
    int64_t x;
    char type[24];
    TRY(need_object(j, "meeting", err, errlen));
    TRY(get_int(j, "meeting_id", 0, INT64_MAX, &t.id, err, errlen));
    TRY(get_str(j, "source_key", t.source_key, sizeof t.source_key, 1, err, errlen));
    TRY(get_str(j, "name", t.name, sizeof t.name, 1, err, errlen));
    TRY(get_str(j, "country", t.country, sizeof t.country, 0, err, errlen));
    TRY(get_str(j, "region", t.region, sizeof t.region, 0, err, errlen));
    TRY(get_str(j, "race_type", type, sizeof type, 1, err, errlen));
    if (odz_race_type_parse(type, &t.type))
        return odz_fail(err, errlen, ODZ_EINVAL, "unknown race_type '%s'", type);
    TRY(get_str(j, "date", t.date, sizeof t.date, 1, err, errlen));
    if (odz_date_valid(t.date))
        return odz_fail(err, errlen, ODZ_EINVAL, "date '%s' is not YYYY-MM-DD", t.date);
    TRY(get_int(j, "first_start", 0, MAX_INT64_FIELD, &x, err, errlen));
    t.first_start = x;
    *m = t;
    return 0;
}

/* Decodes one line of a race's results or dividends (an object) into *line. */
typedef int (*line_fn)(const json_t *v, void *line, char *err, size_t errlen);

/* A race's results or dividends: an array of at most `max` objects, each decoded by `one` into
 * tmp (room for max lines of `size` bytes); absent or null is none. Only when every line is
 * good are they copied to dst and *n set. `what` names the array, `line` one of its lines. */
static int lines_from_json(const json_t *a, const char *what, const char *line, size_t max,
                           line_fn one, void *tmp, size_t size, void *dst, size_t *n, char *err,
                           size_t errlen)
{
    if (!a || json_is_null(a)) {
        *n = 0;
        return 0;
    }
    if (!json_is_array(a))
        return odz_fail(err, errlen, ODZ_EINVAL, "%s must be an array", what);
    if (json_array_size(a) > max)
        return odz_fail(err, errlen, ODZ_EINVAL, "more than %zu %ss", max, line);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        TRY(need_object(v, line, err, errlen));
        TRY(one(v, (char *)tmp + i * size, err, errlen));
    }
    *n = json_array_size(a);
    memcpy(dst, tmp, *n * size);
    return 0;
}

static int placing_from_json(const json_t *v, void *line, char *err, size_t errlen)
{
    odz_placing *p = line;
    int64_t pos, num;
    TRY(get_int(v, "position", 1, 99, &pos, err, errlen));
    TRY(get_int(v, "number", 1, 99, &num, err, errlen));
    if (!pos || !num)
        return odz_fail(err, errlen, ODZ_EINVAL, "result line needs position and number");
    p->position = (int)pos;
    p->number = (int)num;
    return get_str(v, "margin", p->margin, sizeof p->margin, 0, err, errlen);
}

int odz_results_from_json(const json_t *a, odz_race *r, char *err, size_t errlen)
{
    odz_placing tmp[ODZ_MAX_PLACINGS];
    return lines_from_json(a, "results", "result line", ODZ_MAX_PLACINGS, placing_from_json, tmp,
                           sizeof tmp[0], r->results, &r->n_results, err, errlen);
}

static int dividend_from_json(const json_t *v, void *line, char *err, size_t errlen)
{
    odz_dividend *d = line;
    char status[16];
    TRY(get_str(v, "pool", d->pool, sizeof d->pool, 1, err, errlen));
    TRY(get_str(v, "status", status, sizeof status, 0, err, errlen));
    d->interim = strcmp(status, "interim") == 0;
    TRY(get_str(v, "combination", d->combination, sizeof d->combination, 0, err, errlen));
    return get_int(v, "amount", 0, INT64_MAX / 4, &d->amount, err, errlen);
}

int odz_dividends_from_json(const json_t *a, odz_race *r, char *err, size_t errlen)
{
    odz_dividend tmp[ODZ_MAX_DIVIDENDS];
    return lines_from_json(a, "dividends", "dividend", ODZ_MAX_DIVIDENDS, dividend_from_json, tmp,
                           sizeof tmp[0], r->dividends, &r->n_dividends, err, errlen);
}

int odz_race_from_json(const json_t *j, odz_race *out, char *err, size_t errlen)
{
    static odz_race zero;
    odz_race *t = malloc(sizeof *t); /* large: keep it off the stack */
    if (!t)
        return ODZ_ENOMEM;
    *t = zero;
    int64_t x;
    char status[16];
    int rc;
    if ((rc = need_object(j, "race", err, errlen)) ||
        (rc = get_int(j, "race_id", 0, INT64_MAX, &t->id, err, errlen)) ||
        (rc = get_str(j, "source_key", t->source_key, sizeof t->source_key, 1, err, errlen)) ||
        (rc = get_int(j, "meeting_id", 0, INT64_MAX, &t->meeting_id, err, errlen)) ||
        (rc = get_int(j, "number", 1, 99, &x, err, errlen)))
        goto out;
    t->number = (int)x;
    if (!t->number) {
        rc = odz_fail(err, errlen, ODZ_EINVAL, "field 'number' is required");
        goto out;
    }
    if ((rc = get_str(j, "name", t->name, sizeof t->name, 0, err, errlen)) ||
        (rc = get_int(j, "distance", 0, 100000, &x, err, errlen)))
        goto out;
    t->distance = (int)x;
    if ((rc = get_int(j, "scheduled_start", 0, MAX_INT64_FIELD, &t->scheduled_start, err,
                      errlen)) ||
        (rc = get_int(j, "actual_start", 0, MAX_INT64_FIELD, &t->actual_start, err, errlen)) ||
        (rc = get_str(j, "status", status, sizeof status, 0, err, errlen)))
        goto out;
    if (status[0] && odz_status_parse(status, &t->status)) {
        rc = odz_fail(err, errlen, ODZ_EINVAL, "unknown status '%s'", status);
        goto out;
    }
    if ((rc = odz_results_from_json(json_object_get(j, "results"), t, err, errlen)) ||
        (rc = odz_dividends_from_json(json_object_get(j, "dividends"), t, err, errlen)) ||
        (rc = get_int(j, "last_update", 0, MAX_INT64_FIELD, &t->last_update, err, errlen)))
        goto out;
    *out = *t;
out:
    free(t);
    return rc;
}

int odz_selection_from_json(const json_t *j, odz_selection *out, char *err, size_t errlen)
{
    odz_selection t = {0};
    int64_t x;
    TRY(need_object(j, "selection", err, errlen));
    TRY(get_int(j, "selection_id", 0, INT64_MAX, &t.id, err, errlen));
    TRY(get_str(j, "source_key", t.source_key, sizeof t.source_key, 1, err, errlen));
    TRY(get_int(j, "race_id", 0, INT64_MAX, &t.race_id, err, errlen));
    TRY(get_int(j, "number", 1, 99, &x, err, errlen));
    t.number = (int)x;
    if (!t.number)
        return odz_fail(err, errlen, ODZ_EINVAL, "field 'number' is required");
    TRY(get_int(j, "barrier", 0, 99, &x, err, errlen));
    t.barrier = (int)x;
    TRY(get_str(j, "name", t.name, sizeof t.name, 1, err, errlen));
    TRY(get_str(j, "jockey", t.jockey, sizeof t.jockey, 0, err, errlen));
    TRY(get_str(j, "trainer", t.trainer, sizeof t.trainer, 0, err, errlen));
    TRY(get_hundredths(j, "weight", 0, 20000, &t.weight, err, errlen));
    TRY(get_hundredths(j, "claim", 0, 2000, &t.claim, err, errlen));
    TRY(get_bool(j, "is_scratched", &t.scratched, err, errlen));
    TRY(get_bool(j, "is_late_scratched", &t.late_scratched, err, errlen));
    TRY(get_int(j, "scratch_time", 0, MAX_INT64_FIELD, &t.scratch_time, err, errlen));
    TRY(get_hundredths(j, "deduction", 0, 10000, &t.deduction, err, errlen));
    TRY(get_bool(j, "emergency", &t.emergency, err, errlen));
    TRY(get_str(j, "silks", t.silks, sizeof t.silks, 0, err, errlen));
    *out = t;
    return 0;
}

int odz_price_from_json(const json_t *j, odz_price *out, char *err, size_t errlen)
{
    odz_price t = {0};
    int64_t x;
    char market[24];
    TRY(need_object(j, "price", err, errlen));
    TRY(get_int(j, "selection_id", 1, INT64_MAX, &t.selection_id, err, errlen));
    if (!t.selection_id)
        return odz_fail(err, errlen, ODZ_EINVAL, "field 'selection_id' is required");
    TRY(get_str(j, "provider", t.provider, sizeof t.provider, 0, err, errlen));
    if (!t.provider[0])
        snprintf(t.provider, sizeof t.provider, "%s", ODZ_PROVIDER_OURS);
    TRY(get_str(j, "market", market, sizeof market, 1, err, errlen));
    if (odz_market_parse(market, &t.market))
        return odz_fail(err, errlen, ODZ_EINVAL, "unknown market '%s'", market);
    TRY(get_int(j, "odds", 0, 10000000, &x, err, errlen));
    t.odds = (int)x;
    if (t.odds > 0 && t.odds < 100)
        return odz_fail(err, errlen, ODZ_EINVAL, "odds below 1.00");
    TRY(get_int(j, "ts", 0, MAX_INT64_FIELD, &t.ts, err, errlen));
    *out = t;
    return 0;
}

/* ---- exchange books, integer units (the bus) ---- */

static json_t *levels_json(const odz_exchange_offer *o)
{
    json_t *a = json_array();
    for (int i = 0; a && i < ODZ_EXCHANGE_DEPTH && o[i].odds > 0; i++)
        json_array_append_new(a, json_pack("{s:i,s:I}", "odds", o[i].odds, "size",
                                           (json_int_t)o[i].size));
    return a;
}

json_t *odz_exbook_to_json(const odz_exbook *b)
{
    const odz_exchange_book *x = &b->book;
    json_t *j = json_pack("{s:s,s:o,s:o,s:i,s:I,s:i,s:I}", "provider", b->provider, "back",
                          levels_json(x->back), "lay", levels_json(x->lay), "last_traded",
                          x->last_traded, "traded_volume", (json_int_t)x->traded_volume,
                          "starting_price", x->starting_price, "ts", (json_int_t)b->ts);
    if (j && b->selection_id)
        json_object_set_new(j, "selection_id", json_integer(b->selection_id));
    return j;
}

static int levels_from_json(const json_t *j, const char *k, odz_exchange_offer *out, char *err,
                            size_t errlen)
{
    const json_t *a = json_object_get(j, k), *v;
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a) || json_array_size(a) > ODZ_EXCHANGE_DEPTH)
        return odz_fail(err, errlen, ODZ_EINVAL, "field '%s' must be an array of at most %d levels",
                        k, ODZ_EXCHANGE_DEPTH);
    size_t i;
    json_array_foreach(a, i, v)
    {
        int64_t odds, size;
        TRY(need_object(v, "a book level", err, errlen));
        TRY(get_int(v, "odds", 0, 10000000, &odds, err, errlen));
        TRY(get_int(v, "size", 0, ODZ_MONEY_MAX, &size, err, errlen));
        out[i] = (odz_exchange_offer){(int)odds, size};
    }
    return 0;
}

int odz_exbook_from_json(const json_t *j, odz_exbook *out, char *err, size_t errlen)
{
    odz_exbook t = {0};
    int64_t lt, sp;
    TRY(need_object(j, "book", err, errlen));
    TRY(get_int(j, "selection_id", 0, INT64_MAX, &t.selection_id, err, errlen));
    TRY(get_str(j, "provider", t.provider, sizeof t.provider, 1, err, errlen));
    if (!t.provider[0])
        return odz_fail(err, errlen, ODZ_EINVAL, "field 'provider' is required");
    TRY(levels_from_json(j, "back", t.book.back, err, errlen));
    TRY(levels_from_json(j, "lay", t.book.lay, err, errlen));
    TRY(get_int(j, "last_traded", 0, 10000000, &lt, err, errlen));
    TRY(get_int(j, "traded_volume", 0, ODZ_MONEY_MAX, &t.book.traded_volume, err, errlen));
    TRY(get_int(j, "starting_price", 0, 10000000, &sp, err, errlen));
    TRY(get_int(j, "ts", 0, MAX_INT64_FIELD, &t.ts, err, errlen));
    t.book.last_traded = (int)lt;
    t.book.starting_price = (int)sp;
    TRY(odz_exchange_book_check(&t.book, err, errlen));
    *out = t;
    return 0;
}

int odz_json_opt_text(const json_t *o, const char *key, char *dst, size_t n, bool token)
{
    const json_t *v = json_object_get(o, key);
    dst[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    const char *s = json_string_value(v);
    size_t len = s ? json_string_length(v) : 0;
    if (!s || len >= n || strlen(s) != len || (token && len == 0))
        return ODZ_EINVAL;
    for (size_t i = 0; token && i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return ODZ_EINVAL;
    memcpy(dst, s, len + 1);
    return 0;
}

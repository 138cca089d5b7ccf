/* The store's rules, once, over any SQL driver (driver.h): rows are matched by source key,
 * compared, and written only when something changed; a race status only moves forward;
 * results, dividends and scratchings once known are kept; a price without a provider is ours.
 * Every operation of store.h runs in one driver session, each write in one transaction. */
#include "store/driver.h"
#include "store/rules.h"
#include "core/err.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PROVIDER ODZ_PROVIDER_OURS /* our own market */

typedef struct {
    odz_store base;
    odz_store_ops ops; /* the rules' operations under the driver's name */
    odz_drv *drv;
} merge_store;

#define DRV(s) (((merge_store *)(s))->drv)

const char *const odz_drv_what[DQ_COUNT] = {
    [DQ_MEET_INSERT] = "add meeting",
    [DQ_MEET_GET] = "meeting",
    [DQ_MEET_BY_KEY] = "meeting",
    [DQ_MEET_UPDATE] = "update meeting",
    [DQ_MEET_RANGE] = "meetings",
    [DQ_MEET_FIRST_START] = "meeting first start",
    [DQ_RACE_INSERT] = "add race",
    [DQ_RACE_GET] = "race",
    [DQ_RACE_BY_KEY] = "race",
    [DQ_RACE_UPDATE] = "update race",
    [DQ_RACE_RANGE] = "races",
    [DQ_RACE_OF_MEETING] = "races",
    [DQ_RACE_NEXT] = "next race",
    [DQ_RACES_NEXT] = "next races",
    [DQ_RACES_NEXT_TYPE] = "next races",
    [DQ_SEL_INSERT] = "add selection",
    [DQ_SEL_GET] = "selection",
    [DQ_SEL_BY_KEY] = "selection",
    [DQ_SEL_UPDATE] = "update selection",
    [DQ_SEL_OF_RACE] = "selections",
    [DQ_PRICE_LATEST_ONE] = "latest price",
    [DQ_PRICE_INSERT] = "append price",
    [DQ_PRICE_LATEST_RACE] = "prices",
    [DQ_PRICE_HISTORY] = "price history",
    [DQ_PRICE_HISTORY_ALL] = "price history",
    [DQ_BOOK_GET] = "exchange book",
    [DQ_BOOK_PUT] = "write exchange book",
    [DQ_BOOK_OF_RACE] = "exchange books",
};

/* ---- rows as data ---- */

#define COL(t, type_, f) {type_, offsetof(t, f), sizeof(((t *)0)->f)}
static const odz_col meeting_cols[] = {
    COL(odz_meeting, ODZ_COL_I64, id),          COL(odz_meeting, ODZ_COL_TEXT, source_key),
    COL(odz_meeting, ODZ_COL_TEXT, name),       COL(odz_meeting, ODZ_COL_TEXT, country),
    COL(odz_meeting, ODZ_COL_TEXT, region),     COL(odz_meeting, ODZ_COL_INT, type),
    COL(odz_meeting, ODZ_COL_TEXT, date),       COL(odz_meeting, ODZ_COL_I64, first_start),
};
static const odz_col race_cols[] = {
    COL(odz_race, ODZ_COL_I64, id),
    COL(odz_race, ODZ_COL_TEXT, source_key),
    COL(odz_race, ODZ_COL_I64, meeting_id),
    COL(odz_race, ODZ_COL_INT, number),
    COL(odz_race, ODZ_COL_TEXT, name),
    COL(odz_race, ODZ_COL_INT, distance),
    COL(odz_race, ODZ_COL_I64, scheduled_start),
    COL(odz_race, ODZ_COL_I64, actual_start),
    COL(odz_race, ODZ_COL_INT, status),
    COL(odz_race, ODZ_COL_RESULTS, results),
    COL(odz_race, ODZ_COL_DIVIDENDS, dividends),
    COL(odz_race, ODZ_COL_I64, last_update),
};
static const odz_col selection_cols[] = {
    COL(odz_selection, ODZ_COL_I64, id),
    COL(odz_selection, ODZ_COL_TEXT, source_key),
    COL(odz_selection, ODZ_COL_I64, race_id),
    COL(odz_selection, ODZ_COL_INT, number),
    COL(odz_selection, ODZ_COL_INT, barrier),
    COL(odz_selection, ODZ_COL_TEXT, name),
    COL(odz_selection, ODZ_COL_TEXT, jockey),
    COL(odz_selection, ODZ_COL_TEXT, trainer),
    COL(odz_selection, ODZ_COL_INT, weight),
    COL(odz_selection, ODZ_COL_INT, claim),
    COL(odz_selection, ODZ_COL_BOOL, scratched),
    COL(odz_selection, ODZ_COL_BOOL, late_scratched),
    COL(odz_selection, ODZ_COL_I64, scratch_time),
    COL(odz_selection, ODZ_COL_INT, deduction),
    COL(odz_selection, ODZ_COL_BOOL, emergency),
    COL(odz_selection, ODZ_COL_TEXT, silks),
};
static const odz_col price_cols[] = {
    COL(odz_price, ODZ_COL_I64, selection_id), COL(odz_price, ODZ_COL_TEXT, provider),
    COL(odz_price, ODZ_COL_INT, market),        COL(odz_price, ODZ_COL_INT, odds),
    COL(odz_price, ODZ_COL_I64, ts),
};
#define LEVEL(side, i)                                                                             \
    COL(odz_exbook, ODZ_COL_INT, book.side[i].odds), COL(odz_exbook, ODZ_COL_I64, book.side[i].size)
static const odz_col book_cols[] = {
    COL(odz_exbook, ODZ_COL_I64, selection_id),
    COL(odz_exbook, ODZ_COL_TEXT, provider),
    LEVEL(back, 0),
    LEVEL(back, 1),
    LEVEL(back, 2),
    LEVEL(lay, 0),
    LEVEL(lay, 1),
    LEVEL(lay, 2),
    COL(odz_exbook, ODZ_COL_INT, book.last_traded),
    COL(odz_exbook, ODZ_COL_I64, book.traded_volume),
    COL(odz_exbook, ODZ_COL_INT, book.starting_price),
    COL(odz_exbook, ODZ_COL_I64, ts),
};
_Static_assert(ODZ_EXCHANGE_DEPTH == 3, "the book table has three levels a side");
_Static_assert(sizeof book_cols / sizeof book_cols[0] <= ODZ_DRV_MAX_ARGS, "a book fits the args");
#define DESC(t, c) {c, (int)(sizeof c / sizeof c[0]), sizeof(t)}
const odz_row_desc odz_row_meeting = DESC(odz_meeting, meeting_cols);
const odz_row_desc odz_row_race = DESC(odz_race, race_cols);
const odz_row_desc odz_row_selection = DESC(odz_selection, selection_cols);
const odz_row_desc odz_row_price = DESC(odz_price, price_cols);
const odz_row_desc odz_row_book = DESC(odz_exbook, book_cols);

static int64_t num(const char *v)
{
    char *end;
    long long x = v ? strtoll(v, &end, 10) : 0;
    return v && end != v ? (int64_t)x : 0;
}

int odz_store__row_decode(const odz_row_desc *d, void *row, const char *const *vals, int n)
{
    if (n != d->n)
        return ODZ_EINVAL;
    memset(row, 0, d->size);
    for (int i = 0; i < n; i++) {
        const odz_col *c = &d->cols[i];
        char *f = (char *)row + c->off;
        const char *v = vals[i] ? vals[i] : "";
        switch (c->type) {
        case ODZ_COL_I64: *(int64_t *)f = num(v); break;
        case ODZ_COL_INT: *(int *)f = (int)num(v); break;
        case ODZ_COL_BOOL: *(bool *)f = v[0] == 't' || v[0] == '1'; break;
        case ODZ_COL_TEXT: odz_strlcpy(f, v, c->len); break;
        case ODZ_COL_RESULTS:
        case ODZ_COL_DIVIDENDS: {
            json_t *j = json_loads(v, 0, NULL);
            if (c->type == ODZ_COL_RESULTS)
                odz_results_from_json(j, row, NULL, 0);
            else
                odz_dividends_from_json(j, row, NULL, 0);
            json_decref(j);
            break;
        }
        }
    }
    return 0;
}

/* Statement parameters from a row: every column from `from` on. JSON text made for results
 * and dividends is owned here (args_free). */
typedef struct {
    odz_arg v[ODZ_DRV_MAX_ARGS];
    int n;
    char *json[2];
} args;

static void arg_i64(args *a, int64_t x)
{
    if (a->n < ODZ_DRV_MAX_ARGS)
        a->v[a->n++] = (odz_arg){.type = ODZ_ARG_I64, .i = x};
}

static void arg_text(args *a, const char *s)
{
    if (a->n < ODZ_DRV_MAX_ARGS)
        a->v[a->n++] = (odz_arg){.type = ODZ_ARG_TEXT, .s = s ? s : ""};
}

static void args_free(args *a)
{
    free(a->json[0]);
    free(a->json[1]);
}

static int args_row(args *a, const odz_row_desc *d, const void *row, int from, char *err)
{
    for (int i = from; i < d->n; i++) {
        const odz_col *c = &d->cols[i];
        const char *f = (const char *)row + c->off;
        switch (c->type) {
        case ODZ_COL_I64: arg_i64(a, *(const int64_t *)f); break;
        case ODZ_COL_INT: arg_i64(a, *(const int *)f); break;
        case ODZ_COL_BOOL:
            if (a->n < ODZ_DRV_MAX_ARGS)
                a->v[a->n++] = (odz_arg){.type = ODZ_ARG_BOOL, .i = *(const bool *)f};
            break;
        case ODZ_COL_TEXT: arg_text(a, f); break;
        case ODZ_COL_RESULTS:
        case ODZ_COL_DIVIDENDS:
            if (!a->json[0] && odz_store__race_json(row, &a->json[0], &a->json[1]))
                return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
            arg_text(a, a->json[c->type == ODZ_COL_DIVIDENDS]);
            break;
        }
    }
    return 0;
}

/* ---- the driver's verbs: get by id or key, list, insert, update ---- */

typedef struct {
    const odz_row_desc *d;
    void *out;
    int found;
} one_ctx;

static int one_row(void *ctx, const char *const *vals, int n)
{
    one_ctx *o = ctx;
    if (o->found++)
        return 0;
    return odz_store__row_decode(o->d, o->out, vals, n);
}

/* One row by id (key NULL) or by source key; ODZ_ENOTFOUND "unknown <what> ..." when none. */
static int get(odz_drv_tx *tx, odz_drv *d, int q, const odz_row_desc *rd, int64_t id,
               const char *key, void *out, const char *what, char *err)
{
    args a = {0};
    if (key)
        arg_text(&a, key);
    else
        arg_i64(&a, id);
    one_ctx o = {rd, out, 0};
    int rc = d->ops->query(tx, q, a.v, a.n, one_row, &o, err);
    if (rc)
        return rc;
    if (o.found)
        return 0;
    if (key)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown %s '%s'", what, key);
    return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown %s %lld", what, (long long)id);
}

/* The model's array pushes, one signature. */
static int push_meeting(void *a, const void *r) { return odz_meetings_push(a, r); }
static int push_race(void *a, const void *r) { return odz_races_push(a, r); }
static int push_selection(void *a, const void *r) { return odz_selections_push(a, r); }
static int push_price(void *a, const void *r) { return odz_prices_push(a, r); }
static int push_book(void *a, const void *r) { return odz_exbooks_push(a, r); }

typedef struct {
    const odz_row_desc *d;
    void *out, *row;
    int (*push)(void *a, const void *r);
} list_ctx;

static int push_row(void *ctx, const char *const *vals, int n)
{
    list_ctx *l = ctx;
    int rc = odz_store__row_decode(l->d, l->row, vals, n);
    return rc ? rc : l->push(l->out, l->row);
}

static int list(odz_drv_tx *tx, odz_drv *d, int q, const args *a, const odz_row_desc *rd,
                void *out, const char *what, char *err)
{
    int (*push)(void *, const void *) = rd == &odz_row_meeting ? push_meeting
                                        : rd == &odz_row_race  ? push_race
                                        : rd == &odz_row_price ? push_price
                                        : rd == &odz_row_book  ? push_book
                                                               : push_selection;
    list_ctx l = {rd, out, malloc(rd->size), push};
    int rc = l.row ? d->ops->query(tx, q, a->v, a->n, push_row, &l, err) : ODZ_ENOMEM;
    free(l.row);
    if (rc == ODZ_ENOMEM)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory listing %s", what);
    return rc;
}

/* INSERT a row (its columns but id); sets the id (first field of every row). */
static int insert(odz_drv_tx *tx, odz_drv *d, int q, const odz_row_desc *rd, void *row,
                  char *err)
{
    args a = {0};
    int rc = args_row(&a, rd, row, 1, err);
    if (rc == 0)
        rc = d->ops->exec(tx, q, a.v, a.n, (int64_t *)row, NULL, err);
    args_free(&a);
    return rc;
}

/* UPDATE a row by its id: every column. */
static int update(odz_drv_tx *tx, odz_drv *d, int q, const odz_row_desc *rd, const void *row,
                  char *err)
{
    args a = {0};
    arg_i64(&a, *(const int64_t *)row);
    int rc = args_row(&a, rd, row, 1, err);
    if (rc == 0)
        rc = d->ops->exec(tx, q, a.v, a.n, NULL, NULL, err);
    args_free(&a);
    return rc;
}

static int oom(char *err)
{
    return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
}

static int note_race(odz_changes *c, int64_t race_id, char *err)
{
    return c && odz_changes_add_race(c, race_id) ? oom(err) : 0;
}

/* ---- reads ---- */

/* One row by id in a read session of its own. */
static int get_alone(odz_store *s, int q, const odz_row_desc *rd, int64_t id, void *out,
                     const char *what, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    int rc = d->ops->begin(d, false, &tx, err);
    if (rc)
        return rc;
    return d->ops->end(tx, get(tx, d, q, rd, id, NULL, out, what, err), err);
}

static int m_get_meeting(odz_store *s, int64_t id, odz_meeting *out, char *err)
{
    return get_alone(s, DQ_MEET_GET, &odz_row_meeting, id, out, "meeting", err);
}

static int m_get_race(odz_store *s, int64_t id, odz_race *out, char *err)
{
    return get_alone(s, DQ_RACE_GET, &odz_row_race, id, out, "race", err);
}

/* A list, after checking that the parent row (parent_q by id, NULL: none) exists. */
static int list_of(odz_store *s, int parent_q, const odz_row_desc *parent, const char *pwhat,
                   int64_t pid, int q, const args *a, const odz_row_desc *rd, void *out,
                   const char *what, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    void *p = parent ? malloc(parent->size) : NULL;
    if (parent && !p)
        return oom(err);
    int rc = d->ops->begin(d, false, &tx, err);
    if (rc == 0) {
        if (parent)
            rc = get(tx, d, parent_q, parent, pid, NULL, p, pwhat, err);
        if (rc == 0)
            rc = list(tx, d, q, a, rd, out, what, err);
        rc = d->ops->end(tx, rc, err);
    }
    free(p);
    return rc;
}

/* A list of rows whose race day is within [from, to]. */
static int list_range(odz_store *s, int q, const char *from, const char *to,
                      const odz_row_desc *rd, void *out, const char *what, char *err)
{
    int rc = odz_store__check_range(from, to, err);
    if (rc)
        return rc;
    args a = {0};
    arg_text(&a, from);
    arg_text(&a, to);
    return list_of(s, 0, NULL, NULL, 0, q, &a, rd, out, what, err);
}

static int m_list_meetings(odz_store *s, const char *from, const char *to, odz_meetings *out,
                           char *err)
{
    return list_range(s, DQ_MEET_RANGE, from, to, &odz_row_meeting, out, "meetings", err);
}

static int m_list_races(odz_store *s, const char *from, const char *to, odz_races *out,
                        char *err)
{
    return list_range(s, DQ_RACE_RANGE, from, to, &odz_row_race, out, "races", err);
}

static int m_list_meeting_races(odz_store *s, int64_t meeting_id, odz_races *out, char *err)
{
    args a = {0};
    arg_i64(&a, meeting_id);
    return list_of(s, DQ_MEET_GET, &odz_row_meeting, "meeting", meeting_id, DQ_RACE_OF_MEETING,
                   &a, &odz_row_race, out, "races", err);
}

static int m_list_selections(odz_store *s, int64_t race_id, odz_selections *out, char *err)
{
    args a = {0};
    arg_i64(&a, race_id);
    return list_of(s, DQ_RACE_GET, &odz_row_race, "race", race_id, DQ_SEL_OF_RACE, &a,
                   &odz_row_selection, out, "selections", err);
}

static int m_next_race(odz_store *s, int64_t meeting_id, int64_t now, odz_race *out, char *err)
{
    odz_races rs = {0};
    args a = {0};
    arg_i64(&a, meeting_id);
    arg_i64(&a, now);
    int rc = list_of(s, DQ_MEET_GET, &odz_row_meeting, "meeting", meeting_id, DQ_RACE_NEXT, &a,
                     &odz_row_race, &rs, "next race", err);
    if (rc == 0 && rs.n == 0)
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "meeting %lld has no race to come",
                      (long long)meeting_id);
    if (rc == 0)
        *out = rs.v[0];
    odz_races_free(&rs);
    return rc;
}

static int m_next_races(odz_store *s, int64_t now, int limit, int type, odz_races *out,
                        char *err)
{
    if (limit < 1 || limit > 500)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "limit must be 1 to 500");
    if (type >= ODZ_RACE_TYPES)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown race type");
    args a = {0};
    arg_i64(&a, now);
    arg_i64(&a, limit);
    if (type >= 0)
        arg_i64(&a, type);
    return list_of(s, 0, NULL, NULL, 0, type < 0 ? DQ_RACES_NEXT : DQ_RACES_NEXT_TYPE, &a,
                   &odz_row_race, out, "next races", err);
}

static int m_latest_prices(odz_store *s, int64_t race_id, odz_prices *out, char *err)
{
    args a = {0};
    arg_i64(&a, race_id);
    return list_of(s, 0, NULL, NULL, 0, DQ_PRICE_LATEST_RACE, &a, &odz_row_price, out, "prices",
                   err);
}

static int m_race_books(odz_store *s, int64_t race_id, odz_exbooks *out, char *err)
{
    args a = {0};
    arg_i64(&a, race_id);
    return list_of(s, 0, NULL, NULL, 0, DQ_BOOK_OF_RACE, &a, &odz_row_book, out,
                   "exchange books", err);
}

static int m_price_history(odz_store *s, int64_t selection_id, int market, odz_prices *out,
                           char *err)
{
    args a = {0};
    arg_i64(&a, selection_id);
    if (market >= 0)
        arg_i64(&a, market);
    return list_of(s, DQ_SEL_GET, &odz_row_selection, "selection", selection_id,
                   market < 0 ? DQ_PRICE_HISTORY_ALL : DQ_PRICE_HISTORY, &a, &odz_row_price, out,
                   "price history", err);
}

/* ---- meetings ---- */

static int insert_meeting(odz_drv_tx *tx, odz_drv *d, odz_meeting *m, char *err)
{
    int rc = odz_store__validate_meeting(m, err);
    return rc ? rc : insert(tx, d, DQ_MEET_INSERT, &odz_row_meeting, m, err);
}

static int m_add_meeting(odz_store *s, odz_meeting *m, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    int rc = odz_store__validate_meeting(m, err);
    if (rc || (rc = d->ops->begin(d, true, &tx, err)))
        return rc;
    return d->ops->end(tx, insert_meeting(tx, d, m, err), err);
}

static int upsert_meeting(odz_drv_tx *tx, odz_drv *d, const odz_meeting *in, odz_changes *c,
                          char *err)
{
    int rc = odz_store__validate_meeting(in, err);
    if (rc)
        return rc;
    odz_meeting old, m = *in;
    rc = get(tx, d, DQ_MEET_BY_KEY, &odz_row_meeting, 0, in->source_key, &old, "meeting", err);
    if (rc == ODZ_ENOTFOUND) {
        rc = insert_meeting(tx, d, &m, err);
        if (rc == 0 && c)
            c->meetings_added++;
        return rc;
    }
    if (rc)
        return rc;
    /* first_start is derived from the races; compare the rest */
    if (!strcmp(old.name, in->name) && !strcmp(old.country, in->country) &&
        !strcmp(old.region, in->region) && old.type == in->type && !strcmp(old.date, in->date))
        return 0;
    m.id = old.id;
    m.first_start = old.first_start;
    if ((rc = update(tx, d, DQ_MEET_UPDATE, &odz_row_meeting, &m, err)))
        return rc;
    if (c)
        c->meetings_updated++;
    return 0;
}

/* ---- races ---- */

static int first_start(odz_drv_tx *tx, odz_drv *d, int64_t meeting_id, char *err)
{
    args a = {0};
    arg_i64(&a, meeting_id);
    return d->ops->exec(tx, DQ_MEET_FIRST_START, a.v, a.n, NULL, NULL, err);
}

/* Insert r (its meeting_id set) with last_update = now; sets r->id. */
static int insert_race(odz_drv_tx *tx, odz_drv *d, odz_race *r, int64_t now, char *err)
{
    int rc = odz_store__validate_race(r, err);
    if (rc)
        return rc;
    r->last_update = now;
    rc = insert(tx, d, DQ_RACE_INSERT, &odz_row_race, r, err);
    if (rc == ODZ_ENOTFOUND)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown meeting %lld",
                        (long long)r->meeting_id);
    return rc ? rc : first_start(tx, d, r->meeting_id, err);
}

static int m_add_race(odz_store *s, odz_race *r, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    int rc = odz_store__validate_race(r, err);
    if (rc || (rc = d->ops->begin(d, true, &tx, err)))
        return rc;
    return d->ops->end(tx, insert_race(tx, d, r, r->last_update, err), err);
}

/* Write `r` over the stored race `old` (same id) when anything changed. */
static int write_race(odz_drv_tx *tx, odz_drv *d, const odz_race *old, const odz_race *r,
                      int64_t now, odz_changes *c, char *err)
{
    if (odz_store__same_race(old, r))
        return 0;
    odz_race *w = malloc(sizeof *w);
    if (!w)
        return oom(err);
    *w = *r;
    w->id = old->id;
    odz_strlcpy(w->source_key, old->source_key, sizeof w->source_key);
    w->meeting_id = old->meeting_id;
    w->last_update = now;
    int rc = update(tx, d, DQ_RACE_UPDATE, &odz_row_race, w, err);
    free(w);
    if (rc == 0 && old->scheduled_start != r->scheduled_start)
        rc = first_start(tx, d, old->meeting_id, err);
    if (rc == 0 && c) {
        c->races_updated++;
        rc = note_race(c, old->id, err);
    }
    return rc;
}

/* What a source says over what is stored: a backward status keeps the stored one (counted),
 * results and dividends once known are not dropped by a source that omits them. */
static void merge_race(const odz_race *old, odz_race *r, odz_changes *c)
{
    if (odz_status_transition(old->status, r->status, NULL, 0)) {
        r->status = old->status; /* source glitch: keep what we know */
        if (c)
            c->status_refused++;
    }
    if (r->n_results == 0 && old->n_results > 0 && r->status != ODZ_ABANDONED) {
        r->n_results = old->n_results;
        memcpy(r->results, old->results, sizeof r->results);
    }
    if (r->n_dividends == 0 && old->n_dividends > 0) {
        r->n_dividends = old->n_dividends;
        memcpy(r->dividends, old->dividends, sizeof r->dividends);
    }
}

/* `work` holds two races of scratch space. */
static int upsert_race(odz_drv_tx *tx, odz_drv *d, const odz_batch_race *br, int64_t now,
                       odz_changes *c, odz_race *work, char *err)
{
    odz_race *old = &work[0], *r = &work[1];
    odz_meeting m;
    int rc = get(tx, d, DQ_MEET_BY_KEY, &odz_row_meeting, 0, br->meeting_key, &m, "meeting",
                 err);
    if (rc)
        return rc;
    rc = get(tx, d, DQ_RACE_BY_KEY, &odz_row_race, 0, br->race.source_key, old, "race", err);
    *r = br->race;
    r->meeting_id = m.id;
    if (rc == ODZ_ENOTFOUND) {
        rc = insert_race(tx, d, r, now, err);
        if (rc == 0 && c) {
            c->races_added++;
            rc = note_race(c, r->id, err);
        }
        return rc;
    }
    if (rc)
        return rc;
    if (old->meeting_id != m.id)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "race '%s' belongs to another meeting",
                        br->race.source_key);
    if ((rc = odz_store__validate_race(r, err)))
        return rc;
    merge_race(old, r, c);
    return write_race(tx, d, old, r, now, c, err);
}

/* ---- selections ---- */

/* Insert or update one selection of race `race_id` by source key. A scratching is final: a
 * source that forgets it does not un-scratch the runner. */
static int upsert_selection(odz_drv_tx *tx, odz_drv *d, int64_t race_id, const odz_selection *in,
                            odz_changes *c, char *err)
{
    int rc = odz_store__validate_selection(in, err);
    if (rc)
        return rc;
    odz_selection old, x = *in;
    x.race_id = race_id;
    rc = get(tx, d, DQ_SEL_BY_KEY, &odz_row_selection, 0, in->source_key, &old, "selection",
             err);
    if (rc == ODZ_ENOTFOUND) {
        if ((rc = insert(tx, d, DQ_SEL_INSERT, &odz_row_selection, &x, err)))
            return rc;
        if (c) {
            c->selections_added++;
            c->scratchings += in->scratched;
        }
        return note_race(c, race_id, err);
    }
    if (rc)
        return rc;
    if (old.race_id != race_id)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "selection '%s' belongs to another race",
                        in->source_key);
    x.id = old.id;
    if (old.scratched && !in->scratched) {
        x.scratched = true;
        x.late_scratched = old.late_scratched;
        x.scratch_time = old.scratch_time;
        x.deduction = old.deduction;
    }
    if (odz_store__same_selection(&old, &x))
        return 0;
    if ((rc = update(tx, d, DQ_SEL_UPDATE, &odz_row_selection, &x, err)))
        return rc;
    if (c) {
        c->selections_updated++;
        c->scratchings += x.scratched && !old.scratched;
    }
    return note_race(c, race_id, err);
}

static int m_update_race(odz_store *s, const odz_race *r, const odz_selections *sels,
                         int64_t now, odz_changes *c, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    int rc = odz_store__validate_race(r, err);
    if (rc)
        return rc;
    odz_race *old = malloc(sizeof *old);
    if (!old)
        return oom(err);
    if ((rc = d->ops->begin(d, true, &tx, err)))
        goto out;
    rc = get(tx, d, DQ_RACE_GET, &odz_row_race, r->id, NULL, old, "race", err);
    if (rc == 0)
        rc = odz_status_transition(old->status, r->status, err, ODZ_ERRLEN);
    if (rc == 0)
        rc = write_race(tx, d, old, r, now, c, err);
    for (size_t i = 0; rc == 0 && sels && i < sels->n; i++)
        rc = upsert_selection(tx, d, old->id, &sels->v[i], c, err);
    rc = d->ops->end(tx, rc, err);
out:
    free(old);
    return rc;
}

static int m_scratch(odz_store *s, int64_t selection_id, int64_t when, int deduction, bool late,
                     int64_t now, odz_changes *c, char *err)
{
    (void)now;
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    odz_selection x;
    int rc = d->ops->begin(d, true, &tx, err);
    if (rc)
        return rc;
    rc = get(tx, d, DQ_SEL_GET, &odz_row_selection, selection_id, NULL, &x, "selection", err);
    if (rc == 0 && !x.scratched) { /* scratching twice changes nothing */
        x.scratched = true;
        x.late_scratched = late;
        x.scratch_time = when;
        x.deduction = deduction;
        rc = update(tx, d, DQ_SEL_UPDATE, &odz_row_selection, &x, err);
        if (rc == 0 && c) {
            c->scratchings++;
            c->selections_updated++;
            rc = note_race(c, x.race_id, err);
        }
    }
    return d->ops->end(tx, rc, err);
}

/* ---- exchange books ---- */

/* The stored book of (selection, provider) into *out; *found 0 when there is none. */
static int book_get(odz_drv_tx *tx, odz_drv *d, int64_t selection_id, const char *provider,
                    odz_exbook *out, int *found, char *err)
{
    args a = {0};
    arg_i64(&a, selection_id);
    arg_text(&a, provider);
    one_ctx o = {&odz_row_book, out, 0};
    int rc = d->ops->query(tx, DQ_BOOK_GET, a.v, a.n, one_row, &o, err);
    *found = rc == 0 && o.found;
    return rc;
}

/* Write the book of selection `sel` (stored) when it differs from the stored one of its
 * provider and is not older than it; a written book goes to the change set. */
static int upsert_book(odz_drv_tx *tx, odz_drv *d, const odz_exbook *in,
                       const odz_selection *sel, int64_t now, odz_changes *c, char *err)
{
    char why[ODZ_ERRLEN];
    if (!in->provider[0])
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "book of '%s' needs a provider",
                        sel->source_key);
    if (odz_exchange_book_check(&in->book, why, sizeof why))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "book of '%s': %s", sel->source_key, why);
    odz_exbook old, b = *in;
    b.selection_id = sel->id;
    if (!b.ts)
        b.ts = now;
    int found, rc = book_get(tx, d, b.selection_id, b.provider, &old, &found, err);
    if (rc || (found && (old.ts > b.ts || odz_exchange_book_same(&old.book, &b.book))))
        return rc; /* an older state, or nothing new */
    args a = {0};
    if ((rc = args_row(&a, &odz_row_book, &b, 0, err)) ||
        (rc = d->ops->exec(tx, DQ_BOOK_PUT, a.v, a.n, NULL, NULL, err)) || !c)
        return rc;
    c->books_written++;
    odz_exbook_change bc = {b, sel->race_id, sel->number};
    return odz_changes_add_exbook(c, &bc) ? oom(err) : 0;
}

/* Cents offered at price p of an exchange market: the size of the best level of its side in
 * the stored book of (selection, provider) when that level is at p's odds; -1 otherwise. */
static int exchange_size(odz_drv_tx *tx, odz_drv *d, const odz_price *p, int64_t *size,
                         char *err)
{
    *size = -1;
    if (p->market != ODZ_EXCHANGE_BACK && p->market != ODZ_EXCHANGE_LAY)
        return 0;
    odz_exbook b;
    int found, rc = book_get(tx, d, p->selection_id, p->provider, &b, &found, err);
    const odz_exchange_offer *best =
        p->market == ODZ_EXCHANGE_BACK ? &b.book.back[0] : &b.book.lay[0];
    if (rc == 0 && found && best->odds == p->odds)
        *size = best->size;
    return rc;
}

/* ---- prices ---- */

typedef struct {
    int found;
    int odds;
    int64_t ts;
} latest_point;

static int latest_row(void *ctx, const char *const *vals, int n)
{
    latest_point *l = ctx;
    if (n != 2)
        return ODZ_EINVAL;
    l->found = 1;
    l->odds = (int)num(vals[0]);
    l->ts = num(vals[1]);
    return 0;
}

/* Append unless it repeats the latest point of its (selection, provider, market); a price
 * without a provider is our own. `sel` is the stored selection (for the change record). */
static int insert_price(odz_drv_tx *tx, odz_drv *d, const odz_price *in, const odz_selection *sel,
                        odz_changes *c, char *err)
{
    if (in->odds < 100 || in->odds > 10000000)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "odds %d out of range", in->odds);
    if ((unsigned)in->market >= ODZ_MARKETS)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown market");
    odz_price p = *in;
    if (!p.provider[0])
        odz_strlcpy(p.provider, DEFAULT_PROVIDER, sizeof p.provider);
    args a = {0};
    arg_i64(&a, p.selection_id);
    arg_text(&a, p.provider);
    arg_i64(&a, p.market);
    latest_point l = {0};
    int rc = d->ops->query(tx, DQ_PRICE_LATEST_ONE, a.v, a.n, latest_row, &l, err);
    if (rc)
        return rc;
    if (l.found && l.odds == p.odds && l.ts <= p.ts)
        return 0;
    /* a point older than the latest (a source's history) is stored but is not a change */
    int older = l.found && p.ts < l.ts;
    args b = {0};
    if ((rc = args_row(&b, &odz_row_price, &p, 0, err)))
        return rc;
    int64_t added = 0;
    rc = d->ops->exec(tx, DQ_PRICE_INSERT, b.v, b.n, NULL, &added, err);
    if (rc == ODZ_ENOTFOUND)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown selection %lld",
                        (long long)p.selection_id);
    if (rc || !c || added <= 0)
        return rc;
    c->prices_added++;
    if (older)
        return 0;
    odz_price_change pc = {p, l.found ? l.odds : 0, sel->race_id, sel->number, -1};
    if ((rc = exchange_size(tx, d, &p, &pc.size, err)))
        return rc;
    return odz_changes_add_price(c, &pc) ? oom(err) : 0;
}

static int m_append_price(odz_store *s, const odz_price *p, odz_changes *c, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    odz_selection x;
    int rc = d->ops->begin(d, true, &tx, err);
    if (rc)
        return rc;
    rc = get(tx, d, DQ_SEL_GET, &odz_row_selection, p->selection_id, NULL, &x, "selection", err);
    if (rc == 0)
        rc = insert_price(tx, d, p, &x, c, err);
    return d->ops->end(tx, rc, err);
}

/* ---- the batch ---- */

static int upsert_all(odz_drv_tx *tx, odz_drv *d, const odz_batch *b, int64_t now,
                      odz_changes *c, odz_race *work, char *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->n_meetings; i++)
        rc = upsert_meeting(tx, d, &b->meetings[i], c, err);
    for (size_t i = 0; rc == 0 && i < b->n_races; i++)
        rc = upsert_race(tx, d, &b->races[i], now, c, work, err);
    for (size_t i = 0; rc == 0 && i < b->n_selections; i++) {
        rc = get(tx, d, DQ_RACE_BY_KEY, &odz_row_race, 0, b->selections[i].race_key, work,
                 "race", err);
        if (rc == 0)
            rc = upsert_selection(tx, d, work->id, &b->selections[i].sel, c, err);
    }
    /* books before prices: an exchange price change carries its book's size */
    for (size_t i = 0; rc == 0 && i < b->n_books; i++) {
        odz_selection x;
        rc = get(tx, d, DQ_SEL_BY_KEY, &odz_row_selection, 0, b->books[i].selection_key, &x,
                 "selection", err);
        if (rc == 0)
            rc = upsert_book(tx, d, &b->books[i].book, &x, now, c, err);
    }
    for (size_t i = 0; rc == 0 && i < b->n_prices; i++) {
        odz_selection x;
        odz_price p = b->prices[i].price;
        if (p.odds == 0)
            continue;
        rc = get(tx, d, DQ_SEL_BY_KEY, &odz_row_selection, 0, b->prices[i].selection_key, &x,
                 "selection", err);
        if (rc == 0) {
            p.selection_id = x.id;
            if (!p.ts)
                p.ts = now;
            rc = insert_price(tx, d, &p, &x, c, err);
        }
    }
    return rc;
}

static int m_upsert_batch(odz_store *s, const odz_batch *b, int64_t now, odz_changes *c,
                          char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    odz_race *work = malloc(2 * sizeof *work);
    if (!work)
        return oom(err);
    int rc = d->ops->begin(d, true, &tx, err);
    if (rc == 0)
        rc = d->ops->end(tx, upsert_all(tx, d, b, now, c, work, err), err);
    free(work);
    return rc;
}

/* ---- the store ---- */

static int m_schema_version(odz_store *s)
{
    return DRV(s)->ops->schema_version(DRV(s));
}

static void m_close(odz_store *s)
{
    if (!s)
        return;
    DRV(s)->ops->close(DRV(s));
    free(s);
}

static const odz_store_ops merge_ops = {
    .close = m_close,
    .list_meetings = m_list_meetings,
    .list_races = m_list_races,
    .list_meeting_races = m_list_meeting_races,
    .add_meeting = m_add_meeting,
    .get_meeting = m_get_meeting,
    .add_race = m_add_race,
    .update_race = m_update_race,
    .next_race = m_next_race,
    .next_races = m_next_races,
    .get_race = m_get_race,
    .list_selections = m_list_selections,
    .upsert_batch = m_upsert_batch,
    .append_price = m_append_price,
    .latest_prices = m_latest_prices,
    .race_books = m_race_books,
    .price_history = m_price_history,
    .scratch = m_scratch,
    .schema_version = m_schema_version,
};

odz_store *odz_store__over(odz_drv *d, char *err)
{
    merge_store *s = calloc(1, sizeof *s);
    if (!s) {
        d->ops->close(d);
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    s->ops = merge_ops;
    s->ops.name = d->ops->name;
    s->drv = d;
    s->base.ops = &s->ops;
    return &s->base;
}

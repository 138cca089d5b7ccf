/* The store's rows as data (the column lists every driver reads and writes) and the verbs the
 * rules use over any driver: get by id or key, list, insert, update. Internal to src/store. */
#include "store/rows.h"
#include "core/err.h"
#include "core/json.h"
#include "store/rules.h"

#include <stdlib.h>
#include <string.h>

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
    [DQ_EPOCH_BUMP] = "write epoch",
    [DQ_RACE_RETIRE] = "retire race",
    [DQ_RACE_MERGED] = "race merged into",
    [DQ_PRICE_COPY] = "copy price history",
    [DQ_BOOK_COPY] = "copy exchange books",
};

/* ---- rows as data ---- */

#define COL(t, type_, f)                                                                           \
    {                                                                                              \
        type_, offsetof(t, f), sizeof(((t *)0)->f)                                                 \
    }
static const odz_col meeting_cols[] = {
    COL(odz_meeting, ODZ_COL_I64, id),      COL(odz_meeting, ODZ_COL_TEXT, source_key),
    COL(odz_meeting, ODZ_COL_TEXT, name),   COL(odz_meeting, ODZ_COL_TEXT, country),
    COL(odz_meeting, ODZ_COL_TEXT, region), COL(odz_meeting, ODZ_COL_INT, type),
    COL(odz_meeting, ODZ_COL_TEXT, date),   COL(odz_meeting, ODZ_COL_I64, first_start),
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
    COL(odz_selection, ODZ_COL_I64, id),           COL(odz_selection, ODZ_COL_TEXT, source_key),
    COL(odz_selection, ODZ_COL_I64, race_id),      COL(odz_selection, ODZ_COL_INT, number),
    COL(odz_selection, ODZ_COL_INT, barrier),      COL(odz_selection, ODZ_COL_TEXT, name),
    COL(odz_selection, ODZ_COL_TEXT, jockey),      COL(odz_selection, ODZ_COL_TEXT, trainer),
    COL(odz_selection, ODZ_COL_INT, weight),       COL(odz_selection, ODZ_COL_INT, claim),
    COL(odz_selection, ODZ_COL_BOOL, scratched),   COL(odz_selection, ODZ_COL_BOOL, late_scratched),
    COL(odz_selection, ODZ_COL_I64, scratch_time), COL(odz_selection, ODZ_COL_INT, deduction),
    COL(odz_selection, ODZ_COL_BOOL, emergency),   COL(odz_selection, ODZ_COL_TEXT, silks),
};
static const odz_col price_cols[] = {
    COL(odz_price, ODZ_COL_I64, selection_id), COL(odz_price, ODZ_COL_TEXT, provider),
    COL(odz_price, ODZ_COL_INT, market),       COL(odz_price, ODZ_COL_INT, odds),
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
#define DESC(t, c)                                                                                 \
    {                                                                                              \
        c, (int)(sizeof c / sizeof c[0]), sizeof(t)                                                \
    }
const odz_row_desc odz_row_meeting = DESC(odz_meeting, meeting_cols);
const odz_row_desc odz_row_race = DESC(odz_race, race_cols);
const odz_row_desc odz_row_selection = DESC(odz_selection, selection_cols);
const odz_row_desc odz_row_price = DESC(odz_price, price_cols);
const odz_row_desc odz_row_book = DESC(odz_exbook, book_cols);

int64_t odz_store__num(const char *v)
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
        case ODZ_COL_I64:
            *(int64_t *)f = odz_store__num(v);
            break;
        case ODZ_COL_INT:
            *(int *)f = (int)odz_store__num(v);
            break;
        case ODZ_COL_BOOL:
            *(bool *)f = v[0] == 't' || v[0] == '1';
            break;
        case ODZ_COL_TEXT:
            odz_strlcpy(f, v, c->len);
            break;
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

void odz_store__arg_i64(odz_store__args *a, int64_t x)
{
    if (a->n < ODZ_DRV_MAX_ARGS)
        a->v[a->n++] = (odz_arg){.type = ODZ_ARG_I64, .i = x};
}

void odz_store__arg_text(odz_store__args *a, const char *s)
{
    if (a->n < ODZ_DRV_MAX_ARGS)
        a->v[a->n++] = (odz_arg){.type = ODZ_ARG_TEXT, .s = s ? s : ""};
}

void odz_store__args_free(odz_store__args *a)
{
    free(a->json[0]);
    free(a->json[1]);
}

int odz_store__args_row(odz_store__args *a, const odz_row_desc *d, const void *row, int from,
                        char *err)
{
    for (int i = from; i < d->n; i++) {
        const odz_col *c = &d->cols[i];
        const char *f = (const char *)row + c->off;
        switch (c->type) {
        case ODZ_COL_I64:
            odz_store__arg_i64(a, *(const int64_t *)f);
            break;
        case ODZ_COL_INT:
            odz_store__arg_i64(a, *(const int *)f);
            break;
        case ODZ_COL_BOOL:
            if (a->n < ODZ_DRV_MAX_ARGS)
                a->v[a->n++] = (odz_arg){.type = ODZ_ARG_BOOL, .i = *(const bool *)f};
            break;
        case ODZ_COL_TEXT:
            odz_store__arg_text(a, f);
            break;
        case ODZ_COL_RESULTS:
        case ODZ_COL_DIVIDENDS:
            if (!a->json[0] && odz_store__race_json(row, &a->json[0], &a->json[1]))
                return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
            odz_store__arg_text(a, a->json[c->type == ODZ_COL_DIVIDENDS]);
            break;
        }
    }
    return 0;
}

/* ---- the driver's verbs: get by id or key, list, insert, update ---- */

int odz_store__one_row(void *ctx, const char *const *vals, int n)
{
    odz_store__one *o = ctx;
    if (o->found++)
        return 0;
    return odz_store__row_decode(o->d, o->out, vals, n);
}

/* One row by id (key NULL) or by source key; ODZ_ENOTFOUND "unknown <what> ..." when none. */
int odz_store__get(odz_drv_tx *tx, odz_drv *d, int q, const odz_row_desc *rd, int64_t id,
                   const char *key, void *out, const char *what, char *err)
{
    odz_store__args a = {0};
    if (key)
        odz_store__arg_text(&a, key);
    else
        odz_store__arg_i64(&a, id);
    odz_store__one o = {rd, out, 0};
    int rc = d->ops->query(tx, q, a.v, a.n, odz_store__one_row, &o, err);
    if (rc)
        return rc;
    if (o.found)
        return 0;
    if (key)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown %s '%s'", what, key);
    return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown %s %lld", what, (long long)id);
}

/* The model's array pushes, one signature. */
static int push_meeting(void *a, const void *r)
{
    return odz_meetings_push(a, r);
}
static int push_race(void *a, const void *r)
{
    return odz_races_push(a, r);
}
static int push_selection(void *a, const void *r)
{
    return odz_selections_push(a, r);
}
static int push_price(void *a, const void *r)
{
    return odz_prices_push(a, r);
}
static int push_book(void *a, const void *r)
{
    return odz_exbooks_push(a, r);
}

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

int odz_store__list(odz_drv_tx *tx, odz_drv *d, int q, const odz_store__args *a,
                    const odz_row_desc *rd, void *out, const char *what, char *err)
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
int odz_store__insert(odz_drv_tx *tx, odz_drv *d, int q, const odz_row_desc *rd, void *row,
                      char *err)
{
    odz_store__args a = {0};
    int rc = odz_store__args_row(&a, rd, row, 1, err);
    if (rc == 0)
        rc = d->ops->exec(tx, q, a.v, a.n, (int64_t *)row, NULL, err);
    odz_store__args_free(&a);
    return rc;
}

/* UPDATE a row by its id: every column. */
int odz_store__update(odz_drv_tx *tx, odz_drv *d, int q, const odz_row_desc *rd, const void *row,
                      char *err)
{
    odz_store__args a = {0};
    odz_store__arg_i64(&a, *(const int64_t *)row);
    int rc = odz_store__args_row(&a, rd, row, 1, err);
    if (rc == 0)
        rc = d->ops->exec(tx, q, a.v, a.n, NULL, NULL, err);
    odz_store__args_free(&a);
    return rc;
}

int odz_store__oom(char *err)
{
    return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
}

int odz_store__note_race(odz_changes *c, int64_t race_id, char *err)
{
    return c && odz_changes_add_race(c, race_id) ? odz_store__oom(err) : 0;
}

int odz_store__first_start(odz_drv_tx *tx, odz_drv *d, int64_t meeting_id, char *err)
{
    odz_store__args a = {0};
    odz_store__arg_i64(&a, meeting_id);
    return d->ops->exec(tx, DQ_MEET_FIRST_START, a.v, a.n, NULL, NULL, err);
}

/* The upsert_batch request body: a scrape's meetings, races, selections, prices and exchange
 * books by key. */
#include "racing/racing.h"
#include "core/err.h"
#include "core/json.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 500000

json_t *odz_batch_to_json(const odz_batch *b)
{
    json_t *j = json_object(), *a;
    if (!j)
        return NULL;
    json_object_set_new(j, "meetings", a = json_array());
    for (size_t i = 0; i < b->n_meetings; i++)
        json_array_append_new(a, odz_meeting_to_json(&b->meetings[i]));
    json_object_set_new(j, "races", a = json_array());
    for (size_t i = 0; i < b->n_races; i++)
        json_array_append_new(a, json_pack("{s:s,s:o}", "meeting_key", b->races[i].meeting_key,
                                           "race", odz_race_to_json(&b->races[i].race)));
    json_object_set_new(j, "selections", a = json_array());
    for (size_t i = 0; i < b->n_selections; i++)
        json_array_append_new(a, json_pack("{s:s,s:o}", "race_key", b->selections[i].race_key,
                                           "selection",
                                           odz_selection_to_json(&b->selections[i].sel)));
    json_object_set_new(j, "prices", a = json_array());
    for (size_t i = 0; i < b->n_prices; i++) {
        /* selection_id is resolved from the key on the service side */
        const odz_price *p = &b->prices[i].price;
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:i,s:I}", "selection_key",
                                           b->prices[i].selection_key, "provider", p->provider,
                                           "market", odz_market_name(p->market), "odds", p->odds,
                                           "ts", (json_int_t)p->ts));
    }
    json_object_set_new(j, "books", a = json_array());
    for (size_t i = 0; i < b->n_books; i++) {
        /* selection_id too is resolved from the key */
        odz_exbook x = b->books[i].book;
        x.selection_id = 0;
        json_t *o = odz_exbook_to_json(&x);
        if (o)
            json_object_set_new(o, "selection_key", json_string(b->books[i].selection_key));
        json_array_append_new(a, o);
    }
    return j;
}

void odz_batch_owned_free(odz_batch_owned *b)
{
    free(b->meetings);
    free(b->races);
    free(b->selections);
    free(b->prices);
    free(b->books);
    free(b->keys);
    memset(b, 0, sizeof *b);
}

static const json_t *array_of(const json_t *j, const char *k, size_t max, size_t *n, char *err,
                              size_t errlen, int *rc)
{
    json_t *a = json_object_get(j, k);
    *n = 0;
    if (!a || json_is_null(a))
        return NULL;
    if (!json_is_array(a) || json_array_size(a) > max) {
        *rc = odz_fail(err, errlen, ODZ_EINVAL, "'%s' must be an array of at most %zu items", k,
                       max);
        return NULL;
    }
    *n = json_array_size(a);
    return a;
}

/* Copy key text of item i (field k) into the key block; returns the copy or NULL. */
static const char *take_key(const json_t *item, const char *k, char **cursor, char *end)
{
    json_t *v = json_object_get(item, k);
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) >= ODZ_KEY_MAX)
        return NULL;
    size_t len = json_string_length(v) + 1;
    if (*cursor + len > end)
        return NULL;
    char *dst = *cursor;
    memcpy(dst, json_string_value(v), len);
    *cursor += len;
    return dst;
}

/* Item i's key (field k) copied into the key block, or ODZ_EINVAL "race 3 needs a
 * meeting_key" when it is missing, empty, too long or past the block. */
static int need_key(const json_t *item, const char *what, size_t i, const char *k, const char **key,
                    char **cursor, char *end, char *err, size_t errlen)
{
    *key = take_key(item, k, cursor, end);
    return *key ? 0 : odz_fail(err, errlen, ODZ_EINVAL, "%s %zu needs a %s", what, i, k);
}

int odz_batch_from_json(const json_t *j, odz_batch_owned *out, char *err, size_t errlen)
{
    int rc = 0;
    size_t nm, nr, ns, np, nb, i;
    const json_t *v;
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return odz_fail(err, errlen, ODZ_EINVAL, "batch must be a JSON object");
    const json_t *am = array_of(j, "meetings", MAX_ITEMS, &nm, err, errlen, &rc);
    const json_t *ar = array_of(j, "races", MAX_ITEMS, &nr, err, errlen, &rc);
    const json_t *as = array_of(j, "selections", MAX_ITEMS, &ns, err, errlen, &rc);
    const json_t *ap = array_of(j, "prices", MAX_ITEMS, &np, err, errlen, &rc);
    const json_t *ab = array_of(j, "books", ODZ_BATCH_MAX_BOOKS, &nb, err, errlen, &rc);
    if (rc)
        return rc;
    size_t nkeys = nr + ns + np + nb;
    out->meetings = calloc(nm ? nm : 1, sizeof *out->meetings);
    out->races = calloc(nr ? nr : 1, sizeof *out->races);
    out->selections = calloc(ns ? ns : 1, sizeof *out->selections);
    out->prices = calloc(np ? np : 1, sizeof *out->prices);
    out->books = calloc(nb ? nb : 1, sizeof *out->books);
    out->keys = malloc(nkeys * ODZ_KEY_MAX + 1);
    if (!out->meetings || !out->races || !out->selections || !out->prices || !out->books ||
        !out->keys) {
        rc = odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        goto fail;
    }
    char *cur = out->keys, *end = out->keys + nkeys * ODZ_KEY_MAX + 1;
    json_array_foreach(am, i, v)
    {
        if ((rc = odz_meeting_from_json(v, &out->meetings[i], err, errlen)))
            goto fail;
    }
    json_array_foreach(ar, i, v)
    {
        if ((rc = need_key(v, "race", i, "meeting_key", &out->races[i].meeting_key, &cur, end, err,
                           errlen)) ||
            (rc = odz_race_from_json(json_object_get(v, "race"), &out->races[i].race, err, errlen)))
            goto fail;
    }
    json_array_foreach(as, i, v)
    {
        if ((rc = need_key(v, "selection", i, "race_key", &out->selections[i].race_key, &cur, end,
                           err, errlen)) ||
            (rc = odz_selection_from_json(json_object_get(v, "selection"), &out->selections[i].sel,
                                          err, errlen)))
            goto fail;
    }
    json_array_foreach(ap, i, v)
    {
        if ((rc = need_key(v, "price", i, "selection_key", &out->prices[i].selection_key, &cur, end,
                           err, errlen)))
            goto fail;
        /* selection_id is not known to the sender: decode with a placeholder */
        json_t *tmp = json_deep_copy(v);
        if (!tmp) {
            rc = odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
            goto fail;
        }
        json_object_set_new(tmp, "selection_id", json_integer(1));
        rc = odz_price_from_json(tmp, &out->prices[i].price, err, errlen);
        json_decref(tmp);
        if (rc)
            goto fail;
        out->prices[i].price.selection_id = 0;
    }
    json_array_foreach(ab, i, v)
    {
        if ((rc = need_key(v, "book", i, "selection_key", &out->books[i].selection_key, &cur, end,
                           err, errlen)))
            goto fail;
        char why[ODZ_ERRLEN];
        if (odz_exbook_from_json(v, &out->books[i].book, why, sizeof why)) {
            rc = odz_fail(err, errlen, ODZ_EINVAL, "book %zu: %s", i, why);
            goto fail;
        }
        out->books[i].book.selection_id = 0;
    }
    out->batch = (odz_batch){out->meetings, nm, out->races,  nr, out->selections, ns,
                             out->prices,   np, out->books, nb};
    return 0;
fail:
    odz_batch_owned_free(out);
    return rc;
}

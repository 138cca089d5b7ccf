/* libFuzzer target: odz_batch_from_json, the racing service's decoding of an upsert_batch
 * request body (what arrives over NATS from a scraper), on any bytes, as on_request reads
 * them. A batch that decodes has usable keys and well-formed exchange books, and encodes and
 * decodes again to the same. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "racing/racing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_key(const char *k)
{
    if (!k || !*k || strnlen(k, ODZ_KEY_MAX) >= ODZ_KEY_MAX)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[ODZ_ERRLEN];
    json_t *j = odz_json_loadb((const char *)data, size, ODZ_RACING_MAX_BODY, err, sizeof err);
    if (!j)
        return 0;
    odz_batch_owned b, again;
    if (odz_batch_from_json(j, &b, err, sizeof err) == 0) {
        const odz_batch *x = &b.batch;
        for (size_t i = 0; i < x->n_races; i++)
            check_key(x->races[i].meeting_key);
        for (size_t i = 0; i < x->n_selections; i++)
            check_key(x->selections[i].race_key);
        for (size_t i = 0; i < x->n_prices; i++)
            check_key(x->prices[i].selection_key);
        /* a decoded book is well formed, as the store requires */
        for (size_t i = 0; i < x->n_books; i++) {
            check_key(x->books[i].selection_key);
            if (odz_exchange_book_check(&x->books[i].book.book, NULL, 0) ||
                !x->books[i].book.provider[0])
                __builtin_trap();
        }
        /* what the scraper would send for this batch decodes to the same batch */
        json_t *enc = odz_batch_to_json(x);
        if (!enc || odz_batch_from_json(enc, &again, err, sizeof err) != 0)
            __builtin_trap();
        const odz_batch *y = &again.batch;
        if (y->n_meetings != x->n_meetings || y->n_races != x->n_races ||
            y->n_selections != x->n_selections || y->n_prices != x->n_prices ||
            y->n_books != x->n_books)
            __builtin_trap();
        for (size_t i = 0; i < x->n_books; i++)
            if (strcmp(x->books[i].selection_key, y->books[i].selection_key) ||
                strcmp(x->books[i].book.provider, y->books[i].book.provider) ||
                !odz_exchange_book_same(&x->books[i].book.book, &y->books[i].book.book) ||
                x->books[i].book.ts != y->books[i].book.ts)
                __builtin_trap();
        for (size_t i = 0; i < x->n_prices; i++)
            if (strcmp(x->prices[i].selection_key, y->prices[i].selection_key) ||
                x->prices[i].price.odds != y->prices[i].price.odds ||
                x->prices[i].price.ts != y->prices[i].price.ts ||
                x->prices[i].price.market != y->prices[i].price.market)
                __builtin_trap();
        for (size_t i = 0; i < x->n_races; i++)
            if (strcmp(x->races[i].meeting_key, y->races[i].meeting_key) ||
                strcmp(x->races[i].race.source_key, y->races[i].race.source_key) ||
                x->races[i].race.scheduled_start != y->races[i].race.scheduled_start ||
                x->races[i].race.status != y->races[i].race.status)
                __builtin_trap();
        for (size_t i = 0; i < x->n_meetings; i++)
            if (strcmp(x->meetings[i].source_key, y->meetings[i].source_key) ||
                strcmp(x->meetings[i].date, y->meetings[i].date))
                __builtin_trap();
        json_decref(enc);
        odz_batch_owned_free(&again);
        odz_batch_owned_free(&b);
    }
    json_decref(j);
    return 0;
}

/* The change set a store write fills (core/batch.h). */
#include "core/batch.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

void odz_changes_free(odz_changes *c)
{
    free(c->prices);
    free(c->books);
    free(c->race_ids);
    memset(c, 0, sizeof *c);
}

/* Room for one more element in *v (n used of *cap, each `size` bytes); doubles from `first`. */
static int grow(void **v, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : first;
    void *p = realloc(*v, want * size);
    if (!p)
        return ODZ_ENOMEM;
    *v = p;
    *cap = want;
    return 0;
}

/* Append *x to the change set's array `f` (`nf` used of `capf`), or return ODZ_ENOMEM. */
#define APPEND(c, f, nf, capf, first, x)                                                           \
    do {                                                                                           \
        void *v_ = (c)->f;                                                                         \
        if (grow(&v_, (c)->nf, &(c)->capf, sizeof *(c)->f, first))                                 \
            return ODZ_ENOMEM;                                                                     \
        (c)->f = v_;                                                                               \
        (c)->f[(c)->nf++] = *(x);                                                                  \
    } while (0)

int odz_changes_add_race(odz_changes *c, int64_t race_id)
{
    for (size_t i = 0; i < c->n_race_ids; i++)
        if (c->race_ids[i] == race_id)
            return 0;
    APPEND(c, race_ids, n_race_ids, cap_race_ids, 16, &race_id);
    return 0;
}

int odz_changes_add_price(odz_changes *c, const odz_price_change *pc)
{
    APPEND(c, prices, n_prices, cap_prices, 32, pc);
    return 0;
}

int odz_changes_add_exbook(odz_changes *c, const odz_exbook_change *bc)
{
    APPEND(c, books, n_books, cap_books, 32, bc);
    return 0;
}

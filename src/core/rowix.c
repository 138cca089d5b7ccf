/* Rows found by their key's hash (rowix.h). */
#include "core/rowix.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

long odz_rowix_find(const odz_rowix *ix, uint64_t h, odz_rowix_is is, const void *rows,
                    const void *key)
{
    if (!ix->cap)
        return -1;
    for (size_t i = h & (ix->cap - 1); ix->slot[i]; i = (i + 1) & (ix->cap - 1))
        if (is(rows, ix->slot[i] - 1, key))
            return (long)ix->slot[i] - 1;
    return -1;
}

void odz_rowix_put(odz_rowix *ix, uint64_t h, size_t row)
{
    size_t i = h & (ix->cap - 1);
    while (ix->slot[i])
        i = (i + 1) & (ix->cap - 1);
    ix->slot[i] = (uint32_t)row + 1;
}

int odz_rowix_reserve(odz_rowix *ix, size_t need, size_t n_rows, odz_rowix_hash hash_of,
                      const void *rows)
{
    if (need * 2 <= ix->cap)
        return 0;
    size_t cap = ix->cap ? ix->cap : 64;
    while (need * 2 > cap)
        cap *= 2;
    uint32_t *v = calloc(cap, sizeof *v);
    if (!v)
        return ODZ_ENOMEM;
    free(ix->slot);
    ix->slot = v;
    ix->cap = cap;
    for (size_t r = 0; r < n_rows; r++)
        odz_rowix_put(ix, hash_of(rows, r), r);
    return 0;
}

void odz_rowix_clear(odz_rowix *ix)
{
    if (ix->cap)
        memset(ix->slot, 0, ix->cap * sizeof *ix->slot);
}

void odz_rowix_free(odz_rowix *ix)
{
    free(ix->slot);
    *ix = (odz_rowix){0};
}

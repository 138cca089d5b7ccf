/* Store selection by URL (the rules of merge.c over the driver the URL names) and the change
 * set shared by every store. */
#include "store/store.h"
#include "store/driver.h"
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
#define APPEND(c, f, nf, capf, first, x)                                                         \
    do {                                                                                         \
        void *v_ = (c)->f;                                                                       \
        if (grow(&v_, (c)->nf, &(c)->capf, sizeof *(c)->f, first))                               \
            return ODZ_ENOMEM;                                                                   \
        (c)->f = v_;                                                                             \
        (c)->f[(c)->nf++] = *(x);                                                                \
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

int odz_store_url_is_postgres(const char *url, char *err)
{
    if (!url || !*url)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "no database given");
    return !strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13);
}

odz_store *odz_store_open(const char *url, char *err)
{
    int pg = odz_store_url_is_postgres(url, err);
    if (pg < 0)
        return NULL;
    if (pg)
        return odz_store_postgres_open(url, err);
    if (!strncmp(url, "sqlite://", 9))
        url += 9;
    return odz_store_sqlite_open(url, err);
}

void *odz_store__new(const char *noun, const char *target, size_t max, size_t size, char *err)
{
    if (!target || !*target || strlen(target) > max) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "%s is empty or too long", noun);
        return NULL;
    }
    void *p = calloc(1, size);
    if (!p)
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    return p;
}

odz_store *odz_store_sqlite_open(const char *path, char *err)
{
    odz_drv *d = odz_drv_sqlite_open(path, err);
    return d ? odz_store__over(d, err) : NULL;
}

odz_store *odz_store_postgres_open(const char *url, char *err)
{
    odz_drv *d = odz_drv_postgres_open(url, err);
    return d ? odz_store__over(d, err) : NULL;
}

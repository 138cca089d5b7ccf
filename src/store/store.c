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

int odz_changes_add_race(odz_changes *c, int64_t race_id)
{
    for (size_t i = 0; i < c->n_race_ids; i++)
        if (c->race_ids[i] == race_id)
            return 0;
    void *v = c->race_ids;
    if (grow(&v, c->n_race_ids, &c->cap_race_ids, sizeof *c->race_ids, 16))
        return ODZ_ENOMEM;
    c->race_ids = v;
    c->race_ids[c->n_race_ids++] = race_id;
    return 0;
}

int odz_changes_add_price(odz_changes *c, const odz_price_change *pc)
{
    void *v = c->prices;
    if (grow(&v, c->n_prices, &c->cap_prices, sizeof *c->prices, 32))
        return ODZ_ENOMEM;
    c->prices = v;
    c->prices[c->n_prices++] = *pc;
    return 0;
}

int odz_changes_add_exbook(odz_changes *c, const odz_exbook_change *bc)
{
    void *v = c->books;
    if (grow(&v, c->n_books, &c->cap_books, sizeof *c->books, 32))
        return ODZ_ENOMEM;
    c->books = v;
    c->books[c->n_books++] = *bc;
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

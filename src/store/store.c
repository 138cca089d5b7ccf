/* Store selection by URL (the rules of merge.c over the driver the URL names). */
#include "store/store.h"
#include "store/driver.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

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

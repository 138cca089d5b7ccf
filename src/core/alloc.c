/* Allocation that says why it failed; see core/alloc.h. */
#include "core/alloc.h"
#include "core/err.h"

#include <stdlib.h>

void *odz_zalloc(size_t size, char *err, size_t errlen)
{
    void *p = calloc(1, size);
    if (!p)
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    return p;
}

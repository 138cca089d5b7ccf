/* Sorting an array that may be empty: qsort's first argument must not be NULL even for no
 * elements (glibc declares it nonnull, and UBSan stops on it), and an empty list is often a
 * NULL array here. */
#ifndef ODZ_CORE_SORT_H
#define ODZ_CORE_SORT_H

#include <stdlib.h>

/** qsort(v, n, size, cmp), nothing when there is less than two elements. */
static inline void odz_sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(v, n, size, cmp);
}

#endif

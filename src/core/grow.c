/* Arrays that double; see core/grow.h. */
#include "core/grow.h"

#include <stdint.h>
#include <stdlib.h>

void *odz_grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return v;
    size_t want = *cap ? *cap * 2 : first;
    if (want == 0 || size == 0 || want > SIZE_MAX / size)
        return NULL;
    void *p = realloc(v, want * size);
    if (p)
        *cap = want;
    return p;
}

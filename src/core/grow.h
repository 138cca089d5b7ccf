/* Arrays that double: room for one more element, the one growth rule every append uses. */
#ifndef ODZ_CORE_GROW_H
#define ODZ_CORE_GROW_H

#include <stddef.h>

/** Room for element `n` of array `v` (`*cap` elements of `size` bytes allocated): `v` itself
 *  while n < *cap, else `v` reallocated to twice *cap (`first` when *cap is 0) with *cap
 *  updated. NULL when out of memory, and then `v` and *cap are unchanged (the caller still owns
 *  and frees `v`). */
void *odz_grow(void *v, size_t n, size_t *cap, size_t size, size_t first);

#endif

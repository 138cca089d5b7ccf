/* What grows by doubling: room for one more element of an array, and text appended to a buffer;
 * the one growth rule every append uses. */
#ifndef ODZ_CORE_GROW_H
#define ODZ_CORE_GROW_H

#include <stdbool.h>
#include <stddef.h>

/** Room for element `n` of array `v` (`*cap` elements of `size` bytes allocated): `v` itself
 *  while n < *cap, else `v` reallocated to twice *cap (`first` when *cap is 0) with *cap
 *  updated. NULL when out of memory, and then `v` and *cap are unchanged (the caller still owns
 *  and frees `v`). */
void *odz_grow(void *v, size_t n, size_t *cap, size_t size, size_t first);

/** Room for `need` bytes in buffer `p` (`*cap` bytes allocated): `p` itself while need <= *cap,
 *  else `p` reallocated to the first doubling of *cap (from `first` when *cap is 0) that holds
 *  `need`, with *cap updated. NULL when out of memory, and then `p` and *cap are unchanged (the
 *  caller still owns and frees `p`). */
void *odz_grow_bytes(void *p, size_t need, size_t *cap, size_t first);

/* Text built by appending (a rendered page, a JSON message): s[0..n) is always NUL-terminated
 * once anything was added. Out of memory is sticky: every later append does nothing and `oom`
 * says the text is incomplete. Start from {0}; the owner frees `s`. */
typedef struct {
    char *s;
    size_t n, cap;
    bool oom;
} odz_text;

/** Appends s[0..len). */
void odz_text_put(odz_text *t, const char *s, size_t len);
/** Appends the string s. */
void odz_text_str(odz_text *t, const char *s);

#endif

/* One string hash for the in-memory indexes keyed by text (FNV-1a, 64 bits): a source's rows
 * by key, the store's write cache, the market matching's decisions. Not for anything an
 * outsider chooses to collide on at scale: every index it serves is bounded. */
#ifndef ODZ_CORE_HASH_H
#define ODZ_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define ODZ_HASH_SEED 14695981039346656037u

/** `h` extended by the NUL-terminated text `t` (start with ODZ_HASH_SEED). */
static inline uint64_t odz_hash_text(uint64_t h, const char *t)
{
    for (; *t; t++)
        h = (h ^ (unsigned char)*t) * 1099511628211u;
    return h;
}

/** `h` extended by the `n` bytes at `p`. */
static inline uint64_t odz_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211u;
    return h;
}

#endif

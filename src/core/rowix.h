/* Rows of an array found by their key's hash: one open-addressing table of row numbers (row
 * + 1; 0 marks an empty slot), a power of two at most half full, that the owner of the rows
 * keeps beside them. The rows hold the keys: a lookup walks the slots of a hash and asks the
 * caller whether each row it meets is the one. Used by the scrape (selections, books), the
 * Betfair market cache and the market matching's decisions. Not thread-safe: the owner's lock
 * covers it. */
#ifndef ODZ_CORE_ROWIX_H
#define ODZ_CORE_ROWIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t *slot; /* row + 1; 0 empty */
    size_t cap;     /* 0 (nothing allocated) or a power of two */
} odz_rowix;

/** Whether row `row` of the owner's array (`rows`) holds `key`. */
typedef bool (*odz_rowix_is)(const void *rows, size_t row, const void *key);
/** The hash of row `row`'s key (for rebuilding). */
typedef uint64_t (*odz_rowix_hash)(const void *rows, size_t row);

/** The row with `key` (hash `h`), or -1. */
long odz_rowix_find(const odz_rowix *ix, uint64_t h, odz_rowix_is is, const void *rows,
                    const void *key);

/** Room for `need` rows: when the table would be more than half full, a larger one indexing
 * rows 0 .. n_rows-1 again (hash_of). 0, or ODZ_ENOMEM with the table unchanged. */
int odz_rowix_reserve(odz_rowix *ix, size_t need, size_t n_rows, odz_rowix_hash hash_of,
                      const void *rows);

/** Index row `row` under hash `h` (room reserved first; a key not indexed yet). */
void odz_rowix_put(odz_rowix *ix, uint64_t h, size_t row);

/** Forget every row; the table stays allocated. */
void odz_rowix_clear(odz_rowix *ix);

/** Free the table; it is then empty and reusable. */
void odz_rowix_free(odz_rowix *ix);

#endif

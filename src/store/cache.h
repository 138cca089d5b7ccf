/* Internal to src/store: what the store's rules (merge.c) last read or wrote, kept in memory so
 * a price costs one INSERT and not a SELECT first: the latest price point of each (selection,
 * provider, market), the exchange book of each (selection, provider) and the selections by
 * source key.
 *
 * Why it stays correct when other processes (a second racing service, a restart) write the same
 * database: every write transaction of the rules bumps the database's write epoch
 * (DQ_EPOCH_BUMP) as its first statement, and write transactions are serialized (SQLite's
 * write lock, PostgreSQL's writer advisory lock). The cache is used only inside a write
 * transaction (odz_store__cache_begin .. _end) and is kept only when the epoch it gets is the
 * one after this process's last write: any commit by anyone else in between empties it first.
 * A write that fails or rolls back empties it too. A miss reads the database and fills the
 * entry. Each table is bounded (ODZ_STORE_CACHE_MAX rows); a full table is emptied. */
#ifndef ODZ_STORE_CACHE_H
#define ODZ_STORE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model.h"

#define ODZ_STORE_CACHE_MAX (1u << 17)

typedef struct odz_store_cache odz_store_cache;

/** A new, empty cache; NULL when out of memory. */
odz_store_cache *odz_store__cache_new(void);
void odz_store__cache_free(odz_store_cache *k);

/** Enter a write transaction whose epoch bump returned `epoch`: the cache is emptied unless
 * `epoch` follows the last one seen. Holds the cache (a mutex) until odz_store__cache_end. */
void odz_store__cache_begin(odz_store_cache *k, int64_t epoch);
/** Leave it: `committed` false (a failed write, a rollback, a failed commit) empties the
 * cache and forgets the epoch. */
void odz_store__cache_end(odz_store_cache *k, bool committed);

/** The latest point of (selection, provider, market): true with *odds, *ts when known. */
bool odz_store__cache_price(odz_store_cache *k, int64_t selection_id, const char *provider,
                            int market, int *odds, int64_t *ts);
void odz_store__cache_put_price(odz_store_cache *k, int64_t selection_id, const char *provider,
                                int market, int odds, int64_t ts);

/** The stored book of (b->selection_id, b->provider): true with *out when known. */
bool odz_store__cache_book(odz_store_cache *k, int64_t selection_id, const char *provider,
                           odz_exbook *out);
void odz_store__cache_put_book(odz_store_cache *k, const odz_exbook *b);

/** The stored selection of a source key: true with *out when known. */
bool odz_store__cache_selection(odz_store_cache *k, const char *key, odz_selection *out);
void odz_store__cache_put_selection(odz_store_cache *k, const odz_selection *s);

#endif

/* The store's write cache (cache.h): three bounded open-addressing tables of fixed-size keys
 * and values, valid while the database's write epoch shows no other writer. */
#include "store/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

typedef struct {
    size_t ksize, vsize;
    bool text;            /* keys are NUL-padded text: hashed up to the first NUL */
    unsigned char *slots; /* cap slots of [used byte][key][value] */
    size_t cap, n;
} table;

/* (selection, market, provider) and (selection, provider) keys, zero-padded */
#define ID_KEY (sizeof(int64_t) + sizeof(int32_t) + ODZ_PROVIDER_MAX)

typedef struct {
    int32_t odds;
    int64_t ts;
} point;

struct odz_store_cache {
    pthread_mutex_t lock;
    int64_t epoch; /* of this process's last write transaction; -1 none */
    table prices, books, sels;
};

static size_t slot_size(const table *t)
{
    return 1 + t->ksize + t->vsize;
}

static void table_clear(table *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->n = 0;
}

static uint64_t hash(const table *t, const unsigned char *key)
{
    return odz_hash_bytes(ODZ_HASH_SEED, key,
                          t->text ? strnlen((const char *)key, t->ksize) : t->ksize);
}

/* The slot of `key`: its own, or the empty one where it would go; NULL when the table is
 * empty. */
static unsigned char *slot_of(const table *t, const unsigned char *key)
{
    if (!t->cap)
        return NULL;
    size_t i = hash(t, key) & (t->cap - 1), sz = slot_size(t);
    for (;;) {
        unsigned char *s = t->slots + i * sz;
        if (!s[0] || !memcmp(s + 1, key, t->ksize))
            return s;
        i = (i + 1) & (t->cap - 1);
    }
}

static bool table_get(const table *t, const unsigned char *key, void *val)
{
    const unsigned char *s = slot_of(t, key);
    if (!s || !s[0])
        return false;
    memcpy(val, s + 1 + t->ksize, t->vsize);
    return true;
}

/* Best effort: out of memory or full, the table is emptied (a miss only costs a read). */
static void table_put(table *t, const unsigned char *key, const void *val)
{
    unsigned char *s = slot_of(t, key);
    if (!s || !s[0]) {
        if (t->n >= ODZ_STORE_CACHE_MAX)
            table_clear(t);
        if ((t->n + 1) * 2 > t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 256, sz = slot_size(t);
            table old = *t;
            t->slots = calloc(cap, sz);
            t->cap = t->slots ? cap : 0;
            t->n = 0;
            for (size_t i = 0; t->slots && i < old.cap; i++) {
                unsigned char *o = old.slots + i * sz;
                if (o[0]) {
                    memcpy(slot_of(t, o + 1), o, sz);
                    t->n++;
                }
            }
            free(old.slots);
            if (!t->slots)
                return;
        }
        s = slot_of(t, key);
        s[0] = 1;
        memcpy(s + 1, key, t->ksize);
        t->n++;
    }
    memcpy(s + 1 + t->ksize, val, t->vsize);
}

static void id_key(unsigned char key[ID_KEY], int64_t selection_id, int market,
                   const char *provider)
{
    int32_t m = market;
    memset(key, 0, ID_KEY);
    memcpy(key, &selection_id, sizeof selection_id);
    memcpy(key + sizeof selection_id, &m, sizeof m);
    size_t n = strnlen(provider, ODZ_PROVIDER_MAX - 1);
    memcpy(key + sizeof selection_id + sizeof m, provider, n);
}

static void text_key(unsigned char key[ODZ_KEY_MAX], const char *text)
{
    memset(key, 0, ODZ_KEY_MAX);
    memcpy(key, text, strnlen(text, ODZ_KEY_MAX - 1));
}

static void clear_all(odz_store_cache *k)
{
    table_clear(&k->prices);
    table_clear(&k->books);
    table_clear(&k->sels);
}

odz_store_cache *odz_store__cache_new(void)
{
    odz_store_cache *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    pthread_mutex_init(&k->lock, NULL);
    k->epoch = -1;
    k->prices = (table){.ksize = ID_KEY, .vsize = sizeof(point)};
    k->books = (table){.ksize = ID_KEY, .vsize = sizeof(odz_exbook)};
    k->sels = (table){.ksize = ODZ_KEY_MAX, .vsize = sizeof(odz_selection), .text = true};
    return k;
}

void odz_store__cache_free(odz_store_cache *k)
{
    if (!k)
        return;
    clear_all(k);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

void odz_store__cache_begin(odz_store_cache *k, int64_t epoch)
{
    pthread_mutex_lock(&k->lock);
    if (k->epoch < 0 || epoch != k->epoch + 1)
        clear_all(k); /* someone else wrote since our last write (or we never wrote) */
    k->epoch = epoch;
}

void odz_store__cache_end(odz_store_cache *k, bool committed)
{
    if (!committed) {
        clear_all(k);
        k->epoch = -1;
    }
    pthread_mutex_unlock(&k->lock);
}

bool odz_store__cache_price(odz_store_cache *k, int64_t selection_id, const char *provider,
                            int market, int *odds, int64_t *ts)
{
    unsigned char key[ID_KEY];
    point p;
    id_key(key, selection_id, market, provider);
    if (!table_get(&k->prices, key, &p))
        return false;
    *odds = p.odds;
    *ts = p.ts;
    return true;
}

void odz_store__cache_put_price(odz_store_cache *k, int64_t selection_id, const char *provider,
                                int market, int odds, int64_t ts)
{
    unsigned char key[ID_KEY];
    point p = {odds, ts};
    id_key(key, selection_id, market, provider);
    table_put(&k->prices, key, &p);
}

bool odz_store__cache_book(odz_store_cache *k, int64_t selection_id, const char *provider,
                           odz_exbook *out)
{
    unsigned char key[ID_KEY];
    id_key(key, selection_id, -1, provider);
    return table_get(&k->books, key, out);
}

void odz_store__cache_put_book(odz_store_cache *k, const odz_exbook *b)
{
    unsigned char key[ID_KEY];
    id_key(key, b->selection_id, -1, b->provider);
    table_put(&k->books, key, b);
}

bool odz_store__cache_selection(odz_store_cache *k, const char *key, odz_selection *out)
{
    unsigned char kb[ODZ_KEY_MAX];
    text_key(kb, key);
    return table_get(&k->sels, kb, out);
}

void odz_store__cache_put_selection(odz_store_cache *k, const odz_selection *s)
{
    unsigned char kb[ODZ_KEY_MAX];
    text_key(kb, s->source_key);
    table_put(&k->sels, kb, s);
}

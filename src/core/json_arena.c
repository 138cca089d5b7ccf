/* Parsed JSON from an arena (json_arena.h): jansson's allocations on a thread that is parsing
 * into an arena are carved from the arena's blocks; everywhere else they are malloc and free. */
#include "core/json_arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/wait.h"

typedef struct block {
    struct block *next;
    size_t size, used;
    max_align_t data[]; /* size bytes, aligned for anything */
} block;

struct odz_json_arena {
    block *head, *tail, *cur; /* blocks before cur are used, after it untouched since reset */
    size_t max, bytes;        /* bound and total of the blocks' sizes */
};

#define ALIGN _Alignof(max_align_t)
#define BLOCK_MIN ((size_t)64 << 10)
#define KEEP_MAX ((size_t)4 << 20) /* kept across a reset; a larger message's blocks go */

/* The arena the calling thread is parsing into, NULL when none. */
static _Thread_local odz_json_arena *parsing;

static void *bump(odz_json_arena *a, size_t n)
{
    if (n > a->max)
        return NULL;
    n = (n + ALIGN - 1) & ~(ALIGN - 1);
    for (block *b = a->cur; b; b = b->next)
        if (b->size - b->used >= n) {
            a->cur = b;
            void *p = (char *)b->data + b->used;
            b->used += n;
            return p;
        }
    size_t size = a->bytes > BLOCK_MIN ? a->bytes : BLOCK_MIN; /* the arena doubles */
    if (size < n)
        size = n;
    if (size > a->max - a->bytes)
        size = n < BLOCK_MIN ? BLOCK_MIN : n;
    if (size > a->max - a->bytes)
        return NULL;
    block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    *b = (block){.size = size, .used = n};
    if (a->tail)
        a->tail->next = b;
    else
        a->head = b;
    a->tail = a->cur = b;
    a->bytes += size;
    return b->data;
}

static bool owns(const odz_json_arena *a, const void *p)
{
    for (const block *b = a->head; b; b = b->next)
        if ((uintptr_t)p >= (uintptr_t)b->data && (uintptr_t)p < (uintptr_t)b->data + b->size)
            return true;
    return false;
}

static void *arena_malloc(size_t n)
{
    return parsing ? bump(parsing, n) : malloc(n);
}

static void arena_free(void *p)
{
    if (p && !(parsing && owns(parsing, p)))
        free(p);
}

/* Before main, so before any thread or any jansson value exists. */
__attribute__((constructor)) static void install(void)
{
    json_set_alloc_funcs(arena_malloc, arena_free);
}

odz_json_arena *odz_json_arena_new(size_t max_bytes)
{
    odz_json_arena *a = calloc(1, sizeof *a);
    if (a)
        a->max = max_bytes ? max_bytes : ODZ_JSON_ARENA_MAX;
    return a;
}

/* Empties the arena: the first blocks up to KEEP_MAX stay for the next tree. */
static void reset(odz_json_arena *a)
{
    size_t kept = 0;
    block **link = &a->head;
    a->tail = NULL;
    while (*link) {
        block *b = *link;
        if (kept + b->size <= KEEP_MAX) {
            kept += b->size;
            b->used = 0;
            a->tail = b;
            link = &b->next;
        } else {
            *link = b->next;
            free(b);
        }
    }
    a->bytes = kept;
    a->cur = a->head;
}

void odz_json_arena_free(odz_json_arena *a)
{
    if (!a)
        return;
    while (a->head) {
        block *b = a->head;
        a->head = b->next;
        free(b);
    }
    free(a);
}

/* A background thread's parse, with seams (core/wait.h odz_thread_yield) every PIECE bytes: a
 * race card of 100 KB is a millisecond of parsing, which a thread picked under a CPU quota would
 * otherwise run in one stretch while an event loop waits. jansson reads the text through the
 * callback (a kilobyte at a time); the tree and the errors are those of json_loadb. */
#define PIECE ((size_t)16 << 10)

typedef struct {
    const char *p;
    size_t left, since;
} pieces;

static size_t next_piece(void *dst, size_t n, void *ud)
{
    pieces *r = ud;
    if (r->since >= PIECE) {
        odz_thread_yield();
        r->since = 0;
    }
    size_t k = n < r->left ? n : r->left;
    memcpy(dst, r->p, k);
    r->p += k;
    r->left -= k;
    r->since += k;
    return k;
}

static json_t *load_in_pieces(const char *buf, size_t len, size_t flags, json_error_t *je)
{
    pieces r = {buf, len, 0};
    return json_load_callback(next_piece, &r, flags, je);
}

const json_t *odz_json_arena_loadb(odz_json_arena *a, const char *buf, size_t len,
                                   size_t flags, json_error_t *je)
{
    reset(a);
    odz_json_arena *outer = parsing;
    parsing = a;
    json_t *j = odz_thread_yields() ? load_in_pieces(buf, len, flags, je)
                                    : json_loadb(buf, len, flags, je);
    parsing = outer;
    return j;
}

size_t odz_json_arena_bytes(const odz_json_arena *a)
{
    return a ? a->bytes : 0;
}

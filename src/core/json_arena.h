/* Parsed JSON that lives for one message, allocated from an arena. A stream or file reader
 * parses thousands of messages a second, each into a tree of thousands of small values that
 * it reads once and drops: with malloc and json_decref, allocating and freeing those values
 * one by one was a third of the reader's CPU. Parsed into an arena, the values are carved
 * from a few large blocks, and dropping the tree is resetting the arena.
 *
 * jansson's allocation functions are process-wide (json_set_alloc_funcs): this file installs
 * its own before main, which are malloc and free except while the calling thread parses into
 * an arena. So every other use of jansson is unchanged, and a tree parsed into an arena must
 * stay the arena's: read it, copy from it, never json_decref or json_incref it or keep a
 * pointer into it past the arena's next parse. */
#ifndef ODZ_CORE_JSON_ARENA_H
#define ODZ_CORE_JSON_ARENA_H

#include <jansson.h>
#include <stddef.h>

typedef struct odz_json_arena odz_json_arena;

/** A new, empty arena holding at most `max_bytes` (0: ODZ_JSON_ARENA_MAX); NULL when out of
 *  memory. */
odz_json_arena *odz_json_arena_new(size_t max_bytes);
#define ODZ_JSON_ARENA_MAX ((size_t)256 << 20)

/** Frees the arena and the tree in it (NULL is fine). */
void odz_json_arena_free(odz_json_arena *a);

/** Drops the arena's last tree, then parses buf[0..len) (json_loadb with `flags`) into it.
 *  NULL with `je` filled when the text is not JSON or the tree would pass the arena's bound
 *  ("out of memory"). The tree is read-only: it belongs to the arena. */
const json_t *odz_json_arena_loadb(odz_json_arena *a, const char *buf, size_t len,
                                   size_t flags, json_error_t *je);

/** Bytes the arena holds from malloc (its blocks), for tests and bounds. */
size_t odz_json_arena_bytes(const odz_json_arena *a);

#endif

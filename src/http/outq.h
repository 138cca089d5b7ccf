/* A connection's outgoing queue: refcounted buffers waiting to be written, bounded in bytes,
 * with coalescing keys. A buffer pushed with a key replaces a still-waiting one with the same
 * key where it stands (it keeps its turn), so a client that is behind gets the latest state of
 * each thing instead of a backlog. One type for every live transport: WebSocket frames
 * (websocket.c), SSE chunks (async.c streams) and Engine.IO polling packets (src/live/eio.c).
 *
 * Not thread-safe: the owner serializes (the loop thread, or the stream's mutex). The queue
 * holds one reference on each buffer it contains. */
#ifndef ODZ_HTTP_OUTQ_H
#define ODZ_HTTP_OUTQ_H

#include <stddef.h>
#include <stdint.h>

#include "http/server.h"

typedef struct odz_outq {
    odz_buf **v;    /* waiting buffers, oldest first */
    uint64_t *keys; /* coalescing key of each (0 = none) */
    size_t n, cap;
    size_t bytes;   /* sum of the lengths of v[0..n) */
    unsigned long coalesced; /* pushes that replaced a waiting buffer, over the queue's life */
} odz_outq;

#define ODZ_OUTQ_INIT {NULL, NULL, 0, 0, 0, 0}

/** Queues `b` (a reference is taken). With `key` != 0 and a waiting buffer of the same key,
 *  `b` takes its place instead: returns 1. Else appends: 0. ODZ_EFULL when the queue is not
 *  empty and `max_bytes` (0 = no bound) would be passed (nothing queued: a buffer is always
 *  accepted into an empty queue); ODZ_ENOMEM. */
int odz_outq_push(odz_outq *q, odz_buf *b, uint64_t key, size_t max_bytes);

/** Moves everything waiting in `from` to the empty `to` (their storage is swapped, nothing is
 *  copied); `from` is left empty. The coalescing counts stay with their queues. */
void odz_outq_move(odz_outq *from, odz_outq *to);

/** All waiting buffers joined into one new buffer with `sep` between them (sep 0: none), and
 *  the queue emptied. NULL when empty or out of memory (the queue is then unchanged). */
odz_buf *odz_outq_join(odz_outq *q, char sep);

/** Drops everything waiting (the storage is kept for reuse). */
void odz_outq_clear(odz_outq *q);

/** Drops everything and frees the storage; the queue is left empty and reusable. */
void odz_outq_free(odz_outq *q);

#endif

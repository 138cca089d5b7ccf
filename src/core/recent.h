/* The ids seen last, in a ring of fixed size that forgets the oldest first: "did this race
 * close lately?" for those who must not bring back what a late message still names. */
#ifndef ODZ_CORE_RECENT_H
#define ODZ_CORE_RECENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** 1 if `id` is among ring[0..cap) (a zeroed ring holds only 0, which is no id). */
bool odz_recent_has(const int64_t *ring, size_t cap, int64_t id);

/** Note `id` in ring[0..cap) at *at, which then moves on (it starts at 0), unless the ring
 *  holds it already: an id noted twice does not push out another. */
void odz_recent_note(int64_t *ring, size_t cap, size_t *at, int64_t id);

#endif

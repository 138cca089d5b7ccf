/* Allocation that says why it failed: the first step of every constructor that reports in
 * words, so "out of memory" is written once. */
#ifndef ODZ_CORE_ALLOC_H
#define ODZ_CORE_ALLOC_H

#include <stddef.h>

/** A zeroed block of `size` bytes (the caller frees it), or NULL with ODZ_ENOMEM's words
 *  "out of memory" in the message buffer `err` (core/err.h; errlen ODZ_ERRLEN for a
 *  `char *err`). */
void *odz_zalloc(size_t size, char *err, size_t errlen);

#endif

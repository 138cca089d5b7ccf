/* A bounded worker pool: a fixed number of threads and a bounded queue of jobs, each due at
 * a time, so work handed off by a request (a bus round trip, a delayed answer) never costs a
 * thread of its own and a flood is refused instead of queued without end. */
#ifndef ODZ_POOL_H
#define ODZ_POOL_H

#include <stddef.h>

typedef struct odz_pool odz_pool;

/** A job. status 0: run it; ODZ_ECLOSED: the pool is being freed before the job ran, only
 *  release what `arg` holds (answer a waiting request, free memory). Runs on a pool thread,
 *  or on the thread calling odz_pool_free. */
typedef void (*odz_pool_fn)(void *arg, int status);

/** Start `threads` (1..64) workers with room for `max_jobs` (1..65536) waiting jobs. NULL on
 *  bad arguments or when threads cannot be created. */
odz_pool *odz_pool_new(int threads, size_t max_jobs);

/** Queue fn(arg, 0) to run `delay_ms` (0..600000) from now; jobs run in due order (then in
 *  submission order). 0; ODZ_EFULL when max_jobs are already waiting; ODZ_ECLOSED once
 *  odz_pool_free has begun; ODZ_EINVAL. On an error fn is not called: `arg` stays the
 *  caller's. Any thread, jobs included. */
int odz_pool_submit(odz_pool *p, int delay_ms, odz_pool_fn fn, void *arg);

/** Jobs waiting (not running). */
size_t odz_pool_queued(odz_pool *p);

/** Stop: waits for running jobs, calls every job still waiting with ODZ_ECLOSED, joins the
 *  threads, frees. NULL-safe. Not from a job. */
void odz_pool_free(odz_pool *p);

#endif

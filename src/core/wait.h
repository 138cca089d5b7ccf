/* A background thread's life: starting it with its lock and wake-up, waiting on a condition
 * variable with a deadline on the monotonic clock, the stop flag it sleeps on, its name and its
 * priority against the threads answering requests: one way to set them up, to wait and to
 * stop, so a clock step never stretches or cuts a wait and every thread is told to stop the
 * same way. */
#ifndef ODZ_CORE_WAIT_H
#define ODZ_CORE_WAIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/** Initialise `c` so that odz_cond_wait_until measures its deadline on CLOCK_MONOTONIC. 0, or
 *  the errno of pthread_cond_init. Destroy with pthread_cond_destroy. */
int odz_cond_init_mono(pthread_cond_t *c);

/** With `m` held: wait on `c` (from odz_cond_init_mono) until woken or until odz_mono_ms()
 *  reaches due_ms. ETIMEDOUT once the deadline has passed, else 0 (woken, perhaps
 *  spuriously: the caller checks its own condition again). */
int odz_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t due_ms);

/** Tell a thread to stop: sets *stop under `m` and wakes every waiter on `c` (NULL: the thread
 *  waits on something else, which the caller wakes after this). The caller then joins. */
void odz_stop_raise(pthread_mutex_t *m, pthread_cond_t *c, bool *stop);

/** A background thread with its lock and wake-up: initialise `m` and `c` (as
 *  odz_cond_init_mono does) and start fn(arg) on *t. 0, or the errno of what failed, with `m`
 *  and `c` destroyed again (the caller frees only its own state). */
int odz_thread_start(pthread_t *t, pthread_mutex_t *m, pthread_cond_t *c, void *(*fn)(void *),
                     void *arg);

/** Background work (ingest, the simulated world, view rebuilds) yields the CPU to the threads
 *  that answer requests: a thread that does it calls odz_thread_background(name) (at its
 *  start, or in a handler: the first call in a thread acts, later ones cost a load), which
 *  names it `name` (see odz_thread_name; NULL: unnamed) and raises its niceness by the amount
 *  set here for the process (0, the default: no change; at most 19 in all). The event loops
 *  that serve HTTP and live clients never call it. Linux: niceness is per thread. */
void odz_thread_set_background_nice(int nice);
void odz_thread_background(const char *name);

/** A point between two pieces of a background thread's work (a race card parsed, one stored, a
 *  page of the simulated world rendered) where it gives the CPU to a runnable thread that
 *  answers requests: sched_yield(2) in a thread that odz_thread_background lowered, while the
 *  process's background niceness is not 0; elsewhere nothing. True when it yielded.
 *  Why, beside the niceness: under a CPU quota (a cgroup's cpu.max, a container's CPU limit),
 *  with the scheduler's tick at 4 ms (HZ=250), a background thread picked when the group's
 *  quota comes back, or running when an event loop wakes, kept the CPU until the next tick:
 *  up to the whole 3.3 ms of a third of a core, whatever its weight (docs/performance.md,
 *  "Background work yields at its seams"). Nothing here holds a lock an event loop takes. */
bool odz_thread_yield(void);
/** Whether odz_thread_yield yields on the calling thread (for work that would do something
 *  else, a little dearer, only to make seams: core/json_arena.c's parse in pieces). */
bool odz_thread_yields(void);
/** How many times the calling thread yielded (tests). */
unsigned long odz_thread_yield_count(void);

/** Names the calling thread (at most 15 bytes; longer is cut) for `top -H`, `ps -L` and
 *  debuggers: "odz-<what>". */
void odz_thread_name(const char *name);

/** *stop, read under `m`. */
bool odz_stop_seen(pthread_mutex_t *m, const bool *stop);

#endif

/* A background thread's start, waits, stop flag, name and priority; see core/wait.h. */
#include "core/wait.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

static atomic_int background_nice;
static _Thread_local bool thread_lowered;

void odz_thread_set_background_nice(int nice)
{
    atomic_store(&background_nice, nice < 0 ? 0 : nice > 19 ? 19 : nice);
}

void odz_thread_name(const char *name)
{
    char n[16];
    snprintf(n, sizeof n, "%s", name);
    (void)pthread_setname_np(pthread_self(), n);
}

void odz_thread_background(const char *name)
{
    if (thread_lowered)
        return;
    thread_lowered = true;
    if (name)
        odz_thread_name(name);
    int nice = atomic_load(&background_nice);
    if (nice == 0)
        return;
    /* on Linux PRIO_PROCESS with who 0 is the calling thread; its niceness goes `nice` above
     * what it is (the process's: a service started with Nice= keeps its place), and raising
     * niceness needs no privilege; a failure leaves the thread as it was */
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, 0);
    if (cur == -1 && errno)
        return;
    (void)setpriority(PRIO_PROCESS, 0, cur + nice > 19 ? 19 : cur + nice);
}

int odz_thread_start(pthread_t *t, pthread_mutex_t *m, pthread_cond_t *c, void *(*fn)(void *),
                     void *arg)
{
    int rc = pthread_mutex_init(m, NULL);
    if (rc)
        return rc;
    if ((rc = odz_cond_init_mono(c)) != 0) {
        pthread_mutex_destroy(m);
        return rc;
    }
    if ((rc = pthread_create(t, NULL, fn, arg)) != 0) {
        pthread_cond_destroy(c);
        pthread_mutex_destroy(m);
    }
    return rc;
}

int odz_cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);
    if (rc)
        return rc;
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
    return rc;
}

int odz_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t due_ms)
{
    if (due_ms < 0)
        due_ms = 0;
    struct timespec ts = {(time_t)(due_ms / 1000), (long)(due_ms % 1000) * 1000000L};
    return pthread_cond_timedwait(c, m, &ts);
}

void odz_stop_raise(pthread_mutex_t *m, pthread_cond_t *c, bool *stop)
{
    pthread_mutex_lock(m);
    *stop = true;
    if (c)
        pthread_cond_broadcast(c);
    pthread_mutex_unlock(m);
}

bool odz_stop_seen(pthread_mutex_t *m, const bool *stop)
{
    pthread_mutex_lock(m);
    bool s = *stop;
    pthread_mutex_unlock(m);
    return s;
}

static _Thread_local unsigned long thread_yields;

bool odz_thread_yields(void)
{
    /* a lowered thread, with a niceness actually added (0 puts every thread on a par) */
    return thread_lowered && atomic_load(&background_nice);
}

bool odz_thread_yield(void)
{
    if (!odz_thread_yields())
        return false;
    (void)sched_yield();
    thread_yields++;
    return true;
}

unsigned long odz_thread_yield_count(void)
{
    return thread_yields;
}

/* Bounded worker pool; see pool.h. Waiting jobs sit in a binary heap ordered by due time and
 * submission number, under one mutex; workers sleep on a monotonic-clock condition. */
#include "core/pool.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/wait.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
    int64_t due_ms;
    uint64_t seq;
    odz_pool_fn fn;
    void *arg;
} job;

struct odz_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job *heap;
    size_t n, cap;
    uint64_t seq;
    bool stop;
    pthread_t *threads;
    int nthreads;
};

static bool before(const job *a, const job *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void swap(job *a, job *b)
{
    job t = *a;
    *a = *b;
    *b = t;
}

static void heap_push(odz_pool *p, job j)
{
    size_t i = p->n++;
    p->heap[i] = j;
    while (i > 0 && before(&p->heap[i], &p->heap[(i - 1) / 2])) {
        swap(&p->heap[i], &p->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

static job heap_pop(odz_pool *p)
{
    job top = p->heap[0];
    p->heap[0] = p->heap[--p->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < p->n && before(&p->heap[l], &p->heap[m]))
            m = l;
        if (r < p->n && before(&p->heap[r], &p->heap[m]))
            m = r;
        if (m == i)
            break;
        swap(&p->heap[i], &p->heap[m]);
        i = m;
    }
    return top;
}

static void *worker(void *arg)
{
    odz_pool *p = arg;
    odz_thread_name("odz-pool");
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        if (p->n == 0) {
            pthread_cond_wait(&p->cond, &p->lock);
            continue;
        }
        int64_t now = odz_mono_ms();
        if (p->heap[0].due_ms > now) {
            odz_cond_wait_until(&p->cond, &p->lock, p->heap[0].due_ms);
            continue;
        }
        job j = heap_pop(p);
        if (p->n && p->heap[0].due_ms <= now)
            pthread_cond_signal(&p->cond); /* more is due: another worker may take it */
        pthread_mutex_unlock(&p->lock);
        j.fn(j.arg, 0);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

odz_pool *odz_pool_new(int threads, size_t max_jobs)
{
    if (threads < 1 || threads > 64 || max_jobs < 1 || max_jobs > 65536)
        return NULL;
    odz_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->heap = calloc(max_jobs, sizeof *p->heap);
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    p->cap = max_jobs;
    odz_cond_init_mono(&p->cond);
    pthread_mutex_init(&p->lock, NULL);
    if (!p->heap || !p->threads) {
        odz_pool_free(p);
        return NULL;
    }
    for (; p->nthreads < threads; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0) {
            odz_pool_free(p);
            return NULL;
        }
    return p;
}

int odz_pool_submit(odz_pool *p, int delay_ms, odz_pool_fn fn, void *arg)
{
    if (!p || !fn || delay_ms < 0 || delay_ms > 600000)
        return ODZ_EINVAL;
    int rc = 0;
    pthread_mutex_lock(&p->lock);
    if (p->stop)
        rc = ODZ_ECLOSED;
    else if (p->n == p->cap)
        rc = ODZ_EFULL;
    else {
        heap_push(p, (job){odz_mono_ms() + delay_ms, p->seq++, fn, arg});
        pthread_cond_signal(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

size_t odz_pool_queued(odz_pool *p)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->n;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void odz_pool_free(odz_pool *p)
{
    if (!p)
        return;
    odz_stop_raise(&p->lock, &p->cond, &p->stop);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    /* nothing runs any more; a job cancelled here may not submit again (ODZ_ECLOSED) */
    while (p->n) {
        job j = heap_pop(p);
        j.fn(j.arg, ODZ_ECLOSED);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p->heap);
    free(p->threads);
    free(p);
}

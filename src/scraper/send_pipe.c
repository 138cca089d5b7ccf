/* The scrape sender with one send in flight (send_pipe.h). */
#include "scraper/send_pipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/model.h"
#include "core/wait.h"
#include "scraper/scraper.h"

struct odz_send_pipe {
    odz_bus *bus;
    char source[64];
    bool has_source, match;
    odz_send_done done;
    void *ud;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    odz_scrape slot; /* the scrape handed over (when full) */
    int64_t now;
    bool full, stop;
};

static void *run(void *arg)
{
    odz_thread_background("odz-sender"); /* yields to the threads answering requests */
    odz_send_pipe *p = arg;
    char err[ODZ_ERRLEN];
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->full && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->full)
            break; /* stopped with nothing left to send */
        pthread_mutex_unlock(&p->mu);
        err[0] = '\0';
        int rc = odz_scrape_send_as(p->bus, &p->slot, p->now, p->has_source ? p->source : NULL,
                                    p->match, err);
        if (p->done)
            p->done(p->ud, rc, err);
        odz_scrape_clear(&p->slot);
        odz_thread_yield();
        pthread_mutex_lock(&p->mu);
        p->full = false;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

odz_send_pipe *odz_send_pipe_new(odz_bus *bus, const char *source, bool match,
                                 odz_send_done done, void *ud, char *err)
{
    odz_send_pipe *p = calloc(1, sizeof *p);
    if (!p) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    p->bus = bus;
    p->has_source = source != NULL;
    odz_strlcpy(p->source, source ? source : "", sizeof p->source);
    p->match = match;
    p->done = done;
    p->ud = ud;
    if (odz_thread_start(&p->thread, &p->mu, &p->cv, run, p)) {
        free(p);
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot start the sender thread");
        return NULL;
    }
    return p;
}

void odz_send_pipe_submit(odz_send_pipe *p, odz_scrape *sc, int64_t now)
{
    pthread_mutex_lock(&p->mu);
    while (p->full)
        pthread_cond_wait(&p->cv, &p->mu);
    odz_scrape empty = p->slot; /* cleared by the thread after its last send */
    p->slot = *sc;
    *sc = empty;
    p->now = now;
    p->full = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void odz_send_pipe_drain(odz_send_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->full)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void odz_send_pipe_free(odz_send_pipe *p)
{
    if (!p)
        return;
    odz_stop_raise(&p->mu, &p->cv, &p->stop);
    pthread_join(p->thread, NULL); /* (the thread sends what it holds before it stops) */
    odz_scrape_free(&p->slot);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

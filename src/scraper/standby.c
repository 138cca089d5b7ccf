/* Active-standby scraping: a thread that holds (or waits for) the leadership lock and
 * runs the scraper only while it holds it. */
#include "scraper/standby.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/model.h"
#include "core/wait.h"
#include "obs/log.h"
#include "obs/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct odz_standby {
    odz_bus *bus;
    odz_leader *leadership; /* NULL: always the leader */
    odz_scraper_config cfg;
    char name[ODZ_KEY_MAX];
    int retry_ms, check_ms;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stop */
    pthread_cond_t wake;
    bool stop;
    odz_scraper *scraper; /* only the thread touches it */
    atomic_int leader, terms;
};

/* oddzy_scraper_leader{lock="<name>"}: one series a leadership lock (a process scraping
 * several sources holds one lock a source). */
static void set_gauge(const odz_standby *s, int v)
{
    char labels[ODZ_KEY_MAX + 16];
    snprintf(labels, sizeof labels, "lock=\"%s\"", s->name);
    odz_metric_set(odz_gauge("oddzy_scraper_leader",
                             "1 while this scraper is the active one for its lock (holds the "
                             "leadership lock), 0 on standby",
                             labels),
                   v);
}

/* Sleep ms unless stopping; true when stopping. */
static bool nap(odz_standby *s, int ms)
{
    pthread_mutex_lock(&s->lock);
    if (!s->stop)
        odz_cond_wait_until(&s->wake, &s->lock, odz_mono_ms() + ms);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static void become_leader(odz_standby *s)
{
    char err[ODZ_ERRLEN];
    s->scraper = odz_scraper_start(s->bus, &s->cfg, err);
    if (!s->scraper) {
        /* let another process have it rather than hold the lock doing nothing */
        odz_log_kv(ODZ_LOG_ERROR, "cannot start scraping; giving up the leadership", "error", err,
                   NULL);
        if (s->leadership)
            s->leadership->ops->release(s->leadership, s->name, err);
        return;
    }
    int n = atomic_fetch_add(&s->terms, 1) + 1;
    char terms[16];
    snprintf(terms, sizeof terms, "%d", n);
    set_gauge(s, 1); /* (the gauge before the flag: whoever sees the flag sees the gauge) */
    atomic_store(&s->leader, 1);
    odz_log_kv(ODZ_LOG_INFO,
               s->leadership ? "leadership taken: this scraper is active"
                             : "no shared store: this scraper is always active",
               "lock", s->name, "terms", terms, "source", s->cfg.source_url, NULL);
}

static void become_standby(odz_standby *s, const char *why)
{
    /* stopped first, so that nobody sees a standby whose scraper still answers or polls */
    odz_scraper_stop(s->scraper); /* requests in flight are abandoned */
    s->scraper = NULL;
    set_gauge(s, 0);
    atomic_store(&s->leader, 0);
    odz_log_kv(ODZ_LOG_WARN, "leadership lost: scraping stopped, now on standby", "lock", s->name,
               "error", why, NULL);
}

static void *run(void *arg)
{
    odz_thread_background("odz-standby"); /* yields to the threads answering requests */
    odz_standby *s = arg;
    char err[ODZ_ERRLEN], last_err[ODZ_ERRLEN] = "";
    bool announced = false;
    for (;;) {
        if (odz_stop_seen(&s->lock, &s->stop))
            break;
        bool lead = true;
        int rc = 0;
        err[0] = '\0';
        if (s->leadership)
            rc = s->leadership->ops->try_lead(s->leadership, s->name, &lead, err);
        if (lead && !s->scraper) {
            become_leader(s);
            last_err[0] = '\0';
            announced = false;
        } else if (!lead && s->scraper) {
            become_standby(s, rc ? err : "lock no longer held");
            odz_strlcpy(last_err, err, sizeof last_err);
        } else if (!lead && rc && strcmp(err, last_err)) {
            /* log a failing database once per distinct error, not every retry */
            odz_log_kv(ODZ_LOG_WARN, "standby: cannot check the leadership lock", "lock", s->name,
                       "error", err, NULL);
            odz_strlcpy(last_err, err, sizeof last_err);
        } else if (!lead && !rc && !announced) {
            odz_log_kv(ODZ_LOG_INFO, "standby: another scraper is active", "lock", s->name, NULL);
            last_err[0] = '\0';
        }
        if (!lead)
            announced = true;
        if (nap(s, s->scraper ? s->check_ms : s->retry_ms))
            break;
    }
    if (s->scraper) {
        odz_scraper_stop(s->scraper);
        s->scraper = NULL;
    }
    if (s->leadership)
        s->leadership->ops->release(s->leadership, s->name, err);
    atomic_store(&s->leader, 0);
    set_gauge(s, 0);
    return NULL;
}

odz_standby *odz_standby_start(odz_bus *bus, odz_leader *leader, const odz_scraper_config *cfg,
                               const odz_standby_config *sc, char *err)
{
    if (odz_scraper_config_check(cfg, err))
        return NULL;
    const char *name = sc && sc->lock_name ? sc->lock_name : ODZ_SCRAPER_LEADER_NAME;
    if (!*name || strlen(name) >= ODZ_KEY_MAX) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "leadership name is empty or too long");
        return NULL;
    }
    odz_standby *s = odz_zalloc(sizeof *s, err, ODZ_ERRLEN);
    if (!s)
        return NULL;
    s->bus = bus;
    s->leadership = leader;
    s->cfg = *cfg;
    odz_strlcpy(s->name, name, sizeof s->name);
    s->retry_ms = sc && sc->retry_ms > 0 ? sc->retry_ms : 2000;
    s->check_ms = sc && sc->check_ms > 0 ? sc->check_ms : 1000;
    set_gauge(s, 0);
    if (odz_thread_start(&s->thread, &s->lock, &s->wake, run, s)) {
        free(s);
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot start the leadership thread");
        return NULL;
    }
    return s;
}

int odz_standby_is_leader(odz_standby *s)
{
    return s ? atomic_load(&s->leader) : 0;
}

int odz_standby_terms(odz_standby *s)
{
    return s ? atomic_load(&s->terms) : 0;
}

void odz_standby_stop(odz_standby *s)
{
    if (!s)
        return;
    odz_stop_raise(&s->lock, &s->wake, &s->stop);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
}

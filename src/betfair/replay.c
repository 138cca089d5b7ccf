/* Replay of Betfair historical files: the files' lines merged by publish time into one
 * market cache; after each publish second (or ODZ_REPLAY_BATCH_LINES messages) the races that
 * changed go to the racing service as one scrape, so the store sees exactly what a live
 * source would send. Paced on the real clock: a line published t ms after the first one is
 * played t / speed ms after the start. */
#include "betfair/replay.h"

#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "betfair/domain.h"
#include "betfair/history.h"
#include "betfair/stream.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/wait.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/source_metrics.h"
#include "scraper/scraper.h"
#include "scraper/send_pipe.h"

typedef struct {
    const char *path;
    odz_bf_history *h;
    odz_json_arena *arena; /* holds msg */
    const json_t *msg; /* the next message to play, parsed once (the arena's), NULL at the end */
    int64_t pt;        /* its publish time */
} rfile;

struct odz_replay {
    odz_bus *bus;
    double speed;
    char tz[64];
    rfile *files;
    size_t n_files;
    odz_bf_cache cache;
    odz_bf_catalogues cats;
    odz_scrape sc; /* each flush's, its arrays kept between flushes */
    odz_send_pipe *pipe; /* stores one flush while the next is read */
    odz_replay_stats stats; /* races_changed and failed_batches: written by the pipe's thread */
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t done_mu; /* done, and the wake-up of odz_replay_wait */
    pthread_cond_t done_cv;
    bool done;
};

#define REPLAY_SOURCE "replay" /* its name in the per-source monitor and the matching */

static void count(const char *name, const char *help, double v)
{
    odz_metric_add(odz_counter(name, help, NULL), v);
}

/* The publish time of a parsed message; 0 when it has none. */
static int64_t msg_pt(const json_t *j)
{
    json_t *pt = json_object_get(j, "pt");
    return json_is_integer(pt) && json_integer_value(pt) > 0 ? json_integer_value(pt) : 0;
}

/* Read and parse the file's next playable line into f->msg (NULL at its end): the merge by
 * publish time and the market cache both use this one parse. Lines without a publish time
 * and lines the reader refuses are logged and skipped. */
static void advance(odz_replay *r, rfile *f)
{
    char err[ODZ_ERRLEN];
    const char *line;
    size_t len;
    for (;;) {
        int rc = odz_bf_history_next(f->h, &line, &len, err, sizeof err);
        if (rc == 0 || (rc < 0 && rc != ODZ_EINVAL) || (rc < 0 && strstr(err, "bzip2"))) {
            if (rc < 0)
                odz_log_kv(ODZ_LOG_ERROR, "replay file ends early", "file", f->path, "error",
                           err, NULL);
            f->msg = NULL;
            return;
        }
        char lineno[24];
        snprintf(lineno, sizeof lineno, "%zu", odz_bf_history_lineno(f->h));
        f->msg = NULL; /* the parse below drops it */
        const json_t *j = rc == 1 ? odz_bf_parse(f->arena, line, len, err, sizeof err) : NULL;
        int64_t pt = msg_pt(j);
        if (!pt) {
            r->stats.bad_lines++;
            count("oddzy_replay_bad_lines_total", "Replayed lines refused", 1);
            odz_log_kv(ODZ_LOG_WARN, "replay line skipped", "file", f->path, "line", lineno,
                       "error", rc == 1 && j ? "no publish time (pt)" : err, NULL);
            continue;
        }
        f->msg = j;
        f->pt = pt;
        return;
    }
}

/* The file whose next line was published first; NULL when all are played. */
static rfile *earliest(odz_replay *r)
{
    rfile *best = NULL;
    for (size_t i = 0; i < r->n_files; i++)
        if (r->files[i].msg && (!best || r->files[i].pt < best->pt))
            best = &r->files[i];
    return best;
}

/* A batch's outcome (on the pipe's thread). */
static void sent(void *ud, int rc, const char *err)
{
    odz_replay *r = ud;
    if (rc >= 0) {
        r->stats.races_changed += rc;
        return;
    }
    r->stats.failed_batches++;
    odz_srcstat_error(REPLAY_SOURCE, "replay");
    odz_log_kv(ODZ_LOG_ERROR, "replay batch not stored", "error", err, NULL);
}

/* Send the races changed since the last send: handed to the pipe, which stores them while
 * the next lines are read. */
static void flush(odz_replay *r, int64_t pt)
{
    char err[ODZ_ERRLEN];
    odz_scrape *sc = &r->sc;
    int rc = odz_bf_to_scrape(&r->cache, &r->cats, r->tz[0] ? r->tz : NULL, true, sc, err,
                              sizeof err);
    if (rc == 0 && (sc->n_races || sc->meetings.n)) {
        r->stats.batches++;
        odz_send_pipe_submit(r->pipe, sc, pt / 1000);
        return;
    }
    if (rc < 0)
        sent(r, rc, err);
    odz_scrape_clear(sc);
}

/* Sleep until real time `until` (epoch ms) or a stop; false on stop. */
static bool wait_until(odz_replay *r, int64_t until)
{
    for (;;) {
        if (atomic_load(&r->stop))
            return false;
        int64_t left = until - odz_real_ms();
        if (left <= 0)
            return true;
        if (left > 100)
            left = 100;
        struct timespec ts = {0, (long)left * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void *play(void *arg)
{
    odz_thread_background("odz-replay"); /* yields to the threads answering requests */
    odz_replay *r = arg;
    char err[ODZ_ERRLEN];
    int64_t start_real = odz_real_ms(), first_pt = 0, batch_second = -1;
    size_t in_batch = 0;
    rfile *f;
    while (!atomic_load(&r->stop) && (f = earliest(r)) != NULL) {
        if (!first_pt)
            first_pt = r->stats.first_pt = f->pt;
        /* one send per publish second: the store keeps one price point a second */
        if (in_batch && (f->pt / 1000 != batch_second || in_batch >= ODZ_REPLAY_BATCH_LINES)) {
            flush(r, batch_second * 1000);
            in_batch = 0;
        }
        if (r->speed > 0) {
            int64_t due = start_real + (int64_t)((double)(f->pt - first_pt) / r->speed);
            if (due > odz_real_ms() && in_batch) {
                flush(r, batch_second * 1000);
                in_batch = 0;
            }
            if (!wait_until(r, due))
                break;
        }
        odz_bf_msg m;
        r->stats.lines++;
        count("oddzy_replay_lines_total", "Replayed stream messages", 1);
        if (odz_bf_apply_parsed(&r->cache, f->msg, &m, err, sizeof err)) {
            char lineno[24];
            snprintf(lineno, sizeof lineno, "%zu", odz_bf_history_lineno(f->h));
            r->stats.bad_lines++;
            count("oddzy_replay_bad_lines_total", "Replayed lines refused", 1);
            odz_log_kv(ODZ_LOG_WARN, "replay line skipped", "file", f->path, "line", lineno,
                       "error", err, NULL);
            odz_srcstat_request(REPLAY_SOURCE, "replay", false, 0, f->pt / 1000);
        } else {
            /* lag: how far the replay is behind its schedule (0 when not paced) */
            double behind = r->speed > 0 ? (double)(odz_real_ms() - start_real -
                                                    (int64_t)((double)(f->pt - first_pt) /
                                                              r->speed)) /
                                               1000.0
                                         : 0;
            odz_srcstat_request(REPLAY_SOURCE, "replay", true, behind, f->pt / 1000);
            in_batch++;
            batch_second = f->pt / 1000;
            r->stats.last_pt = f->pt;
        }
        advance(r, f);
    }
    if (in_batch && !atomic_load(&r->stop))
        flush(r, batch_second * 1000);
    odz_send_pipe_drain(r->pipe); /* done means stored */
    pthread_mutex_lock(&r->done_mu);
    r->done = true;
    pthread_cond_broadcast(&r->done_cv);
    pthread_mutex_unlock(&r->done_mu);
    return NULL;
}

/* The catalogues beside `path` ("catalogue-*.json" in its directory). */
static void load_catalogues(odz_replay *r, const char *path)
{
    char pattern[4096];
    const char *slash = strrchr(path, '/');
    int dir = slash ? (int)(slash - path) : 1;
    if (snprintf(pattern, sizeof pattern, "%.*s/catalogue-*.json", dir, slash ? path : ".") >=
        (int)sizeof pattern)
        return;
    glob_t g;
    if (glob(pattern, 0, NULL, &g))
        return;
    for (size_t i = 0; i < g.gl_pathc && r->cats.n < ODZ_BF_MAX_CATALOGUES; i++) {
        FILE *fp = fopen(g.gl_pathv[i], "rb");
        if (!fp)
            continue;
        char *body = malloc(ODZ_BF_CATALOGUE_MAX + 1);
        size_t n = body ? fread(body, 1, ODZ_BF_CATALOGUE_MAX + 1, fp) : 0;
        fclose(fp);
        char err[ODZ_ERRLEN];
        if (body && odz_bf_catalogue_parse(body, n, &r->cats, err, sizeof err))
            odz_log_kv(ODZ_LOG_WARN, "catalogue not read", "file", g.gl_pathv[i], "error", err,
                       NULL);
        free(body);
    }
    globfree(&g);
}

static void replay_free(odz_replay *r)
{
    odz_send_pipe_free(r->pipe);
    for (size_t i = 0; i < r->n_files; i++) {
        odz_bf_history_close(r->files[i].h);
        odz_json_arena_free(r->files[i].arena);
    }
    free(r->files);
    odz_bf_cache_free(&r->cache);
    odz_bf_catalogues_free(&r->cats);
    odz_scrape_free(&r->sc);
    free(r);
}

odz_replay *odz_replay_start(odz_bus *bus, const odz_replay_config *cfg, char *err)
{
    if (!cfg->n_files || cfg->n_files > ODZ_REPLAY_MAX_FILES) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "replay needs 1 to %d files",
                 ODZ_REPLAY_MAX_FILES);
        return NULL;
    }
    if (!(cfg->speed >= 0) || cfg->speed > 1e6) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "replay speed out of range");
        return NULL;
    }
    odz_replay *r = calloc(1, sizeof *r);
    if (!r || !(r->files = calloc(cfg->n_files, sizeof *r->files))) {
        free(r);
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    r->bus = bus;
    r->speed = cfg->speed;
    odz_strlcpy(r->tz, cfg->tz ? cfg->tz : "", sizeof r->tz);
    for (size_t i = 0; i < cfg->n_files; i++) {
        rfile *f = &r->files[r->n_files++];
        f->path = cfg->files[i];
        if (!(f->arena = odz_json_arena_new(0))) {
            odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
            replay_free(r);
            return NULL;
        }
        if (odz_bf_history_open(f->path, &f->h, err, ODZ_ERRLEN)) {
            replay_free(r);
            return NULL;
        }
        load_catalogues(r, f->path);
        advance(r, f);
    }
    if (!(r->pipe = odz_send_pipe_new(bus, REPLAY_SOURCE, true, sent, r, err))) {
        replay_free(r);
        return NULL;
    }
    if (odz_thread_start(&r->thread, &r->done_mu, &r->done_cv, play, r)) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "cannot start the replay thread");
        replay_free(r);
        return NULL;
    }
    return r;
}

int odz_replay_speed_parse(const char *s, double *out)
{
    if (!strcmp(s, "max")) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !(d > 0) || d > 1e6)
        return ODZ_EINVAL;
    *out = d;
    return 0;
}

bool odz_replay_wait(odz_replay *r, int64_t ms)
{
    int64_t due = odz_mono_ms() + ms;
    pthread_mutex_lock(&r->done_mu);
    while (!r->done && odz_cond_wait_until(&r->done_cv, &r->done_mu, due) != ETIMEDOUT)
        ;
    bool done = r->done;
    pthread_mutex_unlock(&r->done_mu);
    return done;
}

void odz_replay_stop(odz_replay *r, odz_replay_stats *stats)
{
    if (!r)
        return;
    atomic_store(&r->stop, true);
    pthread_join(r->thread, NULL);
    odz_send_pipe_drain(r->pipe); /* its stats are final once the send in flight is done */
    if (stats)
        *stats = r->stats;
    pthread_mutex_destroy(&r->done_mu);
    pthread_cond_destroy(&r->done_cv);
    replay_free(r);
}

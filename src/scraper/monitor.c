/* The scraper monitor on the bus: its status, its work queue in poll order, its last requests. */
#include "scraper/scraper_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "obs/source_metrics.h"

static void reply_json(odz_bus *bus, const odz_msg *m, json_t *j)
{
    char *t = odz_json_dumps(j);
    if (t)
        odz_bus_respond(bus, m, t, strlen(t));
    free(t);
    json_decref(j);
}

void odz__scraper_on_status(odz_bus *bus, const odz_msg *m, void *ud)
{
    odz_scraper *s = ud;
    pthread_mutex_lock(&s->lock);
    size_t due = 0, unresolved = 0, retrying = 0;
    int64_t now = odz_now();
    for (size_t i = 0; i < s->nq; i++) {
        const entry *e = &s->q[i];
        due += e->next_poll && e->next_poll <= now && !e->in_flight;
        unresolved += e->next_poll && e->start <= now;
        retrying += e->next_poll && e->failures > 0;
    }
    json_t *j =
        json_pack("{s:b,s:{s:b,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:I,s:{s:s,s:s},s:f}}", "ok", 1,
                  "data", "running", !s->stop, "source", s->base, "format", s->format, "started",
                  (json_int_t)s->started, "now", (json_int_t)now, "last_success",
                  (json_int_t)s->last_success, "next_schedule_poll", (json_int_t)s->sched_next,
                  "last_error", s->last_error, "scrapes_ok", (json_int_t)s->ok, "scrapes_failed",
                  (json_int_t)s->failed, "queue_length", (json_int_t)s->nq, "window", "from",
                  s->window_from, "to", s->window_to, "rate_per_second", s->rate);
    json_t *d = json_object_get(j, "data");
    json_object_set_new(d, "due", json_integer((json_int_t)due));
    json_object_set_new(d, "in_flight", json_integer(atomic_load(&s->inflight)));
    json_object_set_new(d, "max_in_flight", json_integer(s->max_inflight));
    json_object_set_new(d, "unresolved", json_integer((json_int_t)unresolved));
    json_object_set_new(d, "retrying", json_integer((json_int_t)retrying));
    json_object_set_new(d, "queue_overflow", json_integer((json_int_t)s->overflow));
    /* every source of this process (in `oddzy run` the exchange and the replay too) */
    json_t *sources = odz_srcstat_json();
    json_object_set_new(d, "sources", sources ? sources : json_array());
    pthread_mutex_unlock(&s->lock);
    reply_json(bus, m, j);
}

void odz__scraper_on_queue(odz_bus *bus, const odz_msg *m, void *ud)
{
    odz_scraper *s = ud;
    json_t *a = json_array();
    pthread_mutex_lock(&s->lock);
    size_t *ix = malloc((s->nq ? s->nq : 1) * sizeof *ix), n = 0;
    for (size_t i = 0; ix && i < s->nq; i++)
        if (s->q[i].next_poll)
            ix[n++] = i;
    order_ctx c = {s->q, odz_now()};
    if (ix)
        qsort_r(ix, n, sizeof *ix, odz__scraper_cmp_order, &c);
    for (size_t i = 0; i < n && i < 200; i++) {
        const entry *e = &s->q[ix[i]];
        json_array_append_new(
            a,
            json_pack("{s:s,s:s,s:I,s:s,s:I,s:I,s:i,s:b}", "race_key", e->key, "label", e->label,
                      "scheduled_start", (json_int_t)e->start, "status", odz_status_name(e->status),
                      "last_poll", (json_int_t)e->last_poll, "next_poll", (json_int_t)e->next_poll,
                      "failures", e->failures, "in_flight", e->in_flight));
    }
    pthread_mutex_unlock(&s->lock);
    free(ix);
    reply_json(bus, m, json_pack("{s:b,s:o}", "ok", 1, "data", a));
}

void odz__scraper_on_history(odz_bus *bus, const odz_msg *m, void *ud)
{
    odz_scraper *s = ud;
    json_t *a = json_array();
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nh; i++) { /* newest first */
        const hist *h = &s->h[(s->hpos + HISTORY - 1 - i) % HISTORY];
        json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:i,s:i,s:i,s:s}", "ts",
                                           (json_int_t)h->ts, "call", h->call, "path", h->path,
                                           "outcome", h->outcome, "http_status", h->http_status,
                                           "ms", h->ms, "races_changed", h->races_changed, "error",
                                           h->error));
    }
    pthread_mutex_unlock(&s->lock);
    reply_json(bus, m, json_pack("{s:b,s:o}", "ok", 1, "data", a));
}

/* Live updates: the module's lifecycle, configuration, topics, metrics, and the timers and
 * shutdown every transport's clients get. See live.h; the parts are listed in live_internal.h. */
#include "live/live_internal.h"
#include "core/err.h"
#include "http/sendbatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- topics ------------------------------------------------------------------------------ */

const live_topic *live_topic_named(const odz_live *lv, const char *name)
{
    for (int i = 0; i < lv->ntopics; i++)
        if (!strcmp(lv->topics[i].name, name))
            return &lv->topics[i];
    return NULL;
}

int live_nsp_index(const odz_live *lv, const char *name)
{
    for (int i = 0; i < lv->nnsps; i++)
        if (!strcmp(lv->nsps[i], name))
            return i;
    return -1;
}

/* A namespace or event name that goes into frames as it is: no quotes, escapes or controls. */
static int plain_text(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || s[i] == '"' || s[i] == '\\' || s[i] == ',' ||
            (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

int odz_live_add_topic(odz_live *lv, const odz_live_topic *d, char *err, size_t errlen)
{
    odz_sub_req probe = {.race_id = -1};
    if (!d->name || strlen(d->name) >= sizeof probe.topic || live_topic_named(lv, d->name))
        return odz_fail(err, errlen, ODZ_EINVAL, "topic name missing, too long or used already");
    for (const char *p = d->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
            return odz_fail(err, errlen, ODZ_EINVAL, "topic name: [a-z_] only");
    if (!d->subject || odz_subject_valid(d->subject, 1) || !plain_text(d->event, ODZ_SIO_EVENT_MAX) ||
        !plain_text(d->nsp, ODZ_SIO_NSP_MAX) || d->nsp[0] != '/')
        return odz_fail(err, errlen, ODZ_EINVAL, "topic %s: bad subject, event or namespace",
                        d->name);
    if (d->filter && (!d->filter->parse || !d->filter->match || !d->filter->decode))
        return odz_fail(err, errlen, ODZ_EINVAL, "topic %s: a filter needs parse, decode, match",
                        d->name);
    if (lv->ntopics == ODZ_LIVE_MAX_TOPICS)
        return odz_fail(err, errlen, ODZ_EFULL, "too many topics");
    int nsp = live_nsp_index(lv, d->nsp);
    if (nsp < 0) {
        if (lv->nnsps == LIVE_MAX_NSPS)
            return odz_fail(err, errlen, ODZ_EFULL, "too many namespaces");
        nsp = lv->nnsps++;
        snprintf(lv->nsps[nsp], sizeof lv->nsps[nsp], "%s", d->nsp);
    }
    live_topic *t = &lv->topics[lv->ntopics];
    memset(t, 0, sizeof *t);
    t->lv = lv;
    t->index = lv->ntopics;
    t->nsp = nsp;
    t->per_race = d->per_race;
    t->plain_default = d->plain_default;
    t->filter = d->filter;
    snprintf(t->name, sizeof t->name, "%s", d->name);
    snprintf(t->event, sizeof t->event, "%s", d->event);
    snprintf(t->subject, sizeof t->subject, "%s", d->subject);
    live_prefixes_set(&t->pre, d->nsp, d->event);
    if (live_resync_build(t, d->nsp))
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    t->sub_id = odz_bus_subscribe(lv->bus, d->subject, NULL, 65536, live_on_bus_event, t);
    if (t->sub_id <= 0) {
        live_frames_unref(&t->resync);
        return odz_fail(err, errlen, ODZ_EIO, "cannot subscribe to %s", d->subject);
    }
    lv->ntopics++;
    return 0;
}

/* The topics every API node serves. */
static const odz_live_topic builtin_topics[] = {
    {"prices", "race.*.price", "/prices", "updatePrice", 1, 1, NULL},
    {"racing", "race.*.updated", "/racing", "raceUpdated", 1, 1, NULL},
    {"odds", "race.*.odds", "/odds", "oddsUpdated", 1, 0, NULL},
    {"matcher", "odds.matcher", "/odds", "matcherRows", 0, 0, &live_matcher_filter},
    /* a runner's whole book on one exchange provider (3 deep, sizes, traded), per race */
    {"exchange", "race.*.exchange", "/odds", "exchangeUpdated", 1, 0, NULL},
};

/* ---- timers and shutdown ----------------------------------------------------------------- */

static void on_tick(void *ud, int loop)
{
    odz_live *lv = ud;
    clients_tick(&lv->loops[loop], odz_mono_ms());
}

static void on_shutdown(void *ud, int loop, const char *reason)
{
    odz_live *lv = ud;
    lstate *ls = &lv->loops[loop];
    while (ls->head.next != &ls->head) {
        client *c = ls->head.next;
        if (c->ops->shutdown)
            c->ops->shutdown(c, reason);
        else
            c->ops->close(c, 1001, reason);
    }
}

/* ---- metrics ----------------------------------------------------------------------------- */

static void collect(void *ud)
{
    odz_live *lv = ud;
    for (int i = 0; i < TR_N; i++)
        odz_metric_set(lv->m_conns[i], (double)atomic_load(&lv->n_conns[i]));
    odz_metric_set(lv->m_subs, (double)atomic_load(&lv->n_subs));
    odz_metric_set(lv->m_batch_writes, (double)odz_sendbatch_writes());
    odz_metric_set(lv->m_batch_submits, (double)odz_sendbatch_submits());
}

void odz_live_stats_get(odz_live *lv, odz_live_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->connections_socketio_ws = atomic_load(&lv->n_conns[TR_SIO_WS]);
    out->connections_socketio_polling = atomic_load(&lv->n_conns[TR_SIO_POLL]);
    out->connections_ws = atomic_load(&lv->n_conns[TR_WS]);
    out->connections_sse = atomic_load(&lv->n_conns[TR_SSE]);
    out->subscriptions = atomic_load(&lv->n_subs);
    for (int i = 0; i < TR_N; i++)
        out->pushed += (unsigned long)odz_metric_value(lv->m_pushed[i]);
    out->dropped_clients = (unsigned long)odz_metric_value(lv->m_dropped);
    out->coalesced = (unsigned long)odz_metric_value(lv->m_coalesced);
}

static void register_metrics(odz_live *lv)
{
    static const char *tl[TR_N] = {"transport=\"socketio_websocket\"",
                                   "transport=\"socketio_polling\"", "transport=\"websocket\"",
                                   "transport=\"sse\""};
    for (int i = 0; i < TR_N; i++) {
        lv->m_conns[i] = odz_gauge("oddzy_live_connections", "Live clients connected", tl[i]);
        lv->m_pushed[i] = odz_counter("oddzy_live_messages_pushed_total",
                                      "Event messages queued to live clients", tl[i]);
    }
    lv->m_subs = odz_gauge("oddzy_live_subscriptions", "Rooms joined by live clients", NULL);
    lv->m_dropped = odz_counter("oddzy_live_clients_dropped_total",
                                "Live clients disconnected because their queue overflowed "
                                "(they could not keep up)",
                                NULL);
    lv->m_coalesced = odz_counter("oddzy_live_messages_coalesced_total",
                                  "Messages that replaced an older state still queued for a slow "
                                  "client (sent once instead of twice)",
                                  NULL);
    lv->m_events = odz_counter("oddzy_live_events_total", "Bus events fanned out to live clients",
                               NULL);
    lv->m_unheard = odz_counter("oddzy_live_events_unheard_total",
                                "Bus events no live client was subscribed to (not encoded)", NULL);
    lv->m_resyncs = odz_counter("oddzy_live_resyncs_total",
                                "Resync messages posted to an event loop for a topic's clients "
                                "because events of the topic were lost on their way (they fetch "
                                "again what they show)",
                                NULL);
    lv->m_batch_writes = odz_counter("oddzy_live_batched_writes_total",
                                     "WebSocket writes sent through the io_uring batch (many "
                                     "connections' writes in one system call)",
                                     NULL);
    lv->m_batch_submits = odz_counter("oddzy_live_batch_submits_total",
                                      "System calls that sent a batch of WebSocket writes", NULL);
    odz_metrics_on_collect(collect, lv);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void config_defaults(odz_live_config *c)
{
    if (c->ping_interval_ms <= 0)
        c->ping_interval_ms = 25000;
    if (c->ping_timeout_ms <= 0)
        c->ping_timeout_ms = 20000;
    if (!c->max_queued)
        c->max_queued = 512 * 1024;
    if (!c->max_payload)
        c->max_payload = 64 * 1024;
    if (c->max_subscriptions <= 0)
        c->max_subscriptions = 64;
    if (c->sse_heartbeat_ms <= 0)
        c->sse_heartbeat_ms = 15000;
    if (c->max_sessions <= 0)
        c->max_sessions = 20000;
}

odz_live *odz_live_new(odz_bus *bus, odz_http_server *srv, const odz_live_config *cfg, char *err,
                       size_t errlen)
{
    odz_live *lv = calloc(1, sizeof(*lv));
    if (!lv) {
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    lv->bus = bus;
    lv->srv = srv;
    if (cfg)
        lv->cfg = *cfg;
    config_defaults(&lv->cfg);
    lv->nloops = odz_http_nloops(srv);
    lv->loops = calloc((size_t)lv->nloops, sizeof(*lv->loops));
    if (!lv->loops) {
        free(lv);
        odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < lv->nloops; i++) {
        lv->loops[i].lv = lv;
        lv->loops[i].index = i;
        lv->loops[i].head.next = lv->loops[i].head.prev = &lv->loops[i].head;
        odz_wheel_init(&lv->loops[i].wheel, odz_mono_ms(), LIVE_TICK_MS);
    }
    snprintf(lv->nsps[0], sizeof lv->nsps[0], "/");
    lv->nnsps = 1;
    register_metrics(lv);

    int rc = 0;
    rc |= odz_http_route(srv, "GET", "/socket.io/", live_eio_handler, lv);
    rc |= odz_http_route(srv, "POST", "/socket.io/", live_eio_handler, lv);
    rc |= odz_http_route(srv, "GET", "/ws", live_ws_handler, lv);
    rc |= odz_http_route(srv, "GET", "/api/stream", live_sse_handler, lv);
    rc |= odz_http_every(srv, LIVE_TICK_MS, on_tick, lv);
    rc |= odz_http_on_shutdown(srv, on_shutdown, lv);
    if (rc) {
        odz_fail(err, errlen, ODZ_ESTATE, "cannot register live routes");
        odz_live_free(lv);
        return NULL;
    }
    for (size_t i = 0; i < sizeof builtin_topics / sizeof *builtin_topics; i++)
        if (odz_live_add_topic(lv, &builtin_topics[i], err, errlen) != 0) {
            odz_live_free(lv);
            return NULL;
        }
    return lv;
}

void odz_live_detach(odz_live *lv)
{
    if (!lv)
        return;
    for (int i = 0; i < lv->ntopics; i++)
        if (lv->topics[i].sub_id > 0) {
            odz_bus_unsubscribe(lv->bus, lv->topics[i].sub_id);
            lv->topics[i].sub_id = 0;
        }
}

void odz_live_free(odz_live *lv)
{
    if (!lv)
        return;
    odz_live_detach(lv);
    odz_metrics_off_collect(collect, lv);
    for (int i = 0; i < lv->nloops; i++) {
        lstate *ls = &lv->loops[i];
        /* normally empty after the server's shutdown; free what a loop that never ran has */
        while (ls->head.next != &ls->head) {
            client *c = ls->head.next;
            client_detach(c);
            if (c->ops->orphan)
                c->ops->orphan(c);
        }
        for (int b = 0; b < LIVE_ROOM_BUCKETS; b++)
            while (ls->rooms[b]) {
                room *r = ls->rooms[b];
                ls->rooms[b] = r->next;
                free(r->v);
                free(r);
            }
        free(ls->flushq);
    }
    for (int i = 0; i < lv->ntopics; i++)
        live_frames_unref(&lv->topics[i].resync);
    free(lv->loops);
    free(lv);
}

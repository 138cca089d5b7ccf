/* Fan-out: a bus event becomes one live_event, its bytes built once per transport framing from
 * the payload as it came (never parsed: the coalescing key is the bus message's), posted to
 * every loop, and queued there for each client of the rooms it concerns. */
#include "live/live_internal.h"
#include "core/err.h"
#include "core/grow.h"
#include "core/hash.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MASK_CACHE 32 /* distinct row sets rendered per event and loop, shared by clients */

void live_frames_unref(live_frames *f)
{
    odz_buf_unref(f->sio_raw);
    odz_buf_unref(f->sio_frame);
    odz_buf_unref(f->ws_frame);
    odz_buf_unref(f->sse);
    memset(f, 0, sizeof *f);
}

static void event_unref(live_event *ev)
{
    if (atomic_fetch_sub(&ev->refs, 1) != 1)
        return;
    live_frames_unref(&ev->f);
    if (ev->decoded && ev->t->filter->free_decoded)
        ev->t->filter->free_decoded(ev->decoded);
    free(ev);
}

static int frames_build(const live_prefixes *p, const char *data, size_t len, live_frames *f);

/* ---- on a loop --------------------------------------------------------------------------- */

struct event_post {
    live_event *ev;
    lstate *ls;
};

/* The frames of the rows `mask` of a row event: rendered once per distinct mask in this pass
 * over the loop's rooms (cache), NULL when they cannot be built. */
struct mask_cache {
    size_t n;
    uint64_t mask[MASK_CACHE];
    live_frames f[MASK_CACHE];
    live_frames spill; /* beyond MASK_CACHE: built for one client at a time */
};

static const live_frames *frames_of_mask(const live_event *ev, uint64_t mask,
                                         struct mask_cache *mc)
{
    for (size_t i = 0; i < mc->n; i++)
        if (mc->mask[i] == mask)
            return &mc->f[i];
    char *out = NULL;
    size_t len = 0;
    if (ev->t->filter->render(ev->decoded, mask, &out, &len) != 0)
        return NULL;
    if (!out)
        return &ev->f; /* the payload as it came */
    live_frames *f = mc->n < MASK_CACHE ? &mc->f[mc->n] : &mc->spill;
    live_frames_unref(&mc->spill);
    int rc = len && len <= LIVE_MAX_EVENT ? frames_build(&ev->t->pre, out, len, f) : ODZ_EINVAL;
    free(out);
    if (rc)
        return NULL;
    if (f != &mc->spill)
        mc->mask[mc->n++] = mask;
    return f;
}

static int deliver(client *c, void *filter, const live_event *ev, struct mask_cache *mc)
{
    if (c->seen_seq == ev->seq)
        return 0;
    const live_frames *f = &ev->f;
    if (filter) {
        uint64_t mask = ev->decoded ? ev->t->filter->match(filter, ev->decoded) : 0;
        if (ev->decoded && ev->t->filter->render)
            f = frames_of_mask(ev, mask, mc);
        else if (!mask)
            return 0;
        if (!f)
            return 0;
    }
    c->seen_seq = ev->seq;
    odz_live *lv = c->ls->lv;
    int rc = c->ops->send_event(c, ev, f);
    if (rc == 1) /* replaced an older state still waiting for this client */
        odz_metric_inc(lv->m_coalesced);
    else if (rc == 0)
        odz_metric_inc(lv->m_pushed[c->transport]);
    return rc < 0 ? rc : 0;
}

/* Clients found behind while delivering (dropped after the pass: dropping leaves rooms,
 * which would move the member arrays being walked). */
struct slow_list {
    client **v;
    size_t n, cap;
};

static void deliver_room(room *r, const live_event *ev, struct mask_cache *mc,
                         struct slow_list *slow)
{
    for (size_t i = 0; i < r->n; i++) {
        client *c = r->v[i].c;
        /* a resync goes to every member as it is: it carries no rows to filter */
        if (deliver(c, ev->resync ? NULL : r->v[i].filter, ev, mc) != ODZ_EFULL)
            continue;
        client **v = odz_grow(slow->v, slow->n, &slow->cap, sizeof *v, 8);
        if (!v)
            continue; /* not dropped now: it will be at its next event */
        slow->v = v;
        slow->v[slow->n++] = c;
    }
}

static void fanout_on_loop(void *arg)
{
    struct event_post *ep = arg;
    live_event *ev = ep->ev;
    lstate *ls = ep->ls;
    struct slow_list slow = {0};
    struct mask_cache mc;
    mc.n = 0;
    memset(&mc.spill, 0, sizeof mc.spill);
    if (ev->resync) {
        /* every room of the topic on this loop (rare: only after events were lost) */
        for (int b = 0; b < LIVE_ROOM_BUCKETS; b++)
            for (room *r = ls->rooms[b]; r; r = r->next)
                if (room_topic(r->key) == ev->t->index)
                    deliver_room(r, ev, &mc, &slow);
    } else {
        int64_t keys[2] = {room_key(ev->t, ev->race_id), room_key(ev->t, 0)};
        for (int k = 0; k < (ev->race_id ? 2 : 1); k++) {
            room *r = room_find(ls, keys[k], 0);
            if (r)
                deliver_room(r, ev, &mc, &slow);
        }
    }
    for (size_t i = 0; i < slow.n; i++)
        client_abort(slow.v[i]);
    free(slow.v);
    for (size_t i = 0; i < mc.n; i++)
        live_frames_unref(&mc.f[i]);
    live_frames_unref(&mc.spill);
    event_unref(ev);
    free(ep);
}

/* ---- on the bus thread ------------------------------------------------------------------- */

/* Subject race.<id>.x -> race id, or -1. */
static int64_t subject_race(const char *s)
{
    if (strncmp(s, "race.", 5))
        return -1;
    char *end;
    long long id = strtoll(s + 5, &end, 10);
    return id > 0 && *end == '.' ? id : -1;
}


/* The event's coalescing key: what the publisher said it is the newest state of (subject and
 * key), 0 when it did not say. Kept clear of the few keys websocket.c uses for its own frames
 * (pings and pongs, at the top of the range). */
static uint64_t coalescing_key(const char *subject, const char *key)
{
    uint64_t h = odz_hash_bytes(ODZ_HASH_SEED, subject, strlen(subject) + 1);
    h = odz_hash_bytes(h, key, strlen(key));
    h >>= 1;
    return h ? h : 1;
}

static uint64_t event_key(const odz_msg *msg)
{
    return msg->key && *msg->key ? coalescing_key(msg->subject, msg->key) : 0;
}

static odz_buf *concat3(const char *a, const char *b, size_t blen, const char *c)
{
    size_t la = strlen(a), lc = strlen(c);
    char *m = malloc(la + blen + lc);
    if (!m)
        return NULL;
    memcpy(m, a, la);
    memcpy(m + la, b, blen);
    memcpy(m + la + blen, c, lc);
    return odz_buf_take(m, la + blen + lc);
}

/* "event: name\ndata: payload\n\n"; a line break inside the payload (JSON whitespace) starts
 * another data line, which the client joins back with a line feed. */
static odz_buf *sse_bytes(const char *pre, const char *data, size_t len)
{
    if (!memchr(data, '\n', len) && !memchr(data, '\r', len))
        return concat3(pre, data, len, "\n\n");
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += data[i] == '\n' || data[i] == '\r';
    size_t lp = strlen(pre), cap = lp + len + lines * 6 + 2;
    char *m = malloc(cap), *o = m;
    if (!m)
        return NULL;
    memcpy(o, pre, lp);
    o += lp;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' || data[i] == '\r') {
            if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
                i++;
            memcpy(o, "\ndata: ", 7);
            o += 7;
        } else {
            *o++ = data[i];
        }
    }
    *o++ = '\n';
    *o++ = '\n';
    return odz_buf_take(m, (size_t)(o - m));
}

/* The payload's bytes as they came, inside each framing. 0 or ODZ_ENOMEM. */
static int frames_build(const live_prefixes *p, const char *data, size_t len, live_frames *f)
{
    memset(f, 0, sizeof *f);
    f->sio_raw = concat3(p->sio, data, len, "]");
    odz_buf *wtxt = concat3(p->ws, data, len, "}");
    f->sse = sse_bytes(p->sse, data, len);
    if (f->sio_raw)
        f->sio_frame = odz_ws_frame_text(odz_buf_data(f->sio_raw), odz_buf_len(f->sio_raw));
    if (wtxt)
        f->ws_frame = odz_ws_frame_text(odz_buf_data(wtxt), odz_buf_len(wtxt));
    odz_buf_unref(wtxt);
    if (!f->sio_raw || !f->sio_frame || !f->ws_frame || !f->sse) {
        live_frames_unref(f);
        return ODZ_ENOMEM;
    }
    return 0;
}

void live_prefixes_set(live_prefixes *p, const char *nsp, const char *event)
{
    if (strcmp(nsp, "/"))
        snprintf(p->sio, sizeof p->sio, "42%s,[\"%s\",", nsp, event);
    else
        snprintf(p->sio, sizeof p->sio, "42[\"%s\",", event);
    snprintf(p->ws, sizeof p->ws, "{\"type\":\"%s\",\"data\":", event);
    snprintf(p->sse, sizeof p->sse, "event: %s\ndata: ", event);
}

int live_resync_build(live_topic *t, const char *nsp)
{
    live_prefixes p;
    live_prefixes_set(&p, nsp, LIVE_RESYNC_EVENT);
    char data[64];
    int n = snprintf(data, sizeof data, "{\"topic\":\"%s\"}", t->name);
    t->resync_key = coalescing_key(LIVE_RESYNC_EVENT, t->name); /* one queued a client at most */
    return frames_build(&p, data, (size_t)n, &t->resync);
}

/* Each loop's clients of topic t may have missed an event: owe them the topic's resync. */
static void owe_resync(odz_live *lv, const live_topic *t, int loop)
{
    for (int i = 0; i < lv->nloops; i++)
        if (loop < 0 || i == loop)
            atomic_store(&lv->loops[i].resync_owed[t->index], true);
}

/* Posts t's resync to every loop owed one; a loop that cannot take it now stays owed (the
 * topic's next event tries again). Keyed, so a client with one still queued keeps one. */
static void pay_resyncs(odz_live *lv, const live_topic *t)
{
    for (int i = 0; i < lv->nloops; i++) {
        atomic_bool *owed = &lv->loops[i].resync_owed[t->index];
        if (!atomic_load(owed) || !atomic_exchange(owed, false))
            continue;
        live_event *ev = calloc(1, sizeof(*ev));
        struct event_post *ep = ev ? malloc(sizeof(*ep)) : NULL;
        if (!ep) {
            free(ev);
            atomic_store(owed, true);
            return;
        }
        atomic_init(&ev->refs, 1);
        ev->t = t;
        ev->resync = 1;
        ev->seq = atomic_fetch_add(&lv->seq, 1) + 1;
        ev->key = t->resync_key;
        ev->f = t->resync; /* the topic's bytes, shared: each one referenced once more */
        odz_buf_ref(ev->f.sio_raw);
        odz_buf_ref(ev->f.sio_frame);
        odz_buf_ref(ev->f.ws_frame);
        odz_buf_ref(ev->f.sse);
        ep->ev = ev;
        ep->ls = &lv->loops[i];
        if (odz_http_call(lv->srv, i, fanout_on_loop, ep) != 0) {
            free(ep);
            event_unref(ev);
            atomic_store(owed, true);
            continue;
        }
        odz_metric_inc(lv->m_resyncs);
    }
}

void live_on_bus_event(odz_bus *bus, const odz_msg *msg, void *ud)
{
    live_topic *t = ud;
    odz_live *lv = t->lv;
    int64_t race = 0;
    /* events of this topic were dropped before they reached us: nobody knows whose */
    if (msg->missed)
        owe_resync(lv, t, -1);
    pay_resyncs(lv, t);
    if (t->per_race && (race = subject_race(msg->subject)) <= 0)
        return;
    if (msg->len == 0 || msg->len > LIVE_MAX_EVENT)
        return;
    /* Nobody in the race's rooms on any loop: nothing to encode or post (a client joining
     * now gets the next event, as one whose join reached its loop after this event would). */
    if (!room_heard(lv, t, race)) {
        odz_metric_inc(lv->m_unheard);
        return;
    }
    live_event *ev = calloc(1, sizeof(*ev));
    if (!ev) {
        owe_resync(lv, t, -1);
        return;
    }
    atomic_init(&ev->refs, 1);
    ev->t = t;
    ev->race_id = race;
    ev->seq = atomic_fetch_add(&lv->seq, 1) + 1;
    ev->key = event_key(msg);
    if (t->filter && t->filter->decode)
        ev->decoded = t->filter->decode(msg->data, msg->len);
    if (frames_build(&t->pre, msg->data, msg->len, &ev->f) != 0) {
        event_unref(ev);
        owe_resync(lv, t, -1);
        return;
    }
    odz_metric_inc(lv->m_events);
    for (int i = 0; i < lv->nloops; i++) {
        struct event_post *ep = malloc(sizeof(*ep));
        if (ep) {
            ep->ev = ev;
            ep->ls = &lv->loops[i];
            atomic_fetch_add(&ev->refs, 1);
            if (odz_http_call(lv->srv, i, fanout_on_loop, ep) == 0)
                continue;
            atomic_fetch_sub(&ev->refs, 1);
            free(ep);
        }
        owe_resync(lv, t, i); /* this loop's clients did not get it */
    }
    event_unref(ev);
}

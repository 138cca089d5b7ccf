/* The part of a live client every transport shares (the loop's list, counts, dropping a slow
 * one), rooms, and subscribing to topics. Loop thread only. */
#include "live/live_internal.h"
#include "core/err.h"
#include "core/grow.h"
#include "obs/log.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- clients ----------------------------------------------------------------------------- */

static const char *const transport_labels[TR_N] = {"socketio_ws", "socketio_polling", "ws", "sse"};

const char *live_transport_label(int transport)
{
    return transport >= 0 && transport < TR_N ? transport_labels[transport] : "?";
}

void client_init(client *c, lstate *ls, const struct client_ops *ops, int transport)
{
    c->ls = ls;
    c->ops = ops;
    c->transport = transport;
    c->last_ping = odz_mono_ms();
    c->next = ls->head.next;
    c->prev = &ls->head;
    ls->head.next->prev = c;
    ls->head.next = c;
    odz_wheel_put(&ls->wheel, &c->timer, c->last_ping);
    atomic_fetch_add(&ls->lv->n_conns[transport], 1);
}

void client_due(client *c, int64_t at_ms)
{
    if (!c->detached)
        odz_wheel_sooner(&c->ls->wheel, &c->timer, at_ms);
}

void clients_tick(lstate *ls, int64_t now_ms)
{
    odz_wheel_link list;
    odz_wheel_list_init(&list);
    odz_wheel_take(&ls->wheel, now_ms, &list);
    /* (a tick that closes its client unlinks it; one closing another would too) */
    for (odz_wheel_link *e; (e = odz_wheel_pop(&ls->wheel, &list, now_ms));) {
        client *c = (client *)((char *)e - offsetof(client, timer));
        int64_t next = c->ops->tick(c, now_ms);
        if (next) /* (one due by now already goes to the next tick) */
            odz_wheel_put(&ls->wheel, &c->timer, next);
    }
}

void client_set_transport(client *c, int transport)
{
    if (!c->detached) {
        atomic_fetch_sub(&c->ls->lv->n_conns[c->transport], 1);
        atomic_fetch_add(&c->ls->lv->n_conns[transport], 1);
    }
    c->transport = transport;
}

void client_detach(client *c)
{
    if (c->detached)
        return;
    c->detached = 1;
    while (c->nsubs)
        client_leave(c, c->subs[c->nsubs - 1]);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    odz_wheel_remove(&c->timer);
    atomic_fetch_sub(&c->ls->lv->n_conns[c->transport], 1);
    if (c->ops->release)
        c->ops->release(c);
}

void client_base_free(client *c)
{
    free(c->subs);
    c->subs = NULL;
}

void client_abort(client *c)
{
    odz_live *lv = c->ls->lv;
    odz_metric_inc(lv->m_dropped);
    odz_log_kv(ODZ_LOG_INFO, "live client dropped: not reading", "transport",
               live_transport_label(c->transport), NULL);
    client_detach(c);
    c->ops->abort(c);
}

/* ---- rooms ------------------------------------------------------------------------------- */

int64_t room_key(const live_topic *t, int64_t race_id)
{
    return race_id * ODZ_LIVE_MAX_TOPICS + t->index;
}

int room_topic(int64_t key)
{
    return (int)(key % ODZ_LIVE_MAX_TOPICS);
}

static const live_topic *topic_of_key(const odz_live *lv, int64_t key)
{
    return &lv->topics[room_topic(key)];
}

/* A room key's top `bits` bits after a multiplicative mix: rooms' buckets and member slots. */
static size_t key_hash(int64_t key, unsigned bits)
{
    return (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull >> (64 - bits));
}

static size_t room_bucket(int64_t key)
{
    return key_hash(key, 10) % LIVE_ROOM_BUCKETS;
}

room *room_find(lstate *ls, int64_t key, int create)
{
    size_t b = room_bucket(key);
    for (room *r = ls->rooms[b]; r; r = r->next)
        if (r->key == key)
            return r;
    if (!create)
        return NULL;
    room *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->key = key;
    r->next = ls->rooms[b];
    ls->rooms[b] = r;
    return r;
}

static atomic_int *member_slot(odz_live *lv, int64_t key)
{
    return &lv->members[key_hash(key, 12) % LIVE_MEMBER_SLOTS];
}

int room_heard(odz_live *lv, const live_topic *t, int64_t race_id)
{
    return atomic_load(member_slot(lv, room_key(t, race_id))) > 0 ||
           (race_id && atomic_load(member_slot(lv, room_key(t, 0))) > 0);
}

static void room_drop_if_empty(lstate *ls, room *r)
{
    if (r->n)
        return;
    for (room **pp = &ls->rooms[room_bucket(r->key)]; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            free(r->v);
            free(r);
            return;
        }
}

static void filter_free(const odz_live *lv, int64_t key, void *filter)
{
    const live_topic *t = topic_of_key(lv, key);
    if (filter && t->filter && t->filter->free_state)
        t->filter->free_state(filter);
}

int client_join(client *c, int64_t key, void *filter)
{
    odz_live *lv = c->ls->lv;
    int rc = 0;
    if (c->detached) {
        rc = ODZ_ECLOSED;
        goto fail;
    }
    for (int i = 0; i < c->nsubs; i++)
        if (c->subs[i] == key) {
            /* joined already: the newer filter replaces the older one */
            room *r = room_find(c->ls, key, 0);
            for (size_t k = 0; r && k < r->n; k++)
                if (r->v[k].c == c) {
                    filter_free(lv, key, r->v[k].filter);
                    r->v[k].filter = filter;
                    return 0;
                }
            rc = ODZ_ESTATE; /* (a member without its room: cannot happen) */
            goto fail;
        }
    if (c->nsubs >= lv->cfg.max_subscriptions) {
        rc = ODZ_EFULL;
        goto fail;
    }
    room *r = room_find(c->ls, key, 1);
    if (!r) {
        rc = ODZ_ENOMEM;
        goto fail;
    }
    room_member *v = odz_grow(r->v, r->n, &r->cap, sizeof *v, 8);
    if (!v) {
        room_drop_if_empty(c->ls, r);
        rc = ODZ_ENOMEM;
        goto fail;
    }
    r->v = v;
    int64_t *s = realloc(c->subs, (size_t)(c->nsubs + 1) * sizeof(*s));
    if (!s) {
        room_drop_if_empty(c->ls, r);
        rc = ODZ_ENOMEM;
        goto fail;
    }
    c->subs = s;
    c->subs[c->nsubs++] = key;
    r->v[r->n++] = (room_member){c, filter};
    atomic_fetch_add(&lv->n_subs, 1);
    atomic_fetch_add(member_slot(lv, key), 1);
    return 0;
fail:
    filter_free(lv, key, filter);
    return rc;
}

void client_leave(client *c, int64_t key)
{
    int i;
    for (i = 0; i < c->nsubs && c->subs[i] != key; i++)
        ;
    if (i == c->nsubs)
        return;
    c->subs[i] = c->subs[--c->nsubs];
    atomic_fetch_sub(&c->ls->lv->n_subs, 1);
    atomic_fetch_sub(member_slot(c->ls->lv, key), 1);
    room *r = room_find(c->ls, key, 0);
    if (!r)
        return;
    for (size_t k = 0; k < r->n; k++)
        if (r->v[k].c == c) {
            filter_free(c->ls->lv, key, r->v[k].filter);
            r->v[k] = r->v[--r->n];
            break;
        }
    room_drop_if_empty(c->ls, r);
}

void client_leave_nsp(client *c, int nsp)
{
    for (int i = c->nsubs - 1; i >= 0; i--)
        if (topic_of_key(c->ls->lv, c->subs[i])->nsp == nsp)
            client_leave(c, c->subs[i]);
}

/* ---- subscribing ------------------------------------------------------------------------- */

/* The words go into JSON strings as they are: no quotes, backslashes or control bytes. */
static void plain_words(char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
            *s = '\'';
}

/* The topics a request names: its own, or the default of the namespace (Socket.IO) or of
 * plain clients. Returns how many (0: none). */
static int topics_of(const odz_live *lv, int nsp, const odz_sub_req *req, const live_topic **out)
{
    if (req->topic[0]) {
        const live_topic *t = live_topic_named(lv, req->topic);
        if (!t || (nsp >= 0 && t->nsp != nsp))
            return 0;
        out[0] = t;
        return 1;
    }
    int n = 0;
    for (int i = 0; i < lv->ntopics; i++) {
        const live_topic *t = &lv->topics[i];
        if (nsp >= 0 ? t->nsp == nsp : t->plain_default) {
            out[n++] = t;
            if (nsp >= 0)
                break; /* a namespace's first topic */
        }
    }
    return n;
}

int live_subscribe(client *c, int nsp, const odz_sub_req *req, const char **code, char *err,
                   size_t errlen)
{
    odz_live *lv = c->ls->lv;
    const live_topic *ts[ODZ_LIVE_MAX_TOPICS];
    int n = topics_of(lv, nsp, req, ts);
    if (n == 0) {
        *code = "unknown_topic";
        snprintf(err, errlen, "unknown topic");
        return ODZ_ENOTFOUND;
    }
    for (int i = 0; i < n; i++)
        if (ts[i]->per_race && req->race_id < 0) {
            *code = "bad_request";
            snprintf(err, errlen, "expected {race_id: a race id or all}");
            return ODZ_EINVAL;
        }
    for (int i = 0; i < n; i++) {
        void *state = NULL;
        if (ts[i]->filter && ts[i]->filter->parse) {
            char why[160] = "";
            if (ts[i]->filter->parse(req->filter, &state, why, sizeof why) != 0) {
                *code = "bad_filter";
                snprintf(err, errlen, "bad filter: %s", why[0] ? why : "not understood");
                plain_words(err);
                return ODZ_EINVAL;
            }
        } else if (req->filter) {
            *code = "bad_filter";
            snprintf(err, errlen, "topic %s takes no filter", ts[i]->name);
            return ODZ_EINVAL;
        }
        int rc = client_join(c, room_key(ts[i], ts[i]->per_race ? req->race_id : 0), state);
        if (rc) {
            *code = rc == ODZ_EFULL ? "too_many_subscriptions" : "internal";
            snprintf(err, errlen, "%s", rc == ODZ_EFULL ? "too many subscriptions" : "out of memory");
            return rc;
        }
    }
    return 0;
}

int live_unsubscribe(client *c, int nsp, const odz_sub_req *req)
{
    const live_topic *ts[ODZ_LIVE_MAX_TOPICS];
    int n = topics_of(c->ls->lv, nsp, req, ts);
    if (n == 0)
        return ODZ_ENOTFOUND;
    for (int i = 0; i < n; i++) {
        if (ts[i]->per_race && req->race_id < 0)
            return ODZ_EINVAL;
        client_leave(c, room_key(ts[i], ts[i]->per_race ? req->race_id : 0));
    }
    return 0;
}

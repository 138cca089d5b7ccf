/* In-process bus: a delivery thread and two bounded lanes (requests, events; keyed events
 * coalesce) per subscription; a message is allocated once, refcounted, and shared by every
 * subscriber it reaches. */
#include "bus/bus.h"
#include "bus/bus_internal.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/wait.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct qmsg {
    atomic_int refs;
    char *subject, *reply, *corr;
    char *key;     /* coalescing key or NULL */
    uint64_t hash; /* of subject and key, when keyed */
    size_t len;
    char data[]; /* len bytes + NUL */
} qmsg;

typedef struct qnode {
    struct qnode *next;
    struct qnode *hnext; /* chain of keyed nodes in the subscription's key table */
    qmsg *m;
} qnode;

/* One FIFO of a subscription: requests (with a reply subject) or events. */
typedef struct lane {
    qnode *head, *tail;
    size_t n;
} lane;

enum { LANE_REQ, LANE_EV };

typedef struct sub {
    struct sub *next;
    int64_t id;
    char pattern[ODZ_SUBJECT_MAX];
    char group[ODZ_BUS_GROUP_MAX];
    odz_bus_handler handler;
    void *ud;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    lane lanes[2];
    size_t cap;      /* per lane */
    int turn;        /* lane served last, so the other goes next when both wait */
    qnode **keys;    /* keyed nodes waiting in the event lane, by hash; NULL until needed */
    size_t nbuckets; /* power of two */
    uint64_t missed; /* events dropped since the last delivery */
    bool closing;
    bool detached; /* unsubscribed from its own handler: the thread frees the sub */
    bool held;     /* events queued in a batch (odz_bus_batch_begin), its thread not woken */
    struct inproc *bus;
} sub;

static void sub_free(sub *s);

typedef struct waiter {
    struct waiter *next;
    char subject[ODZ_SUBJECT_MAX];
    pthread_cond_t cond;
    bool done;
    char *data;
    size_t len;
} waiter;

typedef struct inproc {
    odz_bus base;
    pthread_mutex_t lock; /* guards subs, waiters, closed */
    sub *subs;
    waiter *waiters;
    int64_t next_id;
    bool closed;
    atomic_uint_fast64_t published, delivered, dropped, coalesced, rejected, rr, inbox_seq;
} inproc;

#define IP(b) ((inproc *)(b))

/* ---- subjects ---- */

int odz_subject_valid(const char *s, int allow_wild)
{
    if (!s || !*s)
        return ODZ_EINVAL;
    size_t n = strlen(s);
    if (n >= ODZ_SUBJECT_MAX)
        return ODZ_EINVAL;
    const char *tok = s;
    for (size_t i = 0; i <= n; i++) {
        if (s[i] == '.' || s[i] == '\0') {
            size_t tl = (size_t)(s + i - tok);
            if (tl == 0)
                return ODZ_EINVAL; /* empty token */
            if (tok[0] == '*' || tok[0] == '>') {
                if (!allow_wild || tl != 1)
                    return ODZ_EINVAL;
                if (tok[0] == '>' && s[i] != '\0')
                    return ODZ_EINVAL; /* '>' only last */
            }
            tok = s + i + 1;
        } else if (s[i] <= ' ' || s[i] == 0x7f) {
            return ODZ_EINVAL;
        } else if ((s[i] == '*' || s[i] == '>') && tok != s + i) {
            return ODZ_EINVAL; /* wildcard inside a token */
        }
    }
    return 0;
}

int odz_subject_match(const char *p, const char *s)
{
    while (*p && *s) {
        const char *pe = strchr(p, '.'), *se = strchr(s, '.');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t sl = se ? (size_t)(se - s) : strlen(s);
        if (pl == 1 && *p == '>')
            return 1;
        if (!(pl == 1 && *p == '*') && (pl != sl || memcmp(p, s, pl) != 0))
            return 0;
        if (!pe || !se)
            return !pe && !se;
        p = pe + 1;
        s = se + 1;
    }
    return 0;
}

/* ---- messages ---- */

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static qmsg *qmsg_new(const char *subject, const char *reply, const char *key, const void *data,
                      size_t len, const char *corr)
{
    qmsg *m = malloc(sizeof *m + len + 1);
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    m->subject = strdup(subject);
    m->reply = dup_or_null(reply);
    m->corr = dup_or_null(corr);
    m->key = dup_or_null(key);
    m->hash = m->key && m->subject ? fnv(fnv(1469598103934665603ULL, m->subject), m->key) : 0;
    m->len = len;
    if (len)
        memcpy(m->data, data, len);
    m->data[len] = '\0';
    if (!m->subject || (reply && *reply && !m->reply) || (corr && *corr && !m->corr) ||
        (key && *key && !m->key)) {
        free(m->subject);
        free(m->reply);
        free(m->corr);
        free(m->key);
        free(m);
        return NULL;
    }
    return m;
}

static void qmsg_unref(qmsg *m)
{
    if (atomic_fetch_sub(&m->refs, 1) == 1) {
        free(m->subject);
        free(m->reply);
        free(m->corr);
        free(m->key);
        free(m);
    }
}

static bool same_key(const qmsg *a, const qmsg *b)
{
    return a->hash == b->hash && !strcmp(a->key, b->key) && !strcmp(a->subject, b->subject);
}

/* The keyed node waiting in s's event lane with m's subject and key, or NULL. s->lock held. */
static qnode **key_slot(sub *s, const qmsg *m)
{
    qnode **pp = &s->keys[m->hash & (s->nbuckets - 1)];
    while (*pp && !same_key((*pp)->m, m))
        pp = &(*pp)->hnext;
    return pp;
}

typedef enum { Q_OK, Q_COALESCED, Q_FULL } qresult;

/* odz_bus_batch_begin depth of this thread, and the bus of its outermost batch: this
 * thread's events on that bus do not wake their subscribers until the depth is 0 again */
static _Thread_local int batch_depth;
static _Thread_local struct inproc *batch_bus;

/* Queue m on s: a request in the request lane, an event in the event lane, where a keyed
 * event replaces a waiting one with the same key. Q_FULL when the lane is full or the
 * subscription is closing. */
static qresult enqueue(sub *s, qmsg *m)
{
    lane *l = &s->lanes[m->reply ? LANE_REQ : LANE_EV];
    bool keyed = m->key && !m->reply;
    qnode *n = malloc(sizeof *n);
    qmsg *old = NULL;
    qresult r = Q_OK;
    pthread_mutex_lock(&s->lock);
    if (keyed && !s->keys && !s->closing) {
        size_t nb = 64;
        while (nb < s->cap && nb < 4096)
            nb <<= 1;
        if ((s->keys = calloc(nb, sizeof *s->keys)))
            s->nbuckets = nb;
    }
    qnode **slot = keyed && s->keys ? key_slot(s, m) : NULL;
    if (s->closing) {
        r = Q_FULL;
    } else if (slot && *slot) {
        old = (*slot)->m; /* the newer state takes the older one's place in the lane */
        atomic_fetch_add(&m->refs, 1);
        (*slot)->m = m;
        r = Q_COALESCED;
    } else if (l->n >= s->cap || !n) {
        r = Q_FULL;
    } else {
        atomic_fetch_add(&m->refs, 1);
        n->m = m;
        n->next = NULL;
        n->hnext = NULL;
        if (slot)
            *slot = n;
        if (l->tail)
            l->tail->next = n;
        else
            l->head = n;
        l->tail = n;
        l->n++;
        n = NULL;
        if (batch_depth > 0 && batch_bus == s->bus && !m->reply)
            s->held = true; /* woken once, at the batch's end */
        else
            pthread_cond_signal(&s->cond);
    }
    pthread_mutex_unlock(&s->lock);
    free(n);
    if (old)
        qmsg_unref(old);
    return r;
}

/* Next node to deliver: the lanes take turns when both wait. s->lock held, a lane non-empty. */
static qnode *dequeue(sub *s)
{
    int which = s->lanes[LANE_REQ].head && s->lanes[LANE_EV].head ? !s->turn
                : s->lanes[LANE_REQ].head                         ? LANE_REQ
                                                                  : LANE_EV;
    s->turn = which;
    lane *l = &s->lanes[which];
    qnode *n = l->head;
    l->head = n->next;
    if (!l->head)
        l->tail = NULL;
    l->n--;
    if (which == LANE_EV && n->m->key && s->keys) {
        qnode **pp = key_slot(s, n->m);
        if (*pp == n)
            *pp = n->hnext;
    }
    return n;
}

static void *deliver_loop(void *arg)
{
    sub *s = arg;
    odz_thread_name("odz-bus");
    inproc *b = s->bus;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->lanes[LANE_REQ].head && !s->lanes[LANE_EV].head && !s->closing)
            pthread_cond_wait(&s->cond, &s->lock);
        if (s->closing) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        qnode *n = dequeue(s);
        uint64_t missed = s->missed;
        s->missed = 0;
        pthread_mutex_unlock(&s->lock);
        odz_msg msg = {
            n->m->subject, n->m->reply, n->m->data, n->m->len, n->m->corr ? n->m->corr : "",
            missed, n->m->key && *n->m->key ? n->m->key : NULL};
        s->handler(&b->base, &msg, s->ud);
        atomic_fetch_add(&b->delivered, 1);
        qmsg_unref(n->m);
        free(n);
    }
    pthread_mutex_lock(&s->lock);
    bool self_free = s->detached;
    pthread_mutex_unlock(&s->lock);
    if (self_free)
        sub_free(s);
    return NULL;
}

/* ---- publish ---- */

/* s lost an event: its next delivery says so. */
static void note_missed(sub *s)
{
    pthread_mutex_lock(&s->lock);
    s->missed++;
    pthread_mutex_unlock(&s->lock);
}

/* Deliver to matching subscribers: all plain ones, one member per queue group.
 * Returns the number of subscriptions reached; *full counts those that refused it (a dropped
 * event, or a refused request). */
static int route(inproc *b, qmsg *m, int *full)
{
    int reached = 0, coalesced = 0;
    *full = 0;
    pthread_mutex_lock(&b->lock);
    for (waiter *w = b->waiters; w; w = w->next)
        if (!w->done && strcmp(w->subject, m->subject) == 0) {
            w->data = malloc(m->len + 1);
            if (w->data) {
                memcpy(w->data, m->data, m->len + 1);
                w->len = m->len;
            }
            w->done = true;
            pthread_cond_signal(&w->cond);
            reached++;
        }
    /* groups: gather members per group name, pick one round-robin */
    const char *done_groups[64];
    int n_done = 0;
    for (sub *s = b->subs; s; s = s->next) {
        if (!odz_subject_match(s->pattern, m->subject))
            continue;
        if (!s->group[0]) {
            qresult r = enqueue(s, m);
            if (r == Q_FULL) {
                (*full)++;
                if (!m->reply)
                    note_missed(s);
            } else {
                reached++;
                coalesced += r == Q_COALESCED;
            }
            continue;
        }
        bool seen = false;
        for (int i = 0; i < n_done; i++)
            if (strcmp(done_groups[i], s->group) == 0)
                seen = true;
        if (seen || n_done == 64)
            continue;
        done_groups[n_done++] = s->group;
        sub *members[256];
        int nm = 0;
        for (sub *t = s; t && nm < 256; t = t->next)
            if (strcmp(t->group, s->group) == 0 && odz_subject_match(t->pattern, m->subject))
                members[nm++] = t;
        uint64_t start = atomic_fetch_add(&b->rr, 1);
        qresult r = Q_FULL;
        for (int i = 0; i < nm && r == Q_FULL; i++) /* a full member passes the message on */
            r = enqueue(members[(start + (uint64_t)i) % (uint64_t)nm], m);
        if (r != Q_FULL) {
            reached++;
            coalesced += r == Q_COALESCED;
            continue;
        }
        (*full)++;
        for (int i = 0; i < nm && !m->reply; i++) /* the group lost it: any member may care */
            note_missed(members[i]);
    }
    pthread_mutex_unlock(&b->lock);
    atomic_fetch_add(m->reply ? &b->rejected : &b->dropped, (uint64_t)*full);
    atomic_fetch_add(&b->coalesced, (uint64_t)coalesced);
    return reached;
}

/* Publish m (the caller's reference stays the caller's): 0, or ODZ_EFULL for a request that
 * every matching responder refused, ODZ_ENORESP for one that matched nobody. */
static int publish_msg(inproc *b, qmsg *m)
{
    int full;
    atomic_fetch_add(&b->published, 1);
    int reached = route(b, m, &full);
    if (!m->reply || reached)
        return 0;
    return full ? ODZ_EFULL : ODZ_ENORESP;
}

static int ip_send(odz_bus *bb, const char *subject, const char *reply, const char *key,
                   const void *data, size_t len, const char *corr)
{
    qmsg *m = qmsg_new(subject, reply, key, data, len, corr);
    if (!m)
        return ODZ_ENOMEM;
    int rc = publish_msg(IP(bb), m);
    qmsg_unref(m);
    return rc == ODZ_ENORESP ? 0 : rc; /* fire and forget: nobody listening is not an error */
}

/* ---- subscribe ---- */

static int64_t ip_subscribe(odz_bus *bb, const char *pattern, const char *group, size_t qlen,
                            odz_bus_handler h, void *ud)
{
    inproc *b = IP(bb);
    sub *s = calloc(1, sizeof *s);
    if (!s)
        return ODZ_ENOMEM;
    snprintf(s->pattern, sizeof s->pattern, "%s", pattern);
    snprintf(s->group, sizeof s->group, "%s", group ? group : "");
    s->handler = h;
    s->ud = ud;
    s->cap = qlen ? qlen : ODZ_BUS_QUEUE_DEFAULT;
    s->bus = b;
    if (odz_thread_start(&s->thread, &s->lock, &s->cond, deliver_loop, s)) {
        free(s);
        return ODZ_ENOMEM;
    }
    pthread_mutex_lock(&b->lock);
    if (b->closed) {
        pthread_mutex_unlock(&b->lock);
        pthread_mutex_lock(&s->lock);
        s->closing = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        free(s);
        return ODZ_ECLOSED;
    }
    s->id = ++b->next_id;
    s->next = b->subs;
    b->subs = s;
    int64_t id = s->id;
    pthread_mutex_unlock(&b->lock);
    return id;
}

static void sub_free(sub *s)
{
    for (int i = 0; i < 2; i++)
        for (qnode *n = s->lanes[i].head, *nx; n; n = nx) {
            nx = n->next;
            qmsg_unref(n->m);
            free(n);
        }
    free(s->keys);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

static void sub_destroy(sub *s)
{
    bool own = pthread_equal(pthread_self(), s->thread);
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    s->detached = own;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (own) { /* from its own handler: the thread frees the sub once the handler returns */
        pthread_detach(s->thread);
        return;
    }
    pthread_join(s->thread, NULL);
    sub_free(s);
}

static int ip_unsubscribe(odz_bus *bb, int64_t id)
{
    inproc *b = IP(bb);
    pthread_mutex_lock(&b->lock);
    sub **pp = &b->subs, *s = NULL;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            s = *pp;
            *pp = s->next;
            break;
        }
    pthread_mutex_unlock(&b->lock);
    if (!s)
        return ODZ_ENOTFOUND;
    sub_destroy(s);
    return 0;
}

/* ---- request/reply ---- */

static int ip_request(odz_bus *bb, const char *subject, const void *data, size_t len,
                      int timeout_ms, const char *corr, char **reply, size_t *reply_len)
{
    inproc *b = IP(bb);
    waiter w = {0};
    snprintf(w.subject, sizeof w.subject, "_INBOX.%llu",
             (unsigned long long)atomic_fetch_add(&b->inbox_seq, 1));
    odz_cond_init_mono(&w.cond);
    qmsg *m = qmsg_new(subject, w.subject, NULL, data, len, corr);
    if (!m) {
        pthread_cond_destroy(&w.cond);
        return ODZ_ENOMEM;
    }
    pthread_mutex_lock(&b->lock);
    bool closed = b->closed;
    if (!closed) {
        w.next = b->waiters;
        b->waiters = &w;
    }
    pthread_mutex_unlock(&b->lock);
    if (closed) {
        qmsg_unref(m);
        pthread_cond_destroy(&w.cond);
        return ODZ_ECLOSED;
    }
    int rc = publish_msg(b, m);
    qmsg_unref(m);

    int64_t due = odz_mono_ms() + timeout_ms;
    pthread_mutex_lock(&b->lock);
    while (rc == 0 && !w.done && !b->closed)
        if (odz_cond_wait_until(&w.cond, &b->lock, due) == ETIMEDOUT)
            rc = ODZ_ETIMEOUT;
    if (rc == 0 && !w.done)
        rc = ODZ_ECLOSED;
    if (rc == 0 && w.done && !w.data)
        rc = ODZ_ENOMEM;
    for (waiter **pp = &b->waiters; *pp; pp = &(*pp)->next)
        if (*pp == &w) {
            *pp = w.next;
            break;
        }
    pthread_mutex_unlock(&b->lock);
    pthread_cond_destroy(&w.cond);
    if (rc) {
        free(w.data);
        return rc;
    }
    *reply = w.data;
    if (reply_len)
        *reply_len = w.len;
    return 0;
}

static void ip_stats(odz_bus *bb, odz_bus_stats *out)
{
    inproc *b = IP(bb);
    out->published = atomic_load(&b->published);
    out->delivered = atomic_load(&b->delivered);
    out->dropped = atomic_load(&b->dropped);
    out->coalesced = atomic_load(&b->coalesced);
    out->rejected = atomic_load(&b->rejected);
}

/* A subscription whose pattern matches, or a request waiting on this very subject. */
static bool ip_heard(odz_bus *bb, const char *subject)
{
    inproc *b = IP(bb);
    bool heard = false;
    pthread_mutex_lock(&b->lock);
    for (sub *s = b->subs; s && !heard; s = s->next)
        heard = odz_subject_match(s->pattern, subject);
    for (waiter *w = b->waiters; w && !heard; w = w->next)
        heard = !w->done && strcmp(w->subject, subject) == 0;
    pthread_mutex_unlock(&b->lock);
    return heard;
}

static void ip_batch(odz_bus *bb, bool begin)
{
    inproc *b = IP(bb);
    if (begin) {
        if (batch_depth++ == 0)
            batch_bus = b;
        return;
    }
    if (batch_depth == 0 || --batch_depth > 0)
        return;
    b = batch_bus; /* the outermost batch's bus, whichever bus this end names */
    batch_bus = NULL;
    pthread_mutex_lock(&b->lock);
    for (sub *s = b->subs; s; s = s->next) {
        pthread_mutex_lock(&s->lock);
        if (s->held) {
            s->held = false;
            pthread_cond_signal(&s->cond);
        }
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&b->lock);
}

static void ip_close(odz_bus *bb)
{
    inproc *b = IP(bb);
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->closed = true;
    sub *list = b->subs;
    b->subs = NULL;
    for (waiter *w = b->waiters; w; w = w->next)
        pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&b->lock);
    for (sub *s = list, *nx; s; s = nx) {
        nx = s->next;
        sub_destroy(s);
    }
    /* requesters still waiting leave on their own; wait for them to unlink */
    for (;;) {
        pthread_mutex_lock(&b->lock);
        bool empty = b->waiters == NULL;
        pthread_mutex_unlock(&b->lock);
        if (empty)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static const odz_bus_ops inproc_ops = ODZ_BUS_OPS("inproc", ip);

odz_bus *odz_bus_inproc_new(void)
{
    inproc *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->base.ops = &inproc_ops;
    pthread_mutex_init(&b->lock, NULL);
    return &b->base;
}

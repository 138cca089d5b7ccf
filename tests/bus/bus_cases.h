/* The bus contract, run against any back-end: define `static odz_bus *open_bus(void)` first.
 * A back-end whose subscribers' queues live on the receiving side (NATS: the subscriber's client
 * library drops, the publisher never learns of it) defines BUS_REMOTE_QUEUES first: drop counts
 * are then waited for instead of read at once, and a request to a responder with a full queue
 * times out instead of failing fast with ODZ_EFULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "core/err.h"

static odz_bus *open_bus(void);

static int setup(void **st)
{
    *st = open_bus();
    return *st ? 0 : -1;
}

static int teardown(void **st)
{
    odz_bus *b = *st;
    odz_bus_close(b);
    return 0;
}

typedef struct {
    atomic_int count;
    char last_subject[ODZ_SUBJECT_MAX];
    char last_data[256];
    char last_corr[ODZ_CORR_MAX];
    char last_key[ODZ_BUS_KEY_MAX + 1]; /* odz_msg.key, "(none)" for NULL */
    int delay_ms;
    atomic_ullong missed; /* sum of odz_msg.missed: what a subscriber would rebuild after */
} sink;

static void on_msg(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    sink *s = ud;
    snprintf(s->last_subject, sizeof s->last_subject, "%s", m->subject);
    snprintf(s->last_data, sizeof s->last_data, "%s", m->data);
    snprintf(s->last_corr, sizeof s->last_corr, "%s", m->corr_id);
    snprintf(s->last_key, sizeof s->last_key, "%s", m->key ? m->key : "(none)");
    atomic_fetch_add(&s->missed, m->missed);
    if (s->delay_ms)
        usleep((useconds_t)s->delay_ms * 1000);
    atomic_fetch_add(&s->count, 1);
}

static void wait_count(sink *s, int n)
{
    for (int i = 0; i < 500 && atomic_load(&s->count) < n; i++)
        usleep(2000);
}

static void subjects_and_wildcards(void **st)
{
    (void)st;
    assert_true(odz_subject_match("race.*.updated", "race.12.updated"));
    assert_false(odz_subject_match("race.*.updated", "race.12.price"));
    assert_true(odz_subject_match("race.>", "race.12.price"));
    assert_false(odz_subject_match("race.*", "race.12.price"));
    assert_true(odz_subject_match("race.*", "race.12"));
    assert_false(odz_subject_match("race.>", "race"));
    assert_true(odz_subject_match("a.b", "a.b"));
    assert_false(odz_subject_match("a.b", "a.b.c"));
    assert_int_equal(odz_subject_valid("race.*", 0), ODZ_EINVAL);
    assert_int_equal(odz_subject_valid("race.*", 1), 0);
    assert_int_equal(odz_subject_valid("race..x", 1), ODZ_EINVAL);
    assert_int_equal(odz_subject_valid("race.>.x", 1), ODZ_EINVAL);
    assert_int_equal(odz_subject_valid("ra*ce", 1), ODZ_EINVAL);
    assert_int_equal(odz_subject_valid("has space", 0), ODZ_EINVAL);
    assert_int_equal(odz_subject_valid("", 0), ODZ_EINVAL);
}

static void publish_subscribe_wildcard(void **st)
{
    odz_bus *b = *st;
    sink all = {0}, upd = {0};
    assert_true(odz_bus_subscribe(b, "race.>", NULL, 0, on_msg, &all) > 0);
    assert_true(odz_bus_subscribe(b, "race.*.updated", NULL, 0, on_msg, &upd) > 0);
    assert_int_equal(odz_bus_publish(b, "race.7.updated", "{\"x\":1}", 7, "corr-1"), 0);
    assert_int_equal(odz_bus_publish(b, "race.7.price", "p", 1, NULL), 0);
    assert_int_equal(odz_bus_publish(b, "other", "o", 1, NULL), 0);
    wait_count(&all, 2);
    wait_count(&upd, 1);
    usleep(20000);
    assert_int_equal(atomic_load(&all.count), 2);
    assert_int_equal(atomic_load(&upd.count), 1);
    assert_string_equal(upd.last_subject, "race.7.updated");
    assert_string_equal(upd.last_data, "{\"x\":1}");
    assert_string_equal(upd.last_corr, "corr-1");
    assert_int_equal(odz_bus_publish(b, "race.*", "x", 1, NULL), ODZ_EINVAL);
    char *big = calloc(1, ODZ_BUS_MSG_MAX + 2);
    assert_int_equal(odz_bus_publish(b, "race.1", big, ODZ_BUS_MSG_MAX + 1, NULL), ODZ_EINVAL);
    free(big);
    assert_true(odz_bus_subscribe(b, "bad..pattern", NULL, 0, on_msg, &all) < 0);
}

static void unsubscribe_stops_delivery(void **st)
{
    odz_bus *b = *st;
    sink s = {0};
    int64_t id = odz_bus_subscribe(b, "x", NULL, 0, on_msg, &s);
    odz_bus_publish(b, "x", "1", 1, NULL);
    wait_count(&s, 1);
    assert_int_equal(odz_bus_unsubscribe(b, id), 0);
    odz_bus_publish(b, "x", "2", 1, NULL);
    usleep(20000);
    assert_int_equal(atomic_load(&s.count), 1);
    assert_int_equal(odz_bus_unsubscribe(b, id), ODZ_ENOTFOUND);
}

static void queue_group_delivers_once(void **st)
{
    odz_bus *b = *st;
    sink g1 = {0}, g2 = {0}, plain = {0};
    odz_bus_subscribe(b, "work.*", "workers", 0, on_msg, &g1);
    odz_bus_subscribe(b, "work.*", "workers", 0, on_msg, &g2);
    odz_bus_subscribe(b, "work.*", NULL, 0, on_msg, &plain);
    for (int i = 0; i < 100; i++)
        odz_bus_publish(b, "work.item", "w", 1, NULL);
    wait_count(&plain, 100);
    for (int i = 0; i < 500 && atomic_load(&g1.count) + atomic_load(&g2.count) < 100; i++)
        usleep(2000);
    assert_int_equal(atomic_load(&plain.count), 100);
    assert_int_equal(atomic_load(&g1.count) + atomic_load(&g2.count), 100);
    assert_true(atomic_load(&g1.count) > 0);
    assert_true(atomic_load(&g2.count) > 0);
}

/* Every back-end refuses the same calls: what one refuses (a header cannot carry a line break,
 * NATS takes no space in a queue group) is refused by the other too. */
static void bad_arguments_refused_alike(void **st)
{
    odz_bus *b = *st;
    sink s = {0};
    char *rep = (char *)"x";
    size_t len = 7;
    assert_int_equal(odz_bus_publish(b, "args.x", "z", 1, "bad\r\nid"), ODZ_EINVAL);
    assert_int_equal(odz_bus_publish_reply(b, "args.x", "args.*", "z", 1, NULL), ODZ_EINVAL);
    assert_int_equal(odz_bus_request(b, "args.x", "z", 1, 100, "tab\tid", &rep, &len), ODZ_EINVAL);
    assert_null(rep); /* the outputs are cleared whatever the answer */
    assert_int_equal(len, 0);
    assert_int_equal(odz_bus_request(b, "args.x", "z", 1, 600001, NULL, &rep, &len), ODZ_EINVAL);
    assert_true(odz_bus_subscribe(b, "args.*", "two words", 0, on_msg, &s) < 0);
    assert_true(odz_bus_subscribe(b, "args.*", "bell\a", 0, on_msg, &s) < 0);
    char group[65];
    memset(group, 'g', 64);
    group[64] = '\0';
    assert_true(odz_bus_subscribe(b, "args.*", group, 0, on_msg, &s) < 0);
    group[63] = '\0'; /* 63 bytes: the longest group */
    assert_true(odz_bus_subscribe(b, "args.*", group, 0, on_msg, &s) > 0);
    assert_true(odz_bus_subscribe(b, "args.*", "", 0, on_msg, &s) > 0); /* "": no group */
    assert_true(odz_bus_subscribe(b, "args.*", NULL, 65537, on_msg, &s) < 0);
    assert_true(odz_bus_subscribe(b, "args.*", NULL, 0, NULL, &s) < 0);
}

static void echo(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)ud;
    char out[300];
    int n = snprintf(out, sizeof out, "echo:%s:%s", m->data, m->corr_id);
    odz_bus_respond(b, m, out, (size_t)n);
}

static void request_reply_and_timeout(void **st)
{
    odz_bus *b = *st;
    odz_bus_subscribe(b, "svc.echo", "svc", 0, echo, NULL);
    char *rep = NULL;
    size_t len = 0;
    assert_int_equal(odz_bus_request(b, "svc.echo", "hi", 2, 1000, "c9", &rep, &len), 0);
    assert_string_equal(rep, "echo:hi:c9");
    assert_int_equal(len, 10);
    free(rep);
    /* nobody listening */
    assert_int_equal(odz_bus_request(b, "svc.none", "x", 1, 200, NULL, &rep, &len), ODZ_ENORESP);
    assert_null(rep);
    /* a subscriber that never replies: timeout */
    sink silent = {0};
    odz_bus_subscribe(b, "svc.silent", NULL, 0, on_msg, &silent);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(odz_bus_request(b, "svc.silent", "x", 1, 150, NULL, &rep, &len),
                     ODZ_ETIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 140 && ms < 1000);
    assert_int_equal(odz_bus_request(b, "svc.echo", "x", 1, 0, NULL, &rep, &len), ODZ_EINVAL);
}

static void full_queue_drops_and_counts(void **st)
{
    odz_bus *b = *st;
    sink slow = {.delay_ms = 50};
    odz_bus_subscribe(b, "slow", NULL, 2, on_msg, &slow);
    for (int i = 0; i < 10; i++)
        assert_int_equal(odz_bus_publish(b, "slow", "m", 1, NULL), 0);
    odz_bus_stats stats;
    odz_bus_get_stats(b, &stats);
#ifdef BUS_REMOTE_QUEUES
    for (int i = 0; i < 500 && stats.dropped < 7; i++) {
        usleep(2000);
        odz_bus_get_stats(b, &stats);
    }
#endif
    assert_true(stats.dropped >= 7);
    /* the loss is not silent: the subscriber's next message says how many it missed */
    wait_count(&slow, 3);
    for (int i = 0; i < 500 && atomic_load(&slow.missed) < stats.dropped; i++)
        usleep(2000);
    assert_int_equal(atomic_load(&slow.missed), stats.dropped);
    /* a request to a responder whose request lane is full fails fast */
    sink blocked = {.delay_ms = 300};
    odz_bus_subscribe(b, "busy", NULL, 1, on_msg, &blocked);
    odz_bus_publish(b, "busy", "1", 1, NULL); /* being handled */
    usleep(20000);
    /* queued: the request lane is now full */
    assert_int_equal(odz_bus_publish_reply(b, "busy", "nobody.listens", "2", 1, NULL), 0);
    char *rep = NULL;
#ifdef BUS_REMOTE_QUEUES
    odz_bus_get_stats(b, &stats);
    uint64_t before = stats.dropped;
    assert_int_equal(odz_bus_request(b, "busy", "3", 1, 200, NULL, &rep, NULL), ODZ_ETIMEOUT);
    odz_bus_get_stats(b, &stats);
    assert_true(stats.dropped > before); /* the request itself was dropped, not lost */
#else
    assert_int_equal(odz_bus_request(b, "busy", "3", 1, 1000, NULL, &rep, NULL), ODZ_EFULL);
    assert_int_equal(odz_bus_publish_reply(b, "busy", "nobody.listens", "4", 1, NULL), ODZ_EFULL);
    /* events have their own lane: still taken */
    assert_int_equal(odz_bus_publish(b, "busy", "5", 1, NULL), 0);
    odz_bus_get_stats(b, &stats);
    assert_int_equal(stats.rejected, 2);
    wait_count(&blocked, 3);
#endif
    wait_count(&blocked, 2);
}

/* Keyed publishing on every back-end: delivered as a plain message (coalescing is only seen by
 * a subscriber that is behind), keys bounded. */
static void keyed_publish_delivers(void **st)
{
    odz_bus *b = *st;
    sink s = {0};
    assert_true(odz_bus_subscribe(b, "k.>", NULL, 0, on_msg, &s) > 0);
    assert_int_equal(odz_bus_publish_keyed(b, "k.a", "runner.7", "one", 3, "c-k"), 0);
    wait_count(&s, 1);
    assert_string_equal(s.last_data, "one");
    assert_string_equal(s.last_corr, "c-k");
    /* the key travels with the message, for subscribers that coalesce themselves */
    assert_string_equal(s.last_key, "runner.7");
    assert_int_equal(odz_bus_publish_keyed(b, "k.b", NULL, "two", 3, NULL), 0);
    wait_count(&s, 2);
    assert_string_equal(s.last_subject, "k.b");
    assert_string_equal(s.last_key, "(none)");
    char key[ODZ_BUS_KEY_MAX + 1];
    memset(key, 'k', ODZ_BUS_KEY_MAX);
    key[ODZ_BUS_KEY_MAX] = '\0';
    assert_int_equal(odz_bus_publish_keyed(b, "k.c", key, "x", 1, NULL), ODZ_EINVAL);
    assert_int_equal(odz_bus_publish_keyed(b, "k.*", "a", "x", 1, NULL), ODZ_EINVAL);
    usleep(20000);
    assert_int_equal(atomic_load(&s.count), 2);
    assert_int_equal(atomic_load(&s.missed), 0);
}

#ifndef BUS_REMOTE_QUEUES
/* A subscriber that sits in its first message until released, then records the newest value
 * it saw per key. */
#define BURST 100000
#define KEYS 500
typedef struct {
    atomic_int gate, count, order_errors;
    int last[KEYS];
} keyed_sink;

static void on_keyed(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    keyed_sink *k = ud;
    while (!atomic_load(&k->gate))
        usleep(1000);
    int key = -1, seq = -1;
    if (sscanf(m->data, "%d:%d", &key, &seq) == 2 && key >= 0 && key < KEYS) {
        if (seq <= k->last[key])
            atomic_fetch_add(&k->order_errors, 1);
        k->last[key] = seq;
    }
    atomic_fetch_add(&k->count, 1);
}

static void keyed_burst_keeps_newest(void **st)
{
    odz_bus *b = *st;
    keyed_sink *k = calloc(1, sizeof *k);
    for (int i = 0; i < KEYS; i++)
        k->last[i] = -1;
    assert_true(odz_bus_subscribe(b, "race.*.price", NULL, 1024, on_keyed, k) > 0);
    char subject[64], key[32], data[32];
    for (int i = 0; i < BURST; i++) {
        int kk = i % KEYS;
        snprintf(subject, sizeof subject, "race.%d.price", kk % 7);
        snprintf(key, sizeof key, "%d", kk);
        int n = snprintf(data, sizeof data, "%d:%d", kk, i);
        assert_int_equal(odz_bus_publish_keyed(b, subject, key, data, (size_t)n, NULL), 0);
    }
    atomic_store(&k->gate, 1);
    odz_bus_stats stats;
    for (int i = 0; i < 2000; i++) {
        odz_bus_get_stats(b, &stats);
        if (stats.delivered + stats.coalesced == BURST)
            break;
        usleep(2000);
    }
    assert_int_equal(stats.dropped, 0);
    assert_int_equal(stats.delivered + stats.coalesced, BURST);
    assert_int_equal(atomic_load(&k->count), stats.delivered);
    assert_true(stats.coalesced >= BURST - 1024 - KEYS);
    for (int kk = 0; kk < KEYS; kk++) /* every key's newest state arrived */
        assert_int_equal(k->last[kk], BURST - KEYS + kk);
    assert_int_equal(atomic_load(&k->order_errors), 0);
    print_message("keyed burst: %d events, %llu delivered, %llu coalesced, %llu dropped\n", BURST,
                  (unsigned long long)stats.delivered, (unsigned long long)stats.coalesced,
                  (unsigned long long)stats.dropped);
    assert_int_equal(odz_bus_publish_keyed(b, "race.1.price",
                                           "0123456789012345678901234567890123456789012345678901"
                                           "234567890123",
                                           "x", 1, NULL),
                     ODZ_EINVAL);
    odz_bus_close(b); /* before freeing what the handler uses */
    *st = open_bus();
    free(k);
}

typedef struct {
    odz_bus *b;
    atomic_int stop;
    atomic_int sent;
} flood_arg;

static void *flooder(void *p)
{
    flood_arg *f = p;
    while (!atomic_load(&f->stop)) {
        odz_bus_publish(f->b, "svc2.event", "e", 1, NULL);
        atomic_fetch_add(&f->sent, 1);
    }
    return NULL;
}

/* Events for one responder; requests answered, events handled slowly. */
static void mixed(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)ud;
    if (m->reply)
        odz_bus_respond(b, m, "ok", 2);
    else
        usleep(200);
}

static void requests_answered_under_event_flood(void **st)
{
    odz_bus *b = *st;
    assert_true(odz_bus_subscribe(b, "svc2.*", NULL, 256, mixed, NULL) > 0);
    flood_arg f = {b, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, flooder, &f);
    while (atomic_load(&f.sent) < 5000) /* the event lane is full from here on */
        usleep(1000);
    int ok = 0;
    for (int i = 0; i < 50; i++) {
        char *rep = NULL;
        if (odz_bus_request(b, "svc2.ask", "q", 1, 2000, NULL, &rep, NULL) == 0 &&
            !strcmp(rep, "ok"))
            ok++;
        free(rep);
    }
    atomic_store(&f.stop, 1);
    pthread_join(t, NULL);
    assert_int_equal(ok, 50);
    odz_bus_stats stats;
    odz_bus_get_stats(b, &stats);
    assert_true(stats.dropped > 0); /* the flood did overflow its lane */
    assert_int_equal(stats.rejected, 0);
}
#endif

typedef struct {
    odz_bus *b;
    atomic_int ok;
} thread_arg;

static void *requester(void *p)
{
    thread_arg *a = p;
    for (int i = 0; i < 200; i++) {
        char *rep = NULL;
        if (odz_bus_request(a->b, "svc.echo", "t", 1, 2000, NULL, &rep, NULL) == 0)
            atomic_fetch_add(&a->ok, 1);
        free(rep);
    }
    return NULL;
}

static void safe_across_threads(void **st)
{
    odz_bus *b = *st;
    odz_bus_subscribe(b, "svc.echo", "svc", 0, echo, NULL);
    odz_bus_subscribe(b, "svc.echo", "svc", 0, echo, NULL);
    thread_arg a = {b, 0};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, requester, &a);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&a.ok), 800);
}

static int64_t self_sub;
static void unsub_self(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)m;
    sink *s = ud;
    atomic_fetch_add(&s->count, 1);
    odz_bus_unsubscribe(b, self_sub);
}

static void unsubscribe_from_own_handler(void **st)
{
    odz_bus *b = *st;
    sink s = {0};
    self_sub = odz_bus_subscribe(b, "once", NULL, 0, unsub_self, &s);
    odz_bus_publish(b, "once", "1", 1, NULL);
    wait_count(&s, 1);
    usleep(20000);
    odz_bus_publish(b, "once", "2", 1, NULL);
    usleep(20000);
    assert_int_equal(atomic_load(&s.count), 1);
}

/* A publisher may skip building a message nobody would hear: in this process the bus knows
 * whether a subscription matches the subject; across processes (NATS) it cannot, and says
 * yes. */
static void heard_follows_subscriptions(void **st)
{
    odz_bus *b = *st;
    sink s = {0};
#ifdef BUS_REMOTE_QUEUES
    const bool nobody = true; /* other processes might be listening */
#else
    const bool nobody = false;
#endif
    assert_int_equal(odz_bus_heard(b, "race.7.price"), nobody);
    int64_t id = odz_bus_subscribe(b, "race.*.price", NULL, 0, on_msg, &s);
    assert_true(id > 0);
    assert_true(odz_bus_heard(b, "race.7.price"));
    assert_int_equal(odz_bus_heard(b, "race.7.odds"), nobody);
    assert_int_equal(odz_bus_unsubscribe(b, id), 0);
    assert_int_equal(odz_bus_heard(b, "race.7.price"), nobody);
    assert_false(odz_bus_heard(NULL, "race.7.price"));
    assert_false(odz_bus_heard(b, NULL));
}

/* A batch holds back its events' wake-ups, never the events: everything published in it is
 * delivered, in order, by the batch's end at the latest; a request made inside a batch is
 * answered (requests are not held); batches nest. In process the subscriber's thread, idle
 * before the batch, is not woken until its end (BUS_LOCAL_TESTS: batch_holds_wakeups). */
static void batch_delivers_everything(void **st)
{
    odz_bus *b = *st;
    sink s = {0};
    odz_bus_subscribe(b, "batch.ev", NULL, 0, on_msg, &s);
    odz_bus_subscribe(b, "svc.echo", "svc", 0, echo, NULL);
    odz_bus_batch_begin(b);
    odz_bus_batch_begin(b); /* nested */
    char txt[16];
    for (int i = 0; i < 50; i++) {
        snprintf(txt, sizeof txt, "m%d", i);
        assert_int_equal(odz_bus_publish(b, "batch.ev", txt, strlen(txt), NULL), 0);
    }
    char *rep = NULL;
    size_t len = 0;
    assert_int_equal(odz_bus_request(b, "svc.echo", "hi", 2, 2000, "c1", &rep, &len), 0);
    assert_string_equal(rep, "echo:hi:c1");
    free(rep);
    odz_bus_batch_end(b);
    odz_bus_batch_end(b);
    wait_count(&s, 50);
    assert_int_equal(atomic_load(&s.count), 50);
    assert_string_equal(s.last_data, "m49");
    odz_bus_batch_end(NULL); /* NULL-safe */
    odz_bus_batch_begin(NULL);
}

#ifndef BUS_REMOTE_QUEUES
/* In process, a subscriber idle when a batch starts is not woken by the batch's events: none
 * is delivered until the end, which wakes it once for all of them. An event published outside
 * any batch still wakes it at once. */
static void batch_holds_wakeups(void **st)
{
    odz_bus *b = *st;
    sink s = {0};
    odz_bus_subscribe(b, "batch.ev", NULL, 0, on_msg, &s);
    usleep(20000); /* its thread is waiting */
    odz_bus_batch_begin(b);
    for (int i = 0; i < 20; i++)
        assert_int_equal(odz_bus_publish(b, "batch.ev", "x", 1, NULL), 0);
    usleep(100000);
    assert_int_equal(atomic_load(&s.count), 0); /* queued, not woken */
    odz_bus_batch_end(b);
    wait_count(&s, 20);
    assert_int_equal(atomic_load(&s.count), 20);
    assert_int_equal(odz_bus_publish(b, "batch.ev", "y", 1, NULL), 0);
    wait_count(&s, 21);
    assert_int_equal(atomic_load(&s.count), 21);
    /* a batch holds its own bus only: another bus's subscriber is woken at once */
    odz_bus *other = open_bus();
    sink o = {0};
    odz_bus_subscribe(other, "batch.ev", NULL, 0, on_msg, &o);
    usleep(20000);
    odz_bus_batch_begin(b);
    assert_int_equal(odz_bus_publish(other, "batch.ev", "z", 1, NULL), 0);
    wait_count(&o, 1);
    assert_int_equal(atomic_load(&o.count), 1);
    odz_bus_batch_end(b);
    odz_bus_close(other);
}
#endif

#define BUS_TESTS                                                                                  \
    cmocka_unit_test(subjects_and_wildcards),                                                      \
        cmocka_unit_test_setup_teardown(publish_subscribe_wildcard, setup, teardown),              \
        cmocka_unit_test_setup_teardown(unsubscribe_stops_delivery, setup, teardown),              \
        cmocka_unit_test_setup_teardown(queue_group_delivers_once, setup, teardown),               \
        cmocka_unit_test_setup_teardown(bad_arguments_refused_alike, setup, teardown),             \
        cmocka_unit_test_setup_teardown(request_reply_and_timeout, setup, teardown),               \
        cmocka_unit_test_setup_teardown(full_queue_drops_and_counts, setup, teardown),             \
        cmocka_unit_test_setup_teardown(safe_across_threads, setup, teardown),                     \
        cmocka_unit_test_setup_teardown(unsubscribe_from_own_handler, setup, teardown),            \
        cmocka_unit_test_setup_teardown(keyed_publish_delivers, setup, teardown),                  \
        cmocka_unit_test_setup_teardown(heard_follows_subscriptions, setup, teardown),             \
        cmocka_unit_test_setup_teardown(batch_delivers_everything, setup, teardown) BUS_LOCAL_TESTS

#ifdef BUS_REMOTE_QUEUES
#define BUS_LOCAL_TESTS
#else
/* Cases that need the subscriber's queue in this process: coalescing and separate lanes. */
#define BUS_LOCAL_TESTS                                                                            \
    , cmocka_unit_test_setup_teardown(keyed_burst_keeps_newest, setup, teardown),                  \
        cmocka_unit_test_setup_teardown(requests_answered_under_event_flood, setup, teardown),     \
        cmocka_unit_test_setup_teardown(batch_holds_wakeups, setup, teardown)
#endif

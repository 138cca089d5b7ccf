/* The bus: publish, wildcard subscribe, request/reply with timeout and queue groups, behind a
 * struct of operations (in-process and NATS). Subjects follow NATS rules: tokens split by '.',
 * '*' matches one token, '>' matches one or more trailing tokens.
 *
 * Nothing is lost silently: a keyed event (publish_keyed: the newest state of one thing) that
 * finds an older one with the same subject and key still queued takes its place; requests
 * (messages with a reply subject) and events wait in separate lanes of a subscription, served
 * in turn, so neither starves the other; a request that finds its lane full fails at once with
 * ODZ_EFULL; an event that finds its lane full is dropped, counted, and the subscriber is told
 * with the next message it gets (odz_msg.missed) so it can rebuild what it derives from
 * events. */
#ifndef ODZ_BUS_H
#define ODZ_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct odz_bus odz_bus;

#define ODZ_SUBJECT_MAX 128
#define ODZ_CORR_MAX 64
#define ODZ_BUS_MSG_MAX (4u << 20) /* largest payload accepted */
#define ODZ_BUS_KEY_MAX 64         /* longest coalescing key, NUL included */

typedef struct {
    const char *subject;
    const char *reply;   /* reply subject or NULL */
    const char *data;    /* payload, NUL-terminated for convenience (len excludes it) */
    size_t len;
    const char *corr_id; /* correlation id or "" */
    /* Messages this subscription lost (its event lane or, over NATS, the client's pending
     * queue was full) since the previous delivery. Non-zero: state derived from this
     * subscription's events may be stale; rebuild it. */
    uint64_t missed;
    /* The publisher's coalescing key (publish_keyed; over NATS the "Oddzy-Key" header), or
     * NULL: with the subject, what this message is the newest state of. Subscribers that
     * coalesce in their own queues use it as it is, without reading the payload. */
    const char *key;
} odz_msg;

/* Called on the subscription's own delivery thread; `msg` is valid only during the call. */
typedef void (*odz_bus_handler)(odz_bus *bus, const odz_msg *msg, void *ud);

typedef struct {
    uint64_t published, delivered;
    uint64_t dropped;   /* events a subscriber lost (each also reported as odz_msg.missed) */
    uint64_t coalesced; /* keyed events replaced in a queue by a newer one of the same key */
    uint64_t rejected;  /* requests refused with ODZ_EFULL because the responder was full */
} odz_bus_stats;

/* ---- the calls (bus.c): each checks its arguments once, whatever the back-end, and refuses
 * a bad one with ODZ_EINVAL before the back-end sees it ---- */

/** Fire and forget. 0, or ODZ_EINVAL for a bad subject, an oversized payload (over
 *  ODZ_BUS_MSG_MAX) or a correlation id that does not fit. Subscribers whose queue is full
 *  miss the message (counted as dropped). */
int odz_bus_publish(odz_bus *b, const char *subject, const void *data, size_t len,
                    const char *corr_id);

/** Publish with a reply subject: a request whose answer is awaited elsewhere. ODZ_EFULL when
 *  every matching responder's request lane was full (in-process only). */
int odz_bus_publish_reply(odz_bus *b, const char *subject, const char *reply, const void *data,
                          size_t len, const char *corr_id);

/** Publish the newest state of one thing: while an earlier message with the same subject and
 *  `key` (at most ODZ_BUS_KEY_MAX - 1 bytes; NULL or "" = no key, as publish) still waits in a
 *  subscriber's queue, this one replaces it there (in place, so it keeps its turn) instead of
 *  queueing behind it. Over NATS the key travels in a header; the server and the client
 *  library queue every message. Returns as publish. */
int odz_bus_publish_keyed(odz_bus *b, const char *subject, const char *key, const void *data,
                          size_t len, const char *corr_id);

/** Subscribe `pattern`; with a queue group, each message goes to one member of the group.
 *  `queue_len` bounds the subscription's pending messages (0: default 1024); in-process, each
 *  lane (requests, events) holds up to `queue_len`. Returns a subscription id > 0, or a
 *  negative code. */
int64_t odz_bus_subscribe(odz_bus *b, const char *pattern, const char *queue_group,
                          size_t queue_len, odz_bus_handler h, void *ud);

/** Stop a subscription; waits for a running handler of it to return unless called from it. */
int odz_bus_unsubscribe(odz_bus *b, int64_t sub_id);

/** Send and wait up to timeout_ms (1..600000) for one reply. *reply is malloc'd
 *  (NUL-terminated), the caller frees it; NULL (and *reply_len 0) whatever went wrong.
 *  ODZ_ETIMEOUT, ODZ_ENORESP (nobody subscribed), ODZ_EFULL (the responder's queue is full;
 *  in-process only: over NATS the responder's client drops it and the request times out). */
int odz_bus_request(odz_bus *b, const char *subject, const void *data, size_t len,
                    int timeout_ms, const char *corr_id, char **reply, size_t *reply_len);

/** false only when the bus knows nothing subscribed now would receive a message on `subject`
 *  (in-process: no subscription's pattern matches it); true otherwise (over NATS the
 *  subscribers are other processes: always true). A publisher may then skip building a message
 *  nobody would hear: nothing observable changes, since the bus would drop it. */
bool odz_bus_heard(odz_bus *b, const char *subject);

/** Between odz_bus_batch_begin and the matching odz_bus_batch_end (they nest), the events
 *  this thread publishes are queued as usual but their subscribers' threads are not woken
 *  for each one: the end wakes each subscription that was left waiting, once. In process, a
 *  wake-up per event was a context switch per event when publisher and subscribers share a
 *  core (every price of a landed race card). Requests and replies are never held, so a
 *  request made inside a batch is answered. Over NATS both do nothing (the client library
 *  already writes in batches). Call both on the same thread, with the same bus. */
void odz_bus_batch_begin(odz_bus *b);
void odz_bus_batch_end(odz_bus *b);

/** The bus's counters since it opened. */
void odz_bus_get_stats(odz_bus *b, odz_bus_stats *out);

/** Stop delivery, join threads, free everything (NULL: nothing). Handlers are not called
 *  after it returns. */
void odz_bus_close(odz_bus *b);

/* ---- the back-ends: what each implements, called only by the calls above, which have
 * checked the arguments (a queue group "" is passed as NULL) ---- */
typedef struct odz_bus_ops {
    const char *name;
    void (*close)(odz_bus *b);
    /* The one publish: reply and key NULL or "" when not wanted. */
    int (*send)(odz_bus *b, const char *subject, const char *reply, const char *key,
                const void *data, size_t len, const char *corr_id);
    int64_t (*subscribe)(odz_bus *b, const char *pattern, const char *queue_group,
                         size_t queue_len, odz_bus_handler h, void *ud);
    int (*unsubscribe)(odz_bus *b, int64_t sub_id);
    int (*request)(odz_bus *b, const char *subject, const void *data, size_t len,
                   int timeout_ms, const char *corr_id, char **reply, size_t *reply_len);
    void (*stats)(odz_bus *b, odz_bus_stats *out);
    bool (*heard)(odz_bus *b, const char *subject);
    void (*batch)(odz_bus *b, bool begin);
} odz_bus_ops;

/* A back-end's table from its functions PREFIX_close, PREFIX_send, PREFIX_subscribe,
 * PREFIX_unsubscribe, PREFIX_request, PREFIX_stats, PREFIX_heard and PREFIX_batch: the members are listed
 * here once, and a member added to odz_bus_ops is one every back-end must then define. */
#define ODZ_BUS_OPS(name_, prefix)                                                                \
    {.name = name_, .close = prefix##_close, .send = prefix##_send,                             \
     .subscribe = prefix##_subscribe, .unsubscribe = prefix##_unsubscribe,                      \
     .request = prefix##_request, .stats = prefix##_stats, .heard = prefix##_heard,             \
     .batch = prefix##_batch}

struct odz_bus {
    const odz_bus_ops *ops;
};

/** In-process bus, safe across threads: one delivery thread per subscription and two bounded
 * lanes (requests, events) with per-key coalescing of events. */
odz_bus *odz_bus_inproc_new(void);

/** NATS bus (src/bus/nats.c): `url` is "nats://[user:pass@]host:port", or several separated by
 * commas (one cluster). Reconnects forever and resubscribes after a server restart. NULL + err
 * when no server can be reached now. Close with odz_bus_close. */
odz_bus *odz_bus_nats_open(const char *url, char *err, size_t errlen);

/** Open by URL: "inproc" (or NULL/empty) or "nats://..." (see odz_bus_nats_open). NULL + err
 * on failure. */
odz_bus *odz_bus_open(const char *url, char *err, size_t errlen);

/** Reply to a request message (no-op when it has no reply subject). */
int odz_bus_respond(odz_bus *b, const odz_msg *req, const void *data, size_t len);

/** 1 if `subject` matches `pattern` under NATS wildcard rules. */
int odz_subject_match(const char *pattern, const char *subject);

/** 0 if a valid concrete subject (no wildcards) or, with allow_wild, a valid pattern. */
int odz_subject_valid(const char *subject, int allow_wild);

#endif

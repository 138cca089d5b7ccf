/* The racing service: bus requests to store operations, and change events after commits. */
#include "racing/racing.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"
#include "core/wait.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/source_metrics.h"
#include "racing/card.h"
#include "racing/events.h"
#include "racing/service_internal.h"
#include "racing/matching.h"
#include "racing/matcher.h"
#include "racing/store_metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Racing services of this process, by bus: odz_racing_upsert hands them batches directly. */
#define LOCAL_MAX 8
static pthread_mutex_t local_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t local_idle = PTHREAD_COND_INITIALIZER;
static odz_racing *local[LOCAL_MAX];

/* ---- request field helpers ---- */

int odz_racing__req_id(call *c, const char *k, int64_t *out)
{
    json_t *v = json_object_get(c->req, k);
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'%s' must be a positive integer", k);
    *out = json_integer_value(v);
    return 0;
}

int odz_racing__req_int_opt(call *c, const char *k, int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
    json_t *v = json_object_get(c->req, k);
    if (!v || json_is_null(v)) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'%s' must be an integer %lld..%lld",
                        k, (long long)lo, (long long)hi);
    *out = json_integer_value(v);
    return 0;
}

int odz_racing__req_date(call *c, const char *k, const char **out)
{
    const char *s = json_string_value(json_object_get(c->req, k));
    if (!s || odz_date_valid(s))
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'%s' must be a date YYYY-MM-DD", k);
    *out = s;
    return 0;
}

int odz_racing__req_type(call *c, int *type)
{
    json_t *v = json_object_get(c->req, "type");
    *type = -1;
    if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)))
        return 0;
    odz_race_type t;
    if (!json_is_string(v) || odz_race_type_parse(json_string_value(v), &t))
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL,
                        "'type' must be thoroughbred, harness or greyhound");
    *type = (int)t;
    return 0;
}


/* The model's to_json, one signature. */
static json_t *meeting_json(const void *x) { return odz_meeting_to_json(x); }
static json_t *race_json(const void *x) { return odz_race_to_json(x); }
static json_t *selection_json(const void *x) { return odz_selection_to_json(x); }
static json_t *price_json(const void *x) { return odz_price_to_json(x); }

/* A JSON array of n rows of `size` bytes at v, each by to_json. */
static json_t *rows_json(const void *v, size_t n, size_t size, json_t *(*to_json)(const void *))
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, to_json((const char *)v + i * size));
    return a;
}

json_t *odz_racing__races_json(const odz_races *rs)
{
    return rows_json(rs->v, rs->n, sizeof *rs->v, race_json);
}

/* ---- simple operations ---- */

/* The days a listing covers: date_from and date_to, both required. */
static int req_dates(call *c, const char **from, const char **to)
{
    int rc = odz_racing__req_date(c, "date_from", from);
    return rc ? rc : odz_racing__req_date(c, "date_to", to);
}

/* What a listing's request names: a parent's id, or the days date_from to date_to. */
typedef struct {
    int64_t id;
    const char *from, *to;
} list_args;

/* An operation that answers a store listing as a JSON array of to_json's objects: `read`
 * fills list_args q from the request (0 or an error), then store_op(args..., &l) lists into
 * l, of list type T (rows v, count n, freed by T##_free). */
#define LIST_OP(name, T, to_json, read, store_op, ...)                                         \
    static int name(call *c)                                                                   \
    {                                                                                          \
        list_args q = {0};                                                                     \
        T l = {0};                                                                             \
        int rc = read;                                                                         \
        if (rc == 0 && (rc = SOP(c, store_op, __VA_ARGS__, &l, c->err)) == 0)                  \
            c->data = rows_json(l.v, l.n, sizeof *l.v, to_json);                               \
        T##_free(&l);                                                                          \
        return rc;                                                                             \
    }

LIST_OP(op_list_meetings, odz_meetings, meeting_json, req_dates(c, &q.from, &q.to), list_meetings,
        q.from, q.to)
LIST_OP(op_list_races, odz_races, race_json, req_dates(c, &q.from, &q.to), list_races, q.from,
        q.to)
LIST_OP(op_list_meeting_races, odz_races, race_json, odz_racing__req_id(c, "meeting_id", &q.id),
        list_meeting_races, q.id)
LIST_OP(op_list_selections, odz_selections, selection_json,
        odz_racing__req_id(c, "race_id", &q.id), list_selections, q.id)
LIST_OP(op_latest_prices, odz_prices, price_json, odz_racing__req_id(c, "race_id", &q.id),
        latest_prices, q.id)

static int op_add_meeting(call *c)
{
    odz_meeting m;
    int rc = odz_meeting_from_json(json_object_get(c->req, "meeting"), &m, c->err, sizeof c->err);
    if (rc == 0)
        rc = SOP(c, add_meeting, &m, c->err);
    if (rc == 0)
        c->data = odz_meeting_to_json(&m);
    return rc;
}

static int op_get_meeting(call *c)
{
    int64_t id;
    odz_meeting m;
    int rc = odz_racing__req_id(c, "meeting_id", &id);
    if (rc == 0)
        rc = SOP(c, get_meeting, id, &m, c->err);
    if (rc == 0)
        c->data = odz_meeting_to_json(&m);
    return rc;
}

static int op_add_race(call *c)
{
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return ODZ_ENOMEM;
    int rc = odz_race_from_json(json_object_get(c->req, "race"), r, c->err, sizeof c->err);
    if (rc == 0) {
        r->last_update = odz_now();
        rc = SOP(c, add_race, r, c->err);
    }
    if (rc == 0) {
        c->data = odz_race_to_json(r);
        rc = odz_changes_add_race(&c->ch, r->id);
    }
    free(r);
    return rc;
}

static int op_update_race(call *c)
{
    odz_race *r = malloc(sizeof *r);
    odz_selections sels = {0};
    if (!r)
        return ODZ_ENOMEM;
    int rc = odz_race_from_json(json_object_get(c->req, "race"), r, c->err, sizeof c->err);
    if (rc == 0 && r->id <= 0)
        rc = odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "race.race_id is required");
    json_t *js = json_object_get(c->req, "selections");
    if (rc == 0 && js && !json_is_array(js))
        rc = odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'selections' must be an array");
    size_t i;
    json_t *v;
    if (rc == 0 && json_array_size(js) > ODZ_MAX_RUNNERS)
        rc = odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "more than %d selections",
                      ODZ_MAX_RUNNERS);
    if (rc == 0)
        json_array_foreach(js, i, v)
        {
            odz_selection x;
            if ((rc = odz_selection_from_json(v, &x, c->err, sizeof c->err)))
                break;
            if ((rc = odz_selections_push(&sels, &x)))
                break;
        }
    if (rc == 0)
        rc = SOP(c, update_race, r, js ? &sels : NULL, odz_now(), &c->ch, c->err);
    if (rc == 0 && SOP(c, get_race, r->id, r, c->err) == 0)
        c->data = odz_race_to_json(r);
    odz_selections_free(&sels);
    free(r);
    return rc;
}

static int op_get_race(call *c)
{
    int64_t id;
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return ODZ_ENOMEM;
    int rc = odz_racing__req_id(c, "race_id", &id);
    if (rc == 0)
        rc = SOP(c, get_race, id, r, c->err);
    if (rc == 0)
        c->data = odz_race_to_json(r);
    free(r);
    return rc;
}

static int op_next_race(call *c)
{
    int64_t id, now;
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return ODZ_ENOMEM;
    int rc = odz_racing__req_id(c, "meeting_id", &id);
    if (rc == 0)
        rc = odz_racing__req_int_opt(c, "now", odz_now(), 0, INT64_MAX, &now);
    if (rc == 0)
        rc = SOP(c, next_race, id, now, r, c->err);
    if (rc == 0)
        c->data = odz_race_to_json(r);
    free(r);
    return rc;
}

static json_t *changes_json(const odz_changes *ch)
{
    return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "meetings_added",
                     ch->meetings_added, "meetings_updated", ch->meetings_updated, "races_added",
                     ch->races_added, "races_updated", ch->races_updated, "selections_added",
                     ch->selections_added, "selections_updated", ch->selections_updated,
                     "scratchings", ch->scratchings, "prices_added", ch->prices_added,
                     "status_refused", ch->status_refused, "races_changed",
                     (int)ch->n_race_ids);
}

/* A batch, from a request or handed over in process: matching, then the store. */
static int apply_batch(odz_racing *r, const odz_batch *b, const char *source, bool match,
                       odz_changes *ch, char *err)
{
    return odz_matching_upsert(r->matching, r->store, b, source, match, odz_now(), ch, err);
}

static int op_upsert_batch(call *c)
{
    odz_batch_owned b;
    int rc = odz_batch_from_json(c->req, &b, c->err, sizeof c->err);
    if (rc)
        return rc;
    rc = apply_batch(c->r, &b.batch, json_string_value(json_object_get(c->req, "source")),
                     json_is_true(json_object_get(c->req, "match")), &c->ch, c->err);
    if (rc == 0)
        c->data = changes_json(&c->ch);
    odz_batch_owned_free(&b);
    return rc;
}

/* Exchange markets not matched to our races. */
static int op_unmatched(call *c)
{
    c->data = odz_matching_unmatched(c->r->matching);
    return c->data ? 0 : odz_fail(c->err, sizeof c->err, ODZ_ENOMEM, "out of memory");
}

/* This process's sources (obs/source_metrics.h): in `oddzy run` every one of them. */
static int op_sources(call *c)
{
    c->data = odz_srcstat_json();
    return c->data ? 0 : odz_fail(c->err, sizeof c->err, ODZ_ENOMEM, "out of memory");
}

static int op_append_price(call *c)
{
    odz_price p;
    int rc = odz_price_from_json(json_object_get(c->req, "price"), &p, c->err, sizeof c->err);
    if (rc == 0 && p.odds == 0)
        rc = odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "price needs odds");
    if (rc == 0 && !p.ts)
        p.ts = odz_now();
    if (rc == 0)
        rc = SOP(c, append_price, &p, &c->ch, c->err);
    if (rc == 0)
        c->data = json_pack("{s:b}", "appended", c->ch.n_prices > 0);
    return rc;
}

static int op_price_history(call *c)
{
    int64_t id, market;
    int rc = odz_racing__req_id(c, "selection_id", &id);
    if (rc == 0)
        rc = odz_racing__req_int_opt(c, "market", -1, -1, ODZ_MARKETS - 1, &market);
    if (rc)
        return rc;
    odz_prices ps = {0};
    if ((rc = SOP(c, price_history, id, (int)market, &ps, c->err)) == 0)
        c->data = rows_json(ps.v, ps.n, sizeof *ps.v, price_json);
    odz_prices_free(&ps);
    return rc;
}

static int op_scratch(call *c)
{
    int64_t id, when, ded, late;
    int rc = odz_racing__req_id(c, "selection_id", &id);
    if (rc == 0)
        rc = odz_racing__req_int_opt(c, "time", odz_now(), 0, INT64_MAX, &when);
    if (rc == 0)
        rc = odz_racing__req_int_opt(c, "deduction", 0, 0, 10000, &ded);
    if (rc == 0)
        rc = odz_racing__req_int_opt(c, "late", 0, 0, 1, &late);
    if (rc == 0)
        rc = SOP(c, scratch, id, when, (int)ded, late != 0, odz_now(), &c->ch, c->err);
    if (rc == 0)
        c->data = json_pack("{s:b}", "scratched", 1);
    return rc;
}

/* The odds matcher and arbitrage from the incremental state; the query is the API's raw query
 * string, checked here again by the same parser. */
static int matcher_query(call *c, odz_matcher_query *q)
{
    json_t *v = json_object_get(c->req, "query");
    if (v && !json_is_string(v))
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'query' must be a query string");
    return odz_matcher_query_parse(json_string_value(v), q, c->err, sizeof c->err);
}

static int matcher_op(call *c, json_t *(*answer)(odz_matcher *, const odz_matcher_query *, int64_t))
{
    odz_matcher_query q;
    int rc = matcher_query(c, &q);
    if (rc == 0)
        c->data = answer(c->r->matcher, &q, odz_now());
    return rc;
}

static int op_oddsmatcher(call *c)
{
    return matcher_op(c, odz_matcher_rows);
}

static int op_arbitrage(call *c)
{
    return matcher_op(c, odz_matcher_arbitrage);
}

static const struct {
    const char *name;
    op_fn fn;
} ops[] = {
    {"list_meetings", op_list_meetings},   {"list_races", op_list_races},
    {"list_meeting_races", op_list_meeting_races},
    {"add_meeting", op_add_meeting},       {"get_meeting", op_get_meeting},
    {"add_race", op_add_race},             {"update_race", op_update_race},
    {"next_race", op_next_race},           {"next_races", odz_racing__op_next_races},
    {"get_race", op_get_race},             {"list_selections", op_list_selections},
    {"upsert_batch", op_upsert_batch},     {"append_price", op_append_price},
    {"price_history", op_price_history},   {"latest_prices", op_latest_prices},
    {"scratch", op_scratch},               {"racecard", odz_racing__op_racecard},
    {"schedule", odz_racing__op_schedule},             {"flucs", odz_racing__op_flucs},
    {"unmatched", op_unmatched},           {"sources", op_sources},
    {"oddsmatcher", op_oddsmatcher},       {"arbitrage", op_arbitrage},
};

static void reply(odz_bus *bus, const odz_msg *msg, json_t *body)
{
    char *txt = body ? odz_json_dumps(body) : NULL;
    static const char oom[] = "{\"ok\":false,\"error\":\"no_memory\",\"message\":\"out of memory\"}";
    if (txt)
        odz_bus_respond(bus, msg, txt, strlen(txt));
    else
        odz_bus_respond(bus, msg, oom, sizeof oom - 1);
    free(txt);
    json_decref(body);
}

static void on_request(odz_bus *bus, const odz_msg *msg, void *ud)
{
    odz_racing *rs = ud;
    /* the racing service's threads write what sources send and build views: background work,
     * behind the event loops that answer from the views (core/wait.h) */
    odz_thread_background("odz-racing");
    odz_log_set_corr(msg->corr_id);
    int64_t t0 = odz_real_ms();
    const char *op = strchr(msg->subject, '.');
    op = op ? op + 1 : "";
    call c = {.r = rs};
    pthread_mutex_lock(&rs->apply);
    json_t *req = odz_json_loadb(msg->data, msg->len, ODZ_RACING_MAX_BODY, c.err, sizeof c.err);
    int rc = ODZ_EINVAL;
    if (req && !json_is_object(req))
        snprintf(c.err, sizeof c.err, "request body must be a JSON object");
    else if (req) {
        c.req = req;
        op_fn fn = NULL;
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (!strcmp(ops[i].name, op))
                fn = ops[i].fn;
        if (!fn)
            rc = odz_fail(c.err, sizeof c.err, ODZ_ENOTFOUND, "unknown operation '%s'", op);
        else
            rc = fn(&c);
    }
    if (rc == 0 && !c.data)
        c.data = json_null();
    if (rc == 0)
        reply(bus, msg, json_pack("{s:b,s:o}", "ok", 1, "data", c.data));
    else {
        json_decref(c.data);
        if (rc == ODZ_EIO || rc == ODZ_ENOMEM)
            odz_log_kv(ODZ_LOG_ERROR, "racing request failed", "op", op, "error", c.err, NULL);
        reply(bus, msg, json_pack("{s:b,s:s,s:s}", "ok", 0, "error", odz_errcode(rc), "message",
                                  c.err));
    }
    if (rc == 0)
        odz_racing__publish(rs->bus, rs->store, rs->matcher, &c.ch, msg->corr_id);
    pthread_mutex_unlock(&rs->apply);
    odz_thread_yield();
    if (odz_log_enabled(ODZ_LOG_DEBUG)) {
        char ms[24];
        snprintf(ms, sizeof ms, "%lld", (long long)(odz_real_ms() - t0));
        odz_log_kv(ODZ_LOG_DEBUG, "racing request", "op", op, "outcome", odz_errcode(rc), "ms",
                   ms, NULL);
    }
    odz_changes_free(&c.ch);
    json_decref(req);
    odz_races_open_refresh(rs->store, 0);
    odz_log_set_corr("");
}

/* Price points from the price updater (prices.<race_id>): record, then publish. */
static void on_price(odz_bus *bus, const odz_msg *msg, void *ud)
{
    odz_racing *rs = ud;
    odz_thread_background("odz-racing");
    char err[ODZ_ERRLEN];
    odz_log_set_corr(msg->corr_id);
    json_t *j = odz_json_loadb(msg->data, msg->len, 1u << 20, err, sizeof err);
    odz_changes ch = {0};
    json_t *list = json_is_array(j) ? j : json_object_get(j, "prices");
    size_t i;
    json_t *v;
    /* prices.<race_id>: a market only moves while its race is open (an updater may send a
     * last change just after the close reached it) */
    const char *rid = strchr(msg->subject, '.');
    char *end = NULL;
    long long race_id = rid ? strtoll(rid + 1, &end, 10) : 0;
    odz_race race;
    int open = 1;
    if (race_id > 0 && end && !*end && !ODZ_STORE_CALL(rs->store, get_race, race_id, &race, err))
        open = race.status == ODZ_OPEN;
    if (!open) {
        odz_metric_inc(rs->m_refused);
        odz_log_kv(ODZ_LOG_DEBUG, "prices for a race that is not open ignored", "subject",
                   msg->subject, NULL);
    } else if (!json_is_array(list)) {
        odz_log_kv(ODZ_LOG_WARN, "bad price message", "subject", msg->subject, "error",
                   j ? "expected an array of prices" : err, NULL);
    } else {
        json_array_foreach(list, i, v)
        {
            odz_price p;
            if (odz_price_from_json(v, &p, err, sizeof err) || p.odds == 0) {
                odz_log_kv(ODZ_LOG_WARN, "bad price point", "error", err, NULL);
                continue;
            }
            if (!p.ts)
                p.ts = odz_now();
            if (ODZ_STORE_CALL(rs->store, append_price, &p, &ch, err))
                odz_log_kv(ODZ_LOG_WARN, "price not recorded", "error", err, NULL);
        }
        odz_racing__publish(rs->bus, rs->store, rs->matcher, &ch, msg->corr_id);
    }
    odz_changes_free(&ch);
    json_decref(j);
    odz_log_set_corr("");
}

odz_racing *odz_racing_start(odz_bus *bus, odz_store *store, const char *tz, char *err)
{
    odz_racing *r = odz_zalloc(sizeof *r, err, ODZ_ERRLEN);
    if (!r)
        return NULL;
    r->bus = bus;
    r->store = store;
    pthread_mutex_init(&r->apply, NULL);
    r->m_refused = odz_counter("oddzy_prices_refused_total",
                               "Price messages refused because their race is not open", NULL);
    snprintf(r->tz, sizeof r->tz, "%s", tz && *tz ? tz : ODZ_DEFAULT_TZ);
    if (!(r->matching = odz_matching_new())) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        free(r);
        return NULL;
    }
    r->matcher = odz_matcher_new(bus);
    if (!r->matcher || odz_matcher_load(r->matcher, store, odz_now(), err)) {
        if (r->matcher)
            odz_log_kv(ODZ_LOG_WARN, "odds matcher: open races not read", "error", err, NULL);
        else {
            odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
            odz_matching_free(r->matching);
            free(r);
            return NULL;
        }
    }
    r->sub_req = odz_bus_subscribe(bus, ODZ_RACING_SUBJECTS, "racing", 4096, on_request, r);
    r->sub_prices = odz_bus_subscribe(bus, ODZ_PRICES_IN, "racing", 16384, on_price, r);
    if (r->sub_req < 0 || r->sub_prices < 0) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot subscribe to the bus");
        odz_racing_stop(r);
        return NULL;
    }
    odz_races_open_refresh(store, 1); /* the gauge exists before the first request */
    pthread_mutex_lock(&local_lock);
    for (int i = 0; i < LOCAL_MAX && !r->listed; i++)
        if (!local[i]) { /* (a ninth service in one process is still reached over the bus) */
            local[i] = r;
            r->listed = true;
        }
    pthread_mutex_unlock(&local_lock);
    return r;
}

void odz_racing_stop(odz_racing *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&local_lock); /* no new in-process sender; wait for those inside */
    for (int i = 0; i < LOCAL_MAX; i++)
        if (local[i] == r)
            local[i] = NULL;
    while (r->users)
        pthread_cond_wait(&local_idle, &local_lock);
    pthread_mutex_unlock(&local_lock);
    if (r->sub_req > 0)
        odz_bus_unsubscribe(r->bus, r->sub_req);
    if (r->sub_prices > 0)
        odz_bus_unsubscribe(r->bus, r->sub_prices);
    odz_matching_free(r->matching);
    odz_matcher_free(r->matcher);
    pthread_mutex_destroy(&r->apply);
    free(r);
}

/* The racing service of this process on `bus`, held (users) until local_release; NULL when
 * none. */
static odz_racing *local_take(odz_bus *bus)
{
    odz_racing *r = NULL;
    pthread_mutex_lock(&local_lock);
    for (int i = 0; i < LOCAL_MAX && !r; i++)
        if (local[i] && local[i]->bus == bus)
            r = local[i];
    if (r)
        r->users++;
    pthread_mutex_unlock(&local_lock);
    return r;
}

static void local_release(odz_racing *r)
{
    pthread_mutex_lock(&local_lock);
    if (--r->users == 0)
        pthread_cond_broadcast(&local_idle);
    pthread_mutex_unlock(&local_lock);
}

int odz_racing_upsert(odz_bus *bus, const odz_batch *b, const char *source, bool match,
                      int timeout_ms, odz_upsert_result *out, char *err)
{
    odz_racing *r = local_take(bus);
    *out = (odz_upsert_result){0};
    if (r) {
        odz_changes ch = {0};
        pthread_mutex_lock(&r->apply);
        int rc = apply_batch(r, b, source, match, &ch, err);
        if (rc == 0)
            odz_racing__publish(r->bus, r->store, r->matcher, &ch, odz_log_corr());
        pthread_mutex_unlock(&r->apply);
        odz_thread_yield(); /* after the unlock: the other sources' writes wait for the lock */
        if (rc == 0)
            *out = (odz_upsert_result){(int)ch.n_race_ids, ch.scratchings};
        odz_changes_free(&ch);
        odz_races_open_refresh(r->store, 0);
        local_release(r);
        return rc;
    }
    json_t *req = odz_batch_to_json(b), *data = NULL;
    if (!req)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    if (source)
        json_object_set_new(req, "source", json_string(source));
    if (match)
        json_object_set_new(req, "match", json_true());
    int rc = odz_racing_call(bus, "upsert_batch", req, timeout_ms, &data, err);
    json_decref(req);
    if (rc == 0)
        *out = (odz_upsert_result){(int)json_integer_value(json_object_get(data, "races_changed")),
                                   (int)json_integer_value(json_object_get(data, "scratchings"))};
    json_decref(data);
    return rc;
}

int odz_racing_call(odz_bus *bus, const char *op, json_t *req, int timeout_ms, json_t **data,
                    char *err)
{
    char subject[ODZ_SUBJECT_MAX];
    *data = NULL;
    snprintf(subject, sizeof subject, "racing.%s", op);
    char *body = req ? odz_json_dumps(req) : strdup("{}");
    if (!body)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    char *rep = NULL;
    size_t rlen = 0;
    int rc = odz_bus_request(bus, subject, body, strlen(body), timeout_ms, odz_log_corr(), &rep,
                               &rlen);
    free(body);
    if (rc)
        return odz_fail(err, ODZ_ERRLEN, rc, "racing.%s: %s", op, odz_errcode(rc));
    json_t *j = odz_json_loadb(rep, rlen, ODZ_BUS_MSG_MAX, err, ODZ_ERRLEN);
    free(rep);
    if (!j)
        return ODZ_EIO;
    if (json_is_true(json_object_get(j, "ok"))) {
        *data = json_incref(json_object_get(j, "data"));
        json_decref(j);
        return 0;
    }
    const char *code = json_string_value(json_object_get(j, "error"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    odz_fail(err, ODZ_ERRLEN, 0, "%s", msg ? msg : "racing service error");
    rc = odz_errcode_parse(code);
    if (rc == 0)
        rc = ODZ_EIO; /* "ok": false with "error": "ok" is a broken reply */
    json_decref(j);
    return rc;
}

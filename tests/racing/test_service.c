/* The racing service over the in-process bus: operations as requests, events after commits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "racing/racing.h"
#include "support/racing_call.h"

typedef struct {
    odz_bus *bus;
    odz_store *store;
    odz_racing *svc;
    pthread_mutex_t lock;
    json_t *events; /* [{subject, data}] */
} fx;

static void on_event(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    fx *f = ud;
    size_t n = strlen(m->subject);
    if (n > 5 && !strcmp(m->subject + n - 5, ".odds"))
        return; /* the odds matcher's, tested in test_matcher.c */
    pthread_mutex_lock(&f->lock);
    json_array_append_new(f->events, json_pack("{s:s,s:o}", "subject", m->subject, "data",
                                               json_loads(m->data, 0, NULL)));
    pthread_mutex_unlock(&f->lock);
}

static int setup(void **st)
{
    fx *f = calloc(1, sizeof *f);
    int rc = racing_env_open(&f->bus, &f->store, &f->svc);
    f->events = json_array();
    pthread_mutex_init(&f->lock, NULL);
    *st = f;
    if (rc)
        return rc;
    odz_bus_subscribe(f->bus, "race.>", NULL, 0, on_event, f);
    return 0;
}

static int teardown(void **st)
{
    fx *f = *st;
    racing_env_close(f->bus, f->store, f->svc);
    json_decref(f->events);
    pthread_mutex_destroy(&f->lock);
    free(f);
    return 0;
}

static json_t *call_ok(fx *f, const char *op, json_t *req)
{
    return racing_ok(f->bus, op, req);
}

static int call_err(fx *f, const char *op, json_t *req, char *err)
{
    json_t *data = NULL;
    int rc = odz_racing_call(f->bus, op, req, 2000, &data, err);
    json_decref(req);
    json_decref(data);
    return rc;
}

static size_t wait_events(fx *f, size_t n)
{
    size_t have = 0;
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&f->lock);
        have = json_array_size(f->events);
        pthread_mutex_unlock(&f->lock);
        if (have >= n)
            break;
        usleep(2000);
    }
    return have;
}

static json_t *seed_batch(const char *status)
{
    return json_pack(
        "{s:[{s:s,s:s,s:s,s:s,s:s,s:s}],"
        "s:[{s:s,s:{s:s,s:i,s:s,s:I,s:s}}],"
        "s:[{s:s,s:{s:s,s:i,s:i,s:s}},{s:s,s:{s:s,s:i,s:i,s:s}}],"
        "s:[{s:s,s:s,s:s,s:i,s:I}]}",
        "meetings", "source_key", "M1", "name", "Randwick", "country", "AUS", "region",
        "Australia & New Zealand", "race_type", "thoroughbred", "date", "2026-11-26",
        "races", "meeting_key", "M1", "race", "source_key", "R1", "number", 1, "name", "Maiden",
        "scheduled_start", (json_int_t)1795620000, "status", status,
        "selections", "race_key", "R1", "selection", "source_key", "S1", "number", 1, "barrier", 4,
        "name", "Fast One", "race_key", "R1", "selection", "source_key", "S2", "number", 2,
        "barrier", 1, "name", "Slow Two",
        "prices", "selection_key", "S1", "provider", "tab", "market", "fixed_win", "odds", 350,
        "ts", (json_int_t)1795600000);
}

static void batch_then_views_and_events(void **st)
{
    fx *f = *st;
    json_t *ch = call_ok(f, "upsert_batch", seed_batch("OPEN"));
    assert_int_equal(json_integer_value(json_object_get(ch, "races_added")), 1);
    assert_int_equal(json_integer_value(json_object_get(ch, "selections_added")), 2);
    json_decref(ch);
    assert_true(wait_events(f, 2) >= 2); /* race.1.updated + race.1.price */
    pthread_mutex_lock(&f->lock);
    int saw_updated = 0, saw_price = 0;
    size_t i;
    json_t *e;
    json_array_foreach(f->events, i, e)
    {
        const char *subj = json_string_value(json_object_get(e, "subject"));
        json_t *d = json_object_get(e, "data");
        if (!strcmp(subj, "race.1.updated")) {
            saw_updated = 1;
            assert_string_equal(json_string_value(json_object_get(d, "status")), "OPEN");
        }
        if (!strcmp(subj, "race.1.price")) {
            saw_price = 1;
            assert_int_equal(json_integer_value(json_object_get(d, "number")), 1);
            assert_true(json_real_value(json_object_get(d, "price")) == 3.5);
            assert_true(json_is_null(json_object_get(d, "previous")));
        }
    }
    json_array_clear(f->events);
    pthread_mutex_unlock(&f->lock);
    assert_true(saw_updated && saw_price);

    /* the same scrape again: no events */
    json_decref(call_ok(f, "upsert_batch", seed_batch("OPEN")));
    usleep(30000);
    assert_int_equal(wait_events(f, 1), 0);

    json_t *card = call_ok(f, "racecard", json_pack("{s:i}", "race_id", 1));
    assert_string_equal(json_string_value(json_object_get(json_object_get(card, "meeting"), "name")),
                        "Randwick");
    json_t *runners = json_object_get(card, "runners");
    assert_int_equal(json_array_size(runners), 2);
    json_t *r1 = json_array_get(runners, 0);
    assert_int_equal(json_integer_value(json_object_get(r1, "barrier")), 4);
    assert_true(json_real_value(json_object_get(json_object_get(r1, "prices"), "fixed_win")) == 3.5);
    assert_int_equal(json_array_size(json_object_get(json_object_get(card, "meeting"), "race_ids")), 1);
    json_decref(card);

    json_t *sch = call_ok(f, "schedule", json_pack("{s:s}", "date", "2026-11-26"));
    json_t *g = json_array_get(json_object_get(sch, "groups"), 0);
    assert_string_equal(json_string_value(json_object_get(g, "race_type")), "thoroughbred");
    json_t *m = json_array_get(json_object_get(g, "meetings"), 0);
    assert_true(json_is_true(json_object_get(m, "has_races")));
    json_decref(sch);
    sch = call_ok(f, "schedule", json_pack("{s:s,s:s}", "date", "2026-11-26", "type", "harness"));
    assert_int_equal(json_array_size(json_object_get(sch, "groups")), 0);
    json_decref(sch);

    /* a scratching and a result move the race and publish it */
    json_t *b = seed_batch("FINAL");
    json_t *race = json_object_get(json_array_get(json_object_get(b, "races"), 0), "race");
    json_object_set_new(race, "results", json_pack("[{s:i,s:i},{s:i,s:i}]", "position", 1,
                                                   "number", 2, "position", 2, "number", 1));
    json_decref(call_ok(f, "upsert_batch", b));
    assert_true(wait_events(f, 1) >= 1);
    pthread_mutex_lock(&f->lock);
    json_t *d = json_object_get(json_array_get(f->events, 0), "data");
    assert_string_equal(json_string_value(json_object_get(d, "status")), "FINAL");
    assert_int_equal(json_array_size(json_object_get(d, "results")), 2);
    pthread_mutex_unlock(&f->lock);
}

static void count_request(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    (void)m;
    __atomic_add_fetch((int *)ud, 1, __ATOMIC_SEQ_CST);
}

/* A stand-in racing service in another process: records the body, answers fixed counts. */
static void fake_upsert(odz_bus *b, const odz_msg *m, void *ud)
{
    *(json_t **)ud = json_loadb(m->data, m->len, 0, NULL);
    static const char rep[] = "{\"ok\":true,\"data\":{\"races_changed\":2,\"scratchings\":1}}";
    odz_bus_respond(b, m, rep, sizeof rep - 1);
}

/* odz_racing_upsert: a racing service of this process on the same bus gets the batch directly
 * (nothing on the bus but the change events); without one the batch goes as a JSON request
 * naming its source and asking for matching; a stopped service is no longer reached. */
static void batch_in_process_without_the_bus(void **st)
{
    fx *f = *st;
    char err[ODZ_ERRLEN] = "";
    odz_batch_owned b;
    json_t *j = seed_batch("OPEN");
    assert_int_equal(odz_batch_from_json(j, &b, err, sizeof err), 0);
    json_decref(j);
    int requests = 0;
    assert_true(odz_bus_subscribe(f->bus, "racing.>", NULL, 0, count_request, &requests) > 0);
    odz_upsert_result res;
    assert_int_equal(odz_racing_upsert(f->bus, &b.batch, "replay", false, 2000, &res, err), 0);
    assert_int_equal(res.races_changed, 1);
    assert_true(wait_events(f, 2) >= 2); /* race.1.updated + race.1.price */
    json_t *card = call_ok(f, "racecard", json_pack("{s:i}", "race_id", 1));
    json_t *r1 = json_array_get(json_object_get(card, "runners"), 0);
    assert_true(json_real_value(json_object_get(json_object_get(r1, "prices"), "fixed_win")) == 3.5);
    json_decref(card);
    usleep(20000);
    assert_int_equal(__atomic_load_n(&requests, __ATOMIC_SEQ_CST), 1); /* the racecard only */

    odz_bus *other = odz_bus_inproc_new();
    json_t *body = NULL;
    assert_true(odz_bus_subscribe(other, "racing.upsert_batch", NULL, 0, fake_upsert, &body) > 0);
    assert_int_equal(odz_racing_upsert(other, &b.batch, "replay", true, 2000, &res, err), 0);
    assert_int_equal(res.races_changed, 2);
    assert_int_equal(res.scratchings, 1);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "source")), "replay");
    assert_true(json_is_true(json_object_get(body, "match")));
    assert_int_equal(json_array_size(json_object_get(body, "prices")), 1);
    json_decref(body);
    other->ops->close(other);

    odz_racing_stop(f->svc);
    f->svc = NULL;
    /* now it goes over the bus, where only the counter listens */
    assert_int_equal(odz_racing_upsert(f->bus, &b.batch, NULL, false, 200, &res, err),
                     ODZ_ETIMEOUT);
    assert_int_equal(__atomic_load_n(&requests, __ATOMIC_SEQ_CST), 2);
    odz_batch_owned_free(&b);
}

static void errors_are_clear(void **st)
{
    fx *f = *st;
    char err[ODZ_ERRLEN];
    assert_int_equal(call_err(f, "get_race", json_pack("{s:i}", "race_id", 99), err), ODZ_ENOTFOUND);
    assert_non_null(strstr(err, "99"));
    assert_int_equal(call_err(f, "get_race", json_pack("{s:s}", "race_id", "x"), err), ODZ_EINVAL);
    assert_int_equal(call_err(f, "no_such_op", NULL, err), ODZ_ENOTFOUND);
    assert_int_equal(call_err(f, "schedule", json_pack("{s:s}", "date", "26/11/2026"), err),
                     ODZ_EINVAL);
    json_decref(call_ok(f, "upsert_batch", seed_batch("FINAL")));
    json_t *race = call_ok(f, "get_race", json_pack("{s:i}", "race_id", 1));
    json_object_set_new(race, "status", json_string("OPEN"));
    assert_int_equal(call_err(f, "update_race", json_pack("{s:o}", "race", race), err), ODZ_ESTATE);
    assert_non_null(strstr(err, "FINAL to OPEN"));
    json_t *bad = json_pack("{s:[{s:s}]}", "races", "meeting_key", "M1");
    assert_int_equal(call_err(f, "upsert_batch", bad, err), ODZ_EINVAL);
    /* malformed body straight on the bus */
    char *rep = NULL;
    assert_int_equal(odz_bus_request(f->bus, "racing.get_race", "{oops", 5, 1000, NULL, &rep, NULL), 0);
    assert_non_null(strstr(rep, "\"ok\":false"));
    free(rep);
}

static void price_points_from_the_updater(void **st)
{
    fx *f = *st;
    json_decref(call_ok(f, "upsert_batch", seed_batch("OPEN")));
    wait_events(f, 2);
    pthread_mutex_lock(&f->lock);
    json_array_clear(f->events);
    pthread_mutex_unlock(&f->lock);
    const char *msg = "[{\"selection_id\":1,\"provider\":\"oddzy\",\"market\":\"fixed_win\","
                      "\"odds\":300,\"ts\":1795600100},{\"selection_id\":1,\"market\":\"nope\"}]";
    odz_bus_publish(f->bus, "prices.1", msg, strlen(msg), NULL);
    assert_true(wait_events(f, 1) >= 1);
    json_t *h = call_ok(f, "price_history", json_pack("{s:i}", "selection_id", 1));
    assert_int_equal(json_array_size(h), 2);
    json_decref(h);
    json_t *fl = call_ok(f, "flucs", json_pack("{s:i}", "race_id", 1));
    json_t *r1 = json_array_get(json_object_get(fl, "runners"), 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(r1, "flucs"), "fixed_win")), 1);
    json_decref(fl);
    json_t *card = call_ok(f, "racecard", json_pack("{s:i}", "race_id", 1));
    json_t *p = json_object_get(json_array_get(json_object_get(card, "runners"), 0), "prices");
    assert_true(json_real_value(json_object_get(p, "fixed_win")) == 3.0);
    json_decref(card);
}

/* A race that is no longer open takes no more prices from the updater. */
static void prices_refused_once_closed(void **st)
{
    fx *f = *st;
    json_decref(call_ok(f, "upsert_batch", seed_batch("CLOSED")));
    wait_events(f, 2);
    pthread_mutex_lock(&f->lock);
    json_array_clear(f->events);
    pthread_mutex_unlock(&f->lock);
    const char *msg = "[{\"selection_id\":1,\"provider\":\"oddzy\",\"market\":\"fixed_win\","
                      "\"odds\":300,\"ts\":1795600100}]";
    odz_bus_publish(f->bus, "prices.1", msg, strlen(msg), NULL);
    usleep(300000);
    json_t *h = call_ok(f, "price_history", json_pack("{s:i}", "selection_id", 1));
    for (size_t i = 0; i < json_array_size(h); i++)
        assert_string_not_equal(json_string_value(json_object_get(json_array_get(h, i), "provider")),
                                "oddzy");
    json_decref(h);
    pthread_mutex_lock(&f->lock);
    size_t n = json_array_size(f->events);
    pthread_mutex_unlock(&f->lock);
    assert_int_equal(n, 0); /* and nothing published */
}

/* The seed batch with the exchange: runner 1's book and best prices on "betfair". */
static json_t *exchange_batch(int64_t back2_size)
{
    json_t *b = seed_batch("OPEN");
    json_t *book = json_pack(
        "{s:s,s:s,s:[{s:i,s:I},{s:i,s:I}],s:[{s:i,s:I}],s:i,s:I,s:i,s:I}", "selection_key", "S1",
        "provider", "betfair", "back", "odds", 345, "size", (json_int_t)12050, "odds", 340, "size",
        (json_int_t)back2_size, "lay", "odds", 350, "size", (json_int_t)3300, "last_traded", 345,
        "traded_volume", (json_int_t)1234567, "starting_price", 0, "ts", (json_int_t)1795600050);
    json_object_set_new(b, "books", json_pack("[o]", book));
    json_t *prices = json_object_get(b, "prices");
    json_array_append_new(prices, json_pack("{s:s,s:s,s:s,s:i,s:I}", "selection_key", "S1",
                                            "provider", "betfair", "market", "exchange_back",
                                            "odds", 345, "ts", (json_int_t)1795600050));
    json_array_append_new(prices, json_pack("{s:s,s:s,s:s,s:i,s:I}", "selection_key", "S1",
                                            "provider", "betfair", "market", "exchange_lay",
                                            "odds", 350, "ts", (json_int_t)1795600050));
    return b;
}

static json_t *event_of(fx *f, const char *subject, const char *market)
{
    size_t i;
    json_t *e;
    json_array_foreach(f->events, i, e)
    {
        json_t *d = json_object_get(e, "data");
        if (!strcmp(json_string_value(json_object_get(e, "subject")), subject) &&
            (!market || !strcmp(json_string_value(json_object_get(d, "market")), market)))
            return d;
    }
    return NULL;
}

/* Exchange books: stored from the batch, published as race.<id>.exchange, sizes on the
 * exchange price events, every provider's book on the race card. */
static void exchange_books_events_and_card(void **st)
{
    fx *f = *st;
    json_decref(call_ok(f, "upsert_batch", exchange_batch(5000)));
    assert_true(wait_events(f, 5) >= 5); /* updated, 3 prices, 1 book */
    pthread_mutex_lock(&f->lock);
    json_t *d = event_of(f, "race.1.exchange", NULL);
    assert_non_null(d);
    assert_int_equal(json_integer_value(json_object_get(d, "race_id")), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "selection_id")), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "number")), 1);
    assert_string_equal(json_string_value(json_object_get(d, "provider")), "betfair");
    json_t *back = json_object_get(d, "back"), *lay = json_object_get(d, "lay");
    assert_int_equal(json_array_size(back), 2);
    assert_int_equal(json_array_size(lay), 1);
    assert_true(json_number_value(json_object_get(json_array_get(back, 0), "price")) == 3.45);
    assert_true(json_number_value(json_object_get(json_array_get(back, 0), "size")) == 120.5);
    assert_true(json_number_value(json_object_get(json_array_get(back, 1), "price")) == 3.4);
    assert_true(json_number_value(json_object_get(json_array_get(back, 1), "size")) == 50.0);
    assert_true(json_number_value(json_object_get(json_array_get(lay, 0), "size")) == 33.0);
    assert_true(json_number_value(json_object_get(d, "last_traded")) == 3.45);
    assert_true(json_number_value(json_object_get(d, "traded_volume")) == 12345.67);
    assert_true(json_is_null(json_object_get(d, "starting_price")));
    assert_int_equal(json_integer_value(json_object_get(d, "ts")), 1795600050);
    /* the exchange prices carry the size offered at them; other markets have none */
    d = event_of(f, "race.1.price", "exchange_back");
    assert_non_null(d);
    assert_true(json_number_value(json_object_get(d, "size")) == 120.5);
    d = event_of(f, "race.1.price", "exchange_lay");
    assert_true(json_number_value(json_object_get(d, "size")) == 33.0);
    d = event_of(f, "race.1.price", "fixed_win");
    assert_null(json_object_get(d, "size"));
    json_array_clear(f->events);
    pthread_mutex_unlock(&f->lock);

    /* the same book again: nothing; a size deeper in the ladder: the book alone */
    json_decref(call_ok(f, "upsert_batch", exchange_batch(5000)));
    usleep(30000);
    assert_int_equal(wait_events(f, 1), 0);
    json_decref(call_ok(f, "upsert_batch", exchange_batch(7525)));
    assert_true(wait_events(f, 1) >= 1);
    usleep(30000);
    pthread_mutex_lock(&f->lock);
    assert_int_equal(json_array_size(f->events), 1);
    d = event_of(f, "race.1.exchange", NULL);
    assert_non_null(d);
    assert_true(json_number_value(json_object_get(
                    json_array_get(json_object_get(d, "back"), 1), "size")) == 75.25);
    pthread_mutex_unlock(&f->lock);

    /* the race card: each runner's books by provider */
    json_t *card = call_ok(f, "racecard", json_pack("{s:i}", "race_id", 1));
    json_t *runners = json_object_get(card, "runners");
    json_t *ex = json_object_get(json_object_get(json_array_get(runners, 0), "exchange"),
                                 "betfair");
    assert_non_null(ex);
    assert_int_equal(json_array_size(json_object_get(ex, "back")), 2);
    assert_true(json_number_value(json_object_get(
                    json_array_get(json_object_get(ex, "back"), 1), "size")) == 75.25);
    assert_true(json_number_value(json_object_get(
                    json_array_get(json_object_get(ex, "lay"), 0), "price")) == 3.5);
    assert_true(json_number_value(json_object_get(ex, "traded_volume")) == 12345.67);
    assert_int_equal(json_integer_value(json_object_get(ex, "ts")), 1795600050);
    json_t *ex2 = json_object_get(json_array_get(runners, 1), "exchange");
    assert_true(json_is_object(ex2) && json_object_size(ex2) == 0);
    /* old fields unchanged */
    json_t *odds = json_object_get(json_array_get(runners, 0), "odds");
    assert_true(json_number_value(json_object_get(json_object_get(odds, "betfair"),
                                                  "exchange_back")) == 3.45);
    json_decref(card);

    /* a malformed book fails the batch whole */
    char err[ODZ_ERRLEN];
    json_t *bad = exchange_batch(5000);
    json_t *lv = json_array_get(json_object_get(json_array_get(json_object_get(bad, "books"), 0),
                                                "back"),
                                1);
    json_object_set_new(lv, "odds", json_integer(360)); /* better than level 1 */
    assert_int_equal(call_err(f, "upsert_batch", bad, err), ODZ_EINVAL);
    assert_non_null(strstr(err, "book 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(batch_then_views_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_in_process_without_the_bus, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_are_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(price_points_from_the_updater, setup, teardown),
        cmocka_unit_test_setup_teardown(prices_refused_once_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(exchange_books_events_and_card, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

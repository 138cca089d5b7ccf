/* The price updater against a real racing service (in-process bus, SQLite in memory): prices
 * recorded as history with provider oddzy, race.<id>.price events, scratchings repriced at
 * once, nothing more after the race closes, and a restart carrying on from our prices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "obs/metrics.h"
#include "prices/market.h"
#include "prices/updater.h"
#include "racing/racing.h"

#define RUNNERS 8

typedef struct {
    odz_bus *bus;
    odz_store *store;
    odz_racing *svc;
    odz_price_updater *up;
    pthread_mutex_t lock;
    int events;   /* race.1.price events of provider oddzy */
    int messages; /* prices.1 messages (what the updater sent) */
    int points;   /* price points in them */
    int bad;      /* events that break a rule */
    int64_t race_id;
} fx;

static void on_price_event(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    fx *f = ud;
    json_t *j = json_loads(m->data, 0, NULL);
    const char *prov = json_string_value(json_object_get(j, "provider"));
    pthread_mutex_lock(&f->lock);
    if (prov && !strcmp(prov, "oddzy"))
        f->events++;
    else
        f->bad++;
    pthread_mutex_unlock(&f->lock);
    json_decref(j);
}

static void on_price_message(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    fx *f = ud;
    json_t *j = json_loads(m->data, 0, NULL);
    size_t i;
    json_t *v;
    int bad = !json_is_array(j) || !json_array_size(j);
    json_array_foreach(j, i, v)
    {
        const char *mk = json_string_value(json_object_get(v, "market"));
        int odds = (int)json_integer_value(json_object_get(v, "odds"));
        bad |= strcmp(json_string_value(json_object_get(v, "provider")), "oddzy") != 0;
        bad |= !mk || (strcmp(mk, "fixed_win") && strcmp(mk, "fixed_place"));
        bad |= mk && !strcmp(mk, "fixed_win") && !odz_ladder_valid(odds);
    }
    pthread_mutex_lock(&f->lock);
    f->messages++;
    f->points += (int)json_array_size(j);
    f->bad += bad;
    pthread_mutex_unlock(&f->lock);
    json_decref(j);
}

static json_t *call_ok(fx *f, const char *op, json_t *req)
{
    json_t *data = NULL;
    char err[ODZ_ERRLEN] = "";
    int rc = odz_racing_call(f->bus, op, req, 2000, &data, err);
    if (rc)
        fail_msg("%s: %d %s", op, rc, err);
    json_decref(req);
    return data;
}

/* One meeting, one open race 10 minutes away, RUNNERS runners with a TAB price each. */
static void seed_race(fx *f)
{
    json_t *sels = json_array(), *prices = json_array();
    for (int i = 1; i <= RUNNERS; i++) {
        char key[16], name[32];
        snprintf(key, sizeof key, "S%d", i);
        snprintf(name, sizeof name, "Runner %d", i);
        json_array_append_new(sels, json_pack("{s:s,s:{s:s,s:i,s:i,s:s}}", "race_key", "R1",
                                              "selection", "source_key", key, "number", i,
                                              "barrier", i, "name", name));
        json_array_append_new(prices, json_pack("{s:s,s:s,s:s,s:i,s:I}", "selection_key", key,
                                                "provider", "tab", "market", "fixed_win", "odds",
                                                300 + 150 * i, "ts", (json_int_t)odz_now()));
    }
    json_t *b =
        json_pack("{s:[{s:s,s:s,s:s,s:s,s:s,s:s}],s:[{s:s,s:{s:s,s:i,s:s,s:I,s:s}}],s:o,s:o}",
                  "meetings", "source_key", "M1", "name", "Randwick", "country", "AUS", "region",
                  "Australia & New Zealand", "race_type", "thoroughbred", "date", "2026-11-26",
                  "races", "meeting_key", "M1", "race", "source_key", "R1", "number", 1, "name",
                  "Maiden", "scheduled_start", (json_int_t)(odz_now() + 600), "status", "OPEN",
                  "selections", sels, "prices", prices);
    json_decref(call_ok(f, "upsert_batch", b));
    json_t *races = call_ok(f, "next_races", json_pack("{s:i}", "limit", 1));
    f->race_id = json_integer_value(
        json_object_get(json_array_get(json_object_get(races, "races"), 0), "race_id"));
    json_decref(races);
    assert_true(f->race_id > 0);
}

static int setup(void **st)
{
    fx *f = calloc(1, sizeof *f);
    char err[ODZ_ERRLEN];
    pthread_mutex_init(&f->lock, NULL);
    f->bus = odz_bus_inproc_new();
    f->store = odz_store_sqlite_open(":memory:", err);
    f->svc = f->store ? odz_racing_start(f->bus, f->store, NULL, err) : NULL;
    *st = f;
    if (!f->svc)
        return -1;
    seed_race(f);
    char subj[64];
    snprintf(subj, sizeof subj, "race.%lld.price", (long long)f->race_id);
    odz_bus_subscribe(f->bus, subj, NULL, 0, on_price_event, f);
    snprintf(subj, sizeof subj, "prices.%lld", (long long)f->race_id);
    odz_bus_subscribe(f->bus, subj, NULL, 0, on_price_message, f);
    return 0;
}

static int teardown(void **st)
{
    fx *f = *st;
    odz_prices_stop(f->up);
    odz_racing_stop(f->svc);
    odz_bus_close(f->bus);
    if (f->store)
        f->store->ops->close(f->store);
    pthread_mutex_destroy(&f->lock);
    free(f);
    return 0;
}

static odz_price_updater *start(fx *f, int interval_ms, uint64_t seed)
{
    odz_prices_config c;
    char err[ODZ_ERRLEN] = "";
    odz_prices_config_defaults(&c);
    c.seed = seed;
    c.interval_ms = interval_ms;
    c.refresh_ms = 100;
    odz_price_updater *u = odz_prices_start(f->bus, &c, err);
    if (!u)
        fail_msg("start: %s", err);
    return u;
}

static int count(fx *f, int *which)
{
    pthread_mutex_lock(&f->lock);
    int n = *which;
    pthread_mutex_unlock(&f->lock);
    return n;
}

static int wait_count(fx *f, int *which, int n, int ms)
{
    int have = 0;
    for (int t = 0; t < ms / 5; t++) {
        if ((have = count(f, which)) >= n)
            break;
        usleep(5000);
    }
    return have;
}

static void wait_markets(odz_price_updater *u, size_t n)
{
    for (int t = 0; t < 600 && odz_prices_markets(u) != n; t++)
        usleep(5000);
    assert_int_equal(odz_prices_markets(u), n);
}

/* Our latest fixed prices by runner number (index 1..RUNNERS); the win book percentage. */
static double latest(fx *f, int *win, int *place)
{
    json_t *sels =
        call_ok(f, "list_selections", json_pack("{s:I}", "race_id", (json_int_t)f->race_id));
    json_t *ps = call_ok(f, "latest_prices", json_pack("{s:I}", "race_id", (json_int_t)f->race_id));
    double pct = 0;
    memset(win, 0, sizeof(int) * (RUNNERS + 1));
    memset(place, 0, sizeof(int) * (RUNNERS + 1));
    size_t i, k;
    json_t *p, *s;
    json_array_foreach(ps, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "provider")), "oddzy"))
            continue;
        json_int_t sid = json_integer_value(json_object_get(p, "selection_id"));
        const char *mk = json_string_value(json_object_get(p, "market"));
        int odds = (int)json_integer_value(json_object_get(p, "odds"));
        json_array_foreach(sels, k, s)
        {
            if (json_integer_value(json_object_get(s, "selection_id")) != sid)
                continue;
            int num = (int)json_integer_value(json_object_get(s, "number"));
            if (json_is_true(json_object_get(s, "is_scratched")))
                break;
            if (!strcmp(mk, "fixed_win")) {
                win[num] = odds;
                pct += 10000.0 / odds;
            } else if (!strcmp(mk, "fixed_place")) {
                place[num] = odds;
            }
        }
    }
    json_decref(sels);
    json_decref(ps);
    return pct;
}

static void set_status(fx *f, const char *status)
{
    json_t *race = call_ok(f, "get_race", json_pack("{s:I}", "race_id", (json_int_t)f->race_id));
    json_object_set_new(race, "status", json_string(status));
    json_decref(call_ok(f, "update_race", json_pack("{s:o}", "race", race)));
}

static void prices_are_recorded_and_published(void **st)
{
    fx *f = *st;
    f->up = start(f, 40, 7);
    wait_markets(f->up, 1);
    /* the opening book: a win and a place price per runner, then the walk */
    assert_true(wait_count(f, &f->events, 2 * RUNNERS + 10, 5000) >= 2 * RUNNERS + 10);
    int win[RUNNERS + 1], place[RUNNERS + 1];
    double pct = latest(f, win, place);
    for (int i = 1; i <= RUNNERS; i++) {
        assert_true(odz_ladder_valid(win[i]));
        assert_true(place[i] >= ODZ_PLACE_FLOOR && place[i] < win[i]);
    }
    /* moves are published one message at a time, so the recorded book may lag one move */
    assert_true(pct > ODZ_BOOK_MIN - 5 && pct < ODZ_BOOK_MAX + 5);
    /* the race card shows our prices */
    json_t *card = call_ok(f, "racecard", json_pack("{s:I}", "race_id", (json_int_t)f->race_id));
    json_t *r1 = json_array_get(json_object_get(card, "runners"), 0);
    double shown = json_real_value(json_object_get(json_object_get(r1, "prices"), "fixed_win"));
    json_decref(card);
    assert_true(odz_ladder_valid((int)(shown * 100 + 0.5)));
    /* history grows: flucs of runner 1 have more than one point after a while */
    int before = count(f, &f->events);
    assert_true(wait_count(f, &f->events, before + 20, 5000) >= before + 20);
    json_t *fl = call_ok(f, "flucs", json_pack("{s:I}", "race_id", (json_int_t)f->race_id));
    size_t i, points = 0;
    json_t *r;
    json_array_foreach(json_object_get(fl, "runners"), i, r) points +=
        json_array_size(json_object_get(json_object_get(r, "flucs"), "fixed_win"));
    json_decref(fl);
    assert_true(points > RUNNERS);
    assert_int_equal(count(f, &f->bad), 0);
    assert_true(odz_metric_value(odz_counter("oddzy_price_changes_published_total", NULL, NULL)) >=
                2 * RUNNERS);
    assert_true(odz_metric_value(odz_gauge("oddzy_price_markets", NULL, NULL)) == 1);
    /* every point we sent became history: none fell on a second already taken */
    odz_prices_stop(f->up);
    f->up = NULL;
    usleep(100000);
    assert_int_equal(count(f, &f->events), count(f, &f->points));
}

static void closed_race_gets_no_more_prices(void **st)
{
    fx *f = *st;
    f->up = start(f, 20, 8);
    wait_markets(f->up, 1);
    assert_true(wait_count(f, &f->messages, 5, 5000) >= 5);
    set_status(f, "CLOSED");
    wait_markets(f->up, 0);
    usleep(100000); /* let messages already on the bus drain */
    int msgs = count(f, &f->messages), evs = count(f, &f->events);
    usleep(600000); /* 30 ticks and 6 refreshes */
    assert_int_equal(count(f, &f->messages), msgs);
    assert_int_equal(count(f, &f->events), evs);
    assert_int_equal(odz_prices_markets(f->up), 0);
    assert_int_equal(count(f, &f->bad), 0);
}

static void scratching_is_repriced_at_once(void **st)
{
    fx *f = *st;
    f->up = start(f, 60000, 9); /* no ticks: only the opening and the scratching publish */
    wait_markets(f->up, 1);
    assert_true(wait_count(f, &f->events, 2 * RUNNERS, 3000) >= 2 * RUNNERS);
    usleep(50000);
    int win[RUNNERS + 1], place[RUNNERS + 1];
    latest(f, win, place);
    int fav = 1;
    for (int i = 2; i <= RUNNERS; i++)
        if (win[i] < win[fav])
            fav = i;
    int msgs = count(f, &f->messages);
    json_t *sels =
        call_ok(f, "list_selections", json_pack("{s:I}", "race_id", (json_int_t)f->race_id));
    json_int_t sid = 0;
    size_t i;
    json_t *s;
    json_array_foreach(sels, i, s) if (json_integer_value(json_object_get(s, "number")) == fav)
        sid = json_integer_value(json_object_get(s, "selection_id"));
    json_decref(sels);
    json_decref(call_ok(f, "scratch", json_pack("{s:I}", "selection_id", sid)));
    /* at once, or at the turn of the (simulated) second if the book just spoke */
    assert_true(wait_count(f, &f->messages, msgs + 1, 1000) >= msgs + 1);
    usleep(50000);
    int w2[RUNNERS + 1], p2[RUNNERS + 1];
    double pct = latest(f, w2, p2);
    assert_int_equal(w2[fav], 0);
    int shorter = 0;
    for (int k = 1; k <= RUNNERS; k++) {
        if (k == fav)
            continue;
        assert_true(w2[k] <= win[k]);
        shorter += w2[k] < win[k];
    }
    assert_true(shorter > 0);
    assert_true(pct >= ODZ_BOOK_MIN && pct <= ODZ_BOOK_MAX);
    assert_int_equal(count(f, &f->messages), msgs + 1);
}

static void restart_carries_on_from_our_prices(void **st)
{
    fx *f = *st;
    f->up = start(f, 30, 10);
    wait_markets(f->up, 1);
    assert_true(wait_count(f, &f->messages, 10, 5000) >= 10);
    odz_prices_stop(f->up);
    usleep(100000);
    int win[RUNNERS + 1], place[RUNNERS + 1];
    latest(f, win, place);
    int msgs = count(f, &f->messages);
    f->up = start(f, 60000, 11); /* another seed: a new book would differ */
    wait_markets(f->up, 1);
    usleep(300000);
    assert_int_equal(count(f, &f->messages), msgs); /* nothing to say: the book is ours */
    int w2[RUNNERS + 1], p2[RUNNERS + 1];
    latest(f, w2, p2);
    assert_memory_equal(win, w2, sizeof win);
    assert_memory_equal(place, p2, sizeof place);
}

static void bad_config_is_refused(void **st)
{
    fx *f = *st;
    odz_prices_config c;
    char err[ODZ_ERRLEN] = "";
    odz_prices_config_defaults(&c);
    c.max_races = 0;
    assert_null(odz_prices_start(f->bus, &c, err));
    assert_non_null(strstr(err, "out of range"));
    odz_prices_config_defaults(&c);
    c.interval_ms = 1;
    assert_null(odz_prices_start(f->bus, &c, err));
}

int main(void)
{
    /* simulated time 10x: history keeps one point a second, so markets move more often */
    odz_clock_configure(10, 0, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(prices_are_recorded_and_published, setup, teardown),
        cmocka_unit_test_setup_teardown(closed_race_gets_no_more_prices, setup, teardown),
        cmocka_unit_test_setup_teardown(scratching_is_repriced_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_carries_on_from_our_prices, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_config_is_refused, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    odz_metrics_free_all();
    return rc;
}

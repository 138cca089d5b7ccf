/* One race from many sources: exchange batches (upsert_batch with "match": true) against a
 * bookmaker's races in a SQLite store, through the racing service on the in-process bus. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/metrics.h"
#include "obs/source_metrics.h"
#include "racing/racing.h"
#include "racing/matching.h"
#include "support/racing_call.h"

#define DAY "2026-03-14"
#define T 1773460800 /* 2026-03-14 04:00 UTC: 15:00 in Sydney */

typedef struct {
    odz_bus *bus;
    odz_store *store;
    odz_racing *svc;
} fx;

static int setup(void **st)
{
    fx *f = calloc(1, sizeof *f);
    *st = f;
    return racing_env_open(&f->bus, &f->store, &f->svc);
}

static int teardown(void **st)
{
    fx *f = *st;
    racing_env_close(f->bus, f->store, f->svc);
    free(f);
    odz_srcstat_reset_for_tests();
    return 0;
}

static json_t *call_ok(fx *f, const char *op, json_t *req)
{
    return racing_ok(f->bus, op, req);
}

/* A batch of one meeting and one race with runners (names[i] is number i + 1), and a price
 * per runner (odds 200 + i) of `provider` in `market`. */
static json_t *batch(const char *mkey, const char *venue, const char *type, const char *rkey,
                     const char *race_name, int number, long long start, const char *const *names,
                     int n, const char *provider, const char *market)
{
    json_t *sels = json_array(), *prices = json_array();
    for (int i = 0; i < n; i++) {
        char sk[128];
        snprintf(sk, sizeof sk, "%s:%d", rkey, i + 1);
        json_array_append_new(sels, json_pack("{s:s,s:{s:s,s:i,s:s}}", "race_key", rkey,
                                              "selection", "source_key", sk, "number", i + 1,
                                              "name", names[i]));
        json_array_append_new(prices, json_pack("{s:s,s:s,s:s,s:i,s:I}", "selection_key", sk,
                                                "provider", provider, "market", market, "odds",
                                                200 + i, "ts", (json_int_t)(T - 3600)));
    }
    return json_pack("{s:[{s:s,s:s,s:s,s:s,s:s,s:s,s:I}],s:[{s:s,s:{s:s,s:i,s:s,s:I,s:s}}],"
                     "s:o,s:o}",
                     "meetings", "source_key", mkey, "name", venue, "country", "AUS", "region",
                     "Australia & New Zealand", "race_type", type, "date", DAY, "first_start",
                     (json_int_t)start, "races", "meeting_key", mkey, "race", "source_key", rkey,
                     "number", number, "name", race_name, "scheduled_start", (json_int_t)start,
                     "status", "OPEN", "selections", sels, "prices", prices);
}

/* The exchange's batch: "match": true from source "betfair", its own keys, prices of provider
 * betfair as exchange_back. */
static json_t *exchange_typed(const char *venue, const char *rkey, const char *market_name,
                              long long start, const char *const *names, int n, const char *type)
{
    char mkey[128];
    snprintf(mkey, sizeof mkey, "betfair:%s:%s:%s", DAY, rkey + 8, type);
    json_t *b = batch(mkey, venue, type, rkey, market_name, 1, start, names, n, "betfair",
                      "exchange_back");
    json_object_set_new(b, "match", json_true());
    json_object_set_new(b, "source", json_string("betfair"));
    return b;
}

static json_t *exchange(const char *venue, const char *rkey, const char *market_name,
                        long long start, const char *const *names, int n)
{
    return exchange_typed(venue, rkey, market_name, start, names, n, "thoroughbred");
}

static const char *const ballarat[] = {"O'Reilly", "Saint Kilda", "Frosbie", "Mount Zion",
                                       "Dr Who"};
static const char *const bendigo[] = {"Alpha", "Bravo", "Charlie"};

/* The bookmaker: Ballarat R3 and Bendigo R5, both at T. */
static void bookmaker(fx *f)
{
    json_decref(call_ok(f, "upsert_batch",
                        batch("bk-ballarat", "Ballarat", "thoroughbred", "bk-r3", "Maiden", 3, T,
                              ballarat, 5, "tab", "fixed_win")));
    json_decref(call_ok(f, "upsert_batch",
                        batch("bk-bendigo", "Bendigo", "thoroughbred", "bk-b5", "Handicap", 5, T,
                              bendigo, 3, "tab", "fixed_win")));
}

static size_t races_of_day(fx *f)
{
    json_t *rs = call_ok(f, "list_races", json_pack("{s:s,s:s}", "date_from", DAY, "date_to", DAY));
    size_t n = json_array_size(rs);
    json_decref(rs);
    return n;
}

static int64_t race_id_of(fx *f, const char *key)
{
    json_t *rs = call_ok(f, "list_races", json_pack("{s:s,s:s}", "date_from", DAY, "date_to", DAY));
    int64_t id = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rs, i, r) if (!strcmp(json_string_value(json_object_get(r, "source_key")),
                                             key)) id = json_integer_value(json_object_get(r, "race_id"));
    json_decref(rs);
    return id;
}

/* The selection id of runner `number` of race `race_id`; 0 when none. */
static int64_t selection_of(fx *f, int64_t race_id, int number)
{
    json_t *ss = call_ok(f, "list_selections", json_pack("{s:I}", "race_id", (json_int_t)race_id));
    int64_t sel = 0;
    size_t i;
    json_t *x;
    json_array_foreach(ss, i, x) if (json_integer_value(json_object_get(x, "number")) == number)
        sel = json_integer_value(json_object_get(x, "selection_id"));
    json_decref(ss);
    return sel;
}

/* The betfair exchange_back odds of runner `number` of race `race_id`; 0 when none. */
static int exchange_odds(fx *f, int64_t race_id, int number)
{
    json_t *ps = call_ok(f, "latest_prices", json_pack("{s:I}", "race_id", (json_int_t)race_id));
    int64_t sel = selection_of(f, race_id, number);
    size_t i;
    json_t *x;
    int odds = 0;
    json_array_foreach(ps, i, x) if (json_integer_value(json_object_get(x, "selection_id")) == sel &&
                                     !strcmp(json_string_value(json_object_get(x, "provider")),
                                             "betfair") &&
                                     !strcmp(json_string_value(json_object_get(x, "market")),
                                             "exchange_back"))
        odds = (int)json_integer_value(json_object_get(x, "odds"));
    json_decref(ps);
    return odds;
}

/* The unmatched entry of market `key`, NULL when it is not listed (caller decrefs). */
static json_t *unmatched(fx *f, const char *key)
{
    json_t *a = call_ok(f, "unmatched", NULL), *hit = NULL, *x;
    size_t i;
    json_array_foreach(a, i, x) if (!strcmp(json_string_value(json_object_get(x, "market_key")),
                                            key)) hit = json_incref(x);
    json_decref(a);
    return hit;
}

static void name_variations_match(void **st)
{
    fx *f = *st;
    bookmaker(f);
    /* the exchange's way of writing the same race: a sponsor before the venue, saddle numbers,
     * country suffixes, no apostrophe, "St" for "Saint", "Mt" for "Mount", another order */
    static const char *const ex[] = {"2. St. Kilda (NZ)", "1. OReilly (NZ)", "4. Mt Zion (IRE)",
                                     "3. Frosbie", "5. Dr. Who"};
    json_t *ch = call_ok(f, "upsert_batch",
                         exchange("Sportsbet-Ballarat", "betfair:901:1773460860",
                                  "R3 1200m Mdn", T + 60, ex, 5));
    assert_int_equal(json_integer_value(json_object_get(ch, "races_added")), 0);
    assert_int_equal(json_integer_value(json_object_get(ch, "meetings_added")), 0);
    assert_int_equal(json_integer_value(json_object_get(ch, "selections_added")), 0);
    assert_int_equal(json_integer_value(json_object_get(ch, "prices_added")), 5);
    json_decref(ch);
    assert_int_equal(races_of_day(f), 2); /* no second race */
    int64_t r3 = race_id_of(f, "bk-r3"), b5 = race_id_of(f, "bk-b5");
    /* ex[i] has odds 200 + i: each on the bookmaker's runner of that name */
    assert_int_equal(exchange_odds(f, r3, 2), 200);
    assert_int_equal(exchange_odds(f, r3, 1), 201);
    assert_int_equal(exchange_odds(f, r3, 4), 202);
    assert_int_equal(exchange_odds(f, r3, 3), 203);
    assert_int_equal(exchange_odds(f, r3, 5), 204);
    assert_int_equal(exchange_odds(f, b5, 1), 0); /* the other venue at the same time: nothing */
    assert_null(unmatched(f, "betfair:901:1773460860"));
    /* the decision is remembered: the next batch of the market goes the same way */
    json_t *again = exchange("Sportsbet-Ballarat", "betfair:901:1773460860", "R3 1200m Mdn",
                             T + 60, ex, 5);
    {
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(again, "prices"), i, p)
        {
            json_object_set_new(p, "odds", json_integer(300 + (int)i));
            json_object_set_new(p, "ts", json_integer(T - 1800));
        }
    }
    json_decref(call_ok(f, "upsert_batch", again));
    assert_int_equal(exchange_odds(f, r3, 2), 300);
    assert_int_equal(races_of_day(f), 2);
    /* the bookmaker's race keeps its own fields */
    json_t *r = call_ok(f, "get_race", json_pack("{s:I}", "race_id", (json_int_t)r3));
    assert_string_equal(json_string_value(json_object_get(r, "name")), "Maiden");
    assert_int_equal(json_integer_value(json_object_get(r, "number")), 3);
    json_decref(r);
    json_t *src = call_ok(f, "sources", NULL);
    assert_int_equal(json_array_size(src), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(src, 0), "markets_matched")),
                     1);
    json_decref(src);
}

/* Pairs that must not match: each stays a race of its own and is listed with its reason. */
static void must_not_match(void **st)
{
    fx *f = *st;
    bookmaker(f);
    static const char *const ex[] = {"1. O'Reilly", "2. Saint Kilda", "3. Frosbie",
                                     "4. Mount Zion", "5. Dr Who"};
    static const char *const other[] = {"1. O'Reilly", "2. Saint Kilda", "3. Frosby",
                                        "4. Mount Zion", "5. Dr Who"};
    static const struct {
        const char *venue, *key, *market;
        long long start;
        const char *const *names;
        const char *reason; /* words the reason must hold */
        const char *type;   /* the market's race type; NULL: thoroughbred */
    } cases[] = {
        /* another venue at the very same time as both bookmaker races */
        {"Cranbourne", "betfair:902:1773460800", "R3 1200m Mdn", T, ex, "no race at venue", NULL},
        /* the same venue, 30 minutes later */
        {"Ballarat", "betfair:903:1773462600", "R3 1200m Mdn", T + 1800, ex, "within 600 s", NULL},
        /* the same race, but one runner's name differs */
        {"Ballarat", "betfair:904:1773460800", "R3 1200m Mdn", T, other, "Frosby", NULL},
        /* the same venue and time, but the market says race 4 */
        {"Ballarat", "betfair:905:1773460800", "R4 1200m Mdn", T, ex, "the market says race 4", NULL},
        /* the same venue, time, race and runners, but the exchange says it is a harness race
         * (the bookmaker's is thoroughbred) */
        {"Ballarat", "betfair:906:1773460800", "R3 1200m Mdn", T, ex, "no race at venue",
         "harness"},
    };
    size_t n = sizeof cases / sizeof *cases;
    for (size_t i = 0; i < n; i++) {
        json_t *ch = call_ok(
            f, "upsert_batch",
            exchange_typed(cases[i].venue, cases[i].key, cases[i].market, cases[i].start,
                           cases[i].names, 5, cases[i].type ? cases[i].type : "thoroughbred"));
        assert_int_equal(json_integer_value(json_object_get(ch, "races_added")), 1);
        json_decref(ch);
        json_t *u = unmatched(f, cases[i].key);
        if (!u)
            fail_msg("%s not listed as unmatched", cases[i].key);
        const char *why = json_string_value(json_object_get(u, "reason"));
        if (!strstr(why, cases[i].reason))
            fail_msg("%s: reason '%s' lacks '%s'", cases[i].key, why, cases[i].reason);
        assert_string_equal(json_string_value(json_object_get(u, "venue")), cases[i].venue);
        assert_string_equal(json_string_value(json_object_get(u, "market_name")),
                            cases[i].market);
        assert_int_equal(json_integer_value(json_object_get(u, "start")), cases[i].start);
        assert_string_equal(json_string_value(json_object_get(u, "source")), "betfair");
        assert_true(json_is_false(json_object_get(u, "held"))); /* stored apart */
        json_decref(u);
    }
    assert_int_equal(races_of_day(f), 2 + n);
    /* nothing of the exchange on the bookmaker's races */
    for (int k = 1; k <= 5; k++)
        assert_int_equal(exchange_odds(f, race_id_of(f, "bk-r3"), k), 0);
    json_t *a = call_ok(f, "unmatched", NULL);
    assert_int_equal(json_array_size(a), n);
    json_decref(a);
    /* the metrics say so */
    char *txt = NULL;
    size_t len = 0;
    assert_int_equal(odz_metrics_render(&txt, &len), 0);
    assert_non_null(strstr(txt, "oddzy_source_markets{source=\"betfair\",state=\"unmatched\"} 5"));
    free(txt);
}

/* A market the bookmaker had not given yet is tried again when its race arrives. */
/* race.<id>.updated events seen, by race id (the two a retirement names). */
typedef struct {
    pthread_mutex_t lock;
    int64_t ids[2];
    int seen[2];
} updates;

static void on_updated(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    updates *u = ud;
    long long id = 0;
    char tail[16] = "";
    if (sscanf(m->subject, "race.%lld.%15s", &id, tail) != 2 || strcmp(tail, "updated"))
        return;
    pthread_mutex_lock(&u->lock);
    for (int i = 0; i < 2; i++)
        u->seen[i] += u->ids[i] == id;
    pthread_mutex_unlock(&u->lock);
}

/* Whether both races' updates came (waits while the machine is busy). */
static bool both_updated(updates *u)
{
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&u->lock);
        bool both = u->seen[0] && u->seen[1];
        pthread_mutex_unlock(&u->lock);
        if (both)
            return true;
        usleep(2000);
    }
    return false;
}

/* The matching keeps the candidates it read while they are younger than
 * ODZ_MATCHING_CANDS_MS, whatever other sources added meanwhile: wait that long for the next
 * exchange batch to see what a bookmaker's batch just added. */
static void cands_age(void)
{
    usleep((ODZ_MATCHING_CANDS_MS + 50) * 1000);
}

/* A market stored apart (a past race, no bookmaker yet), then the bookmaker's race and runners
 * arrive, then the market is decided again: it matches, and its race of its own is retired
 * into the bookmaker's (the schedule shows one race with the exchange's prices, its history
 * from before the match included; the old race card says where it went; both races updated). */
static void retried_when_the_race_arrives(void **st)
{
    fx *f = *st;
    static const char *const ex[] = {"1. O'Reilly", "2. Saint Kilda", "3. Frosbie",
                                     "4. Mount Zion", "5. Dr Who"};
    json_decref(call_ok(f, "upsert_batch",
                        exchange("Ballarat", "betfair:906:1773460800", "R3 1200m Mdn", T, ex, 5)));
    json_t *u = unmatched(f, "betfair:906:1773460800");
    assert_non_null(u);
    json_decref(u);
    int64_t apart = race_id_of(f, "betfair:906:1773460800");
    assert_true(apart > 0);
    bookmaker(f);
    assert_int_equal(races_of_day(f), 3);
    int64_t r3 = race_id_of(f, "bk-r3");
    updates seen = {.ids = {apart, r3}};
    pthread_mutex_init(&seen.lock, NULL);
    int64_t sub = odz_bus_subscribe(f->bus, "race.>", NULL, 0, on_updated, &seen);
    assert_true(sub > 0);
    cands_age();
    json_t *b = exchange("Ballarat", "betfair:906:1773460800", "R3 1200m Mdn", T, ex, 5);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(b, "prices"), i, p)
        json_object_set_new(p, "ts", json_integer(T - 600));
    json_decref(call_ok(f, "upsert_batch", b));
    assert_null(unmatched(f, "betfair:906:1773460800"));
    assert_int_equal(exchange_odds(f, r3, 3), 202);
    assert_true(both_updated(&seen));
    odz_bus_unsubscribe(f->bus, sub);
    pthread_mutex_destroy(&seen.lock);
    /* one race on the schedule, next to jump and in the meetings */
    assert_int_equal(races_of_day(f), 2);
    assert_int_equal(race_id_of(f, "betfair:906:1773460800"), 0);
    json_t *ms = call_ok(f, "list_meetings", json_pack("{s:s,s:s}", "date_from", DAY, "date_to",
                                                       DAY));
    assert_int_equal(json_array_size(ms), 2);
    json_decref(ms);
    json_t *sched = call_ok(f, "schedule", json_pack("{s:s}", "date", DAY));
    char *text = json_dumps(sched, JSON_COMPACT), *at = text;
    int in_schedule = 0;
    while ((at = strstr(at, "\"race_id\":")) != NULL) {
        in_schedule++;
        at++;
    }
    assert_int_equal(in_schedule, 2); /* Ballarat R3 and Bendigo R5, no market race */
    free(text);
    json_decref(sched);
    /* the exchange's history from before the match is on the bookmaker's runner */
    json_t *h = call_ok(f, "price_history", json_pack("{s:I,s:i}", "selection_id",
                                                      (json_int_t)selection_of(f, r3, 3),
                                                      "market", 4));
    size_t betfair = 0;
    json_int_t since = 0;
    json_array_foreach(h, i, p) if (!strcmp(json_string_value(json_object_get(p, "provider")),
                                            "betfair")) {
        betfair++;
        since = json_integer_value(json_object_get(p, "ts"));
    }
    /* 202 since T - 3600, while apart; at T - 600 once matched it repeats that point */
    assert_int_equal(betfair, 1);
    assert_int_equal(since, T - 3600);
    json_decref(h);
    /* the old race card says where the race went */
    json_t *card = call_ok(f, "racecard", json_pack("{s:I}", "race_id", (json_int_t)apart));
    assert_int_equal(json_integer_value(json_object_get(card, "merged_into")), r3);
    json_decref(card);
    card = call_ok(f, "racecard", json_pack("{s:I}", "race_id", (json_int_t)r3));
    assert_null(json_object_get(card, "merged_into"));
    json_decref(card);
    /* a runner the bookmaker does not have: no longer sure, so the race is restored (the
     * mark cleared) and the market stored apart again */
    static const char *const more[] = {"1. O'Reilly", "2. Saint Kilda", "3. Frosbie",
                                       "4. Mount Zion", "5. Dr Who", "6. Nobody Else"};
    json_decref(call_ok(f, "upsert_batch",
                        exchange("Ballarat", "betfair:906:1773460800", "R3 1200m Mdn", T, more,
                                 6)));
    u = unmatched(f, "betfair:906:1773460800");
    assert_non_null(u);
    json_decref(u);
    assert_int_equal(races_of_day(f), 3);
    assert_int_equal(race_id_of(f, "betfair:906:1773460800"), apart);
    card = call_ok(f, "racecard", json_pack("{s:I}", "race_id", (json_int_t)apart));
    assert_null(json_object_get(card, "merged_into"));
    assert_int_equal(json_array_size(json_object_get(card, "runners")), 6);
    json_decref(card);
}

/* A market whose race has no runners yet is held back, not stored apart, until they come;
 * so is a future race no bookmaker has given yet, for a while. */
static void held_until_the_runners_come(void **st)
{
    fx *f = *st;
    json_decref(call_ok(f, "upsert_batch",
                        batch("bk-ballarat", "Ballarat", "thoroughbred", "bk-r3", "Maiden", 3, T,
                              ballarat, 0, "tab", "fixed_win")));
    static const char *const ex[] = {"1. O'Reilly", "2. Saint Kilda", "3. Frosbie",
                                     "4. Mount Zion", "5. Dr Who"};
    json_t *ch = call_ok(f, "upsert_batch", exchange("Ballarat", "betfair:907:1773460800",
                                                     "R3 1200m Mdn", T, ex, 5));
    assert_int_equal(json_integer_value(json_object_get(ch, "races_added")), 0);
    assert_int_equal(json_integer_value(json_object_get(ch, "prices_added")), 0);
    json_decref(ch);
    json_t *u = unmatched(f, "betfair:907:1773460800");
    assert_non_null(u);
    assert_true(json_is_true(json_object_get(u, "held")));
    assert_non_null(strstr(json_string_value(json_object_get(u, "reason")), "no runners yet"));
    json_decref(u);
    bookmaker(f); /* the race card: its runners */
    cands_age();
    json_decref(call_ok(f, "upsert_batch", exchange("Ballarat", "betfair:907:1773460800",
                                                    "R3 1200m Mdn", T, ex, 5)));
    assert_null(unmatched(f, "betfair:907:1773460800"));
    assert_int_equal(exchange_odds(f, race_id_of(f, "bk-r3"), 1), 200);
    assert_int_equal(races_of_day(f), 2);
    /* a race an hour from now at a venue no bookmaker has (yet), on a day they have races:
     * held too */
    long long soon = (long long)odz_now() + 3600;
    char today[11];
    odz_race_day(soon, NULL, today);
    json_t *bk = batch("bk-today", "Ballarat", "thoroughbred", "bk-today-r1", "Maiden", 1,
                       soon + 7200, ballarat, 5, "tab", "fixed_win");
    json_object_set_new(json_array_get(json_object_get(bk, "meetings"), 0), "date",
                        json_string(today));
    json_decref(call_ok(f, "upsert_batch", bk));
    char key[64];
    snprintf(key, sizeof key, "betfair:908:%lld", soon);
    json_t *xb = exchange("Cranbourne", key, "R1 1000m Mdn", soon, ex, 5);
    json_object_set_new(json_array_get(json_object_get(xb, "meetings"), 0), "date",
                        json_string(today));
    ch = call_ok(f, "upsert_batch", xb);
    assert_int_equal(json_integer_value(json_object_get(ch, "races_added")), 0);
    json_decref(ch);
    u = unmatched(f, key);
    assert_non_null(u);
    assert_true(json_is_true(json_object_get(u, "held")));
    json_decref(u);
}

/* The exchange alone (no other source on the race's days): a future market is stored apart
 * at once, as before matching. */
static void exchange_alone_is_stored(void **st)
{
    fx *f = *st;
    static const char *const ex[] = {"1. O'Reilly", "2. Saint Kilda"};
    long long soon = (long long)odz_now() + 3600;
    char key[64], today[11];
    snprintf(key, sizeof key, "betfair:909:%lld", soon);
    odz_race_day(soon, NULL, today);
    json_t *xb = exchange("Cranbourne", key, "R1 1000m Mdn", soon, ex, 2);
    json_object_set_new(json_array_get(json_object_get(xb, "meetings"), 0), "date",
                        json_string(today));
    json_t *ch = call_ok(f, "upsert_batch", xb);
    assert_int_equal(json_integer_value(json_object_get(ch, "races_added")), 1);
    assert_int_equal(json_integer_value(json_object_get(ch, "prices_added")), 2);
    json_decref(ch);
    json_t *u = unmatched(f, key);
    assert_non_null(u);
    assert_true(json_is_false(json_object_get(u, "held")));
    json_decref(u);
}

/* A batch that does not ask for matching is stored as it is, however alike. */
static void only_when_asked(void **st)
{
    fx *f = *st;
    bookmaker(f);
    json_decref(call_ok(f, "upsert_batch",
                        batch("other-m", "Ballarat", "thoroughbred", "other-r3", "R3", 3, T,
                              ballarat, 5, "neds", "fixed_win")));
    assert_int_equal(races_of_day(f), 3);
    json_t *a = call_ok(f, "unmatched", NULL);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
}

/* The candidates read for one exchange batch serve the next ones for ODZ_MATCHING_CANDS_MS
 * even when a bookmaker adds races meanwhile (read once a batch, they cost half the ingest);
 * after that the market is tried against what was added. */
static void candidates_kept_a_moment(void **st)
{
    fx *f = *st;
    static const char *const ex[] = {"1. O'Reilly", "2. Saint Kilda", "3. Frosbie",
                                     "4. Mount Zion", "5. Dr Who"};
    json_decref(call_ok(f, "upsert_batch",
                        exchange("Ballarat", "betfair:908:1773460800", "R3 1200m Mdn", T, ex, 5)));
    bookmaker(f);
    json_decref(call_ok(f, "upsert_batch",
                        exchange("Ballarat", "betfair:908:1773460800", "R3 1200m Mdn", T, ex, 5)));
    json_t *u = unmatched(f, "betfair:908:1773460800");
    assert_non_null(u); /* the kept candidates have no Ballarat yet */
    json_decref(u);
    cands_age();
    json_decref(call_ok(f, "upsert_batch",
                        exchange("Ballarat", "betfair:908:1773460800", "R3 1200m Mdn", T, ex, 5)));
    assert_null(unmatched(f, "betfair:908:1773460800"));
}

/* More markets than the matching remembers (ODZ_MATCHING_MAX_MARKETS): the least recently
 * seen decisions make room, each market is listed once, and a market seen again after its
 * decision was dropped is decided afresh, once. */
static void decisions_past_the_limit(void **st)
{
    fx *f = *st;
    long long soon = (long long)odz_now() + 3600;
    char today[11];
    odz_race_day(soon, NULL, today);
    const int total = ODZ_MATCHING_MAX_MARKETS + 100, per = 150;
    for (int first = 0; first < total; first += per) {
        json_t *races = json_array(), *sels = json_array();
        for (int i = first; i < first + per && i < total; i++) {
            char rk[64], sk[80];
            snprintf(rk, sizeof rk, "betfair:7%04d:%lld", i, soon + i);
            snprintf(sk, sizeof sk, "%s:1", rk);
            json_array_append_new(races, json_pack("{s:s,s:{s:s,s:i,s:s,s:I,s:s}}", "meeting_key",
                                                   "bf-many", "race", "source_key", rk, "number",
                                                   1, "name", "R1 1000m Mdn", "scheduled_start",
                                                   (json_int_t)(soon + i), "status", "OPEN"));
            json_array_append_new(sels, json_pack("{s:s,s:{s:s,s:i,s:s}}", "race_key", rk,
                                                  "selection", "source_key", sk, "number", 1,
                                                  "name", "1. Alpha"));
        }
        json_t *b = json_pack("{s:[{s:s,s:s,s:s,s:s,s:s,s:s,s:I}],s:o,s:o,s:b,s:s}", "meetings",
                              "source_key", "bf-many", "name", "Cranbourne", "country", "AUS",
                              "region", "Australia & New Zealand", "race_type", "thoroughbred",
                              "date", today, "first_start", (json_int_t)soon, "races", races,
                              "selections", sels, "match", 1, "source", "betfair");
        json_decref(call_ok(f, "upsert_batch", b));
    }
    char first_key[64], last_key[64];
    snprintf(first_key, sizeof first_key, "betfair:7%04d:%lld", 0, soon);
    snprintf(last_key, sizeof last_key, "betfair:7%04d:%lld", total - 1, soon + total - 1);
    for (int round = 0; round < 2; round++) {
        json_t *a = call_ok(f, "unmatched", NULL), *x;
        assert_int_equal(json_array_size(a), ODZ_MATCHING_MAX_MARKETS);
        size_t i, seen_first = 0, seen_last = 0;
        json_t *keys = json_object();
        json_array_foreach(a, i, x) {
            const char *k = json_string_value(json_object_get(x, "market_key"));
            assert_null(json_object_get(keys, k)); /* listed once */
            json_object_set_new(keys, k, json_true());
            seen_first += !strcmp(k, first_key);
            seen_last += !strcmp(k, last_key);
        }
        json_decref(keys);
        json_decref(a);
        assert_int_equal(seen_last, 1);
        assert_int_equal(seen_first, (size_t)round); /* dropped, then decided afresh */
        if (round == 0) { /* the first market again */
            json_t *races = json_array(), *sels = json_array();
            json_array_append_new(races, json_pack("{s:s,s:{s:s,s:i,s:s,s:I,s:s}}", "meeting_key",
                                                   "bf-many", "race", "source_key", first_key,
                                                   "number", 1, "name", "R1 1000m Mdn",
                                                   "scheduled_start", (json_int_t)soon, "status",
                                                   "OPEN"));
            char sk[80];
            snprintf(sk, sizeof sk, "%s:1", first_key);
            json_array_append_new(sels, json_pack("{s:s,s:{s:s,s:i,s:s}}", "race_key", first_key,
                                                  "selection", "source_key", sk, "number", 1,
                                                  "name", "1. Alpha"));
            json_decref(call_ok(f, "upsert_batch",
                                json_pack("{s:[],s:o,s:o,s:b,s:s}", "meetings", "races", races,
                                          "selections", sels, "match", 1, "source", "betfair")));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(name_variations_match, setup, teardown),
        cmocka_unit_test_setup_teardown(must_not_match, setup, teardown),
        cmocka_unit_test_setup_teardown(retried_when_the_race_arrives, setup, teardown),
        cmocka_unit_test_setup_teardown(held_until_the_runners_come, setup, teardown),
        cmocka_unit_test_setup_teardown(exchange_alone_is_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(only_when_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(candidates_kept_a_moment, setup, teardown),
        cmocka_unit_test_setup_teardown(decisions_past_the_limit, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    odz_metrics_free_all();
    return rc;
}

/* The odds-comparison adapter on the real recorded responses (tests/fixtures/oddscomau),
 * their quirks, and garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "support/fixture.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "source/source.h"

static const odz_source_ops *src;

/* ---- helpers ---- */

static char *slurp(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "oddscomau/%s", name);
    return fixture_slurp(rel, len);
}

static json_t *load_fixture_json(const char *name)
{
    size_t n;
    char *b = slurp(name, &n);
    json_t *j = json_loadb(b, n, 0, NULL);
    free(b);
    assert_non_null(j);
    return j;
}

/* Parse a JSON document (serialized here) as a schedule or race card. */
static int parse_json(json_t *j, int card, const char *key, odz_scrape *s, char *err)
{
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    int rc = card ? src->parse_race(text, strlen(text), key, s, err, ODZ_ERRLEN)
                  : src->parse_schedule(text, strlen(text), NULL, s, err, ODZ_ERRLEN);
    free(text);
    return rc;
}

static int parse_file(const char *name, int card, const char *arg, odz_scrape *s, char *err)
{
    size_t n;
    char *b = slurp(name, &n);
    int rc = card ? src->parse_race(b, n, arg, s, err, ODZ_ERRLEN)
                  : src->parse_schedule(b, n, arg, s, err, ODZ_ERRLEN);
    free(b);
    return rc;
}

static const odz_meeting *meeting(const odz_scrape *s, const char *key)
{
    for (size_t i = 0; i < s->meetings.n; i++)
        if (strcmp(s->meetings.v[i].source_key, key) == 0)
            return &s->meetings.v[i];
    return NULL;
}

static const odz_race *race(const odz_scrape *s, const char *key)
{
    const odz_batch_race *r = odz_scrape_find_race(s, key);
    return r ? &r->race : NULL;
}

static size_t races_of(const odz_scrape *s, const char *mkey, odz_race_status st, int any)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_races; i++)
        if (strcmp(s->races[i].meeting_key, mkey) == 0 && (any || s->races[i].race.status == st))
            n++;
    return n;
}

static const odz_selection *selection(const odz_scrape *s, const char *key)
{
    for (size_t i = 0; i < s->n_selections; i++)
        if (strcmp(s->selections[i].sel.source_key, key) == 0)
            return &s->selections[i].sel;
    return NULL;
}

/* The n-th (0-based) price of a selection from a provider in a market; NULL if none. */
static const odz_price *price(const odz_scrape *s, const char *sel, const char *provider,
                              odz_market m, size_t nth)
{
    for (size_t i = 0; i < s->n_prices; i++) {
        const odz_batch_price *p = &s->prices[i];
        if (strcmp(p->selection_key, sel) == 0 && strcmp(p->price.provider, provider) == 0 &&
            p->price.market == m && nth-- == 0)
            return &p->price;
    }
    return NULL;
}

/* selectionId of the i-th runner of a card (a string or a number in the real data). */
static const char *selection_key_at(json_t *card, size_t i)
{
    static char buf[32];
    json_t *v = json_object_get(json_array_get(json_object_get(card, "selections"), i),
                                "selectionId");
    if (json_is_string(v))
        return json_string_value(v);
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    return buf;
}

static size_t count_prices(const odz_scrape *s, const char *sel, const char *provider,
                           odz_market m)
{
    size_t n = 0;
    while (price(s, sel, provider, m, n))
        n++;
    return n;
}

/* The batch view is the scrape, and every key a row names exists (meetings of races,
 * races of selections when `complete`, selections of prices); keys are unique. */
static void assert_batch_consistent(const odz_scrape *s, int complete)
{
    odz_batch b;
    odz_scrape_batch(s, &b);
    assert_int_equal(b.n_meetings, s->meetings.n);
    assert_int_equal(b.n_races, s->n_races);
    assert_int_equal(b.n_selections, s->n_selections);
    assert_int_equal(b.n_prices, s->n_prices);
    for (size_t i = 0; i < b.n_meetings; i++)
        for (size_t k = i + 1; k < b.n_meetings; k++)
            assert_string_not_equal(b.meetings[i].source_key, b.meetings[k].source_key);
    for (size_t i = 0; i < b.n_races; i++) {
        assert_non_null(b.races[i].meeting_key);
        if (complete)
            assert_non_null(meeting(s, b.races[i].meeting_key));
        for (size_t k = i + 1; k < b.n_races; k++)
            assert_string_not_equal(b.races[i].race.source_key, b.races[k].race.source_key);
    }
    for (size_t i = 0; i < b.n_selections; i++) {
        if (complete)
            assert_non_null(odz_scrape_find_race(s, b.selections[i].race_key));
        for (size_t k = i + 1; k < b.n_selections; k++)
            assert_string_not_equal(b.selections[i].sel.source_key, b.selections[k].sel.source_key);
    }
    for (size_t i = 0; i < b.n_prices; i++) {
        assert_non_null(selection(s, b.prices[i].selection_key));
        assert_true(b.prices[i].price.odds >= 100);
    }
}

/* ---- schedule ---- */

static void check_schedule(const odz_scrape *s)
{
    assert_int_equal(s->meetings.n, 14);
    assert_int_equal(s->n_races, 118);

    const odz_meeting *m = meeting(s, "20180610-edenhope-horse-racing");
    assert_non_null(m);
    assert_string_equal(m->name, "Edenhope");
    assert_string_equal(m->date, "2018-06-10");
    assert_string_equal(m->country, "AU");
    assert_string_equal(m->region, "Australia & New Zealand");
    assert_int_equal(m->type, ODZ_THOROUGHBRED);
    assert_int_equal(m->first_start, 1528593780);
    assert_int_equal(races_of(s, m->source_key, 0, 1), 10);

    const odz_race *r = race(s, "737601");
    assert_non_null(r);
    assert_string_equal(odz_scrape_find_race(s, "737601")->meeting_key,
                        "20180610-edenhope-horse-racing");
    assert_int_equal(r->number, 1);
    assert_string_equal(r->name, "Vickery Brothers Maiden Plate");
    assert_int_equal(r->scheduled_start, 1528593780);
    assert_int_equal(r->status, ODZ_FINAL);
    assert_int_equal(r->n_results, 3);
    assert_int_equal(r->results[0].position, 1);
    assert_int_equal(r->results[0].number, 2);
    assert_int_equal(r->results[1].position, 2);
    assert_int_equal(r->results[1].number, 5);
    assert_int_equal(r->results[2].position, 3);
    assert_int_equal(r->results[2].number, 11);

    /* results null on a resulted race; two placings only */
    r = race(s, "737514");
    assert_non_null(r);
    assert_int_equal(r->status, ODZ_FINAL);
    assert_int_equal(r->n_results, 0);
    r = race(s, "737515");
    assert_int_equal(r->n_results, 2);
    assert_int_equal(r->results[1].number, 4);

    /* a wholly abandoned meeting */
    assert_int_equal(races_of(s, "20180610-port-augusta-horse-racing", ODZ_ABANDONED, 0), 7);
    assert_int_equal(races_of(s, "20180610-port-augusta-horse-racing", 0, 1), 7);
    assert_int_equal(race(s, "737522")->n_results, 0);

    /* unresulted meetings beside finished ones */
    m = meeting(s, "20180610-turffontein-za-horse-racing");
    assert_non_null(m);
    assert_string_equal(m->country, "ZA");
    assert_string_equal(m->region, "Rest of the world");
    assert_int_equal(races_of(s, m->source_key, ODZ_OPEN, 0), 9);
    assert_int_equal(races_of(s, "20180610-goodwood-uk-horse-racing", ODZ_OPEN, 0), 7);
    assert_string_equal(meeting(s, "20180610-goodwood-uk-horse-racing")->region, "UK & Ireland");
    m = meeting(s, "20180610-sha-tin-horse-racing");
    assert_string_equal(m->region, "Hong Kong");
    assert_int_equal(races_of(s, m->source_key, ODZ_FINAL, 0), 10);
    assert_int_equal(races_of(s, m->source_key, ODZ_OPEN, 0), 1);
    assert_string_equal(meeting(s, "20180610-waimate-nz-horse-racing")->country, "NZ");

    assert_int_equal(s->n_selections, 0);
    assert_int_equal(s->n_prices, 0);
    assert_batch_consistent(s, 1);
}

static void decoded_schedule(void **st)
{
    (void)st;
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_file("race_schedule_decoded.json", 0,
                                "/api/web/public/Racing/getUpcomingRaces/?sport=horse-racing&date=2018-06-10",
                                &s, err),
                     0);
    check_schedule(&s);
    assert_int_equal(s.n_warnings, 0);
    odz_scrape_free(&s);
}

static void encoded_schedule_is_the_same(void **st)
{
    (void)st;
    odz_scrape a = {0}, b = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_file("race_schedule_encoded.json", 0, NULL, &a, err), 0);
    check_schedule(&a);
    assert_int_equal(parse_file("race_schedule_decoded.json", 0, NULL, &b, err), 0);
    assert_int_equal(a.meetings.n, b.meetings.n);
    assert_memory_equal(a.meetings.v, b.meetings.v, a.meetings.n * sizeof *a.meetings.v);
    for (size_t i = 0; i < a.n_races; i++) {
        assert_memory_equal(&a.races[i].race, &b.races[i].race, sizeof a.races[i].race);
        assert_string_equal(a.races[i].meeting_key, b.races[i].meeting_key);
    }
    odz_scrape_free(&a);
    odz_scrape_free(&b);
}

static void schedule_quirks(void **st)
{
    (void)st;
    json_t *j = load_fixture_json("race_schedule_decoded.json");
    json_t *events = json_object_get(
        json_array_get(json_object_get(json_array_get(json_object_get(j, "regionGroups"), 0),
                                       "meetings"),
                       0),
        "events");
    json_t *e0 = json_array_get(events, 0), *e1 = json_array_get(events, 1);
    json_object_set_new(e0, "results", json_integer(7)); /* a number */
    json_object_set_new(e0, "eventName", json_null());
    json_object_set_new(e1, "results", json_string("2, 3 ,10")); /* spaced */
    json_object_set_new(json_array_get(events, 2), "results", json_string("1,,x"));
    json_object_set_new(json_array_get(events, 3), "results", json_true());
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_json(j, 0, NULL, &s, err), 0);
    const odz_race *r = race(&s, "737601");
    assert_string_equal(r->name, "Race 1");
    assert_int_equal(r->n_results, 1);
    assert_int_equal(r->results[0].number, 7);
    r = race(&s, "737602");
    assert_int_equal(r->n_results, 3);
    assert_int_equal(r->results[2].number, 10);
    assert_int_equal(race(&s, "737603")->n_results, 0);
    assert_int_equal(race(&s, "737604")->n_results, 0);
    assert_int_equal(s.n_warnings, 2); /* the unreadable results, not the quirks */
    assert_int_equal(s.n_races, 118);
    odz_scrape_free(&s);
    json_decref(j);
}

/* A meeting without a date or a sport in its events takes them from the request. */
static void schedule_falls_back_on_request(void **st)
{
    (void)st;
    const char *body =
        "{\"regionGroups\":[{\"meetings\":[{\"meetingName\":\"Albion Park\",\"regionDescription\":"
        "\"Australia\",\"events\":[{\"eventId\":9001,\"eventNumber\":1,\"eventName\":null,"
        "\"eventUrl\":\"/harness/albion-park/race-1/\",\"startTime\":1528600000,\"resulted\":0,"
        "\"isAbandoned\":0,\"results\":null}]}]}]}";
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(src->parse_schedule(body, strlen(body),
                                         "/api/web/public/Racing/getUpcomingRaces/?sport=harness&date=2018-06-11",
                                         &s, err, sizeof err),
                     0);
    assert_int_equal(s.meetings.n, 1);
    assert_string_equal(s.meetings.v[0].source_key, "20180611-albion-park-harness");
    assert_int_equal(s.meetings.v[0].type, ODZ_HARNESS);
    assert_string_equal(s.meetings.v[0].country, "AU");
    assert_string_equal(race(&s, "9001")->name, "Race 1");
    odz_scrape_free(&s);

    /* no date anywhere: the race day of the first start (03:06 UTC) in Australia/Sydney */
    assert_int_equal(src->parse_schedule(body, strlen(body), NULL, &s, err, sizeof err), 0);
    assert_string_equal(s.meetings.v[0].source_key, "20180610-albion-park-harness");
    assert_string_equal(s.meetings.v[0].date, "2018-06-10");
    odz_scrape_free(&s);
}

/* ---- race card ---- */

static void check_card(const odz_scrape *s)
{
    assert_int_equal(s->meetings.n, 0);
    assert_int_equal(s->n_races, 0); /* not known to the scrape: selections only */
    assert_int_equal(s->n_selections, 10);
    assert_int_equal(s->n_prices, 355);
    assert_string_equal(s->selections[0].race_key, "739023");

    const odz_selection *x = selection(s, "7424349");
    assert_non_null(x);
    assert_int_equal(x->number, 1);
    assert_int_equal(x->barrier, 5);
    assert_string_equal(x->name, "Feline Fantastic");
    assert_string_equal(x->jockey, "Matthew Paget");
    assert_int_equal(x->weight, 5900);
    assert_int_equal(x->claim, 0);
    assert_false(x->scratched);
    assert_string_equal(x->silks, "https://dnu5embx6omws.cloudfront.net/silks/horse-racing/"
                                  "627808_feline_fantastic.png");
    x = selection(s, "7424352");
    assert_string_equal(x->name, "Pull Me Up");
    assert_int_equal(x->barrier, 2);
    assert_int_equal(x->claim, 200);
    assert_int_equal(selection(s, "7424358")->weight, 5450);

    const odz_price *p = price(s, "7424349", "bet365", ODZ_FIXED_WIN, 0);
    assert_non_null(p);
    assert_int_equal(p->odds, 1900);
    assert_int_equal(p->ts, 1528931555);
    p = price(s, "7424349", "nswtab", ODZ_TOTE_WIN, 0);
    assert_int_equal(p->odds, 2440);
    assert_int_equal(p->ts, 1528932259);
    assert_int_equal(price(s, "7424349", "betfair", ODZ_EXCHANGE_LAY, 0)->odds, 100000);
    assert_int_equal(price(s, "7424349", "betfair", ODZ_EXCHANGE_BACK, 0)->odds, 590);
    assert_null(price(s, "7424349", "unibet", ODZ_FIXED_WIN, 0)); /* hasOdds false */
    assert_int_equal(count_prices(s, "7424349", "sportsbetting", ODZ_FIXED_WIN), 1);

    /* flucs: JSON inside a string, the average fixed win price's history */
    assert_int_equal(count_prices(s, "7424349", "average", ODZ_FIXED_WIN), 24);
    p = price(s, "7424349", "average", ODZ_FIXED_WIN, 0);
    assert_int_equal(p->ts, 1528874574);
    assert_int_equal(p->odds, 1700);
    p = price(s, "7424349", "average", ODZ_FIXED_WIN, 1);
    assert_int_equal(p->odds, 1725);
    p = price(s, "7424349", "average", ODZ_FIXED_WIN, 23);
    assert_int_equal(p->ts, 1528931941);
    assert_int_equal(p->odds, 1782);
    assert_int_equal(count_prices(s, "7424352", "average", ODZ_FIXED_WIN), 7);

    /* best odds, time not given */
    p = price(s, "7424349", "best", ODZ_FIXED_WIN, 0);
    assert_int_equal(p->odds, 1900);
    assert_int_equal(p->ts, 0);
    assert_int_equal(price(s, "7424350", "best", ODZ_FIXED_WIN, 0)->odds, 380);
}

static void decoded_card(void **st)
{
    (void)st;
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_file("race_card_decoded.json", 1, "739023", &s, err), 0);
    check_card(&s);
    assert_int_equal(s.n_warnings, 0);
    odz_scrape_stamp(&s, 1528933000);
    assert_int_equal(price(&s, "7424349", "best", ODZ_FIXED_WIN, 0)->ts, 1528933000);
    assert_int_equal(price(&s, "7424349", "bet365", ODZ_FIXED_WIN, 0)->ts, 1528931555);
    odz_scrape_free(&s);
}

static void encoded_card(void **st)
{
    (void)st;
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_file("race_card_encoded.json", 1, NULL, &s, err), 0);
    check_card(&s);
    odz_scrape_free(&s);
    /* the card of another race than asked for */
    assert_int_equal(parse_file("race_card_encoded.json", 1, "739024", &s, err), ODZ_EINVAL);
    assert_non_null(strstr(err, "739023"));
    assert_int_equal(s.n_selections, 0);
}

/* isScratched (the simulated feed sends it; the recording has no scratched runner):
 * scratched, and no current prices. */
static void card_scratched_runner(void **st)
{
    (void)st;
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_file("race_card_decoded.json", 1, "739023", &s, err), 0);
    assert_int_equal(count_prices(&s, "7424349", "bet365", ODZ_FIXED_WIN), 1);
    assert_false(selection(&s, "7424349")->scratched);
    odz_scrape_free(&s);
    json_t *j = load_fixture_json("race_card_decoded.json");
    json_object_set_new(json_array_get(json_object_get(j, "selections"), 0), "isScratched",
                        json_true());
    assert_int_equal(parse_json(j, 1, "739023", &s, err), 0);
    assert_true(selection(&s, "7424349")->scratched);
    assert_false(selection(&s, selection_key_at(j, 1))->scratched);
    assert_int_equal(count_prices(&s, "7424349", "bet365", ODZ_FIXED_WIN), 0);
    assert_int_equal(count_prices(&s, selection_key_at(j, 1), "bet365", ODZ_FIXED_WIN), 1);
    json_decref(j);
    odz_scrape_free(&s);
}

static const char coffs_schedule[] =
    "{\"regionGroups\":[{\"meetings\":[{\"meetingName\":\"Coffs Harbour\",\"regionIconURL\":"
    "\"//x/flags/@2x/AU@2x.png\",\"events\":[{\"eventId\":739023,\"eventNumber\":1,"
    "\"eventName\":\"Maiden\",\"eventUrl\":\"/horse-racing/coffs-harbour/race-1/\","
    "\"dateWithYear\":\"14 Jun 2018\",\"startTime\":1528944780,\"resulted\":%d,"
    "\"isAbandoned\":0,\"results\":%s}]}]}]}";

/* Schedule and card in one scrape: the card updates the race the schedule made. */
static void card_updates_known_race(void **st)
{
    (void)st;
    char body[1024], err[ODZ_ERRLEN] = "";
    odz_scrape s = {0};
    snprintf(body, sizeof body, coffs_schedule, 0, "null");
    assert_int_equal(src->parse_schedule(body, strlen(body), NULL, &s, err, sizeof err), 0);
    assert_int_equal(parse_file("race_card_decoded.json", 1, "739023", &s, err), 0);
    assert_int_equal(s.n_races, 1);
    const odz_race *r = race(&s, "739023");
    assert_string_equal(r->name, "SAWTELL CUP JULY 22ND MAIDEN PLATE");
    assert_int_equal(r->distance, 810);
    assert_int_equal(r->status, ODZ_OPEN);
    assert_string_equal(s.races[0].meeting_key, "20180614-coffs-harbour-horse-racing");
    assert_int_equal(s.n_selections, 10);
    assert_batch_consistent(&s, 1);

    /* results on the card: a number and a string; the race is resulted */
    json_t *j = load_fixture_json("race_card_decoded.json");
    json_t *sels = json_object_get(j, "selections");
    json_object_set_new(json_array_get(sels, 1), "result", json_integer(1));  /* #2 won */
    json_object_set_new(json_array_get(sels, 3), "result", json_string("2")); /* #4 second */
    json_object_set_new(j, "resultState", json_string("resulted"));
    assert_int_equal(parse_json(j, 1, "739023", &s, err), 0);
    r = race(&s, "739023");
    assert_int_equal(r->status, ODZ_FINAL);
    assert_int_equal(r->n_results, 2);
    assert_int_equal(r->results[0].number, 2);
    assert_int_equal(r->results[1].number, 4);
    assert_int_equal(s.n_selections, 10); /* replaced, not added */
    assert_int_equal(s.n_prices, 2 * 355);

    /* a stale card does not move the race back */
    json_object_set_new(j, "resultState", json_string("unresulted"));
    json_object_set_new(j, "status", json_string("open"));
    assert_int_equal(parse_json(j, 1, "739023", &s, err), 0);
    assert_int_equal(race(&s, "739023")->status, ODZ_FINAL);
    assert_batch_consistent(&s, 1);
    json_decref(j);
    odz_scrape_free(&s);
}

/* ---- garbage ---- */

static void expect_einval(const char *body, size_t len, int card)
{
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    /* something already in the scrape stays as it was */
    char sched[1024];
    snprintf(sched, sizeof sched, coffs_schedule, 1, "\"3,1\"");
    assert_int_equal(src->parse_schedule(sched, strlen(sched), NULL, &s, err, sizeof err), 0);
    int rc = card ? src->parse_race(body, len, NULL, &s, err, sizeof err)
                  : src->parse_schedule(body, len, NULL, &s, err, sizeof err);
    assert_int_equal(rc, ODZ_EINVAL);
    assert_true(err[0] != '\0');
    assert_int_equal(s.meetings.n, 1);
    assert_int_equal(s.n_races, 1);
    assert_int_equal(s.n_selections, 0);
    assert_int_equal(race(&s, "739023")->n_results, 2);
    odz_scrape_free(&s);
}

static void garbage_is_refused(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "",
        "{",
        "null",
        "[1,2,3]",
        "\"r\"",
        "{\"regionGroups\":\"x\"}",
        "{\"regionGroups\":[5]}",
        "{\"regionGroups\":[{\"meetings\":{}}]}",
        "{\"regionGroups\":[{\"meetings\":[{\"events\":\"x\"}]}]}",
        "{\"regionGroups\":[{\"meetings\":[{\"events\":[1]}]}]}",
        "{\"r\":5}",
        "{\"r\":\"\"}",
        "{\"r\":\"abc\"}",                  /* not a multiple of 4 */
        "{\"r\":\"!!!!\"}",                 /* not base64 */
        "{\"r\":\"ab=c\"}",                 /* padding inside */
        "{\"r\":\"rlWbLKAF\"}",             /* base64 of truncated JSON */
        "{\"r\":\"nTIfoT8=\"}",             /* base64 of "hello" */
        "{\"r\":\"rlWbLKAFMKA1oUEmVwc0\",\"x\":1}",
        "{\"hasResults\":true}",
        "{\"regionGroups\":[]}\0trailing",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = strlen(bad[i]);
        if (i == sizeof bad / sizeof bad[0] - 1)
            len += 9; /* with the NUL and what follows */
        expect_einval(bad[i], len, 0);
    }
    static const char *const bad_cards[] = {
        "{}",
        "{\"eventId\":\"abc\"}",
        "{\"eventId\":-5}",
        "{\"eventId\":1e300}",
        "{\"eventId\":739023,\"selections\":\"x\"}",
        "{\"eventId\":739023,\"selections\":[[]]}",
        "{\"eventId\":99999999999999999999}",
    };
    for (size_t i = 0; i < sizeof bad_cards / sizeof bad_cards[0]; i++)
        expect_einval(bad_cards[i], strlen(bad_cards[i]), 1);

    /* truncated real responses */
    size_t n;
    char *b = slurp("race_schedule_encoded.json", &n);
    expect_einval(b, n / 2, 0);
    b[n - 10] = '!'; /* a broken payload character */
    expect_einval(b, n, 0);
    free(b);
    b = slurp("race_card_decoded.json", &n);
    expect_einval(b, n - 2, 1);
    free(b);

    /* a body over the limit */
    size_t big = ODZ_SOURCE_BODY_MAX + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    expect_einval(huge, big, 0);
    expect_einval(huge, big, 1);
    free(huge);
}

/* Odd but readable data is kept, with what does not fit cut or skipped and counted. */
static void wrong_fields_are_skipped(void **st)
{
    (void)st;
    json_t *j = load_fixture_json("race_card_decoded.json");
    json_t *sels = json_object_get(j, "selections");
    json_t *s0 = json_array_get(sels, 0), *s1 = json_array_get(sels, 1);
    char *long_name = malloc(1 << 20);
    assert_non_null(long_name);
    memset(long_name, 'x', (1 << 20) - 1);
    long_name[(1 << 20) - 1] = '\0';
    json_object_set_new(s0, "name", json_string(long_name));
    free(long_name);
    json_object_set_new(s0, "barrierNumber", json_array());
    json_object_set_new(s0, "weight", json_string("heavy"));
    json_object_set_new(s0, "flucs", json_string("[[1528874574,17],[\"x\",2],[1,0.5]"));
    json_object_set_new(s1, "selectionId", json_object());
    json_object_set_new(s1, "flucs", json_integer(3));
    json_t *p0 = json_array_get(json_object_get(json_array_get(sels, 2), "prices"), 0);
    json_object_set_new(p0, "odds", json_string("lots"));
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_json(j, 1, NULL, &s, err), 0);
    assert_int_equal(s.n_selections, 9);
    const odz_selection *x = selection(&s, "7424349");
    assert_non_null(x);
    assert_int_equal(strnlen(x->name, sizeof x->name), ODZ_NAME_MAX - 1);
    assert_int_equal(x->barrier, 0);
    assert_int_equal(x->weight, 0);
    assert_int_equal(count_prices(&s, "7424349", "average", ODZ_FIXED_WIN), 0); /* bad JSON */
    assert_null(selection(&s, "7424350"));
    assert_int_equal(count_prices(&s, "7424351", "nswtab", ODZ_TOTE_WIN), 0);
    assert_true(s.n_warnings >= 3);
    assert_non_null(strstr(s.warning, "runner name cut"));
    assert_batch_consistent(&s, 0);
    odz_scrape_free(&s);
    json_decref(j);
}

/* Counts past the limits are cut, with a warning, not refused. */
static void limits(void **st)
{
    (void)st;
    json_t *card = json_pack("{s:i,s:[]}", "eventId", 5, "selections");
    json_t *sels = json_object_get(card, "selections");
    for (int i = 0; i < ODZ_MAX_RUNNERS + 8; i++) {
        json_t *flucs = json_array();
        for (int k = 0; k < 300; k++)
            json_array_append_new(flucs, json_pack("[i,f]", 1528874574 + k, 2.0 + k / 100.0));
        char *text = json_dumps(flucs, JSON_COMPACT);
        json_array_append_new(sels, json_pack("{s:i,s:i,s:s}", "selectionId", 100 + i,
                                              "competitorNumber", i + 1, "flucs", text));
        free(text);
        json_decref(flucs);
    }
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_json(card, 1, "5", &s, err), 0);
    assert_int_equal(s.n_selections, ODZ_MAX_RUNNERS);
    assert_int_equal(count_prices(&s, "100", "average", ODZ_FIXED_WIN), ODZ_SOURCE_MAX_PRICES);
    assert_int_equal(s.n_prices, (size_t)ODZ_MAX_RUNNERS * ODZ_SOURCE_MAX_PRICES);
    assert_int_equal(s.n_warnings, ODZ_MAX_RUNNERS + 1);
    odz_scrape_free(&s);
    json_decref(card);

    json_t *events = json_array();
    for (int i = 0; i < ODZ_SOURCE_MAX_RACES + 5; i++)
        json_array_append_new(events, json_pack("{s:i,s:i,s:s,s:s}", "eventId", 1000 + i,
                                                "eventNumber", i + 1, "eventUrl",
                                                "/greyhounds/the-meadows/race-1/", "dateWithYear",
                                                "9 Jun 2018"));
    json_t *sched = json_pack("{s:[{s:[{s:s,s:o}]}]}", "regionGroups", "meetings", "meetingName",
                              "The Meadows", "events", events);
    assert_int_equal(parse_json(sched, 0, NULL, &s, err), 0);
    assert_int_equal(s.n_races, ODZ_SOURCE_MAX_RACES);
    assert_string_equal(s.meetings.v[0].source_key, "20180609-the-meadows-greyhounds");
    assert_int_equal(s.meetings.v[0].type, ODZ_GREYHOUND);
    assert_string_equal(s.meetings.v[0].region, "Rest of the world"); /* no country given */
    assert_int_equal(s.n_warnings, 1);
    odz_scrape_free(&s);
    json_decref(sched);
}

/* ---- requests ---- */

static void requests(void **st)
{
    (void)st;
    odz_source_request req[ODZ_SOURCE_MAX_REQUESTS];
    size_t n = 99;
    char err[ODZ_ERRLEN] = "", path[ODZ_SOURCE_PATH_MAX];
    assert_ptr_equal(odz_source_find("oddscomau"), &odz_source_oddscomau);
    assert_null(odz_source_find("nope"));
    assert_null(odz_source_find(NULL));
    assert_string_equal(src->name, "oddscomau");

    assert_int_equal(src->schedule_requests("2018-06-10", "2018-06-11", req, 32, &n, err,
                                            sizeof err),
                     0);
    assert_int_equal(n, 6);
    assert_string_equal(req[0].path,
                        "/api/web/public/Racing/getUpcomingRaces/?sport=horse-racing&date=2018-06-10");
    assert_string_equal(req[1].path,
                        "/api/web/public/Racing/getUpcomingRaces/?sport=harness&date=2018-06-10");
    assert_string_equal(req[5].path,
                        "/api/web/public/Racing/getUpcomingRaces/?sport=greyhounds&date=2018-06-11");
    assert_int_equal(src->schedule_requests("2018-06-10", "2018-06-10", req, 2, &n, err,
                                            sizeof err),
                     ODZ_EFULL);
    assert_int_equal(src->schedule_requests("2018-06-11", "2018-06-10", req, 32, &n, err,
                                            sizeof err),
                     ODZ_EINVAL);
    assert_int_equal(src->schedule_requests("2018-06-01", "2018-06-30", req, 32, &n, err,
                                            sizeof err),
                     ODZ_EINVAL);
    assert_int_equal(src->schedule_requests("2018-02-30", "2018-03-01", req, 32, &n, err,
                                            sizeof err),
                     ODZ_EINVAL);
    assert_int_equal(src->schedule_requests("x", NULL, req, 32, &n, err, sizeof err), ODZ_EINVAL);

    assert_int_equal(src->race_request("737601", path, sizeof path), 0);
    assert_string_equal(path, "/api/web/public/Odds/getOddsComparisonCacheable/?eventId=737601");
    assert_int_equal(src->race_request("../etc", path, sizeof path), ODZ_EINVAL);
    assert_int_equal(src->race_request("737601&x=1", path, sizeof path), ODZ_EINVAL);
    assert_int_equal(src->race_request("", path, sizeof path), ODZ_EINVAL);
    assert_int_equal(src->race_request(NULL, path, sizeof path), ODZ_EINVAL);
    assert_int_equal(src->race_request("737601", path, 10), ODZ_EINVAL);
}

/* Every race of a parsed schedule has a key its race card can be asked for with. */
static void schedule_races_have_card_requests(void **st)
{
    (void)st;
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "", path[ODZ_SOURCE_PATH_MAX];
    assert_int_equal(parse_file("race_schedule_encoded.json", 0, NULL, &s, err), 0);
    for (size_t i = 0; i < s.n_races; i++)
        assert_int_equal(src->race_request(s.races[i].race.source_key, path, sizeof path), 0);
    odz_scrape_free(&s);
}

int main(void)
{
    src = odz_source_find("oddscomau");
    if (!src)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoded_schedule),
        cmocka_unit_test(encoded_schedule_is_the_same),
        cmocka_unit_test(schedule_quirks),
        cmocka_unit_test(schedule_falls_back_on_request),
        cmocka_unit_test(decoded_card),
        cmocka_unit_test(encoded_card),
        cmocka_unit_test(card_updates_known_race),
        cmocka_unit_test(card_scratched_runner),
        cmocka_unit_test(garbage_is_refused),
        cmocka_unit_test(wrong_fields_are_skipped),
        cmocka_unit_test(limits),
        cmocka_unit_test(requests),
        cmocka_unit_test(schedule_races_have_card_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

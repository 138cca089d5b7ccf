/* The Entain affiliates racing adapter on the real recorded responses
 * (tests/fixtures/entain), scratchings, and garbage. */
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

#define AWAPUNI "e9f2039d-d489-4a7d-aae1-d66225f1a5f4"
#define AWAPUNI_R1 "0f57e087-00d9-4c61-9549-835abe2ae2ed"
#define YOUGHAL "dd7edcea-84ec-4374-a614-f48222b6447a"
#define RUJI "7346bd2c-c03d-41c3-bcb9-2b085c4e72cd"
#define DEALERS_CHOICE "677c1727-e256-48a4-9016-a07e10d65edc"
#define GENERATED 1752751019 /* header.generated_time 2025-07-17T11:16:59.18904298Z */

static const odz_source_ops *src;

/* ---- helpers ---- */

static char *slurp(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "entain/%s", name);
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

static int parse_json(json_t *j, int event, const char *key, odz_scrape *s, char *err)
{
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    int rc = event ? src->parse_race(text, strlen(text), key, s, err, ODZ_ERRLEN)
                   : src->parse_schedule(text, strlen(text), NULL, s, err, ODZ_ERRLEN);
    free(text);
    return rc;
}

static int parse_file(const char *name, int event, const char *key, odz_scrape *s, char *err)
{
    size_t n;
    char *b = slurp(name, &n);
    int rc = event ? src->parse_race(b, n, key, s, err, ODZ_ERRLEN)
                   : src->parse_schedule(b, n, NULL, s, err, ODZ_ERRLEN);
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

static size_t races_of(const odz_scrape *s, const char *mkey, int status /* <0 any */)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_races; i++)
        if (strcmp(s->races[i].meeting_key, mkey) == 0 &&
            (status < 0 || (int)s->races[i].race.status == status))
            n++;
    return n;
}

static size_t races_with(const odz_scrape *s, odz_race_status st)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_races; i++)
        n += s->races[i].race.status == st;
    return n;
}

static const odz_selection *selection(const odz_scrape *s, const char *key)
{
    for (size_t i = 0; i < s->n_selections; i++)
        if (strcmp(s->selections[i].sel.source_key, key) == 0)
            return &s->selections[i].sel;
    return NULL;
}

static const odz_price *price(const odz_scrape *s, const char *sel, odz_market m, size_t nth)
{
    for (size_t i = 0; i < s->n_prices; i++) {
        const odz_batch_price *p = &s->prices[i];
        if (strcmp(p->selection_key, sel) == 0 && p->price.market == m && nth-- == 0)
            return &p->price;
    }
    return NULL;
}

static size_t count_prices(const odz_scrape *s, const char *sel, odz_market m)
{
    size_t n = 0;
    while (price(s, sel, m, n))
        n++;
    return n;
}

static const odz_dividend *dividend(const odz_race *r, const char *pool, bool interim,
                                    const char *comb)
{
    for (size_t i = 0; i < r->n_dividends; i++)
        if (strcmp(r->dividends[i].pool, pool) == 0 && r->dividends[i].interim == interim &&
            strcmp(r->dividends[i].combination, comb) == 0)
            return &r->dividends[i];
    return NULL;
}

/* Every key a row names exists in the scrape when `complete`; keys are unique. */
static void assert_batch_consistent(const odz_scrape *s, int complete)
{
    odz_batch b;
    odz_scrape_batch(s, &b);
    assert_ptr_equal(b.meetings, s->meetings.v);
    assert_int_equal(b.n_meetings, s->meetings.n);
    assert_int_equal(b.n_races, s->n_races);
    assert_int_equal(b.n_selections, s->n_selections);
    assert_int_equal(b.n_prices, s->n_prices);
    for (size_t i = 0; i < b.n_meetings; i++)
        for (size_t k = i + 1; k < b.n_meetings; k++)
            assert_string_not_equal(b.meetings[i].source_key, b.meetings[k].source_key);
    for (size_t i = 0; i < b.n_races; i++) {
        if (complete)
            assert_non_null(meeting(s, b.races[i].meeting_key));
        for (size_t k = i + 1; k < b.n_races; k++)
            assert_string_not_equal(b.races[i].race.source_key, b.races[k].race.source_key);
    }
    for (size_t i = 0; i < b.n_selections; i++)
        assert_non_null(odz_scrape_find_race(s, b.selections[i].race_key));
    for (size_t i = 0; i < b.n_prices; i++) {
        assert_non_null(selection(s, b.prices[i].selection_key));
        assert_true(b.prices[i].price.odds >= 100);
        assert_string_equal(b.prices[i].price.provider, "entain");
    }
}

/* ---- meetings ---- */

static void meetings_list(void **st)
{
    (void)st;
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_file("meetings-list-response.json", 0, NULL, &s, err), 0);
    assert_int_equal(s.n_warnings, 0);
    assert_int_equal(s.meetings.n, 76);
    size_t by_type[ODZ_RACE_TYPES] = {0}, anz = 0, uki = 0, usa = 0, row = 0;
    for (size_t i = 0; i < s.meetings.n; i++) {
        const odz_meeting *m = &s.meetings.v[i];
        by_type[m->type]++;
        assert_string_equal(m->date, "2025-07-17");
        anz += strcmp(m->region, "Australia & New Zealand") == 0;
        uki += strcmp(m->region, "UK & Ireland") == 0;
        usa += strcmp(m->region, "USA") == 0;
        row += strcmp(m->region, "Rest of the world") == 0;
    }
    assert_int_equal(by_type[ODZ_THOROUGHBRED], 35);
    assert_int_equal(by_type[ODZ_GREYHOUND], 30);
    assert_int_equal(by_type[ODZ_HARNESS], 11);
    assert_int_equal(anz, 28);
    assert_int_equal(uki, 20);
    assert_int_equal(usa, 16);
    assert_int_equal(row, 12);

    assert_int_equal(s.n_races, 748);
    assert_int_equal(races_with(&s, ODZ_FINAL), 530);
    assert_int_equal(races_with(&s, ODZ_OPEN), 196);
    assert_int_equal(races_with(&s, ODZ_ABANDONED), 17);
    assert_int_equal(races_with(&s, ODZ_INTERIM), 3);
    assert_int_equal(races_with(&s, ODZ_CLOSED), 2);

    const odz_meeting *m = meeting(&s, AWAPUNI);
    assert_non_null(m);
    assert_string_equal(m->name, "Awapuni Synthetic");
    assert_string_equal(m->country, "NZ");
    assert_int_equal(m->type, ODZ_THOROUGHBRED);
    assert_int_equal(m->first_start, 1752713400); /* 2025-07-17T00:50:00Z */
    assert_int_equal(races_of(&s, AWAPUNI, -1), 7);
    const odz_race *r = race(&s, AWAPUNI_R1);
    assert_non_null(r);
    assert_int_equal(r->number, 1);
    assert_string_equal(r->name, "PRYDA HANDICAP 1700");
    assert_int_equal(r->distance, 1700);
    assert_int_equal(r->scheduled_start, 1752713400);
    assert_int_equal(r->status, ODZ_FINAL);

    /* a wholly abandoned meeting */
    m = meeting(&s, YOUGHAL);
    assert_string_equal(m->name, "Youghal");
    assert_int_equal(m->type, ODZ_GREYHOUND);
    assert_string_equal(m->region, "UK & Ireland");
    assert_int_equal(races_of(&s, YOUGHAL, ODZ_ABANDONED), 12);
    assert_int_equal(races_of(&s, YOUGHAL, -1), 12);

    /* one meeting's mix: Penrith harness 6 final, 1 closed, 2 open */
    m = meeting(&s, "f2f6606b-be22-46d5-aaf8-afc63ce8898d");
    assert_int_equal(m->type, ODZ_HARNESS);
    assert_string_equal(m->country, "AUS");
    assert_int_equal(races_of(&s, m->source_key, ODZ_FINAL), 6);
    assert_int_equal(races_of(&s, m->source_key, ODZ_CLOSED), 1);
    assert_int_equal(races_of(&s, m->source_key, ODZ_OPEN), 2);
    /* Elazig (Turkey): races on 16 July UTC, race day 17 July */
    m = meeting(&s, "a24fce8f-e823-4c57-ad3f-aea7b28925bc");
    assert_string_equal(m->country, "TUR");
    assert_string_equal(m->region, "Rest of the world");
    assert_int_equal(races_of(&s, m->source_key, -1), 9);

    assert_batch_consistent(&s, 1);
    odz_scrape_free(&s);
}

static void meeting_detail(void **st)
{
    (void)st;
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_file("meeting-detail-response.json", 0, NULL, &s, err), 0);
    assert_int_equal(s.meetings.n, 1);
    assert_string_equal(s.meetings.v[0].name, "Grafton");
    assert_string_equal(s.meetings.v[0].country, "AUS");
    assert_string_equal(s.meetings.v[0].date, "2025-07-17");
    assert_int_equal(s.n_races, 8);
    assert_int_equal(races_with(&s, ODZ_FINAL), 8);
    const odz_race *r = race(&s, "48a84406-6494-4d7f-abd9-6fbb5d621308");
    assert_int_equal(r->number, 7);
    assert_string_equal(r->name, "Westlawn Finance Grafton Cup (L)");
    assert_int_equal(r->distance, 2350);
    odz_scrape_free(&s);
}

/* ---- event ---- */

static void check_event(const odz_scrape *s)
{
    const odz_race *r = race(s, AWAPUNI_R1);
    assert_non_null(r);
    assert_string_equal(odz_scrape_find_race(s, AWAPUNI_R1)->meeting_key, AWAPUNI);
    assert_int_equal(r->status, ODZ_FINAL);
    assert_int_equal(r->number, 1);
    assert_string_equal(r->name, "PRYDA HANDICAP 1700");
    assert_int_equal(r->distance, 1700);
    assert_int_equal(r->scheduled_start, 1752713400);
    assert_int_equal(r->actual_start, 1752713566);

    /* results with margins */
    assert_int_equal(r->n_results, 8);
    assert_int_equal(r->results[0].position, 1);
    assert_int_equal(r->results[0].number, 2); /* Frosbie won */
    assert_string_equal(r->results[0].margin, "");
    assert_int_equal(r->results[1].number, 4);
    assert_string_equal(r->results[1].margin, "LG NK");
    assert_int_equal(r->results[2].number, 7);
    assert_string_equal(r->results[2].margin, "1-3/4L");
    assert_int_equal(r->results[7].position, 8);
    assert_int_equal(r->results[7].number, 3);

    /* dividends, interim and final, in cents */
    assert_int_equal(r->n_dividends, 14);
    assert_int_equal(dividend(r, "WIN", false, "2")->amount, 660);
    assert_int_equal(dividend(r, "WIN", true, "2")->amount, 660);
    assert_int_equal(dividend(r, "PLACE", false, "2")->amount, 170);
    assert_int_equal(dividend(r, "PLACE", false, "4")->amount, 190);
    assert_int_equal(dividend(r, "PLACE", false, "7")->amount, 370);
    assert_int_equal(dividend(r, "QUINELLA", false, "2-4")->amount, 1370);
    assert_int_equal(dividend(r, "TRIFECTA", true, "2-4-7")->amount, 39660);
    assert_int_equal(dividend(r, "FIRST4", false, "2-4-7-6")->amount, 135040);
    assert_null(dividend(r, "WIN", false, "4"));

    /* runners */
    assert_int_equal(s->n_selections, 8);
    const odz_selection *x = selection(s, RUJI);
    assert_non_null(x);
    assert_string_equal(x->name, "Ruji");
    assert_int_equal(x->number, 4);
    assert_int_equal(x->barrier, 1);
    assert_string_equal(x->jockey, "Liam Kauri");
    assert_string_equal(x->trainer, "Suzy Gordon");
    assert_int_equal(x->weight, 5450);
    assert_int_equal(x->claim, 100);
    assert_false(x->scratched);
    assert_false(x->late_scratched);
    assert_string_equal(x->silks, "White, emerald green shamrock (b&f) & white cap");
    x = selection(s, DEALERS_CHOICE);
    assert_int_equal(x->weight, 5600);
    assert_int_equal(x->claim, 250);
    assert_int_equal(selection(s, "61181b8c-a540-43a8-900c-83ebe680e218")->weight, 6000);

    /* flucs_with_timestamp: three distinct times for Ruji, oldest first, then the current
     * fixed and tote odds as of the response */
    assert_int_equal(count_prices(s, RUJI, ODZ_FIXED_WIN), 4);
    const odz_price *p = price(s, RUJI, ODZ_FIXED_WIN, 0);
    assert_int_equal(p->ts, 1752553844);
    assert_int_equal(p->odds, 380);
    p = price(s, RUJI, ODZ_FIXED_WIN, 1);
    assert_int_equal(p->ts, 1752713203);
    assert_int_equal(p->odds, 500);
    p = price(s, RUJI, ODZ_FIXED_WIN, 2);
    assert_int_equal(p->ts, 1752713451);
    assert_int_equal(p->odds, 420);
    p = price(s, RUJI, ODZ_FIXED_WIN, 3);
    assert_int_equal(p->ts, GENERATED);
    assert_int_equal(p->odds, 420);
    assert_int_equal(price(s, RUJI, ODZ_FIXED_PLACE, 0)->odds, 165);
    assert_int_equal(price(s, RUJI, ODZ_TOTE_WIN, 0)->odds, 480);
    assert_int_equal(price(s, RUJI, ODZ_TOTE_PLACE, 0)->ts, GENERATED);
    assert_int_equal(price(s, RUJI, ODZ_TOTE_PLACE, 0)->odds, 190);
    assert_int_equal(s->n_prices, 8 * 4 + 29);
}

static void race_event(void **st)
{
    (void)st;
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_file("race-event-full-response.json", 1, AWAPUNI_R1, &s, err), 0);
    assert_int_equal(s.n_warnings, 0);
    assert_int_equal(s.meetings.n, 0); /* the event names its meeting but does not carry it */
    assert_int_equal(s.n_races, 1);
    check_event(&s);
    assert_batch_consistent(&s, 0);
    odz_scrape_free(&s);

    /* the event of another race than asked for */
    assert_int_equal(parse_file("race-event-full-response.json", 1,
                                "9ce6a43a-b4a8-4967-a2c7-23deba9d5d95", &s, err),
                     ODZ_EINVAL);
    assert_int_equal(s.n_races, 0);
}

/* Meetings then the event into one scrape: one consistent batch. */
static void meetings_then_event(void **st)
{
    (void)st;
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "", path[ODZ_SOURCE_PATH_MAX];
    assert_int_equal(parse_file("meetings-list-response.json", 0, NULL, &s, err), 0);
    assert_int_equal(race(&s, AWAPUNI_R1)->n_results, 0);
    assert_int_equal(src->race_request(AWAPUNI_R1, path, sizeof path), 0);
    assert_string_equal(path, "/affiliates/v1/racing/events/" AWAPUNI_R1);
    assert_int_equal(parse_file("race-event-full-response.json", 1, AWAPUNI_R1, &s, err), 0);
    assert_int_equal(s.meetings.n, 76);
    assert_int_equal(s.n_races, 748);
    check_event(&s);
    assert_batch_consistent(&s, 1);
    /* every race of the schedule can be asked for */
    for (size_t i = 0; i < s.n_races; i++)
        assert_int_equal(src->race_request(s.races[i].race.source_key, path, sizeof path), 0);
    /* the same meetings again change nothing, and do not move the event's race back */
    assert_int_equal(parse_file("meetings-list-response.json", 0, NULL, &s, err), 0);
    assert_int_equal(s.meetings.n, 76);
    assert_int_equal(s.n_races, 748);
    assert_int_equal(race(&s, AWAPUNI_R1)->n_results, 8);
    odz_scrape_free(&s);
}

/* The fixtures hold no scratched runner: scratch one late in a copy of the real event. */
static void late_scratching(void **st)
{
    (void)st;
    json_t *j = load_fixture_json("race-event-full-response.json");
    json_t *runners = json_object_get(json_object_get(j, "data"), "runners");
    json_t *dc = json_array_get(runners, 2);
    assert_string_equal(json_string_value(json_object_get(dc, "name")), "Dealers Choice");
    json_object_set_new(dc, "is_scratched", json_true());
    json_object_set_new(dc, "is_late_scratched", json_true());
    json_object_set_new(dc, "scratch_time", json_integer(1752712800));
    json_object_set_new(dc, "deductions", json_pack("{s:f,s:i}", "win", 12.5, "place", 3));
    json_t *tk = json_array_get(runners, 0); /* scratched early, time as text */
    json_object_set_new(tk, "is_scratched", json_true());
    json_object_set_new(tk, "scratch_time", json_string("2025-07-16T21:00:00Z"));
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_json(j, 1, NULL, &s, err), 0);
    const odz_selection *x = selection(&s, DEALERS_CHOICE);
    assert_true(x->scratched);
    assert_true(x->late_scratched);
    assert_int_equal(x->scratch_time, 1752712800);
    assert_int_equal(x->deduction, 1250); /* 12.5 cents in the dollar */
    assert_int_equal(count_prices(&s, DEALERS_CHOICE, ODZ_TOTE_WIN), 0); /* no current odds */
    assert_int_equal(count_prices(&s, DEALERS_CHOICE, ODZ_FIXED_WIN), 4); /* history stays */
    x = selection(&s, "61181b8c-a540-43a8-900c-83ebe680e218");
    assert_true(x->scratched);
    assert_false(x->late_scratched);
    assert_int_equal(x->scratch_time, 1752699600);
    assert_int_equal(x->deduction, 0); /* none given */
    assert_false(selection(&s, RUJI)->scratched);
    assert_int_equal(selection(&s, RUJI)->scratch_time, 0);
    json_decref(j);
    odz_scrape_free(&s);
}

/* Odd but readable data is kept; what cannot be used is skipped and counted. */
static void quirks(void **st)
{
    (void)st;
    json_t *j = load_fixture_json("meetings-list-response.json");
    json_t *ms = json_object_get(json_object_get(j, "data"), "meetings");
    json_t *m0 = json_array_get(ms, 0), *m1 = json_array_get(ms, 1), *m2 = json_array_get(ms, 2);
    json_object_set_new(m0, "date", json_null()); /* race day from the first start */
    json_object_set_new(m1, "category", json_string("X"));
    json_t *r0 = json_array_get(json_object_get(m2, "races"), 0);
    json_object_set_new(r0, "status", json_string("Teleported"));
    json_object_set_new(json_array_get(json_object_get(m2, "races"), 1), "id",
                        json_string("not-a-uuid"));
    json_object_set_new(json_array_get(json_object_get(m2, "races"), 2), "start_time",
                        json_string("2025-07-17T02:00:00+1:2"));
    char *long_name = malloc(1 << 20);
    assert_non_null(long_name);
    memset(long_name, 'y', (1 << 20) - 1);
    long_name[(1 << 20) - 1] = '\0';
    json_object_set_new(json_array_get(ms, 3), "name", json_string(long_name));
    free(long_name);
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_json(j, 0, NULL, &s, err), 0);
    assert_int_equal(s.meetings.n, 75);
    const char *k0 = json_string_value(json_object_get(m0, "meeting"));
    /* Elazig: first race 2025-07-16T14:15Z is 00:15 on the 17th in Sydney */
    assert_string_equal(meeting(&s, k0)->date, "2025-07-17");
    assert_null(meeting(&s, json_string_value(json_object_get(m1, "meeting"))));
    const char *k2 = json_string_value(json_object_get(m2, "meeting"));
    assert_int_equal(races_of(&s, k2, -1), json_array_size(json_object_get(m2, "races")) - 2);
    assert_int_equal(race(&s, json_string_value(json_object_get(
                                  json_array_get(json_object_get(m2, "races"), 2), "id")))
                         ->scheduled_start,
                     0);
    const odz_meeting *m3 = meeting(&s, json_string_value(json_object_get(json_array_get(ms, 3),
                                                                          "meeting")));
    assert_int_equal(strnlen(m3->name, sizeof m3->name), ODZ_NAME_MAX - 1);
    assert_int_equal(s.n_warnings, 4);
    assert_batch_consistent(&s, 1);
    odz_scrape_free(&s);
    json_decref(j);

    /* the event: a bad runner, bad odds, a fluc without a time, an unknown pool status */
    j = load_fixture_json("race-event-full-response.json");
    json_t *data = json_object_get(j, "data");
    json_t *runners = json_object_get(data, "runners");
    json_object_set_new(json_array_get(runners, 0), "entrant_id", json_integer(5));
    json_t *odds = json_object_get(json_array_get(runners, 1), "odds");
    json_object_set_new(odds, "fixed_win", json_string("evens"));
    json_object_set_new(odds, "pool_win", json_real(0.5));
    json_object_set_new(json_array_get(json_object_get(data, "dividends"), 0), "status",
                        json_string("Maybe"));
    json_object_set_new(json_array_get(json_object_get(data, "results"), 0), "position",
                        json_string("first"));
    assert_int_equal(parse_json(j, 1, NULL, &s, err), 0);
    assert_int_equal(s.n_selections, 7);
    const char *frosbie = "a8cc87d4-5a53-47b2-bb26-58d555aac7c0";
    assert_int_equal(count_prices(&s, frosbie, ODZ_TOTE_WIN), 0);
    assert_int_equal(count_prices(&s, frosbie, ODZ_TOTE_PLACE), 1);
    assert_int_equal(count_prices(&s, frosbie, ODZ_FIXED_WIN), 3); /* history only */
    assert_int_equal(race(&s, AWAPUNI_R1)->n_dividends, 13);
    assert_int_equal(race(&s, AWAPUNI_R1)->n_results, 7);
    assert_true(s.n_warnings >= 5);
    odz_scrape_free(&s);
    json_decref(j);
}

/* ---- garbage ---- */

static void expect_einval(const char *body, size_t len, int event)
{
    odz_scrape s = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(parse_file("meeting-detail-response.json", 0, NULL, &s, err), 0);
    int rc = event ? src->parse_race(body, len, NULL, &s, err, sizeof err)
                   : src->parse_schedule(body, len, NULL, &s, err, sizeof err);
    assert_int_equal(rc, ODZ_EINVAL);
    assert_true(err[0] != '\0');
    /* the scrape is as it was */
    assert_int_equal(s.meetings.n, 1);
    assert_int_equal(s.n_races, 8);
    assert_int_equal(s.n_selections, 0);
    assert_int_equal(s.n_prices, 0);
    assert_int_equal(race(&s, "2a862302-6e24-427a-8470-77b59f3b59e4")->status, ODZ_FINAL);
    odz_scrape_free(&s);
}

static void garbage_is_refused(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "",
        "{\"data\":",
        "[]",
        "null",
        "{}",
        "{\"data\":[]}",
        "{\"data\":{}}",
        "{\"data\":{\"meetings\":\"x\"}}",
        "{\"data\":{\"meetings\":[1]}}",
        "{\"data\":{\"meetings\":[{\"meeting\":\"a24fce8f-e823-4c57-ad3f-aea7b28925bc\","
        "\"category\":\"T\",\"date\":\"2025-07-17T00:00:00Z\",\"races\":{}}]}}",
        "{\"data\":{\"meetings\":[{\"meeting\":\"a24fce8f-e823-4c57-ad3f-aea7b28925bc\","
        "\"category\":\"T\",\"date\":\"2025-07-17T00:00:00Z\",\"races\":[7]}]}}",
        "{\"data\":{\"meetings\":[],\"error\":\"rate limited\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_einval(bad[i], strlen(bad[i]), 0);
    static const char *const bad_events[] = {
        "{\"data\":{}}",
        "{\"data\":{\"race\":[]}}",
        "{\"data\":{\"race\":{\"event_id\":\"x\",\"meeting_id\":\"y\"}}}",
        "{\"data\":{\"race\":{\"event_id\":\"0f57e087-00d9-4c61-9549-835abe2ae2ed\"}}}",
        "{\"data\":{\"race\":{\"event_id\":\"0f57e087-00d9-4c61-9549-835abe2ae2ed\","
        "\"meeting_id\":\"e9f2039d-d489-4a7d-aae1-d66225f1a5f4\"},\"runners\":5}}",
        "{\"data\":{\"race\":{\"event_id\":\"0f57e087-00d9-4c61-9549-835abe2ae2ed\","
        "\"meeting_id\":\"e9f2039d-d489-4a7d-aae1-d66225f1a5f4\"},\"runners\":[\"x\"]}}",
        "{\"data\":{\"race\":{\"event_id\":\"0f57e087-00d9-4c61-9549-835abe2ae2ed/../x\","
        "\"meeting_id\":\"e9f2039d-d489-4a7d-aae1-d66225f1a5f4\"}}}",
    };
    for (size_t i = 0; i < sizeof bad_events / sizeof bad_events[0]; i++)
        expect_einval(bad_events[i], strlen(bad_events[i]), 1);

    size_t n;
    char *b = slurp("race-event-full-response.json", &n);
    expect_einval(b, n / 3, 1); /* truncated */
    expect_einval(b, n, 0);     /* an event is not a schedule */
    free(b);
    b = slurp("meetings-list-response.json", &n);
    expect_einval(b, n - 1, 0);
    free(b);

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

/* ---- requests ---- */

static void requests(void **st)
{
    (void)st;
    odz_source_request req[ODZ_SOURCE_MAX_REQUESTS];
    size_t n = 0;
    char err[ODZ_ERRLEN] = "", path[ODZ_SOURCE_PATH_MAX];
    assert_ptr_equal(odz_source_find("entain"), &odz_source_entain);
    assert_string_equal(src->name, "entain");
    assert_int_equal(src->schedule_requests("2025-07-17", "2025-07-18", req, 32, &n, err,
                                            sizeof err),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(req[0].path,
                        "/affiliates/v1/racing/meetings?date_from=2025-07-17&date_to=2025-07-17");
    assert_string_equal(req[1].path,
                        "/affiliates/v1/racing/meetings?date_from=2025-07-18&date_to=2025-07-18");
    assert_int_equal(src->schedule_requests("2025-12-31", "2026-01-01", req, 32, &n, err,
                                            sizeof err),
                     0);
    assert_string_equal(req[1].path,
                        "/affiliates/v1/racing/meetings?date_from=2026-01-01&date_to=2026-01-01");
    assert_int_equal(src->schedule_requests("2025-07-17", "2025-07-18", req, 1, &n, err,
                                            sizeof err),
                     ODZ_EFULL);
    assert_int_equal(src->schedule_requests("2025-07-17", "2025-08-17", req, 32, &n, err,
                                            sizeof err),
                     ODZ_EINVAL);
    assert_int_equal(src->schedule_requests("17/07/2025", "2025-07-17", req, 32, &n, err,
                                            sizeof err),
                     ODZ_EINVAL);
    assert_int_equal(src->race_request(AWAPUNI_R1, path, sizeof path), 0);
    assert_string_equal(path, "/affiliates/v1/racing/events/" AWAPUNI_R1);
    assert_int_equal(src->race_request("737601", path, sizeof path), ODZ_EINVAL);
    assert_int_equal(src->race_request("0f57e087-00d9-4c61-9549-835abe2ae2e/", path, sizeof path),
                     ODZ_EINVAL);
    assert_int_equal(src->race_request(AWAPUNI_R1, path, 20), ODZ_EINVAL);
}

int main(void)
{
    src = odz_source_find("entain");
    if (!src)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(meetings_list),
        cmocka_unit_test(meeting_detail),
        cmocka_unit_test(race_event),
        cmocka_unit_test(meetings_then_event),
        cmocka_unit_test(late_scratching),
        cmocka_unit_test(quirks),
        cmocka_unit_test(garbage_is_refused),
        cmocka_unit_test(requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

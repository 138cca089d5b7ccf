/* Betfair: stream messages and the market cache on the recorded messages
 * (tests/fixtures/betfair), ladder rules, garbage, the domain rows, and the historical
 * files plain and bzip2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "support/fixture.h"
#include <bzlib.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "betfair/domain.h"
#include "betfair/history.h"
#include "betfair/request.h"
#include "betfair/session.h"
#include "betfair/stream.h"
#include "core/err.h"

#define KEMPTON "1.126235656"
#define WIN_FILE "betfair/historic-1.197931750-greyhound-win"
#define PLACE_FILE "betfair/historic-1.197931751-greyhound-place"

/* ---- helpers ---- */

static int apply_fixture(odz_bf_cache *c, const char *name, odz_bf_msg *m)
{
    char rel[256], err[ODZ_ERRLEN] = "";
    size_t len;
    snprintf(rel, sizeof rel, "betfair/%s", name);
    char *body = fixture_slurp(rel, &len);
    int rc = odz_bf_apply(c, body, len, m, err, sizeof err);
    if (rc)
        print_message("%s: %s\n", name, err);
    free(body);
    return rc;
}

static int apply_str(odz_bf_cache *c, const char *msg, char *err)
{
    return odz_bf_apply(c, msg, strlen(msg), NULL, err, ODZ_ERRLEN);
}

static const odz_bf_runner *runner(const odz_bf_cache *c, const char *market, int64_t id)
{
    const odz_bf_market *m = odz_bf_find_market(c, market);
    assert_non_null(m);
    const odz_bf_runner *r = odz_bf_find_runner(m, id);
    assert_non_null(r);
    return r;
}

/* Replay a historical fixture into the cache; returns the number of lines. */
static size_t replay(odz_bf_cache *c, const char *rel)
{
    char path[512], err[ODZ_ERRLEN] = "";
    odz_bf_history *h;
    assert_int_equal(odz_bf_history_open(fixture_path(rel, path, sizeof path), &h, err,
                                         sizeof err),
                     0);
    const char *line;
    size_t len, n = 0;
    int rc;
    while ((rc = odz_bf_history_next(h, &line, &len, err, sizeof err)) == 1) {
        odz_bf_msg m;
        if (odz_bf_apply(c, line, len, &m, err, sizeof err))
            fail_msg("%s line %zu: %s", rel, odz_bf_history_lineno(h), err);
        assert_int_equal(m.op, ODZ_BF_OP_MCM);
        assert_true(m.pt > 1650000000000LL);
        n++;
    }
    assert_int_equal(rc, 0);
    odz_bf_history_close(h);
    return n;
}

/* ---- the recorded stream messages ---- */

static void connection_and_status(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    odz_bf_msg m;
    char err[ODZ_ERRLEN];
    assert_int_equal(apply_fixture(&c, "streaming_connection.json", &m), 0);
    assert_int_equal(m.op, ODZ_BF_OP_CONNECTION);
    assert_string_equal(m.connection_id, "002-051134157842-432409");

    const char *bad = "{\"op\":\"status\",\"id\":1,\"statusCode\":\"FAILURE\","
                      "\"errorCode\":\"NO_APP_KEY\",\"errorMessage\":\"AppKey is not "
                      "configured for service\",\"connectionClosed\":true,"
                      "\"connectionId\":\"002-051134157842-432409\"}";
    assert_int_equal(odz_bf_apply(&c, bad, strlen(bad), &m, err, sizeof err), 0);
    assert_int_equal(m.op, ODZ_BF_OP_STATUS);
    assert_true(m.failure);
    assert_true(m.connection_closed);
    assert_int_equal(m.id, 1);
    assert_string_equal(m.error_code, "NO_APP_KEY");
    assert_non_null(strstr(m.error_message, "AppKey"));
    const char *ok = "{\"op\":\"status\",\"id\":2,\"statusCode\":\"SUCCESS\","
                     "\"connectionClosed\":false}";
    assert_int_equal(odz_bf_apply(&c, ok, strlen(ok), &m, err, sizeof err), 0);
    assert_false(m.failure);

    /* a 503 on the stream: data late, nothing else */
    assert_int_equal(apply_fixture(&c, "streaming_503.json", &m), 0);
    assert_int_equal(m.op, ODZ_BF_OP_MCM);
    assert_int_equal(m.stream_status, 503);
    assert_int_equal(c.n_markets, 0);
    odz_bf_cache_free(&c);
}

static void image_then_deltas(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    odz_bf_msg m;
    assert_int_equal(apply_fixture(&c, "streaming_mcm_SUB_IMAGE.json", &m), 0);
    assert_int_equal(m.ct, ODZ_BF_CT_SUB_IMAGE);
    assert_int_equal(m.pt, 1471370159007LL);
    assert_string_equal(c.initial_clk, "ab34r43r");
    assert_string_equal(c.clk, "AAAAAAAA");
    assert_int_equal(c.heartbeat_ms, 5000);
    assert_int_equal(c.conflate_ms, 0);
    assert_int_equal(c.n_markets, 1);
    const odz_bf_market *k = odz_bf_find_market(&c, KEMPTON);
    assert_non_null(k);
    assert_true(k->defined);
    assert_int_equal(k->status, ODZ_BF_MARKET_OPEN);
    assert_false(k->in_play);
    assert_string_equal(k->venue, "Kempton");
    assert_string_equal(k->country, "GB");
    assert_string_equal(k->market_type, "WIN");
    assert_int_equal(k->event_type_id, 7);
    assert_int_equal(k->n_winners, 1);
    assert_int_equal(k->market_time, 1471457400); /* 2016-08-17T18:10:00Z */
    assert_int_equal(k->n_runners, 7);
    const odz_bf_runner *r = runner(&c, KEMPTON, 11131804);
    assert_int_equal(r->adjustment, 4432); /* 44.323 % */
    assert_int_equal(r->sort_priority, 1);
    assert_int_equal(r->status, ODZ_BF_RUNNER_ACTIVE);
    assert_int_equal(r->batb[0].odds, 254);
    assert_int_equal(r->batb[0].size, 795);
    assert_int_equal(r->batl[0].odds, 272);
    assert_int_equal(r->batl[0].size, 880);
    assert_int_equal(runner(&c, KEMPTON, 11527192)->batb[0].odds, 460);

    /* a ladder delta: level 0 of one runner replaced */
    assert_int_equal(apply_fixture(&c, "streaming_mcm_update.json", &m), 0);
    assert_int_equal(m.ct, ODZ_BF_CT_UPDATE);
    assert_string_equal(c.clk, "AHMAcArtjjje");
    assert_string_equal(c.initial_clk, "ab34r43r");
    r = runner(&c, KEMPTON, 11527192);
    assert_int_equal(r->batb[0].odds, 470);
    assert_int_equal(r->batb[0].size, 433);
    assert_int_equal(runner(&c, KEMPTON, 11131804)->batb[0].odds, 254); /* others untouched */

    /* traded volume of the market */
    assert_int_equal(apply_fixture(&c, "streaming_mcm_UPDATE_tv.json", &m), 0);
    assert_int_equal(odz_bf_find_market(&c, KEMPTON)->tv, 6969);

    /* a new definition of another market (tennis): added, suspended, in play */
    assert_int_equal(apply_fixture(&c, "streaming_mcm_UPDATE_md.json", &m), 0);
    assert_int_equal(c.n_markets, 2);
    const odz_bf_market *t = odz_bf_find_market(&c, "1.128149474");
    assert_non_null(t);
    assert_int_equal(t->status, ODZ_BF_MARKET_SUSPENDED);
    assert_true(t->in_play);
    assert_int_equal(t->n_runners, 2);

    /* after a reconnect: only the changes since, new initialClk */
    assert_int_equal(apply_fixture(&c, "streaming_mcm_RESUB_DELTA.json", &m), 0);
    assert_int_equal(m.ct, ODZ_BF_CT_RESUB_DELTA);
    assert_string_equal(c.initial_clk, "yhfXkdfHDMoXgtDFvwzKF9+D78QM");
    assert_true(c.n_markets > 2);
    assert_non_null(odz_bf_find_market(&c, KEMPTON)); /* a delta keeps what it does not name */
    r = runner(&c, "1.128076835", 10868956);
    assert_int_equal(r->batb[0].odds, 270);
    assert_int_equal(r->batb[0].size, 17935);

    /* a heartbeat moves the clock only */
    size_t n = c.n_markets;
    assert_int_equal(apply_fixture(&c, "streaming_mcm_HEARTBEAT.json", &m), 0);
    assert_int_equal(m.ct, ODZ_BF_CT_HEARTBEAT);
    assert_string_equal(c.clk, "APIDAO4EAK8D");
    assert_int_equal(c.n_markets, n);

    /* a new subscription's image replaces the whole cache */
    assert_int_equal(apply_fixture(&c, "streaming_mcm_SUB_IMAGE_no_market_def.json", &m), 0);
    assert_null(odz_bf_find_market(&c, KEMPTON));
    assert_true(c.n_markets > 10);
    assert_string_equal(c.initial_clk, "kwKm4KWQBJsC2M7akgSVAo28h5EE");
    odz_bf_cache_free(&c);
}

static void ladder_rules(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    char err[ODZ_ERRLEN];
    const char *img = "{\"op\":\"mcm\",\"pt\":1,\"mc\":[{\"id\":\"1.5\",\"img\":true,\"rc\":["
                      "{\"id\":9,\"batb\":[[0,3.0,10],[1,2.9,20],[2,2.8,30],[3,2.7,40]],"
                      "\"atb\":[[3.0,10],[2.9,20],[2.8,30],[2.7,40]],"
                      "\"atl\":[[3.2,5],[3.1,6],[3.3,7]],\"ltp\":3.05,\"tv\":123.45}]}]}";
    assert_int_equal(apply_str(&c, img, err), 0);
    const odz_bf_runner *r = runner(&c, "1.5", 9);
    assert_int_equal(r->atb.n, 4);
    assert_int_equal(r->atl.n, 3);
    assert_int_equal(r->ltp, 305);
    assert_int_equal(r->tv, 12345);
    odz_exchange_book b;
    odz_bf_runner_book(r, &b);
    assert_int_equal(b.back[0].odds, 300);
    assert_int_equal(b.back[1].odds, 290);
    assert_int_equal(b.back[2].odds, 280);
    assert_int_equal(b.back[2].size, 3000);
    assert_int_equal(b.lay[0].odds, 310); /* no batl: from atl, lowest first */
    assert_int_equal(b.lay[2].odds, 330);
    assert_int_equal(b.last_traded, 305);

    /* position 1 replaced, position 0 removed (size 0); price 3.1 removed, 3.15 added */
    assert_int_equal(apply_str(&c, "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.5\",\"rc\":[{\"id\":9,"
                                   "\"batb\":[[1,2.94,21],[0,3.0,0]],\"atl\":[[3.1,0],[3.15,1]]}"
                                   "]}]}",
                               err),
                     0);
    r = runner(&c, "1.5", 9);
    assert_int_equal(r->batb[0].odds, 0);
    assert_int_equal(r->batb[1].odds, 294);
    assert_int_equal(r->batb[1].size, 2100);
    assert_int_equal(r->atl.n, 3);
    odz_bf_runner_book(r, &b);
    assert_int_equal(b.back[0].odds, 294); /* best first, the empty position skipped */
    assert_int_equal(b.back[1].odds, 280);
    assert_int_equal(b.back[2].odds, 270);
    assert_int_equal(b.lay[0].odds, 315);
    assert_int_equal(b.lay[0].size, 100);
    assert_int_equal(b.lay[1].odds, 320);
    assert_int_equal(b.lay[2].odds, 330);

    /* img on a runner replaces its prices; on a market, the market */
    assert_int_equal(apply_str(&c, "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.5\",\"rc\":[{\"id\":9,"
                                   "\"img\":true,\"batl\":[[0,4,1]]},{\"id\":10,\"ltp\":5}]}]}",
                               err),
                     0);
    r = runner(&c, "1.5", 9);
    assert_int_equal(r->atb.n, 0);
    assert_int_equal(r->batb[1].odds, 0);
    assert_int_equal(r->ltp, 0);
    assert_int_equal(r->batl[0].odds, 400);
    assert_int_equal(odz_bf_find_market(&c, "1.5")->n_runners, 2);
    assert_int_equal(apply_str(&c, "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.5\",\"img\":true,"
                                   "\"rc\":[{\"id\":10,\"ltp\":6}]}]}",
                               err),
                     0);
    assert_int_equal(odz_bf_find_market(&c, "1.5")->n_runners, 1);
    assert_int_equal(runner(&c, "1.5", 10)->ltp, 600);

    /* display ladders and projected starting prices ("NaN": none) */
    assert_int_equal(apply_str(&c, "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.5\",\"rc\":[{\"id\":10,"
                                   "\"bdatb\":[[0,5.5,2]],\"spn\":\"NaN\",\"spf\":4.4}]}]}",
                               err),
                     0);
    r = runner(&c, "1.5", 10);
    assert_int_equal(r->bdatb[0].odds, 550);
    assert_int_equal(r->spn, 0);
    assert_int_equal(r->spf, 440);
    odz_bf_runner_book(r, &b);
    assert_int_equal(b.back[0].odds, 550);
    odz_bf_cache_free(&c);
}

/* Bad messages are refused whole: a good first market does not stay when the second is bad. */
static void garbage_changes_nothing(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    char err[ODZ_ERRLEN];
    assert_int_equal(apply_fixture(&c, "streaming_mcm_SUB_IMAGE.json", NULL), 0);
    const char *bad[] = {
        "",
        "not json",
        "[]",
        "{\"id\":1}",
        "{\"op\":\"mcm\",\"ct\":\"BOGUS\"}",
        "{\"op\":\"mcm\",\"mc\":{}}",
        "{\"op\":\"mcm\",\"pt\":\"soon\"}",
        "{\"op\":\"mcm\",\"mc\":[{\"rc\":[]}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"rc\":[{\"batb\":[[0,9,9]]}]}]}",
        /* good change first, then a bad one: position 10, negative size, price below 1.01 */
        "{\"op\":\"mcm\",\"clk\":\"X\",\"mc\":[{\"id\":\"1.126235656\",\"tv\":1,\"rc\":[{\"id\":"
        "11131804,\"batb\":[[0,9,9]]},{\"id\":11064886,\"batb\":[[10,2,1]]}]}]}",
        "{\"op\":\"mcm\",\"clk\":\"X\",\"mc\":[{\"id\":\"1.126235656\",\"rc\":[{\"id\":11131804,"
        "\"batb\":[[0,9,9]]}]},{\"id\":\"1.2\",\"rc\":[{\"id\":1,\"atb\":[[2,-1]]}]}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"rc\":[{\"id\":11131804,\"atl\":[[0.5,"
        "3]]}]}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"rc\":[{\"id\":11131804,\"batl\":[[0,"
        "\"2\",3]]}]}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"marketDefinition\":{\"status\":"
        "\"RUNNING\"}}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"marketDefinition\":{\"status\":"
        "\"OPEN\",\"marketTime\":\"yesterday\"}}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"marketDefinition\":{\"status\":"
        "\"OPEN\",\"runners\":[{\"id\":1,\"status\":\"FAST\"}]}}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"marketDefinition\":{\"status\":"
        "\"OPEN\",\"runners\":[{\"id\":1,\"adjustmentFactor\":150}]}}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"marketDefinition\":{\"status\":\"CLOSED"
        "\"}},{\"id\":\"bad id!\"}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"tv\":1},{\"id\":\"1.1\",\"img\":1}]}",
        "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.1\"}],\"mc\":[]}",
        "{\"op\":\"status\",\"statusCode\":\"MAYBE\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = apply_str(&c, bad[i], err);
        if (rc == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_true(err[0] != '\0');
        assert_int_equal(c.n_markets, 1);
        assert_string_equal(c.clk, "AAAAAAAA");
        const odz_bf_market *k = odz_bf_find_market(&c, KEMPTON);
        assert_int_equal(k->status, ODZ_BF_MARKET_OPEN);
        assert_int_equal(k->tv, 0);
        assert_int_equal(k->n_runners, 7);
        assert_int_equal(runner(&c, KEMPTON, 11131804)->batb[0].odds, 254);
        assert_int_equal(runner(&c, KEMPTON, 11064886)->batb[0].odds,
                         runner(&c, KEMPTON, 11064886)->batb[0].odds);
    }
    /* limits: too long a message, too many markets, runners and prices */
    char *big = malloc(ODZ_BF_MSG_MAX + 2);
    assert_non_null(big);
    memset(big, ' ', ODZ_BF_MSG_MAX + 1);
    memcpy(big, "{\"op\":\"mcm\"}", 12);
    assert_int_equal(odz_bf_apply(&c, big, ODZ_BF_MSG_MAX + 1, NULL, err, sizeof err),
                     ODZ_EINVAL);
    free(big);

    odz_bf_cache small = {.max_markets = 2};
    assert_int_equal(apply_str(&small, "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.1\"},{\"id\":\"1.2\"}]}",
                               err),
                     0);
    assert_int_equal(apply_str(&small, "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.3\"}]}", err),
                     ODZ_EFULL);
    assert_int_equal(small.n_markets, 2);
    odz_bf_cache_free(&small);

    char msg[64 * 1024];
    size_t o = (size_t)snprintf(msg, sizeof msg, "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.9\",\"rc\":[");
    for (int i = 1; i <= ODZ_BF_MAX_RUNNERS + 1; i++)
        o += (size_t)snprintf(msg + o, sizeof msg - o, "%s{\"id\":%d,\"ltp\":2}", i > 1 ? "," : "",
                              i);
    snprintf(msg + o, sizeof msg - o, "]}]}");
    assert_int_equal(apply_str(&c, msg, err), ODZ_EFULL);
    assert_null(odz_bf_find_market(&c, "1.9"));

    o = (size_t)snprintf(msg, sizeof msg, "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.9\",\"rc\":[{\"id\":"
                                          "1,\"atb\":[");
    for (int i = 0; i <= ODZ_BF_MAX_PRICES; i++)
        o += (size_t)snprintf(msg + o, sizeof msg - o, "%s[%d.%02d,1]", i ? "," : "",
                              2 + i / 100, i % 100);
    snprintf(msg + o, sizeof msg - o, "]}]}]}");
    assert_int_equal(apply_str(&c, msg, err), ODZ_EFULL);
    assert_null(odz_bf_find_market(&c, "1.9"));
    odz_bf_cache_free(&c);
}

/* ---- our units: meetings, races, selections, prices ---- */

static void domain_rows_of_an_image(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(apply_fixture(&c, "streaming_mcm_SUB_IMAGE.json", NULL), 0);
    assert_int_equal(apply_fixture(&c, "streaming_mcm_UPDATE_md.json", NULL), 0); /* tennis */
    odz_scrape s = {0};
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Europe/London", true, &s, err, sizeof err), 0);
    assert_int_equal(s.meetings.n, 1); /* the tennis market is not racing */
    assert_string_equal(s.meetings.v[0].name, "Kempton");
    assert_string_equal(s.meetings.v[0].date, "2016-08-17");
    assert_string_equal(s.meetings.v[0].region, "UK & Ireland");
    assert_int_equal(s.meetings.v[0].type, ODZ_THOROUGHBRED);
    assert_int_equal(s.n_races, 1);
    assert_string_equal(s.races[0].race.source_key, "betfair:27890558:1471457400");
    assert_int_equal(s.races[0].race.status, ODZ_OPEN);
    assert_int_equal(s.races[0].race.number, 1);
    assert_int_equal(s.n_selections, 7);
    /* no names in the definition, no catalogue: numbered by sort priority */
    assert_int_equal(s.selections[0].sel.number, 1);
    assert_string_equal(s.selections[0].sel.name, "Runner 11131804");
    /* best back and lay of each runner that has them, stamped with the publish time */
    size_t back = 0, lay = 0;
    for (size_t i = 0; i < s.n_prices; i++) {
        const odz_price *p = &s.prices[i].price;
        assert_string_equal(p->provider, "betfair");
        assert_int_equal(p->ts, 1471370159);
        back += p->market == ODZ_EXCHANGE_BACK;
        lay += p->market == ODZ_EXCHANGE_LAY;
        if (!strcmp(s.prices[i].selection_key, "betfair:27890558:1471457400:11131804"))
            assert_int_equal(p->odds, p->market == ODZ_EXCHANGE_BACK ? 254 : 272);
    }
    assert_int_equal(back, 7);
    assert_true(lay >= 5);
    odz_scrape_free(&s);
    /* nothing changed since: nothing to convert */
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Europe/London", true, &s, err, sizeof err), 0);
    assert_int_equal(s.n_races, 0);
    odz_scrape_free(&s);
    odz_bf_cache_free(&c);
}

/* Two scrapes hold the same rows (keys compared as text). */
static void same_scrape(const odz_scrape *a, const odz_scrape *b)
{
    assert_int_equal(a->meetings.n, b->meetings.n);
    assert_int_equal(a->n_races, b->n_races);
    assert_int_equal(a->n_selections, b->n_selections);
    assert_int_equal(a->n_prices, b->n_prices);
    assert_int_equal(a->n_books, b->n_books);
    assert_int_equal(a->n_warnings, b->n_warnings);
    for (size_t i = 0; i < a->meetings.n; i++)
        assert_memory_equal(&a->meetings.v[i], &b->meetings.v[i], sizeof a->meetings.v[i]);
    for (size_t i = 0; i < a->n_races; i++) {
        assert_string_equal(a->races[i].meeting_key, b->races[i].meeting_key);
        assert_memory_equal(&a->races[i].race, &b->races[i].race, sizeof a->races[i].race);
    }
    for (size_t i = 0; i < a->n_selections; i++) {
        assert_string_equal(a->selections[i].race_key, b->selections[i].race_key);
        assert_memory_equal(&a->selections[i].sel, &b->selections[i].sel,
                            sizeof a->selections[i].sel);
    }
    for (size_t i = 0; i < a->n_prices; i++) {
        assert_string_equal(a->prices[i].selection_key, b->prices[i].selection_key);
        assert_memory_equal(&a->prices[i].price, &b->prices[i].price, sizeof a->prices[i].price);
    }
    for (size_t i = 0; i < a->n_books; i++) {
        assert_string_equal(a->books[i].selection_key, b->books[i].selection_key);
        assert_memory_equal(&a->books[i].book, &b->books[i].book, sizeof a->books[i].book);
    }
}

/* The replay's and the client's scrape is kept between seconds (odz_scrape_clear): each fill
 * writes into the arrays of the one before, not grown afresh, and holds exactly the rows a new
 * scrape gets; a scrape that holds rows is still merged into, not overwritten. */
static void scrape_kept_between_seconds(void **st)
{
    (void)st;
    const char *files[2] = {WIN_FILE, PLACE_FILE};
    odz_bf_history *h[2];
    char path[512], err[ODZ_ERRLEN] = "";
    for (int f = 0; f < 2; f++)
        assert_int_equal(odz_bf_history_open(fixture_path(files[f], path, sizeof path), &h[f],
                                             err, sizeof err),
                         0);
    odz_bf_cache kept_c = {0}, fresh_c = {0};
    odz_scrape kept = {0};
    const odz_batch_selection *sel_at = NULL;
    size_t fills = 0, same_arrays = 0, lines = 0;
    for (int f = 0; f < 2; f++) {
        const char *line;
        size_t len;
        while (odz_bf_history_next(h[f], &line, &len, err, sizeof err) == 1) {
            assert_int_equal(odz_bf_apply(&kept_c, line, len, NULL, err, sizeof err), 0);
            assert_int_equal(odz_bf_apply(&fresh_c, line, len, NULL, err, sizeof err), 0);
            if (++lines % 7)
                continue; /* a flush every few messages, as the replay's every second */
            odz_scrape fresh = {0};
            assert_int_equal(odz_bf_to_scrape(&fresh_c, NULL, "Europe/London", true, &fresh, err,
                                              sizeof err),
                             0);
            assert_true(odz_scrape_empty(&kept));
            assert_int_equal(odz_bf_to_scrape(&kept_c, NULL, "Europe/London", true, &kept, err,
                                              sizeof err),
                             0);
            same_scrape(&kept, &fresh);
            if (kept.n_selections) {
                fills++;
                same_arrays += kept.selections == sel_at;
                sel_at = kept.selections;
            }
            odz_scrape_free(&fresh);
            size_t had = kept.n_selections;
            odz_scrape_clear(&kept);
            /* emptied, its arrays kept for the next second */
            assert_true(kept.cap_selections >= had && (!had || kept.selections == sel_at));
        }
        odz_bf_history_close(h[f]);
    }
    assert_true(fills > 10);
    assert_true(same_arrays >= fills - 2); /* grown at most while the race gained a market */
    /* into a scrape holding rows: merged (what was there stays, the race's rows join it) */
    odz_scrape a = {0}, b = {0};
    assert_int_equal(odz_bf_to_scrape(&kept_c, NULL, "Europe/London", false, &a, err, sizeof err),
                     0);
    assert_true(a.n_selections > 0);
    odz_meeting other = {.type = ODZ_GREYHOUND};
    snprintf(other.source_key, sizeof other.source_key, "other:meeting");
    snprintf(other.name, sizeof other.name, "Elsewhere");
    assert_int_equal(odz__scrape_add_meeting(&b, &other), 0);
    assert_false(odz_scrape_empty(&b));
    assert_int_equal(odz_bf_to_scrape(&fresh_c, NULL, "Europe/London", false, &b, err, sizeof err),
                     0);
    assert_int_equal(b.meetings.n, a.meetings.n + 1);
    assert_string_equal(b.meetings.v[0].name, "Elsewhere");
    assert_int_equal(b.n_selections, a.n_selections);
    assert_int_equal(b.n_prices, a.n_prices);
    assert_int_equal(b.n_books, a.n_books);
    odz_scrape_free(&a);
    odz_scrape_free(&b);
    odz_scrape_free(&kept);
    odz_bf_cache_free(&kept_c);
    odz_bf_cache_free(&fresh_c);
}

static void runner_names_and_catalogue(void **st)
{
    (void)st;
    const char *rest;
    assert_int_equal(odz_bf_runner_number("1. Paradise Mission", &rest), 1);
    assert_string_equal(rest, "Paradise Mission");
    assert_int_equal(odz_bf_runner_number("12. Frosbie", &rest), 12);
    assert_string_equal(rest, "Frosbie");
    assert_int_equal(odz_bf_runner_number("Frosbie", &rest), 0);
    assert_string_equal(rest, "Frosbie");
    assert_int_equal(odz_bf_runner_number("2.Name", &rest), 0);
    assert_int_equal(odz_bf_runner_number("123. Name", &rest), 0);
    assert_int_equal(odz_bf_runner_number("1. ", &rest), 0);

    odz_bf_catalogues cats = {0};
    char err[ODZ_ERRLEN];
    size_t len;
    char *body = fixture_slurp("betfair/catalogue-1.197931750.json", &len);
    assert_int_equal(odz_bf_catalogue_parse(body, len, &cats, err, sizeof err), 0);
    free(body);
    body = fixture_slurp("betfair/list_market_catalogue.json", &len);
    assert_int_equal(odz_bf_catalogue_parse(body, len, &cats, err, sizeof err), 0);
    free(body);
    assert_true(cats.n > 1);
    const odz_bf_catalogue *cat = odz_bf_catalogue_find(&cats, "1.197931750");
    assert_non_null(cat);
    assert_string_equal(cat->market_name, "OR 280m");
    assert_int_equal(cat->n_runners, 6);
    assert_string_equal(cat->runners[0].name, "1. Paradise Mission");
    size_t n = cats.n;
    assert_int_equal(odz_bf_catalogue_parse("{\"marketId\":\"1.1\",\"runners\":[{}]}", 33, &cats,
                                            err, sizeof err),
                     ODZ_EINVAL);
    assert_int_equal(odz_bf_catalogue_parse("nope", 4, &cats, err, sizeof err), ODZ_EINVAL);
    assert_int_equal(cats.n, n);
    odz_bf_catalogues_free(&cats);
}

/* ---- historical files ---- */

static void win_file_replays_to_a_result(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    assert_int_equal(replay(&c, WIN_FILE), 166);
    const odz_bf_market *m = odz_bf_find_market(&c, "1.197931750");
    assert_non_null(m);
    assert_int_equal(m->status, ODZ_BF_MARKET_CLOSED);
    assert_true(m->bsp_reconciled);
    assert_string_equal(m->venue, "Sheffield");
    assert_string_equal(m->name, "OR 280m");
    assert_int_equal(m->event_type_id, 4339);
    int winners = 0;
    for (size_t i = 0; i < m->n_runners; i++) {
        const odz_bf_runner *r = &m->runners[i];
        if (r->status == ODZ_BF_RUNNER_WINNER) {
            winners++;
            assert_int_equal(r->id, 37947503);
            assert_string_equal(r->name, "2. Sandwood Jet");
            assert_int_equal(r->bsp, 2500);
        } else {
            assert_int_equal(r->status, ODZ_BF_RUNNER_LOSER);
        }
        const char *rest;
        assert_int_equal(odz_bf_runner_number(r->name, &rest), r->sort_priority);
    }
    assert_int_equal(winners, 1);
    assert_int_equal(runner(&c, "1.197931750", 39823721)->bsp, 155);
    odz_bf_cache_free(&c);
}

static void place_file_has_two_winners(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    assert_int_equal(replay(&c, PLACE_FILE), 166);
    const odz_bf_market *m = odz_bf_find_market(&c, "1.197931751");
    assert_non_null(m);
    assert_string_equal(m->market_type, "PLACE");
    assert_int_equal(m->n_winners, 2);
    int winners = 0;
    for (size_t i = 0; i < m->n_runners; i++)
        winners += m->runners[i].status == ODZ_BF_RUNNER_WINNER;
    assert_int_equal(winners, 2);
    assert_int_equal(runner(&c, "1.197931751", 39823721)->status, ODZ_BF_RUNNER_WINNER);
    odz_bf_cache_free(&c);
}

/* Both markets of the race: one race, FINAL, winner trap 2, second trap 6, runners by trap. */
static void both_files_make_one_finished_race(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    odz_bf_catalogues cats = {0};
    char err[ODZ_ERRLEN] = "";
    size_t len;
    char *body = fixture_slurp("betfair/catalogue-1.197931750.json", &len);
    assert_int_equal(odz_bf_catalogue_parse(body, len, &cats, err, sizeof err), 0);
    free(body);
    /* the first lines only: names come from the catalogue */
    char path[512];
    odz_bf_history *h;
    assert_int_equal(odz_bf_history_open(fixture_path(WIN_FILE, path, sizeof path), &h, err,
                                         sizeof err),
                     0);
    const char *line;
    assert_int_equal(odz_bf_history_next(h, &line, &len, err, sizeof err), 1);
    assert_int_equal(odz_bf_apply(&c, line, len, NULL, err, sizeof err), 0);
    odz_bf_history_close(h);
    odz_scrape s = {0};
    assert_int_equal(odz_bf_to_scrape(&c, &cats, "Australia/Sydney", true, &s, err, sizeof err),
                     0);
    assert_int_equal(s.n_races, 1);
    assert_string_equal(s.meetings.v[0].date, "2022-04-20"); /* 18:26 UTC is the 20th there */
    assert_int_equal(s.meetings.v[0].type, ODZ_GREYHOUND);
    assert_string_equal(s.races[0].race.name, "OR 280m");
    assert_int_equal(s.races[0].race.distance, 280);
    assert_int_equal(s.races[0].race.status, ODZ_OPEN);
    assert_int_equal(s.n_selections, 6);
    assert_string_equal(s.selections[0].sel.name, "Paradise Mission");
    assert_int_equal(s.selections[0].sel.number, 1);
    assert_int_equal(s.selections[0].sel.barrier, 1);
    odz_scrape_free(&s);

    odz_bf_cache_free(&c);
    replay(&c, WIN_FILE);
    replay(&c, PLACE_FILE);
    assert_int_equal(c.n_markets, 2);
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Europe/London", false, &s, err, sizeof err), 0);
    assert_int_equal(s.n_races, 1);
    const odz_race *r = &s.races[0].race;
    assert_int_equal(r->status, ODZ_FINAL);
    assert_int_equal(r->n_results, 2);
    assert_int_equal(r->results[0].position, 1);
    assert_int_equal(r->results[0].number, 2);
    assert_int_equal(r->results[1].position, 2);
    assert_int_equal(r->results[1].number, 6);
    assert_int_equal(s.n_selections, 6);
    for (size_t i = 0; i < s.n_selections; i++)
        if (s.selections[i].sel.number == 2)
            assert_string_equal(s.selections[i].sel.name, "Sandwood Jet");
    odz_scrape_free(&s);
    odz_bf_cache_free(&c);
    odz_bf_catalogues_free(&cats);
}

/* A BASIC file (last traded prices and definitions only, no ladders): the race, its runners
 * and result still come, and no exchange offers are made up from last traded prices. */
static void basic_file_without_ladders(void **st)
{
    (void)st;
    char path[512], err[ODZ_ERRLEN] = "";
    odz_bf_history *h;
    assert_int_equal(odz_bf_history_open(fixture_path(WIN_FILE, path, sizeof path), &h, err,
                                         sizeof err),
                     0);
    odz_bf_cache c = {0};
    const char *line;
    size_t len;
    while (odz_bf_history_next(h, &line, &len, err, sizeof err) == 1) {
        json_t *j = json_loadb(line, len, 0, NULL);
        assert_non_null(j);
        size_t i, k;
        json_t *mc, *rc;
        json_array_foreach(json_object_get(j, "mc"), i, mc) {
            json_array_foreach(json_object_get(mc, "rc"), k, rc) {
                const char *drop[] = {"atb", "atl", "trd", "bdatb", "bdatl", "batb", "batl"};
                for (size_t d = 0; d < sizeof drop / sizeof drop[0]; d++)
                    json_object_del(rc, drop[d]);
            }
        }
        char *basic = json_dumps(j, JSON_COMPACT);
        assert_int_equal(odz_bf_apply(&c, basic, strlen(basic), NULL, err, sizeof err), 0);
        free(basic);
        json_decref(j);
    }
    odz_bf_history_close(h);
    const odz_bf_runner *r = runner(&c, "1.197931750", 39823721);
    assert_true(r->ltp > 100);
    assert_int_equal(r->atb.n, 0);
    odz_scrape s = {0};
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Europe/London", false, &s, err, sizeof err), 0);
    assert_int_equal(s.n_races, 1);
    assert_int_equal(s.races[0].race.status, ODZ_FINAL);
    assert_int_equal(s.races[0].race.results[0].number, 2);
    assert_int_equal(s.n_selections, 6);
    assert_int_equal(s.n_prices, 0);
    odz_scrape_free(&s);
    odz_bf_cache_free(&c);
}

static void scratching_is_a_deduction(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    char err[ODZ_ERRLEN] = "";
    const char *def = "{\"op\":\"mcm\",\"pt\":1650392673420,\"mc\":[{\"id\":\"1.7\","
                      "\"marketDefinition\":{\"status\":\"OPEN\",\"eventId\":\"5\","
                      "\"eventTypeId\":\"7\",\"marketType\":\"WIN\",\"venue\":\"Flemington\","
                      "\"countryCode\":\"AU\",\"name\":\"R3 1200m Hcp\",\"marketTime\":"
                      "\"2022-04-20T04:00:00.000Z\",\"runners\":[{\"id\":1,\"sortPriority\":1,"
                      "\"status\":\"ACTIVE\",\"name\":\"1. Frosbie\"},{\"id\":2,\"sortPriority\":"
                      "2,\"status\":\"REMOVED\",\"adjustmentFactor\":12.5,\"name\":\"4. Saint "
                      "Jude\"}]}}]}";
    assert_int_equal(apply_str(&c, def, err), 0);
    odz_scrape s = {0};
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Australia/Sydney", true, &s, err, sizeof err),
                     0);
    assert_int_equal(s.races[0].race.number, 3);
    assert_int_equal(s.races[0].race.distance, 1200);
    assert_int_equal(s.n_selections, 2);
    assert_false(s.selections[0].sel.scratched);
    assert_int_equal(s.selections[0].sel.barrier, 0);
    assert_true(s.selections[1].sel.scratched);
    assert_int_equal(s.selections[1].sel.number, 4);
    assert_int_equal(s.selections[1].sel.deduction, 1250);
    assert_int_equal(s.selections[1].sel.scratch_time, 1650392673);
    odz_scrape_free(&s);
    /* a later definition keeps the time it was first seen removed */
    char later[2048];
    snprintf(later, sizeof later, "%s", def);
    memcpy(strstr(later, "1650392673420"), "1650392999000", 13);
    assert_int_equal(apply_str(&c, later, err), 0);
    assert_int_equal(runner(&c, "1.7", 2)->removed_at, 1650392673420LL);
    assert_int_equal(runner(&c, "1.7", 1)->removed_at, 0);
    odz_bf_cache_free(&c);
}

/* Harness races are horse racing (event type 7) too: the definition's raceType files them as
 * harness meetings, apart from a thoroughbred meeting at the same venue. */
static void harness_race_type(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    char err[ODZ_ERRLEN] = "", msg[1024];
    const char *types[] = {"Harness", "Flat", NULL};
    for (size_t i = 0; i < 3; i++) {
        char rt[48] = "";
        if (types[i])
            snprintf(rt, sizeof rt, "\"raceType\":\"%s\",", types[i]);
        snprintf(msg, sizeof msg,
                 "{\"op\":\"mcm\",\"pt\":1650392673420,\"mc\":[{\"id\":\"1.%zu\","
                 "\"marketDefinition\":{\"status\":\"OPEN\",\"eventId\":\"%zu\",%s"
                 "\"eventTypeId\":\"7\",\"marketType\":\"WIN\",\"venue\":\"Menangle\","
                 "\"countryCode\":\"AU\",\"name\":\"R%zu 1609m\",\"marketTime\":"
                 "\"2022-04-20T0%zu:00:00.000Z\",\"runners\":[{\"id\":1,\"sortPriority\":1,"
                 "\"status\":\"ACTIVE\",\"name\":\"1. Frosbie\"}]}}]}",
                 i + 1, i + 1, rt, i + 1, i + 4);
        assert_int_equal(apply_str(&c, msg, err), 0);
    }
    odz_scrape s = {0};
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Australia/Sydney", true, &s, err, sizeof err), 0);
    assert_int_equal(s.meetings.n, 2);
    size_t harness = 0, thoroughbred = 0;
    for (size_t i = 0; i < s.meetings.n; i++) {
        const odz_meeting *m = &s.meetings.v[i];
        const char *tail = strrchr(m->source_key, ':');
        if (m->type == ODZ_HARNESS) {
            harness++;
            assert_string_equal(tail, ":harness");
        } else {
            thoroughbred++;
            assert_int_equal(m->type, ODZ_THOROUGHBRED);
            assert_string_equal(tail, ":thoroughbred");
        }
    }
    assert_int_equal(harness, 1);
    assert_int_equal(thoroughbred, 1);
    assert_int_equal(s.n_races, 3);
    odz_scrape_free(&s);
    odz_bf_cache_free(&c);
}

/* Races without a number in their name are numbered by start time within their meeting;
 * markets that cannot be a race (no venue letters, other sports) are left out. */
static void races_numbered_by_start(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    char err[ODZ_ERRLEN] = "", msg[1024];
    const struct {
        const char *id, *event, *venue, *time;
    } m[] = {
        {"1.30", "9", "Romford", "2022-04-19T19:10:00Z"},
        {"1.10", "9", "Romford", "2022-04-19T18:40:00Z"},
        {"1.20", "9", "Romford", "2022-04-19T18:55:00Z"},
        {"1.40", "8", "Hove", "2022-04-19T18:00:00Z"},
        {"1.50", "7", "!!!", "2022-04-19T18:00:00Z"},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        snprintf(msg, sizeof msg,
                 "{\"op\":\"mcm\",\"pt\":1650390000000,\"mc\":[{\"id\":\"%s\","
                 "\"marketDefinition\":{\"status\":\"OPEN\",\"eventId\":\"%s\","
                 "\"eventTypeId\":\"4339\",\"marketType\":\"WIN\",\"venue\":\"%s\","
                 "\"marketTime\":\"%s\",\"runners\":[{\"id\":1,\"sortPriority\":1,"
                 "\"name\":\"1. Dog\"}]}}]}",
                 m[i].id, m[i].event, m[i].venue, m[i].time);
        assert_int_equal(apply_str(&c, msg, err), 0);
    }
    odz_scrape s = {0};
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Europe/London", false, &s, err, sizeof err), 0);
    assert_int_equal(s.meetings.n, 2);
    assert_int_equal(s.n_races, 4);
    for (size_t i = 0; i < s.n_races; i++) {
        const odz_race *r = &s.races[i].race;
        int want = r->scheduled_start == 1650395400 ? 3 : r->scheduled_start == 1650394500 ? 2 : 1;
        assert_int_equal(r->number, want);
    }
    odz_scrape_free(&s);
    odz_bf_cache_free(&c);
}

/* ---- exchange books ---- */

/* The book of selection `key` and `provider` in the scrape, NULL if none. */
static const odz_exbook *book_of(const odz_scrape *s, const char *key, const char *provider)
{
    for (size_t i = 0; i < s->n_books; i++)
        if (!strcmp(s->books[i].selection_key, key) &&
            !strcmp(s->books[i].book.provider, provider))
            return &s->books[i].book;
    return NULL;
}

static int levels(const odz_exchange_offer *o)
{
    int n = 0;
    while (n < ODZ_EXCHANGE_DEPTH && o[n].odds)
        n++;
    return n;
}

/* The recorded image: each runner's book with the sizes of its best offers (batb/batl). */
static void books_of_an_image(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(apply_fixture(&c, "streaming_mcm_SUB_IMAGE.json", NULL), 0);
    odz_scrape s = {0};
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Europe/London", true, &s, err, sizeof err), 0);
    assert_int_equal(s.n_books, 7);
    const odz_exbook *b = book_of(&s, "betfair:27890558:1471457400:11131804", "betfair");
    assert_non_null(b);
    assert_int_equal(b->ts, 1471370159);
    assert_int_equal(b->book.back[0].odds, 254);
    assert_int_equal(b->book.back[0].size, 795);
    assert_int_equal(b->book.lay[0].odds, 272);
    assert_int_equal(b->book.lay[0].size, 880);
    assert_int_equal(levels(b->book.back), 1);
    b = book_of(&s, "betfair:27890558:1471457400:11530194", "betfair"); /* no lay offer */
    assert_non_null(b);
    assert_int_equal(b->book.back[0].size, 300);
    assert_int_equal(levels(b->book.lay), 0);
    for (size_t i = 0; i < s.n_books; i++)
        assert_int_equal(odz_exchange_book_check(&s.books[i].book.book, err, sizeof err), 0);
    odz_scrape_free(&s);
    odz_bf_cache_free(&c);
}

/* The historical WIN and PLACE files (full ladders, atb/atl): while the market is open each
 * runner's book holds three levels a side with sizes, best first, the best being the exchange
 * prices; once settled no offers remain but the traded volume and the starting price. */
static void books_of_the_historical_files(void **st)
{
    (void)st;
    const char *files[2] = {WIN_FILE, PLACE_FILE};
    const char *providers[2] = {ODZ_BF_PROVIDER, ODZ_BF_PROVIDER_PLACE};
    const char *markets[2] = {"1.197931750", "1.197931751"};
    for (int f = 0; f < 2; f++) {
        char path[512], err[ODZ_ERRLEN] = "";
        odz_bf_history *h;
        assert_int_equal(odz_bf_history_open(fixture_path(files[f], path, sizeof path), &h, err,
                                             sizeof err),
                         0);
        odz_bf_cache c = {0};
        const char *line;
        size_t len, deep = 0;
        int rc;
        while ((rc = odz_bf_history_next(h, &line, &len, err, sizeof err)) == 1) {
            assert_int_equal(odz_bf_apply(&c, line, len, NULL, err, sizeof err), 0);
            const odz_bf_market *m = odz_bf_find_market(&c, markets[f]);
            if (!m || m->status != ODZ_BF_MARKET_OPEN)
                continue;
            odz_scrape s = {0};
            assert_int_equal(odz_bf_to_scrape(&c, NULL, "Europe/London", true, &s, err,
                                              sizeof err),
                             0);
            for (size_t i = 0; i < s.n_books; i++) {
                const odz_exbook *b = &s.books[i].book;
                assert_string_equal(b->provider, providers[f]);
                assert_int_equal(b->ts, m->pt / 1000);
                assert_int_equal(odz_exchange_book_check(&b->book, err, sizeof err), 0);
                deep += levels(b->book.back) == 3 && levels(b->book.lay) == 3;
                /* the best of each side is the exchange price of the runner */
                for (size_t k = 0; k < s.n_prices; k++) {
                    const odz_price *p = &s.prices[k].price;
                    if (strcmp(s.prices[k].selection_key, s.books[i].selection_key))
                        continue;
                    assert_int_equal(p->odds, p->market == ODZ_EXCHANGE_BACK
                                                  ? b->book.back[0].odds
                                                  : b->book.lay[0].odds);
                }
                /* the best back: the exchange's display offers (bdatb, virtual bets
                 * included) as recorded, else the full ladder's highest price */
                const char *id = strrchr(s.books[i].selection_key, ':') + 1;
                const odz_bf_runner *r = odz_bf_find_runner(m, strtoll(id, NULL, 10));
                assert_non_null(r);
                const odz_bf_level *best = r->bdatb[0].odds ? &r->bdatb[0]
                                           : r->atb.n       ? &r->atb.v[r->atb.n - 1]
                                                            : NULL;
                if (best) {
                    assert_int_equal(b->book.back[0].odds, best->odds);
                    assert_int_equal(b->book.back[0].size, best->size);
                }
            }
            odz_scrape_free(&s);
        }
        assert_int_equal(rc, 0);
        odz_bf_history_close(h);
        assert_true(deep > 50); /* ladders three deep on both sides, many times over */
        /* settled: the volume traded and the starting price, no offers */
        odz_scrape s = {0};
        assert_int_equal(odz_bf_to_scrape(&c, NULL, "Europe/London", false, &s, err, sizeof err),
                         0);
        assert_int_equal(s.n_books, 6);
        for (size_t i = 0; i < s.n_books; i++) {
            const odz_exbook *b = &s.books[i].book;
            assert_int_equal(levels(b->book.back) + levels(b->book.lay), 0);
            assert_true(b->book.traded_volume > 0);
            assert_true(b->book.last_traded > 100);
            if (f == 0)
                assert_true(b->book.starting_price > 100);
        }
        if (f == 0) {
            const odz_exbook *b =
                book_of(&s, "betfair:31389771:1650392760:37947503", ODZ_BF_PROVIDER);
            assert_non_null(b);
            assert_int_equal(b->book.starting_price, 2500); /* the winner's bsp */
        }
        odz_scrape_free(&s);
        odz_bf_cache_free(&c);
    }
}

/* A ladder the cache holds out of order, odds out of range, a removed runner: the book keeps
 * what is well formed, a removed runner has none; the SP projection counts once reconciled. */
static void books_trimmed_and_reconciled(void **st)
{
    (void)st;
    odz_bf_cache c = {0};
    char err[ODZ_ERRLEN] = "";
    const char *msg =
        "{\"op\":\"mcm\",\"pt\":1650392673420,\"mc\":[{\"id\":\"1.7\",\"img\":true,"
        "\"marketDefinition\":{\"status\":\"OPEN\",\"eventId\":\"5\",\"eventTypeId\":\"7\","
        "\"marketType\":\"WIN\",\"venue\":\"Flemington\",\"countryCode\":\"AU\","
        "\"marketTime\":\"2022-04-20T04:00:00.000Z\",\"bspReconciled\":true,\"runners\":["
        "{\"id\":1,\"sortPriority\":1,\"status\":\"ACTIVE\"},"
        "{\"id\":2,\"sortPriority\":2,\"status\":\"REMOVED\"}]},"
        "\"rc\":[{\"id\":1,\"batb\":[[0,3.0,10],[1,3.1,20],[2,2.9,30]],"
        "\"batl\":[[0,3.2,5],[1,3.3,6],[2,3.4,7]],\"ltp\":3.05,\"tv\":1234.56,\"spn\":3.12},"
        "{\"id\":2,\"batb\":[[0,5.0,10]],\"ltp\":5.0}]}]}";
    assert_int_equal(apply_str(&c, msg, err), 0);
    odz_scrape s = {0};
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Australia/Sydney", true, &s, err, sizeof err),
                     0);
    assert_int_equal(s.n_books, 1); /* the removed runner has none */
    const odz_exbook *b = &s.books[0].book;
    assert_int_equal(levels(b->book.back), 1); /* 3.1 after 3.0 is not a worse back offer */
    assert_int_equal(b->book.back[0].size, 1000);
    assert_int_equal(levels(b->book.lay), 3);
    assert_int_equal(b->book.lay[2].odds, 340);
    assert_int_equal(b->book.lay[2].size, 700);
    assert_int_equal(b->book.last_traded, 305);
    assert_int_equal(b->book.traded_volume, 123456);
    assert_int_equal(b->book.starting_price, 312);
    odz_scrape_free(&s);
    odz_bf_cache_free(&c);
}

/* Compress `src` into a temporary file with libbz2, in two bzip2 streams one after the other
 * (as parallel compressors write them). */
static void bzip2_file(const char *src, const char *dst)
{
    size_t len;
    char *body = fixture_slurp(src, &len);
    FILE *f = fopen(dst, "wb");
    assert_non_null(f);
    size_t half = len / 2;
    for (int part = 0; part < 2; part++) {
        int bzerr;
        BZFILE *b = BZ2_bzWriteOpen(&bzerr, f, 9, 0, 0);
        assert_int_equal(bzerr, BZ_OK);
        BZ2_bzWrite(&bzerr, b, body + (part ? half : 0), (int)(part ? len - half : half));
        assert_int_equal(bzerr, BZ_OK);
        BZ2_bzWriteClose(&bzerr, b, 0, NULL, NULL);
        assert_int_equal(bzerr, BZ_OK);
    }
    fclose(f);
    free(body);
}

static void bzip2_reads_as_plain(void **st)
{
    (void)st;
    char tmp[] = "/tmp/oddzy-bf-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    bzip2_file(WIN_FILE, tmp);
    char path[512], err[ODZ_ERRLEN] = "";
    odz_bf_history *a, *b;
    assert_int_equal(odz_bf_history_open(fixture_path(WIN_FILE, path, sizeof path), &a, err,
                                         sizeof err),
                     0);
    assert_int_equal(odz_bf_history_open(tmp, &b, err, sizeof err), 0);
    const char *la, *lb;
    size_t na, nb, lines = 0;
    int ra, rb;
    for (;;) {
        ra = odz_bf_history_next(a, &la, &na, err, sizeof err);
        rb = odz_bf_history_next(b, &lb, &nb, err, sizeof err);
        assert_int_equal(ra, rb);
        if (ra != 1)
            break;
        assert_int_equal(na, nb);
        assert_memory_equal(la, lb, na);
        lines++;
    }
    assert_int_equal(ra, 0);
    assert_int_equal(lines, 166);
    odz_bf_history_close(a);
    odz_bf_history_close(b);

    /* a truncated bzip2 file is an error, not a short file */
    FILE *f = fopen(tmp, "rb");
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fclose(f);
    assert_int_equal(truncate(tmp, sz / 3), 0);
    assert_int_equal(odz_bf_history_open(tmp, &b, err, sizeof err), 0);
    while ((rb = odz_bf_history_next(b, &lb, &nb, err, sizeof err)) == 1)
        ;
    assert_int_equal(rb, ODZ_EINVAL);
    assert_non_null(strstr(err, "bzip2"));
    odz_bf_history_close(b);
    unlink(tmp);
    assert_int_equal(odz_bf_history_open("/nonexistent/file", &b, err, sizeof err), ODZ_EIO);
}

static void long_lines_are_skipped(void **st)
{
    (void)st;
    size_t n = ODZ_BF_LINE_MAX + 10;
    char *buf = malloc(n + 64);
    assert_non_null(buf);
    size_t o = (size_t)snprintf(buf, 64, "first\r\n\n");
    memset(buf + o, 'x', ODZ_BF_LINE_MAX + 1);
    o += ODZ_BF_LINE_MAX + 1;
    o += (size_t)snprintf(buf + o, 64, "\nlast");
    FILE *f = fmemopen(buf, o, "rb");
    assert_non_null(f);
    odz_bf_history *h;
    char err[ODZ_ERRLEN];
    assert_int_equal(odz_bf_history_from(f, &h, err, sizeof err), 0);
    const char *line;
    size_t len;
    assert_int_equal(odz_bf_history_next(h, &line, &len, err, sizeof err), 1);
    assert_string_equal(line, "first");
    assert_int_equal(odz_bf_history_next(h, &line, &len, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "line 3"));
    assert_int_equal(odz_bf_history_next(h, &line, &len, err, sizeof err), 1);
    assert_string_equal(line, "last");
    assert_int_equal(odz_bf_history_lineno(h), 4);
    assert_int_equal(odz_bf_history_next(h, &line, &len, err, sizeof err), 0);
    odz_bf_history_close(h);
    free(buf);
}

/* ---- requests ---- */

static json_t *request_json(const char *line, size_t len)
{
    assert_true(len >= 2);
    assert_memory_equal(line + len - 2, "\r\n", 2);
    json_t *j = json_loadb(line, len - 2, 0, NULL);
    assert_non_null(j);
    return j;
}

static void requests(void **st)
{
    (void)st;
    char out[ODZ_BF_REQUEST_MAX];
    size_t len;
    assert_int_equal(odz_bf_request_auth(1, "appkey1", "tok\"en", out, sizeof out, &len), 0);
    json_t *j = request_json(out, len);
    assert_string_equal(json_string_value(json_object_get(j, "op")), "authentication");
    assert_string_equal(json_string_value(json_object_get(j, "session")), "tok\"en");
    json_decref(j);
    assert_int_equal(odz_bf_request_auth(1, "", "x", out, sizeof out, &len), ODZ_EINVAL);
    assert_int_equal(odz_bf_request_auth(1, "a b", "x", out, sizeof out, &len), ODZ_EINVAL);
    assert_int_equal(odz_bf_request_auth(1, "a", "x\r\n{}", out, sizeof out, &len), ODZ_EINVAL);
    assert_int_equal(odz_bf_request_auth(1, "a", "x", out, 10, &len), ODZ_EINVAL);

    assert_int_equal(odz_bf_request_heartbeat(7, out, sizeof out, &len), 0);
    assert_string_equal(out, "{\"op\":\"heartbeat\",\"id\":7}\r\n");

    const char *types[] = {"7", "4339"}, *countries[] = {"GB", "AU"}, *mt[] = {"WIN", "PLACE"};
    odz_bf_subscription sub = {types, 2, countries, 2, mt, 2, 0, 0, 0};
    assert_int_equal(odz_bf_request_subscribe(2, &sub, NULL, out, sizeof out, &len), 0);
    j = request_json(out, len);
    assert_string_equal(json_string_value(json_object_get(j, "op")), "marketSubscription");
    assert_int_equal(json_integer_value(json_object_get(j, "heartbeatMs")), 5000);
    json_t *mf = json_object_get(j, "marketFilter"), *df = json_object_get(j, "marketDataFilter");
    assert_string_equal(json_string_value(json_array_get(json_object_get(mf, "eventTypeIds"), 1)),
                        "4339");
    assert_string_equal(json_string_value(json_array_get(json_object_get(mf, "marketTypes"), 0)),
                        "WIN");
    assert_int_equal(json_integer_value(json_object_get(df, "ladderLevels")), 3);
    assert_int_equal(json_array_size(json_object_get(df, "fields")), 4);
    assert_null(json_object_get(j, "clk"));
    json_decref(j);

    /* after an image and a delta, a resubscription resumes from their clocks */
    odz_bf_cache c = {0};
    assert_int_equal(apply_fixture(&c, "streaming_mcm_SUB_IMAGE.json", NULL), 0);
    assert_int_equal(apply_fixture(&c, "streaming_mcm_update.json", NULL), 0);
    assert_int_equal(odz_bf_request_subscribe(3, &sub, &c, out, sizeof out, &len), 0);
    j = request_json(out, len);
    assert_string_equal(json_string_value(json_object_get(j, "initialClk")), "ab34r43r");
    assert_string_equal(json_string_value(json_object_get(j, "clk")), "AHMAcArtjjje");
    json_decref(j);
    odz_bf_cache_free(&c);

    sub.heartbeat_ms = 100;
    assert_int_equal(odz_bf_request_subscribe(2, &sub, NULL, out, sizeof out, &len), ODZ_EINVAL);
    sub.heartbeat_ms = 0;
    sub.ladder_levels = 11;
    assert_int_equal(odz_bf_request_subscribe(2, &sub, NULL, out, sizeof out, &len), ODZ_EINVAL);
    sub.ladder_levels = 0;
    const char *bad[] = {"W IN"};
    sub.market_types = bad;
    sub.n_market_types = 1;
    assert_int_equal(odz_bf_request_subscribe(2, &sub, NULL, out, sizeof out, &len), ODZ_EINVAL);
}

/* ---- the conversation ---- */

/* Feed a fixture as the exchange sends it: CRLF-terminated, `chunk` bytes at a time. */
static int feed_fixture(odz_bf_session *s, const char *name, size_t chunk)
{
    char rel[256];
    size_t len;
    snprintf(rel, sizeof rel, "betfair/%s", name);
    char *body = fixture_slurp(rel, &len);
    while (len && (body[len - 1] == '\n' || body[len - 1] == '\r'))
        len--;
    int rc = 0;
    for (size_t o = 0; rc == 0 && o < len; o += chunk)
        rc = odz_bf_session_feed(s, body + o, o + chunk > len ? len - o : chunk, 1000);
    if (rc == 0)
        rc = odz_bf_session_feed(s, "\r\n", 2, 1000);
    free(body);
    return rc;
}

static json_t *sent(odz_bf_session *s)
{
    char *crlf = memmem(s->out, s->out_len, "\r\n", 2);
    assert_non_null(crlf);
    json_t *j = json_loadb(s->out, (size_t)(crlf - s->out), 0, NULL);
    assert_non_null(j);
    odz_bf_session_sent(s, (size_t)(crlf - s->out) + 2);
    return j;
}

static void session_handshake_and_resume(void **st)
{
    (void)st;
    const char *types[] = {"7", "4339"};
    odz_bf_session s = {.app_key = "key", .session = "secret-token"};
    s.sub.event_type_ids = types;
    s.sub.n_event_type_ids = 2;
    odz_bf_session_reset(&s, 0);
    assert_int_equal(s.state, ODZ_BF_CONNECTING);
    assert_int_equal(feed_fixture(&s, "streaming_connection.json", 7), 0);
    assert_int_equal(s.state, ODZ_BF_AUTHENTICATING);
    json_t *j = sent(&s);
    assert_string_equal(json_string_value(json_object_get(j, "op")), "authentication");
    assert_string_equal(json_string_value(json_object_get(j, "session")), "secret-token");
    json_decref(j);
    const char *ok = "{\"op\":\"status\",\"id\":0,\"statusCode\":\"SUCCESS\"}\r\n";
    assert_int_equal(odz_bf_session_feed(&s, ok, strlen(ok), 1000), 0);
    assert_int_equal(s.state, ODZ_BF_SUBSCRIBING);
    j = sent(&s);
    assert_string_equal(json_string_value(json_object_get(j, "op")), "marketSubscription");
    assert_null(json_object_get(j, "clk")); /* a fresh subscription */
    json_decref(j);
    assert_int_equal(s.out_len, 0);
    assert_int_equal(odz_bf_session_feed(&s, ok, strlen(ok), 1000), 0);
    assert_int_equal(s.state, ODZ_BF_STREAMING);
    /* one byte at a time and in odd chunks: the same cache */
    assert_int_equal(feed_fixture(&s, "streaming_mcm_SUB_IMAGE.json", 1), 0);
    assert_int_equal(feed_fixture(&s, "streaming_mcm_update.json", 13), 0);
    assert_int_equal(runner(&s.cache, KEMPTON, 11527192)->batb[0].odds, 470);
    assert_false(odz_bf_session_stale(&s, 1000 + 10000));
    assert_true(odz_bf_session_stale(&s, 1000 + 10001)); /* two 5 s heartbeats */

    /* the connection drops mid-message: the part is dropped, the resubscription resumes */
    const char *part = "{\"op\":\"mcm\",\"mc\":[{\"id\":";
    assert_int_equal(odz_bf_session_feed(&s, part, strlen(part), 2000), 0);
    odz_bf_session_reset(&s, 3000);
    assert_int_equal(s.reconnects, 1);
    assert_int_equal(feed_fixture(&s, "streaming_connection.json", 64), 0);
    json_decref(sent(&s));
    assert_int_equal(odz_bf_session_feed(&s, ok, strlen(ok), 3000), 0);
    j = sent(&s);
    assert_string_equal(json_string_value(json_object_get(j, "initialClk")), "ab34r43r");
    assert_string_equal(json_string_value(json_object_get(j, "clk")), "AHMAcArtjjje");
    json_decref(j);
    assert_int_equal(feed_fixture(&s, "streaming_mcm_RESUB_DELTA.json", 4096), 0);
    assert_int_equal(s.state, ODZ_BF_STREAMING);
    assert_non_null(odz_bf_find_market(&s.cache, KEMPTON)); /* kept across the reconnect */
    assert_string_equal(s.cache.initial_clk, "yhfXkdfHDMoXgtDFvwzKF9+D78QM");

    /* garbage: failed, nothing changed, nothing more taken until a reconnect */
    size_t n = s.cache.n_markets;
    const char *bad = "{\"op\":\"mcm\",\"mc\":[{\"id\":\"1.126235656\",\"tv\":-1}]}\r\n";
    assert_int_equal(odz_bf_session_feed(&s, bad, strlen(bad), 4000), ODZ_ESTATE);
    assert_int_equal(s.state, ODZ_BF_FAILED);
    assert_non_null(strstr(s.reason, "bad message"));
    assert_int_equal(s.cache.n_markets, n);
    assert_int_equal(odz_bf_session_feed(&s, ok, strlen(ok), 4000), ODZ_ESTATE);
    assert_false(odz_bf_session_stale(&s, 100000));
    odz_bf_session_free(&s);
}

static void session_failures(void **st)
{
    (void)st;
    odz_bf_session s = {.app_key = "key", .session = "token"};
    odz_bf_session_reset(&s, 0);
    /* a status error during the handshake */
    assert_int_equal(feed_fixture(&s, "streaming_connection.json", 100), 0);
    const char *no = "{\"op\":\"status\",\"id\":0,\"statusCode\":\"FAILURE\","
                     "\"errorCode\":\"INVALID_SESSION_INFORMATION\",\"errorMessage\":\"bad\","
                     "\"connectionClosed\":true}\n";
    assert_int_equal(odz_bf_session_feed(&s, no, strlen(no), 0), ODZ_ESTATE);
    assert_string_equal(s.error_code, "INVALID_SESSION_INFORMATION");
    assert_non_null(strstr(s.reason, "connection closed"));
    /* market changes before any subscription */
    odz_bf_session_reset(&s, 0);
    assert_int_equal(feed_fixture(&s, "streaming_mcm_update.json", 100), ODZ_ESTATE);
    assert_non_null(strstr(s.reason, "before the subscription"));
    assert_int_equal(s.cache.n_markets, 0);
    /* a message that never ends */
    odz_bf_session_reset(&s, 0);
    char *big = malloc(1 << 20);
    assert_non_null(big);
    memset(big, 'x', 1 << 20);
    int rc = 0;
    for (int i = 0; rc == 0 && i < 9; i++)
        rc = odz_bf_session_feed(&s, big, 1 << 20, 0);
    assert_int_equal(rc, ODZ_ESTATE);
    assert_non_null(strstr(s.reason, "longer than"));
    free(big);
    odz_bf_session_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connection_and_status),
        cmocka_unit_test(image_then_deltas),
        cmocka_unit_test(ladder_rules),
        cmocka_unit_test(garbage_changes_nothing),
        cmocka_unit_test(domain_rows_of_an_image),
        cmocka_unit_test(runner_names_and_catalogue),
        cmocka_unit_test(win_file_replays_to_a_result),
        cmocka_unit_test(place_file_has_two_winners),
        cmocka_unit_test(both_files_make_one_finished_race),
        cmocka_unit_test(basic_file_without_ladders),
        cmocka_unit_test(scratching_is_a_deduction),
        cmocka_unit_test(harness_race_type),
        cmocka_unit_test(races_numbered_by_start),
        cmocka_unit_test(books_of_an_image),
        cmocka_unit_test(books_of_the_historical_files),
        cmocka_unit_test(books_trimmed_and_reconciled),
        cmocka_unit_test(scrape_kept_between_seconds),
        cmocka_unit_test(bzip2_reads_as_plain),
        cmocka_unit_test(long_lines_are_skipped),
        cmocka_unit_test(requests),
        cmocka_unit_test(session_handshake_and_resume),
        cmocka_unit_test(session_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

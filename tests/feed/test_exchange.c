/* The simulated exchange: its image and deltas read by the real stream client's market cache
 * (image then deltas equal a fresh image at every step; ladders replaced by position, size 0
 * removes a level), clk resume from the bounded history, the price ladder, Betfair's names,
 * the client-message parser, and the server on loopback (handshake, errors, the drop fault). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "betfair/domain.h"
#include "betfair/stream.h"
#include "core/err.h"
#include "feed/exchange.h"
#include "feed/exchange_market.h"
#include "feed/feed.h"

/* 2026-06-10 06:00 UTC, 16:00 in Sydney on a Wednesday: every kind of meeting is racing. */
#define T0 1781071200LL

static odz_feed *mk_feed(void)
{
    odz_feed_config c = {.seed = 7};
    char err[ODZ_ERRLEN];
    odz_feed *f = odz_feed_new(&c, err, sizeof err);
    if (!f)
        fail_msg("odz_feed_new: %s", err);
    return f;
}

/* Apply an mcm made of the `mc` entries in b to cache c. */
static void apply(odz_bf_cache *c, const char *ct, uint64_t clk, const odz_fx_buf *b)
{
    odz_fx_buf m = {0};
    char head[160];
    snprintf(head, sizeof head, "{\"op\":\"mcm\",\"id\":1,\"clk\":\"%llu\",\"pt\":%lld%s%s%s,\"mc\":[",
             (unsigned long long)clk, T0 * 1000, ct ? ",\"ct\":\"" : "", ct ? ct : "",
             ct ? "\"" : "");
    assert_int_equal(odz_fx_buf_add(&m, head, strlen(head)), 0);
    if (b->len)
        assert_int_equal(odz_fx_buf_add(&m, b->p, b->len), 0);
    assert_int_equal(odz_fx_buf_add(&m, "]}", 2), 0);
    char err[ODZ_ERRLEN];
    if (odz_bf_apply(c, m.p, m.len, NULL, err, sizeof err))
        fail_msg("apply: %s", err);
    odz_fx_buf_free(&m);
}

static void image_into(odz_fx *x, odz_bf_cache *c)
{
    odz_fx_buf b = {0};
    size_t cur = 0;
    assert_true(odz_fx_image(x, NULL, &cur, SIZE_MAX, &b) >= 0);
    assert_int_equal(cur, odz_fx_n_markets(x));
    apply(c, "SUB_IMAGE", odz_fx_clk(x), &b);
    odz_fx_buf_free(&b);
}

static void same_books(const odz_bf_cache *want, const odz_bf_cache *got)
{
    /* markets delisted after they closed stay in a client's cache, closed */
    assert_true(want->n_markets <= got->n_markets);
    for (size_t i = 0; i < got->n_markets; i++)
        if (!odz_bf_find_market(want, got->markets[i]->id))
            assert_int_equal(got->markets[i]->status, ODZ_BF_MARKET_CLOSED);
    for (size_t i = 0; i < want->n_markets; i++) {
        const odz_bf_market *a = want->markets[i], *b = odz_bf_find_market(got, a->id);
        assert_non_null(b);
        assert_int_equal(a->status, b->status);
        assert_int_equal(a->in_play, b->in_play);
        if (a->tv != b->tv)
            fail_msg("market %s: tv %lld, after deltas %lld", a->id, (long long)a->tv, (long long)b->tv);
        assert_int_equal(a->n_runners, b->n_runners);
        for (size_t k = 0; k < a->n_runners; k++) {
            const odz_bf_runner *ra = &a->runners[k], *rb = odz_bf_find_runner(b, ra->id);
            assert_non_null(rb);
            assert_int_equal(ra->status, rb->status);
            assert_int_equal(ra->adjustment, rb->adjustment);
            assert_int_equal(ra->bsp, rb->bsp);
            if (ra->ltp != rb->ltp)
                fail_msg("market %s runner %lld: ltp %d, after deltas %d", a->id, (long long)ra->id, ra->ltp, rb->ltp);
            assert_int_equal(ra->tv, rb->tv);
            odz_exchange_book ba, bb;
            odz_bf_runner_book(ra, &ba);
            odz_bf_runner_book(rb, &bb);
            if (memcmp(&ba, &bb, sizeof ba))
                fail_msg("market %s runner %lld: books differ (back %d/%d)", a->id,
                         (long long)ra->id, ba.back[0].odds, bb.back[0].odds);
        }
    }
}

/* An image, then the deltas of every tick, give what a fresh image gives at each step. */
static void test_image_then_deltas(void **state)
{
    (void)state;
    odz_feed *f = mk_feed();
    odz_fx *x = odz_fx_new(f, NULL);
    assert_non_null(x);
    assert_true(odz_fx_tick(x, T0) > 100);
    assert_int_equal(odz_fx_clk(x), 1);
    odz_bf_cache live = {0};
    image_into(x, &live);
    size_t emptied = 0, closed = 0;
    for (int step = 1; step <= 16; step++) {
        int n = odz_fx_tick(x, T0 + step * 100);
        assert_true(n >= 0);
        if (n == 0)
            continue;
        int64_t pt;
        odz_fx_buf b = {0};
        assert_int_equal(odz_fx_batch(x, odz_fx_clk(x), NULL, &pt, &b), n);
        assert_int_equal(pt, (T0 + step * 100) * 1000);
        emptied += strstr(b.p, ",0,0]") != NULL; /* a level removed by size 0 */
        apply(&live, NULL, odz_fx_clk(x), &b);
        odz_fx_buf_free(&b);
        odz_bf_cache fresh = {0};
        image_into(x, &fresh);
        same_books(&fresh, &live);
        odz_bf_cache_free(&fresh);
    }
    for (size_t i = 0; i < live.n_markets; i++)
        closed += live.markets[i]->status == ODZ_BF_MARKET_CLOSED;
    assert_true(emptied > 0);
    assert_true(closed > 0);
    /* the cache turns into races with exchange prices and results */
    odz_scrape sc = {0};
    char err[ODZ_ERRLEN];
    assert_int_equal(odz_bf_to_scrape(&live, NULL, "Australia/Sydney", false, &sc, err, sizeof err),
                     0);
    assert_true(sc.n_races > 100);
    odz_scrape_free(&sc);
    odz_bf_cache_free(&live);
    odz_fx_free(x);
    odz_feed_free(f);
}

/* At the jump the ladders are emptied position by position, and later the market closes
 * with a winner and starting prices. */
static void test_market_life(void **state)
{
    (void)state;
    odz_feed *f = mk_feed();
    odz_fx *x = odz_fx_new(f, NULL);
    assert_int_equal(odz_fx_tick(x, T0) > 0, 1);
    odz_bf_cache c = {0};
    image_into(x, &c);
    /* the first market that starts within the hour */
    const odz_bf_market *m = NULL;
    for (size_t i = 0; i < c.n_markets && !m; i++)
        if (c.markets[i]->market_time > T0 + 600 && c.markets[i]->market_time < T0 + 3600 &&
            !strcmp(c.markets[i]->market_type, "WIN") &&
            c.markets[i]->status == ODZ_BF_MARKET_OPEN)
            m = c.markets[i];
    if (!m)
        fail_msg("no market starting within the hour");
    char id[ODZ_BF_ID_MAX];
    memcpy(id, m->id, sizeof id);
    int64_t start = m->market_time;
    const odz_bf_runner *r = NULL;
    for (size_t k = 0; k < m->n_runners && !r; k++)
        if (m->runners[k].status == ODZ_BF_RUNNER_ACTIVE)
            r = &m->runners[k];
    assert_non_null(r);
    assert_true(r->batb[0].odds > 100 && r->batl[0].odds > r->batb[0].odds);
    assert_true(r->batb[1].odds < r->batb[0].odds && r->batl[1].odds > r->batl[0].odds);
    assert_true(r->batb[0].size > 0);
    assert_true(m->name[0] == 'R' && strstr(m->name, "m "));
    for (int64_t t = start - 30; t <= start + 600; t += 30) {
        odz_fx_tick(x, t);
        int64_t pt;
        odz_fx_buf b = {0};
        if (odz_fx_batch(x, odz_fx_clk(x), NULL, &pt, &b) > 0)
            apply(&c, NULL, odz_fx_clk(x), &b);
        odz_fx_buf_free(&b);
        const odz_bf_market *now = odz_bf_find_market(&c, id);
        assert_non_null(now);
        if (t >= start) {
            assert_true(now->in_play || now->status == ODZ_BF_MARKET_CLOSED);
            for (size_t k = 0; k < now->n_runners; k++)
                assert_int_equal(now->runners[k].batb[0].odds, 0);
        }
    }
    const odz_bf_market *end = odz_bf_find_market(&c, id);
    assert_int_equal(end->status, ODZ_BF_MARKET_CLOSED);
    int winners = 0, sp = 0;
    for (size_t k = 0; k < end->n_runners; k++) {
        winners += end->runners[k].status == ODZ_BF_RUNNER_WINNER;
        sp += end->runners[k].bsp > 100;
    }
    assert_true(winners >= 1);
    assert_true(sp >= 2);
    odz_bf_cache_free(&c);
    odz_fx_free(x);
    odz_feed_free(f);
}

static void test_resume(void **state)
{
    (void)state;
    odz_feed *f = mk_feed();
    odz_fx_config cfg = {.history = 3};
    odz_fx *x = odz_fx_new(f, &cfg);
    const char *ic = odz_fx_initial_clk(x);
    uint64_t from = 99;
    for (int i = 0; i < 6; i++)
        assert_true(odz_fx_tick(x, T0 + 60 * i) > 0);
    assert_int_equal(odz_fx_clk(x), 6);
    assert_int_equal(odz_fx_oldest(x), 4);
    assert_int_equal(odz_fx_resumable(x, ic, "5", &from), 1);
    assert_int_equal(from, 5);
    assert_int_equal(odz_fx_resumable(x, ic, "3", &from), 1); /* needs 4..6: kept */
    assert_int_equal(odz_fx_resumable(x, ic, "6", &from), 1);
    assert_int_equal(odz_fx_resumable(x, ic, "2", &from), 0); /* too old: an image */
    assert_int_equal(odz_fx_resumable(x, ic, "7", &from), 0); /* from the future */
    assert_int_equal(odz_fx_resumable(x, "other", "5", &from), 0);
    assert_int_equal(odz_fx_resumable(x, ic, "5x", &from), 0);
    assert_int_equal(odz_fx_resumable(x, ic, "", &from), 0);
    assert_int_equal(odz_fx_resumable(x, ic, "99999999999999999999999", &from), 0);
    int64_t pt;
    odz_fx_buf b = {0};
    assert_int_equal(odz_fx_batch(x, 3, NULL, &pt, &b), ODZ_ENOTFOUND);
    assert_true(odz_fx_batch(x, 4, NULL, &pt, &b) > 0);
    /* a filter: greyhound WIN markets of Great Britain only */
    odz_fx_filter flt = {.greyhounds = true, .win = true, .n_countries = 1};
    memcpy(flt.countries[0], "GB", 3);
    odz_fx_buf g = {0};
    size_t cur = 0;
    int n = odz_fx_image(x, &flt, &cur, SIZE_MAX, &g);
    assert_true(n > 0);
    assert_null(strstr(g.p, "\"eventTypeId\":\"7\""));
    assert_null(strstr(g.p, "\"PLACE\""));
    assert_null(strstr(g.p, "\"AU\""));
    odz_fx_buf_free(&g);
    odz_fx_buf_free(&b);
    odz_fx_free(x);
    odz_feed_free(f);
}

static void test_ladder_and_names(void **state)
{
    (void)state;
    assert_int_equal(odz_fx_tick_floor(254), 254);
    assert_int_equal(odz_fx_tick_floor(253), 252);
    assert_int_equal(odz_fx_tick_floor(347), 345);
    assert_int_equal(odz_fx_tick_floor(1049), 1000);
    assert_int_equal(odz_fx_tick_floor(50), 101);
    assert_int_equal(odz_fx_tick_floor(200000), 100000);
    assert_int_equal(odz_fx_tick_move(200, 1), 202);
    assert_int_equal(odz_fx_tick_move(202, -1), 200);
    assert_int_equal(odz_fx_tick_move(1000, 1), 1050);
    assert_int_equal(odz_fx_tick_move(101, -3), 101);
    assert_int_equal(odz_fx_tick_move(100000, 2), 100000);
    /* names as Betfair writes them, in a whole day's markets */
    odz_feed *f = mk_feed();
    odz_fx *x = odz_fx_new(f, NULL);
    assert_true(odz_fx_tick(x, T0) > 0);
    odz_bf_cache c = {0};
    image_into(x, &c);
    int numbered = 0, uk_unnumbered = 0, sponsored = 0, placed = 0;
    for (size_t i = 0; i < c.n_markets; i++) {
        const odz_bf_market *m = c.markets[i];
        assert_true(!strncmp(m->id, "1.", 2));
        bool uk = !strcmp(m->country, "GB") || !strcmp(m->country, "IE");
        if (!strcmp(m->market_type, "PLACE")) {
            placed += !strcmp(m->name, "To Be Placed");
        } else {
            int rn = 0;
            numbered += sscanf(m->name, "R%d ", &rn) == 1 && rn >= 1;
            uk_unnumbered += uk && m->name[0] != 'R';
        }
        sponsored += !strncmp(m->venue, "Sportsbet-", 10) || !strncmp(m->venue, "TAB ", 4) ||
                     !strncmp(m->venue, "Ladbrokes ", 10);
        assert_non_null(strstr(m->event_name, m->venue));
        for (size_t k = 0; k < m->n_runners; k++) {
            const char *rest;
            assert_true(odz_bf_runner_number(m->runners[k].name, &rest) >= 1);
            assert_null(strchr(m->runners[k].name, '\''));
        }
    }
    assert_true(numbered > 50);
    assert_true(uk_unnumbered > 0);
    assert_true(sponsored > 0);
    assert_true(placed > 50);
    odz_bf_cache_free(&c);
    odz_fx_free(x);
    odz_feed_free(f);
}

/* The definition's raceType: a harness race's markets say "Harness" and land in a harness
 * meeting (not a thoroughbred one); the other horse races say Flat, Hurdle or Chase; greyhound
 * markets have none. */
static void test_race_types(void **state)
{
    (void)state;
    odz_feed *f = mk_feed();
    odz_fx *x = odz_fx_new(f, NULL);
    assert_true(odz_fx_tick(x, T0) > 0);
    odz_bf_cache c = {0};
    image_into(x, &c);
    odz_scrape sc = {0};
    char err[ODZ_ERRLEN], key[128];
    assert_int_equal(odz_bf_to_scrape(&c, NULL, "Australia/Sydney", false, &sc, err, sizeof err),
                     0);
    int harness = 0, gallops = 0;
    for (size_t i = 0; i < c.n_markets; i++) {
        const odz_bf_market *m = c.markets[i];
        if (m->event_type_id == 4339) {
            assert_string_equal(m->race_type, "");
            continue;
        }
        bool h = !strcmp(m->race_type, "Harness");
        assert_true(h || !strcmp(m->race_type, "Flat") || !strcmp(m->race_type, "Hurdle") ||
                    !strcmp(m->race_type, "Chase"));
        assert_int_equal(odz_bf_race_key(m, key, sizeof key), 0);
        const odz_batch_race *r = NULL;
        for (size_t k = 0; k < sc.n_races && !r; k++)
            if (!strcmp(sc.races[k].race.source_key, key))
                r = &sc.races[k];
        assert_non_null(r);
        const odz_meeting *mt = NULL;
        for (size_t k = 0; k < sc.meetings.n && !mt; k++)
            if (!strcmp(sc.meetings.v[k].source_key, r->meeting_key))
                mt = &sc.meetings.v[k];
        assert_non_null(mt);
        assert_int_equal(mt->type, h ? ODZ_HARNESS : ODZ_THOROUGHBRED);
        harness += h;
        gallops += !h;
    }
    assert_true(harness > 10);
    assert_true(gallops > 10);
    odz_scrape_free(&sc);
    odz_bf_cache_free(&c);
    odz_fx_free(x);
    odz_feed_free(f);
}

static int parse(const char *s, odz_fx_request *r, char *code)
{
    char err[ODZ_ERRLEN];
    return odz_fx_request_parse(s, strlen(s), r, code, err, sizeof err);
}

static void test_request_parser(void **state)
{
    (void)state;
    odz_fx_request r;
    char code[32];
    assert_int_equal(parse("{\"op\":\"authentication\",\"id\":3,\"appKey\":\"k\",\"session\":\"s\"}",
                           &r, code),
                     0);
    assert_int_equal(r.op, ODZ_FX_REQ_AUTHENTICATION);
    assert_int_equal(r.id, 3);
    assert_true(r.has_app_key && r.has_session);
    assert_int_equal(parse("{\"op\":\"authentication\",\"session\":\"s\"}", &r, code), 0);
    assert_false(r.has_app_key);
    assert_int_equal(parse("{\"op\":\"heartbeat\",\"id\":9}", &r, code), 0);
    assert_int_equal(r.op, ODZ_FX_REQ_HEARTBEAT);
    assert_int_equal(
        parse("{\"op\":\"marketSubscription\",\"id\":2,\"initialClk\":\"abc\",\"clk\":\"12\","
              "\"heartbeatMs\":1000,\"conflateMs\":0,\"segmentationEnabled\":true,"
              "\"marketFilter\":{\"eventTypeIds\":[\"7\",\"4339\"],\"countryCodes\":[\"AU\",\"NZ\"],"
              "\"marketTypes\":[\"WIN\"],\"bettingTypes\":[\"ODDS\"]},"
              "\"marketDataFilter\":{\"ladderLevels\":3,\"fields\":[\"EX_BEST_OFFERS\",\"EX_LTP\","
              "\"EX_TRADED_VOL\",\"EX_MARKET_DEF\"]}}",
              &r, code),
        0);
    assert_int_equal(r.op, ODZ_FX_REQ_MARKET_SUBSCRIPTION);
    assert_true(r.filter.horses && r.filter.greyhounds && !r.filter.any_event_type);
    assert_true(r.filter.win && !r.filter.place);
    assert_int_equal(r.filter.n_countries, 2);
    assert_string_equal(r.filter.countries[1], "NZ");
    assert_int_equal(r.heartbeat_ms, 1000);
    assert_string_equal(r.initial_clk, "abc");
    assert_string_equal(r.clk, "12");
    /* defaults */
    assert_int_equal(parse("{\"op\":\"marketSubscription\"}", &r, code), 0);
    assert_true(r.filter.any_event_type && r.filter.win && r.filter.place);
    assert_int_equal(r.heartbeat_ms, 5000);
    assert_int_equal(r.ladder_levels, 3);
    assert_true(r.segmentation);
    /* refused */
    const char *bad[] = {
        "", "[]", "nope", "{\"id\":1}", "{\"op\":7}", "{\"op\":\"heartbeat\",\"id\":-1}",
        "{\"op\":\"heartbeat\",\"id\":\"1\"}",
        "{\"op\":\"marketSubscription\",\"heartbeatMs\":1}",
        "{\"op\":\"marketSubscription\",\"conflateMs\":\"0\"}",
        "{\"op\":\"marketSubscription\",\"marketFilter\":[]}",
        "{\"op\":\"marketSubscription\",\"marketFilter\":{\"countryCodes\":[\"australia\"]}}",
        "{\"op\":\"marketSubscription\",\"marketFilter\":{\"eventTypeIds\":[7]}}",
        "{\"op\":\"marketSubscription\",\"marketDataFilter\":{\"fields\":[\"EVERYTHING\"]}}",
        "{\"op\":\"marketSubscription\",\"marketDataFilter\":{\"ladderLevels\":11}}",
        "{\"op\":\"marketSubscription\",\"segmentationEnabled\":1}",
        "{\"op\":\"marketSubscription\",\"clk\":\"\"}",
        "{\"op\":\"authentication\",\"appKey\":5}",
        "{\"op\":\"heartbeat\",\"op\":\"heartbeat\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (parse(bad[i], &r, code) != ODZ_EINVAL)
            fail_msg("accepted: %s", bad[i]);
        assert_true(code[0] != '\0');
    }
    assert_int_equal(parse("{\"op\":\"cashOut\"}", &r, code), ODZ_EINVAL);
    assert_string_equal(code, "INVALID_REQUEST");
    char big[ODZ_FX_REQUEST_MAX + 10];
    memset(big, ' ', sizeof big);
    assert_int_equal(odz_fx_request_parse(big, sizeof big, &r, code, NULL, 0), ODZ_EINVAL);
}

/* ---- the server on loopback ---- */

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Read one CRLF line into a malloc'd string (NULL when the connection ends first). */
static char *line(int fd)
{
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    for (;;) {
        if (n + 1 == cap)
            s = realloc(s, cap *= 2);
        ssize_t r = recv(fd, s + n, 1, 0);
        if (r <= 0) {
            free(s);
            return NULL;
        }
        if (s[n++] == '\n') {
            s[n] = '\0';
            return s;
        }
    }
}

static void say(int fd, const char *s)
{
    assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static const char AUTH[] = "{\"op\":\"authentication\",\"id\":1,\"appKey\":\"k\",\"session\":\"s\"}\r\n";

/* Send one message, read the answer (the caller frees it). */
static char *ask(int fd, const char *msg)
{
    say(fd, msg);
    return line(fd);
}

/* A connection whose `connection` message has been read. */
static int connected(int port)
{
    int fd = dial(port);
    char *l = line(fd);
    assert_non_null(l);
    assert_non_null(strstr(l, "\"op\":\"connection\""));
    free(l);
    return fd;
}

/* Send msg, expect an answer containing `want`. */
static void expect(int fd, const char *msg, const char *want)
{
    char *l = ask(fd, msg);
    assert_non_null(l);
    if (!strstr(l, want))
        fail_msg("%s: got %.200s", want, l);
    free(l);
}

static void test_server(void **state)
{
    (void)state;
    odz_feed *f = mk_feed();
    char err[ODZ_ERRLEN];
    odz_fx_server_config cfg = {.host = "127.0.0.1", .tick_ms = 200, .max_clients = 2,
                                .drop_after = 5};
    odz_fx_server *s = odz_fx_server_start(f, &cfg, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    int port = odz_fx_server_port(s);
    /* no session token: refused and closed */
    int fd = connected(port);
    expect(fd, "{\"op\":\"authentication\",\"id\":1,\"appKey\":\"k\"}\r\n",
           "\"errorCode\":\"NO_SESSION\",\"errorMessage\":\"session is missing\","
           "\"connectionClosed\":true");
    assert_null(line(fd));
    close(fd);
    /* subscribing first: NOT_AUTHORIZED; garbage: INVALID_INPUT */
    fd = connected(port);
    expect(fd, "{\"op\":\"marketSubscription\",\"id\":1}\r\n", "NOT_AUTHORIZED");
    close(fd);
    fd = connected(port);
    expect(fd, "{\"op\":\r\n", "INVALID_INPUT");
    close(fd);
    /* the handshake, an image, and then the fault: the 6th message cut in half */
    fd = connected(port);
    expect(fd, AUTH, "SUCCESS");
    expect(fd, "{\"op\":\"heartbeat\",\"id\":2}\r\n", "SUCCESS");
    expect(fd,
           "{\"op\":\"marketSubscription\",\"id\":3,\"segmentationEnabled\":false,"
           "\"heartbeatMs\":500,\"marketFilter\":{\"countryCodes\":[\"GB\"]}}\r\n",
           "SUCCESS");
    char *l;
    l = line(fd); /* message 5: the whole image */
    assert_non_null(l);
    odz_bf_cache c = {0};
    odz_bf_msg m;
    assert_int_equal(odz_bf_apply(&c, l, strlen(l) - 2, &m, err, sizeof err), 0);
    assert_int_equal(m.ct, ODZ_BF_CT_SUB_IMAGE);
    assert_true(c.n_markets > 0);
    for (size_t i = 0; i < c.n_markets; i++)
        assert_string_equal(c.markets[i]->country, "GB");
    free(l);
    assert_null(line(fd)); /* the next one is cut and the connection closed */
    close(fd);
    /* resuming with the clk just seen: RESUB_DELTA, not an image */
    fd = connected(port);
    expect(fd, AUTH, "SUCCESS");
    char sub[1024];
    snprintf(sub, sizeof sub,
             "{\"op\":\"marketSubscription\",\"id\":4,\"initialClk\":\"%s\",\"clk\":\"%s\","
             "\"marketFilter\":{\"countryCodes\":[\"GB\"]}}\r\n",
             c.initial_clk, c.clk);
    expect(fd, sub, "SUCCESS");
    l = line(fd);
    assert_non_null(l);
    assert_non_null(strstr(l, "\"ct\":\"RESUB_DELTA\""));
    free(l);
    close(fd);
    odz_bf_cache_free(&c);
    odz_fx_server_stop(s);
    /* bounds: one client at most, 64 KiB of output each; a client that does not read its
     * image is dropped (the server does not wait for it), one too many is refused */
    odz_fx_server_config small = {.host = "127.0.0.1", .max_clients = 1, .max_output = 65536};
    s = odz_fx_server_start(f, &small, err, sizeof err);
    assert_non_null(s);
    port = odz_fx_server_port(s);
    fd = connected(port);
    int other = dial(port);
    l = line(other);
    assert_non_null(strstr(l, "MAX_CONNECTION_LIMIT_EXCEEDED"));
    free(l);
    close(other);
    expect(fd, AUTH, "SUCCESS");
    say(fd, "{\"op\":\"marketSubscription\",\"id\":2,\"segmentationEnabled\":false}\r\n");
    while ((l = line(fd))) { /* no image: it did not fit, and the client was dropped */
        assert_null(strstr(l, "\"op\":\"mcm\""));
        free(l);
    }
    close(fd);
    odz_fx_server_stop(s);
    odz_feed_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_then_deltas), cmocka_unit_test(test_market_life),
        cmocka_unit_test(test_resume),            cmocka_unit_test(test_ladder_and_names),
        cmocka_unit_test(test_request_parser),    cmocka_unit_test(test_server),
        cmocka_unit_test(test_race_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

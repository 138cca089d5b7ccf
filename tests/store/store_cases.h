/* The store contract, run against any back-end: include, then define
 * `static odz_store *open_store(void)` (a store on an empty database) and
 * `static odz_store *open_peer(void)` (another store on the database open_store last opened:
 * what a second process sees). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/store.h"

static odz_store *open_store(void);
static odz_store *open_peer(void);

static int setup(void **st)
{
    *st = open_store();
    return *st ? 0 : -1;
}

static int teardown(void **st)
{
    odz_store *s = *st;
    s->ops->close(s);
    return 0;
}

static odz_meeting meeting(const char *key, const char *date, odz_race_type t)
{
    odz_meeting m = {0};
    snprintf(m.source_key, sizeof m.source_key, "%s", key);
    snprintf(m.name, sizeof m.name, "Meeting %s", key);
    snprintf(m.country, sizeof m.country, "AUS");
    snprintf(m.region, sizeof m.region, "Australia & New Zealand");
    snprintf(m.date, sizeof m.date, "%s", date);
    m.type = t;
    return m;
}

static odz_race *race(const char *key, int64_t meeting_id, int number, int64_t start)
{
    odz_race *r = calloc(1, sizeof *r);
    snprintf(r->source_key, sizeof r->source_key, "%s", key);
    r->meeting_id = meeting_id;
    r->number = number;
    r->scheduled_start = start;
    snprintf(r->name, sizeof r->name, "Race %d", number);
    r->distance = 1200;
    return r;
}

/* A race of meeting `mkey` in a batch. */
static odz_batch_race batch_race(const char *mkey, const char *key, int number, int64_t start)
{
    odz_race *t = race(key, 0, number, start);
    odz_batch_race br = {mkey, *t};
    free(t);
    return br;
}

static odz_selection runner(const char *key, int number)
{
    odz_selection x = {0};
    snprintf(x.source_key, sizeof x.source_key, "%s", key);
    snprintf(x.name, sizeof x.name, "Runner %d", number);
    x.number = number;
    x.barrier = number + 1;
    x.weight = 5650;
    return x;
}

/* A meeting with two races, returns ids. */
static void seed(odz_store *s, int64_t *mid, int64_t *r1, int64_t *r2)
{
    char err[ODZ_ERRLEN];
    odz_meeting m = meeting("m1", "2026-11-26", ODZ_THOROUGHBRED);
    assert_int_equal(s->ops->add_meeting(s, &m, err), 0);
    odz_race *a = race("r1", m.id, 1, 1795620000), *b = race("r2", m.id, 2, 1795622000);
    assert_int_equal(s->ops->add_race(s, a, err), 0);
    assert_int_equal(s->ops->add_race(s, b, err), 0);
    *mid = m.id;
    *r1 = a->id;
    *r2 = b->id;
    free(a);
    free(b);
}

static void meetings_by_date_range(void **st)
{
    odz_store *s = *st;
    char err[ODZ_ERRLEN];
    const char *dates[] = {"2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28"};
    for (int i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof key, "m%d", i);
        odz_meeting m = meeting(key, dates[i], (odz_race_type)(i % 3));
        assert_int_equal(s->ops->add_meeting(s, &m, err), 0);
        assert_true(m.id > 0);
    }
    odz_meetings ms = {0};
    assert_int_equal(s->ops->list_meetings(s, "2026-11-26", "2026-11-27", &ms, err), 0);
    assert_int_equal(ms.n, 2);
    assert_string_equal(ms.v[0].date, "2026-11-26");
    assert_string_equal(ms.v[1].source_key, "m2");
    odz_meetings_free(&ms);
    assert_int_equal(s->ops->list_meetings(s, "2026-11-27", "2026-11-26", &ms, err), ODZ_EINVAL);
    assert_int_equal(s->ops->list_meetings(s, "yesterday", "2026-11-26", &ms, err), ODZ_EINVAL);
    odz_meeting got;
    assert_int_equal(s->ops->get_meeting(s, 99999, &got, err), ODZ_ENOTFOUND);
    odz_meeting dup = meeting("m1", "2026-11-26", ODZ_HARNESS);
    assert_int_equal(s->ops->add_meeting(s, &dup, err), ODZ_EINVAL);
    odz_meeting bad = meeting("bad", "2026-11-31", ODZ_HARNESS);
    assert_int_equal(s->ops->add_meeting(s, &bad, err), ODZ_EINVAL);
    odz_meeting keyless = meeting("", "2026-11-26", ODZ_HARNESS);
    assert_int_equal(s->ops->add_meeting(s, &keyless, err), ODZ_EINVAL);
    assert_string_equal(err, "meeting needs a source key");
}

static void races_next_and_get(void **st)
{
    odz_store *s = *st;
    char err[ODZ_ERRLEN];
    int64_t mid, r1, r2;
    seed(s, &mid, &r1, &r2);
    odz_meeting m;
    assert_int_equal(s->ops->get_meeting(s, mid, &m, err), 0);
    assert_int_equal(m.first_start, 1795620000);
    odz_race *r = calloc(1, sizeof *r);
    assert_int_equal(s->ops->get_race(s, r1, r, err), 0);
    assert_int_equal(r->number, 1);
    assert_int_equal(s->ops->get_race(s, 424242, r, err), ODZ_ENOTFOUND);
    assert_int_equal(s->ops->next_race(s, mid, 1795619000, r, err), 0);
    assert_int_equal(r->id, r1);
    assert_int_equal(s->ops->next_race(s, mid, 1795621000, r, err), 0);
    assert_int_equal(r->id, r2);
    assert_int_equal(s->ops->next_race(s, mid, 1795629000, r, err), ODZ_ENOTFOUND);
    assert_int_equal(s->ops->next_race(s, 777, 0, r, err), ODZ_ENOTFOUND);
    odz_races rs = {0};
    assert_int_equal(s->ops->list_races(s, "2026-11-26", "2026-11-26", &rs, err), 0);
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.v[0].id, r1);
    odz_races_free(&rs);
    assert_int_equal(s->ops->next_races(s, 0, 10, ODZ_THOROUGHBRED, &rs, err), 0);
    assert_int_equal(rs.n, 2);
    odz_races_free(&rs);
    assert_int_equal(s->ops->next_races(s, 0, 10, ODZ_GREYHOUND, &rs, err), 0);
    assert_int_equal(rs.n, 0);
    odz_races_free(&rs);
    assert_int_equal(s->ops->list_meeting_races(s, mid, &rs, err), 0);
    assert_int_equal(rs.n, 2);
    odz_races_free(&rs);
    odz_race *orphan = race("orphan", 9999, 1, 1795620000);
    assert_int_equal(s->ops->add_race(s, orphan, err), ODZ_ENOTFOUND);
    free(orphan);
    free(r);
}

static void update_race_state_machine_and_selections(void **st)
{
    odz_store *s = *st;
    char err[ODZ_ERRLEN];
    int64_t mid, r1, r2;
    seed(s, &mid, &r1, &r2);
    odz_race *r = calloc(1, sizeof *r);
    assert_int_equal(s->ops->get_race(s, r1, r, err), 0);
    odz_selections sels = {0};
    odz_selection a = runner("s1", 1), b = runner("s2", 2);
    odz_selections_push(&sels, &a);
    odz_selections_push(&sels, &b);
    odz_changes ch = {0};
    r->status = ODZ_CLOSED;
    r->actual_start = 1795620010;
    assert_int_equal(s->ops->update_race(s, r, &sels, 1795620020, &ch, err), 0);
    assert_int_equal(ch.races_updated, 1);
    assert_int_equal(ch.selections_added, 2);
    assert_int_equal(ch.n_race_ids, 1);
    odz_changes_free(&ch);
    r->status = ODZ_FINAL;
    r->n_results = 3;
    r->results[0] = (odz_placing){1, 2, ""};
    r->results[1] = (odz_placing){2, 1, "0.5L"};
    r->results[2] = (odz_placing){2, 3, "0.5L"}; /* dead heat for second */
    assert_int_equal(s->ops->update_race(s, r, NULL, 1795620300, &ch, err), 0);
    odz_changes_free(&ch);
    odz_race *got = calloc(1, sizeof *got);
    assert_int_equal(s->ops->get_race(s, r1, got, err), 0);
    assert_int_equal(got->status, ODZ_FINAL);
    assert_int_equal(got->n_results, 3);
    assert_int_equal(got->results[2].position, 2);
    assert_int_equal(got->last_update, 1795620300);
    /* backward: refused, nothing changes */
    r->status = ODZ_OPEN;
    snprintf(r->name, sizeof r->name, "Renamed");
    assert_int_equal(s->ops->update_race(s, r, NULL, 1795620400, &ch, err), ODZ_ESTATE);
    assert_non_null(strstr(err, "FINAL to OPEN"));
    odz_changes_free(&ch);
    assert_int_equal(s->ops->get_race(s, r1, got, err), 0);
    assert_string_equal(got->name, "Race 1");
    r->status = ODZ_ABANDONED;
    assert_int_equal(s->ops->update_race(s, r, NULL, 1795620400, &ch, err), ODZ_ESTATE);
    odz_changes_free(&ch);
    /* unknown race */
    r->id = 99999;
    r->status = ODZ_FINAL;
    assert_int_equal(s->ops->update_race(s, r, NULL, 0, &ch, err), ODZ_ENOTFOUND);
    odz_changes_free(&ch);
    /* unchanged update writes nothing */
    assert_int_equal(s->ops->get_race(s, r1, r, err), 0);
    assert_int_equal(s->ops->update_race(s, r, &sels, 1795620500, &ch, err), 0);
    assert_int_equal(ch.races_updated + ch.selections_updated + ch.selections_added, 0);
    assert_int_equal(ch.n_race_ids, 0);
    odz_changes_free(&ch);
    odz_selections ls = {0};
    assert_int_equal(s->ops->list_selections(s, r1, &ls, err), 0);
    assert_int_equal(ls.n, 2);
    assert_int_equal(ls.v[1].barrier, 3);
    assert_int_equal(ls.v[1].weight, 5650);
    odz_selections_free(&ls);
    assert_int_equal(s->ops->list_selections(s, 99999, &ls, err), ODZ_ENOTFOUND);
    /* a selection key may not jump to another race */
    assert_int_equal(s->ops->get_race(s, r2, r, err), 0);
    assert_int_equal(s->ops->update_race(s, r, &sels, 1795620500, &ch, err), ODZ_EINVAL);
    odz_changes_free(&ch);
    odz_selections_free(&sels);
    free(got);
    free(r);
}

static void prices_and_scratchings(void **st)
{
    odz_store *s = *st;
    char err[ODZ_ERRLEN];
    int64_t mid, r1, r2;
    seed(s, &mid, &r1, &r2);
    odz_race *r = calloc(1, sizeof *r);
    assert_int_equal(s->ops->get_race(s, r1, r, err), 0);
    odz_selections sels = {0};
    odz_selection a = runner("s1", 1), b = runner("s2", 2);
    odz_selections_push(&sels, &a);
    odz_selections_push(&sels, &b);
    odz_changes ch = {0};
    assert_int_equal(s->ops->update_race(s, r, &sels, 1, &ch, err), 0);
    odz_changes_free(&ch);
    odz_selections ls = {0};
    assert_int_equal(s->ops->list_selections(s, r1, &ls, err), 0);
    int64_t sid = ls.v[0].id;
    odz_price p = {.selection_id = sid, .provider = "oddzy", .market = ODZ_FIXED_WIN,
                   .odds = 350, .ts = 100};
    assert_int_equal(s->ops->append_price(s, &p, &ch, err), 0);
    p.ts = 110; /* same odds again: not a new point */
    assert_int_equal(s->ops->append_price(s, &p, &ch, err), 0);
    p.odds = 320;
    p.ts = 120;
    assert_int_equal(s->ops->append_price(s, &p, &ch, err), 0);
    assert_int_equal(ch.n_prices, 2);
    assert_int_equal(ch.prices[1].previous, 350);
    assert_int_equal(ch.prices[1].race_id, r1);
    assert_int_equal(ch.prices[1].number, 1);
    odz_changes_free(&ch);
    /* an older point (a source's price history) is kept in history but is not a change */
    p.odds = 330;
    p.ts = 105;
    assert_int_equal(s->ops->append_price(s, &p, &ch, err), 0);
    assert_int_equal(ch.n_prices, 0);
    assert_int_equal(ch.prices_added, 1);
    odz_changes_free(&ch);
    p.market = ODZ_TOTE_WIN;
    snprintf(p.provider, sizeof p.provider, "tab");
    p.odds = 400;
    assert_int_equal(s->ops->append_price(s, &p, NULL, err), 0);
    odz_prices hist = {0};
    assert_int_equal(s->ops->price_history(s, sid, ODZ_FIXED_WIN, &hist, err), 0);
    assert_int_equal(hist.n, 3);
    assert_int_equal(hist.v[0].odds, 350);
    assert_int_equal(hist.v[1].odds, 330); /* oldest first */
    assert_int_equal(hist.v[2].odds, 320);
    odz_prices_free(&hist);
    assert_int_equal(s->ops->price_history(s, sid, -1, &hist, err), 0);
    assert_int_equal(hist.n, 4);
    odz_prices_free(&hist);
    assert_int_equal(s->ops->latest_prices(s, r1, &hist, err), 0);
    assert_int_equal(hist.n, 2);
    assert_int_equal(hist.v[0].odds, 320);
    odz_prices_free(&hist);
    assert_int_equal(s->ops->price_history(s, 99999, -1, &hist, err), ODZ_ENOTFOUND);
    p.selection_id = 99999;
    assert_int_equal(s->ops->append_price(s, &p, NULL, err), ODZ_ENOTFOUND);
    p.selection_id = sid;
    p.odds = 50;
    assert_int_equal(s->ops->append_price(s, &p, NULL, err), ODZ_EINVAL);
    /* scratch */
    int64_t sid2 = ls.v[1].id;
    assert_int_equal(s->ops->scratch(s, sid2, 90, 1250, true, 95, &ch, err), 0);
    assert_int_equal(ch.scratchings, 1);
    assert_int_equal(ch.race_ids[0], r1);
    odz_changes_free(&ch);
    assert_int_equal(s->ops->scratch(s, sid2, 91, 0, false, 96, &ch, err), 0); /* idempotent */
    assert_int_equal(ch.scratchings, 0);
    odz_changes_free(&ch);
    assert_int_equal(s->ops->scratch(s, 99999, 0, 0, false, 0, &ch, err), ODZ_ENOTFOUND);
    odz_changes_free(&ch);
    odz_selections_free(&ls);
    assert_int_equal(s->ops->list_selections(s, r1, &ls, err), 0);
    assert_true(ls.v[1].scratched);
    assert_true(ls.v[1].late_scratched);
    assert_int_equal(ls.v[1].scratch_time, 90);
    assert_int_equal(ls.v[1].deduction, 1250);
    odz_selections_free(&ls);
    odz_selections_free(&sels);
    free(r);
}

/* The scraper sees the same race many times: keys make updates, never duplicates. */
static void batch_upsert_by_source_key(void **st)
{
    odz_store *s = *st;
    char err[ODZ_ERRLEN];
    odz_meeting m = meeting("M", "2026-11-26", ODZ_GREYHOUND);
    odz_batch_race br[2] = {batch_race("M", "R1", 1, 1795620000),
                            batch_race("M", "R2", 2, 1795621000)};
    odz_batch_selection bs[2] = {{"R1", runner("S1", 1)}, {"R1", runner("S2", 2)}};
    odz_batch_price bp[2] = {
        {"S1", {.provider = "tab", .market = ODZ_FIXED_WIN, .odds = 250, .ts = 5}},
        {"S2", {.provider = "tab", .market = ODZ_FIXED_WIN, .odds = 0, .ts = 5}},
    };
    odz_batch b = {&m, 1, br, 2, bs, 2, bp, 2, NULL, 0};
    odz_changes ch = {0};
    assert_int_equal(s->ops->upsert_batch(s, &b, 10, &ch, err), 0);
    assert_int_equal(ch.meetings_added, 1);
    assert_int_equal(ch.races_added, 2);
    assert_int_equal(ch.selections_added, 2);
    assert_int_equal(ch.prices_added, 1); /* odds 0 = no price, skipped */
    odz_changes_free(&ch);
    /* the same scrape again: nothing changes */
    assert_int_equal(s->ops->upsert_batch(s, &b, 20, &ch, err), 0);
    assert_int_equal(ch.meetings_added + ch.meetings_updated + ch.races_added + ch.races_updated +
                         ch.selections_added + ch.selections_updated + ch.prices_added,
                     0);
    odz_changes_free(&ch);
    /* changes become updates */
    br[0].race.status = ODZ_CLOSED;
    snprintf(bs[1].sel.jockey, sizeof bs[1].sel.jockey, "J. Smith");
    assert_int_equal(s->ops->upsert_batch(s, &b, 30, &ch, err), 0);
    assert_int_equal(ch.races_updated, 1);
    assert_int_equal(ch.selections_updated, 1);
    assert_int_equal(ch.n_race_ids, 1);
    odz_changes_free(&ch);
    odz_races rs = {0};
    assert_int_equal(s->ops->list_races(s, "2026-11-26", "2026-11-26", &rs, err), 0);
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.v[0].status, ODZ_CLOSED);
    assert_int_equal(rs.v[0].last_update, 30);
    int64_t rid = rs.v[0].id;
    odz_races_free(&rs);
    /* a backward status from the source keeps what we know */
    br[0].race.status = ODZ_OPEN;
    assert_int_equal(s->ops->upsert_batch(s, &b, 40, &ch, err), 0);
    assert_int_equal(ch.status_refused, 1);
    odz_changes_free(&ch);
    odz_race *got = calloc(1, sizeof *got);
    assert_int_equal(s->ops->get_race(s, rid, got, err), 0);
    assert_int_equal(got->status, ODZ_CLOSED);
    /* all or nothing: an unknown meeting key fails the batch and writes nothing */
    br[0].race.status = ODZ_FINAL;
    br[1].meeting_key = "NOPE";
    assert_int_equal(s->ops->upsert_batch(s, &b, 50, &ch, err), ODZ_ENOTFOUND);
    odz_changes_free(&ch);
    assert_int_equal(s->ops->get_race(s, rid, got, err), 0);
    assert_int_equal(got->status, ODZ_CLOSED);
    br[1].meeting_key = "M";
    /* a bad selection fails the batch too */
    bs[0].sel.number = 0;
    br[0].race.status = ODZ_FINAL;
    assert_int_equal(s->ops->upsert_batch(s, &b, 60, &ch, err), ODZ_EINVAL);
    assert_non_null(strstr(err, "runner number 0 out of range"));
    odz_changes_free(&ch);
    assert_int_equal(s->ops->get_race(s, rid, got, err), 0);
    assert_int_equal(got->status, ODZ_CLOSED);
    odz_meetings ms = {0};
    assert_int_equal(s->ops->list_meetings(s, "2026-11-20", "2026-11-30", &ms, err), 0);
    assert_int_equal(ms.n, 1);
    odz_meetings_free(&ms);
    free(got);
}

static odz_exbook exbook(const char *provider, int back, int lay, int64_t ts)
{
    odz_exbook b = {0};
    snprintf(b.provider, sizeof b.provider, "%s", provider);
    for (int i = 0; i < ODZ_EXCHANGE_DEPTH; i++) {
        b.book.back[i] = (odz_exchange_offer){back - 10 * i, 12050 + i};
        b.book.lay[i] = (odz_exchange_offer){lay + 10 * i, 3300 + i};
    }
    b.book.last_traded = back;
    b.book.traded_volume = 987654321;
    b.ts = ts;
    return b;
}

/* Exchange books: one row per selection and provider, written only when it changed, only for a
 * known selection and a well-formed book; an exchange price change carries its book's size. */
static void exchange_books(void **st)
{
    odz_store *s = *st;
    char err[ODZ_ERRLEN];
    odz_meeting m = meeting("XM", "2026-11-26", ODZ_THOROUGHBRED);
    odz_batch_race br[1] = {batch_race("XM", "XR", 1, 1795620000)};
    odz_batch_selection bs[2] = {{"XR", runner("XS1", 1)}, {"XR", runner("XS2", 2)}};
    odz_batch_exbook bb[3] = {{"XS2", exbook("betfair", 345, 350, 100)},
                              {"XS1", exbook("betfair", 500, 520, 100)},
                              {"XS1", exbook("betfair_place", 180, 190, 100)}};
    odz_batch_price bp[2] = {
        {"XS1", {.provider = "betfair", .market = ODZ_EXCHANGE_BACK, .odds = 500, .ts = 100}},
        {"XS1", {.provider = "betfair", .market = ODZ_EXCHANGE_LAY, .odds = 510, .ts = 100}},
    };
    odz_batch b = {&m, 1, br, 1, bs, 2, bp, 2, bb, 3};
    odz_changes ch = {0};
    assert_int_equal(s->ops->upsert_batch(s, &b, 10, &ch, err), 0);
    assert_int_equal(ch.books_written, 3);
    assert_int_equal(ch.n_books, 3);
    assert_int_equal(ch.books[0].number, 2);
    assert_true(ch.books[0].race_id > 0);
    assert_true(ch.books[0].book.selection_id > 0);
    assert_int_equal(ch.books[0].book.book.back[0].size, 12050);
    /* the back price is the book's best back: its size; the lay price is not (stale): none */
    assert_int_equal(ch.n_prices, 2);
    assert_int_equal(ch.prices[0].size, 12050);
    assert_int_equal(ch.prices[1].size, -1);
    int64_t rid = ch.books[0].race_id;
    odz_changes_free(&ch);

    odz_exbooks got = {0};
    assert_int_equal(s->ops->race_books(s, rid, &got, err), 0);
    assert_int_equal(got.n, 3); /* by runner number, then provider */
    assert_string_equal(got.v[0].provider, "betfair");
    assert_string_equal(got.v[1].provider, "betfair_place");
    assert_string_equal(got.v[2].provider, "betfair");
    assert_int_equal(got.v[0].book.back[0].odds, 500);
    assert_int_equal(got.v[0].book.back[2].odds, 480);
    assert_int_equal(got.v[0].book.back[2].size, 12052);
    assert_int_equal(got.v[0].book.lay[1].odds, 530);
    assert_int_equal(got.v[0].book.lay[1].size, 3301);
    assert_int_equal(got.v[0].book.last_traded, 500);
    assert_int_equal(got.v[0].book.traded_volume, 987654321);
    assert_int_equal(got.v[0].ts, 100);
    assert_int_equal(got.v[2].book.back[0].odds, 345);
    odz_exbooks_free(&got);

    /* the same books again, later: nothing written */
    for (int i = 0; i < 3; i++)
        bb[i].book.ts = 200;
    b.n_prices = 0;
    assert_int_equal(s->ops->upsert_batch(s, &b, 20, &ch, err), 0);
    assert_int_equal(ch.books_written, 0);
    assert_int_equal(ch.n_books, 0);
    odz_changes_free(&ch);
    /* one level's size changes: that book only */
    bb[1].book.book.lay[2].size = 1;
    bb[1].book.ts = 300;
    assert_int_equal(s->ops->upsert_batch(s, &b, 30, &ch, err), 0);
    assert_int_equal(ch.n_books, 1);
    assert_int_equal(ch.books[0].book.book.lay[2].size, 1);
    assert_int_equal(ch.books[0].book.ts, 300);
    odz_changes_free(&ch);
    /* an older state is not written over a newer one */
    bb[1].book.book.starting_price = 460;
    bb[1].book.ts = 250;
    assert_int_equal(s->ops->upsert_batch(s, &b, 40, &ch, err), 0);
    assert_int_equal(ch.n_books, 0);
    odz_changes_free(&ch);
    /* a book of no time takes the batch's; a starting price is a change */
    bb[1].book.ts = 0;
    assert_int_equal(s->ops->upsert_batch(s, &b, 400, &ch, err), 0);
    assert_int_equal(ch.n_books, 1);
    assert_int_equal(ch.books[0].book.ts, 400);
    assert_int_equal(ch.books[0].book.book.starting_price, 460);
    odz_changes_free(&ch);

    /* an unknown selection fails the batch and writes nothing */
    bb[0].selection_key = "NOPE";
    bb[2].book.book.back[0].size = 777;
    bb[2].book.ts = 500;
    assert_int_equal(s->ops->upsert_batch(s, &b, 50, &ch, err), ODZ_ENOTFOUND);
    odz_changes_free(&ch);
    bb[0].selection_key = "XS2";
    /* a malformed book fails the batch: a gap in the ladder, an empty provider, odds of 1.00 */
    bb[0].book.book.back[1] = (odz_exchange_offer){0, 0};
    assert_int_equal(s->ops->upsert_batch(s, &b, 60, &ch, err), ODZ_EINVAL);
    odz_changes_free(&ch);
    bb[0].book.book.back[1] = (odz_exchange_offer){335, 100};
    bb[0].book.provider[0] = '\0';
    assert_int_equal(s->ops->upsert_batch(s, &b, 60, &ch, err), ODZ_EINVAL);
    odz_changes_free(&ch);
    snprintf(bb[0].book.provider, sizeof bb[0].book.provider, "betfair");
    bb[0].book.book.lay[0].odds = 100;
    assert_int_equal(s->ops->upsert_batch(s, &b, 60, &ch, err), ODZ_EINVAL);
    odz_changes_free(&ch);
    assert_int_equal(s->ops->race_books(s, rid, &got, err), 0);
    assert_int_equal(got.n, 3);
    assert_int_equal(got.v[1].book.back[0].size, 12050); /* the failed batches changed nothing */
    odz_exbooks_free(&got);
    assert_int_equal(s->ops->race_books(s, 99999, &got, err), 0);
    assert_int_equal(got.n, 0);
    odz_exbooks_free(&got);
}

/* One price point of selection `key` in a batch of its own. */
static int price_batch(odz_store *s, const char *key, int odds, int64_t ts, odz_changes *ch)
{
    char err[ODZ_ERRLEN];
    odz_batch_price bp[1] = {{key, {.provider = "betfair", .market = ODZ_EXCHANGE_BACK,
                                    .odds = odds, .ts = ts}}};
    odz_batch b = {.prices = bp, .n_prices = 1};
    memset(ch, 0, sizeof *ch);
    return s->ops->upsert_batch(s, &b, ts, ch, err);
}

/* price_batch expecting one change from `previous` (and, unless 0, of runner `number`), or
 * (previous < 0) a repeat that changes nothing. */
static void expect_price(odz_store *s, const char *key, int odds, int64_t ts, int previous,
                         int number)
{
    odz_changes ch;
    assert_int_equal(price_batch(s, key, odds, ts, &ch), 0);
    assert_int_equal(ch.n_prices, previous < 0 ? 0 : 1);
    if (previous >= 0)
        assert_int_equal(ch.prices[0].previous, previous);
    if (previous >= 0 && number)
        assert_int_equal(ch.prices[0].number, number);
    odz_changes_free(&ch);
}

static int64_t history_len(odz_store *s, int64_t selection_id)
{
    char err[ODZ_ERRLEN];
    odz_prices ps = {0};
    assert_int_equal(s->ops->price_history(s, selection_id, ODZ_EXCHANGE_BACK, &ps, err), 0);
    int64_t n = (int64_t)ps.n;
    odz_prices_free(&ps);
    return n;
}

/* Two stores on one database (two racing services, or one restarted): what one keeps in
 * memory of the latest prices, books and selections never hides the other's writes. A repeat
 * of the latest point is dropped however the latest was written; a change is never dropped,
 * and carries the previous price and runner number as they are in the database. */
static void shared_database(void **st)
{
    odz_store *a = *st, *b = open_peer();
    char err[ODZ_ERRLEN];
    assert_non_null(b);
    odz_meeting m = meeting("SM", "2026-11-26", ODZ_THOROUGHBRED);
    odz_batch_race br[1] = {batch_race("SM", "SR", 1, 1795620000)};
    odz_batch_selection bs[1] = {{"SR", runner("SS1", 1)}};
    odz_batch_exbook bb[1] = {{"SS1", exbook("betfair", 500, 520, 100)}};
    odz_batch seed_b = {&m, 1, br, 1, bs, 1, NULL, 0, bb, 1};
    odz_changes ch = {0};
    assert_int_equal(a->ops->upsert_batch(a, &seed_b, 100, &ch, err), 0);
    assert_int_equal(ch.selections_added, 1);
    odz_changes_free(&ch);
    assert_int_equal(price_batch(a, "SS1", 500, 100, &ch), 0);
    assert_int_equal(ch.n_prices, 1);
    int64_t sel = ch.prices[0].price.selection_id;
    odz_changes_free(&ch);

    /* b moves the price; a's 5.00 again is a real change back, not a repeat */
    expect_price(b, "SS1", 600, 200, 500, 0);
    expect_price(a, "SS1", 500, 300, 600, 0);
    /* and a's repeat of what b wrote is dropped */
    expect_price(b, "SS1", 700, 400, 500, 0);
    expect_price(a, "SS1", 700, 450, -1, 0);
    assert_int_equal(history_len(a, sel), 4);

    /* books: b writes another book; a's first book again is a change */
    bb[0].book = exbook("betfair", 510, 530, 500);
    odz_batch books_b = {.books = bb, .n_books = 1};
    assert_int_equal(b->ops->upsert_batch(b, &books_b, 500, &ch, err), 0);
    assert_int_equal(ch.n_books, 1);
    odz_changes_free(&ch);
    bb[0].book = exbook("betfair", 500, 520, 600);
    assert_int_equal(a->ops->upsert_batch(a, &books_b, 600, &ch, err), 0);
    assert_int_equal(ch.n_books, 1);
    odz_changes_free(&ch);

    /* b renumbers the runner: a's next change carries the new number */
    bs[0].sel.number = 7;
    odz_batch sel_b = {.selections = bs, .n_selections = 1};
    assert_int_equal(b->ops->upsert_batch(b, &sel_b, 700, &ch, err), 0);
    assert_int_equal(ch.selections_updated, 1);
    odz_changes_free(&ch);
    expect_price(a, "SS1", 800, 700, 700, 7);

    /* a batch that fails is rolled back whole: its price is not remembered as the latest */
    odz_batch_price bad[2] = {
        {"SS1", {.provider = "betfair", .market = ODZ_EXCHANGE_BACK, .odds = 900, .ts = 800}},
        {"NOPE", {.provider = "betfair", .market = ODZ_EXCHANGE_BACK, .odds = 900, .ts = 800}}};
    odz_batch bad_b = {.prices = bad, .n_prices = 2};
    assert_int_equal(a->ops->upsert_batch(a, &bad_b, 800, &ch, err), ODZ_ENOTFOUND);
    odz_changes_free(&ch);
    expect_price(a, "SS1", 900, 900, 800, 0);

    /* a restart: nothing in memory, the latest read back (a repeat dropped, a change kept) */
    b->ops->close(b);
    b = open_peer();
    assert_non_null(b);
    expect_price(b, "SS1", 900, 1000, -1, 0);
    expect_price(b, "SS1", 950, 1100, 900, 7);
    assert_int_equal(history_len(a, sel), 7);
    b->ops->close(b);
}

/* How many meetings (else races) the lists of 2026-11-26 show. */
static size_t n_of_day(odz_store *s, bool meetings)
{
    char err[ODZ_ERRLEN];
    odz_races rs = {0};
    odz_meetings ms = {0};
    assert_int_equal(meetings ? s->ops->list_meetings(s, "2026-11-26", "2026-11-26", &ms, err)
                              : s->ops->list_races(s, "2026-11-26", "2026-11-26", &rs, err),
                     0);
    size_t n = meetings ? ms.n : rs.n;
    odz_races_free(&rs);
    odz_meetings_free(&ms);
    return n;
}

static int64_t selection_id_of(odz_store *s, int64_t race_id, const char *key)
{
    char err[ODZ_ERRLEN];
    odz_selections ss = {0};
    int64_t id = 0;
    assert_int_equal(s->ops->list_selections(s, race_id, &ss, err), 0);
    for (size_t i = 0; i < ss.n; i++)
        if (!strcmp(ss.v[i].source_key, key))
            id = ss.v[i].id;
    odz_selections_free(&ss);
    assert_true(id > 0);
    return id;
}

/* A market stored apart, then retired into the bookmaker's race it matched: out of the lists
 * (its meeting too, having no other race), its runners' exchange prices and books copied onto
 * the bookmaker's runners (a point they already have kept), still read by id with where it
 * went; bad calls change nothing; undone by clearing the mark. */
static void retired_races(void **st)
{
    odz_store *s = *st;
    char err[ODZ_ERRLEN];
    odz_meeting ms[3] = {meeting("BM", "2026-11-26", ODZ_THOROUGHBRED),
                         meeting("XM", "2026-11-26", ODZ_THOROUGHBRED),
                         meeting("EMPTY", "2026-11-26", ODZ_HARNESS)};
    odz_batch_race br[2] = {batch_race("BM", "BR", 3, 1795620000),
                            batch_race("XM", "XR", 1, 1795620060)};
    odz_batch_selection bs[5] = {{"BR", runner("BS1", 1)}, {"BR", runner("BS2", 2)},
                                 {"XR", runner("XS1", 1)}, {"XR", runner("XS2", 2)},
                                 {"XR", runner("XS3", 3)}};
    odz_batch_price bp[6] = {
        {"BS1", {.provider = "tab", .market = ODZ_FIXED_WIN, .odds = 450, .ts = 50}},
        {"XS1", {.provider = "betfair", .market = ODZ_EXCHANGE_BACK, .odds = 470, .ts = 120}},
        {"BS1", {.provider = "betfair", .market = ODZ_EXCHANGE_BACK, .odds = 510, .ts = 100}},
        {"XS1", {.provider = "betfair", .market = ODZ_EXCHANGE_BACK, .odds = 480, .ts = 90}},
        {"XS1", {.provider = "betfair", .market = ODZ_EXCHANGE_BACK, .odds = 500, .ts = 100}},
        {"XS2", {.provider = "betfair", .market = ODZ_EXCHANGE_BACK, .odds = 300, .ts = 90}},
    };
    odz_batch_exbook bb[1] = {{"XS2", exbook("betfair", 300, 310, 90)}};
    odz_batch b = {ms, 3, br, 2, bs, 5, bp, 6, bb, 1};
    odz_changes ch = {0};
    assert_int_equal(s->ops->upsert_batch(s, &b, 10, &ch, err), 0);
    odz_changes_free(&ch);
    assert_int_equal(n_of_day(s, false), 2);
    assert_int_equal(n_of_day(s, true), 3);
    odz_race *x = calloc(1, sizeof *x), *bk = calloc(1, sizeof *bk);
    odz_races rs = {0};
    assert_int_equal(s->ops->list_races(s, "2026-11-26", "2026-11-26", &rs, err), 0);
    *bk = rs.v[0];
    *x = rs.v[1];
    odz_races_free(&rs);
    assert_string_equal(x->source_key, "XR");
    int64_t bs1 = selection_id_of(s, bk->id, "BS1"), bs2 = selection_id_of(s, bk->id, "BS2");
    int64_t xs1 = selection_id_of(s, x->id, "XS1");
    odz_store_rekey pairs[3] = {{"XS1", "BS1"}, {"XS2", "BS2"}, {"XS9", "BS2"}};
    odz_store_rekey wrong[1] = {{"XS1", "XS2"}};
    int64_t into = -1;

    /* refused, nothing changed */
    assert_int_equal(s->ops->retire_race(s, "XR", "XR", pairs, 2, 20, &ch, err), ODZ_EINVAL);
    assert_int_equal(s->ops->retire_race(s, "XR", "NOPE", pairs, 2, 20, &ch, err), ODZ_ENOTFOUND);
    assert_int_equal(s->ops->retire_race(s, "XR", "BR", wrong, 1, 20, &ch, err), ODZ_EINVAL);
    assert_int_equal(s->ops->retire_race(s, NULL, "BR", pairs, 2, 20, &ch, err), ODZ_EINVAL);
    assert_int_equal(ch.n_race_ids, 0);
    assert_int_equal(s->ops->retire_race(s, "UNSTORED", "BR", pairs, 2, 20, &ch, err), 0);
    assert_int_equal(ch.n_race_ids, 0);
    assert_int_equal(n_of_day(s, false), 2);
    assert_int_equal(s->ops->merged_into(s, x->id, &into, err), 0);
    assert_int_equal(into, 0);
    odz_prices ps = {0};
    assert_int_equal(s->ops->price_history(s, bs1, ODZ_EXCHANGE_BACK, &ps, err), 0);
    assert_int_equal(ps.n, 1);
    odz_prices_free(&ps);

    /* retired: both races changed, the schedule shows one race with the exchange's prices */
    assert_int_equal(s->ops->retire_race(s, "XR", "BR", pairs, 3, 30, &ch, err), 0);
    assert_int_equal(ch.races_updated, 1);
    assert_int_equal(ch.n_race_ids, 2);
    odz_changes_free(&ch);
    assert_int_equal(n_of_day(s, false), 1);
    assert_int_equal(n_of_day(s, true), 2); /* XM had no other race; EMPTY has none at all */
    assert_int_equal(s->ops->list_meeting_races(s, x->meeting_id, &rs, err), 0);
    assert_int_equal(rs.n, 0);
    odz_races_free(&rs);
    assert_int_equal(s->ops->next_races(s, 0, 10, -1, &rs, err), 0);
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.v[0].id, bk->id);
    odz_races_free(&rs);
    assert_int_equal(s->ops->next_races(s, 0, 10, ODZ_THOROUGHBRED, &rs, err), 0);
    assert_int_equal(rs.n, 1);
    odz_races_free(&rs);
    odz_race nr;
    assert_int_equal(s->ops->next_race(s, x->meeting_id, 0, &nr, err), ODZ_ENOTFOUND);
    odz_meeting xm;
    assert_int_equal(s->ops->get_meeting(s, x->meeting_id, &xm, err), 0);
    assert_int_equal(xm.first_start, 0);
    assert_int_equal(s->ops->get_race(s, x->id, &nr, err), 0); /* still read by id */
    assert_int_equal(s->ops->merged_into(s, x->id, &into, err), 0);
    assert_int_equal(into, bk->id);
    assert_int_equal(s->ops->merged_into(s, bk->id, &into, err), 0);
    assert_int_equal(into, 0);
    assert_int_equal(s->ops->merged_into(s, 999999, &into, err), ODZ_ENOTFOUND);
    assert_int_equal(s->ops->price_history(s, bs1, ODZ_EXCHANGE_BACK, &ps, err), 0);
    assert_int_equal(ps.n, 3); /* 480 at 90 copied; its own 510 at 100 kept over the copy */
    assert_int_equal(ps.v[0].odds, 480);
    assert_int_equal(ps.v[1].odds, 510);
    assert_int_equal(ps.v[2].odds, 470);
    odz_prices_free(&ps);
    assert_int_equal(s->ops->price_history(s, xs1, ODZ_EXCHANGE_BACK, &ps, err), 0);
    assert_int_equal(ps.n, 3); /* the retired race keeps its own */
    odz_prices_free(&ps);
    assert_int_equal(s->ops->latest_prices(s, bk->id, &ps, err), 0);
    int found = 0;
    for (size_t i = 0; i < ps.n; i++)
        found += ps.v[i].selection_id == bs2 && ps.v[i].market == ODZ_EXCHANGE_BACK &&
                 ps.v[i].odds == 300;
    assert_int_equal(found, 1);
    odz_prices_free(&ps);
    odz_exbooks xb = {0};
    assert_int_equal(s->ops->race_books(s, bk->id, &xb, err), 0);
    assert_int_equal(xb.n, 1);
    assert_int_equal(xb.v[0].selection_id, bs2);
    assert_int_equal(xb.v[0].book.back[0].odds, 300);
    odz_exbooks_free(&xb);
    /* the write cache (510 at 100 the latest of BS1 it wrote) reads the copies again: 470 at
     * 130 repeats the copied 470 at 120 */
    odz_batch_price more[1] = {
        {"BS1", {.provider = "betfair", .market = ODZ_EXCHANGE_BACK, .odds = 470, .ts = 130}}};
    odz_batch b2 = {NULL, 0, NULL, 0, NULL, 0, more, 1, NULL, 0};
    assert_int_equal(s->ops->upsert_batch(s, &b2, 40, &ch, err), 0);
    assert_int_equal(ch.prices_added, 0);
    odz_changes_free(&ch);

    /* again: nothing to do; into a retired race: refused */
    assert_int_equal(s->ops->retire_race(s, "XR", "BR", pairs, 3, 50, &ch, err), 0);
    assert_int_equal(ch.n_race_ids, 0);
    assert_int_equal(s->ops->retire_race(s, "BR", "XR", NULL, 0, 50, &ch, err), ODZ_EINVAL);
    assert_int_equal(n_of_day(s, false), 1);

    /* undone: the mark cleared, the race and its meeting back */
    assert_int_equal(s->ops->retire_race(s, "XR", NULL, NULL, 0, 60, &ch, err), 0);
    assert_int_equal(ch.n_race_ids, 2); /* the race back and the one it left */
    odz_changes_free(&ch);
    assert_int_equal(n_of_day(s, false), 2);
    assert_int_equal(n_of_day(s, true), 3);
    assert_int_equal(s->ops->merged_into(s, x->id, &into, err), 0);
    assert_int_equal(into, 0);
    assert_int_equal(s->ops->get_meeting(s, x->meeting_id, &xm, err), 0);
    assert_int_equal(xm.first_start, 1795620060);
    free(x);
    free(bk);
}

#define STORE_TESTS                                                                               \
    cmocka_unit_test_setup_teardown(meetings_by_date_range, setup, teardown),                     \
        cmocka_unit_test_setup_teardown(races_next_and_get, setup, teardown),                     \
        cmocka_unit_test_setup_teardown(update_race_state_machine_and_selections, setup,          \
                                        teardown),                                                \
        cmocka_unit_test_setup_teardown(prices_and_scratchings, setup, teardown),                 \
        cmocka_unit_test_setup_teardown(batch_upsert_by_source_key, setup, teardown),             \
        cmocka_unit_test_setup_teardown(exchange_books, setup, teardown),                         \
        cmocka_unit_test_setup_teardown(shared_database, setup, teardown),                        \
        cmocka_unit_test_setup_teardown(retired_races, setup, teardown)

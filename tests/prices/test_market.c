/* The simulated market without a bus: the ladder at every band edge, opening books over many
 * seeds and field sizes, place prices, a long random walk, scratchings, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <string.h>

#include "core/err.h"
#include "prices/market.h"

static void field(odz_book_runner *in, size_t n)
{
    memset(in, 0, sizeof *in * n);
    for (size_t i = 0; i < n; i++) {
        in[i].number = (int)i + 1;
        in[i].selection_id = 1000 + (int64_t)i;
    }
}

/* Every invariant of a book that is open for betting. */
static void check_book(const odz_book *b)
{
    size_t m = odz_book_active(b);
    if (m >= 2) {
        double pct = odz_book_percentage(b);
        if (pct < ODZ_BOOK_MIN || pct > ODZ_BOOK_MAX)
            fail_msg("book %.2f %% outside the band with %zu runners", pct, m);
    }
    for (size_t i = 0; i < b->n; i++) {
        const odz_book_runner *r = &b->r[i];
        if (r->scratched) {
            assert_int_equal(r->win, 0);
            assert_int_equal(r->place, 0);
            continue;
        }
        if (!odz_ladder_valid(r->win))
            fail_msg("win price %d of runner %d is not on the ladder", r->win, r->number);
        assert_true(r->place >= ODZ_PLACE_FLOOR);
        assert_true(r->place < r->win);
        assert_int_equal(r->place, odz_place_from_win(r->win, m));
    }
}

static void ladder_rounding_at_every_boundary(void **st)
{
    (void)st;
    static const int cases[][2] = {
        {-5, 0},           {0, 0},         {1, 110},       {109, 110},
        {110, 110},        {111, 111},     {199, 199},     {200, 200},
        {201, 200},        {204, 200},     {205, 210},     {209, 210},
        {499, 500},        {500, 500},     {501, 500},     {509, 500},
        {510, 520},        {519, 520},     {530, 540},     {999, 1000},
        {1000, 1000},      {1001, 1000},   {1049, 1000},   {1050, 1100},
        {2450, 2500},      {2500, 2500},   {2501, 2500},   {2749, 2500},
        {2750, 3000},      {49999, 50000}, {50000, 50000}, {50049, 50000},
        {50050, 50100},    {50100, 50100}, {50101, 50100}, {60000, 50100},
        {10000000, 50100},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (odz_ladder_round(cases[i][0]) != cases[i][1])
            fail_msg("round(%d) = %d, want %d", cases[i][0], odz_ladder_round(cases[i][0]),
                     cases[i][1]);

    /* ticks either side of each band edge */
    assert_int_equal(odz_ladder_up(199, 1), 200);
    assert_int_equal(odz_ladder_up(200, 1), 210);
    assert_int_equal(odz_ladder_down(210, 1), 200);
    assert_int_equal(odz_ladder_down(200, 1), 199);
    assert_int_equal(odz_ladder_up(500, 1), 520);
    assert_int_equal(odz_ladder_down(520, 1), 500);
    assert_int_equal(odz_ladder_down(500, 1), 490);
    assert_int_equal(odz_ladder_up(1000, 1), 1100);
    assert_int_equal(odz_ladder_down(1100, 1), 1000);
    assert_int_equal(odz_ladder_down(1000, 1), 980);
    assert_int_equal(odz_ladder_up(2500, 1), 3000);
    assert_int_equal(odz_ladder_down(3000, 1), 2500);
    assert_int_equal(odz_ladder_up(50000, 1), 50100);
    assert_int_equal(odz_ladder_up(50100, 3), 50100);
    assert_int_equal(odz_ladder_down(50100, 1), 50000);
    assert_int_equal(odz_ladder_down(110, 2), 110);
    assert_int_equal(odz_ladder_up(199, 2), 210);

    /* the ladder walked upwards is exactly the set of valid prices: 1.10-2.00 by 0.01 (91),
     * 2.10-5.00 by 0.1 (30), 5.20-10 by 0.2 (25), 11-25 (15), 30-500 by 5 (95), and 501 */
    static unsigned char on[ODZ_LADDER_CAP + 1];
    int ticks = 0;
    for (int p = ODZ_LADDER_FLOOR;; p = odz_ladder_up(p, 1)) {
        on[p] = 1;
        ticks++;
        if (p == ODZ_LADDER_CAP)
            break;
        assert_true(odz_ladder_up(p, 1) > p);
        assert_int_equal(odz_ladder_down(odz_ladder_up(p, 1), 1), p);
    }
    assert_int_equal(ticks, 91 + 30 + 25 + 15 + 95 + 1);
    for (int x = 1; x <= ODZ_LADDER_CAP; x++) {
        if (!!odz_ladder_valid(x) != on[x])
            fail_msg("valid(%d) = %d, ladder says %d", x, odz_ladder_valid(x), on[x]);
        /* rounding gives the nearest ladder price (ties up) */
        int r = odz_ladder_round(x);
        assert_true(on[r]);
        int d = r > x ? r - x : x - r;
        int up = odz_ladder_up(r, 1), dn = odz_ladder_down(r, 1);
        int du = up > x ? up - x : x - up, dd = dn > x ? dn - x : x - dn;
        if ((up != r && du < d) || (dn != r && dd < d))
            fail_msg("round(%d) = %d is not the nearest (neighbours %d, %d)", x, r, dn, up);
    }
}

static void place_prices_follow_win(void **st)
{
    (void)st;
    assert_int_equal(odz_places_paid(24), 3);
    assert_int_equal(odz_places_paid(8), 3);
    assert_int_equal(odz_places_paid(7), 2);
    assert_int_equal(odz_places_paid(5), 2);
    assert_int_equal(odz_places_paid(4), 1);
    assert_int_equal(odz_place_from_win(0, 8), 0);
    assert_int_equal(odz_place_from_win(500, 8), 200); /* 1 + 4/4 */
    assert_int_equal(odz_place_from_win(400, 6), 200); /* 1 + 3/3 */
    assert_int_equal(odz_place_from_win(300, 3), 200); /* 1 + 2/2 */
    for (size_t m = 1; m <= ODZ_BOOK_RUNNERS; m++) {
        int last = 0;
        for (int w = ODZ_LADDER_FLOOR;; w = odz_ladder_up(w, 1)) {
            int p = odz_place_from_win(w, m);
            if (p < ODZ_PLACE_FLOOR || p >= w || p < last)
                fail_msg("place %d for win %d with %zu runners (previous %d)", p, w, m, last);
            if (p >= ODZ_LADDER_FLOOR)
                assert_true(odz_ladder_valid(p));
            last = p;
            if (w == ODZ_LADDER_CAP)
                break;
        }
    }
}

static void opening_books_are_in_the_band(void **st)
{
    (void)st;
    odz_book_runner in[ODZ_BOOK_RUNNERS];
    odz_book b;
    double lo = 1e9, hi = 0;
    for (size_t n = 2; n <= 24; n++)
        for (uint64_t seed = 1; seed <= 300; seed++) {
            field(in, n);
            assert_int_equal(odz_book_open(&b, in, n, seed), 0);
            assert_int_equal(odz_book_active(&b), n);
            check_book(&b);
            double pct = odz_book_percentage(&b);
            lo = pct < lo ? pct : lo;
            hi = pct > hi ? pct : hi;
            /* a realistic favourite: not odds-on by much, not a field of equals */
            int fav = ODZ_LADDER_CAP, rough = 0;
            for (size_t i = 0; i < n; i++) {
                fav = b.r[i].win < fav ? b.r[i].win : fav;
                rough |= b.r[i].win != b.r[0].win;
            }
            assert_true(fav >= 125);
            assert_true(rough || n == 2);
        }
    assert_true(hi - lo > 3); /* the overround varies with the seed */

    /* scratched runners in the field stay out */
    field(in, 12);
    in[3].scratched = in[7].scratched = true;
    assert_int_equal(odz_book_open(&b, in, 12, 7), 0);
    assert_int_equal(odz_book_active(&b), 10);
    check_book(&b);

    /* hints keep the order of another bookmaker's prices */
    field(in, 6);
    const int hint[6] = {300, 450, 800, 1200, 2000, 5000};
    for (int i = 0; i < 6; i++)
        in[i].win = hint[i];
    assert_int_equal(odz_book_open(&b, in, 6, 3), 0);
    check_book(&b);
    for (int i = 1; i < 6; i++)
        assert_true(b.r[i].win >= b.r[i - 1].win);

    /* a lone runner is quoted at the floor; no runners, no prices; too many: refused */
    field(in, 2);
    in[1].scratched = true;
    assert_int_equal(odz_book_open(&b, in, 2, 1), 0);
    assert_int_equal(b.r[0].win, ODZ_LADDER_FLOOR);
    assert_true(b.r[0].place < ODZ_LADDER_FLOOR);
    assert_int_equal(odz_book_open(&b, in, 0, 1), 0);
    assert_int_equal(odz_book_step(&b), 0);
    odz_book_runner many[ODZ_BOOK_RUNNERS + 1];
    field(many, ODZ_BOOK_RUNNERS + 1);
    assert_int_equal(odz_book_open(&b, many, ODZ_BOOK_RUNNERS + 1, 1), ODZ_EINVAL);
    assert_int_equal(odz_book_open(&b, many, ODZ_BOOK_RUNNERS, 1), 0);
    check_book(&b);
}

static void random_walk_stays_on_the_ladder_and_in_the_band(void **st)
{
    (void)st;
    static const size_t sizes[] = {2, 3, 5, 8, 12, 18, 24, 32};
    odz_book_runner in[ODZ_BOOK_RUNNERS];
    odz_book b;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        field(in, n);
        assert_int_equal(odz_book_open(&b, in, n, 100 + n), 0);
        int open_fav = ODZ_LADDER_CAP;
        for (size_t i = 0; i < n; i++)
            open_fav = b.r[i].win < open_fav ? b.r[i].win : open_fav;
        long changes = 0;
        int moved_runners = 0, lo_fav = ODZ_LADDER_CAP, hi_fav = 0;
        odz_book first = b;
        for (int step = 0; step < 10000; step++) {
            odz_book prev = b;
            int c = odz_book_step(&b);
            assert_true(c >= 0 && (size_t)c <= n);
            int diff = 0;
            for (size_t i = 0; i < n; i++)
                diff += b.r[i].win != prev.r[i].win || b.r[i].place != prev.r[i].place;
            assert_int_equal(diff, c);
            changes += c;
            check_book(&b);
            int fav = ODZ_LADDER_CAP;
            for (size_t i = 0; i < n; i++)
                fav = b.r[i].win < fav ? b.r[i].win : fav;
            lo_fav = fav < lo_fav ? fav : lo_fav;
            hi_fav = fav > hi_fav ? fav : hi_fav;
        }
        for (size_t i = 0; i < n; i++)
            moved_runners += b.r[i].win != first.r[i].win;
        assert_true(changes > 5000); /* it does move */
        assert_true(moved_runners > 0);
        assert_true(hi_fav > lo_fav);
        /* and stays a sane market: the favourite never wanders absurdly far */
        assert_true(lo_fav >= ODZ_LADDER_FLOOR);
        if (n >= 5)
            assert_true(hi_fav <= 4 * open_fav);
    }
    /* a closed book does not move */
    field(in, 8);
    odz_book_open(&b, in, 8, 5);
    odz_book_close(&b);
    odz_book before = b;
    for (int i = 0; i < 100; i++)
        assert_int_equal(odz_book_step(&b), 0);
    assert_memory_equal(&before, &b, sizeof b);
}

static void scratching_reprices_the_rest(void **st)
{
    (void)st;
    odz_book_runner in[ODZ_BOOK_RUNNERS];
    odz_book b;
    for (uint64_t seed = 1; seed <= 500; seed++) {
        size_t n = 3 + seed % 20;
        field(in, n);
        assert_int_equal(odz_book_open(&b, in, n, seed), 0);
        for (int s = 0; s < (int)(seed % 50); s++)
            odz_book_step(&b);
        /* scratch the favourite on even seeds, a random runner otherwise */
        size_t x = seed % n;
        if (seed % 2 == 0)
            for (size_t i = 0; i < n; i++)
                if (b.r[i].win < b.r[x].win)
                    x = i;
        odz_book before = b;
        assert_int_equal(odz_book_scratch(&b, b.r[x].number), 1);
        assert_true(b.r[x].scratched);
        check_book(&b);
        int shorter = 0;
        for (size_t i = 0; i < n; i++) {
            if (i == x)
                continue;
            if (b.r[i].win > before.r[i].win)
                fail_msg("seed %llu: runner %d lengthened %d -> %d after a scratching",
                         (unsigned long long)seed, b.r[i].number, before.r[i].win, b.r[i].win);
            shorter += b.r[i].win < before.r[i].win;
        }
        /* the favourite's share is large: the others must firm */
        if (seed % 2 == 0)
            assert_true(shorter > 0);
        /* idempotent; unknown numbers refused */
        odz_book again = b;
        assert_int_equal(odz_book_scratch(&b, b.r[x].number), 0);
        assert_memory_equal(&again, &b, sizeof b);
        assert_int_equal(odz_book_scratch(&b, 77), ODZ_ENOTFOUND);
    }

    /* down to one runner: the floor */
    field(in, 4);
    odz_book_open(&b, in, 4, 9);
    for (int k = 1; k <= 3; k++) {
        assert_int_equal(odz_book_scratch(&b, k), 1);
        check_book(&b);
    }
    assert_int_equal(odz_book_active(&b), 1);
    assert_int_equal(b.r[3].win, ODZ_LADDER_FLOOR);
    assert_int_equal(odz_book_step(&b), 0);

    /* a closed race only drops the runner */
    field(in, 8);
    odz_book_open(&b, in, 8, 11);
    odz_book_close(&b);
    odz_book before = b;
    assert_int_equal(odz_book_scratch(&b, 2), 1);
    for (size_t i = 0; i < 8; i++)
        if (i != 1)
            assert_int_equal(b.r[i].win, before.r[i].win);
}

static void adopting_our_prices_carries_on(void **st)
{
    (void)st;
    odz_book_runner in[ODZ_BOOK_RUNNERS];
    odz_book a, b;
    field(in, 10);
    odz_book_open(&a, in, 10, 21);
    for (int i = 0; i < 300; i++)
        odz_book_step(&a);
    for (size_t i = 0; i < 10; i++)
        in[i].win = a.r[i].win;
    assert_int_equal(odz_book_adopt(&b, in, 10, 22), 0);
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(b.r[i].win, a.r[i].win);
        assert_int_equal(b.r[i].place, a.r[i].place);
    }
    check_book(&b);
    /* off-ladder or out-of-band prices are brought back */
    for (size_t i = 0; i < 10; i++)
        in[i].win = 303 + 10 * (int)i;
    assert_int_equal(odz_book_adopt(&b, in, 10, 22), 0);
    check_book(&b);
    /* a runner without a price: a new book */
    field(in, 10);
    for (size_t i = 0; i < 9; i++)
        in[i].win = a.r[i].win;
    assert_int_equal(odz_book_adopt(&b, in, 10, 22), 0);
    check_book(&b);
    assert_true(b.r[9].win > 0);
}

static void same_seed_same_market(void **st)
{
    (void)st;
    odz_book_runner in[ODZ_BOOK_RUNNERS];
    odz_book a, b, c;
    field(in, 14);
    odz_book_open(&a, in, 14, 42);
    odz_book_open(&b, in, 14, 42);
    odz_book_open(&c, in, 14, 43);
    assert_memory_equal(&a, &b, sizeof a);
    int differ = 0;
    for (size_t i = 0; i < 14; i++)
        differ += a.r[i].win != c.r[i].win;
    assert_true(differ > 0);
    for (int s = 0; s < 2000; s++) {
        assert_int_equal(odz_book_step(&a), odz_book_step(&b));
        if (s == 700) {
            assert_int_equal(odz_book_scratch(&a, 5), 1);
            assert_int_equal(odz_book_scratch(&b, 5), 1);
        }
    }
    assert_memory_equal(&a, &b, sizeof a);

    odz_rng r1, r2;
    odz_rng_seed(&r1, 1);
    odz_rng_seed(&r2, 1);
    for (int i = 0; i < 1000; i++) {
        double u = odz_rng_unit(&r1);
        assert_true(u >= 0 && u < 1);
        assert_true(u == odz_rng_unit(&r2));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ladder_rounding_at_every_boundary),
        cmocka_unit_test(place_prices_follow_win),
        cmocka_unit_test(opening_books_are_in_the_band),
        cmocka_unit_test(random_walk_stays_on_the_ladder_and_in_the_band),
        cmocka_unit_test(scratching_reprices_the_rest),
        cmocka_unit_test(adopting_our_prices_carries_on),
        cmocka_unit_test(same_seed_same_market),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

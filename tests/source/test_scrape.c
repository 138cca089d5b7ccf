/* The scrape container's rows by key: selections and books found by hash, across the index's
 * growth and a merge, replaced rather than duplicated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "source/source.h"

#define N 3000

static void add_all(odz_scrape *s, int from, int to, const char *name)
{
    for (int i = from; i < to; i++) {
        char key[32];
        snprintf(key, sizeof key, "sel-%d", i);
        const char *k = odz__scrape_key(s, key);
        assert_non_null(k);
        odz_selection sel = {.number = i % 20 + 1};
        snprintf(sel.source_key, sizeof sel.source_key, "%s", key);
        snprintf(sel.name, sizeof sel.name, "%s %d", name, i);
        assert_int_equal(odz__scrape_add_selection(s, "race", &sel), 0);
        for (int p = 0; p < 2; p++) {
            odz_exbook b = {.ts = i};
            snprintf(b.provider, sizeof b.provider, p ? "betfair_place" : "betfair");
            b.book.last_traded = 200 + i;
            b.book.traded_volume = (int64_t)i * 100 + p;
            assert_int_equal(odz__scrape_add_exbook(s, k, &b), 0);
        }
    }
}

static void check(const odz_scrape *s, int n, int renamed_from, const char *name)
{
    assert_int_equal(s->n_selections, n);
    assert_int_equal(s->n_books, 2 * n);
    for (size_t i = 0; i < s->n_selections; i++) {
        int id;
        assert_int_equal(sscanf(s->selections[i].sel.source_key, "sel-%d", &id), 1);
        char want[64];
        snprintf(want, sizeof want, "%s %d", id >= renamed_from ? name : "first", id);
        assert_string_equal(s->selections[i].sel.name, want);
    }
    for (size_t i = 0; i < s->n_books; i++) {
        int id;
        assert_int_equal(sscanf(s->books[i].selection_key, "sel-%d", &id), 1);
        int place = !strcmp(s->books[i].book.provider, "betfair_place");
        assert_int_equal(s->books[i].book.book.traded_volume, (int64_t)id * 100 + place);
    }
}

static void rows_by_key(void **state)
{
    (void)state;
    odz_scrape s = {0};
    add_all(&s, 0, N, "first");
    check(&s, N, N, "");
    add_all(&s, N / 2, N, "second"); /* the newer row wins whole, none is added */
    check(&s, N, N / 2, "second");

    odz_scrape more = {0}; /* half new, half known: the merge adds only the new ones */
    add_all(&more, N - 500, N + 500, "third");
    assert_int_equal(odz__scrape_merge(&s, &more), 0);
    assert_int_equal(s.n_selections, N + 500);
    assert_int_equal(s.n_books, 2 * (N + 500));
    assert_string_equal(s.selections[N - 1].sel.name, "third 2999");
    assert_string_equal(s.selections[N].sel.name, "third 3000");
    odz_scrape_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(rows_by_key)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

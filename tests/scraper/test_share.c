/* Sources sharing ids (src/scraper/share.c): which one owns the shared parts, what the others
 * store, and the take-over when the owner fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support/fixture.h"

#include "bus/bus.h"
#include "core/err.h"
#include "scraper/scraper.h"
#include "scraper/share.h"
#include "source/source.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static odz_share g; /* (large: not on the stack) */

/* A fresh group whose members 0..n-1 are running. */
static void group_of(int n)
{
    odz_share_init(&g);
    for (int i = 0; i < n; i++)
        odz_share_join(&g, i);
}

static void first_up_owns(void **st)
{
    (void)st;
    odz_share_init(&g);
    assert_int_equal(odz_share_owner(&g), -1);
    odz_share_join(&g, 1);
    assert_int_equal(odz_share_owner(&g), 1); /* the first is not running: the next owns */
    odz_share_join(&g, 0);
    assert_int_equal(odz_share_owner(&g), 0);
    odz_share_leave(&g, 0);
    assert_int_equal(odz_share_owner(&g), 1);
    odz_share_leave(&g, 1);
    assert_int_equal(odz_share_owner(&g), -1);
    odz_share_join(&g, -1); /* out of range: ignored */
    odz_share_join(&g, ODZ_SHARE_MEMBERS_MAX);
    assert_int_equal(odz_share_owner(&g), -1);
    odz_share_destroy(&g);
}

static void owner_stores_all_others_wait_then_send_prices(void **st)
{
    (void)st;
    const char *race = "e2f0b2b4-5ad4-4c1e-9a4c-5b1f3c0d9e01";
    group_of(2);
    assert_int_equal(odz_share_role_of(&g, 0, NULL, 0), ODZ_SHARE_ALL);
    assert_int_equal(odz_share_role_of(&g, 0, race, 0), ODZ_SHARE_ALL);
    /* the other brand: no schedule rows; before the owner's first schedule, every race waits */
    assert_int_equal(odz_share_role_of(&g, 1, NULL, 0), ODZ_SHARE_PRICES);
    assert_int_equal(odz_share_role_of(&g, 1, race, 0), ODZ_SHARE_WAIT);
    assert_int_equal(odz_share_role_of(&g, 1, race, ODZ_SHARE_WAITS_MAX + 5), ODZ_SHARE_WAIT);
    /* once the owner's schedule is in, a race it does not list waits a few times */
    odz_share_stored(&g, "listed-race", false);
    assert_int_equal(odz_share_role_of(&g, 1, race, ODZ_SHARE_WAITS_MAX - 1), ODZ_SHARE_WAIT);
    /* then a race only it lists is stored whole by it */
    assert_int_equal(odz_share_role_of(&g, 1, race, ODZ_SHARE_WAITS_MAX), ODZ_SHARE_ALL);
    /* a race the owner's schedule lists: wait for its card however long it takes */
    odz_share_stored(&g, race, false);
    assert_int_equal(odz_share_role_of(&g, 1, race, ODZ_SHARE_WAITS_MAX + 5), ODZ_SHARE_WAIT);
    odz_share_stored(&g, race, true);
    assert_int_equal(odz_share_role_of(&g, 1, race, 0), ODZ_SHARE_PRICES);
    odz_share_stored(&g, race, false); /* listed again: still stored */
    assert_int_equal(odz_share_role_of(&g, 1, race, 0), ODZ_SHARE_PRICES);
    assert_int_equal(odz_share_role_of(&g, 1, "another-race", 0), ODZ_SHARE_WAIT);
    odz_share_stored(&g, race, true); /* twice: still one */
    assert_int_equal(g.n_races, 2);
    odz_share_destroy(&g);
}

static void a_failing_owner_hands_over_and_takes_back(void **st)
{
    (void)st;
    const char *race = "race-1";
    group_of(3);
    odz_share_stored(&g, race, true);
    for (int i = 0; i < ODZ_SHARE_DOWN_AFTER - 1; i++)
        odz_share_report(&g, 0, false);
    assert_int_equal(odz_share_owner(&g), 0); /* a failure or two: still the owner */
    odz_share_report(&g, 0, true);
    for (int i = 0; i < ODZ_SHARE_DOWN_AFTER; i++)
        odz_share_report(&g, 0, false);
    assert_int_equal(odz_share_owner(&g), 1);
    /* the next brand stores whole scrapes: results and scratchings keep coming */
    assert_int_equal(odz_share_role_of(&g, 1, race, 0), ODZ_SHARE_ALL);
    assert_int_equal(odz_share_role_of(&g, 1, NULL, 0), ODZ_SHARE_ALL);
    assert_int_equal(odz_share_role_of(&g, 2, race, 0), ODZ_SHARE_PRICES);
    /* the failed owner's own cards (if any get through) are prices only */
    assert_int_equal(odz_share_role_of(&g, 0, race, 0), ODZ_SHARE_PRICES);
    for (int i = 0; i < 10; i++) /* more failures do not pile up */
        odz_share_report(&g, 0, false);
    odz_share_report(&g, 0, true); /* back: one success */
    assert_int_equal(odz_share_owner(&g), 0);
    assert_int_equal(odz_share_role_of(&g, 1, race, 0), ODZ_SHARE_PRICES);
    /* every brand down: each stores whole scrapes */
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < ODZ_SHARE_DOWN_AFTER; i++)
            odz_share_report(&g, r, false);
    assert_int_equal(odz_share_owner(&g), -1);
    assert_int_equal(odz_share_role_of(&g, 2, race, 0), ODZ_SHARE_ALL);
    odz_share_destroy(&g);
}

/* The remembered races are bounded: past 3/4 of the slots they are forgotten at once, and the
 * others wait for the owner's cards again. */
static void stored_races_are_bounded(void **st)
{
    (void)st;
    group_of(2);
    char key[32];
    size_t limit = ODZ_SHARE_RACES / 4 * 3;
    for (size_t i = 0; i < limit; i++) {
        snprintf(key, sizeof key, "race-%zu", i);
        odz_share_stored(&g, key, true);
    }
    assert_int_equal(g.n_races, limit);
    assert_int_equal(odz_share_role_of(&g, 1, "race-0", 0), ODZ_SHARE_PRICES);
    odz_share_stored(&g, "one-more", true);
    assert_int_equal(g.n_races, 1);
    assert_int_equal(odz_share_role_of(&g, 1, "race-0", 0), ODZ_SHARE_WAIT);
    assert_int_equal(odz_share_role_of(&g, 1, "one-more", 0), ODZ_SHARE_PRICES);
    assert_false(g.stored[0] && !g.races[0]);
    odz_share_destroy(&g);
}

/* ---- what reaches the racing service ---- */

static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *seen; /* the last upsert_batch request */

static void fake_racing(odz_bus *bus, const odz_msg *m, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&seen_mu);
    json_decref(seen);
    seen = json_loadb(m->data, m->len, 0, NULL);
    pthread_mutex_unlock(&seen_mu);
    const char *ok = "{\"ok\":true,\"data\":{\"races_changed\":1,\"scratchings\":0}}";
    odz_bus_respond(bus, m, ok, strlen(ok));
}

static size_t seen_rows(const char *kind)
{
    pthread_mutex_lock(&seen_mu);
    size_t n = json_array_size(json_object_get(seen, kind));
    pthread_mutex_unlock(&seen_mu);
    return n;
}

/* A brand that does not own the shared parts sends a card's prices and nothing else. */
static void prices_only_batch(void **st)
{
    (void)st;
    odz_bus *bus = odz_bus_inproc_new();
    assert_non_null(bus);
    assert_true(odz_bus_subscribe(bus, "racing.upsert_batch", "racing", 8, fake_racing, NULL) >
                0);
    size_t len;
    char *body = fixture_slurp("entain/race-event-full-response.json", &len);
    odz_scrape sc = {0};
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(odz_source_entain.parse_race(body, len, NULL, &sc, err, sizeof err), 0);
    free(body);
    assert_true(sc.n_races == 1 && sc.n_selections > 0 && sc.n_prices > 0);
    assert_int_equal(odz_scrape_send_prices(bus, &sc, 1752751019, err), 1);
    assert_int_equal(seen_rows("meetings"), 0);
    assert_int_equal(seen_rows("races"), 0);
    assert_int_equal(seen_rows("selections"), 0);
    assert_int_equal(seen_rows("prices"), sc.n_prices);
    /* the scrape itself is whole: the owner's send of it has every row */
    assert_int_equal(odz_scrape_send(bus, &sc, 1752751019, err), 1);
    assert_int_equal(seen_rows("races"), 1);
    assert_int_equal(seen_rows("selections"), sc.n_selections);
    assert_int_equal(seen_rows("prices"), sc.n_prices);
    odz_scrape_free(&sc);
    odz_bus_close(bus);
    json_decref(seen);
    seen = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_up_owns),
        cmocka_unit_test(owner_stores_all_others_wait_then_send_prices),
        cmocka_unit_test(a_failing_owner_hands_over_and_takes_back),
        cmocka_unit_test(stored_races_are_bounded),
        cmocka_unit_test(prices_only_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

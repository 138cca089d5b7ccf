/* The scrape sender with one send in flight (scraper/send_pipe.h): the caller goes on while
 * the racing service stores, order is kept, and nothing handed over is dropped at the end. */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "bus/bus.h"
#include "core/err.h"
#include "scraper/send_pipe.h"
#include "source/source.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static char order[16][32]; /* race keys of the batches the racing service got, in order */
static int n_got, n_done, started, gate_open = 1, changed_sum, failures;
static char last_err[ODZ_ERRLEN];

/* A racing service that notes each batch's race key, waits while the gate is shut, and
 * refuses a race named "bad". */
static void fake_racing(odz_bus *bus, const odz_msg *m, void *ud)
{
    (void)ud;
    json_t *j = json_loadb(m->data, m->len, 0, NULL);
    const char *k = json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(j, "races"), 0), "race"), "source_key"));
    pthread_mutex_lock(&mu);
    started++;
    pthread_cond_broadcast(&cv);
    while (!gate_open)
        pthread_cond_wait(&cv, &mu);
    snprintf(order[n_got++ % 16], sizeof order[0], "%s", k ? k : "?");
    pthread_mutex_unlock(&mu);
    const char *ok = "{\"ok\":true,\"data\":{\"races_changed\":1,\"scratchings\":0}}";
    const char *bad = "{\"ok\":false,\"error\":\"invalid\",\"message\":\"bad race\"}";
    const char *rep = k && !strcmp(k, "bad") ? bad : ok;
    json_decref(j);
    odz_bus_respond(bus, m, rep, strlen(rep));
}

static void done(void *ud, int rc, const char *err)
{
    (void)ud;
    pthread_mutex_lock(&mu);
    n_done++;
    if (rc >= 0)
        changed_sum += rc;
    else {
        failures++;
        snprintf(last_err, sizeof last_err, "%s", err);
    }
    pthread_mutex_unlock(&mu);
}

static void one_race(odz_scrape *sc, const char *key)
{
    odz_race r = {0};
    snprintf(r.source_key, sizeof r.source_key, "%s", key);
    snprintf(r.name, sizeof r.name, "Race %s", key);
    r.number = 1;
    r.scheduled_start = 1773460800;
    r.status = ODZ_OPEN;
    assert_int_equal(odz__scrape_add_race(sc, "m1", &r), 0);
}

static odz_bus *bus_with_racing(void)
{
    odz_bus *bus = odz_bus_inproc_new();
    assert_non_null(bus);
    assert_true(odz_bus_subscribe(bus, "racing.upsert_batch", "racing", 8, fake_racing, NULL) >
                0);
    n_got = n_done = started = changed_sum = failures = 0;
    gate_open = 1;
    return bus;
}

/* A pipe on `bus` that reports to done(); the test fails when it cannot start. */
static odz_send_pipe *pipe_on(odz_bus *bus, const char *source, bool match)
{
    char err[ODZ_ERRLEN];
    odz_send_pipe *p = odz_send_pipe_new(bus, source, match, done, NULL, err);
    assert_non_null(p);
    return p;
}

/* The caller hands over a scrape and goes on while it is stored; the next hand-over waits. */
static void caller_goes_on_while_stored(void **st)
{
    (void)st;
    odz_bus *bus = bus_with_racing();
    odz_send_pipe *p = pipe_on(bus, "replay", true);
    odz_scrape sc = {0};
    pthread_mutex_lock(&mu);
    gate_open = 0;
    pthread_mutex_unlock(&mu);
    one_race(&sc, "r0");
    odz_send_pipe_submit(p, &sc, 1773460000);
    assert_true(odz_scrape_empty(&sc)); /* an empty one to fill next */
    pthread_mutex_lock(&mu);
    while (!started)
        pthread_cond_wait(&cv, &mu);
    assert_int_equal(n_got, 0); /* being stored, and the caller is here */
    gate_open = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    odz_send_pipe_drain(p);
    assert_int_equal(n_done, 1);
    odz_send_pipe_free(p);
    odz_scrape_free(&sc);
    odz_bus_close(bus);
}

/* Batches arrive in the order handed over, and freeing the pipe sends what it holds. */
static void order_kept_nothing_dropped(void **st)
{
    (void)st;
    odz_bus *bus = bus_with_racing();
    odz_send_pipe *p = pipe_on(bus, "replay", true);
    odz_scrape sc = {0};
    for (int i = 0; i < 8; i++) {
        char k[16];
        snprintf(k, sizeof k, "r%d", i);
        one_race(&sc, k);
        odz_send_pipe_submit(p, &sc, 1773460000 + i);
    }
    odz_send_pipe_free(p); /* no drain first */
    assert_int_equal(n_got, 8);
    assert_int_equal(n_done, 8);
    assert_int_equal(changed_sum, 8);
    for (int i = 0; i < 8; i++) {
        char k[16];
        snprintf(k, sizeof k, "r%d", i);
        assert_string_equal(order[i], k);
    }
    odz_scrape_free(&sc);
    odz_bus_close(bus);
}

/* A batch the racing service refuses is reported to the source with its words; the next one
 * still goes. */
static void refusal_reported(void **st)
{
    (void)st;
    odz_bus *bus = bus_with_racing();
    odz_send_pipe *p = pipe_on(bus, NULL, false);
    odz_scrape sc = {0};
    one_race(&sc, "bad");
    odz_send_pipe_submit(p, &sc, 1773460000);
    one_race(&sc, "good");
    odz_send_pipe_submit(p, &sc, 1773460001);
    odz_send_pipe_drain(p);
    assert_int_equal(failures, 1);
    assert_non_null(strstr(last_err, "bad race"));
    assert_int_equal(changed_sum, 1);
    assert_string_equal(order[1], "good");
    odz_send_pipe_free(p);
    odz_scrape_free(&sc);
    odz_bus_close(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(caller_goes_on_while_stored),
        cmocka_unit_test(order_kept_nothing_dropped),
        cmocka_unit_test(refusal_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

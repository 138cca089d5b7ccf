/* The per-source table: counts, lag and last message, markets, the bound, the series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/metrics.h"
#include "obs/source_metrics.h"

static json_t *entry_of(json_t *a, const char *name)
{
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) if (!strcmp(json_string_value(json_object_get(x, "source")), name))
        return x;
    return NULL;
}

static void counts_and_series(void **st)
{
    (void)st;
    odz_srcstat_request("tab-nz", "bookmaker", true, 0.25, 1000);
    odz_srcstat_request("tab-nz", "bookmaker", false, 9, 2000); /* a failure keeps the lag */
    odz_srcstat_error("tab-nz", "bookmaker");
    odz_srcstat_request("betfair", "exchange", true, 0.5, 1500);
    odz_srcstat_markets("betfair", 7, 2);
    json_t *a = odz_srcstat_json();
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "source")),
                        "betfair"); /* by name */
    json_t *t = entry_of(a, "tab-nz");
    assert_int_equal(json_integer_value(json_object_get(t, "requests")), 2);
    assert_int_equal(json_integer_value(json_object_get(t, "errors")), 2);
    assert_true(json_real_value(json_object_get(t, "lag_seconds")) == 0.25);
    assert_int_equal(json_integer_value(json_object_get(t, "last_message")), 1000);
    assert_string_equal(json_string_value(json_object_get(t, "kind")), "bookmaker");
    json_t *b = entry_of(a, "betfair");
    assert_int_equal(json_integer_value(json_object_get(b, "markets_matched")), 7);
    assert_int_equal(json_integer_value(json_object_get(b, "markets_unmatched")), 2);
    json_decref(a);
    char *txt = NULL;
    size_t len = 0;
    assert_int_equal(odz_metrics_render(&txt, &len), 0);
    assert_non_null(strstr(txt, "oddzy_source_requests_total{source=\"tab-nz\"} 2"));
    assert_non_null(strstr(txt, "oddzy_source_errors_total{source=\"tab-nz\"} 2"));
    assert_non_null(strstr(txt, "oddzy_source_last_message_timestamp_seconds{source=\"betfair\"} 1500"));
    assert_non_null(strstr(txt, "oddzy_source_markets{source=\"betfair\",state=\"matched\"} 7"));
    free(txt);
}

/* Names that are not label text, and sources past the bound, are counted as "other". */
static void bounded(void **st)
{
    (void)st;
    odz_srcstat_request("bad\"name", "bookmaker", true, 0, 1);
    for (int i = 0; i < 2 * ODZ_SOURCE_STATS_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        odz_srcstat_request(name, "bookmaker", true, 0, 1);
    }
    json_t *a = odz_srcstat_json();
    size_t n = json_array_size(a), named = 0;
    assert_true(n <= ODZ_SOURCE_STATS_MAX && n >= ODZ_SOURCE_STATS_MAX - 1);
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) named += json_string_value(json_object_get(x, "source"))[0] == 's';
    json_t *o = entry_of(a, "other");
    assert_non_null(o);
    /* the bad name, and every source that found no slot of its own */
    assert_int_equal(json_integer_value(json_object_get(o, "requests")),
                     1 + 2 * ODZ_SOURCE_STATS_MAX - named);
    json_decref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_and_series),
        cmocka_unit_test(bounded),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    odz_metrics_free_all();
    return rc;
}

/* Domain model: status machine, odds, JSON round trips, dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"

static void status_moves_forward_only(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN] = "";
    assert_int_equal(odz_status_transition(ODZ_OPEN, ODZ_CLOSED, err, sizeof err), 0);
    assert_int_equal(odz_status_transition(ODZ_CLOSED, ODZ_INTERIM, err, sizeof err), 0);
    assert_int_equal(odz_status_transition(ODZ_INTERIM, ODZ_FINAL, err, sizeof err), 0);
    assert_int_equal(odz_status_transition(ODZ_OPEN, ODZ_FINAL, err, sizeof err), 0);
    assert_int_equal(odz_status_transition(ODZ_OPEN, ODZ_ABANDONED, err, sizeof err), 0);
    assert_int_equal(odz_status_transition(ODZ_CLOSED, ODZ_ABANDONED, err, sizeof err), 0);
    assert_int_equal(odz_status_transition(ODZ_FINAL, ODZ_FINAL, err, sizeof err), 0);
    assert_int_equal(odz_status_transition(ODZ_FINAL, ODZ_OPEN, err, sizeof err), ODZ_ESTATE);
    assert_non_null(strstr(err, "FINAL to OPEN"));
    assert_int_equal(odz_status_transition(ODZ_INTERIM, ODZ_ABANDONED, err, sizeof err), ODZ_ESTATE);
    assert_int_equal(odz_status_transition(ODZ_FINAL, ODZ_ABANDONED, err, sizeof err), ODZ_ESTATE);
    assert_int_equal(odz_status_transition(ODZ_ABANDONED, ODZ_OPEN, err, sizeof err), ODZ_ESTATE);
    assert_int_equal(odz_status_transition(ODZ_ABANDONED, ODZ_FINAL, err, sizeof err), ODZ_ESTATE);
    assert_int_equal(odz_status_transition(ODZ_CLOSED, ODZ_OPEN, err, sizeof err), ODZ_ESTATE);
    assert_int_equal(odz_status_transition((odz_race_status)9, ODZ_OPEN, err, sizeof err), ODZ_EINVAL);
}

static void odds_are_integer_hundredths(void **st)
{
    (void)st;
    int o;
    assert_int_equal(odz_odds_parse("3.50", &o), 0);
    assert_int_equal(o, 350);
    assert_int_equal(odz_odds_parse("1.01", &o), 0);
    assert_int_equal(o, 101);
    assert_int_equal(odz_odds_from_double(2.675, &o), 0);
    assert_int_equal(o, 268);
    assert_int_equal(odz_odds_parse("0.5", &o), ODZ_EINVAL);
    assert_int_equal(odz_odds_parse("abc", &o), ODZ_EINVAL);
    assert_int_equal(odz_odds_parse("3.5x", &o), ODZ_EINVAL);
    assert_int_equal(odz_odds_parse("", &o), ODZ_EINVAL);
    assert_int_equal(odz_odds_parse("1e9", &o), ODZ_EINVAL);
}

static void race_json_round_trip_with_dead_heat(void **st)
{
    (void)st;
    odz_race r = {0}, back;
    strcpy(r.source_key, "k1");
    r.id = 7;
    r.meeting_id = 3;
    r.number = 4;
    strcpy(r.name, "Maiden \"Plate\"");
    r.distance = 1200;
    r.scheduled_start = 1700000000;
    r.status = ODZ_FINAL;
    r.n_results = 4;
    r.results[0] = (odz_placing){1, 5, ""};
    r.results[1] = (odz_placing){1, 2, "DH"};
    r.results[2] = (odz_placing){3, 7, "1.5L"};
    r.results[3] = (odz_placing){4, 1, "2L"};
    r.n_dividends = 1;
    strcpy(r.dividends[0].pool, "WIN");
    strcpy(r.dividends[0].combination, "5");
    r.dividends[0].amount = 350;
    json_t *j = odz_race_to_json(&r);
    char err[ODZ_ERRLEN];
    assert_int_equal(odz_race_from_json(j, &back, err, sizeof err), 0);
    json_decref(j);
    assert_int_equal(back.n_results, 4);
    assert_int_equal(back.results[0].position, 1);
    assert_int_equal(back.results[1].position, 1);
    assert_int_equal(back.results[1].number, 2);
    assert_string_equal(back.name, "Maiden \"Plate\"");
    assert_int_equal(back.status, ODZ_FINAL);
    assert_int_equal(back.dividends[0].amount, 350);
    assert_false(back.dividends[0].interim);
}

static void json_decoders_reject_bad_input(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN];
    odz_race r;
    odz_meeting m;
    odz_selection s;
    odz_price p;
    const char *bad_races[] = {
        "[]", "{\"source_key\":\"a\"}", "{\"source_key\":\"a\",\"number\":\"1\"}",
        "{\"source_key\":\"a\",\"number\":1,\"status\":\"RUNNING\"}",
        "{\"source_key\":\"a\",\"number\":1,\"results\":[{\"position\":1}]}",
        "{\"source_key\":\"a\",\"number\":1,\"distance\":-5}",
    };
    for (size_t i = 0; i < sizeof bad_races / sizeof *bad_races; i++) {
        json_t *j = json_loads(bad_races[i], 0, NULL);
        assert_int_equal(odz_race_from_json(j, &r, err, sizeof err), ODZ_EINVAL);
        json_decref(j);
    }
    json_t *j = json_loads("{\"source_key\":\"m\",\"name\":\"X\",\"race_type\":\"camel\","
                           "\"date\":\"2026-11-25\"}", 0, NULL);
    assert_int_equal(odz_meeting_from_json(j, &m, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "camel"));
    json_decref(j);
    j = json_loads("{\"source_key\":\"m\",\"name\":\"X\",\"race_type\":\"harness\","
                   "\"date\":\"2026-02-30\"}", 0, NULL);
    assert_int_equal(odz_meeting_from_json(j, &m, err, sizeof err), ODZ_EINVAL);
    json_decref(j);
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    j = json_pack("{s:s,s:i,s:s}", "source_key", "s", "number", 1, "name", big);
    assert_int_equal(odz_selection_from_json(j, &s, err, sizeof err), ODZ_EINVAL);
    json_decref(j);
    j = json_loads("{\"selection_id\":1,\"market\":\"fixed_win\",\"odds\":50}", 0, NULL);
    assert_int_equal(odz_price_from_json(j, &p, err, sizeof err), ODZ_EINVAL);
    json_decref(j);
    assert_null(odz_json_loadb("{\"a\":", 5, 100, err, sizeof err));
    assert_null(odz_json_loadb("{}", 2, 1, err, sizeof err));
}

/* Results and dividends: bounded arrays of objects, copied into the race only when every line
 * is good. */
static void results_and_dividends_lines(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN];
    odz_race *r = calloc(1, sizeof *r);
    assert_non_null(r);
    json_t *j = json_loads("[{\"position\":1,\"number\":4,\"margin\":\"1.5L\"},"
                           "{\"position\":1,\"number\":7}]",
                           0, NULL);
    assert_int_equal(odz_results_from_json(j, r, err, sizeof err), 0);
    json_decref(j);
    assert_int_equal(r->n_results, 2);
    assert_int_equal(r->results[1].number, 7);
    assert_string_equal(r->results[0].margin, "1.5L");
    j = json_loads("[{\"pool\":\"WIN\",\"status\":\"interim\",\"combination\":\"4\","
                   "\"amount\":350}]",
                   0, NULL);
    assert_int_equal(odz_dividends_from_json(j, r, err, sizeof err), 0);
    json_decref(j);
    assert_int_equal(r->n_dividends, 1);
    assert_true(r->dividends[0].interim);
    assert_int_equal(r->dividends[0].amount, 350);
    static const struct {
        int dividends;
        const char *text, *words;
    } bad[] = {
        {0, "{}", "results must be an array"},
        {0, "[{\"position\":1,\"number\":2},3]", "result line must be a JSON object"},
        {0, "[{\"position\":1}]", "result line needs position and number"},
        {1, "\"WIN\"", "dividends must be an array"},
        {1, "[[]]", "dividend must be a JSON object"},
        {1, "[{\"status\":\"final\"}]", "pool"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = json_loads(bad[i].text, JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        int rc = bad[i].dividends ? odz_dividends_from_json(j, r, err, sizeof err)
                                  : odz_results_from_json(j, r, err, sizeof err);
        json_decref(j);
        assert_int_equal(rc, ODZ_EINVAL);
        assert_non_null(strstr(err, bad[i].words));
    }
    /* more lines than a race holds */
    json_t *many = json_array(), *divs = json_array();
    for (int i = 0; i <= ODZ_MAX_DIVIDENDS; i++) {
        json_array_append_new(many, json_pack("{s:i,s:i}", "position", 1, "number", 1));
        json_array_append_new(divs, json_pack("{s:s}", "pool", "WIN"));
    }
    assert_int_equal(odz_results_from_json(many, r, err, sizeof err), ODZ_EINVAL);
    assert_string_equal(err, "more than 32 result lines");
    assert_int_equal(odz_dividends_from_json(divs, r, err, sizeof err), ODZ_EINVAL);
    assert_string_equal(err, "more than 48 dividends");
    json_decref(many);
    json_decref(divs);
    /* nothing written by a refused decode; null is none */
    assert_int_equal(r->n_results, 2);
    assert_int_equal(r->n_dividends, 1);
    assert_int_equal(odz_results_from_json(json_null(), r, err, sizeof err), 0);
    assert_int_equal(odz_dividends_from_json(NULL, r, err, sizeof err), 0);
    assert_int_equal(r->n_results, 0);
    assert_int_equal(r->n_dividends, 0);
    free(r);
}

static void race_days_in_sydney(void **st)
{
    (void)st;
    char d[11];
    /* 2026-11-25 14:00 UTC = 2026-11-26 01:00 AEDT */
    assert_int_equal(odz_race_day(1795615200, NULL, d), 0);
    assert_string_equal(d, "2026-11-26");
    assert_int_equal(odz_race_day(1795615200, "UTC", d), 0);
    assert_string_equal(d, "2026-11-25");
    assert_int_equal(odz_race_day(0, "Not/AZone", d), ODZ_EINVAL);
    assert_int_equal(odz_race_day(0, "../etc/passwd", d), ODZ_EINVAL);
    int64_t a, b;
    assert_int_equal(odz_day_bounds("2026-11-26", "Australia/Sydney", &a, &b), 0);
    assert_int_equal(b - a, 86400);
    assert_int_equal(a, 1795611600); /* 2026-11-25 13:00 UTC */
    /* DST ends first Sunday of April: 25-hour day */
    assert_int_equal(odz_day_bounds("2026-04-05", "Australia/Sydney", &a, &b), 0);
    assert_int_equal(b - a, 90000);
    assert_int_equal(odz_date_add("2026-12-31", 1, d), 0);
    assert_string_equal(d, "2027-01-01");
    assert_int_equal(odz_date_add("2026-03-01", -1, d), 0);
    assert_string_equal(d, "2026-02-28");
    assert_int_equal(odz_date_valid("2026-13-01"), ODZ_EINVAL);
    assert_int_equal(odz_date_valid("2026-1-01"), ODZ_EINVAL);
    assert_int_equal(odz_date_valid("2024-02-29"), 0);
    int64_t t;
    assert_int_equal(odz_parse_iso8601("2025-07-17T02:00:00Z", &t), 0);
    assert_int_equal(t, 1752717600);
    assert_int_equal(odz_parse_iso8601("2025-07-17T12:00:00+10:00", &t), 0);
    assert_int_equal(t, 1752717600);
    assert_int_equal(odz_parse_iso8601("2025-07-17", &t), ODZ_EINVAL);
    char iso[21];
    odz_format_iso8601(1752717600, iso);
    assert_string_equal(iso, "2025-07-17T02:00:00Z");
}

static void strlcpy_cuts_on_utf8_boundary(void **st)
{
    (void)st;
    char b[5];
    assert_int_equal(odz_strlcpy(b, "ab\xc3\xa9z", sizeof b), ODZ_EINVAL); /* "abéz" */
    assert_string_equal(b, "ab\xc3\xa9");
    assert_int_equal(odz_strlcpy(b, "abc\xc3\xa9", sizeof b), ODZ_EINVAL);
    assert_string_equal(b, "abc");
    assert_int_equal(odz_strlcpy(b, "ok", sizeof b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_moves_forward_only),
        cmocka_unit_test(odds_are_integer_hundredths),
        cmocka_unit_test(race_json_round_trip_with_dead_heat),
        cmocka_unit_test(json_decoders_reject_bad_input),
        cmocka_unit_test(results_and_dividends_lines),
        cmocka_unit_test(race_days_in_sydney),
        cmocka_unit_test(strlcpy_cuts_on_utf8_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

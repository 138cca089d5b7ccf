/* The upsert_batch body over the bus: exchange books round trip in integer units and bad
 * books are refused whole, with words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/json.h"
#include "racing/racing.h"

static odz_exbook a_book(void)
{
    odz_exbook b = {.provider = "betfair", .ts = 1795600050};
    b.book.back[0] = (odz_exchange_offer){345, 12050};
    b.book.back[1] = (odz_exchange_offer){340, 500};
    b.book.back[2] = (odz_exchange_offer){330, 99999999999};
    b.book.lay[0] = (odz_exchange_offer){350, 1};
    b.book.last_traded = 345;
    b.book.traded_volume = 123456789;
    b.book.starting_price = 347;
    return b;
}

static void books_round_trip(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN];
    odz_batch_exbook bb[2] = {{"S1", a_book()}, {"S2", a_book()}};
    bb[1].book.book = (odz_exchange_book){0}; /* an empty book is a book */
    snprintf(bb[1].book.provider, sizeof bb[1].book.provider, "betfair_place");
    bb[0].book.selection_id = 42; /* not sent: the service resolves the key */
    odz_batch b = {.books = bb, .n_books = 2};
    json_t *j = odz_batch_to_json(&b);
    assert_non_null(j);
    json_t *b0 = json_array_get(json_object_get(j, "books"), 0);
    assert_null(json_object_get(b0, "selection_id"));
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(json_object_get(b0, "back"), 0), "size")),
        12050);
    odz_batch_owned o;
    assert_int_equal(odz_batch_from_json(j, &o, err, sizeof err), 0);
    assert_int_equal(o.batch.n_books, 2);
    assert_string_equal(o.batch.books[0].selection_key, "S1");
    assert_string_equal(o.batch.books[1].selection_key, "S2");
    odz_exbook want = a_book();
    const odz_exbook *got = &o.batch.books[0].book;
    assert_int_equal(got->selection_id, 0);
    assert_string_equal(got->provider, "betfair");
    assert_true(odz_exchange_book_same(&got->book, &want.book));
    assert_true(got->book.back[2].size == 99999999999);
    assert_int_equal(got->ts, want.ts);
    assert_string_equal(o.batch.books[1].book.provider, "betfair_place");
    assert_int_equal(o.batch.books[1].book.book.back[0].odds, 0);
    odz_batch_owned_free(&o);
    json_decref(j);
    /* a batch without books decodes with none */
    j = json_pack("{s:[]}", "prices");
    assert_int_equal(odz_batch_from_json(j, &o, err, sizeof err), 0);
    assert_int_equal(o.batch.n_books, 0);
    odz_batch_owned_free(&o);
    json_decref(j);
}

/* Each bad book (as JSON text, in a batch of its own) is refused with `words` in the error. */
static void refuse(const char *book, const char *words)
{
    char text[1024], err[ODZ_ERRLEN] = "";
    snprintf(text, sizeof text, "{\"books\":[%s]}", book);
    json_t *j = json_loads(text, 0, NULL);
    if (!j)
        fail_msg("test JSON: %s", text);
    odz_batch_owned o;
    int rc = odz_batch_from_json(j, &o, err, sizeof err);
    if (rc != ODZ_EINVAL || !strstr(err, words))
        fail_msg("%s: rc %d, error '%s', wanted '%s'", book, rc, err, words);
    json_decref(j);
}

static void bad_books_refused(void **st)
{
    (void)st;
#define OK_HEAD "\"selection_key\":\"S1\",\"provider\":\"betfair\""
    static const struct {
        const char *book, *words;
    } bad[] = {
        {"{\"provider\":\"betfair\"}", "needs a selection_key"},
        {"{\"selection_key\":\"S1\"}", "provider"},
        {"{\"selection_key\":\"S1\",\"provider\":\"\"}", "provider"},
        {"{" OK_HEAD ",\"back\":{}}", "'back' must be an array"},
        {"{" OK_HEAD ",\"back\":[{\"odds\":400,\"size\":1},{\"odds\":300,\"size\":1},"
         "{\"odds\":200,\"size\":1},{\"odds\":150,\"size\":1}]}",
         "at most 3 levels"},
        {"{" OK_HEAD ",\"back\":[3]}", "book level"},
        {"{" OK_HEAD ",\"back\":[{\"odds\":3.45,\"size\":1}]}", "'odds' must be an integer"},
        {"{" OK_HEAD ",\"back\":[{\"odds\":100,\"size\":1}]}", "odds 100 out of"},
        {"{" OK_HEAD ",\"lay\":[{\"odds\":100001,\"size\":1}]}", "out of 101..100000"},
        {"{" OK_HEAD ",\"back\":[{\"odds\":345,\"size\":-1}]}", "'size' out of range"},
        {"{" OK_HEAD ",\"back\":[{\"odds\":345,\"size\":100000000000001}]}", "'size' out of range"},
        {"{" OK_HEAD ",\"back\":[{\"odds\":345,\"size\":0}]}", "size 0 cents"},
        {"{" OK_HEAD ",\"back\":[{\"odds\":0,\"size\":0},{\"odds\":300,\"size\":5}]}",
         "follows an empty level"},
        {"{" OK_HEAD ",\"back\":[{\"odds\":300,\"size\":5},{\"odds\":310,\"size\":5}]}",
         "back level 2 is not worse"},
        {"{" OK_HEAD ",\"lay\":[{\"odds\":300,\"size\":5},{\"odds\":300,\"size\":5}]}",
         "lay level 2 is not worse"},
        {"{" OK_HEAD ",\"last_traded\":99}", "last traded 99"},
        {"{" OK_HEAD ",\"starting_price\":-5}", "'starting_price' out of range"},
        {"{" OK_HEAD ",\"traded_volume\":\"lots\"}", "'traded_volume' must be an integer"},
        {"{" OK_HEAD ",\"ts\":99999999999}", "'ts' out of range"},
        {"{" OK_HEAD ",\"provider\":\"0123456789012345678901234567890123\"}", "provider"},
        {"7", "book"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refuse(bad[i].book, bad[i].words);
    /* more books than a batch takes */
    size_t n = ODZ_BATCH_MAX_BOOKS + 1;
    json_t *many = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(many, json_object());
    json_t *j = json_pack("{s:o}", "books", many);
    char err[ODZ_ERRLEN];
    odz_batch_owned o;
    assert_int_equal(odz_batch_from_json(j, &o, err, sizeof err), ODZ_EINVAL);
    assert_non_null(strstr(err, "'books' must be an array of at most"));
    json_decref(j);
}

/* A race, selection or price without the key of what it belongs to is refused by its place. */
static void keyless_rows_refused(void **st)
{
    (void)st;
    static const struct {
        const char *batch, *words;
    } bad[] = {
        {"{\"races\":[{\"race\":{}}]}", "race 0 needs a meeting_key"},
        {"{\"selections\":[{\"selection\":{}}]}", "selection 0 needs a race_key"},
        {"{\"prices\":[{\"odds\":250}]}", "price 0 needs a selection_key"},
        {"{\"races\":[{\"meeting_key\":\"\",\"race\":{}}]}", "race 0 needs a meeting_key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[ODZ_ERRLEN] = "";
        json_t *j = json_loads(bad[i].batch, 0, NULL);
        assert_non_null(j);
        odz_batch_owned o;
        assert_int_equal(odz_batch_from_json(j, &o, err, sizeof err), ODZ_EINVAL);
        assert_string_equal(err, bad[i].words);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(books_round_trip),
        cmocka_unit_test(bad_books_refused),
        cmocka_unit_test(keyless_rows_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

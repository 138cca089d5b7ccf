/* racing/event_text and core/json_text: the price and book events written as text are byte
 * for byte the jansson encoding they replaced (kept here as the reference), for many generated
 * events and names with quotes, backslashes, control characters, non-ASCII and invalid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/json_text.h"
#include "racing/event_text.h"

/* ---- the reference: the jansson encoding of racing/events.c before the text writer ---- */

static char *ref_price(const odz_price_change *pc)
{
    json_t *ev = json_pack("{s:I,s:I,s:i,s:s,s:s,s:o,s:o,s:I}", "race_id", (json_int_t)pc->race_id,
                           "selection_id", (json_int_t)pc->price.selection_id, "number", pc->number,
                           "market", odz_market_name(pc->price.market), "provider",
                           pc->price.provider, "price", odz_json_odds(pc->price.odds), "previous",
                           odz_json_odds(pc->previous), "ts", (json_int_t)pc->price.ts);
    if (ev && (pc->price.market == ODZ_EXCHANGE_BACK || pc->price.market == ODZ_EXCHANGE_LAY))
        json_object_set_new(ev, "size", pc->size >= 0 ? odz_json_money(pc->size) : json_null());
    char *txt = ev ? odz_json_dumps(ev) : NULL;
    json_decref(ev);
    return txt;
}

static char *ref_book(const odz_exbook_change *bc)
{
    const odz_exbook *b = &bc->book;
    json_t *ev = json_pack("{s:I,s:I,s:i,s:s,s:I}", "race_id", (json_int_t)bc->race_id,
                           "selection_id", (json_int_t)b->selection_id, "number", bc->number,
                           "provider", b->provider, "ts", (json_int_t)b->ts);
    json_t *book = odz_exchange_book_to_json(&b->book);
    if (ev && (!book || json_object_update(ev, book))) {
        json_decref(ev);
        ev = NULL;
    }
    json_decref(book);
    char *txt = ev ? odz_json_dumps(ev) : NULL;
    json_decref(ev);
    return txt;
}

/* ---- generated input -------------------------------------------------------------------- */

/* 64 random bits from libc's generator, seeded in main: the same input every run */
static uint64_t next(void)
{
    return (uint64_t)random() << 33 ^ (uint64_t)random() << 2 ^ (uint64_t)random();
}

static int64_t range(int64_t lo, int64_t hi) /* lo..hi */
{
    return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
}

/* one code point as UTF-8 at p, its length */
static size_t put_cp(char *p, uint32_t c)
{
    if (c < 0x80) {
        p[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        p[0] = (char)(0xc0 | c >> 6);
        p[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        p[0] = (char)(0xe0 | c >> 12);
        p[1] = (char)(0x80 | (c >> 6 & 0x3f));
        p[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    p[0] = (char)(0xf0 | c >> 18);
    p[1] = (char)(0x80 | (c >> 12 & 0x3f));
    p[2] = (char)(0x80 | (c >> 6 & 0x3f));
    p[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* A name of at most cap-1 bytes: plain, or with the characters JSON escapes, non-ASCII, or
 * (one in eight) arbitrary bytes, mostly not UTF-8. */
static void gen_name(char *s, size_t cap)
{
    static const char *plain[] = {"betfair",   "betfair_place", "tab",
                                  "ladbrokes", "neds",          "O'Brien"};
    int kind = (int)range(0, 7);
    if (kind < 3) {
        snprintf(s, cap, "%s", plain[range(0, 5)]);
        return;
    }
    size_t n = 0, want = (size_t)range(0, (int64_t)cap - 1);
    while (n < want) {
        char b[4];
        size_t k;
        if (kind == 7) {
            b[0] = (char)range(1, 255);
            k = 1;
        } else {
            switch (range(0, 5)) {
            case 0:
                k = put_cp(b, (uint32_t)range(1, 0x1f));
                break;
            case 1:
                k = put_cp(b, range(0, 1) ? '"' : '\\');
                break;
            case 2:
                k = put_cp(b, (uint32_t)range(0x20, 0x7f));
                break;
            case 3:
                k = put_cp(b, (uint32_t)range(0x80, 0x7ff));
                break;
            case 4: {
                uint32_t c = (uint32_t)range(0x800, 0xfffd);
                k = put_cp(b, c >= 0xd800 && c <= 0xdfff ? 0xe9 : c);
                break;
            }
            default:
                k = put_cp(b, (uint32_t)range(0x10000, 0x10ffff));
                break;
            }
        }
        if (n + k > want)
            break;
        memcpy(s + n, b, k);
        n += k;
    }
    s[n] = '\0';
}

static int gen_odds(void)
{
    switch (range(0, 5)) {
    case 0:
        return 0;
    case 1:
        return (int)range(101, 1000) / 10 * 10; /* whole tenths: 4.2 */
    case 2:
        return (int)range(1, 1000) * 100; /* whole: 4.0 */
    case 3:
        return INT_MAX - (int)range(0, 3);
    default:
        return (int)range(101, 100000);
    }
}

static int64_t gen_money(void)
{
    switch (range(0, 5)) {
    case 0:
        return 0;
    case 1:
        return range(1, 100000) * 100;
    case 2:
        return range(9999999990LL, 10000000010LL); /* around 10 significant digits */
    case 3:
        return range(-100000, -1);
    case 4:
        return range(ODZ_MONEY_MAX - 1000, ODZ_MONEY_MAX);
    default:
        return range(1, ODZ_MONEY_MAX);
    }
}

static int64_t gen_id(void)
{
    return range(0, 3) ? range(1, 100000) : (int64_t)(next() >> 1) * (range(0, 1) ? 1 : -1);
}

static void same(const char *ref, odz_text *t, bool ok)
{
    if (!ref) {
        assert_false(ok);
        return;
    }
    assert_true(ok);
    assert_false(t->oom);
    if (strlen(ref) != t->n || memcmp(ref, t->s, t->n))
        fail_msg("jansson: %s\ntext:    %.*s", ref, (int)t->n, t->s);
}

/* ---- tests ---------------------------------------------------------------------------- */

/* s written by odz_text_json_string as jansson dumps it, or refused by both */
static void escapes_as_jansson(odz_text *t, const char *s)
{
    json_t *j = json_string(s);
    char *ref = j ? json_dumps(j, ODZ_JSON_DUMP_FLAGS | JSON_ENCODE_ANY) : NULL;
    t->n = 0;
    same(ref, t, odz_text_json_string(t, s));
    free(ref);
    json_decref(j);
}

static void strings_escape_as_jansson(void **state)
{
    (void)state;
    odz_text t = {0};
    char s[64];
    for (int c = 1; c < 256; c++) { /* every single byte */
        s[0] = (char)c;
        s[1] = '\0';
        escapes_as_jansson(&t, s);
    }
    for (int i = 0; i < 20000; i++) {
        gen_name(s, sizeof s);
        escapes_as_jansson(&t, s);
    }
    assert_false(odz_text_json_string(&t, NULL));
    free(t.s);
}

static void units_as_jansson_reals(void **state)
{
    (void)state;
    odz_text t = {0};
    for (int64_t i = -300000; i < 300000 + 200000; i++) {
        int64_t v = i < 300000 ? i : gen_money();
        json_t *j = odz_json_money(v);
        char *ref = json_dumps(j, ODZ_JSON_DUMP_FLAGS | JSON_ENCODE_ANY);
        t.n = 0;
        odz_text_json_units(&t, v);
        same(ref, &t, true);
        free(ref);
        json_decref(j);
    }
    free(t.s);
}

static void price_events_as_jansson(void **state)
{
    (void)state;
    odz_text t = {0};
    int refused = 0;
    for (int i = 0; i < 50000; i++) {
        odz_price_change pc = {.previous = gen_odds(),
                               .race_id = gen_id(),
                               .number = (int)range(INT_MIN / 2, INT_MAX / 2) %
                                         (range(0, 3) ? 30 : INT_MAX),
                               .size = range(0, 3) ? gen_money() : -1};
        pc.price.selection_id = gen_id();
        pc.price.market = (odz_market)range(0, ODZ_MARKETS - 1);
        pc.price.odds = gen_odds();
        pc.price.ts = range(0, 1) ? range(1700000000, 1900000000) : gen_id();
        gen_name(pc.price.provider, sizeof pc.price.provider);
        char *ref = ref_price(&pc);
        refused += !ref;
        t.n = 0;
        same(ref, &t, odz_price_event_text(&t, &pc));
        free(ref);
    }
    assert_true(refused > 0); /* invalid UTF-8 names were among them, refused by both */
    free(t.s);
}

static void book_events_as_jansson(void **state)
{
    (void)state;
    odz_text t = {0};
    for (int i = 0; i < 50000; i++) {
        odz_exbook_change bc = {.race_id = gen_id(), .number = (int)range(0, 30)};
        odz_exbook *b = &bc.book;
        b->selection_id = gen_id();
        b->ts = range(1700000000, 1900000000);
        gen_name(b->provider, sizeof b->provider);
        for (int side = 0; side < 2; side++) {
            odz_exchange_offer *o = side ? b->book.lay : b->book.back;
            int levels = (int)range(0, ODZ_EXCHANGE_DEPTH);
            for (int k = 0; k < levels; k++)
                o[k] = (odz_exchange_offer){gen_odds() | 1, gen_money()};
        }
        b->book.last_traded = gen_odds();
        b->book.traded_volume = gen_money();
        b->book.starting_price = gen_odds();
        char *ref = ref_book(&bc);
        t.n = 0;
        same(ref, &t, odz_book_event_text(&t, &bc));
        free(ref);
    }
    free(t.s);
}

/* The numbers written exactly as clients got them: a whole price keeps its ".0". */
static void known_text(void **state)
{
    (void)state;
    odz_price_change pc = {.previous = 400, .race_id = 7, .number = 3, .size = 12050};
    pc.price =
        (odz_price){.selection_id = 71, .market = ODZ_EXCHANGE_BACK, .odds = 420, .ts = 1700000000};
    snprintf(pc.price.provider, sizeof pc.price.provider, "bet\"fair\\\n\x01\xc3\xa9");
    odz_text t = {0};
    assert_true(odz_price_event_text(&t, &pc));
    assert_string_equal(t.s, "{\"race_id\":7,\"selection_id\":71,\"number\":3,\"market\":\""
                             "exchange_back\",\"provider\":\"bet\\\"fair\\\\\\n\\u0001\xc3\xa9\","
                             "\"price\":4.2,\"previous\":4.0,\"ts\":1700000000,\"size\":120.5}");
    free(t.s);
}

int main(void)
{
    srandom(20261203);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strings_escape_as_jansson),
        cmocka_unit_test(units_as_jansson_reals),
        cmocka_unit_test(price_events_as_jansson),
        cmocka_unit_test(book_events_as_jansson),
        cmocka_unit_test(known_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

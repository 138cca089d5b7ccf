/* Parsed JSON from an arena (core/json_arena.h): the tree reads as json_loadb's would, comes
 * from the arena's blocks, goes with the next parse, stays within the arena's bound, and
 * jansson everywhere else (another thread included) still allocates and frees one by one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/json_arena.h"
#include "core/wait.h"

/* A message of n runner changes, like a Betfair mcm line. */
static char *message(size_t n)
{
    size_t cap = 64 + n * 96, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    len += (size_t)snprintf(s + len, cap - len, "{\"op\":\"mcm\",\"pt\":1700000000000,\"rc\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "%s{\"id\":%zu,\"batb\":[[0,3.45,120.5],[1,3.4,12]],\"ltp\":3.5}",
                                i ? "," : "", i + 1);
    snprintf(s + len, cap - len, "]}");
    return s;
}

static void reads_as_json_loadb_does(void **state)
{
    (void)state;
    odz_json_arena *a = odz_json_arena_new(0);
    assert_non_null(a);
    char *text = message(50);
    json_error_t je;
    const json_t *j = odz_json_arena_loadb(a, text, strlen(text), JSON_REJECT_DUPLICATES, &je);
    assert_non_null(j);
    json_t *plain = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, &je);
    assert_non_null(plain);
    assert_true(json_equal(j, plain));
    const json_t *rc = json_object_get(j, "rc");
    assert_int_equal(json_array_size(rc), 50);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rc, 49), "id")), 50);
    assert_true(odz_json_arena_bytes(a) > 0); /* the tree is in the arena's blocks */
    json_decref(plain);
    /* the same errors as json_loadb, and the arena is ready for the next message */
    assert_null(odz_json_arena_loadb(a, "{\"a\":1,\"a\":2}", 13, JSON_REJECT_DUPLICATES, &je));
    assert_non_null(strstr(je.text, "duplicate"));
    assert_null(odz_json_arena_loadb(a, "{\"a\":", 5, 0, &je));
    j = odz_json_arena_loadb(a, "[1,2,3]", 7, 0, &je);
    assert_int_equal(json_array_size(j), 3);
    free(text);
    odz_json_arena_free(a);
    odz_json_arena_free(NULL);
}

static void the_next_parse_reuses_the_blocks(void **state)
{
    (void)state;
    odz_json_arena *a = odz_json_arena_new(0);
    char *text = message(200);
    json_error_t je;
    assert_non_null(odz_json_arena_loadb(a, text, strlen(text), 0, &je));
    size_t held = odz_json_arena_bytes(a);
    for (int i = 0; i < 1000; i++) /* a thousand messages: the arena does not grow */
        assert_non_null(odz_json_arena_loadb(a, text, strlen(text), 0, &je));
    assert_int_equal(odz_json_arena_bytes(a), held);
    free(text);
    /* a large message's blocks past what is kept go at the next parse */
    char *big = message(40000);
    assert_non_null(odz_json_arena_loadb(a, big, strlen(big), 0, &je));
    assert_true(odz_json_arena_bytes(a) > ((size_t)8 << 20));
    assert_non_null(odz_json_arena_loadb(a, "{}", 2, 0, &je));
    assert_true(odz_json_arena_bytes(a) <= ((size_t)4 << 20));
    free(big);
    odz_json_arena_free(a);
}

static void bounded(void **state)
{
    (void)state;
    odz_json_arena *a = odz_json_arena_new(256 << 10); /* 256 KiB */
    char *text = message(20000);                       /* about 1.5 MB of text */
    json_error_t je;
    assert_null(odz_json_arena_loadb(a, text, strlen(text), 0, &je));
    assert_true(odz_json_arena_bytes(a) <= (256 << 10));
    free(text);
    /* a message that fits still parses in the same arena */
    text = message(10);
    assert_non_null(odz_json_arena_loadb(a, text, strlen(text), 0, &je));
    free(text);
    odz_json_arena_free(a);
}

/* Another thread builds, dumps and frees jansson values while this one parses into an arena:
 * its values are malloc's, freed one by one (ASan would report a free of arena memory or a
 * leak), and both trees come out whole. */
static void *other_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        json_t *o = json_pack("{s:i,s:[s,f]}", "n", i, "xs", "text", 1.5);
        if (!o)
            return "pack";
        char *s = json_dumps(o, JSON_COMPACT);
        bool ok = s && strstr(s, "\"text\"");
        free(s);
        json_decref(o);
        if (!ok)
            return "dump";
    }
    return NULL;
}

static void other_jansson_use_is_unchanged(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    odz_json_arena *a = odz_json_arena_new(0);
    char *text = message(100);
    json_error_t je;
    for (int i = 0; i < 200; i++) {
        const json_t *j = odz_json_arena_loadb(a, text, strlen(text), 0, &je);
        assert_int_equal(json_array_size(json_object_get(j, "rc")), 100);
        /* jansson on this thread outside a parse: malloc and free as ever */
        json_t *own = json_integer(i);
        assert_int_equal(json_integer_value(own), i);
        json_decref(own);
    }
    void *res;
    pthread_join(t, &res);
    assert_null(res);
    free(text);
    odz_json_arena_free(a);
}

/* odz_json_loadb_scratch: the same bound and errors as odz_json_loadb and the same tree; each
 * thread parses into its own arena (two threads at once, each reading its own tree while the
 * other parses), and a thread's arena goes with it (the sanitizer build would report it
 * otherwise). */
typedef struct {
    size_t runners;
    int ok;
} scratch_job;

static void *scratch_thread(void *arg)
{
    scratch_job *job = arg;
    char *text = message(job->runners);
    char err[ODZ_ERRLEN];
    job->ok = 1;
    for (int round = 0; round < 50; round++) {
        const json_t *j = odz_json_loadb_scratch(text, strlen(text), 1 << 20, err, sizeof err);
        const json_t *rc = j ? json_object_get(j, "rc") : NULL;
        if (!rc || json_array_size(rc) != job->runners ||
            json_integer_value(json_object_get(json_array_get(rc, job->runners - 1), "id")) !=
                (json_int_t)job->runners)
            job->ok = 0;
    }
    free(text);
    return NULL;
}

static void scratch_per_thread(void **state)
{
    (void)state;
    char err[ODZ_ERRLEN], err2[ODZ_ERRLEN];
    char *text = message(20);
    const json_t *j = odz_json_loadb_scratch(text, strlen(text), 1 << 20, err, sizeof err);
    json_t *k = odz_json_loadb(text, strlen(text), 1 << 20, err, sizeof err);
    assert_non_null(j);
    assert_non_null(k);
    assert_true(json_equal((json_t *)(uintptr_t)j, k));
    json_decref(k);
    /* the bound and a syntax error, worded as odz_json_loadb words them */
    assert_null(odz_json_loadb_scratch(text, strlen(text), 10, err, sizeof err));
    assert_null(odz_json_loadb(text, strlen(text), 10, err2, sizeof err2));
    assert_string_equal(err, err2);
    assert_null(odz_json_loadb_scratch("{\"a\":1,\"a\":2}", 13, 100, err, sizeof err));
    assert_null(odz_json_loadb("{\"a\":1,\"a\":2}", 13, 100, err2, sizeof err2));
    assert_string_equal(err, err2);
    free(text);
    scratch_job a = {.runners = 30}, b = {.runners = 700};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, scratch_thread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, scratch_thread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_true(a.ok);
    assert_true(b.ok);
}

/* A background thread's parse has seams (a yield every 16 KB of text) and reads, and fails,
 * exactly as json_loadb does. */
typedef struct {
    bool equal, errors_equal;
    unsigned long yields, yields_small;
    size_t len;
} pieces_run;

static bool same_error(odz_json_arena *a, const char *text, size_t len, size_t flags)
{
    json_error_t je, plain;
    if (odz_json_arena_loadb(a, text, len, flags, &je) || json_loadb(text, len, flags, &plain))
        return false;
    return je.line == plain.line && je.column == plain.column && je.position == plain.position &&
           strcmp(je.text, plain.text) == 0;
}

static void *pieces_thread(void *arg)
{
    pieces_run *r = arg;
    odz_thread_background("test-pieces");
    odz_json_arena *a = odz_json_arena_new(0);
    char *text = message(2000);
    r->len = strlen(text);
    json_error_t je;
    unsigned long y0 = odz_thread_yield_count();
    const json_t *j = odz_json_arena_loadb(a, text, r->len, JSON_REJECT_DUPLICATES, &je);
    r->yields = odz_thread_yield_count() - y0;
    json_t *plain = json_loadb(text, r->len, JSON_REJECT_DUPLICATES, &je);
    r->equal = j && plain && json_equal(j, plain);
    json_decref(plain);
    y0 = odz_thread_yield_count();
    r->equal = r->equal && odz_json_arena_loadb(a, "[1,2]", 5, 0, &je);
    r->yields_small = odz_thread_yield_count() - y0;
    /* errors: far into the text, a duplicate key, a NUL inside a string, text after the value */
    text[r->len - 40] = '}';
    static const char nul[] = "{\"a\":\"x\0y\"}";
    r->errors_equal = same_error(a, text, r->len, 0) &&
                      same_error(a, "{\"a\":1,\"a\":2}", 13, JSON_REJECT_DUPLICATES) &&
                      same_error(a, nul, sizeof nul - 1, 0) && same_error(a, "[1] [2]", 7, 0) &&
                      same_error(a, "", 0, 0);
    free(text);
    odz_json_arena_free(a);
    return NULL;
}

static void background_parse_has_seams(void **state)
{
    (void)state;
    odz_thread_set_background_nice(10);
    pieces_run r = {0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pieces_thread, &r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    odz_thread_set_background_nice(0);
    assert_true(r.equal);
    assert_true(r.errors_equal);
    assert_true(r.len > 100000);
    assert_true(r.yields >= r.len / (16 << 10) - 1);
    assert_int_equal(r.yields_small, 0); /* a short message: no seam */
    /* not lowered (this thread): no yields */
    odz_json_arena *a = odz_json_arena_new(0);
    char *text = message(2000);
    json_error_t je;
    unsigned long y0 = odz_thread_yield_count();
    assert_non_null(odz_json_arena_loadb(a, text, strlen(text), 0, &je));
    assert_int_equal(odz_thread_yield_count(), y0);
    free(text);
    odz_json_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_as_json_loadb_does),
        cmocka_unit_test(the_next_parse_reuses_the_blocks),
        cmocka_unit_test(bounded),
        cmocka_unit_test(other_jansson_use_is_unchanged),
        cmocka_unit_test(scratch_per_thread),
        cmocka_unit_test(background_parse_has_seams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

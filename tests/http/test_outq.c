/* The keyed, bounded outgoing queue every live transport uses (src/http/outq.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "http/outq.h"

static odz_buf *text(const char *s)
{
    return odz_buf_new(s, strlen(s));
}

static int push(odz_outq *q, const char *s, uint64_t key, size_t max)
{
    odz_buf *b = text(s);
    int rc = odz_outq_push(q, b, key, max);
    odz_buf_unref(b);
    return rc;
}

static void joined(odz_outq *q, const char *want)
{
    odz_buf *b = odz_outq_join(q, '|');
    assert_non_null(b);
    assert_int_equal(odz_buf_len(b), strlen(want));
    assert_memory_equal(odz_buf_data(b), want, strlen(want));
    odz_buf_unref(b);
    assert_int_equal(q->n, 0);
    assert_int_equal(q->bytes, 0);
}

/* A newer buffer with a waiting one's key takes its place (and its turn); unkeyed ones and
 * other keys queue behind. */
static void t_replace_in_place(void **st)
{
    odz_outq q = ODZ_OUTQ_INIT;
    assert_int_equal(push(&q, "a1", 1, 0), 0);
    assert_int_equal(push(&q, "b1", 2, 0), 0);
    assert_int_equal(push(&q, "x", 0, 0), 0);
    assert_int_equal(push(&q, "x", 0, 0), 0); /* no key: never replaced */
    assert_int_equal(push(&q, "a22", 1, 0), 1);
    assert_int_equal(q.bytes, 3 + 2 + 1 + 1);
    assert_int_equal(q.coalesced, 1);
    joined(&q, "a22|b1|x|x");
    /* after the queue was taken, the key queues again */
    assert_int_equal(push(&q, "a3", 1, 0), 0);
    joined(&q, "a3");
    odz_outq_free(&q);
}

/* The bound: a buffer is always accepted into an empty queue; past max_bytes, ODZ_EFULL and
 * nothing queued; a replacement is no growth in count and may pass. */
static void t_bounded(void **st)
{
    odz_outq q = ODZ_OUTQ_INIT;
    assert_int_equal(push(&q, "0123456789", 0, 4), 0);
    assert_int_equal(push(&q, "z", 0, 4), ODZ_EFULL);
    assert_int_equal(q.n, 1);
    odz_outq_clear(&q);
    assert_int_equal(push(&q, "ab", 5, 4), 0);
    assert_int_equal(push(&q, "cd", 6, 4), 0);
    assert_int_equal(push(&q, "e", 7, 4), ODZ_EFULL);
    assert_int_equal(push(&q, "AB", 5, 4), 1);
    joined(&q, "AB|cd");
    odz_outq_free(&q);
}

/* move: what waits becomes the other queue's, storage swapped; counts stay with each queue. */
static void t_move(void **st)
{
    odz_outq q = ODZ_OUTQ_INIT, w = ODZ_OUTQ_INIT;
    for (int i = 0; i < 20; i++) {
        char s[8];
        snprintf(s, sizeof s, "%d", i % 5);
        push(&q, s, (uint64_t)(i % 5) + 1, 0);
    }
    assert_int_equal(q.n, 5);
    assert_int_equal(q.coalesced, 15);
    odz_outq_move(&q, &w);
    assert_int_equal(q.n, 0);
    assert_int_equal(q.bytes, 0);
    assert_int_equal(w.n, 5);
    assert_int_equal(q.coalesced, 15);
    assert_int_equal(w.coalesced, 0);
    /* a key that moved out is no longer waiting here */
    assert_int_equal(push(&q, "n", 1, 0), 0);
    joined(&w, "0|1|2|3|4");
    joined(&q, "n");
    assert_null(odz_outq_join(&q, '|'));
    odz_outq_free(&q);
    odz_outq_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_replace_in_place),
        cmocka_unit_test(t_bounded),
        cmocka_unit_test(t_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Byte buffers grow by doubling to the first size that holds what is asked, and a failed
 * growth leaves the buffer as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

static void bytes_double_to_fit(void **state)
{
    (void)state;
    size_t cap = 0;
    char *p = odz_grow_bytes(NULL, 10, &cap, 16);
    assert_non_null(p);
    assert_int_equal(cap, 16);
    assert_ptr_equal(odz_grow_bytes(p, 16, &cap, 16), p); /* fits: unchanged */
    assert_int_equal(cap, 16);
    memcpy(p, "0123456789abcdef", 16);
    p = odz_grow_bytes(p, 100, &cap, 16); /* 16 -> 32 -> 64 -> 128 */
    assert_non_null(p);
    assert_int_equal(cap, 128);
    assert_memory_equal(p, "0123456789abcdef", 16);
    /* what no doubling can reach fails and leaves the buffer and its size alone */
    assert_null(odz_grow_bytes(p, SIZE_MAX, &cap, 16));
    assert_int_equal(cap, 128);
    free(p);
}

static void text_appends(void **state)
{
    (void)state;
    odz_text t = {0};
    for (int i = 0; i < 300; i++)
        odz_text_str(&t, "abcd");
    assert_false(t.oom);
    assert_int_equal(t.n, 1200);
    assert_int_equal(t.cap, 2048);
    assert_int_equal(strlen(t.s), 1200);
    free(t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bytes_double_to_fit),
        cmocka_unit_test(text_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

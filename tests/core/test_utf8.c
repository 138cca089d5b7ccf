/* core/utf8: sequence lengths and whole-buffer validity at the RFC 3629 edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/utf8.h"

static void test_valid(void **state)
{
    (void)state;
    assert_true(odz_utf8_valid("", 0));
    assert_true(odz_utf8_valid("plain", 5));
    assert_true(odz_utf8_valid("\xc3\xa9", 2));                 /* U+00E9 */
    assert_true(odz_utf8_valid("\xe2\x82\xac", 3));             /* U+20AC */
    assert_true(odz_utf8_valid("\xf0\x9f\x90\x8e", 4));         /* U+1F40E */
    assert_true(odz_utf8_valid("\xf4\x8f\xbf\xbf", 4));         /* U+10FFFF */
}

static void test_invalid(void **state)
{
    (void)state;
    assert_false(odz_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(odz_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(odz_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(odz_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(odz_utf8_valid("\x80", 1));             /* lone continuation */
    assert_false(odz_utf8_valid("\xe2\x82", 2));         /* cut short */
    assert_false(odz_utf8_valid("\xc3\x28", 2));
    assert_int_equal(odz_utf8_seq((const unsigned char *)"\xe2\x82\xac", 2), 0); /* n bounds it */
    assert_int_equal(odz_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);
    assert_int_equal(odz_utf8_seq((const unsigned char *)"\xe2", 4), 0); /* NUL stops it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

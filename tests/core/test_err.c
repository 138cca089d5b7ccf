/* core/err: every code has one word, and the word turns back into the same code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"

static void test_round_trip(void **state)
{
    (void)state;
    static const int codes[] = {ODZ_OK,       ODZ_EINVAL, ODZ_ENOTFOUND, ODZ_ESTATE,
                                ODZ_ENOMEM,   ODZ_EIO,    ODZ_ETIMEOUT,  ODZ_EFULL,
                                ODZ_ECLOSED,  ODZ_ENORESP};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *w = odz_errcode(codes[i]);
        assert_non_null(w);
        assert_int_equal(odz_errcode_parse(w), codes[i]);
        for (size_t j = 0; j < i; j++) /* words are distinct */
            assert_string_not_equal(w, odz_errcode(codes[j]));
    }
    assert_string_equal(odz_errcode(ODZ_ESTATE), "bad_state");
    assert_string_equal(odz_errcode(-1000), "error");
}

static void test_unknown_words(void **state)
{
    (void)state;
    assert_int_equal(odz_errcode_parse(NULL), ODZ_EIO);
    assert_int_equal(odz_errcode_parse(""), ODZ_EIO);
    assert_int_equal(odz_errcode_parse("error"), ODZ_EIO);
    assert_int_equal(odz_errcode_parse("NOT_FOUND"), ODZ_EIO); /* exact words only */
}

static void test_fail(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(odz_fail(buf, sizeof buf, ODZ_EINVAL, "%s", "longer than eight"), ODZ_EINVAL);
    assert_string_equal(buf, "longer ");
    assert_int_equal(odz_fail(NULL, 0, ODZ_EIO, "no buffer"), ODZ_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unknown_words),
        cmocka_unit_test(test_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

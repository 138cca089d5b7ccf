/* cli/opts: flags over environment over defaults, the errors, and (found by fuzz/fuzz_opts.c)
 * that an error echoes at most a short prefix of a huge argument or value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "core/err.h"

static char *captured;
static size_t captured_len;
static FILE *saved_err;

/* stderr into memory (glibc: the standard streams are assignable) */
static void capture_start(void)
{
    saved_err = stderr;
    stderr = open_memstream(&captured, &captured_len);
    assert_non_null(stderr);
}
static void capture_end(void)
{
    fclose(stderr);
    stderr = saved_err;
}

static char *huge(const char *prefix, size_t n)
{
    char *s = malloc(strlen(prefix) + n + 1);
    assert_non_null(s);
    strcpy(s, prefix);
    memset(s + strlen(prefix), 'x', n);
    s[strlen(prefix) + n] = '\0';
    return s;
}

static void test_precedence(void **state)
{
    (void)state;
    odz_opt opts[] = {{"db", "ODDZY_TEST_DB", "def.db", "db", NULL, 0},
                      {"port", "ODDZY_TEST_PORT", "8080", "port", NULL, 0},
                      {"once", NULL, NULL, "switch", NULL, 1},
                      ODZ_OPT_END};
    setenv("ODDZY_TEST_DB", "env.db", 1);
    setenv("ODDZY_TEST_PORT", "9000", 1);
    char *argv[] = {"t", "--port=9100", "--once", NULL};
    assert_int_equal(odz_opts_parse("u", opts, 3, argv), 0);
    assert_string_equal(odz_opt_get(opts, "db"), "env.db");
    assert_string_equal(odz_opt_get(opts, "port"), "9100");
    assert_string_equal(odz_opt_get(opts, "once"), "1");
    int64_t port;
    assert_int_equal(odz_opt_int(opts, "port", 1, 65535, &port), 0);
    assert_int_equal(port, 9100);
    unsetenv("ODDZY_TEST_DB");
    unsetenv("ODDZY_TEST_PORT");
}

static void test_huge_argument_echo_is_bounded(void **state)
{
    (void)state;
    odz_opt opts[] = {{"port", NULL, "8080", "port", NULL, 0}, ODZ_OPT_END};
    char *unknown = huge("--", 100000), *stray = huge("", 100000);
    char *argv1[] = {"t", unknown, NULL}, *argv2[] = {"t", stray, NULL};

    capture_start();
    assert_int_equal(odz_opts_parse("u", opts, 2, argv1), ODZ_EINVAL);
    capture_end();
    assert_true(captured_len < 200);
    assert_non_null(strstr(captured, "unknown option '--xxxx"));
    free(captured);

    capture_start();
    assert_int_equal(odz_opts_parse("u", opts, 2, argv2), ODZ_EINVAL);
    capture_end();
    assert_true(captured_len < 200);
    assert_non_null(strstr(captured, "unexpected argument 'xxxx"));
    free(captured);
    free(unknown);
    free(stray);
}

static void test_long_value_echo_is_bounded(void **state)
{
    (void)state;
    odz_opt opts[] = {{"port", NULL, "8080", "port", NULL, 0}, ODZ_OPT_LOGGING, ODZ_OPT_END};
    char *v = huge("", 4000); /* under the 4096-byte value limit, so it parses */
    char *argv[] = {"t", "--port", v, "--log-level", v, NULL};
    assert_int_equal(odz_opts_parse("u", opts, 5, argv), 0);
    int64_t port;
    capture_start();
    assert_int_equal(odz_opt_int(opts, "port", 1, 65535, &port), ODZ_EINVAL);
    assert_int_equal(odz_opts_logging(opts, "t"), ODZ_EINVAL);
    capture_end();
    assert_true(captured_len < 300);
    free(captured);

    char *too_long = huge("--port=", 5000), *argv2[] = {"t", too_long, NULL};
    capture_start();
    assert_int_equal(odz_opts_parse("u", opts, 2, argv2), ODZ_EINVAL);
    capture_end();
    assert_non_null(strstr(captured, "longer than 4096 bytes"));
    free(captured);
    free(too_long);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_huge_argument_echo_is_bounded),
        cmocka_unit_test(test_long_value_echo_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

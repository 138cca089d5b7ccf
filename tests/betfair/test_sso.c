/* Betfair SSO: the login form's encoding and the answers of login, keepAlive and certlogin
 * (shapes as Betfair's identity service documents them), failures and garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "betfair/sso.h"
#include "core/err.h"

static int parse(const char *body, char *token, char *err)
{
    return odz_bf_sso_parse(body, strlen(body), token, ODZ_BF_TOKEN_MAX, err, ODZ_ERRLEN);
}

static void login_form_is_percent_encoded(void **state)
{
    (void)state;
    char out[128];
    assert_int_equal(odz_bf_sso_login_form("me@example.com", "p&ss w=rd%", out, sizeof out), 0);
    assert_string_equal(out, "username=me%40example.com&password=p%26ss%20w%3Drd%25");
    assert_int_equal(odz_bf_sso_login_form("a", "b", out, sizeof out), 0);
    assert_string_equal(out, "username=a&password=b");
    /* refused: empty, control characters, too long, no room; nothing half-written is left */
    assert_int_equal(odz_bf_sso_login_form("", "b", out, sizeof out), ODZ_EINVAL);
    assert_int_equal(odz_bf_sso_login_form("a", "b\nc", out, sizeof out), ODZ_EINVAL);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(odz_bf_sso_login_form("a", big, out, sizeof out), ODZ_EINVAL);
    char small[24];
    assert_int_equal(odz_bf_sso_login_form("user", "secret-password", small, sizeof small),
                     ODZ_EINVAL);
    for (size_t i = 0; i < sizeof small; i++)
        assert_int_equal(small[i], 0);
}

static void answers_of_each_call(void **state)
{
    (void)state;
    char token[ODZ_BF_TOKEN_MAX], err[ODZ_ERRLEN];
    /* interactive login and keepAlive */
    assert_int_equal(parse("{\"token\":\"SESSIONTOKEN=abc+/1\",\"product\":\"APP\",\"status\":"
                           "\"SUCCESS\",\"error\":\"\"}",
                           token, err),
                     0);
    assert_string_equal(token, "SESSIONTOKEN=abc+/1");
    /* certificate login */
    assert_int_equal(parse("{\"sessionToken\":\"Zx8iWNh\",\"loginStatus\":\"SUCCESS\"}", token,
                           err),
                     0);
    assert_string_equal(token, "Zx8iWNh");
}

static void failures_name_betfairs_reason(void **state)
{
    (void)state;
    char token[ODZ_BF_TOKEN_MAX] = "old", err[ODZ_ERRLEN];
    assert_int_equal(parse("{\"token\":\"\",\"product\":\"APP\",\"status\":\"FAIL\",\"error\":"
                           "\"INVALID_USERNAME_OR_PASSWORD\"}",
                           token, err),
                     ODZ_EINVAL);
    assert_string_equal(err, "login failed: INVALID_USERNAME_OR_PASSWORD");
    assert_int_equal(parse("{\"loginStatus\":\"CERT_AUTH_REQUIRED\"}", token, err), ODZ_EINVAL);
    assert_string_equal(err, "login failed: CERT_AUTH_REQUIRED");
    /* a reason with control characters or markup is reduced to Betfair's code alphabet */
    assert_int_equal(parse("{\"status\":\"FAIL\",\"error\":\"\\u001b[31mNO<b>\"}", token, err),
                     ODZ_EINVAL);
    assert_string_equal(err, "login failed: 31NO");
    assert_string_equal(token, "old");
}

static void garbage_is_refused(void **state)
{
    (void)state;
    char token[ODZ_BF_TOKEN_MAX] = "old", err[ODZ_ERRLEN];
    static const char *bad[] = {
        "", "<html>Service unavailable</html>", "[]", "{\"status\":\"SUCCESS\"}",
        "{\"status\":\"SUCCESS\",\"token\":\"\"}", "{\"status\":\"SUCCESS\",\"token\":\"a b\"}",
        "{\"status\":\"SUCCESS\",\"token\":7}", "{\"token\":\"abc\"}",
        "{\"status\":\"SUCCESS\",\"token\":\"a\",\"token\":\"b\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(parse(bad[i], token, err), ODZ_EINVAL);
        assert_true(strlen(err) > 0);
    }
    assert_string_equal(token, "old");
    char big[ODZ_BF_SSO_ANSWER_MAX + 2];
    memset(big, ' ', sizeof big);
    assert_int_equal(odz_bf_sso_parse(big, sizeof big, token, sizeof token, err, sizeof err),
                     ODZ_EINVAL);
    /* a token longer than the caller's buffer */
    char tiny[4];
    assert_int_equal(odz_bf_sso_parse("{\"status\":\"SUCCESS\",\"token\":\"abcdef\"}", 37, tiny,
                                      sizeof tiny, err, sizeof err),
                     ODZ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(login_form_is_percent_encoded),
        cmocka_unit_test(answers_of_each_call),
        cmocka_unit_test(failures_name_betfairs_reason),
        cmocka_unit_test(garbage_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

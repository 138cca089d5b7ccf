/* Betfair's identity service (SSO): the login that yields the session token the Exchange
 * Stream API authenticates with, and the keep-alive that stops the token expiring.
 *
 *   interactive login  POST {sso}/login      form username=..&password=..
 *   certificate login  POST {cert-sso}/certlogin, same form, with the client certificate
 *                      registered on the account (Betfair's advice for unattended programs)
 *   keep-alive         POST {sso}/keepAlive  header X-Authentication: <token>
 * Every call sends X-Application: <app key> and Accept: application/json. A token expires
 * after a period without use (hours on the international exchange); a keep-alive within it
 * resets the period, and a failed keep-alive means logging in again.
 *
 * This file builds the form and reads the answers; `oddzy betfair-login` (cli) does the HTTP.
 * Answers are outside input: bounded, and anything but a success with a usable token is an
 * error with Betfair's own error code in the words (never the token). */
#ifndef ODZ_BETFAIR_SSO_H
#define ODZ_BETFAIR_SSO_H

#include <stddef.h>

#define ODZ_BF_SSO_ANSWER_MAX 8192 /* bytes of an answer; longer is refused */
#define ODZ_BF_TOKEN_MAX 256       /* bytes of a session token, NUL included */

/** The form body of a login, username and password percent-encoded (RFC 3986 unreserved
 * characters kept, everything else %XX), into out[0..n). 0, or ODZ_EINVAL (empty or over 256
 * bytes each, a control character, or out too small). The body holds the password: the
 * caller clears and never logs it. */
int odz_bf_sso_login_form(const char *username, const char *password, char *out, size_t n);

/** Read an answer of login, keepAlive ({"token","status":"SUCCESS"|"FAIL","error"}) or
 * certlogin ({"sessionToken","loginStatus"}) of `len` bytes: the token into token[0..n) and
 * 0, or ODZ_EINVAL with what went wrong in err ("login failed: INVALID_USERNAME_OR_PASSWORD",
 * "not JSON", "no token"). A token is 1..ODZ_BF_TOKEN_MAX-1 printable ASCII characters with
 * no space, so it can be written to a file and sent back in a header. */
int odz_bf_sso_parse(const char *body, size_t len, char *token, size_t n, char *err,
                     size_t errlen);

#endif

/* Betfair SSO: login form and answers (see sso.h). */
#include "betfair/sso.h"

#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"

#define FIELD_MAX 256

static int encode(const char *s, char *out, size_t n, size_t *at)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(s);
    if (!len || len > FIELD_MAX)
        return ODZ_EINVAL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return ODZ_EINVAL;
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        if (*at + (plain ? 1 : 3) >= n)
            return ODZ_EINVAL;
        if (plain) {
            out[(*at)++] = (char)*p;
        } else {
            out[(*at)++] = '%';
            out[(*at)++] = hex[*p >> 4];
            out[(*at)++] = hex[*p & 15];
        }
    }
    out[*at] = '\0';
    return 0;
}

static int append(const char *s, char *out, size_t n, size_t *at)
{
    size_t len = strlen(s);
    if (*at + len >= n)
        return ODZ_EINVAL;
    memcpy(out + *at, s, len + 1);
    *at += len;
    return 0;
}

int odz_bf_sso_login_form(const char *username, const char *password, char *out, size_t n)
{
    size_t at = 0;
    if (!username || !password || !out || !n)
        return ODZ_EINVAL;
    int rc = append("username=", out, n, &at) || encode(username, out, n, &at) ||
             append("&password=", out, n, &at) || encode(password, out, n, &at);
    if (rc) {
        memset(out, 0, n); /* no half of a password left behind */
        return ODZ_EINVAL;
    }
    return 0;
}

static bool token_ok(const char *t)
{
    size_t len = strlen(t);
    if (!len || len >= ODZ_BF_TOKEN_MAX)
        return false;
    for (; *t; t++)
        if (*t <= 0x20 || *t >= 0x7f)
            return false;
    return true;
}

int odz_bf_sso_parse(const char *body, size_t len, char *token, size_t n, char *err,
                     size_t errlen)
{
    if (!body || len > ODZ_BF_SSO_ANSWER_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "answer over %d bytes", ODZ_BF_SSO_ANSWER_MAX);
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return odz_fail(err, errlen, ODZ_EINVAL, "answer is not a JSON object");
    }
    /* login and keepAlive say status/token/error; certlogin loginStatus/sessionToken */
    const char *status = json_string_value(json_object_get(j, "status"));
    const char *tok = json_string_value(json_object_get(j, "token"));
    if (!status) {
        status = json_string_value(json_object_get(j, "loginStatus"));
        tok = json_string_value(json_object_get(j, "sessionToken"));
    }
    const char *error = json_string_value(json_object_get(j, "error"));
    int rc = 0;
    if (!status) {
        rc = odz_fail(err, errlen, ODZ_EINVAL, "answer has no status");
    } else if (strcmp(status, "SUCCESS") != 0) {
        /* a login failure names its reason in error (login) or loginStatus (certlogin) */
        const char *why = error && *error ? error : status;
        char code[81];
        size_t k = 0; /* Betfair's codes are A-Z, 0-9 and _: keep those, nothing else */
        for (; *why && k < sizeof code - 1; why++)
            if ((*why >= 'A' && *why <= 'Z') || (*why >= '0' && *why <= '9') || *why == '_')
                code[k++] = *why;
        code[k] = '\0';
        rc = odz_fail(err, errlen, ODZ_EINVAL, "login failed: %s", k ? code : "unknown reason");
    } else if (!tok || !token_ok(tok)) {
        rc = odz_fail(err, errlen, ODZ_EINVAL, "answer has no usable token");
    } else if (strlen(tok) >= n) {
        rc = odz_fail(err, errlen, ODZ_EINVAL, "token longer than %zu bytes", n - 1);
    } else {
        memcpy(token, tok, strlen(tok) + 1);
    }
    json_decref(j);
    return rc;
}

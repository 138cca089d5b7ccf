/* Query strings: form-style decoding (+ and %XX) of one parameter, bounded. Pure: nothing of
 * h2o is linked, so fuzz/fuzz_query.c and the Engine.IO codec (live/sio.c) can use it alone. */
#include <string.h>

#include "core/err.h"
#include "http/server.h"

int odz_http_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Form-style decoding of s[0..n) into out (NUL-terminated). ODZ_EINVAL on a bad escape, a
 * decoded NUL, or when the result does not fit in outlen - 1 bytes. */
static int form_decode(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return ODZ_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return ODZ_EINVAL;
            hi = odz_http_hexval((unsigned char)s[i + 1]);
            lo = odz_http_hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return ODZ_EINVAL;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c == 0 || o + 1 >= outlen)
            return ODZ_EINVAL;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

int odz_http_query_get(const char *query, const char *name, char *out, size_t outlen)
{
    const char *q = query ? query : "";
    size_t namelen = strlen(name);
    char key[256];

    while (*q) {
        const char *end = strchr(q, '&');
        size_t seglen = end ? (size_t)(end - q) : strlen(q);
        const char *eq = memchr(q, '=', seglen);
        size_t klen = eq ? (size_t)(eq - q) : seglen;
        /* keys longer than our buffer cannot be any name we look for; skip them */
        if (klen < sizeof(key) && form_decode(q, klen, key, sizeof(key)) == 0 &&
            strlen(key) == namelen && memcmp(key, name, namelen) == 0) {
            if (!eq) {
                if (outlen == 0)
                    return ODZ_EINVAL;
                out[0] = '\0';
                return 0;
            }
            return form_decode(eq + 1, seglen - klen - 1, out, outlen);
        }
        if (!end)
            break;
        q = end + 1;
    }
    return ODZ_ENOTFOUND;
}

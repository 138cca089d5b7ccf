/* Small helpers shared by the feed's renderers: numbers and times as the sources print them,
 * URL slugs, and bounded query-string parsing. */
#include "feed/world.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"

json_t *odz_fw_num(double v)
{
    if (!isfinite(v))
        return json_integer(0);
    v = round(v * 100) / 100;
    if (v == floor(v) && fabs(v) < 1e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

void odz_fw_iso_ns(int64_t t, int ns, char out[40])
{
    char base[21];
    odz_format_iso8601(t, base);
    base[19] = 0; /* drop the Z */
    if (ns <= 0 || ns >= 1000000000) {
        snprintf(out, 40, "%sZ", base);
        return;
    }
    char frac[10];
    snprintf(frac, sizeof frac, "%09d", ns);
    int n = 9;
    while (n > 1 && frac[n - 1] == '0') /* Go trims trailing zeros */
        n--;
    frac[n] = 0;
    snprintf(out, 40, "%s.%sZ", base, frac);
}

void odz_fw_slug(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    bool dash = false;
    if (outlen == 0)
        return;
    for (; *s && o + 1 < outlen; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && o > 0 && o + 2 < outlen)
                out[o++] = '-';
            dash = false;
            out[o++] = c;
        } else if (c == ' ' || c == '-' || c == '_' || c == '/') {
            dash = true;
        }
    }
    out[o] = 0;
}

static int unhex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* URL-decode [s, s+n) into out; ODZ_EINVAL if it does not fit. */
static int url_decode(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < n) {
            int a = unhex(s[i + 1]), b = unhex(s[i + 2]);
            if (a >= 0 && b >= 0) {
                c = (char)(a * 16 + b);
                i += 2;
            }
        }
        if (o + 1 >= outlen)
            return ODZ_EINVAL;
        out[o++] = c;
    }
    out[o] = 0;
    return 0;
}

int odz_fw_query_get(const char *query, const char *key, char *out, size_t outlen)
{
    if (!query || !key || !out || outlen == 0)
        return 0;
    size_t klen = strlen(key);
    const char *p = query;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t kl = eq ? (size_t)(eq - p) : len;
        char kbuf[64];
        if (kl < sizeof kbuf && url_decode(p, kl, kbuf, sizeof kbuf) == 0 && strlen(kbuf) == klen &&
            memcmp(kbuf, key, klen) == 0) {
            if (!eq) {
                out[0] = 0;
                return 1;
            }
            if (url_decode(eq + 1, len - kl - 1, out, outlen) != 0)
                return ODZ_EINVAL;
            return 1;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

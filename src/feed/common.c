/* Small helpers shared by the feed's renderers: numbers and times as the sources print them,
 * URL slugs, and bounded query-string parsing. */
#include "feed/world.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "http/server.h"

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

int odz_fw_query_get(const char *query, const char *key, char *out, size_t outlen)
{
    if (!query || !key || !out || outlen == 0)
        return 0;
    int rc = odz_http_query_get(query, key, out, outlen); /* the server's one decoding */
    return rc == 0 ? 1 : rc == ODZ_ENOTFOUND ? 0 : rc;
}

/* Accept-Encoding negotiation (RFC 9110 12.5.3): which stored variant of a view to send.
 * Pure and bounded: nothing of h2o is linked, so fuzz/fuzz_accept.c can use it alone. */
#include <string.h>
#include <strings.h>

#include "http/server.h"

/* q-values in thousandths; -1 = not mentioned */
typedef struct {
    int q[ODZ_ENC_COUNT];
    int star;
} prefs;

static int is_tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_ows(int c)
{
    return c == ' ' || c == '\t';
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; -1 if bad. */
static int parse_q(const char *s, size_t n)
{
    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    int v = (s[0] - '0') * 1000;
    if (n == 1)
        return v;
    if (s[1] != '.' || n > 5)
        return -1;
    int scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v += (s[i] - '0') * scale;
    }
    return v > 1000 ? -1 : v;
}

/* One element "coding *( OWS ";" OWS param )" of s[0..n): its coding and weight, or -1 for an
 * element that is malformed (it is then ignored, as an unknown coding would be). */
static int parse_element(const char *s, size_t n, int *coding, int *q)
{
    size_t i = 0, t0, t1;
    while (i < n && is_ows(s[i]))
        i++;
    t0 = i;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    t1 = i;
    if (t1 == t0)
        return -1;
    size_t tl = t1 - t0;
    const char *tok = s + t0;
    if (tl == 1 && tok[0] == '*')
        *coding = ODZ_ENC_COUNT; /* the wildcard */
    else if ((tl == 4 && !strncasecmp(tok, "gzip", 4)) ||
             (tl == 6 && !strncasecmp(tok, "x-gzip", 6)))
        *coding = ODZ_ENC_GZIP;
    else if (tl == 2 && !strncasecmp(tok, "br", 2))
        *coding = ODZ_ENC_BR;
    else if (tl == 8 && !strncasecmp(tok, "identity", 8))
        *coding = ODZ_ENC_IDENTITY;
    else
        *coding = -1; /* a coding we do not hold: well formed, nothing to record */
    *q = 1000;
    for (;;) {
        while (i < n && is_ows(s[i]))
            i++;
        if (i == n)
            return 0;
        if (s[i] != ';')
            return -1;
        i++;
        while (i < n && is_ows(s[i]))
            i++;
        size_t p0 = i;
        while (i < n && is_tchar((unsigned char)s[i]))
            i++;
        size_t pl = i - p0;
        if (pl == 0 || i == n || s[i] != '=')
            return -1;
        i++;
        size_t v0 = i;
        while (i < n && is_tchar((unsigned char)s[i]))
            i++;
        if (pl == 1 && (s[p0] == 'q' || s[p0] == 'Q')) {
            *q = parse_q(s + v0, i - v0);
            if (*q < 0)
                return -1;
        } /* other parameters carry no meaning for a content coding: skipped */
    }
}

int odz_http_pick_encoding(const char *ae, unsigned avail)
{
    if (!ae)
        return ODZ_ENC_IDENTITY; /* no preference: the plain bytes */
    size_t len = strnlen(ae, ODZ_HTTP_AE_MAX + 1);
    if (len > ODZ_HTTP_AE_MAX)
        return ODZ_ENC_IDENTITY;
    prefs p;
    for (int c = 0; c < ODZ_ENC_COUNT; c++)
        p.q[c] = -1;
    p.star = -1;
    const char *s = ae, *end = ae + len;
    for (int n = 0; s <= end && n < ODZ_HTTP_AE_ELEMENTS; n++) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *e = comma ? comma : end;
        int coding, q;
        if (parse_element(s, (size_t)(e - s), &coding, &q) == 0) {
            if (coding == ODZ_ENC_COUNT)
                p.star = q;
            else if (coding >= 0)
                p.q[coding] = q;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    /* a coding not named takes the wildcard's weight; identity is acceptable unless refused */
    int best = ODZ_ENC_IDENTITY, best_q = -1;
    for (int c = ODZ_ENC_COUNT - 1; c >= 0; c--) { /* ties: br, then gzip, then identity */
        if (c != ODZ_ENC_IDENTITY && !(avail & (1u << c)))
            continue;
        int q = p.q[c] >= 0 ? p.q[c] : p.star >= 0 ? p.star : c == ODZ_ENC_IDENTITY ? 1 : 0;
        if (q > best_q) {
            best = c;
            best_q = q;
        }
    }
    /* nothing acceptable (identity refused too): the plain bytes rather than a 406 */
    return best_q > 0 ? best : ODZ_ENC_IDENTITY;
}

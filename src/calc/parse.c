/* Strict parsing of the calculators' text inputs: decimal numbers, odds lists, fractions. */
#include "calc/calc.h"
#include "core/err.h"
#include "core/model.h"

#include <limits.h>
#include <string.h>

#define INT_DIGITS_MAX 9
#define FRAC_DIGITS_MAX 6

/* Parses s[0..len) exactly. */
static int hundredths(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int64_t whole = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (i >= INT_DIGITS_MAX)
            return ODZ_EINVAL;
        whole = whole * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0)
        return ODZ_EINVAL;
    int64_t frac = 0; /* the first two decimals */
    int up = 0;
    if (i < len) {
        if (s[i] != '.')
            return ODZ_EINVAL;
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            size_t k = i - start;
            if (k >= FRAC_DIGITS_MAX)
                return ODZ_EINVAL;
            if (k < 2)
                frac = frac * 10 + (s[i] - '0');
            else if (k == 2)
                up = s[i] >= '5'; /* half a hundredth or more: round up */
            i++;
        }
        if (i == start || i != len)
            return ODZ_EINVAL;
        if (i - start == 1)
            frac *= 10;
    }
    *out = whole * 100 + frac + up;
    return 0;
}

int odz_calc_parse_hundredths(const char *s, int64_t *out)
{
    if (!s)
        return ODZ_EINVAL;
    return hundredths(s, strlen(s), out);
}

int odz_calc_parse_odds_list(const char *s, int *out, size_t max, size_t *n)
{
    if (!s)
        return ODZ_EINVAL;
    size_t k = 0;
    for (const char *p = s;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        int64_t v;
        if (k >= max || hundredths(p, len, &v) || v > INT_MAX)
            return ODZ_EINVAL;
        out[k++] = (int)v;
        if (!c)
            break;
        p = c + 1;
    }
    *n = k;
    return 0;
}

/* 1..ODZ_CALC_FRACTION_MAX from s[0..len), digits only. */
static int small(const char *s, size_t len, int *out)
{
    int64_t v;
    if (len > 3 || odz_positive_parse(s, len, &v) || v > ODZ_CALC_FRACTION_MAX)
        return ODZ_EINVAL;
    *out = (int)v;
    return 0;
}

int odz_calc_parse_fraction(const char *s, int *num, int *den)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash || small(s, (size_t)(slash - s), num) || small(slash + 1, strlen(slash + 1), den))
        return ODZ_EINVAL;
    return 0;
}

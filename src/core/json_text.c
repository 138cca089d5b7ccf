/* JSON text written directly; see core/json_text.h. */
#include "core/json_text.h"
#include "core/json.h"
#include "core/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void odz_text_fixed(odz_text *t, int64_t v, int decimals)
{
    char buf[48], *e = buf + sizeof buf, *p = e;
    uint64_t x = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    bool digits = false;
    for (int d = 0; d < decimals; d++, x /= 10)
        if (digits || x % 10) {
            *--p = (char)('0' + x % 10);
            digits = true;
        }
    if (digits)
        *--p = '.';
    do {
        *--p = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    if (v < 0)
        *--p = '-';
    odz_text_put(t, p, (size_t)(e - p));
}

bool odz_text_json_string(odz_text *t, const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (!odz_utf8_valid(s, n))
        return false;
    odz_text_put(t, "\"", 1);
    size_t run = 0; /* s[run..i) is still to be copied as it is */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        odz_text_put(t, s + run, i - run);
        run = i + 1;
        static const char named[] = "\"\\\b\f\n\r\t", as[] = "\"\\bfnrt";
        const char *k = strchr(named, c); /* c is not NUL: s[i] is inside the string */
        char seq[8] = {'\\', k ? as[k - named] : 0};
        if (!k)
            snprintf(seq, sizeof seq, "\\u%04X", (unsigned)c);
        odz_text_str(t, seq);
    }
    odz_text_put(t, s + run, n - run);
    odz_text_put(t, "\"", 1);
    return true;
}

void odz_text_json_units(odz_text *t, int64_t hundredths)
{
    /* Up to 10 significant digits, %.10g of the nearest double gives back the exact decimal;
     * jansson then adds ".0" to a whole number so that it reads back as a real. */
    if (hundredths > -10000000000LL && hundredths < 10000000000LL) {
        odz_text_fixed(t, hundredths, 2);
        if (hundredths % 100 == 0)
            odz_text_put(t, ".0", 2);
        return;
    }
    json_t *j = odz_json_money(hundredths);
    char *d = j ? json_dumps(j, ODZ_JSON_DUMP_FLAGS | JSON_ENCODE_ANY) : NULL;
    if (d)
        odz_text_str(t, d);
    else
        t->oom = true;
    free(d);
    json_decref(j);
}

void odz_text_json_odds(odz_text *t, int64_t odds)
{
    if (odds <= 0)
        odz_text_put(t, "null", 4);
    else
        odz_text_json_units(t, odds);
}

void odz_text_int(odz_text *t, int64_t v)
{
    odz_text_fixed(t, v, 0);
}

void odz_text_field(odz_text *t, void (*value)(odz_text *, int64_t), const char *key, int64_t v)
{
    odz_text_str(t, key);
    value(t, v);
}

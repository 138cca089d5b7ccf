/* UTF-8 checks shared by the log and metrics writers and the WebSocket reader. */
#include "core/utf8.h"

#define CONT(x) (((x)&0xC0) == 0x80)

int odz_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = n ? s[0] : 0;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && CONT(s[1]) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return n >= 3 && s[1] >= lo && s[1] <= hi && CONT(s[2]) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return n >= 4 && s[1] >= lo && s[1] <= hi && CONT(s[2]) && CONT(s[3]) ? 4 : 0;
    }
    return 0;
}

int odz_utf8_valid(const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int k = odz_utf8_seq(s + i, n - i);
        if (!k)
            return 0;
        i += (size_t)k;
    }
    return 1;
}

/* Arrays and text that grow by doubling; see core/grow.h. */
#include "core/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *odz_grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return v;
    size_t want = *cap ? *cap * 2 : first;
    if (want == 0 || size == 0 || want > SIZE_MAX / size)
        return NULL;
    void *p = realloc(v, want * size);
    if (p)
        *cap = want;
    return p;
}

void odz_text_put(odz_text *t, const char *s, size_t len)
{
    if (t->oom)
        return;
    if (t->n + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->n + len + 1)
            cap *= 2;
        char *g = realloc(t->s, cap);
        if (!g) {
            t->oom = true;
            return;
        }
        t->s = g;
        t->cap = cap;
    }
    memcpy(t->s + t->n, s, len);
    t->n += len;
    t->s[t->n] = '\0';
}

void odz_text_str(odz_text *t, const char *s)
{
    odz_text_put(t, s, strlen(s));
}

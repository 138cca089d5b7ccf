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

void *odz_grow_bytes(void *p, size_t need, size_t *cap, size_t first)
{
    if (need <= *cap)
        return p;
    size_t want = *cap ? *cap : first;
    while (want && want < need)
        want = want > SIZE_MAX / 2 ? 0 : want * 2;
    if (want == 0)
        return NULL;
    void *g = realloc(p, want);
    if (g)
        *cap = want;
    return g;
}

void odz_text_put(odz_text *t, const char *s, size_t len)
{
    if (t->oom)
        return;
    char *g = odz_grow_bytes(t->s, t->n + len + 1, &t->cap, 1024);
    if (!g) {
        t->oom = true;
        return;
    }
    t->s = g;
    memcpy(t->s + t->n, s, len);
    t->n += len;
    t->s[t->n] = '\0';
}

void odz_text_str(odz_text *t, const char *s)
{
    odz_text_put(t, s, strlen(s));
}

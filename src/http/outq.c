/* The keyed, bounded outgoing queue of a connection (outq.h). */
#include "http/outq.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

int odz_outq_push(odz_outq *q, odz_buf *b, uint64_t key, size_t max_bytes)
{
    size_t len = odz_buf_len(b);
    if (key) {
        /* newest first: a key that waits is usually near the end */
        for (size_t i = q->n; i-- > 0;)
            if (q->keys[i] == key) {
                q->bytes = q->bytes - odz_buf_len(q->v[i]) + len;
                odz_buf_unref(q->v[i]);
                q->v[i] = odz_buf_ref(b);
                q->coalesced++;
                return 1;
            }
    }
    if (max_bytes && q->n > 0 && q->bytes + len > max_bytes)
        return ODZ_EFULL;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 4;
        odz_buf **v = realloc(q->v, cap * sizeof(*v));
        if (!v)
            return ODZ_ENOMEM;
        q->v = v;
        uint64_t *k = realloc(q->keys, cap * sizeof(*k));
        if (!k)
            return ODZ_ENOMEM; /* v grew, cap stays: still consistent */
        q->keys = k;
        q->cap = cap;
    }
    q->keys[q->n] = key;
    q->v[q->n++] = odz_buf_ref(b);
    q->bytes += len;
    return 0;
}

void odz_outq_move(odz_outq *from, odz_outq *to)
{
    odz_outq t = *to;
    unsigned long fc = from->coalesced, tc = to->coalesced;
    *to = *from;
    *from = t;
    from->n = 0;
    from->bytes = 0;
    from->coalesced = fc;
    to->coalesced = tc;
}

odz_buf *odz_outq_join(odz_outq *q, char sep)
{
    if (!q->n)
        return NULL;
    size_t len = q->bytes + (sep ? q->n - 1 : 0);
    char *body = malloc(len ? len : 1);
    if (!body)
        return NULL;
    size_t off = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (i && sep)
            body[off++] = sep;
        memcpy(body + off, odz_buf_data(q->v[i]), odz_buf_len(q->v[i]));
        off += odz_buf_len(q->v[i]);
    }
    odz_buf *b = odz_buf_take(body, len);
    if (b)
        odz_outq_clear(q);
    return b;
}

void odz_outq_clear(odz_outq *q)
{
    for (size_t i = 0; i < q->n; i++)
        odz_buf_unref(q->v[i]);
    q->n = 0;
    q->bytes = 0;
}

void odz_outq_free(odz_outq *q)
{
    odz_outq_clear(q);
    free(q->v);
    free(q->keys);
    q->v = NULL;
    q->keys = NULL;
    q->cap = 0;
}

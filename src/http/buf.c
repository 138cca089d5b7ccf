/* Refcounted immutable byte buffers (odz_buf) and their gzip and brotli pre-compression. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <brotli/encode.h>

#include "core/err.h"
#include "http/server.h"

enum { BUF_INLINE, BUF_MALLOC };

struct odz_buf {
    atomic_int refs;
    size_t len;
    char *data; /* into `inline_bytes`, or a taken malloc block */
    int kind;   /* BUF_* */
    char inline_bytes[];
};

odz_buf *odz_buf_new(const void *data, size_t len)
{
    if (len > SIZE_MAX - sizeof(odz_buf) - 1)
        return NULL;
    odz_buf *b = malloc(sizeof(*b) + len + 1);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->len = len;
    b->data = b->inline_bytes;
    b->kind = BUF_INLINE;
    if (len)
        memcpy(b->data, data, len);
    b->data[len] = '\0'; /* convenience for text; not part of len */
    return b;
}

odz_buf *odz_buf_take(void *data, size_t len)
{
    odz_buf *b = malloc(sizeof(*b));
    if (!b) {
        free(data);
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->len = len;
    b->data = data;
    b->kind = BUF_MALLOC;
    return b;
}

odz_buf *odz_buf_ref(odz_buf *b)
{
    if (b)
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void odz_buf_unref(odz_buf *b)
{
    if (!b)
        return;
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (b->kind == BUF_MALLOC)
        free(b->data);
    free(b);
}

int odz_buf_refs(const odz_buf *b)
{
    return b ? atomic_load_explicit(&((odz_buf *)b)->refs, memory_order_relaxed) : 0;
}

const void *odz_buf_data(const odz_buf *b)
{
    return b ? b->data : NULL;
}

size_t odz_buf_len(const odz_buf *b)
{
    return b ? b->len : 0;
}

int odz_gzip(const void *data, size_t len, odz_buf **out)
{
    *out = NULL;
    if (len > UINT32_MAX / 2) /* zlib's uInt counters */
        return ODZ_EINVAL;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* windowBits 15 + 16 selects the gzip wrapper */
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ODZ_ENOMEM;
    uLong cap = deflateBound(&zs, (uLong)len);
    unsigned char *dst = malloc(cap ? cap : 1);
    if (!dst) {
        deflateEnd(&zs);
        return ODZ_ENOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    int zr = deflate(&zs, Z_FINISH);
    size_t outlen = zs.total_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        free(dst);
        return ODZ_EIO;
    }
    *out = odz_buf_take(dst, outlen);
    return *out ? 0 : ODZ_ENOMEM;
}

int odz_brotli(const void *data, size_t len, odz_buf **out)
{
    *out = NULL;
    if (len > (size_t)64 << 20)
        return ODZ_EINVAL;
    size_t cap = BrotliEncoderMaxCompressedSize(len);
    if (!cap)
        return ODZ_EINVAL;
    uint8_t *dst = malloc(cap);
    if (!dst)
        return ODZ_ENOMEM;
    size_t outlen = cap;
    if (!BrotliEncoderCompress(ODZ_BROTLI_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, len,
                               data, &outlen, dst)) {
        free(dst);
        return ODZ_EIO;
    }
    *out = odz_buf_take(dst, outlen);
    return *out ? 0 : ODZ_ENOMEM;
}

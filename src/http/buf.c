/* Refcounted immutable byte buffers (odz_buf) and their gzip and brotli pre-compression. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <brotli/encode.h>

#include "core/err.h"
#include "http/server.h"

enum { BUF_INLINE, BUF_MALLOC, BUF_FILE };

struct odz_buf {
    atomic_int refs;
    size_t len;
    char *data; /* into `inline_bytes`, a taken malloc block or a read-only mapping of `fd` */
    int kind;   /* BUF_* */
    int fd;     /* BUF_FILE: the sealed memfd holding the bytes; -1 otherwise */
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
    b->fd = -1;
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
    b->fd = -1;
    return b;
}

/* The bytes in a memfd, written once, sealed against change and mapped read-only. -1 (and
 * nothing left open) on any failure. */
static int file_of(const void *data, size_t len, char **map)
{
    int fd = memfd_create("oddzy-view", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, (const char *)data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
        off += (size_t)n;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        goto fail;
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        goto fail;
    *map = m;
    return fd;
fail:
    close(fd);
    return -1;
}

#define FILES_CAP 4096
static atomic_int files_open; /* BUF_FILE buffers alive */

int odz_buf_files_max(void)
{
    static atomic_int max; /* worked out once: the limit is set at start-up */
    int m = atomic_load_explicit(&max, memory_order_relaxed);
    if (!m) {
        struct rlimit rl;
        rlim_t eighth = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur / 8 : 0;
        m = eighth >= FILES_CAP ? FILES_CAP : eighth >= 1 ? (int)eighth : 1;
        atomic_store_explicit(&max, m, memory_order_relaxed);
    }
    return m;
}

int odz_buf_files_open(void)
{
    return atomic_load_explicit(&files_open, memory_order_relaxed);
}

odz_buf *odz_buf_take_file(void *data, size_t len)
{
    char *map;
    if (len < ODZ_BUF_FILE_MIN)
        return odz_buf_take(data, len);
    /* a slot among the memfds allowed at once, or ordinary memory */
    if (atomic_fetch_add_explicit(&files_open, 1, memory_order_relaxed) >= odz_buf_files_max()) {
        atomic_fetch_sub_explicit(&files_open, 1, memory_order_relaxed);
        return odz_buf_take(data, len);
    }
    int fd = file_of(data, len, &map);
    if (fd < 0) {
        atomic_fetch_sub_explicit(&files_open, 1, memory_order_relaxed);
        return odz_buf_take(data, len);
    }
    odz_buf *b = malloc(sizeof(*b));
    if (!b) {
        atomic_fetch_sub_explicit(&files_open, 1, memory_order_relaxed);
        munmap(map, len);
        close(fd);
        free(data);
        return NULL;
    }
    free(data);
    atomic_init(&b->refs, 1);
    b->len = len;
    b->data = map;
    b->kind = BUF_FILE;
    b->fd = fd;
    return b;
}

int odz_buf_fd(const odz_buf *b)
{
    return b ? b->fd : -1;
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
    if (b->kind == BUF_MALLOC) {
        free(b->data);
    } else if (b->kind == BUF_FILE) {
        munmap(b->data, b->len);
        close(b->fd);
        atomic_fetch_sub_explicit(&files_open, 1, memory_order_relaxed);
    }
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

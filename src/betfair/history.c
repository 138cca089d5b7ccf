/* Betfair historical-data files line by line: plain or bzip2 (several concatenated bzip2
 * streams too, as parallel compressors write them), through libbz2's stream interface. */
#include "betfair/history.h"

#include <bzlib.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define CHUNK (64u * 1024u)

struct odz_bf_history {
    FILE *f;
    bool bz, bz_live, file_eof;
    bz_stream zs;
    char in[CHUNK];
    char out[CHUNK];
    size_t out_len, out_pos;
    int sticky;                 /* an error that ends the file */
    char sticky_msg[ODZ_ERRLEN];
    char *line;
    size_t line_len, line_cap;
    bool discarding;            /* inside a line past the limit */
    size_t lineno;
};

int odz_bf_history_from(FILE *f, odz_bf_history **out, char *err, size_t errlen)
{
    odz_bf_history *h = calloc(1, sizeof *h);
    if (!h) {
        fclose(f);
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    }
    h->f = f;
    int c0 = getc(f), c1 = getc(f), c2 = getc(f);
    h->bz = c0 == 'B' && c1 == 'Z' && c2 == 'h';
    rewind(f);
    *out = h;
    return 0;
}

int odz_bf_history_open(const char *path, odz_bf_history **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return odz_fail(err, errlen, ODZ_EIO, "%s: %s", path, strerror(errno));
    return odz_bf_history_from(f, out, err, errlen);
}

void odz_bf_history_close(odz_bf_history *h)
{
    if (!h)
        return;
    if (h->bz_live)
        BZ2_bzDecompressEnd(&h->zs);
    fclose(h->f);
    free(h->line);
    free(h);
}

size_t odz_bf_history_lineno(const odz_bf_history *h)
{
    return h->lineno;
}

static int stick(odz_bf_history *h, int code, const char *msg)
{
    h->sticky = code;
    snprintf(h->sticky_msg, sizeof h->sticky_msg, "%s", msg);
    return code;
}

/* More bytes of the file's content into h->out: the count, 0 at the end, or an error. */
static int fill(odz_bf_history *h)
{
    if (!h->bz) {
        size_t n = fread(h->out, 1, sizeof h->out, h->f);
        if (!n && ferror(h->f))
            return stick(h, ODZ_EIO, "read error");
        return (int)n;
    }
    for (;;) {
        if (h->zs.avail_in == 0 && !h->file_eof) {
            size_t n = fread(h->in, 1, sizeof h->in, h->f);
            if (!n && ferror(h->f))
                return stick(h, ODZ_EIO, "read error");
            h->file_eof = n == 0;
            h->zs.next_in = h->in;
            h->zs.avail_in = (unsigned)n;
            if (!n)
                continue;
        }
        if (!h->bz_live) {
            if (h->zs.avail_in == 0 && h->file_eof)
                return 0;
            char *next = h->zs.next_in;
            unsigned avail = h->zs.avail_in;
            memset(&h->zs, 0, sizeof h->zs);
            if (BZ2_bzDecompressInit(&h->zs, 0, 0) != BZ_OK)
                return stick(h, ODZ_ENOMEM, "bzip2: cannot start decompression");
            h->zs.next_in = next;
            h->zs.avail_in = avail;
            h->bz_live = true;
        }
        h->zs.next_out = h->out;
        h->zs.avail_out = sizeof h->out;
        int r = BZ2_bzDecompress(&h->zs);
        if (r == BZ_STREAM_END) {
            BZ2_bzDecompressEnd(&h->zs);
            h->bz_live = false; /* another stream may follow */
        } else if (r != BZ_OK) {
            return stick(h, ODZ_EINVAL, "corrupt bzip2 data");
        }
        size_t produced = sizeof h->out - h->zs.avail_out;
        if (produced)
            return (int)produced;
        if (h->bz_live && h->file_eof && h->zs.avail_in == 0)
            return stick(h, ODZ_EINVAL, "truncated bzip2 data");
    }
}

static int append(odz_bf_history *h, const char *p, size_t n)
{
    if (h->discarding)
        return 0;
    if (h->line_len + n > ODZ_BF_LINE_MAX) {
        h->discarding = true;
        return 0;
    }
    if (h->line_len + n + 1 > h->line_cap) {
        size_t cap = h->line_cap ? h->line_cap : CHUNK;
        while (cap < h->line_len + n + 1)
            cap *= 2;
        char *v = realloc(h->line, cap);
        if (!v)
            return stick(h, ODZ_ENOMEM, "out of memory");
        h->line = v;
        h->line_cap = cap;
    }
    memcpy(h->line + h->line_len, p, n);
    h->line_len += n;
    return 0;
}

/* The line gathered so far is complete: 1 (a line), 2 (empty: read on) or an error. */
static int finish(odz_bf_history *h, const char **line, size_t *len, char *err, size_t errlen)
{
    h->lineno++;
    size_t n = h->line_len;
    h->line_len = 0;
    if (h->discarding) {
        h->discarding = false;
        return odz_fail(err, errlen, ODZ_EINVAL, "line %zu longer than %u bytes: skipped",
                        h->lineno, ODZ_BF_LINE_MAX);
    }
    if (n && h->line[n - 1] == '\r')
        n--;
    if (!n)
        return 2;
    h->line[n] = '\0';
    *line = h->line;
    *len = n;
    return 1;
}

int odz_bf_history_next(odz_bf_history *h, const char **line, size_t *len, char *err,
                        size_t errlen)
{
    for (;;) {
        if (h->sticky)
            return odz_fail(err, errlen, h->sticky, "%s", h->sticky_msg);
        if (h->out_pos == h->out_len) {
            int n = fill(h);
            if (n < 0)
                continue; /* sticky now */
            h->out_pos = 0;
            h->out_len = (size_t)n;
            if (n == 0) {
                if (!h->line_len && !h->discarding)
                    return 0;
                int rc = finish(h, line, len, err, errlen);
                if (rc != 2)
                    return rc;
                continue;
            }
        }
        const char *p = h->out + h->out_pos;
        size_t avail = h->out_len - h->out_pos;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;
        if (append(h, p, take))
            continue;
        h->out_pos += take + (nl != NULL);
        if (nl) {
            int rc = finish(h, line, len, err, errlen);
            if (rc != 2)
                return rc;
        }
    }
}

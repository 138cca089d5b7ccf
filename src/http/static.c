/* Static web files from cfg.static_root: content types, ETag/Last-Modified with conditional GET,
 * caching policy, single-page-app fallback, and a path walk that cannot leave the root.
 *
 * The path is percent-decoded here (not by the engine), "." and ".." segments and NUL are
 * refused, dot-files are hidden, and every component is opened with O_NOFOLLOW relative to the
 * root's descriptor, so no symlink is followed (inside the root or out of it).
 * Reads are done on the loop thread in 64 KiB slices, as nginx and h2o do for static files;
 * the web bundle is small and lives in the page cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "http/http_internal.h"

#define STATIC_MAX_PATH 1024
#define STATIC_MAX_DEPTH 32
#define STATIC_SLICE (64 * 1024)

static const struct {
    const char *ext;
    const char *type;
} mime_types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
};

static const char *mime_for(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot) {
        for (size_t i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
            if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
                return mime_types[i].type;
    }
    return "application/octet-stream";
}

/* Decodes the URL path into out and splits it into segments (pointers into out).
 * ODZ_EINVAL for anything that could escape or confuse: bad escapes, NUL and control bytes,
 * backslashes, "." and ".." (encoded or not), too long or too deep. */
static int split_path(const char *path, char *out, size_t outlen, char **segs, size_t *nsegs)
{
    size_t o = 0, n = 0;
    if (path[0] != '/')
        return ODZ_EINVAL;
    for (const char *p = path; *p; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = odz_http_hexval((unsigned char)p[1]),
                lo = hi < 0 ? -1 : odz_http_hexval((unsigned char)p[2]);
            if (hi < 0 || lo < 0)
                return ODZ_EINVAL;
            c = hi * 16 + lo;
            p += 2;
        }
        if (c < 0x20 || c == 0x7f || c == '\\')
            return ODZ_EINVAL;
        if (o + 1 >= outlen)
            return ODZ_EINVAL;
        /* a decoded %2f is a separator too: the file system would treat it as one */
        out[o++] = c == '/' ? '\0' : (char)c;
    }
    out[o] = '\0';
    for (size_t i = 0; i < o;) {
        if (out[i] == '\0') {
            i++;
            continue;
        }
        char *seg = out + i;
        size_t len = strlen(seg);
        if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
            return ODZ_EINVAL;
        if (n == STATIC_MAX_DEPTH)
            return ODZ_EINVAL;
        segs[n++] = seg;
        i += len;
    }
    *nsegs = n;
    return 0;
}

/* Opens root/segs... without following symlinks. fd or -errno (-ELOOP for a symlink). */
static int open_beneath(int rootfd, char **segs, size_t nsegs)
{
    int dirfd = rootfd;
    int fd = -1;
    for (size_t i = 0; i < nsegs; i++) {
        /* O_NONBLOCK: a FIFO planted in the tree must not block the loop on open */
        fd = openat(dirfd, segs[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        int e = errno;
        if (dirfd != rootfd)
            close(dirfd);
        if (fd < 0)
            return -e;
        if (i + 1 < nsegs) {
            struct stat st;
            if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
                close(fd);
                return -ENOTDIR;
            }
            dirfd = fd;
        }
    }
    if (nsegs == 0)
        fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd;
}

struct file_gen {
    h2o_generator_t super;
    int fd;
    off_t off;
    size_t left;
    char *buf;
};

static void file_gen_dispose(void *p)
{
    struct file_gen *g = p;
    if (g->fd >= 0)
        close(g->fd);
}

static void file_gen_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    struct file_gen *g = (struct file_gen *)gen;
    size_t want = g->left < STATIC_SLICE ? g->left : STATIC_SLICE;
    ssize_t n;
    while ((n = pread(g->fd, g->buf, want, g->off)) < 0 && errno == EINTR)
        ;
    if (n <= 0) {
        /* the file shrank under us: the length already promised cannot be met */
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    g->off += n;
    g->left -= (size_t)n;
    h2o_iovec_t v = h2o_iovec_init(g->buf, (size_t)n);
    h2o_send(req, &v, 1, g->left ? H2O_SEND_STATE_IN_PROGRESS : H2O_SEND_STATE_FINAL);
}

static void file_gen_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    /* the descriptor is closed by the pool (file_gen_dispose) */
}

/* RFC 7231 IMF-fixdate; 0 if unparsable. */
static time_t parse_http_date(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return 0;
    return timegm(&tm);
}

/* Sends an open regular file. `fd` is handed over (closed here or by the pool). */
static int send_file(odz_http_req *r, int fd, const struct stat *st, const char *name,
                     const char *cache_control)
{
    h2o_req_t *req = r->h2o;
    char etag[80], lastmod[64];
    struct tm tm;

    snprintf(etag, sizeof(etag), "\"%llx-%lx-%llx\"", (unsigned long long)st->st_mtim.tv_sec,
             (unsigned long)st->st_mtim.tv_nsec, (unsigned long long)st->st_size);
    gmtime_r(&st->st_mtim.tv_sec, &tm);
    strftime(lastmod, sizeof(lastmod), "%a, %d %b %Y %H:%M:%S GMT", &tm);

    odz_http_header_kv extra[1] = {{"Last-Modified", lastmod}};
    odz_http_resp_opts opts = {
        .etag = etag, .cache_control = cache_control, .extra = extra, .nextra = 1};

    int not_modified = 0;
    if (odz_http_header(r, "if-none-match")) {
        not_modified = odz_http_etag_matches(r, etag);
    } else {
        const char *ims = odz_http_header(r, "if-modified-since");
        time_t t = ims ? parse_http_date(ims) : 0;
        not_modified = t > 0 && st->st_mtim.tv_sec <= t;
    }
    const char *mt = mime_for(name);
    if (not_modified || odz_http__is_head(r) || st->st_size == 0) {
        close(fd);
        if (not_modified)
            return odz_http__send(r, 304, NULL, NULL, 0, NULL, &opts);
        /* HEAD or empty: the sender announces the length and reads no data */
        return odz_http__send(r, 200, mt, NULL, (size_t)st->st_size, NULL, &opts);
    }

    if (r->responded) {
        close(fd);
        return ODZ_ESTATE;
    }
    r->responded = 1;
    struct file_gen *g = h2o_mem_alloc_shared(&req->pool, sizeof(*g), file_gen_dispose);
    g->super.proceed = file_gen_proceed;
    g->super.stop = file_gen_stop;
    g->fd = fd;
    g->off = 0;
    g->left = (size_t)st->st_size;
    g->buf = h2o_mem_alloc_pool(&req->pool, g->left < STATIC_SLICE ? g->left : STATIC_SLICE);

    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = g->left;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, mt, strlen(mt));
    odz_http__add_opts(req, &opts);
    h2o_start_response(req, &g->super);
    file_gen_proceed(&g->super, req);
    return 0;
}

/* Regular file `fd` (or index.html inside the directory `fd`); -errno when there is none. */
static int settle_file(int fd, struct stat *st, int *is_index)
{
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (S_ISDIR(st->st_mode)) {
        int f = openat(fd, "index.html", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        int e = errno;
        close(fd);
        if (f < 0)
            return -e;
        *is_index = 1;
        return settle_file(f, st, is_index);
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return -ENOENT;
    }
    return fd;
}

static const char *cache_policy(const char *path, int is_index, const char *last)
{
    if (is_index || strcmp(last, "index.html") == 0)
        return "no-cache";
    if (strncmp(path, "/assets/", 8) == 0)
        return "public, max-age=31536000, immutable";
    return "public, max-age=3600";
}

int odz_http__static_serve(odz_http_req *r)
{
    odz_http_server *srv = r->lp->srv;
    char buf[STATIC_MAX_PATH];
    char *segs[STATIC_MAX_DEPTH];
    size_t nsegs = 0;
    struct stat st;
    int is_index = 0;

    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
        r->label = "static";
        h2o_add_header(&r->h2o->pool, &r->h2o->res.headers, H2O_TOKEN_ALLOW, NULL,
                       H2O_STRLIT("GET, HEAD"));
        return odz_http__send_json_error(r, 405, NULL, "static files accept GET and HEAD");
    }
    if (split_path(r->path, buf, sizeof(buf), segs, &nsegs) != 0) {
        r->label = "static";
        return odz_http__send_json_error(r, 400, "bad_path", "path is not allowed");
    }
    const char *last = nsegs ? segs[nsegs - 1] : "";
    for (size_t i = 0; i < nsegs; i++) {
        if (segs[i][0] == '.') { /* dot-files (.env, .git) are never served */
            r->label = "not_found";
            return odz_http__send_json_error(r, 404, NULL, "no such file");
        }
    }

    int fd = open_beneath(srv->static_dirfd, segs, nsegs);
    if (fd >= 0)
        fd = settle_file(fd, &st, &is_index);
    if (fd >= 0) {
        r->label = "static";
        return send_file(r, fd, &st, is_index ? "index.html" : last,
                         cache_policy(r->path, is_index, last));
    }
    if (fd == -ELOOP) { /* a symlink: refused outright, no fallback */
        r->label = "not_found";
        return odz_http__send_json_error(r, 404, NULL, "no such file");
    }
    if (fd == -EACCES) {
        r->label = "static";
        return odz_http__send_json_error(r, 403, NULL, "not readable");
    }
    /* SPA fallback: client-side routes have no extension */
    if (!strchr(last, '.')) {
        char *idx[1] = {"index.html"};
        fd = open_beneath(srv->static_dirfd, idx, 1);
        if (fd >= 0)
            fd = settle_file(fd, &st, &is_index);
        if (fd >= 0) {
            r->label = "spa";
            return send_file(r, fd, &st, "index.html", "no-cache");
        }
    }
    r->label = "not_found";
    return odz_http__send_json_error(r, 404, NULL, "no such file");
}

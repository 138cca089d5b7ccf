/* The two places where h2o 2.2 (lib/http1.c) decides about a request before any filter or
 * handler of ours runs, and what we do there by interposing the library calls it makes.
 *
 * 1. A request head h2o's parser refuses (a bad request line, HTTP/0.9, a NUL or a bare CR in
 *    a header, more than H2O_MAX_HEADERS lines, a head past H2O_MAX_REQLEN bytes) is answered
 *    by send_bad_request(), which writes a fixed text/plain 400 straight to the socket with
 *    h2o_socket_write(): no filter, no handler, no hook. We define h2o_socket_write here; the
 *    library reaches it through its PLT (libh2o-evloop is not linked -Bsymbolic), so ours
 *    runs for every write, recognises those exact bytes and writes the JSON error instead,
 *    then hands everything to the library's own function.
 * 2. h2o picks Transfer-Encoding over Content-Length when both are sent and keeps neither in
 *    req->headers, so a handler cannot see the conflict. We define phr_parse_request (the
 *    picohttpparser entry h2o calls for every request head, also through its PLT): it runs
 *    the library's parser and then refuses a head with both headers, or with Content-Length
 *    twice, as a parse error; h2o answers that with the canned 400 (hence JSON, point 1) and
 *    closes the connection, so nothing of the body is read as a next request.
 *
 * 3. A large view kept in a memfd (odz_buf_take_file) goes to the socket with sendfile(2), as
 *    nginx sends a file: the kernel then references the pages instead of copying 100 KB into
 *    the socket per request. odz_http__send names the body's bytes and memfd just before its
 *    h2o_send (odz_http__sendfile_hint); when the write that h2o makes from it reaches our
 *    h2o_socket_write on a plain (not TLS) socket, we send the bytes before the body (the
 *    response head, held back with MSG_MORE), then the body from the memfd, and give h2o
 *    whatever the socket did not take, so h2o's own writer finishes, times out and calls back
 *    exactly as for any write. h2o calls h2o_socket_write only with nothing of its own
 *    pending on the socket (it asserts so), so writing first is in order.
 *
 * All definitions are exported from the executable because libh2o-evloop defines the same
 * symbols; the real functions come from dlsym(RTLD_NEXT). If a later h2o stops going through
 * the PLT, or changes the canned bytes, the wrappers simply pass everything through and the
 * tests in tests/http/test_http.c (test_engine_rejections) fail. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "http/http_internal.h"

/* picohttpparser's ABI as exported by libh2o (Debian ships no picohttpparser.h). */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len,
                      const char **path, size_t *path_len, int *minor_version,
                      struct phr_header *headers, size_t *num_headers, size_t last_len);

typedef int (*parse_fn)(const char *, size_t, const char **, size_t *, const char **, size_t *,
                        int *, struct phr_header *, size_t *, size_t);
typedef void (*write_fn)(h2o_socket_t *, h2o_iovec_t *, size_t, h2o_socket_cb);

/* lib/http1.c send_bad_request(), h2o 2.2.5 */
static const char H2O_CANNED_400[] = "HTTP/1.1 400 Bad Request\r\n"
                                     "Content-Type: text/plain; charset=utf-8\r\n"
                                     "Connection: close\r\n"
                                     "Content-Length: 11\r\n"
                                     "\r\n"
                                     "Bad Request";

enum { WHY_MALFORMED, WHY_FRAMING, WHY_COUNT };
static const char *const why_text[WHY_COUNT] = {
    [WHY_MALFORMED] = "malformed request: bad request line or header, or a request head larger "
                      "than the server reads",
    [WHY_FRAMING] = "ambiguous body length: Content-Length with Transfer-Encoding, or "
                    "Content-Length more than once",
};

static parse_fn real_parse;
static write_fn real_write;
static char canned[WHY_COUNT][512];
static h2o_iovec_t canned_iov[WHY_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;
/* set by the parser wrapper, read by the write that follows on the same loop thread */
static _Thread_local int last_why;

static void init_once(void)
{
    real_parse = (parse_fn)dlsym(RTLD_NEXT, "phr_parse_request");
    real_write = (write_fn)dlsym(RTLD_NEXT, "h2o_socket_write");
    if (!real_parse || !real_write) {
        fprintf(stderr, "http: cannot find h2o's phr_parse_request/h2o_socket_write\n");
        abort();
    }
    for (int i = 0; i < WHY_COUNT; i++) {
        int n = odz_http__canned_json(400, NULL, why_text[i], canned[i], sizeof canned[i]);
        if (n <= 0)
            abort(); /* the texts above are constants that fit */
        canned_iov[i] = h2o_iovec_init(canned[i], (size_t)n);
    }
}

static int framing_conflict(const struct phr_header *h, size_t n)
{
    int cl = 0, te = 0;
    for (size_t i = 0; i < n; i++) {
        if (!h[i].name)
            continue; /* a continuation line */
        if (h[i].name_len == 14 && strncasecmp(h[i].name, "content-length", 14) == 0)
            cl++;
        else if (h[i].name_len == 17 && strncasecmp(h[i].name, "transfer-encoding", 17) == 0)
            te++;
    }
    return cl > 1 || (cl && te);
}

int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len,
                      const char **path, size_t *path_len, int *minor_version,
                      struct phr_header *headers, size_t *num_headers, size_t last_len)
{
    pthread_once(&once, init_once);
    int rc = real_parse(buf, len, method, method_len, path, path_len, minor_version, headers,
                        num_headers, last_len);
    last_why = WHY_MALFORMED;
    if (rc > 0 && framing_conflict(headers, *num_headers)) {
        last_why = WHY_FRAMING;
        return -1;
    }
    return rc;
}

/* the body odz_http__send is about to hand to h2o on this thread, when it is in a memfd */
static _Thread_local struct {
    const char *base;
    size_t len;
    int fd;
} hint;
static atomic_ullong sendfile_bytes;

void odz_http__sendfile_hint(const void *base, size_t len, int fd)
{
    hint.base = base;
    hint.len = len;
    hint.fd = fd;
}

unsigned long long odz_http_body_bytes_sendfile(void)
{
    return atomic_load_explicit(&sendfile_bytes, memory_order_relaxed);
}

/* the index of the buffer that lies within the hinted memfd's mapping, or bufcnt */
static size_t hinted_buf(const h2o_iovec_t *bufs, size_t bufcnt)
{
    uintptr_t lo = (uintptr_t)hint.base; /* addresses compared as numbers: the buffers are */
    for (size_t i = 0; i < bufcnt; i++) { /* not all of one object */
        uintptr_t p = (uintptr_t)bufs[i].base;
        if (bufs[i].len && p >= lo && bufs[i].len <= hint.len && p - lo <= hint.len - bufs[i].len)
            return i;
    }
    return bufcnt;
}

/* Writes rest[0..k) then rest[k] with sendfile, up to the first short write; leaves in
 * rest[*from..] what is still to go and returns the bytes sent. Errors are left to h2o: it
 * meets them again on its own write and reports them as it always does. */
static size_t send_direct(int fd, const char *base, int file, h2o_iovec_t *rest, size_t k,
                          size_t *from)
{
    size_t sent = 0, i = 0;
    if (k) {
        struct msghdr m = {.msg_iov = (struct iovec *)rest, .msg_iovlen = k};
        ssize_t w;
        while ((w = sendmsg(fd, &m, MSG_MORE | MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
            ;
        size_t left = w > 0 ? (size_t)w : 0;
        sent = left;
        for (; i < k && left >= rest[i].len; i++)
            left -= rest[i].len;
        if (i < k) { /* the head did not all go: h2o writes the rest, body included */
            rest[i].base += left;
            rest[i].len -= left;
            *from = i;
            return sent;
        }
    }
    off_t off = rest[k].base - base;
    while (rest[k].len) {
        ssize_t w = sendfile(fd, file, &off, rest[k].len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        sent += (size_t)w;
        rest[k].base += w;
        rest[k].len -= (size_t)w;
    }
    *from = rest[k].len ? k : k + 1;
    return sent;
}

void h2o_socket_write(h2o_socket_t *sock, h2o_iovec_t *bufs, size_t bufcnt, h2o_socket_cb cb)
{
    pthread_once(&once, init_once);
    if (hint.base && !sock->ssl && bufcnt <= 16) {
        size_t k = hinted_buf(bufs, bufcnt);
        const char *base = hint.base;
        hint.base = NULL; /* one write per hint */
        if (k < bufcnt) {
            h2o_iovec_t rest[16];
            memcpy(rest, bufs, bufcnt * sizeof *bufs);
            size_t from = 0;
            size_t sent = send_direct(h2o_socket_get_fd(sock), base, hint.fd, rest, k, &from);
            atomic_fetch_add_explicit(&sendfile_bytes, bufs[k].len - rest[k].len,
                                      memory_order_relaxed);
            sock->bytes_written += sent; /* h2o counts what it is given below */
            real_write(sock, rest + from, bufcnt - from, cb);
            return;
        }
    }
    if (bufcnt == 1 && bufs[0].len == sizeof H2O_CANNED_400 - 1 &&
        memcmp(bufs[0].base, H2O_CANNED_400, sizeof H2O_CANNED_400 - 1) == 0) {
        /* the library advances the iovec it is given and keeps a copy of what is left: give
         * it one of its own; the bytes are static */
        h2o_iovec_t iov = canned_iov[last_why];
        last_why = WHY_MALFORMED;
        real_write(sock, &iov, 1, cb);
        return;
    }
    real_write(sock, bufs, bufcnt, cb);
}

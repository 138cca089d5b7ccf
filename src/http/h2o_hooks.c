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
 * All definitions are exported from the executable because libh2o-evloop defines the same
 * symbols; the real functions come from dlsym(RTLD_NEXT). If a later h2o stops going through
 * the PLT, or changes the canned bytes, the wrappers simply pass everything through and the
 * tests in tests/http/test_http.c (test_engine_rejections) fail. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

void h2o_socket_write(h2o_socket_t *sock, h2o_iovec_t *bufs, size_t bufcnt, h2o_socket_cb cb)
{
    pthread_once(&once, init_once);
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

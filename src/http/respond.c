/* Responses: the core sender, JSON errors, conditional GET and gzip negotiation. */
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/http_internal.h"

/* The statuses we send: reason phrase and the code word of a JSON error (NULL: the default,
 * "error" below 500, "internal" from it). */
static const struct {
    int status;
    const char *reason, *code;
} statuses[] = {
    {200, "OK", NULL},
    {201, "Created", NULL},
    {202, "Accepted", NULL},
    {204, "No Content", NULL},
    {301, "Moved Permanently", NULL},
    {302, "Found", NULL},
    {304, "Not Modified", NULL},
    {400, "Bad Request", "bad_request"},
    {401, "Unauthorized", "unauthorized"},
    {403, "Forbidden", "forbidden"},
    {404, "Not Found", "not_found"},
    {405, "Method Not Allowed", "method_not_allowed"},
    {409, "Conflict", "conflict"},
    {413, "Payload Too Large", "payload_too_large"},
    {414, "URI Too Long", "uri_too_long"},
    {415, "Unsupported Media Type", "unsupported_media_type"},
    {417, "Expectation Failed", "expectation_failed"},
    {422, "Unprocessable Entity", "unprocessable"},
    {429, "Too Many Requests", "too_many_requests"},
    {431, "Request Header Fields Too Large", "headers_too_large"},
    {500, "Internal Server Error", NULL},
    {501, "Not Implemented", "not_implemented"},
    {502, "Bad Gateway", "bad_gateway"},
    {503, "Service Unavailable", "unavailable"},
    {504, "Gateway Timeout", "timeout"},
};

static int status_row(int status)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].status == status)
            return (int)i;
    return -1;
}

const char *odz_http__reason(int status)
{
    int i = status_row(status);
    return i >= 0 ? statuses[i].reason : status < 400 ? "OK" : "Error";
}

const char *odz_http__status_code(int status)
{
    int i = status_row(status);
    if (i >= 0 && statuses[i].code)
        return statuses[i].code;
    return status < 500 ? "error" : "internal";
}

int odz_http_status_of(int err)
{
    switch (err) {
    case 0:
        return 200;
    case ODZ_EINVAL:
        return 400;
    case ODZ_ENOTFOUND:
        return 404;
    case ODZ_ESTATE:
        return 409;
    case ODZ_EFULL:
    case ODZ_ENORESP:
    case ODZ_ECLOSED:
        return 503;
    case ODZ_ETIMEOUT:
        return 504;
    default:
        return 500;
    }
}

static int has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

int odz_http__check_opts(const odz_http_resp_opts *o)
{
    if (!o)
        return 0;
    if (has_crlf(o->etag) || has_crlf(o->cache_control) || has_crlf(o->correlation_id) ||
        has_crlf(o->content_encoding) || has_crlf(o->vary))
        return ODZ_EINVAL;
    for (size_t i = 0; i < o->nextra; i++) {
        const char *n = o->extra[i].name;
        if (!n || !*n || !o->extra[i].value || has_crlf(o->extra[i].value) || strpbrk(n, "\r\n: "))
            return ODZ_EINVAL;
    }
    return 0;
}

static void add_token(h2o_req_t *req, const h2o_token_t *tok, const char *v)
{
    h2o_iovec_t c = h2o_strdup(&req->pool, v, strlen(v));
    h2o_add_header(&req->pool, &req->res.headers, tok, NULL, c.base, c.len);
}

static void add_named(h2o_req_t *req, const char *name, const char *v)
{
    size_t n = strlen(name);
    /* h2o keeps pointers to both strings and matches tokens on lower case */
    h2o_iovec_t lc = h2o_strdup(&req->pool, name, n);
    h2o_strtolower(lc.base, lc.len);
    h2o_iovec_t val = h2o_strdup(&req->pool, v, strlen(v));
    h2o_add_header_by_str(&req->pool, &req->res.headers, lc.base, lc.len, 1, NULL, val.base,
                          val.len);
}

void odz_http__add_opts(h2o_req_t *req, const odz_http_resp_opts *o)
{
    if (!o)
        return;
    if (o->etag)
        add_token(req, H2O_TOKEN_ETAG, o->etag);
    if (o->cache_control)
        add_token(req, H2O_TOKEN_CACHE_CONTROL, o->cache_control);
    if (o->content_encoding)
        add_token(req, H2O_TOKEN_CONTENT_ENCODING, o->content_encoding);
    if (o->vary)
        add_token(req, H2O_TOKEN_VARY, o->vary);
    if (o->correlation_id)
        add_named(req, "x-correlation-id", o->correlation_id);
    for (size_t i = 0; i < o->nextra; i++)
        add_named(req, o->extra[i].name, o->extra[i].value);
}

static atomic_ullong copied_bytes;

void odz_http__count_copy(size_t n)
{
    atomic_fetch_add_explicit(&copied_bytes, n, memory_order_relaxed);
}

unsigned long long odz_http_body_bytes_copied(void)
{
    return atomic_load_explicit(&copied_bytes, memory_order_relaxed);
}

int odz_http__send(odz_http_req *r, int status, const char *ctype, const void *data, size_t len,
                   odz_buf *keep, const odz_http_resp_opts *opts)
{
    /* one shared, stateless generator: the whole body goes out in a single final h2o_send */
    static h2o_generator_t oneshot = {NULL, NULL};
    h2o_req_t *req = r->h2o;

    if (!req)
        return ODZ_ECLOSED;
    if (r->responded)
        return ODZ_ESTATE;
    if (status < 200 || status > 599 || has_crlf(ctype) || odz_http__check_opts(opts) != 0)
        return ODZ_EINVAL;
    r->responded = 1;
    if (keep) {
        data = odz_buf_data(keep);
        len = odz_buf_len(keep);
    }

    req->res.status = status;
    req->res.reason = odz_http__reason(status);
    if (ctype)
        add_token(req, H2O_TOKEN_CONTENT_TYPE, ctype);
    odz_http__add_opts(req, opts);

    int no_body = status == 204 || status == 304;
    h2o_iovec_t body = {NULL, 0};
    if (!no_body) {
        req->res.content_length = len;
        if (len && !odz_http__is_head(r)) {
            if (keep) {
                /* the request's pool drops our reference after the bytes have been written
                 * (odz_http__req_gone) */
                r->body = odz_buf_ref(keep);
                body = h2o_iovec_init(data, len);
            } else {
                body.base = h2o_mem_alloc_pool(&req->pool, len);
                memcpy(body.base, data, len);
                body.len = len;
                odz_http__count_copy(len);
            }
        }
    }
    h2o_start_response(req, &oneshot);
    h2o_send(req, body.len ? &body : NULL, body.len ? 1 : 0, H2O_SEND_STATE_FINAL);
    return 0;
}

int odz_http_respond(odz_http_req *req, int status, const char *content_type, const void *body,
                     size_t len)
{
    return odz_http__send(req, status, content_type, body, len, NULL, NULL);
}

int odz_http_respond_buf(odz_http_req *req, int status, const char *content_type, odz_buf *body,
                         const odz_http_resp_opts *opts)
{
    if (!body)
        return odz_http__send(req, status, content_type, NULL, 0, NULL, opts);
    return odz_http__send(req, status, content_type, NULL, 0, body, opts);
}

char *odz_http__json_error_text(const char *code, const char *message, size_t *len)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_t *c = json_string(code ? code : "error");
    json_t *m = json_string(message ? message : "");
    /* jansson refuses invalid UTF-8; never let that drop the error itself */
    if (!c)
        c = json_string("error");
    if (!m)
        m = json_string("");
    json_object_set_new(o, "error", c);
    json_object_set_new(o, "message", m);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s)
        *len = strlen(s);
    return s;
}

int odz_http__send_json_error(odz_http_req *r, int status, const char *code, const char *message)
{
    size_t len = 0;
    char *s = odz_http__json_error_text(code ? code : odz_http__status_code(status), message, &len);
    if (!s)
        return ODZ_ENOMEM;
    int rc = odz_http__send(r, status, "application/json", s, len, NULL, NULL);
    free(s);
    return rc;
}

int odz_http_respond_json_error(odz_http_req *req, int status, const char *code,
                                const char *message)
{
    return odz_http__send_json_error(req, status, code, message);
}

int odz_http__canned_json(int status, const char *code, const char *message, char *out,
                          size_t outlen)
{
    size_t blen = 0;
    char *body = odz_http__json_error_text(code ? code : odz_http__status_code(status), message,
                                           &blen);
    if (!body)
        return ODZ_ENOMEM;
    int n = snprintf(out, outlen,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "X-Content-Type-Options: nosniff\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     status, odz_http__reason(status), blen, body);
    free(body);
    return n < 0 || (size_t)n >= outlen ? ODZ_EFULL : n;
}

static void set_named(h2o_req_t *req, const char *lcname, const char *value)
{
    /* static strings: h2o keeps the pointers */
    h2o_set_header_by_str(&req->pool, &req->res.headers, lcname, strlen(lcname), 0, value,
                          strlen(value), 1);
}

void odz_http__security_headers(h2o_req_t *req)
{
    set_named(req, "x-content-type-options", "nosniff");
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i < 0)
        return;
    h2o_iovec_t ct = req->res.headers.entries[i].value;
    if (ct.len < 9 || !h2o_lcstris(ct.base, 9, H2O_STRLIT("text/html")) ||
        (ct.len > 9 && ct.base[9] != ';' && ct.base[9] != ' '))
        return;
    set_named(req, "content-security-policy", ODZ_HTTP_HTML_CSP);
    set_named(req, "x-frame-options", "DENY");
    set_named(req, "referrer-policy", ODZ_HTTP_REFERRER_POLICY);
}

int odz_http__busy(const char *message, int retry_after_s, odz_buf **body, odz_http_header_kv *hdr,
                   char value[16], odz_http_resp_opts *opts)
{
    size_t len = 0;
    char *s = odz_http__json_error_text("busy", message, &len);
    if (!s || !(*body = odz_buf_take(s, len)))
        return ODZ_ENOMEM;
    if (retry_after_s < 1 || retry_after_s > 3600)
        retry_after_s = 1;
    snprintf(value, 16, "%d", retry_after_s);
    *hdr = (odz_http_header_kv){"Retry-After", value};
    *opts = (odz_http_resp_opts){.extra = hdr, .nextra = 1};
    return 0;
}

int odz_http_respond_busy(odz_http_req *req, const char *message, int retry_after_s)
{
    odz_buf *b = NULL;
    odz_http_header_kv h;
    odz_http_resp_opts o;
    char v[16];
    if (odz_http__busy(message, retry_after_s, &b, &h, v, &o))
        return ODZ_ENOMEM;
    int rc = odz_http__send(req, 503, "application/json", NULL, 0, b, &o);
    odz_buf_unref(b);
    return rc;
}

/* Strips a weak prefix and surrounding blanks from one entity-tag. */
static void etag_core(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
    if (*n >= 2 && (*s)[0] == 'W' && (*s)[1] == '/') {
        *s += 2;
        *n -= 2;
    }
}

int odz_http_etag_matches(const odz_http_req *req, const char *etag)
{
    const char *inm = odz_http_header(req, "if-none-match");
    if (!inm || !etag || !*etag)
        return 0;
    const char *want = etag;
    size_t wantlen = strlen(etag);
    etag_core(&want, &wantlen);
    const char *p = inm;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *tag = p;
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        etag_core(&tag, &n);
        if ((n == 1 && tag[0] == '*') || (n == wantlen && memcmp(tag, want, n) == 0))
            return 1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int odz_http_accepts_gzip(const odz_http_req *req)
{
    return odz_http_pick_encoding(odz_http_header(req, "accept-encoding"), 1u << ODZ_ENC_GZIP) ==
           ODZ_ENC_GZIP;
}

int odz_http_respond_variant(odz_http_req *req, const char *content_type, odz_buf *body, int coding,
                             int vary, const odz_http_resp_opts *opts)
{
    static const char *const names[ODZ_ENC_COUNT] = {NULL, "gzip", "br"};
    if (!body || coding < 0 || coding >= ODZ_ENC_COUNT)
        return ODZ_EINVAL;
    odz_http_resp_opts o;
    if (opts)
        o = *opts;
    else
        memset(&o, 0, sizeof(o));
    if (vary && !o.vary)
        o.vary = "Accept-Encoding";
    o.content_encoding = NULL;
    if (o.etag && odz_http_etag_matches(req, o.etag))
        return odz_http__send(req, 304, NULL, NULL, 0, NULL, &o);
    o.content_encoding = names[coding];
    return odz_http_respond_buf(req, 200, content_type, body, &o);
}

int odz_http_respond_variants(odz_http_req *req, const char *content_type,
                              odz_buf *const var[ODZ_ENC_COUNT], const odz_http_resp_opts *opts)
{
    unsigned avail = 0;
    for (int c = 0; c < ODZ_ENC_COUNT; c++)
        if (c != ODZ_ENC_IDENTITY && var[c])
            avail |= 1u << c;
    int c = avail ? odz_http_pick_encoding(odz_http_header(req, "accept-encoding"), avail)
                  : ODZ_ENC_IDENTITY;
    return odz_http_respond_variant(req, content_type, var[c], c, avail != 0, opts);
}

int odz_http_respond_cached(odz_http_req *req, const char *content_type, odz_buf *plain,
                            odz_buf *gzipped, const odz_http_resp_opts *opts)
{
    odz_buf *const var[ODZ_ENC_COUNT] = {[ODZ_ENC_IDENTITY] = plain, [ODZ_ENC_GZIP] = gzipped};
    return odz_http_respond_variants(req, content_type, var, opts);
}

/* Routes and a request's way to its handler: the route table, matching (exact paths beat
 * prefixes, HEAD served by GET), the request's limits, 405 with Allow, the static fallback, and
 * one answer for every request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/http_internal.h"

#define MAX_ROUTES 256

/* Marks an h2o request as ours, so the logger can find our request from h2o's. */
struct req_tag {
    h2o_req_prefilter_t super;
    odz_http_req *r;
};

int odz_http_route(odz_http_server *srv, const char *method, const char *path, odz_http_handler fn,
                   void *ud)
{
    if (srv->ran)
        return ODZ_ESTATE;
    if (!path || path[0] != '/' || !fn || strpbrk(path, "?# \r\n") ||
        (method && (!*method || strpbrk(method, " \r\n,"))))
        return ODZ_EINVAL;
    if (srv->nroutes == MAX_ROUTES)
        return ODZ_EFULL;
    size_t n = strlen(path);
    int prefix = n >= 2 && path[n - 2] == '/' && path[n - 1] == '*';
    if (!prefix && strchr(path, '*'))
        return ODZ_EINVAL;
    struct odz_http_route_ent *grown = realloc(srv->routes, (srv->nroutes + 1) * sizeof(*grown));
    if (!grown)
        return ODZ_ENOMEM;
    srv->routes = grown;
    struct odz_http_route_ent *e = &srv->routes[srv->nroutes];
    memset(e, 0, sizeof(*e));
    e->pattern = strdup(path);
    e->method = method ? strdup(method) : NULL;
    if (!e->pattern || (method && !e->method)) {
        free(e->pattern);
        free(e->method);
        return ODZ_ENOMEM;
    }
    e->prefix = prefix;
    e->plen = prefix ? n - 1 : n; /* a prefix keeps its trailing '/' */
    e->fn = fn;
    e->ud = ud;
    srv->nroutes++;
    return 0;
}

static int route_path_match(const struct odz_http_route_ent *e, const char *path, size_t len)
{
    if (e->prefix)
        return len >= e->plen && memcmp(path, e->pattern, e->plen) == 0;
    return len == e->plen && memcmp(path, e->pattern, len) == 0;
}

static int route_method_match(const struct odz_http_route_ent *e, const char *method)
{
    if (!e->method)
        return 1;
    if (strcmp(e->method, method) == 0)
        return 1;
    return strcmp(method, "HEAD") == 0 && strcmp(e->method, "GET") == 0;
}

static int is_api_path(const char *path)
{
    return strncmp(path, "/api", 4) == 0 && (path[4] == '\0' || path[4] == '/');
}

static void send_405(odz_http_req *r, const char *path, size_t len)
{
    odz_http_server *srv = r->lp->srv;
    char allow[256];
    size_t off = 0;
    int any = 0, get = 0, head = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < srv->nroutes; i++) {
        const struct odz_http_route_ent *e = &srv->routes[i];
        if (!route_path_match(e, path, len) || !e->method)
            continue;
        if (strcmp(e->method, "GET") == 0)
            get = 1;
        if (strcmp(e->method, "HEAD") == 0)
            head = 1;
        /* skip duplicates already listed */
        size_t ml = strlen(e->method);
        int dup = 0;
        for (const char *p = allow; (p = strstr(p, e->method)) != NULL; p += ml)
            if ((p == allow || p[-2] == ',') && (p[ml] == ',' || p[ml] == '\0'))
                dup = 1;
        if (dup)
            continue;
        int w = snprintf(allow + off, sizeof(allow) - off, "%s%s", any ? ", " : "", e->method);
        if (w < 0 || (size_t)w >= sizeof(allow) - off)
            break;
        off += (size_t)w;
        any = 1;
    }
    if (get && !head && off + 6 < sizeof(allow)) {
        snprintf(allow + off, sizeof(allow) - off, ", HEAD");
    }
    h2o_req_t *req = r->h2o;
    h2o_iovec_t v = h2o_strdup(&req->pool, allow, strlen(allow));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, v.base, v.len);
    char msg[300];
    snprintf(msg, sizeof(msg), "method %s not allowed; allowed: %s", r->method, allow);
    odz_http__send_json_error(r, 405, NULL, msg);
}

/* After the handler: make sure every request gets exactly one answer. */
static void finish_handler(odz_http_req *r, int rc)
{
    if (r->responded || !r->h2o)
        return;
    if (r->pending)
        return; /* answered later through the handle */
    if (rc < 0) {
        odz_http__send_json_error(r, odz_http_status_of(rc), odz_errcode(rc), "request failed");
        return;
    }
    odz_http__send_json_error(r, 500, "internal", "handler did not respond");
}

/* Approximate request-head size as received (request line plus header lines). */
static size_t head_bytes(const h2o_req_t *req)
{
    size_t n = req->input.method.len + req->input.path.len + 12 + req->input.authority.len + 8;
    for (size_t i = 0; i < req->headers.size; i++)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    return n;
}

static void tag_setup_ostream(h2o_req_prefilter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    h2o_setup_next_prefilter(self, req, slot);
}

odz_http_req *odz_http__find_req(h2o_req_t *req)
{
    for (h2o_req_prefilter_t *p = req->prefilters; p; p = p->next)
        if (p->on_setup_ostream == tag_setup_ostream)
            return ((struct req_tag *)p)->r;
    return NULL;
}

/* The request's pool is being cleared: h2o is done with it. */
static void on_req_pool_dispose(void *p)
{
    odz_http__req_gone(p);
}

static char *pool_strndup(h2o_mem_pool_t *pool, const char *s, size_t n)
{
    char *d = h2o_mem_alloc_pool(pool, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

int odz_http__on_req(h2o_handler_t *self, h2o_req_t *req)
{
    odz_http_server *srv = ((struct odz_http_handler_ent *)self)->srv;
    odz_http_loop *lp = H2O_STRUCT_FROM_MEMBER(odz_http_loop, ctx, req->conn->ctx);

    odz_http_req *r = h2o_mem_alloc_shared(&req->pool, sizeof(*r), on_req_pool_dispose);
    memset(r, 0, sizeof(*r));
    r->h2o = req;
    r->lp = lp;
    r->label = "-";
    struct req_tag *tag = (struct req_tag *)h2o_add_prefilter(req, sizeof(*tag));
    tag->super.on_setup_ostream = tag_setup_ostream;
    tag->r = r;

    size_t pathlen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    r->method = pool_strndup(&req->pool, req->method.base, req->method.len);
    r->path = pool_strndup(&req->pool, req->path.base, pathlen);
    r->query = req->query_at != SIZE_MAX ? pool_strndup(&req->pool, req->path.base + pathlen + 1,
                                                        req->path.len - pathlen - 1)
                                         : pool_strndup(&req->pool, "", 0);

    if (req->input.path.len > srv->cfg.max_uri_bytes) {
        odz_http__send_json_error(r, 414, NULL, "request target is too long");
        return 0;
    }
    if (head_bytes(req) > srv->cfg.max_header_bytes) {
        req->http1_is_persistent = 0;
        odz_http__send_json_error(r, 431, NULL, "request headers are too large");
        return 0;
    }
    if (memchr(r->path, '\0', pathlen)) {
        odz_http__send_json_error(r, 400, "bad_path", "path is not allowed");
        return 0;
    }

    const struct odz_http_route_ent *best = NULL;
    size_t best_score = 0;
    int path_known = 0;
    for (size_t i = 0; i < srv->nroutes; i++) {
        const struct odz_http_route_ent *e = &srv->routes[i];
        if (!route_path_match(e, r->path, pathlen))
            continue;
        path_known = 1;
        size_t score = e->prefix ? e->plen : e->plen + 100000;
        if (route_method_match(e, r->method) && (!best || score > best_score)) {
            best = e;
            best_score = score;
        }
    }
    if (best) {
        r->label = best->pattern;
        r->rest = best->prefix ? r->path + best->plen : "";
        int rc = best->fn(r, best->ud);
        finish_handler(r, rc);
        return 0;
    }
    if (path_known) {
        r->label = "method_not_allowed";
        send_405(r, r->path, pathlen);
        return 0;
    }
    if (is_api_path(r->path) || srv->static_dirfd < 0) {
        r->label = "not_found";
        odz_http__send_json_error(r, 404, NULL, "no such resource");
        return 0;
    }
    odz_http__static_serve(r);
    if (!r->responded && r->h2o)
        odz_http__send_json_error(r, 500, "internal", "static file error");
    return 0;
}

/* Request accessors: method, path, query parameters (decoded by query.c), headers, body, peer. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "http/http_internal.h"

const char *odz_http_method(const odz_http_req *req)
{
    return req->method;
}

const char *odz_http_path(const odz_http_req *req)
{
    return req->path;
}

const char *odz_http_path_rest(const odz_http_req *req)
{
    return req->rest ? req->rest : "";
}

const char *odz_http_query(const odz_http_req *req)
{
    return req->query;
}

int odz_http_query_param(const odz_http_req *req, const char *name, char *out, size_t outlen)
{
    return odz_http_query_get(req->query, name, out, outlen);
}

const char *odz_http_header(const odz_http_req *req, const char *name)
{
    h2o_req_t *h = req->h2o;
    char lc[128];
    size_t n = strlen(name);
    if (!h || n == 0 || n >= sizeof(lc))
        return NULL;
    for (size_t i = 0; i < n; i++)
        lc[i] = (char)h2o_tolower((unsigned char)name[i]);
    /* most names asked for are h2o tokens: found by pointer rather than by string */
    const h2o_token_t *tok = h2o_lookup_token(lc, n);
    ssize_t at = tok ? h2o_find_header(&h->headers, tok, -1)
                     : h2o_find_header_by_str(&h->headers, lc, n, -1);
    if (at < 0)
        return NULL;
    const h2o_iovec_t *v = &h->headers.entries[at].value;
    char *copy = h2o_mem_alloc_pool(&h->pool, v->len + 1);
    memcpy(copy, v->base, v->len);
    copy[v->len] = '\0';
    return copy;
}

const void *odz_http_body(const odz_http_req *req, size_t *len)
{
    h2o_req_t *h = req->h2o;
    if (!h || h->entity.base == NULL) {
        *len = 0;
        return NULL;
    }
    *len = h->entity.len;
    return h->entity.base;
}

int odz_http__peer_text(const struct sockaddr_storage *ss, socklen_t sl, char *out, size_t outlen)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (sl == 0 || getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host), serv,
                               sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return ODZ_EIO;
    int w = ss->ss_family == AF_INET6 ? snprintf(out, outlen, "[%s]:%s", host, serv)
                                      : snprintf(out, outlen, "%s:%s", host, serv);
    return (w < 0 || (size_t)w >= outlen) ? ODZ_EINVAL : 0;
}

int odz_http_remote_addr(const odz_http_req *req, char *out, size_t outlen)
{
    h2o_req_t *h = req->h2o;
    struct sockaddr_storage ss;
    if (!h)
        return ODZ_ECLOSED;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl = h->conn->callbacks->get_peername(h->conn, (struct sockaddr *)&ss);
    return odz_http__peer_text(&ss, sl, out, outlen);
}

int odz_http_peer_is_loopback(const odz_http_req *req)
{
    h2o_req_t *h = req->h2o;
    struct sockaddr_storage ss;
    if (!h)
        return 0;
    memset(&ss, 0, sizeof(ss));
    if (h->conn->callbacks->get_peername(h->conn, (struct sockaddr *)&ss) == 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss.ss_family != AF_INET6)
        return 0;
    const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a))
        return 1;
    /* an IPv4 peer on a dual-stack socket: ::ffff:127.x.y.z */
    return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
}

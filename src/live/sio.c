/* Engine.IO / Socket.IO packet, query and polling-body parsing; JSON by jansson. */
#include "live/sio.h"
#include "core/err.h"
#include "core/model.h"
#include "http/server.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

int odz_sio_parse(const char *in, size_t len, odz_sio_packet *p)
{
    memset(p, 0, sizeof(*p));
    p->sio = -1;
    p->ack = -1;
    strcpy(p->nsp, "/");
    if (!in || len == 0 || in[0] < '0' || in[0] > '6')
        return ODZ_EINVAL;
    p->eio = in[0] - '0';
    p->eio_data = in + 1;
    p->eio_len = len - 1;
    if (p->eio != ODZ_EIO_MESSAGE)
        return 0;
    size_t i = 1;
    if (i >= len || in[i] < '0' || in[i] > '6')
        return ODZ_EINVAL;
    p->sio = in[i++] - '0';
    if (p->sio == ODZ_SIO_BINARY_EVENT || p->sio == ODZ_SIO_BINARY_ACK)
        return ODZ_EINVAL;
    if (i < len && in[i] == '/') {
        size_t s = i;
        while (i < len && in[i] != ',')
            i++;
        size_t n = i - s;
        if (n >= ODZ_SIO_NSP_MAX)
            return ODZ_EINVAL;
        for (size_t k = s; k < i; k++)
            if ((unsigned char)in[k] < 0x20 || in[k] == '"' || in[k] == '\\')
                return ODZ_EINVAL;
        memcpy(p->nsp, in + s, n);
        p->nsp[n] = '\0';
        if (i < len)
            i++; /* the comma */
    }
    if (i < len && in[i] >= '0' && in[i] <= '9') {
        int64_t a = 0;
        size_t digits = 0;
        while (i < len && in[i] >= '0' && in[i] <= '9') {
            if (++digits > 16)
                return ODZ_EINVAL;
            a = a * 10 + (in[i++] - '0');
        }
        if (a > ((int64_t)1 << 53))
            return ODZ_EINVAL;
        p->ack = a;
    }
    p->json = in + i;
    p->json_len = len - i;
    return 0;
}

int odz_sio_race_text(const char *s, int64_t *race_id)
{
    if (!strcmp(s, "all")) {
        *race_id = 0;
        return 0;
    }
    return odz_positive_parse(s, strlen(s), race_id);
}

static int race_of(json_t *v, int64_t *race_id)
{
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *race_id = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v))
        return odz_sio_race_text(json_string_value(v), race_id);
    return ODZ_EINVAL;
}

void odz_sub_req_clear(odz_sub_req *r)
{
    if (!r)
        return;
    json_decref(r->filter);
    r->filter = NULL;
    r->topic[0] = '\0';
    r->race_id = -1;
}

static int topic_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n >= ODZ_SUB_TOPIC_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || t[i] == '_'))
            return 0;
    return 1;
}

/* The members of a subscription object (each optional): race_id, topic, filter. */
static int sub_of_object(json_t *o, odz_sub_req *out)
{
    json_t *race = json_object_get(o, "race_id"), *topic = json_object_get(o, "topic"),
           *filter = json_object_get(o, "filter");
    if (race && race_of(race, &out->race_id) != 0)
        return ODZ_EINVAL;
    if (topic) {
        if (!json_is_string(topic) || !topic_valid(json_string_value(topic)))
            return ODZ_EINVAL;
        strcpy(out->topic, json_string_value(topic));
    }
    if (filter && !json_is_null(filter)) {
        if (!json_is_object(filter))
            return ODZ_EINVAL;
        out->filter = json_incref(filter);
    }
    return 0;
}

static void sub_init(odz_sub_req *out)
{
    memset(out, 0, sizeof *out);
    out->race_id = -1;
}

/* On failure nothing is kept in `out` (but the name stays). */
static int sub_done(int rc, odz_sub_req *out)
{
    if (rc)
        odz_sub_req_clear(out);
    return rc;
}

/* A subscription message: its name (a Socket.IO event's first element, or a /ws message's
 * "type") and its argument (the event's second element, or the /ws message itself), which is a
 * subscription object or a bare race id. */
static int message_sub(const char *json, size_t len, bool event, char name[ODZ_SIO_EVENT_MAX],
                       odz_sub_req *out)
{
    name[0] = '\0';
    sub_init(out);
    json_error_t e;
    json_t *v = json_loadb(json, len, JSON_REJECT_DUPLICATES, &e);
    json_t *n = event               ? json_array_get(v, 0)
                : json_is_object(v) ? json_object_get(v, "type")
                                    : NULL;
    json_t *arg = event ? json_array_get(v, 1) : v;
    int rc = ODZ_EINVAL;
    if (!json_is_string(n) || strlen(json_string_value(n)) >= ODZ_SIO_EVENT_MAX)
        goto out;
    snprintf(name, ODZ_SIO_EVENT_MAX, "%s", json_string_value(n));
    rc = 0;
    if (json_is_object(arg))
        rc = sub_of_object(arg, out);
    else if (arg)
        rc = race_of(arg, &out->race_id);
out:
    json_decref(v);
    return sub_done(rc, out);
}

int odz_sio_event_sub(const char *json, size_t len, char name[ODZ_SIO_EVENT_MAX], odz_sub_req *out)
{
    return message_sub(json, len, true, name, out);
}

int odz_ws_message_sub(const char *json, size_t len, char type[ODZ_SIO_EVENT_MAX], odz_sub_req *out)
{
    return message_sub(json, len, false, type, out);
}

int odz_sse_query_sub(const char *query, odz_sub_req *out)
{
    sub_init(out);
    char v[32], f[2048];
    int rc = odz_http_query_get(query, "race_id", v, sizeof v);
    if (rc == ODZ_ENOTFOUND)
        out->race_id = 0;
    else if (rc != 0 || odz_sio_race_text(v, &out->race_id) != 0)
        return sub_done(ODZ_EINVAL, out);
    rc = odz_http_query_get(query, "topic", v, sizeof v);
    if (rc == 0) {
        if (!topic_valid(v))
            return sub_done(ODZ_EINVAL, out);
        strcpy(out->topic, v);
    } else if (rc != ODZ_ENOTFOUND) {
        return sub_done(ODZ_EINVAL, out);
    }
    rc = odz_http_query_get(query, "filter", f, sizeof f);
    if (rc == 0) {
        json_error_t e;
        out->filter = json_loads(f, JSON_REJECT_DUPLICATES, &e);
        if (!json_is_object(out->filter))
            return sub_done(ODZ_EINVAL, out);
    } else if (rc != ODZ_ENOTFOUND) {
        return sub_done(ODZ_EINVAL, out);
    }
    return 0;
}

/* ---- Engine.IO transport ----------------------------------------------------------------- */

static const char sid_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int sid_valid(const char *s)
{
    if (strlen(s) != ODZ_EIO_SID_LEN)
        return 0;
    for (const char *p = s; *p; p++)
        if (!memchr(sid_chars, *p, sizeof sid_chars - 1))
            return 0;
    return 1;
}

int odz_eio_query_parse(const char *query, odz_eio_query *q, int *eio_err)
{
    char eio[8], transport[16], sid[64];
    memset(q, 0, sizeof *q);
    if (odz_http_query_get(query, "EIO", eio, sizeof eio) != 0 || strcmp(eio, "4")) {
        *eio_err = ODZ_EIO_ERR_VERSION;
        return ODZ_EINVAL;
    }
    if (odz_http_query_get(query, "transport", transport, sizeof transport) != 0 ||
        (strcmp(transport, "polling") && strcmp(transport, "websocket"))) {
        *eio_err = ODZ_EIO_ERR_TRANSPORT;
        return ODZ_EINVAL;
    }
    q->websocket = !strcmp(transport, "websocket");
    q->has_sid = odz_http_query_get(query, "sid", sid, sizeof sid) == 0;
    if (q->has_sid) {
        if (!sid_valid(sid)) {
            *eio_err = ODZ_EIO_ERR_SID;
            return ODZ_EINVAL;
        }
        memcpy(q->sid, sid, ODZ_EIO_SID_LEN + 1);
    }
    return 0;
}

const char *odz_eio_error_message(int eio_err)
{
    switch (eio_err) {
    case ODZ_EIO_ERR_TRANSPORT:
        return "Transport unknown";
    case ODZ_EIO_ERR_SID:
        return "Session ID unknown";
    case ODZ_EIO_ERR_VERSION:
        return "Unsupported protocol version";
    default:
        return "Bad request";
    }
}

void odz_eio_sid_new(char out[ODZ_EIO_SID_LEN + 1], int loop)
{
    unsigned char r[ODZ_EIO_SID_LEN];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)(rand() ^ (int)ts.tv_nsec ^ (int)i);
    }
    out[0] = sid_chars[loop % 64]; /* the owning loop, so requests reaching another loop find it */
    for (int i = 1; i < ODZ_EIO_SID_LEN; i++)
        out[i] = sid_chars[r[i] & 63];
    out[ODZ_EIO_SID_LEN] = '\0';
}

int odz_eio_sid_loop(const char *sid, int nloops)
{
    const char *p = sid[0] ? strchr(sid_chars, sid[0]) : NULL;
    if (!p)
        return -1;
    int l = (int)(p - sid_chars);
    return l < nloops ? l : -1;
}

int odz_eio_payload_next(const char *body, size_t len, size_t *pos, const char **pkt,
                         size_t *pktlen)
{
    while (*pos < len) {
        size_t s = *pos;
        const char *e = memchr(body + s, '\x1e', len - s);
        size_t n = e ? (size_t)(e - (body + s)) : len - s;
        *pos = s + n + (e ? 1 : 0);
        if (n) {
            *pkt = body + s;
            *pktlen = n;
            return 1;
        }
    }
    return 0;
}

/* Engine.IO / Socket.IO packet parsing; JSON by jansson. */
#include "live/sio.h"
#include "core/err.h"

#include <jansson.h>
#include <string.h>

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

static int race_of(json_t *v, int64_t *race_id)
{
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *race_id = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcmp(s, "all")) {
            *race_id = 0;
            return 0;
        }
        size_t n = strlen(s);
        if (n == 0 || n > 18)
            return ODZ_EINVAL;
        int64_t x = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return ODZ_EINVAL;
            x = x * 10 + (s[i] - '0');
        }
        if (x <= 0)
            return ODZ_EINVAL;
        *race_id = x;
        return 0;
    }
    return ODZ_EINVAL;
}

int odz_sio_event_race(const char *json, size_t len, char name[ODZ_SIO_EVENT_MAX],
                       int64_t *race_id)
{
    name[0] = '\0';
    *race_id = -1;
    json_error_t e;
    json_t *a = json_loadb(json, len, JSON_REJECT_DUPLICATES, &e);
    int rc = ODZ_EINVAL;
    if (!json_is_array(a) || json_array_size(a) < 1 || !json_is_string(json_array_get(a, 0)))
        goto out;
    const char *n = json_string_value(json_array_get(a, 0));
    if (strlen(n) >= ODZ_SIO_EVENT_MAX)
        goto out;
    strcpy(name, n);
    json_t *arg = json_array_get(a, 1);
    if (json_is_object(arg))
        rc = race_of(json_object_get(arg, "race_id"), race_id);
    else if (arg)
        rc = race_of(arg, race_id);
out:
    json_decref(a);
    return rc;
}

int odz_ws_message_race(const char *json, size_t len, char type[ODZ_SIO_EVENT_MAX],
                        int64_t *race_id)
{
    type[0] = '\0';
    *race_id = -1;
    json_error_t e;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &e);
    int rc = ODZ_EINVAL;
    json_t *t = json_object_get(o, "type");
    if (!json_is_object(o) || !json_is_string(t) ||
        strlen(json_string_value(t)) >= ODZ_SIO_EVENT_MAX)
        goto out;
    strcpy(type, json_string_value(t));
    rc = race_of(json_object_get(o, "race_id"), race_id);
out:
    json_decref(o);
    return rc;
}

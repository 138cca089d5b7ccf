/* Socket.IO v5 packets inside an Engine.IO session: connecting to and leaving namespaces, the
 * `subscribe` and `unsubscribe` events and their acknowledgements. */
#include "live/live_internal.h"
#include "core/err.h"

#include <stdio.h>
#include <string.h>

/* The acknowledgement of a subscribe or unsubscribe: ok with what was joined, or the error. */
static void send_ack(sio_client *c, const char *nsp, int64_t ack, const odz_sub_req *req,
                     const live_topic *t, const char *err)
{
    if (ack < 0)
        return;
    const char *pre = strcmp(nsp, "/") ? nsp : "";
    char reply[400], what[64];
    if (err) {
        /* (err: our own words, no quotes or backslashes) */
        snprintf(reply, sizeof reply, "43%s%s%lld[{\"ok\":false,\"error\":\"%s\"}]", pre,
                 *pre ? "," : "", (long long)ack, err);
    } else {
        if (t && !t->per_race)
            snprintf(what, sizeof what, "\"topic\":\"%s\"", t->name);
        else if (req->race_id > 0)
            snprintf(what, sizeof what, "\"race_id\":%lld", (long long)req->race_id);
        else
            snprintf(what, sizeof what, "\"race_id\":\"all\"");
        snprintf(reply, sizeof reply, "43%s%s%lld[{\"ok\":true,%s}]", pre, *pre ? "," : "",
                 (long long)ack, what);
    }
    sio_send_text(c, reply);
}

static void on_event(sio_client *c, const odz_sio_packet *p, int nsp)
{
    client *base = (client *)c;
    odz_live *lv = base->ls->lv;
    char name[ODZ_SIO_EVENT_MAX], why[200];
    const char *code = NULL, *err = NULL;
    odz_sub_req req;
    int rc = odz_sio_event_sub(p->json, p->json_len, name, &req);
    int sub = !strcmp(name, "subscribe"), unsub = !strcmp(name, "unsubscribe");
    const live_topic *t = req.topic[0] ? live_topic_named(lv, req.topic) : NULL;
    if (rc == 0 && sub) {
        if (live_subscribe(base, nsp, &req, &code, why, sizeof why) != 0)
            err = why;
    } else if (rc == 0 && unsub) {
        if (live_unsubscribe(base, nsp, &req) != 0)
            err = "expected {race_id: a race id or all} or a topic of this namespace";
    } else {
        err = name[0] && !sub && !unsub ? "unknown event"
                                        : "expected {race_id: a race id or all}";
    }
    send_ack(c, lv->nsps[nsp], p->ack, &req, t, err);
    odz_sub_req_clear(&req);
}

void sockio_message(sio_client *c, const odz_sio_packet *p)
{
    client *base = (client *)c;
    odz_live *lv = base->ls->lv;
    int nsp = live_nsp_index(lv, p->nsp);
    unsigned *nsps = sio_client_nsps(c);
    char out[160];
    switch (p->sio) {
    case ODZ_SIO_CONNECT:
        if (nsp < 0) {
            snprintf(out, sizeof out, "44%s,{\"message\":\"Invalid namespace\"}", p->nsp);
        } else {
            *nsps |= 1u << nsp;
            if (nsp == 0)
                snprintf(out, sizeof out, "40{\"sid\":\"%s\"}", sio_client_sid(c));
            else /* a namespace's own socket id: the session's and the namespace's letter */
                snprintf(out, sizeof out, "40%s,{\"sid\":\"%s%c\"}", p->nsp, sio_client_sid(c),
                         p->nsp[1]);
        }
        sio_send_text(c, out);
        return;
    case ODZ_SIO_DISCONNECT:
        if (nsp >= 0) {
            *nsps &= ~(1u << nsp);
            client_leave_nsp(base, nsp);
        }
        return;
    case ODZ_SIO_EVENT:
        if (nsp >= 0 && (*nsps & (1u << nsp)))
            on_event(c, p, nsp);
        return;
    default:
        return;
    }
}

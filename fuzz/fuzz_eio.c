/* libFuzzer target: the Engine.IO transport (src/live/sio.c) on any bytes: the handshake query
 * of /socket.io/ (the input's first line) and a polling POST body (the rest), cut into packets
 * and each parsed as the live module does; plus the query of /api/stream (race_id, topic,
 * filter). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "live/sio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = malloc(size + 1);
    if (!q)
        return 0;
    memcpy(q, data, size);
    q[size] = '\0';
    const char *body = memchr(q, '\n', size);
    size_t qlen = body ? (size_t)(body - q) : size;
    q[qlen] = '\0';
    body = body ? body + 1 : q + size;
    size_t blen = size - (size_t)(body - q);

    odz_eio_query eq;
    int err = -1;
    if (odz_eio_query_parse(q, &eq, &err) == 0) {
        if (eq.has_sid && strlen(eq.sid) != ODZ_EIO_SID_LEN)
            __builtin_trap();
        for (int n = 1; eq.has_sid && n <= 64; n *= 4) {
            int l = odz_eio_sid_loop(eq.sid, n);
            if (l < -1 || l >= n)
                __builtin_trap();
        }
    } else if (!odz_eio_error_message(err)) {
        __builtin_trap();
    }
    int64_t race;
    if (odz_sio_race_text(q, &race) == 0 && race < 0)
        __builtin_trap();
    odz_sub_req sub;
    if (odz_sse_query_sub(q, &sub) == 0) {
        if (sub.race_id < 0 || strlen(sub.topic) >= ODZ_SUB_TOPIC_MAX ||
            (sub.filter && !json_is_object(sub.filter)))
            __builtin_trap();
        odz_sub_req_clear(&sub);
    } else if (sub.filter) {
        __builtin_trap(); /* nothing kept on failure */
    }

    size_t pos = 0, n, seen = 0;
    const char *pkt;
    while (odz_eio_payload_next(body, blen, &pos, &pkt, &n)) {
        if (n == 0 || pkt < body || pkt + n > body + blen || memchr(pkt, '\x1e', n) ||
            pos > blen)
            __builtin_trap();
        seen += n;
        odz_sio_packet p;
        char name[ODZ_SIO_EVENT_MAX];
        if (odz_sio_parse(pkt, n, &p) == 0 && p.json) {
            if (p.json < pkt || p.json + p.json_len > pkt + n)
                __builtin_trap();
            odz_sub_req r = {.race_id = -1};
            if (odz_sio_event_sub(p.json, p.json_len, name, &r) == 0 && r.race_id < -1)
                __builtin_trap();
            odz_sub_req_clear(&r);
        }
    }
    if (pos != blen)
        __builtin_trap(); /* the whole body was walked */
    size_t rs = 0;
    for (size_t i = 0; i < blen; i++)
        rs += body[i] == '\x1e';
    if (seen + rs != blen)
        __builtin_trap(); /* every byte is in a packet or a separator */
    free(q);
    return 0;
}

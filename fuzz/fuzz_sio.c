/* libFuzzer target: Engine.IO / Socket.IO packets and the event payloads clients send
 * (socket.io `subscribe` arguments and plain /ws messages: race, topic, filter), on any
 * bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "live/sio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    odz_sio_packet p;
    char name[ODZ_SIO_EVENT_MAX];
    odz_sub_req r = {.race_id = -1};
    if (odz_sio_parse(in, size, &p) == 0) {
        if (p.nsp[0] != '/' || strlen(p.nsp) >= ODZ_SIO_NSP_MAX)
            __builtin_trap();
        if (p.json && (p.json < in || p.json + p.json_len > in + size))
            __builtin_trap();
        if (p.json && odz_sio_event_sub(p.json, p.json_len, name, &r) == 0 && r.race_id < -1)
            __builtin_trap();
        odz_sub_req_clear(&r);
    }
    if (odz_ws_message_sub(in, size, name, &r) == 0 &&
        (r.race_id < -1 || (r.filter && !json_is_object(r.filter))))
        __builtin_trap();
    odz_sub_req_clear(&r);
    if (odz_sio_event_sub(in, size, name, &r) == 0 && strlen(name) >= ODZ_SIO_EVENT_MAX)
        __builtin_trap();
    if (strlen(r.topic) >= ODZ_SUB_TOPIC_MAX)
        __builtin_trap();
    odz_sub_req_clear(&r);
    return 0;
}

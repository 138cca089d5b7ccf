/* libFuzzer target: Engine.IO / Socket.IO packets and the event payloads clients send
 * (socket.io `subscribe` arguments and plain /ws messages), on any bytes. */
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
    int64_t race;
    if (odz_sio_parse(in, size, &p) == 0) {
        if (p.nsp[0] != '/' || strlen(p.nsp) >= ODZ_SIO_NSP_MAX)
            __builtin_trap();
        if (p.json && (p.json < in || p.json + p.json_len > in + size))
            __builtin_trap();
        if (p.json && odz_sio_event_race(p.json, p.json_len, name, &race) == 0 && race < 0)
            __builtin_trap();
    }
    if (odz_ws_message_race(in, size, name, &race) == 0 && race < 0)
        __builtin_trap();
    if (odz_sio_event_race(in, size, name, &race) == 0 && strlen(name) >= ODZ_SIO_EVENT_MAX)
        __builtin_trap();
    return 0;
}

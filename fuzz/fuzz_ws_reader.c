/* libFuzzer target: the WebSocket frame reader (src/http/ws_reader.c) on any bytes from a
 * client. The first byte picks the message limit and how the rest is cut into reads; the
 * events must be the same whether the bytes come at once or in pieces, and each must keep
 * its promises (UTF-8 text within the limit, a valid close code, bytes used <= given). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/utf8.h"
#include "http/ws_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static int close_code_ok(int c)
{
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) || (c >= 3000 && c <= 4999);
}

/* Reads data in pieces of `chunk` bytes (0: all at once); returns a hash of the events. */
static uint64_t run(const uint8_t *data, size_t size, size_t chunk, size_t max_message)
{
    odz_ws_reader r;
    uint64_t h = 1469598103934665603ull;
    size_t pending = 0; /* bytes given but not yet used (a socket buffer keeps them) */
    size_t pos = 0;
    odz_ws_reader_init(&r, max_message);
    while (pos < size || pending) {
        size_t add = chunk ? (size - pos < chunk ? size - pos : chunk) : size - pos;
        pending += add;
        pos += add;
        const uint8_t *at = data + pos - pending;
        for (;;) {
            odz_ws_in_event ev;
            size_t used;
            int t = odz_ws_reader_next(&r, at, pending, &used, &ev);
            if (used > pending || t != ev.type)
                __builtin_trap();
            at += used;
            pending -= used;
            if (t == ODZ_WS_IN_MORE) {
                if (pending && !r.done)
                    __builtin_trap(); /* bytes left behind with nothing to wait for */
                break;
            }
            h = mix(h, &t, sizeof t);
            switch (t) {
            case ODZ_WS_IN_TEXT:
                if (ev.len > max_message || !odz_utf8_valid(ev.data, ev.len))
                    __builtin_trap();
                h = mix(h, ev.data, ev.len);
                break;
            case ODZ_WS_IN_PING:
                if (ev.len > 125)
                    __builtin_trap();
                h = mix(h, ev.data, ev.len);
                break;
            case ODZ_WS_IN_CLOSE:
            case ODZ_WS_IN_ERROR:
                if (!close_code_ok(ev.code) || (t == ODZ_WS_IN_ERROR && !ev.reason))
                    __builtin_trap();
                h = mix(h, &ev.code, sizeof ev.code);
                break;
            }
            if (t == ODZ_WS_IN_TEXT || t == ODZ_WS_IN_PING || t == ODZ_WS_IN_PONG)
                continue;
            goto out; /* CLOSE or ERROR: the connection stops reading */
        }
        odz_ws_reader_rest(&r);
        if (pending && r.done)
            break;
    }
out:
    odz_ws_reader_free(&r);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const size_t limits[] = {64 * 1024, 125, 16, 0};
    size_t max_message = limits[data[0] & 3];
    size_t chunk = 1 + (data[0] >> 2); /* 1..64 bytes a read */
    data++;
    size--;
    if (run(data, size, 0, max_message) != run(data, size, chunk, max_message))
        __builtin_trap();
    return 0;
}

/* libFuzzer target: Accept-Encoding negotiation (src/http/accept.c) on any bytes, with every set
 * of held codings. The answer is always identity or a coding that is held, and the same input
 * gives the same answer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *ae = malloc(size + 1);
    if (!ae)
        return 0;
    memcpy(ae, data, size);
    ae[size] = '\0';
    for (unsigned avail = 0; avail < (1u << ODZ_ENC_COUNT); avail++) {
        int c = odz_http_pick_encoding(ae, avail);
        if (c < 0 || c >= ODZ_ENC_COUNT || (c != ODZ_ENC_IDENTITY && !(avail & (1u << c))))
            __builtin_trap();
        if (odz_http_pick_encoding(ae, avail) != c)
            __builtin_trap();
    }
    if (odz_http_pick_encoding(NULL, 6) != ODZ_ENC_IDENTITY)
        __builtin_trap();
    free(ae);
    return 0;
}

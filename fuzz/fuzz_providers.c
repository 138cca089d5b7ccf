/* libFuzzer target: the sources configuration (YAML, libyaml) on any bytes; what it accepts
 * must validate and give clean identification headers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "source/providers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    odz_provider p[4];
    size_t n = 0;
    char err[ODZ_ERRLEN];
    if (odz_providers_parse((const char *)data, size, p, 4, &n, err, sizeof err) != 0) {
        if (n != 0)
            __builtin_trap();
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (odz_provider_validate(&p[i], err, sizeof err) != 0)
            __builtin_trap();
        char h[4][ODZ_PROVIDER_TEXT_MAX + 16];
        size_t nh;
        if (odz_provider_headers(&p[i], h, 4, &nh) != 0)
            __builtin_trap();
        for (size_t j = 0; j < nh; j++)
            if (strpbrk(h[j], "\r\n"))
                __builtin_trap();
    }
    return 0;
}

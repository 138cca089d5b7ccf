/* libFuzzer target: the Betfair historical-file reader (plain or bzip2, detected from the
 * bytes) line by line, each line applied to a market cache. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "betfair/history.h"
#include "betfair/stream.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    bool bz = size >= 3 && !memcmp(data, "BZh", 3);
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    odz_bf_history *h;
    char err[ODZ_ERRLEN];
    if (odz_bf_history_from(f, &h, err, sizeof err))
        return 0;
    odz_bf_cache c = {.max_markets = 20};
    const char *line;
    size_t len, lines = 0;
    int rc;
    while ((rc = odz_bf_history_next(h, &line, &len, err, sizeof err)) != 0) {
        if (rc == 1) {
            if (!len || len > ODZ_BF_LINE_MAX || strlen(line) > len || line[len] != '\0')
                __builtin_trap();
            odz_bf_apply(&c, line, len, NULL, err, sizeof err);
        } else if (rc != ODZ_EINVAL) {
            break; /* read error: sticky */
        }
        if (++lines > size + 1 && !bz)
            __builtin_trap(); /* plain: never more lines than bytes */
        if (rc == ODZ_EINVAL && strstr(err, "bzip2"))
            break; /* a corrupt stream stays corrupt */
    }
    odz_bf_history_close(h);
    odz_bf_cache_free(&c);
    return 0;
}

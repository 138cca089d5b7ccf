/* libFuzzer target: query-string decoding (src/http/query.c) on any bytes: the parameters the
 * API and the live module read, and a name taken from the input (its first line), with output
 * buffers of several sizes. A value found fits its buffer, NUL-terminated, with no NUL inside. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *q, const char *name, size_t outlen)
{
    char out[300];
    memset(out, 0x55, sizeof out);
    int rc = odz_http_query_get(q, name, out, outlen);
    if (rc != 0 && rc != ODZ_EINVAL && rc != ODZ_ENOTFOUND)
        __builtin_trap();
    if (rc == 0 && (outlen == 0 || strnlen(out, outlen) >= outlen))
        __builtin_trap();
    if (outlen < sizeof out && out[outlen] != 0x55)
        __builtin_trap(); /* wrote past the buffer it was given */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *names[] = {"EIO", "transport", "sid", "race_id", "date", "limit", "type"};
    static const size_t lens[] = {0, 1, 2, 8, 16, 32, 64, 256};
    char *q = malloc(size + 1);
    if (!q)
        return 0;
    memcpy(q, data, size);
    q[size] = '\0';
    char *nl = strchr(q, '\n');
    const char *name = "", *query = q;
    if (nl) {
        *nl = '\0';
        name = q;
        query = nl + 1;
    }
    size_t pick = size ? data[size - 1] : 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        check(query, names[i], lens[(pick + i) % 8]);
    check(query, name, lens[pick % 8]);
    check(query, name, 256);
    free(q);
    return 0;
}

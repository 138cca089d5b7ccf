/* libFuzzer target: race and runner matching (source/match) on any bytes: the input's lines
 * are venue and runner names, market names and numbers of an exchange market and a card. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LINES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *line[LINES];
    size_t n = 0;
    for (char *p = buf, *save = NULL, *t; n < LINES && (t = strtok_r(p, "\n", &save)); p = NULL)
        line[n++] = t;
    char key[ODZ_MATCH_KEY_MAX], tiny[3], why[ODZ_MATCH_REASON_MAX];
    odz_match_race races[LINES];
    odz_match_runner runners[LINES];
    for (size_t i = 0; i < n; i++) {
        size_t k = odz_match_name_key(line[i], key, sizeof key);
        if (k >= sizeof key || strlen(key) != k)
            __builtin_trap();
        odz_match_name_key(line[i], tiny, sizeof tiny);
        odz_match_venue_key(line[i], key, sizeof key);
        const char *rest = NULL;
        int saddle = odz_match_saddle(line[i], &rest);
        if (saddle && (saddle > 99 || !rest))
            __builtin_trap();
        int no, dist;
        odz_match_market_name(line[i], &no, &dist);
        races[i] = (odz_match_race){line[i], 1650392760 + (int64_t)(i % 4) * 300, (int)(i % 3),
                                     NULL};
        runners[i] = (odz_match_runner){(int)(i % 5), line[i]};
    }
    size_t at = 0;
    if (n) {
        if (odz_match_find_race(line[0], 1650392760, 1, races, n, 600, &at, why, sizeof why) ==
                ODZ_MATCH_OK &&
            at >= n)
            __builtin_trap();
        if (odz_match_find_runner(&runners[0], runners + 1, n - 1, &at, why, sizeof why) ==
                ODZ_MATCH_OK &&
            at >= n - 1)
            __builtin_trap();
    }
    free(buf);
    return 0;
}

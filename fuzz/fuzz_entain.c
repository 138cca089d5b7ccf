/* libFuzzer target: the Entain adapter's meetings and event parsers, into one scrape (so
 * merges run too), on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "source/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const odz_source_ops *src = odz_source_find("entain");
    const char *body = (const char *)data;
    char err[ODZ_ERRLEN], path[ODZ_SOURCE_PATH_MAX];
    odz_scrape s = {0};
    odz_batch b;

    src->parse_schedule(body, size, NULL, &s, err, sizeof err);
    src->parse_race(body, size, NULL, &s, err, sizeof err);
    for (size_t i = 0; i < s.n_races; i++)
        if (src->race_request(s.races[i].race.source_key, path, sizeof path) != 0)
            __builtin_trap(); /* every race parsed can be asked for */
    if (s.n_races)
        src->parse_race(body, size, s.races[0].race.source_key, &s, err, sizeof err);
    odz_scrape_stamp(&s, 1752751019);
    odz_scrape_batch(&s, &b);
    for (size_t i = 0; i < b.n_selections; i++)
        if (!odz_scrape_find_race(&s, b.selections[i].race_key))
            __builtin_trap();
    for (size_t i = 0; i < b.n_prices; i++)
        if (b.prices[i].price.odds < 100 || strlen(b.prices[i].selection_key) >= ODZ_KEY_MAX)
            __builtin_trap();
    odz_scrape_free(&s);
    return 0;
}

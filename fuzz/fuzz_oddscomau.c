/* libFuzzer target: the odds-comparison adapter's schedule and race-card parsers, into one
 * scrape (so merges run too), on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "source/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const odz_source_ops *src = odz_source_find("oddscomau");
    const char *body = (const char *)data;
    char err[ODZ_ERRLEN], path[ODZ_SOURCE_PATH_MAX];
    odz_scrape s = {0};
    odz_batch b;

    src->parse_schedule(body, size, "/x/?sport=greyhounds&date=2018-06-10", &s, err, sizeof err);
    src->parse_race(body, size, NULL, &s, err, sizeof err);
    if (s.n_races) {
        const char *key = s.races[0].race.source_key;
        if (src->race_request(key, path, sizeof path) == 0)
            src->parse_race(body, size, key, &s, err, sizeof err);
    }
    odz_scrape_stamp(&s, 1528600000);
    odz_scrape_batch(&s, &b);
    for (size_t i = 0; i < b.n_races; i++)
        if (!b.races[i].meeting_key || !odz_scrape_find_race(&s, b.races[i].race.source_key))
            __builtin_trap();
    for (size_t i = 0; i < b.n_prices; i++)
        if (b.prices[i].price.odds < 100 || strlen(b.prices[i].selection_key) >= ODZ_KEY_MAX)
            __builtin_trap();
    odz_scrape_free(&s);
    return 0;
}

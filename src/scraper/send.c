/* A scrape to the racing service: one batch, handed over in process or as an upsert_batch
 * request over the bus (odz_racing_upsert; see scraper.h). */
#include "scraper/scraper.h"

#include "core/err.h"
#include "obs/metrics.h"
#include "racing/racing.h"
#include "source/source.h"

static int send_batch(odz_bus *bus, const odz_batch *b, const char *source, bool match, char *err)
{
    odz_upsert_result res;
    /* (bounded: stopping a scraper waits for a store call in flight) */
    int rc = odz_racing_upsert(bus, b, source, match, 10000, &res, err);
    if (rc)
        return rc;
    odz_metric_add(
        odz_counter("oddzy_races_updated_total", "Races added or changed by scrapes", NULL),
        res.races_changed);
    odz_metric_add(odz_counter("oddzy_runners_scratched_total", "Runners scratched", NULL),
                   res.scratchings);
    return res.races_changed;
}

int odz_scrape_send(odz_bus *bus, odz_scrape *sc, int64_t now, char *err)
{
    return odz_scrape_send_as(bus, sc, now, NULL, false, err);
}

int odz_scrape_send_as(odz_bus *bus, odz_scrape *sc, int64_t now, const char *source, bool match,
                       char *err)
{
    odz_batch b;
    odz_scrape_stamp(sc, now);
    odz_scrape_batch(sc, &b);
    return send_batch(bus, &b, source, match, err);
}

int odz_scrape_send_prices(odz_bus *bus, odz_scrape *sc, int64_t now, char *err)
{
    odz_batch b;
    odz_scrape_stamp(sc, now);
    odz_scrape_batch(sc, &b);
    b.n_meetings = b.n_races = b.n_selections = 0;
    return send_batch(bus, &b, NULL, false, err);
}

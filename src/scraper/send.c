/* A scrape to the racing service: one upsert_batch over the bus (see scraper.h). */
#include "scraper/scraper.h"

#include <jansson.h>

#include "core/err.h"
#include "obs/metrics.h"
#include "racing/racing.h"
#include "source/source.h"

static int send_batch(odz_bus *bus, const odz_batch *b, const char *source, bool match, char *err)
{
    json_t *req = odz_batch_to_json(b);
    if (!req)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    if (source)
        json_object_set_new(req, "source", json_string(source));
    if (match)
        json_object_set_new(req, "match", json_true());
    json_t *data = NULL;
    /* (bounded: stopping a scraper waits for a store call in flight) */
    int rc = odz_racing_call(bus, "upsert_batch", req, 10000, &data, err);
    json_decref(req);
    if (rc)
        return rc;
    int changed = (int)json_integer_value(json_object_get(data, "races_changed"));
    odz_metric_add(
        odz_counter("oddzy_races_updated_total", "Races added or changed by scrapes", NULL),
        changed);
    odz_metric_add(odz_counter("oddzy_runners_scratched_total", "Runners scratched", NULL),
                   (double)json_integer_value(json_object_get(data, "scratchings")));
    json_decref(data);
    return changed;
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

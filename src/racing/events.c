/* The racing service's change events: after each committed write, race.<id>.updated,
 * race.<id>.price and race.<id>.exchange (racing.h describes them), then the odds matcher. */
#include "racing/events.h"
#include "core/err.h"
#include "core/grow.h"
#include "core/json.h"
#include "obs/log.h"
#include "racing/event_text.h"
#include "racing/store_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether anything would hear `subject` of race `race_id`, asked once per run of one race (a
 * change set lists a race's changes together): an event nobody hears is not built at all
 * (odz_bus_heard; `oddzy replay` into a database, say, has no listener). */
typedef struct {
    int64_t race_id;
    bool heard;
} heard_memo;

static bool race_heard(odz_bus *bus, heard_memo *m, int64_t race_id, const char *subject)
{
    if (m->race_id != race_id) {
        m->race_id = race_id;
        m->heard = odz_bus_heard(bus, subject);
    }
    return m->heard;
}

void odz_racing__publish(odz_bus *bus, odz_store *store, odz_matcher *matcher,
                         const odz_changes *ch, const char *corr)
{
    char subject[ODZ_SUBJECT_MAX], err[ODZ_ERRLEN];
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return;
    /* a landed race card is tens of events: their subscribers wake once, at the end */
    odz_bus_batch_begin(bus);
    for (size_t i = 0; i < ch->n_race_ids; i++) {
        odz_selections ss = {0};
        snprintf(subject, sizeof subject, "race.%lld.updated", (long long)ch->race_ids[i]);
        if (!odz_bus_heard(bus, subject))
            continue;
        if (ODZ_STORE_CALL(store, get_race, ch->race_ids[i], r, err) ||
            ODZ_STORE_CALL(store, list_selections, ch->race_ids[i], &ss, err)) {
            odz_log_kv(ODZ_LOG_WARN, "cannot read changed race", "error", err, NULL);
            odz_selections_free(&ss);
            continue;
        }
        json_t *scr = json_array();
        for (size_t k = 0; k < ss.n; k++)
            if (ss.v[k].scratched)
                json_array_append_new(scr, json_integer(ss.v[k].number));
        json_t *ev =
            json_pack("{s:I,s:I,s:s,s:o,s:o,s:I,s:I}", "race_id", (json_int_t)r->id, "meeting_id",
                      (json_int_t)r->meeting_id, "status", odz_status_name(r->status), "results",
                      odz_results_to_json(r), "scratched", scr, "scheduled_start",
                      (json_int_t)r->scheduled_start, "last_update", (json_int_t)r->last_update);
        char *txt = ev ? odz_json_dumps(ev) : NULL;
        if (txt) /* the whole state of the race: a newer one replaces an older one queued */
            odz_bus_publish_keyed(bus, subject, "race", txt, strlen(txt), corr);
        free(txt);
        json_decref(ev);
        odz_selections_free(&ss);
    }
    free(r);
    /* The per-price events are written as text into one buffer reused for each: a jansson tree
     * of reals per change was a quarter of an ingest's CPU (docs/performance.md). */
    odz_text t = {0};
    heard_memo prices = {0}, books = {0};
    for (size_t i = 0; i < ch->n_prices; i++) {
        const odz_price_change *pc = &ch->prices[i];
        snprintf(subject, sizeof subject, "race.%lld.price", (long long)pc->race_id);
        if (!race_heard(bus, &prices, pc->race_id, subject))
            continue;
        t.n = 0;
        if (odz_price_event_text(&t, pc)) {
            /* the newest price of one runner in one market of one provider */
            char key[ODZ_BUS_KEY_MAX];
            _Static_assert(20 + 4 + ODZ_PROVIDER_MAX <= ODZ_BUS_KEY_MAX, "price key fits");
            snprintf(key, sizeof key, "%lld.%d.%s", (long long)pc->price.selection_id,
                     (int)pc->price.market, pc->price.provider);
            odz_bus_publish_keyed(bus, subject, key, t.s, t.n, corr);
        }
        t.oom = false;
    }
    for (size_t i = 0; i < ch->n_books; i++) {
        const odz_exbook_change *bc = &ch->books[i];
        const odz_exbook *b = &bc->book;
        snprintf(subject, sizeof subject, "race.%lld.exchange", (long long)bc->race_id);
        if (!race_heard(bus, &books, bc->race_id, subject))
            continue;
        t.n = 0;
        if (odz_book_event_text(&t, bc)) {
            /* the whole book of one runner on one exchange provider: a newer one replaces it */
            char key[ODZ_BUS_KEY_MAX];
            _Static_assert(20 + 1 + ODZ_PROVIDER_MAX <= ODZ_BUS_KEY_MAX, "book key fits");
            snprintf(key, sizeof key, "%lld.%s", (long long)b->selection_id, b->provider);
            odz_bus_publish_keyed(bus, subject, key, t.s, t.n, corr);
        }
        t.oom = false;
    }
    free(t.s);
    odz_matcher_apply(matcher, store, ch); /* odds.matcher, race.<id>.odds */
    odz_bus_batch_end(bus);
}

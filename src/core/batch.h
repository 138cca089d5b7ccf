/* A scrape's data as one batch keyed by source keys (what the store writes in one transaction),
 * and the change set a write reports (what the racing service publishes). Plain data shared by
 * the sources, the store, the racing service and the bus codec. */
#ifndef ODZ_BATCH_H
#define ODZ_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/* What changed in a write. Race ids are those whose stored state changed (so the racing
 * service publishes race.<id>.updated for each). Counts are for metrics and tests. */
typedef struct {
    odz_price price;       /* as stored */
    int previous;          /* odds before it, 0 if first */
    int64_t race_id;
    int number;            /* runner number */
    int64_t size;          /* exchange markets: cents offered at this price, from the stored
                            * book of (selection, provider) when its best level on that side
                            * is this price; -1 unknown (and for every other market) */
} odz_price_change;

/* A book written (changed, or new). */
typedef struct {
    odz_exbook book;         /* as stored, selection_id set */
    int64_t race_id;
    int number;            /* runner number */
} odz_exbook_change;

typedef struct {
    odz_price_change *prices; /* appended price points, malloc'd */
    size_t n_prices, cap_prices;
    odz_exbook_change *books;   /* exchange books written, malloc'd */
    size_t n_books, cap_books;
    int64_t *race_ids;     /* malloc'd, unique; freed by odz_changes_free */
    size_t n_race_ids, cap_race_ids;
    int meetings_added, meetings_updated;
    int races_added, races_updated;
    int selections_added, selections_updated, scratchings;
    int prices_added;
    int books_written;
    int status_refused;
} odz_changes;
void odz_changes_free(odz_changes *c);
int odz_changes_add_race(odz_changes *c, int64_t race_id);
int odz_changes_add_price(odz_changes *c, const odz_price_change *pc);
int odz_changes_add_exbook(odz_changes *c, const odz_exbook_change *bc);

/* One scrape's data, keyed by source keys, written in one transaction.
 * Each race names its meeting by `meeting_key` (a meeting in `meetings` or already stored);
 * each selection, price and book names its race/selection by key. Prices with odds 0 are
 * skipped. Books (book.selection_id is ignored) are written before the prices. */
typedef struct {
    const char *race_key;
    odz_selection sel;
} odz_batch_selection;
typedef struct {
    const char *selection_key;
    odz_price price;
} odz_batch_price;
typedef struct {
    const char *selection_key;
    odz_exbook book;
} odz_batch_exbook;
typedef struct {
    const char *meeting_key;
    odz_race race;
} odz_batch_race;
typedef struct {
    const odz_meeting *meetings;
    size_t n_meetings;
    const odz_batch_race *races;
    size_t n_races;
    const odz_batch_selection *selections;
    size_t n_selections;
    const odz_batch_price *prices;
    size_t n_prices;
    const odz_batch_exbook *books; /* exchange books; may be NULL when n_books is 0 */
    size_t n_books;
} odz_batch;

#endif

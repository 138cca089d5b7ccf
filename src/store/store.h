/* The store: every persistent operation of the racing service. One implementation of the rules
 * (merge.c) runs over a thin SQL driver (driver.h): SQLite (sqlite.c, embedded) or PostgreSQL
 * (pg_*.c); the operations sit behind a struct so tests and callers never see which.
 * Leadership among processes (the scraper's lock) is not here: see leader.h. What a write takes
 * (odz_batch) and reports (odz_changes) are core types (core/batch.h). */
#ifndef ODZ_STORE_H
#define ODZ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/model.h"

typedef struct odz_store odz_store;

/* A runner's source key of one race and the one it becomes in another (retire_race). */
typedef struct {
    const char *from, *to;
} odz_store_rekey;

/* All functions return 0 or a negative ODZ_E* code and fill err (ODZ_ERRLEN) with words.
 * Outputs are caller-owned: arrays are freed with odz_*_free. */
typedef struct odz_store_ops {
    const char *name; /* "sqlite", "postgres" */
    void (*close)(odz_store *s);

    /* Meetings whose race day is within [date_from, date_to] (YYYY-MM-DD), by date, type, name. */
    int (*list_meetings)(odz_store *s, const char *date_from, const char *date_to,
                         odz_meetings *out, char *err);
    /* Races of meetings whose race day is within the range, by scheduled start. */
    int (*list_races)(odz_store *s, const char *date_from, const char *date_to, odz_races *out,
                      char *err);
    /* Races of one meeting by number. */
    int (*list_meeting_races)(odz_store *s, int64_t meeting_id, odz_races *out, char *err);
    /* Insert; sets m->id. Duplicate source key: ODZ_EINVAL. */
    int (*add_meeting)(odz_store *s, odz_meeting *m, char *err);
    int (*get_meeting)(odz_store *s, int64_t id, odz_meeting *out, char *err);
    /* Insert; sets r->id. Unknown meeting: ODZ_ENOTFOUND. */
    int (*add_race)(odz_store *s, odz_race *r, char *err);
    /* Update status (state machine enforced: ODZ_ESTATE), start times, name, distance, results,
     * dividends, and (when sels != NULL) upsert its selections by source key, in one
     * transaction. Sets last_update to `now`. Unknown race: ODZ_ENOTFOUND. */
    int (*update_race)(odz_store *s, const odz_race *r, const odz_selections *sels, int64_t now,
                       odz_changes *changes, char *err);
    /* Next race of a meeting not yet run (OPEN, by scheduled start) at/after `now`;
     * ODZ_ENOTFOUND when none. */
    int (*next_race)(odz_store *s, int64_t meeting_id, int64_t now, odz_race *out, char *err);
    /* Next OPEN races of all meetings starting at or after now - grace, at most limit,
     * optionally of one type (type < 0: all). */
    int (*next_races)(odz_store *s, int64_t now, int limit, int type, odz_races *out, char *err);
    int (*get_race)(odz_store *s, int64_t id, odz_race *out, char *err);
    int (*list_selections)(odz_store *s, int64_t race_id, odz_selections *out, char *err);
    /* Insert or update everything in the batch by source key, in one transaction: all or
     * nothing. Unchanged rows are left alone (no write, not counted). A backward status move
     * of a race (a source glitch) keeps the stored status, updates the rest and is counted in
     * changes->status_refused; the explicit update_race refuses it with ODZ_ESTATE.
     * Unknown meeting/race/selection keys fail the batch with ODZ_ENOTFOUND.
     * A book (odz_exchange_book_check, a provider named; else ODZ_EINVAL) is written only
     * when its offers, last traded, volume or starting price differ from the stored book of
     * its (selection, provider) and it is not older (ts) than it; then counted in
     * books_written and added to changes->books. */
    int (*upsert_batch)(odz_store *s, const odz_batch *b, int64_t now, odz_changes *changes,
                        char *err);
    /* Append a price point (history) unless it repeats the latest one of its selection,
     * provider and market; unknown selection: ODZ_ENOTFOUND. Appended points go to changes. */
    int (*append_price)(odz_store *s, const odz_price *p, odz_changes *changes, char *err);
    /* Latest price of each (selection, provider, market) of a race. */
    int (*latest_prices)(odz_store *s, int64_t race_id, odz_prices *out, char *err);
    /* The exchange books of a race's selections (one per selection and provider), by runner
     * number, then provider. */
    int (*race_books)(odz_store *s, int64_t race_id, odz_exbooks *out, char *err);
    /* History of a selection's prices, oldest first; market < 0: every market. */
    int (*price_history)(odz_store *s, int64_t selection_id, int market, odz_prices *out,
                         char *err);
    /* Scratch a selection (idempotent); sets changes for its race. */
    int (*scratch)(odz_store *s, int64_t selection_id, int64_t when, int deduction, bool late,
                   int64_t now, odz_changes *changes, char *err);
    /* Retire race `race_key` (a market stored apart) into race `into_key` (the race it
     * matched), in one transaction: each pair's runner of the retired race (from, by source key)
     * gives its price history and exchange books to the runner of `into_key` (to), where `to`
     * has no point of the same (provider, market, ts) or no book of that provider (copies: the
     * retired race keeps its own); then the race is marked merged into the other, with `now`.
     * A retired race is left out of list_races, list_meeting_races, next_race(s) and its
     * meeting out of list_meetings when it has no other race; get_race still reads it and
     * merged_into tells where it went. Both races go to changes (races_updated). Nothing to
     * do (0): `race_key` unknown, or already merged into `into_key`; a pair whose `from` is
     * unknown is skipped. ODZ_ENOTFOUND: `into_key` unknown, or a `to` unknown; ODZ_EINVAL:
     * the same race, `into_key` itself retired, a `from` or `to` of another race. Undone with
     * into_key NULL: the mark is cleared (the copies stay on the other race's runners). */
    int (*retire_race)(odz_store *s, const char *race_key, const char *into_key,
                       const odz_store_rekey *pairs, size_t n, int64_t now, odz_changes *changes,
                       char *err);
    /* The race a race was merged into (*into 0: not retired); unknown race: ODZ_ENOTFOUND. */
    int (*merged_into)(odz_store *s, int64_t race_id, int64_t *into, char *err);
    /* Schema version after migrations. */
    int (*schema_version)(odz_store *s);
} odz_store_ops;

struct odz_store {
    const odz_store_ops *ops;
};

/** Which driver a database URL names: 1 PostgreSQL ("postgres://..." or "postgresql://..."),
 * 0 a SQLite file path (optionally "sqlite://path"), ODZ_EINVAL (words in err) when empty. */
int odz_store_url_is_postgres(const char *url, char *err);

/** Open a store from a URL or path: "postgres://..." / "postgresql://..." or a SQLite file
 * path (":memory:" for tests). Runs pending migrations. NULL with err filled on failure. */
odz_store *odz_store_open(const char *url, char *err);

/** The store over the SQLite driver. */
odz_store *odz_store_sqlite_open(const char *path, char *err);

/** The store over the PostgreSQL driver (libpq): `url` is a libpq connection URI or string.
 * A pool of connections, each preparing its statements on first use; a connection lost (server
 * restart) fails the request in flight with ODZ_EIO ("database connection lost: ...") and is
 * reconnected on its next use. Migrations are serialized by an advisory lock, so several
 * processes may open the same database at once. */
odz_store *odz_store_postgres_open(const char *url, char *err);

#endif

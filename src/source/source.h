/* Racing data sources: one adapter per format (oddscomau.c, entain.c) turns a source's HTTP
 * responses into the domain model, gathered in an odz_scrape that the scraper hands to the
 * store as one odz_batch. */
#ifndef ODZ_SOURCE_H
#define ODZ_SOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/model.h"
#include "core/rowix.h"
#include "store/store.h"

/* Hard limits. Bigger bodies are refused (ODZ_EINVAL); past the per-response counts the
 * adapters keep the first ones and record a warning; past the per-scrape totals a parse
 * fails with ODZ_EFULL and leaves the scrape as it was. */
#define ODZ_SOURCE_BODY_MAX (8u * 1024u * 1024u)
#define ODZ_SOURCE_PATH_MAX 256
#define ODZ_SOURCE_MAX_DAYS 7          /* days of one schedule_requests call */
#define ODZ_SOURCE_MAX_REQUESTS 32     /* paths of one schedule_requests call */
#define ODZ_SOURCE_MAX_MEETINGS 500    /* per response */
#define ODZ_SOURCE_MAX_RACES 40        /* per meeting in a response */
#define ODZ_SOURCE_MAX_PRICES 256      /* per selection in a response, history included */
#define ODZ_SCRAPE_MAX_MEETINGS 5000
#define ODZ_SCRAPE_MAX_RACES 10000
#define ODZ_SCRAPE_MAX_SELECTIONS 50000
#define ODZ_SCRAPE_MAX_PRICES 1000000
#define ODZ_SCRAPE_MAX_BOOKS 100000    /* exchange books (one per selection and provider) */

/**
 * The parsed data of one or more responses, keyed by source keys, ready for the store.
 * Zero-initialise (`odz_scrape s = {0};`), fill with the adapters' parse_* functions, read
 * (rows are public, in the store's batch shapes), free with odz_scrape_free.
 *
 * The scrape owns everything: the rows and the key strings their `*_key` fields point to.
 * A row whose key is already present is merged, not duplicated: a meeting's or race's known
 * fields are updated (a race's status only moves forward, results and dividends are replaced
 * when the new row has some), a selection is replaced; prices are always appended (history);
 * an exchange book replaces the one of the same selection and provider.
 * A failed parse leaves the scrape exactly as it was.
 *
 * Keys: meetings and races carry their own `source_key`; for the oddscomau source a race's
 * key is its eventId ("737601"), a meeting's "YYYYMMDD-<venue slug>-<sport>"
 * ("20180610-edenhope-horse-racing"), a selection's its selectionId; for the entain source
 * they are the Entain UUIDs (meeting id, event id, entrant id). A race's key is what the
 * adapter's race_request needs to build the path of its race card.
 *
 * Prices whose time the source does not give have ts 0: stamp them with odz_scrape_stamp.
 */
typedef struct odz_scrape {
    odz_meetings meetings;
    odz_batch_race *races;             /* .meeting_key: key of a meeting (here or stored) */
    size_t n_races, cap_races;
    odz_batch_selection *selections;   /* .race_key: key of a race (here or stored) */
    size_t n_selections, cap_selections;
    odz_batch_price *prices;           /* .selection_key; selection_id stays 0 */
    size_t n_prices, cap_prices;
    odz_batch_exbook *books;           /* .selection_key; one per (selection, provider) */
    size_t n_books, cap_books;
    odz_rowix sel_ix, book_ix;         /* selections by key, books by (key, provider) */
    char **keys;                       /* the owned strings the rows' keys point to */
    size_t n_keys, cap_keys;
    size_t n_warnings;                 /* data kept with a loss (cut text, skipped rows) */
    char warning[ODZ_ERRLEN];          /* words of the first warning */
} odz_scrape;

/** Free everything the scrape owns; it is then empty and reusable. */
void odz_scrape_free(odz_scrape *s);

/** Empty the scrape (no rows, keys or warnings) but keep its arrays and indexes allocated, for
 * a source that fills one every second (the Betfair replay and stream client): the next fill
 * writes into them instead of growing them afresh. Free with odz_scrape_free as ever. */
void odz_scrape_clear(odz_scrape *s);

/** Whether the scrape holds nothing: no rows, keys or warnings (new, freed or cleared). */
bool odz_scrape_empty(const odz_scrape *s);

/** A batch view of the scrape for store->ops->upsert_batch. Nothing is copied or allocated:
 * the view borrows the scrape's arrays and keys and is valid until the scrape is next
 * modified or freed. */
void odz_scrape_batch(const odz_scrape *s, odz_batch *out);

/** Name the prices of provider `from` (a one-bookmaker format names them after itself:
 * "entain") as provider `to` ("tab-nz"); nothing when `to` is NULL or "". */
void odz_scrape_set_provider(odz_scrape *s, const char *from, const char *to);

/** Set the time of every price and book with ts 0 (time not given by the source) to `now`. */
void odz_scrape_stamp(odz_scrape *s, int64_t now);

/** The race with source key `key`, NULL if none. Borrowed from the scrape. */
const odz_batch_race *odz_scrape_find_race(const odz_scrape *s, const char *key);

/** A path with its query, under the source's base URL, for the scraper to GET. */
typedef struct {
    char path[ODZ_SOURCE_PATH_MAX];
} odz_source_request;

/**
 * One racing data format. Every function returns 0 or a negative ODZ_E* code with words in
 * err (err may be NULL). Bodies are the raw response bytes (not NUL-terminated, at most
 * ODZ_SOURCE_BODY_MAX); nothing of them is retained.
 */
typedef struct odz_source_ops {
    const char *name; /* "oddscomau", "entain" */

    /* The schedule calls covering race days date_from..date_to (YYYY-MM-DD, inclusive, at most
     * ODZ_SOURCE_MAX_DAYS days): fills out[0..*n). ODZ_EINVAL for bad dates, ODZ_EFULL when
     * more than `max` paths are needed. */
    int (*schedule_requests)(const char *date_from, const char *date_to, odz_source_request *out,
                             size_t max, size_t *n, char *err, size_t errlen);

    /* Parse the response to one schedule call (request_path: the path it was fetched with,
     * from which some sources take the sport or date; may be NULL) into `out`: meetings and
     * their races, with status and, when the source gives them, results. */
    int (*parse_schedule)(const char *body, size_t len, const char *request_path,
                          odz_scrape *out, char *err, size_t errlen);

    /* The path of the race card of race `race_key` (a race source key). ODZ_EINVAL for a key
     * this source cannot have made, or a path longer than pathlen. */
    int (*race_request)(const char *race_key, char *path, size_t pathlen);

    /* Parse the race card of race `race_key` (NULL: whatever race the card is for; otherwise
     * a card for another race is ODZ_EINVAL) into `out`: the race's selections and prices,
     * and the race itself (status, results, dividends, ...). The race names its meeting by
     * key but the meeting row is not emitted: parse the schedule into the same scrape first,
     * or store it first. The oddscomau card does not name its meeting at all, so it updates
     * the race only when `out` already holds it; its selections name the race by key. */
    int (*parse_race)(const char *body, size_t len, const char *race_key, odz_scrape *out,
                      char *err, size_t errlen);
} odz_source_ops;

extern const odz_source_ops odz_source_oddscomau;
extern const odz_source_ops odz_source_entain;

/** The adapter called `name` ("oddscomau", "entain"); NULL if unknown. Static data. */
const odz_source_ops *odz_source_find(const char *name);

/* ---- Internal to src/source/: helpers the adapters share (source.c). ---- */

/* Rows are built in a scratch scrape, then moved into the caller's in one step that either
 * succeeds whole or changes nothing (ODZ_EFULL past the totals, ODZ_ENOMEM). `src` is emptied
 * either way. */
int odz__scrape_merge(odz_scrape *dst, odz_scrape *src);
/* A copy of `key`, owned by the scrape; NULL on out-of-memory. */
const char *odz__scrape_key(odz_scrape *s, const char *key);
/* Upsert rows by key (the merge rules above); key pointers must come from odz__scrape_key of
 * the same scrape. 0, ODZ_ENOMEM or ODZ_EFULL. */
int odz__scrape_add_meeting(odz_scrape *s, const odz_meeting *m);
int odz__scrape_add_race(odz_scrape *s, const char *meeting_key, const odz_race *r);
int odz__scrape_add_selection(odz_scrape *s, const char *race_key, const odz_selection *sel);
int odz__scrape_add_price(odz_scrape *s, const char *selection_key, const odz_price *p);
int odz__scrape_add_exbook(odz_scrape *s, const char *selection_key, const odz_exbook *b);
/* The end of an adapter's parse: when rc is 0, merge tmp into out (odz__scrape_merge; a failure
 * is "cannot keep the <what>" in err); then free tmp. (The parsed response is the thread's
 * scratch arena's: odz_json_loadb_scratch.) Returns rc or the merge's code. */
int odz__scrape_done(odz_scrape *out, odz_scrape *tmp, int rc, const char *what, char *err,
                     size_t errlen);
/* Count a warning; the first one's words are kept. */
void odz__scrape_warn(odz_scrape *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Bounded copy of source text into a field; a cut is a warning naming `what`. */
void odz__text(odz_scrape *s, char *dst, size_t dstlen, const char *src, const char *what);

/* A usable source key: 1..ODZ_KEY_MAX-1 characters of [A-Za-z0-9._:-]. */
bool odz__key_ok(const char *key);
/* "Australia & New Zealand", "UK & Ireland", "USA", "Hong Kong" or "Rest of the world" for a
 * country code as the sources write it ("AUS", "AU", "NZ", "UK", "GB", "IRE", ...). */
const char *odz__region_of_country(const char *country);
/* The days date_from..date_to (inclusive, at most `max`) into days[0..*n). 0 or ODZ_EINVAL. */
int odz__date_range(const char *date_from, const char *date_to, char (*days)[ODZ_DATE_MAX],
                    size_t max, size_t *n, char *err, size_t errlen);
/* The schedule calls for race days date_from..date_to (at most ODZ_SOURCE_MAX_DAYS), `per_day`
 * a day, call j of a day written by path(day, j, ...): fills out[0..*n). ODZ_EINVAL for bad
 * dates or a path that does not fit, ODZ_EFULL past `max` calls (and then *n is 0). */
int odz__schedule_paths(const char *date_from, const char *date_to, size_t per_day,
                        int (*path)(const char *day, size_t j, char *out, size_t outlen),
                        odz_source_request *out, size_t max, size_t *n, char *err, size_t errlen);
/* A request path from a format: 0, or ODZ_EINVAL when it does not fit in pathlen. */
int odz__request_path(char *path, size_t pathlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Strict "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)" to epoch s; 0 or ODZ_EINVAL. */
int odz__iso_time(const char *s, int64_t *out);

/* JSON field readers. Absent or null: ODZ_ENOTFOUND (out untouched); wrong type, bad text or
 * out of range: ODZ_EINVAL. */
const char *odz__jstr(const json_t *obj, const char *field); /* NULL unless a string */
/* Integer from a JSON integer, an integral real or a decimal string, within [lo, hi]. */
int odz__jint(const json_t *v, int64_t lo, int64_t hi, int64_t *out);
/* Hundredths from a number or a decimal string with an optional unit suffix ("59.0kg",
 * "54.5", 2.5), within [lo, hi] hundredths. "" counts as absent. */
int odz__jhundredths(const json_t *v, int64_t lo, int64_t hi, int64_t *out);
/* true/false, or an integer 0/1. */
int odz__jbool(const json_t *v, bool *out);
/* odz__jint and odz__jbool, with `dflt` for absent or bad values. */
int64_t odz__jint_or(const json_t *v, int64_t lo, int64_t hi, int64_t dflt);
bool odz__jbool_or(const json_t *v, bool dflt);
/* Decimal odds (number or string) to hundredths; 0 for no price. */
int odz__jodds(const json_t *v, int *out);

#endif

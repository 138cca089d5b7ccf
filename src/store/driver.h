/* Internal to src/store: the thin SQL driver under the store's rules (merge.c). A driver runs
 * numbered statements in sessions and knows nothing of meetings, races or statuses; every rule
 * (match by source key, compare, write what changed, forward-only statuses, results and
 * scratchings kept, the default provider) lives once in merge.c. Drivers: sqlite.c and the
 * PostgreSQL one (pg_driver.c over pg_pool.c, pg_sql.c, pg_migrate.c). */
#ifndef ODZ_STORE_DRIVER_H
#define ODZ_STORE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The statements every driver holds, each in its own SQL. Row statements return the columns
 * of a row description below in its order (odz_row_meeting for MEET_*, ...).
 * X_INSERT: parameters are the row's columns but id, in order; returns the new id.
 * X_UPDATE: $1 the id, then the row's columns but id, in order. */
enum {
    DQ_MEET_INSERT,
    DQ_MEET_GET,         /* $1 id */
    DQ_MEET_BY_KEY,      /* $1 source key */
    DQ_MEET_UPDATE,
    DQ_MEET_RANGE,       /* $1, $2 race days: by date, race type, name (bytewise), id */
    DQ_MEET_FIRST_START, /* $1 meeting id: first_start = earliest scheduled start of its races */
    DQ_RACE_INSERT,
    DQ_RACE_GET,        /* $1 id */
    DQ_RACE_BY_KEY,     /* $1 source key */
    DQ_RACE_UPDATE,
    DQ_RACE_RANGE,      /* $1, $2 race days of their meetings: by scheduled start, id */
    DQ_RACE_OF_MEETING, /* $1 meeting id: by number, id */
    DQ_RACE_NEXT,       /* $1 meeting id, $2 now: first OPEN at/after now, by start, number */
    DQ_RACES_NEXT,      /* $1 now, $2 limit: OPEN at/after now, by start, id */
    DQ_RACES_NEXT_TYPE, /* the same, $3 race type */
    DQ_SEL_INSERT,
    DQ_SEL_GET,    /* $1 id */
    DQ_SEL_BY_KEY, /* $1 source key */
    DQ_SEL_UPDATE,
    DQ_SEL_OF_RACE,          /* $1 race id: by number, id */
    DQ_PRICE_LATEST_ONE,     /* $1 selection, $2 provider, $3 market -> odds, ts of the latest */
    DQ_PRICE_INSERT,         /* $1..$5 as odz_row_price; changes 0 when that point exists */
    DQ_PRICE_LATEST_RACE,    /* $1 race id: latest of each (selection, provider, market) */
    DQ_PRICE_HISTORY,        /* $1 selection, $2 market: by ts, id */
    DQ_PRICE_HISTORY_ALL,    /* $1 selection: by ts, id */
    DQ_BOOK_GET,             /* $1 selection, $2 provider: its exchange book */
    DQ_BOOK_PUT,             /* $1..$18 as odz_row_book: insert, or replace the stored one */
    DQ_BOOK_OF_RACE,         /* $1 race id: books of its selections by number, provider */
    DQ_EPOCH_BUMP,           /* the write epoch + 1, returned (n): first of every write */
    DQ_RACE_RETIRE,          /* $1 race id, $2 merged_into (NULL: restored), $3 retired_at */
    DQ_RACE_MERGED,          /* $1 race id -> merged_into (NULL when not retired) */
    DQ_PRICE_COPY,           /* $1 from selection, $2 to: its points, those already there kept */
    DQ_BOOK_COPY,            /* $1 from selection, $2 to: its books where `to` has none */
    DQ_COUNT
};

/* The exchange book row's columns (odz_row_book), the same SQL in every driver. */
#define ODZ_BOOK_DATA_COLS                                                                         \
    "provider, back1_odds, back1_size, back2_odds, back2_size, back3_odds, "                       \
    "back3_size, lay1_odds, lay1_size, lay2_odds, lay2_size, lay3_odds, lay3_size, last_traded, " \
    "traded_volume, starting_price, ts"
#define ODZ_BOOK_COLS "selection_id, " ODZ_BOOK_DATA_COLS
/* The upsert's update: every column but the key from the row offered. */
#define ODZ_BOOK_UPSERT                                                                            \
    " ON CONFLICT (selection_id, provider) DO UPDATE SET back1_odds = excluded.back1_odds, "       \
    "back1_size = excluded.back1_size, back2_odds = excluded.back2_odds, "                         \
    "back2_size = excluded.back2_size, back3_odds = excluded.back3_odds, "                         \
    "back3_size = excluded.back3_size, lay1_odds = excluded.lay1_odds, "                           \
    "lay1_size = excluded.lay1_size, lay2_odds = excluded.lay2_odds, "                             \
    "lay2_size = excluded.lay2_size, lay3_odds = excluded.lay3_odds, "                             \
    "lay3_size = excluded.lay3_size, last_traded = excluded.last_traded, "                         \
    "traded_volume = excluded.traded_volume, starting_price = excluded.starting_price, "           \
    "ts = excluded.ts"

/* Migration text of the exchange books table, valid in both dialects (SQLite takes BIGINT as
 * an integer). Released: never edit it; change the schema in a new migration. */
#define ODZ_BOOK_LEVEL(side, n)                                                                    \
    " " side #n "_odds INTEGER NOT NULL DEFAULT 0 CHECK (" side #n "_odds >= 0),"                   \
    " " side #n "_size BIGINT NOT NULL DEFAULT 0 CHECK (" side #n "_size >= 0),"
#define ODZ_BOOK_TABLE                                                                             \
    "CREATE TABLE exchange_books ("                                                                \
    " selection_id BIGINT NOT NULL REFERENCES selections (id) ON DELETE CASCADE,"                  \
    " provider TEXT NOT NULL CHECK (provider <> ''),"                                              \
    ODZ_BOOK_LEVEL("back", 1) ODZ_BOOK_LEVEL("back", 2) ODZ_BOOK_LEVEL("back", 3)                  \
    ODZ_BOOK_LEVEL("lay", 1) ODZ_BOOK_LEVEL("lay", 2) ODZ_BOOK_LEVEL("lay", 3)                     \
    " last_traded INTEGER NOT NULL DEFAULT 0 CHECK (last_traded >= 0),"                            \
    " traded_volume BIGINT NOT NULL DEFAULT 0 CHECK (traded_volume >= 0),"                         \
    " starting_price INTEGER NOT NULL DEFAULT 0 CHECK (starting_price >= 0),"                      \
    " ts BIGINT NOT NULL,"                                                                         \
    " PRIMARY KEY (selection_id, provider));"

/* Migration text of the write epoch (cache.h): one row counting the write transactions
 * committed, by any process. Valid in both dialects; released: never edit it. */
#define ODZ_EPOCH_TABLE                                                                            \
    "CREATE TABLE store_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);"         \
    "INSERT INTO store_epoch (id, n) VALUES (1, 0);"
#define ODZ_EPOCH_BUMP "UPDATE store_epoch SET n = n + 1 WHERE id = 1 RETURNING n"

/* Migration text of retired races (a market stored apart, then matched: store.h retire_race):
 * the race it was merged into (no foreign key: races are never deleted, and SQLite can drop
 * such a column) and when. Valid in both dialects; released: never edit it. */
#define ODZ_RETIRE_COLUMNS                                                                         \
    "ALTER TABLE races ADD COLUMN merged_into BIGINT;"                                             \
    "ALTER TABLE races ADD COLUMN retired_at BIGINT NOT NULL DEFAULT 0;"
/* What every list of races shows: the races not retired (merged into another); of meetings,
 * those with a race not retired or with no retired race (a meeting with no race yet stays). */
#define ODZ_NOT_RETIRED "merged_into IS NULL"
#define ODZ_MEET_SHOWN                                                                             \
    "(EXISTS (SELECT 1 FROM races x WHERE x.meeting_id = meetings.id AND x.merged_into IS NULL) " \
    "OR NOT EXISTS (SELECT 1 FROM races x WHERE x.meeting_id = meetings.id)) "

/* Each statement's name in error messages ("add meeting", "update race", ...). */
extern const char *const odz_drv_what[DQ_COUNT];

/* A statement parameter. Text is borrowed until the statement has run. */
typedef enum { ODZ_ARG_I64, ODZ_ARG_BOOL, ODZ_ARG_TEXT } odz_arg_type;
typedef struct {
    odz_arg_type type;
    int64_t i;
    const char *s;
} odz_arg;
#define ODZ_DRV_MAX_ARGS 24

/* A row's columns as data: the drivers hand every column over as text (NULL: SQL NULL) and
 * odz_store__row_decode fills the struct, so no driver maps rows of its own. */
typedef enum {
    ODZ_COL_I64,
    ODZ_COL_INT,
    ODZ_COL_BOOL, /* "t", "true" or "1" */
    ODZ_COL_TEXT,
    ODZ_COL_RESULTS,   /* JSON text of an odz_race's results */
    ODZ_COL_DIVIDENDS, /* JSON text of an odz_race's dividends */
} odz_col_type;
typedef struct {
    odz_col_type type;
    size_t off, len; /* len: size of a text field */
} odz_col;
typedef struct {
    const odz_col *cols;
    int n;
    size_t size; /* of the struct */
} odz_row_desc;
extern const odz_row_desc odz_row_meeting, odz_row_race, odz_row_selection, odz_row_price,
    odz_row_book;

/* Called for each result row: 0 to go on, or an error code that ends the query with it. */
typedef int (*odz_row_fn)(void *ctx, const char *const *vals, int n);

typedef struct odz_drv odz_drv;
typedef struct odz_drv_tx odz_drv_tx; /* a session lent to one caller */

/* All return 0 or an ODZ_E* code with words in err (ODZ_ERRLEN). Errors of a statement:
 * a foreign key to a missing row ODZ_ENOTFOUND, another constraint ODZ_EINVAL, a lost
 * connection ODZ_EIO "database connection lost: ...", anything else ODZ_EIO. */
typedef struct {
    const char *name; /* "sqlite", "postgres" */
    /* Borrow a session (waiting for one); write: in a transaction that serialises writers. */
    int (*begin)(odz_drv *d, bool write, odz_drv_tx **tx, char *err);
    /* Commit a write when rc is 0, else roll back; give the session back. Returns rc, or the
     * commit's error. */
    int (*end)(odz_drv_tx *tx, int rc, char *err);
    /* Run a statement; fn sees each row (fn may be NULL). */
    int (*query)(odz_drv_tx *tx, int q, const odz_arg *args, int n, odz_row_fn fn, void *ctx,
                 char *err);
    /* Run a statement that writes: *id the new row's id (INSERT), *changes rows touched. */
    int (*exec)(odz_drv_tx *tx, int q, const odz_arg *args, int n, int64_t *id,
                int64_t *changes, char *err);
    int (*schema_version)(odz_drv *d);
    void (*close)(odz_drv *d);
} odz_drv_ops;

/* A driver's table from its functions PREFIX_begin, PREFIX_end, PREFIX_query, PREFIX_exec,
 * PREFIX_schema_version and PREFIX_close: the members are listed here once, and a member added
 * to odz_drv_ops is one every driver must then define. */
#define ODZ_DRV_OPS(name_, prefix)                                                                \
    {.name = name_, .begin = prefix##_begin, .end = prefix##_end, .query = prefix##_query,      \
     .exec = prefix##_exec, .schema_version = prefix##_schema_version, .close = prefix##_close}

struct odz_drv {
    const odz_drv_ops *ops;
};

/** The store (merge.c's rules) over an open driver, which it owns from then on (closed with
 * the store, or here on failure). NULL + err when out of memory. */
odz_store *odz_store__over(odz_drv *d, char *err);

/** Fill `row` (d->size bytes, zeroed first) from one result row; 0 or ODZ_EINVAL when the
 * column count is not d->n. */
int odz_store__row_decode(const odz_row_desc *d, void *row, const char *const *vals, int n);

/** A zeroed object of `size` bytes for a driver or leader of database `target` (a path or
 * URL, named `noun` in the error: empty or over `max` bytes is ODZ_EINVAL). NULL + err. */
void *odz_store__new(const char *noun, const char *target, size_t max, size_t size, char *err);

/** Open the drivers (runs pending migrations). NULL + err on failure. */
odz_drv *odz_drv_sqlite_open(const char *path, char *err);
odz_drv *odz_drv_postgres_open(const char *url, char *err);

#endif

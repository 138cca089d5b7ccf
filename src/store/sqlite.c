/* SQLite driver of the store (driver.h): WAL, foreign keys, versioned migrations, prepared
 * statements only. One connection guarded by one mutex: SQLite has one writer anyway, and
 * every operation is short. Statements are prepared once and reset after each use. */
#include "store/driver.h"
#include "core/err.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEET_COLS "id, source_key, name, country, region, race_type, date, first_start"
#define RACE_COLS                                                                                 \
    "id, source_key, meeting_id, number, name, distance, scheduled_start, actual_start, status, " \
    "results, dividends, last_update"
#define RACE_COLS_R                                                                               \
    "r.id, r.source_key, r.meeting_id, r.number, r.name, r.distance, r.scheduled_start, "         \
    "r.actual_start, r.status, r.results, r.dividends, r.last_update"
#define SEL_COLS                                                                                  \
    "id, source_key, race_id, number, barrier, name, jockey, trainer, weight, claim, scratched, " \
    "late_scratched, scratch_time, deduction, emergency, silks"
#define PRICE_COLS "selection_id, provider, market, odds, ts"

static const char *const sql_text[DQ_COUNT] = {
    [DQ_MEET_INSERT] = "INSERT INTO meetings (source_key, name, country, region, race_type, date, "
                       "first_start) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [DQ_MEET_GET] = "SELECT " MEET_COLS " FROM meetings WHERE id = ?1",
    [DQ_MEET_BY_KEY] = "SELECT " MEET_COLS " FROM meetings WHERE source_key = ?1",
    [DQ_MEET_UPDATE] = "UPDATE meetings SET source_key = ?2, name = ?3, country = ?4, region = ?5, "
                       "race_type = ?6, date = ?7, first_start = ?8 WHERE id = ?1",
    [DQ_MEET_RANGE] = "SELECT " MEET_COLS " FROM meetings WHERE date >= ?1 AND date <= ?2 "
                      "AND " ODZ_MEET_SHOWN "ORDER BY date, race_type, name, id",
    [DQ_MEET_FIRST_START] = "UPDATE meetings SET first_start = (SELECT COALESCE(MIN("
                            "scheduled_start), 0) FROM races WHERE meeting_id = ?1 "
                            "AND " ODZ_NOT_RETIRED ") WHERE id = ?1",
    [DQ_RACE_INSERT] = "INSERT INTO races (source_key, meeting_id, number, name, distance, "
                       "scheduled_start, actual_start, status, results, dividends, last_update) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [DQ_RACE_GET] = "SELECT " RACE_COLS " FROM races WHERE id = ?1",
    [DQ_RACE_BY_KEY] = "SELECT " RACE_COLS " FROM races WHERE source_key = ?1",
    [DQ_RACE_UPDATE] = "UPDATE races SET source_key = ?2, meeting_id = ?3, number = ?4, name = ?5, "
                       "distance = ?6, scheduled_start = ?7, actual_start = ?8, status = ?9, "
                       "results = ?10, dividends = ?11, last_update = ?12 WHERE id = ?1",
    [DQ_RACE_RANGE] = "SELECT " RACE_COLS_R " FROM races r JOIN meetings m ON m.id = r.meeting_id "
                      "WHERE m.date >= ?1 AND m.date <= ?2 AND r." ODZ_NOT_RETIRED
                      " ORDER BY r.scheduled_start, r.id",
    [DQ_RACE_OF_MEETING] = "SELECT " RACE_COLS " FROM races WHERE meeting_id = ?1 "
                           "AND " ODZ_NOT_RETIRED " ORDER BY number, id",
    [DQ_RACE_NEXT] = "SELECT " RACE_COLS " FROM races WHERE meeting_id = ?1 AND status = 0 "
                     "AND " ODZ_NOT_RETIRED " AND scheduled_start >= ?2 "
                     "ORDER BY scheduled_start, number LIMIT 1",
    [DQ_RACES_NEXT] = "SELECT " RACE_COLS " FROM races WHERE status = 0 AND scheduled_start >= ?1 "
                      "AND " ODZ_NOT_RETIRED " ORDER BY scheduled_start, id LIMIT ?2",
    [DQ_RACES_NEXT_TYPE] = "SELECT " RACE_COLS_R " FROM races r JOIN meetings m "
                           "ON m.id = r.meeting_id WHERE r.status = 0 AND "
                           "r.scheduled_start >= ?1 AND m.race_type = ?3 "
                           "AND r." ODZ_NOT_RETIRED " ORDER BY r.scheduled_start, r.id LIMIT ?2",
    [DQ_SEL_INSERT] = "INSERT INTO selections (source_key, race_id, number, barrier, name, jockey, "
                      "trainer, weight, claim, scratched, late_scratched, scratch_time, deduction, "
                      "emergency, silks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                      "?12, ?13, ?14, ?15)",
    [DQ_SEL_GET] = "SELECT " SEL_COLS " FROM selections WHERE id = ?1",
    [DQ_SEL_BY_KEY] = "SELECT " SEL_COLS " FROM selections WHERE source_key = ?1",
    [DQ_SEL_UPDATE] = "UPDATE selections SET source_key = ?2, race_id = ?3, number = ?4, "
                      "barrier = ?5, name = ?6, jockey = ?7, trainer = ?8, weight = ?9, "
                      "claim = ?10, scratched = ?11, late_scratched = ?12, scratch_time = ?13, "
                      "deduction = ?14, emergency = ?15, silks = ?16 WHERE id = ?1",
    [DQ_SEL_OF_RACE] = "SELECT " SEL_COLS " FROM selections WHERE race_id = ?1 ORDER BY number, id",
    [DQ_PRICE_LATEST_ONE] = "SELECT odds, ts FROM prices WHERE selection_id = ?1 AND provider = ?2 "
                            "AND market = ?3 ORDER BY ts DESC, id DESC LIMIT 1",
    [DQ_PRICE_INSERT] = "INSERT OR IGNORE INTO prices (selection_id, provider, market, odds, ts) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)",
    [DQ_PRICE_LATEST_RACE] =
        "SELECT p.selection_id, p.provider, p.market, p.odds, p.ts FROM prices p "
        "JOIN selections s ON s.id = p.selection_id WHERE s.race_id = ?1 AND p.id = "
        "(SELECT q.id FROM prices q WHERE q.selection_id = p.selection_id AND "
        "q.provider = p.provider AND q.market = p.market ORDER BY q.ts DESC, q.id DESC LIMIT 1) "
        "ORDER BY s.number, p.market, p.provider",
    [DQ_PRICE_HISTORY] = "SELECT " PRICE_COLS " FROM prices WHERE selection_id = ?1 AND "
                         "market = ?2 ORDER BY ts, id",
    [DQ_PRICE_HISTORY_ALL] = "SELECT " PRICE_COLS " FROM prices WHERE selection_id = ?1 "
                             "ORDER BY ts, id",
    [DQ_BOOK_GET] = "SELECT " ODZ_BOOK_COLS " FROM exchange_books WHERE selection_id = ?1 AND "
                    "provider = ?2",
    [DQ_BOOK_PUT] = "INSERT INTO exchange_books (" ODZ_BOOK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
                    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)" ODZ_BOOK_UPSERT,
    [DQ_BOOK_OF_RACE] = "SELECT " ODZ_BOOK_COLS " FROM exchange_books b JOIN selections s ON "
                        "s.id = b.selection_id WHERE s.race_id = ?1 "
                        "ORDER BY s.number, b.provider, b.selection_id",
    [DQ_EPOCH_BUMP] = ODZ_EPOCH_BUMP,
    [DQ_RACE_RETIRE] = "UPDATE races SET merged_into = NULLIF(?2, 0), retired_at = ?3 "
                       "WHERE id = ?1",
    [DQ_RACE_MERGED] = "SELECT merged_into FROM races WHERE id = ?1",
    [DQ_PRICE_COPY] = "INSERT OR IGNORE INTO prices (" PRICE_COLS ") SELECT ?2, provider, market, "
                      "odds, ts FROM prices WHERE selection_id = ?1",
    [DQ_BOOK_COPY] = "INSERT OR IGNORE INTO exchange_books (" ODZ_BOOK_COLS ") SELECT ?2, "
                     ODZ_BOOK_DATA_COLS " FROM exchange_books WHERE selection_id = ?1",
};

/* Versioned migrations: migration i brings the schema to version i+1. Never edit a released
 * one; append a new one. */
static const char *const migrations[] = {
    "CREATE TABLE meetings ("
    " id INTEGER PRIMARY KEY,"
    " source_key TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " country TEXT NOT NULL DEFAULT '',"
    " region TEXT NOT NULL DEFAULT '',"
    " race_type INTEGER NOT NULL CHECK (race_type BETWEEN 0 AND 2),"
    " date TEXT NOT NULL,"
    " first_start INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX meetings_date ON meetings (date, race_type);"
    "CREATE TABLE races ("
    " id INTEGER PRIMARY KEY,"
    " source_key TEXT NOT NULL UNIQUE,"
    " meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,"
    " number INTEGER NOT NULL,"
    " name TEXT NOT NULL DEFAULT '',"
    " distance INTEGER NOT NULL DEFAULT 0,"
    " scheduled_start INTEGER NOT NULL,"
    " actual_start INTEGER NOT NULL DEFAULT 0,"
    " status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 4),"
    " results TEXT NOT NULL DEFAULT '[]',"
    " dividends TEXT NOT NULL DEFAULT '[]',"
    " last_update INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX races_meeting ON races (meeting_id, number);"
    "CREATE INDEX races_start ON races (status, scheduled_start);"
    "CREATE TABLE selections ("
    " id INTEGER PRIMARY KEY,"
    " source_key TEXT NOT NULL UNIQUE,"
    " race_id INTEGER NOT NULL REFERENCES races (id) ON DELETE CASCADE,"
    " number INTEGER NOT NULL,"
    " barrier INTEGER NOT NULL DEFAULT 0,"
    " name TEXT NOT NULL,"
    " jockey TEXT NOT NULL DEFAULT '',"
    " trainer TEXT NOT NULL DEFAULT '',"
    " weight INTEGER NOT NULL DEFAULT 0,"
    " claim INTEGER NOT NULL DEFAULT 0,"
    " scratched INTEGER NOT NULL DEFAULT 0,"
    " late_scratched INTEGER NOT NULL DEFAULT 0,"
    " scratch_time INTEGER NOT NULL DEFAULT 0,"
    " deduction INTEGER NOT NULL DEFAULT 0,"
    " emergency INTEGER NOT NULL DEFAULT 0,"
    " silks TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX selections_race ON selections (race_id, number);"
    "CREATE TABLE prices ("
    " id INTEGER PRIMARY KEY,"
    " selection_id INTEGER NOT NULL REFERENCES selections (id) ON DELETE CASCADE,"
    " provider TEXT NOT NULL,"
    " market INTEGER NOT NULL CHECK (market BETWEEN 0 AND 5),"
    " odds INTEGER NOT NULL CHECK (odds >= 100),"
    " ts INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX prices_point ON prices (selection_id, provider, market, ts);"
    "CREATE INDEX prices_latest ON prices (selection_id, market, provider, ts);",
    /* 2: the exchange book of each selection and provider, as it stands */
    ODZ_BOOK_TABLE,
    /* 3: the write epoch, so a process knows when its write cache is stale */
    ODZ_EPOCH_TABLE,
    /* 4: retired races (a market stored apart, then matched onto another source's race) */
    ODZ_RETIRE_COLUMNS,
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

enum { T_BEGIN, T_COMMIT, T_ROLLBACK, T_COUNT };
static const char *const tx_text[T_COUNT] = {"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};

/* The one session is the driver itself, lent under `lock` as the odz_drv_tx. */
typedef struct {
    odz_drv base;
    sqlite3 *db;
    sqlite3_stmt *q[DQ_COUNT];
    sqlite3_stmt *t[T_COUNT];
    pthread_mutex_t lock;
    bool write; /* the lent session is in a write transaction */
    int version;
} sq_drv;

#define SQ(tx) ((sq_drv *)(void *)(tx))

/* A failed statement: a foreign key to a missing row ODZ_ENOTFOUND, another constraint
 * ODZ_EINVAL, anything else ODZ_EIO. */
static int db_err(sq_drv *s, char *err, const char *what)
{
    int code = sqlite3_extended_errcode(s->db);
    int rc = code == SQLITE_CONSTRAINT_FOREIGNKEY ? ODZ_ENOTFOUND
             : (code & 0xff) == SQLITE_CONSTRAINT ? ODZ_EINVAL
                                                  : ODZ_EIO;
    return odz_fail(err, ODZ_ERRLEN, rc, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int step_done(sq_drv *s, sqlite3_stmt *st, const char *what, char *err)
{
    int step = sqlite3_step(st);
    int rc = step == SQLITE_DONE || step == SQLITE_ROW ? 0 : db_err(s, err, what);
    sqlite3_reset(st);
    return rc;
}

static int sq_begin(odz_drv *d, bool write, odz_drv_tx **tx, char *err)
{
    sq_drv *s = (sq_drv *)d;
    pthread_mutex_lock(&s->lock);
    s->write = write;
    int rc = write ? step_done(s, s->t[T_BEGIN], "begin", err) : 0;
    if (rc) {
        pthread_mutex_unlock(&s->lock);
        return rc;
    }
    *tx = (odz_drv_tx *)(void *)s;
    return 0;
}

static int sq_end(odz_drv_tx *tx, int rc, char *err)
{
    sq_drv *s = SQ(tx);
    if (s->write && rc == 0)
        rc = step_done(s, s->t[T_COMMIT], "commit", err);
    if (s->write && rc != 0)
        step_done(s, s->t[T_ROLLBACK], "rollback", NULL);
    s->write = false;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static sqlite3_stmt *bound(sq_drv *s, int q, const odz_arg *a, int n)
{
    sqlite3_stmt *st = s->q[q];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    for (int i = 0; i < n; i++) {
        if (a[i].type == ODZ_ARG_TEXT)
            sqlite3_bind_text(st, i + 1, a[i].s, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_int64(st, i + 1, a[i].i);
    }
    return st;
}

static int sq_query(odz_drv_tx *tx, int q, const odz_arg *a, int n, odz_row_fn fn, void *ctx,
                    char *err)
{
    sq_drv *s = SQ(tx);
    sqlite3_stmt *st = bound(s, q, a, n);
    const char *vals[ODZ_DRV_MAX_ARGS + 4];
    int cols = sqlite3_column_count(st), step = SQLITE_DONE, rc = 0;
    if (cols > (int)(sizeof vals / sizeof vals[0]))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: too many columns", odz_drv_what[q]);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < cols; i++)
            vals[i] = (const char *)sqlite3_column_text(st, i);
        if (fn)
            rc = fn(ctx, vals, cols);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_err(s, err, odz_drv_what[q]);
    sqlite3_reset(st);
    return rc;
}

static int sq_exec(odz_drv_tx *tx, int q, const odz_arg *a, int n, int64_t *id, int64_t *changes,
                   char *err)
{
    sq_drv *s = SQ(tx);
    sqlite3_stmt *st = bound(s, q, a, n);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(s, err, odz_drv_what[q]);
    sqlite3_reset(st);
    if (rc == 0 && id)
        *id = sqlite3_last_insert_rowid(s->db);
    if (rc == 0 && changes)
        *changes = sqlite3_changes(s->db);
    return rc;
}

static int sq_schema_version(odz_drv *d)
{
    return ((sq_drv *)d)->version;
}

static void sq_close(odz_drv *d)
{
    sq_drv *s = (sq_drv *)d;
    if (!s)
        return;
    for (int i = 0; i < DQ_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    for (int i = 0; i < T_COUNT; i++)
        sqlite3_finalize(s->t[i]);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Schema setup and migrations are fixed SQL text of ours with no parameters. */
static int exec_fixed(sq_drv *s, const char *sql, char *err, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: %s", what, msg ? msg : "?");
        sqlite3_free(msg);
        return ODZ_EIO;
    }
    return 0;
}

static int migrate(sq_drv *s, char *err)
{
    int rc = exec_fixed(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
                        err, "schema_version");
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK)
        return db_err(s, err, "read schema version");
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (v < 0)
        return db_err(s, err, "read schema version");
    if (v > N_MIGRATIONS)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO,
                        "database schema version %d is newer than this build (%d)", v,
                        N_MIGRATIONS);
    for (; v < N_MIGRATIONS; v++) {
        if ((rc = exec_fixed(s, "BEGIN IMMEDIATE", err, "begin migration")))
            return rc;
        rc = exec_fixed(s, migrations[v], err, "migration");
        if (rc == 0) {
            if (sqlite3_prepare_v2(s->db, "INSERT INTO schema_version (version) VALUES (?1)", -1,
                                   &st, NULL) != SQLITE_OK)
                rc = db_err(s, err, "record migration");
            else {
                sqlite3_bind_int(st, 1, v + 1);
                if (sqlite3_step(st) != SQLITE_DONE)
                    rc = db_err(s, err, "record migration");
                sqlite3_finalize(st);
            }
        }
        if (rc) {
            exec_fixed(s, "ROLLBACK", NULL, "rollback");
            return rc;
        }
        if ((rc = exec_fixed(s, "COMMIT", err, "commit migration")))
            return rc;
    }
    s->version = v;
    return 0;
}

static int prepare(sq_drv *s, const char *sql, sqlite3_stmt **st, char *err)
{
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK)
        return 0;
    return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "prepare '%.40s...': %s", sql,
                    sqlite3_errmsg(s->db));
}

static const odz_drv_ops sqlite_ops = {
    .name = "sqlite",
    .begin = sq_begin,
    .end = sq_end,
    .query = sq_query,
    .exec = sq_exec,
    .schema_version = sq_schema_version,
    .close = sq_close,
};

odz_drv *odz_drv_sqlite_open(const char *path, char *err)
{
    sq_drv *s = odz_store__new("database path", path, 4096, sizeof *s, err);
    if (!s)
        return NULL;
    s->base.ops = &sqlite_ops;
    pthread_mutex_init(&s->lock, NULL);
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot open database %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (exec_fixed(s, "PRAGMA journal_mode = WAL", err, "WAL") ||
        exec_fixed(s, "PRAGMA foreign_keys = ON", err, "foreign keys") ||
        exec_fixed(s, "PRAGMA synchronous = NORMAL", err, "synchronous") || migrate(s, err))
        goto fail;
    for (int i = 0; i < DQ_COUNT; i++)
        if (prepare(s, sql_text[i], &s->q[i], err))
            goto fail;
    for (int i = 0; i < T_COUNT; i++)
        if (prepare(s, tx_text[i], &s->t[i], err))
            goto fail;
    return &s->base;
fail:
    sq_close(&s->base);
    return NULL;
}

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

/* Dates are TEXT 'YYYY-MM-DD' and text orders byte by byte (BINARY) already; the new row's
 * id comes from sqlite3_last_insert_rowid. */
#define ODZ_SQL_DAY "date"
#define ODZ_SQL_BYTEWISE ""
#define ODZ_SQL_RETURNING_ID ""
#define ODZ_SQL_INSERT_KEEP "INSERT OR IGNORE INTO"
#define ODZ_SQL_KEEP ""
/* The latest point of each (selection, provider, market) of a race, by a correlated subquery
 * on the prices_latest index. */
#define ODZ_SQL_PRICE_LATEST_RACE                                                                  \
    "SELECT p.selection_id, p.provider, p.market, p.odds, p.ts FROM prices p "                     \
    "JOIN selections s ON s.id = p.selection_id WHERE s.race_id = $1 AND p.id = "                  \
    "(SELECT q.id FROM prices q WHERE q.selection_id = p.selection_id AND "                        \
    "q.provider = p.provider AND q.market = p.market ORDER BY q.ts DESC, q.id DESC LIMIT 1) "      \
    "ORDER BY s.number, p.market, p.provider"
#define ODZ_SQL_ID "INTEGER PRIMARY KEY"
#define ODZ_SQL_BIG "INTEGER"
#define ODZ_SQL_SMALL "INTEGER"
#define ODZ_SQL_DATE "TEXT"
#define ODZ_SQL_JSON "TEXT"
#define ODZ_SQL_FLAG "INTEGER NOT NULL DEFAULT 0"
#include "store/sql.h"

static const char *const sql_text[DQ_COUNT] = {ODZ_SQL_STATEMENTS};
static const char *const migrations[] = {ODZ_SQL_MIGRATIONS};

/* A copy of shared statement text with its $n parameters as ?n (store/sql.h); the caller frees
 * it. NULL when out of memory. */
static char *numbered(const char *sql)
{
    char *text = strdup(sql);
    for (char *p = text; p && (p = strchr(p, '$')) != NULL; p++)
        if (p[1] >= '0' && p[1] <= '9')
            *p = '?';
    return text;
}
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

static const odz_drv_ops sqlite_ops = ODZ_DRV_OPS("sqlite", sq);

/* Before SQLite's first use in the process (this file is its only user): no count of the
 * memory it holds, which took a process-wide lock on every one of its allocations. */
static void configure_once(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

odz_drv *odz_drv_sqlite_open(const char *path, char *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_once);
    sq_drv *s = odz_store__new("database path", path, 4096, sizeof *s, err);
    if (!s)
        return NULL;
    s->base.ops = &sqlite_ops;
    pthread_mutex_init(&s->lock, NULL);
    /* no mutex of SQLite's own per call: every use of the connection is under s->lock */
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot open database %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (exec_fixed(s, "PRAGMA journal_mode = WAL", err, "WAL") ||
        exec_fixed(s, "PRAGMA foreign_keys = ON", err, "foreign keys") ||
        exec_fixed(s, "PRAGMA synchronous = NORMAL", err, "synchronous") ||
        exec_fixed(s, "PRAGMA cache_size = -32768", err, "cache size") || migrate(s, err))
        goto fail;
    for (int i = 0; i < DQ_COUNT; i++) {
        char *text = numbered(sql_text[i]);
        int rc = text ? prepare(s, text, &s->q[i], err)
                      : odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        free(text);
        if (rc)
            goto fail;
    }
    for (int i = 0; i < T_COUNT; i++)
        if (prepare(s, tx_text[i], &s->t[i], err))
            goto fail;
    return &s->base;
fail:
    sq_close(&s->base);
    return NULL;
}

/* SQLite store: WAL, foreign keys, versioned migrations, prepared statements only.
 * One connection guarded by one mutex: SQLite has one writer anyway, and every operation is
 * short. Statements are prepared once and reset after each use. */
#include "store/store.h"
#include "store/rules.h"
#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
    Q_MEET_INSERT, Q_MEET_GET, Q_MEET_BY_KEY, Q_MEET_UPDATE, Q_MEET_RANGE,
    Q_RACE_INSERT, Q_RACE_GET, Q_RACE_BY_KEY, Q_RACE_UPDATE, Q_RACE_RANGE, Q_RACE_OF_MEETING,
    Q_RACE_NEXT, Q_RACES_NEXT, Q_RACES_NEXT_TYPE, Q_MEET_FIRST_START,
    Q_SEL_INSERT, Q_SEL_GET, Q_SEL_BY_KEY, Q_SEL_UPDATE, Q_SEL_OF_RACE, Q_SEL_SCRATCH,
    Q_PRICE_LATEST_ONE, Q_PRICE_INSERT, Q_PRICE_LATEST_RACE, Q_PRICE_HISTORY, Q_PRICE_HISTORY_ALL,
    Q_COUNT
};

#define MEET_COLS "id, source_key, name, country, region, race_type, date, first_start"
#define RACE_COLS                                                                                 \
    "id, source_key, meeting_id, number, name, distance, scheduled_start, actual_start, status, " \
    "results, dividends, last_update"
#define SEL_COLS                                                                                  \
    "id, source_key, race_id, number, barrier, name, jockey, trainer, weight, claim, scratched, " \
    "late_scratched, scratch_time, deduction, emergency, silks"
#define PRICE_COLS "selection_id, provider, market, odds, ts"

static const char *const sql_text[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_MEET_INSERT] = "INSERT INTO meetings (source_key, name, country, region, race_type, date, "
                      "first_start) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_MEET_GET] = "SELECT " MEET_COLS " FROM meetings WHERE id = ?1",
    [Q_MEET_BY_KEY] = "SELECT " MEET_COLS " FROM meetings WHERE source_key = ?1",
    [Q_MEET_UPDATE] = "UPDATE meetings SET name = ?2, country = ?3, region = ?4, race_type = ?5, "
                      "date = ?6, first_start = ?7 WHERE id = ?1",
    [Q_MEET_RANGE] = "SELECT " MEET_COLS " FROM meetings WHERE date >= ?1 AND date <= ?2 "
                     "ORDER BY date, race_type, name, id",
    [Q_RACE_INSERT] = "INSERT INTO races (source_key, meeting_id, number, name, distance, "
                      "scheduled_start, actual_start, status, results, dividends, last_update) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [Q_RACE_GET] = "SELECT " RACE_COLS " FROM races WHERE id = ?1",
    [Q_RACE_BY_KEY] = "SELECT " RACE_COLS " FROM races WHERE source_key = ?1",
    [Q_RACE_UPDATE] = "UPDATE races SET number = ?2, name = ?3, distance = ?4, scheduled_start = ?5, "
                      "actual_start = ?6, status = ?7, results = ?8, dividends = ?9, "
                      "last_update = ?10 WHERE id = ?1",
    [Q_RACE_RANGE] = "SELECT r.id, r.source_key, r.meeting_id, r.number, r.name, r.distance, "
                     "r.scheduled_start, r.actual_start, r.status, r.results, r.dividends, "
                     "r.last_update FROM races r JOIN meetings m ON m.id = r.meeting_id "
                     "WHERE m.date >= ?1 AND m.date <= ?2 ORDER BY r.scheduled_start, r.id",
    [Q_RACE_OF_MEETING] = "SELECT " RACE_COLS " FROM races WHERE meeting_id = ?1 "
                          "ORDER BY number, id",
    [Q_RACE_NEXT] = "SELECT " RACE_COLS " FROM races WHERE meeting_id = ?1 AND status = 0 "
                    "AND scheduled_start >= ?2 ORDER BY scheduled_start, number LIMIT 1",
    [Q_RACES_NEXT] = "SELECT " RACE_COLS " FROM races WHERE status = 0 AND scheduled_start >= ?1 "
                     "ORDER BY scheduled_start, id LIMIT ?2",
    [Q_RACES_NEXT_TYPE] = "SELECT r.id, r.source_key, r.meeting_id, r.number, r.name, "
                          "r.distance, r.scheduled_start, r.actual_start, r.status, r.results, "
                          "r.dividends, r.last_update FROM races r JOIN meetings m "
                          "ON m.id = r.meeting_id WHERE r.status = 0 AND "
                          "r.scheduled_start >= ?1 AND m.race_type = ?3 "
                          "ORDER BY r.scheduled_start, r.id LIMIT ?2",
    [Q_MEET_FIRST_START] = "UPDATE meetings SET first_start = (SELECT COALESCE(MIN("
                           "scheduled_start), 0) FROM races WHERE meeting_id = ?1) WHERE id = ?1",
    [Q_SEL_INSERT] = "INSERT INTO selections (source_key, race_id, number, barrier, name, jockey, "
                     "trainer, weight, claim, scratched, late_scratched, scratch_time, deduction, "
                     "emergency, silks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                     "?12, ?13, ?14, ?15)",
    [Q_SEL_GET] = "SELECT " SEL_COLS " FROM selections WHERE id = ?1",
    [Q_SEL_BY_KEY] = "SELECT " SEL_COLS " FROM selections WHERE source_key = ?1",
    [Q_SEL_UPDATE] = "UPDATE selections SET number = ?3, barrier = ?4, name = ?5, jockey = ?6, "
                     "trainer = ?7, weight = ?8, claim = ?9, scratched = ?10, "
                     "late_scratched = ?11, scratch_time = ?12, deduction = ?13, emergency = ?14, "
                     "silks = ?15 WHERE id = ?1 AND race_id = ?2",
    [Q_SEL_OF_RACE] = "SELECT " SEL_COLS " FROM selections WHERE race_id = ?1 ORDER BY number, id",
    [Q_SEL_SCRATCH] = "UPDATE selections SET scratched = 1, late_scratched = ?3, "
                      "scratch_time = ?2, deduction = ?4 WHERE id = ?1",
    [Q_PRICE_LATEST_ONE] = "SELECT odds, ts FROM prices WHERE selection_id = ?1 AND provider = ?2 "
                           "AND market = ?3 ORDER BY ts DESC, id DESC LIMIT 1",
    [Q_PRICE_INSERT] = "INSERT OR IGNORE INTO prices (selection_id, provider, market, odds, ts) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_PRICE_LATEST_RACE] =
        "SELECT p.selection_id, p.provider, p.market, p.odds, p.ts FROM prices p "
        "JOIN selections s ON s.id = p.selection_id WHERE s.race_id = ?1 AND p.id = "
        "(SELECT q.id FROM prices q WHERE q.selection_id = p.selection_id AND "
        "q.provider = p.provider AND q.market = p.market ORDER BY q.ts DESC, q.id DESC LIMIT 1) "
        "ORDER BY s.number, p.market, p.provider",
    [Q_PRICE_HISTORY] = "SELECT " PRICE_COLS " FROM prices WHERE selection_id = ?1 AND "
                        "market = ?2 ORDER BY ts, id",
    [Q_PRICE_HISTORY_ALL] = "SELECT " PRICE_COLS " FROM prices WHERE selection_id = ?1 "
                            "ORDER BY ts, id",
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
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

typedef struct {
    odz_store base;
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    pthread_mutex_t lock;
    int version;
} sq_store;

#define SQ(s) ((sq_store *)(s))

static int db_err(sq_store *s, char *err, const char *what)
{
    int code = sqlite3_extended_errcode(s->db);
    int rc = ODZ_EIO;
    if ((code & 0xff) == SQLITE_CONSTRAINT)
        rc = ODZ_EINVAL;
    return odz_fail(err, ODZ_ERRLEN, rc, "%s: %s", what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(sq_store *s, int q)
{
    sqlite3_stmt *st = s->q[q];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t len)
{
    odz_strlcpy(dst, (const char *)sqlite3_column_text(st, i), len);
}

static void row_meeting(sqlite3_stmt *st, odz_meeting *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, m->source_key, sizeof m->source_key);
    col_text(st, 2, m->name, sizeof m->name);
    col_text(st, 3, m->country, sizeof m->country);
    col_text(st, 4, m->region, sizeof m->region);
    m->type = (odz_race_type)sqlite3_column_int(st, 5);
    col_text(st, 6, m->date, sizeof m->date);
    m->first_start = sqlite3_column_int64(st, 7);
}

static void decode_json_col(sqlite3_stmt *st, int i, odz_race *r, int results)
{
    const char *txt = (const char *)sqlite3_column_text(st, i);
    json_t *j = txt ? json_loads(txt, 0, NULL) : NULL;
    if (results)
        odz_results_from_json(j, r, NULL, 0);
    else
        odz_dividends_from_json(j, r, NULL, 0);
    json_decref(j);
}

static void row_race(sqlite3_stmt *st, odz_race *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, r->source_key, sizeof r->source_key);
    r->meeting_id = sqlite3_column_int64(st, 2);
    r->number = sqlite3_column_int(st, 3);
    col_text(st, 4, r->name, sizeof r->name);
    r->distance = sqlite3_column_int(st, 5);
    r->scheduled_start = sqlite3_column_int64(st, 6);
    r->actual_start = sqlite3_column_int64(st, 7);
    r->status = (odz_race_status)sqlite3_column_int(st, 8);
    decode_json_col(st, 9, r, 1);
    decode_json_col(st, 10, r, 0);
    r->last_update = sqlite3_column_int64(st, 11);
}

static void row_selection(sqlite3_stmt *st, odz_selection *x)
{
    memset(x, 0, sizeof *x);
    x->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, x->source_key, sizeof x->source_key);
    x->race_id = sqlite3_column_int64(st, 2);
    x->number = sqlite3_column_int(st, 3);
    x->barrier = sqlite3_column_int(st, 4);
    col_text(st, 5, x->name, sizeof x->name);
    col_text(st, 6, x->jockey, sizeof x->jockey);
    col_text(st, 7, x->trainer, sizeof x->trainer);
    x->weight = sqlite3_column_int(st, 8);
    x->claim = sqlite3_column_int(st, 9);
    x->scratched = sqlite3_column_int(st, 10) != 0;
    x->late_scratched = sqlite3_column_int(st, 11) != 0;
    x->scratch_time = sqlite3_column_int64(st, 12);
    x->deduction = sqlite3_column_int(st, 13);
    x->emergency = sqlite3_column_int(st, 14) != 0;
    col_text(st, 15, x->silks, sizeof x->silks);
}

static void row_price(sqlite3_stmt *st, odz_price *p)
{
    memset(p, 0, sizeof *p);
    p->selection_id = sqlite3_column_int64(st, 0);
    col_text(st, 1, p->provider, sizeof p->provider);
    p->market = (odz_market)sqlite3_column_int(st, 2);
    p->odds = sqlite3_column_int(st, 3);
    p->ts = sqlite3_column_int64(st, 4);
}

/* ---- transactions ---- */

static int tx(sq_store *s, int q, char *err)
{
    sqlite3_stmt *st = stmt(s, q);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_err(s, err, q == Q_BEGIN ? "begin" : q == Q_COMMIT ? "commit" : "rollback");
    return 0;
}

static int finish_tx(sq_store *s, int rc, char *err)
{
    if (rc == 0)
        rc = tx(s, Q_COMMIT, err);
    if (rc != 0)
        tx(s, Q_ROLLBACK, NULL);
    return rc;
}

/* ---- meetings ---- */

static void bind_meeting(sqlite3_stmt *st, const odz_meeting *m, int first)
{
    /* first: index of name; insert binds source_key at 1 and starts at 2; update starts at 2 */
    bind_text(st, first, m->name);
    bind_text(st, first + 1, m->country);
    bind_text(st, first + 2, m->region);
    sqlite3_bind_int(st, first + 3, m->type);
    bind_text(st, first + 4, m->date);
    sqlite3_bind_int64(st, first + 5, m->first_start);
}


static int insert_meeting(sq_store *s, odz_meeting *m, char *err)
{
    int rc = odz_store__validate_meeting(m, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = stmt(s, Q_MEET_INSERT);
    bind_text(st, 1, m->source_key);
    bind_meeting(st, m, 2);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_err(s, err, "add meeting");
    m->id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int sq_add_meeting(odz_store *st_, odz_meeting *m, char *err)
{
    sq_store *s = SQ(st_);
    pthread_mutex_lock(&s->lock);
    int rc = insert_meeting(s, m, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int get_one(sq_store *s, int q, int64_t id, const char *key, void *out,
                   void (*row)(sqlite3_stmt *, void *), const char *what, char *err)
{
    sqlite3_stmt *st = stmt(s, q);
    if (key)
        bind_text(st, 1, key);
    else
        sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        row(st, out);
        sqlite3_reset(st);
        return 0;
    }
    if (step == SQLITE_DONE) {
        if (key)
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown %s '%s'", what, key);
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown %s %lld", what, (long long)id);
    }
    return db_err(s, err, what);
}

#define ROWFN(f) ((void (*)(sqlite3_stmt *, void *))(f))

static int sq_get_meeting(odz_store *st_, int64_t id, odz_meeting *out, char *err)
{
    sq_store *s = SQ(st_);
    pthread_mutex_lock(&s->lock);
    int rc = get_one(s, Q_MEET_GET, id, NULL, out, ROWFN(row_meeting), "meeting", err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}


/* Run a prepared list query; `push` appends a row to the output array. */
static int list_rows(sq_store *s, sqlite3_stmt *st, void *out, int (*push)(void *, sqlite3_stmt *),
                     const char *what, char *err)
{
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (push(out, st)) {
            sqlite3_reset(st);
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory listing %s", what);
        }
    sqlite3_reset(st);
    if (step != SQLITE_DONE)
        return db_err(s, err, what);
    return 0;
}

static int push_meeting(void *a, sqlite3_stmt *st)
{
    odz_meeting m;
    row_meeting(st, &m);
    return odz_meetings_push(a, &m);
}

static int push_race(void *a, sqlite3_stmt *st)
{
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return ODZ_ENOMEM;
    row_race(st, r);
    int rc = odz_races_push(a, r);
    free(r);
    return rc;
}

static int push_selection(void *a, sqlite3_stmt *st)
{
    odz_selection x;
    row_selection(st, &x);
    return odz_selections_push(a, &x);
}

static int push_price(void *a, sqlite3_stmt *st)
{
    odz_price p;
    row_price(st, &p);
    return odz_prices_push(a, &p);
}

static int sq_list_meetings(odz_store *st_, const char *from, const char *to, odz_meetings *out,
                            char *err)
{
    sq_store *s = SQ(st_);
    int rc = odz_store__check_range(from, to, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = stmt(s, Q_MEET_RANGE);
    bind_text(st, 1, from);
    bind_text(st, 2, to);
    rc = list_rows(s, st, out, push_meeting, "meetings", err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sq_list_races(odz_store *st_, const char *from, const char *to, odz_races *out,
                         char *err)
{
    sq_store *s = SQ(st_);
    int rc = odz_store__check_range(from, to, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = stmt(s, Q_RACE_RANGE);
    bind_text(st, 1, from);
    bind_text(st, 2, to);
    rc = list_rows(s, st, out, push_race, "races", err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sq_list_meeting_races(odz_store *st_, int64_t meeting_id, odz_races *out, char *err)
{
    sq_store *s = SQ(st_);
    odz_meeting m;
    pthread_mutex_lock(&s->lock);
    int rc = get_one(s, Q_MEET_GET, meeting_id, NULL, &m, ROWFN(row_meeting), "meeting", err);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(s, Q_RACE_OF_MEETING);
        sqlite3_bind_int64(st, 1, meeting_id);
        rc = list_rows(s, st, out, push_race, "races", err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- races ---- */



static int insert_race(sq_store *s, odz_race *r, int64_t now, char *err)
{
    int rc = odz_store__validate_race(r, err);
    if (rc)
        return rc;
    char *res, *div;
    if (odz_store__race_json(r, &res, &div))
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    sqlite3_stmt *st = stmt(s, Q_RACE_INSERT);
    bind_text(st, 1, r->source_key);
    sqlite3_bind_int64(st, 2, r->meeting_id);
    sqlite3_bind_int(st, 3, r->number);
    bind_text(st, 4, r->name);
    sqlite3_bind_int(st, 5, r->distance);
    sqlite3_bind_int64(st, 6, r->scheduled_start);
    sqlite3_bind_int64(st, 7, r->actual_start);
    sqlite3_bind_int(st, 8, r->status);
    bind_text(st, 9, res);
    bind_text(st, 10, div);
    sqlite3_bind_int64(st, 11, now);
    int step = sqlite3_step(st);
    free(res);
    free(div);
    if (step != SQLITE_DONE) {
        if ((sqlite3_extended_errcode(s->db)) == SQLITE_CONSTRAINT_FOREIGNKEY)
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown meeting %lld",
                            (long long)r->meeting_id);
        return db_err(s, err, "add race");
    }
    r->id = sqlite3_last_insert_rowid(s->db);
    r->last_update = now;
    sqlite3_stmt *fs = stmt(s, Q_MEET_FIRST_START);
    sqlite3_bind_int64(fs, 1, r->meeting_id);
    if (sqlite3_step(fs) != SQLITE_DONE)
        return db_err(s, err, "meeting first start");
    return 0;
}

static int sq_add_race(odz_store *st_, odz_race *r, char *err)
{
    sq_store *s = SQ(st_);
    pthread_mutex_lock(&s->lock);
    int rc = tx(s, Q_BEGIN, err);
    if (rc == 0)
        rc = finish_tx(s, insert_race(s, r, r->last_update, err), err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}


/* Write `r` over the stored race `old` (same id) when anything changed. */
static int write_race(sq_store *s, const odz_race *old, const odz_race *r, int64_t now,
                      odz_changes *c, char *err)
{
    if (odz_store__same_race(old, r))
        return 0;
    char *res, *div;
    if (odz_store__race_json(r, &res, &div))
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    sqlite3_stmt *st = stmt(s, Q_RACE_UPDATE);
    sqlite3_bind_int64(st, 1, old->id);
    sqlite3_bind_int(st, 2, r->number);
    bind_text(st, 3, r->name);
    sqlite3_bind_int(st, 4, r->distance);
    sqlite3_bind_int64(st, 5, r->scheduled_start);
    sqlite3_bind_int64(st, 6, r->actual_start);
    sqlite3_bind_int(st, 7, r->status);
    bind_text(st, 8, res);
    bind_text(st, 9, div);
    sqlite3_bind_int64(st, 10, now);
    int step = sqlite3_step(st);
    free(res);
    free(div);
    if (step != SQLITE_DONE)
        return db_err(s, err, "update race");
    if (old->scheduled_start != r->scheduled_start) {
        sqlite3_stmt *fs = stmt(s, Q_MEET_FIRST_START);
        sqlite3_bind_int64(fs, 1, old->meeting_id);
        if (sqlite3_step(fs) != SQLITE_DONE)
            return db_err(s, err, "meeting first start");
    }
    if (c) {
        c->races_updated++;
        if (odz_changes_add_race(c, old->id))
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    }
    return 0;
}

/* ---- selections ---- */


static void bind_selection_fields(sqlite3_stmt *st, const odz_selection *x)
{
    sqlite3_bind_int(st, 3, x->number);
    sqlite3_bind_int(st, 4, x->barrier);
    bind_text(st, 5, x->name);
    bind_text(st, 6, x->jockey);
    bind_text(st, 7, x->trainer);
    sqlite3_bind_int(st, 8, x->weight);
    sqlite3_bind_int(st, 9, x->claim);
    sqlite3_bind_int(st, 10, x->scratched);
    sqlite3_bind_int(st, 11, x->late_scratched);
    sqlite3_bind_int64(st, 12, x->scratch_time);
    sqlite3_bind_int(st, 13, x->deduction);
    sqlite3_bind_int(st, 14, x->emergency);
    bind_text(st, 15, x->silks);
}


/* Insert or update one selection of race `race_id` by source key. */
static int upsert_selection(sq_store *s, int64_t race_id, const odz_selection *in, int64_t *id_out,
                            odz_changes *c, char *err)
{
    int rc = odz_store__validate_selection(in, err);
    if (rc)
        return rc;
    odz_selection old;
    rc = get_one(s, Q_SEL_BY_KEY, 0, in->source_key, &old, ROWFN(row_selection), "selection",
                 err);
    if (rc == ODZ_ENOTFOUND) {
        sqlite3_stmt *st = stmt(s, Q_SEL_INSERT);
        bind_text(st, 1, in->source_key);
        sqlite3_bind_int64(st, 2, race_id);
        bind_selection_fields(st, in);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_err(s, err, "add selection");
        if (id_out)
            *id_out = sqlite3_last_insert_rowid(s->db);
        if (c) {
            c->selections_added++;
            c->scratchings += in->scratched;
            if (odz_changes_add_race(c, race_id))
                return ODZ_ENOMEM;
        }
        return 0;
    }
    if (rc)
        return rc;
    if (old.race_id != race_id)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "selection '%s' belongs to another race",
                        in->source_key);
    if (id_out)
        *id_out = old.id;
    odz_selection merged = *in;
    if (old.scratched && !in->scratched) {
        /* a scratching is final; a source that forgets it does not un-scratch the runner */
        merged.scratched = true;
        merged.late_scratched = old.late_scratched;
        merged.scratch_time = old.scratch_time;
        merged.deduction = old.deduction;
    }
    if (odz_store__same_selection(&old, &merged))
        return 0;
    sqlite3_stmt *st = stmt(s, Q_SEL_UPDATE);
    sqlite3_bind_int64(st, 1, old.id);
    sqlite3_bind_int64(st, 2, race_id);
    bind_selection_fields(st, &merged);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_err(s, err, "update selection");
    if (c) {
        c->selections_updated++;
        c->scratchings += merged.scratched && !old.scratched;
        if (odz_changes_add_race(c, race_id))
            return ODZ_ENOMEM;
    }
    return 0;
}

static int sq_update_race(odz_store *st_, const odz_race *r, const odz_selections *sels,
                          int64_t now, odz_changes *c, char *err)
{
    sq_store *s = SQ(st_);
    odz_race *old = malloc(sizeof *old);
    if (!old)
        return ODZ_ENOMEM;
    pthread_mutex_lock(&s->lock);
    int rc = odz_store__validate_race(r, err);
    if (rc == 0)
        rc = tx(s, Q_BEGIN, err);
    if (rc)
        goto out;
    rc = get_one(s, Q_RACE_GET, r->id, NULL, old, ROWFN(row_race), "race", err);
    if (rc == 0)
        rc = odz_status_transition(old->status, r->status, err, ODZ_ERRLEN);
    if (rc == 0)
        rc = write_race(s, old, r, now, c, err);
    for (size_t i = 0; rc == 0 && sels && i < sels->n; i++)
        rc = upsert_selection(s, old->id, &sels->v[i], NULL, c, err);
    rc = finish_tx(s, rc, err);
out:
    pthread_mutex_unlock(&s->lock);
    free(old);
    return rc;
}

static int sq_get_race(odz_store *st_, int64_t id, odz_race *out, char *err)
{
    sq_store *s = SQ(st_);
    pthread_mutex_lock(&s->lock);
    int rc = get_one(s, Q_RACE_GET, id, NULL, out, ROWFN(row_race), "race", err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sq_next_race(odz_store *st_, int64_t meeting_id, int64_t now, odz_race *out, char *err)
{
    sq_store *s = SQ(st_);
    odz_meeting m;
    pthread_mutex_lock(&s->lock);
    int rc = get_one(s, Q_MEET_GET, meeting_id, NULL, &m, ROWFN(row_meeting), "meeting", err);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(s, Q_RACE_NEXT);
        sqlite3_bind_int64(st, 1, meeting_id);
        sqlite3_bind_int64(st, 2, now);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            row_race(st, out);
        else if (step == SQLITE_DONE)
            rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "meeting %lld has no race to come",
                          (long long)meeting_id);
        else
            rc = db_err(s, err, "next race");
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sq_next_races(odz_store *st_, int64_t now, int limit, int type, odz_races *out,
                         char *err)
{
    sq_store *s = SQ(st_);
    if (limit < 1 || limit > 500)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "limit must be 1 to 500");
    if (type >= ODZ_RACE_TYPES)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown race type");
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = stmt(s, type < 0 ? Q_RACES_NEXT : Q_RACES_NEXT_TYPE);
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    if (type >= 0)
        sqlite3_bind_int(st, 3, type);
    int rc = list_rows(s, st, out, push_race, "next races", err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sq_list_selections(odz_store *st_, int64_t race_id, odz_selections *out, char *err)
{
    sq_store *s = SQ(st_);
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return ODZ_ENOMEM;
    pthread_mutex_lock(&s->lock);
    int rc = get_one(s, Q_RACE_GET, race_id, NULL, r, ROWFN(row_race), "race", err);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(s, Q_SEL_OF_RACE);
        sqlite3_bind_int64(st, 1, race_id);
        rc = list_rows(s, st, out, push_selection, "selections", err);
    }
    pthread_mutex_unlock(&s->lock);
    free(r);
    return rc;
}

/* ---- prices ---- */

/* Append unless it repeats the latest point of its (selection, provider, market).
 * `sel` is the stored selection (for the change record). */
static int insert_price(sq_store *s, const odz_price *p, const odz_selection *sel,
                        odz_changes *c, char *err)
{
    if (p->odds < 100 || p->odds > 10000000)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "odds %d out of range", p->odds);
    if ((unsigned)p->market >= ODZ_MARKETS)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown market");
    const char *prov = p->provider[0] ? p->provider : ODZ_PROVIDER_OURS;
    sqlite3_stmt *st = stmt(s, Q_PRICE_LATEST_ONE);
    sqlite3_bind_int64(st, 1, p->selection_id);
    bind_text(st, 2, prov);
    sqlite3_bind_int(st, 3, p->market);
    int step = sqlite3_step(st);
    int prev = step == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    int same = step == SQLITE_ROW && prev == p->odds && sqlite3_column_int64(st, 1) <= p->ts;
    /* a point older than the latest (a source's history) is stored but is not a change */
    int older = step == SQLITE_ROW && p->ts < sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_err(s, err, "latest price");
    if (same)
        return 0;
    st = stmt(s, Q_PRICE_INSERT);
    sqlite3_bind_int64(st, 1, p->selection_id);
    bind_text(st, 2, prov);
    sqlite3_bind_int(st, 3, p->market);
    sqlite3_bind_int(st, 4, p->odds);
    sqlite3_bind_int64(st, 5, p->ts);
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown selection %lld",
                            (long long)p->selection_id);
        return db_err(s, err, "append price");
    }
    if (c && sqlite3_changes(s->db) > 0) {
        c->prices_added++;
        if (older)
            return 0;
        odz_price_change pc = {*p, prev, sel->race_id, sel->number};
        odz_strlcpy(pc.price.provider, prov, sizeof pc.price.provider);
        if (odz_changes_add_price(c, &pc))
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    }
    return 0;
}

static int sq_append_price(odz_store *st_, const odz_price *p, odz_changes *c, char *err)
{
    sq_store *s = SQ(st_);
    odz_selection x;
    pthread_mutex_lock(&s->lock);
    int rc = get_one(s, Q_SEL_GET, p->selection_id, NULL, &x, ROWFN(row_selection), "selection",
                     err);
    if (rc == 0)
        rc = insert_price(s, p, &x, c, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sq_latest_prices(odz_store *st_, int64_t race_id, odz_prices *out, char *err)
{
    sq_store *s = SQ(st_);
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = stmt(s, Q_PRICE_LATEST_RACE);
    sqlite3_bind_int64(st, 1, race_id);
    int rc = list_rows(s, st, out, push_price, "prices", err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sq_price_history(odz_store *st_, int64_t selection_id, int market, odz_prices *out,
                            char *err)
{
    sq_store *s = SQ(st_);
    odz_selection x;
    pthread_mutex_lock(&s->lock);
    int rc = get_one(s, Q_SEL_GET, selection_id, NULL, &x, ROWFN(row_selection), "selection", err);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(s, market < 0 ? Q_PRICE_HISTORY_ALL : Q_PRICE_HISTORY);
        sqlite3_bind_int64(st, 1, selection_id);
        if (market >= 0)
            sqlite3_bind_int(st, 2, market);
        rc = list_rows(s, st, out, push_price, "price history", err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int sq_scratch(odz_store *st_, int64_t selection_id, int64_t when, int deduction, bool late,
                      int64_t now, odz_changes *c, char *err)
{
    sq_store *s = SQ(st_);
    odz_selection x;
    pthread_mutex_lock(&s->lock);
    int rc = tx(s, Q_BEGIN, err);
    if (rc)
        goto out;
    rc = get_one(s, Q_SEL_GET, selection_id, NULL, &x, ROWFN(row_selection), "selection", err);
    if (rc == 0 && !x.scratched) {
        sqlite3_stmt *st = stmt(s, Q_SEL_SCRATCH);
        sqlite3_bind_int64(st, 1, selection_id);
        sqlite3_bind_int64(st, 2, when);
        sqlite3_bind_int(st, 3, late);
        sqlite3_bind_int(st, 4, deduction);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_err(s, err, "scratch");
        else if (c) {
            c->scratchings++;
            c->selections_updated++;
            rc = odz_changes_add_race(c, x.race_id);
        }
        (void)now;
    }
    rc = finish_tx(s, rc, err);
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- batch upsert ---- */

static int upsert_meeting(sq_store *s, const odz_meeting *in, odz_changes *c, char *err)
{
    int rc = odz_store__validate_meeting(in, err);
    if (rc)
        return rc;
    odz_meeting old;
    rc = get_one(s, Q_MEET_BY_KEY, 0, in->source_key, &old, ROWFN(row_meeting), "meeting", err);
    if (rc == ODZ_ENOTFOUND) {
        odz_meeting m = *in;
        rc = insert_meeting(s, &m, err);
        if (rc == 0 && c)
            c->meetings_added++;
        return rc;
    }
    if (rc)
        return rc;
    /* first_start is derived from the races; compare the rest */
    if (!strcmp(old.name, in->name) && !strcmp(old.country, in->country) &&
        !strcmp(old.region, in->region) && old.type == in->type && !strcmp(old.date, in->date))
        return 0;
    sqlite3_stmt *st = stmt(s, Q_MEET_UPDATE);
    sqlite3_bind_int64(st, 1, old.id);
    odz_meeting m = *in;
    m.first_start = old.first_start;
    bind_meeting(st, &m, 2);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_err(s, err, "update meeting");
    if (c)
        c->meetings_updated++;
    return 0;
}

static int upsert_race(sq_store *s, const odz_batch_race *br, int64_t now, odz_changes *c,
                       odz_race *old, char *err)
{
    odz_meeting m;
    int rc = get_one(s, Q_MEET_BY_KEY, 0, br->meeting_key, &m, ROWFN(row_meeting), "meeting", err);
    if (rc)
        return rc;
    rc = get_one(s, Q_RACE_BY_KEY, 0, br->race.source_key, old, ROWFN(row_race), "race", err);
    if (rc == ODZ_ENOTFOUND) {
        odz_race *r = malloc(sizeof *r);
        if (!r)
            return ODZ_ENOMEM;
        *r = br->race;
        r->meeting_id = m.id;
        rc = insert_race(s, r, now, err);
        if (rc == 0 && c) {
            c->races_added++;
            rc = odz_changes_add_race(c, r->id);
        }
        free(r);
        return rc;
    }
    if (rc)
        return rc;
    if (old->meeting_id != m.id)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "race '%s' belongs to another meeting",
                        br->race.source_key);
    rc = odz_store__validate_race(&br->race, err);
    if (rc)
        return rc;
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return ODZ_ENOMEM;
    *r = br->race;
    r->id = old->id;
    r->meeting_id = m.id;
    if (odz_status_transition(old->status, r->status, NULL, 0)) {
        r->status = old->status; /* source glitch: keep what we know */
        if (c)
            c->status_refused++;
    }
    if (r->n_results == 0 && old->n_results > 0 && r->status != ODZ_ABANDONED) {
        /* a result once known is not dropped by a source that omits it */
        r->n_results = old->n_results;
        memcpy(r->results, old->results, sizeof r->results);
    }
    if (r->n_dividends == 0 && old->n_dividends > 0) {
        r->n_dividends = old->n_dividends;
        memcpy(r->dividends, old->dividends, sizeof r->dividends);
    }
    rc = write_race(s, old, r, now, c, err);
    free(r);
    return rc;
}

static int sq_upsert_batch(odz_store *st_, const odz_batch *b, int64_t now, odz_changes *c,
                           char *err)
{
    sq_store *s = SQ(st_);
    odz_race *scratch = malloc(sizeof *scratch);
    if (!scratch)
        return ODZ_ENOMEM;
    pthread_mutex_lock(&s->lock);
    int rc = tx(s, Q_BEGIN, err);
    if (rc)
        goto out;
    for (size_t i = 0; rc == 0 && i < b->n_meetings; i++)
        rc = upsert_meeting(s, &b->meetings[i], c, err);
    for (size_t i = 0; rc == 0 && i < b->n_races; i++)
        rc = upsert_race(s, &b->races[i], now, c, scratch, err);
    for (size_t i = 0; rc == 0 && i < b->n_selections; i++) {
        rc = get_one(s, Q_RACE_BY_KEY, 0, b->selections[i].race_key, scratch, ROWFN(row_race),
                     "race", err);
        if (rc == 0)
            rc = upsert_selection(s, scratch->id, &b->selections[i].sel, NULL, c, err);
    }
    for (size_t i = 0; rc == 0 && i < b->n_prices; i++) {
        odz_selection x;
        odz_price p = b->prices[i].price;
        if (p.odds == 0)
            continue;
        rc = get_one(s, Q_SEL_BY_KEY, 0, b->prices[i].selection_key, &x, ROWFN(row_selection),
                     "selection", err);
        if (rc == 0) {
            p.selection_id = x.id;
            if (!p.ts)
                p.ts = now;
            rc = insert_price(s, &p, &x, c, err);
        }
    }
    rc = finish_tx(s, rc, err);
out:
    pthread_mutex_unlock(&s->lock);
    free(scratch);
    return rc;
}

/* ---- open, migrate, close ---- */

static int sq_schema_version(odz_store *st_)
{
    return SQ(st_)->version;
}

static void sq_close(odz_store *st_)
{
    sq_store *s = SQ(st_);
    if (!s)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Schema setup and migrations are fixed SQL text of ours with no parameters. */
static int exec_fixed(sq_store *s, const char *sql, char *err, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: %s", what, msg ? msg : "?");
        sqlite3_free(msg);
        return ODZ_EIO;
    }
    return 0;
}

static int migrate(sq_store *s, char *err)
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

/* One process owns a SQLite file, so it is always the leader. */
static int sq_leader_try(odz_store *st_, const char *name, bool *is_leader, char *err)
{
    *is_leader = true;
    return 0;
}

static int sq_leader_release(odz_store *st_, const char *name, char *err)
{
    return 0;
}

static const odz_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .list_meetings = sq_list_meetings,
    .list_races = sq_list_races,
    .list_meeting_races = sq_list_meeting_races,
    .add_meeting = sq_add_meeting,
    .get_meeting = sq_get_meeting,
    .add_race = sq_add_race,
    .update_race = sq_update_race,
    .next_race = sq_next_race,
    .next_races = sq_next_races,
    .get_race = sq_get_race,
    .list_selections = sq_list_selections,
    .upsert_batch = sq_upsert_batch,
    .append_price = sq_append_price,
    .latest_prices = sq_latest_prices,
    .price_history = sq_price_history,
    .scratch = sq_scratch,
    .schema_version = sq_schema_version,
    .leader_try = sq_leader_try,
    .leader_release = sq_leader_release,
};

odz_store *odz_store_sqlite_open(const char *path, char *err)
{
    if (!path || !*path || strlen(path) > 4096) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "database path is empty or too long");
        return NULL;
    }
    sq_store *s = calloc(1, sizeof *s);
    if (!s) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
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
    for (int i = 0; i < Q_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
                               NULL) != SQLITE_OK) {
            odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "prepare statement %d: %s", i,
                     sqlite3_errmsg(s->db));
            goto fail;
        }
    return &s->base;
fail:
    sq_close(&s->base);
    return NULL;
}

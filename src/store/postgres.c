/* PostgreSQL store (libpq): the SQLite store's semantics on a server shared by processes.
 * A small pool of connections (mutex + condvar); each connection prepares a statement the
 * first time it runs it. Every write transaction takes one transaction-level advisory lock,
 * so writers are serialized as with SQLite's BEGIN IMMEDIATE and the read-compare-write of an
 * upsert never races another process. A connection lost (server restart) fails the request
 * in flight with ODZ_EIO and is reconnected on its next use. */
#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"
#include "store/store.h"
#include "store/rules.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_POOL 4        /* connections per store */
#define PG_MAX_PARAMS 16 /* most parameters of one statement (selection insert: 15) */
#define PG_MAX_LEADER 8  /* leadership names one store may hold */
#define PG_URL_MAX 4096

/* statements, grouped by table as in sqlite.c */
// clang-format off
enum {
    Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_WRITE_LOCK,
    Q_MEET_INSERT, Q_MEET_GET, Q_MEET_BY_KEY, Q_MEET_UPDATE, Q_MEET_RANGE,
    Q_RACE_INSERT, Q_RACE_GET, Q_RACE_BY_KEY, Q_RACE_UPDATE, Q_RACE_RANGE, Q_RACE_OF_MEETING,
    Q_RACE_NEXT, Q_RACES_NEXT, Q_RACES_NEXT_TYPE, Q_MEET_FIRST_START,
    Q_SEL_INSERT, Q_SEL_GET, Q_SEL_BY_KEY, Q_SEL_UPDATE, Q_SEL_OF_RACE, Q_SEL_SCRATCH,
    Q_PRICE_LATEST_ONE, Q_PRICE_INSERT, Q_PRICE_LATEST_RACE, Q_PRICE_HISTORY, Q_PRICE_HISTORY_ALL,
    Q_COUNT
};
// clang-format on

/* Dates are DATE columns read back as text in one fixed format whatever the DateStyle; text
 * is ordered with the "C" collation, byte by byte, as SQLite does. */
#define MEET_COLS                                                                                  \
    "id, source_key, name, country, region, race_type, to_char(date, 'YYYY-MM-DD'), first_start"
#define RACE_COLS                                                                                  \
    "id, source_key, meeting_id, number, name, distance, scheduled_start, actual_start, status, "  \
    "results, dividends, last_update"
#define RACE_COLS_R                                                                                \
    "r.id, r.source_key, r.meeting_id, r.number, r.name, r.distance, r.scheduled_start, "          \
    "r.actual_start, r.status, r.results, r.dividends, r.last_update"
#define SEL_COLS                                                                                   \
    "id, source_key, race_id, number, barrier, name, jockey, trainer, weight, claim, scratched, "  \
    "late_scratched, scratch_time, deduction, emergency, silks"
#define PRICE_COLS "selection_id, provider, market, odds, ts"

static const char *const sql_text[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_WRITE_LOCK] = "SELECT pg_advisory_xact_lock($1)",
    [Q_MEET_INSERT] = "INSERT INTO meetings (source_key, name, country, region, race_type, date, "
                      "first_start) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    [Q_MEET_GET] = "SELECT " MEET_COLS " FROM meetings WHERE id = $1",
    [Q_MEET_BY_KEY] = "SELECT " MEET_COLS " FROM meetings WHERE source_key = $1",
    [Q_MEET_UPDATE] = "UPDATE meetings SET name = $2, country = $3, region = $4, race_type = $5, "
                      "date = $6, first_start = $7 WHERE id = $1",
    [Q_MEET_RANGE] = "SELECT " MEET_COLS " FROM meetings WHERE date >= $1 AND date <= $2 "
                     "ORDER BY date, race_type, name COLLATE \"C\", id",
    [Q_RACE_INSERT] = "INSERT INTO races (source_key, meeting_id, number, name, distance, "
                      "scheduled_start, actual_start, status, results, dividends, last_update) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    [Q_RACE_GET] = "SELECT " RACE_COLS " FROM races WHERE id = $1",
    [Q_RACE_BY_KEY] = "SELECT " RACE_COLS " FROM races WHERE source_key = $1",
    [Q_RACE_UPDATE] = "UPDATE races SET number = $2, name = $3, distance = $4, "
                      "scheduled_start = $5, actual_start = $6, status = $7, results = $8, "
                      "dividends = $9, last_update = $10 WHERE id = $1",
    [Q_RACE_RANGE] = "SELECT " RACE_COLS_R " FROM races r JOIN meetings m ON m.id = r.meeting_id "
                     "WHERE m.date >= $1 AND m.date <= $2 ORDER BY r.scheduled_start, r.id",
    [Q_RACE_OF_MEETING] = "SELECT " RACE_COLS " FROM races WHERE meeting_id = $1 "
                          "ORDER BY number, id",
    [Q_RACE_NEXT] = "SELECT " RACE_COLS " FROM races WHERE meeting_id = $1 AND status = 0 "
                    "AND scheduled_start >= $2 ORDER BY scheduled_start, number LIMIT 1",
    [Q_RACES_NEXT] = "SELECT " RACE_COLS " FROM races WHERE status = 0 AND scheduled_start >= $1 "
                     "ORDER BY scheduled_start, id LIMIT $2",
    [Q_RACES_NEXT_TYPE] = "SELECT " RACE_COLS_R " FROM races r JOIN meetings m "
                          "ON m.id = r.meeting_id WHERE r.status = 0 AND "
                          "r.scheduled_start >= $1 AND m.race_type = $3 "
                          "ORDER BY r.scheduled_start, r.id LIMIT $2",
    [Q_MEET_FIRST_START] = "UPDATE meetings SET first_start = (SELECT COALESCE(MIN("
                           "scheduled_start), 0) FROM races WHERE meeting_id = $1) WHERE id = $1",
    [Q_SEL_INSERT] = "INSERT INTO selections (source_key, race_id, number, barrier, name, jockey, "
                     "trainer, weight, claim, scratched, late_scratched, scratch_time, deduction, "
                     "emergency, silks) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                     "$12, $13, $14, $15) RETURNING id",
    [Q_SEL_GET] = "SELECT " SEL_COLS " FROM selections WHERE id = $1",
    [Q_SEL_BY_KEY] = "SELECT " SEL_COLS " FROM selections WHERE source_key = $1",
    [Q_SEL_UPDATE] = "UPDATE selections SET number = $3, barrier = $4, name = $5, jockey = $6, "
                     "trainer = $7, weight = $8, claim = $9, scratched = $10, "
                     "late_scratched = $11, scratch_time = $12, deduction = $13, emergency = $14, "
                     "silks = $15 WHERE id = $1 AND race_id = $2",
    [Q_SEL_OF_RACE] = "SELECT " SEL_COLS " FROM selections WHERE race_id = $1 ORDER BY number, id",
    [Q_SEL_SCRATCH] = "UPDATE selections SET scratched = true, late_scratched = $3, "
                      "scratch_time = $2, deduction = $4 WHERE id = $1",
    [Q_PRICE_LATEST_ONE] = "SELECT odds, ts FROM prices WHERE selection_id = $1 AND provider = $2 "
                           "AND market = $3 ORDER BY ts DESC, id DESC LIMIT 1",
    [Q_PRICE_INSERT] = "INSERT INTO prices (selection_id, provider, market, odds, ts) "
                       "VALUES ($1, $2, $3, $4, $5) "
                       "ON CONFLICT (selection_id, provider, market, ts) DO NOTHING",
    [Q_PRICE_LATEST_RACE] =
        "SELECT l.selection_id, l.provider, l.market, l.odds, l.ts FROM ("
        "SELECT DISTINCT ON (p.selection_id, p.provider, p.market) p.selection_id, p.provider, "
        "p.market, p.odds, p.ts, s.number FROM prices p JOIN selections s "
        "ON s.id = p.selection_id WHERE s.race_id = $1 "
        "ORDER BY p.selection_id, p.provider, p.market, p.ts DESC, p.id DESC) l "
        "ORDER BY l.number, l.market, l.provider COLLATE \"C\", l.selection_id",
    [Q_PRICE_HISTORY] = "SELECT " PRICE_COLS " FROM prices WHERE selection_id = $1 AND "
                        "market = $2 ORDER BY ts, id",
    [Q_PRICE_HISTORY_ALL] = "SELECT " PRICE_COLS " FROM prices WHERE selection_id = $1 "
                            "ORDER BY ts, id",
};

/* Versioned migrations, the SQLite ones in PostgreSQL types: migration i brings the schema to
 * version i+1. Never edit a released one; append a new one. */
static const char *const migrations[] = {
    "CREATE TABLE meetings ("
    " id BIGSERIAL PRIMARY KEY,"
    " source_key TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " country TEXT NOT NULL DEFAULT '',"
    " region TEXT NOT NULL DEFAULT '',"
    " race_type SMALLINT NOT NULL CHECK (race_type BETWEEN 0 AND 2),"
    " date DATE NOT NULL,"
    " first_start BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX meetings_date ON meetings (date, race_type);"
    "CREATE TABLE races ("
    " id BIGSERIAL PRIMARY KEY,"
    " source_key TEXT NOT NULL UNIQUE,"
    " meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,"
    " number INTEGER NOT NULL,"
    " name TEXT NOT NULL DEFAULT '',"
    " distance INTEGER NOT NULL DEFAULT 0,"
    " scheduled_start BIGINT NOT NULL,"
    " actual_start BIGINT NOT NULL DEFAULT 0,"
    " status SMALLINT NOT NULL CHECK (status BETWEEN 0 AND 4),"
    " results JSONB NOT NULL DEFAULT '[]',"
    " dividends JSONB NOT NULL DEFAULT '[]',"
    " last_update BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX races_meeting ON races (meeting_id, number);"
    "CREATE INDEX races_start ON races (status, scheduled_start);"
    "CREATE TABLE selections ("
    " id BIGSERIAL PRIMARY KEY,"
    " source_key TEXT NOT NULL UNIQUE,"
    " race_id BIGINT NOT NULL REFERENCES races (id) ON DELETE CASCADE,"
    " number INTEGER NOT NULL,"
    " barrier INTEGER NOT NULL DEFAULT 0,"
    " name TEXT NOT NULL,"
    " jockey TEXT NOT NULL DEFAULT '',"
    " trainer TEXT NOT NULL DEFAULT '',"
    " weight INTEGER NOT NULL DEFAULT 0,"
    " claim INTEGER NOT NULL DEFAULT 0,"
    " scratched BOOLEAN NOT NULL DEFAULT false,"
    " late_scratched BOOLEAN NOT NULL DEFAULT false,"
    " scratch_time BIGINT NOT NULL DEFAULT 0,"
    " deduction INTEGER NOT NULL DEFAULT 0,"
    " emergency BOOLEAN NOT NULL DEFAULT false,"
    " silks TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX selections_race ON selections (race_id, number);"
    "CREATE TABLE prices ("
    " id BIGSERIAL PRIMARY KEY,"
    " selection_id BIGINT NOT NULL REFERENCES selections (id) ON DELETE CASCADE,"
    " provider TEXT NOT NULL,"
    " market SMALLINT NOT NULL CHECK (market BETWEEN 0 AND 5),"
    " odds INTEGER NOT NULL CHECK (odds >= 100),"
    " ts BIGINT NOT NULL);"
    "CREATE UNIQUE INDEX prices_point ON prices (selection_id, provider, market, ts);"
    "CREATE INDEX prices_latest ON prices (selection_id, market, provider, ts);",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

typedef struct {
    PGconn *conn;           /* NULL until first used */
    bool prepared[Q_COUNT]; /* on this session; cleared when it reconnects */
    bool busy;              /* lent out; guarded by the store's lock */
} pg_conn;

typedef struct {
    char name[ODZ_KEY_MAX];
    bool lost; /* its session died: the next leader_try reports it once */
} pg_lead;

typedef struct {
    odz_store base;
    char *url;
    pthread_mutex_t lock; /* guards pool[].busy */
    pthread_cond_t freed;
    pg_conn pool[PG_POOL];
    int version;
    pthread_mutex_t leader_lock; /* guards leader and held */
    PGconn *leader;              /* a session of its own: its advisory locks are the leadership */
    pg_lead held[PG_MAX_LEADER];
    size_t n_held;
} pg_store;

#define PG(s) ((pg_store *)(s))

/* ---- keys, parameters, results ---- */

/* Advisory lock keys: 64-bit FNV-1a of a fixed prefix and a name, stable across versions. */
static int64_t lock_key(const char *prefix, const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = prefix; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (int64_t)h;
}

/* Statement parameters, all sent as text. v[i] may point into num[i]: never copy one. */
typedef struct {
    const char *v[PG_MAX_PARAMS];
    char num[PG_MAX_PARAMS][24];
    int n;
} pg_args;

static void a_i64(pg_args *a, int64_t x)
{
    if (a->n >= PG_MAX_PARAMS)
        return;
    snprintf(a->num[a->n], sizeof a->num[0], "%lld", (long long)x);
    a->v[a->n] = a->num[a->n];
    a->n++;
}

static void a_text(pg_args *a, const char *t)
{
    if (a->n < PG_MAX_PARAMS)
        a->v[a->n++] = t ? t : "";
}

static void a_bool(pg_args *a, bool b)
{
    if (a->n < PG_MAX_PARAMS)
        a->v[a->n++] = b ? "true" : "false";
}

static int64_t col_i64(const PGresult *r, int row, int col)
{
    const char *v = PQgetvalue(r, row, col);
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    return errno || end == v ? 0 : (int64_t)x;
}

static int col_int(const PGresult *r, int row, int col)
{
    return (int)col_i64(r, row, col);
}

static bool col_bool(const PGresult *r, int row, int col)
{
    return PQgetvalue(r, row, col)[0] == 't';
}

static void col_text(const PGresult *r, int row, int col, char *dst, size_t len)
{
    odz_strlcpy(dst, PQgetvalue(r, row, col), len);
}

/* The first line of a libpq message, without "ERROR:  " noise or a trailing newline. */
static void one_line(char *dst, size_t len, const char *msg)
{
    if (!msg || !*msg)
        msg = "no message";
    static const char *const severities[] = {"ERROR:  ", "FATAL:  ", "PANIC:  "};
    for (size_t i = 0; i < sizeof severities / sizeof severities[0]; i++)
        if (!strncmp(msg, severities[i], strlen(severities[i])))
            msg += strlen(severities[i]);
    size_t n = strcspn(msg, "\n");
    while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\r'))
        n--;
    if (n >= len)
        n = len - 1;
    memcpy(dst, msg, n);
    dst[n] = '\0';
}

static bool conn_lost_state(const char *state)
{
    /* 08: connection exception; 57P01-57P05: admin/crash shutdown, cannot connect now,
     * idle session timeout */
    return state && (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3));
}

/* Map a failed result (or NULL) on `conn` to an ODZ_E* code with words in err:
 * a lost session ODZ_EIO "database connection lost: ...", a foreign key to an unknown row
 * ODZ_ENOTFOUND, other integrity or data errors ODZ_EINVAL, anything else ODZ_EIO. */
static int pq_err(PGconn *conn, const PGresult *r, const char *what, char *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char line[160];
    one_line(line, sizeof line, msg && *msg ? msg : PQerrorMessage(conn));
    if (PQstatus(conn) != CONNECTION_OK || conn_lost_state(state))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "database connection lost: %s: %s", what, line);
    if (state && !strcmp(state, "23503"))
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "%s: %s", what, line);
    if (state && (!strncmp(state, "23", 2) || !strncmp(state, "22", 2)))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "%s: %s", what, line);
    return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: %s", what, line);
}

/* Run statement q on c (preparing it on this session first if needed). 0 with *out set
 * (caller PQclears it; out may be NULL) or an error code. */
static int run(pg_conn *c, int q, const pg_args *a, PGresult **out, const char *what, char *err)
{
    char name[16];
    snprintf(name, sizeof name, "odz%d", q);
    if (out)
        *out = NULL;
    if (!c->prepared[q]) {
        PGresult *p = PQprepare(c->conn, name, sql_text[q], 0, NULL);
        if (PQresultStatus(p) != PGRES_COMMAND_OK) {
            int rc = pq_err(c->conn, p, what, err);
            PQclear(p);
            return rc;
        }
        PQclear(p);
        c->prepared[q] = true;
    }
    PGresult *r = PQexecPrepared(c->conn, name, a ? a->n : 0, a ? a->v : NULL, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = pq_err(c->conn, r, what, err);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

/* ---- connections ---- */

/* Notices (e.g. "relation already exists, skipping") are not errors; keep stderr quiet. */
static void quiet_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Connect with our defaults; fields of the URL override those before dbname, not the
 * encoding. */
static PGconn *pg_connect(const char *url)
{
    /* keepalives: a server gone silent (no RST) fails a request in about a minute */
    const char *const keys[] = {
        "connect_timeout",  "application_name", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "dbname",           "client_encoding", NULL};
    const char *const vals[] = {"10", "oddzy", "30", "10", "3", url, "UTF8", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c)
        PQsetNoticeProcessor(c, quiet_notice, NULL);
    return c;
}

/* The leadership session: its death must be seen quickly on both sides, so a standby takes
 * over within seconds. The server probes an idle session after 5 s and drops it after 3
 * unanswered probes 2 s apart (a holder whose host vanished: lock free in ~11 s; a killed
 * process closes its socket, which the server sees at once); our side gives up on unacked
 * data after 8 s, so a cut-off leader stops before a standby can take over. */
static PGconn *pg_connect_leader(const char *url)
{
    const char *const keys[] = {"connect_timeout",
                                "application_name",
                                "keepalives_idle",
                                "keepalives_interval",
                                "keepalives_count",
                                "tcp_user_timeout",
                                "options",
                                "dbname",
                                "client_encoding",
                                NULL};
    const char *const vals[] = {
        "5", "oddzy-leader", "5", "2", "3", "8000",
        "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3", url,
        "UTF8", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c)
        PQsetNoticeProcessor(c, quiet_notice, NULL);
    return c;
}

/* An idle session has nothing to say: anything readable is a server going away (a FATAL
 * message, then end of file). Read it without blocking; true when the session is gone. */
static bool conn_dead(PGconn *conn)
{
    if (PQstatus(conn) != CONNECTION_OK || PQsocket(conn) < 0)
        return true;
    for (int i = 0; i < 4; i++) {
        struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
            return false;
        if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
            return true;
    }
    return false;
}

/* Make c usable: connect on first use, reconnect a session that was lost. */
static int conn_ready(pg_store *s, pg_conn *c, char *err)
{
    if (c->conn && !conn_dead(c->conn))
        return 0;
    memset(c->prepared, 0, sizeof c->prepared);
    bool again = c->conn != NULL;
    if (again)
        PQreset(c->conn);
    else
        c->conn = pg_connect(s->url);
    if (!c->conn)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory connecting to the database");
    if (PQstatus(c->conn) != CONNECTION_OK) {
        char line[160];
        one_line(line, sizeof line, PQerrorMessage(c->conn));
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: %s",
                        again ? "database connection lost: cannot reconnect"
                              : "cannot connect to the database",
                        line);
    }
    return 0;
}

static void release(pg_store *s, pg_conn *c)
{
    /* an error path may leave a transaction open: never lend a session in one */
    if (c->conn && PQstatus(c->conn) == CONNECTION_OK &&
        PQtransactionStatus(c->conn) != PQTRANS_IDLE)
        run(c, Q_ROLLBACK, NULL, NULL, "rollback", NULL);
    pthread_mutex_lock(&s->lock);
    c->busy = false;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
}

/* Borrow a connection, waiting while all are lent; prefer one already connected. */
static int acquire(pg_store *s, pg_conn **out, char *err)
{
    pg_conn *c = NULL;
    pthread_mutex_lock(&s->lock);
    while (!c) {
        for (int i = 0; i < PG_POOL && !c; i++)
            if (!s->pool[i].busy && s->pool[i].conn)
                c = &s->pool[i];
        for (int i = 0; i < PG_POOL && !c; i++)
            if (!s->pool[i].busy)
                c = &s->pool[i];
        if (!c)
            pthread_cond_wait(&s->freed, &s->lock);
    }
    c->busy = true;
    pthread_mutex_unlock(&s->lock);
    int rc = conn_ready(s, c, err);
    if (rc) {
        release(s, c);
        return rc;
    }
    *out = c;
    return 0;
}

/* ---- transactions ---- */

/* BEGIN and take the store-wide writer lock (released at commit or rollback). */
static int begin_write(pg_conn *c, char *err)
{
    int rc = run(c, Q_BEGIN, NULL, NULL, "begin", err);
    if (rc == 0) {
        pg_args a = {0};
        a_i64(&a, lock_key("oddzy.write", ""));
        rc = run(c, Q_WRITE_LOCK, &a, NULL, "writer lock", err);
    }
    return rc;
}

static int finish_tx(pg_conn *c, int rc, char *err)
{
    if (rc == 0)
        rc = run(c, Q_COMMIT, NULL, NULL, "commit", err);
    if (rc != 0 && PQstatus(c->conn) == CONNECTION_OK &&
        PQtransactionStatus(c->conn) != PQTRANS_IDLE)
        run(c, Q_ROLLBACK, NULL, NULL, "rollback", NULL);
    return rc;
}

/* ---- rows ---- */

static void row_meeting(const PGresult *r, int i, void *out)
{
    odz_meeting *m = out;
    memset(m, 0, sizeof *m);
    m->id = col_i64(r, i, 0);
    col_text(r, i, 1, m->source_key, sizeof m->source_key);
    col_text(r, i, 2, m->name, sizeof m->name);
    col_text(r, i, 3, m->country, sizeof m->country);
    col_text(r, i, 4, m->region, sizeof m->region);
    m->type = (odz_race_type)col_int(r, i, 5);
    col_text(r, i, 6, m->date, sizeof m->date);
    m->first_start = col_i64(r, i, 7);
}

static void decode_json_col(const PGresult *res, int i, int col, odz_race *r, int results)
{
    json_t *j = json_loads(PQgetvalue(res, i, col), 0, NULL);
    if (results)
        odz_results_from_json(j, r, NULL, 0);
    else
        odz_dividends_from_json(j, r, NULL, 0);
    json_decref(j);
}

static void row_race(const PGresult *res, int i, void *out)
{
    odz_race *r = out;
    memset(r, 0, sizeof *r);
    r->id = col_i64(res, i, 0);
    col_text(res, i, 1, r->source_key, sizeof r->source_key);
    r->meeting_id = col_i64(res, i, 2);
    r->number = col_int(res, i, 3);
    col_text(res, i, 4, r->name, sizeof r->name);
    r->distance = col_int(res, i, 5);
    r->scheduled_start = col_i64(res, i, 6);
    r->actual_start = col_i64(res, i, 7);
    r->status = (odz_race_status)col_int(res, i, 8);
    decode_json_col(res, i, 9, r, 1);
    decode_json_col(res, i, 10, r, 0);
    r->last_update = col_i64(res, i, 11);
}

static void row_selection(const PGresult *r, int i, void *out)
{
    odz_selection *x = out;
    memset(x, 0, sizeof *x);
    x->id = col_i64(r, i, 0);
    col_text(r, i, 1, x->source_key, sizeof x->source_key);
    x->race_id = col_i64(r, i, 2);
    x->number = col_int(r, i, 3);
    x->barrier = col_int(r, i, 4);
    col_text(r, i, 5, x->name, sizeof x->name);
    col_text(r, i, 6, x->jockey, sizeof x->jockey);
    col_text(r, i, 7, x->trainer, sizeof x->trainer);
    x->weight = col_int(r, i, 8);
    x->claim = col_int(r, i, 9);
    x->scratched = col_bool(r, i, 10);
    x->late_scratched = col_bool(r, i, 11);
    x->scratch_time = col_i64(r, i, 12);
    x->deduction = col_int(r, i, 13);
    x->emergency = col_bool(r, i, 14);
    col_text(r, i, 15, x->silks, sizeof x->silks);
}

static void row_price(const PGresult *r, int i, void *out)
{
    odz_price *p = out;
    memset(p, 0, sizeof *p);
    p->selection_id = col_i64(r, i, 0);
    col_text(r, i, 1, p->provider, sizeof p->provider);
    p->market = (odz_market)col_int(r, i, 2);
    p->odds = col_int(r, i, 3);
    p->ts = col_i64(r, i, 4);
}

typedef void (*row_fn)(const PGresult *r, int i, void *out);

/* One row by id (key NULL) or by source key; ODZ_ENOTFOUND when there is none. */
static int get_one(pg_conn *c, int q, int64_t id, const char *key, void *out, row_fn row,
                   const char *what, char *err)
{
    pg_args a = {0};
    if (key)
        a_text(&a, key);
    else
        a_i64(&a, id);
    PGresult *r;
    int rc = run(c, q, &a, &r, what, err);
    if (rc)
        return rc;
    if (PQntuples(r) > 0)
        row(r, 0, out);
    else if (key)
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown %s '%s'", what, key);
    else
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown %s %lld", what, (long long)id);
    PQclear(r);
    return rc;
}

/* Run a list query; `push` appends row i to the output array. */
static int list_rows(pg_conn *c, int q, const pg_args *a, void *out,
                     int (*push)(void *, const PGresult *, int), const char *what, char *err)
{
    PGresult *r;
    int rc = run(c, q, a, &r, what, err);
    if (rc)
        return rc;
    for (int i = 0, n = PQntuples(r); i < n && rc == 0; i++)
        if (push(out, r, i))
            rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory listing %s", what);
    PQclear(r);
    return rc;
}

static int push_meeting(void *a, const PGresult *r, int i)
{
    odz_meeting m;
    row_meeting(r, i, &m);
    return odz_meetings_push(a, &m);
}

static int push_race(void *a, const PGresult *r, int i)
{
    odz_race *x = malloc(sizeof *x);
    if (!x)
        return ODZ_ENOMEM;
    row_race(r, i, x);
    int rc = odz_races_push(a, x);
    free(x);
    return rc;
}

static int push_selection(void *a, const PGresult *r, int i)
{
    odz_selection x;
    row_selection(r, i, &x);
    return odz_selections_push(a, &x);
}

static int push_price(void *a, const PGresult *r, int i)
{
    odz_price p;
    row_price(r, i, &p);
    return odz_prices_push(a, &p);
}

/* ---- meetings ---- */


/* name, country, region, race_type, date, first_start */
static void args_meeting(pg_args *a, const odz_meeting *m)
{
    a_text(a, m->name);
    a_text(a, m->country);
    a_text(a, m->region);
    a_i64(a, m->type);
    a_text(a, m->date);
    a_i64(a, m->first_start);
}

static int insert_meeting(pg_conn *c, odz_meeting *m, char *err)
{
    int rc = odz_store__validate_meeting(m, err);
    if (rc)
        return rc;
    pg_args a = {0};
    a_text(&a, m->source_key);
    args_meeting(&a, m);
    PGresult *r;
    rc = run(c, Q_MEET_INSERT, &a, &r, "add meeting", err);
    if (rc)
        return rc;
    m->id = col_i64(r, 0, 0);
    PQclear(r);
    return 0;
}

static int pg_add_meeting(odz_store *st_, odz_meeting *m, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    int rc = odz_store__validate_meeting(m, err);
    if (rc || (rc = acquire(s, &c, err)))
        return rc;
    rc = insert_meeting(c, m, err);
    release(s, c);
    return rc;
}

static int pg_get_meeting(odz_store *st_, int64_t id, odz_meeting *out, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    rc = get_one(c, Q_MEET_GET, id, NULL, out, row_meeting, "meeting", err);
    release(s, c);
    return rc;
}


static int list_range(pg_store *s, int q, const char *from, const char *to, void *out,
                      int (*push)(void *, const PGresult *, int), const char *what, char *err)
{
    pg_conn *c;
    int rc = odz_store__check_range(from, to, err);
    if (rc || (rc = acquire(s, &c, err)))
        return rc;
    pg_args a = {0};
    a_text(&a, from);
    a_text(&a, to);
    rc = list_rows(c, q, &a, out, push, what, err);
    release(s, c);
    return rc;
}

static int pg_list_meetings(odz_store *st_, const char *from, const char *to, odz_meetings *out,
                            char *err)
{
    return list_range(PG(st_), Q_MEET_RANGE, from, to, out, push_meeting, "meetings", err);
}

static int pg_list_races(odz_store *st_, const char *from, const char *to, odz_races *out,
                         char *err)
{
    return list_range(PG(st_), Q_RACE_RANGE, from, to, out, push_race, "races", err);
}

static int pg_list_meeting_races(odz_store *st_, int64_t meeting_id, odz_races *out, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    odz_meeting m;
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    rc = get_one(c, Q_MEET_GET, meeting_id, NULL, &m, row_meeting, "meeting", err);
    if (rc == 0) {
        pg_args a = {0};
        a_i64(&a, meeting_id);
        rc = list_rows(c, Q_RACE_OF_MEETING, &a, out, push_race, "races", err);
    }
    release(s, c);
    return rc;
}

/* ---- races ---- */



static int update_first_start(pg_conn *c, int64_t meeting_id, char *err)
{
    pg_args a = {0};
    a_i64(&a, meeting_id);
    return run(c, Q_MEET_FIRST_START, &a, NULL, "meeting first start", err);
}

static int insert_race(pg_conn *c, odz_race *r, int64_t now, char *err)
{
    int rc = odz_store__validate_race(r, err);
    if (rc)
        return rc;
    char *res, *div;
    if (odz_store__race_json(r, &res, &div))
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    pg_args a = {0};
    a_text(&a, r->source_key);
    a_i64(&a, r->meeting_id);
    a_i64(&a, r->number);
    a_text(&a, r->name);
    a_i64(&a, r->distance);
    a_i64(&a, r->scheduled_start);
    a_i64(&a, r->actual_start);
    a_i64(&a, r->status);
    a_text(&a, res);
    a_text(&a, div);
    a_i64(&a, now);
    PGresult *q;
    rc = run(c, Q_RACE_INSERT, &a, &q, "add race", err);
    free(res);
    free(div);
    if (rc == ODZ_ENOTFOUND)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown meeting %lld",
                        (long long)r->meeting_id);
    if (rc)
        return rc;
    r->id = col_i64(q, 0, 0);
    PQclear(q);
    r->last_update = now;
    return update_first_start(c, r->meeting_id, err);
}

static int pg_add_race(odz_store *st_, odz_race *r, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    int rc = odz_store__validate_race(r, err);
    if (rc || (rc = acquire(s, &c, err)))
        return rc;
    rc = begin_write(c, err);
    if (rc == 0)
        rc = insert_race(c, r, r->last_update, err);
    rc = finish_tx(c, rc, err);
    release(s, c);
    return rc;
}


/* Write `r` over the stored race `old` (same id) when anything changed. */
static int write_race(pg_conn *c, const odz_race *old, const odz_race *r, int64_t now,
                      odz_changes *ch, char *err)
{
    if (odz_store__same_race(old, r))
        return 0;
    char *res, *div;
    if (odz_store__race_json(r, &res, &div))
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    pg_args a = {0};
    a_i64(&a, old->id);
    a_i64(&a, r->number);
    a_text(&a, r->name);
    a_i64(&a, r->distance);
    a_i64(&a, r->scheduled_start);
    a_i64(&a, r->actual_start);
    a_i64(&a, r->status);
    a_text(&a, res);
    a_text(&a, div);
    a_i64(&a, now);
    int rc = run(c, Q_RACE_UPDATE, &a, NULL, "update race", err);
    free(res);
    free(div);
    if (rc)
        return rc;
    if (old->scheduled_start != r->scheduled_start &&
        (rc = update_first_start(c, old->meeting_id, err)))
        return rc;
    if (ch) {
        ch->races_updated++;
        if (odz_changes_add_race(ch, old->id))
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    }
    return 0;
}

/* ---- selections ---- */


/* Parameters $3..$15 of the selection insert and update. */
static void args_selection(pg_args *a, const odz_selection *x)
{
    a_i64(a, x->number);
    a_i64(a, x->barrier);
    a_text(a, x->name);
    a_text(a, x->jockey);
    a_text(a, x->trainer);
    a_i64(a, x->weight);
    a_i64(a, x->claim);
    a_bool(a, x->scratched);
    a_bool(a, x->late_scratched);
    a_i64(a, x->scratch_time);
    a_i64(a, x->deduction);
    a_bool(a, x->emergency);
    a_text(a, x->silks);
}


/* Insert or update one selection of race `race_id` by source key. */
static int upsert_selection(pg_conn *c, int64_t race_id, const odz_selection *in, odz_changes *ch,
                            char *err)
{
    int rc = odz_store__validate_selection(in, err);
    if (rc)
        return rc;
    odz_selection old;
    rc = get_one(c, Q_SEL_BY_KEY, 0, in->source_key, &old, row_selection, "selection", err);
    if (rc == ODZ_ENOTFOUND) {
        pg_args a = {0};
        a_text(&a, in->source_key);
        a_i64(&a, race_id);
        args_selection(&a, in);
        if ((rc = run(c, Q_SEL_INSERT, &a, NULL, "add selection", err)))
            return rc;
        if (ch) {
            ch->selections_added++;
            ch->scratchings += in->scratched;
            if (odz_changes_add_race(ch, race_id))
                return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        }
        return 0;
    }
    if (rc)
        return rc;
    if (old.race_id != race_id)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "selection '%s' belongs to another race",
                        in->source_key);
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
    pg_args a = {0};
    a_i64(&a, old.id);
    a_i64(&a, race_id);
    args_selection(&a, &merged);
    if ((rc = run(c, Q_SEL_UPDATE, &a, NULL, "update selection", err)))
        return rc;
    if (ch) {
        ch->selections_updated++;
        ch->scratchings += merged.scratched && !old.scratched;
        if (odz_changes_add_race(ch, race_id))
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    }
    return 0;
}

static int pg_update_race(odz_store *st_, const odz_race *r, const odz_selections *sels,
                          int64_t now, odz_changes *ch, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    int rc = odz_store__validate_race(r, err);
    if (rc)
        return rc;
    odz_race *old = malloc(sizeof *old);
    if (!old)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    if ((rc = acquire(s, &c, err)))
        goto out;
    rc = begin_write(c, err);
    if (rc == 0)
        rc = get_one(c, Q_RACE_GET, r->id, NULL, old, row_race, "race", err);
    if (rc == 0)
        rc = odz_status_transition(old->status, r->status, err, ODZ_ERRLEN);
    if (rc == 0)
        rc = write_race(c, old, r, now, ch, err);
    for (size_t i = 0; rc == 0 && sels && i < sels->n; i++)
        rc = upsert_selection(c, old->id, &sels->v[i], ch, err);
    rc = finish_tx(c, rc, err);
    release(s, c);
out:
    free(old);
    return rc;
}

static int pg_get_race(odz_store *st_, int64_t id, odz_race *out, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    rc = get_one(c, Q_RACE_GET, id, NULL, out, row_race, "race", err);
    release(s, c);
    return rc;
}

static int pg_next_race(odz_store *st_, int64_t meeting_id, int64_t now, odz_race *out, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    odz_meeting m;
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    rc = get_one(c, Q_MEET_GET, meeting_id, NULL, &m, row_meeting, "meeting", err);
    if (rc == 0) {
        pg_args a = {0};
        a_i64(&a, meeting_id);
        a_i64(&a, now);
        PGresult *r;
        rc = run(c, Q_RACE_NEXT, &a, &r, "next race", err);
        if (rc == 0) {
            if (PQntuples(r) > 0)
                row_race(r, 0, out);
            else
                rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "meeting %lld has no race to come",
                              (long long)meeting_id);
            PQclear(r);
        }
    }
    release(s, c);
    return rc;
}

static int pg_next_races(odz_store *st_, int64_t now, int limit, int type, odz_races *out,
                         char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    if (limit < 1 || limit > 500)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "limit must be 1 to 500");
    if (type >= ODZ_RACE_TYPES)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown race type");
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    pg_args a = {0};
    a_i64(&a, now);
    a_i64(&a, limit);
    if (type >= 0)
        a_i64(&a, type);
    rc = list_rows(c, type < 0 ? Q_RACES_NEXT : Q_RACES_NEXT_TYPE, &a, out, push_race, "next races",
                   err);
    release(s, c);
    return rc;
}

static int pg_list_selections(odz_store *st_, int64_t race_id, odz_selections *out, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    int rc = acquire(s, &c, err);
    if (rc == 0) {
        rc = get_one(c, Q_RACE_GET, race_id, NULL, r, row_race, "race", err);
        if (rc == 0) {
            pg_args a = {0};
            a_i64(&a, race_id);
            rc = list_rows(c, Q_SEL_OF_RACE, &a, out, push_selection, "selections", err);
        }
        release(s, c);
    }
    free(r);
    return rc;
}

/* ---- prices ---- */

/* Append unless it repeats the latest point of its (selection, provider, market).
 * `sel` is the stored selection (for the change record). */
static int insert_price(pg_conn *c, const odz_price *p, const odz_selection *sel, odz_changes *ch,
                        char *err)
{
    if (p->odds < 100 || p->odds > 10000000)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "odds %d out of range", p->odds);
    if ((unsigned)p->market >= ODZ_MARKETS)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown market");
    const char *prov = p->provider[0] ? p->provider : ODZ_PROVIDER_OURS;
    pg_args a = {0};
    a_i64(&a, p->selection_id);
    a_text(&a, prov);
    a_i64(&a, p->market);
    PGresult *r;
    int rc = run(c, Q_PRICE_LATEST_ONE, &a, &r, "latest price", err);
    if (rc)
        return rc;
    int found = PQntuples(r) > 0;
    int prev = found ? col_int(r, 0, 0) : 0;
    int same = found && prev == p->odds && col_i64(r, 0, 1) <= p->ts;
    /* a point older than the latest (a source's history) is stored but is not a change */
    int older = found && p->ts < col_i64(r, 0, 1);
    PQclear(r);
    if (same)
        return 0;
    pg_args b = {0};
    a_i64(&b, p->selection_id);
    a_text(&b, prov);
    a_i64(&b, p->market);
    a_i64(&b, p->odds);
    a_i64(&b, p->ts);
    rc = run(c, Q_PRICE_INSERT, &b, &r, "append price", err);
    if (rc == ODZ_ENOTFOUND)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown selection %lld",
                        (long long)p->selection_id);
    if (rc)
        return rc;
    int added = !strcmp(PQcmdTuples(r), "1");
    PQclear(r);
    if (ch && added) {
        ch->prices_added++;
        if (older)
            return 0;
        odz_price_change pc = {*p, prev, sel->race_id, sel->number};
        odz_strlcpy(pc.price.provider, prov, sizeof pc.price.provider);
        if (odz_changes_add_price(ch, &pc))
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    }
    return 0;
}

static int pg_append_price(odz_store *st_, const odz_price *p, odz_changes *ch, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    odz_selection x;
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    rc = begin_write(c, err);
    if (rc == 0)
        rc = get_one(c, Q_SEL_GET, p->selection_id, NULL, &x, row_selection, "selection", err);
    if (rc == 0)
        rc = insert_price(c, p, &x, ch, err);
    rc = finish_tx(c, rc, err);
    release(s, c);
    return rc;
}

static int pg_latest_prices(odz_store *st_, int64_t race_id, odz_prices *out, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    pg_args a = {0};
    a_i64(&a, race_id);
    rc = list_rows(c, Q_PRICE_LATEST_RACE, &a, out, push_price, "prices", err);
    release(s, c);
    return rc;
}

static int pg_price_history(odz_store *st_, int64_t selection_id, int market, odz_prices *out,
                            char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    odz_selection x;
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    rc = get_one(c, Q_SEL_GET, selection_id, NULL, &x, row_selection, "selection", err);
    if (rc == 0) {
        pg_args a = {0};
        a_i64(&a, selection_id);
        if (market >= 0)
            a_i64(&a, market);
        rc = list_rows(c, market < 0 ? Q_PRICE_HISTORY_ALL : Q_PRICE_HISTORY, &a, out, push_price,
                       "price history", err);
    }
    release(s, c);
    return rc;
}

static int pg_scratch(odz_store *st_, int64_t selection_id, int64_t when, int deduction, bool late,
                      int64_t now, odz_changes *ch, char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    odz_selection x;
    int rc = acquire(s, &c, err);
    if (rc)
        return rc;
    rc = begin_write(c, err);
    if (rc == 0)
        rc = get_one(c, Q_SEL_GET, selection_id, NULL, &x, row_selection, "selection", err);
    if (rc == 0 && !x.scratched) {
        pg_args a = {0};
        a_i64(&a, selection_id);
        a_i64(&a, when);
        a_bool(&a, late);
        a_i64(&a, deduction);
        rc = run(c, Q_SEL_SCRATCH, &a, NULL, "scratch", err);
        if (rc == 0 && ch) {
            ch->scratchings++;
            ch->selections_updated++;
            if (odz_changes_add_race(ch, x.race_id))
                rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        }
    }
    (void)now;
    rc = finish_tx(c, rc, err);
    release(s, c);
    return rc;
}

/* ---- batch upsert ---- */

static int upsert_meeting(pg_conn *c, const odz_meeting *in, odz_changes *ch, char *err)
{
    int rc = odz_store__validate_meeting(in, err);
    if (rc)
        return rc;
    odz_meeting old;
    rc = get_one(c, Q_MEET_BY_KEY, 0, in->source_key, &old, row_meeting, "meeting", err);
    if (rc == ODZ_ENOTFOUND) {
        odz_meeting m = *in;
        rc = insert_meeting(c, &m, err);
        if (rc == 0 && ch)
            ch->meetings_added++;
        return rc;
    }
    if (rc)
        return rc;
    /* first_start is derived from the races; compare the rest */
    if (!strcmp(old.name, in->name) && !strcmp(old.country, in->country) &&
        !strcmp(old.region, in->region) && old.type == in->type && !strcmp(old.date, in->date))
        return 0;
    odz_meeting m = *in;
    m.first_start = old.first_start;
    pg_args a = {0};
    a_i64(&a, old.id);
    args_meeting(&a, &m);
    if ((rc = run(c, Q_MEET_UPDATE, &a, NULL, "update meeting", err)))
        return rc;
    if (ch)
        ch->meetings_updated++;
    return 0;
}

static int upsert_race(pg_conn *c, const odz_batch_race *br, int64_t now, odz_changes *ch,
                       odz_race *old, char *err)
{
    odz_meeting m;
    int rc = get_one(c, Q_MEET_BY_KEY, 0, br->meeting_key, &m, row_meeting, "meeting", err);
    if (rc)
        return rc;
    rc = get_one(c, Q_RACE_BY_KEY, 0, br->race.source_key, old, row_race, "race", err);
    if (rc == ODZ_ENOTFOUND) {
        odz_race *r = malloc(sizeof *r);
        if (!r)
            return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        *r = br->race;
        r->meeting_id = m.id;
        rc = insert_race(c, r, now, err);
        if (rc == 0 && ch) {
            ch->races_added++;
            if (odz_changes_add_race(ch, r->id))
                rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        }
        free(r);
        return rc;
    }
    if (rc)
        return rc;
    if (old->meeting_id != m.id)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "race '%s' belongs to another meeting",
                        br->race.source_key);
    if ((rc = odz_store__validate_race(&br->race, err)))
        return rc;
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    *r = br->race;
    r->id = old->id;
    r->meeting_id = m.id;
    if (odz_status_transition(old->status, r->status, NULL, 0)) {
        r->status = old->status; /* source glitch: keep what we know */
        if (ch)
            ch->status_refused++;
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
    rc = write_race(c, old, r, now, ch, err);
    free(r);
    return rc;
}

static int pg_upsert_batch(odz_store *st_, const odz_batch *b, int64_t now, odz_changes *ch,
                           char *err)
{
    pg_store *s = PG(st_);
    pg_conn *c;
    odz_race *scratch = malloc(sizeof *scratch);
    if (!scratch)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    int rc = acquire(s, &c, err);
    if (rc)
        goto out;
    rc = begin_write(c, err);
    for (size_t i = 0; rc == 0 && i < b->n_meetings; i++)
        rc = upsert_meeting(c, &b->meetings[i], ch, err);
    for (size_t i = 0; rc == 0 && i < b->n_races; i++)
        rc = upsert_race(c, &b->races[i], now, ch, scratch, err);
    for (size_t i = 0; rc == 0 && i < b->n_selections; i++) {
        rc =
            get_one(c, Q_RACE_BY_KEY, 0, b->selections[i].race_key, scratch, row_race, "race", err);
        if (rc == 0)
            rc = upsert_selection(c, scratch->id, &b->selections[i].sel, ch, err);
    }
    for (size_t i = 0; rc == 0 && i < b->n_prices; i++) {
        odz_selection x;
        odz_price p = b->prices[i].price;
        if (p.odds == 0)
            continue;
        rc = get_one(c, Q_SEL_BY_KEY, 0, b->prices[i].selection_key, &x, row_selection, "selection",
                     err);
        if (rc == 0) {
            p.selection_id = x.id;
            if (!p.ts)
                p.ts = now;
            rc = insert_price(c, &p, &x, ch, err);
        }
    }
    rc = finish_tx(c, rc, err);
    release(s, c);
out:
    free(scratch);
    return rc;
}

/* ---- leadership ---- */

static pg_lead *find_lead(pg_store *s, const char *name)
{
    for (size_t i = 0; i < s->n_held; i++)
        if (!strcmp(s->held[i].name, name))
            return &s->held[i];
    return NULL;
}

static void drop_lead(pg_store *s, pg_lead *l)
{
    *l = s->held[--s->n_held];
}

/* The leader session died or is being replaced: every lock it held is gone. */
static void leads_lost(pg_store *s)
{
    for (size_t i = 0; i < s->n_held; i++)
        s->held[i].lost = true;
}

/* One parameterized statement on the leader session; the result on success (caller frees). */
static int leader_exec(pg_store *s, const char *sql, int64_t key, bool with_key, PGresult **out,
                       const char *what, char *err)
{
    pg_args a = {0};
    if (with_key)
        a_i64(&a, key);
    PGresult *r = PQexecParams(s->leader, sql, a.n, NULL, a.v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = pq_err(s->leader, r, what, err);
        PQclear(r);
        if (PQstatus(s->leader) != CONNECTION_OK)
            leads_lost(s);
        return rc;
    }
    *out = r;
    return 0;
}

static int pg_leader_try(odz_store *st_, const char *name, bool *is_leader, char *err)
{
    pg_store *s = PG(st_);
    *is_leader = false;
    if (!name || !*name || strlen(name) >= ODZ_KEY_MAX)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "leadership name is empty or too long");
    int rc = 0;
    PGresult *r = NULL;
    pthread_mutex_lock(&s->leader_lock);
    pg_lead *l = find_lead(s, name);
    if (l && !l->lost) {
        /* held: the session keeps the lock as long as it lives */
        if (!conn_dead(s->leader))
            rc = leader_exec(s, "SELECT 1", 0, false, &r, "leadership check", err);
        else {
            leads_lost(s);
            rc = odz_fail(err, ODZ_ERRLEN, ODZ_EIO,
                          "database connection lost: leadership '%s' ended with its session", name);
        }
        /* a failure on a session still alive leaves the lock held: keep the entry */
        if (rc == 0)
            *is_leader = true;
        else if (l->lost)
            drop_lead(s, l);
        goto out;
    }
    if (l) {
        drop_lead(s, l);
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EIO,
                      "database connection lost: leadership '%s' ended with its session", name);
        goto out;
    }
    if (s->n_held == PG_MAX_LEADER) {
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EFULL, "at most %d leadership names", PG_MAX_LEADER);
        goto out;
    }
    if (!s->leader || conn_dead(s->leader)) {
        leads_lost(s);
        bool again = s->leader != NULL;
        if (again)
            PQreset(s->leader);
        else
            s->leader = pg_connect_leader(s->url);
        if (!s->leader) {
            rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
            goto out;
        }
        if (PQstatus(s->leader) != CONNECTION_OK) {
            char line[160];
            one_line(line, sizeof line, PQerrorMessage(s->leader));
            rc = odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: %s",
                          again ? "database connection lost: cannot reconnect"
                                : "cannot connect to the database",
                          line);
            goto out;
        }
    }
    rc = leader_exec(s, "SELECT pg_try_advisory_lock($1)", lock_key("oddzy.leader.", name), true,
                     &r, "leadership", err);
    if (rc == 0 && PQntuples(r) == 1 && col_bool(r, 0, 0)) {
        pg_lead *n = &s->held[s->n_held++];
        odz_strlcpy(n->name, name, sizeof n->name);
        n->lost = false;
        *is_leader = true;
    }
out:
    PQclear(r);
    pthread_mutex_unlock(&s->leader_lock);
    return rc;
}

static int pg_leader_release(odz_store *st_, const char *name, char *err)
{
    pg_store *s = PG(st_);
    if (!name)
        return 0;
    int rc = 0;
    PGresult *r = NULL;
    pthread_mutex_lock(&s->leader_lock);
    pg_lead *l = find_lead(s, name);
    if (l) {
        if (!l->lost && s->leader && PQstatus(s->leader) == CONNECTION_OK) {
            rc = leader_exec(s, "SELECT pg_advisory_unlock($1)", lock_key("oddzy.leader.", name),
                             true, &r, "release leadership", err);
            /* a lost session has already dropped the lock: that is released too */
            if (rc && PQstatus(s->leader) != CONNECTION_OK)
                rc = 0;
        }
        drop_lead(s, l);
    }
    PQclear(r);
    pthread_mutex_unlock(&s->leader_lock);
    return rc;
}

/* ---- open, migrate, close ---- */

static int pg_schema_version(odz_store *st_)
{
    return PG(st_)->version;
}

static void pg_close(odz_store *st_)
{
    pg_store *s = PG(st_);
    if (!s)
        return;
    for (int i = 0; i < PG_POOL; i++)
        if (s->pool[i].conn)
            PQfinish(s->pool[i].conn);
    if (s->leader)
        PQfinish(s->leader); /* ends the session: its advisory locks go with it */
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->leader_lock);
    free(s->url);
    free(s);
}

/* Fixed SQL of ours without values (transaction control, DDL): the simple protocol, which
 * also runs a migration's several statements at once. */
static int exec_fixed(PGconn *conn, const char *sql, const char *what, char *err)
{
    PGresult *r = PQexec(conn, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK
                 ? 0
                 : pq_err(conn, r, what, err);
    PQclear(r);
    return rc;
}

static int exec_params(PGconn *conn, const char *sql, const pg_args *a, PGresult **out,
                       const char *what, char *err)
{
    PGresult *r = PQexecParams(conn, sql, a ? a->n : 0, NULL, a ? a->v : NULL, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = pq_err(conn, r, what, err);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

/* All pending migrations in one transaction under an advisory lock: a second process
 * opening the database at the same time waits, then finds the schema current. */
static int migrate(pg_store *s, PGconn *conn, char *err)
{
    int rc = exec_fixed(conn, "BEGIN", "begin migration", err);
    if (rc)
        return rc;
    pg_args a = {0};
    a_i64(&a, lock_key("oddzy.migrate", ""));
    PGresult *r = NULL;
    rc = exec_params(conn, "SELECT pg_advisory_xact_lock($1)", &a, NULL, "migration lock", err);
    if (rc == 0)
        rc = exec_fixed(conn,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version INTEGER PRIMARY KEY,"
                        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                        "schema_migrations", err);
    if (rc == 0)
        rc = exec_params(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL, &r,
                         "read schema version", err);
    int v = 0;
    if (rc == 0) {
        v = col_int(r, 0, 0);
        PQclear(r);
        if (v > N_MIGRATIONS)
            rc = odz_fail(err, ODZ_ERRLEN, ODZ_EIO,
                          "database schema version %d is newer than this build (%d)", v,
                          N_MIGRATIONS);
    }
    for (; rc == 0 && v < N_MIGRATIONS; v++) {
        char what[32];
        snprintf(what, sizeof what, "migration %d", v + 1);
        rc = exec_fixed(conn, migrations[v], what, err);
        if (rc == 0) {
            pg_args b = {0};
            a_i64(&b, v + 1);
            rc = exec_params(conn, "INSERT INTO schema_migrations (version) VALUES ($1)", &b, NULL,
                             "record migration", err);
        }
    }
    if (rc == 0)
        rc = exec_fixed(conn, "COMMIT", "commit migration", err);
    if (rc) {
        if (PQstatus(conn) == CONNECTION_OK)
            exec_fixed(conn, "ROLLBACK", "rollback", NULL);
        return rc;
    }
    s->version = v;
    return 0;
}

static const odz_store_ops postgres_ops = {
    .name = "postgres",
    .close = pg_close,
    .list_meetings = pg_list_meetings,
    .list_races = pg_list_races,
    .list_meeting_races = pg_list_meeting_races,
    .add_meeting = pg_add_meeting,
    .get_meeting = pg_get_meeting,
    .add_race = pg_add_race,
    .update_race = pg_update_race,
    .next_race = pg_next_race,
    .next_races = pg_next_races,
    .get_race = pg_get_race,
    .list_selections = pg_list_selections,
    .upsert_batch = pg_upsert_batch,
    .append_price = pg_append_price,
    .latest_prices = pg_latest_prices,
    .price_history = pg_price_history,
    .scratch = pg_scratch,
    .schema_version = pg_schema_version,
    .leader_try = pg_leader_try,
    .leader_release = pg_leader_release,
};

odz_store *odz_store_postgres_open(const char *url, char *err)
{
    if (!url || !*url || strlen(url) > PG_URL_MAX) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "database URL is empty or too long");
        return NULL;
    }
    pg_store *s = calloc(1, sizeof *s);
    if (!s || !(s->url = strdup(url))) {
        free(s);
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    s->base.ops = &postgres_ops;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->freed, NULL);
    pthread_mutex_init(&s->leader_lock, NULL);
    /* the first pool connection runs the migrations, then serves like the others */
    if (conn_ready(s, &s->pool[0], err) || migrate(s, s->pool[0].conn, err)) {
        pg_close(&s->base);
        return NULL;
    }
    return &s->base;
}

/* The bare insert loop bench/ingest.sh compares `oddzy replay` with: the rows oddzy wrote to
 * prices and exchange_books, read back, deleted, and inserted again with prepared statements
 * (oddzy's own SQL), one transaction per publish second as oddzy's replay sends them.
 *
 *   ingest_bare --db PATH.db|postgres://...
 *
 * Per transaction (one ts second of the prices rows): every price row of that second, then one
 * book upsert per (selection, provider) priced in that second, with the book's final values
 * (oddzy upserts a changed runner's book in the same batch as its price). Prints JSON:
 * rows, book_upserts, transactions, wall_s, cpu_s (user+sys of this process), after checking
 * that the tables hold as many rows as before. A benchmark tool, not part of oddzy. */
#define _POSIX_C_SOURCE 200809L
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "store/driver.h"

/* oddzy's own column list and book upsert (the store's driver SQL) */
#define BOOK_NCOLS 18
#define BOOK_COLS ODZ_BOOK_COLS
#define BOOK_UPSERT ODZ_BOOK_UPSERT

typedef struct {
    int64_t sel, market, odds, ts;
    char provider[32];
} price_row;

typedef struct {
    char v[BOOK_NCOLS][32]; /* as text: both libraries take text parameters */
    int64_t sel;            /* v[0] as a number, for the lookups */
} book_row;

static price_row *prices;
static size_t n_prices, cap_prices;
static book_row *books;
static size_t n_books, cap_books;

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "ingest_bare: %s: %s\n", what, msg ? msg : "?");
    exit(1);
}

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : 4096;
    void *q = realloc(p, *cap * size);
    if (!q)
        die("memory", "out of memory");
    return q;
}

static void add_price(const char *sel, const char *prov, const char *market, const char *odds,
                      const char *ts)
{
    prices = grow(prices, &cap_prices, n_prices, sizeof *prices);
    price_row *p = &prices[n_prices++];
    p->sel = strtoll(sel, NULL, 10);
    p->market = strtoll(market, NULL, 10);
    p->odds = strtoll(odds, NULL, 10);
    p->ts = strtoll(ts, NULL, 10);
    snprintf(p->provider, sizeof p->provider, "%s", prov);
}

static void add_book(const char *const *vals)
{
    books = grow(books, &cap_books, n_books, sizeof *books);
    book_row *b = &books[n_books++];
    for (int i = 0; i < BOOK_NCOLS; i++)
        snprintf(b->v[i], sizeof b->v[i], "%s", vals[i] ? vals[i] : "0");
    b->sel = strtoll(b->v[0], NULL, 10);
}

static const book_row *book_of(int64_t sel, const char *prov)
{
    for (size_t i = 0; i < n_books; i++) /* before the clock starts: a scan is fine */
        if (books[i].sel == sel && !strcmp(books[i].v[1], prov))
            return &books[i];
    return NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

/* The (selection, provider) books to upsert after each transaction's prices, found before
 * the clock starts: index into books[], -1 for none; one list per price row (first row of a
 * pair in its second only). */
static long *book_for;

/* the inserts' wall and CPU time: from the first BEGIN to the last COMMIT */
static double t_wall, t_cpu, w0, c0;

static void clock_start(void)
{
    w0 = now_s();
    c0 = cpu_s();
}

static void clock_stop(void)
{
    t_wall = now_s() - w0;
    t_cpu = cpu_s() - c0;
}

static void plan_books(void)
{
    book_for = malloc((n_prices ? n_prices : 1) * sizeof *book_for);
    if (!book_for)
        die("memory", "out of memory");
    for (size_t i = 0; i < n_prices; i++) {
        book_for[i] = -1;
        const book_row *b = book_of(prices[i].sel, prices[i].provider);
        if (!b)
            continue;
        int seen = 0;
        for (size_t j = i; j-- > 0 && prices[j].ts == prices[i].ts;)
            if (prices[j].sel == prices[i].sel && !strcmp(prices[j].provider, prices[i].provider))
                seen = 1;
        if (!seen)
            book_for[i] = (long)(b - books);
    }
}

/* ---- SQLite ---- */

static void sq_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        die(sql, msg);
}

static int64_t sq_count(sqlite3 *db, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        die(sql, sqlite3_errmsg(db));
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void run_sqlite(const char *path, size_t *tx, size_t *upserts)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die(path, sqlite3_errmsg(db));
    sq_exec(db, "PRAGMA journal_mode = WAL"); /* oddzy's settings (src/store/sqlite.c) */
    sq_exec(db, "PRAGMA foreign_keys = ON");
    sq_exec(db, "PRAGMA synchronous = NORMAL");
    sq_exec(db, "PRAGMA cache_size = -32768");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT selection_id, provider, market, odds, ts FROM prices "
                               "ORDER BY ts, id", -1, &st, NULL) != SQLITE_OK)
        die("read prices", sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW)
        add_price((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                  (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
                  (const char *)sqlite3_column_text(st, 4));
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT " BOOK_COLS " FROM exchange_books", -1, &st, NULL) !=
        SQLITE_OK)
        die("read books", sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *vals[BOOK_NCOLS];
        for (int i = 0; i < BOOK_NCOLS; i++)
            vals[i] = (const char *)sqlite3_column_text(st, i);
        add_book(vals);
    }
    sqlite3_finalize(st);
    plan_books();
    sq_exec(db, "BEGIN; DELETE FROM prices; DELETE FROM exchange_books; COMMIT");

    sqlite3_stmt *ins, *bk;
    if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO prices (selection_id, provider, market, "
                               "odds, ts) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO exchange_books (" BOOK_COLS ") VALUES (?1, ?2, ?3, "
                               "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
                               BOOK_UPSERT, -1, &bk, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(db));
    clock_start();
    for (size_t i = 0; i < n_prices;) {
        size_t end = i;
        while (end < n_prices && prices[end].ts == prices[i].ts)
            end++;
        sq_exec(db, "BEGIN");
        for (size_t k = i; k < end; k++) {
            sqlite3_bind_int64(ins, 1, prices[k].sel);
            sqlite3_bind_text(ins, 2, prices[k].provider, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 3, prices[k].market);
            sqlite3_bind_int64(ins, 4, prices[k].odds);
            sqlite3_bind_int64(ins, 5, prices[k].ts);
            if (sqlite3_step(ins) != SQLITE_DONE)
                die("insert price", sqlite3_errmsg(db));
            sqlite3_reset(ins);
        }
        for (size_t k = i; k < end; k++) {
            if (book_for[k] < 0)
                continue;
            const book_row *b = &books[book_for[k]];
            for (int c = 0; c < BOOK_NCOLS; c++)
                if (c == 1)
                    sqlite3_bind_text(bk, c + 1, b->v[c], -1, SQLITE_STATIC);
                else
                    sqlite3_bind_int64(bk, c + 1, strtoll(b->v[c], NULL, 10));
            if (sqlite3_step(bk) != SQLITE_DONE)
                die("upsert book", sqlite3_errmsg(db));
            sqlite3_reset(bk);
            (*upserts)++;
        }
        sq_exec(db, "COMMIT");
        (*tx)++;
        i = end;
    }
    clock_stop();
    sqlite3_finalize(ins);
    sqlite3_finalize(bk);
    if ((size_t)sq_count(db, "prices") != n_prices || (size_t)sq_count(db, "exchange_books") != n_books)
        die("check", "the tables do not hold the rows read");
    sqlite3_close(db);
}

/* ---- PostgreSQL ---- */

static void pg_ok(PGconn *c, PGresult *r, const char *what)
{
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        die(what, PQerrorMessage(c));
    PQclear(r);
}

static int64_t pg_count(PGconn *c, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die(sql, PQerrorMessage(c));
    int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

static void run_pg(const char *url, size_t *tx, size_t *upserts)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        die(url, PQerrorMessage(c));
    PGresult *r = PQexec(c, "SELECT selection_id, provider, market, odds, ts FROM prices "
                            "ORDER BY ts, id");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die("read prices", PQerrorMessage(c));
    for (int i = 0; i < PQntuples(r); i++)
        add_price(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                  PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
    PQclear(r);
    r = PQexec(c, "SELECT " BOOK_COLS " FROM exchange_books");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die("read books", PQerrorMessage(c));
    for (int i = 0; i < PQntuples(r); i++) {
        const char *vals[BOOK_NCOLS];
        for (int k = 0; k < BOOK_NCOLS; k++)
            vals[k] = PQgetvalue(r, i, k);
        add_book(vals);
    }
    PQclear(r);
    plan_books();
    pg_ok(c, PQexec(c, "BEGIN"), "begin");
    pg_ok(c, PQexec(c, "DELETE FROM prices"), "delete prices");
    pg_ok(c, PQexec(c, "DELETE FROM exchange_books"), "delete books");
    pg_ok(c, PQexec(c, "COMMIT"), "commit");
    pg_ok(c, PQprepare(c, "ins", "INSERT INTO prices (selection_id, provider, market, odds, ts) "
                                 "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (selection_id, provider, "
                                 "market, ts) DO NOTHING", 5, NULL), "prepare price");
    pg_ok(c, PQprepare(c, "bk", "INSERT INTO exchange_books (" BOOK_COLS ") VALUES ($1, $2, $3, "
                                "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
                                "$18)" BOOK_UPSERT, BOOK_NCOLS, NULL), "prepare book");
    clock_start();
    for (size_t i = 0; i < n_prices;) {
        size_t end = i;
        while (end < n_prices && prices[end].ts == prices[i].ts)
            end++;
        pg_ok(c, PQexec(c, "BEGIN"), "begin");
        for (size_t k = i; k < end; k++) {
            char sel[24], market[24], odds[24], ts[24];
            snprintf(sel, sizeof sel, "%lld", (long long)prices[k].sel);
            snprintf(market, sizeof market, "%lld", (long long)prices[k].market);
            snprintf(odds, sizeof odds, "%lld", (long long)prices[k].odds);
            snprintf(ts, sizeof ts, "%lld", (long long)prices[k].ts);
            const char *v[5] = {sel, prices[k].provider, market, odds, ts};
            pg_ok(c, PQexecPrepared(c, "ins", 5, v, NULL, NULL, 0), "insert price");
        }
        for (size_t k = i; k < end; k++) {
            if (book_for[k] < 0)
                continue;
            const char *v[BOOK_NCOLS];
            for (int col = 0; col < BOOK_NCOLS; col++)
                v[col] = books[book_for[k]].v[col];
            pg_ok(c, PQexecPrepared(c, "bk", BOOK_NCOLS, v, NULL, NULL, 0), "upsert book");
            (*upserts)++;
        }
        pg_ok(c, PQexec(c, "COMMIT"), "commit");
        (*tx)++;
        i = end;
    }
    clock_stop();
    if ((size_t)pg_count(c, "prices") != n_prices || (size_t)pg_count(c, "exchange_books") != n_books)
        die("check", "the tables do not hold the rows read");
    PQfinish(c);
}

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--db")) {
        fprintf(stderr, "usage: ingest_bare --db PATH.db|postgres://...\n");
        return 2;
    }
    const char *db = argv[2];
    int pg = !strncmp(db, "postgres://", 11) || !strncmp(db, "postgresql://", 13);
    size_t tx = 0, upserts = 0;
    if (pg)
        run_pg(db, &tx, &upserts);
    else
        run_sqlite(db, &tx, &upserts);
    printf("{\"db\":\"%s\",\"rows\":%zu,\"books\":%zu,\"book_upserts\":%zu,\"transactions\":%zu,"
           "\"wall_s\":%.4f,\"cpu_s\":%.4f}\n",
           pg ? "postgresql" : "sqlite", n_prices, n_books, upserts, tx, t_wall, t_cpu);
    free(prices);
    free(books);
    free(book_for);
    return 0;
}

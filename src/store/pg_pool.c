/* PostgreSQL sessions for the store: connecting, telling a lost session from a failed
 * statement, error words, and a small pool (mutex + condvar) whose sessions prepare each
 * statement the first time they run it and are reconnected on their next use after a loss. */
#include "store/pg_internal.h"
#include "core/err.h"
#include "core/hash.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void odz_pg__arg_i64(odz_pg__args *a, int64_t x)
{
    if (a->n >= ODZ_DRV_MAX_ARGS)
        return;
    snprintf(a->num[a->n], sizeof a->num[0], "%lld", (long long)x);
    a->v[a->n] = a->num[a->n];
    a->n++;
}

void odz_pg__arg(odz_pg__args *a, const odz_arg *x)
{
    if (x->type == ODZ_ARG_I64)
        odz_pg__arg_i64(a, x->i);
    else if (a->n < ODZ_DRV_MAX_ARGS)
        a->v[a->n++] = x->type == ODZ_ARG_BOOL ? (x->i ? "true" : "false") : x->s ? x->s : "";
}

int64_t odz_pg__lock_key(const char *prefix, const char *name)
{
    /* (the seed every release has used: another version's scraper must find the same lock) */
    return (int64_t)odz_hash_text(odz_hash_text(1469598103934665603ull, prefix), name);
}

void odz_pg__one_line(char *dst, size_t len, const char *msg)
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

int odz_pg__err(PGconn *conn, const PGresult *r, const char *what, char *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char line[160];
    odz_pg__one_line(line, sizeof line, msg && *msg ? msg : PQerrorMessage(conn));
    if (PQstatus(conn) != CONNECTION_OK || conn_lost_state(state))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "database connection lost: %s: %s", what, line);
    if (state && !strcmp(state, "23503"))
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "%s: %s", what, line);
    if (state && (!strncmp(state, "23", 2) || !strncmp(state, "22", 2)))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "%s: %s", what, line);
    return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: %s", what, line);
}

bool odz_pg__conn_dead(PGconn *conn)
{
    /* anything readable on an idle session is a server going away (a FATAL message, then
     * end of file) */
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

/* Notices (e.g. "relation already exists, skipping") are not errors; keep stderr quiet. */
static void quiet_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

PGconn *odz_pg__connect(const char *const *keys, const char *const *vals)
{
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c)
        PQsetNoticeProcessor(c, quiet_notice, NULL);
    return c;
}

static int result(PGconn *conn, PGresult *r, PGresult **out, const char *what, char *err)
{
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = odz_pg__err(conn, r, what, err);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

int odz_pg__exec_fixed(PGconn *conn, const char *sql, const char *what, char *err)
{
    return result(conn, PQexec(conn, sql), NULL, what, err);
}

int odz_pg__exec_params(PGconn *conn, const char *sql, const odz_pg__args *a, PGresult **out,
                        const char *what, char *err)
{
    PGresult *r = PQexecParams(conn, sql, a ? a->n : 0, NULL, a ? a->v : NULL, NULL, NULL, 0);
    return result(conn, r, out, what, err);
}

int odz_pg__run(odz_pg__conn *c, int q, const odz_pg__args *a, PGresult **out, const char *what,
                char *err)
{
    char name[16];
    snprintf(name, sizeof name, "odz%d", q);
    if (out)
        *out = NULL;
    if (!c->prepared[q]) {
        int rc = result(c->conn, PQprepare(c->conn, name, odz_pg__sql[q], 0, NULL), NULL, what,
                        err);
        if (rc)
            return rc;
        c->prepared[q] = true;
    }
    PGresult *r = PQexecPrepared(c->conn, name, a ? a->n : 0, a ? a->v : NULL, NULL, NULL, 0);
    return result(c->conn, r, out, what, err);
}

/* ---- the pool ---- */

/* Connect with our defaults; fields of the URL override those before dbname, not the
 * encoding. Keepalives: a server gone silent (no RST) fails a request in about a minute. */
static PGconn *pool_connect(const char *url)
{
    const char *const keys[] = {
        "connect_timeout",  "application_name", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "dbname",           "client_encoding", NULL};
    const char *const vals[] = {"10", "oddzy", "30", "10", "3", url, "UTF8", NULL};
    return odz_pg__connect(keys, vals);
}

int odz_pg__ensure(PGconn **conn, PGconn *(*connect)(const char *url), const char *url,
                   bool *renewed, char *err)
{
    *renewed = false;
    if (*conn && !odz_pg__conn_dead(*conn))
        return 0;
    *renewed = true;
    bool again = *conn != NULL;
    if (again)
        PQreset(*conn);
    else
        *conn = connect(url);
    if (!*conn)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory connecting to the database");
    if (PQstatus(*conn) != CONNECTION_OK) {
        char line[160];
        odz_pg__one_line(line, sizeof line, PQerrorMessage(*conn));
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: %s",
                        again ? "database connection lost: cannot reconnect"
                              : "cannot connect to the database",
                        line);
    }
    return 0;
}

/* Make c usable; a new session has nothing prepared. */
static int conn_ready(odz_pg__pool *p, odz_pg__conn *c, char *err)
{
    bool renewed;
    int rc = odz_pg__ensure(&c->conn, pool_connect, p->url, &renewed, err);
    if (renewed)
        memset(c->prepared, 0, sizeof c->prepared);
    return rc;
}

void odz_pg__release(odz_pg__conn *c)
{
    odz_pg__pool *p = c->pool;
    /* an error path may leave a transaction open: never lend a session in one */
    if (c->conn && PQstatus(c->conn) == CONNECTION_OK &&
        PQtransactionStatus(c->conn) != PQTRANS_IDLE)
        odz_pg__run(c, PGQ_ROLLBACK, NULL, NULL, "rollback", NULL);
    pthread_mutex_lock(&p->lock);
    c->busy = false;
    c->write = false;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

int odz_pg__acquire(odz_pg__pool *p, odz_pg__conn **out, char *err)
{
    odz_pg__conn *c = NULL;
    pthread_mutex_lock(&p->lock);
    while (!c) {
        /* prefer a session already connected */
        for (int i = 0; i < PG_POOL && !c; i++)
            if (!p->c[i].busy && p->c[i].conn)
                c = &p->c[i];
        for (int i = 0; i < PG_POOL && !c; i++)
            if (!p->c[i].busy)
                c = &p->c[i];
        if (!c)
            pthread_cond_wait(&p->freed, &p->lock);
    }
    c->busy = true;
    pthread_mutex_unlock(&p->lock);
    int rc = conn_ready(p, c, err);
    if (rc) {
        odz_pg__release(c);
        return rc;
    }
    *out = c;
    return 0;
}

int odz_pg__pool_init(odz_pg__pool *p, const char *url, char *err)
{
    memset(p, 0, sizeof *p);
    if (!(p->url = strdup(url)))
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    for (int i = 0; i < PG_POOL; i++)
        p->c[i].pool = p;
    return 0;
}

void odz_pg__pool_free(odz_pg__pool *p)
{
    if (!p->url)
        return;
    for (int i = 0; i < PG_POOL; i++)
        if (p->c[i].conn)
            PQfinish(p->c[i].conn);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->freed);
    free(p->url);
    p->url = NULL;
}

/* PostgreSQL leadership (leader.h): session advisory locks on one plain libpq session of its
 * own, outside any pool and without migrations. Its death must be seen quickly on both sides,
 * so a standby takes over within seconds: the server probes an idle session after 5 s and
 * drops it after 3 unanswered probes 2 s apart (a holder whose host vanished: lock free in
 * ~11 s; a killed process closes its socket, which the server sees at once); our side gives
 * up on unacked data after 8 s, so a cut-off leader stops before a standby can take over. */
#include "store/leader.h"
#include "store/pg_internal.h"
#include "core/err.h"
#include "core/model.h"

#include <stdlib.h>
#include <string.h>

#define PG_MAX_LEADER 8 /* leadership names one session may hold */

typedef struct {
    char name[ODZ_KEY_MAX];
    bool lost; /* its session died: the next try reports it once */
} pg_lead;

typedef struct {
    odz_leader base;
    char *url;
    pthread_mutex_t lock; /* guards all below */
    PGconn *conn;         /* connected at open; reset after a loss */
    pg_lead held[PG_MAX_LEADER];
    size_t n_held;
} pg_leader;

#define PL(l) ((pg_leader *)(void *)(l))

static PGconn *connect_leader(const char *url)
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
    return odz_pg__connect(keys, vals);
}

static pg_lead *find_lead(pg_leader *s, const char *name)
{
    for (size_t i = 0; i < s->n_held; i++)
        if (!strcmp(s->held[i].name, name))
            return &s->held[i];
    return NULL;
}

static void drop_lead(pg_leader *s, pg_lead *l)
{
    *l = s->held[--s->n_held];
}

/* The session died or is being replaced: every lock it held is gone. */
static void leads_lost(pg_leader *s)
{
    for (size_t i = 0; i < s->n_held; i++)
        s->held[i].lost = true;
}

/* One statement on the session (key: its one parameter, or none); the rows on success. */
static int leader_exec(pg_leader *s, const char *sql, const char *key_name, PGresult **out,
                       const char *what, char *err)
{
    odz_pg__args a = {0};
    if (key_name)
        odz_pg__arg_i64(&a, odz_pg__lock_key("oddzy.leader.", key_name));
    int rc = odz_pg__exec_params(s->conn, sql, &a, out, what, err);
    if (rc && PQstatus(s->conn) != CONNECTION_OK)
        leads_lost(s);
    return rc;
}

/* Connect on first use, reconnect a session that was lost (its locks went with it). */
static int session_ready(pg_leader *s, char *err)
{
    bool renewed;
    int rc = odz_pg__ensure(&s->conn, connect_leader, s->url, &renewed, err);
    if (renewed)
        leads_lost(s);
    return rc;
}

static int lost(const char *name, char *err)
{
    return odz_fail(err, ODZ_ERRLEN, ODZ_EIO,
                    "database connection lost: leadership '%s' ended with its session", name);
}

static int pl_try_lead(odz_leader *l, const char *name, bool *is_leader, char *err)
{
    pg_leader *s = PL(l);
    *is_leader = false;
    if (!name || !*name || strlen(name) >= ODZ_KEY_MAX)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "leadership name is empty or too long");
    int rc = 0;
    PGresult *r = NULL;
    pthread_mutex_lock(&s->lock);
    pg_lead *h = find_lead(s, name);
    if (h && !h->lost) {
        /* held: the session keeps the lock as long as it lives */
        if (!odz_pg__conn_dead(s->conn))
            rc = leader_exec(s, "SELECT 1", NULL, &r, "leadership check", err);
        else {
            leads_lost(s);
            rc = lost(name, err);
        }
        /* a failure on a session still alive leaves the lock held: keep the entry */
        if (rc == 0)
            *is_leader = true;
        else if (h->lost)
            drop_lead(s, h);
        goto out;
    }
    if (h) {
        drop_lead(s, h);
        rc = lost(name, err);
        goto out;
    }
    if (s->n_held == PG_MAX_LEADER) {
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EFULL, "at most %d leadership names", PG_MAX_LEADER);
        goto out;
    }
    if ((rc = session_ready(s, err)))
        goto out;
    rc = leader_exec(s, "SELECT pg_try_advisory_lock($1)", name, &r, "leadership", err);
    if (rc == 0 && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't') {
        pg_lead *n = &s->held[s->n_held++];
        odz_strlcpy(n->name, name, sizeof n->name);
        n->lost = false;
        *is_leader = true;
    }
out:
    PQclear(r);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int pl_release(odz_leader *l, const char *name, char *err)
{
    pg_leader *s = PL(l);
    if (!name)
        return 0;
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    pg_lead *h = find_lead(s, name);
    if (h) {
        if (!h->lost && s->conn && PQstatus(s->conn) == CONNECTION_OK) {
            rc = leader_exec(s, "SELECT pg_advisory_unlock($1)", name, NULL,
                             "release leadership", err);
            /* a lost session has already dropped the lock: that is released too */
            if (rc && PQstatus(s->conn) != CONNECTION_OK)
                rc = 0;
        }
        drop_lead(s, h);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void pl_close(odz_leader *l)
{
    pg_leader *s = PL(l);
    if (!s)
        return;
    if (s->conn)
        PQfinish(s->conn); /* ends the session: its advisory locks go with it */
    pthread_mutex_destroy(&s->lock);
    free(s->url);
    free(s);
}

static const odz_leader_ops pg_leader_ops = ODZ_LEADER_OPS("postgres", pl);

odz_leader *odz_leader_postgres_open(const char *url, char *err)
{
    pg_leader *s = odz_store__new("database URL", url, PG_URL_MAX, sizeof *s, err);
    if (!s)
        return NULL;
    if (!(s->url = strdup(url))) {
        free(s);
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    s->base.ops = &pg_leader_ops;
    pthread_mutex_init(&s->lock, NULL);
    if (session_ready(s, err)) { /* a server that is not there fails the start, as the store does */
        pl_close(&s->base);
        return NULL;
    }
    return &s->base;
}

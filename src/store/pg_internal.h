/* Internal to src/store's PostgreSQL files: connections and the pool (pg_pool.c), the SQL text
 * (pg_sql.c) and migrations (pg_migrate.c), used by the store driver (pg_driver.c) and the
 * leadership session (pg_leader.c). Names odz_pg__* are for these files only. */
#ifndef ODZ_STORE_PG_INTERNAL_H
#define ODZ_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/driver.h"

#define PG_POOL 4 /* connections per store */
#define PG_URL_MAX 4096

/* Statements beyond the driver's: transaction control, prepared like the others. */
enum { PGQ_BEGIN = DQ_COUNT, PGQ_COMMIT, PGQ_ROLLBACK, PGQ_WRITE_LOCK, PGQ_COUNT };

/* pg_sql.c: the text of every statement, and the versioned migrations (migration i brings
 * the schema to version i+1). */
extern const char *const odz_pg__sql[PGQ_COUNT];
extern const char *const odz_pg__migrations[];
extern const int odz_pg__n_migrations;

/* Statement parameters, all sent as text. v[i] may point into num[i]: never copy one. */
typedef struct {
    const char *v[ODZ_DRV_MAX_ARGS];
    char num[ODZ_DRV_MAX_ARGS][24];
    int n;
} odz_pg__args;
void odz_pg__arg(odz_pg__args *a, const odz_arg *x);
void odz_pg__arg_i64(odz_pg__args *a, int64_t x);

/* Advisory lock keys: 64-bit FNV-1a of a fixed prefix and a name, stable across versions. */
int64_t odz_pg__lock_key(const char *prefix, const char *name);
/* The first line of a libpq message, without "ERROR:  " noise or a trailing newline. */
void odz_pg__one_line(char *dst, size_t len, const char *msg);
/* Map a failed result (or NULL) on `conn` to an ODZ_E* code with words in err: a lost session
 * ODZ_EIO "database connection lost: ...", a foreign key to an unknown row ODZ_ENOTFOUND,
 * other integrity or data errors ODZ_EINVAL, anything else ODZ_EIO. */
int odz_pg__err(PGconn *conn, const PGresult *r, const char *what, char *err);
/* An idle session has nothing to say: true when it is gone (reads what is there, never
 * blocks). */
bool odz_pg__conn_dead(PGconn *conn);
/* Connect with keys/vals (NULL-terminated; "dbname" last before "client_encoding", so fields of
 * the URL override what comes before it), notices kept off stderr. NULL: out of memory. */
PGconn *odz_pg__connect(const char *const *keys, const char *const *vals);
/* Make *conn a live session: connect(url) on first use, reset one that was lost. *renewed is
 * set when the session is not the one it was (its prepared statements and locks are gone). */
int odz_pg__ensure(PGconn **conn, PGconn *(*connect)(const char *url), const char *url,
                   bool *renewed, char *err);
/* Fixed SQL of ours without values (several statements at once; the simple protocol). */
int odz_pg__exec_fixed(PGconn *conn, const char *sql, const char *what, char *err);
/* One statement with parameters, unprepared; *out the result on success (caller PQclears;
 * out may be NULL). */
int odz_pg__exec_params(PGconn *conn, const char *sql, const odz_pg__args *a, PGresult **out,
                        const char *what, char *err);

/* A pooled session. */
typedef struct odz_pg__pool odz_pg__pool;
typedef struct {
    odz_pg__pool *pool;       /* its pool */
    PGconn *conn;             /* NULL until first used */
    bool prepared[PGQ_COUNT]; /* on this session; cleared when it reconnects */
    bool busy;                /* lent out; guarded by the pool's lock */
    bool write;               /* lent for a write transaction */
} odz_pg__conn;

struct odz_pg__pool {
    char *url;
    pthread_mutex_t lock; /* guards c[].busy */
    pthread_cond_t freed;
    odz_pg__conn c[PG_POOL];
};

int odz_pg__pool_init(odz_pg__pool *p, const char *url, char *err);
void odz_pg__pool_free(odz_pg__pool *p);
/* Borrow a connected session, waiting while all are lent; a lost one is reconnected. */
int odz_pg__acquire(odz_pg__pool *p, odz_pg__conn **out, char *err);
/* Give it back to its pool (rolled back first if an error left a transaction open). */
void odz_pg__release(odz_pg__conn *c);
/* Run statement q on c, preparing it on this session first if needed. 0 with *out set
 * (caller PQclears it; out may be NULL) or an error code. */
int odz_pg__run(odz_pg__conn *c, int q, const odz_pg__args *a, PGresult **out, const char *what,
                char *err);

/* pg_migrate.c: all pending migrations in one transaction under an advisory lock; *version
 * the schema version after. */
int odz_pg__migrate(PGconn *conn, int *version, char *err);

#endif

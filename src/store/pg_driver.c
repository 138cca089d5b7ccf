/* PostgreSQL driver of the store (driver.h) on the session pool of pg_pool.c. A session is
 * borrowed per operation; every write transaction first takes one transaction-level advisory
 * lock, so writers are serialized as with SQLite's BEGIN IMMEDIATE and the read-compare-write
 * of the rules never races another process. */
#include "store/pg_internal.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    odz_drv base;
    odz_pg__pool pool;
    int version;
} pg_drv;

/* The lent pool session is the odz_drv_tx. */
#define PGD(d) ((pg_drv *)(void *)(d))
#define CONN(t) ((odz_pg__conn *)(void *)(t))

static int pg_begin(odz_drv *d, bool write, odz_drv_tx **tx, char *err)
{
    odz_pg__conn *c;
    int rc = odz_pg__acquire(&PGD(d)->pool, &c, err);
    if (rc)
        return rc;
    c->write = write;
    if (write) {
        odz_pg__args a = {0};
        odz_pg__arg_i64(&a, odz_pg__lock_key("oddzy.write", ""));
        rc = odz_pg__run(c, PGQ_BEGIN, NULL, NULL, "begin", err);
        if (rc == 0)
            rc = odz_pg__run(c, PGQ_WRITE_LOCK, &a, NULL, "writer lock", err);
        if (rc) {
            odz_pg__release(c); /* rolls back */
            return rc;
        }
    }
    *tx = (odz_drv_tx *)(void *)c;
    return 0;
}

static int pg_end(odz_drv_tx *tx, int rc, char *err)
{
    odz_pg__conn *c = CONN(tx);
    if (c->write && rc == 0)
        rc = odz_pg__run(c, PGQ_COMMIT, NULL, NULL, "commit", err);
    odz_pg__release(c); /* after a failure: rolls back, never lends a session in a transaction */
    return rc;
}

/* Run statement q with the driver's parameters; *r the result (caller PQclears). */
static int run_q(odz_drv_tx *tx, int q, const odz_arg *a, int n, PGresult **r, char *err)
{
    odz_pg__args pa = {0};
    for (int i = 0; i < n; i++)
        odz_pg__arg(&pa, &a[i]);
    return odz_pg__run(CONN(tx), q, &pa, r, odz_drv_what[q], err);
}

static int pg_query(odz_drv_tx *tx, int q, const odz_arg *a, int n, odz_row_fn fn, void *ctx,
                    char *err)
{
    PGresult *r;
    int rc = run_q(tx, q, a, n, &r, err);
    if (rc)
        return rc;
    const char *vals[ODZ_DRV_MAX_ARGS + 4];
    int cols = PQnfields(r);
    if (cols > (int)(sizeof vals / sizeof vals[0]))
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: too many columns", odz_drv_what[q]);
    for (int i = 0, rows = PQntuples(r); rc == 0 && fn && i < rows; i++) {
        for (int j = 0; j < cols; j++)
            vals[j] = PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
        rc = fn(ctx, vals, cols);
    }
    PQclear(r);
    return rc;
}

static int pg_exec(odz_drv_tx *tx, int q, const odz_arg *a, int n, int64_t *id, int64_t *changes,
                   char *err)
{
    PGresult *r;
    int rc = run_q(tx, q, a, n, &r, err);
    if (rc)
        return rc;
    if (id) /* INSERT ... RETURNING id */
        *id = PQntuples(r) > 0 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    if (changes)
        *changes = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

static int pg_schema_version(odz_drv *d)
{
    return PGD(d)->version;
}

static void pg_close(odz_drv *d)
{
    if (!d)
        return;
    odz_pg__pool_free(&PGD(d)->pool);
    free(d);
}

static const odz_drv_ops postgres_ops = ODZ_DRV_OPS("postgres", pg);

odz_drv *odz_drv_postgres_open(const char *url, char *err)
{
    pg_drv *s = odz_store__new("database URL", url, PG_URL_MAX, sizeof *s, err);
    if (!s)
        return NULL;
    s->base.ops = &postgres_ops;
    if (odz_pg__pool_init(&s->pool, url, err)) {
        free(s);
        return NULL;
    }
    /* the first pool session runs the migrations, then serves like the others */
    odz_pg__conn *c;
    int rc = odz_pg__acquire(&s->pool, &c, err);
    if (rc == 0) {
        rc = odz_pg__migrate(c->conn, &s->version, err);
        odz_pg__release(c);
    }
    if (rc) {
        pg_close(&s->base);
        return NULL;
    }
    return &s->base;
}

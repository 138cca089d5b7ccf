/* PostgreSQL schema migrations: every pending one in one transaction under an advisory lock,
 * so a second process opening the database at the same time waits, then finds it current. */
#include "store/pg_internal.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>

int odz_pg__migrate(PGconn *conn, int *version, char *err)
{
    int rc = odz_pg__exec_fixed(conn, "BEGIN", "begin migration", err);
    if (rc)
        return rc;
    odz_pg__args a = {0};
    odz_pg__arg_i64(&a, odz_pg__lock_key("oddzy.migrate", ""));
    PGresult *r = NULL;
    rc = odz_pg__exec_params(conn, "SELECT pg_advisory_xact_lock($1)", &a, NULL,
                             "migration lock", err);
    if (rc == 0)
        rc = odz_pg__exec_fixed(conn,
                                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                " version INTEGER PRIMARY KEY,"
                                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                                "schema_migrations", err);
    if (rc == 0)
        rc = odz_pg__exec_params(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                                 NULL, &r, "read schema version", err);
    int v = 0;
    if (rc == 0) {
        v = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        if (v > odz_pg__n_migrations)
            rc = odz_fail(err, ODZ_ERRLEN, ODZ_EIO,
                          "database schema version %d is newer than this build (%d)", v,
                          odz_pg__n_migrations);
    }
    for (; rc == 0 && v < odz_pg__n_migrations; v++) {
        char what[32];
        snprintf(what, sizeof what, "migration %d", v + 1);
        rc = odz_pg__exec_fixed(conn, odz_pg__migrations[v], what, err);
        if (rc == 0) {
            odz_pg__args b = {0};
            odz_pg__arg_i64(&b, v + 1);
            rc = odz_pg__exec_params(conn, "INSERT INTO schema_migrations (version) VALUES ($1)",
                                     &b, NULL, "record migration", err);
        }
    }
    if (rc == 0)
        rc = odz_pg__exec_fixed(conn, "COMMIT", "commit migration", err);
    if (rc) {
        if (PQstatus(conn) == CONNECTION_OK)
            odz_pg__exec_fixed(conn, "ROLLBACK", "rollback", NULL);
        return rc;
    }
    *version = v;
    return 0;
}

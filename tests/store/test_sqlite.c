/* The store contract on SQLite, plus SQLite specifics: file, WAL, migrations. */
#include "store_cases.h"

#include <sqlite3.h>
#include <unistd.h>

static char g_path[64]; /* the database file of the last open_store */

static void remove_db(void)
{
    char aux[80];
    if (!g_path[0])
        return;
    unlink(g_path);
    snprintf(aux, sizeof aux, "%s-wal", g_path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", g_path);
    unlink(aux);
    g_path[0] = '\0';
}

static odz_store *open_peer(void)
{
    char err[ODZ_ERRLEN];
    odz_store *s = odz_store_sqlite_open(g_path, err);
    if (!s)
        fprintf(stderr, "open: %s\n", err);
    return s;
}

/* Each contract case on a new file (a peer opens the same file). */
static odz_store *open_store(void)
{
    remove_db();
    snprintf(g_path, sizeof g_path, "/tmp/oddzy-test-XXXXXX");
    int fd = mkstemp(g_path);
    if (fd < 0)
        return NULL;
    close(fd);
    return open_peer();
}

static void file_reopen_keeps_data_and_schema(void **st)
{
    (void)st;
    char path[] = "/tmp/oddzy-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[ODZ_ERRLEN];
    odz_store *s = odz_store_open(path, err);
    assert_non_null(s);
    assert_int_equal(s->ops->schema_version(s), 4);
    odz_meeting m = meeting("keep", "2026-11-26", ODZ_HARNESS);
    assert_int_equal(s->ops->add_meeting(s, &m, err), 0);
    s->ops->close(s);
    s = odz_store_open(path, err);
    assert_non_null(s);
    odz_meeting got;
    assert_int_equal(s->ops->get_meeting(s, m.id, &got, err), 0);
    assert_string_equal(got.source_key, "keep");
    assert_int_equal(got.type, ODZ_HARNESS);
    s->ops->close(s);
    char aux[64];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
    assert_null(odz_store_open("/nonexistent-dir/x.db", err));
    assert_null(odz_store_open("", err));
    assert_null(odz_store_open("postgres://localhost/x", err));
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* A database of version 1 (before the exchange books, the write epoch and retired races)
 * migrates forward, its data kept. */
static void version_1_migrates_forward(void **st)
{
    (void)st;
    char path[] = "/tmp/oddzy-test-XXXXXX", err[ODZ_ERRLEN], aux[64];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    odz_store *s = odz_store_open(path, err);
    assert_non_null(s);
    odz_meeting m = meeting("v1", "2026-11-26", ODZ_THOROUGHBRED);
    assert_int_equal(s->ops->add_meeting(s, &m, err), 0);
    s->ops->close(s);
    exec_sql(path, "DROP TABLE exchange_books; DROP TABLE store_epoch; "
                   "ALTER TABLE races DROP COLUMN merged_into; "
                   "ALTER TABLE races DROP COLUMN retired_at; "
                   "DELETE FROM schema_version WHERE version >= 2");
    s = odz_store_open(path, err);
    assert_non_null(s);
    assert_int_equal(s->ops->schema_version(s), 4);
    odz_meeting got;
    assert_int_equal(s->ops->get_meeting(s, m.id, &got, err), 0);
    odz_exbooks books = {0};
    assert_int_equal(s->ops->race_books(s, 1, &books, err), 0);
    assert_int_equal(books.n, 0);
    s->ops->close(s);
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_TESTS,
        cmocka_unit_test(file_reopen_keeps_data_and_schema),
        cmocka_unit_test(version_1_migrates_forward),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    remove_db();
    return rc;
}

/* The store contract on PostgreSQL, plus PostgreSQL specifics: the pool under threads,
 * reconnecting after a server restart, leadership locks (store/leader.h), concurrent
 * migrations.
 * The server is ODDZY_TEST_PG_URL when set (a URL; the tests create and drop databases of
 * their own in it), else a throw-away one on loopback started with scripts/pg-tmp.sh. */
#include "store_cases.h"
#include "store/leader.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <unistd.h>

static char g_root[4096];  /* repository root, for scripts/ */
static char g_dir[64];     /* pg-tmp directory when this program started the server */
static char g_server[512]; /* URL of the server's own database */
static char g_url[640];    /* URL of this run's test database */
static char g_db[64];
static char g_mig_db[64];

/* The URL with its database replaced by `db` (query parameters kept). */
static int with_db(const char *url, const char *db, char *out, size_t len)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    p += 3;
    size_t host = strcspn(p, "/?");
    const char *q = strchr(p + host, '?');
    int n = snprintf(out, len, "%.*s/%s%s", (int)(p + host - url), url, db, q ? q : "");
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Fixed SQL of the test against `url`: the first value of its first row as a number, 0 for
 * a command, -1 on error. */
static long admin(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    long v = -1;
    if (PQstatus(c) == CONNECTION_OK) {
        PQsetNoticeProcessor(c, quiet, NULL);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
            v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        else if (PQresultStatus(r) == PGRES_COMMAND_OK)
            v = 0;
        else
            fprintf(stderr, "admin: %s: %s", sql, PQerrorMessage(c));
        PQclear(r);
    } else
        fprintf(stderr, "admin: %s", PQerrorMessage(c));
    PQfinish(c);
    return v;
}

static void drop_db(const char *db)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    admin(g_server, sql);
}

static int create_db(const char *db)
{
    char sql[160];
    drop_db(db);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    return admin(g_server, sql) == 0 ? 0 : -1;
}

/* scripts/pg-tmp.sh CMD g_dir [extra]; the first line of its output in out (may be NULL). */
static int pg_tmp(const char *cmd, const char *extra, char *out, size_t len)
{
    char line[8192 + 256];
    snprintf(line, sizeof line, "'%s/scripts/pg-tmp.sh' %s %s %s", g_root, cmd, g_dir,
             extra ? extra : "");
    FILE *p = popen(line, "r");
    if (!p)
        return -1;
    char buf[512] = "";
    if (!fgets(buf, sizeof buf, p))
        buf[0] = '\0';
    int rc = pclose(p);
    buf[strcspn(buf, "\r\n")] = '\0';
    if (out)
        snprintf(out, len, "%s", buf);
    return rc == 0 ? 0 : -1;
}

static void find_root(void)
{
    /* the binary is <root>/build/[asan/]tests/store/test_postgres; else run from the root */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    snprintf(g_root, sizeof g_root, ".");
    if (n > 0) {
        exe[n] = '\0';
        char *b = strstr(exe, "/build/");
        if (b) {
            *b = '\0';
            snprintf(g_root, sizeof g_root, "%s", exe);
        }
    }
}

static int group_teardown(void **st)
{
    (void)st;
    if (g_server[0]) {
        drop_db(g_db);
        drop_db(g_mig_db);
    }
    if (g_dir[0])
        pg_tmp("stop", NULL, NULL, 0);
    return 0;
}

static int group_setup(void **st)
{
    find_root();
    const char *env = getenv("ODDZY_TEST_PG_URL");
    if (env && *env) {
        snprintf(g_server, sizeof g_server, "%s", env);
    } else {
        char owner[32];
        snprintf(g_dir, sizeof g_dir, "/tmp/oddzy-pg-%ld", (long)getpid());
        snprintf(owner, sizeof owner, "%ld", (long)getpid());
        if (pg_tmp("start", owner, g_server, sizeof g_server) || !g_server[0]) {
            fprintf(stderr, "cannot start a PostgreSQL server (scripts/pg-tmp.sh)\n");
            group_teardown(st);
            return -1;
        }
    }
    snprintf(g_db, sizeof g_db, "oddzy_test_%ld", (long)getpid());
    snprintf(g_mig_db, sizeof g_mig_db, "oddzy_test_%ld_mig", (long)getpid());
    if (create_db(g_db) || with_db(g_server, g_db, g_url, sizeof g_url)) {
        fprintf(stderr, "cannot create test database %s on %s\n", g_db, g_server);
        group_teardown(st);
        return -1;
    }
    return 0;
}

static odz_store *open_peer(void)
{
    char err[ODZ_ERRLEN];
    odz_store *s = odz_store_open(g_url, err);
    if (!s)
        fprintf(stderr, "open: %s\n", err);
    return s;
}

/* Every contract case starts from empty tables. */
static odz_store *open_store(void)
{
    odz_store *s = open_peer();
    if (s && admin(g_url, "TRUNCATE meetings, races, selections, prices RESTART IDENTITY CASCADE")) {
        s->ops->close(s);
        return NULL;
    }
    return s;
}

static void open_migrate_and_errors(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN], url[700];
    odz_store *s = open_store();
    assert_non_null(s);
    assert_string_equal(s->ops->name, "postgres");
    assert_int_equal(s->ops->schema_version(s), 4);
    s->ops->close(s);
    /* postgresql:// too; reopening runs no migration again */
    snprintf(url, sizeof url, "postgresql%s", strchr(g_url, ':'));
    s = odz_store_open(url, err);
    assert_non_null(s);
    assert_int_equal(s->ops->schema_version(s), 4);
    s->ops->close(s);
    assert_int_equal(admin(g_url, "SELECT count(*) FROM schema_migrations"), 4);
    /* a database of version 1 (before the exchange books, the write epoch, retired races)
     * migrates forward, its data kept */
    assert_int_equal(admin(g_url, "DROP TABLE exchange_books"), 0);
    assert_int_equal(admin(g_url, "DROP TABLE store_epoch"), 0);
    assert_int_equal(admin(g_url, "ALTER TABLE races DROP COLUMN merged_into"), 0);
    assert_int_equal(admin(g_url, "ALTER TABLE races DROP COLUMN retired_at"), 0);
    assert_int_equal(admin(g_url, "DELETE FROM schema_migrations WHERE version >= 2"), 0);
    assert_int_equal(admin(g_url, "INSERT INTO meetings (source_key, name, race_type, date) "
                                  "VALUES ('v1', 'Old', 0, '2026-11-26')"),
                     0);
    s = odz_store_open(url, err);
    assert_non_null(s);
    assert_int_equal(s->ops->schema_version(s), 4);
    s->ops->close(s);
    assert_int_equal(admin(g_url, "SELECT count(*) FROM schema_migrations"), 4);
    assert_int_equal(admin(g_url, "SELECT count(*) FROM meetings WHERE source_key = 'v1'"), 1);
    assert_int_equal(admin(g_url, "SELECT count(*) FROM exchange_books"), 0);
    /* nothing listening: a clear error, no store */
    assert_null(odz_store_open("postgres://oddzy@127.0.0.1:1/oddzy?connect_timeout=2", err));
    assert_non_null(strstr(err, "cannot connect to the database"));
    /* integers stay integers: large odds, dividends in cents */
    s = open_store();
    assert_non_null(s);
    odz_meeting m = meeting("big", "2026-11-26", ODZ_THOROUGHBRED);
    assert_int_equal(s->ops->add_meeting(s, &m, err), 0);
    odz_race *r = race("bigr", m.id, 1, 1795620000);
    r->n_dividends = 1;
    snprintf(r->dividends[0].pool, sizeof r->dividends[0].pool, "TRIFECTA");
    snprintf(r->dividends[0].combination, sizeof r->dividends[0].combination, "3-5-1");
    r->dividends[0].amount = 123456789012;
    assert_int_equal(s->ops->add_race(s, r, err), 0);
    odz_race *got = calloc(1, sizeof *got);
    assert_int_equal(s->ops->get_race(s, r->id, got, err), 0);
    assert_int_equal(got->n_dividends, 1);
    assert_true(got->dividends[0].amount == 123456789012);
    assert_string_equal(got->dividends[0].combination, "3-5-1");
    /* text with quotes and non-ASCII goes through parameters untouched */
    odz_meeting q = meeting("q'; DROP TABLE meetings; --", "2026-11-26", ODZ_HARNESS);
    snprintf(q.name, sizeof q.name, "Ch\xc3\xa2teau O'Brien");
    assert_int_equal(s->ops->add_meeting(s, &q, err), 0);
    odz_meeting back;
    assert_int_equal(s->ops->get_meeting(s, q.id, &back, err), 0);
    assert_string_equal(back.name, "Ch\xc3\xa2teau O'Brien");
    assert_string_equal(back.source_key, "q'; DROP TABLE meetings; --");
    free(got);
    free(r);
    s->ops->close(s);
}

/* ---- the pool under threads ---- */

typedef struct {
    odz_store *s;
    int t;
    int rc;
    char err[ODZ_ERRLEN];
} worker;

static void *pool_worker(void *arg)
{
    worker *w = arg;
    char mk[32], rk[32], sk[32];
    snprintf(mk, sizeof mk, "pm%d", w->t);
    snprintf(rk, sizeof rk, "pr%d", w->t);
    snprintf(sk, sizeof sk, "ps%d", w->t);
    odz_meeting m = meeting(mk, "2026-11-27", (odz_race_type)(w->t % 3));
    odz_batch_race *br = calloc(1, sizeof *br);
    br->meeting_key = mk;
    odz_race *t = race(rk, 0, 1, 1795620000 + w->t);
    br->race = *t;
    free(t);
    odz_batch_selection bs = {rk, runner(sk, 1)};
    odz_batch_price bp = {sk, {.provider = "tab", .market = ODZ_FIXED_WIN, .odds = 0}};
    odz_batch b = {&m, 1, br, 1, &bs, 1, &bp, 1, NULL, 0};
    for (int i = 0; i < 10 && w->rc == 0; i++) {
        odz_changes ch = {0};
        bp.price.odds = 200 + i * 10;
        bp.price.ts = 1000 + i;
        w->rc = w->s->ops->upsert_batch(w->s, &b, 100 + i, &ch, w->err);
        if (w->rc == 0 && ch.prices_added != 1)
            w->rc = -100;
        odz_changes_free(&ch);
        odz_meetings ms = {0};
        if (w->rc == 0)
            w->rc = w->s->ops->list_meetings(w->s, "2026-11-27", "2026-11-27", &ms, w->err);
        odz_meetings_free(&ms);
    }
    free(br);
    return NULL;
}

static void pool_serves_threads(void **st)
{
    odz_store *s = *st;
    char err[ODZ_ERRLEN];
    enum { N = 8 };
    worker w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){.s = s, .t = i};
        pthread_create(&th[i], NULL, pool_worker, &w[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (w[i].rc)
            fprintf(stderr, "worker %d: %d %s\n", i, w[i].rc, w[i].err);
        assert_int_equal(w[i].rc, 0);
    }
    odz_meetings ms = {0};
    assert_int_equal(s->ops->list_meetings(s, "2026-11-27", "2026-11-27", &ms, err), 0);
    assert_int_equal(ms.n, N);
    odz_meetings_free(&ms);
    odz_races rs = {0};
    assert_int_equal(s->ops->next_races(s, 0, 100, -1, &rs, err), 0);
    assert_int_equal(rs.n, N);
    odz_prices ps = {0};
    assert_int_equal(s->ops->latest_prices(s, rs.v[0].id, &ps, err), 0);
    assert_int_equal(ps.n, 1);
    assert_int_equal(ps.v[0].odds, 290);
    odz_prices_free(&ps);
    odz_races_free(&rs);
    assert_int_equal(admin(g_url, "SELECT count(*) FROM prices"), N * 10);
}

/* ---- reconnect after a server restart ---- */

typedef struct {
    odz_store *s;
    int64_t id;
    int rc;
    char err[ODZ_ERRLEN];
} getter;

static void *get_meeting_thread(void *arg)
{
    getter *g = arg;
    odz_meeting m;
    g->rc = g->s->ops->get_meeting(g->s, g->id, &m, g->err);
    return NULL;
}

/* get_meeting from n threads at once (so several pool connections are in use) */
static void get_from_threads(odz_store *s, int64_t id, int n, int want)
{
    getter g[4];
    pthread_t th[4];
    for (int i = 0; i < n; i++) {
        g[i] = (getter){.s = s, .id = id};
        pthread_create(&th[i], NULL, get_meeting_thread, &g[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (g[i].rc != want)
            fprintf(stderr, "get %d: %d %s\n", i, g[i].rc, g[i].err);
        assert_int_equal(g[i].rc, want);
    }
}

static void reconnect_after_restart(void **st)
{
    odz_store *s = *st;
    if (!g_dir[0])
        skip(); /* ODDZY_TEST_PG_URL: not our server to restart */
    char err[ODZ_ERRLEN];
    odz_meeting m = meeting("restart", "2026-11-26", ODZ_THOROUGHBRED);
    assert_int_equal(s->ops->add_meeting(s, &m, err), 0);
    for (int i = 0; i < 5; i++)
        get_from_threads(s, m.id, 4, 0); /* connect the whole pool */
    bool lead = false; /* a name of its own: no earlier case's session may still hold it */
    odz_leader *l = odz_leader_open(g_url, err);
    assert_non_null(l);
    assert_int_equal(l->ops->try_lead(l, "restart-leader", &lead, err), 0);
    assert_true(lead);

    /* A request in flight: blocked on a table lock when the server goes down. The lock is
     * held by a prepared transaction, which outlives its session and the restart: a lock of
     * a plain session could be released by that session's exit first and let the request
     * finish before the server stops it. */
    assert_int_equal(admin(g_url, "BEGIN; LOCK TABLE meetings IN ACCESS EXCLUSIVE MODE; "
                                  "PREPARE TRANSACTION 'oddzy_test_lock'"),
                     0);
    PGconn *watch = PQconnectdb(g_url);
    assert_int_equal(PQstatus(watch), CONNECTION_OK);
    getter g = {.s = s, .id = m.id};
    pthread_t th;
    pthread_create(&th, NULL, get_meeting_thread, &g);
    int waiting = 0;
    for (int i = 0; i < 250 && !waiting; i++) {
        PGresult *r = PQexec(watch, "SELECT count(*) FROM pg_stat_activity WHERE "
                                    "wait_event_type = 'Lock' AND application_name = 'oddzy'");
        waiting = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) > 0;
        PQclear(r);
        if (!waiting)
            usleep(20000);
    }
    PQfinish(watch);
    int restarted = waiting ? pg_tmp("restart", NULL, NULL, 0) : -1;
    if (!waiting)
        admin(g_url, "ROLLBACK PREPARED 'oddzy_test_lock'");
    pthread_join(th, NULL);
    assert_true(waiting);
    assert_int_equal(restarted, 0);
    assert_int_equal(admin(g_url, "COMMIT PREPARED 'oddzy_test_lock'"), 0);
    assert_int_equal(g.rc, ODZ_EIO);
    assert_non_null(strstr(g.err, "database connection lost"));
    fprintf(stderr, "in flight during the restart: %s\n", g.err);

    /* the next requests succeed, on every pool connection; the data is still there */
    odz_meeting got;
    assert_int_equal(s->ops->get_meeting(s, m.id, &got, err), 0);
    assert_string_equal(got.source_key, "restart");
    for (int i = 0; i < 5; i++)
        get_from_threads(s, m.id, 4, 0);
    odz_meeting m2 = meeting("after", "2026-11-26", ODZ_HARNESS);
    assert_int_equal(s->ops->add_meeting(s, &m2, err), 0);

    /* leadership went with the leader's session: reported once, then taken again */
    assert_int_equal(l->ops->try_lead(l, "restart-leader", &lead, err), ODZ_EIO);
    assert_false(lead);
    assert_non_null(strstr(err, "connection lost"));
    fprintf(stderr, "leader after the restart: %s\n", err);
    assert_int_equal(l->ops->try_lead(l, "restart-leader", &lead, err), 0);
    assert_true(lead);
    assert_int_equal(l->ops->release(l, "restart-leader", err), 0);
    l->ops->close(l);
}

/* ---- leadership ---- */

static void leader_lock(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN];
    odz_leader *a = odz_leader_open(g_url, err), *b = odz_leader_open(g_url, err);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->ops->name, "postgres");
    bool la = false, lb = true;
    assert_int_equal(a->ops->try_lead(a, "scraper", &la, err), 0);
    assert_true(la);
    assert_int_equal(b->ops->try_lead(b, "scraper", &lb, err), 0);
    assert_false(lb);
    assert_int_equal(a->ops->try_lead(a, "scraper", &la, err), 0); /* still held */
    assert_true(la);
    assert_int_equal(b->ops->try_lead(b, "prices", &lb, err), 0); /* another name */
    assert_true(lb);
    assert_int_equal(a->ops->try_lead(a, "prices", &la, err), 0);
    assert_false(la);
    /* release hands it over */
    assert_int_equal(a->ops->release(a, "scraper", err), 0);
    assert_int_equal(a->ops->release(a, "scraper", err), 0); /* not held: no-op */
    assert_int_equal(b->ops->try_lead(b, "scraper", &lb, err), 0);
    assert_true(lb);
    assert_int_equal(a->ops->try_lead(a, "scraper", &la, err), 0);
    assert_false(la);
    /* closing the leader ends its session; the other one then gets it */
    b->ops->close(b);
    la = false;
    for (int i = 0; i < 200 && !la; i++) {
        assert_int_equal(a->ops->try_lead(a, "scraper", &la, err), 0);
        if (!la)
            usleep(10000);
    }
    assert_true(la);
    assert_int_equal(a->ops->release(a, "scraper", err), 0);
    char big[ODZ_KEY_MAX + 8];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(a->ops->try_lead(a, big, &la, err), ODZ_EINVAL);
    assert_false(la);
    a->ops->close(a);
    /* the leadership session runs no migrations: a database without the schema will do */
    assert_int_equal(create_db(g_mig_db), 0);
    char url[700];
    assert_int_equal(with_db(g_server, g_mig_db, url, sizeof url), 0);
    odz_leader *bare = odz_leader_open(url, err);
    assert_non_null(bare);
    assert_int_equal(bare->ops->try_lead(bare, "scraper", &la, err), 0);
    assert_true(la);
    assert_int_equal(admin(url, "SELECT count(*) FROM information_schema.tables WHERE "
                                "table_name IN ('meetings', 'schema_migrations')"),
                     0);
    bare->ops->close(bare);
    drop_db(g_mig_db);
    /* a server that is not there: a clear error at open */
    assert_null(odz_leader_open("postgresql://127.0.0.1:1/nothing?connect_timeout=2", err));
    assert_non_null(strstr(err, "cannot connect"));
    /* SQLite: one process owns the file, always leader */
    odz_leader *q = odz_leader_open(":memory:", err);
    assert_non_null(q);
    assert_int_equal(q->ops->try_lead(q, "scraper", &lb, err), 0);
    assert_true(lb);
    assert_int_equal(q->ops->release(q, "scraper", err), 0);
    q->ops->close(q);
}

/* ---- concurrent migrations ---- */

typedef struct {
    const char *url;
    pthread_barrier_t *go;
    odz_store *s;
    char err[ODZ_ERRLEN];
} opener;

static void *open_thread(void *arg)
{
    opener *o = arg;
    pthread_barrier_wait(o->go);
    o->s = odz_store_open(o->url, o->err);
    return NULL;
}

static void concurrent_migrations(void **st)
{
    (void)st;
    enum { N = 6 };
    char url[700];
    assert_int_equal(create_db(g_mig_db), 0);
    assert_int_equal(with_db(g_server, g_mig_db, url, sizeof url), 0);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    opener o[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        o[i] = (opener){.url = url, .go = &go};
        pthread_create(&th[i], NULL, open_thread, &o[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < N; i++) {
        if (!o[i].s)
            fprintf(stderr, "open %d: %s\n", i, o[i].err);
        assert_non_null(o[i].s);
        assert_int_equal(o[i].s->ops->schema_version(o[i].s), 4);
    }
    assert_int_equal(admin(url, "SELECT count(*) FROM schema_migrations"), 4);
    char err[ODZ_ERRLEN];
    odz_meeting m = meeting("mig", "2026-11-26", ODZ_GREYHOUND);
    assert_int_equal(o[0].s->ops->add_meeting(o[0].s, &m, err), 0);
    odz_meeting got;
    assert_int_equal(o[N - 1].s->ops->get_meeting(o[N - 1].s, m.id, &got, err), 0);
    for (int i = 0; i < N; i++)
        o[i].s->ops->close(o[i].s);
    drop_db(g_mig_db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_TESTS,
        cmocka_unit_test(open_migrate_and_errors),
        cmocka_unit_test_setup_teardown(pool_serves_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(leader_lock, setup, teardown),
        cmocka_unit_test(concurrent_migrations),
        cmocka_unit_test_setup_teardown(reconnect_after_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* Unit tests of obs/log: JSON lines parsed back, escaping, levels, correlation ids, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "obs/log.h"

static FILE *g_out;

static int setup(void **state)
{
    g_out = tmpfile();
    if (!g_out)
        return -1;
    odz_log_init("api", ODZ_LOG_DEBUG, 0, g_out);
    odz_log_set_corr(NULL);
    return 0;
}

static int teardown(void **state)
{
    odz_log_init("oddzy", ODZ_LOG_INFO, 0, stderr);
    odz_log_set_corr(NULL);
    fclose(g_out);
    g_out = NULL;
    return 0;
}

/* Everything written so far (pread: the writer's file offset stays where it is). Caller frees. */
static char *slurp(FILE *f, size_t *len)
{
    struct stat st;
    assert_int_equal(fstat(fileno(f), &st), 0);
    char *buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fileno(f), buf + got, (size_t)st.st_size - got, (off_t)got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}

/* Split into lines; each must end in \n. Returns count; lines point into buf. */
static size_t split_lines(char *buf, char **lines, size_t max)
{
    size_t n = 0;
    char *p = buf;
    while (*p) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl);
        *nl = '\0';
        if (n < max)
            lines[n] = p;
        n++;
        p = nl + 1;
    }
    return n;
}

static json_t *parse_line(const char *line)
{
    json_error_t e;
    json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        fail_msg("not JSON (%s): %s", e.text, line);
    assert_true(json_is_object(j));
    return j;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v))
        fail_msg("field %s missing or not a string", k);
    return json_string_value(v);
}

/* The only line written since setup, parsed. */
static json_t *only_line(void)
{
    char *buf = slurp(g_out, NULL);
    char *lines[4];
    assert_int_equal(split_lines(buf, lines, 4), 1);
    json_t *j = parse_line(lines[0]);
    free(buf);
    return j;
}

static void test_json_fields(void **state)
{
    odz_log_set_corr("abc123");
    odz_log_kv(ODZ_LOG_WARN, "scrape failed", "url", "http://x/y?a=1&b=2", "status", "500", NULL);
    json_t *j = only_line();

    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    assert_int_equal(regexec(&re, jstr(j, "ts"), 0, NULL, 0), 0);
    regfree(&re);
    assert_string_equal(jstr(j, "level"), "warn");
    assert_string_equal(jstr(j, "service"), "api");
    assert_string_equal(jstr(j, "msg"), "scrape failed");
    assert_string_equal(jstr(j, "correlation_id"), "abc123");
    assert_string_equal(jstr(j, "url"), "http://x/y?a=1&b=2");
    assert_string_equal(jstr(j, "status"), "500");
    assert_int_equal(json_object_size(j), 7);
    json_decref(j);
}

static void test_key_order_starts_with_ts(void **state)
{
    odz_log_kv(ODZ_LOG_INFO, "hello", NULL);
    char *buf = slurp(g_out, NULL);
    assert_true(strncmp(buf, "{\"ts\":\"", 7) == 0);
    assert_non_null(strstr(
        buf,
        "\"level\":\"info\",\"service\":\"api\",\"msg\":\"hello\",\"correlation_id\":\"\"}\n"));
    free(buf);
}

static void test_escaping(void **state)
{
    const char *nasty = "quote\" back\\slash\nnew\rret\ttab \x01\x1f\x7f end";
    const char *utf8 = "caf\xc3\xa9 \xf0\x9f\x8f\x87 \xe2\x82\xac"; /* café 🏇 € */
    const char *bad = "a\xff"
                      "b\xc3"
                      "c\xe2\x82"
                      "d\xed\xa0\x80"
                      "e\xc0\xaf"; /* invalid */
    odz_log_kv(ODZ_LOG_INFO, nasty, "k\"ey\n", nasty, "utf8", utf8, "bad", bad, NULL);
    char *buf = slurp(g_out, NULL);
    /* one physical line: the newline in the data must be escaped */
    assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
    for (const unsigned char *p = (const unsigned char *)buf; *p != '\n'; p++)
        assert_true(*p >= 0x20 && *p != 0x7f);
    free(buf);

    json_t *j = only_line();
    assert_string_equal(jstr(j, "msg"), nasty);
    assert_string_equal(jstr(j, "k\"ey\n"), nasty);
    assert_string_equal(jstr(j, "utf8"), utf8);
    const char *rb = jstr(j, "bad"); /* every bad byte sequence becomes U+FFFD, rest kept */
    assert_non_null(strstr(rb, "\xef\xbf\xbd"));
    assert_int_equal(rb[0], 'a');
    assert_non_null(strchr(rb, 'b'));
    assert_non_null(strchr(rb, 'e'));
    assert_null(strchr(rb, '\xff'));
    json_decref(j);
}

static void test_standard_keys_not_repeated(void **state)
{
    odz_log_kv(ODZ_LOG_INFO, "real", "msg", "fake", "level", "debug", "ts", "x", NULL);
    json_t *j = only_line(); /* parse_line rejects duplicate keys */
    assert_string_equal(jstr(j, "msg"), "real");
    assert_string_equal(jstr(j, "_msg"), "fake");
    assert_string_equal(jstr(j, "level"), "info");
    assert_string_equal(jstr(j, "_level"), "debug");
    assert_string_equal(jstr(j, "_ts"), "x");
    json_decref(j);
}

static void test_null_value(void **state)
{
    odz_log_kv(ODZ_LOG_ERROR, "x", "a", NULL, NULL);
    json_t *j = only_line();
    assert_true(json_is_null(json_object_get(j, "a")));
    assert_string_equal(jstr(j, "level"), "error");
    json_decref(j);
}

/* A kept secret never reaches a line: not in the message, a value or a formatted line, even
 * beside text that the JSON escapes; other text is untouched. */
static void test_secrets_hidden(void **state)
{
    (void)state;
    assert_int_equal(odz_log_add_secret("abc"), ODZ_EINVAL); /* too short to hide */
    assert_int_equal(odz_log_add_secret(NULL), ODZ_EINVAL);
    assert_int_equal(odz_log_add_secret("s3cr\"et-Token"), 0);
    assert_int_equal(odz_log_add_secret("s3cr\"et-Token"), 0); /* again: kept once */
    odz_log_kv(ODZ_LOG_WARN, "sent Bearer s3cr\"et-Token", "header",
               "Authorization: Bearer s3cr\"et-Token\n", "other", "s3cr\"et-Tok", NULL);
    odz_logf(ODZ_LOG_INFO, "key=%s;", "s3cr\"et-Tokens3cr\"et-Token");
    char *buf = slurp(g_out, NULL);
    assert_null(strstr(buf, "et-Token"));
    char *lines[4];
    assert_int_equal(split_lines(buf, lines, 4), 2);
    json_t *j = parse_line(lines[0]);
    assert_string_equal(jstr(j, "msg"), "sent Bearer ***");
    assert_string_equal(jstr(j, "header"), "Authorization: Bearer ***\n");
    assert_string_equal(jstr(j, "other"), "s3cr\"et-Tok"); /* not the secret */
    json_decref(j);
    j = parse_line(lines[1]);
    assert_string_equal(jstr(j, "msg"), "key=******;");
    json_decref(j);
    free(buf);
    for (int i = 0; i < ODZ_LOG_SECRETS_MAX; i++) {
        char one[32];
        snprintf(one, sizeof one, "secret-number-%d", i);
        int rc = odz_log_add_secret(one);
        assert_true(rc == 0 || (rc == ODZ_EFULL && i > 0));
    }
    assert_int_equal(odz_log_add_secret("one-too-many"), ODZ_EFULL);
}

static void test_level_filter(void **state)
{
    odz_log_init(NULL, ODZ_LOG_WARN, 0, g_out);
    assert_false(odz_log_enabled(ODZ_LOG_DEBUG));
    assert_false(odz_log_enabled(ODZ_LOG_INFO));
    assert_true(odz_log_enabled(ODZ_LOG_WARN));
    assert_true(odz_log_enabled(ODZ_LOG_ERROR));
    odz_log_kv(ODZ_LOG_DEBUG, "d", NULL);
    odz_log_kv(ODZ_LOG_INFO, "i", NULL);
    ODZ_LOG_INFOF("i %d", 2);
    odz_log_kv(ODZ_LOG_WARN, "w", NULL);
    ODZ_LOG_ERRORF("e %s", "x");
    char *buf = slurp(g_out, NULL);
    char *lines[8];
    assert_int_equal(split_lines(buf, lines, 8), 2);
    json_t *a = parse_line(lines[0]), *b = parse_line(lines[1]);
    assert_string_equal(jstr(a, "msg"), "w");
    assert_string_equal(jstr(b, "msg"), "e x");
    assert_string_equal(jstr(b, "level"), "error");
    json_decref(a);
    json_decref(b);
    free(buf);
}

static void test_level_parse(void **state)
{
    int l = -1;
    assert_int_equal(odz_log_level_parse("debug", &l), 0);
    assert_int_equal(l, ODZ_LOG_DEBUG);
    assert_int_equal(odz_log_level_parse("INFO", &l), 0);
    assert_int_equal(l, ODZ_LOG_INFO);
    assert_int_equal(odz_log_level_parse("warn", &l), 0);
    assert_int_equal(l, ODZ_LOG_WARN);
    assert_int_equal(odz_log_level_parse("warning", &l), 0);
    assert_int_equal(l, ODZ_LOG_WARN);
    assert_int_equal(odz_log_level_parse("error", &l), 0);
    assert_int_equal(l, ODZ_LOG_ERROR);
    l = 42;
    assert_int_equal(odz_log_level_parse("verbose", &l), ODZ_EINVAL);
    assert_int_equal(odz_log_level_parse("", &l), ODZ_EINVAL);
    assert_int_equal(odz_log_level_parse(NULL, &l), ODZ_EINVAL);
    assert_int_equal(l, 42);
    assert_string_equal(odz_log_level_name(ODZ_LOG_ERROR), "error");
}

static void test_formatted(void **state)
{
    ODZ_LOG_INFOF("%d races at \"%s\"", 8, "Flemington");
    ODZ_LOG_DEBUGF("plain");
    char *buf = slurp(g_out, NULL);
    char *lines[4];
    assert_int_equal(split_lines(buf, lines, 4), 2);
    json_t *a = parse_line(lines[0]), *b = parse_line(lines[1]);
    assert_string_equal(jstr(a, "msg"), "8 races at \"Flemington\"");
    assert_string_equal(jstr(b, "level"), "debug");
    assert_string_equal(jstr(b, "msg"), "plain");
    json_decref(a);
    json_decref(b);
    free(buf);
}

typedef struct {
    const char *corr; /* NULL: the thread sets none */
    char seen[ODZ_LOG_CORR_MAX + 1];
} corr_arg;

static void *corr_thread(void *p)
{
    corr_arg *a = p;
    if (a->corr)
        odz_log_set_corr(a->corr);
    odz_log_kv(ODZ_LOG_INFO, "from thread", "who", a->corr ? a->corr : "none", NULL);
    snprintf(a->seen, sizeof a->seen, "%s", odz_log_corr());
    return NULL;
}

static void test_corr_per_thread(void **state)
{
    assert_string_equal(odz_log_corr(), "");
    odz_log_set_corr("main-1");
    corr_arg a = {.corr = "thread-2"}, b = {.corr = NULL};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, corr_thread, &a), 0);
    assert_int_equal(pthread_join(ta, NULL), 0);
    assert_int_equal(pthread_create(&tb, NULL, corr_thread, &b), 0);
    assert_int_equal(pthread_join(tb, NULL), 0);
    odz_log_kv(ODZ_LOG_INFO, "from main", NULL);

    assert_string_equal(a.seen, "thread-2");
    assert_string_equal(b.seen, "");
    assert_string_equal(odz_log_corr(), "main-1");

    char *buf = slurp(g_out, NULL);
    char *lines[4];
    assert_int_equal(split_lines(buf, lines, 4), 3);
    json_t *j0 = parse_line(lines[0]), *j1 = parse_line(lines[1]), *j2 = parse_line(lines[2]);
    assert_string_equal(jstr(j0, "correlation_id"), "thread-2");
    assert_string_equal(jstr(j1, "correlation_id"), "");
    assert_string_equal(jstr(j2, "correlation_id"), "main-1");
    json_decref(j0);
    json_decref(j1);
    json_decref(j2);
    free(buf);

    /* bounded copy */
    char longid[200];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    odz_log_set_corr(longid);
    assert_int_equal(strlen(odz_log_corr()), ODZ_LOG_CORR_MAX);
    odz_log_set_corr("");
    assert_string_equal(odz_log_corr(), "");
}

/* getrandom of this executable (the library code calls it through the PLT): counted, then
 * the kernel's. */
static atomic_int g_getrandom_calls;
ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
    atomic_fetch_add(&g_getrandom_calls, 1);
    return syscall(SYS_getrandom, buf, len, flags);
}

#define IDS_PER_THREAD 20000
#define ID_THREADS 4

static void *make_ids(void *p)
{
    char(*ids)[33] = p;
    for (int i = 0; i < IDS_PER_THREAD; i++)
        odz_corr_new(ids[i]);
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, 33);
}

static void test_corr_new(void **state)
{
    char a[33], b[33];
    odz_corr_new(a);
    odz_corr_new(b);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);

    /* no system call per id: a thread asks the kernel once, however many ids it makes */
    int calls0 = atomic_load(&g_getrandom_calls);
    char(*ids)[33] = malloc(sizeof(*ids) * IDS_PER_THREAD * (ID_THREADS + 1));
    assert_non_null(ids);
    pthread_t th[ID_THREADS];
    for (int t = 0; t < ID_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, make_ids, ids + t * IDS_PER_THREAD), 0);
    for (int t = 0; t < ID_THREADS; t++)
        pthread_join(th[t], NULL);
    make_ids(ids + ID_THREADS * IDS_PER_THREAD); /* this thread: seeded already */
    assert_true(atomic_load(&g_getrandom_calls) - calls0 <= ID_THREADS);
    /* unique across threads */
    size_t n = (size_t)IDS_PER_THREAD * (ID_THREADS + 1);
    qsort(ids, n, sizeof(*ids), cmp_id);
    for (size_t i = 1; i < n; i++)
        if (!memcmp(ids[i - 1], ids[i], 33))
            fail_msg("duplicate correlation id %s", ids[i]);
    free(ids);

    /* a forked child does not repeat its parent's next ids */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c[33];
        odz_corr_new(c);
        ssize_t w = write(pfd[1], c, 33);
        _exit(w == 33 ? 0 : 1);
    }
    close(pfd[1]);
    char child[33] = "";
    assert_int_equal(read(pfd[0], child, 33), 33);
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    odz_corr_new(a);
    assert_string_not_equal(a, child);
}

static void test_text_format(void **state)
{
    odz_log_init("scraper", ODZ_LOG_INFO, 1, g_out);
    odz_log_set_corr("c0ffee");
    odz_log_kv(ODZ_LOG_INFO, "polled", "race", "R7", "title", "Cup Day", "empty", "", "nl", "a\nb",
               NULL);
    char *buf = slurp(g_out, NULL);
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} INFO  scraper  polled "
                             "corr=c0ffee race=R7 title=\"Cup Day\" empty=\"\" nl=\"a\\\\nb\"\n$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    if (regexec(&re, buf, 0, NULL, 0) != 0)
        fail_msg("unexpected text line: %s", buf);
    regfree(&re);
    free(buf);
}

static void test_truncation(void **state)
{
    size_t big = 3 * ODZ_LOG_LINE_MAX;
    char *v = malloc(big + 1);
    assert_non_null(v);
    for (size_t i = 0; i < big; i++)
        v[i] = (char)(i % 7 == 0 ? '"' : 'a' + (char)(i % 26)); /* escapes grow it */
    v[big] = '\0';
    odz_log_kv(ODZ_LOG_INFO, "big", "first", "1", "big", v, "after", "never", NULL);
    size_t len;
    char *buf = slurp(g_out, &len);
    assert_true(len <= ODZ_LOG_LINE_MAX);
    json_t *j = only_line();
    assert_true(json_is_true(json_object_get(j, "truncated")));
    assert_string_equal(jstr(j, "first"), "1");
    assert_true(strlen(jstr(j, "big")) > ODZ_LOG_LINE_MAX / 2);
    assert_null(json_object_get(j, "after"));
    json_decref(j);
    free(buf);
    free(v);
}

static void test_service_and_reinit(void **state)
{
    char longname[300];
    memset(longname, 's', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    odz_log_set_service(longname);
    odz_log_kv(ODZ_LOG_INFO, "one", NULL);
    FILE *other = tmpfile();
    assert_non_null(other);
    odz_log_init("feed", ODZ_LOG_INFO, 0, other);
    odz_log_kv(ODZ_LOG_INFO, "two", NULL);
    odz_log_init("feed", ODZ_LOG_INFO, 0, g_out);

    json_t *j = only_line();
    assert_int_equal(strlen(jstr(j, "service")), ODZ_LOG_SERVICE_MAX - 1);
    json_decref(j);
    char *buf = slurp(other, NULL);
    j = parse_line(buf);
    assert_string_equal(jstr(j, "service"), "feed");
    assert_string_equal(jstr(j, "msg"), "two");
    json_decref(j);
    free(buf);
    fclose(other);
}

#define NTHREADS 8
#define NLINES 1500

static void *spam_thread(void *p)
{
    char id[8], pad[6001], n[16];
    snprintf(id, sizeof id, "t%d", (int)(intptr_t)p);
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0'; /* lines above PIPE_BUF still arrive whole */
    odz_log_set_corr(id);
    for (int i = 0; i < NLINES; i++) {
        snprintf(n, sizeof n, "%d", i);
        odz_log_kv(ODZ_LOG_INFO, "spam", "thread", id, "i", n, "pad", i % 10 ? "" : pad, NULL);
    }
    return NULL;
}

static void test_concurrent_lines(void **state)
{
    pthread_t t[NTHREADS];
    for (intptr_t i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, spam_thread, (void *)i), 0);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);

    char *buf = slurp(g_out, NULL);
    char **lines = malloc(NTHREADS * NLINES * sizeof *lines);
    assert_non_null(lines);
    assert_int_equal(split_lines(buf, lines, NTHREADS * NLINES), NTHREADS * NLINES);
    int next[NTHREADS] = {0};
    for (size_t k = 0; k < NTHREADS * NLINES; k++) {
        json_t *j = parse_line(lines[k]);
        const char *th = jstr(j, "thread");
        int ti = th[1] - '0';
        assert_string_equal(jstr(j, "correlation_id"), th);
        /* each thread's lines appear in its own order */
        assert_int_equal(strtol(jstr(j, "i"), NULL, 10), next[ti]);
        next[ti]++;
        json_decref(j);
    }
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(next[i], NLINES);
    free(lines);
    free(buf);
}

static void test_redact_url(void **state)
{
    (void)state;
    char out[128];
    odz_log_redact_url("postgres://oddzy:s3cret@db:5432/oddzy?sslmode=require", out, sizeof out);
    assert_string_equal(out, "postgres://oddzy:***@db:5432/oddzy?sslmode=require");
    odz_log_redact_url("postgres://oddzy@127.0.0.1:5432/oddzy", out, sizeof out);
    assert_string_equal(out, "postgres://oddzy@127.0.0.1:5432/oddzy");
    odz_log_redact_url("var/oddzy.db", out, sizeof out);
    assert_string_equal(out, "var/oddzy.db");
    odz_log_redact_url("nats://a:b@h:4222", out, sizeof out);
    assert_string_equal(out, "nats://a:***@h:4222");
    odz_log_redact_url("http://h/path:x@y", out, sizeof out); /* no userinfo before the path */
    assert_string_equal(out, "http://h/path:x@y");
    odz_log_redact_url(NULL, out, sizeof out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_url),
        cmocka_unit_test_setup_teardown(test_json_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_hidden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_order_starts_with_ts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_standard_keys_not_repeated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test_setup_teardown(test_formatted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corr_per_thread, setup, teardown),
        cmocka_unit_test(test_corr_new),
        cmocka_unit_test_setup_teardown(test_text_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_and_reinit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_lines, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

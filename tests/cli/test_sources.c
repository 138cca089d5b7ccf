/* --sources as scraper configurations (src/cli/sources.c): the entain sources of a file form one
 * group sharing ids, ranked with the one marked shared_owner first, then in the file's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/sources.h"
#include "core/err.h"
#include "scraper/share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static odz_source src[ODZ_PROVIDERS_MAX];

/* Load the YAML text through a file; *n sources. */
static int load(const char *yaml, size_t *n)
{
    char path[] = "/tmp/oddzy-sources.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    odz_scraper_config base = {
        .rate = 1, .timeout_ms = 1000, .schedule_interval_s = 60, .max_inflight = 2};
    memset(src, 0, sizeof src);
    int rc = odz_sources_load(path, &base, src, n);
    unlink(path);
    return rc;
}

static void entain_sources_share(void **st)
{
    (void)st;
    size_t n = 0;
    assert_int_equal(load("sources:\n"
                          "  - name: odds\n    format: oddscomau\n    url: http://127.0.0.1:1\n"
                          "  - name: ladbrokes\n"
                          "  - name: neds\n"
                          "  - name: tab-nz\n    shared_owner: true\n",
                          &n),
                     0);
    assert_int_equal(n, 4);
    assert_null(src[0].cfg.share); /* another format: not in the group */
    assert_non_null(src[1].cfg.share);
    assert_ptr_equal(src[1].cfg.share, src[2].cfg.share);
    assert_ptr_equal(src[1].cfg.share, src[3].cfg.share);
    assert_int_equal(src[3].cfg.share_rank, 0); /* marked: first choice */
    assert_int_equal(src[1].cfg.share_rank, 1); /* then the file's order */
    assert_int_equal(src[2].cfg.share_rank, 2);
    /* one entain source alone shares with nobody */
    assert_int_equal(load("sources:\n  - name: neds\n", &n), 0);
    assert_int_equal(n, 1);
    assert_null(src[0].cfg.share);
}

/* The secret goes out as one more header of every request. */
/* The same rule for configurations without a file (`oddzy run`'s simulated bookmakers): the
 * entain-format ones in the order given, no owner marked. */
static void group_of_configs(void **st)
{
    (void)st;
    odz_scraper_config c[4] = {{.format = "entain"},
                               {.format = "oddscomau"},
                               {.format = "entain", .provider = "ladbrokes"},
                               {.format = "entain", .provider = "neds"}};
    odz_scraper_config *p[4] = {&c[0], &c[1], &c[2], &c[3]};
    odz_share g;
    assert_int_equal(odz_sources_group(&g, p, NULL, 4), 3);
    assert_ptr_equal(c[0].share, &g);
    assert_null(c[1].share);
    assert_ptr_equal(c[2].share, &g);
    assert_ptr_equal(c[3].share, &g);
    assert_int_equal(c[0].share_rank, 0);
    assert_int_equal(c[2].share_rank, 1);
    assert_int_equal(c[3].share_rank, 2);
    odz_share_destroy(&g);
    /* one entain configuration shares with nobody */
    odz_scraper_config one[2] = {{.format = "entain"}, {.format = "oddscomau"}};
    odz_scraper_config *q[2] = {&one[0], &one[1]};
    assert_int_equal(odz_sources_group(&g, q, NULL, 2), 0);
    assert_null(one[0].share);
}

static void secret_header_line(void **st)
{
    (void)st;
    size_t n = 0;
    setenv("ODDZY_TEST_SOURCES_KEY", "k3y-value-1", 1);
    assert_int_equal(load("sources:\n  - name: neds\n    secret_env: ODDZY_TEST_SOURCES_KEY\n"
                          "    secret_header: X-Api-Key\n    partner: Oddzy\n",
                          &n),
                     0);
    assert_int_equal(src[0].cfg.n_headers, 2);
    assert_string_equal(src[0].cfg.headers[0], "X-Partner: Oddzy");
    assert_string_equal(src[0].cfg.headers[1], "X-Api-Key: k3y-value-1");
    setenv("ODDZY_TEST_SOURCES_KEY", "abc", 1); /* too short to keep out of the logs */
    assert_int_equal(load("sources:\n  - name: neds\n    secret_env: ODDZY_TEST_SOURCES_KEY\n", &n),
                     ODZ_EINVAL);
    unsetenv("ODDZY_TEST_SOURCES_KEY");
    assert_int_equal(load("sources:\n  - name: neds\n    secret_env: ODDZY_TEST_SOURCES_KEY\n", &n),
                     ODZ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entain_sources_share),
        cmocka_unit_test(secret_header_line),
        cmocka_unit_test(group_of_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

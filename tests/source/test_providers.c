/* source/providers: presets of the Entain brands, the YAML configuration of several sources,
 * identification headers, secrets from the environment or a file, and bad configurations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "source/providers.h"

static void presets(void **state)
{
    (void)state;
    odz_provider p;
    assert_int_equal(odz_provider_preset("tab-nz", &p), 0);
    assert_string_equal(p.name, "tab-nz");
    assert_string_equal(p.format, "entain");
    assert_string_equal(p.base_url, "https://api.tab.co.nz");
    assert_true(p.rate == 1);
    assert_int_equal(p.timeout_ms, 10000);
    assert_int_equal(odz_provider_validate(&p, NULL, 0), 0);
    assert_int_equal(odz_provider_preset("ladbrokes", &p), 0);
    assert_string_equal(p.base_url, "https://api.ladbrokes.com.au");
    assert_int_equal(odz_provider_preset("neds", &p), 0);
    assert_string_equal(p.base_url, "https://api.neds.com.au");
    assert_int_equal(odz_provider_preset("sportsbet", &p), ODZ_ENOTFOUND);
    assert_int_equal(odz_provider_preset(NULL, &p), ODZ_ENOTFOUND);
}

static int parse(const char *yaml, odz_provider *out, size_t max, size_t *n, char *err)
{
    return odz_providers_parse(yaml, strlen(yaml), out, max, n, err, ODZ_ERRLEN);
}

static void several_sources(void **state)
{
    (void)state;
    odz_provider p[ODZ_PROVIDERS_MAX];
    size_t n = 0;
    char err[ODZ_ERRLEN] = "";
    const char *yaml = "# the Entain brands and a source of our own\n"
                       "sources:\n"
                       "  - name: tab-nz\n"
                       "    partner: Oddzy Racing\n"
                       "    partner_id: oddzy-1\n"
                       "    from: ops@example.com\n"
                       "  - name: neds\n"
                       "    rate: 0.5\n"
                       "  - name: mybook\n"
                       "    format: oddscomau\n"
                       "    url: http://127.0.0.1:8090\n"
                       "    rate: 20\n"
                       "    timeout_ms: 2500\n"
                       "    secret_env: MYBOOK_TOKEN\n";
    assert_int_equal(parse(yaml, p, ODZ_PROVIDERS_MAX, &n, err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].base_url, "https://api.tab.co.nz");
    assert_string_equal(p[0].partner, "Oddzy Racing");
    assert_string_equal(p[1].name, "neds");
    assert_true(p[1].rate == 0.5);
    assert_string_equal(p[2].format, "oddscomau");
    assert_string_equal(p[2].base_url, "http://127.0.0.1:8090");
    assert_int_equal(p[2].timeout_ms, 2500);

    char h[4][ODZ_PROVIDER_TEXT_MAX + 16];
    size_t nh = 0;
    assert_int_equal(odz_provider_headers(&p[0], h, 4, &nh), 0);
    assert_int_equal(nh, 3);
    assert_string_equal(h[0], "From: ops@example.com");
    assert_string_equal(h[1], "X-Partner: Oddzy Racing");
    assert_string_equal(h[2], "X-Partner-ID: oddzy-1");
    assert_int_equal(odz_provider_headers(&p[1], h, 4, &nh), 0);
    assert_int_equal(nh, 0);
}

/* Each bad configuration: refused with the line and the reason, nothing kept. */
static void bad_configurations(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"", "empty"},
        {"sources: [", "line"},
        {"- a\n- b\n", "mapping"},
        {"sources: {}\n", "list"},
        {"sources: []\n", "no sources"},
        {"other: 1\nsources: []\n", "only 'sources'"},
        {"sources:\n  - rate: 1\n", "needs a name"},
        {"sources:\n  - name: mybook\n", "format"},
        {"sources:\n  - name: mybook\n    format: entain\n", "url"},
        {"sources:\n  - name: mybook\n    format: entain\n    url: ftp://x.example\n", "url"},
        {"sources:\n  - name: mybook\n    format: entain\n    url: https://x.example/\n", "slash"},
        {"sources:\n  - name: MyBook\n    format: entain\n    url: https://x.example\n", "a-z"},
        {"sources:\n  - name: neds\n    rate: 0\n", "rate"},
        {"sources:\n  - name: neds\n    rate: lots\n", "rate"},
        {"sources:\n  - name: neds\n    timeout_ms: 5\n", "timeout_ms"},
        {"sources:\n  - name: neds\n    from: not-an-address\n", "e-mail"},
        {"sources:\n  - name: neds\n    partner: \"a\\r\\nX-Evil: 1\"\n", "control"},
        {"sources:\n  - name: neds\n    password: hunter2\n", "secret_env"},
        {"sources:\n  - name: neds\n    colour: blue\n", "unknown key 'colour'"},
        {"sources:\n  - name: neds\n  - name: neds\n", "twice"},
        {"sources:\n  - name: neds\n    secret_env: lower\n", "variable"},
        {"sources:\n  - name: neds\n    secret_header: X-Api-Key\n", "needs secret_env"},
        {"sources:\n  - name: neds\n    shared_owner: yes\n", "true or false"},
        {"sources:\n  - name: neds\n    shared_owner: true\n  - name: tab-nz\n    shared_owner: "
         "true\n",
         "one source at most"},
        {"sources:\n  - name: odds\n    format: oddscomau\n    url: https://x.example\n"
         "    shared_owner: true\n",
         "entain format"},
        {"sources:\n  - name: neds\n    secret_env: T\n    secret_header: \"X-Key: 1\"\n",
         "header name"},
        {"sources:\n  - name: neds\n    partner: [a, b]\n", "single value"},
        {"sources:\n  - just-a-word\n", "mapping"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        odz_provider p[2];
        size_t n = 99;
        char err[ODZ_ERRLEN] = "";
        assert_int_equal(parse(cases[i].yaml, p, 2, &n, err), ODZ_EINVAL);
        assert_int_equal(n, 0);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: error '%s' does not say '%s'", i, err, cases[i].want);
    }
    /* more sources than room */
    odz_provider one[1];
    size_t n = 0;
    char err[ODZ_ERRLEN];
    assert_int_equal(parse("sources:\n  - name: neds\n  - name: tab-nz\n", one, 1, &n, err),
                     ODZ_EINVAL);
    assert_non_null(strstr(err, "more than 1"));
    /* too large */
    size_t big = ODZ_PROVIDER_FILE_MAX + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, '#', big);
    assert_int_equal(odz_providers_parse(huge, big, one, 1, &n, err, sizeof err), ODZ_EINVAL);
    free(huge);
}

static void from_file_and_secrets(void **state)
{
    (void)state;
    char dir[] = "/tmp/oddzy-providers.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char conf[128], secret[128];
    snprintf(conf, sizeof conf, "%s/sources.yaml", dir);
    snprintf(secret, sizeof secret, "%s/token", dir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "sources:\n  - name: ladbrokes\n    secret_file: %s\n  - name: neds\n"
            "    secret_env: ODDZY_TEST_NEDS_TOKEN\n    secret_header: X-Api-Key\n",
            secret);
    fclose(f);
    odz_provider p[4];
    size_t n = 0;
    char err[ODZ_ERRLEN] = "", out[ODZ_PROVIDER_SECRET_MAX + 1];
    assert_int_equal(odz_providers_load(conf, p, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);

    /* the file is missing, then holds the token */
    assert_int_equal(odz_provider_secret(&p[0], out, sizeof out, err, sizeof err), ODZ_ENOTFOUND);
    f = fopen(secret, "w");
    assert_non_null(f);
    fputs("s3cr3t-token\n", f);
    fclose(f);
    assert_int_equal(odz_provider_secret(&p[0], out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "s3cr3t-token");
    /* two lines: refused, and the error does not show it */
    f = fopen(secret, "w");
    fputs("s3cr3t\nmore\n", f);
    fclose(f);
    assert_int_equal(odz_provider_secret(&p[0], out, sizeof out, err, sizeof err), ODZ_EINVAL);
    assert_null(strstr(err, "s3cr3t"));
    assert_string_equal(out, "");

    unsetenv("ODDZY_TEST_NEDS_TOKEN");
    assert_int_equal(odz_provider_secret(&p[1], out, sizeof out, err, sizeof err), ODZ_ENOTFOUND);
    assert_non_null(strstr(err, "ODDZY_TEST_NEDS_TOKEN is not set"));
    setenv("ODDZY_TEST_NEDS_TOKEN", "abc123", 1);
    assert_int_equal(odz_provider_secret(&p[1], out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "abc123");
    unsetenv("ODDZY_TEST_NEDS_TOKEN");
    /* how each sends it: its own header, or Authorization: Bearer */
    char line[ODZ_PROVIDER_SECRET_MAX + 96];
    assert_int_equal(odz_provider_secret_line(&p[1], "abc123", line, sizeof line), 0);
    assert_string_equal(line, "X-Api-Key: abc123");
    assert_int_equal(odz_provider_secret_line(&p[0], "s3cr3t-token", line, sizeof line), 0);
    assert_string_equal(line, "Authorization: Bearer s3cr3t-token");
    assert_int_equal(odz_provider_secret_line(&p[0], "s3cr3t-token", line, 20), ODZ_EINVAL);
    /* none configured */
    odz_provider plain;
    odz_provider_preset("tab-nz", &plain);
    assert_int_equal(odz_provider_secret(&plain, out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "");

    /* a missing configuration file */
    assert_int_equal(odz_providers_load("/nonexistent/sources.yaml", p, 4, &n, err, sizeof err),
                     ODZ_ENOTFOUND);
    assert_non_null(strstr(err, "/nonexistent/sources.yaml"));
    unlink(secret);
    unlink(conf);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(presets),
        cmocka_unit_test(several_sources),
        cmocka_unit_test(bad_configurations),
        cmocka_unit_test(from_file_and_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

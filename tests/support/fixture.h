/* Shared by the tests that read recorded source responses (include after cmocka.h): the
 * files are in tests/fixtures/ of this repository (see its README); the tests run from the
 * repository root. ODDZY_FIXTURES points elsewhere when set. */
#ifndef ODZ_TEST_FIXTURE_H
#define ODZ_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#define ODZ_TEST_FIXTURES_DEFAULT "tests/fixtures"

/* Path of fixture `rel` ("entain/meetings-list-response.json") into buf. */
static inline const char *fixture_path(const char *rel, char *buf, size_t n)
{
    const char *dir = getenv("ODDZY_FIXTURES");
    snprintf(buf, n, "%s/%s", dir && *dir ? dir : ODZ_TEST_FIXTURES_DEFAULT, rel);
    return buf;
}

/* The whole file, NUL-terminated (free it); fails the test when it cannot be read. */
static inline char *fixture_slurp(const char *rel, size_t *len)
{
    char path[512];
    fixture_path(rel, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s (run from the repository root, or set ODDZY_FIXTURES)",
                 path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

#endif

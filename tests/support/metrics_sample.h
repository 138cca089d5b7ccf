/* Shared by the metrics tests (include after cmocka.h): a sample's value from a fresh render of
 * the registry, and a teardown that empties the registry between tests. */
#ifndef ODZ_TEST_METRICS_SAMPLE_H
#define ODZ_TEST_METRICS_SAMPLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/metrics.h"

static int metrics_teardown(void **state)
{
    (void)state;
    odz_metrics_free_all();
    return 0;
}

/* Value of sample `series` (name or name{labels}) in a fresh render, -1 when absent. */
static double metrics_sample(const char *series)
{
    char *t = NULL;
    size_t len = 0;
    assert_int_equal(odz_metrics_render(&t, &len), 0);
    char needle[256];
    snprintf(needle, sizeof needle, "\n%s ", series);
    const char *p = strstr(t, needle);
    double v = p ? strtod(p + strlen(needle), NULL) : -1;
    free(t);
    return v;
}

#endif

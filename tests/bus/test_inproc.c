/* The bus contract on the in-process bus. */
#include "bus_cases.h"

static odz_bus *open_bus(void)
{
    char err[ODZ_ERRLEN];
    odz_bus *b = odz_bus_open("inproc", err, sizeof err);
    assert_null(odz_bus_open("carrier-pigeon://x", err, sizeof err));
    return b;
}

int main(void)
{
    const struct CMUnitTest tests[] = {BUS_TESTS};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

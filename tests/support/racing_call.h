/* Shared by the tests of the racing service over the bus (include after cmocka.h). */
#ifndef ODZ_TEST_RACING_CALL_H
#define ODZ_TEST_RACING_CALL_H

#include "core/err.h"
#include "racing/racing.h"

/* Call racing.<op> with `req` (taken: decref'd here; NULL = {}) and return its data (caller
 * decrefs); any error fails the test with its words. */
static inline json_t *racing_ok(odz_bus *bus, const char *op, json_t *req)
{
    json_t *data = NULL;
    char err[ODZ_ERRLEN] = "";
    int rc = odz_racing_call(bus, op, req, 5000, &data, err);
    if (rc)
        fail_msg("%s: %d %s", op, rc, err);
    json_decref(req);
    return data;
}

/* A racing service over an in-process bus and a SQLite store in memory; 0, or -1 when it did
 * not start. racing_env_close stops and frees what racing_env_open made. */
static inline int racing_env_open(odz_bus **bus, odz_store **store, odz_racing **svc)
{
    char err[ODZ_ERRLEN];
    *bus = odz_bus_inproc_new();
    *store = odz_store_sqlite_open(":memory:", err);
    *svc = *bus && *store ? odz_racing_start(*bus, *store, NULL, err) : NULL;
    return *svc ? 0 : -1;
}

static inline void racing_env_close(odz_bus *bus, odz_store *store, odz_racing *svc)
{
    odz_racing_stop(svc);
    if (bus)
        odz_bus_close(bus);
    if (store)
        store->ops->close(store);
}

#endif

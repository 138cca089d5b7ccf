/* Internal to src/racing: the racing service's state and one request in hand, shared by
 * service.c (requests, events, in-process batches) and service_views.c (the composite views). */
#ifndef ODZ_RACING_SERVICE_INTERNAL_H
#define ODZ_RACING_SERVICE_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "obs/metrics.h"
#include "racing/matcher.h"
#include "racing/matching.h"
#include "racing/racing.h"
#include "racing/store_metrics.h"

struct odz_racing {
    odz_bus *bus;
    odz_store *store;
    char tz[64];
    int64_t sub_req, sub_prices;
    odz_metric *m_refused;
    odz_matching *matching; /* exchange markets onto other sources' races (matching.h) */
    odz_matcher *matcher;   /* the odds matcher's incremental state (racing/matcher.h) */
    /* One request or in-process batch at a time, its write and its events together, so events
     * leave in commit order (as when every batch was a request on the one delivery thread). */
    pthread_mutex_t apply;
    int users;   /* in-process senders inside odz_racing_upsert (under local_lock) */
    bool listed; /* in `local` */
};

typedef struct {
    odz_racing *r;
    const json_t *req;
    json_t *data;   /* reply data (new reference) */
    odz_changes ch; /* what to publish after the reply */
    char err[ODZ_ERRLEN];
} call;

typedef int (*op_fn)(call *c);

typedef int (*op_fn)(call *c);

#define ST(c) ((c)->r->store)
/* Every store call goes through SOP: timed into oddzy_store_op_seconds{op}. */
#define SOP(c, op, ...) ODZ_STORE_CALL(ST(c), op, __VA_ARGS__)

/* Request fields: 0, or ODZ_EINVAL with words in c->err. */
int odz_racing__req_id(call *c, const char *k, int64_t *out); /* > 0 */
int odz_racing__req_int_opt(call *c, const char *k, int64_t def, int64_t lo, int64_t hi,
                            int64_t *out);                          /* absent: def */
int odz_racing__req_date(call *c, const char *k, const char **out); /* YYYY-MM-DD */
int odz_racing__req_type(call *c, int *type);                       /* absent: -1 */
/* A JSON array of the races (new reference; NULL when out of memory). */
json_t *odz_racing__races_json(const odz_races *rs);

/* The composite views (service_views.c): racecard, schedule, next_races, flucs. */
int odz_racing__op_racecard(call *c);
int odz_racing__op_schedule(call *c);
int odz_racing__op_next_races(call *c);
int odz_racing__op_flucs(call *c);

#endif

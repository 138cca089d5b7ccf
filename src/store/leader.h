/* Leadership among processes sharing a database (one active scraper, the others on standby),
 * apart from the store: a PostgreSQL leader is one plain libpq session holding session
 * advisory locks, with no pool and no migrations; anything else (a SQLite file, owned by one
 * process) is always the leader. */
#ifndef ODZ_LEADER_H
#define ODZ_LEADER_H

#include <stdbool.h>

typedef struct odz_leader odz_leader;

/* All return 0 or a negative ODZ_E* code with words in err (ODZ_ERRLEN). */
typedef struct {
    const char *name; /* "postgres", "solo" */
    /* Non-blocking: *is_leader is set to whether this holds the lock `name` (at most
     * ODZ_KEY_MAX - 1 bytes) now (always set; false on any error). Calling it again while
     * leader checks that the lock is still held. PostgreSQL: held until release, close or the
     * loss of the session (then the next try reports false with ODZ_EIO "database connection
     * lost: ...", and the one after connects again and tries). */
    int (*try_lead)(odz_leader *l, const char *name, bool *is_leader, char *err);
    /* Give up the lock `name` if held (not held: a no-op, 0). */
    int (*release)(odz_leader *l, const char *name, char *err);
    /* Release everything and free. */
    void (*close)(odz_leader *l);
} odz_leader_ops;

/* An implementation's table from its functions PREFIX_try_lead, PREFIX_release and
 * PREFIX_close (the members listed once, as ODZ_DRV_OPS does for drivers). */
#define ODZ_LEADER_OPS(name_, prefix)                                                             \
    {.name = name_, .try_lead = prefix##_try_lead, .release = prefix##_release,                 \
     .close = prefix##_close}

struct odz_leader {
    const odz_leader_ops *ops;
};

/** Leadership for the database `url`: "postgres://..." / "postgresql://..." a session of its
 * own, connected here (ODZ_EIO when the server cannot be reached) and again after a loss;
 * anything else always the leader. NULL + err on a bad URL or out of memory. The caller
 * closes it with ops->close. */
odz_leader *odz_leader_open(const char *url, char *err);

/** The PostgreSQL leader (pg_leader.c). */
odz_leader *odz_leader_postgres_open(const char *url, char *err);

#endif

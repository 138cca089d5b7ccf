/* Leadership by URL, and the leader of a database that one process owns (always leader). */
#include "store/leader.h"
#include "store/store.h"
#include "core/err.h"
#include "core/model.h"

#include <string.h>

static int solo_try_lead(odz_leader *l, const char *name, bool *is_leader, char *err)
{
    (void)l;
    *is_leader = false;
    if (!name || !*name || strlen(name) >= ODZ_KEY_MAX)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "leadership name is empty or too long");
    *is_leader = true;
    return 0;
}

static int solo_release(odz_leader *l, const char *name, char *err)
{
    (void)l;
    (void)name;
    (void)err;
    return 0;
}

static void solo_close(odz_leader *l)
{
    (void)l; /* static */
}

static const odz_leader_ops solo_ops = ODZ_LEADER_OPS("solo", solo);
static odz_leader solo = {&solo_ops};

odz_leader *odz_leader_open(const char *url, char *err)
{
    int pg = odz_store_url_is_postgres(url, err);
    if (pg < 0)
        return NULL;
    return pg ? odz_leader_postgres_open(url, err) : &solo;
}

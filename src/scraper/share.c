/* The owner of the shared parts of sources that share ids, and the races it has stored (see
 * share.h). */
#include "scraper/share.h"

#include <string.h>

#include "core/hash.h"

void odz_share_init(odz_share *g)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
}

void odz_share_destroy(odz_share *g)
{
    pthread_mutex_destroy(&g->mu);
}

static bool rank_ok(int rank)
{
    return rank >= 0 && rank < ODZ_SHARE_MEMBERS_MAX;
}

static void set_running(odz_share *g, int rank, bool running)
{
    if (!rank_ok(rank))
        return;
    pthread_mutex_lock(&g->mu);
    g->m[rank].running = running;
    g->m[rank].failures = 0;
    pthread_mutex_unlock(&g->mu);
}

void odz_share_join(odz_share *g, int rank)
{
    set_running(g, rank, true);
}

void odz_share_leave(odz_share *g, int rank)
{
    set_running(g, rank, false);
}

void odz_share_report(odz_share *g, int rank, bool ok)
{
    if (!rank_ok(rank))
        return;
    pthread_mutex_lock(&g->mu);
    if (ok)
        g->m[rank].failures = 0;
    else if (g->m[rank].failures < ODZ_SHARE_DOWN_AFTER)
        g->m[rank].failures++;
    pthread_mutex_unlock(&g->mu);
}

/* Caller holds mu. */
static int owner_locked(const odz_share *g)
{
    for (int i = 0; i < ODZ_SHARE_MEMBERS_MAX; i++)
        if (g->m[i].running && g->m[i].failures < ODZ_SHARE_DOWN_AFTER)
            return i;
    return -1;
}

int odz_share_owner(odz_share *g)
{
    pthread_mutex_lock(&g->mu);
    int o = owner_locked(g);
    pthread_mutex_unlock(&g->mu);
    return o;
}

/* The key's hash, never 0 (0 marks an empty slot). */
static uint64_t key_hash(const char *key)
{
    uint64_t h = odz_hash_text(ODZ_HASH_SEED, key);
    return h ? h : 1;
}

/* The slot of `h`: where it is, or the empty slot where it would go. Caller holds mu. */
static size_t slot_of(const odz_share *g, uint64_t h)
{
    size_t i = (size_t)(h % ODZ_SHARE_RACES);
    while (g->races[i] && g->races[i] != h)
        i = (i + 1) % ODZ_SHARE_RACES;
    return i;
}

odz_share_role odz_share_role_of(odz_share *g, int rank, const char *race_key, int waits)
{
    pthread_mutex_lock(&g->mu);
    int owner = owner_locked(g);
    odz_share_role role = ODZ_SHARE_ALL;
    if (owner >= 0 && owner != rank) {
        if (!race_key)
            role = ODZ_SHARE_PRICES; /* a schedule has no prices: nothing to store */
        else {
            size_t i = slot_of(g, key_hash(race_key));
            if (g->stored[i])
                role = ODZ_SHARE_PRICES;
            else if (g->races[i] || !g->listed || waits < ODZ_SHARE_WAITS_MAX)
                role = ODZ_SHARE_WAIT;
        }
    }
    pthread_mutex_unlock(&g->mu);
    return role;
}

void odz_share_stored(odz_share *g, const char *race_key, bool card)
{
    uint64_t h = key_hash(race_key);
    pthread_mutex_lock(&g->mu);
    size_t i = slot_of(g, h);
    if (!g->races[i]) {
        if (g->n_races + 1 > ODZ_SHARE_RACES / 4 * 3) {
            /* forget them all: the members wait for the owner's next cards once more */
            memset(g->races, 0, sizeof g->races);
            memset(g->stored, 0, sizeof g->stored);
            g->n_races = 0;
            i = slot_of(g, h);
        }
        g->races[i] = h;
        g->n_races++;
    }
    if (card)
        g->stored[i] = true;
    else
        g->listed = true;
    pthread_mutex_unlock(&g->mu);
}

/* Retired races, the store's rules for them (store.h retire_race, merged_into): a race stored
 * apart that turned out to be another source's copy of one we keep is retired into it; its
 * runners' price history and exchange books are copied to the runners they were matched to, the
 * retired race keeps its row (so its old id still answers, saying where it went), and nothing
 * is retired into a race that is itself retired. */
#include "store/retire.h"
#include "store/rows.h"
#include "core/err.h"

#include <stdlib.h>

static int merged_row(void *ctx, const char *const *vals, int n)
{
    if (n != 1)
        return ODZ_EINVAL;
    *(int64_t *)ctx = vals[0] ? odz_store__num(vals[0]) : 0;
    return 0;
}

int odz_store__race_merged(odz_drv_tx *tx, odz_drv *d, int64_t id, int64_t *into, char *err)
{
    odz_store__args a = {0};
    odz_store__arg_i64(&a, id);
    *into = 0;
    return d->ops->query(tx, DQ_RACE_MERGED, a.v, a.n, merged_row, into, err);
}

/* One runner of the retired race `old` gives its history and books to its runner of `into`;
 * a runner never stored (the market had not got it yet) has nothing to give. */
static int rekey_runner(odz_drv_tx *tx, odz_drv *d, const odz_store_rekey *p, int64_t old,
                        int64_t into, char *err)
{
    if (!p->from || !p->to)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "a runner pair needs both keys");
    odz_selection f, t;
    int rc = odz_store__get(tx, d, DQ_SEL_BY_KEY, &odz_row_selection, 0, p->from, &f,
                            "selection", err);
    if (rc == ODZ_ENOTFOUND)
        return 0;
    if (rc || (rc = odz_store__get(tx, d, DQ_SEL_BY_KEY, &odz_row_selection, 0, p->to, &t,
                                   "selection", err)))
        return rc;
    if (f.race_id != old || t.race_id != into)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "runners '%.100s' and '%.100s' are not of "
                        "the races retired and kept", p->from, p->to);
    odz_store__args a = {0};
    odz_store__arg_i64(&a, f.id);
    odz_store__arg_i64(&a, t.id);
    rc = d->ops->exec(tx, DQ_PRICE_COPY, a.v, a.n, NULL, NULL, err);
    return rc ? rc : d->ops->exec(tx, DQ_BOOK_COPY, a.v, a.n, NULL, NULL, err);
}

int odz_store__retire(odz_drv_tx *tx, odz_drv *d, const char *race_key, const char *into_key,
                      const odz_store_rekey *pairs, size_t n, int64_t now, odz_changes *c,
                      odz_race *work, bool *wrote, char *err)
{
    odz_race *old = &work[0], *into = &work[1];
    int64_t was = 0, target = 0, further = 0;
    int rc = odz_store__get(tx, d, DQ_RACE_BY_KEY, &odz_row_race, 0, race_key, old, "race", err);
    if (rc == ODZ_ENOTFOUND)
        return 0; /* never stored apart */
    if (rc || (rc = odz_store__race_merged(tx, d, old->id, &was, err)))
        return rc;
    if (into_key) {
        if ((rc = odz_store__get(tx, d, DQ_RACE_BY_KEY, &odz_row_race, 0, into_key, into, "race",
                                 err)))
            return rc;
        if (into->id == old->id)
            return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "race '%.100s' cannot be merged into "
                            "itself", race_key);
        if ((rc = odz_store__race_merged(tx, d, into->id, &further, err)))
            return rc;
        if (further)
            return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "race '%.100s' is itself merged into "
                            "race %lld", into_key, (long long)further);
        target = into->id;
    }
    if (was == target)
        return 0;
    *wrote = true;
    for (size_t i = 0; rc == 0 && target && i < n; i++)
        rc = rekey_runner(tx, d, &pairs[i], old->id, target, err);
    odz_store__args a = {0};
    odz_store__arg_i64(&a, old->id);
    odz_store__arg_i64(&a, target);
    odz_store__arg_i64(&a, now);
    if (rc || (rc = d->ops->exec(tx, DQ_RACE_RETIRE, a.v, a.n, NULL, NULL, err)) ||
        (rc = odz_store__first_start(tx, d, old->meeting_id, err)) || !c)
        return rc;
    c->races_updated++;
    rc = odz_store__note_race(c, old->id, err);
    if (rc == 0 && target)
        rc = odz_store__note_race(c, target, err);
    if (rc == 0 && was && was != target)
        rc = odz_store__note_race(c, was, err);
    return rc;
}

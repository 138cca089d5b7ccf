/* The store's rules, once, over any SQL driver (driver.h): rows are matched by source key,
 * compared, and written only when something changed; a race status only moves forward;
 * results, dividends and scratchings once known are kept; a price without a provider is ours.
 * Every operation of store.h runs in one driver session, each write in one transaction that
 * first bumps the write epoch, so the latest prices, books and selections can be kept in
 * memory (cache.h) and a price costs one INSERT. */
#include "store/cache.h"
#include "store/retire.h"
#include "store/driver.h"
#include "store/rows.h"
#include "store/rules.h"
#include "core/err.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PROVIDER ODZ_PROVIDER_OURS /* our own market */

typedef struct {
    odz_store base;
    odz_store_ops ops; /* the rules' operations under the driver's name */
    odz_drv *drv;
    odz_store_cache *cache; /* used inside write transactions only (wbegin .. wend) */
} merge_store;

#define DRV(s) (((merge_store *)(s))->drv)
#define CACHE(s) (((merge_store *)(s))->cache)

/* ---- write transactions ---- */

static int epoch_row(void *ctx, const char *const *vals, int n)
{
    *(int64_t *)ctx = n == 1 && vals[0] ? odz_store__num(vals[0]) : -1;
    return 0;
}

/* Begin a write: the epoch bumped first, then the cache taken (kept only when no one else has
 * written since this process's last write: cache.h). */
static int wbegin(odz_store *s, odz_drv_tx **tx, char *err)
{
    odz_drv *d = DRV(s);
    int64_t epoch = -1;
    int rc = d->ops->begin(d, true, tx, err);
    if (rc)
        return rc;
    rc = d->ops->query(*tx, DQ_EPOCH_BUMP, NULL, 0, epoch_row, &epoch, err);
    if (rc == 0 && epoch <= 0)
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "write epoch not read");
    if (rc)
        return d->ops->end(*tx, rc, err);
    odz_store__cache_begin(CACHE(s), epoch);
    return 0;
}

/* Commit (rc 0) or roll back, and let the cache go: emptied unless the commit went through. */
static int wend(odz_store *s, odz_drv_tx *tx, int rc, char *err)
{
    rc = DRV(s)->ops->end(tx, rc, err);
    odz_store__cache_end(CACHE(s), rc == 0);
    return rc;
}

/* Begin a write about the selection with this id, read into *x; nothing begun on failure. */
static int wbegin_selection(odz_store *s, int64_t id, odz_drv_tx **tx, odz_selection *x,
                            char *err)
{
    int rc = wbegin(s, tx, err);
    if (rc == 0 &&
        (rc = odz_store__get(*tx, DRV(s), DQ_SEL_GET, &odz_row_selection, id, NULL, x,
                             "selection", err)))
        wend(s, *tx, rc, err);
    return rc;
}

/* ---- reads ---- */

/* One row by id in a read session of its own. */
static int get_alone(odz_store *s, int q, const odz_row_desc *rd, int64_t id, void *out,
                     const char *what, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    int rc = d->ops->begin(d, false, &tx, err);
    if (rc)
        return rc;
    return d->ops->end(tx, odz_store__get(tx, d, q, rd, id, NULL, out, what, err), err);
}

static int m_get_meeting(odz_store *s, int64_t id, odz_meeting *out, char *err)
{
    return get_alone(s, DQ_MEET_GET, &odz_row_meeting, id, out, "meeting", err);
}

static int m_get_race(odz_store *s, int64_t id, odz_race *out, char *err)
{
    return get_alone(s, DQ_RACE_GET, &odz_row_race, id, out, "race", err);
}

/* A list, after checking that the parent row (parent_q by id, NULL: none) exists. */
static int list_of(odz_store *s, int parent_q, const odz_row_desc *parent, const char *pwhat,
                   int64_t pid, int q, const odz_store__args *a, const odz_row_desc *rd, void *out,
                   const char *what, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    void *p = parent ? malloc(parent->size) : NULL;
    if (parent && !p)
        return odz_store__oom(err);
    int rc = d->ops->begin(d, false, &tx, err);
    if (rc == 0) {
        if (parent)
            rc = odz_store__get(tx, d, parent_q, parent, pid, NULL, p, pwhat, err);
        if (rc == 0)
            rc = odz_store__list(tx, d, q, a, rd, out, what, err);
        rc = d->ops->end(tx, rc, err);
    }
    free(p);
    return rc;
}

/* A list of rows whose race day is within [from, to]. */
static int list_range(odz_store *s, int q, const char *from, const char *to,
                      const odz_row_desc *rd, void *out, const char *what, char *err)
{
    int rc = odz_store__check_range(from, to, err);
    if (rc)
        return rc;
    odz_store__args a = {0};
    odz_store__arg_text(&a, from);
    odz_store__arg_text(&a, to);
    return list_of(s, 0, NULL, NULL, 0, q, &a, rd, out, what, err);
}

static int m_list_meetings(odz_store *s, const char *from, const char *to, odz_meetings *out,
                           char *err)
{
    return list_range(s, DQ_MEET_RANGE, from, to, &odz_row_meeting, out, "meetings", err);
}

static int m_list_races(odz_store *s, const char *from, const char *to, odz_races *out,
                        char *err)
{
    return list_range(s, DQ_RACE_RANGE, from, to, &odz_row_race, out, "races", err);
}

static int m_list_meeting_races(odz_store *s, int64_t meeting_id, odz_races *out, char *err)
{
    odz_store__args a = {0};
    odz_store__arg_i64(&a, meeting_id);
    return list_of(s, DQ_MEET_GET, &odz_row_meeting, "meeting", meeting_id, DQ_RACE_OF_MEETING,
                   &a, &odz_row_race, out, "races", err);
}

static int m_list_selections(odz_store *s, int64_t race_id, odz_selections *out, char *err)
{
    odz_store__args a = {0};
    odz_store__arg_i64(&a, race_id);
    return list_of(s, DQ_RACE_GET, &odz_row_race, "race", race_id, DQ_SEL_OF_RACE, &a,
                   &odz_row_selection, out, "selections", err);
}

static int m_next_race(odz_store *s, int64_t meeting_id, int64_t now, odz_race *out, char *err)
{
    odz_races rs = {0};
    odz_store__args a = {0};
    odz_store__arg_i64(&a, meeting_id);
    odz_store__arg_i64(&a, now);
    int rc = list_of(s, DQ_MEET_GET, &odz_row_meeting, "meeting", meeting_id, DQ_RACE_NEXT, &a,
                     &odz_row_race, &rs, "next race", err);
    if (rc == 0 && rs.n == 0)
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "meeting %lld has no race to come",
                      (long long)meeting_id);
    if (rc == 0)
        *out = rs.v[0];
    odz_races_free(&rs);
    return rc;
}

static int m_next_races(odz_store *s, int64_t now, int limit, int type, odz_races *out,
                        char *err)
{
    if (limit < 1 || limit > 500)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "limit must be 1 to 500");
    if (type >= ODZ_RACE_TYPES)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown race type");
    odz_store__args a = {0};
    odz_store__arg_i64(&a, now);
    odz_store__arg_i64(&a, limit);
    if (type >= 0)
        odz_store__arg_i64(&a, type);
    return list_of(s, 0, NULL, NULL, 0, type < 0 ? DQ_RACES_NEXT : DQ_RACES_NEXT_TYPE, &a,
                   &odz_row_race, out, "next races", err);
}

static int m_latest_prices(odz_store *s, int64_t race_id, odz_prices *out, char *err)
{
    odz_store__args a = {0};
    odz_store__arg_i64(&a, race_id);
    return list_of(s, 0, NULL, NULL, 0, DQ_PRICE_LATEST_RACE, &a, &odz_row_price, out, "prices",
                   err);
}

static int m_race_books(odz_store *s, int64_t race_id, odz_exbooks *out, char *err)
{
    odz_store__args a = {0};
    odz_store__arg_i64(&a, race_id);
    return list_of(s, 0, NULL, NULL, 0, DQ_BOOK_OF_RACE, &a, &odz_row_book, out,
                   "exchange books", err);
}

static int m_price_history(odz_store *s, int64_t selection_id, int market, odz_prices *out,
                           char *err)
{
    odz_store__args a = {0};
    odz_store__arg_i64(&a, selection_id);
    if (market >= 0)
        odz_store__arg_i64(&a, market);
    return list_of(s, DQ_SEL_GET, &odz_row_selection, "selection", selection_id,
                   market < 0 ? DQ_PRICE_HISTORY_ALL : DQ_PRICE_HISTORY, &a, &odz_row_price, out,
                   "price history", err);
}

/* ---- meetings ---- */

static int insert_meeting(odz_drv_tx *tx, odz_drv *d, odz_meeting *m, char *err)
{
    int rc = odz_store__validate_meeting(m, err);
    return rc ? rc : odz_store__insert(tx, d, DQ_MEET_INSERT, &odz_row_meeting, m, err);
}

/* One insert (which checks its row) in a write transaction of its own. */
static int add_row(odz_store *s, int (*ins)(odz_drv_tx *, odz_drv *, void *, char *), void *row,
                   char *err)
{
    odz_drv_tx *tx;
    int rc = wbegin(s, &tx, err);
    return rc ? rc : wend(s, tx, ins(tx, DRV(s), row, err), err);
}

static int add_meeting_row(odz_drv_tx *tx, odz_drv *d, void *m, char *err)
{
    return insert_meeting(tx, d, m, err);
}

static int m_add_meeting(odz_store *s, odz_meeting *m, char *err)
{
    return add_row(s, add_meeting_row, m, err);
}

static int upsert_meeting(odz_drv_tx *tx, odz_drv *d, const odz_meeting *in, odz_changes *c,
                          char *err)
{
    int rc = odz_store__validate_meeting(in, err);
    if (rc)
        return rc;
    odz_meeting old, m = *in;
    rc = odz_store__get(tx, d, DQ_MEET_BY_KEY, &odz_row_meeting, 0, in->source_key, &old, "meeting", err);
    if (rc == ODZ_ENOTFOUND) {
        rc = insert_meeting(tx, d, &m, err);
        if (rc == 0 && c)
            c->meetings_added++;
        return rc;
    }
    if (rc)
        return rc;
    /* first_start is derived from the races; compare the rest */
    if (!strcmp(old.name, in->name) && !strcmp(old.country, in->country) &&
        !strcmp(old.region, in->region) && old.type == in->type && !strcmp(old.date, in->date))
        return 0;
    m.id = old.id;
    m.first_start = old.first_start;
    if ((rc = odz_store__update(tx, d, DQ_MEET_UPDATE, &odz_row_meeting, &m, err)))
        return rc;
    if (c)
        c->meetings_updated++;
    return 0;
}

/* ---- races ---- */

/* Insert r (its meeting_id set) with last_update = now; sets r->id. */
static int insert_race(odz_drv_tx *tx, odz_drv *d, odz_race *r, int64_t now, char *err)
{
    int rc = odz_store__validate_race(r, err);
    if (rc)
        return rc;
    r->last_update = now;
    rc = odz_store__insert(tx, d, DQ_RACE_INSERT, &odz_row_race, r, err);
    if (rc == ODZ_ENOTFOUND)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown meeting %lld",
                        (long long)r->meeting_id);
    return rc ? rc : odz_store__first_start(tx, d, r->meeting_id, err);
}

static int add_race_row(odz_drv_tx *tx, odz_drv *d, void *r, char *err)
{
    return insert_race(tx, d, r, ((odz_race *)r)->last_update, err);
}

static int m_add_race(odz_store *s, odz_race *r, char *err)
{
    return add_row(s, add_race_row, r, err);
}

/* Write `r` over the stored race `old` (same id) when anything changed. */
static int write_race(odz_drv_tx *tx, odz_drv *d, const odz_race *old, const odz_race *r,
                      int64_t now, odz_changes *c, char *err)
{
    if (odz_store__same_race(old, r))
        return 0;
    odz_race *w = malloc(sizeof *w);
    if (!w)
        return odz_store__oom(err);
    *w = *r;
    w->id = old->id;
    odz_strlcpy(w->source_key, old->source_key, sizeof w->source_key);
    w->meeting_id = old->meeting_id;
    w->last_update = now;
    int rc = odz_store__update(tx, d, DQ_RACE_UPDATE, &odz_row_race, w, err);
    free(w);
    if (rc == 0 && old->scheduled_start != r->scheduled_start)
        rc = odz_store__first_start(tx, d, old->meeting_id, err);
    if (rc == 0 && c) {
        c->races_updated++;
        rc = odz_store__note_race(c, old->id, err);
    }
    return rc;
}

/* What a source says over what is stored: a backward status keeps the stored one (counted),
 * results and dividends once known are not dropped by a source that omits them. */
static void merge_race(const odz_race *old, odz_race *r, odz_changes *c)
{
    if (odz_status_transition(old->status, r->status, NULL, 0)) {
        r->status = old->status; /* source glitch: keep what we know */
        if (c)
            c->status_refused++;
    }
    if (r->n_results == 0 && old->n_results > 0 && r->status != ODZ_ABANDONED) {
        r->n_results = old->n_results;
        memcpy(r->results, old->results, sizeof r->results);
    }
    if (r->n_dividends == 0 && old->n_dividends > 0) {
        r->n_dividends = old->n_dividends;
        memcpy(r->dividends, old->dividends, sizeof r->dividends);
    }
}

/* `work` holds two races of scratch space. */
static int upsert_race(odz_drv_tx *tx, odz_drv *d, const odz_batch_race *br, int64_t now,
                       odz_changes *c, odz_race *work, char *err)
{
    odz_race *old = &work[0], *r = &work[1];
    odz_meeting m;
    int rc = odz_store__get(tx, d, DQ_MEET_BY_KEY, &odz_row_meeting, 0, br->meeting_key, &m, "meeting",
                 err);
    if (rc)
        return rc;
    rc = odz_store__get(tx, d, DQ_RACE_BY_KEY, &odz_row_race, 0, br->race.source_key, old, "race", err);
    *r = br->race;
    r->meeting_id = m.id;
    if (rc == ODZ_ENOTFOUND) {
        rc = insert_race(tx, d, r, now, err);
        if (rc == 0 && c) {
            c->races_added++;
            rc = odz_store__note_race(c, r->id, err);
        }
        return rc;
    }
    if (rc)
        return rc;
    if (old->meeting_id != m.id)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "race '%s' belongs to another meeting",
                        br->race.source_key);
    if ((rc = odz_store__validate_race(r, err)))
        return rc;
    merge_race(old, r, c);
    return write_race(tx, d, old, r, now, c, err);
}

/* ---- selections ---- */

/* Insert or update one selection of race `race_id` by source key. A scratching is final: a
 * source that forgets it does not un-scratch the runner. */
/* The stored selection of a source key: from the cache, or read (and then cached). */
static int selection_by_key(odz_drv_tx *tx, odz_drv *d, odz_store_cache *k, const char *key,
                            odz_selection *out, char *err)
{
    if (odz_store__cache_selection(k, key, out))
        return 0;
    int rc = odz_store__get(tx, d, DQ_SEL_BY_KEY, &odz_row_selection, 0, key, out, "selection",
                            err);
    if (rc == 0)
        odz_store__cache_put_selection(k, out);
    return rc;
}

/* selection_by_key, skipped when `key` is *seen, the key *out was last read for (a batch's
 * runs of one runner); *seen is NULL until a read succeeds. */
static int same_selection(odz_drv_tx *tx, odz_drv *d, odz_store_cache *k, const char *key,
                          const char **seen, odz_selection *out, char *err)
{
    if (*seen && !strcmp(*seen, key))
        return 0;
    *seen = NULL;
    int rc = selection_by_key(tx, d, k, key, out, err);
    if (rc == 0)
        *seen = key;
    return rc;
}

static int upsert_selection(odz_drv_tx *tx, odz_drv *d, odz_store_cache *k, int64_t race_id,
                            const odz_selection *in, odz_changes *c, char *err)
{
    int rc = odz_store__validate_selection(in, err);
    if (rc)
        return rc;
    odz_selection old, x = *in;
    x.race_id = race_id;
    rc = selection_by_key(tx, d, k, in->source_key, &old, err);
    if (rc == ODZ_ENOTFOUND) {
        if ((rc = odz_store__insert(tx, d, DQ_SEL_INSERT, &odz_row_selection, &x, err)))
            return rc;
        odz_store__cache_put_selection(k, &x);
        if (c) {
            c->selections_added++;
            c->scratchings += in->scratched;
        }
        return odz_store__note_race(c, race_id, err);
    }
    if (rc)
        return rc;
    if (old.race_id != race_id)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "selection '%s' belongs to another race",
                        in->source_key);
    x.id = old.id;
    if (old.scratched && !in->scratched) {
        x.scratched = true;
        x.late_scratched = old.late_scratched;
        x.scratch_time = old.scratch_time;
        x.deduction = old.deduction;
    }
    if (odz_store__same_selection(&old, &x))
        return 0;
    if ((rc = odz_store__update(tx, d, DQ_SEL_UPDATE, &odz_row_selection, &x, err)))
        return rc;
    odz_store__cache_put_selection(k, &x);
    if (c) {
        c->selections_updated++;
        c->scratchings += x.scratched && !old.scratched;
    }
    return odz_store__note_race(c, race_id, err);
}

static int m_update_race(odz_store *s, const odz_race *r, const odz_selections *sels,
                         int64_t now, odz_changes *c, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    int rc = odz_store__validate_race(r, err);
    if (rc)
        return rc;
    odz_race *old = malloc(sizeof *old);
    if (!old)
        return odz_store__oom(err);
    if ((rc = wbegin(s, &tx, err)))
        goto out;
    rc = odz_store__get(tx, d, DQ_RACE_GET, &odz_row_race, r->id, NULL, old, "race", err);
    if (rc == 0)
        rc = odz_status_transition(old->status, r->status, err, ODZ_ERRLEN);
    if (rc == 0)
        rc = write_race(tx, d, old, r, now, c, err);
    for (size_t i = 0; rc == 0 && sels && i < sels->n; i++)
        rc = upsert_selection(tx, d, CACHE(s), old->id, &sels->v[i], c, err);
    rc = wend(s, tx, rc, err);
out:
    free(old);
    return rc;
}

static int m_scratch(odz_store *s, int64_t selection_id, int64_t when, int deduction, bool late,
                     int64_t now, odz_changes *c, char *err)
{
    (void)now;
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    odz_selection x;
    int rc = wbegin_selection(s, selection_id, &tx, &x, err);
    if (rc)
        return rc;
    if (!x.scratched) { /* scratching twice changes nothing */
        x.scratched = true;
        x.late_scratched = late;
        x.scratch_time = when;
        x.deduction = deduction;
        rc = odz_store__update(tx, d, DQ_SEL_UPDATE, &odz_row_selection, &x, err);
        if (rc == 0)
            odz_store__cache_put_selection(CACHE(s), &x);
        if (rc == 0 && c) {
            c->scratchings++;
            c->selections_updated++;
            rc = odz_store__note_race(c, x.race_id, err);
        }
    }
    return wend(s, tx, rc, err);
}

/* ---- exchange books ---- */

/* The stored book of (selection, provider) into *out; *found 0 when there is none. */
static int book_get(odz_drv_tx *tx, odz_drv *d, odz_store_cache *k, int64_t selection_id,
                    const char *provider, odz_exbook *out, int *found, char *err)
{
    if ((*found = odz_store__cache_book(k, selection_id, provider, out)))
        return 0;
    odz_store__args a = {0};
    odz_store__arg_i64(&a, selection_id);
    odz_store__arg_text(&a, provider);
    odz_store__one o = {&odz_row_book, out, 0};
    int rc = d->ops->query(tx, DQ_BOOK_GET, a.v, a.n, odz_store__one_row, &o, err);
    if ((*found = rc == 0 && o.found))
        odz_store__cache_put_book(k, out);
    return rc;
}

/* Write the book of selection `sel` (stored) when it differs from the stored one of its
 * provider and is not older than it; a written book goes to the change set. */
static int upsert_book(odz_drv_tx *tx, odz_drv *d, odz_store_cache *k, const odz_exbook *in,
                       const odz_selection *sel, int64_t now, odz_changes *c, char *err)
{
    char why[ODZ_ERRLEN];
    if (!in->provider[0])
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "book of '%s' needs a provider",
                        sel->source_key);
    if (odz_exchange_book_check(&in->book, why, sizeof why))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "book of '%s': %s", sel->source_key, why);
    odz_exbook old, b = *in;
    b.selection_id = sel->id;
    if (!b.ts)
        b.ts = now;
    int found, rc = book_get(tx, d, k, b.selection_id, b.provider, &old, &found, err);
    if (rc || (found && (old.ts > b.ts || odz_exchange_book_same(&old.book, &b.book))))
        return rc; /* an older state, or nothing new */
    odz_store__args a = {0};
    if ((rc = odz_store__args_row(&a, &odz_row_book, &b, 0, err)) ||
        (rc = d->ops->exec(tx, DQ_BOOK_PUT, a.v, a.n, NULL, NULL, err)))
        return rc;
    odz_store__cache_put_book(k, &b);
    if (!c)
        return 0;
    c->books_written++;
    odz_exbook_change bc = {b, sel->race_id, sel->number};
    return odz_changes_add_exbook(c, &bc) ? odz_store__oom(err) : 0;
}

/* Cents offered at price p of an exchange market: the size of the best level of its side in
 * the stored book of (selection, provider) when that level is at p's odds; -1 otherwise. */
static int exchange_size(odz_drv_tx *tx, odz_drv *d, odz_store_cache *k, const odz_price *p,
                         int64_t *size, char *err)
{
    *size = -1;
    if (p->market != ODZ_EXCHANGE_BACK && p->market != ODZ_EXCHANGE_LAY)
        return 0;
    odz_exbook b;
    int found, rc = book_get(tx, d, k, p->selection_id, p->provider, &b, &found, err);
    const odz_exchange_offer *best =
        p->market == ODZ_EXCHANGE_BACK ? &b.book.back[0] : &b.book.lay[0];
    if (rc == 0 && found && best->odds == p->odds)
        *size = best->size;
    return rc;
}

/* ---- prices ---- */

typedef struct {
    int found;
    int odds;
    int64_t ts;
} latest_point;

static int latest_row(void *ctx, const char *const *vals, int n)
{
    latest_point *l = ctx;
    if (n != 2)
        return ODZ_EINVAL;
    l->found = 1;
    l->odds = (int)odz_store__num(vals[0]);
    l->ts = odz_store__num(vals[1]);
    return 0;
}

/* The latest point of (selection, provider, market): from the cache, or read (then cached). */
static int latest_price(odz_drv_tx *tx, odz_drv *d, odz_store_cache *k, const odz_price *p,
                        latest_point *l, char *err)
{
    if ((l->found = odz_store__cache_price(k, p->selection_id, p->provider, p->market, &l->odds,
                                           &l->ts)))
        return 0;
    odz_store__args a = {0};
    odz_store__arg_i64(&a, p->selection_id);
    odz_store__arg_text(&a, p->provider);
    odz_store__arg_i64(&a, p->market);
    int rc = d->ops->query(tx, DQ_PRICE_LATEST_ONE, a.v, a.n, latest_row, l, err);
    if (rc == 0 && l->found)
        odz_store__cache_put_price(k, p->selection_id, p->provider, p->market, l->odds, l->ts);
    return rc;
}

/* Append unless it repeats the latest point of its (selection, provider, market); a price
 * without a provider is our own. `sel` is the stored selection (for the change record). */
static int insert_price(odz_drv_tx *tx, odz_drv *d, odz_store_cache *k, const odz_price *in,
                        const odz_selection *sel, odz_changes *c, char *err)
{
    if (in->odds < 100 || in->odds > 10000000)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "odds %d out of range", in->odds);
    if ((unsigned)in->market >= ODZ_MARKETS)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown market");
    odz_price p = *in;
    if (!p.provider[0])
        odz_strlcpy(p.provider, DEFAULT_PROVIDER, sizeof p.provider);
    latest_point l = {0};
    int rc = latest_price(tx, d, k, &p, &l, err);
    if (rc)
        return rc;
    if (l.found && l.odds == p.odds && l.ts <= p.ts)
        return 0;
    /* a point older than the latest (a source's history) is stored but is not a change */
    int older = l.found && p.ts < l.ts;
    odz_store__args b = {0};
    if ((rc = odz_store__args_row(&b, &odz_row_price, &p, 0, err)))
        return rc;
    int64_t added = 0;
    rc = d->ops->exec(tx, DQ_PRICE_INSERT, b.v, b.n, NULL, &added, err);
    if (rc == ODZ_ENOTFOUND)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOTFOUND, "unknown selection %lld",
                        (long long)p.selection_id);
    if (rc || added <= 0)
        return rc;
    if (!older) /* the new latest point */
        odz_store__cache_put_price(k, p.selection_id, p.provider, p.market, p.odds, p.ts);
    if (!c)
        return 0;
    c->prices_added++;
    if (older)
        return 0;
    odz_price_change pc = {p, l.found ? l.odds : 0, sel->race_id, sel->number, -1};
    if ((rc = exchange_size(tx, d, k, &p, &pc.size, err)))
        return rc;
    return odz_changes_add_price(c, &pc) ? odz_store__oom(err) : 0;
}

static int m_append_price(odz_store *s, const odz_price *p, odz_changes *c, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    odz_selection x;
    int rc = wbegin_selection(s, p->selection_id, &tx, &x, err);
    if (rc)
        return rc;
    return wend(s, tx, insert_price(tx, d, CACHE(s), p, &x, c, err), err);
}

/* ---- the batch ---- */

static int upsert_all(odz_drv_tx *tx, odz_drv *d, odz_store_cache *k, const odz_batch *b,
                      int64_t now, odz_changes *c, odz_race *work, char *err)
{
    int rc = 0;
    const char *race_key = NULL; /* work holds its race: a race's runners come together */
    for (size_t i = 0; rc == 0 && i < b->n_meetings; i++)
        rc = upsert_meeting(tx, d, &b->meetings[i], c, err);
    for (size_t i = 0; rc == 0 && i < b->n_races; i++)
        rc = upsert_race(tx, d, &b->races[i], now, c, work, err);
    for (size_t i = 0; rc == 0 && i < b->n_selections; i++) {
        if (!race_key || strcmp(race_key, b->selections[i].race_key)) {
            race_key = b->selections[i].race_key;
            rc = odz_store__get(tx, d, DQ_RACE_BY_KEY, &odz_row_race, 0, race_key, work, "race",
                                err);
        }
        if (rc == 0)
            rc = upsert_selection(tx, d, k, work->id, &b->selections[i].sel, c, err);
    }
    /* books before prices: an exchange price change carries its book's size. From here on
     * no selection changes, and a runner's books and prices come one after another: x is
     * the selection of key `seen`, looked up once for them. */
    odz_selection x;
    const char *seen = NULL;
    for (size_t i = 0; rc == 0 && i < b->n_books; i++) {
        rc = same_selection(tx, d, k, b->books[i].selection_key, &seen, &x, err);
        if (rc == 0)
            rc = upsert_book(tx, d, k, &b->books[i].book, &x, now, c, err);
    }
    for (size_t i = 0; rc == 0 && i < b->n_prices; i++) {
        odz_price p = b->prices[i].price;
        if (p.odds == 0)
            continue;
        rc = same_selection(tx, d, k, b->prices[i].selection_key, &seen, &x, err);
        if (rc == 0) {
            p.selection_id = x.id;
            if (!p.ts)
                p.ts = now;
            rc = insert_price(tx, d, k, &p, &x, c, err);
        }
    }
    return rc;
}

static int m_upsert_batch(odz_store *s, const odz_batch *b, int64_t now, odz_changes *c,
                          char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    odz_race *work = malloc(2 * sizeof *work);
    if (!work)
        return odz_store__oom(err);
    int rc = wbegin(s, &tx, err);
    if (rc == 0)
        rc = wend(s, tx, upsert_all(tx, d, CACHE(s), b, now, c, work, err), err);
    free(work);
    return rc;
}

/* ---- retired races (the rules: retire.c) ---- */

static int m_merged_into(odz_store *s, int64_t race_id, int64_t *into, char *err)
{
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return odz_store__oom(err);
    int rc = d->ops->begin(d, false, &tx, err);
    if (rc == 0) {
        rc = odz_store__get(tx, d, DQ_RACE_GET, &odz_row_race, race_id, NULL, r, "race", err);
        if (rc == 0)
            rc = odz_store__race_merged(tx, d, race_id, into, err);
        rc = d->ops->end(tx, rc, err);
    }
    free(r);
    return rc;
}

static int m_retire_race(odz_store *s, const char *race_key, const char *into_key,
                         const odz_store_rekey *pairs, size_t n, int64_t now, odz_changes *c,
                         char *err)
{
    if (!race_key || (n && !pairs))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "retire: a race key is needed");
    odz_drv *d = DRV(s);
    odz_drv_tx *tx;
    odz_race *work = malloc(2 * sizeof *work);
    if (!work)
        return odz_store__oom(err);
    bool wrote = false;
    int rc = wbegin(s, &tx, err);
    if (rc == 0) {
        rc = d->ops->end(
            tx, odz_store__retire(tx, d, race_key, into_key, pairs, n, now, c, work, &wrote, err),
            err);
        /* copied points may be newer than the latest ones cached: read them again */
        odz_store__cache_end(CACHE(s), rc == 0 && !wrote);
    }
    free(work);
    return rc;
}

/* ---- the store ---- */

static int m_schema_version(odz_store *s)
{
    return DRV(s)->ops->schema_version(DRV(s));
}

static void m_close(odz_store *s)
{
    if (!s)
        return;
    DRV(s)->ops->close(DRV(s));
    odz_store__cache_free(CACHE(s));
    free(s);
}

static const odz_store_ops merge_ops = {
    .close = m_close,
    .list_meetings = m_list_meetings,
    .list_races = m_list_races,
    .list_meeting_races = m_list_meeting_races,
    .add_meeting = m_add_meeting,
    .get_meeting = m_get_meeting,
    .add_race = m_add_race,
    .update_race = m_update_race,
    .next_race = m_next_race,
    .next_races = m_next_races,
    .get_race = m_get_race,
    .list_selections = m_list_selections,
    .upsert_batch = m_upsert_batch,
    .append_price = m_append_price,
    .latest_prices = m_latest_prices,
    .race_books = m_race_books,
    .price_history = m_price_history,
    .scratch = m_scratch,
    .retire_race = m_retire_race,
    .merged_into = m_merged_into,
    .schema_version = m_schema_version,
};

odz_store *odz_store__over(odz_drv *d, char *err)
{
    merge_store *s = calloc(1, sizeof *s);
    if (!s || !(s->cache = odz_store__cache_new())) {
        free(s);
        d->ops->close(d);
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    s->ops = merge_ops;
    s->ops.name = d->ops->name;
    s->drv = d;
    s->base.ops = &s->ops;
    return &s->base;
}

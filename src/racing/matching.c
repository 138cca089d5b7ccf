/* Exchange markets onto the races other sources gave us: the decisions, remembered per market,
 * and the batch rewritten by them; see matching.h. */
#include "racing/matching.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/rowix.h"
#include "core/sort.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/source_metrics.h"
#include "racing/racing.h"
#include "racing/store_metrics.h"
#include "source/match.h"

typedef struct {
    char key[ODZ_KEY_MAX]; /* the market's race key ("betfair:<event>:<start>") */
    char source[ODZ_MATCHING_SOURCE_MAX];
    odz_match_result result;
    char reason[ODZ_MATCH_REASON_MAX];
    char venue[ODZ_NAME_MAX], market[ODZ_NAME_MAX];
    int64_t start, decided_at;
    uint64_t generation, seen;
    int64_t first_seen_ms; /* monotonic */
    bool wait_runners;     /* the race fits but has no runners yet */
    bool others;           /* other sources have races on its race days */
    bool held;             /* not stored this time (see matching.h) */
    bool stored_apart;     /* stored as a race of its own at least once */
    bool retired;          /* its race of its own may be retired (unknown: true) */
    bool check;            /* the store's race of its own to be retired or restored */
    /* matched: the race, and each of the market's runners (its selection key) to ours */
    char race_key[ODZ_KEY_MAX];
    size_t n_runners;
    char from[ODZ_MAX_RUNNERS][ODZ_KEY_MAX];
    char to[ODZ_MAX_RUNNERS][ODZ_KEY_MAX];
} decision;

/* The candidates: races of a span of race days, with their meetings (kept between batches,
 * see matching.h). */
typedef struct {
    char from[ODZ_DATE_MAX], to[ODZ_DATE_MAX];
    bool loaded;
    odz_meetings ms; /* sorted by id */
    char (*keys)[ODZ_MATCH_KEY_MAX]; /* each meeting's venue key (odz_match_venue_key), as ms */
    odz_races rs;
} cands;

struct odz_matching {
    pthread_mutex_t lock;
    decision *d[ODZ_MATCHING_MAX_MARKETS];
    size_t n;
    odz_rowix ix;        /* d by key */
    cands cache;         /* the candidates last read */
    uint64_t cache_gen;  /* the generation they were read at */
    int64_t cache_ms;    /* and when (monotonic) */
    uint64_t generation; /* batches of other sources that added meetings, races or runners */
    uint64_t tick;       /* for least recently seen */
};

static void cands_free(cands *c);

/* A selection key of the market and the key of ours it matched. */
typedef struct {
    const char *from, *to;
} pair;

odz_matching *odz_matching_new(void)
{
    odz_matching *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void odz_matching_free(odz_matching *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->d[i]);
    odz_rowix_free(&m->ix);
    cands_free(&m->cache);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static uint64_t key_hash(const char *key)
{
    return odz_hash_text(ODZ_HASH_SEED, key);
}

static bool decision_is(const void *rows, size_t i, const void *key)
{
    return strcmp(((decision *const *)rows)[i]->key, key) == 0;
}

static uint64_t decision_hash(const void *rows, size_t i)
{
    return key_hash(((decision *const *)rows)[i]->key);
}

static decision *find(odz_matching *m, const char *key)
{
    long i = odz_rowix_find(&m->ix, key_hash(key), decision_is, m->d, key);
    return i < 0 ? NULL : m->d[i];
}

/* A slot for a new decision under key `key`, indexed by it: a free one, else the least
 * recently seen one, reused (the index is then rebuilt without its old key). The caller
 * fills in the rest, key unchanged. NULL when out of memory. */
static decision *slot(odz_matching *m, const char *key)
{
    if (m->n < ODZ_MATCHING_MAX_MARKETS) {
        decision *d = malloc(sizeof *d);
        if (!d || odz_rowix_reserve(&m->ix, m->n + 1, m->n, decision_hash, m->d)) {
            free(d);
            return NULL;
        }
        snprintf(d->key, sizeof d->key, "%s", key);
        odz_rowix_put(&m->ix, key_hash(key), m->n);
        return m->d[m->n++] = d;
    }
    size_t at = 0;
    for (size_t i = 1; i < m->n; i++)
        if (m->d[i]->seen < m->d[at]->seen)
            at = i;
    snprintf(m->d[at]->key, sizeof m->d[at]->key, "%s", key);
    odz_rowix_clear(&m->ix);
    for (size_t i = 0; i < m->n; i++)
        odz_rowix_put(&m->ix, decision_hash(m->d, i), i);
    return m->d[at];
}

/* A batch's selections by race key: chains of selection indices (index + 1; 0 ends), one
 * per bucket of the key's hash, so finding a race's runners does not scan the batch. */
typedef struct {
    uint32_t *head, *next;
    size_t mask;
} by_race;

static int by_race_build(by_race *x, const odz_batch *b)
{
    size_t cap = 16;
    while (cap < b->n_selections * 2)
        cap *= 2;
    x->mask = cap - 1;
    x->head = calloc(cap, sizeof *x->head);
    x->next = malloc((b->n_selections ? b->n_selections : 1) * sizeof *x->next);
    if (!x->head || !x->next)
        return ODZ_ENOMEM;
    for (size_t i = b->n_selections; i-- > 0;) { /* chains in batch order */
        size_t h = key_hash(b->selections[i].race_key) & x->mask;
        x->next[i] = x->head[h];
        x->head[h] = (uint32_t)i + 1;
    }
    return 0;
}

static void by_race_free(by_race *x)
{
    free(x->head);
    free(x->next);
}

/* The first selection of race `key` at or after chain position `s` (index + 1), 0 when
 * none: for (s = by_race_first(..); s; s = by_race_next(.., s)). */
static uint32_t by_race_skip(const by_race *x, const odz_batch *b, const char *key, uint32_t s)
{
    while (s && strcmp(b->selections[s - 1].race_key, key))
        s = x->next[s - 1];
    return s;
}

static uint32_t by_race_first(const by_race *x, const odz_batch *b, const char *key)
{
    return by_race_skip(x, b, key, x->head[key_hash(key) & x->mask]);
}

static uint32_t by_race_next(const by_race *x, const odz_batch *b, const char *key, uint32_t s)
{
    return by_race_skip(x, b, key, x->next[s - 1]);
}

static int cmp_meeting_id(const void *a, const void *b)
{
    const odz_meeting *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static const odz_meeting *meeting_of(const cands *c, int64_t id)
{
    odz_meeting k = {.id = id};
    if (!c->ms.n)
        return NULL;
    return bsearch(&k, c->ms.v, c->ms.n, sizeof k, cmp_meeting_id);
}

static void cands_free(cands *c)
{
    odz_meetings_free(&c->ms);
    free(c->keys);
    c->keys = NULL;
    odz_races_free(&c->rs);
    c->loaded = false;
}

/* The races of `date` and the day either side: m->cache, read again for another span (or
 * once dropped, see odz_matching_upsert). Caller holds m->lock. */
static int cands_load(odz_matching *m, odz_store *store, const char *date, char *err)
{
    cands *c = &m->cache;
    char from[ODZ_DATE_MAX], to[ODZ_DATE_MAX];
    if (odz_date_add(date, -1, from) || odz_date_add(date, 1, to))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "race day '%.16s' is not a date", date);
    if (c->loaded && strcmp(from, c->from) >= 0 && strcmp(to, c->to) <= 0)
        return 0;
    cands_free(c);
    int rc = ODZ_STORE_CALL(store, list_meetings, from, to, &c->ms, err);
    if (rc == 0)
        rc = ODZ_STORE_CALL(store, list_races, from, to, &c->rs, err);
    if (rc) {
        cands_free(c);
        return rc;
    }
    odz_sort(c->ms.v, c->ms.n, sizeof *c->ms.v, cmp_meeting_id);
    if (!(c->keys = malloc((c->ms.n ? c->ms.n : 1) * sizeof *c->keys))) {
        cands_free(c);
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < c->ms.n; i++) /* once a load, not once a market and candidate */
        if (!odz_match_venue_key(c->ms.v[i].name, c->keys[i], sizeof c->keys[i]))
            c->keys[i][0] = '\0';
    memcpy(c->from, from, sizeof from);
    memcpy(c->to, to, sizeof to);
    c->loaded = true;
    m->cache_gen = m->generation;
    m->cache_ms = odz_mono_ms();
    return 0;
}

/* Length of a key's family: up to and including its first ':'; 0 when it has none. */
static size_t family(const char *key)
{
    const char *c = strchr(key, ':');
    return c ? (size_t)(c - key) + 1 : 0;
}

/* A greyhound market fits greyhound races only, a harness market (the exchange says so:
 * raceType Harness) harness races only; a thoroughbred market (what the exchange's definition
 * is when it names no race type) a thoroughbred or a harness race. */
static bool types_fit(odz_race_type market, odz_race_type ours)
{
    if (market == ODZ_GREYHOUND || market == ODZ_HARNESS)
        return ours == market;
    return ours != ODZ_GREYHOUND;
}

static void set_result(decision *d, odz_match_result r, const char *why)
{
    d->result = r;
    snprintf(d->reason, sizeof d->reason, "%s", why);
}

/* Decide market `br` (a race of b) into d: the race, then every runner. A failure to read the
 * store is returned (d is then not a decision). */
static int decide(odz_matching *m, odz_store *store, const odz_batch *b,
                  const odz_batch_race *br, decision *d, char *err)
{
    const odz_race *race = &br->race;
    const odz_meeting *mt = NULL;
    for (size_t i = 0; i < b->n_meetings && !mt; i++)
        if (!strcmp(b->meetings[i].source_key, br->meeting_key))
            mt = &b->meetings[i];
    d->result = ODZ_MATCH_OK;
    d->wait_runners = false;
    d->others = false;
    d->reason[0] = '\0';
    d->n_runners = 0;
    d->race_key[0] = '\0';
    snprintf(d->venue, sizeof d->venue, "%s", mt ? mt->name : "");
    snprintf(d->market, sizeof d->market, "%s", race->name);
    d->start = race->scheduled_start;
    if (!mt) {
        set_result(d, ODZ_MATCH_NONE, "its meeting is not in the batch");
        return 0;
    }
    int rc = cands_load(m, store, mt->date, err);
    if (rc)
        return rc;
    const cands *c = &m->cache;
    size_t fam = family(race->source_key);
    odz_match_race *cr = malloc((c->rs.n ? c->rs.n : 1) * sizeof *cr);
    const odz_race **which = malloc((c->rs.n ? c->rs.n : 1) * sizeof *which);
    size_t n = 0;
    if (!cr || !which) {
        free(cr);
        free(which);
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < c->rs.n; i++) {
        const odz_race *r = &c->rs.v[i];
        const odz_meeting *rm = meeting_of(c, r->meeting_id);
        if (!rm || !types_fit(mt->type, rm->type) || !strcmp(r->source_key, race->source_key) ||
            (fam && !strncmp(r->source_key, race->source_key, fam)))
            continue;
        cr[n] = (odz_match_race){rm->name, r->scheduled_start, r->number,
                                 c->keys[rm - c->ms.v]};
        which[n++] = r;
    }
    d->others = n > 0;
    int number = 0, dist = 0;
    if (odz_match_market_name(race->name, &number, &dist))
        number = 0;
    size_t ix = 0;
    odz_match_result res = odz_match_find_race(mt->name, race->scheduled_start, number, cr, n,
                                               ODZ_MATCH_TOLERANCE_S, &ix, d->reason,
                                               sizeof d->reason);
    const odz_race *ours = res == ODZ_MATCH_OK ? which[ix] : NULL;
    free(cr);
    free(which);
    if (!ours) {
        d->result = res;
        return 0;
    }
    odz_selections ss = {0};
    if ((rc = ODZ_STORE_CALL(store, list_selections, ours->id, &ss, err)))
        return rc;
    odz_match_runner *runners = calloc(ss.n ? ss.n : 1, sizeof *runners);
    bool *used = calloc(ss.n ? ss.n : 1, sizeof *used);
    if (!runners || !used) {
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ss.n; i++)
        runners[i] = (odz_match_runner){ss.v[i].number, ss.v[i].name};
    if (!ss.n) {
        d->result = ODZ_MATCH_NONE;
        d->wait_runners = true;
        snprintf(d->reason, sizeof d->reason, "race %d at '%.40s' fits, but has no runners yet",
                 ours->number, mt->name);
    }
    for (size_t i = 0; i < b->n_selections && d->result == ODZ_MATCH_OK; i++) {
        const odz_selection *s = &b->selections[i].sel;
        if (strcmp(b->selections[i].race_key, race->source_key))
            continue;
        /* the exchange's number may be a sort priority: only a number written in the name */
        odz_match_runner x = {0, s->name};
        char why[ODZ_MATCH_REASON_MAX] = "";
        size_t j = 0;
        odz_match_result r = odz_match_find_runner(&x, runners, ss.n, &j, why, sizeof why);
        if (r == ODZ_MATCH_OK && used[j]) {
            r = ODZ_MATCH_UNSURE;
            snprintf(why, sizeof why, "two runners of the market are '%.50s'", ss.v[j].name);
        }
        if (r == ODZ_MATCH_OK && d->n_runners == ODZ_MAX_RUNNERS) {
            r = ODZ_MATCH_UNSURE;
            snprintf(why, sizeof why, "more than %d runners", ODZ_MAX_RUNNERS);
        }
        if (r != ODZ_MATCH_OK) {
            d->result = r;
            snprintf(d->reason, sizeof d->reason, "race %d at '%.40s' fits, but %.70s", ours->number,
                     mt->name, why);
            break;
        }
        used[j] = true;
        snprintf(d->from[d->n_runners], ODZ_KEY_MAX, "%s", s->source_key);
        snprintf(d->to[d->n_runners], ODZ_KEY_MAX, "%s", ss.v[j].source_key);
        d->n_runners++;
    }
    if (d->result == ODZ_MATCH_OK && !d->n_runners)
        set_result(d, ODZ_MATCH_NONE, "the market has no runners");
    if (d->result == ODZ_MATCH_OK)
        snprintf(d->race_key, sizeof d->race_key, "%s", ours->source_key);
out:
    free(runners);
    free(used);
    odz_selections_free(&ss);
    return rc;
}

/* Does matched decision d know every runner the batch gives its market? */
static bool knows_runners(const decision *d, const odz_batch *b, const by_race *x)
{
    for (uint32_t s = by_race_first(x, b, d->key); s; s = by_race_next(x, b, d->key, s)) {
        bool known = false;
        for (size_t k = 0; k < d->n_runners && !known; k++)
            known = !strcmp(d->from[k], b->selections[s - 1].sel.source_key);
        if (!known)
            return false;
    }
    return true;
}

static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const pair *)a)->from, ((const pair *)b)->from);
}

/* The batch the store sees: matched races, their runners and meetings left out, their prices
 * on our selections. Owns its arrays; the keys point into the batch it came from or `to`.
 * Built under the lock, stored after it: it holds no pointer into the decisions. */
typedef struct {
    odz_batch_owned own; /* .keys unused */
    pair *pairs;
    size_t n_pairs;
    char (*to)[ODZ_KEY_MAX]; /* copies of our keys, so the decisions may change meanwhile */
    char (*from)[ODZ_KEY_MAX]; /* and of the market's */
    const char **out;        /* race keys of the markets left out: matched or held */
    size_t n_out;
    const char **held;       /* selection keys of the held markets, sorted */
    size_t n_held;
} rewritten;

static void rewritten_free(rewritten *w)
{
    odz_batch_owned_free(&w->own);
    free(w->pairs);
    free(w->to);
    free(w->from);
    free(w->out);
    free(w->held);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* (w->out is sorted once it is complete) */
static bool left_out(const rewritten *w, const char *race_key)
{
    return bsearch(&race_key, w->out, w->n_out, sizeof *w->out, cmp_str) != NULL;
}

/* Where a row of the market's runner `key` goes: our runner's key when its market matched,
 * NULL (left out) when its market is held, else `key` itself. Every per-runner row of a batch
 * (prices; any other kept by runner key) goes through here. */
static const char *rekey(const rewritten *w, const char *key)
{
    pair k = {key, NULL};
    const pair *hit = bsearch(&k, w->pairs, w->n_pairs, sizeof k, cmp_pair);
    if (hit)
        return hit->to;
    return bsearch(&key, w->held, w->n_held, sizeof *w->held, cmp_str) ? NULL : key;
}

/* Build w from b and the decisions of its races (x: b's selections by race). Caller holds
 * m->lock. */
static int rewrite(odz_matching *m, const odz_batch *b, const by_race *x, rewritten *w)
{
    /* sized to what is written (every slot is written before it is read, so nothing is
     * zeroed): a batch of a few matched races must not allocate and clear room for every
     * race's full field of runner keys */
    size_t nr = b->n_races ? b->n_races : 1, np = 1;
    bool any = false; /* a race matched or held: else the batch passes as it came */
    for (size_t i = 0; i < b->n_races; i++) {
        const decision *d = find(m, b->races[i].race.source_key);
        any |= d && (d->held || d->result == ODZ_MATCH_OK);
        if (d && !d->held && d->result == ODZ_MATCH_OK)
            np += d->n_runners;
    }
    if (!any) {
        w->own.batch = *b;
        return 0;
    }
    w->out = malloc(nr * sizeof *w->out);
    w->held = malloc((b->n_selections ? b->n_selections : 1) * sizeof *w->held);
    w->pairs = malloc(np * sizeof *w->pairs);
    w->to = malloc(np * sizeof *w->to);
    w->from = malloc(np * sizeof *w->from);
    odz_batch_owned *ow = &w->own;
    ow->meetings = malloc((b->n_meetings ? b->n_meetings : 1) * sizeof *ow->meetings);
    ow->races = malloc(nr * sizeof *ow->races);
    ow->selections = malloc((b->n_selections ? b->n_selections : 1) * sizeof *ow->selections);
    ow->prices = malloc((b->n_prices ? b->n_prices : 1) * sizeof *ow->prices);
    ow->books = malloc((b->n_books ? b->n_books : 1) * sizeof *ow->books);
    if (!w->out || !w->held || !w->pairs || !w->to || !w->from || !ow->meetings || !ow->races ||
        !ow->selections || !ow->prices || !ow->books)
        return ODZ_ENOMEM;
    odz_batch *o = &ow->batch;
    *o = *b; /* what is not rewritten below passes as it came */
    o->n_meetings = o->n_races = o->n_selections = o->n_prices = o->n_books = 0;
    o->meetings = ow->meetings;
    o->races = ow->races;
    o->selections = ow->selections;
    o->prices = ow->prices;
    o->books = ow->books;
    for (size_t i = 0; i < b->n_races; i++) {
        const decision *d = find(m, b->races[i].race.source_key);
        if (d && d->held) {
            w->out[w->n_out++] = b->races[i].race.source_key;
            for (uint32_t s = by_race_first(x, b, d->key); s; s = by_race_next(x, b, d->key, s))
                w->held[w->n_held++] = b->selections[s - 1].sel.source_key;
            continue;
        }
        if (!d || d->result != ODZ_MATCH_OK) {
            ow->races[o->n_races++] = b->races[i];
            continue;
        }
        w->out[w->n_out++] = b->races[i].race.source_key;
        for (size_t k = 0; k < d->n_runners; k++) {
            memcpy(w->from[w->n_pairs], d->from[k], ODZ_KEY_MAX);
            memcpy(w->to[w->n_pairs], d->to[k], ODZ_KEY_MAX);
            w->pairs[w->n_pairs] = (pair){w->from[w->n_pairs], w->to[w->n_pairs]};
            w->n_pairs++;
        }
    }
    odz_sort(w->pairs, w->n_pairs, sizeof *w->pairs, cmp_pair);
    odz_sort(w->held, w->n_held, sizeof *w->held, cmp_str);
    odz_sort(w->out, w->n_out, sizeof *w->out, cmp_str);
    for (size_t i = 0; i < b->n_meetings; i++) {
        bool used = false, kept = false;
        for (size_t r = 0; r < b->n_races; r++)
            if (!strcmp(b->races[r].meeting_key, b->meetings[i].source_key)) {
                used = true;
                kept |= !left_out(w, b->races[r].race.source_key);
            }
        if (kept || !used)
            ow->meetings[o->n_meetings++] = b->meetings[i];
    }
    for (size_t i = 0; i < b->n_selections; i++)
        if (!left_out(w, b->selections[i].race_key))
            ow->selections[o->n_selections++] = b->selections[i];
    for (size_t i = 0; i < b->n_prices; i++) {
        odz_batch_price p = b->prices[i];
        if ((p.selection_key = rekey(w, p.selection_key)) != NULL)
            ow->prices[o->n_prices++] = p;
    }
    for (size_t i = 0; i < b->n_books; i++) {
        odz_batch_exbook eb = b->books[i];
        if ((eb.selection_key = rekey(w, eb.selection_key)) != NULL)
            ow->books[o->n_books++] = eb;
    }
    return 0;
}

/* The source's counts of decisions into its metrics. Caller holds m->lock. */
static void count_source(odz_matching *m, const char *source)
{
    long ok = 0, not = 0;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->d[i]->source, source)) {
            ok += m->d[i]->result == ODZ_MATCH_OK;
            not += m->d[i]->result != ODZ_MATCH_OK;
        }
    odz_srcstat_markets(source, ok, not);
}

/* The source a batch names: letters, digits, '-' and '_' only, else "exchange". */
static void source_of(const char *s, char out[ODZ_MATCHING_SOURCE_MAX])
{
    size_t n = s ? strlen(s) : 0;
    bool ok = n > 0 && n < ODZ_MATCHING_SOURCE_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
             (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_';
    snprintf(out, ODZ_MATCHING_SOURCE_MAX, "%s", ok ? s : "exchange");
}

/* The market of decision `d` (a copy) in the store: its race of its own, stored apart before
 * it matched, retired into the race it matched (its runners' prices and books copied onto
 * ours), or restored when it matches no more. Nothing to do when the market has no race of its
 * own. Called without the lock; the decision, if still remembered, learns the outcome. A
 * failure is logged and tried again with the market's next batch. */
static void settle(odz_matching *m, odz_store *store, const decision *d, int64_t now,
                   odz_changes *ch)
{
    bool ok = d->result == ODZ_MATCH_OK;
    odz_store_rekey pairs[ODZ_MAX_RUNNERS];
    for (size_t i = 0; ok && i < d->n_runners; i++)
        pairs[i] = (odz_store_rekey){d->from[i], d->to[i]};
    char err[ODZ_ERRLEN];
    int rc = ODZ_STORE_CALL(store, retire_race, d->key, ok ? d->race_key : NULL, pairs,
                            ok ? d->n_runners : 0, now, ch, err);
    if (rc) {
        odz_log_kv(ODZ_LOG_WARN,
                   ok ? "market's own race not retired" : "market's race not restored", "source",
                   d->source, "market", d->key, "error", err, NULL);
        return;
    }
    pthread_mutex_lock(&m->lock);
    decision *now_d = find(m, d->key);
    if (now_d && now_d->result == d->result && !strcmp(now_d->race_key, d->race_key)) {
        now_d->retired = ok;
        now_d->check = false;
    }
    pthread_mutex_unlock(&m->lock);
}

int odz_matching_upsert(odz_matching *m, odz_store *store, const odz_batch *b, const char *src,
                        bool match, int64_t now, odz_changes *ch, char *err)
{
    if (!match) {
        int rc = ODZ_STORE_CALL(store, upsert_batch, b, now, ch, err);
        if (rc == 0 && (ch->meetings_added || ch->races_added || ch->selections_added)) {
            pthread_mutex_lock(&m->lock);
            m->generation++;
            pthread_mutex_unlock(&m->lock);
        }
        return rc;
    }
    char source[ODZ_MATCHING_SOURCE_MAX], why[ODZ_ERRLEN] = "";
    source_of(src, source);
    rewritten w = {0};
    by_race x = {0};
    int rc = 0;
    size_t n_due = 0; /* copies of the decisions whose race of its own to retire or restore */
    decision **due = calloc(b->n_races ? b->n_races : 1, sizeof *due);
    if (!due || by_race_build(&x, b)) {
        free(due);
        by_race_free(&x);
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&m->lock);
    /* the candidates kept, unless another source added some and they are old enough to read
     * again; the generation decisions now see is theirs */
    if (m->cache.loaded && m->cache_gen != m->generation &&
        odz_mono_ms() - m->cache_ms >= ODZ_MATCHING_CANDS_MS)
        cands_free(&m->cache);
    uint64_t gen = m->cache.loaded ? m->cache_gen : m->generation;
    for (size_t i = 0; rc == 0 && i < b->n_races; i++) {
        const odz_batch_race *br = &b->races[i];
        decision *d = find(m, br->race.source_key);
        bool again = !d ||
                     (d->result != ODZ_MATCH_OK && (d->generation != gen ||
                                                    now - d->decided_at >= ODZ_MATCHING_RETRY_S ||
                                                    now < d->decided_at)) ||
                     (d->result == ODZ_MATCH_OK && !knows_runners(d, b, &x));
        if (again) {
            decision *nd = malloc(sizeof *nd);
            if (!nd) {
                rc = odz_fail(why, sizeof why, ODZ_ENOMEM, "out of memory");
                break;
            }
            snprintf(nd->key, sizeof nd->key, "%s", br->race.source_key);
            snprintf(nd->source, sizeof nd->source, "%s", source);
            nd->generation = gen;
            nd->decided_at = now;
            nd->first_seen_ms = d ? d->first_seen_ms : odz_mono_ms();
            nd->stored_apart = d && d->stored_apart;
            nd->retired = !d || d->retired; /* not known at a first decision: may be */
            nd->check = d ? d->check : true; /* a store another process wrote may have it */
            rc = decide(m, store, b, br, nd, why);
            /* said once per market and reason, not at every try */
            bool news = !d || d->result != nd->result || strcmp(d->reason, nd->reason);
            if (rc == 0)
                nd->check |= !d || (d->result == ODZ_MATCH_OK) != (nd->result == ODZ_MATCH_OK) ||
                              strcmp(d->race_key, nd->race_key);
            if (rc == 0 && (d = d ? d : slot(m, nd->key)) != NULL) {
                *d = *nd;
                if (d->result != ODZ_MATCH_OK && news)
                    odz_log_kv(ODZ_LOG_INFO, "market not matched", "source", source, "market",
                               d->key, "venue", d->venue, "reason", d->reason, NULL);
            } else if (rc == 0)
                rc = odz_fail(why, sizeof why, ODZ_ENOMEM, "out of memory");
            free(nd);
        }
        if (!d)
            continue;
        d->seen = ++m->tick;
        /* held: not stored as a race of its own while its match may still come */
        d->held = !d->stored_apart && d->result != ODZ_MATCH_OK &&
                  (d->wait_runners || (d->result == ODZ_MATCH_NONE && d->others && d->start > now &&
                                       odz_mono_ms() - d->first_seen_ms < ODZ_MATCHING_HOLD_MS));
        d->stored_apart |= d->result != ODZ_MATCH_OK && !d->held;
        if (d->check && !d->held && (d->result == ODZ_MATCH_OK || d->retired)) {
            if (!(due[n_due] = malloc(sizeof *due[n_due]))) {
                rc = odz_fail(why, sizeof why, ODZ_ENOMEM, "out of memory");
                break;
            }
            *due[n_due++] = *d;
        }
    }
    if (rc == 0 && rewrite(m, b, &x, &w))
        rc = odz_fail(why, sizeof why, ODZ_ENOMEM, "out of memory");
    count_source(m, source);
    pthread_mutex_unlock(&m->lock);
    if (rc) /* cannot decide now: stored as it came, as without matching */
        odz_log_kv(ODZ_LOG_WARN, "markets not matched this time", "source", source, "error", why,
                   NULL);
    else
        for (size_t i = 0; i < n_due; i++)
            settle(m, store, due[i], now, ch);
    for (size_t i = 0; i < n_due; i++)
        free(due[i]);
    free(due);
    by_race_free(&x);
    rc = ODZ_STORE_CALL(store, upsert_batch, rc ? b : &w.own.batch, now, ch, err);
    rewritten_free(&w);
    return rc;
}

static int cmp_start(const void *a, const void *b)
{
    const decision *x = *(decision *const *)a, *y = *(decision *const *)b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return strcmp(x->key, y->key);
}

json_t *odz_matching_unmatched(odz_matching *m)
{
    json_t *a = json_array();
    pthread_mutex_lock(&m->lock);
    decision **v = malloc((m->n ? m->n : 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < m->n; i++)
        if (m->d[i]->result != ODZ_MATCH_OK)
            v[n++] = m->d[i];
    if (v)
        odz_sort(v, n, sizeof *v, cmp_start);
    for (size_t i = 0; a && v && i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:I,s:b}", "source", v[i]->source,
                         "market_key", v[i]->key, "venue", v[i]->venue, "start",
                         (json_int_t)v[i]->start, "market_name", v[i]->market, "result",
                         v[i]->result == ODZ_MATCH_UNSURE ? "unsure" : "none", "reason",
                         v[i]->reason, "decided_at", (json_int_t)v[i]->decided_at, "held",
                         v[i]->held));
    pthread_mutex_unlock(&m->lock);
    if (!v) {
        json_decref(a);
        return NULL;
    }
    free(v);
    return a;
}

/* Betfair markets as meetings, races, selections, exchange prices and results; market
 * catalogues for the names a market definition leaves out. */
#include "betfair/domain.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/tz.h"

#define EVENT_TYPE_HORSES 7
#define EVENT_TYPE_GREYHOUNDS 4339

/* ---- catalogues ---- */

static int catalogue_one(const json_t *j, odz_bf_catalogue *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    const char *id = json_string_value(json_object_get(j, "marketId"));
    if (!json_is_object(j) || !id || odz_strlcpy(c->market_id, id, sizeof c->market_id) ||
        !odz__key_ok(id))
        return odz_fail(err, errlen, ODZ_EINVAL, "catalogue without a valid marketId");
    const char *name = json_string_value(json_object_get(j, "marketName"));
    if (name)
        odz_strlcpy(c->market_name, name, sizeof c->market_name);
    const json_t *runners = json_object_get(j, "runners"), *r;
    if (runners && !json_is_array(runners))
        return odz_fail(err, errlen, ODZ_EINVAL, "catalogue %s: runners not an array", id);
    if (json_array_size(runners) > ODZ_BF_MAX_RUNNERS)
        return odz_fail(err, errlen, ODZ_EFULL, "catalogue %s: more than %d runners", id,
                        ODZ_BF_MAX_RUNNERS);
    size_t i;
    json_array_foreach(runners, i, r) {
        odz_bf_catalogue_runner *x = &c->runners[c->n_runners];
        int64_t sid, prio = 0;
        const char *rn = json_string_value(json_object_get(r, "runnerName"));
        if (odz__jint(json_object_get(r, "selectionId"), 1, INT64_MAX / 2, &sid) || !rn ||
            odz__jint(json_object_get(r, "sortPriority"), 0, 1000, &prio) == ODZ_EINVAL)
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "catalogue %s: runners[%zu] needs selectionId and runnerName", id, i);
        x->id = sid;
        x->sort_priority = (int)prio;
        odz_strlcpy(x->name, rn, sizeof x->name); /* a name cut at the limit is still a name */
        c->n_runners++;
    }
    return 0;
}

int odz_bf_catalogue_parse(const char *body, size_t len, odz_bf_catalogues *out, char *err,
                           size_t errlen)
{
    if (len > ODZ_BF_CATALOGUE_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "catalogue of %zu bytes (limit %u)", len,
                        ODZ_BF_CATALOGUE_MAX);
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return odz_fail(err, errlen, ODZ_EINVAL, "catalogue not JSON: %s", je.text);
    json_t *list = j;
    if (json_is_object(j) && json_is_array(json_object_get(j, "result")))
        list = json_object_get(j, "result");
    size_t n = json_is_array(list) ? json_array_size(list) : 1;
    int rc = 0;
    odz_bf_catalogue *tmp = NULL;
    if (out->n + n > ODZ_BF_MAX_CATALOGUES) {
        rc = odz_fail(err, errlen, ODZ_EFULL, "more than %d catalogues", ODZ_BF_MAX_CATALOGUES);
        goto out;
    }
    tmp = calloc(n ? n : 1, sizeof *tmp);
    if (!tmp) {
        rc = odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = catalogue_one(json_is_array(list) ? json_array_get(list, i) : list, &tmp[i], err,
                           errlen);
    if (rc)
        goto out;
    if (out->n + n > out->cap) {
        size_t cap = out->cap ? out->cap : 8;
        while (cap < out->n + n)
            cap *= 2;
        odz_bf_catalogue *v = realloc(out->v, cap * sizeof *v);
        if (!v) {
            rc = odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
            goto out;
        }
        out->v = v;
        out->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        odz_bf_catalogue *old = (odz_bf_catalogue *)odz_bf_catalogue_find(out, tmp[i].market_id);
        if (old)
            *old = tmp[i];
        else
            out->v[out->n++] = tmp[i];
    }
out:
    free(tmp);
    json_decref(j);
    return rc;
}

const odz_bf_catalogue *odz_bf_catalogue_find(const odz_bf_catalogues *c, const char *market_id)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (!strcmp(c->v[i].market_id, market_id))
            return &c->v[i];
    return NULL;
}

void odz_bf_catalogues_free(odz_bf_catalogues *c)
{
    free(c->v);
    *c = (odz_bf_catalogues){0};
}

/* ---- names and keys ---- */

int odz_bf_runner_number(const char *name, const char **rest)
{
    const char *p = name;
    int n = 0;
    while (isdigit((unsigned char)*p) && n < 1000)
        n = n * 10 + (*p++ - '0');
    if (p == name || p - name > 2 || *p != '.' || p[1] != ' ' || !p[2] || n < 1) {
        *rest = name;
        return 0;
    }
    *rest = p + 2;
    return n;
}

/* "R1 1200m Mdn" -> 1; 0 when the name carries no race number. */
static int race_number(const char *name)
{
    if ((name[0] != 'R' && name[0] != 'r') || !isdigit((unsigned char)name[1]))
        return 0;
    int n = 0;
    const char *p = name + 1;
    while (isdigit((unsigned char)*p) && n < 100)
        n = n * 10 + (*p++ - '0');
    return (*p == ' ' || !*p) && n >= 1 && n <= 99 ? n : 0;
}

/* The first "<digits>m" word of a market name ("OR 280m") in metres, 0 if none. */
static int distance(const char *name)
{
    for (const char *p = name; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > name && p[-1] != ' '))
            continue;
        int d = 0;
        const char *q = p;
        while (isdigit((unsigned char)*q) && d < 100000)
            d = d * 10 + (*q++ - '0');
        if (*q == 'm' && (!q[1] || q[1] == ' ') && d >= 100 && d <= 10000)
            return d;
    }
    return 0;
}

static bool racing_market(const odz_bf_market *m)
{
    return m->defined && m->market_time > 0 && m->venue[0] &&
           (m->event_type_id == EVENT_TYPE_HORSES || m->event_type_id == EVENT_TYPE_GREYHOUNDS) &&
           (!strcmp(m->market_type, "WIN") || !strcmp(m->market_type, "PLACE"));
}

int odz_bf_race_key(const odz_bf_market *m, char *out, size_t n)
{
    int k = snprintf(out, n, "betfair:%s:%lld", m->event_id[0] ? m->event_id : m->id,
                     (long long)m->market_time);
    return k < 0 || (size_t)k >= n ? ODZ_EINVAL : 0;
}

/* Horse racing (event type 7) holds harness races too: the definition's raceType tells them. */
static odz_race_type market_race_type(const odz_bf_market *m)
{
    if (m->event_type_id == EVENT_TYPE_GREYHOUNDS)
        return ODZ_GREYHOUND;
    return strcasecmp(m->race_type, "Harness") == 0 ? ODZ_HARNESS : ODZ_THOROUGHBRED;
}

static int meeting_key(const odz_bf_market *m, const char *tz, char *date, char *out, size_t n)
{
    if (odz_race_day(m->market_time, tz, date))
        return ODZ_EINVAL;
    char slug[ODZ_NAME_MAX];
    size_t j = 0;
    for (const char *p = m->venue; *p && j + 1 < sizeof slug; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isalnum(ch))
            slug[j++] = (char)tolower(ch);
        else if (j && slug[j - 1] != '-')
            slug[j++] = '-';
    }
    while (j && slug[j - 1] == '-')
        j--;
    slug[j] = '\0';
    if (!j)
        return ODZ_EINVAL; /* a venue of no letters or digits */
    int k =
        snprintf(out, n, "betfair:%s:%s:%s", date, slug, odz_race_type_name(market_race_type(m)));
    return k < 0 || (size_t)k >= n ? ODZ_EINVAL : 0;
}

/* ---- one race ---- */

typedef struct {
    odz_bf_market *win, *place; /* the race's markets (either may be NULL) */
    odz_bf_market *any;         /* to convert: the lead market; NULL to skip */
    char key[ODZ_KEY_MAX];
    char mkey[ODZ_KEY_MAX];     /* its meeting's key */
    char date[ODZ_DATE_MAX];    /* its race day */
    int64_t start;
} race_group;

static const char *runner_name(const odz_bf_market *m, const odz_bf_catalogues *cats,
                               const odz_bf_runner *r)
{
    if (r->name[0])
        return r->name;
    const odz_bf_catalogue *c = odz_bf_catalogue_find(cats, m->id);
    for (size_t i = 0; c && i < c->n_runners; i++)
        if (c->runners[i].id == r->id)
            return c->runners[i].name;
    return NULL;
}

static const char *market_name(const odz_bf_market *m, const odz_bf_catalogues *cats)
{
    const odz_bf_catalogue *c = odz_bf_catalogue_find(cats, m->id);
    return m->name[0] ? m->name : c ? c->market_name : "";
}

/* Number and name of runner r of market m: from its name in the definition or catalogue of
 * either market of the race, its sort priority otherwise. */
static int runner_identity(const race_group *g, const odz_bf_catalogues *cats,
                           const odz_bf_runner *r, char *name, size_t n)
{
    const odz_bf_market *ms[2] = {g->win, g->place};
    const char *full = NULL;
    int prio = r->sort_priority;
    for (int i = 0; i < 2 && !full; i++) {
        const odz_bf_runner *x = ms[i] ? odz_bf_find_runner(ms[i], r->id) : NULL;
        if (!x)
            continue;
        full = runner_name(ms[i], cats, x);
        if (!prio)
            prio = x->sort_priority;
    }
    const char *rest = "";
    int number = full ? odz_bf_runner_number(full, &rest) : 0;
    if (!number)
        number = prio;
    if (full && *rest)
        odz_strlcpy(name, rest, n);
    else
        snprintf(name, n, "Runner %lld", (long long)r->id); /* no name anywhere yet */
    return number;
}

static odz_race_status market_race_status(const odz_bf_market *m)
{
    switch (m->status) {
    case ODZ_BF_MARKET_CLOSED:
        return ODZ_CLOSED;
    case ODZ_BF_MARKET_SUSPENDED:
        return m->in_play || m->pt / 1000 >= m->market_time ? ODZ_CLOSED : ODZ_OPEN;
    default:
        return m->in_play ? ODZ_CLOSED : ODZ_OPEN;
    }
}

static int add_price(odz_scrape *s, const char *sel_key, const char *provider, odz_market mk,
                     int odds, int64_t ts)
{
    if (odds < 100)
        return 0;
    odz_price p = {0};
    odz_strlcpy(p.provider, provider, sizeof p.provider);
    p.market = mk;
    p.odds = odds;
    p.ts = ts;
    return odz__scrape_add_price(s, sel_key, &p);
}

/* Runner r's book on market m in our units: its best offers (none once the market is closed:
 * what is left in the cache then is no offer), last traded, volume, and the starting price
 * (the definition's bsp; the near projection once the market says the SP is reconciled),
 * trimmed to what is well formed. */
static void runner_book(const odz_bf_market *m, const odz_bf_runner *r, odz_exchange_book *b)
{
    odz_bf_runner_book(r, b);
    if (m->status == ODZ_BF_MARKET_CLOSED) {
        memset(b->back, 0, sizeof b->back);
        memset(b->lay, 0, sizeof b->lay);
    }
    if (!b->starting_price && m->bsp_reconciled)
        b->starting_price = r->spn;
    odz_exchange_book_trim(b);
}

/* The book of a runner still in the race (not removed), unless it holds nothing. */
static int add_book(odz_scrape *s, const char *sel_key, const char *provider,
                    const odz_bf_runner *r, const odz_exchange_book *b, int64_t ts)
{
    if (r->status == ODZ_BF_RUNNER_REMOVED || r->status == ODZ_BF_RUNNER_REMOVED_VACANT ||
        r->status == ODZ_BF_RUNNER_HIDDEN || odz_exchange_book_empty(b))
        return 0;
    odz_exbook x = {.book = *b, .ts = ts};
    odz_strlcpy(x.provider, provider, sizeof x.provider);
    return odz__scrape_add_exbook(s, sel_key, &x);
}

/* Number of the race: from its market name, else its rank by start time among the races of
 * its meeting that the cache knows. */
static int race_rank(const race_group *groups, size_t n, const race_group *g, const char *name)
{
    int k = race_number(name);
    if (k)
        return k;
    int earlier = 0;
    for (size_t i = 0; i < n; i++)
        earlier += groups[i].start < g->start && !strcmp(groups[i].mkey, g->mkey);
    return earlier + 1 > 99 ? 99 : earlier + 1;
}

static int convert_race(const race_group *groups, size_t n_groups, const race_group *g,
                        const odz_bf_catalogues *cats, odz_scrape *s, char *err, size_t errlen)
{
    const odz_bf_market *lead = g->win ? g->win : g->place;
    odz_meeting mt = {0};
    const char *mkey = g->mkey;
    memcpy(mt.date, g->date, sizeof mt.date);
    odz_strlcpy(mt.source_key, mkey, sizeof mt.source_key);
    odz_strlcpy(mt.name, lead->venue, sizeof mt.name);
    odz_strlcpy(mt.country, lead->country, sizeof mt.country);
    odz_strlcpy(mt.region, odz__region_of_country(lead->country), sizeof mt.region);
    mt.type = market_race_type(lead);
    mt.first_start = lead->market_time;
    const char *mk = odz__scrape_key(s, mkey), *rk = odz__scrape_key(s, g->key);
    if (!mk || !rk)
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    int rc = odz__scrape_add_meeting(s, &mt);
    if (rc)
        return odz_fail(err, errlen, rc, "meeting %s: %s", mkey, odz_errcode(rc));

    odz_race race = {0};
    odz_strlcpy(race.source_key, g->key, sizeof race.source_key);
    const char *name = market_name(lead, cats);
    if (!name[0] && g->place)
        name = market_name(g->place, cats);
    odz_strlcpy(race.name, name, sizeof race.name);
    race.number = race_rank(groups, n_groups, g, name);
    race.distance = distance(name);
    race.scheduled_start = lead->market_time;
    race.status = market_race_status(lead);
    if (g->place && !g->win && race.status > ODZ_CLOSED)
        race.status = ODZ_CLOSED;
    /* selections: the runners of both markets, the WIN market's first */
    const odz_bf_market *ms[2] = {g->win, g->place};
    int win_numbers[ODZ_MAX_PLACINGS];
    size_t n_win = 0;
    for (int k = 0; k < 2; k++) {
        const odz_bf_market *m = ms[k];
        for (size_t i = 0; m && i < m->n_runners; i++) {
            const odz_bf_runner *r = &m->runners[i];
            odz_selection sel = {0};
            char skey[ODZ_KEY_MAX];
            if (snprintf(skey, sizeof skey, "%s:%lld", g->key, (long long)r->id) >=
                (int)sizeof skey)
                return odz_fail(err, errlen, ODZ_EINVAL, "selection key too long");
            sel.number = runner_identity(g, cats, r, sel.name, sizeof sel.name);
            if (sel.number < 1 || sel.number > 99) {
                odz__scrape_warn(s, "market %s runner %lld: no usable number", m->id,
                                 (long long)r->id);
                continue;
            }
            const char *sk = odz__scrape_key(s, skey);
            if (!sk)
                return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
            if (k == 1 && g->win && odz_bf_find_runner(g->win, r->id)) {
                /* already a selection: the PLACE market adds its prices only */
            } else {
                odz_strlcpy(sel.source_key, skey, sizeof sel.source_key);
                if (mt.type == ODZ_GREYHOUND)
                    sel.barrier = sel.number; /* a greyhound's trap is its box */
                const odz_bf_runner *wr = g->win ? odz_bf_find_runner(g->win, r->id) : NULL;
                const odz_bf_runner *st = wr ? wr : r;
                sel.scratched = st->status == ODZ_BF_RUNNER_REMOVED ||
                                st->status == ODZ_BF_RUNNER_REMOVED_VACANT;
                if (sel.scratched)
                    sel.scratch_time = st->removed_at / 1000;
                if (sel.scratched && wr)
                    sel.deduction = wr->adjustment; /* the WIN market's reduction factor */
                if ((rc = odz__scrape_add_selection(s, rk, &sel)))
                    return odz_fail(err, errlen, rc, "selection %s: %s", skey, odz_errcode(rc));
            }
            if (m == g->win && r->status == ODZ_BF_RUNNER_WINNER && n_win < ODZ_MAX_PLACINGS)
                win_numbers[n_win++] = sel.number;
            odz_exchange_book b;
            runner_book(m, r, &b);
            const char *prov = m == g->win ? ODZ_BF_PROVIDER : ODZ_BF_PROVIDER_PLACE;
            if ((rc = add_book(s, sk, prov, r, &b, m->pt / 1000)))
                return odz_fail(err, errlen, rc, "book of %s: %s", skey, odz_errcode(rc));
            if (m->status == ODZ_BF_MARKET_CLOSED || r->status != ODZ_BF_RUNNER_ACTIVE)
                continue;
            if ((rc = add_price(s, sk, prov, ODZ_EXCHANGE_BACK, b.back[0].odds, m->pt / 1000)) ||
                (rc = add_price(s, sk, prov, ODZ_EXCHANGE_LAY, b.lay[0].odds, m->pt / 1000)))
                return odz_fail(err, errlen, rc, "prices of %s: %s", skey, odz_errcode(rc));
        }
    }
    /* the result: the WIN market's winners first (several on a dead heat), then the one other
     * winner of a two-place PLACE market */
    if (g->win && g->win->status == ODZ_BF_MARKET_CLOSED && n_win) {
        for (size_t i = 0; i < n_win; i++)
            race.results[race.n_results++] = (odz_placing){1, win_numbers[i], ""};
        race.status = ODZ_FINAL;
        const odz_bf_market *p = g->place;
        int other = 0, n_other = 0;
        for (size_t i = 0; p && p->status == ODZ_BF_MARKET_CLOSED && p->n_winners == 2 &&
                           n_win == 1 && i < p->n_runners;
             i++) {
            if (p->runners[i].status != ODZ_BF_RUNNER_WINNER)
                continue;
            char nm[ODZ_NAME_MAX];
            int num = runner_identity(g, cats, &p->runners[i], nm, sizeof nm);
            if (num != win_numbers[0]) {
                other = num;
                n_other++;
            }
        }
        if (n_other == 1)
            race.results[race.n_results++] = (odz_placing){2, other, ""};
    }
    if ((rc = odz__scrape_add_race(s, mk, &race)))
        return odz_fail(err, errlen, rc, "race %s: %s", g->key, odz_errcode(rc));
    return 0;
}

int odz_bf_to_scrape(odz_bf_cache *c, const odz_bf_catalogues *cats, const char *tz,
                     bool only_changed, odz_scrape *out, char *err, size_t errlen)
{
    race_group *groups = calloc(c->n_markets ? c->n_markets : 1, sizeof *groups);
    if (!groups)
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < c->n_markets; i++) {
        odz_bf_market *m = c->markets[i];
        char key[ODZ_KEY_MAX];
        if (!racing_market(m) || odz_bf_race_key(m, key, sizeof key) || !odz__key_ok(key))
            continue;
        size_t j = 0;
        while (j < n && strcmp(groups[j].key, key))
            j++;
        if (j == n) {
            race_group *g = &groups[n];
            if (meeting_key(m, tz, g->date, g->mkey, sizeof g->mkey) || !odz__key_ok(g->mkey))
                continue; /* no race day, or a venue of no letters */
            memcpy(g->key, key, sizeof key);
            g->start = m->market_time;
            n++;
        }
        race_group *g = &groups[j];
        if (!strcmp(m->market_type, "WIN"))
            g->win = m;
        else
            g->place = m;
        if (m->changed || !only_changed)
            g->any = m;
    }
    /* An empty scrape (the replay's and the client's, kept between seconds) is filled in
     * place, its arrays reused, and emptied again on a failure; any other is merged into. */
    bool direct = odz_scrape_empty(out);
    odz_scrape tmp = {0}, *into = direct ? out : &tmp;
    for (size_t j = 0; rc == 0 && j < n; j++)
        if (groups[j].any) {
            groups[j].any = groups[j].win ? groups[j].win : groups[j].place;
            rc = convert_race(groups, n, &groups[j], cats, into, err, errlen);
        }
    if (direct && rc)
        odz_scrape_clear(out);
    if (!direct && rc == 0 && (rc = odz__scrape_merge(out, &tmp)) != 0)
        odz_fail(err, errlen, rc, "scrape full: %s", odz_errcode(rc));
    odz_scrape_free(&tmp);
    if (rc == 0)
        for (size_t j = 0; j < n; j++)
            if (groups[j].any) {
                if (groups[j].win)
                    groups[j].win->changed = false;
                if (groups[j].place)
                    groups[j].place->changed = false;
            }
    free(groups);
    return rc;
}

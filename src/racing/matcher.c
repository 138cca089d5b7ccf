/* The odds engine's incremental state and its events; see racing/matcher.h. */
#include "racing/matcher.h"
#include "betfair/domain.h"
#include "core/err.h"
#include "core/json.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "racing/compare.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXP ODZ_MATCHER_PROVIDERS_MAX
#define DEFAULT_STAKE 1000     /* published rows: 10.00 */
#define DEFAULT_COMMISSION 500 /* and 5 % */
#define CLOSED_RING 512        /* races seen not OPEN, so their late prices do not reload them */
#define LOAD_MAX                                                                                   \
    500 /* races read at start (the store's limit), soonest first; the rest on first change */

typedef struct {
    int64_t id;
    int number;
    char name[ODZ_NAME_MAX];
    char *name_e; /* name escaped for JSON (esc) */
    bool scratched;
    int px[MAXP][ODZ_MARKETS]; /* latest odds, hundredths; 0 none */
    int64_t lay_size[2];       /* cents at the exchange's best lay, win and place; -1 unknown */
    uint64_t had_rows;         /* providers this runner had rows of when last published */
} mrunner;

/* The race's best prices and percentages, as last published on race.<id>.odds. */
typedef struct {
    int best[ODZ_MAX_RUNNERS][2];
    int best_p[ODZ_MAX_RUNNERS][2];
    int pct[MAXP][ODZ_MARKETS];
    int pct_n[MAXP][ODZ_MARKETS];
    int bpct[2], bpct_n[2];
} odds_state;

typedef struct {
    int64_t id;
    int number;
    char name[ODZ_NAME_MAX];
    char venue[ODZ_NAME_MAX];
    char *name_e, *venue_e; /* escaped for JSON (esc) */
    odz_race_type type;
    int64_t start;
    size_t nr, np;
    mrunner r[ODZ_MAX_RUNNERS];
    char pv[MAXP][ODZ_PROVIDER_MAX]; /* in the order first seen */
    char *pv_e[MAXP];                /* escaped for JSON (esc) */
    size_t order[MAXP];              /* indices of pv sorted by name */
    int bf, bfp;                     /* index of the exchange's win and place provider, -1 */
    bool bookie[MAXP];               /* a bookmaker: fixed win prices one can back */
    odds_state odds;
} mrace;

struct odz_matcher {
    odz_bus *bus;
    pthread_mutex_t lock;
    mrace **races;
    size_t n;
    int64_t closed[CLOSED_RING];
    size_t closed_at;
    odz_matcher_stats st;
};

static char *esc(const char *s);

static void race_free(mrace *r)
{
    if (!r)
        return;
    free(r->name_e);
    free(r->venue_e);
    for (size_t i = 0; i < r->nr; i++)
        free(r->r[i].name_e);
    for (size_t p = 0; p < r->np; p++)
        free(r->pv_e[p]);
    free(r);
}

/* /metrics: what is held and what was published (Prometheus reads them at each render). */
static void metrics_collect(void *ud)
{
    odz_matcher_stats st;
    odz_matcher_stats_get(ud, &st);
    odz_metric_set(odz_gauge("oddzy_matcher_races", "Open races held by the odds matcher", NULL),
                   (double)st.races);
    odz_metric_set(
        odz_gauge("oddzy_matcher_rows", "Odds matcher rows (runner x bookmaker) held", NULL),
        (double)st.rows);
    odz_metric_set(odz_counter("oddzy_matcher_runner_updates_total",
                               "Runners whose odds matcher rows were published", NULL),
                   (double)st.runner_updates);
    odz_metric_set(
        odz_counter("oddzy_matcher_odds_events_total", "race.<id>.odds events published", NULL),
        (double)st.odds_published);
    odz_metric_set(odz_counter("oddzy_matcher_races_refused_total",
                               "Open races left out: the odds matcher held its maximum", NULL),
                   (double)st.refused);
}

odz_matcher *odz_matcher_new(odz_bus *bus)
{
    odz_matcher *m = calloc(1, sizeof *m);
    if (m && !(m->races = calloc(ODZ_MATCHER_RACES_MAX, sizeof *m->races))) {
        free(m);
        m = NULL;
    }
    if (!m)
        return NULL;
    m->bus = bus;
    pthread_mutex_init(&m->lock, NULL);
    odz_metrics_on_collect(metrics_collect, m); /* EFULL: no metrics, the matcher works the same */
    return m;
}

void odz_matcher_free(odz_matcher *m)
{
    if (!m)
        return;
    odz_metrics_off_collect(metrics_collect, m);
    for (size_t i = 0; i < m->n; i++)
        race_free(m->races[i]);
    free(m->races);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static mrace *find(odz_matcher *m, int64_t id, size_t *at)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->races[i]->id == id) {
            if (at)
                *at = i;
            return m->races[i];
        }
    return NULL;
}

static int provider_index(mrace *r, const char *name, bool add)
{
    for (size_t i = 0; i < r->np; i++)
        if (!strcmp(r->pv[i], name))
            return (int)i;
    if (!add || r->np == MAXP)
        return -1;
    size_t i = r->np++;
    snprintf(r->pv[i], sizeof r->pv[i], "%s", name);
    r->pv_e[i] = esc(name);
    size_t k = i;
    while (k > 0 && strcmp(r->pv[r->order[k - 1]], name) > 0) {
        r->order[k] = r->order[k - 1];
        k--;
    }
    r->order[k] = i;
    if (!strcmp(name, ODZ_BF_PROVIDER))
        r->bf = (int)i;
    else if (!strcmp(name, ODZ_BF_PROVIDER_PLACE))
        r->bfp = (int)i;
    /* the odds-comparison site's "best" and "average" summarise the others (oddscomau.c) */
    r->bookie[i] =
        (int)i != r->bf && (int)i != r->bfp && strcmp(name, "best") && strcmp(name, "average");
    return (int)i;
}

static int runner_index(const mrace *r, int64_t sel)
{
    for (size_t i = 0; i < r->nr; i++)
        if (r->r[i].id == sel)
            return (int)i;
    return -1;
}

static int active_runners(const mrace *r)
{
    int n = 0;
    for (size_t i = 0; i < r->nr; i++)
        n += !r->r[i].scratched;
    return n;
}

/* A provider whose fixed win prices stand against the exchange. */
static bool is_bookmaker(const mrace *r, size_t p)
{
    return r->bookie[p];
}

/* ---- JSON text ------------------------------------------------------------------------- */

/* Rows and odds events are written as text: a change publishes a runner's rows and its race's
 * odds at once, and building them as jansson trees of reals cost ten times as much (the
 * formatting of doubles and the allocations; bench/matcher.sh). Strings from the sources are
 * escaped by jansson, once, when a race is put. */
typedef struct {
    char *s;
    size_t n, cap;
    bool oom;
} tbuf;

static void tb_put(tbuf *t, const char *s, size_t len)
{
    if (t->oom)
        return;
    if (t->n + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->n + len + 1)
            cap *= 2;
        char *g = realloc(t->s, cap);
        if (!g) {
            t->oom = true;
            return;
        }
        t->s = g;
        t->cap = cap;
    }
    memcpy(t->s + t->n, s, len);
    t->n += len;
    t->s[t->n] = '\0';
}

static void tb_lit(tbuf *t, const char *s)
{
    tb_put(t, s, strlen(s));
}

/* v in units of 10^-decimals, as a JSON number without trailing zeros: 984, 2 -> 9.84 */
static void tb_fixed(tbuf *t, int64_t v, int decimals)
{
    char buf[48], *e = buf + sizeof buf, *p = e;
    uint64_t x = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    bool digits = false;
    for (int d = 0; d < decimals; d++, x /= 10)
        if (digits || x % 10) {
            *--p = (char)('0' + x % 10);
            digits = true;
        }
    if (digits)
        *--p = '.';
    do {
        *--p = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    if (v < 0)
        *--p = '-';
    tb_put(t, p, (size_t)(e - p));
}

static void tb_int(tbuf *t, int64_t v)
{
    tb_fixed(t, v, 0);
}

static void tb_units(tbuf *t, int64_t hundredths)
{
    tb_fixed(t, hundredths, 2);
}

static void tb_units_or_null(tbuf *t, int64_t hundredths)
{
    if (hundredths < 0)
        tb_lit(t, "null");
    else
        tb_units(t, hundredths);
}

/* a string escaped by esc() */
static void tb_str(tbuf *t, const char *escaped)
{
    tb_put(t, "\"", 1);
    tb_lit(t, escaped ? escaped : ""); /* NULL: out of memory when escaped */
    tb_put(t, "\"", 1);
}

/* The JSON escaping of s without its quotes (jansson's), malloc'd; "" for text jansson refuses
 * (not UTF-8). NULL when out of memory. */
static char *esc(const char *s)
{
    json_t *j = json_string(s);
    char *d = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!d)
        return strdup("");
    size_t n = strlen(d);
    memmove(d, d + 1, n - 2);
    d[n - 2] = '\0';
    return d;
}

/* ---- rows -------------------------------------------------------------------------------- */

static void row_key(tbuf *t, const mrace *r, const mrunner *u, size_t p)
{
    tb_put(t, "\"", 1);
    tb_int(t, r->id);
    tb_put(t, ".", 1);
    tb_int(t, u->id);
    tb_put(t, ".", 1);
    tb_lit(t, r->pv_e[p] ? r->pv_e[p] : "");
    tb_put(t, "\"", 1);
}

/* The inputs of runner u's row of bookmaker p; false when there is no row. */
static bool row_in(const mrace *r, const mrunner *u, size_t p, int64_t stake, int commission,
                   odz_bet_type type, odz_match_in *in)
{
    if (u->scratched || r->bf < 0 || !is_bookmaker(r, p))
        return false;
    int back = u->px[p][ODZ_FIXED_WIN], lay = u->px[r->bf][ODZ_EXCHANGE_LAY];
    if (back <= 0 || lay <= 0)
        return false;
    *in = (odz_match_in){back,
                         lay,
                         r->bfp >= 0 ? u->px[r->bfp][ODZ_EXCHANGE_LAY] : 0,
                         active_runners(r),
                         stake,
                         commission,
                         type};
    return true;
}

/* ,"key":value pairs: `key` is the literal text before the value ("{\"rating\":") */
static void f_units(tbuf *t, const char *key, int64_t hundredths)
{
    tb_lit(t, key);
    tb_units(t, hundredths);
}

static void f_int(tbuf *t, const char *key, int64_t v)
{
    tb_lit(t, key);
    tb_int(t, v);
}

static void f_str(tbuf *t, const char *key, const char *escaped)
{
    tb_lit(t, key);
    tb_str(t, escaped);
}

static void bet_text(tbuf *t, const odz_matched_out *o, int rating)
{
    f_units(t, "{\"rating\":", rating);
    f_units(t, ",\"lay_stake\":", o->lay_stake);
    f_units(t, ",\"liability\":", o->liability);
    f_units(t, ",\"back_wins\":", o->back_wins);
    f_units(t, ",\"lay_wins\":", o->lay_wins);
    tb_lit(t, "}");
}

static void eachway_text(tbuf *t, const mrunner *u, const odz_match_in *in, const odz_match_out *o)
{
    f_int(t, "{\"places\":", o->places);
    f_int(t, ",\"fraction\":\"", o->frac_num);
    f_int(t, "/", o->frac_den);
    /* exact place odds in 1/10000: hundredths place_num / place_den, rounded down */
    tb_lit(t, "\",\"place_odds\":");
    tb_fixed(t, (int64_t)o->ew.place_num * 100 / o->ew.place_den, 4);
    f_units(t, ",\"lay_place\":", in->lay_place);
    tb_lit(t, ",\"lay_place_size\":");
    tb_units_or_null(t, u->lay_size[1]);
    f_units(t, ",\"rating\":", o->ew_rating);
    f_units(t, ",\"liability\":", o->ew.liability);
    f_units(t, ",\"if_wins\":", o->ew.if_wins);
    f_units(t, ",\"if_places\":", o->ew.if_places);
    f_units(t, ",\"if_loses\":", o->ew.if_loses);
    tb_lit(t, "}");
}

/* One row (docs/api.yaml, MatcherRow). */
static void row_text(tbuf *t, const mrace *r, const mrunner *u, size_t p, const odz_match_in *in,
                     const odz_match_out *o)
{
    const odz_matched_out *b = &o->bet[in->type];
    tb_lit(t, "{\"key\":");
    row_key(t, r, u, p);
    f_int(t, ",\"race_id\":", r->id);
    f_int(t, ",\"selection_id\":", u->id);
    f_int(t, ",\"number\":", u->number);
    f_str(t, ",\"runner\":", u->name_e);
    f_str(t, ",\"race_name\":", r->name_e);
    f_int(t, ",\"race_number\":", r->number);
    f_str(t, ",\"venue\":", r->venue_e);
    f_str(t, ",\"race_type\":", odz_race_type_name(r->type));
    f_int(t, ",\"start\":", r->start);
    f_str(t, ",\"bookmaker\":", r->pv_e[p]);
    f_units(t, ",\"back\":", in->back);
    f_units(t, ",\"lay\":", in->lay);
    tb_lit(t, ",\"lay_size\":");
    tb_units_or_null(t, u->lay_size[0]);
    f_units(t, ",\"stake\":", in->stake);
    f_units(t, ",\"commission\":", in->commission);
    f_str(t, ",\"type\":", odz_bet_type_name(in->type));
    f_units(t, ",\"rating\":", o->rating[in->type]);
    f_units(t, ",\"lay_stake\":", b->lay_stake);
    f_units(t, ",\"liability\":", b->liability);
    f_units(t, ",\"back_wins\":", b->back_wins);
    f_units(t, ",\"lay_wins\":", b->lay_wins);
    tb_lit(t, ",\"bets\":{");
    for (int k = ODZ_BET_QUALIFYING; k <= ODZ_BET_SR; k++) {
        tb_lit(t, k ? ",\"" : "\"");
        tb_lit(t, odz_bet_type_name((odz_bet_type)k));
        tb_lit(t, "\":");
        bet_text(t, &o->bet[k], o->rating[k]);
    }
    tb_lit(t, "},\"each_way\":");
    if (o->each_way)
        eachway_text(t, u, in, o);
    else
        tb_lit(t, "null");
    tb_lit(t, ",\"arbitrage\":");
    tb_lit(t, odz_matcher_is_arbitrage(in->back, in->lay) ? "true}" : "false}");
}

static void publish(odz_matcher *m, const char *subject, const char *key, tbuf *t)
{
    if (m->bus && !t->oom && t->n)
        m->bus->ops->publish_keyed(m->bus, subject, key, t->s, t->n, NULL);
    free(t->s);
}

/* Runner ri's rows at the published stake and commission, sent when it has or had rows. */
static void publish_runner(odz_matcher *m, mrace *r, size_t ri)
{
    mrunner *u = &r->r[ri];
    tbuf t = {0};
    f_int(&t, "{\"race_id\":", r->id);
    f_int(&t, ",\"selection_id\":", u->id);
    tb_lit(&t, ",\"rows\":[");
    uint64_t has = 0;
    for (size_t k = 0; k < r->np; k++) {
        size_t p = r->order[k];
        odz_match_in in;
        odz_match_out o;
        char err[ODZ_ERRLEN];
        if (!row_in(r, u, p, DEFAULT_STAKE, DEFAULT_COMMISSION, ODZ_BET_QUALIFYING, &in) ||
            odz_matcher_row(&in, &o, err, sizeof err))
            continue;
        if (has)
            tb_lit(&t, ",");
        has |= 1ull << p;
        row_text(&t, r, u, p, &in, &o);
    }
    tb_lit(&t, "],\"removed\":[");
    bool first = true;
    for (size_t p = 0; p < r->np; p++)
        if ((u->had_rows >> p & 1) && !(has >> p & 1)) {
            if (!first)
                tb_lit(&t, ",");
            first = false;
            row_key(&t, r, u, p);
        }
    tb_lit(&t, "]}");
    if (!has && !u->had_rows) {
        free(t.s);
        return;
    }
    m->st.runner_updates++;
    m->st.rows_published += (uint64_t)__builtin_popcountll(has);
    u->had_rows = has;
    char key[ODZ_BUS_KEY_MAX];
    snprintf(key, sizeof key, "%lld.%lld", (long long)r->id, (long long)u->id);
    publish(m, ODZ_MATCHER_SUBJECT, key, &t);
}

/* ---- best prices and percentages --------------------------------------------------------- */

static void odds_compute(const mrace *r, odds_state *s)
{
    memset(s, 0, sizeof *s);
    int odds[ODZ_MAX_RUNNERS];
    size_t used;
    for (size_t p = 0; p < r->np; p++)
        for (int mk = 0; mk < ODZ_MARKETS; mk++) {
            for (size_t i = 0; i < r->nr; i++)
                odds[i] = r->r[i].scratched ? 0 : r->r[i].px[p][mk];
            s->pct[p][mk] = odz_compare_percentage(odds, r->nr, &used);
            s->pct_n[p][mk] = (int)used;
        }
    for (int mk = ODZ_FIXED_WIN; mk <= ODZ_FIXED_PLACE; mk++) {
        for (size_t i = 0; i < r->nr; i++) {
            /* compare.h's rule: the highest, ties to the provider whose name sorts first */
            int best = 0, bp = -1;
            for (size_t k = 0; !r->r[i].scratched && k < r->np; k++) {
                size_t p = r->order[k];
                if (r->r[i].px[p][mk] > best) {
                    best = r->r[i].px[p][mk];
                    bp = (int)p;
                }
            }
            s->best[i][mk] = best;
            s->best_p[i][mk] = bp;
            odds[i] = best;
        }
        s->bpct[mk] = odz_compare_percentage(odds, r->nr, &used);
        s->bpct_n[mk] = (int)used;
    }
}

static void pct_text(tbuf *t, int pct, int n)
{
    if (!n) {
        tb_lit(t, "null");
        return;
    }
    f_units(t, "{\"percentage\":", pct);
    f_int(t, ",\"runners\":", n);
    tb_lit(t, "}");
}

/* race.<id>.odds: the shapes of the race card's comparison and runner "best" (compare.h). */
static void odds_text(tbuf *t, const mrace *r, const odds_state *s)
{
    f_int(t, "{\"race_id\":", r->id);
    tb_lit(t, ",\"providers\":[");
    for (size_t k = 0; k < r->np; k++) {
        size_t p = r->order[k];
        f_str(t, k ? ",{\"provider\":" : "{\"provider\":", r->pv_e[p]);
        tb_lit(t, ",\"markets\":{");
        bool first = true;
        for (int x = 0; x < ODZ_MARKETS; x++)
            if (s->pct_n[p][x]) {
                tb_lit(t, first ? "\"" : ",\"");
                first = false;
                tb_lit(t, odz_market_name((odz_market)x));
                tb_lit(t, "\":");
                pct_text(t, s->pct[p][x], s->pct_n[p][x]);
            }
        tb_lit(t, "}}");
    }
    tb_lit(t, "],\"best\":{");
    for (int x = ODZ_FIXED_WIN; x <= ODZ_FIXED_PLACE; x++) {
        tb_lit(t, x ? ",\"" : "\"");
        tb_lit(t, odz_market_name((odz_market)x));
        tb_lit(t, "\":");
        pct_text(t, s->bpct[x], s->bpct_n[x]);
    }
    tb_lit(t, "},\"runners\":[");
    for (size_t i = 0; i < r->nr; i++) {
        f_int(t, i ? ",{\"selection_id\":" : "{\"selection_id\":", r->r[i].id);
        f_int(t, ",\"number\":", r->r[i].number);
        tb_lit(t, ",\"best\":{");
        for (int x = ODZ_FIXED_WIN; x <= ODZ_FIXED_PLACE; x++) {
            tb_lit(t, x ? ",\"" : "\"");
            tb_lit(t, odz_market_name((odz_market)x));
            tb_lit(t, "\":");
            if (s->best_p[i][x] < 0) {
                tb_lit(t, "null");
                continue;
            }
            f_units(t, "{\"price\":", s->best[i][x]);
            f_str(t, ",\"provider\":", r->pv_e[s->best_p[i][x]]);
            tb_lit(t, "}");
        }
        tb_lit(t, "}}");
    }
    tb_lit(t, "]}");
}

/* race.<id>.odds when a best price or a percentage changed (always when `force`). */
static void publish_odds(odz_matcher *m, mrace *r, bool force)
{
    odds_state s;
    odds_compute(r, &s);
    if (!force && !memcmp(&s, &r->odds, sizeof s))
        return;
    r->odds = s;
    m->st.odds_published++;
    char subject[ODZ_SUBJECT_MAX];
    snprintf(subject, sizeof subject, "race.%lld.odds", (long long)r->id);
    tbuf t = {0};
    odds_text(&t, r, &s);
    publish(m, subject, "odds", &t);
}

/* ---- changes ----------------------------------------------------------------------------- */

static void closed_note(odz_matcher *m, int64_t id)
{
    m->closed[m->closed_at++ % CLOSED_RING] = id;
}

static bool closed_seen(const odz_matcher *m, int64_t id)
{
    for (size_t i = 0; i < CLOSED_RING; i++)
        if (m->closed[i] == id)
            return true;
    return false;
}

static void remove_locked(odz_matcher *m, int64_t id)
{
    size_t at;
    mrace *r = find(m, id, &at);
    if (!r)
        return;
    tbuf t = {0};
    f_int(&t, "{\"race_id\":", id);
    tb_lit(&t, ",\"selection_id\":null,\"rows\":[],\"removed\":[");
    bool first = true;
    for (size_t i = 0; i < r->nr; i++)
        for (size_t p = 0; p < r->np; p++)
            if (r->r[i].had_rows >> p & 1) {
                if (!first)
                    tb_lit(&t, ",");
                first = false;
                row_key(&t, r, &r->r[i], p);
            }
    tb_lit(&t, "]}");
    char key[ODZ_BUS_KEY_MAX];
    snprintf(key, sizeof key, "%lld", (long long)id);
    publish(m, ODZ_MATCHER_SUBJECT, key, &t);
    race_free(r);
    m->races[at] = m->races[--m->n];
}

void odz_matcher_remove_race(odz_matcher *m, int64_t race_id)
{
    pthread_mutex_lock(&m->lock);
    remove_locked(m, race_id);
    pthread_mutex_unlock(&m->lock);
}

static int set_price(mrace *r, const odz_price *p, int64_t lay_size, int *ri_out)
{
    int ri = runner_index(r, p->selection_id);
    if (ri < 0 || (unsigned)p->market >= ODZ_MARKETS)
        return ODZ_ENOTFOUND;
    int pi = provider_index(r, p->provider, true);
    if (pi < 0)
        return ODZ_EFULL;
    mrunner *u = &r->r[ri];
    u->px[pi][p->market] = p->odds > 0 ? p->odds : 0;
    if (p->market == ODZ_EXCHANGE_LAY && (pi == r->bf || pi == r->bfp))
        u->lay_size[pi == r->bfp] = lay_size;
    *ri_out = ri;
    return 0;
}

/* The size at runner ri's best lay on exchange provider pi from a book: known when the book's
 * best lay is the lay price held. -2 when pi is not the exchange. */
static int64_t book_lay_size(const mrace *r, int ri, int pi, const odz_exchange_book *b)
{
    if (ri < 0 || pi < 0 || (pi != r->bf && pi != r->bfp))
        return -2;
    int lay = r->r[ri].px[pi][ODZ_EXCHANGE_LAY];
    return lay > 0 && b->lay[0].odds == lay ? b->lay[0].size : -1;
}

static void put_locked(odz_matcher *m, const odz_race *race, const odz_meeting *mt,
                       const odz_selections *ss, const odz_prices *latest, const odz_exbooks *books)
{
    if (race->status != ODZ_OPEN) {
        closed_note(m, race->id);
        remove_locked(m, race->id);
        return;
    }
    mrace *old = find(m, race->id, NULL);
    if (!old && m->n == ODZ_MATCHER_RACES_MAX) {
        m->st.refused++;
        return;
    }
    mrace *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->id = race->id;
    r->number = race->number;
    snprintf(r->name, sizeof r->name, "%s", race->name);
    snprintf(r->venue, sizeof r->venue, "%s", mt->name);
    r->name_e = esc(r->name);
    r->venue_e = esc(r->venue);
    r->type = mt->type;
    r->start = race->scheduled_start;
    r->bf = r->bfp = -1;
    r->nr = ss->n < ODZ_MAX_RUNNERS ? ss->n : ODZ_MAX_RUNNERS;
    for (size_t i = 0; i < r->nr; i++) {
        mrunner *u = &r->r[i];
        u->id = ss->v[i].id;
        u->number = ss->v[i].number;
        snprintf(u->name, sizeof u->name, "%s", ss->v[i].name);
        u->name_e = esc(u->name);
        u->scratched = ss->v[i].scratched;
        u->lay_size[0] = u->lay_size[1] = -1;
    }
    /* the latest point of each (runner, provider, market) */
    for (size_t k = 0; k < latest->n; k++) {
        int ri;
        set_price(r, &latest->v[k], -1, &ri);
    }
    for (size_t k = 0; books && k < books->n; k++) {
        const odz_exbook *b = &books->v[k];
        int ri = runner_index(r, b->selection_id), pi = provider_index(r, b->provider, false);
        int64_t size = book_lay_size(r, ri, pi, &b->book);
        if (size >= -1)
            r->r[ri].lay_size[pi == r->bfp] = size;
    }
    if (old) {
        /* keep which rows were published, and the sizes we were told when no books came */
        for (size_t i = 0; i < r->nr; i++) {
            int oi = runner_index(old, r->r[i].id);
            if (oi < 0)
                continue;
            if (!books)
                memcpy(r->r[i].lay_size, old->r[oi].lay_size, sizeof r->r[i].lay_size);
            for (size_t p = 0; p < old->np; p++)
                if (old->r[oi].had_rows >> p & 1) {
                    int np = provider_index(r, old->pv[p], true);
                    if (np >= 0)
                        r->r[i].had_rows |= 1ull << np;
                }
        }
        size_t at = 0;
        find(m, race->id, &at);
        m->races[at] = r;
        race_free(old);
    } else {
        m->races[m->n++] = r;
    }
    m->st.loads++;
    for (size_t i = 0; i < r->nr; i++)
        publish_runner(m, r, i);
    publish_odds(m, r, true);
}

void odz_matcher_put_race(odz_matcher *m, const odz_race *r, const odz_meeting *mt,
                          const odz_selections *ss, const odz_prices *latest,
                          const odz_exbooks *books)
{
    pthread_mutex_lock(&m->lock);
    put_locked(m, r, mt, ss, latest, books);
    pthread_mutex_unlock(&m->lock);
}

static int price_locked(odz_matcher *m, int64_t race_id, const odz_price *p, int64_t lay_size)
{
    mrace *r = find(m, race_id, NULL);
    if (!r)
        return ODZ_ENOTFOUND;
    int ri, rc = set_price(r, p, lay_size, &ri);
    if (rc)
        return rc;
    int pi = provider_index(r, p->provider, false);
    /* the rows of a runner read its bookmakers' fixed win prices and the exchange's lays */
    if ((p->market == ODZ_FIXED_WIN && is_bookmaker(r, (size_t)pi)) ||
        (p->market == ODZ_EXCHANGE_LAY && (pi == r->bf || pi == r->bfp)))
        publish_runner(m, r, (size_t)ri);
    publish_odds(m, r, false);
    return 0;
}

/* A runner's exchange book was written: its rows again when the size at the best lay changed. */
static void book_locked(odz_matcher *m, int64_t race_id, const odz_exbook *b)
{
    mrace *r = find(m, race_id, NULL);
    if (!r)
        return;
    int ri = runner_index(r, b->selection_id), pi = provider_index(r, b->provider, false);
    int64_t size = book_lay_size(r, ri, pi, &b->book);
    if (size < -1 || r->r[ri].lay_size[pi == r->bfp] == size)
        return;
    r->r[ri].lay_size[pi == r->bfp] = size;
    publish_runner(m, r, (size_t)ri);
}

int odz_matcher_price(odz_matcher *m, int64_t race_id, const odz_price *p, int64_t lay_size)
{
    pthread_mutex_lock(&m->lock);
    int rc = price_locked(m, race_id, p, lay_size);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Read a race from the store and put it (or remove it); caller holds the lock. */
static void load_locked(odz_matcher *m, odz_store *st, int64_t id)
{
    char err[ODZ_ERRLEN];
    odz_race *r = malloc(sizeof *r);
    odz_meeting *mt = malloc(sizeof *mt);
    odz_selections ss = {0};
    odz_prices ps = {0};
    odz_exbooks bs = {0};
    int rc = r && mt ? 0 : ODZ_ENOMEM;
    if (!rc)
        rc = st->ops->get_race(st, id, r, err);
    if (!rc && r->status != ODZ_OPEN) {
        closed_note(m, id);
        remove_locked(m, id);
        goto out;
    }
    if (!rc)
        rc = st->ops->get_meeting(st, r->meeting_id, mt, err);
    if (!rc)
        rc = st->ops->list_selections(st, id, &ss, err);
    if (!rc)
        rc = st->ops->latest_prices(st, id, &ps, err);
    if (!rc)
        rc = st->ops->race_books(st, id, &bs, err);
    if (rc) {
        odz_log_kv(ODZ_LOG_WARN, "odds matcher cannot read a race", "error",
                   rc == ODZ_ENOMEM ? "out of memory" : err, NULL);
        remove_locked(m, id);
    } else {
        put_locked(m, r, mt, &ss, &ps, &bs);
    }
out:
    odz_selections_free(&ss);
    odz_prices_free(&ps);
    odz_exbooks_free(&bs);
    free(r);
    free(mt);
}

void odz_matcher_apply(odz_matcher *m, odz_store *st, const odz_changes *ch)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < ch->n_race_ids; i++)
        load_locked(m, st, ch->race_ids[i]);
    for (size_t i = 0; i < ch->n_prices; i++) {
        const odz_price_change *pc = &ch->prices[i];
        bool reread = false;
        for (size_t k = 0; k < ch->n_race_ids && !reread; k++)
            reread = ch->race_ids[k] == pc->race_id;
        if (reread) /* read whole just now, with this price */
            continue;
        int rc = price_locked(m, pc->race_id, &pc->price, pc->size);
        if (rc == ODZ_ENOTFOUND && !closed_seen(m, pc->race_id))
            load_locked(m, st, pc->race_id);
    }
    for (size_t i = 0; i < ch->n_books; i++)
        book_locked(m, ch->books[i].race_id, &ch->books[i].book);
    pthread_mutex_unlock(&m->lock);
}

int odz_matcher_load(odz_matcher *m, odz_store *st, int64_t now, char *err)
{
    odz_races rs = {0};
    int rc = st->ops->next_races(st, now - 3600, LOAD_MAX, -1, &rs, err);
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; rc == 0 && i < rs.n; i++)
        load_locked(m, st, rs.v[i].id);
    pthread_mutex_unlock(&m->lock);
    odz_races_free(&rs);
    return rc;
}

/* ---- queries ----------------------------------------------------------------------------- */

typedef struct {
    const odz_matcher_query *q; /* its sort and order */
    const mrace *r;
    const mrunner *u;
    size_t p;
    odz_match_in in;
    odz_match_out o;
} cand;

static int64_t sort_key(const cand *c, odz_matcher_sort s)
{
    switch (s) {
    case ODZ_MSORT_START:
        return c->r->start;
    case ODZ_MSORT_BACK:
        return c->in.back;
    case ODZ_MSORT_LAY:
        return c->in.lay;
    case ODZ_MSORT_LAY_SIZE:
        return c->u->lay_size[0];
    case ODZ_MSORT_LIABILITY:
        return c->o.bet[c->in.type].liability;
    case ODZ_MSORT_RATING:
    default:
        return c->o.rating[c->in.type];
    }
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    int64_t kx = sort_key(x, x->q->sort), ky = sort_key(y, x->q->sort);
    if (kx != ky)
        return (kx < ky) == x->q->desc ? 1 : -1;
    /* ties: sooner race, then race, runner number and bookmaker, always ascending */
    if (x->r->start != y->r->start)
        return x->r->start < y->r->start ? -1 : 1;
    if (x->r->id != y->r->id)
        return x->r->id < y->r->id ? -1 : 1;
    if (x->u->number != y->u->number)
        return x->u->number - y->u->number;
    return strcmp(x->r->pv[x->p], y->r->pv[y->p]);
}

static bool race_wanted(const mrace *r, const odz_matcher_query *q, int64_t now)
{
    if (!odz_matcher_query_race(q, r->id) || (q->race_type >= 0 && (int)r->type != q->race_type))
        return false;
    return q->minutes < 0 || r->start <= now + 60LL * q->minutes;
}

/* The query's rows into a malloc'd array (*n), unsorted; arbitrage only: back above lay. */
static cand *collect(odz_matcher *m, const odz_matcher_query *q, int64_t now, bool arbs, size_t *n)
{
    size_t cap = 256;
    cand *v = malloc(cap * sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < m->n; i++) {
        const mrace *r = m->races[i];
        if (!race_wanted(r, q, now))
            continue;
        for (size_t ri = 0; ri < r->nr; ri++) {
            const mrunner *u = &r->r[ri];
            for (size_t p = 0; p < r->np; p++) {
                cand c = {.q = q, .r = r, .u = u, .p = p};
                char err[ODZ_ERRLEN];
                if (!row_in(r, u, p, q->stake, q->commission, q->type, &c.in) ||
                    !odz_matcher_query_bookmaker(q, r->pv[p]) ||
                    (q->min_odds && c.in.back < q->min_odds) ||
                    (q->max_odds && c.in.back > q->max_odds) ||
                    (q->min_liquidity >= 0 &&
                     (u->lay_size[0] < 0 || u->lay_size[0] < q->min_liquidity)) ||
                    (arbs && !odz_matcher_is_arbitrage(c.in.back, c.in.lay)) ||
                    odz_matcher_row(&c.in, &c.o, err, sizeof err) ||
                    (q->min_rating >= 0 && c.o.rating[q->type] < q->min_rating))
                    continue;
                if (*n == cap) {
                    cand *g = realloc(v, 2 * cap * sizeof *v);
                    if (!g)
                        return v;
                    v = g;
                    cap *= 2;
                }
                v[(*n)++] = c;
            }
        }
    }
    return v;
}

/* The first q->limit rows in the query's order, written as published and read back. */
static json_t *rows_json(cand *v, size_t n, const odz_matcher_query *q)
{
    qsort(v, n, sizeof *v, cmp_cand);
    tbuf t = {0};
    tb_lit(&t, "[");
    for (size_t i = 0; i < n && i < (size_t)q->limit; i++) {
        if (i)
            tb_lit(&t, ",");
        row_text(&t, v[i].r, v[i].u, v[i].p, &v[i].in, &v[i].o);
    }
    tb_lit(&t, "]");
    json_t *rows = t.oom ? NULL : json_loadb(t.s, t.n, 0, NULL);
    free(t.s);
    return rows ? rows : json_array();
}

json_t *odz_matcher_rows(odz_matcher *m, const odz_matcher_query *q, int64_t now)
{
    pthread_mutex_lock(&m->lock);
    size_t n;
    cand *v = collect(m, q, now, false, &n);
    json_t *rows = v ? rows_json(v, n, q) : json_array();
    pthread_mutex_unlock(&m->lock);
    free(v);
    return json_pack("{s:o}", "rows", rows);
}

static json_t *units(int64_t hundredths)
{
    return json_real((double)hundredths / 100.0);
}

/* A race whose book at the best fixed win prices is under 100 %, every runner priced. */
static json_t *arb_race(const mrace *r, const odz_matcher_query *q)
{
    const odds_state *s = &r->odds;
    int act = active_runners(r);
    if (act < 2 || s->bpct_n[ODZ_FIXED_WIN] != act || s->bpct[ODZ_FIXED_WIN] >= 10000)
        return NULL;
    int odds[ODZ_MAX_RUNNERS];
    size_t k = 0;
    for (size_t i = 0; i < r->nr; i++)
        if (!r->r[i].scratched)
            odds[k++] = s->best[i][ODZ_FIXED_WIN];
    odz_dutch_out d;
    char err[ODZ_ERRLEN];
    bool dutched = odz_calc_dutch(odds, k, q->stake, 0, &d, err, sizeof err) == 0;
    json_t *runners = json_array();
    k = 0;
    for (size_t i = 0; i < r->nr; i++) {
        if (r->r[i].scratched)
            continue;
        json_array_append_new(
            runners, json_pack("{s:I,s:i,s:s,s:o,s:s,s:o}", "selection_id", (json_int_t)r->r[i].id,
                               "number", r->r[i].number, "runner", r->r[i].name, "price",
                               odz_json_odds(s->best[i][ODZ_FIXED_WIN]), "provider",
                               r->pv[s->best_p[i][ODZ_FIXED_WIN]], "stake",
                               dutched ? units(d.legs[k].stake) : json_null()));
        k++;
    }
    return json_pack("{s:I,s:s,s:i,s:s,s:s,s:I,s:o,s:o,s:o,s:o}", "race_id", (json_int_t)r->id,
                     "race_name", r->name, "race_number", r->number, "venue", r->venue, "race_type",
                     odz_race_type_name(r->type), "start", (json_int_t)r->start, "book",
                     odz_json_odds(s->bpct[ODZ_FIXED_WIN]), "stake", units(q->stake), "min_profit",
                     dutched ? units(d.min_profit) : json_null(), "runners", runners);
}

json_t *odz_matcher_arbitrage(odz_matcher *m, const odz_matcher_query *q, int64_t now)
{
    pthread_mutex_lock(&m->lock);
    json_t *races = json_array();
    for (size_t i = 0; i < m->n; i++) {
        json_t *a = race_wanted(m->races[i], q, now) ? arb_race(m->races[i], q) : NULL;
        if (a)
            json_array_append_new(races, a);
    }
    size_t n;
    cand *v = collect(m, q, now, true, &n);
    json_t *rows = v ? rows_json(v, n, q) : json_array();
    pthread_mutex_unlock(&m->lock);
    free(v);
    return json_pack("{s:o,s:o}", "races", races, "runners", rows);
}

void odz_matcher_stats_get(odz_matcher *m, odz_matcher_stats *out)
{
    pthread_mutex_lock(&m->lock);
    *out = m->st;
    out->races = m->n;
    out->runners = out->rows = 0;
    for (size_t i = 0; i < m->n; i++) {
        out->runners += m->races[i]->nr;
        for (size_t k = 0; k < m->races[i]->nr; k++)
            out->rows += (size_t)__builtin_popcountll(m->races[i]->r[k].had_rows);
    }
    pthread_mutex_unlock(&m->lock);
}

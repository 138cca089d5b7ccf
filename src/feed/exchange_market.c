/* A race's WIN and PLACE markets as the simulated exchange shows them: names as Betfair writes
 * them, back and lay ladders around the world's true price, liquidity, traded volume, the
 * market's life (open, in play, suspended, closed with winners) and its Stream API JSON. */
#include "feed/exchange_market.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- the price ladder ---- */

static const struct {
    int upto, step;
} ticks[] = {{200, 1},   {300, 2},   {400, 5},    {600, 10},    {1000, 20},
             {2000, 50}, {3000, 100}, {5000, 200}, {10000, 500}, {100000, 1000}};
#define N_TICKS (sizeof ticks / sizeof *ticks)

int odz_fx_tick_floor(int x)
{
    if (x <= 101)
        return 101;
    if (x >= 100000)
        return 100000;
    int lo = 100;
    for (size_t i = 0; i < N_TICKS; i++) {
        if (x <= ticks[i].upto)
            return lo + (x - lo) / ticks[i].step * ticks[i].step;
        lo = ticks[i].upto;
    }
    return 100000;
}

int odz_fx_tick_move(int odds, int k)
{
    for (; k > 0 && odds < 100000; k--) {
        size_t i = 0;
        while (i < N_TICKS && odds >= ticks[i].upto)
            i++;
        odds += ticks[i < N_TICKS ? i : N_TICKS - 1].step;
    }
    for (; k < 0 && odds > 101; k++) {
        size_t i = 0;
        while (i < N_TICKS && odds > ticks[i].upto)
            i++;
        odds -= ticks[i < N_TICKS ? i : N_TICKS - 1].step;
    }
    return odds < 101 ? 101 : odds > 100000 ? 100000 : odds;
}

/* ---- names ---- */

static uint64_t text_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return odz_fw_mix(h);
}

/* A venue as Betfair lists it: some Australian and New Zealand tracks under a sponsor's
 * name, some under another name the track is known by (the aliases of source/match.c). */
static void venue_name(const odz_feed *f, const odz_fw_meeting *m, char *out, size_t n)
{
    static const struct {
        const char *world, *exchange;
    } known[] = {{"Randwick", "Royal Randwick"},
                 {"Rosehill Gardens", "Rosehill"},
                 {"Moonee Valley", "The Valley"}};
    static const char *const sponsors[] = {"Sportsbet-", "Ladbrokes ", "TAB ",
                                           "Bet365 ",    "Neds ",      "PointsBet "};
    const char *t = m->track->name;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(t, known[i].world)) {
            snprintf(out, n, "%s", known[i].exchange);
            return;
        }
    uint64_t h = odz_fw_hash(f->seed ^ 0x76656e7565ULL, text_hash(t));
    if ((m->region == ODZ_FW_AUS || m->region == ODZ_FW_NZ) && odz_fw_u01(h) < 0.25)
        snprintf(out, n, "%s%s", sponsors[(h >> 8) % (sizeof sponsors / sizeof *sponsors)], t);
    else
        snprintf(out, n, "%s", t);
}

static void event_name(const odz_fw_meeting *m, const char *venue, char *out, size_t n)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static const char *const tag[ODZ_FW_REGIONS] = {
        [ODZ_FW_AUS] = " (AUS)", [ODZ_FW_NZ] = " (NZL)", [ODZ_FW_UK] = "",
        [ODZ_FW_IRE] = "",       [ODZ_FW_USA] = " (US)", [ODZ_FW_HK] = " (HK)"};
    int y, mo, d;
    odz_fw_civil_from_days(m->lday, &y, &mo, &d);
    const char *th = (d % 10 == 1 && d != 11)   ? "st"
                     : (d % 10 == 2 && d != 12) ? "nd"
                     : (d % 10 == 3 && d != 13) ? "rd"
                                                : "th";
    snprintf(out, n, "%s%s %d%s %s", venue, tag[m->region], d, th, months[(mo - 1) % 12]);
}

/* The first of `keys` found in `name` gives its abbreviation; `dflt` otherwise. */
typedef struct {
    const char *key, *abbr;
} abbrev;

static const char *class_of(const char *name, const abbrev *a, size_t n, const char *dflt)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(name, a[i].key))
            return a[i].abbr;
    return dflt;
}

static void market_name(const odz_fw_meeting *m, const odz_fw_race *rc, char *out, size_t n)
{
    bool uk = m->region == ODZ_FW_UK || m->region == ODZ_FW_IRE;
    if (m->type == ODZ_GREYHOUND) {
        if (uk) { /* "480m (A5)" -> "A5 480m" */
            const char *g = strchr(rc->name, '(');
            int k = 0;
            if (!g || sscanf(g, "(A%d)", &k) != 1)
                k = 5;
            snprintf(out, n, "A%d %dm", k % 100, rc->distance);
            return;
        }
        static const abbrev dogs[] = {
            {"Maiden", "Mdn"},     {"Grade 5", "Gr5"},        {"Grade 6", "Gr6"},
            {"Grade 7", "Gr7"},    {"Mixed 4/5", "Gr4/5"},    {"Mixed 6/7", "Gr6/7"},
            {"Free For All", "FFA"}, {"Masters", "Mast"},     {"Novice", "Nov"},
            {"Restricted Win", "Rest"}, {"Heat", "Heat"},     {"Final", "Final"}};
        snprintf(out, n, "R%d %dm %s", rc->number, rc->distance,
                 class_of(rc->name, dogs, sizeof dogs / sizeof *dogs, "Gr5"));
        return;
    }
    if (m->type == ODZ_HARNESS) {
        const char *kind = strstr(rc->name, "Trot") ? "Trot" : "Pace";
        snprintf(out, n, "R%d %dm %s%s", rc->number, rc->distance, kind,
                 strstr(rc->name, "Mobile") ? " M" : "");
        return;
    }
    if (uk) {
        static const abbrev ukc[] = {
            {"Handicap Chase", "Hcap Chs"}, {"Novices' Hurdle", "Nov Hrd"},
            {"Maiden Hurdle", "Mdn Hrd"},   {"Apprentice", "App Hcap"},
            {"Nursery", "Nursery"},         {"Amateur", "Amat Hcap"},
            {"Fillies'", "Hcap"},           {"Maiden Stakes", "Mdn Stks"},
            {"Novice Stakes", "Nov Stks"},  {"Selling", "Sell Stks"},
            {"Claiming", "Claim Stks"},     {"Classified", "Class Stks"},
            {"Conditions", "Cond Stks"},    {"Listed", "Listed"}};
        int f = (int)lround(rc->distance / 201.168);
        char dist[16];
        if (f >= 8)
            snprintf(dist, sizeof dist, f % 8 ? "%dm%df" : "%dm", f / 8, f % 8);
        else
            snprintf(dist, sizeof dist, "%df", f);
        snprintf(out, n, "%s %s", dist, class_of(rc->name, ukc, sizeof ukc / sizeof *ukc, "Hcap"));
        return;
    }
    static const abbrev hc[] = {
        {"Maiden", "Mdn"},   {"MAIDEN", "Mdn"},    {"Benchmark 58", "BM58"}, {"Benchmark 64", "BM64"},
        {"Benchmark 70", "BM70"}, {"Benchmark 78", "BM78"}, {"Class 1", "CL1"}, {"Class 2", "CL2"},
        {"Class 3", "CL3"},  {"Class 4", "CL4"},   {"Class 5", "CL5"},      {"Group 3", "Grp3"},
        {"Listed", "Listed"}, {"Rating 65", "RS65"}, {"Claiming", "Claim"},  {"Allowance", "Allw"},
        {"Stakes", "Stks"},  {"Plate", "Plate"},   {"Cup", "Cup"}};
    snprintf(out, n, "R%d %dm %s", rc->number, rc->distance,
             class_of(rc->name, hc, sizeof hc / sizeof *hc, "Hcap"));
}

/* "1. Silver Comet (NZ)": the saddle (trap) number, the name without apostrophes, a
 * country suffix on some horses, UK and Irish greyhound names cut to 16 characters. */
static void runner_name(const odz_fw_meeting *m, const odz_fw_runner *u, char *out, size_t n)
{
    char name[48];
    size_t k = 0;
    for (const char *p = u->name; *p && k + 1 < sizeof name; p++)
        if (*p != '\'')
            name[k++] = *p;
    name[k] = '\0';
    bool uk = m->region == ODZ_FW_UK || m->region == ODZ_FW_IRE;
    const char *suffix = "";
    if (m->type == ODZ_GREYHOUND) {
        if (uk && k > 16) {
            name[16] = '\0';
            while (name[0] && name[strlen(name) - 1] == ' ')
                name[strlen(name) - 1] = '\0';
        }
    } else {
        double h = odz_fw_u01(text_hash(u->name));
        if ((m->region == ODZ_FW_AUS || m->region == ODZ_FW_HK) && h < 0.12)
            suffix = " (NZ)";
        else if (m->region == ODZ_FW_NZ && h < 0.08)
            suffix = " (AUS)";
        else if (uk && h < 0.15)
            suffix = " (IRE)";
        else if (uk && h < 0.20)
            suffix = " (FR)";
    }
    snprintf(out, n, "%d. %s%s", u->number, name, suffix);
}

/* ---- ids ---- */

static int64_t meeting_code(const odz_fw_meeting *m)
{
    int32_t d = m->lday % 2000;
    if (d < 0)
        d += 2000;
    return ((int64_t)d * ODZ_FW_REGIONS + m->region) * ODZ_FW_MAX_REGION_MEETINGS + m->index;
}

/* ---- prices ---- */

/* Place probabilities from win ones: 1 - (1 - p)^k, scaled so they add up to k places. */
static void place_probs(const double *p, int n, int k, double *q)
{
    double sum = 0;
    for (int i = 0; i < n; i++) {
        q[i] = p[i] > 0 ? 1 - pow(1 - p[i], k) : 0;
        sum += q[i];
    }
    for (int i = 0; i < n; i++) {
        q[i] = sum > 0 ? q[i] * k / sum : 0;
        if (q[i] > 0.97)
            q[i] = 0.97;
    }
}

/* The moment a market's prices are taken at: far from the start they move every 10 minutes,
 * within 2 hours every minute, within 30 minutes every 15 seconds (never past the start). */
static int64_t quiet(int64_t t, int64_t start)
{
    int64_t to_go = start - t, b = to_go > 7200 ? 600 : to_go > 1800 ? 60 : 15;
    int64_t q = t - ((t % b) + b) % b;
    return q > start ? start : q;
}

/* Money available at each level, in cents: more for the fancied and as the start nears,
 * moving with the market's price moments. */
static int64_t level_size(const odz_fw_meeting *m, const odz_fw_runner *u, bool place, double p,
                          int64_t to_go, int64_t t, int side, int k)
{
    double near = 1.0 / (1.0 + (double)(to_go > 0 ? to_go : 0) / 3600.0);
    double base = 40000.0 * m->pool_scale * (place ? 0.4 : 1.0) * (0.2 + near) * sqrt(p);
    uint64_t h = odz_fw_hash3(u->seed ^ (place ? 0x706cULL : 0x77ULL),
                              (uint64_t)((t / 15) * 8 + side * 4 + k), 0x73697a65ULL);
    double x = base * (0.3 + 1.4 * odz_fw_u01(h)) * (1.0 + 0.5 * k);
    return x < 200 ? 200 : (int64_t)x;
}

/* Traded volume of a runner at time t (cents): grows towards the start, never falls. */
static int64_t traded(const odz_fw_meeting *m, const odz_fw_state *st, int i, bool place,
                      int64_t t, double share)
{
    int64_t start = st->r->start;
    const odz_fw_runner *u = &st->run[i];
    if (u->scratch_time && t > u->scratch_time)
        t = u->scratch_time;
    if (t > start)
        t = start;
    t = quiet(t, start);
    double g = exp(-(double)(start - t) / (3.0 * 3600.0));
    double vol = 6000000.0 * m->pool_scale * (place ? 0.3 : 1.0);
    return (int64_t)(vol * g * share);
}

/* The best back and lay of probability p: a little under and over the fair price. */
static void best(double p, int *b0, int *l0)
{
    double fair = 100.0 / p;
    *b0 = odz_fx_tick_floor((int)(fair * 0.99));
    if (*b0 >= 100000)
        *b0 = odz_fx_tick_move(100000, -1);
    *l0 = odz_fx_tick_move(*b0, fair > 5000 ? 3 : fair > 2000 ? 2 : 1);
}

/* The last traded price at time t: the back or the lay of the moment, by turns. */
static int ltp_at(const odz_fw_runner *u, bool place, double p, int64_t t)
{
    int b0, l0;
    best(p, &b0, &l0);
    uint64_t h = odz_fw_hash3(u->seed, (uint64_t)(t / 30), place ? 0x6c7470ULL : 0x4c5450ULL);
    return h & 1 ? b0 : l0;
}

static void fill_prices(const odz_fw_meeting *m, const odz_fw_state *st, int i, bool place,
                        double p, int64_t t, odz_fx_runner *r)
{
    const odz_fw_runner *u = &st->run[i];
    int b0, l0;
    best(p, &b0, &l0);
    int64_t to_go = st->r->start - t;
    for (int k = 0; k < ODZ_FX_LEVELS; k++) {
        int b = odz_fx_tick_move(b0, -k), l = odz_fx_tick_move(l0, k);
        if (k == 0 || b < r->back[k - 1].odds)
            r->back[k] = (odz_fx_level){b, level_size(m, u, place, p, to_go, t, 0, k)};
        if (k == 0 || l > r->lay[k - 1].odds)
            r->lay[k] = (odz_fx_level){l, level_size(m, u, place, p, to_go, t, 1, k)};
    }
    if (r->tv > 0)
        r->ltp = ltp_at(u, place, p, t);
}

/* A runner no longer priced keeps the last price it traded at, from the last moment it was
 * (just before its removal, the jump or the abandonment). */
static int last_ltp(const odz_fw_meeting *m, const odz_fw_state *st, int i, bool place)
{
    const odz_fw_race *rc = st->r;
    int64_t t = rc->abandoned && rc->abandon_time < rc->start ? rc->abandon_time : rc->start;
    if (st->run[i].scratch_time && st->run[i].scratch_time < t)
        t = st->run[i].scratch_time;
    t--;
    double p[ODZ_FW_MAX_RUNNERS], q[ODZ_FW_MAX_RUNNERS];
    odz_fw_true_probs(st, t, t, p);
    place_probs(p, st->n, st->positions_paid, q);
    double pr = place ? q[i] : p[i];
    if (!(pr > 0) || traded(m, st, i, place, t, 1.0) <= 0)
        return 0;
    return ltp_at(&st->run[i], place, pr, t);
}

static int adj_of(double p)
{
    return (int)lround(p * 10000.0);
}

/* The odds of a probability as a starting price: two decimals, 1.01 to 1000. */
static int sp_of(double p)
{
    if (!(p > 0))
        return 0;
    long v = lround(100.0 / p);
    return v < 101 ? 101 : v > 100000 ? 100000 : (int)v;
}

/* The definition's raceType, as Betfair names a race's kind (the schema leaves it a plain
 * string; the values are those of its horse-racing markets): greyhound markets carry none. */
static const char *race_type(const odz_fw_meeting *m, const odz_fw_race *rc)
{
    if (m->type == ODZ_GREYHOUND)
        return NULL;
    if (m->type == ODZ_HARNESS)
        return "Harness";
    return strstr(rc->name, "Hurdle") ? "Hurdle" : strstr(rc->name, "Chase") ? "Chase" : "Flat";
}

void odz_fx_race_markets(odz_feed *f, const odz_fw_meeting *m, int race_idx, int64_t now,
                         odz_fw_state *st, odz_fx_market out[2])
{
    const odz_fw_race *rc = &m->races[race_idx];
    odz_fw_placings_at(m, race_idx, now, st);
    odz_fx_market *w = &out[0], *pl = &out[1];
    memset(out, 0, 2 * sizeof *out);
    /* the definition both share */
    int64_t code = meeting_code(m);
    snprintf(w->id, sizeof w->id, "1.%lld",
             (long long)(200000000 + (int64_t)(f->seed % 30) * 7000000 +
                         (code * ODZ_FW_MAX_RACES + race_idx) * 2));
    snprintf(w->event_id, sizeof w->event_id, "%lld",
             (long long)(31000000 + (int64_t)(f->seed % 30) * 300000 + code));
    w->greyhound = m->type == ODZ_GREYHOUND;
    w->race_type = race_type(m, rc);
    w->country = odz_fw_regions[m->region].flag;
    w->country_code = w->country;
    w->timezone = odz_fw_zones[m->track->zone].name;
    venue_name(f, m, w->venue, sizeof w->venue);
    event_name(m, w->venue, w->event_name, sizeof w->event_name);
    market_name(m, rc, w->name, sizeof w->name);
    w->market_time = rc->start;
    w->open_date = m->races[0].start;
    w->version = 1;
    odz_race_status s = st->status;
    w->status = s == ODZ_OPEN || s == ODZ_CLOSED ? ODZ_FX_OPEN
                : s == ODZ_INTERIM                ? ODZ_FX_SUSPENDED
                                                  : ODZ_FX_CLOSED;
    w->in_play = s == ODZ_CLOSED || s == ODZ_INTERIM || s == ODZ_FINAL;
    w->bsp_reconciled = s != ODZ_OPEN && s != ODZ_ABANDONED;
    w->settled_time = s == ODZ_FINAL ? rc->final_time : 0;
    w->n = st->n;
    *pl = *w;
    pl->place = true;
    snprintf(pl->id, sizeof pl->id, "1.%lld",
             (long long)(200000000 + (int64_t)(f->seed % 30) * 7000000 +
                         (code * ODZ_FW_MAX_RACES + race_idx) * 2 + 1));
    snprintf(pl->name, sizeof pl->name, "To Be Placed");
    w->n_winners = 1;
    pl->n_winners = st->positions_paid;

    /* probabilities: now (capped at the start), at the start (starting prices), and each
     * removed runner's just before it went (its adjustment factor) */
    int64_t t = now < rc->start ? quiet(now, rc->start) : rc->start;
    double p[ODZ_FW_MAX_RUNNERS], q[ODZ_FW_MAX_RUNNERS], ps[ODZ_FW_MAX_RUNNERS],
        qs[ODZ_FW_MAX_RUNNERS], share[ODZ_FW_MAX_RUNNERS];
    odz_fw_true_probs(st, t, st->tscr, p);
    place_probs(p, st->n, st->positions_paid, q);
    odz_fw_true_probs(st, rc->start, st->tscr, ps);
    place_probs(ps, st->n, st->positions_paid, qs);
    double ssum = 0;
    for (int i = 0; i < st->n; i++)
        ssum += share[i] = exp(st->run[i].strength);
    int64_t hour = t / 3600 * 3600;
    double ph[ODZ_FW_MAX_RUNNERS], qh[ODZ_FW_MAX_RUNNERS];
    odz_fw_true_probs(st, hour, st->tscr, ph);
    place_probs(ph, st->n, st->positions_paid, qh);
    bool priced = s == ODZ_OPEN;
    for (int k = 0; k < 2; k++) {
        odz_fx_market *mk = &out[k];
        const double *pr = k ? q : p, *sp = k ? qs : ps, *hr = k ? qh : ph;
        for (int i = 0; i < st->n; i++) {
            odz_fx_runner *r = &mk->r[i];
            const odz_fw_runner *u = &st->run[i];
            r->number = u->number;
            runner_name(m, u, r->name, sizeof r->name);
            r->id = 1000000 + (int64_t)(text_hash(u->name) % 49000000);
            for (int j = 0; j < i; j++)
                if (mk->r[j].id == r->id)
                    r->id++, j = -1;
            r->tv = traded(m, st, i, k == 1, now, share[i] / ssum);
            mk->tv += r->tv;
            if (st->scr[i]) {
                double b[ODZ_FW_MAX_RUNNERS], bq[ODZ_FW_MAX_RUNNERS];
                odz_fw_true_probs(st, u->scratch_time - 1, u->scratch_time - 1, b);
                place_probs(b, st->n, st->positions_paid, bq);
                r->status = ODZ_FX_REMOVED;
                r->adj = adj_of(k ? bq[i] : b[i]);
                r->ltp = last_ltp(m, st, i, k == 1);
                continue;
            }
            r->adj = adj_of(hr[i]);
            if (mk->bsp_reconciled)
                r->bsp = sp_of(sp[i]);
            if (priced && pr[i] > 0)
                fill_prices(m, st, i, k == 1, pr[i], t, r);
            else if (!priced)
                r->ltp = last_ltp(m, st, i, k == 1);
        }
    }
    /* results at settlement: the WIN market's winners, the PLACE market's placed */
    if (s == ODZ_FINAL)
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < st->n; i++) {
                odz_fx_runner *r = &out[k].r[i];
                if (r->status == ODZ_FX_REMOVED)
                    continue;
                r->status = ODZ_FX_LOSER;
                for (int j = 0; j < st->n_results; j++)
                    if (st->results[j].idx == i &&
                        st->results[j].position <= (k ? st->positions_paid : 1))
                        r->status = ODZ_FX_WINNER;
            }
}

/* ---- JSON ---- */

static json_t *price(int hundredths)
{
    return hundredths % 100 ? json_real(hundredths / 100.0) : json_integer(hundredths / 100);
}

static json_t *money(int64_t cents)
{
    return cents % 100 ? json_real((double)cents / 100.0) : json_integer(cents / 100);
}

static void iso(int64_t t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

bool odz_fx_definition_same(const odz_fx_market *a, const odz_fx_market *b)
{
    if (a->status != b->status || a->in_play != b->in_play ||
        a->bsp_reconciled != b->bsp_reconciled || a->n != b->n || a->n_winners != b->n_winners ||
        a->market_time != b->market_time || a->settled_time != b->settled_time ||
        strcmp(a->name, b->name) || strcmp(a->venue, b->venue) || a->race_type != b->race_type)
        return false;
    for (int i = 0; i < a->n; i++)
        if (a->r[i].id != b->r[i].id || a->r[i].status != b->r[i].status ||
            a->r[i].adj != b->r[i].adj || a->r[i].bsp != b->r[i].bsp ||
            strcmp(a->r[i].name, b->r[i].name))
            return false;
    return true;
}

static json_t *definition(const odz_fx_market *m)
{
    static const char *const mstatus[] = {"OPEN", "SUSPENDED", "CLOSED"};
    static const char *const rstatus[] = {"ACTIVE", "REMOVED", "WINNER", "LOSER"};
    char mt[32], od[32], st[32];
    iso(m->market_time, mt);
    iso(m->open_date, od);
    json_t *runners = json_array();
    int active = 0;
    for (int i = 0; i < m->n; i++) {
        const odz_fx_runner *r = &m->r[i];
        active += r->status == ODZ_FX_ACTIVE;
        json_t *jr = json_pack("{s:s,s:i,s:f,s:I,s:s}", "status", rstatus[r->status],
                               "sortPriority", i + 1, "adjustmentFactor", r->adj / 100.0, "id",
                               (json_int_t)r->id, "name", r->name);
        if (jr && r->bsp)
            json_object_set_new(jr, "bsp", price(r->bsp));
        json_array_append_new(runners, jr);
    }
    json_t *d = json_pack(
        "{s:b,s:b,s:b,s:i,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:o,"
        "s:[s],s:s,s:s,s:b,s:s,s:s,s:I,s:s,s:s,s:{s:s}}",
        "bspMarket", 1, "turnInPlayEnabled", 1, "persistenceEnabled", 0, "marketBaseRate", 5,
        "eventId", m->event_id, "eventTypeId", m->greyhound ? "4339" : "7", "numberOfWinners",
        m->n_winners, "bettingType", "ODDS", "marketType", m->place ? "PLACE" : "WIN",
        "marketTime", mt, "suspendTime", mt, "bspReconciled", m->bsp_reconciled, "complete", 1,
        "inPlay", m->in_play, "crossMatching", 1, "runnersVoidable", 0, "numberOfActiveRunners",
        active, "betDelay", m->in_play ? 1 : 0, "status", mstatus[m->status], "runners", runners,
        "regulators", "MR_INT", "venue", m->venue, "countryCode", m->country, "discountAllowed", 1,
        "timezone", m->timezone ? m->timezone : "UTC", "openDate", od, "version",
        (json_int_t)m->version, "name", m->name, "eventName", m->event_name,
        "priceLadderDefinition", "type", "CLASSIC");
    if (d && m->race_type)
        json_object_set_new(d, "raceType", json_string(m->race_type));
    if (d && m->settled_time) {
        iso(m->settled_time, st);
        json_object_set_new(d, "settledTime", json_string(st));
    }
    return d;
}

/* Positions of a side that differ (all when old is NULL): [[pos, price, size]], size 0 and
 * price 0 for a position that emptied. NULL when nothing differs. */
static json_t *levels(const odz_fx_level *old, const odz_fx_level *cur)
{
    json_t *a = NULL;
    for (int k = 0; k < ODZ_FX_LEVELS; k++) {
        if (old ? old[k].odds == cur[k].odds && old[k].size == cur[k].size : !cur[k].odds)
            continue;
        if (!a)
            a = json_array();
        json_array_append_new(a, json_pack("[i,o,o]", k, price(cur[k].odds), money(cur[k].size)));
    }
    return a;
}

static json_t *runner_change(const odz_fx_runner *old, const odz_fx_runner *r)
{
    json_t *rc = json_object(), *v;
    if ((v = levels(old ? old->back : NULL, r->back)))
        json_object_set_new(rc, "batb", v);
    if ((v = levels(old ? old->lay : NULL, r->lay)))
        json_object_set_new(rc, "batl", v);
    if (r->ltp && (!old || old->ltp != r->ltp))
        json_object_set_new(rc, "ltp", price(r->ltp));
    if (!old ? r->tv > 0 : old->tv != r->tv)
        json_object_set_new(rc, "tv", money(r->tv));
    if (json_object_size(rc) == 0) {
        json_decref(rc);
        return NULL;
    }
    json_object_set_new(rc, "id", json_integer((json_int_t)r->id));
    return rc;
}

json_t *odz_fx_image_json(const odz_fx_market *m)
{
    json_t *rcs = json_array();
    for (int i = 0; i < m->n; i++) {
        json_t *rc = runner_change(NULL, &m->r[i]);
        if (rc)
            json_array_append_new(rcs, rc);
    }
    return json_pack("{s:s,s:b,s:o,s:o,s:o}", "id", m->id, "img", 1, "marketDefinition",
                     definition(m), "rc", rcs, "tv", money(m->tv));
}

json_t *odz_fx_delta_json(const odz_fx_market *old, const odz_fx_market *cur, bool *oom)
{
    json_t *mc = json_object();
    if (!mc)
        goto nomem;
    if (!odz_fx_definition_same(old, cur))
        json_object_set_new(mc, "marketDefinition", definition(cur));
    json_t *rcs = NULL;
    for (int i = 0; i < cur->n && i < old->n; i++) {
        json_t *rc = runner_change(&old->r[i], &cur->r[i]);
        if (!rc)
            continue;
        if (!rcs)
            rcs = json_array();
        json_array_append_new(rcs, rc);
    }
    if (rcs)
        json_object_set_new(mc, "rc", rcs);
    if (old->tv != cur->tv)
        json_object_set_new(mc, "tv", money(cur->tv));
    if (json_object_size(mc) == 0) {
        json_decref(mc);
        return NULL;
    }
    if (json_object_set_new(mc, "id", json_string(cur->id)))
        goto nomem;
    return mc;
nomem:
    json_decref(mc);
    *oom = true;
    return NULL;
}

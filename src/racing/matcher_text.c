/* The odds engine's text: matcher rows and race.<id>.odds events written as JSON text (best
 * prices and market percentages computed here), and their publishing on the bus. */
#include "core/err.h"
#include "core/json_text.h"
#include "racing/compare.h"
#include "racing/matcher_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON text ------------------------------------------------------------------------- */

static void tb_int(tbuf *t, int64_t v)
{
    odz_text_fixed(t, v, 0);
}

static void tb_units(tbuf *t, int64_t hundredths)
{
    odz_text_fixed(t, hundredths, 2);
}

static void tb_units_or_null(tbuf *t, int64_t hundredths)
{
    if (hundredths < 0)
        odz_text_str(t, "null");
    else
        tb_units(t, hundredths);
}

/* a string escaped by odz_matcher__esc() */
static void tb_str(tbuf *t, const char *escaped)
{
    odz_text_put(t, "\"", 1);
    odz_text_str(t, escaped ? escaped : ""); /* NULL: out of memory when escaped */
    odz_text_put(t, "\"", 1);
}

/* The JSON escaping of s without its quotes (core/json_text.h, jansson's), malloc'd; "" for
 * text jansson refuses (not UTF-8). NULL when out of memory. */
char *odz_matcher__esc(const char *s)
{
    odz_text t = {0};
    if (!odz_text_json_string(&t, s) || t.oom) {
        free(t.s);
        return strdup("");
    }
    memmove(t.s, t.s + 1, t.n - 2);
    t.s[t.n - 2] = '\0';
    return t.s;
}

/* ---- rows -------------------------------------------------------------------------------- */

static void row_key(tbuf *t, const mrace *r, const mrunner *u, size_t p)
{
    odz_text_put(t, "\"", 1);
    tb_int(t, r->id);
    odz_text_put(t, ".", 1);
    tb_int(t, u->id);
    odz_text_put(t, ".", 1);
    odz_text_str(t, r->pv_e[p] ? r->pv_e[p] : "");
    odz_text_put(t, "\"", 1);
}

/* The inputs of runner u's row of bookmaker p; false when there is no row. */
bool odz_matcher__row_in(const mrace *r, const mrunner *u, size_t p, int64_t stake, int commission,
                         odz_bet_type type, odz_match_in *in)
{
    if (u->scratched || r->bf < 0 || !odz_matcher__is_bookmaker(r, p))
        return false;
    int back = u->px[p][ODZ_FIXED_WIN], lay = u->px[r->bf][ODZ_EXCHANGE_LAY];
    if (back <= 0 || lay <= 0)
        return false;
    *in = (odz_match_in){back,
                         lay,
                         r->bfp >= 0 ? u->px[r->bfp][ODZ_EXCHANGE_LAY] : 0,
                         odz_matcher__active_runners(r),
                         stake,
                         commission,
                         type};
    return true;
}

/* ,"key":"escaped" (key: the literal text before the value, "{\"rating\":") */
static void f_str(tbuf *t, const char *key, const char *escaped)
{
    odz_text_str(t, key);
    tb_str(t, escaped);
}

static void bet_text(tbuf *t, const odz_matched_out *o, int rating)
{
    odz_text_field(t, tb_units, "{\"rating\":", rating);
    odz_text_field(t, tb_units, ",\"lay_stake\":", o->lay_stake);
    odz_text_field(t, tb_units, ",\"liability\":", o->liability);
    odz_text_field(t, tb_units, ",\"back_wins\":", o->back_wins);
    odz_text_field(t, tb_units, ",\"lay_wins\":", o->lay_wins);
    odz_text_str(t, "}");
}

static void eachway_text(tbuf *t, const mrunner *u, const odz_match_in *in, const odz_match_out *o)
{
    odz_text_field(t, tb_int, "{\"places\":", o->places);
    odz_text_field(t, tb_int, ",\"fraction\":\"", o->frac_num);
    odz_text_field(t, tb_int, "/", o->frac_den);
    /* exact place odds in 1/10000: hundredths place_num / place_den, rounded down */
    odz_text_str(t, "\",\"place_odds\":");
    odz_text_fixed(t, (int64_t)o->ew.place_num * 100 / o->ew.place_den, 4);
    odz_text_field(t, tb_units, ",\"lay_place\":", in->lay_place);
    odz_text_str(t, ",\"lay_place_size\":");
    tb_units_or_null(t, u->lay_size[1]);
    odz_text_field(t, tb_units, ",\"rating\":", o->ew_rating);
    odz_text_field(t, tb_units, ",\"liability\":", o->ew.liability);
    odz_text_field(t, tb_units, ",\"if_wins\":", o->ew.if_wins);
    odz_text_field(t, tb_units, ",\"if_places\":", o->ew.if_places);
    odz_text_field(t, tb_units, ",\"if_loses\":", o->ew.if_loses);
    odz_text_str(t, "}");
}

/* One row (docs/api.yaml, MatcherRow). */
void odz_matcher__row_text(tbuf *t, const mrace *r, const mrunner *u, size_t p,
                           const odz_match_in *in, const odz_match_out *o)
{
    const odz_matched_out *b = &o->bet[in->type];
    odz_text_str(t, "{\"key\":");
    row_key(t, r, u, p);
    odz_text_field(t, tb_int, ",\"race_id\":", r->id);
    odz_text_field(t, tb_int, ",\"selection_id\":", u->id);
    odz_text_field(t, tb_int, ",\"number\":", u->number);
    f_str(t, ",\"runner\":", u->name_e);
    f_str(t, ",\"race_name\":", r->name_e);
    odz_text_field(t, tb_int, ",\"race_number\":", r->number);
    f_str(t, ",\"venue\":", r->venue_e);
    f_str(t, ",\"race_type\":", odz_race_type_name(r->type));
    odz_text_field(t, tb_int, ",\"start\":", r->start);
    f_str(t, ",\"bookmaker\":", r->pv_e[p]);
    odz_text_field(t, tb_units, ",\"back\":", in->back);
    odz_text_field(t, tb_units, ",\"lay\":", in->lay);
    odz_text_str(t, ",\"lay_size\":");
    tb_units_or_null(t, u->lay_size[0]);
    odz_text_field(t, tb_units, ",\"stake\":", in->stake);
    odz_text_field(t, tb_units, ",\"commission\":", in->commission);
    f_str(t, ",\"type\":", odz_bet_type_name(in->type));
    odz_text_field(t, tb_units, ",\"rating\":", o->rating[in->type]);
    odz_text_field(t, tb_units, ",\"lay_stake\":", b->lay_stake);
    odz_text_field(t, tb_units, ",\"liability\":", b->liability);
    odz_text_field(t, tb_units, ",\"back_wins\":", b->back_wins);
    odz_text_field(t, tb_units, ",\"lay_wins\":", b->lay_wins);
    odz_text_str(t, ",\"bets\":{");
    for (int k = ODZ_BET_QUALIFYING; k <= ODZ_BET_SR; k++) {
        odz_text_str(t, k ? ",\"" : "\"");
        odz_text_str(t, odz_bet_type_name((odz_bet_type)k));
        odz_text_str(t, "\":");
        bet_text(t, &o->bet[k], o->rating[k]);
    }
    odz_text_str(t, "},\"each_way\":");
    if (o->each_way)
        eachway_text(t, u, in, o);
    else
        odz_text_str(t, "null");
    odz_text_str(t, ",\"arbitrage\":");
    odz_text_str(t, odz_matcher_is_arbitrage(in->back, in->lay) ? "true}" : "false}");
}

static void publish(odz_matcher *m, const char *subject, const char *key, tbuf *t)
{
    if (m->bus && !t->oom && t->n)
        odz_bus_publish_keyed(m->bus, subject, key, t->s, t->n, NULL);
    free(t->s);
}

/* Runner ri's rows at the published stake and commission, sent when it has or had rows. */
void odz_matcher__publish_runner(odz_matcher *m, mrace *r, size_t ri)
{
    mrunner *u = &r->r[ri];
    tbuf t = {0};
    odz_text_field(&t, tb_int, "{\"race_id\":", r->id);
    odz_text_field(&t, tb_int, ",\"selection_id\":", u->id);
    odz_text_str(&t, ",\"rows\":[");
    uint64_t has = 0;
    for (size_t k = 0; k < r->np; k++) {
        size_t p = r->order[k];
        odz_match_in in;
        odz_match_out o;
        char err[ODZ_ERRLEN];
        if (!odz_matcher__row_in(r, u, p, DEFAULT_STAKE, DEFAULT_COMMISSION, ODZ_BET_QUALIFYING,
                                 &in) ||
            odz_matcher_row(&in, &o, err, sizeof err))
            continue;
        if (has)
            odz_text_str(&t, ",");
        has |= 1ull << p;
        odz_matcher__row_text(&t, r, u, p, &in, &o);
    }
    odz_text_str(&t, "],\"removed\":[");
    bool first = true;
    for (size_t p = 0; p < r->np; p++)
        if ((u->had_rows >> p & 1) && !(has >> p & 1)) {
            if (!first)
                odz_text_str(&t, ",");
            first = false;
            row_key(&t, r, u, p);
        }
    odz_text_str(&t, "]}");
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
        odz_text_str(t, "null");
        return;
    }
    odz_text_field(t, tb_units, "{\"percentage\":", pct);
    odz_text_field(t, tb_int, ",\"runners\":", n);
    odz_text_str(t, "}");
}

/* race.<id>.odds: the shapes of the race card's comparison and runner "best" (compare.h). */
static void odds_text(tbuf *t, const mrace *r, const odds_state *s)
{
    odz_text_field(t, tb_int, "{\"race_id\":", r->id);
    odz_text_str(t, ",\"providers\":[");
    for (size_t k = 0; k < r->np; k++) {
        size_t p = r->order[k];
        f_str(t, k ? ",{\"provider\":" : "{\"provider\":", r->pv_e[p]);
        odz_text_str(t, ",\"markets\":{");
        bool first = true;
        for (int x = 0; x < ODZ_MARKETS; x++)
            if (s->pct_n[p][x]) {
                odz_text_str(t, first ? "\"" : ",\"");
                first = false;
                odz_text_str(t, odz_market_name((odz_market)x));
                odz_text_str(t, "\":");
                pct_text(t, s->pct[p][x], s->pct_n[p][x]);
            }
        odz_text_str(t, "}}");
    }
    odz_text_str(t, "],\"best\":{");
    for (int x = ODZ_FIXED_WIN; x <= ODZ_FIXED_PLACE; x++) {
        odz_text_str(t, x ? ",\"" : "\"");
        odz_text_str(t, odz_market_name((odz_market)x));
        odz_text_str(t, "\":");
        pct_text(t, s->bpct[x], s->bpct_n[x]);
    }
    odz_text_str(t, "},\"runners\":[");
    for (size_t i = 0; i < r->nr; i++) {
        odz_text_field(t, tb_int, i ? ",{\"selection_id\":" : "{\"selection_id\":", r->r[i].id);
        odz_text_field(t, tb_int, ",\"number\":", r->r[i].number);
        odz_text_str(t, ",\"best\":{");
        for (int x = ODZ_FIXED_WIN; x <= ODZ_FIXED_PLACE; x++) {
            odz_text_str(t, x ? ",\"" : "\"");
            odz_text_str(t, odz_market_name((odz_market)x));
            odz_text_str(t, "\":");
            if (s->best_p[i][x] < 0) {
                odz_text_str(t, "null");
                continue;
            }
            odz_text_field(t, tb_units, "{\"price\":", s->best[i][x]);
            f_str(t, ",\"provider\":", r->pv_e[s->best_p[i][x]]);
            odz_text_str(t, "}");
        }
        odz_text_str(t, "}}");
    }
    odz_text_str(t, "]}");
}

/* race.<id>.odds when a best price or a percentage changed (always when `force`). */
void odz_matcher__publish_odds(odz_matcher *m, mrace *r, bool force)
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

void odz_matcher__publish_removed(odz_matcher *m, const mrace *r)
{
    tbuf t = {0};
    odz_text_field(&t, tb_int, "{\"race_id\":", r->id);
    odz_text_str(&t, ",\"selection_id\":null,\"rows\":[],\"removed\":[");
    bool first = true;
    for (size_t i = 0; i < r->nr; i++)
        for (size_t p = 0; p < r->np; p++)
            if (r->r[i].had_rows >> p & 1) {
                if (!first)
                    odz_text_str(&t, ",");
                first = false;
                row_key(&t, r, &r->r[i], p);
            }
    odz_text_str(&t, "]}");
    char key[ODZ_BUS_KEY_MAX];
    snprintf(key, sizeof key, "%lld", (long long)r->id);
    publish(m, ODZ_MATCHER_SUBJECT, key, &t);
}

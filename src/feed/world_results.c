/* The simulated world's results: placings with margins and dead heats drawn from the true
 * probabilities, and the tote dividends of every pool. */
#include "feed/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- results and dividends ---- */

static void margin_text(double gap, char out[12])
{
    if (gap <= 0) {
        snprintf(out, 12, "DH");
        return;
    }
    static const struct {
        double upto;
        const char *s;
    } small[] = {{0.05, "NSE"}, {0.1, "SHD"}, {0.2, "HD"}, {0.3, "NK"}, {0.4, "LG NK"}};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        if (gap <= small[i].upto + 1e-9) {
            snprintf(out, 12, "%s", small[i].s);
            return;
        }
    int q = (int)round(gap * 4);
    int whole = q / 4, frac = q % 4;
    static const char *fr[] = {"", "1/4", "1/2", "3/4"};
    if (whole == 0)
        snprintf(out, 12, "%sL", fr[frac]);
    else if (frac == 0)
        snprintf(out, 12, "%dL", whole % 100);
    else
        snprintf(out, 12, "%d-%sL", whole % 100, fr[frac]);
}

static double draw_gap(odz_fw_rng *r)
{
    double u = odz_fw_unif(r);
    if (u < 0.08)
        return 0.05;
    if (u < 0.16)
        return 0.1;
    if (u < 0.24)
        return 0.2;
    if (u < 0.30)
        return 0.3;
    if (u < 0.36)
        return 0.4;
    double g = -log(1 - odz_fw_unif(r)) * 1.6 + 0.5;
    return round(g * 4) / 4;
}

void odz_fw_draw_results(odz_fw_state *st)
{
    const odz_fw_race *rc = st->r;
    double p[ODZ_FW_MAX_RUNNERS];
    odz_fw_true_probs(st, rc->start, rc->start, p);
    odz_fw_rng r;
    odz_fw_rng_seed(&r, odz_fw_hash(rc->seed, 0x726573756c74ULL));
    bool used[ODZ_FW_MAX_RUNNERS] = {0};
    int order[ODZ_FW_MAX_RUNNERS], k = 0;
    for (;;) {
        double sum = 0;
        for (int i = 0; i < st->n; i++)
            if (!used[i] && p[i] > 0)
                sum += p[i];
        if (sum <= 0)
            break;
        double x = odz_fw_unif(&r) * sum;
        int pick = -1;
        for (int i = 0; i < st->n; i++) {
            if (used[i] || !(p[i] > 0))
                continue;
            pick = i;
            x -= p[i];
            if (x < 0)
                break;
        }
        used[pick] = true;
        order[k++] = pick;
    }
    int dh = -1; /* a dead heat between order[dh - 1] and order[dh] */
    if (k >= 3 && odz_fw_unif(&r) < 0.01)
        dh = odz_fw_range(&r, 1, k - 1 < 3 ? k - 1 : 3);
    double speed = st->m->type == ODZ_GREYHOUND ? 17.2 : st->m->type == ODZ_HARNESS ? 14.0 : 16.4;
    st->winning_time = round(rc->distance / speed * (0.98 + 0.04 * odz_fw_unif(&r)) * 100) / 100;
    double margin = 0;
    int pos = 1;
    for (int j = 0; j < k; j++) {
        odz_fw_placing *pl = &st->results[j];
        pl->idx = order[j];
        double gap = 0;
        if (j > 0) {
            gap = j == dh ? 0 : draw_gap(&r);
            pos = j == dh ? pos : j + 1;
        }
        margin = round((margin + gap) * 10) / 10;
        pl->position = pos;
        pl->margin = margin;
        if (j == 0)
            pl->step[0] = 0;
        else
            margin_text(gap, pl->step);
    }
    st->n_results = k;
}

static double harville(const double *p, const int *idx, int legs)
{
    double prob = 1, used = 0;
    for (int l = 0; l < legs; l++) {
        double rest = 1 - used;
        if (rest <= 1e-9)
            return 0;
        prob *= p[idx[l]] / rest;
        used += p[idx[l]];
    }
    return prob;
}

static void add_div(odz_fw_state *st, const char *pool, int legs, const int *nums, double amount,
                    double pool_size)
{
    if (st->n_divs >= ODZ_FW_MAX_DIVS)
        return;
    odz_fw_div *d = &st->divs[st->n_divs++];
    d->pool = pool;
    d->interim = true;
    d->legs = legs;
    for (int l = 0; l < legs; l++)
        d->nums[l] = nums[l];
    d->amount = amount;
    d->pool_size = pool_size;
}

/* Ordered runner combinations that fill `legs` places, dead heats giving several. */
static int combos(const odz_fw_state *st, int legs, int out[][4], int max)
{
    int n = 0, cur[4] = {0}, depth = 0, choice[4] = {0};
    /* iterative search over result lines for each leg */
    while (depth >= 0) {
        if (depth == legs) {
            if (n < max)
                memcpy(out[n++], cur, sizeof cur);
            depth--;
            continue;
        }
        bool placed = false;
        while (choice[depth] < st->n_results) {
            const odz_fw_placing *pl = &st->results[choice[depth]++];
            int ties = 0;
            for (int j = 0; j < st->n_results; j++)
                ties += st->results[j].position == pl->position;
            bool fits = pl->position <= depth + 1 && pl->position + ties - 1 >= depth + 1;
            bool dup = false;
            for (int l = 0; l < depth; l++)
                dup |= cur[l] == pl->idx;
            if (fits && !dup) {
                cur[depth] = pl->idx;
                placed = true;
                break;
            }
        }
        if (placed) {
            depth++;
            if (depth < 4)
                choice[depth] = 0;
        } else {
            choice[depth] = 0;
            depth--;
        }
    }
    return n;
}

void odz_fw_dividends(odz_fw_state *st)
{
    const odz_fw_race *rc = st->r;
    double p[ODZ_FW_MAX_RUNNERS], tw[ODZ_FW_MAX_RUNNERS], tp[ODZ_FW_MAX_RUNNERS];
    int live = odz_fw_true_probs(st, rc->start, rc->start, p);
    odz_fw_tote_at(st, rc->start, p, live, tw, tp);
    odz_fw_rng r;
    odz_fw_rng_seed(&r, odz_fw_hash(rc->seed, 0x646976ULL));
    double scale = st->m->pool_scale;
    /* WIN and PLACE */
    int winners = 0;
    for (int j = 0; j < st->n_results; j++)
        winners += st->results[j].position == 1;
    double wpool = round(8000 * scale * (0.6 + 0.8 * odz_fw_unif(&r)) * 100) / 100;
    double ppool = round(5000 * scale * (0.6 + 0.8 * odz_fw_unif(&r)) * 100) / 100;
    for (int j = 0; j < st->n_results; j++)
        if (st->results[j].position == 1) {
            int num = st->run[st->results[j].idx].number;
            add_div(st, "Win", 1, &num, odz_fw_tote_round(tw[st->results[j].idx] / winners), wpool);
        }
    int placed = 0;
    for (int j = 0; j < st->n_results; j++)
        placed += st->results[j].position <= st->positions_paid;
    for (int j = 0; j < st->n_results; j++)
        if (st->results[j].position <= st->positions_paid) {
            int num = st->run[st->results[j].idx].number;
            double a = tp[st->results[j].idx];
            if (placed > st->positions_paid)
                a = 1 + (a - 1) * st->positions_paid / placed;
            add_div(st, "Place", 1, &num, odz_fw_tote_round(a), ppool);
        }
    /* exotics, priced from the closing probabilities (Harville) with a takeout and noise */
    static const struct {
        const char *pool;
        int legs;
        double take, base;
        bool unordered;
    } ex[] = {
        {"Quinella", 2, 0.85, 4000, true},
        {"Exacta", 2, 0.80, 3000, false},
        {"Trifecta", 3, 0.80, 6000, false},
        {"First4", 4, 0.78, 3000, false},
    };
    for (size_t e = 0; e < sizeof ex / sizeof ex[0]; e++) {
        if (live <= ex[e].legs)
            continue;
        int cs[8][4];
        int nc = combos(st, ex[e].legs, cs, 8);
        if (ex[e].unordered) {
            /* quinella combinations are sets: lower runner number first, each set once */
            int k = 0;
            for (int c = 0; c < nc; c++) {
                if (st->run[cs[c][0]].number > st->run[cs[c][1]].number) {
                    int t = cs[c][0];
                    cs[c][0] = cs[c][1];
                    cs[c][1] = t;
                }
                bool dup = false;
                for (int q = 0; q < k; q++)
                    dup |= cs[q][0] == cs[c][0] && cs[q][1] == cs[c][1];
                if (!dup)
                    memcpy(cs[k++], cs[c], sizeof cs[c]);
            }
            nc = k;
        }
        double noise = exp(0.2 * odz_fw_normal(&r));
        double pool = round(ex[e].base * scale * (0.6 + 0.8 * odz_fw_unif(&r)) * 100) / 100;
        for (int c = 0; c < nc; c++) {
            int nums[4];
            double pr = harville(p, cs[c], ex[e].legs);
            if (ex[e].unordered) {
                int rev[4] = {cs[c][1], cs[c][0], 0, 0};
                pr += harville(p, rev, 2);
            }
            if (!(pr > 0))
                continue;
            for (int l = 0; l < ex[e].legs; l++)
                nums[l] = st->run[cs[c][l]].number;
            double a = ex[e].take / pr * noise / nc; /* dead heats share the pool */
            if (a > 99999)
                a = 99999;
            add_div(st, ex[e].pool, ex[e].legs, nums, odz_fw_tote_round(a), pool);
        }
    }
    /* the final dividends repeat the interim ones once the race is Final */
    if (st->status == ODZ_FINAL) {
        int k = st->n_divs;
        for (int i = 0; i < k && st->n_divs < ODZ_FW_MAX_DIVS; i++) {
            st->divs[st->n_divs] = st->divs[i];
            st->divs[st->n_divs].interim = false;
            st->n_divs++;
        }
    }
}

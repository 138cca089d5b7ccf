/* The simulated world, one race at a time: runners, fixed and tote prices and their flucs as a
 * pure function of time, the state of a race at one time, and the bookmaker brands' prices. */
#include "feed/world.h"
#include "core/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- runners ---- */

static bool name_taken(const odz_fw_runner *run, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(run[i].name, name) == 0)
            return true;
    return false;
}

static void person(odz_fw_rng *r, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s %s", odz_fw_pick(r, &odz_fw_first_names),
             odz_fw_pick(r, &odz_fw_surnames));
}

static void horse_name(odz_fw_rng *r, bool dog, char *out, size_t outlen)
{
    if (dog) {
        snprintf(out, outlen, "%s %s", odz_fw_pick(r, &odz_fw_dog_a),
                 odz_fw_pick(r, &odz_fw_dog_b));
        return;
    }
    double u = odz_fw_unif(r);
    if (u < 0.75) {
        snprintf(out, outlen, "%s %s", odz_fw_pick(r, &odz_fw_name_a),
                 odz_fw_pick(r, &odz_fw_name_b));
    } else if (u < 0.88) {
        snprintf(out, outlen, "The %s", odz_fw_pick(r, &odz_fw_name_b));
    } else {
        /* one-word names: "Stormrocket" */
        const char *a = odz_fw_pick(r, &odz_fw_name_b), *b = odz_fw_pick(r, &odz_fw_name_b);
        char low[32];
        size_t i;
        for (i = 0; b[i] && i + 1 < sizeof low; i++)
            low[i] = (char)((b[i] >= 'A' && b[i] <= 'Z') ? b[i] + 32 : b[i]);
        low[i] = 0;
        snprintf(out, outlen, "%s%s", a, low);
    }
}

static void gen_runners(const odz_fw_meeting *m, const odz_fw_race *rc, odz_fw_runner *run, int *np)
{
    odz_fw_rng r;
    odz_fw_rng_seed(&r, odz_fw_hash(rc->seed, 0x72756e6e657273ULL));
    int n = rc->field;
    bool dog = m->type == ODZ_GREYHOUND, gallop = m->type == ODZ_THOROUGHBRED;
    int perm[ODZ_FW_MAX_RUNNERS];
    for (int i = 0; i < n; i++)
        perm[i] = i + 1;
    if (!dog)
        for (int i = n - 1; i > 0; i--) {
            int j = odz_fw_range(&r, 0, i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
    static const char *hcol[] = {"b", "br", "ch", "gr", "bl", "b"};
    static const char *dcol[] = {"bk", "bd", "f", "w", "wbk", "bdw"};
    static const char hsex[] = {'g', 'g', 'm', 'f', 'c', 'h'};
    double sigma = dog ? 0.6 : 0.8;
    for (int i = 0; i < n; i++) {
        odz_fw_runner *u = &run[i];
        memset(u, 0, sizeof *u);
        u->number = i + 1;
        u->barrier = perm[i];
        u->seed = odz_fw_hash(rc->seed, (uint64_t)(100 + i));
        for (int tries = 0; tries < 40; tries++) {
            horse_name(&r, dog, u->name, sizeof u->name);
            if (!name_taken(run, i, u->name))
                break;
        }
        if (name_taken(run, i, u->name)) { /* vanishingly rare: unique by number */
            size_t l = strlen(u->name);
            snprintf(u->name + l, sizeof u->name - l, " %d", u->number);
        }
        if (!dog)
            person(&r, u->jockey, sizeof u->jockey);
        if (odz_fw_unif(&r) < 0.15) {
            char a[24], b[24];
            snprintf(a, sizeof a, "%s", odz_fw_pick(&r, &odz_fw_first_names));
            snprintf(b, sizeof b, "%s", odz_fw_pick(&r, &odz_fw_first_names));
            snprintf(u->trainer, sizeof u->trainer, "%s & %s %s", a, b,
                     odz_fw_pick(&r, &odz_fw_surnames));
        } else {
            person(&r, u->trainer, sizeof u->trainer);
        }
        if (!dog) {
            const char *c1 = odz_fw_pick(&r, &odz_fw_colours);
            const char *c2 = odz_fw_pick(&r, &odz_fw_colours);
            const char *c3 = odz_fw_pick(&r, &odz_fw_colours);
            char l2[32], l3[32];
            snprintf(l2, sizeof l2, "%s", c2);
            snprintf(l3, sizeof l3, "%s", c3);
            l2[0] = (char)(l2[0] >= 'A' && l2[0] <= 'Z' ? l2[0] + 32 : l2[0]);
            l3[0] = (char)(l3[0] >= 'A' && l3[0] <= 'Z' ? l3[0] + 32 : l3[0]);
            snprintf(u->silks, sizeof u->silks, "%s, %s %s, %s cap", c1, l2,
                     odz_fw_pick(&r, &odz_fw_silk_patterns), l3);
        }
        u->strength = odz_fw_normal(&r) * sigma;
        if (dog)
            u->weight10 = odz_fw_range(&r, 250, 380);
        if (gallop && odz_fw_unif(&r) < 0.12) {
            static const int claims[] = {10, 15, 20, 30};
            u->claim10 = claims[odz_fw_range(&r, 0, 3)];
        }
        u->age = dog      ? odz_fw_range(&r, 2, 4)
                 : gallop ? odz_fw_range(&r, 2, 7)
                          : odz_fw_range(&r, 3, 10);
        u->sex = dog ? (odz_fw_unif(&r) < 0.5 ? 'd' : 'b') : hsex[odz_fw_range(&r, 0, 5)];
        u->colour = dog ? dcol[odz_fw_range(&r, 0, 5)] : hcol[odz_fw_range(&r, 0, 5)];
        if (dog) {
            snprintf(u->sire, sizeof u->sire, "%s %s", odz_fw_pick(&r, &odz_fw_dog_a),
                     odz_fw_pick(&r, &odz_fw_dog_b));
            snprintf(u->dam, sizeof u->dam, "%s %s", odz_fw_pick(&r, &odz_fw_dog_a),
                     odz_fw_pick(&r, &odz_fw_dog_b));
        } else {
            horse_name(&r, false, u->sire, sizeof u->sire);
            horse_name(&r, false, u->dam, sizeof u->dam);
            horse_name(&r, false, u->dam_sire, sizeof u->dam_sire);
        }
        snprintf(u->owners, sizeof u->owners, "%c %c %s & %s", 'A' + odz_fw_range(&r, 0, 25),
                 'A' + odz_fw_range(&r, 0, 25), odz_fw_pick(&r, &odz_fw_surnames),
                 odz_fw_pick(&r, &odz_fw_surnames));
        u->starts = odz_fw_range(&r, 0, 40);
        u->wins = u->starts ? odz_fw_range(&r, 0, u->starts / 3) : 0;
        u->seconds = u->starts ? odz_fw_range(&r, 0, u->starts / 4) : 0;
        u->thirds = u->starts ? odz_fw_range(&r, 0, u->starts / 4) : 0;
        int nf = u->starts < 5 ? u->starts : 5;
        static const char fchars[] = "1234567890x";
        for (int k = 0; k < nf; k++)
            u->form[k] = fchars[odz_fw_range(&r, 0, 10)];
        u->form[nf] = 0;
    }
    /* usually one clear favourite */
    if (odz_fw_unif(&r) < 0.75) {
        int fav = odz_fw_range(&r, 0, n - 1);
        run[fav].strength += 0.5 + 0.5 * odz_fw_unif(&r);
    }
    if (gallop) {
        /* handicap: the better the horse, the more weight (61 kg down to 54 kg) */
        for (int i = 0; i < n; i++) {
            int rank = 0;
            for (int j = 0; j < n; j++)
                if (run[j].strength > run[i].strength)
                    rank++;
            double kg = 61.0 - (n > 1 ? 7.0 * rank / (n - 1) : 0);
            run[i].weight10 = (int)(floor(kg * 2 + 0.5) * 5);
        }
    }
    /* scratchings: ~9% early (3 to 40 hours out), ~3.5% late (inside 30 minutes) */
    int scratched = 0;
    for (int i = 0; i < n; i++) {
        double u = odz_fw_unif(&r);
        int early = odz_fw_range(&r, 180, 2400);
        int late = odz_fw_range(&r, 60, 1800);
        if (u < 0.09) {
            run[i].scratch_time = rc->start - 60 * (int64_t)early;
            scratched++;
        } else if (u < 0.125) {
            run[i].scratch_time = rc->start - late;
            run[i].late = true;
            scratched++;
        }
    }
    for (int i = n - 1; i >= 0 && n - scratched < 5; i--)
        if (run[i].scratch_time) {
            run[i].scratch_time = 0;
            run[i].late = false;
            scratched--;
        }
    *np = n;
}

/* ---- prices ---- */

static double smooth_noise(uint64_t key, int64_t t, int64_t period)
{
    int64_t k = odz_fw_floor_div(t, period);
    double fr = (double)(t - k * period) / (double)period;
    double a = odz_fw_u01(odz_fw_hash(key, (uint64_t)k)) * 2 - 1;
    double b = odz_fw_u01(odz_fw_hash(key, (uint64_t)(k + 1))) * 2 - 1;
    double s = fr * fr * (3 - 2 * fr);
    return a + (b - a) * s;
}

static double strength_at(const odz_fw_runner *u, int64_t t)
{
    return u->strength + 0.25 * smooth_noise(u->seed ^ 1, t, 6 * 3600) +
           0.12 * smooth_noise(u->seed ^ 2, t, 45 * 60) +
           0.05 * smooth_noise(u->seed ^ 3, t, 8 * 60);
}

/* The bookmakers' ladder: 0.01 under 2, 0.1 under 5, 0.2 under 10, whole numbers under 25,
 * fives above; never under `min` nor over 300. */
static double ladder(double x, double min)
{
    if (!(x > 0))
        return 0;
    if (x < min)
        x = min;
    if (x < 2)
        x = round(x * 100) / 100;
    else if (x < 5)
        x = round(x * 10) / 10;
    else if (x < 10)
        x = round(x * 5) / 5;
    else if (x < 25)
        x = round(x);
    else
        x = round(x / 5) * 5;
    return x > 300 ? 300 : x;
}

static bool scratched_at(const odz_fw_runner *u, int64_t t)
{
    return u->scratch_time && t >= u->scratch_time;
}

/* True win probabilities at time t over the runners still in the race at time tscr. */
static int probs_at(const odz_fw_state *st, int64_t t, int64_t tscr, double *p)
{
    double s[ODZ_FW_MAX_RUNNERS], top = -1e9;
    int live = 0;
    for (int i = 0; i < st->n; i++) {
        bool in = !scratched_at(&st->run[i], tscr);
        s[i] = in ? strength_at(&st->run[i], t) : 0;
        live += in;
        if (in && s[i] > top)
            top = s[i];
    }
    /* soften the spread until the favourite is no shorter than about $1.40 fair */
    for (double temp = 1.0, tries = 0; tries < 12; tries++, temp *= 0.85) {
        double sum = 0, max = 0;
        for (int i = 0; i < st->n; i++) {
            p[i] = scratched_at(&st->run[i], tscr) ? 0 : exp((s[i] - top) * temp);
            sum += p[i];
        }
        for (int i = 0; i < st->n; i++) {
            p[i] = sum > 0 ? p[i] / sum : 0;
            if (p[i] > max)
                max = p[i];
        }
        if (max <= 0.62)
            break;
    }
    return live;
}

int odz_fw_true_probs(const odz_fw_state *st, int64_t t, int64_t tscr, double *p)
{
    return probs_at(st, t, tscr, p);
}

static double overround(const odz_fw_race *rc)
{
    return 1.15 + 0.10 * odz_fw_u01(odz_fw_hash(rc->seed, 0x6f766572ULL));
}

static void fixed_at(const odz_fw_state *st, int64_t t, int64_t tscr, double *win)
{
    double p[ODZ_FW_MAX_RUNNERS];
    probs_at(st, t, tscr, p);
    double o = overround(st->r);
    for (int i = 0; i < st->n; i++)
        win[i] = p[i] > 0 ? ladder(1.0 / (p[i] * o), 1.10) : 0;
}

static double place_from_win(double w, int live)
{
    if (!(w > 0))
        return 0;
    double x = (w - 1) / (live >= 8 ? 4.0 : 3.0) + 1;
    double pl = ladder(x, 1.01);
    if (pl >= w)
        pl = w - 0.01 > 1.01 ? w - 0.01 : 1.01;
    return pl;
}

double odz_fw_tote_round(double x)
{
    x = round(x * 10) / 10;
    return x < 1.0 ? 1.0 : x;
}

void odz_fw_tote_at(const odz_fw_state *st, int64_t t, const double *p, int live, double *tw,
                    double *tp)
{
    for (int i = 0; i < st->n; i++) {
        if (!(p[i] > 0)) {
            tw[i] = tp[i] = 0;
            continue;
        }
        const odz_fw_runner *u = &st->run[i];
        double w = 0.85 / p[i] * exp(0.10 * smooth_noise(u->seed ^ 4, t, 20 * 60));
        double pl = (w - 1) / (live >= 8 ? 4.0 : 3.0) * 1.05 + 1;
        pl *= exp(0.06 * smooth_noise(u->seed ^ 5, t, 20 * 60));
        tw[i] = odz_fw_tote_round(w);
        tp[i] = odz_fw_tote_round(pl);
    }
}

static void fluc_push(odz_fw_state *st, int i, int64_t ts, int ns, double price)
{
    int k = st->n_flucs[i];
    if (k > 0 && st->flucs[i][k - 1].price == price)
        return;
    if (k == ODZ_FW_MAX_FLUCS) {
        /* keep the opening price, drop the oldest move after it */
        memmove(&st->flucs[i][1], &st->flucs[i][2], sizeof(odz_fw_fluc) * (ODZ_FW_MAX_FLUCS - 2));
        k--;
    }
    st->flucs[i][k].ts = ts;
    st->flucs[i][k].ns = ns;
    st->flucs[i][k].price = price;
    st->n_flucs[i] = k + 1;
}

static int64_t next_check(int64_t t, int64_t start)
{
    int64_t to_go = start - t;
    if (to_go > 24 * 3600)
        return t + 4 * 3600;
    if (to_go > 6 * 3600)
        return t + 3600;
    if (to_go > 3600)
        return t + 15 * 60;
    if (to_go > 600)
        return t + 120;
    return t + 60;
}

static void price_history(odz_feed *f, odz_fw_state *st)
{
    const odz_fw_race *rc = st->r;
    int64_t open =
        rc->start - 72 * 3600 - 60 * (int64_t)(odz_fw_hash(rc->seed, 0x6f70656eULL) % 360);
    int64_t nine = odz_fw_local(f, st->m->track->zone, st->m->lday, 9 * 3600);
    double win[ODZ_FW_MAX_RUNNERS];
    for (int64_t t = open; t <= st->tq;) {
        fixed_at(st, t, t, win);
        for (int i = 0; i < st->n; i++) {
            if (!(win[i] > 0))
                continue;
            uint64_t h = odz_fw_hash3(st->run[i].seed, (uint64_t)t, 0x666c7563ULL);
            int64_t ts = t + (int64_t)(h % 50);
            if (ts > st->now)
                ts = st->now;
            fluc_push(st, i, ts, (int)((h >> 20) % 1000000000ULL), win[i]);
        }
        if (t == st->tq)
            break;
        int64_t nx = next_check(t, rc->start);
        t = nx > st->tq ? st->tq : nx;
    }
    /* the history ends at the price on offer now */
    for (int i = 0; i < st->n; i++)
        if (st->win[i] > 0) {
            uint64_t h = odz_fw_hash3(st->run[i].seed, (uint64_t)st->tq, 0x6e6f77ULL);
            int k = st->n_flucs[i];
            int64_t ts = k > 0 && st->flucs[i][k - 1].ts > st->tq ? st->flucs[i][k - 1].ts : st->tq;
            fluc_push(st, i, ts, (int)(h % 1000000000ULL), st->win[i]);
        }
    for (int i = 0; i < st->n; i++) {
        int k = st->n_flucs[i];
        if (k == 0)
            continue;
        st->open[i] = st->flucs[i][0];
        st->high[i] = st->low[i] = st->nine_am[i] = st->flucs[i][0];
        for (int j = 0; j < k; j++) {
            const odz_fw_fluc *x = &st->flucs[i][j];
            if (x->price > st->high[i].price)
                st->high[i] = *x;
            if (x->price < st->low[i].price)
                st->low[i] = *x;
            if (x->ts <= nine)
                st->nine_am[i] = *x;
        }
    }
}

/* ---- the state of one race at one time ---- */

static void state_init(const odz_fw_meeting *m, int race_idx, int64_t now, odz_fw_state *st)
{
    memset(st, 0, sizeof *st);
    const odz_fw_race *rc = &m->races[race_idx];
    st->m = m;
    st->r = rc;
    st->now = now;
    st->status = odz_fw_status(rc, now);
    int64_t cap = rc->start;
    if (st->status == ODZ_ABANDONED && rc->abandon_time < cap)
        cap = rc->abandon_time;
    st->tq = (now < cap ? now : cap);
    st->tq = odz_fw_floor_div(st->tq, 60) * 60;
    gen_runners(m, rc, st->run, &st->n);
    st->fav = st->mover = -1;
    /* an abandoned race has no scratchings after it was called off */
    st->tscr = st->status == ODZ_ABANDONED && rc->abandon_time < now ? rc->abandon_time : now;
    for (int i = 0; i < st->n; i++) {
        st->scr[i] = scratched_at(&st->run[i], st->tscr);
        st->live += !st->scr[i];
    }
    st->positions_paid = st->live >= 8 ? 3 : 2;
}

/* Interim results show the placings only; Final shows the whole field. */
static void trim_interim(odz_fw_state *st)
{
    if (st->status != ODZ_INTERIM)
        return;
    int keep = 0;
    for (int j = 0; j < st->n_results; j++)
        if (st->results[j].position <= st->positions_paid + 1)
            keep = j + 1;
    st->n_results = keep;
}

void odz_fw_placings_at(const odz_fw_meeting *m, int race_idx, int64_t now, odz_fw_state *st)
{
    state_init(m, race_idx, now, st);
    if (st->status == ODZ_INTERIM || st->status == ODZ_FINAL) {
        odz_fw_draw_results(st);
        trim_interim(st);
    }
}

void odz_fw_state_at(odz_feed *f, const odz_fw_meeting *m, int race_idx, int64_t now,
                     odz_fw_state *st)
{
    state_init(m, race_idx, now, st);
    double p[ODZ_FW_MAX_RUNNERS];
    int live_q = probs_at(st, st->tq, st->tscr, p);
    fixed_at(st, st->tq, st->tscr, st->win);
    odz_fw_tote_at(st, st->tq, p, live_q, st->tote_win, st->tote_place);
    for (int i = 0; i < st->n; i++) {
        st->prob[i] = p[i];
        if (st->scr[i]) {
            st->win[i] = st->place[i] = st->tote_win[i] = st->tote_place[i] = 0;
            continue;
        }
        st->place[i] = place_from_win(st->win[i], live_q);
    }
    /* late scratchings carry deductions from the price just before they went */
    for (int i = 0; i < st->n; i++) {
        if (!st->scr[i] || !st->run[i].late)
            continue;
        double before[ODZ_FW_MAX_RUNNERS];
        fixed_at(st, st->run[i].scratch_time - 1, st->run[i].scratch_time - 1, before);
        if (before[i] > 0) {
            double d = floor(2 * 100 / before[i] * 0.92) / 2;
            double pl = place_from_win(before[i], st->live + 1);
            double dp = pl > 0 ? floor(2 * 100 / pl * 0.3) / 2 : 0;
            st->ded_win[i] = d > 75 ? 75 : d;
            st->ded_place[i] = dp > 40 ? 40 : dp;
        }
    }
    price_history(f, st);
    for (int i = 0; i < st->n; i++) {
        if (st->scr[i] || !(st->win[i] > 0))
            continue;
        if (st->fav < 0 || st->win[i] < st->win[st->fav])
            st->fav = i;
        if (st->n_flucs[i] > 0) {
            double drop = (st->open[i].price - st->win[i]) / st->open[i].price;
            if (drop > 0.05 &&
                (st->mover < 0 || drop > (st->open[st->mover].price - st->win[st->mover]) /
                                             st->open[st->mover].price))
                st->mover = i;
        }
    }
    if (st->status == ODZ_INTERIM || st->status == ODZ_FINAL) {
        odz_fw_draw_results(st);
        odz_fw_dividends(st);
        trim_interim(st);
    }
}

odz_fw_view *odz_fw_view_at(odz_feed *f, const odz_fw_key *k, int64_t now, int *rc)
{
    odz_fw_view *v = malloc(sizeof *v);
    if (!v) {
        *rc = ODZ_ENOMEM;
        return NULL;
    }
    if (odz_fw_lookup(f, k, now, &v->m, &v->race_idx) != 0) {
        free(v);
        *rc = ODZ_ENOTFOUND;
        return NULL;
    }
    odz_fw_state_at(f, &v->m, v->race_idx, now, &v->st);
    *rc = 0;
    return v;
}

/* ---- bookmaker brands ---- */

/* Each brand prices the same race its own way: a margin of its own over the world's book, a
 * small per-runner opinion (so the best price moves between brands), and a lag behind the
 * true price in simulated seconds (a slow bookmaker opens a real price gap). */
static const struct {
    const char *name;
    double margin; /* its book over the world's: 1.00 the same */
    int lag_s;
    uint64_t salt;
} brands[] = {
    {"ladbrokes", 1.01, 0, 0x6c6164ULL},
    {"neds", 1.00, 60, 0x6e656473ULL},
    {"tab-nz", 1.02, 240, 0x7461626eULL},
};

int odz_fw_brand_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof brands / sizeof *brands; i++)
        if (strlen(brands[i].name) == len && !strncmp(brands[i].name, name, len))
            return (int)i + 1;
    return 0;
}

const char *odz_fw_brand_name(int brand)
{
    return brand >= 1 && brand <= (int)(sizeof brands / sizeof *brands) ? brands[brand - 1].name
                                                                        : NULL;
}

void odz_fw_brand_prices(odz_feed *f, const odz_fw_meeting *m, int race_idx, int64_t now, int brand,
                         odz_fw_state *st)
{
    if (!odz_fw_brand_name(brand))
        return;
    odz_fw_state *lag = malloc(sizeof *lag);
    if (!lag)
        return;
    odz_fw_state_at(f, m, race_idx, now - brands[brand - 1].lag_s, lag);
    for (int i = 0; i < st->n && i < lag->n; i++) {
        st->n_flucs[i] = 0; /* a brand's feed carries its current prices only */
        if (st->scr[i] || !(lag->win[i] > 0)) {
            st->win[i] = st->place[i] = 0;
            continue;
        }
        double opinion = 0.96 + 0.08 * odz_fw_u01(odz_fw_hash(st->r->seed ^ brands[brand - 1].salt,
                                                              (uint64_t)i));
        double p = 1.0 / lag->win[i] * brands[brand - 1].margin * opinion;
        st->win[i] = ladder(p < 0.99 ? 1.0 / p : 1.01, 1.10);
        st->place[i] = place_from_win(st->win[i], st->live);
    }
    free(lag);
}

/* The simulated fixed-odds market: ladder arithmetic, opening book, random walk, scratchings. */
#include "prices/market.h"
#include "core/err.h"

#include <math.h>
#include <string.h>

#define TWO_PI 6.283185307179586
#define FAV_MAX 0.6         /* a generated favourite has at most a 60 % fair chance */
#define FIT_MAX_TICKS 20000 /* a tick moves the book by under 2.5 %: plenty to reach the band */

/* ---- the ladder ---- */

/* Nearest ladder price of a real number of hundredths, never under `floor`. The bands are
 * chosen on the input; each band edge is a multiple of the coarser step above it, so the
 * result is always a ladder price. */
static int round_d(double x, int floor)
{
    if (!(x > 0))
        return 0;
    if (x > 50000) /* between the last step of fives and the cap */
        return x >= (50000 + ODZ_LADDER_CAP) / 2.0 ? ODZ_LADDER_CAP : 50000;
    long v;
    if (x > 2500)
        v = lround(x / 500) * 500;
    else if (x > 1000)
        v = lround(x / 100) * 100;
    else if (x > 500)
        v = lround(x / 20) * 20;
    else if (x > 200)
        v = lround(x / 10) * 10;
    else
        v = lround(x);
    return v < floor ? floor : (int)v;
}

int odz_ladder_round(int odds)
{
    return round_d(odds, ODZ_LADDER_FLOOR);
}

int odz_ladder_valid(int odds)
{
    return odds >= ODZ_LADDER_FLOOR && odds <= ODZ_LADDER_CAP && odz_ladder_round(odds) == odds;
}

static int tick_up(int p)
{
    if (p >= ODZ_LADDER_CAP)
        return ODZ_LADDER_CAP;
    if (p < 200)
        return p + 1;
    if (p < 500)
        return p + 10;
    if (p < 1000)
        return p + 20;
    if (p < 2500)
        return p + 100;
    if (p < 50000)
        return p + 500;
    return ODZ_LADDER_CAP;
}

static int tick_down(int p)
{
    if (p <= ODZ_LADDER_FLOOR)
        return ODZ_LADDER_FLOOR;
    if (p <= 200)
        return p - 1;
    if (p <= 500)
        return p - 10;
    if (p <= 1000)
        return p - 20;
    if (p <= 2500)
        return p - 100;
    if (p <= 50000)
        return p - 500;
    return 50000;
}

int odz_ladder_up(int odds, int ticks)
{
    int p = odz_ladder_round(odds > 0 ? odds : ODZ_LADDER_FLOOR);
    for (int i = 0; i < ticks; i++)
        p = tick_up(p);
    return p;
}

int odz_ladder_down(int odds, int ticks)
{
    int p = odz_ladder_round(odds > 0 ? odds : ODZ_LADDER_FLOOR);
    for (int i = 0; i < ticks; i++)
        p = tick_down(p);
    return p;
}

/* ---- PRNG ---- */

void odz_rng_seed(odz_rng *r, uint64_t seed)
{
    r->s = seed ^ 0x6a09e667f3bcc909ULL;
    (void)odz_rng_next(r);
}

uint64_t odz_rng_next(odz_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double odz_rng_unit(odz_rng *r)
{
    return (double)(odz_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static size_t below(odz_rng *r, size_t n)
{
    size_t k = (size_t)(odz_rng_unit(r) * (double)n);
    return k < n ? k : n - 1;
}

static double gauss(odz_rng *r)
{
    double u = odz_rng_unit(r), v = odz_rng_unit(r);
    if (u < 1e-12)
        u = 1e-12;
    return sqrt(-2 * log(u)) * cos(TWO_PI * v);
}

/* ---- place prices ---- */

int odz_places_paid(size_t active)
{
    return active >= 8 ? 3 : active >= 5 ? 2 : 1;
}

int odz_place_from_win(int win, size_t active)
{
    if (win <= 0)
        return 0;
    int places = odz_places_paid(active);
    double frac = places == 3 ? 0.25 : places == 2 ? 1.0 / 3 : 0.5;
    int p = round_d(100 + (win - 100) * frac, ODZ_PLACE_FLOOR);
    if (p >= win) /* only for prices at the very floor: keep place under win */
        p = win <= 200 ? win - 1 : tick_down(win);
    return p < ODZ_PLACE_FLOOR ? ODZ_PLACE_FLOOR : p;
}

/* ---- the book ---- */

double odz_book_percentage(const odz_book *b)
{
    double s = 0;
    for (size_t i = 0; i < b->n; i++)
        if (!b->r[i].scratched && b->r[i].win > 0)
            s += 10000.0 / b->r[i].win;
    return s;
}

size_t odz_book_active(const odz_book *b)
{
    size_t m = 0;
    for (size_t i = 0; i < b->n; i++)
        m += !b->r[i].scratched;
    return m;
}

const odz_book_runner *odz_book_find(const odz_book *b, int number)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->r[i].number == number)
            return &b->r[i];
    return NULL;
}

static int in_band(double pct)
{
    return pct >= ODZ_BOOK_MIN && pct <= ODZ_BOOK_MAX;
}

static void set_places(odz_book *b)
{
    size_t m = odz_book_active(b);
    for (size_t i = 0; i < b->n; i++)
        b->r[i].place = b->r[i].scratched ? 0 : odz_place_from_win(b->r[i].win, m);
}

/* Mean reversion: a runner that has wandered from where it settled (its anchor) is more
 * likely to come back, so a long walk keeps a sane book rather than drifting anywhere. */
static double pull(const odz_book_runner *r)
{
    if (r->anchor <= 0)
        return 0;
    double d = 0.3 * log((double)r->win / r->anchor); /* > 0: drifted out */
    return d > 0.2 ? 0.2 : d < -0.2 ? -0.2 : d;
}

static void set_anchors(odz_book *b)
{
    for (size_t i = 0; i < b->n; i++)
        b->r[i].anchor = b->r[i].win;
}

/* Bring the win book into the band. `ceil`: per runner, the longest win price allowed (NULL:
 * none); `keep`: runners to leave alone unless no other can move (NULL: none); `scale`: a
 * proportional pass first (a whole book to fit), then tick by tick, round robin, so the
 * correction is spread over the field. With two or more runners the band is always
 * reachable: one tick moves the book by under 2.5 %, the band is 10 % wide, all runners at
 * the floor make over 180 % and all at the cap under 7 %. */
static void fit(odz_book *b, const int *ceil, const bool *keep, bool scale)
{
    if (odz_book_active(b) < 2)
        return;
    for (int pass = 0; scale && pass < 4; pass++) {
        double pct = odz_book_percentage(b);
        if (in_band(pct))
            return;
        double target = pct < ODZ_BOOK_MIN ? ODZ_BOOK_MIN + 3 : ODZ_BOOK_MAX - 3;
        for (size_t i = 0; i < b->n; i++) {
            odz_book_runner *r = &b->r[i];
            if (r->scratched)
                continue;
            int w = round_d(r->win * pct / target, ODZ_LADDER_FLOOR);
            r->win = ceil && w > ceil[i] ? ceil[i] : w;
        }
    }
    for (int t = 0; t < FIT_MAX_TICKS; t++) {
        double pct = odz_book_percentage(b);
        if (in_band(pct))
            return;
        int shorten = pct < ODZ_BOOK_MIN;
        size_t pick = b->n;
        for (int pass = 0; pass < 2 && pick == b->n; pass++)
            for (size_t k = 0; k < b->n; k++) {
                size_t i = (b->rr + k) % b->n;
                const odz_book_runner *r = &b->r[i];
                if (r->scratched || (pass == 0 && keep && keep[i]))
                    continue;
                if (shorten ? r->win <= ODZ_LADDER_FLOOR
                            : r->win >= ODZ_LADDER_CAP || (ceil && r->win >= ceil[i]))
                    continue;
                pick = i;
                break;
            }
        if (pick == b->n)
            return; /* nothing can move (cannot happen with two runners or more) */
        b->rr = (unsigned)(pick + 1);
        odz_book_runner *r = &b->r[pick];
        int w = shorten ? tick_down(r->win) : tick_up(r->win);
        r->win = ceil && w > ceil[pick] ? ceil[pick] : w;
    }
}

/* The last step of every whole-book change (open, adopt, scratching): fit into the band, where
 * each runner lands is its new anchor, place prices follow the win prices. */
static int settle(odz_book *b, const int *ceil, bool scale)
{
    fit(b, ceil, NULL, scale);
    set_anchors(b);
    set_places(b);
    return 0;
}

static int init(odz_book *b, const odz_book_runner *in, size_t n, uint64_t seed)
{
    if (n > ODZ_BOOK_RUNNERS || (n && !in))
        return ODZ_EINVAL;
    memset(b, 0, sizeof *b);
    odz_rng_seed(&b->rng, seed);
    b->n = n;
    for (size_t i = 0; i < n; i++) {
        if (in[i].number < 1 || in[i].number > 99)
            return ODZ_EINVAL;
        b->r[i].number = in[i].number;
        b->r[i].selection_id = in[i].selection_id;
        b->r[i].scratched = in[i].scratched;
    }
    return 0;
}

/* A lone runner: the floor (no market to balance). */
static int lone(odz_book *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (!b->r[i].scratched)
            b->r[i].win = ODZ_LADDER_FLOOR;
    return settle(b, NULL, true); /* fit leaves a lone runner alone */
}

int odz_book_open(odz_book *b, const odz_book_runner *in, size_t n, uint64_t seed)
{
    int rc = init(b, in, n, seed);
    if (rc)
        return rc;
    size_t m = odz_book_active(b);
    if (m < 2)
        return lone(b);
    int hints = 1;
    for (size_t i = 0; i < n; i++)
        if (!b->r[i].scratched && in[i].win < 100)
            hints = 0;
    /* log-strengths: from the hints' implied chances, or drawn */
    double g[ODZ_BOOK_RUNNERS], p[ODZ_BOOK_RUNNERS], top = -1e300;
    for (size_t i = 0; i < n; i++) {
        g[i] = 0;
        if (b->r[i].scratched)
            continue;
        g[i] = hints ? -log(in[i].win / 100.0) : 0.9 * gauss(&b->rng);
        if (g[i] > top)
            top = g[i];
    }
    /* soften the spread until the favourite's fair chance is at most FAV_MAX */
    double temp = 1;
    for (int tries = 0; tries < 80; tries++, temp *= 0.85) {
        double sum = 0, max = 0;
        for (size_t i = 0; i < n; i++)
            sum += p[i] = b->r[i].scratched ? 0 : exp((g[i] - top) * temp);
        for (size_t i = 0; i < n; i++)
            if ((p[i] /= sum) > max)
                max = p[i];
        if (max <= FAV_MAX)
            break;
    }
    double over = 1.16 + 0.08 * odz_rng_unit(&b->rng);
    for (size_t i = 0; i < n; i++) {
        odz_book_runner *r = &b->r[i];
        if (r->scratched)
            continue;
        r->win = round_d(100.0 / (p[i] * over), ODZ_LADDER_FLOOR);
        r->trend = (signed char)((int)below(&b->rng, 3) - 1);
    }
    return settle(b, NULL, true);
}

int odz_book_adopt(odz_book *b, const odz_book_runner *in, size_t n, uint64_t seed)
{
    int rc = init(b, in, n, seed);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (!b->r[i].scratched && in[i].win < 100)
            return odz_book_open(b, in, n, seed);
    if (odz_book_active(b) < 2)
        return lone(b);
    for (size_t i = 0; i < n; i++)
        if (!b->r[i].scratched)
            b->r[i].win = odz_ladder_round(in[i].win);
    return settle(b, NULL, true);
}

int odz_book_step(odz_book *b)
{
    size_t act[ODZ_BOOK_RUNNERS], m = 0;
    for (size_t i = 0; i < b->n; i++)
        if (!b->r[i].scratched)
            act[m++] = i;
    if (b->closed || m < 2)
        return 0;
    int ow[ODZ_BOOK_RUNNERS], op[ODZ_BOOK_RUNNERS];
    bool moved[ODZ_BOOK_RUNNERS] = {0};
    for (size_t i = 0; i < b->n; i++) {
        ow[i] = b->r[i].win;
        op[i] = b->r[i].place;
    }
    size_t k = 1 + below(&b->rng, m < 3 ? m : 3);
    double pct = odz_book_percentage(b);
    for (size_t j = 0; j < k; j++) {
        size_t x = j + below(&b->rng, m - j), t = act[j];
        act[j] = act[x];
        act[x] = t;
        odz_book_runner *r = &b->r[act[j]];
        /* chance of shortening: momentum, the band's middle, and the field's spread */
        double down = 0.5 - 0.15 * r->trend;
        if (pct > ODZ_BOOK_MAX - 3)
            down -= 0.15;
        else if (pct < ODZ_BOOK_MIN + 3)
            down += 0.15;
        down += pull(r);
        int shorten = odz_rng_unit(&b->rng) < down;
        if (r->win <= ODZ_LADDER_FLOOR)
            shorten = 0;
        else if (r->win >= ODZ_LADDER_CAP)
            shorten = 1;
        int ticks = odz_rng_unit(&b->rng) < 0.25 ? 2 : 1;
        r->win = shorten ? odz_ladder_down(r->win, ticks) : odz_ladder_up(r->win, ticks);
        moved[act[j]] = true;
        if (odz_rng_unit(&b->rng) < 0.15)
            r->trend = (signed char)((int)below(&b->rng, 3) - 1);
    }
    fit(b, NULL, moved, false);
    set_places(b);
    int changed = 0;
    for (size_t i = 0; i < b->n; i++)
        changed += b->r[i].win != ow[i] || b->r[i].place != op[i];
    return changed;
}

int odz_book_scratch(odz_book *b, int number)
{
    odz_book_runner *s = NULL;
    for (size_t i = 0; i < b->n; i++)
        if (b->r[i].number == number)
            s = &b->r[i];
    if (!s)
        return ODZ_ENOTFOUND;
    if (s->scratched)
        return 0;
    double before = odz_book_percentage(b);
    s->scratched = true;
    s->win = s->place = 0;
    s->trend = 0;
    if (b->closed)
        return 1;
    size_t m = odz_book_active(b);
    if (m < 2) {
        lone(b);
        return 1;
    }
    /* its share goes to the others in proportion: the book returns to where it was */
    double target = before < ODZ_BOOK_MIN   ? ODZ_BOOK_MIN
                    : before > ODZ_BOOK_MAX ? ODZ_BOOK_MAX
                                            : before;
    double k = target / odz_book_percentage(b);
    int old[ODZ_BOOK_RUNNERS];
    for (size_t i = 0; i < b->n; i++) {
        odz_book_runner *r = &b->r[i];
        old[i] = r->win;
        if (r->scratched)
            continue;
        int w = round_d(r->win / k, ODZ_LADDER_FLOOR);
        r->win = w > old[i] ? old[i] : w; /* a scratching never lengthens the others */
    }
    settle(b, old, false);
    return 1;
}

void odz_book_close(odz_book *b)
{
    b->closed = true;
}

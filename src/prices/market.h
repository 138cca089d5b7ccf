/* The simulated fixed-odds market of one race: opening book, the bookmakers' price ladder,
 * a random walk on it, scratchings. Pure and deterministic from a seed: no bus, no clock. */
#ifndef ODZ_MARKET_H
#define ODZ_MARKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/* Odds are integers in hundredths, as everywhere (250 = $2.50). */
#define ODZ_LADDER_FLOOR 110 /* shortest win price, $1.10 */
#define ODZ_LADDER_CAP 50100 /* longest price, $501 (the top of the ladder) */
#define ODZ_PLACE_FLOOR 101  /* shortest place price, $1.01: always under a $1.10 win */
#define ODZ_BOOK_MIN 115.0   /* win market percentage kept within [MIN, MAX] */
#define ODZ_BOOK_MAX 125.0
#define ODZ_BOOK_RUNNERS ODZ_MAX_RUNNERS

/* ---- the price ladder (the original's rounding) ----
 * above $25 in steps of $5, above $10 whole dollars, above $5 in 0.20, above $2 in 0.10,
 * else in 0.01; never under $1.10 nor over $501. The ticks are therefore
 * 1.10 1.11 ... 2.00 2.10 ... 5.00 5.20 ... 10.00 11 ... 25 30 ... 500 501. */

/** Nearest ladder price (ties round up) of any odds > 0, clamped to [FLOOR, CAP]; 0 for 0
 *  or less ("no price"). */
int odz_ladder_round(int odds);
/** Nonzero if `odds` is a ladder price. */
int odz_ladder_valid(int odds);
/** The ladder price `ticks` steps longer / shorter than `odds` (rounded onto the ladder
 *  first), stopping at CAP / FLOOR. */
int odz_ladder_up(int odds, int ticks);
int odz_ladder_down(int odds, int ticks);

/* ---- a small seeded PRNG (splitmix64), so a seed gives the same market everywhere ---- */
typedef struct {
    uint64_t s;
} odz_rng;
void odz_rng_seed(odz_rng *r, uint64_t seed);
uint64_t odz_rng_next(odz_rng *r);
/** Uniform in [0, 1). */
double odz_rng_unit(odz_rng *r);

/* ---- the book ---- */

typedef struct {
    int64_t selection_id;
    int number;
    bool scratched;
    int win, place;    /* hundredths; 0 when scratched */
    int anchor;        /* where it settled (opening, scratching): the walk is pulled back */
    signed char trend; /* -1 firming, 0 none, +1 drifting: the walk's momentum */
} odz_book_runner;

typedef struct {
    odz_rng rng;
    bool closed; /* the race closed (or was abandoned): the book no longer moves */
    unsigned rr; /* round-robin position for re-normalising */
    size_t n;    /* runners, scratched ones included */
    odz_book_runner r[ODZ_BOOK_RUNNERS];
} odz_book;

/** Places a fixed place bet pays on a field of `active` runners (3 from 8, 2 from 5, else 1). */
int odz_places_paid(size_t active);

/** The place price consistent with a win price on a field of `active` runners: the standard
 *  fraction of the win odds (1/4 when 3 places are paid, 1/3 for 2; small fields that pay
 *  only the winner on the tote are quoted at 1/2 so the card always has a place price),
 *  on the ladder, at least ODZ_PLACE_FLOOR and always shorter than the win price. 0 for 0. */
int odz_place_from_win(int win, size_t active);

/** A new book for the field in[0..n) (number, selection_id, scratched are read; `win` is an
 *  optional hint, e.g. another bookmaker's price: when every runner still in has one, the
 *  book keeps their order and spread, otherwise strengths are drawn from the seed).
 *  Win market 115-125 % (the overround drawn from the seed), place prices from win.
 *  n <= ODZ_BOOK_RUNNERS. Returns 0 or ODZ_EINVAL (too many runners, bad number). */
int odz_book_open(odz_book *b, const odz_book_runner *in, size_t n, uint64_t seed);

/** A book that carries on from prices already published (our own market before a restart):
 *  in[i].win is taken (rounded onto the ladder) for every runner still in; if any of them has
 *  none, a new book is opened instead as by odz_book_open. The book is re-normalised only if
 *  it is outside 115-125 %. Place prices are derived from the win prices. */
int odz_book_adopt(odz_book *b, const odz_book_runner *in, size_t n, uint64_t seed);

/** One step of the random walk: moves one to three runners one or two ticks (with a little
 *  momentum and a pull towards the middle of the band), then re-normalises the others so the
 *  book stays within 115-125 %. Place prices follow. Returns the number of runners whose win
 *  or place price changed (0 when closed or fewer than two runners are left). */
int odz_book_step(odz_book *b);

/** Scratch runner `number`: it leaves the book and the rest are repriced, shortening (or
 *  staying) in proportion, so the book is back within 115-125 % (a lone runner left is
 *  quoted at the floor). A closed book only drops the runner. Returns 1 if the book changed,
 *  0 if the runner was already out, ODZ_ENOTFOUND for an unknown number. */
int odz_book_scratch(odz_book *b, int number);

/** Stop moving (race closed, abandoned, interim or final). */
void odz_book_close(odz_book *b);

/** Win market percentage: the sum over runners still in of 100 / win price (in percent). */
double odz_book_percentage(const odz_book *b);
/** Runners still in. */
size_t odz_book_active(const odz_book *b);
/** The runner with this number, or NULL. */
const odz_book_runner *odz_book_find(const odz_book *b, int number);

#endif

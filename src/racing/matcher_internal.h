/* Internal to the odds engine (racing/matcher*.c): its state, the text buffer its rows and
 * odds events are written into, and the helpers its files share. */
#ifndef ODZ_RACING_MATCHER_INTERNAL_H
#define ODZ_RACING_MATCHER_INTERNAL_H

#include "calc/calc.h"
#include "core/grow.h"
#include "racing/matcher.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAXP ODZ_MATCHER_PROVIDERS_MAX
#define DEFAULT_STAKE 1000     /* published rows: 10.00 */
#define DEFAULT_COMMISSION 500 /* and 5 % */
#define CLOSED_RING 512        /* races seen not OPEN, so their late prices do not reload them */

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

/* Rows and odds events are written as text: a change publishes a runner's rows and its race's
 * odds at once, and building them as jansson trees of reals cost ten times as much (the
 * formatting of doubles and the allocations; bench/matcher.sh). Strings from the sources are
 * escaped as jansson escapes them (core/json_text.h), once, when a race is put. */
typedef odz_text tbuf;

/* matcher.c */
int odz_matcher__active_runners(const mrace *r);
/* A provider whose fixed win prices stand against the exchange. */
bool odz_matcher__is_bookmaker(const mrace *r, size_t p);

/* matcher_text.c: JSON text (the caller frees t->s, or a publish does) */
/* The JSON escaping of s without its quotes, malloc'd (the caller frees). */
char *odz_matcher__esc(const char *s);
/* The inputs of runner u's row of bookmaker p; false when there is no row. */
bool odz_matcher__row_in(const mrace *r, const mrunner *u, size_t p, int64_t stake, int commission,
                         odz_bet_type type, odz_match_in *in);
/* One row (docs/api.yaml, MatcherRow). */
void odz_matcher__row_text(tbuf *t, const mrace *r, const mrunner *u, size_t p,
                           const odz_match_in *in, const odz_match_out *o);
/* Runner ri's rows at the published stake and commission, sent when it has or had rows. */
void odz_matcher__publish_runner(odz_matcher *m, mrace *r, size_t ri);
/* race.<id>.odds when a best price or a percentage changed (always when `force`). */
void odz_matcher__publish_odds(odz_matcher *m, mrace *r, bool force);
/* The removal of every row race r had, published before it is dropped. */
void odz_matcher__publish_removed(odz_matcher *m, const mrace *r);

#endif

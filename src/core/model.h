/* The racing domain: meetings, races, selections, prices, results and dividends. */
#ifndef ODZ_MODEL_H
#define ODZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every text field has a hard size limit; longer input is rejected by the decoders
 * (odz_*_from_json) and truncated with a warning by the source adapters. */
#define ODZ_KEY_MAX 128      /* source keys */
#define ODZ_NAME_MAX 128     /* names of meetings, races, runners, people */
#define ODZ_COUNTRY_MAX 8
#define ODZ_REGION_MAX 48
#define ODZ_DATE_MAX 11      /* "YYYY-MM-DD" */
#define ODZ_SILKS_MAX 256
#define ODZ_PROVIDER_MAX 32
/* Our own provider: the simulated market of the price updater; its fixed odds come first. */
#define ODZ_PROVIDER_OURS "oddzy"
#define ODZ_MAX_PLACINGS 32  /* result lines of one race (dead heats make more than places) */
#define ODZ_MAX_DIVIDENDS 48
#define ODZ_MAX_RUNNERS 32

typedef enum {
    ODZ_THOROUGHBRED = 0,
    ODZ_HARNESS = 1,
    ODZ_GREYHOUND = 2,
} odz_race_type;
#define ODZ_RACE_TYPES 3

/* Statuses only move forward: OPEN -> CLOSED -> INTERIM -> FINAL; OPEN or CLOSED -> ABANDONED. */
typedef enum {
    ODZ_OPEN = 0,
    ODZ_CLOSED = 1,
    ODZ_INTERIM = 2,
    ODZ_FINAL = 3,
    ODZ_ABANDONED = 4,
} odz_race_status;

typedef enum {
    ODZ_FIXED_WIN = 0,
    ODZ_FIXED_PLACE = 1,
    ODZ_TOTE_WIN = 2,
    ODZ_TOTE_PLACE = 3,
    ODZ_EXCHANGE_BACK = 4,
    ODZ_EXCHANGE_LAY = 5,
} odz_market;
#define ODZ_MARKETS 6

typedef struct {
    int64_t id;                      /* ours; 0 until stored */
    char source_key[ODZ_KEY_MAX];    /* stable key from the source, unique */
    char name[ODZ_NAME_MAX];
    char country[ODZ_COUNTRY_MAX];   /* "AUS", "NZ", "GB", ... as the source says */
    char region[ODZ_REGION_MAX];     /* display grouping: "Australia & New Zealand", ... */
    odz_race_type type;
    char date[ODZ_DATE_MAX];         /* race day in the configured time zone */
    int64_t first_start;             /* epoch s, earliest scheduled start of its races; 0 unknown */
} odz_meeting;

/* One line of a result. Dead heats are several lines with the same position. */
typedef struct {
    int position;                    /* 1, 2, 3, ... */
    int number;                      /* runner (saddle cloth) number */
    char margin[16];                 /* "1.2L", "" when unknown */
} odz_placing;

typedef struct {
    char pool[16];                   /* WIN, PLACE, QUINELLA, EXACTA, TRIFECTA, FIRST4, DUET, ... */
    bool interim;                    /* true: interim dividend; false: final */
    char combination[32];            /* "3", "3-5", "3-5-1" */
    int64_t amount;                  /* cents paid per $1 unit */
} odz_dividend;

typedef struct {
    int64_t id;
    char source_key[ODZ_KEY_MAX];
    int64_t meeting_id;
    int number;
    char name[ODZ_NAME_MAX];
    int distance;                    /* metres; 0 unknown */
    int64_t scheduled_start;         /* epoch s */
    int64_t actual_start;            /* epoch s; 0 not started */
    odz_race_status status;
    size_t n_results;
    odz_placing results[ODZ_MAX_PLACINGS];
    size_t n_dividends;
    odz_dividend dividends[ODZ_MAX_DIVIDENDS];
    int64_t last_update;             /* epoch s of the last committed change */
} odz_race;

typedef struct {
    int64_t id;
    char source_key[ODZ_KEY_MAX];
    int64_t race_id;
    int number;
    int barrier;                     /* 0 unknown (greyhounds: box) */
    char name[ODZ_NAME_MAX];
    char jockey[ODZ_NAME_MAX];       /* jockey or driver */
    char trainer[ODZ_NAME_MAX];
    int weight;                      /* hundredths of a kg; 0 unknown */
    int claim;                       /* hundredths of a kg */
    bool scratched;
    bool late_scratched;
    int64_t scratch_time;            /* epoch s; 0 unknown */
    int deduction;                   /* win deduction in cents per dollar x100 (12.5c = 1250) */
    bool emergency;
    char silks[ODZ_SILKS_MAX];       /* colours text ("Red, white sash") or an image URL */
} odz_selection;

typedef struct {
    int64_t selection_id;
    char provider[ODZ_PROVIDER_MAX]; /* ODZ_PROVIDER_OURS, "tab", "ladbrokes", ... */
    odz_market market;
    int odds;                        /* decimal odds in hundredths: $3.50 = 350; 0 = no price */
    int64_t ts;                      /* epoch s */
} odz_price;

/* One runner on a betting exchange, as it stands: the best offers to back and to lay with the
 * money available at each price, the last traded price, the volume traded and the exchange's
 * starting price. The store keeps the best back and lay odds as price points (markets
 * ODZ_EXCHANGE_BACK / ODZ_EXCHANGE_LAY, their history) and the whole book as it stands, one
 * odz_exbook per (selection, provider). */
#define ODZ_EXCHANGE_DEPTH 3
#define ODZ_MONEY_MAX 100000000000000LL /* cents (10^12 currency units): sizes and volumes */
typedef struct {
    int odds;                        /* hundredths; 0 = no offer at this depth */
    int64_t size;                    /* cents available */
} odz_exchange_offer;
typedef struct {
    odz_exchange_offer back[ODZ_EXCHANGE_DEPTH]; /* best first: highest odds */
    odz_exchange_offer lay[ODZ_EXCHANGE_DEPTH];  /* best first: lowest odds */
    int last_traded;                 /* hundredths, 0 none */
    int64_t traded_volume;           /* cents */
    int starting_price;              /* hundredths, 0 until reconciled */
} odz_exchange_book;

/* A runner's book on one exchange provider ("betfair": WIN market, "betfair_place": PLACE
 * market), as stored: one row per (selection_id, provider), replaced when it changes. */
typedef struct {
    int64_t selection_id;
    char provider[ODZ_PROVIDER_MAX];
    odz_exchange_book book;
    int64_t ts;                      /* epoch s of this state (the exchange's publish time) */
} odz_exbook;

/** A well-formed book: each side's levels packed from the best (no offer after an empty
 * level), odds 1.01..1000.00 (101..100000) strictly worse level by level (back: lower; lay:
 * higher), a size 1..ODZ_MONEY_MAX cents for each offer and 0 for an empty level; last traded
 * and starting price 0 or 101..100000; traded volume 0..ODZ_MONEY_MAX. 0, or ODZ_EINVAL with
 * words in err (err may be NULL). */
int odz_exchange_book_check(const odz_exchange_book *b, char *err, size_t errlen);
/** Keep the well-formed part of a book from a source: each side up to its first level that
 * is out of range or not worse than the one before; last traded, starting price and volume
 * out of range become 0. The result passes odz_exchange_book_check. */
void odz_exchange_book_trim(odz_exchange_book *b);
/** 1 when a book holds nothing: no offer, last traded, volume or starting price. */
int odz_exchange_book_empty(const odz_exchange_book *b);
/** 1 when both books hold the same offers, last traded, volume and starting price. */
int odz_exchange_book_same(const odz_exchange_book *a, const odz_exchange_book *b);

/* Growable arrays; the owner frees with the matching *_free. */
typedef struct { odz_meeting *v; size_t n, cap; } odz_meetings;
typedef struct { odz_race *v; size_t n, cap; } odz_races;
typedef struct { odz_selection *v; size_t n, cap; } odz_selections;
typedef struct { odz_price *v; size_t n, cap; } odz_prices;
typedef struct { odz_exbook *v; size_t n, cap; } odz_exbooks;

/* Push a copy; return 0 or ODZ_ENOMEM. */
int odz_meetings_push(odz_meetings *a, const odz_meeting *m);
int odz_races_push(odz_races *a, const odz_race *r);
int odz_selections_push(odz_selections *a, const odz_selection *s);
int odz_prices_push(odz_prices *a, const odz_price *p);
int odz_exbooks_push(odz_exbooks *a, const odz_exbook *b);
void odz_meetings_free(odz_meetings *a);
void odz_races_free(odz_races *a);
void odz_selections_free(odz_selections *a);
void odz_prices_free(odz_prices *a);
void odz_exbooks_free(odz_exbooks *a);

/* Names as they appear in JSON and the database. */
const char *odz_race_type_name(odz_race_type t);   /* "thoroughbred", "harness", "greyhound" */
const char *odz_status_name(odz_race_status s);    /* "OPEN", ... */
const char *odz_market_name(odz_market m);         /* "fixed_win", ... */
/* Parse; return 0 or ODZ_EINVAL. Case-insensitive. */
int odz_race_type_parse(const char *s, odz_race_type *out);
int odz_status_parse(const char *s, odz_race_status *out);
int odz_market_parse(const char *s, odz_market *out);

/** The status state machine: 0 if `from` may become `to` (same status is allowed, a no-op),
 * ODZ_ESTATE with words in err otherwise. */
int odz_status_transition(odz_race_status from, odz_race_status to, char *err, size_t errlen);

/** Bounded copy of text into a fixed field; returns 0, or ODZ_EINVAL if it did not fit
 * (dst then holds the truncated text, cut on a UTF-8 character boundary). */
int odz_strlcpy(char *dst, const char *src, size_t dstlen);

/* Odds: "3.50" / 3.5 -> 350. Rounds to the nearest hundredth; returns ODZ_EINVAL for
 * non-numbers, values below 1.00 (except 0 meaning "no price") or above 100000.00. */
int odz_odds_from_double(double d, int *out);
int odz_odds_parse(const char *s, int *out);

/* A positive whole number in outside text (a race id in a query or a subscription, a fraction's
 * terms): s[0..len) is 1 to 18 decimal digits and above 0; 0 with *out, or ODZ_EINVAL. */
int odz_positive_parse(const char *s, size_t len, int64_t *out);

#endif

/* Internal to src/feed: the simulated world's types, its generation (world.c: meetings;
 * world_race.c: runners, prices and a race's state; world_results.c: placings and dividends),
 * its catalogue (zones, regions, tracks, word lists: data in world_catalog.txt, written as C at
 * build time) and ids (ids.c), for the renderers and the exchange. */
#ifndef ODZ_FEED_WORLD_H
#define ODZ_FEED_WORLD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/model.h"
#include "feed/feed.h"

#define ODZ_FW_MAX_RACES 12
#define ODZ_FW_MAX_RUNNERS 16
#define ODZ_FW_MAX_DAY_MEETINGS 96 /* one race day, all regions (about 25-45 in practice) */
#define ODZ_FW_MAX_REGION_MEETINGS 24
#define ODZ_FW_MAX_FLUCS 96
#define ODZ_FW_MAX_DIVS 48
#define ODZ_FW_ZCACHE 512 /* zone-day bounds cache slots */
#define ODZ_FW_EVENT_PAST_DAYS 7

enum { ODZ_FW_AUS, ODZ_FW_NZ, ODZ_FW_UK, ODZ_FW_IRE, ODZ_FW_USA, ODZ_FW_HK, ODZ_FW_REGIONS };

/* Zone slot 0 is the feed's own race-day zone; the others are the tracks' local zones. */
enum {
    ODZ_FW_Z_FEED,
    ODZ_FW_Z_SYD,
    ODZ_FW_Z_MEL,
    ODZ_FW_Z_BNE,
    ODZ_FW_Z_ADL,
    ODZ_FW_Z_PER,
    ODZ_FW_Z_HBA,
    ODZ_FW_Z_DRW,
    ODZ_FW_Z_AKL,
    ODZ_FW_Z_LON,
    ODZ_FW_Z_DUB,
    ODZ_FW_Z_NYC,
    ODZ_FW_Z_CHI,
    ODZ_FW_Z_LAX,
    ODZ_FW_Z_HKG,
    ODZ_FW_ZONES
};

typedef struct {
    const char *name;      /* IANA name; NULL for slot 0 (the feed's zone) */
    int approx_offset_min; /* standard offset, used only when the tz database fails */
} odz_fw_zone;

typedef struct {
    const char *name;  /* "Randwick" */
    const char *state; /* Entain state: "NSW", "GBR", "NY", ... */
    uint8_t zone;      /* ODZ_FW_Z_* */
} odz_fw_track;

typedef struct {
    const char *country;                /* Entain country code: AUS, NZ, UK, IRE, USA, HK */
    const char *description;            /* odds-comparison regionDescription */
    const char *flag;                   /* flag code of regionIconURL */
    const char *url_suffix;             /* odds-comparison URL suffix: "", "-nz", "-uk", ... */
    bool anz;                           /* Australia & New Zealand region group */
    const struct odz_fw_words *going;   /* track conditions of its gallops */
    const struct odz_fw_words *weather; /* NULL: its feed gives none */
} odz_fw_region;

/* A group of tracks of one region and type, with how their meetings are shaped. */
typedef struct {
    uint8_t region, type;
    const odz_fw_track *tracks;
    int n_tracks;
    int per_day_min, per_day_max; /* meetings a local day */
    int races_min, races_max;
    int gap_min, gap_max; /* minutes between races */
    int field_min, field_max;
    const int *starts; /* first-race windows: pairs of local minutes (from, to) */
    int n_starts;
    const int *distances;
    int n_distances;
} odz_fw_group;

extern const odz_fw_zone odz_fw_zones[ODZ_FW_ZONES];
extern const odz_fw_region odz_fw_regions[ODZ_FW_REGIONS];
extern const odz_fw_group odz_fw_groups[];
extern const int odz_fw_n_groups;

/* A bookmaker's product as the odds-comparison race card lists it, in the card's order. */
typedef struct {
    const char *name, *display, *lower, *bet_type, *general;
    const char *primary, *secondary, *font, *secondary_font; /* colours */
    bool quickbet;
    const char *freebet;        /* NULL: absent */
    const char *deal, *subtext; /* subtext NULL: null */
} odz_fw_agency;
#define ODZ_FW_AGENCIES 19
extern const odz_fw_agency odz_fw_agencies[ODZ_FW_AGENCIES];

/* Word lists (world_catalog.txt). */
typedef struct odz_fw_words {
    const char *const *v;
    int n;
} odz_fw_words;
extern const odz_fw_words odz_fw_name_a, odz_fw_name_b, odz_fw_dog_a, odz_fw_dog_b,
    odz_fw_first_names, odz_fw_surnames, odz_fw_colours, odz_fw_silk_patterns, odz_fw_sponsors,
    odz_fw_race_kinds_aus, odz_fw_race_kinds_uk, odz_fw_race_kinds_usa, odz_fw_race_kinds_hk,
    odz_fw_race_kinds_harness, odz_fw_race_kinds_dogs, odz_fw_hk_names, odz_fw_going_dogs,
    odz_fw_going_harness;

/* ---- the feed object ---- */

typedef struct {
    int32_t day;  /* days since 1970-01-01 */
    int16_t zone; /* -1 empty */
    int64_t start, end;
} odz_fw_zday;

struct odz_feed {
    uint64_t seed;
    char tz[72];
    double fail_rate, garbage_rate;
    int slow_ms;
    _Atomic uint64_t fault_rng;
    pthread_mutex_t zlock;
    odz_fw_zday zcache[ODZ_FW_ZCACHE];
};

/* ---- deterministic randomness ---- */

uint64_t odz_fw_mix(uint64_t x);
uint64_t odz_fw_hash(uint64_t a, uint64_t b);
uint64_t odz_fw_hash3(uint64_t a, uint64_t b, uint64_t c);
typedef struct {
    uint64_t s;
} odz_fw_rng;
void odz_fw_rng_seed(odz_fw_rng *r, uint64_t seed);
uint64_t odz_fw_next(odz_fw_rng *r);
double odz_fw_unif(odz_fw_rng *r);               /* [0, 1) */
int odz_fw_range(odz_fw_rng *r, int lo, int hi); /* [lo, hi] */
double odz_fw_normal(odz_fw_rng *r);
const char *odz_fw_pick(odz_fw_rng *r, const odz_fw_words *w);
double odz_fw_u01(uint64_t h); /* a hash to [0, 1) */

/* ---- calendar and zones ---- */

int32_t odz_fw_days_from_civil(int y, int m, int d);
void odz_fw_civil_from_days(int32_t z, int *y, int *m, int *d);
void odz_fw_day_str(int32_t day, char out[11]);    /* YYYY-MM-DD */
int odz_fw_parse_day(const char *s, int32_t *day); /* strict YYYY-MM-DD; 0 or ODZ_EINVAL */
int odz_fw_weekday(int32_t day);                   /* 0 = Sunday */
/** [start, end) of local day `day` in zone slot `zone`, cached. */
void odz_fw_day_bounds(odz_feed *f, int zone, int32_t day, int64_t *start, int64_t *end);
/** Epoch of local clock time `sec` (seconds after midnight, >= 4 h) on local day `day`. */
int64_t odz_fw_local(odz_feed *f, int zone, int32_t day, int sec);
/** The local day of epoch `t` in zone slot `zone`, and seconds since its midnight. */
int32_t odz_fw_day_of(odz_feed *f, int zone, int64_t t, int *sec_of_day);

/* ---- the world ---- */

typedef struct {
    int number;
    int64_t start; /* advertised start, epoch s */
    int distance;  /* metres */
    int field;     /* runners entered, before scratchings */
    uint64_t seed;
    char name[112];
    char eventname_null; /* odds-comparison quirk: eventName null for this race */
    bool abandoned;      /* becomes Abandoned at abandon_time */
    int64_t abandon_time;
    int64_t actual_start; /* jump time */
    int64_t final_time;
    const char *weather;
} odz_fw_race;

typedef struct {
    uint8_t region, index, group;
    int32_t lday;     /* local date at the track (days since epoch) */
    int32_t race_day; /* race day in the feed's zone */
    const odz_fw_track *track;
    uint8_t type; /* odz_race_type */
    uint64_t seed;
    int n_races;
    odz_fw_race races[ODZ_FW_MAX_RACES];
    const char *condition;
    int tote_number;
    double pool_scale; /* metro meetings carry bigger pools */
} odz_fw_meeting;

typedef struct {
    int number, barrier;
    char name[48], jockey[48], trainer[64], silks[160], sire[40], dam[40], dam_sire[40];
    char owners[96], form[12];
    int weight10; /* kg x 10; 0 for harness */
    int claim10;  /* apprentice allowance, kg x 10 */
    int age;
    char sex;
    const char *colour;
    double strength;
    int64_t scratch_time; /* 0: never scratched */
    bool late;            /* scratched within 30 min of the start */
    uint64_t seed;
    int starts, wins, seconds, thirds;
} odz_fw_runner;

typedef struct {
    int64_t ts;
    int ns;
    double price;
} odz_fw_fluc;

typedef struct {
    int position;
    int idx;       /* runner index */
    double margin; /* lengths behind the winner */
    char step[12]; /* margin to the one ahead: "NSE", "1-1/4L", "DH"; "" for the winner */
} odz_fw_placing;

typedef struct {
    const char *pool; /* "Win", "Place", "Quinella", "Exacta", "Trifecta", "First4" */
    bool interim;
    int legs;
    int nums[4];
    double amount; /* dollars per $1 */
    double pool_size;
} odz_fw_div;

typedef struct {
    const odz_fw_meeting *m;
    const odz_fw_race *r;
    int64_t now;
    int64_t tq;   /* price time: now capped at the start, in whole minutes */
    int64_t tscr; /* scratchings as of this time (now, or the abandonment) */
    odz_race_status status;
    int n;
    odz_fw_runner run[ODZ_FW_MAX_RUNNERS];
    bool scr[ODZ_FW_MAX_RUNNERS]; /* scratched as of now */
    int live;
    int positions_paid;
    double prob[ODZ_FW_MAX_RUNNERS];
    double win[ODZ_FW_MAX_RUNNERS], place[ODZ_FW_MAX_RUNNERS];
    double tote_win[ODZ_FW_MAX_RUNNERS], tote_place[ODZ_FW_MAX_RUNNERS];
    double ded_win[ODZ_FW_MAX_RUNNERS], ded_place[ODZ_FW_MAX_RUNNERS]; /* cents, late scratchings */
    int n_flucs[ODZ_FW_MAX_RUNNERS];
    odz_fw_fluc flucs[ODZ_FW_MAX_RUNNERS][ODZ_FW_MAX_FLUCS];
    odz_fw_fluc open[ODZ_FW_MAX_RUNNERS], high[ODZ_FW_MAX_RUNNERS], low[ODZ_FW_MAX_RUNNERS];
    odz_fw_fluc nine_am[ODZ_FW_MAX_RUNNERS];
    int fav, mover; /* runner index or -1 */
    int n_results;
    odz_fw_placing results[ODZ_FW_MAX_RUNNERS];
    double winning_time;
    int n_divs;
    odz_fw_div divs[ODZ_FW_MAX_DIVS];
} odz_fw_state;

enum { ODZ_FW_ID_MEETING = 1, ODZ_FW_ID_RACE = 2, ODZ_FW_ID_ENTRANT = 3, ODZ_FW_ID_DIVIDEND = 4 };

typedef struct {
    int kind;
    int region, index;
    int32_t lday;
    int race;   /* race number, 0 for a meeting */
    int runner; /* runner number, 0 unless an entrant */
    int extra;  /* dividend ordinal */
} odz_fw_key;

/** Meetings of one region on one local day, in index order; returns the count. */
int odz_fw_region_day(odz_feed *f, int region, int32_t lday, odz_fw_meeting *out, int max);
/** Meetings of race day `day` (feed zone), ordered by first start; returns the count. */
int odz_fw_race_day(odz_feed *f, int32_t day, odz_fw_meeting *out, int max);
/** One meeting by its identity; 0 or ODZ_ENOTFOUND. */
int odz_fw_meeting_get(odz_feed *f, int region, int32_t lday, int index, odz_fw_meeting *out);
odz_race_status odz_fw_status(const odz_fw_race *r, int64_t now);
/** Everything about race `race_idx` of `m` as of `now`. */
void odz_fw_state_at(odz_feed *f, const odz_fw_meeting *m, int race_idx, int64_t now,
                     odz_fw_state *st);
/* A race as served at one time: its meeting and its state (st.m points at m). */
typedef struct {
    odz_fw_meeting m;
    odz_fw_state st;
    int race_idx;
} odz_fw_view;
/** The race key `k` names if still served at `now` (odz_fw_lookup), with its state as of `now`
 * (odz_fw_state_at), in one malloc'd block the caller frees with free(); NULL with *rc
 * ODZ_ENOTFOUND or ODZ_ENOMEM. */
odz_fw_view *odz_fw_view_at(odz_feed *f, const odz_fw_key *k, int64_t now, int *rc);
/** Load the race a key names if it exists and is still served at `now` (race day from
 * today - ODZ_FW_EVENT_PAST_DAYS to today + 2); 0 with *m and *race_idx, or ODZ_ENOTFOUND. */
int odz_fw_lookup(odz_feed *f, const odz_fw_key *k, int64_t now, odz_fw_meeting *m, int *race_idx);
/** Only what the schedule needs: status, scratchings and placings (no prices). */
void odz_fw_placings_at(const odz_fw_meeting *m, int race_idx, int64_t now, odz_fw_state *st);
/** True win probabilities at time t over the runners still in at time tscr (0 for the
 * others), for a state of odz_fw_placings_at or odz_fw_state_at; returns the runners in. */
int odz_fw_true_probs(const odz_fw_state *st, int64_t t, int64_t tscr, double *p);
/* Between the world's files: a floor division for times before the epoch (world.c), tote
 * prices of a state from its true probabilities `p` (world_race.c), and the placings and
 * dividends of a run race (world_results.c); a tote price is rounded to 10 cents, at least 1. */
int64_t odz_fw_floor_div(int64_t a, int64_t b);
double odz_fw_tote_round(double x);
void odz_fw_tote_at(const odz_fw_state *st, int64_t t, const double *p, int live, double *tw,
                    double *tp);
void odz_fw_draw_results(odz_fw_state *st);
void odz_fw_dividends(odz_fw_state *st);
/** The race day serving window around `now`: [today - 1, today + 2]. */
int32_t odz_fw_today(odz_feed *f, int64_t now);
const odz_fw_group *odz_fw_group_of(const odz_fw_meeting *m);

/* ---- ids ---- */

/** A v4-shaped UUID (v5-shaped for dividends) that encodes `k`, keyed by the seed. */
void odz_fw_uuid(const odz_feed *f, const odz_fw_key *k, char out[37]);
/** Decode a UUID made by odz_fw_uuid; 0 or ODZ_ENOTFOUND (not ours, malformed). */
int odz_fw_uuid_parse(const odz_feed *f, const char *s, odz_fw_key *k);
/** Integer odds-comparison ids. */
int64_t odz_fw_event_id(const odz_feed *f, const odz_fw_meeting *m, int race_number);
int odz_fw_event_id_parse(const odz_feed *f, int64_t id, odz_fw_key *k);

/* ---- rendering helpers (render_entain.c, render_oddscomau.c) ---- */

/** A JSON number as the sources print it: integral values without ".0", else 2 decimals. */
json_t *odz_fw_num(double v);
/** "2025-07-17T00:52:46.123456789Z" (nanoseconds trimmed as Go prints them). */
void odz_fw_iso_ns(int64_t t, int ns, char out[40]);
/** Lowercase, spaces to dashes, other punctuation dropped. */
void odz_fw_slug(const char *s, char *out, size_t outlen);

/* Renderers set *status and return the body as a new JSON value (an {"error": ...} object for
 * 4xx), or NULL on out-of-memory. */
json_t *odz_fw_entain_meetings(odz_feed *f, const char *path, const char *query, int64_t now,
                               int *status);
json_t *odz_fw_entain_meeting(odz_feed *f, const char *id, const char *path, const char *query,
                              int64_t now, int *status);
/* Bookmaker brands of the Entain format: 1.. by name (0: not a brand), and a brand's prices
 * of a race (its margin, opinion and lag) written over st's fixed win and place. */
int odz_fw_brand_find(const char *name, size_t len);
const char *odz_fw_brand_name(int brand);
void odz_fw_brand_prices(odz_feed *f, const odz_fw_meeting *m, int race_idx, int64_t now, int brand,
                         odz_fw_state *st);

/* brand: 0 the world's own prices, else a brand of odz_fw_brand_find */
json_t *odz_fw_entain_event(odz_feed *f, int brand, const char *id, const char *path,
                            const char *query, int64_t now, int *status);
json_t *odz_fw_oddscomau_schedule(odz_feed *f, const char *query, int64_t now, int *status);
json_t *odz_fw_oddscomau_card(odz_feed *f, const char *query, int64_t now, int *status);
/** Wire form: {"r": rot13(base64(json))}; malloc'd text, NULL on out-of-memory. */
char *odz_fw_oddscomau_wire(const json_t *body, size_t *len);

/* ---- query strings ---- */

#define ODZ_FW_QUERY_MAX 2048
#define ODZ_FW_PARAM_MAX 128
/** Value of `key` in `query`, URL-decoded into out (odz_http_query_get); 1 found, 0 absent,
 *  ODZ_EINVAL too long or malformed (a bad %-escape, a NUL). */
int odz_fw_query_get(const char *query, const char *key, char *out, size_t outlen);

#endif

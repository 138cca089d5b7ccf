/* Internal to src/feed: one race's WIN and PLACE markets as the exchange shows them at a
 * time, and their JSON (definition, image, delta) in the Stream API's shapes. */
#ifndef ODZ_FEED_EXCHANGE_MARKET_H
#define ODZ_FEED_EXCHANGE_MARKET_H

#include <jansson.h>

#include "feed/exchange.h"
#include "feed/world.h"

enum { ODZ_FX_ACTIVE = 0, ODZ_FX_REMOVED, ODZ_FX_WINNER, ODZ_FX_LOSER };
enum { ODZ_FX_OPEN = 0, ODZ_FX_SUSPENDED, ODZ_FX_CLOSED };

typedef struct {
    int odds;     /* hundredths; 0: empty position */
    int64_t size; /* cents */
} odz_fx_level;

typedef struct {
    int64_t id;
    char name[64];
    int number;
    uint8_t status;
    int adj; /* adjustmentFactor, hundredths of a percent */
    int bsp; /* hundredths; 0 until reconciled */
    odz_fx_level back[ODZ_FX_LEVELS], lay[ODZ_FX_LEVELS];
    int ltp;    /* 0: nothing traded */
    int64_t tv; /* cents */
} odz_fx_runner;

typedef struct {
    char id[24];
    char event_id[16];
    bool place, greyhound;
    const char *country, *timezone; /* static */
    const char *race_type;          /* static: the definition's raceType ("Flat", "Hurdle",
                                     * "Chase", "Harness"); NULL for greyhounds, which have none */
    char venue[64], event_name[96], name[64];
    int64_t market_time, open_date, settled_time; /* epoch s; settled 0 until then */
    uint8_t status;
    bool in_play, bsp_reconciled;
    int n_winners;
    int64_t version;
    int n;
    odz_fx_runner r[ODZ_FW_MAX_RUNNERS];
    int64_t tv;
    /* for the filter */
    const char *country_code;
} odz_fx_market;

/** The WIN (out[0]) and PLACE (out[1]) markets of race `race_idx` of m at `now`; st is
 * scratch space. Versions are 1: the caller keeps its own. */
void odz_fx_race_markets(odz_feed *f, const odz_fw_meeting *m, int race_idx, int64_t now,
                         odz_fw_state *st, odz_fx_market out[2]);

/** true when the definitions (every field but the version) are the same. */
bool odz_fx_definition_same(const odz_fx_market *a, const odz_fx_market *b);

/** The market change of an image: {"id","img":true,"marketDefinition","rc","tv"}. */
json_t *odz_fx_image_json(const odz_fx_market *m);
/** The change from old to cur (cur's version must already be set); NULL when nothing
 * changed; *oom set on out-of-memory. */
json_t *odz_fx_delta_json(const odz_fx_market *old, const odz_fx_market *cur, bool *oom);

/* Betfair's price ladder, in hundredths: the largest tick at or under x (101 at least), and
 * k ticks away from a tick (k < 0 down), clamped to 101..100000. */
int odz_fx_tick_floor(int x);
int odz_fx_tick_move(int odds, int k);

#endif

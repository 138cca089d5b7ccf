/* Betfair Exchange Stream API: the messages a client receives (connection, status, mcm) and
 * the market cache that applies their images and deltas. Pure: no sockets, no clock. */
#ifndef ODZ_BETFAIR_STREAM_H
#define ODZ_BETFAIR_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json_arena.h"
#include "core/model.h"
#include "core/rowix.h"

/* Hard limits. A message past one of them is refused whole (ODZ_EINVAL or ODZ_EFULL) and
 * the cache is left as it was. */
#define ODZ_BF_MSG_MAX (8u * 1024u * 1024u) /* bytes of one message (one line) */
#define ODZ_BF_MAX_MARKETS 2000             /* markets in one cache (default) */
#define ODZ_BF_MAX_RUNNERS 64               /* runners of one market */
#define ODZ_BF_MAX_PRICES 400               /* levels of a price-keyed ladder (atb, atl, trd) */
#define ODZ_BF_DEPTH 10                     /* positions of batb/batl/bdatb/bdatl (0..9) */
#define ODZ_BF_ID_MAX 32                    /* market id "1.197931750", event id */
#define ODZ_BF_CLK_MAX 256                  /* clk / initialClk tokens */
#define ODZ_BF_TEXT_MAX 64                  /* market type, time zone, connection id, codes */

typedef enum {
    ODZ_BF_MARKET_INACTIVE = 0,
    ODZ_BF_MARKET_OPEN,
    ODZ_BF_MARKET_SUSPENDED,
    ODZ_BF_MARKET_CLOSED,
} odz_bf_market_status;

typedef enum {
    ODZ_BF_RUNNER_ACTIVE = 0,
    ODZ_BF_RUNNER_REMOVED,
    ODZ_BF_RUNNER_WINNER,
    ODZ_BF_RUNNER_LOSER,
    ODZ_BF_RUNNER_PLACED,
    ODZ_BF_RUNNER_HIDDEN,
    ODZ_BF_RUNNER_REMOVED_VACANT,
} odz_bf_runner_status;

/* Prices in hundredths (2.54 -> 254), sizes and volumes in cents (7.95 -> 795). */
typedef struct {
    int odds;     /* 0: empty position */
    int64_t size;
} odz_bf_level;

/* A price-keyed ladder (atb, atl, trd): levels sorted by ascending odds, no duplicates. */
typedef struct {
    odz_bf_level *v;
    size_t n, cap;
} odz_bf_ladder;

typedef struct {
    int64_t id;                          /* selection id */
    /* from the market definition */
    bool defined;                        /* seen in a definition */
    int sort_priority;
    odz_bf_runner_status status;
    int adjustment;                      /* adjustmentFactor in hundredths of a percent */
    int bsp;                             /* starting price, 0 until reconciled */
    char name[ODZ_NAME_MAX];             /* "" unless the definition names it */
    int64_t removed_at;                  /* publish time (epoch ms) first seen REMOVED, 0 */
    /* from runner changes */
    int ltp;                             /* last traded price, 0 none */
    int64_t tv;                          /* traded volume, cents */
    int spn, spf;                        /* projected near / far starting price, 0 none */
    odz_bf_level batb[ODZ_BF_DEPTH], batl[ODZ_BF_DEPTH];   /* best offers by position */
    odz_bf_level bdatb[ODZ_BF_DEPTH], bdatl[ODZ_BF_DEPTH]; /* best display offers (virtual) */
    odz_bf_ladder atb, atl, trd;         /* full ladders, traded by price */
} odz_bf_runner;

typedef struct {
    char id[ODZ_BF_ID_MAX];
    /* from the market definition */
    bool defined;
    odz_bf_market_status status;
    bool in_play;
    bool bsp_reconciled;
    int64_t market_time;                 /* epoch s, 0 unknown */
    char venue[ODZ_NAME_MAX];
    char country[ODZ_COUNTRY_MAX];
    char market_type[ODZ_BF_TEXT_MAX];   /* WIN, PLACE, MATCH_ODDS, ... */
    char race_type[ODZ_BF_TEXT_MAX];     /* raceType: "Flat", "Harness", "Hurdle", ... or "" */
    char timezone[ODZ_BF_TEXT_MAX];
    char name[ODZ_NAME_MAX];             /* market name ("OR 280m") when given */
    char event_name[ODZ_NAME_MAX];
    char event_id[ODZ_BF_ID_MAX];
    int event_type_id;                   /* 7 horse racing, 4339 greyhounds */
    int n_winners;
    int64_t version;
    /* from market changes */
    int64_t tv;                          /* traded volume, cents */
    int64_t pt;                          /* publish time (epoch ms) of its last change */
    bool changed;                        /* set by every applied change; the reader clears */
    odz_bf_runner *runners;
    size_t n_runners, cap_runners;
} odz_bf_market;

/**
 * Markets by id, as the stream's images and deltas made them. Zero-initialise, optionally set
 * max_markets (0: ODZ_BF_MAX_MARKETS), apply messages with odz_bf_apply, read the markets
 * (borrowed; valid until the next apply), free with odz_bf_cache_free.
 */
typedef struct {
    odz_bf_market **markets;
    size_t n_markets, cap_markets;
    size_t max_markets;
    odz_rowix ix;                        /* markets by id */
    char initial_clk[ODZ_BF_CLK_MAX];    /* to resubscribe after a reconnect */
    char clk[ODZ_BF_CLK_MAX];
    int64_t heartbeat_ms, conflate_ms;
    int64_t pt;                          /* publish time of the last mcm, epoch ms */
    odz_json_arena *arena;               /* odz_bf_apply's parsed messages (made on first use) */
} odz_bf_cache;

typedef enum {
    ODZ_BF_OP_CONNECTION = 0,
    ODZ_BF_OP_STATUS,
    ODZ_BF_OP_MCM,
    ODZ_BF_OP_OTHER,                     /* e.g. ocm: valid, not ours; nothing applied */
} odz_bf_op;

typedef enum {
    ODZ_BF_CT_UPDATE = 0,                /* ct absent: a delta */
    ODZ_BF_CT_SUB_IMAGE,
    ODZ_BF_CT_RESUB_DELTA,
    ODZ_BF_CT_HEARTBEAT,
} odz_bf_change_type;

/* What one message said, besides what it did to the cache. */
typedef struct {
    odz_bf_op op;
    int64_t id;                          /* request id echoed, 0 when absent */
    char connection_id[ODZ_BF_TEXT_MAX];
    /* status */
    bool failure;                        /* statusCode FAILURE */
    bool connection_closed;
    char error_code[ODZ_BF_TEXT_MAX];
    char error_message[256];
    /* mcm */
    odz_bf_change_type ct;
    int64_t pt;                          /* epoch ms, 0 absent */
    int stream_status;                   /* 503: the exchange's data is late; 0 up to date */
    size_t n_market_changes;
} odz_bf_msg;

/** Free every market; the cache is then empty and reusable (max_markets kept). */
void odz_bf_cache_free(odz_bf_cache *c);

/**
 * Parse one message (`len` bytes, not NUL-terminated, at most ODZ_BF_MSG_MAX) and apply it:
 * an mcm's market changes (a SUB_IMAGE replaces the cache, `img` replaces a market or a
 * runner, ladders are updated by position or price, a size of 0 removes a level, a
 * definition replaces the market's definition), and its clk/initialClk/heartbeatMs/
 * conflateMs/pt. `out` (may be NULL) receives what the message said. Returns 0, or
 * ODZ_EINVAL (malformed, wrong types, out of range), ODZ_EFULL (a limit) or ODZ_ENOMEM with
 * words in err; then the cache is exactly as it was.
 */
int odz_bf_apply(odz_bf_cache *c, const char *msg, size_t len, odz_bf_msg *out, char *err,
                 size_t errlen);
/** odz_bf_apply in two steps, for a reader that looks at a message (its pt) before applying
 * it: the parse into arena `a` (the size limit, JSON with no duplicate keys; NULL with words
 * in err; the message is the arena's until its next parse), then the same rules on the parsed
 * message (borrowed). */
const json_t *odz_bf_parse(odz_json_arena *a, const char *msg, size_t len, char *err,
                           size_t errlen);
int odz_bf_apply_parsed(odz_bf_cache *c, const json_t *j, odz_bf_msg *out, char *err,
                        size_t errlen);

/** The market with id `id`, NULL if none. Borrowed. */
odz_bf_market *odz_bf_find_market(const odz_bf_cache *c, const char *id);
/** The runner with selection id `id` of market m, NULL if none. Borrowed. */
const odz_bf_runner *odz_bf_find_runner(const odz_bf_market *m, int64_t id);

/* Names as the protocol writes them. */
const char *odz_bf_market_status_name(odz_bf_market_status s);
const char *odz_bf_runner_status_name(odz_bf_runner_status s);

/** A runner's book in our units: the best ODZ_EXCHANGE_DEPTH back and lay offers (from the
 * best-offers positions, else the display positions, else the full ladders), last traded
 * price, traded volume and starting price. */
void odz_bf_runner_book(const odz_bf_runner *r, odz_exchange_book *out);

#endif

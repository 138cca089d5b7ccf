/* The simulated world's Betfair exchange: its markets (one WIN and one PLACE per race, priced
 * from the world's true prices), the stream of their changes numbered by clk with a bounded
 * history for resuming, and a Stream API server (CRLF-delimited JSON over plain TCP). */
#ifndef ODZ_FEED_EXCHANGE_H
#define ODZ_FEED_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/feed.h"

#define ODZ_FX_MAX_MARKETS 1800      /* markets listed at once (2 a race) */
#define ODZ_FX_LEVELS 3              /* depth of the best-offers ladders we serve */
#define ODZ_FX_AHEAD_S (24 * 3600)   /* a race's markets are listed this long before its start */
#define ODZ_FX_LINGER_S 600          /* and kept this long after they closed */
#define ODZ_FX_REQUEST_MAX 16384     /* bytes of one client message */
#define ODZ_FX_FILTER_MAX 64         /* values of one filter list */
#define ODZ_FX_CLK_MAX 64

/* ---- growable byte buffer with a hard cap ---- */

typedef struct {
    char *p;
    size_t len, cap, max; /* max: 0 = no cap beyond memory */
} odz_fx_buf;

/** Append n bytes; ODZ_EFULL past max (nothing appended), ODZ_ENOMEM. */
int odz_fx_buf_add(odz_fx_buf *b, const char *s, size_t n);
void odz_fx_buf_free(odz_fx_buf *b);

/* ---- what a client subscribed to ---- */

typedef struct {
    bool horses, greyhounds;       /* eventTypeIds 7 / 4339 (no list: both) */
    bool any_event_type;
    char countries[ODZ_FX_FILTER_MAX][3];
    size_t n_countries;            /* 0: every country */
    bool win, place;               /* marketTypes (no list: both) */
    char market_ids[ODZ_FX_FILTER_MAX][24];
    size_t n_market_ids;           /* 0: every market */
} odz_fx_filter;

typedef enum {
    ODZ_FX_REQ_AUTHENTICATION = 0,
    ODZ_FX_REQ_HEARTBEAT,
    ODZ_FX_REQ_MARKET_SUBSCRIPTION,
    ODZ_FX_REQ_ORDER_SUBSCRIPTION, /* valid, but this exchange has no orders */
} odz_fx_op;

typedef struct {
    odz_fx_op op;
    int64_t id;                    /* echoed in the answers; 0 when absent */
    /* authentication (presence is checked by the server: missing -> NO_APP_KEY/NO_SESSION) */
    bool has_app_key, has_session;
    /* marketSubscription */
    odz_fx_filter filter;
    int heartbeat_ms;              /* 500..30000; 5000 when absent */
    int conflate_ms;               /* 0..120000 */
    int ladder_levels;             /* 1..10; 3 when absent (we serve at most ODZ_FX_LEVELS) */
    bool segmentation;
    char initial_clk[ODZ_FX_CLK_MAX], clk[ODZ_FX_CLK_MAX]; /* "" when absent */
} odz_fx_request;

/** Parse one client message (`len` bytes without the CRLF, at most ODZ_FX_REQUEST_MAX): an
 * authentication, heartbeat or marketSubscription (orderSubscription is recognised). Unknown
 * keys are ignored, as the exchange's JSON does; known keys of the wrong type or out of range
 * are refused. 0, or ODZ_EINVAL with words in err (and the Betfair error code,
 * INVALID_INPUT or INVALID_REQUEST, in code[32] when not NULL). */
int odz_fx_request_parse(const char *msg, size_t len, odz_fx_request *out, char *code, char *err,
                         size_t errlen);

/* ---- the exchange: markets and their changes ---- */

typedef struct odz_fx odz_fx;

typedef struct {
    size_t history;                /* batches of changes kept for resuming; 0: 900 */
    size_t history_bytes;          /* and at most this many bytes of them; 0: 64 MiB */
} odz_fx_config;

/** An exchange over world f (borrowed for its life). NULL on out-of-memory. */
odz_fx *odz_fx_new(odz_feed *f, const odz_fx_config *cfg);
void odz_fx_free(odz_fx *x);

/** Bring the markets to simulated time `now` (epoch s): markets listed, delisted and changed.
 * The changes become one batch with the next clk (nothing when nothing changed). Returns the
 * number of markets changed, or ODZ_ENOMEM (the markets then are as before). Not thread-safe:
 * one thread ticks and reads. */
int odz_fx_tick(odz_fx *x, int64_t now);

/** The current clk (0 before the first batch), the oldest clk still resumable, and the
 * token that names this exchange's clocks (initialClk). */
uint64_t odz_fx_clk(const odz_fx *x);
uint64_t odz_fx_oldest(const odz_fx *x);
const char *odz_fx_initial_clk(const odz_fx *x);
size_t odz_fx_n_markets(const odz_fx *x);

/** Decide how a (re)subscription starts: 1 when initial_clk/clk name a point this exchange
 * can resume from (then *from = that clk), 0 when a fresh image is needed. */
int odz_fx_resumable(const odz_fx *x, const char *initial_clk, const char *clk, uint64_t *from);

/** Append to out the `mc` entries (comma-separated JSON objects) of the image of the markets
 * `flt` selects, starting at market *cursor, until out holds at least `chunk` bytes more or
 * the markets end; *cursor moves on (== odz_fx_n_markets when done). Returns the number of
 * markets written, or ODZ_EFULL / ODZ_ENOMEM. */
int odz_fx_image(odz_fx *x, const odz_fx_filter *flt, size_t *cursor, size_t chunk,
                 odz_fx_buf *out);

/** Append the `mc` entries of batch `clk` that `flt` selects (comma-separated); *pt gets its
 * publish time (epoch ms). Returns the count of entries, ODZ_ENOTFOUND when the batch is no
 * longer kept, ODZ_EFULL / ODZ_ENOMEM. */
int odz_fx_batch(odz_fx *x, uint64_t clk, const odz_fx_filter *flt, int64_t *pt,
                 odz_fx_buf *out);

/* ---- the server ---- */

typedef struct {
    const char *host;              /* "127.0.0.1" */
    int port;                      /* 0: any free port */
    int max_clients;               /* 0: 32 */
    size_t max_output;             /* bytes queued to one client before it is dropped; 0: 32 MiB */
    int tick_ms;                   /* real ms between ticks of the world; 0: 1000 */
    int drop_after;                /* fault: cut the connection mid-message after this many
                                      messages (0: never) */
    odz_fx_config fx;
} odz_fx_server_config;

typedef struct odz_fx_server odz_fx_server;

/** Listen and start the server's thread (one poll loop for every client). Borrows f.
 * NULL with words in err. */
odz_fx_server *odz_fx_server_start(odz_feed *f, const odz_fx_server_config *cfg, char *err,
                                   size_t errlen);
int odz_fx_server_port(const odz_fx_server *s);
/** Stop (closing every client) and free. NULL is a no-op. */
void odz_fx_server_stop(odz_fx_server *s);

#endif

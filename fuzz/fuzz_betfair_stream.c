/* libFuzzer target: Betfair stream messages into one market cache, one message a line (so
 * deltas land on images), then the cache as domain rows; the bytes as a conversation (the
 * session's framing and handshake) and as a catalogue. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "betfair/domain.h"
#include "betfair/session.h"
#include "betfair/stream.h"
#include "obs/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cache(const odz_bf_cache *c)
{
    if (c->n_markets > ODZ_BF_MAX_MARKETS)
        __builtin_trap();
    for (size_t i = 0; i < c->n_markets; i++) {
        const odz_bf_market *m = c->markets[i];
        if (m->n_runners > ODZ_BF_MAX_RUNNERS || !m->id[0])
            __builtin_trap();
        for (size_t j = 0; j < m->n_runners; j++) {
            const odz_bf_runner *r = &m->runners[j];
            const odz_bf_ladder *ls[3] = {&r->atb, &r->atl, &r->trd};
            for (int k = 0; k < 3; k++) {
                if (ls[k]->n > ODZ_BF_MAX_PRICES)
                    __builtin_trap();
                for (size_t x = 0; x < ls[k]->n; x++)
                    if (ls[k]->v[x].size <= 0 || ls[k]->v[x].odds < 100 ||
                        (x && ls[k]->v[x - 1].odds >= ls[k]->v[x].odds))
                        __builtin_trap(); /* sorted, no duplicates, no empty levels */
            }
            odz_exchange_book b;
            odz_bf_runner_book(r, &b);
            for (int d = 0; d < ODZ_EXCHANGE_DEPTH; d++)
                if ((b.back[d].odds && b.back[d].odds < 100) || (b.lay[d].odds && b.lay[d].odds < 100))
                    __builtin_trap();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet++)
        odz_log_init("fuzz", ODZ_LOG_ERROR, 1, stderr); /* the session's warnings are expected */
    const char *p = (const char *)data, *end = p + size;
    char err[ODZ_ERRLEN];
    odz_bf_cache c = {.max_markets = 50};
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        odz_bf_msg m;
        odz_bf_apply(&c, p, n, &m, err, sizeof err);
        check_cache(&c);
        p += n + (nl != NULL);
    }
    /* the same bytes as a conversation, cut in two at an arbitrary point */
    odz_bf_session sess = {.app_key = "k", .session = "s"};
    odz_bf_session_reset(&sess, 0);
    size_t cut = size ? data[0] % size : 0;
    odz_bf_session_feed(&sess, (const char *)data, cut, 1);
    odz_bf_session_feed(&sess, (const char *)data + cut, size - cut, 2);
    if (sess.out_len > sizeof sess.out || (sess.state == ODZ_BF_FAILED && !sess.reason[0]))
        __builtin_trap();
    check_cache(&sess.cache);
    odz_bf_session_free(&sess);

    odz_bf_catalogues cats = {0};
    odz_bf_catalogue_parse((const char *)data, size, &cats, err, sizeof err);
    odz_scrape s = {0};
    if (odz_bf_to_scrape(&c, &cats, "Europe/London", false, &s, err, sizeof err) == 0) {
        odz_batch b;
        odz_scrape_batch(&s, &b);
        for (size_t i = 0; i < b.n_races; i++)
            if (b.races[i].race.number < 1 || b.races[i].race.number > 99)
                __builtin_trap();
        for (size_t i = 0; i < b.n_selections; i++)
            if (!odz_scrape_find_race(&s, b.selections[i].race_key) || !b.selections[i].sel.name[0])
                __builtin_trap();
        for (size_t i = 0; i < b.n_prices; i++)
            if (b.prices[i].price.odds < 100)
                __builtin_trap();
    }
    odz_scrape_free(&s);
    odz_bf_catalogues_free(&cats);
    odz_bf_cache_free(&c);
    return 0;
}

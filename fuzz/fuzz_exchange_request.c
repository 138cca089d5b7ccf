/* libFuzzer target: the simulated exchange's parser of client messages (src/feed/
 * exchange_request.c) on any bytes. A message is accepted with an op and in-range settings,
 * or refused with a Betfair error code and words; lists stay within their bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "feed/exchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    odz_fx_request r;
    char code[32], err[160];
    int rc = odz_fx_request_parse((const char *)data, size, &r, code, err, sizeof err);
    if (rc != 0 && rc != ODZ_EINVAL)
        __builtin_trap();
    if (rc) {
        if (!code[0] || strnlen(err, sizeof err) >= sizeof err)
            __builtin_trap();
        return 0;
    }
    if (r.op > ODZ_FX_REQ_ORDER_SUBSCRIPTION || r.id < 0 || r.id > INT32_MAX)
        __builtin_trap();
    if (r.op == ODZ_FX_REQ_MARKET_SUBSCRIPTION &&
        (r.heartbeat_ms < 500 || r.heartbeat_ms > 30000 || r.conflate_ms < 0 ||
         r.conflate_ms > 120000 || r.ladder_levels < 1 || r.ladder_levels > 10 ||
         r.filter.n_countries > ODZ_FX_FILTER_MAX || r.filter.n_market_ids > ODZ_FX_FILTER_MAX ||
         strnlen(r.clk, sizeof r.clk) >= sizeof r.clk ||
         strnlen(r.initial_clk, sizeof r.initial_clk) >= sizeof r.initial_clk))
        __builtin_trap();
    for (size_t i = 0; i < r.filter.n_countries; i++)
        if (strlen(r.filter.countries[i]) != 2)
            __builtin_trap();
    return 0;
}

/* libFuzzer target: the odds matcher's query (calc/matcher.h) on any bytes, and a matcher row
 * computed for whatever query parses. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "calc/matcher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[8192];
    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char err[256];
    odz_matcher_query q;
    if (odz_matcher_query_parse(s, &q, err, sizeof err)) {
        if (!err[0])
            __builtin_trap(); /* a refusal always says why */
        return 0;
    }
    if (q.stake <= 0 || q.stake > ODZ_CALC_STAKE_MAX || q.commission < 0 ||
        q.commission > ODZ_CALC_COMMISSION_MAX || q.limit < 1 || q.limit > ODZ_MATCHER_LIMIT_MAX ||
        q.n_bookmakers > ODZ_MATCHER_LIST_MAX || q.n_races > ODZ_MATCHER_LIST_MAX ||
        q.minutes > ODZ_MATCHER_MINUTES_MAX ||
        (q.min_odds && q.max_odds && q.min_odds > q.max_odds))
        __builtin_trap();
    for (size_t i = 0; i < q.n_bookmakers; i++)
        if (!q.bookmakers[i][0] || strlen(q.bookmakers[i]) >= ODZ_MATCHER_NAME_MAX)
            __builtin_trap();
    int back = q.min_odds ? q.min_odds : 300, lay = q.max_odds ? q.max_odds : 310;
    odz_match_in in = {back, lay, lay, 8, q.stake, q.commission, q.type};
    odz_match_out o;
    if (odz_matcher_row(&in, &o, err, sizeof err))
        __builtin_trap(); /* every value the query lets through is one the calculator takes */
    (void)odz_matcher_query_bookmaker(&q, "neds");
    (void)odz_matcher_query_race(&q, 1);
    return 0;
}

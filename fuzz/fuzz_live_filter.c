/* libFuzzer target: the odds matcher's live filter (src/live/matcher_filter.c) on any bytes:
 * as a client's filter (the "filter" object of a subscription) and as an odds.matcher event
 * (decoded, matched against a filter, rendered with the rows that pass). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "live/live_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const odz_live_filter *f = &live_matcher_filter;
    char err[256];
    void *state = NULL;
    json_error_t e;
    json_t *spec = json_loadb((const char *)data, size, 0, &e);
    if (json_is_object(spec) && f->parse(spec, &state, err, sizeof err) != 0 && state)
        __builtin_trap(); /* nothing kept on failure */
    json_decref(spec);
    void *other = NULL;
    json_t *fixed = json_pack("{s:s,s:f,s:f,s:i}", "bookmaker", "neds,tab", "min_odds", 2.0,
                              "min_rating", 90.0, "minutes", 60);
    if (f->parse(fixed, &other, err, sizeof err) != 0 || !other)
        __builtin_trap();
    json_decref(fixed);
    void *ev = f->decode((const char *)data, size);
    if (ev) {
        const void *states[2] = {state ? state : other, other};
        for (int i = 0; i < 2; i++) {
            uint64_t mask = f->match(states[i], ev);
            char *out = NULL;
            size_t len = 0;
            if (f->render(ev, mask, &out, &len) == 0 && out) {
                json_t *o = json_loadb(out, len, 0, &e);
                if (!json_is_array(json_object_get(o, "rows")))
                    __builtin_trap(); /* what is rendered is the event with fewer rows */
                json_decref(o);
            }
            free(out);
        }
        f->free_decoded(ev);
    }
    f->free_state(state);
    f->free_state(other);
    return 0;
}

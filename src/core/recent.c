/* A ring of the ids seen last; see core/recent.h. */
#include "core/recent.h"

bool odz_recent_has(const int64_t *ring, size_t cap, int64_t id)
{
    for (size_t i = 0; i < cap; i++)
        if (ring[i] == id)
            return true;
    return false;
}

void odz_recent_note(int64_t *ring, size_t cap, size_t *at, int64_t id)
{
    if (odz_recent_has(ring, cap, id))
        return;
    ring[*at % cap] = id;
    *at = (*at + 1) % cap;
}

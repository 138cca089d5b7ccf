/* The racing service's change events (events.c). Internal to src/racing. */
#ifndef ODZ_RACING_EVENTS_H
#define ODZ_RACING_EVENTS_H

#include "bus/bus.h"
#include "racing/matcher.h"
#include "store/store.h"

/** Publish what `ch` says changed (keyed events: a newer state replaces an older one still
 * queued), reading each changed race back from the store, then hand `ch` to the matcher.
 * Called after the write committed, by one thread at a time (the service's apply lock), so
 * events leave in commit order. Failures to read are logged; nothing is returned. */
void odz_racing__publish(odz_bus *bus, odz_store *store, odz_matcher *matcher,
                         const odz_changes *ch, const char *corr);

#endif

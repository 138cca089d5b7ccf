/* A timer wheel for work a periodic tick does per item (a live client's pings and timeouts):
 * each item sits in the slot of the time it is next due, so a tick looks only at the items due
 * by then, not at every item. Slots are `slot_ms` wide (the tick's period) and there are
 * ODZ_WHEEL_SLOTS of them; an item due more than a lap ahead is looked at once a lap and put
 * back. Intrusive (the link lives in the item) and single-threaded; no allocation. */
#ifndef ODZ_CORE_WHEEL_H
#define ODZ_CORE_WHEEL_H

#include <stdint.h>

#define ODZ_WHEEL_SLOTS 64 /* a power of two */

typedef struct odz_wheel_link {
    struct odz_wheel_link *prev, *next; /* NULL while in no list */
    int64_t due;                        /* ms */
} odz_wheel_link;

typedef struct {
    odz_wheel_link slot[ODZ_WHEEL_SLOTS];
    int64_t done; /* the last slot number (time / slot_ms) taken */
    int64_t slot_ms;
} odz_wheel;

/** An empty wheel whose first slot to take is the one of `now_ms`. */
void odz_wheel_init(odz_wheel *w, int64_t now_ms, int64_t slot_ms);

/** An empty list for odz_wheel_take; a zeroed link is an unlinked one. */
void odz_wheel_list_init(odz_wheel_link *list);

/** (Re)schedules `e` at `due_ms`: taken by the first odz_wheel_take at or after it (never by
 *  a take that has already passed its slot: then by the next one). */
void odz_wheel_put(odz_wheel *w, odz_wheel_link *e, int64_t due_ms);

/** Moves `e` to `due_ms` if it is scheduled later than that (a deadline that came closer);
 *  an unscheduled `e` stays unscheduled. */
void odz_wheel_sooner(odz_wheel *w, odz_wheel_link *e, int64_t due_ms);

/** Unschedules `e` (from the wheel or a taken list); nothing if it is in neither. */
void odz_wheel_remove(odz_wheel_link *e);

/** Moves the items of every slot up to `now_ms` not taken yet onto `list` (initialised with
 *  odz_wheel_list_init); then odz_wheel_pop hands them out. */
void odz_wheel_take(odz_wheel *w, int64_t now_ms, odz_wheel_link *list);

/** The next item of `list` due by `now_ms`, unlinked (the caller schedules it again or not);
 *  items of the list not due yet (later in the slot, or a lap ahead) go back on the wheel.
 *  NULL when the list is empty. Items may be removed from the list between calls. */
odz_wheel_link *odz_wheel_pop(odz_wheel *w, odz_wheel_link *list, int64_t now_ms);

#endif

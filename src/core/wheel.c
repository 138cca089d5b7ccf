/* Timer wheel; see wheel.h. Each slot is a circular list with its anchor in the wheel. */
#include "core/wheel.h"

#include <stddef.h>

static void list_add(odz_wheel_link *list, odz_wheel_link *e)
{
    e->prev = list->prev;
    e->next = list;
    list->prev->next = e;
    list->prev = e;
}

void odz_wheel_list_init(odz_wheel_link *list)
{
    list->prev = list->next = list;
    list->due = 0;
}

void odz_wheel_init(odz_wheel *w, int64_t now_ms, int64_t slot_ms)
{
    w->slot_ms = slot_ms > 0 ? slot_ms : 1;
    for (int i = 0; i < ODZ_WHEEL_SLOTS; i++)
        odz_wheel_list_init(&w->slot[i]);
    w->done = now_ms / w->slot_ms - 1;
}

void odz_wheel_remove(odz_wheel_link *e)
{
    if (!e->next)
        return;
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->prev = e->next = NULL;
}

void odz_wheel_put(odz_wheel *w, odz_wheel_link *e, int64_t due_ms)
{
    odz_wheel_remove(e);
    e->due = due_ms;
    int64_t s = due_ms / w->slot_ms;
    if (s <= w->done)
        s = w->done + 1; /* that slot was taken already: the next take */
    list_add(&w->slot[s & (ODZ_WHEEL_SLOTS - 1)], e);
}

void odz_wheel_sooner(odz_wheel *w, odz_wheel_link *e, int64_t due_ms)
{
    if (e->next && due_ms < e->due)
        odz_wheel_put(w, e, due_ms);
}

static void list_splice(odz_wheel_link *to, odz_wheel_link *from)
{
    if (from->next == from)
        return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    from->next = from->prev = from;
}

void odz_wheel_take(odz_wheel *w, int64_t now_ms, odz_wheel_link *list)
{
    int64_t last = now_ms / w->slot_ms;
    int64_t first = w->done + 1;
    if (last - first >= ODZ_WHEEL_SLOTS)
        first = last - ODZ_WHEEL_SLOTS + 1; /* a late tick: every slot once */
    for (int64_t s = first; s <= last; s++)
        list_splice(list, &w->slot[s & (ODZ_WHEEL_SLOTS - 1)]);
    if (last > w->done)
        w->done = last;
}

odz_wheel_link *odz_wheel_pop(odz_wheel *w, odz_wheel_link *list, int64_t now_ms)
{
    while (list->next != list) {
        odz_wheel_link *e = list->next;
        odz_wheel_remove(e);
        if (e->due <= now_ms)
            return e;
        odz_wheel_put(w, e, e->due);
    }
    return NULL;
}

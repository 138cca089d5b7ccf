/* The per-price change events as JSON text (event_text.c): race.<id>.price and
 * race.<id>.exchange, written straight into a buffer instead of a jansson tree each, byte for
 * byte what the tree gave (tests/racing/test_event_text.c compares them). Internal to
 * src/racing. */
#ifndef ODZ_RACING_EVENT_TEXT_H
#define ODZ_RACING_EVENT_TEXT_H

#include <stdbool.h>

#include "core/batch.h"
#include "core/grow.h"

/** Appends race.<id>.price's data: {"race_id","selection_id","number","market","provider",
 *  "price","previous","ts"} and, on an exchange market, "size" (null when unknown). false when
 *  the event cannot be written (a provider that is not UTF-8; out of memory: t->oom); then t
 *  holds an incomplete text the caller drops. */
bool odz_price_event_text(odz_text *t, const odz_price_change *pc);

/** Appends race.<id>.exchange's data: {"race_id","selection_id","number","provider","ts"} and
 *  the book as odz_exchange_book_to_json shows it. false as for odz_price_event_text. */
bool odz_book_event_text(odz_text *t, const odz_exbook_change *bc);

#endif

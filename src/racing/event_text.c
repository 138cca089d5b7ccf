/* race.<id>.price and race.<id>.exchange as JSON text; see racing/event_text.h. Field order
 * and number text are those of the jansson encoding they replace (insertion order, reals with
 * 10 significant digits and ".0" when whole). */
#include "racing/event_text.h"
#include "core/json_text.h"

static bool f_str(odz_text *t, const char *key, const char *s)
{
    odz_text_str(t, key);
    return odz_text_json_string(t, s);
}

/* {"race_id":..,"selection_id":..,"number":.. of either event */
static void head(odz_text *t, int64_t race_id, int64_t selection_id, int number)
{
    odz_text_field(t, odz_text_int, "{\"race_id\":", race_id);
    odz_text_field(t, odz_text_int, ",\"selection_id\":", selection_id);
    odz_text_field(t, odz_text_int, ",\"number\":", number);
}

bool odz_price_event_text(odz_text *t, const odz_price_change *pc)
{
    const odz_price *p = &pc->price;
    head(t, pc->race_id, p->selection_id, pc->number);
    if (!f_str(t, ",\"market\":", odz_market_name(p->market)) ||
        !f_str(t, ",\"provider\":", p->provider))
        return false;
    odz_text_field(t, odz_text_json_odds, ",\"price\":", p->odds);
    odz_text_field(t, odz_text_json_odds, ",\"previous\":", pc->previous);
    odz_text_field(t, odz_text_int, ",\"ts\":", p->ts);
    if (p->market == ODZ_EXCHANGE_BACK || p->market == ODZ_EXCHANGE_LAY) {
        if (pc->size >= 0)
            odz_text_field(t, odz_text_json_units, ",\"size\":", pc->size);
        else
            odz_text_str(t, ",\"size\":null");
    }
    odz_text_str(t, "}");
    return !t->oom;
}

/* [{"price":..,"size":..},...]: the levels with an offer, best first */
static void offers_text(odz_text *t, const char *key, const odz_exchange_offer *o)
{
    odz_text_str(t, key);
    odz_text_str(t, "[");
    for (int i = 0; i < ODZ_EXCHANGE_DEPTH && o[i].odds > 0; i++) {
        odz_text_field(t, odz_text_json_odds, i ? ",{\"price\":" : "{\"price\":", o[i].odds);
        odz_text_field(t, odz_text_json_units, ",\"size\":", o[i].size);
        odz_text_str(t, "}");
    }
    odz_text_str(t, "]");
}

bool odz_book_event_text(odz_text *t, const odz_exbook_change *bc)
{
    const odz_exbook *b = &bc->book;
    head(t, bc->race_id, b->selection_id, bc->number);
    if (!f_str(t, ",\"provider\":", b->provider))
        return false;
    odz_text_field(t, odz_text_int, ",\"ts\":", b->ts);
    offers_text(t, ",\"back\":", b->book.back);
    offers_text(t, ",\"lay\":", b->book.lay);
    odz_text_field(t, odz_text_json_odds, ",\"last_traded\":", b->book.last_traded);
    odz_text_field(t, odz_text_json_units, ",\"traded_volume\":", b->book.traded_volume);
    odz_text_field(t, odz_text_json_odds, ",\"starting_price\":", b->book.starting_price);
    odz_text_str(t, "}");
    return !t->oom;
}

/* race.<id>.price and race.<id>.exchange as JSON text; see racing/event_text.h. Field order
 * and number text are those of the jansson encoding they replace (insertion order, reals with
 * 10 significant digits and ".0" when whole). */
#include "racing/event_text.h"
#include "core/json_text.h"

/* ,"key":value pairs: `key` is the literal text before the value (",\"ts\":") */
static void f_int(odz_text *t, const char *key, int64_t v)
{
    odz_text_str(t, key);
    odz_text_fixed(t, v, 0);
}

static void f_odds(odz_text *t, const char *key, int odds)
{
    odz_text_str(t, key);
    odz_text_json_odds(t, odds);
}

static void f_money(odz_text *t, const char *key, int64_t cents)
{
    odz_text_str(t, key);
    odz_text_json_units(t, cents);
}

static bool f_str(odz_text *t, const char *key, const char *s)
{
    odz_text_str(t, key);
    return odz_text_json_string(t, s);
}

bool odz_price_event_text(odz_text *t, const odz_price_change *pc)
{
    const odz_price *p = &pc->price;
    f_int(t, "{\"race_id\":", pc->race_id);
    f_int(t, ",\"selection_id\":", p->selection_id);
    f_int(t, ",\"number\":", pc->number);
    if (!f_str(t, ",\"market\":", odz_market_name(p->market)) ||
        !f_str(t, ",\"provider\":", p->provider))
        return false;
    f_odds(t, ",\"price\":", p->odds);
    f_odds(t, ",\"previous\":", pc->previous);
    f_int(t, ",\"ts\":", p->ts);
    if (p->market == ODZ_EXCHANGE_BACK || p->market == ODZ_EXCHANGE_LAY) {
        if (pc->size >= 0)
            f_money(t, ",\"size\":", pc->size);
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
        f_odds(t, i ? ",{\"price\":" : "{\"price\":", o[i].odds);
        f_money(t, ",\"size\":", o[i].size);
        odz_text_str(t, "}");
    }
    odz_text_str(t, "]");
}

bool odz_book_event_text(odz_text *t, const odz_exbook_change *bc)
{
    const odz_exbook *b = &bc->book;
    f_int(t, "{\"race_id\":", bc->race_id);
    f_int(t, ",\"selection_id\":", b->selection_id);
    f_int(t, ",\"number\":", bc->number);
    if (!f_str(t, ",\"provider\":", b->provider))
        return false;
    f_int(t, ",\"ts\":", b->ts);
    offers_text(t, ",\"back\":", b->book.back);
    offers_text(t, ",\"lay\":", b->book.lay);
    f_odds(t, ",\"last_traded\":", b->book.last_traded);
    f_money(t, ",\"traded_volume\":", b->book.traded_volume);
    f_odds(t, ",\"starting_price\":", b->book.starting_price);
    odz_text_str(t, "}");
    return !t->oom;
}

/* The simulated world in the Entain affiliates API format ({header, params, data}), field for
 * field as the recorded responses in tests/fixtures/entain/. */
#include "feed/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "core/tz.h"

#define SET(o, k, v) json_object_set_new((o), (k), (v))

static const char *status_name(odz_race_status s)
{
    switch (s) {
    case ODZ_OPEN:
        return "Open";
    case ODZ_CLOSED:
        return "Closed";
    case ODZ_INTERIM:
        return "Interim";
    case ODZ_FINAL:
        return "Final";
    default:
        return "Abandoned";
    }
}

static const char *category(int type)
{
    return type == ODZ_HARNESS ? "H" : type == ODZ_GREYHOUND ? "G" : "T";
}

static const char *category_name(int type)
{
    return type == ODZ_HARNESS     ? "Harness Horse Racing"
           : type == ODZ_GREYHOUND ? "Greyhound Racing"
                                   : "Thoroughbred Horse Racing";
}

static json_t *error_body(int *status, int code, const char *msg)
{
    *status = code;
    return json_pack("{s:s}", "error", msg);
}

static json_t *header(odz_feed *f, const char *title, const char *path, const char *query,
                      int64_t now)
{
    char url[ODZ_FW_QUERY_MAX + 300], gen[40];
    if (query && *query)
        snprintf(url, sizeof url, "%s?%s", path, query);
    else
        snprintf(url, sizeof url, "%s", path);
    int ns = (int)(odz_fw_hash3(f->seed, (uint64_t)now, 0x67656eULL) % 1000000000ULL);
    odz_fw_iso_ns(now, ns, gen);
    return json_pack("{s:s, s:s, s:s}", "title", title, "generated_time", gen, "url", url);
}

static void key_of(const odz_fw_meeting *m, int kind, int race, int runner, int extra,
                   odz_fw_key *k)
{
    memset(k, 0, sizeof *k);
    k->kind = kind;
    k->region = m->region;
    k->index = m->index;
    k->lday = m->lday;
    k->race = race;
    k->runner = runner;
    k->extra = extra;
}

static void meeting_id(odz_feed *f, const odz_fw_meeting *m, char out[37])
{
    odz_fw_key k;
    key_of(m, ODZ_FW_ID_MEETING, 0, 0, 0, &k);
    odz_fw_uuid(f, &k, out);
}

static void race_id(odz_feed *f, const odz_fw_meeting *m, int number, char out[37])
{
    odz_fw_key k;
    key_of(m, ODZ_FW_ID_RACE, number, 0, 0, &k);
    odz_fw_uuid(f, &k, out);
}

static void entrant_id(odz_feed *f, const odz_fw_meeting *m, int race, int runner, char out[37])
{
    odz_fw_key k;
    key_of(m, ODZ_FW_ID_ENTRANT, race, runner, 0, &k);
    odz_fw_uuid(f, &k, out);
}

static bool tote_region(const odz_fw_meeting *m)
{
    return m->region == ODZ_FW_AUS || m->region == ODZ_FW_NZ;
}

/* New Zealand clock time of t: TAB NZ's tote times are printed in it. */
static void nz_time(odz_feed *f, int64_t t, char date[11], char hms[9], bool *dst)
{
    int sec = 0;
    int32_t d = odz_fw_day_of(f, ODZ_FW_Z_AKL, t, &sec);
    if (date)
        odz_fw_day_str(d, date);
    snprintf(hms, 9, "%02u:%02u:%02u", ((unsigned)sec / 3600u) % 100u, ((unsigned)sec / 60u) % 60u,
             (unsigned)sec % 60u);
    if (dst) {
        int64_t s, e;
        odz_fw_day_bounds(f, ODZ_FW_Z_AKL, d, &s, &e);
        /* NZST is UTC+12: local midnight at 12:00 UTC of the previous day */
        *dst = ((int64_t)d * 86400 - s) > 12 * 3600;
    }
}

static json_t *meeting_json(odz_feed *f, const odz_fw_meeting *m, int64_t now)
{
    const odz_fw_region *rg = &odz_fw_regions[m->region];
    char id[37], date[32], ld[11];
    meeting_id(f, m, id);
    odz_fw_day_str(m->race_day, ld);
    snprintf(date, sizeof date, "%sT00:00:00Z", ld);
    json_t *o = json_object();
    SET(o, "meeting", json_string(id));
    SET(o, "name", json_string(m->track->name));
    SET(o, "date", json_string(date));
    SET(o, "track_condition", json_string(m->condition));
    SET(o, "category", json_string(category(m->type)));
    SET(o, "category_name", json_string(category_name(m->type)));
    SET(o, "country", json_string(rg->country));
    SET(o, "state", json_string(m->track->state));
    json_t *races = json_array();
    bool any_open = false;
    for (int i = 0; i < m->n_races; i++) {
        const odz_fw_race *rc = &m->races[i];
        char rid[37], st[21];
        race_id(f, m, rc->number, rid);
        odz_format_iso8601(rc->start, st);
        odz_race_status s = odz_fw_status(rc, now);
        any_open |= s == ODZ_OPEN;
        json_t *r = json_object();
        SET(r, "id", json_string(rid));
        SET(r, "race_number", json_integer(rc->number));
        SET(r, "name", json_string(rc->name));
        SET(r, "start_time", json_string(st));
        if (tote_region(m)) {
            char hms[9];
            nz_time(f, rc->start, NULL, hms, NULL);
            SET(r, "tote_start_time", json_string(hms));
        }
        SET(r, "track_condition", json_string(m->condition));
        SET(r, "distance", json_integer(rc->distance));
        SET(r, "weather", json_string(rc->weather));
        SET(r, "country", json_string(rg->country));
        SET(r, "state", json_string(m->track->state));
        SET(r, "status", json_string(status_name(s)));
        json_array_append_new(races, r);
    }
    SET(o, "races", races);
    if (tote_region(m)) {
        SET(o, "video_channels", json_pack("[s]", m->index % 2 ? "Trackside2" : "Trackside1"));
        if (m->n_races >= 8) {
            int n = m->n_races;
            SET(o, "quaddie", json_pack("[iiii]", n - 3, n - 2, n - 1, n));
            SET(o, "early_quaddie", json_pack("[iiii]", n - 7, n - 6, n - 5, n - 4));
        }
        char tld[11];
        odz_fw_day_str(m->lday, tld);
        SET(o, "tote_meeting_number", json_integer(m->tote_number));
        SET(o, "tote_raceday_date", json_string(tld));
        SET(o, "tote_status", json_string(any_open ? "Open" : "Closed"));
    }
    return o;
}

/* date_from / date_to: YYYY-MM-DD, "today" or "now". */
static int parse_date_param(odz_feed *f, const char *v, int64_t now, int32_t *day, char echo[32])
{
    if (strcmp(v, "today") == 0 || strcmp(v, "now") == 0) {
        *day = odz_fw_today(f, now);
        if (v[0] == 'n') {
            odz_format_iso8601(now - now % 60, echo);
        } else {
            char d[11];
            odz_fw_day_str(*day, d);
            snprintf(echo, 32, "%sT00:00:00Z", d);
        }
        return 0;
    }
    if (odz_fw_parse_day(v, day) != 0)
        return ODZ_EINVAL;
    snprintf(echo, 32, "%sT00:00:00Z", v);
    return 0;
}

static bool known_country(const char *c)
{
    static const char *list[] = {"AUS", "ARG", "CA",  "CHI", "DEU", "FR", "HK",
                                 "IND", "IRE", "JPN", "KOR", "NOR", "NZ", "PER",
                                 "SAF", "SGP", "SWE", "UK",  "URY", "USA"};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        if (strcmp(list[i], c) == 0)
            return true;
    return false;
}

/* Optional whole-number query parameter `key` in [lo, hi] into *out (left as is when absent);
 * ODZ_EINVAL when present and not such a number. */
static int query_long(const char *query, const char *key, long lo, long hi, long *out)
{
    char num[ODZ_FW_PARAM_MAX], *end;
    if (odz_fw_query_get(query, key, num, sizeof num) <= 0)
        return 0;
    long v = strtol(num, &end, 10);
    if (!num[0] || *end || v < lo || v > hi)
        return ODZ_EINVAL;
    *out = v;
    return 0;
}

json_t *odz_fw_entain_meetings(odz_feed *f, const char *path, const char *query, int64_t now,
                               int *status)
{
    char from_s[ODZ_FW_PARAM_MAX], to_s[ODZ_FW_PARAM_MAX], cat[ODZ_FW_PARAM_MAX],
        country[ODZ_FW_PARAM_MAX];
    char from_echo[32], to_echo[32];
    int32_t from, to;
    int rc = odz_fw_query_get(query, "date_from", from_s, sizeof from_s);
    if (rc <= 0 || !from_s[0])
        return error_body(status, 400, rc < 0 ? "date_from: too long" : "date_from: required");
    if (parse_date_param(f, from_s, now, &from, from_echo) != 0)
        return error_body(status, 400, "date_from: invalid date, want YYYY-MM-DD");
    rc = odz_fw_query_get(query, "date_to", to_s, sizeof to_s);
    if (rc < 0)
        return error_body(status, 400, "date_to: too long");
    if (rc == 0 || !to_s[0]) {
        to = from;
        snprintf(to_echo, sizeof to_echo, "%s", from_echo);
    } else if (parse_date_param(f, to_s, now, &to, to_echo) != 0) {
        return error_body(status, 400, "date_to: invalid date, want YYYY-MM-DD");
    }
    if (to < from)
        return error_body(status, 400, "date_to is before date_from");
    if (to - from > 31)
        return error_body(status, 400, "date range longer than 31 days");
    rc = odz_fw_query_get(query, "category", cat, sizeof cat);
    if (rc < 0 || (rc > 0 && cat[0] && strcmp(cat, "T") && strcmp(cat, "H") && strcmp(cat, "G")))
        return error_body(status, 400, "category: must be one of T,H,G");
    if (rc <= 0)
        cat[0] = 0;
    rc = odz_fw_query_get(query, "country", country, sizeof country);
    if (rc < 0 || (rc > 0 && country[0] && !known_country(country)))
        return error_body(status, 400, "country: unknown country");
    if (rc <= 0)
        country[0] = 0;
    long limit = 100, offset = 0;
    if (query_long(query, "limit", 1, 1000, &limit) != 0)
        return error_body(status, 400, "limit: want 1..1000");
    if (query_long(query, "offset", 0, 100000, &offset) != 0)
        return error_body(status, 400, "offset: want 0..100000");

    int32_t today = odz_fw_today(f, now);
    int32_t lo = from > today - 1 ? from : today - 1, hi = to < today + 2 ? to : today + 2;
    odz_fw_meeting *ms = malloc(sizeof *ms * ODZ_FW_MAX_DAY_MEETINGS);
    if (!ms)
        return NULL;
    json_t *list = json_array();
    long seen = 0;
    for (int32_t d = lo; d <= hi; d++) {
        int n = odz_fw_race_day(f, d, ms, ODZ_FW_MAX_DAY_MEETINGS);
        for (int i = 0; i < n; i++) {
            if (cat[0] && strcmp(category(ms[i].type), cat) != 0)
                continue;
            if (country[0] && strcmp(odz_fw_regions[ms[i].region].country, country) != 0)
                continue;
            if (seen++ < offset || (long)json_array_size(list) >= limit)
                continue;
            json_array_append_new(list, meeting_json(f, &ms[i], now));
        }
    }
    free(ms);
    json_t *root = json_object();
    SET(root, "header", header(f, "Race Meetings", path, query, now));
    json_t *params = json_object();
    SET(params, "enc", json_string("json"));
    SET(params, "ids", json_null());
    SET(params, "date_from", json_string(from_echo));
    SET(params, "date_to", json_string(to_echo));
    SET(params, "type", json_string(cat[0] ? cat : " "));
    SET(params, "country", json_string(country[0] ? country : " "));
    SET(params, "limit", json_integer(limit));
    SET(params, "offset", json_integer(offset));
    SET(params, "futures", json_false());
    SET(params, "meeting_numbers", json_null());
    SET(root, "params", params);
    SET(root, "data", json_pack("{s:o}", "meetings", list));
    *status = 200;
    return root;
}

json_t *odz_fw_entain_meeting(odz_feed *f, const char *id, const char *path, const char *query,
                              int64_t now, int *status)
{
    odz_fw_key k;
    odz_fw_meeting m;
    if (odz_fw_uuid_parse(f, id, &k) != 0 || k.kind != ODZ_FW_ID_MEETING)
        return error_body(status, 404, "meeting not found");
    k.race = 1; /* every meeting has a first race: reuse the race lookup and its window */
    int ri;
    if (odz_fw_lookup(f, &k, now, &m, &ri) != 0)
        return error_body(status, 404, "meeting not found");
    json_t *root = json_object();
    SET(root, "header", header(f, "Get meeting by id", path, query, now));
    SET(root, "params", json_pack("{s:s, s:s}", "enc", "json", "id", id));
    SET(root, "data", json_pack("{s:[o]}", "meetings", meeting_json(f, &m, now)));
    *status = 200;
    return root;
}

/* ---- race event ---- */

static json_t *stat_block(uint64_t h, int starts, int wins, int seconds, int thirds, bool dist)
{
    /* a share of the overall record, chosen by the hash */
    double share = odz_fw_u01(h);
    int s = (int)(starts * share);
    int w = wins < s ? (int)(wins * share) : 0, se = seconds < s ? (int)(seconds * share) : 0,
        th = thirds < s ? (int)(thirds * share) : 0;
    json_t *o = json_pack("{s:i, s:i, s:i, s:i, s:i}", "number_of_starts", s, "number_of_wins", w,
                          "number_of_placings", 0, "number_of_seconds", se, "number_of_thirds", th);
    if (dist)
        SET(o, "winning_distance", json_integer(0));
    return o;
}

static void fluc_json(const odz_fw_fluc *x, json_t *into, const char *key)
{
    char ts[40];
    odz_fw_iso_ns(x->ts, x->ns, ts);
    json_t *o = json_pack("{s:s}", "timestamp", ts);
    SET(o, "fluc", odz_fw_num(x->price));
    if (key)
        SET(into, key, o);
    else
        json_array_append_new(into, o);
}

static void weight_text(const odz_fw_meeting *m, const odz_fw_runner *u, char out[16])
{
    if (m->type == ODZ_HARNESS || u->weight10 <= 0)
        snprintf(out, 16, "0");
    else if (u->weight10 % 10 == 0)
        snprintf(out, 16, "%d", u->weight10 / 10);
    else
        snprintf(out, 16, "%d.%d", u->weight10 / 10, u->weight10 % 10);
}

static json_t *runner_json(odz_feed *f, const odz_fw_state *st, int i)
{
    const odz_fw_meeting *m = st->m;
    const odz_fw_race *rc = st->r;
    const odz_fw_runner *u = &st->run[i];
    char eid[37], slug[64], url[256], tmp[128];
    entrant_id(f, m, rc->number, u->number, eid);
    odz_fw_slug(u->name, slug, sizeof slug);
    for (char *c = slug; *c; c++)
        if (*c == '-')
            *c = '_';
    uint64_t tag = 1700000 + rc->seed % 300000;
    json_t *o = json_object();
    SET(o, "entrant_id", json_string(eid));
    SET(o, "market_name", json_string("Final Field"));
    SET(o, "primary_market", json_true());
    SET(o, "name", json_string(u->name));
    SET(o, "is_scratched", json_boolean(st->scr[i]));
    SET(o, "is_late_scratched", json_boolean(st->scr[i] && u->late));
    SET(o, "is_emergency", json_false());
    SET(o, "first_start_indicator", json_boolean(u->starts == 0));
    SET(o, "emergency_position", json_string(""));
    SET(o, "runner_change", json_object());
    int y, mo, d;
    odz_fw_civil_from_days(m->lday, &y, &mo, &d);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", (y - u->age) % 10000,
             (int)(1 + (u->seed >> 8) % 12), (int)(1 + (u->seed >> 16) % 28));
    SET(o, "foaling_date", json_string(tmp));
    SET(o, "gear", json_string(""));
    json_t *odds = json_object();
    SET(odds, "fixed_win", odz_fw_num(st->win[i]));
    SET(odds, "fixed_place", odz_fw_num(st->place[i]));
    SET(odds, "pool_win", odz_fw_num(st->tote_win[i]));
    SET(odds, "pool_place", odz_fw_num(st->tote_place[i]));
    SET(o, "odds", odds);
    SET(o, "scratch_time", json_integer(st->scr[i] ? u->scratch_time : 0));
    SET(o, "barrier", json_integer(u->barrier));
    SET(o, "runner_number", json_integer(u->number));
    snprintf(tmp, sizeof tmp, "%d", (int)(u->wins * 9000 + u->starts * 650 + u->seed % 997));
    SET(o, "prize_money", json_string(tmp));
    SET(o, "age", json_integer(u->age));
    snprintf(tmp, sizeof tmp, "%c", u->sex);
    SET(o, "sex", json_string(tmp));
    SET(o, "colour", json_string(u->colour));
    SET(o, "silk_colours", json_string(u->silks));
    snprintf(url, sizeof url,
             "https://cdn.prod.pricekinetics.com/silks/events/racing/betmakers-%llu/%s_64x64.png",
             (unsigned long long)tag, slug);
    SET(o, "silk_url_64x64", json_string(m->type == ODZ_GREYHOUND ? "" : url));
    snprintf(url, sizeof url,
             "https://cdn.prod.pricekinetics.com/silks/events/racing/betmakers-%llu/%s_128x128.png",
             (unsigned long long)tag, slug);
    SET(o, "silk_url_128x128", json_string(m->type == ODZ_GREYHOUND ? "" : url));
    snprintf(url, sizeof url, "https://silks.betmakers.com/%llu_1_%d_64x64.png",
             (unsigned long long)(rc->seed % 900000 + 100000), u->number);
    SET(o, "alt_silk_url_64x64", json_string(url));
    snprintf(url, sizeof url, "https://silks.betmakers.com/%llu_1_%d_128x128.png",
             (unsigned long long)(rc->seed % 900000 + 100000), u->number);
    SET(o, "alt_silk_url_128x128", json_string(url));
    SET(o, "form_comment", json_null());
    SET(o, "class_level", json_string(""));
    SET(o, "jockey", json_string(u->jockey));
    SET(o, "apprentice_indicator", json_string(u->claim10 ? "A" : ""));
    if (u->claim10)
        snprintf(tmp, sizeof tmp, u->claim10 % 10 ? "%d.%d" : "%d", u->claim10 / 10,
                 u->claim10 % 10);
    else
        tmp[0] = 0;
    SET(o, "allowance_weight", json_string(tmp));
    SET(o, "owners", json_string(m->type == ODZ_GREYHOUND ? "" : u->owners));
    SET(o, "country", json_string(odz_fw_regions[m->region].country));
    SET(o, "trainer_name", json_string(u->trainer));
    SET(o, "last_twenty_starts", json_string(u->form));
    SET(o, "sire", json_string(u->sire));
    SET(o, "dam", json_string(u->dam));
    snprintf(tmp, sizeof tmp, "%d  %s-%s", u->age, u->sire, u->dam);
    SET(o, "breeding", json_string(tmp));
    char w[16];
    weight_text(m, u, w);
    SET(o, "weight", json_pack("{s:s, s:s}", "allocated", w, "total", w));
    SET(o, "rating", json_string(""));
    snprintf(tmp, sizeof tmp, "%d", m->type == ODZ_THOROUGHBRED ? 50 + (int)(u->seed % 40) : 0);
    SET(o, "handicap_rating", json_string(m->type == ODZ_THOROUGHBRED ? tmp : ""));
    SET(o, "favourite", json_boolean(st->fav == i));
    SET(o, "mover", json_boolean(st->mover == i));
    static const char *labels[] = {"Leader", "On Pace", "Midfield", "Midfield", "Back Marker"};
    int settle = (int)(u->seed % 10);
    json_t *sm = json_pack("{s:i, s:s, s:s}", "settling_lengths", settle, "entrant_id", eid,
                           "label", labels[settle / 2]);
    SET(o, "speedmap", sm);
    SET(o, "form_indicators", json_null());
    SET(o, "past_performances",
        json_pack("{s:o}", "jockey",
                  stat_block(u->seed ^ 11, u->starts, u->wins, u->seconds, u->thirds, false)));
    SET(o, "jockey_past_performances",
        json_pack("{s:o, s:o}", "last_50_starts", stat_block(u->seed ^ 12, 50, 8, 6, 5, false),
                  "trainer",
                  stat_block(u->seed ^ 13, u->starts, u->wins, u->seconds, u->thirds, false)));
    static const char *blocks[] = {"first_up", "second_up", "third_up",       "fourth_up",
                                   "track",    "distance",  "track_distance", "good",
                                   "soft",     "heavy",     "turf",           "synthetic"};
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++)
        SET(o, blocks[b],
            stat_block(u->seed ^ (20 + b), u->starts, u->wins, u->seconds, u->thirds, true));
    json_t *overall =
        json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "number_of_starts", u->starts, "number_of_wins",
                  u->wins, "number_of_placings", 0, "number_of_seconds", u->seconds,
                  "number_of_thirds", u->thirds, "winning_distance", 0);
    SET(o, "overall", overall);
    SET(o, "last_starts", json_array());
    static const char *blocks2[] = {"left_handed", "right_handed", "hurdle",        "steeple",
                                    "fresh_30",    "fresh_90",     "weight_for_age"};
    for (size_t b = 0; b < sizeof blocks2 / sizeof blocks2[0]; b++)
        SET(o, blocks2[b],
            stat_block(u->seed ^ (40 + b), u->starts, u->wins, u->seconds, u->thirds, true));
    int winp = u->starts ? 100 * u->wins / u->starts : 0;
    int placep = u->starts ? 100 * (u->wins + u->seconds + u->thirds) / u->starts : 0;
    snprintf(tmp, sizeof tmp, "%d%%", winp);
    SET(o, "win_p", json_string(tmp));
    snprintf(tmp, sizeof tmp, "%d%%", placep > 100 ? 100 : placep);
    SET(o, "place_p", json_string(tmp));
    SET(o, "spr", json_integer((json_int_t)(u->seed % 3000)));
    int s12 = u->starts < 12 ? u->starts : 12;
    int w12 = u->wins < s12 ? u->wins : s12;
    SET(o, "last_12_months",
        json_pack("{s:i, s:i, s:i, s:i}", "number_of_starts", s12, "number_of_wins", w12,
                  "number_of_seconds", 0, "number_of_thirds", 0));
    snprintf(tmp, sizeof tmp, "%d%%", s12 ? 100 * w12 / s12 : 0);
    SET(o, "last_12_w", json_string(tmp));
    SET(o, "last_12_p", json_string(tmp));
    SET(o, "last_12_months_prize_money",
        json_pack("{s:i}",
                  m->region == ODZ_FW_NZ    ? "NZD"
                  : m->region == ODZ_FW_AUS ? "AUD"
                                            : "USD",
                  w12 * 9000 + s12 * 500));
    SET(o, "trainer_location", json_string(m->track->name));
    SET(o, "horse_id", json_integer((json_int_t)(u->seed % 900000 + 100000)));
    SET(o, "slow", stat_block(u->seed ^ 60, u->starts, u->wins, u->seconds, u->thirds, true));
    SET(o, "firm", stat_block(u->seed ^ 61, u->starts, u->wins, u->seconds, u->thirds, true));
    SET(o, "dam_dam", json_string(""));
    SET(o, "dam_sire", json_string(u->dam_sire));
    SET(o, "meta", json_null());
    /* flucs: the last moves of the fixed win price */
    int nf = st->n_flucs[i];
    int first = nf > 6 ? nf - 6 : 0;
    json_t *fl = json_array();
    for (int j = first; j < nf; j++)
        json_array_append_new(fl, odz_fw_num(st->flucs[i][j].price));
    SET(o, "flucs", fl);
    if (st->scr[i]) {
        char ts[21];
        odz_format_iso8601(u->scratch_time, ts);
        SET(o, "scr_time", json_string(ts));
    } else {
        SET(o, "scr_time", json_null());
    }
    SET(o, "competitor_id", json_string(""));
    SET(o, "ride_guide_exists", json_false());
    SET(o, "ride_guide_thumbnail", json_string(""));
    SET(o, "ride_guide_file", json_string(""));
    json_t *fw = json_object();
    if (nf > 0) {
        json_t *six = json_array();
        for (int j = first; j < nf; j++)
            fluc_json(&st->flucs[i][j], six, NULL);
        SET(fw, "last_six", six);
        fluc_json(&st->open[i], fw, "open");
        fluc_json(&st->high[i], fw, "high");
        fluc_json(&st->low[i], fw, "low");
        fluc_json(&st->nine_am[i], fw, "nine_am");
    }
    SET(o, "flucs_with_timestamp", fw);
    if (st->scr[i] && u->late) {
        json_t *ded = json_object();
        SET(ded, "win", odz_fw_num(st->ded_win[i]));
        SET(ded, "place", odz_fw_num(st->ded_place[i]));
        SET(o, "deductions", ded);
    }
    return o;
}

static const char *tote_name(const odz_fw_meeting *m)
{
    switch (m->region) {
    case ODZ_FW_NZ:
        return "NZ";
    case ODZ_FW_AUS:
        return m->track->state[0] == 'N' ? "NSW" : m->track->state[0] == 'Q' ? "QLD" : "VIC";
    default:
        return "VIC";
    }
}

static json_t *race_json(odz_feed *f, const odz_fw_state *st, const char *eid)
{
    const odz_fw_meeting *m = st->m;
    const odz_fw_race *rc = st->r;
    const odz_fw_region *rg = &odz_fw_regions[m->region];
    char mid[37], tmp[512];
    meeting_id(f, m, mid);
    bool started = st->status == ODZ_CLOSED || st->status == ODZ_INTERIM || st->status == ODZ_FINAL;
    json_t *o = json_object();
    SET(o, "event_id", json_string(eid));
    SET(o, "meeting_name", json_string(m->track->name));
    SET(o, "display_meeting_name", json_string(m->track->name));
    SET(o, "meeting_id", json_string(mid));
    SET(o, "status", json_string(status_name(st->status)));
    SET(o, "description", json_string(rc->name));
    SET(o, "advertised_start", json_integer(rc->start));
    if (started)
        SET(o, "actual_start", json_integer(rc->actual_start));
    char iso[21];
    odz_format_iso8601(rc->start, iso);
    snprintf(tmp, sizeof tmp, "%.10s %.8s +0000 UTC", iso, iso + 11);
    SET(o, "advertised_start_string", json_string(tmp));
    if (started) {
        odz_format_iso8601(rc->actual_start, iso);
        snprintf(tmp, sizeof tmp, "%.10s %.8s +0000 UTC", iso, iso + 11);
    } else {
        tmp[0] = 0;
    }
    SET(o, "actual_start_string", json_string(tmp));
    char nzd[11], hms[9];
    bool dst;
    nz_time(f, rc->start, nzd, hms, &dst);
    SET(o, "race_date_nz", json_string(nzd));
    snprintf(tmp, sizeof tmp, "%s %s", hms, dst ? "NZDT" : "NZST");
    SET(o, "start_time_nz", json_string(tmp));
    SET(o, "race_number", json_integer(rc->number));
    SET(o, "type", json_string(category(m->type)));
    bool trot = strstr(rc->name, "Trot") != NULL;
    SET(o, "start_type",
        json_string(m->type == ODZ_HARNESS ? (strstr(rc->name, "Handicap") ? "Standing" : "Mobile")
                                           : ""));
    SET(o, "country", json_string(rg->country));
    SET(o, "state", json_string(m->track->state));
    SET(o, "distance", json_integer(rc->distance));
    SET(o, "weather", json_string(rc->weather));
    SET(o, "form_guide", json_string(""));
    /* a one-line preview naming the top three in the market */
    int top[3] = {-1, -1, -1};
    for (int i = 0; i < st->n; i++) {
        if (st->scr[i] || !(st->prob[i] > 0))
            continue;
        for (int t = 0; t < 3; t++)
            if (top[t] < 0 || st->prob[i] > st->prob[top[t]]) {
                for (int s = 2; s > t; s--)
                    top[s] = top[s - 1];
                top[t] = i;
                break;
            }
    }
    if (top[0] >= 0 && top[1] >= 0 && top[2] >= 0)
        snprintf(tmp, sizeof tmp,
                 "%s (%d) looks the one to beat and should take plenty of catching. %s (%d) "
                 "is in good form and gets its chance. %s (%d) can round out the placings.",
                 st->run[top[0]].name, st->run[top[0]].number, st->run[top[1]].name,
                 st->run[top[1]].number, st->run[top[2]].name, st->run[top[2]].number);
    else
        tmp[0] = 0;
    SET(o, "comment", json_string(tmp));
    SET(o, "silk_base_url", json_string("drr38safykj6s.cloudfront.net"));
    SET(o, "track_condition", json_string(m->condition));
    uint64_t th =
        odz_fw_hash(odz_fw_hash(f->seed, 0x747261636bULL),
                    (uint64_t)(m->group * 64 + (int)(m->track - odz_fw_group_of(m)->tracks)));
    SET(o, "track_direction", json_string(th % 3 == 0 ? "Right" : "Left"));
    const char *surface = strcmp(m->condition, "Synthetic") == 0 ? "Synthetic"
                          : m->type == ODZ_GREYHOUND             ? "Sand"
                          : m->region == ODZ_FW_USA              ? "Dirt"
                                                                 : "Turf";
    SET(o, "track_surface", json_string(surface));
    SET(o, "track_circumference",
        json_integer(m->type == ODZ_GREYHOUND ? 400 + (int)(th % 200) : 1000 + (int)(th % 1300)));
    unsigned char raw[32], b64[48];
    int rl = snprintf((char *)raw, sizeof raw, "race:%llu",
                      (unsigned long long)(1700000 + rc->seed % 300000));
    EVP_EncodeBlock(b64, raw, rl);
    snprintf(
        tmp, sizeof tmp,
        "https://cdn.prod.pricekinetics.com/silks/sprites/cerberus/betmakers-%s_SPRITE_64x64.png",
        (char *)b64);
    SET(o, "silk_url", json_string(m->type == ODZ_GREYHOUND ? "" : tmp));
    SET(o, "entrant_count", json_integer(st->n));
    SET(o, "field_size", json_integer(st->live));
    SET(o, "positions_paid", json_integer(st->positions_paid));
    SET(o, "video_channels", json_pack("[s]", m->index % 2 ? "Trackside2" : "Trackside1"));
    SET(o, "video_channels_meta", json_object());
    json_t *tips = json_array();
    for (int t = 0; t < 3; t++)
        if (top[t] >= 0) {
            char id[37];
            entrant_id(f, m, rc->number, st->run[top[t]].number, id);
            json_array_append_new(tips, json_string(id));
        }
    SET(o, "tips", tips);
    SET(o, "rail_position", json_string(m->type == ODZ_THOROUGHBRED ? "True" : ""));
    SET(o, "group", json_string(""));
    const char *cls = strstr(rc->name, "Maiden")      ? "Maiden"
                      : strstr(rc->name, "Benchmark") ? "Benchmark"
                      : m->type == ODZ_GREYHOUND      ? "Grade 5"
                                                      : "Open";
    SET(o, "class", json_string(cls));
    double total = (m->pool_scale > 2 ? 60000 : 17000) * (1 + (double)(rc->seed % 100) / 100);
    if (m->type == ODZ_GREYHOUND)
        total /= 5;
    total = round(total / 100) * 100;
    static const char *keys[] = {"10th", "1st", "2nd", "3rd", "4th",
                                 "5th",  "6th", "7th", "8th", "9th"};
    static const double shares[] = {0.02, 0.56, 0.18, 0.09, 0.05, 0.02, 0.02, 0.02, 0.02, 0.02};
    json_t *pm = json_object();
    for (int k = 0; k < 10; k++)
        SET(pm, keys[k], json_integer((json_int_t)round(total * shares[k] / 10) * 10));
    SET(pm, "total_value", json_integer((json_int_t)total));
    SET(o, "prize_monies", pm);
    SET(o, "ffwin_option_number", json_integer((json_int_t)(rc->seed % 900 + 100)));
    SET(o, "fftop3_option_number", json_integer((json_int_t)(rc->seed % 900 + 1100)));
    SET(o, "gait", json_string(m->type == ODZ_HARNESS ? (trot ? "Trot" : "Pace") : ""));
    SET(o, "track_home_straight",
        json_integer(m->type == ODZ_GREYHOUND ? 80 + (int)(th % 100) : 250 + (int)(th % 250)));
    SET(o, "gender_conditions", json_string("unrestricted"));
    SET(o, "allowance_conditions", json_true());
    SET(o, "age_conditions", json_string("Unrestricted"));
    SET(o, "special_conditions", json_string(""));
    SET(o, "jockey_conditions", json_string(""));
    SET(o, "weight_and_handicap_conditions", json_string(m->type == ODZ_THOROUGHBRED ? "hcp" : ""));
    SET(o, "mile_rate_400", json_string(""));
    SET(o, "mile_rate_800", json_string(""));
    return o;
}

static json_t *results_json(odz_feed *f, const odz_fw_state *st)
{
    json_t *a = json_array();
    for (int j = 0; j < st->n_results; j++) {
        const odz_fw_placing *pl = &st->results[j];
        const odz_fw_runner *u = &st->run[pl->idx];
        char id[37];
        entrant_id(f, st->m, st->r->number, u->number, id);
        json_t *o = json_object();
        SET(o, "position", json_integer(pl->position));
        SET(o, "name", json_string(u->name));
        SET(o, "barrier", json_integer(u->barrier));
        SET(o, "runner_number", json_integer(u->number));
        SET(o, "margin_length", odz_fw_num(pl->margin));
        if (pl->step[0])
            SET(o, "positional_margin", json_string(pl->step));
        SET(o, "entrant_id", json_string(id));
        if (pl->position == 1) {
            SET(o, "winning_time", odz_fw_num(st->winning_time));
            SET(o, "time_ran", odz_fw_num(st->winning_time));
        }
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *dividends_json(odz_feed *f, const odz_fw_state *st)
{
    json_t *a = json_array();
    const char *tote = tote_name(st->m);
    for (int j = 0; j < st->n_divs; j++) {
        const odz_fw_div *d = &st->divs[j];
        odz_fw_key k;
        key_of(st->m, ODZ_FW_ID_DIVIDEND, st->r->number, 0, j, &k);
        char id[37], name[32], desc[32] = "";
        odz_fw_uuid(f, &k, id);
        snprintf(name, sizeof name, "Pool %s", d->pool);
        json_t *pos = json_array();
        bool place = strcmp(d->pool, "Place") == 0 || strcmp(d->pool, "Win") == 0;
        size_t dl = 0;
        for (int l = 0; l < d->legs; l++) {
            json_array_append_new(pos, json_pack("{s:i, s:i}", "runner_number", d->nums[l],
                                                 "position", place ? 1 : l + 1));
            int w = snprintf(desc + dl, sizeof desc - dl, "%s%d", l ? ":" : "", d->nums[l]);
            if (w > 0 && (size_t)w < sizeof desc - dl)
                dl += (size_t)w;
        }
        json_t *o = json_object();
        SET(o, "id", json_string(id));
        SET(o, "tote", json_string(tote));
        SET(o, "product_name", json_string(name));
        SET(o, "status", json_string(d->interim ? "Interim" : "Final"));
        SET(o, "dividend", odz_fw_num(d->amount));
        SET(o, "pool_size", odz_fw_num(d->pool_size));
        SET(o, "jackpot_size", json_integer(0));
        SET(o, "positions", pos);
        SET(o, "description", json_string(desc));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *tote_pools_json(const odz_fw_state *st, bool trends)
{
    static const struct {
        const char *type;
        double base;
    } pools[] = {{"Win", 8000},    {"Place", 5000},    {"Quinella", 4000},
                 {"Exacta", 3000}, {"Trifecta", 6000}, {"FirstFour", 3000}};
    const odz_fw_race *rc = st->r;
    bool closed = st->status != ODZ_OPEN;
    double frac = closed ? 1 : 1 / (1 + (double)(rc->start - st->tq) / 1800.0);
    json_t *a = json_array();
    for (size_t p = 0; p < sizeof pools / sizeof pools[0]; p++) {
        double total = pools[p].base * st->m->pool_scale *
                       (0.6 + 0.8 * odz_fw_u01(odz_fw_hash(rc->seed, 0x706f6f6cULL + p))) * frac;
        json_t *o = json_object();
        SET(o, "product_type", json_string(pools[p].type));
        SET(o, "total", odz_fw_num(total));
        SET(o, "status", json_string(closed ? "CLOSED" : "OPEN"));
        SET(o, "guarantee", json_integer(0));
        SET(o, "brought_forward", json_integer(0));
        SET(o, "terminating", json_false());
        SET(o, "jackpot", json_integer(0));
        SET(o, "leg", json_integer(0));
        SET(o, "is_commingled", json_true());
        SET(o, "commingled_info", json_true());
        SET(o, "is_concession", json_false());
        SET(o, "is_final", json_boolean(st->status == ODZ_INTERIM || st->status == ODZ_FINAL));
        SET(o, "win_investment", json_string("0"));
        SET(o, "will_pay_live_units", json_integer(0));
        SET(o, "will_pay_current_leg", json_integer(0));
        if (trends) /* the real feed embeds the tote's XML here; an empty document stands in */
            SET(o, "tote_trends",
                json_pack("{s:o, s:s}", "pool_total", odz_fw_num(total), "tote_trends_data", ""));
        json_array_append_new(a, o);
    }
    return a;
}

static bool flag(const char *query, const char *key)
{
    char v[16];
    return odz_fw_query_get(query, key, v, sizeof v) > 0 && strcmp(v, "true") == 0;
}

json_t *odz_fw_entain_event(odz_feed *f, int brand, const char *id, const char *path,
                            const char *query, int64_t now, int *status)
{
    odz_fw_key k;
    int rc = ODZ_ENOTFOUND;
    odz_fw_view *v = NULL;
    if (odz_fw_uuid_parse(f, id, &k) == 0 && k.kind == ODZ_FW_ID_RACE)
        v = odz_fw_view_at(f, &k, now, &rc);
    if (!v)
        return rc == ODZ_ENOTFOUND ? error_body(status, 404, "event not found") : NULL;
    const odz_fw_meeting *m = &v->m;
    odz_fw_state *st = &v->st;
    if (brand)
        odz_fw_brand_prices(f, m, v->race_idx, now, brand, st);

    char title[80];
    snprintf(title, sizeof title, "Event Details: %s", id);
    json_t *root = json_object();
    SET(root, "header", header(f, title, path, query, now));
    json_t *params = json_object();
    SET(params, "enc", json_string("json"));
    SET(params, "id", json_string(id));
    SET(params, "present_overlay", json_boolean(flag(query, "present_overlay")));
    SET(params, "with_big_bets", json_boolean(flag(query, "with_big_bets")));
    SET(params, "with_live_bets", json_boolean(flag(query, "with_live_bets")));
    bool money = flag(query, "with_money_tracker");
    SET(params, "with_money_tracker", json_boolean(money));
    SET(params, "with_biggest_bet", json_boolean(flag(query, "with_biggest_bet")));
    SET(params, "will_pays", json_boolean(flag(query, "with_will_pays")));
    bool trends = flag(query, "with_tote_trends_data");
    SET(params, "with_tote_trends_data", json_boolean(trends));
    char btf[ODZ_FW_PARAM_MAX];
    if (odz_fw_query_get(query, "bet_type_filter", btf, sizeof btf) <= 0)
        btf[0] = 0;
    SET(params, "bet_type_filter", json_string(btf));
    SET(params, "bets_limit", json_integer(10));
    SET(root, "params", params);

    json_t *data = json_object();
    SET(data, "race", race_json(f, st, id));
    SET(data, "results", results_json(f, st));
    SET(data, "dividends", dividends_json(f, st));
    json_t *subs = json_array();
    for (int i = 0; i < st->n; i++)
        if (st->scr[i] && st->run[i].late) {
            char eid[37];
            entrant_id(f, m, st->r->number, st->run[i].number, eid);
            json_array_append_new(subs, json_pack("{s:s, s:s, s:s}", "entrant_id", eid, "tote",
                                                  tote_name(m), "product_name", "Pool Win"));
        }
    SET(data, "substitutions", subs);
    json_t *runners = json_array();
    json_t *fav = NULL, *mover = NULL;
    for (int i = 0; i < st->n; i++) {
        json_t *r = runner_json(f, st, i);
        if (i == st->fav)
            fav = r;
        if (i == st->mover)
            mover = r;
        json_array_append_new(runners, r);
    }
    /* the real source repeats the favourite's and the mover's whole entries */
    SET(data, "favourite", fav ? json_deep_copy(fav) : json_null());
    SET(data, "runners", runners);
    SET(data, "derivatives", json_null());
    SET(data, "mover", mover ? json_deep_copy(mover) : json_null());
    SET(data, "big_bets", json_null());
    SET(data, "live_bets", json_null());
    SET(data, "biggest_bet", json_null());
    if (money) {
        json_t *ents = json_array();
        for (int i = 0; i < st->n; i++) {
            if (st->scr[i])
                continue;
            char eid[37];
            entrant_id(f, m, st->r->number, st->run[i].number, eid);
            int hold = (int)round(st->prob[i] * 100);
            int bet =
                (int)round(st->prob[i] * 100 * (0.7 + 0.6 * odz_fw_u01(st->run[i].seed ^ 77)));
            json_array_append_new(ents, json_pack("{s:s, s:i, s:i}", "entrant_id", eid,
                                                  "hold_percentage", hold, "bet_percentage", bet));
        }
        SET(data, "money_tracker", json_pack("{s:o}", "entrants", ents));
    } else {
        SET(data, "money_tracker", json_null());
    }
    SET(data, "tote_pools", tote_pools_json(st, trends));
    SET(data, "error", json_string(""));
    SET(root, "data", data);
    *status = 200;
    free(v);
    return root;
}

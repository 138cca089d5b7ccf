/* The simulated world: deterministic randomness, the calendar and zones, and the meetings and
 * races generated from hashes of (seed, date); runners and prices are in world_race.c, results
 * and dividends in world_results.c. */
#include "feed/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/sort.h"
#include "core/tz.h"

/* ---- deterministic randomness: splitmix64 everywhere, nothing depends on request order ---- */

uint64_t odz_fw_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t odz_fw_hash(uint64_t a, uint64_t b)
{
    return odz_fw_mix(a ^ odz_fw_mix(b + 0x632be59bd9b4e019ULL));
}

uint64_t odz_fw_hash3(uint64_t a, uint64_t b, uint64_t c)
{
    return odz_fw_hash(odz_fw_hash(a, b), c);
}

void odz_fw_rng_seed(odz_fw_rng *r, uint64_t seed)
{
    r->s = odz_fw_mix(seed);
}

uint64_t odz_fw_next(odz_fw_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double odz_fw_u01(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

double odz_fw_unif(odz_fw_rng *r)
{
    return odz_fw_u01(odz_fw_next(r));
}

int odz_fw_range(odz_fw_rng *r, int lo, int hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int)(odz_fw_next(r) % (uint64_t)(hi - lo + 1));
}

double odz_fw_normal(odz_fw_rng *r)
{
    double u1 = odz_fw_unif(r), u2 = odz_fw_unif(r);
    if (u1 < 1e-12)
        u1 = 1e-12;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

const char *odz_fw_pick(odz_fw_rng *r, const odz_fw_words *w)
{
    return w->v[odz_fw_range(r, 0, w->n - 1)];
}

/* ---- calendar (days since 1970-01-01, proleptic Gregorian) ---- */

int32_t odz_fw_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void odz_fw_civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int yy = (int)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

void odz_fw_day_str(int32_t day, char out[11])
{
    int y, m, d;
    odz_fw_civil_from_days(day, &y, &m, &d);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

int odz_fw_parse_day(const char *s, int32_t *day)
{
    if (!s || odz_date_valid(s) != 0)
        return ODZ_EINVAL;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    *day = odz_fw_days_from_civil(y, m, d);
    return 0;
}

int odz_fw_weekday(int32_t day)
{
    int w = (int)((day + 4) % 7);
    return w < 0 ? w + 7 : w;
}

int64_t odz_fw_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ---- zones: the C library's tz database through core/tz.h, cached per (zone, day) ---- */

void odz_fw_day_bounds(odz_feed *f, int zone, int32_t day, int64_t *start, int64_t *end)
{
    unsigned slot =
        (unsigned)(odz_fw_hash((uint64_t)zone, (uint64_t)(uint32_t)day) % ODZ_FW_ZCACHE);
    pthread_mutex_lock(&f->zlock);
    odz_fw_zday e = f->zcache[slot];
    pthread_mutex_unlock(&f->zlock);
    if (e.zone == zone && e.day == day) {
        *start = e.start;
        *end = e.end;
        return;
    }
    char ds[11];
    odz_fw_day_str(day, ds);
    const char *name = zone == ODZ_FW_Z_FEED ? f->tz : odz_fw_zones[zone].name;
    int64_t s, en;
    if (odz_day_bounds(ds, name, &s, &en) != 0 || en <= s) {
        int off = zone == ODZ_FW_Z_FEED ? 0 : odz_fw_zones[zone].approx_offset_min;
        s = (int64_t)day * 86400 - (int64_t)off * 60;
        en = s + 86400;
    }
    e.zone = (int16_t)zone;
    e.day = day;
    e.start = s;
    e.end = en;
    pthread_mutex_lock(&f->zlock);
    f->zcache[slot] = e;
    pthread_mutex_unlock(&f->zlock);
    *start = s;
    *end = en;
}

int64_t odz_fw_local(odz_feed *f, int zone, int32_t day, int sec)
{
    int64_t s, e;
    odz_fw_day_bounds(f, zone, day, &s, &e);
    int64_t t = s + sec;
    /* daylight-saving changes happen in the small hours: later times shift with them */
    if (e - s != 86400 && sec >= 4 * 3600)
        t += (e - s) - 86400;
    return t;
}

int32_t odz_fw_day_of(odz_feed *f, int zone, int64_t t, int *sec_of_day)
{
    int off = zone == ODZ_FW_Z_FEED ? 0 : odz_fw_zones[zone].approx_offset_min;
    int32_t g = (int32_t)odz_fw_floor_div(t + (int64_t)off * 60, 86400);
    for (int i = 0; i < 4; i++) {
        int64_t s, e;
        odz_fw_day_bounds(f, zone, g, &s, &e);
        if (t < s) {
            g--;
        } else if (t >= e) {
            g++;
        } else {
            if (sec_of_day) {
                int64_t sec = t - s;
                if (e - s != 86400 && sec >= 4 * 3600)
                    sec -= (e - s) - 86400;
                *sec_of_day = (int)sec;
            }
            return g;
        }
    }
    if (sec_of_day)
        *sec_of_day = 0;
    return g;
}

int32_t odz_fw_today(odz_feed *f, int64_t now)
{
    return odz_fw_day_of(f, ODZ_FW_Z_FEED, now, NULL);
}

/* ---- meetings ---- */

const odz_fw_group *odz_fw_group_of(const odz_fw_meeting *m)
{
    return &odz_fw_groups[m->group];
}

static const char *pick_condition(odz_fw_rng *r, int region, int type)
{
    if (type == ODZ_GREYHOUND)
        return odz_fw_pick(r, &odz_fw_going_dogs);
    if (type == ODZ_HARNESS)
        return odz_fw_pick(r, &odz_fw_going_harness);
    return odz_fw_pick(r, odz_fw_regions[region].going);
}

/* "" where the region's feed gives no weather. */
static const char *pick_weather(odz_fw_rng *r, int region)
{
    const odz_fw_words *w = odz_fw_regions[region].weather;
    return w ? odz_fw_pick(r, w) : "";
}

static void race_name(odz_fw_rng *r, const odz_fw_meeting *m, int number, int distance, char *out,
                      size_t outlen)
{
    const char *sp = odz_fw_pick(r, &odz_fw_sponsors);
    switch (m->region) {
    case ODZ_FW_USA:
        if (m->type == ODZ_HARNESS)
            snprintf(out, outlen, "Race %d", number);
        else
            snprintf(out, outlen, "Race %d - %s", number, odz_fw_pick(r, &odz_fw_race_kinds_usa));
        return;
    case ODZ_FW_HK:
        snprintf(out, outlen, "%s %s", odz_fw_pick(r, &odz_fw_hk_names),
                 odz_fw_pick(r, &odz_fw_race_kinds_hk));
        return;
    case ODZ_FW_UK:
    case ODZ_FW_IRE:
        if (m->type == ODZ_GREYHOUND)
            snprintf(out, outlen, "%dm (A%d)", distance, odz_fw_range(r, 1, 9));
        else
            snprintf(out, outlen, "%s %s", sp, odz_fw_pick(r, &odz_fw_race_kinds_uk));
        return;
    default:
        break;
    }
    if (m->type == ODZ_GREYHOUND)
        snprintf(out, outlen, "%s %s", sp, odz_fw_pick(r, &odz_fw_race_kinds_dogs));
    else if (m->type == ODZ_HARNESS)
        snprintf(out, outlen, "%s %s", sp, odz_fw_pick(r, &odz_fw_race_kinds_harness));
    else if (m->region == ODZ_FW_NZ && odz_fw_unif(r) < 0.5)
        snprintf(out, outlen, "%s HANDICAP %d", sp, distance);
    else
        snprintf(out, outlen, "%s %s", sp, odz_fw_pick(r, &odz_fw_race_kinds_aus));
}

static void gen_meeting(odz_feed *f, int g, int track, int index, int32_t lday, odz_fw_meeting *m)
{
    const odz_fw_group *gr = &odz_fw_groups[g];
    memset(m, 0, sizeof *m);
    m->region = gr->region;
    m->index = (uint8_t)index;
    m->group = (uint8_t)g;
    m->lday = lday;
    m->track = &gr->tracks[track];
    m->type = gr->type;
    m->seed = odz_fw_hash3(f->seed ^ 0x6d656574696e67ULL, (uint64_t)(gr->region * 64 + index),
                           (uint64_t)(uint32_t)lday);
    odz_fw_rng r;
    odz_fw_rng_seed(&r, m->seed);

    int w = odz_fw_range(&r, 0, gr->n_starts - 1);
    int from = gr->starts[2 * w], to = gr->starts[2 * w + 1];
    int minute = from + 5 * odz_fw_range(&r, 0, (to - from) / 5);
    if (m->region == ODZ_FW_HK && strcmp(m->track->name, "Happy Valley") == 0)
        minute = 1125 + 5 * odz_fw_range(&r, 0, 6);
    m->n_races = odz_fw_range(&r, gr->races_min, gr->races_max);
    if (m->n_races > ODZ_FW_MAX_RACES)
        m->n_races = ODZ_FW_MAX_RACES;
    m->condition = pick_condition(&r, m->region, m->type);
    m->tote_number = odz_fw_range(&r, 1, 80);
    m->pool_scale = (track < 6 ? 2.5 : 1.0) * (0.6 + 0.8 * odz_fw_unif(&r));
    bool meeting_abandoned = odz_fw_unif(&r) < 0.01;
    int64_t first = odz_fw_local(f, m->track->zone, lday, minute * 60);
    int64_t meeting_abandon_time = first - 60 * odz_fw_range(&r, 60, 180);
    const char *weather = pick_weather(&r, m->region);

    int64_t t = first;
    for (int i = 0; i < m->n_races; i++) {
        odz_fw_race *rc = &m->races[i];
        rc->number = i + 1;
        rc->start = t;
        rc->seed = odz_fw_hash(m->seed, (uint64_t)(i + 1));
        odz_fw_rng rr;
        odz_fw_rng_seed(&rr, rc->seed);
        rc->distance = gr->distances[odz_fw_range(&rr, 0, gr->n_distances - 1)];
        if (m->type == ODZ_GREYHOUND) {
            rc->field = 8;
        } else {
            /* fields cluster around 8-12 like real cards */
            int a = odz_fw_range(&rr, gr->field_min, gr->field_max);
            int b = odz_fw_range(&rr, gr->field_min, gr->field_max);
            rc->field = (a + b + 1) / 2;
        }
        if (rc->field > ODZ_FW_MAX_RUNNERS)
            rc->field = ODZ_FW_MAX_RUNNERS;
        race_name(&rr, m, rc->number, rc->distance, rc->name, sizeof rc->name);
        rc->eventname_null = odz_fw_unif(&rr) < 0.02;
        rc->abandoned = meeting_abandoned || odz_fw_unif(&rr) < 0.008;
        rc->abandon_time =
            meeting_abandoned ? meeting_abandon_time : t - 60 * odz_fw_range(&rr, 5, 30);
        rc->actual_start = t + odz_fw_range(&rr, 0, 40);
        rc->final_time = t + odz_fw_range(&rr, 120, 300);
        rc->weather = weather;
        t += 60 * odz_fw_range(&rr, gr->gap_min, gr->gap_max);
    }
    m->race_day = odz_fw_day_of(f, ODZ_FW_Z_FEED, first, NULL);
}

int odz_fw_region_day(odz_feed *f, int region, int32_t lday, odz_fw_meeting *out, int max)
{
    int n = 0;
    for (int g = 0; g < odz_fw_n_groups; g++) {
        const odz_fw_group *gr = &odz_fw_groups[g];
        if (gr->region != region)
            continue;
        odz_fw_rng r;
        odz_fw_rng_seed(
            &r, odz_fw_hash3(f->seed ^ 0x706c616eULL, (uint64_t)g, (uint64_t)(uint32_t)lday));
        int count, fixed = -1;
        if (region == ODZ_FW_HK) {
            /* Hong Kong races Wednesday nights at Happy Valley and weekends at Sha Tin */
            int wd = odz_fw_weekday(lday);
            double u = odz_fw_unif(&r);
            count = 0;
            if (wd == 3 && u < 0.85) {
                count = 1;
                fixed = 1;
            } else if ((wd == 0 && u < 0.8) || (wd == 6 && u < 0.25)) {
                count = 1;
                fixed = 0;
            }
        } else {
            count = odz_fw_range(&r, gr->per_day_min, gr->per_day_max);
        }
        int idx[64];
        int nt = gr->n_tracks < 64 ? gr->n_tracks : 64;
        for (int i = 0; i < nt; i++)
            idx[i] = i;
        for (int i = 0; i < count && i < nt; i++) {
            int j = odz_fw_range(&r, i, nt - 1);
            int tmp = idx[i];
            idx[i] = idx[j];
            idx[j] = tmp;
            int track = fixed >= 0 ? fixed : idx[i];
            if (n >= max)
                return n;
            gen_meeting(f, g, track, n, lday, &out[n]);
            n++;
        }
    }
    return n;
}

int odz_fw_meeting_get(odz_feed *f, int region, int32_t lday, int index, odz_fw_meeting *out)
{
    if (region < 0 || region >= ODZ_FW_REGIONS || index < 0 || index >= ODZ_FW_MAX_REGION_MEETINGS)
        return ODZ_ENOTFOUND;
    odz_fw_meeting *tmp = malloc(sizeof *tmp * ODZ_FW_MAX_REGION_MEETINGS);
    if (!tmp)
        return ODZ_ENOMEM;
    int n = odz_fw_region_day(f, region, lday, tmp, ODZ_FW_MAX_REGION_MEETINGS);
    int rc = ODZ_ENOTFOUND;
    if (index < n) {
        *out = tmp[index];
        rc = 0;
    }
    free(tmp);
    return rc;
}

int odz_fw_lookup(odz_feed *f, const odz_fw_key *k, int64_t now, odz_fw_meeting *m, int *race_idx)
{
    if (k->race < 1 || k->race > ODZ_FW_MAX_RACES)
        return ODZ_ENOTFOUND;
    int rc = odz_fw_meeting_get(f, k->region, k->lday, k->index, m);
    if (rc)
        return rc;
    if (k->race > m->n_races)
        return ODZ_ENOTFOUND;
    int32_t today = odz_fw_today(f, now);
    if (m->race_day < today - ODZ_FW_EVENT_PAST_DAYS || m->race_day > today + 2)
        return ODZ_ENOTFOUND;
    *race_idx = k->race - 1;
    return 0;
}

static int cmp_meeting(const void *a, const void *b)
{
    const odz_fw_meeting *x = a, *y = b;
    if (x->races[0].start != y->races[0].start)
        return x->races[0].start < y->races[0].start ? -1 : 1;
    int c = strcmp(x->track->name, y->track->name);
    if (c)
        return c;
    if (x->region != y->region)
        return x->region - y->region;
    return x->index - y->index;
}

int odz_fw_race_day(odz_feed *f, int32_t day, odz_fw_meeting *out, int max)
{
    odz_fw_meeting *tmp = malloc(sizeof *tmp * ODZ_FW_MAX_REGION_MEETINGS);
    if (!tmp)
        return ODZ_ENOMEM;
    int n = 0;
    for (int region = 0; region < ODZ_FW_REGIONS; region++) {
        for (int32_t l = day - 1; l <= day + 1; l++) {
            int k = odz_fw_region_day(f, region, l, tmp, ODZ_FW_MAX_REGION_MEETINGS);
            for (int i = 0; i < k && n < max; i++)
                if (tmp[i].race_day == day)
                    out[n++] = tmp[i];
        }
    }
    free(tmp);
    odz_sort(out, (size_t)n, sizeof *out, cmp_meeting);
    return n;
}

odz_race_status odz_fw_status(const odz_fw_race *r, int64_t now)
{
    if (r->abandoned && now >= r->abandon_time)
        return ODZ_ABANDONED;
    if (now < r->start)
        return ODZ_OPEN;
    if (now < r->start + 60)
        return ODZ_CLOSED;
    if (now < r->final_time)
        return ODZ_INTERIM;
    return ODZ_FINAL;
}

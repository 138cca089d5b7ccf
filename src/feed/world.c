/* The simulated world: meetings, races and runners generated from hashes of (seed, date), and a
 * race's state (scratchings, prices, flucs, results, dividends) as a pure function of time. */
#include "feed/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
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

static int64_t floor_div(int64_t a, int64_t b)
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
    int32_t g = (int32_t)floor_div(t + (int64_t)off * 60, 86400);
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
    static const char *aus[] = {"Good4", "Good4",  "Good3", "Soft5",    "Soft6",
                                "Soft7", "Heavy8", "Good4", "Synthetic"};
    static const char *nz[] = {"Good", "Good", "Dead", "Slow", "Soft", "Heavy", "Synthetic"};
    static const char *uk[] = {"Good", "Good to Firm", "Good to Soft", "Soft", "Standard", "Firm"};
    static const char *usa[] = {"Fast", "Fast", "Good", "Sloppy", "Firm", "Muddy"};
    static const char *hk[] = {"Good", "Good to Firm", "Good to Yielding", "Yielding"};
    static const char *dogs[] = {"Good", "Good", "Good", "Fast", "Slow"};
    static const char *harness[] = {"Good", "Fast", "Good", "Slow"};
    if (type == ODZ_GREYHOUND)
        return dogs[odz_fw_range(r, 0, 4)];
    if (type == ODZ_HARNESS)
        return harness[odz_fw_range(r, 0, 3)];
    switch (region) {
    case ODZ_FW_AUS:
        return aus[odz_fw_range(r, 0, 8)];
    case ODZ_FW_NZ:
        return nz[odz_fw_range(r, 0, 6)];
    case ODZ_FW_UK:
    case ODZ_FW_IRE:
        return uk[odz_fw_range(r, 0, 5)];
    case ODZ_FW_USA:
        return usa[odz_fw_range(r, 0, 5)];
    default:
        return hk[odz_fw_range(r, 0, 3)];
    }
}

static const char *pick_weather(odz_fw_rng *r, int region)
{
    static const char *aus[] = {"FINE", "FINE", "OCAST", "SHWRY", "FINE"};
    static const char *nz[] = {"Fine", "Overcast", "Showery", "Fine"};
    static const char *usa[] = {"Cloudy", "Clear", "", "Cloudy"};
    switch (region) {
    case ODZ_FW_AUS:
        return aus[odz_fw_range(r, 0, 4)];
    case ODZ_FW_NZ:
        return nz[odz_fw_range(r, 0, 3)];
    case ODZ_FW_USA:
        return usa[odz_fw_range(r, 0, 3)];
    default:
        return "";
    }
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
    qsort(out, (size_t)n, sizeof *out, cmp_meeting);
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

/* ---- runners ---- */

static bool name_taken(const odz_fw_runner *run, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(run[i].name, name) == 0)
            return true;
    return false;
}

static void person(odz_fw_rng *r, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s %s", odz_fw_pick(r, &odz_fw_first_names),
             odz_fw_pick(r, &odz_fw_surnames));
}

static void horse_name(odz_fw_rng *r, bool dog, char *out, size_t outlen)
{
    if (dog) {
        snprintf(out, outlen, "%s %s", odz_fw_pick(r, &odz_fw_dog_a),
                 odz_fw_pick(r, &odz_fw_dog_b));
        return;
    }
    double u = odz_fw_unif(r);
    if (u < 0.75) {
        snprintf(out, outlen, "%s %s", odz_fw_pick(r, &odz_fw_name_a),
                 odz_fw_pick(r, &odz_fw_name_b));
    } else if (u < 0.88) {
        snprintf(out, outlen, "The %s", odz_fw_pick(r, &odz_fw_name_b));
    } else {
        /* one-word names: "Stormrocket" */
        const char *a = odz_fw_pick(r, &odz_fw_name_b), *b = odz_fw_pick(r, &odz_fw_name_b);
        char low[32];
        size_t i;
        for (i = 0; b[i] && i + 1 < sizeof low; i++)
            low[i] = (char)((b[i] >= 'A' && b[i] <= 'Z') ? b[i] + 32 : b[i]);
        low[i] = 0;
        snprintf(out, outlen, "%s%s", a, low);
    }
}

static void gen_runners(const odz_fw_meeting *m, const odz_fw_race *rc, odz_fw_runner *run, int *np)
{
    odz_fw_rng r;
    odz_fw_rng_seed(&r, odz_fw_hash(rc->seed, 0x72756e6e657273ULL));
    int n = rc->field;
    bool dog = m->type == ODZ_GREYHOUND, gallop = m->type == ODZ_THOROUGHBRED;
    int perm[ODZ_FW_MAX_RUNNERS];
    for (int i = 0; i < n; i++)
        perm[i] = i + 1;
    if (!dog)
        for (int i = n - 1; i > 0; i--) {
            int j = odz_fw_range(&r, 0, i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
    static const char *hcol[] = {"b", "br", "ch", "gr", "bl", "b"};
    static const char *dcol[] = {"bk", "bd", "f", "w", "wbk", "bdw"};
    static const char hsex[] = {'g', 'g', 'm', 'f', 'c', 'h'};
    double sigma = dog ? 0.6 : 0.8;
    for (int i = 0; i < n; i++) {
        odz_fw_runner *u = &run[i];
        memset(u, 0, sizeof *u);
        u->number = i + 1;
        u->barrier = perm[i];
        u->seed = odz_fw_hash(rc->seed, (uint64_t)(100 + i));
        for (int tries = 0; tries < 40; tries++) {
            horse_name(&r, dog, u->name, sizeof u->name);
            if (!name_taken(run, i, u->name))
                break;
        }
        if (name_taken(run, i, u->name)) { /* vanishingly rare: unique by number */
            size_t l = strlen(u->name);
            snprintf(u->name + l, sizeof u->name - l, " %d", u->number);
        }
        if (!dog)
            person(&r, u->jockey, sizeof u->jockey);
        if (odz_fw_unif(&r) < 0.15) {
            char a[24], b[24];
            snprintf(a, sizeof a, "%s", odz_fw_pick(&r, &odz_fw_first_names));
            snprintf(b, sizeof b, "%s", odz_fw_pick(&r, &odz_fw_first_names));
            snprintf(u->trainer, sizeof u->trainer, "%s & %s %s", a, b,
                     odz_fw_pick(&r, &odz_fw_surnames));
        } else {
            person(&r, u->trainer, sizeof u->trainer);
        }
        if (!dog) {
            const char *c1 = odz_fw_pick(&r, &odz_fw_colours);
            const char *c2 = odz_fw_pick(&r, &odz_fw_colours);
            const char *c3 = odz_fw_pick(&r, &odz_fw_colours);
            char l2[32], l3[32];
            snprintf(l2, sizeof l2, "%s", c2);
            snprintf(l3, sizeof l3, "%s", c3);
            l2[0] = (char)(l2[0] >= 'A' && l2[0] <= 'Z' ? l2[0] + 32 : l2[0]);
            l3[0] = (char)(l3[0] >= 'A' && l3[0] <= 'Z' ? l3[0] + 32 : l3[0]);
            snprintf(u->silks, sizeof u->silks, "%s, %s %s, %s cap", c1, l2,
                     odz_fw_pick(&r, &odz_fw_silk_patterns), l3);
        }
        u->strength = odz_fw_normal(&r) * sigma;
        if (dog)
            u->weight10 = odz_fw_range(&r, 250, 380);
        if (gallop && odz_fw_unif(&r) < 0.12) {
            static const int claims[] = {10, 15, 20, 30};
            u->claim10 = claims[odz_fw_range(&r, 0, 3)];
        }
        u->age = dog      ? odz_fw_range(&r, 2, 4)
                 : gallop ? odz_fw_range(&r, 2, 7)
                          : odz_fw_range(&r, 3, 10);
        u->sex = dog ? (odz_fw_unif(&r) < 0.5 ? 'd' : 'b') : hsex[odz_fw_range(&r, 0, 5)];
        u->colour = dog ? dcol[odz_fw_range(&r, 0, 5)] : hcol[odz_fw_range(&r, 0, 5)];
        if (dog) {
            snprintf(u->sire, sizeof u->sire, "%s %s", odz_fw_pick(&r, &odz_fw_dog_a),
                     odz_fw_pick(&r, &odz_fw_dog_b));
            snprintf(u->dam, sizeof u->dam, "%s %s", odz_fw_pick(&r, &odz_fw_dog_a),
                     odz_fw_pick(&r, &odz_fw_dog_b));
        } else {
            horse_name(&r, false, u->sire, sizeof u->sire);
            horse_name(&r, false, u->dam, sizeof u->dam);
            horse_name(&r, false, u->dam_sire, sizeof u->dam_sire);
        }
        snprintf(u->owners, sizeof u->owners, "%c %c %s & %s", 'A' + odz_fw_range(&r, 0, 25),
                 'A' + odz_fw_range(&r, 0, 25), odz_fw_pick(&r, &odz_fw_surnames),
                 odz_fw_pick(&r, &odz_fw_surnames));
        u->starts = odz_fw_range(&r, 0, 40);
        u->wins = u->starts ? odz_fw_range(&r, 0, u->starts / 3) : 0;
        u->seconds = u->starts ? odz_fw_range(&r, 0, u->starts / 4) : 0;
        u->thirds = u->starts ? odz_fw_range(&r, 0, u->starts / 4) : 0;
        int nf = u->starts < 5 ? u->starts : 5;
        static const char fchars[] = "1234567890x";
        for (int k = 0; k < nf; k++)
            u->form[k] = fchars[odz_fw_range(&r, 0, 10)];
        u->form[nf] = 0;
    }
    /* usually one clear favourite */
    if (odz_fw_unif(&r) < 0.75) {
        int fav = odz_fw_range(&r, 0, n - 1);
        run[fav].strength += 0.5 + 0.5 * odz_fw_unif(&r);
    }
    if (gallop) {
        /* handicap: the better the horse, the more weight (61 kg down to 54 kg) */
        for (int i = 0; i < n; i++) {
            int rank = 0;
            for (int j = 0; j < n; j++)
                if (run[j].strength > run[i].strength)
                    rank++;
            double kg = 61.0 - (n > 1 ? 7.0 * rank / (n - 1) : 0);
            run[i].weight10 = (int)(floor(kg * 2 + 0.5) * 5);
        }
    }
    /* scratchings: ~9% early (3 to 40 hours out), ~3.5% late (inside 30 minutes) */
    int scratched = 0;
    for (int i = 0; i < n; i++) {
        double u = odz_fw_unif(&r);
        int early = odz_fw_range(&r, 180, 2400);
        int late = odz_fw_range(&r, 60, 1800);
        if (u < 0.09) {
            run[i].scratch_time = rc->start - 60 * (int64_t)early;
            scratched++;
        } else if (u < 0.125) {
            run[i].scratch_time = rc->start - late;
            run[i].late = true;
            scratched++;
        }
    }
    for (int i = n - 1; i >= 0 && n - scratched < 5; i--)
        if (run[i].scratch_time) {
            run[i].scratch_time = 0;
            run[i].late = false;
            scratched--;
        }
    *np = n;
}

/* ---- prices ---- */

static double smooth_noise(uint64_t key, int64_t t, int64_t period)
{
    int64_t k = floor_div(t, period);
    double fr = (double)(t - k * period) / (double)period;
    double a = odz_fw_u01(odz_fw_hash(key, (uint64_t)k)) * 2 - 1;
    double b = odz_fw_u01(odz_fw_hash(key, (uint64_t)(k + 1))) * 2 - 1;
    double s = fr * fr * (3 - 2 * fr);
    return a + (b - a) * s;
}

static double strength_at(const odz_fw_runner *u, int64_t t)
{
    return u->strength + 0.25 * smooth_noise(u->seed ^ 1, t, 6 * 3600) +
           0.12 * smooth_noise(u->seed ^ 2, t, 45 * 60) +
           0.05 * smooth_noise(u->seed ^ 3, t, 8 * 60);
}

/* The bookmakers' ladder: 0.01 under 2, 0.1 under 5, 0.2 under 10, whole numbers under 25,
 * fives above; never under `min` nor over 300. */
static double ladder(double x, double min)
{
    if (!(x > 0))
        return 0;
    if (x < min)
        x = min;
    if (x < 2)
        x = round(x * 100) / 100;
    else if (x < 5)
        x = round(x * 10) / 10;
    else if (x < 10)
        x = round(x * 5) / 5;
    else if (x < 25)
        x = round(x);
    else
        x = round(x / 5) * 5;
    return x > 300 ? 300 : x;
}

static bool scratched_at(const odz_fw_runner *u, int64_t t)
{
    return u->scratch_time && t >= u->scratch_time;
}

/* True win probabilities at time t over the runners still in the race at time tscr. */
static int probs_at(const odz_fw_state *st, int64_t t, int64_t tscr, double *p)
{
    double s[ODZ_FW_MAX_RUNNERS], top = -1e9;
    int live = 0;
    for (int i = 0; i < st->n; i++) {
        bool in = !scratched_at(&st->run[i], tscr);
        s[i] = in ? strength_at(&st->run[i], t) : 0;
        live += in;
        if (in && s[i] > top)
            top = s[i];
    }
    /* soften the spread until the favourite is no shorter than about $1.40 fair */
    for (double temp = 1.0, tries = 0; tries < 12; tries++, temp *= 0.85) {
        double sum = 0, max = 0;
        for (int i = 0; i < st->n; i++) {
            p[i] = scratched_at(&st->run[i], tscr) ? 0 : exp((s[i] - top) * temp);
            sum += p[i];
        }
        for (int i = 0; i < st->n; i++) {
            p[i] = sum > 0 ? p[i] / sum : 0;
            if (p[i] > max)
                max = p[i];
        }
        if (max <= 0.62)
            break;
    }
    return live;
}

int odz_fw_true_probs(const odz_fw_state *st, int64_t t, int64_t tscr, double *p)
{
    return probs_at(st, t, tscr, p);
}

static double overround(const odz_fw_race *rc)
{
    return 1.15 + 0.10 * odz_fw_u01(odz_fw_hash(rc->seed, 0x6f766572ULL));
}

static void fixed_at(const odz_fw_state *st, int64_t t, int64_t tscr, double *win)
{
    double p[ODZ_FW_MAX_RUNNERS];
    probs_at(st, t, tscr, p);
    double o = overround(st->r);
    for (int i = 0; i < st->n; i++)
        win[i] = p[i] > 0 ? ladder(1.0 / (p[i] * o), 1.10) : 0;
}

static double place_from_win(double w, int live)
{
    if (!(w > 0))
        return 0;
    double x = (w - 1) / (live >= 8 ? 4.0 : 3.0) + 1;
    double pl = ladder(x, 1.01);
    if (pl >= w)
        pl = w - 0.01 > 1.01 ? w - 0.01 : 1.01;
    return pl;
}

static double tote_round(double x)
{
    x = round(x * 10) / 10;
    return x < 1.0 ? 1.0 : x;
}

static void tote_at(const odz_fw_state *st, int64_t t, const double *p, int live, double *tw,
                    double *tp)
{
    for (int i = 0; i < st->n; i++) {
        if (!(p[i] > 0)) {
            tw[i] = tp[i] = 0;
            continue;
        }
        const odz_fw_runner *u = &st->run[i];
        double w = 0.85 / p[i] * exp(0.10 * smooth_noise(u->seed ^ 4, t, 20 * 60));
        double pl = (w - 1) / (live >= 8 ? 4.0 : 3.0) * 1.05 + 1;
        pl *= exp(0.06 * smooth_noise(u->seed ^ 5, t, 20 * 60));
        tw[i] = tote_round(w);
        tp[i] = tote_round(pl);
    }
}

static void fluc_push(odz_fw_state *st, int i, int64_t ts, int ns, double price)
{
    int k = st->n_flucs[i];
    if (k > 0 && st->flucs[i][k - 1].price == price)
        return;
    if (k == ODZ_FW_MAX_FLUCS) {
        /* keep the opening price, drop the oldest move after it */
        memmove(&st->flucs[i][1], &st->flucs[i][2], sizeof(odz_fw_fluc) * (ODZ_FW_MAX_FLUCS - 2));
        k--;
    }
    st->flucs[i][k].ts = ts;
    st->flucs[i][k].ns = ns;
    st->flucs[i][k].price = price;
    st->n_flucs[i] = k + 1;
}

static int64_t next_check(int64_t t, int64_t start)
{
    int64_t to_go = start - t;
    if (to_go > 24 * 3600)
        return t + 4 * 3600;
    if (to_go > 6 * 3600)
        return t + 3600;
    if (to_go > 3600)
        return t + 15 * 60;
    if (to_go > 600)
        return t + 120;
    return t + 60;
}

static void price_history(odz_feed *f, odz_fw_state *st)
{
    const odz_fw_race *rc = st->r;
    int64_t open =
        rc->start - 72 * 3600 - 60 * (int64_t)(odz_fw_hash(rc->seed, 0x6f70656eULL) % 360);
    int64_t nine = odz_fw_local(f, st->m->track->zone, st->m->lday, 9 * 3600);
    double win[ODZ_FW_MAX_RUNNERS];
    for (int64_t t = open; t <= st->tq;) {
        fixed_at(st, t, t, win);
        for (int i = 0; i < st->n; i++) {
            if (!(win[i] > 0))
                continue;
            uint64_t h = odz_fw_hash3(st->run[i].seed, (uint64_t)t, 0x666c7563ULL);
            int64_t ts = t + (int64_t)(h % 50);
            if (ts > st->now)
                ts = st->now;
            fluc_push(st, i, ts, (int)((h >> 20) % 1000000000ULL), win[i]);
        }
        if (t == st->tq)
            break;
        int64_t nx = next_check(t, rc->start);
        t = nx > st->tq ? st->tq : nx;
    }
    /* the history ends at the price on offer now */
    for (int i = 0; i < st->n; i++)
        if (st->win[i] > 0) {
            uint64_t h = odz_fw_hash3(st->run[i].seed, (uint64_t)st->tq, 0x6e6f77ULL);
            int k = st->n_flucs[i];
            int64_t ts = k > 0 && st->flucs[i][k - 1].ts > st->tq ? st->flucs[i][k - 1].ts : st->tq;
            fluc_push(st, i, ts, (int)(h % 1000000000ULL), st->win[i]);
        }
    for (int i = 0; i < st->n; i++) {
        int k = st->n_flucs[i];
        if (k == 0)
            continue;
        st->open[i] = st->flucs[i][0];
        st->high[i] = st->low[i] = st->nine_am[i] = st->flucs[i][0];
        for (int j = 0; j < k; j++) {
            const odz_fw_fluc *x = &st->flucs[i][j];
            if (x->price > st->high[i].price)
                st->high[i] = *x;
            if (x->price < st->low[i].price)
                st->low[i] = *x;
            if (x->ts <= nine)
                st->nine_am[i] = *x;
        }
    }
}

/* ---- results and dividends ---- */

static void margin_text(double gap, char out[12])
{
    if (gap <= 0) {
        snprintf(out, 12, "DH");
        return;
    }
    static const struct {
        double upto;
        const char *s;
    } small[] = {{0.05, "NSE"}, {0.1, "SHD"}, {0.2, "HD"}, {0.3, "NK"}, {0.4, "LG NK"}};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        if (gap <= small[i].upto + 1e-9) {
            snprintf(out, 12, "%s", small[i].s);
            return;
        }
    int q = (int)round(gap * 4);
    int whole = q / 4, frac = q % 4;
    static const char *fr[] = {"", "1/4", "1/2", "3/4"};
    if (whole == 0)
        snprintf(out, 12, "%sL", fr[frac]);
    else if (frac == 0)
        snprintf(out, 12, "%dL", whole % 100);
    else
        snprintf(out, 12, "%d-%sL", whole % 100, fr[frac]);
}

static double draw_gap(odz_fw_rng *r)
{
    double u = odz_fw_unif(r);
    if (u < 0.08)
        return 0.05;
    if (u < 0.16)
        return 0.1;
    if (u < 0.24)
        return 0.2;
    if (u < 0.30)
        return 0.3;
    if (u < 0.36)
        return 0.4;
    double g = -log(1 - odz_fw_unif(r)) * 1.6 + 0.5;
    return round(g * 4) / 4;
}

static void draw_results(odz_fw_state *st)
{
    const odz_fw_race *rc = st->r;
    double p[ODZ_FW_MAX_RUNNERS];
    probs_at(st, rc->start, rc->start, p);
    odz_fw_rng r;
    odz_fw_rng_seed(&r, odz_fw_hash(rc->seed, 0x726573756c74ULL));
    bool used[ODZ_FW_MAX_RUNNERS] = {0};
    int order[ODZ_FW_MAX_RUNNERS], k = 0;
    for (;;) {
        double sum = 0;
        for (int i = 0; i < st->n; i++)
            if (!used[i] && p[i] > 0)
                sum += p[i];
        if (sum <= 0)
            break;
        double x = odz_fw_unif(&r) * sum;
        int pick = -1;
        for (int i = 0; i < st->n; i++) {
            if (used[i] || !(p[i] > 0))
                continue;
            pick = i;
            x -= p[i];
            if (x < 0)
                break;
        }
        used[pick] = true;
        order[k++] = pick;
    }
    int dh = -1; /* a dead heat between order[dh - 1] and order[dh] */
    if (k >= 3 && odz_fw_unif(&r) < 0.01)
        dh = odz_fw_range(&r, 1, k - 1 < 3 ? k - 1 : 3);
    double speed = st->m->type == ODZ_GREYHOUND ? 17.2 : st->m->type == ODZ_HARNESS ? 14.0 : 16.4;
    st->winning_time = round(rc->distance / speed * (0.98 + 0.04 * odz_fw_unif(&r)) * 100) / 100;
    double margin = 0;
    int pos = 1;
    for (int j = 0; j < k; j++) {
        odz_fw_placing *pl = &st->results[j];
        pl->idx = order[j];
        double gap = 0;
        if (j > 0) {
            gap = j == dh ? 0 : draw_gap(&r);
            pos = j == dh ? pos : j + 1;
        }
        margin = round((margin + gap) * 10) / 10;
        pl->position = pos;
        pl->margin = margin;
        if (j == 0)
            pl->step[0] = 0;
        else
            margin_text(gap, pl->step);
    }
    st->n_results = k;
}

static double harville(const double *p, const int *idx, int legs)
{
    double prob = 1, used = 0;
    for (int l = 0; l < legs; l++) {
        double rest = 1 - used;
        if (rest <= 1e-9)
            return 0;
        prob *= p[idx[l]] / rest;
        used += p[idx[l]];
    }
    return prob;
}

static void add_div(odz_fw_state *st, const char *pool, int legs, const int *nums, double amount,
                    double pool_size)
{
    if (st->n_divs >= ODZ_FW_MAX_DIVS)
        return;
    odz_fw_div *d = &st->divs[st->n_divs++];
    d->pool = pool;
    d->interim = true;
    d->legs = legs;
    for (int l = 0; l < legs; l++)
        d->nums[l] = nums[l];
    d->amount = amount;
    d->pool_size = pool_size;
}

/* Ordered runner combinations that fill `legs` places, dead heats giving several. */
static int combos(const odz_fw_state *st, int legs, int out[][4], int max)
{
    int n = 0, cur[4] = {0}, depth = 0, choice[4] = {0};
    /* iterative search over result lines for each leg */
    while (depth >= 0) {
        if (depth == legs) {
            if (n < max)
                memcpy(out[n++], cur, sizeof cur);
            depth--;
            continue;
        }
        bool placed = false;
        while (choice[depth] < st->n_results) {
            const odz_fw_placing *pl = &st->results[choice[depth]++];
            int ties = 0;
            for (int j = 0; j < st->n_results; j++)
                ties += st->results[j].position == pl->position;
            bool fits = pl->position <= depth + 1 && pl->position + ties - 1 >= depth + 1;
            bool dup = false;
            for (int l = 0; l < depth; l++)
                dup |= cur[l] == pl->idx;
            if (fits && !dup) {
                cur[depth] = pl->idx;
                placed = true;
                break;
            }
        }
        if (placed) {
            depth++;
            if (depth < 4)
                choice[depth] = 0;
        } else {
            choice[depth] = 0;
            depth--;
        }
    }
    return n;
}

static void dividends(odz_fw_state *st)
{
    const odz_fw_race *rc = st->r;
    double p[ODZ_FW_MAX_RUNNERS], tw[ODZ_FW_MAX_RUNNERS], tp[ODZ_FW_MAX_RUNNERS];
    int live = probs_at(st, rc->start, rc->start, p);
    tote_at(st, rc->start, p, live, tw, tp);
    odz_fw_rng r;
    odz_fw_rng_seed(&r, odz_fw_hash(rc->seed, 0x646976ULL));
    double scale = st->m->pool_scale;
    /* WIN and PLACE */
    int winners = 0;
    for (int j = 0; j < st->n_results; j++)
        winners += st->results[j].position == 1;
    double wpool = round(8000 * scale * (0.6 + 0.8 * odz_fw_unif(&r)) * 100) / 100;
    double ppool = round(5000 * scale * (0.6 + 0.8 * odz_fw_unif(&r)) * 100) / 100;
    for (int j = 0; j < st->n_results; j++)
        if (st->results[j].position == 1) {
            int num = st->run[st->results[j].idx].number;
            add_div(st, "Win", 1, &num, tote_round(tw[st->results[j].idx] / winners), wpool);
        }
    int placed = 0;
    for (int j = 0; j < st->n_results; j++)
        placed += st->results[j].position <= st->positions_paid;
    for (int j = 0; j < st->n_results; j++)
        if (st->results[j].position <= st->positions_paid) {
            int num = st->run[st->results[j].idx].number;
            double a = tp[st->results[j].idx];
            if (placed > st->positions_paid)
                a = 1 + (a - 1) * st->positions_paid / placed;
            add_div(st, "Place", 1, &num, tote_round(a), ppool);
        }
    /* exotics, priced from the closing probabilities (Harville) with a takeout and noise */
    static const struct {
        const char *pool;
        int legs;
        double take, base;
        bool unordered;
    } ex[] = {
        {"Quinella", 2, 0.85, 4000, true},
        {"Exacta", 2, 0.80, 3000, false},
        {"Trifecta", 3, 0.80, 6000, false},
        {"First4", 4, 0.78, 3000, false},
    };
    for (size_t e = 0; e < sizeof ex / sizeof ex[0]; e++) {
        if (live <= ex[e].legs)
            continue;
        int cs[8][4];
        int nc = combos(st, ex[e].legs, cs, 8);
        if (ex[e].unordered) {
            /* quinella combinations are sets: lower runner number first, each set once */
            int k = 0;
            for (int c = 0; c < nc; c++) {
                if (st->run[cs[c][0]].number > st->run[cs[c][1]].number) {
                    int t = cs[c][0];
                    cs[c][0] = cs[c][1];
                    cs[c][1] = t;
                }
                bool dup = false;
                for (int q = 0; q < k; q++)
                    dup |= cs[q][0] == cs[c][0] && cs[q][1] == cs[c][1];
                if (!dup)
                    memcpy(cs[k++], cs[c], sizeof cs[c]);
            }
            nc = k;
        }
        double noise = exp(0.2 * odz_fw_normal(&r));
        double pool = round(ex[e].base * scale * (0.6 + 0.8 * odz_fw_unif(&r)) * 100) / 100;
        for (int c = 0; c < nc; c++) {
            int nums[4];
            double pr = harville(p, cs[c], ex[e].legs);
            if (ex[e].unordered) {
                int rev[4] = {cs[c][1], cs[c][0], 0, 0};
                pr += harville(p, rev, 2);
            }
            if (!(pr > 0))
                continue;
            for (int l = 0; l < ex[e].legs; l++)
                nums[l] = st->run[cs[c][l]].number;
            double a = ex[e].take / pr * noise / nc; /* dead heats share the pool */
            if (a > 99999)
                a = 99999;
            add_div(st, ex[e].pool, ex[e].legs, nums, tote_round(a), pool);
        }
    }
    /* the final dividends repeat the interim ones once the race is Final */
    if (st->status == ODZ_FINAL) {
        int k = st->n_divs;
        for (int i = 0; i < k && st->n_divs < ODZ_FW_MAX_DIVS; i++) {
            st->divs[st->n_divs] = st->divs[i];
            st->divs[st->n_divs].interim = false;
            st->n_divs++;
        }
    }
}

/* ---- the state of one race at one time ---- */

static void state_init(const odz_fw_meeting *m, int race_idx, int64_t now, odz_fw_state *st)
{
    memset(st, 0, sizeof *st);
    const odz_fw_race *rc = &m->races[race_idx];
    st->m = m;
    st->r = rc;
    st->now = now;
    st->status = odz_fw_status(rc, now);
    int64_t cap = rc->start;
    if (st->status == ODZ_ABANDONED && rc->abandon_time < cap)
        cap = rc->abandon_time;
    st->tq = (now < cap ? now : cap);
    st->tq = floor_div(st->tq, 60) * 60;
    gen_runners(m, rc, st->run, &st->n);
    st->fav = st->mover = -1;
    /* an abandoned race has no scratchings after it was called off */
    st->tscr = st->status == ODZ_ABANDONED && rc->abandon_time < now ? rc->abandon_time : now;
    for (int i = 0; i < st->n; i++) {
        st->scr[i] = scratched_at(&st->run[i], st->tscr);
        st->live += !st->scr[i];
    }
    st->positions_paid = st->live >= 8 ? 3 : 2;
}

/* Interim results show the placings only; Final shows the whole field. */
static void trim_interim(odz_fw_state *st)
{
    if (st->status != ODZ_INTERIM)
        return;
    int keep = 0;
    for (int j = 0; j < st->n_results; j++)
        if (st->results[j].position <= st->positions_paid + 1)
            keep = j + 1;
    st->n_results = keep;
}

void odz_fw_placings_at(const odz_fw_meeting *m, int race_idx, int64_t now, odz_fw_state *st)
{
    state_init(m, race_idx, now, st);
    if (st->status == ODZ_INTERIM || st->status == ODZ_FINAL) {
        draw_results(st);
        trim_interim(st);
    }
}

void odz_fw_state_at(odz_feed *f, const odz_fw_meeting *m, int race_idx, int64_t now,
                     odz_fw_state *st)
{
    state_init(m, race_idx, now, st);
    double p[ODZ_FW_MAX_RUNNERS];
    int live_q = probs_at(st, st->tq, st->tscr, p);
    fixed_at(st, st->tq, st->tscr, st->win);
    tote_at(st, st->tq, p, live_q, st->tote_win, st->tote_place);
    for (int i = 0; i < st->n; i++) {
        st->prob[i] = p[i];
        if (st->scr[i]) {
            st->win[i] = st->place[i] = st->tote_win[i] = st->tote_place[i] = 0;
            continue;
        }
        st->place[i] = place_from_win(st->win[i], live_q);
    }
    /* late scratchings carry deductions from the price just before they went */
    for (int i = 0; i < st->n; i++) {
        if (!st->scr[i] || !st->run[i].late)
            continue;
        double before[ODZ_FW_MAX_RUNNERS];
        fixed_at(st, st->run[i].scratch_time - 1, st->run[i].scratch_time - 1, before);
        if (before[i] > 0) {
            double d = floor(2 * 100 / before[i] * 0.92) / 2;
            double pl = place_from_win(before[i], st->live + 1);
            double dp = pl > 0 ? floor(2 * 100 / pl * 0.3) / 2 : 0;
            st->ded_win[i] = d > 75 ? 75 : d;
            st->ded_place[i] = dp > 40 ? 40 : dp;
        }
    }
    price_history(f, st);
    for (int i = 0; i < st->n; i++) {
        if (st->scr[i] || !(st->win[i] > 0))
            continue;
        if (st->fav < 0 || st->win[i] < st->win[st->fav])
            st->fav = i;
        if (st->n_flucs[i] > 0) {
            double drop = (st->open[i].price - st->win[i]) / st->open[i].price;
            if (drop > 0.05 &&
                (st->mover < 0 || drop > (st->open[st->mover].price - st->win[st->mover]) /
                                             st->open[st->mover].price))
                st->mover = i;
        }
    }
    if (st->status == ODZ_INTERIM || st->status == ODZ_FINAL) {
        draw_results(st);
        dividends(st);
        trim_interim(st);
    }
}

/* ---- bookmaker brands ---- */

/* Each brand prices the same race its own way: a margin of its own over the world's book, a
 * small per-runner opinion (so the best price moves between brands), and a lag behind the
 * true price in simulated seconds (a slow bookmaker opens a real price gap). */
static const struct {
    const char *name;
    double margin;  /* its book over the world's: 1.00 the same */
    int lag_s;
    uint64_t salt;
} brands[] = {
    {"ladbrokes", 1.01, 0, 0x6c6164ULL},
    {"neds", 1.00, 60, 0x6e656473ULL},
    {"tab-nz", 1.02, 240, 0x7461626eULL},
};

int odz_fw_brand_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof brands / sizeof *brands; i++)
        if (strlen(brands[i].name) == len && !strncmp(brands[i].name, name, len))
            return (int)i + 1;
    return 0;
}

const char *odz_fw_brand_name(int brand)
{
    return brand >= 1 && brand <= (int)(sizeof brands / sizeof *brands) ? brands[brand - 1].name
                                                                        : NULL;
}

void odz_fw_brand_prices(odz_feed *f, const odz_fw_meeting *m, int race_idx, int64_t now,
                         int brand, odz_fw_state *st)
{
    if (!odz_fw_brand_name(brand))
        return;
    odz_fw_state *lag = malloc(sizeof *lag);
    if (!lag)
        return;
    odz_fw_state_at(f, m, race_idx, now - brands[brand - 1].lag_s, lag);
    for (int i = 0; i < st->n && i < lag->n; i++) {
        st->n_flucs[i] = 0; /* a brand's feed carries its current prices only */
        if (st->scr[i] || !(lag->win[i] > 0)) {
            st->win[i] = st->place[i] = 0;
            continue;
        }
        double opinion =
            0.96 + 0.08 * odz_fw_u01(odz_fw_hash(st->r->seed ^ brands[brand - 1].salt,
                                                 (uint64_t)i));
        double p = 1.0 / lag->win[i] * brands[brand - 1].margin * opinion;
        st->win[i] = ladder(p < 0.99 ? 1.0 / p : 1.01, 1.10);
        st->place[i] = place_from_win(st->win[i], st->live);
    }
    free(lag);
}

/* The Entain affiliates racing API (shared by Ladbrokes, Neds and TAB NZ): the meetings of a
 * day with their races, and an event's full card: runners, scratchings, fixed and tote odds,
 * flucs, results with margins, interim and final dividends. Envelope {header, params, data},
 * times in UTC, ids are UUIDs. */
#include "source/source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "core/sort.h"
#include "core/tz.h"

#define MEETINGS_PATH "/affiliates/v1/racing/meetings"
#define EVENT_PATH "/affiliates/v1/racing/events/"
#define PROVIDER "entain"
#define EPOCH_MAX 4102444800LL /* 2100-01-01: later times are garbage */
#define FLUC_POINTS_MAX 32     /* per runner */
#define DIVIDEND_MAX_CENTS 100000000000LL

/* 8-4-4-4-12 hex digits. */
static bool uuid_ok(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

/* An ISO 8601 text field to epoch s; 0 when absent or unreadable. */
static int64_t jtime_or0(const json_t *obj, const char *field)
{
    int64_t t;
    const char *s = odz__jstr(obj, field);
    return s && odz__iso_time(s, &t) == 0 && t > 0 && t <= EPOCH_MAX ? t : 0;
}

/* The body's `data` object, from *root: the tree is in this thread's scratch arena (a race
 * card is thousands of values; odz_json_loadb_scratch), read-only and valid until the thread's
 * next parse. */
static const json_t *load_data(const char *body, size_t len, const json_t **root, char *err,
                               size_t errlen)
{
    *root = NULL;
    if (!body || len == 0) {
        odz_fail(err, errlen, ODZ_EINVAL, "empty body");
        return NULL;
    }
    *root = odz_json_loadb_scratch(body, len, ODZ_SOURCE_BODY_MAX, err, errlen);
    if (!*root)
        return NULL;
    const json_t *data = json_object_get(*root, "data");
    if (!json_is_object(data)) {
        odz_fail(err, errlen, ODZ_EINVAL, "response without a data object");
        return NULL;
    }
    const char *e = odz__jstr(data, "error");
    if (e && *e) {
        odz_fail(err, errlen, ODZ_EINVAL, "source error: %.200s", e);
        return NULL;
    }
    return data;
}

static int parse_status(const char *s, odz_race_status *out)
{
    static const struct {
        const char *word;
        odz_race_status status;
    } map[] = {
        {"Open", ODZ_OPEN},       {"Closed", ODZ_CLOSED}, {"Interim", ODZ_INTERIM},
        {"Final", ODZ_FINAL},     {"Paying", ODZ_FINAL},  {"Resulted", ODZ_FINAL},
        {"Abandoned", ODZ_ABANDONED},
    };
    for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(s, map[i].word) == 0) {
            *out = map[i].status;
            return 0;
        }
    return ODZ_EINVAL;
}

static int parse_category(const char *s, odz_race_type *out)
{
    if (!s || !s[0] || s[1])
        return ODZ_EINVAL;
    switch (s[0]) {
    case 'T': *out = ODZ_THOROUGHBRED; return 0;
    case 'H': *out = ODZ_HARNESS; return 0;
    case 'G': *out = ODZ_GREYHOUND; return 0;
    default: return ODZ_EINVAL;
    }
}

/* ---- meetings ---- */

/* One race of a meeting list; 1 skipped (warned), 0 added, <0 error. */
static int parse_list_race(odz_scrape *s, const json_t *j, const char *meeting_key)
{
    odz_race r = {0};
    const char *id = odz__jstr(j, "id");
    if (!uuid_ok(id)) {
        odz__scrape_warn(s, "meeting %s: race without a valid id skipped", meeting_key);
        return 1;
    }
    memcpy(r.source_key, id, 37);
    if (parse_status(odz__jstr(j, "status"), &r.status) != 0) {
        odz__scrape_warn(s, "race %s: unknown status, skipped", id);
        return 1;
    }
    r.number = (int)odz__jint_or(json_object_get(j, "race_number"), 1, 99, 0);
    odz__text(s, r.name, sizeof r.name, odz__jstr(j, "name"), "race name");
    if (!r.name[0] && r.number)
        snprintf(r.name, sizeof r.name, "Race %d", r.number);
    r.distance = (int)odz__jint_or(json_object_get(j, "distance"), 0, 100000, 0);
    r.scheduled_start = jtime_or0(j, "start_time");
    return odz__scrape_add_race(s, meeting_key, &r);
}

static int parse_meeting(odz_scrape *s, const json_t *m, char *err, size_t errlen)
{
    odz_meeting mt = {0};
    const char *id = odz__jstr(m, "meeting");
    const char *name = odz__jstr(m, "name");
    if (!uuid_ok(id)) {
        odz__scrape_warn(s, "meeting %s without a valid id skipped", name ? name : "?");
        return 0;
    }
    memcpy(mt.source_key, id, 37);
    if (parse_category(odz__jstr(m, "category"), &mt.type) != 0) {
        odz__scrape_warn(s, "meeting %s: unknown category, skipped", id);
        return 0;
    }
    odz__text(s, mt.name, sizeof mt.name, name, "meeting name");
    odz__text(s, mt.country, sizeof mt.country, odz__jstr(m, "country"), "country");
    odz_strlcpy(mt.region, odz__region_of_country(mt.country), sizeof mt.region);
    const char *date = odz__jstr(m, "date"); /* "2025-07-17T00:00:00Z": the race day */
    if (date && strlen(date) >= 10) {
        memcpy(mt.date, date, 10);
        mt.date[10] = '\0';
        if (odz_date_valid(mt.date))
            mt.date[0] = '\0';
    }
    json_t *races = json_object_get(m, "races");
    if (races && !json_is_null(races) && !json_is_array(races))
        return odz_fail(err, errlen, ODZ_EINVAL, "meeting %s: races is not an array", id);
    size_t i, added = 0;
    json_t *r;
    json_array_foreach(races, i, r) {
        if (!json_is_object(r))
            return odz_fail(err, errlen, ODZ_EINVAL, "meeting %s: race is not an object", id);
        int64_t t = jtime_or0(r, "start_time");
        if (t && (!mt.first_start || t < mt.first_start))
            mt.first_start = t;
    }
    /* No date in the data: the race day of its first race in the default zone. */
    if (!mt.date[0] && (!mt.first_start || odz_race_day(mt.first_start, NULL, mt.date) != 0)) {
        odz__scrape_warn(s, "meeting %s: no date, skipped", id);
        return 0;
    }
    const char *mkey = odz__scrape_key(s, mt.source_key);
    if (!mkey)
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    json_array_foreach(races, i, r) {
        if (added >= ODZ_SOURCE_MAX_RACES) {
            odz__scrape_warn(s, "meeting %s: races past %d skipped", id, ODZ_SOURCE_MAX_RACES);
            break;
        }
        int rc = parse_list_race(s, r, mkey);
        if (rc < 0)
            return odz_fail(err, errlen, rc, "cannot keep more races");
        added += rc == 0;
    }
    int rc = odz__scrape_add_meeting(s, &mt);
    return rc ? odz_fail(err, errlen, rc, "cannot keep more meetings") : 0;
}

/* The meetings of a schedule response into tmp. */
static int schedule_body(odz_scrape *tmp, const json_t *root, const json_t *data,
                         const char *race_key, char *err, size_t errlen)
{
    (void)race_key;
    const json_t *meetings = json_object_get(data, "meetings");
    if (meetings && !json_is_null(meetings) && !json_is_array(meetings))
        return odz_fail(err, errlen, ODZ_EINVAL, "meetings is not an array");
    if (!meetings)
        return odz_fail(err, errlen, ODZ_EINVAL, "data without meetings");
    size_t i;
    const json_t *m;
    json_array_foreach(meetings, i, m) {
        if (!json_is_object(m))
            return odz_fail(err, errlen, ODZ_EINVAL, "meeting is not an object");
        if (i >= ODZ_SOURCE_MAX_MEETINGS) {
            odz__scrape_warn(tmp, "meetings past %d skipped", ODZ_SOURCE_MAX_MEETINGS);
            break;
        }
        int rc = parse_meeting(tmp, m, err, errlen);
        if (rc)
            return rc;
    }
    int64_t limit =
        odz__jint_or(json_object_get(json_object_get(root, "params"), "limit"), 1, 1000000, 0);
    if (limit && (int64_t)json_array_size(meetings) >= limit)
        odz__scrape_warn(tmp, "a full page of %lld meetings: later ones may be missing",
                         (long long)limit);
    return 0;
}

/* ---- event ---- */

static void parse_results(odz_scrape *s, const json_t *arr, odz_race *r)
{
    size_t i;
    json_t *j;
    json_array_foreach(arr, i, j) {
        int64_t pos, num;
        if (odz__jint(json_object_get(j, "position"), 1, 99, &pos) != 0 ||
            odz__jint(json_object_get(j, "runner_number"), 1, 99, &num) != 0) {
            odz__scrape_warn(s, "race %s: bad result line skipped", r->source_key);
            continue;
        }
        if (r->n_results >= ODZ_MAX_PLACINGS) {
            odz__scrape_warn(s, "race %s: result lines past %d skipped", r->source_key,
                             ODZ_MAX_PLACINGS);
            break;
        }
        odz_placing *p = &r->results[r->n_results++];
        p->position = (int)pos;
        p->number = (int)num;
        odz__text(s, p->margin, sizeof p->margin, odz__jstr(j, "positional_margin"), "margin");
    }
    for (size_t a = 1; a < r->n_results; a++) /* by position, stable */
        for (size_t b = a; b > 0 && r->results[b].position < r->results[b - 1].position; b--) {
            odz_placing t = r->results[b];
            r->results[b] = r->results[b - 1];
            r->results[b - 1] = t;
        }
}

/* "Pool Win" -> "WIN", "Pool First4" -> "FIRST4", "Pool Running Double" -> "RUNNINGDOUBLE". */
static int pool_name(const char *product, char *out, size_t outlen)
{
    if (!product)
        return ODZ_EINVAL;
    if (strncasecmp(product, "Pool ", 5) == 0)
        product += 5;
    size_t n = 0;
    for (const char *p = product; *p; p++) {
        char c = *p;
        if (c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) || n + 1 >= outlen)
            return ODZ_EINVAL;
        out[n++] = c;
    }
    out[n] = '\0';
    return n ? 0 : ODZ_EINVAL;
}

/* Runner numbers in finishing order: positions [{runner_number, position}] -> "2-4-7". */
static int combination(const json_t *positions, char *out, size_t outlen)
{
    int num[8], pos[8];
    size_t n = 0, i;
    json_t *p;
    if (!json_is_array(positions) || json_array_size(positions) == 0 ||
        json_array_size(positions) > 8)
        return ODZ_EINVAL;
    json_array_foreach(positions, i, p) {
        int64_t a, b;
        if (odz__jint(json_object_get(p, "runner_number"), 1, 99, &a) != 0 ||
            odz__jint(json_object_get(p, "position"), 1, 99, &b) != 0)
            return ODZ_EINVAL;
        num[n] = (int)a;
        pos[n++] = (int)b;
    }
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && pos[b] < pos[b - 1]; b--) {
            int t = pos[b];
            pos[b] = pos[b - 1];
            pos[b - 1] = t;
            t = num[b];
            num[b] = num[b - 1];
            num[b - 1] = t;
        }
    size_t off = 0;
    for (size_t k = 0; k < n; k++) {
        int w = snprintf(out + off, outlen - off, k ? "-%d" : "%d", num[k]);
        if (w < 0 || (size_t)w >= outlen - off)
            return ODZ_EINVAL;
        off += (size_t)w;
    }
    return 0;
}

/* Dividends of every pool, interim and final, in cents. Several totes may pay the same pool:
 * the first line of a (pool, interim, combination) is kept. */
static void parse_dividends(odz_scrape *s, const json_t *arr, odz_race *r)
{
    size_t i, bad = 0;
    json_t *j;
    json_array_foreach(arr, i, j) {
        odz_dividend d = {0};
        const char *st = odz__jstr(j, "status");
        const json_t *amount = json_object_get(j, "dividend");
        if (pool_name(odz__jstr(j, "product_name"), d.pool, sizeof d.pool) != 0 || !st ||
            (strcasecmp(st, "Interim") != 0 && strcasecmp(st, "Final") != 0) ||
            !json_is_number(amount) ||
            combination(json_object_get(j, "positions"), d.combination, sizeof d.combination)) {
            bad++;
            continue;
        }
        d.interim = strcasecmp(st, "Interim") == 0;
        double cents = json_number_value(amount) * 100.0;
        if (!isfinite(cents) || cents < 0 || cents > (double)DIVIDEND_MAX_CENTS) {
            bad++;
            continue;
        }
        d.amount = (int64_t)llround(cents);
        bool dup = false;
        for (size_t k = 0; k < r->n_dividends && !dup; k++)
            dup = r->dividends[k].interim == d.interim &&
                  strcmp(r->dividends[k].pool, d.pool) == 0 &&
                  strcmp(r->dividends[k].combination, d.combination) == 0;
        if (dup)
            continue;
        if (r->n_dividends >= ODZ_MAX_DIVIDENDS) {
            odz__scrape_warn(s, "race %s: dividends past %d skipped", r->source_key,
                             ODZ_MAX_DIVIDENDS);
            break;
        }
        r->dividends[r->n_dividends++] = d;
    }
    if (bad)
        odz__scrape_warn(s, "race %s: %zu unreadable dividends skipped", r->source_key, bad);
}

typedef struct {
    int64_t ts;
    int odds;
} fluc;

static int fluc_cmp(const void *a, const void *b)
{
    const fluc *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->odds > y->odds) - (x->odds < y->odds);
}

static void add_fluc(fluc *f, size_t *n, const json_t *p)
{
    int64_t ts = jtime_or0(p, "timestamp");
    int odds;
    if (*n < FLUC_POINTS_MAX && ts && odz__jodds(json_object_get(p, "fluc"), &odds) == 0 && odds)
        f[(*n)++] = (fluc){ts, odds};
}

/* flucs_with_timestamp: last_six plus the open, high, low and 9 am points, as one history of
 * the fixed win price (each time once). */
static int parse_flucs(odz_scrape *s, const json_t *fw, const char *sel_key)
{
    fluc f[FLUC_POINTS_MAX];
    size_t n = 0, i;
    json_t *p;
    if (!json_is_object(fw))
        return 0;
    json_array_foreach(json_object_get(fw, "last_six"), i, p) add_fluc(f, &n, p);
    static const char *const named[] = {"open", "high", "low", "nine_am"};
    for (size_t k = 0; k < 4; k++)
        add_fluc(f, &n, json_object_get(fw, named[k]));
    odz_sort(f, n, sizeof *f, fluc_cmp);
    for (size_t k = 0; k < n; k++) {
        if (k && f[k].ts == f[k - 1].ts)
            continue;
        odz_price pr = {.provider = PROVIDER, .market = ODZ_FIXED_WIN, .odds = f[k].odds,
                        .ts = f[k].ts};
        int rc = odz__scrape_add_price(s, sel_key, &pr);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_odds(odz_scrape *s, const json_t *odds, const char *sel_key, int64_t ts)
{
    static const struct {
        const char *field;
        odz_market market;
    } map[] = {
        {"fixed_win", ODZ_FIXED_WIN},
        {"fixed_place", ODZ_FIXED_PLACE},
        {"pool_win", ODZ_TOTE_WIN},
        {"pool_place", ODZ_TOTE_PLACE},
    };
    if (!json_is_object(odds))
        return 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        odz_price p = {.provider = PROVIDER, .market = map[i].market, .ts = ts};
        int rc = odz__jodds(json_object_get(odds, map[i].field), &p.odds);
        if (rc == ODZ_EINVAL)
            odz__scrape_warn(s, "runner %s: bad %s odds skipped", sel_key, map[i].field);
        if (rc || p.odds == 0)
            continue;
        rc = odz__scrape_add_price(s, sel_key, &p);
        if (rc)
            return rc;
    }
    return 0;
}

/* One runner; 1 skipped (warned), 0 added, <0 error. */
static int parse_runner(odz_scrape *s, const json_t *j, const char *race_key, int64_t ts)
{
    odz_selection sel = {0};
    const char *id = odz__jstr(j, "entrant_id");
    int64_t x;
    if (!uuid_ok(id)) {
        odz__scrape_warn(s, "race %s: runner without a valid entrant_id skipped", race_key);
        return 1;
    }
    if (!odz__jbool_or(json_object_get(j, "primary_market"), true))
        return 1; /* a runner of a secondary market, not of the race field */
    memcpy(sel.source_key, id, 37);
    if (odz__jint(json_object_get(j, "runner_number"), 1, 99, &x) != 0) {
        odz__scrape_warn(s, "runner %s without a valid runner_number skipped", id);
        return 1;
    }
    sel.number = (int)x;
    sel.barrier = (int)odz__jint_or(json_object_get(j, "barrier"), 0, 99, 0);
    odz__text(s, sel.name, sizeof sel.name, odz__jstr(j, "name"), "runner name");
    odz__text(s, sel.jockey, sizeof sel.jockey, odz__jstr(j, "jockey"), "jockey name");
    odz__text(s, sel.trainer, sizeof sel.trainer, odz__jstr(j, "trainer_name"), "trainer name");
    const json_t *w = json_object_get(j, "weight");
    if (json_is_object(w))
        w = json_object_get(w, "allocated");
    if (odz__jhundredths(w, 0, 15000, &x) == 0)
        sel.weight = (int)x;
    if (odz__jhundredths(json_object_get(j, "allowance_weight"), 0, 1000, &x) == 0)
        sel.claim = (int)x;
    sel.scratched = odz__jbool_or(json_object_get(j, "is_scratched"), false);
    sel.late_scratched = odz__jbool_or(json_object_get(j, "is_late_scratched"), false);
    if (sel.late_scratched)
        sel.scratched = true;
    if (sel.scratched) {
        const json_t *st = json_object_get(j, "scratch_time");
        sel.scratch_time =
            json_is_string(st) ? jtime_or0(j, "scratch_time") : odz__jint_or(st, 0, EPOCH_MAX, 0);
        /* a late scratching's deductions: cents in the dollar ({"win": 12.5, "place": 3}) */
        if (odz__jhundredths(json_object_get(json_object_get(j, "deductions"), "win"), 0, 10000,
                             &x) == 0)
            sel.deduction = (int)x;
    }
    sel.emergency = odz__jbool_or(json_object_get(j, "is_emergency"), false);
    const char *silks = odz__jstr(j, "silk_colours");
    if (!silks || !*silks)
        silks = odz__jstr(j, "silk_url_64x64");
    odz__text(s, sel.silks, sizeof sel.silks, silks, "silks");

    const char *key = odz__scrape_key(s, sel.source_key);
    if (!key)
        return ODZ_ENOMEM;
    /* history first, then the current odds: each market's points in time order */
    int rc = odz__scrape_add_selection(s, race_key, &sel);
    if (!rc)
        rc = parse_flucs(s, json_object_get(j, "flucs_with_timestamp"), key);
    if (!rc && !sel.scratched)
        rc = parse_odds(s, json_object_get(j, "odds"), key, ts);
    return rc;
}

/* An event's card into tmp: the race (race_key: the one asked for, or NULL), its runners and
 * their prices. */
static int race_body(odz_scrape *tmp, const json_t *root, const json_t *data, const char *race_key,
                     char *err, size_t errlen)
{
    const json_t *race = json_object_get(data, "race");
    const char *id = odz__jstr(race, "event_id");
    const char *meeting = odz__jstr(race, "meeting_id");
    if (!uuid_ok(id) || !uuid_ok(meeting))
        return odz_fail(err, errlen, ODZ_EINVAL, "event without a valid race.event_id/meeting_id");
    if (race_key && strcasecmp(race_key, id) != 0)
        return odz_fail(err, errlen, ODZ_EINVAL, "event %s is not the race asked for", id);
    const json_t *runners = json_object_get(data, "runners");
    if (runners && !json_is_null(runners) && !json_is_array(runners))
        return odz_fail(err, errlen, ODZ_EINVAL, "runners is not an array");
    odz_race r = {0};
    memcpy(r.source_key, id, 37);
    if (parse_status(odz__jstr(race, "status"), &r.status) != 0)
        odz__scrape_warn(tmp, "race %s: unknown status, taken as open", id);
    r.number = (int)odz__jint_or(json_object_get(race, "race_number"), 1, 99, 0);
    odz__text(tmp, r.name, sizeof r.name, odz__jstr(race, "description"), "race name");
    if (!r.name[0] && r.number)
        snprintf(r.name, sizeof r.name, "Race %d", r.number);
    r.distance = (int)odz__jint_or(json_object_get(race, "distance"), 0, 100000, 0);
    r.scheduled_start = odz__jint_or(json_object_get(race, "advertised_start"), 0, EPOCH_MAX, 0);
    r.actual_start = odz__jint_or(json_object_get(race, "actual_start"), 0, EPOCH_MAX, 0);
    if (r.status != ODZ_ABANDONED) {
        parse_results(tmp, json_object_get(data, "results"), &r);
        parse_dividends(tmp, json_object_get(data, "dividends"), &r);
    }
    const char *rkey = odz__scrape_key(tmp, r.source_key);
    const char *mkey = rkey ? odz__scrape_key(tmp, meeting) : NULL;
    int rc = mkey ? odz__scrape_add_race(tmp, mkey, &r) : ODZ_ENOMEM;
    /* The odds carry no time of their own: they are as of the response. */
    int64_t ts = jtime_or0(json_object_get(root, "header"), "generated_time");
    size_t i, n = 0;
    const json_t *j;
    json_array_foreach(runners, i, j) {
        if (rc)
            break;
        if (!json_is_object(j))
            return odz_fail(err, errlen, ODZ_EINVAL, "runner is not an object");
        if (n >= ODZ_MAX_RUNNERS) {
            odz__scrape_warn(tmp, "race %s: runners past %d skipped", id, ODZ_MAX_RUNNERS);
            break;
        }
        rc = parse_runner(tmp, j, rkey, ts);
        n += rc == 0;
        if (rc > 0)
            rc = 0;
    }
    return rc ? odz_fail(err, errlen, rc, "cannot keep the event: %s", odz_errcode(rc)) : 0;
}

/* A response's `data` read by `body` into a scratch scrape, then merged into out whole or not at
 * all (what: the words of a merge failure). */
static int parse_body(const char *body, size_t len, const char *race_key,
                      int (*fill)(odz_scrape *, const json_t *, const json_t *, const char *,
                                  char *, size_t),
                      const char *what, odz_scrape *out, char *err, size_t errlen)
{
    odz_scrape tmp = {0};
    const json_t *root;
    const json_t *data = load_data(body, len, &root, err, errlen);
    int rc = data ? fill(&tmp, root, data, race_key, err, errlen) : ODZ_EINVAL;
    return odz__scrape_done(out, &tmp, rc, what, err, errlen);
}

static int parse_schedule(const char *body, size_t len, const char *request_path, odz_scrape *out,
                          char *err, size_t errlen)
{
    (void)request_path; /* the response names its own dates */
    return parse_body(body, len, NULL, schedule_body, "meetings", out, err, errlen);
}

static int parse_race(const char *body, size_t len, const char *race_key, odz_scrape *out,
                      char *err, size_t errlen)
{
    return parse_body(body, len, race_key, race_body, "event", out, err, errlen);
}

/* ---- requests ---- */

/* One call a day keeps each response within the API's page of meetings. */
static int schedule_path(const char *day, size_t j, char *path, size_t pathlen)
{
    (void)j;
    return odz__request_path(path, pathlen, MEETINGS_PATH "?date_from=%s&date_to=%s", day, day);
}

static int schedule_requests(const char *date_from, const char *date_to, odz_source_request *out,
                             size_t max, size_t *n, char *err, size_t errlen)
{
    return odz__schedule_paths(date_from, date_to, 1, schedule_path, out, max, n, err, errlen);
}

static int race_request(const char *race_key, char *path, size_t pathlen)
{
    if (!uuid_ok(race_key))
        return ODZ_EINVAL;
    return odz__request_path(path, pathlen, EVENT_PATH "%s", race_key);
}

const odz_source_ops odz_source_entain = {
    .name = "entain",
    .schedule_requests = schedule_requests,
    .parse_schedule = parse_schedule,
    .race_request = race_request,
    .parse_race = parse_race,
};

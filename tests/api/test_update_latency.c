/* "A response reflects an update within 100 ms of the event": the API in-process on an
 * ephemeral loopback port over the racing service on an in-memory store; views are read over
 * real sockets (libcurl, keep-alive) while races change through the racing service, and each
 * view is polled until it shows the change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "bus/bus.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"
#include "obs/metrics.h"
#include "racing/racing.h"
#include "store/store.h"

/* h2o 2.2 keeps a per-thread cache of request-pool chunks (a static thread-local in its
 * memory.c) and never frees it; the server here runs on a thread that ends, so LeakSanitizer
 * sees that cache. Only it is suppressed (as in tests/http/test_http.c). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\n";
}

#define RACES 20 /* one round of changes per race */
#define RUNNERS 6

/* The requirement is 100 ms and is asserted in the plain build. The AddressSanitizer build runs
 * the same path to check it for memory errors; it is several times slower (bus, SQLite, JSON,
 * gzip all instrumented) and on a loaded 2-core machine its worst case has reached 300 ms, so
 * there the bound only catches a view that is not refreshed at all. */
#if defined(__SANITIZE_ADDRESS__)
#define SLOWDOWN 10
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOWDOWN 10
#endif
#endif
#ifndef SLOWDOWN
#define SLOWDOWN 1
#endif
#define LIMIT_US (100000 * SLOWDOWN)
#define GIVE_UP_US 3000000
#define POLL_US 2000
#define BODY_MAX (4u << 20)

typedef struct {
    odz_bus *bus;
    odz_store *store;
    odz_racing *racing;
    odz_api *api;
    pthread_t http_thread;
    int port;
    CURL *curl;
    char day[16];
    int64_t race_id[RACES];
    int64_t sel_id[RACES][RUNNERS];
} fx;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000L};
    nanosleep(&ts, NULL);
}

/* ---- HTTP client ------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
} body_t;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    body_t *b = ud;
    size_t len = size * nmemb;
    if (b->n + len + 1 > BODY_MAX)
        return 0; /* aborts the transfer */
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

/* GET path on the API; the body of a 200 (malloc'd, the caller frees), else NULL. */
static char *get_body(fx *f, const char *path, size_t *len)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", f->port, path);
    body_t b = {0};
    curl_easy_setopt(f->curl, CURLOPT_URL, url);
    curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(f->curl);
    long status = 0;
    curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200 || !b.p) {
        free(b.p);
        return NULL;
    }
    *len = b.n;
    return b.p;
}

/* GET path on the API; the parsed JSON body of a 200, else NULL. */
static json_t *get_json(fx *f, const char *path)
{
    size_t n = 0;
    char *b = get_body(f, path, &n);
    json_t *j = b ? json_loadb(b, n, 0, NULL) : NULL;
    free(b);
    return j;
}

/* ---- fixture ----------------------------------------------------------------------------- */

static void *http_main(void *arg)
{
    fx *f = arg;
    odz_http_run(odz_api_http(f->api));
    return NULL;
}

static json_t *call(fx *f, const char *op, json_t *req)
{
    json_t *data = NULL;
    char err[ODZ_ERRLEN] = "";
    int rc = odz_racing_call(f->bus, op, req, 5000, &data, err);
    json_decref(req);
    if (rc)
        fail_msg("racing.%s: %d %s", op, rc, err);
    return data;
}

/* One meeting of today's race day with RACES open races of RUNNERS priced runners, all inside
 * the next-to-jump window and starting on the same race day as the meeting (so the schedule
 * view of that day is the one the race's events mark stale). */
static json_t *seed_batch(fx *f)
{
    int64_t now = odz_now();
    char later[16];
    odz_race_day(now, ODZ_DEFAULT_TZ, f->day);
    odz_race_day(now + 3600, ODZ_DEFAULT_TZ, later);
    int64_t first = strcmp(f->day, later) ? now - 3000 : now + 600; /* near midnight: overdue */
    json_t *meetings = json_pack(
        "[{s:s,s:s,s:s,s:s,s:s,s:s}]", "source_key", "LAT-M", "name", "Latency Park", "country",
        "AUS", "region", "Australia & New Zealand", "race_type", "thoroughbred", "date", f->day);
    json_t *races = json_array(), *sels = json_array(), *prices = json_array();
    for (int i = 0; i < RACES; i++) {
        char rk[32], name[32];
        snprintf(rk, sizeof rk, "LAT-R%d", i + 1);
        snprintf(name, sizeof name, "Latency Stakes %d", i + 1);
        json_array_append_new(races, json_pack("{s:s,s:{s:s,s:i,s:s,s:i,s:I,s:s}}", "meeting_key",
                                               "LAT-M", "race", "source_key", rk, "number", i + 1,
                                               "name", name, "distance", 1200, "scheduled_start",
                                               (json_int_t)(first + i * 120), "status", "OPEN"));
        for (int k = 0; k < RUNNERS; k++) {
            char sk[32], rn[32];
            snprintf(sk, sizeof sk, "LAT-R%d-S%d", i + 1, k + 1);
            snprintf(rn, sizeof rn, "Runner %d-%d", i + 1, k + 1);
            json_array_append_new(sels,
                                  json_pack("{s:s,s:{s:s,s:i,s:i,s:s,s:s}}", "race_key", rk,
                                            "selection", "source_key", sk, "number", k + 1,
                                            "barrier", k + 1, "name", rn, "jockey", "J Smith"));
            json_array_append_new(prices,
                                  json_pack("{s:s,s:s,s:s,s:i,s:I}", "selection_key", sk,
                                            "provider", "oddzy", "market", "fixed_win", "odds",
                                            300 + 100 * k, "ts", (json_int_t)(now - 60)));
        }
    }
    return json_pack("{s:o,s:o,s:o,s:o}", "meetings", meetings, "races", races, "selections", sels,
                     "prices", prices);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char err[ODZ_ERRLEN] = "";
    assert_non_null(f);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    f->bus = odz_bus_inproc_new();
    f->store = odz_store_open(":memory:", err);
    assert_non_null(f->store);
    f->racing = odz_racing_start(f->bus, f->store, NULL, err);
    assert_non_null(f->racing);
    odz_api_config ac = {.host = "127.0.0.1",
                         .port = 0,
                         .threads = 1,
                         .max_connections = 64,
                         .view_workers = 2,
                         .static_root = NULL,
                         .tz = NULL};
    f->api = odz_api_new(f->bus, &ac, err);
    if (!f->api)
        fail_msg("odz_api_new: %s", err);
    f->port = odz_api_port(f->api);
    assert_int_equal(pthread_create(&f->http_thread, NULL, http_main, f), 0);
    f->curl = curl_easy_init();
    assert_non_null(f->curl);
    curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);

    json_decref(call(f, "upsert_batch", seed_batch(f)));
    json_t *ms =
        call(f, "list_meetings", json_pack("{s:s,s:s}", "date_from", f->day, "date_to", f->day));
    assert_int_equal(json_array_size(ms), 1);
    json_int_t mid = json_integer_value(json_object_get(json_array_get(ms, 0), "meeting_id"));
    json_decref(ms);
    json_t *rs = call(f, "list_meeting_races", json_pack("{s:I}", "meeting_id", mid));
    assert_int_equal(json_array_size(rs), RACES);
    for (int i = 0; i < RACES; i++) {
        json_t *r = json_array_get(rs, (size_t)i);
        int n = (int)json_integer_value(json_object_get(r, "number"));
        assert_true(n >= 1 && n <= RACES);
        f->race_id[n - 1] = json_integer_value(json_object_get(r, "race_id"));
    }
    json_decref(rs);
    for (int i = 0; i < RACES; i++) {
        json_t *ss =
            call(f, "list_selections", json_pack("{s:I}", "race_id", (json_int_t)f->race_id[i]));
        assert_int_equal(json_array_size(ss), RUNNERS);
        size_t k;
        json_t *s;
        json_array_foreach(ss, k, s)
        {
            int n = (int)json_integer_value(json_object_get(s, "number"));
            assert_true(n >= 1 && n <= RUNNERS);
            f->sel_id[i][n - 1] = json_integer_value(json_object_get(s, "selection_id"));
        }
        json_decref(ss);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    curl_easy_cleanup(f->curl);
    odz_http_stop(odz_api_http(f->api));
    pthread_join(f->http_thread, NULL);
    odz_api_free(f->api);
    odz_racing_stop(f->racing);
    odz_bus_close(f->bus);
    f->store->ops->close(f->store);
    curl_global_cleanup();
    odz_metrics_free_all();
    free(f);
    return 0;
}

/* ---- what a view must show --------------------------------------------------------------- */

typedef struct {
    int64_t race_id, sel_id;
    const char *status; /* racecard/schedule: the race's status */
    double price;       /* racecard: the runner's fixed_win; flucs: its latest point */
} want;

static json_t *runner_of(json_t *card, int64_t sel_id)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(card, "runners"), i, r)
    {
        if (json_integer_value(json_object_get(r, "selection_id")) == sel_id)
            return r;
    }
    return NULL;
}

static int card_status(json_t *j, const want *w)
{
    const char *s = json_string_value(json_object_get(json_object_get(j, "race"), "status"));
    return s && !strcmp(s, w->status);
}

static int card_scratched(json_t *j, const want *w)
{
    json_t *r = runner_of(j, w->sel_id);
    return r && json_is_true(json_object_get(r, "is_scratched")) &&
           json_is_null(json_object_get(json_object_get(r, "prices"), "fixed_win"));
}

static int card_price(json_t *j, const want *w)
{
    json_t *r = runner_of(j, w->sel_id);
    json_t *p = json_object_get(json_object_get(r, "prices"), "fixed_win");
    return json_is_number(p) && json_number_value(p) == w->price;
}

static int flucs_price(json_t *j, const want *w)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(j, "runners"), i, r)
    {
        if (json_integer_value(json_object_get(r, "selection_id")) != w->sel_id)
            continue;
        json_t *pts = json_object_get(json_object_get(r, "flucs"), "fixed_win");
        json_t *last = json_array_get(pts, json_array_size(pts) - 1);
        return json_is_array(last) && json_number_value(json_array_get(last, 1)) == w->price;
    }
    return 0;
}

static int schedule_status(json_t *j, const want *w)
{
    size_t g, m, r;
    json_t *gv, *mv, *rv;
    json_array_foreach(json_object_get(j, "groups"), g, gv)
    {
        json_array_foreach(json_object_get(gv, "meetings"), m, mv)
        {
            json_array_foreach(json_object_get(mv, "races"), r, rv)
            {
                if (json_integer_value(json_object_get(rv, "race_id")) != w->race_id)
                    continue;
                const char *s = json_string_value(json_object_get(rv, "status"));
                return s && !strcmp(s, w->status);
            }
        }
    }
    return 0;
}

static int next_listed(json_t *j, const want *w)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(j, "races"), i, r)
    {
        if (json_integer_value(json_object_get(r, "race_id")) == w->race_id)
            return 1;
    }
    return 0;
}

static int next_absent(json_t *j, const want *w)
{
    return json_is_array(json_object_get(j, "races")) && !next_listed(j, w);
}

typedef int (*check_fn)(json_t *j, const want *w);

typedef struct {
    const char *what;
    char path[128];
    check_fn ok;
    int64_t worst_us, sum_us;
    int n, stale; /* changes measured; responses read before the change showed */
} probe;

/* Read each view until it shows the change; round-robin so each latency is its own. Latency is
 * counted from t0 (the change call returned) to the arrival of the first response showing it. */
static void wait_all(fx *f, probe *p, int np, const want *w, int64_t t0)
{
    int64_t seen[8] = {0};
    int left = np;
    while (left) {
        for (int i = 0; i < np; i++) {
            if (seen[i])
                continue;
            json_t *j = get_json(f, p[i].path);
            int64_t t = now_us();
            if (j && p[i].ok(j, w)) {
                seen[i] = t - t0 > 0 ? t - t0 : 1;
                left--;
            } else {
                p[i].stale++;
            }
            json_decref(j);
        }
        if (!left)
            break;
        if (now_us() - t0 > GIVE_UP_US) {
            for (int i = 0; i < np; i++)
                if (!seen[i])
                    fail_msg("%s (%s) still stale after %d ms", p[i].what, p[i].path,
                             GIVE_UP_US / 1000);
        }
        sleep_us(POLL_US);
    }
    for (int i = 0; i < np; i++) {
        p[i].n++;
        p[i].sum_us += seen[i];
        if (seen[i] > p[i].worst_us)
            p[i].worst_us = seen[i];
    }
}

/* GET each view twice so the next reads are lookups in the view cache, and check it shows the
 * state before the change. */
static void warm(fx *f, probe *p, int np, const want *before)
{
    for (int i = 0; i < np; i++) {
        json_t *j = NULL;
        for (int k = 0; k < 2; k++) {
            json_decref(j);
            j = get_json(f, p[i].path);
            assert_non_null(j);
        }
        if (before && !p[i].ok(j, before))
            fail_msg("%s (%s) does not show the state before the change", p[i].what, p[i].path);
        json_decref(j);
    }
}

static void report(const char *event, probe *p, int np)
{
    for (int i = 0; i < np; i++)
        print_message("%-20s %-9s n=%d mean=%.1f ms worst=%.1f ms limit=%d ms (stale reads "
                      "before: %d)\n",
                      event, p[i].what, p[i].n, p[i].sum_us / 1000.0 / (p[i].n ? p[i].n : 1),
                      p[i].worst_us / 1000.0, LIMIT_US / 1000, p[i].stale);
    for (int i = 0; i < np; i++)
        if (p[i].worst_us > LIMIT_US)
            fail_msg("%s: %s showed the change after %.1f ms (limit %d ms)", event, p[i].what,
                     p[i].worst_us / 1000.0, LIMIT_US / 1000);
}

/* ---- tests ------------------------------------------------------------------------------- */

/* A new price (the price updater's path): race card and flucs. */
static void price_reaches_racecard_and_flucs(void **state)
{
    fx *f = *state;
    probe p[2] = {{.what = "racecard", .ok = card_price}, {.what = "flucs", .ok = flucs_price}};
    for (int i = 0; i < RACES; i++) {
        snprintf(p[0].path, sizeof p[0].path, "/api/racing/racecard?race_id=%lld",
                 (long long)f->race_id[i]);
        snprintf(p[1].path, sizeof p[1].path, "/api/races/%lld/flucs", (long long)f->race_id[i]);
        want old = {.race_id = f->race_id[i], .sel_id = f->sel_id[i][0], .price = 3.0};
        warm(f, p, 2, &old);
        want w = old;
        w.price = 4.2 + i * 0.1;
        int odds = (int)(w.price * 100 + 0.5);
        w.price = odds / 100.0;
        json_decref(call(f, "append_price",
                         json_pack("{s:{s:I,s:s,s:s,s:i,s:I}}", "price", "selection_id",
                                   (json_int_t)w.sel_id, "provider", "oddzy", "market", "fixed_win",
                                   "odds", odds, "ts", (json_int_t)odz_now())));
        wait_all(f, p, 2, &w, now_us());
    }
    report("price", p, 2);
}

/* A scratching: the race card shows the runner scratched without prices. */
static void scratching_reaches_racecard(void **state)
{
    fx *f = *state;
    probe p[1] = {{.what = "racecard", .ok = card_scratched}};
    for (int i = 0; i < RACES; i++) {
        snprintf(p[0].path, sizeof p[0].path, "/api/races/%lld", (long long)f->race_id[i]);
        want w = {.race_id = f->race_id[i], .sel_id = f->sel_id[i][RUNNERS - 1]};
        warm(f, p, 1, NULL);
        json_t *j = get_json(f, p[0].path);
        assert_false(card_scratched(j, &w));
        json_decref(j);
        json_decref(call(f, "scratch", json_pack("{s:I}", "selection_id", (json_int_t)w.sel_id)));
        wait_all(f, p, 1, &w, now_us());
    }
    report("scratching", p, 1);
}

/* A race closing: race card, the day's schedule, and next to jump (the race leaves it). */
static void status_reaches_racecard_schedule_next(void **state)
{
    fx *f = *state;
    probe p[3] = {{.what = "racecard", .ok = card_status},
                  {.what = "schedule", .ok = schedule_status},
                  {.what = "next", .ok = next_absent}};
    snprintf(p[1].path, sizeof p[1].path, "/api/racing/schedule?date=%s", f->day);
    snprintf(p[2].path, sizeof p[2].path, "/api/racing/next?limit=100");
    for (int i = 0; i < RACES; i++) {
        snprintf(p[0].path, sizeof p[0].path, "/api/racing/racecard?race_id=%lld",
                 (long long)f->race_id[i]);
        want open = {.race_id = f->race_id[i], .status = "OPEN"};
        probe pre[2] = {p[0], p[1]};
        warm(f, pre, 2, &open);
        probe pre_next = {.what = "next", .ok = next_listed};
        snprintf(pre_next.path, sizeof pre_next.path, "%s", p[2].path);
        warm(f, &pre_next, 1, &open);

        json_t *race = call(f, "get_race", json_pack("{s:I}", "race_id", (json_int_t)open.race_id));
        json_object_set_new(race, "status", json_string("CLOSED"));
        json_decref(call(f, "update_race", json_pack("{s:o}", "race", race)));
        want w = {.race_id = open.race_id, .status = "CLOSED"};
        wait_all(f, p, 3, &w, now_us());
    }
    report("status OPEN->CLOSED", p, 3);
}

/* Cache race `race`'s card (path filled in), then write a price of `sel` straight to the store:
 * no event is published, so the cached card does not know of it. */
static void change_behind_the_api(fx *f, int64_t race, int64_t sel, int odds, char *path,
                                  size_t pathlen)
{
    char err[ODZ_ERRLEN];
    snprintf(path, pathlen, "/api/racing/racecard?race_id=%lld", (long long)race);
    json_decref(get_json(f, path));
    odz_price pr = {.selection_id = sel,
                    .provider = "oddzy",
                    .market = ODZ_FIXED_WIN,
                    .odds = odds,
                    .ts = odz_now() + 5};
    odz_changes ch = {0};
    assert_int_equal(f->store->ops->append_price(f->store, &pr, &ch, err), 0);
    odz_changes_free(&ch);
}

/* 1 once the card at `path` shows w's price (polled for up to 10 s). */
static int view_shows(fx *f, const char *path, int (*ok_fn)(json_t *, const want *), const want *w)
{
    int ok = 0;
    for (int i = 0; i < 500 && !ok; i++) {
        json_t *j = get_json(f, path);
        ok = j && ok_fn(j, w);
        json_decref(j);
        if (!ok)
            sleep_us(20000);
    }
    return ok;
}

static int card_shows(fx *f, const char *path, const want *w)
{
    return view_shows(f, path, card_price, w);
}

/* A rebuild that fails (the racing service is away when the event comes) leaves the old view
 * in service, and the next request rebuilds it: it never stays stale for want of an event. */
static void failed_rebuild_is_retried(void **state)
{
    fx *f = *state;
    char path[128], err[ODZ_ERRLEN];
    int64_t race = f->race_id[0], sel = f->sel_id[0][1];
    change_behind_the_api(f, race, sel, 555, path, sizeof path);
    odz_racing_stop(f->racing);
    f->racing = NULL;
    char subj[64], ev[256];
    snprintf(subj, sizeof subj, "race.%lld.price", (long long)race);
    int n = snprintf(ev, sizeof ev, "{\"race_id\":%lld,\"selection_id\":%lld,\"market\":"
                     "\"fixed_win\",\"price\":5.55}", (long long)race, (long long)sel);
    odz_bus_publish(f->bus, subj, ev, (size_t)n, NULL);
    sleep_us(300000); /* the rebuild runs and fails: nobody answers racing.* */
    f->racing = odz_racing_start(f->bus, f->store, NULL, err);
    assert_non_null(f->racing);
    want w = {.race_id = race, .sel_id = sel, .price = 5.55};
    assert_true(card_shows(f, path, &w));
}

static double rebuilds(const char *cause)
{
    char labels[64];
    snprintf(labels, sizeof labels, "cause=\"%s\"", cause);
    return odz_metric_value(odz_counter("oddzy_view_rebuilds_total", NULL, labels));
}

static atomic_int racecard_requests;

/* Counts the requests of a racing operation into the atomic_int `ud`. */
static void count_requests(odz_bus *bus, const odz_msg *m, void *ud)
{
    (void)bus;
    (void)m;
    atomic_fetch_add((atomic_int *)ud, 1);
}

/* Price and book events patch a cached race card in the API from memory: no racing-service
 * request (nor a rebuild of the cached schedule and next-to-jump views), at most one render per
 * 50 ms of a burst, and the card served is byte for byte what
 * the racing service answers for the same state (but for its "now"). Runs first: the race's
 * card is the only view cached, and its first runner's own price is left as the later tests
 * expect it. */
static void price_events_patch_the_card(void **state)
{
    fx *f = *state;
    int64_t race = f->race_id[RACES - 1];
    char path[128], key[32];
    snprintf(path, sizeof path, "/api/racing/racecard?race_id=%lld", (long long)race);
    json_decref(get_json(f, path));
    json_decref(get_json(f, path));
    /* the schedule and next to jump do not show prices: cached, and never rebuilt by them */
    char sched[64];
    snprintf(sched, sizeof sched, "/api/racing/schedule?date=%s", f->day);
    json_decref(get_json(f, sched));
    json_decref(get_json(f, "/api/racing/next?limit=100"));
    sleep_us(100000);
    double svc0 = rebuilds("service"), pat0 = rebuilds("event_patch");
    odz_metric *refused = odz_counter("oddzy_view_patches_refused_total", NULL, NULL);
    double ref0 = odz_metric_value(refused);
    atomic_store(&racecard_requests, 0);
    int64_t sub = odz_bus_subscribe(f->bus, "racing.racecard", NULL, 64, count_requests,
                                         &racecard_requests);
    assert_true(sub > 0);

    int64_t t = odz_now(), t0 = now_us();
    /* a book of a runner on the exchange (race.<id>.exchange) */
    snprintf(key, sizeof key, "LAT-R%d-S2", RACES);
    json_decref(call(f, "upsert_batch",
                     json_pack("{s:[{s:s,s:s,s:[{s:i,s:I},{s:i,s:I}],s:[{s:i,s:I}],s:i,s:I,s:I}]}",
                               "books", "selection_key", key, "provider", "betfair", "back",
                               "odds", 410, "size", (json_int_t)12050, "odds", 400, "size",
                               (json_int_t)700, "lay", "odds", 430, "size", (json_int_t)990,
                               "last_traded", 420, "traded_volume", (json_int_t)500000, "ts",
                               (json_int_t)t)));
    /* prices of every kind: our own, bookmakers' fixed and tote, the exchange's best offers,
     * the first runner's from another provider (not its shown price), and an older point that
     * is history, not a change */
    static const char *const pv[] = {"oddzy", "tab", "ladbrokes", "betfair"};
    static const char *const mk[4][2] = {{"fixed_win", "fixed_place"},
                                         {"fixed_win", "tote_win"},
                                         {"fixed_place", "fixed_win"},
                                         {"exchange_back", "exchange_lay"}};
    int sent = 0;
    for (int k = 0; k < 40; k++, sent++) {
        int runner = k % 9 == 0 ? 0 : 1 + k % (RUNNERS - 1);
        int q = runner == 0 ? 1 : k % 4;
        json_decref(call(f, "append_price",
                         json_pack("{s:{s:I,s:s,s:s,s:i,s:I}}", "price", "selection_id",
                                   (json_int_t)f->sel_id[RACES - 1][runner], "provider", pv[q],
                                   "market", mk[q][(k / 4) % 2], "odds", 200 + 7 * k, "ts",
                                   (json_int_t)(t + k / 4))));
    }
    json_decref(call(f, "append_price",
                     json_pack("{s:{s:I,s:s,s:s,s:i,s:I}}", "price", "selection_id",
                               (json_int_t)f->sel_id[RACES - 1][2], "provider", "tab", "market",
                               "fixed_win", "odds", 999, "ts", (json_int_t)(t - 1000))));
    /* the last event: once the card shows it, it has taken every one before */
    want last = {.race_id = race, .sel_id = f->sel_id[RACES - 1][1], .price = 12.34};
    json_decref(call(f, "append_price",
                     json_pack("{s:{s:I,s:s,s:s,s:i,s:I}}", "price", "selection_id",
                               (json_int_t)last.sel_id, "provider", "oddzy", "market",
                               "fixed_win", "odds", 1234, "ts", (json_int_t)(t + 20))));
    sent += 2;
    assert_true(card_shows(f, path, &last));
    int64_t took_ms = (now_us() - t0) / 1000;
    sleep_us(200000); /* a render still due would show here */
    odz_bus_unsubscribe(f->bus, sub);
    json_t *sj = get_json(f, sched), *nj = get_json(f, "/api/racing/next?limit=100");
    assert_non_null(sj);
    assert_non_null(nj);
    json_decref(sj);
    json_decref(nj);

    double patches = rebuilds("event_patch") - pat0;
    print_message("%d price events and a book in %lld ms: %.0f renders from memory, %.0f "
                  "service rebuilds, %d racing.racecard requests\n",
                  sent, (long long)took_ms, patches, rebuilds("service") - svc0,
                  atomic_load(&racecard_requests));
    assert_int_equal(atomic_load(&racecard_requests), 0);
    assert_true(rebuilds("service") == svc0);
    assert_true(odz_metric_value(refused) == ref0);
    assert_true(patches >= 1);
    assert_true(patches <= 2 + (took_ms + 200) / 50); /* coalesced: one per 50 ms at most */

    /* byte for byte the service's card of the same state */
    size_t n = 0;
    char *body = get_body(f, path, &n);
    assert_non_null(body);
    json_t *served = json_loadb(body, n, 0, NULL), *fresh =
        call(f, "racecard", json_pack("{s:I}", "race_id", (json_int_t)race));
    assert_non_null(served);
    assert_int_equal(json_object_set(fresh, "now", json_object_get(served, "now")), 0);
    char *want_txt = odz_json_dumps(fresh);
    assert_non_null(want_txt);
    if (strlen(want_txt) != n || memcmp(want_txt, body, n))
        fail_msg("patched card differs from the service's:\n%.*s\n%s", (int)n, body, want_txt);
    assert_non_null(strstr(body, "\"betfair\":{\"back\":[{\"price\":4.1"));
    free(want_txt);
    free(body);
    json_decref(served);
    json_decref(fresh);
}

static atomic_int flucs_requests;

/* 1 once the flucs at `path` end on w's price in fixed_win (polled for up to 10 s). */
static int flucs_shows(fx *f, const char *path, const want *w)
{
    return view_shows(f, path, flucs_price, w);
}

/* Price events patch cached flucs (every runner's price history) from memory: no rebuild
 * through the racing service (oddzy_view_rebuilds_total{cause="service"} stays, no
 * racing.flucs request), and the flucs served are byte for byte the service's for the same
 * history, the rule of our own price first included (another provider's fixed odds hidden,
 * its tote and exchange shown). An event whose "previous" odds are not the latest the view
 * holds (a point in between never reached it) is refused and the service rebuilds. */
static void price_events_patch_the_flucs(void **state)
{
    fx *f = *state;
    int64_t race = f->race_id[RACES - 3];
    char path[128];
    snprintf(path, sizeof path, "/api/races/%lld/flucs", (long long)race);
    json_decref(get_json(f, path));
    json_decref(get_json(f, path));
    sleep_us(100000);
    double svc0 = rebuilds("service"), pat0 = rebuilds("event_patch");
    odz_metric *refused = odz_counter("oddzy_view_patches_refused_total", NULL, NULL);
    double ref0 = odz_metric_value(refused);
    atomic_store(&flucs_requests, 0);
    int64_t sub =
        odz_bus_subscribe(f->bus, "racing.flucs", NULL, 64, count_requests, &flucs_requests);
    assert_true(sub > 0);

    int64_t t = odz_now();
    static const char *const pv[] = {"oddzy", "tab", "ladbrokes", "betfair"};
    static const char *const mk[4][2] = {{"fixed_win", "fixed_place"},
                                         {"fixed_win", "tote_win"},
                                         {"fixed_place", "fixed_win"},
                                         {"exchange_back", "exchange_lay"}};
    for (int k = 0; k < 40; k++) {
        int runner = 1 + k % (RUNNERS - 1), q = k % 4; /* the first keeps its price */
        json_decref(call(f, "append_price",
                         json_pack("{s:{s:I,s:s,s:s,s:i,s:I}}", "price", "selection_id",
                                   (json_int_t)f->sel_id[RACES - 3][runner], "provider", pv[q],
                                   "market", mk[q][(k / 4) % 2], "odds", 200 + 7 * k, "ts",
                                   (json_int_t)(t + k / 4))));
    }
    want last = {.race_id = race, .sel_id = f->sel_id[RACES - 3][RUNNERS - 1], .price = 12.34};
    json_decref(call(f, "append_price",
                     json_pack("{s:{s:I,s:s,s:s,s:i,s:I}}", "price", "selection_id",
                               (json_int_t)last.sel_id, "provider", "oddzy", "market", "fixed_win",
                               "odds", 1234, "ts", (json_int_t)(t + 20))));
    assert_true(flucs_shows(f, path, &last));
    sleep_us(200000); /* a render still due would show here */
    odz_bus_unsubscribe(f->bus, sub);
    double patches = rebuilds("event_patch") - pat0;
    print_message("41 price events: %.0f flucs renders from memory, %.0f service rebuilds, %d "
                  "racing.flucs requests\n",
                  patches, rebuilds("service") - svc0, atomic_load(&flucs_requests));
    assert_int_equal(atomic_load(&flucs_requests), 0);
    assert_true(rebuilds("service") == svc0);
    assert_true(odz_metric_value(refused) == ref0);
    assert_true(patches >= 1);

    /* byte for byte the service's flucs of the same history */
    size_t n = 0;
    char *body = get_body(f, path, &n);
    assert_non_null(body);
    json_t *fresh = call(f, "flucs", json_pack("{s:I}", "race_id", (json_int_t)race));
    char *want_txt = odz_json_dumps(fresh);
    assert_non_null(want_txt);
    if (strlen(want_txt) != n || memcmp(want_txt, body, n))
        fail_msg("patched flucs differ from the service's:\n%.*s\n%s", (int)n, body, want_txt);
    assert_non_null(strstr(body, "\"tote_win\":[[")); /* another provider's tote: shown */
    free(want_txt);
    free(body);
    json_decref(fresh);

    /* an event that does not follow the latest point the view holds: refused, rebuilt */
    char subj[64], ev[256];
    snprintf(subj, sizeof subj, "race.%lld.price", (long long)race);
    int len = snprintf(ev, sizeof ev,
                       "{\"race_id\":%lld,\"selection_id\":%lld,\"market\":\"fixed_win\","
                       "\"provider\":\"oddzy\",\"price\":9.99,\"previous\":55.5,\"ts\":%lld}",
                       (long long)race, (long long)last.sel_id, (long long)(t + 30));
    odz_bus_publish(f->bus, subj, ev, (size_t)len, NULL);
    for (int i = 0; i < 500 && rebuilds("service") == svc0; i++)
        sleep_us(10000);
    assert_true(rebuilds("service") == svc0 + 1);
    assert_true(odz_metric_value(refused) == ref0 + 1);
    assert_true(flucs_shows(f, path, &last)); /* the store's history: 9.99 was never stored */

    /* a race update (status, scratching, a retired race's history copied onto this one) may
     * bring points no price event announced: the flucs are built again by the service */
    atomic_store(&flucs_requests, 0);
    sub = odz_bus_subscribe(f->bus, "racing.flucs", NULL, 64, count_requests, &flucs_requests);
    assert_true(sub > 0);
    snprintf(subj, sizeof subj, "race.%lld.updated", (long long)race);
    len = snprintf(ev, sizeof ev, "{\"race_id\":%lld}", (long long)race);
    odz_bus_publish(f->bus, subj, ev, (size_t)len, NULL);
    for (int i = 0; i < 500 && atomic_load(&flucs_requests) == 0; i++) {
        json_decref(get_json(f, path));
        sleep_us(10000);
    }
    odz_bus_unsubscribe(f->bus, sub);
    assert_true(atomic_load(&flucs_requests) >= 1);
}

/* A burst of price events for one race, faster than any render: at most one render from
 * memory per 50 ms (the first a few ms after the burst begins), and the card ends on the
 * burst's last price. The events are published straight on the bus (the store does not have
 * them: a later service rebuild of this card puts the store's prices back). */
static void price_burst_renders_once_per_50ms(void **state)
{
    fx *f = *state;
    int64_t race = f->race_id[RACES - 2], sel = f->sel_id[RACES - 2][3];
    char path[128], subj[64], ev[256];
    snprintf(path, sizeof path, "/api/racing/racecard?race_id=%lld", (long long)race);
    snprintf(subj, sizeof subj, "race.%lld.price", (long long)race);
    json_decref(get_json(f, path));
    sleep_us(100000);
    double svc0 = rebuilds("service"), pat0 = rebuilds("event_patch");
    int64_t t = odz_now() + 100, t0 = now_us();
    const int burst = 500;
    for (int k = 0; k < burst; k++) {
        int n = snprintf(ev, sizeof ev,
                         "{\"race_id\":%lld,\"selection_id\":%lld,\"market\":\"fixed_win\","
                         "\"provider\":\"oddzy\",\"price\":%d.%02d,\"ts\":%lld}",
                         (long long)race, (long long)sel, 2 + k / 100, k % 100,
                         (long long)(t + k));
        odz_bus_publish(f->bus, subj, ev, (size_t)n, NULL);
    }
    /* the card's number for the last price, as odz_json_odds writes it */
    want last = {.race_id = race, .sel_id = sel, .price = (200 + burst - 1) / 100.0};
    assert_true(card_shows(f, path, &last));
    int64_t took_ms = (now_us() - t0) / 1000;
    sleep_us(200000);
    double renders = rebuilds("event_patch") - pat0;
    print_message("%d price events in %lld ms: %.0f renders from memory\n", burst,
                  (long long)took_ms, renders);
    assert_true(rebuilds("service") == svc0);
    assert_true(renders >= 1 && renders <= 2 + (took_ms + 200) / 50);
}

/* A burst of race.<id>.updated (a scraper's first sweep lands a race card every few ms, each
 * changing the schedule): the schedule is rebuilt through the service at most once per 50 ms,
 * not once an event, and still shows the burst's end. */
static void updated_burst_rebuilds_once_per_50ms(void **state)
{
    fx *f = *state;
    char sched[128], subj[64], ev[128];
    snprintf(sched, sizeof sched, "/api/racing/schedule?date=%s", f->day);
    json_decref(get_json(f, sched));
    sleep_us(200000);
    double svc0 = rebuilds("service");
    int64_t t0 = now_us();
    const int burst = 300;
    for (int k = 0; k < burst; k++) {
        int64_t race = f->race_id[k % RACES];
        snprintf(subj, sizeof subj, "race.%lld.updated", (long long)race);
        int n = snprintf(ev, sizeof ev, "{\"race_id\":%lld}", (long long)race);
        odz_bus_publish(f->bus, subj, ev, (size_t)n, NULL);
        if (k % 10 == 9)
            sleep_us(2000); /* spread over about 60 ms, as a sweep spreads them */
    }
    int64_t took_ms = (now_us() - t0) / 1000;
    sleep_us(300000); /* the last gap's build included */
    double svc = rebuilds("service") - svc0;
    print_message("%d updated events in %lld ms: %.0f service rebuilds\n", burst,
                  (long long)took_ms, svc);
    /* every cached view the events name (race cards, flucs, meetings, the schedule, next to
     * jump) once a gap at most: 12-15 here, where a rebuild whenever the last one ended made
     * about 120 */
    assert_true(svc >= 1 && svc <= 60);
}

/* The odds matcher's race.<id>.odds follows the prices the views already heard of: it rebuilds
 * nothing (before, every one rebuilt the schedule, meeting and next-to-jump views). */
static void odds_events_rebuild_nothing(void **state)
{
    fx *f = *state;
    char path[128];
    change_behind_the_api(f, f->race_id[2], f->sel_id[2][0], 321, path, sizeof path);
    json_decref(get_json(f, path));
    sleep_us(300000); /* whatever the change set off is done */
    double before = rebuilds("service") + rebuilds("event_patch");
    char subj[64];
    for (int i = 0; i < 200; i++) {
        snprintf(subj, sizeof subj, "race.%lld.odds", (long long)f->race_id[i % RACES]);
        odz_bus_publish(f->bus, subj, "{}", 2, NULL);
    }
    sleep_us(300000);
    assert_true(rebuilds("service") + rebuilds("event_patch") == before);
}

/* A race update that brings new runners comes before their prices (one write's events): the
 * card's service rebuild is then due, waiting out its 50 ms gap since the last one, and a price
 * of a runner the cached card does not have yet is left to it. It is not refused (it sent no
 * build of its own through the service). */
static void new_runners_prices_wait_for_the_update(void **state)
{
    fx *f = *state;
    int64_t race = f->race_id[4];
    char path[128], subj[64], ev[256];
    snprintf(path, sizeof path, "/api/racing/racecard?race_id=%lld", (long long)race);
    json_decref(get_json(f, path));
    sleep_us(200000);
    odz_metric *refused = odz_counter("oddzy_view_patches_refused_total", NULL, NULL);
    double ref0 = odz_metric_value(refused), svc0 = rebuilds("service");
    snprintf(subj, sizeof subj, "race.%lld.updated", (long long)race);
    int n = snprintf(ev, sizeof ev, "{\"race_id\":%lld}", (long long)race);
    odz_bus_publish(f->bus, subj, ev, (size_t)n, NULL);
    /* once that rebuild has ended, a second write: the update, then a new runner's price */
    int64_t t0 = now_us();
    while (rebuilds("service") == svc0 && now_us() - t0 < 10000000)
        sleep_us(500);
    assert_true(rebuilds("service") > svc0);
    double svc1 = rebuilds("service");
    odz_bus_publish(f->bus, subj, ev, (size_t)n, NULL);
    char psubj[64];
    snprintf(psubj, sizeof psubj, "race.%lld.price", (long long)race);
    n = snprintf(ev, sizeof ev,
                 "{\"race_id\":%lld,\"selection_id\":%lld,\"market\":\"fixed_win\","
                 "\"provider\":\"oddzy\",\"price\":3.45,\"previous\":3.2,\"ts\":%lld}",
                 (long long)race, 987654321LL, (long long)odz_now());
    odz_bus_publish(f->bus, psubj, ev, (size_t)n, NULL);
    t0 = now_us(); /* the gap, the build */
    while (rebuilds("service") < svc1 + 1 && now_us() - t0 < 10000000)
        sleep_us(1000);
    sleep_us(100000);
    assert_true(rebuilds("service") >= svc1 + 1);
    assert_true(odz_metric_value(refused) == ref0);
}

/* How many subscriptions hear a race.<id>.price here: the bus's deliveries of one, once settled
 * (nothing else publishes meanwhile). */
static uint64_t price_listeners(fx *f)
{
    odz_bus_stats a, b;
    odz_bus_get_stats(f->bus, &a);
    odz_bus_publish(f->bus, "race.987655.price", "{}", 2, NULL);
    sleep_us(200000);
    odz_bus_get_stats(f->bus, &b);
    return b.delivered - a.delivered;
}

static double view_hits(void)
{
    return odz_metric_value(odz_counter("oddzy_view_cache_requests_total", NULL, "result=\"hit\""));
}

/* A fresh read (?fresh=1, what the race card page asks once its live subscription is
 * acknowledged) answers with a card that shows every event the view cache has heard of: right
 * after each of five price events has reached it, the first read shows the price, where the
 * bytes held would not have it until the render a few ms later. With nothing pending it is an
 * ordinary hit; fresh=2 is refused. */
static void fresh_read_shows_every_event_heard(void **state)
{
    fx *f = *state;
    int64_t race = f->race_id[5], sel = f->sel_id[5][2];
    char path[128], fresh[160], bad_fresh[160], subj[64], ev[256];
    snprintf(path, sizeof path, "/api/racing/racecard?race_id=%lld", (long long)race);
    snprintf(fresh, sizeof fresh, "%s&fresh=1", path);
    snprintf(bad_fresh, sizeof bad_fresh, "%s&fresh=2", path);
    snprintf(subj, sizeof subj, "race.%lld.price", (long long)race);
    json_decref(get_json(f, path));
    sleep_us(200000);
    uint64_t listeners = price_listeners(f);
    assert_true(listeners >= 1);
    for (int k = 0; k < 5; k++) {
        odz_bus_stats a, b;
        odz_bus_get_stats(f->bus, &a);
        int odds = 611 + 11 * k;
        int n = snprintf(ev, sizeof ev,
                         "{\"race_id\":%lld,\"selection_id\":%lld,\"market\":\"fixed_win\","
                         "\"provider\":\"oddzy\",\"price\":%d.%02d,\"previous\":3.0,"
                         "\"ts\":%lld}",
                         (long long)race, (long long)sel, odds / 100, odds % 100,
                         (long long)odz_now() + 1000 + k);
        odz_bus_publish(f->bus, subj, ev, (size_t)n, NULL);
        int64_t t0 = now_us();
        do { /* every subscription, the view cache's included, has handled it */
            odz_bus_get_stats(f->bus, &b);
        } while (b.delivered - a.delivered < listeners && now_us() - t0 < 10000000);
        assert_true(b.delivered - a.delivered >= listeners);
        json_t *j = get_json(f, fresh);
        want w = {.race_id = race, .sel_id = sel, .price = odds / 100.0};
        assert_non_null(j);
        if (!card_price(j, &w))
            fail_msg("fresh read %d did not show %.2f", k, w.price);
        json_decref(j);
    }
    sleep_us(100000);
    double h0 = view_hits();
    json_decref(get_json(f, fresh));
    assert_true(view_hits() == h0 + 1);
    /* a point of history (older than the price shown) changes nothing: still a hit at once */
    odz_bus_stats a, b;
    odz_bus_get_stats(f->bus, &a);
    int n = snprintf(ev, sizeof ev,
                     "{\"race_id\":%lld,\"selection_id\":%lld,\"market\":\"fixed_win\","
                     "\"provider\":\"oddzy\",\"price\":9.99,\"previous\":3.0,\"ts\":1}",
                     (long long)race, (long long)sel);
    odz_bus_publish(f->bus, subj, ev, (size_t)n, NULL);
    int64_t t0 = now_us();
    do {
        odz_bus_get_stats(f->bus, &b);
    } while (b.delivered - a.delivered < listeners && now_us() - t0 < 10000000);
    h0 = view_hits();
    json_decref(get_json(f, fresh));
    assert_true(view_hits() == h0 + 1);
    assert_null(get_json(f, bad_fresh));
    long status = 0;
    curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 400);
}

/* oddzy_view_event_latency_seconds{cause} from the metrics page: its count and sum. */
static void event_latency(const char *cause, double *count, double *sum)
{
    char *txt = NULL, want_count[96], want_sum[96];
    size_t len = 0;
    *count = *sum = -1;
    assert_int_equal(odz_metrics_render(&txt, &len), 0);
    snprintf(want_count, sizeof want_count,
             "\noddzy_view_event_latency_seconds_count{cause=\"%s\"} ", cause);
    snprintf(want_sum, sizeof want_sum, "\noddzy_view_event_latency_seconds_sum{cause=\"%s\"} ",
             cause);
    const char *c = strstr(txt, want_count), *s = strstr(txt, want_sum);
    if (c)
        *count = strtod(c + strlen(want_count), NULL);
    if (s)
        *sum = strtod(s + strlen(want_sum), NULL);
    free(txt);
    assert_true(*count >= 0 && *sum >= 0);
}

/* The event-to-view latency is measured where it happens: a price event that patches a cached
 * card and a status event that rebuilds it through the service each add one observation of
 * their cause, no longer than the time from publishing the event to reading the view that
 * shows it; an event of a race whose views are not cached adds none. */
static void event_to_view_latency_is_measured(void **state)
{
    fx *f = *state;
    int64_t race = f->race_id[3], sel = f->sel_id[3][1];
    char path[128], subj[64], ev[256];
    snprintf(path, sizeof path, "/api/racing/racecard?race_id=%lld", (long long)race);
    json_decref(get_json(f, path));
    sleep_us(200000); /* whatever caching it set off is done */
    double pc0, ps0, sc0, ss0;
    event_latency("event_patch", &pc0, &ps0);
    event_latency("service", &sc0, &ss0);

    /* a race nobody looked at: nothing cached, nothing measured */
    snprintf(subj, sizeof subj, "race.%lld.price", 987654LL);
    odz_bus_publish(f->bus, subj, "{\"race_id\":987654}", 18, NULL);

    int64_t t0 = now_us();
    snprintf(subj, sizeof subj, "race.%lld.price", (long long)race);
    int n = snprintf(ev, sizeof ev,
                     "{\"race_id\":%lld,\"selection_id\":%lld,\"market\":\"fixed_win\","
                     "\"provider\":\"oddzy\",\"price\":8.76,\"previous\":3.0,\"ts\":%lld}",
                     (long long)race, (long long)sel, (long long)odz_now() + 500);
    odz_bus_publish(f->bus, subj, ev, (size_t)n, NULL);
    want w = {.race_id = race, .sel_id = sel, .price = 8.76};
    assert_true(card_shows(f, path, &w));
    double shown_s = (double)(now_us() - t0) / 1e6;
    sleep_us(100000);
    double all_s = (double)(now_us() - t0) / 1e6, pc1, ps1;
    event_latency("event_patch", &pc1, &ps1);
    print_message("a price event: %.0f observation(s), %.2f ms in all (the card shown to a reader "
                  "after %.2f ms)\n",
                  pc1 - pc0, (ps1 - ps0) * 1000, shown_s * 1000);
    /* the card's render, and the race's cached flucs' when the event's "previous" is the point
     * they hold (else they go to the service): each no longer than publishing to now */
    assert_true(pc1 - pc0 >= 1 && pc1 - pc0 <= 2);
    assert_true(ps1 - ps0 > 0 && ps1 - ps0 <= (pc1 - pc0) * all_s);

    /* a status change: the card goes back to the racing service */
    t0 = now_us();
    json_t *r = call(f, "get_race", json_pack("{s:I}", "race_id", (json_int_t)race));
    json_object_set_new(r, "status", json_string("INTERIM"));
    json_decref(call(f, "update_race", json_pack("{s:o}", "race", r)));
    want st = {.race_id = race, .status = "INTERIM"};
    assert_true(view_shows(f, path, card_status, &st));
    shown_s = (double)(now_us() - t0) / 1e6;
    sleep_us(100000);
    double sc1, ss1;
    event_latency("service", &sc1, &ss1);
    print_message("a status event: %.0f observation(s), %.2f ms in all (shown after %.2f ms)\n",
                  sc1 - sc0, (ss1 - ss0) * 1000, shown_s * 1000);
    assert_true(sc1 - sc0 >= 1); /* the card, and the other cached views of the race day */
    assert_true(ss1 - ss0 > 0);
}

/* A view whose event was lost is still repaired: a change is written behind the API's back (no
 * event), then a flood overflows the view cache's bus queue; the lost events are reported with
 * the next delivery (odz_msg.missed) and every view is rebuilt, so the race card shows it. */
static void missed_events_rebuild_every_view(void **state)
{
    fx *f = *state;
    char path[128];
    int64_t race = f->race_id[1], sel = f->sel_id[1][2];
    change_behind_the_api(f, race, sel, 777, path, sizeof path);
    want w = {.race_id = race, .sel_id = sel, .price = 7.77};
    json_t *card = get_json(f, path);
    assert_false(card && card_price(card, &w)); /* no event: the cached card does not know */
    json_decref(card);
    odz_bus_stats before, after;
    odz_bus_get_stats(f->bus, &before);
    /* only the view cache listens to race.>: events of another race, faster than it takes them */
    for (int i = 0; i < 300000; i++)
        odz_bus_publish(f->bus, "race.999999.noise", "{}", 2, NULL);
    odz_bus_get_stats(f->bus, &after);
    assert_true(after.dropped > before.dropped);
    assert_true(card_shows(f, path, &w));
    assert_true(odz_metric_value(odz_counter("oddzy_view_resyncs_total", NULL, NULL)) > 0);
    print_message("flood: %llu events dropped; every view rebuilt once the loss was reported\n",
                  (unsigned long long)(after.dropped - before.dropped));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(price_events_patch_the_card),
        cmocka_unit_test(price_events_patch_the_flucs),
        cmocka_unit_test(price_burst_renders_once_per_50ms),
        cmocka_unit_test(updated_burst_rebuilds_once_per_50ms),
        cmocka_unit_test(price_reaches_racecard_and_flucs),
        cmocka_unit_test(scratching_reaches_racecard),
        cmocka_unit_test(status_reaches_racecard_schedule_next),
        cmocka_unit_test(failed_rebuild_is_retried),
        cmocka_unit_test(odds_events_rebuild_nothing),
        cmocka_unit_test(event_to_view_latency_is_measured),
        cmocka_unit_test(new_runners_prices_wait_for_the_update),
        cmocka_unit_test(fresh_read_shows_every_event_heard),
        cmocka_unit_test(missed_events_rebuild_every_view),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

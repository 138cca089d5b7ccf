/* Odds matcher benchmark (not a test; bench/matcher.sh runs it). RACES open races of RUNNERS
 * runners, BOOKS bookmakers and the exchange (win back and lay, place lay) held by the
 * matcher (racing/matcher.h); a driver applies --rate price changes a second for --seconds,
 * each a bookmaker's win price or the exchange's lay of a random runner, and a client
 * subscribed on the in-process bus receives what is published.
 *
 *   --mode incremental  the matcher as built: a change recomputes and publishes its runner's
 *                       rows (odds.matcher) and the race's best prices and percentages
 *                       (race.<id>.odds), inside the call that applies it;
 *   --mode naive        the state only takes the change; a loop recomputes every row of every
 *                       race (the whole matcher, as a view rebuilt on every change would) and
 *                       publishes it, race by race, again and again while changes come.
 *
 * Prints one JSON line: changes applied, CPU seconds spent keeping the matcher current (the
 * driver's time inside the matcher, plus the naive loop), CPU as % of one core, and the latency
 * from a change to the client's receipt of a row that includes it (p50, p99, max; one sample
 * per change). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "core/json.h"
#include "racing/matcher.h"

#define RACES 100
#define RUNNERS 12
#define BOOKS 10
#define PENDING_MAX 256

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- latency samples ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double *samples;
static size_t n_samples, cap_samples;
static uint64_t deliveries;

static void sample(int64_t change_ns, int64_t at)
{
    if (n_samples < cap_samples)
        samples[n_samples++] = (double)(at - change_ns) / 1e6;
}

/* incremental: the changes of each runner not yet delivered */
static struct {
    int64_t t[PENDING_MAX];
    size_t n;
} pending[RACES][RUNNERS];

/* naive: the time of change seq i, and how far the client has counted */
static int64_t *change_at;
static atomic_long seq;
static long counted;

static void on_rows(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    (void)ud;
    int64_t at = now_ns(CLOCK_MONOTONIC);
    long race = 0, sel = 0;
    /* {"race_id":R,"selection_id":S,...}: runner S - 1000 x R of race R */
    if (sscanf(m->data, "{\"race_id\":%ld,\"selection_id\":%ld", &race, &sel) != 2)
        return;
    long ri = sel - race * 1000;
    if (race < 1 || race > RACES || ri < 0 || ri >= RUNNERS)
        return;
    pthread_mutex_lock(&lock);
    deliveries++;
    for (size_t i = 0; i < pending[race - 1][ri].n; i++)
        sample(pending[race - 1][ri].t[i], at);
    pending[race - 1][ri].n = 0;
    pthread_mutex_unlock(&lock);
}

static void on_snapshot(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    (void)ud;
    int64_t at = now_ns(CLOCK_MONOTONIC);
    if (!m->corr_id || !*m->corr_id)
        return; /* not the last race of a round */
    long upto = strtol(m->corr_id, NULL, 10);
    pthread_mutex_lock(&lock);
    deliveries++;
    for (; counted < upto; counted++)
        sample(change_at[counted], at);
    pthread_mutex_unlock(&lock);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- the naive loop ---- */

static odz_matcher *M;
static odz_bus *BUS;
static atomic_int stop;
static int64_t naive_cpu_ns;

static void *naive_loop(void *arg)
{
    (void)arg;
    odz_matcher_query q;
    char err[256];
    odz_matcher_query_parse("", &q, err, sizeof err);
    q.limit = RUNNERS * BOOKS; /* every row of a race */
    q.n_races = 1;
    long done = 0;
    int64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    while (!atomic_load(&stop)) {
        long s = atomic_load(&seq);
        if (s == done) {
            struct timespec d = {0, 100000};
            nanosleep(&d, NULL);
            continue;
        }
        for (int r = 1; r <= RACES; r++) {
            q.races[0] = r;
            json_t *rows = odz_matcher_rows(M, &q, 0);
            char *txt = odz_json_dumps(rows);
            char corr[32] = "";
            if (r == RACES)
                snprintf(corr, sizeof corr, "%ld", s);
            odz_bus_publish(BUS, "bench.snapshot", txt, strlen(txt), corr);
            free(txt);
            json_decref(rows);
        }
        done = s;
    }
    naive_cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}

/* ---- setup ---- */

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *book_name(int k)
{
    static char names[BOOKS][16];
    snprintf(names[k], sizeof names[k], "book%02d", k);
    return names[k];
}

static int odds[RACES][RUNNERS][BOOKS + 1]; /* bookmakers, then the exchange lay */

static void put_races(void)
{
    for (int r = 0; r < RACES; r++) {
        odz_race race = {.id = r + 1,
                         .number = 1 + r % 10,
                         .status = ODZ_OPEN,
                         .scheduled_start = 100000 + 300 * r};
        snprintf(race.name, sizeof race.name, "Race %d", r + 1);
        odz_meeting mt = {.id = 1 + r / 10, .type = (odz_race_type)(r % 3)};
        snprintf(mt.name, sizeof mt.name, "Venue %d", r / 10);
        odz_selections ss = {0};
        odz_prices ps = {0};
        for (int i = 0; i < RUNNERS; i++) {
            odz_selection s = {.id = (r + 1) * 1000 + i, .race_id = r + 1, .number = i + 1};
            snprintf(s.name, sizeof s.name, "Runner %d-%d", r + 1, i + 1);
            odz_selections_push(&ss, &s);
            int fair = 300 + (int)(next_rand() % 1500);
            for (int k = 0; k <= BOOKS; k++) {
                odds[r][i][k] = k < BOOKS ? fair - (int)(next_rand() % 40) : fair + 10;
                odz_price p = {.selection_id = s.id,
                               .market = k < BOOKS ? ODZ_FIXED_WIN : ODZ_EXCHANGE_LAY,
                               .odds = odds[r][i][k],
                               .ts = 1};
                snprintf(p.provider, sizeof p.provider, "%s", k < BOOKS ? book_name(k) : "betfair");
                odz_prices_push(&ps, &p);
            }
            odz_price b = {
                .selection_id = s.id, .market = ODZ_EXCHANGE_BACK, .odds = fair, .ts = 1};
            snprintf(b.provider, sizeof b.provider, "betfair");
            odz_prices_push(&ps, &b);
            odz_price pl = {.selection_id = s.id,
                            .market = ODZ_EXCHANGE_LAY,
                            .odds = 100 + (fair - 100) / 4 + 5,
                            .ts = 1};
            snprintf(pl.provider, sizeof pl.provider, "betfair_place");
            odz_prices_push(&ps, &pl);
        }
        odz_matcher_put_race(M, &race, &mt, &ss, &ps, NULL);
        odz_selections_free(&ss);
        odz_prices_free(&ps);
    }
}

int main(int argc, char **argv)
{
    const char *mode = "incremental";
    int rate = 1000, seconds = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--mode"))
            mode = argv[i + 1];
        else if (!strcmp(argv[i], "--rate"))
            rate = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atoi(argv[i + 1]);
    }
    bool naive = !strcmp(mode, "naive");
    if (rate < 1 || rate > 100000 || seconds < 1 || seconds > 600 ||
        (!naive && strcmp(mode, "incremental"))) {
        fprintf(stderr, "usage: bench_matcher --mode incremental|naive --rate N --seconds S\n");
        return 2;
    }
    long total = (long)rate * seconds;
    cap_samples = (size_t)total;
    samples = calloc(cap_samples, sizeof *samples);
    change_at = calloc((size_t)total + 1, sizeof *change_at);
    BUS = odz_bus_inproc_new();
    odz_bus_subscribe(BUS, naive ? "bench.snapshot" : ODZ_MATCHER_SUBJECT, NULL, 65536,
                        naive ? on_snapshot : on_rows, NULL);
    M = odz_matcher_new(naive ? NULL : BUS);
    put_races();
    /* one GET /api/oddsmatcher's work (every row for 10.00 at 5 %, the best 100), under the lock */
    odz_matcher_query gq;
    char gerr[256];
    odz_matcher_query_parse("", &gq, gerr, sizeof gerr);
    int64_t g0 = now_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < 10; i++)
        json_decref(odz_matcher_rows(M, &gq, 0));
    double query_ms = (double)(now_ns(CLOCK_MONOTONIC) - g0) / 1e7;
    struct timespec settle = {0, 300000000};
    nanosleep(&settle, NULL);
    pthread_mutex_lock(&lock);
    n_samples = 0;
    deliveries = 0;
    pthread_mutex_unlock(&lock);

    pthread_t nt;
    if (naive)
        pthread_create(&nt, NULL, naive_loop, NULL);
    int64_t start = now_ns(CLOCK_MONOTONIC), cpu = 0;
    for (long c = 0; c < total; c++) {
        int64_t due = start + c * 1000000000LL / rate;
        int64_t t = now_ns(CLOCK_MONOTONIC);
        if (due > t) {
            struct timespec d = {(time_t)((due - t) / 1000000000), (long)((due - t) % 1000000000)};
            nanosleep(&d, NULL);
        }
        int r = (int)(next_rand() % RACES), i = (int)(next_rand() % RUNNERS),
            k = (int)(next_rand() % (BOOKS + 1));
        int o = odds[r][i][k] + ((next_rand() & 1) ? 10 : -10);
        if (o < 150)
            o = 160;
        odds[r][i][k] = o;
        odz_price p = {.selection_id = (r + 1) * 1000 + i,
                       .market = k < BOOKS ? ODZ_FIXED_WIN : ODZ_EXCHANGE_LAY,
                       .odds = o,
                       .ts = 2};
        snprintf(p.provider, sizeof p.provider, "%s", k < BOOKS ? book_name(k) : "betfair");
        int64_t now = now_ns(CLOCK_MONOTONIC);
        change_at[c] = now;
        if (!naive) {
            pthread_mutex_lock(&lock);
            if (pending[r][i].n < PENDING_MAX)
                pending[r][i].t[pending[r][i].n++] = now;
            pthread_mutex_unlock(&lock);
        }
        int64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        odz_matcher_price(M, r + 1, &p, -1);
        cpu += now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        atomic_store(&seq, c + 1);
    }
    int64_t wall = now_ns(CLOCK_MONOTONIC) - start;
    /* let the last deliveries arrive (naive: the round in progress and one more) */
    for (int w = 0; w < 600; w++) {
        struct timespec d = {0, 10000000};
        nanosleep(&d, NULL);
        pthread_mutex_lock(&lock);
        bool all = naive ? counted >= total : n_samples >= (size_t)total;
        pthread_mutex_unlock(&lock);
        if (all)
            break;
    }
    atomic_store(&stop, 1);
    if (naive)
        pthread_join(nt, NULL);
    cpu += naive_cpu_ns;
    pthread_mutex_lock(&lock);
    size_t n = n_samples;
    qsort(samples, n, sizeof *samples, cmp_double);
    double p50 = n ? samples[n / 2] : -1, p99 = n ? samples[n * 99 / 100] : -1,
           max = n ? samples[n - 1] : -1;
    printf("{\"mode\":\"%s\",\"races\":%d,\"runners\":%d,\"bookmakers\":%d,\"rate\":%d,"
           "\"seconds\":%d,\"changes\":%ld,\"samples\":%zu,\"deliveries\":%llu,"
           "\"cpu_s\":%.3f,\"cpu_pct\":%.2f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
           "\"query_ms\":%.3f}\n",
           mode, RACES, RUNNERS, BOOKS, rate, seconds, total, n, (unsigned long long)deliveries,
           cpu / 1e9, 100.0 * (double)cpu / (double)wall, p50, p99, max, query_ms);
    pthread_mutex_unlock(&lock);
    odz_bus_close(BUS);
    odz_matcher_free(M);
    free(samples);
    free(change_at);
    return 0;
}

/* Prometheus metrics registry: lock-free updates, get-or-create by name+labels, text render. */
#include "obs/metrics.h"
#include "core/sort.h"
#include "core/utf8.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/grow.h"

enum { T_COUNTER, T_GAUGE, T_HISTOGRAM };
static const char *const type_names[] = {"counter", "gauge", "histogram"};

#define MAX_LABEL_PAIRS 32

typedef struct family {
    char *name;
    char *help;
    int type;
    double *bounds; /* histogram upper bounds, +Inf implied */
    size_t nb;
    odz_metric **series; /* registration order */
    size_t n, cap;
} family;

struct odz_metric {
    family *fam;
    char *labels; /* canonical: pairs sorted by name, no spaces; "" for none */
    uint64_t hash;
    _Atomic uint64_t ival;     /* counter: integral increments */
    _Atomic uint64_t dbits;    /* counter: fractional adds; gauge: value; histogram: sum */
    _Atomic uint64_t *buckets; /* histogram: nb + 1 counts, not cumulative; last is +Inf */
};

typedef struct {
    odz_metrics_collect_fn fn;
    void *ud;
} collector;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static family **g_fams; /* all under g_mu */
static size_t g_nfam, g_capfam;
static odz_metric **g_tab; /* open addressing on hash(name, labels); power-of-2 size */
static size_t g_tabcap, g_nseries;
static collector g_coll[ODZ_METRICS_MAX_COLLECTORS];
static size_t g_ncoll;
static char g_version[64] = "dev";
static struct timespec g_start, g_start_real; /* monotonic (uptime) and wall clock */

static const double default_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};

__attribute__((constructor)) static void metrics_record_start(void)
{
    clock_gettime(CLOCK_MONOTONIC, &g_start);
    clock_gettime(CLOCK_REALTIME, &g_start_real);
}

static uint64_t d2u(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double u2d(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void atomic_add_double(_Atomic uint64_t *a, double v)
{
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed), nw;
    do {
        nw = d2u(u2d(old) + v);
    } while (!atomic_compare_exchange_weak_explicit(a, &old, nw, memory_order_relaxed,
                                                    memory_order_relaxed));
}

/* ---- validation and canonical label text ---- */

static int name_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!alpha && !(p > s && c >= '0' && c <= '9'))
            return 0;
    }
    return 1;
}

/* Names the renderer writes itself. */
static int name_reserved(const char *s)
{
    return strncmp(s, "oddzy_process_", 14) == 0 || strcmp(s, "oddzy_build_info") == 0;
}

static int is_lname_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_lname_char(char c)
{
    return is_lname_start(c) || (c >= '0' && c <= '9');
}

typedef struct {
    const char *name, *val; /* val: the escaped text between the quotes */
    size_t nlen, vlen;
} lpair;

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Parse `a="x", b="y"` into canonical `a="x",b="y"` (sorted by name) in out[cap].
 * Escapes allowed in values: \\ \" \n. 0 or ODZ_EINVAL. */
static int labels_canon(const char *in, int histogram, char *out, size_t cap)
{
    lpair pr[MAX_LABEL_PAIRS];
    size_t np = 0;
    const char *p = in ? in : "";
    if (strlen(p) >= cap)
        return ODZ_EINVAL;
    for (;;) {
        p = skip_ws(p);
        if (!*p)
            break;
        if (np == MAX_LABEL_PAIRS || !is_lname_start(*p))
            return ODZ_EINVAL;
        lpair *l = &pr[np++];
        l->name = p;
        while (is_lname_char(*p))
            p++;
        l->nlen = (size_t)(p - l->name);
        p = skip_ws(p);
        if (*p++ != '=')
            return ODZ_EINVAL;
        p = skip_ws(p);
        if (*p++ != '"')
            return ODZ_EINVAL;
        l->val = p;
        while (*p != '"') {
            const unsigned char c = (unsigned char)*p;
            int n;
            if (c == '\0' || c < 0x20 || c == 0x7F)
                return ODZ_EINVAL;
            if (c == '\\') {
                if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
                    return ODZ_EINVAL;
                p += 2;
            } else if (c < 0x80) {
                p++;
            } else if ((n = odz_utf8_seq((const unsigned char *)p, 4)) > 0) {
                p += n;
            } else {
                return ODZ_EINVAL;
            }
        }
        l->vlen = (size_t)(p - l->val);
        p = skip_ws(p + 1);
        if (*p == ',')
            p++;
        else if (*p)
            return ODZ_EINVAL;
        if ((l->nlen >= 2 && l->name[0] == '_' && l->name[1] == '_') ||
            (histogram && l->nlen == 2 && memcmp(l->name, "le", 2) == 0))
            return ODZ_EINVAL;
    }
    /* insertion sort by name; duplicates rejected */
    for (size_t i = 1; i < np; i++) {
        lpair t = pr[i];
        size_t j = i;
        while (j > 0) {
            size_t m = t.nlen < pr[j - 1].nlen ? t.nlen : pr[j - 1].nlen;
            int c = memcmp(pr[j - 1].name, t.name, m);
            if (c == 0 && pr[j - 1].nlen == t.nlen)
                return ODZ_EINVAL;
            if (c < 0 || (c == 0 && pr[j - 1].nlen < t.nlen))
                break;
            pr[j] = pr[j - 1];
            j--;
        }
        pr[j] = t;
    }
    size_t len = 0;
    for (size_t i = 0; i < np; i++) {
        /* name="value", : never longer than the input, which fits */
        if (i)
            out[len++] = ',';
        memcpy(out + len, pr[i].name, pr[i].nlen);
        len += pr[i].nlen;
        out[len++] = '=';
        out[len++] = '"';
        memcpy(out + len, pr[i].val, pr[i].vlen);
        len += pr[i].vlen;
        out[len++] = '"';
    }
    out[len] = '\0';
    return 0;
}

static uint64_t hash_key(const char *name, const char *labels)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    h = (h ^ 0xFF) * 0x100000001b3ull;
    for (const unsigned char *p = (const unsigned char *)labels; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h;
}

/* ---- registry (all under g_mu) ---- */

static odz_metric *tab_find(const char *name, const char *labels, uint64_t h)
{
    if (!g_tabcap)
        return NULL;
    for (size_t i = h & (g_tabcap - 1);; i = (i + 1) & (g_tabcap - 1)) {
        odz_metric *m = g_tab[i];
        if (!m)
            return NULL;
        if (m->hash == h && strcmp(m->fam->name, name) == 0 && strcmp(m->labels, labels) == 0)
            return m;
    }
}

static void tab_put(odz_metric **tab, size_t cap, odz_metric *m)
{
    size_t i = m->hash & (cap - 1);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = m;
}

static int tab_grow(void)
{
    if ((g_nseries + 1) * 2 <= g_tabcap)
        return 0;
    size_t cap = g_tabcap ? g_tabcap * 2 : 64;
    odz_metric **t = calloc(cap, sizeof *t);
    if (!t)
        return ODZ_ENOMEM;
    for (size_t i = 0; i < g_tabcap; i++)
        if (g_tab[i])
            tab_put(t, cap, g_tab[i]);
    free(g_tab);
    g_tab = t;
    g_tabcap = cap;
    return 0;
}

static family *fam_find(const char *name)
{
    for (size_t i = 0; i < g_nfam; i++)
        if (strcmp(g_fams[i]->name, name) == 0)
            return g_fams[i];
    return NULL;
}

static void fam_free(family *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->series[i]->labels);
        free((void *)f->series[i]->buckets);
        free(f->series[i]);
    }
    free(f->series);
    free(f->name);
    free(f->help);
    free(f->bounds);
    free(f);
}

static family *fam_new(const char *name, const char *help, int type, const double *b, size_t nb)
{
    if (g_nfam == g_capfam) {
        size_t cap = g_capfam ? g_capfam * 2 : 32;
        family **n = realloc(g_fams, cap * sizeof *n);
        if (!n)
            return NULL;
        g_fams = n;
        g_capfam = cap;
    }
    family *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    if (nb) {
        f->bounds = malloc(nb * sizeof *b);
        if (f->bounds)
            memcpy(f->bounds, b, nb * sizeof *b);
        f->nb = nb;
    }
    if (!f->name || !f->help || (nb && !f->bounds)) {
        fam_free(f);
        return NULL;
    }
    g_fams[g_nfam++] = f;
    return f;
}

static int same_bounds(const family *f, const double *b, size_t nb)
{
    return f->nb == nb && (nb == 0 || memcmp(f->bounds, b, nb * sizeof *b) == 0);
}

static odz_metric *get_or_create(int type, const char *name, const char *help, const char *labels,
                                 const double *b, size_t nb)
{
    char canon[ODZ_METRICS_MAX_LABELS_LEN];
    if (!name_ok(name) || name_reserved(name) ||
        labels_canon(labels, type == T_HISTOGRAM, canon, sizeof canon) < 0)
        return NULL;
    uint64_t h = hash_key(name, canon);
    odz_metric *m = NULL;

    pthread_mutex_lock(&g_mu);
    family *f = NULL;
    odz_metric *found = tab_find(name, canon, h);
    if (found) {
        f = found->fam;
        if (f->type == type && same_bounds(f, b, nb))
            m = found;
        goto out;
    }
    f = fam_find(name);
    if (f && (f->type != type || !same_bounds(f, b, nb)))
        goto out;
    if (g_nseries >= ODZ_METRICS_MAX_SERIES || tab_grow() < 0)
        goto out;
    if (!f && !(f = fam_new(name, help, type, b, nb)))
        goto out;
    odz_metric **s = odz_grow(f->series, f->n, &f->cap, sizeof *s, 8);
    if (!s)
        goto out;
    f->series = s;
    odz_metric *nm = calloc(1, sizeof *nm);
    if (!nm)
        goto out;
    nm->fam = f;
    nm->hash = h;
    nm->labels = strdup(canon);
    if (type == T_HISTOGRAM)
        nm->buckets = calloc(nb + 1, sizeof *nm->buckets);
    if (!nm->labels || (type == T_HISTOGRAM && !nm->buckets)) {
        free(nm->labels);
        free(nm);
        goto out;
    }
    f->series[f->n++] = nm;
    tab_put(g_tab, g_tabcap, nm);
    g_nseries++;
    m = nm;
out:
    pthread_mutex_unlock(&g_mu);
    return m;
}

odz_metric *odz_counter(const char *name, const char *help, const char *labels)
{
    return get_or_create(T_COUNTER, name, help, labels, NULL, 0);
}

odz_metric *odz_gauge(const char *name, const char *help, const char *labels)
{
    return get_or_create(T_GAUGE, name, help, labels, NULL, 0);
}

odz_metric *odz_histogram(const char *name, const char *help, const char *labels,
                          const double *buckets, size_t n)
{
    if (!buckets) {
        buckets = default_buckets;
        n = sizeof default_buckets / sizeof *default_buckets;
    }
    if (n > 0 && isinf(buckets[n - 1]) && buckets[n - 1] > 0)
        n--;
    if (n == 0 || n > ODZ_METRICS_MAX_BUCKETS)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1])))
            return NULL;
    return get_or_create(T_HISTOGRAM, name, help, labels, buckets, n);
}

/* ---- updates: no locks ---- */

void odz_metric_inc(odz_metric *m)
{
    if (!m)
        return;
    if (m->fam->type == T_COUNTER)
        atomic_fetch_add_explicit(&m->ival, 1, memory_order_relaxed);
    else if (m->fam->type == T_GAUGE)
        atomic_add_double(&m->dbits, 1.0);
}

void odz_metric_add(odz_metric *m, double v)
{
    if (!m || isnan(v))
        return;
    if (m->fam->type == T_COUNTER) {
        if (v < 0)
            return;
        if (v < 9007199254740992.0 && v == floor(v))
            atomic_fetch_add_explicit(&m->ival, (uint64_t)v, memory_order_relaxed);
        else
            atomic_add_double(&m->dbits, v);
    } else if (m->fam->type == T_GAUGE) {
        atomic_add_double(&m->dbits, v);
    }
}

void odz_metric_set(odz_metric *m, double v)
{
    if (!m)
        return;
    if (m->fam->type == T_GAUGE) {
        atomic_store_explicit(&m->dbits, d2u(v), memory_order_relaxed);
    } else if (m->fam->type == T_COUNTER && v >= 0) {
        atomic_store_explicit(&m->dbits, d2u(v), memory_order_relaxed);
        atomic_store_explicit(&m->ival, 0, memory_order_relaxed);
    }
}

void odz_metric_observe(odz_metric *m, double v)
{
    if (!m || m->fam->type != T_HISTOGRAM || isnan(v))
        return;
    const double *b = m->fam->bounds;
    size_t lo = 0, hi = m->fam->nb; /* first bound >= v, or nb for +Inf */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v <= b[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    atomic_fetch_add_explicit(&m->buckets[lo], 1, memory_order_relaxed);
    atomic_add_double(&m->dbits, v);
}

double odz_metric_value(const odz_metric *m)
{
    if (!m)
        return 0;
    odz_metric *w = (odz_metric *)m; /* atomic loads take non-const pointers */
    double d = u2d(atomic_load_explicit(&w->dbits, memory_order_relaxed));
    switch (m->fam->type) {
    case T_COUNTER:
        return (double)atomic_load_explicit(&w->ival, memory_order_relaxed) + d;
    case T_GAUGE:
        return d;
    default: {
        uint64_t n = 0;
        for (size_t i = 0; i <= m->fam->nb; i++)
            n += atomic_load_explicit(&w->buckets[i], memory_order_relaxed);
        return (double)n;
    }
    }
}

/* ---- collectors and settings ---- */

int odz_metrics_on_collect(odz_metrics_collect_fn fn, void *ud)
{
    int rc = 0;
    if (!fn)
        return ODZ_EINVAL;
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < g_ncoll; i++)
        if (g_coll[i].fn == fn && g_coll[i].ud == ud)
            goto out;
    if (g_ncoll == ODZ_METRICS_MAX_COLLECTORS) {
        rc = ODZ_EFULL;
        goto out;
    }
    g_coll[g_ncoll].fn = fn;
    g_coll[g_ncoll].ud = ud;
    g_ncoll++;
out:
    pthread_mutex_unlock(&g_mu);
    return rc;
}

void odz_metrics_off_collect(odz_metrics_collect_fn fn, void *ud)
{
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < g_ncoll; i++) {
        if (g_coll[i].fn == fn && g_coll[i].ud == ud) {
            memmove(&g_coll[i], &g_coll[i + 1], (g_ncoll - i - 1) * sizeof *g_coll);
            g_ncoll--;
            break;
        }
    }
    pthread_mutex_unlock(&g_mu);
}

void odz_metrics_set_version(const char *version)
{
    pthread_mutex_lock(&g_mu);
    snprintf(g_version, sizeof g_version, "%s", version ? version : "dev");
    pthread_mutex_unlock(&g_mu);
}

/* ---- rendering ---- */

typedef odz_text sbuf;

/* Shortest text that reads back as the same double; Prometheus spellings for specials. */
static void fmt_double(char out[40], double v)
{
    if (isnan(v)) {
        memcpy(out, "NaN", 4);
    } else if (isinf(v)) {
        memcpy(out, v > 0 ? "+Inf" : "-Inf", 5);
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, 40, "%.0f", v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(out, 40, "%.*g", prec, v);
            if (strtod(out, NULL) == v)
                break;
        }
    }
}

/* HELP text escapes backslash and newline; label values also escape the double quote. */
static void sb_escaped(sbuf *b, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            odz_text_put(b, "\\\\", 2);
        else if (*s == '\n')
            odz_text_put(b, "\\n", 2);
        else if (quote && *s == '"')
            odz_text_put(b, "\\\"", 2);
        else
            odz_text_put(b, s, 1);
    }
}

static void sb_head(sbuf *b, const char *name, const char *help, const char *type)
{
    odz_text_str(b, "# HELP ");
    odz_text_str(b, name);
    odz_text_str(b, " ");
    sb_escaped(b, help, 0);
    odz_text_str(b, "\n# TYPE ");
    odz_text_str(b, name);
    odz_text_str(b, " ");
    odz_text_str(b, type);
    odz_text_str(b, "\n");
}

/* name{labels[,extra]} value */
static void sb_sample(sbuf *b, const char *name, const char *suffix, const char *labels,
                      const char *extra, const char *value)
{
    odz_text_str(b, name);
    odz_text_str(b, suffix);
    if (*labels || extra) {
        odz_text_str(b, "{");
        odz_text_str(b, labels);
        if (extra) {
            if (*labels)
                odz_text_str(b, ",");
            odz_text_str(b, extra);
        }
        odz_text_str(b, "}");
    }
    odz_text_str(b, " ");
    odz_text_str(b, value);
    odz_text_str(b, "\n");
}

static void render_series(sbuf *b, const family *f, odz_metric *m)
{
    char v[40];
    if (f->type == T_COUNTER) {
        uint64_t i = atomic_load_explicit(&m->ival, memory_order_relaxed);
        double d = u2d(atomic_load_explicit(&m->dbits, memory_order_relaxed));
        if (d == 0)
            snprintf(v, sizeof v, "%" PRIu64, i);
        else
            fmt_double(v, (double)i + d);
        sb_sample(b, f->name, "", m->labels, NULL, v);
    } else if (f->type == T_GAUGE) {
        fmt_double(v, u2d(atomic_load_explicit(&m->dbits, memory_order_relaxed)));
        sb_sample(b, f->name, "", m->labels, NULL, v);
    } else {
        /* _count is the +Inf bucket as read here, so the two always agree */
        uint64_t cum = 0;
        char le[64], bound[40];
        for (size_t i = 0; i <= f->nb; i++) {
            cum += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
            if (i < f->nb)
                fmt_double(bound, f->bounds[i]);
            else
                memcpy(bound, "+Inf", 5);
            snprintf(le, sizeof le, "le=\"%s\"", bound);
            snprintf(v, sizeof v, "%" PRIu64, cum);
            sb_sample(b, f->name, "_bucket", m->labels, le, v);
        }
        fmt_double(v, u2d(atomic_load_explicit(&m->dbits, memory_order_relaxed)));
        sb_sample(b, f->name, "_sum", m->labels, NULL, v);
        snprintf(v, sizeof v, "%" PRIu64, cum);
        sb_sample(b, f->name, "_count", m->labels, NULL, v);
    }
}

static int fam_cmp(const void *a, const void *b)
{
    return strcmp((*(family *const *)a)->name, (*(family *const *)b)->name);
}

static long long read_rss_bytes(void)
{
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = buf, *end;
    strtoull(p, &end, 10); /* size */
    if (end == p)
        return -1;
    p = end;
    unsigned long long pages = strtoull(p, &end, 10); /* resident */
    if (end == p)
        return -1;
    long ps = sysconf(_SC_PAGESIZE);
    return (long long)pages * (ps > 0 ? ps : 4096);
}

static long count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

static void render_process(sbuf *b, const char *version)
{
    char v[40];
    struct timespec now, cpu;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double up = (double)(now.tv_sec - g_start.tv_sec) + (now.tv_nsec - g_start.tv_nsec) / 1e9;
    sb_head(b, "oddzy_process_uptime_seconds", "Seconds since the process started.", "gauge");
    fmt_double(v, up);
    sb_sample(b, "oddzy_process_uptime_seconds", "", "", NULL, v);

    sb_head(b, "oddzy_process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.", "gauge");
    fmt_double(v, (double)g_start_real.tv_sec + (double)(g_start_real.tv_nsec / 1000000) / 1e3);
    sb_sample(b, "oddzy_process_start_time_seconds", "", "", NULL, v);

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0) {
        sb_head(b, "oddzy_process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                "counter");
        fmt_double(v, (double)cpu.tv_sec + cpu.tv_nsec / 1e9);
        sb_sample(b, "oddzy_process_cpu_seconds_total", "", "", NULL, v);
    }

    long long rss = read_rss_bytes();
    if (rss >= 0) {
        sb_head(b, "oddzy_process_resident_memory_bytes", "Resident memory size in bytes.",
                "gauge");
        snprintf(v, sizeof v, "%lld", rss);
        sb_sample(b, "oddzy_process_resident_memory_bytes", "", "", NULL, v);
    }

    long fds = count_open_fds();
    if (fds >= 0) {
        sb_head(b, "oddzy_process_open_fds", "Number of open file descriptors.", "gauge");
        snprintf(v, sizeof v, "%ld", fds);
        sb_sample(b, "oddzy_process_open_fds", "", "", NULL, v);
    }

    sb_head(b, "oddzy_build_info", "Build information; the value is always 1.", "gauge");
    odz_text_str(b, "oddzy_build_info{version=\"");
    sb_escaped(b, version, 1);
    odz_text_str(b, "\"} 1\n");
}

int odz_metrics_render(char **out, size_t *len)
{
    collector coll[ODZ_METRICS_MAX_COLLECTORS];
    size_t ncoll;
    char version[sizeof g_version];
    sbuf b = {0};
    family **fams = NULL;
    size_t nfam;

    *out = NULL;
    if (len)
        *len = 0;
    pthread_mutex_lock(&g_mu);
    ncoll = g_ncoll;
    memcpy(coll, g_coll, ncoll * sizeof *coll);
    pthread_mutex_unlock(&g_mu);
    /* Outside the lock: callbacks get-or-create and update metrics themselves. */
    for (size_t i = 0; i < ncoll; i++)
        coll[i].fn(coll[i].ud);

    pthread_mutex_lock(&g_mu);
    memcpy(version, g_version, sizeof version);
    nfam = g_nfam;
    if (nfam) {
        fams = malloc(nfam * sizeof *fams);
        if (!fams) {
            pthread_mutex_unlock(&g_mu);
            return ODZ_ENOMEM;
        }
        memcpy(fams, g_fams, nfam * sizeof *fams);
        odz_sort(fams, nfam, sizeof *fams, fam_cmp);
    }
    for (size_t i = 0; i < nfam; i++) {
        family *f = fams[i];
        sb_head(&b, f->name, f->help, type_names[f->type]);
        for (size_t j = 0; j < f->n; j++)
            render_series(&b, f, f->series[j]);
    }
    pthread_mutex_unlock(&g_mu);
    free(fams);

    render_process(&b, version);
    if (b.oom) {
        free(b.s);
        return ODZ_ENOMEM;
    }
    *out = b.s;
    if (len)
        *len = b.n;
    return 0;
}

void odz_metrics_reset_for_tests(void)
{
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < g_nfam; i++) {
        family *f = g_fams[i];
        for (size_t j = 0; j < f->n; j++) {
            odz_metric *m = f->series[j];
            atomic_store(&m->ival, 0);
            atomic_store(&m->dbits, d2u(0.0));
            if (m->buckets)
                for (size_t k = 0; k <= f->nb; k++)
                    atomic_store(&m->buckets[k], 0);
        }
    }
    g_ncoll = 0;
    pthread_mutex_unlock(&g_mu);
}

static atomic_uint g_generation = 1;

unsigned odz_metrics_generation(void)
{
    return atomic_load_explicit(&g_generation, memory_order_acquire);
}

void odz_metrics_free_all(void)
{
    atomic_fetch_add_explicit(&g_generation, 1, memory_order_acq_rel);
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < g_nfam; i++)
        fam_free(g_fams[i]);
    free(g_fams);
    free(g_tab);
    g_fams = NULL;
    g_tab = NULL;
    g_nfam = g_capfam = g_tabcap = g_nseries = 0;
    g_ncoll = 0;
    pthread_mutex_unlock(&g_mu);
}

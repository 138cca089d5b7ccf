/* What the source adapters share: the scrape container and its merge rules, the adapter
 * table, and bounded readers of JSON fields. */
#include "source/source.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hash.h"
#include "core/rowix.h"
#include "core/tz.h"

const odz_source_ops *odz_source_find(const char *name)
{
    static const odz_source_ops *const all[] = {&odz_source_oddscomau, &odz_source_entain};
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, all[i]->name) == 0)
            return all[i];
    return NULL;
}

void odz_scrape_free(odz_scrape *s)
{
    if (!s)
        return;
    odz_meetings_free(&s->meetings);
    free(s->races);
    free(s->selections);
    free(s->prices);
    free(s->books);
    odz_rowix_free(&s->sel_ix);
    odz_rowix_free(&s->book_ix);
    for (size_t i = 0; i < s->n_keys; i++)
        free(s->keys[i]);
    free(s->keys);
    memset(s, 0, sizeof *s);
}

void odz_scrape_clear(odz_scrape *s)
{
    for (size_t i = 0; i < s->n_keys; i++)
        free(s->keys[i]);
    s->n_keys = 0;
    s->meetings.n = s->n_races = s->n_selections = s->n_prices = s->n_books = 0;
    odz_rowix_clear(&s->sel_ix);
    odz_rowix_clear(&s->book_ix);
    s->n_warnings = 0;
    s->warning[0] = '\0';
}

bool odz_scrape_empty(const odz_scrape *s)
{
    return !s->meetings.n && !s->n_races && !s->n_selections && !s->n_prices && !s->n_books &&
           !s->n_keys && !s->n_warnings;
}

void odz_scrape_batch(const odz_scrape *s, odz_batch *out)
{
    out->meetings = s->meetings.v;
    out->n_meetings = s->meetings.n;
    out->races = s->races;
    out->n_races = s->n_races;
    out->selections = s->selections;
    out->n_selections = s->n_selections;
    out->prices = s->prices;
    out->n_prices = s->n_prices;
    out->books = s->books;
    out->n_books = s->n_books;
}

void odz_scrape_stamp(odz_scrape *s, int64_t now)
{
    for (size_t i = 0; i < s->n_prices; i++)
        if (s->prices[i].price.ts == 0)
            s->prices[i].price.ts = now;
    for (size_t i = 0; i < s->n_books; i++)
        if (s->books[i].book.ts == 0)
            s->books[i].book.ts = now;
}

/* Lookups run newest first: a response's rows are usually merged into what it just added. */
static odz_meeting *find_meeting(const odz_scrape *s, const char *key)
{
    for (size_t i = s->meetings.n; i-- > 0;)
        if (strcmp(s->meetings.v[i].source_key, key) == 0)
            return &s->meetings.v[i];
    return NULL;
}

static odz_batch_race *find_race(const odz_scrape *s, const char *key)
{
    for (size_t i = s->n_races; i-- > 0;)
        if (strcmp(s->races[i].race.source_key, key) == 0)
            return &s->races[i];
    return NULL;
}

/* Selections and books by hash (FNV-1a of the key, then the provider), so merging thousands
 * of runners is not quadratic. */
static uint64_t sel_hash(const char *key)
{
    return odz_hash_text(ODZ_HASH_SEED, key);
}

static uint64_t book_hash(const char *key, const char *provider)
{
    return odz_hash_text(odz_hash_text(ODZ_HASH_SEED, key) * 1099511628211u, provider);
}

/* (rows: the selections or the books; a book's key is its selection key and provider) */
typedef struct {
    const char *key, *provider;
} book_key;

static bool sel_is(const void *rows, size_t i, const void *key)
{
    return strcmp(((const odz_batch_selection *)rows)[i].sel.source_key, key) == 0;
}

static bool book_is(const void *rows, size_t i, const void *key)
{
    const odz_batch_exbook *b = &((const odz_batch_exbook *)rows)[i];
    const book_key *k = key;
    return strcmp(b->selection_key, k->key) == 0 && strcmp(b->book.provider, k->provider) == 0;
}

static uint64_t sel_row_hash(const void *rows, size_t i)
{
    return sel_hash(((const odz_batch_selection *)rows)[i].sel.source_key);
}

static uint64_t book_row_hash(const void *rows, size_t i)
{
    const odz_batch_exbook *b = &((const odz_batch_exbook *)rows)[i];
    return book_hash(b->selection_key, b->book.provider);
}

/* Room in the indexes for `ns` selections and `nb` books. */
static int ix_reserve(odz_scrape *s, size_t ns, size_t nb)
{
    return odz_rowix_reserve(&s->sel_ix, ns, s->n_selections, sel_row_hash, s->selections) ||
                   odz_rowix_reserve(&s->book_ix, nb, s->n_books, book_row_hash, s->books)
               ? ODZ_ENOMEM
               : 0;
}

static odz_batch_selection *find_selection(const odz_scrape *s, const char *key)
{
    long i = odz_rowix_find(&s->sel_ix, sel_hash(key), sel_is, s->selections, key);
    return i < 0 ? NULL : &s->selections[i];
}

static odz_batch_exbook *find_book(const odz_scrape *s, const char *key, const char *provider)
{
    book_key k = {key, provider};
    long i = odz_rowix_find(&s->book_ix, book_hash(key, provider), book_is, s->books, &k);
    return i < 0 ? NULL : &s->books[i];
}

const odz_batch_race *odz_scrape_find_race(const odz_scrape *s, const char *key)
{
    return s && key ? find_race(s, key) : NULL;
}

/* Grow an array to hold `need` elements; returns the (maybe moved) array, or NULL with the
 * old one still valid. */
static void *grow(void *v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return v;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *p = realloc(v, c * size);
    if (p)
        *cap = c;
    return p;
}

#define RESERVE(arr, capf, need)                                                               \
    do {                                                                                       \
        if ((need) > (capf)) {                                                                 \
            void *p_ = grow((arr), &(capf), (need), sizeof *(arr));                            \
            if (!p_)                                                                           \
                return ODZ_ENOMEM;                                                             \
            (arr) = p_;                                                                        \
        }                                                                                      \
    } while (0)

/* Room for one more row in a bounded table: returns ODZ_EFULL at `max` rows. */
#define ROOM_FOR_ONE(arr, n, capf, max)                                                        \
    do {                                                                                       \
        if ((n) >= (max))                                                                      \
            return ODZ_EFULL;                                                                  \
        RESERVE(arr, capf, (n) + 1);                                                           \
    } while (0)

const char *odz__scrape_key(odz_scrape *s, const char *key)
{
    if (s->n_keys && strcmp(s->keys[s->n_keys - 1], key) == 0)
        return s->keys[s->n_keys - 1];
    char **k = grow(s->keys, &s->cap_keys, s->n_keys + 1, sizeof *s->keys);
    if (!k)
        return NULL;
    s->keys = k;
    char *copy = strdup(key);
    if (!copy)
        return NULL;
    s->keys[s->n_keys++] = copy;
    return copy;
}

static void merge_meeting(odz_meeting *o, const odz_meeting *n)
{
    if (n->name[0])
        memcpy(o->name, n->name, sizeof o->name);
    if (n->country[0])
        memcpy(o->country, n->country, sizeof o->country);
    if (n->region[0])
        memcpy(o->region, n->region, sizeof o->region);
    if (n->date[0])
        memcpy(o->date, n->date, sizeof o->date);
    o->type = n->type;
    if (n->first_start && (!o->first_start || n->first_start < o->first_start))
        o->first_start = n->first_start;
}

static void merge_race(odz_race *o, const odz_race *n)
{
    if (n->number > 0)
        o->number = n->number;
    if (n->name[0])
        memcpy(o->name, n->name, sizeof o->name);
    if (n->distance > 0)
        o->distance = n->distance;
    if (n->scheduled_start > 0)
        o->scheduled_start = n->scheduled_start;
    if (n->actual_start > 0)
        o->actual_start = n->actual_start;
    /* A stale response must not move a race backwards: the store would refuse the batch. */
    if (odz_status_transition(o->status, n->status, NULL, 0) == 0)
        o->status = n->status;
    if (n->n_results > 0) {
        o->n_results = n->n_results;
        memcpy(o->results, n->results, sizeof o->results);
    }
    if (n->n_dividends > 0) {
        o->n_dividends = n->n_dividends;
        memcpy(o->dividends, n->dividends, sizeof o->dividends);
    }
}

int odz__scrape_add_meeting(odz_scrape *s, const odz_meeting *m)
{
    odz_meeting *o = find_meeting(s, m->source_key);
    if (o) {
        merge_meeting(o, m);
        return 0;
    }
    ROOM_FOR_ONE(s->meetings.v, s->meetings.n, s->meetings.cap, ODZ_SCRAPE_MAX_MEETINGS);
    s->meetings.v[s->meetings.n++] = *m;
    return 0;
}

int odz__scrape_add_race(odz_scrape *s, const char *meeting_key, const odz_race *r)
{
    odz_batch_race *o = find_race(s, r->source_key);
    if (o) {
        merge_race(&o->race, r);
        return 0;
    }
    ROOM_FOR_ONE(s->races, s->n_races, s->cap_races, ODZ_SCRAPE_MAX_RACES);
    s->races[s->n_races++] = (odz_batch_race){.meeting_key = meeting_key, .race = *r};
    return 0;
}

/* Index the row about to be appended to the selections (books false) or the books. */
static int index_new_row(odz_scrape *s, bool books, uint64_t h)
{
    if (ix_reserve(s, s->n_selections + !books, s->n_books + books))
        return ODZ_ENOMEM;
    odz_rowix_put(books ? &s->book_ix : &s->sel_ix, h, books ? s->n_books : s->n_selections);
    return 0;
}

int odz__scrape_add_selection(odz_scrape *s, const char *race_key, const odz_selection *sel)
{
    odz_batch_selection *o = find_selection(s, sel->source_key);
    if (!o) {
        ROOM_FOR_ONE(s->selections, s->n_selections, s->cap_selections, ODZ_SCRAPE_MAX_SELECTIONS);
        if (index_new_row(s, false, sel_hash(sel->source_key)))
            return ODZ_ENOMEM;
        o = &s->selections[s->n_selections++];
    }
    *o = (odz_batch_selection){.race_key = race_key, .sel = *sel}; /* the newer card wins whole */
    return 0;
}

int odz__scrape_add_price(odz_scrape *s, const char *selection_key, const odz_price *p)
{
    ROOM_FOR_ONE(s->prices, s->n_prices, s->cap_prices, ODZ_SCRAPE_MAX_PRICES);
    s->prices[s->n_prices++] = (odz_batch_price){.selection_key = selection_key, .price = *p};
    return 0;
}

int odz__scrape_add_exbook(odz_scrape *s, const char *selection_key, const odz_exbook *b)
{
    odz_batch_exbook *o = find_book(s, selection_key, b->provider);
    if (!o) {
        ROOM_FOR_ONE(s->books, s->n_books, s->cap_books, ODZ_SCRAPE_MAX_BOOKS);
        if (index_new_row(s, true, book_hash(selection_key, b->provider)))
            return ODZ_ENOMEM;
        o = &s->books[s->n_books++];
    }
    *o = (odz_batch_exbook){.selection_key = selection_key, .book = *b}; /* the newer state wins */
    return 0;
}

/* Everything that can fail is done before the first row moves, so a merge either happens
 * whole or not at all. */
static int merge_prepare(odz_scrape *dst, const odz_scrape *src)
{
    size_t nm = 0, nr = 0, ns = 0, nb = 0;
    for (size_t i = 0; i < src->meetings.n; i++)
        nm += !find_meeting(dst, src->meetings.v[i].source_key);
    for (size_t i = 0; i < src->n_races; i++)
        nr += !find_race(dst, src->races[i].race.source_key);
    for (size_t i = 0; i < src->n_selections; i++)
        ns += !find_selection(dst, src->selections[i].sel.source_key);
    for (size_t i = 0; i < src->n_books; i++)
        nb += !find_book(dst, src->books[i].selection_key, src->books[i].book.provider);
    if (dst->meetings.n + nm > ODZ_SCRAPE_MAX_MEETINGS || dst->n_races + nr > ODZ_SCRAPE_MAX_RACES ||
        dst->n_selections + ns > ODZ_SCRAPE_MAX_SELECTIONS ||
        dst->n_prices + src->n_prices > ODZ_SCRAPE_MAX_PRICES ||
        dst->n_books + nb > ODZ_SCRAPE_MAX_BOOKS)
        return ODZ_EFULL;
    RESERVE(dst->meetings.v, dst->meetings.cap, dst->meetings.n + nm);
    RESERVE(dst->races, dst->cap_races, dst->n_races + nr);
    RESERVE(dst->selections, dst->cap_selections, dst->n_selections + ns);
    RESERVE(dst->prices, dst->cap_prices, dst->n_prices + src->n_prices);
    RESERVE(dst->books, dst->cap_books, dst->n_books + nb);
    RESERVE(dst->keys, dst->cap_keys, dst->n_keys + src->n_keys);
    return ix_reserve(dst, dst->n_selections + ns, dst->n_books + nb);
}

int odz__scrape_merge(odz_scrape *dst, odz_scrape *src)
{
    int rc = merge_prepare(dst, src);
    if (rc) {
        odz_scrape_free(src);
        return rc;
    }
    /* The key strings change owner; the rows' pointers to them stay valid. */
    if (src->n_keys) /* both may be NULL when there are none: memcpy must not see them */
        memcpy(dst->keys + dst->n_keys, src->keys, src->n_keys * sizeof *src->keys);
    dst->n_keys += src->n_keys;
    src->n_keys = 0;
    for (size_t i = 0; i < src->meetings.n; i++)
        odz__scrape_add_meeting(dst, &src->meetings.v[i]);
    for (size_t i = 0; i < src->n_races; i++)
        odz__scrape_add_race(dst, src->races[i].meeting_key, &src->races[i].race);
    for (size_t i = 0; i < src->n_selections; i++)
        odz__scrape_add_selection(dst, src->selections[i].race_key, &src->selections[i].sel);
    for (size_t i = 0; i < src->n_prices; i++)
        odz__scrape_add_price(dst, src->prices[i].selection_key, &src->prices[i].price);
    for (size_t i = 0; i < src->n_books; i++)
        odz__scrape_add_exbook(dst, src->books[i].selection_key, &src->books[i].book);
    if (src->n_warnings && !dst->n_warnings)
        memcpy(dst->warning, src->warning, sizeof dst->warning);
    dst->n_warnings += src->n_warnings;
    odz_scrape_free(src);
    return 0;
}

void odz__scrape_warn(odz_scrape *s, const char *fmt, ...)
{
    if (s->n_warnings++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->warning, sizeof s->warning, fmt, ap);
        va_end(ap);
    }
}

void odz__text(odz_scrape *s, char *dst, size_t dstlen, const char *src, const char *what)
{
    if (odz_strlcpy(dst, src ? src : "", dstlen) != 0)
        odz__scrape_warn(s, "%s cut to %zu bytes", what, dstlen - 1);
}

bool odz__key_ok(const char *key)
{
    if (!key)
        return false;
    size_t n = strlen(key);
    if (n == 0 || n >= ODZ_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

const char *odz__region_of_country(const char *country)
{
    static const struct {
        const char *region, *codes[7]; /* the region's country codes, NULL-ended */
    } map[] = {
        {"Australia & New Zealand", {"AUS", "AU", "NZ", "NZL"}},
        {"UK & Ireland", {"UK", "GB", "GBR", "IRE", "IE", "IRL"}},
        {"USA", {"USA", "US"}},
        {"Hong Kong", {"HK", "HKG"}},
    };
    for (size_t i = 0; country && i < sizeof map / sizeof map[0]; i++)
        for (const char *const *c = map[i].codes; *c; c++)
            if (strcasecmp(country, *c) == 0)
                return map[i].region;
    return "Rest of the world";
}

int odz__date_range(const char *date_from, const char *date_to, char (*days)[ODZ_DATE_MAX],
                    size_t max, size_t *n, char *err, size_t errlen)
{
    *n = 0;
    if (!date_from || !date_to || odz_date_valid(date_from) || odz_date_valid(date_to))
        return odz_fail(err, errlen, ODZ_EINVAL, "dates must be YYYY-MM-DD");
    if (strcmp(date_from, date_to) > 0)
        return odz_fail(err, errlen, ODZ_EINVAL, "date_from %s is after date_to %s", date_from,
                        date_to);
    char d[ODZ_DATE_MAX];
    memcpy(d, date_from, ODZ_DATE_MAX);
    for (;;) {
        if (*n >= max)
            return odz_fail(err, errlen, ODZ_EINVAL, "more than %zu days from %s to %s", max,
                            date_from, date_to);
        memcpy(days[(*n)++], d, ODZ_DATE_MAX);
        if (strcmp(d, date_to) == 0)
            return 0;
        if (odz_date_add(days[*n - 1], 1, d))
            return odz_fail(err, errlen, ODZ_EINVAL, "bad date after %s", days[*n - 1]);
    }
}

int odz__schedule_paths(const char *date_from, const char *date_to, size_t per_day,
                        int (*path)(const char *day, size_t j, char *out, size_t outlen),
                        odz_source_request *out, size_t max, size_t *n, char *err, size_t errlen)
{
    char days[ODZ_SOURCE_MAX_DAYS][ODZ_DATE_MAX];
    size_t nd;
    *n = 0;
    int rc = odz__date_range(date_from, date_to, days, ODZ_SOURCE_MAX_DAYS, &nd, err, errlen);
    if (rc == 0 && nd * per_day > max)
        rc = odz_fail(err, errlen, ODZ_EFULL, "%zu requests needed, room for %zu", nd * per_day,
                      max);
    for (size_t d = 0; !rc && d < nd; d++)
        for (size_t j = 0; !rc && j < per_day; j++)
            if ((rc = path(days[d], j, out[(*n)++].path, ODZ_SOURCE_PATH_MAX)) != 0)
                odz_fail(err, errlen, rc, "the request path for %s is too long", days[d]);
    if (rc)
        *n = 0;
    return rc;
}

int odz__request_path(char *path, size_t pathlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(path, pathlen, fmt, ap);
    va_end(ap);
    return w < 0 || (size_t)w >= pathlen ? ODZ_EINVAL : 0;
}

int odz__scrape_done(odz_scrape *out, odz_scrape *tmp, int rc, const char *what, char *err,
                     size_t errlen)
{
    if (rc == 0 && (rc = odz__scrape_merge(out, tmp)) != 0)
        odz_fail(err, errlen, rc, "cannot keep the %s: %s", what, odz_errcode(rc));
    odz_scrape_free(tmp);
    return rc;
}

int64_t odz__jint_or(const json_t *v, int64_t lo, int64_t hi, int64_t dflt)
{
    int64_t x;
    return odz__jint(v, lo, hi, &x) == 0 ? x : dflt;
}

bool odz__jbool_or(const json_t *v, bool dflt)
{
    bool b;
    return odz__jbool(v, &b) == 0 ? b : dflt;
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int odz__iso_time(const char *s, int64_t *out)
{
    /* odz_parse_iso8601 trusts the shape of its input; check it all here first. */
    if (!s || strlen(s) < 20)
        return ODZ_EINVAL;
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
        s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
        s[16] != ':' || !digits(s + 17, 2))
        return ODZ_EINVAL;
    const char *p = s + 19;
    if (*p == '.') {
        size_t n = 0;
        while (p[1 + n] >= '0' && p[1 + n] <= '9')
            n++;
        if (n == 0 || n > 12)
            return ODZ_EINVAL;
        p += 1 + n;
    }
    if (*p == 'Z') {
        if (p[1])
            return ODZ_EINVAL;
    } else if (*p == '+' || *p == '-') {
        if (strlen(p) != 6 || !digits(p + 1, 2) || p[3] != ':' || !digits(p + 4, 2))
            return ODZ_EINVAL;
    } else {
        return ODZ_EINVAL;
    }
    return odz_parse_iso8601(s, out);
}

const char *odz__jstr(const json_t *obj, const char *field)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A plain decimal: digits, optionally a point and more digits; returns its length. */
static size_t decimal_len(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    if (n == 0)
        return 0;
    if (s[n] == '.') {
        size_t f = 0;
        while (s[n + 1 + f] >= '0' && s[n + 1 + f] <= '9')
            f++;
        if (f == 0)
            return 0;
        n += 1 + f;
    }
    return n;
}

/* A decimal string, with `suffix` (or nothing) after it, to a double. */
static int decimal_string(const char *s, const char *suffix, double *out)
{
    size_t n = decimal_len(s);
    if (n == 0 || n > 24)
        return ODZ_EINVAL;
    if (s[n] && !(suffix && strcasecmp(s + n, suffix) == 0))
        return ODZ_EINVAL;
    char buf[32];
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    if (errno || !isfinite(d))
        return ODZ_EINVAL;
    *out = d;
    return 0;
}

int odz__jint(const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!v || json_is_null(v))
        return ODZ_ENOTFOUND;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < lo || i > hi)
            return ODZ_EINVAL;
        *out = (int64_t)i;
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || d != floor(d) || d < (double)lo || d > (double)hi)
            return ODZ_EINVAL;
        *out = (int64_t)d;
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!*s)
            return ODZ_ENOTFOUND;
        const char *d = s[0] == '-' ? s + 1 : s;
        size_t n = strlen(d);
        if (n == 0 || n > 18 || !digits(d, n))
            return ODZ_EINVAL;
        long long x = strtoll(s, NULL, 10);
        if (x < lo || x > hi)
            return ODZ_EINVAL;
        *out = (int64_t)x;
        return 0;
    }
    return ODZ_EINVAL;
}

int odz__jhundredths(const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    double d;
    if (!v || json_is_null(v))
        return ODZ_ENOTFOUND;
    if (json_is_number(v)) {
        d = json_number_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!*s)
            return ODZ_ENOTFOUND;
        if (decimal_string(s, "kg", &d))
            return ODZ_EINVAL;
    } else {
        return ODZ_EINVAL;
    }
    if (!isfinite(d))
        return ODZ_EINVAL;
    d *= 100.0;
    if (d < (double)lo - 0.5 || d > (double)hi + 0.5)
        return ODZ_EINVAL;
    int64_t x = (int64_t)llround(d);
    if (x < lo || x > hi)
        return ODZ_EINVAL;
    *out = x;
    return 0;
}

int odz__jbool(const json_t *v, bool *out)
{
    if (!v || json_is_null(v))
        return ODZ_ENOTFOUND;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *out = json_integer_value(v) == 1;
        return 0;
    }
    return ODZ_EINVAL;
}

int odz__jodds(const json_t *v, int *out)
{
    double d;
    if (!v || json_is_null(v))
        return ODZ_ENOTFOUND;
    if (json_is_number(v))
        d = json_number_value(v);
    else if (json_is_string(v) && decimal_string(json_string_value(v), NULL, &d) == 0)
        ;
    else
        return ODZ_EINVAL;
    return odz_odds_from_double(d, out);
}

void odz_scrape_set_provider(odz_scrape *s, const char *from, const char *to)
{
    if (!to || !*to || !from)
        return;
    for (size_t i = 0; i < s->n_prices; i++)
        if (!strcmp(s->prices[i].price.provider, from))
            odz_strlcpy(s->prices[i].price.provider, to, sizeof s->prices[i].price.provider);
}

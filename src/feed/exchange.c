/* The simulated exchange's markets and their change stream: each tick lists the races in the
 * window, prices their markets from the world, and keeps what changed as one batch with the
 * next clk; a bounded ring of batches lets a client resume from its clk. */
#include "feed/exchange.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/grow.h"
#include "core/sort.h"
#include "core/wait.h"
#include "feed/exchange_market.h"

int odz_fx_buf_add(odz_fx_buf *b, const char *s, size_t n)
{
    if (b->max && b->len + n > b->max)
        return ODZ_EFULL;
    char *p = odz_grow_bytes(b->p, b->len + n + 1, &b->cap, 4096);
    if (!p)
        return ODZ_ENOMEM;
    b->p = p;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

void odz_fx_buf_free(odz_fx_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

typedef struct {
    size_t off, len;
    bool greyhound, place;
    char country[3];
    char id[24];
} entry;

typedef struct {
    uint64_t clk;
    int64_t pt;
    char *text;
    size_t bytes;
    entry *e;
    size_t n;
} batch;

struct odz_fx {
    odz_feed *f;
    size_t max_batches, max_bytes;
    odz_fx_market *mk; /* listed markets, by id */
    size_t n;
    batch *ring; /* oldest at head */
    size_t head, count, bytes;
    uint64_t clk;
    char initial[32];
    odz_fw_state *st;
    odz_fw_meeting *meetings;
};

odz_fx *odz_fx_new(odz_feed *f, const odz_fx_config *cfg)
{
    odz_fx *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->f = f;
    x->max_batches = cfg && cfg->history ? cfg->history : 900;
    x->max_bytes = cfg && cfg->history_bytes ? cfg->history_bytes : 64u << 20;
    x->ring = calloc(x->max_batches, sizeof *x->ring);
    x->st = malloc(sizeof *x->st);
    x->meetings = malloc(sizeof *x->meetings * ODZ_FW_MAX_DAY_MEETINGS);
    if (!x->ring || !x->st || !x->meetings) {
        odz_fx_free(x);
        return NULL;
    }
    /* a new exchange's clocks are not an old one's: a client that resumes from another
     * run's clk gets an image */
    snprintf(x->initial, sizeof x->initial, "%" PRIx64,
             (uint64_t)(odz_fw_hash(f->seed, (uint64_t)odz_real_ms()) & 0xffffffffffffULL));
    return x;
}

static void batch_free(batch *b)
{
    free(b->text);
    free(b->e);
    memset(b, 0, sizeof *b);
}

void odz_fx_free(odz_fx *x)
{
    if (!x)
        return;
    for (size_t i = 0; x->ring && i < x->count; i++)
        batch_free(&x->ring[(x->head + i) % x->max_batches]);
    free(x->ring);
    free(x->mk);
    free(x->st);
    free(x->meetings);
    free(x);
}

uint64_t odz_fx_clk(const odz_fx *x)
{
    return x->clk;
}

uint64_t odz_fx_oldest(const odz_fx *x)
{
    return x->count ? x->ring[x->head].clk : x->clk + 1;
}

const char *odz_fx_initial_clk(const odz_fx *x)
{
    return x->initial;
}

size_t odz_fx_n_markets(const odz_fx *x)
{
    return x->n;
}

int odz_fx_resumable(const odz_fx *x, const char *initial_clk, const char *clk, uint64_t *from)
{
    if (!initial_clk || !clk || strcmp(initial_clk, x->initial) || !*clk)
        return 0;
    uint64_t c = 0;
    for (const char *p = clk; *p; p++) {
        if (*p < '0' || *p > '9' || c > UINT64_MAX / 10 - 1)
            return 0;
        c = c * 10 + (uint64_t)(*p - '0');
    }
    if (c > x->clk || c + 1 < odz_fx_oldest(x))
        return 0;
    *from = c;
    return 1;
}

/* ---- ticking ---- */

static int cmp_id(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

static int cmp_market(const void *a, const void *b)
{
    return cmp_id(((const odz_fx_market *)a)->id, ((const odz_fx_market *)b)->id);
}

static const odz_fx_market *find(const odz_fx_market *v, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_id(v[mid].id, id);
        if (!c)
            return &v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

typedef struct {
    int64_t start;
    int meeting, race;
} pick;

static int cmp_pick(const void *a, const void *b)
{
    const pick *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->meeting != y->meeting ? x->meeting - y->meeting : x->race - y->race;
}

/* A JSON value's text appended to the batch being built. */
static int add_entry(batch *b, odz_fx_buf *text, json_t *mc, const odz_fx_market *m, size_t cap)
{
    if (!mc)
        return ODZ_ENOMEM;
    char *s = json_dumps(mc, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(mc);
    if (!s)
        return ODZ_ENOMEM;
    size_t len = strlen(s), off = text->len;
    int rc = odz_fx_buf_add(text, s, len);
    free(s);
    if (rc)
        return rc;
    if (b->n >= cap)
        return ODZ_EFULL;
    entry *e = &b->e[b->n++];
    e->off = off;
    e->len = len;
    e->greyhound = m->greyhound;
    e->place = m->place;
    snprintf(e->country, sizeof e->country, "%s", m->country_code);
    snprintf(e->id, sizeof e->id, "%s", m->id);
    return 0;
}

static void push_batch(odz_fx *x, batch *b)
{
    while (x->count && (x->count >= x->max_batches || x->bytes + b->bytes > x->max_bytes)) {
        batch *old = &x->ring[x->head];
        x->bytes -= old->bytes;
        batch_free(old);
        x->head = (x->head + 1) % x->max_batches;
        x->count--;
    }
    x->ring[(x->head + x->count) % x->max_batches] = *b;
    x->count++;
    x->bytes += b->bytes;
}

int odz_fx_tick(odz_fx *x, int64_t now)
{
    int32_t today = odz_fw_today(x->f, now);
    odz_fw_meeting *ms = NULL;
    pick *picks = NULL;
    odz_fx_market *next = NULL;
    batch b = {0};
    odz_fx_buf text = {0};
    int rc = ODZ_ENOMEM;
    size_t nm = 0, np = 0, cap = 0;
    /* the races in the window, nearest first */
    ms = malloc(sizeof *ms * ODZ_FW_MAX_DAY_MEETINGS * 3);
    picks = malloc(sizeof *picks * ODZ_FW_MAX_DAY_MEETINGS * 3 * ODZ_FW_MAX_RACES);
    if (!ms || !picks)
        goto out;
    for (int32_t d = today - 1; d <= today + 1; d++) {
        int k = odz_fw_race_day(x->f, d, ms + nm, ODZ_FW_MAX_DAY_MEETINGS);
        if (k < 0)
            goto out;
        nm += (size_t)k;
    }
    for (size_t i = 0; i < nm; i++)
        for (int r = 0; r < ms[i].n_races; r++) {
            const odz_fw_race *rc_ = &ms[i].races[r];
            int64_t end = rc_->abandoned && rc_->abandon_time < rc_->final_time
                              ? rc_->abandon_time
                              : rc_->final_time;
            if (rc_->start > now + ODZ_FX_AHEAD_S || now >= end + ODZ_FX_LINGER_S)
                continue;
            picks[np++] = (pick){rc_->start, (int)i, r};
        }
    odz_sort(picks, np, sizeof *picks, cmp_pick);
    if (np > ODZ_FX_MAX_MARKETS / 2)
        np = ODZ_FX_MAX_MARKETS / 2;
    cap = 2 * np;
    next = malloc(sizeof *next * (cap ? cap : 1));
    b.e = malloc(sizeof *b.e * (cap ? cap : 1));
    if (!next || !b.e)
        goto out;
    for (size_t i = 0; i < np; i++) {
        odz_fx_race_markets(x->f, &ms[picks[i].meeting], picks[i].race, now, x->st,
                            &next[2 * i]);
        if (i % 16 == 15)
            odz_thread_yield();
    }
    odz_sort(next, cap, sizeof *next, cmp_market);
    for (size_t i = 0; i < cap; i++) {
        if (i % 32 == 31)
            odz_thread_yield();
        odz_fx_market *m = &next[i];
        const odz_fx_market *old = find(x->mk, x->n, m->id);
        json_t *mc;
        if (!old) {
            mc = odz_fx_image_json(m);
        } else {
            bool oom = false;
            m->version = old->version + !odz_fx_definition_same(old, m);
            mc = odz_fx_delta_json(old, m, &oom);
            if (!mc && oom)
                goto out;
            if (!mc)
                continue;
        }
        if ((rc = add_entry(&b, &text, mc, m, cap)))
            goto out;
        rc = ODZ_ENOMEM;
    }
    rc = (int)b.n;
    if (b.n) {
        b.clk = x->clk + 1;
        b.pt = now * 1000;
        b.text = text.p;
        b.bytes = text.len;
        text.p = NULL;
        push_batch(x, &b);
        b.e = NULL;
        x->clk++;
    }
    free(x->mk);
    x->mk = next;
    x->n = cap;
    next = NULL;
out:
    free(b.e);
    odz_fx_buf_free(&text);
    free(next);
    free(picks);
    free(ms);
    return rc;
}

/* ---- reading ---- */

static bool selected(const odz_fx_filter *f, bool greyhound, bool place, const char *country,
                     const char *id)
{
    if (!f)
        return true;
    if (!f->any_event_type && !(greyhound ? f->greyhounds : f->horses))
        return false;
    if (!(place ? f->place : f->win))
        return false;
    bool ok = f->n_countries == 0;
    for (size_t i = 0; !ok && i < f->n_countries; i++)
        ok = !strcmp(f->countries[i], country);
    for (size_t i = 0; ok && f->n_market_ids && i <= f->n_market_ids; i++) {
        if (i == f->n_market_ids)
            return false;
        if (!strcmp(f->market_ids[i], id))
            break;
    }
    return ok;
}

static int append(odz_fx_buf *out, const char *s, size_t n)
{
    int rc = 0;
    if (out->len && out->p[out->len - 1] != '[')
        rc = odz_fx_buf_add(out, ",", 1);
    return rc ? rc : odz_fx_buf_add(out, s, n);
}

int odz_fx_image(odz_fx *x, const odz_fx_filter *flt, size_t *cursor, size_t chunk,
                 odz_fx_buf *out)
{
    size_t start = out->len;
    int n = 0;
    for (; *cursor < x->n && out->len - start < chunk; (*cursor)++) {
        const odz_fx_market *m = &x->mk[*cursor];
        if (!selected(flt, m->greyhound, m->place, m->country_code, m->id))
            continue;
        json_t *j = odz_fx_image_json(m);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
        json_decref(j);
        if (!s)
            return ODZ_ENOMEM;
        int rc = append(out, s, strlen(s));
        free(s);
        if (rc)
            return rc;
        n++;
    }
    return n;
}

int odz_fx_batch(odz_fx *x, uint64_t clk, const odz_fx_filter *flt, int64_t *pt,
                 odz_fx_buf *out)
{
    if (!x->count || clk < x->ring[x->head].clk || clk > x->clk)
        return ODZ_ENOTFOUND;
    const batch *b = &x->ring[(x->head + (clk - x->ring[x->head].clk)) % x->max_batches];
    *pt = b->pt;
    int n = 0;
    for (size_t i = 0; i < b->n; i++) {
        const entry *e = &b->e[i];
        if (!selected(flt, e->greyhound, e->place, e->country, e->id))
            continue;
        int rc = append(out, b->text + e->off, e->len);
        if (rc)
            return rc;
        n++;
    }
    return n;
}

/* The feed's front door: configuration, routing one GET to a renderer, and the injected faults
 * (errors, garbage, delay) that let the scraper be tested against a misbehaving source. */
#include "feed/feed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
#include "feed/world.h"

#define PATH_MAX_LEN 512
#define ENTAIN "/affiliates/v1/racing/"
#define BRAND "/b/"
#define ODDS_SCHEDULE "/api/web/public/Racing/getUpcomingRaces"
#define ODDS_CARD "/api/web/public/Odds/getOddsComparisonCacheable"

static const char CT_JSON[] = "application/json";
static const char CT_TEXT[] = "text/plain; charset=utf-8";
static const char CT_HTML[] = "text/html";

odz_feed *odz_feed_new(const odz_feed_config *cfg, char *err, size_t errlen)
{
    if (!cfg) {
        odz_fail(err, errlen, ODZ_EINVAL, "feed: no configuration");
        return NULL;
    }
    if (!(cfg->fail_rate >= 0 && cfg->fail_rate <= 1) ||
        !(cfg->garbage_rate >= 0 && cfg->garbage_rate <= 1)) {
        odz_fail(err, errlen, ODZ_EINVAL, "feed: fail_rate and garbage_rate must be within 0..1");
        return NULL;
    }
    if (cfg->slow_ms < 0 || cfg->slow_ms > 600000) {
        odz_fail(err, errlen, ODZ_EINVAL, "feed: slow_ms must be within 0..600000");
        return NULL;
    }
    const char *tz = cfg->tz ? cfg->tz : ODZ_DEFAULT_TZ;
    int64_t s, e;
    if (strlen(tz) >= sizeof(((odz_feed *)0)->tz) ||
        odz_day_bounds("2020-01-01", tz, &s, &e) != 0) {
        odz_fail(err, errlen, ODZ_EINVAL, "feed: unknown time zone \"%.80s\"", tz);
        return NULL;
    }
    odz_feed *f = calloc(1, sizeof *f);
    if (!f) {
        odz_fail(err, errlen, ODZ_ENOMEM, "feed: out of memory");
        return NULL;
    }
    f->seed = cfg->seed;
    snprintf(f->tz, sizeof f->tz, "%s", tz);
    f->fail_rate = cfg->fail_rate;
    f->garbage_rate = cfg->garbage_rate;
    f->slow_ms = cfg->slow_ms;
    atomic_init(&f->fault_rng, odz_fw_hash(cfg->seed, 0xfa175ULL));
    if (pthread_mutex_init(&f->zlock, NULL) != 0) {
        free(f);
        odz_fail(err, errlen, ODZ_ENOMEM, "feed: cannot create a lock");
        return NULL;
    }
    for (int i = 0; i < ODZ_FW_ZCACHE; i++)
        f->zcache[i].zone = -1;
    return f;
}

void odz_feed_free(odz_feed *f)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->zlock);
    free(f);
}

void odz_feed_response_free(odz_feed_response *out)
{
    if (!out)
        return;
    free(out->body);
    out->body = NULL;
    out->len = 0;
}

/* Thread-safe draws for the faults: an atomic splitmix64 counter. */
static double fault_draw(odz_feed *f)
{
    uint64_t x = atomic_fetch_add(&f->fault_rng, 0x9e3779b97f4a7c15ULL);
    return odz_fw_u01(odz_fw_mix(x));
}

static int set_text(odz_feed_response *out, int status, const char *ct, const char *text)
{
    size_t n = strlen(text);
    out->body = malloc(n + 1);
    if (!out->body)
        return ODZ_ENOMEM;
    memcpy(out->body, text, n + 1);
    out->len = n;
    out->status = status;
    out->content_type = ct;
    return 0;
}

static int set_json(odz_feed_response *out, int status, json_t *body, bool wire)
{
    if (!body)
        return ODZ_ENOMEM;
    char *text;
    size_t len = 0;
    if (wire && status == 200) {
        text = odz_fw_oddscomau_wire(body, &len);
    } else {
        text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
        len = text ? strlen(text) : 0;
    }
    json_decref(body);
    if (!text)
        return ODZ_ENOMEM;
    out->body = text;
    out->len = len;
    out->status = status;
    out->content_type = CT_JSON;
    return 0;
}

/* Garbage: a 200 whose body no JSON parser accepts (cut short, or a proxy's HTML page). */
static void spoil(odz_feed *f, odz_feed_response *out)
{
    double u = fault_draw(f);
    if (u < 0.7 && out->len > 2) {
        size_t cut = (size_t)((double)out->len * (0.1 + 0.8 * fault_draw(f)));
        if (cut < 1)
            cut = 1;
        if (cut >= out->len)
            cut = out->len - 1;
        out->body[cut] = 0;
        out->len = cut;
        return;
    }
    free(out->body);
    out->body = NULL;
    out->len = 0;
    static const char page[] =
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
    if (set_text(out, 200, CT_HTML, page) != 0)
        out->status = 200;
}

static bool is_path(const char *path, const char *want)
{
    size_t n = strlen(want);
    return strncmp(path, want, n) == 0 && (path[n] == 0 || (path[n] == '/' && path[n + 1] == 0));
}

/* "{prefix}{id}" with a single path segment as id; returns the id or NULL. */
static const char *segment_after(const char *path, const char *prefix, char *buf, size_t buflen)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0)
        return NULL;
    const char *id = path + n;
    size_t len = strcspn(id, "/");
    if (len == 0 || len >= buflen || (id[len] == '/' && id[len + 1] != 0))
        return NULL;
    memcpy(buf, id, len);
    buf[len] = 0;
    return buf;
}

static int route(odz_feed *f, const char *path, const char *query, int64_t now,
                 odz_feed_response *out)
{
    int status = 500;
    char id[64];
    /* "/b/{brand}/affiliates/...": the Entain format as one bookmaker brand prices it */
    int brand = 0;
    if (strncmp(path, BRAND, strlen(BRAND)) == 0) {
        const char *name = path + strlen(BRAND), *slash = strchr(name, '/');
        if (!slash || !(brand = odz_fw_brand_find(name, (size_t)(slash - name))))
            return set_text(out, 404, CT_TEXT, "404 page not found\n");
        path = slash;
        if (strncmp(path, ENTAIN, strlen(ENTAIN)) != 0)
            return set_text(out, 404, CT_TEXT, "404 page not found\n");
    }
    if (is_path(path, ENTAIN "meetings")) {
        json_t *b = odz_fw_entain_meetings(f, path, query, now, &status);
        return set_json(out, status, b, false);
    }
    if (segment_after(path, ENTAIN "meetings/", id, sizeof id)) {
        json_t *b = odz_fw_entain_meeting(f, id, path, query, now, &status);
        return set_json(out, status, b, false);
    }
    if (segment_after(path, ENTAIN "events/", id, sizeof id)) {
        json_t *b = odz_fw_entain_event(f, brand, id, path, query, now, &status);
        return set_json(out, status, b, false);
    }
    if (is_path(path, ODDS_SCHEDULE)) {
        json_t *b = odz_fw_oddscomau_schedule(f, query, now, &status);
        return set_json(out, status, b, true);
    }
    if (is_path(path, ODDS_CARD)) {
        json_t *b = odz_fw_oddscomau_card(f, query, now, &status);
        return set_json(out, status, b, true);
    }
    return set_text(out, 404, CT_TEXT, "404 page not found\n");
}

int odz_feed_handle(odz_feed *f, const char *path, const char *query, int64_t now,
                    odz_feed_response *out)
{
    if (!out)
        return ODZ_EINVAL;
    memset(out, 0, sizeof *out);
    if (!f || !path)
        return ODZ_EINVAL;
    out->delay_ms = f->slow_ms;
    if (strcmp(path, "/healthz") == 0)
        return set_text(out, 200, CT_TEXT, "ok");
    if (strlen(path) > PATH_MAX_LEN)
        return set_text(out, 404, CT_TEXT, "404 page not found\n");
    if (query && strlen(query) > ODZ_FW_QUERY_MAX)
        return set_text(out, 400, CT_TEXT, "400 query string too long\n");
    if (f->fail_rate > 0 && fault_draw(f) < f->fail_rate) {
        if (fault_draw(f) < 0.5)
            return set_text(
                out, 500, CT_HTML,
                "<html><head><title>500 Internal Server Error</title></head><body>"
                "<center><h1>500 Internal Server Error</h1></center></body></html>\r\n");
        return set_text(
            out, 503, CT_HTML,
            "<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
            "<center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\r\n");
    }
    int rc = route(f, path, query, now, out);
    if (rc)
        return rc;
    if (out->status == 200 && f->garbage_rate > 0 && fault_draw(f) < f->garbage_rate)
        spoil(f, out);
    return 0;
}

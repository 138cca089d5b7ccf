/* Sources as scraper configurations (see sources.h). */
#include "cli/sources.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "obs/log.h"
#include "scraper/share.h"
#include "source/source.h"

/* The provider's secret as one more header of every request, kept out of the logs. */
static int add_secret(odz_source *src)
{
    const odz_provider *p = &src->p;
    odz_scraper_config *sc = &src->cfg;
    char secret[ODZ_PROVIDER_SECRET_MAX + 1], err[ODZ_ERRLEN];
    src->secret_hdr[0] = '\0';
    int rc = odz_provider_secret(p, secret, sizeof secret, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    else if (*secret &&
             (sc->n_headers >= ODZ_SCRAPER_HEADERS_MAX ||
              odz_provider_secret_line(p, secret, src->secret_hdr, sizeof src->secret_hdr) ||
              odz_log_add_secret(secret))) {
        fprintf(stderr,
                "source %s: the secret cannot be sent (too many headers, or too short to "
                "keep out of the logs: 4 bytes at least)\n",
                p->name);
        rc = ODZ_EINVAL;
    } else if (*secret) {
        sc->headers[sc->n_headers++] = src->secret_hdr;
    }
    memset(secret, 0, sizeof secret); /* no copy of it left on the stack */
    return rc ? ODZ_EINVAL : 0;
}

int odz_source_apply(odz_source *src, bool rate_and_timeout)
{
    odz_provider *p = &src->p;
    odz_scraper_config *sc = &src->cfg;
    size_t nh = 0;
    if (odz_provider_headers(p, src->hdr, ODZ_SCRAPER_HEADERS_MAX, &nh)) {
        fprintf(stderr, "source %s: too many identification headers\n", p->name);
        return ODZ_EINVAL;
    }
    sc->source_url = p->base_url;
    sc->format = p->format;
    sc->provider = p->name;
    sc->n_headers = (int)nh;
    for (size_t i = 0; i < nh; i++)
        sc->headers[i] = src->hdr[i];
    if (add_secret(src))
        return ODZ_EINVAL;
    if (rate_and_timeout) {
        sc->rate = p->rate;
        sc->timeout_ms = p->timeout_ms;
    }
    odz_provider preset;
    if ((!*p->from || !*p->partner) && odz_provider_preset(p->name, &preset) == 0)
        odz_log_kv(ODZ_LOG_WARN,
                   "the Entain affiliates API asks every client for from and partner; "
                   "without them it may rate-limit or block you",
                   "source", p->name, NULL);
    return 0;
}

static bool is_entain(const odz_scraper_config *c)
{
    return c->format && !strcmp(c->format, odz_source_entain.name);
}

size_t odz_sources_group(odz_share *g, odz_scraper_config *const *cfg, const bool *owner, size_t n)
{
    size_t members = 0;
    for (size_t i = 0; i < n; i++)
        members += is_entain(cfg[i]);
    if (members < 2)
        return 0;
    odz_share_init(g);
    int rank = 0;
    for (int marked = 1; marked >= 0; marked--) /* the one marked first, then the given order */
        for (size_t i = 0; i < n; i++)
            if (is_entain(cfg[i]) && (owner && owner[i]) == (marked == 1)) {
                cfg[i]->share = g;
                cfg[i]->share_rank = rank++;
            }
    return members;
}

/* The Entain-format sources of a file share meeting, event and entrant ids: one group, the one
 * marked shared_owner first. One group a process (a file is read once). */
static odz_share g_entain;

static void group_entain(odz_source *out, size_t n)
{
    static bool grouped;
    odz_scraper_config *cfg[ODZ_PROVIDERS_MAX];
    bool owner[ODZ_PROVIDERS_MAX];
    for (size_t i = 0; i < n; i++) { /* n <= ODZ_PROVIDERS_MAX: odz_providers_load */
        cfg[i] = &out[i].cfg;
        owner[i] = out[i].p.shared_owner;
    }
    if (!grouped && odz_sources_group(&g_entain, cfg, owner, n))
        grouped = true;
}

int odz_sources_load(const char *path, const odz_scraper_config *base, odz_source *out,
                     size_t *n)
{
    odz_provider ps[ODZ_PROVIDERS_MAX];
    char err[ODZ_ERRLEN];
    *n = 0;
    size_t np = 0;
    if (odz_providers_load(path, ps, ODZ_PROVIDERS_MAX, &np, err, sizeof err)) {
        fprintf(stderr, "--sources %s: %s\n", path, err);
        return ODZ_EINVAL;
    }
    if (!np) {
        fprintf(stderr, "--sources %s: no sources in the file\n", path);
        return ODZ_EINVAL;
    }
    for (size_t i = 0; i < np; i++) {
        out[i].p = ps[i];
        out[i].cfg = *base;
        if (odz_source_apply(&out[i], true))
            return ODZ_EINVAL;
        if (odz_scraper_config_check(&out[i].cfg, err)) {
            fprintf(stderr, "--sources %s: source %s: %s\n", path, ps[i].name, err);
            return ODZ_EINVAL;
        }
    }
    group_entain(out, np);
    *n = np;
    return 0;
}

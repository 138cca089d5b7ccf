/* Sources as scraper configurations: one provider (source/providers.h: a preset or a URL
 * with its format, rate, timeout and identification headers) becomes one scraper's
 * configuration; `--sources FILE` (the YAML of providers.h) gives several, each scraped by a
 * scraper of its own in one process. */
#ifndef ODZ_CLI_SOURCES_H
#define ODZ_CLI_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "scraper/scraper.h"
#include "source/providers.h"

typedef char odz_source_header[ODZ_PROVIDER_TEXT_MAX + 16];

/* One source: the provider and the scraper configuration pointing into it. */
typedef struct {
    odz_provider p;
    odz_source_header hdr[ODZ_SCRAPER_HEADERS_MAX];
    char secret_hdr[ODZ_PROVIDER_SECRET_MAX + 96]; /* the secret's header line, or "" */
    odz_scraper_config cfg;
} odz_source;

/** Point cfg's URL, format, provider name and headers at `src->p` (already validated), and
 * with rate_and_timeout its rate and timeout; the other fields of cfg are kept. The provider's
 * secret (secret_env or secret_file) is read once here, sent with every request in its header
 * (secret_header, else Authorization: Bearer) and handed to the log redaction. A preset (an
 * Entain brand) without from and partner is warned about. 0 or ODZ_EINVAL after printing why
 * (headers that do not fit, a secret that cannot be read; the words never show the secret). */
int odz_source_apply(odz_source *src, bool rate_and_timeout);

/** The one rule for what forms a group sharing ids (scraper/share.h): the configurations among
 * cfg[0..n-1] of the entain format (the Entain brands), when there are two or more, become the
 * members of `g`, ranked with the one whose owner[i] is set first (owner may be NULL: none),
 * then in the order given. g is initialised here: call this once per group, before any of its
 * members starts, and odz_share_destroy(g) after they have stopped. Returns the number of
 * members, 0 when there is no group (g then untouched). */
size_t odz_sources_group(struct odz_share *g, odz_scraper_config *const *cfg, const bool *owner,
                         size_t n);

/** The sources of the YAML file `path`: up to ODZ_PROVIDERS_MAX into out[], each a copy of
 * `base` (time zone, schedule, requests in flight) with its provider applied; *n their count.
 * Two or more sources of the entain format (the Entain brands) become one group sharing ids
 * (odz_sources_group), ranked in the file's order: the first that is up stores the shared parts
 * (meetings, races, runners, results, scratchings), the others only their prices.
 * A bad file: ODZ_EINVAL after printing the line and what is wrong; nothing is started. */
int odz_sources_load(const char *path, const odz_scraper_config *base, odz_source *out,
                     size_t *n);

#endif

/* Sources as providers: who we read prices from, how, and how we identify ourselves.
 *
 * A provider is a name (the provider of the prices it gives: "ladbrokes", "neds", "tab-nz"),
 * a wire format (an adapter of source.h), a base URL, a rate limit, a timeout, the headers
 * that identify us (the Entain affiliates API asks every client for `From` and `X-Partner`;
 * TAB NZ also shows `X-Partner-ID`) and, optionally, where a secret is kept. Presets give the
 * Entain brands' documented base URLs, so `--source tab-nz --partner NAME --from EMAIL` is
 * enough. Several providers come from a YAML file (libyaml):
 *
 *   sources:
 *     - name: tab-nz            # a preset: format and URL from it
 *       partner: Oddzy
 *       from: ops@example.com
 *     - name: mybook            # not a preset: format and url are needed
 *       format: entain
 *       url: https://api.example.com
 *       rate: 2                 # requests a second (default 1)
 *       timeout_ms: 5000        # default 10000
 *       secret_env: MYBOOK_TOKEN   # the secret is read from this variable, or
 *       secret_file: /run/secrets/mybook   # from this file; never written in the file
 *       secret_header: X-Api-Key   # sent as "X-Api-Key: SECRET" on every request; without
 *                                  # it, as "Authorization: Bearer SECRET"
 *       shared_owner: true         # entain format: this one stores the shared parts first
 *
 * A secret is never part of a configuration value: only the name of the variable or file
 * that holds it, so it cannot reach `--help`; once read it is handed to the log's redaction
 * (obs/log.h), so no log line shows it. */
#ifndef ODZ_SOURCE_PROVIDERS_H
#define ODZ_SOURCE_PROVIDERS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"

#define ODZ_PROVIDERS_MAX 16
#define ODZ_PROVIDER_URL_MAX 256
#define ODZ_PROVIDER_TEXT_MAX 128
#define ODZ_PROVIDER_FILE_MAX (64 * 1024) /* a configuration file larger than this is refused */
#define ODZ_PROVIDER_SECRET_MAX 512

typedef struct {
    char name[ODZ_PROVIDER_MAX];          /* provider of the prices: [a-z0-9-], 1..31 */
    char format[16];                      /* an adapter of source.h: entain, oddscomau */
    char base_url[ODZ_PROVIDER_URL_MAX];  /* http:// or https://, no trailing slash */
    double rate;                          /* requests a second, 0.01..1000 */
    int timeout_ms;                       /* 100..120000 */
    char from[ODZ_PROVIDER_TEXT_MAX];     /* `From:` (an e-mail address), "" for none */
    char partner[ODZ_PROVIDER_TEXT_MAX];  /* `X-Partner:`, "" for none */
    char partner_id[ODZ_PROVIDER_TEXT_MAX]; /* `X-Partner-ID:` (TAB NZ), "" for none */
    char secret_env[64];                  /* environment variable holding the secret */
    char secret_file[ODZ_PROVIDER_URL_MAX]; /* or a file holding it */
    char secret_header[64];                 /* header name carrying it ([A-Za-z0-9-]); "":
                                             * Authorization: Bearer */
    bool shared_owner; /* `shared_owner: true`: first choice to store the parts it shares with
                        * the other sources of its format (scraper/share.h); one at most */
} odz_provider;

/** Empty provider with the defaults (rate 1 a second, timeout 10 s). */
void odz_provider_defaults(odz_provider *p);
/** The preset of that name (ladbrokes, neds, tab-nz), with defaults for the rest; 0 or
 * ODZ_ENOTFOUND. */
int odz_provider_preset(const char *name, odz_provider *out);
/** Names of the presets, comma-separated, for help texts and errors. */
const char *odz_provider_preset_names(void);

/** Check every field of a filled-in provider (the rules above); ODZ_EINVAL with what is
 * wrong in err. */
int odz_provider_validate(const odz_provider *p, char *err, size_t errlen);

/** Parse a YAML configuration (the shape above) of `len` bytes: up to `max` providers into
 * out, their count in *n. Unknown keys, bad values, duplicate names, a file over
 * ODZ_PROVIDER_FILE_MAX: ODZ_EINVAL with the line and what is wrong; nothing is kept then. */
int odz_providers_parse(const char *yaml, size_t len, odz_provider *out, size_t max, size_t *n,
                        char *err, size_t errlen);
/** The same from a file. */
int odz_providers_load(const char *path, odz_provider *out, size_t max, size_t *n, char *err,
                       size_t errlen);

/** The identification headers, as "Name: value" lines into out[0..max), their count in *n.
 * Values with a CR, LF or other control character were refused by validation. */
int odz_provider_headers(const odz_provider *p, char out[][ODZ_PROVIDER_TEXT_MAX + 16],
                         size_t max, size_t *n);

/** The request header line that sends `secret` ("Authorization: Bearer S" or "NAME: S" with
 * the provider's secret_header) into out. 0, or ODZ_EINVAL when it does not fit in n. */
int odz_provider_secret_line(const odz_provider *p, const char *secret, char *out, size_t n);

/** The provider's secret (from secret_env, else secret_file; trailing newline removed), or ""
 * when it has none configured. ODZ_ENOTFOUND when the variable is unset or the file cannot be
 * read, ODZ_EINVAL when it is too long or holds a control character; err never shows it. */
int odz_provider_secret(const odz_provider *p, char *out, size_t n, char *err, size_t errlen);

#endif

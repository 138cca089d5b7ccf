/* oddzy betfair: the Betfair Exchange stream into the racing service; oddzy betfair-login:
 * the session token it authenticates with, kept alive. */
#include "betfair/client.h"
#include "betfair/sso.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/role.h"
#include "core/err.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECRET_MAX 512
#define LIST_MAX ODZ_BF_FILTER_MAX

/* A secret from the environment variable `env`, else from the file named by option `file`
 * (its first line). Never printed. 0 or ODZ_EINVAL after saying which is missing. */
static int secret(const odz_opt *opts, const char *env, const char *file, char *out, size_t n)
{
    const char *v = getenv(env);
    if (v && *v)
        return odz_strlcpy(out, v, n) ? (fprintf(stderr, "oddzy betfair: %s too long\n", env),
                                         ODZ_EINVAL)
                                      : 0;
    const char *path = odz_opt_get(opts, file);
    FILE *f = *path ? fopen(path, "r") : NULL;
    if (!f) {
        fprintf(stderr, "oddzy betfair: set %s or --%s\n", env, file);
        return ODZ_EINVAL;
    }
    char *ok = fgets(out, (int)n, f);
    fclose(f);
    size_t len = ok ? strcspn(out, "\r\n") : 0;
    if (!len) {
        fprintf(stderr, "oddzy betfair: --%s is empty\n", file);
        return ODZ_EINVAL;
    }
    out[len] = '\0';
    return 0;
}

typedef struct {
    char app_key[SECRET_MAX], session[SECRET_MAX];
    char hostport[256], types[256], countries[256], markets[256];
    const char *type_v[LIST_MAX], *country_v[LIST_MAX], *market_v[LIST_MAX];
    odz_bf_client_config cfg;
    odz_bf_client *c;
} betfair_role;

static int betfair_configure(const odz_opt *opts, const char **args, size_t n_args, void *ctx)
{
    betfair_role *r = ctx;
    odz_bf_client_config *cfg = &r->cfg;
    cfg->tls = !*odz_opt_get(opts, "plain");
    cfg->tz = odz_opt_get(opts, "tz");
    char *colon;
    if (odz_strlcpy(r->hostport, odz_opt_get(opts, "stream"), sizeof r->hostport) ||
        !(colon = strrchr(r->hostport, ':')) || colon == r->hostport || !colon[1]) {
        fprintf(stderr, "oddzy betfair: --stream must be HOST:PORT\n");
        return ODZ_EINVAL;
    }
    *colon = '\0';
    cfg->host = r->hostport;
    cfg->port = colon + 1;
    cfg->ca_file = *odz_opt_get(opts, "ca-file") ? odz_opt_get(opts, "ca-file") : NULL;
    if (secret(opts, "ODDZY_BETFAIR_APP_KEY", "app-key-file", r->app_key, sizeof r->app_key) ||
        secret(opts, "ODDZY_BETFAIR_SESSION", "session-file", r->session, sizeof r->session))
        return ODZ_EINVAL;
    cfg->app_key = r->app_key;
    cfg->session_token = r->session;
    /* a token from a file is read again at every connection: oddzy betfair-login renews it */
    const char *env_session = getenv("ODDZY_BETFAIR_SESSION");
    if (!env_session || !*env_session)
        cfg->session_file = odz_opt_get(opts, "session-file");
    cfg->sub.event_type_ids = r->type_v;
    cfg->sub.country_codes = r->country_v;
    cfg->sub.market_types = r->market_v;
    if (odz_strlcpy(r->types, odz_opt_get(opts, "event-types"), sizeof r->types) ||
        odz_strlcpy(r->countries, odz_opt_get(opts, "countries"), sizeof r->countries) ||
        odz_strlcpy(r->markets, odz_opt_get(opts, "market-types"), sizeof r->markets) ||
        odz_opt_list(r->types, r->type_v, LIST_MAX, &cfg->sub.n_event_type_ids) ||
        odz_opt_list(r->countries, r->country_v, LIST_MAX, &cfg->sub.n_country_codes) ||
        odz_opt_list(r->markets, r->market_v, LIST_MAX, &cfg->sub.n_market_types)) {
        fprintf(stderr, "oddzy betfair: --event-types, --countries or --market-types too long "
                        "(at most %d items)\n",
                LIST_MAX);
        return ODZ_EINVAL;
    }
    return 0;
}

static int betfair_start(odz_role_env *env, const odz_opt *opts, void *ctx, odz_role_http *http,
                         char *err)
{
    betfair_role *r = ctx;
    if (!(r->c = odz_bf_client_start(env->bus, &r->cfg, err)))
        return 2;
    odz_log_kv(ODZ_LOG_INFO, "betfair stream started", "host", r->cfg.host, "port", r->cfg.port,
               "tls", r->cfg.tls ? "true" : "false", NULL);
    return 0;
}

static void betfair_stop(void *ctx)
{
    odz_bf_client_stop(((betfair_role *)ctx)->c);
}

static const char betfair_usage[] =
    "Usage: oddzy betfair [--stream HOST:PORT] [--countries AU,NZ] [--db ...]\n\n"
    "Subscribes to the Betfair Exchange Stream API (best offers 3 deep, last traded price,\n"
    "traded volume, market definitions) for horse racing and greyhound WIN and PLACE\n"
    "markets and sends what changes to the racing service about once a second: meetings,\n"
    "races, runners, exchange back and lay prices, scratchings and results. Reconnects\n"
    "with backoff and resubscribes from the last clk. The application key and the session\n"
    "token (from Betfair's login, which this role does not do) come from the environment\n"
    "or files, never from flags.";

static const odz_opt betfair_opts[] = {
    {"stream", "ODDZY_BETFAIR_STREAM", "stream-api.betfair.com:443",
     "HOST:PORT of the Exchange Stream API", NULL, 0},
    {"plain", NULL, NULL, "plain TCP instead of TLS (a local simulated exchange)", NULL, 1},
    {"ca-file", "ODDZY_BETFAIR_CA_FILE", "", "TLS: trust these certificates (PEM)", NULL, 0},
    {"app-key-file", "ODDZY_BETFAIR_APP_KEY_FILE", "",
     "file holding the application key (or env ODDZY_BETFAIR_APP_KEY)", NULL, 0},
    {"session-file", "ODDZY_BETFAIR_SESSION_FILE", "",
     "file holding the session token from the Betfair login (or env ODDZY_BETFAIR_SESSION)",
     NULL, 0},
    {"event-types", "ODDZY_BETFAIR_EVENT_TYPES", "7,4339",
     "event type ids: 7 horse racing, 4339 greyhounds", NULL, 0},
    {"countries", "ODDZY_BETFAIR_COUNTRIES", "", "country codes, e.g. AU,NZ,GB (empty: all)",
     NULL, 0},
    {"market-types", "ODDZY_BETFAIR_MARKET_TYPES", "WIN,PLACE", "market types", NULL, 0},
    ODZ_OPT_ON_BUS("the role", ""),
    ODZ_OPT_END,
};

const odz_role_def odz_role_betfair = {
    .name = "betfair", .summary = "Betfair Exchange stream (live markets) into the racing service",
    .usage = betfair_usage, .opts = betfair_opts, .flags = ODZ_ROLE_BUS | ODZ_ROLE_METRICS,
    .ctx_size = sizeof(betfair_role),
    .configure = betfair_configure, .start = betfair_start, .stop = betfair_stop};

/* ---- oddzy betfair-login ---- */

typedef struct {
    char buf[ODZ_BF_SSO_ANSWER_MAX + 1];
    size_t len;
    bool over;
} answer;

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    answer *a = arg;
    size_t len = size * n;
    if (a->len + len > ODZ_BF_SSO_ANSWER_MAX) {
        a->over = true;
        return 0; /* libcurl stops: the answer is refused whole */
    }
    memcpy(a->buf + a->len, p, len);
    a->len += len;
    return len;
}

typedef struct {
    const char *sso, *cert_sso, *cert, *key, *app_key, *user, *password;
    long timeout_ms;
} sso_config;

/* POST {base}/{call} with the app key (and the token for keepAlive, the form for a login);
 * the token of the answer into token. 0 or ODZ_EINVAL/ODZ_EIO with words in err. */
static int sso_call(const sso_config *c, const char *call, const char *base, const char *form,
                    const char *token_in, char *token, char *err)
{
    char url[512], hdr_app[ODZ_BF_TOKEN_MAX + 32], hdr_tok[ODZ_BF_TOKEN_MAX + 32];
    if (snprintf(url, sizeof url, "%s/%s", base, call) >= (int)sizeof url)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "SSO URL too long");
    snprintf(hdr_app, sizeof hdr_app, "X-Application: %s", c->app_key);
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    h = curl_slist_append(h, hdr_app);
    if (token_in) {
        snprintf(hdr_tok, sizeof hdr_tok, "X-Authentication: %s", token_in);
        h = curl_slist_append(h, hdr_tok);
    }
    static answer a;
    a.len = 0;
    a.over = false;
    CURL *e = curl_easy_init();
    if (!e || !h) {
        curl_slist_free_all(h);
        curl_easy_cleanup(e);
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, form ? form : "");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->cert && *c->cert && form) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert);
        curl_easy_setopt(e, CURLOPT_SSLKEY, c->key);
    }
    CURLcode cc = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    explicit_bzero(hdr_tok, sizeof hdr_tok);
    int rc;
    if (a.over)
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "%s: answer over %d bytes", call,
                      ODZ_BF_SSO_ANSWER_MAX);
    else if (cc != CURLE_OK)
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: %s", call, curl_easy_strerror(cc));
    else if (status != 200)
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "%s: HTTP status %ld", call, status);
    else {
        char why[ODZ_ERRLEN];
        rc = odz_bf_sso_parse(a.buf, a.len, token, ODZ_BF_TOKEN_MAX, why, sizeof why);
        if (rc)
            odz_fail(err, ODZ_ERRLEN, rc, "%s: %s", call, why);
    }
    explicit_bzero(a.buf, sizeof a.buf);
    return rc;
}

static int sso_login(const sso_config *c, char *token, char *err)
{
    char form[1024];
    if (odz_bf_sso_login_form(c->user, c->password, form, sizeof form))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL,
                        "username and password must be 1..256 characters, no control characters");
    bool cert = c->cert && *c->cert;
    int rc = sso_call(c, cert ? "certlogin" : "login", cert ? c->cert_sso : c->sso, form, NULL,
                      token, err);
    explicit_bzero(form, sizeof form);
    return rc;
}

/* The token into `path`, mode 0600, replacing it at once (a reader never sees half). */
static int write_token(const char *path, const char *token, char *err)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "--out: path too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "--out: %s: %s", tmp, strerror(errno));
    size_t len = strlen(token);
    bool ok = write(fd, token, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && !fsync(fd);
    ok = !close(fd) && ok;
    if (!ok || rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "--out: %s: %s", path, strerror(e));
    }
    return 0;
}

typedef struct {
    char app_key[SECRET_MAX], password[SECRET_MAX];
    int64_t every;
    const char *out;
    sso_config c;
} login_role;

static int login_configure(const odz_opt *opts, const char **args, size_t n_args, void *ctx)
{
    login_role *r = ctx;
    int64_t timeout;
    r->out = odz_opt_get(opts, "out");
    r->c = (sso_config){.sso = odz_opt_get(opts, "sso"),
                        .cert_sso = odz_opt_get(opts, "cert-sso"),
                        .cert = odz_opt_get(opts, "cert-file"),
                        .key = odz_opt_get(opts, "key-file"),
                        .user = odz_opt_get(opts, "username"),
                        .app_key = r->app_key,
                        .password = r->password};
    if (odz_opt_int(opts, "keep-alive", 0, 43200, &r->every) ||
        odz_opt_int(opts, "timeout-ms", 1000, 120000, &timeout))
        return ODZ_EINVAL;
    if (!*r->c.user || !*r->out) {
        fprintf(stderr, "oddzy betfair-login: --username and --out are needed\n");
        return ODZ_EINVAL;
    }
    if (!*r->c.cert != !*r->c.key) {
        fprintf(stderr, "oddzy betfair-login: --cert-file and --key-file go together\n");
        return ODZ_EINVAL;
    }
    if (secret(opts, "ODDZY_BETFAIR_APP_KEY", "app-key-file", r->app_key, sizeof r->app_key) ||
        secret(opts, "ODDZY_BETFAIR_PASSWORD", "password-file", r->password,
               sizeof r->password))
        return ODZ_EINVAL;
    r->c.timeout_ms = (long)timeout;
    return 0;
}

/* Log in and write the token; with --keep-alive, keep it alive (logging in again when that
 * fails) until a signal. The exit status. */
static int login_wait(void *ctx)
{
    login_role *r = ctx;
    const sso_config *c = &r->c;
    char token[ODZ_BF_TOKEN_MAX], err[ODZ_ERRLEN];
    int status = 0;
    bool logged_in = false;
    for (;;) {
        if (!logged_in) {
            if (sso_login(c, token, err) || write_token(r->out, token, err)) {
                odz_log_kv(ODZ_LOG_ERROR, "betfair login failed", "error", err, NULL);
                if (!r->every) {
                    fprintf(stderr, "oddzy betfair-login: %s\n", err);
                    status = 1;
                    break;
                }
            } else {
                logged_in = true;
                odz_log_kv(ODZ_LOG_INFO, "betfair session token written", "file", r->out, NULL);
            }
        } else {
            char fresh[ODZ_BF_TOKEN_MAX];
            if (sso_call(c, "keepAlive", c->sso, NULL, token, fresh, err) ||
                (strcmp(fresh, token) && write_token(r->out, fresh, err))) {
                odz_log_kv(ODZ_LOG_WARN, "betfair keepAlive failed: logging in again", "error",
                           err, NULL);
                logged_in = false;
                continue;
            }
            memcpy(token, fresh, sizeof token);
            odz_log_kv(ODZ_LOG_INFO, "betfair session kept alive", NULL);
        }
        /* once: done; kept alive: the next keepAlive, or a retry of the login in a minute */
        if (!r->every || odz_signals_timedwait((logged_in ? r->every : 60) * 1000))
            break;
    }
    explicit_bzero(token, sizeof token);
    return status;
}

static const char login_usage[] =
    "Usage: oddzy betfair-login --username NAME --out FILE [--keep-alive SECONDS]\n"
    "                           [--cert-file CRT --key-file KEY]\n\n"
    "Logs in to Betfair's identity service with the account name, the password (from\n"
    "ODDZY_BETFAIR_PASSWORD or --password-file) and the application key, and writes the\n"
    "session token to --out for `oddzy betfair --session-file`. With --keep-alive it\n"
    "stays running and refreshes the token until stopped. Secrets are never logged.";

static const odz_opt login_opts[] = {
    {"username", "ODDZY_BETFAIR_USERNAME", "", "Betfair account name", NULL, 0},
    {"password-file", "ODDZY_BETFAIR_PASSWORD_FILE", "",
     "file holding the password (or env ODDZY_BETFAIR_PASSWORD)", NULL, 0},
    {"app-key-file", "ODDZY_BETFAIR_APP_KEY_FILE", "",
     "file holding the application key (or env ODDZY_BETFAIR_APP_KEY)", NULL, 0},
    {"out", "ODDZY_BETFAIR_SESSION_FILE", "",
     "write the session token to this file (mode 0600); oddzy betfair --session-file "
     "reads it at every connection",
     NULL, 0},
    {"sso", "ODDZY_BETFAIR_SSO", "https://identitysso.betfair.com/api",
     "identity service for login and keepAlive (Australian and New Zealand accounts: "
     "https://identitysso.betfair.com.au/api)",
     NULL, 0},
    {"cert-sso", "ODDZY_BETFAIR_CERT_SSO", "https://identitysso-cert.betfair.com/api",
     "identity service for certificate login", NULL, 0},
    {"cert-file", "ODDZY_BETFAIR_CERT_FILE", "",
     "client certificate (PEM) registered on the account: log in with certlogin, "
     "Betfair's way for unattended programs",
     NULL, 0},
    {"key-file", "ODDZY_BETFAIR_KEY_FILE", "", "private key of --cert-file (PEM)", NULL, 0},
    {"keep-alive", "ODDZY_BETFAIR_KEEP_ALIVE", "0",
     "0: log in once and exit; N: stay running, keepAlive every N seconds (up to 43200; "
     "Betfair expires an unused token after some hours: 3600 is plenty), logging in again "
     "when it fails",
     NULL, 0},
    {"timeout-ms", NULL, "15000", "per-request timeout", NULL, 0},
    ODZ_OPT_END,
};

const odz_role_def odz_role_betfair_login = {
    .name = "betfair-login",
    .summary = "log in to Betfair and keep the stream's session token alive",
    .usage = login_usage, .opts = login_opts, .flags = ODZ_ROLE_CURL,
    .ctx_size = sizeof(login_role),
    .configure = login_configure, .wait = login_wait};

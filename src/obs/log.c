/* Structured logging: JSON lines or text, one write(2) per line, bounded line length. */
#include "obs/log.h"
#include "core/utf8.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"

#define LOG_MAX_PAIRS 64
/* Room kept at the end of a line for what closes it: a quote, ,"truncated":true, }\n. */
#define LOG_RESERVE 32

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int g_level = ODZ_LOG_INFO;
static int g_fd = STDOUT_FILENO;                      /* under g_mu */
static int g_text;                                    /* under g_mu */
static char g_service[ODZ_LOG_SERVICE_MAX] = "oddzy"; /* under g_mu */

static _Thread_local char t_corr[ODZ_LOG_CORR_MAX + 1];

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const char *const level_text[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

int odz_log_level_parse(const char *s, int *out)
{
    if (!s || !out)
        return ODZ_EINVAL;
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = ODZ_LOG_WARN;
        return 0;
    }
    return ODZ_EINVAL;
}

const char *odz_log_level_name(int level)
{
    return level >= ODZ_LOG_DEBUG && level <= ODZ_LOG_ERROR ? level_names[level] : "info";
}

static int clamp_level(int level)
{
    return level < ODZ_LOG_DEBUG ? ODZ_LOG_DEBUG : level > ODZ_LOG_ERROR ? ODZ_LOG_ERROR : level;
}

/* Copy at most cap-1 bytes without cutting a UTF-8 sequence in half. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    if (n == cap - 1 && src[n] != '\0')
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void odz_log_init(const char *service, int level, int text_format, FILE *out)
{
    FILE *f = out ? out : stdout;
    fflush(f); /* whatever stdio still holds must come before our first write() */
    pthread_mutex_lock(&g_mu);
    if (service)
        copy_cut(g_service, sizeof g_service, service);
    g_fd = fileno(f);
    g_text = text_format != 0;
    atomic_store(&g_level, clamp_level(level));
    pthread_mutex_unlock(&g_mu);
}

void odz_log_set_service(const char *service)
{
    if (!service)
        return;
    pthread_mutex_lock(&g_mu);
    copy_cut(g_service, sizeof g_service, service);
    pthread_mutex_unlock(&g_mu);
}

int odz_log_enabled(int level)
{
    return level >= atomic_load_explicit(&g_level, memory_order_relaxed);
}

void odz_log_set_corr(const char *id)
{
    if (!id)
        id = "";
    copy_cut(t_corr, sizeof t_corr, id);
}

const char *odz_log_corr(void)
{
    return t_corr;
}

/* Correlation ids come from a per-thread generator, seeded once (getrandom, or the clock and
 * addresses when the kernel has no entropy yet) instead of a system call per request: the first
 * half is the thread's random stream id, the second a counter through a bijective mixer, so
 * one thread never repeats an id and two threads differ by their streams. A forked child
 * reseeds (pthread_atfork bumps the epoch), so it does not repeat its parent's ids. */
static atomic_uint g_corr_epoch = 1;
static pthread_once_t g_corr_once = PTHREAD_ONCE_INIT;
static _Thread_local struct {
    unsigned epoch;
    uint64_t stream, key, n;
} t_gen;

static void corr_after_fork(void)
{
    atomic_fetch_add(&g_corr_epoch, 1);
}

static void corr_register_fork(void)
{
    pthread_atfork(NULL, NULL, corr_after_fork);
}

static uint64_t mix64(uint64_t z) /* splitmix64's finalizer: a bijection of 64-bit words */
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void corr_seed(unsigned epoch)
{
    pthread_once(&g_corr_once, corr_register_fork);
    uint64_t r[2];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        /* ids only need to be unique, not secret */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
                     ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&t_gen;
        r[0] = mix64(x + 0x9E3779B97F4A7C15ull);
        r[1] = mix64(x + 2 * 0x9E3779B97F4A7C15ull);
    }
    t_gen.stream = r[0];
    t_gen.key = r[1];
    t_gen.n = 0;
    t_gen.epoch = epoch;
}

void odz_corr_new(char out[33])
{
    static const char hex[] = "0123456789abcdef";
    unsigned epoch = atomic_load_explicit(&g_corr_epoch, memory_order_relaxed);
    if (t_gen.epoch != epoch)
        corr_seed(epoch);
    uint64_t w[2] = {t_gen.stream, mix64(t_gen.key + t_gen.n++)};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 16; i++)
            out[16 * k + i] = hex[(w[k] >> (60 - 4 * i)) & 15];
    out[32] = '\0';
}

/* ---- secrets kept out of the lines: slots written once, before the count that shows them ---- */

static char g_secret[ODZ_LOG_SECRETS_MAX][ODZ_LOG_SECRET_MAX];
static size_t g_secret_len[ODZ_LOG_SECRETS_MAX];
static _Atomic size_t g_n_secrets;

int odz_log_add_secret(const char *secret)
{
    size_t len = secret ? strlen(secret) : 0;
    if (len < 4 || len >= ODZ_LOG_SECRET_MAX)
        return ODZ_EINVAL;
    pthread_mutex_lock(&g_mu);
    size_t n = atomic_load(&g_n_secrets);
    int rc = n < ODZ_LOG_SECRETS_MAX ? 0 : ODZ_EFULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(g_secret[i], secret))
            rc = 1;
    if (rc == 0) {
        memcpy(g_secret[n], secret, len + 1);
        g_secret_len[n] = len;
        atomic_store(&g_n_secrets, n + 1);
    }
    pthread_mutex_unlock(&g_mu);
    return rc > 0 ? 0 : rc;
}

/* The length of the kept secret that `u` starts with, 0 if none. */
static size_t secret_at(const unsigned char *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (*u == (unsigned char)g_secret[i][0] &&
            !strncmp((const char *)u, g_secret[i], g_secret_len[i]))
            return g_secret_len[i];
    return 0;
}

/* ---- line buffer: fixed size, content limited to lim so that closing always fits ---- */

typedef struct {
    char p[ODZ_LOG_LINE_MAX];
    size_t len, lim;
    int trunc;
} lbuf;

static int lb_raw(lbuf *b, const char *s, size_t n)
{
    if (b->trunc || b->len + n > b->lim) {
        b->trunc = 1;
        return -1;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int lb_str(lbuf *b, const char *s)
{
    return lb_raw(b, s, strlen(s));
}

/* Append s escaped: as a JSON string body (json) or for the text format. Control bytes
 * and invalid UTF-8 never reach the output raw. Stops cleanly at the limit. */
static int lb_escaped(lbuf *b, const char *s, int json)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t n_secrets = atomic_load(&g_n_secrets);
    while (*u) {
        size_t hide = n_secrets ? secret_at(u, n_secrets) : 0;
        if (hide) {
            if (lb_raw(b, "***", 3) < 0)
                return -1;
            u += hide;
            continue;
        }
        char tmp[8];
        const char *out = tmp;
        size_t n;
        int adv = 1;
        unsigned c = *u;
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            n = 2;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            tmp[0] = '\\';
            tmp[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            n = 2;
        } else if (c < 0x20 || c == 0x7F) {
            if (json)
                memcpy(tmp, "\\u00", 4), tmp[4] = hex[c >> 4], tmp[5] = hex[c & 15], n = 6;
            else
                memcpy(tmp, "\\x", 2), tmp[2] = hex[c >> 4], tmp[3] = hex[c & 15], n = 4;
        } else if (c < 0x80) {
            tmp[0] = (char)c;
            n = 1;
        } else if ((adv = odz_utf8_seq(u, 4)) > 0) {
            out = (const char *)u;
            n = (size_t)adv;
        } else {
            adv = 1;
            if (json)
                out = "\\ufffd", n = 6;
            else
                memcpy(tmp, "\\x", 2), tmp[2] = hex[c >> 4], tmp[3] = hex[c & 15], n = 4;
        }
        if (lb_raw(b, out, n) < 0)
            return -1;
        u += adv;
    }
    return 0;
}

/* A JSON string; when cut, the closing quote still goes in (from the reserve). */
static int lb_jstr(lbuf *b, const char *s)
{
    if (lb_raw(b, "\"", 1) < 0)
        return -1;
    int rc = lb_escaped(b, s, 1);
    b->p[b->len++] = '"';
    return rc;
}

/* JSON ,"key":"value" (or null); a key that does not fit is taken out whole. */
static int lb_jfield(lbuf *b, const char *key, const char *val)
{
    size_t save = b->len;
    if (lb_raw(b, ",", 1) < 0 || lb_jstr(b, key) < 0 || lb_raw(b, ":", 1) < 0) {
        b->len = save;
        b->trunc = 1;
        return -1;
    }
    return val ? lb_jstr(b, val) : lb_str(b, "null");
}

/* Text key=value, quoting values that would otherwise be ambiguous. */
static int lb_tfield(lbuf *b, const char *key, const char *val)
{
    size_t save = b->len;
    if (lb_raw(b, " ", 1) < 0 || lb_escaped(b, key, 0) < 0 || lb_raw(b, "=", 1) < 0) {
        b->len = save;
        b->trunc = 1;
        return -1;
    }
    if (!val)
        return lb_str(b, "null");
    int quote = *val == '\0' || strpbrk(val, " =\"") != NULL;
    for (const unsigned char *u = (const unsigned char *)val; *u && !quote; u++)
        quote = *u < 0x20 || *u == 0x7F;
    if (!quote)
        return lb_escaped(b, val, 0);
    if (lb_raw(b, "\"", 1) < 0)
        return -1;
    int rc = lb_escaped(b, val, 0);
    b->p[b->len++] = '"';
    return rc;
}

/* Field keys that would repeat a standard key get a leading underscore. */
static const char *field_key(const char *k, char *tmp, size_t cap)
{
    static const char *const std_keys[] = {"ts",  "level",          "service",
                                           "msg", "correlation_id", "truncated"};
    for (size_t i = 0; i < sizeof std_keys / sizeof *std_keys; i++) {
        if (strcmp(k, std_keys[i]) == 0) {
            snprintf(tmp, cap, "_%s", k);
            return tmp;
        }
    }
    return k;
}

static void write_all(const char *p, size_t n)
{
    pthread_mutex_lock(&g_mu);
    int fd = g_fd;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break; /* nowhere to report a failing log sink */
        }
        p += w;
        n -= (size_t)w;
    }
    pthread_mutex_unlock(&g_mu);
}

static void emit(int level, const char *msg, va_list *ap)
{
    lbuf b;
    char service[ODZ_LOG_SERVICE_MAX];
    int text;
    level = clamp_level(level);

    pthread_mutex_lock(&g_mu);
    memcpy(service, g_service, sizeof service);
    text = g_text;
    pthread_mutex_unlock(&g_mu);

    b.len = 0;
    b.lim = sizeof b.p - LOG_RESERVE;
    b.trunc = 0;

    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    char head[64];
    int hn;
    if (text) {
        localtime_r(&ts.tv_sec, &tm);
        hn = snprintf(head, sizeof head, "%02d:%02d:%02d.%03ld %s ", tm.tm_hour, tm.tm_min,
                      tm.tm_sec, ts.tv_nsec / 1000000, level_text[level]);
    } else {
        gmtime_r(&ts.tv_sec, &tm);
        hn = snprintf(head, sizeof head,
                      "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\"",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, ts.tv_nsec / 1000000, level_names[level]);
    }
    lb_raw(&b, head, hn > 0 && (size_t)hn < sizeof head ? (size_t)hn : 0);

    if (text) {
        lb_escaped(&b, service, 0);
        lb_str(&b, "  ");
        lb_escaped(&b, msg ? msg : "", 0);
        if (t_corr[0])
            lb_tfield(&b, "corr", t_corr);
    } else {
        lb_jfield(&b, "service", service);
        lb_jfield(&b, "msg", msg ? msg : "");
        lb_jfield(&b, "correlation_id", t_corr);
    }
    if (ap) {
        char kbuf[24];
        for (int i = 0; i < LOG_MAX_PAIRS && !b.trunc; i++) {
            const char *k = va_arg(*ap, const char *);
            if (!k)
                break;
            const char *v = va_arg(*ap, const char *);
            if (text)
                lb_tfield(&b, k, v);
            else
                lb_jfield(&b, field_key(k, kbuf, sizeof kbuf), v);
        }
    }

    /* The reserve holds what follows even when the content was cut. */
    b.lim = sizeof b.p;
    if (text) {
        if (b.trunc) {
            b.trunc = 0;
            lb_str(&b, " [truncated]");
        }
        lb_raw(&b, "\n", 1);
    } else {
        if (b.trunc) {
            b.trunc = 0;
            lb_str(&b, ",\"truncated\":true");
        }
        lb_raw(&b, "}\n", 2);
    }
    write_all(b.p, b.len);
}

void odz_log_kv(int level, const char *msg, ...)
{
    if (!odz_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, msg);
    emit(level, msg, &ap);
    va_end(ap);
}

void odz_logf(int level, const char *fmt, ...)
{
    if (!odz_log_enabled(level))
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0'; /* a cut UTF-8 sequence at the end becomes U+FFFD when escaped */
    emit(level, msg, NULL);
}

void odz_log_redact_url(const char *url, char *out, size_t outlen)
{
    if (!outlen)
        return;
    if (!url)
        url = "";
    const char *scheme = strstr(url, "://");
    const char *auth = scheme ? scheme + 3 : NULL;
    const char *at = auth ? strpbrk(auth, "@/?#") : NULL;
    const char *colon = at && *at == '@' ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon) {
        snprintf(out, outlen, "%s", url);
        return;
    }
    snprintf(out, outlen, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

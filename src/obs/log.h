/* Structured logs: one JSON object per line (or a terminal-friendly text line), per-thread
 * correlation ids, level filtering. Safe to call from any thread once configured. */
#ifndef ODZ_LOG_H
#define ODZ_LOG_H

#include <stdio.h>

enum { ODZ_LOG_DEBUG, ODZ_LOG_INFO, ODZ_LOG_WARN, ODZ_LOG_ERROR };

/* Hard limits: a line never exceeds ODZ_LOG_LINE_MAX bytes (longer content is cut and the
 * line gets "truncated":true); a correlation id keeps at most ODZ_LOG_CORR_MAX bytes. */
#define ODZ_LOG_LINE_MAX 16384
#define ODZ_LOG_CORR_MAX 64
#define ODZ_LOG_SERVICE_MAX 48

/** "debug", "info", "warn" (or "warning"), "error", any case, into *out. 0 or ODZ_EINVAL
 *  (then *out is untouched). */
int odz_log_level_parse(const char *s, int *out);

/** Name of a level ("debug", "info", "warn", "error"); "info" for an unknown value. */
const char *odz_log_level_name(int level);

/**
 * Configure (or reconfigure) logging: service name (NULL keeps the current one, default
 * "oddzy"), minimum level, text_format nonzero for the terminal format instead of JSON
 * lines, out NULL for stdout. `out` is borrowed: the caller keeps it open for as long as
 * it is configured, and closes it only after another odz_log_init has returned. Lines are
 * written with write(2) on fileno(out), one call per line, never through stdio buffers.
 * Before the first call, logs go to stdout in JSON at level info.
 */
void odz_log_init(const char *service, int level, int text_format, FILE *out);

/** Change the service name only (cut at ODZ_LOG_SERVICE_MAX - 1 bytes). */
void odz_log_set_service(const char *service);

/** Nonzero when a line at `level` would be written (cheap: one atomic load). */
int odz_log_enabled(int level);

/**
 * Write one line with message `msg` and fields given as `const char *` key, value pairs,
 * always terminated by a NULL key:
 *   odz_log_kv(ODZ_LOG_WARN, "scrape failed", "url", url, "status", "500", NULL);
 * A NULL value is written as JSON null. A key equal to a standard one (ts, level, service,
 * msg, correlation_id, truncated) is written with a leading underscore ("_msg"). At most 64
 * pairs are read. Nothing is retained.
 */
void odz_log_kv(int level, const char *msg, ...);

/** printf-formatted message without fields; prefer the ODZ_LOG_*F macros. */
void odz_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ODZ_LOG_DEBUGF(...) odz_logf(ODZ_LOG_DEBUG, __VA_ARGS__)
#define ODZ_LOG_INFOF(...) odz_logf(ODZ_LOG_INFO, __VA_ARGS__)
#define ODZ_LOG_WARNF(...) odz_logf(ODZ_LOG_WARN, __VA_ARGS__)
#define ODZ_LOG_ERRORF(...) odz_logf(ODZ_LOG_ERROR, __VA_ARGS__)

/**
 * The calling thread's correlation id, written as "correlation_id" on each of its lines.
 * The id is copied (cut at ODZ_LOG_CORR_MAX bytes); NULL or "" clears it. The value may
 * come from a client header: it is escaped on output, but validate it before trusting it
 * anywhere else.
 */
void odz_log_set_corr(const char *id);

/** The calling thread's correlation id, "" if none. Valid until the thread sets another. */
const char *odz_log_corr(void);

/** A new id, unique within the process and across its forks: 32 lowercase hex digits and a NUL
 *  written into out. From a per-thread generator seeded once from getrandom (no system call
 *  per id); not a secret. Any thread. */
void odz_corr_new(char out[33]);

/** Keep `secret` (a source's token or key) out of every later line: wherever its text appears in
 * a message, a field value or the service name, "***" is written instead. Up to
 * ODZ_LOG_SECRETS_MAX secrets of 4 to ODZ_LOG_SECRET_MAX - 1 bytes (a shorter one would hide
 * ordinary text): ODZ_EINVAL for a secret of another length, ODZ_EFULL past the count; adding
 * one already kept is 0. The text is copied. Any thread. */
#define ODZ_LOG_SECRETS_MAX 16
#define ODZ_LOG_SECRET_MAX 1024
int odz_log_add_secret(const char *secret);

/** Copies `url` to out for logging with any password hidden: "postgres://u:secret@h/db" becomes
 *  "postgres://u:***@h/db"; text without "scheme://user:pass@" is copied as is (truncated to
 *  outlen - 1). */
void odz_log_redact_url(const char *url, char *out, size_t outlen);

#endif

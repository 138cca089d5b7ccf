/* The one error convention of Oddzy: 0 on success, a negative ODZ_E* code on failure.
 *
 * Codes. A function that can fail returns 0 or one of the ODZ_E* below (never -1 from errno,
 * never a positive error); a count or an id is returned through an out-parameter, or as a
 * non-negative value documented as such beside the function. odz_errcode() names a code in
 * one stable word for logs, bus replies and JSON errors, and odz_errcode_parse() turns that word
 * back into the code (the bus client uses it on a racing service's reply). Over HTTP a code
 * becomes a status through odz_http_status_of() (http/server.h), the one map for every route.
 *
 * Message buffers. Where the caller needs words, the function also fills a message buffer,
 * in one of two spellings with the same rules:
 *   - `char *err`: the caller passes ODZ_ERRLEN bytes (`char err[ODZ_ERRLEN]`); never NULL.
 *     The roles' own layers use it (store, racing, api, scraper, prices).
 *   - `char *err, size_t errlen`: any size, and NULL/0 when the caller wants no words. The
 *     reusable layers use it (core, bus, http, metrics listener, sources, feed, live).
 * The rules for both: the buffer is written only when the function fails (its contents after
 * a success are unspecified: do not read them), always NUL-terminated and truncated to fit;
 * the words are a sentence fragment for a human ("race 12: unknown status 'x'") with no
 * trailing newline, safe to log (no passwords, no raw bytes of outside input beyond
 * a short quoted excerpt); the caller decides whether to log them. Fill it
 * with odz_fail(), which returns the code, so failing is `return odz_fail(err, ...)`. Words
 * travel up unchanged or prefixed with context ("racing.get_race: %s"), never replaced. */
#ifndef ODZ_ERR_H
#define ODZ_ERR_H

#include <stddef.h>

enum {
    ODZ_OK = 0,
    ODZ_EINVAL = -1,   /* bad input: malformed, out of range, too long */
    ODZ_ENOTFOUND = -2,/* unknown id or key */
    ODZ_ESTATE = -3,   /* operation not allowed in the current state (e.g. backward status move) */
    ODZ_ENOMEM = -4,
    ODZ_EIO = -5,      /* database, file or network failure */
    ODZ_ETIMEOUT = -6,
    ODZ_EFULL = -7,    /* a bounded queue or buffer is full */
    ODZ_ECLOSED = -8,  /* the object is shut down */
    ODZ_ENORESP = -9,  /* no responder on the bus */
};

/** Short stable word for a code ("invalid", "not_found", ...); "error" for an unknown code;
 *  never NULL. */
const char *odz_errcode(int err);

/** The code whose odz_errcode() is `word` (0 for "ok"); ODZ_EIO for NULL or a word that names
 *  no code (a peer that failed in a way we cannot name). */
int odz_errcode_parse(const char *word);

/* Size of a `char *err` message buffer (see above). */
#define ODZ_ERRLEN 256

/** snprintf into an optional error buffer; returns `code` so callers can `return odz_fail(...)`. */
int odz_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

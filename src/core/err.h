/* The one error convention of Oddzy: 0 on success, a negative ODZ_E* code on failure. */
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

/** Short stable code for an error ("invalid", "not_found", ...); never NULL. */
const char *odz_errcode(int err);

/* Message buffers passed as `char *err, size_t errlen` are filled with words for a human.
 * Either may be NULL/0 when the caller does not want them. */
#define ODZ_ERRLEN 256

/** snprintf into an optional error buffer; returns `code` so callers can `return odz_fail(...)`. */
int odz_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

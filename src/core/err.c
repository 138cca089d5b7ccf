/* Error codes to words. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *odz_errcode(int err)
{
    switch (err) {
    case ODZ_OK: return "ok";
    case ODZ_EINVAL: return "invalid";
    case ODZ_ENOTFOUND: return "not_found";
    case ODZ_ESTATE: return "bad_state";
    case ODZ_ENOMEM: return "no_memory";
    case ODZ_EIO: return "io_error";
    case ODZ_ETIMEOUT: return "timeout";
    case ODZ_EFULL: return "full";
    case ODZ_ECLOSED: return "closed";
    case ODZ_ENORESP: return "no_responder";
    default: return "error";
    }
}

int odz_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

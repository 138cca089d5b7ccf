/* Error codes to words and back: one table for both directions. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int code;
    const char *word;
} codes[] = {
    {ODZ_OK, "ok"},           {ODZ_EINVAL, "invalid"},      {ODZ_ENOTFOUND, "not_found"},
    {ODZ_ESTATE, "bad_state"}, {ODZ_ENOMEM, "no_memory"},    {ODZ_EIO, "io_error"},
    {ODZ_ETIMEOUT, "timeout"}, {ODZ_EFULL, "full"},          {ODZ_ECLOSED, "closed"},
    {ODZ_ENORESP, "no_responder"},
};

const char *odz_errcode(int err)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].code == err)
            return codes[i].word;
    return "error";
}

int odz_errcode_parse(const char *word)
{
    for (size_t i = 0; word && i < sizeof codes / sizeof codes[0]; i++)
        if (!strcmp(codes[i].word, word))
            return codes[i].code;
    return ODZ_EIO;
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

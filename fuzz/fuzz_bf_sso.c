/* libFuzzer target: Betfair SSO answers (src/betfair/sso.c) on any bytes. A token read is
 * printable, without spaces, and fits its buffer; a failure leaves the buffer as it was. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "betfair/sso.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t lens[] = {1, 8, ODZ_BF_TOKEN_MAX};
    char err[ODZ_ERRLEN];
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        char token[ODZ_BF_TOKEN_MAX + 1];
        memset(token, 0x55, sizeof token);
        token[0] = '\0';
        int rc = odz_bf_sso_parse((const char *)data, size, token, lens[i], err, sizeof err);
        if (rc != 0 && rc != ODZ_EINVAL)
            __builtin_trap();
        if (token[lens[i]] != 0x55)
            __builtin_trap();
        if (rc == 0) {
            size_t n = strnlen(token, lens[i]);
            if (n == 0 || n >= lens[i])
                __builtin_trap();
            for (size_t k = 0; k < n; k++)
                if (token[k] <= 0x20 || token[k] >= 0x7f)
                    __builtin_trap();
        } else if (token[0] != '\0') {
            __builtin_trap();
        }
    }
    /* the form builder on the input split at its first NUL or newline */
    char user[300] = {0}, form[1200];
    size_t n = size < sizeof user - 1 ? size : sizeof user - 1;
    memcpy(user, data, n);
    user[strcspn(user, "\n")] = '\0';
    int rc = odz_bf_sso_login_form(user, "pw", form, sizeof form);
    if (rc == 0 && strncmp(form, "username=", 9) != 0)
        __builtin_trap();
    return 0;
}

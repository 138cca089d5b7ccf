/* UTF-8 checks (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
#ifndef ODZ_UTF8_H
#define ODZ_UTF8_H

#include <stddef.h>

/** Length (2 to 4) of a valid multi-byte sequence at s using at most n bytes, 0 if there is
 *  none. Bytes are read in order and only while valid, so on a NUL-terminated string any
 *  n >= 4 is safe. */
int odz_utf8_seq(const unsigned char *s, size_t n);
/** 1 if the n bytes at s are valid UTF-8, else 0. */
int odz_utf8_valid(const void *s, size_t n);

#endif

/* Betfair historical-data files: one stream message (mcm, with its publish time pt) a line,
 * plain or bzip2-compressed as downloaded, read line by line with a bounded line length. */
#ifndef ODZ_BETFAIR_HISTORY_H
#define ODZ_BETFAIR_HISTORY_H

#include <stddef.h>
#include <stdio.h>

#define ODZ_BF_LINE_MAX (4u * 1024u * 1024u) /* bytes of one line, newline excluded */

typedef struct odz_bf_history odz_bf_history;

/** Open the file at `path` (bzip2 when it starts with the bzip2 magic "BZh", else plain).
 * 0 with *out (close with odz_bf_history_close), or ODZ_EIO with words in err. */
int odz_bf_history_open(const char *path, odz_bf_history **out, char *err, size_t errlen);
/** The same over an open stream, which the reader then owns (closes). */
int odz_bf_history_from(FILE *f, odz_bf_history **out, char *err, size_t errlen);

/**
 * The next non-empty line (a trailing "\r" dropped): 1 with *line (NUL-terminated, borrowed
 * until the next call) and *len; 0 at the end of the file; ODZ_EINVAL for a line longer than
 * ODZ_BF_LINE_MAX (it is skipped: the next call reads the line after it) or a corrupt bzip2
 * stream, ODZ_EIO for a read error, ODZ_ENOMEM; words in err. After ODZ_EIO, ODZ_ENOMEM or a
 * corrupt stream every further call returns the same error.
 */
int odz_bf_history_next(odz_bf_history *h, const char **line, size_t *len, char *err,
                        size_t errlen);
/** Line number of the line last returned (1-based). */
size_t odz_bf_history_lineno(const odz_bf_history *h);
void odz_bf_history_close(odz_bf_history *h);

#endif

/* Recorded Betfair markets played through the normal pipeline: historical files (merged by
 * publish time) into a market cache, the changed races as scrapes to the racing service over
 * the bus, N times faster than recorded or as fast as the service takes them. */
#ifndef ODZ_BETFAIR_REPLAY_H
#define ODZ_BETFAIR_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

#define ODZ_REPLAY_MAX_FILES 64 /* open at once (merged): up to ~4 MiB each for a .bz2 */
#define ODZ_REPLAY_BATCH_LINES 256 /* messages applied at most between two sends */

typedef struct {
    const char *const *files;  /* historical files, plain or .bz2 (borrowed until start returns) */
    size_t n_files;
    double speed;              /* N times faster than recorded; 0: as fast as possible */
    const char *tz;            /* race-day zone (NULL: default) */
} odz_replay_config;

typedef struct {
    size_t lines;              /* messages read */
    size_t bad_lines;          /* refused (logged, skipped) */
    size_t batches, failed_batches;
    int64_t races_changed;
    int64_t first_pt, last_pt; /* publish times played, epoch ms */
} odz_replay_stats;

typedef struct odz_replay odz_replay;

/** A replay speed as the command line gives it: a number above 0 (up to 1e6), or "max" (0:
 * as fast as possible). 0 or ODZ_EINVAL. */
int odz_replay_speed_parse(const char *s, double *out);

/** Open every file (and the market catalogues "catalogue-<market id>.json" found beside
 * them, for runner names) and start playing on a thread of its own. Borrows bus. NULL with
 * words in err (ODZ_ERRLEN) for no files, too many, a bad speed or a file that cannot be
 * opened. */
odz_replay *odz_replay_start(odz_bus *bus, const odz_replay_config *cfg, char *err);
/** true once every file has been played to its end and the last batch stored; waits up to
 *  `ms` milliseconds for that (0: answers at once), woken as soon as it happens. */
bool odz_replay_wait(odz_replay *r, int64_t ms);
/** Stop (at once if still playing), fill *stats (may be NULL) and free. NULL is a no-op. */
void odz_replay_stop(odz_replay *r, odz_replay_stats *stats);

#endif

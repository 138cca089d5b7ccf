/* Internal to src/store: the rules of retired races (retire.c), inside a write transaction of
 * merge.c. Both return 0 or an ODZ_E* code with words in err (ODZ_ERRLEN). */
#ifndef ODZ_STORE_RETIRE_H
#define ODZ_STORE_RETIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/driver.h"
#include "store/store.h"

/* *into = the race `id` was merged into, 0 when it is not retired. */
int odz_store__race_merged(odz_drv_tx *tx, odz_drv *d, int64_t id, int64_t *into, char *err);

/* Retire race `race_key` into race `into_key`, copying the history and books of each runner
 * pair in pairs[0..n) (into_key NULL: clear an earlier merge, what was copied staying; see
 * store.h retire_race); a race never stored is not an error. `work` holds two races of scratch space; *wrote is set when anything was written;
 * the races touched go to c (NULL: not wanted). */
int odz_store__retire(odz_drv_tx *tx, odz_drv *d, const char *race_key, const char *into_key,
                      const odz_store_rekey *pairs, size_t n, int64_t now, odz_changes *c,
                      odz_race *work, bool *wrote, char *err);

#endif

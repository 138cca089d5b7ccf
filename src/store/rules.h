/* Internal to src/store: validation of what is written and the comparisons that decide
 * whether a row changed, pure functions used by the rules of merge.c. */
#ifndef ODZ_STORE_RULES_H
#define ODZ_STORE_RULES_H

#include "store/store.h"

/* 0, or ODZ_EINVAL with words in err (ODZ_ERRLEN). */
int odz_store__validate_meeting(const odz_meeting *m, char *err);
int odz_store__validate_race(const odz_race *r, char *err);
int odz_store__validate_selection(const odz_selection *x, char *err);
/* Both dates valid (YYYY-MM-DD) and a <= b. */
int odz_store__check_range(const char *a, const char *b, char *err);
/* The race's results and dividends as JSON text; the caller frees *res and *div. 0 or
 * ODZ_ENOMEM. */
int odz_store__race_json(const odz_race *r, char **res, char **div);
/* 1 when nothing a write would store differs. */
int odz_store__same_race(const odz_race *a, const odz_race *b);
int odz_store__same_selection(const odz_selection *a, const odz_selection *b);

#endif

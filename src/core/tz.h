/* Race days: dates in an IANA time zone (default Australia/Sydney). Thread-safe: each zone is
 * read from /usr/share/zoneinfo on first use and kept; the process environment (TZ) is never
 * changed. */
#ifndef ODZ_TZ_H
#define ODZ_TZ_H

#include <stdint.h>

#define ODZ_DEFAULT_TZ "Australia/Sydney"

/** The race day (YYYY-MM-DD) of epoch `t` in zone `tz` (NULL: default). 0 or ODZ_EINVAL. */
int odz_race_day(int64_t t, const char *tz, char out[11]);

/** [start, end) epoch seconds of race day `date` in zone `tz`. 0 or ODZ_EINVAL (bad date). */
int odz_day_bounds(const char *date, const char *tz, int64_t *start, int64_t *end);

/** `date` plus `days` (may be negative) -> out. 0 or ODZ_EINVAL. */
int odz_date_add(const char *date, int days, char out[11]);

/** Strict YYYY-MM-DD check of a real calendar date; 0 or ODZ_EINVAL. */
int odz_date_valid(const char *date);

/** Parse ISO 8601 UTC/offset time ("2025-07-17T02:00:00Z", "+10:00" offsets) to epoch s. */
int odz_parse_iso8601(const char *s, int64_t *out);

/** Format epoch s as "YYYY-MM-DDTHH:MM:SSZ". */
void odz_format_iso8601(int64_t t, char out[21]);

#endif

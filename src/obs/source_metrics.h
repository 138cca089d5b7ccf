/* Each source of racing data as the monitor and Prometheus see it: requests (a poll of a
 * bookmaker, a message of the exchange stream, a line of a replayed file), errors, lag, the
 * time of the last message, and the exchange markets matched to our races or not. One table
 * per process, at most ODZ_SOURCE_STATS_MAX sources; thread-safe. */
#ifndef ODZ_OBS_SOURCE_METRICS_H
#define ODZ_OBS_SOURCE_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define ODZ_SOURCE_STATS_MAX 32
#define ODZ_SOURCE_STATS_NAME_MAX 32

/**
 * One request or message of source `name` ("tab-nz", "betfair", "replay"; names of other
 * characters than [A-Za-z0-9_-], or past the table's bound, are counted as "other"), of kind
 * `kind` ("bookmaker", "exchange", "replay"; the first call's is kept): ok or failed, its lag
 * in seconds (a poll: the request's duration; a stream message: from its publish time to its
 * arrival; a replayed line: behind its schedule) and the time it arrived, epoch s.
 * Series: oddzy_source_requests_total{source}, oddzy_source_errors_total{source},
 * oddzy_source_lag_seconds{source}, oddzy_source_last_message_timestamp_seconds{source}.
 */
void odz_srcstat_request(const char *name, const char *kind, bool ok, double lag_s, int64_t at);

/** An error of source `name` that is not one request (a lost connection, a batch not stored). */
void odz_srcstat_error(const char *name, const char *kind);

/** The exchange markets of source `name` matched to our races and not (the racing service's
 * decisions): oddzy_source_markets{source,state="matched"|"unmatched"}. */
void odz_srcstat_markets(const char *name, long matched, long unmatched);

/** Every source: a new JSON array of {source, kind, requests, errors, lag_seconds,
 * last_message, markets_matched, markets_unmatched}, by name (caller decrefs; NULL when out of
 * memory). */
json_t *odz_srcstat_json(void);

/** Forget every source (tests). */
void odz_srcstat_reset_for_tests(void);

#endif

/* The adaptive poll schedule (the original's rules) and the retry backoff: pure functions of
 * times, so tests drive them with a fake clock. */
#ifndef ODZ_SCHEDULE_H
#define ODZ_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/* Upcoming: more than 12 h before start every 6 h; 1 to 12 h every hour; under 1 h every
 * 10 min and at the scheduled start; in the last 5 minutes every 30 s.
 * Overdue (past start, not final): every 60 s until FINAL or ABANDONED. */
#define ODZ_POLL_FAR_S (6 * 3600)
#define ODZ_POLL_DAY_S 3600
#define ODZ_POLL_HOUR_S 600
#define ODZ_POLL_JUMP_S 30
#define ODZ_POLL_OVERDUE_S 60
#define ODZ_POLL_JUMP_WINDOW_S 300

/** Interval that applies at time `now` for a race starting at `start`. */
int64_t odz_poll_interval(int64_t start, int64_t now);

/** When to poll a race next, given the last poll at `last` (0 = never: poll now). Never later
 * than the moment the race enters a faster band (12 h, 1 h, 5 min before, and the start
 * itself), so a band change is not missed. Returns 0 for a race that needs no more polls
 * (FINAL or ABANDONED). */
int64_t odz_poll_next(int64_t start, odz_race_status status, int64_t last);

/** Backoff after `failures` consecutive failures (>= 1): base * 2^(failures-1) capped at
 * max_s, scaled by a jitter factor in [0.5, 1.5) from `rnd` (uniform in [0,1)). */
int64_t odz_backoff(int failures, int64_t base_s, int64_t max_s, double rnd);

/* Retries of a failed race poll: the first ODZ_RETRY_BUDGET consecutive failures of a race are
 * retried soon, with backoff from ODZ_RETRY_BASE_S, and never later than its regular poll; past
 * the budget a failing race is polled on its regular schedule only (every 60 s once it has
 * started), so it costs the source no more than a healthy race and is never given up. */
#define ODZ_RETRY_BUDGET 4
#define ODZ_RETRY_BASE_S 5

/** When to poll a race again after its `failures`-th consecutive failed poll (>= 1) at `now`,
 * with jitter from `rnd` (uniform in [0,1)); 0 for a race that needs no more polls. */
int64_t odz_poll_retry(int64_t start, odz_race_status status, int failures, int64_t now,
                       double rnd);

/** Which due race (one not yet FINAL or ABANDONED) to poll first: the smaller the rank, the
 * sooner. Races that have started (their results are owed) and races within the hour of their
 * start come first, nearest to now first; then the others, nearest first. So a backlog of
 * races that ran long ago is cleared before the hourly polls of races hours away. */
int64_t odz_poll_rank(int64_t start, int64_t now);

/** Whether a race stays in the scraper's work queue at `now`: a race not yet resolved (no
 * FINAL card with results, not ABANDONED) always does, however long ago it started; a resolved
 * one until ODZ_POLL_KEEP_S after its start (while the schedule may still list it, so that it is
 * not read again). */
#define ODZ_POLL_KEEP_S (2 * 86400)
bool odz_poll_keep(int64_t start, bool resolved, int64_t now);

/** The status a race card gives the schedule: its own, except that a FINAL card without
 * results counts as INTERIM (results still owed: keep polling). */
odz_race_status odz_poll_card_status(odz_race_status card, size_t n_results);

/** The scrape window: race days from yesterday to two days ahead of `now` in zone tz. */
int odz_poll_window(int64_t now, const char *tz, char from[11], char to[11]);

/** Token bucket for the global rate limit towards the source (real time, ms). */
typedef struct {
    double rate;  /* tokens a second */
    double burst; /* bucket size */
    double tokens;
    int64_t last_ms;
} odz_rate_limit;
void odz_rate_init(odz_rate_limit *r, double rate, double burst, int64_t now_ms);
/** 0 if a request may go now (a token is taken), else the ms to wait. */
int64_t odz_rate_take(odz_rate_limit *r, int64_t now_ms);

#endif

/* Poll schedule, backoff and rate limit. */
#include "scraper/schedule.h"
#include "core/tz.h"

int64_t odz_poll_interval(int64_t start, int64_t now)
{
    int64_t d = start - now;
    if (d <= 0)
        return ODZ_POLL_OVERDUE_S;
    if (d <= ODZ_POLL_JUMP_WINDOW_S)
        return ODZ_POLL_JUMP_S;
    if (d <= 3600)
        return ODZ_POLL_HOUR_S;
    if (d <= 12 * 3600)
        return ODZ_POLL_DAY_S;
    return ODZ_POLL_FAR_S;
}

int64_t odz_poll_next(int64_t start, odz_race_status status, int64_t last)
{
    if (status == ODZ_FINAL || status == ODZ_ABANDONED)
        return 0;
    if (last <= 0)
        return 1; /* never polled: as soon as possible */
    int64_t next = last + odz_poll_interval(start, last);
    /* band edges after `last`: poll when a faster band starts, and at the start itself */
    const int64_t edges[] = {start - 12 * 3600, start - 3600, start - ODZ_POLL_JUMP_WINDOW_S,
                             start};
    for (int i = 0; i < 4; i++)
        if (edges[i] > last && edges[i] < next)
            next = edges[i];
    return next;
}

int64_t odz_backoff(int failures, int64_t base_s, int64_t max_s, double rnd)
{
    if (failures < 1)
        failures = 1;
    int64_t d = base_s;
    for (int i = 1; i < failures && d < max_s; i++)
        d *= 2;
    if (d > max_s)
        d = max_s;
    if (rnd < 0 || rnd >= 1)
        rnd = 0.5;
    int64_t j = (int64_t)((double)d * (0.5 + rnd));
    return j > 0 ? j : 1;
}

int64_t odz_poll_retry(int64_t start, odz_race_status status, int failures, int64_t now, double rnd)
{
    int64_t regular = odz_poll_next(start, status, now > 0 ? now : 1);
    if (regular == 0 || failures > ODZ_RETRY_BUDGET)
        return regular;
    int64_t soon = now + odz_backoff(failures, ODZ_RETRY_BASE_S, regular - now, rnd);
    return soon < regular ? soon : regular;
}

int64_t odz_poll_rank(int64_t start, int64_t now)
{
    if (start <= now)
        return now - start;
    int64_t ahead = start - now;
    return ahead <= ODZ_POLL_DAY_S ? ahead : ahead + ((int64_t)1 << 40); /* (past any start) */
}

bool odz_poll_keep(int64_t start, bool resolved, int64_t now)
{
    return !resolved || start >= now - ODZ_POLL_KEEP_S;
}

odz_race_status odz_poll_card_status(odz_race_status card, size_t n_results)
{
    return card == ODZ_FINAL && n_results == 0 ? ODZ_INTERIM : card;
}

int odz_poll_window(int64_t now, const char *tz, char from[11], char to[11])
{
    char today[11];
    int rc = odz_race_day(now, tz, today);
    if (rc == 0)
        rc = odz_date_add(today, -1, from);
    if (rc == 0)
        rc = odz_date_add(today, 2, to);
    return rc;
}

void odz_rate_init(odz_rate_limit *r, double rate, double burst, int64_t now_ms)
{
    r->rate = rate > 0 ? rate : 1;
    r->burst = burst >= 1 ? burst : 1;
    r->tokens = r->burst;
    r->last_ms = now_ms;
}

int64_t odz_rate_take(odz_rate_limit *r, int64_t now_ms)
{
    if (now_ms > r->last_ms) {
        r->tokens += (double)(now_ms - r->last_ms) * r->rate / 1000.0;
        if (r->tokens > r->burst)
            r->tokens = r->burst;
        r->last_ms = now_ms;
    }
    if (r->tokens >= 1.0) {
        r->tokens -= 1.0;
        return 0;
    }
    int64_t wait = (int64_t)((1.0 - r->tokens) * 1000.0 / r->rate) + 1;
    return wait;
}

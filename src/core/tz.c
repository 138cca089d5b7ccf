/* Time zone arithmetic through the C library's tz database, serialised by one lock because
 * the TZ environment variable is process-global. */
#include "core/tz.h"
#include "core/err.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

static void fmt_date(const struct tm *tm, char out[11])
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

static int valid_zone_name(const char *tz)
{
    size_t n = strlen(tz);
    if (n == 0 || n > 64 || tz[0] == '/' || strstr(tz, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = tz[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return 0;
    }
    return 1;
}

/* Switch the process zone; caller holds tz_lock. Returns the old value (to restore) in buf. */
static int enter_zone(const char *tz, char *old, size_t oldlen, int *had_old)
{
    if (!tz)
        tz = ODZ_DEFAULT_TZ;
    if (!valid_zone_name(tz))
        return ODZ_EINVAL;
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    FILE *f = fopen(path, "rb");
    if (!f && strcmp(tz, "UTC") != 0)
        return ODZ_EINVAL;
    if (f)
        fclose(f);
    const char *cur = getenv("TZ");
    *had_old = cur != NULL;
    if (cur)
        snprintf(old, oldlen, "%s", cur);
    setenv("TZ", tz, 1);
    tzset();
    return 0;
}

static void leave_zone(const char *old, int had_old)
{
    if (had_old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
}

int odz_date_valid(const char *date)
{
    int y, m, d;
    char tail;
    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-')
        return ODZ_EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (date[i] < '0' || date[i] > '9'))
            return ODZ_EINVAL;
    if (sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return ODZ_EINVAL;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 2999 || m < 1 || m > 12 || d < 1)
        return ODZ_EINVAL;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap))
        return ODZ_EINVAL;
    return 0;
}

int odz_race_day(int64_t t, const char *tz, char out[11])
{
    char old[128];
    int had_old, rc;
    pthread_mutex_lock(&tz_lock);
    rc = enter_zone(tz, old, sizeof old, &had_old);
    if (rc == 0) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (localtime_r(&tt, &tm))
            fmt_date(&tm, out);
        else
            rc = ODZ_EINVAL;
        leave_zone(old, had_old);
    }
    pthread_mutex_unlock(&tz_lock);
    return rc;
}

static int64_t local_midnight(int y, int m, int d)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

int odz_day_bounds(const char *date, const char *tz, int64_t *start, int64_t *end)
{
    if (odz_date_valid(date))
        return ODZ_EINVAL;
    int y, m, d;
    sscanf(date, "%4d-%2d-%2d", &y, &m, &d);
    char old[128];
    int had_old, rc;
    pthread_mutex_lock(&tz_lock);
    rc = enter_zone(tz, old, sizeof old, &had_old);
    if (rc == 0) {
        *start = local_midnight(y, m, d);
        *end = local_midnight(y, m, d + 1);
        leave_zone(old, had_old);
    }
    pthread_mutex_unlock(&tz_lock);
    return rc;
}

int odz_date_add(const char *date, int days, char out[11])
{
    if (odz_date_valid(date))
        return ODZ_EINVAL;
    int y, m, d;
    sscanf(date, "%4d-%2d-%2d", &y, &m, &d);
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + days;
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    struct tm r;
    gmtime_r(&t, &r);
    fmt_date(&r, out);
    return odz_date_valid(out);
}

int odz_parse_iso8601(const char *s, int64_t *out)
{
    if (!s)
        return ODZ_EINVAL;
    int y, mo, d, h, mi, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return ODZ_EINVAL;
    const char *p = s + n;
    if (*p == '.') { /* fractional seconds */
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (strlen(p) != 6 || p[3] != ':' || sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
            return ODZ_EINVAL;
        off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    }
    if (*p)
        return ODZ_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return ODZ_EINVAL;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm) - off;
    return 0;
}

void odz_format_iso8601(int64_t t, char out[21])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, 20);
    out[20] = '\0';
}

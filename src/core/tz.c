/* Time zone arithmetic on GLib's GTimeZone (it reads the TZif files of /usr/share/zoneinfo):
 * each zone is loaded once into a fixed table and read without locks or environment changes. */
#include "core/tz.h"
#include "core/err.h"

#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TZ_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 64
#define TZ_CACHE_MAX 32 /* a process uses one or two zones; more are loaded per call */

typedef struct {
    char name[TZ_NAME_MAX + 1];
    GTimeZone *zone; /* immutable once loaded; one reference held for the process' life */
} tz_slot;

/* Slots [0, tz_count) are filled and never change again. Readers take the read lock only to
 * find the slot; the conversions run on the immutable GTimeZone without any lock. */
static tz_slot tz_cache[TZ_CACHE_MAX];
static size_t tz_count;
static pthread_rwlock_t tz_lock = PTHREAD_RWLOCK_INITIALIZER;

static void fmt_date(const struct tm *tm, char out[11])
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

/* An IANA name ("Australia/Sydney", "Etc/GMT+10", "UTC"): no path tricks, no POSIX TZ rule. */
static int valid_zone_name(const char *tz)
{
    size_t n = strnlen(tz, TZ_NAME_MAX + 1);
    if (n == 0 || n > TZ_NAME_MAX || tz[0] == '/' || strstr(tz, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = tz[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return 0;
    }
    return 1;
}

/* Load a zone from its file (file I/O: once per zone). NULL when the name is not a zone.
 * GLib would also take a POSIX TZ rule ("ABC-10") for an unknown name, so the file must exist. */
static GTimeZone *load_zone(const char *tz)
{
    if (strcmp(tz, "UTC") != 0) {
        char path[sizeof TZ_DIR + TZ_NAME_MAX + 2];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", TZ_DIR, tz);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            return NULL;
    }
    return g_time_zone_new_identifier(tz);
}

static GTimeZone *find_cached(const char *tz)
{
    for (size_t i = 0; i < tz_count; i++)
        if (strcmp(tz_cache[i].name, tz) == 0)
            return tz_cache[i].zone;
    return NULL;
}

/* The zone for `tz` (NULL: the default). *temp is set when the table is full and the caller
 * must g_time_zone_unref() the result after use. NULL for an unknown or malformed name. */
static GTimeZone *zone_get(const char *tz, int *temp)
{
    *temp = 0;
    if (!tz)
        tz = ODZ_DEFAULT_TZ;
    if (!valid_zone_name(tz))
        return NULL;
    pthread_rwlock_rdlock(&tz_lock);
    GTimeZone *z = find_cached(tz);
    pthread_rwlock_unlock(&tz_lock);
    if (z)
        return z;
    /* loads run one at a time under the write lock: GLib's own zone cache is guarded by a
     * futex lock that ThreadSanitizer cannot see, and a load happens once per zone */
    pthread_rwlock_wrlock(&tz_lock);
    z = find_cached(tz); /* another thread may have loaded it meanwhile */
    if (!z) {
        z = load_zone(tz);
        if (z && tz_count < TZ_CACHE_MAX) {
            snprintf(tz_cache[tz_count].name, sizeof tz_cache[tz_count].name, "%s", tz);
            tz_cache[tz_count].zone = z;
            tz_count++;
        } else if (z) {
            *temp = 1;
        }
    }
    pthread_rwlock_unlock(&tz_lock);
    return z;
}

static void zone_put(GTimeZone *z, int temp)
{
    if (temp)
        g_time_zone_unref(z);
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
    int temp;
    GTimeZone *z = zone_get(tz, &temp);
    if (!z)
        return ODZ_EINVAL;
    int iv = g_time_zone_find_interval(z, G_TIME_TYPE_UNIVERSAL, (gint64)t);
    time_t local = (time_t)(t + g_time_zone_get_offset(z, iv));
    zone_put(z, temp);
    struct tm tm;
    if (!gmtime_r(&local, &tm))
        return ODZ_EINVAL;
    fmt_date(&tm, out);
    return 0;
}

/* The first instant of local day y-m-d (d may overflow the month: timegm normalises). A
 * midnight skipped by a clock change starts the day at the end of the gap; a midnight that
 * happens twice starts it at the first one (the daylight-time reading). */
static int64_t local_midnight(GTimeZone *z, int y, int m, int d)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    gint64 local = (gint64)timegm(&tm);
    int iv = g_time_zone_adjust_time(z, G_TIME_TYPE_DAYLIGHT, &local);
    return (int64_t)(local - g_time_zone_get_offset(z, iv));
}

int odz_day_bounds(const char *date, const char *tz, int64_t *start, int64_t *end)
{
    if (odz_date_valid(date))
        return ODZ_EINVAL;
    int y, m, d;
    if (sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return ODZ_EINVAL;
    int temp;
    GTimeZone *z = zone_get(tz, &temp);
    if (!z)
        return ODZ_EINVAL;
    *start = local_midnight(z, y, m, d);
    *end = local_midnight(z, y, m, d + 1);
    zone_put(z, temp);
    return 0;
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

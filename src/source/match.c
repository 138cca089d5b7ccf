/* Matching exchange markets to races and runners; see match.h. */
#include "source/match.h"

#include "core/err.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define INPUT_MAX 256 /* bytes of a name looked at */
#define WORDS_MAX 24

typedef struct {
    char w[WORDS_MAX][ODZ_MATCH_KEY_MAX];
    int n;
} words;

/* The reason a match was refused, when the caller wants it. */
#define SAY(...)                                                                                  \
    do {                                                                                          \
        if (reason && reason_len)                                                                 \
            snprintf(reason, reason_len, __VA_ARGS__);                                            \
    } while (0)

int odz_match_saddle(const char *name, const char **rest)
{
    if (!name)
        return 0;
    const char *p = name;
    while (*p == ' ')
        p++;
    int v = 0, d = 0;
    while (isdigit((unsigned char)*p) && d < 3)
        v = v * 10 + (*p++ - '0'), d++;
    if (d == 0 || d > 2 || *p != '.' || v < 1)
        return 0;
    p++;
    while (*p == ' ')
        p++;
    if (rest)
        *rest = p;
    return v;
}

/* A parenthesised country or region code at the end of a name: "(NZ)", "(IRE)", "(GB)". */
static bool country_code(const char *s, size_t len)
{
    if (len < 1 || len > 4) /* "(NZ)", "(IRE)", and "(G)" of a greyhound track's name */
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalpha((unsigned char)s[i]))
            return false;
    return true;
}

/* Split into lower-case words of letters and digits: apostrophes vanish inside a word
 * (O'Reilly -> oreilly), other punctuation separates, "&" is the word "and", a trailing
 * country code in parentheses is dropped. */
static void split(const char *in, words *out)
{
    out->n = 0;
    if (!in)
        return;
    size_t len = strnlen(in, INPUT_MAX);
    /* a trailing "(XX)" */
    size_t end = len;
    while (end > 0 && in[end - 1] == ' ')
        end--;
    if (end > 0 && in[end - 1] == ')') {
        size_t open = end - 1;
        while (open > 0 && in[open - 1] != '(' && end - open < 8)
            open--;
        if (open > 0 && in[open - 1] == '(' && country_code(in + open, end - 1 - open))
            end = open - 1;
    }
    size_t cur = 0;
    for (size_t i = 0; i <= end; i++) {
        unsigned char c = i < end ? (unsigned char)in[i] : ' ';
        bool inword = isalnum(c) || c == '\'' || c >= 0x80;
        if (c == '&') {
            if (cur && out->n < WORDS_MAX)
                out->w[out->n++][cur] = '\0', cur = 0;
            if (out->n < WORDS_MAX)
                snprintf(out->w[out->n++], ODZ_MATCH_KEY_MAX, "and");
            continue;
        }
        if (inword) {
            if (out->n >= WORDS_MAX)
                break;
            if (isalnum(c) && cur + 1 < ODZ_MATCH_KEY_MAX)
                out->w[out->n][cur++] = (char)tolower(c);
            /* apostrophes and bytes of other scripts: dropped inside the word */
        } else if (cur) {
            out->w[out->n++][cur] = '\0';
            cur = 0;
        }
    }
    /* words of nothing but apostrophes left no letters: cur stayed 0, nothing was added */
}

static size_t join(const words *ws, int from, char *key, size_t n)
{
    size_t k = 0;
    if (!n)
        return 0;
    for (int i = from; i < ws->n; i++) {
        const char *w = ws->w[i];
        if (!strcmp(w, "st"))
            w = "saint";
        else if (!strcmp(w, "mt"))
            w = "mount";
        for (; *w && k + 1 < n; w++)
            key[k++] = *w;
    }
    key[k] = '\0';
    return k;
}

size_t odz_match_name_key(const char *name, char *key, size_t n)
{
    const char *rest = name;
    if (odz_match_saddle(name, &rest) == 0)
        rest = name;
    words ws;
    split(rest, &ws);
    return join(&ws, 0, key, n);
}

size_t odz_match_venue_key(const char *venue, char *key, size_t n)
{
    static const char *const sponsors[] = {"sportsbet", "ladbrokes", "tab",     "bet365",
                                           "neds",      "picklebet", "aquis",   "southside",
                                           "pointsbet", "tabtouch",  "betfair", "palmerbet"};
    static const struct {
        const char *from, *to;
    } aliases[] = {
        {"royalrandwick", "randwick"},
        {"rosehillgardens", "rosehill"},
        {"thevalley", "mooneevalley"},
        {"flemingtonvic", "flemington"},
    };
    words ws;
    split(venue, &ws);
    int from = 0;
    if (ws.n > 1)
        for (size_t i = 0; i < sizeof sponsors / sizeof *sponsors; i++)
            if (!strcmp(ws.w[0], sponsors[i]))
                from = 1;
    if (ws.n - from > 1 && !strcmp(ws.w[ws.n - 1], "bags")) /* "Romford Bags": a BAGS meeting */
        ws.n--;
    size_t k = join(&ws, from, key, n);
    for (size_t i = 0; k && i < sizeof aliases / sizeof *aliases; i++)
        if (!strcmp(key, aliases[i].from)) {
            snprintf(key, n, "%s", aliases[i].to);
            return strlen(key);
        }
    return k;
}

int odz_match_market_name(const char *name, int *race_number, int *distance_m)
{
    *race_number = 0;
    *distance_m = 0;
    if (!name || strnlen(name, 129) > 128)
        return ODZ_EINVAL;
    const char *p = name;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *t = p;
        while (*p && *p != ' ')
            p++;
        size_t len = (size_t)(p - t);
        if (len >= 2 && len <= 3 && (t[0] == 'R' || t[0] == 'r') && isdigit((unsigned char)t[1]) &&
            (len == 2 || isdigit((unsigned char)t[2])) && !*race_number) {
            *race_number = len == 2 ? t[1] - '0' : (t[1] - '0') * 10 + (t[2] - '0');
        } else if (len >= 3 && len <= 6 && t[len - 1] == 'm' && !*distance_m) {
            int v = 0;
            size_t i = 0;
            for (; i + 1 < len && isdigit((unsigned char)t[i]); i++)
                v = v * 10 + (t[i] - '0');
            if (i + 1 == len && v >= 100 && v <= 10000)
                *distance_m = v;
        }
    }
    return 0;
}

/* Whether race r is at the venue of key `ka` (a venue with no key is at none). */
static bool venue_same(const char *ka, const odz_match_race *r)
{
    char kb[ODZ_MATCH_KEY_MAX];
    const char *k = r->venue_key;
    if (!k)
        k = odz_match_venue_key(r->venue, kb, sizeof kb) ? kb : "";
    return *ka && !strcmp(ka, k);
}

odz_match_result odz_match_find_race(const char *venue, int64_t start, int number,
                                     const odz_match_race *races, size_t n, int64_t tolerance_s,
                                     size_t *index, char *reason, size_t reason_len)
{
    size_t found = n, near = 0, same_venue = 0;
    int other_number = 0;
    char ka[ODZ_MATCH_KEY_MAX];
    if (!odz_match_venue_key(venue, ka, sizeof ka)) /* once, not once a candidate */
        ka[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!venue_same(ka, &races[i]))
            continue;
        same_venue++;
        int64_t d = races[i].start - start;
        if (d < -tolerance_s || d > tolerance_s)
            continue;
        if (number && races[i].number && races[i].number != number) {
            other_number = races[i].number;
            continue;
        }
        near++;
        found = i;
    }
    if (near == 1) { /* another numbered race near it is no contradiction */
        *index = found;
        return ODZ_MATCH_OK;
    }
    if (near > 1) {
        SAY("%zu races at '%.60s' within %lld s of the start", near, venue ? venue : "",
            (long long)tolerance_s);
        return ODZ_MATCH_UNSURE;
    }
    if (other_number) {
        SAY("race %d at '%.60s' starts then, the market says race %d", other_number,
            venue ? venue : "", number);
        return ODZ_MATCH_UNSURE;
    }
    if (!same_venue)
        SAY("no race at venue '%.60s'", venue ? venue : "");
    else
        SAY("no race at '%.60s' within %lld s of the start", venue ? venue : "",
            (long long)tolerance_s);
    return ODZ_MATCH_NONE;
}

/* Key a is key b cut short (the exchange cuts long greyhound names: "Coolavanny Galiv"), or b
 * is a cut short: the shorter has at least ODZ_MATCH_CUT_MIN characters and begins the other. */
static bool cut_same(const char *a, size_t la, const char *b, size_t lb)
{
    size_t shorter = la < lb ? la : lb;
    return la != lb && shorter >= ODZ_MATCH_CUT_MIN && !strncmp(a, b, shorter);
}

odz_match_result odz_match_find_runner(const odz_match_runner *x, const odz_match_runner *runners,
                                       size_t n, size_t *index, char *reason, size_t reason_len)
{
    char kx[ODZ_MATCH_KEY_MAX], k[ODZ_MATCH_KEY_MAX];
    const char *xname = x->name ? x->name : "";
    int nx = x->number ? x->number : odz_match_saddle(x->name, NULL);
    size_t lx = odz_match_name_key(x->name, kx, sizeof kx);
    size_t by_name = n, by_number = n, by_cut = n, names = 0, cuts = 0;
    for (size_t i = 0; i < n; i++) {
        int ni = runners[i].number ? runners[i].number : odz_match_saddle(runners[i].name, NULL);
        size_t li = odz_match_name_key(runners[i].name, k, sizeof k);
        bool same = lx && li && !strcmp(kx, k);
        /* one name cut short of the other, under no other number */
        bool cut = lx && li && !same && cut_same(kx, lx, k, li) && !(nx && ni && nx != ni);
        if (same) {
            names++;
            by_name = i;
            if (nx && ni && nx != ni) {
                SAY("'%.50s' is number %d here and %d there", xname, nx, ni);
                return ODZ_MATCH_UNSURE;
            }
        }
        if (cut) {
            cuts++;
            by_cut = i;
        }
        if (nx && ni == nx) {
            if (lx && li && !same && !cut) {
                SAY("number %d is '%.50s' here and '%.50s' there", nx, xname, runners[i].name);
                return ODZ_MATCH_UNSURE;
            }
            by_number = i;
        }
    }
    if (names > 1) {
        SAY("%zu runners named '%.50s'", names, xname);
        return ODZ_MATCH_UNSURE;
    }
    if (names == 1) {
        *index = by_name;
        return ODZ_MATCH_OK;
    }
    if (cuts > 1) {
        SAY("%zu runners' names begin '%.50s'", cuts, xname);
        return ODZ_MATCH_UNSURE;
    }
    if (cuts == 1) {
        *index = by_cut;
        return ODZ_MATCH_OK;
    }
    if (by_number < n && (!lx || !odz_match_name_key(runners[by_number].name, k, sizeof k))) {
        *index = by_number; /* one side has no name: the number decides */
        return ODZ_MATCH_OK;
    }
    SAY("no runner '%.50s' (number %d)", xname, nx);
    return ODZ_MATCH_NONE;
}

/* source/match: one race from many sources. Names from the recorded files (Betfair's greyhound
 * market "OR 280m" at Sheffield with trap numbers in its runner names, Entain's meetings) and
 * pairs built from them with the variations real names show, including pairs that must not
 * match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "source/match.h"

static const char *key(const char *name)
{
    static char k[ODZ_MATCH_KEY_MAX];
    odz_match_name_key(name, k, sizeof k);
    return k;
}

static const char *vkey(const char *name)
{
    static char k[4][ODZ_MATCH_KEY_MAX]; /* two may be compared in one assertion */
    static int next;
    char *out = k[next++ % 4];
    odz_match_venue_key(name, out, ODZ_MATCH_KEY_MAX);
    return out;
}

static void name_keys(void **state)
{
    (void)state;
    assert_string_equal(key("1. Paradise Mission"), "paradisemission"); /* Betfair trap no. */
    assert_string_equal(key("Paradise Mission"), "paradisemission");
    assert_string_equal(key("PARADISE MISSION"), "paradisemission");
    assert_string_equal(key("Dealers Choice"), "dealerschoice");
    assert_string_equal(key("Dealer's Choice"), "dealerschoice"); /* apostrophe */
    assert_string_equal(key("Dealers' Choice (NZ)"), "dealerschoice"); /* country suffix */
    assert_string_equal(key("Ruji (IRE)"), "ruji");
    assert_string_equal(key("St Kilda Star"), "saintkildastar");
    assert_string_equal(key("Saint Kilda Star"), "saintkildastar");
    assert_string_equal(key("St. Kilda Star"), "saintkildastar");
    assert_string_equal(key("Mt Buller"), key("Mount Buller"));
    assert_string_equal(key("Salt & Pepper"), key("Salt and Pepper"));
    assert_string_equal(key("Star-Gazer"), key("Star Gazer"));
    assert_string_equal(key("Keepitinyourwallet"), key("Keep It In Your Wallet"));
    /* a number that is part of the name is kept */
    assert_string_equal(key("5 Star Rating"), "5starrating");
    assert_string_equal(key("Apollo 13"), "apollo13");
    /* nothing usable */
    assert_int_equal(odz_match_name_key(NULL, NULL, 0), 0);
    char k[8];
    assert_int_equal(odz_match_name_key("'''", k, sizeof k), 0);
    assert_string_equal(k, "");
    /* bounded: a long name is cut, never overrun */
    char longname[2000];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(odz_match_name_key(longname, k, sizeof k), sizeof k - 1);
}

static void saddle_and_market_names(void **state)
{
    (void)state;
    const char *rest = NULL;
    assert_int_equal(odz_match_saddle("1. Paradise Mission", &rest), 1);
    assert_string_equal(rest, "Paradise Mission");
    assert_int_equal(odz_match_saddle("12.Frosbie", &rest), 12);
    assert_string_equal(rest, "Frosbie");
    assert_int_equal(odz_match_saddle("5 Star Rating", NULL), 0);
    assert_int_equal(odz_match_saddle("123. Nope", NULL), 0);
    assert_int_equal(odz_match_saddle("0. Nope", NULL), 0);
    assert_int_equal(odz_match_saddle(NULL, NULL), 0);

    int no, dist;
    assert_int_equal(odz_match_market_name("R1 1200m Mdn", &no, &dist), 0);
    assert_int_equal(no, 1);
    assert_int_equal(dist, 1200);
    assert_int_equal(odz_match_market_name("R10 2000m Hcap", &no, &dist), 0);
    assert_int_equal(no, 10);
    assert_int_equal(dist, 2000);
    assert_int_equal(odz_match_market_name("OR 280m", &no, &dist), 0); /* the recorded market */
    assert_int_equal(no, 0);
    assert_int_equal(dist, 280);
    assert_int_equal(odz_match_market_name("To Be Placed", &no, &dist), 0);
    assert_int_equal(no, 0);
    assert_int_equal(dist, 0);
    assert_int_equal(odz_match_market_name("R100 99m", &no, &dist), 0);
    assert_int_equal(no, 0);
    assert_int_equal(dist, 0);
    char longname[200];
    memset(longname, 'R', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(odz_match_market_name(longname, &no, &dist), ODZ_EINVAL);
    assert_int_equal(odz_match_market_name(NULL, &no, &dist), ODZ_EINVAL);
}

static void venue_keys(void **state)
{
    (void)state;
    assert_string_equal(vkey("Sheffield"), "sheffield");
    assert_string_equal(vkey("Sportsbet-Ballarat"), "ballarat");
    assert_string_equal(vkey("Sportsbet Ballarat"), "ballarat");
    assert_string_equal(vkey("Ladbrokes Cannington"), "cannington");
    assert_string_equal(vkey("Royal Randwick"), "randwick");
    assert_string_equal(vkey("Rosehill Gardens"), "rosehill");
    assert_string_equal(vkey("The Valley"), "mooneevalley");
    assert_string_equal(vkey("Moonee Valley"), "mooneevalley");
    assert_string_equal(vkey("Romford Bags"), "romford"); /* Entain's BAGS meetings */
    assert_string_equal(vkey("Cambridge (G)"), "cambridge");
    assert_string_equal(vkey("TAB"), "tab"); /* a sponsor word alone is the name */
    /* must stay different */
    assert_string_not_equal(vkey("Awapuni Synthetic"), vkey("Awapuni"));
    assert_string_not_equal(vkey("Richmond Straight"), vkey("Richmond"));
    assert_string_not_equal(vkey("Perth"), vkey("Perry Barr Bags"));
}

static const odz_match_race day[] = {
    {"Sheffield", 1650392760, 0, NULL},    /* 2022-04-19T18:26Z, the recorded market's time */
    {"Sheffield", 1650393720, 0, NULL},    /* 16 minutes later */
    {"Romford Bags", 1650392760, 0, NULL}, /* same minute, another track */
    {"Sportsbet-Ballarat", 1650400000, 1, NULL},
    {"Sportsbet-Ballarat", 1650401800, 2, NULL},
    {"Randwick", 1650400000, 5, NULL},
    {"Randwick", 1650400300, 6, NULL}, /* five minutes apart: the number has to decide */
};
#define N_DAY (sizeof day / sizeof *day)

static void races(void **state)
{
    (void)state;
    size_t i = 99;
    char why[ODZ_MATCH_REASON_MAX];
    /* the recorded market: venue and time only */
    assert_int_equal(odz_match_find_race("Sheffield", 1650392760, 0, day, N_DAY, 600, &i, why,
                                         sizeof why),
                     ODZ_MATCH_OK);
    assert_int_equal(i, 0);
    assert_int_equal(odz_match_find_race("Sheffield", 1650392760 + 120, 0, day, N_DAY, 600, &i,
                                         why, sizeof why),
                     ODZ_MATCH_OK); /* a late change of start time within the tolerance */
    assert_int_equal(i, 0);
    assert_int_equal(odz_match_find_race("Romford", 1650392760, 0, day, N_DAY, 600, &i, why,
                                         sizeof why),
                     ODZ_MATCH_OK);
    assert_int_equal(i, 2);
    /* by number, sponsor name on one side */
    assert_int_equal(odz_match_find_race("Ballarat", 1650401800, 2, day, N_DAY, 600, &i, why,
                                         sizeof why),
                     ODZ_MATCH_OK);
    assert_int_equal(i, 4);
    assert_int_equal(odz_match_find_race("Royal Randwick", 1650400300, 6, day, N_DAY, 600, &i,
                                         why, sizeof why),
                     ODZ_MATCH_OK);
    assert_int_equal(i, 6);

    /* must not match */
    i = 99;
    assert_int_equal(odz_match_find_race("Randwick", 1650400100, 0, day, N_DAY, 600, &i, why,
                                         sizeof why),
                     ODZ_MATCH_UNSURE); /* two races near, no number */
    assert_non_null(strstr(why, "2 races"));
    assert_int_equal(odz_match_find_race("Ballarat", 1650400000, 3, day, N_DAY, 600, &i, why,
                                         sizeof why),
                     ODZ_MATCH_UNSURE); /* race 1 starts then, the market says race 3 */
    assert_non_null(strstr(why, "race 1"));
    assert_int_equal(odz_match_find_race("Sheffield", 1650392760 + 3600, 0, day, N_DAY, 600, &i,
                                         why, sizeof why),
                     ODZ_MATCH_NONE); /* an hour out */
    assert_non_null(strstr(why, "within"));
    assert_int_equal(odz_match_find_race("Awapuni", 1650392760, 0, day, N_DAY, 600, &i, why,
                                         sizeof why),
                     ODZ_MATCH_NONE);
    assert_non_null(strstr(why, "no race at venue"));
    assert_int_equal(odz_match_find_race("Sheffield", 1650392760, 0, day, 0, 600, &i, NULL, 0),
                     ODZ_MATCH_NONE);
    assert_int_equal(i, 99); /* untouched when not OK */

    /* the candidates' venue keys given by the caller (read once a batch): the same answers;
     * a wrong key given wins over the name, so it is the key that is read */
    odz_match_race keyed[N_DAY];
    char keys[N_DAY][ODZ_MATCH_KEY_MAX];
    for (size_t k = 0; k < N_DAY; k++) {
        keyed[k] = day[k];
        odz_match_venue_key(day[k].venue, keys[k], sizeof keys[k]);
        keyed[k].venue_key = keys[k];
    }
    assert_int_equal(odz_match_find_race("Royal Randwick", 1650400300, 6, keyed, N_DAY, 600, &i,
                                         why, sizeof why),
                     ODZ_MATCH_OK);
    assert_int_equal(i, 6);
    assert_int_equal(odz_match_find_race("Randwick", 1650400100, 0, keyed, N_DAY, 600, &i, why,
                                         sizeof why),
                     ODZ_MATCH_UNSURE);
    keyed[0].venue_key = "elsewhere";
    assert_int_equal(odz_match_find_race("Sheffield", 1650392760, 0, keyed, N_DAY, 600, &i, why,
                                         sizeof why),
                     ODZ_MATCH_NONE); /* the other Sheffield race is 16 minutes out */
}

/* The recorded greyhound market's runners (trap numbers in the names) against a bookmaker's
 * card of the same race. */
static const odz_match_runner card[] = {
    {1, "Paradise Mission"}, {2, "Swift Hopper (IRE)"}, {3, "St Elmo's Fire"},
    {4, "Ballymac Mo"},      {5, "Jaytee Jet"},         {6, "Salt & Pepper"},
};
#define N_CARD (sizeof card / sizeof *card)

static odz_match_result runner(int number, const char *name, size_t *i, char *why, size_t n)
{
    odz_match_runner x = {number, name};
    return odz_match_find_runner(&x, card, N_CARD, i, why, n);
}

static void runners(void **state)
{
    (void)state;
    size_t i = 99;
    char why[ODZ_MATCH_REASON_MAX];
    assert_int_equal(runner(0, "1. Paradise Mission", &i, why, sizeof why), ODZ_MATCH_OK);
    assert_int_equal(i, 0);
    assert_int_equal(runner(0, "2. Swift Hopper", &i, why, sizeof why), ODZ_MATCH_OK);
    assert_int_equal(i, 1);
    assert_int_equal(runner(3, "Saint Elmos Fire", &i, why, sizeof why), ODZ_MATCH_OK);
    assert_int_equal(i, 2);
    assert_int_equal(runner(6, "Salt and Pepper", &i, why, sizeof why), ODZ_MATCH_OK);
    assert_int_equal(i, 5);
    assert_int_equal(runner(4, "", &i, why, sizeof why), ODZ_MATCH_OK); /* no name: number */
    assert_int_equal(i, 3);
    assert_int_equal(runner(0, "JAYTEE JET", &i, why, sizeof why), ODZ_MATCH_OK); /* no number */
    assert_int_equal(i, 4);
    /* a name cut short by the exchange, with the same number or none */
    assert_int_equal(runner(0, "1. Paradise Missio", &i, why, sizeof why), ODZ_MATCH_OK);
    assert_int_equal(i, 0);
    assert_int_equal(runner(0, "Paradise Missio", &i, why, sizeof why), ODZ_MATCH_OK);
    assert_int_equal(i, 0);

    /* must not match */
    i = 99;
    assert_int_equal(runner(4, "Ballymac Bolt", &i, why, sizeof why), ODZ_MATCH_UNSURE);
    assert_non_null(strstr(why, "number 4"));
    assert_int_equal(runner(5, "Paradise Mission", &i, why, sizeof why), ODZ_MATCH_UNSURE);
    assert_non_null(strstr(why, "number 5 here and 1 there") || strstr(why, "number 5"));
    assert_int_equal(runner(0, "7. Reserve Dog", &i, why, sizeof why), ODZ_MATCH_NONE);
    assert_int_equal(runner(0, "Paradise", &i, why, sizeof why), ODZ_MATCH_NONE); /* a part */
    /* cut too short, or under another number; a cut name that begins two */
    assert_int_equal(runner(0, "1. Paradise", &i, why, sizeof why), ODZ_MATCH_UNSURE);
    assert_int_equal(runner(0, "2. Paradise Missio", &i, why, sizeof why), ODZ_MATCH_UNSURE);
    static const odz_match_runner kin[] = {{1, "Tiggerlong Bandit"}, {2, "Tiggerlong Bandito"},
                                           {3, "Tiggerlong Bandi"}};
    odz_match_runner cut = {0, "Tiggerlong Band"};
    assert_int_equal(odz_match_find_runner(&cut, kin, 2, &i, why, sizeof why), ODZ_MATCH_UNSURE);
    assert_non_null(strstr(why, "2 runners"));
    cut.name = "Tiggerlong Bandi"; /* the exact name first */
    assert_int_equal(odz_match_find_runner(&cut, kin, 3, &i, why, sizeof why), ODZ_MATCH_OK);
    assert_int_equal(i, 2);
    i = 99;
    assert_int_equal(runner(0, "", &i, why, sizeof why), ODZ_MATCH_NONE);
    assert_int_equal(i, 99);
    static const odz_match_runner twins[] = {{1, "Double Up"}, {2, "Double Up (NZ)"}};
    odz_match_runner x = {0, "Double Up"};
    assert_int_equal(odz_match_find_runner(&x, twins, 2, &i, why, sizeof why), ODZ_MATCH_UNSURE);
    assert_int_equal(i, 99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(name_keys),
        cmocka_unit_test(saddle_and_market_names),
        cmocka_unit_test(venue_keys),
        cmocka_unit_test(races),
        cmocka_unit_test(runners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The simulated world's catalogue: zones, regions, tracks, meeting shapes and word lists. */
#include "feed/world.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* A word list; `linkage` is static for the lists only this file uses. */
#define WORD_LIST(linkage, name, ...)                                                              \
    static const char *const name##_v[] = {__VA_ARGS__};                                           \
    linkage const odz_fw_words name = {name##_v, N(name##_v)}
#define WORDS(name, ...) WORD_LIST(, name, __VA_ARGS__)

const odz_fw_zone odz_fw_zones[ODZ_FW_ZONES] = {
    [ODZ_FW_Z_FEED] = {NULL, 600},
    [ODZ_FW_Z_SYD] = {"Australia/Sydney", 600},
    [ODZ_FW_Z_MEL] = {"Australia/Melbourne", 600},
    [ODZ_FW_Z_BNE] = {"Australia/Brisbane", 600},
    [ODZ_FW_Z_ADL] = {"Australia/Adelaide", 570},
    [ODZ_FW_Z_PER] = {"Australia/Perth", 480},
    [ODZ_FW_Z_HBA] = {"Australia/Hobart", 600},
    [ODZ_FW_Z_DRW] = {"Australia/Darwin", 570},
    [ODZ_FW_Z_AKL] = {"Pacific/Auckland", 720},
    [ODZ_FW_Z_LON] = {"Europe/London", 0},
    [ODZ_FW_Z_DUB] = {"Europe/Dublin", 0},
    [ODZ_FW_Z_NYC] = {"America/New_York", -300},
    [ODZ_FW_Z_CHI] = {"America/Chicago", -360},
    [ODZ_FW_Z_LAX] = {"America/Los_Angeles", -480},
    [ODZ_FW_Z_HKG] = {"Asia/Hong_Kong", 480},
};

/* Track conditions and weather as each region's feed words them; repeats weight. */
WORD_LIST(static, going_aus, "Good4", "Good4", "Good3", "Soft5", "Soft6", "Soft7", "Heavy8",
          "Good4", "Synthetic");
WORD_LIST(static, going_nz, "Good", "Good", "Dead", "Slow", "Soft", "Heavy", "Synthetic");
WORD_LIST(static, going_uk, "Good", "Good to Firm", "Good to Soft", "Soft", "Standard", "Firm");
WORD_LIST(static, going_usa, "Fast", "Fast", "Good", "Sloppy", "Firm", "Muddy");
WORD_LIST(static, going_hk, "Good", "Good to Firm", "Good to Yielding", "Yielding");
WORDS(odz_fw_going_dogs, "Good", "Good", "Good", "Fast", "Slow");
WORDS(odz_fw_going_harness, "Good", "Fast", "Good", "Slow");
WORD_LIST(static, weather_aus, "FINE", "FINE", "OCAST", "SHWRY", "FINE");
WORD_LIST(static, weather_nz, "Fine", "Overcast", "Showery", "Fine");
WORD_LIST(static, weather_usa, "Cloudy", "Clear", "", "Cloudy");

const odz_fw_region odz_fw_regions[ODZ_FW_REGIONS] = {
    [ODZ_FW_AUS] = {"AUS", "Australia", "AU", "", true, &going_aus, &weather_aus},
    [ODZ_FW_NZ] = {"NZ", "New Zealand", "NZ", "-nz", true, &going_nz, &weather_nz},
    [ODZ_FW_UK] = {"UK", "United Kingdom", "GB", "-uk", false, &going_uk, NULL},
    [ODZ_FW_IRE] = {"IRE", "Ireland", "IE", "-ire", false, &going_uk, NULL},
    [ODZ_FW_USA] = {"USA", "United States", "US", "-usa", false, &going_usa, &weather_usa},
    [ODZ_FW_HK] = {"HK", "Hong Kong", "HK", "", false, &going_hk, NULL},
};

#define SYD ODZ_FW_Z_SYD
#define MEL ODZ_FW_Z_MEL
#define BNE ODZ_FW_Z_BNE
#define ADL ODZ_FW_Z_ADL
#define PER ODZ_FW_Z_PER
#define HBA ODZ_FW_Z_HBA
#define DRW ODZ_FW_Z_DRW

static const odz_fw_track aus_t[] = {
    {"Randwick", "NSW", SYD},
    {"Rosehill Gardens", "NSW", SYD},
    {"Canterbury Park", "NSW", SYD},
    {"Warwick Farm", "NSW", SYD},
    {"Kembla Grange", "NSW", SYD},
    {"Newcastle", "NSW", SYD},
    {"Gosford", "NSW", SYD},
    {"Wyong", "NSW", SYD},
    {"Hawkesbury", "NSW", SYD},
    {"Scone", "NSW", SYD},
    {"Muswellbrook", "NSW", SYD},
    {"Grafton", "NSW", SYD},
    {"Port Macquarie", "NSW", SYD},
    {"Goulburn", "NSW", SYD},
    {"Wagga", "NSW", SYD},
    {"Flemington", "VIC", MEL},
    {"Caulfield", "VIC", MEL},
    {"Moonee Valley", "VIC", MEL},
    {"Sandown Hillside", "VIC", MEL},
    {"Bendigo", "VIC", MEL},
    {"Ballarat", "VIC", MEL},
    {"Geelong", "VIC", MEL},
    {"Pakenham", "VIC", MEL},
    {"Cranbourne", "VIC", MEL},
    {"Mornington", "VIC", MEL},
    {"Sale", "VIC", MEL},
    {"Kilmore", "VIC", MEL},
    {"Swan Hill", "VIC", MEL},
    {"Eagle Farm", "QLD", BNE},
    {"Doomben", "QLD", BNE},
    {"Gold Coast", "QLD", BNE},
    {"Sunshine Coast", "QLD", BNE},
    {"Ipswich", "QLD", BNE},
    {"Toowoomba", "QLD", BNE},
    {"Rockhampton", "QLD", BNE},
    {"Townsville", "QLD", BNE},
    {"Morphettville", "SA", ADL},
    {"Murray Bridge", "SA", ADL},
    {"Gawler", "SA", ADL},
    {"Ascot", "WA", PER},
    {"Belmont", "WA", PER},
    {"Pinjarra", "WA", PER},
    {"Bunbury", "WA", PER},
    {"Northam", "WA", PER},
    {"Launceston", "TAS", HBA},
    {"Hobart", "TAS", HBA},
    {"Fannie Bay", "NT", DRW},
};
static const odz_fw_track aus_h[] = {
    {"Menangle", "NSW", SYD},    {"Penrith", "NSW", SYD},    {"Newcastle", "NSW", SYD},
    {"Bathurst", "NSW", SYD},    {"Tamworth", "NSW", SYD},   {"Goulburn", "NSW", SYD},
    {"Wagga", "NSW", SYD},       {"Melton", "VIC", MEL},     {"Ballarat", "VIC", MEL},
    {"Bendigo", "VIC", MEL},     {"Shepparton", "VIC", MEL}, {"Geelong", "VIC", MEL},
    {"Cranbourne", "VIC", MEL},  {"Kilmore", "VIC", MEL},    {"Swan Hill", "VIC", MEL},
    {"Albion Park", "QLD", BNE}, {"Redcliffe", "QLD", BNE},  {"Marburg", "QLD", BNE},
    {"Globe Derby", "SA", ADL},  {"Gawler", "SA", ADL},      {"Gloucester Park", "WA", PER},
    {"Pinjarra", "WA", PER},     {"Hobart", "TAS", HBA},     {"Launceston", "TAS", HBA},
};
static const odz_fw_track aus_g[] = {
    {"Wentworth Park", "NSW", SYD}, {"Richmond", "NSW", SYD},    {"Dapto", "NSW", SYD},
    {"The Gardens", "NSW", SYD},    {"Gosford", "NSW", SYD},     {"Bulli", "NSW", SYD},
    {"Goulburn", "NSW", SYD},       {"Grafton", "NSW", SYD},     {"Casino", "NSW", SYD},
    {"Nowra", "NSW", SYD},          {"Maitland", "NSW", SYD},    {"Taree", "NSW", SYD},
    {"Sandown Park", "VIC", MEL},   {"The Meadows", "VIC", MEL}, {"Ballarat", "VIC", MEL},
    {"Bendigo", "VIC", MEL},        {"Geelong", "VIC", MEL},     {"Healesville", "VIC", MEL},
    {"Horsham", "VIC", MEL},        {"Sale", "VIC", MEL},        {"Shepparton", "VIC", MEL},
    {"Traralgon", "VIC", MEL},      {"Warragul", "VIC", MEL},    {"Warrnambool", "VIC", MEL},
    {"Albion Park", "QLD", BNE},    {"Ipswich", "QLD", BNE},     {"Capalaba", "QLD", BNE},
    {"Townsville", "QLD", BNE},     {"Rockhampton", "QLD", BNE}, {"Angle Park", "SA", ADL},
    {"Murray Bridge", "SA", ADL},   {"Gawler", "SA", ADL},       {"Mount Gambier", "SA", ADL},
    {"Cannington", "WA", PER},      {"Mandurah", "WA", PER},     {"Northam", "WA", PER},
    {"Hobart", "TAS", HBA},         {"Launceston", "TAS", HBA},  {"Devonport", "TAS", HBA},
};

#define AKL ODZ_FW_Z_AKL
static const odz_fw_track nz_t[] = {
    {"Ellerslie", "NZ", AKL},      {"Te Rapa", "NZ", AKL},       {"Trentham", "NZ", AKL},
    {"Riccarton Park", "NZ", AKL}, {"Awapuni", "NZ", AKL},       {"Hastings", "NZ", AKL},
    {"Otaki", "NZ", AKL},          {"Pukekohe Park", "NZ", AKL}, {"Ruakaka", "NZ", AKL},
    {"Tauranga", "NZ", AKL},       {"Matamata", "NZ", AKL},      {"Wanganui", "NZ", AKL},
    {"Wingatui", "NZ", AKL},       {"Ashburton", "NZ", AKL},     {"Rotorua", "NZ", AKL},
    {"Te Aroha", "NZ", AKL},       {"Waverley", "NZ", AKL},      {"Awapuni Synthetic", "NZ", AKL},
};
static const odz_fw_track nz_h[] = {
    {"Addington", "NZ", AKL},    {"Alexandra Park", "NZ", AKL}, {"Cambridge Raceway", "NZ", AKL},
    {"Forbury Park", "NZ", AKL}, {"Ascot Park", "NZ", AKL},     {"Winton", "NZ", AKL},
    {"Oamaru", "NZ", AKL},       {"Rangiora", "NZ", AKL},       {"Motukarara", "NZ", AKL},
};
static const odz_fw_track nz_g[] = {
    {"Manukau", "NZ", AKL},      {"Cambridge (G)", "NZ", AKL},        {"Addington (G)", "NZ", AKL},
    {"Wanganui (G)", "NZ", AKL}, {"Palmerston North (G)", "NZ", AKL}, {"Ascot Park (G)", "NZ", AKL},
};

#define LON ODZ_FW_Z_LON
#define DUB ODZ_FW_Z_DUB
static const odz_fw_track uk_t[] = {
    {"Ascot", "GBR", LON},           {"Kempton", "GBR", LON},       {"Newmarket", "GBR", LON},
    {"Goodwood", "GBR", LON},        {"York", "GBR", LON},          {"Epsom Downs", "GBR", LON},
    {"Sandown", "GBR", LON},         {"Cheltenham", "GBR", LON},    {"Aintree", "GBR", LON},
    {"Haydock", "GBR", LON},         {"Doncaster", "GBR", LON},     {"Newbury", "GBR", LON},
    {"Lingfield", "GBR", LON},       {"Wolverhampton", "GBR", LON}, {"Southwell", "GBR", LON},
    {"Chelmsford City", "GBR", LON}, {"Windsor", "GBR", LON},       {"Brighton", "GBR", LON},
    {"Yarmouth", "GBR", LON},        {"Nottingham", "GBR", LON},    {"Leicester", "GBR", LON},
    {"Ripon", "GBR", LON},           {"Redcar", "GBR", LON},        {"Thirsk", "GBR", LON},
    {"Musselburgh", "GBR", LON},     {"Ayr", "GBR", LON},           {"Hamilton", "GBR", LON},
    {"Chester", "GBR", LON},         {"Bath", "GBR", LON},          {"Salisbury", "GBR", LON},
    {"Ffos Las", "GBR", LON},        {"Chepstow", "GBR", LON},      {"Catterick", "GBR", LON},
    {"Pontefract", "GBR", LON},      {"Beverley", "GBR", LON},      {"Carlisle", "GBR", LON},
};
static const odz_fw_track uk_g[] = {
    {"Romford", "UK", LON},      {"Hove", "UK", LON},         {"Monmore", "UK", LON},
    {"Towcester", "UK", LON},    {"Nottingham", "UK", LON},   {"Sheffield", "UK", LON},
    {"Newcastle", "UK", LON},    {"Sunderland", "UK", LON},   {"Harlow", "UK", LON},
    {"Henlow", "UK", LON},       {"Yarmouth", "UK", LON},     {"Perry Barr", "UK", LON},
    {"Doncaster", "UK", LON},    {"Kinsley", "UK", LON},      {"Crayford", "UK", LON},
    {"Central Park", "UK", LON}, {"Pelaw Grange", "UK", LON}, {"Oxford", "UK", LON},
};
static const odz_fw_track ire_t[] = {
    {"Leopardstown", "IRL", DUB}, {"Curragh", "IRL", DUB},     {"Galway", "IRL", DUB},
    {"Punchestown", "IRL", DUB},  {"Fairyhouse", "IRL", DUB},  {"Naas", "IRL", DUB},
    {"Navan", "IRL", DUB},        {"Dundalk", "IRL", DUB},     {"Killarney", "IRL", DUB},
    {"Limerick", "IRL", DUB},     {"Cork", "IRL", DUB},        {"Gowran Park", "IRL", DUB},
    {"Listowel", "IRL", DUB},     {"Tipperary", "IRL", DUB},   {"Roscommon", "IRL", DUB},
    {"Sligo", "IRL", DUB},        {"Tramore", "IRL", DUB},     {"Wexford", "IRL", DUB},
    {"Ballinrobe", "IRL", DUB},   {"Bellewstown", "IRL", DUB}, {"Clonmel", "IRL", DUB},
};
static const odz_fw_track ire_g[] = {
    {"Shelbourne Park", "IRE", DUB}, {"Curraheen Park", "IRE", DUB}, {"Dundalk", "IRE", DUB},
    {"Limerick", "IRE", DUB},        {"Youghal", "IRE", DUB},        {"Waterford", "IRE", DUB},
    {"Tralee", "IRE", DUB},          {"Kilkenny", "IRE", DUB},       {"Clonmel", "IRE", DUB},
    {"Enniscorthy", "IRE", DUB},     {"Mullingar", "IRE", DUB},      {"Lifford", "IRE", DUB},
    {"Galway", "IRE", DUB},          {"Thurles", "IRE", DUB},        {"Drumbo Park", "IRE", DUB},
};

#define NYC ODZ_FW_Z_NYC
#define CHI ODZ_FW_Z_CHI
#define LAX ODZ_FW_Z_LAX
static const odz_fw_track usa_t[] = {
    {"Belmont Park", "NY", NYC},     {"Saratoga", "NY", NYC},
    {"Aqueduct", "NY", NYC},         {"Churchill Downs", "KY", NYC},
    {"Keeneland", "KY", NYC},        {"Santa Anita", "CA", LAX},
    {"Del Mar", "CA", LAX},          {"Gulfstream Park", "FL", NYC},
    {"Tampa Bay Downs", "FL", NYC},  {"Parx Racing", "PA", NYC},
    {"Penn National", "PA", NYC},    {"Presque Isle Downs", "PA", NYC},
    {"Monmouth Park", "NJ", NYC},    {"Laurel Park", "MD", NYC},
    {"Pimlico", "MD", NYC},          {"Colonial Downs", "VA", NYC},
    {"Delaware Park", "DE", NYC},    {"Charles Town", "WV", NYC},
    {"Mountaineer", "WV", NYC},      {"Thistledown", "OH", NYC},
    {"Mahoning Valley", "OH", NYC},  {"Belterra Park", "OH", NYC},
    {"Ellis Park", "KY", CHI},       {"Indiana Grand", "IN", NYC},
    {"Canterbury Park", "MN", CHI},  {"Prairie Meadows", "IA", CHI},
    {"Oaklawn Park", "AR", CHI},     {"Fair Grounds", "LA", CHI},
    {"Evangeline Downs", "LA", CHI}, {"Lone Star Park", "TX", CHI},
    {"Remington Park", "OK", CHI},   {"Golden Gate Fields", "CA", LAX},
    {"Emerald Downs", "WA", LAX},
};
static const odz_fw_track usa_h[] = {
    {"The Meadowlands", "NJ", NYC},       {"Yonkers Raceway", "NY", NYC},
    {"Pocono Downs", "PA", NYC},          {"The Meadows", "PA", NYC},
    {"Harrah's Philadelphia", "PA", NYC}, {"Hoosier Park", "IN", NYC},
    {"Northfield Park", "OH", NYC},       {"Miami Valley", "OH", NYC},
    {"Scioto Downs", "OH", NYC},          {"Dover Downs", "DE", NYC},
    {"Harrington Raceway", "DE", NYC},    {"Batavia Downs", "NY", NYC},
    {"Plainridge Park", "MA", NYC},       {"Rosecroft", "MD", NYC},
    {"Running Aces", "MN", CHI},
};
static const odz_fw_track hk_t[] = {
    {"Sha Tin", "HK", ODZ_FW_Z_HKG},
    {"Happy Valley", "HK", ODZ_FW_Z_HKG},
};

/* First-race windows in local minutes after midnight, as (from, to) pairs; repeats weight. */
static const int st_aus_t[] = {720, 800, 720, 800, 740, 810, 1020, 1110};
static const int st_aus_h[] = {1050, 1140, 1050, 1140, 690, 780};
static const int st_aus_g[] = {645, 780, 1050, 1155, 930, 990};
static const int st_nz_t[] = {705, 780};
static const int st_nz_h[] = {900, 1080, 690, 750};
static const int st_nz_g[] = {660, 1020};
static const int st_uk_t[] = {770, 870, 770, 870, 1020, 1095};
static const int st_uk_g[] = {630, 690, 780, 840, 1080, 1170};
static const int st_ire_t[] = {780, 1020};
static const int st_ire_g[] = {1110, 1170};
static const int st_usa_t[] = {750, 810, 750, 810, 1140, 1170};
static const int st_usa_h[] = {1080, 1170};
static const int st_hk_t[] = {735, 780}; /* Happy Valley nights are shifted in world.c */

static const int d_aus_t[] = {1000, 1100, 1200, 1200, 1300, 1400, 1400,
                              1500, 1600, 1800, 2000, 2100, 2400};
static const int d_aus_h[] = {1609, 1720, 1785, 2100, 2138, 2150, 2200, 2240, 2650};
static const int d_aus_g[] = {300, 342, 385, 400, 450, 515, 520, 595, 600, 715};
static const int d_nz_t[] = {1000, 1200, 1400, 1600, 1700, 2000, 2100, 2200, 2400};
static const int d_nz_h[] = {1950, 2200, 2600, 2700, 3200};
static const int d_nz_g[] = {295, 457, 520, 645, 732};
static const int d_uk_t[] = {1006, 1207, 1408, 1609, 1811, 2012, 2414, 2816, 3218};
static const int d_uk_g[] = {264, 400, 450, 462, 480, 500, 575, 640};
static const int d_ire_t[] = {1006, 1207, 1408, 1646, 2012, 2414, 2816};
static const int d_ire_g[] = {325, 480, 503, 525, 550, 575, 600};
static const int d_usa_t[] = {1006, 1106, 1207, 1308, 1408, 1609, 1710, 1811};
static const int d_usa_h[] = {1609};
static const int d_hk_t[] = {1000, 1200, 1400, 1600, 1650, 1800, 2000, 2200, 2400};

#define G(r, t, tr, dmin, dmax, rmin, rmax, gmin, gmax, fmin, fmax, st, ds)                        \
    {                                                                                              \
        r, t, tr, N(tr), dmin, dmax, rmin, rmax, gmin, gmax, fmin, fmax, st, N(st) / 2, ds, N(ds)  \
    }

const odz_fw_group odz_fw_groups[] = {
    G(ODZ_FW_AUS, ODZ_THOROUGHBRED, aus_t, 4, 6, 7, 10, 30, 35, 6, 16, st_aus_t, d_aus_t),
    G(ODZ_FW_AUS, ODZ_HARNESS, aus_h, 2, 4, 7, 10, 25, 30, 6, 14, st_aus_h, d_aus_h),
    G(ODZ_FW_AUS, ODZ_GREYHOUND, aus_g, 5, 8, 10, 12, 15, 20, 8, 8, st_aus_g, d_aus_g),
    G(ODZ_FW_NZ, ODZ_THOROUGHBRED, nz_t, 1, 2, 8, 10, 30, 35, 6, 16, st_nz_t, d_nz_t),
    G(ODZ_FW_NZ, ODZ_HARNESS, nz_h, 1, 2, 8, 11, 25, 30, 6, 14, st_nz_h, d_nz_h),
    G(ODZ_FW_NZ, ODZ_GREYHOUND, nz_g, 0, 1, 10, 12, 15, 20, 8, 8, st_nz_g, d_nz_g),
    G(ODZ_FW_UK, ODZ_THOROUGHBRED, uk_t, 3, 5, 6, 8, 30, 35, 5, 16, st_uk_t, d_uk_t),
    G(ODZ_FW_UK, ODZ_GREYHOUND, uk_g, 2, 3, 10, 12, 15, 20, 8, 8, st_uk_g, d_uk_g),
    G(ODZ_FW_IRE, ODZ_THOROUGHBRED, ire_t, 1, 2, 7, 8, 30, 35, 6, 16, st_ire_t, d_ire_t),
    G(ODZ_FW_IRE, ODZ_GREYHOUND, ire_g, 1, 2, 10, 12, 15, 20, 8, 8, st_ire_g, d_ire_g),
    G(ODZ_FW_USA, ODZ_THOROUGHBRED, usa_t, 3, 5, 8, 10, 28, 33, 5, 12, st_usa_t, d_usa_t),
    G(ODZ_FW_USA, ODZ_HARNESS, usa_h, 1, 2, 10, 12, 25, 30, 7, 10, st_usa_h, d_usa_h),
    G(ODZ_FW_HK, ODZ_THOROUGHBRED, hk_t, 0, 1, 9, 11, 30, 35, 12, 14, st_hk_t, d_hk_t),
};
const int odz_fw_n_groups = N(odz_fw_groups);

WORDS(odz_fw_name_a, "Silver", "Golden", "Midnight", "Royal", "Crimson", "Lucky", "Wild", "Brave",
      "Quiet", "Stormy", "Rapid", "Secret", "Noble", "Dancing", "Flying", "Iron", "Velvet",
      "Scarlet", "Ocean", "Desert", "Northern", "Southern", "Eastern", "Western", "Hidden", "Bold",
      "Gallant", "Mighty", "Little", "Grand", "Shadow", "Thunder", "Summer", "Winter", "Autumn",
      "Spring", "Diamond", "Emerald", "Sapphire", "Ruby", "Copper", "Lightning", "Rebel", "Captain",
      "Lady", "Sir", "Miss", "Mister", "King's", "Queen's", "Highland", "Coastal", "Electric",
      "Cosmic", "Starry", "Mystic", "Magic", "Jolly", "Happy", "Smart", "Sneaky", "Cheeky",
      "Handsome", "Pretty", "Proud", "Fierce", "Gentle", "Lonely", "Dusty");
WORDS(odz_fw_name_b, "Comet", "Arrow", "Dancer", "Storm", "Legend", "Spirit", "Knight", "Empire",
      "Harbour", "Valley", "River", "Express", "Rocket", "Prince", "Princess", "Warrior", "Dream",
      "Journey", "Affair", "Secret", "Promise", "Echo", "Falcon", "Eagle", "Hawk", "Tiger", "Lion",
      "Wolf", "Fox", "Bandit", "Outlaw", "Ranger", "Pilot", "Sailor", "Voyager", "Whisper",
      "Thunder", "Blaze", "Flame", "Star", "Moon", "Sun", "Horizon", "Frontier", "Boulevard",
      "Avenue", "Lane", "Gem", "Crown", "Sceptre", "Charm", "Fortune", "Glory", "Triumph",
      "Victory", "Quest", "Rhythm", "Melody", "Harmony", "Tempo", "Jive", "Tango", "Samba", "Rumba",
      "Galaxy", "Nova", "Orbit", "Magnet", "Cyclone", "Typhoon");
WORDS(odz_fw_dog_a, "Zipping", "Fernando", "Aston", "Wow", "Hooked", "Sweet", "Black", "Blue",
      "Red", "Bella", "Keybow", "Dyna", "Jarvis", "Good", "Lektra", "Orson", "Fanta", "Zambora",
      "Sennachie", "Mepunga", "Tiggerlong", "Wicked", "Barcia", "Handsome", "Shima", "Slick",
      "Rapid", "Turbo", "Lightning", "Swift", "Dashing", "Raging", "Flying", "Zooming");
WORDS(odz_fw_dog_b, "Bale", "Rocket", "Dee", "Bolt", "Blitz", "Jet", "Flash", "Dash", "Zoom",
      "Spark", "Bandit", "Chaser", "Runner", "Streak", "Whip", "Sprint", "Fury", "Blaze", "Boomer",
      "Diesel", "Ruby", "Molly", "Maggie", "Rosie", "Tess", "Bruno", "Max", "Ollie", "Jack", "Milo",
      "Duke", "Zeus", "Apollo", "Ace");
WORDS(odz_fw_first_names, "James", "Tommy", "Hugh", "Kerrin", "Craig", "Nash", "Jamie", "Damien",
      "Blake", "Rachel", "Jamie", "Kate", "Chris", "Liam", "Amber", "Frankie", "Kelly", "Mark",
      "Luke", "Ben", "Sam", "Jason", "Michael", "Ryan", "Tim", "Jake", "Kayla", "Jessica", "Ashley",
      "Emily", "Dylan", "Zac", "Tyler", "Brad", "Glen", "Peter", "Gai", "Chris", "Ciaron",
      "Annabel", "Bjorn", "Matthew", "Joe", "William", "Oisin", "Frankie", "Irad", "Flavien",
      "Javier", "Luis", "John", "Todd", "Gemma", "Hollie", "Saffie", "Rossa");
WORDS(odz_fw_surnames, "McDonald", "Berry", "Bowman", "McEvoy", "Williams", "Rawiller", "Kah",
      "Oliver", "Shinn", "King", "Collett", "Hercock", "Dell", "Kauri", "Riddell", "Barrett",
      "Myers", "Zahra", "Allen", "Parr", "Clipperton", "Lane", "Mott", "Brown", "Smith", "Jones",
      "Waterhouse", "Waller", "Hayes", "Maher", "Eustace", "Cummings", "Freedman", "Snowden",
      "Price", "Murphy", "Moore", "Dettori", "Buick", "Kingscote", "Doyle", "Ortiz", "Castellano",
      "Velazquez", "Saez", "Prat", "Rosario", "Pletcher", "Baffert", "Brisset", "O'Brien",
      "Mullins", "Elliott", "Purton", "Teetan", "Moreira", "Size", "Lor", "Hall", "Dunn");
WORDS(odz_fw_colours, "Red", "White", "Royal blue", "Navy blue", "Black", "Yellow", "Gold",
      "Emerald green", "Dark green", "Orange", "Purple", "Pink", "Maroon", "Silver", "Grey",
      "Light blue", "Cerise", "Lime", "Turquoise", "Brown", "Cream", "Aqua", "Lemon", "Tangerine");
WORDS(odz_fw_silk_patterns, "sash", "hoops", "stripes", "spots", "diamonds", "stars", "halves",
      "quarters", "chevrons", "crossbelts", "epaulettes", "armbands", "seams", "diamond band",
      "checks", "braces", "cross of lorraine", "hooped sleeves");
WORDS(odz_fw_sponsors, "Ladbrokes", "Sky Racing", "TAB", "Neds", "Schweppes", "Carlton Draught",
      "Hyland Race Colours", "Inglis", "Magic Millions", "Aquis", "Sportsbet", "Rotary Club",
      "Country Motors", "XXXX Gold", "Bendigo Bank", "Elders Rural", "Racing And Sports", "Punters",
      "Furphy", "Harvey Norman", "Bet365", "Iglu", "Jenningsbet", "Racing Post", "Coral", "Betfred",
      "William Hill", "Sky Bet", "Boylesports", "Paddy Power", "Tote", "Vickery Brothers",
      "Village Green Hotel", "Pryda", "Garrards", "Livamol", "Toyota");
WORDS(odz_fw_race_kinds_aus, "Maiden Plate", "Maiden Handicap", "Class 1 Handicap",
      "Class 2 Handicap", "Class 3 Handicap", "Benchmark 58 Handicap", "Benchmark 64 Handicap",
      "Benchmark 70 Handicap", "Benchmark 78 Handicap", "Rating 65 Handicap", "Open Handicap",
      "2YO Maiden Plate", "3YO Handicap", "F&M Benchmark 64 Handicap", "Country Cup (Listed)",
      "Quality Handicap", "Showcase Plate", "Highway Handicap", "Provincial Cup");
WORDS(odz_fw_race_kinds_uk, "Handicap", "Novice Stakes", "Maiden Stakes", "Apprentice Handicap",
      "Nursery Handicap", "Fillies' Handicap", "Selling Stakes", "Claiming Stakes",
      "EBF Maiden Stakes", "Classified Stakes", "Conditions Stakes", "Listed Stakes",
      "Amateur Riders' Handicap", "Maiden Hurdle", "Handicap Chase", "Novices' Hurdle");
WORDS(odz_fw_race_kinds_usa, "Claiming", "Maiden Claiming", "Maiden Special Weight", "Allowance",
      "Allowance Optional Claiming", "Starter Allowance", "Stakes", "Handicap");
WORDS(odz_fw_race_kinds_hk, "Handicap (Class 5)", "Handicap (Class 4)", "Handicap (Class 3)",
      "Handicap (Class 2)", "Handicap (Class 1)", "Cup (Group 3)", "Plate (Class 4)");
WORDS(odz_fw_hk_names, "Sha Tin", "Tai Po", "Kowloon", "Lantau", "Victoria Harbour", "Peak",
      "Repulse Bay", "Lamma Island", "Stanley", "Sai Kung", "Tsim Sha Tsui", "Causeway Bay",
      "Bauhinia", "Orchid", "Lotus", "Plum Blossom", "Peony", "Camellia", "Jade", "Pearl River");
WORDS(odz_fw_race_kinds_harness, "Mobile Pace", "Handicap Pace", "Mobile Trot", "Handicap Trot",
      "Maiden Pace", "Country Cups Pace", "Discretionary Handicap Pace", "Free For All Pace",
      "Claiming Pace", "Fillies & Mares Pace");
WORDS(odz_fw_race_kinds_dogs, "Maiden", "Grade 5", "Grade 6", "Grade 7", "Mixed 4/5", "Mixed 6/7",
      "Free For All", "Masters", "Novice", "Restricted Win", "Heat", "Final", "Bitches Only Ht",
      "Non Penalty");

/* The PostgreSQL driver's SQL: every statement of driver.h in PostgreSQL, and the schema's
 * migrations (the SQLite ones in PostgreSQL types). Parameters are $n, sent as text. */
#include "store/pg_internal.h"

/* Dates are DATE columns read back as text in one fixed format whatever the DateStyle; text
 * is ordered with the "C" collation, byte by byte, as SQLite does. */
#define MEET_COLS                                                                                  \
    "id, source_key, name, country, region, race_type, to_char(date, 'YYYY-MM-DD'), first_start"
#define RACE_COLS                                                                                  \
    "id, source_key, meeting_id, number, name, distance, scheduled_start, actual_start, status, "  \
    "results, dividends, last_update"
#define RACE_COLS_R                                                                                \
    "r.id, r.source_key, r.meeting_id, r.number, r.name, r.distance, r.scheduled_start, "          \
    "r.actual_start, r.status, r.results, r.dividends, r.last_update"
#define SEL_COLS                                                                                   \
    "id, source_key, race_id, number, barrier, name, jockey, trainer, weight, claim, scratched, "  \
    "late_scratched, scratch_time, deduction, emergency, silks"
#define PRICE_COLS "selection_id, provider, market, odds, ts"

const char *const odz_pg__sql[PGQ_COUNT] = {
    [PGQ_BEGIN] = "BEGIN",
    [PGQ_COMMIT] = "COMMIT",
    [PGQ_ROLLBACK] = "ROLLBACK",
    [PGQ_WRITE_LOCK] = "SELECT pg_advisory_xact_lock($1)",
    [DQ_MEET_INSERT] = "INSERT INTO meetings (source_key, name, country, region, race_type, date, "
                       "first_start) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    [DQ_MEET_GET] = "SELECT " MEET_COLS " FROM meetings WHERE id = $1",
    [DQ_MEET_BY_KEY] = "SELECT " MEET_COLS " FROM meetings WHERE source_key = $1",
    [DQ_MEET_UPDATE] = "UPDATE meetings SET source_key = $2, name = $3, country = $4, region = $5, "
                       "race_type = $6, date = $7, first_start = $8 WHERE id = $1",
    [DQ_MEET_RANGE] = "SELECT " MEET_COLS " FROM meetings WHERE date >= $1 AND date <= $2 "
                      "AND " ODZ_MEET_SHOWN "ORDER BY date, race_type, name COLLATE \"C\", id",
    [DQ_MEET_FIRST_START] = "UPDATE meetings SET first_start = (SELECT COALESCE(MIN("
                            "scheduled_start), 0) FROM races WHERE meeting_id = $1 "
                            "AND " ODZ_NOT_RETIRED ") WHERE id = $1",
    [DQ_RACE_INSERT] = "INSERT INTO races (source_key, meeting_id, number, name, distance, "
                       "scheduled_start, actual_start, status, results, dividends, last_update) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    [DQ_RACE_GET] = "SELECT " RACE_COLS " FROM races WHERE id = $1",
    [DQ_RACE_BY_KEY] = "SELECT " RACE_COLS " FROM races WHERE source_key = $1",
    [DQ_RACE_UPDATE] = "UPDATE races SET source_key = $2, meeting_id = $3, number = $4, name = $5, "
                       "distance = $6, scheduled_start = $7, actual_start = $8, status = $9, "
                       "results = $10, dividends = $11, last_update = $12 WHERE id = $1",
    [DQ_RACE_RANGE] = "SELECT " RACE_COLS_R " FROM races r JOIN meetings m ON m.id = r.meeting_id "
                      "WHERE m.date >= $1 AND m.date <= $2 AND r." ODZ_NOT_RETIRED
                      " ORDER BY r.scheduled_start, r.id",
    [DQ_RACE_OF_MEETING] = "SELECT " RACE_COLS " FROM races WHERE meeting_id = $1 "
                           "AND " ODZ_NOT_RETIRED " ORDER BY number, id",
    [DQ_RACE_NEXT] = "SELECT " RACE_COLS " FROM races WHERE meeting_id = $1 AND status = 0 "
                     "AND " ODZ_NOT_RETIRED " AND scheduled_start >= $2 "
                     "ORDER BY scheduled_start, number LIMIT 1",
    [DQ_RACES_NEXT] = "SELECT " RACE_COLS " FROM races WHERE status = 0 AND scheduled_start >= $1 "
                      "AND " ODZ_NOT_RETIRED " ORDER BY scheduled_start, id LIMIT $2",
    [DQ_RACES_NEXT_TYPE] = "SELECT " RACE_COLS_R " FROM races r JOIN meetings m "
                           "ON m.id = r.meeting_id WHERE r.status = 0 AND "
                           "r.scheduled_start >= $1 AND m.race_type = $3 "
                           "AND r." ODZ_NOT_RETIRED " ORDER BY r.scheduled_start, r.id LIMIT $2",
    [DQ_SEL_INSERT] = "INSERT INTO selections (source_key, race_id, number, barrier, name, jockey, "
                      "trainer, weight, claim, scratched, late_scratched, scratch_time, deduction, "
                      "emergency, silks) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                      "$12, $13, $14, $15) RETURNING id",
    [DQ_SEL_GET] = "SELECT " SEL_COLS " FROM selections WHERE id = $1",
    [DQ_SEL_BY_KEY] = "SELECT " SEL_COLS " FROM selections WHERE source_key = $1",
    [DQ_SEL_UPDATE] = "UPDATE selections SET source_key = $2, race_id = $3, number = $4, "
                      "barrier = $5, name = $6, jockey = $7, trainer = $8, weight = $9, "
                      "claim = $10, scratched = $11, late_scratched = $12, scratch_time = $13, "
                      "deduction = $14, emergency = $15, silks = $16 WHERE id = $1",
    [DQ_SEL_OF_RACE] = "SELECT " SEL_COLS " FROM selections WHERE race_id = $1 ORDER BY number, id",
    [DQ_PRICE_LATEST_ONE] = "SELECT odds, ts FROM prices WHERE selection_id = $1 AND provider = $2 "
                            "AND market = $3 ORDER BY ts DESC, id DESC LIMIT 1",
    [DQ_PRICE_INSERT] = "INSERT INTO prices (selection_id, provider, market, odds, ts) "
                        "VALUES ($1, $2, $3, $4, $5) "
                        "ON CONFLICT (selection_id, provider, market, ts) DO NOTHING",
    [DQ_PRICE_LATEST_RACE] =
        "SELECT l.selection_id, l.provider, l.market, l.odds, l.ts FROM ("
        "SELECT DISTINCT ON (p.selection_id, p.provider, p.market) p.selection_id, p.provider, "
        "p.market, p.odds, p.ts, s.number FROM prices p JOIN selections s "
        "ON s.id = p.selection_id WHERE s.race_id = $1 "
        "ORDER BY p.selection_id, p.provider, p.market, p.ts DESC, p.id DESC) l "
        "ORDER BY l.number, l.market, l.provider COLLATE \"C\", l.selection_id",
    [DQ_PRICE_HISTORY] = "SELECT " PRICE_COLS " FROM prices WHERE selection_id = $1 AND "
                         "market = $2 ORDER BY ts, id",
    [DQ_PRICE_HISTORY_ALL] = "SELECT " PRICE_COLS " FROM prices WHERE selection_id = $1 "
                             "ORDER BY ts, id",
    [DQ_BOOK_GET] = "SELECT " ODZ_BOOK_COLS " FROM exchange_books WHERE selection_id = $1 AND "
                    "provider = $2",
    [DQ_BOOK_PUT] = "INSERT INTO exchange_books (" ODZ_BOOK_COLS ") VALUES ($1, $2, $3, $4, $5, "
                    "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)" ODZ_BOOK_UPSERT,
    [DQ_BOOK_OF_RACE] = "SELECT " ODZ_BOOK_COLS " FROM exchange_books b JOIN selections s ON "
                        "s.id = b.selection_id WHERE s.race_id = $1 "
                        "ORDER BY s.number, b.provider COLLATE \"C\", b.selection_id",
    [DQ_EPOCH_BUMP] = ODZ_EPOCH_BUMP,
    [DQ_RACE_RETIRE] = "UPDATE races SET merged_into = NULLIF($2::bigint, 0), retired_at = $3 "
                       "WHERE id = $1",
    [DQ_RACE_MERGED] = "SELECT merged_into FROM races WHERE id = $1",
    [DQ_PRICE_COPY] = "INSERT INTO prices (" PRICE_COLS ") SELECT $2::bigint, provider, market, "
                      "odds, ts FROM prices WHERE selection_id = $1 ON CONFLICT DO NOTHING",
    [DQ_BOOK_COPY] = "INSERT INTO exchange_books (" ODZ_BOOK_COLS ") SELECT $2::bigint, "
                     ODZ_BOOK_DATA_COLS " FROM exchange_books WHERE selection_id = $1 "
                     "ON CONFLICT DO NOTHING",
};

/* Versioned migrations, the SQLite ones in PostgreSQL types: migration i brings the schema to
 * version i+1. Never edit a released one; append a new one. */
const char *const odz_pg__migrations[] = {
    "CREATE TABLE meetings ("
    " id BIGSERIAL PRIMARY KEY,"
    " source_key TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " country TEXT NOT NULL DEFAULT '',"
    " region TEXT NOT NULL DEFAULT '',"
    " race_type SMALLINT NOT NULL CHECK (race_type BETWEEN 0 AND 2),"
    " date DATE NOT NULL,"
    " first_start BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX meetings_date ON meetings (date, race_type);"
    "CREATE TABLE races ("
    " id BIGSERIAL PRIMARY KEY,"
    " source_key TEXT NOT NULL UNIQUE,"
    " meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,"
    " number INTEGER NOT NULL,"
    " name TEXT NOT NULL DEFAULT '',"
    " distance INTEGER NOT NULL DEFAULT 0,"
    " scheduled_start BIGINT NOT NULL,"
    " actual_start BIGINT NOT NULL DEFAULT 0,"
    " status SMALLINT NOT NULL CHECK (status BETWEEN 0 AND 4),"
    " results JSONB NOT NULL DEFAULT '[]',"
    " dividends JSONB NOT NULL DEFAULT '[]',"
    " last_update BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX races_meeting ON races (meeting_id, number);"
    "CREATE INDEX races_start ON races (status, scheduled_start);"
    "CREATE TABLE selections ("
    " id BIGSERIAL PRIMARY KEY,"
    " source_key TEXT NOT NULL UNIQUE,"
    " race_id BIGINT NOT NULL REFERENCES races (id) ON DELETE CASCADE,"
    " number INTEGER NOT NULL,"
    " barrier INTEGER NOT NULL DEFAULT 0,"
    " name TEXT NOT NULL,"
    " jockey TEXT NOT NULL DEFAULT '',"
    " trainer TEXT NOT NULL DEFAULT '',"
    " weight INTEGER NOT NULL DEFAULT 0,"
    " claim INTEGER NOT NULL DEFAULT 0,"
    " scratched BOOLEAN NOT NULL DEFAULT false,"
    " late_scratched BOOLEAN NOT NULL DEFAULT false,"
    " scratch_time BIGINT NOT NULL DEFAULT 0,"
    " deduction INTEGER NOT NULL DEFAULT 0,"
    " emergency BOOLEAN NOT NULL DEFAULT false,"
    " silks TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX selections_race ON selections (race_id, number);"
    "CREATE TABLE prices ("
    " id BIGSERIAL PRIMARY KEY,"
    " selection_id BIGINT NOT NULL REFERENCES selections (id) ON DELETE CASCADE,"
    " provider TEXT NOT NULL,"
    " market SMALLINT NOT NULL CHECK (market BETWEEN 0 AND 5),"
    " odds INTEGER NOT NULL CHECK (odds >= 100),"
    " ts BIGINT NOT NULL);"
    "CREATE UNIQUE INDEX prices_point ON prices (selection_id, provider, market, ts);"
    "CREATE INDEX prices_latest ON prices (selection_id, market, provider, ts);",
    /* 2: the exchange book of each selection and provider, as it stands */
    ODZ_BOOK_TABLE,
    /* 3: the write epoch, so a process knows when its write cache is stale */
    ODZ_EPOCH_TABLE,
    /* 4: retired races (a market stored apart, then matched onto another source's race) */
    ODZ_RETIRE_COLUMNS,
};
const int odz_pg__n_migrations = (int)(sizeof odz_pg__migrations / sizeof odz_pg__migrations[0]);

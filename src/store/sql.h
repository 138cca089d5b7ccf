/* Internal to src/store: the SQL of driver.h's statements and of the schema's migrations,
 * written once for both drivers (sqlite.c, pg_sql.c). Parameters are $n; SQLite would read
 * $n as a name numbered by first use, so sqlite.c prepares the text with ?n instead.
 *
 * Where the dialects differ the text names a macro that the including driver defines first:
 *   ODZ_SQL_DAY          a meeting's date read back as 'YYYY-MM-DD' text
 *   ODZ_SQL_BYTEWISE     the collation that orders text byte by byte, after a column
 *   ODZ_SQL_RETURNING_ID what an INSERT adds to return the new row's id ("" where the
 *                        driver asks its library for it)
 *   ODZ_SQL_INSERT_KEEP, ODZ_SQL_KEEP
 *                        the start and end of an INSERT that keeps a row already there on a
 *                        unique key instead of failing
 *   ODZ_SQL_PRICE_LATEST_RACE
 *                        the whole of DQ_PRICE_LATEST_RACE (each dialect's fastest form)
 * and, in the migrations, the column types: ODZ_SQL_ID (a generated 64-bit key),
 * ODZ_SQL_BIG (64-bit), ODZ_SQL_SMALL (a small code), ODZ_SQL_DATE, ODZ_SQL_JSON, and
 * ODZ_SQL_FLAG (a boolean column, not null, false by default). */
#ifndef ODZ_STORE_SQL_H
#define ODZ_STORE_SQL_H

#include "store/driver.h"

#define ODZ_SQL_MEET_COLS                                                                          \
    "id, source_key, name, country, region, race_type, " ODZ_SQL_DAY ", first_start"
#define ODZ_SQL_RACE_COLS                                                                          \
    "id, source_key, meeting_id, number, name, distance, scheduled_start, actual_start, status, "  \
    "results, dividends, last_update"
#define ODZ_SQL_RACE_COLS_R                                                                        \
    "r.id, r.source_key, r.meeting_id, r.number, r.name, r.distance, r.scheduled_start, "          \
    "r.actual_start, r.status, r.results, r.dividends, r.last_update"
#define ODZ_SQL_SEL_COLS                                                                           \
    "id, source_key, race_id, number, barrier, name, jockey, trainer, weight, claim, scratched, "  \
    "late_scratched, scratch_time, deduction, emergency, silks"
#define ODZ_SQL_PRICE_COLS "selection_id, provider, market, odds, ts"

/* The four statements of a table of rows (driver.h): T_INSERT (`insert`: the columns but id
 * and their $n), T_GET by id, T_BY_KEY by source key, and T_UPDATE (`set`: every column but
 * id from $2 on). */
#define ODZ_SQL_ROW(T, table, cols, insert, set)                                                   \
    [DQ_##T##_INSERT] = "INSERT INTO " table " " insert ODZ_SQL_RETURNING_ID,                      \
    [DQ_##T##_GET] = "SELECT " cols " FROM " table " WHERE id = $1",                               \
    [DQ_##T##_BY_KEY] = "SELECT " cols " FROM " table " WHERE source_key = $1",                    \
    [DQ_##T##_UPDATE] = "UPDATE " table " SET " set " WHERE id = $1"

/* The designated initializers of a table of DQ_COUNT statements, the four of each table of
 * rows last: `static const char *const text[DQ_COUNT] = {ODZ_SQL_STATEMENTS};` */
#define ODZ_SQL_STATEMENTS                                                                         \
    [DQ_MEET_RANGE] = "SELECT " ODZ_SQL_MEET_COLS " FROM meetings WHERE date >= $1 AND "           \
                      "date <= $2 AND " ODZ_MEET_SHOWN "ORDER BY date, race_type, "                \
                      "name" ODZ_SQL_BYTEWISE ", id",                                              \
    [DQ_MEET_FIRST_START] = "UPDATE meetings SET first_start = (SELECT COALESCE(MIN("              \
                            "scheduled_start), 0) FROM races WHERE meeting_id = $1 "               \
                            "AND " ODZ_NOT_RETIRED ") WHERE id = $1",                              \
    [DQ_RACE_RANGE] = "SELECT " ODZ_SQL_RACE_COLS_R " FROM races r JOIN meetings m "               \
                      "ON m.id = r.meeting_id WHERE m.date >= $1 AND m.date <= $2 "                \
                      "AND r." ODZ_NOT_RETIRED " ORDER BY r.scheduled_start, r.id",                \
    [DQ_RACE_OF_MEETING] = "SELECT " ODZ_SQL_RACE_COLS " FROM races WHERE meeting_id = $1 "        \
                           "AND " ODZ_NOT_RETIRED " ORDER BY number, id",                          \
    [DQ_RACE_NEXT] = "SELECT " ODZ_SQL_RACE_COLS " FROM races WHERE meeting_id = $1 AND "          \
                     "status = 0 AND " ODZ_NOT_RETIRED " AND scheduled_start >= $2 "               \
                     "ORDER BY scheduled_start, number LIMIT 1",                                   \
    [DQ_RACES_NEXT] = "SELECT " ODZ_SQL_RACE_COLS " FROM races WHERE status = 0 AND "              \
                      "scheduled_start >= $1 AND " ODZ_NOT_RETIRED " ORDER BY scheduled_start, "   \
                      "id LIMIT $2",                                                               \
    [DQ_RACES_NEXT_TYPE] = "SELECT " ODZ_SQL_RACE_COLS_R " FROM races r JOIN meetings m "          \
                           "ON m.id = r.meeting_id WHERE r.status = 0 AND "                        \
                           "r.scheduled_start >= $1 AND m.race_type = $3 AND "                     \
                           "r." ODZ_NOT_RETIRED " ORDER BY r.scheduled_start, r.id LIMIT $2",      \
    [DQ_SEL_OF_RACE] = "SELECT " ODZ_SQL_SEL_COLS " FROM selections WHERE race_id = $1 "           \
                       "ORDER BY number, id",                                                      \
    [DQ_PRICE_LATEST_ONE] = "SELECT odds, ts FROM prices WHERE selection_id = $1 AND "             \
                            "provider = $2 AND market = $3 ORDER BY ts DESC, id DESC LIMIT 1",     \
    [DQ_PRICE_INSERT] = ODZ_SQL_INSERT_KEEP " prices (" ODZ_SQL_PRICE_COLS ") "                    \
                                            "VALUES ($1, $2, $3, $4, $5)" ODZ_SQL_KEEP,            \
    [DQ_PRICE_LATEST_RACE] = ODZ_SQL_PRICE_LATEST_RACE,                                            \
    [DQ_PRICE_HISTORY] = "SELECT " ODZ_SQL_PRICE_COLS " FROM prices WHERE selection_id = $1 "      \
                         "AND market = $2 ORDER BY ts, id",                                        \
    [DQ_PRICE_HISTORY_ALL] = "SELECT " ODZ_SQL_PRICE_COLS " FROM prices WHERE "                    \
                             "selection_id = $1 ORDER BY ts, id",                                  \
    [DQ_BOOK_GET] = "SELECT " ODZ_BOOK_COLS " FROM exchange_books WHERE selection_id = $1 "        \
                    "AND provider = $2",                                                           \
    [DQ_BOOK_PUT] =                                                                                \
        "INSERT INTO exchange_books (" ODZ_BOOK_COLS ") VALUES ($1, $2, $3, $4, "                  \
        "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)" ODZ_BOOK_UPSERT,        \
    [DQ_BOOK_OF_RACE] = "SELECT " ODZ_BOOK_COLS " FROM exchange_books b JOIN selections s ON "     \
                        "s.id = b.selection_id WHERE s.race_id = $1 ORDER BY s.number, "           \
                        "b.provider" ODZ_SQL_BYTEWISE ", b.selection_id",                          \
    [DQ_EPOCH_BUMP] = ODZ_EPOCH_BUMP,                                                              \
    [DQ_RACE_RETIRE] = "UPDATE races SET merged_into = NULLIF(CAST($2 AS BIGINT), 0), "            \
                       "retired_at = $3 WHERE id = $1",                                            \
    [DQ_RACE_MERGED] = "SELECT merged_into FROM races WHERE id = $1",                              \
    [DQ_PRICE_COPY] =                                                                              \
        ODZ_SQL_INSERT_KEEP " prices (" ODZ_SQL_PRICE_COLS ") SELECT "                             \
                            "CAST($2 AS BIGINT), provider, market, odds, ts FROM prices "          \
                            "WHERE selection_id = $1" ODZ_SQL_KEEP,                                \
    [DQ_BOOK_COPY] =                                                                               \
        ODZ_SQL_INSERT_KEEP " exchange_books (" ODZ_BOOK_COLS ") SELECT "                          \
                            "CAST($2 AS BIGINT), " ODZ_BOOK_DATA_COLS " FROM exchange_books "      \
                            "WHERE selection_id = $1" ODZ_SQL_KEEP,                                \
    ODZ_SQL_ROW(MEET, "meetings", ODZ_SQL_MEET_COLS,                                               \
                "(source_key, name, country, region, race_type, date, first_start) "               \
                "VALUES ($1, $2, $3, $4, $5, $6, $7)",                                             \
                "source_key = $2, name = $3, country = $4, region = $5, race_type = $6, "          \
                "date = $7, first_start = $8"),                                                    \
    ODZ_SQL_ROW(RACE, "races", ODZ_SQL_RACE_COLS,                                                  \
                "(source_key, meeting_id, number, name, distance, scheduled_start, "               \
                "actual_start, status, results, dividends, last_update) "                          \
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",                           \
                "source_key = $2, meeting_id = $3, number = $4, name = $5, distance = $6, "        \
                "scheduled_start = $7, actual_start = $8, status = $9, results = $10, "            \
                "dividends = $11, last_update = $12"),                                             \
    ODZ_SQL_ROW(SEL, "selections", ODZ_SQL_SEL_COLS,                                               \
                "(source_key, race_id, number, barrier, name, jockey, trainer, weight, claim, "    \
                "scratched, late_scratched, scratch_time, deduction, emergency, silks) "           \
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",       \
                "source_key = $2, race_id = $3, number = $4, barrier = $5, name = $6, "            \
                "jockey = $7, trainer = $8, weight = $9, claim = $10, scratched = $11, "           \
                "late_scratched = $12, scratch_time = $13, deduction = $14, emergency = $15, "     \
                "silks = $16")

/* Migration 1: meetings, races, selections and their prices. Released: never edit it (each
 * dialect's text must stay byte for byte the same); change the schema in a new migration. */
#define ODZ_SQL_SCHEMA_1                                                                           \
    "CREATE TABLE meetings ("                                                                      \
    " id " ODZ_SQL_ID ","                                                                          \
    " source_key TEXT NOT NULL UNIQUE,"                                                            \
    " name TEXT NOT NULL,"                                                                         \
    " country TEXT NOT NULL DEFAULT '',"                                                           \
    " region TEXT NOT NULL DEFAULT '',"                                                            \
    " race_type " ODZ_SQL_SMALL " NOT NULL CHECK (race_type BETWEEN 0 AND 2),"                     \
    " date " ODZ_SQL_DATE " NOT NULL,"                                                             \
    " first_start " ODZ_SQL_BIG " NOT NULL DEFAULT 0);"                                            \
    "CREATE INDEX meetings_date ON meetings (date, race_type);"                                    \
    "CREATE TABLE races ("                                                                         \
    " id " ODZ_SQL_ID ","                                                                          \
    " source_key TEXT NOT NULL UNIQUE,"                                                            \
    " meeting_id " ODZ_SQL_BIG " NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,"             \
    " number INTEGER NOT NULL,"                                                                    \
    " name TEXT NOT NULL DEFAULT '',"                                                              \
    " distance INTEGER NOT NULL DEFAULT 0,"                                                        \
    " scheduled_start " ODZ_SQL_BIG " NOT NULL,"                                                   \
    " actual_start " ODZ_SQL_BIG " NOT NULL DEFAULT 0,"                                            \
    " status " ODZ_SQL_SMALL " NOT NULL CHECK (status BETWEEN 0 AND 4),"                           \
    " results " ODZ_SQL_JSON " NOT NULL DEFAULT '[]',"                                             \
    " dividends " ODZ_SQL_JSON " NOT NULL DEFAULT '[]',"                                           \
    " last_update " ODZ_SQL_BIG " NOT NULL DEFAULT 0);"                                            \
    "CREATE INDEX races_meeting ON races (meeting_id, number);"                                    \
    "CREATE INDEX races_start ON races (status, scheduled_start);"                                 \
    "CREATE TABLE selections ("                                                                    \
    " id " ODZ_SQL_ID ","                                                                          \
    " source_key TEXT NOT NULL UNIQUE,"                                                            \
    " race_id " ODZ_SQL_BIG " NOT NULL REFERENCES races (id) ON DELETE CASCADE,"                   \
    " number INTEGER NOT NULL,"                                                                    \
    " barrier INTEGER NOT NULL DEFAULT 0,"                                                         \
    " name TEXT NOT NULL,"                                                                         \
    " jockey TEXT NOT NULL DEFAULT '',"                                                            \
    " trainer TEXT NOT NULL DEFAULT '',"                                                           \
    " weight INTEGER NOT NULL DEFAULT 0,"                                                          \
    " claim INTEGER NOT NULL DEFAULT 0,"                                                           \
    " scratched " ODZ_SQL_FLAG ","                                                                 \
    " late_scratched " ODZ_SQL_FLAG ","                                                            \
    " scratch_time " ODZ_SQL_BIG " NOT NULL DEFAULT 0,"                                            \
    " deduction INTEGER NOT NULL DEFAULT 0,"                                                       \
    " emergency " ODZ_SQL_FLAG ","                                                                 \
    " silks TEXT NOT NULL DEFAULT '');"                                                            \
    "CREATE INDEX selections_race ON selections (race_id, number);"                                \
    "CREATE TABLE prices ("                                                                        \
    " id " ODZ_SQL_ID ","                                                                          \
    " selection_id " ODZ_SQL_BIG " NOT NULL REFERENCES selections (id) ON DELETE CASCADE,"         \
    " provider TEXT NOT NULL,"                                                                     \
    " market " ODZ_SQL_SMALL " NOT NULL CHECK (market BETWEEN 0 AND 5),"                           \
    " odds INTEGER NOT NULL CHECK (odds >= 100),"                                                  \
    " ts " ODZ_SQL_BIG " NOT NULL);"                                                               \
    "CREATE UNIQUE INDEX prices_point ON prices (selection_id, provider, market, ts);"             \
    "CREATE INDEX prices_latest ON prices (selection_id, market, provider, ts);"

/* The versioned migrations, initializers of the table: migration i brings the
 * schema to version i+1 (2: the exchange books, 3: the write epoch, 4: retired
 * races; driver.h). Append new ones. */
#define ODZ_SQL_MIGRATIONS ODZ_SQL_SCHEMA_1, ODZ_BOOK_TABLE, ODZ_EPOCH_TABLE, ODZ_RETIRE_COLUMNS

#endif

/* The PostgreSQL driver's SQL: the statements and migrations of store/sql.h in PostgreSQL's
 * words and types, and its own transaction control. Parameters are $n, sent as text. */
#include "store/pg_internal.h"

/* Dates are DATE columns read back as text in one fixed format whatever the DateStyle; text
 * is ordered with the "C" collation, byte by byte, as SQLite does. */
#define ODZ_SQL_DAY "to_char(date, 'YYYY-MM-DD')"
#define ODZ_SQL_BYTEWISE " COLLATE \"C\""
#define ODZ_SQL_RETURNING_ID " RETURNING id"
#define ODZ_SQL_INSERT_KEEP "INSERT INTO"
#define ODZ_SQL_KEEP " ON CONFLICT DO NOTHING"
/* The latest point of each (selection, provider, market) of a race, picked by DISTINCT ON. */
#define ODZ_SQL_PRICE_LATEST_RACE                                                                  \
    "SELECT l.selection_id, l.provider, l.market, l.odds, l.ts FROM ("                             \
    "SELECT DISTINCT ON (p.selection_id, p.provider, p.market) p.selection_id, p.provider, "       \
    "p.market, p.odds, p.ts, s.number FROM prices p JOIN selections s "                            \
    "ON s.id = p.selection_id WHERE s.race_id = $1 "                                               \
    "ORDER BY p.selection_id, p.provider, p.market, p.ts DESC, p.id DESC) l "                      \
    "ORDER BY l.number, l.market, l.provider" ODZ_SQL_BYTEWISE ", l.selection_id"
#define ODZ_SQL_ID "BIGSERIAL PRIMARY KEY"
#define ODZ_SQL_BIG "BIGINT"
#define ODZ_SQL_SMALL "SMALLINT"
#define ODZ_SQL_DATE "DATE"
#define ODZ_SQL_JSON "JSONB"
#define ODZ_SQL_FLAG "BOOLEAN NOT NULL DEFAULT false"
#include "store/sql.h"

const char *const odz_pg__sql[PGQ_COUNT] = {
    ODZ_SQL_STATEMENTS,
    [PGQ_BEGIN] = "BEGIN",
    [PGQ_COMMIT] = "COMMIT",
    [PGQ_ROLLBACK] = "ROLLBACK",
    [PGQ_WRITE_LOCK] = "SELECT pg_advisory_xact_lock($1)",
};

const char *const odz_pg__migrations[] = {ODZ_SQL_MIGRATIONS};
const int odz_pg__n_migrations = (int)(sizeof odz_pg__migrations / sizeof odz_pg__migrations[0]);

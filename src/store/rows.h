/* Internal to src/store: statement parameters from rows and the verbs the store's rules
 * (merge.c) use over any driver (rows.c). Every function returns 0 or an ODZ_E* code with
 * words in err (ODZ_ERRLEN). */
#ifndef ODZ_STORE_ROWS_H
#define ODZ_STORE_ROWS_H

#include "store/driver.h"

/* Statement parameters from a row: every column from `from` on. JSON text made for results
 * and dividends is owned here (odz_store__args_free). */
typedef struct {
    odz_arg v[ODZ_DRV_MAX_ARGS];
    int n;
    char *json[2];
} odz_store__args;
void odz_store__arg_i64(odz_store__args *a, int64_t x);
void odz_store__arg_text(odz_store__args *a, const char *s);
void odz_store__args_free(odz_store__args *a);
int odz_store__args_row(odz_store__args *a, const odz_row_desc *d, const void *row, int from,
                        char *err);

/* A query's first row into `out` (an odz_row_fn: odz_store__one_row with this as ctx). */
typedef struct {
    const odz_row_desc *d;
    void *out;
    int found;
} odz_store__one;
int odz_store__one_row(void *ctx, const char *const *vals, int n);

/* One row by id (key NULL) or by source key; ODZ_ENOTFOUND "unknown <what> ..." when none. */
int odz_store__get(odz_drv_tx *tx, odz_drv *d, int q, const odz_row_desc *rd, int64_t id,
                   const char *key, void *out, const char *what, char *err);
/* Every row of query q into the model array `out` of rd's type (odz_meetings, ...). */
int odz_store__list(odz_drv_tx *tx, odz_drv *d, int q, const odz_store__args *a,
                    const odz_row_desc *rd, void *out, const char *what, char *err);
/* INSERT a row (its columns but id); sets the id (first field of every row). */
int odz_store__insert(odz_drv_tx *tx, odz_drv *d, int q, const odz_row_desc *rd, void *row,
                      char *err);
/* UPDATE a row by its id: every column. */
int odz_store__update(odz_drv_tx *tx, odz_drv *d, int q, const odz_row_desc *rd, const void *row,
                      char *err);
/* An integer column's text; 0 when NULL or not a number. */
int64_t odz_store__num(const char *v);
/* ODZ_ENOMEM "out of memory". */
int odz_store__oom(char *err);
/* Set meeting_id's first start again from its races (after a race moved or left it). */
int odz_store__first_start(odz_drv_tx *tx, odz_drv *d, int64_t meeting_id, char *err);
/* Add race_id to the change set (c may be NULL). */
int odz_store__note_race(odz_changes *c, int64_t race_id, char *err);

#endif

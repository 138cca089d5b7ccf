/* Validation of what the store writes and the comparisons that decide whether a row changed,
 * for the rules of merge.c. Pure functions. */
#include "store/rules.h"
#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"

#include <stdlib.h>
#include <string.h>

/* What every row written names: the source key it is matched by ("race needs a source key"),
 * and for races and runners a number of 1 to 99 ("runner number 0 out of range"). */
static int need_key(const char *what, const char *key, char *err)
{
    return key[0] ? 0 : odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "%s needs a source key", what);
}

static int need_number(const char *what, const char *key, const char *noun, int number, char *err)
{
    int rc = need_key(what, key, err);
    if (!rc && (number < 1 || number > 99))
        rc = odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "%s number %d out of range", noun, number);
    return rc;
}

int odz_store__validate_meeting(const odz_meeting *m, char *err)
{
    int rc = need_key("meeting", m->source_key, err);
    if (rc)
        return rc;
    if (!m->name[0])
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "meeting needs a name");
    if ((unsigned)m->type >= ODZ_RACE_TYPES)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown race type");
    if (odz_date_valid(m->date))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "meeting date '%s' is not YYYY-MM-DD",
                        m->date);
    return 0;
}

int odz_store__check_range(const char *a, const char *b, char *err)
{
    if (odz_date_valid(a) || odz_date_valid(b))
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "dates must be YYYY-MM-DD");
    if (strcmp(a, b) > 0)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "date_from is after date_to");
    return 0;
}

int odz_store__validate_race(const odz_race *r, char *err)
{
    int rc = need_number("race", r->source_key, "race", r->number, err);
    if (rc)
        return rc;
    if ((unsigned)r->status > ODZ_ABANDONED)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "unknown race status");
    if (r->n_results > ODZ_MAX_PLACINGS || r->n_dividends > ODZ_MAX_DIVIDENDS)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "too many results or dividends");
    if (r->scheduled_start <= 0)
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "race needs a scheduled start");
    return 0;
}

/* The race's JSON columns; the caller frees *res and *div. */
int odz_store__race_json(const odz_race *r, char **res, char **div)
{
    json_t *a = odz_results_to_json(r), *b = odz_dividends_to_json(r);
    *res = a ? odz_json_dumps(a) : NULL;
    *div = b ? odz_json_dumps(b) : NULL;
    json_decref(a);
    json_decref(b);
    if (!*res || !*div) {
        free(*res);
        free(*div);
        return ODZ_ENOMEM;
    }
    return 0;
}

int odz_store__same_race(const odz_race *a, const odz_race *b)
{
    if (a->number != b->number || strcmp(a->name, b->name) || a->distance != b->distance ||
        a->scheduled_start != b->scheduled_start || a->actual_start != b->actual_start ||
        a->status != b->status || a->n_results != b->n_results ||
        a->n_dividends != b->n_dividends)
        return 0;
    for (size_t i = 0; i < a->n_results; i++)
        if (a->results[i].position != b->results[i].position ||
            a->results[i].number != b->results[i].number ||
            strcmp(a->results[i].margin, b->results[i].margin))
            return 0;
    for (size_t i = 0; i < a->n_dividends; i++)
        if (strcmp(a->dividends[i].pool, b->dividends[i].pool) ||
            a->dividends[i].interim != b->dividends[i].interim ||
            strcmp(a->dividends[i].combination, b->dividends[i].combination) ||
            a->dividends[i].amount != b->dividends[i].amount)
            return 0;
    return 1;
}

int odz_store__validate_selection(const odz_selection *x, char *err)
{
    int rc = need_number("selection", x->source_key, "runner", x->number, err);
    if (rc)
        return rc;
    if (!x->name[0])
        return odz_fail(err, ODZ_ERRLEN, ODZ_EINVAL, "runner %d needs a name", x->number);
    return 0;
}

int odz_store__same_selection(const odz_selection *a, const odz_selection *b)
{
    return a->number == b->number && a->barrier == b->barrier && !strcmp(a->name, b->name) &&
           !strcmp(a->jockey, b->jockey) && !strcmp(a->trainer, b->trainer) &&
           a->weight == b->weight && a->claim == b->claim && a->scratched == b->scratched &&
           a->late_scratched == b->late_scratched && a->scratch_time == b->scratch_time &&
           a->deduction == b->deduction && a->emergency == b->emergency &&
           !strcmp(a->silks, b->silks);
}

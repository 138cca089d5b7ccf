/* The racing service: bus requests to store operations, and change events after commits. */
#include "racing/racing.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/tz.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/source_metrics.h"
#include "racing/card.h"
#include "racing/matching.h"
#include "racing/matcher.h"
#include "racing/store_metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct odz_racing {
    odz_bus *bus;
    odz_store *store;
    char tz[64];
    int64_t sub_req, sub_prices;
    odz_metric *m_refused;
    odz_matching *matching; /* exchange markets onto other sources' races (matching.h) */
    odz_matcher *matcher; /* the odds matcher's incremental state (racing/matcher.h) */
};

typedef struct {
    odz_racing *r;
    const json_t *req;
    json_t *data;     /* reply data (new reference) */
    odz_changes ch;   /* what to publish after the reply */
    char err[ODZ_ERRLEN];
} call;

typedef int (*op_fn)(call *c);

/* ---- request field helpers ---- */

static int req_id(call *c, const char *k, int64_t *out)
{
    json_t *v = json_object_get(c->req, k);
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'%s' must be a positive integer", k);
    *out = json_integer_value(v);
    return 0;
}

static int req_int_opt(call *c, const char *k, int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
    json_t *v = json_object_get(c->req, k);
    if (!v || json_is_null(v)) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'%s' must be an integer %lld..%lld",
                        k, (long long)lo, (long long)hi);
    *out = json_integer_value(v);
    return 0;
}

static int req_date(call *c, const char *k, const char **out)
{
    const char *s = json_string_value(json_object_get(c->req, k));
    if (!s || odz_date_valid(s))
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'%s' must be a date YYYY-MM-DD", k);
    *out = s;
    return 0;
}

static int req_type(call *c, int *type)
{
    json_t *v = json_object_get(c->req, "type");
    *type = -1;
    if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)))
        return 0;
    odz_race_type t;
    if (!json_is_string(v) || odz_race_type_parse(json_string_value(v), &t))
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL,
                        "'type' must be thoroughbred, harness or greyhound");
    *type = (int)t;
    return 0;
}

#define ST(c) ((c)->r->store)
/* Every store call goes through SOP: timed into oddzy_store_op_seconds{op}. */
#define SOP(c, op, ...) ODZ_STORE_CALL(ST(c), op, __VA_ARGS__)

/* ---- simple operations ---- */

static int op_list_meetings(call *c)
{
    const char *a, *b;
    int rc;
    if ((rc = req_date(c, "date_from", &a)) || (rc = req_date(c, "date_to", &b)))
        return rc;
    odz_meetings ms = {0};
    rc = SOP(c, list_meetings, a, b, &ms, c->err);
    if (rc == 0) {
        c->data = json_array();
        for (size_t i = 0; i < ms.n; i++)
            json_array_append_new(c->data, odz_meeting_to_json(&ms.v[i]));
    }
    odz_meetings_free(&ms);
    return rc;
}

static json_t *races_json(const odz_races *rs)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < rs->n; i++)
        json_array_append_new(a, odz_race_to_json(&rs->v[i]));
    return a;
}

static int op_list_races(call *c)
{
    const char *a, *b;
    int rc;
    if ((rc = req_date(c, "date_from", &a)) || (rc = req_date(c, "date_to", &b)))
        return rc;
    odz_races rs = {0};
    rc = SOP(c, list_races, a, b, &rs, c->err);
    if (rc == 0)
        c->data = races_json(&rs);
    odz_races_free(&rs);
    return rc;
}

static int op_list_meeting_races(call *c)
{
    int64_t id;
    int rc = req_id(c, "meeting_id", &id);
    if (rc)
        return rc;
    odz_races rs = {0};
    rc = SOP(c, list_meeting_races, id, &rs, c->err);
    if (rc == 0)
        c->data = races_json(&rs);
    odz_races_free(&rs);
    return rc;
}

static int op_add_meeting(call *c)
{
    odz_meeting m;
    int rc = odz_meeting_from_json(json_object_get(c->req, "meeting"), &m, c->err, sizeof c->err);
    if (rc == 0)
        rc = SOP(c, add_meeting, &m, c->err);
    if (rc == 0)
        c->data = odz_meeting_to_json(&m);
    return rc;
}

static int op_get_meeting(call *c)
{
    int64_t id;
    odz_meeting m;
    int rc = req_id(c, "meeting_id", &id);
    if (rc == 0)
        rc = SOP(c, get_meeting, id, &m, c->err);
    if (rc == 0)
        c->data = odz_meeting_to_json(&m);
    return rc;
}

static int op_add_race(call *c)
{
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return ODZ_ENOMEM;
    int rc = odz_race_from_json(json_object_get(c->req, "race"), r, c->err, sizeof c->err);
    if (rc == 0) {
        r->last_update = odz_now();
        rc = SOP(c, add_race, r, c->err);
    }
    if (rc == 0) {
        c->data = odz_race_to_json(r);
        rc = odz_changes_add_race(&c->ch, r->id);
    }
    free(r);
    return rc;
}

static int op_update_race(call *c)
{
    odz_race *r = malloc(sizeof *r);
    odz_selections sels = {0};
    if (!r)
        return ODZ_ENOMEM;
    int rc = odz_race_from_json(json_object_get(c->req, "race"), r, c->err, sizeof c->err);
    if (rc == 0 && r->id <= 0)
        rc = odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "race.race_id is required");
    json_t *js = json_object_get(c->req, "selections");
    if (rc == 0 && js && !json_is_array(js))
        rc = odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'selections' must be an array");
    size_t i;
    json_t *v;
    if (rc == 0 && json_array_size(js) > ODZ_MAX_RUNNERS)
        rc = odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "more than %d selections",
                      ODZ_MAX_RUNNERS);
    if (rc == 0)
        json_array_foreach(js, i, v)
        {
            odz_selection x;
            if ((rc = odz_selection_from_json(v, &x, c->err, sizeof c->err)))
                break;
            if ((rc = odz_selections_push(&sels, &x)))
                break;
        }
    if (rc == 0)
        rc = SOP(c, update_race, r, js ? &sels : NULL, odz_now(), &c->ch, c->err);
    if (rc == 0 && SOP(c, get_race, r->id, r, c->err) == 0)
        c->data = odz_race_to_json(r);
    odz_selections_free(&sels);
    free(r);
    return rc;
}

static int op_get_race(call *c)
{
    int64_t id;
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return ODZ_ENOMEM;
    int rc = req_id(c, "race_id", &id);
    if (rc == 0)
        rc = SOP(c, get_race, id, r, c->err);
    if (rc == 0)
        c->data = odz_race_to_json(r);
    free(r);
    return rc;
}

static int op_next_race(call *c)
{
    int64_t id, now;
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return ODZ_ENOMEM;
    int rc = req_id(c, "meeting_id", &id);
    if (rc == 0)
        rc = req_int_opt(c, "now", odz_now(), 0, INT64_MAX, &now);
    if (rc == 0)
        rc = SOP(c, next_race, id, now, r, c->err);
    if (rc == 0)
        c->data = odz_race_to_json(r);
    free(r);
    return rc;
}

static int op_list_selections(call *c)
{
    int64_t id;
    int rc = req_id(c, "race_id", &id);
    if (rc)
        return rc;
    odz_selections ss = {0};
    rc = SOP(c, list_selections, id, &ss, c->err);
    if (rc == 0) {
        c->data = json_array();
        for (size_t i = 0; i < ss.n; i++)
            json_array_append_new(c->data, odz_selection_to_json(&ss.v[i]));
    }
    odz_selections_free(&ss);
    return rc;
}

static json_t *changes_json(const odz_changes *ch)
{
    return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "meetings_added",
                     ch->meetings_added, "meetings_updated", ch->meetings_updated, "races_added",
                     ch->races_added, "races_updated", ch->races_updated, "selections_added",
                     ch->selections_added, "selections_updated", ch->selections_updated,
                     "scratchings", ch->scratchings, "prices_added", ch->prices_added,
                     "status_refused", ch->status_refused, "races_changed",
                     (int)ch->n_race_ids);
}

static int op_upsert_batch(call *c)
{
    odz_batch_owned b;
    int rc = odz_batch_from_json(c->req, &b, c->err, sizeof c->err);
    if (rc)
        return rc;
    rc = odz_matching_upsert(c->r->matching, ST(c), c->req, &b.batch, odz_now(), &c->ch, c->err);
    if (rc == 0)
        c->data = changes_json(&c->ch);
    odz_batch_owned_free(&b);
    return rc;
}

/* Exchange markets not matched to our races. */
static int op_unmatched(call *c)
{
    c->data = odz_matching_unmatched(c->r->matching);
    return c->data ? 0 : odz_fail(c->err, sizeof c->err, ODZ_ENOMEM, "out of memory");
}

/* This process's sources (obs/source_metrics.h): in `oddzy run` every one of them. */
static int op_sources(call *c)
{
    c->data = odz_srcstat_json();
    return c->data ? 0 : odz_fail(c->err, sizeof c->err, ODZ_ENOMEM, "out of memory");
}

static int op_append_price(call *c)
{
    odz_price p;
    int rc = odz_price_from_json(json_object_get(c->req, "price"), &p, c->err, sizeof c->err);
    if (rc == 0 && p.odds == 0)
        rc = odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "price needs odds");
    if (rc == 0 && !p.ts)
        p.ts = odz_now();
    if (rc == 0)
        rc = SOP(c, append_price, &p, &c->ch, c->err);
    if (rc == 0)
        c->data = json_pack("{s:b}", "appended", c->ch.n_prices > 0);
    return rc;
}

static int op_price_history(call *c)
{
    int64_t id, market;
    int rc = req_id(c, "selection_id", &id);
    if (rc == 0)
        rc = req_int_opt(c, "market", -1, -1, ODZ_MARKETS - 1, &market);
    if (rc)
        return rc;
    odz_prices ps = {0};
    rc = SOP(c, price_history, id, (int)market, &ps, c->err);
    if (rc == 0) {
        c->data = json_array();
        for (size_t i = 0; i < ps.n; i++)
            json_array_append_new(c->data, odz_price_to_json(&ps.v[i]));
    }
    odz_prices_free(&ps);
    return rc;
}

static int op_latest_prices(call *c)
{
    int64_t id;
    int rc = req_id(c, "race_id", &id);
    if (rc)
        return rc;
    odz_prices ps = {0};
    rc = SOP(c, latest_prices, id, &ps, c->err);
    if (rc == 0) {
        c->data = json_array();
        for (size_t i = 0; i < ps.n; i++)
            json_array_append_new(c->data, odz_price_to_json(&ps.v[i]));
    }
    odz_prices_free(&ps);
    return rc;
}

static int op_scratch(call *c)
{
    int64_t id, when, ded, late;
    int rc = req_id(c, "selection_id", &id);
    if (rc == 0)
        rc = req_int_opt(c, "time", odz_now(), 0, INT64_MAX, &when);
    if (rc == 0)
        rc = req_int_opt(c, "deduction", 0, 0, 10000, &ded);
    if (rc == 0)
        rc = req_int_opt(c, "late", 0, 0, 1, &late);
    if (rc == 0)
        rc = SOP(c, scratch, id, when, (int)ded, late != 0, odz_now(), &c->ch, c->err);
    if (rc == 0)
        c->data = json_pack("{s:b}", "scratched", 1);
    return rc;
}

/* ---- composite views (the API caches these) ---- */

/* Race card: race, meeting with its races, runners with their shown prices and every
 * provider's, and the race's odds comparison (racing/card.h renders the runners). With
 * "rows": true the answer also carries "rows", what the runners are made of
 * (odz_card_rows_to_json), for the API's view cache to patch the card from events. */
static int op_racecard(call *c)
{
    int64_t id, with_rows;
    int rc = req_id(c, "race_id", &id);
    if (rc == 0)
        rc = req_int_opt(c, "rows", 0, 0, 1, &with_rows);
    if (rc)
        return rc;
    odz_race *r = malloc(sizeof *r);
    odz_races mr = {0};
    odz_card_rows rows = {0};
    odz_meeting m;
    if (!r)
        return ODZ_ENOMEM;
    if ((rc = SOP(c, get_race, id, r, c->err)) ||
        (rc = SOP(c, get_meeting, r->meeting_id, &m, c->err)) ||
        (rc = SOP(c, list_meeting_races, r->meeting_id, &mr, c->err)) ||
        (rc = SOP(c, list_selections, id, &rows.sels, c->err)) ||
        (rc = SOP(c, latest_prices, id, &rows.prices, c->err)) ||
        (rc = SOP(c, race_books, id, &rows.books, c->err)))
        goto out;
    json_t *runners, *comparison;
    if ((rc = odz_card_runners(&rows, &runners, &comparison))) {
        odz_fail(c->err, sizeof c->err, rc, "out of memory");
        goto out;
    }
    json_t *mj = odz_meeting_to_json(&m), *ids = json_array(), *races = json_array();
    json_t *prev = json_null(), *next = json_null();
    for (size_t i = 0; i < mr.n; i++) {
        json_array_append_new(ids, json_integer(mr.v[i].id));
        json_array_append_new(races, json_pack("{s:I,s:i,s:s,s:I}", "race_id",
                                               (json_int_t)mr.v[i].id, "number", mr.v[i].number,
                                               "status", odz_status_name(mr.v[i].status),
                                               "scheduled_start",
                                               (json_int_t)mr.v[i].scheduled_start));
        if (mr.v[i].id == id) {
            if (i > 0) {
                json_decref(prev);
                prev = json_integer(mr.v[i - 1].id);
            }
            if (i + 1 < mr.n) {
                json_decref(next);
                next = json_integer(mr.v[i + 1].id);
            }
        }
    }
    json_object_set_new(mj, "race_ids", ids);
    json_object_set_new(mj, "races", races);
    c->data = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "now", (json_int_t)odz_now(), "race",
                        odz_race_to_json(r), "meeting", mj, "prev_race_id", prev, "next_race_id",
                        next, "runners", runners, "comparison", comparison);
    if (c->data && with_rows)
        json_object_set_new(c->data, "rows", odz_card_rows_to_json(&rows));
out:
    odz_races_free(&mr);
    odz_card_rows_free(&rows);
    free(r);
    return rc;
}

static int region_rank(const char *region)
{
    static const char *const order[] = {"Australia & New Zealand", "Australia", "New Zealand",
                                        "UK & Ireland", "Hong Kong", "USA"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(region, order[i]))
            return i;
    return 6;
}

static int cmp_meeting(const void *a, const void *b)
{
    const odz_meeting *x = a, *y = b;
    if (x->type != y->type)
        return (int)x->type - (int)y->type;
    int rx = region_rank(x->region), ry = region_rank(y->region);
    if (rx != ry)
        return rx - ry;
    int r = strcmp(x->region, y->region);
    if (r)
        return r;
    if (x->first_start != y->first_start)
        return x->first_start < y->first_start ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Schedule of one race day: meetings grouped by race type and region, each with its races. */
static int op_schedule(call *c)
{
    const char *date;
    int type, rc;
    if ((rc = req_date(c, "date", &date)) || (rc = req_type(c, &type)))
        return rc;
    odz_meetings ms = {0};
    odz_races rs = {0};
    if ((rc = SOP(c, list_meetings, date, date, &ms, c->err)) ||
        (rc = SOP(c, list_races, date, date, &rs, c->err)))
        goto out;
    qsort(ms.v, ms.n, sizeof ms.v[0], cmp_meeting);
    int64_t now = odz_now();
    json_t *groups = json_array(), *group = NULL, *gmeets = NULL;
    for (size_t i = 0; i < ms.n; i++) {
        const odz_meeting *m = &ms.v[i];
        if (type >= 0 && (int)m->type != type)
            continue;
        if (!group || strcmp(json_string_value(json_object_get(group, "region")), m->region) ||
            strcmp(json_string_value(json_object_get(group, "race_type")),
                   odz_race_type_name(m->type))) {
            gmeets = json_array();
            group = json_pack("{s:s,s:s,s:o}", "race_type", odz_race_type_name(m->type),
                              "region", m->region, "meetings", gmeets);
            json_array_append_new(groups, group);
        }
        json_t *mj = odz_meeting_to_json(m), *ids = json_array(), *races = json_array();
        json_int_t next_id = 0;
        /* races are few per meeting; a scan per meeting keeps this simple */
        odz_race **mine = calloc(rs.n ? rs.n : 1, sizeof *mine);
        size_t nm = 0;
        for (size_t k = 0; mine && k < rs.n; k++)
            if (rs.v[k].meeting_id == m->id)
                mine[nm++] = &rs.v[k];
        for (size_t a = 1; a < nm; a++) /* insertion sort by number */
            for (size_t b = a; b > 0 && mine[b - 1]->number > mine[b]->number; b--) {
                odz_race *t = mine[b];
                mine[b] = mine[b - 1];
                mine[b - 1] = t;
            }
        for (size_t k = 0; k < nm; k++) {
            const odz_race *r = mine[k];
            json_array_append_new(ids, json_integer(r->id));
            json_array_append_new(
                races, json_pack("{s:I,s:i,s:s,s:i,s:I,s:s,s:o,s:I}", "race_id",
                                 (json_int_t)r->id, "number", r->number, "name", r->name,
                                 "distance", r->distance, "scheduled_start",
                                 (json_int_t)r->scheduled_start, "status",
                                 odz_status_name(r->status), "results", odz_results_to_json(r),
                                 "last_update", (json_int_t)r->last_update));
            if (!next_id && r->status == ODZ_OPEN && r->scheduled_start >= now - 3600)
                next_id = r->id;
        }
        free(mine);
        json_object_set_new(mj, "has_races", json_boolean(nm > 0));
        json_object_set_new(mj, "race_ids", ids);
        json_object_set_new(mj, "next_race_id", next_id ? json_integer(next_id) : json_null());
        json_object_set_new(mj, "races", races);
        json_array_append_new(gmeets, mj);
    }
    c->data = json_pack("{s:s,s:s,s:I,s:o}", "date", date, "timezone", c->r->tz, "now",
                        (json_int_t)now, "groups", groups);
out:
    odz_meetings_free(&ms);
    odz_races_free(&rs);
    return rc;
}

/* Next to jump: open races across all meetings, soonest first (overdue ones up to 1 h). */
static int op_next_races(call *c)
{
    int64_t limit, now;
    int type, rc;
    if ((rc = req_int_opt(c, "limit", 10, 1, 100, &limit)) || (rc = req_type(c, &type)) ||
        (rc = req_int_opt(c, "now", odz_now(), 0, INT64_MAX, &now)))
        return rc;
    odz_races rs = {0};
    rc = SOP(c, next_races, now - 3600, (int)limit, type, &rs, c->err);
    if (rc == 0) {
        json_t *a = json_array();
        odz_meeting m = {0};
        for (size_t i = 0; i < rs.n; i++) {
            const odz_race *r = &rs.v[i];
            if (m.id != r->meeting_id && SOP(c, get_meeting, r->meeting_id, &m, c->err))
                continue;
            json_array_append_new(
                a, json_pack("{s:I,s:i,s:s,s:I,s:s,s:I,s:s,s:s,s:s,s:s}", "race_id",
                             (json_int_t)r->id, "number", r->number, "name", r->name,
                             "scheduled_start", (json_int_t)r->scheduled_start, "status",
                             odz_status_name(r->status), "meeting_id", (json_int_t)m.id,
                             "meeting_name", m.name, "race_type", odz_race_type_name(m.type),
                             "country", m.country, "region", m.region));
        }
        c->data = json_pack("{s:I,s:o}", "now", (json_int_t)now, "races", a);
    }
    odz_races_free(&rs);
    return rc;
}

/* Price history of every runner of a race, by market: [[ts, price], ...] (racing/card.h
 * renders it and holds the rule of what is shown). With "rows": true the answer also carries
 * the history itself (odz_card_rows_to_json), for the API's view cache to patch it from
 * race.<id>.price events. */
static int op_flucs(call *c)
{
    int64_t id, with_rows;
    int rc = req_id(c, "race_id", &id);
    if (rc == 0)
        rc = req_int_opt(c, "rows", 0, 0, 1, &with_rows);
    if (rc)
        return rc;
    odz_card_rows rows = {0};
    rc = SOP(c, list_selections, id, &rows.sels, c->err);
    for (size_t i = 0; rc == 0 && i < rows.sels.n; i++) {
        odz_prices ps = {0};
        rc = SOP(c, price_history, rows.sels.v[i].id, -1, &ps, c->err);
        for (size_t k = 0; rc == 0 && k < ps.n; k++)
            if (odz_prices_push(&rows.prices, &ps.v[k]))
                rc = odz_fail(c->err, sizeof c->err, ODZ_ENOMEM, "out of memory");
        odz_prices_free(&ps);
    }
    if (rc == 0 && !(c->data = odz_card_flucs(id, &rows, (int)with_rows)))
        rc = odz_fail(c->err, sizeof c->err, ODZ_ENOMEM, "out of memory");
    odz_card_rows_free(&rows);
    return rc;
}

/* The odds matcher and arbitrage from the incremental state; the query is the API's raw query
 * string, checked here again by the same parser. */
static int matcher_query(call *c, odz_matcher_query *q)
{
    json_t *v = json_object_get(c->req, "query");
    if (v && !json_is_string(v))
        return odz_fail(c->err, sizeof c->err, ODZ_EINVAL, "'query' must be a query string");
    return odz_matcher_query_parse(json_string_value(v), q, c->err, sizeof c->err);
}

static int matcher_op(call *c, json_t *(*answer)(odz_matcher *, const odz_matcher_query *, int64_t))
{
    odz_matcher_query q;
    int rc = matcher_query(c, &q);
    if (rc == 0)
        c->data = answer(c->r->matcher, &q, odz_now());
    return rc;
}

static int op_oddsmatcher(call *c)
{
    return matcher_op(c, odz_matcher_rows);
}

static int op_arbitrage(call *c)
{
    return matcher_op(c, odz_matcher_arbitrage);
}

static const struct {
    const char *name;
    op_fn fn;
} ops[] = {
    {"list_meetings", op_list_meetings},   {"list_races", op_list_races},
    {"list_meeting_races", op_list_meeting_races},
    {"add_meeting", op_add_meeting},       {"get_meeting", op_get_meeting},
    {"add_race", op_add_race},             {"update_race", op_update_race},
    {"next_race", op_next_race},           {"next_races", op_next_races},
    {"get_race", op_get_race},             {"list_selections", op_list_selections},
    {"upsert_batch", op_upsert_batch},     {"append_price", op_append_price},
    {"price_history", op_price_history},   {"latest_prices", op_latest_prices},
    {"scratch", op_scratch},               {"racecard", op_racecard},
    {"schedule", op_schedule},             {"flucs", op_flucs},
    {"unmatched", op_unmatched},           {"sources", op_sources},
    {"oddsmatcher", op_oddsmatcher},       {"arbitrage", op_arbitrage},
};

/* ---- events ---- */

static void publish_changes(odz_racing *rs, const odz_changes *ch, const char *corr)
{
    char subject[ODZ_SUBJECT_MAX], err[ODZ_ERRLEN];
    odz_race *r = malloc(sizeof *r);
    if (!r)
        return;
    for (size_t i = 0; i < ch->n_race_ids; i++) {
        odz_selections ss = {0};
        if (ODZ_STORE_CALL(rs->store, get_race, ch->race_ids[i], r, err) ||
            ODZ_STORE_CALL(rs->store, list_selections, ch->race_ids[i], &ss, err)) {
            odz_log_kv(ODZ_LOG_WARN, "cannot read changed race", "error", err, NULL);
            odz_selections_free(&ss);
            continue;
        }
        json_t *scr = json_array();
        for (size_t k = 0; k < ss.n; k++)
            if (ss.v[k].scratched)
                json_array_append_new(scr, json_integer(ss.v[k].number));
        json_t *ev = json_pack("{s:I,s:I,s:s,s:o,s:o,s:I,s:I}", "race_id", (json_int_t)r->id,
                               "meeting_id", (json_int_t)r->meeting_id, "status",
                               odz_status_name(r->status), "results", odz_results_to_json(r),
                               "scratched", scr, "scheduled_start",
                               (json_int_t)r->scheduled_start, "last_update",
                               (json_int_t)r->last_update);
        char *txt = ev ? odz_json_dumps(ev) : NULL;
        if (txt) {
            /* the whole state of the race: a newer one replaces an older one still queued */
            snprintf(subject, sizeof subject, "race.%lld.updated", (long long)r->id);
            rs->bus->ops->publish_keyed(rs->bus, subject, "race", txt, strlen(txt), corr);
        }
        free(txt);
        json_decref(ev);
        odz_selections_free(&ss);
    }
    free(r);
    for (size_t i = 0; i < ch->n_prices; i++) {
        const odz_price_change *pc = &ch->prices[i];
        json_t *ev = json_pack("{s:I,s:I,s:i,s:s,s:s,s:o,s:o,s:I}", "race_id",
                               (json_int_t)pc->race_id, "selection_id",
                               (json_int_t)pc->price.selection_id, "number", pc->number,
                               "market", odz_market_name(pc->price.market), "provider",
                               pc->price.provider, "price", odz_json_odds(pc->price.odds),
                               "previous", odz_json_odds(pc->previous), "ts",
                               (json_int_t)pc->price.ts);
        if (ev && (pc->price.market == ODZ_EXCHANGE_BACK || pc->price.market == ODZ_EXCHANGE_LAY))
            json_object_set_new(ev, "size", pc->size >= 0 ? odz_json_money(pc->size) : json_null());
        char *txt = ev ? odz_json_dumps(ev) : NULL;
        if (txt) {
            /* the newest price of one runner in one market of one provider */
            char key[ODZ_BUS_KEY_MAX];
            snprintf(subject, sizeof subject, "race.%lld.price", (long long)pc->race_id);
            _Static_assert(20 + 4 + ODZ_PROVIDER_MAX <= ODZ_BUS_KEY_MAX, "price key fits");
            snprintf(key, sizeof key, "%lld.%d.%s", (long long)pc->price.selection_id,
                     (int)pc->price.market, pc->price.provider);
            rs->bus->ops->publish_keyed(rs->bus, subject, key, txt, strlen(txt), corr);
        }
        free(txt);
        json_decref(ev);
    }
    for (size_t i = 0; i < ch->n_books; i++) {
        const odz_exbook_change *bc = &ch->books[i];
        const odz_exbook *b = &bc->book;
        json_t *ev = json_pack("{s:I,s:I,s:i,s:s,s:I}", "race_id", (json_int_t)bc->race_id,
                               "selection_id", (json_int_t)b->selection_id, "number",
                               bc->number, "provider", b->provider, "ts", (json_int_t)b->ts);
        json_t *book = odz_exchange_book_to_json(&b->book);
        if (ev && (!book || json_object_update(ev, book))) {
            json_decref(ev);
            ev = NULL;
        }
        json_decref(book);
        char *txt = ev ? odz_json_dumps(ev) : NULL;
        if (txt) {
            /* the whole book of one runner on one exchange provider: a newer one replaces it */
            char key[ODZ_BUS_KEY_MAX];
            snprintf(subject, sizeof subject, "race.%lld.exchange", (long long)bc->race_id);
            _Static_assert(20 + 1 + ODZ_PROVIDER_MAX <= ODZ_BUS_KEY_MAX, "book key fits");
            snprintf(key, sizeof key, "%lld.%s", (long long)b->selection_id, b->provider);
            rs->bus->ops->publish_keyed(rs->bus, subject, key, txt, strlen(txt), corr);
        }
        free(txt);
        json_decref(ev);
    }
    odz_matcher_apply(rs->matcher, rs->store, ch); /* odds.matcher, race.<id>.odds */
}

static void reply(odz_bus *bus, const odz_msg *msg, json_t *body)
{
    char *txt = body ? odz_json_dumps(body) : NULL;
    static const char oom[] = "{\"ok\":false,\"error\":\"no_memory\",\"message\":\"out of memory\"}";
    if (txt)
        odz_bus_respond(bus, msg, txt, strlen(txt));
    else
        odz_bus_respond(bus, msg, oom, sizeof oom - 1);
    free(txt);
    json_decref(body);
}

static void on_request(odz_bus *bus, const odz_msg *msg, void *ud)
{
    odz_racing *rs = ud;
    odz_log_set_corr(msg->corr_id);
    int64_t t0 = odz_real_ms();
    const char *op = strchr(msg->subject, '.');
    op = op ? op + 1 : "";
    call c = {.r = rs};
    json_t *req = odz_json_loadb(msg->data, msg->len, ODZ_RACING_MAX_BODY, c.err, sizeof c.err);
    int rc = ODZ_EINVAL;
    if (req && !json_is_object(req))
        snprintf(c.err, sizeof c.err, "request body must be a JSON object");
    else if (req) {
        c.req = req;
        op_fn fn = NULL;
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (!strcmp(ops[i].name, op))
                fn = ops[i].fn;
        if (!fn)
            rc = odz_fail(c.err, sizeof c.err, ODZ_ENOTFOUND, "unknown operation '%s'", op);
        else
            rc = fn(&c);
    }
    if (rc == 0 && !c.data)
        c.data = json_null();
    if (rc == 0)
        reply(bus, msg, json_pack("{s:b,s:o}", "ok", 1, "data", c.data));
    else {
        json_decref(c.data);
        if (rc == ODZ_EIO || rc == ODZ_ENOMEM)
            odz_log_kv(ODZ_LOG_ERROR, "racing request failed", "op", op, "error", c.err, NULL);
        reply(bus, msg, json_pack("{s:b,s:s,s:s}", "ok", 0, "error", odz_errcode(rc), "message",
                                  c.err));
    }
    if (rc == 0)
        publish_changes(rs, &c.ch, msg->corr_id);
    if (odz_log_enabled(ODZ_LOG_DEBUG)) {
        char ms[24];
        snprintf(ms, sizeof ms, "%lld", (long long)(odz_real_ms() - t0));
        odz_log_kv(ODZ_LOG_DEBUG, "racing request", "op", op, "outcome", odz_errcode(rc), "ms",
                   ms, NULL);
    }
    odz_changes_free(&c.ch);
    json_decref(req);
    odz_races_open_refresh(rs->store, 0);
    odz_log_set_corr("");
}

/* Price points from the price updater (prices.<race_id>): record, then publish. */
static void on_price(odz_bus *bus, const odz_msg *msg, void *ud)
{
    odz_racing *rs = ud;
    char err[ODZ_ERRLEN];
    odz_log_set_corr(msg->corr_id);
    json_t *j = odz_json_loadb(msg->data, msg->len, 1u << 20, err, sizeof err);
    odz_changes ch = {0};
    json_t *list = json_is_array(j) ? j : json_object_get(j, "prices");
    size_t i;
    json_t *v;
    /* prices.<race_id>: a market only moves while its race is open (an updater may send a
     * last change just after the close reached it) */
    const char *rid = strchr(msg->subject, '.');
    char *end = NULL;
    long long race_id = rid ? strtoll(rid + 1, &end, 10) : 0;
    odz_race race;
    int open = 1;
    if (race_id > 0 && end && !*end && !ODZ_STORE_CALL(rs->store, get_race, race_id, &race, err))
        open = race.status == ODZ_OPEN;
    if (!open) {
        odz_metric_inc(rs->m_refused);
        odz_log_kv(ODZ_LOG_DEBUG, "prices for a race that is not open ignored", "subject",
                   msg->subject, NULL);
    } else if (!json_is_array(list)) {
        odz_log_kv(ODZ_LOG_WARN, "bad price message", "subject", msg->subject, "error",
                   j ? "expected an array of prices" : err, NULL);
    } else {
        json_array_foreach(list, i, v)
        {
            odz_price p;
            if (odz_price_from_json(v, &p, err, sizeof err) || p.odds == 0) {
                odz_log_kv(ODZ_LOG_WARN, "bad price point", "error", err, NULL);
                continue;
            }
            if (!p.ts)
                p.ts = odz_now();
            if (ODZ_STORE_CALL(rs->store, append_price, &p, &ch, err))
                odz_log_kv(ODZ_LOG_WARN, "price not recorded", "error", err, NULL);
        }
        publish_changes(rs, &ch, msg->corr_id);
    }
    odz_changes_free(&ch);
    json_decref(j);
    odz_log_set_corr("");
}

odz_racing *odz_racing_start(odz_bus *bus, odz_store *store, const char *tz, char *err)
{
    odz_racing *r = calloc(1, sizeof *r);
    if (!r) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        return NULL;
    }
    r->bus = bus;
    r->store = store;
    r->m_refused = odz_counter("oddzy_prices_refused_total",
                               "Price messages refused because their race is not open", NULL);
    snprintf(r->tz, sizeof r->tz, "%s", tz && *tz ? tz : ODZ_DEFAULT_TZ);
    if (!(r->matching = odz_matching_new())) {
        odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
        free(r);
        return NULL;
    }
    r->matcher = odz_matcher_new(bus);
    if (!r->matcher || odz_matcher_load(r->matcher, store, odz_now(), err)) {
        if (r->matcher)
            odz_log_kv(ODZ_LOG_WARN, "odds matcher: open races not read", "error", err, NULL);
        else {
            odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
            odz_matching_free(r->matching);
            free(r);
            return NULL;
        }
    }
    r->sub_req = bus->ops->subscribe(bus, ODZ_RACING_SUBJECTS, "racing", 4096, on_request, r);
    r->sub_prices = bus->ops->subscribe(bus, ODZ_PRICES_IN, "racing", 16384, on_price, r);
    if (r->sub_req < 0 || r->sub_prices < 0) {
        odz_fail(err, ODZ_ERRLEN, ODZ_EIO, "cannot subscribe to the bus");
        odz_racing_stop(r);
        return NULL;
    }
    odz_races_open_refresh(store, 1); /* the gauge exists before the first request */
    return r;
}

void odz_racing_stop(odz_racing *r)
{
    if (!r)
        return;
    if (r->sub_req > 0)
        r->bus->ops->unsubscribe(r->bus, r->sub_req);
    if (r->sub_prices > 0)
        r->bus->ops->unsubscribe(r->bus, r->sub_prices);
    odz_matching_free(r->matching);
    odz_matcher_free(r->matcher);
    free(r);
}

int odz_racing_call(odz_bus *bus, const char *op, json_t *req, int timeout_ms, json_t **data,
                    char *err)
{
    char subject[ODZ_SUBJECT_MAX];
    *data = NULL;
    snprintf(subject, sizeof subject, "racing.%s", op);
    char *body = req ? odz_json_dumps(req) : strdup("{}");
    if (!body)
        return odz_fail(err, ODZ_ERRLEN, ODZ_ENOMEM, "out of memory");
    char *rep = NULL;
    size_t rlen = 0;
    int rc = bus->ops->request(bus, subject, body, strlen(body), timeout_ms, odz_log_corr(), &rep,
                               &rlen);
    free(body);
    if (rc)
        return odz_fail(err, ODZ_ERRLEN, rc, "racing.%s: %s", op, odz_errcode(rc));
    json_t *j = odz_json_loadb(rep, rlen, ODZ_BUS_MSG_MAX, err, ODZ_ERRLEN);
    free(rep);
    if (!j)
        return ODZ_EIO;
    if (json_is_true(json_object_get(j, "ok"))) {
        *data = json_incref(json_object_get(j, "data"));
        json_decref(j);
        return 0;
    }
    const char *code = json_string_value(json_object_get(j, "error"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    odz_fail(err, ODZ_ERRLEN, 0, "%s", msg ? msg : "racing service error");
    rc = odz_errcode_parse(code);
    if (rc == 0)
        rc = ODZ_EIO; /* "ok": false with "error": "ok" is a broken reply */
    json_decref(j);
    return rc;
}

/* The racing service's composite views, which the API caches: race card, schedule, next to
 * jump, flucs (service_internal.h). */
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/sort.h"
#include "racing/card.h"
#include "racing/service_internal.h"
#include "racing/store_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A view of one race: its race_id and whether the answer carries its rows ("rows": 0|1). */
static int req_race_rows(call *c, int64_t *id, int64_t *with_rows)
{
    int rc = odz_racing__req_id(c, "race_id", id);
    return rc ? rc : odz_racing__req_int_opt(c, "rows", 0, 0, 1, with_rows);
}

/* Race card: race, meeting with its races, runners with their shown prices and every
 * provider's, and the race's odds comparison (racing/card.h renders the runners). With
 * "rows": true the answer also carries "rows", what the runners are made of
 * (odz_card_rows_to_json), for the API's view cache to patch the card from events. */
int odz_racing__op_racecard(call *c)
{
    int64_t id, with_rows;
    int rc = req_race_rows(c, &id, &with_rows);
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
        json_array_append_new(
            races, json_pack("{s:I,s:i,s:s,s:I}", "race_id", (json_int_t)mr.v[i].id, "number",
                             mr.v[i].number, "status", odz_status_name(mr.v[i].status),
                             "scheduled_start", (json_int_t)mr.v[i].scheduled_start));
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
    int64_t into = 0; /* a market's race retired into a bookmaker's (store.h retire_race) */
    if (c->data && (rc = SOP(c, merged_into, id, &into, c->err))) {
        json_decref(c->data);
        c->data = NULL;
        goto out;
    }
    if (c->data && into)
        json_object_set_new(c->data, "merged_into", json_integer(into));
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
    static const char *const order[] = {
        "Australia & New Zealand", "Australia", "New Zealand", "UK & Ireland", "Hong Kong", "USA"};
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
int odz_racing__op_schedule(call *c)
{
    const char *date;
    int type, rc;
    if ((rc = odz_racing__req_date(c, "date", &date)) || (rc = odz_racing__req_type(c, &type)))
        return rc;
    odz_meetings ms = {0};
    odz_races rs = {0};
    if ((rc = SOP(c, list_meetings, date, date, &ms, c->err)) ||
        (rc = SOP(c, list_races, date, date, &rs, c->err)))
        goto out;
    odz_sort(ms.v, ms.n, sizeof ms.v[0], cmp_meeting);
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
            group = json_pack("{s:s,s:s,s:o}", "race_type", odz_race_type_name(m->type), "region",
                              m->region, "meetings", gmeets);
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
                races, json_pack("{s:I,s:i,s:s,s:i,s:I,s:s,s:o,s:I}", "race_id", (json_int_t)r->id,
                                 "number", r->number, "name", r->name, "distance", r->distance,
                                 "scheduled_start", (json_int_t)r->scheduled_start, "status",
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
int odz_racing__op_next_races(call *c)
{
    int64_t limit, now;
    int type, rc;
    if ((rc = odz_racing__req_int_opt(c, "limit", 10, 1, 100, &limit)) ||
        (rc = odz_racing__req_type(c, &type)) ||
        (rc = odz_racing__req_int_opt(c, "now", odz_now(), 0, INT64_MAX, &now)))
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
                a,
                json_pack("{s:I,s:i,s:s,s:I,s:s,s:I,s:s,s:s,s:s,s:s}", "race_id", (json_int_t)r->id,
                          "number", r->number, "name", r->name, "scheduled_start",
                          (json_int_t)r->scheduled_start, "status", odz_status_name(r->status),
                          "meeting_id", (json_int_t)m.id, "meeting_name", m.name, "race_type",
                          odz_race_type_name(m.type), "country", m.country, "region", m.region));
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
int odz_racing__op_flucs(call *c)
{
    int64_t id, with_rows;
    int rc = req_race_rows(c, &id, &with_rows);
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

// Small racing rules shared by the views.

/** The meeting's next race: the server's next_race_id while that race is still OPEN,
 * otherwise the first OPEN race by start time (races: the meeting's races). */
export function nextRaceId(meeting, races) {
  const list = races || meeting.races || [];
  const byId = list.find((r) => r.race_id === meeting.next_race_id);
  if (byId && byId.status === 'OPEN') return byId.race_id;
  const open = list.filter((r) => r.status === 'OPEN').sort((a, b) => a.scheduled_start - b.scheduled_start || a.number - b.number);
  return open.length ? open[0].race_id : null;
}

/** A runner scratched early or late. */
export function isScratched(r) {
  return !!(r.is_scratched || r.is_late_scratched);
}

/** Runners in card order: by number, scratched last. */
export function sortRunners(runners) {
  return [...(runners || [])].sort((a, b) => (isScratched(a) ? 1 : 0) - (isScratched(b) ? 1 : 0) || a.number - b.number);
}

export const MARKETS = [
  { key: 'fixed_win', label: 'Win', group: 'Fixed' },
  { key: 'fixed_place', label: 'Place', group: 'Fixed' },
  { key: 'tote_win', label: 'Win', group: 'Tote' },
  { key: 'tote_place', label: 'Place', group: 'Tote' },
];

/** Race statuses only move forward (OPEN -> CLOSED -> INTERIM -> FINAL, or ABANDONED); the
 * server refuses backward moves, so a stale view fetched just before an event is ignored. */
const STATUS_RANK = { OPEN: 0, CLOSED: 1, INTERIM: 2, FINAL: 3, ABANDONED: 3 };
export function laterStatus(have, got) {
  if (!have) return got;
  if (!got) return have;
  return (STATUS_RANK[got] ?? 0) >= (STATUS_RANK[have] ?? 0) ? got : have;
}

/** A raceUpdated event applied to a race the page shows: the status only moves forward, an
 * event without results never empties known ones, and a start time or last update replaces
 * the shown one. */
export function applyRaceEvent(race, ev) {
  if (ev.status) race.status = laterStatus(race.status, ev.status);
  if (Array.isArray(ev.results) && (ev.results.length || !(race.results || []).length)) race.results = ev.results;
  if (typeof ev.scheduled_start === 'number' && ev.scheduled_start > 0) race.scheduled_start = ev.scheduled_start;
  if (ev.last_update) race.last_update = ev.last_update;
}

/** A re-fetched race (`fresh`, changed in place) that predates an event already shown on
 * `old` keeps the later status and, when it has none, the results. */
export function keepLaterRace(old, fresh) {
  const st = laterStatus(old.status, fresh.status);
  if (st === fresh.status) return;
  fresh.status = st;
  if (!(fresh.results || []).length) fresh.results = old.results;
}

function scheduleRaces(schedule) {
  const out = [];
  for (const g of schedule.groups || []) for (const m of g.meetings || []) for (const r of m.races || []) out.push({ meeting: m, race: r });
  return out;
}

/** A re-fetched schedule (`body`, changed in place) may predate an event already shown on
 * `old`: each race keeps its later status (keepLaterRace). */
export function keepLater(old, body) {
  const was = new Map(scheduleRaces(old).map(({ race }) => [race.race_id, race]));
  for (const { race } of scheduleRaces(body)) {
    const o = was.get(race.race_id);
    if (o) keepLaterRace(o, race);
  }
}

/** A raceUpdated event applied to a shown schedule; true when the schedule should be fetched
 * again (the event lacks something it shows, or names a race of a shown meeting that the
 * schedule does not have yet). */
export function applyScheduleEvent(schedule, ev) {
  const hit = scheduleRaces(schedule).find(({ race }) => race.race_id === ev.race_id);
  if (hit) {
    applyRaceEvent(hit.race, ev);
    if (hit.meeting.next_race_id === hit.race.race_id && hit.race.status !== 'OPEN') hit.meeting.next_race_id = null;
    return true;
  }
  return !!ev.meeting_id && (schedule.groups || []).some((g) => (g.meetings || []).some((m) => m.meeting_id === ev.meeting_id));
}

/** Runs `fn({ fresh })` once, `ms` after the first of a burst of triggers (a steady stream of
 * triggers must not postpone it forever, as a plain debounce would); `fresh` is true when any
 * trigger of the burst asked for it (trigger(ms, { fresh: true })). */
export function coalesce(fn, defaultMs) {
  let timer = null;
  let fresh = false;
  return {
    trigger(ms = defaultMs, opts = {}) {
      fresh = fresh || !!opts.fresh;
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        const o = { fresh };
        fresh = false;
        fn(o);
      }, ms);
    },
    cancel() {
      clearTimeout(timer);
      timer = null;
      fresh = false;
    },
  };
}

/** The provider of our own fixed-odds market (the price updater). */
export const OUR_PROVIDER = 'oddzy';

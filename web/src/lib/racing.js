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

/** Runners in card order: by number, scratched last. */
export function sortRunners(runners) {
  return [...(runners || [])].sort((a, b) => {
    const sa = a.is_scratched || a.is_late_scratched ? 1 : 0;
    const sb = b.is_scratched || b.is_late_scratched ? 1 : 0;
    return sa - sb || a.number - b.number;
  });
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

/** Runs `fn` once, `ms` after the first of a burst of triggers (a steady stream of triggers
 * must not postpone it forever, as a plain debounce would). */
export function coalesce(fn, defaultMs) {
  let timer = null;
  return {
    trigger(ms = defaultMs) {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    },
    cancel() {
      clearTimeout(timer);
      timer = null;
    },
  };
}

/** The provider of our own fixed-odds market (the price updater). */
export const OUR_PROVIDER = 'oddzy';

// Racing rules shared by the views (src/lib/racing.js): statuses only move forward, results once
// known are kept, card order, the next race, coalesced re-fetches.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  applyRaceEvent,
  applyScheduleEvent,
  coalesce,
  isScratched,
  keepLater,
  keepLaterRace,
  laterStatus,
  nextRaceId,
  sortRunners,
} from '../../src/lib/racing.js';

describe('status order', () => {
  it('moves forward and never back', () => {
    expect(laterStatus('OPEN', 'CLOSED')).toBe('CLOSED');
    expect(laterStatus('CLOSED', 'OPEN')).toBe('CLOSED');
    expect(laterStatus('INTERIM', 'FINAL')).toBe('FINAL');
    expect(laterStatus('FINAL', 'INTERIM')).toBe('FINAL');
    expect(laterStatus('OPEN', 'ABANDONED')).toBe('ABANDONED');
    expect(laterStatus('FINAL', 'ABANDONED')).toBe('ABANDONED'); // same rank: the newer word
    expect(laterStatus('ABANDONED', 'OPEN')).toBe('ABANDONED');
  });
  it('takes whichever side is known', () => {
    expect(laterStatus(undefined, 'OPEN')).toBe('OPEN');
    expect(laterStatus('CLOSED', undefined)).toBe('CLOSED');
  });
});

describe('a race event', () => {
  it('applies a later status, results, start time and last update', () => {
    const r = { status: 'OPEN', results: [] };
    applyRaceEvent(r, { status: 'INTERIM', results: [{ position: 1, number: 4 }], scheduled_start: 99, last_update: 'u' });
    expect(r).toEqual({ status: 'INTERIM', results: [{ position: 1, number: 4 }], scheduled_start: 99, last_update: 'u' });
  });
  it('keeps the status and results when the event is behind', () => {
    const results = [{ position: 1, number: 4 }];
    const r = { status: 'FINAL', results, scheduled_start: 50 };
    applyRaceEvent(r, { status: 'CLOSED', results: [], scheduled_start: 0 });
    expect(r).toEqual({ status: 'FINAL', results, scheduled_start: 50 });
  });
});

describe('a re-fetched race', () => {
  it('keeps a later status shown and the results with it', () => {
    const results = [{ position: 1, number: 4 }];
    const fresh = { status: 'CLOSED' };
    keepLaterRace({ status: 'FINAL', results }, fresh);
    expect(fresh).toEqual({ status: 'FINAL', results });
  });
  it('is taken as is when it is not behind', () => {
    const fresh = { status: 'FINAL', results: [{ position: 1, number: 2 }] };
    keepLaterRace({ status: 'INTERIM', results: [{ position: 1, number: 9 }] }, fresh);
    expect(fresh).toEqual({ status: 'FINAL', results: [{ position: 1, number: 2 }] });
  });
});

function schedule(races, extra = {}) {
  return { date: '2026-12-02', groups: [{ race_type: 'T', region: 'AU', meetings: [{ meeting_id: 1, next_race_id: races[0]?.race_id, races, ...extra }] }] };
}

describe('a re-fetched schedule', () => {
  it('keeps each race status that live events moved forward, and the results', () => {
    const results = [{ position: 1, number: 3 }];
    const old = schedule([
      { race_id: 1, status: 'FINAL', results },
      { race_id: 2, status: 'OPEN' },
    ]);
    const body = schedule([
      { race_id: 1, status: 'CLOSED', results: [] },
      { race_id: 2, status: 'CLOSED' },
      { race_id: 3, status: 'OPEN' },
    ]);
    keepLater(old, body);
    expect(body.groups[0].meetings[0].races).toEqual([
      { race_id: 1, status: 'FINAL', results },
      { race_id: 2, status: 'CLOSED' },
      { race_id: 3, status: 'OPEN' },
    ]);
  });
});

describe('a race event on the schedule', () => {
  it('patches the race, clears the next race once it left OPEN and asks for a re-fetch', () => {
    const s = schedule([
      { race_id: 1, status: 'OPEN' },
      { race_id: 2, status: 'OPEN' },
    ]);
    expect(applyScheduleEvent(s, { race_id: 1, status: 'CLOSED' })).toBe(true);
    const m = s.groups[0].meetings[0];
    expect(m.races[0].status).toBe('CLOSED');
    expect(m.next_race_id).toBeNull();
    expect(applyScheduleEvent(s, { race_id: 1, status: 'OPEN' })).toBe(true);
    expect(m.races[0].status).toBe('CLOSED');
  });
  it('asks for a re-fetch for a new race of a shown meeting only', () => {
    const s = schedule([{ race_id: 1, status: 'OPEN' }]);
    expect(applyScheduleEvent(s, { race_id: 5, meeting_id: 1, status: 'OPEN' })).toBe(true);
    expect(applyScheduleEvent(s, { race_id: 6, meeting_id: 2, status: 'OPEN' })).toBe(false);
    expect(applyScheduleEvent(s, { race_id: 7 })).toBe(false);
  });
});

describe('runners and the next race', () => {
  it('puts scratched runners last, by number', () => {
    const rs = [{ number: 3 }, { number: 1, is_late_scratched: true }, { number: 2, is_scratched: true }, { number: 4 }];
    expect(sortRunners(rs).map((r) => r.number)).toEqual([3, 4, 1, 2]);
    expect(isScratched(rs[0])).toBe(false);
    expect(isScratched(rs[1])).toBe(true);
  });
  it("takes the server's next race while it is OPEN, else the first OPEN by start", () => {
    const races = [
      { race_id: 1, number: 1, status: 'CLOSED', scheduled_start: 10 },
      { race_id: 2, number: 2, status: 'OPEN', scheduled_start: 30 },
      { race_id: 3, number: 3, status: 'OPEN', scheduled_start: 20 },
    ];
    expect(nextRaceId({ next_race_id: 2, races })).toBe(2);
    expect(nextRaceId({ next_race_id: 1, races })).toBe(3);
    expect(nextRaceId({ races: [races[0]] })).toBeNull();
  });
});

describe('coalesced re-fetches', () => {
  afterEach(() => vi.useRealTimers());
  it('runs once after the first of a burst, which later triggers do not postpone', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const c = coalesce(fn, 100);
    c.trigger();
    vi.advanceTimersByTime(60);
    c.trigger();
    vi.advanceTimersByTime(40);
    expect(fn).toHaveBeenCalledTimes(1);
    c.trigger(10);
    c.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
  it('asks for a fresh answer when any trigger of the burst did, and only for that burst', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const c = coalesce(fn, 100);
    c.trigger();
    c.trigger(50, { fresh: true }); // (a subscription acknowledged meanwhile)
    c.trigger();
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenLastCalledWith({ fresh: true });
    c.trigger();
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenLastCalledWith({ fresh: false });
    c.trigger(10, { fresh: true });
    c.cancel();
    c.trigger(10);
    vi.advanceTimersByTime(10);
    expect(fn).toHaveBeenLastCalledWith({ fresh: false });
  });
});

// Which answers a page shows (src/lib/answers.js, used by useResource).
import { describe, expect, it } from 'vitest';
import { createAnswerOrder, sameParams } from '../../src/lib/answers.js';

describe('answer order', () => {
  it('shows the first answer when a re-fetch asked before it came is still on its way', () => {
    // a race page: its card asked for, then a fresh re-fetch once the live subscription is
    // acknowledged, before the first card came (a slow server)
    const o = createAnswerOrder();
    const first = o.ask();
    const refetch = o.ask();
    expect(o.take(first, 7, 7)).toBe(true);
    expect(o.take(refetch, 7, 7)).toBe(true);
  });

  it('drops an answer older than the one shown', () => {
    const o = createAnswerOrder();
    const a = o.ask();
    const b = o.ask();
    expect(o.take(b, 7, 7)).toBe(true);
    expect(o.take(a, 7, 7)).toBe(false);
    expect(o.take(b, 7, 7)).toBe(false); // once
  });

  it('drops an answer to parameters the resource no longer has', () => {
    const o = createAnswerOrder();
    const old = o.ask();
    const now = o.ask();
    expect(o.take(old, 7, 8)).toBe(false);
    expect(o.take(now, 8, 8)).toBe(true);
    const day = o.ask();
    expect(o.take(day, { date: '2026-12-04', type: 'T' }, { date: '2026-12-04', type: 'T' })).toBe(true);
    const other = o.ask();
    expect(o.take(other, { date: '2026-12-04', type: 'T' }, { date: '2026-12-05', type: 'T' })).toBe(false);
  });

  it("a failure counts only for the latest request, and nothing counts once closed", () => {
    const o = createAnswerOrder();
    const a = o.ask();
    expect(o.latest(a)).toBe(true);
    const b = o.ask();
    expect(o.latest(a)).toBe(false);
    expect(o.latest(b)).toBe(true);
    o.close();
    expect(o.latest(b)).toBe(false);
    expect(o.take(b, 7, 7)).toBe(false);
  });

  it('compares parameters by value', () => {
    expect(sameParams(7, 7)).toBe(true);
    expect(sameParams(undefined, undefined)).toBe(true);
    expect(sameParams({ date: 'd', type: '' }, { date: 'd', type: '' })).toBe(true);
    expect(sameParams(7, 8)).toBe(false);
  });
});

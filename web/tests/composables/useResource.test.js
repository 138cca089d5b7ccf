// useResource's answers in the order a slow server gives them. Outside a component (no DOM):
// refreshMs 0 and Vue's warnings about lifecycle hooks without an instance silenced.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useResource } from '../../src/composables/useResource.js';

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A fetcher whose answers the test gives, one deferred per request. */
function slowServer() {
  const asked = [];
  const fetcher = (params, opts) => {
    const d = deferred();
    asked.push({ params, opts, ...d });
    return d.promise;
  };
  return { asked, fetcher };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('useResource', () => {
  beforeEach(() => vi.spyOn(console, 'warn').mockImplementation(() => {}));
  afterEach(() => vi.restoreAllMocks());

  it('shows the first answer when a re-fetch overtook it and is still on its way', async () => {
    // the race page: its card, then a fresh re-fetch once its live subscription is
    // acknowledged, both asked before the server answered the first
    const s = slowServer();
    const r = useResource(s.fetcher, { params: () => 7, refreshMs: 0 });
    r.load();
    r.load({ silent: true, fresh: true });
    expect(s.asked.map((a) => a.opts)).toEqual([{ fresh: false }, { fresh: true }]);
    s.asked[0].resolve({ card: 1 });
    await settle();
    expect(r.data.value).toEqual({ card: 1 });
    expect(r.loading.value).toBe(false);
    s.asked[1].resolve({ card: 2 });
    await settle();
    expect(r.data.value).toEqual({ card: 2 });
  });

  it('never shows an answer older than the one shown', async () => {
    const s = slowServer();
    const merged = [];
    const r = useResource(s.fetcher, { params: () => 7, refreshMs: 0, merge: (old, body, p, at) => merged.push([body, p, typeof at]) });
    r.load();
    r.load({ silent: true });
    s.asked[1].resolve({ card: 2 });
    await settle();
    s.asked[0].resolve({ card: 1 });
    await settle();
    expect(r.data.value).toEqual({ card: 2 });
    expect(merged).toEqual([[{ card: 2 }, 7, 'number']]);
  });

  it("drops an answer to another race's request", async () => {
    const s = slowServer();
    let id = 7;
    const r = useResource(s.fetcher, { params: () => id, refreshMs: 0 });
    r.load();
    id = 8;
    r.load();
    s.asked[0].resolve({ race: 7 });
    await settle();
    expect(r.data.value).toBe(null);
    expect(r.loading.value).toBe(true);
    s.asked[1].resolve({ race: 8 });
    await settle();
    expect(r.data.value).toEqual({ race: 8 });
    expect(r.loading.value).toBe(false);
  });

  it('an earlier failure is not shown while a later request may succeed; the latest is', async () => {
    const s = slowServer();
    const r = useResource(s.fetcher, { params: () => 7, refreshMs: 0 });
    r.load();
    r.load({ silent: true });
    s.asked[0].reject(new Error('first'));
    await settle();
    expect(r.error.value).toBe(null);
    s.asked[1].reject(new Error('second'));
    await settle();
    expect(r.error.value?.message).toBe('second');
    expect(r.loading.value).toBe(false);
  });
});

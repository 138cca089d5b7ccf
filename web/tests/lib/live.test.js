// What a live subscription sends (src/lib/live.js): a race, "all", or a topic's payload as is.
import { describe, expect, it } from 'vitest';
import { subscriptionPayload } from '../../src/lib/live.js';
import { MATCHER_DEFAULTS, matcherSubscription } from '../../src/lib/matcher.js';

describe('subscription payloads', () => {
  it('names a race or all races by race_id', () => {
    expect(subscriptionPayload(7)).toEqual({ race_id: 7 });
    expect(subscriptionPayload('all')).toEqual({ race_id: 'all' });
  });

  it("sends the odds matcher's topic as is (wip-live: {topic: \"matcher\"})", () => {
    const sub = matcherSubscription(MATCHER_DEFAULTS);
    expect(subscriptionPayload(sub)).toEqual({ topic: 'matcher' });
    expect(subscriptionPayload(sub)).toBe(sub);
  });
});

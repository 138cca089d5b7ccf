// The race card's live rules (src/lib/racecard.js): provider precedence, newest price wins,
// and the merge of a re-fetched card with what live events said meanwhile.
import { describe, expect, it } from 'vitest';
import {
  acceptEarlyPrice,
  acceptPrice,
  applyCardEvent,
  createLivePrices,
  findRunner,
  isOurProvider,
  isPriceEvent,
  EARLY_RACE_MAX,
  keepEarlyRaceEvent,
  liveIsNewer,
  mergedTarget,
  mergeFresh,
  PRICE_ASK,
  PRICE_DROP,
  PRICE_SHOW,
  priceMove,
  showPrice,
} from '../../src/lib/racecard.js';

const runner = (selection_id, number, extra = {}) => ({ selection_id, number, name: `Runner ${number}`, prices: {}, ...extra });
const price = (selection_id, market, p, ts, provider = 'oddzy', extra = {}) => ({ race_id: 7, selection_id, market, price: p, ts, provider, ...extra });
const card = (runners, race = { race_id: 7, status: 'OPEN', results: [] }) => ({ race, meeting: { races: [{ race_id: 7, status: race.status }, { race_id: 8, status: 'OPEN' }] }, runners });

describe('provider precedence', () => {
  it('treats our provider and a price without a provider as ours', () => {
    expect(isOurProvider('oddzy')).toBe(true);
    expect(isOurProvider(undefined)).toBe(true);
    expect(isOurProvider('')).toBe(true);
    expect(isOurProvider('tab')).toBe(false);
  });

  it('shows our fixed odds and records that we price the race', () => {
    const lp = createLivePrices();
    expect(acceptPrice(lp, runner(1, 1), price(1, 'fixed_win', 350, 100))).toBe(PRICE_SHOW);
    expect(lp.oursInRace).toBe(true);
    expect(lp.seen.get('1:fixed_win')).toEqual({ ours: true, ts: 100, price: 350 });
  });

  it("asks the server for the card on another provider's fixed odds while we do not price the race", () => {
    const lp = createLivePrices();
    expect(acceptPrice(lp, runner(1, 1), price(1, 'fixed_win', 400, 100, 'tab'))).toBe(PRICE_ASK);
    expect(lp.seen.size).toBe(0);
  });

  it("drops another provider's fixed odds once we price the race", () => {
    const lp = createLivePrices();
    acceptPrice(lp, runner(2, 2), price(2, 'fixed_place', 150, 90));
    expect(acceptPrice(lp, runner(1, 1), price(1, 'fixed_win', 400, 100, 'tab'))).toBe(PRICE_DROP);
    expect(lp.seen.has('1:fixed_win')).toBe(false);
  });

  it("shows another provider's tote prices", () => {
    const lp = createLivePrices();
    expect(acceptPrice(lp, runner(1, 1), price(1, 'tote_win', 420, 100, 'tab'))).toBe(PRICE_SHOW);
    expect(lp.oursInRace).toBe(false);
    expect(lp.seen.get('1:tote_win')).toEqual({ ours: false, ts: 100, price: 420 });
  });
});

describe('newest price wins', () => {
  it('drops an older history point and keeps the newer price', () => {
    const lp = createLivePrices();
    acceptPrice(lp, runner(1, 1), price(1, 'tote_win', 300, 200, 'tab'));
    expect(acceptPrice(lp, runner(1, 1), price(1, 'tote_win', 500, 150, 'tab'))).toBe(PRICE_DROP);
    expect(lp.seen.get('1:tote_win').price).toBe(300);
  });

  it('shows a price at the same time as the last one (a correction) and a later one', () => {
    const lp = createLivePrices();
    acceptPrice(lp, runner(1, 1), price(1, 'fixed_win', 300, 200));
    expect(acceptPrice(lp, runner(1, 1), price(1, 'fixed_win', 310, 200))).toBe(PRICE_SHOW);
    expect(acceptPrice(lp, runner(1, 1), price(1, 'fixed_win', 320, 201))).toBe(PRICE_SHOW);
    expect(lp.seen.get('1:fixed_win').price).toBe(320);
  });

  it('takes a price without a time as the oldest possible', () => {
    const lp = createLivePrices();
    acceptPrice(lp, runner(1, 1), price(1, 'fixed_win', 300, 1));
    expect(acceptPrice(lp, runner(1, 1), price(1, 'fixed_win', 310, undefined))).toBe(PRICE_DROP);
  });

  it('keeps each runner and market apart', () => {
    const lp = createLivePrices();
    acceptPrice(lp, runner(1, 1), price(1, 'fixed_win', 300, 200));
    expect(acceptPrice(lp, runner(1, 1), price(1, 'fixed_place', 120, 100))).toBe(PRICE_SHOW);
    expect(acceptPrice(lp, runner(2, 2), price(2, 'fixed_win', 900, 100))).toBe(PRICE_SHOW);
  });
});

describe('price events and runners', () => {
  it('accepts only numeric prices in a card market', () => {
    expect(isPriceEvent(price(1, 'fixed_win', 300, 1))).toBe(true);
    expect(isPriceEvent(price(1, 'tote_place', 300, 1))).toBe(true);
    expect(isPriceEvent(price(1, 'exacta', 300, 1))).toBe(false);
    expect(isPriceEvent(price(1, 'fixed_win', '300', 1))).toBe(false);
    expect(isPriceEvent(null)).toBe(false);
  });

  it('finds the runner by selection id, else by number', () => {
    const c = card([runner(11, 1), runner(12, 2)]);
    expect(findRunner(c, { selection_id: 12, number: 1 }).selection_id).toBe(12);
    expect(findRunner(c, { selection_id: 99, number: 1 }).selection_id).toBe(11);
    expect(findRunner(c, { selection_id: 99, number: 9 })).toBeNull();
  });

  it('shows a price and says what it moved from', () => {
    const r = runner(1, 1, { prices: { fixed_win: 300 } });
    expect(showPrice(r, price(1, 'fixed_win', 280, 5, 'oddzy', { previous: 999 }))).toBe(300);
    expect(r.prices.fixed_win).toBe(280);
    const bare = { selection_id: 2, number: 2 };
    expect(showPrice(bare, price(2, 'fixed_win', 280, 5, 'oddzy', { previous: 310 }))).toBe(310);
    expect(bare.prices).toEqual({ fixed_win: 280 });
  });

  it('calls a lower price a shortening and a higher one a drift, between real prices only', () => {
    expect(priceMove(300, 250)).toBe('shorten');
    expect(priceMove(300, 350)).toBe('drift');
    expect(priceMove(300, 300)).toBeNull();
    expect(priceMove(0, 300)).toBeNull();
    expect(priceMove(undefined, 300)).toBeNull();
    expect(priceMove(300, null)).toBeNull();
  });
});

describe('a live price against the card', () => {
  const l = { ours: true, ts: 120, price: 280 };
  it("beats a card without the market's time", () => {
    expect(liveIsNewer(l, runner(1, 1), 'fixed_win')).toBe(true);
    expect(liveIsNewer(l, runner(1, 1, { price_ts: { fixed_place: 500 } }), 'fixed_win')).toBe(true);
  });
  it("beats the card's price set at or before it", () => {
    expect(liveIsNewer(l, runner(1, 1, { price_ts: { fixed_win: 100 } }), 'fixed_win')).toBe(true);
    expect(liveIsNewer(l, runner(1, 1, { price_ts: { fixed_win: 120 } }), 'fixed_win')).toBe(true);
  });
  it("loses to the card's price set after it", () => {
    expect(liveIsNewer(l, runner(1, 1, { price_ts: { fixed_win: 121 } }), 'fixed_win')).toBe(false);
  });
});

describe('merging a re-fetched card', () => {
  function shown(prices) {
    return card([runner(1, 1, { prices: { ...prices } }), runner(2, 2, { prices: { fixed_win: 500 } })]);
  }

  it('keeps a live price newer than a stale card (the card was built before it)', () => {
    const lp = createLivePrices();
    const old = shown({ fixed_win: 300 });
    acceptPrice(lp, old.runners[0], price(1, 'fixed_win', 280, 120));
    showPrice(old.runners[0], price(1, 'fixed_win', 280, 120));
    const body = card([runner(1, 1, { prices: { fixed_win: 300 }, price_ts: { fixed_win: 100 } })]);
    const moves = mergeFresh(lp, old, body);
    expect(body.runners[0].prices.fixed_win).toBe(280);
    expect(moves).toEqual([]);
  });

  it('takes the card when its price is newer than the live one, and flashes the move', () => {
    const lp = createLivePrices();
    const old = shown({ fixed_win: 300 });
    acceptPrice(lp, old.runners[0], price(1, 'fixed_win', 300, 120));
    const body = card([runner(1, 1, { prices: { fixed_win: 260 }, price_ts: { fixed_win: 130 } })]);
    const moves = mergeFresh(lp, old, body);
    expect(body.runners[0].prices.fixed_win).toBe(260);
    expect(moves).toEqual([{ selection_id: 1, market: 'fixed_win', dir: 'shorten', from: 300 }]);
  });

  it('flashes prices that moved without a live price, and not new or unchanged ones', () => {
    const lp = createLivePrices();
    const old = shown({ fixed_win: 300, tote_win: 410 });
    const body = card([
      runner(1, 1, { prices: { fixed_win: 300, tote_win: 450, tote_place: 150 } }),
      runner(2, 2, { prices: { fixed_win: 480 } }),
      runner(3, 3, { prices: { fixed_win: 700 } }),
    ]);
    const moves = mergeFresh(lp, old, body);
    expect(moves).toEqual([
      { selection_id: 1, market: 'tote_win', dir: 'drift', from: 410 },
      { selection_id: 2, market: 'fixed_win', dir: 'shorten', from: 500 },
    ]);
  });

  it('never puts a live price back on a scratched runner', () => {
    const lp = createLivePrices();
    const old = shown({ fixed_win: 300 });
    acceptPrice(lp, old.runners[0], price(1, 'fixed_win', 280, 120));
    const late = card([runner(1, 1, { is_late_scratched: true, prices: {}, price_ts: {} })]);
    mergeFresh(lp, old, late);
    expect(late.runners[0].prices.fixed_win).toBeUndefined();
    const early = card([runner(1, 1, { is_scratched: true, prices: { fixed_win: null } })]);
    mergeFresh(lp, old, early);
    expect(early.runners[0].prices.fixed_win).toBeNull();
  });

  it("keeps the card's price when another provider's fixed odds came live while we price the race", () => {
    const lp = createLivePrices();
    const old = shown({ fixed_win: 300 });
    acceptPrice(lp, old.runners[1], price(2, 'fixed_win', 500, 100));
    expect(acceptPrice(lp, old.runners[0], price(1, 'fixed_win', 999, 500, 'tab'))).toBe(PRICE_DROP);
    const body = card([runner(1, 1, { prices: { fixed_win: 300 }, price_ts: { fixed_win: 100 } })]);
    mergeFresh(lp, old, body);
    expect(body.runners[0].prices.fixed_win).toBe(300);
  });

  it('puts a live price that came before the first card on it when newer than its own', () => {
    // the subscription was answered before the card: the card's view may not have the price yet
    const lp = createLivePrices();
    expect(acceptEarlyPrice(lp, price(1, 'fixed_place', 250, 120))).toBe(true);
    expect(acceptEarlyPrice(lp, price(2, 'fixed_place', 180, 90))).toBe(true);
    expect(acceptEarlyPrice(lp, price(1, 'fixed_win', 999, 130, 'tab'))).toBe(false); // theirs, while we price it
    expect(acceptEarlyPrice(lp, { race_id: 7, number: 3, market: 'fixed_win', price: 300, ts: 1 })).toBe(false); // no selection id
    expect(acceptEarlyPrice(lp, price(1, 'nonsense', 300, 1))).toBe(false);
    const body = card([
      runner(1, 1, { prices: { fixed_win: 300, fixed_place: 240 }, price_ts: { fixed_win: 100, fixed_place: 110 } }),
      runner(2, 2, { prices: { fixed_place: 170 }, price_ts: { fixed_place: 95 } }),
    ]);
    expect(mergeFresh(lp, null, body)).toEqual([]); // nothing was shown: nothing flashes
    expect(body.runners[0].prices).toEqual({ fixed_win: 300, fixed_place: 250 });
    expect(body.runners[1].prices.fixed_place).toBe(170); // the card's is newer
  });

  it('puts the race events that came before the first card on it, only forward', () => {
    const lp = createLivePrices();
    keepEarlyRaceEvent(lp, { race_id: 7, status: 'CLOSED', scratched: [2], scheduled_start: 1 });
    keepEarlyRaceEvent(lp, { race_id: 8, status: 'FINAL' }); // another race of the meeting
    keepEarlyRaceEvent(lp, { race_id: 7, status: 'OPEN' }); // older than the card: no going back
    keepEarlyRaceEvent(lp, null);
    const body = card([runner(1, 1), runner(2, 2)], { race_id: 7, status: 'OPEN', scheduled_start: 500, results: [] });
    expect(mergeFresh(lp, null, body)).toEqual([]);
    expect(body.race.status).toBe('CLOSED');
    expect(body.race.scheduled_start).toBe(500); // the card's, not an early event's
    expect(body.runners[1].is_scratched).toBe(true);
    expect(body.runners[0].is_scratched).toBeUndefined();
    expect(body.meeting.races.find((r) => r.race_id === 8).status).toBe('FINAL');
    expect(lp.early).toEqual([]); // used once
    // a later card of the same race does not take them again, and the list is bounded
    for (let i = 0; i < EARLY_RACE_MAX + 10; i++) keepEarlyRaceEvent(lp, { race_id: 7, status: 'OPEN' });
    expect(lp.early.length).toBe(EARLY_RACE_MAX);
  });

  it("applies a live price to a runner the card shows without prices", () => {
    const lp = createLivePrices();
    const old = shown({});
    acceptPrice(lp, old.runners[0], price(1, 'tote_win', 333, 10, 'tab'));
    const body = card([{ selection_id: 1, number: 1 }]);
    mergeFresh(lp, old, body);
    expect(body.runners[0].prices).toEqual({ tote_win: 333 });
  });

  const was = [{ position: 1, number: 2 }];
  const own = [{ position: 1, number: 3 }];
  const none = [];
  it.each([
    ['never moves the status back, and keeps the results with it', 'FINAL', 'CLOSED', none, 'FINAL', was],
    ["keeps the card's own results when it is behind on the status", 'FINAL', 'INTERIM', own, 'FINAL', own],
    ['takes a status and results that moved forward', 'INTERIM', 'FINAL', own, 'FINAL', own],
    ['takes the same status as is', 'INTERIM', 'INTERIM', none, 'INTERIM', none],
  ])('%s', (_, shownStatus, cardStatus, cardResults, status, results) => {
    const old = card([], { race_id: 7, status: shownStatus, results: was });
    const body = card([], { race_id: 7, status: cardStatus, results: cardResults });
    mergeFresh(createLivePrices(), old, body);
    expect(body.race.status).toBe(status);
    expect(body.race.results).toBe(results);
  });
});

describe('a race event on the card', () => {
  it('moves the status forward only, and never empties known results', () => {
    const c = card([runner(1, 1), runner(2, 2)], { race_id: 7, status: 'INTERIM', results: [{ position: 1, number: 1 }] });
    expect(applyCardEvent(c, 7, { race_id: 7, status: 'OPEN', results: [] })).toBe(true);
    expect(c.race.status).toBe('INTERIM');
    expect(c.race.results).toEqual([{ position: 1, number: 1 }]);
    expect(c.meeting.races[0].status).toBe('INTERIM');
    applyCardEvent(c, 7, { race_id: 7, status: 'FINAL', results: [{ position: 1, number: 2 }], scheduled_start: 1234, last_update: 'x' });
    expect(c.race).toMatchObject({ status: 'FINAL', results: [{ position: 1, number: 2 }], scheduled_start: 1234, last_update: 'x' });
  });

  it('marks scratched runners by number', () => {
    const c = card([runner(1, 1), runner(2, 2, { is_late_scratched: true })]);
    applyCardEvent(c, 7, { race_id: 7, scratched: [1, 2, 9] });
    expect(c.runners[0].is_scratched).toBe(true);
    expect(c.runners[1].is_scratched).toBeUndefined();
  });

  it("updates another race's pill only and says the card needs no re-fetch", () => {
    const c = card([runner(1, 1)]);
    expect(applyCardEvent(c, 7, { race_id: 8, status: 'CLOSED', scratched: [1] })).toBe(false);
    expect(c.meeting.races[1].status).toBe('CLOSED');
    expect(c.race.status).toBe('OPEN');
    expect(c.runners[0].is_scratched).toBeUndefined();
    applyCardEvent(c, 7, { race_id: 8, status: 'OPEN' });
    expect(c.meeting.races[1].status).toBe('CLOSED');
  });
});

describe('mergedTarget', () => {
  it('leads a retired race to the race it was merged into', () => {
    expect(mergedTarget({ race: { race_id: 7 }, merged_into: 12 }, 7)).toBe(12);
  });
  it('stays on a card that was not merged, or names itself, or a bad id', () => {
    expect(mergedTarget({ race: { race_id: 7 } }, 7)).toBe(null);
    expect(mergedTarget({ merged_into: 7 }, 7)).toBe(null);
    expect(mergedTarget({ merged_into: null }, 7)).toBe(null);
    expect(mergedTarget({ merged_into: '12' }, 7)).toBe(null);
    expect(mergedTarget({ merged_into: -3 }, 7)).toBe(null);
    expect(mergedTarget({ merged_into: 1.5 }, 7)).toBe(null);
    expect(mergedTarget(null, 7)).toBe(null);
  });
});

// The odds comparison grid (src/lib/compare.js): columns, best prices, market percentages,
// exchange depth, live prices and the merge of a re-fetched card.
import { describe, expect, it } from 'vitest';
import { applyGridPrice, bookPercentage, buildGrid, createGridPrices, exchangeDepth, formatSize, gridColumns, mergeGridPrices } from '../../src/lib/compare.js';

const runner = (selection_id, number, odds, extra = {}) => ({ selection_id, number, name: `Runner ${number}`, odds, ...extra });
function card() {
  return {
    race: { race_id: 7, status: 'OPEN' },
    runners: [
      runner(11, 1, { oddzy: { fixed_win: 3.0, fixed_place: 1.4 }, tab: { fixed_win: 3.2, tote_win: 3.4, fixed_place: 1.4 }, betfair: { exchange_back: 3.3, exchange_lay: 3.45 }, betfair_place: { exchange_back: 1.5, exchange_lay: 1.55 } }, {
        exchange: { betfair: { back: [{ price: 3.3, size: 120 }, { price: 3.25, size: 40 }, { price: 3.2, size: 8 }], lay: [{ price: 3.45, size: 60 }], last_traded: 3.35, traded_volume: 5400 } },
      }),
      runner(12, 2, { oddzy: { fixed_win: 2.5 }, tab: { fixed_win: 2.4, tote_win: 2.6 }, betfair: { exchange_back: 2.6, exchange_lay: 2.7 } }),
      runner(13, 3, { oddzy: { fixed_win: 4.0 }, tab: { fixed_win: 4.0 } }),
      runner(14, 4, {}, { is_scratched: true }),
    ],
  };
}

describe('columns', () => {
  it('lists our bookmaker first, then the others by name, the tote, then the exchange back and lay', () => {
    const c = card();
    c.runners[2].odds.aaa = { fixed_win: 5 };
    expect(gridColumns(c, 'win').map((x) => [x.label, x.group, x.market])).toEqual([
      ['oddzy', 'fixed', 'fixed_win'],
      ['aaa', 'fixed', 'fixed_win'],
      ['tab', 'fixed', 'fixed_win'],
      ['tab', 'tote', 'tote_win'],
      ['betfair back', 'back', 'exchange_back'],
      ['betfair lay', 'lay', 'exchange_lay'],
    ]);
  });

  it("shows the exchange's place market (its own provider) on the place grid", () => {
    expect(gridColumns(card(), 'place').map((x) => x.key)).toEqual(['oddzy:fixed_place', 'tab:fixed_place', 'betfair_place:exchange_back', 'betfair_place:exchange_lay']);
  });

  it('gives each provider with a tote its own tote column', () => {
    const c = card();
    c.runners[0].odds.oddzy.tote_win = 3.3;
    expect(gridColumns(c).filter((x) => x.group === 'tote').map((x) => x.label)).toEqual(['oddzy', 'tab']);
  });
});

describe('market percentage', () => {
  it('sums 100 / price over the priced runners, to the hundredth', () => {
    // 100/2 + 100/4 + 100/5 = 95
    expect(bookPercentage([2, 4, 5])).toEqual({ percentage: 95, runners: 3 });
    // 33.333333 + 33.333333 + 33.333333 = 99.999999 -> 100.00 (half up)
    expect(bookPercentage([3, 3, 3])).toEqual({ percentage: 100, runners: 3 });
    expect(bookPercentage([3, null, 1, 0, undefined])).toEqual({ percentage: 33.33, runners: 1 });
    expect(bookPercentage([null])).toBe(null);
  });

  it("rounds on the server's integer steps (each term truncated to 1e-6 %)", () => {
    // the card in tests: 30.0, 9.6, 4.7 ... compare with odz_compare_percentage's arithmetic
    const prices = [1.01, 7.77, 13.3];
    const terms = prices.map((p) => Math.floor(1e10 / Math.round(p * 100)));
    const want = Math.floor((terms.reduce((a, b) => a + b) + 5000) / 10000) / 100;
    expect(bookPercentage(prices).percentage).toBe(want);
  });
});

describe('grid', () => {
  it('marks the best fixed price of each runner (ties: every bookmaker at it) and its book', () => {
    const g = buildGrid(card(), 'win');
    const row = (n) => g.rows.find((r) => r.runner.number === n);
    expect(row(1).best).toEqual({ price: 3.2, provider: 'tab' });
    expect(row(1).cells.filter((c) => c.best).map((c) => c.col.provider)).toEqual(['tab']);
    expect(row(3).best).toEqual({ price: 4, provider: 'oddzy' });
    expect(row(3).cells.filter((c) => c.best).map((c) => c.col.provider)).toEqual(['oddzy', 'tab']);
    // the exchange back is higher (3.3) but is not a bookmaker's price
    expect(row(1).cells.find((c) => c.col.group === 'back').best).toBe(false);
    // best book: 100/3.2 + 100/2.5 + 100/4 = 96.25
    expect(g.bestBook).toEqual({ percentage: 96.25, runners: 3 });
  });

  it('puts each column percentage in the footer, over runners still in the race', () => {
    const g = buildGrid(card(), 'win');
    const pct = Object.fromEntries(g.columns.map((c, i) => [c.key, g.footer[i]]));
    expect(pct['oddzy:fixed_win']).toEqual({ percentage: 98.33, runners: 3 }); // 33.33 + 40 + 25
    expect(pct['betfair:exchange_lay'].runners).toBe(2);
    expect(g.rows[g.rows.length - 1].runner.number).toBe(4); // scratched last
    expect(g.rows[g.rows.length - 1].cells.every((c) => c.price === null)).toBe(true);
  });

  it('takes a scratched runner out of the percentages at once', () => {
    const c = card();
    const before = buildGrid(c).footer[0];
    c.runners[1].is_late_scratched = true; // a raceUpdated event's scratching, before any re-fetch
    const after = buildGrid(c);
    expect(before).toEqual({ percentage: 98.33, runners: 3 });
    expect(after.footer[0]).toEqual({ percentage: 58.33, runners: 2 });
    expect(after.bestBook).toEqual({ percentage: 56.25, runners: 2 });
  });

  it("shows the exchange's sizes at the shown price, three levels deep", () => {
    const c = card();
    const back = gridColumns(c).find((x) => x.group === 'back');
    const d = exchangeDepth(c.runners[0], back);
    expect(d.size).toBe(120);
    expect(d.levels.map((l) => l.price)).toEqual([3.3, 3.25, 3.2]);
    // a live price newer than the ladder: no size until the card says
    c.runners[0].odds.betfair.exchange_back = 3.35;
    expect(exchangeDepth(c.runners[0], back).size).toBe(null);
    expect(exchangeDepth(c.runners[1], back)).toEqual({ levels: [], size: null });
  });
});

describe('live prices', () => {
  const ev = (selection_id, provider, market, price, ts, extra = {}) => ({ race_id: 7, selection_id, provider, market, price, ts, ...extra });

  it('changes one cell and says from what', () => {
    const c = card();
    const seen = createGridPrices();
    expect(applyGridPrice(seen, c, ev(11, 'tab', 'fixed_win', 3.5, 100), 1000)).toEqual({ key: '11:tab:fixed_win', selection_id: 11, provider: 'tab', market: 'fixed_win', from: 3.2, price: 3.5 });
    expect(c.runners[0].odds.tab.fixed_win).toBe(3.5);
    expect(buildGrid(c).rows[0].best).toEqual({ price: 3.5, provider: 'tab' });
    // the same price again: nothing moved
    expect(applyGridPrice(seen, c, ev(11, 'tab', 'fixed_win', 3.5, 101), 1001)).toBe(null);
  });

  it('adds a provider, takes an older point and a scratched runner no further', () => {
    const c = card();
    const seen = createGridPrices();
    expect(applyGridPrice(seen, c, ev(12, 'sportsbet', 'fixed_win', 2.8, 100), 1)?.from).toBe(null);
    expect(gridColumns(c).map((x) => x.provider)).toContain('sportsbet');
    expect(applyGridPrice(seen, c, ev(12, 'sportsbet', 'fixed_win', 2.2, 99), 2)).toBe(null);
    expect(c.runners[1].odds.sportsbet.fixed_win).toBe(2.8);
    expect(applyGridPrice(seen, c, ev(14, 'tab', 'fixed_win', 9, 100), 3)).toBe(null);
    expect(applyGridPrice(seen, c, ev(11, 'tab', 'nonsense', 9, 100), 3)).toBe(null);
    // without a provider it is ours; by number when the selection is unknown
    expect(applyGridPrice(seen, c, { race_id: 7, selection_id: 999, number: 3, market: 'fixed_win', price: 4.4, ts: 5 }, 4)?.key).toBe('13:oddzy:fixed_win');
  });

  it("puts an exchange price with its size on top of the ladder, keeping the worse levels", () => {
    const c = card();
    const seen = createGridPrices();
    const back = gridColumns(c).find((x) => x.group === 'back');
    expect(applyGridPrice(seen, c, ev(11, 'betfair', 'exchange_back', 3.25, 100, { size: 75.5 }), 1)?.price).toBe(3.25);
    expect(c.runners[0].exchange.betfair.back).toEqual([{ price: 3.25, size: 75.5 }, { price: 3.2, size: 8 }]);
    expect(exchangeDepth(c.runners[0], back).size).toBe(75.5);
    // the same price, only the size moved: no flash, the size follows
    expect(applyGridPrice(seen, c, ev(11, 'betfair', 'exchange_back', 3.25, 101, { size: 10 }), 2)).toBe(null);
    expect(exchangeDepth(c.runners[0], back).size).toBe(10);
    // a runner without a ladder gets one
    applyGridPrice(seen, c, ev(12, 'betfair', 'exchange_lay', 2.8, 100, { size: 40 }), 3);
    expect(c.runners[1].exchange.betfair.lay).toEqual([{ price: 2.8, size: 40 }]);
  });

  it('takes a cell away when its price is gone', () => {
    const c = card();
    const seen = createGridPrices();
    expect(applyGridPrice(seen, c, ev(12, 'betfair', 'exchange_lay', null, 100), 1)?.price).toBe(null);
    expect(c.runners[1].odds.betfair.exchange_lay).toBe(undefined);
  });

  it('keeps live prices received after the card was asked for, flashes what the card moved', () => {
    const old = card();
    const seen = createGridPrices();
    applyGridPrice(seen, old, ev(11, 'tab', 'fixed_win', 3.6, 100), 500); // before the request
    applyGridPrice(seen, old, ev(12, 'tab', 'fixed_win', 2.3, 101), 1500); // after it
    const body = card(); // the server's card: tab 3.2 for 11 (our 3.6 was older), 2.4 for 12
    body.runners[0].odds.oddzy.fixed_win = 2.9;
    const moves = mergeGridPrices(seen, old, body, 1000);
    expect(body.runners[1].odds.tab.fixed_win).toBe(2.3);
    expect(body.runners[0].odds.tab.fixed_win).toBe(3.2);
    expect(moves).toEqual([
      { key: '11:oddzy:fixed_win', from: 3, price: 2.9 },
      { key: '11:tab:fixed_win', from: 3.6, price: 3.2 },
    ]);
  });
});

it('records a grid price that came before the card and puts it on the first answer', () => {
  const seen = createGridPrices();
  expect(applyGridPrice(seen, null, { race_id: 7, selection_id: 12, provider: 'tab', market: 'fixed_win', price: 2.2, ts: 100 }, 1500)).toBe(null);
  expect(applyGridPrice(seen, null, { race_id: 7, number: 1, provider: 'tab', market: 'fixed_win', price: 9, ts: 100 }, 1500)).toBe(null); // no selection id
  expect(applyGridPrice(seen, null, { race_id: 7, selection_id: 12, provider: 'tab', market: 'fixed_win', price: 2.9, ts: 99 }, 1600)).toBe(null); // older
  const body = card();
  expect(mergeGridPrices(seen, null, body, 1000)).toEqual([]);
  expect(body.runners[1].odds.tab.fixed_win).toBe(2.2);
  expect(body.runners[0].odds.tab.fixed_win).toBe(3.2);
});

it('formats exchange sizes short', () => {
  expect([formatSize(5.4), formatSize(120.4), formatSize(5400), formatSize(25000), formatSize(null)]).toEqual(['5', '120', '5.4k', '25k', '']);
});

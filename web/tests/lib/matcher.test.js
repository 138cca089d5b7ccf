// The odds matcher page's rules (src/lib/matcher.js): settings from the URL, API parameters,
// sorting, filtering, live messages, the calculator link and the rating threshold.
import { describe, expect, it } from 'vitest';
import {
  apiParams,
  applyMatcherMessage,
  calcLink,
  clientFilters,
  createThresholdWatch,
  filterRows,
  filtersQuery,
  liveFilter,
  MATCHER_DEFAULTS,
  MATCHER_LIMIT,
  matcherSubscription,
  readFilters,
  rowKey,
  sortRows,
  thresholdCrossings,
  topRows,
} from '../../src/lib/matcher.js';

const NOW = 1_700_000_000;
function row(race_id, selection_id, bookmaker, back, lay, rating, extra = {}) {
  return {
    key: `${race_id}.${selection_id}.${bookmaker}`,
    race_id,
    selection_id,
    number: selection_id % 100,
    runner: `Runner ${selection_id}`,
    venue: 'Randwick',
    race_type: 'thoroughbred',
    start: NOW + 600,
    bookmaker,
    back,
    lay,
    lay_size: 100,
    stake: 10,
    commission: 5,
    type: 'qualifying',
    rating,
    ...extra,
  };
}
const ROWS = [
  row(1, 101, 'neds', 3.2, 3.3, 96.1),
  row(1, 102, 'ladbrokes', 5.0, 5.4, 91.5, { lay_size: 12 }),
  row(2, 201, 'neds', 2.1, 2.12, 98.7, { race_type: 'greyhound', venue: 'Wentworth Park', start: NOW + 3000 }),
  row(2, 202, 'tab-nz', 11, 12, 88.0, { lay_size: null, venue: 'Wentworth Park', race_type: 'greyhound', start: NOW + 3000 }),
];

describe('settings in the URL', () => {
  it('reads known fields, keeps defaults for missing or impossible values', () => {
    const f = readFilters({ stake: '25', type: 'snr', min_odds: 'abc', sort: 'nonsense', order: 'asc', bookmaker: 'Neds, TAB-NZ', junk: 'x' });
    expect(f).toEqual({ ...MATCHER_DEFAULTS, stake: '25', type: 'snr', order: 'asc', bookmaker: 'neds,tab-nz' });
    expect(readFilters({ type: 'lay-everything' }).type).toBe('qualifying');
    expect(readFilters({ stake: ['1', '2'] }).stake).toBe('10'); // a repeated parameter
  });

  it('writes only what differs from the defaults, and the API gets every set field', () => {
    const f = { ...MATCHER_DEFAULTS, stake: '25', min_rating: '95' };
    expect(filtersQuery(f)).toEqual({ stake: '25', min_rating: '95' });
    expect(filtersQuery(MATCHER_DEFAULTS)).toEqual({});
    expect(apiParams(f)).toEqual({ limit: 200, stake: '25', commission: '5', type: 'qualifying', min_rating: '95', sort: 'rating', order: 'desc' });
    // a column the server does not sort by: sorted on the page only
    expect(apiParams({ ...f, sort: 'bookmaker', order: 'asc' })).toEqual({ limit: 200, stake: '25', commission: '5', type: 'qualifying', min_rating: '95' });
  });
});

describe('sorting', () => {
  it('sorts numbers and names either way, missing values last', () => {
    expect(sortRows(ROWS, 'rating', 'desc').map((r) => r.rating)).toEqual([98.7, 96.1, 91.5, 88.0]);
    expect(sortRows(ROWS, 'back', 'asc').map((r) => r.back)).toEqual([2.1, 3.2, 5.0, 11]);
    expect(sortRows(ROWS, 'bookmaker', 'asc').map((r) => r.bookmaker)).toEqual(['ladbrokes', 'neds', 'neds', 'tab-nz']);
    expect(sortRows(ROWS, 'lay_size', 'desc').map((r) => r.lay_size)).toEqual([100, 100, 12, null]);
    expect(sortRows(ROWS, 'lay_size', 'asc').map((r) => r.lay_size)).toEqual([12, 100, 100, null]);
  });

  it('breaks ties by start time then key, and leaves its input alone', () => {
    const copy = [...ROWS];
    expect(sortRows(ROWS, 'bookmaker', 'desc').map(rowKey)).toEqual(['2.202.tab-nz', '1.101.neds', '2.201.neds', '1.102.ladbrokes']);
    expect(ROWS).toEqual(copy);
  });
});

describe('filters', () => {
  const f = (x) => ({ ...MATCHER_DEFAULTS, ...x });
  it('by odds range, minutes to start, bookmakers, race type, rating and lay liquidity', () => {
    const keys = (x) => filterRows(ROWS, f(x), NOW).map(rowKey);
    expect(keys({ min_odds: '3', max_odds: '5' })).toEqual(['1.101.neds', '1.102.ladbrokes']);
    expect(keys({ minutes: '30' })).toEqual(['1.101.neds', '1.102.ladbrokes']);
    expect(keys({ bookmaker: 'neds,tab-nz' })).toEqual(['1.101.neds', '2.201.neds', '2.202.tab-nz']);
    expect(keys({ race_type: 'greyhound' })).toEqual(['2.201.neds', '2.202.tab-nz']);
    expect(keys({ min_rating: '95' })).toEqual(['1.101.neds', '2.201.neds']);
    expect(keys({ min_liquidity: '50' })).toEqual(['1.101.neds', '2.201.neds']);
    expect(keys({ min_rating: '99.5' })).toEqual([]); // nothing matches: an empty list
  });
});

describe('the server-side filter of live rows', () => {
  const f = (x) => ({ ...MATCHER_DEFAULTS, ...x });
  it('sends every filter the server can apply, as src/live/matcher_filter.c reads them', () => {
    const all = f({ bookmaker: 'neds,TAB-NZ', race_type: 'greyhound', min_odds: '2', max_odds: '8.5', minutes: '30', min_liquidity: '50', min_rating: '95' });
    expect(liveFilter(all)).toEqual({ bookmaker: ['neds', 'tab-nz'], race_type: 'greyhound', min_odds: 2, max_odds: 8.5, minutes: 30, min_liquidity: 50, min_rating: 95 });
    expect(matcherSubscription(all)).toEqual({ topic: 'matcher', filter: liveFilter(all) });
    expect(matcherSubscription(f({}))).toEqual({ topic: 'matcher' });
    // nothing is left for the page to check itself
    expect(liveFilter(clientFilters(all))).toEqual({});
  });

  it('keeps the rating on the page when the published rating is not the user\'s, and leaves out what the API refuses', () => {
    for (const x of [{ stake: '25' }, { commission: '2' }, { type: 'snr' }]) {
      expect(liveFilter(f({ ...x, min_rating: '95' }))).toEqual({});
      expect(clientFilters(f({ ...x, min_rating: '95' })).min_rating).toBe('95');
    }
    expect(liveFilter(f({ min_odds: '1', max_odds: '2000', minutes: '2.5', min_liquidity: '-1' }))).toEqual({});
    expect(liveFilter(f({ min_odds: '5', max_odds: '3' }))).toEqual({});
  });
});

describe('live rows', () => {
  const f = { ...MATCHER_DEFAULTS };
  it("replaces one runner's rows with the message's (filtered by the server)", () => {
    const msg = { race_id: 1, selection_id: 101, rows: [row(1, 101, 'neds', 3.4, 3.45, 97.2)], removed: [] };
    const { rows, refetch } = applyMatcherMessage(ROWS, msg, { ...f, bookmaker: 'neds,ladbrokes' }, NOW);
    expect(refetch).toBe(false);
    expect(rows.map((r) => [rowKey(r), r.rating])).toEqual([
      ['1.102.ladbrokes', 91.5],
      ['2.201.neds', 98.7],
      ['2.202.tab-nz', 88.0], // already shown; the filter is the server's when it was fetched
      ['1.101.neds', 97.2],
    ]);
  });

  it('checks on the page only the filters the server did not apply', () => {
    const live = (rating, snr) => row(1, 101, 'neds', 3.4, 3.45, rating, { bets: { qualifying: { rating }, snr: { rating: snr } } });
    // free bet (SNR) figures: the server judged the qualifying rating, the page judges SNR's
    const snr = { ...f, type: 'snr', min_rating: '70' };
    expect(applyMatcherMessage([], { race_id: 1, selection_id: 101, rows: [live(97.2, 72.5)] }, snr, NOW).rows.map((r) => r.rating)).toEqual([72.5]);
    expect(applyMatcherMessage([], { race_id: 1, selection_id: 101, rows: [live(97.2, 65)] }, snr, NOW).rows).toEqual([]);
    // a bookmaker the server was asked to filter by is not checked again
    expect(applyMatcherMessage([], { race_id: 1, selection_id: 101, rows: [live(97.2, 72.5)] }, { ...f, bookmaker: 'tab-nz' }, NOW).rows).toHaveLength(1);
  });

  it('keeps the first MATCHER_LIMIT rows in the order the API picks them', () => {
    const many = Array.from({ length: MATCHER_LIMIT + 5 }, (_, i) => row(3, 300 + i, 'neds', 3, 3.1, 50 + i / 10));
    const kept = topRows(many, { ...f, sort: 'bookmaker', order: 'asc' }); // a page-only sort: the API's is by rating
    expect(kept).toHaveLength(MATCHER_LIMIT);
    expect(kept[0].rating).toBe(many[many.length - 1].rating);
    expect(Math.min(...kept.map((r) => r.rating))).toBe(many[5].rating);
  });

  it('drops a closed race and rows named as removed', () => {
    expect(applyMatcherMessage(ROWS, { race_id: 2, selection_id: null, rows: [], removed: ['2.201.neds'] }, f, NOW).rows.map(rowKey)).toEqual(['1.101.neds', '1.102.ladbrokes']);
    expect(applyMatcherMessage(ROWS, { race_id: 1, selection_id: 102, rows: [], removed: ['1.102.ladbrokes'] }, f, NOW).rows.map(rowKey)).toEqual(['1.101.neds', '2.201.neds', '2.202.tab-nz']);
  });

  it("shows the user's bet type, and asks the API when the stake or commission differ", () => {
    const live = row(1, 101, 'neds', 3.4, 3.45, 97.2, { bets: { qualifying: { rating: 97.2, lay_stake: 9.84 }, snr: { rating: 72.5, lay_stake: 7.1 } } });
    const { rows } = applyMatcherMessage([], { race_id: 1, selection_id: 101, rows: [live] }, { ...f, type: 'snr' }, NOW);
    expect(rows[0]).toMatchObject({ rating: 72.5, lay_stake: 7.1, type: 'snr' });
    expect(applyMatcherMessage(ROWS, { race_id: 1, selection_id: 101, rows: [live] }, { ...f, stake: '50' }, NOW)).toEqual({ rows: ROWS, refetch: true });
    expect(applyMatcherMessage(ROWS, null, f, NOW)).toEqual({ rows: ROWS, refetch: false });
  });
});

it('links a row to the matched-bet calculator with the user settings', () => {
  expect(calcLink(ROWS[0], { ...MATCHER_DEFAULTS, stake: '25', type: 'sr' })).toEqual({
    path: '/calc',
    query: { calc: 'matched', back: '3.2', lay: '3.3', stake: '25', commission: '5', type: 'sr' },
  });
});

describe('rating threshold', () => {
  it('counts every row at or above it on the first check after the alert is turned on', () => {
    const w = createThresholdWatch();
    expect(thresholdCrossings(w, ROWS, '95').map(rowKey)).toEqual(['1.101.neds', '2.201.neds']);
    expect(thresholdCrossings(w, ROWS, '95')).toEqual([]); // nothing new
  });

  it('fires when a row rises through it or a new row arrives above it, not while it stays above', () => {
    const w = createThresholdWatch();
    thresholdCrossings(w, ROWS, '95');
    const next = ROWS.map((r) => (rowKey(r) === '1.102.ladbrokes' ? { ...r, rating: 95 } : r)).concat([row(3, 301, 'neds', 4, 4.1, 99)]);
    expect(thresholdCrossings(w, next, '95').map(rowKey)).toEqual(['1.102.ladbrokes', '3.301.neds']);
    // falls back under, then passes again
    thresholdCrossings(w, next.map((r) => (rowKey(r) === '1.102.ladbrokes' ? { ...r, rating: 94.99 } : r)), '95');
    expect(thresholdCrossings(w, next, '95').map(rowKey)).toEqual(['1.102.ladbrokes']);
  });

  it('does nothing without a threshold', () => {
    expect(thresholdCrossings(createThresholdWatch(), ROWS, '')).toEqual([]);
  });
});

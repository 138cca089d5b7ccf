// The race card's odds comparison grid (no Vue): providers as columns, runners as rows, the
// best fixed price marked, market percentages in the footer, and live prices of every provider.
//
// The card answers each runner's `odds` ({provider: {market: price}}) and, from the exchange,
// `exchange` ({provider: {back: [{price, size}], lay: [...], last_traded, traded_volume}}).
// Live `updatePrice` events change one cell; a scratching takes a runner out of the
// percentages at once. The percentages and best prices are worked out here from the cells the
// page shows (the card's own `comparison` is the same sum, odz_compare_percentage in
// src/racing/compare.c, but says nothing about a live price that arrived after it).
import { isScratched, OUR_PROVIDER, sortRunners } from './racing.js';

export const KINDS = [
  { key: 'win', label: 'Win' },
  { key: 'place', label: 'Place' },
];
export const GRID_MARKETS = ['fixed_win', 'fixed_place', 'tote_win', 'tote_place', 'exchange_back', 'exchange_lay'];

/** An exchange's place market is a provider of its own, named "<exchange>_place" (betfair_place). */
const PLACE_SUFFIX = '_place';

function isExchangeProvider(cards, p) {
  return cards.some((r) => r.odds?.[p]?.exchange_back !== undefined || r.odds?.[p]?.exchange_lay !== undefined || r.exchange?.[p]);
}

/** Columns of the grid for kind 'win' or 'place': [{ key, provider, market, label, group }],
 * group 'fixed' (each bookmaker, ours first, then by name), 'tote', 'back' and 'lay' (the
 * exchange's win market for 'win', its place market for 'place'). Only providers that price a
 * runner of the card have a column. */
export function gridColumns(card, kind = 'win') {
  const runners = card?.runners || [];
  const providers = new Set();
  for (const r of runners) for (const p of Object.keys(r.odds || {})) providers.add(p);
  for (const r of runners) for (const p of Object.keys(r.exchange || {})) providers.add(p);
  for (const c of card?.comparison?.providers || []) providers.add(c.provider);
  const names = [...providers].sort((a, b) => (a === OUR_PROVIDER ? -1 : b === OUR_PROVIDER ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const has = (p, m) => runners.some((r) => typeof r.odds?.[p]?.[m] === 'number');
  const fixed = `fixed_${kind}`;
  const tote = `tote_${kind}`;
  const cols = [];
  const exchanges = names.filter((p) => isExchangeProvider(runners, p));
  for (const p of names) if (!exchanges.includes(p) && has(p, fixed)) cols.push({ key: `${p}:${fixed}`, provider: p, market: fixed, label: p, group: 'fixed' });
  for (const p of names) if (has(p, tote)) cols.push({ key: `${p}:${tote}`, provider: p, market: tote, label: p, group: 'tote' });
  for (const p of exchanges) {
    if (p.endsWith(PLACE_SUFFIX) !== (kind === 'place')) continue;
    const name = kind === 'place' ? p.slice(0, -PLACE_SUFFIX.length) : p;
    cols.push({ key: `${p}:exchange_back`, provider: p, market: 'exchange_back', label: `${name} back`, group: 'back' });
    cols.push({ key: `${p}:exchange_lay`, provider: p, market: 'exchange_lay', label: `${name} lay`, group: 'lay' });
  }
  return cols;
}

/** Decimal odds -> hundredths, as the server keeps them. */
function hundredths(price) {
  return Math.round(price * 100);
}

/** Market percentage of a list of prices (null for none): the sum of 100 / price over the
 * prices above 1.00, to the hundredth, rounded half up on the same integer steps as the
 * server's card (each term truncated to 1e-6 %), and how many prices that is. */
export function bookPercentage(prices) {
  let sum = 0;
  let used = 0;
  for (const p of prices) {
    if (typeof p !== 'number' || !Number.isFinite(p)) continue;
    const h = hundredths(p);
    if (h <= 100) continue;
    sum += Math.floor(1e10 / h);
    used++;
  }
  if (!used) return null;
  return { percentage: Math.floor((sum + 5000) / 10000) / 100, runners: used };
}

/** A runner's price in a column, null when none or scratched. */
export function cellPrice(r, col) {
  if (isScratched(r)) return null;
  const v = r.odds?.[col.provider]?.[col.market];
  return typeof v === 'number' && v > 0 ? v : null;
}

/** The exchange's offers behind an exchange cell: up to three { price, size } (best first),
 * and the size at the shown price (null when the ladder is older than a live price). */
export function exchangeDepth(r, col) {
  const ex = r.exchange?.[col.provider];
  const side = col.market === 'exchange_back' ? ex?.back : col.market === 'exchange_lay' ? ex?.lay : null;
  const levels = Array.isArray(side) ? side.filter((l) => l && typeof l.price === 'number').slice(0, 3) : [];
  const price = cellPrice(r, col);
  const top = levels[0];
  return { levels, size: top && price !== null && top.price === price && typeof top.size === 'number' ? top.size : null };
}

/** The best fixed price of a runner over the given columns: { price, provider } (the highest;
 * ties to the provider first by name, as the server's card), or null. */
export function bestPrice(r, cols) {
  let best = null;
  for (const c of cols) {
    if (c.group !== 'fixed') continue;
    const p = cellPrice(r, c);
    if (p === null) continue;
    if (!best || p > best.price || (p === best.price && c.provider < best.provider)) best = { price: p, provider: c.provider };
  }
  return best;
}

/** The grid: { columns, rows: [{ runner, cells: [{ col, price, best, size, levels }], best }],
 * footer: [percentage per column], bestBook } for kind 'win' or 'place'. A cell is marked best
 * when it is a bookmaker's price equal to the runner's best. Scratched runners come last, with
 * no prices, outside every percentage. */
export function buildGrid(card, kind = 'win') {
  const columns = gridColumns(card, kind);
  const rows = sortRunners(card?.runners).map((runner) => {
    const best = bestPrice(runner, columns);
    const cells = columns.map((col) => {
      const price = cellPrice(runner, col);
      const ex = col.group === 'back' || col.group === 'lay' ? exchangeDepth(runner, col) : { levels: [], size: null };
      return { col, price, best: col.group === 'fixed' && best !== null && price === best.price, size: ex.size, levels: ex.levels };
    });
    return { runner, cells, best };
  });
  const footer = columns.map((_, i) => bookPercentage(rows.map((r) => r.cells[i].price)));
  const bestBook = bookPercentage(rows.map((r) => r.best?.price));
  return { columns, rows, footer, bestBook };
}

/** The live prices a grid has seen: "selection:provider:market" -> { price, ts, at } (`at`:
 * when the page received it, to compare with when a card was asked for). One per shown race. */
export function createGridPrices() {
  return new Map();
}

function cellKey(selectionId, provider, market) {
  return `${selectionId}:${provider}:${market}`;
}

/** Records a live grid price of selection `selectionId` in `seen` unless a newer point was
 * seen: { key, provider, price } (price null: no price), else null. */
function recordGridPrice(seen, selectionId, ev, at) {
  const provider = ev.provider || OUR_PROVIDER;
  const key = cellKey(selectionId, provider, ev.market);
  const ts = typeof ev.ts === 'number' ? ev.ts : 0;
  const was = seen.get(key);
  if (was && ts < was.ts) return null;
  const price = typeof ev.price === 'number' && ev.price > 1 ? ev.price : null;
  seen.set(key, { price, ts, at });
  return { key, provider, price };
}

/** An updatePrice event on the grid of `card` (changed in place): the price of one provider's
 * market for one runner, unless the runner is scratched or a newer point (`ts`) was already
 * seen; a price that is not a number above 1 takes the cell away; an exchange price with a
 * `size` becomes the top of that side's ladder. `at` is the receipt time
 * (ms). Returns { key, selection_id, provider, market, from, price } when a cell changed,
 * else null. An event without a provider is our own. Before the card has come (`card` null:
 * the subscription was answered first), a price naming its selection id is only recorded, for
 * mergeGridPrices to put on the card's first answer. */
export function applyGridPrice(seen, card, ev, at) {
  if (!ev || !GRID_MARKETS.includes(ev.market)) return null;
  if (!card) {
    if (Number.isInteger(ev.selection_id)) recordGridPrice(seen, ev.selection_id, ev, at);
    return null;
  }
  const runners = card.runners || [];
  const r = runners.find((x) => x.selection_id === ev.selection_id) || runners.find((x) => x.number === ev.number);
  if (!r || isScratched(r)) return null;
  const rec = recordGridPrice(seen, r.selection_id, ev, at);
  if (!rec) return null;
  const { key, provider, price } = rec;
  if (!r.odds) r.odds = {};
  const from = r.odds[provider]?.[ev.market] ?? null;
  if (price === null) {
    if (r.odds[provider]) delete r.odds[provider][ev.market];
  } else (r.odds[provider] ||= {})[ev.market] = price;
  if (price !== null && typeof ev.size === 'number' && ev.market.startsWith('exchange_')) topOfBook(r, provider, ev.market, price, ev.size);
  if (from === price) return null;
  return { key, selection_id: r.selection_id, provider, market: ev.market, from, price };
}

/** An exchange price event with its size ("size": the money at that price) puts the offer on
 * top of the runner's ladder; the levels behind it that are still worse stay (the next card
 * brings the whole ladder). */
function topOfBook(r, provider, market, price, size) {
  const ex = ((r.exchange ||= {})[provider] ||= {});
  const back = market === 'exchange_back';
  const side = back ? 'back' : 'lay';
  const rest = (Array.isArray(ex[side]) ? ex[side] : []).filter((l) => l && (back ? l.price < price : l.price > price));
  ex[side] = [{ price, size }, ...rest].slice(0, 3);
}

/** A re-fetched card `body` (changed in place) about to replace `old`: a live price received
 * at or after `askedAt` (ms, when the card was asked for) may be newer than the card and is
 * kept (never on a scratched runner). Returns the cells that moved from `old` otherwise,
 * [{ key, from, price }], for the flash. */
export function mergeGridPrices(seen, old, body, askedAt) {
  const moves = [];
  const oldRunners = new Map((old?.runners || []).map((r) => [r.selection_id, r]));
  const bodyRunners = new Map((body?.runners || []).map((r) => [r.selection_id, r]));
  for (const [key, l] of seen) {
    if (l.at < askedAt) continue;
    const [sel, provider, market] = key.split(':');
    const r = bodyRunners.get(Number(sel));
    if (!r || isScratched(r)) continue;
    if (!r.odds) r.odds = {};
    if (l.price === null) {
      if (r.odds[provider]) delete r.odds[provider][market];
    } else (r.odds[provider] ||= {})[market] = l.price;
  }
  for (const r of body?.runners || []) {
    const o = oldRunners.get(r.selection_id);
    if (!o || isScratched(r)) continue;
    for (const [provider, markets] of Object.entries(r.odds || {}))
      for (const [market, price] of Object.entries(markets)) {
        const from = o.odds?.[provider]?.[market];
        if (typeof from === 'number' && from !== price) moves.push({ key: cellKey(r.selection_id, provider, market), from, price });
      }
  }
  return moves;
}

/** "2.5k" style sizes for exchange offers (currency units, whole above 100). */
export function formatSize(size) {
  if (typeof size !== 'number' || !Number.isFinite(size)) return '';
  if (size >= 10000) return `${Math.round(size / 1000)}k`;
  if (size >= 1000) return `${(size / 1000).toFixed(1)}k`;
  return size >= 100 ? String(Math.round(size)) : size.toFixed(0);
}

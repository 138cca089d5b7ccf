// The race card's live rules (no Vue): which live prices the page shows, and how a re-fetched
// card is merged with what live events said meanwhile.
//
// updatePrice comes from every provider: our own price updater ("oddzy", fixed win and place)
// and the racing source (tote, and its own fixed odds). Like the server's race card, the page
// shows our fixed odds when we price the runner and another provider's only when we do not,
// and never lets an older point (a source's price history arriving late) replace a newer one.
import { applyRaceEvent, isScratched, keepLaterRace, laterStatus, MARKETS, OUR_PROVIDER } from './racing.js';

/** True for our own provider (an event without a provider is ours). */
export function isOurProvider(provider) {
  return !provider || provider === OUR_PROVIDER;
}

/** What the page does with a live price (acceptPrice): show it, drop it, or drop it and ask
 * the server for the card. */
export const PRICE_SHOW = 'show';
export const PRICE_DROP = 'drop';
export const PRICE_ASK = 'ask';

/** The live prices one race card has seen: "selection:market" -> { ours, ts, price }, and
 * whether our own provider prices the race; and the raceUpdated events that came before the
 * card (`early`, keepEarlyRaceEvent). One per shown race (a new race: a new one). */
export function createLivePrices() {
  return { seen: new Map(), oursInRace: false, early: [] };
}

/** The raceUpdated events kept before the card comes: the latest this many. */
export const EARLY_RACE_MAX = 64;

/** A raceUpdated event that comes before the race card (the subscription was answered first):
 * kept for mergeFresh to put on the card's first answer, which may predate it. */
export function keepEarlyRaceEvent(lp, ev) {
  if (!ev || !ev.race_id) return;
  lp.early.push(ev);
  if (lp.early.length > EARLY_RACE_MAX) lp.early.shift();
}

function priceKey(selectionId, market) {
  return `${selectionId}:${market}`;
}

/** An updatePrice event the card can show: a numeric price in one of its markets. */
export function isPriceEvent(ev) {
  return !!ev && typeof ev.price === 'number' && MARKETS.some((m) => m.key === ev.market);
}

/** The card's runner an event names, by selection id or else by number; null if none. */
export function findRunner(card, ev) {
  const runners = card.runners || [];
  return runners.find((x) => x.selection_id === ev.selection_id) || runners.find((x) => x.number === ev.number) || null;
}

/** Decides what to do with a live price for runner `r` and records the accepted ones in `lp`:
 * our provider's prices and every tote price are shown unless older (`ts`) than one already
 * seen for that runner and market; another provider's fixed odds are never shown live (they
 * may be late history points): PRICE_ASK while we do not price the race, else PRICE_DROP. */
export function acceptPrice(lp, r, ev) {
  const k = priceKey(r.selection_id, ev.market);
  const seen = lp.seen.get(k);
  const ours = isOurProvider(ev.provider);
  const ts = typeof ev.ts === 'number' ? ev.ts : 0;
  if (ours) lp.oursInRace = true;
  else if (ev.market.startsWith('fixed_')) return lp.oursInRace ? PRICE_DROP : PRICE_ASK;
  if (seen && ts < seen.ts) return PRICE_DROP;
  lp.seen.set(k, { ours, ts, price: ev.price });
  return PRICE_SHOW;
}

/** A live price that comes before its race card (the subscription was answered first): recorded
 * by its selection id as acceptPrice records one, for mergeFresh to put on the card's first
 * answer where it is newer than the card's own. True when recorded. */
export function acceptEarlyPrice(lp, ev) {
  if (!isPriceEvent(ev) || !Number.isInteger(ev.selection_id)) return false;
  return acceptPrice(lp, { selection_id: ev.selection_id }, ev) === PRICE_SHOW;
}

/** Puts an accepted live price on runner `r`; returns the price it moved from (the shown one,
 * else the event's `previous`), for priceMove. */
export function showPrice(r, ev) {
  if (!r.prices) r.prices = {};
  const shown = r.prices[ev.market];
  const before = typeof shown === 'number' && shown > 0 ? shown : ev.previous;
  r.prices[ev.market] = ev.price;
  return before;
}

/** 'shorten' or 'drift' when a price moved between two real prices, else null. */
export function priceMove(before, price) {
  if (!(typeof before === 'number' && before > 0 && typeof price === 'number' && price > 0 && before !== price)) return null;
  return price < before ? 'shorten' : 'drift';
}

/** A live price `l` beats the card's when it was set at or after the card's (`price_ts` per
 * market; the card may be a view built before the latest price, however long ago that was). */
export function liveIsNewer(l, r, market) {
  const cardTs = r.price_ts?.[market];
  return typeof cardTs !== 'number' || l.ts >= cardTs;
}

/** The runners of `card` with these numbers scratched (a raceUpdated event's `scratched`). */
function markScratched(card, numbers) {
  if (!Array.isArray(numbers)) return;
  for (const n of numbers) {
    const s = (card.runners || []).find((x) => x.number === n);
    if (s && !isScratched(s)) s.is_scratched = true;
  }
}

/** A raceUpdated event's status on the card's list of the meeting's races (only forward). */
function meetingRaceStatus(card, ev) {
  const mr = card.meeting?.races?.find((x) => x.race_id === ev.race_id);
  if (mr && ev.status) mr.status = laterStatus(mr.status, ev.status);
}

/** A raceUpdated event kept before the card, on its first answer: only what cannot go back (a
 * later status, results where it has none, scratchings), since the card may be the newer. */
function applyEarlyRaceEvent(card, ev) {
  meetingRaceStatus(card, ev);
  if (!card.race || card.race.race_id !== ev.race_id) return;
  keepLaterRace({ status: ev.status, results: Array.isArray(ev.results) ? ev.results : [] }, card.race);
  markScratched(card, ev.scratched);
}

/** A re-fetched card `body` (changed in place) about to replace `old` (null: the first answer):
 * keeps what live events said more recently than the card knew (prices newer than its
 * `price_ts`, except on scratched runners; a later status and the results with it; on the
 * first answer, the raceUpdated events kept before it). Returns the prices that moved from
 * `old` without a newer live price, [{ selection_id, market, dir, from }], for the flash. */
export function mergeFresh(lp, old, body) {
  if (!old) {
    for (const ev of lp.early) applyEarlyRaceEvent(body, ev);
    lp.early.length = 0;
  }
  const moves = [];
  const oldRunners = new Map((old?.runners || []).map((r) => [r.selection_id, r]));
  for (const r of body.runners || []) {
    const o = oldRunners.get(r.selection_id);
    if (!r.prices) r.prices = {};
    for (const m of MARKETS) {
      const l = lp.seen.get(priceKey(r.selection_id, m.key));
      if (l && !isScratched(r) && liveIsNewer(l, r, m.key)) r.prices[m.key] = l.price;
      else if (o && o.prices) {
        const dir = priceMove(o.prices[m.key], r.prices[m.key]);
        if (dir) moves.push({ selection_id: r.selection_id, market: m.key, dir, from: o.prices[m.key] });
      }
    }
  }
  if (body.race && old?.race) keepLaterRace(old.race, body.race);
  return moves;
}

/** A raceUpdated event applied to the shown card of race `raceId`: the meeting's race list
 * gets a later status, and for the card's own race the race event and scratched runners.
 * True when the event is about the card's race (what it lacks, such as dividends, scratching
 * times and deductions, is in the card only: fetch it again). */
export function applyCardEvent(card, raceId, ev) {
  meetingRaceStatus(card, ev);
  if (ev.race_id !== raceId) return false;
  applyRaceEvent(card.race, ev);
  markScratched(card, ev.scratched);
  return true;
}

/** Where a race card leads when its race was retired into another (an exchange market stored
 * apart that later matched a bookmaker's race: `merged_into` in GET /api/racing/racecard):
 * that race's id, or null to show this card. Never the same race; only a positive integer. */
export function mergedTarget(body, raceId) {
  const to = body && body.merged_into;
  return Number.isInteger(to) && to > 0 && to !== raceId ? to : null;
}

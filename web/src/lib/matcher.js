// The odds matcher page's rules (no Vue): its settings in the URL, the API's parameters,
// sorting and filtering of rows, live row messages, the link to the matched-bet calculator and
// when a row passes the user's rating threshold.
//
// A row (GET /api/oddsmatcher, and live `matcherRows` on Socket.IO /odds) is a runner at one
// bookmaker: { key, race_id, selection_id, number, runner, venue, race_number, race_type,
// start, bookmaker, back, lay, lay_size, stake, commission, type, rating, lay_stake,
// liability, back_wins, lay_wins, bets: { qualifying|snr|sr: {...} }, arbitrage }.

export const BET_TYPES = [
  { key: 'qualifying', label: 'Qualifying' },
  { key: 'snr', label: 'Free bet (SNR)' },
  { key: 'sr', label: 'Free bet (SR)' },
];

/** The settings and filters with their defaults (strings, as in form fields and the URL). */
export const MATCHER_DEFAULTS = Object.freeze({
  stake: '10',
  commission: '5',
  type: 'qualifying',
  min_odds: '',
  max_odds: '',
  minutes: '',
  bookmaker: '',
  race_type: '',
  min_rating: '',
  min_liquidity: '',
  sort: 'rating',
  order: 'desc',
});

/** Columns a table can be sorted by, with how to read them. */
export const SORT_KEYS = ['start', 'venue', 'runner', 'bookmaker', 'back', 'lay', 'lay_size', 'rating', 'lay_stake', 'liability'];
const TEXT_KEYS = new Set(['venue', 'runner', 'bookmaker']);
const NUMERIC = ['stake', 'commission', 'min_odds', 'max_odds', 'minutes', 'min_rating', 'min_liquidity'];

/** How many rows the page asks for. */
export const MATCHER_LIMIT = 200;

function num(v) {
  if (v === '' || v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Settings from a route query: every known field as a string, a default where the query has
 * none or a value that cannot be one (an unknown type, sort or order; text in a number). */
export function readFilters(query = {}) {
  const f = { ...MATCHER_DEFAULTS };
  for (const k of Object.keys(f)) {
    const v = query[k];
    if (typeof v !== 'string') continue;
    const t = v.trim().slice(0, 64);
    if (NUMERIC.includes(k) && t !== '' && num(t) === null) continue;
    f[k] = t;
  }
  if (!BET_TYPES.some((b) => b.key === f.type)) f.type = MATCHER_DEFAULTS.type;
  if (!SORT_KEYS.includes(f.sort)) f.sort = MATCHER_DEFAULTS.sort;
  if (f.order !== 'asc' && f.order !== 'desc') f.order = MATCHER_DEFAULTS.order;
  f.bookmaker = f.bookmaker.toLowerCase().replace(/\s+/g, '');
  return f;
}

/** The route query for settings `f`: only what differs from the defaults. */
export function filtersQuery(f) {
  const q = {};
  for (const [k, d] of Object.entries(MATCHER_DEFAULTS)) if (f[k] !== undefined && String(f[k]).trim() !== d) q[k] = String(f[k]).trim();
  return q;
}

/** The columns the server sorts by (the others are sorted here only). */
const SERVER_SORTS = new Set(['rating', 'start', 'back', 'lay', 'lay_size', 'liability']);

/** GET /api/oddsmatcher's parameters for settings `f` (empty filters left out; the sort the
 * server knows, so that its `limit` keeps the rows shown first, else its default). */
export function apiParams(f) {
  const p = { limit: MATCHER_LIMIT };
  for (const k of Object.keys(MATCHER_DEFAULTS)) {
    const v = String(f[k] ?? '').trim();
    if (v !== '') p[k] = v;
  }
  if (!SERVER_SORTS.has(p.sort)) {
    delete p.sort;
    delete p.order;
  }
  return p;
}

/** A row's identity: its "key" ("race.selection.bookmaker") or one made the same way. */
export function rowKey(row) {
  return row.key || `${row.race_id}.${row.selection_id}.${row.bookmaker}`;
}

/** Rows sorted by `key` ('asc' or 'desc'), a new array; rows without the value last, ties by
 * start time then row key so the order does not jump between updates. */
export function sortRows(rows, key = 'rating', order = 'desc') {
  const dir = order === 'asc' ? 1 : -1;
  const text = TEXT_KEYS.has(key);
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const xm = x === null || x === undefined || x === '';
    const ym = y === null || y === undefined || y === '';
    if (xm !== ym) return xm ? 1 : -1;
    if (!xm) {
      const c = text ? String(x).localeCompare(String(y)) : x - y;
      if (c) return c * dir;
    }
    return (a.start || 0) - (b.start || 0) || (rowKey(a) < rowKey(b) ? -1 : rowKey(a) > rowKey(b) ? 1 : 0);
  });
}

/** The rows that pass settings `f`'s filters at `nowSec`: back odds within min_odds..max_odds,
 * starting within `minutes`, one of the bookmakers (comma-separated), the race type, a rating
 * of at least min_rating, at least min_liquidity offered at the lay price. What the server
 * applies to GET /api/oddsmatcher and to live rows; the page applies only what it did not
 * (clientFilters). */
export function filterRows(rows, f, nowSec) {
  const minOdds = num(f.min_odds);
  const maxOdds = num(f.max_odds);
  const minutes = num(f.minutes);
  const minRating = num(f.min_rating);
  const minLiq = num(f.min_liquidity);
  const books = (f.bookmaker || '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return rows.filter(
    (r) =>
      (minOdds === null || r.back >= minOdds) &&
      (maxOdds === null || r.back <= maxOdds) &&
      (minutes === null || typeof nowSec !== 'number' || r.start - nowSec <= minutes * 60) &&
      (!books.length || books.includes(String(r.bookmaker).toLowerCase())) &&
      (!f.race_type || r.race_type === f.race_type) &&
      (minRating === null || r.rating >= minRating) &&
      (minLiq === null || (typeof r.lay_size === 'number' && r.lay_size >= minLiq)),
  );
}

/** A row as the user's bet type sees it: the figures of `bets[type]` when the row has them. */
export function rowFor(row, type) {
  const b = row.bets?.[type];
  return b ? { ...row, ...b, type } : row;
}

/** A live matcherRows message ({ race_id, selection_id, rows, removed }: every current row of
 * one runner that passed the subscription's filter on the server, or selection_id null and no
 * rows for a race that closed) on the shown `rows`. Returns { rows, refetch }: the new list
 * (the runner's or race's old rows dropped, its new rows added, seen as the user's bet type and
 * checked against the filters the server did not apply, clientFilters), or refetch true and `rows`
 * unchanged when the message's rows were worked out for another stake or commission than the
 * user's (then the page asks the API). */
export function applyMatcherMessage(rows, msg, f, nowSec) {
  if (!msg || typeof msg.race_id !== 'number') return { rows, refetch: false };
  const fresh = Array.isArray(msg.rows) ? msg.rows.filter((r) => r && typeof r === 'object') : [];
  if (fresh.some((r) => r.stake !== num(f.stake) || r.commission !== num(f.commission))) return { rows, refetch: true };
  const gone = (r) => r.race_id === msg.race_id && (msg.selection_id === null || msg.selection_id === undefined || r.selection_id === msg.selection_id);
  const removed = new Set(Array.isArray(msg.removed) ? msg.removed : []);
  const kept = rows.filter((r) => !gone(r) && !removed.has(rowKey(r)));
  const added = filterRows(
    fresh.map((r) => rowFor(r, f.type)),
    clientFilters(f),
    nowSec,
  );
  return { rows: kept.concat(added), refetch: false };
}

/** The matched-bet calculator filled in with a row and the user's settings. */
export function calcLink(row, f) {
  return { path: '/calc', query: { calc: 'matched', back: String(row.back), lay: String(row.lay), stake: String(f.stake), commission: String(f.commission), type: f.type } };
}

/** What the rating alert has seen: row key -> rating at the last check. `null` before the
 * first check after the alert is turned on (then every row at or above counts as passing). */
export function createThresholdWatch() {
  return { ratings: null };
}

/** The rows that passed `threshold` since the last check: at or above it now, and below it or
 * not there at the last one. Records the ratings for the next check. */
export function thresholdCrossings(watch, rows, threshold) {
  const t = num(threshold);
  const before = watch.ratings;
  const now = new Map();
  const passed = [];
  for (const r of rows) {
    if (typeof r.rating !== 'number') continue;
    const k = rowKey(r);
    now.set(k, r.rating);
    if (t === null || r.rating < t) continue;
    const was = before ? before.get(k) : undefined;
    if (was === undefined || was < t) passed.push(r);
  }
  watch.ratings = now;
  return passed;
}

/** What live rows are worked out for (the racing service publishes them at GET
 * /api/oddsmatcher's defaults): a user with other figures gets its rows from the API. */
function publishedFigures(f) {
  return num(f.stake) === 10 && num(f.commission) === 5 && (f.type || 'qualifying') === 'qualifying';
}

/** The filters of settings `f` that the server applies to live rows itself, row by row (the
 * `filter` of a `matcher` subscription, src/live/matcher_filter.c; the same bounds as GET
 * /api/oddsmatcher's): bookmakers, race type, odds range, minutes to the start, lay liquidity,
 * and the rating when the published rating is the user's (10.00 at 5 %, qualifying). A value
 * the API would refuse is left out (the page shows the API's error then). */
export function liveFilter(f) {
  const out = {};
  const between = (k, lo, hi) => {
    const v = num(f[k]);
    if (v !== null && v >= lo && v <= hi) out[k] = v;
  };
  const books = (f.bookmaker || '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (books.length) out.bookmaker = books;
  if (f.race_type) out.race_type = f.race_type;
  between('min_odds', 1.01, 1000);
  between('max_odds', 1.01, 1000);
  if (out.min_odds && out.max_odds && out.min_odds > out.max_odds) {
    delete out.min_odds;
    delete out.max_odds;
  }
  const minutes = num(f.minutes);
  if (minutes !== null && Number.isInteger(minutes) && minutes >= 0 && minutes <= 10080) out.minutes = minutes;
  between('min_liquidity', 0, 1000000);
  if (publishedFigures(f)) between('min_rating', 0, 1000);
  return out;
}

/** The Socket.IO /odds subscription of the matcher page for settings `f`: the `matcher` topic
 * (matcherRows) with the filters the server applies (liveFilter). */
export function matcherSubscription(f) {
  const filter = liveFilter(f);
  return Object.keys(filter).length ? { topic: 'matcher', filter } : { topic: 'matcher' };
}

/** Settings `f` with only the filters the server did not apply to live rows (the rating of a
 * bet type or figures other than the published ones, a value liveFilter left out): what
 * applyMatcherMessage still checks on the page. */
export function clientFilters(f) {
  const sent = liveFilter(f);
  const rest = { ...f };
  for (const k of Object.keys(sent)) rest[k] = '';
  return rest;
}

/** The rows the page keeps: the first MATCHER_LIMIT in the order the API picks them (its sort
 * for settings `f`, else by rating), as GET /api/oddsmatcher's `limit` does; live rows of
 * runners beyond it would otherwise pile up. */
export function topRows(rows, f) {
  const p = apiParams(f);
  return sortRows(rows, p.sort || 'rating', p.order || 'desc').slice(0, MATCHER_LIMIT);
}

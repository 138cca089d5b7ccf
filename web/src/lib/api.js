// JSON API client for the Oddzy server. Every response's `now` re-syncs the clock.
import { syncClock } from './clock.js';
import { siteTimezone } from './format.js';

export class ApiError extends Error {
  constructor(message, status = 0, code = '') {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

async function getJson(path, { signal, timeoutMs = 15000 } = {}) {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  if (signal) signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let res;
  try {
    res = await fetch(path, { headers: { Accept: 'application/json' }, signal: ctl.signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ApiError(ctl.signal.aborted ? 'The server took too long to answer.' : 'Could not reach the Oddzy server.');
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener('abort', onAbort);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    const msg = (body && body.message) || `The server answered ${res.status}.`;
    throw new ApiError(msg, res.status, (body && body.error) || '');
  }
  if (!body || typeof body !== 'object') throw new ApiError('The server sent an unreadable answer.', res.status);
  if (typeof body.now === 'number') syncClock(body.now);
  return body;
}

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export async function getSchedule(date, type, opts) {
  const body = await getJson(`/api/racing/schedule${qs({ date, type })}`, opts);
  if (body.timezone) siteTimezone.value = body.timezone;
  if (!Array.isArray(body.groups)) body.groups = [];
  return body;
}

/** opts.fresh: a card that shows every event the server's view of it had heard of when the
 * request came (it waits for the build that has them), as a page needs once its live
 * subscription is acknowledged. */
export function getRacecard(raceId, { fresh, ...opts } = {}) {
  return getJson(`/api/racing/racecard${qs({ race_id: raceId, fresh: fresh ? 1 : undefined })}`, opts);
}

export async function getNext(limit, type, opts) {
  const body = await getJson(`/api/racing/next${qs({ limit, type })}`, opts);
  if (!Array.isArray(body.races)) body.races = [];
  return body;
}

export function getFlucs(raceId, opts) {
  return getJson(`/api/races/${encodeURIComponent(raceId)}/flucs`, opts);
}

// The calculators (/api/calc/matched, eachway, dutch, deduction); a 400's words come back as
// the ApiError's message.
export function getCalc(kind, params, opts) {
  return getJson(`/api/calc/${encodeURIComponent(kind)}${qs(params)}`, opts);
}

// The odds matcher: GET /api/oddsmatcher?stake=&commission=&type=&filters...&sort=&order=&limit=
// answering {"rows": [...]} (lib/matcher.js says what a row holds).
export async function getOddsMatcher(params, opts) {
  const body = await getJson(`/api/oddsmatcher${qs(params)}`, opts);
  if (!Array.isArray(body.rows)) body.rows = [];
  return body;
}

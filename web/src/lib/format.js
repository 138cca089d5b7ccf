// Formatting helpers: countdowns, prices, placings, dates in the site's time zone.
import { ref } from 'vue';

/** The racing day's time zone; the schedule response says which (default Sydney). */
export const siteTimezone = ref('Australia/Sydney');

export const RACE_TYPES = [
  { key: 'thoroughbred', label: 'Thoroughbred', plural: 'Thoroughbreds', rider: 'J' },
  { key: 'harness', label: 'Harness', plural: 'Harness', rider: 'D' },
  { key: 'greyhound', label: 'Greyhound', plural: 'Greyhounds', rider: '' },
];

export function raceTypeMeta(key) {
  return RACE_TYPES.find((t) => t.key === key) || { key, label: key || 'Racing', plural: key || 'Racing', rider: 'J' };
}

/** "4m 20s" under an hour, "2h 18m" over, "1d 3h" over a day; negative once overdue ("-1m 5s"). */
export function formatCountdown(secs) {
  if (!Number.isFinite(secs)) return '';
  const neg = secs < 0;
  let s = Math.abs(Math.trunc(secs));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  s %= 60;
  let out;
  if (d > 0) out = `${d}d ${h}h`;
  else if (h > 0) out = `${h}h ${m}m`;
  else if (m > 0) out = `${m}m ${s}s`;
  else out = `${s}s`;
  return neg ? `-${out}` : out;
}

/** Words for screen readers: "starts in 4m 20s" / "4m 20s overdue". */
export function countdownWords(secs) {
  if (!Number.isFinite(secs)) return '';
  return secs < 0 ? `${formatCountdown(-secs)} overdue` : `starts in ${formatCountdown(secs)}`;
}

export function formatPrice(p) {
  if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0) return '–';
  return p >= 100 ? p.toFixed(0) : p.toFixed(2);
}

/** Dividend amount in cents per $1 -> "$3.50". */
export function formatDividend(cents) {
  if (typeof cents !== 'number' || !Number.isFinite(cents)) return '–';
  return `$${(cents / 100).toFixed(2)}`;
}

export function ordinal(n) {
  const v = n % 100;
  if (v >= 11 && v <= 13) return `${n}th`;
  return n + ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th');
}

/** Results lines -> map of runner number -> { position, deadHeat } */
export function resultsByNumber(results) {
  const counts = {};
  for (const r of results || []) counts[r.position] = (counts[r.position] || 0) + 1;
  const out = {};
  for (const r of results || []) out[r.number] = { position: r.position, deadHeat: counts[r.position] > 1, margin: r.margin || '' };
  return out;
}

/** Badge text for a placing: "1st", dead heat "=1st". */
export function placingLabel(position, deadHeat) {
  return `${deadHeat ? '=' : ''}${ordinal(position)}`;
}

/** Placings of the first three positions: "5,6,2"; a dead heat joins numbers with "=" ("5=6,2"). */
export function placingsText(results, places = 3) {
  const byPos = new Map();
  for (const r of [...(results || [])].sort((a, b) => a.position - b.position || a.number - b.number)) {
    if (r.position > places) continue;
    if (!byPos.has(r.position)) byPos.set(r.position, []);
    byPos.get(r.position).push(r.number);
  }
  return [...byPos.values()].map((nums) => nums.join('=')).join(',');
}

const dtfCache = new Map();
function dtf(tz, opts) {
  const key = tz + JSON.stringify(opts);
  if (!dtfCache.has(key)) {
    try {
      dtfCache.set(key, new Intl.DateTimeFormat('en-AU', { timeZone: tz, ...opts }));
    } catch {
      dtfCache.set(key, new Intl.DateTimeFormat('en-AU', opts));
    }
  }
  return dtfCache.get(key);
}

/** "YYYY-MM-DD" of an epoch-seconds instant in the site's time zone. */
export function isoDateIn(epochSec, tz = siteTimezone.value) {
  const parts = dtf(tz, { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(epochSec * 1000));
  const get = (t) => parts.find((p) => p.type === t)?.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Add days to a "YYYY-MM-DD" calendar date. */
export function addDays(iso, n) {
  const [y, m, d] = iso.split('-').map(Number);
  const dt = new Date(Date.UTC(y, m - 1, d + n));
  return dt.toISOString().slice(0, 10);
}

export function isIsoDate(s) {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
}

/** Weekday name of a calendar date: "Saturday". */
export function weekdayName(iso, style = 'long') {
  return new Intl.DateTimeFormat('en-AU', { weekday: style, timeZone: 'UTC' }).format(new Date(`${iso}T12:00:00Z`));
}

/** "Thu 26 Nov" (with the year when it is not this year's) */
export function shortDate(iso) {
  if (!isIsoDate(iso)) return '';
  const d = new Date(`${iso}T12:00:00Z`);
  const opts = { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' };
  if (d.getUTCFullYear() !== new Date().getUTCFullYear()) opts.year = 'numeric';
  return new Intl.DateTimeFormat('en-AU', opts).format(d);
}

/** Local start time in the site time zone: "7:42 pm". */
export function startTime(epochSec) {
  if (!epochSec) return '';
  return dtf(siteTimezone.value, { hour: 'numeric', minute: '2-digit', hour12: true }).format(new Date(epochSec * 1000));
}

export function slugify(s) {
  return (
    String(s || '')
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'meeting'
  );
}

export function raceLink(meetingName, raceId) {
  return `/racing/${slugify(meetingName)}/${raceId}`;
}

export const STATUS_TEXT = {
  OPEN: 'OPEN',
  CLOSED: 'RACE CLOSED',
  INTERIM: 'INTERIM RESULTS',
  FINAL: 'FINAL RESULTS',
  ABANDONED: 'ABANDONED',
};

// End-to-end tests of the web front end: the real server (build/oddzy run, simulated racing at
// --speed 30) serving web/dist, driven in Debian's Chromium through playwright-core.
//
//   cd tests/e2e && npm ci && node --test web.test.mjs
//
// ODDZY_BIN overrides the server binary (default <repo>/build/oddzy); web/dist must be built
// (make web), or it is built here when web/node_modules is installed. Screenshots go to
// build/screenshots/ (ODDZY_SHOTS). The server (on a free loopback port, with a database in a
// temporary folder) is started in its own process group and that group is ended after the
// tests, on failure and on SIGTERM/SIGINT too; ODDZY_E2E_PIDFILE receives its pid so a caller
// (tests/integration/e2e_web.sh) can end it even if this process is killed outright.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { io } from 'socket.io-client';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = process.env.ODDZY_BIN || path.join(ROOT, 'build/oddzy');
const SHOTS = process.env.ODDZY_SHOTS || path.join(ROOT, 'build/screenshots');
const SPEED = 30;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CLOCK_START = '2026-06-10T06:00:00Z'; // 16:00 in Sydney: every race type is racing
// Headless Debian Chromium on a closed network: no sandbox as root (it cannot start one), and
// nothing that phones home or updates itself. playwright-core never downloads a browser.
const CHROMIUM_ARGS = [
  ...(process.getuid?.() === 0 || process.env.CHROMIUM_NO_SANDBOX ? ['--no-sandbox'] : []),
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const COUNTDOWN = /^-?(\d+d \d+h|\d+h \d+m|\d+m \d+s|\d+s)$/;

let server = null; // ChildProcess, leader of its own process group
let serverExited = null; // promise
let tmp = null;
let logPath = null;
let base = null;
let browser = null;
const consoleErrors = [];
const sockets = [];

function serverLog() {
  try {
    return fs.readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no server log)';
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function killServer(signal) {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  try {
    process.kill(-server.pid, signal); // the group we created with detached: true
  } catch {
    try {
      server.kill(signal);
    } catch {
      /* gone */
    }
  }
}

async function stopServer() {
  if (!server) return;
  killServer('SIGTERM');
  const done = await Promise.race([serverExited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    killServer('SIGKILL');
    await Promise.race([serverExited, sleep(2000)]);
  }
  // Anything else left in the group (children of the server).
  try {
    process.kill(-server.pid, 'SIGKILL');
  } catch {
    /* none left */
  }
  if (process.env.ODDZY_E2E_PIDFILE) fs.rmSync(process.env.ODDZY_E2E_PIDFILE, { force: true }); // ended: nothing to end later
}

async function api(p) {
  const res = await fetch(base + p);
  const body = await res.json();
  assert.ok(res.ok, `${p} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

function isoDateIn(epochSec, tz) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(epochSec * 1000));
}

async function newPage(viewport = DESKTOP, { permissions } = {}) {
  const ctx = await browser.newContext({ viewport, locale: 'en-AU' });
  if (permissions) await ctx.grantPermissions(permissions, { origin: base });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: uncaught ${e.message}`));
  return page;
}

async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

function ensureDist() {
  const index = path.join(ROOT, 'web/dist/index.html');
  if (fs.existsSync(index)) return;
  assert.ok(fs.existsSync(path.join(ROOT, 'web/node_modules')), 'web/dist is missing and web/node_modules too: run `make web` first');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: path.join(ROOT, 'web'), stdio: 'inherit' });
  assert.equal(r.status, 0, 'npm run build in web/ failed');
}

async function startServer() {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  fs.writeFileSync(logPath, `--- oddzy run on port ${port}\n`, { flag: 'a' });
  const log = fs.openSync(logPath, 'a');
  server = spawn(
    BIN,
    ['run', '--host', '127.0.0.1', '--port', String(port), '--db', path.join(tmp, `e2e-${port}.db`), '--speed', String(SPEED), '--seed', '42',
      // a pinned simulated clock: the same racing whatever the hour the test runs at
      '--clock-start', process.env.ODDZY_CLOCK_START || CLOCK_START,
      // several bookmakers of the simulated world, for the odds comparison and the matcher
      '--bookmakers', 'ladbrokes,neds,tab-nz',
      // and a recorded Betfair race (win and place markets; its own day, 2022), played at once
      '--replay', ['historic-1.197931750-greyhound-win', 'historic-1.197931751-greyhound-place'].map((f) => path.join(ROOT, 'tests/fixtures/betfair', f)).join(','),
      '--replay-speed', 'max'],
    { cwd: ROOT, detached: true, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  serverExited = new Promise((resolve) => server.once('exit', resolve));
  if (process.env.ODDZY_E2E_PIDFILE) fs.writeFileSync(process.env.ODDZY_E2E_PIDFILE, `${server.pid}\n`);
  const deadline = Date.now() + 60000;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) return false; // e.g. the port was taken meanwhile
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) return true;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) assert.fail(`server not ready on ${base}/readyz after 60 s:\n${serverLog()}`);
    await sleep(250);
  }
}

before(async () => {
  assert.ok(fs.existsSync(BIN), `${BIN} not found: build it with make (or set ODDZY_BIN)`);
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: apt-get install chromium`);
  ensureDist();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oddzy-e2e-'));
  logPath = path.join(tmp, 'server.log');
  process.once('exit', () => killServer('SIGKILL'));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'])
    process.once(sig, () => {
      killServer('SIGKILL');
      process.exit(128 + (os.constants.signals[sig] || 15));
    });
  let started = false;
  for (let i = 0; i < 3 && !started; i++) started = await startServer();
  assert.ok(started, `server exited early (${server.exitCode ?? server.signalCode}):\n${serverLog()}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  for (const s of sockets) s.close();
  try {
    await browser?.close();
  } finally {
    await stopServer();
    if (tmp) {
      try {
        fs.mkdirSync(path.join(ROOT, 'build'), { recursive: true });
        fs.copyFileSync(logPath, path.join(ROOT, 'build/e2e-server.log')); // for a failed run
      } catch {
        /* no log */
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
});

/** Today's date at the server and its schedule (optionally by race type). */
async function serverToday() {
  const probe = await api(`/api/racing/next?limit=1`);
  // The schedule says which time zone the racing day is in; ask for any date to learn it.
  const tz = (await api(`/api/racing/schedule?date=${isoDateIn(probe.now, 'Australia/Sydney')}`)).timezone || 'Australia/Sydney';
  return { now: probe.now, tz, date: isoDateIn(probe.now, tz) };
}

function meetingNames(schedule) {
  return schedule.groups.flatMap((g) => g.meetings.map((m) => m.name)).sort();
}

/** Polls `fn` until it returns a truthy value (returned) or `ms` pass (then the last error). */
async function eventually(fn, ms = 15000, every = 250) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = new Error('condition still false');
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw last;
    await sleep(every);
  }
}

/** Holds back the page's requests matching `pattern` after the first `after` of them, until
 * release() (which lets them through and stops holding); count() says how many were made. */
async function holdRequests(page, pattern, after = 0) {
  let n = 0;
  let open;
  const held = new Promise((r) => (open = r));
  await page.route(pattern, async (route) => {
    if (n++ >= after) await held;
    await route.continue().catch(() => {});
  });
  return {
    count: () => n,
    release: async () => {
      open();
      await page.unroute(pattern).catch(() => {});
    },
  };
}

test('schedule shows the simulated meetings with countdowns and placings, live', { timeout: 150000 }, async () => {
  const page = await newPage();
  await page.goto(`${base}/racing`);
  const sched = page.locator('[data-testid=schedule]');
  await sched.waitFor({ timeout: 20000 });
  const date = await sched.getAttribute('data-date');
  await page.locator('[data-testid=race-cell]').first().waitFor();
  // The page and the API agree on the meetings (the scraper may still be adding some: the page
  // follows live, so ask both again until they agree).
  let body;
  await eventually(async () => {
    body = await api(`/api/racing/schedule?date=${date}`);
    const expected = meetingNames(body);
    assert.ok(expected.length > 0, `the simulator has no meetings on ${date}`);
    const shown = (await page.locator('[data-testid=meeting-name]').allInnerTexts()).map((s) => s.trim()).sort();
    assert.deepEqual(shown, expected);
    const races = body.groups.flatMap((g) => g.meetings.flatMap((m) => m.races));
    assert.equal(await page.locator('[data-testid=race-cell]').count(), races.length, 'one cell per race');
    return true;
  }, 30000, 1000);
  const races = body.groups.flatMap((g) => g.meetings.flatMap((m) => m.races));

  const titles = await page.locator('[data-testid=group-title]').allInnerTexts();
  const plural = { thoroughbred: 'Thoroughbreds', harness: 'Harness', greyhound: 'Greyhounds' };
  assert.deepEqual(
    titles.map((t) => t.trim()),
    body.groups.map((g) => `${plural[g.race_type]} - ${g.region}`),
  );

  // An open race counts down; a resulted race shows its placings; an abandoned one says ABND.
  const open = page.locator('[data-testid=race-cell][data-status=OPEN]');
  if ((await open.count()) > 0) assert.match((await open.first().innerText()).split('\n')[0].trim(), COUNTDOWN);
  const resulted = races.find((r) => (r.status === 'FINAL' || r.status === 'INTERIM') && r.results.length);
  if (resulted) {
    // The placings the API has, live on the page (results may arrive after the race's status).
    const cell = page.locator(`[data-testid=race-cell][data-race-id="${resulted.race_id}"]`);
    const want = placings(resulted.results);
    await eventually(async () => (await cell.innerText()).trim() === want, 15000).catch(async () =>
      assert.equal((await cell.innerText()).trim(), want, `placings of race ${resulted.race_id}`),
    );
    assert.match(want, /^\d+([=,]\d+)*$/);
  }
  const abandoned = races.find((r) => r.status === 'ABANDONED');
  if (abandoned) assert.equal((await page.locator(`[data-testid=race-cell][data-race-id="${abandoned.race_id}"]`).innerText()).trim(), 'ABND');
  // Each meeting with an open race has its next race marked.
  const withOpen = body.groups.flatMap((g) => g.meetings).filter((m) => m.races.some((r) => r.status === 'OPEN'));
  if (withOpen.length) assert.ok((await page.locator('[data-testid=race-cell].is-next').count()) >= 1, 'next race marked');
  await shot(page, 'schedule-desktop');

  // Live, no reload: with the page's own re-fetches held back, a race still changes status
  // (raceUpdated over Socket.IO).
  const before = Object.fromEntries(
    await page.locator('[data-testid=race-cell]').evaluateAll((els) => els.map((e) => [e.dataset.raceId, e.dataset.status])),
  );
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/racing/schedule**', async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  try {
    await page.waitForFunction(
      (was) => [...document.querySelectorAll('[data-testid=race-cell]')].some((e) => was[e.dataset.raceId] && was[e.dataset.raceId] !== e.dataset.status),
      before,
      { timeout: 90000, polling: 250 },
    );
  } finally {
    release();
    await page.unroute('**/api/racing/schedule**');
  }
  await page.context().close();
});

/** "5,6,2", dead heats "5=6,2": the first three placings. */
function placings(results) {
  const byPos = new Map();
  for (const r of [...results].sort((a, b) => a.position - b.position || a.number - b.number)) {
    if (r.position > 3) continue;
    if (!byPos.has(r.position)) byPos.set(r.position, []);
    byPos.get(r.position).push(r.number);
  }
  return [...byPos.values()].map((n) => n.join('=')).join(',');
}

test('clicking a race opens its race card', { timeout: 60000 }, async () => {
  const page = await newPage();
  await page.goto(`${base}/racing`);
  const cell = page.locator('[data-testid=race-cell][data-status=OPEN]').first();
  await cell.waitFor({ timeout: 20000 });
  const raceId = await cell.getAttribute('data-race-id');
  await cell.click();
  await page.waitForURL(new RegExp(`/racing/[a-z0-9-]+/${raceId}$`));
  await page.locator('[data-testid=runner-row]').first().waitFor({ timeout: 20000 });
  const card = await api(`/api/racing/racecard?race_id=${raceId}`);
  assert.match(await page.locator('[data-testid=race-title]').innerText(), new RegExp(card.meeting.name));
  assert.match(await page.locator('[data-testid=race-title]').innerText(), new RegExp(`R${card.race.number}`));
  assert.equal(await page.locator('[data-testid=runner-row]').count(), card.runners.length);
  assert.equal(await page.locator('button[data-testid=price-fixed_win]').count(), card.runners.length, 'fixed win prices are buttons');
  if (card.prev_race_id) assert.ok(await page.locator('[data-testid=prev-race]').isVisible());
  if (card.next_race_id) assert.ok(await page.locator('[data-testid=next-race]').isVisible());

  // The flucs chart opens on click.
  const open = card.runners.find((r) => !r.is_scratched && !r.is_late_scratched) || card.runners[0];
  await page.locator(`[data-testid=runner-row][data-selection-id="${open.selection_id}"] [data-testid=flucs-toggle]`).click();
  await page.locator('[data-testid=flucs-chart] canvas').first().waitFor({ timeout: 15000 });

  await shot(page, 'racecard-desktop');
  await page.context().close();
});

test('a price published by the server changes on the page and flashes', { timeout: 120000 }, async () => {
  const next = await api('/api/racing/next?limit=20');
  // Not the very next race: it may close before a price moves.
  const race = next.races.find((r) => r.status === 'OPEN' && r.scheduled_start - next.now > 600) || next.races[next.races.length - 1];
  assert.ok(race, 'no open race to watch');

  // What the page should show: our own fixed odds ("oddzy", the price updater) and any
  // provider's tote, the newest point of each (as the server's race card does).
  const latest = new Map();
  const seen = { ours: 0, other: 0 };
  const sock = io(`${base}/prices`, { path: '/socket.io/', transports: ['websocket'] });
  sockets.push(sock);
  const subscribed = new Promise((resolve) =>
    sock.on('connect', () => sock.emit('subscribe', { race_id: race.race_id }, (ack) => resolve(ack))),
  );
  sock.on('updatePrice', (ev) => {
    if (ev.race_id !== race.race_id) return;
    const ours = ev.provider === 'oddzy';
    seen[ours ? 'ours' : 'other']++;
    if (ev.market.startsWith('fixed_') && !ours) return;
    const k = `${ev.selection_id}:${ev.market}`;
    const cur = latest.get(k);
    if (!cur || ev.ts >= cur.ts) latest.set(k, { price: ev.price, ts: ev.ts });
  });
  assert.deepEqual(await subscribed, { ok: true, race_id: race.race_id }, 'subscribe is acknowledged');

  const page = await newPage();
  await page.goto(`${base}/racing/race/${race.race_id}`);
  await page.locator('[data-testid=runner-row]').first().waitFor({ timeout: 20000 });
  // Read the flash in the same turn that finds it: a flash lasts 3 s, and on a loaded machine
  // finding the element and reading it in two round trips can straddle its end.
  const flashHandle = await page.waitForFunction(
    () => {
      const el = document.querySelector('.price-shorten, .price-drift');
      return el && { flashText: el.innerText.trim(), shorten: el.classList.contains('price-shorten') };
    },
    null,
    { timeout: 60000 },
  );
  const { flashText, shorten } = await flashHandle.jsonValue();
  assert.match(flashText, /^\d+(\.\d+)?\s*[▼▲]$/);
  assert.equal(shorten, flashText.endsWith('▼'), 'shorten ▼, drift ▲');
  await shot(page, 'racecard-live-desktop');

  // The page shows what the server last published, for runners and markets it moved.
  // The flash may come from another provider's price first; the updater's own tick follows.
  await eventually(() => {
    assert.ok(seen.ours > 0, `the price updater published nothing for race ${race.race_id} (${JSON.stringify(seen)})`);
    return true;
  }, 60000);
  await eventually(async () => {
    const rows = await page.locator('[data-testid=runner-row]').evaluateAll((els) =>
      els.map((e) => ({
        sel: e.dataset.selectionId,
        prices: Object.fromEntries([...e.querySelectorAll('[data-testid^=price-]')].map((b) => [b.dataset.testid.slice(6), b.dataset.price])),
      })),
    );
    const shown = new Map(rows.map((r) => [r.sel, r.prices]));
    const wrong = [];
    let matched = 0;
    for (const [key, { price }] of latest) {
      const [sel, market] = key.split(':');
      const v = shown.get(sel)?.[market];
      if (v === undefined || v === '') continue; // scratched since
      if (Math.abs(Number(v) - price) < 1e-9) matched++;
      else wrong.push(`${key} page ${v} server ${price}`);
    }
    assert.ok(matched > 0 && wrong.length === 0, `page and server disagree: ${wrong.join('; ')}`);
    return true;
  }, 10000);
  sock.close();
  await page.context().close();
});

test('a race that closes shows SUSP and then its results', { timeout: 420000 }, async () => {
  const page = await newPage();
  const tried = new Set();
  for (let attempt = 0; attempt < 3; attempt++) {
    const next = await api('/api/racing/next?limit=10');
    const race = next.races.filter((r) => r.status === 'OPEN' && !tried.has(r.race_id)).sort((a, b) => a.scheduled_start - b.scheduled_start)[0];
    assert.ok(race, 'no open race to wait for');
    tried.add(race.race_id);
    const waitMs = Math.max(0, (race.scheduled_start - next.now) / SPEED) * 1000 + 90000;
    await page.goto(`${base}/racing/race/${race.race_id}`);
    const status = page.locator('[data-testid=race-status]');
    await status.waitFor({ timeout: 20000 });
    // The close must arrive live: the page's own re-fetches are held back until it shows.
    let release;
    const held = new Promise((r) => (release = r));
    await page.route('**/api/racing/racecard**', async (route) => {
      await held;
      await route.continue().catch(() => {});
    });
    try {
      await page.waitForFunction(() => document.querySelector('[data-testid=race-status]')?.dataset.status !== 'OPEN', null, { timeout: waitMs, polling: 200 });
    } finally {
      release();
      await page.unroute('**/api/racing/racecard**');
    }
    // status and its words read together (the race may move on to its results at any moment)
    const { st, words } = await status.evaluate((el) => ({ st: el.dataset.status, words: el.textContent.trim() }));
    assert.equal(words, { CLOSED: 'RACE CLOSED', INTERIM: 'INTERIM RESULTS', FINAL: 'FINAL RESULTS', ABANDONED: 'ABANDONED' }[st]);
    // Every price of a runner still in the race is suspended.
    const prices = page.locator('[data-testid=runner-row][data-scratched=false] [data-testid^=price-]');
    const texts = await prices.allInnerTexts();
    assert.ok(texts.length > 0);
    assert.ok(texts.every((t) => t.trim() === 'SUSP'), `prices not suspended once ${st}: ${texts.join(' ')}`);
    if (st === 'ABANDONED') continue; // try the next race for results
    await page.locator('[data-testid=results] [data-testid=result-badge]').first().waitFor({ timeout: 180000 });
    const badges = (await page.locator('[data-testid=results] [data-testid=result-badge]').allInnerTexts()).map((t) => t.trim());
    assert.match(badges[0], /^=?1st$/);
    assert.match((await status.innerText()).trim(), /^(INTERIM|FINAL) RESULTS$/);
    const card = await api(`/api/racing/racecard?race_id=${race.race_id}`);
    if (card.race.dividends?.length) await page.locator('[data-testid=dividends]').waitFor({ timeout: 30000 });
    await page.context().close();
    return;
  }
  assert.fail(`three races in a row were abandoned: ${[...tried].join(', ')}`);
});

test('a scratched runner is struck through, greyed and last', { timeout: 120000 }, async () => {
  const { date } = await serverToday();
  const ids = [];
  for (const d of [date]) {
    const s = await api(`/api/racing/schedule?date=${d}`);
    for (const g of s.groups) for (const m of g.meetings) for (const r of m.races) ids.push(r.race_id);
  }
  let found = null;
  for (const id of ids.slice(0, 80)) {
    const card = await api(`/api/racing/racecard?race_id=${id}`);
    const scr = card.runners.find((r) => r.is_scratched || r.is_late_scratched);
    if (scr) {
      found = { card, scr };
      break;
    }
  }
  assert.ok(found, `no scratched runner in the first ${Math.min(ids.length, 80)} races of ${date}`);
  const { card, scr } = found;
  const page = await newPage();
  await page.goto(`${base}/racing/race/${card.race.race_id}`);
  const row = page.locator(`[data-testid=runner-row][data-selection-id="${scr.selection_id}"]`);
  await row.waitFor({ timeout: 20000 });
  assert.equal(await row.getAttribute('data-scratched'), 'true');
  const deco = await row.locator('[data-testid=runner-name]').evaluate((el) => getComputedStyle(el).textDecorationLine);
  assert.match(deco, /line-through/);
  assert.match(await row.locator('[data-testid=scratch-info]').innerText(), /Scratched|Late scratching/);
  const flags = await page.locator('[data-testid=runner-row]').evaluateAll((els) => els.map((e) => e.dataset.scratched === 'true'));
  const firstScratched = flags.indexOf(true);
  assert.ok(flags.slice(firstScratched).every(Boolean), 'scratched runners sorted last');
  assert.equal((await row.locator('[data-testid=price-fixed_win]').innerText()).trim(), 'SCR');
  await page.context().close();
});

test('date tabs and the race type filter change what is shown', { timeout: 90000 }, async () => {
  const page = await newPage();
  await page.goto(`${base}/racing`);
  const sched = page.locator('[data-testid=schedule]');
  await sched.waitFor({ timeout: 20000 });
  const today = await sched.getAttribute('data-date');
  const tabs = page.locator('[data-testid=date-tab]');
  assert.equal(await tabs.count(), 3);
  const labels = (await tabs.allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(labels.slice(0, 2), ['Today', 'Tomorrow']);
  assert.match(labels[2], /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)$/);

  async function expectShown(date, type) {
    await page.waitForSelector(`[data-testid=schedule][data-date="${date}"][data-type="${type || 'all'}"]:not([aria-busy=true])`, { state: 'attached', timeout: 20000 });
    const body = await api(`/api/racing/schedule?date=${date}${type ? `&type=${type}` : ''}`);
    const groups = body.groups.filter((g) => !type || g.race_type === type);
    const expected = groups.flatMap((g) => g.meetings.map((m) => m.name)).sort();
    if (expected.length === 0) {
      assert.match(await page.locator('[data-testid=empty]').innerText(), /No racing on this date/);
      return expected;
    }
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=meeting-name]').length === n,
      expected.length,
      { timeout: 10000 },
    );
    const shown = (await page.locator('[data-testid=meeting-name]').allInnerTexts()).map((s) => s.trim()).sort();
    assert.deepEqual(shown, expected, `meetings for ${date} ${type || 'all'}`);
    const types = await page.locator('[data-testid=schedule-group]').evaluateAll((els) => els.map((e) => e.dataset.raceType));
    if (type) assert.ok(types.every((t) => t === type), `only ${type} sections: ${types}`);
    return expected;
  }

  const all = await expectShown(today, '');
  await page.locator('[data-testid=type-filter][data-type=greyhound]').click();
  await page.waitForURL(/type=greyhound/);
  const grey = await expectShown(today, 'greyhound');
  assert.ok(grey.length < all.length || all.length === 0, 'the greyhound filter hides other meetings');

  await tabs.nth(1).click();
  const tomorrow = await tabs.nth(1).getAttribute('data-date');
  await page.waitForURL(new RegExp(`date=${tomorrow}`));
  await expectShown(tomorrow, 'greyhound');
  assert.equal(await page.locator('[data-testid=date-tab][aria-current=date]').innerText(), 'Tomorrow');

  await page.locator('[data-testid=type-filter][data-type=all]').click();
  await expectShown(tomorrow, '');

  // The date picker goes to any day; a day without racing says so.
  await page.locator('[data-testid=date-picker]').fill('2001-01-01');
  await page.locator('[data-testid=date-picker]').dispatchEvent('change');
  await expectShown('2001-01-01', '');
  await page.context().close();
});

test('home page lists the next to jump with countdowns and the day\'s meetings', { timeout: 60000 }, async () => {
  const page = await newPage();
  await page.goto(`${base}/`);
  await page.locator('[data-testid=ntj-race]').first().waitFor({ timeout: 20000 });
  const countdowns = await page.locator('[data-testid=ntj-race] [data-testid=countdown]').allInnerTexts();
  assert.ok(countdowns.length > 0);
  for (const c of countdowns) assert.match(c.trim(), COUNTDOWN);
  await page.locator('[data-testid=today-meeting]').first().waitFor({ timeout: 20000 });
  await sleep(3500); // past the banner's grace period: a socket that cannot connect shows it
  assert.ok(await page.locator('[data-testid=navbar]').isVisible());
  assert.match(await page.locator('[data-testid=navbar]').innerText(), /Oddzy/);
  assert.equal(await page.locator('[data-testid=live-banner]').count(), 0, 'no disconnected banner while the server is up');
  await shot(page, 'home-desktop');
  await page.context().close();
});

test('calculators page: matched bet, each-way, dutching and deductions, from the API', { timeout: 150000 }, async () => {
  const page = await newPage();
  await page.goto(`${base}/`);
  await page.locator('[data-testid=nav-calc]').click();
  await page.waitForURL(/\/calc$/);
  const text = (id) => page.locator(`[data-testid=calc-result] [data-testid=${id}]`).innerText();
  const shows = (id, want) => eventually(async () => (await text(id)).trim() === want, 10000);
  // matched bet: the form opens on issue 17's example (3.0 / 3.1 / 10 / 5 %)
  await shows('calc-lay-stake', '$9.84');
  assert.equal((await text('calc-liability')).trim(), '$20.66');
  assert.equal((await text('calc-back-wins')).trim(), '-$0.66');
  assert.equal((await text('calc-lay-wins')).trim(), '-$0.65');
  // a free bet (bettorstack.com's example: 50 at 3.00, lay 3.05)
  await page.fill('[data-testid=calc-form] [data-testid=calc-stake]', '50');
  await page.fill('[data-testid=calc-back]', '3');
  await page.fill('[data-testid=calc-lay]', '3.05');
  await page.selectOption('[data-testid=calc-type]', 'snr');
  await shows('calc-lay-stake', '$33.33');
  assert.equal((await text('calc-back-wins')).trim(), '$31.67');
  await shot(page, 'calc-desktop');
  // each-way: 19.0 at 1/4 the odds, 5 places, laid at 20 and 6
  await page.locator('[data-testid=calc-tab-eachway]').click();
  for (const [id, v] of [['calc-back', '19'], ['calc-lay-win', '20'], ['calc-lay-place', '6'], ['calc-stake', '5'], ['calc-places', '5'], ['calc-fraction', '1/4']])
    await page.fill(`[data-testid=calc-form] [data-testid=${id}]`, v);
  await shows('calc-if-wins', '-$1.04');
  assert.equal((await text('calc-place-lay')).trim(), '$4.62');
  // dutching: 100 over 3, 4.5 and 6 (outlayhq.com.au)
  await page.locator('[data-testid=calc-tab-dutch]').click();
  await page.fill('[data-testid=calc-runners]', '3, 4.5, 6');
  await page.fill('[data-testid=calc-amount]', '100');
  await eventually(async () => (await page.locator('[data-testid=calc-dutch-stake]').allInnerTexts()).join() === '$46.15,$30.77,$23.08', 10000);
  assert.equal((await text('calc-total')).trim(), '$100.00');
  // deductions: Rule 4, a 3/1 shot withdrawn, 10 at 8/1 returns 70
  await page.locator('[data-testid=calc-tab-deduction]').click();
  await page.selectOption('[data-testid=calc-method]', 'rule4');
  await page.fill('[data-testid=calc-prices]', '4');
  await page.fill('[data-testid=calc-odds]', '9');
  await page.fill('[data-testid=calc-form] [data-testid=calc-stake]', '10');
  await shows('calc-return', '$70.00');
  assert.match(await text('calc-deduction'), /^25c/);
  // filled in from the URL (how other pages link to a calculator)
  await page.goto(`${base}/calc?calc=matched&back=4&lay=4.3&stake=100`);
  await shows('calc-lay-stake', '$94.12');
  await page.context().close();
  // bad input shows the server's words (its own context, outside the console-error check: the
  // browser logs the 400 it is meant to get)
  const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'en-AU' });
  const bad = await ctx.newPage();
  await bad.goto(`${base}/calc?calc=matched&back=3&lay=3.1&stake=-1`);
  await eventually(async () => /stake must be above 0\.00/.test(await bad.locator('[data-testid=calc-result] [data-testid=error]').innerText()), 10000);
  await bad.fill('[data-testid=calc-form] [data-testid=calc-stake]', '10');
  await eventually(async () => (await bad.locator('[data-testid=calc-lay-stake]').innerText()).trim() === '$9.84', 10000);
  await ctx.close();
  const phone = await newPage(PHONE);
  await phone.goto(`${base}/calc?calc=dutch`);
  await phone.locator('[data-testid=calc-dutch-stake]').first().waitFor({ timeout: 10000 });
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll on a phone');
  await shot(phone, 'calc-phone');
  await phone.context().close();
});

/** An open race, not about to close, whose card compares several bookmakers' fixed odds (and,
 * with `exchange`, has the simulated exchange's books on its runners too). */
async function comparedRace(minBookmakers = 2, { exchange = false } = {}) {
  return eventually(async () => {
    const next = await api('/api/racing/next?limit=30');
    for (const r of next.races.filter((x) => x.status === 'OPEN' && x.scheduled_start - next.now > 900)) {
      const card = await api(`/api/racing/racecard?race_id=${r.race_id}`);
      const books = card.comparison.providers.filter((p) => p.markets.fixed_win);
      const open = card.runners.filter((x) => !x.is_scratched && !x.is_late_scratched);
      if (exchange && !open.some((x) => x.exchange?.betfair?.lay?.length)) continue;
      if (books.length >= minBookmakers && open.length >= 3) return card;
    }
    return null;
  }, 60000, 2000);
}

/** The market percentage of a column as the server works it out (odz_compare_percentage):
 * each 100 / price truncated to 1e-6 %, the sum rounded half up to the hundredth. */
function bookOf(prices) {
  const hs = prices.filter((p) => typeof p === 'number' && Math.round(p * 100) > 100).map((p) => Math.round(p * 100));
  if (!hs.length) return null;
  return Math.floor((hs.reduce((a, h) => a + Math.floor(1e10 / h), 0) + 5000) / 10000) / 100;
}

/** The grid as shown: columns' footers and each row's cells, read in one turn. */
function readGrid(page) {
  return page.locator('[data-testid=odds-grid]').evaluate((g) => ({
    kind: g.dataset.kind,
    footer: [...g.querySelectorAll('[data-testid=odds-pct]')].map((e) => ({ provider: e.dataset.provider, market: e.dataset.market, pct: e.dataset.percentage === '' ? null : Number(e.dataset.percentage) })),
    bestPct: g.querySelector('[data-testid=odds-pct-best]')?.dataset.percentage,
    rows: [...g.querySelectorAll('[data-testid=odds-row]')].map((r) => ({
      sel: Number(r.dataset.selectionId),
      scratched: r.dataset.scratched === 'true',
      best: { price: r.querySelector('[data-testid=odds-best]').dataset.price, provider: r.querySelector('[data-testid=odds-best]').dataset.provider },
      traded: r.querySelector('[data-testid=odds-traded]')?.dataset.price ? Number(r.querySelector('[data-testid=odds-traded]').dataset.price) : null,
      cells: [...r.querySelectorAll('[data-testid=odds-cell]')].map((c) => ({
        provider: c.dataset.provider,
        market: c.dataset.market,
        price: c.dataset.price === '' ? null : Number(c.dataset.price),
        size: c.dataset.size === '' ? null : Number(c.dataset.size),
        best: c.dataset.best === 'true',
        flash: c.classList.contains('cell-shorten') ? 'shorten' : c.classList.contains('cell-drift') ? 'drift' : null,
      })),
    })),
  }));
}

/** The race of the recorded Betfair markets the server replays (an exchange-only race). */
async function replayedRace() {
  return eventually(async () => {
    for (const date of ['2022-04-19', '2022-04-20']) {
      const s = await api(`/api/racing/schedule?date=${date}`);
      for (const g of s.groups) for (const m of g.meetings) for (const r of m.races) {
        const card = await api(`/api/racing/racecard?race_id=${r.race_id}`);
        if (card.runners.some((x) => x.exchange?.betfair) && card.runners.some((x) => x.exchange?.betfair_place)) return card;
      }
    }
    return null;
  }, 60000, 1000);
}

test('odds comparison grid: every provider, the best price marked, market percentages as the server has them', { timeout: 180000 }, async () => {
  await checkGrid((await comparedRace()).race.race_id, true);
  // the simulated exchange matched onto a bookmakers' race: its back and lay beside them
  await checkGrid((await comparedRace(2, { exchange: true })).race.race_id, true);
  // the exchange: back and lay of its win and place markets, last traded and volume
  await checkGrid((await replayedRace()).race.race_id, false);
});

async function checkGrid(id, bookmakers) {
  // Its own context, live updates cut off and re-fetches held after the first card: the page
  // shows exactly the card it was given (the failed socket is logged, so not via newPage).
  const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'en-AU' });
  const page = await ctx.newPage();
  await page.route('**/socket.io/**', (route) => route.abort()); // polling
  await page.routeWebSocket(/\/socket\.io\//, (ws) => ws.close({ code: 1008, reason: 'live updates cut off by the test' }));
  const cards = await holdRequests(page, '**/api/racing/racecard**', 1);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const first = page.waitForResponse((r) => r.url().includes(`/api/racing/racecard?race_id=${id}`));
  await page.goto(`${base}/racing/race/${id}`);
  const card = await (await first).json();
  try {
    await page.locator('[data-testid=odds-row]').first().waitFor({ timeout: 20000 }).catch(async (e) => {
      const main = await page.locator('main').innerText().catch(() => '');
      assert.fail(`${e.message}\nrace card requests: ${cards.count()}; page errors: ${pageErrors.join('; ')}\n${main.slice(0, 600)}`);
    });
    for (const kind of ['win', 'place']) {
      await page.locator(`[data-testid=odds-kind-${kind}]`).click();
      await page.waitForSelector(`[data-testid=odds-grid][data-kind=${kind}]`);
      const g = await readGrid(page);
      const market = `fixed_${kind}`;
      const want = card.comparison.providers.filter((p) => p.markets[market]).map((p) => p.provider).sort();
      const shown = g.footer.filter((f) => f.market === market).map((f) => f.provider).sort();
      assert.deepEqual(shown, want, `${kind}: a column per bookmaker`);
      if (kind === 'win' && bookmakers) assert.ok(shown.length >= 2, `several bookmakers: ${shown}`);
      const exchange = card.runners.some((r) => r.exchange && Object.keys(r.exchange).length);
      if (!bookmakers) assert.ok(exchange, 'the replayed race has its exchange books');
      if (exchange) {
        const ex = kind === 'win' ? 'betfair' : 'betfair_place';
        assert.deepEqual(
          g.footer.filter((f) => f.provider === ex).map((f) => f.market),
          ['exchange_back', 'exchange_lay'],
          `${kind}: the exchange's back and lay`,
        );
        for (const r of card.runners) {
          const row = g.rows.find((x) => x.sel === r.selection_id);
          for (const m of ['exchange_back', 'exchange_lay'])
            assert.equal(row.cells.find((c) => c.provider === ex && c.market === m).price, r.odds?.[ex]?.[m] ?? null, `${ex} ${m} of runner ${r.number}`);
          if (kind === 'win' && r.exchange?.betfair) assert.equal(row.traded, r.exchange.betfair.last_traded, `last traded of runner ${r.number}`);
        }
      }
      // every column's market percentage is the server's
      for (const f of g.footer) {
        const p = card.comparison.providers.find((x) => x.provider === f.provider)?.markets[f.market];
        assert.equal(f.pct, p ? p.percentage : null, `${kind} ${f.provider} ${f.market} %`);
      }
      assert.equal(g.bestPct === '' ? null : Number(g.bestPct), card.comparison.best[market]?.percentage ?? null, `${kind}: the book at best prices`);
      // each runner's best price and who offers it, marked in that bookmaker's column
      for (const r of card.runners) {
        const row = g.rows.find((x) => x.sel === r.selection_id);
        assert.ok(row, `runner ${r.selection_id} has a row`);
        const best = r.best[market];
        if (!best) {
          assert.equal(row.best.price, '');
          continue;
        }
        assert.deepEqual([Number(row.best.price), row.best.provider], [best.price, best.provider], `best ${kind} of runner ${r.number}`);
        const cell = row.cells.find((c) => c.provider === best.provider && c.market === market);
        assert.ok(cell.best && cell.price === best.price, `the best cell of runner ${r.number} is marked`);
        assert.ok(row.cells.filter((c) => c.best).every((c) => c.price === best.price));
      }
      // the exchange's back and lay with the money offered, when the card has them
      const withEx = card.runners.filter((r) => r.exchange && Object.keys(r.exchange).length);
      for (const r of withEx)
        for (const [provider, ex] of Object.entries(r.exchange)) {
          const row = g.rows.find((x) => x.sel === r.selection_id);
          for (const [side, m] of [['back', 'exchange_back'], ['lay', 'exchange_lay']]) {
            const cell = row.cells.find((c) => c.provider === provider && c.market === m);
            if (!cell || !ex[side]?.length) continue;
            if (cell.price === ex[side][0].price) assert.equal(cell.size, ex[side][0].size, `${provider} ${side} size of runner ${r.number}`);
          }
        }
    }
    // the premise: nothing live reached this page
    await page.locator('[data-testid=live-banner]').waitFor({ timeout: 15000 });
  } finally {
    await cards.release();
    await ctx.close();
  }
}

test('a live price flashes its cell in the grid and the percentage follows', { timeout: 120000 }, async () => {
  const probe = await comparedRace(2, { exchange: true }); // the screenshot shows the exchange too
  const id = probe.race.race_id;
  const page = await newPage();
  // Only the first card: what changes afterwards comes over Socket.IO.
  const cards = await holdRequests(page, '**/api/racing/racecard**', 1);
  try {
    const first = page.waitForResponse((r) => r.url().includes(`/api/racing/racecard?race_id=${id}`));
    await page.goto(`${base}/racing/race/${id}`);
    const card = await (await first).json();
    await page.locator('[data-testid=odds-row]').first().waitFor({ timeout: 20000 });
    const flashed = await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid=odds-grid] .cell-shorten, [data-testid=odds-grid] .cell-drift');
        if (!el) return null;
        const { provider, market } = el.dataset;
        const col = [...document.querySelectorAll(`[data-testid=odds-grid] [data-testid=odds-row]`)].map((r) => {
          const c = r.querySelector(`[data-testid=odds-cell][data-provider="${provider}"][data-market="${market}"]`);
          return c && c.dataset.price !== '' ? Number(c.dataset.price) : null;
        });
        const pct = document.querySelector(`[data-testid=odds-pct][data-provider="${provider}"][data-market="${market}"]`)?.dataset.percentage;
        return {
          provider,
          market,
          sel: Number(el.closest('[data-testid=odds-row]').dataset.selectionId),
          price: Number(el.dataset.price),
          text: el.innerText.trim(),
          shorten: el.classList.contains('cell-shorten'),
          col,
          pct: pct === '' || pct === undefined ? null : Number(pct),
        };
      },
      null,
      { timeout: 90000, polling: 100 },
    );
    const f = await flashed.jsonValue();
    assert.ok(card.runners.some((r) => r.selection_id === f.sel), 'a runner of the card');
    assert.match(f.text, /^\d+(\.\d+)?\s*[▼▲]/);
    assert.equal(f.shorten, f.text.includes('▼'), 'shorten ▼, drift ▲');
    // the column's percentage is worked out again from the prices shown
    assert.equal(f.pct, bookOf(f.col), `${f.provider} ${f.market} % after the change`);
    await page.locator('[data-testid=odds-grid]').scrollIntoViewIfNeeded();
    await shot(page, 'odds-desktop');
  } finally {
    await cards.release();
  }
  await page.context().close();
});

test('whole exchange books arrive live on Socket.IO /odds (topic exchange, exchangeUpdated)', { timeout: 90000 }, async () => {
  const card = await comparedRace(2, { exchange: true });
  const id = card.race.race_id;
  const sock = io(`${base}/odds`, { path: '/socket.io/', transports: ['websocket'] });
  sockets.push(sock);
  const books = [];
  sock.on('exchangeUpdated', (b) => books.push(b));
  const ack = await new Promise((resolve) => sock.on('connect', () => sock.emit('subscribe', { topic: 'exchange', race_id: id }, resolve)));
  assert.equal(ack.ok, true, JSON.stringify(ack));
  await eventually(() => books.length > 0, 60000);
  assert.ok(books.every((b) => b.race_id === id), 'only the race asked for');
  const b = books[0];
  const sel = card.runners.find((r) => r.selection_id === b.selection_id);
  assert.ok(sel, 'a runner of the race');
  assert.ok(['betfair', 'betfair_place'].includes(b.provider), b.provider);
  assert.ok(b.back.length <= 3 && b.lay.length <= 3 && b.back.length + b.lay.length > 0, 'up to three prices a side');
  for (const o of [...b.back, ...b.lay]) assert.ok(o.price > 1 && o.size >= 0, JSON.stringify(o));
  sock.close();
});

test('phone layout: the odds grid scrolls sideways with the runner column fixed', { timeout: 60000 }, async () => {
  const probe = await comparedRace(2, { exchange: true });
  const page = await newPage(PHONE);
  await page.goto(`${base}/racing/race/${probe.race.race_id}`);
  await page.locator('[data-testid=odds-row]').first().waitFor({ timeout: 20000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the race card scrolls sideways by ${overflow}px`);
  const scroller = page.locator('[data-testid=odds-scroll]');
  await scroller.scrollIntoViewIfNeeded();
  const { sw, cw } = await scroller.evaluate((el) => ({ sw: el.scrollWidth, cw: el.clientWidth }));
  assert.ok(sw > cw, `the grid does not scroll sideways (${sw} <= ${cw})`);
  const nameX = async () => (await page.locator('[data-testid=odds-runner]').first().boundingBox()).x;
  const x0 = await nameX();
  await scroller.evaluate((el) => (el.scrollLeft = 150));
  await sleep(100);
  assert.ok(Math.abs((await nameX()) - x0) < 2, 'the runner column stays while the prices scroll');
  await scroller.evaluate((el) => (el.scrollLeft = 0));
  await shot(page, 'odds-phone');
  await page.context().close();
});

/** The odds matcher's rows (GET /api/oddsmatcher). */
async function matcherRows(query = '') {
  const res = await fetch(`${base}/api/oddsmatcher?stake=10&commission=5${query}`);
  const body = await res.json();
  assert.ok(res.ok, `/api/oddsmatcher answered ${res.status}: ${JSON.stringify(body)}`);
  return body.rows;
}

test('odds matcher page: rows, sorting, filters, the calculator filled in, a rating alert', { timeout: 180000 }, async () => {
  await eventually(async () => (await matcherRows()).length > 0, 90000, 2000);
  const page = await newPage(DESKTOP, { permissions: ['notifications'] });
  // Every notification the page shows, recorded beside the browser's own.
  await page.addInitScript(() => {
    const Real = window.Notification;
    window.__notes = [];
    if (!Real) return;
    class Recorded extends Real {
      constructor(title, opts) {
        super(title, opts);
        window.__notes.push({ title, body: opts?.body || '' });
      }
    }
    window.Notification = Recorded;
  });
  await page.goto(`${base}/`);
  await page.locator('[data-testid=nav-matcher]').click();
  await page.waitForURL(/\/oddsmatcher$/);
  await page.locator('[data-testid=matcher-row]').first().waitFor({ timeout: 30000 });
  const column = (attr) => page.locator('[data-testid=matcher-row]').evaluateAll((els, a) => els.map((e) => Number(e.dataset[a])), attr);
  const sorted = (xs, dir) => xs.every((x, i) => i === 0 || (dir === 'asc' ? xs[i - 1] <= x : xs[i - 1] >= x));
  // by rating, best first
  // (live rows land in batches: a changed row may show in its old place until the batch's
  // re-sort, as for the other orders below)
  await eventually(async () => sorted(await column('rating'), 'desc'), 5000);
  // sort by back odds: highest first, then lowest first
  await page.locator('[data-testid=om-sort-back]').click();
  await page.waitForURL(/sort=back/);
  await eventually(async () => sorted(await column('back'), 'desc'), 5000);
  await page.locator('[data-testid=om-sort-back]').click();
  await page.waitForURL(/order=asc/);
  await eventually(async () => sorted(await column('back'), 'asc'), 5000);
  await shot(page, 'matcher-desktop');
  // filters: an odds range, then one bookmaker
  await page.fill('[data-testid=om-min-odds]', '2');
  await page.fill('[data-testid=om-max-odds]', '8');
  await page.waitForURL(/min_odds=2.*max_odds=8|max_odds=8.*min_odds=2/);
  await eventually(async () => {
    const backs = await column('back');
    return backs.every((b) => b >= 2 && b <= 8) && (backs.length > 0 || (await page.locator('[data-testid=empty]').count()) === 1);
  }, 15000);
  const book = await page.locator('[data-testid=om-bookmaker] option').evaluateAll((os) => os.map((o) => o.value).find((v) => v));
  if (book) {
    await page.selectOption('[data-testid=om-bookmaker]', book);
    await page.waitForURL(new RegExp(`bookmaker=${book}`));
    await eventually(async () => {
      const books = await page.locator('[data-testid=matcher-row]').evaluateAll((els) => els.map((e) => e.dataset.bookmaker));
      return books.every((b) => b === book);
    }, 15000);
  }
  // a filter that matches nothing: an empty list, said so
  await page.fill('[data-testid=om-min-rating]', '1000');
  await page.locator('[data-testid=empty]').waitFor({ timeout: 15000 });
  await page.fill('[data-testid=om-min-rating]', '');
  await page.fill('[data-testid=om-min-odds]', '');
  await page.fill('[data-testid=om-max-odds]', '');
  if (book) await page.selectOption('[data-testid=om-bookmaker]', '');
  await page.waitForURL(/\/oddsmatcher\?sort=back&order=asc$/);
  // the alert: asked for on a click; threshold 0, so every row passes at once
  await page.fill('[data-testid=om-alert-threshold]', '0');
  await page.locator('[data-testid=om-alert-toggle]').click();
  await page.waitForFunction(() => window.__notes.length > 0, null, { timeout: 15000 });
  const notes = await page.evaluate(() => window.__notes);
  assert.match(notes[0].title, /odds matcher/);
  assert.match(notes[0].body, /rating \d+\.\d\d%/);
  await page.locator('[data-testid=matcher-alert]').first().waitFor();
  assert.match(await page.locator('[data-testid=om-alert-note]').innerText(), /Notifications on/);
  // a row opens the matched-bet calculator filled in
  // (live rows move: the row is found again by its key, and its prices read as it is clicked)
  const key = await page.locator('[data-testid=matcher-row]').first().getAttribute('data-key');
  const row = page.locator(`[data-testid=matcher-row][data-key="${key}"]`);
  const seen = await row.evaluate((e) => ({ back: e.dataset.back, lay: e.dataset.lay, layStake: e.querySelector('[data-testid=om-lay-stake]').innerText.trim() }));
  await row.locator('td').first().click();
  await page.waitForURL(/\/calc\?/);
  const q = Object.fromEntries(new URL(page.url()).searchParams);
  assert.deepEqual({ ...q, back: undefined, lay: undefined }, { calc: 'matched', back: undefined, lay: undefined, stake: '10', commission: '5', type: 'qualifying' });
  assert.ok(Number(q.back) > 1 && Number(q.lay) > 1, `back and lay in the link: ${page.url()}`);
  assert.equal(await page.inputValue('[data-testid=calc-back]'), q.back);
  assert.equal(await page.inputValue('[data-testid=calc-lay]'), q.lay);
  assert.equal(await page.inputValue('[data-testid=calc-form] [data-testid=calc-stake]'), '10');
  assert.equal(await page.inputValue('[data-testid=calc-type]'), 'qualifying');
  // the calculator's lay stake for the same bet is the row's (when the row had not moved)
  if (q.back === seen.back && q.lay === seen.lay)
    await eventually(async () => (await page.locator('[data-testid=calc-lay-stake]').innerText()).trim() === seen.layStake, 10000);
  await page.context().close();

  const phone = await newPage(PHONE);
  await phone.goto(`${base}/oddsmatcher`);
  await phone.locator('[data-testid=matcher-row]').first().waitFor({ timeout: 30000 });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the matcher page scrolls sideways by ${overflow}px`);
  await shot(phone, 'matcher-phone');
  await phone.context().close();
});

test('odds matcher rows change live, without a re-fetch, filtered by the server', { timeout: 150000 }, async () => {
  // a bookmaker with rows, so that the filter leaves some
  const book = await eventually(async () => (await matcherRows('&limit=50')).map((r) => r.bookmaker).find((b) => b !== 'oddzy'), 90000, 2000);
  const page = await newPage();
  // what the page asks the server for on Socket.IO /odds (its subscribe events)
  const subscribes = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      const m = typeof payload === 'string' && payload.match(/^42\/odds,\d*(\[.*)$/);
      if (m) {
        const [name, arg] = JSON.parse(m[1]);
        if (name === 'subscribe') subscribes.push(arg);
      }
    }),
  );
  const asked = await holdRequests(page, '**/api/oddsmatcher**', 1);
  try {
    await page.goto(`${base}/oddsmatcher?bookmaker=${book}&min_odds=1.5`);
    await page.locator('[data-testid=matcher-row]').first().waitFor({ timeout: 30000 });
    // the filters went to the server with the subscription (src/live/matcher_filter.c)
    await eventually(() => subscribes.some((x) => x.topic === 'matcher' && x.filter?.bookmaker?.[0] === book && x.filter.min_odds === 1.5), 15000);
    // every request after the first is held: a row that changes came over Socket.IO
    await page.locator('[data-testid=matcher-row].row-changed').first().waitFor({ timeout: 120000 });
    // (the acknowledged subscription asks once more: held, like any other)
    assert.ok(asked.count() >= 1);
    // (as in the first sort check: a batch of live rows is re-sorted a moment after it lands)
    const shown = await eventually(async () => {
      const now = await page.locator('[data-testid=matcher-row]').evaluateAll((els) => els.map((e) => ({ book: e.dataset.bookmaker, back: Number(e.dataset.back), rating: e.dataset.rating === undefined ? null : Number(e.dataset.rating) })));
      const ratings = now.map((r) => r.rating);
      const bad = ratings.findIndex((x, i) => i > 0 && (ratings[i - 1] === null ? x !== null : x !== null && ratings[i - 1] < x));
      assert.ok(bad < 0, `still sorted by rating (rows without one last): ${JSON.stringify(ratings.slice(Math.max(0, bad - 2), bad + 2))} at ${bad}`);
      return now;
    }, 5000);
    assert.ok(shown.every((r) => r.book === book && r.back >= 1.5), `rows outside the filter: ${JSON.stringify(shown.filter((r) => r.book !== book || r.back < 1.5).slice(0, 3))}`);
    assert.ok(shown.length <= 200, 'no more rows than the API gives');
  } finally {
    await asked.release();
  }
  await page.context().close();
});

test('phone layout: schedule scrolls sideways inside its table, race card stacks', { timeout: 60000 }, async () => {
  const page = await newPage(PHONE);
  await page.goto(`${base}/racing`);
  await page.locator('[data-testid=race-cell]').first().waitFor({ timeout: 20000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page itself scrolls sideways by ${overflow}px`);
  // The race columns scroll sideways inside each section, the meeting names stay put.
  const scroller = page.locator('[data-testid=schedule-group] .table-scroll').first();
  const { sw, cw } = await scroller.evaluate((el) => ({ sw: el.scrollWidth, cw: el.clientWidth }));
  assert.ok(sw > cw, `the schedule table does not scroll sideways (${sw} <= ${cw})`);
  const nameX = async () => (await page.locator('[data-testid=meeting-name]').first().boundingBox()).x;
  const x0 = await nameX();
  await scroller.evaluate((el) => (el.scrollLeft = 200));
  await sleep(100);
  assert.ok(Math.abs((await nameX()) - x0) < 2, 'the meeting column stays while the races scroll');
  await scroller.evaluate((el) => (el.scrollLeft = 0));
  await shot(page, 'schedule-phone');

  const next = await api('/api/racing/next?limit=5');
  const race = next.races[Math.min(1, next.races.length - 1)];
  await page.goto(`${base}/racing/race/${race.race_id}`);
  await page.locator('[data-testid=runner-row]').first().waitFor({ timeout: 20000 });
  const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 1, `the race card scrolls sideways by ${overflow2}px`);
  const box = await page.locator('[data-testid=runner-row]').first().locator('[data-testid=price-fixed_win]').boundingBox();
  assert.ok(box && box.x + box.width <= PHONE.width, 'price buttons fit the phone width');
  const name = await page.locator('[data-testid=runner-row]').first().locator('[data-testid=runner-name]').boundingBox();
  assert.ok(box.y >= name.y + name.height, 'the race card stacks: prices under the runner');
  await shot(page, 'racecard-phone');
  await page.context().close();
});

/** Accessibility basics of the page as shown: names of buttons and links, labels of inputs,
 * alt of images, one h1, and the contrast of visible text (WCAG AA: 4.5, large text 3). */
async function a11yProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
    };
    const name = (el) =>
      (el.getAttribute('aria-label') || '').trim() ||
      (el.getAttribute('aria-labelledby') || '').split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim() ||
      (el.textContent || '').trim() ||
      (el.getAttribute('title') || '').trim() ||
      [...el.querySelectorAll('img[alt]')].map((i) => i.alt).join(' ').trim();
    const desc = (el) => `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} "${(el.textContent || '').trim().slice(0, 30)}"`;
    if (!document.documentElement.lang) problems.push('html has no lang');
    if (document.querySelectorAll('h1').length !== 1) problems.push(`${document.querySelectorAll('h1').length} h1 elements`);
    for (const el of document.querySelectorAll('a, button, [role=button]'))
      if (visible(el) && !name(el)) problems.push(`no accessible name: ${desc(el)}`);
    for (const el of document.querySelectorAll('a:not([href])')) if (visible(el)) problems.push(`link without href: ${desc(el)}`);
    for (const el of document.querySelectorAll('[onclick], div[tabindex], span[tabindex]'))
      if (visible(el) && !el.getAttribute('role')) problems.push(`focusable or clickable non-control: ${desc(el)}`);
    for (const el of document.querySelectorAll('input, select, textarea'))
      if (visible(el) && !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))) problems.push(`no label: ${desc(el)}`);
    for (const el of document.querySelectorAll('img')) if (!el.hasAttribute('alt')) problems.push(`img without alt: ${el.src}`);

    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top, bottom) => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
    };
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.backgroundImage && cs.backgroundImage !== 'none') return null; // gradients, images: not judged
        const c = parse(cs.backgroundColor);
        if (c && c[3] > 0) {
          layers.push(c);
          if (c[3] >= 1) break;
        }
      }
      let bg = [255, 255, 255, 1];
      for (const c of layers.reverse()) bg = over(c, bg);
      return bg;
    };
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const seen = new Set();
    for (const el of document.querySelectorAll('body *')) {
      if (!visible(el) || el.closest('[aria-hidden=true], [disabled], .is-disabled, svg, canvas')) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const cs = getComputedStyle(el);
      let opacity = 1;
      for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
      const bg = background(el);
      const fg0 = parse(cs.color);
      if (!bg || !fg0) continue;
      const fg = over([fg0[0], fg0[1], fg0[2], fg0[3] * opacity], bg);
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      const need = large ? 3 : 4.5;
      const key = `${cs.color}|${bg.join(',')}|${need}`;
      if (ratio < need && !seen.has(key)) {
        seen.add(key);
        problems.push(`contrast ${ratio.toFixed(2)} < ${need}: ${desc(el)} (${cs.color} on rgb(${bg.slice(0, 3).map(Math.round).join(',')}))`);
      }
    }
    return problems;
  });
}

test('accessibility basics: names, labels, contrast on every page, desktop and phone', { timeout: 90000 }, async () => {
  const next = await api('/api/racing/next?limit=5');
  const race = next.races[0];
  // Also a race with results and dividends, and one with a scratched runner, if there are.
  const { date } = await serverToday();
  const sched = await api(`/api/racing/schedule?date=${date}`);
  const ids = sched.groups.flatMap((g) => g.meetings.flatMap((m) => m.races.map((r) => r.race_id)));
  let resulted = null;
  let scratched = null;
  for (const id of ids.slice(0, 80)) {
    if (resulted && scratched) break;
    const card = await api(`/api/racing/racecard?race_id=${id}`);
    if (!resulted && card.race.results.length && card.race.dividends?.length) resulted = id;
    if (!scratched && card.race.status === 'OPEN' && card.runners.some((r) => r.is_scratched || r.is_late_scratched)) scratched = id;
  }
  const cards = [race.race_id, resulted, scratched].filter(Boolean).map((id) => [`/racing/race/${id}`, '[data-testid=odds-row]']);
  cards.push(['/oddsmatcher', '[data-testid=matcher-form]']);
  const problems = [];
  for (const viewport of [DESKTOP, PHONE]) {
    const page = await newPage(viewport);
    for (const [url, ready] of [['/', '[data-testid=ntj-race]'], ['/racing', '[data-testid=race-cell]'], ['/calc', '[data-testid=calc-lay-stake]'], ...cards]) {
      await page.goto(base + url);
      await page.locator(ready).first().waitFor({ timeout: 20000 });
      await sleep(300);
      for (const p of await a11yProblems(page)) problems.push(`${viewport.width}px ${url}: ${p}`);
    }
    // Keyboard: the first Tab reaches the skip link, then real controls.
    await page.keyboard.press('Tab');
    assert.match(await page.evaluate(() => document.activeElement?.textContent || ''), /Skip to content/);
    await page.context().close();
  }
  assert.deepEqual(problems, []);
});

test('loading, error and not-found states', { timeout: 60000 }, async () => {
  // Its own context, outside the console-error check: failed requests are the point here.
  const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'en-AU' });
  const page = await ctx.newPage();
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/racing/schedule**', async (route) => {
    await held;
    await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'unavailable', message: 'The racing service is not answering.' }) });
  });
  await page.goto(`${base}/racing`);
  await page.locator('[data-testid=loading]').waitFor({ timeout: 10000 });
  assert.match(await page.locator('[data-testid=loading]').innerText(), /Loading racing/);
  release();
  await page.locator('[data-testid=error]').waitFor({ timeout: 10000 });
  assert.match(await page.locator('[data-testid=error]').innerText(), /couldn't load the racing schedule[\s\S]*not answering/);
  // Try again, with the server answering this time.
  await page.unroute('**/api/racing/schedule**');
  await page.locator('[data-testid=error] button', { hasText: 'Try again' }).click();
  await page.locator('[data-testid=race-cell]').first().waitFor({ timeout: 20000 });
  // A race id the server does not know.
  await page.goto(`${base}/racing/race/99999999`);
  await page.locator('[data-testid=not-found]').waitFor({ timeout: 20000 });
  assert.match(await page.locator('[data-testid=not-found]').innerText(), /Race not found/);
  await ctx.close();
});

test('no console errors on any page', () => {
  assert.deepEqual(consoleErrors, []);
});

test('when the server goes away the page says live updates are disconnected', { timeout: 60000 }, async () => {
  const page = await newPage();
  await page.goto(`${base}/racing`);
  await page.locator('[data-testid=race-cell]').first().waitFor({ timeout: 20000 });
  await sleep(3500);
  assert.equal(await page.locator('[data-testid=live-banner]').count(), 0);
  await stopServer();
  await page.locator('[data-testid=live-banner]').waitFor({ timeout: 30000 });
  assert.match(await page.locator('[data-testid=live-banner]').innerText(), /Live updates disconnected, reconnecting/);
  // The schedule stays on screen.
  assert.ok((await page.locator('[data-testid=race-cell]').count()) > 0);
  await page.context().close();
});

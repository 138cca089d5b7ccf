// End-to-end tests of the web front end: the real server (build/oddzy run, simulated racing at
// --speed 30) serving web/dist, driven in Debian's Chromium through playwright-core.
//
//   cd tests/e2e && npm ci && node --test web.test.mjs
//
// ODDZY_BIN overrides the server binary (default <repo>/build/oddzy); web/dist must be built
// (make web), or it is built here when web/node_modules is installed. Screenshots go to
// build/screenshots/. The server is started in its own process group and that group is ended
// after the tests, on failure too.
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
const SHOTS = path.join(ROOT, 'build/screenshots');
const SPEED = 30;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const DESKTOP = { width: 1366, height: 900 };
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

async function newPage(viewport = DESKTOP) {
  const ctx = await browser.newContext({ viewport, locale: 'en-AU' });
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

before(async () => {
  assert.ok(fs.existsSync(BIN), `${BIN} not found: build it with make (or set ODDZY_BIN)`);
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: apt-get install chromium`);
  ensureDist();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oddzy-e2e-'));
  logPath = path.join(tmp, 'server.log');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(logPath, 'a');
  server = spawn(BIN, ['run', '--port', String(port), '--db', path.join(tmp, 'e2e.db'), '--speed', String(SPEED), '--seed', '42'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  serverExited = new Promise((resolve) => server.once('exit', resolve));
  process.once('exit', () => killServer('SIGKILL'));

  const deadline = Date.now() + 60000;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) assert.fail(`server exited early (${server.exitCode ?? server.signalCode}):\n${serverLog()}`);
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) assert.fail(`server not ready on ${base}/readyz after 60 s:\n${serverLog()}`);
    await sleep(250);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  for (const s of sockets) s.close();
  try {
    await browser?.close();
  } finally {
    await stopServer();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
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

test('schedule shows the simulated meetings with countdowns and placings', { timeout: 60000 }, async () => {
  const page = await newPage();
  await page.goto(`${base}/racing`);
  const sched = page.locator('[data-testid=schedule]');
  await sched.waitFor({ timeout: 20000 });
  const date = await sched.getAttribute('data-date');
  const body = await api(`/api/racing/schedule?date=${date}`);
  const expected = meetingNames(body);
  assert.ok(expected.length > 0, `the simulator has no meetings on ${date}`);
  await page.locator('[data-testid=race-cell]').first().waitFor();
  const shown = (await page.locator('[data-testid=meeting-name]').allInnerTexts()).map((s) => s.trim()).sort();
  assert.deepEqual(shown, expected);

  const races = body.groups.flatMap((g) => g.meetings.flatMap((m) => m.races));
  assert.equal(await page.locator('[data-testid=race-cell]').count(), races.length, 'one cell per race');

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
    const cell = page.locator(`[data-testid=race-cell][data-race-id="${resulted.race_id}"]`);
    assert.match((await cell.innerText()).trim(), /^\d+([=,]\d+)*$/);
  }
  const abandoned = races.find((r) => r.status === 'ABANDONED');
  if (abandoned) assert.equal((await page.locator(`[data-testid=race-cell][data-race-id="${abandoned.race_id}"]`).innerText()).trim(), 'ABND');
  // Each meeting with an open race has its next race marked.
  const withOpen = body.groups.flatMap((g) => g.meetings).filter((m) => m.races.some((r) => r.status === 'OPEN'));
  if (withOpen.length) assert.ok((await page.locator('[data-testid=race-cell].is-next').count()) >= 1, 'next race marked');

  await shot(page, 'schedule-desktop');
  await page.context().close();
});

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

  const latest = new Map();
  const sock = io(`${base}/prices`, { path: '/socket.io/', transports: ['websocket'] });
  sockets.push(sock);
  sock.on('connect', () => sock.emit('subscribe', { race_id: race.race_id }));
  sock.on('updatePrice', (ev) => {
    if (ev.race_id === race.race_id) latest.set(`${ev.selection_id}:${ev.market}`, ev.price);
  });

  const page = await newPage();
  await page.goto(`${base}/racing/race/${race.race_id}`);
  await page.locator('[data-testid=runner-row]').first().waitFor({ timeout: 20000 });
  await page.locator('.price-shorten, .price-drift').first().waitFor({ timeout: 90000 });
  const flashed = page.locator('.price-shorten, .price-drift').first();
  assert.match((await flashed.innerText()).trim(), /^\d+(\.\d+)?\s*[▼▲]$/);

  // The page shows what the server last published for some runner and market.
  assert.ok(latest.size > 0, 'the test socket saw no updatePrice');
  let matched = false;
  for (let i = 0; i < 60 && !matched; i++) {
    for (const [key, price] of latest) {
      const [sel, market] = key.split(':');
      const shown = await page.locator(`[data-testid=runner-row][data-selection-id="${sel}"] [data-testid=price-${market}]`).getAttribute('data-price');
      if (shown !== null && shown !== '' && Math.abs(Number(shown) - price) < 1e-9) {
        matched = true;
        break;
      }
    }
    if (!matched) await sleep(250);
  }
  assert.ok(matched, `no price on the page matches the last published ones: ${JSON.stringify([...latest])}`);
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
    await page.waitForFunction(() => document.querySelector('[data-testid=race-status]')?.dataset.status !== 'OPEN', null, { timeout: waitMs, polling: 200 });
    const st = await status.getAttribute('data-status');
    // Every price of a runner still in the race is suspended.
    const prices = page.locator('[data-testid=runner-row][data-scratched=false] [data-testid^=price-]');
    const texts = await prices.allInnerTexts();
    assert.ok(texts.length > 0);
    assert.ok(texts.every((t) => t.trim() === 'SUSP'), `prices not suspended once ${st}: ${texts.join(' ')}`);
    if (st === 'ABANDONED') {
      assert.equal((await status.innerText()).trim(), 'ABANDONED');
      continue; // try the next race for results
    }
    if (st === 'CLOSED') assert.equal((await status.innerText()).trim(), 'RACE CLOSED');
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

test('phone layout: schedule scrolls sideways inside its table, race card stacks', { timeout: 60000 }, async () => {
  const page = await newPage(PHONE);
  await page.goto(`${base}/racing`);
  await page.locator('[data-testid=race-cell]').first().waitFor({ timeout: 20000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page itself scrolls sideways by ${overflow}px`);
  await shot(page, 'schedule-phone');

  const next = await api('/api/racing/next?limit=5');
  const race = next.races[Math.min(1, next.races.length - 1)];
  await page.goto(`${base}/racing/race/${race.race_id}`);
  await page.locator('[data-testid=runner-row]').first().waitFor({ timeout: 20000 });
  const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 1, `the race card scrolls sideways by ${overflow2}px`);
  const box = await page.locator('[data-testid=runner-row]').first().locator('[data-testid=price-fixed_win]').boundingBox();
  assert.ok(box && box.x + box.width <= PHONE.width, 'price buttons fit the phone width');
  await shot(page, 'racecard-phone');
  await page.context().close();
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

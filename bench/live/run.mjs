// Live-push benchmark driver (bench/live.sh runs it pinned to the client core; see there).
// For each target in turn: start the server pinned to the server core, read its RSS, connect
// the clients (forked workers, client.mjs) and subscribe them all to one race, read the RSS
// again with every client idle, then for each rate publish price events on NATS
// (`race.<id>.price`, the JSON carrying `sent_ms` from CLOCK_MONOTONIC) for a fixed time and
// gather publish-to-receipt latency from every client; stop the server. Prints a table and the
// ratios; writes a markdown copy to BENCH_OUT.
//
// Targets: oddzy-sio (oddzy api, Socket.IO /prices over WebSocket, socket.io-client),
//          oddzy-ws  (oddzy api, plain /ws, the `ws` package),
//          node-sio  (sio_server.mjs: socket.io 4 on Node.js, socket.io-client).
import { spawn, fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, StringCodec } from 'nats';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const ODDZY = env.ODDZY || path.join(HERE, '../../build/oddzy');
const NATS_SERVER = env.NATS_SERVER || '/usr/sbin/nats-server';
const CLIENTS = Number(env.BENCH_CLIENTS || 10000);
const PROCS = Number(env.BENCH_PROCS || 4);
const RATES = (env.BENCH_RATES || '1 5 10').split(/\s+/).filter(Boolean).map(Number);
const SECONDS = Number(env.BENCH_SECONDS || 10);
const TARGETS = (env.BENCH_TARGETS || 'oddzy-sio node-sio oddzy-ws').split(/\s+/).filter(Boolean);
const SERVER_CPU = env.BENCH_SERVER_CPU || '0';
const SETTLE_MS = Number(env.BENCH_SETTLE_MS || 3000);
const WARM_S = Number(env.BENCH_WARM_SECONDS || 2);
const DRAIN_MS = Number(env.BENCH_DRAIN_MS || 10000);
const OUT = env.BENCH_OUT || '';
const RACE = 4242;
const CLIENT_KIND = env.BENCH_CLIENT || 'node'; // node: client.mjs workers; c: bench/wsload.c
const WSLOAD = env.WSLOAD || path.join(HERE, '../../build/bench/wsload');
const MEM_TARGET = 10000; // bytes per idle connection
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'oddzy-bench-live.'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const log = (...a) => console.error('[live]', ...a);
const children = new Set();

function cleanup() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
  fs.rmSync(TMP, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}

async function waitFor(fn, what, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await fn()) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`timeout waiting for ${what}`);
}

function start(cmd, args, logName) {
  const out = fs.openSync(path.join(TMP, logName), 'w');
  const p = spawn(cmd, args, { stdio: ['ignore', out, out] });
  children.add(p);
  p.on('exit', () => children.delete(p));
  p.logFile = path.join(TMP, logName);
  return p;
}

async function stop(p) {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

function tail(file, n = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

function rssBytes(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)[1]) * 1024;
}

function cpuTicks(pid, sysOnly = false) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return sysOnly ? Number(f[12]) : Number(f[11]) + Number(f[12]); // utime + stime
}
const TICK = 100; // USER_HZ

// busy ticks of one cpu (all processes), from /proc/stat
function cpuBusyTicks(cpu) {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return f.reduce((a, x) => a + x, 0) - f[3] - f[4]; // minus idle and iowait
}

function pkgVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

// ---- servers --------------------------------------------------------------------------------

async function startOddzy(natsUrl) {
  const port = await freePort();
  const p = start(
    'taskset',
    ['-c', SERVER_CPU, ODDZY, 'api', '--host', '127.0.0.1', '--port', String(port), '--threads', '1',
      '--max-connections', '20000', '--bus', natsUrl, '--db', path.join(TMP, `api-${port}.db`),
      '--web', '', '--log-level', 'warn', '--log-format', 'text'],
    `oddzy-${port}.log`,
  );
  try {
    await waitFor(async () => (await get(`http://127.0.0.1:${port}/healthz`)).status === 200, 'oddzy /healthz');
  } catch (e) {
    throw new Error(`${e.message}\n${tail(p.logFile)}`);
  }
  return { proc: p, url: `http://127.0.0.1:${port}`, port };
}

async function startNode(natsUrl) {
  const port = await freePort();
  const p = start('taskset', ['-c', SERVER_CPU, process.execPath, path.join(HERE, 'sio_server.mjs'), String(port), natsUrl],
    `node-${port}.log`);
  try {
    await waitFor(() => fs.readFileSync(p.logFile, 'utf8').includes('ready'), 'node socket.io server');
  } catch (e) {
    throw new Error(`${e.message}\n${tail(p.logFile)}`);
  }
  return { proc: p, url: `http://127.0.0.1:${port}`, port };
}

async function oddzyMetrics(url) {
  const { body } = await get(`${url}/metrics`);
  const pick = (re) => {
    let sum = 0;
    for (const line of body.split('\n')) if (re.test(line)) sum += Number(line.split(' ').pop());
    return sum;
  };
  return {
    connections: pick(/^oddzy_live_connections[{ ]/),
    subscriptions: pick(/^oddzy_live_subscriptions[{ ]/),
    dropped: pick(/^oddzy_live_clients_dropped_total[{ ]/),
  };
}

// ---- workers --------------------------------------------------------------------------------

// A client worker: client.mjs (Node.js, IPC) or, with BENCH_CLIENT=c, the C load generator
// (bench/wsload.c: epoll + wslay, the same commands and answers as JSON lines on its stdio).
class Worker {
  constructor(mode, url, count) {
    const args = [mode, url, String(count), String(RACE)];
    if (CLIENT_KIND === 'c') {
      this.p = spawn(WSLOAD, args, { stdio: ['pipe', 'pipe', 'inherit'] });
      let buf = '';
      this.p.stdout.setEncoding('utf8');
      this.p.stdout.on('data', (d) => {
        buf += d;
        for (let i; (i = buf.indexOf('\n')) >= 0; ) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line) this.onMessage(JSON.parse(line));
        }
      });
      this.p.send = (m) => this.p.stdin.write(JSON.stringify(m) + '\n');
    } else {
      this.p = fork(path.join(HERE, 'client.mjs'), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      this.p.on('message', (m) => this.onMessage(m));
    }
    children.add(this.p);
    this.p.on('exit', () => children.delete(this.p));
    this.waiters = [];
    this.p.on('exit', (code) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`client worker exited (${code})`));
    });
  }
  onMessage(m) {
    const i = this.waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
  }
  ask(cmd, type, extra = {}) {
    return new Promise((resolve, reject) => {
      this.waiters.push({ type, resolve, reject });
      this.p.send({ cmd, ...extra });
    });
  }
  async close() {
    const done = new Promise((r) => (this.p.exitCode !== null ? r() : this.p.once('exit', r)));
    try {
      this.p.send({ cmd: 'close' });
    } catch {}
    const t = setTimeout(() => this.p.kill('SIGKILL'), 10000);
    await done;
    clearTimeout(t);
  }
}

// ---- latency --------------------------------------------------------------------------------

function merge(stats) {
  const counts = new Map();
  let received = 0, stray = 0, maxLat = 0, lastRecv = 0, closed = 0;
  const closeReasons = {};
  for (const s of stats) {
    for (let i = 0; i < s.buckets.length; i += 2) counts.set(s.buckets[i], (counts.get(s.buckets[i]) || 0) + s.buckets[i + 1]);
    received += s.received;
    stray += s.stray;
    closed += s.closed;
    for (const [k, v] of Object.entries(s.closeReasons || {})) closeReasons[k] = (closeReasons[k] || 0) + v;
    maxLat = Math.max(maxLat, s.maxLat);
    lastRecv = Math.max(lastRecv, s.lastRecv);
  }
  // per event: the first client's latency (bus + server + one write) and the spread to the last
  const first = [], spread = [];
  const nseq = Math.max(0, ...stats.map((s) => s.firstBySeq.length));
  for (let q = 0; q < nseq; q++) {
    let lo = Infinity, hi = -Infinity;
    for (const s of stats) {
      if (s.firstBySeq[q] != null) lo = Math.min(lo, s.firstBySeq[q]);
      if (s.lastBySeq[q] != null) hi = Math.max(hi, s.lastBySeq[q]);
    }
    if (lo !== Infinity) {
      first.push(lo);
      spread.push(hi - lo);
    }
  }
  const median = (v) => (v.length ? [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] : NaN);
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const pct = (q) => {
    const want = Math.ceil(q * received);
    let acc = 0;
    for (const k of keys) {
      acc += counts.get(k);
      if (acc >= want) return k < 100000 ? (k + 1) * 0.01 : 1000 + (k - 100000 + 1); // upper edge (client.mjs)
    }
    return NaN;
  };
  return { received, stray, closed, closeReasons, maxLat, lastRecv, firstMed: median(first), spreadMed: median(spread), p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), p999: pct(0.999) };
}

// ---- one target -------------------------------------------------------------------------------

async function publishPhase(nc, sc, phase, rate, seconds) {
  const n = Math.max(1, Math.round(rate * seconds));
  const interval = 1000 / rate;
  const t0 = nowMs();
  let firstSent = 0;
  for (let i = 0; i < n; i++) {
    const due = t0 + i * interval;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait);
    const sent = nowMs();
    if (!firstSent) firstSent = sent;
    const number = (i % 12) + 1;
    const price = 200 + ((i * 37) % 800);
    const msg = {
      race_id: RACE, selection_id: 100000 + number, number, market: 'win', price,
      previous: price + 10, ts: Math.floor(Date.now() / 1000), seq: i, phase, sent_ms: sent,
    };
    nc.publish(`race.${RACE}.price`, sc.encode(JSON.stringify(msg)));
  }
  await nc.flush();
  return { events: n, firstSent, lastSent: nowMs() };
}

async function runTarget(name, nc, sc, natsUrl) {
  const mode = name.endsWith('-ws') ? 'ws' : 'sio';
  const server = name.startsWith('node') ? await startNode(natsUrl) : await startOddzy(natsUrl);
  const pid = server.proc.pid;
  const r = { name, mode, rates: [] };
  const workers = [];
  try {
    await sleep(1000);
    r.rssBefore = rssBytes(pid);
    const per = Array.from({ length: PROCS }, (_, i) => Math.floor(CLIENTS / PROCS) + (i < CLIENTS % PROCS ? 1 : 0)).filter((n) => n > 0);
    for (const n of per) workers.push(new Worker(mode, server.url, n));
    const t0 = nowMs();
    const conns = await Promise.all(workers.map((w) => w.ask('connect', 'connected')));
    r.connectMs = nowMs() - t0;
    r.connected = conns.reduce((a, c) => a + c.connected, 0);
    r.failed = conns.reduce((a, c) => a + c.failed, 0);
    const firstError = conns.find((c) => c.firstError);
    if (firstError) log(`${name}: ${r.failed} connections failed, first: ${firstError.firstError}`);
    log(`${name}: ${r.connected} clients connected and subscribed in ${(r.connectMs / 1000).toFixed(1)} s`);
    if (!r.connected) throw new Error(`${name}: no client connected`);
    await sleep(SETTLE_MS);
    r.rssIdle = rssBytes(pid);
    r.memPerConn = (r.rssIdle - r.rssBefore) / r.connected;
    if (name.startsWith('node')) {
      try {
        r.heap = JSON.parse((await get(`${server.url}/stats`)).body);
      } catch {}
    }
    if (WARM_S > 0) {
      await Promise.all(workers.map((w) => w.ask('start', 'started', { phase: `warm-${name}` })));
      await publishPhase(nc, sc, `warm-${name}`, Math.min(...RATES), WARM_S);
      await sleep(500);
      await Promise.all(workers.map((w) => w.ask('stop', 'stats')));
    }
    for (const rate of RATES) {
      const phase = `${name}-${rate}-${Date.now()}`;
      await Promise.all(workers.map((w) => w.ask('start', 'started', { phase })));
      const cpu0 = cpuTicks(pid);
      const sys0 = cpuTicks(pid, true);
      const core0 = cpuBusyTicks(SERVER_CPU);
      const ccpu0 = workers.reduce((a, w) => a + cpuTicks(w.p.pid), cpuTicks(process.pid));
      const pub = await publishPhase(nc, sc, phase, rate, SECONDS);
      // wait until every open client has every event, or DRAIN_MS
      const end = nowMs() + DRAIN_MS;
      for (;;) {
        const cs = await Promise.all(workers.map((w) => w.ask('count', 'count')));
        const got = cs.reduce((a, c) => a + c.received, 0);
        const open = cs.reduce((a, c) => a + c.open, 0);
        if (got >= pub.events * open || nowMs() > end) break;
        await sleep(200);
      }
      const cpuBusy = (cpuTicks(pid) - cpu0) / TICK;
      const sysBusy = (cpuTicks(pid, true) - sys0) / TICK;
      const coreBusy = (cpuBusyTicks(SERVER_CPU) - core0) / TICK;
      const clientBusy = (workers.reduce((a, w) => a + cpuTicks(w.p.pid), cpuTicks(process.pid)) - ccpu0) / TICK;
      const stats = merge(await Promise.all(workers.map((w) => w.ask('stop', 'stats'))));
      const expected = pub.events * r.connected;
      // the publishing period (events / rate), or longer when the last receipt came later
      const span = Math.max((stats.lastRecv - pub.firstSent) / 1000, pub.events / rate);
      const row = {
        rate, events: pub.events, expected, ...stats,
        delivered: stats.received / expected,
        msgsPerSec: stats.received / span,
        offered: rate * r.connected,
        cpu: cpuBusy / span,
        serverSysShare: cpuBusy ? sysBusy / cpuBusy : NaN,
        clientCpu: clientBusy / span,
        othersOnServerCpu: Math.max(0, coreBusy - cpuBusy) / span,
        serverUsPerMsg: stats.received ? (cpuBusy * 1e6) / stats.received : NaN,
        clientUsPerMsg: stats.received ? (clientBusy * 1e6) / stats.received : NaN,
        rssLoad: rssBytes(pid),
      };
      if (!name.startsWith('node')) row.metrics = await oddzyMetrics(server.url).catch(() => null);
      r.rates.push(row);
      if (row.closed) log(`${name} @ ${rate} ev/s: ${row.closed} clients closed: ${JSON.stringify(row.closeReasons)}`);
      log(`${name} @ ${rate} ev/s: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, max ${row.maxLat.toFixed(1)} ms, ` +
        `${Math.round(row.msgsPerSec)} msg/s, delivered ${(row.delivered * 100).toFixed(2)} %, first client ${f2(row.firstMed)} ms, fan-out spread ${f1(row.spreadMed)} ms (medians over events), server cpu ${(row.cpu * 100).toFixed(0)} %, clients cpu ${(row.clientCpu * 100).toFixed(0)} %, others on the server's cpu ${(row.othersOnServerCpu * 100).toFixed(0)} %`);
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await stop(server.proc);
  }
  await sleep(1000);
  return r;
}

// ---- report -----------------------------------------------------------------------------------

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const kb = (b) => (b / 1024).toFixed(1);
const mb = (b) => (b / 1048576).toFixed(1);

function table(head, rows) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(w[i])).join(' | ') + ' |';
  return [line(head), '| ' + w.map((n) => '-'.repeat(n)).join(' | ') + ' |', ...rows.map(line)].join('\n');
}

function report(results, meta) {
  const out = [];
  out.push(`# oddzy live-push benchmark, ${meta.date}`);
  out.push(`# ${meta.machine}`);
  out.push(`# ${meta.binary}`);
  out.push(`# ${CLIENTS} clients (${PROCS} ${CLIENT_KIND === 'c' ? 'C wsload' : 'node'} processes) on one race, server on cpu ${SERVER_CPU}, clients + publisher + nats-server on the other; ` +
    `${SECONDS} s per rate, latency = NATS publish -> client receipt`);
  out.push('');
  const memRows = results.map((r) => [r.name, `${r.connected}/${CLIENTS}`, f1(r.connectMs / 1000), mb(r.rssBefore), mb(r.rssIdle), kb(r.memPerConn)]);
  out.push(table(['server', 'clients', 'connect s', 'RSS before MB', 'RSS idle MB', 'KB per conn'], memRows));
  out.push('');
  const rows = [];
  for (const r of results) for (const x of r.rates)
    rows.push([r.name, x.rate, x.offered, Math.round(x.msgsPerSec), (x.delivered * 100).toFixed(2) + '%', f2(x.p50), f2(x.p90), f2(x.p99), f1(x.maxLat), f2(x.firstMed), f1(x.spreadMed),
      Math.round(x.cpu * 100) + '%', Math.round(x.serverSysShare * 100) + '%', f1(x.serverUsPerMsg), Math.round(x.clientCpu * 100) + '%', f1(x.clientUsPerMsg), Math.round(x.othersOnServerCpu * 100) + '%', mb(x.rssLoad), x.closed + (x.metrics ? `/${x.metrics.dropped}` : '')]);
  out.push(table(['server', 'ev/s', 'offered msg/s', 'delivered msg/s', 'delivered', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'first ms', 'spread ms', 'server cpu', 'of it kernel', 'server us/msg', 'clients cpu', 'clients us/msg', 'others on server cpu', 'RSS MB', 'closed'], rows));
  out.push('');
  const base = results.find((r) => r.name === 'node-sio');
  const verdict = [];
  if (base) {
    const rr = [];
    for (const r of results) {
      if (r === base) continue;
      for (const x of r.rates) {
        const b = base.rates.find((y) => y.rate === x.rate);
        if (!b) continue;
        rr.push([`${r.name} / node-sio`, x.rate, f2(x.p99 / b.p99), f2(x.p50 / b.p50), f2(x.maxLat / b.maxLat), f2(x.msgsPerSec / b.msgsPerSec),
          f2(x.serverUsPerMsg / b.serverUsPerMsg), f2(r.memPerConn / base.memPerConn)]);
        verdict.push(`${r.name} @ ${x.rate} ev/s: p99 ${f2(x.p99)} ms vs ${f2(b.p99)} ms (ratio ${f2(x.p99 / b.p99)}, target <= 0.50): ${x.p99 <= 0.5 * b.p99 ? 'MET' : 'NOT MET'}`);
      }
    }
    out.push(table(['ratio', 'ev/s', 'p99', 'p50', 'max', 'msg/s', 'server cpu/msg', 'mem/conn'], rr));
    out.push('');
  }
  for (const r of results) if (!r.name.startsWith('node'))
    verdict.push(`${r.name}: ${kb(r.memPerConn)} KB (${Math.round(r.memPerConn)} bytes) per idle connection, target < 10 KB: ${r.memPerConn < MEM_TARGET ? 'MET' : 'NOT MET'}`);
  if (base && base.heap) verdict.push(`node-sio heap with ${base.connected} clients idle: heapUsed ${mb(base.heap.heapUsed)} MB, rss ${mb(base.heap.rss)} MB`);
  out.push(...verdict.map((v) => `- ${v}`));
  out.push('');
  out.push('first ms: median over events of the earliest receipt (bus + server + one write + one client); ' +
    'spread ms: median over events of last receipt minus first (the fan-out to every client, server and clients together).');
  out.push('server cpu / clients cpu: share of one core used during the rate (clients: the client processes and the publisher), ' +
    'the kernel\'s share of the server\'s CPU (system time: mostly TCP sends on loopback), and CPU time per delivered message; ' +
    'others on server cpu: what other processes on the machine took of the server\'s core meanwhile (should be near 0 %).');
  out.push('delivered = messages received / (events x clients). Below 100 % with no client closed, oddzy was behind and ' +
    'replaced a queued price of a runner and market with the newer one (conflation, by design); the 12 runners of the race take turns.');
  out.push('closed = clients disconnected during the run (seen by the clients; for oddzy also /metrics oddzy_live_clients_dropped_total).');
  return out.join('\n');
}

// ---- main -------------------------------------------------------------------------------------

const natsPort = await freePort();
const natsUrl = `nats://127.0.0.1:${natsPort}`;
const nats = start(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(natsPort)], 'nats.log');
await waitFor(() => new Promise((res) => {
  const s = net.connect(natsPort, '127.0.0.1', () => { s.end(); res(true); });
  s.on('error', () => res(false));
}), 'nats-server');
const nc = await connect({ servers: natsUrl });
const sc = StringCodec();

const cpuModel = (/model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')) || [])[1] || 'unknown cpu';
const meta = {
  date: new Date().toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' '),
  binary: `${ODDZY} built ${fs.statSync(ODDZY).mtime.toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ')}; ` +
    `socket.io ${pkgVersion('socket.io')}, socket.io-client ${pkgVersion('socket.io-client')}, ws ${pkgVersion('ws')}, nats ${pkgVersion('nats')}`,
  machine: `${os.cpus().length} cores (${cpuModel}), kernel ${os.release()}, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at start`,
};
{
  // how busy the machine is before we start (other work skews every number)
  const cpus = os.cpus().map((_, i) => i);
  const b0 = cpus.map(cpuBusyTicks);
  await sleep(2000);
  const busy = cpus.map((c, i) => Math.round(((cpuBusyTicks(c) - b0[i]) / TICK / 2) * 100));
  meta.machine += `, cpus busy before start: ${busy.map((b, i) => `cpu${i} ${b} %`).join(', ')}`;
  if (process.env.BENCH_LO_RPS_NOTE) meta.machine += `, ${process.env.BENCH_LO_RPS_NOTE}`;
  if (busy.some((b) => b > 20)) log(`WARNING: the machine is busy before the run (${busy.join(' %, ')} %): latencies will be skewed`);
}
log(meta.binary);
const results = [];
for (const t of TARGETS) {
  log(`== ${t}`);
  results.push(await runTarget(t, nc, sc, natsUrl));
}
await nc.close();
await stop(nats);
meta.machine += `, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at end`;
const text = report(results, meta);
console.log(text);
if (OUT) {
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, text + '\n');
  fs.writeFileSync(OUT.replace(/\.md$/, '') + '.json', JSON.stringify({ meta, results }, null, 1));
}

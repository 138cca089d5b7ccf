// Live clients for bench/scale.sh: N plain WebSocket clients (/ws, the `ws` package from
// tests/e2e) on one API node, all subscribed to one race. Prints "READY <n>" once every client
// is subscribed, then counts updatePrice messages whose data carries `sent` (epoch ms, set by
// the publisher) for `seconds` after the first one arrives, and prints one JSON line:
//   {"clients":N,"received":M,"per_second":R,"p50_ms":..,"p99_ms":..,"max_ms":..}
// Usage: node bench/scale_clients.mjs <port> <race_id> <clients> <seconds>
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WebSocket = createRequire(path.join(root, 'tests/e2e/package.json'))('ws');
const [port, race, nArg, secArg] = process.argv.slice(2);
const n = Number(nArg), seconds = Number(secArg);
const lat = [];
let received = 0, ready = 0, first = 0, closed = 0;

function finish() {
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null);
  const span = first ? (Date.now() - first) / 1000 : 0;
  process.stdout.write(JSON.stringify({ clients: ready, closed, received,
    per_second: span ? Math.round(received / span) : 0, p50_ms: q(0.5), p99_ms: q(0.99),
    max_ms: lat.length ? lat[lat.length - 1] : null }) + '\n');
  process.exit(0);
}

function open(i) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', race_id: Number(race) })));
    ws.on('message', (buf) => {
      const m = JSON.parse(buf);
      if (m.type === 'subscribed') { ready++; resolve(); return; }
      if (m.type !== 'updatePrice' || !m.data || !m.data.sent) return;
      const now = Date.now();
      if (!first) { first = now; setTimeout(finish, seconds * 1000); }
      received++;
      if (received % 7 === i % 7) lat.push(now - m.data.sent); // a sample, not every message
    });
    ws.on('error', () => resolve());
    ws.on('close', () => { closed++; resolve(); });
  });
}

for (let i = 0; i < n; i += 200) {
  const batch = [];
  for (let k = i; k < Math.min(n, i + 200); k++) batch.push(open(k));
  await Promise.all(batch);
}
process.stdout.write(`READY ${ready}\n`);
setTimeout(finish, (seconds + 60) * 1000).unref(); // no events at all: give up eventually
